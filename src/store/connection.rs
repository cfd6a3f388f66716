//! Opening the database: the read-write connection (identity check, pragmas, numbered
//! migrations, a backup before an upgrade) and read-only connections for reports.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::stories::Stories;
use super::{Store, StoreError, StoreOptions, maintenance, migrations, sqlite_err};

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
        }
        // One line per open that changed the schema: a new database is created at the current
        // version (its migrations are steps of creating it, not upgrades).
        if version == 0 {
            tracing::info!(
                "created database at {} (schema {known})",
                self.path.display()
            );
        } else if version < known {
            tracing::info!(db = %self.path.display(), "schema migrated from version {version} to {known}");
        }
        Ok(())
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
