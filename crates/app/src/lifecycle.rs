//! The job's end: counting files into a final status, and failing a job whose execution died.

use narratix_domain::config::{ConfigError, Env};
use narratix_domain::messages::JobTally;
use narratix_domain::{FileStatus, JobId, JobStatus};
use narratix_store::ports::{
    ConnectionPoster, ConnectionStore, ExpiredConnections, JobReader, JobWriter, NoticeLedger,
    OpenJobs,
};
use narratix_store::{job_errors, Missing, Moment, StoreError, StoredError};
use serde::{Deserialize, Serialize};

use crate::notice::{Delivery, NoticeError, Notifier};
use crate::session::{close_expired_connections, ConnectionSweep};
use crate::views;

/// Counts the job's file outcomes and sets its final status. Idempotent: a job that is final
/// already keeps its status, which is returned.
pub async fn aggregate<J: JobReader + JobWriter>(
    jobs: &J,
    job_id: &JobId,
    now: &Moment,
) -> Result<JobTally, StoreError> {
    let snapshot = jobs
        .snapshot(job_id)
        .await?
        .ok_or_else(|| StoreError::NotFound(Missing::Job(job_id.clone())))?;
    let succeeded = snapshot
        .files
        .iter()
        .filter(|file| file.status == FileStatus::Succeeded)
        .count();
    let unfinished = snapshot
        .files
        .iter()
        .filter(|file| !file.status.is_final())
        .count();
    if unfinished > 0 {
        tracing::warn!(job_id = %job_id, unfinished, "files not final at aggregation; counted as failed");
    }
    let failed = snapshot.files.len() - succeeded;
    let tally = JobTally {
        job_id: job_id.clone(),
        status: JobStatus::from_counts(succeeded, failed),
        succeeded: count(succeeded),
        failed: count(failed),
    };
    if jobs.finish(&tally, now).await? {
        tracing::info!(job_id = %job_id, status = ?tally.status, succeeded, failed, "job finished");
        return Ok(tally);
    }
    let job = jobs
        .job(job_id)
        .await?
        .ok_or_else(|| StoreError::NotFound(Missing::Job(job_id.clone())))?;
    tracing::info!(job_id = %job_id, status = ?job.status, "job was final already");
    Ok(JobTally {
        job_id: job_id.clone(),
        status: job.status,
        succeeded: job.succeeded,
        failed: job.failed,
    })
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// What the reaper did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReapOutput {
    pub job_id: JobId,
    /// The execution status was one the reaper acts on.
    pub acted: bool,
    /// This call marked the job FAILED (it was not final).
    pub marked_failed: bool,
    pub delivery: Delivery,
}

/// The job error for an execution that ended with `status`, if the reaper acts on it.
pub fn execution_end_error(status: &str) -> Option<StoredError> {
    let name = match status {
        "TIMED_OUT" => job_errors::TIMED_OUT,
        "ABORTED" => job_errors::ABORTED,
        "FAILED" => job_errors::FAILED,
        _ => return None,
    };
    Some(StoredError::new(name, format!("execution {status}")))
}

/// An execution ended `status`: unless the job is final, mark it FAILED; then send the job's
/// final notice unless it was sent (so a job whose execution died between aggregation and
/// notification still tells its owner once).
pub async fn reap<J, C, P>(
    notifier: &Notifier<'_, J, C, P>,
    job_id: &JobId,
    status: &str,
    now: &Moment,
) -> Result<ReapOutput, NoticeError>
where
    J: JobReader + JobWriter + NoticeLedger,
    C: ConnectionStore,
    P: ConnectionPoster,
{
    let ignored = ReapOutput {
        job_id: job_id.clone(),
        acted: false,
        marked_failed: false,
        delivery: Delivery::default(),
    };
    let Some(error) = execution_end_error(status) else {
        tracing::info!(job_id = %job_id, status, "execution status needs no action");
        return Ok(ignored);
    };
    if notifier.jobs.job(job_id).await?.is_none() {
        tracing::warn!(job_id = %job_id, status, "execution of an unknown job ended");
        return Ok(ReapOutput {
            acted: true,
            ..ignored
        });
    }
    let marked_failed = notifier.jobs.fail(job_id, &error, now).await?;
    if marked_failed {
        tracing::warn!(job_id = %job_id, error = %error.error, "job marked failed after its execution ended");
    }
    let job =
        notifier.jobs.job(job_id).await?.ok_or_else(|| {
            NoticeError::Store(StoreError::NotFound(Missing::Job(job_id.clone())))
        })?;
    let delivery = match views::job_final(&job) {
        Some(message) => notifier.send_final_notice(&job, message, now).await?,
        None => Delivery::default(),
    };
    Ok(ReapOutput {
        job_id: job_id.clone(),
        acted: true,
        marked_failed,
        delivery,
    })
}

