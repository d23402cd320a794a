//! Labeling one file once: however often its queue message is delivered, the AI is asked at
//! most once per stored result, and every delivery reports the same counts.
//!
//! The file item's `labeledAt` marks a stored result. A delivery first looks for it and, when
//! present, re-sends the stored counts without calling the AI provider; the write itself is
//! conditional on `labeledAt` being absent, so of two concurrent deliveries the first write
//! wins and both report its counts. A large result is written to S3 only if absent, so the
//! object always holds the first complete labeling.

use std::time::Instant;

use async_trait::async_trait;
use narratix_domain::messages::{LabelMessage, LabelTaskOutput};
use narratix_domain::rate::CallGate;
use narratix_domain::{ErrorKind, LabeledPair, ObjectKey, Prefill, TokenUsage, WireError};
use narratix_store::aws::JSON_CONTENT_TYPE;
use narratix_store::ports::{FileResults, ObjectReader, ObjectWriter};
use narratix_store::{FileResult, Moment, PutOutcome, SaveOutcome, StoreError, StoredPairs};
use tracing::info;

/// Pairs JSON longer than this goes to S3 instead of the table item (DynamoDB items are
/// capped at 400 KB; this leaves ample room and keeps reads cheap).
pub const INLINE_PAIRS_MAX_BYTES: usize = 64 * 1024;

/// Pairs and the tokens spent finding them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelOutput {
    pub pairs: Vec<LabeledPair>,
    /// The save-form suggestions read from the text (no extra AI call).
    pub prefill: Prefill,
    pub usage: TokenUsage,
}

/// Splits a text into labeled pairs; failures carry their wire names (`Label.*`). Every AI
/// call is admitted by `gate` and answered before `deadline`.
#[async_trait]
pub trait TextLabeler: Send + Sync {
    async fn label(
        &self,
        text: &str,
        gate: &dyn CallGate,
        deadline: Option<Instant>,
    ) -> Result<LabelOutput, WireError>;
}

/// Why a file could not be labeled.
#[derive(Debug, thiserror::Error)]
pub enum LabelingError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The labeler failed; the error already has its name.
    #[error(transparent)]
    Label(#[from] WireError),
    #[error("text object {0} is not UTF-8")]
    TextNotUtf8(ObjectKey),
    #[error("result object {0} is not a pairs array")]
    ResultUnreadable(ObjectKey),
}

impl LabelingError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            LabelingError::Store(error) => error.kind(),
            LabelingError::Label(error) => error.kind,
            LabelingError::TextNotUtf8(_) | LabelingError::ResultUnreadable(_) => {
                ErrorKind::InputInvalid
            }
        }
    }
}

impl From<LabelingError> for WireError {
    fn from(error: LabelingError) -> WireError {
        match error {
            LabelingError::Label(error) => error,
            LabelingError::Store(error) => error.into(),
            other => WireError::from_error(other.kind(), &other),
        }
    }
}

/// The file labeler over its ports.
pub struct FileLabeling<'a, R, O, L> {
    pub results: &'a R,
    pub objects: &'a O,
    pub labeler: &'a L,
}

impl<R, O, L> FileLabeling<'_, R, O, L>
where
    R: FileResults,
    O: ObjectReader + ObjectWriter,
    L: TextLabeler,
{
    /// Labels the message's file once, or finds it labeled; returns the counts for the task.
    pub async fn label(
        &self,
        message: &LabelMessage,
        gate: &dyn CallGate,
        deadline: Option<Instant>,
    ) -> Result<LabelTaskOutput, LabelingError> {
        if let Some(stored) = self
            .results
            .labeled_counts(&message.job_id, &message.file_id)
            .await?
        {
            info!("already labeled: re-sending the stored result");
            return Ok(stored);
        }
        let text = self.read_text(&message.text_key).await?;
        let labeled = self.labeler.label(&text, gate, deadline).await?;
        let result = self.store_pairs(message, labeled).await?;
        match self
            .results
            .save_result(&message.job_id, &message.file_id, &result)
            .await?
        {
            SaveOutcome::Saved => {
                let output = result.task_output();
                info!(
                    pair_count = output.pair_count,
                    input_tokens = output.input_tokens,
                    output_tokens = output.output_tokens,
                    ai_calls = result.usage.calls,
                    "labeled"
                );
                Ok(output)
            }
            SaveOutcome::AlreadyLabeled(stored) => {
                info!("a concurrent delivery stored its result first: sending that one");
                Ok(stored)
            }
        }
    }

    async fn read_text(&self, key: &ObjectKey) -> Result<String, LabelingError> {
        let bytes = self.objects.read(key).await?;
        String::from_utf8(bytes).map_err(|_| LabelingError::TextNotUtf8(key.clone()))
    }

    /// Serialises the pairs inline, or into S3 when large. An object left by an earlier
    /// delivery is kept (it is a complete labeling and the table may already point at it)
    /// and its pairs are the ones counted.
    async fn store_pairs(
        &self,
        message: &LabelMessage,
        labeled: LabelOutput,
    ) -> Result<FileResult, LabelingError> {
        let json = serde_json::to_string(&labeled.pairs).map_err(|_| {
            LabelingError::Label(
                ErrorKind::InternalPanic.with_cause("could not serialise the pairs"),
            )
        })?;
        let mut pair_count = labeled.pairs.len() as u64;
        let pairs = if json.len() <= INLINE_PAIRS_MAX_BYTES {
            StoredPairs::Inline(json)
        } else {
            let key = ObjectKey::result(&message.job_id, &message.file_id);
            if self
                .objects
                .put_if_absent(&key, json.into_bytes(), JSON_CONTENT_TYPE)
                .await?
                == PutOutcome::AlreadyExists
            {
                info!("keeping the result object of an earlier delivery");
                let existing = self.objects.read(&key).await?;
                let existing: Vec<LabeledPair> = serde_json::from_slice(&existing)
                    .map_err(|_| LabelingError::ResultUnreadable(key.clone()))?;
                pair_count = existing.len() as u64;
            }
            StoredPairs::Object(key)
        };
        Ok(FileResult {
            pairs,
            pair_count,
            prefill: labeled.prefill,
            usage: labeled.usage,
            labeled_at: Moment::now().rfc3339(),
        })
    }
}
