//! `[[sink]]` and `[alerts]`: where alerts go (webhooks, commands), how deliveries are retried,
//! and the priority a watchlist gives its alerts.

use std::ops::Range;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use toml::Spanned;
use url::Url;

use super::error::{ConfigError, Source};
use super::raw::{RawAlerts, RawSink};
use super::values::{bounded, duration};

/// How urgent a watchlist's alerts are; higher priorities are delivered first.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 4] = [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Urgent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    pub fn parse(s: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The number stored in the outbox (delivery order).
    pub fn rank(self) -> i64 {
        self as i64
    }
}

/// A configured alert destination. Its `Debug` form leaves out the URL's path and query and
/// every header value: they are secrets.
#[derive(Clone, PartialEq)]
pub struct SinkConfig {
    pub name: String,
    pub kind: SinkKind,
    /// Longest a single delivery may take.
    pub timeout: Duration,
}

/// What a sink is.
#[derive(Clone, PartialEq)]
pub enum SinkKind {
    /// HTTP POST of the payload.
    Webhook {
        url: Url,
        /// Extra request headers (e.g. `Authorization`); values are secrets, never logged.
        headers: Vec<(String, String)>,
        format: WebhookFormat,
    },
    /// A program run without a shell, the payload JSON on its stdin; exit status 0 is success.
    Command { argv: Vec<String> },
}

/// The body a webhook sink posts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WebhookFormat {
    /// The alert payload (`AlertPayload` of the alert module) as JSON.
    #[default]
    Json,
    /// A Slack incoming-webhook message (`{"text": …}`), also understood by Mattermost and
    /// Rocket.Chat.
    Slack,
}

/// Retry policy for deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Wait after the first failure; doubled after each further one.
    pub backoff: Duration,
    /// Longest wait between attempts.
    pub max_backoff: Duration,
    /// Attempts before a delivery is marked failed.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            backoff: Duration::from_secs(30),
            max_backoff: Duration::from_secs(3600),
            max_attempts: 12,
        }
    }
}

impl RetryPolicy {
    /// The wait after the `attempts`-th failed attempt (1-based).
    pub fn delay(&self, attempts: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempts.saturating_sub(1).min(30));
        self.backoff.saturating_mul(factor).min(self.max_backoff)
    }
}

impl SinkConfig {
    /// What the sink is, for logs: `"webhook https://hooks.example.com"` (`scheme://host[:port]`
    /// only) or `"command /usr/local/bin/notify"` (argv\[0\] only).
    pub fn describe(&self) -> String {
        match &self.kind {
            SinkKind::Webhook { url, .. } => format!("webhook {}", origin(url)),
            SinkKind::Command { argv } => {
                format!("command {}", argv.first().map_or("", String::as_str))
            }
        }
    }
}

/// `scheme://host[:port]`: none of the URL's userinfo, path, query or fragment.
fn origin(url: &Url) -> String {
    let mut s = format!("{}://", url.scheme());
    if let Some(host) = url.host_str() {
        s.push_str(host);
    }
    if let Some(port) = url.port() {
        s.push_str(&format!(":{port}"));
    }
    s
}

impl std::fmt::Debug for SinkConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SinkConfig")
            .field("name", &self.name)
            .field("target", &self.describe())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// `[[sink]]`: each sink checked, names unique. `${VAR}` in header values is replaced by the
/// environment variable when `secrets` is set; otherwise the values stay as written (their
/// syntax is still checked): reports deliver nothing and need no secrets.
pub(super) fn sinks(
    raw: &[Spanned<RawSink>],
    secrets: bool,
    src: Source,
) -> Result<Vec<SinkConfig>, ConfigError> {
    let mut sinks: Vec<SinkConfig> = Vec::new();
    for sink in raw {
        let parsed = sink_config(sink.get_ref(), secrets, src)?;
        if sinks.iter().any(|s| s.name == parsed.name) {
            return Err(src.invalid(
                sink.get_ref().name.span(),
                "sink.name",
                format!("duplicate sink name {:?}", parsed.name),
            ));
        }
        sinks.push(parsed);
    }
    Ok(sinks)
}

/// `[alerts]`: every key given replaces the built-in retry policy's.
pub(super) fn retry(raw: Option<&RawAlerts>, src: Source) -> Result<RetryPolicy, ConfigError> {
    let mut retry = RetryPolicy::default();
    let Some(a) = raw else {
        return Ok(retry);
    };
    if let Some(v) = &a.backoff {
        retry.backoff = duration(v, Duration::from_millis(10))
            .map_err(|m| src.invalid(v.span(), "alerts.backoff", m))?;
    }
    if let Some(v) = &a.max_backoff {
        retry.max_backoff = duration(v, Duration::from_millis(10))
            .map_err(|m| src.invalid(v.span(), "alerts.max_backoff", m))?;
    }
    if let Some(v) = &a.max_attempts {
        retry.max_attempts = bounded(v, 1..=1000)
            .map_err(|m| src.invalid(v.span(), "alerts.max_attempts", m))?
            as u32;
    }
    Ok(retry)
}

