//! The HTTP and WebSocket API emulation with the real functions on the stack: the JWT authorizer
//! and the WebSocket REQUEST authorizer refuse bad tokens; a job is created through `POST /jobs`,
//! its PDF PUT to the presigned URL, followed over the WebSocket while it runs (every message
//! checked against contracts/websocket-messages.schema.json, exactly one final message), read
//! with `GET /jobs/{id}`; another user gets 404; `@connections` answers 410 for a cut connection.
//!
//! Needs the venv of `scripts/setup-local` and the built functions (run it first). Without the
//! venv the test says so and does nothing, unless `NARRATIX_REQUIRE_LOCAL_STACK=1` (the suite).

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use narratix_auth::mint_dev_token;
use narratix_local_emulator::up;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use narratix_local_emulator::testing::{isolated_config, repository_root, stack_available};

const FIXTURE: &str = "tests/fixtures/corpus/lo-docx-01.pdf";
const OPENAPI: &str = include_str!("../../../contracts/http-api.openapi.yaml");
const MESSAGES_SCHEMA: &str = include_str!("../../../contracts/websocket-messages.schema.json");
const JOB_DEADLINE: Duration = Duration::from_secs(120);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The OpenAPI response schema for `method path` answering `status`, with its components.
fn response_schema(document: &Value, path: &str, method: &str, status: u16) -> Value {
    let mut response = &document["paths"][path][method]["responses"][status.to_string()];
    assert!(
        !response.is_null(),
        "{method} {path} does not document {status}"
    );
    if let Some(reference) = response["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/responses/");
        response = &document["components"]["responses"][name];
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "allOf": [response["content"]["application/json"]["schema"].clone()],
        "components": document["components"].clone(),
    })
}

/// Reads the response as JSON and checks it against the OpenAPI document.
async fn checked(
    openapi: &Value,
    path: &str,
    method: &str,
    response: reqwest::Response,
) -> (StatusCode, Value) {
    let status = response.status();
    let body: Value = response.json().await.expect("a JSON body");
    let schema = response_schema(openapi, path, method, status.as_u16());
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&body)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} {status}: {errors:?}\n{body}"
    );
    (status, body)
}

/// The next text message, as JSON, within `wait`; `None` on a timeout.
async fn next_message(socket: &mut Socket, wait: Duration) -> Option<Value> {
    let deadline = Instant::now() + wait;
    loop {
        let remaining = deadline.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(remaining, socket.next()).await {
            Err(_) => return None,
            Ok(Some(Ok(Message::Text(text)))) => {
                return Some(serde_json::from_str(text.as_str()).expect("a JSON message"))
            }
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
            Ok(other) => panic!("unexpected WebSocket event {other:?}"),
        }
    }
}

async fn connect(url: &str) -> Result<Socket, tungstenite::Error> {
    tokio_tungstenite::connect_async(url)
        .await
        .map(|(socket, _)| socket)
}

