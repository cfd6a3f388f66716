//! Plain data shared by the pipeline stages: what a parsed feed and item look like, an item's
//! identity keys, and the watchlist matches found for it. No behaviour lives here.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::config::{Field, Zone};

/// A feed after parsing and normalisation, before anything is stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedFeed {
    pub title: Option<String>,
    pub link: Option<String>,
    pub updated: Option<DateTime<Utc>>,
    pub items: Vec<ParsedItem>,
    /// RSS `<ttl>`, in minutes.
    pub ttl_minutes: Option<u32>,
    /// `sy:updatePeriod` (as a duration) and `sy:updateFrequency`.
    pub sy_update: Option<(std::time::Duration, u32)>,
    /// What the parser noticed about a body it still read (cut short, entries it could not
    /// read): shown on the feed, never a silent ok.
    pub warnings: Vec<FeedWarning>,
}

/// Something wrong with a feed body that was still read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedWarning {
    /// The body ends in the middle of the document (a connection cut, a server-side limit):
    /// the items whose end tag was reached were read; the one cut in the middle was dropped.
    Truncated,
    /// The document has `count` entry elements (`item` or `entry`) and none could be read.
    Unreadable { element: String, count: usize },
}

impl std::fmt::Display for FeedWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FeedWarning::Truncated => f.write_str(
                "truncated: the body was cut short; the complete items before the cut were kept",
            ),
            FeedWarning::Unreadable { element, count } => {
                write!(f, "{count} <{element}> elements, none readable")
            }
        }
    }
}

/// One entry of a feed, normalised: plain-text title and summary, canonical link, UTC dates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedItem {
    /// The feed's own id for the item (RSS `guid`, Atom `id`, JSON Feed `id`), if it gave one.
    pub guid: Option<String>,
    pub title: String,
    /// Canonical, absolute http(s) link.
    pub link: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub author: Option<String>,
    /// Plain text: HTML stripped, entities decoded, whitespace collapsed.
    pub summary: Option<String>,
    pub categories: Vec<String>,
}

/// The keys that decide whether two items are the same item (see `dedup`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Same guid in the same feed ⇒ same item.
    pub guid: Option<String>,
    /// Same canonical link in any feed ⇒ same item.
    pub link: Option<String>,
    /// Fallback for items with neither guid nor link: a hash of title and summary.
    pub content_hash: String,
}

/// One watchlist that matched an item, with the terms (as written in the config) that matched
/// and where each was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Match {
    pub watchlist: String,
    /// The matched terms as written in the watchlist (an alias group by its first member).
    pub terms: Vec<String>,
    /// Where each term was found: field, the text that matched, a snippet around it.
    #[serde(default)]
    pub hits: Vec<Hit>,
}

/// One place a watchlist term was found in an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hit {
    /// The term as written in the watchlist (an alias group by its first member).
    pub term: String,
    pub field: Field,
    /// The text that matched, as it appears in the item (e.g. `김여정은`'s `김여정`).
    pub text: String,
    /// A short excerpt of the field around the match ("…" where cut).
    pub snippet: String,
}

/// The story an alert is about, as it was when the alert was raised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertStory {
    pub id: i64,
    pub title: String,
    pub link: Option<String>,
    /// The configured name of the feed the matching item came from.
    pub feed: String,
    pub published: Option<DateTime<Utc>>,
    pub first_seen: DateTime<Utc>,
    pub summary: Option<String>,
}
