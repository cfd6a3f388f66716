//! Runs a corpus of [`super::generate`] through the real store (one feed per outlet, each item
//! recorded at its publication time, as a poll would see it) and scores the stories it forms
//! against the labels: pairwise precision and recall overall and per family, hard negatives
//! joined, and a few wrong joins for reading.
//!
//! Per family: a pair counts for a family when *both* items belong to it (pairs across
//! families, true or predicted, count only overall). Since every story has one family, every
//! true pair counts for exactly one family; a wrong join across families lowers the overall
//! precision but no family's.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aggregator::config::FeedConfig;
use aggregator::model::ParsedItem;
use aggregator::store::{FetchRecord, Store};

use super::{Family, Item, Spec, generate};

/// Pair counts and the scores they give.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Scores {
    /// Pairs labelled one story.
    pub true_pairs: u64,
    /// Pairs the store put in one story.
    pub predicted_pairs: u64,
    /// Pairs both.
    pub correct_pairs: u64,
    /// Pairs with the same group but different stories (the hard negatives).
    pub hard_negatives: u64,
    /// Of those, pairs the store put in one story.
    pub hard_joined: u64,
}

impl Scores {
    /// 1 when nothing was joined.
    pub fn precision(&self) -> f64 {
        if self.predicted_pairs == 0 {
            1.0
        } else {
            self.correct_pairs as f64 / self.predicted_pairs as f64
        }
    }

    /// 1 when nothing was to be joined.
    pub fn recall(&self) -> f64 {
        if self.true_pairs == 0 {
            1.0
        } else {
            self.correct_pairs as f64 / self.true_pairs as f64
        }
    }

    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        2.0 * p * r / (p + r).max(1e-12)
    }

    pub fn add(&mut self, o: &Scores) {
        self.true_pairs += o.true_pairs;
        self.predicted_pairs += o.predicted_pairs;
        self.correct_pairs += o.correct_pairs;
        self.hard_negatives += o.hard_negatives;
        self.hard_joined += o.hard_joined;
    }
}

/// Scores of the items at `idx` (all pairs among them).
pub fn score(corpus: &[Item], predicted: &[i64], idx: &[usize]) -> Scores {
    let mut s = Scores::default();
    for (n, &a) in idx.iter().enumerate() {
        for &b in &idx[n + 1..] {
            let truth = corpus[a].story == corpus[b].story;
            let joined = predicted[a] == predicted[b];
            s.true_pairs += truth as u64;
            s.predicted_pairs += joined as u64;
            s.correct_pairs += (truth && joined) as u64;
            if !truth && corpus[a].group == corpus[b].group {
                s.hard_negatives += 1;
                s.hard_joined += joined as u64;
            }
        }
    }
    s
}

/// One family's figures.
#[derive(Clone, Debug)]
pub struct FamilyScores {
    pub family: Family,
    pub items: usize,
    pub stories: usize,
    pub scores: Scores,
}

/// The outcome of one evaluation.
pub struct Report {
    pub seed: u64,
    pub items: usize,
    pub true_stories: usize,
    pub predicted_stories: usize,
    pub scores: Scores,
    pub families: Vec<FamilyScores>,
    /// Wrongly joined pairs, at most one per predicted story, for reading.
    pub false_joins: Vec<(Item, Item)>,
    /// Pairs wrongly kept apart, at most one per true story.
    pub missed: Vec<(Item, Item)>,
    /// Time spent storing and assigning.
    pub elapsed: Duration,
}

