//! Every route over the in-memory ports, through real API Gateway v2 events.

use std::sync::Mutex;
use std::time::Duration;

use api::Api;
use async_trait::async_trait;
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use narratix_app::jobs::Quotas;
use narratix_auth::{mint_dev_token, KeySource, Verifier, VerifierConfig};
use narratix_domain::{Category, FileStatus, JobId, LabeledPair, TokenUsage};
use narratix_store::memory::{MemoryObjects, MemoryStore, RecordingPoster, UnavailableStore};
use narratix_store::ports::Executions;
use narratix_store::ports::{ConnectionStore, JobReader};
use narratix_store::{Moment, StoreError};
use serde_json::{json, Value};

#[derive(Default)]
struct RecordingExecutions {
    started: Mutex<Vec<(String, Value)>>,
}

#[async_trait]
impl Executions for RecordingExecutions {
    async fn start(&self, name: &str, input: &str) -> Result<bool, StoreError> {
        let mut started = self.started.lock().expect("lock");
        if started.iter().any(|(existing, _)| existing == name) {
            return Ok(false);
        }
        started.push((
            name.to_owned(),
            serde_json::from_str(input).expect("input JSON"),
        ));
        Ok(true)
    }
}

type TestApi = Api<MemoryStore, MemoryObjects, RecordingExecutions, RecordingPoster>;

fn api() -> TestApi {
    Api {
        jobs: MemoryStore::new(),
        objects: MemoryObjects::new(),
        executions: RecordingExecutions::default(),
        poster: RecordingPoster::new(),
        bucket: "uploads-bucket".into(),
        quotas: Quotas::DEFAULT,
        verifier: None,
    }
}

fn now() -> Moment {
    Moment::from_epoch_seconds(1_795_000_000)
}

fn request(
    method: &str,
    path: &str,
    sub: Option<&str>,
    body: Option<Value>,
) -> ApiGatewayV2httpRequest {
    let (raw_path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut event = json!({
        "version": "2.0",
        "routeKey": format!("{method} {raw_path}"),
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "api", "domainName": "api.example",
            "requestId": "r1", "routeKey": format!("{method} {raw_path}"), "stage": "$default",
            "time": "25/Nov/2026:10:00:00 +0000", "timeEpoch": 1_795_000_000_000_i64,
            "http": {"method": method, "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.1", "userAgent": "test"}
        },
        "isBase64Encoded": false
    });
    if !query.is_empty() {
        let params: serde_json::Map<String, Value> = query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_owned(), json!(v)))
            .collect();
        event["queryStringParameters"] = Value::Object(params);
    }
    if let Some(sub) = sub {
        event["requestContext"]["authorizer"] =
            json!({"jwt": {"claims": {"sub": sub, "iss": "https://issuer"}, "scopes": null}});
    }
    if let Some(body) = body {
        event["body"] = json!(body.to_string());
    }
    serde_json::from_value(event).expect("v2 event")
}

fn body(response: &ApiGatewayV2httpResponse) -> Value {
    match &response.body {
        Some(Body::Text(text)) => serde_json::from_str(text).expect("JSON body"),
        other => panic!("unexpected body {other:?}"),
    }
}

fn assert_error(response: &ApiGatewayV2httpResponse, status: i64, name: &str) {
    assert_eq!(response.status_code, status, "{:?}", body(response));
    assert_eq!(body(response)["error"], name);
    assert!(body(response)["message"].is_string());
}

const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n";

fn two_files() -> Value {
    json!({"files": [{"name": "자기소개서.pdf", "sizeBytes": PDF.len()}, {"name": "B.PDF", "sizeBytes": PDF.len()}]})
}

async fn created_job(api: &TestApi, owner: &str) -> String {
    let response = api
        .handle(
            request("POST", "/jobs", Some(owner), Some(two_files())),
            now(),
        )
        .await;
    assert_eq!(response.status_code, 201, "{:?}", body(&response));
    body(&response)["jobId"]
        .as_str()
        .expect("job id")
        .to_owned()
}

