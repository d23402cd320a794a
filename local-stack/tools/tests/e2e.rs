//! End to end, as users meet the system: dev tokens, the HTTP API with presigned uploads, the
//! WebSocket API, the real state machine on moto, the real function binaries, the mock AI and
//! the fault controls — one stack for the whole binary (starting one costs seconds), the
//! scenarios in sequence so that no fault reaches another scenario's job. Each scenario asserts
//! its job's terminal status and that exactly one final notice (`jobDone` or `jobFailed`)
//! reached the owner's socket.
//!
//! Needs the venv of `scripts/setup-local` and the built functions. Without the venv the test
//! says so and does nothing, unless `NARRATIX_LOCAL_SETUP=1` (runs `scripts/setup-local`
//! first) or `NARRATIX_REQUIRE_LOCAL_STACK=1` (fails instead; the suite sets it).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sfn::types::HistoryEventType;
use aws_sdk_sqs::types::QueueAttributeName;
use futures_util::FutureExt;
use narratix_domain::messages::ServerMessage;
use narratix_domain::{FileStatus, JobStatus};
use narratix_local::client::{
    answered_with, scripted, AiFaults, ClientError, FailNext, Incoming, Job, ScriptedResponse,
    StackClient, Upload, UserClient,
};
use narratix_local::demo::{self, execution_arn, sample_pdfs, DemoOptions};
use narratix_local::history::{self, HistorySummary};
use narratix_local_emulator::Clients;
use narratix_local_emulator::{up, AiMode, Manifest, PropertyOverride, RunningStack, StackConfig};

use narratix_local_emulator::testing::{isolated_config, repository_root, stack_available};

const ENCRYPTED_PDF: &str = "tests/fixtures/hostile/encrypted-user-aes-128.pdf";
const LABEL_STATE: &str = "Label questions and answers";
const EXTRACT_STATE: &str = "Extract text";
/// A job of this suite ends well within this (the 429 hand-backs wait 1 + 5 s).
const JOB_DEADLINE: Duration = Duration::from_secs(60);
/// How long to listen after a final notice for a second one.
const AFTER_FINAL_QUIET: Duration = Duration::from_millis(400);
const ANSWER_WAIT: Duration = Duration::from_secs(10);

/// What every scenario reaches the stack with.
struct World {
    root: PathBuf,
    manifest: Manifest,
    stack: StackClient,
    aws: Clients,
    table: String,
    state_machine_arn: String,
    samples: Vec<PathBuf>,
}

impl World {
    fn user(&self, name: &str) -> UserClient {
        self.stack.user(name).expect("a dev token for the user")
    }

    fn pdf(&self, relative: &str) -> Upload {
        Upload::from_path(&self.root.join(relative)).expect("fixture PDF")
    }

    /// The ground truth of the `index`th sample PDF: (question, answer, category key) in order.
    fn sample_truth(&self, index: usize) -> Vec<(String, String, String)> {
        self.truth_file(index)["pairs"]
            .as_array()
            .expect("truth pairs")
            .iter()
            .map(|pair| {
                let field = |name: &str| pair[name].as_str().unwrap_or_default().to_owned();
                (field("question"), field("answer"), field("category"))
            })
            .collect()
    }

    /// The ground-truth text of the `index`th sample PDF.
    fn sample_text(&self, index: usize) -> String {
        self.truth_file(index)["text"]
            .as_str()
            .expect("truth text")
            .to_owned()
    }

    /// The `index`th sample PDF's ground-truth file.
    fn truth_file(&self, index: usize) -> serde_json::Value {
        let path = self.samples[index].with_extension("json");
        let file = std::fs::read(&path).expect("the sample's truth file");
        serde_json::from_slice(&file).expect("truth JSON")
    }

    fn samples(&self, count: usize) -> Vec<Upload> {
        self.samples
            .iter()
            .take(count)
            .map(|path| Upload::from_path(path).expect("sample PDF"))
            .collect()
    }

    fn execution_arn(&self, job_id: &str) -> String {
        execution_arn(Some(&self.state_machine_arn), job_id)
    }

    async fn history(&self, job_id: &str) -> HistorySummary {
        history::summarize(&self.aws.sfn, &self.execution_arn(job_id))
            .await
            .expect("the execution's history")
    }

    /// Puts the mock AI back to normal behaviour.
    async fn reset_faults(&self) {
        self.stack
            .clear_ai_script()
            .await
            .expect("clearing the AI script");
        self.stack
            .set_ai_faults(&AiFaults::default())
            .await
            .expect("resetting the AI faults");
        for function in ["extract", "label-worker"] {
            self.stack
                .clear_fail_next(function)
                .await
                .expect("disarming injected failures");
        }
    }

    /// Messages in the label queue, visible or in flight.
    async fn label_queue_depth(&self) -> u64 {
        let url = self
            .manifest
            .queues
            .get("LabelQueue")
            .expect("the label queue's URL");
        let attributes = self
            .aws
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
            .send()
            .await
            .expect("GetQueueAttributes")
            .attributes
            .unwrap_or_default();
        attributes
            .values()
            .filter_map(|count| count.parse::<u64>().ok())
            .sum()
    }

    async fn item_exists(&self, pk: &str, sk: &str) -> bool {
        self.aws
            .dynamodb
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk.to_owned()))
            .key("sk", AttributeValue::S(sk.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .expect("reading the table")
            .item
            .is_some()
    }
}

/// One job as its owner saw it.
struct JobRun {
    job_id: String,
    /// Everything the owner's socket received after the subscription answer.
    messages: Vec<Incoming>,
    job: Job,
    seconds: f64,
}

impl JobRun {
    fn final_notices(&self) -> Vec<&ServerMessage> {
        self.messages
            .iter()
            .filter(|message| message.is_final_notice())
            .filter_map(|message| match message {
                Incoming::Server(message) => Some(message),
                Incoming::Other(_) => None,
            })
            .collect()
    }

    /// The one final notice; fails the scenario unless there is exactly one.
    fn final_notice(&self) -> &ServerMessage {
        let notices = self.final_notices();
        assert_eq!(
            notices.len(),
            1,
            "job {}: expected exactly one final notice, got {notices:?}",
            self.job_id
        );
        notices[0]
    }

