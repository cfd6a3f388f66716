//! Feed dialects feed-rs does not read, rewritten on the text into ones it does, and the few
//! facts it does not expose read beside it. Each rewrite looks for its dialect first and leaves
//! every other document untouched. Pure.
//!
//! - The prolog: extra XML declarations (concatenated output) dropped; an HTML doctype before an
//!   `<rss>` root dropped (the root element decides what a document is, not the doctype).
//! - RSS 2.0 in a default namespace (`xmlns="http://backend.userland.com/rss2"`): the namespace
//!   removed, so the elements are RSS.
//! - RSS 0.90 (`http://my.netscape.com/rdf/simple/0.9/`): read as RSS 1.0, the same shape.
//! - RSS 0.90/1.0 items whose identity is only `rdf:about`: the URI becomes the item's link
//!   (feed-rs drops an RSS 1.0 item without one) and its guid ([`Extras::rdf_about`]).
//! - `dc:title` as the only title of an RSS item: read as its `<title>`.
//! - Atom text constructs holding child elements, or typed with a MIME type feed-rs refuses
//!   (see [`atom_text_constructs`]).
//! - Atom 0.3 `mode="base64"` content decoded.
//! - `<guid isPermaLink="false">`: recorded, so such a guid never serves as the link.

use std::collections::HashSet;

use base64::Engine;

/// What the rewrites learned that feed-rs will not say.
#[derive(Debug, Default)]
pub struct Extras {
    /// For RSS 0.90/1.0 documents: each item feed-rs will read, in order, with its `rdf:about`.
    pub rdf_about: Option<Vec<Option<String>>>,
    /// Guids marked `isPermaLink="false"`, as written (trimmed).
    pub not_permalinks: HashSet<String>,
    /// The document was closed after its last complete entry (see `super::truncation`): the
    /// entries read are the first of [`Extras::rdf_about`]'s.
    pub cut_short: bool,
}

/// The rewritten text and what was learned on the way.
pub fn rewrite(text: String) -> (String, Extras) {
    let mut extras = Extras::default();
    let text = prolog(text);
    let root = root_name(&text).unwrap_or_default().to_string();
    let text = match root.as_str() {
        "rss" => rss_default_namespace(text),
        _ => text,
    };
    let text = if root == "rdf:RDF" || root.ends_with(":RDF") || root == "RDF" {
        let text = text.replace(
            "\"http://my.netscape.com/rdf/simple/0.9/\"",
            "\"http://purl.org/rss/1.0/\"",
        );
        let (text, abouts) = rdf_items(&text);
        extras.rdf_about = Some(abouts);
        text
    } else {
        text
    };
    let text = if root == "rss" || root.ends_with("RDF") {
        dc_titles(text)
    } else {
        text
    };
    let text = if root == "feed" {
        atom_text_constructs(text)
    } else {
        text
    };
    if text.contains("isPermaLink") {
        extras.not_permalinks = not_permalinks(&text);
    }
    (text, extras)
}

/// The root element's name (`rss`, `feed`, `rdf:RDF`, `html`), after the prolog (declarations,
/// processing instructions, comments, doctype).
pub fn root_name(text: &str) -> Option<&str> {
    let mut rest = text.trim_start_matches('\u{feff}').trim_start();
    loop {
        if let Some(r) = rest.strip_prefix("<?") {
            rest = &r[r.find("?>")? + 2..];
        } else if let Some(r) = rest.strip_prefix("<!--") {
            rest = &r[r.find("-->")? + 3..];
        } else if rest.starts_with("<!") {
            rest = &rest[doctype_end(rest)?..];
        } else {
            break;
        }
        rest = rest.trim_start();
    }
    let r = rest.strip_prefix('<')?;
    let end = r.find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
    Some(&r[..end]).filter(|n| !n.is_empty())
}

