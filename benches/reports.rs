//! Reports over a large database: search, `list --since 24h` (stories and items), the bytes a
//! stored item costs (and the search index's share), and pruning 100,000 items. The database
//! is filled as `benches/stories.rs` fills it: generated wire copy (`tests/wire_corpus`, week
//! after week) through the real writer, one `record` per feed body as 15-minute polls bring
//! them, group commit.
//!
//! `cargo bench --bench reports` (1,000,000 stored). Knobs: `STORED=N` items to store;
//! `PER_WEEK=N` stories per simulated week (density); `PRUNE=N` items a prune should expire;
//! `RUNS=N` timed runs per query (after two warm-ups); `KEEP=DIR` keeps the database in DIR
//! and reuses it when it is already filled.
//!
//! Every query opens a fresh read-only [`Reader`], as one `aggregator search` or `aggregator
//! list` does; the database file is in the page cache (it has just been written or read).

#[path = "../tests/wire_corpus/mod.rs"]
mod wire_corpus;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aggregator::config::{FeedConfig, RetentionConfig};
use aggregator::store::query::ListQuery;
use aggregator::store::search::{SearchQuery, fts_query};
use aggregator::store::{Reader, Store, maintenance};
use chrono::{DateTime, Utc};

#[path = "support/corpus.rs"]
mod corpus;
use corpus::*;

/// Untimed runs before the timed ones.
const WARM: usize = 2;
/// Results a search asks for (the CLI's default page).
const SEARCH_LIMIT: u64 = 50;
/// Stories or items `list` asks for.
const LIST_LIMIT: u64 = 100;

