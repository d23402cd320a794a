//! Labeling: splits a Korean cover letter (자기소개서) into question/answer pairs and gives
//! each question one of the twelve categories.
//!
//! The default is the built-in [`offline`] labeler (no key, no network, deterministic). The
//! AI providers (OpenAI-compatible, Gemini, Anthropic) use a token-lean protocol: the model
//! sees the text's lines numbered and answers with line spans and category keys, never with
//! the text; the pairs are sliced from the source, so answers are exactly the extracted text.

mod config;
mod error;
pub mod gate;
mod labeler;
pub mod limits;
pub mod lines;
pub mod offline;
pub mod prefill;
pub mod protocol;
mod provider;
mod split;

pub use config::{
    ApiKey, LabelConfig, OpenAiJsonMode, ProviderKind, DEFAULT_MAX_INPUT_CHARS,
    DEFAULT_MAX_LINE_CHARS, DEFAULT_MAX_PAIRS, DEFAULT_TIMEOUT,
};
pub use error::{HttpStatus, LabelError, Misconfigured, Upstream};
pub use gate::{CallBudget, CallEstimate, CallGate, CallOutcome, Deferred, Ungated};
pub use labeler::{Labeled, Labeler};
