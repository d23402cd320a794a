//! `narratix label` as a user runs it, with the built-in offline labeler, on the committed
//! corpus and hostile fixtures.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn fixture(path: &str) -> String {
    PathBuf::from(
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()),
    )
    .join("../../tests/fixtures")
    .join(path)
    .to_str()
    .expect("utf-8 path")
    .to_owned()
}

/// Runs `narratix` with no AI or limit configuration from the caller's environment.
fn narratix(args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_narratix"));
    command.args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("NARRATIX_") {
            command.env_remove(name);
        }
    }
    command.output().expect("run narratix")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

fn without_whitespace(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn ground_truth(id: &str) -> Value {
    let path = fixture(&format!("corpus/{id}.json"));
    serde_json::from_slice(&std::fs::read(path).expect("ground truth")).expect("json")
}

fn extracted_text(pdf: &str) -> String {
    let output = narratix(&["extract", pdf, "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    json(&output)["text"].as_str().expect("text").to_owned()
}

#[test]
fn labels_a_corpus_file_offline_with_answers_exactly_as_extracted() {
    let id = "lo-docx-01";
    let pdf = fixture(&format!("corpus/{id}.pdf"));
    let output = narratix(&["label", &pdf, "--provider", "offline", "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    let report = json(&output);
    assert_eq!(report["succeeded"], 1);
    assert_eq!(report["failed"], 0);
    let file = &report["files"][0];
    assert_eq!(file["file"], pdf.as_str());
    assert_eq!(file["status"], "SUCCEEDED");
    assert_eq!(file["usage"]["calls"], 0, "offline makes no AI call");
    assert_eq!(file["usage"]["inputTokens"], 0);

    let truth = ground_truth(id);
    let truth_pairs = truth["pairs"].as_array().expect("pairs");
    let pairs = file["pairs"].as_array().expect("pairs");
    assert_eq!(pairs.len(), truth_pairs.len());

    let source = without_whitespace(&extracted_text(&pdf));
    for (pair, expected) in pairs.iter().zip(truth_pairs) {
        let answer = pair["answer"].as_str().expect("answer");
        assert!(
            source.contains(&without_whitespace(answer)),
            "answers are sliced from the extracted text, never rewritten"
        );
        assert_eq!(
            without_whitespace(answer),
            without_whitespace(expected["answer"].as_str().expect("truth answer"))
        );
        let key = pair["category"].as_str().expect("category key");
        let category: narratix_domain::Category = key.parse().expect("one of the 12 keys");
        assert_eq!(pair["categoryLabel"], category.label());
    }
}

#[test]
fn text_output_shows_each_pair_with_key_and_korean_label() {
    let pdf = fixture("corpus/lo-docx-01.pdf");
    let output = narratix(&["label", &pdf]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let header = text.lines().next().expect("header");
    assert!(header.starts_with(&format!("== {pdf}: ")), "{header}");
    assert!(header.contains("0 AI calls"), "{header}");
    let first = text
        .lines()
        .find(|line| line.starts_with("[1] "))
        .expect("first pair");
    let mut parts = first.splitn(3, ' ');
    let _number = parts.next();
    let key = parts.next().expect("key");
    let label = parts.next().expect("label");
    let category: narratix_domain::Category = key.parse().expect("category key");
    assert_eq!(label, category.label());
    assert!(text.lines().any(|line| line.starts_with("Q: ")));
    assert!(text.lines().any(|line| line.starts_with("A: ")));
}

#[test]
fn a_hostile_file_is_named_and_the_others_are_still_labeled() {
    let good = fixture("corpus/lo-docx-01.pdf");
    let random = fixture("hostile/random-bytes.pdf");
    let encrypted = fixture("hostile/encrypted-user-aes-256.pdf");
    let output = narratix(&["label", &random, &good, &encrypted, "--json"]);

    assert_eq!(
        output.status.code(),
        Some(2),
        "any failed file fails the command"
    );
    let report = json(&output);
    assert_eq!(report["succeeded"], 1);
    assert_eq!(report["failed"], 2);
    let files = report["files"].as_array().expect("files");
    assert_eq!(files[0]["status"], "FAILED");
    assert_eq!(files[0]["error"], "Extract.NotPdf");
    assert!(files[0]["cause"].as_str().is_some_and(|c| !c.is_empty()));
    assert_eq!(files[1]["status"], "SUCCEEDED");
    assert!(!files[1]["pairs"].as_array().expect("pairs").is_empty());
    assert_eq!(files[2]["error"], "Extract.Encrypted");

    let stderr = stderr(&output);
    assert!(
        stderr.starts_with("Extract.NotPdf: 2 of 3 files failed"),
        "{stderr}"
    );
}

#[test]
fn text_output_names_the_error_of_each_failed_file() {
    let scan = fixture("hostile/image-only-scan.pdf");
    let output = narratix(&["label", &scan]);
    assert_eq!(output.status.code(), Some(2));
    let text = stdout(&output);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(format!("== {scan}").as_str()));
    let error = lines.next().expect("error line");
    assert!(error.starts_with("Extract.NoText: "), "{error}");
}

#[test]
fn a_provider_without_its_key_is_a_named_configuration_failure() {
    let pdf = fixture("corpus/lo-docx-01.pdf");
    let output = narratix(&["label", &pdf, "--provider", "gemini"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).is_empty());
    let stderr = stderr(&output);
    assert!(stderr.starts_with("Label.Auth: "), "{stderr}");
    assert!(stderr.contains("API key"), "{stderr}");
}

#[test]
fn a_missing_file_is_input_invalid() {
    let output = narratix(&["label", "/nonexistent/letter.pdf", "--json"]);
    assert_eq!(output.status.code(), Some(2));
    let report = json(&output);
    assert_eq!(report["files"][0]["error"], "Input.Invalid");
}
