//! `reaper`: ends what the pipeline did not.
//! - An EventBridge "Step Functions Execution Status Change" for an execution that ended
//!   TIMED_OUT, ABORTED or FAILED → the job (execution name = job id) is FAILED unless it was
//!   final, and its owner gets the final notice once.
//! - An EventBridge "Scheduled Event" → the sweep: every connection whose token expired gets
//!   `sessionExpired` and is closed, every job still RUNNING past the state machine's timeout
//!   is FAILED, and every final job whose notice was not recorded gets it.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use narratix_app::lifecycle::{reap, sweep, ReapOutput, SweepOutput, SweepSettings};
use narratix_app::notice::Notifier;
use narratix_domain::{ErrorKind, JobId, WireError};
use narratix_store::ports::{
    ConnectionPoster, ConnectionStore, ExpiredConnections, JobReader, JobWriter, NoticeLedger,
    OpenJobs,
};
use narratix_store::Moment;
use serde::{Deserialize, Serialize};

/// The `detail` of a Step Functions execution status change (only what the reaper reads).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionStatusChange {
    pub execution_arn: String,
    /// The execution name, which is the job id.
    pub name: String,
    pub status: String,
}

/// Either event the reaper is sent; told apart by `detail-type`.
pub type ReaperEvent = EventBridgeEvent<serde_json::Value>;

/// The `detail-type` of an EventBridge schedule.
pub const SCHEDULED_EVENT: &str = "Scheduled Event";

/// What one invocation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ReaperOutput {
    Reaped(ReapOutput),
    Swept(SweepOutput),
}

/// Dispatches on `detail-type`: a schedule sweeps, anything else is an execution's end.
pub async fn handle_event<J, C, P>(
    notifier: &Notifier<'_, J, C, P>,
    settings: &SweepSettings,
    event: ReaperEvent,
    now: Moment,
) -> Result<ReaperOutput, WireError>
where
    J: JobReader + JobWriter + NoticeLedger + OpenJobs,
    C: ConnectionStore + ExpiredConnections,
    P: ConnectionPoster,
{
    if event.detail_type == SCHEDULED_EVENT {
        let output = sweep(notifier, settings, &now).await?;
        tracing::info!(
            looked_at = output.looked_at,
            timed_out = output.timed_out,
            notices = output.notices,
            failures = output.failures,
            connections_closed = output.connections.closed,
            connections_gone = output.connections.gone,
            connections_failed = output.connections.failed,
            "sweep done"
        );
        return Ok(ReaperOutput::Swept(output));
    }
    let detail: ExecutionStatusChange =
        serde_json::from_value(event.detail.clone()).map_err(|error| {
            ErrorKind::InputInvalid.with_cause(format!("not an execution status change: {error}"))
        })?;
    Ok(ReaperOutput::Reaped(
        reap_detail(notifier, detail, now).await?,
    ))
}

