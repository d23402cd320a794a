//! The fixture corpus and the accuracy metric, shared by the integration tests and the
//! benchmark (`examples/bench.rs` includes this file).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

/// The repository root (this crate lives in `crates/extract`).
pub fn repo_root() -> PathBuf {
    Path::new(
        &std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()),
    )
    .join("../..")
}

#[derive(Debug, Deserialize)]
pub struct Pair {
    pub question: String,
    pub answer: String,
}

/// Ground truth of one corpus document (`tests/fixtures/corpus/<id>.json`).
#[derive(Debug, Deserialize)]
pub struct Truth {
    pub id: String,
    #[serde(default)]
    pub producer: String,
    pub pages: u32,
    pub text: String,
    pub pairs: Vec<Pair>,
    #[serde(default)]
    pub features: Vec<String>,
}

impl Truth {
    /// A question in a narrow cell beside its answer: read line by line (as pdftotext reads
    /// it) the question's wrapped lines interleave with the answer's, so the question is not
    /// one run of text. The labeler's corpus test checks these pairs instead.
    pub fn questions_beside_answers(&self) -> bool {
        self.features.iter().any(|f| f == "side-by-side-table")
    }
}

pub struct Document {
    pub pdf: PathBuf,
    pub truth: Truth,
}

/// Every corpus document, sorted by id.
pub fn corpus(dir: &Path) -> Vec<Document> {
    let mut documents: Vec<Document> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|json| {
            let raw = std::fs::read_to_string(&json).expect("read truth");
            let truth: Truth = serde_json::from_str(&raw).expect("parse truth");
            Document {
                pdf: json.with_extension("pdf"),
                truth,
            }
        })
        .collect();
    documents.sort_by(|a, b| a.truth.id.cmp(&b.truth.id));
    documents
}

/// NFC with all whitespace removed: what the metric compares.
pub fn compact(text: &str) -> String {
    text.nfc().filter(|c| !c.is_whitespace()).collect()
}

/// 1 − Levenshtein(extracted, truth) / len(truth), over whitespace-free NFC text, at least 0.
pub fn accuracy(extracted: &str, truth: &str) -> f64 {
    let got: Vec<char> = compact(extracted).chars().collect();
    let want: Vec<char> = compact(truth).chars().collect();
    if want.is_empty() {
        return if got.is_empty() { 1.0 } else { 0.0 };
    }
    let distance = strsim::generic_levenshtein(&got, &want);
    (1.0 - distance as f64 / want.len() as f64).max(0.0)
}

/// Word accuracy: 1 − Levenshtein over the whitespace-separated words (NFC) / number of
/// words in the truth, at least 0. Unlike [`accuracy`], a space dropped or added between
/// two words costs here, as it costs the reader of the text.
pub fn word_accuracy(extracted: &str, truth: &str) -> f64 {
    let words = |text: &str| -> Vec<String> {
        text.nfc()
            .collect::<String>()
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    let (got, want) = (words(extracted), words(truth));
    if want.is_empty() {
        return if got.is_empty() { 1.0 } else { 0.0 };
    }
    let distance = strsim::generic_levenshtein(&got, &want);
    (1.0 - distance as f64 / want.len() as f64).max(0.0)
}

/// How many of `needles` occur intact (whitespace-insensitive) in `text`, each after the
/// previous one.
pub fn found_in_order<'a>(text: &str, needles: impl IntoIterator<Item = &'a str>) -> usize {
    let haystack = compact(text);
    let mut from = 0;
    let mut found = 0;
    for needle in needles {
        let needle = compact(needle);
        match haystack[from..].find(&needle) {
            Some(at) => {
                from += at + needle.len();
                found += 1;
            }
            None => break,
        }
    }
    found
}

#[derive(Debug, Deserialize)]
pub struct HostileCase {
    pub file: String,
    pub expect: String,
    pub why: String,
    pub contains: Option<String>,
    #[serde(default)]
    pub also_ok: Vec<String>,
    /// The phrase must come out exactly once (a form that draws itself is drawn once).
    #[serde(default)]
    pub contains_once: bool,
}

/// `tests/fixtures/hostile/manifest.json`.
pub fn hostile_manifest(dir: &Path) -> Vec<HostileCase> {
    let raw = std::fs::read_to_string(dir.join("manifest.json")).expect("read manifest");
    serde_json::from_str(&raw).expect("parse manifest")
}

/// A valid PDF over `size` bytes, built from `base` as the fixtures README describes: a
/// comment line of filler and a repeated `startxref`.
pub fn oversize_pdf(base: &[u8], size: usize) -> Vec<u8> {
    let text = String::from_utf8_lossy(base);
    let startxref = text
        .rfind("startxref")
        .and_then(|at| text[at + 9..].split_whitespace().next())
        .expect("base has a startxref")
        .to_string();
    let mut big = base.to_vec();
    big.extend_from_slice(b"\n%");
    big.extend(std::iter::repeat_n(b'A', size));
    big.extend_from_slice(format!("\nstartxref\n{startxref}\n%%EOF\n").as_bytes());
    big
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_ignores_whitespace_and_counts_edits() {
        assert_eq!(accuracy("가 나\n다", "가나다"), 1.0);
        assert!((accuracy("가나", "가나다라") - 0.5).abs() < 1e-9);
        assert_eq!(accuracy("완전히 다른 긴 글입니다", "가"), 0.0);
    }

    #[test]
    fn word_accuracy_counts_spacing() {
        assert_eq!(word_accuracy("가나 다", "가나  다"), 1.0);
        // "가나" split in two: one substitution and one insertion over four words.
        assert!((word_accuracy("가 나 다 라 마", "가나 다 라 마") - 0.5).abs() < 1e-9);
    }

    #[test]
    fn order_matters() {
        assert_eq!(found_in_order("1. 가\n본문\n2. 나", ["1.가", "2. 나"]), 2);
        assert_eq!(found_in_order("2. 나\n1. 가", ["1. 가", "2. 나"]), 1);
    }
}

pub mod run;
