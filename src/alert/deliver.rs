//! Delivering one [`AlertPayload`] to one sink, once: a webhook (HTTP POST) or a command (the
//! payload JSON on its stdin). Retrying, backoff and bookkeeping belong to the outbox; this module
//! only says whether a retry could help ([`DeliveryError::permanent`]).
//!
//! Sinks carry secrets: webhook headers (`Authorization`) and, for Slack-style webhooks, the URL
//! path itself. Nothing here logs or reports them: errors and [`describe`] name a sink by its name
//! and `scheme://host[:port]` (or a command by its program), and response bodies quoted in errors
//! are scrubbed of the sink's secrets in case the receiver echoes the request.

use std::io;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;
use url::Url;

use super::{AlertPayload, Priority, SinkConfig, SinkKind, WebhookFormat};
use crate::fetch::chain;

/// Most of an error response body read to quote it.
const MAX_ERROR_BODY: usize = 64 * 1024;
/// Most of a command's stderr kept (its end: the last lines usually say what went wrong).
const MAX_STDERR: usize = 4 * 1024;
/// Characters of a response body or stderr quoted in an error message.
const QUOTE_CHARS: usize = 200;
/// Header receivers can use to drop repeated deliveries of one alert.
const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Environment variable carrying the alert id to command sinks.
const ALERT_ID_ENV: &str = "AGGREGATOR_ALERT_ID";

/// Why one delivery failed. Display never contains header values, nor the webhook URL's path,
/// query or userinfo (Slack-style webhook URLs carry their secret in the path): only the sink name
/// and what [`describe`] says (`scheme://host[:port]`, or a command's program).
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The webhook answered with a status other than 2xx.
    #[error("sink {sink}: {target} answered HTTP {status}{}", quote(.body))]
    Http {
        sink: String,
        target: String,
        status: StatusCode,
        /// The start of the response body, control characters removed, secrets scrubbed.
        body: String,
    },
    /// The request could not be sent or the response not received (DNS, connect, TLS, reset).
    #[error("sink {sink}: {target}: request failed: {reason}")]
    Transport {
        sink: String,
        target: String,
        /// The error and its causes, without the URL.
        reason: String,
    },
    /// The request could not be built (e.g. a URL reqwest cannot send to).
    #[error("sink {sink}: {target}: invalid request: {reason}")]
    Request {
        sink: String,
        target: String,
        reason: String,
    },
    /// A configured header has an invalid name or value; only the name is reported.
    #[error("sink {sink}: {target}: invalid header {name:?}")]
    Header {
        sink: String,
        target: String,
        name: String,
    },
    /// No answer (or no exit) within the sink's timeout.
    #[error("sink {sink}: {target}: no answer within {after:?}")]
    Timeout {
        sink: String,
        target: String,
        after: Duration,
    },
    /// The command could not be started.
    #[error("sink {sink}: cannot run {program}: {source}")]
    Spawn {
        sink: String,
        program: String,
        #[source]
        source: io::Error,
    },
    /// Waiting for the command failed.
    #[error("sink {sink}: cannot wait for {program}: {source}")]
    Wait {
        sink: String,
        program: String,
        #[source]
        source: io::Error,
    },
    /// The command exited unsuccessfully.
    #[error("sink {sink}: {program} failed with {status}{}", quote(.stderr))]
    Exit {
        sink: String,
        program: String,
        status: ExitStatus,
        /// The end of its stderr, control characters removed.
        stderr: String,
    },
    /// The payload could not be serialized.
    #[error("sink {sink}: cannot encode the payload: {source}")]
    Payload {
        sink: String,
        #[source]
        source: serde_json::Error,
    },
}

impl DeliveryError {
    /// True for failures that retrying cannot fix: HTTP 400, 401, 403, 404, 405, 410, 413 and 422,
    /// a command that cannot be started (not found, permission denied, invalid argv), and
    /// configuration or encoding errors. False for everything that may pass later: 5xx, 429, 408,
    /// other statuses, transport errors, timeouts, a non-zero exit.
    pub fn permanent(&self) -> bool {
        match self {
            DeliveryError::Http { status, .. } => matches!(
                status.as_u16(),
                400 | 401 | 403 | 404 | 405 | 410 | 413 | 422
            ),
            DeliveryError::Spawn { source, .. } => matches!(
                source.kind(),
                io::ErrorKind::NotFound
                    | io::ErrorKind::PermissionDenied
                    | io::ErrorKind::InvalidInput
            ),
            DeliveryError::Request { .. }
            | DeliveryError::Header { .. }
            | DeliveryError::Payload { .. } => true,
            DeliveryError::Transport { .. }
            | DeliveryError::Timeout { .. }
            | DeliveryError::Wait { .. }
            | DeliveryError::Exit { .. } => false,
        }
    }
}

