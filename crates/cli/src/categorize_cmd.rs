//! `narratix categorize [--json]`: questions on stdin, one a line, each filed under one of the
//! twelve categories by the same code the offline labeler uses.
//!
//! One output line per input line, in order: `KEY<TAB>question`, or with `--json` one object
//! per line, `{"question","key","label","cue"}` (`cue`: the words of the question that
//! decided, `null` when nothing was recognised). Lines are read as UTF-8 (invalid bytes become
//! U+FFFD); a blank line is a question too, filed under OTHER, so the lines stay aligned.

use std::io::{BufRead, BufWriter, ErrorKind as IoErrorKind, Write};

use narratix_domain::{ErrorKind, WireError};
use narratix_label::offline::decide;
use serde::Serialize;

#[derive(clap::Args)]
pub struct Args {
    /// Print one JSON object per line instead of `KEY<TAB>question`.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct JsonLine<'a> {
    question: &'a str,
    key: &'static str,
    label: &'static str,
    cue: Option<String>,
}

pub fn run(args: Args) -> Result<(), WireError> {
    let stdin = std::io::stdin().lock();
    let stdout = std::io::stdout().lock();
    match categorize_lines(stdin, stdout, args.json) {
        Err(Failure::Write(error)) if error.kind() == IoErrorKind::BrokenPipe => Ok(()),
        Err(Failure::Write(error)) => Err(ErrorKind::StorageUnavailable
            .with_cause(format!("cannot write to standard output: {error}"))),
        Err(Failure::Read(error)) => {
            Err(ErrorKind::InputInvalid.with_cause(format!("cannot read standard input: {error}")))
        }
        Ok(()) => Ok(()),
    }
}

enum Failure {
    Read(std::io::Error),
    Write(std::io::Error),
}

fn categorize_lines(
    mut input: impl BufRead,
    output: impl Write,
    json: bool,
) -> Result<(), Failure> {
    let mut output = BufWriter::new(output);
    let mut raw = Vec::new();
    loop {
        raw.clear();
        let read = input.read_until(b'\n', &mut raw).map_err(Failure::Read)?;
        if read == 0 {
            break;
        }
        let line = String::from_utf8_lossy(&raw);
        let question = line.trim_end_matches(['\n', '\r']);
        let decision = decide(question);
        let written = if json {
            let object = JsonLine {
                question,
                key: decision.category.key(),
                label: decision.category.label(),
                cue: decision.cue,
            };
            serde_json::to_writer(&mut output, &object)
                .map_err(std::io::Error::other)
                .and_then(|()| output.write_all(b"\n"))
        } else {
            writeln!(
                output,
                "{}\t{}",
                decision.category.key(),
                question.replace('\t', " ")
            )
        };
        written.map_err(Failure::Write)?;
    }
    output.flush().map_err(Failure::Write)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_on(input: &[u8], json: bool) -> String {
        let mut out = Vec::new();
        assert!(categorize_lines(input, &mut out, json).is_ok());
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn one_line_out_per_line_in() {
        let out = run_on(
            "지원 동기\r\n\n성장과정\t(500자)\n입사 후 포부".as_bytes(),
            false,
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines,
            [
                "MOTIVATION\t지원 동기",
                "OTHER\t",
                "GROWTH_PROCESS\t성장과정 (500자)",
                "FUTURE_PLAN\t입사 후 포부"
            ]
        );
    }

    #[test]
    fn json_lines_carry_label_and_cue() {
        let out = run_on(b"\xff\xfe junk\n", true);
        let value: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
        assert_eq!(value["key"], "OTHER");
        let out = run_on("당사에 지원한 이유를 쓰시오.".as_bytes(), true);
        let value: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
        assert_eq!(value["key"], "MOTIVATION");
        assert_eq!(value["label"], "지원동기");
        assert!(value["cue"].is_string());
    }
}
