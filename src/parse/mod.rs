//! Bytes → [`ParsedFeed`]: decoding, feed-rs for the formats (RSS 0.9x/1.0/2.0, Atom, JSON
//! Feed), repairs for the breakage real feeds ship, and normalisation of every field. Pure: no
//! I/O, no clock, and never a panic: a panic inside the XML layer becomes a [`ParseError`].

pub mod date;
mod dialect;
pub mod encoding;
pub mod link;
mod truncation;

use std::panic::{AssertUnwindSafe, catch_unwind};

use chrono::{DateTime, Utc};
use feed_rs::model::{Entry, Feed, Link};
use url::Url;

use crate::model::{FeedWarning, ParsedFeed, ParsedItem, Zone};
use crate::text::{MAX_SUMMARY_CHARS, clean_line, html_to_text, markup_to_text, truncate_chars};

/// Longest title kept, in characters.
const MAX_TITLE_CHARS: usize = 500;
/// Most categories kept per item (some feeds tag an item with hundreds).
const MAX_CATEGORIES: usize = 64;
/// Most entries a feed may have. Real feeds carry tens to a few thousand; a body with more is
/// refused before the XML layer builds a model of it (memory grows with the entry count).
pub const MAX_ENTRIES: usize = 10_000;

/// Why some bytes are not a feed.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ParseError {
    #[error("empty body: no feed to parse")]
    Empty,
    #[error("not a feed: this is an HTML page")]
    Html,
    #[error("not a feed: {0}")]
    NotAFeed(String),
    #[error("the feed parser crashed on this input: {0}")]
    Crashed(String),
    #[error("more than {MAX_ENTRIES} entries: refused")]
    TooManyEntries,
}

/// What the parser needs to know besides the bytes.
#[derive(Debug, Clone)]
pub struct ParseOptions {
    /// Where the feed came from: relative links resolve against it (and against the feed's own
    /// site link).
    pub base_url: Option<Url>,
    /// `charset` of the HTTP Content-Type, if any.
    pub http_charset: Option<String>,
    /// The zone for dates that name none (a fixed offset, or an IANA zone applied per date).
    pub default_offset: Zone,
    /// Added to every date of the feed and its items: a replayed capture moved to the present
    /// (see `FeedConfig::captured_at`). Zero for live feeds.
    pub date_shift: chrono::TimeDelta,
    /// The connection failed before the body ended (see `fetch::Body::cut_short`): the body is
    /// read as cut short, whatever its end looks like.
    pub cut_short: bool,
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self {
            base_url: None,
            http_charset: None,
            default_offset: Zone::utc(),
            date_shift: chrono::TimeDelta::zero(),
            cut_short: false,
        }
    }
}

/// Parses and normalises one feed.
pub fn parse_feed(bytes: &[u8], opts: &ParseOptions) -> Result<ParsedFeed, ParseError> {
    match parse_body(bytes, opts) {
        Ok(mut feed) => {
            if opts.cut_short && !feed.warnings.contains(&FeedWarning::Truncated) {
                feed.warnings.insert(0, FeedWarning::Truncated);
            }
            Ok(feed)
        }
        Err(ParseError::NotAFeed(why)) if opts.cut_short => Err(ParseError::NotAFeed(format!(
            "{why} (the connection was cut before the body ended)"
        ))),
        Err(e) => Err(e),
    }
}

fn parse_body(bytes: &[u8], opts: &ParseOptions) -> Result<ParsedFeed, ParseError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ParseError::Empty);
    }
    let decoded = encoding::decode(bytes, opts.http_charset.as_deref());
    let text = decoded.text;
    if looks_like_html(&text) {
        return Err(ParseError::Html);
    }
    let json = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('{');
    let (text, mut extras) = if json {
        (text, dialect::Extras::default())
    } else {
        dialect::rewrite(text)
    };
    let text = if text.contains("http://purl.org/atom/ns#") {
        atom03_to_10(&text)
    } else {
        text
    };
    let text = wrap_naked_markup(text);
    let (entry_element, entry_count) = if json {
        ("item", 0)
    } else {
        entry_elements(&text)
    };
    if entry_count > MAX_ENTRIES {
        return Err(ParseError::TooManyEntries);
    }
    let mut warnings = Vec::new();
    let root = dialect::root_name(&text).map(str::to_string);
    let text = match &root {
        Some(root) if !json && truncation::is_cut_short(&text, root) => {
            warnings.push(FeedWarning::Truncated);
            extras.cut_short = true;
            truncation::close_after_last_entry(&text, entry_element)
        }
        _ => text,
    };
    let feed = match run_feed_rs(&text, opts.default_offset) {
        Ok(feed) => feed,
        Err(first) => recover(&text, first, opts.default_offset).map_err(|e| {
            if root.as_deref() == Some("rss") && !text.contains("<channel") {
                ParseError::NotAFeed("an <rss> document without a <channel>".into())
            } else {
                e
            }
        })?,
    };
    let mut parsed = normalise(feed, opts, &extras);
    if parsed.items.is_empty() && entry_count > 0 && !warnings.is_empty() {
        // Cut short before the end of its first entry: nothing to keep, and nothing to say ok.
        return Err(ParseError::NotAFeed(format!(
            "the body was cut short (truncated) before the end of its first <{entry_element}>"
        )));
    }
    if parsed.items.is_empty() && entry_count > 0 {
        warnings.push(FeedWarning::Unreadable {
            element: entry_element.to_string(),
            count: entry_count,
        });
    }
    parsed.warnings = warnings;
    parsed.sy_update = syndication_hint(&text);
    if !opts.date_shift.is_zero() {
        shift_dates(&mut parsed, opts.date_shift);
    }
    Ok(parsed)
}

