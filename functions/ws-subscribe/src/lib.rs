//! WebSocket `subscribe` action: `{"action":"subscribe","jobId"}` follows one of the caller's
//! own jobs on this connection and replays its state (`subscribed`, each file's progress or
//! result, the final message if any), so a late subscriber catches up. Another user's job
//! and an unknown job both answer `error` `Job.NotFound`. A connection whose token expired
//! gets no answer: it is told `sessionExpired` and closed.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use narratix_app::notice::Notifier;
use narratix_app::subscribe::serve;
use narratix_domain::lambda::websocket::{connection_id, owner_of, response, token_expiry_of};
use narratix_domain::WireError;
use narratix_store::ports::{ConnectionPoster, ConnectionStore, JobReader, NoticeLedger};
use narratix_store::Moment;

pub async fn handle<J, C, P>(
    notifier: &Notifier<'_, J, C, P>,
    request: ApiGatewayWebsocketProxyRequest,
    now: Moment,
) -> Result<ApiGatewayProxyResponse, WireError>
where
    J: JobReader + NoticeLedger,
    C: ConnectionStore,
    P: ConnectionPoster,
{
    let connection_id = connection_id(&request, "subscribe")?;
    serve(
        notifier,
        &connection_id,
        owner_of(&request),
        token_expiry_of(&request),
        request.body.as_deref(),
        &now,
    )
    .await?;
    Ok(response(200, ""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use narratix_domain::{FileStatus, JobId};
    use narratix_store::memory::{MemoryStore, RecordingPoster, UnavailableStore};
    use narratix_store::ports::JobWriter;
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
                files: (0..2)
                    .map(|position| NewFile::at(&job_id, position, "a.pdf", 10))
                    .collect(),
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
                    token_expires_at: now().plus_seconds(30).epoch_seconds(),
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
                "authorizer": sub.map(|sub| json!({"principalId": sub, "sub": sub, "exp": 1_795_000_030}))
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
            retention: Default::default(),
        };
        let response = handle(
            &notifier,
            message(
                "c1",
                Some("alice"),
                r#"{"action":"subscribe","jobId":"job-1"}"#,
            ),
            now(),
        )
        .await
        .expect("subscribe");
        assert_eq!(response.status_code, 200);
        let sent = poster.posted();
        assert!(poster.closed().is_empty());
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
            retention: Default::default(),
        };
        handle(
            &notifier,
            message("c1", None, r#"{"action":"subscribe","jobId":"job-1"}"#),
            now(),
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
            retention: Default::default(),
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
            let response = handle(&notifier, message(connection, sub, body), now())
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
    async fn an_expired_token_gets_session_expired_and_the_connection_closed_not_an_answer() {
        // Expiry from the authorizer's context, then (no context) from the stored connection.
        for (sub, connection) in [(Some("alice"), "c1"), (None, "c9")] {
            let store = store().await;
            let poster = RecordingPoster::new();
            let notifier = Notifier {
                jobs: &store,
                connections: &store,
                poster: &poster,
                retention: Default::default(),
            };
            let response = handle(
                &notifier,
                message(connection, sub, r#"{"action":"subscribe","jobId":"job-1"}"#),
                now().plus_seconds(30),
            )
            .await
            .expect("handled");
            assert_eq!(response.status_code, 200);
            assert_eq!(
                poster.posted(),
                [(
                    connection.to_owned(),
                    json!({"type": "sessionExpired", "expiredAt": "2026-11-18T11:07:10Z"})
                )]
            );
            assert_eq!(poster.closed(), [connection]);
            assert!(store.connection(connection).await.expect("read").is_none());
            assert_eq!(store.subscription("alice", connection), None);
        }
    }

    #[tokio::test]
    async fn storage_failures_have_their_wire_name() {
        let poster = RecordingPoster::new();
        let notifier = Notifier {
            jobs: &UnavailableStore,
            connections: &UnavailableStore,
            poster: &poster,
            retention: Default::default(),
        };
        let error = handle(
            &notifier,
            message(
                "c1",
                Some("alice"),
                r#"{"action":"subscribe","jobId":"job-1"}"#,
            ),
            now(),
        )
        .await
        .expect_err("down");
        assert_eq!(error.name(), "Storage.Unavailable");
    }
}
