//! The control API under `/_local/`: faults as configuration, at runtime. The same shapes load
//! from a file at start ([`Faults`], `narratix-local up --faults FILE`).
//!
//! - `GET /_local/ai` → the mock AI's [`AiStatus`]; `PUT /_local/ai` sets its [`AiFaults`].
//! - `POST /_local/ai/script` sets the answers of the next calls ([`AiScript`]); `DELETE` clears.
//! - `POST /_local/functions/{name}/fail-next` arms [`FailNext`]; `GET` shows it; `DELETE` clears.
//! - `POST /_local/functions/{name}/schedule[?event=EVENT]` runs the function's `Schedule` event
//!   now (EventBridge's Scheduled Event, or the event's `Input`) and answers
//!   `{"function", "event", "rule", "functionError", "output"}` with the function's result.

use std::collections::BTreeMap;
use std::path::Path;

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::lambda::{FailNext, Functions};
use super::GatewayState;
use crate::error::LocalError;
use crate::mock_ai::{AiFaults, AiScript, MockAi};

/// A faults file: every part optional, the same shapes as the control API.
///
/// `{"ai": {...PUT /_local/ai}, "aiScript": {...POST /_local/ai/script},
///   "failNext": {"FUNCTION": {...POST /_local/functions/FUNCTION/fail-next}}}`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Faults {
    #[serde(default)]
    pub ai: Option<AiFaults>,
    #[serde(default)]
    pub ai_script: Option<AiScript>,
    #[serde(default)]
    pub fail_next: BTreeMap<String, FailNext>,
}

impl Faults {
    pub fn load(path: &Path) -> Result<Self, LocalError> {
        let text = std::fs::read_to_string(path).map_err(|source| LocalError::Io {
            context: format!("reading the faults file {}", path.display()),
            source,
        })?;
        let faults: Faults = serde_json::from_str(&text).map_err(|error| {
            LocalError::Config(format!("faults file {}: {error}", path.display()))
        })?;
        faults.validate().map_err(|problem| {
            LocalError::Config(format!("faults file {}: {problem}", path.display()))
        })?;
        Ok(faults)
    }

    pub fn validate(&self) -> Result<(), String> {
        if let Some(ai) = &self.ai {
            ai.validate()?;
        }
        if let Some(script) = &self.ai_script {
            script.validate()?;
        }
        for (function, failure) in &self.fail_next {
            failure
                .validate()
                .map_err(|problem| format!("failNext.{function}: {problem}"))?;
        }
        Ok(())
    }

    /// Applies every part; a function the stack does not run is an error.
    pub fn apply(&self, ai: &MockAi, functions: &Functions) -> Result<(), LocalError> {
        if let Some(faults) = &self.ai {
            ai.set_faults(faults.clone()).map_err(LocalError::Config)?;
        }
        if let Some(script) = &self.ai_script {
            ai.set_script(script.clone()).map_err(LocalError::Config)?;
        }
        for (name, failure) in &self.fail_next {
            let binary = functions.binary_for(name).ok_or_else(|| {
                LocalError::Config(format!("faults file: no function named {name}"))
            })?;
            functions.fail_next(binary, failure.clone());
        }
        Ok(())
    }
}

pub fn router() -> Router<GatewayState> {
    Router::new()
        .route("/_local/ai", get(ai_status).put(set_ai_faults))
        .route(
            "/_local/ai/script",
            post(set_ai_script).delete(clear_ai_script),
        )
        .route(
            "/_local/functions/{name}/fail-next",
            get(pending_failure).post(fail_next).delete(clear_failures),
        )
        .route("/_local/functions/{name}/schedule", post(run_schedule))
}

/// Runs a `Schedule` event of the function now, as EventBridge would at its next tick.
async fn run_schedule(
    State(state): State<GatewayState>,
    UrlPath(name): UrlPath<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let event: Option<String> = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(key, _)| key == "event")
        .map(|(_, value)| value.into_owned());
    let Some(binary) = state.functions.binary_for(&name).map(str::to_owned) else {
        return unknown_function(&name);
    };
    let schedules: Vec<_> = state
        .schedules
        .iter()
        .filter(|schedule| schedule.function == binary)
        .filter(|schedule| event.as_ref().is_none_or(|name| &schedule.event == name))
        .collect();
    let schedule = match schedules.as_slice() {
        [schedule] => *schedule,
        [] => {
            return (
                StatusCode::NOT_FOUND,
                Json(json!({"message": match &event {
                    Some(event) => format!("{binary} has no Schedule event named {event}"),
                    None => format!("{binary} has no Schedule event"),
                }})),
            )
                .into_response()
        }
        _ => {
            return bad_request(&format!(
                "{binary} has several Schedule events: name one with ?event="
            ))
        }
    };
    let payload = match schedule.payload(&state.region, time::OffsetDateTime::now_utc()) {
        Ok(payload) => payload,
        Err(problem) => return bad_request(&problem),
    };
    tracing::info!(function = %binary, event = %schedule.event, "running a schedule now");
    match state
        .functions
        .invoke(&binary, Bytes::from(payload.to_string()))
        .await
    {
        Ok(invocation) => Json(json!({
            "function": binary,
            "event": schedule.event,
            "rule": schedule.rule_arn(&state.region),
            "functionError": invocation.function_error,
            "output": serde_json::from_slice::<serde_json::Value>(&invocation.payload)
                .unwrap_or(serde_json::Value::Null),
        }))
        .into_response(),
        Err(error) => (
            StatusCode::BAD_GATEWAY,
            Json(json!({"message": error.to_string()})),
        )
            .into_response(),
    }
}

