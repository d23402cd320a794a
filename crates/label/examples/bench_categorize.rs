//! Accuracy and speed of the offline categoriser, beside the hand-weighted phrase table it
//! replaced, in the same run.
//!
//!     cargo run --release -p narratix-label --example bench_categorize [-- --misses SET]
//!
//! Sets, each printed with its size and where it comes from:
//! - `heldout`: `crates/label/data/questions/heldout.tsv`, the project's own questions kept out
//!   of training and never tuned on;
//! - `heldout-posting`: `heldout-posting.tsv`, a second held-out batch written like real
//!   postings (long, compound, a statement about the company first), never tuned on either;
//! - `heldout-phrasing`: `heldout-phrasing.tsv`, a third held-out batch in phrasings the others
//!   use little (numbered sub-questions, `~에 대해 기술해 주십시오`, limits in every bracket
//!   style), written before the in-word features and the fourth training batch;
//! - `train`: the training set itself (how well the model fits what it learned from);
//! - `corpus`: the questions of the fixture corpus (`tests/fixtures/corpus/*.json`);
//! - `real`: `../shared/eval/real-questions/questions.jsonl` when present (real employers'
//!   questions, for measuring only), exact, either label and on the unambiguous ones.
//!
//! `--misses SET` lists that set's misses, `--confusion SET` prints its confusion matrix.

#[path = "legacy/rules.rs"]
mod legacy;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use narratix_domain::Category;
use narratix_label::offline::{categorize, TRAINED_ON};
use serde::Deserialize;

struct Question {
    text: String,
    category: Category,
    second: Option<Category>,
    ambiguous: bool,
}

struct Set {
    name: &'static str,
    source: String,
    questions: Vec<Question>,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn tsv(name: &'static str, path: &Path) -> Result<Set, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut questions = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let fields: Vec<&str> = line.splitn(3, '\t').collect();
        let [key, second, question] = fields[..] else {
            return Err(format!("{}: bad line {line:?}", path.display()));
        };
        questions.push(Question {
            text: question.to_owned(),
            category: Category::from_key(key).ok_or_else(|| format!("bad key {key}"))?,
            second: Category::from_key(second),
            ambiguous: Category::from_key(second).is_some(),
        });
    }
    Ok(Set {
        name,
        source: format!("{} (the project's own, {name})", relative(path)),
        questions,
    })
}

#[derive(Deserialize)]
struct CorpusFile {
    pairs: Vec<CorpusPair>,
}

#[derive(Deserialize)]
struct CorpusPair {
    question: String,
    category: Category,
}

fn corpus(dir: &Path) -> Result<Set, String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    let mut questions = Vec::new();
    for path in &paths {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let file: CorpusFile =
            serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        questions.extend(file.pairs.into_iter().map(|pair| Question {
            text: pair.question,
            category: pair.category,
            second: None,
            ambiguous: false,
        }));
    }
    Ok(Set {
        name: "corpus",
        source: format!("{} ({} documents)", relative(dir), paths.len()),
        questions,
    })
}

#[derive(Deserialize)]
struct RealQuestion {
    question: String,
    category: Category,
    #[serde(default)]
    second: Option<Category>,
    #[serde(default)]
    ambiguous: u8,
    #[serde(default)]
    source: String,
}

fn real(path: &Path) -> Result<Option<Set>, String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(None);
    };
    let mut questions = Vec::new();
    let mut repositories: BTreeMap<String, usize> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let q: RealQuestion =
            serde_json::from_str(line).map_err(|e| format!("{}: {e}", path.display()))?;
        let repository = match q.source.split_once("://") {
            Some((_, rest)) => rest.split('/').next().unwrap_or("?").to_owned(),
            None => q.source.split(':').next().unwrap_or("?").to_owned(),
        };
        *repositories.entry(repository).or_default() += 1;
        questions.push(Question {
            text: q.question,
            category: q.category,
            second: q.second,
            ambiguous: q.ambiguous != 0,
        });
    }
    let sources: Vec<String> = repositories
        .iter()
        .map(|(repo, n)| format!("{repo} ×{n}"))
        .collect();
    Ok(Some(Set {
        name: "real",
        source: format!("{} (real postings: {})", relative(path), sources.join(", ")),
        questions,
    }))
}

fn relative(path: &Path) -> String {
    let root = root().canonicalize().unwrap_or_else(|_| root());
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    match path.strip_prefix(&root) {
        Ok(rest) => rest.display().to_string(),
        Err(_) => match path.strip_prefix(root.parent().unwrap_or(&root)) {
            Ok(rest) => format!("../{}", rest.display()),
            Err(_) => path.display().to_string(),
        },
    }
}

#[derive(Default, Clone, Copy)]
struct Score {
    total: usize,
    exact: usize,
    either: usize,
    clear_total: usize,
    clear_exact: usize,
    other: usize,
}

fn score(set: &Set, classify: impl Fn(&str) -> Category) -> Score {
    let mut s = Score::default();
    for q in &set.questions {
        let got = classify(&q.text);
        s.total += 1;
        s.exact += usize::from(got == q.category);
        s.either += usize::from(got == q.category || Some(got) == q.second);
        if !q.ambiguous {
            s.clear_total += 1;
            s.clear_exact += usize::from(got == q.category);
        }
        s.other += usize::from(got == Category::Other && q.category != Category::Other);
    }
    s
}

