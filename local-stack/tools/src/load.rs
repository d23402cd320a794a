//! `narratix-local bench-load`: a burst of jobs against a rate-limited AI. Each run starts a
//! stack of its own with the mock AI limited to R requests (and T tokens) per minute and the
//! template told the same (`AiRequestsPerMinute`, `AiTokensPerMinute`, `AiRateGovernor`);
//! prepares N jobs of the sample PDFs, one user per job (the API's quotas are per user), each
//! subscribed on its own WebSocket before it starts; starts them all at once; follows every job
//! on its socket until its final notice or the run's deadline; reads every job back with
//! `GET /jobs/{id}`; and stops the stack, also on error and on Ctrl-C. The same load then runs
//! with the governor off (the design before it) for comparison.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{stream, StreamExt};
use narratix_domain::messages::ServerMessage;
use narratix_domain::{FileStatus, JobStatus};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::client::{
    answered_with, AiFaults, ClientError, Incoming, Job, LiveSocket, StackClient, Upload,
    UserClient,
};
use crate::demo::{check_pdfs, DemoError, Interrupts};
use narratix_local_emulator::{up, Manifest, StackConfig};

/// Jobs prepared (created, uploaded, subscribed) at once.
const PREPARE_AT_ONCE: usize = 8;
/// Starts in flight at once: as fast as the API accepts them, without queueing so many behind
/// one another in the emulator that the last ones time out on the client.
const START_AT_ONCE: usize = 8;
/// Jobs read back at once at the end.
const READ_AT_ONCE: usize = 8;
/// How long the sockets stay open after the last first final notice, to catch duplicates.
const DUPLICATE_GRACE: Duration = Duration::from_secs(5);
/// How often the mock AI's counters are read (the time of the last admitted call).
const SAMPLE_EVERY: Duration = Duration::from_millis(500);
/// Attempts of a create or start the API answered 429 or 503.
const API_ATTEMPTS: u32 = 10;
const SUBSCRIBE_WAIT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Demo(#[from] DemoError),
    #[error("{0}")]
    Client(#[from] ClientError),
    #[error("picking free ports: {0}")]
    Ports(std::io::Error),
    #[error("job {index}: subscribing answered {answer}")]
    NotSubscribed { index: usize, answer: String },
}

/// The rate governor of the label worker, as the template parameter `AiRateGovernor` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Governor {
    On,
    Off,
}

impl Governor {
    pub fn parameter(self) -> &'static str {
        match self {
            Governor::On => "on",
            Governor::Off => "off",
        }
    }
}

#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub jobs: usize,
    /// The AI's requests-per-minute limit (the mock's and the template's).
    pub rpm: u32,
    /// The AI's tokens-per-minute limit; `None`: none (the template's 0).
    pub tpm: Option<u32>,
    /// Also run the same load with the governor off.
    pub compare: bool,
    /// How long a run may take from the first start; default [`default_timeout`].
    pub timeout: Option<Duration>,
    /// The PDFs of every job (the samples).
    pub pdfs: Vec<PathBuf>,
    /// Pick free ports for each run's stack instead of the configured ones.
    pub free_ports: bool,
}

/// Three times the floor of the files alone (one AI call each), plus five minutes.
pub fn default_timeout(files: usize, rpm: u32) -> Duration {
    floor(files as u64, rpm) * 3 + Duration::from_secs(300)
}

/// The least time `calls` AI calls take at `rpm` calls per minute.
pub fn floor(calls: u64, rpm: u32) -> Duration {
    if rpm == 0 {
        return Duration::ZERO;
    }
    Duration::from_secs_f64(calls as f64 * 60.0 / f64::from(rpm))
}

/// Admitted calls per minute over `window`, as a share of `rpm` (0 for an empty window).
pub fn utilisation(admitted: u64, window: Duration, rpm: u32) -> f64 {
    if window.is_zero() || rpm == 0 {
        return 0.0;
    }
    admitted as f64 / (window.as_secs_f64() / 60.0) / f64::from(rpm)
}

