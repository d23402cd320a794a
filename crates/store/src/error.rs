use narratix_domain::{ErrorKind, WireError};

/// What can go wrong reading or writing the store. Mapped to wire names in [`StoreError::kind`]
/// and nowhere else.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A storage call failed (throttled, unreachable, 5xx): worth retrying.
    #[error("{service} {operation} failed: {detail}")]
    Unavailable {
        service: &'static str,
        operation: &'static str,
        detail: String,
    },
    /// The job, file or object the caller named does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// A stored item could not be read back: writer and reader disagree.
    #[error("stored item unreadable: {0}")]
    Corrupt(String),
    /// The request cannot be served as given: a wiring bug in the caller.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The item to create exists already.
    #[error("{0} exists already")]
    AlreadyExists(String),
}

impl StoreError {
    /// The wire name this failure is reported under.
    pub fn kind(&self) -> ErrorKind {
        match self {
            StoreError::Unavailable { .. } => ErrorKind::StorageUnavailable,
            StoreError::NotFound(_) => ErrorKind::StorageNotFound,
            StoreError::Corrupt(_) | StoreError::Invalid(_) | StoreError::AlreadyExists(_) => {
                ErrorKind::InputInvalid
            }
        }
    }

    pub(crate) fn unavailable(
        service: &'static str,
        operation: &'static str,
        detail: impl Into<String>,
    ) -> StoreError {
        StoreError::Unavailable {
            service,
            operation,
            detail: detail.into(),
        }
    }
}

impl From<StoreError> for WireError {
    fn from(error: StoreError) -> WireError {
        error.kind().with_cause(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_a_wire_name() {
        let cases = [
            (
                StoreError::unavailable("DynamoDB", "GetItem", "throttled"),
                "Storage.Unavailable",
            ),
            (StoreError::NotFound("job j1".into()), "Storage.NotFound"),
            (StoreError::Corrupt("pairs".into()), "Input.Invalid"),
            (StoreError::Invalid("no fileId".into()), "Input.Invalid"),
            (StoreError::AlreadyExists("job j1".into()), "Input.Invalid"),
        ];
        for (error, name) in cases {
            let wire: WireError = error.clone().into();
            assert_eq!(wire.name(), name, "{error}");
            assert_eq!(wire.cause, error.to_string());
        }
    }
}
