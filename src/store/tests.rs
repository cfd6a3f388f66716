//! Tests of recording fetches: identity, stories, matches, alerts, failures; and the helpers
//! other modules' tests build stores with.

use super::*;
use crate::config::FeedConfig;
use crate::dedup::ReadyItem;
use crate::fetch::Validators;
use crate::model::{Match, ParsedItem};

pub(super) fn feed(name: &str) -> FeedConfig {
    FeedConfig {
        name: name.into(),
        url: url::Url::parse(&format!("http://{name}.example/rss")).unwrap(),
        interval: Duration::from_secs(600),
        timezone: chrono::FixedOffset::east_opt(0).unwrap().into(),
        captured_at: None,
    }
}

pub(super) fn ready(guid: Option<&str>, link: Option<&str>, title: &str) -> ReadyItem {
    let item = ParsedItem {
        guid: guid.map(Into::into),
        link: link.map(Into::into),
        title: title.into(),
        ..Default::default()
    };
    crate::dedup::ready(item)
}

pub(super) fn fetched(items: Vec<ReadyItem>) -> FetchRecord {
    FetchRecord::Fetched {
        http_status: 200,
        validators: Validators::default(),
        bytes: 1,
        elapsed: Duration::ZERO,
        title: None,
        site_link: None,
        items,
        warnings: Vec::new(),
    }
}

fn matched(mut r: ReadyItem, watchlists: &[&str]) -> ReadyItem {
    r.matches = watchlists
        .iter()
        .map(|w| Match {
            watchlist: w.to_string(),
            terms: vec!["t".into()],
            hits: Vec::new(),
        })
        .collect();
    r
}

