//! Labelled corpora of wire-service feed items for measuring near-duplicate "story" clustering,
//! and the pairwise precision/recall/F1 that scores a clustering against the labels.
//!
//! [`generate`] writes, from a seed, what a news desk's feeds would show over about a week:
//! English and Korean stories (roughly 60/40) on North Korea, diplomacy, the economy, weather,
//! sports, K-pop, courts and politics, each item labelled with its story:
//!
//! - the **original** wire item (`yonhap-en`, `yonhap-ko`, some English ones from `kyodo-en`):
//!   a headline and a one-to-three sentence lede from templates whose slots (actors, missile
//!   types, counts, places, figures, weekdays) are filled per story;
//! - **republications** by other outlets (`herald`, `korea-times`, `nkwatch`, `kyodo-en`,
//!   `newsis-ko`, `hankyoreh-ko`): the same copy under the outlet's own URL with its boilerplate
//!   (title suffix, dateline, byline, credit), light headline edits (tense, abbreviations,
//!   attribution, capitalisation, quote and ellipsis style) and the body cut at another length,
//!   minutes to twelve hours after the version copied;
//! - **reissues** (about a third of all stories, from Yonhap): often an `(URGENT)`/`[속보]`
//!   flash, then `(LEAD)`, `(2nd LD)`, `(3rd LD)` (now and then `(AMPLE)` or `(Correction)`;
//!   Korean `(종합)`, `(2보)`, `(종합2보)`), each under a new URL, five minutes to a few hours
//!   apart, with details added to the headline and a lede that keeps most of the previous one;
//! - **hard negatives**: *different* stories made to look like an existing one: another event of
//!   the same kind within 72 hours with some facts changed (another launch, another statement by
//!   the same official, the same ministry announcing something else), a `(News Focus)` analysis
//!   of the event (a new article, so a new story), and the same headline wording three to five
//!   days away (the weekly "N. Korea fires ballistic missile into East Sea: JCS").
//!
//! Same story means the same article, or a reissue or republication of it. Unrelated stories of
//! one topic share much vocabulary on purpose, as real wire copy does, but two stories of a
//! topic within 96 hours do not share their defining facts (what was fired and where, who said
//! it about what, which group won what; only a spec that crams more stories into a week than
//! the vocabularies hold may repeat them): telling them apart is possible, not guesswork. All
//! items of a story fall within 72 hours of its first. The same [`CorpusSpec`] gives the same
//! items on every platform (the generator has its own SplitMix64). Score a clustering with
//! [`pairwise`].

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, FixedOffset, TimeDelta, TimeZone, Timelike, Utc};

/// Scores a corpus against the real store (`eval.rs`; needs the `aggregator` crate).
pub mod eval;

/// What to generate: the seed, the number of distinct stories (labels) and the first day.
#[derive(Debug, Clone)]
pub struct CorpusSpec {
    pub seed: u64,
    pub stories: usize,
    pub start: DateTime<Utc>,
}

impl Default for CorpusSpec {
    fn default() -> Self {
        let start = Utc.with_ymd_and_hms(2026, 3, 26, 0, 0, 0).unwrap();
        Self {
            seed: 1,
            stories: 400,
            start,
        }
    }
}

/// The role of an item in its story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The first wire item of an ordinary story.
    Original,
    /// Another outlet's copy of one of the story's wire versions.
    Republication,
    /// A later wire version (`(LEAD)`, `(2nd LD)`, `(종합)`...) under a new URL.
    Reissue,
    /// The first item of a story made to resemble another; its own reissues and
    /// republications follow with the usual kinds.
    HardNegative,
}

/// One feed item with its ground truth.
#[derive(Debug, Clone)]
pub struct LabelledItem {
    /// The outlet's feed name, one of [`feeds`].
    pub feed: String,
    /// Unique within its feed.
    pub guid: String,
    /// Absolute https URL; no two items share one.
    pub link: String,
    /// As the outlet publishes it: wire tags and outlet suffixes included.
    pub title: String,
    /// Plain-text excerpt as in an RSS description, boilerplate included.
    pub summary: String,
    pub published: DateTime<Utc>,
    /// Ground-truth story label.
    pub story: u32,
    pub kind: Kind,
    /// `"en"` or `"ko"`.
    pub lang: &'static str,
}

/// Every feed name [`generate`] can emit.
pub fn feeds() -> &'static [&'static str] {
    &[
        "yonhap-en",
        "yonhap-ko",
        "kyodo-en",
        "herald",
        "korea-times",
        "nkwatch",
        "newsis-ko",
        "hankyoreh-ko",
    ]
}

/// Pair-counting scores: a pair of items is true when both have the same story label, and
/// predicted when both are in the same predicted cluster.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairScores {
    pub true_pairs: u64,
    pub predicted_pairs: u64,
    pub correct_pairs: u64,
    /// `correct / predicted`; 1 when nothing was merged.
    pub precision: f64,
    /// `correct / true`; 1 when no two items share a story.
    pub recall: f64,
    pub f1: f64,
}

/// Scores `predicted` (one cluster id per item; each distinct id is one cluster, so give every
/// unclustered item an id of its own) against `labels`, from contingency counts in O(n).
pub fn pairwise(labels: &[u32], predicted: &[i64]) -> PairScores {
    assert_eq!(
        labels.len(),
        predicted.len(),
        "one predicted cluster per item"
    );
    let mut truth: HashMap<u32, u64> = HashMap::new();
    let mut pred: HashMap<i64, u64> = HashMap::new();
    let mut both: HashMap<(u32, i64), u64> = HashMap::new();
    for (&l, &p) in labels.iter().zip(predicted) {
        *truth.entry(l).or_default() += 1;
        *pred.entry(p).or_default() += 1;
        *both.entry((l, p)).or_default() += 1;
    }
    let pairs = |n: &u64| n * n.saturating_sub(1) / 2;
    let true_pairs: u64 = truth.values().map(pairs).sum();
    let predicted_pairs: u64 = pred.values().map(pairs).sum();
    let correct_pairs: u64 = both.values().map(pairs).sum();
    let ratio = |a: u64, b: u64| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    let (precision, recall) = (
        ratio(correct_pairs, predicted_pairs),
        ratio(correct_pairs, true_pairs),
    );
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    PairScores {
        true_pairs,
        predicted_pairs,
        correct_pairs,
        precision,
        recall,
        f1,
    }
}

/// Generates the corpus for `spec`, sorted by `published`, ties by `(feed, guid)`.
pub fn generate(spec: &CorpusSpec) -> Vec<LabelledItem> {
    let mut g = Gen {
        lib: library(),
        rng: Rng(spec.seed),
        start: spec.start,
        items: Vec::new(),
        seq: HashMap::new(),
        links: HashSet::new(),
        keys: HashMap::new(),
    };
    // About a third of the draws make a hard negative of an earlier ordinary story (some fall
    // back to a new story when the week has no room for another like it).
    let mut bases: Vec<Story> = Vec::new();
    for label in 0..spec.stories as u32 {
        let roll = g.rng.below(100);
        let base = if bases.is_empty() {
            None
        } else {
            Some(g.rng.below(bases.len()))
        };
        let story = match (base.map(|b| &bases[b]), roll) {
            (None, _) | (_, 33..) => None,
            (Some(base), 0..4) if g.lib.topics[base.topic].weekly => g.recurring(base, label),
            (Some(base), 4..13) if g.analysable(base) => Some(g.analysis(base, label)),
            (Some(base), _) => g.variant(base, label),
        };
        let mut story = story.unwrap_or_else(|| g.fresh(label));
        g.emit(&mut story);
        if story.kind == Kind::Original {
            bases.push(story);
        }
    }
    let mut items = g.items;
    items.sort_by(|a, b| (a.published, &a.feed, &a.guid).cmp(&(b.published, &b.feed, &b.guid)));
    items
}

const EN: usize = 0;
const KO: usize = 1;

/// Relative frequency of new stories by KST hour: quiet at night, busiest in office hours.
const HOUR_WEIGHTS: [u32; 24] = [
    1, 1, 1, 1, 1, 2, 3, 5, 8, 9, 9, 8, 6, 7, 8, 8, 8, 7, 6, 5, 4, 3, 2, 2,
];
const REPORTERS: &str =
    "김철수 이영희 박민수 정다은 최윤정 한지훈 오수진 윤태호 강민지 서동현 홍길동 임하늘";

fn reporter(i: usize) -> &'static str {
    let names: Vec<&'static str> = REPORTERS.split(' ').collect();
    names[i % names.len()]
}

fn kst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("valid offset")
}

/// `t`, or the nearest KST weekday in direction `dir` (1 or -1) at the same time of day.
fn trading_day(mut t: DateTime<Utc>, dir: i64) -> DateTime<Utc> {
    while t.with_timezone(&kst()).weekday().num_days_from_monday() >= 5 {
        t += TimeDelta::days(dir);
    }
    t
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

/// `a>b;c>d` → `[(a, b), (c, d)]`.
fn pairs(table: &'static str) -> impl Iterator<Item = (&'static str, &'static str)> {
    table.split(';').filter_map(|p| p.split_once('>'))
}

/// SplitMix64: small, and the same sequence on every platform and Rust version.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as i64
    }
    /// `a` with probability `percent`, else `b`.
    fn either<T>(&mut self, percent: u64, a: T, b: T) -> T {
        if self.chance(percent) { a } else { b }
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let mut x = self.next_u64() % weights.iter().map(|&w| u64::from(w)).sum::<u64>();
        for (i, &w) in weights.iter().enumerate() {
            match x.checked_sub(u64::from(w)) {
                Some(rest) => x = rest,
                None => return i,
            }
        }
        unreachable!("x < total weight")
    }
    fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            xs.swap(i, self.below(i + 1));
        }
    }
    /// A delay from buckets of `(min minutes, max minutes, weight)`, plus random seconds.
    fn delay(&mut self, buckets: &[(i64, i64, u32)]) -> TimeDelta {
        let weights: Vec<u32> = buckets.iter().map(|b| b.2).collect();
        let (lo, hi, _) = buckets[self.weighted(&weights)];
        TimeDelta::minutes(self.between(lo, hi)) + TimeDelta::seconds(self.between(0, 59))
    }
}

type Pair = [&'static str; 2];
/// Slot name → `[english, korean]`, chosen the first time a story's template needs it.
type Slots = BTreeMap<String, [String; 2]>;

#[derive(Default)]
struct Topic {
    name: &'static str,
    weight: u32,
    nk: bool,
    jp: bool,
    /// Has stories that recur with the same headline wording (launches, market closes).
    weekly: bool,
    city: Pair,
    /// Slot groups a same-topic hard negative chooses again (the first always).
    variant: Vec<&'static str>,
    /// Slots that tell the topic's stories apart.
    key: Vec<&'static str>,
    /// Line code (`H`, `X`, `L`, `M`, `E`, `A`) → templates.
    lines: HashMap<char, Vec<Pair>>,
}

impl Topic {
    fn get(&self, code: char) -> &[Pair] {
        self.lines.get(&code).map_or(&[], Vec::as_slice)
    }
}

struct Group {
    names: Vec<&'static str>,
    rows: Vec<Vec<&'static str>>,
}

struct Library {
    topics: Vec<Topic>,
    analysis: usize,
    groups: Vec<Group>,
    group_of: HashMap<&'static str, usize>,
}

fn library() -> &'static Library {
    static LIB: OnceLock<Library> = OnceLock::new();
    LIB.get_or_init(|| Library::parse(TEXT))
}

impl Library {
    fn parse(text: &'static str) -> Library {
        let mut lib = Library {
            topics: Vec::new(),
            analysis: 0,
            groups: Vec::new(),
            group_of: HashMap::new(),
        };
        let mut in_group = false;
        for (no, line) in text.lines().map(str::trim).enumerate() {
            if let Some(rest) = line.strip_prefix("# ") {
                in_group = false;
                let (head, groups) = rest.split_once(" : ").unwrap_or((rest, ""));
                let (variant, key) = groups.split_once(" = ").unwrap_or((groups, ""));
                let f: Vec<&str> = head.split_whitespace().collect();
                let (en, ko) = f[3].split_once('|').expect("city is `EN|ko`");
                lib.topics.push(Topic {
                    name: f[0],
                    weight: f[1].parse().expect("topic weight"),
                    nk: f[2].contains("nk"),
                    jp: f[2].contains("jp"),
                    weekly: f[2].contains("re"),
                    city: [en, ko],
                    variant: variant.split_whitespace().collect(),
                    key: key.split_whitespace().collect(),
                    lines: HashMap::new(),
                });
            } else if let Some(rest) = line.strip_prefix("$ ") {
                in_group = true;
                let (names, rows) = rest.split_once(" = ").unwrap_or((rest, ""));
                let names: Vec<&str> = names.split_whitespace().collect();
                for n in &names {
                    lib.group_of.insert(n, lib.groups.len());
                }
                lib.groups.push(Group {
                    names,
                    rows: Vec::new(),
                });
                lib.add_rows(rows, no);
            } else if in_group {
                lib.add_rows(line, no);
            } else if let Some((code, rest)) = line.split_once(' ') {
                let topic = lib.topics.last_mut().expect("a topic header first");
                let list = topic
                    .lines
                    .entry(code.chars().next().unwrap_or('?'))
                    .or_default();
                for pair in rest.split(" ; ") {
                    let (en, ko) = pair
                        .split_once(" | ")
                        .unwrap_or_else(|| panic!("TEXT line {no}"));
                    list.push([en.trim(), ko.trim()]);
                }
            }
        }
        lib.analysis = lib
            .topics
            .iter()
            .position(|t| t.name == "_analysis")
            .expect("analysis");
        lib
    }

    fn add_rows(&mut self, rows: &'static str, no: usize) {
        let group = self.groups.last_mut().expect("a group header first");
        for row in rows.split(" ; ").map(str::trim).filter(|r| !r.is_empty()) {
            let fields: Vec<&str> = row.split('|').collect();
            assert_eq!(fields.len(), 2 * group.names.len(), "TEXT line {no}: {row}");
            group.rows.push(fields);
        }
    }

    /// Fills `tpl`'s slots for `lang`, choosing the values the story does not have yet.
    fn render(&self, tpl: &str, lang: usize, slots: &mut Slots, rng: &mut Rng) -> String {
        let mut out = String::new();
        let mut rest = tpl;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let close = open + rest[open..].find('}').expect("closed slot");
            let spec = &rest[open + 1..close];
            let (name, josa) = spec
                .split_once('|')
                .map_or((spec, None), |(n, j)| (n, Some(j)));
            if !slots.contains_key(name) {
                self.fill(name, slots, rng);
            }
            let raw = slots[name][lang].clone();
            let value = if raw.contains('{') {
                self.render(&raw, lang, slots, rng)
            } else {
                raw
            };
            out.push_str(&value);
            out.push_str(josa.map_or("", |j| particle(&value, j)));
            rest = &rest[close + 1..];
        }
        out + rest
    }

    fn fill(&self, name: &str, slots: &mut Slots, rng: &mut Rng) {
        if let Some(&g) = self.group_of.get(name) {
            let group = &self.groups[g];
            let row = &group.rows[rng.below(group.rows.len())];
            for (i, n) in group.names.iter().enumerate() {
                slots.insert(n.to_string(), [row[2 * i].into(), row[2 * i + 1].into()]);
            }
        } else {
            let value = number(name, rng).unwrap_or_else(|| panic!("unknown slot {{{name}}}"));
            slots.insert(name.to_string(), value);
        }
    }

    /// Forgets `name` and the slots chosen with it, so that they are chosen again.
    fn forget(&self, name: &str, slots: &mut Slots) {
        match self.group_of.get(name) {
            Some(&g) => slots.retain(|k, _| !self.groups[g].names.contains(&k.as_str())),
            None => {
                slots.remove(name);
            }
        }
    }
}