#[tokio::test]
async fn create_job_answers_presigned_uploads_and_stores_an_expiring_job() {
    let api = api();
    let response = api
        .handle(
            request("POST", "/jobs", Some("alice"), Some(two_files())),
            now(),
        )
        .await;
    assert_eq!(response.status_code, 201);
    let created = body(&response);
    assert_eq!(created["status"], "CREATED");
    let job_id = created["jobId"].as_str().expect("id");
    let files = created["files"].as_array().expect("files");
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["fileId"], "f1");
    assert_eq!(files[0]["name"], "자기소개서.pdf");
    assert!(files[1]["uploadUrl"]
        .as_str()
        .expect("url")
        .contains(&format!("uploads/{job_id}/f2.pdf")));
    assert_eq!(files[0]["headers"]["content-type"], "application/pdf");
    let id = JobId::parse(job_id).expect("valid id");
    let stored = api.jobs.job(&id).await.expect("read").expect("stored");
    assert_eq!(stored.owner, "alice");
    assert_eq!(api.jobs.expires_at(&id), Some(1_795_000_000 + 24 * 60 * 60));
}

#[tokio::test]
async fn create_job_refuses_bad_requests_by_name() {
    let api = api();
    let big = 5 * 1024 * 1024 + 1;
    for (payload, status, name) in [
        (json!({"files": []}), 400, "Request.Invalid"),
        (
            json!({"files": [{"name": "a.pdf", "sizeBytes": 1}, {"name": "b.pdf", "sizeBytes": 1}, {"name": "c.pdf", "sizeBytes": 1}, {"name": "d.pdf", "sizeBytes": 1}]}),
            400,
            "Request.Invalid",
        ),
        (
            json!({"files": [{"name": "a.docx", "sizeBytes": 10}]}),
            422,
            "Upload.NotPdf",
        ),
        (
            json!({"files": [{"name": "a.pdf", "sizeBytes": big}]}),
            413,
            "Upload.TooLarge",
        ),
        (
            json!({"files": [{"name": "a.pdf", "sizeBytes": 0}]}),
            400,
            "Request.Invalid",
        ),
        (
            json!({"files": [{"name": "a\u{0}.pdf", "sizeBytes": 3}]}),
            400,
            "Request.Invalid",
        ),
        (json!({"nope": true}), 400, "Request.Invalid"),
    ] {
        let response = api
            .handle(
                request("POST", "/jobs", Some("alice"), Some(payload)),
                now(),
            )
            .await;
        assert_error(&response, status, name);
    }
    let response = api
        .handle(request("POST", "/jobs", None, Some(two_files())), now())
        .await;
    assert_error(&response, 401, "Auth.Unauthorized");
    let response = api
        .handle(request("DELETE", "/jobs", Some("alice"), None), now())
        .await;
    assert_error(&response, 400, "Request.Invalid");
}

#[tokio::test]
async fn start_checks_every_upload_then_starts_one_execution() {
    let api = api();
    let job_id = created_job(&api, "alice").await;
    let start = || {
        request(
            "POST",
            &format!("/jobs/{job_id}/start"),
            Some("alice"),
            None,
        )
    };

    assert_error(&api.handle(start(), now()).await, 409, "Upload.Missing");
    api.objects.put(&format!("uploads/{job_id}/f1.pdf"), PDF);
    api.objects.put(
        &format!("uploads/{job_id}/f2.pdf"),
        b"<html>not a pdf</html>".to_vec(),
    );
    assert_error(
        &api.handle(start(), now()).await,
        422,
        "Upload.SizeMismatch",
    );
    let mut html = b"<html>".repeat(PDF.len());
    html.truncate(PDF.len());
    api.objects.put(&format!("uploads/{job_id}/f2.pdf"), html);
    assert_error(&api.handle(start(), now()).await, 422, "Upload.NotPdf");
    assert!(api.executions.started.lock().expect("lock").is_empty());

    api.objects.put(&format!("uploads/{job_id}/f2.pdf"), PDF);
    let response = api.handle(start(), now()).await;
    assert_eq!(response.status_code, 202, "{:?}", body(&response));
    assert_eq!(body(&response)["status"], "RUNNING");
    let again = api.handle(start(), now()).await;
    assert_eq!(again.status_code, 202);
    assert_eq!(body(&again)["jobId"], job_id.as_str());

    let started = api.executions.started.lock().expect("lock").clone();
    assert_eq!(
        started.len(),
        1,
        "a repeated start never starts a second execution"
    );
    assert_eq!(started[0].0, job_id);
    assert_eq!(
        started[0].1,
        json!({"jobId": job_id, "owner": "alice", "bucket": "uploads-bucket", "files": [
            {"fileId": "f1", "key": format!("inputs/{job_id}/f1.pdf")},
            {"fileId": "f2", "key": format!("inputs/{job_id}/f2.pdf")}
        ]})
    );
    // The pipeline reads the start's copies: a PDF swapped through the upload URL afterwards
    // never reaches it.
    api.objects.put(
        &format!("uploads/{job_id}/f1.pdf"),
        b"%PDF-swapped".to_vec(),
    );
    assert_eq!(
        api.objects
            .object(&format!("inputs/{job_id}/f1.pdf"))
            .as_deref(),
        Some(PDF)
    );
    assert_eq!(
        api.jobs.expires_at(&JobId::parse(&job_id).expect("id")),
        None
    );
}