async fn reap_detail<J, C, P>(
    notifier: &Notifier<'_, J, C, P>,
    detail: ExecutionStatusChange,
    now: Moment,
) -> Result<ReapOutput, WireError>
where
    J: JobReader + JobWriter + NoticeLedger,
    C: ConnectionStore,
    P: ConnectionPoster,
{
    let job_id = JobId::parse(&detail.name).map_err(|_| {
        ErrorKind::InputInvalid.with_cause(format!(
            "execution {} is not named by a job id",
            detail.execution_arn
        ))
    })?;
    tracing::info!(job_id = %job_id, status = detail.status, "execution ended");
    Ok(reap(notifier, &job_id, &detail.status, &now).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use narratix_domain::lambda::decode;
    use narratix_domain::JobStatus;
    use narratix_store::memory::{MemoryStore, RecordingPoster, UnavailableStore};
    use narratix_store::{Connection, NewJob};
    use serde_json::json;

    fn now() -> Moment {
        Moment::from_epoch_seconds(1_795_000_000)
    }

    const SETTINGS: SweepSettings = SweepSettings {
        job_timeout_seconds: 7200,
        grace_seconds: 600,
        batch: 10,
        connection_batch: 10,
    };

    /// An execution's end, through the handler the function runs.
    async fn reaped<J, C, P>(
        notifier: &Notifier<'_, J, C, P>,
        event: serde_json::Value,
    ) -> Result<ReapOutput, WireError>
    where
        J: JobReader + JobWriter + NoticeLedger + OpenJobs,
        C: ConnectionStore + ExpiredConnections,
        P: ConnectionPoster,
    {
        let event = decode::<ReaperEvent>(event)?;
        match handle_event(notifier, &SETTINGS, event, now()).await? {
            ReaperOutput::Reaped(output) => Ok(output),
            ReaperOutput::Swept(output) => panic!("an execution's end swept: {output:?}"),
        }
    }

    fn status_change(name: &str, status: &str) -> serde_json::Value {
        json!({
            "version": "0",
            "id": "315c1398-40ff-a850-213b-158f73e60175",
            "detail-type": "Step Functions Execution Status Change",
            "source": "aws.states",
            "account": "123456789012",
            "time": "2026-11-25T10:00:00Z",
            "region": "eu-west-1",
            "resources": [format!("arn:aws:states:eu-west-1:123456789012:execution:LabelJob:{name}")],
            "detail": {
                "executionArn": format!("arn:aws:states:eu-west-1:123456789012:execution:LabelJob:{name}"),
                "stateMachineArn": "arn:aws:states:eu-west-1:123456789012:stateMachine:LabelJob",
                "name": name,
                "status": status,
                "startDate": 1_795_000_000_000_u64,
                "stopDate": 1_795_000_100_000_u64,
                "input": "{}",
                "inputDetails": {"included": true},
                "output": null,
                "outputDetails": null
            }
        })
    }

    #[tokio::test]
    async fn a_timed_out_execution_fails_the_job_and_tells_the_owner() {
        let store = MemoryStore::new();
        let job_id = JobId::parse("job-1").expect("id");
        store
            .create_job(&NewJob {
                job_id: job_id.clone(),
                owner: "alice".into(),
                created_at: now().rfc3339(),
                expires_at: 0,
                files: vec![],
            })
            .await
            .expect("create");
        store
            .put_connection(&Connection {
                connection_id: "c1".into(),
                owner: "alice".into(),
                connected_at: now().rfc3339(),
                expires_at: now().plus_seconds(60).epoch_seconds(),
                token_expires_at: now().plus_seconds(30).epoch_seconds(),
            })
            .await
            .expect("connect");
        let poster = RecordingPoster::new();
        let notifier = Notifier {
            jobs: &store,
            connections: &store,
            poster: &poster,
            retention: Default::default(),
        };
        let output = reaped(&notifier, status_change("job-1", "TIMED_OUT"))
            .await
            .expect("reap");
        assert!(output.marked_failed);
        let job = store.job(&job_id).await.expect("read").expect("job");
        assert_eq!(job.status, JobStatus::Failed);
        assert_eq!(
            poster.posted()[0].1,
            json!({"type": "jobFailed", "jobId": "job-1", "noticeId": "job-1.final", "error": "Job.TimedOut", "cause": "execution TIMED_OUT"})
        );
    }

    #[tokio::test]
    async fn each_failure_has_its_wire_name() {
        let poster = RecordingPoster::new();
        let store = MemoryStore::new();
        let notifier = Notifier {
            jobs: &store,
            connections: &store,
            poster: &poster,
            retention: Default::default(),
        };
        assert_eq!(
            reaped(&notifier, status_change("not a job id", "FAILED"))
                .await
                .expect_err("bad name")
                .name(),
            "Input.Invalid"
        );
        let down = Notifier {
            jobs: &UnavailableStore,
            connections: &UnavailableStore,
            poster: &poster,
            retention: Default::default(),
        };
        assert_eq!(
            reaped(&down, status_change("job-1", "ABORTED"))
                .await
                .expect_err("down")
                .name(),
            "Storage.Unavailable"
        );
        let not_eventbridge = reaped(&notifier, json!({"detail": {}}))
            .await
            .expect_err("shape");
        assert_eq!(not_eventbridge.name(), "Input.Invalid");
    }

    #[tokio::test]
    async fn a_schedule_sweeps_and_an_execution_end_reaps() {
        let store = MemoryStore::new();
        let job_id = JobId::parse("job-1").expect("id");
        let started = Moment::from_epoch_seconds(1_795_000_000 - 3 * 3600);
        store
            .create_job(&NewJob {
                job_id: job_id.clone(),
                owner: "alice".into(),
                created_at: started.rfc3339(),
                expires_at: 0,
                files: vec![],
            })
            .await
            .expect("create");
        store
            .mark_started(&job_id, &[], &started)
            .await
            .expect("start");
        // Alice's socket whose token expired a minute ago, and a valid one.
        for (id, token_expires_at) in [("old", -60), ("new", 600)] {
            store
                .put_connection(&Connection {
                    connection_id: id.into(),
                    owner: "alice".into(),
                    connected_at: started.rfc3339(),
                    expires_at: now().plus_seconds(3600).epoch_seconds(),
                    token_expires_at: now().plus_seconds(token_expires_at).epoch_seconds(),
                })
                .await
                .expect("connect");
        }
        let poster = RecordingPoster::new();
        let notifier = Notifier {
            jobs: &store,
            connections: &store,
            poster: &poster,
            retention: Default::default(),
        };
        let schedule = decode::<ReaperEvent>(json!({
            "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
            "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": "2026-11-25T10:00:00Z", "region": "eu-west-1",
            "resources": ["arn:aws:events:eu-west-1:123456789012:rule/sweep"], "detail": {}
        }))
        .expect("event");
        let output = handle_event(&notifier, &SETTINGS, schedule, now())
            .await
            .expect("sweep");
        assert_eq!(
            serde_json::to_value(output).expect("json"),
            json!({
                "lookedAt": 1, "timedOut": 1, "notices": 1, "failures": 0,
                "connections": {"closed": 1, "gone": 0, "failed": 0}
            })
        );
        let job = store.job(&job_id).await.expect("read").expect("job");
        assert_eq!(job.status, JobStatus::Failed);
        // The expired socket got only its closing message; the valid one the final notice.
        let posted = poster.posted();
        assert_eq!(
            posted
                .iter()
                .map(|(id, message)| (id.as_str(), message["type"].as_str().unwrap_or("")))
                .collect::<Vec<_>>(),
            [("old", "sessionExpired"), ("new", "jobFailed")]
        );
        assert_eq!(poster.closed(), ["old"]);
        assert!(store.connection("old").await.expect("read").is_none());

        let end = decode::<ReaperEvent>(status_change("job-1", "ABORTED")).expect("event");
        let output = handle_event(&notifier, &SETTINGS, end, now())
            .await
            .expect("reap");
        assert!(matches!(output, ReaperOutput::Reaped(_)));
    }
}
