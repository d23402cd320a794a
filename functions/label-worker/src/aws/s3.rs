use async_trait::async_trait;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;

use super::describe;
use crate::ports::{ObjectStore, PutOutcome};
use crate::WorkerError;

/// The job bucket (`BUCKET_NAME`).
#[derive(Debug, Clone)]
pub struct S3ObjectStore {
    client: Client,
    bucket: String,
}

impl S3ObjectStore {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        S3ObjectStore {
            client,
            bucket: bucket.into(),
        }
    }
}

#[async_trait]
impl ObjectStore for S3ObjectStore {
    async fn get(&self, key: &str) -> Result<Vec<u8>, WorkerError> {
        let output = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|err| {
                if err.as_service_error().is_some_and(|e| e.is_no_such_key()) {
                    WorkerError::NotFound(format!("s3 object {key}"))
                } else {
                    WorkerError::StorageUnavailable(format!("s3 get {key}: {}", describe(&err)))
                }
            })?;
        let body = output.body.collect().await.map_err(|_| {
            WorkerError::StorageUnavailable(format!("s3 get {key}: body read interrupted"))
        })?;
        Ok(body.to_vec())
    }

    async fn put_if_absent(&self, key: &str, body: Vec<u8>) -> Result<PutOutcome, WorkerError> {
        let result = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/json")
            .if_none_match("*")
            .body(ByteStream::from(body))
            .send()
            .await;
        match result {
            Ok(_) => Ok(PutOutcome::Written),
            Err(err) if err.code() == Some("PreconditionFailed") => Ok(PutOutcome::AlreadyExists),
            Err(err) => Err(WorkerError::StorageUnavailable(format!(
                "s3 put {key}: {}",
                describe(&err)
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::operation::get_object::{GetObjectError, GetObjectOutput};
    use aws_sdk_s3::operation::put_object::PutObjectOutput;
    use aws_sdk_s3::types::error::NoSuchKey;
    use aws_smithy_mocks::{mock, mock_client};

    #[tokio::test]
    async fn reads_the_object_of_the_bucket() {
        let get = mock!(Client::get_object)
            .match_requests(|req| {
                req.bucket() == Some("jobs") && req.key() == Some("text/j/f1.txt")
            })
            .then_output(|| {
                GetObjectOutput::builder()
                    .body(ByteStream::from_static("1. 지원동기".as_bytes()))
                    .build()
            });
        let store = S3ObjectStore::new(mock_client!(aws_sdk_s3, [&get]), "jobs");
        let bytes = store.get("text/j/f1.txt").await.expect("read");
        assert_eq!(bytes, "1. 지원동기".as_bytes());
        assert_eq!(get.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_missing_object_is_not_found_and_a_server_error_is_unavailable() {
        let missing = mock!(Client::get_object)
            .then_error(|| GetObjectError::NoSuchKey(NoSuchKey::builder().build()));
        let store = S3ObjectStore::new(mock_client!(aws_sdk_s3, [&missing]), "jobs");
        let err = store.get("text/j/f1.txt").await.expect_err("missing");
        assert!(matches!(err, WorkerError::NotFound(_)), "{err:?}");

        let broken = mock!(Client::get_object)
            .sequence()
            .http_status(503, None)
            .repeatedly()
            .build();
        let store = S3ObjectStore::new(mock_client!(aws_sdk_s3, [&broken]), "jobs");
        let err = store.get("text/j/f1.txt").await.expect_err("unavailable");
        assert!(matches!(err, WorkerError::StorageUnavailable(_)), "{err:?}");
    }

    #[tokio::test]
    async fn put_is_conditional_on_absence() {
        let put = mock!(Client::put_object)
            .match_requests(|req| {
                req.if_none_match() == Some("*")
                    && req.key() == Some("results/j/f1.json")
                    && req.content_type() == Some("application/json")
            })
            .then_output(|| PutObjectOutput::builder().build());
        let store = S3ObjectStore::new(mock_client!(aws_sdk_s3, [&put]), "jobs");
        let outcome = store
            .put_if_absent("results/j/f1.json", b"[]".to_vec())
            .await
            .expect("put");
        assert_eq!(outcome, PutOutcome::Written);
        assert_eq!(put.num_calls(), 1);
    }

    #[tokio::test]
    async fn precondition_failed_means_an_object_already_exists() {
        let exists = mock!(Client::put_object)
            .sequence()
            .http_status(
                412,
                Some(
                    "<Error><Code>PreconditionFailed</Code><Message>At least one of the \
                     pre-conditions you specified did not hold</Message></Error>"
                        .to_owned(),
                ),
            )
            .build();
        let store = S3ObjectStore::new(mock_client!(aws_sdk_s3, [&exists]), "jobs");
        let outcome = store
            .put_if_absent("results/j/f1.json", b"[]".to_vec())
            .await
            .expect("answered");
        assert_eq!(outcome, PutOutcome::AlreadyExists);
    }
}
