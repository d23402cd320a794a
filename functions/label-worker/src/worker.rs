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
//!   `TaskDoesNotExist`) means the execution moved on: the message is done. The worker asks
//!   first — a heartbeat on every pickup — so a file whose task timed out or whose execution
//!   ended is skipped without an AI call, and a message waiting its turn keeps its task alive;
//! - a body without a readable task token is logged and dropped: nobody can be told, another
//!   delivery would read the same bytes, and the state machine's `TimeoutSeconds` on the
//!   label step bounds the wait of whatever task sent it. A body with a token but bad fields
//!   fails that task at once with `Input.Invalid`.
//!
//! With the rate governor on ([`Pacing`]), a call the governor holds back or the provider
//! throttles does not fail the task: the message goes back to the queue, delayed until its
//! reserved slot (at most [`MAX_HANDBACK_DELAY`] per trip), as a new message — so waiting
//! never counts towards `maxReceiveCount`.
//!
//! Redelivery safety is the labeling use case's (`narratix_app::labeling`): a delivery of a
//! file already labeled re-sends the stored counts without calling the AI provider.

use std::time::{Duration, Instant};

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use narratix_app::governor::{now_ms, GovernedCalls, Governor, Held};
use narratix_app::labeling::{FileLabeling, TextLabeler};
use narratix_domain::lambda::catch_panics;
use narratix_domain::messages::{LabelMessage, LabelTaskOutput, UnreadableLabelMessage};
use narratix_domain::rate::{
    millis, CallGate, Ungated, DEFAULT_THROTTLE_WAIT, FIRST_CALL_MAX_WAIT, MAX_BACKLOG,
    MAX_HANDBACK_DELAY,
};
use narratix_domain::{error_chain, ErrorKind, WireError};
use narratix_store::ports::{
    FileResults, LabelQueue, ObjectReader, ObjectWriter, TaskCallbacks, TaskHeartbeat,
};
use narratix_store::StoreError;
use tracing::{error, info, info_span, warn, Instrument};

/// What became of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Handled (or unrecoverable): delete it from the queue.
    Done,
    /// Report it as a batch item failure: SQS delivers it again.
    Retry,
}

/// The rate governor and the queue a held-back message goes back to.
pub struct Pacing {
    pub governor: Governor,
    pub queue: Box<dyn LabelQueue>,
}

/// The label worker over its ports.
pub struct Worker<O, R, C, L> {
    objects: O,
    results: R,
    callbacks: C,
    labeler: L,
    pacing: Option<Pacing>,
}

impl<O, R, C, L> Worker<O, R, C, L>
where
    O: ObjectReader + ObjectWriter,
    R: FileResults,
    C: TaskCallbacks + TaskHeartbeat,
    L: TextLabeler,
{
    /// A worker whose calls go as soon as a message arrives (the governor off).
    pub fn new(objects: O, results: R, callbacks: C, labeler: L) -> Self {
        Worker {
            objects,
            results,
            callbacks,
            labeler,
            pacing: None,
        }
    }

    /// Every AI call paced by `pacing`'s governor.
    pub fn paced(mut self, pacing: Pacing) -> Self {
        self.pacing = Some(pacing);
        self
    }

    /// Handles the messages one after another (the event source mapping's concurrency bounds
    /// the workers) and lists those SQS must deliver again. Labeling must be done by
    /// `deadline` (the Lambda's, less the time to report).
    pub async fn handle_batch(
        &self,
        event: SqsEvent,
        deadline: Option<Instant>,
    ) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        for message in &event.records {
            let message_id = message.message_id.as_deref().unwrap_or_default();
            let span = info_span!("message", message_id);
            let disposition =
                catch_panics(async { Ok(self.handle_message(message, deadline).await) })
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

    pub async fn handle_message(
        &self,
        message: &SqsMessage,
        deadline: Option<Instant>,
    ) -> Disposition {
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
        self.handle_task(task, deadline).instrument(span).await
    }

    async fn handle_task(&self, task: LabelMessage, deadline: Option<Instant>) -> Disposition {
        match self.callbacks.heartbeat(&task.task_token).await {
            Ok(()) => {}
            Err(error @ StoreError::TaskGone { .. }) => {
                let cause = error_chain(&error);
                info!(
                    cause,
                    "the task no longer waits: skipping the file without an AI call"
                );
                return Disposition::Done;
            }
            Err(error) => {
                let cause = error_chain(&error);
                warn!(
                    cause,
                    "could not reach the task: the message will be retried"
                );
                return Disposition::Retry;
            }
        }
        let Some(pacing) = &self.pacing else {
            let result = self.label(&task, &Ungated, deadline).await;
            return self.report(&task.task_token, result).await;
        };
        if let Some(slot) = task.reserved_at {
            if slot - now_ms() > millis(FIRST_CALL_MAX_WAIT) {
                return self.hand_back(pacing, task, slot).await;
            }
        }
        let gate = GovernedCalls::new(&pacing.governor, task.reserved_at);
        let result = self.label(&task, &gate, deadline).await;
        match result {
            Err(error) if error.kind == ErrorKind::LabelRateLimited => match gate.held() {
                Some(Held::Slot(slot)) => self.hand_back(pacing, task, slot).await,
                Some(Held::BacklogTooLong(slot)) => {
                    let error = ErrorKind::LabelRateLimited.with_cause(format!(
                        "the AI's backlog is {} s, longer than a file may wait ({} s)",
                        (slot - now_ms()).max(0) / 1000,
                        MAX_BACKLOG.as_secs()
                    ));
                    self.report(&task.task_token, Err(error)).await
                }
                // The schedule could not be read: come back shortly.
                None => {
                    let slot = now_ms() + millis(DEFAULT_THROTTLE_WAIT);
                    self.hand_back(pacing, task, slot).await
                }
            },
            result => self.report(&task.task_token, result).await,
        }
    }

    async fn label(
        &self,
        task: &LabelMessage,
        gate: &dyn CallGate,
        deadline: Option<Instant>,
    ) -> Result<LabelTaskOutput, WireError> {
        let labeling = FileLabeling {
            results: &self.results,
            objects: &self.objects,
            labeler: &self.labeler,
        };
        catch_panics(async {
            labeling
                .label(task, gate, deadline)
                .await
                .map_err(WireError::from)
        })
        .await
    }

    /// Puts the file back in the queue to come back for `slot`.
    async fn hand_back(&self, pacing: &Pacing, task: LabelMessage, slot: i64) -> Disposition {
        let wait_ms = (slot - now_ms()).max(0);
        let delay = Duration::from_secs(
            u64::try_from(wait_ms / 1000)
                .unwrap_or(0)
                .min(MAX_HANDBACK_DELAY.as_secs()),
        );
        let again = LabelMessage {
            reserved_at: Some(slot),
            ..task
        };
        let body = match serde_json::to_string(&again) {
            Ok(body) => body,
            Err(_) => return Disposition::Retry,
        };
        match pacing.queue.send_later(&body, delay).await {
            Ok(()) => {
                info!(
                    backlog_s = wait_ms / 1000,
                    delay_s = delay.as_secs(),
                    "handed back to the queue until the governor's slot"
                );
                Disposition::Done
            }
            Err(error) => {
                let cause = error_chain(&error);
                warn!(
                    cause,
                    "could not hand the message back: SQS delivers it again"
                );
                Disposition::Retry
            }
        }
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
