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

use chrono::{DateTime, Utc};

#[path = "support/corpus.rs"]
mod corpus;
use corpus::*;

/// Records the bodies through the writer (see [`record_all`]); items stored and time taken.
fn store_bodies(w: &Wr, bodies: Vec<Body>) -> (usize, Duration) {
    let start = Instant::now();
    let n = record_all(&w.writer, &w.runtime, bodies);
    (n, start.elapsed())
}

/// The story index's size in the writer (entries, heap bytes), once loaded.
fn index_size(w: &Wr) -> Option<(usize, usize)> {
    w.runtime
        .block_on(w.writer.call(|s| s.story_index_size()))
        .expect("writer")
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
    let (indexed, heap) = index_size(&w).expect("index loaded");
    println!(
        "index: loaded {indexed} items in {:.2} s; {:.1} MB heap ({:.0} bytes/item, {:.0} MB per million items indexed)",
        load.as_secs_f64(),
        heap as f64 / 1e6,
        heap as f64 / indexed.max(1) as f64,
        heap as f64 / indexed.max(1) as f64
    );
    let (n, took) = store_bodies(&w, measured);
    let (indexed, heap) = index_size(&w).expect("index loaded");
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
