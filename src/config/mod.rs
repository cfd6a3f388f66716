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
//! - `values.rs`: durations and time zones.
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

use std::path::{Path, PathBuf};

use toml::Spanned;

use error::Source;
use raw::{RawConfig, from_toml, read};

pub use alerts::{Priority, RetryPolicy, SinkConfig, SinkKind, WebhookFormat};
pub use error::{ConfigError, Location};
pub use feeds::{Defaults, FeedConfig};
pub use service::{AtomExport, METRICS_LISTEN, RematchConfig};
pub use stories::{RetentionConfig, StoriesConfig};
pub use values::{Zone, timezone};
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
///
/// The parts are checked in this order, and the first problem is the one reported.
pub fn load(path: &Path, syntax: &dyn TermSyntax) -> Result<Config, ConfigError> {
    let text = read(path)?;
    let raw: RawConfig = from_toml(path, &text)?;
    let src = Source { path, text: &text };
    let base = path.parent().unwrap_or(Path::new("."));
    let database = database(raw.database.as_ref(), base, src)?;
    let defaults = feeds::defaults(raw.defaults.as_ref().map(Spanned::get_ref), src)?;
    let feeds = feeds::feeds(&raw.feeds, &defaults, base, src)?;
    let sinks = alerts::sinks(&raw.sinks, src)?;
    let retry = alerts::retry(raw.alerts.as_ref(), src)?;
    let rematch = service::rematch(raw.rematch.as_ref(), src)?;
    let (watchlists_path, watchlists) =
        watchlists::file(raw.watchlists.as_ref(), base, &feeds, &sinks, syntax, src)?;
    let stories = stories::stories(raw.stories.as_ref(), src)?;
    let retention = stories::retention(raw.retention.as_ref(), &stories, src)?;
    let metrics = service::metrics(raw.metrics.as_ref(), src)?;
    let atom = service::atom(&raw.atom, &watchlists, base, src)?;
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

/// `database`, relative to `base` (default `aggregator.db`), unless [`DATABASE_ENV`] names one.
fn database(
    raw: Option<&Spanned<String>>,
    base: &Path,
    src: Source,
) -> Result<PathBuf, ConfigError> {
    let database = match raw {
        Some(db) if db.get_ref().trim().is_empty() => {
            return Err(src.invalid(db.span(), "database", "must not be empty".into()));
        }
        Some(db) => base.join(db.get_ref()),
        None => base.join("aggregator.db"),
    };
    // The service unit points the database into its state directory this way, so one config
    // file serves both a checkout and an installed service.
    Ok(match std::env::var_os(DATABASE_ENV) {
        Some(db) if !db.is_empty() => PathBuf::from(db),
        _ => database,
    })
}
