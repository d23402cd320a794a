//! `narratix-local demo`: one job through the whole local stack, as a user sees it. Starts the
//! stack in-process, uploads the PDFs through the HTTP API (presigned URLs), follows the job over
//! the WebSocket, prints each file's progress with timings, the labeled pairs, the job's final
//! status and the execution's state-by-state history, and stops everything it started — also on
//! Ctrl-C and on error.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use narratix_domain::messages::ServerMessage;
use narratix_domain::{describe_length, FileStatus, JobStatus, LabeledPair, MAX_FILES_PER_JOB};
use tokio::signal::unix::{signal, SignalKind};

use crate::client::{ClientError, Incoming, Job, StackClient, Upload};
use crate::history::{self, HistorySummary};
use narratix_local_emulator::Clients;
use narratix_local_emulator::LocalError;
use narratix_local_emulator::{up, Manifest, RunningStack, StackConfig};

/// The largest PDF the HTTP API accepts.
pub const MAX_PDF_BYTES: u64 = 5 * 1024 * 1024;
/// Where a PDF's `%PDF-` header may start.
const HEADER_WINDOW: usize = 1024;
/// The demo's user (the JWT subject).
pub const DEMO_USER: &str = "demo-user";
/// Characters of each answer shown.
const ANSWER_PREVIEW_CHARS: usize = 60;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// A bad command-line argument: said before anything starts.
    #[error("{0}")]
    BadArgument(String),
    #[error("{0}")]
    Stack(#[from] LocalError),
    #[error("{0}")]
    Client(#[from] ClientError),
    #[error("{0}")]
    History(#[from] history::HistoryError),
    #[error("interrupted")]
    Interrupted,
    #[error("cannot install signal handlers: {0}")]
    Signals(std::io::Error),
    #[error("writing the output: {0}")]
    Output(#[from] std::io::Error),
}

#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// The PDFs (already checked by [`check_pdfs`]).
    pub pdfs: Vec<PathBuf>,
    /// Keep the stack running after the job until Ctrl-C.
    pub keep: bool,
    /// With `keep`: open the web page on the job in the desktop's browser (`xdg-open`), when
    /// there is a desktop.
    pub open_page: bool,
    /// How long the job may take before the demo gives up on the WebSocket and reads the job.
    pub job_timeout: Duration,
}

/// How the demo ended.
#[derive(Debug, Clone)]
pub struct DemoOutcome {
    pub job_id: String,
    pub status: JobStatus,
    pub execution_arn: String,
}

/// The sample PDFs of `tests/fixtures/samples.txt` (ids of `tests/fixtures/corpus/ID.pdf`).
pub fn sample_pdfs(root: &Path) -> Result<Vec<PathBuf>, DemoError> {
    let list = root.join("tests/fixtures/samples.txt");
    let text = std::fs::read_to_string(&list)
        .map_err(|error| DemoError::BadArgument(format!("reading {}: {error}", list.display())))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|id| !id.is_empty() && !id.starts_with('#'))
        .map(|id| root.join("tests/fixtures/corpus").join(format!("{id}.pdf")))
        .collect())
}

