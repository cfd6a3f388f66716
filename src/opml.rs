//! OPML: the feed list in and out. [`render`] writes the configured feeds as OPML 2.0;
//! [`parse`] reads the feeds of an OPML file (1.0 or 2.0, outlines nested in categories);
//! [`plan_import`] decides which of them are new; [`add_feeds_to_config`] appends them to the
//! main config's text in place (comments and layout kept), and [`replace_config`] writes it back.
//! Everything but reading and replacing files is pure.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use url::Url;

/// A feed read from an OPML outline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpmlFeed {
    /// From the outline's `text`, else `title`, else the URL's host; one clean line.
    pub name: String,
    /// The `xmlUrl`, an http(s) URL as [`Url`] writes it.
    pub url: String,
    pub html_url: Option<String>,
    /// The outline's line in the file.
    pub line: usize,
}

/// A configured feed as [`render`] writes it.
#[derive(Debug, Clone, Copy)]
pub struct ExportFeed<'a> {
    pub name: &'a str,
    /// The feed's own title, when known (the outline's `title` falls back to `name`).
    pub title: Option<&'a str>,
    pub url: &'a str,
    /// The site the feed belongs to, when known.
    pub html_url: Option<&'a str>,
}

/// An outline whose `xmlUrl` cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadOutline {
    pub line: usize,
    pub col: usize,
    pub reason: String,
}

/// Why an OPML file could not be read, or the config not edited.
#[derive(Debug, thiserror::Error)]
pub enum OpmlError {
    #[error("{path}: cannot read OPML file: {source}", path = .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not UTF-8 text (at byte {at}) and no known encoding is declared", path = .path.display())]
    Encoding { path: PathBuf, at: usize },
    #[error("{path}:{line}:{col}: not XML: {message}", path = .path.display())]
    Xml {
        path: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
    #[error("{path}:{line}:{col}: the file has a DOCTYPE declaration; OPML needs none and it is not accepted (it can define entities): remove the <!DOCTYPE …> line", path = .path.display())]
    Doctype {
        path: PathBuf,
        line: usize,
        col: usize,
    },
    #[error("{path}:{line}:{col}: not an OPML file: the root element is <{root}>, expected <opml>", path = .path.display())]
    NotOpml {
        path: PathBuf,
        line: usize,
        col: usize,
        root: String,
    },
    #[error("{path}:{line}:{col}: no <body> in <opml>", path = .path.display())]
    NoBody {
        path: PathBuf,
        line: usize,
        col: usize,
    },
    #[error("no feeds (outlines with xmlUrl) in {path}", path = .path.display())]
    NoFeeds { path: PathBuf },
    #[error("{path}: {count} bad {outlines}, nothing imported: {list}",
        path = .path.display(),
        count = .problems.len(),
        outlines = if .problems.len() == 1 { "outline" } else { "outlines" },
        list = bad_list(.path, .problems))]
    BadOutlines {
        path: PathBuf,
        problems: Vec<BadOutline>,
    },
    #[error("cannot edit the config: {0}")]
    Config(String),
    #[error("{path}: cannot write config file: {source}", path = .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: the config with the imported feeds would not load, so the file is unchanged: {message}", path = .path.display())]
    Check { path: PathBuf, message: String },
}

