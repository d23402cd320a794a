//! In-memory implementations of the ports, with the same conditional semantics as the
//! DynamoDB and S3 adapters. For tests of the handlers and for running without AWS.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use narratix_domain::messages::{JobTally, LabelTaskOutput};
use narratix_domain::rate::RateSchedule;
use narratix_domain::{FileId, FileStatus, JobId, JobStatus, ObjectKey};

use crate::error::Missing;
use crate::ports::{
    ConnectionPoster, ConnectionStore, DailyQuota, ExpiredConnections, FileResults, JobEraser,
    JobReader, JobWriter, NoticeLedger, ObjectCopier, ObjectEraser, ObjectReader, ObjectWriter,
    OpenJobs, PostError, PresignedPut, RateScheduleStore, UploadUrls,
};
use crate::{
    Capped, Connection, ConnectionEntry, FileItem, FileResult, JobItem, JobSnapshot, Moment,
    NewJob, OpenJob, PutOutcome, QuotaOutcome, QuotaTake, SaveOutcome, StoreError, StoredError,
    StoredPairs,
};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug, Clone)]
struct StoredJob {
    item: JobItem,
    expires_at: Option<i64>,
    /// `openSk` while the job is on the sweep's index.
    open_since: Option<String>,
    files: BTreeMap<FileId, (FileItem, Option<i64>)>,
}

#[derive(Debug, Clone)]
struct OwnerEntry {
    expires_at: i64,
    token_expires_at: i64,
    job_id: Option<JobId>,
}

#[derive(Default)]
struct Tables {
    jobs: BTreeMap<JobId, StoredJob>,
    /// (owner, day) → (jobs, files).
    quotas: BTreeMap<(String, String), (u32, u32)>,
    connections: BTreeMap<String, Connection>,
    owner_connections: BTreeMap<(String, String), OwnerEntry>,
}

/// Jobs and connections in memory.
#[derive(Default)]
pub struct MemoryStore {
    tables: Mutex<Tables>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// Replaces a file item, as the state machine and the workers would.
    pub fn put_file(&self, job_id: &JobId, file: FileItem) {
        if let Some(job) = lock(&self.tables).jobs.get_mut(job_id) {
            let expires_at = job.files.get(&file.file_id).and_then(|(_, at)| *at);
            job.files.insert(file.file_id.clone(), (file, expires_at));
        }
    }

    /// Replaces a job item (keeps its files), as the state machine would.
    pub fn put_job(&self, item: JobItem) {
        let mut tables = lock(&self.tables);
        let entry = tables.jobs.entry(item.job_id.clone()).or_insert(StoredJob {
            item: item.clone(),
            expires_at: None,
            open_since: None,
            files: BTreeMap::new(),
        });
        entry.item = item;
    }

    /// The unstarted job's expiry, if it still has one.
    pub fn expires_at(&self, job_id: &JobId) -> Option<i64> {
        lock(&self.tables)
            .jobs
            .get(job_id)
            .and_then(|job| job.expires_at)
    }

    /// A file's expiry, if it has one.
    pub fn file_expires_at(&self, job_id: &JobId, file_id: &FileId) -> Option<i64> {
        lock(&self.tables)
            .jobs
            .get(job_id)
            .and_then(|job| job.files.get(file_id))
            .and_then(|(_, at)| *at)
    }

    /// Whether the job is on the sweep's index.
    pub fn is_open(&self, job_id: &JobId) -> bool {
        lock(&self.tables)
            .jobs
            .get(job_id)
            .is_some_and(|job| job.open_since.is_some())
    }

    /// Puts a job on the sweep's index as if it started at `started_at` (RFC 3339).
    pub fn open_since(&self, job_id: &JobId, started_at: &str) {
        if let Some(job) = lock(&self.tables).jobs.get_mut(job_id) {
            job.open_since = Some(started_at.to_owned());
        }
    }

