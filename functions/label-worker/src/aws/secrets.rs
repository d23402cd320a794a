use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
use aws_sdk_secretsmanager::Client;
use narratix_label::ApiKey;

use super::describe;
use crate::WorkerError;

/// Reads the AI provider's API key from Secrets Manager. The secret is either the key itself
/// or a JSON object with an `apiKey` field (what the console's key/value editor stores).
/// The key is returned redacted and never logged; errors name the secret's failure, not it.
pub async fn fetch_api_key(client: &Client, secret_id: &str) -> Result<ApiKey, WorkerError> {
    let output = client
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|err| {
            let cause = format!("secrets manager: {}", describe(&err));
            let permanent = err.as_service_error().is_some_and(|e| {
                e.is_resource_not_found_exception()
                    || e.is_decryption_failure()
                    || e.is_invalid_parameter_exception()
                    || e.is_invalid_request_exception()
            }) || err.code() == Some("AccessDeniedException");
            if permanent {
                WorkerError::ApiKey(cause)
            } else {
                WorkerError::StorageUnavailable(cause)
            }
        })?;
    let secret = output
        .secret_string()
        .ok_or_else(|| WorkerError::ApiKey("the secret has no string value".to_owned()))?;
    let key = match serde_json::from_str::<serde_json::Value>(secret) {
        Ok(serde_json::Value::Object(fields)) => fields
            .get("apiKey")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| {
                WorkerError::ApiKey("the secret is a JSON object without an apiKey string".into())
            })?
            .to_owned(),
        _ => secret.to_owned(),
    };
    let key = ApiKey::new(key);
    if key.expose().is_empty() {
        return Err(WorkerError::ApiKey("the secret is empty".to_owned()));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_secretsmanager::operation::get_secret_value::{
        GetSecretValueError, GetSecretValueOutput,
    };
    use aws_sdk_secretsmanager::types::error::ResourceNotFoundException;
    use aws_smithy_mocks::{mock, mock_client};

    const ARN: &str = "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:narratix-ai";

    #[tokio::test]
    async fn reads_a_plain_or_json_secret() {
        let plain = mock!(Client::get_secret_value)
            .match_requests(|req| req.secret_id() == Some(ARN))
            .then_output(|| {
                GetSecretValueOutput::builder()
                    .secret_string(" sk-plain\n")
                    .build()
            });
        let json = mock!(Client::get_secret_value).then_output(|| {
            GetSecretValueOutput::builder()
                .secret_string(r#"{"apiKey":"sk-json"}"#)
                .build()
        });
        let client = mock_client!(aws_sdk_secretsmanager, [&plain, &json]);
        let key = fetch_api_key(&client, ARN).await.expect("plain");
        assert_eq!(key.expose(), "sk-plain");
        assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
        let key = fetch_api_key(&client, ARN).await.expect("json");
        assert_eq!(key.expose(), "sk-json");
    }

    #[tokio::test]
    async fn a_missing_or_empty_secret_is_an_api_key_error_without_the_value() {
        let missing = mock!(Client::get_secret_value).then_error(|| {
            GetSecretValueError::ResourceNotFoundException(
                ResourceNotFoundException::builder().build(),
            )
        });
        let empty = mock!(Client::get_secret_value)
            .then_output(|| GetSecretValueOutput::builder().secret_string("  ").build());
        let wrong_shape = mock!(Client::get_secret_value).then_output(|| {
            GetSecretValueOutput::builder()
                .secret_string(r#"{"key":"sk-hidden"}"#)
                .build()
        });
        let client = mock_client!(aws_sdk_secretsmanager, [&missing, &empty, &wrong_shape]);
        for _ in 0..3 {
            let err = fetch_api_key(&client, ARN).await.expect_err("unusable");
            assert!(matches!(err, WorkerError::ApiKey(_)), "{err:?}");
            assert!(!err.to_string().contains("sk-hidden"));
        }
    }

    #[tokio::test]
    async fn a_server_error_is_transient() {
        let broken = mock!(Client::get_secret_value)
            .sequence()
            .http_status(500, None)
            .repeatedly()
            .build();
        let client = mock_client!(aws_sdk_secretsmanager, [&broken]);
        let err = fetch_api_key(&client, ARN).await.expect_err("unavailable");
        assert!(matches!(err, WorkerError::StorageUnavailable(_)), "{err:?}");
    }
}
