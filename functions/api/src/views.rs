//! The HTTP API's JSON bodies (`contracts/http-api.openapi.yaml`).

use std::collections::BTreeMap;

use narratix_domain::{FileStatus, JobStatus, LabeledPair, TokenUsage};
use narratix_store::{FileItem, JobItem};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateJobRequest {
    pub files: Vec<FileToUpload>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FileToUpload {
    pub name: String,
    pub size_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedJob {
    pub job_id: String,
    pub status: JobStatus,
    pub files: Vec<UploadTarget>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadTarget {
    pub file_id: String,
    pub name: String,
    /// PUT the PDF here, with `headers`, before the URL expires.
    pub upload_url: String,
    pub headers: BTreeMap<String, String>,
    pub expires_in_seconds: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageView {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub ai_calls: u32,
}

impl From<TokenUsage> for UsageView {
    fn from(usage: TokenUsage) -> UsageView {
        UsageView {
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
            ai_calls: usage.calls,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileView {
    pub file_id: String,
    pub name: String,
    pub size_bytes: u64,
    pub status: FileStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pages: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chars: Option<u64>,
    pub truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pair_count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pairs: Option<Vec<LabeledPair>>,
    pub usage: UsageView,
}

impl FileView {
    pub fn new(file: &FileItem, pairs: Option<Vec<LabeledPair>>) -> FileView {
        FileView {
            file_id: file.file_id.clone(),
            name: file.name.clone(),
            size_bytes: file.size_bytes,
            status: file.status,
            error: file.error.as_ref().map(|e| e.error.clone()),
            cause: file.error.as_ref().map(|e| e.cause.clone()),
            pages: file.pages,
            chars: file.chars,
            truncated: file.truncated,
            pair_count: file.pair_count.or_else(|| {
                pairs
                    .as_ref()
                    .map(|p| u32::try_from(p.len()).unwrap_or(u32::MAX))
            }),
            pairs,
            usage: file.usage.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    pub job_id: String,
    pub status: JobStatus,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    pub succeeded: u32,
    pub failed: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// Tokens spent on the AI provider, summed over the files.
    pub usage: UsageView,
    pub files: Vec<FileView>,
}

impl JobView {
    pub fn new(job: &JobItem, files: Vec<FileView>) -> JobView {
        let usage = files
            .iter()
            .fold(UsageView::default(), |sum, file| UsageView {
                input_tokens: sum.input_tokens + file.usage.input_tokens,
                output_tokens: sum.output_tokens + file.usage.output_tokens,
                ai_calls: sum.ai_calls + file.usage.ai_calls,
            });
        JobView {
            job_id: job.job_id.to_string(),
            status: job.status,
            created_at: job.created_at.clone(),
            started_at: job.started_at.clone(),
            finished_at: job.finished_at.clone(),
            succeeded: job.succeeded,
            failed: job.failed,
            error: job.error.as_ref().map(|e| e.error.clone()),
            cause: job.error.as_ref().map(|e| e.cause.clone()),
            usage,
            files,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSummary {
    pub job_id: String,
    pub status: JobStatus,
    pub created_at: String,
    pub file_count: u32,
    pub succeeded: u32,
    pub failed: u32,
}

impl From<&JobItem> for JobSummary {
    fn from(job: &JobItem) -> JobSummary {
        JobSummary {
            job_id: job.job_id.to_string(),
            status: job.status,
            created_at: job.created_at.clone(),
            file_count: job.file_count,
            succeeded: job.succeeded,
            failed: job.failed,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobList {
    pub jobs: Vec<JobSummary>,
}

/// The Step Functions execution input: ids and keys only, never names or text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionInput {
    pub job_id: String,
    pub owner: String,
    pub bucket: String,
    pub files: Vec<ExecutionFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionFile {
    pub file_id: String,
    pub key: String,
}
