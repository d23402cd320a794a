use narratix_app::notice::{NotifierOnAws, NotifierSettings};
use narratix_domain::config::Env;
use narratix_domain::lambda::{init_tracing, serve};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let settings = NotifierSettings::from_env(&Env::process())?;
    let wiring = NotifierOnAws::connect(&settings).await;
    let notifier = wiring.notifier();
    serve(|event| ws_subscribe::handle(&notifier, event)).await
}