/// Validates one `[[sink]]`.
fn sink_config(s: &RawSink, secrets: bool, src: Source) -> Result<SinkConfig, ConfigError> {
    let name = s.name.get_ref().trim();
    if name.is_empty() || name.chars().any(|c| c.is_control()) {
        return Err(src.invalid(
            s.name.span(),
            "sink.name",
            "must be non-empty printable text".into(),
        ));
    }
    let timeout = match &s.timeout {
        Some(v) => duration(v, Duration::from_millis(100))
            .map_err(|m| src.invalid(v.span(), "sink.timeout", format!("sink {name:?}: {m}")))?,
        None => Duration::from_secs(10),
    };
    let kind = match s.kind.get_ref().trim() {
        "webhook" => webhook(s, name, secrets, src)?,
        "command" => command(s, name, src)?,
        other => {
            return Err(src.invalid(
                s.kind.span(),
                "sink.type",
                format!("sink {name:?}: unknown type {other:?} (webhook, command)"),
            ));
        }
    };
    Ok(SinkConfig {
        name: name.to_string(),
        kind,
        timeout,
    })
}

/// A `type = "webhook"` sink: an http(s) `url`, optional `format` and `headers`, no `command`.
fn webhook(s: &RawSink, name: &str, secrets: bool, src: Source) -> Result<SinkKind, ConfigError> {
    let invalid = |span: Range<usize>, key: &str, m: &str| {
        src.invalid(span, key, format!("sink {name:?}: {m}"))
    };
    let Some(u) = &s.url else {
        return Err(invalid(s.kind.span(), "sink.url", "a webhook needs a url"));
    };
    // Not echoed back: a webhook URL often carries its secret.
    let url = Url::parse(u.get_ref().trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| invalid(u.span(), "sink.url", "not an http(s) URL"))?;
    let format = match s.format.as_ref().map(|f| f.get_ref().trim()) {
        None | Some("json") => WebhookFormat::Json,
        Some("slack") => WebhookFormat::Slack,
        Some(other) => {
            return Err(invalid(
                s.format.as_ref().map_or(s.kind.span(), |f| f.span()),
                "sink.format",
                &format!("unknown format {other:?} (json, slack)"),
            ));
        }
    };
    let mut headers = Vec::new();
    for (k, v) in &s.headers {
        let value = expand_env(v.get_ref(), secrets)
            .map_err(|m| invalid(v.span(), "sink.headers", &format!("header {k}: {m}")))?;
        headers.push((k.clone(), value));
    }
    if s.command.is_some() {
        return Err(invalid(
            s.kind.span(),
            "sink.command",
            "a webhook has no command",
        ));
    }
    Ok(SinkKind::Webhook {
        url,
        headers,
        format,
    })
}

/// A `type = "command"` sink: a non-empty `command`, none of a webhook's keys.
fn command(s: &RawSink, name: &str, src: Source) -> Result<SinkKind, ConfigError> {
    let invalid = |span: Range<usize>, key: &str, m: &str| {
        src.invalid(span, key, format!("sink {name:?}: {m}"))
    };
    let Some(c) = &s.command else {
        return Err(invalid(
            s.kind.span(),
            "sink.command",
            "a command sink needs command = [\"program\", \"arg\", …]",
        ));
    };
    if c.get_ref().first().is_none_or(|p| p.trim().is_empty()) {
        return Err(invalid(c.span(), "sink.command", "the command is empty"));
    }
    if s.url.is_some() || !s.headers.is_empty() || s.format.is_some() {
        return Err(invalid(
            s.kind.span(),
            "sink.type",
            "url, headers and format belong to webhooks",
        ));
    }
    Ok(SinkKind::Command {
        argv: c.get_ref().clone(),
    })
}

/// Replaces `${NAME}` with the environment variable's value (so secrets can live in the
/// service's environment or credentials rather than the config file). Without `secrets`, only
/// the syntax is checked and `${NAME}` stays as written.
fn expand_env(v: &str, secrets: bool) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = v;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| "unterminated ${ in value".to_string())?;
        let var = &after[..end];
        if secrets {
            let val =
                std::env::var(var).map_err(|_| format!("environment variable {var} is not set"))?;
            out.push_str(&val);
        } else {
            out.push_str(&rest[i..i + 2 + end + 1]);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    if out.chars().any(|c| c.is_control()) {
        return Err("value contains control characters".into());
    }
    Ok(out)
}
