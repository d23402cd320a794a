//! The extraction failures, and their one mapping onto the wire error names.

use narratix_domain::{ErrorKind, WireError};

/// Why a file yielded no text. Causes are one line and never contain text from the document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum ExtractError {
    /// Empty, random bytes, an HTML page, a renamed .docx: no `%PDF-` in the first KiB.
    #[error("not a PDF: {0}")]
    NotPdf(String),
    /// The file needs a user password to open.
    #[error("encrypted: a password is needed to open the file")]
    Encrypted,
    /// Image-only pages, or a text layer without a usable Unicode mapping.
    #[error("no usable text: {0}")]
    NoText(String),
    /// Damaged beyond recovery, or the parser failed (or panicked, or crashed) on it.
    #[error("corrupt PDF: {0}")]
    Corrupt(String),
    /// Over the byte, page, decompression or time limits.
    #[error("too large: {0}")]
    TooLarge(String),
    /// A limit variable is set to something that is not a positive number.
    #[error("invalid extraction limits: {0}")]
    Config(String),
    /// The isolated extraction child could not be started or talked to.
    #[error("extraction child failed: {0}")]
    Isolation(String),
}

impl ExtractError {
    /// The wire error name this failure is reported under.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ExtractError::NotPdf(_) => ErrorKind::ExtractNotPdf,
            ExtractError::Encrypted => ErrorKind::ExtractEncrypted,
            ExtractError::NoText(_) => ErrorKind::ExtractNoText,
            ExtractError::Corrupt(_) => ErrorKind::ExtractCorrupt,
            ExtractError::TooLarge(_) => ErrorKind::ExtractTooLarge,
            ExtractError::Config(_) => ErrorKind::InputInvalid,
            ExtractError::Isolation(_) => ErrorKind::InternalPanic,
        }
    }
}

impl From<ExtractError> for WireError {
    fn from(err: ExtractError) -> WireError {
        err.kind().with_cause(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failure_has_its_wire_name() {
        let cases = [
            (ExtractError::NotPdf("x".into()), "Extract.NotPdf"),
            (ExtractError::Encrypted, "Extract.Encrypted"),
            (ExtractError::NoText("x".into()), "Extract.NoText"),
            (ExtractError::Corrupt("x".into()), "Extract.Corrupt"),
            (ExtractError::TooLarge("x".into()), "Extract.TooLarge"),
            (ExtractError::Config("x".into()), "Input.Invalid"),
            (ExtractError::Isolation("x".into()), "Internal.Panic"),
        ];
        for (err, name) in cases {
            let wire = WireError::from(err.clone());
            assert_eq!(wire.name(), name);
            assert_eq!(wire.cause, err.to_string());
        }
    }
}
