//! The long-running service: every feed on its own schedule, bounded concurrency (globally and
//! per host, with spacing between starts to one host), reload on request, and a shutdown that
//! stops intake, lets in-flight fetches finish or time out, commits and closes.
//!
//! `run` takes its shutdown future and reload channel as arguments, so tests drive it; the CLI
//! wires them to SIGTERM/SIGINT and SIGHUP. Talking to systemd goes through [`Notifier`], which
//! does nothing outside systemd.

use std::collections::HashMap;
use std::path::PathBuf;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::config::{self, Config, ConfigError, FeedConfig};
use crate::refresh::{FeedOutcome, FeedReport, Hosts, PollError, Refresher, host_of};
use crate::store::{FeedState, Store, StoreError, Writer};

/// How often the scheduler loop wakes when nothing is due (for the watchdog and status).
const TICK: Duration = Duration::from_secs(5);
/// Extra time in-flight fetches get at shutdown beyond their own timeout.
const DRAIN_GRACE: Duration = Duration::from_secs(5);

/// What stops the daemon from starting or running.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Poll(#[from] PollError),
}

/// Messages to the service manager (systemd's `sd_notify`); silent outside systemd.
pub trait Notifier: Send + Sync {
    fn ready(&self) {}
    fn status(&self, _text: &str) {}
    fn watchdog(&self) {}
    fn reloading(&self) {}
    fn stopping(&self) {}
}

/// A notifier that says nothing (tests, or no service manager).
pub struct Silent;
impl Notifier for Silent {}

/// `sd_notify` over `$NOTIFY_SOCKET`; without it every call is a no-op.
pub struct Systemd;

impl Notifier for Systemd {
    fn ready(&self) {
        let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
    }
    fn status(&self, text: &str) {
        let _ = sd_notify::notify(&[sd_notify::NotifyState::Status(text)]);
    }
    fn watchdog(&self) {
        let _ = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]);
    }
    fn reloading(&self) {
        let mut states = vec![sd_notify::NotifyState::Reloading];
        if let Ok(now) = sd_notify::NotifyState::monotonic_usec_now() {
            states.push(now);
        }
        let _ = sd_notify::notify(&states);
    }
    fn stopping(&self) {
        let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
    }
}

/// What a run did, for the final log line and for tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RunSummary {
    pub fetches: u64,
    pub failures: u64,
    pub reloads: u64,
    pub failed_reloads: u64,
    /// In-flight fetches cut off at shutdown because they outlived the grace period.
    pub abandoned: u64,
}

struct Entry {
    feed: FeedConfig,
    state: FeedState,
    due: Instant,
    in_flight: bool,
}

/// Everything that comes from one loaded config.
struct Running {
    config: Config,
    refresher: Refresher,
    global: Arc<Semaphore>,
    hosts: Hosts,
}

impl Running {
    fn new(config: Config, writer: Arc<Writer>) -> Result<Self, DaemonError> {
        let watch = Arc::new(config.watch_set()?);
        let refresher = Refresher::new(&config, watch, writer).map_err(PollError::from)?;
        Ok(Self {
            global: Arc::new(Semaphore::new(config.defaults.concurrency)),
            hosts: Hosts::new(config.defaults.per_host, config.defaults.host_spacing),
            refresher,
            config,
        })
    }
}

