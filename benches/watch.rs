//! Watchlist matching cost with few and with many terms: the same items matched against 10
//! terms and against 10,000 terms in one automaton. Goal: 10,000 terms cost less than twice
//! what 10 terms cost.
//!
//! `cargo bench --bench watch` (ITEMS=N to change the corpus size). Text and terms are
//! generated (deterministic), English and Korean, about the size of wire items.

use std::hint::black_box;
use std::time::Instant;

use aggregator::watch::{ItemText, TermSpec, WatchSet, WatchlistSpec};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
}

const EN: &[&str] = &[
    "North",
    "Korea",
    "said",
    "on",
    "Tuesday",
    "the",
    "missile",
    "launch",
    "was",
    "a",
    "test",
    "of",
    "its",
    "new",
    "system",
    "officials",
    "in",
    "Seoul",
    "and",
    "Tokyo",
    "condemned",
    "move",
    "Japan",
    "prime",
    "minister",
    "talks",
    "with",
    "United",
    "States",
    "sanctions",
    "regime",
    "statement",
    "Pyongyang",
    "ministry",
    "military",
    "border",
    "drills",
    "summit",
    "economy",
    "trade",
    "exports",
    "rose",
    "percent",
    "year",
    "market",
    "shares",
    "fell",
];
const KO: &[&str] = &[
    "북한은",
    "이날",
    "미사일을",
    "발사했다고",
    "밝혔다",
    "정부는",
    "일본",
    "총리가",
    "회담에서",
    "대북",
    "제재를",
    "논의했다",
    "합동참모본부는",
    "동해상으로",
    "탄도미사일",
    "군사",
    "훈련을",
    "경제",
    "수출이",
    "증가했다",
    "시장은",
    "하락했다",
    "외교부",
    "대변인은",
    "성명을",
];

fn sentence(rng: &mut Rng, words: &[&str], n: usize) -> String {
    (0..n)
        .map(|_| rng.pick(words))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A term that looks like a name or a phrase but never occurs in the generated text.
fn filler_term(i: usize) -> TermSpec {
    const SYL: &[&str] = &[
        "ka", "mo", "ri", "sun", "jae", "hwa", "dong", "yeol", "bin", "tae",
    ];
    const HAN: &[&str] = &["가", "나", "다", "라", "마", "바", "사", "아", "자", "차"];
    let d = [i % 10, i / 10 % 10, i / 100 % 10, i / 1000 % 10];
    if i.is_multiple_of(3) {
        TermSpec::One(format!(
            "{}{}{}{}",
            HAN[d[0]], HAN[d[1]], HAN[d[2]], HAN[d[3]]
        ))
    } else if i % 3 == 1 {
        TermSpec::Group(vec![
            format!("Q{} {}-{}", SYL[d[0]], SYL[d[1]], SYL[d[2]]),
            format!("{}{}{}영", HAN[d[1]], HAN[d[2]], HAN[d[3]]),
        ])
    } else {
        TermSpec::One(format!("\"Operation X{}{}{}\"", SYL[d[3]], SYL[d[2]], d[1]))
    }
}

fn set(terms: usize) -> WatchSet {
    let real: Vec<TermSpec> = ["Kim Yo-jong", "Kishida", "ICBM", "북한", "탄도미사일"]
        .iter()
        .map(|t| TermSpec::from(*t))
        .collect();
    let mut specs = vec![
        WatchlistSpec {
            name: "dprk".into(),
            terms: real,
            not: vec![TermSpec::from("K-pop")],
            ..Default::default()
        },
        WatchlistSpec {
            name: "japan".into(),
            terms: vec![TermSpec::from("Japan"), TermSpec::from("일본")],
            query: Some("(Tokyo OR 총리) AND NOT sports".into()),
            ..Default::default()
        },
    ];
    let mut made = 8; // the terms above, counting the query's
    let mut i = 0;
    while made < terms {
        let chunk: Vec<TermSpec> = (0..100.min(terms - made))
            .map(|k| filler_term(i + k))
            .collect();
        made += chunk.len();
        i += chunk.len();
        specs.push(WatchlistSpec {
            name: format!("generated-{}", specs.len()),
            terms: chunk,
            ..Default::default()
        });
    }
    WatchSet::compile(&specs).expect("compiles")
}

fn main() {
    let n: usize = std::env::var("ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let items: Vec<(String, String)> = (0..n)
        .map(|i| {
            let words = if i.is_multiple_of(2) { EN } else { KO };
            (sentence(&mut rng, words, 10), sentence(&mut rng, words, 45))
        })
        .collect();
    println!("items: {n} (half English, half Korean; ~10-word titles, ~45-word summaries)");
    let mut rates = Vec::new();
    for terms in [10usize, 10_000] {
        let t0 = Instant::now();
        let watch = set(terms);
        let compile = t0.elapsed();
        // Warm up, then the best of three passes.
        let mut matched = 0;
        for (t, s) in items.iter().take(1000) {
            black_box(watch.match_fields(&ItemText {
                title: t,
                summary: s,
                ..Default::default()
            }));
        }
        let mut best = f64::MAX;
        for _ in 0..3 {
            matched = 0;
            let start = Instant::now();
            for (t, s) in &items {
                let m = watch.match_fields(&ItemText {
                    title: t,
                    summary: s,
                    feed: "bench",
                    ..Default::default()
                });
                matched += usize::from(!m.is_empty());
                black_box(m);
            }
            best = best.min(start.elapsed().as_secs_f64());
        }
        let rate = n as f64 / best;
        rates.push(rate);
        println!(
            "terms {terms:>6}: compile {:>7.1} ms, {:>9.0} items/s ({:.2} µs/item), {matched} items matched",
            compile.as_secs_f64() * 1e3,
            rate,
            best * 1e6 / n as f64
        );
    }
    println!(
        "cost ratio 10,000 vs 10 terms: {:.2}x (goal < 2x)",
        rates[0] / rates[1]
    );
}
