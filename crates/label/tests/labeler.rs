//! The labeler end to end: offline, hybrid, empty and truncated input, request shapes, the
//! less common failure modes, and that neither the key nor applicant text reaches the logs.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use narratix_domain::{Category, ErrorKind, WireError};
use narratix_label::{ApiKey, LabelConfig, LabelError, Labeler, OpenAiJsonMode, ProviderKind};
use serde::Deserialize;
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk-test-key-never-logged";

#[derive(Deserialize)]
struct Truth {
    text: String,
    pairs: Vec<TruthPair>,
}

#[derive(Deserialize)]
struct TruthPair {
    question: String,
    answer: String,
    category: Category,
}

/// A corpus document the offline splitter is confident about (numbered questions with limits).
fn fixture() -> Truth {
    let path = Path::new(
        &std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()),
    )
    .join("../../tests/fixtures/corpus/fpdf-01.json");
    let json = std::fs::read_to_string(path).expect("fixture");
    serde_json::from_str(&json).expect("fixture json")
}

fn openai_config(server: &MockServer) -> LabelConfig {
    let mut config = LabelConfig::for_provider(ProviderKind::OpenAi).with_api_key(ApiKey::new(KEY));
    config.base_url = format!("{}/v1", server.uri());
    config.model = "test-model".into();
    config.timeout = Duration::from_secs(5);
    config
}

fn openai_reply(content: &str, input: u64, output: u64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "choices": [{"message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": input, "completion_tokens": output}
    }))
}

fn sent_json(request: &wiremock::Request) -> Value {
    serde_json::from_slice(&request.body).expect("request json")
}

#[tokio::test]
async fn offline_labeler_slices_answers_from_the_source() {
    let truth = fixture();
    let labeler = Labeler::new(LabelConfig::default()).expect("offline");
    let labeled = labeler.label(&truth.text).await.expect("labeled");
    assert_eq!(labeled.usage, Default::default());
    assert_eq!(labeled.pairs.len(), truth.pairs.len());
    for (pair, expected) in labeled.pairs.iter().zip(&truth.pairs) {
        assert_eq!(pair.question, expected.question);
        assert_eq!(pair.answer, expected.answer, "byte-identical answers");
    }
}

#[tokio::test]
async fn empty_text_is_label_empty_without_a_request() {
    let server = MockServer::start().await;
    for config in [LabelConfig::default(), openai_config(&server)] {
        let labeler = Labeler::new(config).expect("labeler");
        for text in ["", "  \n\t\n \u{3000}\n"] {
            let error = labeler.label(text).await.expect_err("empty");
            assert!(matches!(error, LabelError::Empty), "{error}");
            assert_eq!(WireError::from(error).kind, ErrorKind::LabelEmpty);
        }
    }
    assert!(server
        .received_requests()
        .await
        .expect("recorded")
        .is_empty());
}

#[tokio::test]
async fn hybrid_sends_only_the_questions_for_categorisation() {
    let truth = fixture();
    let server = MockServer::start().await;
    let keys: Vec<&str> = truth.pairs.iter().map(|p| p.category.key()).collect();
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(openai_reply(&json!({"c": keys}).to_string(), 120, 20))
        .expect(1)
        .mount(&server)
        .await;
    let labeler = Labeler::new(openai_config(&server)).expect("labeler");
    let labeled = labeler.label(&truth.text).await.expect("labeled");
    for (pair, expected) in labeled.pairs.iter().zip(&truth.pairs) {
        assert_eq!(
            (&pair.question, &pair.answer, pair.category),
            (&expected.question, &expected.answer, expected.category)
        );
    }
    assert_eq!(labeled.pairs.len(), truth.pairs.len());
    assert_eq!((labeled.usage.input_tokens, labeled.usage.calls), (120, 1));

    let requests = server.received_requests().await.expect("recorded");
    let sent = sent_json(&requests[0]);
    let document = sent["messages"][1]["content"].as_str().expect("user turn");
    assert_eq!(document.lines().count(), truth.pairs.len(), "{document}");
    assert!(document.starts_with(&format!("1|{}", truth.pairs[0].question)));
    let first_answer_line = truth.pairs[0].answer.lines().next().expect("answer");
    assert!(
        !document.contains(first_answer_line),
        "no answer text is sent"
    );
    assert_eq!(
        sent["response_format"]["json_schema"]["name"],
        "question_categories"
    );
}

