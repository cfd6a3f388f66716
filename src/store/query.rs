//! Report queries over a read-only connection: stories and items for `list` and `show`, feed
//! state for `feeds` and `status`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params_from_iter, types::Value};
use serde::Serialize;

use super::outbox::{SinkStatus, sink_status};
use super::{StoreError, open_read_only, sqlite_err};
use crate::model::Match;

/// A read-only connection for reports.
pub struct Reader {
    conn: Connection,
    path: PathBuf,
}

/// Filters for [`Reader::list`].
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub feed: Option<String>,
    pub watchlist: Option<String>,
    pub matched_only: bool,
    /// Only stories nobody acknowledged (for items: items of such stories).
    pub unacked: bool,
    /// Only these stories (the stories of search hits, say); `None`: any.
    pub stories: Option<Vec<i64>>,
    pub limit: Option<u64>,
}

/// One stored item as reports show it. Field names are part of the JSON interface.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ListedItem {
    pub id: i64,
    /// The story the item belongs to.
    pub story_id: Option<i64>,
    pub feed: String,
    pub title: String,
    pub link: Option<String>,
    pub guid: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub first_seen: DateTime<Utc>,
    /// When the item was seen (stored here): the same as `first_seen`, named as tables name it
    /// ("published" is the feed's own date).
    pub seen: DateTime<Utc>,
    pub author: Option<String>,
    pub summary: Option<String>,
    pub categories: Vec<String>,
    /// Names of the watchlists the item matched.
    pub watchlists: Vec<String>,
    /// Every term that matched, across watchlists, without repeats.
    pub matched_terms: Vec<String>,
    /// The matches in full: watchlist and its terms.
    pub matches: Vec<Match>,
}

impl ListedItem {
    /// The time the item is sorted and filtered by: published (or updated), never later than
    /// first seen.
    pub fn time(&self) -> DateTime<Utc> {
        self.published
            .or(self.updated)
            .map_or(self.first_seen, |p| p.min(self.first_seen))
    }
}

/// One story as reports show it: its latest headline, where and when it was first seen, how
/// many outlets carried it, and (in [`ListedStory::members`]) every item with its delay.
/// Field names are part of the JSON interface.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ListedStory {
    pub id: i64,
    /// The headline of the member that arrived (or changed) last.
    pub title: String,
    /// The story's time: its earliest member's published time, never later than first seen.
    pub time: DateTime<Utc>,
    /// When the first member was stored.
    pub first_seen: DateTime<Utc>,
    /// The story's published time, as tables name it: the same as `time`.
    pub published: DateTime<Utc>,
    /// When the story was first seen (stored here), as tables name it: the same as
    /// `first_seen`.
    pub seen: DateTime<Utc>,
    /// The feed of the first member.
    pub first_source: String,
    /// Distinct feeds that carried the story.
    pub outlets: i64,
    /// Member items.
    pub items: i64,
    /// Reissues (further items from a feed already in the story) plus in-place changes of
    /// members.
    pub updates: i64,
    /// When the latest member arrived or changed.
    pub last_seen: DateTime<Utc>,
    /// Watchlists that any member matched.
    pub watchlists: Vec<String>,
    /// Members in the order they were first seen.
    pub members: Vec<Member>,
    /// Who acknowledged (handled) the story, if anyone did (see [`crate::store::acks`]).
    pub acked_by: Option<String>,
    /// When it was acknowledged.
    pub acked_at: Option<DateTime<Utc>>,
    /// The note given with the acknowledgement.
    pub ack_note: Option<String>,
}

/// A story's member item and how long after the story's first item it was seen.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Member {
    #[serde(flatten)]
    pub item: ListedItem,
    /// Seconds between the story's first sighting and this item's.
    pub delay_secs: i64,
}

/// An alert raised for a story, with its deliveries (the story page shows them).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StoryAlert {
    pub id: i64,
    pub watchlist: String,
    pub created_at: DateTime<Utc>,
    pub deliveries: Vec<StoryDelivery>,
}

