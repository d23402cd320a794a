//! Cross-validation of the offline categoriser on its own training set: the tool for changing
//! the features or the training without looking at the held-out split.
//!
//!     cargo run --release -p narratix-label --example cv_categorize [-- --folds N] [--misses]
//!
//! Splits `data/questions/train.tsv` into N folds (every N-th question, default 5), trains on
//! the others with the same code as `build.rs`, and prints each fold's accuracy (exact, and
//! counting the second category where the file gives one) and the total. `--misses` lists the
//! questions each fold got wrong. `CV_EPOCHS`, `CV_LEARNING_RATE`, `CV_L2` and `CV_SECOND_SHARE` try other
//! training settings than `train.rs`'s.

#[path = "../src/offline/features.rs"]
#[allow(dead_code)]
mod features;
#[path = "../src/offline/train.rs"]
#[allow(dead_code)]
mod train;

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut folds = 5usize;
    let mut misses = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--folds" => match args.next().and_then(|n| n.parse().ok()) {
                Some(n) if n >= 2 => folds = n,
                _ => return usage("--folds needs a number of at least 2"),
            },
            "--misses" => misses = true,
            other => return usage(&format!("unknown argument {other}")),
        }
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/questions/train.tsv");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("{}: {error}", path.display());
            return ExitCode::FAILURE;
        }
    };
    let questions = match train::read_questions(&text, "train.tsv") {
        Ok(questions) => questions,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "## Cross-validation on train.tsv ({} questions, {folds} folds)\n",
        questions.len()
    );
    println!("| fold | questions | exact | either label |");
    println!("|---:|---:|---:|---:|");
    let (mut total, mut exact, mut either) = (0, 0, 0);
    let mut missed = Vec::new();
    for fold in 0..folds {
        let training: Vec<&train::Labeled> = questions
            .iter()
            .enumerate()
            .filter(|(at, _)| at % folds != fold)
            .map(|(_, q)| q)
            .collect();
        let setting = |name: &str, default: f64| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        };
        let weights = train::train_with(
            &train::featurize(&training),
            setting("CV_EPOCHS", train::EPOCHS as f64) as usize,
            setting("CV_LEARNING_RATE", train::LEARNING_RATE),
            setting("CV_L2", train::L2),
            setting("CV_SECOND_SHARE", train::SECOND_SHARE),
        )
        .sorted();
        let (mut n, mut e, mut any) = (0, 0, 0);
        for question in questions
            .iter()
            .enumerate()
            .filter(|(at, _)| at % folds == fold)
            .map(|(_, q)| q)
        {
            let predicted = weights
                .classify(&question.question)
                .unwrap_or(train::CLASSES - 1);
            n += 1;
            if predicted == question.class {
                e += 1;
            }
            if predicted == question.class || Some(predicted) == question.second {
                any += 1;
            } else {
                missed.push((
                    features::CATEGORY_KEYS[question.class],
                    features::CATEGORY_KEYS[predicted],
                    question.question.as_str(),
                ));
            }
        }
        println!(
            "| {} | {n} | {:.3} | {:.3} |",
            fold + 1,
            ratio(e, n),
            ratio(any, n)
        );
        total += n;
        exact += e;
        either += any;
    }
    println!(
        "| all | {total} | **{:.3}** ({exact}) | **{:.3}** ({either}) |",
        ratio(exact, total),
        ratio(either, total)
    );
    if misses {
        println!();
        missed.sort();
        for (truth, predicted, question) in missed {
            println!("- {truth} ← {predicted}: {question}");
        }
    }
    ExitCode::SUCCESS
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("{problem}\nusage: cv_categorize [--folds N] [--misses]");
    ExitCode::from(2)
}
