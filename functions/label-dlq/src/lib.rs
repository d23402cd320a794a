//! The label dead-letter queue's consumer. A label message lands here after the worker failed
//! on it on every delivery (crashed, ran out of time): the state machine is still waiting on
//! its task token, so this fails that task now instead of at the heartbeat timeout.
//!
//! The error is `Label.Timeout` — the label step did not answer in time — which the state
//! machine retries once (a fresh message) and then records as the file's failure.

use async_trait::async_trait;
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use aws_sdk_sfn::error::DisplayErrorContext;
use aws_sdk_sfn::operation::send_task_failure::SendTaskFailureError;
use narratix_domain::{ErrorKind, WireError};
use serde::Deserialize;

/// The error the waiting task fails with.
pub const DEAD_LETTER_ERROR: ErrorKind = ErrorKind::LabelTimeout;

/// The label queue's message (`docs/data-model.md`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelMessage {
    pub task_token: String,
    pub job_id: String,
    pub file_id: String,
    pub text_key: String,
}

/// Why a task could not be failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    /// The task is over already (timed out, finished, or the token is not valid): nothing is
    /// waiting any more.
    #[error("the task is no longer waiting: {0}")]
    TaskGone(String),
    /// Step Functions could not be reached; the message is retried.
    #[error("Step Functions unavailable: {0}")]
    Unavailable(String),
}

/// Step Functions' task callbacks.
#[async_trait]
pub trait TaskCallbacks: Send + Sync {
    async fn fail_task(&self, token: &str, error: &str, cause: &str) -> Result<(), CallbackError>;
}

/// The Step Functions adapter.
pub struct StepFunctions {
    pub client: aws_sdk_sfn::Client,
}

#[async_trait]
impl TaskCallbacks for StepFunctions {
    async fn fail_task(&self, token: &str, error: &str, cause: &str) -> Result<(), CallbackError> {
        match self
            .client
            .send_task_failure()
            .task_token(token)
            .error(error)
            .cause(cause)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err) => {
                let detail = DisplayErrorContext(&err).to_string();
                match err.as_service_error() {
                    Some(
                        SendTaskFailureError::TaskDoesNotExist(_)
                        | SendTaskFailureError::TaskTimedOut(_)
                        | SendTaskFailureError::InvalidToken(_),
                    ) => Err(CallbackError::TaskGone(detail)),
                    _ => Err(CallbackError::Unavailable(detail)),
                }
            }
        }
    }
}

