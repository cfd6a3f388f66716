//! End-to-end ingest benchmark over a generated corpus of local RSS files.
//!
//! ```text
//! cargo bench --bench ingest                         # 1000 feeds × 30 items, the real poll
//! INGEST_FEEDS=10000 cargo bench --bench ingest      # a bigger corpus
//! INGEST_MODE=pipelined cargo bench --bench ingest   # stage timings, parse ∥ store
//! INGEST_MODE=sequential cargo bench --bench ingest  # stage timings, one thread
//! INGEST_BREAKDOWN=1 INGEST_MODE=sequential …        # prepare split into its stages
//! INGEST_KEEP=1 cargo bench --bench ingest           # keep the corpus and database
//! INGEST_GENERATE_ONLY=DIR cargo bench --bench ingest # only write the corpus into DIR
//! ```
//!
//! The corpus is generated deterministically (an LCG, no `rand`) before the clock starts: RSS 2.0
//! files shaped like Yonhap's wire feeds — English and Korean headlines, 300–600-character leads
//! behind a dateline, `+0900` pubDates, categories, `dc:creator`, descriptions as plain text,
//! CDATA HTML or entity-escaped HTML, and a share of stories republished in several feeds under
//! the same link. Generation streams one feed at a time, so it adds nothing to peak RSS.
//!
//! Modes:
//! - `poll` (default): `refresh::poll_once` on the production runtime over `file://` feeds, as
//!   `aggregator poll --once` runs it: async file reads, parsing on the blocking pool (one per
//!   core), the writer thread with group commit, the closing WAL checkpoint. A second poll finds
//!   every file unchanged (modification-time validator) and parses nothing.
//! - `pipelined`: the same stages called directly, read+prepare on one thread and
//!   `Store::record` on another (a channel of at most [`QUEUE`] feeds between them), with time
//!   per stage. Its warm pass re-ingests the same files into the same database (every item found
//!   and compared, none new): what an HTTP feed without validators costs when unchanged.
//! - `sequential`: both stages on one thread.
//!
//! Each mode is its own process run, so the peak RSS printed (`VmHWM`) is that mode's.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use aggregator::config::FeedConfig;
use aggregator::fetch::Validators;
use aggregator::parse::ParseOptions;
use aggregator::refresh::prepare;
use aggregator::store::{ApplyStats, FetchRecord, Store, StoreOptions};
use aggregator::watch::{TermSpec, WatchSet, WatchlistSpec};
use chrono::{DateTime, FixedOffset, SecondsFormat, TimeZone, Utc};
use url::Url;

/// Items per feed.
const ITEMS_PER_FEED: usize = 30;
/// Share of items (percent) that are republished stories drawn from a shared pool.
const SHARED_PCT: u64 = 15;
/// Share of feeds (percent) in Korean.
const KOREAN_PCT: u64 = 20;
/// Prepared feeds waiting for the store thread, at most.
const QUEUE: usize = 4;
/// The fetcher's default body cap (`Defaults::max_body_bytes`).
const MAX_BODY_BYTES: u64 = 5 * 1024 * 1024;

fn main() {
    let feeds: usize = std::env::var("INGEST_FEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(1000);
    let mode = match std::env::var("INGEST_MODE").as_deref() {
        Ok("sequential") => Mode::Sequential,
        Ok("pipelined") => Mode::Pipelined,
        Ok("poll") | Err(_) => Mode::Poll,
        Ok(other) => {
            panic!("INGEST_MODE must be `pipelined`, `sequential` or `poll`, not {other:?}")
        }
    };

    // `INGEST_GENERATE_ONLY=DIR`: write the corpus into DIR and stop (the daemon cycle
    // benchmark, benches/cycle.sh, serves it over HTTP).
    if let Some(out) = std::env::var_os("INGEST_GENERATE_ONLY") {
        let out = std::path::PathBuf::from(out);
        std::fs::create_dir_all(&out).expect("create corpus dir");
        let configs = generate_corpus(&out, feeds);
        println!("generated {} feeds in {}", configs.len(), out.display());
        return;
    }
    let dir = tempfile::Builder::new()
        .prefix("ingest-bench")
        .tempdir()
        .expect("create tempdir");
    let corpus_dir = dir.path().join("feeds");
    std::fs::create_dir(&corpus_dir).expect("create corpus dir");

    let gen_start = Instant::now();
    let configs = generate_corpus(&corpus_dir, feeds);
    let corpus_bytes: u64 = configs
        .iter()
        .map(|f| {
            std::fs::metadata(f.url.to_file_path().unwrap())
                .unwrap()
                .len()
        })
        .sum();
    eprintln!(
        "corpus: {feeds} feeds, {:.1} MB in {}, generated in {:.2}s (not timed); peak RSS so far {:.1} MB",
        corpus_bytes as f64 / 1e6,
        corpus_dir.display(),
        gen_start.elapsed().as_secs_f64(),
        peak_rss_mb()
    );

    let watch = WatchSet::compile(&watchlists()).expect("watchlists compile");
    if let Mode::Poll = mode {
        poll_mode(dir.path(), configs, watch);
        return;
    }
    let mut store =
        Store::open(&dir.path().join("bench.sqlite"), Default::default()).expect("open store");

    let cold = ingest(&mut store, &configs, &watch, mode);
    let cold_rss = peak_rss_mb();
    let warm = ingest(&mut store, &configs, &watch, mode);
    let warm_rss = peak_rss_mb();

    println!("mode: {}", mode.name());
    println!("feeds: {feeds}");
    println!("items: {}", cold.items);
    println!("items stored (new): {}", cold.stats.new);
    println!("matches: {}", cold.stats.matches);
    println!("wall seconds: {:.3}", cold.wall.as_secs_f64());
    println!("items/s: {:.0}", cold.items_per_sec());
    println!("peak RSS MB: {cold_rss:.1}");
    println!(
        "warm: items {}, new {}, updated {}, wall seconds {:.3}",
        warm.items,
        warm.stats.new,
        warm.stats.updated,
        warm.wall.as_secs_f64()
    );
    println!("warm items/s: {:.0}", warm.items_per_sec());
    println!("warm peak RSS MB: {warm_rss:.1}");
    for (name, r) in [("cold", &cold), ("warm", &warm)] {
        eprintln!(
            "{name} stages: read {:.3}s, prepare {:.3}s, record {:.3}s (sync_feeds {:.3}s), failed feeds {}",
            r.read.as_secs_f64(),
            r.prepare.as_secs_f64(),
            r.record.as_secs_f64(),
            r.sync.as_secs_f64(),
            r.failed
        );
    }
    if std::env::var_os("INGEST_BREAKDOWN").is_some() {
        breakdown(&configs, &watch);
    }
    let db = dir.path().join("bench.sqlite");
    eprintln!(
        "database: {:.1} MB",
        std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0) as f64 / 1e6
    );
    if std::env::var_os("INGEST_KEEP").is_some() {
        eprintln!("kept {}", dir.keep().display());
    }
}

