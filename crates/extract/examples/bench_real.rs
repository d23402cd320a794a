//! Real PDFs from `../shared/eval/real-pdfs/` (measurement only: nothing is copied, and no
//! text is printed): for each file, how our extractor ends, and how its Hangul words
//! (whitespace-separated tokens holding Hangul, spacing included, order ignored) agree with
//! pdftotext's: F1 of the two multisets (precision only where our text was cut at the
//! character limit), with the counts of words each has alone. Skips, saying so, when the
//! folder is absent (a fresh clone has no `../shared`).
//!
//! `cargo run --release -p narratix-extract --example bench_real [-- DIR]`

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
        "| file | producer | ours | pdftotext Hangul words | F1 | only ours | only pdftotext |"
    );
    println!("|---|---|---|---:|---:|---:|---:|");
    let mut scores = Vec::new();
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
                "| {name} | {producer} | {} | {their_total} | | | |",
                narratix_domain::WireError::from(e).name()
            ),
            Ok(out) => {
                let ours = hangul_words(&out.text);
                let our_total: usize = ours.values().sum();
                let both = common(&ours, &theirs);
                let precision = both as f64 / our_total.max(1) as f64;
                let recall = both as f64 / their_total.max(1) as f64;
                let f1 = if out.truncated {
                    precision
                } else if precision + recall > 0.0 {
                    2.0 * precision * recall / (precision + recall)
                } else {
                    0.0
                };
                if their_total > 0 {
                    scores.push(f1);
                }
                println!(
                    "| {name} | {producer} | text{}{} | {their_total} | {f1:.3} | {} | {} |",
                    if out.truncated { ", cut" } else { "" },
                    if out.mapped_permille < 1000 {
                        format!(", {:.1}% mapped", f64::from(out.mapped_permille) / 10.0)
                    } else {
                        String::new()
                    },
                    our_total - both,
                    their_total - both
                );
            }
        }
    }
    if !scores.is_empty() {
        let mean = scores.iter().sum::<f64>() / scores.len() as f64;
        let worst = scores.iter().copied().fold(1.0, f64::min);
        println!(
            "\nHangul-word F1 vs pdftotext over {} files: mean {mean:.3}, worst {worst:.3}",
            scores.len()
        );
    }
}
