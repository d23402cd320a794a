//! The two timestamp formats API Gateway writes: `requestTime` (`25/Nov/2026:14:08:08 +0000`)
//! in events and ISO 8601 (`2026-11-25T14:08:08.123Z`) in the management API.

use std::time::{SystemTime, UNIX_EPOCH};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Milliseconds since the Unix epoch.
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

struct Civil {
    year: i64,
    month: usize,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    millis: i64,
}

/// The UTC calendar time of `epoch_millis` (Howard Hinnant's `civil_from_days`).
fn civil(epoch_millis: i64) -> Civil {
    let millis = epoch_millis.rem_euclid(1000);
    let seconds = epoch_millis.div_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month: usize::try_from(month).unwrap_or(1),
        day,
        hour: of_day / 3600,
        minute: of_day % 3600 / 60,
        second: of_day % 60,
        millis,
    }
}

/// `requestTime` as API Gateway writes it.
pub fn request_time(epoch_millis: i64) -> String {
    let time = civil(epoch_millis);
    let month = MONTHS.get(time.month.saturating_sub(1)).unwrap_or(&"Jan");
    format!(
        "{:02}/{month}/{}:{:02}:{:02}:{:02} +0000",
        time.day, time.year, time.hour, time.minute, time.second
    )
}

/// ISO 8601 with milliseconds, UTC.
pub fn iso8601(epoch_millis: i64) -> String {
    let time = civil(epoch_millis);
    format!(
        "{}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        time.year, time.month, time.day, time.hour, time.minute, time.second, time.millis
    )
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