#[tokio::test]
async fn hybrid_categories_that_stay_wrong_are_invalid_response() {
    let truth = fixture();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(openai_reply(r#"{"c":["MOTIVATION"]}"#, 100, 5))
        .expect(2)
        .mount(&server)
        .await;
    let labeler = Labeler::new(openai_config(&server)).expect("labeler");
    let error = labeler.label(&truth.text).await.expect_err("invalid");
    assert_eq!(
        error.cause_line(),
        format!(
            "unusable model output after a repair request: 1 categories for {} questions; give exactly one per question",
            truth.pairs.len()
        )
    );
}

#[tokio::test]
async fn full_request_shortens_answer_lines_and_keeps_questions_whole() {
    let truth = fixture();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(openai_reply("not json", 1, 1))
        .mount(&server)
        .await;
    let mut config = openai_config(&server);
    config.hybrid = false;
    let labeler = Labeler::new(config).expect("labeler");
    let _ = labeler.label(&truth.text).await;
    let requests = server.received_requests().await.expect("recorded");
    let sent = sent_json(&requests[0]);
    assert!(sent["messages"][0]["content"]
        .as_str()
        .expect("system")
        .contains("TEAMWORK_EXPERIENCE"));
    let document = sent["messages"][1]["content"].as_str().expect("user turn");
    for pair in &truth.pairs {
        assert!(document.contains(&pair.question), "questions are whole");
    }
    let longest_answer_line = truth
        .pairs
        .iter()
        .flat_map(|pair| pair.answer.lines())
        .max_by_key(|line| line.chars().count())
        .expect("answer lines");
    assert!(!document.contains(longest_answer_line));
    assert_eq!(sent["response_format"]["type"], "json_schema");
    assert_eq!(sent["response_format"]["json_schema"]["strict"], true);
}

#[tokio::test]
async fn json_object_mode_for_servers_without_json_schema() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(openai_reply(
            r#"{"pairs":[{"q":[1,1],"a":[2,2],"c":"VALUES"}]}"#,
            1,
            1,
        ))
        .mount(&server)
        .await;
    let mut config = openai_config(&server);
    config.openai_json_mode = OpenAiJsonMode::JsonObject;
    config.api_key = None;
    let labeled = Labeler::new(config)
        .expect("labeler")
        .label("가치관을 쓰시오\n약속을 지키는 것입니다.")
        .await
        .expect("labeled");
    assert_eq!(labeled.pairs[0].category, Category::Values);
    let requests = server.received_requests().await.expect("recorded");
    assert_eq!(
        sent_json(&requests[0])["response_format"],
        json!({"type": "json_object"})
    );
    assert!(
        requests[0].headers.get("authorization").is_none(),
        "no key, no Authorization header (local servers)"
    );
}

#[tokio::test]
async fn gemini_request_shape_and_retry_delay_from_the_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1beta/models/gemini-2.5-flash:generateContent"))
        .and(header("x-goog-api-key", KEY))
        .respond_with(ResponseTemplate::new(429).set_body_json(json!({
            "error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "31s"}
            ]}
        })))
        .mount(&server)
        .await;
    let mut config = LabelConfig::for_provider(ProviderKind::Gemini).with_api_key(ApiKey::new(KEY));
    config.base_url = format!("{}/v1beta", server.uri());
    config.hybrid = false;
    let error = Labeler::new(config)
        .expect("labeler")
        .label("가치관을 쓰시오\n약속을 지키는 것입니다.")
        .await
        .expect_err("429");
    assert!(
        matches!(error, LabelError::RateLimited { retry_after: Some(wait) } if wait == Duration::from_secs(31)),
        "{error}"
    );
    let requests = server.received_requests().await.expect("recorded");
    let sent = sent_json(&requests[0]);
    assert_eq!(
        sent["generationConfig"]["responseMimeType"],
        "application/json"
    );
    assert_eq!(sent["generationConfig"]["responseSchema"]["type"], "OBJECT");
    assert_eq!(
        sent["generationConfig"]["thinkingConfig"]["thinkingBudget"],
        0
    );
    assert!(sent["systemInstruction"]["parts"][0]["text"].is_string());
    assert_eq!(sent["contents"][0]["role"], "user");
}

