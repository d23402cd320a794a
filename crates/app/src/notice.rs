//! Delivering what the server tells a browser to every connection of the job's owner, and
//! the job's one final notice.

use narratix_domain::config::{ConfigError, Env};
use narratix_domain::messages::{final_notice_id, NoticeKind, NotifyRequest, ServerMessage};
use narratix_domain::{ErrorKind, FileId, FileStatus, JobId, JobStatus, WireError};
use narratix_store::aws::{ApiGatewayPoster, Aws, AwsSettings, DynamoStore};
use narratix_store::ports::{
    ConnectionPoster, ConnectionStore, JobReader, NoticeLedger, PostError,
};
use narratix_store::{
    job_errors, ConnectionEntry, JobItem, Missing, Moment, StoreError, StoredError,
};
use serde::{Deserialize, Serialize};

use crate::session::{close_expired, Closing};
use crate::views;

/// Why a notice could not be built.
#[derive(Debug, thiserror::Error)]
pub enum NoticeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("fileProgress needs stage EXTRACTING or LABELING, got {0:?}")]
    NeedsStage(Option<FileStatus>),
    #[error("{0:?} needs a fileId")]
    NeedsFileId(NoticeKind),
    #[error("jobDone for job {job_id} that is {status:?}, not final")]
    NotFinal { job_id: JobId, status: JobStatus },
    /// A final notice reached some of the owner's connections but not all: it is not recorded
    /// as sent, so a retry (or the sweep) sends it again with the same `noticeId`.
    #[error("the final notice of job {job_id} could not be posted to {failed} connection(s)")]
    Undelivered { job_id: JobId, failed: u32 },
}

impl NoticeError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            NoticeError::Store(error) => error.kind(),
            NoticeError::Undelivered { .. } => ErrorKind::StorageUnavailable,
            _ => ErrorKind::InputInvalid,
        }
    }
}

impl From<NoticeError> for WireError {
    fn from(error: NoticeError) -> WireError {
        match error {
            NoticeError::Store(error) => error.into(),
            other => WireError::from_error(other.kind(), &other),
        }
    }
}

/// How many connections got the message, how many were gone (and deleted), how many could
/// not be reached for another reason, and how many were closed instead because their token
/// had expired (they got `sessionExpired`, never the message).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub sent: u32,
    pub gone: u32,
    #[serde(default)]
    pub failed: u32,
    #[serde(default)]
    pub expired: u32,
}

/// How long a job's results are kept after its end (`ResultRetentionDays`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub result_seconds: i64,
}

impl Retention {
    /// The template's default, 90 days.
    pub const DEFAULT_DAYS: u64 = 90;

    pub fn days(days: u64) -> Retention {
        Retention {
            result_seconds: i64::try_from(days.saturating_mul(24 * 60 * 60)).unwrap_or(i64::MAX),
        }
    }

    /// `NARRATIX_RESULT_RETENTION_DAYS` (default [`Retention::DEFAULT_DAYS`]).
    pub fn from_env(env: &Env) -> Result<Retention, ConfigError> {
        Ok(Retention::days(
            env.positive("NARRATIX_RESULT_RETENTION_DAYS")?
                .unwrap_or(Retention::DEFAULT_DAYS),
        ))
    }

    /// When results of a job that ends at `now` expire (epoch seconds).
    pub fn expires_at(&self, now: &Moment) -> i64 {
        now.plus_seconds(self.result_seconds).epoch_seconds()
    }
}

impl Default for Retention {
    fn default() -> Retention {
        Retention::days(Retention::DEFAULT_DAYS)
    }
}

/// Sends messages to a job owner's connections.
pub struct Notifier<'a, J, C, P> {
    pub jobs: &'a J,
    pub connections: &'a C,
    pub poster: &'a P,
    /// How long results are kept once the job's final notice is recorded.
    pub retention: Retention,
}

