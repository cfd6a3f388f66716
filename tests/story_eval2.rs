//! The second, independent labelled corpus (`tests/wire_corpus2`): recurring headlines, twin
//! headlines over unrelated bodies, two agencies' own reports, corrections, headline swaps,
//! cut leads, reissue chains, restyled republications, same-day near-twins, Korean and
//! English in one feed. Only what holds today and must keep holding is asserted (the corpus
//! is deterministic and consistently labelled; the evaluation runs); the figures of tuning
//! seed 101 are printed, not asserted, while the clustering is being fixed
//! (`cargo test --release --test story_eval2 -- --nocapture`).

mod wire_corpus2;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use wire_corpus2::{Family, Lang, Spec, generate};

fn spec() -> Spec {
    Spec {
        seed: wire_corpus2::TUNING_SEEDS[0],
        ..Default::default()
    }
}

#[test]
fn the_generator_is_deterministic() {
    let a = generate(&spec());
    let b = generate(&spec());
    assert_eq!(a, b);
    let other = generate(&Spec {
        seed: wire_corpus2::TUNING_SEEDS[1],
        ..Default::default()
    });
    assert_ne!(a, other);
}

#[test]
fn the_corpus_is_shaped_and_labelled_as_documented() {
    let s = spec();
    let corpus = generate(&s);
    let target = s.feeds * s.items_per_feed;
    assert!(
        corpus.len() >= target * 9 / 10 && corpus.len() <= target * 11 / 10,
        "{} items",
        corpus.len()
    );
    // Identity: guids and links are unique, links are https.
    let guids: HashSet<(&str, &str)> = corpus.iter().map(|i| (&*i.feed, &*i.guid)).collect();
    assert_eq!(guids.len(), corpus.len());
    let links: HashSet<&str> = corpus.iter().map(|i| &*i.link).collect();
    assert_eq!(links.len(), corpus.len());
    assert!(corpus.iter().all(|i| i.link.starts_with("https://")));
    assert!(corpus.iter().all(|i| !i.title.trim().is_empty()));
    assert!(corpus.windows(2).all(|w| w[0].published <= w[1].published));
    // Every feed carries something; mixed outlets carry both languages.
    let feeds = wire_corpus2::feeds(&s);
    assert_eq!(feeds.len(), s.feeds);
    for f in &feeds {
        let langs: HashSet<Lang> = corpus
            .iter()
            .filter(|i| i.feed == f.name)
            .map(|i| i.lang)
            .collect();
        match f.lang {
            Some(l) => assert!(
                langs.is_empty() || langs == HashSet::from([l]),
                "{}",
                f.name
            ),
            None => assert_eq!(langs.len(), 2, "{} is bilingual", f.name),
        }
    }
    // Bodies: mostly 25-120 words, some headline-only.
    let words: Vec<usize> = corpus
        .iter()
        .map(|i| i.summary.split_whitespace().count())
        .collect();
    let empty = words.iter().filter(|&&w| w == 0).count();
    let typical = words.iter().filter(|&&w| (25..=120).contains(&w)).count();
    assert!(
        empty > 0 && empty < corpus.len() / 10,
        "{empty} without body"
    );
    assert!(
        typical * 10 >= corpus.len() * 7,
        "{typical} of {} typical",
        corpus.len()
    );
    // A story has one family, one language and (bar republications) one agency.
    let mut story_family: HashMap<u32, (Family, Lang)> = HashMap::new();
    for i in &corpus {
        let e = story_family.entry(i.story).or_insert((i.family, i.lang));
        assert_eq!(*e, (i.family, i.lang), "story {}", i.story);
    }
    // Every family has positive pairs, negative pairs, and (where it is made of confusable
    // stories) hard negatives.
    for family in Family::ALL {
        let items: Vec<_> = corpus.iter().filter(|i| i.family == family).collect();
        let (mut pos, mut neg, mut hard) = (0u64, 0u64, 0u64);
        for (n, a) in items.iter().enumerate() {
            for b in &items[n + 1..] {
                if a.story == b.story {
                    pos += 1;
                } else {
                    neg += 1;
                    hard += (a.group == b.group) as u64;
                }
            }
        }
        assert!(
            pos > 0 && neg > 0,
            "{}: {pos} positive, {neg} negative",
            family.name()
        );
        let confusable = matches!(
            family,
            Family::Recurring
                | Family::TwinHeadline
                | Family::TwoAgencies
                | Family::NearTwins
                | Family::Bilingual
        );
        assert_eq!(
            hard > 0,
            confusable,
            "{}: {hard} hard negatives",
            family.name()
        );
    }
    // A flash joins the reissue that follows it within the hour from the same agency.
    for flash in corpus.iter().filter(|i| i.role == "flash") {
        assert!(
            corpus.iter().any(|i| i.story == flash.story
                && i.feed == flash.feed
                && i.role != "flash"
                && i.published > flash.published
                && i.published - flash.published <= chrono::Duration::hours(1)),
            "{}",
            flash.title
        );
    }
    // Twin headlines: the same headline (bar a tag), different stories, no shared sentence.
    let twins: Vec<_> = corpus
        .iter()
        .filter(|i| i.family == Family::TwinHeadline && i.role == "wire")
        .collect();
    for a in &twins {
        for b in twins
            .iter()
            .filter(|b| b.group == a.group && b.story != a.story)
        {
            let plain = |t: &str| t.replace("(LEAD) ", "").replace("(종합)", "");
            assert_eq!(plain(&a.title), plain(&b.title));
            let sentences = |s: &str| -> HashSet<String> {
                s.split(". ")
                    .map(|x| x.trim().to_string())
                    .filter(|x| x.len() > 20)
                    .collect()
            };
            let shared = sentences(&a.summary)
                .intersection(&sentences(&b.summary))
                .count();
            assert_eq!(shared, 0, "{}", a.title);
        }
    }
}

#[test]
fn the_evaluation_runs_and_prints_its_figures() {
    let s = spec();
    let report = wire_corpus2::eval::evaluate(&s, Duration::from_secs(72 * 3600), 4);
    report.print();
    report.print_mistakes();
    assert_eq!(report.items, generate(&s).len());
    assert_eq!(report.families.len(), Family::ALL.len());
    let sum: u64 = report.families.iter().map(|f| f.scores.true_pairs).sum();
    assert_eq!(
        sum, report.scores.true_pairs,
        "every true pair lies in one family"
    );
    for f in &report.families {
        let (p, r) = (f.scores.precision(), f.scores.recall());
        assert!((0.0..=1.0).contains(&p) && (0.0..=1.0).contains(&r));
    }
    assert!(report.predicted_stories > 0 && report.predicted_stories <= report.items);
}
