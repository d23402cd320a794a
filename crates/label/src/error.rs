use std::time::Duration;

use narratix_domain::{ErrorKind, WireError};

/// Why labeling failed. Every message is one line and free of applicant text and of the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    /// The provider answered 429.
    #[error("rate limited by provider{}", retry_after_suffix(*.retry_after))]
    RateLimited { retry_after: Option<Duration> },
    /// The provider failed: 5xx, connection refused or reset, an unreadable response envelope.
    #[error("provider failed: {0}")]
    Upstream(String),
    /// The provider did not answer within the client timeout.
    #[error("provider did not answer within {} ms", .0.as_millis())]
    Timeout(Duration),
    /// The model's output was unusable even after one repair request.
    #[error("unusable model output after a repair request: {0}")]
    InvalidResponse(String),
    /// The provider rejected the credentials (401/403).
    #[error("provider rejected the credentials: {0}")]
    Auth(String),
    /// There was no text to label.
    #[error("no text to label")]
    Empty,
    /// The labeler is misconfigured (unknown provider, missing key, bad URL or number).
    #[error("labeler misconfigured: {0}")]
    Config(String),
}

fn retry_after_suffix(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(wait) => format!("; retry after {} s", wait.as_secs()),
        None => String::new(),
    }
}

impl LabelError {
    /// The wire name this error travels under. A misconfiguration is reported as
    /// `Label.Auth`: like rejected credentials it is never retried and needs an operator.
    pub fn kind(&self) -> ErrorKind {
        match self {
            LabelError::RateLimited { .. } => ErrorKind::LabelRateLimited,
            LabelError::Upstream(_) => ErrorKind::LabelUpstream,
            LabelError::Timeout(_) => ErrorKind::LabelTimeout,
            LabelError::InvalidResponse(_) => ErrorKind::LabelInvalidResponse,
            LabelError::Auth(_) | LabelError::Config(_) => ErrorKind::LabelAuth,
            LabelError::Empty => ErrorKind::LabelEmpty,
        }
    }
}

impl From<narratix_domain::config::ConfigError> for LabelError {
    fn from(error: narratix_domain::config::ConfigError) -> LabelError {
        LabelError::Config(error.to_string())
    }
}

impl From<LabelError> for WireError {
    fn from(error: LabelError) -> WireError {
        error.kind().with_cause(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_its_wire_name_and_a_one_line_cause() {
        let cases = [
            (
                LabelError::RateLimited {
                    retry_after: Some(Duration::from_secs(20)),
                },
                "Label.RateLimited",
                "rate limited by provider; retry after 20 s",
            ),
            (
                LabelError::RateLimited { retry_after: None },
                "Label.RateLimited",
                "rate limited by provider",
            ),
            (
                LabelError::Upstream("HTTP 503".into()),
                "Label.Upstream",
                "provider failed: HTTP 503",
            ),
            (
                LabelError::Timeout(Duration::from_millis(1500)),
                "Label.Timeout",
                "provider did not answer within 1500 ms",
            ),
            (
                LabelError::InvalidResponse("pair 1: answer span out of range".into()),
                "Label.InvalidResponse",
                "unusable model output after a repair request: pair 1: answer span out of range",
            ),
            (
                LabelError::Auth("HTTP 401".into()),
                "Label.Auth",
                "provider rejected the credentials: HTTP 401",
            ),
            (LabelError::Empty, "Label.Empty", "no text to label"),
            (
                LabelError::Config("no API key".into()),
                "Label.Auth",
                "labeler misconfigured: no API key",
            ),
        ];
        for (error, name, cause) in cases {
            let wire = WireError::from(error);
            assert_eq!(wire.name(), name);
            assert_eq!(wire.cause, cause);
        }
    }
}