/// The nearest-rank percentile (`percent` of 100); `None` without values.
pub fn percentile(values: &[Duration], percent: usize) -> Option<Duration> {
    let mut sorted = values.to_vec();
    sorted.sort();
    let last = sorted.len().checked_sub(1)?;
    let index = (percent * sorted.len()).div_ceil(100).max(1) - 1;
    Some(sorted[index.min(last)])
}

/// What one run measured. Times are from the first start request.
#[derive(Debug, Clone, Default)]
pub struct RunReport {
    pub governor: Option<Governor>,
    pub jobs: usize,
    pub rpm: u32,
    pub tpm: Option<u32>,
    pub timeout: Duration,
    pub succeeded: usize,
    pub partial: usize,
    pub failed: usize,
    /// Jobs not final when the run ended (by `GET /jobs/{id}`).
    pub lost: usize,
    /// Final notices received (`jobDone`, `jobFailed`), duplicates included.
    pub notices: usize,
    /// Final notices after a job's first.
    pub duplicates: usize,
    /// Jobs whose socket failed before their final notice.
    pub socket_errors: usize,
    /// Per job with a final notice: its start request → its first final notice.
    pub latencies: Vec<Duration>,
    /// Every start accepted, from the first start request.
    pub starts_span: Duration,
    /// Creates and starts the API refused with 429/503 and that were tried again.
    pub api_retries: u32,
    /// Every AI call the mock received.
    pub ai_requests: u64,
    /// By the status the mock answered.
    pub ai_answered: BTreeMap<String, u64>,
    /// The tokens of the 200 answers.
    pub ai_tokens: u64,
    /// The sum of the jobs' `usage.aiCalls` (what the results recorded).
    pub recorded_ai_calls: u64,
    pub files: usize,
    pub files_succeeded: usize,
    /// Failed files by error name.
    pub file_errors: BTreeMap<String, usize>,
    /// The last admitted AI call or file done, whichever is later.
    pub work_end: Option<Duration>,
    /// The last first final notice, or the end of waiting when a job had none.
    pub makespan: Duration,
}

impl RunReport {
    pub fn admitted(&self) -> u64 {
        self.ai_answered.get("200").copied().unwrap_or(0)
    }

    pub fn refused(&self) -> u64 {
        self.ai_answered.get("429").copied().unwrap_or(0)
    }

    /// The least time the admitted calls needed at the limit.
    pub fn floor(&self) -> Duration {
        floor(self.admitted(), self.rpm)
    }

    pub fn utilisation(&self) -> f64 {
        utilisation(self.admitted(), self.work_end.unwrap_or_default(), self.rpm)
    }

    pub fn makespan_vs_floor(&self) -> f64 {
        let floor = self.floor();
        if floor.is_zero() {
            return 0.0;
        }
        self.makespan.as_secs_f64() / floor.as_secs_f64()
    }

    fn name(&self) -> String {
        match self.governor {
            Some(governor) => format!("load (governor {})", governor.parameter()),
            None => "load".to_owned(),
        }
    }

    /// `load: jobs=N succeeded=N … p95_s=…`, under `prefix` (`load`, `load (governor off)`).
    pub fn summary_line(&self, prefix: &str) -> String {
        let seconds = |value: Option<Duration>| match value {
            Some(value) => format!("{:.1}", value.as_secs_f64()),
            None => "-".to_owned(),
        };
        format!(
            "{prefix}: jobs={} succeeded={} partial={} failed={} lost={} notices={} duplicates={} ai_utilisation={:.2} makespan_vs_floor={:.2} p50_s={} p95_s={}",
            self.jobs,
            self.succeeded,
            self.partial,
            self.failed,
            self.lost,
            self.notices,
            self.duplicates,
            self.utilisation(),
            self.makespan_vs_floor(),
            seconds(percentile(&self.latencies, 50)),
            seconds(percentile(&self.latencies, 95)),
        )
    }

