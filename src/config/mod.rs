//! Configuration: two TOML files, read strictly (unknown keys are errors), then validated into
//! typed values. Every error names the file, the line and column, and the key at fault.
//! Relative paths resolve against the directory of the file that names them.
//!
//! This module depends on no other module of the crate. The syntax of watchlist terms and
//! queries is not known here: [`load`] and [`parse_watchlists`] ask a [`TermSyntax`] the caller
//! passes in (the watch module's, which loads configs with it).
//!
//! - `mod.rs`: [`Config`], [`load`] and the main file's own keys.
//! - `raw.rs`: both files as deserialised, before any check.
//! - `error.rs`: [`Location`] and [`ConfigError`].
//! - `values.rs`: durations and UTC offsets.
//! - `feeds.rs`: `[defaults]` and `[[feed]]`.
//! - `alerts.rs`: `[[sink]]`, `[alerts]` and alert priorities.
//! - `watchlists.rs`: the watchlist file, [`Field`] and [`TermSyntax`].
//! - `stories.rs`: `[stories]` and `[retention]`.
//! - `service.rs`: `[[atom]]`, `[rematch]` and `[metrics]`.

mod alerts;
mod error;
mod feeds;
mod raw;
mod service;
mod stories;
mod values;
mod watchlists;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use alerts::parse_sink;
use error::line_col;
use feeds::feed_url;
use raw::{RawConfig, from_toml, read};
use values::duration;
use watchlists::{Known, load_watchlists};

pub use alerts::{Priority, RetryPolicy, SinkConfig, SinkKind, WebhookFormat};
pub use error::{ConfigError, Location};
pub use feeds::{Defaults, FeedConfig};
pub use service::{AtomExport, METRICS_LISTEN, RematchConfig};
pub use stories::{RetentionConfig, StoriesConfig};
pub use values::timezone;
pub use watchlists::{Field, TermError, TermSpec, TermSyntax, WatchlistSpec, parse_watchlists};

/// The default location of the main config file when no `--config` or `AGGREGATOR_CONFIG` is
/// given and `./config/aggregator.toml` does not exist.
pub const SYSTEM_CONFIG: &str = "/etc/aggregator/aggregator.toml";

/// Environment variable that, when set, replaces the config's `database`.
pub const DATABASE_ENV: &str = "AGGREGATOR_DATABASE";

/// A fully validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The main config file this was read from.
    pub path: PathBuf,
    pub database: PathBuf,
    /// The watchlist file, if the config names one.
    pub watchlists_path: Option<PathBuf>,
    pub watchlists: Vec<WatchlistSpec>,
    pub defaults: Defaults,
    pub feeds: Vec<FeedConfig>,
    pub stories: StoriesConfig,
    /// Alert destinations (`[[sink]]`), named by watchlists' `alerts`.
    pub sinks: Vec<SinkConfig>,
    /// Delivery retries (`[alerts]`).
    pub retry: RetryPolicy,
    /// Atom files the daemon keeps up to date (`[[atom]]`).
    pub atom: Vec<AtomExport>,
    /// Re-checking stored items when watchlists change (`[rematch]`).
    pub rematch: RematchConfig,
    /// How long stored stories are kept (`[retention]`).
    pub retention: RetentionConfig,
    /// The Prometheus endpoint (`[metrics]`), when enabled.
    pub metrics: Option<std::net::SocketAddr>,
}

/// Chooses the main config file: `explicit` (from `--config` or `AGGREGATOR_CONFIG`), else
/// `./config/aggregator.toml` if it exists, else [`SYSTEM_CONFIG`].
pub fn resolve_path(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    let local = Path::new("config/aggregator.toml");
    if local.exists() {
        local.to_path_buf()
    } else {
        PathBuf::from(SYSTEM_CONFIG)
    }
}

