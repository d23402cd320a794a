use async_trait::async_trait;
use aws_sdk_sfn::error::DisplayErrorContext;
use narratix_store::StoreError;

/// Starts the state machine.
#[async_trait]
pub trait Executions: Send + Sync {
    /// Starts an execution called `name`; `Ok(false)` when one of that name exists already.
    async fn start(&self, name: &str, input: &str) -> Result<bool, StoreError>;
}

/// The Step Functions adapter.
pub struct StepFunctions {
    pub client: aws_sdk_sfn::Client,
    pub state_machine_arn: String,
}

#[async_trait]
impl Executions for StepFunctions {
    async fn start(&self, name: &str, input: &str) -> Result<bool, StoreError> {
        match self
            .client
            .start_execution()
            .state_machine_arn(&self.state_machine_arn)
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
            Err(err) => Err(StoreError::Unavailable {
                service: "Step Functions",
                operation: "StartExecution",
                detail: DisplayErrorContext(&err).to_string(),
            }),
        }
    }
}
