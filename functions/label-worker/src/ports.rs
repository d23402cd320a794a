//! What the worker needs from the outside world. The Lambda binary plugs in the AWS SDK
//! adapters ([`crate::aws`]); the tests plug in memory.

use async_trait::async_trait;
use narratix_domain::{JobId, LabeledPair, TokenUsage, WireError};
use serde::{Deserialize, Serialize};

use crate::WorkerError;

/// The small output sent to the waiting Step Functions task (`SendTaskSuccess`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskOutput {
    pub pair_count: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// Whether a conditional object write happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    Written,
    /// An object already exists under the key (an earlier delivery wrote it); it was kept.
    AlreadyExists,
}

/// The job's bucket: extracted text in, large results out.
#[async_trait]
pub trait ObjectStore: Send + Sync {
    async fn get(&self, key: &str) -> Result<Vec<u8>, WorkerError>;
    /// Writes `body` under `key` only if no object exists there yet.
    async fn put_if_absent(&self, key: &str, body: Vec<u8>) -> Result<PutOutcome, WorkerError>;
}

/// Where a file's pairs are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredPairs {
    /// The JSON array of pairs, in the file item itself (`pairs`).
    Inline(String),
    /// The S3 key of the JSON array (`resultKey`), when it is too large for the item.
    Object(String),
}

/// One file's labeling result as written to its table item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileResult {
    pub pairs: StoredPairs,
    pub pair_count: u64,
    pub usage: TokenUsage,
    /// RFC 3339; its presence marks the file as labeled.
    pub labeled_at: String,
}

impl FileResult {
    pub fn task_output(&self) -> TaskOutput {
        TaskOutput {
            pair_count: self.pair_count,
            input_tokens: self.usage.input_tokens,
            output_tokens: self.usage.output_tokens,
        }
    }
}

/// The outcome of a conditional result write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveOutcome {
    Saved,
    /// The file was already labeled (a redelivery or a concurrent delivery got there first);
    /// the stored result was kept and these are its counts.
    AlreadyLabeled(TaskOutput),
}

/// The job table's file items.
#[async_trait]
pub trait ResultTable: Send + Sync {
    /// The counts of the file's stored result, if it has been labeled.
    async fn labeled_counts(
        &self,
        job_id: &JobId,
        file_id: &str,
    ) -> Result<Option<TaskOutput>, WorkerError>;

    /// Stores the result unless the file is already labeled.
    async fn save_once(
        &self,
        job_id: &JobId,
        file_id: &str,
        result: &FileResult,
    ) -> Result<SaveOutcome, WorkerError>;
}

/// Answers the Step Functions task waiting on a token.
#[async_trait]
pub trait TaskCallback: Send + Sync {
    /// `Err(WorkerError::TaskGone)` when Step Functions no longer waits for the token.
    async fn succeed(&self, task_token: &str, output: &TaskOutput) -> Result<(), WorkerError>;
    /// `Err(WorkerError::TaskGone)` when Step Functions no longer waits for the token.
    async fn fail(&self, task_token: &str, error: &WireError) -> Result<(), WorkerError>;
}

/// Pairs and the tokens spent finding them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelOutput {
    pub pairs: Vec<LabeledPair>,
    pub usage: TokenUsage,
}

/// Splits a text into labeled pairs; failures carry their wire names (`Label.*`).
#[async_trait]
pub trait TextLabeler: Send + Sync {
    async fn label(&self, text: &str) -> Result<LabelOutput, WireError>;
}