/// Reads and validates the main config file and the watchlist file it names. Config does not
/// know the syntax of watchlist terms and queries: `syntax` checks each (the watch module's
/// `Syntax`; `watch::load_config` loads with it), and what it rejects is reported at its line
/// and column.
pub fn load(path: &Path, syntax: &dyn TermSyntax) -> Result<Config, ConfigError> {
    let src = read(path)?;
    let raw: RawConfig = from_toml(path, &src)?;
    let base = path.parent().unwrap_or(Path::new("."));
    let invalid = |span: Range<usize>, key: &str, message: String| ConfigError::Invalid {
        at: Location::at(path, &src, Some(span)),
        key: key.into(),
        message,
    };

    let database = match &raw.database {
        Some(db) if db.get_ref().trim().is_empty() => {
            return Err(invalid(db.span(), "database", "must not be empty".into()));
        }
        Some(db) => base.join(db.get_ref()),
        None => base.join("aggregator.db"),
    };
    // The service unit points the database into its state directory this way, so one config
    // file serves both a checkout and an installed service.
    let database = match std::env::var_os(DATABASE_ENV) {
        Some(db) if !db.is_empty() => PathBuf::from(db),
        _ => database,
    };

    let mut defaults = Defaults::default();
    if let Some(d) = &raw.defaults {
        let d = d.get_ref();
        if let Some(v) = &d.interval {
            defaults.interval = duration(v, "defaults.interval", Duration::from_secs(10))
                .map_err(|m| invalid(v.span(), "defaults.interval", m))?;
        }
        if let Some(v) = &d.timeout {
            defaults.timeout = duration(v, "defaults.timeout", Duration::from_secs(1))
                .map_err(|m| invalid(v.span(), "defaults.timeout", m))?;
        }
        if let Some(v) = &d.connect_timeout {
            defaults.connect_timeout =
                duration(v, "defaults.connect_timeout", Duration::from_millis(100))
                    .map_err(|m| invalid(v.span(), "defaults.connect_timeout", m))?;
        }
        if let Some(v) = &d.max_body_bytes {
            let n = *v.get_ref();
            if !(1024..=1024 * 1024 * 1024).contains(&n) {
                return Err(invalid(
                    v.span(),
                    "defaults.max_body_bytes",
                    format!("{n} is out of range (1024 to 1073741824)"),
                ));
            }
            defaults.max_body_bytes = n as u64;
        }
        if let Some(v) = &d.user_agent {
            let ua = v.get_ref().trim();
            if ua.is_empty() || ua.chars().any(|c| c.is_control()) {
                return Err(invalid(
                    v.span(),
                    "defaults.user_agent",
                    "must be non-empty printable text".into(),
                ));
            }
            defaults.user_agent = ua.to_string();
        }
        if let Some(v) = &d.timezone {
            defaults.timezone =
                timezone(v.get_ref()).map_err(|m| invalid(v.span(), "defaults.timezone", m))?;
        }
        if let Some(v) = &d.concurrency {
            let n = *v.get_ref();
            if !(1..=256).contains(&n) {
                return Err(invalid(
                    v.span(),
                    "defaults.concurrency",
                    format!("{n} is out of range (1 to 256)"),
                ));
            }
            defaults.concurrency = n as usize;
        }
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
                *slot = duration(v, key, min).map_err(|m| invalid(v.span(), key, m))?;
            }
        }
        if defaults.min_interval > defaults.max_interval
            && let Some(v) = d.min_interval.as_ref().or(d.max_interval.as_ref())
        {
            return Err(invalid(
                v.span(),
                "defaults.min_interval",
                "min_interval is longer than max_interval".into(),
            ));
        }
        if let Some(v) = &d.per_host {
            let n = *v.get_ref();
            if !(1..=64).contains(&n) {
                return Err(invalid(
                    v.span(),
                    "defaults.per_host",
                    format!("{n} is out of range (1 to 64)"),
                ));
            }
            defaults.per_host = n as usize;
        }
    }

    let mut feeds = Vec::with_capacity(raw.feeds.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for feed in &raw.feeds {
        let f = feed.get_ref();
        let name = f.name.get_ref().trim();
        if name.is_empty() || name.chars().any(|c| c.is_control()) {
            return Err(invalid(
                f.name.span(),
                "feed.name",
                "must be non-empty printable text".into(),
            ));
        }
        if let Some(first) = seen.get(name) {
            return Err(invalid(
                f.name.span(),
                "feed.name",
                format!("duplicate feed name {name:?} (first defined on line {first})"),
            ));
        }
        seen.insert(name.to_string(), line_col(&src, f.name.span().start).0);
        let url = feed_url(f.url.get_ref(), base)
            .map_err(|m| invalid(f.url.span(), "feed.url", format!("feed {name:?}: {m}")))?;
        let interval = match &f.interval {
            Some(v) => duration(v, "feed.interval", Duration::from_secs(10))
                .map_err(|m| invalid(v.span(), "feed.interval", format!("feed {name:?}: {m}")))?,
            None => defaults.interval,
        };
        let timezone = match &f.timezone {
            Some(v) => timezone(v.get_ref())
                .map_err(|m| invalid(v.span(), "feed.timezone", format!("feed {name:?}: {m}")))?,
            None => defaults.timezone,
        };
        feeds.push(FeedConfig {
            name: name.to_string(),
            url,
            interval,
            timezone,
        });
    }

    let mut sinks: Vec<SinkConfig> = Vec::new();
    for sink in &raw.sinks {
        let parsed = parse_sink(sink.get_ref(), &|span, key, m| invalid(span, key, m))?;
        if sinks.iter().any(|s| s.name == parsed.name) {
            return Err(invalid(
                sink.get_ref().name.span(),
                "sink.name",
                format!("duplicate sink name {:?}", parsed.name),
            ));
        }
        sinks.push(parsed);
    }
    let mut retry = RetryPolicy::default();
    if let Some(a) = &raw.alerts {
        if let Some(v) = &a.backoff {
            retry.backoff = duration(v, "alerts.backoff", Duration::from_millis(10))
                .map_err(|m| invalid(v.span(), "alerts.backoff", m))?;
        }
        if let Some(v) = &a.max_backoff {
            retry.max_backoff = duration(v, "alerts.max_backoff", Duration::from_millis(10))
                .map_err(|m| invalid(v.span(), "alerts.max_backoff", m))?;
        }
        if let Some(v) = &a.max_attempts {
            let n = *v.get_ref();
            if !(1..=1000).contains(&n) {
                return Err(invalid(
                    v.span(),
                    "alerts.max_attempts",
                    format!("{n} is out of range (1 to 1000)"),
                ));
            }
            retry.max_attempts = n as u32;
        }
    }
    let mut rematch = RematchConfig::default();
    if let Some(r) = &raw.rematch {
        if let Some(v) = &r.window {
            rematch.window = duration(v, "rematch.window", Duration::ZERO)
                .map_err(|m| invalid(v.span(), "rematch.window", m))?;
        }
        rematch.alerts = r.alerts.unwrap_or(false);
    }

    let (watchlists_path, watchlists) = match &raw.watchlists {
        None => (None, Vec::new()),
        Some(w) => {
            let wpath = base.join(w.get_ref());
            let wsrc = std::fs::read_to_string(&wpath).map_err(|e| {
                invalid(
                    w.span(),
                    "watchlists",
                    format!("cannot read watchlist file {}: {e}", wpath.display()),
                )
            })?;
            let known = Known {
                feeds: feeds.iter().map(|f| f.name.as_str()).collect(),
                sinks: sinks.iter().map(|s| s.name.as_str()).collect(),
            };
            let specs = load_watchlists(&wpath, &wsrc, Some(&known), syntax)?;
            (Some(wpath), specs)
        }
    };

    let mut stories = StoriesConfig::default();
    if let Some(v) = raw.stories.as_ref().and_then(|s| s.window.as_ref()) {
        stories.window = duration(v, "stories.window", Duration::from_secs(60))
            .map_err(|m| invalid(v.span(), "stories.window", m))?;
        if stories.window > Duration::from_secs(30 * 86400) {
            return Err(invalid(
                v.span(),
                "stories.window",
                "is longer than 30 days".into(),
            ));
        }
    }

    let mut retention = RetentionConfig::default();
    if let Some(r) = &raw.retention {
        for (value, key, slot) in [
            (&r.items, "retention.items", &mut retention.items),
            (&r.matched, "retention.matched", &mut retention.matched),
        ] {
            if let Some(v) = value {
                *slot = if v.get_ref().trim() == "forever" {
                    None
                } else {
                    Some(
                        duration(v, key, Duration::from_secs(86400))
                            .map_err(|m| invalid(v.span(), key, format!("{m} (or \"forever\")")))?,
                    )
                };
            }
        }
        // `matched` unset: a year, or `items` if that is longer (or forever).
        if r.matched.is_none() {
            retention.matched = retention
                .items
                .map(|items| items.max(Duration::from_secs(365 * 86400)));
        }
        let shorter = match (retention.items, retention.matched) {
            (Some(items), Some(matched)) => matched < items,
            (None, Some(_)) => true,
            _ => false,
        };
        if shorter && let Some(v) = r.matched.as_ref().or(r.items.as_ref()) {
            return Err(invalid(
                v.span(),
                "retention.matched",
                "is shorter than retention.items: stories that matched would go first".into(),
            ));
        }
        // The story index remembers items of the last two windows: never prune those.
        let floor = stories.window * 2 + Duration::from_secs(86400);
        if let (Some(items), Some(v)) = (retention.items, &r.items)
            && items < floor
        {
            return Err(invalid(
                v.span(),
                "retention.items",
                format!(
                    "is shorter than twice [stories] window plus a day ({})",
                    humantime::format_duration(floor)
                ),
            ));
        }
    }
    let mut metrics = None;
    if let Some(m) = &raw.metrics
        && m.enabled.unwrap_or(false)
    {
        let addr = match &m.listen {
            Some(v) => v
                .get_ref()
                .trim()
                .parse::<std::net::SocketAddr>()
                .map_err(|e| {
                    invalid(
                        v.span(),
                        "metrics.listen",
                        format!(
                            "{:?} is not an address like \"127.0.0.1:9464\": {e}",
                            v.get_ref()
                        ),
                    )
                })?,
            None => METRICS_LISTEN.parse().expect("valid default"),
        };
        metrics = Some(addr);
    }

    let mut atom = Vec::new();
    for a in &raw.atom {
        let a = a.get_ref();
        let name = a.watchlist.get_ref().trim();
        if !watchlists.iter().any(|w| w.name == name) {
            return Err(invalid(
                a.watchlist.span(),
                "atom.watchlist",
                format!("no watchlist is named {name:?}"),
            ));
        }
        if a.path.get_ref().trim().is_empty() {
            return Err(invalid(
                a.path.span(),
                "atom.path",
                "must not be empty".into(),
            ));
        }
        let since = match &a.since {
            Some(v) => duration(v, "atom.since", Duration::from_secs(60))
                .map_err(|m| invalid(v.span(), "atom.since", m))?,
            None => Duration::from_secs(7 * 86400),
        };
        let limit = match &a.limit {
            Some(v) if !(1..=10_000).contains(v.get_ref()) => {
                return Err(invalid(
                    v.span(),
                    "atom.limit",
                    format!("{} is out of range (1 to 10000)", v.get_ref()),
                ));
            }
            Some(v) => *v.get_ref() as usize,
            None => 100,
        };
        atom.push(AtomExport {
            watchlist: name.to_string(),
            path: base.join(a.path.get_ref().trim()),
            since,
            limit,
        });
    }

    Ok(Config {
        path: path.to_path_buf(),
        database,
        watchlists_path,
        watchlists,
        defaults,
        feeds,
        stories,
        sinks,
        retry,
        atom,
        rematch,
        retention,
        metrics,
    })
}
