//! Runs a generated corpus through the real store (one feed per outlet, each item recorded at
//! its publication time, as a poll would see it) and scores the stories it forms against the
//! labels: pairwise precision, recall and F1, and the worst mistakes for reading.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aggregator::config::FeedConfig;
use aggregator::model::ParsedItem;
use aggregator::store::{FetchRecord, Store};

use super::{CorpusSpec, Kind, LabelledItem, PairScores, generate, pairwise};

/// The outcome of one evaluation.
pub struct Report {
    pub items: usize,
    pub true_stories: usize,
    pub predicted_stories: usize,
    pub scores: PairScores,
    /// Scores over the items of each language alone.
    pub by_lang: Vec<(&'static str, PairScores)>,
    /// Pairs wrongly joined, as (item, item) descriptions, at most a few.
    pub false_joins: Vec<(String, String)>,
    /// Pairs wrongly kept apart, at most a few.
    pub missed: Vec<(String, String)>,
    /// The same pairs' items, for a closer look.
    pub false_join_items: Vec<(LabelledItem, LabelledItem)>,
    pub missed_items: Vec<(LabelledItem, LabelledItem)>,
    /// Time spent storing and assigning.
    pub elapsed: Duration,
}

/// Generates the corpus of `spec` and clusters it with the story window `window`.
pub fn evaluate(spec: &CorpusSpec, window: Duration) -> Report {
    let corpus = generate(spec);
    let dir = tempfile::tempdir().expect("temp dir");
    let options = aggregator::store::StoreOptions {
        story_window: window,
        ..Default::default()
    };
    let mut store = Store::open(&dir.path().join("eval.sqlite"), options).expect("open store");
    let feeds: Vec<FeedConfig> = super::feeds()
        .iter()
        .map(|name| FeedConfig {
            name: name.to_string(),
            url: url::Url::parse(&format!("https://{name}.example/rss")).expect("url"),
            interval: Duration::from_secs(600),
            timezone: chrono::FixedOffset::east_opt(0).expect("utc").into(),
            captured_at: None,
        })
        .collect();
    let ids: HashMap<String, i64> = store
        .sync_feeds(&feeds, spec.start)
        .expect("feeds")
        .into_iter()
        .map(|f| (f.name, f.id))
        .collect();
    let start = Instant::now();
    for item in &corpus {
        let ready = aggregator::dedup::ready(ParsedItem {
            guid: Some(item.guid.clone()),
            title: item.title.clone(),
            link: Some(item.link.clone()),
            published: Some(item.published),
            summary: Some(item.summary.clone()),
            ..Default::default()
        });
        store
            .record(
                ids[&item.feed],
                FetchRecord::Fetched {
                    http_status: 200,
                    validators: Default::default(),
                    bytes: 0,
                    elapsed: Duration::ZERO,
                    title: None,
                    site_link: None,
                    items: vec![ready],
                    warnings: Vec::new(),
                },
                item.published,
            )
            .expect("record");
    }
    let elapsed = start.elapsed();
    let predicted = story_ids(&store, &corpus, &ids);
    drop(store);
    let labels: Vec<u32> = corpus.iter().map(|i| i.story).collect();
    let scores = pairwise(&labels, &predicted);
    let by_lang = ["en", "ko"]
        .into_iter()
        .map(|lang| {
            let (l, p): (Vec<u32>, Vec<i64>) = corpus
                .iter()
                .zip(&predicted)
                .filter(|(i, _)| i.lang == lang)
                .map(|(i, p)| (i.story, *p))
                .unzip();
            (lang, pairwise(&l, &p))
        })
        .collect();
    let (join_idx, missed_idx) = mistakes(&corpus, &predicted, 8);
    let pick = |v: &[Pair]| -> Vec<(LabelledItem, LabelledItem)> {
        v.iter()
            .map(|&(a, b)| (corpus[a].clone(), corpus[b].clone()))
            .collect()
    };
    let false_join_items = pick(&join_idx);
    let missed_items = pick(&missed_idx);
    let show = |v: &[Pair]| -> Vec<(String, String)> {
        v.iter()
            .map(|&(a, b)| (describe(&corpus[a]), describe(&corpus[b])))
            .collect()
    };
    let (false_joins, missed) = (show(&join_idx), show(&missed_idx));
    Report {
        items: corpus.len(),
        true_stories: count_distinct(labels.iter().map(|&l| l as i64)),
        predicted_stories: count_distinct(predicted.iter().copied()),
        scores,
        by_lang,
        false_joins,
        missed,
        false_join_items,
        missed_items,
        elapsed,
    }
}

fn count_distinct(v: impl Iterator<Item = i64>) -> usize {
    let mut v: Vec<i64> = v.collect();
    v.sort_unstable();
    v.dedup();
    v.len()
}

/// Each corpus item's story id, read back through the report queries' database.
fn story_ids(store: &Store, corpus: &[LabelledItem], feeds: &HashMap<String, i64>) -> Vec<i64> {
    let conn = rusqlite::Connection::open(store.path()).expect("open for reading");
    let mut stmt = conn
        .prepare("SELECT story_id FROM items WHERE feed_id = ?1 AND guid = ?2")
        .expect("prepare");
    corpus
        .iter()
        .map(|i| {
            stmt.query_row(rusqlite::params![feeds[&i.feed], i.guid], |r| r.get(0))
                .expect("every item is stored with a story")
        })
        .collect()
}

fn describe(i: &LabelledItem) -> String {
    let kind = match i.kind {
        Kind::Original => "original",
        Kind::Republication => "republication",
        Kind::Reissue => "reissue",
        Kind::HardNegative => "hard-negative",
    };
    format!("[{} {} #{}] {}", i.feed, kind, i.story, i.title)
}

/// Two items, as indexes into the corpus.
type Pair = (usize, usize);

/// A few wrongly joined and wrongly split pairs, for reading.
fn mistakes(corpus: &[LabelledItem], predicted: &[i64], max: usize) -> (Vec<Pair>, Vec<Pair>) {
    let mut joins = Vec::new();
    let mut missed = Vec::new();
    let mut by_story: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, p) in predicted.iter().enumerate() {
        by_story.entry(*p).or_default().push(i);
    }
    let mut by_label: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, item) in corpus.iter().enumerate() {
        by_label.entry(item.story).or_default().push(i);
    }
    let mut groups: Vec<&Vec<usize>> = by_story.values().collect();
    groups.sort();
    'joins: for g in groups {
        for (n, &a) in g.iter().enumerate() {
            for &b in &g[n + 1..] {
                if corpus[a].story != corpus[b].story {
                    joins.push((a, b));
                    if joins.len() >= max {
                        break 'joins;
                    }
                }
            }
        }
    }
    let mut labels: Vec<&Vec<usize>> = by_label.values().collect();
    labels.sort();
    'missed: for g in labels {
        for (n, &a) in g.iter().enumerate() {
            for &b in &g[n + 1..] {
                if predicted[a] != predicted[b] {
                    missed.push((a, b));
                    if missed.len() >= max {
                        break 'missed;
                    }
                }
            }
        }
    }
    (joins, missed)
}

