//! The worker's own failures (storage, Step Functions, the API key secret) and their one
//! mapping onto the wire error names.

use narratix_domain::{ErrorKind, WireError};

/// A failure of the worker's infrastructure. Causes name services, keys and error codes,
/// never applicant text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkerError {
    /// A stored object the worker needs does not exist (the extracted text, a large result).
    #[error("not found: {0}")]
    NotFound(String),
    /// S3, DynamoDB or Secrets Manager could not be reached or answered with a server error.
    #[error("storage unavailable: {0}")]
    StorageUnavailable(String),
    /// A stored object exists but cannot be read as what it should be.
    #[error("stored data unreadable: {0}")]
    Unreadable(String),
    /// Step Functions no longer waits for this task token (timed out, already answered,
    /// execution gone): the execution has moved on.
    #[error("task no longer waiting: {0}")]
    TaskGone(String),
    /// Step Functions could not be reached or answered with a server error.
    #[error("Step Functions unavailable: {0}")]
    CallbackUnavailable(String),
    /// The AI API key secret cannot be used (missing, access denied, empty).
    #[error("AI API key unavailable: {0}")]
    ApiKey(String),
    /// The worker's own configuration (environment) is incomplete or invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
}

impl WorkerError {
    /// The wire error name this failure is reported under.
    pub fn kind(&self) -> ErrorKind {
        match self {
            WorkerError::NotFound(_) => ErrorKind::StorageNotFound,
            WorkerError::StorageUnavailable(_) | WorkerError::CallbackUnavailable(_) => {
                ErrorKind::StorageUnavailable
            }
            WorkerError::Unreadable(_) | WorkerError::TaskGone(_) | WorkerError::Config(_) => {
                ErrorKind::InputInvalid
            }
            WorkerError::ApiKey(_) => ErrorKind::LabelAuth,
        }
    }
}

impl From<WorkerError> for WireError {
    fn from(err: WorkerError) -> WireError {
        err.kind().with_cause(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failure_has_its_wire_name() {
        let cases = [
            (WorkerError::NotFound("k".into()), "Storage.NotFound"),
            (
                WorkerError::StorageUnavailable("k".into()),
                "Storage.Unavailable",
            ),
            (
                WorkerError::CallbackUnavailable("k".into()),
                "Storage.Unavailable",
            ),
            (WorkerError::Unreadable("k".into()), "Input.Invalid"),
            (WorkerError::TaskGone("k".into()), "Input.Invalid"),
            (WorkerError::Config("k".into()), "Input.Invalid"),
            (WorkerError::ApiKey("k".into()), "Label.Auth"),
        ];
        for (err, name) in cases {
            let wire = WireError::from(err.clone());
            assert_eq!(wire.name(), name);
            assert_eq!(wire.cause, err.to_string());
        }
    }
}
