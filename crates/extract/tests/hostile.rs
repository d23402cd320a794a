//! Every hostile fixture through the isolated path (the probe binary, as the extract function
//! runs it): its named error, or text with the expected phrase, within 10 s and 512 MiB —
//! with both kinds of child: a fork (single-threaded callers such as the CLI) and a fresh
//! exec (multi-threaded callers such as the Lambda).

#[path = "support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::run::run_measured;
use support::{compact, hostile_manifest, oversize_pdf, repo_root};

const PROBE: &str = env!("CARGO_BIN_EXE_narratix-extract-probe");
const MAX_TIME: Duration = Duration::from_secs(10);
const MAX_RSS_KIB: u64 = 512 * 1024;

/// How the probe starts its extraction child.
#[derive(Clone, Copy, Debug)]
enum Child {
    Fork,
    Exec,
}

/// Runs the probe on `path` and returns `"text"` plus the text, or the wire error name.
fn outcome(path: &Path, name: &str) -> (String, String) {
    outcome_with(Child::Fork, path, name)
}

fn outcome_with(child: Child, path: &Path, name: &str) -> (String, String) {
    let mut command = Command::new(PROBE);
    if let Child::Exec = child {
        command.arg("--exec");
    }
    let run = run_measured(command.arg("--json").arg(path));
    assert!(run.elapsed < MAX_TIME, "{name}: took {:?}", run.elapsed);
    assert!(
        run.peak_rss_kib < MAX_RSS_KIB,
        "{name}: peak RSS {} KiB",
        run.peak_rss_kib
    );
    println!(
        "{child:?} {name:<28} {:>6} ms {:>7} KiB  {}",
        run.elapsed.as_millis(),
        run.peak_rss_kib,
        run.stderr.trim()
    );
    match run.exit_code {
        Some(0) => {
            let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("probe JSON");
            (
                "text".into(),
                json["text"].as_str().unwrap_or_default().to_string(),
            )
        }
        Some(2) => {
            let (wire, _) = run.stderr.split_once(':').expect("`Name: cause` on stderr");
            (wire.trim().to_string(), String::new())
        }
        other => panic!(
            "{name}: probe ended with {other:?}, stderr {:?}",
            run.stderr
        ),
    }
}

#[test]
fn every_hostile_file_gets_its_named_outcome_in_bounded_time_and_memory() {
    let dir = repo_root().join("tests/fixtures/hostile");
    let cases = hostile_manifest(&dir);
    assert!(cases.len() >= 20, "manifest too small: {}", cases.len());
    let mut wrong = Vec::new();
    for (child, case) in [Child::Fork, Child::Exec]
        .into_iter()
        .flat_map(|child| cases.iter().map(move |case| (child, case)))
    {
        let (got, text) = outcome_with(child, &dir.join(&case.file), &case.file);
        let accepted = got == case.expect || case.also_ok.contains(&got);
        let phrase_ok = got != "text"
            || case.contains.as_ref().is_none_or(|phrase| {
                let found = compact(&text).matches(&compact(phrase)).count();
                if case.contains_once {
                    found == 1
                } else {
                    found >= 1
                }
            });
        if !accepted || !phrase_ok {
            wrong.push(format!(
                "{child:?} {}: expected {} got {got} ({})",
                case.file, case.expect, case.why
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn a_file_over_five_megabytes_is_too_large() {
    let base = std::fs::read(repo_root().join("tests/fixtures/hostile/base.pdf")).expect("base");
    let big = oversize_pdf(&base, 6 * 1024 * 1024);
    assert!(big.len() > 5_000_000);
    let file = tempfile::Builder::new()
        .suffix(".pdf")
        .tempfile()
        .expect("temp file");
    std::fs::write(file.path(), &big).expect("write");
    let (got, _) = outcome(file.path(), "oversize (6 MiB)");
    assert_eq!(got, "Extract.TooLarge");
}

/// A PDF of exactly `size` bytes: the base document padded with a comment.
fn pdf_of_exactly(base: &[u8], size: usize) -> Vec<u8> {
    let overhead = oversize_pdf(base, 0).len();
    let pdf = oversize_pdf(base, size - overhead);
    assert_eq!(pdf.len(), size);
    pdf
}

#[test]
fn the_largest_file_the_api_signs_extracts_and_one_byte_more_does_not() {
    // The API signs uploads up to MAX_UPLOAD_BYTES; extraction with its default limits must
    // take every such file (it refused anything over 5,000,000 bytes while the API signed
    // 5,242,880).
    let base = std::fs::read(repo_root().join("tests/fixtures/hostile/base.pdf")).expect("base");
    let largest = usize::try_from(narratix_domain::MAX_UPLOAD_BYTES).expect("fits");
    for (size, expected) in [(largest, "text"), (largest + 1, "Extract.TooLarge")] {
        let file = tempfile::Builder::new()
            .suffix(".pdf")
            .tempfile()
            .expect("temp file");
        std::fs::write(file.path(), pdf_of_exactly(&base, size)).expect("write");
        let (got, _) = outcome(file.path(), "exactly the upload limit");
        assert_eq!(got, expected, "{size} bytes");
    }
}

#[test]
fn the_same_oversize_file_extracts_when_the_byte_limit_allows_it() {
    // Proves the oversize file is a valid PDF: only the limit refuses it.
    let base = std::fs::read(repo_root().join("tests/fixtures/hostile/base.pdf")).expect("base");
    let big = oversize_pdf(&base, 6 * 1024 * 1024);
    let file = tempfile::Builder::new()
        .suffix(".pdf")
        .tempfile()
        .expect("temp file");
    std::fs::write(file.path(), &big).expect("write");
    let run = run_measured(
        Command::new(PROBE)
            .env("NARRATIX_MAX_BYTES", "8000000")
            .arg(file.path()),
    );
    assert_eq!(run.exit_code, Some(0), "{}", run.stderr);
    assert!(compact(&run.stdout).contains(&compact("협업을 통해 문제를 해결한 경험")));
}
