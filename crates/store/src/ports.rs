//! The ports: each trait is what one use case needs from the outside world, no more. The AWS
//! adapters ([`crate::aws`]) implement them for DynamoDB, S3, Step Functions, API Gateway's
//! `@connections` and Secrets Manager; [`crate::memory`] implements them for tests.
//!
//! | port | used by |
//! |---|---|
//! | [`JobReader`] | api, aggregate, notify, reaper, ws-subscribe |
//! | [`JobWriter`] | api (create, start), aggregate (finish), reaper (fail) |
//! | [`NoticeLedger`] | notify, reaper: the job's one final notice |
//! | [`OpenJobs`] | reaper (sweep): jobs started whose final notice is not recorded |
//! | [`DailyQuota`] | api: a user's jobs and files per day |
//! | [`JobEraser`], [`ObjectEraser`] | api: a user deletes a job |
//! | [`ObjectCopier`] | api: the start keeps a copy of each upload the user cannot write |
//! | [`FileResults`] | label-worker: store a file's result once |
//! | [`ConnectionStore`] | ws-connect, ws-disconnect, ws-subscribe, notify, api, reaper |
//! | [`ExpiredConnections`] | reaper (sweep): connections whose token expired |
//! | [`UploadUrls`], [`ObjectReader`], [`ObjectWriter`] | api, extract, label-worker |
//! | [`Executions`], [`TaskCallbacks`] | api; label-worker, label-dlq |
//! | [`ConnectionPoster`] | notify, reaper, ws-subscribe, api |
//! | [`SecretReader`] | label-worker |

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use narratix_domain::messages::{JobTally, LabelTaskOutput};
use narratix_domain::rate::RateSchedule;
use narratix_domain::{FileId, JobId, ObjectKey, WireError};

use crate::{
    Capped, Connection, ConnectionEntry, FileResult, JobItem, JobSnapshot, Moment, NewJob, OpenJob,
    PutOutcome, QuotaOutcome, QuotaTake, SaveOutcome, StoreError, StoredError,
};

/// Reading jobs and their files.
#[async_trait]
pub trait JobReader: Send + Sync {
    /// The job item alone.
    async fn job(&self, job_id: &JobId) -> Result<Option<JobItem>, StoreError>;

    /// The job with all its files.
    async fn snapshot(&self, job_id: &JobId) -> Result<Option<JobSnapshot>, StoreError>;

    /// The owner's most recent jobs, newest first.
    async fn jobs_of(&self, owner: &str, limit: u32) -> Result<Vec<JobItem>, StoreError>;
}

/// A job's life: created, started, finished or failed. Every transition is conditional, so a
/// repeated or concurrent call changes nothing twice.
#[async_trait]
pub trait JobWriter: Send + Sync {
    /// Writes the job (status `CREATED`) and its pending files; fails if the job exists.
    async fn create_job(&self, job: &NewJob) -> Result<(), StoreError>;

    /// `CREATED` → `RUNNING`, dropping the unstarted job's expiry from the job and its files
    /// and putting the job on the sweep's index ([`OpenJobs`]). Returns whether this call made
    /// the transition; a job the state machine already moved on keeps its status (and loses
    /// its expiry all the same unless it is final).
    async fn mark_started(
        &self,
        job_id: &JobId,
        file_ids: &[FileId],
        now: &Moment,
    ) -> Result<bool, StoreError>;

    /// Sets the final status and counts unless the job is final already. Returns whether this
    /// call set them.
    async fn finish(&self, tally: &JobTally, now: &Moment) -> Result<bool, StoreError>;

    /// Marks the job `FAILED` with `error` unless it is final already. Returns whether this
    /// call marked it.
    async fn fail(
        &self,
        job_id: &JobId,
        error: &StoredError,
        now: &Moment,
    ) -> Result<bool, StoreError>;
}

/// The record of a job's final notice.
#[async_trait]
pub trait NoticeLedger: Send + Sync {
    /// Records that the job's final notice went out, unless it was recorded: sets
    /// `finalNoticeAt`, takes the job off the sweep's index and starts the retention of its
    /// results — the job and the files `file_ids` expire at `expires_at` (epoch seconds).
    /// Returns whether this call recorded it.
    async fn record_final_notice(
        &self,
        job_id: &JobId,
        file_ids: &[FileId],
        now: &Moment,
        expires_at: i64,
    ) -> Result<bool, StoreError>;
}

