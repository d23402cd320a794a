//! An OpenAI-compatible chat completions server for the labeler's line-span protocol (split and
//! categorisation, `json_schema` or `json_object` mode, the repair turn). It is a model of its
//! own, not the labeler under test: it answers a corpus document with the fixture's ground
//! truth, any other with a plain method of its own ([`model`]), or with a scripted reply; its
//! usage is counted with the o200k tokenizer. Faults are configuration: latency, requests- and
//! tokens-per-minute limits answered by 429 + `Retry-After`, error and garbage rates, and a
//! script of answers for the next calls.

mod model;
mod truth;

pub use truth::Truth;

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};

/// The model name the local stack configures (`AiModel`).
pub const MOCK_MODEL: &str = "narratix-mock";

/// The runtime-configurable behaviour (`PUT /_local/ai`); a field left out takes its default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct AiFaults {
    /// Added to every call before it is answered.
    pub latency_ms: u64,
    /// Calls admitted per sliding minute; beyond it the call is answered 429 with `Retry-After`.
    pub requests_per_minute: Option<u32>,
    /// Tokens per sliding minute: the prompt tokens of the admitted calls plus the completion
    /// tokens answered. A call whose prompt would take the minute's sum over it is answered 429
    /// with `Retry-After` (the seconds until enough of the minute frees); a prompt larger than
    /// the limit itself never fits and is answered 429 without `Retry-After`.
    pub tokens_per_minute: Option<u32>,
    /// Share of admitted calls answered 500.
    pub error_rate: f64,
    /// Share of admitted calls answered 200 with content that is not valid JSON for the schema.
    pub garbage_rate: f64,
}

impl Default for AiFaults {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            requests_per_minute: None,
            tokens_per_minute: None,
            error_rate: 0.0,
            garbage_rate: 0.0,
        }
    }
}

impl AiFaults {
    pub fn validate(&self) -> Result<(), String> {
        for (name, rate) in [
            ("errorRate", self.error_rate),
            ("garbageRate", self.garbage_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name} must be between 0 and 1"));
            }
        }
        if self.requests_per_minute == Some(0) {
            return Err("requestsPerMinute must be at least 1 (or null for no limit)".into());
        }
        if self.tokens_per_minute == Some(0) {
            return Err("tokensPerMinute must be at least 1 (or null for no limit)".into());
        }
        if self.latency_ms > 600_000 {
            return Err("latencyMs must be at most 600000".into());
        }
        Ok(())
    }
}

/// One scripted answer: its status (200 answers normally, with garbage when `garbage`, or with
/// exactly `content` when given).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScriptedResponse {
    pub status: u16,
    /// The `Retry-After` header of a 429, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
    /// A 200 whose content is not valid JSON for the schema.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub garbage: bool,
    /// A 200 whose content is this text, whatever was asked: a test's own model answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Answered after this long instead of the faults' latency: a provider that hangs past
    /// the client's timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
}

/// `POST /_local/ai/script`: the next calls answer these in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AiScript {
    pub responses: Vec<ScriptedResponse>,
}

impl AiScript {
    pub fn validate(&self) -> Result<(), String> {
        for (index, response) in self.responses.iter().enumerate() {
            if !(response.status == 200 || (400..=599).contains(&response.status)) {
                return Err(format!(
                    "response {}: status must be 200 or 400 to 599",
                    index + 1
                ));
            }
            if (response.garbage || response.content.is_some()) && response.status != 200 {
                return Err(format!(
                    "response {}: only a 200 can carry garbage or content",
                    index + 1
                ));
            }
            if response.garbage && response.content.is_some() {
                return Err(format!(
                    "response {}: garbage or content, not both",
                    index + 1
                ));
            }
            if response.delay_ms.is_some_and(|delay| delay > 600_000) {
                return Err(format!(
                    "response {}: delayMs must be at most 600000",
                    index + 1
                ));
            }
        }
        Ok(())
    }
}

/// `GET /_local/ai`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AiStatus {
    pub config: AiFaults,
    pub script_remaining: usize,
    /// Every call received, whatever its answer.
    pub requests: u64,
    /// Calls by the status they were answered with.
    pub answered: BTreeMap<String, u64>,
    /// The sliding minute the limits are checked against (`config` holds the limits).
    pub window: WindowStatus,
    /// Tokens of every 200 answer, as its `usage` said.
    pub tokens: TokenTotals,
    /// 200 answers by where they came from: `truth` (a corpus document's ground truth),
    /// `ownMethod` (the mock's own split), `scripted` (a script's content), `garbage`.
    pub answers: BTreeMap<String, u64>,
    /// Documents the mock knows the truth of.
    pub known_documents: usize,
}

/// The last minute as the limits see it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowStatus {
    /// Calls admitted in the last minute.
    pub requests: u64,
    /// Their prompt tokens plus the completion tokens answered in the last minute.
    pub tokens: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenTotals {
    pub prompt: u64,
    pub completion: u64,
}

