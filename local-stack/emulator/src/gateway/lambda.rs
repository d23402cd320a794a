//! Lambda's Invoke API in front of the cargo-lambda emulator, with the fixes Step Functions needs:
//! function names arrive as (URL-encoded) ARNs, a function error is a 200 carrying
//! `X-Amz-Function-Error: Unhandled` (the emulator answers 500, which Step Functions would report
//! as `Lambda.500` so no Retry or Catch on the function's error name would match), every answer has
//! an `x-amzn-RequestId`, and an unknown function is `ResourceNotFoundException`.
//!
//! Injected failures ([`Functions::fail_next`]) live in [`Functions::invoke`], which every path
//! goes through (Invoke API, SQS mapping, EventBridge rules, the API emulations).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::json;

use tokio::sync::Semaphore;

use super::GatewayState;
use crate::error::LocalError;

/// The functions the emulator serves, by every name a caller may use.
pub struct Functions {
    emulator_url: String,
    http: reqwest::Client,
    /// Local function name or logical id → binary name.
    binaries: HashMap<String, String>,
    /// Armed failures by binary name.
    failures: Mutex<HashMap<String, FailNext>>,
    /// One permit per running instance, by binary name: an invocation waits here for a free
    /// instance (as a burst waits for Lambda's concurrency) instead of piling up in the
    /// function emulator, which stopped answering every function once a burst left a few
    /// hundred invocations pending in it.
    instances: HashMap<String, Arc<Semaphore>>,
}

/// `POST /_local/functions/{name}/fail-next`: the next `count` invocations of the function
/// return this function error without running it — or, with `statusCode`, are refused by the
/// Lambda service itself: the Invoke API answers that status with `errorType` as its error
/// type (`{"statusCode": 429, "errorType": "TooManyRequestsException"}` is a throttle, which
/// Step Functions names `Lambda.TooManyRequestsException`). With `afterRun` the function does
/// run and its answer is replaced by the error: a worker that crashed after its work and
/// before answering, whose SQS message therefore comes back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FailNext {
    pub count: u32,
    pub error_type: String,
    #[serde(default = "injected_message")]
    pub error_message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub after_run: bool,
}

/// What an armed failure makes of one invocation.
enum Injected {
    /// The runtime's error document, as if the function had failed.
    FunctionError(Bytes),
    /// The service's refusal: the function never runs.
    Refused(LocalError),
    /// The function runs; this error document replaces its answer.
    AfterRun(Bytes),
}

impl FailNext {
    /// A refusal is an HTTP error status the function never sees, so it cannot also run.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(status) = self.status_code {
            if !(400..=599).contains(&status) {
                return Err(format!("statusCode must be 400 to 599, not {status}"));
            }
            if self.after_run {
                return Err("statusCode (the call is refused) and afterRun (the function runs) exclude each other".to_owned());
            }
        }
        Ok(())
    }
}

fn injected_message() -> String {
    "failure injected by the local stack".to_owned()
}

/// What one invocation returned.
#[derive(Debug)]
pub struct Invocation {
    /// The function's result, or its error document when `function_error` is set.
    pub payload: Bytes,
    pub function_error: bool,
}

impl Functions {
    /// `names` pairs every accepted name (function name, logical id) with its binary.
    pub fn new(
        emulator_url: String,
        http: reqwest::Client,
        names: HashMap<String, String>,
    ) -> Self {
        Self {
            emulator_url,
            http,
            binaries: names,
            failures: Mutex::new(HashMap::new()),
            instances: HashMap::new(),
        }
    }

    /// How many instances of each binary run: at most that many invocations of it are sent
    /// to the function emulator at once.
    pub fn with_instances(mut self, counts: HashMap<String, usize>) -> Self {
        self.instances = counts
            .into_iter()
            .map(|(binary, count)| (binary, Arc::new(Semaphore::new(count.max(1)))))
            .collect();
        self
    }

    fn failures(&self) -> MutexGuard<'_, HashMap<String, FailNext>> {
        self.failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Arms `failure` for `binary` (replacing what was armed); a count of 0 disarms.
    pub fn fail_next(&self, binary: &str, failure: FailNext) {
        tracing::info!(function = %binary, count = failure.count, error_type = %failure.error_type, "failures armed");
        let mut failures = self.failures();
        if failure.count == 0 {
            failures.remove(binary);
        } else {
            failures.insert(binary.to_owned(), failure);
        }
    }

    /// Disarms `binary`'s failures; how many were left.
    pub fn clear_failures(&self, binary: &str) -> u32 {
        self.failures()
            .remove(binary)
            .map_or(0, |failure| failure.count)
    }

    /// The armed failure of `binary`, if any.
    pub fn pending_failure(&self, binary: &str) -> Option<FailNext> {
        self.failures().get(binary).cloned()
    }

