//! `aggregate`: `{jobId}` → the job's final status from its files' outcomes.

use narratix_app::lifecycle::aggregate;
use narratix_domain::messages::{AggregateRequest, JobTally};
use narratix_domain::WireError;
use narratix_store::ports::{JobReader, JobWriter};
use narratix_store::Moment;

pub async fn handle<J: JobReader + JobWriter>(
    jobs: &J,
    event: AggregateRequest,
    now: Moment,
) -> Result<JobTally, WireError> {
    Ok(aggregate(jobs, &event.job_id, &now).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use narratix_domain::lambda::decode;
    use narratix_domain::{FileStatus, JobId, JobStatus};
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
                files: (0..2)
                    .map(|position| NewFile::at(&job_id, position, "a.pdf", 10))
                    .collect(),
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
        let event = decode::<AggregateRequest>(json!({"jobId": "job-1"})).expect("event");
        let output = handle(&store, event, now()).await.expect("aggregate");
        assert_eq!(
            serde_json::to_value(&output).expect("json"),
            json!({"jobId": "job-1", "status": "PARTIAL", "succeeded": 1, "failed": 1})
        );
        assert_eq!(output.status, JobStatus::Partial);
    }

    #[tokio::test]
    async fn each_failure_has_its_wire_name() {
        let unknown = AggregateRequest {
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
        let error = decode::<AggregateRequest>(json!({"jobId": "bad id"})).expect_err("invalid");
        assert_eq!(error.name(), "Input.Invalid");
    }
}