/// The mock: its API key, what it knows, its faults and its counters.
pub struct MockAi {
    api_key: String,
    truth: Arc<Truth>,
    state: Mutex<MockState>,
}

#[derive(Default)]
struct MockState {
    faults: AiFaults,
    script: VecDeque<ScriptedResponse>,
    requests: u64,
    answered: BTreeMap<u16, u64>,
    answers: BTreeMap<&'static str, u64>,
    /// When the calls of the last minute were admitted (for the RPM limit).
    admitted: VecDeque<Instant>,
    /// The tokens of the last minute, each with when it was counted (for the TPM limit): a
    /// call's prompt when it is admitted, its completion when it is answered.
    tokens: Vec<(Instant, u64)>,
    prompt_tokens: u64,
    completion_tokens: u64,
}

impl MockState {
    /// Forgets what is older than a minute at `now`.
    fn slide(&mut self, now: Instant) {
        let fresh = |at: &Instant| now.saturating_duration_since(*at) < RATE_WINDOW;
        while self.admitted.front().is_some_and(|at| !fresh(at)) {
            self.admitted.pop_front();
        }
        // Completions are counted when answered: the entries are not quite in time order.
        self.tokens.retain(|(at, _)| fresh(at));
    }

    fn admit(&mut self, now: Instant, prompt_tokens: u64) {
        self.admitted.push_back(now);
        self.tokens.push((now, prompt_tokens));
    }

    fn window_tokens(&self) -> u64 {
        self.tokens.iter().map(|(_, tokens)| tokens).sum()
    }

    /// Whether a prompt of `prompt_tokens` fits the TPM limit at `now` (after [`Self::slide`]);
    /// when not, the wait until it does (`None`: never, the prompt is over the limit itself).
    fn tokens_wait(
        &self,
        limit: u64,
        prompt_tokens: u64,
        now: Instant,
    ) -> Result<(), Option<Duration>> {
        let used = self.window_tokens();
        if used + prompt_tokens <= limit {
            return Ok(());
        }
        if prompt_tokens > limit {
            return Err(None);
        }
        let mut entries = self.tokens.clone();
        entries.sort_by_key(|(at, _)| *at);
        let mut left = used;
        for (at, tokens) in entries {
            left -= tokens;
            if left + prompt_tokens <= limit {
                return Err(Some(
                    RATE_WINDOW.saturating_sub(now.saturating_duration_since(at)),
                ));
            }
        }
        Err(Some(RATE_WINDOW))
    }
}

/// Which limit refused a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Limit {
    Requests,
    Tokens {
        limit: u64,
        used: u64,
        requested: u64,
    },
}

/// What to do with one call, decided before reading its body.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Decision {
    Unauthorized,
    RateLimited {
        limit: Limit,
        retry_after_seconds: Option<u64>,
    },
    Fail(StatusCode),
    Answer {
        garbage: bool,
    },
    Scripted(String),
}

const RATE_WINDOW: Duration = Duration::from_secs(60);

impl MockAi {
    pub fn new(api_key: impl Into<String>, truth: Truth) -> Self {
        // The tokenizer takes a moment to build: do it before the first call needs it.
        std::thread::spawn(|| {
            tiktoken_rs::o200k_base_singleton();
        });
        Self {
            api_key: api_key.into(),
            truth: Arc::new(truth),
            state: Mutex::new(MockState::default()),
        }
    }

