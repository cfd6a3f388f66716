//! `[defaults]` and `[[feed]]`: the feeds to poll and the settings they share.

use std::path::Path;
use std::time::Duration;

use chrono::FixedOffset;
use url::Url;

/// Settings that apply to every feed unless the feed overrides them.
#[derive(Debug, Clone)]
pub struct Defaults {
    pub interval: Duration,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub max_body_bytes: u64,
    pub user_agent: String,
    pub timezone: FixedOffset,
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
            timezone: FixedOffset::east_opt(0).expect("zero offset is valid"),
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
    pub timezone: FixedOffset,
}

/// A feed's `url`: http(s), `file://`, or a path relative to the config file's directory.
pub(super) fn feed_url(raw: &str, base: &Path) -> Result<Url, String> {
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
            Url::from_file_path(&abs)
                .map_err(|_| format!("cannot turn {} into a file URL", abs.display()))
        }
    }
}

pub(super) fn looks_like_web_url(raw: &str) -> bool {
    let lower = raw.to_ascii_lowercase();
    ["http:", "https:", "http//", "https//", "www."]
        .iter()
        .any(|p| lower.starts_with(p))
        || raw.contains("://")
}