    /// The run's table.
    pub fn table(&self) -> String {
        let s = |duration: Duration| format!("{:.1} s", duration.as_secs_f64());
        let latency = |percent| percentile(&self.latencies, percent).map_or("-".to_owned(), s);
        let mut out = String::new();
        let tpm = match self.tpm {
            Some(tpm) => format!("{tpm} tokens/min"),
            None => "no token limit".to_owned(),
        };
        let _ = writeln!(
            out,
            "{}: {} jobs × {} files, AI limit {} requests/min, {tpm}, timeout {}",
            self.name(),
            self.jobs,
            self.files.checked_div(self.jobs).unwrap_or(0),
            self.rpm,
            s(self.timeout)
        );
        let rows: Vec<(&str, String)> = vec![
            (
                "jobs by status",
                format!(
                    "succeeded {}, partial {}, failed {}, lost {}",
                    self.succeeded, self.partial, self.failed, self.lost
                ),
            ),
            (
                "final notices",
                format!(
                    "{} ({} duplicate(s), {} socket(s) failed)",
                    self.notices, self.duplicates, self.socket_errors
                ),
            ),
            (
                "files",
                format!(
                    "{}: succeeded {}, failed {}{}",
                    self.files,
                    self.files_succeeded,
                    self.file_errors.values().sum::<usize>(),
                    if self.file_errors.is_empty() {
                        String::new()
                    } else {
                        let named: Vec<String> = self
                            .file_errors
                            .iter()
                            .map(|(name, count)| format!("{name} {count}"))
                            .collect();
                        format!(" ({})", named.join(", "))
                    }
                ),
            ),
            (
                "job latency, start → final notice",
                format!(
                    "p50 {}, p95 {}, max {}",
                    latency(50),
                    latency(95),
                    latency(100)
                ),
            ),
            (
                "AI calls",
                format!(
                    "ai_requests {}: answered 200 {}, 429 {}{}",
                    self.ai_requests,
                    self.admitted(),
                    self.refused(),
                    {
                        let others: Vec<String> = self
                            .ai_answered
                            .iter()
                            .filter(|(status, _)| !matches!(status.as_str(), "200" | "429"))
                            .map(|(status, count)| format!("{status} {count}"))
                            .collect();
                        if others.is_empty() {
                            String::new()
                        } else {
                            format!(", {}", others.join(", "))
                        }
                    }
                ),
            ),
            (
                "AI calls recorded in the results",
                format!(
                    "{} (files {}; answered 200 {})",
                    self.recorded_ai_calls,
                    self.files,
                    self.admitted()
                ),
            ),
            ("AI tokens of the 200s", self.ai_tokens.to_string()),
            (
                "calls/min while work was queued",
                format!(
                    "{:.1} over {} = utilisation {:.2} of {}",
                    match self.work_end {
                        Some(window) if !window.is_zero() =>
                            self.admitted() as f64 / (window.as_secs_f64() / 60.0),
                        _ => 0.0,
                    },
                    s(self.work_end.unwrap_or_default()),
                    self.utilisation(),
                    self.rpm
                ),
            ),
            (
                "makespan, first start → last final notice",
                format!(
                    "{}; floor {} ({} calls ÷ {}/min); ratio {:.2}",
                    s(self.makespan),
                    s(self.floor()),
                    self.admitted(),
                    self.rpm,
                    self.makespan_vs_floor()
                ),
            ),
            (
                "starts",
                format!(
                    "{} accepted within {} (API retries {})",
                    self.jobs,
                    s(self.starts_span),
                    self.api_retries
                ),
            ),
        ];
        for (name, value) in rows {
            let _ = writeln!(out, "  {name:<42} {value}");
        }
        out
    }

    /// What the exit status checks: every job ended, one final notice each.
    pub fn clean(&self) -> bool {
        self.lost == 0 && self.duplicates == 0
    }
}

/// The runs: the governor on, then (with `compare`) off.
pub async fn run(config: &StackConfig, options: &LoadOptions) -> Result<Vec<RunReport>, LoadError> {
    check_pdfs(&options.pdfs)?;
    let mut interrupts = Interrupts::install()?;
    let mut governors = vec![Governor::On];
    if options.compare {
        governors.push(Governor::Off);
    }
    let mut reports = Vec::new();
    for governor in governors {
        let report = one_run(config, options, governor, &mut interrupts).await?;
        print!("{}", report.table());
        reports.push(report);
    }
    Ok(reports)
}

