//! Following a job on a WebSocket connection: the owner's own job only, with a catch-up on
//! its state so a late subscriber misses nothing.

use narratix_domain::api::ApiErrorName;
use narratix_domain::messages::{ClientMessage, ServerMessage};
use narratix_domain::JobId;
use narratix_store::ports::{ConnectionStore, JobReader};
use narratix_store::StoreError;

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
