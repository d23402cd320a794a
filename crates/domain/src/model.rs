use serde::{Deserialize, Serialize};

use crate::{AnswerLength, Category, LengthLimit};

/// A job holds at most this many PDFs.
pub const MAX_FILES_PER_JOB: usize = 3;

/// Largest PDF a job takes, in bytes (5 MiB): what `POST /jobs` signs, what the start checks,
/// what the extract step accepts and what the OpenAPI document states — one number for all.
pub const MAX_UPLOAD_BYTES: u64 = 5 * 1024 * 1024;

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
    pub const ALL: [JobStatus; 5] = [
        JobStatus::Created,
        JobStatus::Running,
        JobStatus::Succeeded,
        JobStatus::Partial,
        JobStatus::Failed,
    ];

    /// The stored and wire form, e.g. `RUNNING`.
    pub const fn as_str(self) -> &'static str {
        match self {
            JobStatus::Created => "CREATED",
            JobStatus::Running => "RUNNING",
            JobStatus::Succeeded => "SUCCEEDED",
            JobStatus::Partial => "PARTIAL",
            JobStatus::Failed => "FAILED",
        }
    }

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
    pub const ALL: [FileStatus; 5] = [
        FileStatus::Pending,
        FileStatus::Extracting,
        FileStatus::Labeling,
        FileStatus::Succeeded,
        FileStatus::Failed,
    ];

    /// The stored and wire form, e.g. `LABELING`.
    pub const fn as_str(self) -> &'static str {
        match self {
            FileStatus::Pending => "PENDING",
            FileStatus::Extracting => "EXTRACTING",
            FileStatus::Labeling => "LABELING",
            FileStatus::Succeeded => "SUCCEEDED",
            FileStatus::Failed => "FAILED",
        }
    }

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
    /// The length limit the question states (`(700자)`), if it states one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<LengthLimit>,
    /// The answer's length, with and without spaces (and in bytes when the limit is in bytes).
    #[serde(default)]
    pub answer_length: AnswerLength,
    /// The answer is longer than the limit allows.
    #[serde(default)]
    pub over_limit: bool,
}

impl LabeledPair {
    /// A pair with its answer measured against `limit`.
    pub fn new(
        question: String,
        answer: String,
        category: Category,
        limit: Option<LengthLimit>,
    ) -> LabeledPair {
        let answer_length = AnswerLength::of(&answer, limit.as_ref());
        let over_limit = limit.as_ref().is_some_and(|l| answer_length.over(l));
        LabeledPair {
            question,
            answer,
            category,
            limit,
            answer_length,
            over_limit,
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn stored_forms_are_the_serde_forms() {
        for status in JobStatus::ALL {
            assert_eq!(
                serde_json::to_value(status).ok(),
                Some(status.as_str().into())
            );
        }
        for status in FileStatus::ALL {
            assert_eq!(
                serde_json::to_value(status).ok(),
                Some(status.as_str().into())
            );
        }
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
}
