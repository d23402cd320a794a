//! The storage port the handler needs: fetch one PDF (refusing oversized ones before
//! download) and store one text object. S3 in production (`crate::s3`), memory in tests.

use std::future::Future;

use narratix_domain::{ErrorKind, WireError};

/// Content type of the stored text.
pub const TEXT_CONTENT_TYPE: &str = "text/plain; charset=utf-8";

pub trait Storage: Send + Sync {
    /// The object's bytes; [`StorageError::TooLarge`] when it is over `max_bytes`, decided
    /// from its size before the body is read.
    fn get_object_capped(
        &self,
        bucket: &str,
        key: &str,
        max_bytes: usize,
    ) -> impl Future<Output = Result<Vec<u8>, StorageError>> + Send;

    /// Stores UTF-8 text under `key` with content type [`TEXT_CONTENT_TYPE`].
    fn put_text(
        &self,
        bucket: &str,
        key: &str,
        text: String,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
}

/// Why a storage call failed. Causes name buckets and keys (ids only), never content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    #[error("s3://{bucket}/{key} does not exist")]
    NotFound { bucket: String, key: String },
    #[error("s3://{bucket}/{key} is {size} bytes, over the limit of {max_bytes}")]
    TooLarge {
        bucket: String,
        key: String,
        size: u64,
        max_bytes: usize,
    },
    #[error("storage call failed: {0}")]
    Unavailable(String),
}

impl From<StorageError> for WireError {
    fn from(error: StorageError) -> WireError {
        let kind = match &error {
            StorageError::NotFound { .. } => ErrorKind::StorageNotFound,
            StorageError::TooLarge { .. } => ErrorKind::ExtractTooLarge,
            StorageError::Unavailable(_) => ErrorKind::StorageUnavailable,
        };
        kind.with_cause(error.to_string())
    }
}
