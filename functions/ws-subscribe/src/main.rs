use narratix_app::notice::{NotifierOnAws, NotifierSettings};
use narratix_domain::config::Env;
use narratix_domain::lambda::serve;
use narratix_store::Moment;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let wiring = NotifierOnAws::connect(&NotifierSettings::from_env(&Env::process())?).await;
    let notifier = wiring.notifier();
    serve(|event| ws_subscribe::handle(&notifier, event, Moment::now())).await
}
