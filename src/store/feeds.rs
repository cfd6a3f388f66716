//! Feed rows: making sure every configured feed has one, their fetch state and validators,
//! and the schedule a fetch leaves (written in the fetch's own transaction, see `items`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::{Store, StoreError, sqlite_err};
use crate::config::FeedConfig;
use crate::fetch::Validators;

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

impl Store {
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
}

/// Keeps what a fetch said about the feed itself and when to poll it next (unless the feed's
/// address changed while it was fetched: then the fetch is stale and the row keeps its plan).
pub(super) fn apply_after(
    conn: &Connection,
    feed_id: i64,
    a: &AfterFetch,
    t: i64,
) -> rusqlite::Result<()> {
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
pub(super) const STATE_COLUMNS: &str = "id, url, etag, last_modified, error_streak, cadence_secs, feed_hint_secs, \
     last_item_count, last_new_at, last_success_at, next_poll_at, retired_at, stale, rounds, interval_reason";

pub(super) fn state_from_row(r: &rusqlite::Row<'_>, name: &str) -> rusqlite::Result<FeedState> {
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