    /// The job a connection follows, if any.
    pub fn subscription(&self, owner: &str, connection_id: &str) -> Option<JobId> {
        lock(&self.tables)
            .owner_connections
            .get(&(owner.to_owned(), connection_id.to_owned()))
            .and_then(|entry| entry.job_id.clone())
    }
}

#[async_trait]
impl JobWriter for MemoryStore {
    async fn create_job(&self, job: &NewJob) -> Result<(), StoreError> {
        let mut tables = lock(&self.tables);
        if tables.jobs.contains_key(&job.job_id) {
            return Err(StoreError::JobExists(job.job_id.clone()));
        }
        let item = JobItem {
            job_id: job.job_id.clone(),
            owner: job.owner.clone(),
            status: JobStatus::Created,
            created_at: job.created_at.clone(),
            file_count: u32::try_from(job.files.len()).unwrap_or(u32::MAX),
            succeeded: 0,
            failed: 0,
            error: None,
            started_at: None,
            finished_at: None,
            final_notice_at: None,
        };
        let files = job
            .files
            .iter()
            .map(|file| {
                (
                    file.file_id.clone(),
                    (FileItem::pending(file), Some(job.expires_at)),
                )
            })
            .collect();
        tables.jobs.insert(
            job.job_id.clone(),
            StoredJob {
                item,
                expires_at: Some(job.expires_at),
                open_since: None,
                files,
            },
        );
        Ok(())
    }

    async fn mark_started(
        &self,
        job_id: &JobId,
        _file_ids: &[FileId],
        now: &Moment,
    ) -> Result<bool, StoreError> {
        let mut tables = lock(&self.tables);
        let job = tables
            .jobs
            .get_mut(job_id)
            .ok_or_else(|| StoreError::NotFound(Missing::Job(job_id.clone())))?;
        for (file, expires_at) in job.files.values_mut() {
            if !matches!(file.status, FileStatus::Succeeded | FileStatus::Failed) {
                *expires_at = None;
            }
        }
        if job.item.status.is_final() {
            return Ok(false);
        }
        job.expires_at = None;
        job.open_since.get_or_insert_with(|| now.rfc3339());
        if job.item.status != JobStatus::Created {
            return Ok(false);
        }
        job.item.status = JobStatus::Running;
        job.item.started_at = Some(now.rfc3339());
        Ok(true)
    }

    async fn finish(&self, tally: &JobTally, now: &Moment) -> Result<bool, StoreError> {
        let mut tables = lock(&self.tables);
        let Some(job) = tables.jobs.get_mut(&tally.job_id) else {
            return Ok(false);
        };
        if job.item.status.is_final() {
            return Ok(false);
        }
        job.item.status = tally.status;
        job.item.succeeded = tally.succeeded;
        job.item.failed = tally.failed;
        job.item.finished_at = Some(now.rfc3339());
        Ok(true)
    }

    async fn fail(
        &self,
        job_id: &JobId,
        error: &StoredError,
        now: &Moment,
    ) -> Result<bool, StoreError> {
        let mut tables = lock(&self.tables);
        let Some(job) = tables.jobs.get_mut(job_id) else {
            return Ok(false);
        };
        if job.item.status.is_final() {
            return Ok(false);
        }
        job.item.status = JobStatus::Failed;
        job.item.error = Some(error.clone());
        job.item.finished_at = Some(now.rfc3339());
        Ok(true)
    }
}

#[async_trait]
impl JobReader for MemoryStore {
    async fn job(&self, job_id: &JobId) -> Result<Option<JobItem>, StoreError> {
        Ok(lock(&self.tables)
            .jobs
            .get(job_id)
            .map(|job| job.item.clone()))
    }

    async fn snapshot(&self, job_id: &JobId) -> Result<Option<JobSnapshot>, StoreError> {
        Ok(lock(&self.tables).jobs.get(job_id).map(|job| JobSnapshot {
            job: job.item.clone(),
            files: job.files.values().map(|(file, _)| file.clone()).collect(),
        }))
    }