#[tokio::test]
async fn another_users_job_is_not_found_on_every_route() {
    let api = api();
    let job_id = created_job(&api, "alice").await;
    for (method, path) in [
        ("GET", format!("/jobs/{job_id}")),
        ("POST", format!("/jobs/{job_id}/start")),
        ("GET", "/jobs/does-not-exist".to_owned()),
        ("GET", "/jobs/bad%20id".to_owned()),
    ] {
        let response = api
            .handle(request(method, &path, Some("mallory"), None), now())
            .await;
        assert_error(&response, 404, "Job.NotFound");
    }
    let mine = api
        .handle(request("GET", "/jobs", Some("mallory"), None), now())
        .await;
    assert_eq!(body(&mine), json!({"jobs": []}));
}

#[tokio::test]
async fn get_job_shows_files_pairs_errors_and_summed_usage() {
    let api = api();
    let job_id = created_job(&api, "alice").await;
    let id = JobId::parse(&job_id).expect("id");
    let snapshot = api.jobs.snapshot(&id).await.expect("read").expect("job");
    let pair = LabeledPair::new("지원동기".into(), "저는".into(), Category::Motivation, None);
    let mut f1 = snapshot.files[0].clone();
    f1.status = FileStatus::Succeeded;
    f1.result_key =
        Some(narratix_domain::ObjectKey::parse(&format!("results/{job_id}/f1.json")).expect("key"));
    f1.pair_count = Some(1);
    f1.usage = TokenUsage {
        input_tokens: 900,
        output_tokens: 100,
        calls: 2,
    };
    api.objects.put(
        &format!("results/{job_id}/f1.json"),
        serde_json::to_vec(&vec![pair.clone()]).expect("json"),
    );
    let mut f2 = snapshot.files[1].clone();
    f2.status = FileStatus::Failed;
    f2.error = Some(narratix_store::StoredError::new(
        "Extract.NoText",
        "no text layer",
    ));
    f2.usage = TokenUsage {
        input_tokens: 0,
        output_tokens: 0,
        calls: 0,
    };
    api.jobs.put_file(&id, f1);
    api.jobs.put_file(&id, f2);

    let response = api
        .handle(
            request("GET", &format!("/jobs/{job_id}"), Some("alice"), None),
            now(),
        )
        .await;
    assert_eq!(response.status_code, 200);
    let job = body(&response);
    assert_eq!(
        job["usage"],
        json!({"inputTokens": 900, "outputTokens": 100, "aiCalls": 2})
    );
    assert_eq!(job["files"][0]["pairs"][0]["category"], "MOTIVATION");
    assert_eq!(job["files"][0]["pairCount"], 1);
    assert_eq!(job["files"][1]["error"], "Extract.NoText");
    assert_eq!(job["files"][1]["cause"], "no text layer");
    assert!(job["files"][1].get("pairs").is_none());
}