    /// Uses up one armed failure.
    fn take_failure(&self, binary: &str) -> Option<Injected> {
        let mut failures = self.failures();
        let failure = failures.get_mut(binary)?;
        failure.count = failure.count.saturating_sub(1);
        let injected = match failure.status_code {
            Some(status) => Injected::Refused(LocalError::Refused {
                status,
                error_type: failure.error_type.clone(),
                message: failure.error_message.clone(),
            }),
            None => {
                let document = Bytes::from(
                    json!({
                        "errorType": failure.error_type,
                        "errorMessage": failure.error_message,
                    })
                    .to_string(),
                );
                if failure.after_run {
                    Injected::AfterRun(document)
                } else {
                    Injected::FunctionError(document)
                }
            }
        };
        let remaining = failure.count;
        if remaining == 0 {
            failures.remove(binary);
        }
        tracing::info!(function = %binary, remaining, "injected failure returned");
        Some(injected)
    }

    /// The binary for a FunctionName as Lambda accepts it: a name, `name:qualifier`, a full ARN
    /// (`arn:aws:lambda:region:account:function:name[:qualifier]`) or a partial one.
    pub fn binary_for(&self, function_name: &str) -> Option<&str> {
        let name = match function_name.split(':').collect::<Vec<_>>().as_slice() {
            ["arn", _, "lambda", _, _, "function", name, ..] => *name,
            [_account, "function", name, ..] => *name,
            [name, ..] => *name,
            [] => function_name,
        };
        self.binaries.get(name).map(String::as_str)
    }

    pub async fn invoke(&self, binary: &str, payload: Bytes) -> Result<Invocation, LocalError> {
        match self.take_failure(binary) {
            Some(Injected::FunctionError(error_document)) => {
                return Ok(Invocation {
                    payload: error_document,
                    function_error: true,
                })
            }
            Some(Injected::Refused(refusal)) => return Err(refusal),
            Some(Injected::AfterRun(error_document)) => {
                let ran = self.run(binary, payload).await;
                tracing::info!(function = %binary, ran = ran.is_ok(), "the function ran; its answer is replaced by the injected failure");
                return Ok(Invocation {
                    payload: error_document,
                    function_error: true,
                });
            }
            None => {}
        }
        self.run(binary, payload).await
    }

    /// One invocation in the function emulator, once an instance of the function is free.
    async fn run(&self, binary: &str, payload: Bytes) -> Result<Invocation, LocalError> {
        let _instance =
            match self.instances.get(binary) {
                Some(instances) => Some(instances.clone().acquire_owned().await.map_err(|_| {
                    LocalError::Http(format!("the instances of {binary} are gone"))
                })?),
                None => None,
            };
        let url = format!(
            "{}/2015-03-31/functions/{binary}/invocations",
            self.emulator_url
        );
        let response = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .body(payload)
            .send()
            .await
            .map_err(|error| LocalError::Http(format!("function emulator: {error}")))?;
        let status = response.status();
        let payload = response
            .bytes()
            .await
            .map_err(|error| LocalError::Http(format!("function emulator: {error}")))?;
        if status.is_success() {
            return Ok(Invocation {
                payload,
                function_error: false,
            });
        }
        if status == StatusCode::INTERNAL_SERVER_ERROR && is_function_error(&payload) {
            return Ok(Invocation {
                payload,
                function_error: true,
            });
        }
        Err(LocalError::Http(format!(
            "function emulator answered {status} for {binary}"
        )))
    }
}

/// The runtime's error document: `{"errorType": …, "errorMessage": …}`.
fn is_function_error(payload: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(payload)
        .ok()
        .is_some_and(|document| document.get("errorType").is_some())
}

pub async fn invoke_handler(
    State(state): State<GatewayState>,
    Path(function_name): Path<String>,
    headers: HeaderMap,
    payload: Bytes,
) -> Response {
    let Some(binary) = state
        .functions
        .binary_for(&function_name)
        .map(str::to_owned)
    else {
        return aws_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            &format!("Function not found: {function_name}"),
        );
    };
    let asynchronous = headers
        .get("x-amz-invocation-type")
        .is_some_and(|kind| kind.as_bytes().eq_ignore_ascii_case(b"Event"));
    if asynchronous {
        let functions = state.functions.clone();
        tokio::spawn(async move {
            match functions.invoke(&binary, payload).await {
                Ok(invocation) if invocation.function_error => {
                    tracing::warn!(function = %binary, "asynchronous invocation failed");
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(function = %binary, %error, "asynchronous invocation not delivered")
                }
            }
        });
        return with_request_id(
            Response::builder().status(StatusCode::ACCEPTED),
            Body::empty(),
        );
    }
    match state.functions.invoke(&binary, payload).await {
        Ok(invocation) => {
            let mut builder = Response::builder()
                .status(StatusCode::OK)
                .header("content-type", "application/json")
                .header("x-amz-executed-version", "$LATEST");
            if invocation.function_error {
                tracing::debug!(function = %binary, "function error");
                builder = builder.header("x-amz-function-error", "Unhandled");
            }
            with_request_id(builder, Body::from(invocation.payload))
        }
        Err(LocalError::Refused {
            status,
            error_type,
            message,
        }) => {
            tracing::info!(function = %binary, status, error_type, "invocation refused (injected)");
            // Validated on arming: 400 to 599.
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::TOO_MANY_REQUESTS);
            aws_error(status, &error_type, &message)
        }
        Err(error) => {
            tracing::warn!(function = %binary, %error, "invocation failed in the emulator");
            aws_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "ServiceException",
                &error.to_string(),
            )
        }
    }
}