#[derive(Clone, Copy)]
enum Mode {
    Sequential,
    Pipelined,
    /// The real thing: `refresh::poll_once` over `file://` feeds (async file reads, parsing on
    /// the blocking pool, the writer thread with group commit, the final checkpoint).
    Poll,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Sequential => "sequential",
            Mode::Pipelined => "pipelined",
            Mode::Poll => "poll",
        }
    }
}

/// `INGEST_MODE=poll`: two `poll_once` runs through the production composer. The second finds
/// every file unchanged (modification-time validator) and parses nothing.
fn poll_mode(dir: &Path, feeds: Vec<FeedConfig>, watch: WatchSet) {
    use aggregator::config::{Config, Defaults};
    use aggregator::refresh::{FeedOutcome, poll_once};
    use aggregator::store::Writer;
    use std::sync::Arc;

    let config = Config {
        path: dir.join("bench.toml"),
        database: dir.join("poll.sqlite"),
        watchlists_path: None,
        watchlists: watchlists(),
        defaults: Defaults::default(),
        feeds,
        stories: Default::default(),
        sinks: Vec::new(),
        retry: Default::default(),
        atom: Vec::new(),
        rematch: Default::default(),
        retention: Default::default(),
        metrics: None,
        web: Default::default(),
    };
    let watch = Arc::new(watch);
    let runtime = aggregator::refresh::runtime().expect("runtime");
    println!("mode: poll");
    println!("feeds: {}", config.feeds.len());
    for pass in ["cold", "warm"] {
        let start = Instant::now();
        let writer = {
            let _in_runtime = runtime.enter();
            Arc::new(Writer::spawn(
                Store::open(&config.database, StoreOptions::from_config(&config))
                    .expect("open store"),
            ))
        };
        let summary = runtime
            .block_on(poll_once(&config, watch.clone(), writer.clone()))
            .expect("poll");
        if let Ok(w) = Arc::try_unwrap(writer) {
            w.close();
        }
        let wall = start.elapsed();
        let items: usize = summary
            .feeds
            .iter()
            .map(|f| match f.outcome {
                FeedOutcome::Fetched { items, .. } => items,
                _ => 0,
            })
            .sum();
        let stats = summary.stats();
        println!(
            "{pass}: feeds ok {}, failed {}, not modified {}, items parsed {items}, new {}, matches {}, wall seconds {:.3}",
            summary.ok(),
            summary.failed(),
            summary.not_modified(),
            stats.new,
            stats.matches,
            wall.as_secs_f64()
        );
        if items > 0 {
            println!("{pass} items/s: {:.0}", items as f64 / wall.as_secs_f64());
        }
        println!("{pass} peak RSS MB: {:.1}", peak_rss_mb());
    }
}

#[derive(Default)]
struct Run {
    items: usize,
    stats: ApplyStats,
    failed: usize,
    wall: Duration,
    sync: Duration,
    read: Duration,
    prepare: Duration,
    record: Duration,
}

impl Run {
    /// Counts one prepared feed and records it (timed).
    fn absorb(&mut self, store: &mut Store, id: i64, fetched: Prepared) {
        self.read += fetched.read;
        self.prepare += fetched.prepare;
        self.items += fetched.items;
        self.failed += usize::from(fetched.failed);
        let t = Instant::now();
        self.stats += store
            .record(id, fetched.record, Utc::now())
            .expect("record");
        self.record += t.elapsed();
    }

    fn items_per_sec(&self) -> f64 {
        self.items as f64 / self.wall.as_secs_f64()
    }
}