/// What the scheduled sweep is told: the state machine's timeout and how long to leave a
/// job to the pipeline's own notices first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepSettings {
    /// The state machine's `TimeoutSeconds`: no execution runs longer.
    pub job_timeout_seconds: i64,
    /// A job that started or ended less than this ago is left to the pipeline.
    pub grace_seconds: i64,
    /// Most jobs one sweep looks at.
    pub batch: u32,
    /// Most connections whose token expired one sweep closes (each is a post, a close and
    /// two deletes: 200 fit the reaper's 30 s with room); more wait for the next sweep.
    pub connection_batch: u32,
}

impl SweepSettings {
    pub const DEFAULT_TIMEOUT_SECONDS: u64 = 7200;

    /// `NARRATIX_JOB_TIMEOUT_SECONDS` (the state machine's timeout, default 7200) and
    /// `NARRATIX_SWEEP_GRACE_SECONDS` (default 600).
    pub fn from_env(env: &Env) -> Result<SweepSettings, ConfigError> {
        let seconds = |name, default: u64| -> Result<i64, ConfigError> {
            Ok(i64::try_from(env.positive(name)?.unwrap_or(default)).unwrap_or(i64::MAX))
        };
        Ok(SweepSettings {
            job_timeout_seconds: seconds(
                "NARRATIX_JOB_TIMEOUT_SECONDS",
                SweepSettings::DEFAULT_TIMEOUT_SECONDS,
            )?,
            grace_seconds: seconds("NARRATIX_SWEEP_GRACE_SECONDS", 600)?,
            batch: 100,
            connection_batch: 200,
        })
    }
}

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepOutput {
    /// Open jobs looked at.
    pub looked_at: u32,
    /// Jobs still RUNNING past the state machine's timeout, now FAILED (`Job.TimedOut`).
    pub timed_out: u32,
    /// Final notices sent and recorded.
    pub notices: u32,
    /// Jobs whose notice failed again: left for the next sweep.
    pub failures: u32,
    /// Connections whose token expired, closed with `sessionExpired`.
    #[serde(default)]
    pub connections: ConnectionSweep,
}

/// The error a job gets when no path ended it within the state machine's timeout.
pub fn never_ended_error() -> StoredError {
    StoredError::new(
        job_errors::TIMED_OUT,
        "no end was recorded within the state machine's timeout",
    )
}

/// Ends what nothing else ended: first every connection whose token expired is told
/// `sessionExpired` and closed (an idle socket outlives its token by at most one sweep
/// interval); then every open job (started, final notice not recorded) that is still RUNNING
/// past the state machine's timeout is marked FAILED, and every final job whose notice was
/// not recorded gets it — each once, with its usual `noticeId`. A job that fails again is
/// counted and left for the next sweep.
pub async fn sweep<J, C, P>(
    notifier: &Notifier<'_, J, C, P>,
    settings: &SweepSettings,
    now: &Moment,
) -> Result<SweepOutput, StoreError>
where
    J: JobReader + JobWriter + NoticeLedger + OpenJobs,
    C: ConnectionStore + ExpiredConnections,
    P: ConnectionPoster,
{
    // A failure here fails the sweep (so it is retried and alarmed), but only after the jobs
    // were looked at: one part never keeps the other from running.
    let connections = close_expired_connections(
        notifier.connections,
        notifier.poster,
        now,
        settings.connection_batch,
    )
    .await;
    let recent = now.plus_seconds(-settings.grace_seconds);
    let overdue = now
        .plus_seconds(
            -settings
                .job_timeout_seconds
                .saturating_add(settings.grace_seconds),
        )
        .rfc3339();
    let open = notifier.jobs.open_jobs(&recent, settings.batch).await?;
    let mut output = SweepOutput {
        looked_at: count(open.len()),
        ..SweepOutput::default()
    };
    for open_job in open {
        let job_id = &open_job.job_id;
        let outcome: Result<(), NoticeError> = async {
            let Some(mut job) = notifier.jobs.job(job_id).await? else {
                return Ok(());
            };
            if !job.status.is_final() {
                if open_job.started_at >= overdue {
                    return Ok(());
                }
                if notifier.jobs.fail(job_id, &never_ended_error(), now).await? {
                    output.timed_out += 1;
                    tracing::warn!(job_id = %job_id, started_at = open_job.started_at, "job still running past the timeout: marked failed");
                }
                job = match notifier.jobs.job(job_id).await? {
                    Some(job) => job,
                    None => return Ok(()),
                };
            } else if job
                .finished_at
                .as_deref()
                .is_some_and(|finished| finished >= recent.rfc3339().as_str())
            {
                // Just ended: its own notice may be on the way.
                return Ok(());
            }
            if let Some(message) = views::job_final(&job) {
                notifier.send_final_notice(&job, message, now).await?;
                output.notices += 1;
                tracing::info!(job_id = %job_id, "final notice sent by the sweep");
            }
            Ok(())
        }
        .await;
        if let Err(error) = outcome {
            output.failures += 1;
            let cause = narratix_domain::error_chain(&error);
            tracing::warn!(job_id = %job_id, cause, "sweep could not end the job; next sweep retries");
        }
    }
    output.connections = connections?;
    Ok(output)
}
