//! Accuracy of the built-in offline labeler on the fixture corpus.
//!
//!     cargo run -p narratix-label --example bench_offline [-- --details] [--ground-truth-only] [--corpus DIR]
//!
//! Labels every `tests/fixtures/corpus/<id>.json` ground-truth `text`, and the text that
//! `narratix-extract` gets out of each `<id>.pdf`, and prints as Markdown, side by side: pair
//! precision / recall / F1 (pairs matched to the truth by best assignment), the rate of
//! matched answers identical to the truth after whitespace normalisation, category accuracy,
//! how many documents the splitter called confident (and how many of those it split exactly)
//! and the 12×12 confusion matrix. `--details` lists every miss.

#[path = "../tests/offline_support/mod.rs"]
mod offline_support;

use std::path::PathBuf;
use std::process::ExitCode;

use narratix_domain::Category;
use offline_support::{corpus_dir, load_corpus, score_ground_truth, Report};

fn main() -> ExitCode {
    let mut details = false;
    let mut extracted = true;
    let mut corpus = corpus_dir();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--details" => details = true,
            "--ground-truth-only" => extracted = false,
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
    let mut reports = vec![("ground-truth text", score_ground_truth(&fixtures))];
    if extracted {
        match offline_support::score_extracted(&corpus, &fixtures) {
            Ok(report) => reports.push(("text extracted from the PDF", report)),
            Err(error) => {
                eprintln!("extraction failed: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    print_reports(fixtures.len(), &reports);
    if details {
        for (title, report) in &reports {
            print_details(title, report);
        }
    }
    ExitCode::SUCCESS
}

fn usage(problem: &str) -> ExitCode {
    if !problem.is_empty() {
        eprintln!("{problem}");
    }
    eprintln!("usage: bench_offline [--details] [--ground-truth-only] [--corpus DIR]");
    if problem.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}

fn print_reports(documents: usize, reports: &[(&str, Report)]) {
    println!("## Offline labeler accuracy ({documents} corpus documents)");
    println!();
    print!("| |");
    for (title, _) in reports {
        print!(" {title} |");
    }
    println!();
    print!("|---|");
    for _ in reports {
        print!("---:|");
    }
    println!();
    let row = |name: &str, cell: &dyn Fn(&Report) -> String| {
        print!("| {name} |");
        for (_, report) in reports {
            print!(" {} |", cell(report));
        }
        println!();
    };
    row("pairs (truth / predicted / matched)", &|r| {
        format!("{} / {} / {}", r.truth, r.predicted, r.hits)
    });
    row("pair precision", &|r| format!("{:.4}", r.precision()));
    row("pair recall", &|r| format!("{:.4}", r.recall()));
    row("pair F1", &|r| format!("{:.4}", r.f1()));
    row("answer identity", &|r| {
        format!(
            "{:.4} ({}/{})",
            r.answer_identity(),
            r.identical_answers,
            r.hits
        )
    });
    row("category accuracy", &|r| {
        format!(
            "{:.4} ({}/{})",
            r.category_accuracy(),
            r.correct_categories,
            r.hits
        )
    });
    row("confident splits (exact)", &|r| {
        let (confident, exact) = r.confident_documents();
        format!("{confident}/{} ({exact})", r.documents.len())
    });
    println!();
    println!(
        "Pairs are matched to the truth by best assignment on question similarity; an answer is \
         identical when it equals the truth after whitespace normalisation."
    );
    for (title, report) in reports {
        println!();
        println!("Category confusion on the {title} (rows: truth, columns: predicted):");
        println!();
        print!("| |");
        for category in Category::ALL {
            print!(" {} |", category.key());
        }
        println!();
        print!("|---|");
        for _ in Category::ALL {
            print!("---:|");
        }
        println!();
        for (row, category) in Category::ALL.iter().enumerate() {
            print!("| {} |", category.key());
            for count in report.confusion[row] {
                print!(" {count} |");
            }
            println!();
        }
    }
}

fn print_details(title: &str, report: &Report) {
    println!();
    println!("### Misses on the {title}");
    println!();
    for doc in &report.documents {
        println!(
            "- {}: truth {}, predicted {}, matched {}, identical {}, categories {}, confident {}",
            doc.id,
            doc.truth,
            doc.predicted,
            doc.hits,
            doc.identical_answers,
            doc.correct_categories,
            doc.confident
        );
        for miss in &doc.misses {
            println!("  - {miss}");
        }
    }
}