/// Runs until `shutdown` completes. Each message on `reload` re-reads both config files; a
/// broken new config is reported and the running one kept.
pub async fn run(
    config_path: PathBuf,
    shutdown: impl Future<Output = ()>,
    mut reload: mpsc::Receiver<()>,
    notifier: Arc<dyn Notifier>,
) -> Result<RunSummary, DaemonError> {
    let config = config::load(&config_path)?;
    let store = Store::open(&config.database)?;
    let writer = Arc::new(Writer::spawn(store));
    let mut running = Running::new(config, writer.clone())?;
    let mut entries: HashMap<String, Entry> = HashMap::new();
    sync_entries(&running.config, &writer, &mut entries).await?;
    notifier.ready();
    tracing::info!(feeds = entries.len(), db = %running.config.database.display(), "daemon started");

    let mut summary = RunSummary::default();
    let mut tasks: JoinSet<(String, Option<Result<FeedReport, StoreError>>)> = JoinSet::new();
    let stopping = Arc::new(AtomicBool::new(false));
    let mut shutdown = pin!(shutdown);
    let mut last_status = Instant::now() - TICK;
    loop {
        let now = Instant::now();
        // Start what is due.
        for entry in entries.values_mut() {
            if entry.in_flight || entry.state.retired || entry.due > now {
                continue;
            }
            entry.in_flight = true;
            let (feed, state) = (entry.feed.clone(), entry.state.clone());
            let (refresher, global, hosts) = (
                running.refresher.clone(),
                running.global.clone(),
                running.hosts.clone(),
            );
            let stopping = stopping.clone();
            tasks.spawn(async move {
                let _global = global.acquire_owned().await.expect("never closed");
                // Local files need no politeness; web hosts get their budget and spacing.
                let _host = match host_of(&state.url) {
                    Some(host) => Some(hosts.enter(&host).await),
                    None => None,
                };
                // Work that had not started when shutdown began is not started.
                if stopping.load(Ordering::SeqCst) {
                    return (feed.name, None);
                }
                let report = refresher.refresh(&feed, &state).await;
                (feed.name, Some(report))
            });
        }
        if now.duration_since(last_status) >= TICK {
            notifier.watchdog();
            notifier.status(&status_line(&entries, &summary));
            last_status = now;
        }
        let next_due = entries
            .values()
            .filter(|e| !e.in_flight && !e.state.retired)
            .map(|e| e.due)
            .min()
            .unwrap_or(now + TICK)
            .min(now + TICK);
        tokio::select! {
            () = &mut shutdown => break,
            Some(()) = reload.recv() => {
                notifier.reloading();
                let attempt = config::load(&config_path)
                    .map_err(DaemonError::from)
                    .and_then(|c| Running::new(c, writer.clone()));
                match attempt {
                    Ok(next) => {
                        running = next;
                        sync_entries(&running.config, &writer, &mut entries).await?;
                        summary.reloads += 1;
                        tracing::info!(feeds = entries.len(), "configuration reloaded");
                    }
                    Err(e) => {
                        summary.failed_reloads += 1;
                        tracing::error!(error = %e, "reload failed; keeping the running configuration");
                    }
                }
                notifier.ready();
            }
            Some(joined) = tasks.join_next(), if !tasks.is_empty() => {
                let (name, report) = match joined {
                    Ok((name, Some(report))) => (name, report?),
                    Ok((_, None)) => continue,
                    Err(e) => {
                        tracing::error!(error = %e, "feed task ended abnormally");
                        continue;
                    }
                };
                summary.fetches += 1;
                if matches!(report.outcome, FeedOutcome::Failed { .. }) {
                    summary.failures += 1;
                }
                finish(&mut entries, &writer, &name, &report).await?;
            }
            () = tokio::time::sleep_until(next_due) => {}
        }
    }

    // Shutdown: no new work; in-flight fetches finish or time out; then commit and close.
    notifier.stopping();
    stopping.store(true, Ordering::SeqCst);
    let deadline = Instant::now() + running.config.defaults.timeout + DRAIN_GRACE;
    tracing::info!(
        in_flight = tasks.len(),
        "shutting down: finishing in-flight fetches"
    );
    while !tasks.is_empty() {
        match tokio::time::timeout_at(deadline, tasks.join_next()).await {
            Ok(Some(Ok((_, None)))) => {}
            Ok(Some(Ok((_, Some(report))))) => {
                summary.fetches += 1;
                if let Ok(r) = &report
                    && matches!(r.outcome, FeedOutcome::Failed { .. })
                {
                    summary.failures += 1;
                }
                report?;
            }
            Ok(Some(Err(e))) => tracing::error!(error = %e, "feed task ended abnormally"),
            Ok(None) => break,
            Err(_) => {
                summary.abandoned = tasks.len() as u64;
                tasks.abort_all();
                tracing::warn!(
                    abandoned = summary.abandoned,
                    "in-flight fetches outlived the grace period"
                );
                break;
            }
        }
    }
    drop(running);
    match Arc::try_unwrap(writer) {
        Ok(w) => w.close(),
        Err(_) => tracing::warn!("database writer still shared at shutdown"),
    }
    tracing::info!(
        fetches = summary.fetches,
        failures = summary.failures,
        "daemon stopped"
    );
    Ok(summary)
}

/// Brings the schedule in line with `config`: new feeds are due now, removed ones dropped,
/// unchanged ones keep their time (from the database on first load).
async fn sync_entries(
    config: &Config,
    writer: &Writer,
    entries: &mut HashMap<String, Entry>,
) -> Result<(), StoreError> {
    let feeds = config.feeds.clone();
    let states = writer
        .call(move |s| s.sync_feeds(&feeds, Utc::now()))
        .await??;
    let mut next: HashMap<String, Entry> = HashMap::with_capacity(states.len());
    for (feed, state) in config.feeds.iter().cloned().zip(states) {
        let (due, in_flight) = match entries.remove(&feed.name) {
            Some(old) if old.feed.url == feed.url => (old.due, old.in_flight),
            _ => (due_at(&state), false),
        };
        next.insert(
            feed.name.clone(),
            Entry {
                feed,
                state,
                due,
                in_flight,
            },
        );
    }
    for (name, old) in entries.drain() {
        if old.in_flight {
            tracing::info!(feed = %name, "removed from the config; its fetch in flight will finish");
        }
    }
    *entries = next;
    Ok(())
}

/// The stored next-poll time as a point on the runtime's clock (now if past or unknown).
fn due_at(state: &FeedState) -> Instant {
    let wait = state
        .next_poll_at
        .and_then(|t| (t - Utc::now()).to_std().ok())
        .unwrap_or(Duration::ZERO);
    Instant::now() + wait
}

/// A fetch ended: reload the feed's state (validators, streak, rhythm) and set its next time.
async fn finish(
    entries: &mut HashMap<String, Entry>,
    writer: &Writer,
    name: &str,
    report: &FeedReport,
) -> Result<(), StoreError> {
    let Some(entry) = entries.get_mut(name) else {
        return Ok(()); // removed by a reload while in flight
    };
    let feed = entry.feed.clone();
    let mut states = writer
        .call(move |s| s.sync_feeds(std::slice::from_ref(&feed), Utc::now()))
        .await??;
    if let Some(state) = states.pop() {
        entry.state = state;
    }
    entry.in_flight = false;
    entry.due = report
        .next_poll_at
        .and_then(|t| (t - Utc::now()).to_std().ok())
        .map_or_else(Instant::now, |wait| Instant::now() + wait);
    Ok(())
}

fn status_line(entries: &HashMap<String, Entry>, summary: &RunSummary) -> String {
    let failing = entries
        .values()
        .filter(|e| e.state.error_streak > 0)
        .count();
    let stale = entries.values().filter(|e| e.state.stale).count();
    let in_flight = entries.values().filter(|e| e.in_flight).count();
    format!(
        "{} feeds, {in_flight} fetching, {failing} failing, {stale} stale; {} fetches since start",
        entries.len(),
        summary.fetches
    )
}
