//! Full-text search: a user's query turned into an FTS5 `MATCH` expression, and the ranked
//! search over the `items_fts` index (titles and summaries).
//!
//! The user's syntax is the watchlist query form (`crate::watch::query`): words (all must
//! appear), `"quoted phrases"`, `OR`, `NOT`, parentheses, `title:`/`summary:` prefixes and a
//! trailing `*`. It is translated here, so FTS5's own syntax never reaches the user and a
//! mistake is reported with its column, never as an SQL error. The index keeps Korean words
//! whole (`북한은` is one token), so a Hangul word is searched as a prefix: `북한` finds `북한은`,
//! `북한이`, `북한의` — two-syllable words included, which a trigram index could not do.

use chrono::{DateTime, Utc};
use rusqlite::{params_from_iter, types::Value};
use serde::Serialize;

use super::query::{ListQuery, Reader, item_filters};
use super::{StoreError, sqlite_err};
use crate::watch::query::{self, Expr};

/// Why a search query cannot run: the message and the character column (1-based) it points at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("search query, column {column}: {message}")]
pub struct QueryError {
    pub column: usize,
    pub message: String,
}

/// Filters for [`Reader::search`].
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub text: String,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub feed: Option<String>,
    pub watchlist: Option<String>,
    pub limit: u64,
}

/// One search result. Field names are part of `search --format json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    pub id: i64,
    pub story_id: Option<i64>,
    pub feed: String,
    pub title: String,
    pub link: Option<String>,
    /// The item's time (published, never later than first seen).
    pub time: DateTime<Utc>,
    /// The item's published time, as tables name it: the same as `time`.
    pub published: DateTime<Utc>,
    /// When the item was seen (stored here).
    pub seen: DateTime<Utc>,
    /// FTS5's bm25 score, lower is better (title words weigh five times summary words).
    pub rank: f64,
    /// Character ranges of `title` that matched.
    pub title_highlights: Vec<(usize, usize)>,
    /// An excerpt of the summary around the matches ("…" where cut).
    pub snippet: String,
    /// Character ranges of `snippet` that matched.
    pub snippet_highlights: Vec<(usize, usize)>,
}

/// Markers FTS5 puts around matches; stored text never contains control characters.
const OPEN: char = '\u{2}';
const CLOSE: char = '\u{3}';

impl Reader {
    /// Items matching `q.text`, best first.
    pub fn search(&self, q: &SearchQuery) -> Result<Vec<SearchHit>, SearchError> {
        let expr = fts_query(&q.text)?;
        let mut sql = String::from(
            "SELECT i.id, i.story_id, f.name, i.title, i.link, i.sort_ts,
                bm25(items_fts, 5.0, 1.0) AS rank,
                highlight(items_fts, 0, char(2), char(3)),
                snippet(items_fts, 1, char(2), char(3), '…', 24), i.first_seen
             FROM items_fts JOIN items i ON i.id = items_fts.rowid
             JOIN feeds f ON f.id = i.feed_id
             WHERE items_fts MATCH ?",
        );
        let mut args: Vec<Value> = vec![Value::Text(expr)];
        let filters = ListQuery {
            since: q.since,
            until: q.until,
            feed: q.feed.clone(),
            watchlist: q.watchlist.clone(),
            ..Default::default()
        };
        item_filters(&filters, &mut sql, &mut args);
        sql.push_str(" ORDER BY rank LIMIT ?");
        args.push(Value::Integer(q.limit.min(i64::MAX as u64) as i64));
        let err = sqlite_err(self.path());
        // FTS5 checks the expression when the query runs; whatever it still refuses is the
        // query's fault (exit 2), told in words rather than as its parser's message.
        let fts = |e: rusqlite::Error| -> SearchError {
            if e.to_string().contains("fts5") {
                SearchError::Query(QueryError {
                    column: 1,
                    message: "the search index cannot run this query; simplify it".into(),
                })
            } else {
                SearchError::Store(err(e))
            }
        };
        let mut stmt = self.conn().prepare(&sql).map_err(&err)?;
        let rows = stmt
            .query_map(params_from_iter(args), |r| {
                let (title, title_highlights) = unmark(&r.get::<_, String>(7)?);
                let (snippet, snippet_highlights) =
                    unmark(&r.get::<_, Option<String>>(8)?.unwrap_or_default());
                let time = DateTime::from_timestamp(r.get(5)?, 0).unwrap_or_default();
                Ok(SearchHit {
                    id: r.get(0)?,
                    story_id: r.get(1)?,
                    feed: r.get(2)?,
                    title,
                    link: r.get(4)?,
                    time,
                    published: time,
                    seen: DateTime::from_timestamp(r.get(9)?, 0).unwrap_or_default(),
                    rank: r.get(6)?,
                    title_highlights,
                    snippet,
                    snippet_highlights,
                })
            })
            .map_err(fts)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(fts)?;
        Ok(rows)
    }
}

