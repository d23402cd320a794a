//! Every message that crosses a process boundary, defined once: what the state machine sends
//! the functions and gets back, the label queue's message, and the WebSocket messages
//! (`contracts/websocket-messages.schema.json`). Ids and keys only — never applicant text,
//! except the labeled pairs a `fileDone` carries to their owner.

use serde::{Deserialize, Serialize};

use crate::{FileId, FileStatus, JobId, JobStatus, LabeledPair, ObjectKey, Prefill};

// ---------------------------------------------------------------------------------------------
// The execution and its tasks

/// The Step Functions execution input (`POST /jobs/{id}/start`): ids and keys, never names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionInput {
    pub job_id: JobId,
    pub owner: String,
    pub bucket: String,
    pub files: Vec<ExecutionFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionFile {
    pub file_id: FileId,
    pub key: ObjectKey,
}

/// The `extract` function's input (one Map iteration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtractRequest {
    pub job_id: JobId,
    pub file_id: FileId,
    pub bucket: String,
    pub key: ObjectKey,
}

/// The `extract` function's output: where the text is and its measures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtractResult {
    pub text_key: ObjectKey,
    pub pages: u32,
    pub chars: u32,
    pub truncated: bool,
}

/// The label queue's message, sent by the state machine's `sqs:sendMessage.waitForTaskToken`
/// step: one file to label and the token of the task waiting for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelMessage {
    pub task_token: String,
    pub job_id: JobId,
    pub file_id: FileId,
    /// The extracted text, `text/{jobId}/{fileId}.txt`.
    pub text_key: ObjectKey,
    /// The rate governor's slot for this file's AI call (ms since the Unix epoch), set when
    /// a worker handed the message back to the queue to wait for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserved_at: Option<i64>,
}

/// Why a queue message is not a [`LabelMessage`]. Reasons come from the message's shape, never
/// its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnreadableLabelMessage {
    /// No task token: nobody can be told about the failure.
    WithoutToken { reason: String },
    /// The token is readable, so the waiting task can be failed with `Input.Invalid`.
    WithToken { task_token: String, reason: String },
}

impl LabelMessage {
    /// Reads a queue message body; when only the token is readable, says so with it.
    pub fn parse(body: Option<&str>) -> Result<LabelMessage, UnreadableLabelMessage> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct TokenOnly {
            task_token: String,
        }
        let without_token = |reason: &str| UnreadableLabelMessage::WithoutToken {
            reason: reason.to_owned(),
        };
        let body = body.ok_or_else(|| without_token("the message has no body"))?;
        let token = match serde_json::from_str::<TokenOnly>(body) {
            Ok(only) if !only.task_token.is_empty() => only.task_token,
            Ok(_) => return Err(without_token("taskToken is empty")),
            Err(error) if error.is_syntax() || error.is_eof() => {
                return Err(without_token("the message body is not JSON"))
            }
            Err(_) => return Err(without_token("taskToken is missing or not a string")),
        };
        serde_json::from_str::<LabelMessage>(body).map_err(|error| {
            UnreadableLabelMessage::WithToken {
                task_token: token,
                reason: crate::one_line(&shape_problem(&error)),
            }
        })
    }
}

/// A serde error without its position and without any value it quotes (`invalid type:
/// string "…"`), which could be anything a sender put there.
fn shape_problem(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let text = text.split(" at line ").next().unwrap_or_default();
    match text.split_once(": ") {
        Some((head, _))
            if head.starts_with("invalid type") || head.starts_with("invalid value") =>
        {
            head.to_owned()
        }
        _ if text.starts_with("invalid type") || text.starts_with("invalid value") => {
            "a field has the wrong type".to_owned()
        }
        _ => text.to_owned(),
    }
}

/// What the label worker sends the waiting task (`SendTaskSuccess`): counts only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelTaskOutput {
    pub pair_count: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// The `aggregate` function's input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AggregateRequest {
    pub job_id: JobId,
}

/// The `aggregate` function's output: the job's final status and counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobTally {
    pub job_id: JobId,
    pub status: JobStatus,
    pub succeeded: u32,
    pub failed: u32,
}

/// What the state machine asks `notify` to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum NoticeKind {
    FileProgress,
    FileDone,
    JobDone,
    JobFailed,
}

/// The `notify` function's input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotifyRequest {
    pub job_id: JobId,
    pub event: NoticeKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_id: Option<FileId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<FileStatus>,
}

// ---------------------------------------------------------------------------------------------
// The WebSocket

/// A client → server WebSocket message (routed by `action`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "camelCase")]
pub enum ClientMessage {
    /// Follow one of the caller's own jobs on this connection and catch up on its state.
    #[serde(rename_all = "camelCase")]
    Subscribe { job_id: String },
}

