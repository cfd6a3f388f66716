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
//! - `paths.rs`: where relative paths lead (the database's default under `/etc`), normalised.
//! - `feeds.rs`: `[defaults]` and `[[feed]]`.
//! - `alerts.rs`: `[[sink]]`, `[alerts]` and alert priorities.
//! - `watchlists.rs`: the watchlist file, [`Field`] and [`TermSyntax`].
//! - `stories.rs`: `[stories]` and `[retention]`.
//! - `service.rs`: `[[atom]]`, `[rematch]` and `[metrics]`.
//! - `web.rs`: `[web]` and its `[[web.user]]` tables.

mod alerts;
mod error;
mod feeds;
mod paths;
mod raw;
mod service;
mod stories;
mod values;
mod watchlists;
mod web;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use toml::Spanned;

use error::Source;
use raw::{RawConfig, from_toml, read};

pub use alerts::{Priority, RetryPolicy, SinkConfig, SinkKind, WebhookFormat};
pub use error::{ConfigError, Location};
pub use feeds::{Defaults, FeedConfig};
pub use paths::{DATABASE_ENV, STATE_DIR, database_dir, normalise};
pub use service::{AtomExport, METRICS_LISTEN, RematchConfig};
pub use stories::{RetentionConfig, StoriesConfig};
pub use values::{Zone, timezone};
pub use watchlists::{Field, TermError, TermSpec, TermSyntax, WatchlistSpec, parse_watchlists};
pub use web::{
    SESSION_HOURS, WEB_LISTEN, WebConfig, WebUser, check_password_hash, check_user_name,
};

/// The default location of the main config file when no `--config` or `AGGREGATOR_CONFIG` is
/// given and `./config/aggregator.toml` does not exist.
pub const SYSTEM_CONFIG: &str = "/etc/aggregator/aggregator.toml";

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
    /// The web view (`[web]`): disabled, with no users, unless configured.
    pub web: WebConfig,
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

/// What a config is loaded for: which parts must be usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Polling, matching, delivering and `config check`: every part must be usable, `${VAR}`
    /// in sink headers is expanded, and the watchlist file must load.
    Work,
    /// Reports on what is stored: sink secrets are not read (`${VAR}` stays as written, so a
    /// shell without the service's environment can run them), and a watchlist file that does
    /// not load is set aside (no watchlists) and returned as a warning.
    Reports,
}

/// Reads and validates the main config file and the watchlist file it names. Config does not
/// know the syntax of watchlist terms and queries: `syntax` checks each (the watch module's
/// `Syntax`; `watch::load_config` loads with it), and what it rejects is reported at its line
/// and column.
///
/// The parts are checked in this order, and the first problem is the one reported.
pub fn load(path: &Path, syntax: &dyn TermSyntax) -> Result<Config, ConfigError> {
    load_for(path, syntax, Purpose::Work).map(|(config, _)| config)
}

/// [`load`] for `purpose`. For [`Purpose::Reports`], the second value is the watchlist file's
/// problem when it was set aside (the config then has no watchlists); for [`Purpose::Work`] it
/// is always `None`.
pub fn load_for(
    path: &Path,
    syntax: &dyn TermSyntax,
    purpose: Purpose,
) -> Result<(Config, Option<ConfigError>), ConfigError> {
    load_parts(path, syntax, purpose, None)
}

/// [`load`], with `watchlists` as the text of the watchlist file the main config names (not
/// what the file holds now): a proposed edit of the watchlist file is checked exactly as the
/// daemon will load it, and its problems are reported at their line and column in that text
/// (under the file's path). A main config that names no watchlist file is refused at its
/// `watchlists` key.
pub fn load_with_watchlists(
    path: &Path,
    syntax: &dyn TermSyntax,
    watchlists: &str,
) -> Result<Config, ConfigError> {
    load_parts(path, syntax, Purpose::Work, Some(watchlists)).map(|(config, _)| config)
}

/// [`load_for`], the watchlist file's text given (`Some`) or read from the file (`None`).
fn load_parts(
    path: &Path,
    syntax: &dyn TermSyntax,
    purpose: Purpose,
    watchlists_text: Option<&str>,
) -> Result<(Config, Option<ConfigError>), ConfigError> {
    let text = read(path)?;
    let raw: RawConfig = from_toml(path, &text)?;
    let src = Source { path, text: &text };
    let base = path.parent().unwrap_or(Path::new("."));
    let database = paths::database(raw.database.as_ref(), path, src)?;
    let defaults = feeds::defaults(raw.defaults.as_ref().map(Spanned::get_ref), src)?;
    let feeds = feeds::feeds(&raw.feeds, &defaults, base, src)?;
    let secrets = purpose == Purpose::Work;
    let sinks = alerts::sinks(&raw.sinks, secrets, src)?;
    let retry = alerts::retry(raw.alerts.as_ref(), src)?;
    let rematch = service::rematch(raw.rematch.as_ref(), src)?;
    if watchlists_text.is_some() && raw.watchlists.is_none() {
        return Err(ConfigError::Invalid {
            at: Location::file(path),
            key: "watchlists".into(),
            message: "the main config names no watchlist file".into(),
        });
    }
    let named = (raw.watchlists.as_ref(), watchlists_text);
    let loaded = watchlists::file(named, base, &feeds, &sinks, syntax, src);
    let (watchlists_path, watchlists, set_aside) = match loaded {
        Ok((wpath, specs)) => (wpath, specs, None),
        Err(e) if purpose == Purpose::Reports => {
            let wpath = raw
                .watchlists
                .as_ref()
                .map(|w| paths::resolve(base, w.get_ref()));
            (wpath, Vec::new(), Some(e))
        }
        Err(e) => return Err(e),
    };
    let stories = stories::stories(raw.stories.as_ref(), src)?;
    let retention = stories::retention(raw.retention.as_ref(), &stories, src)?;
    let metrics = service::metrics(raw.metrics.as_ref(), src)?;
    let web = web::web(raw.web.as_ref(), src)?;
    // Without the watchlist file, `[[atom]]` names cannot be checked against it.
    let known = set_aside.is_none().then_some(watchlists.as_slice());
    let atom = service::atom(&raw.atom, known, base, src)?;
    let config = Config {
        path: paths::normalise(path),
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
        web,
    };
    Ok((config, set_aside))
}
