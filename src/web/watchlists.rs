//! The watchlists page and its editor. The page lists the watchlists as the file defines them
//! and the recent changes; the editor shows one `[[watchlist]]` table as a form, one field per
//! key: plain text for the strings (name, description, query, priority), the value as written in
//! TOML for the lists (terms and aliases, any, all, not, exclude, fields, feeds, alerts).
//!
//! A save changes only the keys whose field changed (toml_edit: comments and layout kept, a
//! replaced value keeps its old value's surroundings, such as a trailing comment), checks the
//! whole file with the loader the CLI and the daemon use (the main config with the edited text
//! as its watchlist file), and shows a problem beside the field it is in, with its `line:col`.
//! A file that loads is written in place (a temporary file beside it renamed over it, same owner
//! and mode), the daemon reloads as on SIGHUP, the change (who, when, the table before and
//! after) goes into the database, and the editor is offered a re-check of recent items.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use chrono::{Local, Utc};
use sha2::{Digest, Sha256};
use toml_edit::{ArrayOfTables, DocumentMut, Item, Table};

use super::{Failure, Viewer, WebState, form_allowed, read};
use crate::config::{ConfigError, WatchlistSpec};

/// One key of a `[[watchlist]]` table as a form field.
pub struct FieldDef {
    pub key: &'static str,
    pub label: &'static str,
    /// The value as written in TOML (a textarea), not a plain string (an input).
    pub toml: bool,
    pub hint: &'static str,
}

/// The form's fields, in the order a new table gets its keys.
pub const FIELDS: [FieldDef; 12] = [
    FieldDef {
        key: "name",
        label: "Name",
        toml: false,
        hint: "unique; alerts and filters show it",
    },
    FieldDef {
        key: "description",
        label: "Description",
        toml: false,
        hint: "optional",
    },
    FieldDef {
        key: "terms",
        label: "Terms (any of them)",
        toml: true,
        hint: r#"a TOML array: ["Kishida", ["Kim Yo-jong", "Kim Yo Jong", "김여정"]] — an inner array is a group of aliases"#,
    },
    FieldDef {
        key: "any",
        label: "Any (same as terms)",
        toml: true,
        hint: "a TOML array, as terms",
    },
    FieldDef {
        key: "all",
        label: "All (every one of them)",
        toml: true,
        hint: r#"a TOML array: ["Japan", "summit"]"#,
    },
    FieldDef {
        key: "not",
        label: "Not (none of them)",
        toml: true,
        hint: r#"a TOML array: ["K-pop", "sports"]"#,
    },
    FieldDef {
        key: "exclude",
        label: "Exclude (same as not)",
        toml: true,
        hint: "a TOML array, as not",
    },
    FieldDef {
        key: "query",
        label: "Query (the one-line form)",
        toml: false,
        hint: r#"("Kim Yo-jong" OR 김여정) AND (Japan OR 일본) AND NOT sports"#,
    },
    FieldDef {
        key: "fields",
        label: "Fields",
        toml: true,
        hint: r#"a TOML array of title, summary, author, feed, link; empty: title and summary"#,
    },
    FieldDef {
        key: "feeds",
        label: "Feeds",
        toml: true,
        hint: "a TOML array of configured feed names; empty: every feed",
    },
    FieldDef {
        key: "priority",
        label: "Priority",
        toml: false,
        hint: "low, normal, high or urgent; empty: normal",
    },
    FieldDef {
        key: "alerts",
        label: "Sinks (alerts)",
        toml: true,
        hint: "a TOML array of [[sink]] names from the main config",
    },
];

/// The path segment of the form for a new watchlist.
const NEW: &str = "new";
/// Recent changes shown at the bottom of the page.
const CHANGES: u64 = 20;

/// Saves are one at a time: the check that the file did not change and the write go together.
static SAVING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

// ---- the document: what a form shows, and an edit of it -----------------------------------

/// What a field shows for a table's value: a string as it is, anything else as written.
fn shown(item: Option<&Item>, toml: bool) -> String {
    let Some(v) = item.and_then(Item::as_value) else {
        return String::new();
    };
    match v.as_str() {
        Some(s) if !toml => s.to_string(),
        _ => {
            let mut v = v.clone();
            v.decor_mut().clear();
            v.to_string().trim().to_string()
        }
    }
}

