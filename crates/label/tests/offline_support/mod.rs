//! Scoring of the offline labeler against the fixture corpus: shared by the
//! `offline_corpus` test and the `bench_offline` example.
//!
//! Predicted pairs are matched to the ground truth by a best assignment (Kuhn–Munkres) on a
//! similarity matrix: normalised Levenshtein similarity of the questions (spaces ignored), plus
//! that of the answers' openings. A predicted pair is a hit when it is assigned to a true pair whose
//! question is at least [`MIN_QUESTION_SIMILARITY`] similar; unassigned predictions are false
//! positives, unassigned truths false negatives.
#![allow(dead_code)] // each including target uses part of it

use std::path::{Path, PathBuf};

use narratix_domain::Category;
use narratix_label::lines::labeling_lines;
use narratix_label::offline::{categorize, split};
use narratix_label::protocol::question_text;
use pathfinding::prelude::{kuhn_munkres, Matrix};
use serde::Deserialize;

/// Least question similarity for a prediction to count as finding a true pair.
pub const MIN_QUESTION_SIMILARITY: f64 = 0.5;
/// Characters of each answer compared when weighing a match.
const ANSWER_PREFIX_CHARS: usize = 200;

/// One corpus document's ground truth (`tests/fixtures/corpus/<id>.json`).
#[derive(Debug, Clone, Deserialize)]
pub struct Fixture {
    #[serde(default)]
    pub id: String,
    pub text: String,
    pub pairs: Vec<TruePair>,
    #[serde(default)]
    pub layout: Option<String>,
    /// `heldout` for documents whose texts and layouts nothing was tuned on.
    #[serde(default)]
    pub split: Option<String>,
    #[serde(default)]
    pub features: Vec<String>,
    /// What the save form should be filled in with: `{company, position, year, half}`.
    #[serde(default)]
    pub prefill: Option<serde_json::Value>,
}

impl Fixture {
    /// The layout the document tests: named by the generator for the layout fixtures, read
    /// from the features for the others.
    pub fn layout_name(&self) -> String {
        if let Some(layout) = &self.layout {
            return layout.clone();
        }
        let has = |f: &str| self.features.iter().any(|x| x == f);
        if has("table-layout") {
            "form table (job site)".into()
        } else if has("label-column-table") {
            "label column table".into()
        } else if has("heading-question") {
            "section headings".into()
        } else if has("no-numbering") {
            "unnumbered questions".into()
        } else {
            "numbered questions".into()
        }
    }

    pub fn held_out(&self) -> bool {
        self.split.as_deref() == Some("heldout")
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct TruePair {
    pub question: String,
    pub answer: String,
    pub category: Category,
}

/// A labeled pair as the offline labeler produced it, texts sliced from the lines.
#[derive(Debug, Clone)]
pub struct Predicted {
    pub question: String,
    pub answer: String,
    pub category: Category,
}

/// The fixture corpus directory, `tests/fixtures/corpus` at the workspace root.
pub fn corpus_dir() -> PathBuf {
    Path::new(
        &std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()),
    )
    .join("../../tests/fixtures/corpus")
}

/// Every `<id>.json` of the corpus, by id.
pub fn load_corpus(dir: &Path) -> Result<Vec<Fixture>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let bytes =
                std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let mut fixture: Fixture = serde_json::from_slice(&bytes)
                .map_err(|e| format!("{} is not a corpus fixture: {e}", path.display()))?;
            if fixture.id.is_empty() {
                fixture.id = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
            }
            Ok(fixture)
        })
        .collect()
}

/// Runs the offline labeler on `text` the way the Offline provider does: normalised lines,
/// split, pairs sliced from the lines, each question categorised.
/// The save-form suggestions the offline labeler reads from `text`.
pub fn prefill_offline(text: &str) -> narratix_domain::Prefill {
    let lines = labeling_lines(text);
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let answers: Vec<std::ops::Range<usize>> = split(&refs)
        .pairs
        .into_iter()
        .map(|pair| pair.answer)
        .collect();
    narratix_label::prefill::prefill(&refs, &answers)
}

