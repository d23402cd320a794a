//! The rate governor over its shared item, and the gate one labeling's calls pass through.
//!
//! The schedule's arithmetic is [`narratix_domain::rate`]; here it is read, changed and
//! written back conditionally (optimistic concurrency on a version number), so concurrent
//! workers each get a slot of their own.

use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use narratix_domain::rate::{
    CallEstimate, CallGate, CallOutcome, Deferred, RateLimits, RateSchedule, FIRST_CALL_MAX_WAIT,
    REPAIR_MAX_WAIT,
};
use narratix_store::ports::RateScheduleStore;
use narratix_store::{Moment, StoreError};
use tracing::{info, warn};

/// The wait before the next try when the schedule cannot be read or written.
pub const SCHEDULE_UNAVAILABLE_WAIT: Duration = Duration::from_secs(5);
/// Conditional writes tried before giving up on one change (concurrent workers).
const WRITE_ATTEMPTS: usize = 16;

/// Milliseconds since the Unix epoch, now (the schedule's clock).
pub fn now_ms() -> i64 {
    Moment::now().epoch_millis()
}

/// How long from now until `instant` (ms since the epoch); zero once it has passed.
pub fn until(instant: i64) -> Duration {
    Duration::from_millis(u64::try_from(instant - now_ms()).unwrap_or(0))
}

/// The fleet's shared schedule.
pub struct Governor {
    store: Box<dyn RateScheduleStore>,
    limits: RateLimits,
}

impl Governor {
    pub fn new(store: impl RateScheduleStore + 'static, limits: RateLimits) -> Self {
        Governor {
            store: Box::new(store),
            limits,
        }
    }

    /// Reserves the earliest slot unless it is beyond the longest backlog (`Err(slot)`: not
    /// taken).
    pub async fn reserve_within_backlog(
        &self,
        tokens: u64,
    ) -> Result<Result<i64, i64>, StoreError> {
        let limits = self.limits;
        self.change(move |schedule, now| schedule.reserve_within_backlog(&limits, tokens, now))
            .await
    }

    /// Whether a reservation made earlier still holds.
    pub async fn honours(&self, slot: i64) -> Result<bool, StoreError> {
        let stored = self.store.load_schedule().await?;
        Ok(stored.is_none_or(|(schedule, _)| schedule.honours(slot)))
    }

    pub async fn answered(&self, estimated: u64, used: u64) -> Result<(), StoreError> {
        let limits = self.limits;
        self.change(move |schedule, _| schedule.answered(&limits, estimated, used))
            .await
    }

    pub async fn throttled(&self, retry_after: Option<Duration>) -> Result<(), StoreError> {
        let limits = self.limits;
        self.change(move |schedule, now| schedule.throttled(&limits, retry_after, now))
            .await
    }

    async fn change<T>(
        &self,
        change: impl Fn(&mut RateSchedule, i64) -> T,
    ) -> Result<T, StoreError> {
        for _ in 0..WRITE_ATTEMPTS {
            let (mut schedule, version) = self.store.load_schedule().await?.unwrap_or_default();
            let result = change(&mut schedule, now_ms());
            if self.store.replace_schedule(&schedule, version).await? {
                return Ok(result);
            }
        }
        Err(StoreError::Invalid {
            what: "the rate schedule",
            source: "too many concurrent writers".into(),
        })
    }
}

/// Why a call was held back: the slot it holds, or one too far to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// Reserved: the message should come back for it.
    Slot(i64),
    /// The first free slot is beyond [`narratix_domain::rate::MAX_BACKLOG`]; not taken.
    BacklogTooLong(i64),
}

/// One labeling's calls through the governor. A reservation carried in by the message is
/// used for the first call; a call held back leaves its reservation for the hand-back.
pub struct GovernedCalls<'a> {
    governor: &'a Governor,
    reservation: Mutex<Option<Held>>,
}

impl<'a> GovernedCalls<'a> {
    pub fn new(governor: &'a Governor, carried: Option<i64>) -> Self {
        GovernedCalls {
            governor,
            reservation: Mutex::new(carried.map(Held::Slot)),
        }
    }

    /// What the message should come back for, if a call was held back or throttled.
    pub fn held(&self) -> Option<Held> {
        *self
            .reservation
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn hold(&self, held: Option<Held>) {
        *self
            .reservation
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = held;
    }

    /// The slot for this call: the carried reservation when it still holds, else a new one
    /// (`Err`: none within the longest backlog).
    async fn slot_for(&self, call: CallEstimate) -> Result<Result<i64, i64>, StoreError> {
        let carried = match self.held() {
            Some(Held::Slot(slot)) if !call.repair => Some(slot),
            _ => None,
        };
        self.hold(None);
        if let Some(slot) = carried {
            if self.governor.honours(slot).await? {
                return Ok(Ok(slot));
            }
            info!("a 429 moved the fleet past the reservation; taking a new one");
        }
        self.governor.reserve_within_backlog(call.tokens).await
    }

    /// Holds the message for the next free slot after a 429.
    async fn rebook(&self, call: CallEstimate) -> Result<(), StoreError> {
        let held = match self.governor.reserve_within_backlog(call.tokens).await? {
            Ok(slot) => Held::Slot(slot),
            Err(slot) => Held::BacklogTooLong(slot),
        };
        self.hold(Some(held));
        Ok(())
    }
}

#[async_trait]
impl CallGate for GovernedCalls<'_> {
    async fn admit(&self, call: CallEstimate) -> Result<(), Deferred> {
        let slot = match self.slot_for(call).await {
            Ok(Ok(slot)) => slot,
            Ok(Err(too_far)) => {
                self.hold(Some(Held::BacklogTooLong(too_far)));
                return Err(Deferred {
                    wait: until(too_far),
                });
            }
            Err(error) => {
                warn!(error = %narratix_domain::error_chain(&error), "the rate schedule is unavailable; holding the call back");
                return Err(Deferred {
                    wait: SCHEDULE_UNAVAILABLE_WAIT,
                });
            }
        };
        let wait = until(slot);
        let most = if call.repair {
            REPAIR_MAX_WAIT
        } else {
            FIRST_CALL_MAX_WAIT
        };
        if wait <= most {
            tokio::time::sleep(wait).await;
            return Ok(());
        }
        self.hold(Some(Held::Slot(slot)));
        Err(Deferred { wait })
    }

    async fn settle(&self, call: CallEstimate, outcome: CallOutcome) {
        let settled = match outcome {
            CallOutcome::Answered(usage) => {
                let used = usage.input_tokens.saturating_add(usage.output_tokens);
                self.governor.answered(call.tokens, used).await
            }
            CallOutcome::Throttled(retry_after) => {
                warn!(
                    retry_after_s = retry_after.map(|wait| wait.as_secs()),
                    "throttled by the provider: the fleet waits"
                );
                match self.governor.throttled(retry_after).await {
                    Ok(()) => self.rebook(call).await,
                    Err(error) => Err(error),
                }
            }
            CallOutcome::Failed => Ok(()),
        };
        if let Err(error) = settled {
            warn!(error = %narratix_domain::error_chain(&error), "could not update the rate schedule");
        }
    }
}
