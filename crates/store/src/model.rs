use narratix_domain::messages::LabelTaskOutput;
use narratix_domain::{
    FileId, FileStatus, JobId, JobStatus, LabeledPair, ObjectKey, Prefill, TokenUsage,
};
use serde::{Deserialize, Serialize};

use crate::Moment;

/// Wire names the store writes for job-level failures that no Lambda reports: they are not in
/// the state machine's error table because nothing retries or catches them.
pub mod job_errors {
    /// The execution was stopped by an operator (`ABORTED`).
    pub const ABORTED: &str = "Job.Aborted";
    /// The execution ran past its `TimeoutSeconds` (`TIMED_OUT`).
    pub const TIMED_OUT: &str = "Job.TimedOut";
    /// The execution failed outside every Catch (`FAILED`).
    pub const FAILED: &str = "Job.Failed";
}

/// An error as stored on a job or file item. The name is free text here because the state
/// machine may record names outside the Rust table (`States.Timeout`, `Lambda.Unknown`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredError {
    pub error: String,
    pub cause: String,
}

impl StoredError {
    /// A cause as the state machine recorded it: for a Lambda error that is the JSON
    /// `{"errorType", "errorMessage"}`, of which only the message is worth showing.
    pub fn readable_cause(cause: &str) -> String {
        #[derive(Deserialize)]
        struct LambdaError {
            #[serde(rename = "errorMessage")]
            error_message: String,
        }
        match serde_json::from_str::<LambdaError>(cause) {
            Ok(lambda) => narratix_domain::one_line(&lambda.error_message),
            Err(_) => narratix_domain::one_line(cause),
        }
    }

    pub fn new(error: impl Into<String>, cause: impl AsRef<str>) -> StoredError {
        StoredError {
            error: error.into(),
            cause: narratix_domain::one_line(cause.as_ref()),
        }
    }
}

/// A file of a job about to be created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    pub file_id: FileId,
    pub name: String,
    pub key: ObjectKey,
    pub size_bytes: u64,
}

impl NewFile {
    /// The file at 0-based `position` of a job: id `f{position+1}`, its upload key.
    pub fn at(job_id: &JobId, position: usize, name: &str, size_bytes: u64) -> NewFile {
        let file_id = FileId::at_position(position);
        NewFile {
            key: ObjectKey::upload(job_id, &file_id),
            file_id,
            name: name.to_owned(),
            size_bytes,
        }
    }
}

/// A job about to be created, status `CREATED`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub job_id: JobId,
    pub owner: String,
    /// RFC 3339; also the sort key of the owner's job list.
    pub created_at: String,
    /// Epoch seconds after which an unstarted job is deleted by the table's TTL.
    pub expires_at: i64,
    pub files: Vec<NewFile>,
}

/// The job item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobItem {
    pub job_id: JobId,
    pub owner: String,
    pub status: JobStatus,
    pub created_at: String,
    pub file_count: u32,
    pub succeeded: u32,
    pub failed: u32,
    pub error: Option<StoredError>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub final_notice_at: Option<String>,
}

/// A file item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileItem {
    pub file_id: FileId,
    pub name: String,
    pub key: ObjectKey,
    pub size_bytes: u64,
    pub status: FileStatus,
    pub error: Option<StoredError>,
    pub pages: Option<u32>,
    pub chars: Option<u64>,
    pub truncated: bool,
    /// The pairs when stored inline (`pairs` attribute).
    pub pairs: Option<Vec<LabeledPair>>,
    /// The S3 key of the pairs when they were too large to store inline.
    pub result_key: Option<ObjectKey>,
    pub pair_count: Option<u32>,
    /// The save-form suggestions read from the file, once labeled.
    pub prefill: Option<Prefill>,
    pub usage: TokenUsage,
    pub labeled_at: Option<String>,
}

impl FileItem {
    /// A fresh file item as created with its job.
    pub fn pending(file: &NewFile) -> FileItem {
        FileItem {
            file_id: file.file_id.clone(),
            name: file.name.clone(),
            key: file.key.clone(),
            size_bytes: file.size_bytes,
            status: FileStatus::Pending,
            error: None,
            pages: None,
            chars: None,
            truncated: false,
            pairs: None,
            result_key: None,
            pair_count: None,
            prefill: None,
            usage: TokenUsage::default(),
            labeled_at: None,
        }
    }
}

/// A job with all its files, files in id order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSnapshot {
    pub job: JobItem,
    pub files: Vec<FileItem>,
}

/// A WebSocket connection and its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub connection_id: String,
    pub owner: String,
    pub connected_at: String,
    /// Epoch seconds; the table's TTL deletes the connection afterwards.
    pub expires_at: i64,
    /// Epoch seconds: the `exp` of the token the connection was opened with. From then on
    /// nothing is posted to it but the closing `sessionExpired`.
    pub token_expires_at: i64,
}

/// One of an owner's connections as a sender sees it: where to post, and until when its
/// token allows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionEntry {
    pub connection_id: String,
    /// Epoch seconds (the token's `exp`).
    pub token_expires_at: i64,
}

impl ConnectionEntry {
    /// Whether the connection's token has expired at `now` (`exp` is the first second it is
    /// no longer valid).
    pub fn token_expired(&self, now: &Moment) -> bool {
        self.token_expires_at <= now.epoch_seconds()
    }
}

/// Where a file's pairs are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredPairs {
    /// The JSON array of pairs, in the file item itself (`pairs`).
    Inline(String),
    /// The S3 key of the JSON array (`resultKey`), when it is too large for the item.
    Object(ObjectKey),
}

/// One file's labeling result as written to its item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileResult {
    pub pairs: StoredPairs,
    pub pair_count: u64,
    pub prefill: Prefill,
    pub usage: TokenUsage,
    /// RFC 3339; its presence marks the file as labeled.
    pub labeled_at: String,
}

impl FileResult {
    /// The counts the waiting task gets.
    pub fn task_output(&self) -> LabelTaskOutput {
        LabelTaskOutput {
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
    AlreadyLabeled(LabelTaskOutput),
}

/// Whether a conditional object write happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    Written,
    /// An object already exists under the key; it was kept.
    AlreadyExists,
}

/// A job that started and has not recorded its final notice: what the sweep looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenJob {
    pub job_id: JobId,
    /// RFC 3339.
    pub started_at: String,
}

/// What one new job takes from its owner's quota for the day, and what the day may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaTake {
    pub jobs: u32,
    pub files: u32,
    pub max_jobs: u32,
    pub max_files: u32,
}

/// Whether a [`QuotaTake`] fit in the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaOutcome {
    Taken,
    /// The day's jobs are used up.
    JobsExhausted,
    /// The day's files are used up (or would be by this job).
    FilesExhausted,
}

impl QuotaTake {
    /// Whether the take fits on top of what the day has used.
    pub fn outcome(&self, used_jobs: u32, used_files: u32) -> QuotaOutcome {
        if used_jobs.saturating_add(self.jobs) > self.max_jobs {
            QuotaOutcome::JobsExhausted
        } else if used_files.saturating_add(self.files) > self.max_files {
            QuotaOutcome::FilesExhausted
        } else {
            QuotaOutcome::Taken
        }
    }
}

/// An object read with a size cap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Capped {
    Bytes(Vec<u8>),
    /// The object is larger than the cap (decided from its declared size when it has one, so
    /// the body is not downloaded).
    TooLarge {
        size: u64,
    },
}
