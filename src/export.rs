//! Atom feeds of a watchlist's stories (`aggregator export atom`, and the files the daemon keeps
//! up to date), so any feed reader can subscribe to a watchlist.
//!
//! Entry ids are stable: a story's entry is named after its first item (`urn:aggregator:item:N`),
//! which survives the story's id changing in a `restory`.

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};

use crate::store::StoreError;
use crate::store::query::{ListQuery, ListedStory, Reader};

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write {path}: {source}", path = .path.display())]
    Write {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What goes into one watchlist feed.
#[derive(Debug, Clone)]
pub struct AtomFeed<'a> {
    pub watchlist: &'a str,
    pub description: Option<&'a str>,
    pub stories: &'a [ListedStory],
    /// When the feed was generated (the feed's `updated` when it has no stories).
    pub now: DateTime<Utc>,
}

/// Reads the watchlist's stories from `since` on (newest first, at most `limit`).
pub fn watchlist_stories(
    reader: &Reader,
    watchlist: &str,
    since: Option<DateTime<Utc>>,
    limit: u64,
) -> Result<Vec<ListedStory>, StoreError> {
    reader.stories(&ListQuery {
        since,
        watchlist: Some(watchlist.to_string()),
        limit: Some(limit),
        ..Default::default()
    })
}

/// Renders an Atom 1.0 document.
pub fn render_atom(feed: &AtomFeed) -> String {
    let mut x = String::with_capacity(1024 + feed.stories.len() * 1024);
    let updated = feed
        .stories
        .iter()
        .map(|s| s.last_seen)
        .max()
        .unwrap_or(feed.now);
    x.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    x.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    element(
        &mut x,
        1,
        "id",
        &format!("urn:aggregator:watchlist:{}", feed.watchlist),
    );
    element(
        &mut x,
        1,
        "title",
        &format!("aggregator: {}", feed.watchlist),
    );
    if let Some(d) = feed.description {
        element(&mut x, 1, "subtitle", d);
    }
    element(&mut x, 1, "updated", &rfc3339(updated));
    x.push_str(&format!(
        "  <generator version=\"{}\">aggregator</generator>\n",
        env!("CARGO_PKG_VERSION")
    ));
    for s in feed.stories {
        x.push_str("  <entry>\n");
        let first = s.members.first();
        let id = first.map_or(s.id, |m| m.item.id);
        element(&mut x, 2, "id", &format!("urn:aggregator:item:{id}"));
        element(&mut x, 2, "title", &s.title);
        if let Some(link) = first.and_then(|m| m.item.link.as_deref()) {
            x.push_str(&format!(
                "    <link rel=\"alternate\" href=\"{}\"/>\n",
                html_escape::encode_double_quoted_attribute(&xml_text(link))
            ));
        }
        element(&mut x, 2, "published", &rfc3339(s.time));
        element(&mut x, 2, "updated", &rfc3339(s.last_seen));
        x.push_str("    <author>\n");
        element(&mut x, 3, "name", &s.first_source);
        x.push_str("    </author>\n");
        for w in &s.watchlists {
            x.push_str(&format!(
                "    <category term=\"{}\"/>\n",
                html_escape::encode_double_quoted_attribute(&xml_text(w))
            ));
        }
        element(&mut x, 2, "summary", &summary(s, feed.watchlist));
        x.push_str("  </entry>\n");
    }
    x.push_str("</feed>\n");
    x
}

/// The entry text: the first member's summary, what matched, and the outlets.
fn summary(s: &ListedStory, watchlist: &str) -> String {
    let mut parts = Vec::new();
    if let Some(text) = s.members.iter().find_map(|m| m.item.summary.as_deref()) {
        parts.push(text.to_string());
    }
    let mut terms: Vec<&str> = Vec::new();
    for m in s.members.iter().flat_map(|m| &m.item.matches) {
        if m.watchlist == watchlist {
            for t in &m.terms {
                if !terms.contains(&t.as_str()) {
                    terms.push(t);
                }
            }
        }
    }
    if !terms.is_empty() {
        parts.push(format!("Matched: {}.", terms.join(", ")));
    }
    let mut outlets: Vec<&str> = Vec::new();
    for m in &s.members {
        if !outlets.contains(&m.item.feed.as_str()) {
            outlets.push(&m.item.feed);
        }
    }
    parts.push(format!("Outlets: {}.", outlets.join(", ")));
    parts.join(" ")
}

