use std::fmt;

use narratix_domain::{ErrorKind, FileId, JobId, ObjectKey, WireError};

/// An underlying failure kept as the `source` of a [`StoreError`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What can go wrong reading or writing the stores. The SDK's error stays the `source`; it is
/// flattened into a cause line only where a function reports it ([`WireError::from`]), and
/// mapped to a wire name in [`StoreError::kind`] and nowhere else.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A call failed (throttled, unreachable, 5xx): worth retrying.
    #[error("{service} {operation} failed")]
    Unavailable {
        service: &'static str,
        operation: &'static str,
        #[source]
        source: BoxError,
    },
    /// The job, file, object or connection the caller named does not exist.
    #[error("{0} not found")]
    NotFound(Missing),
    /// A stored item could not be read back: writer and reader disagree.
    #[error("stored {item} unreadable: attribute {attribute} {problem}")]
    Corrupt {
        item: &'static str,
        attribute: &'static str,
        problem: &'static str,
    },
    /// The request cannot be made as given: a wiring bug in the caller.
    #[error("{what} cannot be made")]
    Invalid {
        what: &'static str,
        #[source]
        source: BoxError,
    },
    /// The job to create exists already.
    #[error("job {0} exists already")]
    JobExists(JobId),
    /// Step Functions no longer waits for the task token (timed out, answered, execution
    /// gone): the execution has moved on.
    #[error("{operation}: the task no longer waits")]
    TaskGone {
        operation: &'static str,
        #[source]
        source: BoxError,
    },
    /// Secrets Manager refused the secret for good (missing, access denied, undecryptable).
    #[error("the secret cannot be read")]
    SecretRefused {
        #[source]
        source: BoxError,
    },
    /// The secret was read but holds no usable value.
    #[error("the secret is unusable: {0}")]
    SecretUnusable(&'static str),
}

/// What a [`StoreError::NotFound`] names: ids and keys, never content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    Job(JobId),
    File(JobId, FileId),
    Object(ObjectKey),
    Connection(String),
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Missing::Job(job_id) => write!(f, "job {job_id}"),
            Missing::File(job_id, file_id) => write!(f, "file {job_id}/{file_id}"),
            Missing::Object(key) => write!(f, "object {key}"),
            Missing::Connection(id) => write!(f, "connection {id}"),
        }
    }
}

impl StoreError {
    /// The wire name this failure is reported under. The one secret the pipeline reads is the
    /// AI provider's key, so a secret that cannot be used is `Label.Auth`: like rejected
    /// credentials, it needs an operator and is never retried.
    pub fn kind(&self) -> ErrorKind {
        match self {
            StoreError::Unavailable { .. } => ErrorKind::StorageUnavailable,
            StoreError::NotFound(_) => ErrorKind::StorageNotFound,
            StoreError::Corrupt { .. }
            | StoreError::Invalid { .. }
            | StoreError::JobExists(_)
            | StoreError::TaskGone { .. } => ErrorKind::InputInvalid,
            StoreError::SecretRefused { .. } | StoreError::SecretUnusable(_) => {
                ErrorKind::LabelAuth
            }
        }
    }

    /// Whether retrying the same call may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unavailable { .. })
    }

    pub(crate) fn unavailable(
        service: &'static str,
        operation: &'static str,
        source: impl Into<BoxError>,
    ) -> StoreError {
        StoreError::Unavailable {
            service,
            operation,
            source: source.into(),
        }
    }

    pub(crate) fn corrupt(
        item: &'static str,
        attribute: &'static str,
        problem: &'static str,
    ) -> StoreError {
        StoreError::Corrupt {
            item,
            attribute,
            problem,
        }
    }
}

impl From<StoreError> for WireError {
    fn from(error: StoreError) -> WireError {
        WireError::from_error(error.kind(), &error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_a_wire_name_and_keeps_its_source_to_the_boundary() {
        let job = JobId::parse("j1").expect("id");
        let cases = [
            (
                StoreError::unavailable("DynamoDB", "GetItem", "throttled"),
                "Storage.Unavailable",
                "DynamoDB GetItem failed: throttled",
            ),
            (
                StoreError::NotFound(Missing::Job(job.clone())),
                "Storage.NotFound",
                "job j1 not found",
            ),
            (
                StoreError::corrupt("file", "pairs", "is not a JSON list"),
                "Input.Invalid",
                "stored file unreadable: attribute pairs is not a JSON list",
            ),
            (
                StoreError::JobExists(job),
                "Input.Invalid",
                "job j1 exists already",
            ),
            (
                StoreError::SecretUnusable("it is empty"),
                "Label.Auth",
                "the secret is unusable: it is empty",
            ),
        ];
        for (error, name, cause) in cases {
            let wire: WireError = error.into();
            assert_eq!(wire.name(), name);
            assert_eq!(wire.cause, cause);
        }
    }
}