/// Generates the corpus of `spec` and clusters it through the store with the story window
/// `window`; keeps up to `examples` mistakes of each kind.
pub fn evaluate(spec: &Spec, window: Duration, examples: usize) -> Report {
    let corpus = generate(spec);
    let dir = tempfile::tempdir().expect("temp dir");
    let options = aggregator::store::StoreOptions {
        story_window: window,
        ..Default::default()
    };
    let mut store = Store::open(&dir.path().join("eval2.sqlite"), options).expect("open store");
    let feeds: Vec<FeedConfig> = super::feeds(spec)
        .iter()
        .map(|f| FeedConfig {
            name: f.name.clone(),
            url: url::Url::parse(&format!("https://{}.example/rss", f.name)).expect("url"),
            interval: Duration::from_secs(600),
            timezone: chrono::FixedOffset::east_opt(9 * 3600).expect("kst").into(),
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
            summary: (!item.summary.is_empty()).then(|| item.summary.clone()),
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

    let all: Vec<usize> = (0..corpus.len()).collect();
    let scores = score(&corpus, &predicted, &all);
    let families = Family::ALL
        .iter()
        .map(|&family| {
            let idx: Vec<usize> = all
                .iter()
                .copied()
                .filter(|&i| corpus[i].family == family)
                .collect();
            FamilyScores {
                family,
                items: idx.len(),
                stories: count_distinct(idx.iter().map(|&i| corpus[i].story as i64)),
                scores: score(&corpus, &predicted, &idx),
            }
        })
        .collect();
    let (false_joins, missed) = mistakes(&corpus, &predicted, examples);
    Report {
        seed: spec.seed,
        items: corpus.len(),
        true_stories: count_distinct(corpus.iter().map(|i| i.story as i64)),
        predicted_stories: count_distinct(predicted.iter().copied()),
        scores,
        families,
        false_joins,
        missed,
        elapsed,
    }
}

fn count_distinct(v: impl Iterator<Item = i64>) -> usize {
    let mut v: Vec<i64> = v.collect();
    v.sort_unstable();
    v.dedup();
    v.len()
}

/// Each corpus item's story id, read back from the database.
fn story_ids(store: &Store, corpus: &[Item], feeds: &HashMap<String, i64>) -> Vec<i64> {
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

/// Pairs of items, for reading.
type Pairs = Vec<(Item, Item)>;

/// Up to `max` wrong joins (one per predicted story, hard negatives first) and up to `max`
/// wrong splits (one per true story).
fn mistakes(corpus: &[Item], predicted: &[i64], max: usize) -> (Pairs, Pairs) {
    let mut by_predicted: HashMap<i64, Vec<usize>> = HashMap::new();
    let mut by_label: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, item) in corpus.iter().enumerate() {
        by_predicted.entry(predicted[i]).or_default().push(i);
        by_label.entry(item.story).or_default().push(i);
    }
    let mut groups: Vec<&Vec<usize>> = by_predicted.values().collect();
    groups.sort();
    let mut joins: Vec<(bool, usize, usize)> = Vec::new();
    for g in groups {
        let wrong = g.iter().enumerate().find_map(|(n, &a)| {
            g[n + 1..]
                .iter()
                .find(|&&b| corpus[a].story != corpus[b].story)
                .map(|&b| (a, b))
        });
        if let Some((a, b)) = wrong {
            joins.push((corpus[a].group != corpus[b].group, a, b));
        }
    }
    joins.sort();
    let joins = joins
        .into_iter()
        .take(max)
        .map(|(_, a, b)| (corpus[a].clone(), corpus[b].clone()))
        .collect();
    let mut labels: Vec<&Vec<usize>> = by_label.values().collect();
    labels.sort();
    let missed = labels
        .into_iter()
        .filter_map(|g| {
            g.iter().enumerate().find_map(|(n, &a)| {
                g[n + 1..]
                    .iter()
                    .find(|&&b| predicted[a] != predicted[b])
                    .map(|&b| (corpus[a].clone(), corpus[b].clone()))
            })
        })
        .take(max)
        .collect();
    (joins, missed)
}

/// Prints one line per family (and a header) for scores summed over seeds or of one seed.
pub fn print_families(families: &[FamilyScores]) {
    println!(
        "  {:<14} {:>6} {:>7} {:>8} {:>8} {:>9} {:>7} {:>17}",
        "family",
        "items",
        "stories",
        "true pr",
        "joined",
        "precision",
        "recall",
        "hard neg. joined"
    );
    for f in families {
        let s = &f.scores;
        println!(
            "  {:<14} {:>6} {:>7} {:>8} {:>8} {:>9.4} {:>7.4} {:>9}/{:<7}",
            f.family.name(),
            f.items,
            f.stories,
            s.true_pairs,
            s.predicted_pairs,
            s.precision(),
            s.recall(),
            s.hard_joined,
            s.hard_negatives
        );
    }
}

fn describe(i: &Item) -> String {
    let body: String = i.summary.chars().take(160).collect();
    format!(
        "[{} {} {} #{} g{} {}] {}\n        {}{}",
        i.feed,
        i.family.name(),
        i.role,
        i.story,
        i.group,
        (i.published + chrono::Duration::hours(9)).format("%m-%d %H:%M KST"),
        i.title,
        body,
        if i.summary.chars().count() > 160 {
            "…"
        } else {
            ""
        }
    )
}

impl Report {
    /// The figures: overall, then per family.
    pub fn print(&self) {
        let s = &self.scores;
        println!(
            "seed {}: {} items, {} true stories, {} predicted; pairs: {} true, {} predicted, {} correct",
            self.seed,
            self.items,
            self.true_stories,
            self.predicted_stories,
            s.true_pairs,
            s.predicted_pairs,
            s.correct_pairs
        );
        println!(
            "  precision {:.4}  recall {:.4}  F1 {:.4}  hard negatives joined {}/{}  ({:.0} items/s)",
            s.precision(),
            s.recall(),
            s.f1(),
            s.hard_joined,
            s.hard_negatives,
            self.items as f64 / self.elapsed.as_secs_f64().max(1e-9)
        );
        print_families(&self.families);
    }

    /// The kept mistakes, for reading (tuning seeds only).
    pub fn print_mistakes(&self) {
        for (a, b) in &self.false_joins {
            println!(
                "  wrongly joined:\n    {}\n    {}",
                describe(a),
                describe(b)
            );
        }
        for (a, b) in &self.missed {
            println!("  kept apart:\n    {}\n    {}", describe(a), describe(b));
        }
    }
}
