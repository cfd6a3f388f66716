//! The watchlist file: each `[[watchlist]]`'s terms, query, fields, feeds, priority and sinks;
//! the [`Field`]s of an item a term can look at; and [`TermSyntax`], through which the loader
//! has terms and queries checked.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::alerts::{Priority, SinkConfig};
use super::error::{ConfigError, Source};
use super::feeds::FeedConfig;
use super::raw::{RawTerm, RawWatchlist, RawWatchlists, from_toml};

/// One watchlist as configured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchlistSpec {
    pub name: String,
    pub description: Option<String>,
    /// At least one must appear (`terms` and `any`).
    pub terms: Vec<TermSpec>,
    /// Every one must appear.
    pub all: Vec<TermSpec>,
    /// None may appear (`not` and `exclude`).
    pub not: Vec<TermSpec>,
    /// The one-line boolean form, which must also hold.
    pub query: Option<String>,
    /// The fields terms look at when they name none; empty means title and summary.
    pub fields: Vec<Field>,
    /// The feeds (configured names) the watchlist applies to; empty means all.
    pub feeds: Vec<String>,
    pub priority: Priority,
    /// Names of the sinks its alerts go to.
    pub alerts: Vec<String>,
}

/// A term, or an alias group whose members count as one term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum TermSpec {
    One(String),
    Group(Vec<String>),
}

impl WatchlistSpec {
    /// A digest of what decides which items the watchlist matches (terms, `all`, `not`,
    /// `query`, `fields`, `feeds`; not its description, priority or sinks): equal digests,
    /// equal matches.
    pub fn fingerprint(&self) -> String {
        let key = format!(
            "{:?}",
            (
                &self.terms,
                &self.all,
                &self.not,
                &self.query,
                &self.fields,
                &self.feeds
            )
        );
        format!("{:016x}", xxhash_rust::xxh3::xxh3_64(key.as_bytes()))
    }
}

impl TermSpec {
    pub fn members(&self) -> &[String] {
        match self {
            TermSpec::One(t) => std::slice::from_ref(t),
            TermSpec::Group(g) => g,
        }
    }
}

impl std::fmt::Display for TermSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TermSpec::One(t) => f.write_str(t),
            TermSpec::Group(g) => write!(f, "[{}]", g.join(" | ")),
        }
    }
}

impl From<&str> for TermSpec {
    fn from(s: &str) -> Self {
        TermSpec::One(s.to_string())
    }
}

/// Why a term or query cannot be used: a message and the byte offset in its source text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TermError {
    pub offset: usize,
    pub message: String,
}

/// The syntax of watchlist terms and queries, which config does not know. The loader asks it
/// about every term (each alias of a group on its own) and every query, and reports what it
/// rejects at the line and column `TermError::offset` points to. The watch module implements
/// it.
pub trait TermSyntax {
    /// Checks one term as written (`title:`, `=`, quotes, `*`, `/regex/`).
    fn check_term(&self, term: &str) -> Result<(), TermError>;
    /// Checks one `query`.
    fn check_query(&self, query: &str) -> Result<(), TermError>;
}

/// The parts of an item a watchlist term can be scoped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    Title,
    Summary,
    Author,
    /// The feed's configured name.
    Feed,
    Link,
}

impl Field {
    pub const ALL: [Field; 5] = [
        Field::Title,
        Field::Summary,
        Field::Author,
        Field::Feed,
        Field::Link,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Summary => "summary",
            Field::Author => "author",
            Field::Feed => "feed",
            Field::Link => "link",
        }
    }

    pub fn parse(s: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// Names a watchlist file may refer to.
struct Known<'a> {
    feeds: Vec<&'a str>,
    sinks: Vec<&'a str>,
}

