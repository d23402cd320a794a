//! Accuracy on the fixture corpus: mean character accuracy ≥ 0.998, none below 0.99, every
//! question intact and in order (except where the layout puts a wrapped question in a cell beside
//! its answer: see `Truth::questions_beside_answers`).

#[path = "support/mod.rs"]
mod support;

use narratix_extract::{extract, Limits};
use support::{accuracy, corpus, found_in_order, repo_root};

#[test]
fn corpus_accuracy_and_questions() {
    let documents = corpus(&repo_root().join("tests/fixtures/corpus"));
    assert!(documents.len() >= 10, "corpus missing: {}", documents.len());
    let limits = Limits::default();
    let mut scores = Vec::new();
    let mut failures = Vec::new();
    for doc in &documents {
        let bytes = std::fs::read(&doc.pdf).expect("read pdf");
        let extracted =
            extract(&bytes, &limits).unwrap_or_else(|e| panic!("{}: {e}", doc.truth.id));
        let score = accuracy(&extracted.text, &doc.truth.text);
        let questions = doc.truth.pairs.iter().map(|p| p.question.as_str());
        let intact = found_in_order(&extracted.text, questions);
        let answers = found_in_order(
            &extracted.text,
            doc.truth.pairs.iter().map(|p| p.answer.as_str()),
        );
        println!(
            "{:<20} accuracy {score:.4}  questions {intact}/{n}  answers {answers}/{n}  pages {}",
            doc.truth.id,
            extracted.pages,
            n = doc.truth.pairs.len()
        );
        assert_eq!(extracted.pages, doc.truth.pages, "{}", doc.truth.id);
        assert!(!extracted.truncated, "{}", doc.truth.id);
        let questions_ok = intact == doc.truth.pairs.len() || doc.truth.questions_beside_answers();
        if score < 0.99 || !questions_ok {
            failures.push(format!(
                "{}: accuracy {score:.4}, questions {intact}/{}",
                doc.truth.id,
                doc.truth.pairs.len()
            ));
        }
        scores.push(score);
    }
    let mean = scores.iter().sum::<f64>() / scores.len() as f64;
    println!("mean accuracy {mean:.5} over {} documents", scores.len());
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(mean >= 0.998, "mean accuracy {mean:.5}");
}