/// The end (exclusive) of a `<!DOCTYPE …>` at the start of `s`, internal subset included.
fn doctype_end(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'[' => depth += 1,
            b']' => depth = depth.saturating_sub(1),
            b'>' if depth == 0 => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// Drops every XML declaration but a first one at the very start, and an HTML doctype when
/// the root element is not `html`.
fn prolog(text: String) -> String {
    let body = text.trim_start_matches('\u{feff}');
    let root_at = root_offset(body);
    let head = &body[..root_at];
    let extra_declarations = head
        .match_indices("<?xml")
        .any(|(i, _)| i > 0 && is_declaration(&head[i..]));
    let html_doctype = head.to_ascii_lowercase().contains("<!doctype html")
        && !root_name(body).is_some_and(|r| r.eq_ignore_ascii_case("html"));
    if !extra_declarations && !html_doctype {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = head;
    let mut first = true;
    while !rest.is_empty() {
        let lower_starts = |p: &str| {
            rest.get(..p.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(p))
        };
        if is_declaration(rest) {
            let end = rest.find("?>").map_or(rest.len(), |i| i + 2);
            if first {
                out.push_str(&rest[..end]);
            }
            rest = &rest[end..];
        } else if html_doctype && lower_starts("<!doctype html") {
            let end = doctype_end(rest).unwrap_or(rest.len());
            rest = &rest[end..];
        } else {
            let c = rest.chars().next().expect("not empty");
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
        first = false;
    }
    out.push_str(&body[root_at..]);
    out
}

/// `<?xml ` or `<?xml?>` (not `<?xml-stylesheet`).
fn is_declaration(s: &str) -> bool {
    s.strip_prefix("<?xml")
        .is_some_and(|r| r.starts_with(|c: char| c.is_whitespace() || c == '?'))
}

/// Where the root element's start tag begins (the text's length when there is none).
fn root_offset(body: &str) -> usize {
    match root_name(body) {
        Some(name) => {
            // Walk the prolog as root_name does, to where the root element starts.
            let mut rest = body;
            loop {
                let trimmed = rest.trim_start();
                let skip = if let Some(r) = trimmed.strip_prefix("<?") {
                    r.find("?>").map(|i| 2 + i + 2)
                } else if let Some(r) = trimmed.strip_prefix("<!--") {
                    r.find("-->").map(|i| 4 + i + 3)
                } else if trimmed.starts_with("<!") {
                    doctype_end(trimmed)
                } else {
                    let at = body.len() - trimmed.len();
                    return if trimmed[1..].starts_with(name) {
                        at
                    } else {
                        body.len()
                    };
                };
                match skip {
                    Some(n) => rest = &trimmed[n..],
                    None => return body.len(),
                }
            }
        }
        None => body.len(),
    }
}

/// `<rss version="2.0" xmlns="http://backend.userland.com/rss2">`: the default namespace removed
/// from the root tag (prefixed declarations stay).
fn rss_default_namespace(text: String) -> String {
    let Some(start) = text.find("<rss") else {
        return text;
    };
    let Some(len) = text[start..].find('>') else {
        return text;
    };
    let tag = &text[start..start + len];
    let Some(at) = find_attr(tag, "xmlns") else {
        return text;
    };
    let value_end = attr_value_end(tag, at).unwrap_or(tag.len());
    let from = tag[..at].trim_end().len();
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..start + from]);
    out.push_str(&text[start + value_end..]);
    out
}

/// The offset of attribute `name` (exactly, not a prefixed one) in a start tag.
fn find_attr(tag: &str, name: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = tag[from..].find(name) {
        let at = from + i;
        let before_ok = tag[..at].ends_with(char::is_whitespace);
        let after = tag[at + name.len()..].trim_start();
        if before_ok && after.starts_with('=') {
            return Some(at);
        }
        from = at + name.len();
    }
    None
}

/// The end of the attribute starting at `at` (after its closing quote).
fn attr_value_end(tag: &str, at: usize) -> Option<usize> {
    let eq = at + tag[at..].find('=')?;
    let after = &tag[eq + 1..];
    let skip = after.len() - after.trim_start().len();
    let q = after
        .trim_start()
        .chars()
        .next()
        .filter(|c| *c == '"' || *c == '\'')?;
    let open = eq + 1 + skip;
    Some(open + 1 + tag[open + 1..].find(q)? + 1)
}

/// An attribute's value from a start tag.
fn attr_value<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let at = find_attr(tag, name)?;
    let end = attr_value_end(tag, at)?;
    let eq = at + tag[at..].find('=')?;
    let v = tag[eq + 1..end].trim();
    Some(&v[1..v.len() - 1])
}

