//! Every HTTP provider against a real local HTTP server (wiremock): success, a repaired
//! reply, garbage twice, 429 with Retry-After, 500, a slow answer, 401 and a truncated body.

use std::time::Duration;

use narratix_domain::{Category, ErrorKind, WireError};
use narratix_label::{ApiKey, LabelConfig, LabelError, Labeled, Labeler, ProviderKind};
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "test-key-do-not-log";

/// Seven lines after normalisation; two questions.
const DOCUMENT: &str = "지원서 - 홍길동\n\
1. 지원 동기를 기술해 주십시오. (500자)\n\
저는  고객의 불편을 데이터로 풀어내는 일에 보람을 느껴 지원했습니다.\n\
\n\
입사 후에는 주문 시스템의 응답 시간을 줄이는 데 기여하겠습니다.\n\
2. 팀으로 협업하여 성과를 낸 경험을 쓰십시오. (700자)\n\
학부 캡스톤 프로젝트에서 네 명의 팀원과 함께 재고 관리 서비스를 만들었습니다.\n\
역할을 나누고 매주 회고하며 일정 지연을 막았습니다.\n";

const VALID_SPANS: &str = r#"{"pairs":[{"q":[2,2],"a":[3,4],"c":"MOTIVATION"},{"q":[5,5],"a":[6,7],"c":"TEAMWORK_EXPERIENCE"}]}"#;
/// Schema-violating: the second answer runs past the last line.
const OUT_OF_RANGE_SPANS: &str = r#"{"pairs":[{"q":[2,2],"a":[3,4],"c":"MOTIVATION"},{"q":[5,5],"a":[6,9],"c":"TEAMWORK_EXPERIENCE"}]}"#;

/// What differs between the providers: where they listen, how they authenticate, how a
/// successful reply is wrapped.
#[derive(Clone, Copy)]
struct Provider {
    kind: ProviderKind,
    base_path: &'static str,
    endpoint: &'static str,
    auth_header: (&'static str, &'static str),
    wrap: fn(&str, u64, u64) -> Value,
}

const OPENAI: Provider = Provider {
    kind: ProviderKind::OpenAi,
    base_path: "/v1",
    endpoint: "/v1/chat/completions",
    auth_header: ("authorization", "Bearer test-key-do-not-log"),
    wrap: |text, input, output| {
        json!({
            "id": "chatcmpl-1", "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": input, "completion_tokens": output, "total_tokens": input.saturating_add(output)}
        })
    },
};

const GEMINI: Provider = Provider {
    kind: ProviderKind::Gemini,
    base_path: "/v1beta",
    endpoint: "/v1beta/models/test-model:generateContent",
    auth_header: ("x-goog-api-key", KEY),
    wrap: |text, input, output| {
        json!({
            "candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": input, "candidatesTokenCount": output, "totalTokenCount": input.saturating_add(output)}
        })
    },
};

const ANTHROPIC: Provider = Provider {
    kind: ProviderKind::Anthropic,
    base_path: "",
    endpoint: "/v1/messages",
    auth_header: ("x-api-key", KEY),
    wrap: |text, input, output| {
        // The forced tool call carries the JSON; a reply that is not JSON comes as text.
        let content = match serde_json::from_str::<Value>(text) {
            Ok(input_json) if input_json.is_object() => {
                json!([{"type": "tool_use", "id": "toolu_1", "name": "cover_letter_pairs", "input": input_json}])
            }
            _ => json!([{"type": "text", "text": text}]),
        };
        json!({
            "id": "msg_1", "type": "message", "role": "assistant", "content": content,
            "stop_reason": "tool_use",
            "usage": {"input_tokens": input, "output_tokens": output}
        })
    },
};

fn config(provider: Provider, server: &MockServer) -> LabelConfig {
    let mut config = LabelConfig::for_provider(provider.kind).with_api_key(ApiKey::new(KEY));
    config.model = "test-model".into();
    config.base_url = format!("{}{}", server.uri(), provider.base_path);
    config.timeout = Duration::from_millis(500);
    config.hybrid = false;
    config
}

async fn label(config: LabelConfig) -> Result<Labeled, LabelError> {
    Labeler::new(config).expect("labeler").label(DOCUMENT).await
}

fn reply(provider: Provider, text: &str, input: u64, output: u64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json((provider.wrap)(text, input, output))
}

async fn mount_once(server: &MockServer, provider: Provider, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(provider.endpoint))
        .respond_with(response)
        .up_to_n_times(1)
        .mount(server)
        .await;
}

fn body_of(request: &Request) -> String {
    String::from_utf8_lossy(&request.body).into_owned()
}

