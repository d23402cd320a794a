//! The two timestamp formats API Gateway writes: `requestTime` (`25/Nov/2026:14:08:08 +0000`)
//! in events and ISO 8601 (`2026-11-25T14:08:08.123Z`) in the management API.

use std::time::{SystemTime, UNIX_EPOCH};

use time::macros::format_description;
use time::OffsetDateTime;

/// Milliseconds since the Unix epoch.
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The UTC time of `epoch_millis` (the epoch itself if out of `time`'s range).
fn utc(epoch_millis: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(epoch_millis) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `requestTime` as API Gateway writes it.
pub fn request_time(epoch_millis: i64) -> String {
    let format =
        format_description!("[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000");
    utc(epoch_millis).format(format).unwrap_or_default()
}

/// ISO 8601 with milliseconds, UTC.
pub fn iso8601(epoch_millis: i64) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    utc(epoch_millis).format(format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_api_gateway() {
        // 2026-11-25T14:08:08.123Z
        let moment = 1_795_615_688_123;
        assert_eq!(request_time(moment), "25/Nov/2026:14:08:08 +0000");
        assert_eq!(iso8601(moment), "2026-11-25T14:08:08.123Z");
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        // A leap day.
        assert_eq!(request_time(951_782_400_000), "29/Feb/2000:00:00:00 +0000");
    }
}
