//! AI faults on the real stack: the label worker calls the gateway's mock AI with the key it
//! reads from (moto's) Secrets Manager, as deployed with `AiProvider=openai`; the faults are
//! set through the control API. A scripted 429 comes back to Step Functions as
//! `Label.RateLimited` and is retried by the ASL's Retry; a 401 is `Label.Auth`, not retried.
//!
//! Needs the venv of `scripts/setup-local`; see tests/pipeline.rs for the switches.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEvent, HistoryEventType};
use narratix_local::provision::Clients;
use narratix_local::{up, AiMode, StackConfig};
use serde_json::{json, Value};

const FIXTURE: &str = "tests/fixtures/corpus/lo-docx-01.pdf";
const EXECUTION_DEADLINE: Duration = Duration::from_secs(120);

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("local-stack sits in the repository")
        .to_path_buf()
}

/// Whether the stack can run here, running the set-up first when asked to.
fn stack_available(root: &Path) -> bool {
    let venv = root.join(".venv/local/bin/moto_server");
    if std::env::var("NARRATIX_LOCAL_SETUP").as_deref() == Ok("1") {
        let status = Command::new(root.join("scripts/setup-local"))
            .current_dir(root)
            .status()
            .expect("scripts/setup-local runs");
        assert!(status.success(), "scripts/setup-local failed");
    }
    if venv.is_file() {
        return true;
    }
    assert!(
        std::env::var("NARRATIX_REQUIRE_LOCAL_STACK").as_deref() != Ok("1"),
        "NARRATIX_REQUIRE_LOCAL_STACK=1 but there is no local-stack venv at {}",
        venv.display()
    );
    eprintln!(
        "SKIPPED: no local-stack venv at {}; run scripts/setup-local or set NARRATIX_LOCAL_SETUP=1",
        venv.display()
    );
    false
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

fn text(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rate_limits_are_retried_by_the_state_machine_and_a_rejected_key_is_not() {
    let root = repository_root();
    if !stack_available(&root) {
        return;
    }
    let test_started = Instant::now();
    let state = tempfile::tempdir().expect("temp dir");
    let mut config = StackConfig::with_defaults(root.clone());
    config.state_dir = state.path().to_path_buf();
    config.gateway_port = free_port();
    config.moto_port = free_port();
    config.lambda_port = free_port();
    config.ai = AiMode::Mock;
    let stack = up(&config).await.expect("the stack starts");
    let manifest = stack.manifest.clone();
    eprintln!("stack ready in {:.2} s", manifest.started_in_seconds);
    assert_eq!(
        manifest.ai_url.as_deref(),
        Some(format!("{}/_ai/v1", manifest.endpoint).as_str())
    );
    let control = manifest.control_url.clone();
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("an HTTP client");
    let clients = Clients::new(&manifest.endpoint, &manifest.region).await;
    let job = Job {
        clients: &clients,
        bucket: manifest.bucket.clone().expect("a bucket"),
        table: manifest.table.clone().expect("a table"),
        state_machine_arn: manifest.state_machine_arn.clone().expect("a state machine"),
        root: &root,
    };

    // Two 429s, then the mock answers: Step Functions retries the label task twice.
    let script = http
        .post(format!("{control}/ai/script"))
        .json(&json!({"responses": [{"status": 429, "retryAfterSeconds": 1}, {"status": 429}]}))
        .send()
        .await
        .expect("the control API answers");
    assert!(script.status().is_success(), "{}", script.status());
    let before = ai_status(&http, &control).await;
    let (job_id, execution, elapsed) = job.run(FIXTURE).await;
    eprintln!(
        "429 twice: execution {} in {:.2} s",
        execution.status.as_str(),
        elapsed.as_secs_f64()
    );
    assert_eq!(
        execution.status,
        ExecutionStatus::Succeeded,
        "{:?}",
        execution.cause
    );
    assert_eq!(
        job.item(&job_id, "JOB", "status").await.as_deref(),
        Some("SUCCEEDED")
    );
    assert_eq!(
        job.item(&job_id, "FILE#f1", "status").await.as_deref(),
        Some("SUCCEEDED")
    );
    let events = execution_history(&clients, &execution.execution_arn).await;
    assert_eq!(
        failed_tasks(&events, "Label.RateLimited"),
        2,
        "the history shows both rate-limited attempts"
    );
    let after = ai_status(&http, &control).await;
    assert_eq!(after["scriptRemaining"], 0);
    assert_eq!(answered(&after, "429") - answered(&before, "429"), 2);
    assert_eq!(answered(&after, "200") - answered(&before, "200"), 1);

    // A rejected key: the file fails with Label.Auth after exactly one AI call.
    let script = http
        .post(format!("{control}/ai/script"))
        .json(&json!({"responses": [{"status": 401}]}))
        .send()
        .await
        .expect("the control API answers");
    assert!(script.status().is_success(), "{}", script.status());
    let before = ai_status(&http, &control).await;
    let (job_id, execution, elapsed) = job.run(FIXTURE).await;
    eprintln!(
        "401: execution {} in {:.2} s",
        execution.status.as_str(),
        elapsed.as_secs_f64()
    );
    let events = execution_history(&clients, &execution.execution_arn).await;
    assert_eq!(
        job.item(&job_id, "FILE#f1", "status").await.as_deref(),
        Some("FAILED"),
        "execution {} ({:?}: {:?}); history {}",
        execution.status.as_str(),
        execution.error,
        execution.cause,
        describe(&events)
    );
    assert_eq!(
        job.item(&job_id, "FILE#f1", "error").await.as_deref(),
        Some("Label.Auth")
    );
    assert_eq!(
        job.item(&job_id, "JOB", "status").await.as_deref(),
        Some("FAILED")
    );
    assert_eq!(failed_tasks(&events, "Label.Auth"), 1, "not retried");
    let after = ai_status(&http, &control).await;
    assert_eq!(
        after["requests"].as_u64().unwrap_or_default()
            - before["requests"].as_u64().unwrap_or_default(),
        1,
        "exactly one AI call for the file"
    );
    assert_eq!(answered(&after, "401") - answered(&before, "401"), 1);

    stack.stop().await;
    eprintln!(
        "test wall time {:.2} s",
        test_started.elapsed().as_secs_f64()
    );
}

async fn ai_status(http: &reqwest::Client, control: &str) -> Value {
    http.get(format!("{control}/ai"))
        .send()
        .await
        .expect("the control API answers")
        .json()
        .await
        .expect("the AI status is JSON")
}

fn answered(status: &Value, code: &str) -> u64 {
    status["answered"][code].as_u64().unwrap_or_default()
}

async fn execution_history(clients: &Clients, execution_arn: &str) -> Vec<HistoryEvent> {
    clients
        .sfn
        .get_execution_history()
        .execution_arn(execution_arn)
        .max_results(1000)
        .send()
        .await
        .expect("execution history")
        .events
}

/// The history's event types, with the error of each failure (for assertion messages).
fn describe(history: &[HistoryEvent]) -> String {
    history
        .iter()
        .map(|event| {
            let error = event
                .task_failed_event_details
                .as_ref()
                .and_then(|details| details.error.clone())
                .or_else(|| {
                    event
                        .execution_failed_event_details
                        .as_ref()
                        .and_then(|details| details.error.clone())
                });
            match error {
                Some(error) => format!("{}({error})", event.r#type.as_str()),
                None => event.r#type.as_str().to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Task failures under `error` in the history.
fn failed_tasks(history: &[HistoryEvent], error: &str) -> usize {
    history
        .iter()
        .filter(|event| event.r#type == HistoryEventType::TaskFailed)
        .filter_map(|event| event.task_failed_event_details.as_ref())
        .filter(|details| details.error.as_deref() == Some(error))
        .count()
}

/// One-file jobs written as the API writes them (docs/data-model.md), run to their end.
struct Job<'a> {
    clients: &'a Clients,
    bucket: String,
    table: String,
    state_machine_arn: String,
    root: &'a Path,
}

impl Job<'_> {
    async fn run(
        &self,
        pdf: &str,
    ) -> (
        String,
        aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput,
        Duration,
    ) {
        let started = Instant::now();
        let job_id = format!("job-{}", uuid::Uuid::new_v4().simple());
        let key = format!("uploads/{job_id}/f1.pdf");
        let body = std::fs::read(self.root.join(pdf)).expect("fixture PDF");
        self.clients
            .s3
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .body(body.into())
            .send()
            .await
            .expect("upload to the local S3");
        self.clients
            .dynamodb
            .put_item()
            .table_name(&self.table)
            .item("pk", text(&format!("JOB#{job_id}")))
            .item("sk", text("FILE#f1"))
            .item("fileId", text("f1"))
            .item("name", text("letter.pdf"))
            .item("key", text(&key))
            .item("status", text("PENDING"))
            .send()
            .await
            .expect("file item");
        self.clients
            .dynamodb
            .put_item()
            .table_name(&self.table)
            .item("pk", text(&format!("JOB#{job_id}")))
            .item("sk", text("JOB"))
            .item("jobId", text(&job_id))
            .item("owner", text("local-test"))
            .item("status", text("CREATED"))
            .item("createdAt", text("2026-11-25T12:00:00Z"))
            .item("fileCount", AttributeValue::N("1".to_owned()))
            .item("gsi1pk", text("OWNER#local-test"))
            .item("gsi1sk", text("2026-11-25T12:00:00Z"))
            .send()
            .await
            .expect("job item");
        let input = json!({
            "jobId": job_id,
            "owner": "local-test",
            "bucket": self.bucket,
            "files": [{"fileId": "f1", "key": key}],
        });
        let execution_arn = self
            .clients
            .sfn
            .start_execution()
            .state_machine_arn(&self.state_machine_arn)
            .name(&job_id)
            .input(input.to_string())
            .send()
            .await
            .expect("execution starts")
            .execution_arn;
        loop {
            let execution = self
                .clients
                .sfn
                .describe_execution()
                .execution_arn(&execution_arn)
                .send()
                .await
                .expect("describe execution");
            if execution.status != ExecutionStatus::Running {
                return (job_id, execution, started.elapsed());
            }
            assert!(
                started.elapsed() < EXECUTION_DEADLINE,
                "execution still running after {EXECUTION_DEADLINE:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn item(&self, job_id: &str, sort_key: &str, attribute: &str) -> Option<String> {
        self.clients
            .dynamodb
            .get_item()
            .table_name(&self.table)
            .key("pk", text(&format!("JOB#{job_id}")))
            .key("sk", text(sort_key))
            .send()
            .await
            .expect("get item")
            .item
            .and_then(|item| item.get(attribute)?.as_s().ok().cloned())
    }
}