    async fn jobs_of(&self, owner: &str, limit: u32) -> Result<Vec<JobItem>, StoreError> {
        let tables = lock(&self.tables);
        let mut jobs: Vec<JobItem> = tables
            .jobs
            .values()
            .filter(|job| job.item.owner == owner)
            .map(|job| job.item.clone())
            .collect();
        jobs.sort_by(|a, b| b.created_at.cmp(&a.created_at));
        jobs.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(jobs)
    }
}

#[async_trait]
impl NoticeLedger for MemoryStore {
    async fn record_final_notice(
        &self,
        job_id: &JobId,
        file_ids: &[FileId],
        now: &Moment,
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        let mut tables = lock(&self.tables);
        let Some(job) = tables.jobs.get_mut(job_id) else {
            return Ok(false);
        };
        if job.item.final_notice_at.is_some() {
            return Ok(false);
        }
        job.item.final_notice_at = Some(now.rfc3339());
        job.expires_at = Some(expires_at);
        job.open_since = None;
        for file_id in file_ids {
            if let Some((_, at)) = job.files.get_mut(file_id) {
                *at = Some(expires_at);
            }
        }
        Ok(true)
    }
}

#[async_trait]
impl OpenJobs for MemoryStore {
    async fn open_jobs(
        &self,
        started_before: &Moment,
        limit: u32,
    ) -> Result<Vec<OpenJob>, StoreError> {
        let before = started_before.rfc3339();
        let mut open: Vec<OpenJob> = lock(&self.tables)
            .jobs
            .values()
            .filter_map(|job| {
                job.open_since
                    .as_ref()
                    .filter(|since| **since < before)
                    .map(|since| OpenJob {
                        job_id: job.item.job_id.clone(),
                        started_at: since.clone(),
                    })
            })
            .collect();
        open.sort_by(|a, b| a.started_at.cmp(&b.started_at));
        open.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(open)
    }
}

#[async_trait]
impl DailyQuota for MemoryStore {
    async fn take(
        &self,
        owner: &str,
        day: &str,
        take: &QuotaTake,
        _expires_at: i64,
    ) -> Result<QuotaOutcome, StoreError> {
        let mut tables = lock(&self.tables);
        let used = tables
            .quotas
            .entry((owner.to_owned(), day.to_owned()))
            .or_default();
        let outcome = take.outcome(used.0, used.1);
        if outcome == QuotaOutcome::Taken {
            used.0 += take.jobs;
            used.1 += take.files;
        }
        Ok(outcome)
    }
}

#[async_trait]
impl JobEraser for MemoryStore {
    async fn erase_job(&self, job_id: &JobId, _file_ids: &[FileId]) -> Result<(), StoreError> {
        lock(&self.tables).jobs.remove(job_id);
        Ok(())
    }
}

#[async_trait]
impl ConnectionStore for MemoryStore {
    async fn put_connection(&self, connection: &Connection) -> Result<(), StoreError> {
        let mut tables = lock(&self.tables);
        tables
            .connections
            .insert(connection.connection_id.clone(), connection.clone());
        tables.owner_connections.insert(
            (connection.owner.clone(), connection.connection_id.clone()),
            OwnerEntry {
                expires_at: connection.expires_at,
                token_expires_at: connection.token_expires_at,
                job_id: None,
            },
        );
        Ok(())
    }

    async fn connection(&self, connection_id: &str) -> Result<Option<Connection>, StoreError> {
        Ok(lock(&self.tables).connections.get(connection_id).cloned())
    }

    async fn delete_connection(&self, connection_id: &str) -> Result<(), StoreError> {
        let mut tables = lock(&self.tables);
        if let Some(connection) = tables.connections.remove(connection_id) {
            tables
                .owner_connections
                .remove(&(connection.owner, connection.connection_id));
        }
        Ok(())
    }