/// Refuses, with a clear message, what the HTTP API would refuse anyway: a missing or unreadable
/// file, a name not ending in `.pdf`, an empty or oversized file, one without the `%PDF-`
/// header, more than three files. A file that passes but is not a well-formed PDF goes through
/// the pipeline and ends FAILED with its named error.
pub fn check_pdfs(pdfs: &[PathBuf]) -> Result<(), DemoError> {
    if pdfs.is_empty() || pdfs.len() > MAX_FILES_PER_JOB {
        return Err(DemoError::BadArgument(format!(
            "a job holds 1 to {MAX_FILES_PER_JOB} PDFs; got {}",
            pdfs.len()
        )));
    }
    for pdf in pdfs {
        let shown = pdf.display();
        let metadata = std::fs::metadata(pdf)
            .map_err(|error| DemoError::BadArgument(format!("{shown}: {error}")))?;
        if !metadata.is_file() {
            return Err(DemoError::BadArgument(format!("{shown}: not a file")));
        }
        let is_pdf_name = pdf
            .extension()
            .is_some_and(|extension| extension.eq_ignore_ascii_case("pdf"));
        if !is_pdf_name {
            return Err(DemoError::BadArgument(format!(
                "{shown}: not a PDF (the name must end in .pdf)"
            )));
        }
        if metadata.len() == 0 || metadata.len() > MAX_PDF_BYTES {
            return Err(DemoError::BadArgument(format!(
                "{shown}: {} bytes; a PDF must have 1 to {MAX_PDF_BYTES} bytes",
                metadata.len()
            )));
        }
        let bytes = std::fs::read(pdf)
            .map_err(|error| DemoError::BadArgument(format!("{shown}: {error}")))?;
        let head = &bytes[..bytes.len().min(HEADER_WINDOW)];
        if !head.windows(5).any(|window| window == b"%PDF-") {
            return Err(DemoError::BadArgument(format!(
                "{shown}: not a PDF (no %PDF- header in its first {HEADER_WINDOW} bytes)"
            )));
        }
    }
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub struct Interrupts {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Interrupts {
    pub fn install() -> Result<Interrupts, DemoError> {
        Ok(Interrupts {
            interrupt: signal(SignalKind::interrupt()).map_err(DemoError::Signals)?,
            terminate: signal(SignalKind::terminate()).map_err(DemoError::Signals)?,
        })
    }

    pub async fn received(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

/// Runs the demo on a stack started from `config`, printing to stdout, and stops the stack
/// whatever happens.
pub async fn run(config: &StackConfig, options: &DemoOptions) -> Result<DemoOutcome, DemoError> {
    check_pdfs(&options.pdfs)?;
    let mut interrupts = Interrupts::install()?;
    let mut out = std::io::stdout();
    writeln!(
        out,
        "==> starting the local stack (moto, the function emulator, the gateway on 127.0.0.1:{})",
        config.gateway_port
    )?;
    let stack = tokio::select! {
        started = up(config) => started?,
        // Dropping the unfinished start kills the process groups it had started.
        _ = interrupts.received() => return Err(DemoError::Interrupted),
    };
    let outcome = tokio::select! {
        outcome = show_job(&stack.manifest, options, &mut out) => outcome,
        _ = interrupts.received() => Err(DemoError::Interrupted),
    };
    let kept = match &outcome {
        Ok(outcome) if options.keep => {
            keep_running(
                &stack,
                outcome,
                options.open_page,
                &mut interrupts,
                &mut out,
            )
            .await
        }
        _ => Ok(()),
    };
    // Stopping comes first: a failed write must not leave the stack running.
    let _ = writeln!(out, "==> stopping the local stack");
    stack.stop().await;
    kept?;
    outcome
}

async fn keep_running(
    stack: &RunningStack,
    outcome: &DemoOutcome,
    open_page: bool,
    interrupts: &mut Interrupts,
    out: &mut dyn Write,
) -> Result<(), DemoError> {
    let manifest = &stack.manifest;
    writeln!(out)?;
    writeln!(
        out,
        "==> the stack keeps running (Ctrl-C stops it). Inspect the execution with:"
    )?;
    writeln!(
        out,
        "  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION={} \\\n    aws --endpoint-url {} stepfunctions get-execution-history --execution-arn {}",
        manifest.region, manifest.endpoint, outcome.execution_arn
    )?;
    let client = StackClient::from_manifest(manifest)?;
    if let Some(api) = &client.stack.http_api_url {
        writeln!(out, "  the job over the HTTP API:")?;
        writeln!(
            out,
            "    curl -H \"Authorization: Bearer $(cargo run -q --bin narratix -- token --user {DEMO_USER} --stack {})\" {api}/jobs/{}",
            stack.manifest_path.display(),
            outcome.job_id
        )?;
    }
    let page = format!(
        "{}/?as={DEMO_USER}&job={}",
        manifest.endpoint, outcome.job_id
    );
    writeln!(
        out,
        "  the web page on this job, signed in as {DEMO_USER}:\n    {page}"
    )?;
    writeln!(
        out,
        "  every address and name of the stack: {}",
        stack.manifest_path.display()
    )?;
    if open_page {
        open_in_browser(&page, out)?;
    }
    out.flush()?;
    interrupts.received().await;
    Ok(())
}

/// Opens `url` with the desktop's opener; without a desktop, says how to open it.
fn open_in_browser(url: &str, out: &mut dyn Write) -> Result<(), DemoError> {
    let desktop = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()));
    let opened = desktop
        && std::process::Command::new("xdg-open")
            .arg(url)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
    if opened {
        writeln!(out, "==> opened the web page in your browser")?;
    } else {
        writeln!(
            out,
            "==> no desktop browser to open here: open the address above in a browser on this machine"
        )?;
    }
    Ok(())
}

/// What one file went through, from the WebSocket messages.
#[derive(Debug, Default)]
struct FileTimeline {
    extracting_at: Option<Duration>,
    labeling_at: Option<Duration>,
    done_at: Option<Duration>,
    pairs: Option<Vec<LabeledPair>>,
}

/// The demo's job on a running stack: uploads, subscribes, starts, prints the live progress,
/// the labeled pairs, the final status and the execution history to `out`.
pub async fn show_job(
    manifest: &Manifest,
    options: &DemoOptions,
    out: &mut (dyn Write + Send),
) -> Result<DemoOutcome, DemoError> {
    writeln!(
        out,
        "    ready in {:.1} s; AWS endpoint {}",
        manifest.started_in_seconds, manifest.endpoint
    )?;
    let client = StackClient::from_manifest(manifest)?;
    match &client.stack.ai_url {
        Some(url) => writeln!(out, "    labeler: the mock AI (OpenAI-compatible) at {url}")?,
        None => writeln!(out, "    labeler: the built-in offline labeler")?,
    }
    let user = client.user(DEMO_USER)?;
    let uploads = options
        .pdfs
        .iter()
        .map(|pdf| Upload::from_path(pdf))
        .collect::<Result<Vec<_>, _>>()?;

    let upload_started = Instant::now();
    let created = user.create_and_upload(&uploads).await?;
    let job_id = created.job_id.clone();
    let names: BTreeMap<String, String> = created
        .files
        .iter()
        .map(|file| (file.file_id.to_string(), file.name.clone()))
        .collect();
    writeln!(
        out,
        "==> job {job_id}: {} file(s) uploaded through presigned URLs in {} ms",
        created.files.len(),
        upload_started.elapsed().as_millis()
    )?;

    let mut socket = user.connect().await?;
    let answer = socket
        .subscribe_and_confirm(&job_id, Duration::from_secs(10))
        .await?;
    match &answer {
        Incoming::Server(ServerMessage::Subscribed { status, .. }) => writeln!(
            out,
            "==> WebSocket connected and subscribed (job {})",
            wire_name(status)
        )?,
        other => writeln!(out, "==> WebSocket connected; subscribe answered {other:?}")?,
    }

    let started = Instant::now();
    user.start_job(&job_id).await?;
    writeln!(out, "==> job started; live progress:")?;
    let mut timelines: BTreeMap<String, FileTimeline> = BTreeMap::new();
    let mut write_failure = None;
    let followed = socket
        .until_final(&job_id, options.job_timeout, |message| {
            let shown = show_progress(out, message, started.elapsed(), &names, &mut timelines);
            if let Err(error) = shown {
                write_failure.get_or_insert(error);
            }
        })
        .await;
    let total = started.elapsed();
    if let Some(error) = write_failure {
        return Err(error.into());
    }
    if let Err(error) = &followed {
        writeln!(
            out,
            "    (the WebSocket did not bring the end: {error}; reading the job instead)"
        )?;
    }
    // Closing is a courtesy: the job is read over HTTP either way.
    let _ = socket.close().await;

    let job = user.wait_final(&job_id, Duration::from_secs(5)).await?;
    writeln!(out)?;
    print_results(out, &job, &timelines)?;
    writeln!(
        out,
        "job status: {} in {:.2} s from the start request{}",
        wire_name(&job.status),
        total.as_secs_f64(),
        failed_files(&job)
    )?;

    let execution_arn = execution_arn(manifest.state_machine_arn.as_deref(), &job_id);
    let clients = Clients::new(&manifest.endpoint, &manifest.region).await;
    let summary = history::summarize(&clients.sfn, &execution_arn).await?;
    print_history(out, &execution_arn, &summary, options.keep)?;
    Ok(DemoOutcome {
        job_id: job_id.to_string(),
        status: job.status,
        execution_arn,
    })
}

/// A status as the wire and the user see it (`PARTIAL`).
fn wire_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::from("?"),
    }
}

