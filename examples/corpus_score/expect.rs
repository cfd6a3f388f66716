//! Other parsers' expectations read into one shape: per item, the values of the fields we store
//! as the suite wrote them, before any normalisation (that is `norm.rs`'s job).
//!
//! Which file holds the expectation of an input `X.ext`:
//! - gofeed: `X.json` next to `X.xml` (its RSS model, its Atom model, or — under `translator/`
//!   and `extensions/` — its universal model), and `X_expected.json` next to an input `X.json`
//!   (the universal model under `translator/json`, gofeed's JSON Feed model under `parser/json`);
//! - feed-rs: `X.serde.json` next to `X.xml` or `X.json`, in feed-rs's own model.
//!
//! The shape is told by the keys: `feed_type` is feed-rs, `feedType` gofeed's universal model,
//! `entries` gofeed's Atom model; an `X_expected.json` without `feedType` is gofeed's JSON Feed
//! model, anything else with `items` gofeed's RSS model.

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

/// Whose model an expectation is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    /// gofeed's `rss.Feed`: `items[]` with `title`, `link`, `guid{value,isPermalink}`, `author`
    /// (the raw element text), `pubDate`/`pubDateParsed`; no updated date.
    GofeedRss,
    /// gofeed's `atom.Feed`: `entries[]` with `title`, `links[]{href,rel}`, `id`,
    /// `authors[]{name,email}`, `published(Parsed)`, `updated(Parsed)`.
    GofeedAtom,
    /// gofeed's universal `gofeed.Feed` (what its translators make of any format): `items[]` with
    /// `title`, `link`, `guid`, `authors[]`/`author`, `published(Parsed)`, `updated(Parsed)`.
    GofeedUniversal,
    /// gofeed's `json.Feed`: JSON Feed field names (`url`, `id`, `date_published`, …).
    GofeedJson,
    /// feed-rs's `model::Feed` (as serialised by an older feed-rs): `entries[]` with
    /// `title.content`, `links[]{href,rel}`, `id`, `authors[]{name,email}`, `published`,
    /// `updated`.
    FeedRs,
}

/// An expectation, mapped onto our fields but not normalised.
#[derive(Debug)]
pub struct Expected {
    pub suite: Suite,
    /// The source is RSS (0.9x, 1.0, 2.0): its guids are permalinks unless they say otherwise.
    pub rss: bool,
    /// The feed's own site link as the suite has it, to resolve relative item links against
    /// (what the parser does when it has no feed URL).
    pub site_link: Option<String>,
    pub items: Vec<ExpItem>,
}

#[derive(Debug, Default)]
pub struct ExpItem {
    pub title: Option<String>,
    /// The item's summary (or content): our title falls back to it.
    pub summary: Option<String>,
    /// The article link the suite would give, chosen among several as our parser chooses.
    pub link: Option<String>,
    pub guid: Option<String>,
    /// False only when the guid says `isPermaLink="false"` (gofeed's RSS model alone records it).
    pub guid_is_permalink: bool,
    pub authors: Vec<Person>,
    pub published: ExpDate,
    pub updated: ExpDate,
}

#[derive(Debug, Default, Clone)]
pub struct Person {
    /// The name, or for gofeed's RSS model the raw element text (`a@b.c (Name)`).
    pub name: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Default, Clone)]
pub enum ExpDate {
    #[default]
    Absent,
    At(DateTime<FixedOffset>),
    /// The source has a date the suite's own parser could not read.
    Unread(String),
}

/// The expectation file for `input`, if the suites have one.
pub fn expectation_path(input: &Path) -> Option<PathBuf> {
    let name = input.file_name()?.to_str()?;
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let is_json = name.ends_with(".json");
    let mut candidates = Vec::new();
    if is_json {
        candidates.push(format!("{stem}_expected.json"));
    } else {
        candidates.push(format!("{stem}.json"));
    }
    candidates.push(format!("{stem}.serde.json"));
    candidates
        .into_iter()
        .map(|c| input.with_file_name(c))
        .find(|p| p.is_file())
}

/// Reads the expectation at `path` for the input `source` (its bytes tell RSS from the rest when
/// the model does not).
pub fn load(path: &Path, source: &[u8]) -> Result<Expected, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("invalid JSON: {e}"))?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let source_is_rss = {
        let head = String::from_utf8_lossy(&source[..source.len().min(4096)]);
        head.contains("<rss") || head.contains("<rdf:RDF") || head.contains(":RDF")
    };
    let (suite, rss) = if let Some(t) = obj.get("feed_type") {
        (
            Suite::FeedRs,
            t.as_str().is_some_and(|t| t.starts_with("RSS")),
        )
    } else if let Some(t) = obj.get("feedType") {
        (
            Suite::GofeedUniversal,
            t.as_str() == Some("rss") || source_is_rss,
        )
    } else if obj.contains_key("entries") {
        (Suite::GofeedAtom, false)
    } else if name.ends_with("_expected.json") {
        (Suite::GofeedJson, false)
    } else if obj.contains_key("items") {
        (Suite::GofeedRss, true)
    } else {
        return Err("unknown expectation shape".into());
    };
    let items_key = match suite {
        Suite::GofeedAtom | Suite::FeedRs => "entries",
        _ => "items",
    };
    let items = v
        .get(items_key)
        .and_then(Value::as_array)
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|i| item(suite, i))
        .collect();
    let site_link = match suite {
        Suite::GofeedRss | Suite::GofeedUniversal => string(&v, "link"),
        Suite::GofeedJson => string(&v, "home_page_url"),
        Suite::GofeedAtom | Suite::FeedRs => pick_link(v.get("links")),
    };
    Ok(Expected {
        suite,
        rss,
        site_link,
        items,
    })
}

