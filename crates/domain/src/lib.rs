//! The Narratix domain: what a labeling job is, what it produces, the messages every part
//! exchanges, the closed sets of error names, and the one configuration reader.
//!
//! This crate knows nothing of AWS. The optional `lambda` feature adds what every Lambda
//! adapter needs: the mapping of [`WireError`] into `lambda_runtime::Diagnostic`, panic
//! capture, JSON tracing and the one `serve` loop.

pub mod api;
mod category;
pub mod config;
mod error;
mod ids;
mod length;
pub mod messages;
mod model;
mod prefill;
pub mod rate;
mod text;

#[cfg(feature = "lambda")]
pub mod lambda;

pub use category::Category;
pub use error::{error_chain, ErrorKind, RetryClass, WireError};
pub use ids::{FileId, InvalidFileId, InvalidJobId, InvalidObjectKey, JobId, ObjectKey};
pub use length::{describe_length, AnswerLength, LengthLimit, LengthUnit, Spaces};
pub use model::{
    FileStatus, JobStatus, LabeledPair, TokenUsage, MAX_FILES_PER_JOB, MAX_UPLOAD_BYTES,
};
pub use prefill::{Half, Prefill, Suggestion};
pub use text::one_line;
