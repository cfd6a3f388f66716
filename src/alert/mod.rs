//! Alerts: one per story and watchlist, queued in a persistent outbox in SQLite and delivered to
//! sinks (a webhook, a command) with retries and backoff.
//!
//! - [`AlertPayload`] is the documented JSON every sink receives (the Slack format is rendered
//!   from it).
//! - [`deliver`] sends one payload to one sink; it never logs or reports secrets.
//! - [`dispatch`] is the delivery loop: it claims due deliveries from the outbox
//!   ([`crate::store::outbox`]), sends them, and records each attempt.

pub mod deliver;
pub mod dispatch;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::config::{Priority, RetryPolicy, SinkConfig, SinkKind, WebhookFormat};
pub use crate::model::AlertStory;
use crate::model::Hit;
use crate::store::alerts::AlertFacts;

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
    /// The story's page in the web view, when `[web] base_url` is set (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub story_url: Option<String>,
}

impl AlertPayload {
    /// The document for alert `alert_id` of `watchlist`, raised at `created_at`, from what the
    /// store recorded when it was raised.
    pub fn new(
        alert_id: i64,
        watchlist: String,
        created_at: DateTime<Utc>,
        facts: AlertFacts,
    ) -> Self {
        Self {
            kind: "aggregator.alert".into(),
            version: 1,
            alert_id,
            watchlist,
            description: facts.description,
            priority: facts.priority,
            story: facts.story,
            terms: facts.terms,
            hits: facts.hits,
            created_at,
            story_url: None,
        }
    }
}