/// One sink's delivery of an alert: `pending`, `delivered` or `failed`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StoryDelivery {
    pub sink: String,
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A feed row as `feeds` shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FeedRow {
    pub name: String,
    pub url: String,
    pub title: Option<String>,
    /// The feed's own link to its site, as the feed gave it.
    pub site_link: Option<String>,
    pub last_fetch_at: Option<DateTime<Utc>>,
    /// `ok`, `truncated` (a body cut short: the complete items before the cut stored),
    /// `not_modified` or `error`; null if never fetched.
    pub last_result: Option<String>,
    pub last_http_status: Option<u16>,
    pub last_error: Option<String>,
    /// What was wrong with the last body read (cut short, entries none of which could be
    /// read); null when nothing was.
    pub last_warning: Option<String>,
    pub last_items_new: Option<i64>,
    pub last_items_updated: Option<i64>,
    pub last_bytes: Option<i64>,
    pub last_elapsed_ms: Option<i64>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub error_streak: i64,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub items: i64,
    /// The configured URL (`url` is the one in use, after permanent redirects).
    pub config_url: Option<String>,
    pub next_poll_at: Option<DateTime<Utc>>,
    pub interval_secs: Option<i64>,
    /// Why the interval is what it is: configured, adaptive, server-hint, overflow, backoff,
    /// retry-after.
    pub interval_reason: Option<String>,
    pub cadence_secs: Option<i64>,
    pub feed_hint_secs: Option<i64>,
    pub last_new_at: Option<DateTime<Utc>>,
    pub stale: bool,
    pub overflow_at: Option<DateTime<Utc>>,
    pub retired_at: Option<DateTime<Utc>>,
    pub moved_at: Option<DateTime<Utc>>,
}

fn ts(v: Option<i64>) -> Option<DateTime<Utc>> {
    v.and_then(|t| DateTime::from_timestamp(t, 0))
}

