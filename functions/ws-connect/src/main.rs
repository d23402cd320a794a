use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use lambda_runtime::{service_fn, LambdaEvent};
use narratix_domain::lambda::{catch_panics, init_tracing};
use narratix_store::{runtime, Moment};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let config = runtime::sdk_config().await;
    let store = runtime::dynamo_store(&config)?;
    let store = &store;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayWebsocketProxyRequest>| async move {
            catch_panics(ws_connect::handle(store, event.payload, Moment::now())).await
        },
    ))
    .await
}
