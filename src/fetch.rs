//! Getting a feed's bytes: HTTP(S) with conditional GET (ETag / Last-Modified), connect and total
//! timeouts, a cap on the (decompressed) body size, gzip/brotli/deflate, redirects; and
//! `file://` URLs, where the file's modification time serves as the validator.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{
    CONTENT_TYPE, ETAG, HeaderMap, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use url::Url;

/// Cache validators held for a feed between fetches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A successful fetch.
#[derive(Debug)]
pub enum Fetched {
    /// The server (or file) says nothing changed since the validators were issued.
    NotModified { status: u16, elapsed: Duration },
    /// A new body.
    Body(Body),
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
    Status { url: String, status: u16 },
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
            .redirect(reqwest::redirect::Policy::limited(10))
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
        let mut req = self.client.get(url.clone());
        if let Some(etag) = &v.etag {
            req = req.header(IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &v.last_modified {
            req = req.header(IF_MODIFIED_SINCE, lm);
        }
        let mut resp = req.send().await.map_err(|e| self.classify(url, e))?;
        let status = resp.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified {
                status: status.as_u16(),
                elapsed: start.elapsed(),
            });
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                url: url.to_string(),
                status: status.as_u16(),
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
        let final_url = resp.url().clone();
        let mut bytes =
            Vec::with_capacity(resp.content_length().unwrap_or(16 * 1024).min(limit) as usize);
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.classify(url, e))? {
            if bytes.len() as u64 + chunk.len() as u64 > limit {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Fetched::Body(Body {
            bytes,
            status: status.as_u16(),
            charset: charset(&headers),
            final_url,
            validators: Validators {
                etag: header(&headers, ETAG),
                last_modified: header(&headers, LAST_MODIFIED),
            },
            elapsed: start.elapsed(),
        }))
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
            });
        };
        if bytes.len() as u64 > limit {
            return Err(FetchError::TooLarge { url: shown, limit });
        }
        Ok(Fetched::Body(Body {
            bytes,
            status: 200,
            charset: None,
            final_url: url.clone(),
            validators: Validators {
                etag: None,
                last_modified: stamp,
            },
            elapsed: start.elapsed(),
        }))
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
fn chain(e: &dyn std::error::Error) -> String {
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
