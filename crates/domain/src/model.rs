use serde::{Deserialize, Serialize};
use std::fmt;

use crate::{Category, WireError};

/// A job holds at most this many PDFs.
pub const MAX_FILES_PER_JOB: usize = 3;

/// A job id. It doubles as the Step Functions execution name, so it is restricted to
/// characters the console shows as they are: ASCII letters, digits, `-` and `_`, 1–80 long.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct JobId(String);

/// The text was not a valid job id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid job id: must be 1-80 characters of A-Z a-z 0-9 - _")]
pub struct InvalidJobId;

impl JobId {
    pub fn parse(id: &str) -> Result<JobId, InvalidJobId> {
        let valid = !id.is_empty()
            && id.len() <= 80
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if valid {
            Ok(JobId(id.to_owned()))
        } else {
            Err(InvalidJobId)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for JobId {
    type Error = InvalidJobId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        JobId::parse(&value)
    }
}

impl From<JobId> for String {
    fn from(id: JobId) -> String {
        id.0
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a job stands. `SUCCEEDED`, `PARTIAL` and `FAILED` are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    /// Created, waiting for uploads and the start call.
    Created,
    /// The state machine is working on it.
    Running,
    /// Every file labeled.
    Succeeded,
    /// Some files labeled, some failed.
    Partial,
    /// No file labeled, or the job itself failed.
    Failed,
}

impl JobStatus {
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobStatus::Succeeded | JobStatus::Partial | JobStatus::Failed
        )
    }

    /// The final status of a job from its files' outcomes.
    pub fn from_counts(succeeded: usize, failed: usize) -> JobStatus {
        match (succeeded, failed) {
            (0, _) => JobStatus::Failed,
            (_, 0) => JobStatus::Succeeded,
            _ => JobStatus::Partial,
        }
    }
}

/// Where one file of a job stands. `SUCCEEDED` and `FAILED` are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FileStatus {
    Pending,
    Extracting,
    Labeling,
    Succeeded,
    Failed,
}

impl FileStatus {
    pub fn is_final(self) -> bool {
        matches!(self, FileStatus::Succeeded | FileStatus::Failed)
    }
}

/// One question and the applicant's answer, with the question's category. The answer is the
/// extracted text exactly (whitespace normalised), never model output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabeledPair {
    pub question: String,
    pub answer: String,
    pub category: Category,
}

/// Tokens spent on the AI provider.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenUsage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub calls: u32,
}

impl TokenUsage {
    pub fn add(&mut self, other: TokenUsage) {
        self.input_tokens = self.input_tokens.saturating_add(other.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(other.output_tokens);
        self.calls = self.calls.saturating_add(other.calls);
    }
}

/// What became of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FileOutcome {
    Succeeded {
        pairs: Vec<LabeledPair>,
        usage: TokenUsage,
        #[serde(default)]
        truncated: bool,
    },
    Failed {
        #[serde(flatten)]
        error: WireError,
    },
}

/// One file of a job, as the user sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobFile {
    pub file_id: String,
    /// The name the user uploaded it under (shown, never used as a storage key).
    pub name: String,
    pub status: FileStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<WireError>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pairs: Vec<LabeledPair>,
    #[serde(default)]
    pub usage: TokenUsage,
}

/// A job as stored and as returned to its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobRecord {
    pub job_id: JobId,
    /// The JWT subject of the owner.
    pub owner: String,
    pub status: JobStatus,
    pub files: Vec<JobFile>,
    /// RFC 3339 creation time.
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<WireError>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn job_ids_are_execution_name_safe() {
        assert!(JobId::parse("job-2026_abc").is_ok());
        for bad in ["", "a b", "한글", "a/b", "x".repeat(81).as_str(), "a:b"] {
            assert_eq!(JobId::parse(bad), Err(InvalidJobId), "{bad:?}");
        }
        assert!(serde_json::from_str::<JobId>("\"bad id\"").is_err());
    }

    #[test]
    fn final_status_from_counts() {
        assert_eq!(JobStatus::from_counts(3, 0), JobStatus::Succeeded);
        assert_eq!(JobStatus::from_counts(2, 1), JobStatus::Partial);
        assert_eq!(JobStatus::from_counts(0, 3), JobStatus::Failed);
        assert_eq!(JobStatus::from_counts(0, 0), JobStatus::Failed);
        assert!(JobStatus::Partial.is_final());
        assert!(!JobStatus::Running.is_final());
    }

    #[test]
    fn usage_sums_saturate() {
        let mut usage = TokenUsage {
            input_tokens: u64::MAX,
            output_tokens: 1,
            calls: u32::MAX,
        };
        usage.add(TokenUsage {
            input_tokens: 5,
            output_tokens: 2,
            calls: 1,
        });
        assert_eq!(usage.input_tokens, u64::MAX);
        assert_eq!(usage.output_tokens, 3);
        assert_eq!(usage.calls, u32::MAX);
    }

    #[test]
    fn outcome_wire_shape() {
        let failed = FileOutcome::Failed {
            error: ErrorKind::ExtractEncrypted.with_cause("needs a user password"),
        };
        let json = serde_json::to_value(&failed).expect("serialise");
        assert_eq!(json["status"], "FAILED");
        assert_eq!(json["error"], "Extract.Encrypted");
        assert_eq!(json["cause"], "needs a user password");
        let ok = FileOutcome::Succeeded {
            pairs: vec![LabeledPair {
                question: "지원동기를 쓰시오".into(),
                answer: "저는".into(),
                category: Category::Motivation,
            }],
            usage: TokenUsage::default(),
            truncated: false,
        };
        let json = serde_json::to_value(&ok).expect("serialise");
        assert_eq!(json["pairs"][0]["category"], "MOTIVATION");
        assert_eq!(
            serde_json::from_value::<FileOutcome>(json).expect("round trip"),
            ok
        );
    }
}
