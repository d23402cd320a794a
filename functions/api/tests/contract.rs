//! Real responses of the API handler, checked against `contracts/http-api.openapi.yaml`.

use std::sync::Mutex;

use api::Api;
use async_trait::async_trait;
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use narratix_app::jobs::Quotas;
use narratix_domain::{
    Category, FileStatus, JobId, LabeledPair, LengthLimit, LengthUnit, Prefill, Spaces, Suggestion,
    TokenUsage,
};
use narratix_store::memory::{MemoryObjects, MemoryStore, RecordingPoster};
use narratix_store::ports::Executions;
use narratix_store::ports::JobReader;
use narratix_store::{Moment, StoreError, StoredError};
use serde_json::{json, Value};

const OPENAPI: &str = include_str!("../../../contracts/http-api.openapi.yaml");

#[derive(Default)]
struct Started(Mutex<Vec<String>>);

#[async_trait]
impl Executions for Started {
    async fn start(&self, name: &str, _input: &str) -> Result<bool, StoreError> {
        self.0.lock().expect("lock").push(name.to_owned());
        Ok(true)
    }
}

fn document() -> Value {
    serde_norway::from_str(OPENAPI).expect("the OpenAPI document is YAML")
}

/// The response schema the document gives for `method path` answering `status`, wrapped so
/// that its `#/components/...` references resolve.
fn response_schema(doc: &Value, path: &str, method: &str, status: i64) -> Value {
    let mut response = &doc["paths"][path][method]["responses"][status.to_string()];
    assert!(
        !response.is_null(),
        "{method} {path} does not document {status}"
    );
    if let Some(reference) = response["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/responses/");
        response = &doc["components"]["responses"][name];
    }
    let schema = response["content"]["application/json"]["schema"].clone();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "allOf": [schema],
        "components": doc["components"].clone(),
    })
}

fn check(doc: &Value, path: &str, method: &str, response: &ApiGatewayV2httpResponse) -> Value {
    let body: Value = match &response.body {
        Some(Body::Text(text)) => serde_json::from_str(text).expect("JSON body"),
        other => panic!("unexpected body {other:?}"),
    };
    let schema = response_schema(doc, path, method, response.status_code);
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&body)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} {}: {errors:?}\n{body}",
        response.status_code
    );
    body
}

fn request(method: &str, path: &str, body: Option<Value>) -> ApiGatewayV2httpRequest {
    let mut event = json!({
        "version": "2.0", "rawPath": path, "headers": {},
        "requestContext": {
            "http": {"method": method, "path": path},
            "authorizer": {"jwt": {"claims": {"sub": "alice"}}},
            "timeEpoch": 0
        },
        "isBase64Encoded": false
    });
    if let Some(body) = body {
        event["body"] = json!(body.to_string());
    }
    serde_json::from_value(event).expect("event")
}

