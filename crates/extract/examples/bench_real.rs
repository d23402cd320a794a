//! Real PDFs from `../shared/eval/real-pdfs/` (measurement only: nothing is copied, and no
//! text is printed): for each file, how our extractor ends, and how its Hangul words
//! (whitespace-separated tokens holding Hangul, spacing included, order ignored) agree with
//! pdftotext's: F1 of the two multisets (precision only where our text was cut at the
//! character limit), with the counts of words each has alone. Skips, saying so, when the
//! folder is absent (a fresh clone has no `../shared`).
//!
//! pdftotext keeps every visual line and says nothing of whether a line end is a space:
//! a word the producer wrapped inside ("프로젝|트를") is two of its words. So a second figure,
//! `F1 open`, takes each of pdftotext's line ends inside a paragraph as either: the two
//! pieces count as one word where our text has that word. The truth lies between the two
//! figures; the fixture corpus, with its ground truth, is where line joins are judged.
//! `kinds` counts the words only one side has: `L` our word is two of pdftotext's joined
//! across its line end, `I` joined across a space inside its line (pdftotext splits a
//! letter-spaced or justified word), `S` two of ours make one of pdftotext's (we split it),
//! `O` other (punctuation, order, mapping).

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::process::Command;

use narratix_extract::{extract, Limits};
use support::repo_root;

fn hangul_words(text: &str) -> HashMap<String, usize> {
    let mut words = HashMap::new();
    for word in text.split_whitespace() {
        if word.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)) {
            *words.entry(word.to_owned()).or_insert(0) += 1;
        }
    }
    words
}

/// pdftotext's lines as tokens.
fn token_lines(reference: &str) -> Vec<Vec<&str>> {
    reference
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect()
}

/// pdftotext's Hangul words with each line end inside a paragraph read as no space where
/// `ours` has the joined word, and how many line ends were read so.
fn open_reference(
    reference: &str,
    ours: &HashMap<String, usize>,
) -> (HashMap<String, usize>, usize) {
    let lines = token_lines(reference);
    let mut text = String::new();
    let mut used: HashMap<String, usize> = HashMap::new();
    let mut joined = 0;
    for (index, tokens) in lines.iter().enumerate() {
        let previous = index.checked_sub(1).and_then(|i| lines[i].last().copied());
        match (previous, tokens.first()) {
            (Some(before), Some(after)) => {
                let word = format!("{before}{after}");
                let taken = used.entry(word.clone()).or_insert(0);
                if ours.get(&word).copied().unwrap_or(0) > *taken {
                    *taken += 1;
                    joined += 1;
                } else {
                    text.push(' ');
                }
            }
            _ => text.push('\n'),
        }
        text.push_str(&tokens.join(" "));
    }
    (hangul_words(&text), joined)
}

/// The kinds of the words only one side has (see the top of the file).
fn kinds(
    reference: &str,
    ours_text: &str,
    ours: &HashMap<String, usize>,
    theirs: &HashMap<String, usize>,
) -> String {
    let lines = token_lines(reference);
    let mut across_line_end: HashMap<String, usize> = HashMap::new();
    let mut inside_line: HashMap<String, usize> = HashMap::new();
    for (index, tokens) in lines.iter().enumerate() {
        for pair in tokens.windows(2) {
            *inside_line
                .entry(format!("{}{}", pair[0], pair[1]))
                .or_insert(0) += 1;
        }
        if let (Some(before), Some(after)) = (
            index.checked_sub(1).and_then(|i| lines[i].last()),
            tokens.first(),
        ) {
            *across_line_end
                .entry(format!("{before}{after}"))
                .or_insert(0) += 1;
        }
    }
    let our_tokens: Vec<&str> = ours_text.split_whitespace().collect();
    let mut our_pairs: HashMap<String, usize> = HashMap::new();
    for pair in our_tokens.windows(2) {
        *our_pairs
            .entry(format!("{}{}", pair[0], pair[1]))
            .or_insert(0) += 1;
    }
    let (mut l, mut i, mut split, mut other) = (0, 0, 0, 0);
    for (word, n) in ours {
        let only = n.saturating_sub(*theirs.get(word).unwrap_or(&0));
        for _ in 0..only {
            if across_line_end.get(word).is_some_and(|c| *c > 0) {
                l += 1;
            } else if inside_line.get(word).is_some_and(|c| *c > 0) {
                i += 1;
            } else {
                other += 1;
            }
        }
    }
    for (word, n) in theirs {
        let only = n.saturating_sub(*ours.get(word).unwrap_or(&0));
        if only > 0 && our_pairs.contains_key(word) {
            split += only;
        }
    }
    format!("L{l} I{i} S{split} O{other}")
}

