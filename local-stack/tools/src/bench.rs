//! `narratix-local bench`: the orchestration overhead of the local stack, in one run. The wall
//! time of a warm job through the stack (from the HTTP start request to the final WebSocket
//! notice) next to the in-process time of the same work — isolated extraction and labeling of
//! the same PDFs, three at once as the Map runs them, with the labeler the stack's label worker
//! uses (its environment from the template, its API key from the stack's Secrets Manager).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use narratix_domain::config::Env;
use narratix_domain::JobStatus;
use narratix_extract::{extract_isolated, Limits};
use narratix_label::{ApiKey, LabelConfig, Labeler};

use crate::client::{ClientError, StackClient, Upload, UserClient};
use crate::demo::{check_pdfs, DemoError, Interrupts};
use narratix_local_emulator::Clients;
use narratix_local_emulator::{up, Manifest, StackConfig};

const BENCH_USER: &str = "bench-user";
const JOB_TIMEOUT: Duration = Duration::from_secs(120);
/// The overhead the issue allows for a warm 3-file job.
pub const OVERHEAD_BUDGET: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("{0}")]
    Demo(#[from] DemoError),
    #[error("{0}")]
    Client(#[from] ClientError),
    #[error("job {job_id} ended {status:?}; a benchmark needs every file labeled")]
    JobNotSucceeded { job_id: String, status: JobStatus },
    #[error("in-process {stage} of {file}: {reason}")]
    InProcess {
        stage: &'static str,
        file: String,
        reason: String,
    },
    #[error("the label worker's configuration: {0}")]
    LabelerConfig(String),
}

#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub pdfs: Vec<PathBuf>,
    /// Measured jobs after the warm-up (at least 5).
    pub runs: usize,
}

/// Median and 90th percentile of some runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub median: Duration,
    pub p90: Duration,
    pub runs: usize,
}

impl Spread {
    /// Nearest-rank percentiles; `None` without runs.
    pub fn of(runs: &[Duration]) -> Option<Spread> {
        let mut sorted = runs.to_vec();
        sorted.sort();
        let rank = |percent: usize| {
            let index = (percent * sorted.len()).div_ceil(100).max(1) - 1;
            sorted[index.min(sorted.len() - 1)]
        };
        (!sorted.is_empty()).then(|| Spread {
            median: rank(50),
            p90: rank(90),
            runs: sorted.len(),
        })
    }
}

#[derive(Debug, Clone)]
pub struct BenchReport {
    pub files: usize,
    pub labeler: String,
    pub stack: Vec<Duration>,
    pub in_process: Vec<Duration>,
}

impl BenchReport {
    /// The table: stack, in-process and their difference, median and p90.
    pub fn table(&self) -> String {
        let (Some(stack), Some(in_process)) =
            (Spread::of(&self.stack), Spread::of(&self.in_process))
        else {
            return "no runs".to_owned();
        };
        let seconds = |duration: Duration| format!("{:.3}", duration.as_secs_f64());
        let overhead = |a: Duration, b: Duration| a.saturating_sub(b);
        let median_overhead = overhead(stack.median, in_process.median);
        let mut table = format!(
            "warm {}-file job, labeler {}, {} measured run(s) after one warm-up\n",
            self.files, self.labeler, stack.runs
        );
        table.push_str(&format!("{:<52} {:>10} {:>10}\n", "", "median s", "p90 s"));
        table.push_str(&format!(
            "{:<52} {:>10} {:>10}\n",
            "stack: HTTP start → final WebSocket notice",
            seconds(stack.median),
            seconds(stack.p90)
        ));
        table.push_str(&format!(
            "{:<52} {:>10} {:>10}\n",
            "in-process: isolated extract + label, files at once",
            seconds(in_process.median),
            seconds(in_process.p90)
        ));
        table.push_str(&format!(
            "{:<52} {:>10} {:>10}\n",
            "orchestration overhead (difference)",
            seconds(median_overhead),
            seconds(overhead(stack.p90, in_process.p90))
        ));
        table.push_str(&format!(
            "overhead budget {} s: {}\n",
            OVERHEAD_BUDGET.as_secs(),
            if median_overhead <= OVERHEAD_BUDGET {
                "met"
            } else {
                "NOT met"
            }
        ));
        table
    }

