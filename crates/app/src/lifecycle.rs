//! The job's end: counting files into a final status, and failing a job whose execution died.

use narratix_domain::messages::JobTally;
use narratix_domain::{FileStatus, JobId, JobStatus};
use narratix_store::ports::{
    ConnectionPoster, ConnectionStore, JobReader, JobWriter, NoticeLedger,
};
use narratix_store::{job_errors, Missing, Moment, StoreError, StoredError};
use serde::{Deserialize, Serialize};

use crate::notice::{Delivery, Notifier};
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
) -> Result<ReapOutput, StoreError>
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
    let job = notifier
        .jobs
        .job(job_id)
        .await?
        .ok_or_else(|| StoreError::NotFound(Missing::Job(job_id.clone())))?;
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