/// ": text" for a non-empty quoted body or stderr, "" otherwise.
fn quote(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!(": {text}")
    }
}

/// The body a webhook sink posts for `payload`, per its format: the payload itself as JSON, or for
/// Slack `{"text": "<priority marker>*[watchlist]* <link|title> (feed) — matched: term1, term2"}`
/// with Slack mrkdwn escaping (`&`, `<`, `>`), and a plain title when there is no link.
pub fn webhook_body(format: WebhookFormat, payload: &AlertPayload) -> Value {
    match format {
        // Serializing the payload cannot fail (no maps with non-string keys, no failing
        // Serialize impls); Null is never sent because `deliver` serializes with error handling.
        WebhookFormat::Json => serde_json::to_value(payload).unwrap_or(Value::Null),
        WebhookFormat::Slack => json!({ "text": slack_text(payload) }),
    }
}

fn slack_text(payload: &AlertPayload) -> String {
    let marker = match payload.priority {
        Priority::Urgent => ":rotating_light: ",
        Priority::High => ":warning: ",
        Priority::Normal | Priority::Low => "",
    };
    let story = &payload.story;
    let title = slack_escape(&story.title);
    let headline = match story.link.as_deref().filter(|l| is_linkable(l)) {
        // `|` separates the URL from the label, so it must not appear in the URL itself.
        Some(link) => format!("<{}|{title}>", slack_escape(link).replace('|', "%7C")),
        None => title,
    };
    let mut text = format!(
        "{marker}*[{}]* {headline} ({})",
        slack_escape(&payload.watchlist),
        slack_escape(&story.feed)
    );
    if !payload.terms.is_empty() {
        let terms: Vec<String> = payload.terms.iter().map(|t| slack_escape(t)).collect();
        text.push_str(" — matched: ");
        text.push_str(&terms.join(", "));
    }
    if let Some(url) = payload.story_url.as_deref().filter(|u| is_linkable(u)) {
        text.push_str(&format!(
            " (<{}|story>)",
            slack_escape(url).replace('|', "%7C")
        ));
    }
    text
}

/// Only absolute http(s) links without whitespace make a working Slack link.
fn is_linkable(link: &str) -> bool {
    (link.starts_with("https://") || link.starts_with("http://"))
        && !link.chars().any(char::is_whitespace)
}

/// Slack mrkdwn escaping: only `&`, `<` and `>` are control characters (as in HTML text).
fn slack_escape(s: &str) -> String {
    html_escape::encode_text(s).into_owned()
}

/// What a sink is, for logs: `"webhook https://hooks.example.com"` (`scheme://host[:port]` only)
/// or `"command /usr/local/bin/notify"` (argv\[0\] only).
pub fn describe(sink: &SinkConfig) -> String {
    sink.describe()
}

fn program(argv: &[String]) -> &str {
    argv.first().map_or("", String::as_str)
}

/// Delivers `payload` to `sink` once, within `sink.timeout`.
pub async fn deliver(
    client: &reqwest::Client,
    sink: &SinkConfig,
    payload: &AlertPayload,
) -> Result<(), DeliveryError> {
    match &sink.kind {
        SinkKind::Webhook {
            url,
            headers,
            format,
        } => post(client, sink, url, headers, *format, payload).await,
        SinkKind::Command { argv } => run(sink, argv, payload).await,
    }
}

async fn post(
    client: &reqwest::Client,
    sink: &SinkConfig,
    url: &Url,
    headers: &[(String, String)],
    format: WebhookFormat,
    payload: &AlertPayload,
) -> Result<(), DeliveryError> {
    let target = describe(sink);
    let body = match format {
        WebhookFormat::Json => serde_json::to_vec(payload),
        WebhookFormat::Slack => serde_json::to_vec(&webhook_body(format, payload)),
    }
    .map_err(|source| DeliveryError::Payload {
        sink: sink.name.clone(),
        source,
    })?;
    let headers =
        request_headers(headers, payload.alert_id).map_err(|name| DeliveryError::Header {
            sink: sink.name.clone(),
            target: target.clone(),
            name,
        })?;
    let secrets = Secrets::of(sink);

    let timed_out = || DeliveryError::Timeout {
        sink: sink.name.clone(),
        target: target.clone(),
        after: sink.timeout,
    };
    let request = client
        .post(url.clone())
        .headers(headers)
        .body(body)
        .timeout(sink.timeout);
    // reqwest's own timeout covers the request; the outer one also bounds reading an error body.
    let exchange = async {
        let resp = request.send().await.map_err(|e| {
            if e.is_timeout() {
                timed_out()
            } else if e.is_builder() {
                DeliveryError::Request {
                    sink: sink.name.clone(),
                    target: target.clone(),
                    reason: secrets.scrub(&chain(&e.without_url())),
                }
            } else {
                DeliveryError::Transport {
                    sink: sink.name.clone(),
                    target: target.clone(),
                    reason: secrets.scrub(&chain(&e.without_url())),
                }
            }
        })?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let body = error_body(resp).await;
        Err(DeliveryError::Http {
            sink: sink.name.clone(),
            target: target.clone(),
            status,
            body: clean_head(&secrets.scrub(&body)),
        })
    };
    match tokio::time::timeout(sink.timeout, exchange).await {
        Ok(result) => result,
        Err(_) => Err(timed_out()),
    }
}

