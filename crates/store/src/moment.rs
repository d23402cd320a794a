use std::time::{SystemTime, UNIX_EPOCH};

use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;

/// A point in time as the table stores it: epoch seconds for TTLs, RFC 3339 for display and
/// ordering. Passed in by callers so that tests fix the clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moment {
    epoch_millis: i64,
}

impl Moment {
    pub fn now() -> Moment {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Moment {
            epoch_millis: millis,
        }
    }

    pub fn from_epoch_seconds(seconds: i64) -> Moment {
        Moment {
            epoch_millis: seconds.saturating_mul(1000),
        }
    }

    pub fn epoch_millis(&self) -> i64 {
        self.epoch_millis
    }

    pub fn epoch_seconds(&self) -> i64 {
        self.epoch_millis.div_euclid(1000)
    }

    /// RFC 3339 in UTC, e.g. `2026-11-25T10:46:11.123Z`.
    pub fn rfc3339(&self) -> String {
        DateTime::from_millis(self.epoch_millis)
            .fmt(Format::DateTime)
            .unwrap_or_else(|_| String::from("1970-01-01T00:00:00Z"))
    }

    pub fn plus_seconds(&self, seconds: i64) -> Moment {
        Moment {
            epoch_millis: self
                .epoch_millis
                .saturating_add(seconds.saturating_mul(1000)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339_and_adds_seconds() {
        let moment = Moment::from_epoch_seconds(1_795_000_000);
        assert_eq!(moment.rfc3339(), "2026-11-18T11:06:40Z");
        assert_eq!(moment.plus_seconds(7200).epoch_seconds(), 1_795_007_200);
    }
}
