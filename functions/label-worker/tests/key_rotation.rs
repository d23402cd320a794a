//! The API key is read from Secrets Manager once per container, and once more when the provider
//! rejects it: a key rotated in the secret takes effect on the next file, not when containers
//! recycle. Against a real local HTTP server (wiremock) speaking the OpenAI protocol.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use label_worker::ConfiguredLabeler;
use narratix_app::labeling::TextLabeler;
use narratix_domain::rate::Ungated;
use narratix_domain::ErrorKind;
use narratix_label::{LabelConfig, ProviderKind};
use narratix_store::ports::SecretReader;
use narratix_store::StoreError;
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET_ID: &str = "arn:aws:secretsmanager:ap-northeast-2:000000000000:secret:ai-key";
const OLD_KEY: &str = "sk-old-key";
const NEW_KEY: &str = "sk-new-key";

const DOCUMENT: &str = "1. 지원 동기를 기술해 주십시오.\n\
저는 고객의 불편을 데이터로 풀어내는 일에 보람을 느껴 지원했습니다.\n\
2. 팀으로 협업하여 성과를 낸 경험을 쓰십시오.\n\
네 명의 팀원과 함께 재고 관리 서비스를 만들었습니다.\n";
const SPANS: &str = r#"{"pairs":[{"q":[1,1],"a":[2,2],"c":"MOTIVATION"},{"q":[3,3],"a":[4,4],"c":"TEAMWORK_EXPERIENCE"}]}"#;

/// A secret whose value is changed (rotated) by the test; it counts the reads.
struct RotatingSecret {
    value: Mutex<&'static str>,
    reads: AtomicUsize,
}

impl RotatingSecret {
    fn holding(value: &'static str) -> Self {
        RotatingSecret {
            value: Mutex::new(value),
            reads: AtomicUsize::new(0),
        }
    }

    fn rotate_to(&self, value: &'static str) {
        *self.value.lock().expect("secret lock") = value;
    }

    fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl SecretReader for &RotatingSecret {
    async fn api_key(&self, _secret_id: &str) -> Result<String, StoreError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        Ok((*self.value.lock().expect("secret lock")).to_owned())
    }
}

/// The provider accepts `key` only, from now on.
async fn accept_only(server: &MockServer, key: &str) {
    server.reset().await;
    let reply = json!({
        "id": "chatcmpl-1", "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": SPANS}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}
    });
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", format!("Bearer {key}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(reply))
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "code": "invalid_api_key"}}),
        ))
        .with_priority(2)
        .mount(server)
        .await;
}

async fn provider_accepting(key: &str) -> MockServer {
    let server = MockServer::start().await;
    accept_only(&server, key).await;
    server
}

fn config(server: &MockServer) -> LabelConfig {
    let mut config = LabelConfig::for_provider(ProviderKind::OpenAi);
    config.model = "test-model".into();
    config.base_url = format!("{}/v1", server.uri());
    config.timeout = Duration::from_secs(5);
    config.hybrid = false;
    config
}

#[tokio::test]
async fn a_rotated_key_is_read_again_when_the_provider_rejects_the_old_one() {
    let server = provider_accepting(OLD_KEY).await;
    let secret = RotatingSecret::holding(OLD_KEY);
    let labeler = ConfiguredLabeler::new(Ok(config(&server)), Some((&secret, SECRET_ID.into())));

    let first = labeler
        .label(DOCUMENT, &Ungated, None)
        .await
        .expect("labeled with the old key");
    assert_eq!(first.pairs.len(), 2);
    let second = labeler
        .label(DOCUMENT, &Ungated, None)
        .await
        .expect("labeled again");
    assert_eq!(second.pairs.len(), 2);
    assert_eq!(secret.reads(), 1, "the key is kept between files");

    // The operator rotates the key: the provider refuses the old one from now on.
    secret.rotate_to(NEW_KEY);
    accept_only(&server, NEW_KEY).await;
    let labeled = labeler
        .label(DOCUMENT, &Ungated, None)
        .await
        .expect("the rejection makes the worker read the rotated key");
    assert_eq!(labeled.pairs.len(), 2);
    assert_eq!(
        secret.reads(),
        2,
        "read at first use and once more on the rejection"
    );
    let requests = server.received_requests().await.expect("recorded");
    assert_eq!(
        requests.len(),
        2,
        "the old key's refused call, then the new key's"
    );

    let again = labeler
        .label(DOCUMENT, &Ungated, None)
        .await
        .expect("the new key is kept");
    assert_eq!(again.pairs.len(), 2);
    assert_eq!(secret.reads(), 2);
}

#[tokio::test]
async fn a_key_still_rejected_after_one_reread_is_label_auth() {
    let server = provider_accepting(NEW_KEY).await;
    let secret = RotatingSecret::holding(OLD_KEY);
    let labeler = ConfiguredLabeler::new(Ok(config(&server)), Some((&secret, SECRET_ID.into())));

    let error = labeler
        .label(DOCUMENT, &Ungated, None)
        .await
        .expect_err("401 twice");
    assert_eq!(error.kind, ErrorKind::LabelAuth, "{error:?}");
    assert!(!error.cause.contains(OLD_KEY), "{}", error.cause);
    assert_eq!(secret.reads(), 2, "one re-read per rejection, not a loop");
    let requests = server.received_requests().await.expect("recorded");
    assert_eq!(requests.len(), 2, "the AI is asked once per key read");
}

#[tokio::test]
async fn without_a_secret_a_rejection_is_label_auth_at_once() {
    let server = provider_accepting(NEW_KEY).await;
    let mut keyed = config(&server);
    keyed = keyed.with_api_key(narratix_label::ApiKey::new(OLD_KEY));
    let labeler = ConfiguredLabeler::<&RotatingSecret>::new(Ok(keyed), None);

    let error = labeler
        .label(DOCUMENT, &Ungated, None)
        .await
        .expect_err("401");
    assert_eq!(error.kind, ErrorKind::LabelAuth);
    let requests = server.received_requests().await.expect("recorded");
    assert_eq!(requests.len(), 1);
}