/// One poll over every feed: `sync_feeds`, then read → prepare → record per feed, then the
/// checkpoint.
fn ingest(store: &mut Store, configs: &[FeedConfig], watch: &WatchSet, mode: Mode) -> Run {
    let start = Instant::now();
    let mut run = Run::default();
    let states = store.sync_feeds(configs, Utc::now()).expect("sync_feeds");
    run.sync = start.elapsed();
    let ids: Vec<i64> = states.iter().map(|s| s.id).collect();
    match mode {
        Mode::Sequential => {
            for (feed, &id) in configs.iter().zip(&ids) {
                let fetched = fetch_and_prepare(feed, watch);
                run.absorb(store, id, fetched);
            }
        }
        Mode::Poll => unreachable!("poll mode runs poll_mode"),
        Mode::Pipelined => {
            let (tx, rx) = mpsc::sync_channel::<(i64, Prepared)>(QUEUE);
            std::thread::scope(|s| {
                let producer = s.spawn(move || {
                    for (feed, &id) in configs.iter().zip(&ids) {
                        if tx.send((id, fetch_and_prepare(feed, watch))).is_err() {
                            break;
                        }
                    }
                });
                for (id, fetched) in rx {
                    run.absorb(store, id, fetched);
                }
                producer.join().expect("parse thread");
            });
        }
    }
    // A poll ends with a WAL checkpoint (`refresh::poll_once`); it is part of the cost.
    let t = Instant::now();
    store.checkpoint().expect("checkpoint");
    run.record += t.elapsed();
    run.wall = start.elapsed();
    run
}

struct Prepared {
    record: FetchRecord,
    items: usize,
    failed: bool,
    read: Duration,
    prepare: Duration,
}

/// What `Fetcher::fetch_file` + `process_body` do for one `file://` feed, minus tokio.
fn fetch_and_prepare(feed: &FeedConfig, watch: &WatchSet) -> Prepared {
    let t0 = Instant::now();
    let path = feed.url.to_file_path().expect("file URL");
    let meta = std::fs::metadata(&path).expect("feed file metadata");
    assert!(meta.len() <= MAX_BODY_BYTES, "feed file over the body cap");
    // The validator the fetcher stores for files: the modification time, nanosecond RFC 3339.
    let stamp = meta
        .modified()
        .ok()
        .map(|t| DateTime::<Utc>::from(t).to_rfc3339_opts(SecondsFormat::Nanos, true));
    let bytes = std::fs::read(&path).expect("read feed file");
    let size = bytes.len() as u64;
    let t1 = Instant::now();
    let opts = ParseOptions {
        base_url: Some(feed.url.clone()),
        http_charset: None,
        default_offset: feed.timezone,
        date_shift: Default::default(),
        cut_short: false,
    };
    let (record, items) = match prepare(&bytes, &opts, watch, &feed.name, &[]) {
        Ok(p) => {
            let n = p.items.len();
            (
                FetchRecord::Fetched {
                    http_status: 200,
                    validators: Validators {
                        etag: None,
                        last_modified: stamp,
                    },
                    bytes: size,
                    // `Body::elapsed` is the fetch alone.
                    elapsed: t1 - t0,
                    title: p.title,
                    site_link: p.site_link,
                    items: p.items,
                    warnings: Vec::new(),
                },
                n,
            )
        }
        Err(e) => (
            FetchRecord::Failed {
                http_status: Some(200),
                error: format!("{}: {e}", path.display()),
                elapsed: t1 - t0,
            },
            0,
        ),
    };
    Prepared {
        failed: matches!(record, FetchRecord::Failed { .. }),
        record,
        items,
        read: t1 - t0,
        prepare: t1.elapsed(),
    }
}

/// `INGEST_BREAKDOWN=1`: one more pass, on one thread and after the measured ones, that times the
/// pieces of `prepare` separately: decoding, feed-rs alone (configured as `parse::run_feed_rs`
/// configures it), the whole of `parse_feed` (so normalisation = parse_feed − decode − feed-rs),
/// `dedup::identify`, `watch::fold` of title and summary, and `WatchSet::match_item` (fold +
/// automaton).
fn breakdown(configs: &[FeedConfig], watch: &WatchSet) {
    use aggregator::dedup::identify;
    use aggregator::parse::{date, encoding, parse_feed};
    use aggregator::watch::fold;
    use std::hint::black_box;

    let (mut decode, mut xml, mut parse, mut ident, mut folding, mut matching) = Default::default();
    let mut items = 0usize;
    let time = |acc: &mut Duration, start: Instant| *acc += start.elapsed();
    for feed in configs {
        let bytes = std::fs::read(feed.url.to_file_path().expect("file URL")).expect("read");
        let opts = ParseOptions {
            base_url: Some(feed.url.clone()),
            http_charset: None,
            default_offset: feed.timezone,
            date_shift: Default::default(),
            cut_short: false,
        };
        let s = Instant::now();
        let decoded = encoding::decode(&bytes, None);
        time(&mut decode, s);
        let offset = feed.timezone;
        let s = Instant::now();
        let raw = feed_rs::parser::Builder::new()
            .id_generator(|_, _, _| String::new())
            .timestamp_parser(move |d| date::parse_date(d, offset))
            .build()
            .parse(decoded.text.as_bytes())
            .expect("feed-rs parses the corpus");
        time(&mut xml, s);
        black_box(raw);
        let s = Instant::now();
        let parsed = parse_feed(&bytes, &opts).expect("corpus parses");
        time(&mut parse, s);
        for item in &parsed.items {
            items += 1;
            let s = Instant::now();
            black_box(identify(item));
            time(&mut ident, s);
            let s = Instant::now();
            black_box(fold(&item.title));
            black_box(item.summary.as_deref().map(fold));
            time(&mut folding, s);
            let s = Instant::now();
            black_box(watch.match_item(item, "bench"));
            time(&mut matching, s);
        }
    }
    let us = |d: Duration| d.as_secs_f64() * 1e6 / items as f64;
    let normalise = parse.saturating_sub(decode + xml);
    eprintln!("breakdown per item ({items} items, one thread):");
    eprintln!("  decode (encoding::decode)      {:6.2} µs", us(decode));
    eprintln!("  feed-rs parse                  {:6.2} µs", us(xml));
    eprintln!("  normalise (rest of parse_feed) {:6.2} µs", us(normalise));
    eprintln!("  parse_feed total               {:6.2} µs", us(parse));
    eprintln!("  dedup::identify                {:6.2} µs", us(ident));
    eprintln!("  WatchSet::match_item           {:6.2} µs", us(matching));
    eprintln!("    of which watch::fold         {:6.2} µs", us(folding));
    eprintln!(
        "  prepare ≈                      {:6.2} µs",
        us(parse + ident + matching)
    );
}

