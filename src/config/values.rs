//! Single values every section reads alike: durations, bounded integers and UTC offsets.

use std::ops::RangeInclusive;
use std::time::Duration;

use chrono::FixedOffset;
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

/// `+09:00`, `-05:00`, `UTC`/`Z`, or `KST` (the common case for this tool's sources).
pub fn timezone(s: &str) -> Result<FixedOffset, String> {
    let t = s.trim();
    match t.to_ascii_uppercase().as_str() {
        "UTC" | "Z" | "GMT" => return Ok(FixedOffset::east_opt(0).expect("valid")),
        "KST" | "JST" => {
            return Ok(FixedOffset::east_opt(KST_SECONDS).expect("valid"));
        }
        _ => {}
    }
    t.parse::<FixedOffset>()
        .map_err(|_| format!("{s:?} is not a UTC offset like \"+09:00\" (or UTC, KST)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timezones() {
        assert_eq!(timezone("+09:00").unwrap().local_minus_utc(), 9 * 3600);
        assert_eq!(timezone("KST").unwrap().local_minus_utc(), 9 * 3600);
        assert_eq!(timezone("utc").unwrap().local_minus_utc(), 0);
        assert!(timezone("nine").is_err());
    }
}
