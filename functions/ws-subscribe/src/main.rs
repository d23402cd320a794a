use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use lambda_runtime::{service_fn, LambdaEvent};
use narratix_domain::lambda::{catch_panics, init_tracing};
use narratix_store::notice::Notifier;
use narratix_store::runtime;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let config = runtime::sdk_config().await;
    let store = runtime::dynamo_store(&config)?;
    let poster = runtime::connection_poster(&config)?;
    let notifier = Notifier {
        jobs: &store,
        connections: &store,
        poster: &poster,
    };
    let notifier = &notifier;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayWebsocketProxyRequest>| async move {
            catch_panics(ws_subscribe::handle(notifier, event.payload)).await
        },
    ))
    .await
}