    /// A fresh random key, as the stack makes at each start.
    pub fn random_key() -> String {
        format!("sk-narratix-local-{}", uuid::Uuid::new_v4().simple())
    }

    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    fn state(&self) -> MutexGuard<'_, MockState> {
        // A panic while holding the lock leaves only counters behind: keep serving.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn set_faults(&self, faults: AiFaults) -> Result<(), String> {
        faults.validate()?;
        tracing::info!(?faults, "mock AI faults set");
        let mut state = self.state();
        state.faults = faults;
        state.admitted.clear();
        state.tokens.clear();
        Ok(())
    }

    pub fn set_script(&self, script: AiScript) -> Result<(), String> {
        script.validate()?;
        tracing::info!(responses = script.responses.len(), "mock AI script set");
        self.state().script = script.responses.into();
        Ok(())
    }

    pub fn clear_script(&self) {
        self.state().script.clear();
    }

    pub fn status(&self) -> AiStatus {
        let mut state = self.state();
        state.slide(Instant::now());
        AiStatus {
            config: state.faults.clone(),
            script_remaining: state.script.len(),
            requests: state.requests,
            answered: state
                .answered
                .iter()
                .map(|(status, count)| (status.to_string(), *count))
                .collect(),
            window: WindowStatus {
                requests: state.admitted.len() as u64,
                tokens: state.window_tokens(),
            },
            tokens: TokenTotals {
                prompt: state.prompt_tokens,
                completion: state.completion_tokens,
            },
            answers: state
                .answers
                .iter()
                .map(|(source, count)| ((*source).to_owned(), *count))
                .collect(),
            known_documents: self.truth.len(),
        }
    }

    /// Counts the call and decides its fate: key, script, RPM and TPM limits, error and garbage
    /// rates. `prompt_tokens` is the call's prompt as its usage will count it.
    fn decide(
        &self,
        bearer: Option<&str>,
        now: Instant,
        prompt_tokens: u64,
    ) -> (Decision, Duration) {
        let mut state = self.state();
        state.requests += 1;
        let latency = Duration::from_millis(state.faults.latency_ms);
        if bearer != Some(self.api_key.as_str()) {
            return (Decision::Unauthorized, latency);
        }
        state.slide(now);
        if let Some(scripted) = state.script.pop_front() {
            let latency = scripted.delay_ms.map_or(latency, Duration::from_millis);
            let decision = match (scripted.status, scripted.content) {
                (200, Some(content)) => Decision::Scripted(content),
                (200, None) => Decision::Answer {
                    garbage: scripted.garbage,
                },
                (401, _) => Decision::Unauthorized,
                (429, _) => Decision::RateLimited {
                    limit: Limit::Requests,
                    retry_after_seconds: scripted.retry_after_seconds,
                },
                (status, _) => Decision::Fail(
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                ),
            };
            if matches!(decision, Decision::Answer { .. } | Decision::Scripted(_)) {
                state.admit(now, prompt_tokens);
            }
            return (decision, latency);
        }
        if let Some(limit) = state.faults.requests_per_minute {
            if state.admitted.len() >= limit as usize {
                let oldest = state.admitted.front().copied().unwrap_or(now);
                let wait = RATE_WINDOW.saturating_sub(now.saturating_duration_since(oldest));
                return (
                    Decision::RateLimited {
                        limit: Limit::Requests,
                        retry_after_seconds: Some(whole_seconds(wait)),
                    },
                    latency,
                );
            }
        }
        if let Some(limit) = state.faults.tokens_per_minute {
            let limit = u64::from(limit);
            if let Err(wait) = state.tokens_wait(limit, prompt_tokens, now) {
                return (
                    Decision::RateLimited {
                        limit: Limit::Tokens {
                            limit,
                            used: state.window_tokens(),
                            requested: prompt_tokens,
                        },
                        retry_after_seconds: wait.map(whole_seconds),
                    },
                    latency,
                );
            }
        }
        state.admit(now, prompt_tokens);
        if fastrand::f64() < state.faults.error_rate {
            return (Decision::Fail(StatusCode::INTERNAL_SERVER_ERROR), latency);
        }
        let garbage = fastrand::f64() < state.faults.garbage_rate;
        (Decision::Answer { garbage }, latency)
    }

    fn record(&self, status: StatusCode, completion: Option<&Completion>) {
        let mut state = self.state();
        *state.answered.entry(status.as_u16()).or_default() += 1;
        if let Some(completion) = completion {
            *state.answers.entry(completion.answer).or_default() += 1;
            state.prompt_tokens += completion.prompt_tokens;
            state.completion_tokens += completion.completion_tokens;
            // The answer's tokens count against the minute from when they were answered.
            state
                .tokens
                .push((Instant::now(), completion.completion_tokens));
        }
    }
}

/// A wait as `Retry-After` seconds: rounded up, at least 1.
fn whole_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// The mock's routes, relative to its base URL (`G/_ai/v1` in the stack).
pub fn router<S>(ai: Arc<MockAi>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/chat/completions", post(chat_completions))
        .with_state(ai)
}

