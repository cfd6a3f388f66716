//! Lenient feed timestamps. Feeds write dates every way imaginable: RFC 822 with `+09:00` or
//! `KST`, wrong weekdays, RFC 3339 without a colon in the offset, zone-less `2024-03-26 10:00:00`,
//! and Korean `2024-03-26 오전 10:00:00`. Every form that names no zone is read in the feed's
//! configured zone, except Korean-style dates, which are always Korean time (+09:00).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use crate::model::Zone;

/// Korea Standard Time: the offset Korean sources mean when they name no zone.
pub const KST_SECONDS: i32 = 9 * 3600;

/// Parses `s` as a feed timestamp; `default_offset` (an offset, or a zone whose offset on that
/// date applies) is the zone of dates that name none.
pub fn parse_date(s: &str, default_offset: impl Into<Zone>) -> Option<DateTime<Utc>> {
    let zone = default_offset.into();
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.is_empty() {
        return None;
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(&s) {
        return Some(dt.with_timezone(&Utc));
    }
    if let Some(dt) = korean(&s) {
        return Some(dt);
    }
    let fixed = fix_zone(strip_weekday(&s));
    if let Ok(dt) = DateTime::parse_from_rfc2822(&fixed) {
        return Some(dt.with_timezone(&Utc));
    }
    const ZONED: &[&str] = &[
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f %z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%d %H:%M %z",
        "%d %b %Y %H:%M:%S %z",
        "%d %b %Y %H:%M %z",
        "%d %B %Y %H:%M:%S %z",
        "%b %d, %Y %H:%M:%S %z",
        "%Y/%m/%d %H:%M:%S %z",
    ];
    for f in ZONED {
        if let Ok(dt) = DateTime::parse_from_str(&fixed, f) {
            return Some(dt.with_timezone(&Utc));
        }
    }
    naive(&s)
        .or_else(|| naive(strip_weekday(&s)))
        .and_then(|n| zone.to_utc(n))
}

fn strip_weekday(s: &str) -> &str {
    // "Tue, 26 Mar…" or "Tuesday, 26 Mar…": weekdays are often wrong, and chrono checks them.
    match s.split_once(", ") {
        Some((head, tail)) if head.chars().all(|c| c.is_ascii_alphabetic()) && head.len() >= 3 => {
            tail
        }
        _ => s,
    }
}

/// Rewrites zone spellings chrono does not read: Asian and European zone names, `+09:00` in
/// RFC 822 dates, a bare `Z`. (RFC 822's own names, `EST`…`PDT`, chrono reads as the RFC
/// defines them.)
fn fix_zone(s: &str) -> String {
    let (head, last) = match s.rsplit_once(' ') {
        Some(p) => p,
        None => return s.to_string(),
    };
    let replaced = match last.to_ascii_uppercase().as_str() {
        "KST" => "+0900".to_string(),
        "JST" => "+0900".to_string(),
        "Z" | "UTC" | "UT" | "GMT" => "+0000".to_string(),
        "CET" => "+0100".to_string(),
        "CEST" => "+0200".to_string(),
        "BST" => "+0100".to_string(),
        z if is_colon_offset(z) => format!("{}{}", &z[..3], &z[4..]),
        _ => {
            // "…10:00:00+09:00" glued to the time: remove the colon of the offset.
            if let Some(pos) = last.rfind(['+', '-'])
                && pos > 0
                && is_colon_offset(&last[pos..])
            {
                return format!("{head} {}{}", &last[..pos + 3], &last[pos + 4..]);
            }
            return s.to_string();
        }
    };
    format!("{head} {replaced}")
}

/// `+09:00` / `-05:00`: exactly sign, two digits, colon, two digits (checked on bytes, so
/// multi-byte text never gets sliced mid-character).
fn is_colon_offset(z: &str) -> bool {
    let b = z.as_bytes();
    b.len() == 6
        && (b[0] == b'+' || b[0] == b'-')
        && b[1].is_ascii_digit()
        && b[2].is_ascii_digit()
        && b[3] == b':'
        && b[4].is_ascii_digit()
        && b[5].is_ascii_digit()
}

/// Zone-less forms.
fn naive(s: &str) -> Option<NaiveDateTime> {
    const FORMATS: &[&str] = &[
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y.%m.%d %H:%M:%S",
        "%Y.%m.%d %H:%M",
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
        "%a, %d %b %Y %H:%M:%S",
        "%d %b %Y %H:%M:%S",
        "%a, %d %b %Y %H:%M",
        "%b %d %Y %I:%M:%S %p",
        "%b %d, %Y %I:%M:%S %p",
        "%b %d, %Y %I:%M %p",
    ];
    for f in FORMATS {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, f) {
            return Some(n);
        }
    }
    for f in ["%Y-%m-%d", "%Y.%m.%d", "%Y/%m/%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return d.and_hms_opt(0, 0, 0);
        }
    }
    None
}

