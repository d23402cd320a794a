//! The Step Functions adapter: starting executions and answering waiting tasks.

use async_trait::async_trait;
use aws_sdk_sfn::error::SdkError;
use aws_sdk_sfn::Client;
use narratix_domain::messages::LabelTaskOutput;
use narratix_domain::WireError;

use crate::ports::{Executions, TaskCallbacks, TaskHeartbeat};
use crate::StoreError;

const SERVICE: &str = "Step Functions";

/// One state machine's executions and the task tokens of its `.waitForTaskToken` steps.
#[derive(Clone, Debug)]
pub struct StepFunctions {
    client: Client,
    /// The state machine [`Executions::start`] starts; `None` for a function that only
    /// answers tasks.
    state_machine_arn: Option<String>,
}

impl StepFunctions {
    pub fn new(client: Client, state_machine_arn: Option<String>) -> StepFunctions {
        StepFunctions {
            client,
            state_machine_arn,
        }
    }
}

/// The answer to a task callback: `is_gone` tells `TaskTimedOut`, `InvalidToken` and
/// `TaskDoesNotExist` (Step Functions no longer waits) from a failure worth retrying.
fn answered<O, E>(
    operation: &'static str,
    result: Result<O, SdkError<E>>,
    is_gone: impl Fn(&E) -> bool,
) -> Result<(), StoreError>
where
    E: std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(_) => Ok(()),
        Err(err) if err.as_service_error().is_some_and(is_gone) => Err(StoreError::TaskGone {
            operation,
            source: err.into(),
        }),
        Err(err) => Err(StoreError::unavailable(SERVICE, operation, err)),
    }
}

#[async_trait]
impl Executions for StepFunctions {
    async fn start(&self, name: &str, input: &str) -> Result<bool, StoreError> {
        let arn = self
            .state_machine_arn
            .as_deref()
            .ok_or(StoreError::Invalid {
                what: "an execution without a state machine",
                source: "no state machine ARN configured".into(),
            })?;
        match self
            .client
            .start_execution()
            .state_machine_arn(arn)
            .name(name)
            .input(input)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_execution_already_exists()) =>
            {
                Ok(false)
            }
            Err(err) => Err(StoreError::unavailable(SERVICE, "StartExecution", err)),
        }
    }
}

#[async_trait]
impl TaskCallbacks for StepFunctions {
    async fn succeed(&self, task_token: &str, output: &LabelTaskOutput) -> Result<(), StoreError> {
        let output = serde_json::to_string(output).map_err(|source| StoreError::Invalid {
            what: "a task output",
            source: source.into(),
        })?;
        let result = self
            .client
            .send_task_success()
            .task_token(task_token)
            .output(output)
            .send()
            .await;
        answered("SendTaskSuccess", result, |e| {
            e.is_task_timed_out() || e.is_invalid_token() || e.is_task_does_not_exist()
        })
    }

    async fn fail(&self, task_token: &str, error: &WireError) -> Result<(), StoreError> {
        let result = self
            .client
            .send_task_failure()
            .task_token(task_token)
            .error(error.name())
            .cause(&error.cause)
            .send()
            .await;
        answered("SendTaskFailure", result, |e| {
            e.is_task_timed_out() || e.is_invalid_token() || e.is_task_does_not_exist()
        })
    }
}

#[async_trait]
impl TaskHeartbeat for StepFunctions {
    async fn heartbeat(&self, task_token: &str) -> Result<(), StoreError> {
        let result = self
            .client
            .send_task_heartbeat()
            .task_token(task_token)
            .send()
            .await;
        answered("SendTaskHeartbeat", result, |e| {
            e.is_task_timed_out() || e.is_invalid_token() || e.is_task_does_not_exist()
        })
    }
}
