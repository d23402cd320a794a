use api::{Executions, StepFunctions};
use aws_sdk_sfn::operation::start_execution::{StartExecutionError, StartExecutionOutput};
use aws_sdk_sfn::types::error::{ExecutionAlreadyExists, ExecutionLimitExceeded};
use aws_smithy_mocks::{mock, mock_client, RuleMode};

#[tokio::test]
async fn start_names_the_execution_and_treats_an_existing_one_as_started() {
    let started = mock!(aws_sdk_sfn::Client::start_execution)
        .match_requests(|req| {
            req.name() == Some("job-1")
                && req.state_machine_arn()
                    == Some("arn:aws:states:eu-west-1:1:stateMachine:LabelJob")
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
    let sfn = StepFunctions {
        client,
        state_machine_arn: "arn:aws:states:eu-west-1:1:stateMachine:LabelJob".into(),
    };
    assert_eq!(sfn.start("job-1", r#"{"jobId":"job-1"}"#).await, Ok(true));
    assert_eq!(sfn.start("job-1", r#"{"jobId":"job-1"}"#).await, Ok(false));
    let error = sfn
        .start("job-1", r#"{"jobId":"job-1"}"#)
        .await
        .expect_err("limit");
    assert_eq!(error.kind().name(), "Storage.Unavailable");
}
