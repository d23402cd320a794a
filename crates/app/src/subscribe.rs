//! Following a job on a WebSocket connection: the owner's own job only, with a catch-up on
//! its state so a late subscriber misses nothing.

use narratix_domain::api::ApiErrorName;
use narratix_domain::messages::{ClientMessage, ServerMessage};
use narratix_domain::JobId;
use narratix_store::ports::{ConnectionPoster, ConnectionStore, JobReader, NoticeLedger};
use narratix_store::{ConnectionEntry, Moment, StoreError};

use crate::notice::Notifier;

/// How a client message on a connection was handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    /// The answer was posted (or its posting failed and was logged).
    Answered,
    /// The connection's token had expired: it got `sessionExpired` and was closed instead.
    Closed,
}

/// Handles a client message on `connection_id`: if the connection's token has expired
/// (`token_expires_at` from the authorizer's context, else the stored connection's), the
/// connection is closed with `sessionExpired` and nothing else is read or recorded; otherwise
/// it is answered ([`answer`]) on the connection.
pub async fn serve<J, C, P>(
    notifier: &Notifier<'_, J, C, P>,
    connection_id: &str,
    owner: Option<String>,
    token_expires_at: Option<i64>,
    body: Option<&str>,
    now: &Moment,
) -> Result<Served, StoreError>
where
    J: JobReader + NoticeLedger,
    C: ConnectionStore,
    P: ConnectionPoster,
{
    let token_expires_at = match token_expires_at {
        Some(at) => Some(at),
        None => notifier
            .connections
            .connection(connection_id)
            .await?
            .map(|connection| connection.token_expires_at),
    };
    if let Some(token_expires_at) = token_expires_at {
        let entry = ConnectionEntry {
            connection_id: connection_id.to_owned(),
            token_expires_at,
        };
        if entry.token_expired(now) {
            notifier.close_expired(&entry).await;
            return Ok(Served::Closed);
        }
    }
    let messages = answer(
        notifier.jobs,
        notifier.connections,
        connection_id,
        owner,
        body,
    )
    .await?;
    if let Err(error) = notifier.reply(connection_id, &messages).await {
        let error = narratix_domain::error_chain(&error);
        tracing::warn!(connection_id, error, "could not answer the subscriber");
    }
    Ok(Served::Answered)
}

/// The messages that answer a client message on `connection_id`, after recording the
/// subscription. `owner` is the authorizer's verified subject, if the request carries it.
pub async fn answer<J, C>(
    jobs: &J,
    connections: &C,
    connection_id: &str,
    owner: Option<String>,
    body: Option<&str>,
) -> Result<Vec<ServerMessage>, StoreError>
where
    J: JobReader,
    C: ConnectionStore,
{
    let owner = match owner {
        Some(owner) => owner,
        None => match connections.connection(connection_id).await? {
            Some(connection) => connection.owner,
            None => {
                return Ok(vec![ServerMessage::error(
                    ApiErrorName::AuthUnauthorized,
                    "unknown connection",
                )])
            }
        },
    };
    let Some(ClientMessage::Subscribe { job_id }) =
        body.and_then(|body| serde_json::from_str::<ClientMessage>(body).ok())
    else {
        return Ok(vec![ServerMessage::error(
            ApiErrorName::RequestInvalid,
            "expected {\"action\":\"subscribe\",\"jobId\":\"…\"}",
        )]);
    };
    let not_found = || {
        vec![ServerMessage::error(
            ApiErrorName::JobNotFound,
            "no such job",
        )]
    };
    let Ok(job_id) = JobId::parse(&job_id) else {
        return Ok(not_found());
    };
    let snapshot = match jobs.snapshot(&job_id).await? {
        Some(snapshot) if snapshot.job.owner == owner => snapshot,
        _ => return Ok(not_found()),
    };
    connections
        .subscribe(&owner, connection_id, &job_id)
        .await?;
    tracing::info!(job_id = %job_id, connection_id, "subscribed");
    Ok(crate::views::catch_up(&snapshot))
}
