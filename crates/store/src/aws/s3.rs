//! The S3 adapter: the job bucket's uploads, extracted text and large results.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use narratix_domain::ObjectKey;

use crate::error::Missing;
use crate::ports::{
    ObjectCopier, ObjectEraser, ObjectReader, ObjectWriter, PresignedPut, UploadUrls,
};
use crate::{Capped, PutOutcome, StoreError};

/// The content type every upload is signed with.
pub const PDF_CONTENT_TYPE: &str = "application/pdf";
/// The content type of extracted text.
pub const TEXT_CONTENT_TYPE: &str = "text/plain; charset=utf-8";
/// The content type of stored results.
pub const JSON_CONTENT_TYPE: &str = "application/json";

const SERVICE: &str = "S3";

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

    /// The same client on another bucket (the extract step is told its bucket per file).
    pub fn in_bucket(&self, bucket: &str) -> S3Objects {
        S3Objects::new(self.client.clone(), bucket)
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }
}

fn unavailable<E>(operation: &'static str, error: SdkError<E>) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
{
    StoreError::unavailable(SERVICE, operation, error)
}

/// The bucket or object is not there (by modeled error, code or status).
fn is_missing<E: ProvideErrorMetadata>(error: &SdkError<E>) -> bool {
    let code = error.as_service_error().and_then(|e| e.code());
    matches!(code, Some("NoSuchKey" | "NotFound" | "NoSuchBucket"))
        || error.raw_response().map(|r| r.status().as_u16()) == Some(404)
}

impl S3Objects {
    async fn get(
        &self,
        key: &ObjectKey,
        range: Option<String>,
    ) -> Result<Option<aws_sdk_s3::operation::get_object::GetObjectOutput>, StoreError> {
        match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .set_range(range)
            .send()
            .await
        {
            Ok(output) => Ok(Some(output)),
            Err(err)
                if is_missing(&err)
                    || err.as_service_error().is_some_and(|e| e.is_no_such_key()) =>
            {
                Err(StoreError::NotFound(Missing::Object(key.clone())))
            }
            // A range on an empty object is unsatisfiable: there are no bytes to read.
            Err(err) if err.as_service_error().and_then(|e| e.code()) == Some("InvalidRange") => {
                Ok(None)
            }
            Err(err) => Err(unavailable("GetObject", err)),
        }
    }

    /// The object's (or range's) whole body; nothing for an unsatisfiable range.
    async fn get_all(&self, key: &ObjectKey, range: Option<String>) -> Result<Vec<u8>, StoreError> {
        let Some(output) = self.get(key, range).await? else {
            return Ok(Vec::new());
        };
        let bytes = output
            .body
            .collect()
            .await
            .map_err(|err| StoreError::unavailable(SERVICE, "GetObject (body)", err))?;
        Ok(bytes.to_vec())
    }

    async fn put_object(
        &self,
        key: &ObjectKey,
        body: Vec<u8>,
        content_type: &'static str,
        only_if_absent: bool,
    ) -> Result<PutOutcome, StoreError> {
        let mut request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .content_type(content_type)
            .body(ByteStream::from(body));
        if only_if_absent {
            request = request.if_none_match("*");
        }
        match request.send().await {
            Ok(_) => Ok(PutOutcome::Written),
            Err(err) if only_if_absent && err.code() == Some("PreconditionFailed") => {
                Ok(PutOutcome::AlreadyExists)
            }
            Err(err) => Err(unavailable("PutObject", err)),
        }
    }
}

#[async_trait]
impl UploadUrls for S3Objects {
    async fn presign_put(
        &self,
        key: &ObjectKey,
        content_length: u64,
        expires_in: Duration,
    ) -> Result<PresignedPut, StoreError> {
        let config =
            PresigningConfig::expires_in(expires_in).map_err(|source| StoreError::Invalid {
                what: "an upload URL of that lifetime",
                source: source.into(),
            })?;
        let length = i64::try_from(content_length).map_err(|source| StoreError::Invalid {
            what: "an upload URL of that length",
            source: source.into(),
        })?;
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key.as_str())
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
}

#[async_trait]
impl ObjectReader for S3Objects {
    /// A HEAD answered 403 is read as missing: without `s3:ListBucket`, S3 answers a missing
    /// key with 403 (a HEAD has no body to say more), and the callers only ask about keys
    /// their role may read.
    async fn size(&self, key: &ObjectKey) -> Result<Option<u64>, StoreError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key.as_str())
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
                if is_missing(&err)
                    || err.as_service_error().is_some_and(|e| e.is_not_found())
                    || err.raw_response().map(|r| r.status().as_u16()) == Some(403) =>
            {
                Ok(None)
            }
            Err(err) => Err(unavailable("HeadObject", err)),
        }
    }

    async fn read_prefix(&self, key: &ObjectKey, len: u64) -> Result<Vec<u8>, StoreError> {
        if len == 0 {
            return Ok(Vec::new());
        }
        let mut bytes = self
            .get_all(key, Some(format!("bytes=0-{}", len - 1)))
            .await?;
        bytes.truncate(usize::try_from(len).unwrap_or(usize::MAX));
        Ok(bytes)
    }

    async fn read(&self, key: &ObjectKey) -> Result<Vec<u8>, StoreError> {
        self.get_all(key, None).await
    }

    async fn read_capped(&self, key: &ObjectKey, max_bytes: u64) -> Result<Capped, StoreError> {
        let Some(mut output) = self.get(key, None).await? else {
            return Ok(Capped::Bytes(Vec::new()));
        };
        let declared = output
            .content_length()
            .and_then(|length| u64::try_from(length).ok());
        if let Some(size) = declared.filter(|&size| size > max_bytes) {
            return Ok(Capped::TooLarge { size });
        }
        // The declared length may be missing: never hold more than the cap.
        let capacity = declared.map_or(0, |size| usize::try_from(size).unwrap_or(0));
        let mut bytes = Vec::with_capacity(capacity);
        while let Some(chunk) = output
            .body
            .try_next()
            .await
            .map_err(|err| StoreError::unavailable(SERVICE, "GetObject (body)", err))?
        {
            let size = (bytes.len() + chunk.len()) as u64;
            if size > max_bytes {
                return Ok(Capped::TooLarge { size });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Capped::Bytes(bytes))
    }
}

