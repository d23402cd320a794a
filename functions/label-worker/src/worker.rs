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
//! Redelivery safety is the labeling use case's (`narratix_app::labeling`): a delivery of a
//! file already labeled re-sends the stored counts without calling the AI provider.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use narratix_app::labeling::{FileLabeling, TextLabeler};
use narratix_domain::lambda::catch_panics;
use narratix_domain::messages::{LabelMessage, LabelTaskOutput, UnreadableLabelMessage};
use narratix_domain::{error_chain, ErrorKind, WireError};
use narratix_store::ports::{FileResults, ObjectReader, ObjectWriter, TaskCallbacks};
use narratix_store::StoreError;
use tracing::{error, info_span, warn, Instrument};

/// What became of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Handled (or unrecoverable): delete it from the queue.
    Done,
    /// Report it as a batch item failure: SQS delivers it again.
    Retry,
}

/// The label worker over its four ports.
pub struct Worker<O, R, C, L> {
    objects: O,
    results: R,
    callbacks: C,
    labeler: L,
}

impl<O, R, C, L> Worker<O, R, C, L>
where
    O: ObjectReader + ObjectWriter,
    R: FileResults,
    C: TaskCallbacks,
    L: TextLabeler,
{
    pub fn new(objects: O, results: R, callbacks: C, labeler: L) -> Self {
        Worker {
            objects,
            results,
            callbacks,
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
        let task = match LabelMessage::parse(message.body.as_deref()) {
            Ok(task) => task,
            Err(UnreadableLabelMessage::WithoutToken { reason }) => {
                error!(reason, "dropping a label message without a task token");
                return Disposition::Done;
            }
            Err(UnreadableLabelMessage::WithToken { task_token, reason }) => {
                error!(reason, "failing the task of a malformed label message");
                let error = ErrorKind::InputInvalid.with_cause(format!("label message: {reason}"));
                return self.report(&task_token, Err(error)).await;
            }
        };
        let span = info_span!("file", job_id = %task.job_id, file_id = %task.file_id);
        async {
            let labeling = FileLabeling {
                results: &self.results,
                objects: &self.objects,
                labeler: &self.labeler,
            };
            let result =
                catch_panics(async { labeling.label(&task).await.map_err(WireError::from) }).await;
            self.report(&task.task_token, result).await
        }
        .instrument(span)
        .await
    }

    /// Tells the waiting task how it went, and decides the message's fate.
    async fn report(
        &self,
        task_token: &str,
        result: Result<LabelTaskOutput, WireError>,
    ) -> Disposition {
        let sent = match result {
            Ok(output) => self.callbacks.succeed(task_token, &output).await,
            Err(error) if error.kind == ErrorKind::StorageUnavailable => {
                warn!(error = error.name(), cause = %error.cause, "storage unavailable: the message will be retried");
                return Disposition::Retry;
            }
            Err(error) => {
                warn!(error = error.name(), cause = %error.cause, "labeling failed: failing the task");
                self.callbacks.fail(task_token, &error).await
            }
        };
        match sent {
            Ok(()) => Disposition::Done,
            Err(error @ StoreError::TaskGone { .. }) => {
                let cause = error_chain(&error);
                warn!(cause, "the task no longer waits: the execution moved on");
                Disposition::Done
            }
            Err(error) => {
                let cause = error_chain(&error);
                warn!(
                    cause,
                    "could not answer the task: the message will be retried"
                );
                Disposition::Retry
            }
        }
    }
}
