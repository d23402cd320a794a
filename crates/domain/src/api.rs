//! The HTTP API's JSON bodies (`contracts/http-api.openapi.yaml`) and the one table of the
//! names a client sees when a request is refused — by the HTTP API or on the WebSocket. The
//! `api` function serialises these types, the local stack's client and the contract tests
//! read them: one definition for both sides.
//!
//! These names never reach the state machine (nothing retries them), so they are not in the
//! pipeline's [`ErrorKind`](crate::ErrorKind) table.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{FileId, FileStatus, JobId, JobStatus, LabeledPair, Prefill, TokenUsage};

pub use crate::MAX_UPLOAD_BYTES;

macro_rules! api_error_names {
    ($( $(#[$doc:meta])* $variant:ident => $name:literal, $status:literal; )+) => {
        /// Why a client request was refused: the name in `{error, message}` bodies and in
        /// WebSocket `error` messages, with its HTTP status.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ApiErrorName {
            $( $(#[$doc])* $variant, )+
        }

        impl ApiErrorName {
            /// Every name, in table order.
            pub const ALL: &'static [ApiErrorName] = &[$(ApiErrorName::$variant),+];

            pub const fn name(self) -> &'static str {
                match self { $(ApiErrorName::$variant => $name,)+ }
            }

            /// The HTTP status the API answers with.
            pub const fn status(self) -> u16 {
                match self { $(ApiErrorName::$variant => $status,)+ }
            }
        }
    };
}

api_error_names! {
    /// The request cannot be read or breaks a rule of the API.
    RequestInvalid => "Request.Invalid", 400;
    /// No valid token, or no verified subject.
    AuthUnauthorized => "Auth.Unauthorized", 401;
    /// No such job — or another user's (the two are indistinguishable).
    JobNotFound => "Job.NotFound", 404;
    /// The job is running: it can be deleted once it has ended.
    JobRunning => "Job.Running", 409;
    /// A file was not uploaded before the start.
    UploadMissing => "Upload.Missing", 409;
    /// A file is over [`MAX_UPLOAD_BYTES`].
    UploadTooLarge => "Upload.TooLarge", 413;
    /// A file is not named `.pdf` or does not start like a PDF.
    UploadNotPdf => "Upload.NotPdf", 422;
    /// An upload's size is not the declared one.
    UploadSizeMismatch => "Upload.SizeMismatch", 422;
    /// One of the user's quotas (running jobs, jobs or files per day) is used up; the
    /// response's `Retry-After` says when to try again.
    QuotaExceeded => "Quota.Exceeded", 429;
    /// A bug on our side.
    InternalError => "Internal.Error", 500;
    /// A service we depend on failed; retry shortly.
    ServiceUnavailable => "Service.Unavailable", 503;
}

impl ApiErrorName {
    pub fn from_name(name: &str) -> Option<ApiErrorName> {
        ApiErrorName::ALL.iter().copied().find(|n| n.name() == name)
    }
}

impl fmt::Display for ApiErrorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for ApiErrorName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for ApiErrorName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        ApiErrorName::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom("unknown API error name"))
    }
}

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ApiErrorName,
    pub message: String,
}

/// `POST /jobs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateJobRequest {
    pub files: Vec<FileToUpload>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FileToUpload {
    pub name: String,
    pub size_bytes: u64,
}

/// `201` to `POST /jobs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedJob {
    pub job_id: JobId,
    pub status: JobStatus,
    pub files: Vec<UploadTarget>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadTarget {
    pub file_id: FileId,
    pub name: String,
    /// PUT the PDF here, with `headers`, before the URL expires.
    pub upload_url: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub expires_in_seconds: u64,
}

/// Tokens spent on the AI provider, as the API shows them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub ai_calls: u32,
}

impl From<TokenUsage> for Usage {
    fn from(usage: TokenUsage) -> Usage {
        Usage {
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
            ai_calls: usage.calls,
        }
    }
}

impl Usage {
    fn plus(self, other: Usage) -> Usage {
        Usage {
            input_tokens: self.input_tokens.saturating_add(other.input_tokens),
            output_tokens: self.output_tokens.saturating_add(other.output_tokens),
            ai_calls: self.ai_calls.saturating_add(other.ai_calls),
        }
    }
}

/// One file of a job (`GET /jobs/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileView {
    pub file_id: FileId,
    pub name: String,
    pub size_bytes: u64,
    pub status: FileStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chars: Option<u64>,
    pub truncated: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pair_count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pairs: Option<Vec<LabeledPair>>,
    /// The save-form suggestions read from the file, once labeled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefill: Option<Prefill>,
    pub usage: Usage,
}

/// A job with its files (`GET /jobs/{id}`, `202` to `POST /jobs/{id}/start`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    pub job_id: JobId,
    pub status: JobStatus,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    pub succeeded: u32,
    pub failed: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// Tokens spent on the AI provider, summed over the files.
    pub usage: Usage,
    pub files: Vec<FileView>,
}

impl JobView {
    /// The sum of the files' usage.
    pub fn total_usage(files: &[FileView]) -> Usage {
        files
            .iter()
            .fold(Usage::default(), |sum, file| sum.plus(file.usage))
    }

    pub fn file(&self, file_id: &str) -> Option<&FileView> {
        self.files.iter().find(|file| file.file_id == file_id)
    }
}

/// One of the caller's jobs (`GET /jobs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSummary {
    pub job_id: JobId,
    pub status: JobStatus,
    pub created_at: String,
    pub file_count: u32,
    pub succeeded: u32,
    pub failed: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobList {
    pub jobs: Vec<JobSummary>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_names_are_unique_dotted_and_round_trip() {
        let mut names: Vec<_> = ApiErrorName::ALL.iter().map(|n| n.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ApiErrorName::ALL.len());
        for name in ApiErrorName::ALL {
            assert!(name.name().contains('.'));
            assert!((400..600).contains(&name.status()));
            let json = serde_json::to_string(name).expect("serialise");
            assert_eq!(
                serde_json::from_str::<ApiErrorName>(&json).ok(),
                Some(*name)
            );
        }
        assert_eq!(ApiErrorName::JobNotFound.status(), 404);
    }

    #[test]
    fn usage_sums_over_files() {
        let file = |calls| FileView {
            file_id: FileId::at_position(0),
            name: "a.pdf".into(),
            size_bytes: 1,
            status: FileStatus::Succeeded,
            error: None,
            cause: None,
            pages: None,
            chars: None,
            truncated: false,
            pair_count: None,
            pairs: None,
            prefill: None,
            usage: Usage {
                input_tokens: 10,
                output_tokens: 2,
                ai_calls: calls,
            },
        };
        let total = JobView::total_usage(&[file(1), file(2)]);
        assert_eq!(
            total,
            Usage {
                input_tokens: 20,
                output_tokens: 4,
                ai_calls: 3
            }
        );
    }
}
