//! The handler over in-memory ports: what each kind of message and failure becomes.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use label_worker::{Disposition, Pacing, Worker};
use narratix_app::governor::{now_ms, Governor};
use narratix_app::labeling::{LabelOutput, TextLabeler, INLINE_PAIRS_MAX_BYTES};
use narratix_domain::messages::LabelTaskOutput as TaskOutput;
use narratix_domain::rate::{CallEstimate, CallGate, CallOutcome, RateLimits, RateSchedule};
use narratix_domain::{
    Category, ErrorKind, FileId, JobId, LabeledPair, ObjectKey, Prefill, Suggestion, TokenUsage,
    WireError,
};
use narratix_store::memory::MemoryRateSchedule;
use narratix_store::ports::{
    FileResults, LabelQueue, ObjectReader, ObjectWriter, RateScheduleStore, TaskCallbacks,
    TaskHeartbeat,
};
use narratix_store::{
    Capped, FileResult, Missing, PutOutcome, SaveOutcome, StoreError, StoredPairs,
};

const TEXT_KEY: &str = "text/job-1/f1.txt";
const TEXT: &str = "1. 지원 동기를 기술해 주세요.\n저는 고객의 문제를 푸는 일이 좋아 지원했습니다.";

fn down(service: &'static str) -> StoreError {
    StoreError::Unavailable {
        service,
        operation: "any",
        source: "could not connect".into(),
    }
}

#[derive(Clone, Default)]
struct MemObjects {
    objects: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    /// Keys whose reads and writes fail as if S3 were down.
    down: Arc<Mutex<HashSet<String>>>,
}

