//! The AI rate governor: one schedule shared by every label worker, kept in one table item.
//!
//! A call *reserves* its slot: the earliest instant at which the requests-per-minute and
//! tokens-per-minute paces both allow it and no 429 has asked the fleet to wait. The slot is
//! a point in time, not a counter, so a worker that dies holding a reservation leaks nothing:
//! its slot simply passes unused. A worker whose slot is near sleeps until it and calls; one
//! whose slot is far hands its message back to the queue to come back just before the slot,
//! carrying the reservation, so a backlog waits in the queue, in order, without keeping a
//! worker busy and without being refused by the provider.
//!
//! - Requests are spaced `60 s / (limit × REQUEST_HEADROOM)` apart: at most `limit` in any
//!   minute, as providers count them.
//! - Tokens drain at `limit × TOKEN_HEADROOM` per minute: each call pushes the token pace by
//!   its estimated tokens, settled with the provider's reported usage afterwards.
//! - A 429 sets `not_before` (its `Retry-After`) for everyone; reservations made before it
//!   that fall earlier are taken again behind it.
//! - With no requests-per-minute limit configured the pace is learned (AIMD): it starts at its
//!   ceiling, `concurrency × ADAPTIVE_RPM_PER_WORKER` (so an unthrottled provider is not
//!   slowed), halves on a 429 (once per congestion episode) and grows back by one request per
//!   minute with each success; never below 1.

use std::time::Duration;

use async_trait::async_trait;

use crate::TokenUsage;

/// Tokens a call's reply is assumed to take before the provider says: a span reply is a few
/// numbers per pair. The governor settles the difference once the usage is known.
pub const ESTIMATED_REPLY_TOKENS: u64 = 400;

/// What a call is about to cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallEstimate {
    /// Input and reply tokens, estimated from the prompt's bytes (no tokenizer shipped: a UTF-8
    /// byte count over three is at or above what BPE tokenizers count for Korean and English).
    pub tokens: u64,
    /// The repair turn of a labeling whose first call was already paid for.
    pub repair: bool,
}

impl CallEstimate {
    /// The estimate for a prompt of these texts.
    pub fn for_prompt<'a>(texts: impl IntoIterator<Item = &'a str>, repair: bool) -> Self {
        let bytes: usize = texts.into_iter().map(str::len).sum();
        CallEstimate {
            tokens: (bytes as u64).div_ceil(3) + ESTIMATED_REPLY_TOKENS,
            repair,
        }
    }
}

/// How a call ended, as far as the rate limit is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    /// The provider answered (usable or not) and reported this usage.
    Answered(TokenUsage),
    /// The provider answered 429, with its `Retry-After` if it gave one.
    Throttled(Option<Duration>),
    /// Anything else (timeout, 5xx, refused): no rate information.
    Failed,
}

/// Why the gate did not let a call go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the rate governor holds the call back for {} s", .wait.as_secs())]
pub struct Deferred {
    /// How long until the call may go (the message should come back then).
    pub wait: Duration,
}

/// Admits AI calls. [`Ungated`] admits everything (the CLI, benches, the governor off).
#[async_trait]
pub trait CallGate: Send + Sync {
    /// Returns when the call may go — after waiting, if the wait is short — or says how long
    /// it must be held back.
    async fn admit(&self, call: CallEstimate) -> Result<(), Deferred>;

    /// Told once per admitted call.
    async fn settle(&self, call: CallEstimate, outcome: CallOutcome);
}

/// No governor: every call goes at once.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ungated;

#[async_trait]
impl CallGate for Ungated {
    async fn admit(&self, _call: CallEstimate) -> Result<(), Deferred> {
        Ok(())
    }

    async fn settle(&self, _call: CallEstimate, _outcome: CallOutcome) {}
}

