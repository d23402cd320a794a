//! The handler: one SQS batch in, the messages to retry out.
//!
//! Who decides what happens after a failure:
//! - labeling failures (`Label.*`), missing or unreadable text (`Storage.NotFound`,
//!   `Input.Invalid`) and panics (`Internal.Panic`) go to the state machine with
//!   `SendTaskFailure`: its `Retry`/`Catch` rules match them by name;
//! - when S3, DynamoDB or Step Functions cannot be reached, nobody has been told anything, so
//!   the message is reported as a batch item failure and SQS delivers it again (after
//!   `maxReceiveCount` deliveries it lands in the dead-letter queue, whose consumer fails the
//!   waiting task);
//! - Step Functions answering that the task no longer waits (`TaskTimedOut`, `InvalidToken`,
//!   `TaskDoesNotExist`) means the execution moved on: the message is done;
//! - a body without a readable task token is logged and dropped: nobody can be told, another
//!   delivery would read the same bytes, and the state machine's `TimeoutSeconds` on the
//!   label step bounds the wait of whatever task sent it. A body with a token but bad fields
//!   fails that task at once with `Input.Invalid`.
//!
//! Redelivery safety: the file item's `labeledAt` marks a stored result. A delivery first
//! looks for it and, when present, re-sends the stored counts without calling the AI
//! provider; the write itself is conditional on `labeledAt` being absent, so of two
//! concurrent deliveries the first write wins and both report its counts. A large result is
//! written to S3 only if absent, so the object always holds the first complete labeling.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use aws_smithy_types::date_time::{DateTime, Format};
use narratix_domain::lambda::catch_panics;
use narratix_domain::{ErrorKind, LabeledPair, WireError};
use tracing::{error, info, info_span, warn, Instrument};

use crate::ports::{
    FileResult, LabelOutput, ObjectStore, PutOutcome, ResultTable, SaveOutcome, StoredPairs,
    TaskCallback, TaskOutput, TextLabeler,
};
use crate::task::{LabelTask, MalformedTask};
use crate::WorkerError;

/// Pairs JSON longer than this goes to S3 instead of the table item (DynamoDB items are
/// capped at 400 KB; this leaves ample room and keeps reads cheap).
pub const INLINE_PAIRS_MAX_BYTES: usize = 64 * 1024;

/// What became of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Handled (or unrecoverable): delete it from the queue.
    Done,
    /// Report it as a batch item failure: SQS delivers it again.
    Retry,
}

/// The label worker over its four ports.
pub struct Worker<O, T, C, L> {
    objects: O,
    table: T,
    callback: C,
    labeler: L,
}