    async fn connections_of(
        &self,
        owner: &str,
        now: &Moment,
    ) -> Result<Vec<ConnectionEntry>, StoreError> {
        Ok(lock(&self.tables)
            .owner_connections
            .iter()
            .filter(|((entry_owner, _), entry)| {
                entry_owner == owner && entry.expires_at > now.epoch_seconds()
            })
            .map(|((_, connection_id), entry)| ConnectionEntry {
                connection_id: connection_id.clone(),
                token_expires_at: entry.token_expires_at,
            })
            .collect())
    }

    async fn subscribe(
        &self,
        owner: &str,
        connection_id: &str,
        job_id: &JobId,
    ) -> Result<(), StoreError> {
        let mut tables = lock(&self.tables);
        match tables
            .owner_connections
            .get_mut(&(owner.to_owned(), connection_id.to_owned()))
        {
            Some(entry) => {
                entry.job_id = Some(job_id.clone());
                Ok(())
            }
            None => Err(StoreError::NotFound(Missing::Connection(
                connection_id.to_owned(),
            ))),
        }
    }
}

#[async_trait]
impl ExpiredConnections for MemoryStore {
    async fn expired_connections(
        &self,
        now: &Moment,
        limit: u32,
    ) -> Result<Vec<ConnectionEntry>, StoreError> {
        let mut expired: Vec<ConnectionEntry> = lock(&self.tables)
            .connections
            .values()
            .filter(|connection| connection.token_expires_at <= now.epoch_seconds())
            .map(|connection| ConnectionEntry {
                connection_id: connection.connection_id.clone(),
                token_expires_at: connection.token_expires_at,
            })
            .collect();
        expired.sort_by_key(|entry| entry.token_expires_at);
        expired.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(expired)
    }
}

fn labeled_counts(file: &FileItem) -> Option<LabelTaskOutput> {
    file.labeled_at.as_ref()?;
    Some(LabelTaskOutput {
        pair_count: u64::from(file.pair_count.unwrap_or(0)),
        input_tokens: file.usage.input_tokens,
        output_tokens: file.usage.output_tokens,
    })
}

#[async_trait]
impl FileResults for MemoryStore {
    async fn labeled_counts(
        &self,
        job_id: &JobId,
        file_id: &FileId,
    ) -> Result<Option<LabelTaskOutput>, StoreError> {
        Ok(lock(&self.tables)
            .jobs
            .get(job_id)
            .and_then(|job| job.files.get(file_id))
            .and_then(|(file, _)| labeled_counts(file)))
    }

    async fn save_result(
        &self,
        job_id: &JobId,
        file_id: &FileId,
        result: &FileResult,
    ) -> Result<SaveOutcome, StoreError> {
        let mut tables = lock(&self.tables);
        let file = tables
            .jobs
            .get_mut(job_id)
            .and_then(|job| job.files.get_mut(file_id))
            .map(|(file, _)| file)
            .ok_or_else(|| StoreError::NotFound(Missing::File(job_id.clone(), file_id.clone())))?;
        if let Some(stored) = labeled_counts(file) {
            return Ok(SaveOutcome::AlreadyLabeled(stored));
        }
        match &result.pairs {
            StoredPairs::Inline(json) => {
                file.pairs = Some(serde_json::from_str(json).map_err(|_| {
                    StoreError::corrupt("file", "pairs", "is not a JSON list of labeled pairs")
                })?)
            }
            StoredPairs::Object(key) => file.result_key = Some(key.clone()),
        }
        file.pair_count = Some(u32::try_from(result.pair_count).unwrap_or(u32::MAX));
        file.prefill = Some(result.prefill.clone());
        file.usage = result.usage;
        file.labeled_at = Some(result.labeled_at.clone());
        Ok(SaveOutcome::Saved)
    }
}

/// Objects in memory; presigned URLs are fake but carry the key, length and type.
#[derive(Default)]
pub struct MemoryObjects {
    objects: Mutex<BTreeMap<String, Vec<u8>>>,
    /// Keys whose reads and writes fail as if S3 were down.
    down: Mutex<BTreeSet<String>>,
}

impl MemoryObjects {
    pub fn new() -> MemoryObjects {
        MemoryObjects::default()
    }

