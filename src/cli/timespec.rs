//! Time arguments of `list`: a span back from now (`90m`, `24h`, `7d`), a calendar date
//! (`2024-03-26`, local midnight), a local date and time (`2024-03-26 09:00`), or RFC 3339.

use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Parses the value of a time flag (`--since`, `--until`); a bad one is a usage error naming
/// the flag.
pub fn time_arg(s: &str, flag: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, super::CliError> {
    parse_time(s, now).map_err(|m| super::CliError::Usage(anyhow::anyhow!("{flag}: {m}")))
}

/// [`time_arg`] for a flag that may be absent.
pub fn optional_time_arg(
    s: &Option<String>,
    flag: &str,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, super::CliError> {
    s.as_deref().map(|s| time_arg(s, flag, now)).transpose()
}

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