/// RSS 0.90/1.0 items: a `<link>` added from `rdf:about` where the item has none; each item
/// that will be read (it has a link now), with its `rdf:about`.
fn rdf_items(text: &str) -> (String, Vec<Option<String>>) {
    let m = masked(text);
    let mut out = String::with_capacity(text.len() + 256);
    let mut abouts = Vec::new();
    let mut pos = 0;
    while let Some(i) = find_start_tag(&m[pos..], "item").map(|i| pos + i) {
        let Some(tag_end) = m[i..].find('>').map(|g| i + g + 1) else {
            break;
        };
        let tag = &text[i..tag_end];
        let self_closing = tag.ends_with("/>");
        let body_end = if self_closing {
            tag_end
        } else {
            m[tag_end..]
                .find("</item>")
                .map_or(text.len(), |j| tag_end + j)
        };
        let about = attr_value(tag, "rdf:about")
            .or_else(|| attr_value(tag, "about"))
            .map(|a| unescape(a.trim()))
            .filter(|a| !a.is_empty());
        let has_link = link_text(&m[tag_end..body_end])
            .is_some_and(|(a, b)| !text[tag_end + a..tag_end + b].trim().is_empty());
        out.push_str(&text[pos..tag_end]);
        if !has_link
            && !self_closing
            && let Some(a) = &about
        {
            out.push_str("<link>");
            out.push_str(&escape(a));
            out.push_str("</link>");
        }
        if has_link || (about.is_some() && !self_closing) {
            abouts.push(about);
        }
        out.push_str(&text[tag_end..body_end]);
        pos = body_end;
    }
    out.push_str(&text[pos..]);
    (out, abouts)
}

/// Where the text of the first `<link>` child in an item's (masked) body is.
fn link_text(body: &str) -> Option<(usize, usize)> {
    let i = find_start_tag(body, "link")?;
    let open_end = i + body[i..].find('>')? + 1;
    let close = body[open_end..].find("</link>")?;
    Some((open_end, open_end + close))
}

/// `text` with the insides of comments and CDATA sections blanked (each byte a space, so every
/// offset stays the same): searches for markup run on it, and find none in text that is not
/// markup. Borrowed when the text has neither.
fn masked(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("<!--") && !text.contains("<![CDATA[") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut b = text.as_bytes().to_vec();
    let mut pos = 0;
    while let Some(i) = text[pos..].find("<!").map(|i| pos + i) {
        let (open, close) = if text[i..].starts_with("<!--") {
            ("<!--", "-->")
        } else if text[i..].starts_with("<![CDATA[") {
            ("<![CDATA[", "]]>")
        } else {
            pos = i + 2;
            continue;
        };
        let inner = i + open.len();
        let end = text[inner..].find(close).map_or(text.len(), |e| inner + e);
        b[inner..end].fill(b' ');
        pos = end;
    }
    // Only whole multi-byte characters were blanked (the delimiters are ASCII), so the bytes
    // are UTF-8.
    std::borrow::Cow::Owned(String::from_utf8(b).unwrap_or_else(|_| text.to_string()))
}

/// The first start tag `<name>` or `<name …>` (not `<name2`, not a prefixed `<x:name`).
fn find_start_tag(s: &str, name: &str) -> Option<usize> {
    let pat = format!("<{name}");
    let mut from = 0;
    while let Some(i) = s[from..].find(&pat) {
        let at = from + i;
        let next = s[at + pat.len()..].chars().next();
        if matches!(next, Some(c) if c == '>' || c == '/' || c.is_whitespace()) {
            return Some(at);
        }
        from = at + pat.len();
    }
    None
}

