//! A state-by-state summary of an execution's history (`GetExecutionHistory`): how often each
//! state was entered, how many task attempts it took (retries) and which errors it met. Events
//! of parallel Map iterations interleave; each event is attributed to its state by following
//! `previousEventId` back to the `…StateEntered` event of its own thread.

use std::collections::HashMap;
use std::fmt;

use aws_sdk_sfn::types::{HistoryEvent, HistoryEventType};

#[derive(Debug, thiserror::Error)]
#[error("execution history of {execution_arn}: {reason}")]
pub struct HistoryError {
    pub execution_arn: String,
    pub reason: String,
}

/// One state's activity over the whole execution (all Map iterations together).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateActivity {
    pub name: String,
    /// `…StateEntered` events.
    pub entered: u32,
    /// Task attempts (`TaskScheduled`): more than `entered` means retries.
    pub attempts: u32,
    /// Failed attempts by error name, in the order first seen.
    pub failures: Vec<(String, u32)>,
    /// `…StateExited` events.
    pub exited: u32,
}

impl StateActivity {
    pub fn retries(&self) -> u32 {
        self.attempts.saturating_sub(self.entered)
    }

    pub fn failures_named(&self, error: &str) -> u32 {
        self.failures
            .iter()
            .find(|(name, _)| name == error)
            .map_or(0, |(_, count)| *count)
    }