/// Moves every date of `feed` by `by` (a date the move would put outside the years 1970–9999
/// stays as written).
fn shift_dates(feed: &mut ParsedFeed, by: chrono::TimeDelta) {
    let shift = |t: &mut Option<chrono::DateTime<chrono::Utc>>| {
        if let Some(moved) = t.and_then(|d| d.checked_add_signed(by)).and_then(clamp) {
            *t = Some(moved);
        }
    };
    shift(&mut feed.updated);
    for item in &mut feed.items {
        shift(&mut item.published);
        shift(&mut item.updated);
    }
}

/// Recovers from the breakage real feeds ship (bare '&', HTML entities, <rss> without a version or
/// with one feed-rs does not know, JSON Feed versions written as numbers, e-mail addresses glued
/// to non-ASCII text); if the repaired text still fails, the original error.
fn recover(text: &str, first: ParseError, offset: Zone) -> Result<Feed, ParseError> {
    let repaired = if text.trim_start().starts_with('{') {
        repair_json_feed(text).unwrap_or_else(|| text.to_string())
    } else {
        repair_xml(text)
    };
    let mut crashed = matches!(first, ParseError::Crashed(_));
    if repaired != text {
        match run_feed_rs(&repaired, offset) {
            Ok(feed) => {
                tracing::debug!("feed parsed after repairing it");
                return Ok(feed);
            }
            Err(e) => crashed |= matches!(e, ParseError::Crashed(_)),
        }
    }
    if crashed {
        let spaced = space_out_addresses(&repaired);
        if spaced != repaired
            && let Ok(feed) = run_feed_rs(&spaced, offset)
        {
            tracing::debug!("feed parsed after spacing out e-mail addresses");
            return Ok(feed);
        }
    }
    Err(first)
}

/// Puts a space between an e-mail address and the non-ASCII character (or character reference)
/// it is glued to. feed-rs cuts an author's text one byte before or after the address it finds
/// there, and panics when that byte is inside a multi-byte character (`홍길동（hong@yna.co.kr）`):
/// the whole feed would be lost. Only tried after such a panic.
fn space_out_addresses(text: &str) -> String {
    let b = text.as_bytes();
    let local = |c: u8| c.is_ascii_alphanumeric() || b"._%+-".contains(&c);
    let domain = |c: u8| c.is_ascii_alphanumeric() || b".-".contains(&c);
    let mut cuts = Vec::new();
    for (at, _) in text.match_indices('@') {
        let mut start = at;
        while start > 0 && local(b[start - 1]) {
            start -= 1;
        }
        let mut end = at + 1;
        while end < b.len() && domain(b[end]) {
            end += 1;
        }
        if start == at || end == at + 1 {
            continue;
        }
        // What feed-rs's pattern takes in around the address: `<[(`, `mailto:`, `>])`.
        if text[..start].ends_with("mailto:") {
            start -= "mailto:".len();
        }
        if let Some(open) = ["<[(", "&lt;[("]
            .iter()
            .find(|p| text[..start].ends_with(*p))
        {
            start -= open.len();
        }
        if let Some(close) = [">])", "&gt;])"]
            .iter()
            .find(|p| text[end..].starts_with(*p))
        {
            end += close.len();
        }
        if start > 0 && (!b[start - 1].is_ascii() || b[start - 1] == b';') {
            cuts.push(start);
        }
        if end < b.len() && (!b[end].is_ascii() || b[end] == b'&') {
            cuts.push(end);
        }
    }
    if cuts.is_empty() {
        return text.to_string();
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = String::with_capacity(text.len() + cuts.len());
    let mut pos = 0;
    for cut in cuts {
        out.push_str(&text[pos..cut]);
        out.push(' ');
        pos = cut;
    }
    out.push_str(&text[pos..]);
    out
}

/// `sy:updatePeriod` / `sy:updateFrequency` (RSS 1.0 syndication module), which feed-rs skips.
fn syndication_hint(text: &str) -> Option<(std::time::Duration, u32)> {
    // Channel-level elements: look only before the first item.
    let head = &text[..text.find("<item").unwrap_or(text.len())];
    if !head.contains("updatePeriod") {
        return None;
    }
    let text = head;
    let value = |tag: &str| -> Option<&str> {
        let start = text.find(&format!(":{tag}>"))? + tag.len() + 2;
        let rest = &text[start..];
        Some(rest[..rest.find('<')?].trim())
    };
    let period = match value("updatePeriod")?.to_ascii_lowercase().as_str() {
        "hourly" => 3600,
        "daily" => 86_400,
        "weekly" => 7 * 86_400,
        "monthly" => 30 * 86_400,
        "yearly" => 365 * 86_400,
        _ => return None,
    };
    let frequency = value("updateFrequency")
        .and_then(|f| f.parse::<u32>().ok())
        .filter(|f| *f > 0)
        .unwrap_or(1);
    Some((std::time::Duration::from_secs(period), frequency))
}

fn run_feed_rs(text: &str, offset: Zone) -> Result<Feed, ParseError> {
    let parser = feed_rs::parser::Builder::new()
        // An empty id marks "the feed gave none"; feed-rs would otherwise invent one (random for
        // items with neither id nor link), which must never become an identity.
        .id_generator(|_, _, _| String::new())
        .timestamp_parser(move |s| date::parse_date(s, offset))
        .build();
    match contain_panic(|| parser.parse(text.as_bytes()))? {
        Ok(feed) => Ok(feed),
        Err(e) => Err(ParseError::NotAFeed(describe(&e))),
    }
}

/// Runs `f`, turning a panic inside it (the XML layer has panicked on hostile input in the past)
/// into [`ParseError::Crashed`], so one broken feed never takes the process down.
fn contain_panic<T>(f: impl FnOnce() -> T) -> Result<T, ParseError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|panic| {
        let msg = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        ParseError::Crashed(msg)
    })
}

