//! The template's `Schedule` function events, run on demand: nothing fires them by the clock
//! (a test cannot wait 15 minutes), but `POST /_local/functions/{name}/schedule` invokes the
//! function now with exactly what EventBridge would send it — the "Scheduled Event" JSON, or
//! the event's `Input` when it declares one.

use serde_json::{json, Value as Json};
use time::macros::format_description;
use time::OffsetDateTime;

use crate::layout::ACCOUNT_ID;

/// One `Schedule` event of a function.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// The event's name in the template (`Sweep`).
    pub event: String,
    /// The function's binary (local function name).
    pub function: String,
    /// The function's logical id (`ReaperFunction`).
    pub logical_id: String,
    /// `rate(15 minutes)`, `cron(...)`.
    pub expression: String,
    /// The event's `Input` (a JSON text), sent instead of the Scheduled Event.
    pub input: Option<String>,
}

impl Schedule {
    /// Reads an `Events` entry of `Type: Schedule` (properties already resolved).
    pub fn from_event(
        event: &str,
        function: &str,
        logical_id: &str,
        declared: &Json,
    ) -> Option<Self> {
        if declared.get("Type").and_then(Json::as_str) != Some("Schedule") {
            return None;
        }
        let properties = declared.get("Properties")?;
        Some(Self {
            event: event.to_owned(),
            function: function.to_owned(),
            logical_id: logical_id.to_owned(),
            expression: properties
                .get("Schedule")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_owned(),
            input: properties
                .get("Input")
                .and_then(Json::as_str)
                .map(str::to_owned),
        })
    }

    /// The rule SAM creates for the event (its name is the logical id and the event's name).
    pub fn rule_arn(&self, region: &str) -> String {
        format!(
            "arn:aws:events:{region}:{ACCOUNT_ID}:rule/{}{}",
            self.logical_id, self.event
        )
    }

    /// What the function is sent: the event's `Input`, else EventBridge's Scheduled Event.
    pub fn payload(&self, region: &str, now: OffsetDateTime) -> Result<Json, String> {
        if let Some(input) = &self.input {
            return serde_json::from_str(input)
                .map_err(|error| format!("the {} event's Input is not JSON: {error}", self.event));
        }
        let time = now
            .format(format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
            ))
            .unwrap_or_default();
        Ok(json!({
            "version": "0",
            "id": uuid::Uuid::new_v4().to_string(),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT_ID,
            "time": time,
            "region": region,
            "resources": [self.rule_arn(region)],
            "detail": {}
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::eventbridge::EventBridgeEvent;

    fn sweep() -> Json {
        json!({
            "Type": "Schedule",
            "Properties": {"Schedule": "rate(15 minutes)", "Description": "The reaper's sweep"}
        })
    }

    #[test]
    fn a_schedule_sends_eventbridges_scheduled_event() {
        let schedule =
            Schedule::from_event("Sweep", "reaper", "ReaperFunction", &sweep()).expect("schedule");
        assert_eq!(schedule.expression, "rate(15 minutes)");
        let now = OffsetDateTime::from_unix_timestamp(1_795_000_000).expect("time");
        let payload = schedule.payload("us-east-1", now).expect("payload");
        let parsed: EventBridgeEvent = serde_json::from_value(payload.clone()).expect("shape");
        assert_eq!(parsed.detail_type, "Scheduled Event");
        assert_eq!(parsed.source, "aws.events");
        assert_eq!(payload["time"], "2026-11-18T11:06:40Z");
        assert_eq!(
            payload["resources"],
            json!([format!(
                "arn:aws:events:us-east-1:{ACCOUNT_ID}:rule/ReaperFunctionSweep"
            )])
        );
        assert_eq!(payload["detail"], json!({}));
    }

    #[test]
    fn an_input_replaces_the_event_and_other_events_are_not_schedules() {
        let declared = json!({
            "Type": "Schedule",
            "Properties": {"Schedule": "rate(1 hour)", "Input": "{\"kind\":\"hourly\"}"}
        });
        let schedule =
            Schedule::from_event("Hourly", "f", "FFunction", &declared).expect("schedule");
        let now = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(
            schedule.payload("us-east-1", now).expect("payload"),
            json!({"kind": "hourly"})
        );
        assert!(Schedule::from_event("Q", "f", "F", &json!({"Type": "SQS"})).is_none());
    }
}
