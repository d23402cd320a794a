//! The labeler port over `narratix-label`, with the API key from Secrets Manager fetched on
//! first use and kept for the container's life.

use async_trait::async_trait;
use narratix_domain::WireError;
use narratix_label::{LabelConfig, Labeler};
use tokio::sync::OnceCell;

use crate::aws::fetch_api_key;
use crate::ports::{LabelOutput, TextLabeler};

/// Where the API key comes from when it is not in the environment.
#[derive(Debug, Clone)]
pub struct ApiKeySecret {
    pub client: aws_sdk_secretsmanager::Client,
    /// `NARRATIX_AI_SECRET_ARN`.
    pub secret_id: String,
}

/// Labels with the configured provider. A configuration error is reported for every message
/// under its wire name (`Label.Auth`), so an operator sees it on each failed file.
pub struct ConfiguredLabeler {
    config: Result<LabelConfig, WireError>,
    secret: Option<ApiKeySecret>,
    labeler: OnceCell<Labeler>,
}

impl ConfiguredLabeler {
    pub fn new(config: Result<LabelConfig, WireError>, secret: Option<ApiKeySecret>) -> Self {
        ConfiguredLabeler {
            config,
            secret,
            labeler: OnceCell::new(),
        }
    }

    async fn build(&self) -> Result<Labeler, WireError> {
        let mut config = self.config.clone()?;
        if let Some(secret) = &self.secret {
            config = config.with_api_key(fetch_api_key(&secret.client, &secret.secret_id).await?);
        }
        Ok(Labeler::new(config)?)
    }
}

#[async_trait]
impl TextLabeler for ConfiguredLabeler {
    async fn label(&self, text: &str) -> Result<LabelOutput, WireError> {
        let labeler = self.labeler.get_or_try_init(|| self.build()).await?;
        let labeled = labeler.label(text).await?;
        if labeled.truncated {
            tracing::info!(
                "the text was longer than the labeler's input cap; its tail was not labeled"
            );
        }
        Ok(LabelOutput {
            pairs: labeled.pairs,
            usage: labeled.usage,
        })
    }
}
