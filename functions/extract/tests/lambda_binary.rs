//! The built `extract` binary end to end, the way Lambda runs it: the real `lambda_runtime`
//! loop polls a fake Runtime API, the real S3 client (path-style, `AWS_ENDPOINT_URL`) talks
//! to a fake S3, and each PDF is parsed in an isolated child process of the binary itself.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use tokio::process::{Child, Command};

const BUCKET: &str = "narratix-test";
const WAIT_FOR_ALL_POSTS: Duration = Duration::from_secs(60);

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn fixture(path: &str) -> Vec<u8> {
    let path = PathBuf::from(
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()),
    )
    .join("../../tests/fixtures")
    .join(path);
    std::fs::read(&path).unwrap_or_else(|err| panic!("read {}: {err}", path.display()))
}

// ---------------------------------------------------------------------------------------
// Fake S3 (path-style: /{bucket}/{key})

#[derive(Clone)]
struct StoredObject {
    bytes: Vec<u8>,
    content_type: Option<String>,
}

#[derive(Default)]
struct FakeS3 {
    objects: Mutex<HashMap<(String, String), StoredObject>>,
}

impl FakeS3 {
    fn insert(&self, key: &str, bytes: Vec<u8>) {
        let object = StoredObject {
            bytes,
            content_type: Some("application/pdf".into()),
        };
        locked(&self.objects).insert((BUCKET.into(), key.into()), object);
    }

    fn get(&self, key: &str) -> Option<StoredObject> {
        locked(&self.objects)
            .get(&(BUCKET.to_owned(), key.to_owned()))
            .cloned()
    }
}

async fn s3_get_object(
    State(s3): State<Arc<FakeS3>>,
    Path((bucket, key)): Path<(String, String)>,
) -> Response {
    match locked(&s3.objects).get(&(bucket, key.clone())) {
        Some(object) => (StatusCode::OK, object.bytes.clone()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            [("content-type", "application/xml")],
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>\
                 <Message>The specified key does not exist.</Message><Key>{key}</Key></Error>"
            ),
        )
            .into_response(),
    }
}

/// The payload of an `aws-chunked` body (`<hex size>;…\r\n<data>\r\n … 0\r\n<trailers>`).
fn decode_aws_chunked(body: &[u8]) -> Vec<u8> {
    let mut payload = Vec::new();
    let mut rest = body;
    while let Some(line_end) = rest.windows(2).position(|w| w == b"\r\n") {
        let header = String::from_utf8_lossy(&rest[..line_end]);
        let size_hex = header.split(';').next().unwrap_or("0").trim();
        let size = usize::from_str_radix(size_hex, 16).expect("chunk size");
        if size == 0 {
            break;
        }
        let start = line_end + 2;
        payload.extend_from_slice(&rest[start..start + size]);
        rest = &rest[start + size + 2..];
    }
    payload
}