    pub fn overhead_within_budget(&self) -> bool {
        match (Spread::of(&self.stack), Spread::of(&self.in_process)) {
            (Some(stack), Some(in_process)) => {
                stack.median.saturating_sub(in_process.median) <= OVERHEAD_BUDGET
            }
            _ => false,
        }
    }
}

/// Starts a stack, measures, stops the stack (also on Ctrl-C and on error).
pub async fn run(config: &StackConfig, options: &BenchOptions) -> Result<BenchReport, BenchError> {
    check_pdfs(&options.pdfs)?;
    let mut interrupts = Interrupts::install()?;
    eprintln!("bench: starting the local stack");
    let stack = tokio::select! {
        started = up(config) => started.map_err(DemoError::from)?,
        _ = interrupts.received() => return Err(DemoError::Interrupted.into()),
    };
    let outcome = tokio::select! {
        outcome = measure(&stack.manifest, options) => outcome,
        _ = interrupts.received() => Err(DemoError::Interrupted.into()),
    };
    stack.stop().await;
    outcome
}

async fn measure(manifest: &Manifest, options: &BenchOptions) -> Result<BenchReport, BenchError> {
    let uploads = options
        .pdfs
        .iter()
        .map(|pdf| Upload::from_path(pdf))
        .collect::<Result<Vec<_>, _>>()?;
    let client = StackClient::from_manifest(manifest)?;
    let user = client.user(BENCH_USER)?;

    let runs = options.runs.max(5);
    let mut stack = Vec::with_capacity(runs);
    for run in 0..=runs {
        let elapsed = stack_job(&user, &uploads).await?;
        eprintln!(
            "bench: stack job {}: {:.3} s",
            if run == 0 {
                "warm-up".to_owned()
            } else {
                run.to_string()
            },
            elapsed.as_secs_f64()
        );
        if run > 0 {
            stack.push(elapsed);
        }
    }

    let (labeler, limits) = same_work_as_the_stack(manifest).await?;
    let labeler = Arc::new(labeler);
    let limits = Arc::new(limits);
    let mut in_process = Vec::with_capacity(runs);
    for run in 0..=runs {
        let elapsed = in_process_job(&labeler, &limits, &uploads).await?;
        if run > 0 {
            in_process.push(elapsed);
        }
    }
    Ok(BenchReport {
        files: uploads.len(),
        labeler: match &client.stack.ai_url {
            Some(url) => format!("mock AI at {url}"),
            None => "offline".to_owned(),
        },
        stack,
        in_process,
    })
}

/// One job through the stack: uploads and the subscription first (not timed), then the start
/// request until the final notice.
async fn stack_job(user: &UserClient, uploads: &[Upload]) -> Result<Duration, BenchError> {
    let created = user.create_and_upload(uploads).await?;
    let mut socket = user.connect().await?;
    socket
        .subscribe_and_confirm(&created.job_id, Duration::from_secs(10))
        .await?;
    let started = Instant::now();
    user.start_job(&created.job_id).await?;
    socket
        .until_final(&created.job_id, JOB_TIMEOUT, |_| {})
        .await?;
    let elapsed = started.elapsed();
    // The socket is done with; a failed close changes nothing measured.
    let _ = socket.close().await;
    let job = user.job(&created.job_id).await?;
    if job.status != JobStatus::Succeeded {
        return Err(BenchError::JobNotSucceeded {
            job_id: created.job_id.to_string(),
            status: job.status,
        });
    }
    Ok(elapsed)
}