async fn chat_completions(
    State(ai): State<Arc<MockAi>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    let started = Instant::now();
    // The TPM limit needs the prompt's size before the call is admitted; tokenizing is CPU
    // work, off the runtime that proxies everything else.
    let prepared = tokio::task::spawn_blocking(move || Prepared::read(&body))
        .await
        .unwrap_or_else(|_| Prepared {
            request: Err("the mock failed to read the request".to_owned()),
            prompt_tokens: 0,
        });
    let (decision, latency) = ai.decide(bearer, Instant::now(), prepared.prompt_tokens);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let response = match decision {
        Decision::Unauthorized => Answered::Plain(openai_error(
            StatusCode::UNAUTHORIZED,
            "Incorrect API key provided.",
            "invalid_request_error",
            Some("invalid_api_key"),
        )),
        Decision::RateLimited {
            limit,
            retry_after_seconds,
        } => {
            let (message, kind) = match limit {
                Limit::Requests => (
                    "Rate limit reached for requests. Please try again later.".to_owned(),
                    "requests",
                ),
                Limit::Tokens {
                    limit, requested, ..
                } if requested > limit => (
                    format!(
                        "Request too large for tokens per min (TPM): Limit {limit}, Requested {requested}."
                    ),
                    "tokens",
                ),
                Limit::Tokens {
                    limit,
                    used,
                    requested,
                } => (
                    format!(
                        "Rate limit reached for tokens per min (TPM): Limit {limit}, Used {used}, Requested {requested}. Please try again in {}s.",
                        retry_after_seconds.unwrap_or(1)
                    ),
                    "tokens",
                ),
            };
            let mut response = openai_error(
                StatusCode::TOO_MANY_REQUESTS,
                &message,
                kind,
                Some("rate_limit_exceeded"),
            );
            if let Some(seconds) = retry_after_seconds {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            Answered::Plain(response)
        }
        Decision::Fail(status) if status.is_server_error() => Answered::Plain(openai_error(
            status,
            "The server had an error while processing your request.",
            "server_error",
            None,
        )),
        Decision::Fail(status) => Answered::Plain(openai_error(
            status,
            "The request was refused (scripted).",
            "invalid_request_error",
            None,
        )),
        Decision::Answer { garbage } => {
            answer_with(
                &ai,
                prepared,
                if garbage {
                    Reply::Garbage
                } else {
                    Reply::Model
                },
            )
            .await
        }
        Decision::Scripted(content) => answer_with(&ai, prepared, Reply::Scripted(content)).await,
    };
    let (mut response, completion) = match response {
        Answered::Plain(response) => (response, None),
        Answered::Completion(response, completion) => (response, Some(completion)),
    };
    let status = response.status();
    ai.record(status, completion.as_ref());
    if let Some(completion) = completion {
        response.headers_mut().insert(
            "x-narratix-mock-answer",
            HeaderValue::from_static(completion.answer),
        );
    }
    tracing::debug!(
        status = status.as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "mock AI answered"
    );
    response
}

fn openai_error(status: StatusCode, message: &str, kind: &str, code: Option<&str>) -> Response {
    let body = json!({"error": {"message": message, "type": kind, "param": null, "code": code}});
    (status, axum::Json(body)).into_response()
}

/// A call's response, and for a 200 what it answered.
enum Answered {
    Plain(Response),
    Completion(Response, Completion),
}

/// A 200's content source (`truth`, `ownMethod`, `scripted` or `garbage`) and its usage.
struct Completion {
    answer: &'static str,
    prompt_tokens: u64,
    completion_tokens: u64,
}

/// A call's body as read before it is decided: the request (or why it cannot be answered) and
/// its prompt tokens as its usage counts them (0 when it cannot be read).
struct Prepared {
    request: Result<Json, String>,
    prompt_tokens: u64,
}

impl Prepared {
    fn read(body: &[u8]) -> Prepared {
        match serde_json::from_slice::<Json>(body) {
            Ok(request) => {
                let prompt_tokens = request
                    .get("messages")
                    .and_then(Json::as_array)
                    .map_or(0, |messages| prompt_tokens(messages));
                Prepared {
                    request: Ok(request),
                    prompt_tokens,
                }
            }
            Err(_) => Prepared {
                request: Err("the body is not JSON".to_owned()),
                prompt_tokens: 0,
            },
        }
    }
}

/// What a 200 carries.
enum Reply {
    /// The mock model's answer to the request.
    Model,
    /// The model's answer cut in half (never valid JSON).
    Garbage,
    /// A script's content, whatever was asked.
    Scripted(String),
}

async fn answer_with(ai: &Arc<MockAi>, prepared: Prepared, reply: Reply) -> Answered {
    let truth = ai.truth.clone();
    // Matching and tokenizing are CPU work: off the runtime that proxies everything else.
    let answered = tokio::task::spawn_blocking(move || {
        let prompt_tokens = prepared.prompt_tokens;
        prepared
            .request
            .and_then(|request| complete(&truth, &request, prompt_tokens, reply))
    })
    .await
    .unwrap_or_else(|_| Err("the mock failed to compute the answer".to_owned()));
    match answered {
        Ok((body, completion)) => Answered::Completion(
            (StatusCode::OK, axum::Json(body)).into_response(),
            completion,
        ),
        Err(problem) => Answered::Plain(openai_error(
            StatusCode::BAD_REQUEST,
            &problem,
            "invalid_request_error",
            None,
        )),
    }
}

/// The chat completion for a request of the labeler's protocol (whose prompt counts
/// `prompt_tokens`), where its content came from and its usage.
fn complete(
    truth: &Truth,
    request: &Json,
    prompt_tokens: u64,
    reply: Reply,
) -> Result<(Json, Completion), String> {
    let messages = request
        .get("messages")
        .and_then(Json::as_array)
        .ok_or("messages must be an array")?;
    let text_of = |role: &str| {
        messages
            .iter()
            .find(|message| message.get("role").and_then(Json::as_str) == Some(role))
            .and_then(|message| message.get("content"))
            .and_then(Json::as_str)
    };
    let (content, answer) = match reply {
        Reply::Scripted(content) => (content, "scripted"),
        Reply::Model | Reply::Garbage => {
            let garbage = matches!(reply, Reply::Garbage);
            let system = text_of("system").ok_or("no system message with text content")?;
            // On a repair the conversation goes on with the rejected reply and the problem;
            // the document is still the first user turn, and the answer to it is the same.
            let document = text_of("user").ok_or("no user message with text content")?;
            let lines = model::numbered_lines(document)?;
            let (content, source) = model::answer(truth, model::task_of(request, system)?, &lines);
            match (garbage, source) {
                (true, _) => (
                    content.chars().take(content.chars().count() / 2).collect(),
                    "garbage",
                ),
                (false, model::Source::Truth) => (content, "truth"),
                (false, model::Source::OwnMethod) => (content, "ownMethod"),
            }
        }
    };
    let completion_tokens = tokens(&content);
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_secs())
        .unwrap_or_default();
    let model = request
        .get("model")
        .and_then(Json::as_str)
        .unwrap_or(MOCK_MODEL);
    Ok((
        json!({
            "id": format!("chatcmpl-{}", uuid::Uuid::new_v4().simple()),
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": null},
                "logprobs": null,
                "finish_reason": "stop",
            }],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
            "system_fingerprint": "narratix-local-mock",
        }),
        Completion {
            answer,
            prompt_tokens,
            completion_tokens,
        },
    ))
}