    pub fn put(&self, key: &str, bytes: impl Into<Vec<u8>>) {
        lock(&self.objects).insert(key.to_owned(), bytes.into());
    }

    pub fn object(&self, key: &str) -> Option<Vec<u8>> {
        lock(&self.objects).get(key).cloned()
    }

    /// Makes every call on `key` fail as S3 being unreachable would.
    pub fn break_key(&self, key: &str) {
        lock(&self.down).insert(key.to_owned());
    }

    fn check(&self, key: &ObjectKey) -> Result<(), StoreError> {
        if lock(&self.down).contains(key.as_str()) {
            Err(StoreError::unavailable("S3", "any", "simulated outage"))
        } else {
            Ok(())
        }
    }

    fn bytes(&self, key: &ObjectKey) -> Result<Vec<u8>, StoreError> {
        self.check(key)?;
        self.object(key.as_str())
            .ok_or_else(|| StoreError::NotFound(Missing::Object(key.clone())))
    }
}

#[async_trait]
impl UploadUrls for MemoryObjects {
    async fn presign_put(
        &self,
        key: &ObjectKey,
        content_length: u64,
        expires_in: Duration,
    ) -> Result<PresignedPut, StoreError> {
        let headers = BTreeMap::from([
            ("content-length".to_owned(), content_length.to_string()),
            ("content-type".to_owned(), "application/pdf".to_owned()),
        ]);
        Ok(PresignedPut {
            url: format!(
                "https://uploads.invalid/{key}?X-Amz-Expires={}",
                expires_in.as_secs()
            ),
            headers,
        })
    }
}

#[async_trait]
impl ObjectReader for MemoryObjects {
    async fn size(&self, key: &ObjectKey) -> Result<Option<u64>, StoreError> {
        self.check(key)?;
        Ok(self
            .object(key.as_str())
            .map(|bytes| u64::try_from(bytes.len()).unwrap_or(u64::MAX)))
    }

    async fn read_prefix(&self, key: &ObjectKey, len: u64) -> Result<Vec<u8>, StoreError> {
        let mut bytes = self.bytes(key)?;
        bytes.truncate(usize::try_from(len).unwrap_or(usize::MAX));
        Ok(bytes)
    }

    async fn read(&self, key: &ObjectKey) -> Result<Vec<u8>, StoreError> {
        self.bytes(key)
    }

    async fn read_capped(&self, key: &ObjectKey, max_bytes: u64) -> Result<Capped, StoreError> {
        let bytes = self.bytes(key)?;
        let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        Ok(if size > max_bytes {
            Capped::TooLarge { size }
        } else {
            Capped::Bytes(bytes)
        })
    }
}

#[async_trait]
impl ObjectWriter for MemoryObjects {
    async fn put(
        &self,
        key: &ObjectKey,
        body: Vec<u8>,
        _content_type: &'static str,
    ) -> Result<(), StoreError> {
        self.check(key)?;
        self.put(key.as_str(), body);
        Ok(())
    }

    async fn put_if_absent(
        &self,
        key: &ObjectKey,
        body: Vec<u8>,
        _content_type: &'static str,
    ) -> Result<PutOutcome, StoreError> {
        self.check(key)?;
        let mut objects = lock(&self.objects);
        if objects.contains_key(key.as_str()) {
            return Ok(PutOutcome::AlreadyExists);
        }
        objects.insert(key.as_str().to_owned(), body);
        Ok(PutOutcome::Written)
    }
}

#[async_trait]
impl ObjectEraser for MemoryObjects {
    async fn delete(&self, key: &ObjectKey) -> Result<(), StoreError> {
        self.check(key)?;
        lock(&self.objects).remove(key.as_str());
        Ok(())
    }
}

#[async_trait]
impl ObjectCopier for MemoryObjects {
    async fn copy(&self, from: &ObjectKey, to: &ObjectKey) -> Result<u64, StoreError> {
        self.check(to)?;
        let bytes = self.bytes(from)?;
        let size = bytes.len() as u64;
        lock(&self.objects).insert(to.as_str().to_owned(), bytes);
        Ok(size)
    }
}

