//! The HTML pages: stories (home), one story, feeds, sign-in; the acknowledgement form; the
//! event stream and the two assets. Templates are askama's (checked when the binary is built;
//! every value escaped unless a template says otherwise, and none does).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Local, Utc};
use futures_util::Stream;
use serde::Deserialize;

use super::{Failure, Viewer, WebState, form_allowed, read, session};
use crate::store::query::{ListQuery, ListedStory};

/// Stories per page.
pub const PAGE: usize = 50;

/// Search hits whose stories a search on the stories page shows, at most.
const SEARCH_HITS: u64 = 1000;

/// The stories page's filters, as query parameters (`/?watchlist=dprk&since=24h&unacked=1`).
#[derive(Debug, Default, Deserialize)]
pub struct Filter {
    #[serde(default)]
    pub watchlist: String,
    #[serde(default)]
    pub feed: String,
    #[serde(default)]
    pub since: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub unacked: Option<String>,
    #[serde(default)]
    pub all: Option<String>,
    #[serde(default)]
    pub page: Option<usize>,
}

/// The filters as the form shows them again.
pub struct Shown {
    pub watchlist: String,
    pub feed: String,
    pub since: String,
    pub q: String,
    pub unacked: bool,
    pub all: bool,
}

pub struct Row {
    pub id: i64,
    pub published: String,
    pub seen: String,
    /// The headline in parts, each marked when it is a matched word.
    pub headline: Vec<(String, bool)>,
    pub first_source: String,
    pub outlets: i64,
    pub watchlists: String,
    pub acked_by: Option<String>,
}

#[derive(Template)]
#[template(path = "stories.html")]
struct StoriesPage {
    viewer: Option<Viewer>,
    csrf: String,
    filter: Shown,
    watchlists: Vec<String>,
    feeds: Vec<String>,
    rows: Vec<Row>,
    error: Option<String>,
    back: String,
    prev: Option<String>,
    next: Option<String>,
}

/// The home page: matched stories of the last 24 hours (by default), newest first, with their
/// acknowledgements; filters and paging as query parameters.
pub async fn stories(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
    Query(f): Query<Filter>,
) -> Result<Response, Failure> {
    let page = f.page.unwrap_or(1).max(1);
    let shown = Shown {
        watchlist: f.watchlist.trim().to_string(),
        feed: f.feed.trim().to_string(),
        since: if f.since.trim().is_empty() {
            "24h".into()
        } else {
            f.since.trim().to_string()
        },
        q: f.q.trim().to_string(),
        unacked: f.unacked.is_some(),
        all: f.all.is_some(),
    };
    let now = Utc::now();
    let (since, mut error) = match crate::timespec::parse_time(&shown.since, now) {
        Ok(t) => (Some(t), None),
        Err(e) => (None, Some(format!("Published since: {e}"))),
    };
    let query = ListQuery {
        since,
        feed: Some(shown.feed.clone()).filter(|s| !s.is_empty()),
        watchlist: Some(shown.watchlist.clone()).filter(|s| !s.is_empty()),
        matched_only: !shown.all,
        unacked: shown.unacked,
        limit: Some((page * PAGE + 1) as u64),
        ..ListQuery::default()
    };
    let text = shown.q.clone();
    let found = read(&state, move |r| Ok(stories_for(r, &query, &text))).await?;
    let (mut stories, search_error) = match found {
        Ok(s) => (s, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    error = error.or(search_error);
    let more = stories.len() > page * PAGE;
    stories.truncate(page * PAGE);
    let rows: Vec<Row> = stories
        .into_iter()
        .skip((page - 1) * PAGE)
        .map(row)
        .collect();
    let catalog = state.catalog.borrow().clone();
    let link = |p: usize| link_to(&shown, p);
    let body = StoriesPage {
        csrf: viewer.csrf.clone(),
        back: link(page),
        prev: (page > 1).then(|| link(page - 1)),
        next: more.then(|| link(page + 1)),
        viewer: Some(viewer),
        filter: shown,
        watchlists: catalog.watchlists,
        feeds: catalog.feeds,
        rows,
        error,
    }
    .render()?;
    Ok(Html(body).into_response())
}

/// Stories matching `q`, and, when `text` is a search, only the stories of its best 1,000
/// hits (in the order `list` gives). A mistake in the search is the message to show.
pub(super) fn stories_for(
    r: &crate::store::Reader,
    q: &ListQuery,
    text: &str,
) -> Result<Vec<ListedStory>, String> {
    if text.is_empty() {
        return r.stories(q).map_err(|e| e.to_string());
    }
    let hits = r
        .search(&crate::store::search::SearchQuery {
            text: text.to_string(),
            since: q.since,
            until: q.until,
            feed: q.feed.clone(),
            watchlist: q.watchlist.clone(),
            limit: SEARCH_HITS,
        })
        .map_err(|e| format!("Search: {e}"))?;
    let mut ids: Vec<i64> = hits.iter().filter_map(|h| h.story_id).collect();
    ids.sort_unstable();
    ids.dedup();
    r.stories(&ListQuery {
        stories: Some(ids),
        ..q.clone()
    })
    .map_err(|e| e.to_string())
}

fn link_to(f: &Shown, page: usize) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("watchlist", &f.watchlist),
        ("feed", &f.feed),
        ("since", &f.since),
        ("q", &f.q),
    ] {
        if !v.is_empty() {
            q.append_pair(k, v);
        }
    }
    if f.unacked {
        q.append_pair("unacked", "1");
    }
    if f.all {
        q.append_pair("all", "1");
    }
    if page > 1 {
        q.append_pair("page", &page.to_string());
    }
    let q = q.finish();
    if q.is_empty() {
        "/".into()
    } else {
        format!("/?{q}")
    }
}