/// The jobs the sweep must look at.
#[async_trait]
pub trait OpenJobs: Send + Sync {
    /// Up to `limit` jobs that started before `started_before` and have not recorded their
    /// final notice, oldest first.
    async fn open_jobs(
        &self,
        started_before: &Moment,
        limit: u32,
    ) -> Result<Vec<OpenJob>, StoreError>;
}

/// A user's quota counters, one item per UTC day.
#[async_trait]
pub trait DailyQuota: Send + Sync {
    /// Adds `take` to `owner`'s counters for `day` (`yyyy-mm-dd`) if it fits, atomically: two
    /// concurrent requests cannot both take the last job. The counters expire at `expires_at`.
    async fn take(
        &self,
        owner: &str,
        day: &str,
        take: &QuotaTake,
        expires_at: i64,
    ) -> Result<QuotaOutcome, StoreError>;
}

/// Deleting a job's items.
#[async_trait]
pub trait JobEraser: Send + Sync {
    /// Deletes the job item and its files' items; missing items are not an error.
    async fn erase_job(&self, job_id: &JobId, file_ids: &[FileId]) -> Result<(), StoreError>;
}

/// A file's labeling result, written once.
#[async_trait]
pub trait FileResults: Send + Sync {
    /// The counts of the file's stored result, if it has been labeled.
    async fn labeled_counts(
        &self,
        job_id: &JobId,
        file_id: &FileId,
    ) -> Result<Option<LabelTaskOutput>, StoreError>;

    /// Stores the result unless the file is already labeled.
    async fn save_result(
        &self,
        job_id: &JobId,
        file_id: &FileId,
        result: &FileResult,
    ) -> Result<SaveOutcome, StoreError>;
}

/// WebSocket connections, findable by id and by owner.
#[async_trait]
pub trait ConnectionStore: Send + Sync {
    async fn put_connection(&self, connection: &Connection) -> Result<(), StoreError>;

    async fn connection(&self, connection_id: &str) -> Result<Option<Connection>, StoreError>;

    /// Removes the connection and its owner entry; a missing connection is not an error.
    async fn delete_connection(&self, connection_id: &str) -> Result<(), StoreError>;

    /// The owner's connections whose item has not expired at `now` (their token may have).
    async fn connections_of(
        &self,
        owner: &str,
        now: &Moment,
    ) -> Result<Vec<ConnectionEntry>, StoreError>;

    /// Records which job the connection follows.
    async fn subscribe(
        &self,
        owner: &str,
        connection_id: &str,
        job_id: &JobId,
    ) -> Result<(), StoreError>;
}

/// The connections the sweep closes.
#[async_trait]
pub trait ExpiredConnections: Send + Sync {
    /// Up to `limit` connections whose token expired at or before `now`, soonest expired
    /// first.
    async fn expired_connections(
        &self,
        now: &Moment,
        limit: u32,
    ) -> Result<Vec<ConnectionEntry>, StoreError>;
}

/// A presigned S3 PUT: the URL and the headers the client must send with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedPut {
    pub url: String,
    pub headers: BTreeMap<String, String>,
}

/// Upload URLs for the browser.
#[async_trait]
pub trait UploadUrls: Send + Sync {
    /// A URL that accepts exactly one `application/pdf` body of `content_length` bytes.
    async fn presign_put(
        &self,
        key: &ObjectKey,
        content_length: u64,
        expires_in: Duration,
    ) -> Result<PresignedPut, StoreError>;
}

/// Reading objects of the job bucket.
#[async_trait]
pub trait ObjectReader: Send + Sync {
    /// The object's size, or `None` when it does not exist.
    async fn size(&self, key: &ObjectKey) -> Result<Option<u64>, StoreError>;

    /// Up to the first `len` bytes of the object.
    async fn read_prefix(&self, key: &ObjectKey, len: u64) -> Result<Vec<u8>, StoreError>;

    /// The whole object.
    async fn read(&self, key: &ObjectKey) -> Result<Vec<u8>, StoreError>;

    /// The whole object unless it is over `max_bytes`; never holds more than the cap.
    async fn read_capped(&self, key: &ObjectKey, max_bytes: u64) -> Result<Capped, StoreError>;
}

/// Writing objects of the job bucket.
#[async_trait]
pub trait ObjectWriter: Send + Sync {
    async fn put(
        &self,
        key: &ObjectKey,
        body: Vec<u8>,
        content_type: &'static str,
    ) -> Result<(), StoreError>;

