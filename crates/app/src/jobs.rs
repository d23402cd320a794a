//! What a user does with jobs through the HTTP API: create one with upload URLs, start it
//! once its uploads check out, read it, list them. Every call is scoped to the caller: another
//! user's job is indistinguishable from one that does not exist.

use std::time::Duration;

use narratix_domain::api::{
    ApiErrorName, CreateJobRequest, CreatedJob, JobList, JobView, UploadTarget, MAX_UPLOAD_BYTES,
};
use narratix_domain::messages::{ExecutionFile, ExecutionInput};
use narratix_domain::{FileId, JobId, JobStatus, LabeledPair, ObjectKey, MAX_FILES_PER_JOB};
use narratix_store::ports::{Executions, JobReader, JobWriter, ObjectReader, UploadUrls};
use narratix_store::{FileItem, JobSnapshot, Moment, NewFile, NewJob, StoreError};

use crate::views;

/// How long an unstarted job is kept.
pub const UNSTARTED_JOB_TTL_SECONDS: i64 = 24 * 60 * 60;
/// How long a presigned upload URL is valid.
pub const UPLOAD_URL_TTL: Duration = Duration::from_secs(15 * 60);
/// How many bytes are read to find the `%PDF-` header (the format allows it within 1 KiB).
pub const MAGIC_WINDOW: u64 = 1024;
/// Longest file name accepted.
pub const MAX_NAME_CHARS: usize = 255;

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
            ApiError::Unavailable(_) => ApiErrorName::ServiceUnavailable,
            ApiError::Internal(_) => ApiErrorName::InternalError,
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
}

impl<J, O, E> JobService<'_, J, O, E>
where
    J: JobReader + JobWriter,
    O: UploadUrls + ObjectReader,
    E: Executions,
{
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
            let name = file.name.trim();
            if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
                return Err(ApiError::InvalidRequest(format!(
                    "file names are at most {MAX_NAME_CHARS} printable characters"
                )));
            }
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
        // Each upload is checked on its own; the checks run at once (a start is on the user's
        // critical path).
        futures_util::future::try_join_all(
            snapshot.files.iter().map(|file| self.check_upload(file)),
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
                    key: file.key.clone(),
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

    /// An upload exists, has the size the client declared (at most the limit) and starts like a
    /// PDF.
    async fn check_upload(&self, file: &FileItem) -> Result<(), ApiError> {
        let size = self
            .objects
            .size(&file.key)
            .await?
            .ok_or_else(|| ApiError::UploadMissing(file.file_id.clone()))?;
        if size > MAX_UPLOAD_BYTES {
            return Err(ApiError::UploadTooLarge);
        }
        if size != file.size_bytes {
            return Err(ApiError::UploadSizeMismatch(file.file_id.clone()));
        }
        let head = self.objects.read_prefix(&file.key, MAGIC_WINDOW).await?;
        if !head.windows(5).any(|window| window == b"%PDF-") {
            return Err(ApiError::UploadNotPdf("an upload has no %PDF- header"));
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
