//! When to poll a feed next. Pure: the composer gives it what the last fetch said, it returns
//! the interval and why.
//!
//! - Success: the configured interval, adapted to how often the feed really publishes (half its
//!   typical gap between items, so a new item waits half a gap on average), within the bounds.
//! - The server's hints are a floor: HTTP freshness (`Cache-Control: max-age`, `Expires`) and
//!   the feed's own `<ttl>` / `sy:updatePeriod`, capped at a day.
//! - A fetch whose items were all new while the feed's window was full probably missed items:
//!   poll again at the lower bound.
//! - Failure: the interval doubles with each failure in a row, capped; `Retry-After` is a floor.
//! - Jitter of ±10 %, stable per feed and round, so feeds of one site do not fire together.

use std::time::Duration;

use serde::Serialize;

/// The bounds and defaults that apply to one feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// The configured interval (global default or the feed's own).
    pub configured: Duration,
    /// Adaptation stays within these.
    pub min: Duration,
    pub max: Duration,
    /// Longest wait after failures.
    pub max_backoff: Duration,
}

/// Why the interval is what it is. Shown by `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    Configured,
    Adaptive,
    ServerHint,
    Overflow,
    Backoff,
    RetryAfter,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Configured => "configured",
            Reason::Adaptive => "adaptive",
            Reason::ServerHint => "server-hint",
            Reason::Overflow => "overflow",
            Reason::Backoff => "backoff",
            Reason::RetryAfter => "retry-after",
        }
    }
}

/// What the last fetch said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success {
        /// The feed's typical gap between items, if known.
        cadence: Option<Duration>,
        /// The largest server hint (freshness, ttl, sy:updatePeriod), if any.
        hint: Option<Duration>,
        /// All items new and the window full: items were probably missed.
        overflow: bool,
    },
    Failure {
        /// Failures in a row, this one included (≥ 1).
        streak: u32,
        retry_after: Option<Duration>,
    },
}

/// Longest server hint honoured.
pub const MAX_HINT: Duration = Duration::from_secs(24 * 3600);

/// The next interval (before jitter) and its reason.
pub fn interval(policy: &Policy, outcome: Outcome) -> (Duration, Reason) {
    match outcome {
        Outcome::Failure {
            streak,
            retry_after,
        } => {
            let doublings = streak.saturating_sub(1).min(20);
            let backoff = policy
                .configured
                .saturating_mul(1u32 << doublings)
                .min(policy.max_backoff.max(policy.configured));
            match retry_after.map(|r| r.min(MAX_HINT)) {
                Some(r) if r > backoff => (r, Reason::RetryAfter),
                _ => (backoff, Reason::Backoff),
            }
        }
        Outcome::Success {
            cadence,
            hint,
            overflow,
        } => {
            let (base, reason) = if overflow {
                (policy.min, Reason::Overflow)
            } else if let Some(c) = cadence {
                ((c / 2).clamp(policy.min, policy.max), Reason::Adaptive)
            } else {
                (policy.configured, Reason::Configured)
            };
            match hint.map(|h| h.min(MAX_HINT)) {
                Some(h) if h > base => (h, Reason::ServerHint),
                _ => (base, reason),
            }
        }
    }
}

/// `interval` moved by up to ±10 %, the same for the same feed and round.
pub fn jitter(interval: Duration, feed_id: i64, round: u64) -> Duration {
    // SplitMix64 of (feed, round): cheap, stable, well spread.
    let mut z = (feed_id as u64)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(round);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    let unit = (z >> 11) as f64 / (1u64 << 53) as f64; // [0, 1)
    interval.mul_f64(0.9 + 0.2 * unit)
}

/// The typical gap between items: the median gap between consecutive distinct publication
/// times (unix seconds, any order). Needs three dated items.
pub fn cadence(mut published: Vec<i64>) -> Option<Duration> {
    published.sort_unstable();
    published.dedup();
    if published.len() < 3 {
        return None;
    }
    let mut gaps: Vec<i64> = published.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.sort_unstable();
    // The lower median: between two candidates, the shorter gap (poll a little sooner).
    let median = gaps[(gaps.len() - 1) / 2];
    Some(Duration::from_secs(median.max(1) as u64))
}

/// A feed is stale when nothing new arrived for ten of its usual gaps (and at least six hours).
pub fn is_stale(silent_for: Duration, cadence: Option<Duration>) -> bool {
    let usual = cadence.unwrap_or(Duration::from_secs(3600));
    silent_for > (usual * 10).max(Duration::from_secs(6 * 3600))
}

