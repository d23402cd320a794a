//! The S3 adapter for uploads and large results.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::Client;

use crate::ports::{ObjectStore, PresignedPut};
use crate::StoreError;

/// The content type every upload is signed with.
pub const PDF_CONTENT_TYPE: &str = "application/pdf";

/// Objects in one bucket.
#[derive(Clone, Debug)]
pub struct S3Objects {
    client: Client,
    bucket: String,
}

impl S3Objects {
    pub fn new(client: Client, bucket: impl Into<String>) -> S3Objects {
        S3Objects {
            client,
            bucket: bucket.into(),
        }
    }
}

fn unavailable<E>(operation: &'static str, error: SdkError<E>) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
{
    StoreError::unavailable("S3", operation, DisplayErrorContext(&error).to_string())
}

fn is_missing<E: ProvideErrorMetadata>(error: &SdkError<E>) -> bool {
    let code = error.as_service_error().and_then(|e| e.code());
    matches!(code, Some("NoSuchKey" | "NotFound"))
        || error.raw_response().map(|r| r.status().as_u16()) == Some(404)
}

#[async_trait]
impl ObjectStore for S3Objects {
    async fn presign_put(
        &self,
        key: &str,
        content_length: u64,
        expires_in: Duration,
    ) -> Result<PresignedPut, StoreError> {
        let config = PresigningConfig::expires_in(expires_in)
            .map_err(|err| StoreError::Invalid(format!("presigning: {err}")))?;
        let length = i64::try_from(content_length)
            .map_err(|_| StoreError::Invalid("content length out of range".into()))?;
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(PDF_CONTENT_TYPE)
            .content_length(length)
            .presigned(config)
            .await
            .map_err(|err| unavailable("PutObject (presign)", err))?;
        let headers = request
            .headers()
            .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
            .collect::<BTreeMap<_, _>>();
        Ok(PresignedPut {
            url: request.uri().to_owned(),
            headers,
        })
    }

    async fn size(&self, key: &str) -> Result<Option<u64>, StoreError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(output) => Ok(Some(
                output
                    .content_length()
                    .and_then(|len| u64::try_from(len).ok())
                    .unwrap_or(0),
            )),
            Err(err)
                if is_missing(&err) || err.as_service_error().is_some_and(|e| e.is_not_found()) =>
            {
                Ok(None)
            }
            Err(err) => Err(unavailable("HeadObject", err)),
        }
    }

    async fn read_prefix(&self, key: &str, len: u64) -> Result<Vec<u8>, StoreError> {
        if len == 0 {
            return Ok(Vec::new());
        }
        let output = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .range(format!("bytes=0-{}", len - 1))
            .send()
            .await
        {
            Ok(output) => output,
            Err(err)
                if is_missing(&err)
                    || err.as_service_error().is_some_and(|e| e.is_no_such_key()) =>
            {
                return Err(StoreError::NotFound(format!("object {key}")))
            }
            // A range on an empty object is unsatisfiable: there are no bytes to read.
            Err(err) if err.as_service_error().and_then(|e| e.code()) == Some("InvalidRange") => {
                return Ok(Vec::new())
            }
            Err(err) => return Err(unavailable("GetObject", err)),
        };
        let bytes = output
            .body
            .collect()
            .await
            .map_err(|err| StoreError::unavailable("S3", "GetObject", err.to_string()))?;
        let mut bytes = bytes.to_vec();
        bytes.truncate(usize::try_from(len).unwrap_or(usize::MAX));
        Ok(bytes)
    }

    async fn read(&self, key: &str) -> Result<Vec<u8>, StoreError> {
        let output = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(output) => output,
            Err(err)
                if is_missing(&err)
                    || err.as_service_error().is_some_and(|e| e.is_no_such_key()) =>
            {
                return Err(StoreError::NotFound(format!("object {key}")))
            }
            Err(err) => return Err(unavailable("GetObject", err)),
        };
        let bytes = output
            .body
            .collect()
            .await
            .map_err(|err| StoreError::unavailable("S3", "GetObject", err.to_string()))?;
        Ok(bytes.to_vec())
    }
}