/// The request's headers: `Content-Type` (a configured one replaces it), the configured ones, and
/// the idempotency key (which always wins: a fixed configured key would make receivers drop every
/// alert after the first). Err is the name of an invalid header.
fn request_headers(configured: &[(String, String)], alert_id: i64) -> Result<HeaderMap, String> {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let mut extra = HeaderMap::new();
    for (name, value) in configured {
        let invalid = || name.chars().take(64).collect::<String>();
        let header = HeaderName::try_from(name.trim()).map_err(|_| invalid())?;
        let mut value = HeaderValue::try_from(value.trim()).map_err(|_| invalid())?;
        value.set_sensitive(true);
        extra.append(header, value);
    }
    // `extend` replaces every value of a name present in both, keeping repeats from `extra`.
    headers.extend(extra);
    let key = HeaderValue::try_from(format!("aggregator-alert-{alert_id}"))
        .expect("digits and ASCII letters make a valid header value");
    headers.insert(HeaderName::from_static(IDEMPOTENCY_KEY), key);
    Ok(headers)
}

/// Up to [`MAX_ERROR_BODY`] bytes of a response body, as text; a read error ends it early.
async fn error_body(mut resp: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < MAX_ERROR_BODY {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                let room = MAX_ERROR_BODY - bytes.len();
                bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A sink's secret strings, removed from text quoted in errors (a receiver may echo the request).
struct Secrets(Vec<String>);

impl Secrets {
    /// Shorter strings are too likely to be ordinary words to scrub.
    const MIN_LEN: usize = 4;

    fn of(sink: &SinkConfig) -> Secrets {
        let mut found = Vec::new();
        if let SinkKind::Webhook { url, headers, .. } = &sink.kind {
            for (_, value) in headers {
                found.push(value.trim().to_string());
                found.extend(value.split_whitespace().map(str::to_string));
            }
            if url.path() != "/" {
                found.push(url.path().to_string());
                found.extend(url.path().split('/').map(str::to_string));
            }
            if let Some(query) = url.query() {
                found.push(query.to_string());
                for pair in query.split('&') {
                    found.push(pair.to_string());
                    found.extend(pair.split_once('=').map(|(_, v)| v.to_string()));
                }
            }
            found.push(url.username().to_string());
            found.extend(url.password().map(str::to_string));
        }
        found.retain(|s| s.chars().count() >= Self::MIN_LEN);
        // Longest first, so a whole value goes before the parts it contains.
        found.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        found.dedup();
        Secrets(found)
    }

    fn scrub(&self, text: &str) -> String {
        let mut text = text.to_string();
        for secret in &self.0 {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), "***");
            }
        }
        text
    }
}

