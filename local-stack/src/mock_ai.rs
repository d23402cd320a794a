//! An OpenAI-compatible chat completions server that speaks exactly what the `narratix_label`
//! OpenAI provider sends: the line-span protocol's split and categorisation tasks, in
//! `json_schema` or `json_object` mode, with the repair turn. Its answers are a real labeling —
//! the crate's offline splitter and categoriser run on the numbered lines of the request — and
//! its usage is counted with the o200k tokenizer. Faults are configuration: latency, a
//! requests-per-minute limit answered by 429 + `Retry-After`, error and garbage rates, and a
//! script of answers for the next calls.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use narratix_label::offline;
use narratix_label::protocol::{
    categories_reply, instructions, join_lines, split_reply, SpanPair, Task,
    QUESTION_LINE_SEPARATOR,
};
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
        if self.latency_ms > 600_000 {
            return Err("latencyMs must be at most 600000".into());
        }
        Ok(())
    }
}

/// One scripted answer: its status (200 answers normally, or with garbage when `garbage`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScriptedResponse {
    pub status: u16,
    /// The `Retry-After` header of a 429, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
    /// A 200 whose content is not valid JSON for the schema.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub garbage: bool,
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
            if response.garbage && response.status != 200 {
                return Err(format!(
                    "response {}: only a 200 can carry garbage",
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
}

/// The mock: its API key, its faults and its counters.
pub struct MockAi {
    api_key: String,
    state: Mutex<MockState>,
}

#[derive(Default)]
struct MockState {
    faults: AiFaults,
    script: VecDeque<ScriptedResponse>,
    requests: u64,
    answered: BTreeMap<u16, u64>,
    /// When the calls of the last minute were admitted (for the RPM limit).
    admitted: VecDeque<Instant>,
}

/// What to do with one call, decided before reading its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Unauthorized,
    RateLimited { retry_after_seconds: Option<u64> },
    Fail(StatusCode),
    Answer { garbage: bool },
}

const RATE_WINDOW: Duration = Duration::from_secs(60);

impl MockAi {
    pub fn new(api_key: impl Into<String>) -> Self {
        // The tokenizer takes a moment to build: do it before the first call needs it.
        std::thread::spawn(|| {
            tiktoken_rs::o200k_base_singleton();
        });
        Self {
            api_key: api_key.into(),
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
        let state = self.state();
        AiStatus {
            config: state.faults.clone(),
            script_remaining: state.script.len(),
            requests: state.requests,
            answered: state
                .answered
                .iter()
                .map(|(status, count)| (status.to_string(), *count))
                .collect(),
        }
    }

    /// Counts the call and decides its fate: key, script, RPM limit, error and garbage rates.
    fn decide(&self, bearer: Option<&str>, now: Instant) -> (Decision, Duration) {
        let mut state = self.state();
        state.requests += 1;
        let latency = Duration::from_millis(state.faults.latency_ms);
        if bearer != Some(self.api_key.as_str()) {
            return (Decision::Unauthorized, latency);
        }
        if let Some(scripted) = state.script.pop_front() {
            let decision = match scripted.status {
                200 => Decision::Answer {
                    garbage: scripted.garbage,
                },
                401 => Decision::Unauthorized,
                429 => Decision::RateLimited {
                    retry_after_seconds: scripted.retry_after_seconds,
                },
                status => Decision::Fail(
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                ),
            };
            if matches!(decision, Decision::Answer { .. }) {
                state.admitted.push_back(now);
            }
            return (decision, latency);
        }
        while state
            .admitted
            .front()
            .is_some_and(|admitted| now.duration_since(*admitted) >= RATE_WINDOW)
        {
            state.admitted.pop_front();
        }
        if let Some(limit) = state.faults.requests_per_minute {
            if state.admitted.len() >= limit as usize {
                let oldest = state.admitted.front().copied().unwrap_or(now);
                let wait = RATE_WINDOW.saturating_sub(now.duration_since(oldest));
                let retry_after_seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                return (
                    Decision::RateLimited {
                        retry_after_seconds: Some(retry_after_seconds.max(1)),
                    },
                    latency,
                );
            }
        }
        state.admitted.push_back(now);
        if fastrand::f64() < state.faults.error_rate {
            return (Decision::Fail(StatusCode::INTERNAL_SERVER_ERROR), latency);
        }
        let garbage = fastrand::f64() < state.faults.garbage_rate;
        (Decision::Answer { garbage }, latency)
    }

    fn record(&self, status: StatusCode) {
        *self.state().answered.entry(status.as_u16()).or_default() += 1;
    }
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
    let (decision, latency) = ai.decide(bearer, started);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let response = match decision {
        Decision::Unauthorized => openai_error(
            StatusCode::UNAUTHORIZED,
            "Incorrect API key provided.",
            "invalid_request_error",
            Some("invalid_api_key"),
        ),
        Decision::RateLimited {
            retry_after_seconds,
        } => {
            let mut response = openai_error(
                StatusCode::TOO_MANY_REQUESTS,
                "Rate limit reached for requests. Please try again later.",
                "requests",
                Some("rate_limit_exceeded"),
            );
            if let Some(seconds) = retry_after_seconds {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            response
        }
        Decision::Fail(status) if status.is_server_error() => openai_error(
            status,
            "The server had an error while processing your request.",
            "server_error",
            None,
        ),
        Decision::Fail(status) => openai_error(
            status,
            "The request was refused (scripted).",
            "invalid_request_error",
            None,
        ),
        Decision::Answer { garbage } => {
            // Labeling and tokenizing are CPU work: off the runtime that proxies everything else.
            let answered = tokio::task::spawn_blocking(move || {
                serde_json::from_slice::<Json>(&body)
                    .map_err(|_| "the body is not JSON".to_owned())
                    .and_then(|request| complete(&request, garbage))
            })
            .await
            .unwrap_or_else(|_| Err("the mock failed to compute the answer".to_owned()));
            match answered {
                Ok(completion) => (StatusCode::OK, axum::Json(completion)).into_response(),
                Err(problem) => openai_error(
                    StatusCode::BAD_REQUEST,
                    &problem,
                    "invalid_request_error",
                    None,
                ),
            }
        }
    };
    let status = response.status();
    ai.record(status);
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

/// The chat completion for a request of the labeler's protocol, answered by the offline
/// labeler on the lines it carries; `garbage` cuts the content in half (never valid JSON).
pub fn complete(request: &Json, garbage: bool) -> Result<Json, String> {
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
    let system = text_of("system").ok_or("no system message with text content")?;
    // On a repair the conversation goes on with the rejected reply and the problem; the
    // document is still the first user turn, and the answer to it is the same.
    let document = text_of("user").ok_or("no user message with text content")?;
    let lines = numbered_lines(document)?;
    let content = match task_of(system)? {
        Task::Split { max_pairs } => split_answer(&lines, max_pairs),
        Task::Categorize { .. } => {
            let categories: Vec<_> = lines.iter().map(|line| offline::categorize(line)).collect();
            categories_reply(&categories)
        }
    };
    let content = if garbage {
        content.chars().take(content.chars().count() / 2).collect()
    } else {
        content
    };
    let prompt_tokens = prompt_tokens(messages);
    let completion_tokens = tokens(&content);
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_secs())
        .unwrap_or_default();
    let model = request
        .get("model")
        .and_then(Json::as_str)
        .unwrap_or(MOCK_MODEL);
    Ok(json!({
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
    }))
}

/// Which protocol task the instructions are: exactly the labeler's own prompt for it.
fn task_of(system: &str) -> Result<Task, String> {
    let categorize = Task::Categorize { questions: 0 };
    if system == instructions(categorize) {
        return Ok(categorize);
    }
    let max_pairs = system
        .split("at most ")
        .nth(1)
        .and_then(|rest| rest.split('.').next())
        .and_then(|number| number.trim().parse::<usize>().ok());
    match max_pairs.map(|max_pairs| Task::Split { max_pairs }) {
        Some(split) if system == instructions(split) => Ok(split),
        _ => Err("the system message is not one of the Narratix labeling prompts".into()),
    }
}

/// The lines of an `N|text` document, numbered from 1 in order.
fn numbered_lines(document: &str) -> Result<Vec<&str>, String> {
    document
        .lines()
        .enumerate()
        .map(|(index, line)| {
            let (number, text) = line
                .split_once('|')
                .ok_or_else(|| format!("line {} is not \"N|text\"", index + 1))?;
            if number.parse::<usize>().ok() != Some(index + 1) {
                return Err(format!("line {} is numbered {number:?}", index + 1));
            }
            Ok(text)
        })
        .collect()
}

fn split_answer(lines: &[&str], max_pairs: usize) -> String {
    let spans: Vec<SpanPair> = offline::split(lines)
        .pairs
        .into_iter()
        .take(max_pairs)
        .map(|pair| SpanPair {
            category: offline::categorize(&join_lines(
                lines,
                pair.question.clone(),
                QUESTION_LINE_SEPARATOR,
            )),
            question: pair.question,
            answer: pair.answer,
        })
        .collect();
    split_reply(&spans)
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

    use narratix_label::{ApiKey, LabelConfig, LabelError, Labeler, OpenAiJsonMode, ProviderKind};

    use super::*;

    const KEY: &str = "sk-test-mock";

    /// Two numbered questions with their answers; a title line first.
    const LETTER: &str = "지원서 - 홍길동\n\
        1. 지원 동기를 기술해 주십시오. (500자)\n\
        저는 고객의 불편을 데이터로 풀어내는 일에 보람을 느껴 이 회사에 지원했습니다.\n\
        입사 후에는 주문 시스템의 응답 시간을 줄이는 데 기여하겠습니다.\n\
        2. 팀으로 협업하여 성과를 낸 경험을 쓰십시오. (700자)\n\
        학부 캡스톤 프로젝트에서 네 명의 팀원과 함께 재고 관리 서비스를 만들었습니다.\n\
        역할을 나누고 매주 회고하며 일정 지연을 막았습니다.\n";

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

    #[tokio::test]
    async fn the_openai_provider_gets_the_offline_labeling_of_what_it_sent() {
        let ai = Arc::new(MockAi::new(KEY));
        let base_url = serve(ai.clone()).await;
        let offline = Labeler::new(LabelConfig::default())
            .expect("offline")
            .label(LETTER)
            .await
            .expect("the offline labeler labels the letter");
        assert_eq!(offline.pairs.len(), 2, "{:?}", offline.pairs);
        // Hybrid (categorise only), full split, and the json_object dialect.
        for (hybrid, mode) in [
            (true, OpenAiJsonMode::JsonSchema),
            (false, OpenAiJsonMode::JsonSchema),
            (false, OpenAiJsonMode::JsonObject),
        ] {
            let started = Instant::now();
            let labeled = labeler(&base_url, KEY, hybrid, mode)
                .label(LETTER)
                .await
                .expect("the mock answers");
            eprintln!(
                "hybrid {hybrid}, {mode:?}: {:.1} ms, {} prompt + {} completion tokens",
                started.elapsed().as_secs_f64() * 1000.0,
                labeled.usage.input_tokens,
                labeled.usage.output_tokens
            );
            assert_eq!(labeled.pairs, offline.pairs, "hybrid {hybrid}, {mode:?}");
            assert_eq!(labeled.usage.calls, 1);
            assert!(labeled.usage.input_tokens > 100, "{:?}", labeled.usage);
            assert!(labeled.usage.output_tokens > 3, "{:?}", labeled.usage);
        }
        let status = ai.status();
        assert_eq!(status.requests, 3);
        assert_eq!(status.answered.get("200"), Some(&3));
    }

    #[tokio::test]
    async fn scripted_429s_come_back_with_retry_after_then_normal_answers_resume() {
        let ai = Arc::new(MockAi::new(KEY));
        let base_url = serve(ai.clone()).await;
        ai.set_script(AiScript {
            responses: vec![
                ScriptedResponse {
                    status: 429,
                    retry_after_seconds: Some(1),
                    garbage: false,
                },
                ScriptedResponse {
                    status: 429,
                    retry_after_seconds: None,
                    garbage: false,
                },
                ScriptedResponse {
                    status: 500,
                    retry_after_seconds: None,
                    garbage: false,
                },
            ],
        })
        .expect("a valid script");
        let labeler = labeler(&base_url, KEY, true, OpenAiJsonMode::JsonSchema);
        assert_eq!(
            labeler.label(LETTER).await,
            Err(LabelError::RateLimited {
                retry_after: Some(Duration::from_secs(1))
            })
        );
        assert_eq!(
            labeler.label(LETTER).await,
            Err(LabelError::RateLimited { retry_after: None })
        );
        assert!(matches!(
            labeler.label(LETTER).await,
            Err(LabelError::Upstream(cause)) if cause.contains("500")
        ));
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
        let ai = Arc::new(MockAi::new(KEY));
        let base_url = serve(ai.clone()).await;
        let error = labeler(&base_url, "sk-wrong", true, OpenAiJsonMode::JsonSchema)
            .label(LETTER)
            .await
            .expect_err("a wrong key is refused");
        assert_eq!(
            error,
            LabelError::Auth("HTTP 401 invalid_api_key".into()),
            "{error}"
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
        let ai = Arc::new(MockAi::new(KEY));
        let base_url = serve(ai.clone()).await;
        let labeler = labeler(&base_url, KEY, false, OpenAiJsonMode::JsonSchema);
        // One garbage answer: the labeler's repair turn gets the real answer.
        ai.set_script(AiScript {
            responses: vec![ScriptedResponse {
                status: 200,
                retry_after_seconds: None,
                garbage: true,
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
    }

    #[tokio::test]
    async fn the_requests_per_minute_limit_is_429_until_the_window_frees_a_slot() {
        let ai = Arc::new(MockAi::new(KEY));
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
            ai.decide(Some(KEY), later).0,
            Decision::Answer { garbage: false }
        );
    }

    #[test]
    fn only_the_labeling_prompts_are_answered() {
        for task in [
            Task::Split { max_pairs: 7 },
            Task::Categorize { questions: 3 },
        ] {
            let parsed = task_of(&instructions(task)).expect("a labeling prompt");
            assert_eq!(
                std::mem::discriminant(&parsed),
                std::mem::discriminant(&task)
            );
        }
        assert_eq!(
            task_of(&instructions(Task::Split { max_pairs: 7 })),
            Ok(Task::Split { max_pairs: 7 })
        );
        assert!(task_of("You are a helpful assistant.").is_err());
        assert!(numbered_lines("1|a\n3|b").is_err());
        assert_eq!(numbered_lines("1|a|b\n2|c"), Ok(vec!["a|b", "c"]));
    }
}
