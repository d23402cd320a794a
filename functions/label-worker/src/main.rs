//! `label-worker`: the Lambda behind the label queue. Wires the AWS clients and the
//! configured labeler into [`Worker`] and serves SQS batches with partial batch failures.
//!
//! Environment: `BUCKET_NAME`, `TABLE_NAME`, the labeler's `NARRATIX_AI_*` variables,
//! `NARRATIX_AI_SECRET_ARN` (API key from Secrets Manager), `AWS_ENDPOINT_URL` and
//! `NARRATIX_S3_FORCE_PATH_STYLE=true` for a local stack.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use label_worker::aws::{DynamoResultTable, S3ObjectStore, SfnTaskCallback};
use label_worker::{ApiKeySecret, ConfiguredLabeler, Worker, WorkerError};
use lambda_runtime::{service_fn, LambdaEvent};
use narratix_domain::WireError;
use narratix_label::LabelConfig;

fn required_var(name: &str) -> Result<String, WorkerError> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
        .ok_or_else(|| WorkerError::Config(format!("{name} is not set")))
}

fn flag_var(name: &str) -> bool {
    std::env::var(name).is_ok_and(|value| value.trim().eq_ignore_ascii_case("true"))
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    narratix_domain::lambda::init_tracing();
    let bucket = required_var("BUCKET_NAME")?;
    let table = required_var("TABLE_NAME")?;

    // Region, credentials and AWS_ENDPOINT_URL come from the environment.
    let aws = aws_config::load_from_env().await;
    let s3_config = aws_sdk_s3::config::Builder::from(&aws)
        .force_path_style(flag_var("NARRATIX_S3_FORCE_PATH_STYLE"))
        .build();
    let secret = std::env::var("NARRATIX_AI_SECRET_ARN")
        .ok()
        .filter(|arn| !arn.trim().is_empty())
        .map(|secret_id| ApiKeySecret {
            client: aws_sdk_secretsmanager::Client::new(&aws),
            secret_id,
        });
    let labeler = ConfiguredLabeler::new(LabelConfig::from_env().map_err(WireError::from), secret);

    let worker = Worker::new(
        S3ObjectStore::new(aws_sdk_s3::Client::from_conf(s3_config), bucket),
        DynamoResultTable::new(aws_sdk_dynamodb::Client::new(&aws), table),
        SfnTaskCallback::new(aws_sdk_sfn::Client::new(&aws)),
        labeler,
    );
    let worker = &worker;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<SqsBatchResponse, std::convert::Infallible>(worker.handle_batch(event.payload).await)
    }))
    .await
}
