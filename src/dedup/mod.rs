//! Item identity and stories. Pure; the store applies the rules.
//! - Identity (this file): which keys say two entries are the same item of one feed: the same
//!   guid, else the same canonical link, else (for items with neither) the same content hash.
//! - [`story`]: whether two items are the same wire story (republished, reissued, re-headlined).
//! - [`sketch`]: band keys and an in-memory index that find the items worth comparing.
//! - [`cluster`]: the decision, from the candidates found: join a story, merge, or start one.

pub mod cluster;
pub mod sketch;
pub mod story;

use crate::text::hex;
use sha2::{Digest, Sha256};

use std::collections::{HashMap, HashSet};

use crate::model::{Identity, Match, ParsedItem};
use crate::text::fold;

/// An item ready for the store: parsed, identified, fingerprinted and matched.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadyItem {
    pub item: ParsedItem,
    pub identity: Identity,
    /// What story comparison looks at (see [`story`]).
    pub fingerprint: story::Fingerprint,
    pub matches: Vec<Match>,
}

/// Longest guid kept as a key; longer ones are hashed (some feeds put whole URLs with session
/// tokens or even text in the guid).
const MAX_GUID_BYTES: usize = 512;

/// Derives the identity keys of one parsed item.
pub fn identify(item: &ParsedItem) -> Identity {
    let title = fold(&item.title);
    let summary = fold(item.summary.as_deref().unwrap_or_default());
    identify_folded(item, &title, &summary)
}

/// Like [`identify`], with the item's title and summary already [`fold`]ed.
pub fn identify_folded(item: &ParsedItem, title: &str, summary: &str) -> Identity {
    let guid = item
        .guid
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(|g| {
            if g.len() > MAX_GUID_BYTES {
                format!("sha256:{}", hex_digest(g.as_bytes()))
            } else {
                g.to_string()
            }
        });
    Identity {
        guid,
        link: item.link.clone(),
        content_hash: content_hash(title, summary),
    }
}

/// An item ready for the store, without watchlist matches: identity and fingerprint derived.
pub fn ready(item: ParsedItem) -> ReadyItem {
    let title = fold(&item.title);
    let summary = fold(item.summary.as_deref().unwrap_or_default());
    ReadyItem {
        identity: identify_folded(&item, &title, &summary),
        fingerprint: story::Fingerprint::from_folded(&title, &summary),
        item,
        matches: Vec::new(),
    }
}

/// What identifies an item within its feed and what the store compares to decide that it is
/// unchanged, in one hash: two bodies carrying an item with the same value carry the same item,
/// unchanged (see `refresh::Refresher`, which skips such items' fingerprint and matching).
pub fn revision(item: &ParsedItem, identity: &Identity) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    let mut field = |s: &str| {
        h.update(s.as_bytes());
        h.update(&[0xff]);
    };
    match (&identity.guid, &identity.link) {
        (Some(g), _) => field(g),
        (None, Some(l)) => field(l),
        (None, None) => field(&identity.content_hash),
    }
    field(&item.title);
    field(item.summary.as_deref().unwrap_or("\u{0}"));
    field(item.author.as_deref().unwrap_or("\u{0}"));
    field(item.link.as_deref().unwrap_or("\u{0}"));
    for c in &item.categories {
        field(c);
    }
    field(&format!("{:?}|{:?}", item.published, item.updated));
    h.digest()
}

/// Hash of the folded title and summary (see [`fold`]): stable across whitespace, case, width
/// and Unicode form differences, so a re-poll of a guid-less, link-less item finds the same row.
pub fn content_hash(folded_title: &str, folded_summary: &str) -> String {
    let mut h = Sha256::new();
    h.update(folded_title.as_bytes());
    h.update([0u8]);
    h.update(folded_summary.as_bytes());
    hex(&h.finalize()[..16])
}

