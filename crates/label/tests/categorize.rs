//! The trained categoriser on the project's held-out questions (never trained or tuned on).

use narratix_domain::Category;
use narratix_label::offline::{categorize, decide};

/// Floor for each held-out file, counting the second label (the bench prints the figures).
const MIN_HELDOUT_ACCURACY: f64 = 0.90;

#[test]
fn generalises_to_the_held_out_questions() {
    for (name, text) in [
        ("heldout.tsv", include_str!("../data/questions/heldout.tsv")),
        (
            "heldout-posting.tsv",
            include_str!("../data/questions/heldout-posting.tsv"),
        ),
        (
            "heldout-phrasing.tsv",
            include_str!("../data/questions/heldout-phrasing.tsv"),
        ),
    ] {
        let mut total = 0usize;
        let mut right = 0usize;
        let mut misses = Vec::new();
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let fields: Vec<&str> = line.splitn(3, '\t').collect();
            let [key, second, question] = fields[..] else {
                panic!("{name}: bad line {line:?}");
            };
            let want = Category::from_key(key).expect("a category key");
            let also = Category::from_key(second);
            let got = categorize(question);
            total += 1;
            if got == want || Some(got) == also {
                right += 1;
            } else {
                misses.push(format!("{key} → {}: {question}", got.key()));
            }
        }
        let accuracy = right as f64 / total as f64;
        assert!(total >= 90, "{name}: only {total} held-out questions");
        assert!(
            accuracy >= MIN_HELDOUT_ACCURACY,
            "{name}: held-out accuracy {accuracy:.3} ({right}/{total}):\n{}",
            misses.join("\n")
        );
    }
}

#[test]
fn every_decision_names_a_cue_from_the_question() {
    for question in [
        "1. 당사에 지원한 동기를 기술하십시오. (700자)",
        "[성장과정]",
        "팀 프로젝트에서 갈등을 조율한 경험을 작성해 주세요.",
        "본인 성격의 장단점은 무엇입니까?",
    ] {
        let decision = decide(question);
        let cue = decision.cue.expect("a cue");
        assert!(question.contains(&cue), "{cue:?} not in {question:?}");
    }
}
