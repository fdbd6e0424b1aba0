//! Civil dates: seconds since 1970-01-01 as a UTC calendar date and time of day, the one date
//! algorithm of the crate (the cache's stale marker and the EC2 timestamps both use it).

/// `YYYY-MM-DDTHH:MM:SS` (no zone) of day `days` since 1970-01-01 (negative before it) and second
/// `second_of_day` of that day, in the proleptic Gregorian calendar.
pub fn date_time(days: i64, second_of_day: i64) -> String {
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// Seconds since the epoch as RFC 3339 UTC (`2026-11-24T02:30:00Z`).
pub fn rfc3339(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let second_of_day = i64::try_from(secs % 86_400).unwrap_or(0);
    let mut out = date_time(days, second_of_day);
    out.push('Z');
    out
}

/// Proleptic Gregorian (year, month, day) of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_487_400), "2026-11-24T02:30:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn days_before_the_epoch() {
        assert_eq!(date_time(-1, 86_399), "1969-12-31T23:59:59");
        assert_eq!(date_time(-719_468, 0), "0000-03-01T00:00:00");
    }
}
