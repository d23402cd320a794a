//! The two page readers in one process, no isolation, over the fixture corpus: the own
//! content reader ([`Reader::Auto`], as shipped) against the PDF library's general text
//! extractor ([`Reader::Library`]), taking turns on each file. Prints pages/s and the ratio.
//! A program of its own so that the process-per-file benchmark (`examples/bench.rs`) stays
//! a small process whose children's peak RSS is their own.
//!
//! `cargo run --release -p narratix-extract --example bench_readers -- [--rounds N]`

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use narratix_extract::{extract_with, Limits, Reader};
use support::{corpus, repo_root, Document};

fn main() {
    let mut rounds = 5usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rounds" => {
                rounds = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--rounds N")
            }
            other => panic!("unknown argument {other}"),
        }
    }
    let documents = corpus(&repo_root().join("tests/fixtures/corpus"));
    in_process_readers(&documents, rounds);
}

/// The own content reader ([`Reader::Auto`], as shipped) against the PDF library's general
/// extractor ([`Reader::Library`]) in this process, no isolation, taking turns on each file.
fn in_process_readers(documents: &[Document], rounds: usize) {
    let limits = Limits::default();
    let files: Vec<(Vec<u8>, u32)> = documents
        .iter()
        .map(|d| (std::fs::read(&d.pdf).expect("read pdf"), d.truth.pages))
        .collect();
    let readers = [Reader::Auto, Reader::Library];
    let mut elapsed = [Duration::ZERO; 2];
    let mut pages = 0u64;
    for round in 0..rounds {
        for (bytes, page_count) in &files {
            let order = if round % 2 == 1 { [1, 0] } else { [0, 1] };
            for slot in order {
                let started = Instant::now();
                let result = extract_with(bytes, &limits, readers[slot]);
                elapsed[slot] += started.elapsed();
                if let Err(error) = result {
                    println!("{:?} failed: {error}", readers[slot]);
                }
            }
            pages += u64::from(*page_count);
        }
    }
    let rate = |time: Duration| pages as f64 / time.as_secs_f64().max(1e-9);
    println!();
    println!("In process, no isolation (the parse alone):");
    println!();
    println!("| reader | pages/s | ms per file | ratio |");
    println!("|---|---:|---:|---:|");
    let per_file = |time: Duration| time.as_secs_f64() * 1000.0 / (files.len() * rounds) as f64;
    println!(
        "| own content reader (as shipped) | {:.0} | {:.2} | {:.2}× |",
        rate(elapsed[0]),
        per_file(elapsed[0]),
        rate(elapsed[0]) / rate(elapsed[1])
    );
    println!(
        "| PDF library's general extractor | {:.0} | {:.2} | 1.00× |",
        rate(elapsed[1]),
        per_file(elapsed[1])
    );
}
