//! The web view over a large database: the stories page (and the API's stories) at 1,000,000
//! stored items, served by the real router on 127.0.0.1 and asked over HTTP/1.1, one request
//! at a time. Reports each page's time per request (median and p99 over `RUNS` requests, after
//! warm-ups), measured from sending the request to reading the whole answer on loopback: the
//! server's time plus a loopback round trip.
//!
//! `cargo bench --bench web` fills (or, with `KEEP=DIR`, reuses) the database the reports
//! benchmark uses (`STORED`, `PER_WEEK` as there). `RUNS=N` requests per page (default 200).
//! The daemon's memory with the web view on is measured by `WEB=1 bash benches/cycle.sh`.

#[path = "../tests/wire_corpus/mod.rs"]
mod wire_corpus;

#[path = "support/corpus.rs"]
mod corpus;
use corpus::*;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aggregator::store::{Store, Writer};
use aggregator::web::{Access, Catalog, WebState};
use chrono::{DateTime, Utc};

/// Requests before the timed ones.
const WARM: usize = 5;

fn main() {
    let stored = env("STORED", 1_000_000);
    let per_week = env("PER_WEEK", 20_000);
    let runs = env("RUNS", 200);
    let keep = std::env::var_os("KEEP").map(PathBuf::from);
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = keep.unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(format!("reports-{stored}-{per_week}.sqlite"));
    let start: DateTime<Utc> = "2026-01-05T00:00:00Z".parse().expect("date");
    let items: i64 = if path.exists() {
        // Brings a kept database to this build's schema.
        drop(Store::open(&path, Default::default()).expect("open"));
        rusqlite::Connection::open(&path)
            .and_then(|c| c.query_row("SELECT count(*) FROM items", [], |r| r.get(0)))
            .expect("count")
    } else {
        0
    };
    if items < stored as i64 {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        let (n, took) = fill(&path, per_week, start, stored);
        println!("fill: {n} items in {:.1} s", took.as_secs_f64());
    } else {
        println!("reusing {} with {items} items", path.display());
    }
    // The simulated "now": the newest item's arrival; the page asks for the day before it.
    let last: i64 = rusqlite::Connection::open(&path)
        .and_then(|c| c.query_row("SELECT max(first_seen) FROM items", [], |r| r.get(0)))
        .expect("last");
    let day_ago = DateTime::from_timestamp(last - 86_400, 0).expect("time");
    let since =
        url::form_urlencoded::byte_serialize(day_ago.to_rfc3339().as_bytes()).collect::<String>();

    let runtime = aggregator::refresh::runtime().expect("runtime");
    let addr = runtime.block_on(async {
        let store = Store::open(&path, Default::default()).expect("open");
        let writer = Arc::new(Writer::spawn(store));
        let (_access_tx, access) = tokio::sync::watch::channel(Access::default());
        let (_catalog_tx, catalog) = tokio::sync::watch::channel(Catalog {
            watchlists: Vec::new(),
            feeds: feeds().into_iter().map(|f| f.name).collect(),
        });
        let (stop_tx, stop) = tokio::sync::watch::channel(false);
        std::mem::forget((_access_tx, _catalog_tx, stop_tx));
        let state = WebState::new(path.clone(), writer, access, catalog, stop.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(aggregator::web::serve(listener, state, stop));
        addr
    });

    println!(
        "web view over {} ({stored} items), {runs} requests per page after {WARM} warm-ups",
        path.display()
    );
    let feed = feeds()[0].name.clone();
    let pages = [
        (
            "stories page, last day, all stories",
            format!("/?all=1&since={since}"),
        ),
        (
            "stories page, last day, one feed",
            format!("/?all=1&since={since}&feed={feed}"),
        ),
        (
            "stories page, page 5",
            format!("/?all=1&since={since}&page=5"),
        ),
        (
            "stories page, search",
            format!("/?all=1&since={since}&q=minister"),
        ),
        (
            "api stories, last day",
            format!("/api/stories?since={since}&limit=50"),
        ),
    ];
    for (label, path) in pages {
        let (bytes, times) = measure(addr, &path, runs);
        println!(
            "{label:<40} median {:>7.1} ms  p99 {:>7.1} ms  max {:>7.1} ms  ({} KB)",
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
            ms(*times.last().expect("runs")),
            bytes / 1024
        );
    }
    drop(runtime);
}

/// Asks for `path` `WARM + runs` times; the answer's size and the timed runs' times, sorted.
fn measure(addr: SocketAddr, path: &str, runs: usize) -> (usize, Vec<Duration>) {
    let mut times = Vec::with_capacity(runs);
    let mut bytes = 0;
    for i in 0..WARM + runs {
        let t = Instant::now();
        let (status, body) = get(addr, path);
        let took = t.elapsed();
        assert_eq!(status, 200, "{path}: {body}");
        bytes = body.len();
        if i >= WARM {
            times.push(took);
        }
    }
    times.sort();
    (bytes, times)
}

fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