fn bad_list(path: &Path, problems: &[BadOutline]) -> String {
    problems
        .iter()
        .map(|p| format!("{}:{}:{}: {}", path.display(), p.line, p.col, p.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Renders an OPML 2.0 document of `feeds`.
pub fn render(feeds: &[ExportFeed], created: DateTime<Utc>) -> String {
    let mut x = String::with_capacity(256 + feeds.len() * 160);
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str("<opml version=\"2.0\">\n");
    x.push_str("  <head>\n");
    x.push_str("    <title>aggregator feeds</title>\n");
    x.push_str(&format!(
        "    <dateCreated>{}</dateCreated>\n",
        created.to_rfc2822()
    ));
    x.push_str("  </head>\n");
    x.push_str("  <body>\n");
    for f in feeds {
        let title = f.title.filter(|t| !t.trim().is_empty()).unwrap_or(f.name);
        x.push_str(&format!(
            "    <outline type=\"rss\" text=\"{}\" title=\"{}\" xmlUrl=\"{}\"",
            attr(f.name),
            attr(title),
            attr(f.url)
        ));
        if let Some(h) = f.html_url.filter(|h| !h.is_empty()) {
            x.push_str(&format!(" htmlUrl=\"{}\"", attr(h)));
        }
        x.push_str("/>\n");
    }
    x.push_str("  </body>\n");
    x.push_str("</opml>\n");
    x
}

/// An attribute value: characters XML 1.0 forbids dropped, line breaks and tabs kept as
/// character references (a parser would turn them into spaces), markup escaped.
fn attr(s: &str) -> String {
    let text: String = s
        .chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
        })
        .collect();
    html_escape::encode_double_quoted_attribute(&text)
        .replace('\t', "&#9;")
        .replace('\n', "&#10;")
        .replace('\r', "&#13;")
}

/// Reads an OPML file: its bytes as text ([`decode`]), then its feeds ([`parse`]).
pub fn read_file(path: &Path) -> Result<Vec<OpmlFeed>, OpmlError> {
    let bytes = std::fs::read(path).map_err(|source| OpmlError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &decode(path, &bytes)?)
}

/// The file's text: UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark,
/// or the encoding its XML declaration names (older readers write ISO-8859-1 or EUC-KR).
pub fn decode(path: &Path, bytes: &[u8]) -> Result<String, OpmlError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let utf8_error = match std::str::from_utf8(bytes) {
        Ok(s) => return Ok(s.to_string()),
        Err(e) => e,
    };
    let encoding = encoding_rs::Encoding::for_bom(bytes)
        .map(|(e, _)| e)
        .or_else(|| declared_encoding(bytes).and_then(encoding_rs::Encoding::for_label));
    match encoding {
        Some(e) => {
            let (text, _, had_errors) = e.decode(bytes);
            if had_errors {
                return Err(OpmlError::Encoding {
                    path: path.to_path_buf(),
                    at: utf8_error.valid_up_to(),
                });
            }
            Ok(text.into_owned())
        }
        None => Err(OpmlError::Encoding {
            path: path.to_path_buf(),
            at: utf8_error.valid_up_to(),
        }),
    }
}

/// The `encoding="…"` label of an XML declaration at the start of `bytes`.
fn declared_encoding(bytes: &[u8]) -> Option<&[u8]> {
    let head = &bytes[..bytes.len().min(256)];
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = &head[..end];
    let at = decl.windows(8).position(|w| w == b"encoding")?;
    let rest = &decl[at + 8..];
    let quote_at = rest.iter().position(|&b| b == b'"' || b == b'\'')?;
    let quote = rest[quote_at];
    let value = &rest[quote_at + 1..];
    let len = value.iter().position(|&b| b == quote)?;
    Some(&value[..len])
}

