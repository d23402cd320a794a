//! EventBridge's "Step Functions Execution Status Change" events for the template's
//! `EventBridgeRule` function events: executions are watched as they end, each end becomes one
//! event, and every rule whose pattern matches sends it to its function (with the rule's retries).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sfn::primitives::DateTimeFormat;
use aws_sdk_sfn::types::ExecutionStatus;
use serde_json::{json, Value as Json};

use crate::gateway::lambda::Functions;
use crate::layout::ACCOUNT_ID;
use crate::provision::aws_message;

const POLL_INTERVAL: Duration = Duration::from_millis(500);
const RETRY_DELAY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub function: String,
    pub pattern: Json,
    pub maximum_retry_attempts: u32,
}

impl Rule {
    /// Reads an `Events` entry of `Type: EventBridgeRule` (properties already resolved).
    pub fn from_event(name: &str, function: &str, event: &Json) -> Option<Self> {
        if event.get("Type").and_then(Json::as_str) != Some("EventBridgeRule") {
            return None;
        }
        let properties = event.get("Properties")?;
        Some(Self {
            name: name.to_owned(),
            function: function.to_owned(),
            pattern: properties.get("Pattern")?.clone(),
            maximum_retry_attempts: properties
                .pointer("/RetryPolicy/MaximumRetryAttempts")
                .and_then(Json::as_u64)
                .and_then(|attempts| u32::try_from(attempts).ok())
                .unwrap_or(185),
        })
    }
}

/// EventBridge pattern matching for the forms templates use here: every pattern key must be in
/// the event; a list matches when the event's value (or one of its values) is in it; an object
/// matches recursively.
pub fn matches(pattern: &Json, event: &Json) -> bool {
    match pattern {
        Json::Object(fields) => fields.iter().all(|(key, expected)| {
            event
                .get(key)
                .is_some_and(|actual| matches_field(expected, actual))
        }),
        _ => false,
    }
}

fn matches_field(expected: &Json, actual: &Json) -> bool {
    match (expected, actual) {
        (Json::Object(_), _) => matches(expected, actual),
        (Json::Array(allowed), Json::Array(values)) => {
            values.iter().any(|value| allowed.contains(value))
        }
        (Json::Array(allowed), value) => allowed.contains(value),
        (single, value) => single == value,
    }
}

/// Watches the state machines' executions until aborted.
pub async fn run(
    rules: Vec<Rule>,
    state_machine_arns: Vec<String>,
    sfn: aws_sdk_sfn::Client,
    functions: Arc<Functions>,
    region: String,
) {
    let mut reported: HashSet<String> = HashSet::new();
    loop {
        tokio::time::sleep(POLL_INTERVAL).await;
        for state_machine_arn in &state_machine_arns {
            let mut pages = sfn
                .list_executions()
                .state_machine_arn(state_machine_arn)
                .into_paginator()
                .items()
                .send();
            while let Some(item) = pages.next().await {
                let execution = match item {
                    Ok(execution) => execution,
                    Err(error) => {
                        tracing::warn!(error = %aws_message(&error), "listing executions failed");
                        break;
                    }
                };
                if execution.status == ExecutionStatus::Running
                    || !reported.insert(execution.execution_arn.clone())
                {
                    continue;
                }
                let event = match status_change_event(&sfn, &execution.execution_arn, &region).await
                {
                    Ok(event) => event,
                    Err(error) => {
                        tracing::warn!(execution = %execution.name, %error, "cannot describe the execution");
                        reported.remove(&execution.execution_arn);
                        continue;
                    }
                };
                for rule in rules.iter().filter(|rule| matches(&rule.pattern, &event)) {
                    tracing::info!(rule = %rule.name, job_id = %execution.name, status = %execution.status.as_str(), "execution ended; sending the event");
                    tokio::spawn(send(rule.clone(), event.clone(), functions.clone()));
                }
            }
        }
    }
}