    fn file_done(&self, file_id: &str) -> Vec<&ServerMessage> {
        self.messages
            .iter()
            .filter_map(|message| match message {
                Incoming::Server(message @ ServerMessage::FileDone { file_id: id, .. })
                    if id == file_id =>
                {
                    Some(message)
                }
                _ => None,
            })
            .collect()
    }

    fn stages_of(&self, file_id: &str) -> Vec<FileStatus> {
        self.messages
            .iter()
            .filter_map(|message| match message {
                Incoming::Server(ServerMessage::FileProgress {
                    file_id: id, stage, ..
                }) if id == file_id => Some(*stage),
                _ => None,
            })
            .collect()
    }

    fn file(&self, file_id: &str) -> &narratix_local::client::JobFile {
        self.job
            .files
            .iter()
            .find(|file| file.file_id == file_id)
            .unwrap_or_else(|| panic!("job {} has no file {file_id}", self.job_id))
    }
}

/// Creates the job, uploads through the presigned URLs, subscribes, starts and follows it to
/// its final notice, then listens a little longer for a second one.
async fn run_job(user: &UserClient, uploads: &[Upload]) -> JobRun {
    let created = user
        .create_and_upload(uploads)
        .await
        .expect("creating the job and uploading its PDFs");
    assert_eq!(created.status, JobStatus::Created);
    assert_eq!(created.files.len(), uploads.len());
    let job_id = created.job_id;
    let mut socket = user.connect().await.expect("the owner's WebSocket opens");
    let answer = socket
        .subscribe_and_confirm(&job_id, ANSWER_WAIT)
        .await
        .expect("an answer to subscribe");
    assert!(
        matches!(
            &answer,
            Incoming::Server(ServerMessage::Subscribed {
                status: JobStatus::Created,
                ..
            })
        ),
        "subscribe answered {answer:?}"
    );
    let started = Instant::now();
    let job = user.start_job(&job_id).await.expect("the job starts");
    assert!(
        job.status != JobStatus::Created,
        "a started job is no longer CREATED: {job:?}"
    );
    let mut messages = socket
        .until_final(&job_id, JOB_DEADLINE, |_| {})
        .await
        .unwrap_or_else(|error| panic!("job {job_id}: {error}"));
    let seconds = started.elapsed().as_secs_f64();
    messages.extend(
        socket
            .drain(AFTER_FINAL_QUIET)
            .await
            .expect("the socket stays open after the final notice"),
    );
    let job = user.job(&job_id).await.expect("GET /jobs/{id}");
    JobRun {
        job_id: job_id.to_string(),
        messages,
        job,
        seconds,
    }
}

fn assert_job_done(run: &JobRun, status: JobStatus, succeeded: u32, failed: u32) {
    match run.final_notice() {
        ServerMessage::JobDone {
            status: notice_status,
            succeeded: notice_succeeded,
            failed: notice_failed,
            ..
        } => assert_eq!(
            (*notice_status, *notice_succeeded, *notice_failed),
            (status, succeeded, failed),
            "job {}: the jobDone notice; files: {}",
            run.job_id,
            file_outcomes(run)
        ),
        other => panic!("job {}: expected jobDone, got {other:?}", run.job_id),
    }
    assert_eq!(
        (run.job.status, run.job.succeeded, run.job.failed),
        (status, succeeded, failed),
        "job {}: GET /jobs/{{id}} after the final notice",
        run.job_id
    );
}

