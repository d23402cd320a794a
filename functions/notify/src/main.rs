use narratix_domain::lambda::{init_tracing, serve};
use narratix_store::notice::{Notifier, NotifyEvent};
use narratix_store::{runtime, Moment};

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
    serve(|event: NotifyEvent| notify::handle(&notifier, event, Moment::now())).await
}
