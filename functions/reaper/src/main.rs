use narratix_app::lifecycle::SweepSettings;
use narratix_app::notice::{NotifierOnAws, NotifierSettings};
use narratix_domain::config::Env;
use narratix_domain::lambda::serve;
use narratix_store::Moment;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let env = Env::process();
    let settings = SweepSettings::from_env(&env)?;
    let wiring = NotifierOnAws::connect(&NotifierSettings::from_env(&env)?).await;
    let notifier = wiring.notifier();
    serve(|event| reaper::handle_event(&notifier, &settings, event, Moment::now())).await
}