fn aws_error(status: StatusCode, kind: &str, message: &str) -> Response {
    let body = json!({"Type": "User", "message": message}).to_string();
    let builder = Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-amzn-errortype", kind);
    with_request_id(builder, Body::from(body))
}

fn with_request_id(builder: axum::http::response::Builder, body: Body) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let builder = match HeaderValue::from_str(&request_id) {
        Ok(value) => builder.header("x-amzn-requestid", value),
        Err(_) => builder,
    };
    builder.body(body).unwrap_or_else(|_| {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        response
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn functions() -> Functions {
        Functions::new(
            "http://127.0.0.1:1".into(),
            reqwest::Client::new(),
            HashMap::from([
                ("extract".to_owned(), "extract".to_owned()),
                ("ExtractFunction".to_owned(), "extract".to_owned()),
            ]),
        )
    }

    #[test]
    fn function_names_resolve_from_arns_names_and_qualifiers() {
        let functions = functions();
        for name in [
            "extract",
            "extract:$LATEST",
            "ExtractFunction",
            "arn:aws:lambda:us-east-1:123456789012:function:extract",
            "arn:aws:lambda:us-east-1:123456789012:function:extract:$LATEST",
            "123456789012:function:extract",
        ] {
            assert_eq!(functions.binary_for(name), Some("extract"), "{name}");
        }
        assert_eq!(
            functions.binary_for("arn:aws:lambda:r:1:function:nope"),
            None
        );
    }

    #[tokio::test]
    async fn armed_failures_answer_the_next_invocations_without_the_emulator() {
        // The emulator URL leads nowhere: only an injected failure can answer.
        let functions = functions();
        functions.fail_next(
            "extract",
            FailNext {
                count: 2,
                error_type: "Storage.Unavailable".into(),
                error_message: "injected".into(),
                status_code: None,
                after_run: false,
            },
        );
        for remaining in [1, 0] {
            let invocation = functions
                .invoke("extract", Bytes::from_static(b"{}"))
                .await
                .expect("an injected failure is an invocation");
            assert!(invocation.function_error);
            let document: serde_json::Value =
                serde_json::from_slice(&invocation.payload).expect("JSON");
            assert_eq!(
                document,
                json!({"errorType": "Storage.Unavailable", "errorMessage": "injected"})
            );
            assert_eq!(
                functions.pending_failure("extract").map(|f| f.count),
                (remaining > 0).then_some(remaining)
            );
        }
        assert!(
            functions
                .invoke("extract", Bytes::from_static(b"{}"))
                .await
                .is_err(),
            "after the armed failures the emulator is called again"
        );
        functions.fail_next(
            "extract",
            FailNext {
                count: 5,
                error_type: "Extract.Corrupt".into(),
                error_message: injected_message(),
                status_code: None,
                after_run: false,
            },
        );
        assert_eq!(functions.clear_failures("extract"), 5);
        assert_eq!(functions.pending_failure("extract"), None);
    }

    #[tokio::test]
    async fn an_armed_refusal_is_a_service_error_and_the_function_does_not_run() {
        let functions = functions();
        functions.fail_next(
            "extract",
            FailNext {
                count: 1,
                error_type: "TooManyRequestsException".into(),
                error_message: "Rate Exceeded.".into(),
                status_code: Some(429),
                after_run: false,
            },
        );
        match functions.invoke("extract", Bytes::from_static(b"{}")).await {
            Err(LocalError::Refused {
                status, error_type, ..
            }) => assert_eq!(
                (status, error_type.as_str()),
                (429, "TooManyRequestsException")
            ),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(functions.pending_failure("extract"), None);
    }

    #[test]
    fn a_refusal_needs_an_error_status_and_does_not_run() {
        let refusal = |status_code, after_run| FailNext {
            count: 1,
            error_type: "TooManyRequestsException".into(),
            error_message: injected_message(),
            status_code,
            after_run,
        };
        assert!(refusal(Some(429), false).validate().is_ok());
        assert!(refusal(None, true).validate().is_ok());
        assert!(refusal(Some(99), false).validate().is_err());
        assert!(refusal(Some(200), false).validate().is_err());
        assert!(refusal(Some(429), true).validate().is_err());
    }

    #[test]
    fn only_runtime_error_documents_count_as_function_errors() {
        assert!(is_function_error(
            br#"{"errorType":"Extract.NotPdf","errorMessage":"not a PDF"}"#
        ));
        assert!(!is_function_error(b"Internal Server Error"));
    }
}
