//! Getting a feed's bytes: HTTP(S) with conditional GET (ETag / Last-Modified), connect and total
//! timeouts, a cap on the (decompressed) body size, gzip/brotli/deflate, redirects; and
//! `file://` URLs, where the file's modification time serves as the validator.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{
    CACHE_CONTROL, CONTENT_TYPE, DATE, ETAG, EXPIRES, HeaderMap, IF_MODIFIED_SINCE, IF_NONE_MATCH,
    LAST_MODIFIED, LOCATION, RETRY_AFTER,
};
use url::Url;

/// Cache validators held for a feed between fetches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// Most redirects followed for one fetch.
const MAX_REDIRECTS: usize = 10;

/// What the server said about when to ask again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hints {
    /// `Cache-Control: max-age`, or `Expires` minus `Date`: the response stays fresh this long.
    pub fresh_for: Option<Duration>,
    /// `Retry-After` (seconds or an HTTP date), sent with 429 and 503.
    pub retry_after: Option<Duration>,
}

impl Hints {
    /// Reads the hints from response headers; `now` stands in for a missing `Date` header.
    pub fn from_headers(h: &HeaderMap, now: chrono::DateTime<chrono::Utc>) -> Self {
        let text = |name: reqwest::header::HeaderName| h.get(name).and_then(|v| v.to_str().ok());
        let date = text(DATE).and_then(http_date).unwrap_or(now);
        let mut fresh_for = None;
        if let Some(cc) = text(CACHE_CONTROL) {
            let directives: Vec<String> = cc
                .split(',')
                .map(|d| d.trim().to_ascii_lowercase())
                .collect();
            if directives
                .iter()
                .any(|d| d == "no-cache" || d == "no-store")
            {
                fresh_for = Some(Duration::ZERO);
            } else if let Some(secs) = directives
                .iter()
                .find_map(|d| d.strip_prefix("max-age="))
                .and_then(|s| s.trim_matches('"').parse::<u64>().ok())
            {
                fresh_for = Some(Duration::from_secs(secs));
            }
        }
        if fresh_for.is_none()
            && let Some(expires) = text(EXPIRES).and_then(http_date)
        {
            fresh_for = Some((expires - date).to_std().unwrap_or(Duration::ZERO));
        }
        let retry_after = text(RETRY_AFTER).and_then(|r| {
            let r = r.trim();
            r.parse::<u64>()
                .ok()
                .map(Duration::from_secs)
                .or_else(|| http_date(r).map(|at| (at - date).to_std().unwrap_or(Duration::ZERO)))
        });
        Self {
            fresh_for: fresh_for.filter(|d| !d.is_zero()),
            retry_after,
        }
    }
}

/// An HTTP date (`Tue, 26 Mar 2024 10:00:00 GMT`).
fn http_date(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc2822(s.trim())
        .ok()
        .map(|d| d.with_timezone(&chrono::Utc))
}

/// A successful fetch.
#[derive(Debug)]
pub enum Fetched {
    /// The server (or file) says nothing changed since the validators were issued.
    NotModified {
        status: u16,
        elapsed: Duration,
        hints: Hints,
        /// Set when every redirect on the way was permanent (301/308).
        moved_to: Option<Url>,
    },
    /// A new body (boxed: it is much larger than a 304's facts).
    Body(Box<Body>),
}

/// A fetched body and what came with it.
#[derive(Debug)]
pub struct Body {
    pub bytes: Vec<u8>,
    /// HTTP status (200 for files).
    pub status: u16,
    /// `charset` of the Content-Type, if any.
    pub charset: Option<String>,
    /// The URL after redirects.
    pub final_url: Url,
    pub validators: Validators,
    pub elapsed: Duration,
    pub hints: Hints,
    /// Set when every redirect on the way was permanent (301/308): the feed's new address.
    pub moved_to: Option<Url>,
    /// The connection failed after part of the body arrived (why): `bytes` is what arrived,
    /// and the validators are left out, so the next fetch asks for the whole body again.
    pub cut_short: Option<String>,
}

/// Why a fetch failed. Messages name the URL.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: timed out after {secs}s", secs = .after.as_secs_f32())]
    Timeout { url: String, after: Duration },
    #[error("{url}: connection not established within {secs}s", secs = .after.as_secs_f32())]
    ConnectTimeout { url: String, after: Duration },
    #[error("{url}: cannot connect: {reason}")]
    Connect { url: String, reason: String },
    #[error("{url}: HTTP {status}")]
    Status {
        url: String,
        status: u16,
        /// `Retry-After`, when the server sent one (429, 503).
        retry_after: Option<Duration>,
    },
    #[error("{url}: HTTP 410 Gone: the feed was removed")]
    Gone { url: String },
    #[error("{url}: body larger than the {limit}-byte cap")]
    TooLarge { url: String, limit: u64 },
    #[error("{url}: {reason}")]
    Http { url: String, reason: String },
    #[error("{path}: cannot read feed file: {source}")]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{url}: unsupported URL scheme")]
    Scheme { url: String },
}