fn tokens(text: &str) -> u64 {
    tiktoken_rs::o200k_base_singleton()
        .encode_ordinary(text)
        .len() as u64
}

/// Prompt tokens as OpenAI counts chat messages: 3 per message, its role and content, and 3
/// priming the reply.
fn prompt_tokens(messages: &[Json]) -> u64 {
    let per_message: u64 = messages
        .iter()
        .map(|message| {
            let field = |name: &str| message.get(name).and_then(Json::as_str).unwrap_or_default();
            3 + tokens(field("role")) + tokens(field("content"))
        })
        .sum();
    per_message + 3
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use narratix_domain::Category;
    use narratix_label::{ApiKey, LabelConfig, LabelError, Labeler, OpenAiJsonMode, ProviderKind};

    use super::*;

    const KEY: &str = "sk-test-mock";

    /// Two numbered questions with their answers; a title line first. Not a corpus document.
    const LETTER: &str = "지원서 - 홍길동\n\
        1. 지원 동기를 기술해 주십시오. (500자)\n\
        저는 고객의 불편을 데이터로 풀어내는 일에 보람을 느껴 이 회사에 지원했습니다.\n\
        입사 후에는 주문 시스템의 응답 시간을 줄이는 데 기여하겠습니다.\n\
        2. 팀으로 협업하여 성과를 낸 경험을 쓰십시오. (700자)\n\
        학부 캡스톤 프로젝트에서 네 명의 팀원과 함께 재고 관리 서비스를 만들었습니다.\n\
        역할을 나누고 매주 회고하며 일정 지연을 막았습니다.\n";

    fn corpus() -> std::path::PathBuf {
        crate::testing::repository_root().join("tests/fixtures/corpus")
    }

    fn mock() -> Arc<MockAi> {
        Arc::new(MockAi::new(KEY, Truth::load(&[&corpus()])))
    }

    /// The mock on a local port; its base URL.
    async fn serve(ai: Arc<MockAi>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a local port");
        let address = listener.local_addr().expect("an address");
        tokio::spawn(async move { axum::serve(listener, router::<()>(ai)).await });
        format!("http://{address}")
    }

    fn labeler(base_url: &str, key: &str, hybrid: bool, mode: OpenAiJsonMode) -> Labeler {
        let mut config =
            LabelConfig::for_provider(ProviderKind::OpenAi).with_api_key(ApiKey::new(key));
        config.base_url = base_url.to_owned();
        config.model = MOCK_MODEL.to_owned();
        config.hybrid = hybrid;
        config.openai_json_mode = mode;
        config.timeout = Duration::from_secs(30);
        Labeler::new(config).expect("a valid configuration")
    }

    fn scripted(status: u16) -> ScriptedResponse {
        ScriptedResponse {
            status,
            ..ScriptedResponse::default()
        }
    }

    #[tokio::test]
    async fn the_labeler_slices_what_the_mock_answered_for_an_unknown_letter() {
        let ai = mock();
        let base_url = serve(ai.clone()).await;
        let lines: Vec<&str> = LETTER.lines().collect();
        for mode in [OpenAiJsonMode::JsonSchema, OpenAiJsonMode::JsonObject] {
            let labeled = labeler(&base_url, KEY, false, mode)
                .label(LETTER)
                .await
                .expect("the mock answers");
            let got: Vec<(&str, &str, Category)> = labeled
                .pairs
                .iter()
                .map(|pair| (pair.question.as_str(), pair.answer.as_str(), pair.category))
                .collect();
            let first_answer = format!("{}\n{}", lines[2], lines[3]);
            let second_answer = format!("{}\n{}", lines[5], lines[6]);
            assert_eq!(
                got,
                vec![
                    (lines[1], first_answer.as_str(), Category::Motivation),
                    (
                        lines[4],
                        second_answer.as_str(),
                        Category::TeamworkExperience
                    ),
                ],
                "{mode:?}"
            );
            assert_eq!(labeled.usage.calls, 1);
            assert!(labeled.usage.input_tokens > 100, "{:?}", labeled.usage);
            assert!(labeled.usage.output_tokens > 3, "{:?}", labeled.usage);
        }
        let status = ai.status();
        assert_eq!(status.requests, 2);
        assert_eq!(status.answers.get("ownMethod"), Some(&2));
    }

    #[tokio::test]
    async fn a_corpus_document_comes_back_as_its_ground_truth() {
        let ai = mock();
        let base_url = serve(ai.clone()).await;
        let file = std::fs::read(corpus().join("chromium-01.json")).expect("a truth file");
        let truth: Json = serde_json::from_slice(&file).expect("JSON");
        let text = truth["text"].as_str().expect("its text");
        let expected: Vec<(String, String, String)> = truth["pairs"]
            .as_array()
            .expect("pairs")
            .iter()
            .map(|pair| {
                let field = |name: &str| pair[name].as_str().unwrap_or_default().to_owned();
                (field("question"), field("answer"), field("category"))
            })
            .collect();
        for hybrid in [false, true] {
            let labeled = labeler(&base_url, KEY, hybrid, OpenAiJsonMode::JsonSchema)
                .label(text)
                .await
                .expect("the mock answers");
            let got: Vec<(String, String, String)> = labeled
                .pairs
                .iter()
                .map(|pair| {
                    (
                        pair.question.clone(),
                        pair.answer.clone(),
                        pair.category.key().to_owned(),
                    )
                })
                .collect();
            assert_eq!(got, expected, "hybrid {hybrid}");
        }
        assert_eq!(ai.status().answers.get("truth"), Some(&2));
    }

    #[tokio::test]
    async fn a_scripted_answer_is_what_the_labeler_must_handle() {
        let ai = mock();
        let base_url = serve(ai.clone()).await;
        let labeler = labeler(&base_url, KEY, false, OpenAiJsonMode::JsonSchema);
        // A span past the end of the document: the labeler repairs once and gets the mock's
        // own answer.
        ai.set_script(AiScript {
            responses: vec![ScriptedResponse {
                status: 200,
                content: Some(r#"{"pairs":[{"q":[2,2],"a":[3,99],"c":"MOTIVATION"}]}"#.into()),
                ..ScriptedResponse::default()
            }],
        })
        .expect("a valid script");
        let repaired = labeler.label(LETTER).await.expect("repaired");
        assert_eq!(repaired.pairs.len(), 2);
        assert_eq!(repaired.usage.calls, 2);
        // A valid answer of the test's own: one pair, the labeler's slice of exactly it.
        ai.set_script(AiScript {
            responses: vec![ScriptedResponse {
                status: 200,
                content: Some(r#"{"pairs":[{"q":[5,5],"a":[6,7],"c":"VALUES"}]}"#.into()),
                ..ScriptedResponse::default()
            }],
        })
        .expect("a valid script");
        let labeled = labeler.label(LETTER).await.expect("labeled");
        let lines: Vec<&str> = LETTER.lines().collect();
        assert_eq!(labeled.pairs.len(), 1);
        assert_eq!(labeled.pairs[0].question, lines[4]);
        assert_eq!(
            labeled.pairs[0].answer,
            format!("{}\n{}", lines[5], lines[6])
        );
        assert_eq!(labeled.pairs[0].category, Category::Values);
        assert_eq!(ai.status().answers.get("scripted"), Some(&2));
    }

    #[tokio::test]
    async fn scripted_429s_come_back_with_retry_after_then_normal_answers_resume() {
        let ai = mock();
        let base_url = serve(ai.clone()).await;
        ai.set_script(AiScript {
            responses: vec![
                ScriptedResponse {
                    status: 429,
                    retry_after_seconds: Some(1),
                    ..ScriptedResponse::default()
                },
                scripted(429),
                scripted(500),
            ],
        })
        .expect("a valid script");
        let labeler = labeler(&base_url, KEY, true, OpenAiJsonMode::JsonSchema);
        assert!(matches!(
            labeler.label(LETTER).await,
            Err(LabelError::RateLimited { retry_after: Some(wait) }) if wait == Duration::from_secs(1)
        ));
        assert!(matches!(
            labeler.label(LETTER).await,
            Err(LabelError::RateLimited { retry_after: None })
        ));
        match labeler.label(LETTER).await {
            Err(error) => assert_eq!(error.cause_line(), "provider failed: HTTP 500 server_error"),
            Ok(labeled) => panic!("a 500 labeled {labeled:?}"),
        }
        assert_eq!(ai.status().script_remaining, 0);
        assert!(labeler.label(LETTER).await.is_ok());
        let answered = ai.status().answered;
        assert_eq!(
            (
                answered.get("429"),
                answered.get("500"),
                answered.get("200")
            ),
            (Some(&2), Some(&1), Some(&1))
        );
    }

    #[tokio::test]
    async fn a_wrong_or_missing_key_is_401_with_an_openai_error_body() {
        let ai = mock();
        let base_url = serve(ai.clone()).await;
        let error = labeler(&base_url, "sk-wrong", true, OpenAiJsonMode::JsonSchema)
            .label(LETTER)
            .await
            .expect_err("a wrong key is refused");
        assert_eq!(
            error.cause_line(),
            "provider rejected the credentials: HTTP 401 invalid_api_key"
        );
        let response = reqwest::Client::new()
            .post(format!("{base_url}/chat/completions"))
            .json(&json!({"model": MOCK_MODEL, "messages": []}))
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let body: Json = response.json().await.expect("a JSON body");
        assert_eq!(body["error"]["code"], "invalid_api_key");
        assert_eq!(body["error"]["type"], "invalid_request_error");
        assert_eq!(ai.status().answered.get("401"), Some(&2));
    }

    #[tokio::test]
    async fn garbage_is_repaired_once_then_reported_as_an_invalid_response() {
        let ai = mock();
        let base_url = serve(ai.clone()).await;
        let labeler = labeler(&base_url, KEY, false, OpenAiJsonMode::JsonSchema);
        // One garbage answer: the labeler's repair turn gets the real answer.
        ai.set_script(AiScript {
            responses: vec![ScriptedResponse {
                status: 200,
                garbage: true,
                ..ScriptedResponse::default()
            }],
        })
        .expect("a valid script");
        let repaired = labeler.label(LETTER).await.expect("repaired");
        assert_eq!(repaired.pairs.len(), 2);
        assert_eq!(repaired.usage.calls, 2);
        // Always garbage: the repair fails too.
        ai.set_faults(AiFaults {
            garbage_rate: 1.0,
            ..AiFaults::default()
        })
        .expect("valid faults");
        assert!(matches!(
            labeler.label(LETTER).await,
            Err(LabelError::InvalidResponse(_))
        ));
        assert_eq!(ai.status().requests, 4);
        assert_eq!(ai.status().answered.get("200"), Some(&4));
        assert_eq!(ai.status().answers.get("garbage"), Some(&3));
    }

    #[tokio::test]
    async fn the_requests_per_minute_limit_is_429_until_the_window_frees_a_slot() {
        let ai = mock();
        let base_url = serve(ai.clone()).await;
        ai.set_faults(AiFaults {
            requests_per_minute: Some(2),
            latency_ms: 20,
            ..AiFaults::default()
        })
        .expect("valid faults");
        let labeler = labeler(&base_url, KEY, true, OpenAiJsonMode::JsonSchema);
        let started = Instant::now();
        assert!(labeler.label(LETTER).await.is_ok());
        assert!(labeler.label(LETTER).await.is_ok());
        assert!(
            started.elapsed() >= Duration::from_millis(40),
            "latency is added"
        );
        match labeler.label(LETTER).await {
            Err(LabelError::RateLimited {
                retry_after: Some(wait),
            }) => assert!(
                (Duration::from_secs(59)..=Duration::from_secs(60)).contains(&wait),
                "{wait:?}"
            ),
            other => panic!("expected a 429 with Retry-After, got {other:?}"),
        }
        // The window slides: a call a minute after the first is admitted again.
        let later = Instant::now() + RATE_WINDOW;
        assert_eq!(
            ai.decide(Some(KEY), later, 0).0,
            Decision::Answer { garbage: false }
        );
    }

    #[tokio::test]
    async fn the_tokens_per_minute_limit_counts_prompts_and_answers_until_the_window_frees() {
        let ai = mock();
        let base_url = serve(ai.clone()).await;
        let labeler = labeler(&base_url, KEY, false, OpenAiJsonMode::JsonSchema);
        // One call measured without a limit: what a call of this letter costs.
        let first = labeler.label(LETTER).await.expect("no limit yet");
        assert_eq!(first.usage.calls, 1);
        let per_call = first.usage.input_tokens + first.usage.output_tokens;
        let status = ai.status();
        assert_eq!(
            (status.tokens.prompt, status.tokens.completion),
            (first.usage.input_tokens, first.usage.output_tokens),
            "the totals are the usage the mock answered"
        );
        assert_eq!(status.window.tokens, per_call);
        // Room for two such calls and a half: the third prompt does not fit.
        let limit = per_call * 5 / 2;
        ai.set_faults(AiFaults {
            tokens_per_minute: Some(u32::try_from(limit).expect("a small limit")),
            ..AiFaults::default()
        })
        .expect("valid faults");
        assert!(labeler.label(LETTER).await.is_ok());
        assert!(labeler.label(LETTER).await.is_ok());
        let window = ai.status().window;
        assert_eq!((window.requests, window.tokens), (2, 2 * per_call));
        match labeler.label(LETTER).await {
            Err(LabelError::RateLimited {
                retry_after: Some(wait),
            }) => assert!(
                (Duration::from_secs(59)..=Duration::from_secs(60)).contains(&wait),
                "{wait:?}"
            ),
            other => panic!("expected a 429 with Retry-After, got {other:?}"),
        }
        // The refusal is OpenAI's: its code, and a message that names tokens.
        // A prompt larger than one call's (so over what is left) but under the limit.
        let mut document = String::new();
        while tokens(&document) <= per_call {
            document.push_str(LETTER);
        }
        let response = reqwest::Client::new()
            .post(format!("{base_url}/chat/completions"))
            .bearer_auth(KEY)
            .json(&json!({"model": MOCK_MODEL, "messages": [
                {"role": "system", "content": "split"},
                {"role": "user", "content": document},
            ]}))
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(response.headers().contains_key(header::RETRY_AFTER));
        let body: Json = response.json().await.expect("a JSON body");
        assert_eq!(body["error"]["code"], "rate_limit_exceeded");
        assert_eq!(body["error"]["type"], "tokens");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("tokens per min (TPM)"), "{message}");
        assert!(message.contains(&format!("Limit {limit}")), "{message}");
        assert_eq!(ai.status().answered.get("429"), Some(&2));
        assert_eq!(
            ai.status().window.requests,
            2,
            "a refused call takes nothing"
        );
        // The window slides: a minute later the prompt fits again.
        let later = Instant::now() + RATE_WINDOW;
        assert_eq!(
            ai.decide(Some(KEY), later, first.usage.input_tokens).0,
            Decision::Answer { garbage: false }
        );
    }

    #[tokio::test]
    async fn a_prompt_over_the_tokens_limit_never_fits_and_scripts_still_answer() {
        let ai = mock();
        let base_url = serve(ai.clone()).await;
        ai.set_faults(AiFaults {
            tokens_per_minute: Some(10),
            ..AiFaults::default()
        })
        .expect("valid faults");
        let labeler = labeler(&base_url, KEY, false, OpenAiJsonMode::JsonSchema);
        // No wait would help: 429 without Retry-After.
        assert!(matches!(
            labeler.label(LETTER).await,
            Err(LabelError::RateLimited { retry_after: None })
        ));
        ai.set_script(AiScript {
            responses: vec![ScriptedResponse {
                status: 200,
                content: Some(r#"{"pairs":[{"q":[5,5],"a":[6,7],"c":"VALUES"}]}"#.into()),
                ..ScriptedResponse::default()
            }],
        })
        .expect("a valid script");
        let labeled = labeler.label(LETTER).await.expect("the script answers");
        assert_eq!(labeled.pairs.len(), 1);
        let status = ai.status();
        assert_eq!(status.answers.get("scripted"), Some(&1));
        assert!(
            status.window.tokens > 10,
            "a scripted answer counts its tokens: {:?}",
            status.window
        );
    }

    #[test]
    fn the_tokens_wait_is_until_enough_of_the_window_frees() {
        let start = Instant::now();
        let at = |seconds: u64| start + Duration::from_secs(seconds);
        let mut state = MockState {
            tokens: vec![(at(0), 100), (at(20), 100), (at(10), 100)],
            ..MockState::default()
        };
        let now = at(30);
        state.slide(now);
        assert_eq!(state.window_tokens(), 300);
        // 150 more need the two oldest gone: the one counted at 10 s leaves at 70 s.
        assert_eq!(
            state.tokens_wait(300, 150, now),
            Err(Some(Duration::from_secs(40)))
        );
        assert_eq!(
            state.tokens_wait(300, 50, now),
            Err(Some(Duration::from_secs(30)))
        );
        assert_eq!(state.tokens_wait(350, 50, now), Ok(()));
        assert_eq!(state.tokens_wait(300, 301, now), Err(None));
        // Past a minute an entry no longer counts.
        state.slide(at(75));
        assert_eq!(state.window_tokens(), 100);
    }

    #[test]
    fn limits_are_at_least_one_or_null() {
        let faults: AiFaults =
            serde_json::from_str(r#"{"requestsPerMinute": 60, "tokensPerMinute": 30000}"#)
                .expect("faults");
        assert_eq!(faults.tokens_per_minute, Some(30_000));
        faults.validate().expect("valid");
        let zero: AiFaults = serde_json::from_str(r#"{"tokensPerMinute": 0}"#).expect("faults");
        assert!(zero
            .validate()
            .is_err_and(|problem| problem.contains("tokensPerMinute")));
        let none: AiFaults = serde_json::from_str(r#"{"tokensPerMinute": null}"#).expect("faults");
        assert_eq!(none, AiFaults::default());
    }

    #[test]
    fn a_script_carries_garbage_or_content_on_a_200_only() {
        let content = ScriptedResponse {
            status: 500,
            content: Some("{}".into()),
            ..ScriptedResponse::default()
        };
        let both = ScriptedResponse {
            status: 200,
            garbage: true,
            content: Some("{}".into()),
            ..ScriptedResponse::default()
        };
        for response in [content, both] {
            assert!(AiScript {
                responses: vec![response]
            }
            .validate()
            .is_err());
        }
    }
}
