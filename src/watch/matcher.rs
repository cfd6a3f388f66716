//! Matching one item: each field the watchlists look at is folded once, squeezed (spaces and
//! hyphens out) and run through the one automaton (and the regex set); an occurrence counts when
//! the term's edges fit the text around it. Each watchlist's conditions are then judged on the
//! slots found, and the watchlists that match are explained ([`super::explain`]). This is the
//! per-item hot path: it reads the compiled set and allocates only per item.

use std::ops::Range;

use super::compile::{List, bit};
use super::explain::Spans;
use super::script::{is_hangul, is_latin_word, is_particles};
use super::term::{Edge, End};
use super::{ItemText, WatchSet};
use crate::model::{Field, Match, ParsedItem};
use crate::text::fold;

impl WatchSet {
    /// The watchlists `item` (from the feed named `feed`) matches.
    pub fn match_item(&self, item: &ParsedItem, feed: &str) -> Vec<Match> {
        self.match_fields(&ItemText::of(item, feed))
    }

    /// The watchlists an item matches, in config order, each with its terms and where they
    /// were found.
    pub fn match_fields(&self, item: &ItemText) -> Vec<Match> {
        if self.lists.is_empty() {
            return Vec::new();
        }
        self.match_with(item, &fold(item.title), &fold(item.summary))
    }

    /// Like [`WatchSet::match_fields`], with title and summary already [`fold`]ed (so a caller
    /// that also hashes the folded text normalises it once).
    pub fn match_with(&self, item: &ItemText, title: &str, summary: &str) -> Vec<Match> {
        if self.lists.is_empty() {
            return Vec::new();
        }
        let found = self.find(item, title, summary);
        if found.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut spans = Spans::new();
        let mut i = 0;
        while i < found.len() {
            let list_id = self.slots[found[i].slot as usize].list;
            let j = found[i..]
                .iter()
                .position(|f| self.slots[f.slot as usize].list != list_id)
                .map_or(found.len(), |n| i + n);
            let hits = &found[i..j];
            i = j;
            let list = &self.lists[list_id as usize];
            if list.accepts(item.feed, hits) {
                out.push(self.explain_match(list, hits, item, &mut spans));
            }
        }
        out
    }

    /// Every term slot found in the fields any watchlist looks at, sorted by watchlist, slot,
    /// field and position (so each watchlist's hits are one run, its terms in config order).
    fn find(&self, item: &ItemText, title: &str, summary: &str) -> Vec<Found> {
        let mut found: Vec<Found> = Vec::new();
        let mut squeezed = Vec::new();
        let mut map = Vec::new();
        for field in Field::ALL {
            if self.fields & bit(field) == 0 {
                continue;
            }
            let other;
            let folded = match field {
                Field::Title => title,
                Field::Summary => summary,
                _ => {
                    other = fold(item.get(field));
                    &other
                }
            };
            if folded.is_empty() {
                continue;
            }
            self.scan(field, folded, &mut squeezed, &mut map, &mut found);
        }
        found.sort_unstable_by_key(|f| {
            (
                self.slots[f.slot as usize].list,
                f.slot,
                f.field,
                f.at.start,
            )
        });
        found
    }

    /// Finds every term occurrence in one field's folded text.
    fn scan(
        &self,
        field: Field,
        folded: &str,
        squeezed: &mut Vec<u8>,
        map: &mut Vec<u32>,
        found: &mut Vec<Found>,
    ) {
        if let Some(ac) = &self.automaton {
            squeezed.clear();
            map.clear();
            for (i, b) in folded.bytes().enumerate() {
                if b != b' ' && b != b'-' {
                    squeezed.push(b);
                    map.push(i as u32);
                }
            }
            for m in ac.find_overlapping_iter(squeezed.as_slice()) {
                let start = map[m.start()] as usize;
                let end = map[m.end() - 1] as usize + 1;
                for occ in &self.needles[m.pattern().as_usize()] {
                    if occ.fields & bit(field) == 0 {
                        continue;
                    }
                    if fits(folded, start, end, occ.start, occ.end) {
                        found.push(Found {
                            slot: occ.slot,
                            field,
                            at: start..end,
                        });
                    }
                }
            }
        }
        if let Some(set) = &self.regex_set {
            for idx in set.matches(folded).iter() {
                let r = &self.regexes[idx];
                if r.fields & bit(field) == 0 {
                    continue;
                }
                if let Some(m) = r.regex.find(folded) {
                    found.push(Found {
                        slot: r.slot,
                        field,
                        at: m.range(),
                    });
                }
            }
        }
    }
}

/// A term slot found in a field, at a byte range of the folded text.
#[derive(Debug, Clone)]
pub(super) struct Found {
    pub(super) slot: u32,
    pub(super) field: Field,
    pub(super) at: Range<usize>,
}

