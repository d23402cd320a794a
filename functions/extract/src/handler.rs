//! One invocation: read the PDF, extract its text, store the text, return keys and counts.
//! The text itself never leaves through the return value (Step Functions payloads are small
//! and execution history must hold no applicant text).

use std::future::Future;

use narratix_domain::{ErrorKind, JobId, WireError};
use narratix_extract::{extract_isolated, Extracted, Limits};
use serde::{Deserialize, Serialize};
use tracing::Instrument;

use crate::storage::Storage;

/// What the state machine sends.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtractEvent {
    pub job_id: JobId,
    pub file_id: String,
    pub bucket: String,
    pub key: String,
}

/// What the state machine gets back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtractOutput {
    pub text_key: String,
    pub pages: u32,
    pub chars: u32,
    pub truncated: bool,
}

/// Where the text of a file is stored.
pub fn text_key(job_id: &JobId, file_id: &str) -> String {
    format!("text/{job_id}/{file_id}.txt")
}

/// The extraction step, behind a port so the handler's tests need no child processes.
pub trait Extractor: Send + Sync {
    /// Largest PDF accepted, in bytes.
    fn max_bytes(&self) -> usize;

    fn extract(&self, pdf: Vec<u8>) -> impl Future<Output = Result<Extracted, WireError>> + Send;
}

/// Production extraction: a child process per file, bounded by the limits (see
/// `narratix_extract::extract_isolated`), run on the blocking pool.
pub struct IsolatedExtractor {
    limits: Limits,
}

impl IsolatedExtractor {
    pub fn new(limits: Limits) -> Self {
        IsolatedExtractor { limits }
    }
}

impl Extractor for IsolatedExtractor {
    fn max_bytes(&self) -> usize {
        self.limits.max_bytes
    }

    async fn extract(&self, pdf: Vec<u8>) -> Result<Extracted, WireError> {
        let limits = self.limits.clone();
        tokio::task::spawn_blocking(move || extract_isolated(&pdf, &limits))
            .await
            .map_err(|_| ErrorKind::InternalPanic.with_cause("the extraction task failed"))?
            .map_err(WireError::from)
    }
}

/// A file id names an object key segment: same rule as job ids (ASCII letters, digits, `-`, `_`).
fn check_file_id(file_id: &str) -> Result<(), WireError> {
    JobId::parse(file_id).map(|_| ()).map_err(|_| {
        ErrorKind::InputInvalid.with_cause("fileId must be 1-80 characters of A-Z a-z 0-9 - _")
    })
}

pub async fn handle<S: Storage, X: Extractor>(
    storage: &S,
    extractor: &X,
    event: ExtractEvent,
) -> Result<ExtractOutput, WireError> {
    check_file_id(&event.file_id)?;
    if event.bucket.is_empty() || event.key.is_empty() {
        return Err(ErrorKind::InputInvalid.with_cause("bucket and key must not be empty"));
    }
    let span = tracing::info_span!("extract", job_id = %event.job_id, file_id = %event.file_id);
    async move {
        let result = extract_and_store(storage, extractor, &event).await;
        match &result {
            Ok(output) => tracing::info!(
                pages = output.pages,
                chars = output.chars,
                truncated = output.truncated,
                text_key = %output.text_key,
                "text extracted"
            ),
            Err(error) => {
                tracing::warn!(error = error.name(), cause = %error.cause, "extraction failed")
            }
        }
        result
    }
    .instrument(span)
    .await
}

