//! Keeping the database small and safe: retention (`prune`), giving space back to the file
//! system, and online backups (also taken before a schema upgrade).
//!
//! Retention works on whole stories, so search, stories and their matches stay consistent: a
//! story goes when its newest item is older than `[retention] items`, or, if it matched a
//! watchlist, older than `[retention] matched`. Its items go with it (the search index follows
//! through triggers, matches and story matches through foreign keys), and alerts whose
//! deliveries are all finished go once their item is gone.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use serde::Serialize;

use super::{StoreError, sqlite_err};
use crate::config::RetentionConfig;

/// What a prune removed (or, in a dry run, would remove). Field names are part of
/// `prune --format json`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PruneStats {
    pub dry_run: bool,
    pub stories: usize,
    pub items: usize,
    pub alerts: usize,
    /// Database file size before and after (bytes), space given back included.
    pub bytes_before: u64,
    pub bytes_after: u64,
}

/// Brings one feed's item count in line, in the transaction that deleted its items, so a
/// prune cut short at any moment (a crash, `kill -9`) leaves every count right.
const RECOUNT_FEED: &str = "UPDATE feeds SET item_count = (SELECT count(*) FROM items i WHERE i.feed_id = ?1) WHERE id = ?1";

/// Stories deleted per transaction, so a large prune never holds the write lock for long.
const CHUNK: i64 = 2000;

/// The story ids the policy no longer keeps, oldest first, at most `limit`.
fn expired(
    conn: &Connection,
    policy: &RetentionConfig,
    now: DateTime<Utc>,
    limit: i64,
) -> rusqlite::Result<Vec<i64>> {
    let cutoff = |d: Option<Duration>| {
        d.and_then(|d| chrono::Duration::from_std(d).ok())
            .and_then(|d| now.checked_sub_signed(d))
            .map_or(i64::MIN, |t| t.timestamp())
    };
    let (items, matched) = (cutoff(policy.items), cutoff(policy.matched));
    conn.prepare_cached(
        "SELECT s.id FROM stories s
         WHERE s.last_seen < ?1 AND (s.last_seen < ?2
               OR NOT EXISTS (SELECT 1 FROM story_matches m WHERE m.story_id = s.id))
         ORDER BY s.last_seen LIMIT ?3",
    )?
    .query_map(params![items, matched, limit], |r| r.get(0))?
    .collect()
}

/// Counts a dry run: what [`prune`] would delete now.
fn count_expired(
    conn: &Connection,
    policy: &RetentionConfig,
    now: DateTime<Utc>,
) -> rusqlite::Result<(usize, usize)> {
    let ids = expired(conn, policy, now, i64::MAX)?;
    let mut items = 0;
    let mut count = conn.prepare_cached("SELECT count(*) FROM items WHERE story_id = ?1")?;
    for id in &ids {
        items += count.query_row([id], |r| r.get::<_, i64>(0))? as usize;
    }
    Ok((ids.len(), items))
}

/// Deletes up to [`CHUNK`] expired stories with their items (matches and story matches follow
/// through foreign keys, the search index through its trigger) and recounts the feeds they
/// touched. Returns the stories and items deleted.
fn prune_chunk(
    tx: &Connection,
    policy: &RetentionConfig,
    now: DateTime<Utc>,
) -> rusqlite::Result<(usize, usize)> {
    let ids = expired(tx, policy, now, CHUNK)?;
    let (mut stories, mut items) = (0, 0);
    let mut feeds = std::collections::BTreeSet::new();
    for id in &ids {
        let mut members =
            tx.prepare_cached("SELECT DISTINCT feed_id FROM items WHERE story_id = ?1")?;
        for feed in members.query_map([id], |r| r.get::<_, i64>(0))? {
            feeds.insert(feed?);
        }
        items += tx
            .prepare_cached("DELETE FROM items WHERE story_id = ?1")?
            .execute([id])?;
        stories += tx
            .prepare_cached("DELETE FROM stories WHERE id = ?1")?
            .execute([id])?;
    }
    for feed in feeds {
        tx.prepare_cached(RECOUNT_FEED)?.execute([feed])?;
    }
    Ok((stories, items))
}