/// The feed's own refresh hint: `<ttl>` minutes, or `sy:updatePeriod` / `sy:updateFrequency`.
pub fn feed_hint(ttl_minutes: Option<u32>, sy: Option<(Duration, u32)>) -> Option<Duration> {
    let ttl = ttl_minutes
        .filter(|m| *m > 0)
        .map(|m| Duration::from_secs(u64::from(m) * 60));
    let sy = sy.map(|(period, freq)| period / freq.max(1));
    ttl.max(sy)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);
    fn mins(m: u64) -> Duration {
        Duration::from_secs(m * 60)
    }
    fn policy() -> Policy {
        Policy {
            configured: mins(10),
            min: MIN,
            max: mins(60),
            max_backoff: mins(360),
        }
    }
    fn success(cadence: Option<Duration>, hint: Option<Duration>, overflow: bool) -> Outcome {
        Outcome::Success {
            cadence,
            hint,
            overflow,
        }
    }

    #[test]
    fn configured_then_adaptive_within_bounds() {
        let p = policy();
        assert_eq!(
            interval(&p, success(None, None, false)),
            (mins(10), Reason::Configured)
        );
        assert_eq!(
            interval(&p, success(Some(mins(30)), None, false)),
            (mins(15), Reason::Adaptive)
        );
        assert_eq!(
            interval(&p, success(Some(Duration::from_secs(20)), None, false)),
            (MIN, Reason::Adaptive)
        );
        assert_eq!(
            interval(&p, success(Some(mins(600)), None, false)),
            (mins(60), Reason::Adaptive)
        );
    }

    #[test]
    fn server_hints_are_a_floor_capped_at_a_day() {
        let p = policy();
        assert_eq!(
            interval(&p, success(Some(mins(4)), Some(mins(30)), false)),
            (mins(30), Reason::ServerHint)
        );
        assert_eq!(
            interval(&p, success(None, Some(mins(5)), false)),
            (mins(10), Reason::Configured)
        );
        assert_eq!(
            interval(&p, success(None, Some(mins(100_000)), false)),
            (MAX_HINT, Reason::ServerHint)
        );
    }

    #[test]
    fn overflow_polls_sooner_unless_the_server_says_otherwise() {
        let p = policy();
        assert_eq!(
            interval(&p, success(Some(mins(30)), None, true)),
            (MIN, Reason::Overflow)
        );
        assert_eq!(
            interval(&p, success(None, Some(mins(5)), true)),
            (mins(5), Reason::ServerHint)
        );
    }

    #[test]
    fn failures_back_off_exponentially_capped_with_retry_after_floor() {
        let p = policy();
        let fail = |streak, retry_after| {
            interval(
                &p,
                Outcome::Failure {
                    streak,
                    retry_after,
                },
            )
        };
        assert_eq!(fail(1, None), (mins(10), Reason::Backoff));
        assert_eq!(fail(2, None), (mins(20), Reason::Backoff));
        assert_eq!(fail(4, None), (mins(80), Reason::Backoff));
        assert_eq!(fail(10, None), (mins(360), Reason::Backoff));
        assert_eq!(fail(u32::MAX, None), (mins(360), Reason::Backoff));
        assert_eq!(fail(1, Some(mins(45))), (mins(45), Reason::RetryAfter));
        assert_eq!(fail(4, Some(mins(45))), (mins(80), Reason::Backoff));
    }

    #[test]
    fn jitter_stays_within_ten_percent_and_spreads() {
        let base = mins(10);
        let mut seen = std::collections::HashSet::new();
        for feed in 0..200 {
            let j = jitter(base, feed, 3);
            assert!(j >= base.mul_f64(0.9) && j <= base.mul_f64(1.1), "{j:?}");
            assert_eq!(j, jitter(base, feed, 3), "stable");
            seen.insert(j.as_secs());
        }
        assert!(
            seen.len() > 50,
            "feeds of one site spread out: {}",
            seen.len()
        );
    }

    #[test]
    fn cadence_is_the_median_gap() {
        assert_eq!(cadence(vec![0, 600, 1200, 1800, 9000]), Some(mins(10)));
        assert_eq!(cadence(vec![1800, 0, 600, 600]), Some(mins(10)));
        assert_eq!(cadence(vec![5, 5, 5]), None);
        assert_eq!(cadence(vec![]), None);
    }

    #[test]
    fn staleness() {
        assert!(!is_stale(mins(60), Some(mins(10))));
        assert!(is_stale(mins(361), Some(mins(10))));
        assert!(!is_stale(mins(361), Some(mins(60))));
        assert!(is_stale(mins(601), Some(mins(60))));
    }

    #[test]
    fn feed_hints() {
        assert_eq!(feed_hint(Some(30), None), Some(mins(30)));
        assert_eq!(feed_hint(None, Some((mins(60), 2))), Some(mins(30)));
        assert_eq!(feed_hint(Some(5), Some((mins(1440), 1))), Some(mins(1440)));
        assert_eq!(feed_hint(Some(0), None), None);
    }
}