/// Three distinct free local ports (held at once while they are picked).
fn free_ports() -> Result<[u16; 3], LoadError> {
    let listeners = (0..3)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<Vec<_>, _>>()
        .map_err(LoadError::Ports)?;
    let mut ports = [0; 3];
    for (port, listener) in ports.iter_mut().zip(&listeners) {
        *port = listener.local_addr().map_err(LoadError::Ports)?.port();
    }
    Ok(ports)
}

fn stack_config(
    config: &StackConfig,
    options: &LoadOptions,
    governor: Governor,
) -> Result<StackConfig, LoadError> {
    let mut config = config.clone();
    if options.free_ports {
        [config.gateway_port, config.moto_port, config.lambda_port] = free_ports()?;
    }
    let parameters = [
        ("AiRequestsPerMinute", options.rpm.to_string()),
        (
            "AiTokensPerMinute",
            options.tpm.unwrap_or_default().to_string(),
        ),
        ("AiRateGovernor", governor.parameter().to_owned()),
    ];
    for (name, value) in parameters {
        config.parameters.insert(name.to_owned(), value);
    }
    Ok(config)
}

async fn one_run(
    config: &StackConfig,
    options: &LoadOptions,
    governor: Governor,
    interrupts: &mut Interrupts,
) -> Result<RunReport, LoadError> {
    let config = stack_config(config, options, governor)?;
    eprintln!(
        "bench-load: governor {}: starting a local stack on port {}",
        governor.parameter(),
        config.gateway_port
    );
    let stack = tokio::select! {
        started = up(&config) => started.map_err(DemoError::from)?,
        // Dropping the unfinished start kills the process groups it had started.
        _ = interrupts.received() => return Err(DemoError::Interrupted.into()),
    };
    let outcome = tokio::select! {
        outcome = load(&stack.manifest, options, governor) => outcome,
        _ = interrupts.received() => Err(DemoError::Interrupted.into()),
    };
    eprintln!("bench-load: stopping the stack");
    stack.stop().await;
    outcome
}

/// One job, ready to start: its owner and its subscribed socket.
struct Prepared {
    index: usize,
    user: UserClient,
    job_id: String,
    socket: LiveSocket,
}

/// What one job's socket brought.
#[derive(Debug, Default)]
struct Followed {
    /// The final notices, when each arrived.
    finals: Vec<Instant>,
    /// `fileDone` notices, when each arrived.
    files_done: Vec<Instant>,
    socket_error: Option<String>,
}