/// The feeds of an OPML document: every `<outline>` with an `xmlUrl`, at any depth under
/// `<body>`, in document order. Any outline whose `xmlUrl` is not an http(s) URL fails the whole
/// file, each one listed with its line, so nothing is half-imported.
pub fn parse(path_for_messages: &Path, text: &str) -> Result<Vec<OpmlFeed>, OpmlError> {
    let path = path_for_messages.to_path_buf();
    let doc = match roxmltree::Document::parse(text) {
        Ok(doc) => doc,
        Err(roxmltree::Error::DtdDetected) => {
            let offset = text.find("<!DOCTYPE").unwrap_or(0);
            let (line, col) = line_col(text, offset);
            return Err(OpmlError::Doctype { path, line, col });
        }
        Err(e) => {
            let pos = e.pos();
            // roxmltree ends its messages with " at LINE:COL", which the error already leads with.
            let message = e.to_string();
            let message = message
                .strip_suffix(&format!(" at {pos}"))
                .unwrap_or(&message)
                .to_string();
            return Err(OpmlError::Xml {
                path,
                line: pos.row as usize,
                col: pos.col as usize,
                message,
            });
        }
    };
    let at = |node: roxmltree::Node| {
        let p = doc.text_pos_at(node.range().start);
        (p.row as usize, p.col as usize)
    };
    let root = doc.root_element();
    if root.tag_name().name() != "opml" {
        let (line, col) = at(root);
        return Err(OpmlError::NotOpml {
            path,
            line,
            col,
            root: root.tag_name().name().to_string(),
        });
    }
    let Some(body) = root
        .children()
        .find(|n| n.is_element() && n.tag_name().name() == "body")
    else {
        let (line, col) = at(root);
        return Err(OpmlError::NoBody { path, line, col });
    };

    let mut feeds = Vec::new();
    let mut problems = Vec::new();
    for node in body
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "outline")
    {
        let Some(raw_url) = attribute(node, "xmlUrl") else {
            // A category or a plain link has no xmlUrl; an outline that says it is a feed
            // must have one.
            if let Some(kind @ ("rss" | "atom")) = attribute(node, "type").map(str::trim) {
                let (line, col) = at(node);
                let label = attribute(node, "text").or_else(|| attribute(node, "title"));
                problems.push(BadOutline {
                    line,
                    col,
                    reason: match label {
                        Some(l) => format!(
                            "outline {:?}: type=\"{kind}\" but no xmlUrl (the feed's address)",
                            crate::text::clean_line(l)
                        ),
                        None => {
                            format!("outline: type=\"{kind}\" but no xmlUrl (the feed's address)")
                        }
                    },
                });
            }
            continue;
        };
        let (line, col) = at(node);
        let label = attribute(node, "text")
            .or_else(|| attribute(node, "title"))
            .map(crate::text::clean_line)
            .filter(|l| !l.is_empty());
        match feed_url(raw_url) {
            Ok(url) => {
                let name = label
                    .or_else(|| url.host_str().map(str::to_string))
                    .unwrap_or_else(|| url.to_string());
                let html_url = attribute(node, "htmlUrl")
                    .map(str::trim)
                    .filter(|h| !h.is_empty())
                    .map(str::to_string);
                feeds.push(OpmlFeed {
                    name,
                    url: url.to_string(),
                    html_url,
                    line,
                });
            }
            Err(reason) => problems.push(BadOutline {
                line,
                col,
                reason: match label {
                    Some(l) => format!("outline {l:?}: {reason}"),
                    None => format!("outline: {reason}"),
                },
            }),
        }
    }
    if !problems.is_empty() {
        return Err(OpmlError::BadOutlines { path, problems });
    }
    if feeds.is_empty() {
        return Err(OpmlError::NoFeeds { path });
    }
    Ok(feeds)
}

/// An attribute by name, ignoring ASCII case (`xmlurl` is a common misspelling in the wild).
fn attribute<'a>(node: roxmltree::Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.attributes()
        .find(|a| a.name().eq_ignore_ascii_case(name))
        .map(|a| a.value())
}

/// An imported feed's URL: http(s) with a host. Local files are not taken from an OPML file (it
/// may come from anywhere, and its paths would name files on this machine); they are added to the
/// config by hand.
fn feed_url(raw: &str) -> Result<Url, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("xmlUrl is empty".into());
    }
    let shown = crate::text::clean_line(raw);
    let url = Url::parse(raw).map_err(|e| format!("xmlUrl {shown:?} is not a valid URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("xmlUrl {shown:?} is not an http(s) URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("xmlUrl {shown:?} has no host"));
    }
    Ok(url)
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// What an import does with one outline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The name it is added under (made unique), or the outline's name when skipped.
    pub name: String,
    pub url: String,
    /// Why it is not added; `None` when it is.
    pub skipped: Option<String>,
}