#[tokio::test]
async fn anthropic_forces_the_tool_and_sends_the_version() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", KEY))
        .and(header("anthropic-version", "2023-06-01"))
        .respond_with(ResponseTemplate::new(403).set_body_json(
            json!({"type": "error", "error": {"type": "permission_error", "message": "no"}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let mut config =
        LabelConfig::for_provider(ProviderKind::Anthropic).with_api_key(ApiKey::new(KEY));
    config.base_url = server.uri();
    config.hybrid = false;
    let error = Labeler::new(config)
        .expect("labeler")
        .label("가치관을 쓰시오\n약속을 지키는 것입니다.")
        .await
        .expect_err("403");
    assert_eq!(
        error.cause_line(),
        "provider rejected the credentials: HTTP 403 permission_error"
    );
    let requests = server.received_requests().await.expect("recorded");
    let sent = sent_json(&requests[0]);
    assert_eq!(
        sent["tool_choice"],
        json!({"type": "tool", "name": "cover_letter_pairs"})
    );
    assert_eq!(sent["tools"][0]["input_schema"]["type"], "object");
    assert!(sent["max_tokens"].as_u64().is_some());
}

#[tokio::test]
async fn retry_after_as_an_http_date() {
    let server = MockServer::start().await;
    let in_a_minute = httpdate_in(Duration::from_secs(60));
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", in_a_minute.as_str()))
        .mount(&server)
        .await;
    let error = Labeler::new(openai_config(&server))
        .expect("labeler")
        .label("가치관을 쓰시오\n약속을 지키는 것입니다.")
        .await
        .expect_err("429");
    let LabelError::RateLimited {
        retry_after: Some(wait),
    } = error
    else {
        panic!("expected a rate limit with a delay, got {error}");
    };
    assert!((55..=60).contains(&wait.as_secs()), "{wait:?}");
}

fn httpdate_in(delay: Duration) -> String {
    httpdate::fmt_http_date(std::time::SystemTime::now() + delay)
}

#[tokio::test]
async fn connection_refused_is_upstream() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    drop(listener);
    let mut config = LabelConfig::for_provider(ProviderKind::OpenAi).with_api_key(ApiKey::new(KEY));
    config.base_url = format!("http://{address}/v1");
    let error = Labeler::new(config)
        .expect("labeler")
        .label("가치관을 쓰시오\n약속을 지키는 것입니다.")
        .await
        .expect_err("refused");
    assert!(
        error
            .cause_line()
            .starts_with("provider failed: cannot connect to the provider: "),
        "{}",
        error.cause_line()
    );
}

#[tokio::test]
async fn long_text_is_cut_at_a_line_boundary_and_flagged() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(openai_reply(
            r#"{"pairs":[{"q":[1,1],"a":[2,2],"c":"VALUES"}]}"#,
            1,
            1,
        ))
        .mount(&server)
        .await;
    let mut config = openai_config(&server);
    config.max_input_chars = 30;
    let labeled = Labeler::new(config)
        .expect("labeler")
        .label("가치관을 쓰시오\n약속을 지키는 것입니다.\n이 줄은 한도를 넘어 잘립니다.")
        .await
        .expect("labeled");
    assert!(labeled.truncated);
    let requests = server.received_requests().await.expect("recorded");
    let document = sent_json(&requests[0])["messages"][1]["content"]
        .as_str()
        .map(str::to_owned)
        .expect("user turn");
    assert!(!document.contains("잘립니다"));
}

/// Collects everything the subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut buffer) = self.0.lock() {
            buffer.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_hold_neither_the_key_nor_applicant_text() {
    let truth = fixture();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(openai_reply("Sorry, I cannot help with that.", 10, 3))
        .mount(&server)
        .await;
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let mut config = openai_config(&server);
    config.hybrid = false;
    let labeler = Labeler::new(config).expect("labeler");
    tracing::info!(?labeler, "configured");
    let error = labeler.label(&truth.text).await.expect_err("invalid");
    assert!(matches!(error, LabelError::InvalidResponse(_)));
    let logs = String::from_utf8(captured.0.lock().expect("logs").clone()).expect("utf-8");
    assert!(logs.contains("invalid model reply"), "{logs}");
    assert!(!logs.contains(KEY), "{logs}");
    for pair in &truth.pairs {
        assert!(!logs.contains(&pair.question), "{logs}");
        let first_words: String = pair.answer.chars().take(12).collect();
        assert!(!logs.contains(&first_words), "{logs}");
    }
}

#[test]
fn labeler_is_shareable_and_its_future_is_send() {
    fn shareable<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: T) {}
    let labeler = Labeler::new(LabelConfig::default()).expect("offline");
    shareable(&labeler);
    send(labeler.label("가치관을 쓰시오"));
}