fn element(x: &mut String, depth: usize, name: &str, text: &str) {
    x.push_str(&"  ".repeat(depth));
    x.push_str(&format!(
        "<{name}>{}</{name}>\n",
        html_escape::encode_text(&xml_text(text))
    ));
}

/// Text XML 1.0 can carry: characters it forbids are dropped (stored text is already one clean
/// line, so this is a safeguard).
fn xml_text(s: &str) -> String {
    s.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
        })
        .collect()
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Writes `contents` to `path` atomically: a temporary file beside it, synced, then renamed
/// over it, so a reader never sees half a file and a failure leaves the old one in place.
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), ExportError> {
    let err = |source| ExportError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| err(std::io::Error::other("not a file name")))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(contents)?;
        // A feed is for subscribers: readable whatever the process umask (the unit's is 0077).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o644))?;
        }
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}

/// Writes the Atom file of one configured export.
pub fn write_atom_file(
    db: &Path,
    export: &crate::config::AtomExport,
    description: Option<&str>,
    now: DateTime<Utc>,
) -> Result<usize, ExportError> {
    let reader = Reader::open(db)?;
    let since = chrono::Duration::from_std(export.since)
        .ok()
        .and_then(|d| now.checked_sub_signed(d));
    let stories = watchlist_stories(&reader, &export.watchlist, since, export.limit as u64)?;
    let xml = render_atom(&AtomFeed {
        watchlist: &export.watchlist,
        description,
        stories: &stories,
        now,
    });
    write_atomically(&export.path, xml.as_bytes())?;
    Ok(stories.len())
}

/// The Atom files a daemon keeps, with their watchlists' descriptions.
pub type AtomFiles = Vec<(crate::config::AtomExport, Option<String>)>;

/// The configured Atom files of `config`.
pub fn atom_files(config: &crate::config::Config) -> AtomFiles {
    config
        .atom
        .iter()
        .map(|a| {
            let description = config
                .watchlists
                .iter()
                .find(|w| w.name == a.watchlist)
                .and_then(|w| w.description.clone());
            (a.clone(), description)
        })
        .collect()
}

/// Pause after a change before rewriting, so a burst of stored matches makes one rewrite.
const SETTLE: std::time::Duration = std::time::Duration::from_secs(1);

/// Keeps the Atom files up to date until `stop` turns true: writes them at start, and again
/// after `changed` is notified (matches were stored or re-checked) or the set of files changes.
pub async fn keep_atom_files(
    db: std::path::PathBuf,
    mut files: tokio::sync::watch::Receiver<AtomFiles>,
    changed: std::sync::Arc<tokio::sync::Notify>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let list = files.borrow_and_update().clone();
        for (export, description) in list {
            let db = db.clone();
            let path = export.path.clone();
            let written = tokio::task::spawn_blocking(move || {
                write_atom_file(&db, &export, description.as_deref(), Utc::now())
            })
            .await;
            match written {
                Ok(Ok(n)) => {
                    tracing::debug!(path = %path.display(), stories = n, "atom file written")
                }
                Ok(Err(e)) => {
                    tracing::warn!(path = %path.display(), error = %e, "atom file not written")
                }
                Err(e) => tracing::error!(path = %path.display(), error = %e, "atom task failed"),
            }
        }
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            () = changed.notified() => {}
            r = files.changed() => if r.is_err() { return },
        }
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            () = tokio::time::sleep(SETTLE) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_drops_forbidden_characters() {
        assert_eq!(xml_text("a\u{1}b\u{FFFE}c"), "abc");
        let mut x = String::new();
        element(&mut x, 0, "title", "<b> & \"q\"");
        assert_eq!(x, "<title>&lt;b&gt; &amp; \"q\"</title>\n");
    }

    #[test]
    fn empty_feed_is_valid_atom() {
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let xml = render_atom(&AtomFeed {
            watchlist: "dprk & japan",
            description: None,
            stories: &[],
            now,
        });
        assert!(xml.contains("<id>urn:aggregator:watchlist:dprk &amp; japan</id>"));
        assert!(xml.contains("<updated>2023-11-14T22:13:20Z</updated>"));
        let parsed = feed_rs::parser::parse(xml.as_bytes()).expect("parses as a feed");
        assert!(parsed.entries.is_empty());
    }

    #[test]
    fn atomic_write_replaces_and_refuses_missing_dir() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("w.atom");
        write_atomically(&p, b"one").unwrap();
        write_atomically(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
        let e = write_atomically(&d.path().join("no/such/w.atom"), b"x").unwrap_err();
        assert!(e.to_string().contains("no/such/w.atom"), "{e}");
    }
}
