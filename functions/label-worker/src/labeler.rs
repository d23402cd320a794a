//! The labeler port over `narratix-label`, with the API key from Secrets Manager fetched on
//! first use and kept for the container's life — read again once when the provider rejects it,
//! so a key rotated in Secrets Manager takes effect without waiting for containers to recycle.

use std::sync::Arc;

use async_trait::async_trait;
use narratix_app::labeling::{LabelOutput, TextLabeler};
use narratix_domain::config::{ConfigError, Env};
use narratix_domain::rate::{CallGate, RateLimits};
use narratix_domain::WireError;
use narratix_label::{ApiKey, CallBudget, LabelConfig, LabelError, Labeled, Labeler};
use narratix_store::aws::AwsSettings;
use narratix_store::ports::SecretReader;
use tokio::sync::Mutex;

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
    /// The rate governor's settings; `None` when `NARRATIX_AI_GOVERNOR=off`.
    pub governor: Option<GovernorConfig>,
    pub aws: AwsSettings,
}

/// `NARRATIX_AI_GOVERNOR` (on unless `off`), the provider's limits `NARRATIX_AI_RPM` and
/// `NARRATIX_AI_TPM` (0 or unset: unknown), `NARRATIX_LABEL_CONCURRENCY` (the workers at
/// once, bounding a learned pace) and `LABEL_QUEUE_URL` (where a held-back message goes).
#[derive(Debug, Clone)]
pub struct GovernorConfig {
    pub limits: RateLimits,
    pub queue_url: String,
}

impl GovernorConfig {
    pub fn from_env(env: &Env) -> Result<Option<GovernorConfig>, ConfigError> {
        if !env.flag("NARRATIX_AI_GOVERNOR", true)? {
            return Ok(None);
        }
        let limit = |name| -> Result<Option<u32>, ConfigError> {
            Ok(env.number::<u32>(name)?.filter(|limit| *limit > 0))
        };
        Ok(Some(GovernorConfig {
            limits: RateLimits {
                requests_per_minute: limit("NARRATIX_AI_RPM")?,
                tokens_per_minute: limit("NARRATIX_AI_TPM")?,
                concurrency: env
                    .number::<u32>("NARRATIX_LABEL_CONCURRENCY")?
                    .unwrap_or(DEFAULT_CONCURRENCY)
                    .max(1),
            },
            queue_url: env.required("LABEL_QUEUE_URL")?,
        }))
    }
}

/// The template's `LabelConcurrency` default.
const DEFAULT_CONCURRENCY: u32 = 5;

impl Config {
    pub fn from_env(env: &Env) -> Result<Config, ConfigError> {
        Ok(Config {
            table: env.required("TABLE_NAME")?,
            bucket: env.required("BUCKET_NAME")?,
            secret_id: env.text("NARRATIX_AI_SECRET_ARN"),
            labeler: LabelConfig::from_env(env).map_err(WireError::from),
            governor: GovernorConfig::from_env(env)?,
            aws: AwsSettings::from_env(env)?,
        })
    }
}

/// Labels with the configured provider, its key read from `secrets` when a secret is named.
pub struct ConfiguredLabeler<S> {
    config: Result<LabelConfig, WireError>,
    secret: Option<(S, String)>,
    labeler: Mutex<Option<Arc<Labeler>>>,
}

impl<S: SecretReader> ConfiguredLabeler<S> {
    pub fn new(config: Result<LabelConfig, WireError>, secret: Option<(S, String)>) -> Self {
        ConfiguredLabeler {
            config,
            secret,
            labeler: Mutex::new(None),
        }
    }

    async fn build(&self) -> Result<Labeler, WireError> {
        let mut config = self.config.clone()?;
        if let Some((secrets, secret_id)) = &self.secret {
            config = config.with_api_key(ApiKey::new(secrets.api_key(secret_id).await?));
        }
        Ok(Labeler::new(config)?)
    }

    /// The labeler built with the key last read, built now if there is none yet.
    async fn current(&self) -> Result<Arc<Labeler>, WireError> {
        let mut slot = self.labeler.lock().await;
        if let Some(labeler) = slot.as_ref() {
            return Ok(Arc::clone(labeler));
        }
        let labeler = Arc::new(self.build().await?);
        *slot = Some(Arc::clone(&labeler));
        Ok(labeler)
    }

    /// A labeler with the key read again, in place of `rejected` — unless a concurrent call has
    /// already replaced it, whose labeler is used instead of reading the secret twice.
    async fn rebuilt(&self, rejected: &Arc<Labeler>) -> Result<Arc<Labeler>, WireError> {
        let mut slot = self.labeler.lock().await;
        if let Some(labeler) = slot.as_ref().filter(|held| !Arc::ptr_eq(held, rejected)) {
            return Ok(Arc::clone(labeler));
        }
        let labeler = Arc::new(self.build().await?);
        *slot = Some(Arc::clone(&labeler));
        Ok(labeler)
    }

    async fn label_with_fresh_key_on_rejection(
        &self,
        text: &str,
        budget: CallBudget<'_>,
    ) -> Result<Labeled, WireError> {
        let labeler = self.current().await?;
        match labeler.label_within(text, budget).await {
            Err(LabelError::Auth(_)) if self.secret.is_some() => {
                tracing::warn!("the provider rejected the API key; reading the secret again");
                Ok(self
                    .rebuilt(&labeler)
                    .await?
                    .label_within(text, budget)
                    .await?)
            }
            labeled => Ok(labeled?),
        }
    }
}

#[async_trait]
impl<S: SecretReader> TextLabeler for ConfiguredLabeler<S> {
    async fn label(
        &self,
        text: &str,
        gate: &dyn CallGate,
        deadline: Option<std::time::Instant>,
    ) -> Result<LabelOutput, WireError> {
        let budget = CallBudget { gate, deadline };
        let labeled = self.label_with_fresh_key_on_rejection(text, budget).await?;
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
