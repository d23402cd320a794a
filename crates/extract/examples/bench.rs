//! Extraction benchmark: our extractor and poppler's `pdftotext`, each as one process per
//! file, over the same corpus in the same run. Prints pages/s, character and word accuracy
//! against the ground truth, questions intact and in order, and peak RSS, side by side with
//! ratios. (`examples/bench_readers.rs` compares the two page readers in process.)
//!
//! `cargo run --release -p narratix-extract --example bench -- --ours "<cmd> [args]"
//!  [--pdftotext pdftotext] [--corpus DIR] [--rounds N]` (see `scripts/bench-extract`).
//! Each command gets the PDF path in place of `{}` (appended when there is none) and must
//! print the text on stdout.

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use support::run::{run_measured, Run};
use support::{accuracy, corpus, found_in_order, repo_root, word_accuracy, Document};

struct Tool {
    name: String,
    command: Vec<String>,
}

impl Tool {
    fn command_for(&self, pdf: &std::path::Path) -> Command {
        let (program, args) = self.command.split_first().expect("command");
        let mut command = Command::new(program);
        let mut placed = false;
        for arg in args {
            if arg == "{}" {
                command.arg(pdf);
                placed = true;
            } else {
                command.arg(arg);
            }
        }
        if !placed {
            command.arg(pdf);
        }
        command
    }
}

#[derive(Default)]
struct Score {
    pages: u64,
    files: u64,
    elapsed: Duration,
    cpu: Duration,
    peak_rss_kib: u64,
    accuracies: Vec<f64>,
    word_accuracies: Vec<f64>,
    questions_found: usize,
    questions: usize,
    failures: Vec<String>,
    /// (producer, word accuracy) per scored document.
    by_producer: Vec<(String, f64)>,
}

