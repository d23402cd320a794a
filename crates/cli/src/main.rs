//! `narratix`: try Narratix's parts on your own files.
//!
//! Each subcommand lives in its own module with a clap `Args` struct and a
//! `run(args) -> Result<(), WireError>`; a failure is printed as `<wire error name>: <cause>`
//! on stderr and the process exits with status 2.

mod categorize_cmd;
mod extract_cmd;
mod label;
mod output;
mod token;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use narratix_domain::WireError;

#[derive(Parser)]
#[command(name = "narratix", version, about = "Try Narratix on your own PDFs")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the text of a PDF as the extract function gets it.
    Extract(extract_cmd::Args),
    /// Split PDFs into question/answer pairs and categorise each question.
    Label(label::Args),
    /// File questions (stdin, one a line) under the twelve categories: `KEY<TAB>question`.
    Categorize(categorize_cmd::Args),
    /// Print a bearer token of the running local stack's dev issuer.
    Token(token::Args),
}

/// Exit status of every named failure (clap's usage errors use it too).
const FAILURE_EXIT: u8 = 2;

fn main() -> ExitCode {
    // In an extraction child this parses the PDF on stdin and exits.
    narratix_extract::run_child_if_requested();
    let result: Result<(), WireError> = match Cli::parse().command {
        Command::Extract(args) => extract_cmd::run(args),
        Command::Label(args) => label::run(args),
        Command::Categorize(args) => categorize_cmd::run(args),
        Command::Token(args) => token::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::from(FAILURE_EXIT)
        }
    }
}
