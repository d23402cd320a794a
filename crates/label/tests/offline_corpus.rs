//! The offline labeler against the fixture corpus's ground truth (issue 3's bar): pair F1 at
//! least 0.98, category accuracy at least 0.90, and every matched answer identical to the
//! source text after whitespace normalisation.

mod offline_support;

use offline_support::{
    corpus_dir, label_offline, load_corpus, score_document, score_extracted, score_ground_truth,
    similarity, Predicted, TruePair,
};

use narratix_domain::Category;

const MIN_PAIR_F1: f64 = 0.98;
const MIN_CATEGORY_ACCURACY: f64 = 0.90;

#[test]
fn meets_the_bar_on_the_corpus_ground_truth() {
    let corpus = load_corpus(&corpus_dir()).expect("the fixture corpus loads");
    assert!(
        corpus.len() >= 10,
        "expected the fixture corpus, found {} documents",
        corpus.len()
    );
    let report = score_ground_truth(&corpus);
    let misses: Vec<String> = report
        .documents
        .iter()
        .flat_map(|doc| doc.misses.iter().map(move |m| format!("{}: {m}", doc.id)))
        .collect();
    let summary = format!(
        "P {:.4} R {:.4} F1 {:.4}, identity {:.4}, categories {:.4}\n{}",
        report.precision(),
        report.recall(),
        report.f1(),
        report.answer_identity(),
        report.category_accuracy(),
        misses.join("\n")
    );
    assert!(
        report.f1() >= MIN_PAIR_F1,
        "pair F1 below {MIN_PAIR_F1}: {summary}"
    );
    assert!(
        report.category_accuracy() >= MIN_CATEGORY_ACCURACY,
        "category accuracy below {MIN_CATEGORY_ACCURACY}: {summary}"
    );
    assert_eq!(
        report.identical_answers, report.hits,
        "every matched answer must be the source text: {summary}"
    );
}

/// End to end, on what `narratix-extract` gets out of the PDFs: lower bars, since extraction
/// differences (a paragraph joined to its heading, a stray space) are not the splitter's; the
/// answers' bounds (spaces ignored) must still be right almost everywhere.
#[test]
fn holds_up_on_extracted_text() {
    let dir = corpus_dir();
    let corpus = load_corpus(&dir).expect("the fixture corpus loads");
    let report = score_extracted(&dir, &corpus).expect("every corpus PDF extracts");
    let summary = format!(
        "P {:.4} R {:.4} F1 {:.4}, identity {:.4}, bounds {:.4}, categories {:.4}",
        report.precision(),
        report.recall(),
        report.f1(),
        report.answer_identity(),
        report.bounds_identity(),
        report.category_accuracy()
    );
    assert!(report.f1() >= MIN_PAIR_F1, "{summary}");
    assert!(report.answer_identity() >= 0.90, "{summary}");
    assert!(report.bounds_identity() >= 0.97, "{summary}");
    assert!(
        report.category_accuracy() >= MIN_CATEGORY_ACCURACY,
        "{summary}"
    );
    let (confident, exact) = report.confident_documents();
    assert_eq!(confident, exact, "a confident split was wrong: {summary}");
}

#[test]
fn confident_splits_are_exact() {
    // The hybrid mode trusts a confident split and only asks the model for categories.
    let corpus = load_corpus(&corpus_dir()).expect("the fixture corpus loads");
    let report = score_ground_truth(&corpus);
    let (confident, exact) = report.confident_documents();
    assert!(confident > 0, "no document was split confidently");
    assert_eq!(confident, exact, "a confident split was wrong");
}

#[test]
fn labeling_is_deterministic() {
    let corpus = load_corpus(&corpus_dir()).expect("the fixture corpus loads");
    for fixture in &corpus {
        let (first, first_confident) = label_offline(&fixture.text);
        let (second, second_confident) = label_offline(&fixture.text);
        assert_eq!(first_confident, second_confident, "{}", fixture.id);
        assert_eq!(
            format!("{first:?}"),
            format!("{second:?}"),
            "{}",
            fixture.id
        );
    }
}

fn pair(question: &str, answer: &str, category: Category) -> TruePair {
    TruePair {
        question: question.into(),
        answer: answer.into(),
        category,
    }
}

fn predicted(question: &str, answer: &str, category: Category) -> Predicted {
    Predicted {
        question: question.into(),
        answer: answer.into(),
        category,
    }
}

#[test]
fn scoring_matches_by_best_assignment() {
    // Greedy matching would give the second prediction's question to the first truth; the
    // assignment keeps both right.
    let truth = [
        pair(
            "1. 지원 동기를 기술하시오.",
            "저는 A입니다.",
            Category::Motivation,
        ),
        pair(
            "2. 지원 동기와 포부를 기술하시오.",
            "저는 B입니다.",
            Category::FuturePlan,
        ),
    ];
    let predictions = [
        predicted(
            "2. 지원 동기와 포부를 기술하시오.",
            "저는  B입니다.",
            Category::FuturePlan,
        ),
        predicted(
            "1. 지원 동기를 기술하시오.",
            "저는 A입니다.",
            Category::Other,
        ),
        predicted("자기소개서", "", Category::Other),
    ];
    let doc = score_document("t", &truth, &predictions, false);
    assert_eq!((doc.truth, doc.predicted, doc.hits), (2, 3, 2));
    assert_eq!(doc.identical_answers, 2, "whitespace is normalised");
    assert_eq!(doc.correct_categories, 1);
    assert!(doc.misses.iter().any(|m| m.starts_with("spurious")));
    assert!(similarity("지원 동기", "지원동기") > 0.99);
    assert!(similarity("지원 동기", "실패 경험") < 0.1);
    // Characters, not bytes: a question with a stray applicant line still matches.
    assert!(
        similarity(
            "지원자: 조민서 성장과정에서 가장 기억에 남는 경험을 서술해 주세요.",
            "성장과정에서 가장 기억에 남는 경험을 서술해 주세요."
        ) > 0.7
    );
}
