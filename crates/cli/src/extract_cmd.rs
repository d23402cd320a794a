//! `narratix extract FILE.pdf [--json]`: the text of one PDF, extracted exactly as the
//! `extract` function does it (isolated child process, limits from the environment).

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use narratix_domain::{ErrorKind, WireError};
use narratix_extract::{extract_isolated, Limits};
use serde::Serialize;

use crate::output::print_text;

#[derive(clap::Args)]
pub struct Args {
    /// The PDF to read.
    file: PathBuf,
    /// Print `{"pages","chars","truncated","text"}` as JSON instead of the text alone.
    #[arg(long)]
    json: bool,
}

/// The `--json` output.
#[derive(Serialize)]
struct JsonOutput<'a> {
    pages: u32,
    chars: u32,
    truncated: bool,
    /// Per mille of drawn glyphs with a Unicode mapping (the rest are dropped).
    mapped_permille: u16,
    text: &'a str,
}

pub fn run(args: Args) -> Result<(), WireError> {
    let limits = Limits::from_env()?;
    let pdf = read_capped(&args.file, limits.max_bytes)?;
    let extracted = extract_isolated(&pdf, &limits)?;
    if args.json {
        let json = serde_json::to_string(&JsonOutput {
            pages: extracted.pages,
            chars: extracted.chars,
            truncated: extracted.truncated,
            mapped_permille: extracted.mapped_permille,
            text: &extracted.text,
        })
        .map_err(|error| ErrorKind::InternalPanic.with_cause(format!("encoding JSON: {error}")))?;
        print_text(&json)
    } else {
        print_text(&extracted.text)
    }
}

/// Reads the file, refusing one over `max_bytes` without reading it all.
pub(crate) fn read_capped(path: &Path, max_bytes: usize) -> Result<Vec<u8>, WireError> {
    let unreadable = |error: std::io::Error| {
        ErrorKind::InputInvalid.with_cause(format!("cannot read {}: {error}", path.display()))
    };
    let file = File::open(path).map_err(unreadable)?;
    let size = file.metadata().map_err(unreadable)?.len();
    if size > max_bytes as u64 {
        return Err(too_large(size, max_bytes));
    }
    let mut pdf = Vec::with_capacity(size as usize);
    file.take(max_bytes as u64 + 1)
        .read_to_end(&mut pdf)
        .map_err(unreadable)?;
    if pdf.len() > max_bytes {
        return Err(too_large(pdf.len() as u64, max_bytes));
    }
    Ok(pdf)
}

fn too_large(size: u64, max_bytes: usize) -> WireError {
    ErrorKind::ExtractTooLarge.with_cause(format!(
        "the file is {size} bytes, over the limit of {max_bytes}"
    ))
}
