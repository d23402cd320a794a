//! `label-worker`: the Lambda behind the label queue. Wires the AWS adapters, the configured
//! labeler and the rate governor into [`Worker`] and serves SQS batches with partial batch
//! failures.
//!
//! Environment: `BUCKET_NAME`, `TABLE_NAME`, the labeler's `NARRATIX_AI_*` variables,
//! `NARRATIX_AI_SECRET_ARN` (API key from Secrets Manager), the governor's (see
//! [`label_worker::GovernorConfig`]), `AWS_ENDPOINT_URL` and
//! `NARRATIX_S3_FORCE_PATH_STYLE=true` for a local stack.

use std::time::{Duration, Instant, SystemTime};

use label_worker::{Config, ConfiguredLabeler, Pacing, Worker};
use narratix_app::governor::Governor;
use narratix_domain::config::Env;
use narratix_domain::lambda::serve_with_deadline;
use narratix_store::aws::Aws;

/// Kept free before the Lambda's deadline to store the result and answer the task.
const REPORT_MARGIN: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let config = Config::from_env(&Env::process())?;
    let aws = Aws::load(config.aws).await;
    let secret = config.secret_id.map(|secret_id| (aws.secrets(), secret_id));
    let mut worker = Worker::new(
        aws.s3(&config.bucket),
        aws.dynamo(&config.table),
        aws.step_functions(None),
        ConfiguredLabeler::new(config.labeler, secret),
    );
    if let Some(governor) = config.governor {
        worker = worker.paced(Pacing {
            governor: Governor::new(aws.dynamo(&config.table), governor.limits),
            queue: Box::new(aws.queue(&governor.queue_url)),
        });
    }
    serve_with_deadline(|event, deadline: SystemTime| {
        let labeling_deadline = deadline
            .duration_since(SystemTime::now())
            .ok()
            .and_then(|left| left.checked_sub(REPORT_MARGIN))
            .map(|left| Instant::now() + left);
        let worker = &worker;
        async move { Ok(worker.handle_batch(event, labeling_deadline).await) }
    })
    .await
}
