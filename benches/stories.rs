//! Story assignment as the store grows: fills a database with generated wire copy (English
//! and Korean, republications, reissues; see `tests/wire_corpus`) through the real writer (one
//! `record` per feed body, group commit), then measures how fast further items are stored and
//! placed in stories, how long the sketch index takes to load in a fresh process, and how much
//! memory it holds. Parsing and fingerprints (done in parallel before the writer in a poll)
//! are prepared beforehand and not timed.
//!
//! `cargo bench --bench stories` (1,000,000 stored, then 50,000 measured). Knobs:
//! `STORED=N` items to store first; `MEASURE=N` items to measure; `PER_WEEK=N` stories per
//! simulated week (density: how many items the 72 h window holds); `KEEP=DIR` keeps the
//! database in DIR and reuses it when it is already filled.

#[path = "../tests/wire_corpus/mod.rs"]
mod wire_corpus;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use aggregator::config::FeedConfig;
use aggregator::model::{ParsedItem, ReadyItem};
use aggregator::store::{FetchRecord, Store, Writer};
use chrono::{DateTime, Utc};

/// Most items per `record` call, as one feed body brings them.
const BODY: usize = 30;
/// Simulated time between two polls of a feed.
const POLL: chrono::Duration = chrono::Duration::minutes(15);

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn feeds() -> Vec<FeedConfig> {
    wire_corpus::feeds()
        .iter()
        .map(|name| FeedConfig {
            name: name.to_string(),
            url: url::Url::parse(&format!("https://{name}.example/rss")).expect("url"),
            interval: Duration::from_secs(600),
            timezone: chrono::FixedOffset::east_opt(0).expect("utc"),
        })
        .collect()
}

/// Generated items, week after week, each week its own seed; guids made unique across weeks.
struct Weeks {
    per_week: usize,
    week: u64,
    start: DateTime<Utc>,
    buffer: std::vec::IntoIter<wire_corpus::LabelledItem>,
}

impl Weeks {
    fn new(per_week: usize, start: DateTime<Utc>) -> Self {
        Self {
            per_week,
            week: 0,
            start,
            buffer: Vec::new().into_iter(),
        }
    }
}

impl Iterator for Weeks {
    type Item = wire_corpus::LabelledItem;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(mut item) = self.buffer.next() {
                item.guid = format!("w{}-{}", self.week, item.guid);
                item.link = format!("{}?w={}", item.link, self.week);
                return Some(item);
            }
            self.week += 1;
            let spec = wire_corpus::CorpusSpec {
                seed: self.week,
                stories: self.per_week,
                start: self.start + chrono::Duration::weeks(self.week as i64 - 1),
            };
            self.buffer = wire_corpus::generate(&spec).into_iter();
        }
    }
}

fn ready(item: &wire_corpus::LabelledItem) -> ReadyItem {
    aggregator::dedup::ready(ParsedItem {
        guid: Some(item.guid.clone()),
        title: item.title.clone(),
        link: Some(item.link.clone()),
        published: Some(item.published),
        summary: Some(item.summary.clone()),
        ..Default::default()
    })
}

/// A feed body ready for the store: its feed, its items (parsed, identified, fingerprinted,
/// as the parallel stage hands them to the writer) and when it is recorded.
struct Body {
    feed: i64,
    now: DateTime<Utc>,
    items: Vec<ReadyItem>,
}

/// Takes `n` items from `source` as the bodies polls would bring: each feed polled every
/// [`POLL`] of simulated time, bringing what it published since (at most [`BODY`] items).
fn bodies(ids: &HashMap<String, i64>, source: &mut Weeks, n: usize) -> Vec<Body> {
    let mut out: Vec<Body> = Vec::new();
    let mut open: HashMap<i64, Body> = HashMap::new();
    let mut slice_end: Option<DateTime<Utc>> = None;
    for item in source.take(n) {
        let end = *slice_end.get_or_insert(item.published + POLL);
        if item.published >= end {
            // The poll at the end of the slice: every feed's new items, in feed order.
            let mut polled: Vec<Body> = open.drain().map(|(_, b)| b).collect();
            polled.sort_by_key(|b| b.feed);
            out.extend(polled);
            slice_end = Some(item.published + POLL);
        }
        let feed = ids[&item.feed];
        let body = open.entry(feed).or_insert_with(|| Body {
            feed,
            now: item.published,
            items: Vec::new(),
        });
        body.now = body.now.max(item.published);
        body.items.push(ready(&item));
        if body.items.len() >= BODY {
            out.push(open.remove(&feed).expect("just filled"));
        }
    }
    let mut rest: Vec<Body> = open.into_values().collect();
    rest.sort_by_key(|b| b.feed);
    out.extend(rest);
    out
}

