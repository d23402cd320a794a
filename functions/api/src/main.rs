use api::{Api, StepFunctions};
use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_runtime::{service_fn, LambdaEvent};
use narratix_auth::{Verifier, VerifierConfig};
use narratix_domain::lambda::{catch_panics, init_tracing};
use narratix_store::{runtime, Moment};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let config = runtime::sdk_config().await;
    let verifier = if runtime::env_flag("JWT_VERIFY_IN_FUNCTION") {
        Some(Verifier::new(VerifierConfig::from_env()?))
    } else {
        None
    };
    let api = Api {
        jobs: runtime::dynamo_store(&config)?,
        objects: runtime::s3_objects(&config)?,
        executions: StepFunctions {
            client: aws_sdk_sfn::Client::new(&config),
            state_machine_arn: runtime::env_var("STATE_MACHINE_ARN")?,
        },
        bucket: runtime::env_var("BUCKET_NAME")?,
        verifier,
    };
    let api = &api;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayV2httpRequest>| async move {
            catch_panics(async { Ok(api.handle(event.payload, Moment::now()).await) }).await
        },
    ))
    .await
}
