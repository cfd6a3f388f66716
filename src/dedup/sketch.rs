//! Sketches for finding story candidates by index probe instead of a scan: MinHash signatures of
//! an item's body and headline sets (see [`super::story::Fingerprint`]), cut into LSH bands, plus one key for the exact
//! normalised headline. Two items whose sets are similar share a band key with high probability
//! (Jaccard 0.5 → 97 % for bodies), unrelated ones rarely. [`SketchIndex`] maps band keys to
//! the recent items that have them. Pure, in memory; the store persists each item's keys.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Body bands × rows: 12 × 2 MinHash values.
const BODY_BANDS: usize = 12;
const BODY_ROWS: usize = 2;
/// Headline bands × rows: 6 × 2.
const TITLE_BANDS: usize = 6;
const TITLE_ROWS: usize = 2;
/// Keys per item: body bands, headline bands, the exact headline.
pub const KEYS: usize = BODY_BANDS + TITLE_BANDS + 1;
/// A key slot with nothing in it (an empty set).
const NONE: u32 = 0;

/// Headlines shorter than this many words are too generic to join items on their own text.
const MIN_HEADLINE_WORDS: usize = 3;

/// The band keys of one fingerprint; [`NONE`] where a set is empty.
pub type Keys = [u32; KEYS];

/// Computes the band keys of an item from its body's shingle hashes, its headline's word
/// hashes and its normalised headline.
pub fn band_keys(body: &[u32], title: &[u32], headline: &str) -> Keys {
    let mut keys = [NONE; KEYS];
    bands(body, BODY_BANDS, BODY_ROWS, 0, &mut keys[..BODY_BANDS]);
    bands(
        title,
        TITLE_BANDS,
        TITLE_ROWS,
        BODY_BANDS,
        &mut keys[BODY_BANDS..BODY_BANDS + TITLE_BANDS],
    );
    if title.len() >= MIN_HEADLINE_WORDS {
        keys[KEYS - 1] =
            nonzero(xxhash_rust::xxh3::xxh3_64_with_seed(headline.as_bytes(), KEYS as u64) as u32);
    }
    keys
}

fn bands(set: &[u32], bands: usize, rows: usize, first_band: usize, out: &mut [u32]) {
    if set.is_empty() {
        return;
    }
    for (b, slot) in out.iter_mut().enumerate().take(bands) {
        let band = (first_band + b) as u64;
        let mut key = band.wrapping_mul(0xa076_1d64_78bd_642f);
        for r in 0..rows {
            let seed = SEEDS[(first_band + b) * rows + r];
            let min = set.iter().map(|&x| mix(x as u64 ^ seed)).min().unwrap_or(0);
            key = mix(key ^ min);
        }
        *slot = nonzero(key as u32);
    }
}

fn nonzero(k: u32) -> u32 {
    if k == NONE { 1 } else { k }
}

/// A 64-bit finaliser (SplitMix64): a cheap, well-mixed hash permutation per seed.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One seed per MinHash value; fixed, so stored keys stay valid across runs.
const SEEDS: [u64; BODY_BANDS * BODY_ROWS + TITLE_BANDS * TITLE_ROWS] = {
    let mut s = [0u64; BODY_BANDS * BODY_ROWS + TITLE_BANDS * TITLE_ROWS];
    let mut i = 0;
    let mut x: u64 = 0x5851_f42d_4c95_7f2d;
    while i < s.len() {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        s[i] = x ^ (x >> 29);
        i += 1;
    }
    s
};

/// What an indexed item states that a new item must agree with before the indexed item's full
/// fingerprint is worth reading (see `story::Fingerprint::ruled_out_by`): its headline words
/// and details as one-bit-per-element sets, how many details it states, whether it is a
/// correction, and its dateline. 24 bytes; the default (`known == false`) rules nothing out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Gist {
    /// Bit `bit(h)` set for each headline word hash `h`.
    pub title: u64,
    /// Bit `bit(h)` set for each detail hash `h`.
    pub details: u64,
    /// The dateline's place hash (see `flags`).
    pub place: u32,
    /// The dateline's day of the year; 0 when it states none.
    pub day: u16,
    pub n_details: u8,
    /// [`Gist::KNOWN`], [`Gist::CORRECTION`], [`Gist::DATELINE`], [`Gist::LATIN`].
    pub flags: u8,
}

impl Gist {
    /// Made from a fingerprint (a default gist rules nothing out).
    pub const KNOWN: u8 = 1;
    /// The item says it corrects an earlier one.
    pub const CORRECTION: u8 = 2;
    /// The body opens with a dateline (`place`, `day`).
    pub const DATELINE: u8 = 4;
    /// The dateline's place is written in Latin script.
    pub const LATIN: u8 = 8;

    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    /// The bit a hash sets in [`Gist::title`] and [`Gist::details`].
    pub fn bit(h: u32) -> u64 {
        1 << ((h.wrapping_mul(0x9e37_79b9) >> 26) & 63)
    }

