//! The desk in a browser: a small server-rendered web view served by `aggregator run` beside
//! the daemon's other tasks. Pages ([`pages`]): stories (the home page), one story's timeline,
//! feeds, sign-in, the watchlists and their editor ([`watchlists`]); a JSON API ([`api`]) that returns exactly what `list`/`show --format json`
//! print; Server-Sent Events that tell open pages when stories changed.
//!
//! Reads go through their own read-only connections ([`crate::store::Reader`], one per request,
//! on the blocking pool); the writes the pages make (acknowledgements, the watchlist change log,
//! re-checks) are jobs of the daemon's writer. A saved watchlist file is reloaded as on SIGHUP. Who is asking ([`Viewer`]) comes from a session cookie, an API token
//! (`Authorization: Bearer`), or a trusted reverse proxy's header; with no users and no proxy
//! configured (allowed on a loopback address only) everyone is the local user `local`.
//! Every response carries a strict Content-Security-Policy; every form carries a CSRF token.

mod api;
mod pages;
pub mod session;
mod watchlists;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, watch};

use crate::store::Writer;
use session::{Attempts, Session, Sessions};

/// How the web view decides who is asking; replaced whole on a reload.
#[derive(Debug, Clone, Default)]
pub struct Access {
    pub users: Vec<crate::config::WebUser>,
    /// A reverse proxy's authenticated-user header, trusted when set.
    pub trusted_proxy: Option<String>,
    /// How long a session lasts.
    pub session: Duration,
    /// Whether the session cookie is marked `Secure` (the view is reached over https).
    pub secure_cookie: bool,
}

impl Access {
    /// Whether nobody needs to sign in (no users, no proxy: a loopback-only view).
    fn open(&self) -> bool {
        self.users.is_empty() && self.trusted_proxy.is_none()
    }
}

/// The names the filters offer: configured watchlists and feeds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    pub watchlists: Vec<String>,
    pub feeds: Vec<String>,
}

/// What the watchlist editor needs from the daemon: the main config (the watchlist file is the
/// one it names, read at each request so a reload that names another is followed) and how to
/// ask for a reload after a save.
#[derive(Debug, Clone, Default)]
pub struct Editing {
    pub config: PathBuf,
    /// The daemon's reload requests (as SIGHUP); `None`: nothing to reload.
    pub reload: Option<mpsc::Sender<()>>,
}

/// What every request handler shares.
pub struct WebState {
    pub database: PathBuf,
    pub writer: Arc<Writer>,
    pub access: watch::Receiver<Access>,
    /// Bumped whenever stored stories change (new or updated items, acknowledgements): open
    /// pages refresh their list.
    pub changes: watch::Sender<u64>,
    /// The configured watchlists and feeds, for the filters; replaced on a reload.
    pub catalog: watch::Receiver<Catalog>,
    /// Turns true when the daemon stops: open event streams end.
    pub stop: watch::Receiver<bool>,
    /// The config files the watchlist editor edits, and the daemon's reload.
    pub editing: Editing,
    sessions: Sessions,
    attempts: Attempts,
    /// For the CSRF tokens of requests without a session (proxy or open access): per process.
    secret: String,
}

impl WebState {
    /// A web view without a watchlist editor's files or reload (`Editing::default()`).
    pub fn new(
        database: PathBuf,
        writer: Arc<Writer>,
        access: watch::Receiver<Access>,
        catalog: watch::Receiver<Catalog>,
        stop: watch::Receiver<bool>,
    ) -> Arc<Self> {
        Self::editing(database, writer, access, catalog, stop, Editing::default())
    }

    /// [`WebState::new`], with the files the watchlist editor edits and the daemon's reload.
    pub fn editing(
        database: PathBuf,
        writer: Arc<Writer>,
        access: watch::Receiver<Access>,
        catalog: watch::Receiver<Catalog>,
        stop: watch::Receiver<bool>,
        editing: Editing,
    ) -> Arc<Self> {
        Arc::new(Self {
            database,
            writer,
            access,
            changes: watch::channel(0).0,
            catalog,
            stop,
            editing,
            sessions: Sessions::default(),
            attempts: Attempts::default(),
            secret: session::random_token(),
        })
    }

