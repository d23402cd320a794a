use aggregate::{handle, AggregateEvent};
use narratix_domain::lambda::{init_tracing, serve};
use narratix_store::{runtime, Moment};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let config = runtime::sdk_config().await;
    let store = runtime::dynamo_store(&config)?;
    serve(|event: AggregateEvent| handle(&store, event, Moment::now())).await
}
