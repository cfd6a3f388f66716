//! Watchlist matches in the database beyond one item: raising a story's alert (once per story
//! and watchlist, with one outbox row per sink), re-checking stored items against changed
//! watchlists (`rematch`), and the outbox the delivery loop works through.
//!
//! "Once per story" is kept by the `alerts` table: an alert names the item that raised it, and
//! a story whose members include such an item (for that watchlist) is never alerted again,
//! whatever later merges, re-clusterings or re-checks do to its `story_matches` rows.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use serde::Serialize;

use super::{StoreError, sqlite_err};
use crate::alert::{AlertPayload, AlertStory, Priority, RetryPolicy};
use crate::model::{Hit, Match};
use crate::watch::{ItemText, WatchSet};

/// Where a watchlist's alerts go, and how urgent they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertRoute {
    pub priority: Priority,
    pub description: Option<String>,
    /// Sink names; none means the alert is only recorded.
    pub sinks: Vec<String>,
}

/// Alert routes by watchlist name.
pub type Routes = HashMap<String, AlertRoute>;

/// Raises the alert of story `story_id` for `m.watchlist`, matched by item `item_id`, unless
/// the story was alerted for that watchlist before. Returns whether it raised one.
pub(super) fn raise(
    conn: &Connection,
    routes: &Routes,
    story_id: i64,
    item_id: i64,
    m: &Match,
    now: i64,
) -> rusqlite::Result<bool> {
    let alerted: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM items i INDEXED BY items_story
                JOIN alerts a ON a.item_id = i.id AND a.watchlist = ?2
                WHERE i.story_id = ?1)",
        )?
        .query_row(params![story_id, m.watchlist], |r| r.get(0))?;
    if alerted {
        return Ok(false);
    }
    let route = routes.get(&m.watchlist).cloned().unwrap_or_default();
    let story = conn
        .prepare_cached(
            "SELECT i.title, i.link, i.summary, i.published, i.first_seen, f.name
             FROM items i JOIN feeds f ON f.id = i.feed_id WHERE i.id = ?1",
        )?
        .query_row([item_id], |r| {
            Ok(AlertStory {
                id: story_id,
                title: r.get(0)?,
                link: r.get(1)?,
                summary: r.get(2)?,
                published: r.get::<_, Option<i64>>(3)?.and_then(ts),
                first_seen: ts(r.get(4)?).unwrap_or_default(),
                feed: r.get(5)?,
            })
        })?;
    let alert_id: i64 = conn
        .prepare_cached(
            "INSERT INTO alerts (watchlist, story_id, item_id, created_at, payload)
             VALUES (?1, ?2, ?3, ?4, '{}') RETURNING id",
        )?
        .query_row(params![m.watchlist, story_id, item_id, now], |r| r.get(0))?;
    let payload = AlertPayload {
        kind: "aggregator.alert".into(),
        version: 1,
        alert_id,
        watchlist: m.watchlist.clone(),
        description: route.description.clone(),
        priority: route.priority,
        story,
        terms: m.terms.clone(),
        hits: m.hits.clone(),
        created_at: ts(now).unwrap_or_default(),
    };
    let json = serde_json::to_string(&payload).unwrap_or_else(|_| "{}".into());
    conn.prepare_cached("UPDATE alerts SET payload = ?2 WHERE id = ?1")?
        .execute(params![alert_id, json])?;
    let mut queue = conn.prepare_cached(
        "INSERT INTO outbox (alert_id, sink, priority, next_attempt_ms) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for sink in &route.sinks {
        queue.execute(params![
            alert_id,
            sink,
            route.priority.rank(),
            now.saturating_mul(1000)
        ])?;
    }
    Ok(true)
}

fn ts(secs: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(secs, 0)
}

/// What a re-check should cover.
#[derive(Debug, Clone, Default)]
pub struct RematchOptions {
    /// Items first seen at or after this time.
    pub since: i64,
    /// Only this watchlist (its matches are removed everywhere in range if it is no longer
    /// configured); all watchlists otherwise.
    pub watchlist: Option<String>,
    /// Whether stories that newly match raise alerts.
    pub alerts: bool,
    /// Set to stop between chunks (what was re-checked so far stays committed).
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

/// What a re-check changed. Field names are part of `rematch --format json`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RematchStats {
    /// Items re-checked.
    pub items: usize,
    /// Item matches added, removed, and kept with other terms or hits.
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    /// Stories that gained or lost a watchlist.
    pub stories_added: usize,
    pub stories_removed: usize,
    /// Alerts raised.
    pub alerts: usize,
    /// Whether the re-check was stopped before the end.
    pub cancelled: bool,
}

