//! The watchlist term and query language: `watch::parse_term`, `watch::parse_query`,
//! `watch::query::parse`, then a `WatchSet` compiled from a fuzzed watchlist and matched against
//! fuzzed text.
//!
//! Input (UTF-8, lossy): `SPEC \0 TEXT`. Every line of SPEC is given to the three parsers. For
//! the watch set, SPEC's first line is the query (empty: none) and each further line a term of
//! `terms` (`a|b` an alias group; a line starting `!` a `not` term, `+` an `all` term). TEXT is
//! the item: its first line the title, the rest the summary (author, feed and link fixed).
//!
//! Oracle: no panic; a query `query::parse` accepts has terms at real offsets of the source
//! that start with its text; every hit's `text` is a piece of the field it names.
#![no_main]

use aggregator::model::Field;
use aggregator::watch::{
    ItemText, TermSpec, WatchSet, WatchlistSpec, parse_query, parse_term, query,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let (spec, text) = input.split_once('\0').unwrap_or((&input, ""));
    for line in spec.lines() {
        let _ = parse_term(line);
        let _ = parse_query(line);
        if let Ok(expr) = query::parse(line) {
            for t in expr.terms() {
                assert!(
                    line.get(t.offset..)
                        .is_some_and(|rest| rest.starts_with(&t.text)),
                    "term {:?} is not at offset {} of {line:?}",
                    t.text,
                    t.offset
                );
            }
        }
    }

    let mut lines = spec.lines();
    let mut w = WatchlistSpec {
        name: "fuzz".into(),
        query: lines
            .next()
            .filter(|q| !q.trim().is_empty())
            .map(str::to_string),
        ..Default::default()
    };
    for line in lines {
        let (list, line) = match line.as_bytes().first() {
            Some(b'!') => (&mut w.not, &line[1..]),
            Some(b'+') => (&mut w.all, &line[1..]),
            _ => (&mut w.terms, line),
        };
        list.push(if line.contains('|') {
            TermSpec::Group(line.split('|').map(str::to_string).collect())
        } else {
            TermSpec::One(line.to_string())
        });
    }
    w.fields = Field::ALL.to_vec();
    let Ok(set) = WatchSet::compile(&[w]) else {
        return;
    };
    let (title, summary) = text.split_once('\n').unwrap_or((text, ""));
    let item = ItemText {
        title,
        summary,
        author: "Kim Soo-yeon",
        feed: "yonhap-en",
        link: "https://en.yna.co.kr/view/AEN20240326000100315",
    };
    for m in set.match_fields(&item) {
        for hit in &m.hits {
            let field = match hit.field {
                Field::Title => item.title,
                Field::Summary => item.summary,
                Field::Author => item.author,
                Field::Feed => item.feed,
                Field::Link => item.link,
            };
            assert!(field.contains(&hit.text), "hit {hit:?} not in {field:?}");
        }
    }
});