pub(super) fn count(s: &Store, sql: &str) -> i64 {
    s.conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn alerts_are_raised_once_per_story_and_watchlist() {
    let d = tempfile::tempdir().unwrap();
    let mut s = Store::open(&d.path().join("db"), Default::default()).unwrap();
    let route = |sinks: &[&str]| alerts::AlertRoute {
        sinks: sinks.iter().map(|x| x.to_string()).collect(),
        ..Default::default()
    };
    s.reconfigure(StoreOptions {
        routes: Routes::from([
            ("w1".to_string(), route(&["hook", "pager"])),
            ("w2".to_string(), route(&["hook"])),
        ]),
        ..Default::default()
    });
    let now = Utc::now();
    let st = s
        .sync_feeds(&[feed("a"), feed("b"), feed("c")], now)
        .unwrap();
    let (a, b, c) = (st[0].id, st[1].id, st[2].id);
    let link = Some("http://x/story");
    let first = s
        .record(
            a,
            fetched(vec![matched(ready(Some("1"), link, "Kim"), &["w1"])]),
            now,
        )
        .unwrap();
    assert_eq!(first.alerts, 1);
    assert_eq!(
        count(&s, "SELECT count(*) FROM outbox"),
        2,
        "one delivery per sink"
    );
    // Another outlet of the same story: only the watchlist it newly matches alerts.
    let second = s
        .record(
            b,
            fetched(vec![matched(ready(Some("2"), link, "Kim"), &["w1", "w2"])]),
            now,
        )
        .unwrap();
    assert_eq!((second.matches, second.alerts), (2, 1));
    // Re-clustering rebuilds the story's matches but does not alert again, nor does a
    // further member afterwards.
    s.restory(now - chrono::Duration::days(1)).unwrap();
    let third = s
        .record(
            c,
            fetched(vec![matched(ready(Some("3"), link, "Kim"), &["w1", "w2"])]),
            now,
        )
        .unwrap();
    assert_eq!(third.alerts, 0);
    assert_eq!(count(&s, "SELECT count(*) FROM alerts"), 2);
    assert_eq!(count(&s, "SELECT count(*) FROM outbox"), 3);
    let (payload, watchlist): (String, String) = s
        .conn
        .query_row(
            "SELECT payload, watchlist FROM alerts WHERE watchlist = 'w2'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let p: alerts::AlertFacts = serde_json::from_str(&payload).unwrap();
    assert_eq!((p.story.feed.as_str(), watchlist.as_str()), ("b", "w2"));
}

#[test]
fn identity_rules() {
    let d = tempfile::tempdir().unwrap();
    let mut s = Store::open(&d.path().join("sub/db.sqlite"), Default::default()).unwrap();
    let now = Utc::now();
    let st = s.sync_feeds(&[feed("a"), feed("b")], now).unwrap();
    let (a, b) = (st[0].id, st[1].id);
    let first = s
        .record(
            a,
            fetched(vec![
                ready(Some("g1"), Some("http://x/1"), "one"),
                ready(None, None, "no keys"),
            ]),
            now,
        )
        .unwrap();
    assert_eq!(first.new, 2);
    // Same guid, same feed; same content without keys: nothing new.
    let again = s
        .record(
            a,
            fetched(vec![
                ready(Some("g1"), Some("http://x/1"), "one"),
                ready(None, None, "no keys"),
            ]),
            now,
        )
        .unwrap();
    assert_eq!(again, ApplyStats::default());
    let other = s
        .record(
            b,
            fetched(vec![ready(
                Some("zz"),
                Some("http://x/1"),
                "one, other headline",
            )]),
            now,
        )
        .unwrap();
    // The same link in another feed is that feed's item, in the same story.
    assert_eq!(other.new, 1);
    let stories: Vec<(i64, i64)> = s
        .conn
        .prepare(
            "SELECT story_id, feed_id FROM items WHERE link_key = 'http://x/1' ORDER BY feed_id",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(stories.len(), 2);
    assert_eq!(stories[0].0, stories[1].0, "{stories:?}");
    // Same guid in another feed is a different item.
    let other = s
        .record(
            b,
            fetched(vec![ready(Some("g1"), Some("http://x/2"), "one")]),
            now,
        )
        .unwrap();
    assert_eq!(other.new, 1);
    // Changed title updates and keeps first_seen.
    let later = now + chrono::Duration::hours(1);
    let upd = s
        .record(
            a,
            fetched(vec![ready(Some("g1"), Some("http://x/1"), "one (LEAD)")]),
            later,
        )
        .unwrap();
    assert_eq!(upd.updated, 1);
    let (title, first_seen, changed): (String, i64, i64) = s
        .conn
        .query_row(
            "SELECT title, first_seen, changed_at FROM items WHERE guid = 'g1' AND feed_id = ?1",
            [a],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (title.as_str(), first_seen, changed),
        ("one (LEAD)", now.timestamp(), later.timestamp())
    );
    let n: i64 = s
        .conn
        .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 4);
    // The story took the new headline and counted the in-place update.
    let (title, items, feeds, updates): (String, i64, i64, i64) = s
        .conn
        .query_row(
            "SELECT title, items, feeds, updates FROM stories WHERE id = ?1",
            [stories[0].0],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        (title.as_str(), items, feeds, updates),
        ("one (LEAD)", 2, 2, 1)
    );
}

#[test]
fn matches_are_stored_and_replaced_on_update() {
    let d = tempfile::tempdir().unwrap();
    let mut s = Store::open(&d.path().join("db"), Default::default()).unwrap();
    let now = Utc::now();
    let id = s.sync_feeds(&[feed("a")], now).unwrap()[0].id;
    let mut r = ready(Some("g"), None, "Kim Yo-jong statement");
    r.matches = vec![Match {
        watchlist: "dprk".into(),
        terms: vec!["Kim Yo-jong".into()],
        hits: Vec::new(),
    }];
    assert_eq!(s.record(id, fetched(vec![r]), now).unwrap().matches, 1);
    let r = ready(Some("g"), None, "statement");
    assert_eq!(s.record(id, fetched(vec![r]), now).unwrap().updated, 1);
    let n: i64 = s
        .conn
        .query_row("SELECT count(*) FROM matches", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn failure_keeps_validators_and_counts_streak() {
    let d = tempfile::tempdir().unwrap();
    let mut s = Store::open(&d.path().join("db"), Default::default()).unwrap();
    let now = Utc::now();
    let id = s.sync_feeds(&[feed("a")], now).unwrap()[0].id;
    let v = Validators {
        etag: Some("\"e1\"".into()),
        last_modified: None,
    };
    let FetchRecord::Fetched { items, .. } = fetched(vec![]) else {
        unreachable!()
    };
    s.record(
        id,
        FetchRecord::Fetched {
            http_status: 200,
            validators: v.clone(),
            bytes: 0,
            elapsed: Duration::ZERO,
            title: Some("T".into()),
            site_link: None,
            items,
            warnings: Vec::new(),
        },
        now,
    )
    .unwrap();
    for _ in 0..2 {
        s.record(
            id,
            FetchRecord::Failed {
                http_status: Some(500),
                error: "boom".into(),
                elapsed: Duration::ZERO,
            },
            now,
        )
        .unwrap();
    }
    let st = s.sync_feeds(&[feed("a")], now).unwrap();
    assert_eq!(st[0].validators, v);
    let streak: i64 = s
        .conn
        .query_row("SELECT error_streak FROM feeds", [], |r| r.get(0))
        .unwrap();
    assert_eq!(streak, 2);
    // A changed URL drops validators issued for the old one.
    let mut moved = feed("a");
    moved.url = url::Url::parse("http://elsewhere.example/rss").unwrap();
    assert_eq!(
        s.sync_feeds(&[moved], now).unwrap()[0].validators,
        Validators::default()
    );
}

#[test]
fn reports_read_while_the_writer_holds_a_transaction() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("db");
    let mut s = Store::open(&p, Default::default()).unwrap();
    let now = Utc::now();
    let id = s.sync_feeds(&[feed("a")], now).unwrap()[0].id;
    s.record(id, fetched(vec![ready(Some("g1"), None, "committed")]), now)
        .unwrap();
    let tx = s.conn.transaction().unwrap();
    tx.execute(
        "INSERT INTO items (feed_id, guid, content_hash, title, sort_ts, first_seen) VALUES (?1, 'g2', 'h', 'pending', 0, 0)",
        [id],
    )
    .unwrap();
    let reader = Reader::open(&p).unwrap();
    let titles: Vec<String> = reader
        .list(&Default::default())
        .unwrap()
        .into_iter()
        .map(|i| i.title)
        .collect();
    assert_eq!(
        titles,
        vec!["committed"],
        "the reader is not blocked and sees only committed rows"
    );
    tx.commit().unwrap();
    assert_eq!(reader.list(&Default::default()).unwrap().len(), 2);
}

#[test]
fn a_database_from_before_stories_gets_one_story_per_item() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("db");
    {
        let conn = Connection::open(&p).unwrap();
        for sql in &migrations::MIGRATIONS[..2] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(
            "PRAGMA user_version = 2;
             INSERT INTO feeds (id, name, url, config_url, created_at) VALUES (1, 'a', 'u', 'u', 0);
             INSERT INTO items (id, feed_id, guid, link_key, content_hash, title, sort_ts, first_seen, changed_at)
                VALUES (1, 1, 'g1', 'http://x/1', 'h1', 'one', 10, 20, NULL),
                       (2, 1, 'g2', 'http://x/2', 'h2', 'two (LEAD)', 30, 40, 50);
             INSERT INTO matches VALUES (2, 'w', '[\"two\"]', 40);",
        )
        .unwrap();
    }
    let s = Store::open(&p, Default::default()).unwrap();
    let rows: Vec<(i64, i64, String, i64, i64)> = s
        .conn
        .prepare("SELECT s.id, i.id, s.title, s.updates, s.last_seen FROM stories s JOIN items i ON i.story_id = s.id ORDER BY s.id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        rows,
        vec![
            (1, 1, "one".to_string(), 0, 20),
            (2, 2, "two (LEAD)".to_string(), 1, 50)
        ]
    );
    let on_story: (i64, String) = s
        .conn
        .query_row("SELECT story_id, watchlist FROM story_matches", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(on_story, (2, "w".to_string()));
}

#[test]
fn reopening_keeps_schema_version() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("db");
    drop(Store::open(&p, Default::default()).unwrap());
    let s = Store::open(&p, Default::default()).unwrap();
    let v: i64 = s
        .conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, migrations::MIGRATIONS.len() as i64);
    let mode: String = s
        .conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}
