//! The shared job-end logic (aggregate, notify, reap, catch-up) over the in-memory ports.

use narratix_app::lifecycle::{aggregate, reap};
use narratix_app::notice::Notifier;
use narratix_app::views;
use narratix_domain::messages::{NoticeKind, NotifyRequest as NotifyEvent};
use narratix_domain::{
    Category, FileStatus, JobId, JobStatus, LabeledPair, LengthLimit, LengthUnit, Prefill, Spaces,
    Suggestion, TokenUsage,
};
use narratix_store::memory::{MemoryStore, RecordingPoster};
use narratix_store::ports::{ConnectionStore, JobReader, JobWriter};
use narratix_store::{Connection, FileItem, Moment, NewFile, NewJob, StoreError, StoredError};
use serde_json::json;

fn now() -> Moment {
    Moment::from_epoch_seconds(1_795_000_000)
}

fn job_id() -> JobId {
    JobId::parse("job-1").expect("job id")
}

async fn store_with_job(files: usize) -> MemoryStore {
    let store = MemoryStore::new();
    let files = (1..=files)
        .map(|n| NewFile {
            file_id: narratix_domain::FileId::parse(&format!("f{n}")).expect("file id"),
            name: format!("letter{n}.pdf"),
            key: narratix_domain::ObjectKey::parse(&format!("uploads/job-1/f{n}.pdf"))
                .expect("key"),
            size_bytes: 1000,
        })
        .collect();
    store
        .create_job(&NewJob {
            job_id: job_id(),
            owner: "alice".into(),
            created_at: now().rfc3339(),
            expires_at: now().plus_seconds(86_400).epoch_seconds(),
            files,
        })
        .await
        .expect("create");
    store
        .mark_started(&job_id(), &[], &now())
        .await
        .expect("start");
    for connection_id in ["c1", "c2"] {
        store
            .put_connection(&Connection {
                connection_id: connection_id.into(),
                owner: "alice".into(),
                connected_at: now().rfc3339(),
                expires_at: now().plus_seconds(7200).epoch_seconds(),
            })
            .await
            .expect("connect");
    }
    store
        .put_connection(&Connection {
            connection_id: "bob-1".into(),
            owner: "bob".into(),
            connected_at: now().rfc3339(),
            expires_at: now().plus_seconds(7200).epoch_seconds(),
        })
        .await
        .expect("connect");
    store
}

fn pair() -> LabeledPair {
    LabeledPair::new(
        "지원동기를 쓰시오 (1자)".into(),
        "저는".into(),
        Category::Motivation,
        Some(LengthLimit {
            max: 1,
            unit: LengthUnit::Chars,
            spaces: Spaces::Unstated,
            text: "(1자)".into(),
        }),
    )
}

async fn set_file(store: &MemoryStore, file_id: &str, status: FileStatus) {
    let snapshot = store.snapshot(&job_id()).await.expect("read").expect("job");
    let mut file: FileItem = snapshot
        .files
        .into_iter()
        .find(|f| f.file_id == file_id)
        .expect("file");
    file.status = status;
    match status {
        FileStatus::Succeeded => {
            file.pairs = Some(vec![pair()]);
            file.pair_count = Some(1);
            file.prefill = Some(Prefill {
                year: Some(Suggestion {
                    value: 2027,
                    line: "2027년 상반기 신입 공채".into(),
                    confidence: 90,
                }),
                ..Prefill::default()
            });
            file.usage = TokenUsage {
                input_tokens: 100,
                output_tokens: 20,
                calls: 1,
            };
        }
        FileStatus::Failed => {
            file.error = Some(StoredError::new(
                "Extract.Encrypted",
                "needs a user password",
            ))
        }
        _ => {}
    }
    store.put_file(&job_id(), file);
}

fn event(kind: NoticeKind, file_id: Option<&str>, stage: Option<FileStatus>) -> NotifyEvent {
    NotifyEvent {
        job_id: job_id(),
        event: kind,
        file_id: file_id.map(|id| narratix_domain::FileId::parse(id).expect("file id")),
        stage,
    }
}

#[tokio::test]
async fn aggregate_counts_outcomes_into_a_final_status() {
    for (outcomes, status, succeeded, failed) in [
        (
            vec![FileStatus::Succeeded, FileStatus::Succeeded],
            JobStatus::Succeeded,
            2,
            0,
        ),
        (
            vec![FileStatus::Succeeded, FileStatus::Failed],
            JobStatus::Partial,
            1,
            1,
        ),
        (
            vec![FileStatus::Failed, FileStatus::Failed],
            JobStatus::Failed,
            0,
            2,
        ),
        (
            vec![FileStatus::Succeeded, FileStatus::Labeling],
            JobStatus::Partial,
            1,
            1,
        ),
    ] {
        let store = store_with_job(outcomes.len()).await;
        for (n, outcome) in outcomes.iter().enumerate() {
            set_file(&store, &format!("f{}", n + 1), *outcome).await;
        }
        let output = aggregate(&store, &job_id(), &now())
            .await
            .expect("aggregate");
        assert_eq!(
            (output.status, output.succeeded, output.failed),
            (status, succeeded, failed)
        );
        let job = store.job(&job_id()).await.expect("read").expect("job");
        assert_eq!(job.status, status);
        assert_eq!((job.succeeded, job.failed), (succeeded, failed));
        assert!(job.finished_at.is_some());
    }
}