/// Spawns the command with the payload on stdin and waits for it within `sink.timeout`.
async fn run(
    sink: &SinkConfig,
    argv: &[String],
    payload: &AlertPayload,
) -> Result<(), DeliveryError> {
    let deadline = Instant::now() + sink.timeout;
    let program = program(argv).to_string();
    let mut input = serde_json::to_vec(payload).map_err(|source| DeliveryError::Payload {
        sink: sink.name.clone(),
        source,
    })?;
    input.push(b'\n');
    let spawn_error = |source| DeliveryError::Spawn {
        sink: sink.name.clone(),
        program: program.clone(),
        source,
    };
    let Some((cmd, args)) = argv.split_first() else {
        return Err(spawn_error(io::Error::new(
            io::ErrorKind::InvalidInput,
            "empty argv",
        )));
    };
    let mut child = tokio::process::Command::new(cmd)
        .args(args)
        .env(ALERT_ID_ENV, payload.alert_id.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(spawn_error)?;

    // In a task of its own: a program that never reads stdin must not block waiting for it. A
    // broken pipe (the program exited without reading) is the program's business, not an error.
    let writer = child.stdin.take().map(|mut stdin| {
        tokio::spawn(async move {
            let _ = stdin.write_all(&input).await;
            // Dropping stdin closes it, so the program sees end of input.
        })
    });
    let mut stderr = child.stderr.take();
    let mut tail = Tail::default();

    let waited = tokio::time::timeout_at(deadline, async {
        let mut buf = [0u8; 1024];
        loop {
            tokio::select! {
                status = child.wait() => break status,
                read = read_some(&mut stderr, &mut buf) => match read {
                    Some(n) => tail.push(&buf[..n]),
                    None => stderr = None,
                },
            }
        }
    })
    .await;
    if let Some(writer) = writer {
        writer.abort();
    }

    let status = match waited {
        Ok(Ok(status)) => status,
        Ok(Err(source)) => {
            return Err(DeliveryError::Wait {
                sink: sink.name.clone(),
                program,
                source,
            });
        }
        Err(_) => {
            // Reap it now rather than leave that to kill_on_drop's background reaper.
            let _ = child.start_kill();
            let _ = tokio::time::timeout(Duration::from_secs(1), child.wait()).await;
            return Err(DeliveryError::Timeout {
                sink: sink.name.clone(),
                target: describe(sink),
                after: sink.timeout,
            });
        }
    };
    if status.success() {
        return Ok(());
    }
    // The rest of stderr, unless something the program left running holds it open past the
    // deadline.
    if let Some(mut pipe) = stderr {
        let _ = tokio::time::timeout_at(deadline, async {
            let mut buf = [0u8; 1024];
            loop {
                match pipe.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => tail.push(&buf[..n]),
                }
            }
        })
        .await;
    }
    Err(DeliveryError::Exit {
        sink: sink.name.clone(),
        program,
        status,
        stderr: clean_tail(&tail.text()),
    })
}

/// Reads once from `pipe`: Some(bytes read), or None at end of input or on error. A closed pipe
/// (None) never resolves, so a `select!` keeps waiting on its other branches.
async fn read_some(
    pipe: &mut Option<tokio::process::ChildStderr>,
    buf: &mut [u8],
) -> Option<usize> {
    match pipe {
        Some(p) => match p.read(buf).await {
            Ok(0) | Err(_) => None,
            Ok(n) => Some(n),
        },
        None => std::future::pending().await,
    }
}

/// The last [`MAX_STDERR`] bytes written to a pipe.
#[derive(Default)]
struct Tail(Vec<u8>);

impl Tail {
    fn push(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
        if self.0.len() > MAX_STDERR {
            let cut = self.0.len() - MAX_STDERR;
            self.0.drain(..cut);
        }
    }

    fn text(&self) -> String {
        // The cut may have split a character; drop its remains.
        String::from_utf8_lossy(&self.0)
            .trim_start_matches('\u{FFFD}')
            .to_string()
    }
}

