//! The clustering decision: given a new item's fingerprint and the stories it may belong to,
//! join one, merge several (a chain whose versions formed apart), or start a new story. Pure:
//! the store finds the candidates (its sketch index, the rows) and applies the decision; the
//! policy (how many stories are compared, what makes a link or a third item vouch for a join,
//! which stories may merge) lives here and is tested without a database.

use std::sync::Arc;

use super::sketch::Candidate;
use super::story::{self, Fingerprint};

/// Stories a new item is compared with (the index's best candidates, grouped by story).
pub const MAX_STORIES: usize = 6;
/// Latest members of a story checked for details the new item contradicts.
pub const MAX_CHECKED: usize = 5;
/// Largest story an item may merge into another.
pub const MAX_MERGED: i64 = 20;
/// Two items of which one has no body to compare (an `(URGENT)` one-liner, a headline-only
/// feed) may be one story by their headlines only this close in time: a recurring headline
/// ("Yonhap News Summary", "Seoul shares open higher") names another event each day.
pub const HEADLINE_ONLY_SPAN: i64 = 2 * 3600;

/// Whether an item sharing its article link with `other` (in another feed) is the same
/// article: yes, unless both have text and the texts have nothing in common (a site that links
/// every item to its home page).
pub fn same_article(new: &Fingerprint, other: &Fingerprint) -> bool {
    if other.is_empty() || new.is_empty() {
        return true;
    }
    let sim = new.similarity(other);
    sim.title_overlap >= 0.25 || sim.containment >= 0.25
}

/// The index's candidates grouped by the story the index has them in, best first, at most
/// [`MAX_STORIES`] stories; `item` itself (an item indexed again) is left out.
pub fn group(found: &[Candidate], item: i64) -> Vec<(i64, Vec<Candidate>)> {
    let mut groups: Vec<(i64, Vec<Candidate>)> = Vec::new();
    for c in found.iter().filter(|c| c.entry.item_id != item) {
        let full = groups.len() >= MAX_STORIES;
        match groups.iter_mut().find(|(s, _)| *s == c.entry.story_id) {
            Some((_, items)) => items.push(*c),
            None if !full => groups.push((c.entry.story_id, vec![*c])),
            None => {}
        }
    }
    groups
}

/// Of one story's candidate members (each with its time), the one the new item (of time `at`)
/// is the same story as with the best score: `(score, index into members)`. A member that
/// could only match by headline (one of the two has no body) counts only within
/// [`HEADLINE_ONLY_SPAN`].
pub fn best_member(
    new: &Fingerprint,
    at: i64,
    members: &[(Arc<Fingerprint>, i64)],
) -> Option<(f32, usize)> {
    let mut best: Option<(f32, usize)> = None;
    for (i, (other, other_at)) in members.iter().enumerate() {
        let headline_only = new.body.len().min(other.body.len()) < story::MIN_BODY;
        if headline_only && (at - other_at).abs() > HEADLINE_ONLY_SPAN {
            continue;
        }
        if let Some(sim) = new.same_story_similarity(other) {
            let score = story::score(&sim);
            if best.is_none_or(|(b, _)| score > b) {
                best = Some((score, i));
            }
        }
    }
    best
}

/// Whether the new item states details that contradict one of a story's latest members: one
/// near-duplicate member of a templated report is not enough to join it.
pub fn contradicts(new: &Fingerprint, latest: &[Arc<Fingerprint>]) -> bool {
    latest.iter().any(|other| new.contradicts(other))
}

/// A story the new item is the same story as (through its most similar member).
#[derive(Debug, Clone)]
pub struct Matched {
    pub story: i64,
    pub score: f32,
    /// Its member the new item is most like.
    pub member: Arc<Fingerprint>,
    /// Its members.
    pub size: i64,
}

/// Where a new item goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// A story of its own.
    New,
    /// This story.
    Join(i64),
    /// These stories are one: `gone` merge into `keep` (the earliest), which the item joins.
    Merge { keep: i64, gone: Vec<i64> },
}