/// The execution the API starts for a job is named by the job id.
pub fn execution_arn(state_machine_arn: Option<&str>, job_id: &str) -> String {
    let machine = state_machine_arn.unwrap_or_default();
    format!(
        "{}:{job_id}",
        machine.replacen(":stateMachine:", ":execution:", 1)
    )
}

fn show_progress(
    out: &mut (dyn Write + Send),
    message: &Incoming,
    at: Duration,
    names: &BTreeMap<String, String>,
    timelines: &mut BTreeMap<String, FileTimeline>,
) -> std::io::Result<()> {
    let stamp = format!("  +{:>6.2}s", at.as_secs_f64());
    let name_of = |file_id: &str| names.get(file_id).cloned().unwrap_or_default();
    match message {
        Incoming::Server(ServerMessage::FileProgress { file_id, stage, .. }) => {
            let timeline = timelines.entry(file_id.to_string()).or_default();
            let stage = match stage {
                FileStatus::Labeling => {
                    timeline.labeling_at = Some(at);
                    "labeling".to_owned()
                }
                FileStatus::Extracting => {
                    timeline.extracting_at = Some(at);
                    "extracting".to_owned()
                }
                other => format!("{other:?}"),
            };
            writeln!(out, "{stamp}  {file_id} {:<28} {stage}", name_of(file_id))
        }
        Incoming::Server(ServerMessage::FileDone {
            file_id,
            status,
            error,
            pairs,
            pair_count,
            ..
        }) => {
            let timeline = timelines.entry(file_id.to_string()).or_default();
            timeline.done_at = Some(at);
            timeline.pairs = pairs.clone();
            let stages = stage_timings(timeline);
            let what = match status {
                FileStatus::Succeeded => format!(
                    "done: {} pair(s)",
                    pair_count
                        .map(u64::from)
                        .or(pairs.as_ref().map(|pairs| pairs.len() as u64))
                        .unwrap_or(0)
                ),
                _ => format!("FAILED: {}", error.as_deref().unwrap_or("(no error name)")),
            };
            writeln!(
                out,
                "{stamp}  {file_id} {:<28} {what}{stages}",
                name_of(file_id)
            )
        }
        Incoming::Server(ServerMessage::JobDone {
            status,
            succeeded,
            failed,
            ..
        }) => writeln!(
            out,
            "{stamp}  job {} ({succeeded} succeeded, {failed} failed)",
            wire_name(status)
        ),
        Incoming::Server(ServerMessage::JobFailed { error, cause, .. }) => {
            writeln!(out, "{stamp}  job FAILED: {error} ({cause})")
        }
        Incoming::Server(ServerMessage::Subscribed { status, .. }) => {
            writeln!(out, "{stamp}  subscribed (job {})", wire_name(status))
        }
        Incoming::Server(ServerMessage::JobDeleted { .. }) => {
            writeln!(out, "{stamp}  job deleted")
        }
        Incoming::Server(ServerMessage::Error { error, message }) => {
            writeln!(out, "{stamp}  error {error}: {message}")
        }
        Incoming::Server(ServerMessage::SessionExpired { expired_at }) => {
            writeln!(
                out,
                "{stamp}  session expired at {expired_at}: the server closes the socket"
            )
        }
        Incoming::Other(value) => writeln!(out, "{stamp}  {value}"),
    }
}