/// Requests are paced at this share of the configured limit (clock skew, network jitter).
pub const REQUEST_HEADROOM: f64 = 0.98;
/// Tokens are paced at this share of the configured limit: a window may also hold the
/// tokens of the one call that starts it.
pub const TOKEN_HEADROOM: f64 = 0.9;
/// The learned pace's ceiling (and start) per concurrent worker (`LabelConcurrency`).
pub const ADAPTIVE_RPM_PER_WORKER: f64 = 60.0;
/// The wait a 429 without `Retry-After` imposes on the fleet.
pub const DEFAULT_THROTTLE_WAIT: Duration = Duration::from_secs(5);
/// After a halving, further 429s within this long belong to the same episode.
pub const CONGESTION_EPISODE: Duration = Duration::from_secs(10);
/// A call whose slot is at most this far is waited for in the worker; a later one is
/// handed back to the queue. Short, so that a worker is not held while others could call.
pub const FIRST_CALL_MAX_WAIT: Duration = Duration::from_secs(2);
/// A repair's first call is already paid for: its worker waits longer before giving up the
/// labeling to a hand-back.
pub const REPAIR_MAX_WAIT: Duration = Duration::from_secs(20);
/// The longest a message is held back in one hand-back (SQS allows 900 s). The label step's
/// `HeartbeatSeconds` must exceed this plus the worker's own timeout: every pickup
/// heartbeats.
pub const MAX_HANDBACK_DELAY: Duration = Duration::from_secs(600);
/// The longest backlog the governor schedules into; a file that would wait longer fails
/// `Label.RateLimited`. The label step's `TimeoutSeconds` must exceed it.
pub const MAX_BACKLOG: Duration = Duration::from_secs(5400);

/// What is known about the provider's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub requests_per_minute: Option<u32>,
    pub tokens_per_minute: Option<u32>,
    /// Workers labeling at once: bounds the learned pace.
    pub concurrency: u32,
}

/// The shared schedule. Instants are milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RateSchedule {
    /// The next request may not be scheduled before this.
    pub requests_free_at: i64,
    /// The token pace is spent until this.
    pub tokens_free_at: i64,
    /// No call before this: the provider's last `Retry-After`.
    pub not_before: i64,
    /// The learned requests per minute (0: not learned yet).
    pub learned_rpm: f64,
    /// When the learned pace was last halved.
    pub last_decrease: i64,
}

impl RateSchedule {
    /// The pace in requests per minute that this schedule spaces calls by.
    pub fn requests_per_minute(&self, limits: &RateLimits) -> f64 {
        match limits.requests_per_minute {
            Some(limit) => f64::from(limit.max(1)) * REQUEST_HEADROOM,
            None if self.learned_rpm >= 1.0 => self.learned_rpm,
            None => adaptive_ceiling(limits),
        }
    }

    /// Reserves the earliest slot for a call of `tokens`; returns it.
    pub fn reserve(&mut self, limits: &RateLimits, tokens: u64, now: i64) -> i64 {
        let slot = self.earliest(now);
        self.take(limits, tokens, slot);
        slot
    }

    /// Reserves the earliest slot unless it is more than [`MAX_BACKLOG`] away; a slot too far
    /// is not taken (it would only push every later file further back) and comes back as
    /// `Err` to say how far.
    pub fn reserve_within_backlog(
        &mut self,
        limits: &RateLimits,
        tokens: u64,
        now: i64,
    ) -> Result<i64, i64> {
        let slot = self.earliest(now);
        if slot - now > millis(MAX_BACKLOG) {
            return Err(slot);
        }
        self.take(limits, tokens, slot);
        Ok(slot)
    }

    fn earliest(&self, now: i64) -> i64 {
        now.max(self.requests_free_at)
            .max(self.tokens_free_at)
            .max(self.not_before)
    }

    fn take(&mut self, limits: &RateLimits, tokens: u64, slot: i64) {
        self.requests_free_at = slot + interval_ms(self.requests_per_minute(limits), 1);
        if let Some(tpm) = limits.tokens_per_minute {
            let pace = f64::from(tpm.max(1)) * TOKEN_HEADROOM;
            self.tokens_free_at = slot + interval_ms(pace, tokens);
        }
    }