/// Alerts outlive their items only while a delivery is still pending.
fn prune_alerts(tx: &Connection) -> rusqlite::Result<usize> {
    tx.execute(
        "DELETE FROM outbox WHERE state <> 'pending' AND alert_id IN (
            SELECT a.id FROM alerts a WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.id = a.item_id))",
        [],
    )?;
    tx.execute(
        "DELETE FROM alerts WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.id = alerts.item_id)
           AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.alert_id = alerts.id)",
        [],
    )
}

/// One step of a prune, each a job of the writer (its own transaction, so a large prune never
/// holds the write lock, or the writer, for long). `aggregator prune` and [`prune_daily`] run the same
/// steps in the same order: chunks until none is left, the alerts, merges of the search index,
/// then space given back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PruneStep {
    /// Stories (with their items) deleted in one transaction.
    Chunk,
    /// Alerts whose items are gone and whose deliveries are finished.
    Alerts,
    /// One merge of the search index (see `merge_search_index`).
    Merge,
    /// Free pages given back to the file system, and the log truncated.
    GiveBack,
}

/// What one [`PruneStep`] did: counts, and whether the same step has more to do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StepDone {
    pub stories: usize,
    pub items: usize,
    pub alerts: usize,
    pub more: bool,
}

impl super::Store {
    /// Runs one step of a prune under `policy` (see [`PruneStep`]).
    pub fn prune_step(
        &mut self,
        step: PruneStep,
        policy: &RetentionConfig,
        now: DateTime<Utc>,
    ) -> Result<StepDone, StoreError> {
        match step {
            PruneStep::Chunk => self.write(|s| {
                let (stories, items) =
                    prune_chunk(&s.conn, policy, now).map_err(sqlite_err(&s.path))?;
                Ok(StepDone {
                    stories,
                    items,
                    more: stories > 0,
                    ..StepDone::default()
                })
            }),
            PruneStep::Alerts => self.write(|s| {
                let alerts = prune_alerts(&s.conn).map_err(sqlite_err(&s.path))?;
                Ok(StepDone {
                    alerts,
                    ..StepDone::default()
                })
            }),
            PruneStep::Merge => self.write(|s| {
                let more = merge_search_index(&s.conn).map_err(sqlite_err(&s.path))?;
                Ok(StepDone {
                    more,
                    ..StepDone::default()
                })
            }),
            // Outside a transaction: the truncating checkpoint needs none to be open.
            PruneStep::GiveBack => give_back(&self.conn)
                .map(|()| StepDone::default())
                .map_err(sqlite_err(&self.path)),
        }
    }
}

/// Applies the retention policy to `store`, step by step (see [`PruneStep`]); with `dry_run`,
/// only counts (nothing is written). `run` runs one step: directly on a store a command owns,
/// or as a job of the daemon's writer ([`prune_daily`]). Stops between steps when `stopped`
/// says so.
async fn run_prune<F, Fut>(
    mut run: F,
    path: &Path,
    stopped: impl Fn() -> bool,
) -> Result<PruneStats, StoreError>
where
    F: FnMut(PruneStep) -> Fut,
    Fut: Future<Output = Result<StepDone, StoreError>>,
{
    let mut stats = PruneStats {
        bytes_before: file_bytes(path),
        ..Default::default()
    };
    loop {
        // A shutdown stops between chunks; the rest waits for the next prune.
        if stopped() {
            stats.bytes_after = file_bytes(path);
            return Ok(stats);
        }
        let done = run(PruneStep::Chunk).await?;
        stats.stories += done.stories;
        stats.items += done.items;
        if !done.more {
            break;
        }
    }
    stats.alerts = run(PruneStep::Alerts).await?.alerts;
    if stats.items > 0 {
        for _ in 0..MERGE_STEPS {
            if stopped() || !run(PruneStep::Merge).await?.more {
                break;
            }
        }
    }
    run(PruneStep::GiveBack).await?;
    stats.bytes_after = file_bytes(path);
    Ok(stats)
}

