//! The delivery loop: claims due deliveries from the outbox, sends each to its sink, records
//! the outcome (delivered; or failed, retried later with backoff, given up after the policy's
//! attempts). At least once: a delivery is marked done only after its sink accepted it, so a
//! crash in between sends it again; never again after it is marked.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use super::deliver::{self, DeliveryError};
use super::{AlertPayload, RetryPolicy, SinkConfig};
use crate::config::Config;
use crate::store::alerts::AlertFacts;
use crate::store::outbox::Delivery;
use crate::store::{Store, StoreError, Writer};

/// Deliveries claimed at once (and sent concurrently).
const BATCH: usize = 8;
/// Longest sleep between passes when nothing is due (a delivery queued by another process,
/// such as `rematch --alert`, is picked up within this).
const IDLE: Duration = Duration::from_secs(30);
/// Added to the longest sink timeout: how long a claimed delivery stays claimed.
const LEASE_MARGIN: Duration = Duration::from_secs(5);

/// Counts from one pass over the due deliveries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassStats {
    pub delivered: usize,
    /// Failed attempts that will be retried.
    pub retrying: usize,
    /// Deliveries given up on.
    pub failed: usize,
}

/// Sinks and retry policy, replaced as a whole on reload.
#[derive(Debug, Clone, Default)]
pub struct Routing {
    pub sinks: Vec<SinkConfig>,
    pub policy: RetryPolicy,
    /// The web view's address (`[web] base_url`): alerts link to the story's page there.
    pub base_url: Option<url::Url>,
}

impl Routing {
    /// The configured sinks and retry policy for the delivery loop.
    pub fn from_config(config: &Config) -> Self {
        Self {
            sinks: config.sinks.clone(),
            policy: config.retry,
            base_url: config.web.base_url.clone(),
        }
    }
}

/// Sends due alerts to their sinks; the outbox is read and written through the writer.
pub struct Dispatcher {
    writer: Arc<Writer>,
    client: reqwest::Client,
    routing: Routing,
}

