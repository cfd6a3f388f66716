//! `[web]`: the desk in a browser. Where the web view listens, the base of the links it gives
//! out, who may sign in (`[[web.user]]`) and whether a reverse proxy's header names the user.
//!
//! Only hashes are configured: an argon2 PHC string per user and SHA-256 hashes of API tokens.
//! Making and checking them is the `auth` module's; here a hash is only checked to be usable,
//! so a broken one is reported at its line and column rather than as a failed sign-in.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::ops::Range;
use std::time::Duration;

use argon2::PasswordHash;
use toml::Spanned;
use url::Url;

use super::error::{ConfigError, Source};
use super::raw::{RawWeb, RawWebUser};
use super::values::bounded;

/// Where the web view listens when `[web]` names no `listen` address.
pub const WEB_LISTEN: &str = "127.0.0.1:8080";

/// How long a sign-in lasts when `[web]` sets no `session_hours`.
pub const SESSION_HOURS: u64 = 12;

/// The longest `session_hours` allowed: 30 days.
const MAX_SESSION_HOURS: i64 = 30 * 24;

/// The web view's settings (`[web]`). The default is disabled, on [`WEB_LISTEN`], no users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebConfig {
    /// Whether `aggregator run` serves the web view.
    pub enabled: bool,
    /// Where it listens. An address other than loopback is only accepted when `users` or a
    /// `trusted_proxy` are configured: otherwise anyone who can reach it would be let in.
    pub listen: SocketAddr,
    /// The address users reach the web view at, for links in alerts. Its path always ends in
    /// `/`, so [`Url::join`] with a relative path (`story/42`) stays below it.
    pub base_url: Option<Url>,
    /// The request header in which an authenticating reverse proxy names the signed-in user
    /// (e.g. `X-Forwarded-User`). Trusted only when set; the proxy must be the only way in.
    pub trusted_proxy: Option<String>,
    /// How long a sign-in lasts.
    pub session: Duration,
    /// Who may sign in (`[[web.user]]`), names unique.
    pub users: Vec<WebUser>,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            listen: WEB_LISTEN.parse().expect("valid default"),
            base_url: None,
            trusted_proxy: None,
            session: Duration::from_secs(SESSION_HOURS * 3600),
            users: Vec::new(),
        }
    }
}

/// One `[[web.user]]`. Its `Debug` form leaves out the hashes.
#[derive(Clone, PartialEq, Eq)]
pub struct WebUser {
    /// Unique, printable, without `:`.
    pub name: String,
    /// An argon2 PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`); it parses.
    pub password_hash: String,
    /// SHA-256 hashes of the user's API tokens, 64 lowercase hex digits each.
    pub token_hashes: Vec<String>,
}

impl fmt::Debug for WebUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebUser")
            .field("name", &self.name)
            .field("tokens", &self.token_hashes.len())
            .finish_non_exhaustive()
    }
}

/// Whether `name` can name a `[[web.user]]`: non-empty printable text without `:` (HTTP Basic
/// credentials separate the name from the password with it). The problem otherwise.
pub fn check_user_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() || name.chars().any(char::is_control) {
        return Err("must be non-empty printable text".into());
    }
    if name.trim() != name {
        return Err("must not start or end with white space".into());
    }
    if name.contains(':') {
        return Err(
            "must not contain ':' (HTTP sign-in separates name and password with it)".into(),
        );
    }
    Ok(())
}

/// Whether `phc` is an argon2 password hash in the PHC string format with parameters argon2
/// accepts. The problem otherwise (without the string: it is long, and a hash).
pub fn check_password_hash(phc: &str) -> Result<(), String> {
    let hint = "`aggregator user add NAME` prints one";
    let hash = PasswordHash::new(phc)
        .map_err(|e| format!("not a PHC string like \"$argon2id$v=19$…\" ({hint}): {e}"))?;
    argon2::Algorithm::try_from(hash.algorithm.as_str()).map_err(|_| {
        format!(
            "algorithm {:?} is not argon2 (argon2id, argon2i or argon2d; {hint})",
            hash.algorithm.as_str()
        )
    })?;
    argon2::Params::try_from(&hash).map_err(|e| format!("argon2 parameters not usable: {e}"))?;
    if hash.salt.is_none() || hash.hash.is_none() {
        return Err(format!("the salt or the hash is missing ({hint})"));
    }
    Ok(())
}

