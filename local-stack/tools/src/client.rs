//! A typed client for the running local stack, as a browser and an operator use it: dev tokens
//! from the stack's identity, the HTTP API (`contracts/http-api.openapi.yaml`), presigned
//! uploads, the WebSocket API (`contracts/websocket-messages.schema.json`) and the control API
//! for faults (`/_local`).
//!
//! Everything is read from the stack's manifest (`stack.json`), so the same client serves the
//! demo, the benchmark and the end-to-end tests, in-process or against `narratix-local up`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use narratix_domain::messages::ServerMessage;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use narratix_local_emulator::Manifest;

/// How long a minted dev token is valid.
pub const TOKEN_TTL: Duration = Duration::from_secs(60 * 60);
/// How long one HTTP request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("stack manifest {path}: {reason}")]
    Manifest { path: String, reason: String },
    #[error("the stack manifest has no {0}; is this stack older than the HTTP API emulation?")]
    NotInManifest(&'static str),
    #[error("dev token: {0}")]
    Token(#[from] narratix_auth::AuthError),
    #[error("{context}: {source}")]
    Http {
        context: String,
        #[source]
        source: reqwest::Error,
    },
    /// The API answered with an error status; `error` is its wire name when it gave one
    /// (`Job.NotFound`), else API Gateway's own `{"message"}` (`Unauthorized`).
    #[error("{context}: {status} {}{message}", error.as_deref().map(|name| format!("{name}: ")).unwrap_or_default())]
    Api {
        context: String,
        status: u16,
        error: Option<String>,
        message: String,
    },
    #[error("{context}: unexpected answer: {reason}")]
    Decode { context: String, reason: String },
    #[error("reading {path}: {source}")]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The WebSocket handshake was refused (401/403 from the authorizer).
    #[error("websocket handshake refused: {status}")]
    HandshakeRefused { status: u16 },
    #[error("websocket: {0}")]
    WebSocket(String),
    #[error("websocket closed by the server")]
    Closed,
    #[error("nothing arrived on the websocket within {0:?} ({1})")]
    Timeout(Duration, String),
}

impl ClientError {
    /// The HTTP status of an API error answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The wire error name of an API error answer (`Job.NotFound`).
    pub fn error_name(&self) -> Option<&str> {
        match self {
            ClientError::Api { error, .. } => error.as_deref(),
            _ => None,
        }
    }
}

fn http_error(context: impl Into<String>) -> impl FnOnce(reqwest::Error) -> ClientError {
    let context = context.into();
    move |source| ClientError::Http { context, source }
}

// ---------------------------------------------------------------------------------------------
// The manifest

/// The local identity: the dev issuer's HS256 secret, issuer and audience.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    pub issuer: String,
    pub audience: String,
    pub dev_secret: String,
}

/// What the client needs from `stack.json`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StackEndpoints {
    pub region: String,
    /// The AWS endpoint (the gateway).
    pub endpoint: String,
    pub http_api_url: Option<String>,
    pub web_socket_url: Option<String>,
    pub identity: Option<Identity>,
    /// The mock AI's base URL; `None` when the stack labels offline.
    #[serde(default)]
    pub ai_url: Option<String>,
    pub control_url: Option<String>,
    pub state_machine_arn: Option<String>,
    pub table: Option<String>,
    pub bucket: Option<String>,
}

impl StackEndpoints {
    pub fn from_manifest(manifest: &Manifest) -> Result<StackEndpoints, ClientError> {
        let invalid = |reason: String| ClientError::Manifest {
            path: "(in process)".to_owned(),
            reason,
        };
        let document =
            serde_json::to_value(manifest).map_err(|error| invalid(error.to_string()))?;
        serde_json::from_value(document).map_err(|error| invalid(error.to_string()))
    }

    pub fn from_file(path: &Path) -> Result<StackEndpoints, ClientError> {
        let text = std::fs::read_to_string(path).map_err(|error| ClientError::Manifest {
            path: path.display().to_string(),
            reason: format!(
                "{error} (start the stack with `narratix-local up` or run ./scripts/demo --keep)"
            ),
        })?;
        serde_json::from_str(&text).map_err(|error| ClientError::Manifest {
            path: path.display().to_string(),
            reason: error.to_string(),
        })
    }

