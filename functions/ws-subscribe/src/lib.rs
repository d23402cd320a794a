//! WebSocket `subscribe` action: `{"action":"subscribe","jobId"}` follows one of the caller's
//! own jobs on this connection and replays its state (`subscribed`, each file's progress or
//! result, the final message if any), so a late subscriber catches up. Another user's job
//! and an unknown job both answer `error` `Job.NotFound`.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_lambda_events::encodings::Body;
use narratix_domain::{ErrorKind, JobId, WireError};
use narratix_store::notice::{Notifier, ServerMessage};
use narratix_store::ports::{ConnectionPoster, ConnectionStore, JobStore};
use serde::Deserialize;

/// The client's message.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscribe {
    pub action: String,
    pub job_id: String,
}

fn response(status: i64) -> ApiGatewayProxyResponse {
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = status;
    response.body = Some(Body::Text(String::new()));
    response
}

fn error_message(error: &str, message: &str) -> ServerMessage {
    ServerMessage::Error {
        error: error.to_owned(),
        message: message.to_owned(),
    }
}

fn owner_in_context(request: &ApiGatewayWebsocketProxyRequest) -> Option<String> {
    let fields = &request.request_context.authorizer.fields;
    fields
        .get("sub")
        .or_else(|| fields.get("principalId"))
        .and_then(|value| value.as_str())
        .filter(|owner| !owner.is_empty())
        .map(str::to_owned)
}

/// The messages that answer the request, after recording the subscription.
async fn answer<J, C, P>(
    notifier: &Notifier<'_, J, C, P>,
    connection_id: &str,
    request: &ApiGatewayWebsocketProxyRequest,
) -> Result<Vec<ServerMessage>, WireError>
where
    J: JobStore,
    C: ConnectionStore,
    P: ConnectionPoster,
{
    let owner = match owner_in_context(request) {
        Some(owner) => owner,
        None => match notifier.connections.connection(connection_id).await? {
            Some(connection) => connection.owner,
            None => {
                return Ok(vec![error_message(
                    "Auth.Unauthorized",
                    "unknown connection",
                )])
            }
        },
    };
    let subscribe = request
        .body
        .as_deref()
        .and_then(|body| serde_json::from_str::<Subscribe>(body).ok())
        .filter(|message| message.action == "subscribe");
    let Some(subscribe) = subscribe else {
        return Ok(vec![error_message(
            "Request.Invalid",
            "expected {\"action\":\"subscribe\",\"jobId\":\"…\"}",
        )]);
    };
    let not_found = || vec![error_message("Job.NotFound", "no such job")];
    let Ok(job_id) = JobId::parse(&subscribe.job_id) else {
        return Ok(not_found());
    };
    let snapshot = match notifier.jobs.snapshot(&job_id).await? {
        Some(snapshot) if snapshot.job.owner == owner => snapshot,
        _ => return Ok(not_found()),
    };
    notifier
        .connections
        .subscribe(&owner, connection_id, &job_id)
        .await?;
    tracing::info!(job_id = %job_id, connection_id, "subscribed");
    Ok(ServerMessage::catch_up(&snapshot))
}

pub async fn handle<J, C, P>(
    notifier: &Notifier<'_, J, C, P>,
    request: ApiGatewayWebsocketProxyRequest,
) -> Result<ApiGatewayProxyResponse, WireError>
where
    J: JobStore,
    C: ConnectionStore,
    P: ConnectionPoster,
{
    let connection_id = request
        .request_context
        .connection_id
        .clone()
        .ok_or_else(|| ErrorKind::InputInvalid.with_cause("subscribe without a connectionId"))?;
    let messages = answer(notifier, &connection_id, &request).await?;
    if let Err(error) = notifier.reply(&connection_id, &messages).await {
        tracing::warn!(connection_id, %error, "could not answer the subscriber");
    }
    Ok(response(200))
}

#[cfg(test)]
mod tests {
    use super::*;
    use narratix_domain::FileStatus;
    use narratix_store::memory::{MemoryStore, RecordingPoster, UnavailableStore};
    use narratix_store::{Connection, Moment, NewFile, NewJob};
    use serde_json::json;

    fn now() -> Moment {
        Moment::from_epoch_seconds(1_795_000_000)
    }

    async fn store() -> MemoryStore {
        let store = MemoryStore::new();
        let job_id = JobId::parse("job-1").expect("id");
        store
            .create_job(&NewJob {
                job_id: job_id.clone(),
                owner: "alice".into(),
                created_at: now().rfc3339(),
                expires_at: 0,
                files: ["f1", "f2"]
                    .map(|id| NewFile {
                        file_id: id.into(),
                        name: "a.pdf".into(),
                        key: format!("uploads/job-1/{id}.pdf"),
                        size_bytes: 10,
                    })
                    .to_vec(),
            })
            .await
            .expect("create");
        let mut file = store
            .snapshot(&job_id)
            .await
            .expect("read")
            .expect("job")
            .files[0]
            .clone();
        file.status = FileStatus::Labeling;
        store.put_file(&job_id, file);
        for (id, owner) in [("c1", "alice"), ("c9", "mallory")] {
            store
                .put_connection(&Connection {
                    connection_id: id.into(),
                    owner: owner.into(),
                    connected_at: now().rfc3339(),
                    expires_at: now().plus_seconds(60).epoch_seconds(),
                })
                .await
                .expect("connect");
        }
        store
    }