impl Reader {
    /// Opens the database read-only; it must exist.
    pub(super) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Ok(Self {
            conn: open_read_only(path)?,
            path: path.to_path_buf(),
        })
    }

    /// Items newest first, filtered.
    pub fn list(&self, q: &ListQuery) -> Result<Vec<ListedItem>, StoreError> {
        let mut sql = format!("{ITEM_SELECT} WHERE 1 = 1");
        let mut args: Vec<Value> = Vec::new();
        item_filters(q, &mut sql, &mut args);
        sql.push_str(" ORDER BY i.sort_ts DESC, i.id DESC");
        push_limit(&mut sql, &mut args, q.limit);
        let err = sqlite_err(&self.path);
        let mut stmt = self.conn.prepare(&sql).map_err(&err)?;
        let rows = stmt
            .query_map(params_from_iter(args), item_from_row)
            .map_err(&err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(err)
    }

    /// Stories newest first (by their earliest member), filtered like items: a story is in
    /// when any member is of the feed, and when any member matched the watchlist.
    pub fn stories(&self, q: &ListQuery) -> Result<Vec<ListedStory>, StoreError> {
        let mut sql = format!("{STORY_SELECT} WHERE 1 = 1");
        let mut args: Vec<Value> = Vec::new();
        if let Some(s) = q.since {
            sql.push_str(" AND s.sort_ts >= ?");
            args.push(Value::Integer(s.timestamp()));
        }
        if let Some(u) = q.until {
            sql.push_str(" AND s.sort_ts < ?");
            args.push(Value::Integer(u.timestamp()));
        }
        if let Some(f) = &q.feed {
            sql.push_str(
                " AND EXISTS (SELECT 1 FROM items i JOIN feeds g ON g.id = i.feed_id
                   WHERE i.story_id = s.id AND g.name = ?)",
            );
            args.push(Value::Text(f.clone()));
        }
        if let Some(w) = &q.watchlist {
            sql.push_str(
                " AND EXISTS (SELECT 1 FROM story_matches m WHERE m.story_id = s.id AND m.watchlist = ?)",
            );
            args.push(Value::Text(w.clone()));
        } else if q.matched_only {
            sql.push_str(" AND EXISTS (SELECT 1 FROM story_matches m WHERE m.story_id = s.id)");
        }
        if q.unacked {
            sql.push_str(" AND a.story_id IS NULL");
        }
        if let Some(ids) = &q.stories {
            sql.push_str(" AND s.id IN (SELECT value FROM json_each(?))");
            args.push(Value::Text(
                serde_json::to_string(ids).expect("a list of integers serialises"),
            ));
        }
        sql.push_str(" ORDER BY s.sort_ts DESC, s.id DESC");
        push_limit(&mut sql, &mut args, q.limit);
        let err = sqlite_err(&self.path);
        let mut stories = {
            let mut stmt = self.conn.prepare(&sql).map_err(&err)?;
            let rows = stmt
                .query_map(params_from_iter(args), story_from_row)
                .map_err(&err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(&err)?
        };
        for s in &mut stories {
            s.members = self.members(s.id, s.first_seen)?;
        }
        Ok(stories)
    }

    /// One story with its members; `None` if there is no such story.
    pub fn story(&self, id: i64) -> Result<Option<ListedStory>, StoreError> {
        let err = sqlite_err(&self.path);
        let story = self
            .conn
            .prepare(&format!("{STORY_SELECT} WHERE s.id = ?1"))
            .and_then(|mut stmt| stmt.query_row([id], story_from_row).optional())
            .map_err(&err)?;
        match story {
            Some(mut s) => {
                s.members = self.members(s.id, s.first_seen)?;
                Ok(Some(s))
            }
            None => Ok(None),
        }
    }

    fn members(&self, story_id: i64, first_seen: DateTime<Utc>) -> Result<Vec<Member>, StoreError> {
        let err = sqlite_err(&self.path);
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "{} WHERE i.story_id = ?1 ORDER BY i.first_seen, i.id",
                // Without statistics the planner may walk the table in first-seen order.
                ITEM_SELECT.replace("FROM items i", "FROM items i INDEXED BY items_story")
            ))
            .map_err(&err)?;
        let rows = stmt.query_map([story_id], item_from_row).map_err(&err)?;
        rows.map(|r| {
            r.map(|item| Member {
                delay_secs: (item.first_seen - first_seen).num_seconds().max(0),
                item,
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)
    }

    /// The alerts raised for a story's members, oldest first, each with its deliveries.
    pub fn story_alerts(&self, story_id: i64) -> Result<Vec<StoryAlert>, StoreError> {
        let err = sqlite_err(&self.path);
        let mut alerts: Vec<StoryAlert> = self
            .conn
            .prepare(
                "SELECT id, watchlist, created_at FROM alerts
                 WHERE item_id IN (SELECT id FROM items WHERE story_id = ?1)
                 ORDER BY created_at, id",
            )
            .and_then(|mut st| {
                st.query_map([story_id], |r| {
                    Ok(StoryAlert {
                        id: r.get(0)?,
                        watchlist: r.get(1)?,
                        created_at: ts(Some(r.get(2)?)).unwrap_or_default(),
                        deliveries: Vec::new(),
                    })
                })?
                .collect()
            })
            .map_err(&err)?;
        let mut st = self
            .conn
            .prepare(
                "SELECT sink, state, attempts, last_error, delivered_ms FROM outbox
                 WHERE alert_id = ?1 ORDER BY id",
            )
            .map_err(&err)?;
        for a in &mut alerts {
            a.deliveries = st
                .query_map([a.id], |r| {
                    Ok(StoryDelivery {
                        sink: r.get(0)?,
                        state: r.get(1)?,
                        attempts: r.get(2)?,
                        last_error: r.get(3)?,
                        delivered_at: r
                            .get::<_, Option<i64>>(4)?
                            .and_then(DateTime::from_timestamp_millis),
                    })
                })
                .and_then(|rows| rows.collect())
                .map_err(&err)?;
        }
        Ok(alerts)
    }

    /// The feed rows of the database at `path`; none if it does not exist yet.
    pub fn feeds_at(path: &Path) -> Result<Vec<FeedRow>, StoreError> {
        match Self::open(path) {
            Ok(r) => r.feeds(),
            Err(StoreError::Missing { .. }) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// Alert delivery state per sink (empty before any alert was queued, and for a database
    /// that does not exist yet).
    pub fn sinks_at(path: &Path) -> Result<Vec<SinkStatus>, StoreError> {
        match Self::open(path) {
            Ok(r) => sink_status(&r.conn).map_err(sqlite_err(&r.path)),
            Err(StoreError::Missing { .. }) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// Every feed row (configured or not any more), by name.
    pub fn feeds(&self) -> Result<Vec<FeedRow>, StoreError> {
        let err = sqlite_err(&self.path);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT name, url, title, last_fetch_at, last_result, last_http_status, last_error,
                        last_items_new, last_items_updated, last_bytes, last_elapsed_ms,
                        last_success_at, error_streak, etag, last_modified,
                        item_count,
                        config_url, next_poll_at, interval_secs, interval_reason, cadence_secs,
                        feed_hint_secs, last_new_at, stale, overflow_at, retired_at, moved_at,
                        site_link, last_warning
                 FROM feeds f ORDER BY name",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(FeedRow {
                    name: r.get(0)?,
                    url: r.get(1)?,
                    title: r.get(2)?,
                    last_fetch_at: ts(r.get(3)?),
                    last_result: r.get(4)?,
                    last_http_status: r.get(5)?,
                    last_error: r.get(6)?,
                    last_items_new: r.get(7)?,
                    last_items_updated: r.get(8)?,
                    last_bytes: r.get(9)?,
                    last_elapsed_ms: r.get(10)?,
                    last_success_at: ts(r.get(11)?),
                    error_streak: r.get(12)?,
                    etag: r.get(13)?,
                    last_modified: r.get(14)?,
                    items: r.get(15)?,
                    config_url: r.get(16)?,
                    next_poll_at: ts(r.get(17)?),
                    interval_secs: r.get(18)?,
                    interval_reason: r.get(19)?,
                    cadence_secs: r.get(20)?,
                    feed_hint_secs: r.get(21)?,
                    last_new_at: ts(r.get(22)?),
                    stale: r.get::<_, i64>(23)? != 0,
                    overflow_at: ts(r.get(24)?),
                    retired_at: ts(r.get(25)?),
                    moved_at: ts(r.get(26)?),
                    site_link: r.get(27)?,
                    last_warning: r.get(28)?,
                })
            })
            .map_err(&err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(err)
    }
}

fn push_limit(sql: &mut String, args: &mut Vec<Value>, limit: Option<u64>) {
    if let Some(l) = limit {
        sql.push_str(" LIMIT ?");
        args.push(Value::Integer(l.min(i64::MAX as u64) as i64));
    }
}

/// Appends `q`'s filters (time, feed, watchlist or any match, unacknowledged) on items `i` joined with feeds
/// `f`, as ` AND …` clauses with their arguments.
pub(super) fn item_filters(q: &ListQuery, sql: &mut String, args: &mut Vec<Value>) {
    if let Some(s) = q.since {
        sql.push_str(" AND i.sort_ts >= ?");
        args.push(Value::Integer(s.timestamp()));
    }
    if let Some(u) = q.until {
        sql.push_str(" AND i.sort_ts < ?");
        args.push(Value::Integer(u.timestamp()));
    }
    if let Some(f) = &q.feed {
        sql.push_str(" AND f.name = ?");
        args.push(Value::Text(f.clone()));
    }
    if let Some(w) = &q.watchlist {
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM matches m WHERE m.item_id = i.id AND m.watchlist = ?)",
        );
        args.push(Value::Text(w.clone()));
    } else if q.matched_only {
        sql.push_str(" AND EXISTS (SELECT 1 FROM matches m WHERE m.item_id = i.id)");
    }
    if q.unacked {
        sql.push_str(" AND NOT EXISTS (SELECT 1 FROM story_acks a WHERE a.story_id = i.story_id)");
    }
}