impl Dispatcher {
    /// Works through the outbox of the database `writer` owns.
    pub fn new(
        writer: Arc<Writer>,
        routing: Routing,
        user_agent: &str,
    ) -> Result<Self, StoreError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        // Webhooks answer directly: a redirect is reported as a failure rather than followed
        // (following would carry the configured secret headers to another address).
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| StoreError::Commit(format!("cannot build HTTP client: {e}")))?;
        Ok(Self {
            writer,
            client,
            routing,
        })
    }

    /// Replaces the sinks and policy (on reload).
    pub fn set_routing(&mut self, routing: Routing) {
        self.routing = routing;
    }

    /// Names of the configured sinks.
    fn sink_names(&self) -> Vec<String> {
        self.routing.sinks.iter().map(|s| s.name.clone()).collect()
    }

    /// Attempts every delivery due now, once.
    pub async fn pass(&self) -> Result<PassStats, StoreError> {
        let mut stats = PassStats::default();
        let start = now_ms();
        let lease = self
            .routing
            .sinks
            .iter()
            .map(|s| s.timeout)
            .max()
            .unwrap_or_default()
            + LEASE_MARGIN;
        loop {
            let names = self.sink_names();
            let claimed = self
                .blocking(move |o| {
                    let names: Vec<&str> = names.iter().map(String::as_str).collect();
                    // Each batch's claim runs from its own start: it must outlast its sends.
                    o.claim_deliveries(start, now_ms(), lease, &names, BATCH)
                })
                .await?;
            if claimed.is_empty() {
                return Ok(stats);
            }
            let mut sends = JoinSet::new();
            for d in claimed {
                let sink = self
                    .routing
                    .sinks
                    .iter()
                    .find(|s| s.name == d.sink)
                    .cloned();
                let client = self.client.clone();
                let base = self.routing.base_url.clone();
                sends.spawn(async move {
                    let result = send(&client, sink.as_ref(), &d, base.as_ref()).await;
                    (d, sink, result)
                });
            }
            while let Some(joined) = sends.join_next().await {
                let Ok((d, sink, result)) = joined else {
                    continue; // a panicked send stays claimed until its lease ends
                };
                let what = sink.as_ref().map_or_else(String::new, deliver::describe);
                let (name, alert, attempt) = (d.sink.clone(), d.alert_id, d.attempts + 1);
                match result {
                    Ok(()) => {
                        tracing::info!(sink = %name, to = %what, alert, attempt, "alert delivered");
                        if !self.blocking(move |o| o.delivered(&d, now_ms())).await? {
                            tracing::warn!(sink = %name, alert, "alert delivered after its claim lapsed; another process may send it too");
                        }
                        stats.delivered += 1;
                    }
                    Err(e) => {
                        let message = e.to_string();
                        let permanent = e.permanent();
                        let policy = self.routing.policy;
                        let recorded = self
                            .blocking(move |o| {
                                o.delivery_failed(&d, now_ms(), &message, permanent, &policy)
                            })
                            .await?;
                        match recorded {
                            None => {
                                tracing::warn!(sink = %name, alert, error = %e, "alert delivery failed after its claim lapsed; left to the process that holds it")
                            }
                            Some(true) => {
                                stats.failed += 1;
                                tracing::error!(sink = %name, to = %what, alert, attempt, error = %e, "alert delivery failed; giving up");
                            }
                            Some(false) => {
                                stats.retrying += 1;
                                tracing::warn!(sink = %name, to = %what, alert, attempt, error = %e, "alert delivery failed; will retry");
                            }
                        }
                    }
                }
            }
        }
    }

    /// Runs passes until `stop` turns true: when a delivery is due, when `wake` is notified
    /// (an alert was raised), and at least every 30 seconds. Takes new routing from `routing`.
    pub async fn run(
        mut self,
        wake: Arc<Notify>,
        mut routing: watch::Receiver<Routing>,
        mut stop: watch::Receiver<bool>,
    ) {
        loop {
            if *stop.borrow() {
                return;
            }
            // New sinks first: a pass with the old ones would leave new deliveries waiting.
            if routing.has_changed().unwrap_or(false) {
                self.set_routing(routing.borrow_and_update().clone());
            }
            if let Err(e) = self.pass().await {
                tracing::error!(error = %e, "alert outbox unavailable; will retry");
            }
            let names = self.sink_names();
            let next = self
                .blocking(move |o| {
                    let names: Vec<&str> = names.iter().map(String::as_str).collect();
                    o.next_delivery_due(&names)
                })
                .await
                .ok()
                .flatten()
                .map(|due| Duration::from_millis(due.saturating_sub(now_ms()).max(0) as u64))
                .unwrap_or(IDLE)
                .min(IDLE);
            tokio::select! {
                _ = stop.wait_for(|s| *s) => return,
                () = wake.notified() => {}
                changed = routing.changed() => {
                    if changed.is_ok() {
                        self.set_routing(routing.borrow_and_update().clone());
                    }
                }
                () = tokio::time::sleep(next) => {}
            }
        }
    }

    /// Runs `f` as a job of the writer.
    async fn blocking<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        self.writer.call(f).await?
    }
}

/// Why a claimed delivery could not even be attempted, or the sink's answer.
async fn send(
    client: &reqwest::Client,
    sink: Option<&SinkConfig>,
    d: &Delivery,
    base_url: Option<&url::Url>,
) -> Result<(), SendError> {
    let Some(sink) = sink else {
        return Err(SendError::NoSink(d.sink.clone()));
    };
    let facts: AlertFacts =
        serde_json::from_str(&d.facts).map_err(|e| SendError::Payload(e.to_string()))?;
    let created_at = chrono::DateTime::from_timestamp(d.created_at, 0).unwrap_or_default();
    let mut payload = AlertPayload::new(d.alert_id, d.watchlist.clone(), created_at, facts);
    payload.story_url = base_url.and_then(|b| story_url(b, payload.story.id));
    deliver::deliver(client, sink, &payload)
        .await
        .map_err(SendError::Delivery)
}

/// The story's page in the web view under `base` (`https://desk.example/aggregator/` →
/// `…/aggregator/stories/17`).
fn story_url(base: &url::Url, story: i64) -> Option<String> {
    base.join(&format!("stories/{story}"))
        .ok()
        .map(String::from)
}

#[derive(Debug, thiserror::Error)]
enum SendError {
    #[error("sink {0:?} is not configured (any more)")]
    NoSink(String),
    #[error("stored alert payload is unreadable: {0}")]
    Payload(String),
    #[error(transparent)]
    Delivery(DeliveryError),
}

impl SendError {
    fn permanent(&self) -> bool {
        match self {
            SendError::NoSink(_) | SendError::Payload(_) => true,
            SendError::Delivery(e) => e.permanent(),
        }
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