/// The error must be named right and its cause must hold neither the key nor applicant text.
fn assert_clean(error: &LabelError, kind: ErrorKind) {
    let wire = WireError::new(error.kind(), error.cause_line());
    assert_eq!(wire.kind, kind, "{wire}");
    for secret in [KEY, "홍길동", "캡스톤", "지원 동기"] {
        assert!(!wire.cause.contains(secret), "{wire}");
    }
    assert!(!wire.cause.contains('\n'));
}

async fn success(provider: Provider) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(provider.endpoint))
        .and(header(provider.auth_header.0, provider.auth_header.1))
        .respond_with(reply(provider, VALID_SPANS, 321, 45))
        .expect(1)
        .mount(&server)
        .await;
    let labeled = label(config(provider, &server)).await.expect("labeled");
    assert_eq!(labeled.pairs.len(), 2);
    assert_eq!(
        labeled.pairs[0].question,
        "1. 지원 동기를 기술해 주십시오. (500자)"
    );
    assert_eq!(
        labeled.pairs[0].answer,
        "저는 고객의 불편을 데이터로 풀어내는 일에 보람을 느껴 지원했습니다.\n\
         입사 후에는 주문 시스템의 응답 시간을 줄이는 데 기여하겠습니다."
    );
    assert_eq!(labeled.pairs[0].category, Category::Motivation);
    assert_eq!(labeled.pairs[1].category, Category::TeamworkExperience);
    assert_eq!(
        labeled.pairs[1].answer,
        "학부 캡스톤 프로젝트에서 네 명의 팀원과 함께 재고 관리 서비스를 만들었습니다.\n\
         역할을 나누고 매주 회고하며 일정 지연을 막았습니다."
    );
    assert_eq!(
        (
            labeled.usage.input_tokens,
            labeled.usage.output_tokens,
            labeled.usage.calls
        ),
        (321, 45, 1)
    );
    assert!(!labeled.truncated);
    let requests = server.received_requests().await.expect("recorded");
    let sent = body_of(&requests[0]);
    assert!(sent.contains("1|지원서 - 홍길동"), "lines are numbered");
    assert!(
        sent.contains("TEAMWORK_EXPERIENCE"),
        "the schema lists the keys"
    );
}

async fn repaired(provider: Provider) {
    let server = MockServer::start().await;
    mount_once(
        &server,
        provider,
        reply(provider, OUT_OF_RANGE_SPANS, 300, 40),
    )
    .await;
    mount_once(&server, provider, reply(provider, VALID_SPANS, 350, 41)).await;
    let labeled = label(config(provider, &server)).await.expect("repaired");
    assert_eq!(labeled.pairs.len(), 2);
    assert_eq!(
        (
            labeled.usage.input_tokens,
            labeled.usage.output_tokens,
            labeled.usage.calls
        ),
        (650, 81, 2),
        "the repair call counts"
    );
    let requests = server.received_requests().await.expect("recorded");
    assert_eq!(requests.len(), 2);
    let repair = body_of(&requests[1]);
    assert!(
        repair.contains("pair 2 \\\"a\\\" [6, 9] is outside lines 1 to 7"),
        "the repair turn carries the validation error: {repair}"
    );
    assert!(repair.contains("[6,9]"), "and the rejected reply");
}

