//! SQLite storage. One [`Store`] (the writer) owns the read-write connection and runs on its own
//! thread behind [`Writer`]; reports read through [`Reader`], a separate read-only connection,
//! which WAL mode lets run while the writer works. Schema changes are numbered migrations.

pub mod alerts;
pub mod maintenance;
mod migrations;
pub mod outbox;
pub mod query;
pub mod search;
mod stories;
mod writer;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::config::FeedConfig;
use crate::dedup::ReadyItem;
use crate::fetch::Validators;
use crate::model::Identity;

pub use query::Reader;
pub use stories::RestoryStats;
pub use writer::Writer;

use crate::dedup::sketch;
use alerts::Routes;
use stories::{NewMember, Stories};

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
    #[error("database {path} does not exist yet: run `aggregator poll --once` first", path = .path.display())]
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

/// A feed row's identity and the validators to send on the next fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedState {
    pub id: i64,
    pub name: String,
    /// The address in use: the configured URL, or where permanent redirects led.
    pub url: String,
    pub validators: Validators,
    /// Scheduling memory (see [`crate::schedule`]).
    pub error_streak: u32,
    pub cadence: Option<Duration>,
    pub feed_hint: Option<Duration>,
    pub last_item_count: Option<usize>,
    pub last_new_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub next_poll_at: Option<DateTime<Utc>>,
    pub retired: bool,
    pub stale: bool,
    pub rounds: u64,
    /// The feed's host asked for a pause (`Retry-After`) that lasts until then: the whole host
    /// waits, whichever process polls it next.
    pub paused_until: Option<DateTime<Utc>>,
}

/// What the store keeps from a fetch besides its items: the feed's new address, retirement,
/// rhythm and hints, and the schedule decided from it all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AfterFetch {
    /// The URL this fetch used: if the feed's address changed meanwhile (a reload), the result
    /// is stale and not applied.
    pub fetched_url: String,
    pub moved_to: Option<String>,
    pub retire: bool,
    pub cadence: Option<Duration>,
    pub feed_hint: Option<Duration>,
    /// Items in the body, for a fetch that brought one.
    pub item_count: Option<usize>,
    pub had_new: bool,
    pub next_poll_at: DateTime<Utc>,
    pub interval: Duration,
    pub reason: &'static str,
    pub stale: bool,
    pub overflow: bool,
}

/// What one fetch of a feed produced, as the store records it.
#[derive(Debug, Clone)]
pub enum FetchRecord {
    NotModified {
        http_status: u16,
        elapsed: Duration,
    },
    Fetched {
        http_status: u16,
        validators: Validators,
        bytes: u64,
        elapsed: Duration,
        title: Option<String>,
        site_link: Option<String>,
        items: Vec<ReadyItem>,
    },
    Failed {
        http_status: Option<u16>,
        error: String,
        elapsed: Duration,
    },
}

/// Counts from recording one fetch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplyStats {
    pub new: usize,
    pub updated: usize,
    /// Watchlist matches recorded (one per item and watchlist).
    pub matches: usize,
    /// Alerts raised (one per story and watchlist).
    pub alerts: usize,
}