fn describe(e: &feed_rs::parser::ParseFeedError) -> String {
    use feed_rs::parser::{ParseErrorKind, ParseFeedError};
    match e {
        ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot) => {
            "no RSS, Atom or JSON Feed root element".into()
        }
        ParseFeedError::ParseError(kind) => kind.to_string(),
        ParseFeedError::IoError(e) => format!("read error: {e}"),
        ParseFeedError::JsonSerde(e) => format!("invalid JSON Feed: {e}"),
        ParseFeedError::JsonUnsupportedVersion(v) => format!("unsupported JSON Feed version {v}"),
        ParseFeedError::XmlReader(e) => format!("malformed XML: {e}"),
    }
}

/// True when the root element is `<html>` (a login wall, an error page, a site's front page
/// configured by mistake), or a document with an HTML doctype has no feed root. The root element
/// decides: an HTML doctype before `<rss>` is a feed.
fn looks_like_html(text: &str) -> bool {
    if text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('{')
    {
        return false; // JSON Feed (whose `content_html` may hold a whole page)
    }
    let lower_head: String = text
        .trim_start_matches('\u{feff}')
        .chars()
        .take(2048)
        .collect::<String>()
        .to_ascii_lowercase();
    let html_doctype = lower_head.contains("<!doctype html");
    match dialect::root_name(text) {
        Some(root) => {
            let root = root.to_ascii_lowercase();
            root == "html"
                || (html_doctype
                    && !matches!(root.as_str(), "rss" | "feed" | "channel")
                    && !root.ends_with("rdf"))
        }
        None => html_doctype,
    }
}

/// Repairs that make broken-but-common XML parse: bare `&` becomes `&amp;`, HTML-only named
/// entities (`&nbsp;`) become their characters, and `<rss>` without `version` gets one.
/// CDATA sections are left untouched.
pub fn repair_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(pos) = rest.find(['&', '<']) {
        out.push_str(&rest[..pos]);
        let here = &rest[pos..];
        if let Some(cdata) = here.strip_prefix("<![CDATA[") {
            let end = cdata.find("]]>").map_or(cdata.len(), |i| i + 3);
            out.push_str("<![CDATA[");
            out.push_str(&cdata[..end]);
            rest = &cdata[end..];
        } else if here.starts_with("<rss") && !here[4..].starts_with(|c: char| c.is_alphanumeric())
        {
            let tag_end = here.find('>').unwrap_or(here.len());
            out.push_str(&rss_tag_with_version(&here[..tag_end]));
            rest = &here[tag_end..];
        } else if let Some(after) = here.strip_prefix('<') {
            out.push('<');
            rest = after;
        } else {
            let (replacement, consumed) = repair_entity(here);
            out.push_str(&replacement);
            rest = &here[consumed..];
        }
    }
    out.push_str(rest);
    out
}

/// The `<rss …` start tag (without its `>`) with a version feed-rs reads: a missing version or
/// one it does not know (`0.93`, `0.94`, `2.01`, `"2.0 "`) becomes `2.0`, the format those are.
fn rss_tag_with_version(tag: &str) -> String {
    const KNOWN: [&str; 3] = ["2.0", "0.91", "0.92"];
    let Some(pos) = tag.find("version") else {
        return format!("{tag} version=\"2.0\"");
    };
    let after = tag[pos + "version".len()..].trim_start();
    let value = after.strip_prefix('=').map(str::trim_start).and_then(|v| {
        let q = v.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let body = &v[1..];
        Some((body.find(q).map(|end| &body[..end])?, q))
    });
    match value {
        Some((v, _)) if KNOWN.contains(&v) => tag.to_string(),
        Some((v, q)) => tag.replacen(&format!("{q}{v}{q}"), "\"2.0\"", 1),
        None => format!("{} version=\"2.0\"", &tag[..pos]),
    }
}

/// RSS puts HTML in `<title>` and `<description>` escaped or in CDATA, but some feeds write the
/// markup as it is (`<description><p>Text</p></description>`), and the XML layer then drops the
/// text. Such element bodies are wrapped in CDATA so the text survives (HTML is stripped later).
/// Atom, where XHTML content is legitimate, is left alone.
fn wrap_naked_markup(text: String) -> String {
    if !(text.contains("<rss") || text.contains("<rdf:RDF")) {
        return text;
    }
    // Body spans to wrap, found in one pass (an automaton over the four tags is far cheaper than
    // a search per tag on markup-dense text).
    static TAGS: std::sync::OnceLock<aho_corasick::AhoCorasick> = std::sync::OnceLock::new();
    let tags = TAGS.get_or_init(|| {
        aho_corasick::AhoCorasick::new(["<title>", "</title>", "<description>", "</description>"])
            .expect("four literal patterns build")
    });
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut open: [Option<usize>; 2] = [None, None];
    for m in tags.find_iter(&text) {
        let p = m.pattern().as_usize();
        let which = p / 2;
        if p % 2 == 0 {
            open[which] = Some(m.end());
        } else if let Some(start) = open[which].take() {
            let inner = &text[start..m.start()];
            if inner.contains('<') && !inner.contains("<![CDATA[") {
                spans.push((start, m.start()));
            }
        }
    }
    if spans.is_empty() {
        return text;
    }
    spans.sort_unstable();
    let mut result = String::with_capacity(text.len() + spans.len() * 12);
    let mut pos = 0;
    for (open, end) in spans {
        if open < pos {
            continue; // nested in a span already wrapped
        }
        result.push_str(&text[pos..open]);
        result.push_str("<![CDATA[");
        result.push_str(&text[open..end]);
        result.push_str("]]>");
        pos = end;
    }
    result.push_str(&text[pos..]);
    result
}

