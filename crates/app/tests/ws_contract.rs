//! Real notify and subscribe messages, checked against
//! `contracts/websocket-messages.schema.json`.

use narratix_app::lifecycle::{aggregate, reap};
use narratix_app::notice::Notifier;
use narratix_app::views;
use narratix_domain::messages::{NoticeKind, NotifyRequest as NotifyEvent, ServerMessage};
use narratix_domain::{
    Category, FileStatus, Half, JobId, LabeledPair, LengthLimit, LengthUnit, Prefill, Spaces,
    Suggestion,
};
use narratix_store::memory::{MemoryStore, RecordingPoster};
use narratix_store::ports::{ConnectionStore, JobReader, JobWriter};
use narratix_store::{Connection, Moment, NewFile, NewJob, StoredError};
use serde_json::{json, Value};

const SCHEMA: &str = include_str!("../../../contracts/websocket-messages.schema.json");

fn schema() -> Value {
    serde_json::from_str(SCHEMA).expect("schema is JSON")
}

fn validator_for(definition: Option<&str>) -> jsonschema::Validator {
    let mut schema = schema();
    if let Some(name) = definition {
        schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$ref": format!("#/$defs/{name}"),
            "$defs": schema["$defs"].clone(),
        });
    }
    jsonschema::validator_for(&schema).expect("schema compiles")
}

fn assert_valid(validator: &jsonschema::Validator, message: &Value) {
    let errors: Vec<String> = validator
        .iter_errors(message)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{message}: {errors:?}");
}

#[tokio::test]
async fn every_message_the_server_sends_matches_the_schema() {
    let now = Moment::from_epoch_seconds(1_795_000_000);
    let job_id = JobId::parse("job-1").expect("id");
    let store = MemoryStore::new();
    store
        .create_job(&NewJob {
            job_id: job_id.clone(),
            owner: "alice".into(),
            created_at: now.rfc3339(),
            expires_at: 0,
            files: ["f1", "f2", "f3"]
                .map(|id| NewFile {
                    file_id: narratix_domain::FileId::parse(id).expect("file id"),
                    name: "a.pdf".into(),
                    key: narratix_domain::ObjectKey::parse(&format!("uploads/job-1/{id}.pdf"))
                        .expect("key"),
                    size_bytes: 10,
                })
                .to_vec(),
        })
        .await
        .expect("create");
    store
        .put_connection(&Connection {
            connection_id: "c1".into(),
            owner: "alice".into(),
            connected_at: now.rfc3339(),
            expires_at: now.plus_seconds(60).epoch_seconds(),
            token_expires_at: now.plus_seconds(60).epoch_seconds(),
        })
        .await
        .expect("connect");
    let snapshot = store.snapshot(&job_id).await.expect("read").expect("job");
    let mut f1 = snapshot.files[0].clone();
    f1.status = FileStatus::Succeeded;
    f1.pairs = Some(vec![LabeledPair::new(
        "협업 경험을 쓰시오 (최대 1000 bytes)".into(),
        "팀 프로젝트에서".into(),
        Category::TeamworkExperience,
        Some(LengthLimit {
            max: 1000,
            unit: LengthUnit::Bytes,
            spaces: Spaces::Included,
            text: "최대 1000 bytes".into(),
        }),
    )]);
    f1.prefill = Some(Prefill {
        company: Some(Suggestion {
            value: "한결제약".into(),
            line: "지원 회사: 한결제약".into(),
            confidence: 90,
        }),
        half: Some(Suggestion {
            value: Half::Second,
            line: "2027년 하반기".into(),
            confidence: 70,
        }),
        ..Prefill::default()
    });
    let mut f2 = snapshot.files[1].clone();
    f2.status = FileStatus::Failed;
    f2.error = Some(StoredError::new(
        "Label.RateLimited",
        "429 after 5 attempts",
    ));
    let mut f3 = snapshot.files[2].clone();
    f3.status = FileStatus::Labeling;
    for file in [f1, f2, f3] {
        store.put_file(&job_id, file);
    }

    let poster = RecordingPoster::new();
    let notifier = Notifier {
        jobs: &store,
        connections: &store,
        poster: &poster,
        retention: Default::default(),
    };
    let event = |kind, file: Option<&str>, stage| NotifyEvent {
        job_id: job_id.clone(),
        event: kind,
        file_id: file.map(|id| narratix_domain::FileId::parse(id).expect("file id")),
        stage,
    };
    for notify in [
        event(
            NoticeKind::FileProgress,
            Some("f3"),
            Some(FileStatus::Extracting),
        ),
        event(
            NoticeKind::FileProgress,
            Some("f3"),
            Some(FileStatus::Labeling),
        ),
        event(NoticeKind::FileDone, Some("f1"), None),
        event(NoticeKind::FileDone, Some("f2"), None),
    ] {
        notifier.notify(&notify, &now).await.expect("notify");
    }
    let snapshot = store.snapshot(&job_id).await.expect("read").expect("job");
    let mut replies = views::catch_up(&snapshot);
    replies.push(ServerMessage::Error {
        error: "Job.NotFound".into(),
        message: "no such job".into(),
    });
    notifier.reply("c1", &replies).await.expect("reply");
    reap(&notifier, &job_id, "TIMED_OUT", &now)
        .await
        .expect("reap");
    let mut f3 = snapshot.files[2].clone();
    f3.status = FileStatus::Failed;
    store.put_file(&job_id, f3);
    let other = JobId::parse("job-2").expect("id");
    let done = ServerMessage::JobDone {
        notice_id: narratix_domain::messages::final_notice_id(&other),
        job_id: other.clone(),
        status: aggregate(&store, &job_id, &now)
            .await
            .expect("final")
            .status,
        succeeded: 1,
        failed: 2,
    };
    let deleted = ServerMessage::JobDeleted { job_id: other };
    notifier.reply("c1", &[done, deleted]).await.expect("reply");

    let validator = validator_for(None);
    let posted = poster.posted();
    let mut types: Vec<String> = Vec::new();
    for (_, message) in &posted {
        assert_valid(&validator, message);
        types.push(message["type"].as_str().expect("type").to_owned());
    }
    types.sort();
    types.dedup();
    assert_eq!(
        types,
        [
            "error",
            "fileDone",
            "fileProgress",
            "jobDeleted",
            "jobDone",
            "jobFailed",
            "subscribed"
        ]
    );
}