async fn ai_status(State(state): State<GatewayState>) -> Response {
    Json(state.ai.status()).into_response()
}

async fn set_ai_faults(State(state): State<GatewayState>, body: Bytes) -> Response {
    let faults: AiFaults = match parse(&body) {
        Ok(faults) => faults,
        Err(problem) => return bad_request(&problem),
    };
    match state.ai.set_faults(faults) {
        Ok(()) => Json(state.ai.status()).into_response(),
        Err(problem) => bad_request(&problem),
    }
}

async fn set_ai_script(State(state): State<GatewayState>, body: Bytes) -> Response {
    let script: AiScript = match parse(&body) {
        Ok(script) => script,
        Err(problem) => return bad_request(&problem),
    };
    match state.ai.set_script(script) {
        Ok(()) => Json(state.ai.status()).into_response(),
        Err(problem) => bad_request(&problem),
    }
}

async fn clear_ai_script(State(state): State<GatewayState>) -> Response {
    state.ai.clear_script();
    Json(state.ai.status()).into_response()
}

async fn fail_next(
    State(state): State<GatewayState>,
    UrlPath(name): UrlPath<String>,
    body: Bytes,
) -> Response {
    let failure: FailNext = match parse(&body).and_then(|failure: FailNext| {
        failure.validate()?;
        Ok(failure)
    }) {
        Ok(failure) => failure,
        Err(problem) => return bad_request(&problem),
    };
    let Some(binary) = state.functions.binary_for(&name).map(str::to_owned) else {
        return unknown_function(&name);
    };
    state.functions.fail_next(&binary, failure);
    armed(&state.functions, &binary)
}

async fn pending_failure(
    State(state): State<GatewayState>,
    UrlPath(name): UrlPath<String>,
) -> Response {
    match state.functions.binary_for(&name) {
        Some(binary) => armed(&state.functions, binary),
        None => unknown_function(&name),
    }
}

async fn clear_failures(
    State(state): State<GatewayState>,
    UrlPath(name): UrlPath<String>,
) -> Response {
    let Some(binary) = state.functions.binary_for(&name).map(str::to_owned) else {
        return unknown_function(&name);
    };
    let cleared = state.functions.clear_failures(&binary);
    Json(json!({"function": binary, "cleared": cleared})).into_response()
}

/// What is armed for `binary`: `{"function", "count", "errorType", "errorMessage"}` (count 0
/// when nothing is).
fn armed(functions: &Functions, binary: &str) -> Response {
    let pending = functions.pending_failure(binary);
    Json(json!({
        "function": binary,
        "count": pending.as_ref().map_or(0, |failure| failure.count),
        "errorType": pending.as_ref().map(|failure| failure.error_type.clone()),
        "errorMessage": pending.map(|failure| failure.error_message),
    }))
    .into_response()
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|error| error.to_string())
}

fn bad_request(problem: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"message": problem}))).into_response()
}

fn unknown_function(name: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"message": format!("no function named {name}")})),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_faults_file_reads_every_part_and_rejects_unknown_fields() {
        let faults: Faults = serde_json::from_str(
            r#"{
                "ai": {"latencyMs": 250, "requestsPerMinute": 30, "errorRate": 0.1, "garbageRate": 0.05},
                "aiScript": {"responses": [{"status": 429, "retryAfterSeconds": 1}, {"status": 401}]},
                "failNext": {"extract": {"count": 2, "errorType": "Storage.Unavailable"}}
            }"#,
        )
        .expect("a faults file");
        faults.validate().expect("valid");
        assert_eq!(faults.ai.as_ref().map(|ai| ai.latency_ms), Some(250));
        assert_eq!(
            faults
                .ai_script
                .as_ref()
                .map(|script| script.responses.len()),
            Some(2)
        );
        assert_eq!(faults.fail_next["extract"].count, 2);
        assert_eq!(
            faults.fail_next["extract"].error_message,
            "failure injected by the local stack"
        );
        assert!(serde_json::from_str::<Faults>(r#"{"ai": {"latency": 5}}"#).is_err());
        let out_of_range: Faults =
            serde_json::from_str(r#"{"ai": {"errorRate": 1.5}}"#).expect("parses");
        assert!(out_of_range.validate().is_err());
        let bad_status: Faults =
            serde_json::from_str(r#"{"aiScript": {"responses": [{"status": 302}]}}"#)
                .expect("parses");
        assert!(bad_status.validate().is_err());
    }
}
