//! The JSON API beside the pages: `GET /api/stories` (the parameters of `list`'s flags) and
//! `GET /api/stories/{id}` answer exactly what `list --format json` and `show --format json`
//! print; `POST /api/stories/{id}/ack` acknowledges. Same identities as the pages; a caller
//! with an API token (`Authorization: Bearer`) needs no CSRF token, a browser session sends its
//! token in an `X-CSRF-Token` header.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;

use super::{Failure, Viewer, WebState, form_allowed, read};
use crate::store::query::ListQuery;

/// `list`'s flags as query parameters.
#[derive(Debug, Default, Deserialize)]
pub struct StoriesParams {
    since: Option<String>,
    until: Option<String>,
    watchlist: Option<String>,
    feed: Option<String>,
    q: Option<String>,
    #[serde(default)]
    unacked: Option<String>,
    #[serde(default)]
    matched: Option<String>,
    limit: Option<u64>,
}

fn bad_request(message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(serde_json::json!({ "error": message })),
    )
        .into_response()
}

/// A flag given as a query parameter: present and not `0`/`false`.
fn flag(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|v| !matches!(v, "0" | "false"))
}

/// `GET /api/stories`: what `list --format json` prints for the same flags.
pub async fn stories(
    State(state): State<Arc<WebState>>,
    _viewer: Viewer,
    Query(p): Query<StoriesParams>,
) -> Result<Response, Failure> {
    let now = Utc::now();
    let time = |v: &Option<String>, name: &str| {
        v.as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| crate::timespec::parse_time(s, now).map_err(|e| format!("{name}: {e}")))
            .transpose()
    };
    let (since, until) = match (time(&p.since, "since"), time(&p.until, "until")) {
        (Ok(s), Ok(u)) => (s, u),
        (Err(e), _) | (_, Err(e)) => return Ok(bad_request(e)),
    };
    let query = ListQuery {
        since,
        until,
        feed: p.feed.filter(|s| !s.is_empty()),
        watchlist: p.watchlist.filter(|s| !s.is_empty()),
        matched_only: flag(&p.matched),
        unacked: flag(&p.unacked),
        limit: Some(p.limit.unwrap_or(100)),
        ..ListQuery::default()
    };
    let text = p.q.unwrap_or_default().trim().to_string();
    let found = read(&state, move |r| {
        Ok(super::pages::stories_for(r, &query, &text))
    })
    .await?;
    Ok(match found {
        Ok(stories) => Json(stories).into_response(),
        Err(e) => bad_request(e),
    })
}

/// `GET /api/stories/{id}`: what `show --format json` prints.
pub async fn story(
    State(state): State<Arc<WebState>>,
    _viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, Failure> {
    Ok(match read(&state, move |r| Ok(r.story(id)?)).await? {
        Some(s) => Json(s).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({ "error": format!("no story {id}") })),
        )
            .into_response(),
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct AckBody {
    note: Option<String>,
}

/// `POST /api/stories/{id}/ack` (optional JSON body `{"note": "…"}`): acknowledges the story
/// for the caller; answers the story's acknowledgement.
pub async fn ack(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Option<Json<AckBody>>,
) -> Result<Response, Failure> {
    if !viewer.token {
        let sent = headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !form_allowed(&viewer, sent, &headers) {
            return Ok((
                StatusCode::FORBIDDEN,
                Json(
                    serde_json::json!({ "error": "send an API token, or the page's X-CSRF-Token" }),
                ),
            )
                .into_response());
        }
    }
    let note = body
        .and_then(|Json(b)| b.note)
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    if !acknowledge(&state, id, &viewer.user, note.clone()).await? {
        return Ok((
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({ "error": format!("no story {id}") })),
        )
            .into_response());
    }
    let story = read(&state, move |r| Ok(r.story(id)?)).await?;
    Ok(Json(serde_json::json!({
        "id": id,
        "acked_by": story.as_ref().and_then(|s| s.acked_by.clone()),
        "acked_at": story.as_ref().and_then(|s| s.acked_at),
        "ack_note": story.as_ref().and_then(|s| s.ack_note.clone()),
    }))
    .into_response())
}

/// Records `user`'s acknowledgement of story `id` through the writer; false when there is no
/// such story. Open pages are told.
pub async fn acknowledge(
    state: &WebState,
    id: i64,
    user: &str,
    note: Option<String>,
) -> Result<bool, Failure> {
    let by = user.to_string();
    let done = state
        .writer
        .call(move |s| s.acknowledge(id, &by, note.as_deref(), Utc::now()))
        .await??;
    if done {
        tracing::info!(story = id, user = %user, "story acknowledged");
        state.changed();
    }
    Ok(done)
}
