//! Accuracy of the built-in offline labeler on the fixture corpus.
//!
//!     cargo run -p narratix-label --example bench_offline [-- --details] [-- --corpus DIR]
//!
//! Labels every `tests/fixtures/corpus/<id>.json` ground-truth `text` and prints pair
//! precision / recall / F1 (pairs matched to the truth by best assignment), the rate of
//! matched answers identical to the truth after whitespace normalisation, category accuracy
//! and the 12×12 confusion matrix. With `--extracted`, the same on the text that
//! `narratix-extract` gets out of each `<id>.pdf`. `--details` lists every miss.

#[path = "../tests/offline_support/mod.rs"]
mod offline_support;

use std::path::PathBuf;
use std::process::ExitCode;

use narratix_domain::Category;
use offline_support::{corpus_dir, load_corpus, score_ground_truth, Report};

fn main() -> ExitCode {
    let mut details = false;
    let mut extracted = false;
    let mut corpus = corpus_dir();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--details" => details = true,
            "--extracted" => extracted = true,
            "--corpus" => match args.next() {
                Some(dir) => corpus = PathBuf::from(dir),
                None => return usage("--corpus needs a directory"),
            },
            "-h" | "--help" => return usage(""),
            other => return usage(&format!("unknown argument {other}")),
        }
    }
    let fixtures = match load_corpus(&corpus) {
        Ok(fixtures) if !fixtures.is_empty() => fixtures,
        Ok(_) => {
            eprintln!("no fixtures in {}", corpus.display());
            return ExitCode::FAILURE;
        }
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "offline labeler on {} documents of {}",
        fixtures.len(),
        corpus.display()
    );
    print_report("ground-truth text", &score_ground_truth(&fixtures), details);
    if extracted {
        match offline_support::score_extracted(&corpus, &fixtures) {
            Ok(report) => print_report("text extracted from the PDFs", &report, details),
            Err(error) => {
                eprintln!("extraction failed: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

fn usage(problem: &str) -> ExitCode {
    if !problem.is_empty() {
        eprintln!("{problem}");
    }
    eprintln!("usage: bench_offline [--details] [--extracted] [--corpus DIR]");
    if problem.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}

fn print_report(title: &str, report: &Report, details: bool) {
    println!();
    println!("== {title} ==");
    println!(
        "pairs: truth {}, predicted {}, matched {}",
        report.truth, report.predicted, report.hits
    );
    println!(
        "pair precision {:.4}  recall {:.4}  F1 {:.4}",
        report.precision(),
        report.recall(),
        report.f1()
    );
    println!(
        "answer identity {:.4} ({}/{})",
        report.answer_identity(),
        report.identical_answers,
        report.hits
    );
    println!(
        "category accuracy {:.4} ({}/{})",
        report.category_accuracy(),
        report.correct_categories,
        report.hits
    );
    let (confident, exact) = report.confident_documents();
    println!(
        "confident splits: {confident}/{} documents, {exact} of them exact",
        report.documents.len()
    );
    println!();
    println!("confusion matrix (rows: truth, columns: predicted)");
    let short: Vec<String> = Category::ALL
        .iter()
        .map(|c| c.key().chars().take(5).collect())
        .collect();
    print!("{:>20}", "");
    for name in &short {
        print!(" {name:>5}");
    }
    println!();
    for (row, category) in Category::ALL.iter().enumerate() {
        print!("{:>20}", category.key());
        for count in report.confusion[row] {
            print!(" {count:>5}");
        }
        println!();
    }
    if details {
        println!();
        for doc in &report.documents {
            println!(
                "{}: truth {}, predicted {}, matched {}, identical {}, categories {}, confident {}",
                doc.id,
                doc.truth,
                doc.predicted,
                doc.hits,
                doc.identical_answers,
                doc.correct_categories,
                doc.confident
            );
            for miss in &doc.misses {
                println!("    {miss}");
            }
        }
    }
}
