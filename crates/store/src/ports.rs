use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use narratix_domain::JobId;

use crate::{Connection, JobItem, JobSnapshot, JobTally, Moment, NewJob, StoreError, StoredError};

/// Jobs and their files.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Writes the job (status `CREATED`) and its pending files; fails if the job exists.
    async fn create_job(&self, job: &NewJob) -> Result<(), StoreError>;

    /// The job item alone.
    async fn job(&self, job_id: &JobId) -> Result<Option<JobItem>, StoreError>;

    /// The job with all its files.
    async fn snapshot(&self, job_id: &JobId) -> Result<Option<JobSnapshot>, StoreError>;

    /// The owner's most recent jobs, newest first.
    async fn jobs_of(&self, owner: &str, limit: u32) -> Result<Vec<JobItem>, StoreError>;

    /// `CREATED` → `RUNNING`, dropping the unstarted job's expiry from the job and its files.
    /// Returns whether this call made the transition; a job the state machine already moved
    /// on keeps its status (and loses its expiry all the same).
    async fn mark_started(
        &self,
        job_id: &JobId,
        file_ids: &[String],
        now: &Moment,
    ) -> Result<bool, StoreError>;

    /// Sets the final status and counts unless the job is final already. Returns whether this
    /// call set them.
    async fn finish(
        &self,
        job_id: &JobId,
        tally: &JobTally,
        now: &Moment,
    ) -> Result<bool, StoreError>;

    /// Marks the job `FAILED` with `error` unless it is final already. Returns whether this
    /// call marked it.
    async fn fail(
        &self,
        job_id: &JobId,
        error: &StoredError,
        now: &Moment,
    ) -> Result<bool, StoreError>;

    /// Sets `finalNoticeAt` if it is not set. Returns whether this call set it: only that
    /// caller sends the job's final notice.
    async fn claim_final_notice(&self, job_id: &JobId, now: &Moment) -> Result<bool, StoreError>;
}

/// WebSocket connections, findable by id and by owner.
#[async_trait]
pub trait ConnectionStore: Send + Sync {
    async fn put_connection(&self, connection: &Connection) -> Result<(), StoreError>;

    async fn connection(&self, connection_id: &str) -> Result<Option<Connection>, StoreError>;

    /// Removes the connection and its owner entry; a missing connection is not an error.
    async fn delete_connection(&self, connection_id: &str) -> Result<(), StoreError>;

    /// Ids of the owner's connections that have not expired at `now`.
    async fn connections_of(&self, owner: &str, now: &Moment) -> Result<Vec<String>, StoreError>;

    /// Records which job the connection follows.
    async fn subscribe(
        &self,
        owner: &str,
        connection_id: &str,
        job_id: &JobId,
    ) -> Result<(), StoreError>;
}

/// A presigned S3 PUT: the URL and the headers the client must send with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedPut {
    pub url: String,
    pub headers: BTreeMap<String, String>,
}

/// The upload bucket.
#[async_trait]
pub trait ObjectStore: Send + Sync {
    /// A URL that accepts exactly one `application/pdf` body of `content_length` bytes.
    async fn presign_put(
        &self,
        key: &str,
        content_length: u64,
        expires_in: Duration,
    ) -> Result<PresignedPut, StoreError>;

    /// The object's size, or `None` when it does not exist.
    async fn size(&self, key: &str) -> Result<Option<u64>, StoreError>;

    /// Up to the first `len` bytes of the object.
    async fn read_prefix(&self, key: &str, len: u64) -> Result<Vec<u8>, StoreError>;

    /// The whole object.
    async fn read(&self, key: &str) -> Result<Vec<u8>, StoreError>;
}

/// Why a message did not reach a connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    /// The client is gone (410): the connection should be forgotten.
    #[error("connection gone")]
    Gone,
    /// Anything else; logged, never fatal.
    #[error("post failed: {0}")]
    Failed(String),
}

/// Sends a message to one WebSocket connection (API Gateway `@connections`).
#[async_trait]
pub trait ConnectionPoster: Send + Sync {
    async fn post(&self, connection_id: &str, message: &[u8]) -> Result<(), PostError>;
}
