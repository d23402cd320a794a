use api::{Api, Config};
use narratix_auth::Verifier;
use narratix_domain::config::Env;
use narratix_domain::lambda::serve;
use narratix_store::aws::Aws;
use narratix_store::Moment;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let config = Config::from_env(&Env::process())?;
    let aws = Aws::load(config.aws).await;
    let api = Api {
        jobs: aws.dynamo(&config.table),
        objects: aws.s3(&config.bucket),
        executions: aws.step_functions(Some(config.state_machine_arn)),
        poster: aws.connections_api(&config.websocket_endpoint),
        bucket: config.bucket,
        quotas: config.quotas,
        verifier: config.verifier.map(Verifier::new),
    };
    serve(|event| async { Ok(api.handle(event, Moment::now()).await) }).await
}
