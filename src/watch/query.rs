//! The one-line boolean form of a watchlist query, e.g.
//! `("Kim Yo-jong" OR 김여정) AND (Japan OR 일본) AND NOT sports`, parsed into an [`Expr`].
//!
//! This module owns only the syntax: splitting a query into term tokens and the operators
//! `AND`, `OR`, `NOT` and parentheses, and reporting malformed queries with a byte offset. It does
//! not interpret terms: folding, field prefixes (`title:`), exact-word `=`, `*` and regex
//! compilation are left to the caller, which receives each term's raw source text.
//!
//! Grammar, loosest binding first:
//!
//! ```text
//! or    := and ("OR" and)*
//! and   := unary ("AND"? unary)*          juxtaposition is an implicit AND
//! unary := "NOT" unary | "(" or ")" | term
//! term  := prefix? "="? ( "\"" … "\"" "*"? | "/" … "/" | bare word )
//! ```

use std::fmt;

/// How many levels of parentheses and `NOT` a query may nest. The parser recurses once per level,
/// so this bounds its stack use on hostile input.
const MAX_DEPTH: usize = 64;

/// Field prefixes a term may start with; anything else ending in `:` is an ordinary word.
const FIELD_PREFIXES: [&str; 5] = ["title:", "summary:", "author:", "feed:", "link:"];

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// A single term.
    Term(TermToken),
    /// True when every child is true; never has fewer than two children when parsed.
    And(Vec<Expr>),
    /// True when any child is true; never has fewer than two children when parsed.
    Or(Vec<Expr>),
    /// True when the inner expression is false.
    Not(Box<Expr>),
}

/// One term as written in the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermToken {
    /// The raw source of the term, exactly as written, quotes/slashes included
    /// (e.g. `"Kim Yo-jong"`, `title:"Kim Yo-jong"`, `=북한`, `missile*`, `/hwasong-\d+/`, `title:/x/`).
    pub text: String,
    /// Byte offset of the term's first character in the query string.
    pub offset: usize,
}

/// Why a query cannot be parsed: a message and the byte offset in the query it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// Byte offset in the query of the character the message is about.
    pub offset: usize,
    /// What is wrong, in lowercase plain words.
    pub message: String,
}

impl QueryError {
    fn new(offset: usize, message: impl Into<String>) -> Self {
        Self {
            offset,
            message: message.into(),
        }
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The offset is left to the caller, which knows whether to render it as a caret under
        // the query or as a column number.
        f.write_str(&self.message)
    }
}

impl std::error::Error for QueryError {}

/// Parses a one-line query into an expression.
///
/// Chains of the same operator are flattened (`a AND b AND c` is one `And` of three children);
/// parenthesised groups keep their own node.
pub fn parse(src: &str) -> Result<Expr, QueryError> {
    let tokens = tokenize(src)?;
    if tokens.is_empty() {
        return Err(QueryError::new(0, "empty query"));
    }
    let mut parser = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    let expr = parser.or_expr(None)?;
    match parser.peek() {
        None => Ok(expr),
        // `or_expr` stops only at the end or at a `)`; at top level a `)` has no opener.
        Some(tok) => Err(QueryError::new(
            tok.offset(),
            "unbalanced parenthesis: unexpected )",
        )),
    }
}

impl Expr {
    /// Every term token, left to right.
    pub fn terms(&self) -> Vec<&TermToken> {
        let mut out = Vec::new();
        self.collect_terms(&mut out);
        out
    }

