//! What the running service does besides polling: `[[atom]]` files kept up to date, `[rematch]`
//! after watchlist changes, and the `[metrics]` endpoint.

use std::path::PathBuf;
use std::time::Duration;

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