/// Fails the task of every dead letter; reports the ones to retry (Step Functions
/// unreachable) as batch item failures. An unreadable message is logged and dropped: without
/// a token nothing can be done with it.
pub async fn handle<T: TaskCallbacks>(
    callbacks: &T,
    event: SqsEvent,
) -> Result<SqsBatchResponse, WireError> {
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        let message_id = record.message_id.clone().unwrap_or_default();
        let message = match record
            .body
            .as_deref()
            .map(serde_json::from_str::<LabelMessage>)
        {
            Some(Ok(message)) => message,
            _ => {
                tracing::error!(message_id, "unreadable dead letter dropped");
                continue;
            }
        };
        let cause = format!(
            "the label request for file {} was dead-lettered: the worker failed on it on every delivery",
            message.file_id
        );
        match callbacks
            .fail_task(&message.task_token, DEAD_LETTER_ERROR.name(), &cause)
            .await
        {
            Ok(()) => {
                tracing::warn!(
                    job_id = message.job_id,
                    file_id = message.file_id,
                    "waiting label task failed"
                )
            }
            Err(CallbackError::TaskGone(detail)) => {
                tracing::info!(
                    job_id = message.job_id,
                    file_id = message.file_id,
                    detail,
                    "label task no longer waiting"
                )
            }
            Err(CallbackError::Unavailable(detail)) => {
                tracing::warn!(
                    job_id = message.job_id,
                    file_id = message.file_id,
                    detail,
                    "will retry the dead letter"
                );
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = message_id;
                response.batch_item_failures.push(failure);
            }
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sfn::operation::send_task_failure::SendTaskFailureOutput;
    use aws_sdk_sfn::types::error::{KmsThrottlingException, TaskDoesNotExist, TaskTimedOut};
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use serde_json::json;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Recorder {
        failed: Mutex<Vec<(String, String, String)>>,
        answer: Option<CallbackError>,
    }

    #[async_trait]
    impl TaskCallbacks for Recorder {
        async fn fail_task(
            &self,
            token: &str,
            error: &str,
            cause: &str,
        ) -> Result<(), CallbackError> {
            self.failed
                .lock()
                .expect("lock")
                .push((token.into(), error.into(), cause.into()));
            match &self.answer {
                Some(error) => Err(error.clone()),
                None => Ok(()),
            }
        }
    }

    fn event(bodies: &[&str]) -> SqsEvent {
        let records: Vec<_> = bodies
            .iter()
            .enumerate()
            .map(|(n, body)| json!({"messageId": format!("m{n}"), "body": body, "eventSource": "aws:sqs"}))
            .collect();
        serde_json::from_value(json!({ "Records": records })).expect("sqs event")
    }

    const BODY: &str =
        r#"{"taskToken":"tok-1","jobId":"job-1","fileId":"f2","textKey":"text/job-1/f2.txt"}"#;

    #[tokio::test]
    async fn fails_the_waiting_task_with_label_timeout() {
        let recorder = Recorder::default();
        let response = handle(&recorder, event(&[BODY])).await.expect("handled");
        assert!(response.batch_item_failures.is_empty());
        let failed = recorder.failed.lock().expect("lock").clone();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].0, "tok-1");
        assert_eq!(failed[0].1, "Label.Timeout");
        assert!(failed[0].2.contains("f2"));
    }

    #[tokio::test]
    async fn unreachable_step_functions_retries_and_gone_tasks_or_garbage_do_not() {
        let unavailable = Recorder {
            answer: Some(CallbackError::Unavailable("503".into())),
            ..Recorder::default()
        };
        let response = handle(&unavailable, event(&["not json", BODY]))
            .await
            .expect("handled");
        let retried: Vec<_> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(retried, ["m1"]);
        let gone = Recorder {
            answer: Some(CallbackError::TaskGone("timed out".into())),
            ..Recorder::default()
        };
        let response = handle(&gone, event(&[BODY])).await.expect("handled");
        assert!(response.batch_item_failures.is_empty());
    }

    #[tokio::test]
    async fn the_step_functions_adapter_names_what_happened() {
        let ok = mock!(aws_sdk_sfn::Client::send_task_failure)
            .match_requests(|req| {
                req.task_token() == Some("tok-1") && req.error() == Some("Label.Timeout")
            })
            .then_output(|| SendTaskFailureOutput::builder().build());
        let timed_out = mock!(aws_sdk_sfn::Client::send_task_failure)
            .then_error(|| SendTaskFailureError::TaskTimedOut(TaskTimedOut::builder().build()));
        let missing = mock!(aws_sdk_sfn::Client::send_task_failure).then_error(|| {
            SendTaskFailureError::TaskDoesNotExist(TaskDoesNotExist::builder().build())
        });
        let throttled = mock!(aws_sdk_sfn::Client::send_task_failure).then_error(|| {
            SendTaskFailureError::KmsThrottlingException(KmsThrottlingException::builder().build())
        });
        let client = mock_client!(
            aws_sdk_sfn,
            RuleMode::Sequential,
            &[&ok, &timed_out, &missing, &throttled],
            |config| config.retry_config(aws_sdk_sfn::config::retry::RetryConfig::disabled())
        );
        let sfn = StepFunctions { client };
        assert_eq!(sfn.fail_task("tok-1", "Label.Timeout", "c").await, Ok(()));
        assert!(matches!(
            sfn.fail_task("tok-1", "Label.Timeout", "c").await,
            Err(CallbackError::TaskGone(_))
        ));
        assert!(matches!(
            sfn.fail_task("tok-1", "Label.Timeout", "c").await,
            Err(CallbackError::TaskGone(_))
        ));
        assert!(matches!(
            sfn.fail_task("tok-1", "Label.Timeout", "c").await,
            Err(CallbackError::Unavailable(_))
        ));
    }
}
