//! The expected values brought to the form our design stores, each step counted when it changes
//! a value (so what the scorer forgives is visible, never silent). Our own values are compared as
//! the parser returns them; only the expectation moves.
//!
//! The steps, and why each is a design choice rather than a difference in what was read:
//! - **title**: plain text (README, "Parsing"): HTML tags stripped — block-level ones become a
//!   space — and entities decoded, repeated while that changes something (so `&lt;b&gt;` and
//!   double-escaped markup end as text too), control characters removed, whitespace collapsed;
//!   cut at 500 characters (`MAX_TITLE_CHARS`). An empty title is the summary's plain text cut at
//!   100 characters (`parse::normalise_entry`).
//! - **link**: the documented canonical form (README; `parse::link`): surrounding whitespace
//!   trimmed; a relative link resolved against the feed's site link (the parser has no feed URL
//!   here), or none when there is none; a non-http(s) link is none; scheme and host lower-cased,
//!   a default port (`:80`, `:443`) dropped and an empty path written `/` (the WHATWG URL
//!   serialisation our `url` crate writes; anything else that serialisation changes — percent-
//!   encoding, IDNA, dot segments — is counted on its own line); the fragment dropped (it names a
//!   place in the page, not another page); tracking parameters (`utm_*`, `fbclid`, …, the list of
//!   `parse::link`) removed. An item with no usable link whose RSS guid is a web URL and does not
//!   say `isPermaLink="false"` takes the guid as its link (an RSS guid is a permalink unless it
//!   says otherwise).
//! - **guid**: whitespace collapsed (`clean_line`); an id feed-rs's expectation invented (a hash
//!   or UUID that appears nowhere in the source) is no guid (README, "Identity").
//! - **author**: names only, joined with ", ": an e-mail address (with `mailto:` and the
//!   brackets around it) is removed from a name, and an author that is only an address is no
//!   author. The older feed-rs that wrote the fixtures put the text of an RSS `<author>` that held
//!   an address into `email` and the word `author` into `name`; the name is then taken from what
//!   `email` holds besides the address.
//! - **items**: an entry with no title, no text, no link and no id is not an item (it has nothing
//!   to show and nothing to know it by); the parser drops it, and says so when a feed has only
//!   such entries.
//! - **dates**: instants in UTC to the second; years outside 1970–9999 are none (`parse::clamp`).
//!   A date the suite itself could not read (gofeed's `pubDate` without `pubDateParsed`) is not
//!   scored.

use std::collections::BTreeMap;

use aggregator::parse::link::is_tracking;
use chrono::{DateTime, Datelike, Utc};
use url::Url;

use crate::expect::{ExpDate, ExpItem, Expected, Person, Suite};