impl MemObjects {
    fn with_text(key: &str, text: &str) -> Self {
        let store = MemObjects::default();
        store.insert(key, text.as_bytes());
        store
    }
    fn insert(&self, key: &str, bytes: &[u8]) {
        self.objects
            .lock()
            .expect("lock")
            .insert(key.to_owned(), bytes.to_vec());
    }
    fn object(&self, key: &str) -> Option<Vec<u8>> {
        self.objects.lock().expect("lock").get(key).cloned()
    }
    fn fail(&self, key: &ObjectKey) -> Result<(), StoreError> {
        if self.down.lock().expect("lock").contains(key.as_str()) {
            Err(down("S3"))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl ObjectReader for MemObjects {
    async fn size(&self, _key: &ObjectKey) -> Result<Option<u64>, StoreError> {
        unreachable!("the worker never asks for sizes")
    }
    async fn read_prefix(&self, _key: &ObjectKey, _len: u64) -> Result<Vec<u8>, StoreError> {
        unreachable!("the worker reads whole objects")
    }
    async fn read(&self, key: &ObjectKey) -> Result<Vec<u8>, StoreError> {
        self.fail(key)?;
        self.object(key)
            .ok_or_else(|| StoreError::NotFound(Missing::Object(key.clone())))
    }
    async fn read_capped(&self, _key: &ObjectKey, _max: u64) -> Result<Capped, StoreError> {
        unreachable!("the worker reads whole objects")
    }
}

#[async_trait]
impl ObjectWriter for MemObjects {
    async fn put(&self, key: &ObjectKey, body: Vec<u8>, _: &'static str) -> Result<(), StoreError> {
        self.fail(key)?;
        self.insert(key, &body);
        Ok(())
    }
    async fn put_if_absent(
        &self,
        key: &ObjectKey,
        body: Vec<u8>,
        _: &'static str,
    ) -> Result<PutOutcome, StoreError> {
        self.fail(key)?;
        let mut objects = self.objects.lock().expect("lock");
        if objects.contains_key(key.as_str()) {
            return Ok(PutOutcome::AlreadyExists);
        }
        objects.insert(key.to_string(), body);
        Ok(PutOutcome::Written)
    }
}

#[derive(Clone, Default)]
struct MemTable {
    items: Arc<Mutex<HashMap<(String, String), FileResult>>>,
    down: Arc<Mutex<bool>>,
    writes: Arc<Mutex<usize>>,
}

impl MemTable {
    fn result(&self, job: &str, file: &str) -> Option<FileResult> {
        self.items
            .lock()
            .expect("lock")
            .get(&(job.to_owned(), file.to_owned()))
            .cloned()
    }
    fn check_up(&self) -> Result<(), StoreError> {
        if *self.down.lock().expect("lock") {
            Err(down("DynamoDB"))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl FileResults for MemTable {
    async fn labeled_counts(
        &self,
        job_id: &JobId,
        file_id: &FileId,
    ) -> Result<Option<TaskOutput>, StoreError> {
        self.check_up()?;
        Ok(self
            .result(job_id.as_str(), file_id)
            .map(|r| r.task_output()))
    }
    async fn save_result(
        &self,
        job_id: &JobId,
        file_id: &FileId,
        result: &FileResult,
    ) -> Result<SaveOutcome, StoreError> {
        self.check_up()?;
        let mut items = self.items.lock().expect("lock");
        let key = (job_id.to_string(), file_id.to_string());
        if let Some(stored) = items.get(&key) {
            return Ok(SaveOutcome::AlreadyLabeled(stored.task_output()));
        }
        items.insert(key, result.clone());
        *self.writes.lock().expect("lock") += 1;
        Ok(SaveOutcome::Saved)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Sent {
    Success(String, TaskOutput),
    Failure(String, WireError),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum StepFunctions {
    Waiting,
    TaskTimedOut,
    Unreachable,
}

#[derive(Clone)]
struct RecordingCallback {
    sent: Arc<Mutex<Vec<Sent>>>,
    state: Arc<Mutex<StepFunctions>>,
    heartbeats: Arc<Mutex<usize>>,
}

impl Default for RecordingCallback {
    fn default() -> Self {
        RecordingCallback {
            sent: Arc::default(),
            state: Arc::new(Mutex::new(StepFunctions::Waiting)),
            heartbeats: Arc::default(),
        }
    }
}

impl RecordingCallback {
    fn sent(&self) -> Vec<Sent> {
        self.sent.lock().expect("lock").clone()
    }
    fn answer(&self, sent: Sent) -> Result<(), StoreError> {
        match *self.state.lock().expect("lock") {
            StepFunctions::Waiting => {
                self.sent.lock().expect("lock").push(sent);
                Ok(())
            }
            StepFunctions::TaskTimedOut => Err(StoreError::TaskGone {
                operation: "SendTaskSuccess",
                source: "TaskTimedOut: Task Timed Out".into(),
            }),
            StepFunctions::Unreachable => Err(down("Step Functions")),
        }
    }
}

#[async_trait]
impl TaskHeartbeat for RecordingCallback {
    async fn heartbeat(&self, _task_token: &str) -> Result<(), StoreError> {
        *self.heartbeats.lock().expect("lock") += 1;
        match *self.state.lock().expect("lock") {
            StepFunctions::Waiting => Ok(()),
            StepFunctions::TaskTimedOut => Err(StoreError::TaskGone {
                operation: "SendTaskHeartbeat",
                source: "TaskTimedOut: Task Timed Out".into(),
            }),
            StepFunctions::Unreachable => Err(down("Step Functions")),
        }
    }
}

#[async_trait]
impl TaskCallbacks for RecordingCallback {
    async fn succeed(&self, task_token: &str, output: &TaskOutput) -> Result<(), StoreError> {
        self.answer(Sent::Success(task_token.to_owned(), *output))
    }
    async fn fail(&self, task_token: &str, error: &WireError) -> Result<(), StoreError> {
        self.answer(Sent::Failure(task_token.to_owned(), error.clone()))
    }
}

type LabelFn = dyn Fn(&str) -> Result<LabelOutput, WireError> + Send + Sync;

#[derive(Clone)]
struct ScriptedLabeler {
    script: Arc<LabelFn>,
    calls: Arc<Mutex<usize>>,
}

impl ScriptedLabeler {
    fn new(
        script: impl Fn(&str) -> Result<LabelOutput, WireError> + Send + Sync + 'static,
    ) -> Self {
        ScriptedLabeler {
            script: Arc::new(script),
            calls: Arc::default(),
        }
    }
    fn one_pair() -> Self {
        ScriptedLabeler::new(|text| {
            let (question, answer) = text.split_once('\n').expect("two lines");
            Ok(LabelOutput {
                prefill: Prefill {
                    company: Some(Suggestion {
                        value: "한결제약".to_owned(),
                        line: "한결제약 2027년 상반기 신입 공채".to_owned(),
                        confidence: 90,
                    }),
                    ..Prefill::default()
                },
                pairs: vec![LabeledPair::new(
                    question.to_owned(),
                    answer.to_owned(),
                    Category::Motivation,
                    None,
                )],
                usage: TokenUsage {
                    input_tokens: 410,
                    output_tokens: 22,
                    calls: 1,
                },
            })
        })
    }
    fn calls(&self) -> usize {
        *self.calls.lock().expect("lock")
    }
}

/// What the provider's 429 carries in the scripted labeler.
const SCRIPTED_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(30);

/// Like the real labeler: the call is admitted by the gate first (a held-back call is
/// `Label.RateLimited` and never reaches the script), and its outcome is told to the gate
/// (a scripted `Label.RateLimited` is a 429 with `Retry-After: 30`).
#[async_trait]
impl TextLabeler for ScriptedLabeler {
    async fn label(
        &self,
        text: &str,
        gate: &dyn CallGate,
        _deadline: Option<std::time::Instant>,
    ) -> Result<LabelOutput, WireError> {
        let estimate = CallEstimate::for_prompt([text], false);
        gate.admit(estimate)
            .await
            .map_err(|deferred| WireError::from_error(ErrorKind::LabelRateLimited, &deferred))?;
        *self.calls.lock().expect("lock") += 1;
        let result = (self.script)(text);
        let outcome = match &result {
            Ok(output) => CallOutcome::Answered(output.usage),
            Err(error) if error.kind == ErrorKind::LabelRateLimited => {
                CallOutcome::Throttled(Some(SCRIPTED_RETRY_AFTER))
            }
            Err(_) => CallOutcome::Failed,
        };
        gate.settle(estimate, outcome).await;
        result
    }
}

struct Fixture {
    objects: MemObjects,
    table: MemTable,
    callback: RecordingCallback,
    labeler: ScriptedLabeler,
}

impl Fixture {
    fn new(labeler: ScriptedLabeler) -> Self {
        Fixture {
            objects: MemObjects::with_text(TEXT_KEY, TEXT),
            table: MemTable::default(),
            callback: RecordingCallback::default(),
            labeler,
        }
    }
    fn worker(&self) -> Worker<MemObjects, MemTable, RecordingCallback, ScriptedLabeler> {
        Worker::new(
            self.objects.clone(),
            self.table.clone(),
            self.callback.clone(),
            self.labeler.clone(),
        )
    }
}

fn message(id: &str, body: Option<&str>) -> SqsMessage {
    let mut message = SqsMessage::default();
    message.message_id = Some(id.to_owned());
    message.body = body.map(str::to_owned);
    message
}

fn task_body(token: &str, file_id: &str, text_key: &str) -> String {
    serde_json::json!({"taskToken": token, "jobId": "job-1", "fileId": file_id, "textKey": text_key})
        .to_string()
}

/// A message handed back by a worker, carrying its reserved slot.
fn reserved_body(slot: i64) -> String {
    serde_json::json!({
        "taskToken": "tok-1", "jobId": "job-1", "fileId": "f1", "textKey": TEXT_KEY,
        "reservedAt": slot,
    })
    .to_string()
}

fn batch(messages: Vec<SqsMessage>) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = messages;
    event
}

async fn failed_ids(fixture: &Fixture, event: SqsEvent) -> Vec<String> {
    fixture
        .worker()
        .handle_batch(event, None)
        .await
        .batch_item_failures
        .into_iter()
        .map(|failure| failure.item_identifier)
        .collect()
}

const EXPECTED_OUTPUT: TaskOutput = TaskOutput {
    pair_count: 1,
    input_tokens: 410,
    output_tokens: 22,
};

#[tokio::test]
async fn labels_stores_and_reports_success() {
    let fixture = Fixture::new(ScriptedLabeler::one_pair());
    let body = task_body("tok-1", "f1", TEXT_KEY);
    let failed = failed_ids(&fixture, batch(vec![message("m1", Some(&body))])).await;

    assert!(failed.is_empty());
    assert_eq!(
        fixture.callback.sent(),
        vec![Sent::Success("tok-1".into(), EXPECTED_OUTPUT)]
    );
    let stored = fixture.table.result("job-1", "f1").expect("stored");
    assert_eq!(stored.pair_count, 1);
    assert_eq!(stored.usage.calls, 1);
    assert!(stored.labeled_at.starts_with("20"), "{}", stored.labeled_at);
    let StoredPairs::Inline(json) = &stored.pairs else {
        panic!("small results stay in the item");
    };
    let pairs: Vec<LabeledPair> = serde_json::from_str(json).expect("pairs JSON");
    assert_eq!(
        pairs[0].answer,
        "저는 고객의 문제를 푸는 일이 좋아 지원했습니다."
    );
    assert_eq!(pairs[0].category, Category::Motivation);
    let company = stored.prefill.company.as_ref().expect("company stored");
    assert_eq!(company.value, "한결제약");
    assert!(stored.prefill.position.is_none());
}

#[tokio::test]
async fn every_label_error_fails_the_task_under_its_wire_name() {
    let label_errors = [
        ErrorKind::LabelRateLimited,
        ErrorKind::LabelUpstream,
        ErrorKind::LabelTimeout,
        ErrorKind::LabelInvalidResponse,
        ErrorKind::LabelAuth,
        ErrorKind::LabelEmpty,
    ];
    for kind in label_errors {
        let fixture = Fixture::new(ScriptedLabeler::new(move |_| {
            Err(kind.with_cause("provider said no"))
        }));
        let body = task_body("tok-1", "f1", TEXT_KEY);
        let failed = failed_ids(&fixture, batch(vec![message("m1", Some(&body))])).await;

        assert!(
            failed.is_empty(),
            "{kind}: the state machine decides, not SQS"
        );
        assert_eq!(
            fixture.callback.sent(),
            vec![Sent::Failure(
                "tok-1".into(),
                kind.with_cause("provider said no")
            )]
        );
        assert!(
            fixture.table.result("job-1", "f1").is_none(),
            "{kind}: nothing stored"
        );
    }
}

#[tokio::test]
async fn a_redelivered_message_is_not_labeled_twice() {
    let fixture = Fixture::new(ScriptedLabeler::one_pair());
    let body = task_body("tok-1", "f1", TEXT_KEY);
    for _ in 0..2 {
        let failed = failed_ids(&fixture, batch(vec![message("m1", Some(&body))])).await;
        assert!(failed.is_empty());
    }
    assert_eq!(fixture.labeler.calls(), 1);
    assert_eq!(*fixture.table.writes.lock().expect("lock"), 1);
    assert_eq!(
        fixture.callback.sent(),
        vec![
            Sent::Success("tok-1".into(), EXPECTED_OUTPUT),
            Sent::Success("tok-1".into(), EXPECTED_OUTPUT)
        ]
    );
}

#[tokio::test]
async fn of_two_concurrent_deliveries_the_first_stored_result_wins() {
    // While this delivery labels, another one stores its (different) result.
    let table = MemTable::default();
    let racing_table = table.clone();
    let labeler = ScriptedLabeler::new(move |_| {
        let first = FileResult {
            prefill: Prefill::default(),
            pairs: StoredPairs::Inline("[]".into()),
            pair_count: 5,
            usage: TokenUsage {
                input_tokens: 999,
                output_tokens: 55,
                calls: 2,
            },
            labeled_at: "2026-11-25T11:00:00Z".into(),
        };
        racing_table
            .items
            .lock()
            .expect("lock")
            .insert(("job-1".into(), "f1".into()), first);
        ScriptedLabeler::one_pair_output()
    });
    let mut fixture = Fixture::new(labeler);
    fixture.table = table;
    let body = task_body("tok-1", "f1", TEXT_KEY);
    let failed = failed_ids(&fixture, batch(vec![message("m1", Some(&body))])).await;

    assert!(failed.is_empty());
    let stored = fixture.table.result("job-1", "f1").expect("stored");
    assert_eq!(stored.pair_count, 5, "the first result is kept");
    assert_eq!(
        fixture.callback.sent(),
        vec![Sent::Success(
            "tok-1".into(),
            TaskOutput {
                pair_count: 5,
                input_tokens: 999,
                output_tokens: 55
            }
        )]
    );
}

impl ScriptedLabeler {
    fn one_pair_output() -> Result<LabelOutput, WireError> {
        Ok(LabelOutput {
            prefill: Prefill::default(),
            pairs: vec![LabeledPair::new(
                "q".into(),
                "a".into(),
                Category::Other,
                None,
            )],
            usage: TokenUsage::default(),
        })
    }
}

#[tokio::test]
async fn a_task_that_timed_out_is_skipped_without_an_ai_call() {
    let fixture = Fixture::new(ScriptedLabeler::one_pair());
    *fixture.callback.state.lock().expect("lock") = StepFunctions::TaskTimedOut;
    let body = task_body("tok-1", "f1", TEXT_KEY);
    let failed = failed_ids(&fixture, batch(vec![message("m1", Some(&body))])).await;

    assert!(
        failed.is_empty(),
        "the execution moved on; retrying cannot help"
    );
    assert_eq!(fixture.labeler.calls(), 0, "no AI call for a dead task");
    assert!(fixture.table.result("job-1", "f1").is_none());
    assert_eq!(*fixture.callback.heartbeats.lock().expect("lock"), 1);

    // Same for a failure report.
    let fixture = Fixture::new(ScriptedLabeler::new(|_| {
        Err(ErrorKind::LabelAuth.with_cause("HTTP 401"))
    }));
    *fixture.callback.state.lock().expect("lock") = StepFunctions::TaskTimedOut;
    let failed = failed_ids(&fixture, batch(vec![message("m1", Some(&body))])).await;
    assert!(failed.is_empty());
}

#[tokio::test]
async fn unreachable_step_functions_retries_the_message_and_the_retry_does_not_relabel() {
    let fixture = Fixture::new(ScriptedLabeler::one_pair());
    *fixture.callback.state.lock().expect("lock") = StepFunctions::Unreachable;
    let body = task_body("tok-1", "f1", TEXT_KEY);
    let failed = failed_ids(&fixture, batch(vec![message("m1", Some(&body))])).await;
    assert_eq!(failed, vec!["m1"]);

    *fixture.callback.state.lock().expect("lock") = StepFunctions::Waiting;
    let failed = failed_ids(&fixture, batch(vec![message("m1", Some(&body))])).await;
    assert!(failed.is_empty());
    assert_eq!(fixture.labeler.calls(), 1);
    assert_eq!(
        fixture.callback.sent(),
        vec![Sent::Success("tok-1".into(), EXPECTED_OUTPUT)]
    );
}

#[tokio::test]
async fn storage_down_is_a_batch_item_failure_for_that_message_only() {
    let fixture = Fixture::new(ScriptedLabeler::one_pair());
    fixture.objects.insert("text/job-1/f2.txt", TEXT.as_bytes());
    fixture
        .objects
        .down
        .lock()
        .expect("lock")
        .insert("text/job-1/f2.txt".into());
    let ok = task_body("tok-1", "f1", TEXT_KEY);
    let unreadable = task_body("tok-2", "f2", "text/job-1/f2.txt");
    let failed = failed_ids(
        &fixture,
        batch(vec![
            message("m1", Some(&ok)),
            message("m2", Some(&unreadable)),
        ]),
    )
    .await;

    assert_eq!(failed, vec!["m2"]);
    assert_eq!(
        fixture.callback.sent(),
        vec![Sent::Success("tok-1".into(), EXPECTED_OUTPUT)]
    );

    let fixture = Fixture::new(ScriptedLabeler::one_pair());
    *fixture.table.down.lock().expect("lock") = true;
    let failed = failed_ids(&fixture, batch(vec![message("m1", Some(&ok))])).await;
    assert_eq!(failed, vec!["m1"]);
    assert_eq!(
        fixture.labeler.calls(),
        0,
        "no AI call before the table answers"
    );
    assert!(fixture.callback.sent().is_empty());
}

#[tokio::test]
async fn missing_text_fails_the_task_as_not_found() {
    let fixture = Fixture::new(ScriptedLabeler::one_pair());
    let body = task_body("tok-1", "f1", "text/job-1/nope.txt");
    let failed = failed_ids(&fixture, batch(vec![message("m1", Some(&body))])).await;

    assert!(failed.is_empty());
    let sent = fixture.callback.sent();
    assert!(
        matches!(&sent[..], [Sent::Failure(token, error)] if token == "tok-1" && error.kind == ErrorKind::StorageNotFound),
        "{sent:?}"
    );
}

#[tokio::test]
async fn a_panicking_labeler_fails_the_task_as_internal_panic() {
    let fixture = Fixture::new(ScriptedLabeler::new(|text| {
        let lines: Vec<&str> = text.lines().collect();
        let _ = lines[lines.len() + 1];
        ScriptedLabeler::one_pair_output()
    }));
    let body = task_body("tok-1", "f1", TEXT_KEY);
    let failed = failed_ids(&fixture, batch(vec![message("m1", Some(&body))])).await;

    assert!(failed.is_empty());
    let sent = fixture.callback.sent();
    assert!(
        matches!(&sent[..], [Sent::Failure(_, error)] if error.kind == ErrorKind::InternalPanic),
        "{sent:?}"
    );
}

#[tokio::test]
async fn a_malformed_body_without_a_token_is_dropped() {
    let fixture = Fixture::new(ScriptedLabeler::one_pair());
    let failed = failed_ids(
        &fixture,
        batch(vec![
            message("m1", Some("지원동기: not json")),
            message("m2", None),
            message(
                "m3",
                Some(r#"{"jobId":"job-1","fileId":"f1","textKey":"k"}"#),
            ),
        ]),
    )
    .await;

    assert!(
        failed.is_empty(),
        "another delivery would read the same bytes"
    );
    assert!(fixture.callback.sent().is_empty());
    assert_eq!(fixture.labeler.calls(), 0);
}

#[tokio::test]
async fn a_malformed_body_with_a_token_fails_its_task_as_input_invalid() {
    let fixture = Fixture::new(ScriptedLabeler::one_pair());
    let body = r#"{"taskToken":"tok-9","jobId":"job-1","textKey":"k"}"#;
    let disposition = fixture
        .worker()
        .handle_message(&message("m1", Some(body)), None)
        .await;

    assert_eq!(disposition, Disposition::Done);
    let sent = fixture.callback.sent();
    assert!(
        matches!(&sent[..], [Sent::Failure(token, error)]
            if token == "tok-9" && error.kind == ErrorKind::InputInvalid && error.cause.contains("fileId")),
        "{sent:?}"
    );
    assert_eq!(fixture.labeler.calls(), 0);
}

fn long_pairs_labeler(answer_chars: usize, category: Category) -> ScriptedLabeler {
    ScriptedLabeler::new(move |_| {
        Ok(LabelOutput {
            prefill: Prefill::default(),
            pairs: (0..3)
                .map(|i| {
                    LabeledPair::new(
                        format!("{}. 질문", i + 1),
                        "가".repeat(answer_chars),
                        category,
                        None,
                    )
                })
                .collect(),
            usage: TokenUsage {
                input_tokens: 30_000,
                output_tokens: 80,
                calls: 1,
            },
        })
    })
}

#[tokio::test]
async fn a_large_result_goes_to_s3_and_the_item_holds_its_key() {
    // 3 answers of 8,000 three-byte characters: over the 64 KiB inline limit.
    let fixture = Fixture::new(long_pairs_labeler(8_000, Category::JobSkill));
    let body = task_body("tok-1", "f1", TEXT_KEY);
    let failed = failed_ids(&fixture, batch(vec![message("m1", Some(&body))])).await;

    assert!(failed.is_empty());
    let stored = fixture.table.result("job-1", "f1").expect("stored");
    assert_eq!(
        stored.pairs,
        StoredPairs::Object(ObjectKey::parse("results/job-1/f1.json").expect("key"))
    );
    let object = fixture
        .objects
        .object("results/job-1/f1.json")
        .expect("object");
    assert!(object.len() > INLINE_PAIRS_MAX_BYTES);
    let pairs: Vec<LabeledPair> = serde_json::from_slice(&object).expect("pairs JSON");
    assert_eq!(pairs.len(), 3);
    assert_eq!(pairs[2].category, Category::JobSkill);
}

#[tokio::test]
async fn a_result_object_left_by_an_earlier_delivery_is_kept_and_counted() {
    let fixture = Fixture::new(long_pairs_labeler(8_000, Category::JobSkill));
    // An earlier delivery wrote its object (2 pairs) and stopped before the table write.
    let earlier: Vec<LabeledPair> = (0..2)
        .map(|_| LabeledPair::new("질문".into(), "나".repeat(12_000), Category::Values, None))
        .collect();
    let earlier_json = serde_json::to_vec(&earlier).expect("json");
    fixture
        .objects
        .insert("results/job-1/f1.json", &earlier_json);
    let body = task_body("tok-1", "f1", TEXT_KEY);
    let failed = failed_ids(&fixture, batch(vec![message("m1", Some(&body))])).await;

    assert!(failed.is_empty());
    assert_eq!(
        fixture.objects.object("results/job-1/f1.json"),
        Some(earlier_json)
    );
    let stored = fixture.table.result("job-1", "f1").expect("stored");
    assert_eq!(stored.pair_count, 2, "the count describes the kept object");
    let sent = fixture.callback.sent();
    assert!(
        matches!(&sent[..], [Sent::Success(_, out)] if out.pair_count == 2),
        "{sent:?}"
    );
}

// ------------------------------------------------------------------ the rate governor

#[derive(Clone, Default)]
struct RecordingQueue {
    sent: Arc<Mutex<Vec<(String, std::time::Duration)>>>,
}

#[async_trait]
impl LabelQueue for RecordingQueue {
    async fn send_later(&self, body: &str, delay: std::time::Duration) -> Result<(), StoreError> {
        self.sent
            .lock()
            .expect("lock")
            .push((body.to_owned(), delay));
        Ok(())
    }
}

impl RecordingQueue {
    fn sent(&self) -> Vec<(serde_json::Value, std::time::Duration)> {
        self.sent
            .lock()
            .expect("lock")
            .iter()
            .map(|(body, delay)| (serde_json::from_str(body).expect("JSON body"), *delay))
            .collect()
    }
}

const RPM_60: RateLimits = RateLimits {
    requests_per_minute: Some(60),
    tokens_per_minute: None,
    concurrency: 5,
};

/// A worker paced by a governor over `schedule`, handing back to `queue`.
fn paced_worker(
    fixture: &Fixture,
    schedule: &Arc<MemoryRateSchedule>,
    queue: &RecordingQueue,
) -> Worker<MemObjects, MemTable, RecordingCallback, ScriptedLabeler> {
    fixture.worker().paced(Pacing {
        governor: Governor::new(Arc::clone(schedule), RPM_60),
        queue: Box::new(queue.clone()),
    })
}

/// A schedule whose next free request slot is `ahead_ms` from now.
async fn busy_schedule(ahead_ms: i64) -> Arc<MemoryRateSchedule> {
    let schedule = Arc::new(MemoryRateSchedule::default());
    let busy = RateSchedule {
        requests_free_at: now_ms() + ahead_ms,
        ..RateSchedule::default()
    };
    assert!(schedule.replace_schedule(&busy, 0).await.expect("stored"));
    schedule
}

#[tokio::test]
async fn a_call_whose_slot_is_far_goes_back_to_the_queue_with_its_reservation() {
    let fixture = Fixture::new(ScriptedLabeler::one_pair());
    let schedule = busy_schedule(60_000).await;
    let queue = RecordingQueue::default();
    let body = task_body("tok-1", "f1", TEXT_KEY);
    let disposition = paced_worker(&fixture, &schedule, &queue)
        .handle_message(&message("m1", Some(&body)), None)
        .await;

    assert_eq!(
        disposition,
        Disposition::Done,
        "the original message is done"
    );
    assert_eq!(fixture.labeler.calls(), 0, "no AI call");
    assert!(fixture.callback.sent().is_empty(), "the task keeps waiting");
    let sent = queue.sent();
    assert_eq!(sent.len(), 1);
    let (again, delay) = &sent[0];
    assert_eq!(again["taskToken"], "tok-1");
    assert_eq!(again["fileId"], "f1");
    let slot = again["reservedAt"]
        .as_i64()
        .expect("the reservation travels");
    let ahead = slot - now_ms();
    assert!((58_000..=60_500).contains(&ahead), "{ahead} ms");
    assert!(
        (58..=60).contains(&delay.as_secs()),
        "it comes back just before its slot: {delay:?}"
    );
    // The slot is taken: the next reservation is behind it.
    let (stored, _) = schedule.stored().expect("schedule");
    assert!(stored.requests_free_at >= slot + 1_000);
}

#[tokio::test]
async fn a_message_back_for_its_slot_is_labeled_without_a_new_reservation() {
    let fixture = Fixture::new(ScriptedLabeler::one_pair());
    let schedule = busy_schedule(600_000).await;
    let queue = RecordingQueue::default();
    let slot = now_ms() + 300;
    let body = reserved_body(slot);
    let disposition = paced_worker(&fixture, &schedule, &queue)
        .handle_message(&message("m1", Some(&body)), None)
        .await;

    assert_eq!(disposition, Disposition::Done);
    assert!(now_ms() >= slot, "it waited for its slot");
    assert_eq!(fixture.labeler.calls(), 1);
    assert_eq!(
        fixture.callback.sent(),
        vec![Sent::Success("tok-1".into(), EXPECTED_OUTPUT)]
    );
    assert!(queue.sent().is_empty());
}

#[tokio::test]
async fn a_message_back_early_goes_round_again_without_labeling() {
    let fixture = Fixture::new(ScriptedLabeler::one_pair());
    let schedule = Arc::new(MemoryRateSchedule::default());
    let queue = RecordingQueue::default();
    // A backlog longer than one trip (SQS delays at most 900 s; the worker 600 s).
    let slot = now_ms() + 1_000_000;
    let body = reserved_body(slot);
    paced_worker(&fixture, &schedule, &queue)
        .handle_message(&message("m1", Some(&body)), None)
        .await;

    assert_eq!(fixture.labeler.calls(), 0);
    let sent = queue.sent();
    assert_eq!(sent[0].0["reservedAt"], slot, "the same reservation");
    assert_eq!(sent[0].1.as_secs(), 600);
    assert!(schedule.stored().is_none(), "no new reservation was taken");
    assert_eq!(
        *fixture.callback.heartbeats.lock().expect("lock"),
        1,
        "the task was kept alive"
    );
}

#[tokio::test]
async fn a_429_holds_the_fleet_back_and_the_file_waits_in_the_queue() {
    let fixture = Fixture::new(ScriptedLabeler::new(|_| {
        Err(ErrorKind::LabelRateLimited.with_cause("rate limited by provider; retry after 30 s"))
    }));
    let schedule = Arc::new(MemoryRateSchedule::default());
    let queue = RecordingQueue::default();
    let body = task_body("tok-1", "f1", TEXT_KEY);
    let disposition = paced_worker(&fixture, &schedule, &queue)
        .handle_message(&message("m1", Some(&body)), None)
        .await;

    assert_eq!(disposition, Disposition::Done);
    assert!(
        fixture.callback.sent().is_empty(),
        "a 429 does not fail the task"
    );
    let (stored, _) = schedule.stored().expect("schedule");
    assert!(
        stored.not_before >= now_ms() + 28_000,
        "everyone waits Retry-After"
    );
    let sent = queue.sent();
    assert_eq!(sent.len(), 1);
    let slot = sent[0].0["reservedAt"].as_i64().expect("a new reservation");
    assert!(slot >= stored.not_before);
    assert!((28..=30).contains(&sent[0].1.as_secs()), "{:?}", sent[0].1);
}

#[tokio::test]
async fn a_backlog_longer_than_a_file_may_wait_fails_the_task() {
    let fixture = Fixture::new(ScriptedLabeler::one_pair());
    let schedule = busy_schedule(7_200_000).await;
    let before = schedule.stored();
    let queue = RecordingQueue::default();
    let body = task_body("tok-1", "f1", TEXT_KEY);
    paced_worker(&fixture, &schedule, &queue)
        .handle_message(&message("m1", Some(&body)), None)
        .await;

    assert!(queue.sent().is_empty());
    assert_eq!(
        schedule.stored().map(|(stored, _)| stored.requests_free_at),
        before.map(|(stored, _)| stored.requests_free_at),
        "a slot too far is not taken: it would only push later files further back"
    );
    match fixture.callback.sent().as_slice() {
        [Sent::Failure(token, error)] => {
            assert_eq!(token, "tok-1");
            assert_eq!(error.name(), "Label.RateLimited");
            assert!(error.cause.contains("backlog"), "{}", error.cause);
        }
        other => panic!("expected one failure, got {other:?}"),
    }
}

#[tokio::test]
async fn concurrent_workers_get_slots_a_pace_apart() {
    let schedule = Arc::new(MemoryRateSchedule::default());
    let governor = Arc::new(Governor::new(Arc::clone(&schedule), RPM_60));
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let governor = Arc::clone(&governor);
            tokio::spawn(async move {
                governor
                    .reserve_within_backlog(100)
                    .await
                    .expect("schedule")
                    .expect("a slot within the backlog")
            })
        })
        .collect();
    let mut slots = Vec::new();
    for task in tasks {
        slots.push(task.await.expect("joined"));
    }
    slots.sort_unstable();
    for pair in slots.windows(2) {
        assert!(pair[1] - pair[0] >= 1_000, "60/min at 98 %: {slots:?}");
    }
}