/// The label worker's labeler and the extract function's limits, from their environments in the
/// template as the stack resolved them (and the worker's API key from the stack's Secrets
/// Manager, as the worker fetches it).
async fn same_work_as_the_stack(manifest: &Manifest) -> Result<(Labeler, Limits), BenchError> {
    let environment_of = |name: &str| {
        manifest
            .functions
            .iter()
            .find(|function| function.name == name)
            .map(|function| function.environment.clone())
            .unwrap_or_default()
    };
    let worker = environment_of("label-worker");
    let mut config = LabelConfig::from_env(&Env::from_fn(|name| worker.get(name).cloned()))
        .map_err(|error| BenchError::LabelerConfig(error.to_string()))?;
    if let Some(secret_id) = worker
        .get("NARRATIX_AI_SECRET_ARN")
        .filter(|arn| !arn.trim().is_empty())
    {
        config = config.with_api_key(fetch_api_key(manifest, secret_id).await?);
    }
    let labeler =
        Labeler::new(config).map_err(|error| BenchError::LabelerConfig(error.to_string()))?;
    let extract = environment_of("extract");
    let limits = Limits::from_lookup(|name| extract.get(name).cloned())
        .map_err(|error| BenchError::LabelerConfig(format!("extract limits: {error}")))?;
    Ok((labeler, limits))
}

async fn fetch_api_key(manifest: &Manifest, secret_id: &str) -> Result<ApiKey, BenchError> {
    // The stack's own clients: its endpoint, region and local credentials.
    let secret = Clients::new(&manifest.endpoint, &manifest.region)
        .await
        .secrets
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|error| {
            BenchError::LabelerConfig(format!(
                "reading the AI key secret: {}",
                aws_sdk_secretsmanager::error::DisplayErrorContext(error)
            ))
        })?;
    let text = secret.secret_string().unwrap_or_default();
    // The worker accepts a plain key or {"apiKey": "..."}.
    let key = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(fields)) => fields
            .get("apiKey")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        _ => text.to_owned(),
    };
    Ok(ApiKey::new(key))
}

/// The same files extracted (isolated, as the extract function does) and labeled, all at once.
async fn in_process_job(
    labeler: &Arc<Labeler>,
    limits: &Arc<Limits>,
    uploads: &[Upload],
) -> Result<Duration, BenchError> {
    let started = Instant::now();
    let files = uploads.iter().map(|upload| {
        let labeler = labeler.clone();
        let limits = limits.clone();
        let upload = upload.clone();
        async move {
            let name = upload.name.clone();
            let extracted =
                tokio::task::spawn_blocking(move || extract_isolated(&upload.bytes, &limits))
                    .await
                    .map_err(|error| BenchError::InProcess {
                        stage: "extraction",
                        file: name.clone(),
                        reason: error.to_string(),
                    })?
                    .map_err(|error| BenchError::InProcess {
                        stage: "extraction",
                        file: name.clone(),
                        reason: error.to_string(),
                    })?;
            labeler
                .label(&extracted.text)
                .await
                .map_err(|error| BenchError::InProcess {
                    stage: "labeling",
                    file: name,
                    reason: error.to_string(),
                })?;
            Ok::<_, BenchError>(())
        }
    });
    for outcome in futures_util::future::join_all(files).await {
        outcome?;
    }
    Ok(started.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|&v| Duration::from_millis(v)).collect()
    }

    #[test]
    fn nearest_rank_median_and_p90() {
        let spread = Spread::of(&ms(&[500, 100, 400, 200, 300])).expect("runs");
        assert_eq!(spread.median, Duration::from_millis(300));
        assert_eq!(spread.p90, Duration::from_millis(500));
        let ten = Spread::of(&ms(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).expect("runs");
        assert_eq!(
            (ten.median, ten.p90),
            (Duration::from_millis(5), Duration::from_millis(9))
        );
        assert!(Spread::of(&[]).is_none());
    }

    #[test]
    fn the_table_shows_the_difference() {
        let report = BenchReport {
            files: 3,
            labeler: "offline".into(),
            stack: ms(&[900, 1000, 1100, 1000, 950]),
            in_process: ms(&[300, 310, 320, 330, 340]),
        };
        let table = report.table();
        assert!(table.contains("orchestration overhead"), "{table}");
        assert!(table.contains("0.680"), "{table}");
        assert!(report.overhead_within_budget());
    }
}
