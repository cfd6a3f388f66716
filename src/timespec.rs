//! Times as people write them in reports' filters: a span back from now (`90m`, `24h`, `7d`),
//! a calendar date (`2024-03-26`, local midnight), a local date and time (`2024-03-26 09:00`),
//! or RFC 3339. Pure: `now` is a value. The CLI's flags and the web view's filters read them
//! alike.

use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Parses `s` relative to `now`.
pub fn parse_time(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let t = s.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return local(d.and_hms_opt(0, 0, 0).expect("midnight exists"), s);
    }
    for f in [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, f) {
            return local(n, s);
        }
    }
    if let Ok(d) = humantime::parse_duration(t) {
        let d = chrono::Duration::from_std(d).map_err(|_| format!("{s:?} is too long a span"))?;
        return now
            .checked_sub_signed(d)
            .ok_or_else(|| format!("{s:?} reaches before the start of time"));
    }
    Err(format!(
        "{s:?} is not a time: use a span back from now (90m, 24h, 7d), a date (2024-03-26) or RFC 3339 (2024-03-26T09:00:00+09:00)"
    ))
}

fn local(n: NaiveDateTime, s: &str) -> Result<DateTime<Utc>, String> {
    Local
        .from_local_datetime(&n)
        .earliest()
        .map(|d| d.with_timezone(&Utc))
        .ok_or_else(|| format!("{s:?} does not exist in the local time zone"))
}

/// A duration the way a user writes one in the config: "90d", "2h 30m", "45s" (days, hours,
/// minutes, seconds; never months).
pub fn duration(secs: i64) -> String {
    let s = secs.max(0);
    let parts = [
        (s / 86_400, "d"),
        (s % 86_400 / 3600, "h"),
        (s % 3600 / 60, "m"),
        (s % 60, "s"),
    ];
    let text: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, u)| format!("{n}{u}"))
        .collect();
    if text.is_empty() {
        "0s".to_string()
    } else {
        text.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_dates_and_rfc3339() {
        let now = DateTime::parse_from_rfc3339("2024-03-26T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_time("90m", now).unwrap().to_rfc3339(),
            "2024-03-26T10:30:00+00:00"
        );
        assert_eq!(
            parse_time("24h", now).unwrap().to_rfc3339(),
            "2024-03-25T12:00:00+00:00"
        );
        assert_eq!(
            parse_time("7d", now).unwrap().to_rfc3339(),
            "2024-03-19T12:00:00+00:00"
        );
        assert_eq!(
            parse_time("2024-03-26T09:00:00+09:00", now)
                .unwrap()
                .to_rfc3339(),
            "2024-03-26T00:00:00+00:00"
        );
        let midnight = parse_time("2024-03-26", now).unwrap();
        assert_eq!(
            midnight
                .with_timezone(&Local)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            "2024-03-26 00:00"
        );
        assert!(
            parse_time("yesterday-ish", now)
                .unwrap_err()
                .contains("not a time")
        );
    }
}
