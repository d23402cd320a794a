use aws_lambda_events::sqs::SqsEvent;
use label_dlq::{handle, StepFunctions};
use narratix_domain::lambda::{init_tracing, serve};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let config = aws_config::load_from_env().await;
    let callbacks = StepFunctions {
        client: aws_sdk_sfn::Client::new(&config),
    };
    serve(|event: SqsEvent| handle(&callbacks, event)).await
}
