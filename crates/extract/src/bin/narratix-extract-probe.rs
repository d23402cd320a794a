//! Extracts one PDF the way the `extract` function does (isolated child process) and prints
//! the text (or, with `--json`, `{"text","pages","chars","truncated"}`), or
//! `<wire error name>: <cause>` on stderr with exit code 2 — the contract of
//! `narratix extract`. Used by the crate's integration tests and by `scripts/bench-extract`.
//!
//! Usage: `narratix-extract-probe [--json] [--in-process | --exec] FILE.pdf` (`--exec`: the
//! child is always a fresh exec, as in the multi-threaded Lambda, instead of a fork).

use std::io::Write;
use std::process::ExitCode;

use narratix_domain::WireError;
use narratix_extract::{
    extract, extract_isolated, extract_isolated_by_exec, run_child_if_requested, Limits,
};

fn main() -> ExitCode {
    run_child_if_requested();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let in_process = args.iter().any(|a| a == "--in-process");
    let by_exec = args.iter().any(|a| a == "--exec");
    let as_json = args.iter().any(|a| a == "--json");
    let Some(path) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: narratix-extract-probe [--json] [--in-process | --exec] FILE.pdf");
        return ExitCode::from(64);
    };
    let result = Limits::from_env().and_then(|limits| {
        let bytes = std::fs::read(path).map_err(|e| {
            narratix_extract::ExtractError::NotPdf(format!("cannot read {path}: {e}"))
        })?;
        if in_process {
            extract(&bytes, &limits)
        } else if by_exec {
            extract_isolated_by_exec(&bytes, &limits)
        } else {
            extract_isolated(&bytes, &limits)
        }
    });
    match result {
        Ok(extracted) if !as_json => print_line(&extracted.text),
        Ok(extracted) => match serde_json::to_string(&extracted) {
            Ok(json) => print_line(&json),
            Err(e) => {
                eprintln!("Internal.Panic: cannot encode the result: {e}");
                ExitCode::from(2)
            }
        },
        Err(err) => {
            eprintln!("{}", WireError::from(err));
            ExitCode::from(2)
        }
    }
}

/// Prints to stdout; a closed pipe (`| head`) ends the program quietly instead of panicking.
fn print_line(text: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{text}").and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(74),
    }
}