impl FetchError {
    /// The HTTP status, for errors that have one.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } => Some(*status),
            FetchError::Gone { .. } => Some(410),
            _ => None,
        }
    }
}

/// Limits and identity for fetching.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub max_body_bytes: u64,
    pub user_agent: String,
}

/// A reusable fetcher (one connection pool for all feeds).
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    opts: FetchOptions,
}

impl Fetcher {
    /// Builds the HTTP client. TLS uses rustls with the ring provider and the platform's roots.
    pub fn new(opts: FetchOptions) -> Result<Self, FetchError> {
        // Installing the process-wide provider twice is harmless; the first wins.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .user_agent(opts.user_agent.clone())
            .connect_timeout(opts.connect_timeout)
            .timeout(opts.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| FetchError::Http {
                url: String::new(),
                reason: format!("cannot build HTTP client: {}", chain(&e)),
            })?;
        Ok(Self { client, opts })
    }

    /// Fetches `url`, sending the validators so an unchanged feed costs a 304.
    pub async fn fetch(&self, url: &Url, validators: &Validators) -> Result<Fetched, FetchError> {
        match url.scheme() {
            "http" | "https" => self.fetch_http(url, validators).await,
            "file" => self.fetch_file(url, validators).await,
            _ => Err(FetchError::Scheme {
                url: url.to_string(),
            }),
        }
    }

    async fn fetch_http(&self, url: &Url, v: &Validators) -> Result<Fetched, FetchError> {
        let start = Instant::now();
        // Redirects are followed here rather than by the client, to know whether every hop was
        // permanent (301/308): only then is the new URL the feed's address from now on.
        let mut current = url.clone();
        let mut all_permanent = true;
        let mut hops = 0;
        let mut resp = loop {
            let mut req = self.client.get(current.clone());
            if let Some(etag) = &v.etag {
                req = req.header(IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &v.last_modified {
                req = req.header(IF_MODIFIED_SINCE, lm);
            }
            let resp = req.send().await.map_err(|e| self.classify(url, e))?;
            let status = resp.status();
            if !status.is_redirection() || status == StatusCode::NOT_MODIFIED {
                break resp;
            }
            hops += 1;
            let location = resp
                .headers()
                .get(LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| current.join(l).ok())
                .filter(|l| matches!(l.scheme(), "http" | "https"));
            let Some(next) = location else {
                return Err(FetchError::Http {
                    url: url.to_string(),
                    reason: format!("HTTP {} without a usable Location", status.as_u16()),
                });
            };
            if hops > MAX_REDIRECTS {
                return Err(FetchError::Http {
                    url: url.to_string(),
                    reason: format!("more than {MAX_REDIRECTS} redirects"),
                });
            }
            all_permanent &= matches!(
                status,
                StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
            );
            current = next;
        };
        let moved_to = (hops > 0 && all_permanent && current != *url).then(|| current.clone());
        let status = resp.status();
        let hints = Hints::from_headers(resp.headers(), chrono::Utc::now());
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified {
                status: status.as_u16(),
                elapsed: start.elapsed(),
                hints,
                moved_to,
            });
        }
        if status == StatusCode::GONE {
            return Err(FetchError::Gone {
                url: url.to_string(),
            });
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                url: url.to_string(),
                status: status.as_u16(),
                retry_after: hints.retry_after,
            });
        }
        let limit = self.opts.max_body_bytes;
        let too_large = || FetchError::TooLarge {
            url: url.to_string(),
            limit,
        };
        if resp.content_length().is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        let headers = resp.headers().clone();
        let mut bytes =
            Vec::with_capacity(resp.content_length().unwrap_or(16 * 1024).min(limit) as usize);
        let mut cut_short = None;
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if bytes.len() as u64 + chunk.len() as u64 > limit {
                        return Err(too_large());
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                // Part of the body arrived: the parser keeps the items it holds in full.
                Err(e) if !bytes.is_empty() => {
                    cut_short = Some(self.classify(url, e).to_string());
                    break;
                }
                Err(e) => return Err(self.classify(url, e)),
            }
        }
        let validators = if cut_short.is_some() {
            Validators::default()
        } else {
            Validators {
                etag: header(&headers, ETAG),
                last_modified: header(&headers, LAST_MODIFIED),
            }
        };
        Ok(Fetched::Body(Box::new(Body {
            bytes,
            status: status.as_u16(),
            charset: charset(&headers),
            final_url: current,
            validators,
            elapsed: start.elapsed(),
            hints,
            moved_to,
            cut_short,
        })))
    }

    async fn fetch_file(&self, url: &Url, v: &Validators) -> Result<Fetched, FetchError> {
        let start = Instant::now();
        let path = url.to_file_path().map_err(|_| FetchError::Scheme {
            url: url.to_string(),
        })?;
        let shown = path.display().to_string();
        let limit = self.opts.max_body_bytes;
        let read = async {
            let meta = tokio::fs::metadata(&path).await?;
            // A FIFO or a device would never end (or never start): only regular files.
            if !meta.is_file() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "not a regular file",
                ));
            }
            let stamp = meta
                .modified()
                .ok()
                .map(|t| httpdate(chrono::DateTime::<chrono::Utc>::from(t)));
            if stamp.is_some() && stamp == v.last_modified {
                return Ok(None);
            }
            // Read at most one byte past the cap: the file may have grown since `metadata`.
            use tokio::io::AsyncReadExt;
            let mut bytes = Vec::with_capacity(meta.len().min(limit) as usize);
            tokio::fs::File::open(&path)
                .await?
                .take(limit + 1)
                .read_to_end(&mut bytes)
                .await?;
            Ok(Some((bytes, stamp)))
        };
        let outcome = tokio::time::timeout(self.opts.timeout, read)
            .await
            .map_err(|_| FetchError::Timeout {
                url: shown.clone(),
                after: self.opts.timeout,
            })?
            .map_err(|source| FetchError::File {
                path: shown.clone(),
                source,
            })?;
        let Some((bytes, stamp)) = outcome else {
            return Ok(Fetched::NotModified {
                status: 304,
                elapsed: start.elapsed(),
                hints: Hints::default(),
                moved_to: None,
            });
        };
        if bytes.len() as u64 > limit {
            return Err(FetchError::TooLarge { url: shown, limit });
        }
        Ok(Fetched::Body(Box::new(Body {
            bytes,
            status: 200,
            charset: None,
            final_url: url.clone(),
            validators: Validators {
                etag: None,
                last_modified: stamp,
            },
            elapsed: start.elapsed(),
            hints: Hints::default(),
            moved_to: None,
            cut_short: None,
        })))
    }

    fn classify(&self, url: &Url, e: reqwest::Error) -> FetchError {
        let url = url.to_string();
        if e.is_connect() && e.is_timeout() {
            FetchError::ConnectTimeout {
                url,
                after: self.opts.connect_timeout,
            }
        } else if e.is_timeout() {
            FetchError::Timeout {
                url,
                after: self.opts.timeout,
            }
        } else if e.is_connect() {
            FetchError::Connect {
                url,
                reason: chain(&e),
            }
        } else {
            FetchError::Http {
                url,
                reason: chain(&e),
            }
        }
    }
}