    /// The bits of a set of hashes.
    pub fn bits(hashes: &[u32]) -> u64 {
        hashes.iter().fold(0, |acc, &h| acc | Self::bit(h))
    }

    const BYTES: usize = 24;

    fn to_bytes(self) -> [u8; Self::BYTES] {
        let mut b = [0u8; Self::BYTES];
        b[0] = self.flags;
        b[1] = self.n_details;
        b[2..4].copy_from_slice(&self.day.to_le_bytes());
        b[4..8].copy_from_slice(&self.place.to_le_bytes());
        b[8..16].copy_from_slice(&self.title.to_le_bytes());
        b[16..24].copy_from_slice(&self.details.to_le_bytes());
        b
    }

    fn from_bytes(b: &[u8]) -> Option<Self> {
        let b: &[u8; Self::BYTES] = b.try_into().ok()?;
        let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        Some(Self {
            title: u64_at(8),
            details: u64_at(16),
            place: u32::from_le_bytes(b[4..8].try_into().expect("4 bytes")),
            day: u16::from_le_bytes([b[2], b[3]]),
            n_details: b[1],
            flags: b[0],
        })
    }
}

/// Keys and gist as stored in the database (`items.sketch`): little-endian `u32` keys, then the
/// gist.
pub fn to_bytes(keys: &Keys, gist: Gist) -> Vec<u8> {
    let mut out: Vec<u8> = keys.iter().flat_map(|k| k.to_le_bytes()).collect();
    out.extend_from_slice(&gist.to_bytes());
    out
}

/// The inverse of [`to_bytes`]; `None` for a blob of another size. A blob of keys alone (as
/// stored before the gist was kept) gives an unknown gist.
pub fn from_bytes(b: &[u8]) -> Option<(Keys, Gist)> {
    let gist = match b.len() {
        n if n == KEYS * 4 => Gist::default(),
        n if n == KEYS * 4 + Gist::BYTES => Gist::from_bytes(&b[KEYS * 4..])?,
        _ => return None,
    };
    let mut keys = [NONE; KEYS];
    for (k, c) in keys.iter_mut().zip(b.chunks_exact(4)) {
        *k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
    Some((keys, gist))
}

/// An indexed item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub item_id: i64,
    pub story_id: i64,
    /// The item's time (published, else first seen), seconds.
    pub at: i64,
    /// What a new item must agree with before this one's fingerprint is read.
    pub gist: Gist,
}

/// A candidate found by [`SketchIndex::candidates`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub entry: Entry,
    /// How many keys it shares with the probe.
    pub hits: u32,
}