    fn http_api(&self) -> Result<&str, ClientError> {
        self.http_api_url
            .as_deref()
            .ok_or(ClientError::NotInManifest("httpApiUrl"))
    }

    fn web_socket(&self) -> Result<&str, ClientError> {
        self.web_socket_url
            .as_deref()
            .ok_or(ClientError::NotInManifest("webSocketUrl"))
    }

    fn control(&self) -> Result<&str, ClientError> {
        self.control_url
            .as_deref()
            .ok_or(ClientError::NotInManifest("controlUrl"))
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP API views: the API's own types (contracts/http-api.openapi.yaml)

pub use narratix_domain::api::{
    CreatedJob, FileToUpload, FileView as JobFile, JobList, JobSummary, JobView as Job,
    UploadTarget, Usage,
};

/// An API error body: `{error, message}` from the function, `{message}` from the gateway.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: Option<String>,
    #[serde(default)]
    message: String,
}

/// A PDF to send: the name shown back to the user and its bytes.
#[derive(Debug, Clone)]
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl Upload {
    pub fn from_path(path: &Path) -> Result<Upload, ClientError> {
        let bytes = std::fs::read(path).map_err(|source| ClientError::File {
            path: path.display().to_string(),
            source,
        })?;
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "letter.pdf".to_owned());
        Ok(Upload { name, bytes })
    }
}

// ---------------------------------------------------------------------------------------------
// Control API views (/_local)

pub use narratix_local_emulator::FailNext;
pub use narratix_local_emulator::{AiFaults, AiScript, AiStatus, ScriptedResponse};

/// A scripted mock AI answer with just a status (`POST /_local/ai/script`).
pub fn scripted(status: u16) -> ScriptedResponse {
    ScriptedResponse {
        status,
        ..ScriptedResponse::default()
    }
}

/// How many AI calls the mock answered with `status`.
pub fn answered_with(status: &AiStatus, code: u16) -> u64 {
    status.answered.get(&code.to_string()).copied().unwrap_or(0)
}

/// `GET /_local/websocket/connections`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveConnection {
    pub connection_id: String,
    pub principal_id: String,
    pub connected_at: serde_json::Value,
}

// ---------------------------------------------------------------------------------------------
// The client

/// The stack as a whole: tokens for any user and the control API.
#[derive(Clone)]
pub struct StackClient {
    http: reqwest::Client,
    pub stack: StackEndpoints,
}

