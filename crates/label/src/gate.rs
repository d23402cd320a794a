//! The hook a rate governor hangs on ([`narratix_domain::rate::CallGate`]): the labeler asks
//! before every provider call — the first and the repair — and tells how it went; it knows
//! what a call will cost, its prompt's size. And the deadline all of a labeling's calls must
//! answer by.

use std::time::{Duration, Instant};

pub use narratix_domain::rate::{CallEstimate, CallGate, CallOutcome, Deferred, Ungated};

/// A call with less time than this left before the deadline is not started.
pub const MINIMUM_CALL_TIME: Duration = Duration::from_secs(1);

/// How one labeling may spend time and rate: the gate, and the instant by which every call
/// must have answered (the Lambda's own deadline, less a margin to report the result).
#[derive(Clone, Copy)]
pub struct CallBudget<'a> {
    pub gate: &'a dyn CallGate,
    pub deadline: Option<Instant>,
}

impl CallBudget<'_> {
    /// No gate, no deadline beyond each call's own timeout.
    pub fn unlimited() -> CallBudget<'static> {
        CallBudget {
            gate: &Ungated,
            deadline: None,
        }
    }

    /// The time a call may take: the configured timeout, or what is left before the deadline;
    /// `None` when nothing useful is left.
    pub fn call_timeout(&self, configured: Duration, now: Instant) -> Option<Duration> {
        let Some(deadline) = self.deadline else {
            return Some(configured);
        };
        let left = deadline.saturating_duration_since(now);
        (left >= MINIMUM_CALL_TIME).then(|| left.min(configured))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_gets_the_configured_timeout_or_what_is_left_of_the_deadline() {
        let now = Instant::now();
        let configured = Duration::from_secs(60);
        assert_eq!(
            CallBudget::unlimited().call_timeout(configured, now),
            Some(configured)
        );
        let near = CallBudget {
            gate: &Ungated,
            deadline: Some(now + Duration::from_secs(20)),
        };
        assert_eq!(
            near.call_timeout(configured, now),
            Some(Duration::from_secs(20))
        );
        let spent = CallBudget {
            gate: &Ungated,
            deadline: Some(now + Duration::from_millis(300)),
        };
        assert_eq!(spent.call_timeout(configured, now), None);
    }
}
