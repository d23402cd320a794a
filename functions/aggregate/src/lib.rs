//! `aggregate`: `{jobId}` → the job's final status from its files' outcomes.

use narratix_domain::{JobId, WireError};
use narratix_store::lifecycle::{aggregate, AggregateOutput};
use narratix_store::ports::JobStore;
use narratix_store::Moment;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AggregateEvent {
    pub job_id: JobId,
}

pub async fn handle<J: JobStore>(
    jobs: &J,
    event: AggregateEvent,
    now: Moment,
) -> Result<AggregateOutput, WireError> {
    Ok(aggregate(jobs, &event.job_id, &now).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use narratix_domain::lambda::decode;
    use narratix_domain::{FileStatus, JobStatus};
    use narratix_store::memory::{MemoryStore, UnavailableStore};
    use narratix_store::NewFile;
    use serde_json::json;

    fn now() -> Moment {
        Moment::from_epoch_seconds(1_795_000_000)
    }

    #[tokio::test]
    async fn sets_the_final_status_and_returns_the_counts() {
        let store = MemoryStore::new();
        let job_id = JobId::parse("job-1").expect("id");
        store
            .create_job(&narratix_store::NewJob {
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
        let snapshot = store.snapshot(&job_id).await.expect("read").expect("job");
        for (mut file, status) in snapshot
            .files
            .into_iter()
            .zip([FileStatus::Succeeded, FileStatus::Failed])
        {
            file.status = status;
            store.put_file(&job_id, file);
        }
        let event = decode::<AggregateEvent>(json!({"jobId": "job-1"})).expect("event");
        let output = handle(&store, event, now()).await.expect("aggregate");
        assert_eq!(
            serde_json::to_value(&output).expect("json"),
            json!({"jobId": "job-1", "status": "PARTIAL", "succeeded": 1, "failed": 1})
        );
        assert_eq!(output.status, JobStatus::Partial);
    }

    #[tokio::test]
    async fn each_failure_has_its_wire_name() {
        let unknown = AggregateEvent {
            job_id: JobId::parse("job-404").expect("id"),
        };
        let error = handle(&MemoryStore::new(), unknown.clone(), now())
            .await
            .expect_err("missing");
        assert_eq!(error.name(), "Storage.NotFound");
        let error = handle(&UnavailableStore, unknown, now())
            .await
            .expect_err("down");
        assert_eq!(error.name(), "Storage.Unavailable");
        let error = decode::<AggregateEvent>(json!({"jobId": "bad id"})).expect_err("invalid");
        assert_eq!(error.name(), "Input.Invalid");
    }
}