pub fn label_offline(text: &str) -> (Vec<Predicted>, bool) {
    let lines = labeling_lines(text);
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let split = split(&refs);
    let pairs = split
        .pairs
        .iter()
        .map(|pair| {
            let question = question_text(&refs, pair.question.clone());
            Predicted {
                category: categorize(&question),
                answer: refs[pair.answer.clone()].join("\n"),
                question,
            }
        })
        .collect();
    (pairs, split.confident)
}

/// All whitespace runs collapsed to one space, ends trimmed.
pub fn normalize_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Where two texts part: a little of each from the first differing character.
fn first_difference(predicted: &str, truth: &str) -> String {
    let common = predicted
        .chars()
        .zip(truth.chars())
        .take_while(|(a, b)| a == b)
        .count();
    let from = common.saturating_sub(10);
    let excerpt = |s: &str| s.chars().skip(from).take(40).collect::<String>();
    format!(
        "at char {common}: predicted {:?}, truth {:?}",
        excerpt(predicted),
        excerpt(truth)
    )
}

/// Similarity of two texts in 0..=1: one minus their Levenshtein distance over characters,
/// whitespace ignored, divided by the longer length.
pub fn similarity(a: &str, b: &str) -> f64 {
    let compact = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    strsim::normalized_levenshtein(&compact(a), &compact(b))
}

/// Similarity of two answers' openings (their first [`ANSWER_PREFIX_CHARS`] characters): enough
/// to tell candidates apart in the assignment without a quadratic pass over whole answers.
fn answer_similarity(a: &str, b: &str) -> f64 {
    let opening = |s: &str| s.chars().take(ANSWER_PREFIX_CHARS).collect::<String>();
    similarity(&opening(a), &opening(b))
}

/// How one document went.
#[derive(Debug, Clone, Default)]
pub struct DocScore {
    pub id: String,
    pub truth: usize,
    pub predicted: usize,
    pub hits: usize,
    pub identical_answers: usize,
    /// Matched answers that begin and end where the truth's do: equal once every space is
    /// removed, so that a space the extractor lost or added does not count against the split.
    pub same_bounds: usize,
    pub correct_categories: usize,
    pub confident: bool,
    /// Human-readable notes on every miss, for the benchmark's detail output.
    pub misses: Vec<String>,
    /// (true, predicted) category of every hit.
    pub category_pairs: Vec<(Category, Category)>,
}

/// Matches `predicted` to `truth` by best assignment and scores the matches.
pub fn score_document(
    id: &str,
    truth: &[TruePair],
    predicted: &[Predicted],
    confident: bool,
) -> DocScore {
    let mut doc = DocScore {
        id: id.to_owned(),
        truth: truth.len(),
        predicted: predicted.len(),
        confident,
        ..DocScore::default()
    };
    let size = truth.len().max(predicted.len());
    if size == 0 {
        return doc;
    }
    // Square weight matrix (rows: truth, columns: predictions), padded with zeros; weights in
    // thousandths so the assignment works on integers.
    let mut weights = Matrix::new(size, size, 0i64);
    for (t, true_pair) in truth.iter().enumerate() {
        for (p, pair) in predicted.iter().enumerate() {
            let question = similarity(&true_pair.question, &pair.question);
            if question >= MIN_QUESTION_SIMILARITY {
                let answer = answer_similarity(&true_pair.answer, &pair.answer);
                weights[(t, p)] = ((question + answer) * 1000.0).round() as i64;
            }
        }
    }
    let (_, assignment) = kuhn_munkres(&weights);
    let mut matched_predictions = vec![false; predicted.len()];
    for (t, true_pair) in truth.iter().enumerate() {
        let p = assignment[t];
        if p >= predicted.len() || weights[(t, p)] == 0 {
            doc.misses.push(format!("missed: {}", true_pair.question));
            continue;
        }
        matched_predictions[p] = true;
        let pair = &predicted[p];
        doc.hits += 1;
        if without_spaces(&pair.answer) == without_spaces(&true_pair.answer) {
            doc.same_bounds += 1;
        }
        if normalize_whitespace(&pair.answer) == normalize_whitespace(&true_pair.answer) {
            doc.identical_answers += 1;
        } else {
            doc.misses.push(format!(
                "answer differs for {:?} ({} chars, truth {}): {}",
                true_pair.question,
                pair.answer.chars().count(),
                true_pair.answer.chars().count(),
                first_difference(
                    &normalize_whitespace(&pair.answer),
                    &normalize_whitespace(&true_pair.answer)
                ),
            ));
        }
        doc.category_pairs.push((true_pair.category, pair.category));
        if pair.category == true_pair.category {
            doc.correct_categories += 1;
        } else {
            doc.misses.push(format!(
                "category {} (truth {}) for {:?}",
                pair.category, true_pair.category, true_pair.question
            ));
        }
    }
    for (p, pair) in predicted.iter().enumerate() {
        if !matched_predictions[p] {
            doc.misses.push(format!("spurious: {}", pair.question));
        }
    }
    doc
}