/// Applies the retention policy to a store this process owns (`aggregator prune`); with
/// `dry_run`, only counts.
pub(super) fn prune(
    store: &mut super::Store,
    policy: &RetentionConfig,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<PruneStats, StoreError> {
    if dry_run {
        let (stories, items) =
            count_expired(&store.conn, policy, now).map_err(sqlite_err(&store.path))?;
        let bytes = file_bytes(&store.path);
        return Ok(PruneStats {
            dry_run,
            stories,
            items,
            bytes_before: bytes,
            bytes_after: bytes,
            ..Default::default()
        });
    }
    let path = store.path.clone();
    let cell = std::cell::RefCell::new(store);
    let run = |step| {
        let result = cell.borrow_mut().prune_step(step, policy, now);
        std::future::ready(result)
    };
    futures_now(run_prune(run, &path, || false))
}

/// Drives a future whose every await is ready at once (the steps of a prune on a store this
/// thread owns) to its end.
fn futures_now<T>(fut: impl Future<Output = T>) -> T {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => unreachable!("every step of a local prune is ready at once"),
    }
}

/// Most merge steps after a prune, each its own short transaction.
const MERGE_STEPS: usize = 200;

/// Folds the search index's deletion records into its segments: FTS5 records a deleted row
/// as a new entry, so without merging, pruning makes the index grow. Incremental merges (500
/// pages a step; negative: segments merge even below FTS5's automerge threshold) keep each
/// write short, unlike one `optimize`. Measured on 1M items, pruning 100,000: the index went
/// from 205 to 184 MB (to 213 MB without the merges). One step; returns whether it did work.
fn merge_search_index(conn: &Connection) -> rusqlite::Result<bool> {
    let before = conn.total_changes();
    conn.execute(
        "INSERT INTO items_fts (items_fts, rank) VALUES ('merge', -500)",
        [],
    )?;
    // FTS5 says a merge step did work by changing the count by 2 or more.
    Ok(conn.total_changes() - before >= 2)
}

/// What a prune would delete, read through a read-only connection (nothing is written, not
/// even a schema upgrade).
pub fn dry_run(
    db: &Path,
    policy: &RetentionConfig,
    now: DateTime<Utc>,
) -> Result<PruneStats, StoreError> {
    let conn = super::open_read_only(db)?;
    let (stories, items) = count_expired(&conn, policy, now).map_err(sqlite_err(db))?;
    let bytes = file_bytes(db);
    Ok(PruneStats {
        dry_run: true,
        stories,
        items,
        bytes_before: bytes,
        bytes_after: bytes,
        ..Default::default()
    })
}

/// Returns free pages to the file system: incremental vacuum when the database was created
/// with it, then a WAL checkpoint that truncates the log.
fn give_back(conn: &Connection) -> rusqlite::Result<()> {
    let mode: i64 = conn.query_row("PRAGMA auto_vacuum", [], |r| r.get(0))?;
    if mode == 2 {
        // In slices of 2,000 pages (8 MB), each its own write, so the writer waits little.
        // (Each step of the pragma frees one page: step each slice to its end.)
        for _ in 0..100_000 {
            let free: i64 = conn.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
            if free == 0 {
                break;
            }
            let mut st = conn.prepare("PRAGMA incremental_vacuum(2000)")?;
            let mut rows = st.query([])?;
            while rows.next()?.is_some() {}
        }
    }
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}

/// Rewrites the whole database (VACUUM), switching it to incremental vacuum on the way, so
/// later prunes give space back by themselves.
pub(super) fn vacuum(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("PRAGMA auto_vacuum = INCREMENTAL; VACUUM;")?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}