/// In RSS items without a `<title>`, `dc:title` (or whatever prefix names Dublin Core) read as
/// the title.
fn dc_titles(text: String) -> String {
    let Some(prefix) = prefix_of(&text, "http://purl.org/dc/elements/1.1/") else {
        return text;
    };
    let open = format!("<{prefix}:title");
    if !text.contains(&open) {
        return text;
    }
    let close = format!("</{prefix}:title>");
    let m = masked(&text);
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    while let Some(i) = find_start_tag(&m[pos..], "item").map(|i| pos + i) {
        let body_end = m[i..].find("</item>").map_or(text.len(), |j| i + j);
        let item = &m[i..body_end];
        out.push_str(&text[pos..i]);
        match (
            find_start_tag(item, "title"),
            item.find(&open),
            item.find(&close),
        ) {
            (None, Some(a), Some(b)) if a < b => {
                let t = &text[i..body_end];
                out.push_str(&t[..a]);
                out.push_str("<title");
                out.push_str(&t[a + open.len()..b]);
                out.push_str("</title>");
                out.push_str(&t[b + close.len()..]);
            }
            _ => out.push_str(&text[i..body_end]),
        }
        pos = body_end;
    }
    out.push_str(&text[pos..]);
    out
}

/// The prefix a namespace URI is declared with (`xmlns:dc="…"` → `dc`).
fn prefix_of<'a>(text: &'a str, uri: &str) -> Option<&'a str> {
    let at = text
        .find(&format!("\"{uri}\""))
        .or_else(|| text.find(&format!("'{uri}'")))?;
    let before = text[..at].trim_end().strip_suffix('=')?.trim_end();
    // XML whitespace only: ASCII, so the byte after it starts a character.
    let decl = &before[before.rfind([' ', '\t', '\r', '\n'])? + 1..];
    decl.strip_prefix("xmlns:").filter(|p| !p.is_empty())
}