impl<J, C, P> Notifier<'_, J, C, P>
where
    J: JobReader + NoticeLedger,
    C: ConnectionStore,
    P: ConnectionPoster,
{
    /// Builds the message the event names from the table and delivers it. A delivery
    /// problem never fails: it is logged and counted.
    pub async fn notify(
        &self,
        event: &NotifyRequest,
        now: &Moment,
    ) -> Result<Delivery, NoticeError> {
        let job_id = &event.job_id;
        let job = self
            .jobs
            .job(job_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(Missing::Job(job_id.clone())))?;
        let message = match event.event {
            NoticeKind::FileProgress => {
                let file_id = required_file_id(event)?;
                let stage = match event.stage {
                    Some(stage @ (FileStatus::Extracting | FileStatus::Labeling)) => stage,
                    other => return Err(NoticeError::NeedsStage(other)),
                };
                ServerMessage::FileProgress {
                    job_id: job_id.clone(),
                    file_id: file_id.clone(),
                    stage,
                }
            }
            NoticeKind::FileDone => {
                let file_id = required_file_id(event)?;
                let snapshot = self
                    .jobs
                    .snapshot(job_id)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(Missing::Job(job_id.clone())))?;
                let file = snapshot
                    .files
                    .iter()
                    .find(|file| &file.file_id == file_id)
                    .ok_or_else(|| {
                        StoreError::NotFound(Missing::File(job_id.clone(), file_id.clone()))
                    })?;
                views::file_done(job_id, file)
            }
            NoticeKind::JobDone => {
                let message = views::job_final(&job).ok_or_else(|| NoticeError::NotFinal {
                    job_id: job_id.clone(),
                    status: job.status,
                })?;
                return self.send_final_notice(&job, message, now).await;
            }
            NoticeKind::JobFailed => {
                let error = job
                    .error
                    .clone()
                    .unwrap_or_else(|| StoredError::new(job_errors::FAILED, "the job failed"));
                let message = ServerMessage::JobFailed {
                    job_id: job_id.clone(),
                    notice_id: final_notice_id(job_id),
                    error: error.error,
                    cause: error.cause,
                };
                return self.send_final_notice(&job, message, now).await;
            }
        };
        Ok(self.deliver(&job.owner, job_id, &message, now).await?)
    }

    /// Sends the job's final message unless it was recorded as sent: posts it to every
    /// connection of the owner, then records it (`finalNoticeAt`), which also starts the
    /// retention of the job's results. Post, then record: a crash or a failed post leaves it
    /// unrecorded, so a retry or the sweep sends it again — with the same `noticeId`, by which
    /// a client drops the repeat. A notice that reached every connection (or found none) is
    /// recorded; one that did not is [`NoticeError::Undelivered`].
    pub async fn send_final_notice(
        &self,
        job: &JobItem,
        message: ServerMessage,
        now: &Moment,
    ) -> Result<Delivery, NoticeError> {
        if job.final_notice_at.is_some() {
            tracing::info!(job_id = %job.job_id, "final notice already sent");
            return Ok(Delivery::default());
        }
        let connections = self.connections.connections_of(&job.owner, now).await?;
        let delivery = self
            .post_all(&connections, &job.job_id, &message, now)
            .await;
        if delivery.failed > 0 {
            return Err(NoticeError::Undelivered {
                job_id: job.job_id.clone(),
                failed: delivery.failed,
            });
        }
        let file_ids: Vec<FileId> = (0..usize::try_from(job.file_count).unwrap_or(0))
            .map(FileId::at_position)
            .collect();
        let recorded = self
            .jobs
            .record_final_notice(&job.job_id, &file_ids, now, self.retention.expires_at(now))
            .await?;
        if !recorded {
            tracing::info!(job_id = %job.job_id, "final notice recorded by another sender");
        }
        Ok(delivery)
    }

    /// Posts `message` to each of the owner's connections; gone ones are deleted, those whose
    /// token expired are closed instead.
    pub async fn deliver(
        &self,
        owner: &str,
        job_id: &JobId,
        message: &ServerMessage,
        now: &Moment,
    ) -> Result<Delivery, StoreError> {
        let connections = self.connections.connections_of(owner, now).await?;
        Ok(self.post_all(&connections, job_id, message, now).await)
    }

    /// Posts each message in order to one connection, stopping at the first failure. The
    /// caller has checked the connection's token (see [`crate::subscribe::serve`]).
    pub async fn reply(
        &self,
        connection_id: &str,
        messages: &[ServerMessage],
    ) -> Result<(), PostError> {
        for message in messages {
            self.poster
                .post(connection_id, &message.to_json_bytes())
                .await?;
        }
        Ok(())
    }

    /// Closes a connection whose token expired ([`close_expired`]).
    pub async fn close_expired(&self, entry: &ConnectionEntry) -> Closing {
        close_expired(self.connections, self.poster, entry).await
    }

    async fn post_all(
        &self,
        connections: &[ConnectionEntry],
        job_id: &JobId,
        message: &ServerMessage,
        now: &Moment,
    ) -> Delivery {
        let body = message.to_json_bytes();
        let mut delivery = Delivery::default();
        for entry in connections {
            let connection_id = entry.connection_id.as_str();
            if entry.token_expired(now) {
                // Never the notice: its token no longer entitles it to the job's data. The
                // owner's other (valid) connections decide whether the notice got through.
                self.close_expired(entry).await;
                delivery.expired += 1;
                continue;
            }
            match self.poster.post(connection_id, &body).await {
                Ok(()) => delivery.sent += 1,
                Err(PostError::Gone) => {
                    delivery.gone += 1;
                    tracing::info!(job_id = %job_id, connection_id, "connection gone; deleting it");
                    if let Err(error) = self.connections.delete_connection(connection_id).await {
                        tracing::warn!(job_id = %job_id, connection_id, %error, "could not delete a gone connection");
                    }
                }
                Err(error @ PostError::Failed(_)) => {
                    delivery.failed += 1;
                    let error = narratix_domain::error_chain(&error);
                    tracing::warn!(job_id = %job_id, connection_id, error, "could not post to a connection");
                }
            }
        }
        tracing::info!(job_id = %job_id, sent = delivery.sent, gone = delivery.gone, expired = delivery.expired, "notice delivered");
        delivery
    }
}

