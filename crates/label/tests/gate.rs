//! The labeler through a call gate and a deadline: every provider call (the ask and the
//! repair) is admitted first and settled after, a held-back call never reaches the provider,
//! and a labeling's calls end by its deadline.

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use narratix_label::{
    ApiKey, CallBudget, CallEstimate, CallGate, CallOutcome, Deferred, LabelConfig, LabelError,
    Labeler, ProviderKind,
};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn document() -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/corpus/fpdf-01.json");
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json");
    truth["text"].as_str().expect("text").to_owned()
}

fn config(server: &MockServer) -> LabelConfig {
    let mut config =
        LabelConfig::for_provider(ProviderKind::OpenAi).with_api_key(ApiKey::new("sk-test"));
    config.base_url = format!("{}/v1", server.uri());
    config.model = "test-model".into();
    config.timeout = Duration::from_secs(30);
    config
}

fn reply(content: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "choices": [{"message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 300, "completion_tokens": 20}
    }))
}

/// Labels `text` with `gate` admitting the calls, by `deadline`.
async fn through(
    labeler: &Labeler,
    text: &str,
    gate: &dyn CallGate,
    deadline: Option<Instant>,
) -> Result<narratix_label::Labeled, LabelError> {
    labeler
        .label_within(text, CallBudget { gate, deadline })
        .await
}

/// Records what it is asked and told; holds every call back when `defer` is set.
#[derive(Default)]
struct RecordingGate {
    defer: Option<Duration>,
    admitted: Mutex<Vec<CallEstimate>>,
    settled: Mutex<Vec<CallOutcome>>,
}

#[async_trait]
impl CallGate for RecordingGate {
    async fn admit(&self, call: CallEstimate) -> Result<(), Deferred> {
        self.admitted.lock().expect("lock").push(call);
        match self.defer {
            Some(wait) => Err(Deferred { wait }),
            None => Ok(()),
        }
    }
    async fn settle(&self, _call: CallEstimate, outcome: CallOutcome) {
        self.settled.lock().expect("lock").push(outcome);
    }
}

#[tokio::test]
async fn the_ask_and_the_repair_are_each_admitted_with_their_size_and_settled_with_usage() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(reply("not json"))
        .expect(2)
        .mount(&server)
        .await;
    let labeler = Labeler::new(config(&server)).expect("labeler");
    let gate = RecordingGate::default();
    let text = document();
    let error = through(&labeler, &text, &gate, None)
        .await
        .expect_err("garbage twice");
    assert!(matches!(error, LabelError::InvalidResponse(_)), "{error}");
    let admitted = gate.admitted.lock().expect("lock").clone();
    assert_eq!(admitted.len(), 2);
    assert!(!admitted[0].repair && admitted[1].repair);
    assert!(
        admitted[1].tokens > admitted[0].tokens,
        "the repair carries the rejected reply and the problem too"
    );
    assert!(
        admitted[0].tokens > 100,
        "the prompt's size: {:?}",
        admitted[0]
    );
    let settled = gate.settled.lock().expect("lock").clone();
    assert_eq!(settled.len(), 2);
    for outcome in settled {
        let CallOutcome::Answered(usage) = outcome else {
            panic!("answered: {outcome:?}");
        };
        assert_eq!((usage.input_tokens, usage.output_tokens), (300, 20));
    }
}

#[tokio::test]
async fn a_held_back_call_never_reaches_the_provider() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(reply("{}"))
        .expect(0)
        .mount(&server)
        .await;
    let labeler = Labeler::new(config(&server)).expect("labeler");
    let gate = RecordingGate {
        defer: Some(Duration::from_secs(42)),
        ..RecordingGate::default()
    };
    let error = through(&labeler, &document(), &gate, None)
        .await
        .expect_err("deferred");
    assert!(
        matches!(error, LabelError::Deferred(Deferred { wait }) if wait == Duration::from_secs(42)),
        "{error}"
    );
    assert_eq!(error.kind().name(), "Label.RateLimited");
}

#[tokio::test]
async fn a_429_is_settled_as_throttled_with_its_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "7"))
        .mount(&server)
        .await;
    let labeler = Labeler::new(config(&server)).expect("labeler");
    let gate = RecordingGate::default();
    let error = through(&labeler, &document(), &gate, None)
        .await
        .expect_err("429");
    assert!(matches!(error, LabelError::RateLimited { .. }), "{error}");
    assert_eq!(
        gate.settled.lock().expect("lock").as_slice(),
        [CallOutcome::Throttled(Some(Duration::from_secs(7)))]
    );
}

#[tokio::test]
async fn the_deadline_bounds_a_slow_provider_below_its_configured_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(reply("{}").set_delay(Duration::from_secs(20)))
        .mount(&server)
        .await;
    let labeler = Labeler::new(config(&server)).expect("labeler");
    let started = Instant::now();
    let error = through(
        &labeler,
        &document(),
        &narratix_label::Ungated,
        Some(started + Duration::from_millis(1_500)),
    )
    .await
    .expect_err("timed out");
    assert!(matches!(error, LabelError::Timeout(_)), "{error}");
    assert_eq!(error.kind().name(), "Label.Timeout");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "ended by the deadline, not the 30 s timeout: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn no_call_starts_when_the_deadline_leaves_no_time() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(reply("{}"))
        .expect(0)
        .mount(&server)
        .await;
    let labeler = Labeler::new(config(&server)).expect("labeler");
    let error = through(
        &labeler,
        &document(),
        &narratix_label::Ungated,
        Some(Instant::now() + Duration::from_millis(200)),
    )
    .await
    .expect_err("no time");
    assert!(matches!(error, LabelError::DeadlineReached), "{error}");
}