/// Text with control characters removed and whitespace runs collapsed to one space.
fn clean(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The first [`QUOTE_CHARS`] characters of cleaned `text` ("…" where cut).
fn clean_head(text: &str) -> String {
    let text = clean(text);
    match text.char_indices().nth(QUOTE_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// The last [`QUOTE_CHARS`] characters of cleaned `text` ("…" where cut).
fn clean_tail(text: &str) -> String {
    let text = clean(text);
    let count = text.chars().count();
    if count <= QUOTE_CHARS {
        return text;
    }
    let (at, _) = text
        .char_indices()
        .nth(count - QUOTE_CHARS)
        .expect("count - QUOTE_CHARS < count");
    format!("…{}", &text[at..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::AlertStory;
    use crate::model::{Field, Hit};
    use chrono::{TimeZone, Utc};
    use tokio::net::TcpListener;
    use tokio::task::JoinHandle;

    fn payload() -> AlertPayload {
        let at = Utc.with_ymd_and_hms(2025, 3, 1, 12, 30, 0).unwrap();
        AlertPayload {
            kind: "aggregator.alert".to_string(),
            version: 1,
            alert_id: 42,
            watchlist: "korea".to_string(),
            description: Some("Korean peninsula".to_string()),
            priority: Priority::High,
            story: AlertStory {
                id: 7,
                title: "Talks resume in Seoul".to_string(),
                link: Some("https://news.example.com/story/1".to_string()),
                feed: "Wire".to_string(),
                published: Some(at),
                first_seen: at,
                summary: Some("Delegations met on Monday.".to_string()),
            },
            terms: vec!["Seoul".to_string()],
            hits: vec![Hit {
                term: "Seoul".to_string(),
                field: Field::Title,
                text: "Seoul".to_string(),
                snippet: "Talks resume in Seoul".to_string(),
            }],
            created_at: at,
            story_url: None,
        }
    }

    fn client() -> reqwest::Client {
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    fn webhook(url: &str, headers: &[(&str, &str)], format: WebhookFormat) -> SinkConfig {
        SinkConfig {
            name: "hook".to_string(),
            kind: SinkKind::Webhook {
                url: Url::parse(url).unwrap(),
                headers: headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect(),
                format,
            },
            timeout: Duration::from_secs(5),
        }
    }

    fn command(argv: &[&str], timeout: Duration) -> SinkConfig {
        SinkConfig {
            name: "notify".to_string(),
            kind: SinkKind::Command {
                argv: argv.iter().map(|a| a.to_string()).collect(),
            },
            timeout,
        }
    }

    /// How the test server answers.
    enum Reply {
        Status(u16, &'static str),
        /// The status, with the request head and body as the response body.
        Echo(u16),
        /// Reads the request and never answers.
        Silent,
    }

    struct Received {
        /// Request line and headers, header names lowercase (as hyper sends them).
        head: String,
        body: Vec<u8>,
    }

    impl Received {
        fn header(&self, name: &str) -> Option<&str> {
            self.head.lines().find_map(|line| {
                let (n, v) = line.split_once(':')?;
                n.eq_ignore_ascii_case(name).then(|| v.trim())
            })
        }
    }

    /// A one-request HTTP/1.1 server on 127.0.0.1:0; its task returns what it received.
    async fn serve(reply: Reply) -> (u16, JoinHandle<Received>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let (mut conn, _) = tokio::time::timeout(Duration::from_secs(5), listener.accept())
                .await
                .expect("a request within 5s")
                .unwrap();
            let mut data = Vec::new();
            let mut buf = [0u8; 4096];
            let head_end = loop {
                if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                    break at + 4;
                }
                assert!(data.len() < 64 * 1024, "request head too long");
                let n = conn.read(&mut buf).await.unwrap();
                assert!(n > 0, "connection closed before the request head ended");
                data.extend_from_slice(&buf[..n]);
            };
            let head = String::from_utf8(data[..head_end].to_vec()).unwrap();
            let received = Received {
                head,
                body: Vec::new(),
            };
            let length: usize = received
                .header("content-length")
                .map_or(0, |v| v.parse().unwrap());
            assert!(length < 1024 * 1024);
            while data.len() < head_end + length {
                let n = conn.read(&mut buf).await.unwrap();
                assert!(n > 0, "connection closed before the request body ended");
                data.extend_from_slice(&buf[..n]);
            }
            let received = Received {
                body: data[head_end..head_end + length].to_vec(),
                ..received
            };
            let (status, body) = match reply {
                Reply::Status(status, body) => (status, body.as_bytes().to_vec()),
                Reply::Echo(status) => (status, data.clone()),
                Reply::Silent => {
                    tokio::time::sleep(Duration::from_secs(10)).await;
                    return received;
                }
            };
            let head = format!(
                "HTTP/1.1 {status} Whatever\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            conn.write_all(head.as_bytes()).await.unwrap();
            conn.write_all(&body).await.unwrap();
            conn.shutdown().await.unwrap();
            received
        });
        (port, task)
    }

    fn assert_hides(shown: &str, secrets: &[&str]) {
        for secret in secrets {
            assert!(!shown.contains(secret), "{secret:?} shown in {shown:?}");
        }
    }

    #[tokio::test]
    async fn webhook_posts_the_payload_with_headers() {
        let (port, server) = serve(Reply::Status(204, "")).await;
        let sink = webhook(
            &format!("http://127.0.0.1:{port}/hook"),
            &[("Authorization", "Bearer s3cr3t"), ("X-Team", "desk")],
            WebhookFormat::Json,
        );
        deliver(&client(), &sink, &payload()).await.unwrap();

        let got = server.await.unwrap();
        assert!(
            got.head.starts_with("POST /hook HTTP/1.1\r\n"),
            "{}",
            got.head
        );
        assert_eq!(got.header("content-type"), Some("application/json"));
        assert_eq!(got.header("authorization"), Some("Bearer s3cr3t"));
        assert_eq!(got.header("x-team"), Some("desk"));
        assert_eq!(got.header("idempotency-key"), Some("aggregator-alert-42"));
        let body: Value = serde_json::from_slice(&got.body).unwrap();
        assert_eq!(body, serde_json::to_value(payload()).unwrap());
        let back: AlertPayload = serde_json::from_slice(&got.body).unwrap();
        assert_eq!(back, payload());
    }

    #[tokio::test]
    async fn configured_content_type_wins_idempotency_key_does_not() {
        let (port, server) = serve(Reply::Status(200, "ok")).await;
        let sink = webhook(
            &format!("http://127.0.0.1:{port}/"),
            &[
                ("content-type", "application/json; charset=utf-8"),
                ("Idempotency-Key", "fixed"),
            ],
            WebhookFormat::Json,
        );
        deliver(&client(), &sink, &payload()).await.unwrap();
        let got = server.await.unwrap();
        assert_eq!(
            got.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(got.head.matches("content-type").count(), 1, "{}", got.head);
        assert_eq!(got.header("idempotency-key"), Some("aggregator-alert-42"));
        assert_eq!(
            got.head.matches("idempotency-key").count(),
            1,
            "{}",
            got.head
        );
    }

    #[tokio::test]
    async fn slack_webhook_posts_text() {
        let (port, server) = serve(Reply::Status(200, "ok")).await;
        let sink = webhook(
            &format!("http://127.0.0.1:{port}/services/T000/B000/XXX"),
            &[],
            WebhookFormat::Slack,
        );
        deliver(&client(), &sink, &payload()).await.unwrap();
        let got = server.await.unwrap();
        let body: Value = serde_json::from_slice(&got.body).unwrap();
        assert_eq!(body, webhook_body(WebhookFormat::Slack, &payload()));
        assert_eq!(
            body["text"],
            ":warning: *[korea]* <https://news.example.com/story/1|Talks resume in Seoul> (Wire) \
             — matched: Seoul"
        );
    }

    #[tokio::test]
    async fn server_error_is_retryable() {
        let (port, server) = serve(Reply::Status(500, "database\n\tdown\u{7}")).await;
        let sink = webhook(
            &format!("http://127.0.0.1:{port}/"),
            &[],
            WebhookFormat::Json,
        );
        let err = deliver(&client(), &sink, &payload()).await.unwrap_err();
        server.await.unwrap();
        match &err {
            DeliveryError::Http { status, body, .. } => {
                assert_eq!(status.as_u16(), 500);
                assert_eq!(body, "database down");
            }
            other => panic!("expected Http, got {other:?}"),
        }
        assert!(!err.permanent());
        assert_eq!(
            err.to_string(),
            format!(
                "sink hook: webhook http://127.0.0.1:{port} answered HTTP 500 Internal Server \
                 Error: database down"
            )
        );
    }

    #[tokio::test]
    async fn unauthorized_is_permanent() {
        let (port, server) = serve(Reply::Status(401, "")).await;
        let sink = webhook(
            &format!("http://127.0.0.1:{port}/"),
            &[],
            WebhookFormat::Json,
        );
        let err = deliver(&client(), &sink, &payload()).await.unwrap_err();
        server.await.unwrap();
        assert!(matches!(err, DeliveryError::Http { .. }), "{err:?}");
        assert!(err.permanent());
        assert!(
            err.to_string().ends_with("answered HTTP 401 Unauthorized"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn status_error_hides_secrets_even_when_echoed() {
        let (port, server) = serve(Reply::Echo(403)).await;
        let sink = webhook(
            &format!("http://127.0.0.1:{port}/services/T000/SECRET123?token=abc"),
            &[("Authorization", "Bearer s3cr3t")],
            WebhookFormat::Json,
        );
        let err = deliver(&client(), &sink, &payload()).await.unwrap_err();
        let got = server.await.unwrap();
        assert!(got.head.contains("SECRET123") && got.head.contains("s3cr3t"));
        assert!(matches!(err, DeliveryError::Http { .. }), "{err:?}");
        assert!(err.permanent());
        assert_hides(&err.to_string(), &["SECRET123", "abc", "s3cr3t"]);
        assert_hides(&format!("{err:?}"), &["SECRET123", "abc", "s3cr3t"]);
        assert!(
            err.to_string()
                .contains(&format!("http://127.0.0.1:{port}"))
        );
    }

    #[tokio::test]
    async fn transport_error_hides_secrets() {
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            listener.local_addr().unwrap().port()
        };
        let sink = webhook(
            &format!("http://127.0.0.1:{port}/services/T000/SECRET123?token=abc"),
            &[("Authorization", "Bearer s3cr3t")],
            WebhookFormat::Json,
        );
        let err = deliver(&client(), &sink, &payload()).await.unwrap_err();
        assert!(matches!(err, DeliveryError::Transport { .. }), "{err:?}");
        assert!(!err.permanent());
        assert_hides(
            &err.to_string(),
            &["SECRET123", "abc", "s3cr3t", "/services"],
        );
        assert_hides(&format!("{err:?}"), &["SECRET123", "abc", "s3cr3t"]);
        assert!(
            err.to_string()
                .contains(&format!("http://127.0.0.1:{port}")),
            "{err}"
        );
    }

    #[tokio::test]
    async fn silent_server_times_out() {
        let (port, _server) = serve(Reply::Silent).await;
        let mut sink = webhook(
            &format!("http://127.0.0.1:{port}/"),
            &[],
            WebhookFormat::Json,
        );
        sink.timeout = Duration::from_millis(300);
        let start = std::time::Instant::now();
        let err = deliver(&client(), &sink, &payload()).await.unwrap_err();
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "{:?}",
            start.elapsed()
        );
        assert!(matches!(err, DeliveryError::Timeout { .. }), "{err:?}");
        assert!(!err.permanent());
        assert!(err.to_string().contains("no answer within 300ms"), "{err}");
    }

    #[tokio::test]
    async fn invalid_header_names_the_header_only() {
        let sink = webhook(
            "http://127.0.0.1:9/",
            &[("Authorization", "Bearer s3cr3t\nX-Evil: 1")],
            WebhookFormat::Json,
        );
        let err = deliver(&client(), &sink, &payload()).await.unwrap_err();
        assert!(matches!(err, DeliveryError::Header { .. }), "{err:?}");
        assert!(err.permanent());
        assert!(err.to_string().contains("\"Authorization\""), "{err}");
        assert_hides(&err.to_string(), &["s3cr3t"]);

        let sink = webhook(
            "http://127.0.0.1:9/",
            &[("Bad Name", "v")],
            WebhookFormat::Json,
        );
        let err = deliver(&client(), &sink, &payload()).await.unwrap_err();
        assert!(err.to_string().contains("\"Bad Name\""), "{err}");
    }

    #[test]
    fn permanent_statuses() {
        let http = |code: u16| DeliveryError::Http {
            sink: "s".to_string(),
            target: "t".to_string(),
            status: StatusCode::from_u16(code).unwrap(),
            body: String::new(),
        };
        for code in [400, 401, 403, 404, 405, 410, 413, 422] {
            assert!(http(code).permanent(), "{code}");
        }
        for code in [301, 408, 409, 429, 500, 502, 503, 504] {
            assert!(!http(code).permanent(), "{code}");
        }
    }

    #[test]
    fn slack_text_escapes_and_links() {
        let mut p = payload();
        p.priority = Priority::Urgent;
        p.story.title = "A & B <script>".to_string();
        p.story.link = Some("https://example.com/a?b=1&c=2|x".to_string());
        p.terms = vec!["R&D".to_string(), "<x>".to_string()];
        let body = webhook_body(WebhookFormat::Slack, &p);
        assert_eq!(
            body,
            json!({
                "text": ":rotating_light: *[korea]* \
                         <https://example.com/a?b=1&amp;c=2%7Cx|A &amp; B &lt;script&gt;> (Wire) \
                         — matched: R&amp;D, &lt;x&gt;"
            })
        );
    }

    #[test]
    fn the_story_page_is_linked_when_the_web_view_has_an_address() {
        let mut p = payload();
        p.priority = Priority::Normal;
        assert!(serde_json::to_value(&p).unwrap().get("story_url").is_none());
        p.story_url = Some("https://desk.example/agg/stories/7".to_string());
        let body = webhook_body(WebhookFormat::Slack, &p);
        assert!(
            body["text"]
                .as_str()
                .unwrap()
                .ends_with(" (<https://desk.example/agg/stories/7|story>)"),
            "{body}"
        );
        let body = webhook_body(WebhookFormat::Json, &p);
        assert_eq!(body["story_url"], "https://desk.example/agg/stories/7");
    }

    #[test]
    fn slack_text_without_link_is_plain() {
        let mut p = payload();
        p.priority = Priority::Normal;
        p.story.link = None;
        p.story.title = "1 < 2".to_string();
        let body = webhook_body(WebhookFormat::Slack, &p);
        assert_eq!(body["text"], "*[korea]* 1 &lt; 2 (Wire) — matched: Seoul");

        p.story.link = Some("javascript:alert(1)".to_string());
        let body = webhook_body(WebhookFormat::Slack, &p);
        assert_eq!(body["text"], "*[korea]* 1 &lt; 2 (Wire) — matched: Seoul");
    }

    #[test]
    fn json_body_is_the_payload() {
        assert_eq!(
            webhook_body(WebhookFormat::Json, &payload()),
            serde_json::to_value(payload()).unwrap()
        );
    }

    #[test]
    fn describe_shows_origin_or_program_only() {
        let sink = webhook(
            "https://user:pw@hooks.example.com/services/T000/SECRET?token=abc#frag",
            &[],
            WebhookFormat::Slack,
        );
        assert_eq!(describe(&sink), "webhook https://hooks.example.com");
        let sink = webhook("http://[::1]:8080/x", &[], WebhookFormat::Json);
        assert_eq!(describe(&sink), "webhook http://[::1]:8080");
        let sink = command(
            &["/usr/local/bin/notify", "--token", "s3cr3t"],
            Duration::from_secs(1),
        );
        assert_eq!(describe(&sink), "command /usr/local/bin/notify");
    }

    #[test]
    fn quoted_text_is_cleaned_and_cut() {
        assert_eq!(clean(" a\r\n\tb\u{0}c  "), "a b c");
        let long = "x".repeat(300);
        let head = clean_head(&long);
        assert_eq!(head.chars().count(), QUOTE_CHARS + 1);
        assert!(head.ends_with('…'));
        let tail = clean_tail(&format!("{long} end"));
        assert!(tail.starts_with('…') && tail.ends_with(" end"));
        assert_eq!(tail.chars().count(), QUOTE_CHARS + 1);
        assert_eq!(clean_tail("short"), "short");
    }

    #[test]
    fn tail_keeps_the_end() {
        let mut tail = Tail::default();
        tail.push(&[b'a'; 3000]);
        tail.push("é".repeat(1000).as_bytes());
        let text = tail.text();
        assert!(text.ends_with("éé"));
        assert!(!text.contains('\u{FFFD}'));
        assert!(text.len() <= MAX_STDERR);
    }

    /// A path in the temp dir unique to this test; removed by the caller.
    fn scratch_path(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("aggregator-deliver-{}-{name}", std::process::id()))
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn command_gets_payload_on_stdin_and_alert_id() {
        let out = scratch_path("stdin");
        let path = out.to_str().unwrap();
        let sink = command(
            &[
                "sh",
                "-c",
                "cat > \"$0\" && printf %s \"$AGGREGATOR_ALERT_ID\" > \"$0.id\"",
                path,
            ],
            Duration::from_secs(10),
        );
        let result = deliver(&client(), &sink, &payload()).await;
        let written = std::fs::read(&out);
        let id = std::fs::read_to_string(format!("{path}.id"));
        let _ = std::fs::remove_file(&out);
        let _ = std::fs::remove_file(format!("{path}.id"));
        result.unwrap();

        let written = written.unwrap();
        assert_eq!(written.last(), Some(&b'\n'));
        let got: AlertPayload = serde_json::from_slice(&written).unwrap();
        assert_eq!(got, payload());
        assert_eq!(id.unwrap(), "42");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn command_failure_reports_status_and_stderr() {
        let sink = command(
            &[
                "sh",
                "-c",
                "cat >/dev/null; echo starting >&2; echo 'bad things' >&2; exit 3",
            ],
            Duration::from_secs(10),
        );
        let start = std::time::Instant::now();
        let err = deliver(&client(), &sink, &payload()).await.unwrap_err();
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "{:?}",
            start.elapsed()
        );
        match &err {
            DeliveryError::Exit { status, stderr, .. } => {
                assert_eq!(status.code(), Some(3));
                assert_eq!(stderr, "starting bad things");
            }
            other => panic!("expected Exit, got {other:?}"),
        }
        assert!(!err.permanent());
        assert_eq!(
            err.to_string(),
            "sink notify: sh failed with exit status: 3: starting bad things"
        );
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn command_that_ignores_stdin_succeeds() {
        // Bigger than a pipe buffer: the write would block forever if it were not in a task.
        let mut p = payload();
        p.story.summary = Some("x".repeat(1024 * 1024));
        let sink = command(&["true"], Duration::from_secs(10));
        deliver(&client(), &sink, &p).await.unwrap();
    }

    #[tokio::test]
    async fn missing_program_is_permanent() {
        let sink = command(
            &["/nonexistent/aggregator-notify", "arg"],
            Duration::from_secs(1),
        );
        let err = deliver(&client(), &sink, &payload()).await.unwrap_err();
        assert!(matches!(err, DeliveryError::Spawn { .. }), "{err:?}");
        assert!(err.permanent());
        assert!(
            err.to_string()
                .starts_with("sink notify: cannot run /nonexistent/aggregator-notify: "),
            "{err}"
        );

        let err = deliver(&client(), &command(&[], Duration::from_secs(1)), &payload())
            .await
            .unwrap_err();
        assert!(
            matches!(err, DeliveryError::Spawn { .. }) && err.permanent(),
            "{err:?}"
        );
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn slow_command_times_out() {
        let sink = command(&["sleep", "5"], Duration::from_millis(300));
        let start = std::time::Instant::now();
        let err = deliver(&client(), &sink, &payload()).await.unwrap_err();
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "{:?}",
            start.elapsed()
        );
        assert!(matches!(err, DeliveryError::Timeout { .. }), "{err:?}");
        assert!(!err.permanent());
        assert_eq!(
            err.to_string(),
            "sink notify: command sleep: no answer within 300ms"
        );
    }
}