/// The field values of `table` (empty for a new one), in [`FIELDS`] order.
fn values_of(table: Option<&Table>) -> Vec<String> {
    FIELDS
        .iter()
        .map(|f| shown(table.and_then(|t| t.get(f.key)), f.toml))
        .collect()
}

/// The watchlist tables of a watchlist file, or why they cannot be edited here.
fn tables(doc: &DocumentMut) -> Result<Option<&ArrayOfTables>, String> {
    match doc.get("watchlist") {
        None => Ok(None),
        Some(Item::ArrayOfTables(a)) => Ok(Some(a)),
        Some(_) => Err(
            "the file does not write its watchlists as [[watchlist]] tables; edit it by hand"
                .into(),
        ),
    }
}

/// Where the table named `name` is among the file's watchlists.
fn position(doc: &DocumentMut, name: &str) -> Result<Option<usize>, String> {
    Ok(tables(doc)?.and_then(|a| {
        a.iter()
            .position(|t| t.get("name").and_then(Item::as_str).map(str::trim) == Some(name))
    }))
}

/// One table as its own `[[watchlist]]` text (the change log's before and after).
fn table_text(t: &Table) -> String {
    let mut doc = DocumentMut::new();
    let mut a = ArrayOfTables::new();
    a.push(t.clone());
    doc.insert("watchlist", Item::ArrayOfTables(a));
    format!("{}\n", doc.to_string().trim())
}

/// A proposed edit of the watchlist file.
#[derive(Debug)]
struct Edit {
    /// The file's new text.
    text: String,
    /// The table's index in the new text.
    index: usize,
    /// Each changed, non-empty field: its index in [`FIELDS`] and where its value is in `text`.
    placed: Vec<(usize, Range<usize>)>,
    /// The keys whose field changed.
    changed: Vec<&'static str>,
}

/// The file `original` with the table at `index` (a new one when `None`) set to the form's
/// `values` ([`FIELDS`] order): a field equal to what the form showed leaves its key as it is;
/// an emptied field removes it; a changed one replaces the value (its surroundings kept) or
/// adds the key. Lists go in as the editor wrote them, so the loader checks them as written.
fn apply(original: &str, index: Option<usize>, values: &[String]) -> Result<Edit, String> {
    let mut doc: DocumentMut = original
        .parse()
        .map_err(|e: toml_edit::TomlError| e.to_string())?;
    let count = tables(&doc)?.map_or(0, ArrayOfTables::len);
    let mut table = match index {
        Some(i) => tables(&doc)?
            .and_then(|a| a.get(i))
            .cloned()
            .ok_or("no such watchlist")?,
        None => Table::new(),
    };
    // Changed values are first written as unique placeholders, then swapped for their text.
    let mark = super::session::random_token();
    let mut swaps = Vec::new();
    let mut changed = Vec::new();
    for (i, (f, posted)) in FIELDS.iter().zip(values).enumerate() {
        if *posted == shown(table.get(f.key), f.toml) {
            continue;
        }
        changed.push(f.key);
        if posted.is_empty() {
            table.remove(f.key);
            continue;
        }
        let placeholder = format!("aggregator-{mark}-{i}");
        let text = if f.toml {
            posted.clone()
        } else {
            toml_edit::Value::from(posted.as_str()).to_string()
        };
        match table.get_mut(f.key).and_then(Item::as_value_mut) {
            Some(v) => {
                let decor = v.decor().clone();
                *v = toml_edit::Value::from(placeholder.as_str());
                *v.decor_mut() = decor;
            }
            None => {
                table.insert(f.key, toml_edit::value(placeholder.as_str()));
            }
        }
        swaps.push((i, format!("\"{placeholder}\""), text));
    }
    let index = match index {
        Some(i) => {
            if let Some(Item::ArrayOfTables(a)) = doc.get_mut("watchlist")
                && let Some(t) = a.get_mut(i)
            {
                *t = table;
            }
            i
        }
        None => {
            let entry = doc
                .entry("watchlist")
                .or_insert_with(|| Item::ArrayOfTables(ArrayOfTables::new()));
            if let Item::ArrayOfTables(a) = entry {
                a.push(table);
            }
            count
        }
    };
    let rendered = doc.to_string();
    let mut found: Vec<(usize, usize, usize, String)> = swaps
        .into_iter()
        .filter_map(|(i, p, text)| rendered.find(&p).map(|start| (start, p.len(), i, text)))
        .collect();
    found.sort_by_key(|f| f.0);
    let mut text = String::with_capacity(rendered.len());
    let mut placed = Vec::new();
    let mut from = 0;
    for (start, len, i, value) in found {
        text.push_str(&rendered[from..start]);
        placed.push((i, text.len()..text.len() + value.len()));
        text.push_str(&value);
        from = start + len;
    }
    text.push_str(&rendered[from..]);
    Ok(Edit {
        text,
        index,
        placed,
        changed,
    })
}

