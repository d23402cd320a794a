//! Lambda's Invoke API in front of the cargo-lambda emulator, with the fixes Step Functions needs:
//! function names arrive as (URL-encoded) ARNs, a function error is a 200 carrying
//! `X-Amz-Function-Error: Unhandled` (the emulator answers 500, which Step Functions would report
//! as `Lambda.500` so no Retry or Catch on the function's error name would match), every answer has
//! an `x-amzn-RequestId`, and an unknown function is `ResourceNotFoundException`.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::GatewayState;
use crate::error::LocalError;

/// The functions the emulator serves, by every name a caller may use.
pub struct Functions {
    emulator_url: String,
    http: reqwest::Client,
    /// Local function name or logical id → binary name.
    binaries: HashMap<String, String>,
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
        }
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

    #[test]
    fn only_runtime_error_documents_count_as_function_errors() {
        assert!(is_function_error(
            br#"{"errorType":"Extract.NotPdf","errorMessage":"not a PDF"}"#
        ));
        assert!(!is_function_error(b"Internal Server Error"));
    }
}
