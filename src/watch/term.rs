//! Term syntax: what one watchlist term says (`title:` scope, `=` exact word, `"phrase"`,
//! trailing `*`, `/regex/`) and the checked form the compiler builds from ([`ParsedTerm`]).
//! [`parse_query`] parses a query with [`query::parse`] and then each of its terms here, so
//! both report mistakes as byte offsets into what the user wrote. Kept apart from compiling
//! and matching: the config loader checks terms with it before any automaton exists.

use regex::Regex;

use super::query::{self, Expr};
use super::script::{is_hangul, is_latin_word, is_squeezed};
use crate::config::TermError;
use crate::model::Field;
use crate::text::fold;

/// A term after parsing its syntax.
#[derive(Debug, Clone)]
pub struct ParsedTerm {
    /// As shown in explanations: quotes, prefix and markers removed.
    pub display: String,
    /// The field the term is scoped to, if it names one.
    pub field: Option<Field>,
    pub(super) kind: TermKind,
}

#[derive(Debug, Clone)]
pub(super) enum TermKind {
    Text {
        /// Folded, spaces and hyphens removed: what the automaton looks for.
        needle: String,
        start: Edge,
        end: End,
    },
    Regex(String),
}

/// What must precede a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Edge {
    Free,
    /// Not a Latin letter or digit.
    Latin,
    /// Not a Hangul syllable or jamo.
    Hangul,
}

/// What may follow a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum End {
    Free,
    Latin,
    /// Nothing Hangul, or (when `particles`) only Korean particles up to the end of the word.
    Hangul {
        particles: bool,
    },
}

/// Parses one term's syntax: `title:` prefix, `=` exact, `"phrase"`, trailing `*`, `/regex/`.
pub fn parse_term(raw: &str) -> Result<ParsedTerm, TermError> {
    let lead = raw.len() - raw.trim_start().len();
    let t = raw.trim();
    let err = |offset: usize, message: &str| TermError {
        offset,
        message: message.to_string(),
    };
    let (field, rest, mut at) = match t.split_once(':') {
        Some((f, rest)) if !rest.is_empty() && !rest.starts_with(char::is_whitespace) => {
            match Field::parse(f) {
                Some(field) => (Some(field), rest, lead + f.len() + 1),
                None => (None, t, lead),
            }
        }
        _ => (None, t, lead),
    };
    let (exact, rest) = match rest.strip_prefix('=') {
        Some(r) => {
            at += 1;
            (true, r)
        }
        None => (false, rest),
    };
    if rest.len() >= 2 && rest.starts_with('/') && rest.ends_with('/') {
        let pattern = rest[1..rest.len() - 1].replace("\\/", "/");
        if pattern.trim().is_empty() {
            return Err(err(at, "empty regex"));
        }
        let compiled = format!("(?m){pattern}");
        if let Err(e) = Regex::new(&compiled) {
            return Err(err(
                at,
                &format!("invalid regex: {}", one_line(&e.to_string())),
            ));
        }
        return Ok(ParsedTerm {
            display: rest.to_string(),
            field,
            kind: TermKind::Regex(compiled),
        });
    }
    let (body, prefix) = if let Some(inner) = rest.strip_prefix('"') {
        let (inner, star) = match inner.strip_suffix("\"*") {
            Some(i) => (i, true),
            None => match inner.strip_suffix('"') {
                Some(i) => (i, false),
                None => return Err(err(at, "unterminated quote")),
            },
        };
        (inner.replace("\\\"", "\"").replace("\\\\", "\\"), star)
    } else {
        match rest.strip_suffix('*') {
            Some(r) => (r.to_string(), true),
            None => (rest.to_string(), false),
        }
    };
    if body
        .chars()
        .any(|c| c.is_control() || crate::text::is_unsafe(c))
    {
        return Err(err(
            at,
            "term contains control or bidirectional-override characters",
        ));
    }
    let folded = fold(&body);
    let needle: String = folded.chars().filter(|c| !is_squeezed(*c)).collect();
    let (Some(first), Some(last)) = (needle.chars().next(), needle.chars().next_back()) else {
        return Err(err(0, "empty term"));
    };
    let start = if is_latin_word(first) {
        Edge::Latin
    } else if is_hangul(first) {
        Edge::Hangul
    } else {
        Edge::Free
    };
    let end = if prefix {
        End::Free
    } else if is_latin_word(last) {
        End::Latin
    } else if is_hangul(last) {
        End::Hangul { particles: !exact }
    } else {
        End::Free
    };
    Ok(ParsedTerm {
        display: body.trim().to_string(),
        field,
        kind: TermKind::Text { needle, start, end },
    })
}

/// Parses a query and checks its terms; errors carry byte offsets into `src`.
pub fn parse_query(src: &str) -> Result<(Expr, Vec<ParsedTerm>), TermError> {
    let expr = query::parse(src).map_err(|e| TermError {
        offset: e.offset,
        message: e.message,
    })?;
    if !expr.is_positive() {
        return Err(TermError {
            offset: 0,
            message: "the query requires no term to be present (only NOT): it would match \
                      almost everything"
                .into(),
        });
    }
    let terms = expr
        .terms()
        .into_iter()
        .map(|t| {
            parse_term(&t.text).map_err(|e| TermError {
                offset: t.offset + e.offset,
                message: e.message,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((expr, terms))
}

/// `s` on one line, runs of white space as single spaces (a regex error spans several).
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn term_syntax_errors_carry_offsets() {
        assert_eq!(parse_term("  \"  \"").unwrap_err().message, "empty term");
        assert_eq!(parse_term("title:\"abc").unwrap_err().offset, 6);
        assert!(
            parse_term("/(/")
                .unwrap_err()
                .message
                .starts_with("invalid regex")
        );
        assert_eq!(parse_term("foo:bar").unwrap().display, "foo:bar");
        assert_eq!(parse_term("title:Kim").unwrap().field, Some(Field::Title));
    }
}