/// How many times each normalisation changed an expected value.
#[derive(Default, Clone)]
pub struct Norms(pub BTreeMap<&'static str, usize>);

impl Norms {
    fn hit(&mut self, what: &'static str) {
        *self.0.entry(what).or_default() += 1;
    }

    pub fn add(&mut self, o: &Norms) {
        for (k, v) in &o.0 {
            *self.0.entry(k).or_default() += v;
        }
    }
}

/// The fields scored, in the order they are printed.
pub const FIELDS: [&str; 6] = ["title", "link", "guid", "author", "published", "updated"];

/// One expected field: the value after normalisation, the value before it (as mapped from the
/// suite's model), and whether it is scored at all.
#[derive(Debug, Clone)]
pub struct Want {
    pub value: Option<String>,
    pub raw: Option<String>,
    pub scored: bool,
}

/// Normalises every item of `exp`; `source` is the input feed's text (to tell an invented id).
pub fn items(exp: &Expected, source: &str, n: &mut Norms) -> Vec<[Want; 6]> {
    let base = exp
        .site_link
        .as_deref()
        .and_then(|l| Url::parse(l.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    let all: Vec<[Want; 6]> = exp
        .items
        .iter()
        .map(|it| item(exp, it, base.as_ref(), source, n))
        .collect();
    all.into_iter()
        .filter(|want| {
            // Nothing to show (no title, no text) and nothing to know it by (no link, no id):
            // not an item (`parse::normalise`; a feed of only such entries gets a warning).
            let keep = want[..3].iter().any(|w| w.value.is_some());
            if !keep {
                n.hit("item: no title, text, link or id: not an item (design)");
            }
            keep
        })
        .collect()
}

fn item(
    exp: &Expected,
    it: &ExpItem,
    base: Option<&Url>,
    source: &str,
    n: &mut Norms,
) -> [Want; 6] {
    let guid = guid(exp.suite, it.guid.as_deref(), source, n);
    let mut link_value = link(it.link.as_deref(), base, n);
    if link_value.is_none()
        && exp.rss
        && it.guid_is_permalink
        && let Some(g) = guid.as_deref()
        && (g.starts_with("http://") || g.starts_with("https://"))
    {
        let mut quiet = Norms::default();
        if let Some(l) = link(Some(g), None, &mut quiet) {
            n.hit("link: none usable, the RSS guid is a web URL: the guid (design)");
            link_value = Some(l);
        }
    }
    [
        Want {
            value: title(it, n),
            raw: it.title.clone().filter(|t| !t.is_empty()),
            scored: true,
        },
        Want {
            value: link_value,
            raw: it.link.clone(),
            scored: true,
        },
        Want {
            value: guid,
            raw: it.guid.clone(),
            scored: true,
        },
        Want {
            value: author(&it.authors, n),
            raw: raw_author(&it.authors),
            scored: true,
        },
        date(&it.published, n),
        date(&it.updated, n),
    ]
}

// ---------------------------------------------------------------------------------------------
// title

fn title(it: &ExpItem, n: &mut Norms) -> Option<String> {
    let mut t = it
        .title
        .as_deref()
        .map(|t| plain_text(t, "title", n))
        .unwrap_or_default();
    if t.chars().count() > 500 {
        n.hit("title: cut at 500 characters (design)");
        t = aggregator::text::truncate_chars(t, 500);
    }
    if t.is_empty()
        && let Some(s) = it.summary.as_deref()
    {
        let mut quiet = Norms::default();
        let s = plain_text(s, "summary", &mut quiet);
        if !s.is_empty() {
            n.hit("title: empty, the summary's first 100 characters (design)");
            t = aggregator::text::truncate_chars(s, 100);
        }
    }
    Some(t).filter(|t| !t.is_empty())
}

/// HTML (or text with entities) as one line of plain text; `what` names the counters.
fn plain_text(s: &str, what: &'static str, n: &mut Norms) -> String {
    let (tags, entities, space) = match what {
        "title" => (
            "title: HTML tags stripped",
            "title: entities decoded",
            "title: whitespace collapsed, control characters removed",
        ),
        _ => ("summary: tags", "summary: entities", "summary: space"),
    };
    let mut cur = s.to_string();
    let (mut stripped, mut decoded) = (false, false);
    for _ in 0..4 {
        let t = strip_tags(&cur);
        stripped |= t != cur;
        let d = html_escape::decode_html_entities(&t).into_owned();
        decoded |= d != t;
        if d == cur {
            break;
        }
        cur = d;
    }
    if stripped {
        n.hit(tags);
    }
    if decoded {
        n.hit(entities);
    }
    let clean = collapse(&cur);
    if clean != cur {
        n.hit(space);
    }
    clean
}

/// Drops tags (`<` then a letter, `/`, `!` or `?`, up to the next `>` outside quotes): block-level
/// tags become a space, inline ones nothing; comments, `<script>` and `<style>` bodies go whole.
fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let after = &rest[lt..];
        if let Some(body) = after.strip_prefix("<!--") {
            rest = body.find("-->").map_or("", |e| &body[e + 3..]);
            continue;
        }
        let next = after[1..].chars().next();
        if !matches!(next, Some(c) if c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?')) {
            out.push('<');
            rest = &after[1..];
            continue;
        }
        let mut quote = None;
        let mut end = None;
        for (i, b) in after.bytes().enumerate().skip(1) {
            match (quote, b) {
                (Some(q), _) if q == b => quote = None,
                (Some(_), _) => {}
                (None, b'"' | b'\'') => quote = Some(b),
                (None, b'>') => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let Some(end) = end else {
            rest = "";
            break;
        };
        let tag = after[1..end].trim_start_matches('/');
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        rest = &after[end + 1..];
        if !after[1..].starts_with('/') && (name == "script" || name == "style") {
            let close = format!("</{name}");
            rest = rest
                .to_ascii_lowercase()
                .find(&close)
                .and_then(|i| rest[i..].find('>').map(|j| &rest[i + j + 1..]))
                .unwrap_or("");
            continue;
        }
        const BLOCK: [&str; 29] = [
            "br",
            "p",
            "div",
            "li",
            "ul",
            "ol",
            "tr",
            "td",
            "th",
            "table",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "blockquote",
            "section",
            "article",
            "header",
            "footer",
            "figure",
            "figcaption",
            "hr",
            "img",
            "pre",
            "dd",
            "dt",
            "dl",
        ];
        if BLOCK.contains(&name.as_str()) {
            out.push(' ');
        }
    }
    out.push_str(rest);
    out
}

/// Control characters (and zero-width / bidi ones) removed, whitespace runs as one space, trimmed.
fn collapse(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c.is_control())
        .map(|w| {
            w.chars()
                .filter(|c| !aggregator::text::is_unsafe(*c))
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------------------------
// link

fn link(raw: Option<&str>, base: Option<&Url>, n: &mut Norms) -> Option<String> {
    let raw = raw?;
    let t = raw.trim();
    if t != raw {
        n.hit("link: surrounding whitespace trimmed");
    }
    if t.is_empty() {
        return None;
    }
    let mut url = match Url::parse(t) {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) => match base.and_then(|b| b.join(t).ok()) {
            Some(u) => {
                n.hit("link: relative, resolved against the feed's site link");
                u
            }
            None => {
                n.hit("link: relative, no site link to resolve it against: none");
                return None;
            }
        },
        Err(_) => {
            n.hit("link: not a URL: none");
            return None;
        }
    };
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        n.hit("link: not http(s): none");
        return None;
    }
    if Url::parse(t).is_ok() {
        serialisation_changes(t, &url, n);
    }
    if url.fragment().is_some() {
        n.hit("link: fragment dropped");
        url.set_fragment(None);
    }
    if let Some(query) = url.query().map(str::to_string) {
        let pairs: Vec<&str> = query.split('&').collect();
        let kept: Vec<&str> = pairs
            .iter()
            .copied()
            .filter(|p| !p.is_empty() && !is_tracking(p.split('=').next().unwrap_or_default()))
            .collect();
        if kept.len() != pairs.len() {
            if pairs
                .iter()
                .any(|p| is_tracking(p.split('=').next().unwrap_or_default()))
            {
                n.hit("link: tracking parameters removed");
            }
            if kept.is_empty() {
                url.set_query(None);
            } else {
                url.set_query(Some(&kept.join("&")));
            }
        }
    }
    Some(url.into())
}

/// Counts what the URL serialisation changed in the absolute link `t`, one counter per kind.
fn serialisation_changes(t: &str, url: &Url, n: &mut Norms) {
    let Some((scheme, rest)) = t.split_once("://") else {
        return;
    };
    let auth_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(auth_end);
    let mut expected_form = format!("{}://", scheme.to_ascii_lowercase());
    let host_part = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let userinfo = &authority[..authority.len() - host_part.len()];
    if scheme.bytes().any(|b| b.is_ascii_uppercase())
        || host_part.bytes().any(|b| b.is_ascii_uppercase())
    {
        n.hit("link: scheme/host lower-cased");
    }
    let mut host = host_part.to_ascii_lowercase();
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => ":80",
        _ => ":443",
    };
    if host.ends_with(default_port) {
        n.hit("link: default port dropped");
        host.truncate(host.len() - default_port.len());
    }
    expected_form.push_str(userinfo);
    expected_form.push_str(&host);
    if !tail.starts_with('/') {
        n.hit("link: empty path written as /");
        expected_form.push('/');
    }
    expected_form.push_str(tail);
    let mut ours = url.clone();
    ours.set_fragment(None);
    let expected_form = expected_form.split('#').next().unwrap_or_default();
    if ours.as_str() != expected_form {
        n.hit("link: other URL-standard serialisation (percent-encoding, IDNA, dot segments)");
    }
}

// ---------------------------------------------------------------------------------------------
// guid

fn guid(suite: Suite, raw: Option<&str>, source: &str, n: &mut Norms) -> Option<String> {
    let raw = raw?;
    let g = collapse(raw);
    if g != raw {
        n.hit("guid: whitespace collapsed");
    }
    if g.is_empty() {
        return None;
    }
    if suite == Suite::FeedRs && looks_invented(&g) && !source.contains(&g) {
        n.hit("guid: feed-rs invented it (not in the source): none");
        return None;
    }
    Some(g)
}

/// feed-rs's generated ids: two `{:x}` halves of a 128-bit hash (up to 32 hex digits), or a UUID.
fn looks_invented(g: &str) -> bool {
    let hex = g.len() >= 16 && g.len() <= 32 && g.bytes().all(|b| b.is_ascii_hexdigit());
    let uuid = g.len() == 36
        && g.bytes().enumerate().all(|(i, b)| {
            if [8, 13, 18, 23].contains(&i) {
                b == b'-'
            } else {
                b.is_ascii_hexdigit()
            }
        });
    hex || uuid
}

// ---------------------------------------------------------------------------------------------
// author

fn raw_author(persons: &[Person]) -> Option<String> {
    let parts: Vec<String> = persons
        .iter()
        .filter_map(|p| match (&p.name, &p.email) {
            (Some(n), Some(e)) => Some(format!("{n} <{e}>")),
            (Some(n), None) => Some(n.clone()),
            (None, Some(e)) => Some(e.clone()),
            (None, None) => None,
        })
        .collect();
    Some(parts.join(", ")).filter(|s| !s.is_empty())
}

fn author(persons: &[Person], n: &mut Norms) -> Option<String> {
    let mut names = Vec::new();
    for p in persons {
        let mut name = p.name.as_deref().map(collapse).filter(|s| !s.is_empty());
        if let Some(email) = p.email.as_deref() {
            let beside = collapse(&strip_addresses(email));
            if !beside.is_empty() && (name.is_none() || name.as_deref() == Some("author")) {
                n.hit("author: old feed-rs put the <author> text in `email`: name taken from it");
                name = Some(beside);
            }
        }
        match name {
            Some(nm) => {
                let bare = collapse(&strip_addresses(&nm));
                if bare.is_empty() {
                    n.hit("author: only an e-mail address: no author");
                } else {
                    if bare != nm {
                        n.hit("author: e-mail address removed, name kept");
                    }
                    names.push(bare);
                }
            }
            None if p.email.is_some() => n.hit("author: only an e-mail address: no author"),
            None => {}
        }
    }
    if names.len() > 1 {
        n.hit("author: several authors joined with \", \"");
    }
    Some(names.join(", ")).filter(|s| !s.is_empty())
}

/// `s` without its e-mail addresses, each with a `mailto:` before it and the brackets around it;
/// when only a bracketed name is left (`a@b.c (Name)`), the name without its brackets.
fn strip_addresses(s: &str) -> String {
    let mut out = s.to_string();
    let mut removed = false;
    loop {
        let b = out.as_bytes();
        let Some(at) = out.find('@') else { break };
        let local = |c: u8| c.is_ascii_alphanumeric() || b"._%+-".contains(&c);
        let domain = |c: u8| c.is_ascii_alphanumeric() || b".-".contains(&c);
        let mut start = at;
        while start > 0 && local(b[start - 1]) {
            start -= 1;
        }
        let mut end = at + 1;
        while end < b.len() && domain(b[end]) {
            end += 1;
        }
        while end > at + 1 && b[end - 1] == b'.' {
            end -= 1;
        }
        if start == at || !out[at + 1..end].contains('.') {
            // Not an address: keep the '@' (replace it so the loop ends).
            out.replace_range(at..at + 1, "\u{0}");
            continue;
        }
        if out[..start].to_ascii_lowercase().ends_with("mailto:") {
            start -= "mailto:".len();
        }
        let before = out[..start].trim_end();
        let after = out[end..].trim_start();
        if let (Some(o), Some(c)) = (before.chars().last(), after.chars().next())
            && matches!((o, c), ('(', ')') | ('<', '>') | ('[', ']'))
        {
            start = before.len() - 1;
            end = out.len() - after.len() + 1;
        }
        out.replace_range(start..end, " ");
        removed = true;
    }
    let out = out.replace('\u{0}', "@");
    if !removed {
        return out;
    }
    // `a@b.c (Name)`: what is left is the name in brackets.
    let t = out.trim();
    match (t.chars().next(), t.chars().last()) {
        (Some('('), Some(')')) | (Some('['), Some(']')) | (Some('<'), Some('>'))
            if t.len() > 2 && !t[1..t.len() - 1].contains(['(', ')', '[', ']', '<', '>']) =>
        {
            t[1..t.len() - 1].to_string()
        }
        _ => out,
    }
}

// ---------------------------------------------------------------------------------------------
// dates

fn date(d: &ExpDate, n: &mut Norms) -> Want {
    match d {
        ExpDate::Absent => Want {
            value: None,
            raw: None,
            scored: true,
        },
        ExpDate::Unread(s) => {
            n.hit("date: the suite's own parser could not read it: not scored");
            Want {
                value: None,
                raw: Some(s.clone()),
                scored: false,
            }
        }
        ExpDate::At(t) => {
            let utc = t.with_timezone(&Utc);
            // As written, in the comparison form when it already is (UTC, whole seconds).
            let raw = Some(
                if t.offset().local_minus_utc() == 0 && t.timestamp_subsec_nanos() == 0 {
                    fmt_date(&utc)
                } else {
                    t.to_rfc3339()
                },
            );
            if t.offset().local_minus_utc() != 0 {
                n.hit("date: converted to UTC");
            }
            if t.timestamp_subsec_nanos() != 0 {
                n.hit("date: fraction of a second dropped");
            }
            if !(1970..=9999).contains(&utc.year()) {
                n.hit("date: year outside 1970-9999: none (design)");
                return Want {
                    value: None,
                    raw,
                    scored: true,
                };
            }
            Want {
                value: Some(fmt_date(&utc)),
                raw,
                scored: true,
            }
        }
    }
}

/// The comparison form of an instant: UTC, to the second.
pub fn fmt_date(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
