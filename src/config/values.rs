//! Single values every section reads alike: durations, bounded integers and time zones.

use std::ops::RangeInclusive;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use toml::Spanned;

/// A duration like `"90s"`, `"15m"` or `"1h"`, at least `min`.
pub(super) fn duration(v: &Spanned<String>, min: Duration) -> Result<Duration, String> {
    let d = humantime::parse_duration(v.get_ref().trim()).map_err(|e| {
        format!(
            "{:?} is not a duration like \"90s\", \"15m\" or \"1h\": {e}",
            v.get_ref()
        )
    })?;
    if d < min {
        return Err(format!(
            "{:?} is shorter than the minimum {}",
            v.get_ref(),
            humantime::format_duration(min)
        ));
    }
    Ok(d)
}

/// An instant in RFC 3339 (`2024-03-26T12:00:00+09:00`).
pub(super) fn instant(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{s:?} is not a time like \"2024-03-26T12:00:00+09:00\": {e}"))
}

/// An integer within `range`.
pub(super) fn bounded(v: &Spanned<i64>, range: RangeInclusive<i64>) -> Result<i64, String> {
    let n = *v.get_ref();
    if range.contains(&n) {
        Ok(n)
    } else {
        Err(format!(
            "{n} is out of range ({} to {})",
            range.start(),
            range.end()
        ))
    }
}

/// UTC+9, the offset `KST` and `JST` name. The date parser keeps its own copy: config depends on
/// no other module, and this is a fact, not a setting.
const KST_SECONDS: i32 = 9 * 3600;

/// The zone a feed's dates are in when they name none: a fixed UTC offset, or an IANA zone
/// (`Asia/Seoul`, `Europe/London`) whose offset depends on the date (daylight saving time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    Fixed(FixedOffset),
    Named(Tz),
}

impl Zone {
    /// UTC.
    pub fn utc() -> Self {
        Zone::Fixed(FixedOffset::east_opt(0).expect("zero offset is valid"))
    }

    /// The instant a wall-clock time in this zone names, with the offset in force on that date.
    /// A time that occurs twice (clocks going back) is the earlier instant; a time that a
    /// clock change skips is read with the offset from before the change.
    pub fn to_utc(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        match self {
            Zone::Fixed(offset) => offset
                .from_local_datetime(&local)
                .single()
                .map(|t| t.with_timezone(&Utc)),
            Zone::Named(tz) => match tz.from_local_datetime(&local) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => {
                    Some(t.with_timezone(&Utc))
                }
                LocalResult::None => {
                    let before = local - chrono::Duration::hours(3);
                    let offset = tz.offset_from_local_datetime(&before).earliest()?.fix();
                    offset
                        .from_local_datetime(&local)
                        .single()
                        .map(|t| t.with_timezone(&Utc))
                }
            },
        }
    }
}

impl From<FixedOffset> for Zone {
    fn from(offset: FixedOffset) -> Self {
        Zone::Fixed(offset)
    }
}

impl std::fmt::Display for Zone {
    /// `+09:00` for an offset, the IANA name (`Asia/Seoul`) for a zone.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Zone::Fixed(offset) => write!(f, "{offset}"),
            Zone::Named(tz) => f.write_str(tz.name()),
        }
    }
}

/// `+09:00`, `-05:00`, `UTC`/`Z`, `KST` (the common case for this tool's sources), or an IANA
/// zone name like `Asia/Seoul` or `America/New_York`.
pub fn timezone(s: &str) -> Result<Zone, String> {
    let t = s.trim();
    match t.to_ascii_uppercase().as_str() {
        "UTC" | "Z" | "GMT" => return Ok(Zone::utc()),
        "KST" | "JST" => {
            return Ok(Zone::Fixed(
                FixedOffset::east_opt(KST_SECONDS).expect("valid"),
            ));
        }
        _ => {}
    }
    if let Ok(offset) = t.parse::<FixedOffset>() {
        return Ok(Zone::Fixed(offset));
    }
    t.parse::<Tz>().map(Zone::Named).map_err(|_| {
        format!(
            "{s:?} is not a UTC offset like \"+09:00\" or an IANA zone name like \"Asia/Seoul\" (or UTC, KST)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timezones() {
        let offset = |z: Zone| match z {
            Zone::Fixed(o) => o.local_minus_utc(),
            Zone::Named(_) => panic!("{z} is not an offset"),
        };
        assert_eq!(offset(timezone("+09:00").unwrap()), 9 * 3600);
        assert_eq!(offset(timezone("KST").unwrap()), 9 * 3600);
        assert_eq!(offset(timezone("utc").unwrap()), 0);
        assert!(timezone("nine").is_err());
        assert_eq!(timezone("Asia/Seoul").unwrap().to_string(), "Asia/Seoul");
        assert_eq!(timezone("+09:00").unwrap().to_string(), "+09:00");
    }

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn named_zones_follow_daylight_saving_per_date() {
        let ny = timezone("America/New_York").unwrap();
        // Winter: UTC-5; summer: UTC-4.
        assert_eq!(
            ny.to_utc(at("2024-01-15 12:00")).unwrap().to_rfc3339(),
            "2024-01-15T17:00:00+00:00"
        );
        assert_eq!(
            ny.to_utc(at("2024-07-15 12:00")).unwrap().to_rfc3339(),
            "2024-07-15T16:00:00+00:00"
        );
        // 01:30 happens twice on 2024-11-03: the first one (still UTC-4).
        assert_eq!(
            ny.to_utc(at("2024-11-03 01:30")).unwrap().to_rfc3339(),
            "2024-11-03T05:30:00+00:00"
        );
        // 02:30 never happens on 2024-03-10: read with the offset before the change (UTC-5).
        assert_eq!(
            ny.to_utc(at("2024-03-10 02:30")).unwrap().to_rfc3339(),
            "2024-03-10T07:30:00+00:00"
        );
        let seoul = timezone("Asia/Seoul").unwrap();
        assert_eq!(
            seoul.to_utc(at("2024-03-26 10:00")).unwrap().to_rfc3339(),
            "2024-03-26T01:00:00+00:00"
        );
    }
}
