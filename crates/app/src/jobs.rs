//! What a user does with jobs through the HTTP API: create one with upload URLs, start it
//! once its uploads check out, read it, list them. Every call is scoped to the caller: another
//! user's job is indistinguishable from one that does not exist.

use std::time::Duration;

use narratix_domain::api::{
    ApiErrorName, CreateJobRequest, CreatedJob, JobList, JobView, UploadTarget, MAX_UPLOAD_BYTES,
};
use narratix_domain::config::{ConfigError, Env};
use narratix_domain::messages::{ExecutionFile, ExecutionInput, ServerMessage};
use narratix_domain::{FileId, JobId, JobStatus, LabeledPair, ObjectKey, MAX_FILES_PER_JOB};
use narratix_store::ports::{
    ConnectionPoster, ConnectionStore, DailyQuota, Executions, JobEraser, JobReader, JobWriter,
    ObjectCopier, ObjectEraser, ObjectReader, UploadUrls,
};
use narratix_store::{
    FileItem, JobSnapshot, Moment, NewFile, NewJob, QuotaOutcome, QuotaTake, StoreError,
};

use crate::names::{self, NameProblem};
use crate::views;

/// How long an unstarted job is kept.
pub const UNSTARTED_JOB_TTL_SECONDS: i64 = 24 * 60 * 60;
/// How long a presigned upload URL is valid.
pub const UPLOAD_URL_TTL: Duration = Duration::from_secs(15 * 60);
/// How many bytes are read to find the `%PDF-` header (the format allows it within 1 KiB).
pub const MAGIC_WINDOW: u64 = 1024;
/// Longest file name accepted.
pub const MAX_NAME_CHARS: usize = 255;

/// A user's limits: the template's `QuotaActiveJobs`, `QuotaJobsPerDay`, `QuotaFilesPerDay`.
/// Days are UTC calendar days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quotas {
    /// Most jobs of one user running at once (checked at create and at start).
    pub active_jobs: u32,
    /// Most jobs one user may create per day.
    pub jobs_per_day: u32,
    /// Most files one user may upload per day, over all their jobs.
    pub files_per_day: u32,
}

impl Quotas {
    pub const DEFAULT: Quotas = Quotas {
        active_jobs: 3,
        jobs_per_day: 20,
        files_per_day: 40,
    };

    /// `NARRATIX_QUOTA_ACTIVE_JOBS`, `NARRATIX_QUOTA_JOBS_PER_DAY`,
    /// `NARRATIX_QUOTA_FILES_PER_DAY`; unset ones keep [`Quotas::DEFAULT`].
    pub fn from_env(env: &Env) -> Result<Quotas, ConfigError> {
        let limit = |name, default: u32| -> Result<u32, ConfigError> {
            Ok(env
                .positive(name)?
                .map_or(default, |n| u32::try_from(n).unwrap_or(u32::MAX)))
        };
        Ok(Quotas {
            active_jobs: limit("NARRATIX_QUOTA_ACTIVE_JOBS", Quotas::DEFAULT.active_jobs)?,
            jobs_per_day: limit("NARRATIX_QUOTA_JOBS_PER_DAY", Quotas::DEFAULT.jobs_per_day)?,
            files_per_day: limit(
                "NARRATIX_QUOTA_FILES_PER_DAY",
                Quotas::DEFAULT.files_per_day,
            )?,
        })
    }
}

impl Default for Quotas {
    fn default() -> Quotas {
        Quotas::DEFAULT
    }
}

/// Which quota a request ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quota {
    ActiveJobs(u32),
    JobsPerDay(u32),
    FilesPerDay(u32),
}

impl std::fmt::Display for Quota {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Quota::ActiveJobs(n) => write!(f, "at most {n} of your jobs run at once"),
            Quota::JobsPerDay(n) => write!(f, "at most {n} jobs a day (UTC)"),
            Quota::FilesPerDay(n) => write!(f, "at most {n} files a day (UTC)"),
        }
    }
}