fn f1(
    ours: &HashMap<String, usize>,
    theirs: &HashMap<String, usize>,
    cut: bool,
) -> (f64, usize, usize) {
    let our_total: usize = ours.values().sum();
    let their_total: usize = theirs.values().sum();
    let both = common(ours, theirs);
    let precision = both as f64 / our_total.max(1) as f64;
    let recall = both as f64 / their_total.max(1) as f64;
    let f1 = if cut {
        precision
    } else if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    (f1, our_total - both, their_total - both)
}

fn common(a: &HashMap<String, usize>, b: &HashMap<String, usize>) -> usize {
    a.iter()
        .map(|(w, n)| (*n).min(*b.get(w).unwrap_or(&0)))
        .sum()
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/eval/real-pdfs"));
    if !dir.is_dir() {
        println!("bench_real: {} is absent: skipped", dir.display());
        return;
    }
    let producers: HashMap<String, String> = std::fs::read_to_string(dir.join("manifest.tsv"))
        .unwrap_or_default()
        .lines()
        .skip(1)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            Some((cols.first()?.to_string(), cols.get(5)?.to_string()))
        })
        .collect();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("read dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pdf"))
        .collect();
    files.sort();
    println!(
        "| file | producer | ours | pdftotext Hangul words | F1 | only ours | only pdftotext | line ends open joined | F1 open | kinds |"
    );
    println!("|---|---|---|---:|---:|---:|---:|---:|---:|---|");
    let mut scores = Vec::new();
    let mut judged_scores = Vec::new();
    for path in files {
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let bytes = std::fs::read(&path).expect("read");
        let reference = Command::new("pdftotext")
            .args(["-enc", "UTF-8"])
            .arg(&path)
            .arg("-")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let theirs = hangul_words(&reference);
        let their_total: usize = theirs.values().sum();
        let producer = producers.get(&name).cloned().unwrap_or_default();
        match extract(&bytes, &Limits::default()) {
            Err(e) => println!(
                "| {name} | {producer} | {} | {their_total} | | | | | | |",
                narratix_domain::WireError::from(e).name()
            ),
            Ok(out) => {
                let ours = hangul_words(&out.text);
                let (score, only_ours, only_theirs) = f1(&ours, &theirs, out.truncated);
                let (open, joined) = open_reference(&reference, &ours);
                let (judged_score, _, _) = f1(&ours, &open, out.truncated);
                let kinds = kinds(&reference, &out.text, &ours, &theirs);
                if their_total > 0 {
                    scores.push(score);
                    judged_scores.push(judged_score);
                }
                println!(
                    "| {name} | {producer} | text{}{} | {their_total} | {score:.3} | {only_ours} | {only_theirs} | {joined} | {judged_score:.3} | {kinds} |",
                    if out.truncated { ", cut" } else { "" },
                    if out.mapped_permille < 1000 {
                        format!(", {:.1}% mapped", f64::from(out.mapped_permille) / 10.0)
                    } else {
                        String::new()
                    },
                );
            }
        }
    }
    for (label, scores) in [("", &scores), (" (line ends open)", &judged_scores)] {
        if !scores.is_empty() {
            let mean = scores.iter().sum::<f64>() / scores.len() as f64;
            let worst = scores.iter().copied().fold(1.0, f64::min);
            println!(
                "Hangul-word F1 vs pdftotext{label} over {} files: mean {mean:.3}, worst {worst:.3}",
                scores.len()
            );
        }
    }
}