#[tokio::test]
async fn aggregate_is_idempotent_and_keeps_an_earlier_final_status() {
    let store = store_with_job(2).await;
    set_file(&store, "f1", FileStatus::Succeeded).await;
    set_file(&store, "f2", FileStatus::Succeeded).await;
    let first = aggregate(&store, &job_id(), &now()).await.expect("first");
    // A file changing afterwards (it cannot, but a re-run must not flip the status).
    set_file(&store, "f2", FileStatus::Failed).await;
    let second = aggregate(&store, &job_id(), &now()).await.expect("second");
    assert_eq!(first, second);
    assert_eq!(second.status, JobStatus::Succeeded);
}

#[tokio::test]
async fn aggregate_of_an_unknown_job_is_not_found() {
    let store = MemoryStore::new();
    let error = aggregate(&store, &job_id(), &now())
        .await
        .expect_err("missing");
    assert!(matches!(error, StoreError::NotFound(_)));
    assert_eq!(error.kind().name(), "Storage.NotFound");
}

#[tokio::test]
async fn file_progress_goes_to_every_connection_of_the_owner_only() {
    let store = store_with_job(1).await;
    let poster = RecordingPoster::new();
    let notifier = Notifier {
        jobs: &store,
        connections: &store,
        poster: &poster,
    };
    let delivery = notifier
        .notify(
            &event(
                NoticeKind::FileProgress,
                Some("f1"),
                Some(FileStatus::Labeling),
            ),
            &now(),
        )
        .await
        .expect("notify");
    assert_eq!((delivery.sent, delivery.gone), (2, 0));
    let posted = poster.posted();
    let targets: Vec<_> = posted.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(targets, ["c1", "c2"]);
    assert_eq!(
        posted[0].1,
        json!({"type": "fileProgress", "jobId": "job-1", "fileId": "f1", "stage": "LABELING"})
    );
}

#[tokio::test]
async fn file_done_carries_pairs_or_the_error() {
    let store = store_with_job(2).await;
    set_file(&store, "f1", FileStatus::Succeeded).await;
    set_file(&store, "f2", FileStatus::Failed).await;
    let poster = RecordingPoster::new();
    let notifier = Notifier {
        jobs: &store,
        connections: &store,
        poster: &poster,
    };
    notifier
        .notify(&event(NoticeKind::FileDone, Some("f1"), None), &now())
        .await
        .expect("f1");
    notifier
        .notify(&event(NoticeKind::FileDone, Some("f2"), None), &now())
        .await
        .expect("f2");
    let posted = poster.posted();
    assert_eq!(
        posted[0].1,
        json!({"type": "fileDone", "jobId": "job-1", "fileId": "f1", "status": "SUCCEEDED",
               "pairs": [{"question": "지원동기를 쓰시오 (1자)", "answer": "저는", "category": "MOTIVATION",
                          "limit": {"max": 1, "unit": "CHARS", "spaces": "UNSTATED", "text": "(1자)"},
                          "answerLength": {"chars": 2, "charsWithoutSpaces": 2}, "overLimit": true}],
               "pairCount": 1,
               "prefill": {"company": null, "position": null, "half": null,
                           "year": {"value": 2027, "line": "2027년 상반기 신입 공채", "confidence": 90}}})
    );
    assert_eq!(
        posted[2].1,
        json!({"type": "fileDone", "jobId": "job-1", "fileId": "f2", "status": "FAILED",
               "error": "Extract.Encrypted", "cause": "needs a user password"})
    );
}