/// How long to wait when the running-jobs quota is used up: jobs take seconds to minutes.
pub const ACTIVE_RETRY_AFTER_SECONDS: u64 = 30;

/// Seconds from `now` to the next UTC midnight, when the daily counters start over.
pub fn seconds_to_next_day(now: &Moment) -> u64 {
    const DAY: i64 = 24 * 60 * 60;
    u64::try_from(DAY - now.epoch_seconds().rem_euclid(DAY)).unwrap_or(1)
}

/// Why a request was refused. The name and status come from the one table,
/// [`ApiErrorName`]; a storage failure keeps its cause for the log and shows the user only
/// that a service failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("no such job")]
    JobNotFound,
    #[error("file {0} has not been uploaded")]
    UploadMissing(FileId),
    #[error("a file is at most {MAX_UPLOAD_BYTES} bytes")]
    UploadTooLarge,
    #[error("{0}")]
    UploadNotPdf(&'static str),
    #[error("file {0} does not have the declared size")]
    UploadSizeMismatch(FileId),
    #[error("quota exceeded: {quota}; retry in {retry_after_seconds} s")]
    QuotaExceeded {
        quota: Quota,
        retry_after_seconds: u64,
    },
    #[error("the job is running; delete it once it has ended")]
    JobRunning,
    #[error("a service is unavailable; retry shortly")]
    Unavailable(#[source] Option<StoreError>),
    #[error("internal error")]
    Internal(#[source] Option<StoreError>),
}

impl ApiError {
    pub fn name(&self) -> ApiErrorName {
        match self {
            ApiError::InvalidRequest(_) => ApiErrorName::RequestInvalid,
            ApiError::Unauthorized(_) => ApiErrorName::AuthUnauthorized,
            ApiError::JobNotFound => ApiErrorName::JobNotFound,
            ApiError::UploadMissing(_) => ApiErrorName::UploadMissing,
            ApiError::UploadTooLarge => ApiErrorName::UploadTooLarge,
            ApiError::UploadNotPdf(_) => ApiErrorName::UploadNotPdf,
            ApiError::UploadSizeMismatch(_) => ApiErrorName::UploadSizeMismatch,
            ApiError::QuotaExceeded { .. } => ApiErrorName::QuotaExceeded,
            ApiError::JobRunning => ApiErrorName::JobRunning,
            ApiError::Unavailable(_) => ApiErrorName::ServiceUnavailable,
            ApiError::Internal(_) => ApiErrorName::InternalError,
        }
    }

    /// The `Retry-After` the response carries, in seconds.
    pub fn retry_after_seconds(&self) -> Option<u64> {
        match self {
            ApiError::QuotaExceeded {
                retry_after_seconds,
                ..
            } => Some(*retry_after_seconds),
            _ => None,
        }
    }

    /// The `{error, message}` body.
    pub fn body(&self) -> narratix_domain::api::ErrorBody {
        narratix_domain::api::ErrorBody {
            error: self.name(),
            message: self.to_string(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        match error {
            StoreError::NotFound(_) => ApiError::JobNotFound,
            error if error.is_transient() => ApiError::Unavailable(Some(error)),
            error => ApiError::Internal(Some(error)),
        }
    }
}

fn is_pdf_name(name: &str) -> bool {
    name.len() > 4
        && name
            .get(name.len() - 4..)
            .is_some_and(|ext| ext.eq_ignore_ascii_case(".pdf"))
}

/// The job use cases over their ports.
pub struct JobService<'a, J, O, E> {
    pub jobs: &'a J,
    pub objects: &'a O,
    pub executions: &'a E,
    /// The upload bucket, for the execution input.
    pub bucket: &'a str,
    pub quotas: Quotas,
}

/// How many of the caller's newest jobs are looked at to count the running ones (a job runs
/// at most 2 h and a day holds at most `jobs_per_day`).
const ACTIVE_WINDOW: u32 = 50;

impl<J, O, E> JobService<'_, J, O, E>
where
    J: JobReader + JobWriter + DailyQuota + JobEraser,
    O: UploadUrls + ObjectReader + ObjectCopier + ObjectEraser,
    E: Executions,
{
    /// Refuses when the owner has `active_jobs` running jobs already (`except` not counted).
    async fn check_active(&self, owner: &str, except: Option<&JobId>) -> Result<(), ApiError> {
        let running = self
            .jobs
            .jobs_of(owner, ACTIVE_WINDOW)
            .await?
            .iter()
            .filter(|job| job.status == JobStatus::Running && Some(&job.job_id) != except)
            .count();
        if running >= usize::try_from(self.quotas.active_jobs).unwrap_or(usize::MAX) {
            return Err(ApiError::QuotaExceeded {
                quota: Quota::ActiveJobs(self.quotas.active_jobs),
                retry_after_seconds: ACTIVE_RETRY_AFTER_SECONDS,
            });
        }
        Ok(())
    }

    /// Takes one job and `files` files from the owner's day, atomically.
    async fn take_daily(&self, owner: &str, files: usize, now: &Moment) -> Result<(), ApiError> {
        let take = QuotaTake {
            jobs: 1,
            files: u32::try_from(files).unwrap_or(u32::MAX),
            max_jobs: self.quotas.jobs_per_day,
            max_files: self.quotas.files_per_day,
        };
        let day = now.rfc3339().chars().take(10).collect::<String>();
        let retry_after_seconds = seconds_to_next_day(now);
        // Kept a day past its own, then the table's TTL drops it.
        let expires_at = now
            .plus_seconds(i64::try_from(retry_after_seconds).unwrap_or(0) + 24 * 60 * 60)
            .epoch_seconds();
        let quota = match self.jobs.take(owner, &day, &take, expires_at).await? {
            QuotaOutcome::Taken => return Ok(()),
            QuotaOutcome::JobsExhausted => Quota::JobsPerDay(self.quotas.jobs_per_day),
            QuotaOutcome::FilesExhausted => Quota::FilesPerDay(self.quotas.files_per_day),
        };
        tracing::info!(%quota, "quota exceeded");
        Err(ApiError::QuotaExceeded {
            quota,
            retry_after_seconds,
        })
    }

    pub async fn create_job(
        &self,
        owner: &str,
        request: CreateJobRequest,
        job_id: JobId,
        now: &Moment,
    ) -> Result<CreatedJob, ApiError> {
        if request.files.is_empty() || request.files.len() > MAX_FILES_PER_JOB {
            return Err(ApiError::InvalidRequest(format!(
                "a job has 1 to {MAX_FILES_PER_JOB} files"
            )));
        }
        let mut files = Vec::with_capacity(request.files.len());
        for (position, file) in request.files.iter().enumerate() {
            let name = match names::display_name(&file.name, MAX_NAME_CHARS) {
                Ok(name) => name,
                Err(NameProblem::TooLong) => {
                    return Err(ApiError::InvalidRequest(format!(
                        "file names are at most {MAX_NAME_CHARS} characters"
                    )))
                }
                Err(NameProblem::Unprintable) => {
                    return Err(ApiError::InvalidRequest(
                        "file names cannot hold control or text-direction characters".into(),
                    ))
                }
            };
            let name = name.as_str();
            if !is_pdf_name(name) {
                return Err(ApiError::UploadNotPdf("file names must end in .pdf"));
            }
            if file.size_bytes == 0 {
                return Err(ApiError::InvalidRequest("a file cannot be empty".into()));
            }
            if file.size_bytes > MAX_UPLOAD_BYTES {
                return Err(ApiError::UploadTooLarge);
            }
            let file_id = FileId::at_position(position);
            files.push(NewFile {
                key: ObjectKey::upload(&job_id, &file_id),
                file_id,
                name: name.to_owned(),
                size_bytes: file.size_bytes,
            });
        }
        self.check_active(owner, None).await?;
        self.take_daily(owner, files.len(), now).await?;
        let job = NewJob {
            job_id: job_id.clone(),
            owner: owner.to_owned(),
            created_at: now.rfc3339(),
            expires_at: now.plus_seconds(UNSTARTED_JOB_TTL_SECONDS).epoch_seconds(),
            files,
        };
        self.jobs.create_job(&job).await?;
        let mut targets = Vec::with_capacity(job.files.len());
        for file in &job.files {
            let put = self
                .objects
                .presign_put(&file.key, file.size_bytes, UPLOAD_URL_TTL)
                .await?;
            targets.push(UploadTarget {
                file_id: file.file_id.clone(),
                name: file.name.clone(),
                upload_url: put.url,
                headers: put.headers,
                expires_in_seconds: UPLOAD_URL_TTL.as_secs(),
            });
        }
        tracing::info!(job_id = %job_id, files = targets.len(), "job created");
        Ok(CreatedJob {
            job_id,
            status: JobStatus::Created,
            files: targets,
        })
    }

    async fn owned_snapshot(&self, owner: &str, job_id: &JobId) -> Result<JobSnapshot, ApiError> {
        match self.jobs.snapshot(job_id).await? {
            Some(snapshot) if snapshot.job.owner == owner => Ok(snapshot),
            _ => Err(ApiError::JobNotFound),
        }
    }

    /// Checks every upload, then starts the execution named by the job id; a repeated start
    /// answers the same job and never starts a second execution.
    pub async fn start_job(
        &self,
        owner: &str,
        job_id: &JobId,
        now: &Moment,
    ) -> Result<JobView, ApiError> {
        let snapshot = self.owned_snapshot(owner, job_id).await?;
        if snapshot.job.status != JobStatus::Created {
            tracing::info!(job_id = %job_id, status = ?snapshot.job.status, "job started already");
            return self.view(&snapshot).await;
        }
        self.check_active(owner, Some(job_id)).await?;
        // Each upload is checked and copied on its own; the files run at once (a start is on
        // the user's critical path).
        futures_util::future::try_join_all(
            snapshot
                .files
                .iter()
                .map(|file| self.take_upload(job_id, file)),
        )
        .await?;
        let input = ExecutionInput {
            job_id: job_id.clone(),
            owner: owner.to_owned(),
            bucket: self.bucket.to_owned(),
            files: snapshot
                .files
                .iter()
                .map(|file| ExecutionFile {
                    file_id: file.file_id.clone(),
                    key: ObjectKey::input(job_id, &file.file_id),
                })
                .collect(),
        };
        let input = serde_json::to_string(&input).map_err(|_| ApiError::Internal(None))?;
        let started = self.executions.start(job_id.as_str(), &input).await?;
        let file_ids: Vec<FileId> = snapshot.files.iter().map(|f| f.file_id.clone()).collect();
        self.jobs.mark_started(job_id, &file_ids, now).await?;
        tracing::info!(job_id = %job_id, new_execution = started, "job started");
        let snapshot = self.owned_snapshot(owner, job_id).await?;
        self.view(&snapshot).await
    }

    /// An upload exists and has the size the client declared (at most the limit); it is then
    /// copied to the job's input key, which no upload URL can write, and the copy is checked
    /// again (size, `%PDF-`). The pipeline reads only the copy, so a PDF swapped through the
    /// still-valid upload URL after this check never reaches it.
    async fn take_upload(&self, job_id: &JobId, file: &FileItem) -> Result<(), ApiError> {
        let size = self
            .objects
            .size(&file.key)
            .await?
            .ok_or_else(|| ApiError::UploadMissing(file.file_id.clone()))?;
        self.check_size(file, size)?;
        let input = ObjectKey::input(job_id, &file.file_id);
        let copied = match self.objects.copy(&file.key, &input).await {
            Err(StoreError::NotFound(_)) => {
                return Err(ApiError::UploadMissing(file.file_id.clone()))
            }
            other => other?,
        };
        self.check_size(file, copied)?;
        let head = self.objects.read_prefix(&input, MAGIC_WINDOW).await?;
        if !head.windows(5).any(|window| window == b"%PDF-") {
            return Err(ApiError::UploadNotPdf("an upload has no %PDF- header"));
        }
        Ok(())
    }

    fn check_size(&self, file: &FileItem, size: u64) -> Result<(), ApiError> {
        if size > MAX_UPLOAD_BYTES {
            return Err(ApiError::UploadTooLarge);
        }
        if size != file.size_bytes {
            return Err(ApiError::UploadSizeMismatch(file.file_id.clone()));
        }
        Ok(())
    }

    /// Deletes one of the owner's jobs that is not running: its objects (upload, input copy,
    /// text, large result), then its items, then tells the owner's open sockets
    /// (`jobDeleted`; one whose token expired is closed instead, [`crate::session`]).
    /// Deleting a deleted job answers `Job.NotFound`.
    pub async fn delete_job<C, P>(
        &self,
        owner: &str,
        job_id: &JobId,
        connections: &C,
        poster: &P,
        now: &Moment,
    ) -> Result<(), ApiError>
    where
        C: ConnectionStore,
        P: ConnectionPoster,
    {
        let snapshot = self.owned_snapshot(owner, job_id).await?;
        if snapshot.job.status == JobStatus::Running {
            return Err(ApiError::JobRunning);
        }
        let file_ids: Vec<FileId> = snapshot.files.iter().map(|f| f.file_id.clone()).collect();
        let keys: Vec<ObjectKey> = file_ids
            .iter()
            .flat_map(|file_id| ObjectKey::all_of(job_id, file_id))
            .collect();
        futures_util::future::try_join_all(keys.iter().map(|key| self.objects.delete(key))).await?;
        self.jobs.erase_job(job_id, &file_ids).await?;
        tracing::info!(job_id = %job_id, files = file_ids.len(), "job deleted");
        let message = ServerMessage::JobDeleted {
            job_id: job_id.clone(),
        }
        .to_json_bytes();
        // The deletion stands whether or not a socket hears of it.
        match connections.connections_of(owner, now).await {
            Ok(entries) => {
                for entry in entries {
                    if entry.token_expired(now) {
                        crate::session::close_expired(connections, poster, &entry).await;
                        continue;
                    }
                    let id = entry.connection_id;
                    if let Err(error) = poster.post(&id, &message).await {
                        tracing::info!(job_id = %job_id, connection_id = id, %error, "deletion notice not delivered");
                    }
                }
            }
            Err(error) => {
                tracing::warn!(job_id = %job_id, %error, "deletion notice not sent");
            }
        }
        Ok(())
    }

    pub async fn get_job(&self, owner: &str, job_id: &JobId) -> Result<JobView, ApiError> {
        let snapshot = self.owned_snapshot(owner, job_id).await?;
        self.view(&snapshot).await
    }

    pub async fn list_jobs(&self, owner: &str, limit: u32) -> Result<JobList, ApiError> {
        let jobs = self.jobs.jobs_of(owner, limit).await?;
        Ok(JobList {
            jobs: jobs.iter().map(views::job_summary).collect(),
        })
    }

    async fn view(&self, snapshot: &JobSnapshot) -> Result<JobView, ApiError> {
        let mut files = Vec::with_capacity(snapshot.files.len());
        for file in &snapshot.files {
            let pairs = match (&file.pairs, &file.result_key) {
                (Some(pairs), _) => Some(pairs.clone()),
                (None, Some(key)) => {
                    let bytes = self.objects.read(key).await?;
                    let pairs = serde_json::from_slice::<Vec<LabeledPair>>(&bytes).map_err(|_| {
                        tracing::error!(job_id = %snapshot.job.job_id, file_id = %file.file_id, "unreadable result object");
                        ApiError::Internal(None)
                    })?;
                    Some(pairs)
                }
                (None, None) => None,
            };
            files.push(views::file_view(file, pairs));
        }
        Ok(views::job_view(&snapshot.job, files))
    }
}
