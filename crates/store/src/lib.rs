//! Narratix storage: the one owner of every key, attribute name and AWS SDK adapter. Jobs,
//! per-file results and WebSocket connections live in one DynamoDB table
//! ([`schema`]), uploads, text and large results in S3, and the pipeline also talks to Step
//! Functions, API Gateway's `@connections` and Secrets Manager — each behind a narrow port
//! ([`ports`]) with an AWS adapter ([`aws`]) and an in-memory one ([`memory`]).
//!
//! What the pipeline *does* with them (a job's life, its notices, labeling a file once) is the
//! application layer above, `narratix-app`.

pub mod aws;
mod error;
pub mod memory;
mod model;
mod moment;
pub mod ports;
pub mod schema;

pub use error::{BoxError, Missing, StoreError};
pub use model::{
    job_errors, Capped, Connection, ConnectionEntry, FileItem, FileResult, JobItem, JobSnapshot,
    NewFile, NewJob, OpenJob, PutOutcome, QuotaOutcome, QuotaTake, SaveOutcome, StoredError,
    StoredPairs,
};
pub use moment::Moment;