impl std::ops::AddAssign for ApplyStats {
    fn add_assign(&mut self, o: Self) {
        self.new += o.new;
        self.updated += o.updated;
        self.matches += o.matches;
        self.alerts += o.alerts;
    }
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
    /// Opens (creating if needed) the database, sets WAL and runs pending migrations.
    pub fn open(path: &Path, options: StoreOptions) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Dir {
                path: path.to_path_buf(),
                source,
            })?;
        }
        let err = sqlite_err(path);
        let conn = Connection::open(path).map_err(&err)?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(&err)?;
        // Before anything is written: another program's database is left alone.
        identify(&conn, path)?;
        // A new database gives pages freed by pruning back to the file system (this can only
        // be chosen before the first table exists; `prune --vacuum` converts older ones).
        let pages: i64 = conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .map_err(&err)?;
        if pages == 0 {
            conn.execute_batch("PRAGMA auto_vacuum = INCREMENTAL;")
                .map_err(&err)?;
        }
        // The writer's statements, all cached: rusqlite's default of 16 is fewer than the
        // record and story paths use, and a statement evicted is prepared again on next use.
        conn.set_prepared_statement_cache_capacity(64);
        // One plan per statement whatever the bound values: otherwise SQLite re-prepares a
        // cached statement whenever a value it could plan by changes (a `LIMIT ?`, a column
        // compared with `=`), which cost the story path a quarter of its time.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )
        .map_err(&err)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA temp_store = MEMORY;
             PRAGMA cache_size = -4000;
             PRAGMA wal_autocheckpoint = 8000;",
        )
        .map_err(&err)?;
        let mut store = Self {
            conn,
            path: path.to_path_buf(),
            stories: Stories::new(options.story_window),
            options,
            unindexed: Vec::new(),
        };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let err = sqlite_err(&self.path);
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(&err)?;
        let known = migrations::MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: version,
                known,
            });
        }
        if version > 0 && version < known {
            // An upgrade keeps a copy of the database as it was, beside it.
            let copy = PathBuf::from(format!("{}.v{version}.bak", self.path.display()));
            match maintenance::backup(&self.path, &copy, true) {
                Ok(bytes) => {
                    tracing::info!(db = %self.path.display(), backup = %copy.display(), bytes, "backed up before upgrading the schema")
                }
                Err(e) => {
                    return Err(StoreError::Commit(format!(
                        "not upgrading {} from schema version {version}: the backup before it failed: {e}",
                        self.path.display()
                    )));
                }
            }
        }
        for (i, sql) in migrations::MIGRATIONS
            .iter()
            .enumerate()
            .skip(version as usize)
        {
            // Immediate, and the version read again inside: another process opening the same
            // old database at the same moment migrates it only once.
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(&err)?;
            let now_at: i64 = tx
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .map_err(&err)?;
            if now_at > i as i64 {
                continue;
            }
            tx.execute_batch(sql).map_err(&err)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .map_err(&err)?;
            tx.commit().map_err(&err)?;
            tracing::info!(db = %self.path.display(), version = i + 1, "schema migrated");
        }
        Ok(())
    }

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

    /// The fingerprint of each watchlist as last re-checked (see
    /// [`crate::watch::WatchlistSpec::fingerprint`]).
    pub fn watchlist_checks(
        &self,
    ) -> Result<std::collections::HashMap<String, String>, StoreError> {
        self.conn
            .prepare("SELECT name, fingerprint FROM watchlist_checks")
            .and_then(|mut st| {
                st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()
            })
            .map_err(sqlite_err(&self.path))
    }

    /// Records that stored items were re-checked against watchlist `name` as it is now
    /// (`fingerprint`), or with `None`, that it is gone.
    pub fn record_watchlist_check(
        &mut self,
        name: &str,
        fingerprint: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(|s| {
            let result = match fingerprint {
                Some(f) => s.conn.execute(
                    "INSERT OR REPLACE INTO watchlist_checks (name, fingerprint, checked_at)
                     VALUES (?1, ?2, ?3)",
                    params![name, f, now.timestamp()],
                ),
                None => s
                    .conn
                    .execute("DELETE FROM watchlist_checks WHERE name = ?1", [name]),
            };
            result.map(|_| ()).map_err(sqlite_err(&s.path))
        })
    }

    /// Items in the story index and its heap bytes, once it is loaded (benchmarks report it).
    pub fn story_index_size(&self) -> Option<(usize, usize)> {
        self.stories.index_bytes()
    }

    /// Re-clusters the items from `since` on into stories under the current rules (see
    /// `aggregator restory`). One transaction.
    pub fn restory(&mut self, since: DateTime<Utc>) -> Result<RestoryStats, StoreError> {
        self.write(|s| {
            s.stories
                .restory(&s.conn, since.timestamp())
                .map_err(sqlite_err(&s.path))
        })
    }

    /// The stored state of one feed (as [`Store::sync_feeds`] returns it), without writing.
    pub fn feed_state(&mut self, id: i64, name: &str) -> Result<Option<FeedState>, StoreError> {
        self.conn
            .prepare_cached(&format!("SELECT {STATE_COLUMNS} FROM feeds WHERE id = ?1"))
            .and_then(|mut stmt| stmt.query_row([id], |r| state_from_row(r, name)).optional())
            .map_err(sqlite_err(&self.path))
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

    /// Makes sure every configured feed has a row (updating its URL if the config changed it,
    /// which also drops validators issued for the old URL) and returns their states.
    pub fn sync_feeds(
        &mut self,
        feeds: &[FeedConfig],
        now: DateTime<Utc>,
    ) -> Result<Vec<FeedState>, StoreError> {
        self.write(|s| s.sync_feeds_inner(feeds, now))
    }

    fn sync_feeds_inner(
        &mut self,
        feeds: &[FeedConfig],
        now: DateTime<Utc>,
    ) -> Result<Vec<FeedState>, StoreError> {
        let err = sqlite_err(&self.path);
        let tx = &self.conn;
        let mut out = Vec::with_capacity(feeds.len());
        {
            // A changed configured URL starts over: new address, no validators, not retired.
            let mut upsert = tx
                .prepare_cached(&format!(
                    "INSERT INTO feeds (name, url, config_url, created_at) VALUES (?1, ?2, ?2, ?3)
                     ON CONFLICT(name) DO UPDATE SET
                        url = CASE WHEN feeds.config_url IS excluded.config_url THEN feeds.url ELSE excluded.url END,
                        etag = CASE WHEN feeds.config_url IS excluded.config_url THEN feeds.etag END,
                        last_modified = CASE WHEN feeds.config_url IS excluded.config_url THEN feeds.last_modified END,
                        retired_at = CASE WHEN feeds.config_url IS excluded.config_url THEN feeds.retired_at END,
                        next_poll_at = CASE WHEN feeds.config_url IS excluded.config_url THEN feeds.next_poll_at END,
                        error_streak = CASE WHEN feeds.config_url IS excluded.config_url THEN feeds.error_streak ELSE 0 END,
                        interval_secs = CASE WHEN feeds.config_url IS excluded.config_url THEN feeds.interval_secs END,
                        interval_reason = CASE WHEN feeds.config_url IS excluded.config_url THEN feeds.interval_reason END,
                        last_item_count = CASE WHEN feeds.config_url IS excluded.config_url THEN feeds.last_item_count END,
                        last_success_at = CASE WHEN feeds.config_url IS excluded.config_url THEN feeds.last_success_at END,
                        stale = CASE WHEN feeds.config_url IS excluded.config_url THEN feeds.stale ELSE 0 END,
                        config_url = excluded.config_url
                     RETURNING {STATE_COLUMNS}"
                ))
                .map_err(&err)?;
            for f in feeds {
                let state = upsert
                    .query_row(params![f.name, f.url.as_str(), now.timestamp()], |r| {
                        state_from_row(r, &f.name)
                    })
                    .map_err(&err)?;
                out.push(state);
            }
        }
        Ok(out)
    }

    /// Records one fetch of a feed without planning its next one (see [`Store::record_fetch`]).
    pub fn record(
        &mut self,
        feed_id: i64,
        rec: FetchRecord,
        now: DateTime<Utc>,
    ) -> Result<ApplyStats, StoreError> {
        let name: String = self
            .conn
            .query_row("SELECT name FROM feeds WHERE id = ?1", [feed_id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(sqlite_err(&self.path))?
            .unwrap_or_default();
        self.record_fetch(feed_id, &name, rec, now, |_| None)
            .map(|r| r.stats)
    }

    /// Records one fetch of feed `feed_id` (named `name`) in one transaction: its result, for a
    /// new body every item (stored once per feed, updated when its content changed, placed in
    /// a story, indexed for search) with its watchlist matches and the alerts they raise, and
    /// the feed's next poll as `plan` decides it from what was stored. A crash leaves all of a
    /// fetch or none of it. Returns the feed's state as stored afterwards.
    pub fn record_fetch(
        &mut self,
        feed_id: i64,
        name: &str,
        rec: FetchRecord,
        now: DateTime<Utc>,
        plan: impl FnOnce(&ApplyStats) -> Option<AfterFetch>,
    ) -> Result<Recorded, StoreError> {
        self.write(|s| s.record_inner(feed_id, name, rec, now, plan))
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

    fn record_inner(
        &mut self,
        feed_id: i64,
        name: &str,
        rec: FetchRecord,
        now: DateTime<Utc>,
        plan: impl FnOnce(&ApplyStats) -> Option<AfterFetch>,
    ) -> Result<Recorded, StoreError> {
        let err = sqlite_err(&self.path);
        let tx = &self.conn;
        let t = now.timestamp();
        let mut stats = ApplyStats::default();
        let mut new_run = None;
        match rec {
            FetchRecord::NotModified {
                http_status,
                elapsed,
            } => {
                tx.prepare_cached(
                    "UPDATE feeds SET last_fetch_at = ?2, last_result = 'not_modified',
                        last_http_status = ?3, last_error = NULL, last_items_new = 0,
                        last_items_updated = 0, last_bytes = 0, last_elapsed_ms = ?4,
                        last_success_at = ?2, error_streak = 0
                     WHERE id = ?1",
                )
                .and_then(|mut st| {
                    st.execute(params![feed_id, t, http_status, elapsed.as_millis() as i64])
                })
                .map_err(&err)?;
            }
            FetchRecord::Failed {
                http_status,
                error,
                elapsed,
            } => {
                tx.prepare_cached(
                    "UPDATE feeds SET last_fetch_at = ?2, last_result = 'error',
                        last_http_status = ?3, last_error = ?4, last_items_new = 0,
                        last_items_updated = 0, last_bytes = 0, last_elapsed_ms = ?5,
                        error_streak = error_streak + 1
                     WHERE id = ?1",
                )
                .and_then(|mut st| {
                    st.execute(params![
                        feed_id,
                        t,
                        http_status,
                        error,
                        elapsed.as_millis() as i64
                    ])
                })
                .map_err(&err)?;
            }
            FetchRecord::Fetched {
                http_status,
                validators,
                bytes,
                elapsed,
                title,
                site_link,
                items,
            } => {
                let keep = Keep::at(&self.options.retention, t);
                let mut ids = NewIds::next(tx).map_err(&err)?;
                for item in &items {
                    stats += apply_item(
                        tx,
                        &mut self.stories,
                        &self.options.routes,
                        keep,
                        (feed_id, name),
                        item,
                        t,
                        &mut ids,
                    )
                    .map_err(&err)?;
                }
                if ids.next > ids.first {
                    new_run = Some((ids.first, ids.next));
                }
                tx.prepare_cached(
                    "UPDATE feeds SET last_fetch_at = ?2, last_result = 'ok',
                        last_http_status = ?3, last_error = NULL, last_items_new = ?4,
                        last_items_updated = ?5, last_bytes = ?6, last_elapsed_ms = ?7,
                        last_success_at = ?2, error_streak = 0, etag = ?8, last_modified = ?9,
                        item_count = item_count + ?4,
                        title = coalesce(?10, title), site_link = coalesce(?11, site_link)
                     WHERE id = ?1",
                )
                .and_then(|mut st| {
                    st.execute(params![
                        feed_id,
                        t,
                        http_status,
                        stats.new as i64,
                        stats.updated as i64,
                        bytes as i64,
                        elapsed.as_millis() as i64,
                        validators.etag,
                        validators.last_modified,
                        title,
                        site_link
                    ])
                })
                .map_err(&err)?;
            }
        }
        let after = plan(&stats);
        if let Some(a) = &after {
            apply_after(tx, feed_id, a, t).map_err(&err)?;
        }
        let state = tx
            .prepare_cached(&format!("SELECT {STATE_COLUMNS} FROM feeds WHERE id = ?1"))
            .and_then(|mut stmt| {
                stmt.query_row([feed_id], |r| state_from_row(r, name))
                    .optional()
            })
            .map_err(&err)?;
        self.unindexed.extend(new_run);
        Ok(Recorded {
            stats,
            after,
            state,
        })
    }
}

/// What [`Store::record_fetch`] stored.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub stats: ApplyStats,
    /// The plan for the next poll, as stored.
    pub after: Option<AfterFetch>,
    /// The feed's row afterwards (`None` if the feed is gone from the database).
    pub state: Option<FeedState>,
}

/// Ids for the items a fetch stores: the writer holds the write lock for the whole fetch, so
/// the next free row id is known before the insert, and an item is written once, with its
/// story. The run of new ids is then indexed for search before the transaction commits.
struct NewIds {
    first: i64,
    next: i64,
}

impl NewIds {
    fn next(conn: &Connection) -> rusqlite::Result<Self> {
        let next: i64 = conn
            .prepare_cached("SELECT coalesce(max(id), 0) + 1 FROM items")?
            .query_row([], |r| r.get(0))?;
        Ok(Self { first: next, next })
    }

    fn take(&mut self) -> i64 {
        let id = self.next;
        self.next += 1;
        id
    }
}

/// Keeps what a fetch said about the feed itself and when to poll it next (unless the feed's
/// address changed while it was fetched: then the fetch is stale and the row keeps its plan).
fn apply_after(conn: &Connection, feed_id: i64, a: &AfterFetch, t: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE feeds SET
            url = coalesce(?2, url),
            moved_at = CASE WHEN ?2 IS NULL THEN moved_at ELSE ?13 END,
            retired_at = CASE WHEN ?3 THEN ?13 ELSE retired_at END,
            cadence_secs = coalesce(?4, cadence_secs),
            feed_hint_secs = CASE WHEN ?6 IS NULL THEN feed_hint_secs ELSE ?5 END,
            last_item_count = coalesce(?6, last_item_count),
            last_new_at = CASE WHEN ?7 THEN ?13 ELSE last_new_at END,
            next_poll_at = ?8,
            interval_secs = ?9,
            interval_reason = ?10,
            stale = ?11,
            overflow_at = CASE WHEN ?12 THEN ?13 ELSE overflow_at END,
            rounds = rounds + 1
         WHERE id = ?1 AND url = ?14",
    )?
    .execute(params![
        feed_id,
        a.moved_to,
        a.retire,
        a.cadence.map(|d| d.as_secs() as i64),
        a.feed_hint.map(|d| d.as_secs() as i64),
        a.item_count.map(|n| n as i64),
        a.had_new,
        a.next_poll_at.timestamp(),
        a.interval.as_secs() as i64,
        a.reason,
        a.stale,
        a.overflow,
        t,
        a.fetched_url
    ])?;
    Ok(())
}

/// The columns [`state_from_row`] reads, in its order.
const STATE_COLUMNS: &str = "id, url, etag, last_modified, error_streak, cadence_secs, feed_hint_secs, \
     last_item_count, last_new_at, last_success_at, next_poll_at, retired_at, stale, rounds, interval_reason";

fn state_from_row(r: &rusqlite::Row<'_>, name: &str) -> rusqlite::Result<FeedState> {
    let secs = |v: Option<i64>| v.map(|s| Duration::from_secs(s.max(0) as u64));
    let at = |v: Option<i64>| v.and_then(|t| DateTime::from_timestamp(t, 0));
    Ok(FeedState {
        id: r.get(0)?,
        name: name.to_string(),
        url: r.get(1)?,
        validators: Validators {
            etag: r.get(2)?,
            last_modified: r.get(3)?,
        },
        error_streak: r.get::<_, i64>(4)?.clamp(0, u32::MAX as i64) as u32,
        cadence: secs(r.get(5)?),
        feed_hint: secs(r.get(6)?),
        last_item_count: r.get::<_, Option<i64>>(7)?.map(|n| n.max(0) as usize),
        last_new_at: at(r.get(8)?),
        last_success_at: at(r.get(9)?),
        next_poll_at: at(r.get(10)?),
        retired: r.get::<_, Option<i64>>(11)?.is_some(),
        stale: r.get::<_, i64>(12)? != 0,
        rounds: r.get::<_, i64>(13)?.max(0) as u64,
        paused_until: match r.get::<_, Option<String>>(14)?.as_deref() {
            Some(reason) if reason == crate::schedule::Reason::RetryAfter.as_str() => {
                at(r.get(10)?)
            }
            _ => None,
        },
    })
}

struct Existing {
    id: i64,
    title: String,
    summary: Option<String>,
    author: Option<String>,
    categories: String,
    published: Option<i64>,
    updated: Option<i64>,
    first_seen: i64,
    link: Option<String>,
    story_id: Option<i64>,
}

/// Finds the stored item `identity` refers to in this feed: same guid, else same link, else
/// (for items with neither) same content.
fn find_existing(
    tx: &Connection,
    feed_id: i64,
    id: &Identity,
) -> rusqlite::Result<Option<Existing>> {
    macro_rules! select {
        ($where:literal) => {
            concat!(
                "SELECT id, title, summary, author, categories, published, updated, first_seen, link, story_id FROM items WHERE ",
                $where
            )
        };
    }
    let row = |r: &rusqlite::Row<'_>| {
        Ok(Existing {
            id: r.get(0)?,
            title: r.get(1)?,
            summary: r.get(2)?,
            author: r.get(3)?,
            categories: r.get(4)?,
            published: r.get(5)?,
            updated: r.get(6)?,
            first_seen: r.get(7)?,
            link: r.get(8)?,
            story_id: r.get(9)?,
        })
    };
    if let Some(guid) = &id.guid {
        let found = tx
            .prepare_cached(select!("feed_id = ?1 AND guid = ?2"))?
            .query_row(params![feed_id, guid], row)
            .optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    if let Some(link) = &id.link {
        let found = tx
            .prepare_cached(select!("link_key = ?1 AND feed_id = ?2"))?
            .query_row(params![link, feed_id], row)
            .optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    if id.guid.is_none() && id.link.is_none() {
        return tx
            .prepare_cached(select!(
                "feed_id = ?1 AND content_hash = ?2 AND guid IS NULL AND link_key IS NULL"
            ))?
            .query_row(params![feed_id, id.content_hash], row)
            .optional();
    }
    Ok(None)
}

/// The oldest item times the retention policy keeps (Unix seconds), for unmatched and
/// matched items.
#[derive(Debug, Clone, Copy)]
struct Keep {
    items: i64,
    matched: i64,
}

impl Keep {
    fn at(policy: &crate::config::RetentionConfig, now: i64) -> Self {
        let cutoff =
            |d: Option<Duration>| d.map_or(i64::MIN, |d| now.saturating_sub(d.as_secs() as i64));
        Self {
            items: cutoff(policy.items),
            matched: cutoff(policy.matched),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn apply_item(
    tx: &Connection,
    stories: &mut Stories,
    routes: &Routes,
    keep: Keep,
    (feed_id, feed): (i64, &str),
    ready: &ReadyItem,
    now: i64,
    ids: &mut NewIds,
) -> rusqlite::Result<ApplyStats> {
    let it = &ready.item;
    let categories = serde_json::to_string(&it.categories).unwrap_or_else(|_| "[]".into());
    let published = it.published.map(|d| d.timestamp());
    let updated = it.updated.map(|d| d.timestamp());
    let mut stats = ApplyStats::default();
    let existing = find_existing(tx, feed_id, &ready.identity)?;
    let (item_id, story_id, first_seen) = match existing {
        Some(e) => {
            let unchanged = e.link == it.link
                && e.title == it.title
                && e.summary == it.summary
                && e.author == it.author
                && e.categories == categories
                && e.published == published
                && e.updated == updated;
            if unchanged {
                return Ok(stats);
            }
            let sort_ts = published
                .or(updated)
                .unwrap_or(e.first_seen)
                .min(e.first_seen);
            tx.prepare_cached(
                "UPDATE items SET title = ?2, summary = ?3, author = ?4, categories = ?5,
                    published = ?6, updated = ?7, sort_ts = ?8, content_hash = ?9, changed_at = ?10,
                    link = ?11, sketch = ?12, revisions = revisions + 1
                 WHERE id = ?1",
            )?
            .execute(params![
                e.id,
                it.title,
                it.summary,
                it.author,
                categories,
                published,
                updated,
                sort_ts,
                ready.identity.content_hash,
                now,
                it.link,
                sketch::keys_to_bytes(&ready.fingerprint.keys)
            ])?;
            tx.prepare_cached("DELETE FROM matches WHERE item_id = ?1")?
                .execute([e.id])?;
            stats.updated = 1;
            let member = member(e.id, feed_id, ready, sort_ts, now);
            (e.id, stories.revise(tx, &member, e.story_id)?, e.first_seen)
        }
        None => {
            // An item dated before what retention keeps is not stored anew: it was pruned, and
            // a feed that still carries it must not bring it (and its alert) back as new.
            if let Some(t) = published.or(updated) {
                let cutoff = if ready.matches.is_empty() {
                    keep.items
                } else {
                    keep.matched
                };
                if t < cutoff {
                    return Ok(stats);
                }
            }
            let id = ids.take();
            let sort_ts = published.or(updated).unwrap_or(now).min(now);
            let member = member(id, feed_id, ready, sort_ts, now);
            let story_id = stories.place(tx, &member)?;
            insert_item(tx, id, feed_id, story_id, ready, &categories, sort_ts, now)?;
            stories.remember(&member, story_id);
            stats.new = 1;
            (id, story_id, now)
        }
    };
    for m in &ready.matches {
        let terms = serde_json::to_string(&m.terms).unwrap_or_else(|_| "[]".into());
        let hits = serde_json::to_string(&m.hits).unwrap_or_else(|_| "[]".into());
        tx.prepare_cached(
            "INSERT OR REPLACE INTO matches (item_id, watchlist, terms, hits, matched_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![item_id, m.watchlist, terms, hits, now])?;
        // A story keeps the first member that matched each watchlist, and when; the first
        // time a story matches a watchlist, it raises that watchlist's alert.
        let first = tx
            .prepare_cached(
                "INSERT OR IGNORE INTO story_matches (story_id, watchlist, item_id, matched_at)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![story_id, m.watchlist, item_id, now])?;
        if first == 1 {
            let story = crate::model::AlertStory {
                id: story_id,
                title: it.title.clone(),
                link: it.link.clone(),
                feed: feed.to_string(),
                published: it.published,
                first_seen: DateTime::from_timestamp(first_seen, 0).unwrap_or_default(),
                summary: it.summary.clone(),
            };
            if alerts::raise(tx, routes, story, item_id, m, now)? {
                stats.alerts += 1;
            }
        }
        stats.matches += 1;
    }
    Ok(stats)
}

fn member<'a>(
    item_id: i64,
    feed_id: i64,
    ready: &'a ReadyItem,
    at: i64,
    now: i64,
) -> NewMember<'a> {
    NewMember {
        item_id,
        feed_id,
        link: ready.identity.link.as_deref(),
        title: &ready.item.title,
        fingerprint: &ready.fingerprint,
        at,
        now,
    }
}

/// Inserts `ready` as item `id` of story `story_id`.
#[allow(clippy::too_many_arguments)]
fn insert_item(
    tx: &Connection,
    id: i64,
    feed_id: i64,
    story_id: i64,
    ready: &ReadyItem,
    categories: &str,
    sort_ts: i64,
    now: i64,
) -> rusqlite::Result<()> {
    let it = &ready.item;
    tx.prepare_cached(
        "INSERT INTO items (id, feed_id, guid, link_key, content_hash, title, summary, author,
            categories, published, updated, sort_ts, first_seen, link, story_id, sketch)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?
    .execute(params![
        id,
        feed_id,
        ready.identity.guid,
        ready.identity.link,
        ready.identity.content_hash,
        it.title,
        it.summary,
        it.author,
        categories,
        it.published.map(|d| d.timestamp()),
        it.updated.map(|d| d.timestamp()),
        sort_ts,
        now,
        it.link,
        story_id,
        sketch::keys_to_bytes(&ready.fingerprint.keys)
    ])?;
    Ok(())
}

fn sqlite_err(path: &Path) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |source| StoreError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

/// `PRAGMA application_id` of an aggregator database ("AGGR"), set when it is created.
pub const APPLICATION_ID: i32 = 0x4147_4752;

/// Checks that the database at `path` is ours, a new (empty) file, or ours from before the id
/// was set (a `feeds` table and a schema version this build knows); anything else is another
/// program's database. Reads only.
fn identify(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let err = sqlite_err(path);
    let id: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(&err)?;
    if id == APPLICATION_ID {
        return Ok(());
    }
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
        .map_err(&err)?;
    if tables.is_empty() {
        return Ok(());
    }
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(&err)?;
    let known = migrations::MIGRATIONS.len() as i64;
    let ours_before_the_id = id == 0
        && (1..known).contains(&version)
        && ["feeds", "items"]
            .iter()
            .all(|t| tables.iter().any(|n| n == t));
    if ours_before_the_id {
        return Ok(());
    }
    let mut shown: Vec<String> = tables.iter().take(5).map(|t| text_of(t)).collect();
    if tables.len() > 5 {
        shown.push(format!("and {} more", tables.len() - 5));
    }
    Err(StoreError::Foreign {
        path: path.to_path_buf(),
        tables: shown.join(", "),
    })
}

/// A table name as shown in a message: cleaned of control characters.
fn text_of(name: &str) -> String {
    crate::text::clean_line(name)
}

/// Opens a read-only connection (for reports, backups and dry runs). Nothing is written: when
/// the directory is not writable and SQLite cannot create the `-shm` file a WAL database needs
/// for reading, a database with no `-wal` beside it (no writer has it open, every commit is
/// in the file) is read as immutable; with a `-wal`, the error says why and what to do.
pub(crate) fn open_read_only(path: &Path) -> Result<Connection, StoreError> {
    let conn = open_read_only_any_version(path)?;
    // Reports read the current schema; a database still used by an older daemon is named as
    // such rather than failing on a missing table.
    let found: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(sqlite_err(path))?;
    let known = migrations::MIGRATIONS.len() as i64;
    if found < known {
        return Err(StoreError::TooOld {
            path: path.to_path_buf(),
            found,
            known,
        });
    }
    Ok(conn)
}

/// [`open_read_only`] for a database of any schema version of ours (a backup before an
/// upgrade reads the old one).
pub(crate) fn open_read_only_any_version(path: &Path) -> Result<Connection, StoreError> {
    if !path.exists() {
        return Err(StoreError::Missing {
            path: path.to_path_buf(),
        });
    }
    let conn = match open_reader(path, false) {
        Err(StoreError::Sqlite { source, .. }) if is_read_only_failure(&source) => {
            let wal = PathBuf::from(format!("{}-wal", path.display()));
            if wal.exists() {
                let dir = path
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                return Err(StoreError::ReadOnlyDir {
                    path: path.to_path_buf(),
                    dir: dir.to_path_buf(),
                });
            }
            open_reader(path, true)?
        }
        other => other?,
    };
    identify(&conn, path)?;
    Ok(conn)
}

/// A read-only connection that has read the schema (so a failure to read shows here), as
/// immutable when asked.
fn open_reader(path: &Path, immutable: bool) -> Result<Connection, StoreError> {
    let err = sqlite_err(path);
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = if immutable {
        let mut uri = url::Url::from_file_path(
            std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
        )
        .map_err(|()| StoreError::Missing {
            path: path.to_path_buf(),
        })?;
        uri.set_query(Some("immutable=1"));
        Connection::open_with_flags(uri.as_str(), flags | OpenFlags::SQLITE_OPEN_URI)
    } else {
        Connection::open_with_flags(path, flags)
    }
    .map_err(&err)?;
    conn.busy_timeout(Duration::from_secs(10)).map_err(&err)?;
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))
        .map_err(&err)?;
    Ok(conn)
}

/// SQLite could not read because it could not write the files beside the database (the
/// `-shm` of a WAL database, in a directory this user cannot write).
fn is_read_only_failure(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Match, ParsedItem};

    fn feed(name: &str) -> FeedConfig {
        FeedConfig {
            name: name.into(),
            url: url::Url::parse(&format!("http://{name}.example/rss")).unwrap(),
            interval: Duration::from_secs(600),
            timezone: chrono::FixedOffset::east_opt(0).unwrap(),
        }
    }

    fn ready(guid: Option<&str>, link: Option<&str>, title: &str) -> ReadyItem {
        let item = ParsedItem {
            guid: guid.map(Into::into),
            link: link.map(Into::into),
            title: title.into(),
            ..Default::default()
        };
        crate::dedup::ready(item)
    }

    fn fetched(items: Vec<ReadyItem>) -> FetchRecord {
        FetchRecord::Fetched {
            http_status: 200,
            validators: Validators::default(),
            bytes: 1,
            elapsed: Duration::ZERO,
            title: None,
            site_link: None,
            items,
        }
    }

    fn matched(mut r: ReadyItem, watchlists: &[&str]) -> ReadyItem {
        r.matches = watchlists
            .iter()
            .map(|w| Match {
                watchlist: w.to_string(),
                terms: vec!["t".into()],
                hits: Vec::new(),
            })
            .collect();
        r
    }

    fn count(s: &Store, sql: &str) -> i64 {
        s.conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn alerts_are_raised_once_per_story_and_watchlist() {
        let d = tempfile::tempdir().unwrap();
        let mut s = Store::open(&d.path().join("db"), Default::default()).unwrap();
        let route = |sinks: &[&str]| alerts::AlertRoute {
            sinks: sinks.iter().map(|x| x.to_string()).collect(),
            ..Default::default()
        };
        s.reconfigure(StoreOptions {
            routes: Routes::from([
                ("w1".to_string(), route(&["hook", "pager"])),
                ("w2".to_string(), route(&["hook"])),
            ]),
            ..Default::default()
        });
        let now = Utc::now();
        let st = s
            .sync_feeds(&[feed("a"), feed("b"), feed("c")], now)
            .unwrap();
        let (a, b, c) = (st[0].id, st[1].id, st[2].id);
        let link = Some("http://x/story");
        let first = s
            .record(
                a,
                fetched(vec![matched(ready(Some("1"), link, "Kim"), &["w1"])]),
                now,
            )
            .unwrap();
        assert_eq!(first.alerts, 1);
        assert_eq!(
            count(&s, "SELECT count(*) FROM outbox"),
            2,
            "one delivery per sink"
        );
        // Another outlet of the same story: only the watchlist it newly matches alerts.
        let second = s
            .record(
                b,
                fetched(vec![matched(ready(Some("2"), link, "Kim"), &["w1", "w2"])]),
                now,
            )
            .unwrap();
        assert_eq!((second.matches, second.alerts), (2, 1));
        // Re-clustering rebuilds the story's matches but does not alert again, nor does a
        // further member afterwards.
        s.restory(now - chrono::Duration::days(1)).unwrap();
        let third = s
            .record(
                c,
                fetched(vec![matched(ready(Some("3"), link, "Kim"), &["w1", "w2"])]),
                now,
            )
            .unwrap();
        assert_eq!(third.alerts, 0);
        assert_eq!(count(&s, "SELECT count(*) FROM alerts"), 2);
        assert_eq!(count(&s, "SELECT count(*) FROM outbox"), 3);
        let (payload, watchlist): (String, String) = s
            .conn
            .query_row(
                "SELECT payload, watchlist FROM alerts WHERE watchlist = 'w2'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        let p: alerts::AlertFacts = serde_json::from_str(&payload).unwrap();
        assert_eq!((p.story.feed.as_str(), watchlist.as_str()), ("b", "w2"));
    }

    #[test]
    fn identity_rules() {
        let d = tempfile::tempdir().unwrap();
        let mut s = Store::open(&d.path().join("sub/db.sqlite"), Default::default()).unwrap();
        let now = Utc::now();
        let st = s.sync_feeds(&[feed("a"), feed("b")], now).unwrap();
        let (a, b) = (st[0].id, st[1].id);
        let first = s
            .record(
                a,
                fetched(vec![
                    ready(Some("g1"), Some("http://x/1"), "one"),
                    ready(None, None, "no keys"),
                ]),
                now,
            )
            .unwrap();
        assert_eq!(first.new, 2);
        // Same guid, same feed; same content without keys: nothing new.
        let again = s
            .record(
                a,
                fetched(vec![
                    ready(Some("g1"), Some("http://x/1"), "one"),
                    ready(None, None, "no keys"),
                ]),
                now,
            )
            .unwrap();
        assert_eq!(again, ApplyStats::default());
        let other = s
            .record(
                b,
                fetched(vec![ready(
                    Some("zz"),
                    Some("http://x/1"),
                    "one, other headline",
                )]),
                now,
            )
            .unwrap();
        // The same link in another feed is that feed's item, in the same story.
        assert_eq!(other.new, 1);
        let stories: Vec<(i64, i64)> = s
            .conn
            .prepare("SELECT story_id, feed_id FROM items WHERE link_key = 'http://x/1' ORDER BY feed_id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(stories.len(), 2);
        assert_eq!(stories[0].0, stories[1].0, "{stories:?}");
        // Same guid in another feed is a different item.
        let other = s
            .record(
                b,
                fetched(vec![ready(Some("g1"), Some("http://x/2"), "one")]),
                now,
            )
            .unwrap();
        assert_eq!(other.new, 1);
        // Changed title updates and keeps first_seen.
        let later = now + chrono::Duration::hours(1);
        let upd = s
            .record(
                a,
                fetched(vec![ready(Some("g1"), Some("http://x/1"), "one (LEAD)")]),
                later,
            )
            .unwrap();
        assert_eq!(upd.updated, 1);
        let (title, first_seen, changed): (String, i64, i64) = s
            .conn
            .query_row("SELECT title, first_seen, changed_at FROM items WHERE guid = 'g1' AND feed_id = ?1", [a], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap();
        assert_eq!(
            (title.as_str(), first_seen, changed),
            ("one (LEAD)", now.timestamp(), later.timestamp())
        );
        let n: i64 = s
            .conn
            .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 4);
        // The story took the new headline and counted the in-place update.
        let (title, items, feeds, updates): (String, i64, i64, i64) = s
            .conn
            .query_row(
                "SELECT title, items, feeds, updates FROM stories WHERE id = ?1",
                [stories[0].0],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!(
            (title.as_str(), items, feeds, updates),
            ("one (LEAD)", 2, 2, 1)
        );
    }

    #[test]
    fn matches_are_stored_and_replaced_on_update() {
        let d = tempfile::tempdir().unwrap();
        let mut s = Store::open(&d.path().join("db"), Default::default()).unwrap();
        let now = Utc::now();
        let id = s.sync_feeds(&[feed("a")], now).unwrap()[0].id;
        let mut r = ready(Some("g"), None, "Kim Yo-jong statement");
        r.matches = vec![Match {
            watchlist: "dprk".into(),
            terms: vec!["Kim Yo-jong".into()],
            hits: Vec::new(),
        }];
        assert_eq!(s.record(id, fetched(vec![r]), now).unwrap().matches, 1);
        let r = ready(Some("g"), None, "statement");
        assert_eq!(s.record(id, fetched(vec![r]), now).unwrap().updated, 1);
        let n: i64 = s
            .conn
            .query_row("SELECT count(*) FROM matches", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn failure_keeps_validators_and_counts_streak() {
        let d = tempfile::tempdir().unwrap();
        let mut s = Store::open(&d.path().join("db"), Default::default()).unwrap();
        let now = Utc::now();
        let id = s.sync_feeds(&[feed("a")], now).unwrap()[0].id;
        let v = Validators {
            etag: Some("\"e1\"".into()),
            last_modified: None,
        };
        let FetchRecord::Fetched { items, .. } = fetched(vec![]) else {
            unreachable!()
        };
        s.record(
            id,
            FetchRecord::Fetched {
                http_status: 200,
                validators: v.clone(),
                bytes: 0,
                elapsed: Duration::ZERO,
                title: Some("T".into()),
                site_link: None,
                items,
            },
            now,
        )
        .unwrap();
        for _ in 0..2 {
            s.record(
                id,
                FetchRecord::Failed {
                    http_status: Some(500),
                    error: "boom".into(),
                    elapsed: Duration::ZERO,
                },
                now,
            )
            .unwrap();
        }
        let st = s.sync_feeds(&[feed("a")], now).unwrap();
        assert_eq!(st[0].validators, v);
        let streak: i64 = s
            .conn
            .query_row("SELECT error_streak FROM feeds", [], |r| r.get(0))
            .unwrap();
        assert_eq!(streak, 2);
        // A changed URL drops validators issued for the old one.
        let mut moved = feed("a");
        moved.url = url::Url::parse("http://elsewhere.example/rss").unwrap();
        assert_eq!(
            s.sync_feeds(&[moved], now).unwrap()[0].validators,
            Validators::default()
        );
    }

    #[test]
    fn reports_read_while_the_writer_holds_a_transaction() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("db");
        let mut s = Store::open(&p, Default::default()).unwrap();
        let now = Utc::now();
        let id = s.sync_feeds(&[feed("a")], now).unwrap()[0].id;
        s.record(id, fetched(vec![ready(Some("g1"), None, "committed")]), now)
            .unwrap();
        let tx = s.conn.transaction().unwrap();
        tx.execute(
            "INSERT INTO items (feed_id, guid, content_hash, title, sort_ts, first_seen) VALUES (?1, 'g2', 'h', 'pending', 0, 0)",
            [id],
        )
        .unwrap();
        let reader = Reader::open(&p).unwrap();
        let titles: Vec<String> = reader
            .list(&Default::default())
            .unwrap()
            .into_iter()
            .map(|i| i.title)
            .collect();
        assert_eq!(
            titles,
            vec!["committed"],
            "the reader is not blocked and sees only committed rows"
        );
        tx.commit().unwrap();
        assert_eq!(reader.list(&Default::default()).unwrap().len(), 2);
    }

    #[test]
    fn a_database_from_before_stories_gets_one_story_per_item() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("db");
        {
            let conn = Connection::open(&p).unwrap();
            for sql in &migrations::MIGRATIONS[..2] {
                conn.execute_batch(sql).unwrap();
            }
            conn.execute_batch(
                "PRAGMA user_version = 2;
                 INSERT INTO feeds (id, name, url, config_url, created_at) VALUES (1, 'a', 'u', 'u', 0);
                 INSERT INTO items (id, feed_id, guid, link_key, content_hash, title, sort_ts, first_seen, changed_at)
                    VALUES (1, 1, 'g1', 'http://x/1', 'h1', 'one', 10, 20, NULL),
                           (2, 1, 'g2', 'http://x/2', 'h2', 'two (LEAD)', 30, 40, 50);
                 INSERT INTO matches VALUES (2, 'w', '[\"two\"]', 40);",
            )
            .unwrap();
        }
        let s = Store::open(&p, Default::default()).unwrap();
        let rows: Vec<(i64, i64, String, i64, i64)> = s
            .conn
            .prepare("SELECT s.id, i.id, s.title, s.updates, s.last_seen FROM stories s JOIN items i ON i.story_id = s.id ORDER BY s.id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            vec![
                (1, 1, "one".to_string(), 0, 20),
                (2, 2, "two (LEAD)".to_string(), 1, 50)
            ]
        );
        let on_story: (i64, String) = s
            .conn
            .query_row("SELECT story_id, watchlist FROM story_matches", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(on_story, (2, "w".to_string()));
    }

    #[test]
    fn reopening_keeps_schema_version() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("db");
        drop(Store::open(&p, Default::default()).unwrap());
        let s = Store::open(&p, Default::default()).unwrap();
        let v: i64 = s
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, migrations::MIGRATIONS.len() as i64);
        let mode: String = s
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
}