#[tokio::test]
async fn every_route_answers_what_the_openapi_document_says() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let api = Api {
        jobs: MemoryStore::new(),
        objects: MemoryObjects::new(),
        executions: Started::default(),
        poster: RecordingPoster::new(),
        bucket: "b".into(),
        quotas: Quotas::DEFAULT,
        verifier: None,
    };
    let now = Moment::from_epoch_seconds(1_795_000_000);
    let pdf = b"%PDF-1.4\n".to_vec();
    let create = json!({"files": [{"name": "a.pdf", "sizeBytes": pdf.len()}, {"name": "b.pdf", "sizeBytes": pdf.len()}]});

    let created = api
        .handle(request("POST", "/jobs", Some(create)), now.clone())
        .await;
    assert_eq!(created.status_code, 201);
    let created = check(&doc, "/jobs", "post", &created);
    let job_id = created["jobId"].as_str().expect("id").to_owned();

    let missing = api
        .handle(
            request("POST", &format!("/jobs/{job_id}/start"), None),
            now.clone(),
        )
        .await;
    assert_eq!(missing.status_code, 409);
    check(&doc, "/jobs/{id}/start", "post", &missing);

    for file in ["f1", "f2"] {
        api.objects
            .put(&format!("uploads/{job_id}/{file}.pdf"), pdf.clone());
    }
    let started = api
        .handle(
            request("POST", &format!("/jobs/{job_id}/start"), None),
            now.clone(),
        )
        .await;
    assert_eq!(started.status_code, 202);
    check(&doc, "/jobs/{id}/start", "post", &started);

    let id = JobId::parse(&job_id).expect("id");
    let snapshot = api.jobs.snapshot(&id).await.expect("read").expect("job");
    let mut done = snapshot.files[0].clone();
    done.status = FileStatus::Succeeded;
    done.pages = Some(2);
    done.chars = Some(1800);
    done.pairs = Some(vec![LabeledPair::new(
        "입사 후 포부 (공백 제외 500자 이내)".into(),
        "저는".into(),
        Category::FuturePlan,
        Some(LengthLimit {
            max: 500,
            unit: LengthUnit::Chars,
            spaces: Spaces::Excluded,
            text: "(공백 제외 500자 이내)".into(),
        }),
    )]);
    done.prefill = Some(Prefill {
        position: Some(Suggestion {
            value: "품질관리".into(),
            line: "지원 직무: 품질관리".into(),
            confidence: 90,
        }),
        year: Some(Suggestion {
            value: 2027,
            line: "2027년 상반기".into(),
            confidence: 70,
        }),
        ..Prefill::default()
    });
    done.usage = TokenUsage {
        input_tokens: 10,
        output_tokens: 5,
        calls: 1,
    };
    let mut failed = snapshot.files[1].clone();
    failed.status = FileStatus::Failed;
    failed.error = Some(StoredError::new(
        "Extract.Encrypted",
        "needs a user password",
    ));
    api.jobs.put_file(&id, done);
    api.jobs.put_file(&id, failed);
    narratix_app::lifecycle::aggregate(&api.jobs, &id, &now)
        .await
        .expect("aggregate");

    let job = api
        .handle(
            request("GET", &format!("/jobs/{job_id}"), None),
            now.clone(),
        )
        .await;
    assert_eq!(job.status_code, 200);
    let job = check(&doc, "/jobs/{id}", "get", &job);
    assert_eq!(job["status"], "PARTIAL");
    let file = &job["files"][0];
    assert_eq!(file["pairs"][0]["limit"]["max"], 500);
    assert_eq!(file["pairs"][0]["answerLength"]["charsWithoutSpaces"], 2);
    assert_eq!(file["pairs"][0]["overLimit"], false);
    assert_eq!(file["prefill"]["position"]["value"], "품질관리");
    assert!(file["prefill"]["company"].is_null());

    let listed = api.handle(request("GET", "/jobs", None), now.clone()).await;
    assert_eq!(listed.status_code, 200);
    check(&doc, "/jobs", "get", &listed);

    let not_found = api
        .handle(request("GET", "/jobs/nope", None), now.clone())
        .await;
    assert_eq!(not_found.status_code, 404);
    check(&doc, "/jobs/{id}", "get", &not_found);

    let deleted = api
        .handle(
            request("DELETE", &format!("/jobs/{job_id}"), None),
            now.clone(),
        )
        .await;
    assert_eq!(deleted.status_code, 204);
    assert!(
        !doc["paths"]["/jobs/{id}"]["delete"]["responses"]["204"].is_null(),
        "DELETE /jobs/{{id}} does not document 204"
    );
    let gone = api
        .handle(
            request("DELETE", &format!("/jobs/{job_id}"), None),
            now.clone(),
        )
        .await;
    assert_eq!(gone.status_code, 404);
    check(&doc, "/jobs/{id}", "delete", &gone);

    for (payload, status) in [
        (json!({"files": []}), 400),
        (json!({"files": [{"name": "a.txt", "sizeBytes": 1}]}), 422),
        (
            json!({"files": [{"name": "a.pdf", "sizeBytes": 6_000_000}]}),
            413,
        ),
    ] {
        let refused = api
            .handle(request("POST", "/jobs", Some(payload)), now.clone())
            .await;
        assert_eq!(refused.status_code, status);
        check(&doc, "/jobs", "post", &refused);
    }
}

#[test]
fn the_document_rejects_what_the_api_never_sends() {
    let doc = document();
    let schema = response_schema(&doc, "/jobs/{id}", "get", 200);
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    assert!(!validator.is_valid(&json!({"jobId": "j", "status": "DONE"})));
    let error = response_schema(&doc, "/jobs", "post", 400);
    let validator = jsonschema::validator_for(&error).expect("schema compiles");
    assert!(!validator.is_valid(&json!({"error": "Oops", "message": "x"})));
    assert!(validator.is_valid(&json!({"error": "Request.Invalid", "message": "x"})));
}

#[test]
fn the_documented_upload_limit_is_the_one_the_code_enforces() {
    let doc = document();
    let maximum = &doc["components"]["schemas"]["CreateJobRequest"]["properties"]["files"]["items"]
        ["properties"]["sizeBytes"]["maximum"];
    assert_eq!(
        maximum.as_u64(),
        Some(narratix_domain::MAX_UPLOAD_BYTES),
        "contracts/http-api.openapi.yaml sizeBytes maximum"
    );
}

#[tokio::test]
async fn a_used_up_quota_answers_the_documented_429_with_retry_after() {
    let doc = document();
    let mut api = Api {
        jobs: MemoryStore::new(),
        objects: MemoryObjects::new(),
        executions: Started::default(),
        poster: RecordingPoster::new(),
        bucket: "b".into(),
        quotas: Quotas::DEFAULT,
        verifier: None,
    };
    api.quotas.jobs_per_day = 1;
    let now = Moment::from_epoch_seconds(1_795_000_000);
    let create = || {
        request(
            "POST",
            "/jobs",
            Some(json!({"files": [{"name": "a.pdf", "sizeBytes": 9}]})),
        )
    };
    assert_eq!(api.handle(create(), now.clone()).await.status_code, 201);
    let refused = api.handle(create(), now.clone()).await;
    assert_eq!(refused.status_code, 429);
    let body = check(&doc, "/jobs", "post", &refused);
    assert_eq!(body["error"], "Quota.Exceeded");
    let header = &doc["components"]["responses"]["QuotaExceeded"]["headers"]["Retry-After"];
    assert_eq!(header["required"], true);
    let retry_after: u64 = refused
        .headers
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
        .expect("a Retry-After in seconds");
    assert!(retry_after >= 1);
}