/// The columns [`item_from_row`] reads; filters and order follow.
const ITEM_SELECT: &str =
    "SELECT i.id, f.name, i.title, i.link, i.guid, i.published, i.updated, i.first_seen,
        i.author, i.summary, i.categories,
        (SELECT json_group_array(json_object('watchlist', m.watchlist, 'terms', json(m.terms),
                'hits', json(m.hits)))
           FROM matches m WHERE m.item_id = i.id),
        i.story_id
 FROM items i JOIN feeds f ON f.id = i.feed_id";

fn item_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ListedItem> {
    let categories: String = r.get(10)?;
    let matches_json: String = r.get(11)?;
    let matches: Vec<Match> = serde_json::from_str(&matches_json).unwrap_or_default();
    let mut matched_terms: Vec<String> = Vec::new();
    for t in matches.iter().flat_map(|m| &m.terms) {
        if !matched_terms.contains(t) {
            matched_terms.push(t.clone());
        }
    }
    let first_seen = ts(Some(r.get(7)?)).unwrap_or_default();
    Ok(ListedItem {
        id: r.get(0)?,
        story_id: r.get(12)?,
        feed: r.get(1)?,
        title: r.get(2)?,
        link: r.get(3)?,
        guid: r.get(4)?,
        published: ts(r.get(5)?),
        updated: ts(r.get(6)?),
        first_seen,
        seen: first_seen,
        author: r.get(8)?,
        summary: r.get(9)?,
        categories: serde_json::from_str(&categories).unwrap_or_default(),
        watchlists: matches.iter().map(|m| m.watchlist.clone()).collect(),
        matched_terms,
        matches,
    })
}