#[async_trait]
impl ObjectWriter for S3Objects {
    async fn put(
        &self,
        key: &ObjectKey,
        body: Vec<u8>,
        content_type: &'static str,
    ) -> Result<(), StoreError> {
        self.put_object(key, body, content_type, false)
            .await
            .map(|_| ())
    }

    async fn put_if_absent(
        &self,
        key: &ObjectKey,
        body: Vec<u8>,
        content_type: &'static str,
    ) -> Result<PutOutcome, StoreError> {
        self.put_object(key, body, content_type, true).await
    }
}

#[async_trait]
impl ObjectEraser for S3Objects {
    async fn delete(&self, key: &ObjectKey) -> Result<(), StoreError> {
        // S3 answers a delete of a missing key with success.
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await
            .map(|_| ())
            .map_err(|err| unavailable("DeleteObject", err))
    }
}

#[async_trait]
impl ObjectCopier for S3Objects {
    async fn copy(&self, from: &ObjectKey, to: &ObjectKey) -> Result<u64, StoreError> {
        // Keys are ASCII ids and slashes ([`ObjectKey`]'s constructors): no escaping needed.
        self.client
            .copy_object()
            .bucket(&self.bucket)
            .key(to.as_str())
            .copy_source(format!("{}/{}", self.bucket, from.as_str()))
            .send()
            .await
            .map_err(|err| {
                if is_missing(&err) {
                    StoreError::NotFound(Missing::Object(from.clone()))
                } else {
                    unavailable("CopyObject", err)
                }
            })?;
        self.size(to)
            .await?
            .ok_or_else(|| StoreError::NotFound(Missing::Object(to.clone())))
    }
}