/// Each file's id, status, error and cause, for an assertion's message.
fn file_outcomes(run: &JobRun) -> String {
    run.job
        .files
        .iter()
        .map(|file| {
            format!(
                "{} {:?} {} {}",
                file.file_id,
                file.status,
                file.error.as_deref().unwrap_or("-"),
                file.cause.as_deref().unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn assert_file_failed(run: &JobRun, file_id: &str, error: &str) {
    let file = run.file(file_id);
    assert_eq!(
        (file.status, file.error.as_deref()),
        (FileStatus::Failed, Some(error)),
        "job {} file {file_id}: {:?}",
        run.job_id,
        file.cause
    );
    let done = run.file_done(file_id);
    assert!(
        matches!(
            done.as_slice(),
            [ServerMessage::FileDone { status: FileStatus::Failed, error: Some(name), .. }] if name == error
        ),
        "job {} file {file_id}: expected one fileDone FAILED {error}, got {done:?}",
        run.job_id
    );
}

/// The file's pairs are the document's ground truth: the mock AI answered with the true line
/// spans, so the extraction's lines and the labeler's reading of the answer (spans checked,
/// lines sliced and joined) decide what is stored.
fn assert_file_is_truth(run: &JobRun, file_id: &str, truth: &[(String, String, String)]) {
    let pairs: Vec<(String, String, String)> = run
        .file(file_id)
        .pairs
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|pair| {
            (
                pair.question.clone(),
                pair.answer.clone(),
                pair.category.key().to_owned(),
            )
        })
        .collect();
    assert_eq!(pairs, truth, "job {} file {file_id}", run.job_id);
}

/// The length limit a question states as `(N자)` at its end, read here independently of the
/// labeler's parser.
fn stated_limit(question: &str) -> Option<u32> {
    let inner = question.trim_end().strip_suffix("자)")?;
    let digits = &inner[inner.rfind('(')? + 1..];
    digits.replace(',', "").parse().ok()
}

/// Issue 15's fields reach the user: each pair's stated limit with the answer counted against
/// it, and the save-form suggestions, the same in the file's `fileDone` and in `GET /jobs/{id}`,
/// each suggestion quoting a line of the document.
fn assert_limits_and_prefill(run: &JobRun, file_id: &str, document_text: &str) {
    let file = run.file(file_id);
    for pair in file.pairs.as_deref().unwrap_or_default() {
        let Some(max) = stated_limit(&pair.question) else {
            continue;
        };
        let limit = pair.limit.as_ref().unwrap_or_else(|| {
            panic!(
                "job {} file {file_id}: no limit for {:?}",
                run.job_id, pair.question
            )
        });
        assert_eq!(limit.max, max, "job {} file {file_id}", run.job_id);
        assert_eq!(
            pair.answer_length.chars,
            pair.answer.chars().count() as u32,
            "job {} file {file_id}: the answer's length",
            run.job_id
        );
        assert_eq!(pair.over_limit, pair.answer_length.chars > max);
    }
    let prefill = file
        .prefill
        .as_ref()
        .unwrap_or_else(|| panic!("job {} file {file_id}: no prefill in GET", run.job_id));
    let lines: Vec<&str> = document_text.lines().collect();
    let position = prefill
        .position
        .as_ref()
        .unwrap_or_else(|| panic!("job {} file {file_id}: no position", run.job_id));
    assert!(
        position.line.contains(&position.value)
            && lines.iter().any(|line| line.contains(position.line.trim())),
        "job {} file {file_id}: {position:?} is not read from a line of the document",
        run.job_id
    );
    let notified = run
        .file_done(file_id)
        .into_iter()
        .find_map(|message| match message {
            ServerMessage::FileDone { prefill, .. } => prefill.clone(),
            _ => None,
        });
    assert_eq!(
        notified.as_deref(),
        Some(prefill),
        "job {} file {file_id}: fileDone and GET disagree on the prefill",
        run.job_id
    );
}

fn assert_file_labeled(run: &JobRun, file_id: &str) {
    let file = run.file(file_id);
    assert_eq!(
        file.status,
        FileStatus::Succeeded,
        "job {} file {file_id}: {:?} {:?}",
        run.job_id,
        file.error,
        file.cause
    );
    let pairs = file.pairs.as_deref().unwrap_or_default();
    assert!(
        !pairs.is_empty() && file.pair_count == Some(pairs.len() as u32),
        "job {} file {file_id}: {} pair(s), pairCount {:?}",
        run.job_id,
        pairs.len(),
        file.pair_count
    );
    assert!(
        pairs.iter().all(|pair| !pair.answer.trim().is_empty()),
        "job {} file {file_id}: an empty answer",
        run.job_id
    );
    assert_eq!(
        run.stages_of(file_id),
        vec![FileStatus::Extracting, FileStatus::Labeling],
        "job {} file {file_id}: progress notices",
        run.job_id
    );
    assert!(
        matches!(
            run.file_done(file_id).as_slice(),
            [ServerMessage::FileDone {
                status: FileStatus::Succeeded,
                ..
            }]
        ),
        "job {} file {file_id}: one fileDone SUCCEEDED",
        run.job_id
    );
}

// ---------------------------------------------------------------------------------------------
// Scenarios

async fn three_good_pdfs_succeed(world: &World) {
    let user = world.user("e2e-three-good");
    let before = world.stack.ai_status().await.expect("GET /_local/ai");
    let run = run_job(&user, &world.samples(3)).await;
    assert_job_done(&run, JobStatus::Succeeded, 3, 0);
    for (index, file_id) in ["f1", "f2", "f3"].into_iter().enumerate() {
        assert_file_labeled(&run, file_id);
        assert_file_is_truth(&run, file_id, &world.sample_truth(index));
        assert_limits_and_prefill(&run, file_id, &world.sample_text(index));
    }
    let after = world.stack.ai_status().await.expect("GET /_local/ai");
    assert_eq!(
        answers_from(&after, "truth") - answers_from(&before, "truth"),
        3,
        "the mock AI recognised each sample and answered its ground truth: {after:?}"
    );
    let listed = user.jobs(20).await.expect("GET /jobs");
    assert!(
        listed
            .jobs
            .iter()
            .any(|job| job.job_id == run.job_id && job.status == JobStatus::Succeeded),
        "GET /jobs lists the finished job: {listed:?}"
    );
    eprintln!("  3 good PDFs: SUCCEEDED in {:.2} s", run.seconds);
}

/// The README's main command on this stack: its output, and a file that only looks like a PDF
/// ending as a FAILED file with its named error rather than a hang.
async fn the_demo_shows_pairs_status_and_history(world: &World) {
    let scratch = tempfile::tempdir().expect("temp dir");
    let broken = scratch.path().join("broken.pdf");
    std::fs::write(&broken, b"%PDF-1.7\nthis is not really a PDF\n")
        .expect("writing the broken PDF");
    let options = DemoOptions {
        pdfs: vec![world.samples[0].clone(), broken],
        keep: false,
        open_page: false,
        job_timeout: JOB_DEADLINE,
    };
    let mut output = Vec::new();
    let outcome = demo::show_job(&world.manifest, &options, &mut output)
        .await
        .expect("the demo runs");
    let output = String::from_utf8(output).expect("the demo prints UTF-8");
    assert_eq!(outcome.status, JobStatus::Partial, "{output}");
    for expected in [
        "live progress:",
        "f1 lo-docx-01.pdf",
        "extracting",
        "labeling",
        "── f1 lo-docx-01.pdf — SUCCEEDED",
        "── f2 broken.pdf — FAILED Extract.",
        "job status: PARTIAL",
        "failed: f2 Extract.",
        "execution history",
        LABEL_STATE,
    ] {
        assert!(
            output.contains(expected),
            "no {expected:?} in the demo's output:\n{output}"
        );
    }
    let korean_label = narratix_domain::Category::ALL
        .iter()
        .any(|category| output.contains(&format!("[{}]", category.label())));
    assert!(korean_label, "no Korean category label in:\n{output}");
}

async fn an_encrypted_pdf_makes_the_job_partial(world: &World) {
    let user = world.user("e2e-encrypted");
    let mut uploads = world.samples(2);
    uploads.push(world.pdf(ENCRYPTED_PDF));
    let run = run_job(&user, &uploads).await;
    assert_job_done(&run, JobStatus::Partial, 2, 1);
    assert_file_labeled(&run, "f1");
    assert_file_labeled(&run, "f2");
    assert_file_failed(&run, "f3", "Extract.Encrypted");
}

async fn rate_limited_ai_is_retried(world: &World) {
    let user = world.user("e2e-rate-limited");
    let before = world.stack.ai_status().await.expect("GET /_local/ai");
    world
        .stack
        .script_ai(&[
            ScriptedResponse {
                status: 429,
                retry_after_seconds: Some(1),
                ..ScriptedResponse::default()
            },
            scripted(429),
        ])
        .await
        .expect("scripting the AI");
    let run = run_job(&user, &world.samples(1)).await;
    assert_job_done(&run, JobStatus::Succeeded, 1, 0);
    assert_file_labeled(&run, "f1");
    let after = world.stack.ai_status().await.expect("GET /_local/ai");
    assert_eq!(
        answered_with(&after, 429) - answered_with(&before, 429),
        2,
        "the mock AI answered 429 twice: {after:?}"
    );
    assert_eq!(after.script_remaining, 0, "the script was used up");
    assert_eq!(
        after.requests - before.requests,
        3,
        "two refused calls and the one that labeled, no more: {after:?}"
    );
    let history = world.history(&run.job_id).await;
    let label = history
        .state(LABEL_STATE)
        .unwrap_or_else(|| panic!("no {LABEL_STATE:?} in the history:\n{history}"));
    assert_eq!(
        (
            label.failures_named("Label.RateLimited"),
            label.attempts,
            label.retries()
        ),
        (0, 1, 0),
        "the rate governor handed the file back to the queue twice; the state machine saw one attempt that succeeded:\n{history}"
    );
    eprintln!(
        "  429 twice: SUCCEEDED in {:.2} s, handed back twice, no state-machine retry",
        run.seconds
    );
}

/// A model answer out of the document (a span past its end): the labeler asks once more with
/// the problem, gets the true spans, and the file is stored as its ground truth.
async fn an_unusable_model_answer_is_repaired(world: &World) {
    let user = world.user("e2e-repair");
    let before = world.stack.ai_status().await.expect("GET /_local/ai");
    world
        .stack
        .script_ai(&[ScriptedResponse {
            status: 200,
            content: Some(r#"{"pairs":[{"q":[1,1],"a":[2,9999],"c":"OTHER"}]}"#.into()),
            ..ScriptedResponse::default()
        }])
        .await
        .expect("scripting the AI");
    let run = run_job(&user, &world.samples(1)).await;
    assert_job_done(&run, JobStatus::Succeeded, 1, 0);
    assert_file_labeled(&run, "f1");
    assert_file_is_truth(&run, "f1", &world.sample_truth(0));
    let after = world.stack.ai_status().await.expect("GET /_local/ai");
    assert_eq!(
        (
            answers_from(&after, "scripted") - answers_from(&before, "scripted"),
            answers_from(&after, "truth") - answers_from(&before, "truth"),
        ),
        (1, 1),
        "one scripted answer, then the repair turn answered with the truth: {after:?}"
    );
    assert_eq!(
        run.file("f1").pair_count,
        Some(world.sample_truth(0).len() as u32)
    );
    eprintln!(
        "  an unusable answer repaired: SUCCEEDED in {:.2} s",
        run.seconds
    );
}

fn answers_from(status: &narratix_local::client::AiStatus, source: &str) -> u64 {
    status.answers.get(source).copied().unwrap_or(0)
}

async fn ai_auth_failure_is_not_retried(world: &World) {
    let user = world.user("e2e-ai-auth");
    let before = world.stack.ai_status().await.expect("GET /_local/ai");
    world
        .stack
        .script_ai(&[scripted(401), scripted(401)])
        .await
        .expect("scripting the AI");
    let run = run_job(&user, &world.samples(1)).await;
    let after = world.stack.ai_status().await.expect("GET /_local/ai");
    assert_eq!(
        (
            after.requests - before.requests,
            answered_with(&after, 401) - answered_with(&before, 401)
        ),
        (2, 2),
        "two AI calls, both answered 401: the key, then the key read again from the secret: {after:?}"
    );
    let history = world.history(&run.job_id).await;
    let label = history
        .state(LABEL_STATE)
        .unwrap_or_else(|| panic!("no {LABEL_STATE:?} in the history:\n{history}"));
    assert_eq!(
        (label.failures_named("Label.Auth"), label.attempts),
        (1, 1),
        "Label.Auth reaches the state machine and is not retried:\n{history}"
    );
    assert_eq!(run.job.status, JobStatus::Failed, "{:?}", run.job);
    assert_job_done(&run, JobStatus::Failed, 0, 1);
    assert_file_failed(&run, "f1", "Label.Auth");
}

/// A key the provider refuses once (rotated in the secret meanwhile): the worker reads the
/// secret again and the same call succeeds, without a state-machine retry.
async fn a_refused_key_is_read_again_from_the_secret(world: &World) {
    let user = world.user("e2e-ai-key-rotated");
    let before = world.stack.ai_status().await.expect("GET /_local/ai");
    world
        .stack
        .script_ai(&[scripted(401)])
        .await
        .expect("scripting the AI");
    let run = run_job(&user, &world.samples(1)).await;
    let after = world.stack.ai_status().await.expect("GET /_local/ai");
    assert_eq!(
        (
            after.requests - before.requests,
            answered_with(&after, 401) - answered_with(&before, 401)
        ),
        (2, 1),
        "one refused call, then one with the key read again: {after:?}"
    );
    assert_job_done(&run, JobStatus::Succeeded, 1, 0);
    assert_file_is_truth(&run, "f1", &world.sample_truth(0));
}

async fn a_dropped_socket_leaves_the_result_readable(world: &World) {
    let user = world.user("e2e-dropped");
    let created = user
        .create_and_upload(&world.samples(1))
        .await
        .expect("creating the job");
    let mut socket = user.connect().await.expect("the WebSocket opens");
    socket
        .subscribe_and_confirm(&created.job_id, ANSWER_WAIT)
        .await
        .expect("subscribed");
    let connections = world
        .stack
        .connections_of(&user.user)
        .await
        .expect("GET /_local/websocket/connections");
    let [connection] = connections.as_slice() else {
        panic!("expected one connection of {}: {connections:?}", user.user);
    };
    let connection_id = connection.connection_id.clone();
    let record = (
        format!("CONN#{connection_id}"),
        format!("OWNER#{}", user.user),
        format!("CONN#{connection_id}"),
    );
    world
        .stack
        .drop_connection(&connection_id)
        .await
        .expect("dropping the connection");
    match socket.next(ANSWER_WAIT).await {
        Err(ClientError::Closed | ClientError::WebSocket(_)) => {}
        other => panic!("the dropped socket should end, got {other:?}"),
    }
    assert!(
        world.item_exists(&record.0, "CONN").await && world.item_exists(&record.1, &record.2).await,
        "a dropped socket ($disconnect never ran) keeps its connection records until notify meets 410"
    );

    user.start_job(&created.job_id)
        .await
        .expect("the job starts");
    let job = user
        .wait_final(&created.job_id, JOB_DEADLINE)
        .await
        .expect("GET /jobs/{id}");
    assert_eq!(
        job.status,
        JobStatus::Succeeded,
        "the result is readable without the socket: {job:?}"
    );
    assert!(job.files[0]
        .pairs
        .as_ref()
        .is_some_and(|pairs| !pairs.is_empty()));
    // notify posted to the gone connection, met 410 and removed its records.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let connection_left = world.item_exists(&record.0, "CONN").await;
        let owner_link_left = world.item_exists(&record.1, &record.2).await;
        if !connection_left && !owner_link_left {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "stale connection records of {connection_id} still there after the job \
             (connection item: {connection_left}, owner link: {owner_link_left})"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        world
            .stack
            .connections_of(&user.user)
            .await
            .expect("connections")
            .is_empty(),
        "the gateway forgot the dropped connection"
    );
}

async fn a_repeated_start_runs_one_execution(world: &World) {
    let user = world.user("e2e-repeated-start");
    let created = user
        .create_and_upload(&world.samples(1))
        .await
        .expect("creating the job");
    let job_id = created.job_id;
    let mut socket = user.connect().await.expect("the WebSocket opens");
    socket
        .subscribe_and_confirm(&job_id, ANSWER_WAIT)
        .await
        .expect("subscribed");
    // Two at once (a double click), then one more after.
    let (first, second) = tokio::join!(user.start_job(&job_id), user.start_job(&job_id));
    let first = first.expect("the first start");
    let second = second.expect("the concurrent start answers the job too");
    assert_eq!(
        (first.job_id.as_str(), second.job_id.as_str()),
        (job_id.as_str(), job_id.as_str())
    );
    let mut messages = socket
        .until_final(&job_id, JOB_DEADLINE, |_| {})
        .await
        .unwrap_or_else(|error| panic!("job {job_id}: {error}"));
    let again = user
        .start_job(&job_id)
        .await
        .expect("a start after the end");
    assert_eq!(again.status, JobStatus::Succeeded, "{again:?}");
    messages.extend(socket.drain(AFTER_FINAL_QUIET).await.expect("socket open"));
    let run = JobRun {
        job: user.job(&job_id).await.expect("GET /jobs/{id}"),
        job_id: job_id.to_string(),
        messages,
        seconds: 0.0,
    };
    assert_job_done(&run, JobStatus::Succeeded, 1, 0);
    assert_file_labeled(&run, "f1");
    let executions = world
        .aws
        .sfn
        .list_executions()
        .state_machine_arn(&world.state_machine_arn)
        .max_results(1000)
        .send()
        .await
        .expect("ListExecutions");
    let named: Vec<_> = executions
        .executions
        .iter()
        .filter(|execution| execution.name == job_id)
        .collect();
    assert_eq!(named.len(), 1, "executions named {job_id}: {named:?}");
}

async fn another_users_token_sees_nothing(world: &World) {
    let owner = world.user("e2e-owner");
    let intruder = world.user("e2e-intruder");
    let created = owner
        .create_and_upload(&world.samples(1))
        .await
        .expect("creating the job");
    let job_id = created.job_id;

    let mut intruder_socket = intruder.connect().await.expect("the intruder's socket");
    let answer = intruder_socket
        .subscribe_and_confirm(&job_id, ANSWER_WAIT)
        .await
        .expect("an answer to the intruder's subscribe");
    assert!(
        matches!(&answer, Incoming::Server(ServerMessage::Error { error, .. }) if error == "Job.NotFound"),
        "subscribing to another user's job answers Job.NotFound, got {answer:?}"
    );
    for (what, outcome) in [
        ("GET /jobs/{id}", intruder.job(&job_id).await.map(drop)),
        (
            "POST /jobs/{id}/start",
            intruder.start_job(&job_id).await.map(drop),
        ),
    ] {
        let error = outcome.expect_err("another user's job is not found");
        assert_eq!(
            (error.status(), error.error_name()),
            (Some(404), Some("Job.NotFound")),
            "{what} with another user's token: {error}"
        );
    }
    let unsigned = world
        .stack
        .with_token("nobody", "not-a-token".to_owned())
        .job(&job_id)
        .await
        .expect_err("an invalid token is refused");
    assert_eq!(unsigned.status(), Some(401), "{unsigned}");

    let run = {
        let mut socket = owner.connect().await.expect("the owner's socket");
        socket
            .subscribe_and_confirm(&job_id, ANSWER_WAIT)
            .await
            .expect("subscribed");
        owner.start_job(&job_id).await.expect("the owner starts");
        let mut messages = socket
            .until_final(&job_id, JOB_DEADLINE, |_| {})
            .await
            .unwrap_or_else(|error| panic!("job {job_id}: {error}"));
        messages.extend(socket.drain(AFTER_FINAL_QUIET).await.expect("socket open"));
        JobRun {
            job: owner.job(&job_id).await.expect("GET /jobs/{id}"),
            job_id: job_id.to_string(),
            messages,
            seconds: 0.0,
        }
    };
    assert_job_done(&run, JobStatus::Succeeded, 1, 0);
    let leaked = intruder_socket
        .drain(AFTER_FINAL_QUIET)
        .await
        .expect("the intruder's socket stays open");
    assert!(
        leaked.is_empty(),
        "the intruder's socket received {leaked:?}"
    );
    let listed = intruder.jobs(50).await.expect("GET /jobs");
    assert!(
        listed.jobs.iter().all(|job| job.job_id != job_id),
        "another user's job is not listed"
    );
}

async fn a_stopped_execution_is_reaped(world: &World) {
    let user = world.user("e2e-stopped");
    // A slow AI keeps the execution in its Map long enough to be stopped there.
    world
        .stack
        .set_ai_faults(&AiFaults {
            latency_ms: 3_000,
            ..AiFaults::default()
        })
        .await
        .expect("slowing the AI");
    let created = user
        .create_and_upload(&world.samples(1))
        .await
        .expect("creating the job");
    let job_id = created.job_id;
    let mut socket = user.connect().await.expect("the WebSocket opens");
    socket
        .subscribe_and_confirm(&job_id, ANSWER_WAIT)
        .await
        .expect("subscribed");
    user.start_job(&job_id).await.expect("the job starts");
    // moto cannot stop an execution whose interpreter has not started: wait for the Map.
    let execution_arn = world.execution_arn(&job_id);
    let deadline = Instant::now() + JOB_DEADLINE;
    loop {
        let history = world
            .aws
            .sfn
            .get_execution_history()
            .execution_arn(&execution_arn)
            .send()
            .await
            .expect("the execution's history");
        if history
            .events
            .iter()
            .any(|event| event.r#type == HistoryEventType::MapStateStarted)
        {
            break;
        }
        assert!(Instant::now() < deadline, "the Map never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    world
        .aws
        .sfn
        .stop_execution()
        .execution_arn(&execution_arn)
        .error("Local.StoppedByHand")
        .cause("e2e test")
        .send()
        .await
        .expect("StopExecution");
    let mut messages = socket
        .until_final(&job_id, JOB_DEADLINE, |_| {})
        .await
        .unwrap_or_else(|error| panic!("job {job_id}: the reaper's notice: {error}"));
    messages.extend(socket.drain(AFTER_FINAL_QUIET).await.expect("socket open"));
    let run = JobRun {
        job: user.job(&job_id).await.expect("GET /jobs/{id}"),
        job_id: job_id.to_string(),
        messages,
        seconds: 0.0,
    };
    match run.final_notice() {
        ServerMessage::JobFailed { error, .. } => assert!(
            error.starts_with("Job."),
            "the reaper names the job's end: {error}"
        ),
        other => panic!("expected jobFailed from the reaper, got {other:?}"),
    }
    assert_eq!(run.job.status, JobStatus::Failed, "{:?}", run.job);
    assert!(
        run.job
            .error
            .as_deref()
            .is_some_and(|error| error.starts_with("Job.")),
        "the job's error: {:?}",
        run.job.error
    );
}

// ---------------------------------------------------------------------------------------------
// Fault scenarios, on a stack of their own whose clocks are short (see `fault_stack_config`).

/// The fault stack's label queue visibility timeout: a failed delivery comes back this soon.
const FAULT_VISIBILITY_SECONDS: u32 = 3;
/// The fault stack's AI client timeout.
const FAULT_AI_TIMEOUT_MS: u32 = 1_500;
/// The fault stack's execution timeout: every other fault scenario ends well within it.
const FAULT_EXECUTION_TIMEOUT_SECONDS: u64 = 30;

/// The e2e stack with the deployed clocks shortened, so that redelivery, dead-lettering, the
/// AI client's timeout and the execution's timeout happen within a test's patience. Only the
/// durations differ from the template: the same functions, queues, redrive policy and ASL.
fn fault_stack_config(root: &std::path::Path, state_dir: &std::path::Path) -> StackConfig {
    let mut config = isolated_config(root, state_dir);
    config.ai = AiMode::Mock;
    config.property_overrides = vec![PropertyOverride::new(
        "LabelQueue",
        "VisibilityTimeout",
        FAULT_VISIBILITY_SECONDS,
    )];
    config
        .parameters
        .insert("AiTimeoutMs".to_owned(), FAULT_AI_TIMEOUT_MS.to_string());
    config.execution_timeout_seconds = Some(FAULT_EXECUTION_TIMEOUT_SECONDS);
    config
}

fn crash(count: u32, after_run: bool) -> FailNext {
    FailNext {
        count,
        error_type: "Runtime.ExitError".to_owned(),
        error_message: "RequestId: local Error: Runtime exited with error: signal: killed"
            .to_owned(),
        status_code: None,
        after_run,
    }
}

/// How many AI requests the mock answered during `body`.
async fn ai_requests_during<F: Future<Output = JobRun>>(world: &World, body: F) -> (JobRun, u64) {
    let before = world.stack.ai_status().await.expect("GET /_local/ai");
    let run = body.await;
    let after = world.stack.ai_status().await.expect("GET /_local/ai");
    (run, after.requests - before.requests)
}

/// The worker labels the file, reports to the state machine, then dies before answering the
/// queue: the message comes back, the redelivery finds the task no longer waiting and ends it
/// without a second AI call or a second result.
async fn a_worker_crash_after_its_work_is_redelivered_once(world: &World) {
    let user = world.user("e2e-crash-after-work");
    world
        .stack
        .fail_next("label-worker", &crash(1, true))
        .await
        .expect("arming the crash");
    let (run, requests) = ai_requests_during(world, run_job(&user, &world.samples(1))).await;
    let after_job = world.stack.ai_status().await.expect("GET /_local/ai");
    assert_job_done(&run, JobStatus::Succeeded, 1, 0);
    assert_file_is_truth(&run, "f1", &world.sample_truth(0));
    assert_file_labeled(&run, "f1");
    // The crashed delivery's message comes back after the visibility timeout and is ended.
    let redelivered = Instant::now() + ANSWER_WAIT + ANSWER_WAIT;
    while world.label_queue_depth().await > 0 {
        assert!(
            Instant::now() < redelivered,
            "the crashed delivery's message was never ended"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let after_redelivery = world.stack.ai_status().await.expect("GET /_local/ai");
    assert_eq!(
        (requests, after_redelivery.requests - after_job.requests),
        (1, 0),
        "one AI call for the file; the redelivered message made none"
    );
    let history = world.history(&run.job_id).await;
    let label = history
        .state(LABEL_STATE)
        .unwrap_or_else(|| panic!("no {LABEL_STATE:?} in the history:\n{history}"));
    assert_eq!((label.attempts, label.retries()), (1, 0), "{history}");
    eprintln!(
        "  a crash after the work: SUCCEEDED in {:.2} s, one AI call",
        run.seconds
    );
}

/// A worker that dies on every delivery of the file's message: after the queue's
/// `maxReceiveCount` (3) deliveries the message is dead-lettered, the dead-letter consumer
/// fails the waiting task with `Label.Undeliverable`, and the state machine records it
/// without queueing the file again.
async fn a_worker_failing_three_times_is_undeliverable(world: &World) {
    let user = world.user("e2e-undeliverable");
    world
        .stack
        .fail_next("label-worker", &crash(3, false))
        .await
        .expect("arming the crashes");
    let (run, requests) = ai_requests_during(world, run_job(&user, &world.samples(1))).await;
    assert_job_done(&run, JobStatus::Failed, 0, 1);
    assert_file_failed(&run, "f1", "Label.Undeliverable");
    assert_eq!(requests, 0, "no delivery reached the AI");
    let history = world.history(&run.job_id).await;
    let label = history
        .state(LABEL_STATE)
        .unwrap_or_else(|| panic!("no {LABEL_STATE:?} in the history:\n{history}"));
    assert_eq!(
        (label.failures_named("Label.Undeliverable"), label.attempts),
        (1, 1),
        "Label.Undeliverable is not retried:\n{history}"
    );
    eprintln!(
        "  3 crashes: FAILED Label.Undeliverable in {:.2} s",
        run.seconds
    );
}

/// The provider accepts the call and never answers within the client's timeout: the file's
/// label step fails `Label.Timeout`, is retried once, and the second call succeeds.
async fn an_ai_hanging_past_the_client_timeout_is_retried_once(world: &World) {
    let user = world.user("e2e-ai-hangs");
    world
        .stack
        .script_ai(&[ScriptedResponse {
            status: 200,
            delay_ms: Some(u64::from(FAULT_AI_TIMEOUT_MS) * 3),
            ..ScriptedResponse::default()
        }])
        .await
        .expect("scripting the AI");
    let (run, requests) = ai_requests_during(world, run_job(&user, &world.samples(1))).await;
    assert_job_done(&run, JobStatus::Succeeded, 1, 0);
    assert_file_is_truth(&run, "f1", &world.sample_truth(0));
    assert_eq!(requests, 2, "the call that hung, then the one that labeled");
    let history = world.history(&run.job_id).await;
    let label = history
        .state(LABEL_STATE)
        .unwrap_or_else(|| panic!("no {LABEL_STATE:?} in the history:\n{history}"));
    assert_eq!(
        (label.failures_named("Label.Timeout"), label.attempts),
        (1, 2),
        "one Label.Timeout, one retry:\n{history}"
    );
    eprintln!(
        "  the AI hangs once: SUCCEEDED in {:.2} s after one retry",
        run.seconds
    );
}

/// Garbage for the question and again for the repair request: `Label.InvalidResponse`, which
/// the state machine retries once; the fresh attempt's answer is the truth.
async fn garbage_twice_is_retried_once(world: &World) {
    let user = world.user("e2e-garbage-twice");
    let garbage = ScriptedResponse {
        status: 200,
        garbage: true,
        ..ScriptedResponse::default()
    };
    world
        .stack
        .script_ai(&[garbage.clone(), garbage])
        .await
        .expect("scripting the AI");
    let (run, requests) = ai_requests_during(world, run_job(&user, &world.samples(1))).await;
    assert_job_done(&run, JobStatus::Succeeded, 1, 0);
    assert_file_is_truth(&run, "f1", &world.sample_truth(0));
    assert_eq!(
        requests, 3,
        "garbage, garbage for the repair, then the truth"
    );
    let history = world.history(&run.job_id).await;
    let label = history
        .state(LABEL_STATE)
        .unwrap_or_else(|| panic!("no {LABEL_STATE:?} in the history:\n{history}"));
    assert_eq!(
        (
            label.failures_named("Label.InvalidResponse"),
            label.attempts
        ),
        (1, 2),
        "one Label.InvalidResponse, one retry:\n{history}"
    );
    eprintln!(
        "  garbage twice: SUCCEEDED in {:.2} s after one retry",
        run.seconds
    );
}

/// Lambda itself refuses the extract function twice (`TooManyRequestsException`, HTTP 429):
/// Step Functions names it `Lambda.TooManyRequestsException` and retries it with backoff.
async fn a_throttled_lambda_is_retried(world: &World) {
    let user = world.user("e2e-lambda-throttled");
    world
        .stack
        .fail_next(
            "extract",
            &FailNext {
                count: 2,
                error_type: "TooManyRequestsException".to_owned(),
                error_message: "Rate Exceeded.".to_owned(),
                status_code: Some(429),
                after_run: false,
            },
        )
        .await
        .expect("arming the throttles");
    let run = run_job(&user, &world.samples(1)).await;
    assert_job_done(&run, JobStatus::Succeeded, 1, 0);
    assert_file_is_truth(&run, "f1", &world.sample_truth(0));
    let history = world.history(&run.job_id).await;
    let extract = history
        .state(EXTRACT_STATE)
        .unwrap_or_else(|| panic!("no {EXTRACT_STATE:?} in the history:\n{history}"));
    assert_eq!(
        (
            extract.failures_named("Lambda.TooManyRequestsException"),
            extract.attempts
        ),
        (2, 3),
        "two throttled attempts, then the one that extracted:\n{history}"
    );
    eprintln!(
        "  a throttled Lambda: SUCCEEDED in {:.2} s after two retries",
        run.seconds
    );
}

/// An execution that outlives the state machine's `TimeoutSeconds` (here a file waiting for an
/// AI that asked for two minutes' patience) ends TIMED_OUT; the reaper fails the job with
/// `Job.TimedOut` and the owner gets one `jobFailed`.
async fn an_execution_past_its_timeout_is_reaped(world: &World) {
    let user = world.user("e2e-execution-timeout");
    world
        .stack
        .script_ai(&[ScriptedResponse {
            status: 429,
            retry_after_seconds: Some(120),
            ..ScriptedResponse::default()
        }])
        .await
        .expect("scripting the AI");
    let created = user
        .create_and_upload(&world.samples(1))
        .await
        .expect("creating the job");
    let job_id = created.job_id;
    let mut socket = user.connect().await.expect("the WebSocket opens");
    socket
        .subscribe_and_confirm(&job_id, ANSWER_WAIT)
        .await
        .expect("subscribed");
    let started = Instant::now();
    user.start_job(&job_id).await.expect("the job starts");
    let patience = Duration::from_secs(FAULT_EXECUTION_TIMEOUT_SECONDS) + JOB_DEADLINE;
    let mut messages = socket
        .until_final(&job_id, patience, |_| {})
        .await
        .unwrap_or_else(|error| panic!("job {job_id}: the reaper's notice: {error}"));
    let seconds = started.elapsed().as_secs_f64();
    messages.extend(socket.drain(AFTER_FINAL_QUIET).await.expect("socket open"));
    let run = JobRun {
        job: user.job(&job_id).await.expect("GET /jobs/{id}"),
        job_id: job_id.to_string(),
        messages,
        seconds,
    };
    match run.final_notice() {
        ServerMessage::JobFailed { error, .. } => {
            assert_eq!(error, "Job.TimedOut", "the reaper names the job's end")
        }
        other => panic!("expected jobFailed from the reaper, got {other:?}"),
    }
    assert_eq!(
        (run.job.status, run.job.error.as_deref()),
        (JobStatus::Failed, Some("Job.TimedOut")),
        "{:?}",
        run.job
    );
    let execution = world
        .aws
        .sfn
        .describe_execution()
        .execution_arn(world.execution_arn(&run.job_id))
        .send()
        .await
        .expect("DescribeExecution");
    assert_eq!(
        execution.status,
        aws_sdk_sfn::types::ExecutionStatus::TimedOut,
        "the execution itself timed out"
    );
    eprintln!("  an execution past its timeout: reaped, jobFailed after {seconds:.2} s");
}

// ---------------------------------------------------------------------------------------------

async fn scenario<F: Future<Output = ()>>(
    world: &World,
    name: &str,
    failures: &mut Vec<String>,
    body: F,
) {
    // NARRATIX_E2E_ONLY=text runs only the scenarios whose names contain it.
    if let Ok(only) = std::env::var("NARRATIX_E2E_ONLY") {
        if !name.contains(only.as_str()) {
            eprintln!("skipped {name} (NARRATIX_E2E_ONLY={only})");
            return;
        }
    }
    let started = Instant::now();
    let outcome = AssertUnwindSafe(body).catch_unwind().await;
    // Whatever a scenario set, the next one starts with a well-behaved AI.
    world.reset_faults().await;
    match outcome {
        Ok(()) => eprintln!("ok      {name} ({:.2} s)", started.elapsed().as_secs_f64()),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|text| (*text).to_owned()))
                .unwrap_or_default();
            eprintln!("FAILED  {name}: {message}");
            failures.push(format!("{name}: {message}"));
        }
    }
}

/// Starts a stack and what the scenarios reach it with.
async fn start(config: &StackConfig) -> (RunningStack, World) {
    let stack = up(config).await.expect("the stack starts");
    let manifest = stack.manifest.clone();
    eprintln!("stack ready in {:.2} s", manifest.started_in_seconds);
    let client = StackClient::from_manifest(&manifest).expect("the stack's client");
    assert!(
        client.stack.ai_url.is_some(),
        "the manifest names the mock AI"
    );
    assert!(!manifest.endpoint.is_empty());
    let world = World {
        aws: Clients::new(&manifest.endpoint, &manifest.region).await,
        table: manifest.table.clone().expect("a table"),
        state_machine_arn: manifest.state_machine_arn.clone().expect("a state machine"),
        samples: sample_pdfs(&config.root).expect("the sample PDFs"),
        stack: client,
        manifest,
        root: config.root.clone(),
    };
    (stack, world)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn users_meet_the_whole_stack() {
    let root = repository_root();
    if !stack_available(&root) {
        return;
    }
    let state = tempfile::tempdir().expect("temp dir");
    let mut config = isolated_config(&root, state.path());
    // The fault scenarios script the mock AI.
    config.ai = AiMode::Mock;
    let (stack, world) = start(&config).await;

    let mut failures = Vec::new();
    scenario(
        &world,
        "three good PDFs succeed",
        &mut failures,
        three_good_pdfs_succeed(&world),
    )
    .await;
    scenario(
        &world,
        "the demo shows pairs, status and history",
        &mut failures,
        the_demo_shows_pairs_status_and_history(&world),
    )
    .await;
    scenario(
        &world,
        "an encrypted PDF makes the job PARTIAL",
        &mut failures,
        an_encrypted_pdf_makes_the_job_partial(&world),
    )
    .await;
    scenario(
        &world,
        "AI 429 twice: the file waits in the queue, then succeeds",
        &mut failures,
        rate_limited_ai_is_retried(&world),
    )
    .await;
    scenario(
        &world,
        "an unusable model answer is repaired by the labeler",
        &mut failures,
        an_unusable_model_answer_is_repaired(&world),
    )
    .await;
    scenario(
        &world,
        "AI 401 twice fails the file with Label.Auth, no retry",
        &mut failures,
        ai_auth_failure_is_not_retried(&world),
    )
    .await;
    scenario(
        &world,
        "AI 401 once: the key is read again from the secret and the file succeeds",
        &mut failures,
        a_refused_key_is_read_again_from_the_secret(&world),
    )
    .await;
    scenario(
        &world,
        "a dropped socket: result readable, stale connection removed",
        &mut failures,
        a_dropped_socket_leaves_the_result_readable(&world),
    )
    .await;
    scenario(
        &world,
        "a repeated start runs one execution",
        &mut failures,
        a_repeated_start_runs_one_execution(&world),
    )
    .await;
    scenario(
        &world,
        "another user's token sees nothing",
        &mut failures,
        another_users_token_sees_nothing(&world),
    )
    .await;
    scenario(
        &world,
        "a stopped execution is reaped and notified",
        &mut failures,
        a_stopped_execution_is_reaped(&world),
    )
    .await;

    stack.stop().await;

    // The fault scenarios, on a stack whose clocks are short.
    let fault_state = tempfile::tempdir().expect("temp dir");
    let fault_state_dir = std::env::var("NARRATIX_E2E_FAULT_STATE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| fault_state.path().to_path_buf());
    let (stack, world) = start(&fault_stack_config(&world.root, &fault_state_dir)).await;
    scenario(
        &world,
        "a worker crash after its work: redelivered, no second AI call or result",
        &mut failures,
        a_worker_crash_after_its_work_is_redelivered_once(&world),
    )
    .await;
    scenario(
        &world,
        "a worker failing 3 times: dead-lettered, Label.Undeliverable, not retried",
        &mut failures,
        a_worker_failing_three_times_is_undeliverable(&world),
    )
    .await;
    scenario(
        &world,
        "the AI hanging past the client timeout: Label.Timeout, retried once",
        &mut failures,
        an_ai_hanging_past_the_client_timeout_is_retried_once(&world),
    )
    .await;
    scenario(
        &world,
        "garbage twice: Label.InvalidResponse, retried once",
        &mut failures,
        garbage_twice_is_retried_once(&world),
    )
    .await;
    scenario(
        &world,
        "a Lambda answering TooManyRequestsException is retried",
        &mut failures,
        a_throttled_lambda_is_retried(&world),
    )
    .await;
    // Last: it leaves a file waiting two minutes for the AI.
    scenario(
        &world,
        "an execution past its timeout is reaped and notified",
        &mut failures,
        an_execution_past_its_timeout_is_reaped(&world),
    )
    .await;
    stack.stop().await;

    assert!(
        failures.is_empty(),
        "{} scenario(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
