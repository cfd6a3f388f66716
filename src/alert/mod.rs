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

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::config::{Priority, RetryPolicy, SinkConfig, SinkKind, WebhookFormat};
use crate::model::Hit;

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
