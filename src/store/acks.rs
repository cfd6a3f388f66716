//! Acknowledgements: an editor marks a story as handled (by whom, when, an optional note), for
//! the whole desk, in the database; and the log of watchlist changes made through aggregator.
//!
//! A story has at most one acknowledgement: acknowledging it again replaces who, when and the
//! note. The row goes with its story (a foreign key with `ON DELETE CASCADE`: `prune`, and
//! stories that a merge or a `restory` empties, leave no orphan). When stories change shape the
//! acknowledgement follows the story that goes on:
//! - a merge ([`carry`]) keeps the **earliest** acknowledgement of the stories merged (the story
//!   was handled from then on, by that editor); the later one, and its note, are dropped;
//! - a `restory` ([`held_in_range`], [`reattach`]) gives new ids to the stories of its range: the
//!   acknowledgement of a story that did not survive goes to the story that now holds that
//!   story's first item, again the earliest when two land in one story.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::query::Reader;
use super::{Store, StoreError, sqlite_err};

/// One change of a watchlist, as the change log recorded it. Field names are part of the JSON
/// interface.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WatchlistChange {
    pub id: i64,
    pub changed_at: DateTime<Utc>,
    /// Who made the change (a user name, as the editor gave it).
    pub changed_by: String,
    /// The watchlist's name.
    pub watchlist: String,
    /// The watchlist's TOML text before the change; `None` for a new watchlist.
    pub before: Option<String>,
    /// The watchlist's TOML text after the change; `None` for a removed watchlist.
    pub after: Option<String>,
}

impl Store {
    /// Marks story `story_id` as handled by `by` at `now`, with an optional note; acknowledging
    /// it again replaces who, when and the note. Returns `false` (and writes nothing) when
    /// there is no such story.
    pub fn acknowledge(
        &mut self,
        story_id: i64,
        by: &str,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.write(|s| {
            let n = s
                .conn
                .prepare_cached(
                    "INSERT INTO story_acks (story_id, acked_by, acked_at, note)
                     SELECT id, ?2, ?3, ?4 FROM stories WHERE id = ?1
                     ON CONFLICT (story_id) DO UPDATE SET
                        acked_by = excluded.acked_by, acked_at = excluded.acked_at,
                        note = excluded.note",
                )
                .and_then(|mut st| st.execute(params![story_id, by, now.timestamp(), note]))
                .map_err(sqlite_err(&s.path))?;
            Ok(n > 0)
        })
    }

    /// Removes story `story_id`'s acknowledgement, if it has one. Returns `false` when there
    /// is no such story (as [`Store::acknowledge`] does), `true` when the story exists and is
    /// now unacknowledged.
    pub fn unacknowledge(&mut self, story_id: i64) -> Result<bool, StoreError> {
        self.write(|s| {
            let err = sqlite_err(&s.path);
            let exists: bool = s
                .conn
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM stories WHERE id = ?1)")
                .and_then(|mut st| st.query_row([story_id], |r| r.get(0)))
                .map_err(&err)?;
            s.conn
                .prepare_cached("DELETE FROM story_acks WHERE story_id = ?1")
                .and_then(|mut st| st.execute([story_id]))
                .map_err(&err)?;
            Ok(exists)
        })
    }

    /// Logs a change of watchlist `name` made by `by` at `now`: its TOML text `before` (`None`
    /// for a new watchlist) and `after` (`None` for a removed one). Returns the entry's id.
    pub fn record_watchlist_change(
        &mut self,
        by: &str,
        name: &str,
        before: Option<&str>,
        after: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        self.write(|s| {
            s.conn
                .prepare_cached(
                    "INSERT INTO watchlist_changes
                        (changed_at, changed_by, watchlist, before_toml, after_toml)
                     VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                )
                .and_then(|mut st| {
                    st.query_row(params![now.timestamp(), by, name, before, after], |r| {
                        r.get(0)
                    })
                })
                .map_err(sqlite_err(&s.path))
        })
    }
}

