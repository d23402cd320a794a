//! A connection whose token expired is never posted a job's message: every sender (notices,
//! the final notice, the sweep) tells it `sessionExpired`, closes it and forgets it, while
//! the owner's valid connections get the message as before. The closing message matches the
//! WebSocket contract.

use narratix_app::lifecycle::{sweep, SweepSettings};
use narratix_app::notice::{Notifier, Retention};
use narratix_app::session::session_expired;
use narratix_domain::messages::{NoticeKind, NotifyRequest};
use narratix_domain::{FileId, FileStatus, JobId};
use narratix_store::memory::{MemoryStore, RecordingPoster};
use narratix_store::ports::{ConnectionStore, JobReader, JobWriter};
use narratix_store::{Connection, Moment, NewFile, NewJob};
use serde_json::{json, Value};

const SCHEMA: &str = include_str!("../../../contracts/websocket-messages.schema.json");

fn now() -> Moment {
    Moment::from_epoch_seconds(1_795_000_000)
}

fn job_id() -> JobId {
    JobId::parse("job-1").expect("job id")
}

/// Alice's running job with one file, her socket `valid` (token good for ten more minutes)
/// and her socket `expired` (token expired a minute ago), both within the 2 h connection TTL.
async fn store() -> MemoryStore {
    let store = MemoryStore::new();
    store
        .create_job(&NewJob {
            job_id: job_id(),
            owner: "alice".into(),
            created_at: now().rfc3339(),
            expires_at: now().plus_seconds(86_400).epoch_seconds(),
            files: vec![NewFile::at(&job_id(), 0, "a.pdf", 10)],
        })
        .await
        .expect("create");
    store
        .mark_started(&job_id(), &[], &now().plus_seconds(-60))
        .await
        .expect("start");
    for (id, token_in) in [("valid", 600), ("expired", -60)] {
        store
            .put_connection(&Connection {
                connection_id: id.into(),
                owner: "alice".into(),
                connected_at: now().plus_seconds(-3000).rfc3339(),
                expires_at: now().plus_seconds(4200).epoch_seconds(),
                token_expires_at: now().plus_seconds(token_in).epoch_seconds(),
            })
            .await
            .expect("connect");
    }
    store
}

fn types(poster: &RecordingPoster) -> Vec<(String, String)> {
    poster
        .posted()
        .into_iter()
        .map(|(id, message)| (id, message["type"].as_str().unwrap_or("").to_owned()))
        .collect()
}

fn closing() -> Value {
    json!({"type": "sessionExpired", "expiredAt": "2026-11-18T11:05:40Z"})
}

#[tokio::test]
async fn a_notice_goes_to_valid_connections_and_an_expired_one_is_closed_instead() {
    let store = store().await;
    let poster = RecordingPoster::new();
    let notifier = Notifier {
        jobs: &store,
        connections: &store,
        poster: &poster,
        retention: Retention::days(90),
    };
    let event = NotifyRequest {
        job_id: job_id(),
        event: NoticeKind::FileProgress,
        file_id: Some(FileId::parse("f1").expect("file id")),
        stage: Some(FileStatus::Extracting),
    };
    let delivery = notifier.notify(&event, &now()).await.expect("notify");
    assert_eq!((delivery.sent, delivery.expired), (1, 1));
    let posted = poster.posted();
    assert_eq!(posted.len(), 2, "{posted:?}");
    assert!(posted.contains(&("expired".to_owned(), closing())));
    assert!(posted.contains(&(
        "valid".to_owned(),
        json!({"type": "fileProgress", "jobId": "job-1", "fileId": "f1", "stage": "EXTRACTING"})
    )));
    assert_eq!(poster.closed(), ["expired"]);
    assert!(store.connection("expired").await.expect("read").is_none());
    assert!(store.connection("valid").await.expect("read").is_some());

    // The next notice finds only the valid connection: the closed one is not told twice.
    notifier.notify(&event, &now()).await.expect("notify");
    assert_eq!(
        types(&poster)[2..],
        [("valid".to_owned(), "fileProgress".to_owned())]
    );
}