/// Decides among the stories the new item matched (each once; none contradicted). The item
/// joins the most similar; another matched story is the same story only if its member is also
/// related to the best one's (an item that resembles two different stories, a generic text,
/// must not weld them together), and only small stories merge (a split chain is a few items;
/// merging large stories on one item's word is how a clustering error would snowball).
pub fn decide(mut matched: Vec<Matched>) -> Decision {
    matched.sort_by(|a, b| b.score.total_cmp(&a.score));
    let Some(best) = matched.first().cloned() else {
        return Decision::New;
    };
    matched.retain(|m| m.story == best.story || story::related(&best.member.similarity(&m.member)));
    let small: Vec<i64> = matched
        .iter()
        .filter(|m| m.size <= MAX_MERGED)
        .map(|m| m.story)
        .collect();
    // The best story itself must be small too, or the item simply joins it.
    if !small.contains(&best.story) || small.len() == 1 {
        return Decision::Join(best.story);
    }
    let mut ids = small;
    ids.sort_unstable();
    Decision::Merge {
        keep: ids[0],
        gone: ids[1..].to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEDE: &str = "North Korea fired a short-range ballistic missile toward the East Sea on \
        Tuesday morning, South Korea's Joint Chiefs of Staff said, the third launch this month.";

    fn fp(title: &str, body: &str) -> Arc<Fingerprint> {
        Arc::new(Fingerprint::new(title, body))
    }

    fn matched(story: i64, score: f32, member: &Arc<Fingerprint>, size: i64) -> Matched {
        Matched {
            story,
            score,
            member: member.clone(),
            size,
        }
    }

    #[test]
    fn no_match_is_a_new_story_and_one_is_joined() {
        assert_eq!(decide(Vec::new()), Decision::New);
        let m = fp("N. Korea fires missile: JCS", LEDE);
        assert_eq!(decide(vec![matched(7, 1.5, &m, 3)]), Decision::Join(7));
    }

    #[test]
    fn related_small_stories_merge_under_the_earliest_and_large_ones_are_joined() {
        let flash = fp("(URGENT) N. Korea fires missile: JCS", LEDE);
        let lead = fp(
            "(LEAD) N. Korea fires missile: JCS",
            &format!("{LEDE} The launch came days after joint drills."),
        );
        let two = vec![matched(9, 1.8, &flash, 2), matched(4, 1.6, &lead, 3)];
        assert_eq!(
            decide(two.clone()),
            Decision::Merge {
                keep: 4,
                gone: vec![9]
            }
        );
        // The best story is large: the item joins it and nothing merges.
        let mut large = two.clone();
        large[0].size = MAX_MERGED + 1;
        assert_eq!(decide(large), Decision::Join(9));
        // A large other story stays apart.
        let mut other_large = two;
        other_large[1].size = MAX_MERGED + 1;
        assert_eq!(decide(other_large), Decision::Join(9));
    }

    #[test]
    fn a_generic_item_does_not_weld_unrelated_stories() {
        let missile = fp("N. Korea fires missile: JCS", LEDE);
        let concert = fp(
            "BTS to hold concert in Busan",
            "The K-pop group will perform at the Busan Asiad stadium in October, its agency said.",
        );
        let both = vec![matched(1, 1.2, &missile, 2), matched(2, 1.1, &concert, 2)];
        assert_eq!(decide(both), Decision::Join(1));
    }

    #[test]
    fn a_shared_link_joins_unless_the_texts_share_nothing() {
        let a = fp("N. Korea fires missile: JCS", LEDE);
        let home = fp(
            "BTS to hold concert in Busan",
            "The K-pop group will perform at the Busan Asiad stadium in October, its agency said.",
        );
        let bare = fp("", "");
        assert!(same_article(&a, &fp("North Korea fires a missile", LEDE)));
        assert!(!same_article(&a, &home));
        assert!(
            same_article(&a, &bare),
            "an item without text cannot disagree"
        );
    }

    #[test]
    fn the_best_member_is_the_most_similar_same_story_one() {
        let new = fp("(LEAD) N. Korea fires missile: JCS", LEDE);
        let members: Vec<_> = vec![
            fp(
                "BTS to hold concert in Busan",
                "The K-pop group will perform.",
            ),
            fp("N. Korea fires missile toward East Sea on Tuesday", LEDE),
            fp("N. Korea fires missile: JCS", LEDE),
        ]
        .into_iter()
        .map(|f| (f, 0))
        .collect();
        assert_eq!(best_member(&new, 0, &members).map(|(_, i)| i), Some(2));
        assert_eq!(best_member(&new, 0, &members[..1]), None);
    }

    /// A headline-only item (a flash, a feed without bodies) joins by its headline within
    /// [`HEADLINE_ONLY_SPAN`] only: the same headline a day later is another day's report.
    #[test]
    fn a_headline_alone_joins_only_within_a_short_span() {
        let flash = fp(
            "(URGENT) N. Korea fires ballistic missile into East Sea: JCS",
            "",
        );
        let report = vec![(
            fp("N. Korea fires ballistic missile into East Sea: JCS", LEDE),
            0,
        )];
        assert!(
            best_member(&flash, 3600, &report).is_some(),
            "an hour later"
        );
        assert!(
            best_member(&flash, 86_400, &report).is_none(),
            "the next day"
        );
        // Two bodies that agree are compared whatever the gap (the window decides).
        let republished = fp("N. Korea fires ballistic missile into East Sea: JCS", LEDE);
        assert!(best_member(&republished, 86_400, &report).is_some());
    }

    #[test]
    fn contradicting_details_keep_a_report_out() {
        let new = fp("N. Korea fires missile: JCS", LEDE);
        let other_day = fp(
            "N. Korea fires missile: JCS",
            &LEDE.replace("third", "fifth").replace("Tuesday", "Friday"),
        );
        assert!(contradicts(&new, &[other_day]));
        assert!(!contradicts(&new, std::slice::from_ref(&new)));
    }
}