fn stage_timings(timeline: &FileTimeline) -> String {
    let span = |from: Option<Duration>, to: Option<Duration>| match (from, to) {
        (Some(from), Some(to)) => Some(to.saturating_sub(from).as_secs_f64()),
        _ => None,
    };
    let mut parts = Vec::new();
    if let Some(seconds) = span(
        timeline.extracting_at,
        timeline.labeling_at.or(timeline.done_at),
    ) {
        parts.push(format!("extract {seconds:.2} s"));
    }
    if let Some(seconds) = span(timeline.labeling_at, timeline.done_at) {
        parts.push(format!("label {seconds:.2} s"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("  ({})", parts.join(", "))
    }
}

fn one_line_preview(text: &str, chars: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut preview: String = flat.chars().take(chars).collect();
    if flat.chars().count() > chars {
        preview.push('…');
    }
    preview
}

fn print_results(
    out: &mut (dyn Write + Send),
    job: &Job,
    timelines: &BTreeMap<String, FileTimeline>,
) -> std::io::Result<()> {
    for file in &job.files {
        let header = match file.status {
            FileStatus::Succeeded => format!(
                "SUCCEEDED, {} pair(s), {} page(s){}",
                file.pair_count.unwrap_or(0),
                file.pages.unwrap_or(0),
                if file.truncated { ", truncated" } else { "" }
            ),
            FileStatus::Failed => format!(
                "FAILED {}: {}",
                file.error.as_deref().unwrap_or("(no error name)"),
                file.cause.as_deref().unwrap_or("")
            ),
            other => format!("{other:?}"),
        };
        writeln!(out, "── {} {} — {header}", file.file_id, file.name)?;
        if let Some(prefill) = &file.prefill {
            write!(out, "   {}", prefill.describe())?;
        }
        // The pairs as the WebSocket delivered them; GET /jobs/{id} when they were too large.
        let pairs = timelines
            .get(file.file_id.as_str())
            .and_then(|timeline| timeline.pairs.as_ref())
            .or(file.pairs.as_ref());
        for pair in pairs.into_iter().flatten() {
            writeln!(
                out,
                "   [{}] {}",
                pair.category.label(),
                one_line_preview(&pair.question, 80)
            )?;
            writeln!(
                out,
                "       {}",
                one_line_preview(&pair.answer, ANSWER_PREVIEW_CHARS)
            )?;
            writeln!(
                out,
                "       ({})",
                describe_length(&pair.answer_length, pair.limit.as_ref(), pair.over_limit)
            )?;
        }
    }
    writeln!(out)
}

fn failed_files(job: &Job) -> String {
    let failed: Vec<String> = job
        .files
        .iter()
        .filter(|file| file.status == FileStatus::Failed)
        .map(|file| {
            format!(
                "{} {}",
                file.file_id,
                file.error.as_deref().unwrap_or("(no error name)")
            )
        })
        .collect();
    let job_error = job
        .error
        .as_deref()
        .map(|error| format!("; job error {error}"))
        .unwrap_or_default();
    if failed.is_empty() {
        job_error
    } else {
        format!("; failed: {}{job_error}", failed.join(", "))
    }
}

fn print_history(
    out: &mut (dyn Write + Send),
    execution_arn: &str,
    summary: &HistorySummary,
    keep: bool,
) -> std::io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "==> execution history ({execution_arn}), state by state:"
    )?;
    write!(out, "  {summary}")?;
    if !keep {
        writeln!(
            out,
            "  (with --keep the stack stays up to read the raw history: `aws stepfunctions get-execution-history`)"
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write");
        path
    }

    #[test]
    fn bad_arguments_are_named() {
        let dir = tempfile::tempdir().expect("dir");
        let good = write(dir.path(), "a.pdf", b"%PDF-1.7\n...");
        assert!(check_pdfs(std::slice::from_ref(&good)).is_ok());
        let message = |pdfs: &[PathBuf]| match check_pdfs(pdfs) {
            Err(DemoError::BadArgument(message)) => message,
            other => panic!("expected a bad argument, got {other:?}"),
        };
        assert!(message(&[dir.path().join("missing.pdf")]).contains("missing.pdf"));
        assert!(
            message(&[write(dir.path(), "notes.txt", b"%PDF-1.7")]).contains("must end in .pdf")
        );
        assert!(message(&[write(dir.path(), "fake.pdf", b"hello")]).contains("no %PDF- header"));
        assert!(message(&[write(dir.path(), "empty.pdf", b"")]).contains("1 to"));
        assert!(message(&[good.clone(), good.clone(), good.clone(), good]).contains("1 to 3"));
        assert!(message(&[]).contains("got 0"));
    }

    #[test]
    fn the_samples_are_three_fixture_pdfs() {
        let root = narratix_local_emulator::testing::repository_root();
        let samples = sample_pdfs(&root).expect("samples");
        assert_eq!(samples.len(), 3);
        check_pdfs(&samples).expect("the samples are PDFs");
    }

    #[test]
    fn previews_are_one_line_and_cut_by_characters() {
        assert_eq!(
            one_line_preview("저는\n  협업을 중시합니다", 6),
            "저는 협업을…"
        );
        assert_eq!(one_line_preview("짧다", 6), "짧다");
    }

    #[test]
    fn execution_arns_are_named_by_the_job() {
        assert_eq!(
            execution_arn(
                Some("arn:aws:states:us-east-1:000000000000:stateMachine:label-job"),
                "abc"
            ),
            "arn:aws:states:us-east-1:000000000000:execution:label-job:abc"
        );
    }
}