async fn load(
    manifest: &Manifest,
    options: &LoadOptions,
    governor: Governor,
) -> Result<RunReport, LoadError> {
    let client = StackClient::from_manifest(manifest)?;
    client
        .set_ai_faults(&AiFaults {
            requests_per_minute: Some(options.rpm),
            tokens_per_minute: options.tpm,
            ..AiFaults::default()
        })
        .await?;
    let uploads = options
        .pdfs
        .iter()
        .map(|pdf| Upload::from_path(pdf))
        .collect::<Result<Vec<_>, _>>()?;
    let files = options.jobs * uploads.len();
    let timeout = options
        .timeout
        .unwrap_or_else(|| default_timeout(files, options.rpm));
    let retries = Arc::new(Mutex::new(0_u32));

    eprintln!(
        "bench-load: preparing {} jobs (create, upload, subscribe)",
        options.jobs
    );
    let mut prepared: Vec<Prepared> = stream::iter(0..options.jobs)
        .map(|index| prepare(&client, index, &uploads, retries.clone()))
        .buffer_unordered(PREPARE_AT_ONCE)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    prepared.sort_by_key(|job| job.index);
    let before = client.ai_status().await?;

    // Every socket followed by a task of its own; the first final notice of each job is told.
    let (stop, stopped) = watch::channel(false);
    let (first_finals, mut first_final) = mpsc::unbounded_channel();
    let mut followers = JoinSet::new();
    let mut starts = Vec::with_capacity(prepared.len());
    for job in prepared {
        let job_id = job.job_id.clone();
        followers.spawn(follow(
            job.index,
            job.socket,
            job.job_id,
            stopped.clone(),
            first_finals.clone(),
        ));
        starts.push((job.index, job.user, job_id));
    }
    drop(first_finals);
    let last_call = Arc::new(Mutex::new(None::<Instant>));
    let mut sampler = JoinSet::new();
    sampler.spawn(sample_ai(client.clone(), before.clone(), last_call.clone()));

    eprintln!(
        "bench-load: starting {} jobs at once; waiting up to {} s",
        starts.len(),
        timeout.as_secs()
    );
    let first_start = Instant::now();
    let deadline = tokio::time::Instant::now() + timeout;
    let started = futures_util::stream::iter(starts.iter().map(|(index, user, job_id)| {
        let retries = retries.clone();
        async move {
            let requested = Instant::now();
            with_retries(&retries, || user.start_job(job_id)).await?;
            Ok::<_, ClientError>((*index, requested, Instant::now()))
        }
    }))
    .buffer_unordered(START_AT_ONCE)
    .collect::<Vec<_>>()
    .await
    .into_iter()
    .collect::<Result<Vec<_>, _>>()?;
    let mut start_of = vec![first_start; starts.len()];
    let mut starts_span = Duration::ZERO;
    for (index, requested, accepted) in started {
        start_of[index] = requested;
        starts_span = starts_span.max(accepted.duration_since(first_start));
    }

    let mut finished = 0;
    while finished < starts.len() {
        match tokio::time::timeout_at(deadline, first_final.recv()).await {
            Ok(Some(_)) => {
                finished += 1;
                if finished % 10 == 0 || finished == starts.len() {
                    eprintln!(
                        "bench-load: {finished}/{} jobs final after {:.1} s",
                        starts.len(),
                        first_start.elapsed().as_secs_f64()
                    );
                }
            }
            // Every follower ended (sockets failed) or the deadline passed.
            Ok(None) | Err(_) => break,
        }
    }
    let waited = first_start.elapsed();
    tokio::time::sleep(DUPLICATE_GRACE).await;
    let _ = stop.send(true);
    let mut followed: BTreeMap<usize, Followed> = BTreeMap::new();
    while let Some(joined) = followers.join_next().await {
        if let Ok((index, job)) = joined {
            followed.insert(index, job);
        }
    }
    sampler.abort_all();
    let after = client.ai_status().await?;

    let jobs: Vec<Result<Job, ClientError>> = stream::iter(starts.iter())
        .map(|(_, user, job_id)| user.job(job_id))
        .buffered(READ_AT_ONCE)
        .collect()
        .await;

    let mut report = RunReport {
        governor: Some(governor),
        jobs: starts.len(),
        rpm: options.rpm,
        tpm: options.tpm,
        timeout,
        starts_span,
        files,
        ai_requests: after.requests.saturating_sub(before.requests),
        ai_answered: after
            .answered
            .iter()
            .map(|(status, count)| {
                let earlier = before.answered.get(status).copied().unwrap_or(0);
                (status.clone(), count.saturating_sub(earlier))
            })
            .filter(|(_, count)| *count > 0)
            .collect(),
        ai_tokens: (after.tokens.prompt + after.tokens.completion)
            .saturating_sub(before.tokens.prompt + before.tokens.completion),
        ..RunReport::default()
    };
    for job in jobs {
        let job = job?;
        match job.status {
            JobStatus::Succeeded => report.succeeded += 1,
            JobStatus::Partial => report.partial += 1,
            JobStatus::Failed => report.failed += 1,
            JobStatus::Created | JobStatus::Running => report.lost += 1,
        }
        report.recorded_ai_calls += u64::from(job.usage.ai_calls);
        for file in &job.files {
            match file.status {
                FileStatus::Succeeded => report.files_succeeded += 1,
                FileStatus::Failed => {
                    let name = file.error.clone().unwrap_or_else(|| "(unnamed)".to_owned());
                    *report.file_errors.entry(name).or_default() += 1;
                }
                _ => {}
            }
        }
    }
    let mut last_done = None::<Instant>;
    let mut last_final = None::<Instant>;
    for (index, job) in &followed {
        report.notices += job.finals.len();
        report.duplicates += job.finals.len().saturating_sub(1);
        if let Some(first) = job.finals.first() {
            report
                .latencies
                .push(first.saturating_duration_since(start_of[*index]));
            last_final = last_final.max(Some(*first));
        } else if job.socket_error.is_some() {
            report.socket_errors += 1;
        }
        last_done = last_done.max(job.files_done.iter().max().copied());
    }
    let last_call = *last_call
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    report.work_end = last_call
        .max(last_done)
        .map(|end| end.saturating_duration_since(first_start));
    report.makespan = if followed.values().all(|job| !job.finals.is_empty()) {
        last_final.map_or(waited, |end| end.saturating_duration_since(first_start))
    } else {
        waited
    };
    Ok(report)
}