/// The byte offset of 1-based `line` and `col` (in characters) in `text`.
fn offset_of(text: &str, (line, col): (usize, usize)) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = &text[start.min(text.len())..];
    start
        + rest
            .char_indices()
            .nth(col.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i)
}

/// 1-based line and column (in characters) of byte `offset` of `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Which field a loader error is about (an index in [`FIELDS`]; `None`: the form as a whole),
/// and the message to show there: the loader's, with the file's name for its path, and where
/// in the field the problem is when that is known.
fn locate(e: &ConfigError, file: &Path, edit: &Edit, values: &[String]) -> (Option<usize>, String) {
    let name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let message = e.to_string().replace(&file.display().to_string(), &name);
    let (at, key) = match e {
        ConfigError::Syntax { at, .. } => (at, None),
        ConfigError::Invalid { at, key, .. } => (at, Some(key.as_str())),
        ConfigError::Read { .. } => return (None, message),
    };
    let Some(lc) = at.line_col.filter(|_| at.path == file) else {
        return (None, message);
    };
    let offset = offset_of(&edit.text, lc);
    let by_key = key
        .and_then(|k| k.strip_prefix("watchlist."))
        .and_then(|k| FIELDS.iter().position(|f| f.key == k));
    // In a value the editor changed: where in what they wrote.
    if let Some((i, r)) = edit.placed.iter().find(|(_, r)| r.contains(&offset)) {
        let here = within(
            &FIELDS[*i],
            &edit.text[r.clone()],
            &values[*i],
            offset - r.start,
        );
        return (Some(*i), format!("{message}{here}"));
    }
    // In a key the editor left as it was (a duplicate name, a missing term list).
    if let Ok(doc) = toml_edit::Document::parse(edit.text.clone())
        && let Some(Item::ArrayOfTables(a)) = doc.get("watchlist")
        && let Some(t) = a.get(edit.index)
    {
        let spanned = FIELDS.iter().position(|f| {
            t.get_key_value(f.key).is_some_and(|(k, v)| {
                let start = k.span().map_or(usize::MAX, |s| s.start);
                let end = v.span().map_or(0, |s| s.end);
                (start..end.max(start)).contains(&offset)
            })
        });
        return match (by_key, spanned) {
            (Some(k), _) if t.get(FIELDS[k].key).is_none() => (Some(k), message),
            (_, Some(i)) => (Some(i), message),
            (k, None) => (k, message),
        };
    }
    // The file no longer parses: a changed list ran past its end; it is the last one before.
    let before = edit
        .placed
        .iter()
        .filter(|(_, r)| r.start <= offset)
        .max_by_key(|(_, r)| r.start)
        .map(|(i, _)| *i);
    (before.or(by_key), message)
}

/// " (line L, column C of this field)" for byte `offset` of a changed value written as `repr`
/// for the field's text `posted`; empty when the two cannot be lined up.
fn within(f: &FieldDef, repr: &str, posted: &str, offset: usize) -> String {
    let (line, col) = if f.toml {
        line_col(repr, offset)
    } else {
        // A string as a basic or literal string without escapes: one quote before the text.
        match repr.get(1..repr.len().saturating_sub(1)) {
            Some(inner) if inner == posted && offset >= 1 => line_col(inner, offset - 1),
            _ => return String::new(),
        }
    };
    format!(" (line {line}, column {col} of this field)")
}

/// The main config loaded with `text` as its watchlist file, the watchlists compiled: exactly
/// what the daemon's reload will do with the file once it is written.
fn check(config: &Path, text: &str) -> Result<crate::config::Config, ConfigError> {
    let loaded = crate::config::load_with_watchlists(config, &crate::watch::Syntax, text)?;
    crate::watch::WatchSet::from_config(&loaded)?;
    Ok(loaded)
}