/// The slot names in a template.
fn slot_names(tpl: &'static str) -> impl Iterator<Item = &'static str> {
    tpl.split('{')
        .skip(1)
        .map(|p| p.split(['}', '|']).next().unwrap_or_default())
}

/// Numeric and clock slots; the same in both languages unless the units differ.
fn number(name: &str, r: &mut Rng) -> Option<[String; 2]> {
    let same = |s: String| [s.clone(), s];
    let dec = |x: i64, places: u32| {
        let p = 10i64.pow(places);
        format!("{}.{:0w$}", x / p, x % p, w = places as usize)
    };
    Some(match name {
        "n" => same(r.between(2, 9).to_string()),
        "km" => same((r.between(15, 150) * 10).to_string()),
        "alt" => same((r.between(3, 120) * 10).to_string()),
        "pct" | "pct2" | "pct4" | "pct5" => same(dec(r.between(5, 199), 1)),
        "pct3" => same(r.between(18, 46).to_string()),
        "chg" => same(dec(r.between(10, 350), 2)),
        // US$ billions are hundreds of millions (억) in Korean: 60.5 → 605.
        "bn" | "tb" | "usd" => {
            let x = if name == "bn" {
                r.between(400, 760)
            } else {
                r.between(5, 99)
            };
            [dec(x, 1), x.to_string()]
        }
        "tril" => same(r.between(2, 30).to_string()),
        "yrs" => same(r.between(2, 12).to_string()),
        "yrs2" => same(r.between(3, 20).to_string()),
        "kospi" => same(dec(r.between(380_000, 470_000), 2)),
        "pts" => same(dec(r.between(300, 12_000), 2)),
        "fx" => same(dec(r.between(13_500, 14_900), 1)),
        "troops" => same(format!("{},{}00", r.between(1, 9), r.between(0, 9))),
        "mag" => same(dec(r.between(45, 72), 1)),
        "deg" => same(r.between(3, 15).to_string()),
        "cm" => same(r.between(3, 30).to_string()),
        "pm" => same((r.between(15, 45) * 10).to_string()),
        "ms" => same(r.between(15, 30).to_string()),
        "hum" => same(r.between(20, 35).to_string()),
        "depth" | "age" => same((r.between(1, 8) * 10).max(20).to_string()),
        "nth" => {
            let n = r.between(1, 12);
            let th = ["th", "st", "nd", "rd"][if n <= 3 { n as usize } else { 0 }];
            [format!("{n}{th}"), n.to_string()]
        }
        "sc" => {
            let a = r.between(1, 6);
            same(format!("{a}-{}", r.between(0, a - 1)))
        }
        _ => return None,
    })
}

/// `at around 7:40 a.m.` / `오전 7시 40분께`, or the hour alone: `7 a.m.` / `오전 7시`.
fn clock(t: DateTime<FixedOffset>, minutes: bool) -> [String; 2] {
    let ((pm, h), m) = (t.hour12(), t.minute() / 5 * 5);
    let (en, ko) = if pm {
        ("p.m.", "오후")
    } else {
        ("a.m.", "오전")
    };
    match (minutes, m) {
        (false, _) => [format!("{h} {en}"), format!("{ko} {h}시")],
        (_, 0) => [format!("at around {h} {en}"), format!("{ko} {h}시께")],
        _ => [
            format!("at around {h}:{m:02} {en}"),
            format!("{ko} {h}시 {m}분께"),
        ],
    }
}

/// The Korean particle that fits after `word`: `은/는`, `이/가`, `을/를`, `과/와`, `으로/로`.
fn particle(word: &str, josa: &str) -> &'static str {
    let [with, without] = match josa {
        "은" | "는" => ["은", "는"],
        "이" | "가" => ["이", "가"],
        "을" | "를" => ["을", "를"],
        "과" | "와" => ["과", "와"],
        "으로" | "로" => ["으로", "로"],
        _ => panic!("unknown particle {josa}"),
    };
    let mut w = word.trim_end_matches(['\'', '"', ' ']);
    if w.ends_with(')') {
        w = w.rfind('(').map_or(w, |p| &w[..p]);
    }
    // (ends in a consonant, that consonant is ㄹ); digits and Latin letters as read aloud.
    let (batchim, rieul) = match w.chars().last() {
        Some(c @ '가'..='힣') => {
            let jong = (c as u32 - 0xAC00) % 28;
            (jong != 0, jong == 8)
        }
        Some(c @ '0'..='9') => ("013678".contains(c), "178".contains(c)),
        Some(c) if c.is_ascii_alphabetic() => {
            let c = c.to_ascii_lowercase();
            ("lmnr".contains(c), "lr".contains(c))
        }
        _ => (false, false),
    };
    match with {
        "으로" if batchim && !rieul => with,
        "으로" => without,
        _ if batchim => with,
        _ => without,
    }
}

/// A story: its facts (slots), its templates and where it first appears.
#[derive(Clone)]
struct Story {
    label: u32,
    /// Whose templates: the facts' topic, or the analysis pseudo-topic.
    topic: usize,
    /// The topic the facts come from (flags, dateline city).
    facts: usize,
    lang: usize,
    t0: DateTime<Utc>,
    slots: Slots,
    head: usize,
    lede: usize,
    origin: &'static str,
    kind: Kind,
    reporter: usize,
}

#[derive(Clone, Copy)]
enum Sent {
    Lede(usize),
    More(usize),
}

/// One wire version of a story, before rendering.
#[derive(Clone)]
struct Version {
    time: DateTime<Utc>,
    head: usize,
    extras: Vec<usize>,
    sents: Vec<Sent>,
    pre: &'static str,
    post: &'static str,
}

/// A rendered wire version, as republishers see it.
struct Text {
    time: DateTime<Utc>,
    pre: &'static str,
    core: String,
    post: &'static str,
    sents: Vec<String>,
    dateline: String,
    agency: &'static str,
}

struct Gen {
    lib: &'static Library,
    rng: Rng,
    start: DateTime<Utc>,
    items: Vec<LabelledItem>,
    seq: HashMap<&'static str, u64>,
    links: HashSet<String>,
    /// (topic, defining facts) → when stories with them first appeared.
    keys: HashMap<(usize, String), Vec<DateTime<Utc>>>,
}

impl Gen {
    /// An ordinary story of a topic that still has room for one more within 96 hours (in a
    /// week too crowded for that, any story).
    fn fresh(&mut self, label: u32) -> Story {
        for _ in 0..10 {
            let mut s = self.draft(label);
            let key = &self.lib.topics[s.topic].key;
            if self.settle(&mut s, None, key) {
                return s;
            }
        }
        self.draft(label)
    }

    fn draft(&mut self, label: u32) -> Story {
        let weights: Vec<u32> = self.lib.topics.iter().map(|t| t.weight).collect();
        let topic = self.rng.weighted(&weights);
        let t = &self.lib.topics[topic];
        let lang = self.rng.either(60, EN, KO);
        let market = t.name == "market";
        // Market closing reports come after the 3:30 p.m. close.
        let kst_hour = if market {
            15
        } else {
            self.rng.weighted(&HOUR_WEIGHTS) as i64
        };
        let start = self.start;
        let start_hour = i64::from(start.with_timezone(&kst()).hour());
        let hours = self.rng.between(0, 6) * 24 + (kst_hour - start_hour).rem_euclid(24);
        let mut t0 =
            start + TimeDelta::hours(hours) + TimeDelta::seconds(self.rng.between(0, 3599));
        if market {
            let friday = trading_day(t0, -1);
            t0 = if friday >= start {
                friday
            } else {
                trading_day(t0, 1)
            };
        }
        Story {
            label,
            topic,
            facts: topic,
            lang,
            t0,
            slots: Slots::new(),
            head: self.rng.below(t.get('H').len()),
            lede: self.rng.below(t.get('L').len()),
            origin: self.origin(topic, lang),
            kind: Kind::Original,
            reporter: self.rng.below(100),
        }
    }

    /// `delay` after `base`, or before it when only that stays within the week; market reports
    /// move on to a trading day.
    fn shift(&self, topic: usize, base: DateTime<Utc>, delay: TimeDelta) -> DateTime<Utc> {
        let later = base + delay < self.start + TimeDelta::days(7) || base - delay < self.start;
        let t = if later { base + delay } else { base - delay };
        match self.lib.topics[topic].name {
            "market" => trading_day(t, if later { 1 } else { -1 }),
            _ => t,
        }
    }

