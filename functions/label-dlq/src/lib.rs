//! The label dead-letter queue's consumer. A label message lands here after the worker failed
//! on it on every delivery (crashed, ran out of time): the state machine is still waiting on
//! its task token, so this fails that task now instead of at the heartbeat timeout.
//!
//! The error is `Label.Undeliverable`: the worker failed on the message on every delivery
//! (the queue's `maxReceiveCount`), so the state machine records it as the file's failure and
//! does not queue the file again — a fresh message would most likely meet the same end.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use narratix_domain::messages::{LabelMessage, UnreadableLabelMessage};
use narratix_domain::{error_chain, ErrorKind, WireError};
use narratix_store::ports::TaskCallbacks;
use narratix_store::StoreError;

/// The error the waiting task fails with.
pub const DEAD_LETTER_ERROR: ErrorKind = ErrorKind::LabelUndeliverable;

/// Fails the task of every dead letter; reports the ones to retry (Step Functions
/// unreachable) as batch item failures. A message without a readable token is logged and
/// dropped: nothing can be done with it.
pub async fn handle<T: TaskCallbacks>(
    callbacks: &T,
    event: SqsEvent,
) -> Result<SqsBatchResponse, WireError> {
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        let message_id = record.message_id.clone().unwrap_or_default();
        let (token, file) = match LabelMessage::parse(record.body.as_deref()) {
            Ok(message) => (message.task_token, Some((message.job_id, message.file_id))),
            Err(UnreadableLabelMessage::WithToken { task_token, reason }) => {
                tracing::warn!(
                    message_id,
                    reason,
                    "dead letter with a token but bad fields"
                );
                (task_token, None)
            }
            Err(UnreadableLabelMessage::WithoutToken { reason }) => {
                tracing::error!(message_id, reason, "unreadable dead letter dropped");
                continue;
            }
        };
        let file_id = file
            .as_ref()
            .map(|(_, file_id)| file_id.as_str())
            .unwrap_or("?");
        let job_id = file
            .as_ref()
            .map(|(job_id, _)| job_id.as_str())
            .unwrap_or("?");
        let error = DEAD_LETTER_ERROR.with_cause(format!(
            "the label request for file {file_id} was dead-lettered: the worker failed on it on every delivery"
        ));
        match callbacks.fail(&token, &error).await {
            Ok(()) => tracing::warn!(job_id, file_id, "waiting label task failed"),
            Err(error @ StoreError::TaskGone { .. }) => {
                let detail = error_chain(&error);
                tracing::info!(job_id, file_id, detail, "label task no longer waiting")
            }
            Err(error) => {
                let detail = error_chain(&error);
                tracing::warn!(job_id, file_id, detail, "will retry the dead letter");
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
    use async_trait::async_trait;
    use narratix_domain::messages::LabelTaskOutput;
    use serde_json::json;
    use std::sync::Mutex;

    #[derive(Clone, Copy, Default)]
    enum Answer {
        #[default]
        Ok,
        Gone,
        Unavailable,
    }

    #[derive(Default)]
    struct Recorder {
        failed: Mutex<Vec<(String, WireError)>>,
        answer: Answer,
    }

    #[async_trait]
    impl TaskCallbacks for Recorder {
        async fn succeed(&self, _token: &str, _output: &LabelTaskOutput) -> Result<(), StoreError> {
            unreachable!("the dead-letter consumer never succeeds a task")
        }
        async fn fail(&self, token: &str, error: &WireError) -> Result<(), StoreError> {
            self.failed
                .lock()
                .expect("lock")
                .push((token.into(), error.clone()));
            match self.answer {
                Answer::Ok => Ok(()),
                Answer::Gone => Err(StoreError::TaskGone {
                    operation: "SendTaskFailure",
                    source: "timed out".into(),
                }),
                Answer::Unavailable => Err(StoreError::Unavailable {
                    service: "Step Functions",
                    operation: "SendTaskFailure",
                    source: "503".into(),
                }),
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
    async fn fails_the_waiting_task_with_label_undeliverable() {
        let recorder = Recorder::default();
        let response = handle(&recorder, event(&[BODY])).await.expect("handled");
        assert!(response.batch_item_failures.is_empty());
        let failed = recorder.failed.lock().expect("lock").clone();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].0, "tok-1");
        assert_eq!(failed[0].1.name(), "Label.Undeliverable");
        assert!(failed[0].1.cause.contains("f2"));
    }

    #[tokio::test]
    async fn unreachable_step_functions_retries_and_gone_tasks_or_garbage_do_not() {
        let unavailable = Recorder {
            answer: Answer::Unavailable,
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
            answer: Answer::Gone,
            ..Recorder::default()
        };
        let response = handle(&gone, event(&[BODY])).await.expect("handled");
        assert!(response.batch_item_failures.is_empty());
    }

    #[tokio::test]
    async fn a_dead_letter_with_a_token_but_bad_fields_still_fails_its_task() {
        let recorder = Recorder::default();
        let body = r#"{"taskToken":"tok-2","jobId":"bad id","fileId":"f1","textKey":"k"}"#;
        handle(&recorder, event(&[body])).await.expect("handled");
        let failed = recorder.failed.lock().expect("lock").clone();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].0, "tok-2");
    }
}
