//! Explanations: what a match shows the user. The terms that matched, in config order, and for
//! each hit the original (unfolded) text that matched and a short [`snippet`] around it.
//! Matching works on folded text; this maps a hit back to the field as written. It runs only for
//! watchlists that matched, so it is kept apart from the matcher's scan.

use std::collections::HashMap;
use std::ops::Range;

use super::compile::{List, Role};
use super::matcher::Found;
use super::{ItemText, WatchSet};
use crate::model::{Field, Hit, Match};

/// Each field's original text folded, with the span in the original of each folded byte: made
/// once per item, for the fields a hit is explained in.
pub(super) type Spans = HashMap<Field, (String, Vec<Range<u32>>)>;

impl WatchSet {
    /// The match of watchlist `list` on `item`, explained from its `hits` (sorted by slot,
    /// field and position): the terms that matched, in config order, and one hit per term and
    /// field; `not` terms and terms under a NOT in the query are not shown.
    pub(super) fn explain_match(
        &self,
        list: &List,
        hits: &[Found],
        item: &ItemText,
        spans: &mut Spans,
    ) -> Match {
        let mut m = Match {
            watchlist: list.name.clone(),
            terms: Vec::new(),
            hits: Vec::new(),
        };
        let mut last: Option<(u32, Field)> = None;
        for h in hits {
            let slot = &self.slots[h.slot as usize];
            if matches!(slot.role, Role::Not | Role::Query { negated: true }) {
                continue;
            }
            // Terms in config order (hits are sorted by slot), one hit per term and field.
            if !m.terms.contains(&slot.display) {
                m.terms.push(slot.display.clone());
            }
            if last == Some((h.slot, h.field)) {
                continue;
            }
            last = Some((h.slot, h.field));
            let original = item.get(h.field);
            let (_, map) = spans
                .entry(h.field)
                .or_insert_with(|| crate::text::fold_with_spans(original));
            m.hits.push(explain(&slot.display, h, original, map));
        }
        m
    }
}

/// Builds the explanation of one hit: the original text and a snippet around it.
fn explain(term: &str, h: &Found, original: &str, map: &[Range<u32>]) -> Hit {
    let (from, to) = if h.at.end <= map.len() && h.at.start < h.at.end {
        (
            map[h.at.start].start as usize,
            map[h.at.end - 1].end as usize,
        )
    } else {
        (0, original.len())
    };
    Hit {
        term: term.to_string(),
        field: h.field,
        text: original[from..to].to_string(),
        snippet: snippet(original, from, to),
    }
}

/// Characters of context kept on each side of a match.
const CONTEXT_CHARS: usize = 40;

/// A short excerpt of `text` around `from..to`, cut at spaces where possible, "…" where cut.
pub fn snippet(text: &str, from: usize, to: usize) -> String {
    let head = &text[..from];
    let mut start = head
        .char_indices()
        .rev()
        .nth(CONTEXT_CHARS - 1)
        .map_or(0, |(i, _)| i);
    if start > 0
        && let Some(sp) = text[start..from].find(' ')
    {
        start += sp + 1;
    }
    let tail = &text[to..];
    let mut end = tail
        .char_indices()
        .nth(CONTEXT_CHARS)
        .map_or(text.len(), |(i, _)| to + i);
    if end < text.len()
        && let Some(sp) = text[to..end].rfind(' ')
    {
        end = to + sp;
    }
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.push_str(text[start..end].trim());
    if end < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::model::Field;
    use crate::watch::{ItemText, TermSpec, WatchSet, WatchlistSpec};

    #[test]
    fn hits_show_the_original_text_and_a_snippet() {
        let s = WatchSet::compile(&[WatchlistSpec {
            name: "w".into(),
            terms: vec![TermSpec::Group(vec!["Kim Yo-jong".into(), "김여정".into()])],
            ..Default::default()
        }])
        .unwrap();
        let long = format!(
            "{} 김여정은 담화를 발표했다 {}",
            "가나 ".repeat(40),
            "다라 ".repeat(40)
        );
        let r = s.match_fields(&ItemText {
            title: "ＫＩＭ ＹＯ-ＪＯＮＧ visits",
            summary: &long,
            ..Default::default()
        });
        assert_eq!(r[0].terms, vec!["Kim Yo-jong"]);
        assert_eq!(r[0].hits.len(), 2);
        assert_eq!(r[0].hits[0].field, Field::Title);
        assert_eq!(r[0].hits[0].text, "ＫＩＭ ＹＯ-ＪＯＮＧ");
        assert_eq!(r[0].hits[1].text, "김여정");
        assert!(r[0].hits[1].snippet.starts_with('…'));
        assert!(r[0].hits[1].snippet.contains("김여정은 담화를"));
        assert!(r[0].hits[1].snippet.chars().count() < 100);
    }
}