    /// Whether a reservation for `slot` still holds: no 429 has moved the fleet past it.
    pub fn honours(&self, slot: i64) -> bool {
        slot >= self.not_before
    }

    /// A call was answered: tokens settled (estimate → usage), the learned pace grows.
    pub fn answered(&mut self, limits: &RateLimits, estimated: u64, used: u64) {
        if let Some(tpm) = limits.tokens_per_minute {
            let pace = f64::from(tpm.max(1)) * TOKEN_HEADROOM;
            let difference = used as i64 - estimated as i64;
            let shift = interval_ms(pace, difference.unsigned_abs());
            self.tokens_free_at += if difference >= 0 { shift } else { -shift };
        }
        if limits.requests_per_minute.is_none() {
            let current = self.requests_per_minute(limits);
            self.learned_rpm = (current + 1.0).min(adaptive_ceiling(limits));
        }
    }

    /// The provider answered 429: nobody calls before `retry_after` has passed, and an
    /// unconfigured pace halves (once per episode).
    pub fn throttled(&mut self, limits: &RateLimits, retry_after: Option<Duration>, now: i64) {
        let wait = retry_after.unwrap_or(DEFAULT_THROTTLE_WAIT);
        self.not_before = self.not_before.max(now + millis(wait));
        if limits.requests_per_minute.is_none()
            && now - self.last_decrease >= millis(CONGESTION_EPISODE)
        {
            let current = self.requests_per_minute(limits);
            self.learned_rpm = (current / 2.0).max(1.0);
            self.last_decrease = now;
        }
    }
}

fn adaptive_ceiling(limits: &RateLimits) -> f64 {
    (f64::from(limits.concurrency.max(1)) * ADAPTIVE_RPM_PER_WORKER).max(1.0)
}

/// Milliseconds that `units` take at `per_minute` units a minute.
fn interval_ms(per_minute: f64, units: u64) -> i64 {
    (units as f64 * 60_000.0 / per_minute.max(f64::MIN_POSITIVE)).ceil() as i64
}

