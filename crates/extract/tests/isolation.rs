//! The isolated path through a real binary: same result as in-process, limits from the
//! environment, and crashes of the child turned into named errors.

#[path = "support/mod.rs"]
mod support;

use std::process::Command;

use support::repo_root;
use support::run::run_measured;

const PROBE: &str = env!("CARGO_BIN_EXE_narratix-extract-probe");

fn base() -> std::path::PathBuf {
    repo_root().join("tests/fixtures/hostile/base.pdf")
}

/// A file whose extraction needs far more memory than the 1 MiB cap these tests set: its
/// second page inflates towards 1 GiB (the decode limit would stop it at 64 MiB).
fn memory_hungry() -> std::path::PathBuf {
    repo_root().join("tests/fixtures/hostile/flate-bomb.pdf")
}

#[test]
fn isolated_and_in_process_results_are_identical() {
    let isolated = run_measured(Command::new(PROBE).arg("--json").arg(base()));
    let in_process = run_measured(
        Command::new(PROBE)
            .args(["--json", "--in-process"])
            .arg(base()),
    );
    assert_eq!(isolated.exit_code, Some(0), "{}", isolated.stderr);
    assert_eq!(isolated.stdout, in_process.stdout);
    let json: serde_json::Value = serde_json::from_str(&isolated.stdout).expect("json");
    assert_eq!(json["pages"], 1);
    assert_eq!(json["truncated"], false);
    assert_eq!(
        json["chars"].as_u64(),
        Some(json["text"].as_str().expect("text").chars().count() as u64)
    );
}

#[test]
fn forked_and_exec_children_give_the_same_results() {
    let fixtures = [
        base(),
        repo_root().join("tests/fixtures/corpus/lo-docx-01.pdf"),
        repo_root().join("tests/fixtures/corpus/chromium-hf-01.pdf"),
    ];
    for pdf in fixtures {
        let forked = run_measured(Command::new(PROBE).arg("--json").arg(&pdf));
        let exec = run_measured(Command::new(PROBE).args(["--json", "--exec"]).arg(&pdf));
        assert_eq!(forked.exit_code, Some(0), "{}", forked.stderr);
        assert_eq!(forked.stdout, exec.stdout, "{}", pdf.display());
    }
}

#[test]
fn the_forked_child_keeps_the_parsers_output_off_the_callers_streams() {
    // A child that dies of its memory cap would print Rust's allocation-failure report on
    // stderr; the caller prints only its one-line named error.
    let run = run_measured(
        Command::new(PROBE)
            .env("NARRATIX_EXTRACT_MEMORY_MB", "1")
            .arg(memory_hungry()),
    );
    assert_eq!(run.exit_code, Some(2));
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
fn text_over_the_character_limit_is_cut_not_failed() {
    let run = run_measured(
        Command::new(PROBE)
            .env("NARRATIX_MAX_CHARS", "100")
            .arg("--json")
            .arg(base()),
    );
    assert_eq!(run.exit_code, Some(0), "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(json["truncated"], true);
    let chars = json["chars"].as_u64().expect("chars");
    assert!((80..=100).contains(&chars), "{chars}");
}

#[test]
fn a_child_without_enough_memory_dies_into_a_named_error() {
    // 1 MiB of address space is too little for inflating the stream: the child aborts on
    // allocation failure, and the parent reports it instead of dying with it.
    let run = run_measured(
        Command::new(PROBE)
            .env("NARRATIX_EXTRACT_MEMORY_MB", "1")
            .arg(memory_hungry()),
    );
    assert_eq!(run.exit_code, Some(2), "stdout {:?}", run.stdout);
    assert!(run.stderr.starts_with("Extract.Corrupt:"), "{}", run.stderr);
}

#[test]
fn an_exhausted_time_budget_is_too_large() {
    let run = run_measured(
        Command::new(PROBE)
            .env("NARRATIX_EXTRACT_TIMEOUT_MS", "1")
            .arg(repo_root().join("tests/fixtures/corpus/lo-docx-01.pdf")),
    );
    assert_eq!(run.exit_code, Some(2));
    assert!(
        run.stderr.starts_with("Extract.TooLarge:"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("time budget"), "{}", run.stderr);
}

#[test]
fn invalid_limits_are_reported_under_input_invalid() {
    let run = run_measured(
        Command::new(PROBE)
            .env("NARRATIX_MAX_PAGES", "lots")
            .arg(base()),
    );
    assert_eq!(run.exit_code, Some(2));
    assert!(run.stderr.starts_with("Input.Invalid:"), "{}", run.stderr);
}