/// An item as a re-check reads it: id, story, feed name, title, summary, author, link.
type StoredItem = (
    i64,
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Items re-checked per transaction, so a long re-check never holds the write lock for long.
const REMATCH_CHUNK: i64 = 2000;

/// Re-evaluates stored items against `watch` (see [`RematchOptions`]).
pub(super) fn rematch(
    conn: &mut Connection,
    watch: &WatchSet,
    routes: &Routes,
    opts: &RematchOptions,
    now: i64,
) -> rusqlite::Result<RematchStats> {
    let mut stats = RematchStats::default();
    let mut after = 0i64;
    loop {
        if opts
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed))
        {
            stats.cancelled = true;
            break;
        }
        // Immediate: this connection writes beside the daemon's writer, and a transaction that
        // read first could not take the write lock once the writer has committed meanwhile.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let rows: Vec<StoredItem> = tx
            .prepare_cached(
                "SELECT i.id, i.story_id, f.name, i.title, i.summary, i.author, i.link
                 FROM items i JOIN feeds f ON f.id = i.feed_id
                 WHERE i.id > ?1 AND i.first_seen >= ?2 ORDER BY i.id LIMIT ?3",
            )?
            .query_map(params![after, opts.since, REMATCH_CHUNK], |r| {
                Ok((
                    r.get(0)?,
                    r.get::<_, Option<i64>>(1)?.unwrap_or_default(),
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        let mut touched: BTreeSet<i64> = BTreeSet::new();
        for (item_id, story_id, feed, title, summary, author, link) in &rows {
            stats.items += 1;
            let text = ItemText {
                title,
                summary: summary.as_deref().unwrap_or_default(),
                author: author.as_deref().unwrap_or_default(),
                feed,
                link: link.as_deref().unwrap_or_default(),
            };
            let wanted = |w: &str| opts.watchlist.as_deref().is_none_or(|n| n == w);
            let new: Vec<Match> = watch
                .match_fields(&text)
                .into_iter()
                .filter(|m| wanted(&m.watchlist))
                .collect();
            let old: Vec<(String, String, String)> = tx
                .prepare_cached("SELECT watchlist, terms, hits FROM matches WHERE item_id = ?1")?
                .query_map([item_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?;
            for (w, _, _) in old.iter().filter(|(w, _, _)| wanted(w)) {
                if !new.iter().any(|m| &m.watchlist == w) {
                    tx.prepare_cached("DELETE FROM matches WHERE item_id = ?1 AND watchlist = ?2")?
                        .execute(params![item_id, w])?;
                    stats.removed += 1;
                    touched.insert(*story_id);
                }
            }
            for m in &new {
                let terms = serde_json::to_string(&m.terms).unwrap_or_else(|_| "[]".into());
                let hits = serde_json::to_string(&m.hits).unwrap_or_else(|_| "[]".into());
                match old.iter().find(|(w, _, _)| *w == m.watchlist) {
                    Some((_, t, h)) if *t == terms && *h == hits => {}
                    Some(_) => {
                        tx.prepare_cached(
                            "UPDATE matches SET terms = ?3, hits = ?4
                             WHERE item_id = ?1 AND watchlist = ?2",
                        )?
                        .execute(params![
                            item_id,
                            m.watchlist,
                            terms,
                            hits
                        ])?;
                        stats.changed += 1;
                    }
                    None => {
                        tx.prepare_cached(
                            "INSERT INTO matches (item_id, watchlist, terms, hits, matched_at)
                             VALUES (?1, ?2, ?3, ?4, ?5)",
                        )?
                        .execute(params![
                            item_id,
                            m.watchlist,
                            terms,
                            hits,
                            now
                        ])?;
                        stats.added += 1;
                        touched.insert(*story_id);
                    }
                }
            }
        }
        for story in touched {
            sync_story(&tx, routes, story, opts.alerts, now, &mut stats)?;
        }
        tx.commit()?;
    }
    Ok(stats)
}

/// Makes a story's `story_matches` rows agree with its members' matches after a re-check,
/// raising alerts for watchlists the story newly matches when `alert` is set.
fn sync_story(
    conn: &Connection,
    routes: &Routes,
    story: i64,
    alert: bool,
    now: i64,
    stats: &mut RematchStats,
) -> rusqlite::Result<()> {
    stats.stories_removed += conn
        .prepare_cached(
            "DELETE FROM story_matches WHERE story_id = ?1 AND NOT EXISTS (
                SELECT 1 FROM items i INDEXED BY items_story
                JOIN matches m ON m.item_id = i.id AND m.watchlist = story_matches.watchlist
                WHERE i.story_id = ?1)",
        )?
        .execute([story])?;
    let added: Vec<(String, i64)> = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO story_matches (story_id, watchlist, item_id, matched_at)
             SELECT ?1, m.watchlist, m.item_id, m.matched_at
             FROM items i INDEXED BY items_story JOIN matches m ON m.item_id = i.id
             WHERE i.story_id = ?1
               AND NOT EXISTS (SELECT 1 FROM story_matches s
                               WHERE s.story_id = ?1 AND s.watchlist = m.watchlist)
             ORDER BY m.matched_at, m.item_id
             RETURNING watchlist, item_id",
        )?
        .query_map([story], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    stats.stories_added += added.len();
    if alert {
        for (watchlist, item_id) in added {
            let (terms, hits): (String, String) = conn
                .prepare_cached(
                    "SELECT terms, hits FROM matches WHERE item_id = ?1 AND watchlist = ?2",
                )?
                .query_row(params![item_id, watchlist], |r| Ok((r.get(0)?, r.get(1)?)))?;
            let m = Match {
                watchlist,
                terms: serde_json::from_str(&terms).unwrap_or_default(),
                hits: serde_json::from_str::<Vec<Hit>>(&hits).unwrap_or_default(),
            };
            if raise(conn, routes, story, item_id, &m, now)? {
                stats.alerts += 1;
            }
        }
    }
    Ok(())
}

/// One delivery the loop should attempt now.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: i64,
    pub alert_id: i64,
    pub sink: String,
    pub attempts: u32,
    /// The claim: when it lapses (ms). Recording an outcome checks it is still this process's.
    pub lease: i64,
    pub payload: String,
}

/// Delivery state per sink, for `status`. Field names are part of `status --format json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SinkStatus {
    pub sink: String,
    pub pending: i64,
    pub delivered: i64,
    /// Given up on (after the retry limit, or a failure retrying cannot fix).
    pub failed: i64,
    /// Deliveries whose last attempt failed and that will be retried.
    pub retrying: i64,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub last_delivered_at: Option<DateTime<Utc>>,
}

/// The outbox, through a connection of its own (the delivery loop runs beside the writer).
pub struct Outbox {
    conn: Connection,
    path: PathBuf,
}

impl Outbox {
    /// Opens the outbox of an existing, migrated database.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let err = sqlite_err(path);
        let conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(&err)?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(&err)?;
        conn.execute_batch("PRAGMA synchronous = NORMAL;")
            .map_err(&err)?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Claims up to `limit` deliveries due by `due_ms` for one of `sinks`, highest priority
    /// first, until `now_ms + lease`: another process does not take them meanwhile, and if this
    /// one dies they are due again when the lease ends. Deliveries for sinks this process does
    /// not know stay queued for one that does.
    pub fn claim(
        &mut self,
        due_ms: i64,
        now_ms: i64,
        lease: Duration,
        sinks: &[&str],
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        let err = sqlite_err(&self.path);
        let sinks = serde_json::to_string(sinks).unwrap_or_else(|_| "[]".into());
        let until = now_ms.saturating_add(lease.as_millis() as i64);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(&err)?;
        let mut rows = tx
            .prepare_cached(
                "UPDATE outbox SET next_attempt_ms = ?2 WHERE id IN (
                    SELECT id FROM outbox INDEXED BY outbox_pending
                    WHERE state = 'pending' AND next_attempt_ms <= ?1
                      AND sink IN (SELECT value FROM json_each(?4))
                    ORDER BY priority DESC, id LIMIT ?3)
                 RETURNING id, alert_id, sink, attempts, next_attempt_ms,
                    (SELECT payload FROM alerts WHERE alerts.id = outbox.alert_id)",
            )
            .and_then(|mut st| {
                st.query_map(params![due_ms, until, limit as i64, sinks], |r| {
                    Ok(Delivery {
                        id: r.get(0)?,
                        alert_id: r.get(1)?,
                        sink: r.get(2)?,
                        attempts: r.get(3)?,
                        lease: r.get(4)?,
                        payload: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(&err)?;
        tx.commit().map_err(&err)?;
        rows.sort_by_key(|d| d.id);
        Ok(rows)
    }

    /// Records a successful delivery: it is never attempted again. Returns false when the
    /// claim had lapsed and another process already recorded the delivery's outcome.
    pub fn delivered(&mut self, d: &Delivery, now_ms: i64) -> Result<bool, StoreError> {
        let n = self
            .conn
            .prepare_cached(
                "UPDATE outbox SET state = 'delivered', attempts = attempts + 1,
                    last_attempt_ms = ?2, delivered_ms = ?2
                 WHERE id = ?1 AND state = 'pending' AND next_attempt_ms = ?3",
            )
            .and_then(|mut st| st.execute(params![d.id, now_ms, d.lease]))
            .map_err(sqlite_err(&self.path))?;
        Ok(n == 1)
    }

    /// Records a failed attempt of a claimed delivery; schedules the next one, or gives up
    /// when `permanent` or the policy's attempts are spent. Returns whether it gave up, or
    /// `None` when the claim had lapsed (another process took the delivery over).
    pub fn failed(
        &mut self,
        d: &Delivery,
        now_ms: i64,
        error: &str,
        permanent: bool,
        policy: &RetryPolicy,
    ) -> Result<Option<bool>, StoreError> {
        let attempts = d.attempts + 1;
        let give_up = permanent || attempts >= policy.max_attempts;
        let next = now_ms.saturating_add(policy.delay(attempts).as_millis() as i64);
        let n = self
            .conn
            .prepare_cached(
                "UPDATE outbox SET attempts = ?2, last_attempt_ms = ?3, last_error = ?4,
                    next_attempt_ms = ?5, state = CASE WHEN ?6 THEN 'failed' ELSE 'pending' END
                 WHERE id = ?1 AND state = 'pending' AND next_attempt_ms = ?7",
            )
            .and_then(|mut st| {
                st.execute(params![
                    d.id, attempts, now_ms, error, next, give_up, d.lease
                ])
            })
            .map_err(sqlite_err(&self.path))?;
        Ok((n == 1).then_some(give_up))
    }

    /// When the next pending delivery for one of `sinks` is due (ms), if any is pending.
    pub fn next_due(&self, sinks: &[&str]) -> Result<Option<i64>, StoreError> {
        let sinks = serde_json::to_string(sinks).unwrap_or_else(|_| "[]".into());
        self.conn
            .query_row(
                "SELECT min(next_attempt_ms) FROM outbox
                 WHERE state = 'pending' AND sink IN (SELECT value FROM json_each(?1))",
                [sinks],
                |r| r.get(0),
            )
            .map_err(sqlite_err(&self.path))
    }

    /// Delivery state per sink.
    pub fn status(&self) -> Result<Vec<SinkStatus>, StoreError> {
        sink_status(&self.conn).map_err(sqlite_err(&self.path))
    }
}

/// Delivery state per sink, read through any connection.
pub fn sink_status(conn: &Connection) -> rusqlite::Result<Vec<SinkStatus>> {
    let ms = |v: Option<i64>| v.and_then(DateTime::from_timestamp_millis);
    conn.prepare(
        "SELECT sink,
            sum(state = 'pending'), sum(state = 'delivered'), sum(state = 'failed'),
            sum(state = 'pending' AND last_error IS NOT NULL),
            (SELECT last_error FROM outbox o2 WHERE o2.sink = o.sink AND o2.last_error IS NOT NULL
             ORDER BY last_attempt_ms DESC LIMIT 1),
            max(CASE WHEN last_error IS NOT NULL THEN last_attempt_ms END),
            max(delivered_ms)
         FROM outbox o GROUP BY sink ORDER BY sink",
    )?
    .query_map([], |r| {
        Ok(SinkStatus {
            sink: r.get(0)?,
            pending: r.get(1)?,
            delivered: r.get(2)?,
            failed: r.get(3)?,
            retrying: r.get(4)?,
            last_error: r.get(5)?,
            last_error_at: ms(r.get(6)?),
            last_delivered_at: ms(r.get(7)?),
        })
    })?
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    /// A database with one alert queued for `sinks`.
    fn queued(dir: &Path, sinks: &[&str]) -> PathBuf {
        let db = dir.join("db");
        let s = Store::open(&db, Default::default()).unwrap();
        s.conn
            .execute_batch(
                "INSERT INTO alerts (id, watchlist, story_id, item_id, created_at, payload)
                 VALUES (1, 'w', 1, 1, 0, '{}');",
            )
            .unwrap();
        for sink in sinks {
            s.conn
                .execute(
                    "INSERT INTO outbox (alert_id, sink, priority, next_attempt_ms) VALUES (1, ?1, 1, 0)",
                    [sink],
                )
                .unwrap();
        }
        db
    }

    #[test]
    fn a_claim_excludes_others_until_it_lapses_and_a_lapsed_claim_records_nothing() {
        let d = tempfile::tempdir().unwrap();
        let db = queued(d.path(), &["hook", "gone"]);
        let (mut a, mut b) = (Outbox::open(&db).unwrap(), Outbox::open(&db).unwrap());
        let lease = Duration::from_secs(10);
        let mine = a.claim(1_000, 1_000, lease, &["hook"], 8).unwrap();
        assert_eq!(mine.len(), 1, "only deliveries for known sinks are claimed");
        assert_eq!(mine[0].lease, 11_000);
        assert!(
            b.claim(5_000, 5_000, lease, &["hook"], 8)
                .unwrap()
                .is_empty()
        );
        // A's claim lapses; B takes the delivery over and delivers it.
        let theirs = b.claim(12_000, 12_000, lease, &["hook"], 8).unwrap();
        assert_eq!(theirs.len(), 1);
        assert!(b.delivered(&theirs[0], 12_500).unwrap());
        // A's late outcome changes nothing: the delivery stays delivered.
        let policy = RetryPolicy::default();
        assert_eq!(
            a.failed(&mine[0], 13_000, "late", false, &policy).unwrap(),
            None
        );
        assert!(!a.delivered(&mine[0], 13_000).unwrap());
        let hook = &a.status().unwrap()[1];
        assert_eq!(
            (hook.sink.as_str(), hook.delivered, hook.pending),
            ("hook", 1, 0)
        );
        assert_eq!(a.next_due(&["hook"]).unwrap(), None);
        assert_eq!(a.next_due(&["gone"]).unwrap(), Some(0));
    }

    #[test]
    fn failures_back_off_then_give_up() {
        let d = tempfile::tempdir().unwrap();
        let db = queued(d.path(), &["hook"]);
        let mut o = Outbox::open(&db).unwrap();
        let policy = RetryPolicy {
            backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(3),
            max_attempts: 3,
        };
        let mut now = 0;
        let mut waits = Vec::new();
        for _ in 0..3 {
            let c = o
                .claim(now, now, Duration::from_secs(5), &["hook"], 1)
                .unwrap();
            assert_eq!(c.len(), 1, "due at {now}");
            let gave_up = o
                .failed(&c[0], now, "HTTP 500", false, &policy)
                .unwrap()
                .unwrap();
            let next = o.next_due(&["hook"]).unwrap();
            if gave_up {
                assert_eq!(next, None);
                break;
            }
            waits.push(next.unwrap() - now);
            now = next.unwrap();
        }
        assert_eq!(waits, vec![1_000, 2_000]);
        let s = &o.status().unwrap()[0];
        assert_eq!((s.failed, s.pending), (1, 0));
        assert_eq!(s.last_error.as_deref(), Some("HTTP 500"));
    }
}
