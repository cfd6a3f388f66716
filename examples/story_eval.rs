//! Scores story clustering on generated, labelled corpora of wire copy (see
//! `tests/wire_corpus`): pairwise precision, recall and F1 per seed.
//!
//! `cargo run --release --example story_eval -- [--seeds 1,2,3] [--stories 400] [--window 72h] [--mistakes]`

#[path = "../tests/wire_corpus/mod.rs"]
mod wire_corpus;
#[path = "../tests/wire_corpus2/mod.rs"]
mod wire_corpus2;

use std::time::Duration;

fn main() {
    let mut seeds: Vec<u64> = vec![1, 2, 3];
    let mut stories = wire_corpus::CorpusSpec::default().stories;
    let mut window = Duration::from_secs(72 * 3600);
    let mut show_mistakes = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--seeds" => {
                seeds = value()
                    .split(',')
                    .map(|s| s.trim().parse().unwrap_or_else(|_| usage("bad seed")))
                    .collect()
            }
            "--stories" => stories = value().parse().unwrap_or_else(|_| usage("bad --stories")),
            "--window" => {
                window =
                    humantime::parse_duration(&value()).unwrap_or_else(|_| usage("bad --window"))
            }
            "--mistakes" => show_mistakes = true,
            _ => usage(&format!("unknown argument {a}")),
        }
    }
    let (mut tp, mut pp, mut correct) = (0u64, 0u64, 0u64);
    for seed in seeds {
        let spec = wire_corpus::CorpusSpec {
            seed,
            stories,
            ..Default::default()
        };
        let report = wire_corpus::eval::evaluate(&spec, window);
        report.print(&spec);
        if show_mistakes {
            report.print_mistakes();
        }
        tp += report.scores.true_pairs;
        pp += report.scores.predicted_pairs;
        correct += report.scores.correct_pairs;
    }
    let p = correct as f64 / pp.max(1) as f64;
    let r = correct as f64 / tp.max(1) as f64;
    println!(
        "all seeds: precision {p:.4}  recall {r:.4}  F1 {:.4}",
        2.0 * p * r / (p + r).max(1e-12)
    );
    // The independent corpus's held-out seeds, per family (`story_eval2` has its options).
    let mut families: Vec<wire_corpus2::eval::FamilyScores> = Vec::new();
    let mut total = wire_corpus2::eval::Scores::default();
    for seed in wire_corpus2::HELD_OUT_SEEDS {
        let spec = wire_corpus2::Spec {
            seed,
            ..Default::default()
        };
        let report = wire_corpus2::eval::evaluate(&spec, window, 0);
        total.add(&report.scores);
        for f in report.families {
            match families.iter_mut().find(|g| g.family == f.family) {
                Some(g) => {
                    g.items += f.items;
                    g.stories += f.stories;
                    g.scores.add(&f.scores);
                }
                None => families.push(f),
            }
        }
    }
    println!(
        "independent corpus, held-out seeds {:?}: precision {:.4}  recall {:.4}  look-alike pairs joined {}/{}",
        wire_corpus2::HELD_OUT_SEEDS,
        total.precision(),
        total.recall(),
        total.hard_joined,
        total.hard_negatives
    );
    wire_corpus2::eval::print_families(&families);
}

fn usage(msg: &str) -> ! {
    eprintln!(
        "story_eval: {msg}\nusage: story_eval [--seeds 1,2,3] [--stories N] [--window 72h] [--mistakes]"
    );
    std::process::exit(2)
}
