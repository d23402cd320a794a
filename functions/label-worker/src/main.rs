//! `label-worker`: the Lambda behind the label queue. Wires the AWS adapters and the
//! configured labeler into [`Worker`] and serves SQS batches with partial batch failures.
//!
//! Environment: `BUCKET_NAME`, `TABLE_NAME`, the labeler's `NARRATIX_AI_*` variables,
//! `NARRATIX_AI_SECRET_ARN` (API key from Secrets Manager), `AWS_ENDPOINT_URL` and
//! `NARRATIX_S3_FORCE_PATH_STYLE=true` for a local stack.

use label_worker::{Config, ConfiguredLabeler, Worker};
use narratix_domain::config::Env;
use narratix_domain::lambda::serve;
use narratix_store::aws::Aws;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let config = Config::from_env(&Env::process())?;
    let aws = Aws::load(config.aws).await;
    let secret = config.secret_id.map(|secret_id| (aws.secrets(), secret_id));
    let worker = Worker::new(
        aws.s3(&config.bucket),
        aws.dynamo(&config.table),
        aws.step_functions(None),
        ConfiguredLabeler::new(config.labeler, secret),
    );
    serve(|event| async { Ok(worker.handle_batch(event).await) }).await
}