async fn send(rule: Rule, event: Json, functions: Arc<Functions>) {
    let payload = event.to_string();
    for attempt in 0..=rule.maximum_retry_attempts {
        match functions
            .invoke(&rule.function, payload.clone().into())
            .await
        {
            Ok(invocation) if !invocation.function_error => return,
            Ok(_) => tracing::warn!(rule = %rule.name, attempt, "target function failed"),
            Err(error) => tracing::warn!(rule = %rule.name, attempt, %error, "target not reached"),
        }
        tokio::time::sleep(RETRY_DELAY).await;
    }
    tracing::error!(rule = %rule.name, "event dropped after the rule's retries");
}

async fn status_change_event(
    sfn: &aws_sdk_sfn::Client,
    execution_arn: &str,
    region: &str,
) -> Result<Json, String> {
    let execution = sfn
        .describe_execution()
        .execution_arn(execution_arn)
        .send()
        .await
        .map_err(|error| aws_message(&error))?;
    let epoch_millis = |time: Option<&aws_sdk_sfn::primitives::DateTime>| {
        time.and_then(|time| time.to_millis().ok())
            .map(Json::from)
            .unwrap_or(Json::Null)
    };
    let time = execution
        .stop_date()
        .and_then(|time| time.fmt(DateTimeFormat::DateTime).ok());
    Ok(json!({
        "version": "0",
        "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": ACCOUNT_ID,
        "time": time,
        "region": region,
        "resources": [execution_arn],
        "detail": {
            "executionArn": execution_arn,
            "stateMachineArn": execution.state_machine_arn(),
            "name": execution.name(),
            "status": execution.status().as_str(),
            "startDate": epoch_millis(Some(execution.start_date())),
            "stopDate": epoch_millis(execution.stop_date()),
            "input": execution.input(),
            "output": execution.output(),
            "error": execution.error(),
            "cause": execution.cause(),
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::eventbridge::EventBridgeEvent;

    fn reaper_pattern() -> Json {
        json!({
            "source": ["aws.states"],
            "detail-type": ["Step Functions Execution Status Change"],
            "detail": {
                "status": ["FAILED", "TIMED_OUT", "ABORTED"],
                "stateMachineArn": ["arn:sm"]
            }
        })
    }

    fn event(status: &str) -> Json {
        json!({
            "version": "0",
            "id": "e1",
            "detail-type": "Step Functions Execution Status Change",
            "source": "aws.states",
            "account": ACCOUNT_ID,
            "time": "2026-11-25T12:00:00Z",
            "region": "us-east-1",
            "resources": ["arn:exec"],
            "detail": {"executionArn": "arn:exec", "stateMachineArn": "arn:sm", "name": "job", "status": status}
        })
    }

    #[test]
    fn the_reaper_pattern_takes_failed_timed_out_and_aborted_only() {
        for status in ["FAILED", "TIMED_OUT", "ABORTED"] {
            assert!(matches(&reaper_pattern(), &event(status)), "{status}");
        }
        assert!(!matches(&reaper_pattern(), &event("SUCCEEDED")));
        let mut other_machine = event("FAILED");
        other_machine["detail"]["stateMachineArn"] = json!("arn:other");
        assert!(!matches(&reaper_pattern(), &other_machine));
    }

    #[test]
    fn events_have_eventbridges_shape() {
        let parsed: EventBridgeEvent =
            serde_json::from_value(event("ABORTED")).expect("EventBridge shape");
        assert_eq!(parsed.detail_type, "Step Functions Execution Status Change");
        assert_eq!(parsed.detail["status"], "ABORTED");
    }

    #[test]
    fn rules_read_pattern_and_retries() {
        let declared = json!({
            "Type": "EventBridgeRule",
            "Properties": {"Pattern": reaper_pattern(), "RetryPolicy": {"MaximumRetryAttempts": 10}}
        });
        let rule = Rule::from_event("ExecutionEnded", "reaper", &declared).expect("rule");
        assert_eq!(rule.maximum_retry_attempts, 10);
        assert!(Rule::from_event("Queue", "x", &json!({"Type": "SQS"})).is_none());
    }
}