/// Band keys are already uniform hashes: the table uses them as they are.
#[derive(Debug, Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }

    fn write_u32(&mut self, k: u32) {
        // Spread into the high bits too: the table takes its control bits from them.
        self.0 = u64::from(k).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

#[derive(Debug, Clone, Copy)]
struct Link {
    slot: u32,
    /// The previous item with the same key, or `u32::MAX`.
    next: u32,
}

/// Band keys → recent items. Each key's items form a chain, newest first; a probe follows each
/// chain for at most [`SketchIndex::MAX_CHAIN`] items, so a key shared by thousands of items
/// (a stock phrase) costs no more than a rare one. Items older than the window are dropped in
/// bulk when they make up half the index.
#[derive(Debug, Default)]
pub struct SketchIndex {
    window: i64,
    /// The indexed items by slot (their keys live only in the chains).
    entries: Vec<Entry>,
    /// Each entry's time again, densely: probes read only this while following chains.
    times: Vec<i64>,
    heads: HashMap<u32, u32, BuildHasherDefault<KeyHasher>>,
    links: Vec<Link>,
    /// Latest item time seen, for eviction.
    newest: i64,
    /// Index size that triggers the next eviction check.
    next_check: usize,
}

impl SketchIndex {
    /// Most items followed along one key's chain.
    pub const MAX_CHAIN: usize = 8;
    /// Most candidates returned by one probe.
    pub const MAX_CANDIDATES: usize = 12;

    /// An empty index over a window of `window_secs` either side of an item's time.
    pub fn new(window_secs: i64) -> Self {
        Self {
            window: window_secs.max(0),
            ..Default::default()
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds an item with its keys.
    pub fn insert(&mut self, entry: Entry, keys: Keys) {
        self.newest = self.newest.max(entry.at);
        let slot = self.entries.len() as u32;
        self.entries.push(entry);
        self.times.push(entry.at);
        self.link(slot, &keys);
        self.maybe_evict();
    }

    fn link(&mut self, slot: u32, keys: &Keys) {
        for &k in keys.iter().filter(|&&k| k != NONE) {
            let next = self.heads.insert(k, self.links.len() as u32);
            self.links.push(Link {
                slot,
                next: next.unwrap_or(u32::MAX),
            });
        }
    }

    /// The indexed items sharing keys with `keys` within the window around `at`, most shared
    /// keys first.
    pub fn candidates(&self, keys: &Keys, at: i64) -> Vec<Candidate> {
        // Slots hit, one per key and item; counted after sorting.
        let mut slots: Vec<u32> = Vec::new();
        for &k in keys.iter().filter(|&&k| k != NONE) {
            let Some(&head) = self.heads.get(&k) else {
                continue;
            };
            let mut link = head;
            let mut walked = 0;
            while link != u32::MAX && walked < Self::MAX_CHAIN {
                let l = self.links[link as usize];
                walked += 1;
                link = l.next;
                if (self.times[l.slot as usize] - at).abs() <= self.window {
                    slots.push(l.slot);
                }
            }
        }
        slots.sort_unstable();
        let mut found: Vec<Candidate> = Vec::new();
        for run in slots.chunk_by(|a, b| a == b) {
            let entry = self.entries[run[0] as usize];
            // An item indexed again after an edit has two slots: count its best.
            match found.last_mut() {
                Some(c) if c.entry.item_id == entry.item_id => {
                    c.hits = c.hits.max(run.len() as u32)
                }
                _ => found.push(Candidate {
                    entry,
                    hits: run.len() as u32,
                }),
            }
        }
        found.sort_by(|a, b| {
            b.hits
                .cmp(&a.hits)
                .then(b.entry.item_id.cmp(&a.entry.item_id))
        });
        let mut seen: Vec<i64> = Vec::with_capacity(Self::MAX_CANDIDATES);
        found.retain(|c| {
            if seen.len() >= Self::MAX_CANDIDATES || seen.contains(&c.entry.item_id) {
                return false;
            }
            seen.push(c.entry.item_id);
            true
        });
        found
    }

    /// Drops items older than two windows (relative to the newest) once they are half the
    /// index; checked each time the index has grown by half since the last check.
    fn maybe_evict(&mut self) {
        if self.entries.len() < self.next_check.max(1024) {
            return;
        }
        self.next_check = self.entries.len() + self.entries.len() / 2;
        let horizon = self.newest - 2 * self.window;
        let old = self.entries.iter().filter(|e| e.at < horizon).count();
        if old * 2 < self.entries.len() {
            return;
        }
        // Old slot → new slot of the entries kept (`u32::MAX`: dropped).
        let mut moved = vec![u32::MAX; self.entries.len()];
        let mut kept: Vec<Entry> = Vec::with_capacity(self.entries.len() - old);
        for (slot, e) in self.entries.drain(..).enumerate() {
            if e.at >= horizon {
                moved[slot] = kept.len() as u32;
                kept.push(e);
            }
        }
        self.entries = kept;
        self.times = self.entries.iter().map(|e| e.at).collect();
        // Each key's chain again, its kept items in the same order (newest first).
        let links = std::mem::take(&mut self.links);
        let heads = std::mem::take(&mut self.heads);
        let mut chain: Vec<u32> = Vec::new();
        for (key, head) in heads {
            chain.clear();
            let mut at = head;
            while at != u32::MAX {
                let l = links[at as usize];
                if moved[l.slot as usize] != u32::MAX {
                    chain.push(moved[l.slot as usize]);
                }
                at = l.next;
            }
            let mut next = u32::MAX;
            for &slot in chain.iter().rev() {
                self.links.push(Link { slot, next });
                next = (self.links.len() - 1) as u32;
            }
            if next != u32::MAX {
                self.heads.insert(key, next);
            }
        }
        self.heads.shrink_to_fit();
        self.links.shrink_to_fit();
        self.entries.shrink_to_fit();
        self.times.shrink_to_fit();
        self.next_check = self.entries.len() + self.entries.len() / 2;
    }

    /// Heap bytes held, approximately (entries, chains and the key table).
    pub fn heap_bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<Entry>()
            + self.times.capacity() * std::mem::size_of::<i64>()
            + self.links.capacity() * std::mem::size_of::<Link>()
            + self.heads.capacity() * (std::mem::size_of::<(u32, u32)>() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys from plain word sets (the real sets come from [`super::super::story`], whose tests
    /// check that near-duplicates share keys).
    fn keys(title: &str, body: &str) -> Keys {
        let set = |s: &str| {
            let mut v: Vec<u32> = s
                .split_whitespace()
                .map(|w| xxhash_rust::xxh3::xxh3_64(w.to_lowercase().as_bytes()) as u32)
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        band_keys(&set(body), &set(title), &title.to_lowercase())
    }

    const BODY: &str = "North Korea fired a short-range ballistic missile toward the East Sea on \
        Tuesday morning, South Korea's Joint Chiefs of Staff said, the third launch this month.";

    #[test]
    fn keys_are_stable_and_roundtrip() {
        let k = keys("N. Korea fires missile", BODY);
        assert_eq!(k, keys("N. Korea fires missile", BODY));
        assert!(k.iter().all(|&x| x != NONE));
        let g = Gist {
            title: 0x8000_0000_0000_0001,
            details: 42,
            place: 7,
            day: 331,
            n_details: 3,
            flags: Gist::KNOWN | Gist::CORRECTION | Gist::DATELINE | Gist::LATIN,
        };
        assert_eq!(from_bytes(&to_bytes(&k, g)), Some((k, g)));
        // Keys stored before the gist was kept: read, with a gist that rules nothing out.
        assert_eq!(
            from_bytes(&to_bytes(&k, g)[..KEYS * 4]),
            Some((k, Gist::default()))
        );
        assert_eq!(from_bytes(&[1, 2, 3]), None);
        let empty = keys("", "");
        assert!(empty.iter().all(|&x| x == NONE));
    }

    #[test]
    fn index_finds_within_the_window_and_ranks_by_hits() {
        let mut idx = SketchIndex::new(3600);
        let a = keys("N. Korea fires missile: JCS", BODY);
        let c = keys(
            "BTS to hold concert in Busan",
            "The K-pop group will perform at the Busan Asiad stadium.",
        );
        let e = |item_id, at| Entry {
            item_id,
            story_id: item_id,
            at,
            gist: Gist::default(),
        };
        idx.insert(e(1, 0), a);
        idx.insert(e(2, 100), c);
        idx.insert(e(3, 10_000), a);
        let found = idx.candidates(&a, 50);
        assert_eq!(found.len(), 1, "item 3 is outside the window: {found:?}");
        assert_eq!(found[0].entry.item_id, 1);
        assert_eq!(found[0].hits as usize, KEYS);
        let found = idx.candidates(&a, 9_000);
        assert_eq!(found[0].entry.item_id, 3);
    }

    #[test]
    fn old_items_are_evicted_and_chains_stay_bounded() {
        let mut idx = SketchIndex::new(100);
        let a = keys("N. Korea fires missile: JCS", BODY);
        for i in 0..3000 {
            idx.insert(
                Entry {
                    item_id: i,
                    story_id: i,
                    at: i * 10,
                    gist: Gist::default(),
                },
                a,
            );
        }
        assert!(idx.len() < 3000, "evicted: {}", idx.len());
        let found = idx.candidates(&a, 29_990);
        assert!(!found.is_empty() && found.len() <= SketchIndex::MAX_CANDIDATES);
        assert!(found.iter().all(|c| (c.entry.at - 29_990).abs() <= 100));
        assert!(idx.heap_bytes() > 0);
    }

    /// Eviction rebuilds each key's chain from the chains themselves: the index after it finds
    /// exactly what an index holding only the kept items finds.
    #[test]
    fn an_evicted_index_finds_what_a_fresh_one_of_its_items_finds() {
        let texts: Vec<Keys> = (0..40)
            .map(|i| {
                keys(
                    &format!("headline {} about topic {}", i % 7, i % 5),
                    &format!("{BODY} variant {} of {} with {}", i % 3, i % 4, i % 6),
                )
            })
            .collect();
        let entry = |i: i64| Entry {
            item_id: i,
            story_id: i / 3,
            at: i * 10,
            gist: Gist::default(),
        };
        let mut evicted = SketchIndex::new(200);
        for i in 0..3000 {
            evicted.insert(entry(i), texts[i as usize % texts.len()]);
        }
        assert!(evicted.len() < 3000, "eviction ran");
        let first_kept = 3000 - evicted.len() as i64;
        let mut fresh = SketchIndex::new(200);
        for i in first_kept..3000 {
            fresh.insert(entry(i), texts[i as usize % texts.len()]);
        }
        assert_eq!(fresh.len(), evicted.len(), "the same items");
        for (n, k) in texts.iter().enumerate() {
            let at = 29_000 + n as i64 * 20;
            assert_eq!(
                evicted.candidates(k, at),
                fresh.candidates(k, at),
                "probe {n}"
            );
        }
    }
}