/// Which entry element the document uses (`item` or `entry`) and how many start tags of it
/// there are, counted up to one past [`MAX_ENTRIES`] (JSON Feeds are bounded by the body-size
/// cap alone).
fn entry_elements(text: &str) -> (&'static str, usize) {
    static TAGS: std::sync::OnceLock<aho_corasick::AhoCorasick> = std::sync::OnceLock::new();
    let tags = TAGS.get_or_init(|| {
        aho_corasick::AhoCorasick::new([
            "<item>", "<item ", "<item/", "<entry>", "<entry ", "<entry/",
        ])
        .expect("literal patterns build")
    });
    let (mut items, mut entries) = (0, 0);
    for m in tags.find_iter(text).take(MAX_ENTRIES + 1) {
        if m.pattern().as_usize() < 3 {
            items += 1;
        } else {
            entries += 1;
        }
    }
    if entries > items {
        ("entry", entries)
    } else {
        ("item", items)
    }
}

/// Atom 0.3 (namespace `http://purl.org/atom/ns#`) as Atom 1.0: the namespace, `issued` and
/// `modified` dates, and MIME-typed text constructs. Without this feed-rs finds no entries.
fn atom03_to_10(text: &str) -> String {
    let text = text
        .replace("http://purl.org/atom/ns#", "http://www.w3.org/2005/Atom")
        .replace("<issued>", "<published>")
        .replace("</issued>", "</published>")
        .replace("<modified>", "<updated>")
        .replace("</modified>", "</updated>")
        .replace("type=\"text/html\"", "type=\"html\"")
        .replace("type=\"text/plain\"", "type=\"text\"")
        .replace("type=\"application/xhtml+xml\"", "type=\"xhtml\"");
    dialect::decode_base64_modes(text)
}

/// JSON Feeds that write their version as `"1"`, `"1.0"` or `"1.1"` instead of the URL, or
/// leave out the required `title`: rewritten so feed-rs reads them.
fn repair_json_feed(text: &str) -> Option<String> {
    let mut v: serde_json::Value = serde_json::from_str(text).ok()?;
    let obj = v.as_object_mut()?;
    let version = obj.get("version").and_then(|x| x.as_str()).unwrap_or("");
    if !version.starts_with("https://jsonfeed.org/version/1") {
        if !matches!(version, "" | "1" | "1.0" | "1.1") {
            return None;
        }
        obj.insert("version".into(), "https://jsonfeed.org/version/1.1".into());
    }
    if !obj.get("title").is_some_and(|t| t.is_string()) {
        obj.insert("title".into(), "".into());
    }
    serde_json::to_string(&v).ok()
}

