//! `parse::date::parse_date`: every timestamp string a feed may carry.
//!
//! Input: bytes 0–1 choose the default zone (any valid offset, ±23:59:59); the rest, as UTF-8
//! (lossy), is the date text.
//!
//! Oracle: no panic; a date it returns is a real instant, and, when representable in RFC 3339
//! (years 0–9999), its RFC 3339 form parses back to the same instant whatever the default zone.
//! (Instants, not `DateTime` values: chrono keeps a leap second `…:60` converted to another
//! zone as `:59` plus over a second of nanoseconds, which re-parses as the same instant with a
//! different representation.)
#![no_main]

use aggregator::parse::date::parse_date;
use chrono::{DateTime, Datelike, FixedOffset, SecondsFormat, Utc};
use libfuzzer_sys::fuzz_target;

fn instant(t: DateTime<Utc>) -> i128 {
    i128::from(t.timestamp()) * 1_000_000_000 + i128::from(t.timestamp_subsec_nanos())
}

fuzz_target!(|data: &[u8]| {
    let Some((zone, text)) = data.split_first_chunk::<2>() else {
        return;
    };
    let secs = i32::from(i16::from_le_bytes(*zone)) * 3 % 86_400;
    let offset = FixedOffset::east_opt(secs).expect("|secs| < 86400");
    let text = String::from_utf8_lossy(text);
    let Some(dt) = parse_date(&text, offset) else {
        return;
    };
    if (0..=9999).contains(&dt.year()) {
        let again = dt.to_rfc3339_opts(SecondsFormat::AutoSi, true);
        let other = FixedOffset::east_opt(-secs).expect("valid");
        assert_eq!(
            parse_date(&again, other).map(instant),
            Some(instant(dt)),
            "{again}"
        );
    }
});
