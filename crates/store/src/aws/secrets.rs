//! The Secrets Manager adapter: the AI provider's API key.

use async_trait::async_trait;
use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
use aws_sdk_secretsmanager::Client;

use crate::ports::SecretReader;
use crate::StoreError;

#[derive(Clone, Debug)]
pub struct SecretsManager {
    client: Client,
}

impl SecretsManager {
    pub fn new(client: Client) -> SecretsManager {
        SecretsManager { client }
    }
}

#[async_trait]
impl SecretReader for SecretsManager {
    async fn api_key(&self, secret_id: &str) -> Result<String, StoreError> {
        let output = match self
            .client
            .get_secret_value()
            .secret_id(secret_id)
            .send()
            .await
        {
            Ok(output) => output,
            Err(err) => {
                let permanent = err.as_service_error().is_some_and(|e| {
                    e.is_resource_not_found_exception()
                        || e.is_decryption_failure()
                        || e.is_invalid_parameter_exception()
                        || e.is_invalid_request_exception()
                }) || err.code() == Some("AccessDeniedException");
                return Err(if permanent {
                    StoreError::SecretRefused { source: err.into() }
                } else {
                    StoreError::unavailable("Secrets Manager", "GetSecretValue", err)
                });
            }
        };
        let secret = output
            .secret_string()
            .ok_or(StoreError::SecretUnusable("it has no string value"))?;
        api_key_of(secret)
    }
}

/// The key in a secret string: the string itself, or the `apiKey` field of a JSON object.
pub(crate) fn api_key_of(secret: &str) -> Result<String, StoreError> {
    let key = match serde_json::from_str::<serde_json::Value>(secret) {
        Ok(serde_json::Value::Object(fields)) => fields
            .get("apiKey")
            .and_then(serde_json::Value::as_str)
            .ok_or(StoreError::SecretUnusable(
                "it is a JSON object without an apiKey string",
            ))?
            .trim()
            .to_owned(),
        _ => secret.trim().to_owned(),
    };
    if key.is_empty() {
        return Err(StoreError::SecretUnusable("it is empty"));
    }
    Ok(key)
}
