//! The real state machine on moto, the real function binaries on the emulator, through the
//! gateway, below the APIs: one job with one fixture PDF, checking what the user-facing e2e tests
//! (tests/e2e.rs) cannot see — the extract step's output in the history, the text object in S3, the
//! job and file items in DynamoDB.
//!
//! Needs the venv of `scripts/setup-local`. Without it the test says so and does nothing, unless
//! `NARRATIX_LOCAL_SETUP=1`, which runs `scripts/setup-local` first (CI sets it).

use std::path::Path;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEventType};
use narratix_local_emulator::up;
use narratix_local_emulator::Clients;
use serde_json::{json, Value};

use narratix_local_emulator::testing::{isolated_config, repository_root, stack_available};

const FIXTURE: &str = "tests/fixtures/corpus/lo-docx-01.pdf";
const EXECUTION_DEADLINE: Duration = Duration::from_secs(120);

fn text(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_runs_through_the_real_state_machine_and_functions() {
    let root = repository_root();
    if !stack_available(&root) {
        return;
    }
    let state = tempfile::tempdir().expect("temp dir");
    let config = isolated_config(&root, state.path());
    let stack = up(&config).await.expect("the stack starts");
    let manifest = stack.manifest.clone();
    eprintln!("stack ready in {:.2} s", manifest.started_in_seconds);
    let stack_json: Value = serde_json::from_str(
        &std::fs::read_to_string(&stack.manifest_path).expect("stack.json written"),
    )
    .expect("stack.json is JSON");
    assert_eq!(stack_json["endpoint"], manifest.endpoint);

    let clients = Clients::new(&manifest.endpoint, &manifest.region).await;
    let bucket = manifest.bucket.clone().expect("a bucket");
    let table = manifest.table.clone().expect("a table");
    let state_machine_arn = manifest.state_machine_arn.clone().expect("a state machine");

    let (job_id, execution, elapsed) = run_job(
        &clients,
        &bucket,
        &table,
        &state_machine_arn,
        &root,
        &[FIXTURE],
    )
    .await;
    eprintln!(
        "first job (1 file): execution {} in {:.2} s",
        execution.status.as_str(),
        elapsed.as_secs_f64()
    );
    let execution_arn = execution.execution_arn.clone();

    let history = clients
        .sfn
        .get_execution_history()
        .execution_arn(&execution_arn)
        .max_results(1000)
        .send()
        .await
        .expect("execution history");
    let extract_output = history
        .events
        .iter()
        .filter(|event| event.r#type == HistoryEventType::TaskStateExited)
        .filter_map(|event| event.state_exited_event_details.as_ref())
        .find(|details| details.name == "Extract text")
        .and_then(|details| details.output.as_deref())
        .map(|output| serde_json::from_str::<Value>(output).expect("state output is JSON"));
    let Some(extract_output) = extract_output else {
        let events: Vec<String> = history
            .events
            .iter()
            .map(|event| format!("{:?}", event.r#type))
            .collect();
        panic!(
            "no output of \"Extract text\" in the history ({}): {events:?}",
            execution.status.as_str()
        );
    };
    let extracted = &extract_output["extracted"];
    assert_eq!(extracted["textKey"], format!("text/{job_id}/f1.txt"));
    assert!(
        extracted["pages"].as_u64().is_some_and(|pages| pages >= 1),
        "{extracted}"
    );
    assert!(
        extracted["chars"].as_u64().is_some_and(|chars| chars > 100),
        "{extracted}"
    );
    assert_eq!(extracted["truncated"], false);
    let text_object = clients
        .s3
        .head_object()
        .bucket(&bucket)
        .key(format!("text/{job_id}/f1.txt"))
        .send()
        .await
        .expect("the extracted text is in the local S3");
    assert!(text_object.content_length.unwrap_or_default() > 100);

    let job = clients
        .dynamodb
        .get_item()
        .table_name(&table)
        .key("pk", text(&format!("JOB#{job_id}")))
        .key("sk", text("JOB"))
        .send()
        .await
        .expect("job item")
        .item
        .expect("the job still exists");
    let job_status = job
        .get("status")
        .and_then(|status| status.as_s().ok())
        .cloned();
    assert_eq!(
        (execution.status.as_str(), job_status.as_deref()),
        ("SUCCEEDED", Some("SUCCEEDED")),
        "execution error {:?} cause {:?}",
        execution.error,
        execution.cause
    );

    let file = clients
        .dynamodb
        .get_item()
        .table_name(&table)
        .key("pk", text(&format!("JOB#{job_id}")))
        .key("sk", text("FILE#f1"))
        .send()
        .await
        .expect("file item")
        .item
        .expect("the file item exists");
    assert_eq!(
        file.get("status")
            .and_then(|status| status.as_s().ok())
            .map(String::as_str),
        Some("SUCCEEDED")
    );
    let pair_count: u64 = file
        .get("pairCount")
        .and_then(|count| count.as_n().ok())
        .and_then(|count| count.parse().ok())
        .expect("the label worker stored a pair count");
    assert!(pair_count >= 1, "no labeled pairs stored");

    stack.stop().await;
}

async fn run_job(
    clients: &Clients,
    bucket: &str,
    table: &str,
    state_machine_arn: &str,
    root: &Path,
    pdfs: &[&str],
) -> (
    String,
    aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput,
    Duration,
) {
    let started = Instant::now();
    let (job_id, execution_arn) =
        start_job(clients, bucket, table, state_machine_arn, root, pdfs).await;
    loop {
        let execution = clients
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

/// Uploads the PDFs, writes the job and file items as the API does (docs/data-model.md) and
/// starts the execution named after the job; its id and execution ARN.
async fn start_job(
    clients: &Clients,
    bucket: &str,
    table: &str,
    state_machine_arn: &str,
    root: &Path,
    pdfs: &[&str],
) -> (String, String) {
    let job_id = format!("job-{}", uuid::Uuid::new_v4().simple());
    let mut files = Vec::new();
    for (index, pdf) in pdfs.iter().enumerate() {
        let file_id = format!("f{}", index + 1);
        let key = format!("uploads/{job_id}/{file_id}.pdf");
        let body = std::fs::read(root.join(pdf)).expect("fixture PDF");
        clients
            .s3
            .put_object()
            .bucket(bucket)
            .key(&key)
            .body(body.into())
            .send()
            .await
            .expect("upload to the local S3");
        clients
            .dynamodb
            .put_item()
            .table_name(table)
            .item("pk", text(&format!("JOB#{job_id}")))
            .item("sk", text(&format!("FILE#{file_id}")))
            .item("fileId", text(&file_id))
            .item("name", text("letter.pdf"))
            .item("key", text(&key))
            .item("status", text("PENDING"))
            .send()
            .await
            .expect("file item");
        files.push(json!({"fileId": file_id, "key": key}));
    }
    clients
        .dynamodb
        .put_item()
        .table_name(table)
        .item("pk", text(&format!("JOB#{job_id}")))
        .item("sk", text("JOB"))
        .item("jobId", text(&job_id))
        .item("owner", text("local-test"))
        .item("status", text("CREATED"))
        .item("createdAt", text("2026-11-25T12:00:00Z"))
        .item("fileCount", AttributeValue::N(pdfs.len().to_string()))
        .item("gsi1pk", text("OWNER#local-test"))
        .item("gsi1sk", text("2026-11-25T12:00:00Z"))
        .send()
        .await
        .expect("job item");
    let input = json!({"jobId": job_id, "owner": "local-test", "bucket": bucket, "files": files});
    let execution_arn = clients
        .sfn
        .start_execution()
        .state_machine_arn(state_machine_arn)
        .name(&job_id)
        .input(input.to_string())
        .send()
        .await
        .expect("execution starts")
        .execution_arn;
    (job_id, execution_arn)
}