async fn garbage_twice(provider: Provider) {
    let server = MockServer::start().await;
    mount_once(
        &server,
        provider,
        reply(provider, "Sure! Here are the pairs:", 10, 5),
    )
    .await;
    mount_once(
        &server,
        provider,
        reply(provider, r#"{"pairs": "none"}"#, 10, 5),
    )
    .await;
    let error = label(config(provider, &server)).await.expect_err("invalid");
    assert!(matches!(error, LabelError::InvalidResponse(_)), "{error}");
    assert_clean(&error, ErrorKind::LabelInvalidResponse);
    assert_eq!(server.received_requests().await.expect("recorded").len(), 2);
}

async fn rate_limited(provider: Provider) {
    let server = MockServer::start().await;
    mount_once(
        &server,
        provider,
        ResponseTemplate::new(429)
            .insert_header("retry-after", "20")
            .set_body_json(json!({"error": {"message": "slow down", "type": "rate_limit_error"}})),
    )
    .await;
    let error = label(config(provider, &server)).await.expect_err("429");
    assert!(
        matches!(error, LabelError::RateLimited { retry_after: Some(wait) } if wait == Duration::from_secs(20)),
        "{error}"
    );
    assert_clean(&error, ErrorKind::LabelRateLimited);
    assert_eq!(
        WireError::from(error).cause,
        "rate limited by provider; retry after 20 s"
    );
}

async fn server_error(provider: Provider) {
    let server = MockServer::start().await;
    mount_once(
        &server,
        provider,
        ResponseTemplate::new(500).set_body_string("internal error"),
    )
    .await;
    let error = label(config(provider, &server)).await.expect_err("500");
    assert_eq!(error.cause_line(), "provider failed: HTTP 500");
    assert_clean(&error, ErrorKind::LabelUpstream);
}

async fn too_slow(provider: Provider) {
    let server = MockServer::start().await;
    mount_once(
        &server,
        provider,
        reply(provider, VALID_SPANS, 1, 1).set_delay(Duration::from_secs(3)),
    )
    .await;
    let mut config = config(provider, &server);
    config.timeout = Duration::from_millis(200);
    let error = label(config).await.expect_err("timeout");
    assert!(
        matches!(error, LabelError::Timeout(after) if after == Duration::from_millis(200)),
        "{error}"
    );
    assert_clean(&error, ErrorKind::LabelTimeout);
}

async fn unauthorized(provider: Provider) {
    let server = MockServer::start().await;
    mount_once(
        &server,
        provider,
        ResponseTemplate::new(401).set_body_json(
            json!({"error": {"message": "Incorrect API key provided: test-key-do-not-log", "type": "authentication_error"}}),
        ),
    )
    .await;
    let error = label(config(provider, &server)).await.expect_err("401");
    assert!(matches!(error, LabelError::Auth(_)), "{error}");
    assert_clean(&error, ErrorKind::LabelAuth);
}

async fn truncated_body(provider: Provider) {
    let server = MockServer::start().await;
    let full = serde_json::to_string(&(provider.wrap)(VALID_SPANS, 10, 10)).expect("json");
    let cut = &full.as_bytes()[..full.len() / 2];
    mount_once(
        &server,
        provider,
        ResponseTemplate::new(200).set_body_raw(cut.to_vec(), "application/json"),
    )
    .await;
    let error = label(config(provider, &server))
        .await
        .expect_err("truncated");
    assert!(matches!(error, LabelError::Upstream(_)), "{error}");
    assert_clean(&error, ErrorKind::LabelUpstream);
}

/// Bodies no provider should send: none may panic, each must end in a named error.
async fn odd_bodies(provider: Provider) {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"\"text\"".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x7b],
        deep.into_bytes(),
        json!({"choices": [{"message": {"content": 12}}], "candidates": [{"content": {"parts": [{"text": ["x"]}]}}],
               "content": [{"type": "tool_use", "input": "not an object"}],
               "usage": {"prompt_tokens": 1e308, "input_tokens": -5}, "usageMetadata": {"promptTokenCount": "many"}})
            .to_string()
            .into_bytes(),
        (provider.wrap)(r#"{"pairs":[{"q":[99999999999999999999999,1],"a":[1e400,2],"c":"VALUES"}]}"#, 1, 1)
            .to_string()
            .into_bytes(),
        (provider.wrap)(&"{\"pairs\":".repeat(5_000), u64::MAX, u64::MAX)
            .to_string()
            .into_bytes(),
    ];
    for body in bodies {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(provider.endpoint))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
            .mount(&server)
            .await;
        let error = label(config(provider, &server))
            .await
            .expect_err("unusable");
        assert!(
            matches!(
                error,
                LabelError::Upstream(_) | LabelError::InvalidResponse(_)
            ),
            "{error}"
        );
        assert!(!error.to_string().contains(KEY));
    }
}

macro_rules! provider_tests {
    ($module:ident, $provider:expr) => {
        mod $module {
            use super::*;

            #[tokio::test]
            async fn success() {
                super::success($provider).await;
            }
            #[tokio::test]
            async fn schema_violating_output_is_repaired() {
                super::repaired($provider).await;
            }
            #[tokio::test]
            async fn garbage_twice_is_invalid_response() {
                super::garbage_twice($provider).await;
            }
            #[tokio::test]
            async fn status_429_is_rate_limited_with_retry_after() {
                super::rate_limited($provider).await;
            }
            #[tokio::test]
            async fn status_500_is_upstream() {
                super::server_error($provider).await;
            }
            #[tokio::test]
            async fn slow_response_is_timeout() {
                super::too_slow($provider).await;
            }
            #[tokio::test]
            async fn status_401_is_auth() {
                super::unauthorized($provider).await;
            }
            #[tokio::test]
            async fn truncated_body_is_upstream() {
                super::truncated_body($provider).await;
            }
            #[tokio::test]
            async fn odd_bodies_never_panic() {
                super::odd_bodies($provider).await;
            }
        }
    };
}

provider_tests!(openai, OPENAI);
provider_tests!(gemini, GEMINI);
provider_tests!(anthropic, ANTHROPIC);
