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

use std::path::{Path, PathBuf};
use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use chrono::{Local, Utc};
use toml_edit::{DocumentMut, Item};

mod edit;

use super::{Failure, Viewer, WebState, form_allowed, read};
use crate::config::{ConfigError, WatchlistSpec};
use edit::{
    FIELDS, apply, check, locate, position, segment, table_text, tables, values_of, version,
    write_in_place,
};

/// The path segment of the form for a new watchlist.
const NEW: &str = "new";
/// Recent changes shown at the bottom of the page.
const CHANGES: u64 = 20;

/// Saves are one at a time: the check that the file did not change and the write go together.
static SAVING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

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