impl Report {
    /// The figures as printed by the example and the test.
    pub fn print(&self, spec: &CorpusSpec) {
        let s = &self.scores;
        println!(
            "seed {}: {} items, {} true stories, {} predicted; pairs: {} true, {} predicted, {} correct",
            spec.seed,
            self.items,
            self.true_stories,
            self.predicted_stories,
            s.true_pairs,
            s.predicted_pairs,
            s.correct_pairs
        );
        println!(
            "  precision {:.4}  recall {:.4}  F1 {:.4}   ({:.0} items/s assigned)",
            s.precision,
            s.recall,
            s.f1,
            self.items as f64 / self.elapsed.as_secs_f64().max(1e-9)
        );
        for (lang, l) in &self.by_lang {
            println!(
                "  {lang}: precision {:.4}  recall {:.4}  F1 {:.4}",
                l.precision, l.recall, l.f1
            );
        }
    }

    /// The mistakes, for tuning: each pair with its direct similarity (the items may have
    /// been joined or split through others).
    pub fn print_mistakes(&self) {
        let detail = |(a, b): &(LabelledItem, LabelledItem)| {
            let s = aggregator::dedup::story::Fingerprint::new(&a.title, &a.summary).similarity(
                &aggregator::dedup::story::Fingerprint::new(&b.title, &b.summary),
            );
            format!(
                "title {:.2}/{:.2} body {:.2} containment {:.2} (smaller body {}) details {}/{} \
                 novelty {:.2} same {}\n      {}\n      {}",
                s.title,
                s.title_overlap,
                s.body,
                s.containment,
                s.smaller_body,
                s.details_shared,
                s.fewer_details,
                s.headline_novelty,
                aggregator::dedup::story::same_story(&s),
                a.summary,
                b.summary
            )
        };
        for ((a, b), items) in self.false_joins.iter().zip(&self.false_join_items) {
            println!(
                "  wrongly joined:\n    {a}\n    {b}\n      {}",
                detail(items)
            );
        }
        for ((a, b), items) in self.missed.iter().zip(&self.missed_items) {
            println!("  kept apart:\n    {a}\n    {b}\n      {}", detail(items));
        }
    }
}
