//! The S3 adapter of the storage port.

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;

use crate::storage::{Storage, StorageError, TEXT_CONTENT_TYPE};

/// Set to `true` to address buckets by path (`http://host/bucket/key`), as the local stack
/// (moto) needs.
pub const ENV_FORCE_PATH_STYLE: &str = "NARRATIX_S3_FORCE_PATH_STYLE";

/// An S3 client from the shared AWS configuration (which honours `AWS_ENDPOINT_URL`), with
/// path-style addressing when [`ENV_FORCE_PATH_STYLE`] says so.
pub fn client_from_env(shared: &aws_config::SdkConfig) -> Client {
    let force_path_style = std::env::var(ENV_FORCE_PATH_STYLE)
        .map(|value| is_truthy(&value))
        .unwrap_or(false);
    let config = aws_sdk_s3::config::Builder::from(shared)
        .force_path_style(force_path_style)
        .build();
    Client::from_conf(config)
}

fn is_truthy(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes"
    )
}

pub struct S3Storage {
    client: Client,
}

impl S3Storage {
    pub fn new(client: Client) -> Self {
        S3Storage { client }
    }
}

/// Error codes that mean the bucket or object is not there.
const NOT_FOUND_CODES: &[&str] = &["NoSuchKey", "NoSuchBucket", "NotFound"];

fn classify<E>(
    error: SdkError<E>,
    bucket: &str,
    key: &str,
    is_modeled_not_found: impl Fn(&E) -> bool,
) -> StorageError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let not_found = error.as_service_error().is_some_and(|service_error| {
        is_modeled_not_found(service_error)
            || service_error
                .code()
                .is_some_and(|code| NOT_FOUND_CODES.contains(&code))
    });
    if not_found {
        StorageError::NotFound {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        }
    } else {
        StorageError::Unavailable(format!(
            "s3://{bucket}/{key}: {}",
            DisplayErrorContext(&error)
        ))
    }
}

