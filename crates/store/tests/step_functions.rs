//! The Step Functions adapter against the SDK's request/response mocks: executions are named
//! by the job, a repeated start is no error, and each answer to a waiting task says whether
//! the task is gone or Step Functions is unreachable.

use aws_sdk_sfn::operation::send_task_failure::{SendTaskFailureError, SendTaskFailureOutput};
use aws_sdk_sfn::operation::send_task_success::{SendTaskSuccessError, SendTaskSuccessOutput};
use aws_sdk_sfn::operation::start_execution::{StartExecutionError, StartExecutionOutput};
use aws_sdk_sfn::types::error::{
    ExecutionAlreadyExists, ExecutionLimitExceeded, InvalidToken, KmsThrottlingException,
    TaskDoesNotExist, TaskTimedOut,
};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use narratix_domain::messages::LabelTaskOutput;
use narratix_domain::ErrorKind;
use narratix_store::aws::StepFunctions;
use narratix_store::ports::{Executions, TaskCallbacks};
use narratix_store::StoreError;

const ARN: &str = "arn:aws:states:eu-west-1:1:stateMachine:LabelJob";

fn output() -> LabelTaskOutput {
    LabelTaskOutput {
        pair_count: 3,
        input_tokens: 1200,
        output_tokens: 90,
    }
}

#[tokio::test]
async fn start_names_the_execution_and_treats_an_existing_one_as_started() {
    let started = mock!(aws_sdk_sfn::Client::start_execution)
        .match_requests(|req| {
            req.name() == Some("job-1")
                && req.state_machine_arn() == Some(ARN)
                && req.input() == Some(r#"{"jobId":"job-1"}"#)
        })
        .then_output(|| {
            StartExecutionOutput::builder()
                .execution_arn("arn:aws:states:eu-west-1:1:execution:LabelJob:job-1")
                .start_date(aws_smithy_types::DateTime::from_secs(0))
                .build()
                .expect("output")
        });
    let exists = mock!(aws_sdk_sfn::Client::start_execution).then_error(|| {
        StartExecutionError::ExecutionAlreadyExists(ExecutionAlreadyExists::builder().build())
    });
    let limited = mock!(aws_sdk_sfn::Client::start_execution).then_error(|| {
        StartExecutionError::ExecutionLimitExceeded(ExecutionLimitExceeded::builder().build())
    });
    let client = mock_client!(
        aws_sdk_sfn,
        RuleMode::Sequential,
        &[&started, &exists, &limited]
    );
    let sfn = StepFunctions::new(client, Some(ARN.into()));
    assert!(sfn
        .start("job-1", r#"{"jobId":"job-1"}"#)
        .await
        .expect("started"));
    assert!(!sfn
        .start("job-1", r#"{"jobId":"job-1"}"#)
        .await
        .expect("exists"));
    let error = sfn
        .start("job-1", r#"{"jobId":"job-1"}"#)
        .await
        .expect_err("limit");
    assert_eq!(error.kind().name(), "Storage.Unavailable");
}

#[tokio::test]
async fn success_carries_the_token_and_the_small_output() {
    let success = mock!(aws_sdk_sfn::Client::send_task_success)
        .match_requests(|req| {
            let output: serde_json::Value =
                serde_json::from_str(req.output().unwrap_or_default()).expect("json output");
            req.task_token() == Some("token-1")
                && output
                    == serde_json::json!({"pairCount": 3, "inputTokens": 1200, "outputTokens": 90})
        })
        .then_output(|| SendTaskSuccessOutput::builder().build());
    let callbacks = StepFunctions::new(mock_client!(aws_sdk_sfn, [&success]), None);
    callbacks.succeed("token-1", &output()).await.expect("sent");
    assert_eq!(success.num_calls(), 1);
}

#[tokio::test]
async fn failure_carries_the_wire_name_and_cause() {
    let failure = mock!(aws_sdk_sfn::Client::send_task_failure)
        .match_requests(|req| {
            req.task_token() == Some("token-1")
                && req.error() == Some("Label.RateLimited")
                && req.cause() == Some("429 from the provider; retry after 20 s")
        })
        .then_output(|| SendTaskFailureOutput::builder().build());
    let callbacks = StepFunctions::new(mock_client!(aws_sdk_sfn, [&failure]), None);
    let error = ErrorKind::LabelRateLimited.with_cause("429 from the provider; retry after 20 s");
    callbacks.fail("token-1", &error).await.expect("sent");
    assert_eq!(failure.num_calls(), 1);
}

#[tokio::test]
async fn a_task_that_no_longer_waits_is_gone_and_anything_else_unavailable() {
    let timed_out = mock!(aws_sdk_sfn::Client::send_task_success).then_error(|| {
        SendTaskSuccessError::TaskTimedOut(TaskTimedOut::builder().message("timed out").build())
    });
    let invalid = mock!(aws_sdk_sfn::Client::send_task_success)
        .then_error(|| SendTaskSuccessError::InvalidToken(InvalidToken::builder().build()));
    let missing = mock!(aws_sdk_sfn::Client::send_task_failure)
        .then_error(|| SendTaskFailureError::TaskDoesNotExist(TaskDoesNotExist::builder().build()));
    let throttled = mock!(aws_sdk_sfn::Client::send_task_failure).then_error(|| {
        SendTaskFailureError::KmsThrottlingException(KmsThrottlingException::builder().build())
    });
    let client = mock_client!(
        aws_sdk_sfn,
        RuleMode::Sequential,
        &[&timed_out, &invalid, &missing, &throttled],
        |config| config.retry_config(aws_sdk_sfn::config::retry::RetryConfig::disabled())
    );
    let callbacks = StepFunctions::new(client, None);
    for _ in 0..2 {
        let error = callbacks.succeed("t", &output()).await.expect_err("gone");
        assert!(matches!(error, StoreError::TaskGone { .. }), "{error:?}");
    }
    let auth = ErrorKind::LabelAuth.with_cause("401");
    let error = callbacks.fail("t", &auth).await.expect_err("gone");
    assert!(matches!(error, StoreError::TaskGone { .. }), "{error:?}");
    let error = callbacks.fail("t", &auth).await.expect_err("throttled");
    assert!(error.is_transient(), "{error:?}");
    // The cause chain survives to the wire: the SDK's error code is in the line.
    let wire = narratix_domain::WireError::from(error);
    assert_eq!(wire.name(), "Storage.Unavailable");
    assert!(
        wire.cause
            .starts_with("Step Functions SendTaskFailure failed"),
        "{}",
        wire.cause
    );
}

#[tokio::test]
async fn a_server_error_is_unavailable() {
    let broken = mock!(aws_sdk_sfn::Client::send_task_success)
        .sequence()
        .http_status(500, None)
        .repeatedly()
        .build();
    let callbacks = StepFunctions::new(mock_client!(aws_sdk_sfn, [&broken]), None);
    let error = callbacks.succeed("t", &output()).await.expect_err("down");
    assert!(error.is_transient(), "{error:?}");
}
