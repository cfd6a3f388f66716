//! `[defaults]` and `[[feed]]`: the feeds to poll and the settings they share.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};

use toml::Spanned;
use url::Url;

use super::error::{ConfigError, Source};
use super::raw::{RawDefaults, RawFeed};
use super::values::{Zone, bounded, duration, instant, timezone};

/// Settings that apply to every feed unless the feed overrides them.
#[derive(Debug, Clone)]
pub struct Defaults {
    pub interval: Duration,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub max_body_bytes: u64,
    pub user_agent: String,
    pub timezone: Zone,
    /// When the feeds' files were captured (see [`FeedConfig::captured_at`]).
    pub captured_at: Option<DateTime<Utc>>,
    pub concurrency: usize,
    /// Adaptive intervals stay within these bounds.
    pub min_interval: Duration,
    pub max_interval: Duration,
    /// Longest wait after failures in a row.
    pub max_backoff: Duration,
    /// Fetches to one host at once, and the least time between two starts to one host.
    pub per_host: usize,
    pub host_spacing: Duration,
}

impl Default for Defaults {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(15 * 60),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_body_bytes: 5 * 1024 * 1024,
            user_agent: format!(
                "aggregator/{} (feed reader; polite polling)",
                env!("CARGO_PKG_VERSION")
            ),
            timezone: Zone::utc(),
            captured_at: None,
            concurrency: 8,
            min_interval: Duration::from_secs(60),
            max_interval: Duration::from_secs(3600),
            max_backoff: Duration::from_secs(6 * 3600),
            per_host: 2,
            host_spacing: Duration::from_secs(1),
        }
    }
}

/// One configured feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedConfig {
    pub name: String,
    /// http(s) or file URL (paths in the config become absolute `file://` URLs).
    pub url: Url,
    pub interval: Duration,
    /// The zone for dates in this feed that name none.
    pub timezone: Zone,
    /// When this feed's content was captured, for a replayed capture (the bundled demo): its
    /// items' dates move forward by the time elapsed since, so it reads as current. `None`:
    /// dates as written.
    pub captured_at: Option<DateTime<Utc>>,
}

/// `[defaults]`: every key given replaces the built-in value.
pub(super) fn defaults(raw: Option<&RawDefaults>, src: Source) -> Result<Defaults, ConfigError> {
    let mut defaults = Defaults::default();
    let Some(d) = raw else {
        return Ok(defaults);
    };
    if let Some(v) = &d.interval {
        defaults.interval = duration(v, Duration::from_secs(10))
            .map_err(|m| src.invalid(v.span(), "defaults.interval", m))?;
    }
    if let Some(v) = &d.timeout {
        defaults.timeout = duration(v, Duration::from_secs(1))
            .map_err(|m| src.invalid(v.span(), "defaults.timeout", m))?;
    }
    if let Some(v) = &d.connect_timeout {
        defaults.connect_timeout = duration(v, Duration::from_millis(100))
            .map_err(|m| src.invalid(v.span(), "defaults.connect_timeout", m))?;
    }
    if let Some(v) = &d.max_body_bytes {
        defaults.max_body_bytes = bounded(v, 1024..=1024 * 1024 * 1024)
            .map_err(|m| src.invalid(v.span(), "defaults.max_body_bytes", m))?
            as u64;
    }
    if let Some(v) = &d.user_agent {
        let ua = v.get_ref().trim();
        if ua.is_empty() || ua.chars().any(|c| c.is_control()) {
            return Err(src.invalid(
                v.span(),
                "defaults.user_agent",
                "must be non-empty printable text".into(),
            ));
        }
        defaults.user_agent = ua.to_string();
    }
    if let Some(v) = &d.timezone {
        defaults.timezone =
            timezone(v.get_ref()).map_err(|m| src.invalid(v.span(), "defaults.timezone", m))?;
    }
    if let Some(v) = &d.captured_at {
        defaults.captured_at = Some(
            instant(v.get_ref()).map_err(|m| src.invalid(v.span(), "defaults.captured_at", m))?,
        );
    }
    if let Some(v) = &d.concurrency {
        defaults.concurrency = bounded(v, 1..=256)
            .map_err(|m| src.invalid(v.span(), "defaults.concurrency", m))?
            as usize;
    }
    pacing(d, &mut defaults, src)?;
    Ok(defaults)
}

