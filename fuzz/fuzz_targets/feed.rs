//! Feed bytes → items: the whole parse stage (encodings, repairs, feed-rs, normalisation), then
//! `refresh::prepare` (identity, story fingerprint, watchlist matching) on the same bytes.
//!
//! Input: byte 0 chooses the options (bits 0–2 the HTTP charset label, bits 3–6 the default
//! zone, bit 7 a base URL); the rest is the body.
//!
//! Oracle: no panic escapes, plus the documented shape of a parsed item (`model::ParsedItem`,
//! README "Parsing"): at most `MAX_ENTRIES` items, one safe line of text per field, bounded
//! title and summary, absolute http(s) links, dates in 1970–9999 without sub-seconds.
//! A panic that `parse_feed` contains (it turns one inside feed-rs into `ParseError::Crashed`) is
//! not a crash: containing it is the designed behaviour. Each distinct place such a panic comes
//! from (a dependency's source) is printed once.
#![no_main]

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use aggregator::model::ParsedItem;
use aggregator::parse::{MAX_ENTRIES, ParseOptions, parse_feed};
use aggregator::refresh::prepare;
use aggregator::text::is_unsafe;
use aggregator::watch::WatchSet;
use chrono::{Datelike, FixedOffset, Timelike};
use libfuzzer_sys::fuzz_target;
use url::Url;

const CHARSETS: [Option<&str>; 8] = [
    None,
    Some("utf-8"),
    Some("euc-kr"),
    Some("iso-8859-1"),
    Some("windows-1252"),
    Some("utf-16le"),
    Some("shift_jis"),
    Some(" x-bogus "),
];

/// Zones a feed may be configured with, in seconds east of UTC (extremes included).
const OFFSETS: [i32; 16] = [
    0,
    9 * 3600,
    -5 * 3600,
    3600,
    -(86_400 - 1),
    86_400 - 1,
    5 * 3600 + 1800,
    -12 * 3600,
    14 * 3600,
    -3600,
    8 * 3600,
    -9 * 3600 - 1800,
    45 * 60,
    1,
    -1,
    13 * 3600 + 45 * 60,
];

fn watch() -> &'static WatchSet {
    static WATCH: OnceLock<WatchSet> = OnceLock::new();
    WATCH.get_or_init(|| {
        let specs = aggregator::watch::parse_watchlists(
            Path::new("config/watchlists.toml"),
            include_str!("../../config/watchlists.toml"),
        )
        .expect("the shipped watchlists load");
        WatchSet::compile(&specs).expect("the shipped watchlists compile")
    })
}

fn check_line(what: &str, s: &str) {
    assert!(
        !s.chars().any(is_unsafe),
        "{what} is not one safe line: {s:?}"
    );
}

fn check_item(item: &ParsedItem) {
    check_line("title", &item.title);
    assert!(item.title.chars().count() <= 501, "title not truncated");
    if let Some(s) = &item.summary {
        check_line("summary", s);
        assert!(s.chars().count() <= 4001, "summary not truncated");
    }
    for s in item.guid.iter().chain(&item.author).chain(&item.categories) {
        check_line("guid/author/category", s);
    }
    if let Some(link) = &item.link {
        let u = Url::parse(link).unwrap_or_else(|e| panic!("link {link:?} is not a URL: {e}"));
        assert!(
            matches!(u.scheme(), "http" | "https"),
            "link {link:?} is not http(s)"
        );
    }
    for t in item.published.iter().chain(&item.updated) {
        assert!((1970..=9999).contains(&t.year()), "date out of range: {t}");
        assert_eq!(t.nanosecond(), 0, "sub-second date kept: {t}");
    }
}

/// libfuzzer-sys's panic hook aborts at once, before `parse_feed` can contain a panic of the XML
/// layer. This hook lets a panic raised in a dependency unwind (noting its place once): if
/// `parse_feed` contains it, the run goes on; if not, libfuzzer-sys's own `catch_unwind` around
/// the target aborts, a crash. A panic in our own code aborts here, as before.
fn panic_hook() {
    let abort_hook = std::panic::take_hook();
    let seen: Mutex<HashSet<String>> = Mutex::new(HashSet::new());
    std::panic::set_hook(Box::new(move |info| {
        let place = info.location().map(|l| l.to_string()).unwrap_or_default();
        if !place.contains("/.cargo/registry/") {
            return abort_hook(info);
        }
        if seen.lock().unwrap().insert(place.clone()) {
            eprintln!("panic in a dependency (contained unless a crash follows): {info}");
        }
    }));
}

fuzz_target!(
    init: {
        panic_hook();
        watch();
    },
    |data: &[u8]| {
        let Some((&ctl, body)) = data.split_first() else {
            return;
        };
        let opts = ParseOptions {
            base_url: (ctl & 0x80 != 0)
                .then(|| Url::parse("https://example.com/news/rss.xml").expect("valid")),
            http_charset: CHARSETS[usize::from(ctl & 7)].map(str::to_string),
            default_offset: FixedOffset::east_opt(OFFSETS[usize::from((ctl >> 3) & 15)])
                .expect("valid offset")
                .into(),
            // A replayed capture moved far: dates that would overflow stay as written.
            date_shift: if ctl & 0x40 != 0 {
                chrono::TimeDelta::days(3_000 * 365)
            } else {
                chrono::TimeDelta::zero()
            },
            cut_short: false,
        };
        let Ok(feed) = parse_feed(body, &opts) else {
            return;
        };
        assert!(feed.items.len() <= MAX_ENTRIES);
        if let Some(t) = &feed.title {
            check_line("feed title", t);
        }
        feed.items.iter().for_each(check_item);
        let prepared =
            prepare(body, &opts, watch(), "yonhap-en", &[]).expect("parsed once, parses again");
        assert!(prepared.items.len() <= feed.items.len());
        // A second body with the same items, given the first's revisions, sends none of them.
        let again = prepare(body, &opts, watch(), "yonhap-en", &prepared.revisions)
            .expect("parsed once, parses again");
        assert!(again.items.is_empty() && again.body_items == prepared.body_items);
    }
);