/// Why a search failed: the query (the user's to fix) or the database.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Text without the match markers, and the character ranges they enclosed.
fn unmark(marked: &str) -> (String, Vec<(usize, usize)>) {
    let mut text = String::with_capacity(marked.len());
    let mut ranges = Vec::new();
    let mut chars = 0;
    let mut open = None;
    for c in marked.chars() {
        match c {
            OPEN => open = Some(chars),
            CLOSE => {
                if let Some(start) = open.take() {
                    ranges.push((start, chars));
                }
            }
            c => {
                text.push(c);
                chars += 1;
            }
        }
    }
    (text, ranges)
}

/// Translates the user's query into an FTS5 `MATCH` expression.
pub fn fts_query(src: &str) -> Result<String, QueryError> {
    let at = |offset: usize, message: String| QueryError {
        column: src[..offset.min(src.len())].chars().count() + 1,
        message,
    };
    let expr = query::parse(src).map_err(|e| at(e.offset, e.message))?;
    if depth(&expr) > MAX_DEPTH {
        return Err(at(
            0,
            format!("the query is nested more than {MAX_DEPTH} levels deep"),
        ));
    }
    translate(&expr, &at)
}

fn translate(e: &Expr, at: &dyn Fn(usize, String) -> QueryError) -> Result<String, QueryError> {
    match e {
        Expr::Term(t) => term(&t.text).map_err(|m| at(t.offset, m)),
        Expr::Or(children) => {
            let parts = children
                .iter()
                .map(|c| match c {
                    Expr::Not(_) => Err(at(
                        first_offset(c),
                        "NOT cannot be a choice of OR; use a NOT after the words it excludes from"
                            .into(),
                    )),
                    c => translate(c, at),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(format!("({})", parts.join(" OR ")))
        }
        Expr::And(children) => {
            let mut positive = Vec::new();
            let mut negative = Vec::new();
            for c in children {
                match c {
                    Expr::Not(inner) => negative.push(translate(inner, at)?),
                    c => positive.push(translate(c, at)?),
                }
            }
            if positive.is_empty() {
                return Err(at(
                    first_offset(e),
                    "a search needs a word that is not under NOT".into(),
                ));
            }
            // One NOT with every excluded part: a chain of NOTs nests, and FTS5's parser has
            // a small stack.
            let mut out = format!("({})", positive.join(" AND "));
            if !negative.is_empty() {
                out = format!("({out} NOT ({}))", negative.join(" OR "));
            }
            Ok(out)
        }
        Expr::Not(_) => Err(at(
            first_offset(e),
            "NOT needs words to exclude from: `Japan NOT sports`".into(),
        )),
    }
}

/// Deepest nesting FTS5's expression parser is given (its stack overflows well before the
/// query parser's own limit).
const MAX_DEPTH: usize = 12;

fn depth(e: &Expr) -> usize {
    match e {
        Expr::Term(_) => 0,
        Expr::Not(c) => 1 + depth(c),
        Expr::And(v) | Expr::Or(v) => 1 + v.iter().map(depth).max().unwrap_or(0),
    }
}

fn first_offset(e: &Expr) -> usize {
    e.terms().first().map_or(0, |t| t.offset)
}

/// One term: `title:` / `summary:` prefix, quotes, trailing `*`; split into index tokens.
fn term(raw: &str) -> Result<String, String> {
    let (column, rest) = match raw.split_once(':') {
        Some(("title", r)) if !r.is_empty() => (Some("title"), r),
        Some(("summary", r)) if !r.is_empty() => (Some("summary"), r),
        Some((f @ ("author" | "feed" | "link"), r)) if !r.is_empty() => {
            return Err(format!(
                "search looks at titles and summaries, not {f}: use --feed, or a watchlist"
            ));
        }
        _ => (None, raw),
    };
    let rest = rest.strip_prefix('=').unwrap_or(rest);
    if rest.len() >= 2 && rest.starts_with('/') && rest.ends_with('/') {
        return Err("regular expressions are for watchlists; search takes words".into());
    }
    let (body, star) = match rest.strip_prefix('"') {
        Some(inner) => {
            let (inner, star) = match inner.strip_suffix("\"*") {
                Some(i) => (i, true),
                None => (inner.strip_suffix('"').unwrap_or(inner), false),
            };
            (inner.replace("\\\"", "\"").replace("\\\\", "\\"), star)
        }
        None => match rest.strip_suffix('*') {
            Some(r) => (r.to_string(), true),
            None => (rest.to_string(), false),
        },
    };
    let tokens = tokens(&body);
    if tokens.is_empty() {
        return Err(format!("{raw:?} has no letters or digits to search for"));
    }
    let last = tokens.len() - 1;
    // A Hangul word may carry particles in the text: search it as a prefix.
    let prefixed: Vec<bool> = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (i == last && star) || t.chars().last().is_some_and(is_hangul))
        .collect();
    let quoted = |t: &str| format!("\"{}\"", t.replace('"', "\"\""));
    let phrase = if tokens.len() == 1 {
        format!(
            "{}{}",
            quoted(&tokens[0]),
            if prefixed[0] { "*" } else { "" }
        )
    } else if prefixed[..last].iter().any(|p| *p) {
        // FTS5 allows a prefix only at a phrase's end: words with particles inside a phrase
        // become a NEAR group (the words close together).
        let parts: Vec<String> = tokens
            .iter()
            .zip(&prefixed)
            .map(|(t, p)| format!("{}{}", quoted(t), if *p { "*" } else { "" }))
            .collect();
        format!("NEAR({}, {})", parts.join(" "), tokens.len())
    } else {
        format!(
            "{}{}",
            quoted(&tokens.join(" ")),
            if prefixed[last] { "*" } else { "" }
        )
    };
    Ok(match column {
        Some(c) => format!("{c} : {phrase}"),
        None => phrase,
    })
}

/// Words as the index's unicode61 tokenizer sees them: runs of letters and digits.
fn tokens(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn is_hangul(c: char) -> bool {
    matches!(c, '\u{AC00}'..='\u{D7AF}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_words_phrases_and_operators() {
        let cases = [
            ("Kishida", r#""kishida""#),
            ("Kishida Seoul", r#"("kishida" AND "seoul")"#),
            ("\"Kim Yo-jong\"", r#""kim yo jong""#),
            ("Kim Yo-jong", r#"("kim" AND "yo jong")"#),
            ("missile*", r#""missile"*"#),
            ("북한", r#""북한"*"#),
            ("\"북한 미사일\"", r#"NEAR("북한"* "미사일"*, 2)"#),
            ("title:Kishida", r#"title : "kishida""#),
            ("Japan OR 일본", r#"("japan" OR "일본"*)"#),
            ("Japan NOT sports", r#"(("japan") NOT ("sports"))"#),
            ("Japan NOT a NOT b", r#"(("japan") NOT ("a" OR "b"))"#),
            (
                "(Kim OR 김여정) Japan",
                r#"(("kim" OR "김여정"*) AND "japan")"#,
            ),
            ("say \"hi\"", r#"("say" AND "hi")"#),
        ];
        for (q, want) in cases {
            assert_eq!(fts_query(q).unwrap(), want, "{q}");
        }
    }

    #[test]
    fn mistakes_are_named_with_their_column() {
        let e = |q: &str| fts_query(q).unwrap_err();
        assert_eq!(e("Kim \"Yo").column, 5);
        assert!(e("Kim \"Yo").message.contains("unterminated quote"));
        assert_eq!(e("(Kim OR Japan").column, 1);
        assert!(
            e("NOT sports")
                .message
                .contains("NOT needs words to exclude from")
        );
        assert!(e("NOT a NOT b").message.contains("not under NOT"));
        assert!(
            e("Japan OR NOT sports")
                .message
                .contains("NOT cannot be a choice")
        );
        assert!(e("link:nknews").message.contains("not link"));
        assert!(e("/hwasong-\\d+/").message.contains("regular expressions"));
        assert!(e("\"...\"").message.contains("no letters"));
        assert!(e("").message.contains("empty"));
        assert_eq!(e("북한 (미사일").column, 4, "columns count characters");
        let deep = format!("{}a{}", "(a OR ".repeat(20), ")".repeat(20));
        assert!(e(&deep).message.contains("nested more than"));
        let many_nots: String = (0..100).map(|i| format!(" NOT x{i}")).collect();
        assert!(fts_query(&format!("Kim{many_nots}")).is_ok());
    }

    #[test]
    fn markers_become_ranges() {
        let (t, r) = unmark("a \u{2}Kim\u{3} and \u{2}북한\u{3}은");
        assert_eq!(t, "a Kim and 북한은");
        assert_eq!(r, vec![(2, 5), (10, 12)]);
    }
}
