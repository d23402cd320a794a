//! The HTTP API (payload v2). Every route is scoped to the caller's JWT subject: another
//! user's job answers 404, exactly like a job that does not exist.
//!
//! - `POST /jobs` `{files: [{name, sizeBytes}]}` → a `CREATED` job and presigned PUT URLs;
//! - `POST /jobs/{id}/start` → checks every upload, then starts the execution named by the
//!   job id; a repeated start answers the same job and never starts a second execution;
//! - `GET /jobs/{id}` → status, files, pairs and token usage;
//! - `GET /jobs` → the caller's recent jobs.

mod error;
mod executions;
pub mod views;

use std::time::Duration;

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderValue, Method};
use narratix_auth::{bearer_token, Verifier};
use narratix_domain::{JobId, JobStatus, LabeledPair, MAX_FILES_PER_JOB};
use narratix_store::ports::{JobStore, ObjectStore};
use narratix_store::{FileItem, JobSnapshot, Moment, NewFile, NewJob};
use serde::Serialize;

pub use error::{ApiError, ErrorBody};
pub use executions::{Executions, StepFunctions};
use views::*;

/// Largest PDF accepted, in bytes.
pub const MAX_FILE_BYTES: u64 = 5 * 1024 * 1024;
/// How long an unstarted job is kept.
pub const UNSTARTED_JOB_TTL_SECONDS: i64 = 24 * 60 * 60;
/// How long a presigned upload URL is valid.
pub const UPLOAD_URL_TTL: Duration = Duration::from_secs(15 * 60);
/// How many bytes are read to find the `%PDF-` header (the format allows it within 1 KiB).
pub const MAGIC_WINDOW: u64 = 1024;
const DEFAULT_LIST_LIMIT: u32 = 20;
const MAX_LIST_LIMIT: u32 = 50;
const MAX_NAME_CHARS: usize = 255;

/// The API over its ports.
pub struct Api<J, O, E> {
    pub jobs: J,
    pub objects: O,
    pub executions: E,
    /// The upload bucket, for the execution input.
    pub bucket: String,
    /// Set when the function verifies bearer tokens itself (`JWT_VERIFY_IN_FUNCTION=true`);
    /// otherwise the HTTP API's JWT authorizer did and its claims are read.
    pub verifier: Option<Verifier>,
}

enum Route {
    CreateJob,
    StartJob(String),
    GetJob(String),
    ListJobs,
}

fn route(method: &Method, path: &str) -> Option<Route> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let jobs_at = segments.iter().position(|s| *s == "jobs")?;
    match (method, &segments[jobs_at + 1..]) {
        (&Method::POST, []) => Some(Route::CreateJob),
        (&Method::GET, []) => Some(Route::ListJobs),
        (&Method::GET, [id]) => Some(Route::GetJob((*id).to_owned())),
        (&Method::POST, [id, "start"]) => Some(Route::StartJob((*id).to_owned())),
        _ => None,
    }
}

fn json_response<T: Serialize>(status: i64, body: &T) -> ApiGatewayV2httpResponse {
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = status;
    response
        .headers
        .insert("content-type", HeaderValue::from_static("application/json"));
    response.body = Some(Body::Text(serde_json::to_string(body).unwrap_or_default()));
    response
}

fn error_response(error: &ApiError) -> ApiGatewayV2httpResponse {
    json_response(error.name_and_status().1, &error.body())
}

fn parse_job_id(id: &str) -> Result<JobId, ApiError> {
    JobId::parse(id).map_err(|_| ApiError::JobNotFound)
}

fn is_pdf_name(name: &str) -> bool {
    name.len() > 4
        && name
            .get(name.len() - 4..)
            .is_some_and(|ext| ext.eq_ignore_ascii_case(".pdf"))
}

impl<J: JobStore, O: ObjectStore, E: Executions> Api<J, O, E> {
    /// Answers one request; every failure becomes an `{error, message}` response.
    pub async fn handle(
        &self,
        request: ApiGatewayV2httpRequest,
        now: Moment,
    ) -> ApiGatewayV2httpResponse {
        match self.dispatch(&request, now).await {
            Ok(response) => response,
            Err(error) => {
                tracing::info!(error = error.name_and_status().0, "request refused");
                error_response(&error)
            }
        }
    }