    fn origin(&mut self, topic: usize, lang: usize) -> &'static str {
        let t = &self.lib.topics[topic];
        match lang {
            KO => "yonhap-ko",
            _ if (t.jp && self.rng.chance(60)) || (t.nk && self.rng.chance(8)) => "kyodo-en",
            _ => "yonhap-en",
        }
    }

    /// Another event of the same kind within 72 hours: some facts chosen again (always the
    /// first `:` group of the topic), the others and often the wording kept.
    fn variant(&mut self, base: &Story, label: u32) -> Option<Story> {
        let t = &self.lib.topics[base.topic];
        let mut s = base.clone();
        // Another event has its own figures and times.
        s.slots
            .retain(|k, _| self.lib.group_of.contains_key(k.as_str()));
        for (i, name) in t.variant.iter().enumerate() {
            if i == 0 || self.rng.chance(50) {
                self.lib.forget(name, &mut s.slots);
            }
        }
        if self.rng.chance(50) {
            s.head = self.rng.below(t.get('H').len());
        }
        if self.rng.chance(50) {
            s.lede = self.rng.below(t.get('L').len());
        }
        let delay = match t.name {
            "market" => TimeDelta::days(self.rng.between(1, 2)),
            _ => (self.rng).delay(&[(20, 480, 55), (480, 1800, 30), (1800, 4080, 15)]),
        };
        s.t0 = self.shift(s.topic, base.t0, delay);
        s.origin = self.origin(s.topic, s.lang);
        (s.label, s.kind) = (label, Kind::HardNegative);
        if t.name == "missile" {
            // A second launch is reported as one.
            let hours = (s.t0 - base.t0).num_hours().abs();
            let (days, gap) = ((hours + 12) / 24, "the North's second launch");
            // Days counted inclusively: a launch the next day is the second "in two days".
            let (n, ko_n) = (
                days + 1,
                ["", "이틀", "사흘", "나흘", "닷새"][(days as usize).min(4)],
            );
            let [en, ko, en_h, ko_h] = match days {
                0 => [
                    format!("{gap} of the day"),
                    "이날 두 번째 발사".into(),
                    "2nd launch of the day".into(),
                    "이날 두 번째".into(),
                ],
                _ => [
                    format!("{gap} in {n} days"),
                    format!("{ko_n} 새 두 번째 발사"),
                    format!("2nd launch in {n} days"),
                    format!("{ko_n} 새 또 발사"),
                ],
            };
            s.slots.insert("gap".into(), [en, ko]);
            s.slots.insert("gap_h".into(), [en_h, ko_h]);
        }
        let found = self.settle(&mut s, Some(self.key_of(base)), &t.variant[..1]);
        found.then_some(s)
    }

    /// Chooses the story's defining facts (its topic's key slots) so that they differ from
    /// `avoid` and from those of every other story of the topic within 96 hours (the 72-hour
    /// window plus the spread of a story's items): two launches
    /// on one day differ in what was fired or where, two statements in who spoke or about what.
    /// On a clash only the `reroll` slots are chosen again; false when nothing free is found.
    fn settle(&mut self, s: &mut Story, avoid: Option<String>, reroll: &[&str]) -> bool {
        let lib = self.lib;
        let names = &lib.topics[s.topic].key;
        for attempt in 0..16 {
            for name in names {
                if !s.slots.contains_key(*name) {
                    lib.fill(name, &mut s.slots, &mut self.rng);
                }
            }
            if avoid.as_deref() != Some(&self.key_of(s)) && !self.clashes(s) {
                self.note(s.topic, self.key_of(s), s.t0);
                return true;
            }
            // When the `reroll` slots alone find nothing new, every key slot may change.
            let again = if attempt < 8 { reroll } else { names };
            again.iter().for_each(|name| lib.forget(name, &mut s.slots));
        }
        false
    }

    fn note(&mut self, topic: usize, key: String, at: DateTime<Utc>) {
        self.keys.entry((topic, key)).or_default().push(at);
    }

    /// Whether a story with `topic` and `key` appeared within `hours` of `at`.
    fn seen(&self, topic: usize, key: String, at: DateTime<Utc>, hours: i64) -> bool {
        let times = self.keys.get(&(topic, key));
        times.is_some_and(|ts| ts.iter().any(|t| (*t - at).abs() < TimeDelta::hours(hours)))
    }

    /// Whether another story of the topic within 96 hours has the same key.
    fn clashes(&self, s: &Story) -> bool {
        self.seen(s.topic, self.key_of(s), s.t0, 96)
    }

    /// The values of the story's key slots, in English.
    fn key_of(&self, s: &Story) -> String {
        let names = &self.lib.topics[s.facts].key;
        names
            .iter()
            .map(|n| s.slots.get(*n).map_or("|", |v| &v[EN]))
            .collect()
    }

    /// Whether `base` may get a `(News Focus)`: its topic has angles, and no analysis of an
    /// event like it is already near.
    fn analysable(&self, base: &Story) -> bool {
        let key = format!("{}:{}", base.topic, self.key_of(base));
        let near = self.seen(self.lib.analysis, key, base.t0, 120);
        !self.lib.topics[base.topic].get('A').is_empty() && !near
    }

    /// A `(News Focus)` analysis of the base story's event: the same facts, a new article.
    fn analysis(&mut self, base: &Story, label: u32) -> Story {
        let (lib, r) = (self.lib, &mut self.rng);
        let t = &lib.topics[base.topic];
        let mut s = base.clone();
        s.slots
            .insert("event".into(), r.pick(t.get('E')).map(String::from));
        s.slots
            .insert("angle".into(), r.pick(t.get('A')).map(String::from));
        s.topic = lib.analysis;
        s.head = r.below(lib.topics[lib.analysis].get('H').len());
        s.lede = r.below(lib.topics[lib.analysis].get('L').len());
        s.t0 += r.delay(&[(120, 1800, 1)]);
        s.origin = ["yonhap-en", "yonhap-ko"][s.lang];
        (s.label, s.kind) = (label, Kind::HardNegative);
        let key = format!("{}:{}", base.topic, self.key_of(base));
        self.note(lib.analysis, key, s.t0);
        s
    }

    /// The same headline wording three to five days away, every fact not in it chosen again.
    fn recurring(&mut self, base: &Story, label: u32) -> Option<Story> {
        let lib = self.lib;
        let t = &lib.topics[base.topic];
        let mut keep: Vec<&str> = Vec::new();
        for name in slot_names(t.get('H')[base.head][base.lang]) {
            match lib.group_of.get(name) {
                Some(&g) => keep.extend(&lib.groups[g].names),
                None => keep.push(name),
            }
        }
        let mut s = base.clone();
        s.slots.retain(|k, _| keep.contains(&k.as_str()));
        s.lede = self.rng.below(t.get('L').len());
        let late = if t.name == "market" { 20 } else { 600 };
        let delay =
            TimeDelta::days(self.rng.between(3, 5)) + TimeDelta::minutes(self.rng.between(1, late));
        s.t0 = self.shift(s.topic, base.t0, delay);
        (s.label, s.kind) = (label, Kind::HardNegative);
        if self.clashes(&s) {
            return self.variant(base, label);
        }
        self.note(s.topic, self.key_of(&s), s.t0);
        Some(s)
    }

    /// Writes the story's wire versions and their republications, and keeps the facts chosen
    /// on the way for hard negatives to start from.
    fn emit(&mut self, s: &mut Story) {
        let (lib, r) = (self.lib, &mut self.rng);
        let t = &lib.topics[s.topic];
        let mut slots = s.slots.clone();
        let k = s.t0.with_timezone(&kst());
        let day = [format!("on {}", k.format("%A")), format!("{}일", k.day())];
        slots.insert("day".into(), day);
        slots.insert(
            "month".into(),
            [k.format("%B").to_string(), format!("{}월", k.month())],
        );
        // The event itself happened shortly before the first report.
        let at = (s.t0 - TimeDelta::minutes(r.between(5, 80))).with_timezone(&kst());
        slots.insert("time".into(), clock(at, true));
        slots.insert("hour".into(), clock(at, false));

        let chain = match s.origin {
            "yonhap-en" | "yonhap-ko" if !t.get('X').is_empty() && r.chance(40) => 1 + r.below(3),
            _ => 0,
        };
        let flash = chain > 0 && r.chance(50);
        let mut mores: Vec<usize> = (0..t.get('M').len()).collect();
        let mut extras: Vec<usize> = (0..t.get('X').len()).collect();
        r.shuffle(&mut mores);
        r.shuffle(&mut extras);
        let mut sents = vec![Sent::Lede(s.lede)];
        if !flash {
            let n = r.weighted(&[25, 45, 30]).min(mores.len());
            sents.extend(mores.drain(..n).map(Sent::More));
        }
        let pre = match (s.topic == lib.analysis, flash, s.lang) {
            (true, _, EN) => "(News Focus) ",
            (true, _, _) => r.pick(&["[해설] ", "[분석] "]),
            (_, true, EN) => "(URGENT) ",
            (_, true, _) => "[속보] ",
            (_, _, KO) if chain == 0 && r.chance(4) => "[단독] ",
            _ => "",
        };
        let (time, head, extras_used) = (s.t0, s.head, Vec::new());
        let first = Version {
            time,
            head,
            extras: extras_used,
            sents,
            pre,
            post: "",
        };
        let mut versions = vec![first];
        let ko_tags = r.pick(&[
            ["(종합)", "(종합2보)", "(종합3보)"],
            ["(2보)", "(종합)", "(종합2보)"],
        ]);
        for step in 1..=chain {
            let mut v = versions[step - 1].clone();
            v.time += r.delay(&[(5, 30, 50), (30, 90, 35), (90, 240, 15)]);
            (v.pre, v.post) = match s.lang {
                EN if step == chain && r.chance(10) => ("(AMPLE) ", ""),
                EN if step > 1 && r.chance(4) => ("(Correction) ", ""),
                EN => (["(LEAD) ", "(2nd LD) ", "(3rd LD) "][step - 1], ""),
                _ => ("", ko_tags[step - 1]),
            };
            if step == 3 || r.chance(30) {
                v.head = (v.head + 1) % t.get('H').len();
            }
            if let Some(&x) = extras.get(v.extras.len()) {
                v.extras.push(x);
            }
            // The lede stays, sometimes reworded, and a sentence is added.
            if v.sents.len() > 1 && (r.chance(25) || mores.is_empty()) {
                v.sents[0] = Sent::Lede((s.lede + step) % t.get('L').len());
            }
            if let Some(m) = mores.pop() {
                let at = if r.chance(50) { 1 } else { v.sents.len() };
                v.sents.insert(at, Sent::More(m));
            }
            versions.push(v);
        }

        let texts: Vec<Text> = (versions.iter().enumerate())
            .map(|(step, v)| self.render(s, &mut slots, v, step))
            .collect();
        for (i, text) in texts.iter().enumerate() {
            let kind = if i == 0 { s.kind } else { Kind::Reissue };
            let title = format!("{}{}{}", text.pre, text.core, text.post);
            let summary = format!("{}{}", text.dateline, text.sents.join(" "));
            self.push(s, s.origin, kind, text.time, &text.core, title, summary);
        }

        let facts = &lib.topics[s.facts];
        let mut outlets = match s.lang {
            KO => vec!["newsis-ko", "hankyoreh-ko"],
            _ => vec!["herald", "korea-times"],
        };
        if s.lang == EN && facts.nk {
            outlets.push("nkwatch");
        }
        if s.lang == EN && (facts.nk || facts.jp) && s.origin != "kyodo-en" {
            outlets.push("kyodo-en");
        }
        self.rng.shuffle(&mut outlets);
        let n = self.rng.weighted(&[10, 30, 35, 25]).min(outlets.len());
        for &outlet in &outlets[..n] {
            // Usually one version; sometimes a later one as well.
            let first = self.rng.below(texts.len());
            self.republish(outlet, &texts[first], s);
            if first + 1 < texts.len() && self.rng.chance(25) {
                let later = self.rng.between(first as i64 + 1, texts.len() as i64 - 1);
                self.republish(outlet, &texts[later as usize], s);
            }
        }
        s.slots = slots;
    }

    fn render(&mut self, s: &Story, slots: &mut Slots, v: &Version, step: usize) -> Text {
        let (lib, lang, r) = (self.lib, s.lang, &mut self.rng);
        let t = &lib.topics[s.topic];
        let mut core = lib.render(t.get('H')[v.head][lang], lang, slots, r);
        for &x in &v.extras {
            let extra = lib.render(t.get('X')[x][lang], lang, slots, r);
            if core.contains(extra.trim_start_matches(['…', ',', ';', ':', ' '])) {
                continue;
            }
            match attribution(&core) {
                Some(_) if lang == EN && extra.starts_with(':') => {}
                Some(p) if lang == EN => core.insert_str(p, &extra),
                _ if lang == EN => core.push_str(&extra),
                // Korean headlines carry one `…` clause: the newest detail replaces the last.
                _ => core = format!("{}{extra}", core.split('…').next().unwrap_or_default()),
            }
        }
        let sents = (v.sents.iter())
            .map(|sent| match *sent {
                Sent::Lede(i) => t.get('L')[i][lang],
                Sent::More(i) => t.get('M')[i][lang],
            })
            .map(|tpl| capitalize(&lib.render(tpl, lang, slots, r)))
            .collect();
        let k = v.time.with_timezone(&kst());
        let city = lib.topics[s.facts].city;
        let (dateline, agency) = match s.origin {
            "kyodo-en" => (String::new(), "Kyodo"),
            "yonhap-en" => (
                format!("{}, {} (Yonhap) -- ", city[EN], k.format("%B %-d")),
                "Yonhap",
            ),
            _ => {
                let mut by = reporter(s.reporter).to_string();
                if step >= 2 {
                    by = format!("{by} {}", reporter(s.reporter + 1));
                }
                let title = ["기자", "특파원"][usize::from(city[KO] == "도쿄")];
                (format!("({}=연합뉴스) {by} {title} = ", city[KO]), "Yonhap")
            }
        };
        let core = if lang == EN { capitalize(&core) } else { core };
        let (time, pre, post) = (v.time, v.pre, v.post);
        Text {
            time,
            pre,
            core,
            post,
            sents,
            dateline,
            agency,
        }
    }

    /// Another outlet's copy of `src`, with that outlet's boilerplate and edits.
    fn republish(&mut self, outlet: &'static str, src: &Text, s: &Story) {
        let r = &mut self.rng;
        let time =
            src.time + r.delay(&[(3, 30, 35), (30, 120, 35), (120, 360, 20), (360, 720, 10)]);
        let mut body = cut(r, &src.sents, s.lang);
        if r.chance(20) {
            body = substitute(r, &body, s.lang);
        }
        let credit = src.agency;
        let dateline = r.either(50, src.dateline.as_str(), "");
        let keep_tag = r.either(40, src.pre, "");
        let (mut title, summary) = match outlet {
            "herald" => {
                let tail = if dateline.is_empty() {
                    format!(" ({credit})")
                } else {
                    String::new()
                };
                let end = r.either(if credit == "Yonhap" { 15 } else { 0 }, " (END)", "");
                let title = keep_tag.to_string() + &edit_en(r, &src.core);
                (title, format!("{dateline}{body}{tail}{end}"))
            }
            "korea-times" => {
                let title = edit_en(r, &src.core);
                let title = r.either(60, title_case(&title), title);
                (
                    title,
                    r.either(50, format!("By {credit} "), String::new()) + &body,
                )
            }
            "nkwatch" => {
                let title = edit_en(r, &src.core);
                let title = r.either(70, expand(&title), title);
                let full = if credit == "Kyodo" {
                    "Kyodo News"
                } else {
                    "Yonhap News Agency"
                };
                let tail = match r.below(3) {
                    0 => format!(" ({credit})"),
                    1 => format!(" This article was provided by {full}."),
                    _ => String::new(),
                };
                (title, format!("{dateline}{body}{tail}"))
            }
            "kyodo-en" => {
                // Japanese outlets call the East Sea the Sea of Japan.
                let sea = |x: String| x.replace("East Sea", "Sea of Japan");
                (sea(edit_en(r, &src.core)), sea(format!("{dateline}{body}")))
            }
            "newsis-ko" => {
                let city = self.lib.topics[s.facts].city[KO];
                let lead = match r.below(10) {
                    0..5 => format!("[{city}=뉴시스] {} 기자 = ", reporter(s.reporter + 5)),
                    5..8 => "[뉴시스] ".to_string(),
                    _ => String::new(),
                };
                (keep_tag.to_string() + &edit_ko(r, &src.core), lead + &body)
            }
            _ => {
                let post = r.either(20, src.post, "");
                let tail = r.either(50, " <저작권자(c) 연합뉴스, 무단 전재-재배포 금지>", "");
                (
                    edit_ko(r, &src.core) + post,
                    format!("{dateline}{body}{tail}"),
                )
            }
        };
        let suffix = match outlet {
            "herald" => " | The Korea Herald",
            "korea-times" => " - The Korea Times",
            "kyodo-en" => " - Kyodo News",
            "newsis-ko" => " - 뉴시스",
            _ => "",
        };
        title += r.either(50, suffix, "");
        let kind = Kind::Republication;
        self.push(s, outlet, kind, time, &src.core, title, summary);
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        s: &Story,
        feed: &'static str,
        kind: Kind,
        published: DateTime<Utc>,
        headline: &str,
        title: String,
        summary: String,
    ) {
        let (_, link_pattern, guid_pattern, base, step, sections) =
            *URLS.iter().find(|u| u.0 == feed).expect("known feed");
        let n = *self.seq.entry(feed).and_modify(|n| *n += 1).or_insert(1);
        // n * step + (random < step): unique within the feed, yet not consecutive.
        let id = base + n * step + self.rng.next_u64() % step;
        let (nk_section, other_section) = sections.split_once('|').unwrap_or_default();
        let nk = self.lib.topics[s.facts].nk;
        let section = if nk { nk_section } else { other_section };
        let k = published.with_timezone(&kst());
        let fill = |pattern: &str| {
            (pattern.replace("{d}", &k.format("%Y%m%d").to_string()))
                .replace("{ym}", &k.format("%Y/%m").to_string())
                .replace("{sec}", section)
                .replace("{id}", &id.to_string())
                .replace("{slug}", &slug(headline))
        };
        let mut link = fill(link_pattern);
        // Headlines repeat, so slug URLs can too; the CMS then appends a number.
        let mut dup = 1;
        while !self.links.insert(link.clone()) {
            assert!(link_pattern.contains("{slug}"), "duplicate link {link}");
            dup += 1;
            link = fill(&link_pattern.replace("{slug}", &format!("{{slug}}-{dup}")));
        }
        let guid = if guid_pattern.is_empty() {
            link.clone()
        } else {
            fill(guid_pattern)
        };
        self.items.push(LabelledItem {
            feed: feed.to_string(),
            guid,
            link,
            title,
            summary,
            published,
            story: s.label,
            kind,
            lang: ["en", "ko"][s.lang],
        });
    }
}

/// Feed → link pattern, guid pattern (empty: the link), id base and step, URL sections
/// (`north-korea|other`). `{d}` is the KST date, `{ym}` year/month, `{id}` a number unique in
/// the feed, `{slug}` the headline's words.
#[rustfmt::skip]
const URLS: &[(&str, &str, &str, u64, u64, &str)] = &[
    ("yonhap-en", "https://en.yna.co.kr/view/AEN{d}{id}315", "", 100_000, 13, ""),
    ("yonhap-ko", "https://www.yna.co.kr/view/AKR{d}{id}504", "AKR{d}{id}504", 100_000, 13, ""),
    ("kyodo-en", "https://english.kyodonews.net/articles/-/{id}", "", 60_000, 7, ""),
    ("herald", "https://www.koreaherald.com/article/{id}", "", 10_480_000, 11, ""),
    ("korea-times", "https://www.koreatimes.co.kr/{sec}/{d}/{slug}", "", 0, 1,
        "foreignaffairs/northkorea|southkorea/society"),
    ("nkwatch", "https://nkwatch.example/{ym}/{slug}/", "https://nkwatch.example/?p={id}", 40_000, 5, ""),
    ("newsis-ko", "https://www.newsis.com/view/NISX{d}_000{id}", "", 3_100_000, 9, ""),
    ("hankyoreh-ko", "https://www.hani.co.kr/arti/{sec}/{id}.html", "", 1_230_000, 7,
        "politics/defense|society/society_general"),
];

fn slug(headline: &str) -> String {
    let lower = headline.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words[..words.len().min(8)].join("-")
}