/// `[web]` and its `[[web.user]]` tables.
pub(super) fn web(raw: Option<&RawWeb>, src: Source) -> Result<WebConfig, ConfigError> {
    let mut web = WebConfig::default();
    let Some(w) = raw else {
        return Ok(web);
    };
    web.enabled = w.enabled.unwrap_or(false);
    if let Some(v) = &w.base_url {
        web.base_url =
            Some(base_url(v.get_ref()).map_err(|m| src.invalid(v.span(), "web.base_url", m))?);
    }
    if let Some(v) = &w.trusted_proxy {
        let header = v.get_ref().trim();
        header_name(header).map_err(|m| src.invalid(v.span(), "web.trusted_proxy", m))?;
        web.trusted_proxy = Some(header.to_string());
    }
    if let Some(v) = &w.session_hours {
        let hours = bounded(v, 1..=MAX_SESSION_HOURS)
            .map_err(|m| src.invalid(v.span(), "web.session_hours", m))?;
        web.session = Duration::from_secs(hours.unsigned_abs() * 3600);
    }
    web.users = users(&w.users, src)?;
    if let Some(v) = &w.listen {
        web.listen = listen(v, &web, src)?;
    }
    Ok(web)
}

/// `web.listen`: an address; one other than loopback only with users or a trusted proxy.
fn listen(v: &Spanned<String>, web: &WebConfig, src: Source) -> Result<SocketAddr, ConfigError> {
    let invalid = |m| src.invalid(v.span(), "web.listen", m);
    let addr = v.get_ref().trim().parse::<SocketAddr>().map_err(|e| {
        invalid(format!(
            "{:?} is not an address like \"{WEB_LISTEN}\": {e}",
            v.get_ref()
        ))
    })?;
    if !addr.ip().is_loopback() && web.users.is_empty() && web.trusted_proxy.is_none() {
        return Err(invalid(format!(
            "{addr} is reachable from other machines, and no one would have to sign in: \
             add [[web.user]] tables (`aggregator user add NAME`) or a trusted_proxy, \
             or listen on 127.0.0.1"
        )));
    }
    Ok(addr)
}

/// `web.base_url`: an http(s) URL with a host, its path ending in `/`.
fn base_url(s: &str) -> Result<Url, String> {
    let mut url = Url::parse(s.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| format!("{s:?} is not an http(s) URL like \"https://desk.example.com/\""))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{s:?}: a base URL has no query or fragment"));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// `web.trusted_proxy`: an HTTP header name (a token of RFC 9110).
fn header_name(s: &str) -> Result<(), String> {
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if s.is_empty() || !s.chars().all(token) {
        return Err(format!(
            "{s:?} is not an HTTP header name like \"X-Forwarded-User\""
        ));
    }
    Ok(())
}

/// `[[web.user]]`: names unique, hashes usable, no token hash given to two users.
fn users(raw: &[Spanned<RawWebUser>], src: Source) -> Result<Vec<WebUser>, ConfigError> {
    let mut users = Vec::with_capacity(raw.len());
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut tokens: HashMap<String, (String, usize)> = HashMap::new();
    for u in raw {
        let u = u.get_ref();
        let name = u.name.get_ref().as_str();
        check_user_name(name).map_err(|m| src.invalid(u.name.span(), "web.user.name", m))?;
        if let Some(first) = names.get(name) {
            return Err(src.invalid(
                u.name.span(),
                "web.user.name",
                format!("duplicate user name {name:?} (first defined on line {first})"),
            ));
        }
        names.insert(name.to_string(), src.line(u.name.span().start));
        let invalid = |span: Range<usize>, key: &str, m: String| {
            src.invalid(span, key, format!("user {name:?}: {m}"))
        };
        let phc = u.password_hash.get_ref().trim();
        check_password_hash(phc)
            .map_err(|m| invalid(u.password_hash.span(), "web.user.password_hash", m))?;
        let mut token_hashes = Vec::with_capacity(u.tokens.len());
        for t in &u.tokens {
            let hash =
                token_hash(t.get_ref()).map_err(|m| invalid(t.span(), "web.user.tokens", m))?;
            if let Some((owner, line)) = tokens.get(&hash) {
                return Err(invalid(
                    t.span(),
                    "web.user.tokens",
                    format!("this token hash is already given to user {owner:?} (line {line})"),
                ));
            }
            tokens.insert(hash.clone(), (name.to_string(), src.line(t.span().start)));
            token_hashes.push(hash);
        }
        users.push(WebUser {
            name: name.to_string(),
            password_hash: phc.to_string(),
            token_hashes,
        });
    }
    Ok(users)
}

/// A token hash: 64 hex digits (SHA-256), returned in lower case.
fn token_hash(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.starts_with("agg_") {
        // The token itself would let anyone who reads the config sign in.
        return Err("this is a token, not its hash: put the hash here (`aggregator user token NAME` prints both)".into());
    }
    if s.len() != 64 || !s.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(
            "not a token hash (64 hex digits, as `aggregator user token NAME` prints)".into(),
        );
    }
    Ok(s.to_ascii_lowercase())
}