/// The watchlist file the main config names (`watchlists`, relative to `base`), checked
/// against the configured feeds and sinks; none named, none loaded. Its text is read from the
/// file unless given (`named.1`: a proposed edit, checked before it is written).
pub(super) fn file(
    (named, text): (Option<&Spanned<String>>, Option<&str>),
    base: &Path,
    feeds: &[FeedConfig],
    sinks: &[SinkConfig],
    syntax: &dyn TermSyntax,
    src: Source,
) -> Result<(Option<PathBuf>, Vec<WatchlistSpec>), ConfigError> {
    let Some(w) = named else {
        return Ok((None, Vec::new()));
    };
    let wpath = super::paths::resolve(base, w.get_ref());
    let wsrc = match text {
        Some(t) => t.to_string(),
        None => std::fs::read_to_string(&wpath).map_err(|e| {
            src.invalid(
                w.span(),
                "watchlists",
                format!("cannot read watchlist file {}: {e}", wpath.display()),
            )
        })?,
    };
    let known = Known {
        feeds: feeds.iter().map(|f| f.name.as_str()).collect(),
        sinks: sinks.iter().map(|s| s.name.as_str()).collect(),
    };
    let specs = load_watchlists(&wpath, &wsrc, Some(&known), syntax)?;
    Ok((Some(wpath), specs))
}

/// Reads a watchlist file's text (`path` is only used in messages): every term, query and
/// setting is checked (terms and queries by `syntax`), but not the feed and sink names it refers
/// to (see [`load`](super::load)).
pub fn parse_watchlists(
    path: &Path,
    src: &str,
    syntax: &dyn TermSyntax,
) -> Result<Vec<WatchlistSpec>, ConfigError> {
    load_watchlists(path, src, None, syntax)
}

/// A watchlist file's text; names of feeds and sinks are checked when `known` is given.
fn load_watchlists(
    path: &Path,
    text: &str,
    known: Option<&Known>,
    syntax: &dyn TermSyntax,
) -> Result<Vec<WatchlistSpec>, ConfigError> {
    let raw: RawWatchlists = from_toml(path, text)?;
    let src = Source { path, text };
    let mut specs: Vec<WatchlistSpec> = Vec::new();
    for w in &raw.watchlists {
        let spec = watchlist(w.get_ref(), &specs, known, syntax, src)?;
        specs.push(spec);
    }
    Ok(specs)
}

/// One `[[watchlist]]` (`earlier` are the ones before it): its name, its terms and query, then
/// the fields, feeds, priority and sinks it names.
fn watchlist(
    w: &RawWatchlist,
    earlier: &[WatchlistSpec],
    known: Option<&Known>,
    syntax: &dyn TermSyntax,
    src: Source,
) -> Result<WatchlistSpec, ConfigError> {
    let name = w.name.get_ref().trim();
    if name.is_empty() || name.chars().any(|c| c.is_control()) {
        return Err(src.invalid(
            w.name.span(),
            "watchlist.name",
            "must be non-empty printable text".into(),
        ));
    }
    if earlier.iter().any(|s| s.name == name) {
        return Err(src.invalid(
            w.name.span(),
            "watchlist.name",
            format!("duplicate watchlist name {name:?}"),
        ));
    }
    let mut spec = WatchlistSpec {
        name: name.to_string(),
        description: w.description.clone(),
        ..Default::default()
    };
    term_lists(w, name, &mut spec, syntax, src)?;
    if let Some(q) = &w.query {
        syntax
            .check_query(q.get_ref())
            .map_err(|e| rejected(src, q.span(), q.get_ref(), "watchlist.query", name, e))?;
        spec.query = Some(q.get_ref().clone());
    }
    if spec.terms.is_empty() && spec.all.is_empty() && spec.query.is_none() {
        return Err(src.invalid(
            w.name.span(),
            "watchlist.terms",
            format!("watchlist {name:?} has no terms (give terms, any, all or query)"),
        ));
    }
    references(w, name, &mut spec, known, src)?;
    Ok(spec)
}

/// `terms`, `any`, `all`, `not` and `exclude`, each term checked by `syntax`.
fn term_lists(
    w: &RawWatchlist,
    name: &str,
    spec: &mut WatchlistSpec,
    syntax: &dyn TermSyntax,
    src: Source,
) -> Result<(), ConfigError> {
    let lists = [
        (&w.terms, "watchlist.terms"),
        (&w.any, "watchlist.any"),
        (&w.all, "watchlist.all"),
        (&w.not, "watchlist.not"),
        (&w.exclude, "watchlist.exclude"),
    ];
    for (list, key) in lists {
        let Some(list) = list else { continue };
        if list.get_ref().is_empty() && matches!(key, "watchlist.terms" | "watchlist.all") {
            return Err(src.invalid(list.span(), key, format!("watchlist {name:?} has no terms")));
        }
        for t in list.get_ref() {
            let term = term(t, key, name, syntax, src)?;
            match key {
                "watchlist.terms" | "watchlist.any" => spec.terms.push(term),
                "watchlist.all" => spec.all.push(term),
                _ => spec.not.push(term),
            }
        }
    }
    Ok(())
}