#[tokio::test]
async fn the_final_notice_is_recorded_when_only_expired_connections_were_closed() {
    let store = store().await;
    store.delete_connection("valid").await.expect("forget");
    let job = store.job(&job_id()).await.expect("read").expect("job");
    let mut failed = job.clone();
    failed.status = narratix_domain::JobStatus::Failed;
    store.put_job(failed);
    let poster = RecordingPoster::new();
    let notifier = Notifier {
        jobs: &store,
        connections: &store,
        poster: &poster,
        retention: Retention::days(90),
    };
    let event = NotifyRequest {
        job_id: job_id(),
        event: NoticeKind::JobFailed,
        file_id: None,
        stage: None,
    };
    let delivery = notifier.notify(&event, &now()).await.expect("notify");
    assert_eq!(
        (delivery.sent, delivery.expired, delivery.failed),
        (0, 1, 0)
    );
    assert_eq!(poster.posted(), [("expired".to_owned(), closing())]);
    let job = store.job(&job_id()).await.expect("read").expect("job");
    assert!(
        job.final_notice_at.is_some(),
        "a catch-up on a fresh socket replays it; nothing to retry"
    );
}

#[tokio::test]
async fn with_valid_tokens_notices_are_posted_as_before() {
    let store = store().await;
    store.delete_connection("expired").await.expect("forget");
    let poster = RecordingPoster::new();
    let notifier = Notifier {
        jobs: &store,
        connections: &store,
        poster: &poster,
        retention: Retention::days(90),
    };
    let event = NotifyRequest {
        job_id: job_id(),
        event: NoticeKind::FileProgress,
        file_id: Some(FileId::parse("f1").expect("file id")),
        stage: Some(FileStatus::Labeling),
    };
    let delivery = notifier.notify(&event, &now()).await.expect("notify");
    assert_eq!((delivery.sent, delivery.expired), (1, 0));
    assert!(poster.closed().is_empty());
    assert_eq!(
        types(&poster),
        [("valid".to_owned(), "fileProgress".to_owned())]
    );
}

#[tokio::test]
async fn the_sweep_closes_the_idle_expired_socket_only() {
    let store = store().await;
    let poster = RecordingPoster::new();
    let notifier = Notifier {
        jobs: &store,
        connections: &store,
        poster: &poster,
        retention: Retention::days(90),
    };
    let settings = SweepSettings {
        job_timeout_seconds: 7200,
        grace_seconds: 600,
        batch: 100,
        connection_batch: 100,
    };
    let output = sweep(&notifier, &settings, &now()).await.expect("sweep");
    assert_eq!(
        (output.connections.closed, output.connections.failed),
        (1, 0)
    );
    assert_eq!(poster.posted(), [("expired".to_owned(), closing())]);
    assert_eq!(poster.closed(), ["expired"]);
    assert!(store.connection("valid").await.expect("read").is_some());

    // Ten minutes on, the other token has expired too: the next sweep closes it.
    let later = now().plus_seconds(600);
    let output = sweep(&notifier, &settings, &later).await.expect("sweep");
    assert_eq!(output.connections.closed, 1);
    assert_eq!(poster.closed(), ["expired", "valid"]);
}

#[test]
fn the_closing_message_matches_the_contract() {
    let schema: Value = serde_json::from_str(SCHEMA).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let message = serde_json::to_value(session_expired(1_795_000_000)).expect("json");
    assert_eq!(
        message,
        json!({"type": "sessionExpired", "expiredAt": "2026-11-18T11:06:40Z"})
    );
    let errors: Vec<String> = validator
        .iter_errors(&message)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let wrong = json!({"type": "sessionExpired"});
    assert!(!validator.is_valid(&wrong), "expiredAt is required");
}