/// The columns [`story_from_row`] reads.
const STORY_SELECT: &str =
    "SELECT s.id, s.title, s.sort_ts, s.first_seen, f.name, s.feeds, s.items,
        s.updates, s.last_seen,
        (SELECT json_group_array(watchlist) FROM
           (SELECT watchlist FROM story_matches m WHERE m.story_id = s.id ORDER BY watchlist)),
        a.acked_by, a.acked_at, a.note
 FROM stories s JOIN feeds f ON f.id = s.first_feed_id
 LEFT JOIN story_acks a ON a.story_id = s.id";

fn story_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ListedStory> {
    let watchlists: String = r.get(9)?;
    let first_seen = ts(Some(r.get(3)?)).unwrap_or_default();
    let time = ts(Some(r.get(2)?)).unwrap_or_default().min(first_seen);
    Ok(ListedStory {
        id: r.get(0)?,
        title: r.get(1)?,
        time,
        first_seen,
        published: time,
        seen: first_seen,
        first_source: r.get(4)?,
        outlets: r.get(5)?,
        items: r.get(6)?,
        updates: r.get(7)?,
        last_seen: ts(Some(r.get(8)?)).unwrap_or_default(),
        watchlists: serde_json::from_str(&watchlists).unwrap_or_default(),
        members: Vec::new(),
        acked_by: r.get(10)?,
        acked_at: ts(r.get(11)?),
        ack_note: r.get(12)?,
    })
}

/// Counts for `aggregator stats`. Field names are part of `stats --format json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    pub since: DateTime<Utc>,
    pub items: i64,
    pub stories: i64,
    pub matches: i64,
    pub feeds: Vec<FeedStats>,
    pub days: Vec<DayStats>,
    pub watchlists: Vec<WatchlistStats>,
}