#[tokio::test]
async fn gone_connections_are_deleted_and_failures_only_counted_out() {
    let store = store_with_job(1).await;
    let poster = RecordingPoster::new().with_gone("c1");
    let notifier = Notifier {
        jobs: &store,
        connections: &store,
        poster: &poster,
    };
    let delivery = notifier
        .notify(
            &event(
                NoticeKind::FileProgress,
                Some("f1"),
                Some(FileStatus::Extracting),
            ),
            &now(),
        )
        .await
        .expect("notify");
    assert_eq!((delivery.sent, delivery.gone), (1, 1));
    assert_eq!(store.connection("c1").await.expect("read"), None);
    assert_eq!(
        store.connections_of("alice", &now()).await.expect("list"),
        ["c2"]
    );

    let failing = RecordingPoster::new().with_failing("c2");
    let notifier = Notifier {
        jobs: &store,
        connections: &store,
        poster: &failing,
    };
    let delivery = notifier
        .notify(
            &event(
                NoticeKind::FileProgress,
                Some("f1"),
                Some(FileStatus::Labeling),
            ),
            &now(),
        )
        .await
        .expect("a delivery failure never fails the notice");
    assert_eq!((delivery.sent, delivery.gone), (0, 0));
    assert!(store.connection("c2").await.expect("read").is_some());
}

#[tokio::test]
async fn expired_connections_are_skipped() {
    let store = store_with_job(1).await;
    let later = now().plus_seconds(7201);
    assert!(store
        .connections_of("alice", &later)
        .await
        .expect("list")
        .is_empty());
}

#[tokio::test]
async fn job_done_is_sent_once() {
    let store = store_with_job(1).await;
    set_file(&store, "f1", FileStatus::Succeeded).await;
    aggregate(&store, &job_id(), &now())
        .await
        .expect("aggregate");
    let poster = RecordingPoster::new();
    let notifier = Notifier {
        jobs: &store,
        connections: &store,
        poster: &poster,
    };
    let first = notifier
        .notify(&event(NoticeKind::JobDone, None, None), &now())
        .await
        .expect("first");
    let again = notifier
        .notify(&event(NoticeKind::JobDone, None, None), &now())
        .await
        .expect("again");
    assert_eq!(first.sent, 2);
    assert_eq!(again.sent, 0);
    assert_eq!(poster.posted().len(), 2);
    assert_eq!(
        poster.posted()[0].1,
        json!({"type": "jobDone", "jobId": "job-1", "status": "SUCCEEDED", "succeeded": 1, "failed": 0})
    );
}

#[tokio::test]
async fn job_failed_uses_the_job_error_and_is_sent_once() {
    let store = store_with_job(1).await;
    store
        .fail(
            &job_id(),
            &StoredError::new("States.Runtime", "bad path"),
            &now(),
        )
        .await
        .expect("fail");
    let poster = RecordingPoster::new();
    let notifier = Notifier {
        jobs: &store,
        connections: &store,
        poster: &poster,
    };
    notifier
        .notify(&event(NoticeKind::JobFailed, None, None), &now())
        .await
        .expect("first");
    notifier
        .notify(&event(NoticeKind::JobFailed, None, None), &now())
        .await
        .expect("second");
    assert_eq!(poster.posted().len(), 2, "two connections, one notice");
    assert_eq!(
        poster.posted()[0].1,
        json!({"type": "jobFailed", "jobId": "job-1", "error": "States.Runtime", "cause": "bad path"})
    );
}

#[tokio::test]
async fn malformed_notify_events_are_input_invalid() {
    let store = store_with_job(1).await;
    let poster = RecordingPoster::new();
    let notifier = Notifier {
        jobs: &store,
        connections: &store,
        poster: &poster,
    };
    for bad in [
        event(NoticeKind::FileProgress, None, Some(FileStatus::Labeling)),
        event(
            NoticeKind::FileProgress,
            Some("f1"),
            Some(FileStatus::Succeeded),
        ),
        event(NoticeKind::FileDone, None, None),
        event(NoticeKind::JobDone, None, None), // the job is RUNNING
    ] {
        let error = notifier.notify(&bad, &now()).await.expect_err("invalid");
        assert_eq!(error.kind().name(), "Input.Invalid", "{bad:?}");
    }
    let missing_file = notifier
        .notify(&event(NoticeKind::FileDone, Some("f9"), None), &now())
        .await
        .expect_err("missing");
    assert_eq!(missing_file.kind().name(), "Storage.NotFound");
    let empty = MemoryStore::new();
    let notifier = Notifier {
        jobs: &empty,
        connections: &empty,
        poster: &poster,
    };
    let missing_job = notifier
        .notify(&event(NoticeKind::JobDone, None, None), &now())
        .await
        .expect_err("missing");
    assert_eq!(missing_job.kind().name(), "Storage.NotFound");
}

#[tokio::test]
async fn reaper_fails_a_running_job_and_notifies_once() {
    let store = store_with_job(1).await;
    let poster = RecordingPoster::new();
    let notifier = Notifier {
        jobs: &store,
        connections: &store,
        poster: &poster,
    };
    let output = reap(&notifier, &job_id(), "ABORTED", &now())
        .await
        .expect("reap");
    assert!(output.acted && output.marked_failed);
    assert_eq!(output.delivery.sent, 2);
    let job = store.job(&job_id()).await.expect("read").expect("job");
    assert_eq!(job.status, JobStatus::Failed);
    assert_eq!(
        job.error,
        Some(StoredError::new("Job.Aborted", "execution ABORTED"))
    );
    assert_eq!(
        poster.posted()[0].1,
        json!({"type": "jobFailed", "jobId": "job-1", "error": "Job.Aborted", "cause": "execution ABORTED"})
    );
    let again = reap(&notifier, &job_id(), "ABORTED", &now())
        .await
        .expect("again");
    assert!(!again.marked_failed);
    assert_eq!(again.delivery.sent, 0);
}