/// Records the bodies through the writer, as a poll does: every body of a slice queued at
/// once, so the writer commits them in groups. Returns items stored and time taken.
fn store_bodies(w: &Wr, bodies: Vec<Body>) -> (usize, Duration) {
    let start = Instant::now();
    let n = bodies.iter().map(|b| b.items.len()).sum();
    let calls: Vec<_> = bodies
        .into_iter()
        .map(|b| {
            w.writer.call(move |s| {
                s.record(
                    b.feed,
                    FetchRecord::Fetched {
                        http_status: 200,
                        validators: Default::default(),
                        bytes: 0,
                        elapsed: Duration::ZERO,
                        title: None,
                        site_link: None,
                        items: b.items,
                    },
                    b.now,
                )
            })
        })
        .collect();
    w.runtime.block_on(async {
        for c in calls {
            c.await.expect("writer").expect("record");
        }
    });
    (n, start.elapsed())
}

/// The writer and the runtime whose blocking pool runs it.
struct Wr {
    runtime: tokio::runtime::Runtime,
    writer: Writer,
}

impl Wr {
    fn open(path: &std::path::Path) -> Self {
        let runtime = aggregator::refresh::runtime().expect("runtime");
        let store = Store::open(path).expect("open");
        let writer = {
            let _in = runtime.enter();
            Writer::spawn(store)
        };
        Self { runtime, writer }
    }

    fn sync(&self, feeds: &[FeedConfig], at: DateTime<Utc>) -> HashMap<String, i64> {
        let feeds = feeds.to_vec();
        self.runtime
            .block_on(self.writer.call(move |s| s.sync_feeds(&feeds, at)))
            .expect("writer")
            .expect("feeds")
            .into_iter()
            .map(|f| (f.name, f.id))
            .collect()
    }

    fn index_size(&self) -> Option<(usize, usize)> {
        self.runtime
            .block_on(self.writer.call(|s| s.story_index_size()))
            .expect("writer")
    }
}

/// Stores `n` items from `source`, a slice at a time (bounded memory).
fn store_items(
    w: &Wr,
    ids: &HashMap<String, i64>,
    source: &mut Weeks,
    n: usize,
) -> (usize, Duration) {
    let (mut done, mut took) = (0, Duration::ZERO);
    while done < n {
        let (k, t) = store_bodies(w, bodies(ids, source, (n - done).min(50_000)));
        if k == 0 {
            break;
        }
        done += k;
        took += t;
    }
    (done, took)
}

fn count(store_path: &std::path::Path) -> (i64, i64) {
    let conn = rusqlite::Connection::open(store_path).expect("open");
    conn.query_row(
        "SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM stories)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .expect("count")
}

fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn main() {
    let stored = env("STORED", 1_000_000);
    let measure = env("MEASURE", 50_000);
    let per_week = env("PER_WEEK", 20_000);
    let keep = std::env::var_os("KEEP").map(PathBuf::from);
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = keep.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(format!("stories-{stored}-{per_week}.sqlite"));
    let start: DateTime<Utc> = "2026-01-05T00:00:00Z".parse().expect("date");
    let feeds = feeds();

    let mut source = Weeks::new(per_week, start);
    let already = if path.exists() {
        count(&path).0 as usize
    } else {
        0
    };
    {
        let w = Wr::open(&path);
        let ids = w.sync(&feeds, start);
        if already >= stored {
            // Skip what is stored: regenerate the same sequence without storing it.
            for _ in 0..already {
                source.next();
            }
            println!("reusing {} with {already} items", path.display());
        } else {
            let (n, took) = store_items(&w, &ids, &mut source, stored);
            println!(
                "fill: {n} items in {:.1} s ({:.0} items/s, growing from empty)",
                took.as_secs_f64(),
                n as f64 / took.as_secs_f64()
            );
        }
    }
    let (items, stories) = count(&path);
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "stored: {items} items in {stories} stories; database {:.0} MB ({:.0} bytes/item)",
        bytes as f64 / 1e6,
        bytes as f64 / items.max(1) as f64
    );

    // A fresh process's view: open, then the first body loads the index.
    let rss_before = peak_rss_kb();
    let w = Wr::open(&path);
    let ids = w.sync(&feeds, start);
    let first = bodies(&ids, &mut source, 1);
    let measured = bodies(&ids, &mut source, measure);
    let load = Instant::now();
    store_bodies(&w, first);
    let load = load.elapsed();
    let (indexed, heap) = w.index_size().expect("index loaded");
    println!(
        "index: loaded {indexed} items in {:.2} s; {:.1} MB heap ({:.0} bytes/item, {:.0} MB per million items indexed)",
        load.as_secs_f64(),
        heap as f64 / 1e6,
        heap as f64 / indexed.max(1) as f64,
        heap as f64 / indexed.max(1) as f64
    );
    let (n, took) = store_bodies(&w, measured);
    let (indexed, heap) = w.index_size().expect("index loaded");
    println!(
        "assign: {n} items with {} stored: {:.2} s, {:.0} items/s (the writer's work: store + story assignment; parsing and fingerprints done before)",
        items,
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64()
    );
    println!(
        "index after: {indexed} items, {:.1} MB heap; peak RSS {} MB (before open {} MB)",
        heap as f64 / 1e6,
        peak_rss_kb().map_or("?".into(), |k| (k / 1024).to_string()),
        rss_before.map_or("?".into(), |k| (k / 1024).to_string())
    );
    drop(w);
    if keep.is_none() {
        drop(tmp);
    }
}