fn required_file_id(event: &NotifyRequest) -> Result<&FileId, NoticeError> {
    event
        .file_id
        .as_ref()
        .ok_or(NoticeError::NeedsFileId(event.event))
}

/// What a function that notifies owners is configured with (`notify`, `reaper`,
/// `ws-subscribe`): the table and the WebSocket stage's `@connections` endpoint.
#[derive(Debug, Clone)]
pub struct NotifierSettings {
    pub table: String,
    pub websocket_endpoint: String,
    pub retention: Retention,
    pub aws: AwsSettings,
}

impl NotifierSettings {
    pub fn from_env(env: &Env) -> Result<NotifierSettings, ConfigError> {
        Ok(NotifierSettings {
            table: env.required("TABLE_NAME")?,
            websocket_endpoint: env.required("WEBSOCKET_ENDPOINT")?,
            retention: Retention::from_env(env)?,
            aws: AwsSettings::from_env(env)?,
        })
    }
}

/// A [`Notifier`]'s adapters on AWS: the table and `@connections`.
pub struct NotifierOnAws {
    pub store: DynamoStore,
    pub poster: ApiGatewayPoster,
    pub retention: Retention,
}

impl NotifierOnAws {
    pub async fn connect(settings: &NotifierSettings) -> NotifierOnAws {
        let aws = Aws::load(settings.aws).await;
        NotifierOnAws {
            store: aws.dynamo(&settings.table),
            poster: aws.connections_api(&settings.websocket_endpoint),
            retention: settings.retention,
        }
    }

    pub fn notifier(&self) -> Notifier<'_, DynamoStore, DynamoStore, ApiGatewayPoster> {
        Notifier {
            jobs: &self.store,
            connections: &self.store,
            poster: &self.poster,
            retention: self.retention,
        }
    }
}