/// Creates job `index` for a user of its own, uploads its files, opens its socket and subscribes.
async fn prepare(
    client: &StackClient,
    index: usize,
    uploads: &[Upload],
    retries: Arc<Mutex<u32>>,
) -> Result<Prepared, LoadError> {
    let user = client.user(&format!("load-user-{index:04}"))?;
    let created = with_retries(&retries, || user.create_and_upload(uploads)).await?;
    let mut socket = user.connect().await?;
    let answer = socket
        .subscribe_and_confirm(&created.job_id, SUBSCRIBE_WAIT)
        .await?;
    if !matches!(answer, Incoming::Server(ServerMessage::Subscribed { .. })) {
        return Err(LoadError::NotSubscribed {
            index,
            answer: format!("{answer:?}"),
        });
    }
    Ok(Prepared {
        index,
        user,
        job_id: created.job_id.to_string(),
        socket,
    })
}

/// `call` again (after a second) while the API answers 429 or 503 or the request itself
/// failed (a start is idempotent: a repeated start runs one execution), up to [`API_ATTEMPTS`].
async fn with_retries<T, F, Fut>(retries: &Mutex<u32>, mut call: F) -> Result<T, ClientError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ClientError>>,
{
    let mut attempt = 1;
    loop {
        match call().await {
            Err(error)
                if attempt < API_ATTEMPTS
                    && (matches!(error.status(), Some(429 | 503))
                        || matches!(error, ClientError::Http { .. })) =>
            {
                attempt += 1;
                *retries
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) += 1;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            outcome => return outcome,
        }
    }
}

/// Reads one job's socket until told to stop (or the socket fails).
async fn follow(
    index: usize,
    mut socket: LiveSocket,
    job_id: String,
    mut stop: watch::Receiver<bool>,
    first_final: mpsc::UnboundedSender<usize>,
) -> (usize, Followed) {
    let mut followed = Followed::default();
    loop {
        tokio::select! {
            _ = stop.wait_for(|stopped| *stopped) => break,
            message = socket.next(Duration::from_secs(3600)) => match message {
                Ok(message) => {
                    let about_this_job = crate::client::notice_job(&message) == Some(job_id.as_str());
                    if !about_this_job {
                        continue;
                    }
                    if message.is_final_notice() {
                        followed.finals.push(Instant::now());
                        if followed.finals.len() == 1 {
                            let _ = first_final.send(index);
                        }
                    } else if matches!(message, Incoming::Server(ServerMessage::FileDone { .. })) {
                        followed.files_done.push(Instant::now());
                    }
                }
                Err(ClientError::Timeout(..)) => continue,
                Err(error) => {
                    followed.socket_error = Some(error.to_string());
                    break;
                }
            },
        }
    }
    // The run is over for this socket; a failed close changes nothing measured.
    let _ = socket.close().await;
    (index, followed)
}

