//! What the story and reports benchmarks share: generated wire copy week after week (see
//! `tests/wire_corpus`), cut into the feed bodies polls would bring. Included by each
//! benchmark with `#[path]`; the including crate declares `mod wire_corpus`.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use aggregator::config::FeedConfig;
use aggregator::dedup::ReadyItem;
use aggregator::model::ParsedItem;
use aggregator::store::{FetchRecord, Store, Writer};
use chrono::{DateTime, Utc};

/// Most items per `record` call, as one feed body brings them.
pub const BODY: usize = 30;
/// Simulated time between two polls of a feed.
pub const POLL: chrono::Duration = chrono::Duration::minutes(15);

pub fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

pub fn feeds() -> Vec<FeedConfig> {
    crate::wire_corpus::feeds()
        .iter()
        .map(|name| FeedConfig {
            name: name.to_string(),
            url: url::Url::parse(&format!("https://{name}.example/rss")).expect("url"),
            interval: Duration::from_secs(600),
            timezone: chrono::FixedOffset::east_opt(0).expect("utc").into(),
            captured_at: None,
        })
        .collect()
}

/// Generated items, week after week, each week its own seed; guids made unique across weeks.
pub struct Weeks {
    per_week: usize,
    week: u64,
    start: DateTime<Utc>,
    buffer: std::vec::IntoIter<crate::wire_corpus::LabelledItem>,
}

impl Weeks {
    pub fn new(per_week: usize, start: DateTime<Utc>) -> Self {
        Self {
            per_week,
            week: 0,
            start,
            buffer: Vec::new().into_iter(),
        }
    }
}

impl Iterator for Weeks {
    type Item = crate::wire_corpus::LabelledItem;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(mut item) = self.buffer.next() {
                item.guid = format!("w{}-{}", self.week, item.guid);
                item.link = format!("{}?w={}", item.link, self.week);
                return Some(item);
            }
            self.week += 1;
            let spec = crate::wire_corpus::CorpusSpec {
                seed: self.week,
                stories: self.per_week,
                start: self.start + chrono::Duration::weeks(self.week as i64 - 1),
            };
            self.buffer = crate::wire_corpus::generate(&spec).into_iter();
        }
    }
}

pub fn ready(item: &crate::wire_corpus::LabelledItem) -> ReadyItem {
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
pub struct Body {
    pub feed: i64,
    pub now: DateTime<Utc>,
    pub items: Vec<ReadyItem>,
}

/// Takes `n` items from `source` as the bodies polls would bring: each feed polled every
/// [`POLL`] of simulated time, bringing what it published since (at most [`BODY`] items).
pub fn bodies(ids: &HashMap<String, i64>, source: &mut Weeks, n: usize) -> Vec<Body> {
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
/// once, so the writer commits them in groups. Returns the items stored.
pub fn record_all(writer: &Writer, runtime: &tokio::runtime::Runtime, bodies: Vec<Body>) -> usize {
    let n = bodies.iter().map(|b| b.items.len()).sum();
    let calls: Vec<_> = bodies
        .into_iter()
        .map(|b| {
            writer.call(move |s| {
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
                        warnings: Vec::new(),
                    },
                    b.now,
                )
            })
        })
        .collect();
    runtime.block_on(async {
        for c in calls {
            c.await.expect("writer").expect("record");
        }
    });
    n
}

/// The writer and the runtime whose blocking pool runs it.
pub struct Wr {
    pub runtime: tokio::runtime::Runtime,
    pub writer: Writer,
}

impl Wr {
    pub fn open(path: &Path) -> Self {
        let runtime = aggregator::refresh::runtime().expect("runtime");
        let store = Store::open(path, Default::default()).expect("open");
        let writer = {
            let _in = runtime.enter();
            Writer::spawn(store)
        };
        Self { runtime, writer }
    }

    pub fn sync(&self, feeds: &[FeedConfig], at: DateTime<Utc>) -> HashMap<String, i64> {
        let feeds = feeds.to_vec();
        self.runtime
            .block_on(self.writer.call(move |s| s.sync_feeds(&feeds, at)))
            .expect("writer")
            .expect("feeds")
            .into_iter()
            .map(|f| (f.name, f.id))
            .collect()
    }

    /// Records the bodies as a poll does (see [`record_all`]). Returns the items stored.
    pub fn store(&self, bodies: Vec<Body>) -> usize {
        record_all(&self.writer, &self.runtime, bodies)
    }
}

/// Fills `path` with `n` items from the start of the generated sequence, a slice at a time
/// (bounded memory). Returns items stored and the time taken, preparation included.
pub fn fill(path: &Path, per_week: usize, start: DateTime<Utc>, n: usize) -> (usize, Duration) {
    let took = Instant::now();
    let w = Wr::open(path);
    let ids = w.sync(&feeds(), start);
    let mut source = Weeks::new(per_week, start);
    let mut done = 0;
    while done < n {
        let k = w.store(bodies(&ids, &mut source, (n - done).min(50_000)));
        if k == 0 {
            break;
        }
        done += k;
    }
    (done, took.elapsed())
}
