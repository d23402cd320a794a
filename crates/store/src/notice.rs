//! What the server tells a browser over the WebSocket, and delivering it to every connection
//! of the job's owner.

use narratix_domain::{FileStatus, JobId, JobStatus, LabeledPair};
use serde::{Deserialize, Serialize};

use crate::model::job_errors;
use crate::ports::{ConnectionPoster, ConnectionStore, JobStore, PostError};
use crate::{FileItem, JobItem, JobSnapshot, Moment, StoreError};

/// A server → client WebSocket message (`contracts/websocket-messages.schema.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ServerMessage {
    /// A file entered a stage (`EXTRACTING` or `LABELING`).
    #[serde(rename_all = "camelCase")]
    FileProgress {
        job_id: JobId,
        file_id: String,
        stage: FileStatus,
    },
    /// A file is final. Pairs are inline unless they were too large for the table; then only
    /// `pairCount` is given and `GET /jobs/{id}` has them.
    #[serde(rename_all = "camelCase")]
    FileDone {
        job_id: JobId,
        file_id: String,
        status: FileStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cause: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pairs: Option<Vec<LabeledPair>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pair_count: Option<u32>,
    },
    /// The job is final with its files' counts.
    #[serde(rename_all = "camelCase")]
    JobDone {
        job_id: JobId,
        status: JobStatus,
        succeeded: u32,
        failed: u32,
    },
    /// The job itself failed (not just its files).
    #[serde(rename_all = "camelCase")]
    JobFailed {
        job_id: JobId,
        error: String,
        cause: String,
    },
    /// Answer to `subscribe`: the job's status now; replayed file and job messages follow.
    #[serde(rename_all = "camelCase")]
    Subscribed { job_id: JobId, status: JobStatus },
    /// Answer to a client message that could not be served.
    #[serde(rename_all = "camelCase")]
    Error { error: String, message: String },
}

impl ServerMessage {
    pub fn to_json_bytes(&self) -> Vec<u8> {
        // Serialising these plain structs cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The message for a final file.
    pub fn file_done(job_id: &JobId, file: &FileItem) -> ServerMessage {
        ServerMessage::FileDone {
            job_id: job_id.clone(),
            file_id: file.file_id.clone(),
            status: file.status,
            error: file.error.as_ref().map(|e| e.error.clone()),
            cause: file.error.as_ref().map(|e| e.cause.clone()),
            pairs: file.pairs.clone(),
            pair_count: file.pair_count.or_else(|| {
                file.pairs
                    .as_ref()
                    .map(|p| u32::try_from(p.len()).unwrap_or(u32::MAX))
            }),
        }
    }

    /// The final message for a final job: `jobFailed` when the job itself failed, else
    /// `jobDone`. `None` while the job is not final.
    pub fn job_final(job: &JobItem) -> Option<ServerMessage> {
        if !job.status.is_final() {
            return None;
        }
        Some(match (&job.status, &job.error) {
            (JobStatus::Failed, Some(error)) => ServerMessage::JobFailed {
                job_id: job.job_id.clone(),
                error: error.error.clone(),
                cause: error.cause.clone(),
            },
            _ => ServerMessage::JobDone {
                job_id: job.job_id.clone(),
                status: job.status,
                succeeded: job.succeeded,
                failed: job.failed,
            },
        })
    }

    /// What a late subscriber needs to catch up: `subscribed`, then each file's progress or
    /// result, then the job's final message if it is final.
    pub fn catch_up(snapshot: &JobSnapshot) -> Vec<ServerMessage> {
        let job_id = &snapshot.job.job_id;
        let mut messages = vec![ServerMessage::Subscribed {
            job_id: job_id.clone(),
            status: snapshot.job.status,
        }];
        for file in &snapshot.files {
            match file.status {
                FileStatus::Extracting | FileStatus::Labeling => {
                    messages.push(ServerMessage::FileProgress {
                        job_id: job_id.clone(),
                        file_id: file.file_id.clone(),
                        stage: file.status,
                    })
                }
                FileStatus::Succeeded | FileStatus::Failed => {
                    messages.push(ServerMessage::file_done(job_id, file))
                }
                FileStatus::Pending => {}
            }
        }
        messages.extend(ServerMessage::job_final(&snapshot.job));
        messages
    }
}

/// What the state machine asks `notify` to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum NoticeKind {
    FileProgress,
    FileDone,
    JobDone,
    JobFailed,
}

/// The `notify` function's input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotifyEvent {
    pub job_id: JobId,
    pub event: NoticeKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<FileStatus>,
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
    J: JobStore,
    C: ConnectionStore,
    P: ConnectionPoster,
{
    /// Builds the message the event names from the table and delivers it. A delivery
    /// problem never fails: it is logged and counted.
    pub async fn notify(&self, event: &NotifyEvent, now: &Moment) -> Result<Delivery, StoreError> {
        let job_id = &event.job_id;
        let job = self
            .jobs
            .job(job_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("job {job_id}")))?;
        let message = match event.event {
            NoticeKind::FileProgress => {
                let file_id = required_file_id(event)?;
                let stage = match event.stage {
                    Some(stage @ (FileStatus::Extracting | FileStatus::Labeling)) => stage,
                    other => {
                        return Err(StoreError::Invalid(format!(
                            "fileProgress needs stage EXTRACTING or LABELING, got {other:?}"
                        )))
                    }
                };
                ServerMessage::FileProgress {
                    job_id: job_id.clone(),
                    file_id: file_id.to_owned(),
                    stage,
                }
            }
            NoticeKind::FileDone => {
                let file_id = required_file_id(event)?;
                let snapshot = self
                    .jobs
                    .snapshot(job_id)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("job {job_id}")))?;
                let file = snapshot
                    .files
                    .iter()
                    .find(|file| file.file_id == file_id)
                    .ok_or_else(|| StoreError::NotFound(format!("file {job_id}/{file_id}")))?;
                ServerMessage::file_done(job_id, file)
            }
            NoticeKind::JobDone => {
                let message = ServerMessage::job_final(&job).ok_or_else(|| {
                    StoreError::Invalid(format!(
                        "jobDone for job {job_id} that is {:?}, not final",
                        job.status
                    ))
                })?;
                return self.send_final_notice(&job, message, now).await;
            }
            NoticeKind::JobFailed => {
                let error = job.error.clone().unwrap_or_else(|| {
                    crate::StoredError::new(job_errors::FAILED, "the job failed")
                });
                let message = ServerMessage::JobFailed {
                    job_id: job_id.clone(),
                    error: error.error,
                    cause: error.cause,
                };
                return self.send_final_notice(&job, message, now).await;
            }
        };
        self.deliver(&job.owner, job_id, &message, now).await
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
                Err(PostError::Failed(error)) => {
                    tracing::warn!(job_id = %job_id, connection_id, error, "could not post to a connection");
                }
            }
        }
        tracing::info!(job_id = %job_id, sent = delivery.sent, gone = delivery.gone, "notice delivered");
        delivery
    }
}

fn required_file_id(event: &NotifyEvent) -> Result<&str, StoreError> {
    event
        .file_id
        .as_deref()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| StoreError::Invalid(format!("{:?} needs a fileId", event.event)))
}