    fn collect_terms<'a>(&'a self, out: &mut Vec<&'a TermToken>) {
        match self {
            Expr::Term(t) => out.push(t),
            Expr::And(children) | Expr::Or(children) => {
                for child in children {
                    child.collect_terms(out);
                }
            }
            Expr::Not(inner) => inner.collect_terms(out),
        }
    }

    /// Whether the expression can be true while requiring at least one term to be present:
    /// Term → true; And → any child positive; Or → every child positive; Not → false.
    /// (`NOT sports` alone would match every item, so callers reject non-positive queries.)
    pub fn is_positive(&self) -> bool {
        match self {
            Expr::Term(_) => true,
            Expr::And(children) => children.iter().any(Expr::is_positive),
            Expr::Or(children) => children.iter().all(Expr::is_positive),
            Expr::Not(_) => false,
        }
    }

    /// Evaluates with a callback saying whether a term token matched.
    ///
    /// Short-circuits left to right, so `hit` is not necessarily called for every term.
    pub fn eval(&self, hit: &mut impl FnMut(&TermToken) -> bool) -> bool {
        match self {
            Expr::Term(t) => hit(t),
            Expr::And(children) => children.iter().all(|c| c.eval(hit)),
            Expr::Or(children) => children.iter().any(|c| c.eval(hit)),
            Expr::Not(inner) => !inner.eval(hit),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    And,
    Or,
    Not,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::And => "AND",
            Op::Or => "OR",
            Op::Not => "NOT",
        }
    }
}

#[derive(Debug)]
enum Token {
    Term(TermToken),
    Op(Op, usize),
    Open(usize),
    Close(usize),
}

impl Token {
    fn offset(&self) -> usize {
        match self {
            Token::Term(t) => t.offset,
            Token::Op(_, at) | Token::Open(at) | Token::Close(at) => *at,
        }
    }
}

/// Whether `c` ends a bare word (and must follow a closing quote or slash).
fn is_delimiter(c: char) -> bool {
    c.is_whitespace() || c == '(' || c == ')'
}

/// Splits `src` into tokens. Every index used for slicing comes from `char_indices` or from
/// adding the length of an ASCII character, so slices always fall on char boundaries.
fn tokenize(src: &str) -> Result<Vec<Token>, QueryError> {
    let mut tokens = Vec::new();
    let mut pos = 0;
    while let Some(c) = src[pos..].chars().next() {
        if c.is_whitespace() {
            pos += c.len_utf8();
        } else if c == '(' {
            tokens.push(Token::Open(pos));
            pos += 1;
        } else if c == ')' {
            tokens.push(Token::Close(pos));
            pos += 1;
        } else {
            let (token, end) = lex_term(src, pos)?;
            tokens.push(token);
            pos = end;
        }
    }
    Ok(tokens)
}

/// Lexes the term (or operator word) starting at `start`; returns it and the byte offset after it.
fn lex_term(src: &str, start: usize) -> Result<(Token, usize), QueryError> {
    let mut pos = start;
    let prefix = FIELD_PREFIXES
        .iter()
        .find(|p| src[start..].starts_with(**p))
        .copied();
    if let Some(p) = prefix {
        pos += p.len();
    }
    let exact = src[pos..].starts_with('=');
    if exact {
        pos += 1;
    }
    let body = pos;
    let end = match src[body..].chars().next() {
        None => return Err(missing_body(prefix, start)),
        Some(c) if is_delimiter(c) => return Err(missing_body(prefix, start)),
        Some('"') => {
            let close = find_closing(src, body, '"')
                .ok_or_else(|| QueryError::new(body, "unterminated quote"))?;
            // A phrase of nothing but spaces folds to nothing, just like `""`.
            if src[body + 1..close].trim().is_empty() {
                return Err(QueryError::new(body, "empty phrase"));
            }
            let mut end = close + 1;
            if src[end..].starts_with('*') {
                end += 1;
            }
            expect_delimiter(src, end, "closing quote")?;
            end
        }
        Some('/') => {
            let close = find_closing(src, body, '/')
                .ok_or_else(|| QueryError::new(body, "unterminated regex (missing closing /)"))?;
            // `//` would be a regex matching every item.
            if close == body + 1 {
                return Err(QueryError::new(body, "empty regex"));
            }
            let end = close + 1;
            expect_delimiter(src, end, "closing /")?;
            end
        }
        Some(_) => src[body..]
            .find(is_delimiter)
            .map_or(src.len(), |i| body + i),
    };
    let text = &src[start..end];
    // Only a bare, unprefixed word is an operator: `title:AND` and `=NOT` are terms.
    let op = match text {
        "AND" => Some(Op::And),
        "OR" => Some(Op::Or),
        "NOT" => Some(Op::Not),
        _ => None,
    };
    let token = match op {
        Some(op) => Token::Op(op, start),
        None => Token::Term(TermToken {
            text: text.to_string(),
            offset: start,
        }),
    };
    Ok((token, end))
}

