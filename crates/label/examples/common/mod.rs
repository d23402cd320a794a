//! The fixture corpus for the benchmarks: each document's ground-truth text (used as the
//! extracted text, so the figures don't depend on the extractor) and its pairs as line spans.
//! Include with `#[path = "common/mod.rs"] mod common;`.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use narratix_domain::{Category, LabeledPair};
use narratix_label::lines::normalized_lines;
use narratix_label::protocol::SpanPair;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct TruthFile {
    text: String,
    pairs: Vec<TruthPair>,
}

#[derive(Debug, Deserialize)]
struct TruthPair {
    question: String,
    answer: String,
    category: Category,
}

/// One corpus document.
#[derive(Debug)]
pub struct Document {
    pub id: String,
    /// The ground-truth body text, as a perfect extractor would give it.
    pub text: String,
    /// `text` as the labeler sees it.
    pub lines: Vec<String>,
    pub pairs: Vec<LabeledPair>,
    /// The ground truth as line spans: what a perfect model answers.
    pub spans: Vec<SpanPair>,
}

pub fn corpus_dir() -> PathBuf {
    Path::new(
        &std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()),
    )
    .join("../../tests/fixtures/corpus")
}

/// Every `<id>.json` of the corpus, by id.
pub fn load_corpus() -> Result<Vec<Document>, String> {
    let dir = corpus_dir();
    let entries = fs::read_dir(&dir).map_err(|err| format!("{}: {err}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    paths.iter().map(|path| load(path)).collect()
}

fn load(path: &Path) -> Result<Document, String> {
    let id = path
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    let json = fs::read_to_string(path).map_err(|err| format!("{id}: {err}"))?;
    let truth: TruthFile = serde_json::from_str(&json).map_err(|err| format!("{id}: {err}"))?;
    let lines = normalized_lines(&truth.text);
    let pairs: Vec<LabeledPair> = truth
        .pairs
        .into_iter()
        .map(|pair| LabeledPair::new(pair.question, pair.answer, pair.category, None))
        .collect();
    let spans = spans_of(&lines, &pairs).map_err(|err| format!("{id}: {err}"))?;
    Ok(Document {
        id,
        text: truth.text,
        lines,
        pairs,
        spans,
    })
}

/// Finds each pair's lines in order: the question's line, then its answer paragraphs.
fn spans_of(lines: &[String], pairs: &[LabeledPair]) -> Result<Vec<SpanPair>, String> {
    let mut spans = Vec::with_capacity(pairs.len());
    let mut cursor = 0;
    for (n, pair) in pairs.iter().enumerate() {
        let question_lines = normalized_lines(&pair.question);
        let answer_lines = normalized_lines(&pair.answer);
        let question = find_run(lines, cursor, &question_lines)
            .ok_or_else(|| format!("question {} not found in the text", n + 1))?;
        let answer = find_run(lines, question.end, &answer_lines)
            .ok_or_else(|| format!("answer {} not found in the text", n + 1))?;
        cursor = answer.end;
        spans.push(SpanPair {
            question,
            answer,
            category: pair.category,
        });
    }
    Ok(spans)
}

fn find_run(lines: &[String], from: usize, run: &[String]) -> Option<std::ops::Range<usize>> {
    if run.is_empty() {
        return None;
    }
    (from..lines.len().saturating_sub(run.len() - 1))
        .find(|&start| lines[start..start + run.len()] == *run)
        .map(|start| start..start + run.len())
}