fn item(suite: Suite, v: &Value) -> ExpItem {
    let mut it = ExpItem {
        guid_is_permalink: true,
        ..Default::default()
    };
    match suite {
        Suite::GofeedRss => {
            it.title = string(v, "title");
            it.summary = string(v, "description").or_else(|| string(v, "content"));
            it.link = string(v, "link");
            if let Some(g) = v.get("guid") {
                it.guid = string(g, "value");
                it.guid_is_permalink =
                    g.get("isPermalink").and_then(Value::as_str) != Some("false");
            }
            if let Some(a) = string(v, "author") {
                it.authors.push(Person {
                    name: Some(a),
                    email: None,
                });
            }
            it.published = gofeed_date(v, "pubDate");
        }
        Suite::GofeedAtom => {
            it.title = string(v, "title");
            it.summary =
                string(v, "summary").or_else(|| v.get("content").and_then(|c| string(c, "value")));
            it.link = pick_link(v.get("links"));
            it.guid = string(v, "id");
            it.authors = persons(v.get("authors"));
            it.published = gofeed_date(v, "published");
            it.updated = gofeed_date(v, "updated");
        }
        Suite::GofeedUniversal => {
            it.title = string(v, "title");
            it.summary = string(v, "description").or_else(|| string(v, "content"));
            it.link = string(v, "link");
            it.guid = string(v, "guid");
            it.authors = persons(v.get("authors"));
            if it.authors.is_empty() {
                it.authors = persons(
                    v.get("author")
                        .map(|a| Value::Array(vec![a.clone()]))
                        .as_ref(),
                );
            }
            it.published = gofeed_date(v, "published");
            it.updated = gofeed_date(v, "updated");
        }
        Suite::GofeedJson => {
            it.title = string(v, "title");
            it.summary = string(v, "summary")
                .or_else(|| string(v, "content_html"))
                .or_else(|| string(v, "content_text"));
            it.link = string(v, "url");
            it.guid = string(v, "id");
            it.authors = persons(v.get("authors"));
            if it.authors.is_empty() {
                it.authors = persons(
                    v.get("author")
                        .map(|a| Value::Array(vec![a.clone()]))
                        .as_ref(),
                );
            }
            it.published = rfc3339(string(v, "date_published"));
            it.updated = rfc3339(string(v, "date_modified"));
        }
        Suite::FeedRs => {
            it.title = v.get("title").and_then(|t| string(t, "content"));
            it.summary = v
                .get("summary")
                .and_then(|t| string(t, "content"))
                .or_else(|| v.get("content").and_then(|c| string(c, "body")));
            it.link = pick_link(v.get("links"));
            it.guid = string(v, "id");
            it.authors = persons(v.get("authors"));
            it.published = rfc3339(string(v, "published"));
            it.updated = rfc3339(string(v, "updated"));
        }
    }
    it
}

/// A string (or number: JSON Feed ids may be numbers) member, `None` when absent or null.
fn string(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The article link among `links[]{href, rel}` as our parser picks it (`parse::pick_link`): the
/// first with `rel="alternate"` or no rel, else the first.
fn pick_link(links: Option<&Value>) -> Option<String> {
    let links = links?.as_array()?;
    let rel = |l: &Value| l.get("rel").and_then(Value::as_str).map(str::to_string);
    links
        .iter()
        .find(|l| matches!(rel(l).as_deref(), None | Some("alternate")))
        .or_else(|| links.first())
        .and_then(|l| string(l, "href"))
}

fn persons(v: Option<&Value>) -> Vec<Person> {
    v.and_then(Value::as_array)
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|p| Person {
            name: string(p, "name"),
            email: string(p, "email"),
        })
        .collect()
}

/// gofeed writes the source string as `X` and its reading of it as `XParsed` (RFC 3339); `X`
/// without `XParsed` is a date gofeed could not read.
fn gofeed_date(v: &Value, key: &str) -> ExpDate {
    match (string(v, key), string(v, &format!("{key}Parsed"))) {
        (_, Some(parsed)) => rfc3339(Some(parsed)),
        (Some(raw), None) => ExpDate::Unread(raw),
        (None, None) => ExpDate::Absent,
    }
}

fn rfc3339(s: Option<String>) -> ExpDate {
    match s {
        None => ExpDate::Absent,
        Some(s) => match DateTime::parse_from_rfc3339(s.trim()) {
            Ok(d) => ExpDate::At(d),
            Err(_) => ExpDate::Unread(s),
        },
    }
}
