//! Story assignment, run by the writer inside the transaction that stores an item: probe the
//! sketch index for candidates, read what the decision needs, apply what
//! [`crate::dedup::cluster`] decides (join, merge, or a new story), and keep each story's
//! summary columns (first source, outlets, updates, latest
//! headline) current. Also re-clusters a time range (`restory`).
//!
//! The index ([`SketchIndex`]) lives in memory and is loaded from the items' stored keys on
//! first use. Candidates are verified against the stored text, and a candidate's story is read
//! from its row, so a story changed by another process (a `restory` while the daemon runs) is
//! never joined through a stale index entry.

use std::sync::Arc;
use std::time::Duration;

use hashlink::LruCache;
use rusqlite::{Connection, OptionalExtension, params};

use crate::dedup::cluster;
use crate::dedup::sketch::{self, Entry, SketchIndex};
use crate::dedup::story::Fingerprint;

/// Fingerprints kept for verifying candidates without re-reading their text.
const CACHE: usize = 4096;

/// The writer's story state: the sketch index and recently seen fingerprints.
pub(crate) struct Stories {
    window: i64,
    index: Option<SketchIndex>,
    cache: LruCache<i64, Arc<Fingerprint>>,
}

/// An item just stored, to be placed in a story.
pub(crate) struct NewMember<'a> {
    pub item_id: i64,
    pub feed_id: i64,
    pub link: Option<&'a str>,
    pub title: &'a str,
    pub fingerprint: &'a Fingerprint,
    /// The item's time (published, else first seen), seconds.
    pub at: i64,
    /// When it was stored.
    pub now: i64,
}

/// What [`Stories::restory`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RestoryStats {
    /// Items re-assigned.
    pub items: usize,
    /// Stories those items belonged to before, and after.
    pub stories_before: usize,
    pub stories_after: usize,
}

impl Stories {
    pub fn new(window: Duration) -> Self {
        Self {
            window: window.as_secs().min(i64::MAX as u64) as i64,
            index: None,
            cache: LruCache::new(CACHE),
        }
    }

    pub fn window(&self) -> Duration {
        Duration::from_secs(self.window as u64)
    }

    /// Forgets the in-memory state (it reloads on next use): after a rollback, whose items
    /// the index may still name.
    pub fn reset(&mut self) {
        self.index = None;
        self.cache.clear();
    }

    /// Heap bytes of the sketch index, if loaded.
    pub fn index_bytes(&self) -> Option<(usize, usize)> {
        self.index.as_ref().map(|i| (i.len(), i.heap_bytes()))
    }

    fn index(&mut self, conn: &Connection, now: i64) -> rusqlite::Result<&mut SketchIndex> {
        if self.index.is_none() {
            // Items seen lately, whatever their own dates (a feed's backlog arrives at once).
            let mut index = SketchIndex::new(self.window);
            load(
                conn,
                &mut index,
                Range::FirstSeen(now.saturating_sub(2 * self.window)),
            )?;
            tracing::debug!(items = index.len(), "story index loaded");
            self.index = Some(index);
        }
        Ok(self.index.as_mut().expect("just loaded"))
    }

