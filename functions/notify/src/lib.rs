//! `notify`: `{jobId, event, fileId?, stage?}` → one WebSocket message to each of the owner's
//! connections; `{sent, gone}`. Delivery problems are counted and logged, never raised.

use narratix_app::notice::{Delivery, Notifier};
use narratix_domain::messages::NotifyRequest;
use narratix_domain::WireError;
use narratix_store::ports::{ConnectionPoster, ConnectionStore, JobReader, NoticeLedger};
use narratix_store::Moment;

pub async fn handle<J, C, P>(
    notifier: &Notifier<'_, J, C, P>,
    event: NotifyRequest,
    now: Moment,
) -> Result<Delivery, WireError>
where
    J: JobReader + NoticeLedger,
    C: ConnectionStore,
    P: ConnectionPoster,
{
    Ok(notifier.notify(&event, &now).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use narratix_domain::lambda::decode;
    use narratix_domain::JobId;
    use narratix_store::memory::{MemoryStore, RecordingPoster, UnavailableStore};
    use narratix_store::ports::JobWriter;
    use narratix_store::{Connection, NewFile, NewJob};
    use serde_json::json;

    fn now() -> Moment {
        Moment::from_epoch_seconds(1_795_000_000)
    }

    async fn store() -> MemoryStore {
        let store = MemoryStore::new();
        let job_id = JobId::parse("job-1").expect("id");
        store
            .create_job(&NewJob {
                files: vec![NewFile::at(&job_id, 0, "a.pdf", 10)],
                job_id,
                owner: "alice".into(),
                created_at: now().rfc3339(),
                expires_at: 0,
            })
            .await
            .expect("create");
        for id in ["c1", "c2"] {
            store
                .put_connection(&Connection {
                    connection_id: id.into(),
                    owner: "alice".into(),
                    connected_at: now().rfc3339(),
                    expires_at: now().plus_seconds(60).epoch_seconds(),
                    token_expires_at: now().plus_seconds(60).epoch_seconds(),
                })
                .await
                .expect("connect");
        }
        store
    }

    #[tokio::test]
    async fn posts_progress_and_deletes_gone_connections() {
        let store = store().await;
        let poster = RecordingPoster::new().with_gone("c2");
        let notifier = Notifier {
            jobs: &store,
            connections: &store,
            poster: &poster,
            retention: Default::default(),
        };
        let event = decode::<NotifyRequest>(json!({
            "jobId": "job-1", "event": "fileProgress", "fileId": "f1", "stage": "EXTRACTING"
        }))
        .expect("event");
        let delivery = handle(&notifier, event, now()).await.expect("notify");
        assert_eq!(
            serde_json::to_value(delivery).expect("json"),
            json!({"sent": 1, "gone": 1, "failed": 0, "expired": 0})
        );
        assert_eq!(poster.posted()[0].1["type"], "fileProgress");
        assert!(store.connection("c2").await.expect("read").is_none());
    }

    #[tokio::test]
    async fn each_failure_has_its_wire_name() {
        let poster = RecordingPoster::new();
        let store = store().await;
        let notifier = Notifier {
            jobs: &store,
            connections: &store,
            poster: &poster,
            retention: Default::default(),
        };
        let no_file =
            decode::<NotifyRequest>(json!({"jobId": "job-1", "event": "fileDone"})).expect("event");
        assert_eq!(
            handle(&notifier, no_file, now())
                .await
                .expect_err("invalid")
                .name(),
            "Input.Invalid"
        );
        let unknown = decode::<NotifyRequest>(json!({"jobId": "job-2", "event": "jobFailed"}))
            .expect("event");
        assert_eq!(
            handle(&notifier, unknown.clone(), now())
                .await
                .expect_err("missing")
                .name(),
            "Storage.NotFound"
        );
        let down = Notifier {
            jobs: &UnavailableStore,
            connections: &UnavailableStore,
            poster: &poster,
            retention: Default::default(),
        };
        assert_eq!(
            handle(&down, unknown, now())
                .await
                .expect_err("down")
                .name(),
            "Storage.Unavailable"
        );
        let bad_kind = decode::<NotifyRequest>(json!({"jobId": "job-1", "event": "jobStarted"}))
            .expect_err("unknown event");
        assert_eq!(bad_kind.name(), "Input.Invalid");
    }
}
