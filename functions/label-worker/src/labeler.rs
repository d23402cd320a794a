//! The labeler port over `narratix-label`, with the API key from Secrets Manager fetched on
//! first use and kept for the container's life.

use async_trait::async_trait;
use narratix_app::labeling::{LabelOutput, TextLabeler};
use narratix_domain::config::{ConfigError, Env};
use narratix_domain::WireError;
use narratix_label::{ApiKey, LabelConfig, Labeler};
use narratix_store::aws::AwsSettings;
use narratix_store::ports::SecretReader;
use tokio::sync::OnceCell;

/// The function's configuration, read once at start.
#[derive(Debug, Clone)]
pub struct Config {
    pub table: String,
    pub bucket: String,
    /// `NARRATIX_AI_SECRET_ARN`: the secret holding the AI provider's key, if any.
    pub secret_id: Option<String>,
    /// The labeler's configuration. A bad one is not fatal at start: it is reported on every
    /// message under its wire name (`Label.Auth`), so an operator sees it on each failed file.
    pub labeler: Result<LabelConfig, WireError>,
    pub aws: AwsSettings,
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Config, ConfigError> {
        Ok(Config {
            table: env.required("TABLE_NAME")?,
            bucket: env.required("BUCKET_NAME")?,
            secret_id: env.text("NARRATIX_AI_SECRET_ARN"),
            labeler: LabelConfig::from_env(env).map_err(WireError::from),
            aws: AwsSettings::from_env(env)?,
        })
    }
}

/// Labels with the configured provider, its key read from `secrets` when a secret is named.
pub struct ConfiguredLabeler<S> {
    config: Result<LabelConfig, WireError>,
    secret: Option<(S, String)>,
    labeler: OnceCell<Labeler>,
}

impl<S: SecretReader> ConfiguredLabeler<S> {
    pub fn new(config: Result<LabelConfig, WireError>, secret: Option<(S, String)>) -> Self {
        ConfiguredLabeler {
            config,
            secret,
            labeler: OnceCell::new(),
        }
    }

    async fn build(&self) -> Result<Labeler, WireError> {
        let mut config = self.config.clone()?;
        if let Some((secrets, secret_id)) = &self.secret {
            config = config.with_api_key(ApiKey::new(secrets.api_key(secret_id).await?));
        }
        Ok(Labeler::new(config)?)
    }
}

#[async_trait]
impl<S: SecretReader> TextLabeler for ConfiguredLabeler<S> {
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
            prefill: labeled.prefill,
            usage: labeled.usage,
        })
    }
}
