use aws_lambda_events::apigw::ApiGatewayCustomAuthorizerRequestTypeRequest;
use lambda_runtime::{service_fn, LambdaEvent};
use narratix_auth::{Verifier, VerifierConfig};
use narratix_domain::lambda::{catch_panics, init_tracing};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let verifier = Verifier::new(VerifierConfig::from_env()?);
    let verifier = &verifier;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayCustomAuthorizerRequestTypeRequest>| async move {
            catch_panics(ws_authorizer::handle(verifier, event.payload)).await
        },
    ))
    .await
}