#[tokio::test]
async fn reaper_keeps_a_final_job_and_sends_its_missing_final_notice() {
    let store = store_with_job(1).await;
    set_file(&store, "f1", FileStatus::Succeeded).await;
    aggregate(&store, &job_id(), &now())
        .await
        .expect("aggregate");
    let poster = RecordingPoster::new();
    let notifier = Notifier {
        jobs: &store,
        connections: &store,
        poster: &poster,
    };
    let output = reap(&notifier, &job_id(), "TIMED_OUT", &now())
        .await
        .expect("reap");
    assert!(!output.marked_failed);
    assert_eq!(
        store
            .job(&job_id())
            .await
            .expect("read")
            .expect("job")
            .status,
        JobStatus::Succeeded
    );
    assert_eq!(poster.posted()[0].1["type"], "jobDone");
}

#[tokio::test]
async fn reaper_ignores_other_statuses_and_unknown_jobs() {
    let store = store_with_job(1).await;
    let poster = RecordingPoster::new();
    let notifier = Notifier {
        jobs: &store,
        connections: &store,
        poster: &poster,
    };
    let output = reap(&notifier, &job_id(), "SUCCEEDED", &now())
        .await
        .expect("reap");
    assert!(!output.acted);
    let unknown = JobId::parse("job-404").expect("id");
    let output = reap(&notifier, &unknown, "FAILED", &now())
        .await
        .expect("reap");
    assert!(output.acted && !output.marked_failed);
    assert!(poster.posted().is_empty());
}

#[tokio::test]
async fn catch_up_replays_progress_results_and_the_final_message() {
    let store = store_with_job(3).await;
    set_file(&store, "f1", FileStatus::Succeeded).await;
    set_file(&store, "f2", FileStatus::Labeling).await;
    let snapshot = store.snapshot(&job_id()).await.expect("read").expect("job");
    let messages = views::catch_up(&snapshot);
    let types: Vec<_> = messages
        .iter()
        .map(|m| serde_json::to_value(m).expect("json")["type"].clone())
        .collect();
    assert_eq!(
        types,
        [
            json!("subscribed"),
            json!("fileDone"),
            json!("fileProgress")
        ]
    );

    set_file(&store, "f2", FileStatus::Failed).await;
    set_file(&store, "f3", FileStatus::Failed).await;
    aggregate(&store, &job_id(), &now())
        .await
        .expect("aggregate");
    let snapshot = store.snapshot(&job_id()).await.expect("read").expect("job");
    let last = views::catch_up(&snapshot).pop().expect("messages");
    assert_eq!(
        serde_json::to_value(last).expect("json"),
        json!({"type": "jobDone", "jobId": "job-1", "status": "PARTIAL", "succeeded": 1, "failed": 2})
    );
}

#[tokio::test]
async fn subscribe_records_the_job_on_the_owner_connection() {
    let store = store_with_job(1).await;
    store
        .subscribe("alice", "c1", &job_id())
        .await
        .expect("subscribe");
    assert_eq!(store.subscription("alice", "c1"), Some(job_id()));
    let error = store
        .subscribe("alice", "nope", &job_id())
        .await
        .expect_err("unknown connection");
    assert!(matches!(error, StoreError::NotFound(_)));
}

#[tokio::test]
async fn mark_started_moves_created_to_running_once_and_drops_the_expiry() {
    let store = MemoryStore::new();
    store
        .create_job(&NewJob {
            job_id: job_id(),
            owner: "alice".into(),
            created_at: now().rfc3339(),
            expires_at: 42,
            files: vec![],
        })
        .await
        .expect("create");
    assert_eq!(store.expires_at(&job_id()), Some(42));
    assert!(store
        .mark_started(&job_id(), &[], &now())
        .await
        .expect("start"));
    assert!(!store
        .mark_started(&job_id(), &[], &now())
        .await
        .expect("again"));
    assert_eq!(store.expires_at(&job_id()), None);
    let duplicate = store
        .create_job(&NewJob {
            job_id: job_id(),
            owner: "bob".into(),
            created_at: now().rfc3339(),
            expires_at: 42,
            files: vec![],
        })
        .await
        .expect_err("exists");
    assert!(matches!(duplicate, StoreError::JobExists(_)));
}
