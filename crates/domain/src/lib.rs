//! The Narratix domain: what a labeling job is, what it produces, and the closed set of
//! error names every component reports under.
//!
//! This crate knows nothing of AWS. The optional `lambda` feature adds what every Lambda
//! adapter needs: the mapping of [`WireError`] into `lambda_runtime::Diagnostic`, panic
//! capture and JSON tracing.

mod category;
mod error;
mod model;
mod text;

#[cfg(feature = "lambda")]
pub mod lambda;

pub use category::Category;
pub use error::{ErrorKind, RetryClass, WireError};
pub use model::{
    FileOutcome, FileStatus, JobFile, JobId, JobRecord, JobStatus, LabeledPair, TokenUsage,
    MAX_FILES_PER_JOB,
};
pub use text::one_line;
