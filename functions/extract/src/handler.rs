//! One invocation: read the PDF, extract its text, store the text, return keys and counts.
//! The text itself never leaves through the return value (Step Functions payloads are small
//! and execution history must hold no applicant text).

use std::future::Future;

use narratix_domain::config::Env;
use narratix_domain::messages::{ExtractRequest, ExtractResult};
use narratix_domain::{ErrorKind, ObjectKey, WireError};
use narratix_extract::{extract_isolated, Extracted, Limits};
use narratix_store::aws::{AwsSettings, TEXT_CONTENT_TYPE};
use narratix_store::ports::{ObjectReader, ObjectWriter};
use narratix_store::Capped;
use tracing::Instrument;

/// The function's configuration, read once at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// The only bucket the function may read and write (`BUCKET_NAME`).
    pub bucket: String,
    pub limits: Limits,
    pub aws: AwsSettings,
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Config, lambda_runtime::Error> {
        Ok(Config {
            bucket: env.required("BUCKET_NAME")?,
            // The extraction limits keep their own reader in `narratix-extract`; it reads
            // the same variables through this one lookup.
            limits: Limits::from_lookup(|name| env.text(name))?,
            aws: AwsSettings::from_env(env)?,
        })
    }
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

pub async fn handle<O, X>(
    objects: &O,
    bucket: &str,
    extractor: &X,
    event: ExtractRequest,
) -> Result<ExtractResult, WireError>
where
    O: ObjectReader + ObjectWriter,
    X: Extractor,
{
    if event.bucket != bucket {
        return Err(ErrorKind::InputInvalid
            .with_cause("the event names a bucket other than the function's"));
    }
    let span = tracing::info_span!("extract", job_id = %event.job_id, file_id = %event.file_id);
    async move {
        let result = extract_and_store(objects, extractor, &event).await;
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

async fn extract_and_store<O, X>(
    objects: &O,
    extractor: &X,
    event: &ExtractRequest,
) -> Result<ExtractResult, WireError>
where
    O: ObjectReader + ObjectWriter,
    X: Extractor,
{
    let max_bytes = extractor.max_bytes() as u64;
    let pdf = match objects.read_capped(&event.key, max_bytes).await? {
        Capped::Bytes(pdf) => pdf,
        Capped::TooLarge { size } => {
            return Err(ErrorKind::ExtractTooLarge.with_cause(format!(
                "{} is {size} bytes, over the limit of {max_bytes}",
                event.key
            )))
        }
    };
    let extracted = extractor.extract(pdf).await?;
    let text_key = ObjectKey::text(&event.job_id, &event.file_id);
    objects
        .put(&text_key, extracted.text.into_bytes(), TEXT_CONTENT_TYPE)
        .await?;
    Ok(ExtractResult {
        text_key,
        pages: extracted.pages,
        chars: extracted.chars,
        truncated: extracted.truncated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use narratix_extract::ExtractError;
    use narratix_store::memory::MemoryObjects;
    use serde_json::json;

    const BUCKET: &str = "narratix-test";
    const UPLOAD_KEY: &str = "uploads/job-1/f1.pdf";

    fn with_upload(bytes: &[u8]) -> MemoryObjects {
        let objects = MemoryObjects::new();
        objects.put(UPLOAD_KEY, bytes.to_vec());
        objects
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

    fn event() -> ExtractRequest {
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
        let storage = with_upload(&one_page_pdf(LINE));
        let output = handle(
            &storage,
            BUCKET,
            &InProcessExtractor(Limits::default()),
            event(),
        )
        .await
        .expect("extracted");
        assert_eq!(output.text_key.as_str(), "text/job-1/f1.txt");
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
        let storage = with_upload(&one_page_pdf(LINE));
        let limits = Limits {
            max_chars: 20,
            ..Limits::default()
        };
        let output = handle(&storage, BUCKET, &InProcessExtractor(limits), event())
            .await
            .expect("extracted");
        assert!(output.truncated);
        assert!(output.chars <= 20, "{output:?}");
    }

    #[tokio::test]
    async fn a_file_that_is_not_a_pdf_is_extract_not_pdf() {
        let storage = with_upload(b"<!DOCTYPE html><html>Service Unavailable</html>");
        let error = handle(
            &storage,
            BUCKET,
            &InProcessExtractor(Limits::default()),
            event(),
        )
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
            let storage = with_upload(b"%PDF-1.7\n");
            let error = handle(&storage, BUCKET, &FailingExtractor(failure), event())
                .await
                .expect_err(name);
            assert_eq!(error.name(), name);
            assert!(storage.object("text/job-1/f1.txt").is_none(), "{name}");
        }
    }

    #[tokio::test]
    async fn an_upload_over_the_byte_limit_is_too_large() {
        let storage = with_upload(&one_page_pdf(LINE));
        let limits = Limits {
            max_bytes: 100,
            ..Limits::default()
        };
        let error = handle(&storage, BUCKET, &InProcessExtractor(limits), event())
            .await
            .expect_err("too large");
        assert_eq!(error.name(), "Extract.TooLarge");
    }

    #[tokio::test]
    async fn a_missing_upload_is_storage_not_found() {
        let storage = MemoryObjects::new();
        let error = handle(
            &storage,
            BUCKET,
            &InProcessExtractor(Limits::default()),
            event(),
        )
        .await
        .expect_err("missing");
        assert_eq!(error.name(), "Storage.NotFound");
        assert!(error.cause.contains(UPLOAD_KEY), "{}", error.cause);
    }

    #[tokio::test]
    async fn a_storage_failure_is_storage_unavailable() {
        let storage = with_upload(b"%PDF-1.7\n");
        storage.break_key(UPLOAD_KEY);
        let error = handle(
            &storage,
            BUCKET,
            &InProcessExtractor(Limits::default()),
            event(),
        )
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
            let error = narratix_domain::lambda::decode::<ExtractRequest>(payload.clone())
                .expect_err("malformed");
            assert_eq!(error.name(), "Input.Invalid", "{payload}");
        }
    }

    #[tokio::test]
    async fn a_file_id_that_cannot_form_a_key_or_another_bucket_is_input_invalid() {
        for file_id in ["f1/../../x", ""] {
            let payload =
                json!({"jobId": "job-1", "fileId": file_id, "bucket": BUCKET, "key": UPLOAD_KEY});
            let error = narratix_domain::lambda::decode::<ExtractRequest>(payload)
                .expect_err("invalid file id");
            assert_eq!(error.name(), "Input.Invalid", "{file_id:?}");
        }
        let storage = with_upload(&one_page_pdf(LINE));
        let extractor = InProcessExtractor(Limits::default());
        for bucket in ["", "another-bucket"] {
            let mut event = event();
            event.bucket = bucket.to_owned();
            let error = handle(&storage, BUCKET, &extractor, event)
                .await
                .expect_err("invalid");
            assert_eq!(error.name(), "Input.Invalid", "{bucket:?}");
        }
    }
}
