//! Clustering does not depend on the order in which one poll's feeds arrive: the same feed files
//! polled one at a time (`concurrency = 1`) and sixteen at a time give the same stories.

mod common;
mod wire_corpus;

use std::collections::{BTreeMap, BTreeSet};

use common::Setup;

/// XML text.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// One RSS file per outlet of a generated corpus (items newest first, as feeds list them).
fn write_feeds(dir: &std::path::Path, items: &[wire_corpus::LabelledItem]) -> Vec<String> {
    let mut by_feed: BTreeMap<&str, Vec<&wire_corpus::LabelledItem>> = BTreeMap::new();
    for i in items {
        by_feed.entry(i.feed.as_str()).or_default().push(i);
    }
    let mut names = Vec::new();
    for (feed, mut items) in by_feed {
        items.sort_by_key(|i| std::cmp::Reverse(i.published));
        let mut s = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>{feed}</title>\n"
        );
        for i in items {
            s.push_str(&format!(
                "<item><guid isPermaLink=\"false\">{}</guid><link>{}</link><title>{}</title><description>{}</description><pubDate>{}</pubDate></item>\n",
                esc(&i.guid),
                esc(&i.link),
                esc(&i.title),
                esc(&i.summary),
                i.published.to_rfc2822()
            ));
        }
        s.push_str("</channel></rss>\n");
        std::fs::write(dir.join(format!("{feed}.xml")), s).unwrap();
        names.push(feed.to_string());
    }
    names
}

/// The stories of one poll of `feeds` at `concurrency`, as sets of (feed, guid).
fn stories_at(
    corpus_dir: &std::path::Path,
    feeds: &[String],
    concurrency: usize,
) -> BTreeSet<BTreeSet<(String, String)>> {
    let setup = Setup::new(&[], &format!("concurrency = {concurrency}\n"));
    let mut cfg = std::fs::read_to_string(setup.config_path()).unwrap();
    for f in feeds {
        cfg.push_str(&format!(
            "\n[[feed]]\nname = \"{f}\"\nurl = \"{}\"\n",
            corpus_dir.join(format!("{f}.xml")).display()
        ));
    }
    std::fs::write(setup.config_path(), cfg).unwrap();
    let out = setup.run(&["poll", "--once"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let reader = aggregator::store::Reader::open(&setup.db_path()).unwrap();
    let items = reader
        .list(&aggregator::store::query::ListQuery::default())
        .unwrap();
    let mut stories: BTreeMap<i64, BTreeSet<(String, String)>> = BTreeMap::new();
    for i in items {
        stories
            .entry(i.story_id.expect("every item has a story"))
            .or_default()
            .insert((i.feed, i.guid.unwrap_or_default()));
    }
    stories.into_values().collect()
}

#[test]
fn one_poll_gives_the_same_stories_whatever_order_its_feeds_arrive_in() {
    let spec = wire_corpus::CorpusSpec {
        seed: 7,
        stories: 120,
        ..Default::default()
    };
    let items = wire_corpus::generate(&spec);
    let dir = tempfile::tempdir().unwrap();
    let feeds = write_feeds(dir.path(), &items);
    let one = stories_at(dir.path(), &feeds, 1);
    let many = stories_at(dir.path(), &feeds, 16);
    let total: usize = one.iter().map(BTreeSet::len).sum();
    assert_eq!(total, items.len(), "every item stored");
    let only_one: Vec<_> = one.difference(&many).collect();
    let only_many: Vec<_> = many.difference(&one).collect();
    assert!(
        only_one.is_empty() && only_many.is_empty(),
        "{} stories differ: one at a time {only_one:#?}\nsixteen at a time {only_many:#?}",
        only_one.len() + only_many.len()
    );
}