/// A server → client WebSocket message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ServerMessage {
    /// A file entered a stage (`EXTRACTING` or `LABELING`).
    #[serde(rename_all = "camelCase")]
    FileProgress {
        job_id: JobId,
        file_id: FileId,
        stage: FileStatus,
    },
    /// A file is final. Pairs are inline unless they were too large for the table; then only
    /// `pairCount` is given and `GET /jobs/{id}` has them.
    #[serde(rename_all = "camelCase")]
    FileDone {
        job_id: JobId,
        file_id: FileId,
        status: FileStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cause: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pairs: Option<Vec<LabeledPair>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pair_count: Option<u32>,
        /// The save-form suggestions read from the file (each field null when absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prefill: Option<Box<Prefill>>,
    },
    /// The job is final with its files' counts. `noticeId` is the same on every delivery of
    /// the job's final notice (a retry, the sweep, a subscriber's catch-up): a client shows
    /// the first and drops the others.
    #[serde(rename_all = "camelCase")]
    JobDone {
        job_id: JobId,
        notice_id: String,
        status: JobStatus,
        succeeded: u32,
        failed: u32,
    },
    /// The job itself failed (not just its files); `noticeId` as for `jobDone`.
    #[serde(rename_all = "camelCase")]
    JobFailed {
        job_id: JobId,
        notice_id: String,
        error: String,
        cause: String,
    },
    /// The job was deleted by its owner: its items and objects are gone.
    #[serde(rename_all = "camelCase")]
    JobDeleted { job_id: JobId },
    /// Answer to `subscribe`: the job's status now; replayed file and job messages follow.
    #[serde(rename_all = "camelCase")]
    Subscribed { job_id: JobId, status: JobStatus },
    /// Answer to a client message that could not be served; `error` is a name of
    /// [`crate::api::ApiErrorName`].
    #[serde(rename_all = "camelCase")]
    Error { error: String, message: String },
    /// The token the connection was opened with expired (`expiredAt`, RFC 3339): the last
    /// message on it, then the server closes it. Sign in again and open a new one.
    #[serde(rename_all = "camelCase")]
    SessionExpired { expired_at: String },
}

/// The id every delivery of a job's final notice carries (`noticeId`).
pub fn final_notice_id(job_id: &JobId) -> String {
    format!("{job_id}.final")
}

impl ServerMessage {
    /// The `error` answer to a client message.
    pub fn error(name: crate::api::ApiErrorName, message: impl Into<String>) -> ServerMessage {
        ServerMessage::Error {
            error: name.name().to_owned(),
            message: message.into(),
        }
    }

    /// Whether this is a job's final notice (`jobDone` or `jobFailed`).
    pub fn is_final_notice(&self) -> bool {
        matches!(
            self,
            ServerMessage::JobDone { .. } | ServerMessage::JobFailed { .. }
        )
    }

    /// The job the message is about, if any.
    pub fn job_id(&self) -> Option<&JobId> {
        match self {
            ServerMessage::FileProgress { job_id, .. }
            | ServerMessage::FileDone { job_id, .. }
            | ServerMessage::JobDone { job_id, .. }
            | ServerMessage::JobFailed { job_id, .. }
            | ServerMessage::JobDeleted { job_id }
            | ServerMessage::Subscribed { job_id, .. } => Some(job_id),
            ServerMessage::Error { .. } | ServerMessage::SessionExpired { .. } => None,
        }
    }

    pub fn to_json_bytes(&self) -> Vec<u8> {
        // Serialising these plain structs cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_well_formed_label_message() {
        let body =
            r#"{"taskToken":"tok","jobId":"job-1","fileId":"f2","textKey":"text/job-1/f2.txt"}"#;
        let message = LabelMessage::parse(Some(body)).expect("valid");
        assert_eq!(message.task_token, "tok");
        assert_eq!(message.job_id.as_str(), "job-1");
        assert_eq!(message.file_id.as_str(), "f2");
        assert_eq!(message.text_key.as_str(), "text/job-1/f2.txt");
    }

    #[test]
    fn without_a_token_nothing_can_be_reported() {
        for body in [
            None,
            Some(""),
            Some("not json"),
            Some("[1,2]"),
            Some(r#"{"jobId":"job-1","fileId":"f1","textKey":"k"}"#),
            Some(r#"{"taskToken":7,"jobId":"job-1","fileId":"f1","textKey":"k"}"#),
            Some(r#"{"taskToken":"","jobId":"job-1","fileId":"f1","textKey":"k"}"#),
        ] {
            assert!(
                matches!(
                    LabelMessage::parse(body),
                    Err(UnreadableLabelMessage::WithoutToken { .. })
                ),
                "{body:?}"
            );
        }
    }

    #[test]
    fn with_a_token_the_reason_names_the_problem_not_the_value() {
        let cases = [
            (
                r#"{"taskToken":"tok","fileId":"f1","textKey":"k"}"#,
                "jobId",
            ),
            (
                r#"{"taskToken":"tok","jobId":"bad id 김","fileId":"f1","textKey":"k"}"#,
                "job id",
            ),
            (
                r#"{"taskToken":"tok","jobId":"j","fileId":"../f1","textKey":"k"}"#,
                "file id",
            ),
            (
                r#"{"taskToken":"tok","jobId":"j","fileId":"f1","textKey":""}"#,
                "object key",
            ),
            (
                r#"{"taskToken":"tok","jobId":"j","fileId":"f1","textKey":["김"]}"#,
                "invalid type",
            ),
        ];
        for (body, expected) in cases {
            match LabelMessage::parse(Some(body)) {
                Err(UnreadableLabelMessage::WithToken { task_token, reason }) => {
                    assert_eq!(task_token, "tok");
                    assert!(reason.contains(expected), "{body}: {reason}");
                    assert!(
                        !reason.contains('김') && !reason.contains("../"),
                        "{reason}"
                    );
                }
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    #[test]
    fn server_messages_are_tagged_by_type() {
        let message = ServerMessage::JobDone {
            notice_id: final_notice_id(&JobId::parse("j").expect("id")),
            job_id: JobId::parse("j").expect("id"),
            status: JobStatus::Partial,
            succeeded: 2,
            failed: 1,
        };
        let json = serde_json::to_value(&message).expect("serialise");
        assert_eq!(json["type"], "jobDone");
        assert!(message.is_final_notice());
        let subscribe: ClientMessage =
            serde_json::from_str(r#"{"action":"subscribe","jobId":"j"}"#).expect("subscribe");
        assert_eq!(subscribe, ClientMessage::Subscribe { job_id: "j".into() });
    }
}
