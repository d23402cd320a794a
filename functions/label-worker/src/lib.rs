//! The `label-worker` function's library: the SQS handler over its ports ([`Worker`]), the
//! AWS SDK adapters ([`aws`]) and the labeler adapter ([`ConfiguredLabeler`]). The binary
//! only wires them together.

pub mod aws;
mod error;
mod labeler;
pub mod ports;
mod task;
mod worker;

pub use error::WorkerError;
pub use labeler::{ApiKeySecret, ConfiguredLabeler};
pub use task::{LabelTask, MalformedTask};
pub use worker::{Disposition, Worker, INLINE_PAIRS_MAX_BYTES};