/// One entry of a term list: a term, or an alias group whose every member is checked.
fn term(
    t: &Spanned<RawTerm>,
    key: &str,
    name: &str,
    syntax: &dyn TermSyntax,
    src: Source,
) -> Result<TermSpec, ConfigError> {
    let check = |span: Range<usize>, term: &str| {
        syntax
            .check_term(term)
            .map_err(|e| rejected(src, span, term, key, name, e))
    };
    match t.get_ref() {
        RawTerm::One(one) => {
            check(t.span(), one)?;
            Ok(TermSpec::One(one.clone()))
        }
        RawTerm::Group(members) => {
            if members.is_empty() {
                return Err(src.invalid(
                    t.span(),
                    key,
                    format!("watchlist {name:?}: empty alias group"),
                ));
            }
            for m in members {
                check(m.span(), m.get_ref())?;
            }
            Ok(TermSpec::Group(
                members.iter().map(|m| m.get_ref().clone()).collect(),
            ))
        }
    }
}

/// What `syntax` said about the term or query whose literal spans `span`, placed where in the
/// file its error points.
fn rejected(
    src: Source,
    span: Range<usize>,
    value: &str,
    key: &str,
    name: &str,
    e: TermError,
) -> ConfigError {
    let at = offset_in_string(src.text, span, value, e.offset);
    src.invalid(at..at, key, format!("watchlist {name:?}: {}", e.message))
}

/// `fields`, `feeds`, `priority` and `alerts`: feed and sink names are checked when `known`.
fn references(
    w: &RawWatchlist,
    name: &str,
    spec: &mut WatchlistSpec,
    known: Option<&Known>,
    src: Source,
) -> Result<(), ConfigError> {
    for f in w.fields.iter().flatten() {
        let field = Field::parse(f.get_ref().trim()).ok_or_else(|| {
            src.invalid(
                f.span(),
                "watchlist.fields",
                format!(
                    "watchlist {name:?}: unknown field {:?} (title, summary, author, feed, link)",
                    f.get_ref()
                ),
            )
        })?;
        spec.fields.push(field);
    }
    for f in w.feeds.iter().flatten() {
        let feed = f.get_ref().trim();
        if let Some(k) = known
            && !k.feeds.contains(&feed)
        {
            return Err(src.invalid(
                f.span(),
                "watchlist.feeds",
                format!("watchlist {name:?}: no feed is named {feed:?}"),
            ));
        }
        spec.feeds.push(feed.to_string());
    }
    if let Some(p) = &w.priority {
        spec.priority = Priority::parse(p.get_ref().trim()).ok_or_else(|| {
            src.invalid(
                p.span(),
                "watchlist.priority",
                format!(
                    "watchlist {name:?}: unknown priority {:?} (low, normal, high, urgent)",
                    p.get_ref()
                ),
            )
        })?;
    }
    for a in w.alerts.iter().flatten() {
        let sink = a.get_ref().trim();
        if let Some(k) = known
            && !k.sinks.contains(&sink)
        {
            return Err(src.invalid(
                a.span(),
                "watchlist.alerts",
                format!("watchlist {name:?}: no [[sink]] is named {sink:?} in the main config"),
            ));
        }
        spec.alerts.push(sink.to_string());
    }
    Ok(())
}

/// The byte offset in `src` of byte `offset` of the string value whose literal spans `span`;
/// the literal's start when escapes make the two differ.
fn offset_in_string(src: &str, span: Range<usize>, value: &str, offset: usize) -> usize {
    let Some(lit) = src.get(span.clone()) else {
        return span.start;
    };
    let delim = if lit.starts_with("\"\"\"") || lit.starts_with("'''") {
        3
    } else {
        1
    };
    let Some(inner) = lit.get(delim..lit.len().saturating_sub(delim)) else {
        return span.start;
    };
    let (inner, skip) = match inner.strip_prefix('\n') {
        Some(rest) if delim == 3 => (rest, 1),
        _ => (inner, 0),
    };
    if inner == value && offset <= value.len() {
        span.start + delim + skip + offset
    } else {
        span.start
    }
}
