//! SQLite storage. One [`Store`] (the writer) owns the read-write connection and runs on its own
//! thread behind [`Writer`]; every write is a job of it, through `Store::write`. Reports read
//! through [`Reader`], a separate read-only connection, which WAL mode lets run while the writer
//! works. The files, by what they own:
//! - [`connection`](self): opening (identity check, pragmas, numbered migrations) and read-only
//!   connections;
//! - `feeds`: feed rows, their fetch state and schedule;
//! - `items`: recording one fetch: items, their stories, matches and alerts, and the feed's
//!   state, in one transaction;
//! - [`stories`](self): story assignment (applying [`crate::dedup::cluster`]'s decisions);
//! - [`alerts`]: alerts raised, re-checks of stored matches;
//! - [`outbox`]: alert deliveries;
//! - [`acks`]: stories acknowledged (handled) by editors, and the watchlist change log;
//! - [`query`], [`search`]: report queries; [`maintenance`]: retention, backups;
//! - [`writer`](Writer): the single writer thread with group commit.

pub mod acks;
pub mod alerts;
mod connection;
mod feeds;
mod items;
pub mod maintenance;
mod migrations;
pub mod outbox;
pub mod query;
pub mod search;
mod stories;
#[cfg(test)]
mod tests;
mod writer;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

pub use acks::WatchlistChange;
pub use connection::APPLICATION_ID;
pub(crate) use connection::{open_read_only, open_read_only_any_version};
pub use feeds::{AfterFetch, FeedState};
pub use items::{ApplyStats, FetchRecord, Recorded};
pub use query::Reader;
pub use stories::RestoryStats;
pub use writer::Writer;

use alerts::Routes;
use stories::Stories;

/// Storage failures; messages name the database file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}", path = .path.display())]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("database {path}: cannot create its directory: {source}", path = .path.display())]
    Dir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("database {path} does not exist yet: run `aggregator poll --once` first, or point `database =` in the config (or AGGREGATOR_DATABASE) at the database the daemon writes", path = .path.display())]
    Missing { path: PathBuf },
    #[error("database {path} has schema version {found}, newer than this build knows ({known}); upgrade aggregator", path = .path.display())]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("database {path} has schema version {found}, older than this build reads ({known}): it is upgraded when the daemon restarts or `aggregator poll --once` runs", path = .path.display())]
    TooOld {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("database {path} is not an aggregator database (it holds other tables: {tables}); nothing was changed: point `database` (or AGGREGATOR_DATABASE) at a new file", path = .path.display())]
    Foreign { path: PathBuf, tables: String },
    #[error("database {path}: cannot read it: SQLite needs to create {path}-shm beside it to read a WAL database and the directory {dir} is not writable by this user, while the daemon's {path}-wal is present; run the report as root or the database's owner (e.g. `sudo aggregator …`) or make the directory writable", path = .path.display(), dir = .dir.display())]
    ReadOnlyDir { path: PathBuf, dir: PathBuf },
    #[error("the database writer has stopped")]
    WriterGone,
    #[error("committing a group of writes failed: {0}")]
    Commit(String),
}

/// What the store needs from the configuration, given as one value when it is opened (and
/// replaced whole when the daemon reloads): there is no setting a caller can forget.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreOptions {
    /// Items further apart than this are never one story.
    pub story_window: Duration,
    /// Items dated before what retention keeps are not stored anew.
    pub retention: crate::config::RetentionConfig,
    /// Where each watchlist's alerts go (a watchlist without a route raises alerts that are
    /// only recorded).
    pub routes: Routes,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            story_window: crate::config::StoriesConfig::default().window,
            retention: crate::config::RetentionConfig::default(),
            routes: Routes::new(),
        }
    }
}

impl StoreOptions {
    /// The options `config` asks for.
    pub fn from_config(config: &crate::config::Config) -> Self {
        let routes = config
            .watchlists
            .iter()
            .map(|w| {
                (
                    w.name.clone(),
                    alerts::AlertRoute {
                        priority: w.priority,
                        description: w.description.clone(),
                        sinks: w.alerts.clone(),
                    },
                )
            })
            .collect();
        Self {
            story_window: config.stories.window,
            retention: config.retention.clone(),
            routes,
        }
    }
}

/// The read-write connection, and the story index that only the writer uses.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    stories: Stories,
    options: StoreOptions,
    /// Runs of item ids (`from..until`) stored in the open transaction and not yet in the
    /// search index (see [`Store::index_for_search`]).
    unindexed: Vec<(i64, i64)>,
}

impl Store {
    /// Replaces the options the store was opened with (a reloaded config), all at once. A new
    /// story window applies to items stored from now on.
    pub fn reconfigure(&mut self, options: StoreOptions) {
        if options.story_window != self.stories.window() {
            self.stories = Stories::new(options.story_window);
        }
        self.options = options;
    }

    /// The options in force.
    pub fn options(&self) -> &StoreOptions {
        &self.options
    }

