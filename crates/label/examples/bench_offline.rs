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
use offline_support::{
    corpus_dir, load_corpus, prefill_offline, score_ground_truth, DocScore, Fixture, Report,
};

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
    if let Some((title, report)) = reports.last() {
        print_groups(title, report, &fixtures);
    }
    print_prefill(&corpus, &fixtures);
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
    row("answer bounds identical (spaces ignored)", &|r| {
        format!("{:.4} ({}/{})", r.bounds_identity(), r.same_bounds, r.hits)
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
         identical when it equals the truth after whitespace normalisation, and its bounds are \
         when it does with every space removed (a space the extractor lost or added is not the \
         split's doing)."
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
            "- {}: truth {}, predicted {}, matched {}, identical {}, bounds {}, categories {}, confident {}",
            doc.id,
            doc.truth,
            doc.predicted,
            doc.hits,
            doc.identical_answers,
            doc.same_bounds,
            doc.correct_categories,
            doc.confident
        );
        for miss in &doc.misses {
            println!("  - {miss}");
        }
    }
}

/// Figures per layout and per split (documents tuned on, documents held out).
fn print_groups(title: &str, report: &Report, fixtures: &[Fixture]) {
    let fixture = |id: &str| fixtures.iter().find(|f| f.id == id);
    let mut layouts: Vec<String> = fixtures.iter().map(Fixture::layout_name).collect();
    layouts.sort();
    layouts.dedup();
    println!();
    println!("Per layout, on the {title}:");
    println!();
    println!("| layout | documents (held out) | pairs (truth / predicted / matched) | precision | recall | F1 | answers identical | bounds identical |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let group = |keep: &dyn Fn(&Fixture) -> bool| -> (usize, Report) {
        let docs: Vec<DocScore> = report
            .documents
            .iter()
            .filter(|d| fixture(&d.id).is_some_and(keep))
            .cloned()
            .collect();
        let held_out = docs
            .iter()
            .filter(|d| fixture(&d.id).is_some_and(Fixture::held_out))
            .count();
        (held_out, Report::from_documents(docs))
    };
    let row = |name: &str, held_out: usize, r: &Report| {
        println!(
            "| {name} | {} ({held_out}) | {} / {} / {} | {:.3} | {:.3} | {:.3} | {}/{} | {}/{} |",
            r.documents.len(),
            r.truth,
            r.predicted,
            r.hits,
            r.precision(),
            r.recall(),
            r.f1(),
            r.identical_answers,
            r.hits,
            r.same_bounds,
            r.hits
        );
    };
    for layout in &layouts {
        let (held_out, r) = group(&|f: &Fixture| &f.layout_name() == layout);
        row(layout, held_out, &r);
    }
    println!();
    println!("Per split, on the {title}:");
    println!();
    println!("| split | documents | pairs (truth / predicted / matched) | precision | recall | F1 | answers identical | bounds identical |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let (_, tuned) = group(&|f: &Fixture| !f.held_out());
    row("corpus (tuned on)", 0, &tuned);
    let (held_out, held) = group(&Fixture::held_out);
    row("held out (new texts and layouts)", held_out, &held);
}

/// How many of the save-form fields the documents state were suggested right, from the
/// text extracted from each PDF.
fn print_prefill(corpus: &std::path::Path, fixtures: &[Fixture]) {
    let with_truth: Vec<&Fixture> = fixtures.iter().filter(|f| f.prefill.is_some()).collect();
    if with_truth.is_empty() {
        return;
    }
    let limits = narratix_extract::Limits::default();
    let fields = ["company", "position", "year", "half"];
    let mut right = [0usize; 4];
    let mut stated = [0usize; 4];
    let mut wrong_guesses = [0usize; 4];
    for fixture in &with_truth {
        let Ok(bytes) = std::fs::read(corpus.join(format!("{}.pdf", fixture.id))) else {
            continue;
        };
        let Ok(extracted) = narratix_extract::extract(&bytes, &limits) else {
            continue;
        };
        let got = serde_json::to_value(prefill_offline(&extracted.text)).unwrap_or_default();
        let truth = fixture.prefill.clone().unwrap_or_default();
        for (at, field) in fields.iter().enumerate() {
            let want = &truth[*field];
            let value = &got[*field]["value"];
            if want.is_null() {
                wrong_guesses[at] += usize::from(!value.is_null());
            } else {
                stated[at] += 1;
                right[at] += usize::from(value == want);
            }
        }
    }
    println!();
    println!(
        "Save-form prefill from the extracted text ({} documents that carry the truth):",
        with_truth.len()
    );
    println!();
    println!("| field | right / stated in the text | suggested where the text says nothing |");
    println!("|---|---:|---:|");
    for (at, field) in fields.iter().enumerate() {
        println!(
            "| {field} | {}/{} | {} |",
            right[at], stated[at], wrong_guesses[at]
        );
    }
}
