//! Item identity: which keys say two items are the same item. Pure; the store applies the rules
//! (same guid in the same feed, or same canonical link in any feed, or, for items with neither,
//! the same content hash in the same feed).

use sha2::{Digest, Sha256};

use crate::model::{Identity, ParsedItem};
use crate::text::fold;

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

/// Hash of the folded title and summary (see [`fold`]): stable across whitespace, case, width
/// and Unicode form differences, so a re-poll of a guid-less, link-less item finds the same row.
pub fn content_hash(folded_title: &str, folded_summary: &str) -> String {
    let mut h = Sha256::new();
    h.update(folded_title.as_bytes());
    h.update([0u8]);
    h.update(folded_summary.as_bytes());
    hex(&h.finalize()[..16])
}

fn hex_digest(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
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