/// The error for a prefix or `=` with no term body after it.
fn missing_body(prefix: Option<&str>, start: usize) -> QueryError {
    // Without a prefix the token that got here is a lone `=`.
    let what = prefix.unwrap_or("=");
    QueryError::new(start, format!("{what} needs a term after it"))
}

/// Byte offset of the first unescaped `close` after the opener at `open`; a backslash escapes
/// whatever character follows it.
fn find_closing(src: &str, open: usize, close: char) -> Option<usize> {
    let mut chars = src[open + 1..].char_indices();
    while let Some((i, c)) = chars.next() {
        if c == '\\' {
            chars.next();
        } else if c == close {
            return Some(open + 1 + i);
        }
    }
    None
}

/// Rejects text glued to a closing quote or slash (`"Kim"s`, `/x/i`): it is unclear whether it
/// was meant as part of the term or as a separate one.
fn expect_delimiter(src: &str, at: usize, after: &str) -> Result<(), QueryError> {
    match src[at..].chars().next() {
        Some(c) if !is_delimiter(c) => Err(QueryError::new(
            at,
            format!("unexpected text after {after} (add a space?)"),
        )),
        _ => Ok(()),
    }
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    /// Current nesting of parentheses and `NOT`, bounded by [`MAX_DEPTH`].
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    /// `after` is the operator just consumed before this expression, if any, so a missing operand
    /// can be blamed on it.
    fn or_expr(&mut self, after: Option<(Op, usize)>) -> Result<Expr, QueryError> {
        let mut children = vec![self.and_expr(after)?];
        while let Some(&Token::Op(Op::Or, at)) = self.peek() {
            self.pos += 1;
            children.push(self.and_expr(Some((Op::Or, at)))?);
        }
        Ok(collapse(children, Expr::Or))
    }

    fn and_expr(&mut self, after: Option<(Op, usize)>) -> Result<Expr, QueryError> {
        let mut children = vec![self.unary(after)?];
        loop {
            match self.peek() {
                Some(&Token::Op(Op::And, at)) => {
                    self.pos += 1;
                    children.push(self.unary(Some((Op::And, at)))?);
                }
                // Juxtaposition: anything that can start an operand is an implicit AND.
                Some(Token::Term(_) | Token::Open(_) | Token::Op(Op::Not, _)) => {
                    children.push(self.unary(None)?);
                }
                Some(Token::Op(Op::Or, _) | Token::Close(_)) | None => break,
            }
        }
        Ok(collapse(children, Expr::And))
    }

    fn unary(&mut self, after: Option<(Op, usize)>) -> Result<Expr, QueryError> {
        let Some(token) = self.peek() else {
            // The empty query and an unclosed `(` are caught before getting here, so there is
            // always an operator to blame; the fallback only keeps this total.
            let (op, at) = after.unwrap_or((Op::And, 0));
            return Err(needs_after(op, at));
        };
        match *token {
            Token::Term(ref t) => {
                let t = t.clone();
                self.pos += 1;
                Ok(Expr::Term(t))
            }
            Token::Op(Op::Not, at) => {
                self.pos += 1;
                self.descend(at)?;
                let inner = self.unary(Some((Op::Not, at)))?;
                self.depth -= 1;
                Ok(Expr::Not(Box::new(inner)))
            }
            Token::Open(open) => {
                self.pos += 1;
                self.descend(open)?;
                let inner = match self.peek() {
                    None => return Err(unclosed(open)),
                    Some(Token::Close(_)) => {
                        return Err(QueryError::new(open, "empty parentheses"));
                    }
                    Some(_) => self.or_expr(None)?,
                };
                match self.peek() {
                    Some(Token::Close(_)) => self.pos += 1,
                    _ => return Err(unclosed(open)),
                }
                self.depth -= 1;
                Ok(inner)
            }
            Token::Op(op, at) => Err(match after {
                Some((prev, prev_at)) => needs_after(prev, prev_at),
                None => QueryError::new(at, format!("{} needs a term before it", op.name())),
            }),
            Token::Close(at) => Err(match after {
                Some((prev, prev_at)) => needs_after(prev, prev_at),
                // `()` is caught where the `(` is parsed, so a `)` here has no opener.
                None => QueryError::new(at, "unbalanced parenthesis: unexpected )"),
            }),
        }
    }

    /// Enters one more level of nesting for the `(` or `NOT` at `at`.
    fn descend(&mut self, at: usize) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(QueryError::new(at, "query nested too deeply"));
        }
        Ok(())
    }
}