fn row(s: ListedStory) -> Row {
    let terms: Vec<String> = s
        .members
        .iter()
        .flat_map(|m| m.item.matches.iter())
        .flat_map(|m| m.hits.iter())
        .filter(|h| matches!(h.field, crate::config::Field::Title))
        .map(|h| h.text.clone())
        .collect();
    Row {
        id: s.id,
        published: local(s.published),
        seen: local(s.seen),
        headline: marked(&s.title, &terms),
        first_source: s.first_source,
        outlets: s.outlets,
        watchlists: s.watchlists.join(", "),
        acked_by: s.acked_by,
    }
}

/// `text` cut into parts, those that are one of `marks` (case-insensitively) flagged.
pub fn marked(text: &str, marks: &[String]) -> Vec<(String, bool)> {
    let lower = text.to_lowercase();
    // Lower-casing keeps byte offsets only where it keeps lengths; otherwise mark nothing.
    if lower.len() != text.len() {
        return vec![(text.to_string(), false)];
    }
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for m in marks
        .iter()
        .map(|m| m.to_lowercase())
        .filter(|m| !m.is_empty())
    {
        let mut from = 0;
        while let Some(i) = lower[from..].find(&m) {
            let (s, e) = (from + i, from + i + m.len());
            if text.is_char_boundary(s) && text.is_char_boundary(e) {
                spans.push((s, e));
            }
            from = e;
        }
    }
    spans.sort_unstable_by_key(|&(s, e)| (s, std::cmp::Reverse(e)));
    let mut parts = Vec::new();
    let mut at = 0;
    for (s, e) in spans {
        if s < at {
            continue;
        }
        if s > at {
            parts.push((text[at..s].to_string(), false));
        }
        parts.push((text[s..e].to_string(), true));
        at = e;
    }
    if at < text.len() {
        parts.push((text[at..].to_string(), false));
    }
    parts
}

fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string()
}