/// Modification times with sub-second precision, so a file rewritten within the same second is
/// still seen as changed.
fn httpdate(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

fn header(h: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.len() < 1024)
        .map(str::to_string)
}

fn charset(h: &HeaderMap) -> Option<String> {
    let ct = h.get(CONTENT_TYPE)?.to_str().ok()?;
    ct.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

/// "error: cause: cause" for errors whose Display leaves out the cause (reqwest's do).
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        src = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_from_headers() {
        let now = chrono::Utc::now();
        let mut h = HeaderMap::new();
        h.insert(CACHE_CONTROL, "public, max-age=600".parse().unwrap());
        h.insert(RETRY_AFTER, "120".parse().unwrap());
        let hints = Hints::from_headers(&h, now);
        assert_eq!(hints.fresh_for, Some(Duration::from_secs(600)));
        assert_eq!(hints.retry_after, Some(Duration::from_secs(120)));

        let mut h = HeaderMap::new();
        h.insert(DATE, "Tue, 26 Mar 2024 10:00:00 GMT".parse().unwrap());
        h.insert(EXPIRES, "Tue, 26 Mar 2024 10:30:00 GMT".parse().unwrap());
        h.insert(
            RETRY_AFTER,
            "Tue, 26 Mar 2024 11:00:00 GMT".parse().unwrap(),
        );
        let hints = Hints::from_headers(&h, now);
        assert_eq!(hints.fresh_for, Some(Duration::from_secs(1800)));
        assert_eq!(hints.retry_after, Some(Duration::from_secs(3600)));

        let mut h = HeaderMap::new();
        h.insert(CACHE_CONTROL, "no-cache, max-age=600".parse().unwrap());
        h.insert(EXPIRES, "0".parse().unwrap());
        assert_eq!(Hints::from_headers(&h, now), Hints::default());
    }

    #[test]
    fn charset_from_content_type() {
        let mut h = HeaderMap::new();
        h.insert(
            CONTENT_TYPE,
            "application/rss+xml; charset=\"EUC-KR\"".parse().unwrap(),
        );
        assert_eq!(charset(&h).as_deref(), Some("EUC-KR"));
        h.insert(CONTENT_TYPE, "text/xml".parse().unwrap());
        assert_eq!(charset(&h), None);
    }
}
