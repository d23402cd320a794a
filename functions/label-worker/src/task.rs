//! The label queue message: `{taskToken, jobId, fileId, textKey}`, sent by the state
//! machine's `sqs:sendMessage.waitForTaskToken` step.

use narratix_domain::JobId;
use serde_json::{Map, Value};

/// One file to label, and the token of the Step Functions task waiting for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelTask {
    pub task_token: String,
    pub job_id: JobId,
    /// `f1`, `f2`, `f3`: the file's position in the job.
    pub file_id: String,
    /// S3 key of the extracted text, `text/{jobId}/{fileId}.txt`.
    pub text_key: String,
}

/// Why a message body is not a label task. The reasons name fields, never their values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MalformedTask {
    /// No task token: nobody can be told about the failure.
    WithoutToken { reason: String },
    /// The token is readable, so the waiting task can be failed with `Input.Invalid`.
    WithToken { task_token: String, reason: String },
}

const MAX_FILE_ID_CHARS: usize = 40;
const MAX_KEY_CHARS: usize = 1024;

impl LabelTask {
    pub fn parse(body: Option<&str>) -> Result<LabelTask, MalformedTask> {
        let without_token = |reason: &str| MalformedTask::WithoutToken {
            reason: reason.to_owned(),
        };
        let body = body.ok_or_else(|| without_token("the message has no body"))?;
        let value: Value = serde_json::from_str(body)
            .map_err(|_| without_token("the message body is not JSON"))?;
        let Value::Object(fields) = value else {
            return Err(without_token("the message body is not a JSON object"));
        };
        let task_token = match string_field(&fields, "taskToken") {
            Some(token) if !token.is_empty() => token.to_owned(),
            _ => return Err(without_token("taskToken is missing or not a string")),
        };
        let with_token = |reason: &str| MalformedTask::WithToken {
            task_token: task_token.clone(),
            reason: reason.to_owned(),
        };
        let job_id = string_field(&fields, "jobId")
            .ok_or_else(|| with_token("jobId is missing or not a string"))
            .and_then(|id| {
                JobId::parse(id).map_err(|_| with_token("jobId is not a valid job id"))
            })?;
        let file_id = string_field(&fields, "fileId")
            .filter(|id| is_valid_file_id(id))
            .ok_or_else(|| {
                with_token("fileId is missing or not 1-40 characters of A-Z a-z 0-9 - _")
            })?;
        let text_key = string_field(&fields, "textKey")
            .filter(|key| !key.is_empty() && key.chars().count() <= MAX_KEY_CHARS)
            .ok_or_else(|| with_token("textKey is missing, empty or too long"))?;
        Ok(LabelTask {
            job_id,
            file_id: file_id.to_owned(),
            text_key: text_key.to_owned(),
            task_token,
        })
    }

    /// Where a result too large for the table item goes: `results/{jobId}/{fileId}.json`.
    pub fn result_key(&self) -> String {
        format!("results/{}/{}.json", self.job_id, self.file_id)
    }
}

fn string_field<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    fields.get(name).and_then(Value::as_str)
}

fn is_valid_file_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_FILE_ID_CHARS
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_well_formed_message() {
        let body =
            r#"{"taskToken":"tok","jobId":"job-1","fileId":"f2","textKey":"text/job-1/f2.txt"}"#;
        let task = LabelTask::parse(Some(body)).expect("valid");
        assert_eq!(task.task_token, "tok");
        assert_eq!(task.job_id.as_str(), "job-1");
        assert_eq!(task.file_id, "f2");
        assert_eq!(task.text_key, "text/job-1/f2.txt");
        assert_eq!(task.result_key(), "results/job-1/f2.json");
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
                    LabelTask::parse(body),
                    Err(MalformedTask::WithoutToken { .. })
                ),
                "{body:?}"
            );
        }
    }

    #[test]
    fn with_a_token_the_reason_names_the_field_not_its_value() {
        let cases = [
            (
                r#"{"taskToken":"tok","fileId":"f1","textKey":"k"}"#,
                "jobId",
            ),
            (
                r#"{"taskToken":"tok","jobId":"bad id 김","fileId":"f1","textKey":"k"}"#,
                "jobId",
            ),
            (
                r#"{"taskToken":"tok","jobId":"j","fileId":"../f1","textKey":"k"}"#,
                "fileId",
            ),
            (
                r#"{"taskToken":"tok","jobId":"j","fileId":"f1","textKey":""}"#,
                "textKey",
            ),
        ];
        for (body, field) in cases {
            match LabelTask::parse(Some(body)) {
                Err(MalformedTask::WithToken { task_token, reason }) => {
                    assert_eq!(task_token, "tok");
                    assert!(reason.starts_with(field), "{reason}");
                    assert!(
                        !reason.contains("김") && !reason.contains("../"),
                        "{reason}"
                    );
                }
                other => panic!("{body}: {other:?}"),
            }
        }
    }
}