/// Replaces the file at `path` (a symlink is followed) with `text`: a temporary file in the same
/// directory, with the file's owner and mode, synced, then renamed over it.
fn write_in_place(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::MetadataExt;
    let real = std::fs::canonicalize(path)?;
    let meta = std::fs::metadata(&real)?;
    let dir = real.parent().unwrap_or(Path::new("."));
    let name = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.web-{}-{}",
        std::process::id(),
        &super::session::random_token()[..8]
    ));
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.set_permissions(meta.permissions())?;
        let mine = f.metadata()?;
        if (mine.uid(), mine.gid()) != (meta.uid(), meta.gid()) {
            std::os::unix::fs::fchown(&f, Some(meta.uid()), Some(meta.gid()))?;
        }
        f.sync_all()?;
        std::fs::rename(&tmp, &real)?;
        // The rename itself survives a crash once the directory is synced.
        std::fs::File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// A digest of the file's text: a form saved over a file that changed since is refused.
fn version(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `name` for a URL path segment.
fn segment(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// ---- the pages ------------------------------------------------------------------------------

pub struct Listed {
    pub name: String,
    pub href: String,
    pub description: String,
    pub terms: String,
    pub all: String,
    pub not: String,
    pub query: String,
    pub fields: String,
    pub feeds: String,
    pub priority: &'static str,
    pub sinks: String,
}

pub struct ChangeRow {
    pub at: String,
    pub by: String,
    pub watchlist: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Template)]
#[template(path = "watchlists.html")]
struct ListPage {
    viewer: Option<Viewer>,
    file: String,
    error: Option<String>,
    rows: Vec<Listed>,
    changes: Vec<ChangeRow>,
}

fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn listed(w: &WatchlistSpec) -> Listed {
    Listed {
        name: w.name.clone(),
        href: format!("/watchlists/{}", segment(&w.name)),
        description: w.description.clone().unwrap_or_default(),
        terms: join(&w.terms),
        all: join(&w.all),
        not: join(&w.not),
        query: w.query.clone().unwrap_or_default(),
        fields: if w.fields.is_empty() {
            "title, summary".into()
        } else {
            w.fields
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        },
        feeds: if w.feeds.is_empty() {
            "every feed".into()
        } else {
            w.feeds.join(", ")
        },
        priority: w.priority.as_str(),
        sinks: w.alerts.join(", "),
    }
}

async fn changes(state: &WebState) -> Result<Vec<ChangeRow>, Failure> {
    let log = read(state, |r| Ok(r.watchlist_changes(CHANGES)?)).await?;
    Ok(log
        .into_iter()
        .map(|c| ChangeRow {
            at: c
                .changed_at
                .with_timezone(&Local)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            by: c.changed_by,
            watchlist: c.watchlist,
            before: c.before,
            after: c.after,
        })
        .collect())
}

/// The config as reports read it, on the blocking pool.
async fn config_of(
    state: &WebState,
) -> Result<(crate::config::Config, Option<ConfigError>), Failure> {
    let path = state.editing.config.clone();
    Ok(tokio::task::spawn_blocking(move || crate::watch::load_for_reports(&path)).await??)
}

/// `GET /watchlists`: the watchlists as the file defines them, and the recent changes.
pub async fn list(State(state): State<Arc<WebState>>, viewer: Viewer) -> Result<Response, Failure> {
    let (config, set_aside) = config_of(&state).await?;
    let body = ListPage {
        viewer: Some(viewer),
        file: config
            .watchlists_path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        error: set_aside.map(|e| e.to_string()),
        rows: config.watchlists.iter().map(listed).collect(),
        changes: changes(&state).await?,
    }
    .render()?;
    Ok(Html(body).into_response())
}

pub struct FormField {
    pub key: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub toml: bool,
    pub value: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "watchlist.html")]
struct EditPage {
    viewer: Option<Viewer>,
    csrf: String,
    /// The watchlist's name as the URL has it; `new` for a new one.
    name: String,
    action: String,
    is_new: bool,
    version: String,
    fields: Vec<FormField>,
    error: Option<String>,
    /// What the save changed.
    saved: Option<String>,
    rechecked: Option<String>,
    feeds: String,
    sinks: String,
    days: String,
}

/// Everything an edit page shows besides the form's values.
struct PageState {
    name: String,
    version: String,
    error: Option<String>,
    saved: Option<String>,
    rechecked: Option<String>,
}