/// `here` starts with '&'. Returns the text to emit and how many bytes of `here` it stands for.
fn repair_entity(here: &str) -> (String, usize) {
    let body_len = here[1..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
        .unwrap_or(here.len() - 1);
    let body = &here[1..1 + body_len];
    let terminated = here[1 + body_len..].starts_with(';');
    if !terminated || body.is_empty() {
        return ("&amp;".into(), 1);
    }
    let valid_numeric = body
        .strip_prefix("#x")
        .or_else(|| body.strip_prefix("#X"))
        .map(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
        .or_else(|| {
            body.strip_prefix('#')
                .map(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
        });
    match valid_numeric {
        Some(true) => return (here[..body_len + 2].to_string(), body_len + 2),
        Some(false) => return ("&amp;".into(), 1),
        None => {}
    }
    if matches!(body, "amp" | "lt" | "gt" | "quot" | "apos") {
        return (here[..body_len + 2].to_string(), body_len + 2);
    }
    let entity = &here[..body_len + 2];
    let decoded = html_escape::decode_html_entities(entity);
    if decoded != entity {
        // Emit as a character reference so markup characters stay escaped.
        let refs: String = decoded
            .chars()
            .map(|c| format!("&#{};", c as u32))
            .collect();
        return (refs, body_len + 2);
    }
    ("&amp;".into(), 1)
}

fn normalise(feed: Feed, opts: &ParseOptions, extras: &dialect::Extras) -> ParsedFeed {
    let site_link =
        pick_link(&feed.links).and_then(|l| link::canonical_link(&l.href, opts.base_url.as_ref()));
    let site_base = site_link.as_deref().and_then(|l| Url::parse(l).ok());
    let atom = feed.feed_type == feed_rs::model::FeedType::Atom;
    let abouts = extras.rdf_about.as_ref().filter(|a| {
        a.len() == feed.entries.len() || (extras.cut_short && a.len() > feed.entries.len())
    });
    let items = feed
        .entries
        .into_iter()
        .enumerate()
        .map(|(i, mut e)| {
            if e.id.is_empty()
                && let Some(about) = abouts.and_then(|a| a[i].as_ref())
            {
                e.id = about.clone();
            }
            normalise_entry(e, atom, extras, opts.base_url.as_ref(), site_base.as_ref())
        })
        // An entry with nothing to show (no title, no text) and nothing to know it by (no link,
        // no id) is not an item: a date, an author or categories alone are nothing to read.
        .filter(|i| !(i.title.is_empty() && i.link.is_none() && i.guid.is_none()))
        .collect();
    ParsedFeed {
        title: feed
            .title
            .map(|t| text_of(&t, atom))
            .filter(|t| !t.is_empty()),
        link: site_link,
        updated: feed.updated.or(feed.published).and_then(clamp),
        items,
        ttl_minutes: feed.ttl,
        sy_update: None,
        warnings: Vec::new(),
    }
}

/// `text/plain`: what feed-rs makes of Atom's `type="text"` (and of a missing type).
macro_rules! is_plain {
    ($media_type:expr) => {
        $media_type.ty() == "text" && $media_type.subty() == "plain"
    };
}

/// A text construct as one line of plain text. Atom says what its text is: `type="text"` is
/// shown as written (`History of the <blink> tag`), `html`/`xhtml` are markup. Elsewhere
/// (RSS, JSON Feed) nothing is declared, and only recognised HTML tags are removed
/// ([`markup_to_text`]).
fn text_of(t: &feed_rs::model::Text, atom: bool) -> String {
    if atom {
        if is_plain!(t.content_type) {
            clean_line(&t.content)
        } else {
            html_to_text(&t.content)
        }
    } else {
        markup_to_text(&t.content)
    }
}

fn normalise_entry(
    e: Entry,
    atom: bool,
    extras: &dialect::Extras,
    base: Option<&Url>,
    site: Option<&Url>,
) -> ParsedItem {
    // Summaries are HTML by convention (RSS), unless Atom says they are text.
    let body_text = |content: &str, plain: bool| {
        if atom && plain {
            clean_line(content)
        } else {
            html_to_text(content)
        }
    };
    let summary = e
        .summary
        .as_ref()
        .map(|t| body_text(&t.content, is_plain!(t.content_type)))
        .or_else(|| {
            e.content.as_ref().and_then(|c| {
                let plain = is_plain!(c.content_type);
                c.body.as_deref().map(|b| body_text(b, plain))
            })
        })
        .map(|s| truncate_chars(s, MAX_SUMMARY_CHARS))
        .filter(|s| !s.is_empty());
    // Title: `<title>` (Atom `title`, JSON `title`); `dc:title` is read as it by the rewrites;
    // then `media:title`; then the start of the summary.
    let mut title = e
        .title
        .as_ref()
        .map(|t| text_of(t, atom))
        .filter(|t| !t.is_empty())
        .or_else(|| {
            e.media
                .iter()
                .find_map(|m| m.title.as_ref())
                .map(|t| text_of(t, false))
        })
        .unwrap_or_default();
    if title.is_empty() {
        title = summary
            .clone()
            .map(|s| truncate_chars(s, 100))
            .unwrap_or_default();
    }
    let guid = Some(clean_line(&e.id)).filter(|g| !g.is_empty());
    let base_is_web = base.is_some_and(|b| matches!(b.scheme(), "http" | "https"));
    let resolve_against = if base_is_web { base } else { site };
    // An RSS guid is a permalink unless it says otherwise (`isPermaLink="false"`), so a guid
    // that is an absolute web URL serves as the link of an item that has none.
    let link = pick_link(&e.links)
        .and_then(|l| link::canonical_link(&l.href, resolve_against))
        .or_else(|| {
            guid.as_deref()
                .filter(|g| g.starts_with("http://") || g.starts_with("https://"))
                .filter(|g| !extras.not_permalinks.contains(*g))
                .and_then(|g| link::canonical_link(g, None))
        });
    let author = e
        .authors
        .iter()
        .filter_map(|p| p.name.as_deref().map(author_name))
        .filter(|n| !n.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    let mut categories: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for c in e.categories {
        if categories.len() == MAX_CATEGORIES {
            break;
        }
        let label = clean_line(c.label.as_deref().unwrap_or(&c.term));
        if !label.is_empty() && seen.insert(label.clone()) {
            categories.push(label);
        }
    }
    ParsedItem {
        guid,
        title: truncate_chars(title, MAX_TITLE_CHARS),
        link,
        published: e.published.and_then(clamp),
        updated: e.updated.and_then(clamp),
        author: Some(author).filter(|a| !a.is_empty()),
        summary,
        categories,
    }
}

/// The article link: `rel="alternate"` or no rel first, then the first link of another kind
/// that can be the article (never the feed itself, its comments, a media enclosure or an
/// editing endpoint).
fn pick_link(links: &[Link]) -> Option<&Link> {
    // RSS `<comments>` (and the comment API's feed) come as rel-less links with a target.
    let links = || links.iter().filter(|l| l.target.is_none());
    links()
        .find(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
        .or_else(|| {
            links().find(|l| {
                !matches!(
                    l.rel.as_deref(),
                    Some(
                        "self"
                            | "comments"
                            | "replies"
                            | "enclosure"
                            | "edit"
                            | "edit-media"
                            | "hub"
                            | "license"
                            | "payment"
                    )
                )
            })
        })
}

/// An author's name as one line: `jonas@example.org (Jonas)` reaches here as `(Jonas)`, the
/// address gone; the brackets go too.
fn author_name(name: &str) -> String {
    let line = clean_line(name);
    match line.strip_prefix('(').and_then(|n| n.strip_suffix(')')) {
        Some(inner) if !inner.contains(['(', ')']) => inner.trim().to_string(),
        _ => line,
    }
}

/// Drops sub-second noise so stored timestamps compare equal across polls, and dates outside
/// years 1970–9999 (which are errors in the feed, and not representable in RFC 3339 output).
fn clamp(dt: DateTime<Utc>) -> Option<DateTime<Utc>> {
    use chrono::Datelike;
    if !(1970..=9999).contains(&dt.year()) {
        return None;
    }
    DateTime::from_timestamp(dt.timestamp(), 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<ParsedFeed, ParseError> {
        parse_feed(s.as_bytes(), &ParseOptions::default())
    }

    const RSS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Yonhap &amp; Co</title><link>https://en.yna.co.kr/</link>
<item><title><![CDATA[N. Korea fires <b>missile</b>]]></title>
<link>https://en.yna.co.kr/view/AEN1?utm_source=rss#x</link>
<guid isPermaLink="false">AEN1</guid>
<pubDate>Tue, 26 Mar 2024 10:00:00 +0900</pubDate>
<author>Kim Soo-yeon</author>
<category>North Korea</category><category>North Korea</category>
<description>&lt;p&gt;SEOUL, March 26 (Yonhap) -- North Korea fired&amp;nbsp;a missile.&lt;/p&gt;</description>
</item></channel></rss>"#;

    #[test]
    fn rss_item_is_normalised() {
        let f = parse(RSS).unwrap();
        assert_eq!(f.title.as_deref(), Some("Yonhap & Co"));
        let i = &f.items[0];
        assert_eq!(i.title, "N. Korea fires missile");
        assert_eq!(i.link.as_deref(), Some("https://en.yna.co.kr/view/AEN1"));
        assert_eq!(i.guid.as_deref(), Some("AEN1"));
        assert_eq!(
            i.published.unwrap().to_rfc3339(),
            "2024-03-26T01:00:00+00:00"
        );
        assert_eq!(i.author.as_deref(), Some("Kim Soo-yeon"));
        assert_eq!(i.categories, vec!["North Korea".to_string()]);
        assert_eq!(
            i.summary.as_deref(),
            Some("SEOUL, March 26 (Yonhap) -- North Korea fired a missile.")
        );
    }

    #[test]
    fn comments_are_never_the_article_link() {
        let f = parse(
            r#"<rss version="2.0"><channel><title>t</title>
            <item><title>a</title><comments>https://a.example/1#comments</comments><link>https://a.example/1</link></item>
            <item><title>b</title><comments>https://a.example/2#comments</comments></item></channel></rss>"#,
        )
        .unwrap();
        assert_eq!(f.items[0].link.as_deref(), Some("https://a.example/1"));
        assert_eq!(f.items[1].link, None);
    }

    #[test]
    fn items_without_id_get_no_invented_guid() {
        let f = parse(
            r#"<rss version="2.0"><channel><title>t</title>
            <item><title>only a title</title><description>x</description></item>
            <item><title>with link</title><link>http://a.example/1</link></item></channel></rss>"#,
        )
        .unwrap();
        assert_eq!(f.items[0].guid, None);
        assert_eq!(f.items[0].link, None);
        assert_eq!(f.items[1].guid, None);
        assert_eq!(f.items[1].link.as_deref(), Some("http://a.example/1"));
    }

    #[test]
    fn bare_ampersand_and_missing_version_are_repaired() {
        let f = parse(r#"<rss><channel><title>A & B</title>
            <item><title>Q&amp;A &nbsp;on tariffs</title><link>http://x.example/?a=1&b=2</link><guid>g1</guid></item>
            </channel></rss>"#)
        .unwrap();
        assert_eq!(f.title.as_deref(), Some("A & B"));
        assert_eq!(f.items[0].title, "Q&A on tariffs");
        assert_eq!(
            f.items[0].link.as_deref(),
            Some("http://x.example/?a=1&b=2")
        );
    }

    #[test]
    fn repair_leaves_cdata_and_valid_entities_alone() {
        let s = "<a>&amp; &#38; &#x26; <![CDATA[a & b]]> & &bogus; &copy;</a>";
        assert_eq!(
            repair_xml(s),
            "<a>&amp; &#38; &#x26; <![CDATA[a & b]]> &amp; &amp;bogus; &#169;</a>"
        );
    }

    #[test]
    fn atom_and_json_feed() {
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
            <entry><id>urn:1</id><title type="html">&lt;i&gt;Hi&lt;/i&gt;</title>
            <link rel="alternate" href="/a/1"/><updated>2024-03-26T10:00:00+09:00</updated></entry></feed>"#;
        let opts = ParseOptions {
            base_url: Some(Url::parse("https://example.com/feed.xml").unwrap()),
            ..Default::default()
        };
        let f = parse_feed(atom.as_bytes(), &opts).unwrap();
        assert_eq!(f.items[0].title, "Hi");
        assert_eq!(f.items[0].link.as_deref(), Some("https://example.com/a/1"));
        assert_eq!(
            f.items[0].updated.unwrap().to_rfc3339(),
            "2024-03-26T01:00:00+00:00"
        );

        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[
            {"id":"j1","url":"https://example.com/j1","title":"JSON item","content_html":"<p>body</p>",
             "date_published":"2024-03-26T10:00:00+09:00"}]}"#;
        let f = parse(json).unwrap();
        assert_eq!(f.items[0].guid.as_deref(), Some("j1"));
        assert_eq!(f.items[0].summary.as_deref(), Some("body"));
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert_eq!(parse("  \n"), Err(ParseError::Empty));
        assert_eq!(
            parse("<!DOCTYPE html><html><body>Login</body></html>"),
            Err(ParseError::Html)
        );
        assert!(matches!(
            parse("<rss version=\"2.0\"><channel><item>"),
            Err(ParseError::NotAFeed(_))
        ));
        assert!(matches!(parse("just text"), Err(ParseError::NotAFeed(_))));
        assert!(matches!(
            parse("<note><to>x</to></note>"),
            Err(ParseError::NotAFeed(_))
        ));
    }

    #[test]
    fn a_panic_in_the_parser_becomes_an_error() {
        let r: Result<(), _> = contain_panic(|| panic!("slice index starts at 3 but ends at 1"));
        assert_eq!(
            r,
            Err(ParseError::Crashed(
                "slice index starts at 3 but ends at 1".into()
            ))
        );
        assert_eq!(contain_panic(|| 7), Ok(7));
    }

    #[test]
    fn truncated_and_corrupted_feeds_never_panic() {
        // Every prefix of a real-shaped feed, and the feed with bytes overwritten by markup
        // characters at each position: all must return, Ok or Err.
        let feeds = [
            RSS.as_bytes().to_vec(),
            encoding_rs::EUC_KR.encode(RSS).0.into_owned(),
        ];
        for feed in &feeds {
            for cut in (0..feed.len()).step_by(7) {
                let _ = parse_feed(&feed[..cut], &ParseOptions::default());
                for b in [b'<', b'&', b'>', b'"', 0xff] {
                    let mut bad = feed.clone();
                    bad[cut] = b;
                    let _ = parse_feed(&bad, &ParseOptions::default());
                }
            }
        }
    }

    #[test]
    fn unknown_rss_versions_are_read_as_2_0() {
        for v in ["2.01", "0.93", "0.94", "2.0 "] {
            let doc = format!(
                "<rss version='{v}'><channel><title>t</title><item><title>x</title><guid>g</guid></item></channel></rss>"
            );
            let f = parse(&doc).unwrap_or_else(|e| panic!("{v}: {e}"));
            assert_eq!(f.items.len(), 1, "{v}");
        }
        assert_eq!(rss_tag_with_version("<rss"), "<rss version=\"2.0\"");
        assert_eq!(
            rss_tag_with_version("<rss version=\"0.91\""),
            "<rss version=\"0.91\""
        );
    }

    #[test]
    fn atom_0_3_entries_are_read() {
        let doc = r#"<?xml version="1.0"?><feed version="0.3" xmlns="http://purl.org/atom/ns#">
            <title>Old</title><entry><title type="text/plain">Entry one</title><id>tag:x,1</id>
            <link rel="alternate" type="text/html" href="http://old.example/1"/>
            <issued>2004-03-26T10:00:00+09:00</issued><modified>2004-03-26T11:00:00+09:00</modified>
            <summary type="text/html">&lt;b&gt;Bold&lt;/b&gt; summary</summary></entry></feed>"#;
        let f = parse(doc).unwrap();
        assert_eq!(f.items.len(), 1);
        let i = &f.items[0];
        assert_eq!(i.title, "Entry one");
        assert_eq!(i.link.as_deref(), Some("http://old.example/1"));
        assert_eq!(
            i.published.unwrap().to_rfc3339(),
            "2004-03-26T01:00:00+00:00"
        );
        assert_eq!(i.updated.unwrap().to_rfc3339(), "2004-03-26T02:00:00+00:00");
        assert_eq!(i.summary.as_deref(), Some("Bold summary"));
    }

    #[test]
    fn json_feed_with_numeric_version_or_no_title() {
        let f = parse(r#"{"version":"1.0","items":[{"id":"1","title":"T","content_text":"x"}]}"#)
            .unwrap();
        assert_eq!(f.items[0].guid.as_deref(), Some("1"));
        assert!(matches!(
            parse(r#"{"version":"9","title":"t","items":[]}"#),
            Err(ParseError::NotAFeed(_))
        ));
    }

    #[test]
    fn naked_markup_in_rss_keeps_its_text() {
        let f = parse(
            "<rss version=\"2.0\"><channel><title>t</title><item><title>Kim <b>Yo-jong</b></title>\
             <description><p>Item <i>Description</i></p></description><guid>g</guid></item>\
             <item><title>Plain &amp; escaped</title><description><![CDATA[<p>cdata</p>]]></description><guid>h</guid></item>\
             </channel></rss>",
        )
        .unwrap();
        assert_eq!(f.items[0].title, "Kim Yo-jong");
        assert_eq!(f.items[0].summary.as_deref(), Some("Item Description"));
        assert_eq!(f.items[1].title, "Plain & escaped");
        assert_eq!(f.items[1].summary.as_deref(), Some("cdata"));
    }

    #[test]
    fn permalink_guid_is_the_link_of_a_linkless_item() {
        let f = parse(
            "<rss version=\"2.0\"><channel><title>t</title>\
             <item><title>a</title><guid>https://news.example/a?utm_source=rss</guid></item>\
             <item><title>b</title><guid isPermaLink=\"false\">b-123</guid></item>\
             <item><title>c</title><link>https://news.example/c</link><guid>https://other.example/c</guid></item>\
             </channel></rss>",
        )
        .unwrap();
        assert_eq!(f.items[0].link.as_deref(), Some("https://news.example/a"));
        assert_eq!(f.items[1].link, None);
        assert_eq!(f.items[2].link.as_deref(), Some("https://news.example/c"));
    }

    #[test]
    fn many_categories_are_capped_and_dates_out_of_range_dropped() {
        let cats: String = (0..5000)
            .map(|i| format!("<category>c{i}</category><category>c{i}</category>"))
            .collect();
        let doc = format!(
            "<rss version=\"2.0\"><channel><title>t</title><item><title>x</title><guid>g</guid>{cats}\
             <pubDate>Tue, 26 Mar 10000 10:00:00 +0000</pubDate></item></channel></rss>"
        );
        let f = parse(&doc).unwrap();
        assert_eq!(f.items[0].categories.len(), MAX_CATEGORIES);
        assert_eq!(f.items[0].published, None);
    }

    #[test]
    fn too_many_entries_are_refused() {
        let items: String = (0..=MAX_ENTRIES)
            .map(|i| format!("<item><guid>{i}</guid></item>"))
            .collect();
        let doc = format!("<rss version=\"2.0\"><channel><title>t</title>{items}</channel></rss>");
        assert_eq!(parse(&doc), Err(ParseError::TooManyEntries));
        let ok: String = (0..100)
            .map(|i| format!("<item><guid>{i}</guid></item>"))
            .collect();
        let doc = format!("<rss version=\"2.0\"><channel><title>t</title>{ok}</channel></rss>");
        assert_eq!(parse(&doc).unwrap().items.len(), 100);
    }

    #[test]
    fn refresh_hints_in_the_feed() {
        let f = parse("<rss version=\"2.0\" xmlns:sy=\"http://purl.org/rss/1.0/modules/syndication/\"><channel><title>t</title><ttl>15</ttl>\
            <sy:updatePeriod> hourly </sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency></channel></rss>").unwrap();
        assert_eq!(f.ttl_minutes, Some(15));
        assert_eq!(f.sy_update, Some((std::time::Duration::from_secs(3600), 4)));
    }

    #[test]
    fn korean_dates_in_feed() {
        let f = parse(r#"<rss version="2.0"><channel><title>연합</title>
            <item><title>북한, 미사일 발사</title><guid>k1</guid><pubDate>2024-03-26 오전 10:00:00</pubDate></item>
            <item><title>b</title><guid>k2</guid><pubDate>Tue, 26 Mar 2024 10:00:00 KST</pubDate></item>
            </channel></rss>"#)
        .unwrap();
        assert_eq!(
            f.items[0].published.unwrap().to_rfc3339(),
            "2024-03-26T01:00:00+00:00"
        );
        assert_eq!(
            f.items[1].published.unwrap().to_rfc3339(),
            "2024-03-26T01:00:00+00:00"
        );
    }

    #[test]
    fn ansi_in_titles_is_removed() {
        let f = parse("<rss version=\"2.0\"><channel><title>t</title><item><title>\u{1b}[2J\u{1b}[31mAlert</title><guid>a</guid></item></channel></rss>").unwrap();
        assert_eq!(f.items[0].title, "Alert");
    }

    #[test]
    fn xml_declaration_inside_the_document_is_not_a_crash() {
        // Found by fuzzing (fuzz/feed): the XML layer switched decoders for a declaration that
        // is not at the start, panicked (contained, so the feed was reported crashed).
        let f = parse(
            "<feed xmlns=\"http://www.w3.org/2005/Atom\"><?xml encoding=\"EUC-KR\"?>\
             <entry><title>a</title></entry></feed>",
        )
        .unwrap();
        assert_eq!(f.items[0].title, "a");
    }

    #[test]
    fn xml_declaration_after_junk_does_not_decode_twice() {
        // The text is UTF-8 already; the label of a declaration behind junk (a PHP warning, say)
        // made the XML layer decode it again as EUC-KR.
        let f = parse(
            "x<?xml version=\"1.0\" encoding=\"EUC-KR\"?>\
             <rss version=\"2.0\"><channel><item><title>북한</title></item></channel></rss>",
        )
        .unwrap();
        assert_eq!(f.items[0].title, "북한");
    }

    #[test]
    fn author_address_glued_to_non_ascii_text_is_not_a_crash() {
        // Found by fuzzing (fuzz/feed): feed-rs cuts an author's text one byte beside the
        // e-mail address in it, which panicked inside a full-width parenthesis or a quote, and
        // the whole feed was lost.
        for author in [
            "홍길동 기자（hong@yna.co.kr）",
            "“hong@yna.co.kr”",
            "hong@yna.co.kr·홍길동 기자",
            "Kim&#65288;mailto:k@yna.co.kr&#65289;",
        ] {
            let f = parse(&format!(
                "<rss version=\"2.0\"><channel><item><title>a</title><author>{author}</author>\
                 </item></channel></rss>"
            ))
            .unwrap_or_else(|e| panic!("{author}: {e}"));
            assert_eq!(f.items[0].title, "a");
        }
        let f = parse(
            r#"{"version":"https://jsonfeed.org/version/1","title":"t","items":[{"id":"1","title":"a",
                "author":{"name":"\ud64d\uae38\ub3d9\uff08hong@yna.co.kr\uff09"}}]}"#,
        )
        .unwrap();
        assert_eq!(f.items[0].author.as_deref(), Some("홍길동（"));
    }
}
