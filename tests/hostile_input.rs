//! Pure stages against generated hostile text: every function that takes input from a feed must
//! return, never panic. Deterministic (a fixed LCG) and bounded.

use aggregator::parse::{
    ParseOptions, date::parse_date, link::canonical_link, parse_feed, repair_xml,
};
use aggregator::text::{clean_line, html_to_text, truncate_chars};
use aggregator::watch::{WatchSet, WatchlistSpec, fold};
use chrono::FixedOffset;

/// Pieces that stress slicing, entity and tag handling, dates and zones.
const PIECES: &[&str] = &[
    "<",
    ">",
    "&",
    ";",
    "#",
    "x",
    "&#",
    "&#x",
    "&amp",
    "&nbsp;",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "<rss",
    "<rss version=\"2.0\">",
    "<item>",
    "</item>",
    "<title>",
    "</title>",
    "<script>",
    "</script",
    "\"",
    "'",
    "+",
    "-",
    ":",
    "09",
    "+09:00",
    "+12",
    "가",
    "북한",
    "오전",
    "오후",
    "년",
    "월",
    "일",
    "KST",
    " ",
    "\n",
    "\u{1b}[",
    "\u{1b}]",
    "\u{7}",
    "\u{202e}",
    "é",
    "ｋ",
    "🙂",
    "2024-03-26",
    "10:00:00",
    "Tue, ",
    "26 Mar 2024",
    "http://",
    "https://a.example/",
    "?",
    "=",
    "utm_source",
    "#frag",
    "%",
    "\u{0}",
    "\u{feff}",
    "<?xml version=\"1.0\" encoding=\"",
    "EUC-KR",
    "\"?>",
];

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}

fn strings(count: usize) -> Vec<String> {
    let mut rng = Lcg(42);
    (0..count)
        .map(|_| {
            let len = rng.next() % 24;
            (0..len)
                .map(|_| PIECES[rng.next() % PIECES.len()])
                .collect()
        })
        .collect()
}

#[test]
fn text_functions_never_panic() {
    let utc = FixedOffset::east_opt(0).unwrap();
    let base = url::Url::parse("https://base.example/feed").unwrap();
    let watch = WatchSet::compile(&[WatchlistSpec {
        name: "w".into(),
        terms: vec![
            "북한".into(),
            "Kim".into(),
            "\"a b\"".into(),
            "/k.m/".into(),
        ],
        not: vec!["x".into()],
        query: Some("(Kim OR 북한*) AND NOT =x".into()),
        ..Default::default()
    }])
    .unwrap();
    for s in strings(20_000) {
        let _ = parse_date(&s, utc);
        let _ = canonical_link(&s, Some(&base));
        let _ = html_to_text(&s);
        let cleaned = clean_line(&s);
        assert!(
            !cleaned.contains('\u{1b}') && !cleaned.contains('\u{0}'),
            "{s:?} -> {cleaned:?}"
        );
        let _ = truncate_chars(s.clone(), 5);
        let _ = repair_xml(&s);
        let folded = fold(&s);
        // Explanations map matches back through this: it must fold exactly as `fold` does.
        let (mapped, spans) = aggregator::text::fold_with_spans(&s);
        assert_eq!(mapped, folded, "{s:?}");
        assert_eq!(spans.len(), folded.len(), "{s:?}");
        let _ = watch.match_fields(&aggregator::watch::ItemText {
            title: &s,
            summary: &s,
            ..Default::default()
        });
        let _ = aggregator::watch::parse_query(&s);
        let _ = aggregator::watch::parse_term(&s);
    }
}

#[test]
fn feed_parser_never_panics() {
    let opts = ParseOptions::default();
    for s in strings(3_000) {
        let doc = format!(
            "<rss version=\"2.0\"><channel><item><title>{s}</title><pubDate>{s}</pubDate><link>{s}</link></item></channel></rss>"
        );
        let _ = parse_feed(doc.as_bytes(), &opts);
        let _ = parse_feed(s.as_bytes(), &opts);
    }
}