/// Keeps `last_call` at the time the mock's count of 200 answers last grew.
async fn sample_ai(
    client: StackClient,
    before: crate::client::AiStatus,
    last_call: Arc<Mutex<Option<Instant>>>,
) {
    let mut admitted = answered_with(&before, 200);
    let mut ticks = tokio::time::interval(SAMPLE_EVERY);
    loop {
        ticks.tick().await;
        let Ok(status) = client.ai_status().await else {
            continue;
        };
        let now = answered_with(&status, 200);
        if now > admitted {
            admitted = now;
            *last_call
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(seconds: u64) -> Duration {
        Duration::from_secs(seconds)
    }

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<Duration> = (1..=20).rev().map(s).collect();
        assert_eq!(percentile(&values, 50), Some(s(10)));
        assert_eq!(percentile(&values, 95), Some(s(19)));
        assert_eq!(percentile(&values, 100), Some(s(20)));
        assert_eq!(percentile(&[s(7)], 95), Some(s(7)));
        assert_eq!(percentile(&[], 50), None);
    }

    #[test]
    fn the_floor_and_the_utilisation_are_per_minute_of_the_limit() {
        assert_eq!(floor(300, 120), s(150));
        assert_eq!(floor(10, 0), Duration::ZERO);
        // 300 calls in 2.5 minutes at 120/min: the whole limit.
        assert!((utilisation(300, s(150), 120) - 1.0).abs() < 1e-9);
        // 60 calls in 2 minutes at 60/min: half.
        assert!((utilisation(60, s(120), 60) - 0.5).abs() < 1e-9);
        assert_eq!(utilisation(5, Duration::ZERO, 60), 0.0);
        // 3 × the files' floor + 5 minutes.
        assert_eq!(default_timeout(60, 60), s(3 * 60 + 300));
    }

    fn report() -> RunReport {
        RunReport {
            governor: Some(Governor::On),
            jobs: 4,
            rpm: 60,
            succeeded: 3,
            partial: 1,
            notices: 4,
            latencies: vec![s(10), s(20), s(30), s(40)],
            ai_answered: BTreeMap::from([("200".to_owned(), 12), ("429".to_owned(), 3)]),
            ai_requests: 15,
            files: 12,
            files_succeeded: 11,
            file_errors: BTreeMap::from([("Label.RateLimited".to_owned(), 1)]),
            work_end: Some(s(15)),
            makespan: s(24),
            ..RunReport::default()
        }
    }

    #[test]
    fn the_summary_line_is_exactly_the_agreed_one() {
        let report = report();
        // 12 calls in a quarter minute = 48/min of 60; floor 12 s, makespan 24 s.
        assert_eq!(
            report.summary_line("load"),
            "load: jobs=4 succeeded=3 partial=1 failed=0 lost=0 notices=4 duplicates=0 ai_utilisation=0.80 makespan_vs_floor=2.00 p50_s=20.0 p95_s=40.0"
        );
        assert!(report
            .summary_line("load (governor off)")
            .starts_with("load (governor off): jobs=4 "));
        assert!(report.clean());
        let empty = RunReport {
            jobs: 2,
            lost: 2,
            ..RunReport::default()
        };
        assert_eq!(
            empty.summary_line("load"),
            "load: jobs=2 succeeded=0 partial=0 failed=0 lost=2 notices=0 duplicates=0 ai_utilisation=0.00 makespan_vs_floor=0.00 p50_s=- p95_s=-"
        );
        assert!(!empty.clean());
    }

    #[test]
    fn the_table_shows_statuses_calls_and_the_floor() {
        let table = report().table();
        for expected in [
            "load (governor on): 4 jobs × 3 files, AI limit 60 requests/min",
            "succeeded 3, partial 1, failed 0, lost 0",
            "Label.RateLimited 1",
            "p50 20.0 s, p95 40.0 s, max 40.0 s",
            "answered 200 12, 429 3",
            "utilisation 0.80 of 60",
            "floor 12.0 s (12 calls ÷ 60/min); ratio 2.00",
        ] {
            assert!(table.contains(expected), "{expected:?} in\n{table}");
        }
    }

    #[test]
    fn each_run_tells_the_template_its_limits_and_governor() {
        let root = narratix_local_emulator::testing::repository_root();
        let options = LoadOptions {
            jobs: 1,
            rpm: 30,
            tpm: None,
            compare: true,
            timeout: None,
            pdfs: Vec::new(),
            free_ports: false,
        };
        let config = stack_config(&StackConfig::with_defaults(root), &options, Governor::Off)
            .expect("a configuration");
        let parameter = |name: &str| config.parameters.get(name).map(String::as_str);
        assert_eq!(parameter("AiRequestsPerMinute"), Some("30"));
        assert_eq!(parameter("AiTokensPerMinute"), Some("0"));
        assert_eq!(parameter("AiRateGovernor"), Some("off"));
    }
}