/// Decides, in document order, which feeds are new. A feed is already present when its URL
/// equals a configured feed's URL (ignoring a trailing slash), or an earlier outline's. A new
/// feed whose name is taken (ignoring case) gets `-2`, `-3`… appended.
pub fn plan_import(feeds: &[OpmlFeed], configured: &[(&str, &Url)]) -> Vec<Outcome> {
    let mut names: Vec<String> = configured.iter().map(|(n, _)| n.to_lowercase()).collect();
    let mut seen: Vec<(String, usize)> = Vec::new();
    let mut out = Vec::with_capacity(feeds.len());
    for f in feeds {
        let key = url_key_str(&f.url);
        let skipped = if let Some((name, _)) = configured.iter().find(|(_, u)| url_key(u) == key) {
            Some(format!("already configured as {name}"))
        } else {
            seen.iter()
                .find(|(k, _)| *k == key)
                .map(|(_, line)| format!("listed twice, first on line {line}"))
        };
        if skipped.is_some() {
            out.push(Outcome {
                name: f.name.clone(),
                url: f.url.clone(),
                skipped,
            });
            continue;
        }
        seen.push((key, f.line));
        let mut name = f.name.clone();
        let mut n = 2;
        while names.contains(&name.to_lowercase()) {
            name = format!("{}-{n}", f.name);
            n += 1;
        }
        names.push(name.to_lowercase());
        out.push(Outcome {
            name,
            url: f.url.clone(),
            skipped: None,
        });
    }
    out
}

fn url_key(u: &Url) -> String {
    let s = u.as_str();
    s.strip_suffix('/').unwrap_or(s).to_string()
}

fn url_key_str(s: &str) -> String {
    match Url::parse(s) {
        Ok(u) => url_key(&u),
        Err(_) => s.strip_suffix('/').unwrap_or(s).to_string(),
    }
}

/// The config text with a `[[feed]]` table (`name`, `url`) appended per feed, after the last
/// one; everything else stays byte for byte. A config that lists its feeds as an inline array
/// (`feed = [{ … }]`) gets inline tables appended to it instead.
pub fn add_feeds_to_config(
    config_text: &str,
    feeds: &[(String, String)],
) -> Result<String, OpmlError> {
    let mut doc: toml_edit::DocumentMut = config_text
        .parse()
        .map_err(|e: toml_edit::TomlError| OpmlError::Config(e.to_string().trim().to_string()))?;
    let entry = doc
        .as_table_mut()
        .entry("feed")
        .or_insert_with(|| toml_edit::Item::ArrayOfTables(toml_edit::ArrayOfTables::new()));
    match entry {
        toml_edit::Item::ArrayOfTables(tables) => {
            for (name, url) in feeds {
                let mut t = toml_edit::Table::new();
                t.insert("name", toml_edit::value(name.as_str()));
                t.insert("url", toml_edit::value(url.as_str()));
                tables.push(t);
            }
        }
        toml_edit::Item::Value(toml_edit::Value::Array(array)) => {
            for (name, url) in feeds {
                let mut t = toml_edit::InlineTable::new();
                t.insert("name", name.as_str().into());
                t.insert("url", url.as_str().into());
                array.push(t);
            }
        }
        _ => {
            return Err(OpmlError::Config(
                "`feed` is neither [[feed]] tables nor an array".into(),
            ));
        }
    }
    Ok(doc.to_string())
}