/// Settles identity within one fetched body, before anything is stored:
/// - an item that repeats an earlier item's guid, or its link without a guid of its own, or (for
///   items with neither) its content, is the same item again and is dropped;
/// - a link that several items with distinct guids share (a feed that gives every item its home
///   page) says nothing about identity, so those items are identified by guid alone.
///
/// Without this, two rows of one body would update each other on every poll. Returns how many
/// items were dropped.
pub fn settle_batch<T>(items: &mut Vec<T>, identity: fn(&mut T) -> &mut Identity) -> usize {
    let before = items.len();
    let mut guids: HashSet<String> = HashSet::new();
    let mut hashes: HashSet<String> = HashSet::new();
    // link → the guids of the items kept with it (None for a kept item without guid).
    let mut links: HashMap<String, Vec<Option<String>>> = HashMap::new();
    items.retain_mut(|r| {
        let id = identity(r);
        if let Some(g) = &id.guid
            && !guids.insert(g.clone())
        {
            return false;
        }
        match (&id.link, &id.guid) {
            (Some(link), guid) => {
                let kept = links.entry(link.clone()).or_default();
                // A repeat of the link counts as the same item unless both carry guids.
                let same = kept.iter().any(|g| g.is_none() || guid.is_none());
                if same {
                    return false;
                }
                kept.push(guid.clone());
                true
            }
            (None, None) => hashes.insert(id.content_hash.clone()),
            (None, Some(_)) => true,
        }
    });
    for r in items.iter_mut() {
        let id = identity(r);
        if let Some(link) = &id.link
            && links.get(link).is_some_and(|k| k.len() > 1)
        {
            id.link = None;
        }
    }
    before - items.len()
}

fn hex_digest(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(title: &str, summary: Option<&str>) -> ParsedItem {
        ParsedItem {
            title: title.into(),
            summary: summary.map(Into::into),
            ..Default::default()
        }
    }

    #[test]
    fn content_hash_ignores_case_space_and_width() {
        let a = identify(&item("North Korea  fires", Some("A missile.")));
        let b = identify(&item("north korea fires", Some(" A   missile. ")));
        let c = identify(&item("ｎｏｒｔｈ korea fires", Some("A missile.")));
        assert_eq!(a.content_hash, b.content_hash);
        assert_eq!(a.content_hash, c.content_hash);
        let d = identify(&item("North Korea fires", Some("Two missiles.")));
        assert_ne!(a.content_hash, d.content_hash);
    }

    #[test]
    fn title_and_summary_do_not_run_together() {
        assert_ne!(content_hash("ab", "c"), content_hash("a", "bc"));
    }

    fn ready(guid: Option<&str>, link: Option<&str>, title: &str) -> ReadyItem {
        let mut item = item(title, None);
        item.guid = guid.map(Into::into);
        item.link = link.map(Into::into);
        super::ready(item)
    }

    fn titles(items: &[ReadyItem]) -> Vec<&str> {
        items.iter().map(|r| r.item.title.as_str()).collect()
    }

    #[test]
    fn repeats_within_a_body_are_dropped() {
        let mut b = vec![
            ready(Some("d1"), Some("https://s/1"), "first d1"),
            ready(Some("d1"), Some("https://s/2"), "second d1"),
            ready(None, Some("https://s/3"), "link only"),
            ready(None, Some("https://s/3"), "link only again"),
            ready(
                Some("g9"),
                Some("https://s/3"),
                "guid after a guid-less link",
            ),
            ready(None, None, "bare"),
            ready(None, None, "bare"),
        ];
        assert_eq!(settle_batch(&mut b, |r| &mut r.identity), 4);
        assert_eq!(titles(&b), vec!["first d1", "link only", "bare"]);
        assert_eq!(b[0].identity.link.as_deref(), Some("https://s/1"));
    }

    #[test]
    fn a_link_shared_by_distinct_guids_is_not_an_identity() {
        let mut b = vec![
            ready(Some("a"), Some("https://home/"), "story a"),
            ready(Some("b"), Some("https://home/"), "story b"),
            ready(Some("c"), Some("https://s/c"), "story c"),
        ];
        assert_eq!(settle_batch(&mut b, |r| &mut r.identity), 0);
        assert_eq!(b[0].identity.link, None);
        assert_eq!(b[1].identity.link, None);
        assert_eq!(
            b[0].item.link.as_deref(),
            Some("https://home/"),
            "the item keeps its link"
        );
        assert_eq!(b[2].identity.link.as_deref(), Some("https://s/c"));
    }

    #[test]
    fn guid_is_trimmed_and_long_guids_hashed() {
        let mut i = item("t", None);
        i.guid = Some("  AEN1 ".into());
        assert_eq!(identify(&i).guid.as_deref(), Some("AEN1"));
        i.guid = Some("x".repeat(600));
        let g = identify(&i).guid.unwrap();
        assert!(g.starts_with("sha256:") && g.len() == 7 + 64);
        i.guid = Some("   ".into());
        assert_eq!(identify(&i).guid, None);
    }
}