fn refused_status(result: Result<Socket, tungstenite::Error>) -> u16 {
    match result {
        Err(tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("handshake failed without an HTTP answer: {other}"),
        Ok(_) => panic!("the handshake was accepted"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_apis_authorize_run_and_stream_a_job_through_the_real_functions() {
    let test_started = Instant::now();
    let root = repository_root();
    if !stack_available(&root) {
        return;
    }
    let state = tempfile::tempdir().expect("temp dir");
    let config = isolated_config(&root, state.path());
    let stack = up(&config).await.expect("the stack starts");
    let manifest = stack.manifest.clone();
    eprintln!("stack ready in {:.2} s", manifest.started_in_seconds);

    // The manifest: URLs and identity, readable by its owner only.
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&stack.manifest_path)
            .expect("stack.json")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "stack.json holds the signing secret");
    }
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&stack.manifest_path).expect("stack.json"))
            .expect("JSON");
    let gateway = manifest.endpoint.clone();
    let http_api = format!("{gateway}/_apis/httpapi");
    let web_socket = format!(
        "ws://127.0.0.1:{}/_apis/websocketapi/live",
        config.gateway_port
    );
    assert_eq!(written["httpApiUrl"], http_api.as_str());
    assert_eq!(written["webSocketUrl"], web_socket.as_str());
    assert_eq!(
        written["identity"]["issuer"],
        format!("{gateway}/_identity")
    );
    assert_eq!(written["identity"]["audience"], "narratix-local");
    let identity = &manifest.identity;
    let token_of = |user: &str| {
        mint_dev_token(
            &identity.dev_secret,
            &identity.issuer,
            &identity.audience,
            user,
            Duration::from_secs(600),
        )
        .expect("a dev token")
    };
    let alice = token_of("alice");
    let bob = token_of("bob");
    let forged = mint_dev_token(
        "not-the-stack-secret",
        &identity.issuer,
        &identity.audience,
        "alice",
        Duration::from_secs(600),
    )
    .expect("a token");

    let openapi: Value = serde_norway::from_str(OPENAPI).expect("the OpenAPI document");
    let messages_schema: Value = serde_json::from_str(MESSAGES_SCHEMA).expect("the schema");
    let message_validator = jsonschema::validator_for(&messages_schema).expect("schema compiles");
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("an HTTP client");
    let pdf = std::fs::read(root.join(FIXTURE)).expect("fixture PDF");
    let create_body = json!({"files": [{"name": "자기소개서.pdf", "sizeBytes": pdf.len()}]});

    // HTTP: no token, a malformed token and a forged one never reach the function.
    for authorization in [
        None,
        Some("Bearer garbage".to_owned()),
        Some(format!("Bearer {forged}")),
    ] {
        let mut request = http.post(format!("{http_api}/jobs")).json(&create_body);
        if let Some(authorization) = &authorization {
            request = request.header("authorization", authorization);
        }
        let response = request.send().await.expect("the gateway answers");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.json::<Value>().await.expect("JSON"),
            json!({"message": "Unauthorized"})
        );
    }
    let response = http
        .get(format!("{http_api}/nowhere"))
        .bearer_auth(&alice)
        .send()
        .await
        .expect("the gateway answers");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        response.json::<Value>().await.expect("JSON"),
        json!({"message": "Not Found"})
    );
    let preflight = http
        .request(reqwest::Method::OPTIONS, format!("{http_api}/jobs"))
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .expect("the gateway answers");
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");

    // WebSocket: no token is 401, a bad one is denied by ws-authorizer (403).
    assert_eq!(refused_status(connect(&web_socket).await), 401);
    assert_eq!(
        refused_status(connect(&format!("{web_socket}?token={forged}")).await),
        403
    );

    // Create the job and upload its PDF.
    let response = http
        .post(format!("{http_api}/jobs"))
        .bearer_auth(&alice)
        .header("origin", "http://localhost:5173")
        .json(&create_body)
        .send()
        .await
        .expect("the gateway answers");
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let (status, created) = checked(&openapi, "/jobs", "post", response).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let job_id = created["jobId"].as_str().expect("a job id").to_owned();
    let target = &created["files"][0];
    let mut upload = http
        .put(target["uploadUrl"].as_str().expect("an upload URL"))
        .body(pdf.clone());
    for (name, value) in target["headers"].as_object().expect("upload headers") {
        upload = upload.header(name, value.as_str().expect("a header value"));
    }
    let uploaded = upload.send().await.expect("the upload reaches S3");
    assert!(uploaded.status().is_success(), "{}", uploaded.status());

    // Follow it over the WebSocket.
    let handshake = Instant::now();
    let mut socket = connect(&format!("{web_socket}?token={alice}"))
        .await
        .expect("a valid token connects");
    let handshake = handshake.elapsed();
    eprintln!(
        "WebSocket handshake (authorizer + $connect): {:.1} ms",
        handshake.as_secs_f64() * 1000.0
    );
    let validate = |message: &Value| {
        let errors: Vec<String> = message_validator
            .iter_errors(message)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{errors:?}\n{message}");
    };
    socket
        .send(Message::Text(r#"{"action":"unsubscribe"}"#.into()))
        .await
        .expect("send");
    let forbidden = next_message(&mut socket, Duration::from_secs(10))
        .await
        .expect("API Gateway's answer to an unknown route");
    assert_eq!(forbidden["message"], "Forbidden");
    assert!(forbidden["connectionId"].is_string() && forbidden["requestId"].is_string());

    socket
        .send(Message::Text(
            json!({"action": "subscribe", "jobId": job_id})
                .to_string()
                .into(),
        ))
        .await
        .expect("send");
    let subscribed = next_message(&mut socket, Duration::from_secs(10))
        .await
        .expect("subscribed");
    validate(&subscribed);
    assert_eq!(
        subscribed,
        json!({"type": "subscribed", "jobId": job_id, "status": "CREATED"})
    );

    let job_started = Instant::now();
    let response = http
        .post(format!("{http_api}/jobs/{job_id}/start"))
        .bearer_auth(&alice)
        .send()
        .await
        .expect("the gateway answers");
    let (status, started) = checked(&openapi, "/jobs/{id}/start", "post", response).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");

    let mut progress = Vec::new();
    let mut finals = Vec::new();
    while finals.is_empty() {
        let remaining = JOB_DEADLINE
            .checked_sub(job_started.elapsed())
            .expect("the job ends in time");
        let message = next_message(&mut socket, remaining)
            .await
            .expect("a message before the deadline");
        validate(&message);
        assert_eq!(message["jobId"], job_id.as_str(), "{message}");
        match message["type"].as_str() {
            Some("jobDone" | "jobFailed") => finals.push(message),
            _ => progress.push(message),
        }
    }
    let job_wall = job_started.elapsed();
    // Nothing final follows the final message.
    while let Some(late) = next_message(&mut socket, Duration::from_secs(2)).await {
        validate(&late);
        assert!(
            !matches!(late["type"].as_str(), Some("jobDone" | "jobFailed")),
            "a second final message: {late}"
        );
    }
    eprintln!(
        "job over the WebSocket: {} progress messages, final {} after {:.2} s",
        progress.len(),
        finals[0],
        job_wall.as_secs_f64()
    );
    assert_eq!(finals.len(), 1);
    assert_eq!(
        finals[0],
        json!({"type": "jobDone", "jobId": job_id, "noticeId": format!("{job_id}.final"), "status": "SUCCEEDED", "succeeded": 1, "failed": 0})
    );
    let stages: Vec<&str> = progress
        .iter()
        .filter_map(|message| message["stage"].as_str())
        .collect();
    assert!(
        stages.contains(&"EXTRACTING") && stages.contains(&"LABELING"),
        "{progress:?}"
    );
    assert!(
        progress
            .iter()
            .any(|message| message["type"] == "fileDone" && message["status"] == "SUCCEEDED"),
        "{progress:?}"
    );

    let response = http
        .get(format!("{http_api}/jobs/{job_id}"))
        .bearer_auth(&alice)
        .send()
        .await
        .expect("the gateway answers");
    let (status, job) = checked(&openapi, "/jobs/{id}", "get", response).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(job["status"], "SUCCEEDED");
    assert!(
        job["files"][0]["pairCount"]
            .as_u64()
            .is_some_and(|count| count >= 1),
        "{job}"
    );

    // Another user: 404 over HTTP and Job.NotFound over the WebSocket.
    let response = http
        .get(format!("{http_api}/jobs/{job_id}"))
        .bearer_auth(&bob)
        .send()
        .await
        .expect("the gateway answers");
    let (status, body) = checked(&openapi, "/jobs/{id}", "get", response).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "Job.NotFound");
    let mut bob_socket = connect(&format!("{web_socket}?token={bob}"))
        .await
        .expect("bob connects");
    bob_socket
        .send(Message::Text(
            json!({"action": "subscribe", "jobId": job_id})
                .to_string()
                .into(),
        ))
        .await
        .expect("send");
    let refused = next_message(&mut bob_socket, Duration::from_secs(10))
        .await
        .expect("an answer");
    validate(&refused);
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["error"], "Job.NotFound");

    // The fault route lists both connections; cutting alice's skips $disconnect, so posting to
    // it afterwards meets GoneException (410).
    let listed: Value = http
        .get(format!("{gateway}/_local/websocket/connections"))
        .send()
        .await
        .expect("the gateway answers")
        .json()
        .await
        .expect("JSON");
    let connection_of = |user: &str| {
        listed
            .as_array()
            .expect("a list")
            .iter()
            .find(|connection| connection["principalId"] == user)
            .and_then(|connection| connection["connectionId"].as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no connection of {user} in {listed}"))
    };
    let alice_connection = connection_of("alice");
    let bob_connection = connection_of("bob");
    let dropped = http
        .post(format!(
            "{gateway}/_local/websocket/connections/{alice_connection}/drop"
        ))
        .send()
        .await
        .expect("the gateway answers");
    assert_eq!(dropped.status(), StatusCode::NO_CONTENT);
    let ended = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .expect("the cut reaches the client");
    assert!(
        !matches!(ended, Some(Ok(Message::Text(_)))),
        "a cut socket delivers nothing: {ended:?}"
    );

    let sdk_config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(format!("{gateway}/_apis/websocketapi/live"))
        .region(aws_config::Region::new(manifest.region.clone()))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "local", "local", None, None, "test",
        ))
        .load()
        .await;
    let management = aws_sdk_apigatewaymanagement::Client::new(&sdk_config);
    let posted = management
        .post_to_connection()
        .connection_id(&alice_connection)
        .data(aws_sdk_apigatewaymanagement::primitives::Blob::new(
            br#"{"type":"late"}"#.to_vec(),
        ))
        .send()
        .await;
    let error = posted.expect_err("a cut connection is gone");
    assert!(
        error
            .as_service_error()
            .is_some_and(|e| e.is_gone_exception()),
        "{error:?}"
    );
    assert_eq!(
        error.raw_response().map(|raw| raw.status().as_u16()),
        Some(410)
    );

    // GET and DELETE on a live connection: DELETE closes it with a close frame.
    let described = management
        .get_connection()
        .connection_id(&bob_connection)
        .send()
        .await
        .expect("bob's connection is live");
    assert!(described.connected_at.is_some() && described.last_active_at.is_some());
    assert_eq!(
        described
            .identity
            .as_ref()
            .and_then(|identity| identity.source_ip.as_deref()),
        Some("127.0.0.1")
    );
    management
        .delete_connection()
        .connection_id(&bob_connection)
        .send()
        .await
        .expect("the connection closes");
    let closing = tokio::time::timeout(Duration::from_secs(5), bob_socket.next())
        .await
        .expect("the close reaches the client");
    assert!(
        matches!(closing, Some(Ok(Message::Close(_)))),
        "{closing:?}"
    );

    stack.stop().await;
    eprintln!(
        "test wall time: {:.2} s",
        test_started.elapsed().as_secs_f64()
    );
}