/// One feed's share, with its fetch health.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FeedStats {
    pub feed: String,
    /// Items first seen since `since`.
    pub items: i64,
    /// Stories (first seen since `since`) the feed carried.
    pub stories: i64,
    /// Stories the feed was first to carry.
    pub first: i64,
    pub last_result: Option<String>,
    /// Failed fetches in a row now.
    pub error_streak: i64,
    pub last_error: Option<String>,
}

/// One local calendar day.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DayStats {
    /// `YYYY-MM-DD`, local time.
    pub day: String,
    pub items: i64,
    pub stories: i64,
    pub matches: i64,
}

/// One watchlist's matches.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WatchlistStats {
    pub watchlist: String,
    /// Items that matched.
    pub items: i64,
    /// Stories that matched.
    pub stories: i64,
    /// Alerts raised.
    pub alerts: i64,
}

/// The queries behind `stats`: each reads its time range through an index (see the test that
/// checks their plans).
const STATS_ITEMS: &str = "SELECT count(*) FROM items WHERE first_seen >= ?1";
const STATS_STORIES: &str = "SELECT count(*) FROM stories WHERE first_seen >= ?1";
const STATS_MATCHES: &str =
    "SELECT count(*) FROM matches m JOIN items i ON i.id = m.item_id WHERE i.first_seen >= ?1";
const STATS_BY_FEED: &str =
    "SELECT feed_id, count(*), count(DISTINCT story_id) FROM items INDEXED BY items_first_seen
                 WHERE first_seen >= ?1 GROUP BY feed_id";
const STATS_FIRST_BY_FEED: &str =
    "SELECT first_feed_id, count(*) FROM stories INDEXED BY stories_first_seen
                 WHERE first_seen >= ?1 GROUP BY first_feed_id";
const STATS_FEEDS: &str =
    "SELECT id, name, last_result, error_streak, last_error FROM feeds ORDER BY name";
const STATS_ITEMS_BY_BUCKET: &str =
    "SELECT first_seen / 900, count(*) FROM items INDEXED BY items_first_seen
                 WHERE first_seen >= ?1 GROUP BY 1";
const STATS_STORIES_BY_BUCKET: &str =
    "SELECT first_seen / 900, count(*) FROM stories INDEXED BY stories_first_seen
                 WHERE first_seen >= ?1 GROUP BY 1";
const STATS_MATCHES_BY_BUCKET: &str =
    "SELECT i.first_seen / 900, count(*) FROM items i INDEXED BY items_first_seen
                 CROSS JOIN matches m ON m.item_id = i.id
                 WHERE i.first_seen >= ?1 GROUP BY 1";
const STATS_WATCHLISTS: &str = "WITH RECURSIVE w(name) AS (
                    SELECT min(watchlist) FROM story_matches
                    UNION ALL
                    SELECT (SELECT min(watchlist) FROM story_matches WHERE watchlist > w.name)
                    FROM w WHERE w.name IS NOT NULL)
                 SELECT name FROM w WHERE name IS NOT NULL";
const STATS_MATCHES_BY_WATCHLIST: &str =
    "SELECT m.watchlist, count(*) FROM items i INDEXED BY items_first_seen
                 CROSS JOIN matches m ON m.item_id = i.id
                 WHERE i.first_seen >= ?1 GROUP BY m.watchlist";
const STATS_STORIES_BY_WATCHLIST: &str =
    "SELECT sm.watchlist, count(*) FROM stories s INDEXED BY stories_first_seen
                 CROSS JOIN story_matches sm ON sm.story_id = s.id
                 WHERE s.first_seen >= ?1 GROUP BY sm.watchlist";
const STATS_ALERTS_BY_WATCHLIST: &str =
    "SELECT watchlist, count(*) FROM alerts WHERE created_at >= ?1 GROUP BY watchlist";

