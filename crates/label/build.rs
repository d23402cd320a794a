//! Trains the offline categoriser at build time (`src/offline/train.rs`) on the committed
//! questions in `data/questions/train.tsv` and writes the model to
//! `$OUT_DIR/category_model.rs` as a table sorted by feature name.

#[path = "src/offline/features.rs"]
#[allow(dead_code)]
mod features;
#[path = "src/offline/train.rs"]
#[allow(dead_code)]
mod train;

use std::fmt::Write as _;
use std::path::Path;

use train::{Weights, CLASSES};

const TRAINING_SET: &str = "data/questions/train.tsv";
/// Weights smaller than this in every column are left out of the table.
const MIN_WEIGHT: f64 = 1e-3;

fn main() {
    println!("cargo:rerun-if-changed={TRAINING_SET}");
    println!("cargo:rerun-if-changed=src/offline/features.rs");
    println!("cargo:rerun-if-changed=src/offline/train.rs");
    let text = std::fs::read_to_string(TRAINING_SET)
        .unwrap_or_else(|error| panic!("cannot read {TRAINING_SET}: {error}"));
    let questions =
        train::read_questions(&text, TRAINING_SET).unwrap_or_else(|error| panic!("{error}"));
    assert!(!questions.is_empty(), "{TRAINING_SET} has no questions");
    let all: Vec<&train::Labeled> = questions.iter().collect();
    let weights = train::train(&train::featurize(&all));
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let source = render(&weights, questions.len());
    std::fs::write(Path::new(&out_dir).join("category_model.rs"), source)
        .expect("cannot write the category model");
}

fn render(weights: &Weights, examples: usize) -> String {
    let mut rows: Vec<(&str, &[f64; CLASSES])> = weights
        .names
        .iter()
        .map(String::as_str)
        .zip(&weights.rows)
        .filter(|(_, row)| row.iter().any(|w| w.abs() >= MIN_WEIGHT))
        .collect();
    rows.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = String::new();
    let _ = writeln!(out, "/// Questions the model was trained on.");
    let _ = writeln!(out, "pub const TRAINED_ON: usize = {examples};");
    let _ = writeln!(
        out,
        "/// Feature name → weight per category (`Category::ALL` order), sorted by name."
    );
    let _ = writeln!(out, "pub(crate) static WEIGHTS: &[(&str, [f32; 12])] = &[");
    for (name, row) in rows {
        let _ = write!(out, "    ({name:?}, [");
        for (i, w) in row.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{:.5}", *w as f32);
        }
        out.push_str("]),\n");
    }
    out.push_str("];\n");
    out
}