async fn edit_page(
    state: &WebState,
    viewer: Viewer,
    values: Vec<String>,
    errors: Vec<(usize, String)>,
    page: PageState,
) -> Result<String, Failure> {
    let (config, _) = config_of(state).await?;
    let is_new = page.name == NEW;
    let fields = FIELDS
        .iter()
        .zip(values)
        .enumerate()
        .map(|(i, (f, value))| FormField {
            key: f.key,
            label: f.label,
            hint: f.hint,
            toml: f.toml,
            value,
            error: errors.iter().find(|(j, _)| *j == i).map(|(_, m)| m.clone()),
        })
        .collect();
    Ok(EditPage {
        csrf: viewer.csrf.clone(),
        viewer: Some(viewer),
        action: format!("/watchlists/{}", segment(&page.name)),
        is_new,
        name: page.name,
        version: page.version,
        fields,
        error: page.error,
        saved: page.saved,
        rechecked: page.rechecked,
        feeds: config
            .feeds
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        sinks: config
            .sinks
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        days: "7".into(),
    }
    .render()?)
}

/// The watchlist file's path and text, or the page's message why there is none.
async fn file_text(state: &WebState) -> Result<Result<(PathBuf, String), String>, Failure> {
    let (config, _) = config_of(state).await?;
    let Some(path) = config.watchlists_path else {
        return Ok(Err(
            "The main config names no watchlist file (`watchlists = \"…\"`).".into(),
        ));
    };
    Ok(match tokio::fs::read_to_string(&path).await {
        Ok(text) => Ok((path, text)),
        Err(e) => Err(format!("Cannot read {}: {e}", path.display())),
    })
}

/// `GET /watchlists/{name}`: the form for one watchlist (`new`: an empty one).
pub async fn form(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
    UrlPath(name): UrlPath<String>,
) -> Result<Response, Failure> {
    let (text, error) = match file_text(&state).await? {
        Ok((_, text)) => (text, None),
        Err(e) => (String::new(), Some(e)),
    };
    let doc: Option<DocumentMut> = text.parse().ok();
    let table = match (&doc, name == NEW) {
        (_, true) | (None, _) => None,
        (Some(doc), false) => match position(doc, &name) {
            Ok(Some(i)) => tables(doc).ok().flatten().and_then(|a| a.get(i)),
            _ => return Ok((StatusCode::NOT_FOUND, "no such watchlist").into_response()),
        },
    };
    let values = values_of(table);
    let page = PageState {
        name,
        version: version(&text),
        error,
        saved: None,
        rechecked: None,
    };
    Ok(Html(edit_page(&state, viewer, values, Vec::new(), page).await?).into_response())
}

/// What a save did.
enum Saved {
    /// Written: the keys that changed, the table before (none when new) and after.
    Written {
        name: String,
        changed: Vec<&'static str>,
        before: Option<String>,
        after: String,
    },
    Unchanged,
    /// Not written: problems by field (or for the form), and the status to answer.
    Refused(StatusCode, Vec<(Option<usize>, String)>),
}

/// Applies the form's `values` to the watchlist at `index` of the file at `path` whose text was
/// `original` when the form was shown (`version`), checks it and writes it. Blocking.
fn save_blocking(
    config: &Path,
    path: &Path,
    version_seen: &str,
    name: &str,
    values: &[String],
) -> Saved {
    let refused = |status, field, message: String| Saved::Refused(status, vec![(field, message)]);
    let original = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            return refused(
                StatusCode::INTERNAL_SERVER_ERROR,
                None,
                format!("cannot read {}: {e}", path.display()),
            );
        }
    };
    if version(&original) != version_seen {
        return refused(
            StatusCode::CONFLICT,
            None,
            "The watchlist file changed since this form was shown (another save, or an edit by hand). Your values are below; open the watchlist again to start from the file as it is now.".into(),
        );
    }
    let doc: DocumentMut = match original.parse() {
        Ok(d) => d,
        Err(e) => {
            return refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                format!("the file does not parse: {e}"),
            );
        }
    };
    let index = match (name == NEW, position(&doc, name)) {
        (true, _) => None,
        (false, Ok(Some(i))) => Some(i),
        (false, Ok(None)) => {
            return refused(StatusCode::NOT_FOUND, None, "no such watchlist".into());
        }
        (false, Err(e)) => return refused(StatusCode::UNPROCESSABLE_ENTITY, None, e),
    };
    let before = index.and_then(|i| tables(&doc).ok().flatten()?.get(i).map(table_text));
    let edit = match apply(&original, index, values) {
        Ok(e) => e,
        Err(e) => return refused(StatusCode::UNPROCESSABLE_ENTITY, None, e),
    };
    if edit.changed.is_empty() {
        return Saved::Unchanged;
    }
    if let Err(e) = check(config, &edit.text) {
        let (field, message) = locate(&e, path, &edit, values);
        return refused(StatusCode::UNPROCESSABLE_ENTITY, field, message);
    }
    // The loader took it; each changed list must still be one value (not more keys or tables).
    let doc: DocumentMut = match edit.text.parse() {
        Ok(d) => d,
        Err(e) => return refused(StatusCode::UNPROCESSABLE_ENTITY, None, format!("{e}")),
    };
    for (i, r) in &edit.placed {
        if FIELDS[*i].toml && edit.text[r.clone()].parse::<toml_edit::Value>().is_err() {
            return refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(*i),
                "must be one TOML value (an array)".into(),
            );
        }
    }
    let Some(table) = tables(&doc).ok().flatten().and_then(|a| a.get(edit.index)) else {
        return refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            "the edit moved the watchlist".into(),
        );
    };
    let after = table_text(table);
    let new_name = table
        .get("name")
        .and_then(Item::as_str)
        .unwrap_or(name)
        .trim()
        .to_string();
    if let Err(e) = write_in_place(path, &edit.text) {
        return refused(
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            format!(
                "cannot write {}: {e}; the file was not changed",
                path.display()
            ),
        );
    }
    Saved::Written {
        name: new_name,
        changed: edit.changed,
        before,
        after,
    }
}