/// Records what was posted and which connections were closed; connections listed as gone
/// (or closed) answer 410, failing ones an error.
#[derive(Default)]
pub struct RecordingPoster {
    gone: BTreeSet<String>,
    failing: BTreeSet<String>,
    failing_close: BTreeSet<String>,
    posted: Mutex<Vec<(String, serde_json::Value)>>,
    closed: Mutex<Vec<String>>,
}

impl RecordingPoster {
    pub fn new() -> RecordingPoster {
        RecordingPoster::default()
    }

    pub fn with_gone(mut self, connection_id: &str) -> RecordingPoster {
        self.gone.insert(connection_id.to_owned());
        self
    }

    pub fn with_failing(mut self, connection_id: &str) -> RecordingPoster {
        self.failing.insert(connection_id.to_owned());
        self
    }

    /// Makes closing `connection_id` fail (a 500), its posts still delivered.
    pub fn with_failing_close(mut self, connection_id: &str) -> RecordingPoster {
        self.failing_close.insert(connection_id.to_owned());
        self
    }

    /// Every delivered message, as JSON, with its connection.
    pub fn posted(&self) -> Vec<(String, serde_json::Value)> {
        lock(&self.posted).clone()
    }

    /// The connections closed (`DELETE @connections/{id}`), in order.
    pub fn closed(&self) -> Vec<String> {
        lock(&self.closed).clone()
    }

    fn is_closed(&self, connection_id: &str) -> bool {
        lock(&self.closed).iter().any(|id| id == connection_id)
    }
}

#[async_trait]
impl ConnectionPoster for RecordingPoster {
    async fn post(&self, connection_id: &str, message: &[u8]) -> Result<(), PostError> {
        if self.gone.contains(connection_id) || self.is_closed(connection_id) {
            return Err(PostError::Gone);
        }
        if self.failing.contains(connection_id) {
            return Err(PostError::Failed(StoreError::unavailable(
                "API Gateway",
                "PostToConnection",
                "simulated 500",
            )));
        }
        let value = serde_json::from_slice(message).map_err(|err| {
            PostError::Failed(StoreError::Invalid {
                what: "a post of a message that is not JSON",
                source: err.into(),
            })
        })?;
        lock(&self.posted).push((connection_id.to_owned(), value));
        Ok(())
    }

    async fn close(&self, connection_id: &str) -> Result<(), PostError> {
        if self.gone.contains(connection_id) || self.is_closed(connection_id) {
            return Err(PostError::Gone);
        }
        if self.failing_close.contains(connection_id) {
            return Err(PostError::Failed(StoreError::unavailable(
                "API Gateway",
                "DeleteConnection",
                "simulated 500",
            )));
        }
        lock(&self.closed).push(connection_id.to_owned());
        Ok(())
    }
}

/// A store whose every call fails as if DynamoDB were unreachable.
#[derive(Default)]
pub struct UnavailableStore;

fn down() -> StoreError {
    StoreError::unavailable("DynamoDB", "any", "simulated outage")
}

#[async_trait]
impl JobReader for UnavailableStore {
    async fn job(&self, _job_id: &JobId) -> Result<Option<JobItem>, StoreError> {
        Err(down())
    }
    async fn snapshot(&self, _job_id: &JobId) -> Result<Option<JobSnapshot>, StoreError> {
        Err(down())
    }
    async fn jobs_of(&self, _owner: &str, _limit: u32) -> Result<Vec<JobItem>, StoreError> {
        Err(down())
    }
}