pub struct MemberRow {
    pub seen: String,
    pub delay: String,
    pub feed: String,
    pub title: String,
    /// Only http(s) links become links.
    pub link: Option<String>,
}

pub struct Why {
    pub watchlist: String,
    pub feed: String,
    pub term: String,
    pub field: String,
    pub snippet: String,
}

pub struct AlertRow {
    pub watchlist: String,
    pub created_at: String,
    pub deliveries: Vec<String>,
}

#[derive(Template)]
#[template(path = "story.html")]
struct StoryPage {
    viewer: Option<Viewer>,
    csrf: String,
    id: i64,
    title: String,
    published: String,
    seen: String,
    first_source: String,
    outlets: i64,
    items: i64,
    updates: i64,
    watchlists: String,
    acked_by: Option<String>,
    acked_at: String,
    ack_note: Option<String>,
    members: Vec<MemberRow>,
    why: Vec<Why>,
    alerts: Vec<AlertRow>,
}

/// One story: its timeline, why it matched, its alerts and their deliveries.
pub async fn story(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, Failure> {
    let found = read(&state, move |r| Ok((r.story(id)?, r.story_alerts(id)?))).await?;
    let (Some(s), alerts) = found else {
        return Ok((StatusCode::NOT_FOUND, "no such story").into_response());
    };
    let members = s
        .members
        .iter()
        .map(|m| MemberRow {
            seen: local(m.item.seen),
            delay: format!("+{}", crate::timespec::duration(m.delay_secs)),
            feed: m.item.feed.clone(),
            title: m.item.title.clone(),
            link: m.item.link.clone().filter(|l| web_link(l)),
        })
        .collect();
    let why = s
        .members
        .iter()
        .flat_map(|m| {
            m.item.matches.iter().flat_map(move |mt| {
                mt.hits.iter().map(move |h| Why {
                    watchlist: mt.watchlist.clone(),
                    feed: m.item.feed.clone(),
                    term: h.term.clone(),
                    field: h.field.as_str().to_string(),
                    snippet: h.snippet.clone(),
                })
            })
        })
        .collect();
    let alerts = alerts
        .into_iter()
        .map(|a| AlertRow {
            watchlist: a.watchlist,
            created_at: local(a.created_at),
            deliveries: a
                .deliveries
                .into_iter()
                .map(|d| match (d.state.as_str(), d.delivered_at) {
                    ("delivered", Some(t)) => format!("{}: delivered {}", d.sink, local(t)),
                    _ => format!(
                        "{}: {} after {} attempt(s){}",
                        d.sink,
                        d.state,
                        d.attempts,
                        d.last_error.map(|e| format!(" ({e})")).unwrap_or_default()
                    ),
                })
                .collect(),
        })
        .collect();
    let body = StoryPage {
        csrf: viewer.csrf.clone(),
        viewer: Some(viewer),
        id: s.id,
        title: s.title,
        published: local(s.published),
        seen: local(s.seen),
        first_source: s.first_source,
        outlets: s.outlets,
        items: s.items,
        updates: s.updates,
        watchlists: s.watchlists.join(", "),
        acked_by: s.acked_by,
        acked_at: s.acked_at.map(local).unwrap_or_default(),
        ack_note: s.ack_note,
        members,
        why,
        alerts,
    }
    .render()?;
    Ok(Html(body).into_response())
}

/// Whether `link` may be a link on a page: http(s) only (`javascript:`, `data:` never).
pub fn web_link(link: &str) -> bool {
    url::Url::parse(link).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

#[derive(Deserialize)]
pub struct AckForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    back: String,
}

/// Acknowledges a story for the signed-in editor (form post), then goes back.
pub async fn ack(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<AckForm>,
) -> Result<Response, Failure> {
    if !form_allowed(&viewer, &f.csrf, &headers) {
        return Ok((
            StatusCode::FORBIDDEN,
            "the form expired or came from another site; reload the page",
        )
            .into_response());
    }
    let note = Some(f.note.trim().to_string()).filter(|n| !n.is_empty());
    let found = super::api::acknowledge(&state, id, &viewer.user, note).await?;
    if !found {
        return Ok((StatusCode::NOT_FOUND, "no such story").into_response());
    }
    // Back to a page of this site only.
    let back = if f.back.starts_with('/') && !f.back.starts_with("//") {
        f.back
    } else {
        "/".into()
    };
    Ok(Redirect::to(&back).into_response())
}

pub struct FeedLine {
    pub name: String,
    pub health: &'static str,
    pub last_fetch: String,
    pub result: String,
    pub interval: String,
    pub next_poll: String,
    pub warnings: String,
}

#[derive(Template)]
#[template(path = "feeds.html")]
struct FeedsPage {
    viewer: Option<Viewer>,
    rows: Vec<FeedLine>,
}

/// The feeds as `status` shows them: health, last result, interval and why, warnings.
pub async fn feeds(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
) -> Result<Response, Failure> {
    let rows = read(&state, |r| Ok(r.feeds()?)).await?;
    let configured = state.catalog.borrow().feeds.clone();
    let rows = rows
        .into_iter()
        .filter(|f| configured.is_empty() || configured.contains(&f.name))
        .map(|f| {
            let health = if f.retired_at.is_some() {
                "retired"
            } else if f.error_streak > 0 {
                "failing"
            } else if f.stale {
                "stale"
            } else if f.last_fetch_at.is_none() {
                "new"
            } else {
                "ok"
            };
            let mut warnings = Vec::new();
            if let Some(e) = &f.last_error {
                warnings.push(format!("{} failure(s) in a row: {e}", f.error_streak));
            }
            if let Some(w) = &f.last_warning {
                warnings.push(format!("last body: {w}"));
            }
            if f.stale {
                warnings.push("silent for longer than usual".into());
            }
            if f.overflow_at.is_some() {
                warnings.push("items were probably missed at the last fetch".into());
            }
            if f.moved_at.is_some() {
                warnings.push(format!("moved to {}", f.url));
            }
            FeedLine {
                name: f.name,
                health,
                last_fetch: f.last_fetch_at.map(local).unwrap_or_default(),
                result: f.last_result.unwrap_or_default().replace('_', " "),
                interval: match (f.interval_secs, f.interval_reason) {
                    (Some(s), Some(r)) => format!("{} ({r})", crate::timespec::duration(s)),
                    (Some(s), None) => crate::timespec::duration(s),
                    _ => String::new(),
                },
                next_poll: f.next_poll_at.map(local).unwrap_or_default(),
                warnings: warnings.join("; "),
            }
        })
        .collect();
    Ok(Html(
        FeedsPage {
            viewer: Some(viewer),
            rows,
        }
        .render()?,
    )
    .into_response())
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    viewer: Option<Viewer>,
    csrf: String,
    user: String,
    error: Option<String>,
}

/// The pre-session CSRF cookie of the sign-in form.
const LOGIN_CSRF: &str = "aggregator_login";

/// The sign-in form, with a CSRF token bound to a cookie of its own.
pub async fn login_form() -> Result<Response, Failure> {
    login_page(StatusCode::OK, String::new(), None)
}

fn login_page(
    status: StatusCode,
    user: String,
    error: Option<String>,
) -> Result<Response, Failure> {
    let csrf = session::random_token();
    let body = LoginPage {
        viewer: None,
        csrf: csrf.clone(),
        user,
        error,
    }
    .render()?;
    let mut response = (status, Html(body)).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&format!(
            "{LOGIN_CSRF}={csrf}; Path=/login; HttpOnly; SameSite=Strict"
        ))?,
    );
    Ok(response)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

