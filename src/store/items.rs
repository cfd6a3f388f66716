//! Recording one fetch of a feed, in one transaction: every item of a new body (stored once per
//! feed, written once with its story, updated when its content changed), its watchlist matches
//! and the alerts they raise, the search index, and the feed's result and next poll.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::alerts::{self, Routes};
use super::feeds::{STATE_COLUMNS, apply_after, state_from_row};
use super::stories::{NewMember, Stories};
use super::{AfterFetch, FeedState, Store, StoreError, sqlite_err};
use crate::dedup::{ReadyItem, sketch};
use crate::fetch::Validators;
use crate::model::Identity;

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
        /// What the parser noticed about the body: `truncated` becomes the fetch's result.
        warnings: Vec<crate::model::FeedWarning>,
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

impl Store {
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

    fn record_inner(
        &mut self,
        feed_id: i64,
        name: &str,
        rec: FetchRecord,
        now: DateTime<Utc>,
        plan: impl FnOnce(&ApplyStats) -> Option<AfterFetch>,
    ) -> Result<Recorded, StoreError> {
        let path = self.path.clone();
        let err = sqlite_err(&path);
        let tx = &self.conn;
        let t = now.timestamp();
        let mut stats = ApplyStats::default();
        let mut new_run = None;
        match rec {
            FetchRecord::NotModified {
                http_status,
                elapsed,
            } => not_modified(tx, feed_id, t, http_status, elapsed).map_err(&err)?,
            FetchRecord::Failed {
                http_status,
                error,
                elapsed,
            } => failed(tx, feed_id, t, http_status, &error, elapsed).map_err(&err)?,
            FetchRecord::Fetched {
                http_status,
                validators,
                bytes,
                elapsed,
                title,
                site_link,
                items,
                warnings,
            } => {
                let result = if warnings.contains(&crate::model::FeedWarning::Truncated) {
                    "truncated"
                } else {
                    "ok"
                };
                let warning = (!warnings.is_empty()).then(|| {
                    warnings
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                });
                let (body_stats, run) = self.store_items(feed_id, name, &items, t).map_err(&err)?;
                (stats, new_run) = (body_stats, run);
                let tx = &self.conn;
                tx.prepare_cached(
                    "UPDATE feeds SET last_fetch_at = ?2, last_result = ?12, last_warning = ?13,
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
                        site_link,
                        result,
                        warning
                    ])
                })
                .map_err(&err)?;
            }
        }
        let tx = &self.conn;
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

impl Store {
    /// Stores a body's items (see `apply_item`); returns the counts and the run of new item ids
    /// (`from..until`) to index for search.
    fn store_items(
        &mut self,
        feed_id: i64,
        name: &str,
        items: &[ReadyItem],
        t: i64,
    ) -> rusqlite::Result<(ApplyStats, Option<(i64, i64)>)> {
        let tx = &self.conn;
        let keep = Keep::at(&self.options.retention, t);
        let mut ids = NewIds::next(tx)?;
        let mut stats = ApplyStats::default();
        for item in items {
            stats += apply_item(
                tx,
                &mut self.stories,
                &self.options.routes,
                keep,
                (feed_id, name),
                item,
                t,
                &mut ids,
            )?;
        }
        Ok((
            stats,
            (ids.next > ids.first).then_some((ids.first, ids.next)),
        ))
    }
}

/// Records a fetch the server answered with 304 (or an unchanged file).
fn not_modified(
    tx: &Connection,
    feed_id: i64,
    t: i64,
    http_status: u16,
    elapsed: Duration,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE feeds SET last_fetch_at = ?2, last_result = 'not_modified',
            last_http_status = ?3, last_error = NULL, last_items_new = 0,
            last_items_updated = 0, last_bytes = 0, last_elapsed_ms = ?4,
            last_success_at = ?2, error_streak = 0
         WHERE id = ?1",
    )?
    .execute(params![feed_id, t, http_status, elapsed.as_millis() as i64])?;
    Ok(())
}

/// Records a failed fetch: the error, and one more in the feed's error streak.
fn failed(
    tx: &Connection,
    feed_id: i64,
    t: i64,
    http_status: Option<u16>,
    error: &str,
    elapsed: Duration,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE feeds SET last_fetch_at = ?2, last_result = 'error',
            last_http_status = ?3, last_error = ?4, last_items_new = 0,
            last_items_updated = 0, last_bytes = 0, last_elapsed_ms = ?5,
            error_streak = error_streak + 1
         WHERE id = ?1",
    )?
    .execute(params![
        feed_id,
        t,
        http_status,
        error,
        elapsed.as_millis() as i64
    ])?;
    Ok(())
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
                sketch::to_bytes(&ready.fingerprint.keys, ready.fingerprint.gist())
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
        sketch::to_bytes(&ready.fingerprint.keys, ready.fingerprint.gist())
    ])?;
    Ok(())
}