/// The `[defaults]` keys that pace polling: interval bounds, backoff, per-host limits.
fn pacing(d: &RawDefaults, defaults: &mut Defaults, src: Source) -> Result<(), ConfigError> {
    let durations = [
        (
            &d.min_interval,
            "defaults.min_interval",
            Duration::from_secs(10),
            &mut defaults.min_interval,
        ),
        (
            &d.max_interval,
            "defaults.max_interval",
            Duration::from_secs(10),
            &mut defaults.max_interval,
        ),
        (
            &d.max_backoff,
            "defaults.max_backoff",
            Duration::from_secs(10),
            &mut defaults.max_backoff,
        ),
        (
            &d.host_spacing,
            "defaults.host_spacing",
            Duration::ZERO,
            &mut defaults.host_spacing,
        ),
    ];
    for (value, key, min, slot) in durations {
        if let Some(v) = value {
            *slot = duration(v, min).map_err(|m| src.invalid(v.span(), key, m))?;
        }
    }
    if defaults.min_interval > defaults.max_interval
        && let Some(v) = d.min_interval.as_ref().or(d.max_interval.as_ref())
    {
        return Err(src.invalid(
            v.span(),
            "defaults.min_interval",
            "min_interval is longer than max_interval".into(),
        ));
    }
    if let Some(v) = &d.per_host {
        defaults.per_host =
            bounded(v, 1..=64).map_err(|m| src.invalid(v.span(), "defaults.per_host", m))? as usize;
    }
    Ok(())
}

/// `[[feed]]`: names unique and printable, URLs usable, overrides of `defaults` checked.
pub(super) fn feeds(
    raw: &[Spanned<RawFeed>],
    defaults: &Defaults,
    base: &Path,
    src: Source,
) -> Result<Vec<FeedConfig>, ConfigError> {
    let mut feeds = Vec::with_capacity(raw.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for feed in raw {
        let f = feed.get_ref();
        let name = f.name.get_ref().trim();
        if name.is_empty() || name.chars().any(|c| c.is_control()) {
            return Err(src.invalid(
                f.name.span(),
                "feed.name",
                "must be non-empty printable text".into(),
            ));
        }
        if let Some(first) = seen.get(name) {
            return Err(src.invalid(
                f.name.span(),
                "feed.name",
                format!("duplicate feed name {name:?} (first defined on line {first})"),
            ));
        }
        seen.insert(name.to_string(), src.line(f.name.span().start));
        let invalid = |span, key, m| src.invalid(span, key, format!("feed {name:?}: {m}"));
        let url =
            feed_url(f.url.get_ref(), base).map_err(|m| invalid(f.url.span(), "feed.url", m))?;
        let interval = match &f.interval {
            Some(v) => duration(v, Duration::from_secs(10))
                .map_err(|m| invalid(v.span(), "feed.interval", m))?,
            None => defaults.interval,
        };
        let timezone = match &f.timezone {
            Some(v) => timezone(v.get_ref()).map_err(|m| invalid(v.span(), "feed.timezone", m))?,
            None => defaults.timezone,
        };
        let captured_at = match &f.captured_at {
            Some(v) => {
                Some(instant(v.get_ref()).map_err(|m| invalid(v.span(), "feed.captured_at", m))?)
            }
            None => defaults.captured_at,
        };
        feeds.push(FeedConfig {
            name: name.to_string(),
            url,
            interval,
            timezone,
            captured_at,
        });
    }
    Ok(feeds)
}

/// A feed's `url`: http(s), `file://`, or a path relative to the config file's directory.
fn feed_url(raw: &str, base: &Path) -> Result<Url, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("url must not be empty".into());
    }
    match Url::parse(raw) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {
            if u.host_str().is_none_or(str::is_empty) {
                return Err(format!("{raw:?} has no host"));
            }
            Ok(u)
        }
        Ok(u) if u.scheme() == "file" => match u.host_str() {
            None | Some("") | Some("localhost") => Ok(u),
            Some(host) => Err(format!(
                "{raw:?} names host {host:?}: file URLs are local (file:///path)"
            )),
        },
        Ok(u) if u.scheme().len() > 1 => Err(format!(
            "unsupported scheme {:?} in {raw:?} (use http, https, file or a path)",
            u.scheme()
        )),
        // Something that was meant as a web address must not quietly become a file path.
        Err(e) if looks_like_web_url(raw) => Err(format!("{raw:?} is not a valid URL: {e}")),
        _ if looks_like_web_url(raw) => Err(format!("{raw:?} is not a valid URL")),
        _ => {
            let p = base.join(raw);
            let abs = std::path::absolute(&p)
                .map_err(|e| format!("cannot resolve path {}: {e}", p.display()))?;
            Url::from_file_path(super::paths::normalise(&abs))
                .map_err(|_| format!("cannot turn {} into a file URL", abs.display()))
        }
    }
}

fn looks_like_web_url(raw: &str) -> bool {
    let lower = raw.to_ascii_lowercase();
    ["http:", "https:", "http//", "https//", "www."]
        .iter()
        .any(|p| lower.starts_with(p))
        || raw.contains("://")
}
