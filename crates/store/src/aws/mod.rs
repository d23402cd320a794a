//! The AWS SDK adapters of the ports, and the one way every function builds its clients.

mod apigw;
mod dynamo;
mod s3;
mod secrets;
mod sfn;
mod sqs;

pub use apigw::ApiGatewayPoster;
pub use dynamo::DynamoStore;
pub use s3::{S3Objects, JSON_CONTENT_TYPE, PDF_CONTENT_TYPE, TEXT_CONTENT_TYPE};
pub use secrets::SecretsManager;
pub use sfn::StepFunctions;
pub use sqs::SqsQueue;

use narratix_domain::config::{ConfigError, Env};

/// `true` addresses buckets by path (`http://host/bucket/key`), as the local stack needs.
pub const ENV_S3_FORCE_PATH_STYLE: &str = "NARRATIX_S3_FORCE_PATH_STYLE";

/// The AWS settings of this project's own (region, credentials and `AWS_ENDPOINT_URL` are the
/// SDK's, read by it from the environment).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AwsSettings {
    pub s3_force_path_style: bool,
}

impl AwsSettings {
    pub fn from_env(env: &Env) -> Result<AwsSettings, ConfigError> {
        Ok(AwsSettings {
            s3_force_path_style: env.flag(ENV_S3_FORCE_PATH_STYLE, false)?,
        })
    }
}

/// What a function that only reads and writes the table is configured with (`aggregate`,
/// `ws-connect`, `ws-disconnect`).
#[derive(Debug, Clone)]
pub struct TableSettings {
    pub table: String,
    pub aws: AwsSettings,
}

impl TableSettings {
    pub fn from_env(env: &Env) -> Result<TableSettings, ConfigError> {
        Ok(TableSettings {
            table: env.required("TABLE_NAME")?,
            aws: AwsSettings::from_env(env)?,
        })
    }

    /// The table's adapter.
    pub async fn connect(&self) -> DynamoStore {
        Aws::load(self.aws).await.dynamo(&self.table)
    }
}

/// The SDK configuration, loaded once per function, and the adapters built from it.
#[derive(Debug, Clone)]
pub struct Aws {
    sdk: aws_config::SdkConfig,
    settings: AwsSettings,
}

impl Aws {
    /// Region, credentials and endpoints from the environment (`AWS_ENDPOINT_URL` and the
    /// per-service variants point every client at the local stack).
    pub async fn load(settings: AwsSettings) -> Aws {
        Aws {
            sdk: aws_config::load_from_env().await,
            settings,
        }
    }

    pub fn from_sdk_config(sdk: aws_config::SdkConfig, settings: AwsSettings) -> Aws {
        Aws { sdk, settings }
    }

    pub fn dynamo(&self, table: &str) -> DynamoStore {
        DynamoStore::new(aws_sdk_dynamodb::Client::new(&self.sdk), table)
    }

    pub fn s3(&self, bucket: &str) -> S3Objects {
        let config = aws_sdk_s3::config::Builder::from(&self.sdk)
            .force_path_style(self.settings.s3_force_path_style)
            .build();
        S3Objects::new(aws_sdk_s3::Client::from_conf(config), bucket)
    }

    /// The SQS queue at `queue_url`.
    pub fn queue(&self, queue_url: &str) -> SqsQueue {
        SqsQueue::new(aws_sdk_sqs::Client::new(&self.sdk), queue_url)
    }

    /// Step Functions; `state_machine_arn` for a function that starts executions.
    pub fn step_functions(&self, state_machine_arn: Option<String>) -> StepFunctions {
        StepFunctions::new(aws_sdk_sfn::Client::new(&self.sdk), state_machine_arn)
    }

    /// The `@connections` client of the WebSocket stage at `endpoint`
    /// (`https://{api}.execute-api.{region}.amazonaws.com/{stage}`).
    pub fn connections_api(&self, endpoint: &str) -> ApiGatewayPoster {
        let config = aws_sdk_apigatewaymanagement::config::Builder::from(&self.sdk)
            .endpoint_url(endpoint)
            .build();
        ApiGatewayPoster::new(aws_sdk_apigatewaymanagement::Client::from_conf(config))
    }

    pub fn secrets(&self) -> SecretsManager {
        SecretsManager::new(aws_sdk_secretsmanager::Client::new(&self.sdk))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_style_is_a_flag_named_on_error() {
        let on = [(ENV_S3_FORCE_PATH_STYLE, " TRUE ")];
        assert!(
            AwsSettings::from_env(&Env::from_pairs(&on))
                .expect("a flag")
                .s3_force_path_style
        );
        assert!(
            !AwsSettings::from_env(&Env::from_pairs(&[]))
                .expect("default")
                .s3_force_path_style
        );
        let bad = [(ENV_S3_FORCE_PATH_STYLE, "maybe")];
        let error = AwsSettings::from_env(&Env::from_pairs(&bad)).expect_err("not a flag");
        assert!(error.to_string().starts_with(ENV_S3_FORCE_PATH_STYLE));
    }

    #[test]
    fn a_secret_is_the_key_or_its_api_key_field() {
        assert_eq!(
            secrets::api_key_of(" sk-plain\n").ok().as_deref(),
            Some("sk-plain")
        );
        assert_eq!(
            secrets::api_key_of(r#"{"apiKey":"sk-json"}"#)
                .ok()
                .as_deref(),
            Some("sk-json")
        );
        for unusable in ["  ", r#"{"key":"sk-hidden"}"#] {
            let error = secrets::api_key_of(unusable).expect_err("unusable");
            assert!(!error.to_string().contains("sk-hidden"));
        }
    }
}