/// Signs in: the form's CSRF token must be the one its cookie holds; a wrong password is 401
/// with the form again; too many failures for the user or the address are 429.
pub async fn login(
    State(state): State<Arc<WebState>>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, Failure> {
    let expected = super::cookie(&headers, LOGIN_CSRF).unwrap_or_default();
    if expected.is_empty() || !session::same(&f.csrf, &expected) {
        return Ok((StatusCode::FORBIDDEN, "the sign-in form expired; reload it").into_response());
    }
    let addr = Some(peer.ip());
    let user = f.user.trim().to_string();
    if !state.attempts.allowed(&user, addr) {
        return login_page(
            StatusCode::TOO_MANY_REQUESTS,
            user,
            Some("Too many failed attempts; try again in 15 minutes.".into()),
        );
    }
    let access = state.access.borrow().clone();
    let users = access.users.clone();
    let (name, password) = (user.clone(), f.password);
    // Argon2 is deliberately slow: off the async workers.
    let ok = tokio::task::spawn_blocking(move || {
        crate::auth::authenticate(&users, &name, &password).is_some()
    })
    .await?;
    if !ok {
        state.attempts.failed(&user, addr);
        tracing::warn!(user = %user, addr = ?addr, "web sign-in failed");
        return login_page(
            StatusCode::UNAUTHORIZED,
            user,
            Some("Wrong user name or password.".into()),
        );
    }
    state.attempts.succeeded(&user);
    let (token, _) = state.sessions.open(&user, access.session);
    tracing::info!(user = %user, "web sign-in");
    let secure = if access.secure_cookie { "; Secure" } else { "" };
    let mut response = Redirect::to("/").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&format!(
            "{}={token}; Path=/; HttpOnly; SameSite=Strict{secure}",
            session::COOKIE
        ))?,
    );
    Ok(response)
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