#[async_trait]
impl JobWriter for UnavailableStore {
    async fn create_job(&self, _job: &NewJob) -> Result<(), StoreError> {
        Err(down())
    }
    async fn mark_started(
        &self,
        _job_id: &JobId,
        _file_ids: &[FileId],
        _now: &Moment,
    ) -> Result<bool, StoreError> {
        Err(down())
    }
    async fn finish(&self, _tally: &JobTally, _now: &Moment) -> Result<bool, StoreError> {
        Err(down())
    }
    async fn fail(
        &self,
        _job_id: &JobId,
        _error: &StoredError,
        _now: &Moment,
    ) -> Result<bool, StoreError> {
        Err(down())
    }
}

#[async_trait]
impl NoticeLedger for UnavailableStore {
    async fn record_final_notice(
        &self,
        _job_id: &JobId,
        _file_ids: &[FileId],
        _now: &Moment,
        _expires_at: i64,
    ) -> Result<bool, StoreError> {
        Err(down())
    }
}

#[async_trait]
impl FileResults for UnavailableStore {
    async fn labeled_counts(
        &self,
        _job_id: &JobId,
        _file_id: &FileId,
    ) -> Result<Option<LabelTaskOutput>, StoreError> {
        Err(down())
    }
    async fn save_result(
        &self,
        _job_id: &JobId,
        _file_id: &FileId,
        _result: &FileResult,
    ) -> Result<SaveOutcome, StoreError> {
        Err(down())
    }
}

#[async_trait]
impl ConnectionStore for UnavailableStore {
    async fn put_connection(&self, _connection: &Connection) -> Result<(), StoreError> {
        Err(down())
    }
    async fn connection(&self, _connection_id: &str) -> Result<Option<Connection>, StoreError> {
        Err(down())
    }
    async fn delete_connection(&self, _connection_id: &str) -> Result<(), StoreError> {
        Err(down())
    }
    async fn connections_of(
        &self,
        _owner: &str,
        _now: &Moment,
    ) -> Result<Vec<ConnectionEntry>, StoreError> {
        Err(down())
    }
    async fn subscribe(
        &self,
        _owner: &str,
        _connection_id: &str,
        _job_id: &JobId,
    ) -> Result<(), StoreError> {
        Err(down())
    }
}

#[async_trait]
impl OpenJobs for UnavailableStore {
    async fn open_jobs(
        &self,
        _started_before: &Moment,
        _limit: u32,
    ) -> Result<Vec<OpenJob>, StoreError> {
        Err(down())
    }
}

#[async_trait]
impl ExpiredConnections for UnavailableStore {
    async fn expired_connections(
        &self,
        _now: &Moment,
        _limit: u32,
    ) -> Result<Vec<ConnectionEntry>, StoreError> {
        Err(down())
    }
}

#[async_trait]
impl DailyQuota for UnavailableStore {
    async fn take(
        &self,
        _owner: &str,
        _day: &str,
        _take: &QuotaTake,
        _expires_at: i64,
    ) -> Result<QuotaOutcome, StoreError> {
        Err(down())
    }
}

#[async_trait]
impl JobEraser for UnavailableStore {
    async fn erase_job(&self, _job_id: &JobId, _file_ids: &[FileId]) -> Result<(), StoreError> {
        Err(down())
    }
}

/// The rate governor's schedule in memory, with the adapter's version check.
#[derive(Debug, Default)]
pub struct MemoryRateSchedule {
    stored: Mutex<Option<(RateSchedule, u64)>>,
}

impl MemoryRateSchedule {
    pub fn stored(&self) -> Option<(RateSchedule, u64)> {
        *lock(&self.stored)
    }
}

#[async_trait]
impl RateScheduleStore for MemoryRateSchedule {
    async fn load_schedule(&self) -> Result<Option<(RateSchedule, u64)>, StoreError> {
        Ok(*lock(&self.stored))
    }

    async fn replace_schedule(
        &self,
        schedule: &RateSchedule,
        version: u64,
    ) -> Result<bool, StoreError> {
        let mut stored = lock(&self.stored);
        let current = stored.map(|(_, version)| version).unwrap_or(0);
        if current != version {
            return Ok(false);
        }
        *stored = Some((*schedule, version + 1));
        Ok(true)
    }
}
