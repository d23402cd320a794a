//! `narratix label FILE.pdf… [--provider offline|openai|gemini|anthropic] [--json]`: the
//! whole labeling path in one process — isolated extraction, then the labeler — per file.
//!
//! Every file gets its report: its pairs (question, answer, category key and Korean label) or
//! its named error `<name>: <cause>`. The command fails (status 2) when any file failed.

use std::path::{Path, PathBuf};

use narratix_domain::config::Env;
use narratix_domain::{
    AnswerLength, ErrorKind, LabeledPair, LengthLimit, Prefill, TokenUsage, WireError,
};
use narratix_extract::{extract_isolated, Limits};
use narratix_label::{LabelConfig, Labeler};
use serde::Serialize;

use crate::extract_cmd::read_capped;
use crate::output::print_text;

#[derive(clap::Args)]
pub struct Args {
    /// The PDFs to label.
    #[arg(required = true, value_name = "FILE.pdf")]
    files: Vec<PathBuf>,
    /// Who labels (default: `NARRATIX_AI_PROVIDER`, else the built-in offline labeler).
    /// Model, base URL and key come from `NARRATIX_AI_MODEL`, `NARRATIX_AI_BASE_URL` and
    /// `NARRATIX_AI_API_KEY`.
    #[arg(long, value_parser = ["offline", "openai", "gemini", "anthropic"])]
    provider: Option<String>,
    /// Print one JSON document `{files: [...], succeeded, failed}` instead of text.
    #[arg(long)]
    json: bool,
}

/// One file's report.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FileReport {
    file: String,
    #[serde(flatten)]
    outcome: Outcome,
}

#[derive(Serialize)]
#[serde(tag = "status", rename_all = "SCREAMING_SNAKE_CASE")]
enum Outcome {
    Succeeded(Box<Labeled>),
    Failed {
        #[serde(flatten)]
        error: WireError,
    },
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Labeled {
    pages: u32,
    chars: u32,
    /// Extraction or labeling cut the text at a configured limit.
    truncated: bool,
    pairs: Vec<PairReport>,
    usage: TokenUsage,
    /// Save-form suggestions: company, position, year, half (each `null` when not found).
    prefill: Prefill,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PairReport {
    question: String,
    answer: String,
    category: &'static str,
    category_label: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<LengthLimit>,
    answer_length: AnswerLength,
    over_limit: bool,
}

impl From<LabeledPair> for PairReport {
    fn from(pair: LabeledPair) -> PairReport {
        PairReport {
            question: pair.question,
            answer: pair.answer,
            category: pair.category.key(),
            category_label: pair.category.label(),
            limit: pair.limit,
            answer_length: pair.answer_length,
            over_limit: pair.over_limit,
        }
    }
}

#[derive(Serialize)]
struct JsonOutput<'a> {
    files: &'a [FileReport],
    succeeded: usize,
    failed: usize,
}

pub fn run(args: Args) -> Result<(), WireError> {
    let limits = Limits::from_env()?;
    let provider = args.provider.clone();
    let config = LabelConfig::from_env(&Env::from_fn(move |name| match (name, &provider) {
        ("NARRATIX_AI_PROVIDER", Some(provider)) => Some(provider.clone()),
        _ => std::env::var(name).ok(),
    }))?;
    let labeler = Labeler::new(config)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| {
            ErrorKind::InternalPanic.with_cause(format!("cannot start the async runtime: {error}"))
        })?;

    let reports: Vec<FileReport> = args
        .files
        .iter()
        .map(|path| FileReport {
            file: path.display().to_string(),
            outcome: match runtime.block_on(label_file(path, &limits, &labeler)) {
                Ok(labeled) => Outcome::Succeeded(Box::new(labeled)),
                Err(error) => Outcome::Failed { error },
            },
        })
        .collect();

    let failures: Vec<(&str, &WireError)> = reports
        .iter()
        .filter_map(|report| match &report.outcome {
            Outcome::Failed { error } => Some((report.file.as_str(), error)),
            Outcome::Succeeded(_) => None,
        })
        .collect();
    if args.json {
        let json = serde_json::to_string_pretty(&JsonOutput {
            files: &reports,
            succeeded: reports.len() - failures.len(),
            failed: failures.len(),
        })
        .map_err(|error| ErrorKind::InternalPanic.with_cause(format!("encoding JSON: {error}")))?;
        print_text(&json)?;
    } else {
        print_text(&render_text(&reports))?;
    }
    match failures.first() {
        None => Ok(()),
        Some((file, error)) => Err(error.kind.with_cause(format!(
            "{} of {} files failed (first: {file})",
            failures.len(),
            reports.len()
        ))),
    }
}

async fn label_file(path: &Path, limits: &Limits, labeler: &Labeler) -> Result<Labeled, WireError> {
    let pdf = read_capped(path, limits.max_bytes)?;
    let extracted = extract_isolated(&pdf, limits)?;
    let labeled = labeler.label(&extracted.text).await?;
    Ok(Labeled {
        pages: extracted.pages,
        chars: extracted.chars,
        truncated: extracted.truncated || labeled.truncated,
        pairs: labeled.pairs.into_iter().map(PairReport::from).collect(),
        usage: labeled.usage,
        prefill: labeled.prefill,
    })
}

fn render_text(reports: &[FileReport]) -> String {
    let mut out = String::new();
    for (index, report) in reports.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        match &report.outcome {
            Outcome::Failed { error } => {
                out.push_str(&format!("== {}\n{error}\n", report.file));
            }
            Outcome::Succeeded(labeled) => {
                out.push_str(&format!(
                    "== {}: {} pairs ({} pages, {} chars{}; {} AI calls, {} tokens in, {} out)\n",
                    report.file,
                    labeled.pairs.len(),
                    labeled.pages,
                    labeled.chars,
                    if labeled.truncated { ", truncated" } else { "" },
                    labeled.usage.calls,
                    labeled.usage.input_tokens,
                    labeled.usage.output_tokens,
                ));
                out.push_str(&labeled.prefill.describe());
                for (number, pair) in labeled.pairs.iter().enumerate() {
                    out.push_str(&format!(
                        "\n[{}] {} {}\nQ: {}\nA: {}\n   {}\n",
                        number + 1,
                        pair.category,
                        pair.category_label,
                        pair.question,
                        pair.answer.replace('\n', "\n   "),
                        render_length(pair),
                    ));
                }
            }
        }
    }
    out
}

/// `652 chars, 598 without spaces; limit 700자 (with spaces): ok` or `… OVER`.
fn render_length(pair: &PairReport) -> String {
    narratix_domain::describe_length(&pair.answer_length, pair.limit.as_ref(), pair.over_limit)
}
