//! The local stack's one error type. It is a developer tool, not a function: its errors end the
//! command with a message instead of crossing the wire as `narratix_domain::ErrorKind` names.

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("template: {0}")]
    Template(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("process {name}: {reason}")]
    Process { name: String, reason: String },
    #[error("{service} did not become ready within {seconds} s")]
    NotReady { service: String, seconds: u64 },
    #[error("provisioning {resource}: {reason}")]
    Provision { resource: String, reason: String },
    #[error("http: {0}")]
    Http(String),
    #[error("configuration: {0}")]
    Config(String),
    /// The Lambda service refused the invocation (an injected throttle): the Invoke API
    /// answers `status` with `error_type`, and the function does not run.
    #[error("{error_type} ({status}): {message}")]
    Refused {
        status: u16,
        error_type: String,
        message: String,
    },
}

impl LocalError {
    pub fn provision(resource: &str, reason: impl std::fmt::Display) -> Self {
        Self::Provision {
            resource: resource.to_owned(),
            reason: reason.to_string(),
        }
    }
}
