//! Watchlists, compiled once into a single Aho-Corasick automaton (plus one `RegexSet` for the
//! regex terms) and matched per item. Pure.
//!
//! Semantics (documented in README, "Watchlists"):
//! - Text and terms are compared in [`fold`]ed form: Unicode NFKC (full-width = half-width),
//!   lower case, one kind of dash, single spaces.
//! - Spaces and hyphens inside a term are optional in the text and vice versa: `Kim Yo-jong`,
//!   `Kim Yo Jong` and `Kim Yojong` are one term. (Both sides are matched with spaces and hyphens
//!   squeezed out; word boundaries are checked in the unsqueezed text.)
//! - A term whose edge is a Latin letter or digit must sit on a word boundary at that edge; a
//!   neighbouring Hangul or CJK character counts as a boundary (`IAEA가` matches `IAEA`).
//! - A Hangul term must start a word and may be followed by Korean particles (`북한은`, `북한에서`,
//!   `북한과의`), not by other syllables (`북한산` is a mountain). `=북한` requires the bare word;
//!   `북한*` (or `missile*`) accepts any continuation. Han and kana terms match anywhere.
//! - `/regex/` terms run on the folded text of a field.
//! - A term may be scoped to a field (`title:Kishida`); fields never run into each other.
//!
//! What lives where: this file holds the public face (re-exports, [`WatchError`], [`ItemText`],
//! the [`WatchSet`] type); `term` the syntax of one term ([`parse_term`], [`parse_query`]);
//! `compile` building the automaton and the lists ([`WatchSet::compile`]); `matcher` matching
//! an item ([`WatchSet::match_with`]); `explain` what a match shows ([`snippet`]); `script` the
//! character and Korean particle rules both parsing and matching use; `query` the query form's
//! parser; `load` loading a config with this syntax ([`load_config`]).

mod compile;
mod explain;
mod load;
mod matcher;
pub mod query;
mod script;
mod term;

use aho_corasick::AhoCorasick;
use regex::RegexSet;

pub use crate::config::{TermError, TermSpec, WatchlistSpec};
use crate::model::{Field, ParsedItem};
pub use crate::text::fold;
use compile::{List, Occurrence, RegexTerm, Slot};
pub use explain::snippet;
pub use load::{Syntax, load, load_config, load_for_reports, parse_watchlists};
pub use term::{ParsedTerm, parse_query, parse_term};

/// Why a watchlist set cannot be compiled.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("watchlist {watchlist:?}: term {term:?}: {error}")]
    Term {
        watchlist: String,
        term: String,
        error: TermError,
    },
    #[error("watchlist {watchlist:?}: query: {error}")]
    Query { watchlist: String, error: TermError },
    #[error("watchlist {watchlist:?} has no terms, `all` or `query`: it would match nothing")]
    NoTerms { watchlist: String },
    #[error("could not build the watchlist automaton: {0}")]
    Automaton(#[from] aho_corasick::BuildError),
    #[error("could not build the watchlist regexes: {0}")]
    Regex(#[from] regex::Error),
}

/// The texts of an item a watchlist looks at.
#[derive(Debug, Clone, Copy, Default)]
pub struct ItemText<'a> {
    pub title: &'a str,
    pub summary: &'a str,
    pub author: &'a str,
    /// The feed's configured name.
    pub feed: &'a str,
    pub link: &'a str,
}

impl<'a> ItemText<'a> {
    pub fn of(item: &'a ParsedItem, feed: &'a str) -> Self {
        Self {
            title: &item.title,
            summary: item.summary.as_deref().unwrap_or_default(),
            author: item.author.as_deref().unwrap_or_default(),
            feed,
            link: item.link.as_deref().unwrap_or_default(),
        }
    }

    /// The text of field `f`.
    fn get(&self, f: Field) -> &'a str {
        match f {
            Field::Title => self.title,
            Field::Summary => self.summary,
            Field::Author => self.author,
            Field::Feed => self.feed,
            Field::Link => self.link,
        }
    }
}

/// All watchlists of a config, compiled.
#[derive(Debug, Clone)]
pub struct WatchSet {
    lists: Vec<List>,
    slots: Vec<Slot>,
    /// Occurrences by automaton pattern id.
    needles: Vec<Vec<Occurrence>>,
    automaton: Option<AhoCorasick>,
    regexes: Vec<RegexTerm>,
    regex_set: Option<RegexSet>,
    /// Fields any term looks at.
    fields: u8,
}

impl WatchSet {
    /// A set with no watchlists: matches nothing.
    pub fn empty() -> Self {
        Self {
            lists: Vec::new(),
            slots: Vec::new(),
            needles: Vec::new(),
            automaton: None,
            regexes: Vec::new(),
            regex_set: None,
            fields: 0,
        }
    }

    /// Names of the compiled watchlists, in config order.
    pub fn names(&self) -> Vec<&str> {
        self.lists.iter().map(|l| l.name.as_str()).collect()
    }

    /// Whether any watchlist is compiled.
    pub fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }
}