/// `2024-03-26 오전 10:00:00`, `2024.03.26 오후 3:05`, `2024년 3월 26일 10:00`: always +09:00.
fn korean(s: &str) -> Option<DateTime<Utc>> {
    if !s.contains(['오', '년', '월', '일']) {
        return None;
    }
    let mut pm = None;
    let mut cleaned = String::with_capacity(s.len());
    for part in s.split(' ') {
        match part {
            "오전" | "AM" => pm = Some(false),
            "오후" | "PM" => pm = Some(true),
            _ => {
                if !cleaned.is_empty() {
                    cleaned.push(' ');
                }
                cleaned.push_str(part);
            }
        }
    }
    let cleaned = cleaned
        .replace("년 ", "-")
        .replace("월 ", "-")
        .replace(['년', '월'], "-")
        .replace('일', "");
    let cleaned = cleaned.trim().replace(['.', '/'], "-");
    // "3시 40분" / "3시": hours and minutes written out.
    let cleaned = if cleaned.contains('시') {
        let c = cleaned.replace("시 ", ":").replace('분', "");
        let c = c.trim_end().to_string();
        if c.ends_with('시') {
            c.replace('시', ":00")
        } else {
            c.replace('시', ":")
        }
    } else {
        cleaned
    };
    let (date_part, time_part) = cleaned.split_once(' ').unwrap_or((&cleaned, "00:00:00"));
    let date = NaiveDate::parse_from_str(date_part.trim_end_matches('-'), "%Y-%m-%d").ok()?;
    let time = NaiveTime::parse_from_str(time_part, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(time_part, "%H:%M"))
        .ok()?;
    let time = match pm {
        Some(pm) => {
            use chrono::Timelike;
            let h12 = time.hour() % 12;
            time.with_hour(if pm { h12 + 12 } else { h12 })?
        }
        None => time,
    };
    local_to_utc(date.and_time(time), FixedOffset::east_opt(KST_SECONDS)?)
}

fn local_to_utc(n: NaiveDateTime, offset: FixedOffset) -> Option<DateTime<Utc>> {
    offset
        .from_local_datetime(&n)
        .single()
        .map(|dt| dt.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc() -> FixedOffset {
        FixedOffset::east_opt(0).unwrap()
    }
    fn kst() -> FixedOffset {
        FixedOffset::east_opt(KST_SECONDS).unwrap()
    }
    fn p(s: &str) -> String {
        parse_date(s, utc())
            .map(|d| d.to_rfc3339())
            .unwrap_or_default()
    }

    #[test]
    fn standard_forms() {
        assert_eq!(
            p("Tue, 26 Mar 2024 10:00:00 +0900"),
            "2024-03-26T01:00:00+00:00"
        );
        assert_eq!(p("2024-03-26T10:00:00+09:00"), "2024-03-26T01:00:00+00:00");
        assert_eq!(p("2024-03-26T01:00:00Z"), "2024-03-26T01:00:00+00:00");
    }

    #[test]
    fn offsets_and_named_zones() {
        assert_eq!(
            p("Tue, 26 Mar 2024 10:00:00 +09:00"),
            "2024-03-26T01:00:00+00:00"
        );
        assert_eq!(
            p("Tue, 26 Mar 2024 10:00:00 KST"),
            "2024-03-26T01:00:00+00:00"
        );
        assert_eq!(p("26 Mar 2024 10:00:00 UTC"), "2024-03-26T10:00:00+00:00");
        assert_eq!(p("2024-03-26T10:00:00+0900"), "2024-03-26T01:00:00+00:00");
        assert_eq!(p("2024-03-26 10:00:00 +09:00"), "2024-03-26T01:00:00+00:00");
    }

    #[test]
    fn rfc822_us_zones_follow_the_rfc() {
        assert_eq!(
            p("Tue, 26 Mar 2024 10:00:00 CST"),
            "2024-03-26T16:00:00+00:00"
        );
        assert_eq!(
            p("Tue, 26 Mar 2024 10:00:00 EST"),
            "2024-03-26T15:00:00+00:00"
        );
    }

    #[test]
    fn wrong_weekday_is_ignored() {
        assert_eq!(
            p("Mon, 26 Mar 2024 10:00:00 +0000"),
            "2024-03-26T10:00:00+00:00"
        );
    }

    #[test]
    fn zone_less_uses_feed_offset() {
        assert_eq!(p("2024-03-26 10:00:00"), "2024-03-26T10:00:00+00:00");
        let k = parse_date("2024-03-26 10:00:00", kst()).unwrap();
        assert_eq!(k.to_rfc3339(), "2024-03-26T01:00:00+00:00");
        assert_eq!(p("2024-03-26"), "2024-03-26T00:00:00+00:00");
    }

    #[test]
    fn twelve_hour_clock() {
        assert_eq!(
            p("Sat, Dec 16 2023 02:02:33 PM"),
            "2023-12-16T14:02:33+00:00"
        );
    }

    #[test]
    fn korean_forms_are_kst() {
        assert_eq!(p("2024-03-26 오전 10:00:00"), "2024-03-26T01:00:00+00:00");
        assert_eq!(p("2024-03-26 오후 3:05:00"), "2024-03-26T06:05:00+00:00");
        assert_eq!(p("2024-03-26 오전 12:30:00"), "2024-03-25T15:30:00+00:00");
        assert_eq!(p("2024년 3월 26일 10:00"), "2024-03-26T01:00:00+00:00");
        assert_eq!(
            p("2024년 3월 26일 오후 3시 40분"),
            "2024-03-26T06:40:00+00:00"
        );
        assert_eq!(p("2024년 3월 26일 오전 9시"), "2024-03-26T00:00:00+00:00");
    }

    #[test]
    fn multibyte_text_where_a_zone_would_be_never_panics() {
        for s in [
            "Tue, 26 Mar 2024 10:00:00 +12가",
            "26 Mar 2024 10:00 x+1가나",
            "2024-03-26 10:00:00 +09:0가",
            "+12가 ",
            "오전 오후 년월일",
        ] {
            let _ = parse_date(s, utc());
        }
    }

    #[test]
    fn garbage_is_none() {
        assert_eq!(p("yesterday"), "");
        assert_eq!(p(""), "");
        assert_eq!(p("오늘"), "");
    }
}
