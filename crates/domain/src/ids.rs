//! The identifiers every part shares: a job, a file of a job, and the S3 keys built from them.
//! Each is checked once, when it is made or read; afterwards it is known to be valid.

use serde::{Deserialize, Serialize};
use std::fmt;

fn is_id_text(id: &str, max_len: usize) -> bool {
    !id.is_empty()
        && id.len() <= max_len
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $invalid:ident, $max:expr, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        #[doc = concat!("The text was not a valid ", $what, ".")]
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $invalid;

        impl fmt::Display for $invalid {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "invalid {}: must be 1-{} characters of A-Z a-z 0-9 - _", $what, $max)
            }
        }

        impl std::error::Error for $invalid {}

        impl $name {
            /// Longest id accepted.
            pub const MAX_LEN: usize = $max;

            pub fn parse(id: &str) -> Result<$name, $invalid> {
                if is_id_text(id, $max) {
                    Ok($name(id.to_owned()))
                } else {
                    Err($invalid)
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = $invalid;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                if is_id_text(&value, $max) {
                    Ok($name(value))
                } else {
                    Err($invalid)
                }
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                self == &other.0
            }
        }
    };
}

string_id! {
    /// A job id. It doubles as the Step Functions execution name, so it is restricted to
    /// characters the console shows as they are: ASCII letters, digits, `-` and `_`, 1–80 long.
    JobId, InvalidJobId, 80, "job id"
}

string_id! {
    /// A file's id within its job (`f1`, `f2`, `f3`: its position). It is a segment of the
    /// file's object keys, so the same characters as a job id, 1–40 long.
    FileId, InvalidFileId, 40, "file id"
}

impl FileId {
    /// The id of the file at 0-based `index` in its job: `f1`, `f2`, …
    pub fn at_position(index: usize) -> FileId {
        FileId(format!("f{}", index + 1))
    }
}

/// An S3 object key. Every key the pipeline writes is built here, from ids only — never from
/// a file name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ObjectKey(String);

/// The text was not a usable object key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid object key: must be 1-1024 characters without control characters")]
pub struct InvalidObjectKey;

impl ObjectKey {
    /// Uploaded PDFs: `uploads/{jobId}/{fileId}.pdf`.
    pub const UPLOADS_PREFIX: &'static str = "uploads/";
    /// The start's copy of each upload, which the user's upload URL cannot write:
    /// `inputs/{jobId}/{fileId}.pdf`. The pipeline reads only these.
    pub const INPUTS_PREFIX: &'static str = "inputs/";
    /// Extracted text: `text/{jobId}/{fileId}.txt`.
    pub const TEXT_PREFIX: &'static str = "text/";
    /// Results too large for the table: `results/{jobId}/{fileId}.json`.
    pub const RESULTS_PREFIX: &'static str = "results/";
    /// Every prefix the pipeline writes under (the bucket's lifecycle rules name them).
    pub const PREFIXES: [&'static str; 4] = [
        ObjectKey::UPLOADS_PREFIX,
        ObjectKey::INPUTS_PREFIX,
        ObjectKey::TEXT_PREFIX,
        ObjectKey::RESULTS_PREFIX,
    ];
    /// S3's limit.
    pub const MAX_LEN: usize = 1024;

    pub fn upload(job_id: &JobId, file_id: &FileId) -> ObjectKey {
        ObjectKey(format!(
            "{}{job_id}/{file_id}.pdf",
            ObjectKey::UPLOADS_PREFIX
        ))
    }

    pub fn input(job_id: &JobId, file_id: &FileId) -> ObjectKey {
        ObjectKey(format!(
            "{}{job_id}/{file_id}.pdf",
            ObjectKey::INPUTS_PREFIX
        ))
    }

    /// Every key a file of a job may have (upload, input copy, text, large result).
    pub fn all_of(job_id: &JobId, file_id: &FileId) -> [ObjectKey; 4] {
        [
            ObjectKey::upload(job_id, file_id),
            ObjectKey::input(job_id, file_id),
            ObjectKey::text(job_id, file_id),
            ObjectKey::result(job_id, file_id),
        ]
    }

    pub fn text(job_id: &JobId, file_id: &FileId) -> ObjectKey {
        ObjectKey(format!("{}{job_id}/{file_id}.txt", ObjectKey::TEXT_PREFIX))
    }

    pub fn result(job_id: &JobId, file_id: &FileId) -> ObjectKey {
        ObjectKey(format!(
            "{}{job_id}/{file_id}.json",
            ObjectKey::RESULTS_PREFIX
        ))
    }

    /// A key read from a message or an item.
    pub fn parse(key: &str) -> Result<ObjectKey, InvalidObjectKey> {
        if key.is_empty() || key.len() > ObjectKey::MAX_LEN || key.chars().any(char::is_control) {
            Err(InvalidObjectKey)
        } else {
            Ok(ObjectKey(key.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ObjectKey {
    type Error = InvalidObjectKey;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        ObjectKey::parse(&value)
    }
}

impl From<ObjectKey> for String {
    fn from(key: ObjectKey) -> String {
        key.0
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::ops::Deref for ObjectKey {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for ObjectKey {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for ObjectKey {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl AsRef<str> for ObjectKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_are_execution_name_safe() {
        assert!(JobId::parse("job-2026_abc").is_ok());
        for bad in ["", "a b", "한글", "a/b", "x".repeat(81).as_str(), "a:b"] {
            assert_eq!(JobId::parse(bad), Err(InvalidJobId), "{bad:?}");
        }
        assert!(serde_json::from_str::<JobId>("\"bad id\"").is_err());
    }

    #[test]
    fn file_ids_are_key_segments_of_at_most_40() {
        assert_eq!(FileId::at_position(0).as_str(), "f1");
        assert!(FileId::parse(&"f".repeat(40)).is_ok());
        for bad in ["", "../f1", "f 1", "x".repeat(41).as_str()] {
            assert_eq!(FileId::parse(bad), Err(InvalidFileId), "{bad:?}");
        }
        let error = serde_json::from_str::<FileId>("\"../f1\"").expect_err("invalid");
        assert!(!error.to_string().contains("../"), "{error}");
    }

    #[test]
    fn keys_are_built_from_ids_under_their_prefixes() {
        let job = JobId::parse("j1").expect("id");
        let file = FileId::at_position(1);
        assert_eq!(ObjectKey::upload(&job, &file).as_str(), "uploads/j1/f2.pdf");
        assert_eq!(ObjectKey::text(&job, &file).as_str(), "text/j1/f2.txt");
        assert_eq!(
            ObjectKey::result(&job, &file).as_str(),
            "results/j1/f2.json"
        );
        assert!(ObjectKey::parse("").is_err());
        assert!(ObjectKey::parse(&"k".repeat(1025)).is_err());
        assert!(ObjectKey::parse("a\nb").is_err());
    }
}