fn ratio(n: usize, d: usize) -> String {
    if d == 0 {
        "–".to_owned()
    } else {
        format!("{:.3} ({n}/{d})", n as f64 / d as f64)
    }
}

/// Mean time per question over enough rounds to take about `budget_ms`.
fn time_per_question(set: &[&str], classify: impl Fn(&str) -> Category) -> f64 {
    let mut rounds = 0u32;
    let start = Instant::now();
    while start.elapsed().as_millis() < 300 || rounds < 3 {
        for q in set {
            std::hint::black_box(classify(std::hint::black_box(q)));
        }
        rounds += 1;
    }
    start.elapsed().as_secs_f64() * 1e6 / (f64::from(rounds) * set.len() as f64)
}

fn main() -> std::process::ExitCode {
    let mut misses: Option<String> = None;
    let mut confusion: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--misses" => misses = args.next(),
            "--confusion" => confusion = args.next(),
            other => {
                eprintln!("unknown argument {other}; usage: bench_categorize [--misses SET] [--confusion SET]");
                return std::process::ExitCode::from(2);
            }
        }
    }
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/questions");
    let mut sets = Vec::new();
    for loaded in [
        tsv("heldout", &data.join("heldout.tsv")),
        tsv("heldout-posting", &data.join("heldout-posting.tsv")),
        tsv("heldout-phrasing", &data.join("heldout-phrasing.tsv")),
        tsv("train", &data.join("train.tsv")),
        corpus(&root().join("tests/fixtures/corpus")),
    ] {
        match loaded {
            Ok(set) => sets.push(set),
            Err(error) => {
                eprintln!("{error}");
                return std::process::ExitCode::FAILURE;
            }
        }
    }
    let shared = root().join("../shared/eval/real-questions/questions.jsonl");
    match real(&shared) {
        Ok(Some(set)) => sets.push(set),
        Ok(None) => println!(
            "(skipping the real-questions set: {} is not here)\n",
            shared.display()
        ),
        Err(error) => {
            eprintln!("{error}");
            return std::process::ExitCode::FAILURE;
        }
    }

    println!("## Offline categoriser (model trained on {TRAINED_ON} questions at build time)\n");
    for set in &sets {
        println!(
            "- `{}`: {} questions — {}",
            set.name,
            set.questions.len(),
            set.source
        );
    }
    println!();
    println!(
        "| set | categoriser | exact | either label | unambiguous only | predicted OTHER wrongly |"
    );
    println!("|---|---|---:|---:|---:|---:|");
    for set in &sets {
        for (name, s) in [
            ("trained model", score(set, categorize)),
            ("phrase table (before)", score(set, legacy::categorize)),
        ] {
            println!(
                "| {} | {name} | {} | {} | {} | {} |",
                set.name,
                ratio(s.exact, s.total),
                ratio(s.either, s.total),
                ratio(s.clear_exact, s.clear_total),
                s.other
            );
        }
    }
    let all: Vec<&str> = sets
        .iter()
        .flat_map(|s| s.questions.iter().map(|q| q.text.as_str()))
        .collect();
    let model = time_per_question(&all, categorize);
    let table = time_per_question(&all, legacy::categorize);
    println!();
    println!(
        "Speed over all {} questions: trained model {model:.2} µs per question, phrase table \
         {table:.2} µs ({:.2}×).",
        all.len(),
        model / table
    );
    if let Some(name) = confusion {
        if let Some(set) = sets.iter().find(|s| s.name == name) {
            print_confusion(set);
        }
    }
    if let Some(name) = misses {
        if let Some(set) = sets.iter().find(|s| s.name == name) {
            println!("\n### Misses on `{name}`\n");
            for q in &set.questions {
                let got = categorize(&q.text);
                if got != q.category && Some(got) != q.second {
                    println!("- {} → {}: {}", q.category.key(), got.key(), q.text);
                }
            }
        }
    }
    std::process::ExitCode::SUCCESS
}

/// Rows: the set's label; columns: the model's; a prediction matching the second label counts
/// on the diagonal.
fn print_confusion(set: &Set) {
    let mut counts = [[0usize; 12]; 12];
    for q in &set.questions {
        let got = categorize(&q.text);
        let truth = if Some(got) == q.second {
            got
        } else {
            q.category
        };
        let row = Category::ALL.iter().position(|c| *c == truth).unwrap_or(11);
        let col = Category::ALL.iter().position(|c| *c == got).unwrap_or(11);
        counts[row][col] += 1;
    }
    println!(
        "\n### Confusion on `{}` (rows: label, columns: predicted)\n",
        set.name
    );
    print!("| |");
    for c in Category::ALL {
        print!(" {} |", &c.key()[..4]);
    }
    println!();
    println!("|---|{}", "---:|".repeat(12));
    for (row, c) in Category::ALL.iter().enumerate() {
        print!("| {} |", c.key());
        for n in counts[row] {
            print!(" {n} |");
        }
        println!();
    }
}