impl Score {
    fn pages_per_second(&self) -> f64 {
        self.pages as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
    fn cpu_ms_per_file(&self) -> f64 {
        self.cpu.as_secs_f64() * 1000.0 / self.files.max(1) as f64
    }
    fn mean_accuracy(&self) -> f64 {
        self.accuracies.iter().sum::<f64>() / self.accuracies.len().max(1) as f64
    }
    fn min_accuracy(&self) -> f64 {
        self.accuracies.iter().copied().fold(1.0, f64::min)
    }
    fn mean_word_accuracy(&self) -> f64 {
        self.word_accuracies.iter().sum::<f64>() / self.word_accuracies.len().max(1) as f64
    }
}

/// Runs every tool on every document, `rounds` times. The tools take turns on each document
/// (in an order that alternates with the round), so a change in machine load during the run
/// falls on both alike. Text is scored from the last round.
fn measure(tools: &[Tool], documents: &[Document], rounds: usize) -> Vec<Score> {
    let mut scores: Vec<Score> = tools.iter().map(|_| Score::default()).collect();
    for round in 0..rounds {
        let scored_round = round + 1 == rounds;
        for doc in documents {
            let mut turns: Vec<usize> = (0..tools.len()).collect();
            if round % 2 == 1 {
                turns.reverse();
            }
            for index in turns {
                let run = run_measured(&mut tools[index].command_for(&doc.pdf));
                record(&mut scores[index], doc, &run, scored_round);
            }
        }
    }
    scores
}

fn record(score: &mut Score, doc: &Document, run: &Run, scored_round: bool) {
    score.elapsed += run.elapsed;
    score.cpu += run.cpu;
    score.files += 1;
    score.pages += u64::from(doc.truth.pages);
    score.peak_rss_kib = score.peak_rss_kib.max(run.peak_rss_kib);
    if !scored_round {
        return;
    }
    score.questions += doc.truth.pairs.len();
    if run.exit_code != Some(0) {
        score
            .failures
            .push(format!("{}: {}", doc.truth.id, run.stderr.trim()));
        score.accuracies.push(0.0);
        score.word_accuracies.push(0.0);
        score.by_producer.push((doc.truth.producer.clone(), 0.0));
        return;
    }
    score
        .accuracies
        .push(accuracy(&run.stdout, &doc.truth.text));
    let words = word_accuracy(&run.stdout, &doc.truth.text);
    score.word_accuracies.push(words);
    score.by_producer.push((doc.truth.producer.clone(), words));
    score.questions_found += found_in_order(
        &run.stdout,
        doc.truth.pairs.iter().map(|p| p.question.as_str()),
    );
}

fn main() {
    let mut ours: Option<String> = None;
    let mut pdftotext = "pdftotext -enc UTF-8 {} -".to_string();
    let mut corpus_dir = repo_root().join("tests/fixtures/corpus");
    let mut rounds = 5usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--ours" => ours = Some(value()),
            "--pdftotext" => pdftotext = value(),
            "--corpus" => corpus_dir = PathBuf::from(value()),
            "--rounds" => rounds = value().parse().expect("--rounds N"),
            other => panic!("unknown argument {other}"),
        }
    }
    let ours = ours.expect("--ours \"<command>\" is required");
    let documents = corpus(&corpus_dir);
    let pages: u32 = documents.iter().map(|d| d.truth.pages).sum();
    let split = |cmd: &str| cmd.split_whitespace().map(String::from).collect::<Vec<_>>();
    let tools = [
        Tool {
            name: "narratix".into(),
            command: split(&ours),
        },
        Tool {
            name: "pdftotext".into(),
            command: split(&pdftotext),
        },
    ];

    println!(
        "corpus: {} documents, {pages} pages, {} questions; {rounds} rounds, one process per file, tools taking turns on each file",
        documents.len(),
        documents.iter().map(|d| d.truth.pairs.len()).sum::<usize>()
    );
    for tool in &tools {
        println!("  {:<10} {}", tool.name, tool.command.join(" "));
    }
    // Warm the page cache and the binaries once, unmeasured.
    measure(&tools, &documents[..1], 1);
    let scores = measure(&tools, &documents, rounds);
    let (a, b) = (&scores[0], &scores[1]);
    println!();
    println!("| metric | narratix | pdftotext | ratio |");
    println!("|---|---:|---:|---:|");
    println!(
        "| pages/s (process per file) | {:.0} | {:.0} | {:.2}× |",
        a.pages_per_second(),
        b.pages_per_second(),
        a.pages_per_second() / b.pages_per_second()
    );
    println!(
        "| CPU time per file (user + system) | {:.1} ms | {:.1} ms | {:.2}× |",
        a.cpu_ms_per_file(),
        b.cpu_ms_per_file(),
        a.cpu_ms_per_file() / b.cpu_ms_per_file().max(1e-9)
    );
    println!(
        "| mean character accuracy | {:.4} | {:.4} | {:+.4} |",
        a.mean_accuracy(),
        b.mean_accuracy(),
        a.mean_accuracy() - b.mean_accuracy()
    );
    println!(
        "| min character accuracy | {:.4} | {:.4} | {:+.4} |",
        a.min_accuracy(),
        b.min_accuracy(),
        a.min_accuracy() - b.min_accuracy()
    );
    println!(
        "| mean word accuracy (spacing counts) | {:.4} | {:.4} | {:+.4} |",
        a.mean_word_accuracy(),
        b.mean_word_accuracy(),
        a.mean_word_accuracy() - b.mean_word_accuracy()
    );
    println!(
        "| questions intact, in order | {}/{} | {}/{} | |",
        a.questions_found, a.questions, b.questions_found, b.questions
    );
    println!(
        "| peak RSS | {:.1} MiB | {:.1} MiB | {:.2}× |",
        a.peak_rss_kib as f64 / 1024.0,
        b.peak_rss_kib as f64 / 1024.0,
        a.peak_rss_kib as f64 / b.peak_rss_kib.max(1) as f64
    );
    println!(
        "| min word accuracy | {:.4} | {:.4} | |",
        a.word_accuracies.iter().copied().fold(1.0, f64::min),
        b.word_accuracies.iter().copied().fold(1.0, f64::min)
    );
    println!();
    println!("Word accuracy by producer (mean / worst document):");
    println!();
    println!("| producer | docs | narratix | pdftotext |");
    println!("|---|---:|---:|---:|");
    let mut producers: Vec<&str> = a.by_producer.iter().map(|(p, _)| p.as_str()).collect();
    producers.sort_unstable();
    producers.dedup();
    for producer in producers {
        let of = |score: &Score| -> (usize, f64, f64) {
            let values: Vec<f64> = score
                .by_producer
                .iter()
                .filter(|(p, _)| p == producer)
                .map(|(_, v)| *v)
                .collect();
            let mean = values.iter().sum::<f64>() / values.len().max(1) as f64;
            (
                values.len(),
                mean,
                values.iter().copied().fold(1.0, f64::min),
            )
        };
        let ((n, am, aw), (_, bm, bw)) = (of(a), of(b));
        println!("| {producer} | {n} | {am:.4} / {aw:.4} | {bm:.4} / {bw:.4} |");
    }
    for (tool, score) in tools.iter().zip(&scores) {
        for failure in &score.failures {
            println!("{} failed on {failure}", tool.name);
        }
    }
    let accuracy_ok = a.mean_accuracy() >= b.mean_accuracy();
    let speed_ok = a.pages_per_second() >= 2.5 * b.pages_per_second();
    println!();
    println!(
        "target: accuracy ≥ pdftotext's: {}; throughput ≥ 2.5× pdftotext's: {}",
        if accuracy_ok { "met" } else { "NOT met" },
        if speed_ok { "met" } else { "NOT met" }
    );
}