#[tokio::test]
async fn list_jobs_is_newest_first_and_bounded() {
    let api = api();
    let first = created_job(&api, "alice").await;
    let later = Moment::from_epoch_seconds(1_795_000_100);
    let response = api
        .handle(
            request("POST", "/jobs", Some("alice"), Some(two_files())),
            later,
        )
        .await;
    let second = body(&response)["jobId"].as_str().expect("id").to_owned();
    let listed = api
        .handle(request("GET", "/jobs", Some("alice"), None), now())
        .await;
    let ids: Vec<_> = body(&listed)["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .map(|job| job["jobId"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(ids, [second, first]);
    let one = api
        .handle(request("GET", "/jobs?limit=1", Some("alice"), None), now())
        .await;
    assert_eq!(body(&one)["jobs"].as_array().expect("jobs").len(), 1);
    let bad = api
        .handle(
            request("GET", "/jobs?limit=500", Some("alice"), None),
            now(),
        )
        .await;
    assert_error(&bad, 400, "Request.Invalid");
}

#[tokio::test]
async fn storage_outage_is_service_unavailable() {
    let api = Api {
        jobs: UnavailableStore,
        objects: MemoryObjects::new(),
        executions: RecordingExecutions::default(),
        poster: RecordingPoster::new(),
        bucket: "b".into(),
        quotas: Quotas::DEFAULT,
        verifier: None,
    };
    for (method, path, payload) in [
        ("POST", "/jobs", Some(two_files())),
        ("GET", "/jobs", None),
        ("GET", "/jobs/job-1", None),
        ("POST", "/jobs/job-1/start", None),
    ] {
        let response = api
            .handle(request(method, path, Some("alice"), payload), now())
            .await;
        assert_error(&response, 503, "Service.Unavailable");
    }
}

#[tokio::test]
async fn bearer_tokens_are_verified_in_the_function_when_asked() {
    let secret = "local-dev-secret-for-the-api-tests";
    let mut api = api();
    api.verifier = Some(Verifier::new(VerifierConfig {
        issuer: "narratix-local".into(),
        audience: "narratix".into(),
        keys: KeySource::DevSecret(secret.into()),
    }));
    let token = mint_dev_token(
        secret,
        "narratix-local",
        "narratix",
        "carol",
        Duration::from_secs(60),
    )
    .expect("token");
    let mut with_token = request("GET", "/jobs", None, None);
    with_token.headers.insert(
        "authorization",
        format!("Bearer {token}").parse().expect("header"),
    );
    let response = api.handle(with_token, now()).await;
    assert_eq!(response.status_code, 200);
    let mut forged = request("GET", "/jobs", Some("carol"), None);
    forged.headers.insert(
        "authorization",
        "Bearer not-a-token".parse().expect("header"),
    );
    assert_error(&api.handle(forged, now()).await, 401, "Auth.Unauthorized");
    let missing = request("GET", "/jobs", Some("carol"), None);
    assert_error(&api.handle(missing, now()).await, 401, "Auth.Unauthorized");
}

/// A job of `files` one-page PDFs, created (not started) by `owner`.
async fn create(api: &TestApi, owner: &str, files: usize) -> ApiGatewayV2httpResponse {
    let files: Vec<Value> = (0..files)
        .map(|i| json!({"name": format!("{i}.pdf"), "sizeBytes": PDF.len()}))
        .collect();
    api.handle(
        request(
            "POST",
            "/jobs",
            Some(owner),
            Some(json!({ "files": files })),
        ),
        now(),
    )
    .await
}

async fn start(api: &TestApi, owner: &str, job_id: &str) -> ApiGatewayV2httpResponse {
    for file in ["f1", "f2", "f3"] {
        api.objects
            .put(&format!("uploads/{job_id}/{file}.pdf"), PDF);
    }
    api.handle(
        request("POST", &format!("/jobs/{job_id}/start"), Some(owner), None),
        now(),
    )
    .await
}

fn assert_quota(response: &ApiGatewayV2httpResponse, retry_after: u64) {
    assert_error(response, 429, "Quota.Exceeded");
    assert_eq!(
        response
            .headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some(retry_after.to_string().as_str())
    );
}

#[tokio::test]
async fn quotas_bound_jobs_and_files_per_day_and_running_jobs() {
    let mut api = api();
    api.quotas = Quotas {
        active_jobs: 1,
        jobs_per_day: 3,
        files_per_day: 4,
    };
    // 1_795_000_000 is 11:06:40 UTC: the day's counters start over in 46,400 s.
    let to_midnight = 86_400 - 1_795_000_000 % 86_400;
    let first = create(&api, "alice", 3).await;
    assert_eq!(first.status_code, 201);
    // Files per day: 3 + 2 > 4, refused; 3 + 1 fits.
    assert_quota(&create(&api, "alice", 2).await, to_midnight);
    let second = create(&api, "alice", 1).await;
    assert_eq!(second.status_code, 201);
    // Running jobs: the first runs, so the second cannot start.
    let first_id = body(&first)["jobId"].as_str().expect("id").to_owned();
    let second_id = body(&second)["jobId"].as_str().expect("id").to_owned();
    assert_eq!(start(&api, "alice", &first_id).await.status_code, 202);
    assert_quota(&start(&api, "alice", &second_id).await, 30);
    // …nor can a new job be created while it runs.
    assert_quota(&create(&api, "alice", 1).await, 30);
    // Another user has quotas of their own.
    assert_eq!(create(&api, "bob", 1).await.status_code, 201);
    // Jobs per day: once the first ends, alice may create her third and last job of the day.
    let mut job = api
        .jobs
        .job(&JobId::parse(&first_id).expect("id"))
        .await
        .expect("read")
        .expect("job");
    job.status = narratix_domain::JobStatus::Succeeded;
    api.jobs.put_job(job);
    api.quotas.files_per_day = 10;
    assert_eq!(create(&api, "alice", 1).await.status_code, 201);
    assert_quota(&create(&api, "alice", 1).await, to_midnight);
    // An invalid request takes nothing from the day.
    assert_eq!(create(&api, "carol", 0).await.status_code, 400);
}

#[tokio::test]
async fn names_with_bidi_overrides_or_control_characters_are_refused() {
    let api = api();
    for name in ["invoice\u{202E}fdp.pdf", "a\u{2067}b.pdf", "a\u{0000}.pdf"] {
        let response = api
            .handle(
                request(
                    "POST",
                    "/jobs",
                    Some("alice"),
                    Some(json!({"files": [{"name": name, "sizeBytes": 10}]})),
                ),
                now(),
            )
            .await;
        assert_error(&response, 400, "Request.Invalid");
    }
}

#[tokio::test]
async fn delete_removes_items_and_objects_and_tells_open_sockets() {
    let api = api();
    let job_id = created_job(&api, "alice").await;
    let id = JobId::parse(&job_id).expect("id");
    assert_eq!(start(&api, "alice", &job_id).await.status_code, 202);
    api.objects
        .put(&format!("text/{job_id}/f1.txt"), b"text".to_vec());
    let delete = || request("DELETE", &format!("/jobs/{job_id}"), Some("alice"), None);
    // A running job is not deleted under the pipeline's feet.
    assert_error(&api.handle(delete(), now()).await, 409, "Job.Running");
    let mut job = api.jobs.job(&id).await.expect("read").expect("job");
    job.status = narratix_domain::JobStatus::Succeeded;
    api.jobs.put_job(job);
    api.jobs
        .put_connection(&narratix_store::Connection {
            connection_id: "c1".into(),
            owner: "alice".into(),
            connected_at: now().rfc3339(),
            expires_at: now().plus_seconds(60).epoch_seconds(),
            token_expires_at: now().plus_seconds(60).epoch_seconds(),
        })
        .await
        .expect("connect");
    // Another user cannot delete it.
    let bob = request("DELETE", &format!("/jobs/{job_id}"), Some("bob"), None);
    assert_error(&api.handle(bob, now()).await, 404, "Job.NotFound");
    let response = api.handle(delete(), now()).await;
    assert_eq!(response.status_code, 204);
    assert!(api.jobs.snapshot(&id).await.expect("read").is_none());
    for prefix in ["uploads", "inputs", "text"] {
        assert_eq!(
            api.objects.object(&format!("{prefix}/{job_id}/f1.pdf")),
            None
        );
    }
    assert_eq!(api.objects.object(&format!("text/{job_id}/f1.txt")), None);
    assert_eq!(
        api.poster.posted(),
        [(
            "c1".to_owned(),
            json!({"type": "jobDeleted", "jobId": job_id})
        )]
    );
    assert_error(&api.handle(delete(), now()).await, 404, "Job.NotFound");
}