impl StackClient {
    pub fn new(stack: StackEndpoints) -> Result<StackClient, ClientError> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(http_error("building the HTTP client"))?;
        Ok(StackClient { http, stack })
    }

    pub fn from_manifest(manifest: &Manifest) -> Result<StackClient, ClientError> {
        StackClient::new(StackEndpoints::from_manifest(manifest)?)
    }

    pub fn from_manifest_file(path: &Path) -> Result<StackClient, ClientError> {
        StackClient::new(StackEndpoints::from_file(path)?)
    }

    /// A dev token for `user` from the stack's identity.
    pub fn token(&self, user: &str) -> Result<String, ClientError> {
        let identity = self
            .stack
            .identity
            .as_ref()
            .ok_or(ClientError::NotInManifest("identity"))?;
        Ok(narratix_auth::mint_dev_token(
            &identity.dev_secret,
            &identity.issuer,
            &identity.audience,
            user,
            TOKEN_TTL,
        )?)
    }

    /// The HTTP and WebSocket APIs as `user`.
    pub fn user(&self, user: &str) -> Result<UserClient, ClientError> {
        Ok(self.with_token(user, self.token(user)?))
    }

    /// The APIs with a given bearer token (which may be invalid, for tests).
    pub fn with_token(&self, user: &str, token: String) -> UserClient {
        UserClient {
            http: self.http.clone(),
            stack: self.stack.clone(),
            user: user.to_owned(),
            token,
        }
    }

    fn control_url(&self, path: &str) -> Result<String, ClientError> {
        Ok(format!("{}{path}", self.stack.control()?))
    }

    async fn control<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<Option<T>, ClientError> {
        let context = format!("{method} /_local{path}");
        let mut request = self.http.request(method, self.control_url(path)?);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(http_error(&context))?;
        read_answer(response, &context).await
    }

    /// `PUT /_local/ai`: the mock AI's latency, RPM limit, error and garbage rates.
    pub async fn set_ai_faults(&self, faults: &AiFaults) -> Result<(), ClientError> {
        let body = to_json(faults)?;
        self.control::<serde_json::Value>(reqwest::Method::PUT, "/ai", Some(body))
            .await
            .map(drop)
    }

    /// `GET /_local/ai`.
    pub async fn ai_status(&self) -> Result<AiStatus, ClientError> {
        self.control(reqwest::Method::GET, "/ai", None)
            .await?
            .ok_or_else(|| empty_answer("GET /_local/ai"))
    }

    /// `POST /_local/ai/script`: the next AI calls answer these, in order.
    pub async fn script_ai(&self, answers: &[ScriptedResponse]) -> Result<(), ClientError> {
        let body = to_json(&AiScript {
            responses: answers.to_vec(),
        })?;
        self.control::<serde_json::Value>(reqwest::Method::POST, "/ai/script", Some(body))
            .await
            .map(drop)
    }

    /// `DELETE /_local/ai/script`.
    pub async fn clear_ai_script(&self) -> Result<(), ClientError> {
        self.control::<serde_json::Value>(reqwest::Method::DELETE, "/ai/script", None)
            .await
            .map(drop)
    }

    /// `POST /_local/functions/{name}/fail-next`.
    pub async fn fail_next(&self, function: &str, failure: &FailNext) -> Result<(), ClientError> {
        let body = to_json(failure)?;
        let path = format!("/functions/{function}/fail-next");
        self.control::<serde_json::Value>(reqwest::Method::POST, &path, Some(body))
            .await
            .map(drop)
    }

    /// `DELETE /_local/functions/{name}/fail-next`.
    pub async fn clear_fail_next(&self, function: &str) -> Result<(), ClientError> {
        let path = format!("/functions/{function}/fail-next");
        self.control::<serde_json::Value>(reqwest::Method::DELETE, &path, None)
            .await
            .map(drop)
    }

    /// `GET /_local/websocket/connections`.
    pub async fn connections(&self) -> Result<Vec<LiveConnection>, ClientError> {
        self.control(reqwest::Method::GET, "/websocket/connections", None)
            .await?
            .ok_or_else(|| empty_answer("GET /_local/websocket/connections"))
    }

    /// The open connections of one user.
    pub async fn connections_of(&self, user: &str) -> Result<Vec<LiveConnection>, ClientError> {
        let mut connections = self.connections().await?;
        connections.retain(|connection| connection.principal_id == user);
        Ok(connections)
    }

    /// `POST /_local/websocket/connections/{id}/drop`: cut the socket without `$disconnect`.
    pub async fn drop_connection(&self, connection_id: &str) -> Result<(), ClientError> {
        let path = format!("/websocket/connections/{connection_id}/drop");
        self.control::<serde_json::Value>(reqwest::Method::POST, &path, None)
            .await
            .map(drop)
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<serde_json::Value, ClientError> {
    serde_json::to_value(value).map_err(|error| ClientError::Decode {
        context: "encoding a request".to_owned(),
        reason: error.to_string(),
    })
}

fn empty_answer(context: &str) -> ClientError {
    ClientError::Decode {
        context: context.to_owned(),
        reason: "empty body".to_owned(),
    }
}

/// A 2xx body as `T` (`None` when empty), or the error answer as [`ClientError::Api`].
async fn read_answer<T: DeserializeOwned>(
    response: reqwest::Response,
    context: &str,
) -> Result<Option<T>, ClientError> {
    let status = response.status();
    let body = response.bytes().await.map_err(http_error(context))?;
    if !status.is_success() {
        return Err(api_error(context, status, &body));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(|error| ClientError::Decode {
            context: context.to_owned(),
            reason: format!("{error}: {}", String::from_utf8_lossy(&body)),
        })
}

fn api_error(context: &str, status: StatusCode, body: &[u8]) -> ClientError {
    let (error, message) = match serde_json::from_slice::<ErrorBody>(body) {
        Ok(body) => (body.error, body.message),
        Err(_) => (None, String::from_utf8_lossy(body).into_owned()),
    };
    ClientError::Api {
        context: context.to_owned(),
        status: status.as_u16(),
        error,
        message,
    }
}

/// The HTTP and WebSocket APIs as one user.
#[derive(Clone)]
pub struct UserClient {
    http: reqwest::Client,
    stack: StackEndpoints,
    pub user: String,
    token: String,
}

impl UserClient {
    pub fn token(&self) -> &str {
        &self.token
    }

    async fn api<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<T, ClientError> {
        let context = format!("{method} {path}");
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.stack.http_api()?))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(http_error(&context))?;
        read_answer(response, &context)
            .await?
            .ok_or_else(|| empty_answer(&context))
    }

    /// `POST /jobs`.
    pub async fn create_job(&self, files: &[FileToUpload]) -> Result<CreatedJob, ClientError> {
        let body = serde_json::json!({ "files": to_json(&files)? });
        self.api(reqwest::Method::POST, "/jobs", Some(body)).await
    }

    /// PUTs one file to its presigned URL with the headers the API gave.
    pub async fn upload(&self, target: &UploadTarget, bytes: Vec<u8>) -> Result<(), ClientError> {
        let context = format!("uploading {} ({})", target.file_id, target.name);
        let mut request = self.http.put(&target.upload_url).body(bytes);
        for (name, value) in &target.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let response = request.send().await.map_err(http_error(&context))?;
        let status = response.status();
        if !status.is_success() {
            let body = response.bytes().await.map_err(http_error(&context))?;
            return Err(api_error(&context, status, &body));
        }
        Ok(())
    }

    /// Creates a job for the files and uploads each to its presigned URL.
    pub async fn create_and_upload(&self, uploads: &[Upload]) -> Result<CreatedJob, ClientError> {
        let files: Vec<FileToUpload> = uploads
            .iter()
            .map(|upload| FileToUpload {
                name: upload.name.clone(),
                size_bytes: upload.bytes.len() as u64,
            })
            .collect();
        let created = self.create_job(&files).await?;
        let puts = created
            .files
            .iter()
            .zip(uploads)
            .map(|(target, upload)| self.upload(target, upload.bytes.clone()));
        for outcome in futures_util::future::join_all(puts).await {
            outcome?;
        }
        Ok(created)
    }

    /// `POST /jobs/{id}/start`.
    pub async fn start_job(&self, job_id: &str) -> Result<Job, ClientError> {
        self.api(
            reqwest::Method::POST,
            &format!("/jobs/{job_id}/start"),
            None,
        )
        .await
    }

    /// `GET /jobs/{id}`.
    pub async fn job(&self, job_id: &str) -> Result<Job, ClientError> {
        self.api(reqwest::Method::GET, &format!("/jobs/{job_id}"), None)
            .await
    }

    /// `GET /jobs?limit=N`.
    pub async fn jobs(&self, limit: u32) -> Result<JobList, ClientError> {
        self.api(reqwest::Method::GET, &format!("/jobs?limit={limit}"), None)
            .await
    }

    /// Polls `GET /jobs/{id}` until the job is final (or `within` passes).
    pub async fn wait_final(&self, job_id: &str, within: Duration) -> Result<Job, ClientError> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let job = self.job(job_id).await?;
            if job.status.is_final() || tokio::time::Instant::now() >= deadline {
                return Ok(job);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Opens the WebSocket (`?token=`); the authorizer refuses a bad token at the handshake.
    pub async fn connect(&self) -> Result<LiveSocket, ClientError> {
        let url = format!("{}?token={}", self.stack.web_socket()?, self.token);
        match tokio_tungstenite::connect_async(url).await {
            Ok((stream, _)) => Ok(LiveSocket { stream }),
            Err(tungstenite::Error::Http(response)) => Err(ClientError::HandshakeRefused {
                status: response.status().as_u16(),
            }),
            Err(error) => Err(ClientError::WebSocket(error.to_string())),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The WebSocket

/// One message received: a server message of the contract, or anything else (API Gateway's own
/// `{"message": "Forbidden", …}` for an unrouted frame).
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    Server(ServerMessage),
    Other(serde_json::Value),
}

impl Incoming {
    fn parse(text: &str) -> Result<Incoming, ClientError> {
        if let Ok(message) = serde_json::from_str::<ServerMessage>(text) {
            return Ok(Incoming::Server(message));
        }
        serde_json::from_str(text)
            .map(Incoming::Other)
            .map_err(|error| ClientError::Decode {
                context: "websocket frame".to_owned(),
                reason: format!("{error}: {text}"),
            })
    }

    /// A job's final notice: `jobDone` or `jobFailed`.
    pub fn is_final_notice(&self) -> bool {
        matches!(
            self,
            Incoming::Server(ServerMessage::JobDone { .. } | ServerMessage::JobFailed { .. })
        )
    }
}

/// A connected WebSocket.
pub struct LiveSocket {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl LiveSocket {
    /// Sends `{"action":"subscribe","jobId":…}`.
    pub async fn subscribe(&mut self, job_id: &str) -> Result<(), ClientError> {
        let frame = serde_json::json!({"action": "subscribe", "jobId": job_id}).to_string();
        self.send_text(frame).await
    }

    pub async fn send_text(&mut self, text: String) -> Result<(), ClientError> {
        self.stream
            .send(Message::text(text))
            .await
            .map_err(|error| ClientError::WebSocket(error.to_string()))
    }

    /// The next message, waiting at most `within`.
    pub async fn next(&mut self, within: Duration) -> Result<Incoming, ClientError> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .map_err(|_| ClientError::Timeout(within, "waiting for a message".to_owned()))?;
            match frame {
                None => return Err(ClientError::Closed),
                Some(Err(error)) => return Err(ClientError::WebSocket(error.to_string())),
                Some(Ok(Message::Text(text))) => return Incoming::parse(text.as_str()),
                Some(Ok(Message::Binary(bytes))) => {
                    return Incoming::parse(&String::from_utf8_lossy(&bytes))
                }
                Some(Ok(Message::Close(_))) => return Err(ClientError::Closed),
                Some(Ok(_)) => continue,
            }
        }
    }

    /// Subscribes and waits for the `subscribed` answer (or the `error` answer, returned as is).
    pub async fn subscribe_and_confirm(
        &mut self,
        job_id: &str,
        within: Duration,
    ) -> Result<Incoming, ClientError> {
        self.subscribe(job_id).await?;
        self.next(within).await
    }

    /// Every message until `job_id`'s final notice (included), each handed to `seen` as it
    /// arrives; fails when `within` passes first.
    pub async fn until_final(
        &mut self,
        job_id: &str,
        within: Duration,
        mut seen: impl FnMut(&Incoming),
    ) -> Result<Vec<Incoming>, ClientError> {
        let deadline = tokio::time::Instant::now() + within;
        let mut messages = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let message = self.next(left).await.map_err(|error| match error {
                ClientError::Timeout(..) => ClientError::Timeout(
                    within,
                    format!(
                        "no final notice for job {job_id}; got {} message(s)",
                        messages.len()
                    ),
                ),
                other => other,
            })?;
            seen(&message);
            let done = message.is_final_notice() && notice_job(&message) == Some(job_id);
            messages.push(message);
            if done {
                return Ok(messages);
            }
        }
    }

    /// Whatever arrives within `quiet` (none is the usual answer).
    pub async fn drain(&mut self, quiet: Duration) -> Result<Vec<Incoming>, ClientError> {
        let mut messages = Vec::new();
        loop {
            match self.next(quiet).await {
                Ok(message) => messages.push(message),
                Err(ClientError::Timeout(..)) => return Ok(messages),
                Err(error) => return Err(error),
            }
        }
    }

    pub async fn close(mut self) -> Result<(), ClientError> {
        self.stream
            .close(None)
            .await
            .map_err(|error| ClientError::WebSocket(error.to_string()))
    }
}

/// The job a server message is about.
pub fn notice_job(message: &Incoming) -> Option<&str> {
    let Incoming::Server(message) = message else {
        return None;
    };
    match message {
        ServerMessage::FileProgress { job_id, .. }
        | ServerMessage::FileDone { job_id, .. }
        | ServerMessage::JobDone { job_id, .. }
        | ServerMessage::JobFailed { job_id, .. }
        | ServerMessage::JobDeleted { job_id }
        | ServerMessage::Subscribed { job_id, .. } => Some(job_id.as_str()),
        ServerMessage::Error { .. } | ServerMessage::SessionExpired { .. } => None,
    }
}

/// The default manifest path of a repository: `ROOT/.local/stack/stack.json`.
pub fn default_manifest_path(root: &Path) -> PathBuf {
    root.join(".local/stack/stack.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_agreed_manifest_fields() {
        let stack: StackEndpoints = serde_json::from_value(serde_json::json!({
            "region": "us-east-1",
            "endpoint": "http://127.0.0.1:4566",
            "httpApiUrl": "http://127.0.0.1:4566/_apis/httpapi",
            "webSocketUrl": "ws://127.0.0.1:4566/_apis/websocketapi/live",
            "identity": {"issuer": "http://127.0.0.1:4566/_identity", "audience": "narratix-local", "devSecret": "s3cret"},
            "aiUrl": null,
            "controlUrl": "http://127.0.0.1:4566/_local",
            "stateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:x",
            "table": "t",
            "bucket": "b",
            "queues": {}
        }))
        .expect("manifest");
        let client = StackClient::new(stack).expect("client");
        let token = client.token("alice").expect("token");
        let verifier = narratix_auth::VerifierConfig {
            issuer: "http://127.0.0.1:4566/_identity".into(),
            audience: "narratix-local".into(),
            keys: narratix_auth::KeySource::DevSecret("s3cret".into()),
        };
        let claims = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(narratix_auth::Verifier::new(verifier).verify(&token))
            .expect("the stack's verifier accepts the token");
        assert_eq!(claims.sub, "alice");
        assert_eq!(
            client.control_url("/ai").expect("url"),
            "http://127.0.0.1:4566/_local/ai"
        );
    }

    #[test]
    fn an_old_manifest_names_what_is_missing() {
        let stack: StackEndpoints = serde_json::from_value(serde_json::json!({
            "region": "us-east-1", "endpoint": "http://127.0.0.1:4566"
        }))
        .expect("manifest");
        let client = StackClient::new(stack).expect("client");
        assert!(matches!(
            client.token("alice"),
            Err(ClientError::NotInManifest("identity"))
        ));
    }

    #[test]
    fn parses_server_messages_and_gateway_answers() {
        let done = Incoming::parse(
            r#"{"type":"jobDone","jobId":"job-1","noticeId":"job-1.final","status":"PARTIAL","succeeded":2,"failed":1}"#,
        )
        .expect("jobDone");
        assert!(done.is_final_notice());
        assert_eq!(notice_job(&done), Some("job-1"));
        let forbidden =
            Incoming::parse(r#"{"message":"Forbidden","connectionId":"c","requestId":"r"}"#)
                .expect("gateway answer");
        assert!(matches!(forbidden, Incoming::Other(_)));
        assert!(!forbidden.is_final_notice());
    }

    #[test]
    fn api_errors_keep_the_wire_name_and_status() {
        let error = api_error(
            "GET /jobs/x",
            StatusCode::NOT_FOUND,
            br#"{"error":"Job.NotFound","message":"no such job"}"#,
        );
        assert_eq!(error.status(), Some(404));
        assert_eq!(error.error_name(), Some("Job.NotFound"));
        let unauthorized = api_error(
            "GET /jobs",
            StatusCode::UNAUTHORIZED,
            br#"{"message":"Unauthorized"}"#,
        );
        assert_eq!(unauthorized.status(), Some(401));
        assert_eq!(unauthorized.error_name(), None);
    }
}
