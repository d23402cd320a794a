//! Narratix data access: jobs, per-file results and WebSocket connections in one DynamoDB
//! table, uploads and large results in S3, messages to browsers through API Gateway — each
//! behind a port (trait) with an AWS adapter and an in-memory implementation.
//!
//! Also the logic the job-end functions share: [`lifecycle::aggregate`],
//! [`lifecycle::reap`] and the [`notice::Notifier`].

mod apigw;
mod dynamo;
mod error;
pub mod lifecycle;
pub mod memory;
mod model;
mod moment;
pub mod notice;
pub mod ports;
pub mod runtime;
mod s3;

pub use apigw::ApiGatewayPoster;
pub use dynamo::{DynamoStore, OWNER_INDEX};
pub use error::StoreError;
pub use model::{
    job_errors, Connection, FileItem, JobItem, JobSnapshot, JobTally, NewFile, NewJob, StoredError,
};
pub use moment::Moment;
pub use s3::{S3Objects, PDF_CONTENT_TYPE};