impl List {
    /// Whether the watchlist matches an item from the feed named `feed` on which `hits` (its
    /// slots found) were found: the feed is one it watches, and its conditions hold (one of
    /// `any`, every one of `all`, none of `not`, the query).
    fn accepts(&self, feed: &str, hits: &[Found]) -> bool {
        if !self.feeds.is_empty() && !self.feeds.iter().any(|f| f == feed) {
            return false;
        }
        let has = |slot: u32| hits.iter().any(|h| h.slot == slot);
        (self.any.is_empty() || self.any.iter().any(|s| has(*s)))
            && self.all.iter().all(|s| has(*s))
            && !self.not.iter().any(|s| has(*s))
            && self.query.as_ref().is_none_or(|(expr, slots)| {
                expr.eval(&mut |t| slots.get(&t.offset).is_some_and(|s| has(*s)))
            })
    }
}

/// Whether a match at `start..end` of the folded text respects the term's edges.
fn fits(folded: &str, start: usize, end: usize, s: Edge, e: End) -> bool {
    let before = folded[..start].chars().next_back();
    let ok_start = match s {
        Edge::Free => true,
        Edge::Latin => !before.is_some_and(is_latin_word),
        Edge::Hangul => !before.is_some_and(is_hangul),
    };
    if !ok_start {
        return false;
    }
    let after = &folded[end..];
    match e {
        End::Free => true,
        End::Latin => !after.chars().next().is_some_and(is_latin_word),
        End::Hangul { particles } => {
            let run_len = after
                .char_indices()
                .find(|(_, c)| !is_hangul(*c))
                .map_or(after.len(), |(i, _)| i);
            run_len == 0 || (particles && is_particles(&after[..run_len], 3))
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::watch::{ItemText, TermSpec, WatchSet, WatchlistSpec};

    fn spec(name: &str, terms: &[&str], not: &[&str]) -> WatchlistSpec {
        WatchlistSpec {
            name: name.into(),
            terms: terms.iter().map(|t| TermSpec::from(*t)).collect(),
            not: not.iter().map(|t| TermSpec::from(*t)).collect(),
            ..Default::default()
        }
    }

    fn set() -> WatchSet {
        WatchSet::compile(&[
            spec(
                "dprk-japan",
                &[
                    "Kim Yo-jong",
                    "\"Japan-DPRK summit\"",
                    "북한",
                    "Kim",
                    "일본",
                ],
                &["K-pop"],
            ),
            spec("kishida", &["Kishida"], &[]),
        ])
        .unwrap()
    }

    fn m(title: &str) -> Vec<(String, Vec<String>)> {
        set()
            .match_fields(&ItemText {
                title,
                ..Default::default()
            })
            .into_iter()
            .map(|m| (m.watchlist, m.terms))
            .collect()
    }

    #[test]
    fn latin_terms_need_word_boundaries() {
        assert!(m("Kimchi exports rise").is_empty());
        assert_eq!(m("Kim visits Pyongyang")[0].1, vec!["Kim"]);
        assert_eq!(m("Kim's sister")[0].1, vec!["Kim"]);
        assert!(m("Kishidas").is_empty());
    }

    #[test]
    fn hangul_terms_take_particles_but_not_other_syllables() {
        assert_eq!(m("북한은 오늘")[0].1, vec!["북한"]);
        assert_eq!(m("북한에서는 오늘")[0].1, vec!["북한"]);
        assert_eq!(m("일본의 총리")[0].1, vec!["일본"]);
        assert!(m("남북한 관계").is_empty());
        assert!(m("북한산 등산").is_empty());
    }

    #[test]
    fn hangul_next_to_latin_term_is_a_boundary() {
        assert_eq!(m("Kishida는 말했다")[0].0, "kishida");
    }

    #[test]
    fn romanised_names_ignore_hyphens_and_spaces() {
        for t in ["Kim Yo Jong said", "KIM YOJONG said", "Kim Yo‐jong said"] {
            assert!(m(t)[0].1.contains(&"Kim Yo-jong".to_string()), "{t}");
        }
        assert!(
            !m("Kim Yong-nam said")[0]
                .1
                .contains(&"Kim Yo-jong".to_string())
        );
    }

    #[test]
    fn case_width_and_phrases() {
        let r = m("ＫＩＳＨＩＤＡ says JAPAN-DPRK  SUMMIT possible");
        assert_eq!(r.len(), 2);
        assert_eq!(
            r[0],
            (
                "dprk-japan".to_string(),
                vec!["Japan-DPRK summit".to_string()]
            )
        );
        assert_eq!(r[1].0, "kishida");
    }

    #[test]
    fn exclude_vetoes_the_watchlist_only() {
        let r = m("K-pop star visits Kim Jong-un's Japan-DPRK summit venue, Kishida");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].0, "kishida");
    }

    #[test]
    fn phrases_do_not_span_fields() {
        let s = set();
        assert!(
            s.match_fields(&ItemText {
                title: "talks on Japan-DPRK",
                summary: "summit next week",
                ..Default::default()
            })
            .is_empty()
        );
    }

    #[test]
    fn empty_set_matches_nothing() {
        assert!(
            WatchSet::empty()
                .match_fields(&ItemText {
                    title: "anything",
                    ..Default::default()
                })
                .is_empty()
        );
    }
}