    fn message(
        connection_id: &str,
        sub: Option<&str>,
        body: &str,
    ) -> ApiGatewayWebsocketProxyRequest {
        serde_json::from_value(json!({
            "headers": {},
            "isBase64Encoded": false,
            "body": body,
            "requestContext": {
                "routeKey": "subscribe", "eventType": "MESSAGE", "connectionId": connection_id,
                "messageId": "m1", "messageDirection": "IN",
                "connectedAt": 1_795_000_000_000_i64, "requestTimeEpoch": 1_795_000_000_000_i64,
                "apiId": "abc123", "stage": "live",
                "authorizer": sub.map(|sub| json!({"principalId": sub, "sub": sub}))
            }
        }))
        .expect("message event")
    }

    #[tokio::test]
    async fn the_owner_is_subscribed_and_caught_up() {
        let store = store().await;
        let poster = RecordingPoster::new();
        let notifier = Notifier {
            jobs: &store,
            connections: &store,
            poster: &poster,
        };
        let response = handle(
            &notifier,
            message(
                "c1",
                Some("alice"),
                r#"{"action":"subscribe","jobId":"job-1"}"#,
            ),
        )
        .await
        .expect("subscribe");
        assert_eq!(response.status_code, 200);
        let sent = poster.posted();
        assert_eq!(
            sent,
            [
                (
                    "c1".to_owned(),
                    json!({"type": "subscribed", "jobId": "job-1", "status": "CREATED"})
                ),
                (
                    "c1".to_owned(),
                    json!({"type": "fileProgress", "jobId": "job-1", "fileId": "f1", "stage": "LABELING"})
                ),
            ]
        );
        assert_eq!(
            store.subscription("alice", "c1"),
            Some(JobId::parse("job-1").expect("id"))
        );
    }

    #[tokio::test]
    async fn the_owner_comes_from_the_connection_when_the_context_lacks_it() {
        let store = store().await;
        let poster = RecordingPoster::new();
        let notifier = Notifier {
            jobs: &store,
            connections: &store,
            poster: &poster,
        };
        handle(
            &notifier,
            message("c1", None, r#"{"action":"subscribe","jobId":"job-1"}"#),
        )
        .await
        .expect("subscribe");
        assert_eq!(poster.posted()[0].1["type"], "subscribed");
    }

    #[tokio::test]
    async fn another_users_job_unknown_jobs_and_bad_messages_are_answered_with_an_error() {
        let store = store().await;
        let poster = RecordingPoster::new();
        let notifier = Notifier {
            jobs: &store,
            connections: &store,
            poster: &poster,
        };
        for (connection, sub, body, error) in [
            (
                "c9",
                Some("mallory"),
                r#"{"action":"subscribe","jobId":"job-1"}"#,
                "Job.NotFound",
            ),
            (
                "c1",
                Some("alice"),
                r#"{"action":"subscribe","jobId":"job-2"}"#,
                "Job.NotFound",
            ),
            (
                "c1",
                Some("alice"),
                r#"{"action":"subscribe","jobId":"../x"}"#,
                "Job.NotFound",
            ),
            ("c1", Some("alice"), "not json", "Request.Invalid"),
            (
                "c1",
                Some("alice"),
                r#"{"action":"unsubscribe","jobId":"job-1"}"#,
                "Request.Invalid",
            ),
            (
                "c7",
                None,
                r#"{"action":"subscribe","jobId":"job-1"}"#,
                "Auth.Unauthorized",
            ),
        ] {
            let before = poster.posted().len();
            let response = handle(&notifier, message(connection, sub, body))
                .await
                .expect("answer");
            assert_eq!(response.status_code, 200);
            let posted = poster.posted();
            assert_eq!(posted.len(), before + 1, "{body}");
            assert_eq!(posted[before].1["type"], "error");
            assert_eq!(posted[before].1["error"], error, "{body}");
        }
        assert_eq!(store.subscription("mallory", "c9"), None);
    }

    #[tokio::test]
    async fn storage_failures_have_their_wire_name() {
        let poster = RecordingPoster::new();
        let notifier = Notifier {
            jobs: &UnavailableStore,
            connections: &UnavailableStore,
            poster: &poster,
        };
        let error = handle(
            &notifier,
            message(
                "c1",
                Some("alice"),
                r#"{"action":"subscribe","jobId":"job-1"}"#,
            ),
        )
        .await
        .expect_err("down");
        assert_eq!(error.name(), "Storage.Unavailable");
    }
}