#[test]
fn the_schema_rejects_malformed_messages_and_describes_subscribe() {
    let validator = validator_for(None);
    for bad in [
        json!({"type": "jobDone", "jobId": "job-1"}),
        json!({"type": "fileProgress", "jobId": "job-1", "fileId": "f1", "stage": "SUCCEEDED"}),
        json!({"type": "fileDone", "jobId": "job-1", "fileId": "f1", "status": "SUCCEEDED", "pairs": [{"question": "q", "answer": "a", "category": "HOBBY"}]}),
        json!({"type": "fileDone", "jobId": "job-1", "fileId": "f1", "status": "SUCCEEDED", "prefill": {"company": {"value": "x", "line": "x"}}}),
        json!({"type": "fileDone", "jobId": "job-1", "fileId": "f1", "status": "SUCCEEDED", "pairs": [{"question": "q", "answer": "a", "category": "OTHER", "limit": {"max": 700, "unit": "WORDS", "spaces": "UNSTATED", "text": "700"}}]}),
        json!({"type": "hello"}),
    ] {
        assert!(!validator.is_valid(&bad), "{bad}");
    }
    let subscribe = validator_for(Some("ClientMessage"));
    assert!(subscribe.is_valid(&json!({"action": "subscribe", "jobId": "job-1"})));
    assert!(!subscribe.is_valid(&json!({"action": "subscribe", "jobId": "../etc"})));
    assert!(!subscribe.is_valid(&json!({"action": "unsubscribe", "jobId": "job-1"})));
}