impl Reader {
    /// The latest `limit` watchlist changes, newest first.
    pub fn watchlist_changes(&self, limit: u64) -> Result<Vec<WatchlistChange>, StoreError> {
        let err = sqlite_err(self.path());
        let mut st = self
            .conn()
            .prepare(
                "SELECT id, changed_at, changed_by, watchlist, before_toml, after_toml
                 FROM watchlist_changes ORDER BY id DESC LIMIT ?1",
            )
            .map_err(&err)?;
        let rows = st
            .query_map([limit.min(i64::MAX as u64) as i64], |r| {
                Ok(WatchlistChange {
                    id: r.get(0)?,
                    changed_at: DateTime::from_timestamp(r.get(1)?, 0).unwrap_or_default(),
                    changed_by: r.get(2)?,
                    watchlist: r.get(3)?,
                    before: r.get(4)?,
                    after: r.get(5)?,
                })
            })
            .map_err(&err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(err)
    }
}

/// Moves story `gone`'s acknowledgement to story `keep` (a merge, before `gone` is deleted):
/// the earlier of the two stays; on a tie, `keep`'s.
pub(super) fn carry(conn: &Connection, gone: i64, keep: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO story_acks (story_id, acked_by, acked_at, note)
         SELECT ?2, acked_by, acked_at, note FROM story_acks WHERE story_id = ?1
         ON CONFLICT (story_id) DO UPDATE SET
            acked_by = excluded.acked_by, acked_at = excluded.acked_at, note = excluded.note
         WHERE excluded.acked_at < story_acks.acked_at",
    )?
    .execute(params![gone, keep])?;
    Ok(())
}

/// An acknowledgement a `restory` may take away with its story, and the item that says where
/// it goes after.
pub(super) struct Held {
    story_id: i64,
    first_item_id: i64,
    by: String,
    at: i64,
    note: Option<String>,
}

/// The acknowledgements of the stories a `restory` from `since` re-clusters (those with a
/// member in the range), read before it runs.
pub(super) fn held_in_range(conn: &Connection, since: i64) -> rusqlite::Result<Vec<Held>> {
    conn.prepare(
        "SELECT a.story_id, s.first_item_id, a.acked_by, a.acked_at, a.note
         FROM story_acks a JOIN stories s ON s.id = a.story_id
         WHERE EXISTS (SELECT 1 FROM items i INDEXED BY items_story
                       WHERE i.story_id = a.story_id AND i.sort_ts >= ?1)",
    )?
    .query_map([since], |r| {
        Ok(Held {
            story_id: r.get(0)?,
            first_item_id: r.get(1)?,
            by: r.get(2)?,
            at: r.get(3)?,
            note: r.get(4)?,
        })
    })?
    .collect()
}

