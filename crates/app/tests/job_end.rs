//! The shared job-end logic (aggregate, notify, reap, catch-up) over the in-memory ports.

use narratix_app::lifecycle::{aggregate, reap, sweep, SweepSettings};
use narratix_app::notice::{NoticeError, Notifier, Retention};
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
                token_expires_at: now().plus_seconds(7200).epoch_seconds(),
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
            token_expires_at: now().plus_seconds(7200).epoch_seconds(),
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
        retention: Default::default(),
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
        retention: Default::default(),
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
        retention: Default::default(),
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
        store
            .connections_of("alice", &now())
            .await
            .expect("list")
            .into_iter()
            .map(|entry| entry.connection_id)
            .collect::<Vec<_>>(),
        ["c2"]
    );

    let failing = RecordingPoster::new().with_failing("c2");
    let notifier = Notifier {
        jobs: &store,
        connections: &store,
        poster: &failing,
        retention: Default::default(),
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
        retention: Default::default(),
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
        json!({"type": "jobDone", "jobId": "job-1", "noticeId": "job-1.final", "status": "SUCCEEDED", "succeeded": 1, "failed": 0})
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
        retention: Default::default(),
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
        json!({"type": "jobFailed", "jobId": "job-1", "noticeId": "job-1.final", "error": "States.Runtime", "cause": "bad path"})
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
        retention: Default::default(),
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
        retention: Default::default(),
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
        retention: Default::default(),
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
        json!({"type": "jobFailed", "jobId": "job-1", "noticeId": "job-1.final", "error": "Job.Aborted", "cause": "execution ABORTED"})
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
        retention: Default::default(),
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
        retention: Default::default(),
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
        json!({"type": "jobDone", "jobId": "job-1", "noticeId": "job-1.final", "status": "PARTIAL", "succeeded": 1, "failed": 2})
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

#[tokio::test]
async fn the_final_notice_is_recorded_only_after_it_was_posted() {
    // It was claimed first: a post that failed (or a crash after the claim) lost it for good.
    let store = store_with_job(2).await;
    set_file(&store, "f1", FileStatus::Succeeded).await;
    set_file(&store, "f2", FileStatus::Failed).await;
    aggregate(&store, &job_id(), &now())
        .await
        .expect("aggregate");
    let failing = RecordingPoster::new().with_failing("c2");
    let notifier = Notifier {
        jobs: &store,
        connections: &store,
        poster: &failing,
        retention: Retention::days(7),
    };
    let error = notifier
        .notify(&event(NoticeKind::JobDone, None, None), &now())
        .await
        .expect_err("one connection failed");
    assert!(matches!(error, NoticeError::Undelivered { failed: 1, .. }));
    assert_eq!(
        narratix_domain::WireError::from(error).name(),
        "Storage.Unavailable",
        "the state machine retries it"
    );
    let job = store.job(&job_id()).await.expect("read").expect("job");
    assert_eq!(job.final_notice_at, None, "not recorded: a retry sends it");
    assert!(store.is_open(&job_id()), "still on the sweep's index");

    // The retry reaches both; the client drops the repeat on c1 by its noticeId.
    let poster = RecordingPoster::new();
    let notifier = Notifier {
        poster: &poster,
        ..notifier
    };
    let delivery = notifier
        .notify(&event(NoticeKind::JobDone, None, None), &now())
        .await
        .expect("retry");
    assert_eq!(delivery.sent, 2);
    let ids: Vec<_> = failing
        .posted()
        .iter()
        .chain(poster.posted().iter())
        .map(|(_, message)| message["noticeId"].clone())
        .collect();
    assert!(ids.iter().all(|id| *id == json!("job-1.final")), "{ids:?}");
    let job = store.job(&job_id()).await.expect("read").expect("job");
    assert!(job.final_notice_at.is_some());
    assert!(!store.is_open(&job_id()));
}

#[tokio::test]
async fn a_jobs_end_starts_the_retention_of_its_results() {
    // Start dropped the expiry and nothing set it again: pairs were kept forever.
    let store = store_with_job(2).await;
    set_file(&store, "f1", FileStatus::Succeeded).await;
    set_file(&store, "f2", FileStatus::Succeeded).await;
    assert_eq!(
        store.expires_at(&job_id()),
        None,
        "a running job does not expire"
    );
    aggregate(&store, &job_id(), &now())
        .await
        .expect("aggregate");
    let poster = RecordingPoster::new();
    let notifier = Notifier {
        jobs: &store,
        connections: &store,
        poster: &poster,
        retention: Retention::days(90),
    };
    notifier
        .notify(&event(NoticeKind::JobDone, None, None), &now())
        .await
        .expect("notify");
    let expected = Some(1_795_000_000 + 90 * 86_400);
    assert_eq!(store.expires_at(&job_id()), expected);
    for file in ["f1", "f2"] {
        let file_id = narratix_domain::FileId::parse(file).expect("id");
        assert_eq!(
            store.file_expires_at(&job_id(), &file_id),
            expected,
            "{file}"
        );
    }
}

fn settings() -> SweepSettings {
    SweepSettings {
        job_timeout_seconds: 7200,
        grace_seconds: 600,
        batch: 100,
        connection_batch: 100,
    }
}

#[tokio::test]
async fn the_sweep_ends_a_job_no_path_ended_and_sends_a_missing_notice_once() {
    let store = store_with_job(1).await;
    let poster = RecordingPoster::new();
    let notifier = Notifier {
        jobs: &store,
        connections: &store,
        poster: &poster,
        retention: Retention::days(90),
    };
    // Started 3 h ago and still RUNNING: the reaper's event was lost.
    store.open_since(&job_id(), &now().plus_seconds(-3 * 3600).rfc3339());
    // A second job, final, whose notice failed on the success path (the execution SUCCEEDED,
    // so no reaper): it ended 20 min ago.
    let done = JobId::parse("job-2").expect("id");
    store
        .create_job(&NewJob {
            job_id: done.clone(),
            owner: "alice".into(),
            created_at: now().rfc3339(),
            expires_at: 0,
            files: vec![],
        })
        .await
        .expect("create");
    store.mark_started(&done, &[], &now()).await.expect("start");
    store.open_since(&done, &now().plus_seconds(-1800).rfc3339());
    store
        .finish(
            &narratix_domain::messages::JobTally {
                job_id: done.clone(),
                status: JobStatus::Succeeded,
                succeeded: 1,
                failed: 0,
            },
            &now().plus_seconds(-1200),
        )
        .await
        .expect("finish");
    // A third, started 5 min ago: left to the pipeline.
    let fresh = JobId::parse("job-3").expect("id");
    store
        .create_job(&NewJob {
            job_id: fresh.clone(),
            owner: "alice".into(),
            created_at: now().rfc3339(),
            expires_at: 0,
            files: vec![],
        })
        .await
        .expect("create");
    store
        .mark_started(&fresh, &[], &now())
        .await
        .expect("start");
    store.open_since(&fresh, &now().plus_seconds(-300).rfc3339());

    let output = sweep(&notifier, &settings(), &now()).await.expect("sweep");
    assert_eq!(
        (output.looked_at, output.timed_out, output.notices),
        (2, 1, 2)
    );
    let stuck = store.job(&job_id()).await.expect("read").expect("job");
    assert_eq!(stuck.status, JobStatus::Failed);
    assert_eq!(
        stuck.error.as_ref().map(|e| e.error.as_str()),
        Some("Job.TimedOut")
    );
    let messages: Vec<_> = poster.posted().into_iter().map(|(_, m)| m).collect();
    assert_eq!(messages.len(), 4, "two connections, two jobs: {messages:?}");
    assert!(messages
        .iter()
        .any(|m| m["type"] == "jobFailed" && m["jobId"] == "job-1"));
    assert!(messages
        .iter()
        .any(|m| m["type"] == "jobDone" && m["jobId"] == "job-2"));
    assert_eq!(
        store.job(&fresh).await.expect("read").expect("job").status,
        JobStatus::Running
    );
    // Once recorded, a second sweep has nothing to do.
    let again = sweep(&notifier, &settings(), &now()).await.expect("sweep");
    assert_eq!((again.looked_at, again.notices), (0, 0));
    assert_eq!(poster.posted().len(), 4);
}

#[tokio::test]
async fn a_sweep_that_cannot_post_leaves_the_job_for_the_next_one() {
    let store = store_with_job(1).await;
    set_file(&store, "f1", FileStatus::Succeeded).await;
    aggregate(&store, &job_id(), &now().plus_seconds(-1200))
        .await
        .expect("aggregate");
    store.open_since(&job_id(), &now().plus_seconds(-1800).rfc3339());
    let failing = RecordingPoster::new().with_failing("c1");
    let notifier = Notifier {
        jobs: &store,
        connections: &store,
        poster: &failing,
        retention: Retention::days(90),
    };
    let output = sweep(&notifier, &settings(), &now()).await.expect("sweep");
    assert_eq!((output.notices, output.failures), (0, 1));
    assert!(store.is_open(&job_id()));
}