/// Byte position of a trailing `: Source` attribution (at most three words, no quote).
fn attribution(h: &str) -> Option<usize> {
    let p = h.rfind(": ")?;
    let tail = &h[p + 2..];
    (tail.split_whitespace().count() <= 3 && !tail.contains(['"', '\''])).then_some(p)
}

/// What a republisher shows: the whole text, the first sentence, a sentence dropped, or the
/// text cut mid-sentence with `...`.
fn cut(r: &mut Rng, sents: &[String], lang: usize) -> String {
    let mut s = sents.to_vec();
    let mode = r.below(100);
    if mode < 22 {
        s.truncate(1);
    } else if mode < 32 && s.len() > 2 {
        s.remove(1 + r.below(s.len() - 1));
    }
    let text = s.join(" ");
    // Feeds that shorten their excerpts do so at a length, mid-sentence.
    let budget = [r.between(110, 230), r.between(55, 120)][lang] as usize;
    let chars: Vec<char> = text.chars().collect();
    match chars
        .get(..budget)
        .and_then(|c| c.iter().rposition(|&c| c == ' '))
    {
        Some(p) if (32..60).contains(&mode) && chars.len() > budget + 10 => {
            let kept: String = chars[..p].iter().collect();
            format!("{}...", kept.trim_end_matches([',', ';', '.']))
        }
        _ => text,
    }
}

const SUBS_EN: &str = "fired>launched;launched>fired;the Joint Chiefs of Staff (JCS)>the JCS;\
    South Korea's>Seoul's;kilometers>km;the United States>the US;North Korea's>the North's;\
    on Monday>Monday;on Tuesday>Tuesday;on Wednesday>Wednesday;on Thursday>Thursday;\
    on Friday>Friday;on Saturday>Saturday;on Sunday>Sunday";
const SUBS_KO: &str = "밝혔다>전했다;합동참모본부가>합참이;합동참모본부는>합참은;발사했다>쐈다;증가했다>늘었다;\
    강조했다>역설했다;말했다>밝혔다;북한이>북한은";

/// One copy-desk word change.
fn substitute(r: &mut Rng, text: &str, lang: usize) -> String {
    let table = if lang == EN { SUBS_EN } else { SUBS_KO };
    let fits: Vec<(&str, &str)> = pairs(table).filter(|(a, _)| text.contains(a)).collect();
    match fits.is_empty() {
        true => text.to_string(),
        false => {
            let (a, b) = r.pick(&fits);
            text.replacen(a, b, 1)
        }
    }
}

const PAST: &str = "fires>fired;launches>launched;slams>slammed;warns>warned;denounces>denounced;\
    inspects>inspected;visits>visited;tours>toured;defects>defected;crosses>crossed;takes>took;\
    holds>held;agree>agreed;sanctions>sanctioned;slaps>slapped;imposes>imposed;rise>rose;\
    grow>grew;issues>issued;scores>scored;nets>netted;belts>belted;hits>hit;tops>topped;wins>won;\
    returns>returned;announces>announced;sentences>sentenced;gets>got;picks>picked;\
    unveils>unveiled;submits>submitted;proposes>proposed;stage>staged;kick>kicked;\
    strikes>struck;jolts>jolted;posts>posted;inks>inked;says>said;seeks>sought;names>named;lifts>lifted;attends>attended;smacks>smacked";
const DROPS: &str = "N. Korea's >;S. Korea's >;K-pop group >; new > ; amid N. Korean threats>;\
    , urges caution>;Japan PM >Japan's ; ahead of June local elections>; straight>";
const SMALL_WORDS: &str = " a an the of in on at to for and or as over with by from into km ";

fn expand(h: &str) -> String {
    (h.replace("N. Korea", "North Korea")
        .replace("S. Korea", "South Korea"))
    .replace("Gov't", "Government")
}

fn title_case(h: &str) -> String {
    let word = |(i, w): (usize, &str)| {
        let small = SMALL_WORDS.contains(&format!(" {w} "));
        match w.starts_with(|c: char| c.is_ascii_lowercase()) && i > 0 && !small {
            true => capitalize(w),
            false => w.to_string(),
        }
    };
    h.split(' ')
        .enumerate()
        .map(word)
        .collect::<Vec<_>>()
        .join(" ")
}

/// One or two light English headline edits: abbreviations, tense, attribution, a dropped word.
fn edit_en(r: &mut Rng, h: &str) -> String {
    let mut h = h.to_string();
    for _ in 0..1 + r.below(2) {
        h = match r.below(6) {
            0 if h.contains("N. Korea") || h.contains("S. Korea") => expand(&h),
            0 => h.replace("North Korea", "N. Korea"),
            1 => {
                let mut words: Vec<String> = h.split(' ').map(String::from).collect();
                let verb = |w: &String| {
                    pairs(PAST).find(|(p, _)| *p == w.trim_end_matches([',', ';', ':']))
                };
                if let Some((i, (p, past))) = words
                    .iter()
                    .enumerate()
                    .find_map(|(i, w)| Some((i, verb(w)?)))
                {
                    words[i] = words[i].replacen(p, past, 1);
                }
                words.join(" ")
            }
            2 => match (attribution(&h), r.below(3)) {
                (Some(p), 0) => h[..p].to_string(),
                (Some(p), 1) => format!("{}, {} says", &h[..p], &h[p + 2..]),
                (Some(p), _) if h[p + 2..].starts_with(char::is_uppercase) => {
                    format!("{}: {}", &h[p + 2..], &h[..p])
                }
                (Some(p), _) => h[..p].to_string(),
                (None, _) => h,
            },
            3 => match pairs(DROPS).find(|(a, _)| h.contains(a)) {
                Some((a, b)) => capitalize(&h.replacen(a, b, 1)),
                None => h,
            },
            _ => h,
        };
    }
    h
}

/// One or two light Korean headline edits: ellipsis and quote style, 北/日 abbreviations, a
/// dropped word or trailing clause.
fn edit_ko(r: &mut Rng, h: &str) -> String {
    let mut h = h.to_string();
    for _ in 0..1 + r.below(2) {
        h = match r.below(5) {
            0 => h.replace('…', r.pick(&["...", "..", ", ", " "])),
            1 => {
                let [open, close] = r.pick(&[['\'', '\''], ['“', '”']]);
                let mut quotes = 0;
                let mut requote = |c: char| match c {
                    '"' => {
                        quotes += 1;
                        if quotes % 2 == 1 { open } else { close }
                    }
                    _ => c,
                };
                h.chars().map(&mut requote).collect()
            }
            2 if h.contains("북한") => h.replacen("북한", "北", 1),
            2 if h.contains("일본") => h.replacen("일본", "日", 1),
            2 => h.replacen("北", "북", 1),
            3 if h.contains("약 ") => h.replacen("약 ", "", 1),
            3 => match h.rfind('…') {
                Some(p) if p > h.len() / 2 => h[..p].to_string(),
                _ => h,
            },
            _ => h,
        };
    }
    h
}