    /// Applies the retention policy (see [`maintenance`]); with `dry_run`, only counts.
    pub fn prune(
        &mut self,
        policy: &crate::config::RetentionConfig,
        now: DateTime<Utc>,
        dry_run: bool,
    ) -> Result<maintenance::PruneStats, StoreError> {
        maintenance::prune(self, policy, now, dry_run)
    }

    /// Rewrites the whole database file (VACUUM), switching it to incremental vacuum.
    pub fn vacuum(&mut self) -> Result<(), StoreError> {
        maintenance::vacuum(&self.conn).map_err(sqlite_err(&self.path))
    }

    /// Items in the story index and its heap bytes, once it is loaded (benchmarks report it).
    pub fn story_index_size(&self) -> Option<(usize, usize)> {
        self.stories.index_bytes()
    }

    /// Re-clusters the items from `since` on into stories under the current rules (see
    /// `aggregator restory`). One transaction. Acknowledgements follow their stories' first
    /// items (see [`acks`]).
    pub fn restory(&mut self, since: DateTime<Utc>) -> Result<RestoryStats, StoreError> {
        self.write(|s| {
            let err = sqlite_err(&s.path);
            let since = since.timestamp();
            let held = acks::held_in_range(&s.conn, since).map_err(&err)?;
            let stats = s.stories.restory(&s.conn, since).map_err(&err)?;
            acks::reattach(&s.conn, &held).map_err(&err)?;
            Ok(stats)
        })
    }

    /// Opens a transaction that groups the writes of several jobs (see [`Writer`]); each job's
    /// own writes run in a savepoint inside it.
    pub(crate) fn begin_batch(&mut self) -> rusqlite::Result<()> {
        self.conn.execute_batch("BEGIN IMMEDIATE")
    }

    /// Commits the group opened by [`Store::begin_batch`]; on failure rolls it back.
    pub(crate) fn commit_batch(&mut self) -> Result<(), StoreError> {
        let result = self
            .index_for_search()
            .and_then(|()| self.conn.execute_batch("COMMIT"));
        result.map_err(|e| {
            let _ = self.conn.execute_batch("ROLLBACK");
            self.stories.reset();
            sqlite_err(&self.path)(e)
        })
    }

    /// Adds the items stored in the open transaction to the search index, in one statement
    /// per run of ids, just before it commits: FTS5 writes its pending terms out at every
    /// savepoint, so terms added before the last savepoint of a transaction would be written
    /// once per fetch instead of once per commit.
    fn index_for_search(&mut self) -> rusqlite::Result<()> {
        let mut runs = std::mem::take(&mut self.unindexed);
        runs.sort_unstable();
        let mut merged: Vec<(i64, i64)> = Vec::with_capacity(runs.len());
        for (from, until) in runs {
            match merged.last_mut() {
                Some(last) if from <= last.1 => last.1 = last.1.max(until),
                _ => merged.push((from, until)),
            }
        }
        for (from, until) in merged {
            self.conn
                .prepare_cached(
                    "INSERT INTO items_fts (rowid, title, summary)
                     SELECT id, title, summary FROM items WHERE id >= ?1 AND id < ?2",
                )?
                .execute(params![from, until])?;
        }
        Ok(())
    }

    /// Copies the write-ahead log into the database file without blocking readers. Called once
    /// after a poll: automatic checkpoints are spaced wide (`wal_autocheckpoint`) so they do not
    /// interrupt a poll's writes.
    pub fn checkpoint(&mut self) -> Result<(), StoreError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
            .map_err(sqlite_err(&self.path))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs one job's writes atomically: in a savepoint of the writer's group transaction (so a
    /// failing job rolls back only its own writes), or, outside a group, in a transaction of
    /// its own that takes the write lock up front (a transaction that read first would fail at
    /// once, instead of waiting, when another process has written meanwhile). Every write of
    /// the store goes through here.
    pub(crate) fn write<R>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let path = self.path.clone();
        let err = sqlite_err(&path);
        let lone = self.conn.is_autocommit();
        if lone {
            self.conn.execute_batch("BEGIN IMMEDIATE").map_err(&err)?;
        }
        let mut result = self
            .conn
            .execute_batch("SAVEPOINT job")
            .map_err(&err)
            .and_then(|()| f(self));
        let end = match &result {
            Ok(_) => self.conn.execute_batch("RELEASE job"),
            Err(_) => self.conn.execute_batch("ROLLBACK TO job; RELEASE job"),
        };
        if let (Err(e), Ok(_)) = (end, &result) {
            result = Err(err(e));
        }
        if lone {
            let end = match &result {
                Ok(_) => self
                    .index_for_search()
                    .and_then(|()| self.conn.execute_batch("COMMIT")),
                Err(_) => self.conn.execute_batch("ROLLBACK"),
            };
            if let Err(e) = end {
                let _ = self.conn.execute_batch("ROLLBACK");
                result = Err(err(e));
            }
        }
        if result.is_err() {
            // Rolled back: the story index may name items that are not stored.
            self.stories.reset();
            if lone {
                self.unindexed.clear();
            }
        }
        result
    }
}

fn sqlite_err(path: &Path) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |source| StoreError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}
