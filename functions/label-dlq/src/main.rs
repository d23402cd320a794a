use label_dlq::handle;
use narratix_domain::config::Env;
use narratix_domain::lambda::serve;
use narratix_store::aws::{Aws, AwsSettings};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let settings = AwsSettings::from_env(&Env::process())?;
    let callbacks = Aws::load(settings).await.step_functions(None);
    serve(|event| handle(&callbacks, event)).await
}