    /// Writes `body` under `key` only if no object exists there yet.
    async fn put_if_absent(
        &self,
        key: &ObjectKey,
        body: Vec<u8>,
        content_type: &'static str,
    ) -> Result<PutOutcome, StoreError>;
}

/// Deleting objects of the job bucket.
#[async_trait]
pub trait ObjectEraser: Send + Sync {
    /// Deletes the object; a missing object is not an error.
    async fn delete(&self, key: &ObjectKey) -> Result<(), StoreError>;
}

/// Copying objects within the job bucket.
#[async_trait]
pub trait ObjectCopier: Send + Sync {
    /// Copies `from` to `to` (replacing `to`), server-side. Returns the copy's size.
    async fn copy(&self, from: &ObjectKey, to: &ObjectKey) -> Result<u64, StoreError>;
}

/// Starting the state machine.
#[async_trait]
pub trait Executions: Send + Sync {
    /// Starts an execution called `name`; `Ok(false)` when one of that name exists already.
    async fn start(&self, name: &str, input: &str) -> Result<bool, StoreError>;
}

/// Answering a Step Functions task that waits on a token. Both answers fail with
/// [`StoreError::TaskGone`] when the task no longer waits.
#[async_trait]
pub trait TaskCallbacks: Send + Sync {
    async fn succeed(&self, task_token: &str, output: &LabelTaskOutput) -> Result<(), StoreError>;
    async fn fail(&self, task_token: &str, error: &WireError) -> Result<(), StoreError>;
}

/// Keeps a waiting task alive (`SendTaskHeartbeat`); [`StoreError::TaskGone`] when it no
/// longer waits (timed out, or its execution ended).
#[async_trait]
pub trait TaskHeartbeat: Send + Sync {
    async fn heartbeat(&self, task_token: &str) -> Result<(), StoreError>;
}

/// The label queue, for a message handed back to wait its turn.
#[async_trait]
pub trait LabelQueue: Send + Sync {
    /// Sends `body` to be delivered after `delay` (at most 900 s).
    async fn send_later(&self, body: &str, delay: Duration) -> Result<(), StoreError>;
}

/// The rate governor's shared schedule, read and replaced under a version check.
#[async_trait]
pub trait RateScheduleStore: Send + Sync {
    /// The schedule and its version; `None` before the first write.
    async fn load_schedule(&self) -> Result<Option<(RateSchedule, u64)>, StoreError>;

    /// Stores `schedule` as `version + 1` if the stored version is still `version` (0: none
    /// stored); `false` when another writer came first.
    async fn replace_schedule(
        &self,
        schedule: &RateSchedule,
        version: u64,
    ) -> Result<bool, StoreError>;
}

/// A shared schedule store is a schedule store (several governors over one item in tests).
#[async_trait]
impl<T: RateScheduleStore + ?Sized> RateScheduleStore for std::sync::Arc<T> {
    async fn load_schedule(&self) -> Result<Option<(RateSchedule, u64)>, StoreError> {
        (**self).load_schedule().await
    }

    async fn replace_schedule(
        &self,
        schedule: &RateSchedule,
        version: u64,
    ) -> Result<bool, StoreError> {
        (**self).replace_schedule(schedule, version).await
    }
}

/// Why a message did not reach a connection.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    /// The client is gone (410): the connection should be forgotten.
    #[error("connection gone")]
    Gone,
    /// Anything else; logged, never fatal.
    #[error("post to the connection failed")]
    Failed(#[source] StoreError),
}

/// Sends a message to one WebSocket connection, or closes it (API Gateway `@connections`).
#[async_trait]
pub trait ConnectionPoster: Send + Sync {
    async fn post(&self, connection_id: &str, message: &[u8]) -> Result<(), PostError>;

    /// Closes the connection from the server side (`DELETE @connections/{id}`); a connection
    /// that is gone already is [`PostError::Gone`].
    async fn close(&self, connection_id: &str) -> Result<(), PostError>;
}

/// Reading the AI provider's API key.
#[async_trait]
pub trait SecretReader: Send + Sync {
    /// The key held by `secret_id`: the secret string itself, or the `apiKey` field of a JSON
    /// object (what the console's key/value editor stores), trimmed and never empty.
    async fn api_key(&self, secret_id: &str) -> Result<String, StoreError>;
}