/// The form's values in [`FIELDS`] order (line ends as `\n`, no surrounding blanks), its CSRF
/// token, the file version it was shown with, and the re-check's days.
fn posted(form: &[(String, String)]) -> (Vec<String>, String, String, String) {
    let get = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.replace("\r\n", "\n").trim().to_string())
            .unwrap_or_default()
    };
    (
        FIELDS.iter().map(|f| get(f.key)).collect(),
        get("csrf"),
        get("version"),
        get("days"),
    )
}

fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        "the form expired or came from another site; reload the page",
    )
        .into_response()
}

/// `POST /watchlists/{name}`: checks and saves the form, then shows what changed and offers a
/// re-check; a problem is shown beside its field and nothing is written.
pub async fn save(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
    headers: HeaderMap,
    UrlPath(name): UrlPath<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    let (values, csrf, seen, _) = posted(&form);
    if !form_allowed(&viewer, &csrf, &headers) {
        return Ok(forbidden());
    }
    let path = match file_text(&state).await? {
        Ok((path, _)) => path,
        Err(e) => return Ok((StatusCode::CONFLICT, e).into_response()),
    };
    let guard = SAVING.lock().await;
    let (config, file, vals, n) = (
        state.editing.config.clone(),
        path.clone(),
        values.clone(),
        name.clone(),
    );
    let saved =
        tokio::task::spawn_blocking(move || save_blocking(&config, &file, &seen, &n, &vals))
            .await?;
    drop(guard);
    let (status, page) = match saved {
        Saved::Refused(status, problems) => {
            let (general, by_field): (Vec<_>, Vec<_>) =
                problems.into_iter().partition(|(f, _)| f.is_none());
            let errors = by_field
                .into_iter()
                .filter_map(|(f, m)| f.map(|f| (f, m)))
                .collect();
            let text = tokio::fs::read_to_string(&path).await.unwrap_or_default();
            let page = PageState {
                name,
                version: version(&text),
                error: general
                    .into_iter()
                    .next()
                    .map(|(_, m)| m)
                    .or_else(|| Some("Not saved: see the field marked below.".into())),
                saved: None,
                rechecked: None,
            };
            // A stale form keeps the version it was shown with, so saving it again is refused
            // again until the editor opens the file as it is now.
            let page = if status == StatusCode::CONFLICT {
                PageState {
                    version: posted(&form).2,
                    ..page
                }
            } else {
                page
            };
            (
                status,
                edit_page(&state, viewer, values, errors, page).await?,
            )
        }
        Saved::Unchanged => {
            let text = tokio::fs::read_to_string(&path).await.unwrap_or_default();
            let page = PageState {
                name,
                version: version(&text),
                error: None,
                saved: Some("Nothing changed; the file was not written.".into()),
                rechecked: None,
            };
            (
                StatusCode::OK,
                edit_page(&state, viewer, values, Vec::new(), page).await?,
            )
        }
        Saved::Written {
            name: saved_name,
            changed,
            before,
            after,
        } => {
            let (by, n, b, a) = (
                viewer.user.clone(),
                saved_name.clone(),
                before.clone(),
                after.clone(),
            );
            state
                .writer
                .call(move |s| {
                    s.record_watchlist_change(&by, &n, b.as_deref(), Some(&a), Utc::now())
                })
                .await??;
            if let Some(reload) = &state.editing.reload {
                let _ = reload.try_send(());
            }
            tracing::info!(user = %viewer.user, watchlist = %saved_name, changed = ?changed, "watchlist saved from the web view");
            let text = tokio::fs::read_to_string(&path).await.unwrap_or_default();
            let doc: Option<DocumentMut> = text.parse().ok();
            let table = doc.as_ref().and_then(|d| {
                let i = position(d, &saved_name).ok().flatten()?;
                tables(d).ok().flatten()?.get(i)
            });
            let what = if before.is_none() { "Added" } else { "Saved" };
            let page = PageState {
                name: saved_name.clone(),
                version: version(&text),
                error: None,
                saved: Some(format!(
                    "{what} watchlist {saved_name:?} (changed: {}). The daemon is reloading the watchlists; new items are matched with them from now on.",
                    changed.join(", ")
                )),
                rechecked: None,
            };
            (
                StatusCode::OK,
                edit_page(&state, viewer, values_of(table), Vec::new(), page).await?,
            )
        }
    };
    Ok((status, Html(page)).into_response())
}