/// Replaces the config file at `path` with `text`, atomically (a temporary file beside it,
/// renamed over it) and keeping its permissions; a symlink is followed, not replaced. The new
/// text must load as a config first (checked on the temporary file, whose directory is the
/// config's, so relative paths resolve alike); otherwise the file is left as it was.
pub fn replace_config(path: &Path, text: &str) -> Result<(), OpmlError> {
    let write_err = |source| OpmlError::Write {
        path: path.to_path_buf(),
        source,
    };
    let real = std::fs::canonicalize(path).map_err(write_err)?;
    let permissions = std::fs::metadata(&real).map_err(write_err)?.permissions();
    let dir = real.parent().unwrap_or(Path::new("."));
    let name = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.import-{}", std::process::id()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.set_permissions(permissions)?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(write_err(e));
    }
    // The feed list must stay valid; sink secrets (not in this shell's environment, perhaps) and
    // the watchlist file are not this edit's business.
    if let Err(e) = crate::watch::load_for_reports(&tmp) {
        let _ = std::fs::remove_file(&tmp);
        let message = e
            .to_string()
            .replace(&tmp.display().to_string(), &path.display().to_string());
        return Err(OpmlError::Check {
            path: path.to_path_buf(),
            message,
        });
    }
    std::fs::rename(&tmp, &real).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        write_err(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feed_outline_without_an_address_is_named_with_its_line() {
        let text = "<opml version=\"2.0\"><body>\n<outline text=\"News\">\n<outline type=\"rss\" text=\"Yonhap\"/>\n<outline type=\"rss\" text=\"ok\" xmlUrl=\"https://ok.example/rss\"/>\n</outline></body></opml>";
        let e = parse(Path::new("f.opml"), text).unwrap_err().to_string();
        assert!(e.contains("f.opml:3:1") && e.contains("no xmlUrl"), "{e}");
    }

    fn p() -> &'static Path {
        Path::new("feeds.opml")
    }

    fn opml(body: &str) -> String {
        format!(
            "<?xml version=\"1.0\"?>\n<opml version=\"1.0\">\n<head><title>x</title></head>\n<body>\n{body}</body>\n</opml>\n"
        )
    }

    #[test]
    fn nested_outlines_in_document_order() {
        let text = opml(
            "<outline text=\"News\">\n  <outline text=\"Wires\">\n    <outline type=\"rss\" text=\"Yonhap\" xmlUrl=\"https://en.yna.co.kr/RSS/news.xml\" htmlUrl=\"https://en.yna.co.kr/\"/>\n  </outline>\n  <outline type=\"atom\" title=\"Only title\" xmlUrl=\"http://b.example/atom\"/>\n</outline>\n<outline xmlUrl=\"https://c.example/feed\"/>\n<outline text=\"a link\" url=\"https://d.example/\"/>\n",
        );
        let feeds = parse(p(), &text).unwrap();
        assert_eq!(
            feeds,
            vec![
                OpmlFeed {
                    name: "Yonhap".into(),
                    url: "https://en.yna.co.kr/RSS/news.xml".into(),
                    html_url: Some("https://en.yna.co.kr/".into()),
                    line: 7,
                },
                OpmlFeed {
                    name: "Only title".into(),
                    url: "http://b.example/atom".into(),
                    html_url: None,
                    line: 9,
                },
                OpmlFeed {
                    name: "c.example".into(),
                    url: "https://c.example/feed".into(),
                    html_url: None,
                    line: 11,
                },
            ]
        );
    }

    #[test]
    fn entities_korean_and_control_characters_in_names() {
        let text = opml(
            "<outline text=\"  R&amp;D &lt;news&gt; &#34;wire&#34;\tdesk\n\" xmlUrl=\"https://a.example/?a=1&amp;b=2\"/>\n<outline text=\"연합뉴스\u{202E} 북한\u{85}\" xmlUrl=\"https://k.example/rss\"/>\n",
        );
        let feeds = parse(p(), &text).unwrap();
        assert_eq!(feeds[0].name, "R&D <news> \"wire\" desk");
        assert_eq!(feeds[0].url, "https://a.example/?a=1&b=2");
        assert_eq!(feeds[1].name, "연합뉴스 북한");
    }

    #[test]
    fn not_xml_not_opml_no_body() {
        let e = parse(p(), "<opml>\n  <body>\n</opml>\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("feeds.opml:3:1: not XML: expected 'body' tag, not 'opml'"),
            "{e}"
        );
        assert!(!e.to_string().ends_with("3:1"), "{e}");
        let e = parse(p(), "this is not xml").unwrap_err();
        assert!(e.to_string().starts_with("feeds.opml:1:1: not XML"), "{e}");
        let e = parse(p(), "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"/>").unwrap_err();
        assert_eq!(
            e.to_string(),
            "feeds.opml:2:1: not an OPML file: the root element is <rss>, expected <opml>"
        );
        let e = parse(p(), "<opml>\n <head/>\n</opml>").unwrap_err();
        assert_eq!(e.to_string(), "feeds.opml:1:1: no <body> in <opml>");
        let e = parse(p(), &opml("<outline text=\"just a folder\"/>\n")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "no feeds (outlines with xmlUrl) in feeds.opml"
        );
    }

    #[test]
    fn doctype_is_reported_with_its_line() {
        let text =
            "<?xml version=\"1.0\"?>\n<!DOCTYPE opml [<!ENTITY x \"y\">]>\n<opml><body/></opml>";
        let e = parse(p(), text).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("feeds.opml:2:1: the file has a DOCTYPE declaration"),
            "{e}"
        );
    }

    #[test]
    fn every_bad_outline_is_listed() {
        let text = opml(
            "<outline text=\"ok\" xmlUrl=\"https://a.example/\"/>\n<outline text=\"empty\" xmlUrl=\" \"/>\n  <outline text=\"ftp\" xmlUrl=\"ftp://b.example/x\"/>\n<outline xmlUrl=\"file:///etc/passwd\"/>\n<outline text=\"rel\" xmlUrl=\"feed.xml\"/>\n",
        );
        let e = parse(p(), &text).unwrap_err();
        let OpmlError::BadOutlines { problems, .. } = &e else {
            panic!("{e}")
        };
        let at: Vec<_> = problems.iter().map(|b| (b.line, b.col)).collect();
        assert_eq!(at, vec![(6, 1), (7, 3), (8, 1), (9, 1)]);
        let msg = e.to_string();
        assert!(
            msg.starts_with("feeds.opml: 4 bad outlines, nothing imported: feeds.opml:6:1: outline \"empty\": xmlUrl is empty; feeds.opml:7:3: outline \"ftp\": xmlUrl \"ftp://b.example/x\" is not an http(s) URL;"),
            "{msg}"
        );
        assert!(
            msg.contains("feeds.opml:9:1: outline \"rel\": xmlUrl \"feed.xml\" is not a valid URL"),
            "{msg}"
        );
    }

    #[test]
    fn decodes_declared_encodings_and_boms() {
        let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><opml><body><outline text=\"Caf\xe9\" xmlUrl=\"http://a.example/\"/></body></opml>";
        let text = decode(p(), latin1).unwrap();
        assert_eq!(parse(p(), &text).unwrap()[0].name, "Café");
        let bom = b"\xEF\xBB\xBF<opml/>";
        assert_eq!(decode(p(), bom).unwrap(), "<opml/>");
        let e = decode(p(), b"<opml>\xff</opml>").unwrap_err();
        assert!(e.to_string().contains("not UTF-8 text (at byte 6)"), "{e}");
    }

    #[test]
    fn render_escapes_and_parses_back() {
        let created = DateTime::from_timestamp(1_711_414_800, 0).unwrap();
        let xml = render(
            &[
                ExportFeed {
                    name: "r&d",
                    title: Some("R&D \"news\" <wire>"),
                    url: "https://a.example/?a=1&b=2",
                    html_url: Some("https://a.example/"),
                },
                ExportFeed {
                    name: "연합뉴스",
                    title: None,
                    url: "file:///srv/feeds/k.xml",
                    html_url: None,
                },
            ],
            created,
        );
        assert!(xml.contains("<dateCreated>Tue, 26 Mar 2024 01:00:00 +0000</dateCreated>"));
        assert!(xml.contains(
            "<outline type=\"rss\" text=\"r&amp;d\" title=\"R&amp;D &quot;news&quot; &lt;wire&gt;\" xmlUrl=\"https://a.example/?a=1&amp;b=2\" htmlUrl=\"https://a.example/\"/>"
        ), "{xml}");
        assert!(xml.contains("<outline type=\"rss\" text=\"연합뉴스\" title=\"연합뉴스\" xmlUrl=\"file:///srv/feeds/k.xml\"/>"), "{xml}");
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let outline = doc
            .descendants()
            .find(|n| n.has_tag_name("outline"))
            .unwrap();
        assert_eq!(outline.attribute("title"), Some("R&D \"news\" <wire>"));
        assert_eq!(attr("a\u{1}b\nc"), "ab&#10;c");
    }

    fn feed(name: &str, url: &str, line: usize) -> OpmlFeed {
        OpmlFeed {
            name: name.into(),
            url: url.into(),
            html_url: None,
            line,
        }
    }

    #[test]
    fn plan_skips_present_and_repeated_urls_and_makes_names_unique() {
        let a = Url::parse("https://a.example/rss").unwrap();
        let configured = [("yonhap", &a)];
        let plan = plan_import(
            &[
                feed("A again", "https://a.example/rss/", 3),
                feed("Yonhap", "https://b.example/", 4),
                feed("yonhap", "https://c.example/", 5),
                feed("B twice", "https://b.example", 6),
            ],
            &configured,
        );
        let got: Vec<_> = plan
            .iter()
            .map(|o| (o.name.as_str(), o.skipped.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("A again", Some("already configured as yonhap")),
                ("Yonhap-2", None),
                ("yonhap-3", None),
                ("B twice", Some("listed twice, first on line 4")),
            ]
        );
    }

    const CONFIG: &str = "# aggregator config\ndatabase = \"agg.db\"   # keep\n\n[defaults]\ninterval   =  \"5m\"\n\n# the wires\n[[feed]]\nname = \"a\"   # first\nurl = \"https://a.example/\"\n\n[[feed]]\nname = 'b'\nurl = \"https://b.example/\"\n\n# stories come last\n[stories]\nwindow = \"48h\"\n";

    #[test]
    fn appends_after_the_last_feed_keeping_everything_else() {
        let out = add_feeds_to_config(
            CONFIG,
            &[
                ("연합뉴스".into(), "https://k.example/rss".into()),
                ("q\"uote".into(), "https://q.example/".into()),
            ],
        )
        .unwrap();
        let (head, tail) = CONFIG.split_at(CONFIG.find("\n# stories").unwrap());
        let expected = format!(
            "{head}\n[[feed]]\nname = \"연합뉴스\"\nurl = \"https://k.example/rss\"\n\n[[feed]]\nname = 'q\"uote'\nurl = \"https://q.example/\"\n{tail}"
        );
        assert_eq!(out, expected);
        let parsed: toml::Table = toml::from_str(&out).unwrap();
        assert_eq!(parsed["feed"][3]["name"].as_str(), Some("q\"uote"));
    }

    #[test]
    fn config_without_feeds_or_newline_at_end() {
        let out = add_feeds_to_config(
            "# nothing yet\ndatabase = \"x.db\"",
            &[("a".into(), "https://a.example/".into())],
        )
        .unwrap();
        assert_eq!(
            out,
            "# nothing yet\ndatabase = \"x.db\"\n\n[[feed]]\nname = \"a\"\nurl = \"https://a.example/\"\n"
        );
        let out = add_feeds_to_config(
            "feed = [ { name = \"a\", url = \"https://a.example/\" } ] # inline\n",
            &[("b".into(), "https://b.example/".into())],
        )
        .unwrap();
        let parsed: toml::Table = toml::from_str(&out).unwrap();
        assert_eq!(parsed["feed"][1]["name"].as_str(), Some("b"));
        assert!(out.ends_with("# inline\n"), "{out}");
        let e = add_feeds_to_config("feed = \"x\"\n", &[("b".into(), "u".into())]).unwrap_err();
        assert!(e.to_string().contains("`feed` is neither"), "{e}");
    }

    #[test]
    fn replace_keeps_permissions_and_refuses_a_config_that_would_not_load() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("aggregator.toml");
        std::fs::write(&path, CONFIG).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let edited =
            add_feeds_to_config(CONFIG, &[("c".into(), "https://c.example/".into())]).unwrap();
        replace_config(&path, &edited).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), edited);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let broken =
            add_feeds_to_config(&edited, &[("c".into(), "https://d.example/".into())]).unwrap();
        let e = replace_config(&path, &broken).unwrap_err().to_string();
        assert!(e.contains("duplicate feed name \"c\""), "{e}");
        assert!(
            !e.contains(".import-"),
            "names the config, not the temporary file: {e}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), edited);
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);

        // A symlinked config stays a symlink; its target is what changes.
        #[cfg(unix)]
        {
            let link = d.path().join("link.toml");
            std::os::unix::fs::symlink(&path, &link).unwrap();
            replace_config(&link, CONFIG).unwrap();
            assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
            assert_eq!(std::fs::read_to_string(&path).unwrap(), CONFIG);
        }
    }
}