/// The database gauges the metrics endpoint serves, read at one scrape.
#[derive(Debug, Default)]
pub struct DatabaseGauges {
    pub feeds: i64,
    pub backoff: i64,
    pub stale: i64,
    pub retired: i64,
    pub last_fetch: Option<i64>,
    pub items: i64,
    pub stories: i64,
    pub sinks: Vec<SinkStatus>,
}

/// Reads every database gauge in one read transaction, so they agree with each other.
pub fn database_gauges(db: &Path, busy: Duration) -> rusqlite::Result<DatabaseGauges> {
    // Read-only, and never created: a missing database is reported, not made.
    let conn = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(busy)?;
    let tx = conn.unchecked_transaction()?;
    let mut state = tx.query_row(
        "SELECT count(*), coalesce(sum(error_streak > 0), 0), coalesce(sum(stale = 1), 0),
            count(retired_at), max(last_fetch_at)
         FROM feeds",
        [],
        |r| {
            Ok(DatabaseGauges {
                feeds: r.get(0)?,
                backoff: r.get(1)?,
                stale: r.get(2)?,
                retired: r.get(3)?,
                last_fetch: r.get(4)?,
                ..DatabaseGauges::default()
            })
        },
    )?;
    // count(*) rather than max(id) or the feeds' item counts: exact after pruning, and about
    // 50 ms on a million items, which a scrape can afford.
    state.items = tx.query_row("SELECT count(*) FROM items", [], |r| r.get(0))?;
    state.stories = tx.query_row("SELECT count(*) FROM stories", [], |r| r.get(0))?;
    state.sinks = sink_status(&tx)?;
    Ok(state)
}

#[cfg(test)]
const STATS_QUERIES: &[&str] = &[
    STATS_ITEMS,
    STATS_STORIES,
    STATS_MATCHES,
    STATS_BY_FEED,
    STATS_FIRST_BY_FEED,
    STATS_FEEDS,
    STATS_ITEMS_BY_BUCKET,
    STATS_STORIES_BY_BUCKET,
    STATS_MATCHES_BY_BUCKET,
    STATS_WATCHLISTS,
    STATS_MATCHES_BY_WATCHLIST,
    STATS_STORIES_BY_WATCHLIST,
    STATS_ALERTS_BY_WATCHLIST,
];