async fn extract_and_store<S: Storage, X: Extractor>(
    storage: &S,
    extractor: &X,
    event: &ExtractEvent,
) -> Result<ExtractOutput, WireError> {
    let pdf = storage
        .get_object_capped(&event.bucket, &event.key, extractor.max_bytes())
        .await?;
    let extracted = extractor.extract(pdf).await?;
    let text_key = text_key(&event.job_id, &event.file_id);
    storage
        .put_text(&event.bucket, &text_key, extracted.text)
        .await?;
    Ok(ExtractOutput {
        text_key,
        pages: extracted.pages,
        chars: extracted.chars,
        truncated: extracted.truncated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::StorageError;
    use narratix_extract::ExtractError;
    use serde_json::json;
    use std::collections::HashMap;
    use std::sync::Mutex;

    const BUCKET: &str = "narratix-test";
    const UPLOAD_KEY: &str = "uploads/job-1/f1.pdf";

    /// S3 in memory, with an optional failure on every call.
    #[derive(Default)]
    struct MemoryStorage {
        objects: Mutex<HashMap<(String, String), Vec<u8>>>,
        failure: Option<StorageError>,
    }

    impl MemoryStorage {
        fn with_upload(bytes: &[u8]) -> Self {
            let storage = MemoryStorage::default();
            storage.insert(UPLOAD_KEY, bytes.to_vec());
            storage
        }

        fn insert(&self, key: &str, bytes: Vec<u8>) {
            self.objects
                .lock()
                .expect("lock")
                .insert((BUCKET.to_owned(), key.to_owned()), bytes);
        }

        fn object(&self, key: &str) -> Option<Vec<u8>> {
            self.objects
                .lock()
                .expect("lock")
                .get(&(BUCKET.to_owned(), key.to_owned()))
                .cloned()
        }
    }

    impl Storage for MemoryStorage {
        async fn get_object_capped(
            &self,
            bucket: &str,
            key: &str,
            max_bytes: usize,
        ) -> Result<Vec<u8>, StorageError> {
            if let Some(failure) = &self.failure {
                return Err(failure.clone());
            }
            let objects = self.objects.lock().expect("lock");
            let bytes = objects
                .get(&(bucket.to_owned(), key.to_owned()))
                .ok_or_else(|| StorageError::NotFound {
                    bucket: bucket.to_owned(),
                    key: key.to_owned(),
                })?;
            if bytes.len() > max_bytes {
                return Err(StorageError::TooLarge {
                    bucket: bucket.to_owned(),
                    key: key.to_owned(),
                    size: bytes.len() as u64,
                    max_bytes,
                });
            }
            Ok(bytes.clone())
        }

        async fn put_text(
            &self,
            bucket: &str,
            key: &str,
            text: String,
        ) -> Result<(), StorageError> {
            if let Some(failure) = &self.failure {
                return Err(failure.clone());
            }
            self.objects
                .lock()
                .expect("lock")
                .insert((bucket.to_owned(), key.to_owned()), text.into_bytes());
            Ok(())
        }
    }

    /// Real extraction in this process (the test binary cannot host extraction children).
    struct InProcessExtractor(Limits);

    impl Extractor for InProcessExtractor {
        fn max_bytes(&self) -> usize {
            self.0.max_bytes
        }

        async fn extract(&self, pdf: Vec<u8>) -> Result<Extracted, WireError> {
            narratix_extract::extract(&pdf, &self.0).map_err(WireError::from)
        }
    }

    /// Fails every file the same way, to follow each extraction failure to the caller.
    struct FailingExtractor(ExtractError);

    impl Extractor for FailingExtractor {
        fn max_bytes(&self) -> usize {
            Limits::default().max_bytes
        }

        async fn extract(&self, _pdf: Vec<u8>) -> Result<Extracted, WireError> {
            Err(self.0.clone().into())
        }
    }

    fn event() -> ExtractEvent {
        narratix_domain::lambda::decode(json!({
            "jobId": "job-1", "fileId": "f1", "bucket": BUCKET, "key": UPLOAD_KEY
        }))
        .expect("valid event")
    }

    /// A one-page PDF with a Helvetica text line, offsets computed so the xref is exact.
    fn one_page_pdf(line: &str) -> Vec<u8> {
        let content = format!("BT /F1 12 Tf 72 720 Td ({line}) Tj ET");
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
             /Resources << /Font << /F1 5 0 R >> >> >>"
                .to_owned(),
            format!(
                "<< /Length {} >>\nstream\n{content}\nendstream",
                content.len()
            ),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
        ];
        let mut pdf = b"%PDF-1.4\n".to_vec();
        let mut offsets = Vec::new();
        for (index, body) in objects.iter().enumerate() {
            offsets.push(pdf.len());
            pdf.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", index + 1).as_bytes());
        }
        let xref_at = pdf.len();
        pdf.extend_from_slice(
            format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
        );
        for offset in offsets {
            pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
        }
        pdf.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n",
                objects.len() + 1
            )
            .as_bytes(),
        );
        pdf
    }

    const LINE: &str =
        "Why do you want to join our team? Because I like building reliable systems.";

    #[tokio::test]
    async fn success_stores_the_text_and_returns_only_keys_and_counts() {
        let storage = MemoryStorage::with_upload(&one_page_pdf(LINE));
        let output = handle(&storage, &InProcessExtractor(Limits::default()), event())
            .await
            .expect("extracted");
        assert_eq!(output.text_key, "text/job-1/f1.txt");
        assert_eq!(output.pages, 1);
        assert!(!output.truncated);
        let stored = String::from_utf8(storage.object("text/job-1/f1.txt").expect("text stored"))
            .expect("utf-8");
        assert!(stored.contains("reliable systems"), "stored: {stored:?}");
        assert_eq!(output.chars as usize, stored.chars().count());

        let wire = serde_json::to_value(&output).expect("serialise");
        let mut fields: Vec<&str> = wire
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        fields.sort_unstable();
        assert_eq!(fields, ["chars", "pages", "textKey", "truncated"]);
        assert!(!wire.to_string().contains("reliable"));
    }

    #[tokio::test]
    async fn text_over_the_character_limit_is_cut_and_flagged() {
        let storage = MemoryStorage::with_upload(&one_page_pdf(LINE));
        let limits = Limits {
            max_chars: 20,
            ..Limits::default()
        };
        let output = handle(&storage, &InProcessExtractor(limits), event())
            .await
            .expect("extracted");
        assert!(output.truncated);
        assert!(output.chars <= 20, "{output:?}");
    }

    #[tokio::test]
    async fn a_file_that_is_not_a_pdf_is_extract_not_pdf() {
        let storage =
            MemoryStorage::with_upload(b"<!DOCTYPE html><html>Service Unavailable</html>");
        let error = handle(&storage, &InProcessExtractor(Limits::default()), event())
            .await
            .expect_err("not a pdf");
        assert_eq!(error.name(), "Extract.NotPdf");
        assert!(storage.object("text/job-1/f1.txt").is_none());
    }

    #[tokio::test]
    async fn every_extraction_failure_reaches_the_caller_by_its_wire_name() {
        let failures = [
            (
                ExtractError::NotPdf("no %PDF- header".into()),
                "Extract.NotPdf",
            ),
            (ExtractError::Encrypted, "Extract.Encrypted"),
            (
                ExtractError::NoText("image-only pages".into()),
                "Extract.NoText",
            ),
            (
                ExtractError::Corrupt("broken xref".into()),
                "Extract.Corrupt",
            ),
            (
                ExtractError::TooLarge("31 pages".into()),
                "Extract.TooLarge",
            ),
        ];
        for (failure, name) in failures {
            let storage = MemoryStorage::with_upload(b"%PDF-1.7\n");
            let error = handle(&storage, &FailingExtractor(failure), event())
                .await
                .expect_err(name);
            assert_eq!(error.name(), name);
            assert!(storage.object("text/job-1/f1.txt").is_none(), "{name}");
        }
    }

    #[tokio::test]
    async fn an_upload_over_the_byte_limit_is_too_large() {
        let storage = MemoryStorage::with_upload(&one_page_pdf(LINE));
        let limits = Limits {
            max_bytes: 100,
            ..Limits::default()
        };
        let error = handle(&storage, &InProcessExtractor(limits), event())
            .await
            .expect_err("too large");
        assert_eq!(error.name(), "Extract.TooLarge");
    }

    #[tokio::test]
    async fn a_missing_upload_is_storage_not_found() {
        let storage = MemoryStorage::default();
        let error = handle(&storage, &InProcessExtractor(Limits::default()), event())
            .await
            .expect_err("missing");
        assert_eq!(error.name(), "Storage.NotFound");
        assert!(error.cause.contains(UPLOAD_KEY), "{}", error.cause);
    }

    #[tokio::test]
    async fn a_storage_failure_is_storage_unavailable() {
        let storage = MemoryStorage {
            failure: Some(StorageError::Unavailable("connection reset".into())),
            ..MemoryStorage::default()
        };
        let error = handle(&storage, &InProcessExtractor(Limits::default()), event())
            .await
            .expect_err("unavailable");
        assert_eq!(error.name(), "Storage.Unavailable");
    }

    #[test]
    fn malformed_events_are_input_invalid() {
        let malformed = [
            json!({}),
            json!({"jobId": "job-1", "fileId": "f1", "bucket": BUCKET}),
            json!({"job_id": "job-1", "file_id": "f1", "bucket": BUCKET, "key": UPLOAD_KEY}),
            json!({"jobId": "../etc", "fileId": "f1", "bucket": BUCKET, "key": UPLOAD_KEY}),
            json!({"jobId": 7, "fileId": "f1", "bucket": BUCKET, "key": UPLOAD_KEY}),
        ];
        for payload in malformed {
            let error = narratix_domain::lambda::decode::<ExtractEvent>(payload.clone())
                .expect_err("malformed");
            assert_eq!(error.name(), "Input.Invalid", "{payload}");
        }
    }

    #[tokio::test]
    async fn a_file_id_or_location_that_cannot_form_a_key_is_input_invalid() {
        let storage = MemoryStorage::with_upload(&one_page_pdf(LINE));
        let extractor = InProcessExtractor(Limits::default());
        for (file_id, bucket) in [("f1/../../x", BUCKET), ("", BUCKET), ("f1", "")] {
            let mut event = event();
            event.file_id = file_id.to_owned();
            event.bucket = bucket.to_owned();
            let error = handle(&storage, &extractor, event)
                .await
                .expect_err("invalid");
            assert_eq!(error.name(), "Input.Invalid", "{file_id:?} {bucket:?}");
        }
    }
}
