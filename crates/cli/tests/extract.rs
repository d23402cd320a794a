//! `narratix extract` as a user runs it: one process per file, on the committed fixtures.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()),
    )
    .join("../../tests/fixtures")
}

fn narratix(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_narratix"));
    command.args(args);
    for name in [
        "NARRATIX_MAX_BYTES",
        "NARRATIX_MAX_PAGES",
        "NARRATIX_MAX_CHARS",
        "NARRATIX_MAX_DECOMPRESSED_BYTES",
        "NARRATIX_EXTRACT_TIMEOUT_MS",
        "NARRATIX_EXTRACT_MEMORY_MB",
    ] {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    command.output().expect("run narratix")
}

fn extract(file: &str, extra: &[&str]) -> Output {
    let path = fixtures().join(file);
    let mut args = vec!["extract", path.to_str().expect("utf-8 path")];
    args.extend_from_slice(extra);
    narratix(&args, &[])
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn without_whitespace(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn ground_truth(id: &str) -> Value {
    let path = fixtures().join(format!("corpus/{id}.json"));
    serde_json::from_slice(&std::fs::read(path).expect("ground truth")).expect("json")
}

/// Checks a named failure: exit status 2, nothing on stdout, one stderr line
/// `<name>: <cause>` with `name` among `names`.
fn check_failure(output: &Output, names: &[&str]) -> Result<(), String> {
    let stderr = stderr(output);
    if output.status.code() != Some(2) {
        return Err(format!(
            "exit {:?}, stderr {stderr:?}",
            output.status.code()
        ));
    }
    if !output.stdout.is_empty() {
        return Err("stdout not empty".into());
    }
    let line = stderr.trim_end_matches('\n');
    if line.contains('\n') {
        return Err(format!("stderr is not one line: {stderr:?}"));
    }
    let (name, cause) = line.split_once(": ").unwrap_or((line, ""));
    if !names.contains(&name) {
        return Err(format!("expected one of {names:?}, got {line:?}"));
    }
    if cause.trim().is_empty() {
        return Err(format!("no cause in {line:?}"));
    }
    Ok(())
}

fn assert_fails_with(output: &Output, names: &[&str], what: &str) {
    if let Err(problem) = check_failure(output, names) {
        panic!("{what}: {problem}");
    }
}

#[test]
fn prints_the_text_with_every_question_in_order() {
    let truth = ground_truth("lo-docx-01");
    let output = extract("corpus/lo-docx-01.pdf", &[]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let text = without_whitespace(&stdout(&output));
    let mut from = 0;
    for pair in truth["pairs"].as_array().expect("pairs") {
        let question = without_whitespace(pair["question"].as_str().expect("question"));
        let found = text[from..]
            .find(&question)
            .unwrap_or_else(|| panic!("question {question:?} missing or out of order"));
        from += found + question.len();
    }
}

#[test]
fn json_output_has_counts_and_text() {
    let truth = ground_truth("chromium-01");
    let output = extract("corpus/chromium-01.pdf", &["--json"]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let json: Value = serde_json::from_str(stdout(&output).trim_end()).expect("one JSON value");
    let mut keys: Vec<&str> = json
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["chars", "mapped_permille", "pages", "text", "truncated"]
    );
    let text = json["text"].as_str().expect("text");
    assert_eq!(json["pages"], truth["pages"]);
    assert_eq!(json["chars"].as_u64(), Some(text.chars().count() as u64));
    assert_eq!(json["truncated"], false);
    let first_question = truth["pairs"][0]["question"].as_str().expect("question");
    assert!(without_whitespace(text).contains(&without_whitespace(first_question)));
}

#[test]
fn json_keys_are_printed_in_the_documented_order() {
    let output = extract("corpus/fpdf-01.pdf", &["--json"]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let line = stdout(&output);
    let positions: Vec<usize> = ["\"pages\":", "\"chars\":", "\"truncated\":", "\"text\":"]
        .iter()
        .map(|key| line.find(key).unwrap_or_else(|| panic!("{key} missing")))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{line}");
}

#[test]
fn text_over_the_character_limit_is_cut_and_flagged() {
    let path = fixtures().join("corpus/lo-docx-01.pdf");
    let output = narratix(
        &["extract", path.to_str().expect("path"), "--json"],
        &[("NARRATIX_MAX_CHARS", "100")],
    );
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let json: Value = serde_json::from_str(stdout(&output).trim_end()).expect("json");
    assert_eq!(json["truncated"], true);
    assert!(json["chars"].as_u64().expect("chars") <= 100, "{json}");
}

#[test]
fn every_hostile_file_gets_its_named_error_or_its_text() {
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(fixtures().join("hostile/manifest.json")).expect("manifest"),
    )
    .expect("json");
    let mut problems = Vec::new();
    for entry in manifest.as_array().expect("list") {
        let file = entry["file"].as_str().expect("file");
        let expect = entry["expect"].as_str().expect("expect");
        let also_ok: Vec<&str> = entry["also_ok"]
            .as_array()
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let started = Instant::now();
        let output = extract(&format!("hostile/{file}"), &[]);
        let took = started.elapsed();
        if took > Duration::from_secs(10) {
            problems.push(format!("{file}: took {took:?}"));
        }
        let verdict = match (expect, output.status.success()) {
            ("text", true) => {
                let phrase = without_whitespace(entry["contains"].as_str().expect("contains"));
                if without_whitespace(&stdout(&output)).contains(&phrase) {
                    Ok(())
                } else {
                    Err(format!("text lacks {phrase:?}"))
                }
            }
            ("text", false) => check_failure(&output, &also_ok),
            (name, _) => {
                let names: Vec<&str> = std::iter::once(name).chain(also_ok).collect();
                check_failure(&output, &names)
            }
        };
        if let Err(problem) = verdict {
            problems.push(format!("{file} (expected {expect}): {problem}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn an_encrypted_file_is_named_on_stderr_with_exit_2() {
    let output = extract("hostile/encrypted-user-aes-256.pdf", &["--json"]);
    assert_fails_with(&output, &["Extract.Encrypted"], "encrypted");
}

#[test]
fn a_missing_file_is_input_invalid() {
    let output = extract("corpus/no-such-file.pdf", &[]);
    assert_fails_with(&output, &["Input.Invalid"], "missing file");
    assert!(stderr(&output).contains("no-such-file.pdf"));
}

#[test]
fn a_file_over_the_byte_limit_is_refused_before_parsing() {
    let path = fixtures().join("corpus/lo-docx-01.pdf");
    let output = narratix(
        &["extract", path.to_str().expect("path")],
        &[("NARRATIX_MAX_BYTES", "1000")],
    );
    assert_fails_with(&output, &["Extract.TooLarge"], "over the byte limit");
}

#[test]
fn an_unusable_limit_setting_is_input_invalid() {
    let path = fixtures().join("corpus/lo-docx-01.pdf");
    let output = narratix(
        &["extract", path.to_str().expect("path")],
        &[("NARRATIX_MAX_PAGES", "ten")],
    );
    assert_fails_with(&output, &["Input.Invalid"], "bad limit");
    assert!(stderr(&output).contains("NARRATIX_MAX_PAGES"));
}