/// The single value `sql` selects, with `args` bound.
fn one<T: rusqlite::types::FromSql>(
    conn: &rusqlite::Connection,
    sql: &str,
    args: impl rusqlite::Params,
) -> T {
    conn.query_row(sql, args, |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Database file plus its WAL, in bytes.
fn file_bytes(path: &Path) -> u64 {
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    [path.to_path_buf(), wal]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

/// Bytes in pages per table and index (the `dbstat` virtual table), largest first.
fn object_bytes(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<(String, i64)>> {
    conn.prepare("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

/// The full-text index's share of [`object_bytes`]: its shadow tables.
fn fts_bytes(objects: &[(String, i64)]) -> i64 {
    objects
        .iter()
        .filter(|o| o.0.starts_with("items_fts"))
        .map(|o| o.1)
        .sum()
}

/// `RUNS` timed runs of `f` after [`WARM`] untimed ones: the last result, median and max.
fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (T, Duration, Duration) {
    for _ in 0..WARM {
        black_box(f());
    }
    let mut last = None;
    let mut took: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            let t = Instant::now();
            last = Some(black_box(f()));
            t.elapsed()
        })
        .collect();
    took.sort();
    let median = took[took.len() / 2];
    (last.expect("one run"), median, took[took.len() - 1])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn verdict(median: Duration, goal_ms: f64) -> &'static str {
    if ms(median) < goal_ms {
        "met"
    } else {
        "MISSED"
    }
}

/// A search as the CLI would run it.
struct Search {
    what: &'static str,
    text: &'static str,
    /// `--since`: this far back from the end of the simulated period.
    since: Option<chrono::Duration>,
    feed: Option<&'static str>,
    /// Whether the < 50 ms goal for a selective query applies.
    selective: bool,
}

/// The queries: words that occur in the generated corpus (its vocabulary is small and
/// repeats week after week, so at a million items even a "rare" word matches hundreds of
/// items; the counts are printed), then two broad ones to show how the cost grows with the
/// matches.
const SEARCHES: &[Search] = &[
    Search {
        what: "English name",
        text: "Starmer",
        since: None,
        feed: None,
        selective: true,
    },
    Search {
        what: "rare English word",
        text: "resettlement",
        since: None,
        feed: None,
        selective: true,
    },
    Search {
        what: "quoted phrase",
        text: "\"Summer Rain\"",
        since: None,
        feed: None,
        selective: true,
    },
    Search {
        what: "Korean word (prefix)",
        text: "영국",
        since: None,
        feed: None,
        selective: true,
    },
    Search {
        what: "word, --since 7d",
        text: "Hokkaido",
        since: Some(chrono::Duration::days(7)),
        feed: None,
        selective: true,
    },
    Search {
        what: "word, --feed herald",
        text: "Prabowo",
        since: None,
        feed: Some("herald"),
        selective: true,
    },
    Search {
        what: "common English name",
        text: "Takaichi",
        since: None,
        feed: None,
        selective: false,
    },
    Search {
        what: "broad Korean word",
        text: "북한",
        since: None,
        feed: None,
        selective: false,
    },
];

fn main() {
    let wall = Instant::now();
    let stored = env("STORED", 1_000_000);
    let per_week = env("PER_WEEK", 20_000);
    let prune_target = env("PRUNE", 100_000);
    let runs = env("RUNS", 20);
    let keep = std::env::var_os("KEEP").map(PathBuf::from);
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = keep.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(format!("reports-{stored}-{per_week}.sqlite"));
    let start: DateTime<Utc> = "2026-01-05T00:00:00Z".parse().expect("date");

    // --- Fill (or reuse) ---
    let already: i64 = if path.exists() {
        let c = rusqlite::Connection::open(&path).expect("open");
        one(&c, "SELECT count(*) FROM items", [])
    } else {
        0
    };
    if already as usize >= stored {
        println!("reusing {} with {already} items", path.display());
    } else {
        if already > 0 {
            // A fill cut short: its items are not a prefix of the sequence; start over.
            println!(
                "{} holds only {already} items: filling anew",
                path.display()
            );
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
        let (n, took) = fill(&path, per_week, start, stored);
        println!(
            "fill: {n} items in {:.1} s ({:.0} items/s through the writer, generation included)",
            took.as_secs_f64(),
            n as f64 / took.as_secs_f64()
        );
    }

    // --- What is stored, and the time axis ---
    let conn =
        rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open");
    let items: i64 = one(&conn, "SELECT count(*) FROM items", []);
    let stories: i64 = one(&conn, "SELECT count(*) FROM stories", []);
    // "Now" is the end of the simulated period: the time of the newest stored item (a body is
    // recorded at its newest item's time, and nothing later is stored). The generator writes
    // week after week from `start` (PER_WEEK=20,000 stories: about 68,000 items a week, 9,700
    // a day), each week's items in time order, and the fill stops inside a week (1,000,000
    // items end on day 5 of the 15th), so "--since 24h" covers days 4.3 to 5.3 of that week:
    // one whole day of a desk's traffic at full density, every hour of the day in it, not the
    // thin tail of a week. The counts printed below show it (9,777 items, 1,929 stories).
    let first: i64 = one(&conn, "SELECT min(sort_ts) FROM items", []);
    let last: i64 = one(&conn, "SELECT max(first_seen) FROM items", []);
    let now = DateTime::from_timestamp(last, 0).expect("time");
    let day_ago = now - chrono::Duration::hours(24);
    let span_days = (last - first) as f64 / 86400.0;
    let into_week = (now - start).num_seconds() as f64 / 86400.0;
    let day_items: i64 = one(
        &conn,
        "SELECT count(*) FROM items WHERE sort_ts >= ?1",
        [day_ago.timestamp()],
    );
    let day_stories: i64 = one(
        &conn,
        "SELECT count(*) FROM stories WHERE sort_ts >= ?1",
        [day_ago.timestamp()],
    );
    println!(
        "stored: {items} items in {stories} stories, over {span_days:.1} simulated days ({:.0} items a day); \
         now = {now} (day {:.1} of simulated week {}); last 24 h: {day_items} items, {day_stories} stories",
        items as f64 / span_days.max(1.0),
        into_week % 7.0,
        (into_week / 7.0).floor() as i64 + 1,
    );

    // --- Bytes per item, and the search index's share ---
    let bytes = file_bytes(&path);
    println!(
        "size: database {:.1} MB (file + WAL), {:.0} bytes per stored item",
        bytes as f64 / 1e6,
        bytes as f64 / items.max(1) as f64
    );
    let objects = object_bytes(&conn);
    let fts_before = objects.as_ref().ok().map(|o| fts_bytes(o));
    match objects {
        Ok(objects) => {
            let total: i64 = objects.iter().map(|o| o.1).sum();
            let fts = fts_bytes(&objects);
            println!(
                "size: search index (items_fts*) {:.1} MB = {:.0} bytes per item, {:.1} % of {:.1} MB in pages",
                fts as f64 / 1e6,
                fts as f64 / items.max(1) as f64,
                100.0 * fts as f64 / total.max(1) as f64,
                total as f64 / 1e6
            );
            let top: Vec<String> = objects
                .iter()
                .take(8)
                .map(|(name, b)| format!("{name} {:.0}", *b as f64 / items.max(1) as f64))
                .collect();
            println!("size: bytes per item by object: {}", top.join(", "));
        }
        Err(e) => println!("size: dbstat is not available in this SQLite ({e}); no breakdown"),
    }

    // --- Search ---
    for s in SEARCHES {
        let q = SearchQuery {
            text: s.text.to_string(),
            since: s.since.map(|d| now - d),
            feed: s.feed.map(String::from),
            limit: SEARCH_LIMIT,
            ..Default::default()
        };
        // How selective: every item the words match, before filters and the limit.
        let matching: i64 = conn
            .query_row(
                "SELECT count(*) FROM items_fts WHERE items_fts MATCH ?1",
                [fts_query(s.text).expect("query")],
                |r| r.get(0),
            )
            .expect("count matches");
        let (hits, median, max) = time(runs, || {
            Reader::open(&path)
                .expect("reader")
                .search(&q)
                .expect("search")
                .len()
        });
        let goal = if s.selective {
            format!("goal < 50 ms: {}", verdict(median, 50.0))
        } else {
            "no goal: not selective".to_string()
        };
        let label = format!("{} {}", s.what, s.text);
        // Hangul takes two columns on a terminal.
        let width: usize = label
            .chars()
            .map(|c| if c >= '\u{1100}' { 2 } else { 1 })
            .sum();
        println!(
            "search {label}{:pad$} {hits:>3} hits of {matching:>7} matching: median {:>7.1} ms, max {:>7.1} ms ({goal})",
            "",
            ms(median),
            ms(max),
            pad = 42usize.saturating_sub(width),
        );
    }

    // --- list --since 24h ---
    let list = ListQuery {
        since: Some(day_ago),
        limit: Some(LIST_LIMIT),
        ..Default::default()
    };
    let (n, median, max) = time(runs, || {
        Reader::open(&path)
            .expect("reader")
            .stories(&list)
            .expect("stories")
            .len()
    });
    println!(
        "list --since 24h (stories, with members): {n} stories: median {:.1} ms, max {:.1} ms (goal < 100 ms: {})",
        ms(median),
        ms(max),
        verdict(median, 100.0)
    );
    let (n, median, max) = time(runs, || {
        Reader::open(&path)
            .expect("reader")
            .list(&list)
            .expect("list")
            .len()
    });
    println!(
        "list --since 24h --items: {n} items: median {:.1} ms, max {:.1} ms (goal < 100 ms: {})",
        ms(median),
        ms(max),
        verdict(median, 100.0)
    );
    drop(conn);

    // --- stats ---
    for (what, since) in [
        (
            "stats (default --since 7d)",
            now - chrono::Duration::days(7),
        ),
        ("stats --since everything", DateTime::UNIX_EPOCH),
    ] {
        let (feeds, median, max) = time(runs, || {
            Reader::open(&path)
                .expect("reader")
                .stats(since)
                .expect("stats")
                .feeds
                .len()
        });
        println!(
            "{what}: {items} items, {feeds} feeds: median {:.1} ms, max {:.1} ms (goal < 1000 ms: {})",
            ms(median),
            ms(max),
            verdict(median, 1000.0)
        );
    }
    stats_many_feeds(&dir, per_week, start, runs);

    // --- Prune about PRUNE items, on a copy ---
    let scratch = tempfile::tempdir_in(&dir).expect("scratch dir");
    let copy = scratch.path().join("copy.sqlite");
    let t = Instant::now();
    maintenance::backup(&path, &copy, false).expect("backup");
    let backup_took = t.elapsed();
    // The oldest stories (by their newest item, as retention judges them) holding about PRUNE
    // items: the cutoff is just after the last of them.
    let cutoff = {
        let c = rusqlite::Connection::open(&copy).expect("open copy");
        let mut st = c
            .prepare("SELECT last_seen, items FROM stories ORDER BY last_seen")
            .expect("prepare");
        let mut rows = st.query([]).expect("stories");
        let mut sum = 0;
        let mut cutoff = last + 1;
        while let Some(r) = rows.next().expect("row") {
            sum += r.get::<_, i64>(1).expect("items");
            if sum >= prune_target as i64 {
                cutoff = r.get::<_, i64>(0).expect("last_seen") + 1;
                break;
            }
        }
        cutoff
    };
    let keep_for = Duration::from_secs((last - cutoff).max(0) as u64);
    let policy = RetentionConfig {
        items: Some(keep_for),
        matched: Some(keep_for),
    };
    let mut store = Store::open(&copy, Default::default()).expect("open copy");
    let t = Instant::now();
    let pruned = store.prune(&policy, now, false).expect("prune");
    let took = t.elapsed();
    drop(store);
    println!(
        "prune (copy made by backup in {:.1} s, not timed; retention {:.1} days): {} items, {} stories in {:.2} s \
         ({:.0} items/s); file {:.1} MB -> {:.1} MB",
        backup_took.as_secs_f64(),
        keep_for.as_secs_f64() / 86400.0,
        pruned.items,
        pruned.stories,
        took.as_secs_f64(),
        pruned.items as f64 / took.as_secs_f64(),
        pruned.bytes_before as f64 / 1e6,
        pruned.bytes_after as f64 / 1e6
    );
    // Where the space went: a deletion from an FTS5 index is itself written to the index (a
    // tombstone, merged away later), and pages freed elsewhere go back to the file system only
    // through incremental vacuum.
    let c =
        rusqlite::Connection::open_with_flags(&copy, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open copy");
    let free: i64 = one(
        &c,
        "SELECT freelist_count * page_size FROM pragma_freelist_count, pragma_page_size",
        [],
    );
    let auto_vacuum: i64 = one(&c, "PRAGMA auto_vacuum", []);
    if let (Some(before), Ok(after)) = (fts_before, object_bytes(&c)) {
        println!(
            "prune: search index {:.1} MB -> {:.1} MB; free pages left in the file {:.1} MB (auto_vacuum = {auto_vacuum})",
            before as f64 / 1e6,
            fts_bytes(&after) as f64 / 1e6,
            free as f64 / 1e6
        );
    }
    drop(c);
    drop(scratch);

    println!("total: {:.1} s", wall.elapsed().as_secs_f64());
    if keep.is_none() {
        drop(tmp);
    }
}

/// `stats` over many feeds: `STATS_FEEDS` feeds (default 3,000) sharing `STATS_ITEMS` items
/// (default 90,000) of the same generated copy, each body given to the next feed in turn.
fn stats_many_feeds(dir: &Path, per_week: usize, start: DateTime<Utc>, runs: usize) {
    let n_feeds = env("STATS_FEEDS", 3_000);
    let n_items = env("STATS_ITEMS", 90_000);
    let path = dir.join(format!("stats-{n_feeds}-{n_items}.sqlite"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let took = Instant::now();
    let w = Wr::open(&path);
    let ids = w.sync(&feeds(), start);
    let many: Vec<FeedConfig> = (0..n_feeds)
        .map(|i| FeedConfig {
            name: format!("feed-{i:05}"),
            url: url::Url::parse(&format!("https://f{i}.example/rss")).expect("url"),
            interval: Duration::from_secs(600),
            timezone: chrono::FixedOffset::east_opt(0).expect("utc").into(),
            captured_at: None,
        })
        .collect();
    let many_ids: Vec<i64> = {
        let by_name = w.sync(&many, start);
        many.iter().map(|f| by_name[&f.name]).collect()
    };
    let mut source = Weeks::new(per_week, start);
    let (mut done, mut turn) = (0, 0);
    while done < n_items {
        let mut batch = bodies(&ids, &mut source, (n_items - done).min(50_000));
        if batch.is_empty() {
            break;
        }
        for b in &mut batch {
            b.feed = many_ids[turn % many_ids.len()];
            turn += 1;
        }
        done += w.store(batch);
    }
    drop(w);
    let conn =
        rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open");
    let last: i64 = one(&conn, "SELECT max(first_seen) FROM items", []);
    let feeds_with_items: i64 = one(&conn, "SELECT count(DISTINCT feed_id) FROM items", []);
    drop(conn);
    let now = DateTime::from_timestamp(last, 0).expect("time");
    println!(
        "stats fill: {done} items over {feeds_with_items} of {} feeds in {:.1} s",
        n_feeds + feeds().len(),
        took.elapsed().as_secs_f64()
    );
    for (what, since) in [
        (
            "stats (default --since 7d)",
            now - chrono::Duration::days(7),
        ),
        ("stats --since everything", DateTime::UNIX_EPOCH),
    ] {
        let (rows, median, max) = time(runs, || {
            Reader::open(&path)
                .expect("reader")
                .stats(since)
                .expect("stats")
                .feeds
                .len()
        });
        println!(
            "{what} at {n_feeds} feeds / {done} items: {rows} feed rows: median {:.1} ms, max {:.1} ms (goal < 200 ms: {})",
            ms(median),
            ms(max),
            verdict(median, 200.0)
        );
    }
    // Side by side: the per-feed query `stats` ran before schema 6 (a count per feed over the
    // stories and items of the range), on the same database.
    let old = "SELECT f.name,
            (SELECT count(*) FROM items i WHERE i.feed_id = f.id AND i.first_seen >= ?1),
            (SELECT count(DISTINCT i.story_id) FROM items i WHERE i.feed_id = f.id AND i.first_seen >= ?1),
            (SELECT count(*) FROM stories s WHERE s.first_feed_id = f.id AND s.first_seen >= ?1),
            f.last_result, f.error_streak, f.last_error
         FROM feeds f ORDER BY f.name";
    let since = (now - chrono::Duration::days(7)).timestamp();
    let (rows, median, max) = time(runs.min(3), || {
        let c = rusqlite::Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .expect("open");
        let mut st = c.prepare(old).expect("prepare");
        st.query_map([since], |_| Ok(())).expect("query").count()
    });
    println!(
        "stats per-feed query before schema 6, same database (--since 7d): {rows} rows: median {:.1} ms, max {:.1} ms",
        ms(median),
        ms(max)
    );
}
