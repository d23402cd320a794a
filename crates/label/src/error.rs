use std::time::Duration;

use narratix_domain::{ErrorKind, WireError};

/// Why labeling failed. Every message is one line and free of applicant text and of the key;
/// what caused it stays the `source` until [`WireError::from`] flattens the chain.
#[derive(Debug, thiserror::Error)]
pub enum LabelError {
    /// The provider answered 429.
    #[error("rate limited by provider{}", retry_after_suffix(*.retry_after))]
    RateLimited { retry_after: Option<Duration> },
    /// The provider failed: 5xx, connection refused or reset, an unreadable response envelope.
    #[error("provider failed")]
    Upstream(#[from] Upstream),
    /// The provider did not answer within the client timeout.
    #[error("provider did not answer within {} ms", .0.as_millis())]
    Timeout(Duration),
    /// Too little of the labeling's deadline was left to make (another) call.
    #[error("no time left for a provider call before the worker's deadline")]
    DeadlineReached,
    /// The rate governor held the call back; the worker hands the message back to the queue.
    #[error(transparent)]
    Deferred(#[from] narratix_domain::rate::Deferred),
    /// The model's output was unusable even after one repair request. The problem is the
    /// protocol's own words (numbers and keys only), never the model's text.
    #[error("unusable model output after a repair request: {0}")]
    InvalidResponse(String),
    /// The provider rejected the credentials (401/403).
    #[error("provider rejected the credentials")]
    Auth(#[source] HttpStatus),
    /// There was no text to label.
    #[error("no text to label")]
    Empty,
    /// The labeler is misconfigured (unknown provider, missing key, bad URL or number).
    #[error("labeler misconfigured")]
    Config(#[from] Misconfigured),
}

/// An HTTP error status and the provider's short machine-readable error code, if it gave
/// one (never its message, which could quote the request).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("HTTP {status}{}", code.as_deref().map(|code| format!(" {code}")).unwrap_or_default())]
pub struct HttpStatus {
    pub status: u16,
    pub code: Option<String>,
}

/// How the provider failed.
#[derive(Debug, thiserror::Error)]
pub enum Upstream {
    /// A 5xx answer.
    #[error("{0}")]
    Status(HttpStatus),
    /// 408: the provider's own timeout.
    #[error("{0} (the provider timed out)")]
    ProviderTimeout(HttpStatus),
    #[error("cannot connect to the provider")]
    Connect(#[source] reqwest::Error),
    #[error("the response broke off")]
    BrokeOff(#[source] reqwest::Error),
    #[error("the connection failed")]
    Transport(#[source] reqwest::Error),
    /// A success status whose body is not JSON.
    #[error("unreadable response: {bytes} bytes that are not JSON (truncated?)")]
    NotJson {
        bytes: usize,
        #[source]
        source: serde_json::Error,
    },
}

/// What is wrong with the labeler's configuration or with a request the provider refused.
#[derive(Debug, thiserror::Error)]
pub enum Misconfigured {
    #[error(transparent)]
    Variable(#[from] narratix_domain::config::ConfigError),
    /// A setting out of range; the text names it.
    #[error("{0}")]
    Setting(&'static str),
    #[error("the {0} provider needs an API key (NARRATIX_AI_API_KEY)")]
    NoApiKey(crate::ProviderKind),
    #[error("the {0} header value is not valid")]
    Header(&'static str),
    #[error("cannot build the HTTP client")]
    HttpClient(#[source] reqwest::Error),
    /// Any other 4xx: the request as configured (model, URL, schema) is refused.
    #[error("the provider refused the request")]
    Refused(#[source] HttpStatus),
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
            LabelError::RateLimited { .. } | LabelError::Deferred(_) => ErrorKind::LabelRateLimited,
            LabelError::Upstream(_) => ErrorKind::LabelUpstream,
            LabelError::Timeout(_) | LabelError::DeadlineReached => ErrorKind::LabelTimeout,
            LabelError::InvalidResponse(_) => ErrorKind::LabelInvalidResponse,
            LabelError::Auth(_) | LabelError::Config(_) => ErrorKind::LabelAuth,
            LabelError::Empty => ErrorKind::LabelEmpty,
        }
    }

    /// The error and its causes on one line (what the wire carries).
    pub fn cause_line(&self) -> String {
        narratix_domain::error_chain(self)
    }
}

impl From<narratix_domain::config::ConfigError> for LabelError {
    fn from(error: narratix_domain::config::ConfigError) -> LabelError {
        LabelError::Config(error.into())
    }
}

impl From<LabelError> for WireError {
    fn from(error: LabelError) -> WireError {
        WireError::from_error(error.kind(), &error)
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
                Upstream::Status(HttpStatus {
                    status: 503,
                    code: None,
                })
                .into(),
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
                LabelError::Auth(HttpStatus {
                    status: 401,
                    code: Some("invalid_api_key".into()),
                }),
                "Label.Auth",
                "provider rejected the credentials: HTTP 401 invalid_api_key",
            ),
            (LabelError::Empty, "Label.Empty", "no text to label"),
            (
                LabelError::DeadlineReached,
                "Label.Timeout",
                "no time left for a provider call before the worker's deadline",
            ),
            (
                narratix_domain::rate::Deferred {
                    wait: Duration::from_secs(42),
                }
                .into(),
                "Label.RateLimited",
                "the rate governor holds the call back for 42 s",
            ),
            (
                Misconfigured::NoApiKey(crate::ProviderKind::Gemini).into(),
                "Label.Auth",
                "labeler misconfigured: the gemini provider needs an API key (NARRATIX_AI_API_KEY)",
            ),
        ];
        for (error, name, cause) in cases {
            let wire = WireError::from(error);
            assert_eq!(wire.name(), name);
            assert_eq!(wire.cause, cause);
        }
    }
}