/// Atom text constructs (`title`, `subtitle`, `summary`, `rights`) and `content`, made readable
/// by what their `type` says:
/// - text (or no type) holding child elements (`<title>Example <b>Atom</b></title>`): the tags
///   removed, the text kept (feed-rs would keep the first text node only);
/// - `html` holding unescaped markup (`Example <a href="…">test</a>`): wrapped in CDATA, so the
///   markup reaches the HTML-to-text step whole;
/// - a MIME type that is neither text nor XML (`application/octet-stream`): Atom says such
///   content is base64; decoded when it decodes to UTF-8 (then read as markup, like RSS text),
///   else read as text (feed-rs would refuse the whole feed over one such element).
///
/// `xhtml` is left to feed-rs.
fn atom_text_constructs(text: String) -> String {
    const NAMES: [&str; 5] = ["title", "subtitle", "summary", "rights", "content"];
    if !NAMES.iter().any(|n| text.contains(&format!("<{n}"))) {
        return text;
    }
    // Searches run on the masked text: a `<title>` inside a comment or CDATA is not markup.
    let m = masked(&text);
    let mut out = String::with_capacity(text.len());
    // The next start tag of each name at or after `pos` (each searched again only once passed,
    // so a name that never occurs costs one scan, not one per element); a name whose end tag
    // is missing is done with (no later one can be closed either).
    let mut next: [Option<usize>; 5] = NAMES.map(|n| find_start_tag(&m, n));
    let mut pos = 0;
    loop {
        for (k, n) in NAMES.iter().enumerate() {
            if next[k].is_some_and(|at| at < pos) {
                next[k] = find_start_tag(&m[pos..], n).map(|i| pos + i);
            }
        }
        let Some((i, k)) = (0..NAMES.len())
            .filter_map(|k| next[k].map(|at| (at, k)))
            .min()
        else {
            break;
        };
        let name = NAMES[k];
        let rest = &text[pos..];
        let mrest = &m[pos..];
        let i = i - pos;
        let Some(gt) = mrest[i..].find('>').map(|g| i + g) else {
            break;
        };
        let tag = &rest[i..=gt];
        let close = format!("</{name}>");
        let end = if tag.ends_with("/>") {
            None
        } else {
            let end = mrest[gt + 1..].find(&close).map(|e| gt + 1 + e);
            if end.is_none() {
                next[k] = None;
            }
            end
        };
        let Some(end) = end else {
            out.push_str(&rest[..=gt]);
            pos += gt + 1;
            continue;
        };
        let inner = &rest[gt + 1..end];
        let kind = attr_value(tag, "type")
            .unwrap_or("text")
            .trim()
            .to_ascii_lowercase();
        let naked = inner.contains('<') && !inner.contains("<![CDATA[");
        out.push_str(&rest[..i]);
        match kind.as_str() {
            "xhtml" | "application/xhtml+xml" => {
                out.push_str(&with_attr(tag, "type", "xhtml"));
                out.push_str(inner);
            }
            "html" | "text/html" => {
                out.push_str(&with_attr(tag, "type", "html"));
                if naked && !inner.contains("]]>") {
                    out.push_str("<![CDATA[");
                    out.push_str(inner);
                    out.push_str("]]>");
                } else {
                    out.push_str(inner);
                }
            }
            k if k == "text" || k.starts_with("text/") || k.contains("xml") => {
                // feed-rs reads `text`, `html` and `xhtml` only.
                if k == "text" {
                    out.push_str(tag);
                } else {
                    out.push_str(&with_attr(tag, "type", "text"));
                }
                out.push_str(&if naked {
                    strip_tags(inner)
                } else {
                    inner.to_string()
                });
            }
            _ => {
                let compact: String = inner.chars().filter(|c| !c.is_whitespace()).collect();
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(compact.as_bytes())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok());
                // Decoded content declares nothing about itself: read like RSS text, as
                // markup (`<p>Entry Title</p>` is `Entry Title`).
                match decoded {
                    Some(d) => {
                        out.push_str(&with_attr(tag, "type", "html"));
                        out.push_str(&escape(&d));
                    }
                    None => {
                        out.push_str(&with_attr(tag, "type", "text"));
                        out.push_str(&if naked {
                            strip_tags(inner)
                        } else {
                            inner.to_string()
                        });
                    }
                }
            }
        }
        pos += end;
    }
    out.push_str(&text[pos..]);
    out
}

/// A start tag with attribute `name` set to `value` (replaced, or added).
fn with_attr(tag: &str, name: &str, value: &str) -> String {
    match find_attr(tag, name).and_then(|at| Some((at, attr_value_end(tag, at)?))) {
        Some((at, end)) => format!("{}{name}=\"{value}\"{}", &tag[..at], &tag[end..]),
        None => {
            let body = tag.trim_end_matches('>').trim_end_matches('/');
            format!("{body} {name}=\"{value}\"{}", &tag[body.len()..])
        }
    }
}