fn file_bytes(path: &Path) -> u64 {
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    [path.to_path_buf(), wal]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

/// Why a backup failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{path} exists (use --force to replace it)", path = .0.display())]
    Exists(PathBuf),
    #[error("{path} is the database itself (or its journal): a backup goes elsewhere", path = .0.display())]
    IsDatabase(PathBuf),
    #[error("cannot write {path}: {source}", path = .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Copies the database at `db` to `target` with SQLite's online backup (consistent while the
/// daemon writes). The copy is made beside `target` under a temporary name and renamed into
/// place only when complete, so a failure never leaves a partial file at `target`.
pub fn backup(db: &Path, target: &Path, replace: bool) -> Result<u64, BackupError> {
    // Compared by directory (resolved) and name, so a journal that does not exist right now
    // still counts.
    let resolve = |p: &Path| -> Option<PathBuf> {
        let dir = p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Some(std::fs::canonicalize(dir).ok()?.join(p.file_name()?))
    };
    let same = |a: &Path, b: &Path| resolve(a).is_some_and(|a| Some(a) == resolve(b));
    let journals =
        ["-wal", "-shm", "-journal"].map(|s| PathBuf::from(format!("{}{s}", db.display())));
    if same(db, target) || journals.iter().any(|j| same(j, target)) {
        return Err(BackupError::IsDatabase(target.to_path_buf()));
    }
    if target.exists() && !replace {
        return Err(BackupError::Exists(target.to_path_buf()));
    }
    // The source first: a source that is missing, not a database or not ours is named as such
    // before anything is written.
    let src = super::open_read_only_any_version(db)?;
    let write_err = |source| BackupError::Write {
        path: target.to_path_buf(),
        source,
    };
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .ok_or_else(|| write_err(std::io::Error::other("not a file name")))?;
    let prefix = format!(".{}.tmp-", name.to_string_lossy());
    remove_stale(dir, &prefix);
    let tmp = dir.join(format!("{prefix}{}", std::process::id()));
    let result = copy(src, db, &tmp, target).and_then(|bytes| {
        std::fs::rename(&tmp, target).map_err(write_err)?;
        Ok(bytes)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Removes what an interrupted backup to the same target left: temporary files whose process
/// is gone.
fn remove_stale(dir: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(prefix)
            .map(|rest| rest.trim_end_matches("-journal"))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// The online backup itself, into `to` (created); errors name `target`, the file the user
/// asked for.
fn copy(src: Connection, db: &Path, to: &Path, target: &Path) -> Result<u64, BackupError> {
    let write_err = |source| BackupError::Write {
        path: target.to_path_buf(),
        source,
    };
    // Creating the file first names an unwritable place plainly, not as an SQLite error.
    std::fs::File::create(to).map_err(write_err)?;
    let mut dst = Connection::open(to).map_err(sqlite_err(target))?;
    // A page the source cannot give (corrupt, not a database) is the source's fault; anything
    // else in the copy is about writing the target.
    let blame = |e: rusqlite::Error| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) => {
            sqlite_err(db)(e)
        }
        _ => sqlite_err(target)(e),
    };
    {
        let b = rusqlite::backup::Backup::new(&src, &mut dst).map_err(sqlite_err(target))?;
        // All pages in one step, under one read transaction: in WAL mode that does not block
        // the daemon's writer, whereas a copy in several steps starts over after each of its
        // commits and may never finish.
        loop {
            match b.step(-1).map_err(blame)? {
                rusqlite::backup::StepResult::Done => break,
                rusqlite::backup::StepResult::More => {}
                _ => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
    // A standalone file: no WAL beside it.
    dst.execute_batch("PRAGMA journal_mode = DELETE;")
        .map_err(sqlite_err(target))?;
    drop(dst);
    let f = std::fs::File::open(to).map_err(write_err)?;
    f.sync_all().map_err(write_err)?;
    Ok(f.metadata().map_err(write_err)?.len())
}

/// How often the daemon prunes, and how long after start it first does.
pub const PRUNE_EVERY: Duration = Duration::from_secs(86400);
pub const PRUNE_FIRST_AFTER: Duration = Duration::from_secs(60);

/// Prunes the database `writer` owns under the policy `policy` sends, a minute after start and
/// then daily, until `stop`: each step a job of the writer, so fetches are stored between them.
pub async fn prune_daily(
    writer: std::sync::Arc<super::Writer>,
    path: PathBuf,
    policy: tokio::sync::watch::Receiver<RetentionConfig>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut wait = PRUNE_FIRST_AFTER;
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            () = tokio::time::sleep(wait) => {}
        }
        wait = PRUNE_EVERY;
        let policy = policy.borrow().clone();
        let now = Utc::now();
        let run = |step| {
            let (writer, policy) = (writer.clone(), policy.clone());
            async move {
                writer
                    .call(move |s| s.prune_step(step, &policy, now))
                    .await?
            }
        };
        let result = run_prune(run, &path, || *stop.borrow()).await;
        match result {
            Ok(s) if s.stories > 0 => tracing::info!(
                stories = s.stories,
                items = s.items,
                alerts = s.alerts,
                bytes_before = s.bytes_before,
                bytes_after = s.bytes_after,
                "pruned by the retention policy"
            ),
            Ok(_) => tracing::debug!("nothing to prune"),
            Err(e) => tracing::error!(error = %e, "pruning failed; will try again tomorrow"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::model::{Match, ParsedItem};
    use crate::store::{FetchRecord, Store};

    fn item(guid: &str, title: &str, watchlist: Option<&str>) -> crate::dedup::ReadyItem {
        let mut r = crate::dedup::ready(ParsedItem {
            guid: Some(guid.into()),
            link: Some(format!("https://x.example/{guid}")),
            title: title.into(),
            summary: Some(format!("{title} in full")),
            ..Default::default()
        });
        r.matches = watchlist
            .map(|w| Match {
                watchlist: w.into(),
                terms: vec!["t".into()],
                hits: Vec::new(),
            })
            .into_iter()
            .collect();
        r
    }

    fn fetched(items: Vec<crate::dedup::ReadyItem>) -> FetchRecord {
        FetchRecord::Fetched {
            http_status: 200,
            validators: Default::default(),
            bytes: 1,
            elapsed: Duration::ZERO,
            title: None,
            site_link: None,
            items,
            warnings: Vec::new(),
        }
    }

    #[test]
    fn prune_removes_whole_expired_stories_and_keeps_search_consistent() {
        let d = tempfile::tempdir().unwrap();
        let db = d.path().join("db");
        let mut s = Store::open(&db, Default::default()).unwrap();
        let now = Utc::now();
        let feed = crate::config::FeedConfig {
            name: "f".into(),
            url: url::Url::parse("http://f.example/rss").unwrap(),
            interval: Duration::from_secs(600),
            timezone: chrono::FixedOffset::east_opt(0).unwrap().into(),
            captured_at: None,
        };
        let id = s.sync_feeds(&[feed], now).unwrap()[0].id;
        let days = |n| now - chrono::Duration::days(n);
        s.record(
            id,
            fetched(vec![item("old", "Zanzibar quota talks", None)]),
            days(200),
        )
        .unwrap();
        s.record(
            id,
            fetched(vec![item("kept", "Kishida statement", Some("w"))]),
            days(200),
        )
        .unwrap();
        s.record(
            id,
            fetched(vec![item("new", "Zanzibar exports", None)]),
            days(10),
        )
        .unwrap();
        // Enough old text that pruning frees whole pages.
        let filler: Vec<_> = (0..300)
            .map(|i| {
                let mut r = item(&format!("bulk-{i}"), &format!("Report number {i}"), None);
                r.item.summary = Some(format!("{} {i}", "Lorem ipsum dolor sit amet. ".repeat(40)));
                r
            })
            .collect();
        s.record(id, fetched(filler), days(300)).unwrap();
        let count =
            |s: &Store, sql: &str| -> i64 { s.conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        let pages_before = count(&s, "PRAGMA page_count");
        let policy = RetentionConfig {
            items: Some(Duration::from_secs(90 * 86400)),
            matched: Some(Duration::from_secs(365 * 86400)),
        };
        let dry = s.prune(&policy, now, true).unwrap();
        assert_eq!((dry.stories, dry.items, dry.dry_run), (301, 301, true));
        let pruned = s.prune(&policy, now, false).unwrap();
        assert_eq!((pruned.stories, pruned.items), (301, 301));
        // A new database vacuums incrementally: the freed pages leave the file.
        assert_eq!(count(&s, "PRAGMA auto_vacuum"), 2);
        assert_eq!(count(&s, "PRAGMA freelist_count"), 0);
        assert!(count(&s, "PRAGMA page_count") < pages_before / 2);
        assert!(pruned.bytes_after < pruned.bytes_before, "{pruned:?}");
        assert_eq!(
            count(&s, "SELECT item_count FROM feeds"),
            count(&s, "SELECT count(*) FROM items"),
            "feed counts follow the prune"
        );
        let reader = crate::store::Reader::open(&db).unwrap();
        let hits = reader
            .search(&crate::store::search::SearchQuery {
                text: "Zanzibar".into(),
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        let titles: Vec<&str> = hits.iter().map(|h| h.title.as_str()).collect();
        assert_eq!(
            titles,
            vec!["Zanzibar exports"],
            "the index follows the deletions"
        );
        let count =
            |s: &Store, sql: &str| -> i64 { s.conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(count(&s, "SELECT count(*) FROM stories"), 2);
        assert_eq!(count(&s, "SELECT count(*) FROM items_fts"), 2);
        // A feed that still carries a pruned (dated) item does not bring it back as new.
        let mut dated = item("dated", "Zanzibar archive piece", None);
        dated.item.published = Some(days(200));
        s.record(id, fetched(vec![dated.clone()]), days(200))
            .unwrap();
        assert_eq!(s.prune(&policy, now, false).unwrap().items, 1);
        s.reconfigure(crate::store::StoreOptions {
            retention: policy.clone(),
            ..Default::default()
        });
        assert_eq!(s.record(id, fetched(vec![dated]), now).unwrap().new, 0);
        assert_eq!(count(&s, "SELECT count(*) FROM stories"), 2);
        // A year on, the matched story goes too, and its alert with it.
        let later = now + chrono::Duration::days(200);
        let again = s.prune(&policy, later, false).unwrap();
        assert_eq!((again.stories, again.alerts), (2, 1));
        assert_eq!(count(&s, "SELECT count(*) FROM matches"), 0);
        assert_eq!(count(&s, "SELECT count(*) FROM story_matches"), 0);
    }

    #[test]
    fn backup_refuses_an_existing_target_and_leaves_nothing_on_failure() {
        let d = tempfile::tempdir().unwrap();
        let db = d.path().join("db");
        drop(super::super::Store::open(&db, Default::default()).unwrap());
        let target = d.path().join("copy.db");
        let bytes = backup(&db, &target, false).unwrap();
        assert!(bytes > 0);
        let copy = Connection::open(&target).unwrap();
        let v: i64 = copy
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, super::super::migrations::MIGRATIONS.len() as i64);
        assert!(matches!(
            backup(&db, &target, false),
            Err(BackupError::Exists(_))
        ));
        backup(&db, &target, true).unwrap();
        for own in ["db", "db-wal"] {
            assert!(matches!(
                backup(&db, &d.path().join(own), true),
                Err(BackupError::IsDatabase(_))
            ));
        }
        // What an interrupted backup left (a process that no longer runs) is cleared.
        let stale = d.path().join(".copy.db.tmp-999999999");
        std::fs::write(&stale, b"partial").unwrap();
        backup(&db, &target, true).unwrap();
        assert!(!stale.exists());
        let e = backup(&db, &d.path().join("missing/dir/copy.db"), false).unwrap_err();
        assert!(e.to_string().contains("missing/dir/copy.db"), "{e}");
        let left: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("tmp"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}