    /// Tells open pages that stories changed.
    pub fn changed(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    fn derived_csrf(&self, user: &str) -> String {
        let mut h = Sha256::new();
        h.update(self.secret.as_bytes());
        h.update([0]);
        h.update(user.as_bytes());
        crate::text::hex(&h.finalize())
    }
}

/// Who may use the web view, from the config.
pub fn access(config: &crate::config::Config) -> Access {
    let web = &config.web;
    Access {
        users: web.users.clone(),
        trusted_proxy: web.trusted_proxy.clone(),
        session: web.session,
        secure_cookie: web.base_url.as_ref().is_some_and(|u| u.scheme() == "https"),
    }
}

/// The watchlist and feed names the filters offer, from the config.
pub fn catalog(config: &crate::config::Config) -> Catalog {
    Catalog {
        watchlists: config.watchlists.iter().map(|w| w.name.clone()).collect(),
        feeds: config.feeds.iter().map(|f| f.name.clone()).collect(),
    }
}

/// The router of every page and API call.
pub fn router(state: Arc<WebState>) -> Router {
    Router::new()
        .route("/", get(pages::stories))
        .route("/stories/{id}", get(pages::story))
        .route("/stories/{id}/ack", post(pages::ack))
        .route("/feeds", get(pages::feeds))
        .route("/watchlists", get(watchlists::list))
        .route(
            "/watchlists/{name}",
            get(watchlists::form).post(watchlists::save),
        )
        .route("/watchlists/{name}/recheck", post(watchlists::recheck))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/events", get(pages::events))
        .route("/static/app.js", get(pages::app_js))
        .route("/static/style.css", get(pages::style_css))
        .route("/api/stories", get(api::stories))
        .route("/api/stories/{id}", get(api::story))
        .route("/api/stories/{id}/ack", post(api::ack))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// Serves the web view on `listener` until `stop` turns true. Open event streams end then
/// too, so a shutdown never waits on a browser.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<WebState>,
    stop: watch::Receiver<bool>,
) {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "web view listening");
    }
    let mut until = stop.clone();
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = until.wait_for(|s| *s).await;
        })
        .await;
    if let Err(e) = served {
        tracing::error!(error = %e, "web view stopped");
    }
}

/// Headers on every response: a strict Content-Security-Policy (only this server's scripts and
/// styles, no inline script, no framing), no sniffing, no referrer to other sites.
async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// Who is asking, and the CSRF token their forms carry.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: String,
    pub csrf: String,
    /// Signed in with a session cookie (may sign out).
    pub session: bool,
    /// Came with an API token: forms are not theirs, and no CSRF check applies.
    pub token: bool,
}

/// A request without a valid identity: pages redirect to the sign-in form, the API answers 401.
pub struct Unauthenticated {
    api: bool,
}

impl IntoResponse for Unauthenticated {
    fn into_response(self) -> Response {
        if self.api {
            (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                axum::Json(serde_json::json!({"error": "sign in or send an API token"})),
            )
                .into_response()
        } else {
            axum::response::Redirect::to("/login").into_response()
        }
    }
}

impl FromRequestParts<Arc<WebState>> for Viewer {
    type Rejection = Unauthenticated;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<WebState>,
    ) -> Result<Self, Self::Rejection> {
        let api = parts.uri.path().starts_with("/api/");
        identify(&parts.headers, state).ok_or(Unauthenticated { api })
    }
}

fn identify(headers: &HeaderMap, state: &WebState) -> Option<Viewer> {
    let access = state.access.borrow().clone();
    if let Some(token) = bearer(headers) {
        let user = crate::auth::token_user(&access.users, &token)?;
        return Some(Viewer {
            user: user.name.clone(),
            csrf: String::new(),
            session: false,
            token: true,
        });
    }
    if let Some(s) = cookie(headers, session::COOKIE).and_then(|t| state.sessions.get(&t))
        && access.users.iter().any(|u| u.name == s.user)
    {
        let Session { user, csrf } = s;
        return Some(Viewer {
            user,
            csrf,
            session: true,
            token: false,
        });
    }
    if let Some(name) = &access.trusted_proxy
        && let Some(user) = headers
            .get(name.as_str())
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|u| !u.is_empty() && !u.chars().any(char::is_control))
    {
        return Some(Viewer {
            user: user.to_string(),
            csrf: state.derived_csrf(user),
            session: false,
            token: false,
        });
    }
    if access.open() {
        return Some(Viewer {
            user: "local".into(),
            csrf: state.derived_csrf("local"),
            session: false,
            token: false,
        });
    }
    None
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
        .filter(|t| !t.is_empty())
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Whether a form's CSRF token is the viewer's, and the request comes from this site (an
/// `Origin` header, when the browser sends one, names the host the request was sent to).
fn form_allowed(viewer: &Viewer, token: &str, headers: &HeaderMap) -> bool {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let same_origin = headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .is_none_or(|o| {
            o.strip_prefix("http://")
                .or_else(|| o.strip_prefix("https://"))
                == Some(host)
        });
    !viewer.token && !viewer.csrf.is_empty() && session::same(token, &viewer.csrf) && same_origin
}

/// A failure inside a handler: logged, and answered 500 without detail.
pub struct Failure(anyhow::Error);

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        tracing::error!(error = %format!("{:#}", self.0), "web request failed");
        (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
    }
}

/// Runs a read against the database on the blocking pool.
async fn read<T: Send + 'static>(
    state: &WebState,
    f: impl FnOnce(&crate::store::Reader) -> Result<T, anyhow::Error> + Send + 'static,
) -> Result<T, Failure> {
    let path = state.database.clone();
    let out = tokio::task::spawn_blocking(move || {
        let reader = crate::store::Reader::open(&path)?;
        f(&reader)
    })
    .await??;
    Ok(out)
}
