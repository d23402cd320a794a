//! Word accuracy of the own reader per corpus document, with the first word differences:
//! a tool for studying spacing on the tuning corpus (never the held-out split).
//!
//! `cargo run --release -p narratix-extract --example word_diff -- [DIR] [ID…]`

#[path = "../tests/support/mod.rs"]
mod support;

use narratix_extract::{extract_with, Limits, Reader};
use support::{accuracy, corpus, repo_root, word_accuracy};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| repo_root().join("tests/fixtures/corpus"));
    let only: Vec<String> = args.collect();
    for doc in corpus(&dir) {
        if !only.is_empty() && !only.contains(&doc.truth.id) {
            continue;
        }
        let bytes = std::fs::read(&doc.pdf).expect("read");
        match extract_with(&bytes, &Limits::default(), Reader::Own) {
            Err(e) => println!("{:<18} ERROR {e}", doc.truth.id),
            Ok(out) => {
                println!(
                    "{:<18} chars {:.4} words {:.4}",
                    doc.truth.id,
                    accuracy(&out.text, &doc.truth.text),
                    word_accuracy(&out.text, &doc.truth.text)
                );
                if !only.is_empty() {
                    print_diffs(&out.text, &doc.truth.text);
                }
            }
        }
    }
}

/// Words of `got` and `want` aligned by a simple LCS walk; prints each run of difference.
fn print_diffs(got: &str, want: &str) {
    let g: Vec<&str> = got.split_whitespace().collect();
    let w: Vec<&str> = want.split_whitespace().collect();
    let (n, m) = (g.len(), w.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if g[i] == w[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut shown = 0;
    while i < n || j < m {
        if i < n && j < m && g[i] == w[j] {
            i += 1;
            j += 1;
            continue;
        }
        let (si, sj) = (i, j);
        while (i < n || j < m) && !(i < n && j < m && g[i] == w[j]) {
            if j >= m || (i < n && lcs[i + 1][j] >= lcs[i][j + 1]) {
                i += 1;
            } else {
                j += 1;
            }
        }
        println!(
            "   got  {:?}\n   want {:?}",
            g[si..i].join(" "),
            w[sj..j].join(" ")
        );
        shown += 1;
        if shown >= 25 {
            break;
        }
    }
}
