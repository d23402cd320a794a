use async_trait::async_trait;
use aws_sdk_sfn::error::SdkError;
use aws_sdk_sfn::Client;
use narratix_domain::WireError;

use super::describe;
use crate::ports::{TaskCallback, TaskOutput};
use crate::WorkerError;

/// Answers `.waitForTaskToken` tasks with `SendTaskSuccess` / `SendTaskFailure`.
#[derive(Debug, Clone)]
pub struct SfnTaskCallback {
    client: Client,
}

impl SfnTaskCallback {
    pub fn new(client: Client) -> Self {
        SfnTaskCallback { client }
    }
}

/// `TaskTimedOut`, `InvalidToken`, `TaskDoesNotExist`: Step Functions no longer waits.
fn callback_error<E, R>(operation: &str, err: &SdkError<E, R>, task_gone: bool) -> WorkerError
where
    E: aws_sdk_sfn::error::ProvideErrorMetadata,
{
    let cause = format!("{operation}: {}", describe(err));
    if task_gone {
        WorkerError::TaskGone(cause)
    } else {
        WorkerError::CallbackUnavailable(cause)
    }
}

#[async_trait]
impl TaskCallback for SfnTaskCallback {
    async fn succeed(&self, task_token: &str, output: &TaskOutput) -> Result<(), WorkerError> {
        let output = serde_json::to_string(output).map_err(|err| {
            WorkerError::CallbackUnavailable(format!("could not serialise the task output: {err}"))
        })?;
        self.client
            .send_task_success()
            .task_token(task_token)
            .output(output)
            .send()
            .await
            .map(|_| ())
            .map_err(|err| {
                let gone = err.as_service_error().is_some_and(|e| {
                    e.is_task_timed_out() || e.is_invalid_token() || e.is_task_does_not_exist()
                });
                callback_error("SendTaskSuccess", &err, gone)
            })
    }

    async fn fail(&self, task_token: &str, error: &WireError) -> Result<(), WorkerError> {
        self.client
            .send_task_failure()
            .task_token(task_token)
            .error(error.name())
            .cause(&error.cause)
            .send()
            .await
            .map(|_| ())
            .map_err(|err| {
                let gone = err.as_service_error().is_some_and(|e| {
                    e.is_task_timed_out() || e.is_invalid_token() || e.is_task_does_not_exist()
                });
                callback_error("SendTaskFailure", &err, gone)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sfn::operation::send_task_failure::{SendTaskFailureError, SendTaskFailureOutput};
    use aws_sdk_sfn::operation::send_task_success::{SendTaskSuccessError, SendTaskSuccessOutput};
    use aws_sdk_sfn::types::error::{InvalidToken, TaskDoesNotExist, TaskTimedOut};
    use aws_smithy_mocks::{mock, mock_client};
    use narratix_domain::ErrorKind;

    #[tokio::test]
    async fn success_carries_the_token_and_the_small_output() {
        let success = mock!(Client::send_task_success)
            .match_requests(|req| {
                let output: serde_json::Value =
                    serde_json::from_str(req.output().unwrap_or_default()).expect("json output");
                req.task_token() == Some("token-1")
                    && output
                        == serde_json::json!({"pairCount": 3, "inputTokens": 1200, "outputTokens": 90})
            })
            .then_output(|| SendTaskSuccessOutput::builder().build());
        let callback = SfnTaskCallback::new(mock_client!(aws_sdk_sfn, [&success]));
        let output = TaskOutput {
            pair_count: 3,
            input_tokens: 1200,
            output_tokens: 90,
        };
        callback.succeed("token-1", &output).await.expect("sent");
        assert_eq!(success.num_calls(), 1);
    }

    #[tokio::test]
    async fn failure_carries_the_wire_name_and_cause() {
        let failure = mock!(Client::send_task_failure)
            .match_requests(|req| {
                req.task_token() == Some("token-1")
                    && req.error() == Some("Label.RateLimited")
                    && req.cause() == Some("429 from the provider; retry after 20 s")
            })
            .then_output(|| SendTaskFailureOutput::builder().build());
        let callback = SfnTaskCallback::new(mock_client!(aws_sdk_sfn, [&failure]));
        let error =
            ErrorKind::LabelRateLimited.with_cause("429 from the provider; retry after 20 s");
        callback.fail("token-1", &error).await.expect("sent");
        assert_eq!(failure.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_task_that_no_longer_waits_is_gone() {
        let timed_out = mock!(Client::send_task_success).then_error(|| {
            SendTaskSuccessError::TaskTimedOut(TaskTimedOut::builder().message("timed out").build())
        });
        let invalid = mock!(Client::send_task_success)
            .then_error(|| SendTaskSuccessError::InvalidToken(InvalidToken::builder().build()));
        let missing = mock!(Client::send_task_failure).then_error(|| {
            SendTaskFailureError::TaskDoesNotExist(TaskDoesNotExist::builder().build())
        });
        let callback =
            SfnTaskCallback::new(mock_client!(aws_sdk_sfn, [&timed_out, &invalid, &missing]));
        let output = TaskOutput {
            pair_count: 0,
            input_tokens: 0,
            output_tokens: 0,
        };
        for _ in 0..2 {
            let err = callback.succeed("t", &output).await.expect_err("gone");
            assert!(matches!(err, WorkerError::TaskGone(_)), "{err:?}");
        }
        let err = callback
            .fail("t", &ErrorKind::LabelAuth.with_cause("401"))
            .await
            .expect_err("gone");
        assert!(matches!(err, WorkerError::TaskGone(_)), "{err:?}");
    }

    #[tokio::test]
    async fn a_server_error_is_unavailable() {
        let broken = mock!(Client::send_task_success)
            .sequence()
            .http_status(500, None)
            .repeatedly()
            .build();
        let callback = SfnTaskCallback::new(mock_client!(aws_sdk_sfn, [&broken]));
        let output = TaskOutput {
            pair_count: 1,
            input_tokens: 1,
            output_tokens: 1,
        };
        let err = callback
            .succeed("t", &output)
            .await
            .expect_err("unavailable");
        assert!(
            matches!(err, WorkerError::CallbackUnavailable(_)),
            "{err:?}"
        );
    }
}
