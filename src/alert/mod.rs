//! Alerts: one per story and watchlist, queued in a persistent outbox in SQLite and delivered to
//! sinks (a webhook, a command) with retries and backoff.
//!
//! - [`AlertPayload`] is the documented JSON every sink receives (the Slack format is rendered
//!   from it).
//! - [`deliver`] sends one payload to one sink; it never logs or reports secrets.
//! - [`dispatch`] is the delivery loop: it claims due deliveries from the outbox
//!   ([`crate::store::alerts::Outbox`]), sends them, and records each attempt.

pub mod deliver;
pub mod dispatch;

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::Hit;

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

/// The JSON document a sink receives for one alert. Field names are part of the interface.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertPayload {
    /// Always `"aggregator.alert"`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Payload version; 1.
    pub version: u32,
    /// The alert's id (stable across retries: receivers can use it to drop repeats).
    pub alert_id: i64,
    pub watchlist: String,
    pub description: Option<String>,
    pub priority: Priority,
    pub story: AlertStory,
    /// Terms of the watchlist that matched.
    pub terms: Vec<String>,
    /// Where they matched.
    pub hits: Vec<Hit>,
    /// When the alert was raised.
    pub created_at: DateTime<Utc>,
}

/// The story an alert is about, as it was when the alert was raised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertStory {
    pub id: i64,
    pub title: String,
    pub link: Option<String>,
    /// The configured name of the feed the matching item came from.
    pub feed: String,
    pub published: Option<DateTime<Utc>>,
    pub first_seen: DateTime<Utc>,
    pub summary: Option<String>,
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
        url: url::Url,
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
    /// The [`AlertPayload`] as JSON.
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

impl std::fmt::Debug for SinkConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SinkConfig")
            .field("name", &self.name)
            .field("target", &deliver::describe(self))
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}