/// Removes every tag (the text between tags stays, still escaped as it was).
fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        match rest[lt..].find('>') {
            Some(gt) => rest = &rest[lt + gt + 1..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Atom 0.3 elements with `mode="base64"`: the content decoded (and escaped as XML text), the
/// attribute removed. Content that does not decode stays as it was.
pub fn decode_base64_modes(text: String) -> String {
    if !text.contains("mode=\"base64\"") && !text.contains("mode='base64'") {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(m) = rest.find("mode=") {
        let Some(lt) = rest[..m].rfind('<') else {
            break;
        };
        let Some(gt) = rest[m..].find('>').map(|g| m + g) else {
            break;
        };
        let tag = &rest[lt..=gt];
        let name_end = tag[1..]
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .map_or(tag.len(), |e| e + 1);
        let name = &tag[1..name_end];
        let is_base64 = attr_value(tag, "mode") == Some("base64");
        let close = format!("</{name}>");
        let end = rest[gt + 1..].find(&close).map(|e| gt + 1 + e);
        match end {
            Some(end) if is_base64 && !tag.ends_with("/>") => {
                let encoded: String = rest[gt + 1..end]
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(encoded.as_bytes())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok());
                match decoded {
                    Some(d) => {
                        let at = find_attr(tag, "mode").unwrap_or(0);
                        let attr_end = attr_value_end(tag, at).unwrap_or(at);
                        out.push_str(&rest[..lt]);
                        out.push_str(&tag[..tag[..at].trim_end().len()]);
                        out.push_str(&tag[attr_end..]);
                        out.push_str(&escape(&d));
                        rest = &rest[end..];
                    }
                    None => {
                        out.push_str(&rest[..=gt]);
                        rest = &rest[gt + 1..];
                    }
                }
            }
            // No end tag here means none further on either: the rest stays as it is.
            None => break,
            _ => {
                out.push_str(&rest[..=gt]);
                rest = &rest[gt + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The text of every `<guid isPermaLink="false">`.
fn not_permalinks(text: &str) -> HashSet<String> {
    let m = masked(text);
    let mut out = HashSet::new();
    let mut pos = 0;
    while let Some(i) = find_start_tag(&m[pos..], "guid").map(|i| pos + i) {
        let Some(gt) = m[i..].find('>').map(|g| i + g) else {
            break;
        };
        let tag = &text[i..=gt];
        // No end tag here means none further on either: stop (one scan, not one per guid).
        let Some(end) = m[gt + 1..].find("</guid>").map(|e| gt + 1 + e) else {
            break;
        };
        if attr_value(tag, "isPermaLink").is_some_and(|v| v.trim().eq_ignore_ascii_case("false")) {
            let raw = text[gt + 1..end].trim();
            let raw = raw
                .strip_prefix("<![CDATA[")
                .and_then(|r| r.strip_suffix("]]>"))
                .unwrap_or(raw);
            out.insert(unescape(raw.trim()));
        }
        pos = end;
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn unescape(s: &str) -> String {
    if s.contains('&') {
        html_escape::decode_html_entities(s).into_owned()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_is_found_behind_the_prolog() {
        let cases = [
            ("<?xml version=\"1.0\"?><rss version=\"2.0\">", Some("rss")),
            ("\u{feff}<!-- c --><!DOCTYPE html><rss>", Some("rss")),
            (
                "<!DOCTYPE rss [<!ENTITY x \"y\">]>\n<rss version=\"0.91\">",
                Some("rss"),
            ),
            ("<rdf:RDF xmlns:rdf=\"…\">", Some("rdf:RDF")),
            ("<!DOCTYPE html><html><head>", Some("html")),
            ("plain text", None),
        ];
        for (text, want) in cases {
            assert_eq!(root_name(text), want, "{text}");
        }
    }

    #[test]
    fn extra_declarations_and_an_html_doctype_are_dropped() {
        let text = "\u{feff}<?xml version=\"1.0\"?>\n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0//EN\" \"x.dtd\"><rss version=\"2.0\"><channel><title>t <?xml?></title></channel></rss>";
        let out = prolog(text.to_string());
        assert_eq!(out.matches("<?xml version").count(), 1, "{out}");
        assert!(!out.contains("DOCTYPE"), "{out}");
        assert!(out.contains("<title>t <?xml?></title>"), "{out}");
        let plain = "<?xml version=\"1.0\"?><rss/>".to_string();
        assert_eq!(prolog(plain.clone()), plain);
    }

    #[test]
    fn the_default_namespace_of_rss_is_removed() {
        let out = rss_default_namespace(
            r#"<rss version="2.0" xmlns="http://backend.userland.com/rss2" xmlns:dc="x"><channel/></rss>"#
                .into(),
        );
        assert_eq!(out, r#"<rss version="2.0" xmlns:dc="x"><channel/></rss>"#);
    }

    #[test]
    fn rdf_about_becomes_the_link_of_an_item_without_one() {
        let (out, abouts) = rdf_items(
            r#"<item rdf:about="http://a.example/1"><title>a</title></item><item rdf:about="http://a.example/2"><link>http://a.example/x</link></item><item><title>none</title></item>"#,
        );
        assert!(out.contains("<title>a</title>"));
        assert!(
            out.contains(r#"<item rdf:about="http://a.example/1"><link>http://a.example/1</link>"#),
            "{out}"
        );
        assert_eq!(
            abouts,
            vec![
                Some("http://a.example/1".to_string()),
                Some("http://a.example/2".to_string())
            ]
        );
    }

    #[test]
    fn base64_content_is_decoded() {
        let out = decode_base64_modes(
            r#"<title mode="base64" type="text/plain">SGVsbG8gPGI+d29ybGQ8L2I+</title>"#.into(),
        );
        assert_eq!(
            out,
            r#"<title type="text/plain">Hello &lt;b&gt;world&lt;/b&gt;</title>"#
        );
    }

    #[test]
    fn atom_text_constructs_are_read_by_their_type() {
        let cases = [
            (
                r#"<title>Example <b>Atom</b></title>"#,
                r#"<title>Example Atom</title>"#,
            ),
            (
                r#"<title type="html">Example <a href="t.html">test</a></title>"#,
                r#"<title type="html"><![CDATA[Example <a href="t.html">test</a>]]></title>"#,
            ),
            (
                r#"<content type="application/octet-stream">RW50cnkgQ29udGVudA==</content>"#,
                r#"<content type="html">Entry Content</content>"#,
            ),
            (
                r#"<title type="application/x-custom">test</title>"#,
                r#"<title type="text">test</title>"#,
            ),
            (
                r#"<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><b>x</b></div></content>"#,
                r#"<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><b>x</b></div></content>"#,
            ),
            (
                r#"<content src="a.png" type="image/png"/>"#,
                r#"<content src="a.png" type="image/png"/>"#,
            ),
        ];
        for (input, want) in cases {
            assert_eq!(atom_text_constructs(input.to_string()), want, "{input}");
        }
    }

    #[test]
    fn markup_inside_comments_and_cdata_is_left_alone() {
        let atom = "<feed><!-- entries carry <title>, <summary type=\"html\"> --><entry>\
            <title>A <b>bold</b> move</title><summary type=\"html\"><![CDATA[<p>x</p> <title>]]></summary>\
            </entry></feed>";
        let out = atom_text_constructs(atom.to_string());
        assert!(
            out.starts_with("<feed><!-- entries carry <title>, <summary type=\"html\"> -->"),
            "{out}"
        );
        assert!(out.contains("<title>A bold move</title>"), "{out}");
        assert!(
            out.contains("<![CDATA[<p>x</p> <title>]]></summary>"),
            "{out}"
        );
        let (rss, abouts) = rdf_items(
            r#"<!-- <item rdf:about="http://x.example/c"> --><item rdf:about="http://a.example/1"><title><![CDATA[<link>no</link>]]></title></item>"#,
        );
        assert_eq!(abouts, vec![Some("http://a.example/1".to_string())]);
        assert!(
            rss.contains(r#"<item rdf:about="http://a.example/1"><link>http://a.example/1</link>"#),
            "{rss}"
        );
    }

    #[test]
    fn a_namespace_declared_after_non_ascii_whitespace_never_panics() {
        // U+00A0 and U+3000 are not XML whitespace: no prefix is found, and nothing panics.
        for ws in ["\u{a0}", "\u{3000}"] {
            let text = format!(
                "<rss version=\"2.0\"{ws}xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><item><dc:title>t</dc:title></item></channel></rss>"
            );
            let _ = dc_titles(text);
        }
    }

    #[test]
    fn guids_that_are_not_permalinks_are_recorded() {
        let set = not_permalinks(
            r#"<guid isPermaLink="false">http://a.example/1</guid><guid>http://a.example/2</guid><guid isPermaLink='FALSE'> <![CDATA[x&y]]> </guid>"#,
        );
        assert!(set.contains("http://a.example/1") && set.contains("x&y"));
        assert_eq!(set.len(), 2);
    }
}
