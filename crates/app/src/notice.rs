//! Delivering what the server tells a browser to every connection of the job's owner, and
//! the job's one final notice.

use narratix_domain::config::{ConfigError, Env};
use narratix_domain::messages::{NoticeKind, NotifyRequest, ServerMessage};
use narratix_domain::{ErrorKind, FileId, FileStatus, JobId, JobStatus, WireError};
use narratix_store::aws::{ApiGatewayPoster, Aws, AwsSettings, DynamoStore};
use narratix_store::ports::{
    ConnectionPoster, ConnectionStore, JobReader, NoticeLedger, PostError,
};
use narratix_store::{job_errors, JobItem, Missing, Moment, StoreError, StoredError};
use serde::{Deserialize, Serialize};

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
}

impl NoticeError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            NoticeError::Store(error) => error.kind(),
            _ => ErrorKind::InputInvalid,
        }
    }
}

impl From<NoticeError> for WireError {
    fn from(error: NoticeError) -> WireError {
        match error {
            NoticeError::Store(error) => error.into(),
            other => WireError::from_error(ErrorKind::InputInvalid, &other),
        }
    }
}

/// How many connections got the message and how many were gone (and deleted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub sent: u32,
    pub gone: u32,
}

/// Sends messages to a job owner's connections.
pub struct Notifier<'a, J, C, P> {
    pub jobs: &'a J,
    pub connections: &'a C,
    pub poster: &'a P,
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
                return Ok(self.send_final_notice(&job, message, now).await?);
            }
            NoticeKind::JobFailed => {
                let error = job
                    .error
                    .clone()
                    .unwrap_or_else(|| StoredError::new(job_errors::FAILED, "the job failed"));
                let message = ServerMessage::JobFailed {
                    job_id: job_id.clone(),
                    error: error.error,
                    cause: error.cause,
                };
                return Ok(self.send_final_notice(&job, message, now).await?);
            }
        };
        Ok(self.deliver(&job.owner, job_id, &message, now).await?)
    }

    /// Sends the job's final message once: only the caller that claims `finalNoticeAt`
    /// delivers it. The connections are listed before the claim, so a storage failure there
    /// leaves the notice to a retry.
    pub async fn send_final_notice(
        &self,
        job: &JobItem,
        message: ServerMessage,
        now: &Moment,
    ) -> Result<Delivery, StoreError> {
        let connections = self.connections.connections_of(&job.owner, now).await?;
        if !self.jobs.claim_final_notice(&job.job_id, now).await? {
            tracing::info!(job_id = %job.job_id, "final notice already sent");
            return Ok(Delivery::default());
        }
        Ok(self.post_all(&connections, &job.job_id, &message).await)
    }

    /// Posts `message` to each of the owner's connections; gone ones are deleted.
    pub async fn deliver(
        &self,
        owner: &str,
        job_id: &JobId,
        message: &ServerMessage,
        now: &Moment,
    ) -> Result<Delivery, StoreError> {
        let connections = self.connections.connections_of(owner, now).await?;
        Ok(self.post_all(&connections, job_id, message).await)
    }

    /// Posts each message in order to one connection, stopping at the first failure.
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

    async fn post_all(
        &self,
        connections: &[String],
        job_id: &JobId,
        message: &ServerMessage,
    ) -> Delivery {
        let body = message.to_json_bytes();
        let mut delivery = Delivery::default();
        for connection_id in connections {
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
                    let error = narratix_domain::error_chain(&error);
                    tracing::warn!(job_id = %job_id, connection_id, error, "could not post to a connection");
                }
            }
        }
        tracing::info!(job_id = %job_id, sent = delivery.sent, gone = delivery.gone, "notice delivered");
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
    pub aws: AwsSettings,
}

impl NotifierSettings {
    pub fn from_env(env: &Env) -> Result<NotifierSettings, ConfigError> {
        Ok(NotifierSettings {
            table: env.required("TABLE_NAME")?,
            websocket_endpoint: env.required("WEBSOCKET_ENDPOINT")?,
            aws: AwsSettings::from_env(env)?,
        })
    }
}

/// A [`Notifier`]'s adapters on AWS: the table and `@connections`.
pub struct NotifierOnAws {
    pub store: DynamoStore,
    pub poster: ApiGatewayPoster,
}

impl NotifierOnAws {
    pub async fn connect(settings: &NotifierSettings) -> NotifierOnAws {
        let aws = Aws::load(settings.aws).await;
        NotifierOnAws {
            store: aws.dynamo(&settings.table),
            poster: aws.connections_api(&settings.websocket_endpoint),
        }
    }

    pub fn notifier(&self) -> Notifier<'_, DynamoStore, DynamoStore, ApiGatewayPoster> {
        Notifier {
            jobs: &self.store,
            connections: &self.store,
            poster: &self.poster,
        }
    }
}
