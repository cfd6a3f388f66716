//! Scores story clustering on the second, independent labelled corpus (`tests/wire_corpus2`):
//! pairwise precision and recall per seed and per family, then summed over the seeds.
//!
//! `cargo run --release --example story_eval2 -- [--seeds 101,102] [--window 72h] [--mistakes]`
//!
//! Seeds 101–103 are for tuning (read their mistakes freely); seeds 201–205 are held out:
//! run them only to report, never while tuning (see the module docs of `tests/wire_corpus2`).
//! `--held-out` runs seeds 201–205. `--dump` prints the corpus of the first seed instead (one
//! item a line: family, story, group, role, feed, time, headline, body).

#[path = "../tests/wire_corpus2/mod.rs"]
mod wire_corpus2;

use std::time::Duration;

use wire_corpus2::eval::{FamilyScores, Scores};

fn main() {
    let mut seeds: Vec<u64> = wire_corpus2::TUNING_SEEDS.to_vec();
    let mut window = Duration::from_secs(72 * 3600);
    let mut show_mistakes = false;
    let mut dump = false;
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
            "--held-out" => seeds = wire_corpus2::HELD_OUT_SEEDS.to_vec(),
            "--window" => {
                window =
                    humantime::parse_duration(&value()).unwrap_or_else(|_| usage("bad --window"))
            }
            "--mistakes" => show_mistakes = true,
            "--dump" => dump = true,
            _ => usage(&format!("unknown argument {a}")),
        }
    }
    if dump {
        let spec = wire_corpus2::Spec {
            seed: seeds[0],
            ..Default::default()
        };
        for i in wire_corpus2::generate(&spec) {
            println!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                i.family.name(),
                i.story,
                i.group,
                i.role,
                i.feed,
                i.published.format("%m-%d %H:%M"),
                i.title,
                i.summary
            );
        }
        return;
    }
    if show_mistakes
        && seeds
            .iter()
            .any(|s| wire_corpus2::HELD_OUT_SEEDS.contains(s))
    {
        eprintln!("story_eval2: note: showing mistakes of held-out seeds; do not tune on them");
    }
    let mut total = Scores::default();
    let mut families: Vec<FamilyScores> = Vec::new();
    for &seed in &seeds {
        let spec = wire_corpus2::Spec {
            seed,
            ..Default::default()
        };
        let report =
            wire_corpus2::eval::evaluate(&spec, window, if show_mistakes { 12 } else { 0 });
        report.print();
        if show_mistakes {
            report.print_mistakes();
        }
        total.add(&report.scores);
        for f in &report.families {
            match families.iter_mut().find(|g| g.family == f.family) {
                Some(g) => {
                    g.items += f.items;
                    g.stories += f.stories;
                    g.scores.add(&f.scores);
                }
                None => families.push(f.clone()),
            }
        }
    }
    let list: Vec<String> = seeds.iter().map(u64::to_string).collect();
    println!(
        "seeds {}: precision {:.4}  recall {:.4}  F1 {:.4}  hard negatives joined {}/{}",
        list.join(","),
        total.precision(),
        total.recall(),
        total.f1(),
        total.hard_joined,
        total.hard_negatives
    );
    wire_corpus2::eval::print_families(&families);
}

fn usage(msg: &str) -> ! {
    eprintln!(
        "story_eval2: {msg}\nusage: story_eval2 [--seeds 101,102,103 | --held-out] [--window 72h] [--mistakes] [--dump]"
    );
    std::process::exit(2)
}
