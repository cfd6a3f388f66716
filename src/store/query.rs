//! Report queries over a read-only connection: items for `list`, feed state for `feeds`.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params_from_iter, types::Value};
use serde::Serialize;

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
    pub limit: Option<u64>,
}

/// One stored item as reports show it. Field names are part of the JSON interface.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ListedItem {
    pub id: i64,
    pub feed: String,
    pub title: String,
    pub link: Option<String>,
    pub guid: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub first_seen: DateTime<Utc>,
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

/// A feed row as `feeds` shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FeedRow {
    pub name: String,
    pub url: String,
    pub title: Option<String>,
    pub last_fetch_at: Option<DateTime<Utc>>,
    /// `ok`, `not_modified` or `error`; null if never fetched.
    pub last_result: Option<String>,
    pub last_http_status: Option<u16>,
    pub last_error: Option<String>,
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
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Ok(Self {
            conn: open_read_only(path)?,
            path: path.to_path_buf(),
        })
    }

    /// Items newest first, filtered.
    pub fn list(&self, q: &ListQuery) -> Result<Vec<ListedItem>, StoreError> {
        let mut sql = String::from(
            "SELECT i.id, f.name, i.title, i.link, i.guid, i.published, i.updated, i.first_seen,
                    i.author, i.summary, i.categories,
                    (SELECT json_group_array(json_object('watchlist', m.watchlist, 'terms', json(m.terms)))
                       FROM matches m WHERE m.item_id = i.id)
             FROM items i JOIN feeds f ON f.id = i.feed_id WHERE 1 = 1",
        );
        let mut args: Vec<Value> = Vec::new();
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
        sql.push_str(" ORDER BY i.sort_ts DESC, i.id DESC");
        if let Some(l) = q.limit {
            sql.push_str(" LIMIT ?");
            args.push(Value::Integer(l.min(i64::MAX as u64) as i64));
        }
        let err = sqlite_err(&self.path);
        let mut stmt = self.conn.prepare(&sql).map_err(&err)?;
        let rows = stmt
            .query_map(params_from_iter(args), |r| {
                let categories: String = r.get(10)?;
                let matches_json: String = r.get(11)?;
                let matches: Vec<Match> = serde_json::from_str::<Vec<MatchRow>>(&matches_json)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|m| Match {
                        watchlist: m.watchlist,
                        terms: m.terms,
                    })
                    .collect();
                let mut matched_terms: Vec<String> = Vec::new();
                for t in matches.iter().flat_map(|m| &m.terms) {
                    if !matched_terms.contains(t) {
                        matched_terms.push(t.clone());
                    }
                }
                Ok(ListedItem {
                    id: r.get(0)?,
                    feed: r.get(1)?,
                    title: r.get(2)?,
                    link: r.get(3)?,
                    guid: r.get(4)?,
                    published: ts(r.get(5)?),
                    updated: ts(r.get(6)?),
                    first_seen: ts(Some(r.get(7)?)).unwrap_or_default(),
                    author: r.get(8)?,
                    summary: r.get(9)?,
                    categories: serde_json::from_str(&categories).unwrap_or_default(),
                    watchlists: matches.iter().map(|m| m.watchlist.clone()).collect(),
                    matched_terms,
                    matches,
                })
            })
            .map_err(&err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(err)
    }

    /// The feed rows of the database at `path`; none if it does not exist yet.
    pub fn feeds_at(path: &Path) -> Result<Vec<FeedRow>, StoreError> {
        match Self::open(path) {
            Ok(r) => r.feeds(),
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
                        feed_hint_secs, last_new_at, stale, overflow_at, retired_at, moved_at
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
                })
            })
            .map_err(&err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(err)
    }
}

#[derive(serde::Deserialize)]
struct MatchRow {
    watchlist: String,
    terms: Vec<String>,
}
