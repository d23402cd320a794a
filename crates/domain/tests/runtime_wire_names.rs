//! Proves, through the real `lambda_runtime` polling loop, that every wire error and a panic
//! reach the caller under their stable names (what Step Functions' `ErrorEquals` matches),
//! never a Rust type name, and that the loop keeps serving after a panic.
//!
//! The runtime loop never returns, so this binary plays both parts. Run plainly, it starts a
//! fake Lambda Runtime API on 127.0.0.1, queues one invocation per case, spawns itself as the
//! function (`NARRATIX_TEST_ROLE=function`) with `AWS_LAMBDA_RUNTIME_API` pointing at the fake,
//! collects what the runtime posts back, then kills the child.

use std::collections::{HashMap, VecDeque};
use std::process::Stdio;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use narratix_domain::{ErrorKind, WireError};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::process::{Child, Command};

const ROLE_VAR: &str = "NARRATIX_TEST_ROLE";
const FUNCTION_ROLE: &str = "function";
const WAIT_FOR_ALL_POSTS: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------
// The function under test (child process)

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TestEvent {
    echo: String,
    #[serde(default)]
    fail_with: Option<ErrorKind>,
    #[serde(default)]
    panic: bool,
}

async fn test_handler(event: TestEvent) -> Result<Value, WireError> {
    if event.panic {
        panic!("the test handler panics on purpose");
    }
    if let Some(kind) = event.fail_with {
        return Err(kind.with_cause(format!("{kind} on purpose")));
    }
    Ok(json!({ "echo": event.echo }))
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    if std::env::var(ROLE_VAR).as_deref() == Ok(FUNCTION_ROLE) {
        let ended = runtime.block_on(narratix_domain::lambda::serve(test_handler));
        eprintln!("the runtime loop ended unexpectedly: {ended:?}");
        std::process::exit(1);
    }
    runtime.block_on(run_cases());
}

// ---------------------------------------------------------------------------------------
// The fake Runtime API (parent process)

#[derive(Debug, Clone)]
struct Posted {
    route: &'static str,
    body: Value,
}

#[derive(Default)]
struct FakeRuntimeApi {
    queue: Mutex<VecDeque<(String, Value)>>,
    posted: Mutex<HashMap<String, Posted>>,
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl FakeRuntimeApi {
    fn record(&self, request_id: String, route: &'static str, body: &Bytes) {
        let body = serde_json::from_slice(body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()));
        locked(&self.posted).insert(request_id, Posted { route, body });
    }
}

async fn next_invocation(State(api): State<Arc<FakeRuntimeApi>>) -> Response {
    let next = locked(&api.queue).pop_front();
    let Some((request_id, payload)) = next else {
        // Nothing left: hold the long poll open, as the real service does between events.
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
            "arn:aws:lambda:eu-central-1:000000000000:function:runtime-wire-names".to_owned(),
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

async fn init_error(State(api): State<Arc<FakeRuntimeApi>>, body: Bytes) -> StatusCode {
    api.record("init".to_owned(), "init/error", &body);
    StatusCode::ACCEPTED
}

// ---------------------------------------------------------------------------------------
// Cases and checks

enum Expected {
    ErrorNamed(&'static str),
    Response(Value),
}

struct Case {
    request_id: String,
    payload: Value,
    expected: Expected,
}

fn cases() -> Vec<Case> {
    let mut cases: Vec<Case> = ErrorKind::ALL
        .iter()
        .map(|kind| Case {
            request_id: format!("named-{}", kind.name()),
            payload: json!({ "echo": "x", "failWith": kind.name() }),
            expected: Expected::ErrorNamed(kind.name()),
        })
        .collect();
    cases.push(Case {
        request_id: "panic".to_owned(),
        payload: json!({ "echo": "x", "panic": true }),
        expected: Expected::ErrorNamed("Internal.Panic"),
    });
    cases.push(Case {
        request_id: "after-panic".to_owned(),
        payload: json!({ "echo": "still serving" }),
        expected: Expected::Response(json!({ "echo": "still serving" })),
    });
    cases.push(Case {
        request_id: "malformed-event".to_owned(),
        payload: json!({ "echo": 5 }),
        expected: Expected::ErrorNamed("Input.Invalid"),
    });
    cases
}

fn spawn_function(runtime_api: &str) -> Child {
    let this_test = std::env::current_exe().expect("path of this test binary");
    Command::new(this_test)
        .env(ROLE_VAR, FUNCTION_ROLE)
        .env("AWS_LAMBDA_RUNTIME_API", runtime_api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "runtime-wire-names")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test-stream")
        .env(
            "AWS_LAMBDA_LOG_GROUP_NAME",
            "/aws/lambda/runtime-wire-names",
        )
        .env_remove("AWS_LAMBDA_MAX_CONCURRENCY")
        .env_remove("AWS_LAMBDA_INITIALIZATION_TYPE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn the function process")
}

/// Stops the function process and returns what it wrote on stderr.
async fn stop(mut child: Child) -> String {
    let _ = child.start_kill();
    match child.wait_with_output().await {
        Ok(output) => String::from_utf8_lossy(&output.stderr).into_owned(),
        Err(err) => format!("(stderr unavailable: {err})"),
    }
}

async fn run_cases() {
    let cases = cases();
    let api = Arc::new(FakeRuntimeApi::default());
    locked(&api.queue).extend(
        cases
            .iter()
            .map(|case| (case.request_id.clone(), case.payload.clone())),
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the fake Runtime API");
    let address = listener.local_addr().expect("local address");
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next_invocation))
        .route(
            "/2018-06-01/runtime/invocation/{request_id}/response",
            post(invocation_response),
        )
        .route(
            "/2018-06-01/runtime/invocation/{request_id}/error",
            post(invocation_error),
        )
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .with_state(Arc::clone(&api));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let mut function = spawn_function(&address.to_string());
    let started = Instant::now();
    loop {
        if locked(&api.posted).len() >= cases.len() {
            break;
        }
        let exited = function.try_wait().expect("poll the function process");
        if exited.is_some() || started.elapsed() > WAIT_FOR_ALL_POSTS {
            let posted = locked(&api.posted).clone();
            let stderr = stop(function).await;
            panic!(
                "the function answered {} of {} invocations (exit: {exited:?}); posted: {posted:?}\nstderr:\n{stderr}",
                posted.len(),
                cases.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stderr = stop(function).await;

    let posted = locked(&api.posted).clone();
    let mut failures = Vec::new();
    for case in &cases {
        let Some(got) = posted.get(&case.request_id) else {
            failures.push(format!("{}: nothing posted", case.request_id));
            continue;
        };
        match &case.expected {
            Expected::ErrorNamed(name) => {
                if got.route != "error" || got.body["errorType"] != *name {
                    failures.push(format!(
                        "{}: expected error {name}, got {} {}",
                        case.request_id, got.route, got.body
                    ));
                }
            }
            Expected::Response(body) => {
                if got.route != "response" || got.body != *body {
                    failures.push(format!(
                        "{}: expected response {body}, got {} {}",
                        case.request_id, got.route, got.body
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}\nfunction stderr:\n{stderr}",
        failures.len(),
        failures.join("\n")
    );
    println!(
        "runtime_wire_names: {} invocations through the real lambda_runtime loop reached the caller under their wire names",
        cases.len()
    );
}