impl Storage for S3Storage {
    async fn get_object_capped(
        &self,
        bucket: &str,
        key: &str,
        max_bytes: usize,
    ) -> Result<Vec<u8>, StorageError> {
        let too_large = |size: u64| StorageError::TooLarge {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            size,
            max_bytes,
        };
        let mut object = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|error| classify(error, bucket, key, GetObjectError::is_no_such_key))?;
        let declared = object
            .content_length()
            .and_then(|length| u64::try_from(length).ok());
        if let Some(size) = declared.filter(|&size| size > max_bytes as u64) {
            return Err(too_large(size));
        }
        // The declared length may be missing: never hold more than the cap (plus one byte to
        // tell "exactly at the cap" from "over it").
        let mut bytes = Vec::with_capacity(declared.map_or(0, |size| size as usize));
        while let Some(chunk) = object.body.try_next().await.map_err(|error| {
            StorageError::Unavailable(format!("reading s3://{bucket}/{key}: {error}"))
        })? {
            if bytes.len() + chunk.len() > max_bytes {
                return Err(too_large((bytes.len() + chunk.len()) as u64));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }

    async fn put_text(&self, bucket: &str, key: &str, text: String) -> Result<(), StorageError> {
        self.client
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type(TEXT_CONTENT_TYPE)
            .body(ByteStream::from(text.into_bytes()))
            .send()
            .await
            .map_err(|error| classify(error, bucket, key, |_| false))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::config::retry::RetryConfig;
    use aws_sdk_s3::operation::get_object::GetObjectOutput;
    use aws_sdk_s3::operation::put_object::PutObjectOutput;
    use aws_sdk_s3::types::error::NoSuchKey;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    const BUCKET: &str = "narratix-test";
    const KEY: &str = "uploads/job-1/f1.pdf";

    #[tokio::test]
    async fn get_returns_the_object_bytes() {
        let rule = mock!(Client::get_object)
            .match_requests(|req| req.bucket() == Some(BUCKET) && req.key() == Some(KEY))
            .then_output(|| {
                GetObjectOutput::builder()
                    .content_length(9)
                    .body(ByteStream::from_static(b"%PDF-1.7\n"))
                    .build()
            });
        let storage = S3Storage::new(mock_client!(aws_sdk_s3, [&rule]));
        let bytes = storage
            .get_object_capped(BUCKET, KEY, 1000)
            .await
            .expect("object read");
        assert_eq!(bytes, b"%PDF-1.7\n");
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn no_such_key_is_not_found() {
        let rule = mock!(Client::get_object)
            .then_error(|| GetObjectError::NoSuchKey(NoSuchKey::builder().build()));
        let storage = S3Storage::new(mock_client!(aws_sdk_s3, [&rule]));
        let error = storage
            .get_object_capped(BUCKET, KEY, 1000)
            .await
            .expect_err("missing object");
        assert_eq!(
            error,
            StorageError::NotFound {
                bucket: BUCKET.into(),
                key: KEY.into()
            }
        );
    }

    #[tokio::test]
    async fn a_server_error_is_unavailable() {
        let rule = mock!(Client::get_object)
            .sequence()
            .http_status(500, None)
            .repeatedly()
            .build();
        let storage = S3Storage::new(mock_client!(
            aws_sdk_s3,
            RuleMode::MatchAny,
            [&rule],
            |config| config.retry_config(RetryConfig::disabled())
        ));
        let error = storage
            .get_object_capped(BUCKET, KEY, 1000)
            .await
            .expect_err("server error");
        assert!(
            matches!(error, StorageError::Unavailable(_)),
            "got {error:?}"
        );
        assert_eq!(
            narratix_domain::WireError::from(error).name(),
            "Storage.Unavailable"
        );
    }

    #[tokio::test]
    async fn an_object_over_the_cap_is_refused_before_its_body_is_read() {
        let rule = mock!(Client::get_object).then_output(|| {
            GetObjectOutput::builder()
                .content_length(6_000_000)
                .body(ByteStream::from_static(b"%PDF-"))
                .build()
        });
        let storage = S3Storage::new(mock_client!(aws_sdk_s3, [&rule]));
        let error = storage
            .get_object_capped(BUCKET, KEY, 5_000_000)
            .await
            .expect_err("too large");
        assert!(
            matches!(
                error,
                StorageError::TooLarge {
                    size: 6_000_000,
                    ..
                }
            ),
            "got {error:?}"
        );
    }

    #[tokio::test]
    async fn a_body_longer_than_declared_is_still_capped() {
        let rule = mock!(Client::get_object).then_output(|| {
            GetObjectOutput::builder()
                .body(ByteStream::from_static(b"%PDF-1.7 and much more"))
                .build()
        });
        let storage = S3Storage::new(mock_client!(aws_sdk_s3, [&rule]));
        let error = storage
            .get_object_capped(BUCKET, KEY, 8)
            .await
            .expect_err("too large");
        assert!(
            matches!(error, StorageError::TooLarge { .. }),
            "got {error:?}"
        );
    }

    #[tokio::test]
    async fn put_text_stores_utf8_text_with_its_content_type() {
        let rule = mock!(Client::put_object)
            .match_requests(|req| {
                req.bucket() == Some(BUCKET)
                    && req.key() == Some("text/job-1/f1.txt")
                    && req.content_type() == Some(TEXT_CONTENT_TYPE)
                    && req.body().bytes() == Some("지원 동기".as_bytes())
            })
            .then_output(|| PutObjectOutput::builder().build());
        let storage = S3Storage::new(mock_client!(aws_sdk_s3, [&rule]));
        storage
            .put_text(BUCKET, "text/job-1/f1.txt", "지원 동기".to_owned())
            .await
            .expect("stored");
        assert_eq!(rule.num_calls(), 1);
    }

    #[test]
    fn path_style_flag_accepts_the_usual_spellings() {
        for yes in ["true", "TRUE", "1", "yes", " true "] {
            assert!(is_truthy(yes), "{yes}");
        }
        for no in ["", "false", "0", "no", "maybe"] {
            assert!(!is_truthy(no), "{no}");
        }
    }
}