async fn s3_put_object(
    State(s3): State<Arc<FakeS3>>,
    Path((bucket, key)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let chunked = header("content-encoding").is_some_and(|value| value.contains("aws-chunked"));
    let bytes = if chunked {
        decode_aws_chunked(&body)
    } else {
        body.to_vec()
    };
    let object = StoredObject {
        bytes,
        content_type: header("content-type"),
    };
    locked(&s3.objects).insert((bucket, key), object);
    StatusCode::OK
}

// ---------------------------------------------------------------------------------------
// Fake Lambda Runtime API

#[derive(Default)]
struct FakeRuntimeApi {
    queue: Mutex<VecDeque<(String, Value)>>,
    posted: Mutex<HashMap<String, (&'static str, Value)>>,
}

impl FakeRuntimeApi {
    fn record(&self, request_id: String, route: &'static str, body: &Bytes) {
        let body = serde_json::from_slice(body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()));
        locked(&self.posted).insert(request_id, (route, body));
    }
}

async fn next_invocation(State(api): State<Arc<FakeRuntimeApi>>) -> Response {
    let next = locked(&api.queue).pop_front();
    let Some((request_id, payload)) = next else {
        return std::future::pending().await;
    };
    let deadline_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis()
        + 60_000;
    let headers = [
        ("content-type", "application/json".to_owned()),
        ("lambda-runtime-aws-request-id", request_id),
        ("lambda-runtime-deadline-ms", deadline_ms.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:us-east-1:000000000000:function:extract".to_owned(),
        ),
    ];
    (StatusCode::OK, headers, payload.to_string()).into_response()
}

async fn invocation_response(
    State(api): State<Arc<FakeRuntimeApi>>,
    Path(request_id): Path<String>,
    body: Bytes,
) -> StatusCode {
    api.record(request_id, "response", &body);
    StatusCode::ACCEPTED
}

async fn invocation_error(
    State(api): State<Arc<FakeRuntimeApi>>,
    Path(request_id): Path<String>,
    body: Bytes,
) -> StatusCode {
    api.record(request_id, "error", &body);
    StatusCode::ACCEPTED
}

async fn serve_on_localhost(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("local address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    address.to_string()
}

fn spawn_function(runtime_api: &str, s3_endpoint: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_extract"))
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", runtime_api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "extract")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test-stream")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/extract")
        .env("AWS_ENDPOINT_URL", format!("http://{s3_endpoint}"))
        .env("NARRATIX_S3_FORCE_PATH_STYLE", "true")
        .env("BUCKET_NAME", BUCKET)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn the extract binary")
}

/// Stops the function and returns its log (stdout: JSON lines) and stderr.
async fn stop(mut child: Child) -> String {
    let _ = child.start_kill();
    match child.wait_with_output().await {
        Ok(output) => format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(err) => format!("(output unavailable: {err})"),
    }
}

fn event(job_id: &str, file_id: &str, key: &str) -> Value {
    json!({ "jobId": job_id, "fileId": file_id, "bucket": BUCKET, "key": key })
}

#[tokio::test]
async fn the_extract_binary_serves_invocations_end_to_end() {
    let s3 = Arc::new(FakeS3::default());
    s3.insert("uploads/job-1/f1.pdf", fixture("corpus/lo-docx-01.pdf"));
    s3.insert(
        "uploads/job-1/f2.pdf",
        fixture("hostile/encrypted-user-aes-256.pdf"),
    );
    s3.insert(
        "uploads/job-1/f3.pdf",
        fixture("hostile/html-error-page.pdf"),
    );
    let s3_endpoint = serve_on_localhost(
        Router::new()
            .route("/{bucket}/{*key}", get(s3_get_object).put(s3_put_object))
            .with_state(Arc::clone(&s3)),
    )
    .await;

    let invocations = [
        ("ok", event("job-1", "f1", "uploads/job-1/f1.pdf")),
        ("encrypted", event("job-1", "f2", "uploads/job-1/f2.pdf")),
        ("not-pdf", event("job-1", "f3", "uploads/job-1/f3.pdf")),
        ("missing", event("job-1", "f4", "uploads/job-1/f4.pdf")),
        ("malformed", json!({ "jobId": "job-1", "fileId": "f1" })),
    ];
    let api = Arc::new(FakeRuntimeApi::default());
    locked(&api.queue).extend(
        invocations
            .iter()
            .map(|(id, payload)| ((*id).to_owned(), payload.clone())),
    );
    let runtime_api = serve_on_localhost(
        Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next_invocation))
            .route(
                "/2018-06-01/runtime/invocation/{request_id}/response",
                post(invocation_response),
            )
            .route(
                "/2018-06-01/runtime/invocation/{request_id}/error",
                post(invocation_error),
            )
            .with_state(Arc::clone(&api)),
    )
    .await;

    let mut function = spawn_function(&runtime_api, &s3_endpoint);
    let started = Instant::now();
    while locked(&api.posted).len() < invocations.len() {
        let exited = function.try_wait().expect("poll the function");
        if exited.is_some() || started.elapsed() > WAIT_FOR_ALL_POSTS {
            let posted = locked(&api.posted).clone();
            let log = stop(function).await;
            panic!(
                "answered {} invocations (exit {exited:?}): {posted:?}\n{log}",
                posted.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let log = stop(function).await;
    let posted = locked(&api.posted).clone();
    let outcome = |id: &str| posted.get(id).cloned().expect("posted");

    let (route, output) = outcome("ok");
    assert_eq!(route, "response", "{output}\n{log}");
    assert_eq!(output["textKey"], "text/job-1/f1.txt");
    assert_eq!(output["pages"], 2);
    assert_eq!(output["truncated"], false);
    let mut fields: Vec<&str> = output
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["chars", "pages", "textKey", "truncated"]);

    let stored = s3.get("text/job-1/f1.txt").expect("text stored in S3");
    assert_eq!(
        stored.content_type.as_deref(),
        Some("text/plain; charset=utf-8")
    );
    let text = String::from_utf8(stored.bytes).expect("utf-8 text");
    assert_eq!(output["chars"].as_u64(), Some(text.chars().count() as u64));
    assert!(text.contains("본인이 회사를 선택할 때의 기준은"), "{text}");

    for (id, name) in [
        ("encrypted", "Extract.Encrypted"),
        ("not-pdf", "Extract.NotPdf"),
        ("missing", "Storage.NotFound"),
        ("malformed", "Input.Invalid"),
    ] {
        let (route, body) = outcome(id);
        assert_eq!(route, "error", "{id}: {body}");
        assert_eq!(body["errorType"], name, "{id}: {body}\n{log}");
    }
    assert!(s3.get("text/job-1/f2.txt").is_none());

    // Logs carry the ids, never the letter's text.
    assert!(log.contains("\"job_id\":\"job-1\""), "{log}");
    assert!(!log.contains("본인이 회사를"), "applicant text in the log");
}