/// A duration in whole milliseconds, as the schedule counts time.
pub fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_counts_a_token_per_three_bytes_and_a_reply() {
        let estimate = CallEstimate::for_prompt(["지원 동기", "abc"], false);
        // "지원 동기" is 13 bytes, "abc" 3: 16 bytes → 6 tokens.
        assert_eq!(estimate.tokens, 6 + ESTIMATED_REPLY_TOKENS);
    }

    const T0: i64 = 1_800_000_000_000;

    fn limits(rpm: Option<u32>, tpm: Option<u32>) -> RateLimits {
        RateLimits {
            requests_per_minute: rpm,
            tokens_per_minute: tpm,
            concurrency: 5,
        }
    }

    /// How many of `slots` fall in the minute starting at each slot (the provider's sliding
    /// window), at most.
    fn busiest_minute(slots: &[i64]) -> usize {
        slots
            .iter()
            .map(|start| {
                slots
                    .iter()
                    .filter(|slot| **slot >= *start && **slot < start + 60_000)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn a_burst_is_spaced_to_the_request_limit_in_every_minute() {
        let limits = limits(Some(120), None);
        let mut schedule = RateSchedule::default();
        let slots: Vec<i64> = (0..600)
            .map(|_| schedule.reserve(&limits, 1_000, T0))
            .collect();
        assert_eq!(
            slots[0], T0,
            "an idle governor lets the first call go at once"
        );
        assert!(busiest_minute(&slots) <= 120);
        // 2 % headroom: 117 or 118 calls a minute, the pace the provider allows, nearly all.
        assert!(busiest_minute(&slots) >= 117, "{}", busiest_minute(&slots));
        let span = (slots[599] - slots[0]) as f64 / 60_000.0;
        assert!(
            (5.0..5.2).contains(&span),
            "600 calls at 120/min: {span} min"
        );
    }

    #[test]
    fn tokens_pace_large_calls_below_the_token_limit() {
        let limits = limits(Some(1_000), Some(20_000));
        let mut schedule = RateSchedule::default();
        let slots: Vec<i64> = (0..40)
            .map(|_| schedule.reserve(&limits, 3_000, T0))
            .collect();
        for (index, start) in slots.iter().enumerate() {
            let in_minute = slots[index..]
                .iter()
                .filter(|slot| **slot < start + 60_000)
                .count() as u64;
            assert!(in_minute * 3_000 <= 20_000, "{in_minute} calls in a minute");
        }
    }

    #[test]
    fn a_slot_beyond_the_longest_backlog_is_not_taken() {
        let limits = limits(Some(1), None);
        let mut schedule = RateSchedule::default();
        let mut taken = 0;
        while schedule.reserve_within_backlog(&limits, 0, T0).is_ok() {
            taken += 1;
        }
        // One a minute (at 98 %) for 90 minutes, and the one at once.
        assert_eq!(taken, 89);
        let before = schedule;
        let too_far = schedule
            .reserve_within_backlog(&limits, 0, T0)
            .expect_err("too far");
        assert!(too_far - T0 > millis(MAX_BACKLOG));
        assert_eq!(schedule, before, "nothing was taken");
    }

    #[test]
    fn settling_returns_overestimated_tokens_to_the_pace() {
        let limits = limits(None, Some(60_000));
        let mut schedule = RateSchedule::default();
        schedule.reserve(&limits, 3_000, T0);
        let spent_until = schedule.tokens_free_at;
        schedule.answered(&limits, 3_000, 1_500);
        assert!(schedule.tokens_free_at < spent_until);
        assert_eq!(
            schedule.tokens_free_at - T0,
            interval_ms(60_000.0 * TOKEN_HEADROOM, 1_500)
        );
    }

    #[test]
    fn a_429_holds_everyone_back_and_invalidates_earlier_reservations() {
        let limits = limits(Some(60), None);
        let mut schedule = RateSchedule::default();
        let early = schedule.reserve(&limits, 0, T0);
        schedule.throttled(&limits, Some(Duration::from_secs(20)), T0 + 100);
        assert!(!schedule.honours(early));
        let next = schedule.reserve(&limits, 0, T0 + 200);
        assert_eq!(next, T0 + 100 + 20_000);
        assert!(schedule.honours(next));
        // A configured limit is trusted: a 429 does not change the pace.
        assert_eq!(
            schedule.requests_per_minute(&limits),
            60.0 * REQUEST_HEADROOM
        );
    }

    #[test]
    fn an_unknown_limit_is_learned_additively_up_and_halved_on_429_once_per_episode() {
        let limits = limits(None, None);
        let ceiling = 5.0 * ADAPTIVE_RPM_PER_WORKER;
        let mut schedule = RateSchedule::default();
        assert_eq!(
            schedule.requests_per_minute(&limits),
            ceiling,
            "unthrottled, the pace is the workers' own"
        );
        schedule.throttled(&limits, None, T0);
        assert_eq!(schedule.requests_per_minute(&limits), ceiling / 2.0);
        schedule.throttled(&limits, None, T0 + 1_000);
        assert_eq!(
            schedule.requests_per_minute(&limits),
            ceiling / 2.0,
            "the same episode halves once"
        );
        schedule.throttled(&limits, None, T0 + 11_000);
        assert_eq!(schedule.requests_per_minute(&limits), ceiling / 4.0);
        for _ in 0..20 {
            schedule.answered(&limits, 0, 0);
        }
        assert_eq!(schedule.requests_per_minute(&limits), ceiling / 4.0 + 20.0);
        for _ in 0..10_000 {
            schedule.answered(&limits, 0, 0);
        }
        assert_eq!(
            schedule.requests_per_minute(&limits),
            5.0 * ADAPTIVE_RPM_PER_WORKER,
            "bounded by the workers"
        );
    }
}