/// After a `restory`: each acknowledgement whose story is gone goes to the story that now
/// holds the old story's first item (the earlier one stays if that story has one already).
pub(super) fn reattach(conn: &Connection, held: &[Held]) -> rusqlite::Result<()> {
    for h in held {
        let survived: bool = conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM stories WHERE id = ?1)")?
            .query_row([h.story_id], |r| r.get(0))?;
        if survived {
            continue;
        }
        let Some(now_in) = conn
            .prepare_cached("SELECT story_id FROM items WHERE id = ?1")?
            .query_row([h.first_item_id], |r| r.get::<_, Option<i64>>(0))
            .optional()?
            .flatten()
        else {
            continue;
        };
        conn.prepare_cached(
            "INSERT INTO story_acks (story_id, acked_by, acked_at, note) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (story_id) DO UPDATE SET
                acked_by = excluded.acked_by, acked_at = excluded.acked_at, note = excluded.note
             WHERE excluded.acked_at < story_acks.acked_at",
        )?
        .execute(params![now_in, h.by, h.at, h.note])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::super::tests::{count, feed, fetched};
    use super::*;
    use crate::model::ParsedItem;

    const LEDE: &str = "North Korea fired a short-range ballistic missile toward the East Sea on \
        Tuesday morning, South Korea's Joint Chiefs of Staff said, the third launch this month.";

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z")
            .unwrap()
            .to_utc()
    }

    /// Stores one item of the missile report in feed `feed_id`, published at `at`; its story.
    fn report(s: &mut Store, feed_id: i64, guid: &str, at: DateTime<Utc>) -> i64 {
        let item = crate::dedup::ready(ParsedItem {
            guid: Some(guid.into()),
            title: "North Korea fires ballistic missile toward East Sea".into(),
            summary: Some(LEDE.into()),
            published: Some(at),
            ..Default::default()
        });
        s.record(feed_id, fetched(vec![item]), t0() + Duration::days(10))
            .unwrap();
        s.conn
            .query_row("SELECT story_id FROM items WHERE guid = ?1", [guid], |r| {
                r.get(0)
            })
            .unwrap()
    }

    fn ack_of(s: &Store, story: i64) -> Option<(String, i64, Option<String>)> {
        s.conn
            .query_row(
                "SELECT acked_by, acked_at, note FROM story_acks WHERE story_id = ?1",
                [story],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .unwrap()
    }

    fn orphans(s: &Store) -> i64 {
        count(
            s,
            "SELECT count(*) FROM story_acks WHERE story_id NOT IN (SELECT id FROM stories)",
        )
    }

    fn store() -> (tempfile::TempDir, Store, Vec<i64>) {
        let d = tempfile::tempdir().unwrap();
        let mut s = Store::open(&d.path().join("db"), Default::default()).unwrap();
        let feeds = s
            .sync_feeds(&[feed("a"), feed("b"), feed("c")], t0())
            .unwrap()
            .iter()
            .map(|f| f.id)
            .collect();
        (d, s, feeds)
    }

    #[test]
    fn acknowledging_again_replaces_and_unknown_stories_are_refused() {
        let (_d, mut s, feeds) = store();
        let story = report(&mut s, feeds[0], "1", t0());
        assert!(s.acknowledge(story, "ana", Some("called"), t0()).unwrap());
        assert_eq!(
            ack_of(&s, story),
            Some(("ana".into(), t0().timestamp(), Some("called".into())))
        );
        let later = t0() + Duration::hours(1);
        assert!(s.acknowledge(story, "bo", None, later).unwrap());
        assert_eq!(
            ack_of(&s, story),
            Some(("bo".into(), later.timestamp(), None))
        );
        assert!(!s.acknowledge(story + 100, "ana", None, t0()).unwrap());
        assert_eq!(count(&s, "SELECT count(*) FROM story_acks"), 1);

        assert!(s.unacknowledge(story).unwrap());
        assert_eq!(ack_of(&s, story), None);
        // Not acknowledged (any more) is no error; no story is.
        assert!(s.unacknowledge(story).unwrap());
        assert!(!s.unacknowledge(story + 100).unwrap());
    }

    #[test]
    fn reports_show_acknowledgements_and_leave_acknowledged_stories_out_when_asked() {
        let (d, mut s, feeds) = store();
        let acked = report(&mut s, feeds[0], "1", t0());
        let other = crate::dedup::ready(ParsedItem {
            guid: Some("2".into()),
            title: "Seoul stocks close higher on chip rally".into(),
            published: Some(t0()),
            ..Default::default()
        });
        s.record(feeds[1], fetched(vec![other]), t0()).unwrap();
        s.acknowledge(acked, "ana", Some("on the wire"), t0())
            .unwrap();
        let r = Reader::open(&d.path().join("db")).unwrap();
        let all = r.stories(&Default::default()).unwrap();
        assert_eq!(all.len(), 2);
        let a = all.iter().find(|x| x.id == acked).unwrap();
        assert_eq!(a.acked_by.as_deref(), Some("ana"));
        assert_eq!(a.acked_at, Some(t0()));
        assert_eq!(a.ack_note.as_deref(), Some("on the wire"));
        let b = all.iter().find(|x| x.id != acked).unwrap();
        assert_eq!((b.acked_by.as_deref(), b.acked_at), (None, None));
        let q = crate::store::query::ListQuery {
            unacked: true,
            ..Default::default()
        };
        let open: Vec<i64> = r.stories(&q).unwrap().iter().map(|x| x.id).collect();
        assert_eq!(open, vec![b.id]);
        let items: Vec<Option<i64>> = r.list(&q).unwrap().iter().map(|i| i.story_id).collect();
        assert_eq!(items, vec![Some(b.id)]);
        assert_eq!(
            r.story(acked).unwrap().unwrap().acked_by.as_deref(),
            Some("ana")
        );
    }

    /// Two versions of a report too far apart to be one story, then one between them: the
    /// stories merge under the earlier id, and the earliest acknowledgement stays.
    #[test]
    fn a_merge_keeps_the_earliest_acknowledgement() {
        let (_d, mut s, feeds) = store();
        let keep = report(&mut s, feeds[0], "1", t0());
        let gone = report(&mut s, feeds[1], "2", t0() + Duration::hours(100));
        assert_ne!(keep, gone, "too far apart for one story");
        s.acknowledge(keep, "late", Some("later look"), t0() + Duration::hours(2))
            .unwrap();
        s.acknowledge(gone, "early", Some("first look"), t0() + Duration::hours(1))
            .unwrap();
        let bridge = report(&mut s, feeds[2], "3", t0() + Duration::hours(50));
        assert_eq!(bridge, keep, "the item between them merges the two");
        assert_eq!(count(&s, "SELECT count(*) FROM stories"), 1);
        assert_eq!(
            ack_of(&s, keep),
            Some((
                "early".into(),
                (t0() + Duration::hours(1)).timestamp(),
                Some("first look".into())
            ))
        );
        assert_eq!(orphans(&s), 0);
        assert_eq!(count(&s, "SELECT count(*) FROM story_acks"), 1);
    }

    #[test]
    fn a_merge_carries_the_acknowledgement_of_the_story_that_goes() {
        let (_d, mut s, feeds) = store();
        let keep = report(&mut s, feeds[0], "1", t0());
        let gone = report(&mut s, feeds[1], "2", t0() + Duration::hours(100));
        s.acknowledge(gone, "ana", None, t0()).unwrap();
        report(&mut s, feeds[2], "3", t0() + Duration::hours(50));
        assert_eq!(
            ack_of(&s, keep),
            Some(("ana".into(), t0().timestamp(), None))
        );
        assert_eq!(orphans(&s), 0);
    }

    #[test]
    fn restory_moves_acknowledgements_to_the_new_stories_and_prune_deletes_them() {
        let (_d, mut s, feeds) = store();
        let story = report(&mut s, feeds[0], "1", t0());
        s.acknowledge(story, "ana", Some("done"), t0()).unwrap();
        s.restory(t0() - Duration::hours(1)).unwrap();
        let now_in: i64 = s
            .conn
            .query_row("SELECT story_id FROM items WHERE guid = '1'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_ne!(now_in, story, "restory gives stories in its range new ids");
        assert_eq!(
            ack_of(&s, now_in),
            Some(("ana".into(), t0().timestamp(), Some("done".into())))
        );
        assert_eq!(orphans(&s), 0);
        assert_eq!(count(&s, "SELECT count(*) FROM story_acks"), 1);

        let policy = crate::config::RetentionConfig {
            items: Some(std::time::Duration::from_secs(86400)),
            matched: None,
        };
        let pruned = s.prune(&policy, t0() + Duration::days(30), false).unwrap();
        assert_eq!(pruned.stories, 1);
        assert_eq!(count(&s, "SELECT count(*) FROM story_acks"), 0);
    }

    #[test]
    fn watchlist_changes_are_logged_newest_first() {
        let (d, mut s, _) = store();
        let added = "[[watchlist]]\nname = \"dprk\"\nterms = [\"Kim\"]\n";
        let edited = "[[watchlist]]\nname = \"dprk\"\nterms = [\"Kim\", \"Pyongyang\"]\n";
        let first = s
            .record_watchlist_change("ana", "dprk", None, Some(added), t0())
            .unwrap();
        let later = t0() + Duration::minutes(5);
        let second = s
            .record_watchlist_change("bo", "dprk", Some(added), Some(edited), later)
            .unwrap();
        let third = s
            .record_watchlist_change("bo", "dprk", Some(edited), None, later)
            .unwrap();
        assert!(first < second && second < third);
        let r = Reader::open(&d.path().join("db")).unwrap();
        let log = r.watchlist_changes(2).unwrap();
        assert_eq!(log.len(), 2);
        assert_eq!(log[0].id, third);
        assert_eq!(log[0].after, None);
        assert_eq!(
            log[1],
            WatchlistChange {
                id: second,
                changed_at: later,
                changed_by: "bo".into(),
                watchlist: "dprk".into(),
                before: Some(added.into()),
                after: Some(edited.into()),
            }
        );
        assert_eq!(r.watchlist_changes(10).unwrap().len(), 3);
    }
}
