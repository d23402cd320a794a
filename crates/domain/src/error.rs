//! The closed set of error names that cross process boundaries (Lambda → Step Functions,
//! worker → `SendTaskFailure`, CLI → stderr, API → JSON). Defined once, here.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::text::one_line;

/// How the state machine treats an error. The static ASL checks compare every `Retry` and
/// `Catch` against this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryClass {
    /// Permanent: caught per file, never retried.
    Never,
    /// Retried at most once, then caught.
    Once,
    /// Transient upstream trouble: retried with patience (long backoff, several attempts).
    Patient,
    /// Infrastructure blips: retried quickly a few times.
    Transient,
}

macro_rules! wire_errors {
    ($( $(#[$doc:meta])* $variant:ident => $name:literal, $retry:ident; )+) => {
        /// Every named failure of the pipeline.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorKind {
            $( $(#[$doc])* $variant, )+
        }

        impl ErrorKind {
            /// Every error kind, in table order.
            pub const ALL: &'static [ErrorKind] = &[$(ErrorKind::$variant),+];

            /// The wire name, e.g. `Extract.NotPdf`: what `ErrorEquals` matches and what an
            /// operator reads in the console.
            pub const fn name(self) -> &'static str {
                match self { $(ErrorKind::$variant => $name,)+ }
            }

            /// How the state machine treats this error.
            pub const fn retry_class(self) -> RetryClass {
                match self { $(ErrorKind::$variant => RetryClass::$retry,)+ }
            }
        }
    };
}

wire_errors! {
    /// Not a PDF: empty, random bytes, an HTML page, a renamed .docx.
    ExtractNotPdf => "Extract.NotPdf", Never;
    /// Needs a user password to open.
    ExtractEncrypted => "Extract.Encrypted", Never;
    /// No usable text layer: scanned/image-only pages or unmapped glyphs.
    ExtractNoText => "Extract.NoText", Never;
    /// Damaged beyond recovery, or the parser failed on it.
    ExtractCorrupt => "Extract.Corrupt", Never;
    /// Over the byte, page, decompression or time limits.
    ExtractTooLarge => "Extract.TooLarge", Never;
    /// The AI provider answered 429; the cause carries Retry-After when given.
    LabelRateLimited => "Label.RateLimited", Patient;
    /// The AI provider failed (5xx, connection reset).
    LabelUpstream => "Label.Upstream", Patient;
    /// The AI provider did not answer within the client timeout.
    LabelTimeout => "Label.Timeout", Once;
    /// The label worker failed on the file's message on every delivery (crashed, ran out of
    /// time), so the queue dead-lettered it. A failure of the system rather than of the file or
    /// the provider: never retried, as a fresh message would most likely meet the same end.
    LabelUndeliverable => "Label.Undeliverable", Never;
    /// The model's output was unusable even after one repair request.
    LabelInvalidResponse => "Label.InvalidResponse", Once;
    /// The AI provider rejected the credentials (401/403).
    LabelAuth => "Label.Auth", Never;
    /// There was no text to label.
    LabelEmpty => "Label.Empty", Never;
    /// A storage service (S3, DynamoDB) call failed transiently.
    StorageUnavailable => "Storage.Unavailable", Transient;
    /// A stored object the step needs does not exist.
    StorageNotFound => "Storage.NotFound", Never;
    /// The function received an event it cannot read: a wiring bug.
    InputInvalid => "Input.Invalid", Never;
    /// A bug: the handler panicked. Never retried; the file is failed with this name.
    InternalPanic => "Internal.Panic", Never;
}

impl ErrorKind {
    /// Looks a kind up by its wire name.
    pub fn from_name(name: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.iter().copied().find(|k| k.name() == name)
    }

    /// Attaches a cause.
    pub fn with_cause(self, cause: impl AsRef<str>) -> WireError {
        WireError::new(self, cause)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for ErrorKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for ErrorKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        ErrorKind::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown error name {name:?}")))
    }
}

/// A named failure with a one-line cause. The cause must never contain applicant text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{kind}: {cause}")]
pub struct WireError {
    #[serde(rename = "error")]
    pub kind: ErrorKind,
    pub cause: String,
}

impl WireError {
    pub fn new(kind: ErrorKind, cause: impl AsRef<str>) -> Self {
        WireError {
            kind,
            cause: one_line(cause.as_ref()),
        }
    }

    /// The wire name of this error.
    pub fn name(&self) -> &'static str {
        self.kind.name()
    }

    /// Flattens `error` and its `source()` chain into the one-line cause: the boundary where a
    /// typed error becomes a name and a line.
    pub fn from_error(kind: ErrorKind, error: &(dyn std::error::Error + 'static)) -> WireError {
        WireError::new(kind, error_chain(error))
    }
}

/// An error and its sources in one line, `outer: inner: innermost`; a source whose text the
/// line holds already (many errors repeat their source) is not repeated.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !text.is_empty() && !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = cause.source();
    }
    one_line(&line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut names: Vec<_> = ErrorKind::ALL.iter().map(|k| k.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorKind::ALL.len());
        for kind in ErrorKind::ALL {
            assert_eq!(ErrorKind::from_name(kind.name()), Some(*kind));
            let json = serde_json::to_string(kind).expect("serialise");
            assert_eq!(serde_json::from_str::<ErrorKind>(&json).ok(), Some(*kind));
        }
    }

    #[test]
    fn names_are_dotted_and_console_friendly() {
        for kind in ErrorKind::ALL {
            let (domain, what) = kind.name().split_once('.').expect("dotted");
            assert!(domain.chars().all(|c| c.is_ascii_alphabetic()));
            assert!(what.chars().all(|c| c.is_ascii_alphanumeric()));
            assert_ne!(domain, "States", "States.* is reserved by Step Functions");
            assert_ne!(
                domain, "Lambda",
                "Lambda.* is reserved by the Lambda service"
            );
        }
    }

    #[test]
    fn architecture_retry_classes() {
        use ErrorKind::*;
        for kind in [
            ExtractNotPdf,
            ExtractEncrypted,
            ExtractNoText,
            ExtractCorrupt,
        ] {
            assert_eq!(kind.retry_class(), RetryClass::Never);
        }
        assert_eq!(ExtractTooLarge.retry_class(), RetryClass::Never);
        assert_eq!(LabelRateLimited.retry_class(), RetryClass::Patient);
        assert_eq!(LabelUpstream.retry_class(), RetryClass::Patient);
        assert_eq!(LabelInvalidResponse.retry_class(), RetryClass::Once);
        assert_eq!(LabelAuth.retry_class(), RetryClass::Never);
        assert_eq!(LabelEmpty.retry_class(), RetryClass::Never);
        assert_eq!(LabelUndeliverable.retry_class(), RetryClass::Never);
    }

    #[test]
    fn wire_error_displays_name_and_one_line_cause() {
        let err = ErrorKind::ExtractNotPdf.with_cause("no %PDF- header\nin first KiB");
        assert_eq!(
            err.to_string(),
            "Extract.NotPdf: no %PDF- header in first KiB"
        );
        let json = serde_json::to_value(&err).expect("serialise");
        assert_eq!(json["error"], "Extract.NotPdf");
    }

    #[test]
    fn the_chain_is_one_line_without_repeats() {
        #[derive(Debug, thiserror::Error)]
        #[error("S3 GetObject failed")]
        struct Outer(#[source] Inner);
        #[derive(Debug, thiserror::Error)]
        #[error("service error")]
        struct Inner(#[source] std::io::Error);
        let error = Outer(Inner(std::io::Error::other("NoSuchBucket: gone\nreally")));
        assert_eq!(
            error_chain(&error),
            "S3 GetObject failed: service error: NoSuchBucket: gone really"
        );
        let wire = WireError::from_error(ErrorKind::StorageUnavailable, &error);
        assert_eq!(wire.name(), "Storage.Unavailable");
    }

    #[test]
    fn unknown_name_is_rejected() {
        assert!(serde_json::from_str::<ErrorKind>("\"Extract.Nope\"").is_err());
    }
}
