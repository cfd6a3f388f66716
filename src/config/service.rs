//! What the running service does besides polling: `[[atom]]` files kept up to date, `[rematch]`
//! after watchlist changes, and the `[metrics]` endpoint.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;

use super::error::{ConfigError, Source};
use super::raw::{RawAtom, RawMetrics, RawRematch};
use super::values::{bounded, duration};
use super::watchlists::WatchlistSpec;

/// Where the metrics endpoint listens when `[metrics] enabled = true` names no address.
pub const METRICS_LISTEN: &str = "127.0.0.1:9464";

/// An Atom file of one watchlist's stories, rewritten by the daemon when they change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtomExport {
    pub watchlist: String,
    pub path: PathBuf,
    /// How far back the file reaches.
    pub since: Duration,
    /// At most this many stories.
    pub limit: usize,
}

/// What the daemon does when a reload changes watchlists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RematchConfig {
    /// Stored items first seen within this look-back are re-checked (zero: never).
    pub window: Duration,
    /// Whether stories that newly match on a re-check raise alerts.
    pub alerts: bool,
}

impl Default for RematchConfig {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(7 * 86400),
            alerts: false,
        }
    }
}

/// `[rematch]`.
pub(super) fn rematch(raw: Option<&RawRematch>, src: Source) -> Result<RematchConfig, ConfigError> {
    let mut rematch = RematchConfig::default();
    if let Some(r) = raw {
        if let Some(v) = &r.window {
            rematch.window = duration(v, Duration::ZERO)
                .map_err(|m| src.invalid(v.span(), "rematch.window", m))?;
        }
        rematch.alerts = r.alerts.unwrap_or(false);
    }
    Ok(rematch)
}

/// `[metrics]`: the address to listen on, when enabled.
pub(super) fn metrics(
    raw: Option<&RawMetrics>,
    src: Source,
) -> Result<Option<SocketAddr>, ConfigError> {
    let Some(m) = raw.filter(|m| m.enabled.unwrap_or(false)) else {
        return Ok(None);
    };
    let addr = match &m.listen {
        Some(v) => v.get_ref().trim().parse::<SocketAddr>().map_err(|e| {
            src.invalid(
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
    Ok(Some(addr))
}

/// `[[atom]]`: each names a configured watchlist (checked when `watchlists` are known) and a
/// file (relative to `base`).
pub(super) fn atom(
    raw: &[Spanned<RawAtom>],
    watchlists: Option<&[WatchlistSpec]>,
    base: &Path,
    src: Source,
) -> Result<Vec<AtomExport>, ConfigError> {
    let mut atom = Vec::new();
    for a in raw {
        let a = a.get_ref();
        let name = a.watchlist.get_ref().trim();
        if let Some(known) = watchlists
            && !known.iter().any(|w| w.name == name)
        {
            return Err(src.invalid(
                a.watchlist.span(),
                "atom.watchlist",
                format!("no watchlist is named {name:?}"),
            ));
        }
        if a.path.get_ref().trim().is_empty() {
            return Err(src.invalid(a.path.span(), "atom.path", "must not be empty".into()));
        }
        let since = match &a.since {
            Some(v) => duration(v, Duration::from_secs(60))
                .map_err(|m| src.invalid(v.span(), "atom.since", m))?,
            None => Duration::from_secs(7 * 86400),
        };
        let limit = match &a.limit {
            Some(v) => {
                bounded(v, 1..=10_000).map_err(|m| src.invalid(v.span(), "atom.limit", m))? as usize
            }
            None => 100,
        };
        atom.push(AtomExport {
            watchlist: name.to_string(),
            path: super::paths::resolve(base, a.path.get_ref().trim()),
            since,
            limit,
        });
    }
    Ok(atom)
}
