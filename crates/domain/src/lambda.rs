//! What every Lambda adapter shares: errors reach Step Functions under their wire names
//! (never a Rust type name), a panic becomes `Internal.Panic`, and logs are JSON.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde::{de::DeserializeOwned, Serialize};

use crate::{ErrorKind, WireError};

impl From<WireError> for Diagnostic {
    fn from(error: WireError) -> Diagnostic {
        Diagnostic {
            error_type: error.kind.name().to_owned(),
            error_message: error.cause,
        }
    }
}

/// Runs `handler` and turns a panic inside it into `Internal.Panic`. The panic message is
/// not forwarded (it may hold input text); the panic hook still logs where it happened.
pub async fn catch_panics<F, T>(handler: F) -> Result<T, WireError>
where
    F: Future<Output = Result<T, WireError>>,
{
    match AssertUnwindSafe(handler).catch_unwind().await {
        Ok(result) => result,
        Err(_) => {
            Err(ErrorKind::InternalPanic.with_cause("the handler panicked; see the function log"))
        }
    }
}

/// Decodes an event payload, naming a malformed one `Input.Invalid`.
pub fn decode<E: DeserializeOwned>(payload: serde_json::Value) -> Result<E, WireError> {
    serde_json::from_value(payload)
        .map_err(|err| ErrorKind::InputInvalid.with_cause(format!("unreadable event: {err}")))
}

/// JSON logs for CloudWatch; level from `RUST_LOG` (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A second call (tests) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .try_init();
}

/// Serves `handler` on the Lambda runtime API: raw JSON in, typed event decoded with
/// [`decode`], every failure (including a panic) reported under its wire name. Starts the
/// JSON logs first if the main has not.
pub async fn serve<E, O, F, Fut>(handler: F) -> Result<(), lambda_runtime::Error>
where
    E: DeserializeOwned + Send,
    O: Serialize + Send,
    F: Fn(E) -> Fut + Send + Sync,
    Fut: Future<Output = Result<O, WireError>> + Send,
{
    init_tracing();
    let handler = &handler;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            catch_panics(async move { handler(decode(event.payload)?).await }).await
        },
    ))
    .await
}

/// [`serve`] for a handler that also needs the invocation's deadline.
pub async fn serve_with_deadline<E, O, F, Fut>(handler: F) -> Result<(), lambda_runtime::Error>
where
    E: DeserializeOwned + Send,
    O: Serialize + Send,
    F: Fn(E, std::time::SystemTime) -> Fut + Send + Sync,
    Fut: Future<Output = Result<O, WireError>> + Send,
{
    init_tracing();
    let handler = &handler;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let deadline = event.context.deadline();
            catch_panics(async move { handler(decode(event.payload)?, deadline).await }).await
        },
    ))
    .await
}

/// What the WebSocket functions share: the verified owner API Gateway hands every route of a
/// connection, and the route responses.
pub mod websocket {
    use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
    use aws_lambda_events::encodings::Body;

    use crate::{ErrorKind, WireError};

    /// The subject the `$connect` authorizer verified (its context `sub`, else the principal).
    pub fn owner_of(request: &ApiGatewayWebsocketProxyRequest) -> Option<String> {
        let fields = &request.request_context.authorizer.fields;
        fields
            .get("sub")
            .or_else(|| fields.get("principalId"))
            .and_then(|value| value.as_str())
            .filter(|owner| !owner.is_empty())
            .map(str::to_owned)
    }

    /// The `exp` (epoch seconds) of the token the connection was opened with, as the
    /// `$connect` authorizer put it in its context (a number; API Gateway may hand context
    /// values over as strings, which are read too).
    pub fn token_expiry_of(request: &ApiGatewayWebsocketProxyRequest) -> Option<i64> {
        match request.request_context.authorizer.fields.get("exp")? {
            serde_json::Value::Number(number) => number.as_i64(),
            serde_json::Value::String(text) => text.trim().parse().ok(),
            _ => None,
        }
    }

    /// The connection the event is about; `route` names it in the error.
    pub fn connection_id(
        request: &ApiGatewayWebsocketProxyRequest,
        route: &str,
    ) -> Result<String, WireError> {
        request
            .request_context
            .connection_id
            .clone()
            .ok_or_else(|| {
                ErrorKind::InputInvalid.with_cause(format!("{route} without a connectionId"))
            })
    }

    /// A route's answer to API Gateway.
    pub fn response(status: i64, body: &str) -> ApiGatewayProxyResponse {
        let mut response = ApiGatewayProxyResponse::default();
        response.status_code = status;
        response.body = Some(Body::Text(body.to_owned()));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_error_reaches_the_runtime_under_its_wire_name() {
        for kind in ErrorKind::ALL {
            let diagnostic: Diagnostic = kind.with_cause("why").into();
            assert_eq!(diagnostic.error_type, kind.name());
            assert_eq!(diagnostic.error_message, "why");
        }
    }

    #[tokio::test]
    async fn a_panic_becomes_internal_panic() {
        let result: Result<(), WireError> = catch_panics(async {
            let empty: Vec<u8> = Vec::new();
            let _ = empty[usize::from(empty.is_empty())];
            Ok(())
        })
        .await;
        let error = result.expect_err("panic caught");
        assert_eq!(error.kind, ErrorKind::InternalPanic);
        let diagnostic: Diagnostic = error.into();
        assert_eq!(diagnostic.error_type, "Internal.Panic");
    }

    #[test]
    fn malformed_event_is_input_invalid() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Event {
            key: String,
        }
        let error = decode::<Event>(serde_json::json!({"nope": 1})).expect_err("invalid");
        assert_eq!(error.kind, ErrorKind::InputInvalid);
    }
}