/// `POST /watchlists/{name}/recheck`: re-checks the stored items of the last `days` days
/// against the watchlist as the file defines it now, and shows what changed. Raises no alerts.
pub async fn recheck(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
    headers: HeaderMap,
    UrlPath(name): UrlPath<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    let (_, csrf, _, days) = posted(&form);
    if !form_allowed(&viewer, &csrf, &headers) {
        return Ok(forbidden());
    }
    let days = match days.parse::<i64>() {
        Ok(d) if (1..=365).contains(&d) => d,
        _ => {
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                "days: a whole number from 1 to 365",
            )
                .into_response());
        }
    };
    let path = state.editing.config.clone();
    let loaded = tokio::task::spawn_blocking(move || crate::watch::load(&path)).await?;
    let (config, set) = match loaded {
        Ok(l) => l,
        Err(e) => {
            return Ok((
                StatusCode::CONFLICT,
                format!("the config does not load: {e}"),
            )
                .into_response());
        }
    };
    if !config.watchlists.iter().any(|w| w.name == name) {
        return Ok((StatusCode::NOT_FOUND, "no such watchlist").into_response());
    }
    let opts = crate::store::alerts::RematchOptions {
        since: (Utc::now() - chrono::Duration::days(days)).timestamp(),
        watchlist: Some(name.clone()),
        alerts: false,
    };
    let stats = crate::recheck::rematch(&state.writer, Arc::new(set), &opts, None).await?;
    if stats.added + stats.removed + stats.changed > 0 {
        state.changed();
    }
    tracing::info!(user = %viewer.user, watchlist = %name, days, items = stats.items, added = stats.added, removed = stats.removed, "watchlist re-checked from the web view");
    let text = match file_text(&state).await? {
        Ok((_, t)) => t,
        Err(_) => String::new(),
    };
    let doc: Option<DocumentMut> = text.parse().ok();
    let table = doc.as_ref().and_then(|d| {
        let i = position(d, &name).ok().flatten()?;
        tables(d).ok().flatten()?.get(i)
    });
    let page = PageState {
        name: name.clone(),
        version: version(&text),
        error: None,
        saved: None,
        rechecked: Some(format!(
            "Re-checked {} stored item(s) of the last {days} day(s) against {name:?}: {} match(es) added, {} removed, {} changed; {} stor(y/ies) gained it, {} lost it. No alerts were raised.",
            stats.items,
            stats.added,
            stats.removed,
            stats.changed,
            stats.stories_added,
            stats.stories_removed
        )),
    };
    Ok(Html(edit_page(&state, viewer, values_of(table), Vec::new(), page).await?).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"# The desk's watchlists.

[[watchlist]]
name = "dprk"   # the main one
terms = [
  "Kim Yo-jong",  # her
  "Kishida",
]  # keep short
priority = "high"

# Sports, muted.
[[watchlist]]
name = "sports"
terms = ["baseball"]
"#;

    fn values(doc: &str, name: &str) -> Vec<String> {
        let doc: DocumentMut = doc.parse().unwrap();
        let i = position(&doc, name).unwrap().unwrap();
        values_of(tables(&doc).unwrap().unwrap().get(i))
    }

    fn set(values: &mut [String], key: &str, v: &str) {
        let i = FIELDS.iter().position(|f| f.key == key).unwrap();
        values[i] = v.into();
    }

    #[test]
    fn the_form_shows_strings_plainly_and_lists_as_written() {
        let v = values(FILE, "dprk");
        assert_eq!(v[0], "dprk");
        assert_eq!(v[2], "[\n  \"Kim Yo-jong\",  # her\n  \"Kishida\",\n]");
        assert_eq!(v[10], "high");
        assert_eq!(v[7], "");
    }

    #[test]
    fn an_unchanged_form_changes_nothing_and_an_edit_keeps_the_rest() {
        let v = values(FILE, "dprk");
        let e = apply(FILE, Some(0), &v).unwrap();
        assert!(e.changed.is_empty());
        assert_eq!(e.text, FILE);

        let mut v = values(FILE, "dprk");
        set(&mut v, "terms", "[\"Kim Yo-jong\", \"김여정\"]");
        set(&mut v, "query", "Japan OR 일본");
        set(&mut v, "priority", "");
        let e = apply(FILE, Some(0), &v).unwrap();
        assert_eq!(e.changed, ["terms", "query", "priority"]);
        assert!(
            e.text
                .contains("terms = [\"Kim Yo-jong\", \"김여정\"]  # keep short\n"),
            "{}",
            e.text
        );
        assert!(e.text.contains("name = \"dprk\"   # the main one\n"));
        assert!(e.text.contains("query = \"Japan OR 일본\""));
        assert!(!e.text.contains("priority"));
        assert!(e.text.starts_with("# The desk's watchlists.\n"));
        assert!(
            e.text
                .contains("# Sports, muted.\n[[watchlist]]\nname = \"sports\"")
        );
        let (i, r) = &e.placed[0];
        assert_eq!(
            (FIELDS[*i].key, &e.text[r.clone()]),
            ("terms", "[\"Kim Yo-jong\", \"김여정\"]")
        );
    }

    #[test]
    fn a_new_watchlist_goes_at_the_end() {
        let mut v = vec![String::new(); FIELDS.len()];
        set(&mut v, "name", "energy");
        set(&mut v, "terms", "[\"LNG\"]");
        let e = apply(FILE, None, &v).unwrap();
        assert_eq!(e.index, 2);
        assert!(e.text.starts_with(FILE), "{}", e.text);
        assert!(
            e.text
                .ends_with("[[watchlist]]\nname = \"energy\"\nterms = [\"LNG\"]\n"),
            "{}",
            e.text
        );
    }

    #[test]
    fn errors_are_placed_in_the_field_they_are_in() {
        let mut v = values(FILE, "dprk");
        set(&mut v, "query", "(Kim AND Japan");
        let e = apply(FILE, Some(0), &v).unwrap();
        let err =
            crate::config::parse_watchlists(Path::new("/d/w.toml"), &e.text, &crate::watch::Syntax)
                .unwrap_err();
        let (field, message) = locate(&err, Path::new("/d/w.toml"), &e, &v);
        assert_eq!(field.map(|i| FIELDS[i].key), Some("query"));
        assert!(message.starts_with("w.toml:"), "{message}");
        assert!(message.contains("of this field"), "{message}");

        // A list that never closes: the loader stops after it; the field is the list.
        let mut v = values(FILE, "dprk");
        set(&mut v, "terms", "[\"Kim\",\n \"Kishida\"");
        let e = apply(FILE, Some(0), &v).unwrap();
        let err =
            crate::config::parse_watchlists(Path::new("/d/w.toml"), &e.text, &crate::watch::Syntax)
                .unwrap_err();
        let (field, _) = locate(&err, Path::new("/d/w.toml"), &e, &v);
        assert_eq!(field.map(|i| FIELDS[i].key), Some("terms"));
    }

    #[test]
    fn offsets_and_positions_agree() {
        let t = "ab\nc북d\n";
        for o in [0, 1, 3, 4, 7] {
            assert_eq!(offset_of(t, line_col(t, o)), o);
        }
        assert_eq!(segment("dprk japan/북"), "dprk%20japan%2F%EB%B6%81");
    }
}