    async fn dispatch(
        &self,
        request: &ApiGatewayV2httpRequest,
        now: Moment,
    ) -> Result<ApiGatewayV2httpResponse, ApiError> {
        let method = &request.request_context.http.method;
        let path = request
            .raw_path
            .as_deref()
            .or(request.request_context.http.path.as_deref())
            .unwrap_or("/");
        let route = route(method, path)
            .ok_or_else(|| ApiError::InvalidRequest(format!("no route {method} {path}")))?;
        let owner = self.caller(request).await?;
        match route {
            Route::CreateJob => {
                let body = parse_body(request)?;
                let job_id = JobId::parse(&uuid::Uuid::new_v4().simple().to_string())
                    .map_err(|_| ApiError::Internal)?;
                Ok(json_response(
                    201,
                    &self.create_job(&owner, body, job_id, &now).await?,
                ))
            }
            Route::StartJob(id) => Ok(json_response(
                202,
                &self.start_job(&owner, &parse_job_id(&id)?, &now).await?,
            )),
            Route::GetJob(id) => Ok(json_response(
                200,
                &self.get_job(&owner, &parse_job_id(&id)?).await?,
            )),
            Route::ListJobs => {
                let limit = match request.query_string_parameters.first("limit") {
                    None => DEFAULT_LIST_LIMIT,
                    Some(text) => text
                        .parse::<u32>()
                        .ok()
                        .filter(|n| (1..=MAX_LIST_LIMIT).contains(n))
                        .ok_or_else(|| {
                            ApiError::InvalidRequest(format!("limit must be 1..={MAX_LIST_LIMIT}"))
                        })?,
                };
                Ok(json_response(200, &self.list_jobs(&owner, limit).await?))
            }
        }
    }

    /// The JWT subject of the caller.
    async fn caller(&self, request: &ApiGatewayV2httpRequest) -> Result<String, ApiError> {
        if let Some(verifier) = &self.verifier {
            let header = request
                .headers
                .get("authorization")
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            let token = bearer_token(header)
                .ok_or_else(|| ApiError::Unauthorized("missing bearer token".into()))?;
            return match verifier.verify(token).await {
                Ok(claims) => Ok(claims.sub),
                Err(error) if error.is_rejection() => {
                    Err(ApiError::Unauthorized(error.to_string()))
                }
                Err(error) => {
                    tracing::error!(%error, "cannot verify tokens");
                    Err(ApiError::Unavailable)
                }
            };
        }
        request
            .request_context
            .authorizer
            .as_ref()
            .and_then(|authorizer| authorizer.jwt.as_ref())
            .and_then(|jwt| jwt.claims.get("sub"))
            .filter(|sub| !sub.is_empty())
            .cloned()
            .ok_or_else(|| ApiError::Unauthorized("no verified subject".into()))
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
            let name = file.name.trim();
            if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
                return Err(ApiError::InvalidRequest(format!(
                    "file names are at most {MAX_NAME_CHARS} printable characters"
                )));
            }
            if !is_pdf_name(name) {
                return Err(ApiError::UploadNotPdf("file names must end in .pdf".into()));
            }
            if file.size_bytes == 0 {
                return Err(ApiError::InvalidRequest("a file cannot be empty".into()));
            }
            if file.size_bytes > MAX_FILE_BYTES {
                return Err(ApiError::UploadTooLarge(format!(
                    "a file is at most {MAX_FILE_BYTES} bytes"
                )));
            }
            let file_id = format!("f{}", position + 1);
            files.push(NewFile {
                key: format!("uploads/{job_id}/{file_id}.pdf"),
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
            job_id: job_id.to_string(),
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
            job_id: job_id.to_string(),
            owner: owner.to_owned(),
            bucket: self.bucket.clone(),
            files: snapshot
                .files
                .iter()
                .map(|file| ExecutionFile {
                    file_id: file.file_id.clone(),
                    key: file.key.clone(),
                })
                .collect(),
        };
        let input = serde_json::to_string(&input).map_err(|_| ApiError::Internal)?;
        let started = self.executions.start(job_id.as_str(), &input).await?;
        let file_ids: Vec<String> = snapshot.files.iter().map(|f| f.file_id.clone()).collect();
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
        if size > MAX_FILE_BYTES {
            return Err(ApiError::UploadTooLarge(format!(
                "file {} is over {MAX_FILE_BYTES} bytes",
                file.file_id
            )));
        }
        if size != file.size_bytes {
            return Err(ApiError::UploadSizeMismatch(file.file_id.clone()));
        }
        let head = self.objects.read_prefix(&file.key, MAGIC_WINDOW).await?;
        if !head.windows(5).any(|window| window == b"%PDF-") {
            return Err(ApiError::UploadNotPdf(format!(
                "file {} has no %PDF- header",
                file.file_id
            )));
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
            jobs: jobs.iter().map(JobSummary::from).collect(),
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
                        tracing::error!(job_id = %snapshot.job.job_id, file_id = file.file_id, "unreadable result object");
                        ApiError::Internal
                    })?;
                    Some(pairs)
                }
                (None, None) => None,
            };
            files.push(FileView::new(file, pairs));
        }
        Ok(JobView::new(&snapshot.job, files))
    }
}

fn parse_body(request: &ApiGatewayV2httpRequest) -> Result<CreateJobRequest, ApiError> {
    if request.is_base64_encoded {
        return Err(ApiError::InvalidRequest(
            "send the body as JSON (content-type application/json)".into(),
        ));
    }
    let body = request.body.as_deref().unwrap_or_default();
    serde_json::from_str(body).map_err(|err| {
        ApiError::InvalidRequest(format!(
            "expected {{\"files\": [{{\"name\", \"sizeBytes\"}}]}}: {}",
            narratix_domain::one_line(&err.to_string())
        ))
    })
}
