//! PDF bytes → clean body text, with named failures and bounded time and memory.
//!
//! [`extract`] runs in-process; [`extract_isolated`] runs the same code in a child process (a
//! fork of a single-threaded caller, else a fresh exec of the current executable) under a
//! memory cap, a CPU-time cap and a kill timer, so that a
//! parser crash (stack overflow, allocation failure) or hang becomes a named error. Every
//! binary that calls [`extract_isolated`] must call [`run_child_if_requested`] first thing in
//! `main`.

mod clean;
mod content;
mod error;
mod isolate;
mod korean;
mod layout;
mod limits;
mod pdf;
mod quality;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use serde::{Deserialize, Serialize};

pub use error::ExtractError;
pub use isolate::{extract_isolated, extract_isolated_by_exec, run_child_if_requested};
pub use limits::{
    Limits, ENV_MAX_BYTES, ENV_MAX_CHARS, ENV_MAX_DECOMPRESSED_BYTES, ENV_MAX_PAGES, ENV_MEMORY_MB,
    ENV_TIMEOUT_MS,
};

/// The text of a document, one paragraph per line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extracted {
    pub text: String,
    /// Pages in the document's page tree.
    pub pages: u32,
    /// Characters (Unicode scalar values) in `text`.
    pub chars: u32,
    /// `text` was cut at [`Limits::max_chars`].
    pub truncated: bool,
    /// Per mille of the glyphs drawn as text that have a Unicode mapping (1000 when all
    /// do): the others are dropped from `text`. Under 500 the file is `Extract.NoText`.
    #[serde(default = "all_mapped")]
    pub mapped_permille: u16,
}

fn all_mapped() -> u16 {
    1000
}

/// Extracts the text in this process. A panic in the parser becomes
/// [`ExtractError::Corrupt`]; an abort (stack overflow, allocation failure) is not caught —
/// use [`extract_isolated`] for untrusted input.
pub fn extract(bytes: &[u8], limits: &Limits) -> Result<Extracted, ExtractError> {
    extract_with(bytes, limits, Reader::Auto)
}

/// Which code reads the text of the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// Narratix's own content-stream reader for every page whose fonts it can decode (simple
    /// and Identity-H fonts with a `ToUnicode` map), the PDF library's for the rest. What
    /// [`extract`] uses.
    Auto,
    /// Narratix's own reader only: a page it cannot read fails the file as `Corrupt`,
    /// naming why (to prove which documents it reads by itself).
    Own,
    /// The PDF library's general text extractor for every page: the reference the own
    /// reader is held to.
    Library,
}

/// [`extract`] with a choice of page reader.
pub fn extract_with(
    bytes: &[u8],
    limits: &Limits,
    reader: Reader,
) -> Result<Extracted, ExtractError> {
    let started = Instant::now();
    pdf::check_envelope(bytes, limits)?;
    let pages = catch_unwind(AssertUnwindSafe(|| {
        pdf::page_lines_with(bytes, limits, started, reader)
    }))
    .map_err(|_| ExtractError::Corrupt("the PDF parser panicked on this file".into()))??;
    let mapped_share = quality::check_text_layer(&pages)?;
    let page_count = pages.len();
    let text = clean::assemble(pages);
    let (text, truncated) = quality::truncate(text, limits.max_chars);
    let chars = u32::try_from(text.chars().count()).unwrap_or(u32::MAX);
    let pages = u32::try_from(page_count).unwrap_or(u32::MAX);
    Ok(Extracted {
        text,
        pages,
        chars,
        truncated,
        mapped_permille: (mapped_share * 1000.0).floor() as u16,
    })
}