/// Templates and vocabularies. `# name weight flags CITY|도시 : groups = key` starts a topic;
/// flags: `nk` (NK-watch outlets and Kyodo pick it up), `jp` (Kyodo writes and picks it up),
/// `re` (the same headline recurs on other days); the groups are what a same-topic hard
/// negative chooses again (the first always), the key the slots that tell two stories of the
/// topic apart. Its lines are `H` headline, `X` headline addition for reissues, `L` lede, `M` further
/// sentence, `E` the event as a noun phrase and `A` an angle on it (both for analyses), each
/// `english | korean`, several split by ` ; `. `$ a b = row ; row` declares slots chosen
/// together from one row of `en|ko|en|ko` fields (more rows may follow, one line each).
/// `{slot}` is filled once per story; `{slot|을}` appends the Korean particle that fits the
/// value. Numbers, times and dates are made in code.
const TEXT: &str = r#"
# missile 3 nk,re SEOUL|서울 : missile dir km alt gap context = missile dir
E North Korea's launch of {missile} | 북한의 {missile} 발사
A the regional security balance | 역내 안보 균형 ; Seoul's missile defense readiness | 한국군의 미사일 방어 태세
H N. Korea fires {missile_h} {dir_h}: JCS | 북한, {dir_h} {missile_h} 발사
H N. Korea launches {missile_h} {dir_h} | 합참 "북한, {dir_h} {missile_h} 발사"
H N. Korea fires {missile_h}, S. Korea's military says | 북, {missile_h} 발사…{gap_h}
X , {gap_h} | …{gap_h}
X ; missile flew about {km} km | …합참 "비행거리 약 {km}km"
X ; Japan says it fell outside EEZ | …日 "EEZ 밖 낙하"
L North Korea fired {missile} {dir} {day}, South Korea's Joint Chiefs of Staff (JCS) said. | 북한이 {day} {dir} {missile|을} 발사했다고 합동참모본부가 밝혔다.
L North Korea launched {missile} {dir} {day}, the South's military said, in its latest weapons test. | 합동참모본부는 "북한이 {day} {time} {site} {dir} {missile|을} 발사했다"고 밝혔다.
L North Korea fired {missile} {site} {time} {day}, according to the Joint Chiefs of Staff. | 북한이 {day} {site} {dir} {missile|을} 발사해 군 당국이 세부 제원을 분석하고 있다.
M The missile flew about {km} kilometers after reaching an altitude of {alt} km, the JCS said. | 미사일은 약 {km}㎞를 비행했으며 정점고도는 {alt}㎞ 안팎이었다고 합참은 설명했다.
M It was {gap}. | 이번 발사는 {gap}다.
M "Our military has strengthened surveillance and vigilance in preparation for additional launches while closely sharing information with the US and Japan," the JCS said. | 합참은 "우리 군은 추가 발사에 대비해 감시와 경계를 강화한 가운데 미국, 일본과 관련 정보를 긴밀히 공유하고 있다"고 말했다.
M Japan's defense ministry said nothing appeared to have fallen inside its exclusive economic zone. | 일본 방위성은 미사일이 배타적경제수역(EEZ) 밖에 떨어진 것으로 추정된다고 밝혔다.
M The launch came {context}. | 이번 발사는 {context} 이뤄졌다.
# statement 6 nk SEOUL|서울 : subject label threat quote context = who subject
E {who}'s statement on {subject_h} | {who_t}의 {subject_h} 비난 담화
A Pyongyang's strategy toward Seoul | 북한의 대남 전략 ; the prospects for inter-Korean dialogue | 남북대화 재개 가능성
H {who} slams {subject_h} | 북한 {who}, {subject_h} 비난…"{threat_h}"
H N. Korea's {who} warns of {threat_h} over {subject_h} | {who}, {subject_h} 겨냥 "{threat_h} 불사"
H {who} denounces {subject_h}, vows {threat_h} | 北 {who} "{subject_h}, 대가 치를 것"
X ; says Pyongyang 'will not sit idle' | …"좌시하지 않을 것"
X : KCNA | …대남 비난 수위 높여
L {who}, {who_t}, denounced {subject} {day} as {label}, warning of {threat}. | {who_t|은} {day} 담화를 내고 {subject|을} '{label}'이라고 비난하며 {threat|을} 경고했다.
L In a statement carried by the Korean Central News Agency (KCNA) {day}, {who} vowed {threat} against {subject}. | {who_t|이} {day} 조선중앙통신을 통해 발표한 담화에서 {subject|을} 강하게 비난했다.
L {who} issued a statement {day} criticizing {subject}, saying Pyongyang would not rule out {threat}. | 북한이 {day} {who_t} 명의의 담화를 내고 {subject}에 대해 {threat|을} 예고했다.
M "{quote}," {who_s} said in the statement. | {who_s|은} 담화에서 "{quote}"이라고 주장했다.
M The statement came {context}. | 이번 담화는 {context} 나왔다.
M Seoul's unification ministry said it was regrettable that the North keeps issuing threats instead of responding to calls for dialogue. | 통일부는 북한이 대화 제의에 호응하지 않고 위협을 이어가는 데 대해 유감을 표명했다.
M It was the latest in a series of statements by {who_s} this month. | {who_s|은} 이달 들어 여러 차례 담화를 내고 대남 비난을 이어가고 있다.
# kim 3 nk SEOUL|서울 : kim_site goal aim = kim_site
E Kim Jong-un's visit to {kim_site_h} | 김정은 위원장의 {kim_site_h} 방문
A Pyongyang's economic priorities | 북한의 경제 정책 방향 ; the North's military modernization drive | 북한의 군 현대화 행보
H N. Korea's Kim inspects {kim_site_h} | 김정은, {kim_site_h} 현지지도…"{goal_h}"
H Kim Jong-un visits {kim_site_h}, calls for {goal_h} | 북한 김정은, {kim_site_h} 방문
H N. Korean leader tours {kim_site_h}: KCNA | 김정은, {kim_site_h} 시찰…{goal_h} 강조
X ; daughter Ju-ae accompanies him | …딸 주애 동행
X , says project has 'great significance' | …"커다란 의의"
L North Korean leader Kim Jong-un has visited {kim_site} and called for {goal}, state media reported {day}. | 북한 김정은 국무위원장이 {kim_site|을} 찾아 {goal|을} 강조했다고 조선중앙통신이 {day} 보도했다.
L Kim Jong-un inspected {kim_site}, the Korean Central News Agency (KCNA) said {day}, stressing the need for {goal}. | 조선중앙통신은 {day} 김정은 위원장이 {kim_site|을} 현지지도했다고 전했다.
L The North's leader toured {kim_site} and urged officials to push for {goal}, KCNA reported {day}. | 김정은 국무위원장이 {kim_site|을} 시찰하고 {goal|을} 주문했다고 북한 관영매체가 {day} 밝혔다.
M Kim was accompanied by his daughter, Ju-ae, and senior party officials, KCNA said. | 현장에는 딸 주애와 당 간부들이 동행했다고 통신은 전했다.
M Experts in Seoul said the visit appeared aimed at {aim}. | 전문가들은 이번 방문이 {aim} 의도로 보인다고 분석했다.
M It was Kim's {ord} public appearance this month, according to the unification ministry. | 통일부에 따르면 김 위원장의 공개활동은 이달 들어 {ord}다.
# defector 3 nk SEOUL|서울 : who_d route = who_d route
E the latest defection by a North Korean {who_d} | 북한 {who_d}의 이번 귀순
A security along the inter-Korean border | 접경지역 경계 태세 ; Seoul's policy on defector resettlement | 탈북민 정착 지원 정책
H N. Korean {who_d_h} defects to S. Korea across {route_h} | 북한 {who_d_h}, {route_h} 귀순
H N. Korean {who_d_h} crosses {route_h}, seeks defection: JCS | 합참 "북한 {who_d_h} 귀순…신병 확보"
H Military takes custody of N. Korean {who_d_h} who crossed {route_h} | 북한 {who_d_h} 귀순…올해 {ord}
X , {ord} this year | …"유도 작전으로 신병 확보"
X ; guided by S. Korean troops | …"귀순 의사 밝혀"
L A North Korean {who_d} defected to the South {route} {day}, the Joint Chiefs of Staff said. | 북한 {who_d|이} {day} {route} 귀순했다고 합동참모본부가 밝혔다.
L South Korea's military took into custody a North Korean {who_d} who came {route} {day}, officials said. | 합참은 {day} {route} 남하한 북한 {who_d|을} 신병 확보했다고 밝혔다.
L A North Korean {who_d} made it to the South {route} in the early hours {day} and expressed a wish to defect, the JCS said. | 북한 {who_d|이} {day} 새벽 {route} 귀순 의사를 밝혔다고 군 당국이 전했다.
M The military had tracked the {who_d_h} after detecting movement near the border and carried out a guiding operation, the JCS said. | 군은 접경지역에서 이동 징후를 포착해 감시하다가 유도 작전을 실시했다고 설명했다.
M Authorities plan to investigate the exact circumstances of the defection, including the route taken. | 관계 당국은 귀순 경위와 이동 경로 등을 조사할 예정이다.
M It is the {ord} such defection this year. | 이번 귀순은 올해 들어 {ord} 사례다.
M The defector, believed to be in their {age}s, was unarmed, the JCS said. | 귀순자는 {age}대로 추정되며 비무장 상태였다고 합참은 전했다.
# unification 3 nk SEOUL|서울 : um_act um_aim next = um_act
E the unification ministry's decision to {um_act} | 통일부의 {um_act_h} 결정
A the future of inter-Korean exchanges | 남북교류의 향방 ; Seoul's North Korea policy | 정부의 대북정책
H Unification ministry to {um_act_h} | 통일부, {um_act_h}
H Seoul to {um_act_h} amid frozen inter-Korean ties | 정부, {um_act_h}…남북관계 경색 속 돌파구 모색
H Gov't to {um_act_h}: unification minister | 정동영 "{um_act_h} 추진"
X ; N. Korea yet to respond | …북한은 무반응
X , seeks to lay groundwork for dialogue | …"대화 기반 마련"
L The unification ministry said {day} it will {um_act}, in a move aimed at {um_aim}. | 통일부는 {day} {um_aim|을} 위해 {um_act}했다고 밝혔다.
L South Korea will {um_act}, the unification ministry said {day}, as inter-Korean relations remain frozen. | 정부가 {um_act}했다고 통일부가 {day} 밝혔다.
L Unification Minister Chung Dong-young said {day} the government will {um_act}. | 정동영 통일부 장관은 {day} "정부는 {um_act_h|을} 적극 추진할 것"이라고 말했다.
M North Korea has not responded to Seoul's offers of dialogue since it defined the two Koreas as "two hostile states." | 북한은 남북관계를 '적대적 두 국가'로 규정한 이후 정부의 대화 제의에 호응하지 않고 있다.
M A ministry official told reporters the decision was made after consultations with related agencies. | 통일부 당국자는 관계기관과 협의를 거쳐 이같이 결정했다고 설명했다.
M The ministry plans to announce further details {next}. | 통일부는 {next} 세부 계획을 발표할 예정이다.
M The ministry has set aside {n}0 billion won for the program this year. | 통일부는 올해 관련 예산으로 {n}00억 원을 책정했다.
# abductee 2 nk,jp TOKYO|도쿄 : abd = abd
E Takaichi's latest move on the abduction issue | 다카이치 총리의 이번 납치 문제 관련 행보
A Japan-North Korea relations | 북일 관계 ; Tokyo's diplomacy toward Pyongyang | 일본의 대북 외교
H Japan PM Takaichi {abd_h}, vows to resolve abduction issue | 日 다카이치, {abd_h}…"납치 문제 해결 최우선"
H Japan's Takaichi {abd_h} | 다카이치 日총리, {abd_h}
H Japan PM {abd_h} as abduction issue drags on | 일본 총리 {abd_h}…"모든 피해자 귀국 실현"
X ; N. Korea says issue 'settled' | …北 "이미 해결된 문제"
X , calls it 'top priority' | …"정상회담 조기 실현"
L Japanese Prime Minister Sanae Takaichi {abd} {day}, pledging to bring all the victims home while their parents are still alive. | 다카이치 사나에 일본 총리는 {day} {abd}하고 "모든 피해자의 귀국을 실현하겠다"고 밝혔다.
L Prime Minister Sanae Takaichi {abd} {day} and said resolving the abduction issue remains her government's top priority. | 일본 다카이치 사나에 총리가 {day} {abd}하며 납치 문제 해결이 정권의 최우선 과제라고 강조했다.
L Japan's prime minister {abd} {day}, as families of the victims urged Tokyo to act before time runs out. | 다카이치 총리는 {day} {abd}하고 피해자 부모 세대가 생존해 있는 동안 문제를 해결하겠다고 말했다.
M Japan officially lists 17 citizens as abducted by North Korea in the 1970s and 1980s, five of whom returned home in 2002. | 일본 정부는 1970∼80년대 북한에 납치된 자국민을 17명으로 공식 집계하고 있으며 이 가운데 5명은 2002년 귀국했다.
M North Korea maintains that the issue has already been resolved. | 북한은 납치 문제가 이미 해결됐다는 입장이다.
M Sakie Yokota, whose daughter Megumi was abducted in 1977 at age 13, is the only surviving parent of an abductee. | 1977년 13세 때 납치된 요코타 메구미의 어머니 요코타 사키에 씨는 생존한 유일한 피해자 부모다.
# summit 2 jp SEOUL|서울 : cp venue agenda = cp
E President Lee's summit with {cp_h} | 이 대통령과 {cp_h}의 정상회담
A Seoul's balancing diplomacy | 한국의 균형 외교 ; regional economic cooperation | 역내 경제협력
H Lee, {cp_h} agree to boost cooperation on {agenda_h} | 이 대통령, {cp_h|과} 정상회담…"{agenda_h} 협력 강화"
H Lee holds summit with {cp_h}, discusses {agenda_h} | 이재명·{cp_h}, {agenda_h} 논의
H S. Korea's Lee, {cp_h} hold talks on {agenda_h} | 이 대통령 "{agenda_h} 긴밀히 협력"…{cp_h|과} 회담
X ; agree to hold regular talks | …정례 협의 합의
X : presidential office | …청와대 "의미 있는 진전"
L President Lee Jae-myung held talks with {cp} {venue} {day} and agreed to deepen cooperation on {agenda}, his office said. | 이재명 대통령은 {day} {venue} {cp|과} 정상회담을 하고 {agenda} 분야 협력을 강화하기로 합의했다.
L President Lee Jae-myung and {cp} agreed {day} to strengthen cooperation on {agenda} during their summit {venue}. | 이재명 대통령과 {cp|은} {day} {venue} 회담을 갖고 {agenda}에 관한 협력 방안을 논의했다고 청와대가 밝혔다.
L South Korean President Lee Jae-myung met {cp} {venue} {day} for talks focused on {agenda}, according to Cheong Wa Dae. | 이 대통령은 {day} {venue} {cp|과} 만나 {agenda} 협력을 중심으로 의견을 나눴다.
M The two leaders also exchanged views on the situation on the Korean Peninsula and agreed to keep in close communication, presidential spokesperson Kang Yu-jung said. | 양 정상은 한반도 정세에 대해서도 의견을 교환하고 긴밀히 소통하기로 했다고 강유정 대변인이 전했다.
M It was their {ord} meeting since Lee took office in June last year. | 이 대통령 취임 이후 두 정상의 회담은 이번이 {ord}다.
M The two sides agreed to hold working-level consultations {next} to follow up on the agreements. | 양측은 합의 사항 이행을 위해 {next} 실무 협의를 열기로 했다.
# sanctions 3 nk,jp SEOUL|서울 : sanctioner sanc_reason n = sanctioner sanc_reason
E the new sanctions over {sanc_reason_h} | {sanc_reason_h} 관련 이번 대북 제재
A the effectiveness of sanctions on Pyongyang | 대북 제재의 실효성 ; North Korea's illicit revenue streams | 북한의 불법 자금줄
H {sanctioner_h} sanctions N. Korean individuals, entities over {sanc_reason_h} | {sanctioner_h}, {sanc_reason_h} 관련 대북 독자제재
H {sanctioner_h} slaps sanctions on {n} N. Korea-linked targets over {sanc_reason_h} | {sanctioner_h}, {sanc_reason_h} 겨냥 대북 추가 제재
H {sanctioner_h} imposes new sanctions on N. Korea over {sanc_reason_h} | {sanctioner_h} 대북 제재…"{sanc_reason_h} 차단"
X ; S. Korea welcomes move | …외교부 "환영"
X , including bank officials | …금융기관 관계자 포함
L {sanctioner} imposed sanctions {day} on {n} North Korean individuals and entities over {sanc_reason}. | {sanctioner|은} {day} {sanc_reason}에 관여한 북한 개인·기관 {n}개를 제재 대상으로 지정했다고 밝혔다.
L {sanctioner} announced new sanctions {day} targeting {n} individuals and organizations linked to North Korea's {sanc_reason}. | {sanctioner|은} {day} 북한의 {sanc_reason|과} 관련해 {n}개 대상에 대한 추가 제재를 발표했다.
L {sanctioner} blacklisted {n} people and firms involved in {sanc_reason} {day}, in a fresh move to choke off Pyongyang's revenue. | {sanctioner|이} {day} {sanc_reason}에 연루된 개인과 기관 {n}곳을 제재했다.
M The sanctions freeze any assets the targets hold within the jurisdiction and bar transactions with them. | 제재 대상은 관할권 내 자산이 동결되며 이들과의 거래가 금지된다.
M Officials said the proceeds were used to fund the North's nuclear and missile programs in violation of UN Security Council resolutions. | 당국은 이렇게 벌어들인 자금이 유엔 안보리 결의를 위반해 북한의 핵·미사일 개발에 쓰였다고 설명했다.
M South Korea's foreign ministry welcomed the move, saying it would keep coordinating closely with its partners. | 외교부는 이번 조치를 환영하며 우방국들과 긴밀히 공조해 나가겠다고 밝혔다.
# exports 1 - SEJONG|세종 : exp_item pct pct2 pct4 pct5 bn tb = exp_item
E the latest export data | 이번 수출 실적
A the outlook for South Korea's economy | 한국 경제 전망 ; the impact of US tariffs on exporters | 미국 관세의 수출기업 영향
H S. Korea's exports rise {pct}% in {month} on strong {exp_item_h} sales | {month} 수출 {pct}% 증가…{exp_item_h} 호조
H Exports up {pct}% in {month} as {exp_item_h} shipments surge | 수출 {n}개월 연속 증가…{month} {exp_item_h} 수출 급증
H S. Korea's {month} exports grow for {ord} straight month on {exp_item_h} | {month} 수출 {bn}억달러…{exp_item_h} 견인
X ; trade surplus widens | …무역수지 흑자 확대
X : ministry | …산업부 "증가세 이어갈 것"
L South Korea's exports rose {pct} percent on-year in {month}, driven by robust demand for {exp_item}, government data showed {day}. | 산업통상부는 {day} {month} 수출이 {bn}억 달러로 작년 같은 달보다 {pct}% 증가했다고 밝혔다.
L Outbound shipments climbed {pct} percent from a year earlier to ${bn} billion in {month}, led by {exp_item}, the trade ministry said {day}. | {exp_item} 수요 호조에 힘입어 {month} 수출이 전년 동월 대비 {pct}% 늘었다고 정부가 {day} 발표했다.
L South Korea's exports extended their growth streak in {month} as shipments of {exp_item} jumped {pct2} percent, data showed {day}. | 한국의 {month} 수출이 {exp_item} 수출 급증에 힘입어 증가세를 이어갔다고 산업부가 {day} 밝혔다.
M Imports fell {pct4} percent, resulting in a trade surplus of ${tb} billion, the ministry said. | 수입은 {pct4}% 감소해 무역수지는 {tb}억 달러 흑자를 기록했다.
M Exports to China, the country's largest trading partner, rose {pct5} percent, while those to the United States edged down. | 최대 교역국인 중국으로의 수출은 {pct5}% 늘었고 미국 수출은 소폭 감소했다.
M The ministry said it expects the upward trend to continue, although uncertainties over US tariff policy remain. | 산업부는 미국 관세 정책 등 불확실성이 남아 있지만 증가세가 이어질 것으로 내다봤다.
# market 1 re SEOUL|서울 : mkt driver kospi pts chg fx = mkt driver
E the KOSPI's latest swing | 이번 코스피 등락
A the direction of foreign investment flows | 외국인 수급 향방 ; the won's weakness against the dollar | 원화 약세 흐름
H Seoul shares {mkt_h} on {driver_h} | 코스피, {driver_h} 속 {mkt_h}
H S. Korean stocks {mkt_h} on {driver_h} | 코스피 {kospi}로 {mkt_h}
H Seoul shares {mkt_h} for {ord} straight session | [마감시황] 코스피, {driver_h}에 {mkt_h}
X ; won closes at {fx} | …원/달러 환율 {fx}원
X , KOSPI at {kospi} | …외국인 순매수 전환
L South Korean stocks {mkt} {day} as {driver}. | 코스피가 {day} {driver} 속에 {mkt}.
L Seoul shares {mkt} {day}, as {driver}, with the KOSPI ending at {kospi}. | {day} 유가증권시장에서 코스피는 {driver} 속에 {kospi}로 {mkt}.
L The KOSPI {mkt} {day} as {driver}, extending a volatile run this week. | {driver} 속에 코스피가 {day} {kospi}에 {mkt}.
M The benchmark Korea Composite Stock Price Index (KOSPI) {mkt_v} {pts} points, or {chg} percent, to close at {kospi}. | 코스피는 전 거래일보다 {pts}포인트({chg}%) {mkt_v} {kospi}에 장을 마쳤다.
M Trading value was moderate at about {tril} trillion won. | 이날 거래대금은 약 {tril}조원이었다.
M The local currency closed at {fx} won against the US dollar. | 서울 외환시장에서 원/달러 환율은 {fx}원에 마감했다.
# weather 4 re SEOUL|서울 : region wx until = region wx
H KMA issues {wx_h} for {region_h} | 기상청, {region_h}에 {wx_h} 발효
H {wx_h} in effect for {region_h} | {region_h} {wx_h}…"외출 자제"
H Weather agency issues {wx_h} for {region_h}, urges caution | {region_h}에 {wx_h} 발령
X ; conditions to last {until} | …{until} 이어질 듯
X , some flights delayed | …항공편 일부 지연
L The Korea Meteorological Administration (KMA) issued {wx} for {region} {day}, urging residents to take precautions. {wx_note} | 기상청은 {day} {region}에 {wx|을} 발령했다고 밝혔다. {wx_note}
L The state weather agency said {day} that {wx} had been in effect since {hour} for {region}. {wx_note} | {day} {hour}를 기해 {region}에 {wx|이} 발효됐다. {wx_note}
L Residents of {region} were placed under {wx} {day}, the weather agency said. {wx_note} | 기상청은 {region}에 {wx|을} 내리고 주민들에게 피해 예방에 유의해달라고 {day} 당부했다. {wx_note}
M The agency said the conditions are expected to last {until}. | 이 같은 기상 상황은 {until} 이어질 것으로 예보됐다.
M Authorities advised people to refrain from outdoor activities and to check traffic updates. | 당국은 야외 활동을 자제하고 교통 정보를 확인할 것을 당부했다.
M Some flights at Gimpo and Jeju airports were delayed, according to the Korea Airports Corp. | 한국공항공사에 따르면 김포와 제주공항의 일부 항공편이 지연됐다.
# sports 8 - SEOUL|서울 : player sc nth spq place = player nth
E {player}'s latest performance | {player}의 이번 활약
A South Korean players' form abroad | 해외파 선수들의 활약
H {player} {sv} {nth} {sport} of season in {team_h} win | {player}, 시즌 {nth}호 {sport}…{team_h} {sc} 승리
H {player} {sv} {nth} {sport} for {team_h} | {team_h} {player}, {nth}호 {sport} 폭발
H {player}'s {nth} {sport} of season lifts {team_h} to {sc} win | '{nth}호 {sport}' {player}, 팀 승리 견인
X ; team wins {sc} | …팀 {sc} 승리
X , coach hails performance | …감독 "훌륭한 활약"
L {player} {svp} his {nth} {sport} of the season {day} to help {team} to a {sc} victory. | {player|이} {day} 시즌 {nth}호 {sport|을} 기록하며 {team}의 {sc} 승리에 힘을 보탰다.
L {team} won {sc} {day}, with South Korean star {player} contributing his {nth} {sport} of the season. | {team|이} {day} {sc|로} 승리한 가운데 {player|은} 시즌 {nth}호 {sport|을} 터뜨렸다.
L South Korea's {player} {svp} his {nth} {sport} of the season in a {sc} win for {team} {day}. | {player|은} {day} 경기에서 시즌 {nth}호 {sport|을} 터뜨려 팀의 {sc} 승리를 이끌었다.
M It was his first {sport} in {n} games. | {player|은} {n}경기 만에 {sport|을} 추가했다.
M "{spq}," {player} told reporters after the game. | {player|은} 경기 후 "{spq}"고 말했다.
M The win lifted {team} to {place} in the standings. | {team|은} 이번 승리로 {place}에 올랐다.
# kpop 7 - SEOUL|서울 : group kpop = group kpop
E {group}'s latest milestone | {group}의 이번 성과
A K-pop's global reach | K팝의 글로벌 영향력
H {group} {kpop_h} | 그룹 {group}, {kpop_h}
H K-pop group {group} {kpop_h} | {group} {kpop_h}…"팬들에게 감사"
H {group} {kpop_h}, agency says | K팝 그룹 {group}, {kpop_h}
X ; fans celebrate online | …"팬들 덕분"
X : agency | …소속사 "감사"
L K-pop group {group} {kpop} {day}, its management agency said. | 그룹 {group|이} {day} {kpop}했다고 소속사가 밝혔다.
L {group} {kpop} {day}, adding to the act's string of achievements this year. | {group|은} {day} {kpop}하며 올해 잇따른 성과를 이어갔다.
L Popular K-pop act {group} {kpop} {day}, according to its agency. | 소속사에 따르면 {group|은} {day} {kpop}했다.
M The group's previous album sold more than {n} million copies, according to Hanteo Chart. | {group}의 전작 앨범은 한터차트 기준 {n}00만 장 이상 판매됐다.
M The group is set to hold a fan meeting in Seoul {next}. | {group|은} {next} 서울에서 팬미팅을 열 예정이다.
M Fans flooded social media with congratulatory messages after the news. | 소식이 전해진 뒤 소셜미디어에는 팬들의 축하 메시지가 이어졌다.
# court 7 - SEOUL|서울 : defendant crime court yrs yrs2 = defendant crime
E the ruling against the {defendant_h} | {defendant_h} 판결
A public trust in the judiciary | 사법부 신뢰
H Court sentences {defendant_h} to {yrs} years in prison for {crime_h} | {defendant_h}, {crime_h} 혐의 1심서 징역 {yrs}년
H {defendant_h} gets {yrs}-year prison term for {crime_h} | 법원, '{crime_h}' {defendant_h}에 징역 {yrs}년 선고
H {defendant_h} sentenced to {yrs} years over {crime_h} | '{crime_h}' {defendant_h} 징역 {yrs}년…"반성 없어"
X ; defense vows appeal | …변호인 "항소할 것"
X , taken into custody | …법정구속
L {court} sentenced {defendant} to {yrs} years in prison {day} on charges of {crime}. | {court|은} {day} {crime} 혐의로 기소된 {defendant}에게 징역 {yrs}년을 선고했다.
L {defendant} was sentenced to {yrs} years in prison {day} for {crime}, in a ruling by {court}. | {crime} 혐의로 재판에 넘겨진 {defendant|이} {day} 1심에서 징역 {yrs}년을 선고받았다.
L {court} handed down a {yrs}-year prison term to {defendant} {day} after finding the defendant guilty of {crime}. | {day} {court|은} {defendant}의 {crime} 혐의를 유죄로 인정하고 징역 {yrs}년을 선고했다.
M Prosecutors had sought {yrs2} years in prison. | 앞서 검찰은 징역 {yrs2}년을 구형했다.
M The court found the defendant guilty of {crime_d}. | 재판부는 피고인이 {crime_d} 혐의를 유죄로 인정했다.
M The court said the defendant "showed no remorse" and had undermined public trust. | 재판부는 "피고인이 반성하는 태도를 보이지 않았다"며 공적 신뢰를 훼손했다고 지적했다.
M The defense said it would appeal the ruling. | 변호인 측은 판결에 불복해 항소하겠다는 입장을 밝혔다.
# politics 7 - SEOUL|서울 : party pol pol_aim pct3 = party pol
E {party_h}'s latest move | {party_h}의 이번 행보
A the race for the June local elections | 6·3 지방선거 판세
H {party_h} {pol_h} | {party_h}, {pol_h}
H {party_h} {pol_h} ahead of June local elections | {party_h}, {pol_h}…6·3 지방선거 채비
H {party_h} {pol_h} in bid to woo swing voters | {party_h} {pol_h}…{pol_aim} 포석
X ; rival party calls it 'political show' | …상대 당 "정치쇼"
X : spokesperson | …대변인 "조만간 세부안"
L {party} {pol} {day}, as parties gear up for the June 3 local elections. | {party|은} {day} {pol}했다.
L {party} {pol} {day}, in a move seen as aimed at {pol_aim}. | 6·3 지방선거를 앞두고 {party|이} {day} {pol}했다.
L {party} {pol} {day} following a meeting of its leadership. | {party|은} {day} 지도부 회의를 거쳐 {pol}했다.
M The rival party dismissed the move as "a political show." | 상대 당은 이를 "정치쇼"라고 평가절하했다.
M A recent Gallup Korea poll put the party's approval rating at {pct3} percent. | 최근 한국갤럽 조사에서 {party_h} 지지율은 {pct3}%였다.
M Party officials said details would be finalized {next}. | 당 관계자는 {next} 세부 내용을 확정할 것이라고 말했다.
# drills 3 nk,re SEOUL|서울 : drill n troops = drill
E the allies' {drill_h} | 이번 한미 {drill_h}
A the allies' deterrence posture | 한미 연합 억제태세
H S. Korea, US stage {drill_h} | 한미, {drill_h} 실시
H S. Korea, US kick off {drill_h} amid N. Korean threats | 한미 {drill_h}…北 위협 대응 태세 점검
H Allies hold {drill_h}: JCS | 합참 "한미, {drill_h} 돌입"
X ; N. Korea warns of response | …北 "대응 조치" 위협
X , to run for {n} days | …{n}일간 진행
L South Korea and the United States staged {drill} {day}, the Joint Chiefs of Staff said. | 한미 양국 군이 {day} {drill|을} 실시했다고 합동참모본부가 밝혔다.
L The militaries of South Korea and the US kicked off {drill} {day} to bolster their combined readiness against North Korean threats. | 한미 군 당국은 {day} 북한 위협에 대비한 연합 대비태세를 강화하기 위해 {drill|을} 시작했다.
L South Korean and US forces conducted {drill} {day} in a show of force amid heightened tensions with Pyongyang. | 한국과 미국 군이 {day} {drill|을} 벌이며 대북 억제력을 과시했다.
M The exercise will run for {n} days and involve some {troops} troops, the JCS said. | 이번 훈련은 {n}일간 진행되며 장병 {troops}여 명이 참가한다고 합참은 설명했다.
M North Korea has denounced such drills as rehearsals for an invasion. | 북한은 그동안 한미연합훈련을 '북침 전쟁 연습'이라고 비난해왔다.
M The military said the drills are defensive in nature. | 군은 이번 훈련이 방어적 성격이라고 강조했다.
# business 5 - SEOUL|서울 : firm biz chg = biz
E {firm_h}'s announcement | {firm_h}의 이번 발표
A competition in the global chip and battery industries | 글로벌 반도체·배터리 경쟁
H {firm_h} {biz_h} | {firm_h}, {biz_h}
H {firm_h} {biz_h} amid AI boom | {firm_h} {biz_h}…AI 수요 대응
H {firm_h} {biz_h}: company | {firm_h} "{biz_h}"…글로벌 경쟁력 강화
X ; shares rise {chg}% | …주가 {chg}% 상승
X , first in {n} years | …{n}년 만에 최대
L {firm} said {day} it {biz}. | {firm|은} {day} {biz}고 밝혔다.
L {firm} said {day} it {biz}, as it seeks to ride booming demand for AI. | {firm|이} {day} 공시를 통해 {biz}고 발표했다.
L In a regulatory filing {day}, {firm} said it {biz}. | AI 수요 확대에 대응해 {firm|이} {biz}고 {day} 밝혔다.
M Shares of {firm} rose {chg} percent on the main bourse following the announcement. | 발표 이후 {firm} 주가는 유가증권시장에서 {chg}% 올랐다.
M The company said the move would help strengthen its competitiveness in the global market. | 회사 측은 이번 결정으로 글로벌 시장에서 경쟁력을 강화할 수 있을 것이라고 설명했다.
M Industry watchers expect the deal to boost the company's earnings later this year. | 업계에서는 하반기 실적 개선에 도움이 될 것으로 내다봤다.
# quake 2 jp,re TOKYO|도쿄 : jp_place mag shindo = jp_place
H M{mag} quake strikes off {jp_place}, no tsunami threat | 日 {jp_place} 앞바다서 규모 {mag} 지진…"쓰나미 우려 없어"
H Strong quake jolts {jp_place}; no tsunami warning issued | 일본 {jp_place}서 규모 {mag} 강진…피해 확인 중
H Magnitude {mag} earthquake hits {jp_place} | 日 {jp_place} 규모 {mag} 지진
X ; no immediate reports of damage | …신칸센 일부 운행 중단
X , bullet train services suspended | …"원전 이상 없어"
L An earthquake with a preliminary magnitude of {mag} struck off {jp_place} {day}, the Japan Meteorological Agency said. | 일본 기상청은 {day} {jp_place} 앞바다에서 규모 {mag}의 지진이 발생했다고 밝혔다.
L A magnitude-{mag} earthquake jolted {jp_place} {time} {day}, registering {shindo} on Japan's seismic intensity scale of 7. | {day} {time} 일본 {jp_place}에서 규모 {mag}의 지진이 일어나 최대 진도 {shindo}의 흔들림이 관측됐다.
L A strong earthquake of magnitude {mag} hit {jp_place} {day}, but no tsunami warning was issued, according to the weather agency. | 일본 {jp_place} 일대에서 {day} 규모 {mag}의 강한 지진이 발생했으나 쓰나미 경보는 발령되지 않았다.
M The quake's focus was about {depth} kilometers deep, the agency said. | 진원의 깊이는 약 {depth}㎞로 관측됐다.
M There were no immediate reports of injuries or damage, the Fire and Disaster Management Agency said. | 총무성 소방청은 현재까지 인명 피해나 건물 손상 보고는 없다고 밝혔다.
M East Japan Railway Co. temporarily suspended some bullet train services for safety checks. | JR동일본은 안전 점검을 위해 일부 신칸센 운행을 일시 중단했다.
M The Nuclear Regulation Authority said no abnormalities were detected at nuclear plants in the region. | 원자력규제위원회는 지역 내 원전에서 이상이 발견되지 않았다고 밝혔다.
# _analysis 0 - SEOUL|서울
H Questions over {angle} after {event} | {event}…{angle} 시험대
H {event}: what it means for {angle} | {event|이} {angle}에 남긴 과제
H Spotlight on {angle} after {event} | {event|으로} 본 {angle}
L Debate over {angle} has been renewed after {event} {day}, with experts divided on what comes next. | {day} {event|을} 계기로 {angle}에 대한 논란이 다시 불붙고 있다.
L Analysts say {event} could have lasting implications for {angle}. | 전문가들은 {event|이} {angle}에 장기적인 영향을 미칠 수 있다고 분석한다.
L Observers say {event} has put {angle} back in the spotlight. | {event|은} {angle}에 대한 관심을 다시 환기시켰다는 평가가 나온다.
M Some experts said the development was largely expected and warned against overinterpreting it. | 일부 전문가들은 이번 일이 대체로 예상된 수순이라며 과잉 해석을 경계했다.
M Others said a more proactive approach is needed. | 보다 적극적인 대응이 필요하다는 지적도 나온다.
M The picture may become clearer in the coming weeks, they added. | 향후 몇 주 안에 윤곽이 드러날 것이라는 관측이 나온다.
$ missile missile_h = a short-range ballistic missile|단거리탄도미사일(SRBM) 1발|ballistic missile|탄도미사일
two short-range ballistic missiles|단거리탄도미사일 2발|2 ballistic missiles|탄도미사일 2발 ; three short-range ballistic missiles|단거리탄도미사일 3발|3 SRBMs|단거리탄도미사일 3발
several short-range ballistic missiles|단거리탄도미사일 여러 발|multiple ballistic missiles|탄도미사일 여러 발
an intermediate-range ballistic missile|중거리탄도미사일(IRBM) 1발|IRBM|중거리탄도미사일 ; an intercontinental ballistic missile|대륙간탄도미사일(ICBM) 1발|ICBM|ICBM
a suspected hypersonic missile|극초음속 추정 미사일 1발|hypersonic missile|극초음속 미사일 ; several cruise missiles|순항미사일 여러 발|cruise missiles|순항미사일 여러 발
a submarine-launched ballistic missile|잠수함발사탄도미사일(SLBM) 1발|SLBM|SLBM ; an unidentified ballistic missile|미상 탄도미사일 1발|ballistic missile|미상 탄도미사일
$ dir dir_h site
into the East Sea|동해상으로|into East Sea|동해상으로|from the Sunan area of Pyongyang|평양 순안 일대에서
into the East Sea|동해상으로|into East Sea|동해상으로|from near Wonsan, Kangwon Province|강원도 원산 일대에서
toward the East Sea|동해상으로|toward East Sea|동해 방향으로|from the Sinpo area, South Hamgyong Province|함경남도 신포 일대에서
off its east coast|동해안 쪽으로|off east coast|동해안 쪽으로|from the Hamhung area|함경남도 함흥 일대에서
into the Yellow Sea|서해상으로|into Yellow Sea|서해상으로|from Jangyon County, South Hwanghae Province|황해남도 장연군 일대에서
into the Yellow Sea|서해상으로|into Yellow Sea|서해상으로|from Tongchang-ri, North Phyongan Province|평안북도 동창리 일대에서
$ gap gap_h = the North's first ballistic missile launch in about two months|약 두 달 만의 탄도미사일 발사|1st launch in 2 months|두 달 만에 도발
the North's first ballistic missile launch in three months|석 달 만의 탄도미사일 발사|1st launch in 3 months|석 달 만에 도발
the North's second launch this month|이달 들어 두 번째 발사|2nd launch this month|이달 두 번째
the North's third missile launch this year|올해 들어 세 번째 미사일 발사|3rd launch this year|올해 세 번째
the North's first launch in nearly five months|약 다섯 달 만의 발사|1st in 5 months|다섯 달 만에 도발
$ context = days after South Korea and the United States wrapped up their springtime Freedom Shield exercise|한미 연합연습 '자유의 방패'(FS)가 끝난 지 며칠 만에
a day after Pyongyang slammed a trilateral air drill involving US strategic bombers|북한이 미 전략폭격기가 참여한 한미일 공중훈련을 비난한 지 하루 만에
as the US secretary of state was visiting Seoul|미국 국무장관의 방한 일정 중에 ; ahead of a key party meeting in Pyongyang later this month|이달 하순 노동당 주요 회의를 앞두고
amid stalled diplomacy between Pyongyang and Washington|북미 대화가 교착 상태인 가운데
$ who who_t who_s = Kim Yo-jong|김여정|the powerful younger sister of leader Kim Jong-un|김정은 국무위원장의 여동생인 김여정 노동당 부부장|Kim|김 부부장
Choe Son-hui|최선희|North Korea's foreign minister|최선희 북한 외무상|Choe|최 외무상
Pak Jong-chon|박정천|a vice chairman of the ruling party's Central Military Commission|박정천 노동당 중앙군사위원회 부위원장|Pak|박 부위원장
No Kwang-chol|노광철|North Korea's defense minister|노광철 북한 국방상|No|노 국방상
Kim Yong-bok|김영복|a vice chief of the Korean People's Army general staff|김영복 조선인민군 부총참모장|Kim|김 부총참모장
$ subject subject_h = the South Korea-US joint military drills|한미연합훈련|S. Korea-US drills|한미연합훈련
Japan's push to expand its defense capabilities|일본의 방위력 증강 움직임|Japan's defense buildup|일본 방위력 증강
a UN resolution on North Korea's human rights|유엔의 북한인권 결의안|UN human rights resolution|유엔 북한인권 결의
the arrival of a US aircraft carrier in Busan|미 항공모함의 부산 입항|US carrier visit|미 항모 부산 입항
anti-Pyongyang leaflets sent by activists in the South|탈북민 단체의 대북전단 살포|leaflet launches|대북전단 살포
trilateral security cooperation among Seoul, Washington and Tokyo|한미일 안보협력|trilateral security pact|한미일 안보협력
a G7 statement calling for the North's denuclearization|북한 비핵화를 촉구한 주요7개국(G7) 성명|G7 denuclearization call|G7 비핵화 성명
US strategic bomber flights over the peninsula|미 전략폭격기의 한반도 전개|US bomber flights|미 전략폭격기 전개
$ label = a rehearsal for invasion|북침 전쟁 연습 ; a reckless provocation|무모한 도발 ; an open declaration of confrontation|노골적인 대결 선언
a grave threat to regional peace|지역 평화에 대한 중대한 위협
$ threat threat_h = an overwhelming response|압도적인 대응|'overwhelming' response|압도적 대응
countermeasures of a different level|차원이 다른 대응 조치|'different level' countermeasures|차원 다른 대응 ; strong countermeasures|강력한 대응 조치|strong countermeasures|강력 대응
corresponding military action|상응하는 군사적 행동|military action|군사 행동
$ quote = We will never sit idle in the face of the enemies' reckless military moves|우리는 적들의 무모한 군사적 움직임을 절대로 좌시하지 않을 것
Those who chose confrontation will pay a dear price|대결을 선택한 자들은 값비싼 대가를 치르게 될 것 ; The puppet forces will have to bear all the consequences|모든 후과는 괴뢰들이 감당해야 할 것
We will closely watch every move of the enemies|적들의 일거수일투족을 예의주시할 것
$ kim_site kim_site_h = a munitions factory producing artillery shells|포탄을 생산하는 군수공장|munitions factory|군수공장
a newly built greenhouse farm in Ryonpho|새로 건설된 연포온실농장|greenhouse farm|온실농장
the launch ceremony of a new naval destroyer in Nampho|남포에서 열린 신형 구축함 진수식|destroyer launch|구축함 진수식
a regional factory built under his rural development policy|지방발전정책에 따라 건설된 지방공업공장|regional factory|지방공업공장
an artillery firing drill by frontline units|전선부대의 포사격 훈련|artillery drill|포사격 훈련
a newly built general hospital in Pyongyang|새로 지은 평양종합병원|Pyongyang hospital|평양종합병원 ; a missile production base|미사일 생산기지|missile plant|미사일 생산기지
a new housing district under construction in Pyongyang|평양의 신규 살림집 건설 현장|housing project|살림집 건설 현장
$ goal goal_h = a rapid expansion of production|생산 능력의 급속한 확대|production boost|생산 확대 ; stronger war deterrence|전쟁억제력 강화|stronger deterrence|전쟁억제력 강화
finishing the project within the year|연내 공사 완공|completion this year|연내 완공 ; improving people's living standards|인민생활 향상|better living standards|인민생활 향상
$ aim = shoring up internal unity ahead of a key party meeting|주요 당 회의를 앞두고 내부 결속을 다지려는
showcasing military readiness amid tensions with Seoul|남측과의 긴장 속에 군사적 준비태세를 과시하려는 ; highlighting economic achievements|경제 성과를 부각하려는
$ ord = second|두 번째 ; third|세 번째 ; fourth|네 번째 ; fifth|다섯 번째
$ next = next week|다음 주 ; later this month|이달 중 ; early next month|다음 달 초
$ who_d who_d_h = soldier|군인|soldier|군인 ; man|남성|man|남성 ; woman|여성|woman|여성 ; family of four|일가족 4명|family of 4|일가족 4명 ; fisherman|어민|fisherman|어민
$ route route_h = across the central section of the inter-Korean border|중부전선 군사분계선(MDL)을 넘어|MDL|군사분계선 넘어
by boat across the Yellow Sea border|배를 타고 서해 북방한계선(NLL)을 넘어|sea border|서해 NLL 넘어
across the eastern section of the border|동부전선 군사분계선을 넘어|eastern border|동부전선 넘어
by wooden boat across the East Sea border|목선을 타고 동해 북방한계선을 넘어|East Sea border|동해 NLL 넘어
$ um_act um_act_h = approve the release of a report on North Korea's human rights situation|북한인권보고서 공개를 결정|release N. Korea human rights report|북한인권보고서 공개
allow civic groups to send humanitarian aid to North Korea|민간단체의 대북 인도적 지원 물자 반출을 승인|approve civilian aid shipments to N. Korea|대북 인도지원 반출 승인
launch a task force to prepare for the resumption of inter-Korean talks|남북회담 재개 준비를 위한 태스크포스(TF) 출범을 결정|launch task force on inter-Korean talks|남북회담 TF 출범
expand support for separated families seeking reunions|이산가족 상봉 지원 확대 방안을 마련|expand support for separated families|이산가족 지원 확대
host an international forum on peace on the Korean Peninsula|한반도 평화 국제포럼 개최를 결정|host peace forum|한반도 평화포럼 개최
resume processing requests for contact with North Koreans|북한 주민 접촉 신고 수리 재개를 결정|resume approving contact with N. Koreans|대북 접촉 승인 재개
publish its annual white paper on unification policy|통일백서 발간을 결정|publish unification white paper|통일백서 발간
$ um_aim = easing tensions with Pyongyang|북한과의 긴장 완화 ; laying the groundwork for dialogue|대화의 기반 마련 ; raising public awareness at home and abroad|국내외 관심 제고
$ abd abd_h = met relatives of Japanese nationals abducted by North Korea|북한에 의한 일본인 납치 피해자 가족들을 면담|meets abductees' families|납치 피해자 가족 면담
said she is ready to hold a summit with Kim Jong-un|김정은 국무위원장과의 정상회담 용의를 표명|says ready for summit with Kim|북일 정상회담 용의 표명
attended a rally calling for the return of the abductees|납치 피해자 귀국을 촉구하는 집회에 참석|attends rally for abductees|납치 피해자 집회 참석
asked US officials for cooperation on the abduction issue|미국 당국자들에게 납치 문제 해결을 위한 협력을 요청|seeks US help on abductions|美에 납치 문제 협력 요청
held talks on the abduction issue with South Korea's president by phone|이재명 대통령과 전화 통화를 하고 납치 문제 협력을 논의|discusses abductions with Lee|이 대통령과 납치 문제 논의
met the new head of the abductees' families association|납치 피해자 가족회 신임 대표를 면담|meets new head of families group|납치 피해자 가족회 대표 면담
$ cp cp_h = Japanese Prime Minister Sanae Takaichi|다카이치 사나에 일본 총리|Japan's Takaichi|日 다카이치 ; Chinese President Xi Jinping|시진핑 중국 국가주석|China's Xi|시진핑
US President Donald Trump|도널드 트럼프 미국 대통령|Trump|트럼프 ; Australian Prime Minister Anthony Albanese|앤서니 앨버니지 호주 총리|Australia's Albanese|앨버니지
German Chancellor Friedrich Merz|프리드리히 메르츠 독일 총리|Germany's Merz|메르츠 ; UK Prime Minister Keir Starmer|키어 스타머 영국 총리|Britain's Starmer|스타머
Canadian Prime Minister Mark Carney|마크 카니 캐나다 총리|Canada's Carney|카니 ; Vietnamese President Luong Cuong|르엉끄엉 베트남 국가주석|Vietnam's Luong Cuong|르엉끄엉
Indonesian President Prabowo Subianto|프라보워 수비안토 인도네시아 대통령|Indonesia's Prabowo|프라보워
$ venue = in Seoul|서울에서 ; in Tokyo|도쿄에서 ; in Gyeongju|경주에서 ; in Washington|워싱턴에서
on the sidelines of a regional summit in Kuala Lumpur|쿠알라룸푸르에서 열린 지역 정상회의를 계기로
$ agenda agenda_h = supply chains and economic security|공급망과 경제안보|supply chains|공급망 ; North Korea's nuclear program|북핵 대응|N. Korea nukes|북핵 공조
shipbuilding|조선업|shipbuilding|조선 ; trade and tariffs|통상·관세|tariffs|관세 ; AI and semiconductors|인공지능(AI)·반도체|AI, chips|AI·반도체
$ sanctioner sanctioner_h = the US Treasury Department|미국 재무부|US|美 ; Japan|일본 정부|Japan|日 ; the European Union|유럽연합(EU)|EU|EU ; South Korea|한국 정부|S. Korea|정부
$ sanc_reason sanc_reason_h = cryptocurrency theft to fund weapons programs|무기 개발 자금 마련을 위한 가상화폐 탈취|crypto theft|가상화폐 탈취
arms transfers to Russia|러시아에 대한 무기 이전|arms deals with Russia|북러 무기거래 ; illicit oil transfers at sea|해상 불법 유류 환적|ship-to-ship oil transfers|불법 환적
dispatch of IT workers abroad|해외 정보기술(IT) 인력 파견|IT worker schemes|IT 인력 파견
$ exp_item exp_item_h = semiconductors|반도체|chip|반도체 ; automobiles|자동차|auto|자동차 ; ships|선박|ship|선박 ; petrochemical products|석유화학 제품|petrochemical|석유화학
$ mkt mkt_h mkt_v = closed higher|상승 마감했다|close higher|상승 마감|gained|올라 ; closed lower|하락 마감했다|close lower|하락 마감|lost|내려
ended sharply higher|급등 마감했다|end sharply higher|급등 마감|jumped|급등해 ; ended sharply lower|급락 마감했다|end sharply lower|급락 마감|tumbled|급락해
$ driver driver_h = foreign investors scooped up chip shares|외국인의 반도체주 매수세|foreign buying of chip shares|외국인 반도체 매수
investors awaited the US Federal Reserve's rate decision|미국 연방준비제도(Fed)의 금리 결정을 앞둔 관망세|Fed caution|Fed 관망
tech shares rallied on AI optimism|AI 기대감에 따른 기술주 강세|AI optimism|AI 기대감 ; worries over US tariffs weighed on sentiment|미국 관세 우려|tariff worries|관세 우려
institutions dumped auto and battery shares|기관의 자동차·2차전지주 매도세|institutional selling|기관 매도
$ wx wx_h wx_note
a cold wave advisory|한파주의보|cold wave advisory|한파주의보|Morning lows are forecast to fall to minus {deg} C in some areas.|일부 지역의 아침 최저기온은 영하 {deg}도까지 떨어질 것으로 예보됐다.
a heavy snow advisory|대설주의보|heavy snow advisory|대설주의보|Up to {cm} centimeters of snow is forecast through the night.|밤사이 최대 {cm}㎝의 눈이 내릴 것으로 예보됐다.
a yellow dust warning|황사경보|yellow dust warning|황사경보|Fine dust concentrations rose above {pm} micrograms per cubic meter.|미세먼지 농도는 세제곱미터당 {pm}㎍을 넘어섰다.
a strong wind advisory|강풍주의보|strong wind advisory|강풍주의보|Gusts of up to {ms} meters per second are expected.|순간 풍속 초속 {ms}m의 강풍이 불 것으로 예상된다.
a dry weather advisory|건조주의보|dry weather advisory|건조주의보|Humidity has stayed below {hum} percent for days, raising the risk of wildfires.|습도가 며칠째 {hum}% 아래에 머물러 산불 위험이 커졌다.
$ region region_h = Seoul and parts of Gyeonggi Province|서울과 경기 일부 지역|Seoul, Gyeonggi|서울·경기 ; the eastern province of Gangwon|강원 지역|Gangwon|강원
the southern island of Jeju|제주|Jeju|제주 ; North and South Chungcheong provinces|충청 남북도|Chungcheong|충청 ; the southeastern city of Busan|부산|Busan|부산
$ until = until early next week|다음 주 초까지 ; through the weekend|주말까지 ; for at least two days|최소 이틀간
$ player team team_h sport sv svp = Son Heung-min|손흥민|Los Angeles FC|LAFC|LAFC|LAFC|goal|골|scores|득점|scored|득점
Lee Kang-in|이강인|Paris Saint-Germain|파리 생제르맹|PSG|PSG|goal|골|scores|득점|scored|득점 ; Hwang Hee-chan|황희찬|Wolverhampton|울버햄프턴|Wolves|울버햄프턴|goal|골|scores|득점|scored|득점
Oh Hyeon-gyu|오현규|Genk|헹크|Genk|헹크|goal|골|nets|득점|netted|득점 ; Lee Jung-hoo|이정후|the San Francisco Giants|샌프란시스코 자이언츠|Giants|샌프란시스코|home run|홈런|hits|홈런|hit|홈런
Kim Hye-seong|김혜성|the Los Angeles Dodgers|LA 다저스|Dodgers|다저스|home run|홈런|belts|홈런|belted|홈런 ; Lee Jae-sung|이재성|Mainz|마인츠|Mainz|마인츠|goal|골|scores|득점|scored|득점
Yang Hyun-jun|양현준|Celtic|셀틱|Celtic|셀틱|goal|골|nets|득점|netted|득점 ; Song Seong-mun|송성문|the San Diego Padres|샌디에이고 파드리스|Padres|샌디에이고|home run|홈런|hits|홈런|hit|홈런
Kim Ha-seong|김하성|the Atlanta Braves|애틀랜타 브레이브스|Braves|애틀랜타|home run|홈런|smacks|홈런|smacked|홈런
$ spq = I'm happy I could help the team win|팀 승리에 도움이 돼 기쁘다 ; I just tried to stay focused on every play|매 순간 집중하려고 노력했을 뿐이다
The fans gave me a lot of energy today|오늘 팬들이 큰 힘을 줬다
$ place = second place|2위 ; third place|3위 ; the top spot|선두
$ group = BTS|방탄소년단(BTS) ; BLACKPINK|블랙핑크 ; Stray Kids|스트레이 키즈 ; SEVENTEEN|세븐틴 ; aespa|에스파 ; IVE|아이브 ; ATEEZ|에이티즈 ; TWICE|트와이스 ; ILLIT|아일릿 ; ENHYPEN|엔하이픈
$ kpop kpop_h = released its new album, "{album},"|새 앨범 '{album}'을 발매하고 컴백|returns with new album '{album}'|새 앨범 '{album}'으로 컴백
debuted at No. {n} on the Billboard 200 albums chart|빌보드 메인 앨범 차트 '빌보드 200'에 {n}위로 진입|debuts at No. {n} on Billboard 200|빌보드 200 {n}위 진입
announced a world tour spanning {n}0 cities|{n}0개 도시 월드투어 개최를 발표|announces {n}0-city world tour|{n}0개 도시 월드투어 발표
won a main prize at the {award}|{award}에서 본상을 수상|wins main prize at {award}|{award} 본상
surpassed 1 billion YouTube views with a music video|뮤직비디오로 유튜브 조회수 10억 회를 돌파|music video tops 1 bln YouTube views|MV 유튜브 10억뷰 돌파
$ album = Blue Moon|Blue Moon ; Summer Rain|Summer Rain ; Neon Dream|Neon Dream ; Crimson Heaven|Crimson Heaven ; Paper Plane|Paper Plane
Wild Bloom|Wild Bloom ; Midnight Train|Midnight Train ; Velvet Dream|Velvet Dream ; Silver Lining|Silver Lining ; Moonlight Garden|Moonlight Garden
Starlight Ocean|Starlight Ocean
$ award = Seoul Music Awards|서울가요대상 ; Golden Disc Awards|골든디스크어워즈 ; MAMA Awards|마마 어워즈
$ defendant defendant_h = a former lawmaker|전직 국회의원 A씨|ex-lawmaker|전 국회의원 ; a former Cabinet minister|전직 장관 B씨|ex-minister|전 장관
a chaebol executive|재벌 그룹 임원 C씨|chaebol executive|재벌 임원 ; a former police chief|전직 경찰청장 D씨|ex-police chief|전 경찰청장 ; a popular YouTuber|유명 유튜버 E씨|YouTuber|유튜버
a former military commander|전직 군 사령관 F씨|ex-commander|전 군 사령관
$ crime crime_h crime_d
bribery|뇌물수수|bribery|뇌물수수|taking {n}00 million won in bribes from a construction company|건설업체로부터 {n}억 원의 뇌물을 받은
embezzlement|횡령|embezzlement|횡령|embezzling {n}0 billion won in company funds|회삿돈 {n}00억 원을 횡령한
abuse of power|직권남용|abuse of power|직권남용|pressuring officials to drop an investigation into an aide|측근에 대한 수사를 무마하도록 공무원들에게 압력을 행사한
defamation|명예훼손|defamation|명예훼손|spreading false claims about a rival online|온라인에 경쟁자에 대한 허위 사실을 퍼뜨린
election law violations|공직선거법 위반|election law violation|선거법 위반|handing out cash to voters before the 2024 general elections|2024년 총선을 앞두고 유권자들에게 금품을 제공한
insurrection over the December 2024 martial law bid|2024년 12월 비상계엄 관련 내란 중요임무 종사|martial law case|내란|helping send troops into the National Assembly|국회에 계엄군을 투입하는 데 가담한
$ court = the Seoul Central District Court|서울중앙지법 ; the Suwon District Court|수원지법 ; the Incheon District Court|인천지법 ; the Busan District Court|부산지법
$ party party_h = the ruling Democratic Party (DP)|여당인 더불어민주당|DP|민주당 ; the main opposition People Power Party (PPP)|제1야당인 국민의힘|PPP|국민의힘
the minor Rebuilding Korea Party|조국혁신당|Rebuilding Korea Party|조국혁신당 ; the minor Reform Party|개혁신당|Reform Party|개혁신당
$ pol pol_h = named its candidate for Seoul mayor|서울시장 후보를 확정|picks Seoul mayoral candidate|서울시장 후보 확정
unveiled a pledge to ease housing regulations|부동산 규제 완화 공약을 발표|unveils housing pledge|부동산 공약 발표
launched an emergency leadership committee|비상대책위원회를 출범|launches emergency committee|비대위 출범
submitted a bill to appoint a special counsel|특검법안을 발의|submits special counsel bill|특검법 발의
proposed a constitutional amendment on presidential terms|대통령 4년 중임제 개헌안을 제안|proposes constitutional revision|개헌안 제안
$ pol_aim = winning over centrist voters|중도층 표심 잡기 ; regaining momentum after recent controversies|최근 논란 이후 분위기 반전 ; rallying its core supporters|지지층 결집
$ drill drill_h = combined air drills involving US F-35 stealth fighters|미군 F-35 스텔스 전투기가 참여하는 연합공중훈련|combined air drills|연합공중훈련
a large-scale river-crossing exercise|대규모 연합 도하훈련|river-crossing drill|연합 도하훈련
trilateral naval drills with Japan in international waters|일본이 참여하는 공해상 3국 해상훈련|trilateral naval drills|한미일 해상훈련
live-fire artillery drills near the border|접경지역 연합 포병 실사격훈련|live-fire drills|연합 실사격훈련
an amphibious landing exercise in Pohang|포항 일대 연합상륙훈련|amphibious landing drill|연합상륙훈련
a combined special operations drill|연합 특수작전 훈련|special operations drill|연합 특수작전훈련 ; a missile defense exercise with Japan|일본과의 미사일 방어훈련|missile defense drill|미사일 방어훈련
a combined air drill involving B-1B bombers|B-1B 전략폭격기가 참여하는 연합공중훈련|B-1B bomber drill|B-1B 연합훈련
$ firm firm_h = Samsung Electronics|삼성전자|Samsung|삼성전자 ; SK hynix|SK하이닉스|SK hynix|SK하이닉스 ; Hyundai Motor|현대자동차|Hyundai Motor|현대차
LG Energy Solution|LG에너지솔루션|LGES|LG엔솔 ; Naver|네이버|Naver|네이버 ; Hanwha Aerospace|한화에어로스페이스|Hanwha Aerospace|한화에어로
Kia|기아|Kia|기아 ; Samsung Biologics|삼성바이오로직스|Samsung Biologics|삼성바이오
$ biz biz_h = will invest {tril} trillion won in a new production line|신규 생산라인에 {tril}조원을 투자하기로 했다|to invest {tril} tln won in new line|{tril}조원 신규 투자
won a ${usd} billion order from a European client|유럽 고객사로부터 {usd}억 달러 규모의 수주를 따냈다|wins ${usd} bln order|{usd}억달러 수주
posted a record quarterly operating profit|분기 기준 사상 최대 영업이익을 기록했다|posts record quarterly profit|분기 최대 실적
signed an AI partnership with a US tech giant|미국 빅테크 기업과 인공지능(AI) 협력 계약을 체결했다|inks AI deal with US tech giant|美 빅테크와 AI 협력
will build a new plant in the United States|미국에 신규 공장을 짓기로 했다|to build new US plant|美 신공장 건설
will acquire a European startup for ${usd} billion|유럽 스타트업을 {usd}억 달러에 인수하기로 했다|to buy European startup for ${usd} bln|유럽 스타트업 {usd}억달러에 인수
will cut its workforce by {n} percent|인력을 {n}% 감축하기로 했다|to cut workforce by {n}%|인력 {n}% 감축
named a new chief executive officer|신임 최고경영자(CEO)를 선임했다|names new CEO|신임 CEO 선임
will pay a special dividend of {n},000 won per share|주당 {n}천 원의 특별배당을 실시하기로 했다|to pay special dividend|특별배당 실시
will issue ${usd} billion in global bonds|{usd}억 달러 규모의 글로벌 채권을 발행하기로 했다|to issue ${usd} bln in bonds|{usd}억달러 글로벌채권 발행
$ jp_place = Fukushima Prefecture|후쿠시마현 ; Ibaraki Prefecture|이바라키현 ; the Noto Peninsula|노토반도 ; Hokkaido|홋카이도 ; Miyagi Prefecture|미야기현 ; Chiba Prefecture|지바현
$ shindo = lower 5|5약 ; upper 5|5강 ; 4|4 ; lower 6|6약"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn debug(items: &[LabelledItem]) -> Vec<String> {
        items.iter().map(|i| format!("{i:?}")).collect()
    }

    #[test]
    fn same_spec_same_corpus_other_seed_other_corpus() {
        let spec = CorpusSpec {
            stories: 60,
            ..CorpusSpec::default()
        };
        assert_eq!(debug(&generate(&spec)), debug(&generate(&spec)));
        let other = CorpusSpec {
            seed: 2,
            ..spec.clone()
        };
        assert_ne!(debug(&generate(&spec)), debug(&generate(&other)));
    }

    #[test]
    fn guids_and_links_are_unique_and_items_well_formed() {
        let items = generate(&CorpusSpec::default());
        let (mut guids, mut links) = (HashSet::new(), HashSet::new());
        let mut first: HashMap<u32, DateTime<Utc>> = HashMap::new();
        for i in &items {
            assert!(
                guids.insert((&i.feed, &i.guid)),
                "guid {} twice in {}",
                i.guid,
                i.feed
            );
            assert!(links.insert(&i.link), "link {} twice", i.link);
            assert!(i.link.starts_with("https://") && feeds().contains(&i.feed.as_str()));
            assert!(
                !i.title.contains(['{', '}']) && !i.summary.contains(['{', '}']),
                "{i:?}"
            );
            let t0 = *first.entry(i.story).or_insert(i.published);
            assert!(
                i.published - t0 <= TimeDelta::hours(72),
                "story {}",
                i.story
            );
        }
        assert_eq!(first.len(), 400);
        let starts = (items.iter())
            .filter(|i| matches!(i.kind, Kind::Original | Kind::HardNegative))
            .count();
        assert_eq!(starts, 400, "one original or hard negative per story");
        assert!(items.windows(2).all(|w| w[0].published <= w[1].published));
    }

    #[test]
    fn every_template_renders_in_both_languages() {
        let lib = library();
        let mut r = Rng(7);
        for t in &lib.topics {
            for pair in t.lines.values().flatten() {
                for lang in [EN, KO] {
                    let mut slots = Slots::new();
                    for (k, en, ko) in [
                        ("day", "on Friday", "27일"),
                        ("month", "March", "3월"),
                        ("event", "the launch", "발사"),
                        ("angle", "security", "안보"),
                        ("time", "at around 7 a.m.", "오전 7시께"),
                        ("hour", "7 a.m.", "오전 7시"),
                    ] {
                        slots.insert(k.into(), [en.into(), ko.into()]);
                    }
                    let out = lib.render(pair[lang], lang, &mut slots, &mut r);
                    assert!(!out.contains(['{', '}', '|']), "{}: {out}", t.name);
                }
            }
        }
    }

    #[test]
    fn korean_particles_follow_the_last_syllable() {
        let cases = [
            ("북한", "은", "은"),
            ("일본 정부", "는", "는"),
            ("유럽연합(EU)", "은", "은"),
        ];
        let more = [
            ("발사", "을", "를"),
            ("3-1", "로", "로"),
            ("2-0", "로", "으로"),
            ("LAFC", "이", "가"),
        ];
        for (word, josa, want) in cases.into_iter().chain(more) {
            assert_eq!(particle(word, josa), want, "{word}");
        }
    }

    fn scores(labels: &[u32], predicted: &[i64]) -> (u64, u64, u64, f64, f64, f64) {
        let s = pairwise(labels, predicted);
        let round = |x: f64| (x * 1e6).round() / 1e6;
        let (p, r, f) = (round(s.precision), round(s.recall), round(s.f1));
        (s.true_pairs, s.predicted_pairs, s.correct_pairs, p, r, f)
    }

    #[test]
    fn pairwise_scores_small_clusterings() {
        // Perfect, whatever the cluster ids.
        assert_eq!(
            scores(&[1, 1, 2, 2, 2], &[7, 7, -3, -3, -3]),
            (4, 4, 4, 1.0, 1.0, 1.0)
        );
        // All singletons: nothing merged, nothing found.
        assert_eq!(
            scores(&[1, 1, 2, 2, 2], &[0, 1, 2, 3, 4]),
            (4, 0, 0, 1.0, 0.0, 0.0)
        );
        // One wrong merge: {a, b} and {c} predicted as one cluster.
        assert_eq!(
            scores(&[1, 1, 2], &[5, 5, 5]),
            (1, 3, 1, 0.333333, 1.0, 0.5)
        );
        // A story split in two: half its pairs found.
        assert_eq!(
            scores(&[1, 1, 1, 1], &[0, 0, 1, 1]),
            (6, 2, 2, 1.0, 0.333333, 0.5)
        );
        // No pairs anywhere.
        assert_eq!(scores(&[1, 2, 3], &[1, 2, 3]), (0, 0, 0, 1.0, 1.0, 1.0));
        assert_eq!(scores(&[], &[]), (0, 0, 0, 1.0, 1.0, 1.0));
    }
}