    fn fingerprint(
        &mut self,
        conn: &Connection,
        item_id: i64,
    ) -> rusqlite::Result<Option<Arc<Fingerprint>>> {
        if let Some(f) = self.cache.get(&item_id) {
            return Ok(Some(f.clone()));
        }
        let text: Option<(String, Option<String>)> = conn
            .prepare_cached("SELECT title, summary FROM items WHERE id = ?1")?
            .query_row([item_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(text.map(|(t, s)| {
            let f = Arc::new(Fingerprint::for_comparison(
                &t,
                s.as_deref().unwrap_or_default(),
            ));
            self.cache.insert(item_id, f.clone());
            f
        }))
    }

    /// Places a stored item that has no story (a re-clustered one) in a story and returns the
    /// story's id.
    pub fn assign(&mut self, conn: &Connection, m: &NewMember<'_>) -> rusqlite::Result<i64> {
        let story_id = self.place(conn, m)?;
        conn.prepare_cached("UPDATE items SET story_id = ?2, sketch = ?3 WHERE id = ?1")?
            .execute(params![
                m.item_id,
                story_id,
                sketch::to_bytes(&m.fingerprint.keys, m.fingerprint.gist())
            ])?;
        self.remember(m, story_id);
        Ok(story_id)
    }

    /// Chooses the story of an item about to be stored (joining, merging or starting one) and
    /// returns its id; the caller stores the item in it and then calls [`Stories::remember`].
    pub fn place(&mut self, conn: &Connection, m: &NewMember<'_>) -> rusqlite::Result<i64> {
        let keys = m.fingerprint.keys;
        let joined = match self.by_link(conn, m)? {
            Some(story_id) => Some(story_id),
            None => self.by_text(conn, m, &keys)?,
        };
        let story_id = match joined {
            Some(story_id) => {
                conn.prepare_cached(
                    "UPDATE stories SET
                        items = items + 1,
                        feeds = feeds + NOT EXISTS (SELECT 1 FROM items WHERE story_id = ?1 AND feed_id = ?2),
                        updates = updates + EXISTS (SELECT 1 FROM items WHERE story_id = ?1 AND feed_id = ?2),
                        sort_ts = min(sort_ts, ?3),
                        last_seen = ?4,
                        title = ?5
                     WHERE id = ?1",
                )?
                .execute(params![story_id, m.feed_id, m.at, m.now, m.title])?;
                story_id
            }
            None => conn
                .prepare_cached(
                    "INSERT INTO stories (first_seen, first_item_id, first_feed_id, sort_ts, last_seen, title)
                     VALUES (?1, ?2, ?3, ?4, ?1, ?5) RETURNING id",
                )?
                .query_row(
                    params![m.now, m.item_id, m.feed_id, m.at, m.title],
                    |r| r.get(0),
                )?,
        };
        Ok(story_id)
    }

    /// Makes a stored item findable by its current text: indexed under its keys (an index not
    /// loaded yet will read it from its row), its fingerprint cached.
    pub fn remember(&mut self, m: &NewMember<'_>, story_id: i64) {
        let entry = Entry {
            item_id: m.item_id,
            story_id,
            at: m.at,
            gist: m.fingerprint.gist(),
        };
        if let Some(index) = self.index.as_mut() {
            index.insert(entry, m.fingerprint.keys);
        }
        self.cache
            .insert(m.item_id, Arc::new(m.fingerprint.clone()));
    }

    /// The same article link in another feed: the same story, whatever the window, unless the
    /// texts have nothing in common ([`cluster::same_article`]).
    fn by_link(&mut self, conn: &Connection, m: &NewMember<'_>) -> rusqlite::Result<Option<i64>> {
        let Some(link) = m.link else {
            return Ok(None);
        };
        let linked: Vec<(i64, i64)> = conn
            .prepare_cached(
                "SELECT id, story_id FROM items INDEXED BY items_link_key
                 WHERE link_key = ?1 AND feed_id != ?2 AND story_id IS NOT NULL
                 ORDER BY id LIMIT 4",
            )?
            .query_map(params![link, m.feed_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (id, story_id) in linked {
            if let Some(other) = self.fingerprint(conn, id)?
                && cluster::same_article(m.fingerprint, &other)
            {
                return Ok(Some(story_id));
            }
        }
        Ok(None)
    }

    /// The story the new item is a near-duplicate of, among the stories of the index's
    /// candidates: this gathers what [`cluster::decide`] needs (each candidate story's
    /// members' fingerprints, its current id, latest members and size, from the rows, so a
    /// stale index entry never decides) and applies its decision.
    fn by_text(
        &mut self,
        conn: &Connection,
        m: &NewMember<'_>,
        keys: &sketch::Keys,
    ) -> rusqlite::Result<Option<i64>> {
        let found = self.index(conn, m.now)?.candidates(keys, m.at);
        let mut matched: Vec<cluster::Matched> = Vec::new();
        for (_, items) in cluster::group(&found, m.item_id) {
            let mut members = Vec::with_capacity(items.len());
            let mut ids = Vec::with_capacity(items.len());
            for c in items {
                // Most candidates share a phrase, not the story: their gist says so without
                // reading their text.
                if m.fingerprint.ruled_out_by(&c.entry.gist) {
                    continue;
                }
                if let Some(fp) = self.fingerprint(conn, c.entry.item_id)? {
                    members.push((fp, c.entry.at));
                    ids.push(c.entry.item_id);
                }
            }
            let Some((score, best)) = cluster::best_member(m.fingerprint, m.at, &members) else {
                continue;
            };
            // The index may be stale (another process re-clustered): the row says the story.
            let Some(story_id) = conn
                .prepare_cached("SELECT story_id FROM items WHERE id = ?1")?
                .query_row([ids[best]], |r| r.get::<_, Option<i64>>(0))
                .optional()?
                .flatten()
            else {
                continue;
            };
            if matched.iter().any(|x| x.story == story_id) {
                continue;
            }
            let latest = self.latest_members(conn, story_id, m.item_id)?;
            if cluster::contradicts(m.fingerprint, &latest) {
                continue;
            }
            let size: i64 = conn
                .prepare_cached("SELECT items FROM stories WHERE id = ?1")?
                .query_row([story_id], |r| r.get(0))
                .optional()?
                .unwrap_or(i64::MAX);
            matched.push(cluster::Matched {
                story: story_id,
                score,
                member: members[best].0.clone(),
                size,
            });
        }
        match cluster::decide(matched) {
            cluster::Decision::New => Ok(None),
            cluster::Decision::Join(story) => Ok(Some(story)),
            cluster::Decision::Merge { keep, gone } => {
                for &g in &gone {
                    merge(conn, g, keep)?;
                }
                refresh_story(conn, keep)?;
                tracing::debug!(story = keep, merged = ?gone, "stories merged");
                Ok(Some(keep))
            }
        }
    }

    /// The fingerprints of a story's latest members (by id, the order they were stored in),
    /// but `item`.
    fn latest_members(
        &mut self,
        conn: &Connection,
        story_id: i64,
        item: i64,
    ) -> rusqlite::Result<Vec<Arc<Fingerprint>>> {
        let members: Vec<i64> = conn
            .prepare_cached(
                "SELECT id FROM items INDEXED BY items_story WHERE story_id = ?1 AND id != ?2
                 ORDER BY id DESC LIMIT ?3",
            )?
            .query_map(params![story_id, item, cluster::MAX_CHECKED as i64], |r| {
                r.get(0)
            })?
            .collect::<Result<_, _>>()?;
        let mut out = Vec::with_capacity(members.len());
        for id in members {
            out.extend(self.fingerprint(conn, id)?);
        }
        Ok(out)
    }

    /// Records that a stored item (of story `story_id`) changed in place, its row already
    /// updated: the story counts an update and takes the new headline; the item stays in its
    /// story (membership is stable) and is also findable by its new text. Items without a
    /// story (never the case after migration 3) get one.
    pub fn revise(
        &mut self,
        conn: &Connection,
        m: &NewMember<'_>,
        story_id: Option<i64>,
    ) -> rusqlite::Result<i64> {
        let Some(story_id) = story_id else {
            return self.assign(conn, m);
        };
        conn.prepare_cached(
            "UPDATE stories SET updates = updates + 1, last_seen = ?2, title = ?3,
                sort_ts = min(sort_ts, ?4)
             WHERE id = ?1",
        )?
        .execute(params![story_id, m.now, m.title, m.at])?;
        self.remember(m, story_id);
        Ok(story_id)
    }

    /// Re-clusters every item whose time is `since` or later, in the order they were first
    /// seen, as if they arrived again under the current rules; items before `since` keep their
    /// stories (and new ones may join them). Story ids in the range change.
    pub fn restory(&mut self, conn: &Connection, since: i64) -> rusqlite::Result<RestoryStats> {
        let mut stats = RestoryStats::default();
        let before: Vec<i64> = collect(
            conn,
            "SELECT DISTINCT story_id FROM items WHERE sort_ts >= ?1 AND story_id IS NOT NULL",
            since,
        )?;
        stats.stories_before = before.len();
        struct Row {
            id: i64,
            feed_id: i64,
            link: Option<String>,
            title: String,
            summary: Option<String>,
            at: i64,
            first_seen: i64,
        }
        let rows: Vec<Row> = conn
            .prepare(
                "SELECT id, feed_id, link_key, title, summary, sort_ts, first_seen FROM items
                 WHERE sort_ts >= ?1 ORDER BY first_seen, id",
            )?
            .query_map([since], |r| {
                Ok(Row {
                    id: r.get(0)?,
                    feed_id: r.get(1)?,
                    link: r.get(2)?,
                    title: r.get(3)?,
                    summary: r.get(4)?,
                    at: r.get(5)?,
                    first_seen: r.get(6)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        conn.execute(
            "UPDATE items SET story_id = NULL WHERE sort_ts >= ?1",
            [since],
        )?;
        // The index holds the earlier items only; the range is added back one by one.
        let mut index = SketchIndex::new(self.window);
        load(
            conn,
            &mut index,
            Range::Time(since.saturating_sub(2 * self.window), since),
        )?;
        self.index = Some(index);
        self.cache.clear();
        let mut touched: Vec<i64> = before;
        for row in &rows {
            let fp = Fingerprint::new(&row.title, row.summary.as_deref().unwrap_or_default());
            let story_id = self.assign(
                conn,
                &NewMember {
                    item_id: row.id,
                    feed_id: row.feed_id,
                    link: row.link.as_deref(),
                    title: &row.title,
                    fingerprint: &fp,
                    at: row.at,
                    now: row.first_seen,
                },
            )?;
            touched.push(story_id);
        }
        touched.sort_unstable();
        touched.dedup();
        for &id in &touched {
            refresh_story(conn, id)?;
        }
        stats.items = rows.len();
        stats.stories_after = collect(
            conn,
            "SELECT DISTINCT story_id FROM items WHERE sort_ts >= ?1",
            since,
        )?
        .len();
        // The index now names stories by their final ids, but is rebuilt on next use anyway
        // so that it also covers items newer than the range's last.
        self.reset();
        Ok(stats)
    }
}

fn collect(conn: &Connection, sql: &str, arg: i64) -> rusqlite::Result<Vec<i64>> {
    conn.prepare(sql)?.query_map([arg], |r| r.get(0))?.collect()
}

/// Which stored items [`load`] indexes.
enum Range {
    /// First seen at or after this time.
    FirstSeen(i64),
    /// Item time (published, else first seen) in `from..until`.
    Time(i64, i64),
}

/// Adds stored items to `index`, computing keys for items stored before keys were kept.
fn load(conn: &Connection, index: &mut SketchIndex, range: Range) -> rusqlite::Result<()> {
    const COLUMNS: &str = "SELECT id, story_id, sort_ts, sketch,
                CASE WHEN sketch IS NULL THEN title END,
                CASE WHEN sketch IS NULL THEN summary END
         FROM items WHERE story_id IS NOT NULL AND ";
    let (filter, from, until) = match range {
        Range::FirstSeen(from) => ("first_seen >= ?1 AND ?2", from, 1),
        Range::Time(from, until) => ("sort_ts >= ?1 AND sort_ts < ?2", from, until),
    };
    let mut stmt = conn.prepare(&format!("{COLUMNS}{filter} ORDER BY first_seen, id"))?;
    let mut rows = stmt.query(params![from, until])?;
    while let Some(r) = rows.next()? {
        let blob: Option<Vec<u8>> = r.get(3)?;
        let (keys, gist) = match blob.as_deref().and_then(sketch::from_bytes) {
            Some(stored) => stored,
            None => {
                let title: Option<String> = r.get(4)?;
                let summary: Option<String> = r.get(5)?;
                let f = Fingerprint::new(
                    title.as_deref().unwrap_or_default(),
                    summary.as_deref().unwrap_or_default(),
                );
                (f.keys, f.gist())
            }
        };
        index.insert(
            Entry {
                item_id: r.get(0)?,
                story_id: r.get(1)?,
                at: r.get(2)?,
                gist,
            },
            keys,
        );
    }
    Ok(())
}

/// Moves every member of story `gone` into story `keep` and deletes `gone`; the caller
/// refreshes `keep`'s summary. An acknowledgement moves too: the earlier of the two stories'
/// stays on `keep` (see [`super::acks::carry`]).
fn merge(conn: &Connection, gone: i64, keep: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE items SET story_id = ?2 WHERE story_id = ?1")?
        .execute(params![gone, keep])?;
    super::acks::carry(conn, gone, keep)?;
    conn.prepare_cached("DELETE FROM stories WHERE id = ?1")?
        .execute([gone])?;
    Ok(())
}

/// Recomputes a story's summary columns from its members, and its watchlist matches; deletes
/// it when no member is left.
///
/// Queries over a story's members name the `items_story` index: with `ORDER BY … LIMIT`, the
/// planner, which has no statistics, may otherwise walk the whole table in that order.
fn refresh_story(conn: &Connection, id: i64) -> rusqlite::Result<()> {
    let members: i64 = conn
        .prepare_cached("SELECT count(*) FROM items WHERE story_id = ?1")?
        .query_row([id], |r| r.get(0))?;
    if members == 0 {
        conn.prepare_cached("DELETE FROM stories WHERE id = ?1")?
            .execute([id])?;
        return Ok(());
    }
    conn.prepare_cached(
        "UPDATE stories SET
            items = agg.n, feeds = agg.f, updates = agg.n - agg.f + agg.r,
            sort_ts = agg.s, last_seen = agg.l,
            first_item_id = first.id, first_feed_id = first.feed_id, first_seen = first.first_seen,
            title = latest.title
         FROM (SELECT count(*) AS n, count(DISTINCT feed_id) AS f, coalesce(sum(revisions), 0) AS r,
                      min(sort_ts) AS s, max(coalesce(changed_at, first_seen)) AS l
               FROM items WHERE story_id = ?1) AS agg,
              (SELECT id, feed_id, first_seen FROM items INDEXED BY items_story
               WHERE story_id = ?1 ORDER BY first_seen, id LIMIT 1) AS first,
              (SELECT title FROM items INDEXED BY items_story WHERE story_id = ?1
               ORDER BY coalesce(changed_at, first_seen) DESC, id DESC LIMIT 1) AS latest
         WHERE stories.id = ?1",
    )?
    .execute([id])?;
    conn.prepare_cached("DELETE FROM story_matches WHERE story_id = ?1")?
        .execute([id])?;
    conn.prepare_cached(
        "INSERT OR IGNORE INTO story_matches (story_id, watchlist, item_id, matched_at)
         SELECT ?1, m.watchlist, m.item_id, m.matched_at
         FROM matches m JOIN items i ON i.id = m.item_id
         WHERE i.story_id = ?1 ORDER BY m.matched_at, m.item_id",
    )?
    .execute([id])?;
    Ok(())
}
