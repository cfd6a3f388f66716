//! Watchlist matches in the database beyond one item: raising a story's alert (once per story
//! and watchlist, with one outbox row per sink), re-checking stored items against changed
//! watchlists (`rematch`), and the outbox the delivery loop works through.
//!
//! "Once per story" is kept by the `alerts` table: an alert names the item that raised it, and
//! a story whose members include such an item (for that watchlist) is never alerted again,
//! whatever later merges, re-clusterings or re-checks do to its `story_matches` rows.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use super::{StoreError, sqlite_err};
use crate::config::Priority;
use crate::model::AlertStory;
use crate::model::{Hit, Match};

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

/// What an alert says, recorded when it is raised (the `alerts.payload` column): the delivery
/// loop builds each sink's document from it (`alert::AlertPayload::new`). The field
/// names are the payload's, so alerts that earlier versions recorded as whole payloads read
/// the same.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertFacts {
    pub description: Option<String>,
    pub priority: Priority,
    pub story: AlertStory,
    /// Terms of the watchlist that matched, and where.
    pub terms: Vec<String>,
    pub hits: Vec<Hit>,
}

/// Raises the alert of `story` for `m.watchlist`, matched by item `item_id`, unless the story
/// was alerted for that watchlist before. Returns whether it raised one.
pub(super) fn raise(
    conn: &Connection,
    routes: &Routes,
    story: AlertStory,
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
        .query_row(params![story.id, m.watchlist], |r| r.get(0))?;
    if alerted {
        return Ok(false);
    }
    let route = routes.get(&m.watchlist).cloned().unwrap_or_default();
    let story_id = story.id;
    let facts = AlertFacts {
        description: route.description.clone(),
        priority: route.priority,
        story,
        terms: m.terms.clone(),
        hits: m.hits.clone(),
    };
    let json = serde_json::to_string(&facts).unwrap_or_else(|_| "{}".into());
    let alert_id: i64 = conn
        .prepare_cached(
            "INSERT INTO alerts (watchlist, story_id, item_id, created_at, payload)
             VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
        )?
        .query_row(params![m.watchlist, story_id, item_id, now, json], |r| {
            r.get(0)
        })?;
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

/// Story `story_id` as its stored item `item_id` shows it (for an alert a re-check raises).
fn story_of(conn: &Connection, story_id: i64, item_id: i64) -> rusqlite::Result<AlertStory> {
    conn.prepare_cached(
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
    })
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

impl RematchStats {
    /// Adds what another pass or chunk changed (items and `cancelled` are the caller's to
    /// combine: chunks add items, passes over the same items do not).
    pub fn add_changes(&mut self, o: &RematchStats) {
        self.added += o.added;
        self.removed += o.removed;
        self.changed += o.changed;
        self.stories_added += o.stories_added;
        self.stories_removed += o.stories_removed;
        self.alerts += o.alerts;
    }
}

/// A stored item as a re-check reads it, for the caller's matcher.
#[derive(Debug, Clone)]
pub struct StoredItem {
    pub id: i64,
    pub story_id: i64,
    /// The feed's name.
    pub feed: String,
    pub title: String,
    pub summary: Option<String>,
    pub author: Option<String>,
    pub link: Option<String>,
}

/// Items re-checked per job (one transaction), so a long re-check never holds the writer or
/// the write lock for long.
pub const REMATCH_CHUNK: i64 = 2000;

/// One chunk of a re-check (see [`super::Store::rematch_chunk`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct RematchStep {
    pub stats: RematchStats,
    /// The last item id re-checked; `None` when no item was left.
    pub last: Option<i64>,
}

impl super::Store {
    /// Re-checks the next [`REMATCH_CHUNK`] stored items after id `after` (first seen since
    /// `opts.since`), in one transaction: `matcher` says each item's matches now (the caller
    /// composes the matching stage; the store only reads and writes), and the stored matches,
    /// the stories' watchlists and, with `opts.alerts`, the alerts follow.
    pub fn rematch_chunk(
        &mut self,
        after: i64,
        opts: &RematchOptions,
        now: i64,
        matcher: impl FnMut(&StoredItem) -> Vec<Match>,
    ) -> Result<RematchStep, super::StoreError> {
        self.write(|s| {
            rematch_chunk(&s.conn, &s.options.routes, after, opts, now, matcher)
                .map_err(super::sqlite_err(&s.path))
        })
    }
}

fn rematch_chunk(
    tx: &Connection,
    routes: &Routes,
    after: i64,
    opts: &RematchOptions,
    now: i64,
    mut matcher: impl FnMut(&StoredItem) -> Vec<Match>,
) -> rusqlite::Result<RematchStep> {
    let mut stats = RematchStats::default();
    let rows: Vec<StoredItem> = tx
        .prepare_cached(
            "SELECT i.id, i.story_id, f.name, i.title, i.summary, i.author, i.link
             FROM items i JOIN feeds f ON f.id = i.feed_id
             WHERE i.id > ?1 AND i.first_seen >= ?2 ORDER BY i.id LIMIT ?3",
        )?
        .query_map(params![after, opts.since, REMATCH_CHUNK], |r| {
            Ok(StoredItem {
                id: r.get(0)?,
                story_id: r.get::<_, Option<i64>>(1)?.unwrap_or_default(),
                feed: r.get(2)?,
                title: r.get(3)?,
                summary: r.get(4)?,
                author: r.get(5)?,
                link: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let Some(last) = rows.last().map(|r| r.id) else {
        return Ok(RematchStep { stats, last: None });
    };
    let mut touched: BTreeSet<i64> = BTreeSet::new();
    for item in &rows {
        stats.items += 1;
        let wanted = |w: &str| opts.watchlist.as_deref().is_none_or(|n| n == w);
        let new: Vec<Match> = matcher(item)
            .into_iter()
            .filter(|m| wanted(&m.watchlist))
            .collect();
        let (item_id, story_id) = (&item.id, &item.story_id);
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
                    .execute(params![item_id, m.watchlist, terms, hits])?;
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
        sync_story(tx, routes, story, opts.alerts, now, &mut stats)?;
    }
    Ok(RematchStep {
        stats,
        last: Some(last),
    })
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
            if raise(
                conn,
                routes,
                story_of(conn, story, item_id)?,
                item_id,
                &m,
                now,
            )? {
                stats.alerts += 1;
            }
        }
    }
    Ok(())
}

impl super::Store {
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
}