/// `VmHWM` (peak resident set) of this process, in MB.
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn watchlists() -> Vec<WatchlistSpec> {
    let spec = |name: &str, terms: &[&str], exclude: &[&str]| WatchlistSpec {
        name: name.into(),
        terms: terms.iter().map(|t| TermSpec::from(*t)).collect(),
        not: exclude.iter().map(|t| TermSpec::from(*t)).collect(),
        ..Default::default()
    };
    vec![
        spec(
            "japan-dprk",
            &[
                "Kim Yo-jong",
                "Kishida",
                "abductee",
                "\"Japan-DPRK summit\"",
                "납북",
                "일본",
            ],
            &[],
        ),
        spec(
            "nk-weapons",
            &["ICBM", "hypersonic", "Yongbyon", "북한"],
            &["K-pop"],
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Corpus generation (untimed).

/// Knuth's MMIX LCG, seeded through SplitMix64 so neighbouring seeds give unrelated streams;
/// the high bits are good enough for picking phrases.
struct Lcg(u64);

impl Lcg {
    fn new(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Lcg(z ^ (z >> 31))
    }
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, pct: u64) -> bool {
        self.next() % 100 < pct
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Lang {
    En,
    Ko,
}

/// How a feed writes its `<description>`.
#[derive(Clone, Copy)]
enum Desc {
    Plain,
    Cdata,
    Escaped,
}

/// One story as a feed carries it.
struct Story {
    article: String,
    link: String,
    title: String,
    /// Lead paragraphs (plain text; `&` and quotes unescaped).
    paras: Vec<String>,
    categories: Vec<&'static str>,
    author: &'static str,
    published: DateTime<FixedOffset>,
    photo: Option<String>,
}

fn kst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("valid offset")
}

/// Writes `n` feeds into `dir` and returns their configs.
fn generate_corpus(dir: &Path, n: usize) -> Vec<FeedConfig> {
    let total = (n * ITEMS_PER_FEED) as u64;
    // Each pooled story is republished about three times.
    let pool = (total * SHARED_PCT / 100 / 3).max(10);
    let mut configs = Vec::with_capacity(n);
    let mut xml = String::with_capacity(64 * 1024);
    for f in 0..n {
        let mut rng = Lcg::new(f as u64);
        let lang = if rng.chance(KOREAN_PCT) {
            Lang::Ko
        } else {
            Lang::En
        };
        let desc = match rng.below(3) {
            0 => Desc::Plain,
            1 => Desc::Cdata,
            _ => Desc::Escaped,
        };
        let creator = rng.chance(60);
        let permalink_guid = rng.chance(30);
        let section = rng.pick(SECTIONS);
        let name = format!("yna-{}-{section}-{f:04}", lang_code(lang));
        xml.clear();
        write_feed_head(&mut xml, lang, section, &name, f);
        for j in 0..ITEMS_PER_FEED {
            let story = if rng.chance(SHARED_PCT) {
                let id = rng.next() % pool;
                story(lang, id, true, (id % 2880) as i64)
            } else {
                let id = (f * ITEMS_PER_FEED + j) as u64;
                story(lang, id, false, (j * 23 + rng.below(20)) as i64)
            };
            write_item(&mut xml, &story, lang, desc, creator, permalink_guid);
        }
        xml.push_str("</channel>\n</rss>\n");
        let path = dir.join(format!("{name}.xml"));
        std::fs::write(&path, xml.as_bytes()).expect("write feed");
        configs.push(FeedConfig {
            name,
            url: Url::from_file_path(&path).expect("absolute path"),
            interval: Duration::from_secs(600),
            timezone: kst().into(),
            captured_at: None,
        });
    }
    configs
}

fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "en",
        Lang::Ko => "ko",
    }
}

const SECTIONS: &[&str] = &[
    "northkorea",
    "politics",
    "economy",
    "national",
    "international",
    "topnews",
];

fn write_feed_head(out: &mut String, lang: Lang, section: &str, name: &str, f: usize) {
    let (title, link, language, desc) = match lang {
        Lang::En => (
            format!("Yonhap News Agency - {section}"),
            format!("https://en.yna.co.kr/{section}/index"),
            "en-us",
            "Yonhap News Agency, Korea's leading news agency, provides the latest news on North Korea, politics, economy and society.",
        ),
        Lang::Ko => (
            format!("연합뉴스 - {section} 최신기사"),
            format!("https://www.yna.co.kr/{section}/all"),
            "ko",
            "대한민국 대표 뉴스통신사 연합뉴스의 최신 기사를 제공합니다.",
        ),
    };
    let built = kst()
        .with_ymd_and_hms(2024, 3, 26, 18, (f % 60) as u32, 0)
        .unwrap();
    let _ = write!(
        out,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>{title}</title>
<link>{link}</link>
<description>{desc}</description>
<language>{language}</language>
<copyright>Copyright (c) Yonhap News Agency. All rights reserved.</copyright>
<lastBuildDate>{built}</lastBuildDate>
<ttl>10</ttl>
<atom:link href="https://feeds.example.net/{name}.xml" rel="self" type="application/rss+xml"/>
<image><url>https://r.yna.co.kr/global/home/v01/img/yonhapnews_logo_600x600.png</url><title>{title}</title><link>{link}</link></image>
"#,
        built = rfc822(&built)
    );
}

fn rfc822(d: &DateTime<FixedOffset>) -> String {
    d.format("%a, %d %b %Y %H:%M:%S %z").to_string()
}

fn write_item(
    out: &mut String,
    s: &Story,
    lang: Lang,
    desc: Desc,
    creator: bool,
    permalink_guid: bool,
) {
    out.push_str("<item>\n<title>");
    xml_escape_into(out, &s.title);
    let _ = write!(out, "</title>\n<link>{}</link>\n", xml_escape(&s.link));
    if permalink_guid {
        let _ = writeln!(
            out,
            "<guid isPermaLink=\"true\">{}</guid>",
            xml_escape(&s.link)
        );
    } else {
        let _ = writeln!(out, "<guid isPermaLink=\"false\">{}</guid>", s.article);
    }
    let _ = writeln!(out, "<pubDate>{}</pubDate>", rfc822(&s.published));
    for c in &s.categories {
        let _ = writeln!(out, "<category>{c}</category>");
    }
    if creator {
        let _ = writeln!(out, "<dc:creator>{}</dc:creator>", s.author);
    }
    out.push_str("<description>");
    match desc {
        Desc::Plain => xml_escape_into(out, &s.paras.join(" ")),
        Desc::Cdata => {
            out.push_str("<![CDATA[");
            out.push_str(&story_html(s, lang));
            out.push_str("]]>");
        }
        Desc::Escaped => xml_escape_into(out, &story_html(s, lang)),
    }
    out.push_str("</description>\n</item>\n");
}

/// The lead as the HTML a CMS emits: photo, paragraphs, a "more" link, `&nbsp;` after the dateline.
fn story_html(s: &Story, lang: Lang) -> String {
    let (credit, more) = match lang {
        Lang::En => ("(Yonhap)", "Read more"),
        Lang::Ko => ("(연합뉴스)", "기사 더보기"),
    };
    let mut h = String::with_capacity(1024);
    if let Some(photo) = &s.photo {
        let _ = write!(
            h,
            r#"<figure class="img-con"><img src="{photo}" alt="{}" width="640"/><figcaption>{credit}</figcaption></figure>"#,
            html_escape(&s.title)
        );
    }
    for (i, p) in s.paras.iter().enumerate() {
        h.push_str("<p>");
        let escaped = html_escape(p);
        if i == 0 {
            // "SEOUL, March 26 (Yonhap) -- North Korea…" → non-breaking space after the dateline.
            h.push_str(&escaped.replacen(") -- ", ") --&nbsp;", 1));
        } else {
            h.push_str(&escaped);
        }
        h.push_str("</p>");
    }
    let _ = write!(
        h,
        r#"<p><a href="{}" target="_blank" rel="noopener">{more}</a> &raquo;</p>"#,
        html_escape(&s.link)
    );
    h
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    xml_escape_into(&mut out, s);
    out
}

fn xml_escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Story `id` of the pool or of the feed-own stories (stable: a republished story has the same
/// article id, link, title and text in every feed).
fn story(lang: Lang, id: u64, pooled: bool, minutes_ago: i64) -> Story {
    let mut rng = Lcg::new(
        (id << 1 | u64::from(pooled))
            .wrapping_mul(31)
            .wrapping_add(7),
    );
    // A general wire mix: a quarter North Korea, a tenth Japan/diplomacy, the rest economy and
    // society (so watchlist hits stay in the tens of percent, not on every item).
    let domain = match rng.below(100) {
        0..=24 => 0,
        25..=34 => 1,
        35..=69 => 2,
        _ => 3,
    };
    let published = kst().with_ymd_and_hms(2024, 3, 26, 18, 0, 0).unwrap()
        - chrono::Duration::minutes(minutes_ago);
    let date = published.format("%Y%m%d");
    let seq = id;
    // Yonhap's article ids end in a 3-digit desk code; pooled stories get their own codes so
    // their ids never collide with a feed's own stories.
    let code = domain * 5 + if pooled { 500 } else { 300 };
    let (prefix, host) = match lang {
        Lang::En => ("AEN", "en.yna.co.kr"),
        Lang::Ko => ("AKR", "www.yna.co.kr"),
    };
    let article = format!("{prefix}{date}{seq:06}{code}");
    let link = match lang {
        Lang::En => format!("https://{host}/view/{article}"),
        Lang::Ko => format!("https://{host}/view/{article}?input=1195m"),
    };
    let (heads, sentences, cats, authors) = match lang {
        Lang::En => (
            EN_HEADLINES[domain],
            EN_SENTENCES[domain],
            EN_CATEGORIES[domain],
            EN_AUTHORS,
        ),
        Lang::Ko => (
            KO_HEADLINES[domain],
            KO_SENTENCES[domain],
            KO_CATEGORIES[domain],
            KO_AUTHORS,
        ),
    };
    let mut title = String::new();
    if lang == Lang::En {
        let r = rng.below(100);
        title.push_str(match r {
            0..=11 => "(LEAD) ",
            12..=15 => "(2nd LD) ",
            16..=17 => "(URGENT) ",
            18..=20 => "(News Focus) ",
            _ => "",
        });
    } else if rng.chance(10) {
        title.push_str("(종합) ");
    }
    let n = 2 + rng.below(9);
    title.push_str(&rng.pick(heads).replace("{n}", &n.to_string()));

    let author = rng.pick(authors);
    // Dateline, then sentences of this domain (then of the others) up to 300–600 characters.
    let target = 300 + rng.below(300);
    let dateline = match (lang, domain) {
        (Lang::En, 1) if rng.chance(50) => "TOKYO, March 26 (Yonhap) -- ".to_string(),
        (Lang::En, _) => "SEOUL, March 26 (Yonhap) -- ".to_string(),
        (Lang::Ko, 1) if rng.chance(50) => {
            format!("(도쿄=연합뉴스) {author} = ")
        }
        (Lang::Ko, _) => format!("(서울=연합뉴스) {author} = "),
    };
    let all = match lang {
        Lang::En => EN_SENTENCES,
        Lang::Ko => KO_SENTENCES,
    };
    let mut paras: Vec<String> = vec![dateline];
    let mut chars = paras[0].chars().count();
    let start = rng.below(sentences.len());
    let order = (0..sentences.len())
        .map(|k| sentences[(start + k) % sentences.len()])
        // Economy and society leads are padded from those desks only, never with North Korea.
        .chain(
            (1..4)
                .map(|d| (domain + d) % 4)
                .filter(|&d| domain < 2 || d >= 2)
                .flat_map(|d| all[d].iter().copied()),
        );
    for (k, sentence) in order.enumerate() {
        if chars >= target {
            break;
        }
        if k == 0 {
            paras[0].push_str(sentence);
        } else {
            paras.push(sentence.to_string());
        }
        chars += sentence.chars().count() + 1;
    }
    // Feeds cut the lead at ~600 characters.
    if chars > 600 {
        let mut budget = 600usize;
        let mut cut = Vec::new();
        for p in paras {
            let len = p.chars().count();
            if len < budget {
                budget -= len + 1;
                cut.push(p);
            } else {
                let head: String = p.chars().take(budget.saturating_sub(4)).collect();
                let head = head.rfind(' ').map_or(head.as_str(), |i| &head[..i]);
                if !head.is_empty() {
                    cut.push(format!("{head} ..."));
                }
                break;
            }
        }
        paras = cut;
    }
    let first = rng.below(cats.len());
    let categories = (0..1 + rng.below(2))
        .map(|k| cats[(first + k) % cats.len()])
        .collect();
    let photo = rng.chance(40).then(|| {
        format!(
            "https://img{}.yna.co.kr/photo/yna/YH/2024/03/26/PYH{date}{seq:06}0001300_P2.jpg",
            rng.below(3) + 1
        )
    });
    Story {
        article,
        link,
        title,
        paras,
        categories,
        author,
        published,
        photo,
    }
}

const EN_AUTHORS: &[&str] = &[
    "Kim Soo-yeon",
    "Park Boram",
    "Lee Haye-ah",
    "Kang Yoon-seung",
    "Yi Wonju",
    "Chae Yun-hwan",
    "Kim Eun-jung",
];

const KO_AUTHORS: &[&str] = &[
    "김정선 기자",
    "박수윤 기자",
    "이상헌 특파원",
    "정빛나 기자",
    "유현민 기자",
    "김철선 기자",
];

/// Domains: 0 North Korea/defence, 1 Japan/diplomacy, 2 economy, 3 society.
const EN_HEADLINES: [&[&str]; 4] = [
    &[
        "N. Korea fires ballistic missile toward East Sea: JCS",
        "N. Korea fires {n} cruise missiles off west coast",
        "Kim Yo-jong slams S. Korea-U.S. drills as 'rehearsal for invasion'",
        "Kim Jong-un oversees hypersonic missile test, vows to bolster nuclear force",
        "N. Korea's satellite launch preparations spotted at Sohae site",
        "IAEA says Yongbyon reactor appears to be operating",
        "S. Korea, U.S. begin annual Freedom Shield exercise",
        "JCS says N. Korea flew {n}00 trash balloons across border overnight",
        "Unification ministry urges N. Korea to accept family reunion proposal",
    ],
    &[
        "Kishida says Japan-DPRK summit remains goal, raises abductee issue",
        "Kim Yo-jong rejects Kishida's summit offer, says abductee issue 'resolved'",
        "S. Korea, Japan agree to expand defense dialogue",
        "FM Cho, Japanese counterpart discuss N. Korea, forced labor issue",
        "Families of abductees urge Tokyo to act 'before it is too late'",
        "Japan to ease export curbs on chipmaking materials to S. Korea",
        "Seoul, Tokyo, Washington hold trilateral talks on N. Korean threats",
    ],
    &[
        "BOK holds key rate steady at 3.50 pct for {n}th straight meeting",
        "S. Korea's exports rise for {n}th straight month on chip recovery",
        "Samsung Electronics Q1 operating profit jumps {n}-fold on memory rebound",
        "KOSPI closes up 0.{n} pct on foreign buying",
        "Hyundai Motor to invest 2 tln won in EV plant in Ulsan",
        "Consumer prices rise 3.{n} pct in March on farm costs",
        "Korean won hits 17-month low against U.S. dollar",
        "S&P upgrades outlook on Korean banks to 'stable'",
    ],
    &[
        "Trainee doctors' walkout enters {n}th week as gov't stands firm",
        "Seoul to expand late-night bus routes from April",
        "Cherry blossoms expected to bloom early in Seoul this spring",
        "K-pop group wins top honor at Golden Disc Awards",
        "Prosecutors raid offices over alleged stock manipulation",
        "Heavy snow advisory issued for Gangwon Province",
        "Fine dust blankets Seoul for {n}th day",
    ],
];

const EN_SENTENCES: [&[&str]; 4] = [
    &[
        "North Korea fired a short-range ballistic missile toward the East Sea on Tuesday, South Korea's Joint Chiefs of Staff (JCS) said, in its sixth launch this year.",
        "The missile was fired from the Pyongyang area at around 7:44 a.m. and flew about 600 kilometers before splashing into the sea, according to the JCS.",
        "South Korean and U.S. intelligence authorities are analyzing the details of the launch, the JCS said, adding the military has stepped up surveillance and maintained a full readiness posture.",
        "Kim Yo-jong, the powerful sister of North Korean leader Kim Jong-un, said in a statement carried by the Korean Central News Agency (KCNA) that Pyongyang will \"never tolerate\" the allies' drills.",
        "The launch came a day after the allies wrapped up their 11-day Freedom Shield exercise, which the North has long denounced as a rehearsal for invasion.",
        "Experts say the North is likely to continue its weapons tests, including of an ICBM, ahead of the U.S. presidential election in November to raise its leverage.",
        "The unification ministry said the government \"strongly condemns\" the move and urged Pyongyang to return to dialogue.",
    ],
    &[
        "Japanese Prime Minister Fumio Kishida told a parliamentary session that he is pursuing high-level talks to realize a Japan-DPRK summit \"at an early date.\"",
        "Tokyo has long maintained that the issue of Japanese nationals abducted by North Korean agents in the 1970s and 1980s must be resolved before ties can be normalized.",
        "Families of the abductees have urged the government to bring their relatives home while their parents are still alive, as only one parent of the 17 officially recognized abductees is still living.",
        "Kim Yo-jong said in a separate statement that any summit would be impossible unless Tokyo drops its demands over the abductee issue, which Pyongyang claims has already been settled.",
        "Foreign Minister Cho Tae-yul and his Japanese counterpart Yoko Kamikawa agreed to strengthen trilateral security cooperation with the United States in the face of North Korean threats.",
        "Japanese media reported that officials from the two sides have held secret contacts in a third country, including Mongolia, in recent months.",
    ],
    &[
        "The Bank of Korea (BOK) kept its benchmark interest rate unchanged at 3.50 percent for the 10th consecutive time, as inflation remains above its 2 percent target.",
        "Outbound shipments rose 3.1 percent on-year to US$56.56 billion in March, according to data from the industry ministry, extending their growth streak to a sixth month.",
        "Chip exports jumped 35.7 percent on the back of a recovery in memory prices, while car exports fell 4.1 percent amid slowing demand for electric vehicles.",
        "The benchmark Korea Composite Stock Price Index (KOSPI) rose 18.56 points, or 0.68 percent, to close at 2,755.11, as foreign investors scooped up tech and auto shares.",
        "Analysts said the S&P 500's record high overnight and expectations of Fed rate cuts lifted investor sentiment.",
        "The Korean won closed at 1,347.5 won against the U.S. dollar, down 5.2 won from the previous session's close.",
    ],
    &[
        "The walkout by some 12,000 trainee doctors has continued for more than a month in protest of the government's plan to increase the medical school admission quota by 2,000.",
        "The health ministry said it will keep the emergency medical system in place and deploy military and public health doctors to major hospitals.",
        "The Korea Meteorological Administration said cherry blossoms are expected to bloom in Seoul on March 24, two days earlier than last year.",
        "The city government said it will add five late-night bus routes to ease the commute of shift workers and students.",
        "Prosecutors said they secured documents and computer files to look into allegations that the suspects inflated share prices through some 3,000 fake trades.",
    ],
];

const EN_CATEGORIES: [&[&str]; 4] = [
    &["North Korea", "Defense", "Politics"],
    &["Diplomacy", "Japan", "North Korea"],
    &["Economy", "Market", "Industry"],
    &["National", "Society", "Culture"],
];

const KO_HEADLINES: [&[&str]; 4] = [
    &[
        "북한, 동해상으로 탄도미사일 발사…합참 \"추가 정보 분석 중\"",
        "김여정 \"한미연합훈련은 침략 전쟁 연습\"…강력 대응 위협",
        "북한, 서해상으로 순항미사일 {n}발 발사",
        "통일부 \"북한, 이산가족 상봉 제안에 호응해야\"",
        "합참 \"북한, 밤사이 오물풍선 {n}00여개 부양\"",
        "김정은, 극초음속 미사일 시험발사 참관…\"핵무력 강화\"",
    ],
    &[
        "기시다 \"북일 정상회담 실현 위해 노력\"…납치문제 거론",
        "김여정, 기시다 정상회담 제안 거부…\"납치문제 해결됐다\"",
        "한일 외교장관 회담…북한 문제·강제징용 논의",
        "일본, 대한국 반도체 소재 수출규제 완화",
        "한미일, 북한 위협 대응 3자 협의 개최",
    ],
    &[
        "한은, 기준금리 연 3.50% 동결…{n}회 연속",
        "3월 수출 3.1%↑…반도체 회복에 {n}개월 연속 증가",
        "삼성전자 1분기 영업이익 6조6천억원…전년 대비 931%↑",
        "코스피, 외국인 매수에 2,750선 회복",
        "원/달러 환율 1,350원 돌파…17개월 만에 최고",
    ],
    &[
        "전공의 집단행동 {n}주째…정부 \"원칙 대응\"",
        "서울 벚꽃 예년보다 일찍 핀다…다음 주 절정",
        "강원 산지 대설특보…최고 20㎝ 눈",
        "검찰, 주가조작 의혹 관련 압수수색",
    ],
];

const KO_SENTENCES: [&[&str]; 4] = [
    &[
        "합동참모본부는 이날 \"북한이 오전 7시 44분께 평양 일대에서 동해상으로 단거리 탄도미사일 1발을 발사했다\"고 밝혔다.",
        "군은 한미 정보당국이 북한의 발사 징후를 사전에 포착해 추적 감시했으며 세부 제원을 정밀 분석하고 있다고 설명했다.",
        "북한의 탄도미사일 발사는 올해 들어 여섯 번째로, 한미연합연습 '자유의 방패' 종료 직후 이뤄졌다.",
        "김여정 조선노동당 부부장은 조선중앙통신을 통해 발표한 담화에서 한미연합훈련을 강하게 비난했다.",
        "통일부 당국자는 \"북한은 긴장을 고조시키는 행위를 즉각 중단하고 대화의 장으로 나와야 한다\"고 말했다.",
        "전문가들은 북한이 미국 대선을 앞두고 협상력을 높이기 위해 무력 시위를 이어갈 가능성이 크다고 분석했다.",
    ],
    &[
        "기시다 후미오 일본 총리는 이날 참의원 예산위원회에서 \"북일 정상회담을 조기에 실현하기 위해 고위급 협의를 추진하고 있다\"고 말했다.",
        "일본 정부는 납북자 문제 해결이 북일 관계 정상화의 전제 조건이라는 입장을 유지하고 있다.",
        "양국 장관은 북한의 핵·미사일 위협에 대응하기 위해 한미일 안보 협력을 강화하기로 했다.",
        "일본 언론은 정부가 몽골 등 제3국에서 북한 측과 비밀 접촉을 이어가고 있다고 보도했다.",
    ],
    &[
        "한국은행 금융통화위원회는 이날 통화정책방향 회의를 열고 기준금리를 현재 연 3.50%로 유지했다.",
        "산업통상자원부에 따르면 3월 수출은 전년 같은 달보다 3.1% 증가한 565억6천만달러로 집계됐다.",
        "반도체 수출은 메모리 가격 회복에 힘입어 35.7% 늘어 다섯 달 연속 증가세를 이어갔다.",
        "시장에서는 미국의 금리 인하 시점이 늦춰질 수 있다는 우려가 커지고 있다.",
        "이날 코스피는 전 거래일보다 18.56포인트(0.68%) 오른 2,755.11에 거래를 마쳤다.",
        "서울 외환시장에서 원/달러 환율은 전날보다 5.2원 내린 1,347.5원에 마감했다.",
        "기획재정부는 하반기 물가 안정을 위해 농산물 할당관세 적용 품목을 확대하기로 했다고 밝혔다.",
    ],
    &[
        "보건복지부는 이날 브리핑에서 \"의료 현장의 혼란을 최소화하기 위해 비상 진료 체계를 유지하겠다\"고 밝혔다.",
        "기상청은 내일 아침 최저기온이 영하 2도에서 영상 7도로 평년보다 조금 높겠다고 예보했다.",
        "서울시는 시민 불편을 줄이기 위해 심야버스 노선을 다음 달부터 확대 운영한다고 밝혔다.",
        "검찰은 이들이 3천여 차례의 가장매매로 주가를 끌어올린 것으로 보고 자금 흐름을 추적하고 있다.",
        "경찰은 사고 현장 주변 폐쇄회로(CC)TV 영상을 확보해 정확한 경위를 조사하고 있다.",
        "행정안전부는 봄철 산불 위험이 커짐에 따라 전국 산림 인접 지역에 대한 순찰을 강화한다고 밝혔다.",
    ],
];

const KO_CATEGORIES: [&[&str]; 4] = [
    &["북한", "정치"],
    &["국제", "외교"],
    &["경제", "산업"],
    &["사회", "전국"],
];