/// Signs out (ends the session) and goes to the sign-in form.
pub async fn logout(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
    headers: HeaderMap,
    Form(f): Form<LogoutForm>,
) -> Result<Response, Failure> {
    if !form_allowed(&viewer, &f.csrf, &headers) {
        return Ok((StatusCode::FORBIDDEN, "the form expired; reload the page").into_response());
    }
    if let Some(token) = super::cookie(&headers, session::COOKIE) {
        state.sessions.close(&token);
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&format!(
            "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
            session::COOKIE
        ))?,
    );
    Ok(response)
}

/// Server-Sent Events: a `stories` event whenever stored stories changed. Ends when the daemon
/// stops.
pub async fn events(
    State(state): State<Arc<WebState>>,
    _viewer: Viewer,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let changes = state.changes.subscribe();
    let stop = state.stop.clone();
    let stream =
        futures_util::stream::unfold((changes, stop), |(mut changes, mut stop)| async move {
            let ended = tokio::select! {
                changed = changes.changed() => changed.is_err(),
                _ = stop.wait_for(|s| *s) => true,
            };
            if ended {
                return None;
            }
            let n = *changes.borrow_and_update();
            let event = Event::default().event("stories").data(n.to_string());
            Some((Ok(event), (changes, stop)))
        });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

pub async fn app_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("assets/app.js"),
    )
}

pub async fn style_css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("assets/style.css"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headlines_are_cut_around_matched_words() {
        let parts = marked("Kishida meets KIM Yo-jong", &["kim yo-jong".into()]);
        assert_eq!(
            parts,
            vec![
                ("Kishida meets ".into(), false),
                ("KIM Yo-jong".into(), true)
            ]
        );
        assert_eq!(
            marked("북한은 오늘", &["북한".into()])[0],
            ("북한".into(), true)
        );
        assert_eq!(marked("abc", &[]), vec![("abc".into(), false)]);
    }

    #[test]
    fn only_web_links_are_links() {
        assert!(web_link("https://en.yna.co.kr/view/1"));
        assert!(!web_link("javascript:alert(1)"));
        assert!(!web_link("data:text/html,<b>x</b>"));
        assert!(!web_link("not a url"));
    }
}
