//! What every function's `main` needs to reach AWS (or the local stack) from its environment.

use crate::{ApiGatewayPoster, DynamoStore, S3Objects, StoreError};

/// A required environment variable.
pub fn env_var(name: &str) -> Result<String, StoreError> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
        .ok_or_else(|| StoreError::Invalid(format!("environment variable {name} is not set")))
}

/// Whether an environment variable is `true` (case-insensitive) or `1`.
pub fn env_flag(name: &str) -> bool {
    std::env::var(name)
        .map(|value| value.eq_ignore_ascii_case("true") || value == "1")
        .unwrap_or(false)
}

/// The SDK configuration from the environment; `AWS_ENDPOINT_URL` (and the per-service
/// variants) point every client at the local stack.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::load_from_env().await
}

/// The table named by `TABLE_NAME`.
pub fn dynamo_store(config: &aws_config::SdkConfig) -> Result<DynamoStore, StoreError> {
    Ok(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(config),
        env_var("TABLE_NAME")?,
    ))
}

/// The bucket named by `BUCKET_NAME`; path-style addressing when
/// `NARRATIX_S3_FORCE_PATH_STYLE=true` (the local stack has no virtual-host buckets).
pub fn s3_objects(config: &aws_config::SdkConfig) -> Result<S3Objects, StoreError> {
    let s3_config = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(env_flag("NARRATIX_S3_FORCE_PATH_STYLE"))
        .build();
    Ok(S3Objects::new(
        aws_sdk_s3::Client::from_conf(s3_config),
        env_var("BUCKET_NAME")?,
    ))
}

/// The `@connections` client for the WebSocket stage at `WEBSOCKET_ENDPOINT`
/// (`https://{api}.execute-api.{region}.amazonaws.com/{stage}`).
pub fn connection_poster(config: &aws_config::SdkConfig) -> Result<ApiGatewayPoster, StoreError> {
    let poster_config = aws_sdk_apigatewaymanagement::config::Builder::from(config)
        .endpoint_url(env_var("WEBSOCKET_ENDPOINT")?)
        .build();
    Ok(ApiGatewayPoster::new(
        aws_sdk_apigatewaymanagement::Client::from_conf(poster_config),
    ))
}
