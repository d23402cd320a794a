//! The stored items as users see them: the HTTP API's views and the WebSocket messages, built
//! in one place from the same items so the two never disagree.

use narratix_domain::api::{FileView, JobSummary, JobView, Usage};
use narratix_domain::messages::{final_notice_id, ServerMessage};
use narratix_domain::{FileStatus, JobId, JobStatus, LabeledPair};
use narratix_store::{FileItem, JobItem, JobSnapshot};

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A file as `GET /jobs/{id}` shows it; `pairs` are the file's pairs wherever they were
/// stored (inline, or read from the result object).
pub fn file_view(file: &FileItem, pairs: Option<Vec<LabeledPair>>) -> FileView {
    FileView {
        file_id: file.file_id.clone(),
        name: file.name.clone(),
        size_bytes: file.size_bytes,
        status: file.status,
        error: file.error.as_ref().map(|e| e.error.clone()),
        cause: file.error.as_ref().map(|e| e.cause.clone()),
        pages: file.pages,
        chars: file.chars,
        truncated: file.truncated,
        pair_count: file
            .pair_count
            .or_else(|| pairs.as_ref().map(|p| count(p.len()))),
        pairs,
        prefill: file.prefill.clone(),
        usage: Usage::from(file.usage),
    }
}

pub fn job_view(job: &JobItem, files: Vec<FileView>) -> JobView {
    JobView {
        job_id: job.job_id.clone(),
        status: job.status,
        created_at: job.created_at.clone(),
        started_at: job.started_at.clone(),
        finished_at: job.finished_at.clone(),
        succeeded: job.succeeded,
        failed: job.failed,
        error: job.error.as_ref().map(|e| e.error.clone()),
        cause: job.error.as_ref().map(|e| e.cause.clone()),
        usage: JobView::total_usage(&files),
        files,
    }
}

pub fn job_summary(job: &JobItem) -> JobSummary {
    JobSummary {
        job_id: job.job_id.clone(),
        status: job.status,
        created_at: job.created_at.clone(),
        file_count: job.file_count,
        succeeded: job.succeeded,
        failed: job.failed,
    }
}

/// The message for a final file. Pairs are inline when the item holds them; a result stored
/// in S3 is announced by its count only.
pub fn file_done(job_id: &JobId, file: &FileItem) -> ServerMessage {
    ServerMessage::FileDone {
        job_id: job_id.clone(),
        file_id: file.file_id.clone(),
        status: file.status,
        error: file.error.as_ref().map(|e| e.error.clone()),
        cause: file.error.as_ref().map(|e| e.cause.clone()),
        pairs: file.pairs.clone(),
        pair_count: file
            .pair_count
            .or_else(|| file.pairs.as_ref().map(|p| count(p.len()))),
        prefill: file.prefill.clone().map(Box::new),
    }
}

/// The final message for a final job: `jobFailed` when the job itself failed, else `jobDone`.
/// `None` while the job is not final.
pub fn job_final(job: &JobItem) -> Option<ServerMessage> {
    if !job.status.is_final() {
        return None;
    }
    Some(match (&job.status, &job.error) {
        (JobStatus::Failed, Some(error)) => ServerMessage::JobFailed {
            job_id: job.job_id.clone(),
            notice_id: final_notice_id(&job.job_id),
            error: error.error.clone(),
            cause: error.cause.clone(),
        },
        _ => ServerMessage::JobDone {
            job_id: job.job_id.clone(),
            notice_id: final_notice_id(&job.job_id),
            status: job.status,
            succeeded: job.succeeded,
            failed: job.failed,
        },
    })
}

/// What a late subscriber needs to catch up: `subscribed`, then each file's progress or
/// result, then the job's final message if it is final.
pub fn catch_up(snapshot: &JobSnapshot) -> Vec<ServerMessage> {
    let job_id = &snapshot.job.job_id;
    let mut messages = vec![ServerMessage::Subscribed {
        job_id: job_id.clone(),
        status: snapshot.job.status,
    }];
    for file in &snapshot.files {
        match file.status {
            FileStatus::Extracting | FileStatus::Labeling => {
                messages.push(ServerMessage::FileProgress {
                    job_id: job_id.clone(),
                    file_id: file.file_id.clone(),
                    stage: file.status,
                })
            }
            FileStatus::Succeeded | FileStatus::Failed => messages.push(file_done(job_id, file)),
            FileStatus::Pending => {}
        }
    }
    messages.extend(job_final(&snapshot.job));
    messages
}