impl<O, T, C, L> Worker<O, T, C, L>
where
    O: ObjectStore,
    T: ResultTable,
    C: TaskCallback,
    L: TextLabeler,
{
    pub fn new(objects: O, table: T, callback: C, labeler: L) -> Self {
        Worker {
            objects,
            table,
            callback,
            labeler,
        }
    }

    /// Handles the messages one after another (the event source mapping's concurrency is
    /// the AI provider's backpressure) and lists those SQS must deliver again.
    pub async fn handle_batch(&self, event: SqsEvent) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        for message in &event.records {
            let message_id = message.message_id.as_deref().unwrap_or_default();
            let span = info_span!("message", message_id);
            let disposition = catch_panics(async { Ok(self.handle_message(message).await) })
                .instrument(span)
                .await
                .unwrap_or_else(|_| {
                    error!(
                        message_id,
                        "handling the message panicked; it will be retried"
                    );
                    Disposition::Retry
                });
            if disposition == Disposition::Retry {
                response.add_failure(message_id);
            }
        }
        response
    }

    pub async fn handle_message(&self, message: &SqsMessage) -> Disposition {
        let task = match LabelTask::parse(message.body.as_deref()) {
            Ok(task) => task,
            Err(MalformedTask::WithoutToken { reason }) => {
                error!(reason, "dropping a label message without a task token");
                return Disposition::Done;
            }
            Err(MalformedTask::WithToken { task_token, reason }) => {
                error!(reason, "failing the task of a malformed label message");
                let error = ErrorKind::InputInvalid.with_cause(format!("label message: {reason}"));
                return self.report(&task_token, Err(error)).await;
            }
        };
        let span = info_span!("file", job_id = %task.job_id, file_id = %task.file_id);
        async {
            let result = catch_panics(self.label_file(&task)).await;
            self.report(&task.task_token, result).await
        }
        .instrument(span)
        .await
    }

    /// Labels the file once, or finds it labeled; returns the counts for the task.
    async fn label_file(&self, task: &LabelTask) -> Result<TaskOutput, WireError> {
        if let Some(stored) = self
            .table
            .labeled_counts(&task.job_id, &task.file_id)
            .await?
        {
            info!("already labeled: re-sending the stored result");
            return Ok(stored);
        }
        let text = self.read_text(&task.text_key).await?;
        let labeled = self.labeler.label(&text).await?;
        let result = self.store_pairs(task, labeled).await?;
        match self
            .table
            .save_once(&task.job_id, &task.file_id, &result)
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

    async fn read_text(&self, key: &str) -> Result<String, WorkerError> {
        let bytes = self.objects.get(key).await?;
        String::from_utf8(bytes)
            .map_err(|_| WorkerError::Unreadable(format!("text object {key} is not UTF-8")))
    }

    /// Serialises the pairs inline, or into S3 when large. An object left by an earlier
    /// delivery is kept (it is a complete labeling and the table may already point at it)
    /// and its pairs are the ones counted.
    async fn store_pairs(
        &self,
        task: &LabelTask,
        labeled: LabelOutput,
    ) -> Result<FileResult, WireError> {
        let json = serde_json::to_string(&labeled.pairs).map_err(|err| {
            ErrorKind::InternalPanic.with_cause(format!("could not serialise pairs: {err}"))
        })?;
        let mut pair_count = labeled.pairs.len() as u64;
        let pairs = if json.len() <= INLINE_PAIRS_MAX_BYTES {
            StoredPairs::Inline(json)
        } else {
            let key = task.result_key();
            if self.objects.put_if_absent(&key, json.into_bytes()).await?
                == PutOutcome::AlreadyExists
            {
                info!("keeping the result object of an earlier delivery");
                let existing = self.objects.get(&key).await?;
                let existing: Vec<LabeledPair> =
                    serde_json::from_slice(&existing).map_err(|_| {
                        WorkerError::Unreadable(format!("result object {key} is not a pairs array"))
                    })?;
                pair_count = existing.len() as u64;
            }
            StoredPairs::Object(key)
        };
        Ok(FileResult {
            pairs,
            pair_count,
            usage: labeled.usage,
            labeled_at: now_rfc3339(),
        })
    }

    /// Tells the waiting task how it went, and decides the message's fate.
    async fn report(&self, task_token: &str, result: Result<TaskOutput, WireError>) -> Disposition {
        let sent = match result {
            Ok(output) => self.callback.succeed(task_token, &output).await,
            Err(error) if error.kind == ErrorKind::StorageUnavailable => {
                warn!(error = error.name(), cause = %error.cause, "storage unavailable: the message will be retried");
                return Disposition::Retry;
            }
            Err(error) => {
                warn!(error = error.name(), cause = %error.cause, "labeling failed: failing the task");
                self.callback.fail(task_token, &error).await
            }
        };
        match sent {
            Ok(()) => Disposition::Done,
            Err(WorkerError::TaskGone(cause)) => {
                warn!(cause, "the task no longer waits: the execution moved on");
                Disposition::Done
            }
            Err(err) => {
                warn!(cause = %err, "could not answer the task: the message will be retried");
                Disposition::Retry
            }
        }
    }
}

fn now_rfc3339() -> String {
    let now = DateTime::from(std::time::SystemTime::now());
    // Formatting the current time cannot fail; fall back to epoch seconds just in case.
    now.fmt(Format::DateTime)
        .unwrap_or_else(|_| now.secs().to_string())
}