fn needs_after(op: Op, at: usize) -> QueryError {
    QueryError::new(at, format!("{} needs a term after it", op.name()))
}

fn unclosed(open: usize) -> QueryError {
    QueryError::new(open, "unbalanced parenthesis: this ( is never closed")
}

/// A one-child chain is just that child.
fn collapse(mut children: Vec<Expr>, make: fn(Vec<Expr>) -> Expr) -> Expr {
    if children.len() == 1 {
        children.pop().expect("one child")
    } else {
        make(children)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str, offset: usize) -> Expr {
        Expr::Term(TermToken {
            text: text.to_string(),
            offset,
        })
    }

    fn not(e: Expr) -> Expr {
        Expr::Not(Box::new(e))
    }

    /// The query's terms as (text, offset) pairs.
    fn terms(src: &str) -> Vec<(String, usize)> {
        parse(src)
            .unwrap()
            .terms()
            .into_iter()
            .map(|t| (t.text.clone(), t.offset))
            .collect()
    }

    /// A compact, offset-free rendering for structural assertions.
    fn shape(e: &Expr) -> String {
        match e {
            Expr::Term(t) => t.text.clone(),
            Expr::And(c) => format!(
                "And[{}]",
                c.iter().map(shape).collect::<Vec<_>>().join(", ")
            ),
            Expr::Or(c) => format!("Or[{}]", c.iter().map(shape).collect::<Vec<_>>().join(", ")),
            Expr::Not(i) => format!("Not[{}]", shape(i)),
        }
    }

    fn parse_shape(src: &str) -> String {
        shape(&parse(src).unwrap())
    }

    fn err(src: &str) -> (usize, String) {
        let e = parse(src).unwrap_err();
        (e.offset, e.message)
    }

    #[test]
    fn single_term() {
        assert_eq!(parse("Kim").unwrap(), t("Kim", 0));
        assert_eq!(parse("  Kim  ").unwrap(), t("Kim", 2));
    }

    #[test]
    fn and_binds_tighter_than_or() {
        assert_eq!(
            parse("a OR b AND c").unwrap(),
            Expr::Or(vec![t("a", 0), Expr::And(vec![t("b", 5), t("c", 11)])])
        );
        assert_eq!(parse_shape("a AND b OR c"), "Or[And[a, b], c]");
    }

    #[test]
    fn chains_are_flattened() {
        assert_eq!(
            parse("a AND b AND c").unwrap(),
            Expr::And(vec![t("a", 0), t("b", 6), t("c", 12)])
        );
        assert_eq!(parse_shape("a OR b OR c OR d"), "Or[a, b, c, d]");
        assert_eq!(parse_shape("a b AND c d"), "And[a, b, c, d]");
    }

    #[test]
    fn juxtaposition_is_and() {
        assert_eq!(
            parse("Kim Japan").unwrap(),
            Expr::And(vec![t("Kim", 0), t("Japan", 4)])
        );
        assert_eq!(parse_shape("a b OR c"), "Or[And[a, b], c]");
        assert_eq!(parse_shape("a NOT b"), "And[a, Not[b]]");
        assert_eq!(parse_shape("a (b OR c)"), "And[a, Or[b, c]]");
        assert_eq!(parse_shape("(a)(b)"), "And[a, b]");
    }

    #[test]
    fn not_binds_tightest() {
        assert_eq!(
            parse("NOT a AND b").unwrap(),
            Expr::And(vec![not(t("a", 4)), t("b", 10)])
        );
        assert_eq!(parse_shape("NOT a OR b"), "Or[Not[a], b]");
        assert_eq!(parse_shape("NOT (a OR b)"), "Not[Or[a, b]]");
        assert_eq!(parse_shape("NOT NOT a"), "Not[Not[a]]");
    }

    #[test]
    fn parentheses_group() {
        assert_eq!(parse_shape("(a OR b) AND c"), "And[Or[a, b], c]");
        assert_eq!(parse_shape("a OR (b OR c)"), "Or[a, Or[b, c]]");
        assert_eq!(parse_shape("((a))"), "a");
        assert_eq!(parse_shape("foo(bar)"), "And[foo, bar]");
    }

    #[test]
    fn example_query() {
        let src = "(\"Kim Yo-jong\" OR 김여정) AND (Japan OR 일본) AND NOT sports";
        let expr = parse(src).unwrap();
        assert_eq!(
            expr,
            Expr::And(vec![
                Expr::Or(vec![t("\"Kim Yo-jong\"", 1), t("김여정", 18)]),
                Expr::Or(vec![t("Japan", 34), t("일본", 43)]),
                not(t("sports", 59)),
            ])
        );
        for tok in expr.terms() {
            assert_eq!(&src[tok.offset..tok.offset + tok.text.len()], tok.text);
        }
        assert!(expr.is_positive());
    }

    #[test]
    fn quoted_phrases_hide_operators_and_parens() {
        assert_eq!(
            terms("\"war AND peace (1869)\" OR x"),
            [
                ("\"war AND peace (1869)\"".to_string(), 0),
                ("x".to_string(), 26)
            ]
        );
        assert_eq!(parse_shape("\"NOT\""), "\"NOT\"");
        assert_eq!(parse_shape("\")\" \"OR\""), "And[\")\", \"OR\"]");
    }

    #[test]
    fn escaped_quotes_stay_raw() {
        assert_eq!(
            terms(r#""say \"hi\"" b"#),
            [(r#""say \"hi\"""#.to_string(), 0), ("b".to_string(), 13)]
        );
        assert_eq!(terms(r#""a\\" b"#)[0].0, r#""a\\""#);
        assert_eq!(err(r#""a\""#), (0, "unterminated quote".to_string()));
    }

    #[test]
    fn star_after_quote() {
        assert_eq!(
            terms("\"Kim Jong\"* x"),
            [("\"Kim Jong\"*".to_string(), 0), ("x".to_string(), 12)]
        );
        assert_eq!(parse_shape("(\"a b\"*)"), "\"a b\"*");
        assert_eq!(parse_shape("missile*"), "missile*");
    }

    #[test]
    fn text_glued_to_closing_quote_or_slash_is_rejected() {
        assert_eq!(
            err("\"Kim\"s"),
            (
                5,
                "unexpected text after closing quote (add a space?)".to_string()
            )
        );
        assert_eq!(
            err("\"Kim\"*s").0,
            6,
            "the star is part of the term, the s is not"
        );
        assert_eq!(
            err("/x/i"),
            (
                3,
                "unexpected text after closing / (add a space?)".to_string()
            )
        );
    }

    #[test]
    fn regex_tokens() {
        assert_eq!(
            terms(r"/hwasong-\d+/ AND x"),
            [(r"/hwasong-\d+/".to_string(), 0), ("x".to_string(), 18)]
        );
        assert_eq!(
            terms(r"/a (b|c) OR d/ e"),
            [(r"/a (b|c) OR d/".to_string(), 0), ("e".to_string(), 15)]
        );
        assert_eq!(terms(r"/a\/b/")[0].0, r"/a\/b/");
        assert_eq!(parse_shape("(/x/)"), "/x/");
        assert_eq!(err("//"), (0, "empty regex".to_string()));
    }

    #[test]
    fn slash_or_quote_inside_bare_word() {
        assert_eq!(parse_shape("w/o x"), "And[w/o, x]");
        assert_eq!(parse_shape("5\"7 x"), "And[5\"7, x]");
        assert_eq!(
            parse_shape("link:https://kcna.kp/x"),
            "link:https://kcna.kp/x"
        );
    }

    #[test]
    fn field_prefixes_and_exact() {
        let src =
            "title:\"Kim Yo-jong\" summary:=북한 author:/x y/ feed:kcna link:x =Kim title:=\"a\"";
        assert_eq!(
            terms(src),
            [
                ("title:\"Kim Yo-jong\"".to_string(), 0),
                ("summary:=북한".to_string(), 20),
                ("author:/x y/".to_string(), 36),
                ("feed:kcna".to_string(), 49),
                ("link:x".to_string(), 59),
                ("=Kim".to_string(), 66),
                ("title:=\"a\"".to_string(), 71),
            ]
        );
        // Prefixes are exact and lowercase; anything else with a colon is a word.
        assert_eq!(parse_shape("Title:x note:"), "And[Title:x, note:]");
        // A prefixed or `=` operator word is a term.
        assert_eq!(parse_shape("title:AND =OR"), "And[title:AND, =OR]");
    }

    #[test]
    fn lowercase_operators_are_terms() {
        assert_eq!(
            parse("a and b or not c").unwrap(),
            Expr::And(vec![
                t("a", 0),
                t("and", 2),
                t("b", 6),
                t("or", 8),
                t("not", 11),
                t("c", 15),
            ])
        );
        assert_eq!(parse_shape("And Or Not"), "And[And, Or, Not]");
    }

    #[test]
    fn ideographic_space_separates() {
        // U+3000 is three bytes.
        assert_eq!(
            terms("북한\u{3000}미사일\u{3000}AND\u{3000}발사"),
            [
                ("북한".to_string(), 0),
                ("미사일".to_string(), 9),
                ("발사".to_string(), 27),
            ]
        );
        assert_eq!(err("\u{3000}\t\n"), (0, "empty query".to_string()));
    }

    #[test]
    fn errors_point_at_the_problem() {
        let cases: &[(&str, usize, &str)] = &[
            ("", 0, "empty query"),
            ("   ", 0, "empty query"),
            ("a \"bc", 2, "unterminated quote"),
            ("title:\"bc", 6, "unterminated quote"),
            ("x /a b", 2, "unterminated regex (missing closing /)"),
            (r"/a\/", 0, "unterminated regex (missing closing /)"),
            (
                "a (b (c)",
                2,
                "unbalanced parenthesis: this ( is never closed",
            ),
            ("(", 0, "unbalanced parenthesis: this ( is never closed"),
            ("a b)", 3, "unbalanced parenthesis: unexpected )"),
            (") a", 0, "unbalanced parenthesis: unexpected )"),
            ("(a))", 3, "unbalanced parenthesis: unexpected )"),
            ("a ()", 2, "empty parentheses"),
            ("a AND", 2, "AND needs a term after it"),
            ("a AND OR b", 2, "AND needs a term after it"),
            ("NOT", 0, "NOT needs a term after it"),
            ("a NOT", 2, "NOT needs a term after it"),
            ("(NOT)", 1, "NOT needs a term after it"),
            ("a OR )", 2, "OR needs a term after it"),
            ("(a OR)", 3, "OR needs a term after it"),
            ("AND a", 0, "AND needs a term before it"),
            ("(OR a)", 1, "OR needs a term before it"),
            ("a (AND b)", 3, "AND needs a term before it"),
            ("a \"\"", 2, "empty phrase"),
            ("\"  \"", 0, "empty phrase"),
            ("title:", 0, "title: needs a term after it"),
            ("a summary: b", 2, "summary: needs a term after it"),
            ("(feed:)", 1, "feed: needs a term after it"),
            ("title:= x", 0, "title: needs a term after it"),
            ("a = b", 2, "= needs a term after it"),
            ("북한 \"", 7, "unterminated quote"),
        ];
        for &(src, offset, message) in cases {
            assert_eq!(err(src), (offset, message.to_string()), "query {src:?}");
        }
    }

    #[test]
    fn error_displays_its_message() {
        let e = parse("a AND").unwrap_err();
        assert_eq!(e.to_string(), "AND needs a term after it");
        let _: &dyn std::error::Error = &e;
    }

    #[test]
    fn nesting_is_bounded() {
        let ok = format!("{}a{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert_eq!(parse_shape(&ok), "a");
        let deep = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(
            err(&deep),
            (MAX_DEPTH, "query nested too deeply".to_string())
        );
        let nots = format!("{}a", "NOT ".repeat(10_000));
        assert_eq!(
            err(&nots),
            (MAX_DEPTH * 4, "query nested too deeply".to_string())
        );
        // Long flat chains do not recurse, so they are fine.
        let wide = vec!["a"; 10_000].join(" OR ");
        assert_eq!(parse(&wide).unwrap().terms().len(), 10_000);
    }

    #[test]
    fn positivity() {
        let positive = |src: &str| parse(src).unwrap().is_positive();
        assert!(positive("a"));
        assert!(!positive("NOT a"));
        assert!(positive("a AND NOT b"));
        assert!(positive("NOT b a"));
        assert!(!positive("a OR NOT b"));
        assert!(positive("(a OR b) AND NOT c"));
        assert!(
            !positive("NOT NOT a"),
            "NOT is never positive, even doubled"
        );
        assert!(!positive("NOT a AND NOT b"));
    }

    #[test]
    fn eval_with_callback() {
        let expr = parse("(Kim OR 김여정) AND Japan AND NOT sports").unwrap();
        let eval_with = |present: &[&str]| expr.eval(&mut |t| present.contains(&t.text.as_str()));
        assert!(eval_with(&["Kim", "Japan"]));
        assert!(eval_with(&["김여정", "Japan"]));
        assert!(!eval_with(&["Kim"]));
        assert!(!eval_with(&["Kim", "Japan", "sports"]));
        assert!(!eval_with(&[]));

        // Evaluation short-circuits: `b` is never asked about once `a` is false.
        let mut asked = Vec::new();
        let result = parse("a AND b").unwrap().eval(&mut |t| {
            asked.push(t.text.clone());
            false
        });
        assert!(!result);
        assert_eq!(asked, ["a"]);
    }

    #[test]
    fn terms_in_source_order() {
        let texts: Vec<String> = terms("NOT a (b OR (c d)) OR e")
            .into_iter()
            .map(|(text, _)| text)
            .collect();
        assert_eq!(texts, ["a", "b", "c", "d", "e"]);
    }

    #[test]
    fn garbage_never_panics() {
        const PIECES: &[&str] = &[
            "a",
            "Kim",
            "북한",
            "é",
            "🚀",
            "(",
            ")",
            "\"",
            "\\",
            "/",
            "*",
            "=",
            ":",
            " ",
            "\u{3000}",
            "\t",
            "AND",
            "OR",
            "NOT",
            " AND ",
            " OR ",
            " NOT ",
            "title:",
            "link:",
            "summary:=",
            "\\\"",
            "\\/",
            "\u{0301}",
            "\0",
        ];
        // A fixed-seed linear congruential generator keeps the corpus deterministic.
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize
        };
        let mut parsed = 0;
        for _ in 0..600 {
            let len = next() % 16;
            let src: String = (0..len).map(|_| PIECES[next() % PIECES.len()]).collect();
            match parse(&src) {
                Ok(expr) => {
                    parsed += 1;
                    for tok in expr.terms() {
                        assert!(!tok.text.is_empty(), "{src:?}");
                        assert_eq!(
                            src.get(tok.offset..tok.offset + tok.text.len()),
                            Some(tok.text.as_str()),
                            "{src:?}"
                        );
                    }
                    let _ = expr.is_positive();
                    let _ = expr.eval(&mut |t| t.text.len() % 2 == 0);
                }
                Err(e) => {
                    assert!(e.offset <= src.len(), "{src:?}: {e:?}");
                    assert!(src.is_char_boundary(e.offset), "{src:?}: {e:?}");
                }
            }
        }
        // Make sure the corpus exercises the success path too, not only errors.
        assert!(parsed > 50, "only {parsed} of the garbage queries parsed");
    }
}
