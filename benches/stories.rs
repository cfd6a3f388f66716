//! Story assignment as the store grows: fills a database with generated wire copy (English
//! and Korean, republications, reissues; see `tests/wire_corpus`) through the real `record`
//! path, then measures how fast further items are stored and placed in stories, how long the
//! sketch index takes to load in a fresh process, and how much memory it holds.
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
use aggregator::store::{FetchRecord, Store};
use chrono::{DateTime, Utc};

/// Items per `record` call, as one feed body brings them.
const BODY: usize = 30;

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

/// Stores `n` items from `source` in bodies of [`BODY`], each body recorded at its last item's
/// time. Returns the items and the elapsed time.
fn store_items(
    store: &mut Store,
    ids: &HashMap<String, i64>,
    source: &mut Weeks,
    n: usize,
) -> (usize, Duration) {
    let start = Instant::now();
    let mut done = 0;
    while done < n {
        // One body per feed and time slice: group consecutive items of one feed.
        let mut body: Vec<wire_corpus::LabelledItem> = Vec::with_capacity(BODY);
        let Some(first) = source.next() else { break };
        let feed = first.feed.clone();
        body.push(first);
        while body.len() < BODY.min(n - done) {
            match source.next() {
                Some(i) if i.feed == feed => body.push(i),
                Some(other) => {
                    record(store, ids, &other.feed.clone(), vec![other]);
                    done += 1;
                }
                None => break,
            }
        }
        done += body.len();
        record(store, ids, &feed, body);
    }
    (done, start.elapsed())
}

fn record(
    store: &mut Store,
    ids: &HashMap<String, i64>,
    feed: &str,
    items: Vec<wire_corpus::LabelledItem>,
) {
    let now = items.iter().map(|i| i.published).max().expect("non-empty");
    let ready: Vec<ReadyItem> = items.iter().map(ready).collect();
    store
        .record(
            ids[feed],
            FetchRecord::Fetched {
                http_status: 200,
                validators: Default::default(),
                bytes: 0,
                elapsed: Duration::ZERO,
                title: None,
                site_link: None,
                items: ready,
            },
            now,
        )
        .expect("record");
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
        let mut store = Store::open(&path).expect("open");
        let ids: HashMap<String, i64> = store
            .sync_feeds(&feeds, start)
            .expect("feeds")
            .into_iter()
            .map(|f| (f.name, f.id))
            .collect();
        if already >= stored {
            // Skip what is stored: regenerate the same sequence without storing it.
            for _ in 0..already {
                source.next();
            }
            println!("reusing {} with {already} items", path.display());
        } else {
            let (n, took) = store_items(&mut store, &ids, &mut source, stored);
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
    let mut store = Store::open(&path).expect("open");
    let ids: HashMap<String, i64> = store
        .sync_feeds(&feeds, start)
        .expect("feeds")
        .into_iter()
        .map(|f| (f.name, f.id))
        .collect();
    let load = Instant::now();
    let (_, _) = store_items(&mut store, &ids, &mut source, 1);
    let load = load.elapsed();
    let (indexed, heap) = store.story_index_size().expect("index loaded");
    println!(
        "index: loaded {indexed} items in {:.2} s; {:.1} MB heap ({:.0} bytes/item, {:.0} MB per million items indexed)",
        load.as_secs_f64(),
        heap as f64 / 1e6,
        heap as f64 / indexed.max(1) as f64,
        heap as f64 / indexed.max(1) as f64
    );
    let (n, took) = store_items(&mut store, &ids, &mut source, measure);
    let (indexed, heap) = store.story_index_size().expect("index loaded");
    println!(
        "assign: {n} items with {} stored: {:.2} s, {:.0} items/s (store + story assignment)",
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
    drop(store);
    if keep.is_none() {
        drop(tmp);
    }
}