/// The corpus-wide figures.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub documents: Vec<DocScore>,
    pub truth: usize,
    pub predicted: usize,
    pub hits: usize,
    pub identical_answers: usize,
    pub same_bounds: usize,
    pub correct_categories: usize,
    /// confusion[truth][predicted], in the order of [`Category::ALL`].
    pub confusion: [[usize; 12]; 12],
}

impl Report {
    pub fn from_documents(documents: Vec<DocScore>) -> Report {
        let mut report = Report::default();
        for doc in &documents {
            report.truth += doc.truth;
            report.predicted += doc.predicted;
            report.hits += doc.hits;
            report.identical_answers += doc.identical_answers;
            report.same_bounds += doc.same_bounds;
            report.correct_categories += doc.correct_categories;
            for &(truth, predicted) in &doc.category_pairs {
                report.confusion[category_index(truth)][category_index(predicted)] += 1;
            }
        }
        report.documents = documents;
        report
    }

    pub fn precision(&self) -> f64 {
        ratio(self.hits, self.predicted)
    }

    pub fn recall(&self) -> f64 {
        ratio(self.hits, self.truth)
    }

    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    /// Share of matched pairs whose answer equals the truth after whitespace normalisation.
    pub fn answer_identity(&self) -> f64 {
        ratio(self.identical_answers, self.hits)
    }

    /// Share of matched pairs whose answer spans what the truth's does (spaces ignored).
    pub fn bounds_identity(&self) -> f64 {
        ratio(self.same_bounds, self.hits)
    }

    /// Share of matched pairs with the true category.
    pub fn category_accuracy(&self) -> f64 {
        ratio(self.correct_categories, self.hits)
    }

    /// Documents the splitter called confident, and how many of those it split exactly: every
    /// pair found, none made up, every answer from the right first to the right last word (a
    /// space the extractor got wrong is the same for a model and not the split's doing).
    pub fn confident_documents(&self) -> (usize, usize) {
        let confident: Vec<&DocScore> = self.documents.iter().filter(|d| d.confident).collect();
        let exact = confident
            .iter()
            .filter(|d| d.hits == d.truth && d.hits == d.predicted && d.same_bounds == d.hits)
            .count();
        (confident.len(), exact)
    }
}

fn without_spaces(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn category_index(category: Category) -> usize {
    Category::ALL
        .iter()
        .position(|&c| c == category)
        .unwrap_or(Category::ALL.len() - 1)
}

/// Scores the offline labeler on every fixture's ground-truth text.
pub fn score_ground_truth(corpus: &[Fixture]) -> Report {
    Report::from_documents(
        corpus
            .iter()
            .map(|fixture| {
                let (predicted, confident) = label_offline(&fixture.text);
                score_document(&fixture.id, &fixture.pairs, &predicted, confident)
            })
            .collect(),
    )
}

/// Scores the offline labeler on the text `narratix-extract` gets out of each `<id>.pdf`.
pub fn score_extracted(dir: &Path, corpus: &[Fixture]) -> Result<Report, String> {
    let limits = narratix_extract::Limits::default();
    let documents = corpus
        .iter()
        .map(|fixture| {
            let path = dir.join(format!("{}.pdf", fixture.id));
            let bytes =
                std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let extracted = narratix_extract::extract(&bytes, &limits)
                .map_err(|e| format!("{}: {e}", fixture.id))?;
            let (predicted, confident) = label_offline(&extracted.text);
            Ok(score_document(
                &fixture.id,
                &fixture.pairs,
                &predicted,
                confident,
            ))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Report::from_documents(documents))
}