    fn add_failure(&mut self, error: &str) {
        match self.failures.iter_mut().find(|(name, _)| name == error) {
            Some((_, count)) => *count += 1,
            None => self.failures.push((error.to_owned(), 1)),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct HistorySummary {
    pub events: usize,
    /// In the order each state was first entered.
    pub states: Vec<StateActivity>,
    pub map_iterations: u32,
    /// The execution's own end: `ExecutionSucceeded`, `ExecutionAborted` …
    pub outcome: Option<String>,
    /// The error of a failed or aborted execution.
    pub error: Option<String>,
    pub seconds: f64,
}

impl HistorySummary {
    pub fn state(&self, name: &str) -> Option<&StateActivity> {
        self.states.iter().find(|state| state.name == name)
    }

    pub fn from_events(events: &[HistoryEvent]) -> HistorySummary {
        let mut state_of_event: HashMap<i64, usize> = HashMap::new();
        let mut summary = HistorySummary {
            events: events.len(),
            ..HistorySummary::default()
        };
        let mut positions: HashMap<String, usize> = HashMap::new();
        for event in events {
            let entered = event
                .state_entered_event_details()
                .map(|details| details.name());
            let state = match entered {
                Some(name) => {
                    let next = summary.states.len();
                    let position = *positions.entry(name.to_owned()).or_insert(next);
                    if position == next {
                        summary.states.push(StateActivity {
                            name: name.to_owned(),
                            ..StateActivity::default()
                        });
                    }
                    summary.states[position].entered += 1;
                    Some(position)
                }
                None => state_of_event.get(&event.previous_event_id()).copied(),
            };
            if let Some(position) = state {
                state_of_event.insert(event.id(), position);
            }
            let activity = state.map(|position| &mut summary.states[position]);
            match event.r#type() {
                HistoryEventType::TaskScheduled | HistoryEventType::LambdaFunctionScheduled => {
                    if let Some(activity) = activity {
                        activity.attempts += 1;
                    }
                }
                HistoryEventType::TaskFailed => {
                    let error = event
                        .task_failed_event_details()
                        .and_then(|details| details.error())
                        .unwrap_or("(unnamed)");
                    if let Some(activity) = activity {
                        activity.add_failure(error);
                    }
                }
                HistoryEventType::TaskTimedOut => {
                    let error = event
                        .task_timed_out_event_details()
                        .and_then(|details| details.error())
                        .unwrap_or("States.Timeout");
                    if let Some(activity) = activity {
                        activity.add_failure(error);
                    }
                }
                HistoryEventType::LambdaFunctionFailed => {
                    let error = event
                        .lambda_function_failed_event_details()
                        .and_then(|details| details.error())
                        .unwrap_or("(unnamed)");
                    if let Some(activity) = activity {
                        activity.add_failure(error);
                    }
                }
                HistoryEventType::MapIterationStarted => summary.map_iterations += 1,
                HistoryEventType::ExecutionSucceeded => {
                    summary.outcome = Some("ExecutionSucceeded".to_owned())
                }
                HistoryEventType::ExecutionFailed => {
                    summary.outcome = Some("ExecutionFailed".to_owned());
                    summary.error = event
                        .execution_failed_event_details()
                        .and_then(|details| details.error())
                        .map(str::to_owned);
                }
                HistoryEventType::ExecutionAborted => {
                    summary.outcome = Some("ExecutionAborted".to_owned());
                    summary.error = event
                        .execution_aborted_event_details()
                        .and_then(|details| details.error())
                        .map(str::to_owned);
                }
                HistoryEventType::ExecutionTimedOut => {
                    summary.outcome = Some("ExecutionTimedOut".to_owned())
                }
                _ => {
                    if event.state_exited_event_details().is_some() {
                        if let Some(activity) = activity {
                            activity.exited += 1;
                        }
                    }
                }
            }
        }
        if let (Some(first), Some(last)) = (events.first(), events.last()) {
            summary.seconds =
                (last.timestamp().as_secs_f64() - first.timestamp().as_secs_f64()).max(0.0);
        }
        summary
    }
}

/// Reads the whole history (every page) and summarises it.
pub async fn summarize(
    sfn: &aws_sdk_sfn::Client,
    execution_arn: &str,
) -> Result<HistorySummary, HistoryError> {
    let mut events = Vec::new();
    let mut next_token = None;
    loop {
        let page = sfn
            .get_execution_history()
            .execution_arn(execution_arn)
            .max_results(1000)
            .set_next_token(next_token.take())
            .send()
            .await
            .map_err(|error| HistoryError {
                execution_arn: execution_arn.to_owned(),
                reason: aws_sdk_sfn::error::DisplayErrorContext(error).to_string(),
            })?;
        events.extend(page.events);
        match page.next_token {
            Some(token) if !token.is_empty() => next_token = Some(token),
            _ => break,
        }
    }
    Ok(HistorySummary::from_events(&events))
}

impl fmt::Display for HistorySummary {
    /// One line per state: entries, attempts and retries, errors met.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} events over {:.2} s, {} Map iteration(s), ended {}{}",
            self.events,
            self.seconds,
            self.map_iterations,
            self.outcome.as_deref().unwrap_or("(still running)"),
            self.error
                .as_deref()
                .map(|error| format!(" ({error})"))
                .unwrap_or_default()
        )?;
        let width = self
            .states
            .iter()
            .map(|state| state.name.chars().count())
            .max()
            .unwrap_or(0);
        for state in &self.states {
            let padding = width - state.name.chars().count();
            write!(
                f,
                "  {}{}  entered {}×",
                state.name,
                " ".repeat(padding),
                state.entered
            )?;
            if state.attempts > 0 {
                write!(f, ", {} attempt(s)", state.attempts)?;
                if state.retries() > 0 {
                    write!(f, " ({} retried)", state.retries())?;
                }
            }
            if !state.failures.is_empty() {
                let failures: Vec<String> = state
                    .failures
                    .iter()
                    .map(|(name, count)| format!("{name} ×{count}"))
                    .collect();
                write!(f, ", failed: {}", failures.join(", "))?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sfn::primitives::DateTime;
    use aws_sdk_sfn::types::{StateEnteredEventDetails, TaskFailedEventDetails};

    fn event(
        id: i64,
        previous: i64,
        kind: HistoryEventType,
    ) -> aws_sdk_sfn::types::builders::HistoryEventBuilder {
        HistoryEvent::builder()
            .id(id)
            .previous_event_id(previous)
            .r#type(kind)
            .timestamp(DateTime::from_secs(1_795_000_000 + id))
    }

    fn entered(id: i64, previous: i64, name: &str) -> HistoryEvent {
        event(id, previous, HistoryEventType::TaskStateEntered)
            .state_entered_event_details(
                StateEnteredEventDetails::builder()
                    .name(name)
                    .build()
                    .expect("name"),
            )
            .build()
            .expect("event")
    }

    fn failed(id: i64, previous: i64, error: &str) -> HistoryEvent {
        event(id, previous, HistoryEventType::TaskFailed)
            .task_failed_event_details(
                TaskFailedEventDetails::builder()
                    .resource_type("sqs")
                    .resource("sendMessage.waitForTaskToken")
                    .error(error)
                    .build()
                    .expect("details"),
            )
            .build()
            .expect("event")
    }

    fn plain(id: i64, previous: i64, kind: HistoryEventType) -> HistoryEvent {
        event(id, previous, kind).build().expect("event")
    }

    #[test]
    fn attributes_interleaved_iterations_to_their_states() {
        // Two iterations: one labels after two rate-limited attempts, the other extracts.
        let events = vec![
            plain(1, 0, HistoryEventType::ExecutionStarted),
            entered(2, 1, "Label"),
            entered(3, 1, "Extract"),
            plain(4, 2, HistoryEventType::TaskScheduled),
            plain(5, 3, HistoryEventType::TaskScheduled),
            failed(6, 4, "Label.RateLimited"),
            plain(7, 6, HistoryEventType::TaskScheduled),
            failed(8, 7, "Label.RateLimited"),
            plain(9, 8, HistoryEventType::TaskScheduled),
            plain(10, 5, HistoryEventType::TaskSucceeded),
            plain(11, 9, HistoryEventType::TaskSucceeded),
            plain(12, 11, HistoryEventType::ExecutionSucceeded),
        ];
        let summary = HistorySummary::from_events(&events);
        let label = summary.state("Label").expect("label state");
        assert_eq!((label.entered, label.attempts, label.retries()), (1, 3, 2));
        assert_eq!(label.failures_named("Label.RateLimited"), 2);
        let extract = summary.state("Extract").expect("extract state");
        assert_eq!((extract.attempts, extract.retries()), (1, 0));
        assert!(extract.failures.is_empty());
        assert_eq!(summary.outcome.as_deref(), Some("ExecutionSucceeded"));
        assert_eq!(summary.seconds, 11.0);
        let text = summary.to_string();
        assert!(
            text.contains(
                "Label    entered 1×, 3 attempt(s) (2 retried), failed: Label.RateLimited ×2"
            ),
            "{text}"
        );
    }
}