impl Reader {
    /// Counts of what was stored since `since` (by first-seen time).
    pub fn stats(&self, since: DateTime<Utc>) -> Result<Stats, StoreError> {
        let err = sqlite_err(&self.path);
        let t = since.timestamp();
        let one = |sql: &str| -> Result<i64, StoreError> {
            self.conn.query_row(sql, [t], |r| r.get(0)).map_err(&err)
        };
        let items = one(STATS_ITEMS)?;
        let stories = one(STATS_STORIES)?;
        let matches = one(STATS_MATCHES)?;
        // Per feed: grouped over the range (a covering index scan), joined to the feed list.
        let mut by_feed: HashMap<i64, (i64, i64, i64)> = HashMap::new();
        self.conn
            .prepare(STATS_BY_FEED)
            .and_then(|mut st| {
                st.query_map([t], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .try_for_each(|row| {
                        let (feed, items, stories) = row?;
                        by_feed.entry(feed).or_default().0 = items;
                        by_feed.entry(feed).or_default().1 = stories;
                        Ok(())
                    })
            })
            .map_err(&err)?;
        self.conn
            .prepare(STATS_FIRST_BY_FEED)
            .and_then(|mut st| {
                st.query_map([t], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .try_for_each(|row| {
                        let (feed, first) = row?;
                        by_feed.entry(feed).or_default().2 = first;
                        Ok(())
                    })
            })
            .map_err(&err)?;
        let feeds = self
            .conn
            .prepare(STATS_FEEDS)
            .and_then(|mut st| {
                st.query_map([], |r| {
                    let (items, stories, first) = by_feed
                        .get(&r.get::<_, i64>(0)?)
                        .copied()
                        .unwrap_or_default();
                    Ok(FeedStats {
                        feed: r.get(1)?,
                        items,
                        stories,
                        first,
                        last_result: r.get(2)?,
                        error_streak: r.get(3)?,
                        last_error: r.get(4)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(&err)?;
        // Per local day: counted in quarter-hour buckets (covering index scans, no date
        // function per row; every time zone's midnight falls on a quarter hour), the buckets
        // turned into local dates here.
        let mut by_day: std::collections::BTreeMap<String, (i64, i64, i64)> = Default::default();
        for (column, sql) in [
            (0, STATS_ITEMS_BY_BUCKET),
            (1, STATS_STORIES_BY_BUCKET),
            (2, STATS_MATCHES_BY_BUCKET),
        ] {
            self.conn
                .prepare(sql)
                .and_then(|mut st| {
                    st.query_map([t], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?
                        .try_for_each(|row| {
                            let (bucket, n) = row?;
                            let day = DateTime::from_timestamp(bucket.saturating_mul(900), 0)
                                .unwrap_or_default()
                                .with_timezone(&chrono::Local)
                                .format("%Y-%m-%d")
                                .to_string();
                            let counts = by_day.entry(day).or_default();
                            match column {
                                0 => counts.0 += n,
                                1 => counts.1 += n,
                                _ => counts.2 += n,
                            }
                            Ok(())
                        })
                })
                .map_err(&err)?;
        }
        let days = by_day
            .into_iter()
            .map(|(day, (items, stories, matches))| DayStats {
                day,
                items,
                stories,
                matches,
            })
            .collect();
        // Per watchlist: each count grouped over its range; the watchlists are those that ever
        // matched a story, read as a skip scan over the watchlist index.
        let mut by_list: std::collections::BTreeMap<String, (i64, i64, i64)> = self
            .conn
            .prepare(STATS_WATCHLISTS)
            .and_then(|mut st| {
                st.query_map([], |r| Ok((r.get::<_, String>(0)?, (0, 0, 0))))?
                    .collect()
            })
            .map_err(&err)?;
        for (column, sql) in [
            (0, STATS_MATCHES_BY_WATCHLIST),
            (1, STATS_STORIES_BY_WATCHLIST),
            (2, STATS_ALERTS_BY_WATCHLIST),
        ] {
            self.conn
                .prepare(sql)
                .and_then(|mut st| {
                    st.query_map([t], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
                        .try_for_each(|row| {
                            let (name, n) = row?;
                            if let Some(counts) = by_list.get_mut(&name) {
                                match column {
                                    0 => counts.0 = n,
                                    1 => counts.1 = n,
                                    _ => counts.2 = n,
                                }
                            }
                            Ok(())
                        })
                })
                .map_err(&err)?;
        }
        let watchlists = by_list
            .into_iter()
            .map(|(watchlist, (items, stories, alerts))| WatchlistStats {
                watchlist,
                items,
                stories,
                alerts,
            })
            .collect();
        Ok(Stats {
            since,
            items,
            stories,
            matches,
            feeds,
            days,
            watchlists,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `stats` query reads the large tables (items, stories, matches, story matches,
    /// alerts) through an index over its range or by key, never by a full scan: the cost follows
    /// the items in the range, not feeds × stories.
    #[test]
    fn stats_queries_never_scan_a_large_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        drop(crate::store::Store::open(&path, Default::default()).unwrap());
        let conn = Connection::open(&path).unwrap();
        for sql in STATS_QUERIES {
            let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let args = vec![Value::Integer(0); st.parameter_count()];
            let plan: Vec<String> = st
                .query_map(params_from_iter(args), |r| r.get(3))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            for line in &plan {
                let scanned = line
                    .strip_prefix("SCAN ")
                    .and_then(|rest| rest.split_whitespace().next());
                assert!(
                    scanned.is_none_or(|t| matches!(t, "feeds" | "w" | "d")),
                    "{sql}\n  scans: {line}\n  plan: {plan:?}"
                );
            }
        }
    }
}
