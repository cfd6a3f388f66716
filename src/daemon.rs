//! The long-running service: every feed on its own schedule, bounded concurrency (globally and
//! per host, with spacing between starts to one host), reload on request, and a shutdown that
//! stops intake, lets in-flight fetches finish or time out, commits and closes.
//!
//! `run` takes its shutdown future and reload channel as arguments, so tests drive it; the CLI
//! wires them to SIGTERM/SIGINT and SIGHUP. Talking to systemd goes through [`Notifier`], which
//! does nothing outside systemd.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::alert::dispatch::Dispatcher;
use crate::budget::{Budget, HostKey, Wait};
use crate::config::{Config, ConfigError, FeedConfig};
use crate::refresh::{FeedOutcome, FeedReport, PollError, Refresher, seed_pauses};
use crate::store::{FeedState, Store, StoreError, StoreOptions, Writer};
use crate::watch::WatchSet;

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
    #[error("metrics endpoint: cannot listen on {addr}: {source}")]
    Metrics {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("web view: cannot listen on {addr}: {source}")]
    Web {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
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
    /// The config changed while a fetch of this feed was in flight: fetch again when it ends.
    refetch: bool,
}

/// Everything that comes from one loaded config. The limits (the fetch budget, parse slots)
/// carry over a reload when their settings did not change, so fetches in flight and new ones
/// share one budget.
struct Running {
    config: Config,
    refresher: Refresher,
    budget: Budget,
    /// The budget is new (first load, or its limits changed): pauses stored with the feeds
    /// must be put into it.
    fresh_budget: bool,
}

impl Running {
    fn new(
        (config, watch): (Config, Arc<WatchSet>),
        writer: Arc<Writer>,
        previous: Option<&Running>,
    ) -> Result<Self, DaemonError> {
        let mut refresher = Refresher::new(&config, watch, writer).map_err(PollError::from)?;
        let d = &config.defaults;
        let kept = previous.and_then(|p| {
            refresher.share_cpu_with(&p.refresher);
            p.budget
                .same_limits(d.concurrency, d.per_host, d.host_spacing)
                .then(|| p.budget.clone())
        });
        let fresh_budget = kept.is_none();
        let budget = kept.unwrap_or_else(|| Budget::new(d.concurrency, d.per_host, d.host_spacing));
        Ok(Self {
            budget,
            fresh_budget,
            refresher,
            config,
        })
    }
}

/// After a database error on a feed, try it again this much later.
const STORE_RETRY: Duration = Duration::from_secs(30);

/// A feed task's end: the feed's name, the report and the feed's state as stored afterwards
/// (read inside the task, so the scheduler loop never waits on the database).
type TaskResult = (String, Result<(FeedReport, Option<FeedState>), StoreError>);

/// Runs until `shutdown` completes. Each message on `reload` (or a reload the web view asks
/// for after saving the watchlist file) re-reads both config files; a broken new config is
/// reported and the running one kept.
pub async fn run(
    config_path: PathBuf,
    shutdown: impl Future<Output = ()>,
    mut reload: mpsc::Receiver<()>,
    notifier: Arc<dyn Notifier>,
) -> Result<RunSummary, DaemonError> {
    let (config, watch_set) = crate::watch::load(&config_path)?;
    let watch_set = Arc::new(watch_set);
    let store = Store::open(&config.database, StoreOptions::from_config(&config))?;
    let writer = Arc::new(Writer::spawn(store));
    // The web view asks for reloads too (after it saved the watchlist file).
    let (web_reload, mut reload_from_web) = mpsc::channel(1);
    let background = Background::start(&config, watch_set.clone(), &writer, web_reload).await?;
    let mut running = Running::new((config, watch_set), writer.clone(), None)?;
    let mut sched = Schedule::default();
    sync_entries(&running.config, &writer, &mut sched.entries, &sched.busy).await?;
    sched.queue = rebuild_queue(&sched.entries, &sched.busy);
    notifier.ready();
    tracing::info!(feeds = sched.entries.len(), db = %running.config.database.display(), "daemon started");

    let mut summary = RunSummary::default();
    let mut tasks = Tasks::default();
    let mut shutdown = pin!(shutdown);
    let mut last_status = Instant::now() - TICK;
    loop {
        let now = Instant::now();
        let full = tasks.start_due(&mut sched, &mut running, &background.metrics, now);
        if now.duration_since(last_status) >= TICK {
            notifier.watchdog();
            notifier.status(&status_line(&sched.entries, &sched.busy, &summary));
            last_status = now;
        }
        // While the budget is full only an ending fetch can start another.
        let next_due = sched
            .queue
            .first()
            .filter(|_| !full)
            .map_or(now + TICK, |(at, _)| *at)
            .clamp(now, now + TICK);
        tokio::select! {
            () = &mut shutdown => break,
            () = reload_requested(&mut reload, &mut reload_from_web) => {
                notifier.reloading();
                reload_config(&config_path, &writer, &mut running, &mut sched, &background, &mut summary).await;
                notifier.ready();
            }
            Some(joined) = tasks.set.join_next_with_id(), if !tasks.set.is_empty() => {
                tasks.ended(joined, &mut sched, &background, &mut summary);
            }
            () = tokio::time::sleep_until(next_due) => {}
        }
    }

    // Shutdown: no new work; in-flight fetches finish or time out; then commit and close.
    notifier.stopping();
    let deadline = Instant::now() + running.config.defaults.timeout + DRAIN_GRACE;
    tasks.drain(deadline, &mut summary).await;
    background.stop(&running.config).await;
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

/// Waits for a reload request: SIGHUP (`signal`) or the web view (`web`). A closed channel
/// asks for nothing.
async fn reload_requested(signal: &mut mpsc::Receiver<()>, web: &mut mpsc::Receiver<()>) {
    tokio::select! {
        Some(()) = signal.recv() => {}
        Some(()) = web.recv() => {}
        else => std::future::pending().await,
    }
}

/// What runs beside the scheduler (alert delivery, re-checks, the metrics endpoint, daily
/// prunes, the Atom files), each woken when the writer stored something for it, and how a
/// reload reaches them.
struct Background {
    set: JoinSet<()>,
    stop: watch::Sender<bool>,
    alerts_due: Arc<Notify>,
    matches_changed: Arc<Notify>,
    metrics: Arc<crate::metrics::Metrics>,
    routing: watch::Sender<crate::alert::dispatch::Routing>,
    atom: watch::Sender<crate::export::AtomFiles>,
    recheck: watch::Sender<(Config, Arc<WatchSet>)>,
    retention: watch::Sender<crate::config::RetentionConfig>,
    /// The web view, when `[web] enabled`: who may use it and the names its filters offer
    /// follow reloads; its pages hear when stories change.
    web: Option<WebHandles>,
}

struct WebHandles {
    state: Arc<crate::web::WebState>,
    access: watch::Sender<crate::web::Access>,
    catalog: watch::Sender<crate::web::Catalog>,
}

impl Background {
    async fn start(
        config: &Config,
        watch_set: Arc<WatchSet>,
        writer: &Arc<Writer>,
        reload: mpsc::Sender<()>,
    ) -> Result<Self, DaemonError> {
        let (stop, stopped) = watch::channel(false);
        let alerts_due = Arc::new(Notify::new());
        let matches_changed = Arc::new(Notify::new());
        let routing = crate::alert::dispatch::Routing::from_config(config);
        let (routing_tx, routing_rx) = watch::channel(routing.clone());
        let (atom_tx, atom_rx) = watch::channel(crate::export::atom_files(config));
        let dispatcher = Dispatcher::new(writer.clone(), routing, &config.defaults.user_agent)?;
        let mut set = JoinSet::new();
        set.spawn(dispatcher.run(alerts_due.clone(), routing_rx, stopped.clone()));
        let (recheck_tx, recheck_rx) = watch::channel((config.clone(), watch_set));
        set.spawn(crate::recheck::keep_matches_current(
            writer.clone(),
            recheck_rx,
            alerts_due.clone(),
            matches_changed.clone(),
            stopped.clone(),
        ));
        // Counters live for the process; the endpoint, when configured, serves them with
        // gauges read from the database at each scrape.
        let metrics = crate::metrics::Metrics::new();
        if let Some(addr) = config.metrics {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|source| DaemonError::Metrics { addr, source })?;
            set.spawn(crate::metrics::serve(
                listener,
                metrics.clone(),
                config.database.clone(),
                stopped.clone(),
            ));
        }
        let (retention_tx, retention_rx) = watch::channel(config.retention.clone());
        set.spawn(crate::store::maintenance::prune_daily(
            writer.clone(),
            config.database.clone(),
            retention_rx,
            stopped.clone(),
        ));
        let web = if config.web.enabled {
            let addr = config.web.listen;
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|source| DaemonError::Web { addr, source })?;
            let (access, access_rx) = watch::channel(crate::web::access(config));
            let (catalog, catalog_rx) = watch::channel(crate::web::catalog(config));
            let state = crate::web::WebState::editing(
                config.database.clone(),
                writer.clone(),
                access_rx,
                catalog_rx,
                stopped.clone(),
                crate::web::Editing {
                    config: config.path.clone(),
                    reload: Some(reload),
                },
            );
            set.spawn(crate::web::serve(listener, state.clone(), stopped.clone()));
            Some(WebHandles {
                state,
                access,
                catalog,
            })
        } else {
            None
        };
        set.spawn(crate::export::keep_atom_files(
            config.database.clone(),
            atom_rx,
            matches_changed.clone(),
            stopped,
        ));
        Ok(Self {
            set,
            stop,
            alerts_due,
            matches_changed,
            metrics,
            routing: routing_tx,
            atom: atom_tx,
            recheck: recheck_tx,
            retention: retention_tx,
            web,
        })
    }

    /// Stored stories changed (new or updated items, or matches): open web pages refresh.
    fn stories_changed(&self) {
        if let Some(w) = &self.web {
            w.state.changed();
        }
    }

    /// Hands a reloaded configuration to every background task.
    fn reconfigure(&self, next: &Running) {
        let config = &next.config;
        let _ = self
            .routing
            .send(crate::alert::dispatch::Routing::from_config(config));
        let _ = self.atom.send(crate::export::atom_files(config));
        let _ = self.recheck.send((config.clone(), next.refresher.watch()));
        let _ = self.retention.send(config.retention.clone());
        if let Some(w) = &self.web {
            // Listening address and `enabled` take effect at the next start.
            let _ = w.access.send(crate::web::access(config));
            let _ = w.catalog.send(crate::web::catalog(config));
        }
    }

    /// Stops every background task. The delivery loop finishes the deliveries it has started
    /// (each within its sink's timeout); what is not sent stays in the outbox for the next
    /// start.
    async fn stop(mut self, config: &Config) {
        let _ = self.stop.send(true);
        let grace = config
            .sinks
            .iter()
            .map(|s| s.timeout)
            .max()
            .unwrap_or_default()
            + DRAIN_GRACE;
        if tokio::time::timeout(grace, async {
            while self.set.join_next().await.is_some() {}
        })
        .await
        .is_err()
        {
            self.set.abort_all();
            while self.set.join_next().await.is_some() {}
            tracing::warn!(
                "alert deliveries in flight outlived the grace period; they stay queued"
            );
        }
    }
}

/// The scheduler's feeds: every configured one by name, those waiting for their time, those
/// waiting for a slot on their host, and those with a fetch in flight.
#[derive(Default)]
struct Schedule {
    entries: HashMap<String, Entry>,
    /// Feeds waiting for their time, by due time (feeds in flight are not in it).
    queue: Queue,
    /// Due feeds whose host had no free slot, by host: they queue again when a fetch there
    /// ends.
    parked: HashMap<HostKey, Vec<String>>,
    /// Feeds with a fetch in flight, by name: a feed is never fetched twice at once, even when
    /// a reload removes and re-adds it or changes its URL meanwhile.
    busy: HashSet<String>,
}

/// The fetches in flight, one task each, with the feed and host of each task.
#[derive(Default)]
struct Tasks {
    set: JoinSet<TaskResult>,
    names: HashMap<tokio::task::Id, (String, Option<HostKey>)>,
}

impl Tasks {
    /// Starts what is due and allowed, from the head of the queue (ordered by due time). A
    /// feed whose host must wait goes back into the queue (or is parked), never into a task.
    /// Returns whether the budget is full.
    fn start_due(
        &mut self,
        sched: &mut Schedule,
        running: &mut Running,
        metrics: &Arc<crate::metrics::Metrics>,
        now: Instant,
    ) -> bool {
        if running.fresh_budget {
            seed_pauses(
                &running.budget,
                sched
                    .entries
                    .values()
                    .map(|e| (&e.state, HostKey::of(&e.state.url))),
            );
            running.fresh_budget = false;
        }
        start_due(
            &mut Launch {
                entries: &mut sched.entries,
                queue: &mut sched.queue,
                parked: &mut sched.parked,
                busy: &mut sched.busy,
            },
            running,
            now,
            |feed, state, host, permit| {
                let (refresher, budget) = (running.refresher.clone(), running.budget.clone());
                let metrics = metrics.clone();
                let name = feed.name.clone();
                let handle = self.set.spawn(async move {
                    let result =
                        fetch_one(&refresher, &budget, &metrics, (&feed, &state), permit).await;
                    (feed.name, result)
                });
                self.names.insert(handle.id(), (name, host));
            },
        )
    }

    /// A fetch ended: its feed is scheduled again, its host's waiting feeds queue again, and
    /// the background tasks hear of what it stored.
    fn ended(
        &mut self,
        joined: Result<(tokio::task::Id, TaskResult), tokio::task::JoinError>,
        sched: &mut Schedule,
        background: &Background,
        summary: &mut RunSummary,
    ) {
        let (name, host, report) = match joined {
            Ok((id, (name, report))) => {
                let host = self.names.remove(&id).and_then(|(_, h)| h);
                (name, host, report)
            }
            Err(e) => {
                let (name, host) = self.names.remove(&e.id()).unwrap_or_default();
                tracing::error!(feed = %name, error = %e, "feed task ended abnormally");
                (name, host, Err(StoreError::WriterGone))
            }
        };
        sched.busy.remove(&name);
        // A slot on this host is free: the feeds that waited for one queue again.
        if let Some(waiting) = host.and_then(|h| sched.parked.remove(&h)) {
            let now = Instant::now();
            for waiting in waiting {
                if let Some(e) = sched.entries.get_mut(&waiting) {
                    e.due = now;
                    sched.queue.insert((now, waiting));
                }
            }
        }
        summary.fetches += 1;
        match report {
            Ok((report, fresh)) => {
                if matches!(report.outcome, FeedOutcome::Failed { .. }) {
                    summary.failures += 1;
                }
                if let FeedOutcome::Fetched { stats, .. } = &report.outcome {
                    if stats.alerts > 0 {
                        background.alerts_due.notify_one();
                    }
                    if stats.matches > 0 {
                        background.matches_changed.notify_one();
                    }
                    if stats.new + stats.updated > 0 {
                        background.stories_changed();
                    }
                }
                finish(&mut sched.entries, &mut sched.queue, &name, &report, fresh);
            }
            Err(e) => {
                // A database problem (locked, disk full) on one feed's results: keep running
                // and try that feed again; the fetch itself will be repeated.
                summary.failures += 1;
                tracing::error!(feed = %name, error = %e, "storing the feed failed; will retry");
                retry_later(&mut sched.entries, &mut sched.queue, &name);
            }
        }
    }

    /// At shutdown: lets the fetches in flight finish until `deadline`, then abandons the rest.
    async fn drain(&mut self, deadline: Instant, summary: &mut RunSummary) {
        tracing::info!(
            in_flight = self.set.len(),
            "shutting down: finishing fetches in flight"
        );
        while !self.set.is_empty() {
            match tokio::time::timeout_at(deadline, self.set.join_next()).await {
                Ok(Some(Ok((name, report)))) => {
                    summary.fetches += 1;
                    match report {
                        Ok((r, _)) if matches!(r.outcome, FeedOutcome::Failed { .. }) => {
                            summary.failures += 1
                        }
                        Ok(_) => {}
                        Err(e) => {
                            summary.failures += 1;
                            tracing::error!(feed = %name, error = %e, "storing the feed failed at shutdown");
                        }
                    }
                }
                Ok(Some(Err(e))) => tracing::error!(error = %e, "feed task ended abnormally"),
                Ok(None) => break,
                Err(_) => {
                    summary.abandoned = self.set.len() as u64;
                    self.set.abort_all();
                    while self.set.join_next().await.is_some() {}
                    tracing::warn!(
                        abandoned = summary.abandoned,
                        "fetches in flight outlived the grace period"
                    );
                    break;
                }
            }
        }
    }
}

/// Re-reads both config files and, when they load, runs on them: the store's options, the
/// background tasks and the feed schedule follow. A broken config is reported and the running
/// one kept.
async fn reload_config(
    config_path: &std::path::Path,
    writer: &Arc<Writer>,
    running: &mut Running,
    sched: &mut Schedule,
    background: &Background,
    summary: &mut RunSummary,
) {
    let attempt = crate::watch::load(config_path)
        .map_err(DaemonError::from)
        .and_then(|(c, set)| Running::new((c, Arc::new(set)), writer.clone(), Some(running)));
    let next = match attempt {
        Ok(next) => next,
        Err(e) => {
            summary.failed_reloads += 1;
            tracing::error!(error = %e, "reload failed; keeping the running configuration");
            return;
        }
    };
    if next.config.metrics != running.config.metrics {
        tracing::warn!("a new [metrics] setting takes effect at restart");
    }
    if next.config.database != running.config.database {
        tracing::warn!(database = %running.config.database.display(), "a new database path takes effect at restart; still writing to the current one");
    }
    // A new story window takes effect for items stored from now on.
    let options = StoreOptions::from_config(&next.config);
    let _ = writer.call(move |s| s.reconfigure(options)).await;
    background.reconfigure(&next);
    *running = next;
    let synced = sync_entries(&running.config, writer, &mut sched.entries, &sched.busy).await;
    sched.queue = rebuild_queue(&sched.entries, &sched.busy);
    sched.parked.clear();
    match synced {
        Ok(()) => {
            summary.reloads += 1;
            tracing::info!(feeds = sched.entries.len(), "configuration reloaded");
        }
        Err(e) => tracing::error!(error = %e, "reload could not update the feed table"),
    }
}

/// The scheduler's waiting feeds, as [`start_due`] changes them.
struct Launch<'a> {
    entries: &'a mut HashMap<String, Entry>,
    queue: &'a mut Queue,
    parked: &'a mut HashMap<HostKey, Vec<String>>,
    busy: &'a mut HashSet<String>,
}

/// Starts the due feeds the budget allows, from the head of the queue, through `spawn` (which
/// gets the feed, its state, its host and the permits the fetch holds). A feed whose host is
/// spaced or paused is queued again for the time the host allows; one whose host is full is
/// parked until a fetch there ends. Returns true when the global budget ran out with due feeds
/// left (only an ending fetch can start another then).
fn start_due(
    w: &mut Launch<'_>,
    running: &Running,
    now: Instant,
    mut spawn: impl FnMut(FeedConfig, FeedState, Option<HostKey>, crate::budget::Permit),
) -> bool {
    while let Some((at, name)) = w.queue.first().cloned() {
        if at > now {
            return false;
        }
        // Skip what a later change made stale (re-queued at another time, busy, retired).
        let Some(entry) = w
            .entries
            .get_mut(&name)
            .filter(|e| e.due == at && !e.state.retired && !w.busy.contains(&name))
        else {
            w.queue.pop_first();
            continue;
        };
        let host = HostKey::of(&entry.state.url);
        match running.budget.try_start(host.as_ref(), now) {
            Ok(permit) => {
                w.queue.pop_first();
                entry.refetch = false;
                let (feed, state) = (entry.feed.clone(), entry.state.clone());
                w.busy.insert(name);
                spawn(feed, state, host, permit);
            }
            Err(Wait::Full) => return true,
            Err(Wait::HostFull) => {
                w.queue.pop_first();
                if let Some(host) = host {
                    w.parked.entry(host).or_default().push(name);
                }
            }
            Err(Wait::Spacing(t) | Wait::Paused(t)) => {
                w.queue.pop_first();
                entry.due = t;
                w.queue.insert((t, name));
            }
        }
    }
    false
}

/// One fetch of one feed, in its own task: refresh (the budget's `permit` is let go when the
/// download ends, after a host's `Retry-After` is passed to the budget), count, and return the
/// feed's state as the fetch's transaction left it.
async fn fetch_one(
    refresher: &Refresher,
    budget: &Budget,
    metrics: &crate::metrics::Metrics,
    (feed, state): (&FeedConfig, &FeedState),
    permit: crate::budget::Permit,
) -> Result<(FeedReport, Option<FeedState>), StoreError> {
    let started = Instant::now();
    let host = HostKey::of(&state.url);
    let slot = crate::refresh::Slot::new(permit, budget.clone(), host);
    let report = refresher.refresh(feed, state, slot).await?;
    if let FeedOutcome::Fetched { stats, .. } = &report.outcome {
        metrics.stored(
            stats.new as u64,
            stats.updated as u64,
            stats.matches as u64,
            stats.alerts as u64,
        );
    }
    metrics.fetched(report.outcome.result(), started.elapsed());
    let fresh = report.state.clone();
    Ok((report, fresh))
}

/// Brings the schedule in line with `config`: feeds changed by a reload are due now (or right
/// after a fetch of theirs still in flight), new ones when their stored schedule says (now when
/// never fetched), removed ones dropped, unchanged ones keep their time.
async fn sync_entries(
    config: &Config,
    writer: &Writer,
    entries: &mut HashMap<String, Entry>,
    busy: &HashSet<String>,
) -> Result<(), StoreError> {
    let feeds = config.feeds.clone();
    let states = writer
        .call(move |s| s.sync_feeds(&feeds, Utc::now()))
        .await??;
    let mut next: HashMap<String, Entry> = HashMap::with_capacity(states.len());
    for (feed, state) in config.feeds.iter().cloned().zip(states) {
        let (due, refetch) = match entries.remove(&feed.name) {
            Some(old) if old.feed == feed => (old.due, old.refetch),
            _ if busy.contains(&feed.name) => (Instant::now(), true),
            // Changed (its interval, timezone…): due now, whatever the stored schedule said
            // (a server's `<ttl>` or `max-age` may have put it hours away).
            Some(_) => (Instant::now(), false),
            // New to this run: the stored schedule (now if it has none).
            None => (due_at(&state), false),
        };
        next.insert(
            feed.name.clone(),
            Entry {
                feed,
                state,
                due,
                refetch,
            },
        );
    }
    for name in entries.keys() {
        if busy.contains(name) {
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

fn retry_later(entries: &mut HashMap<String, Entry>, queue: &mut Queue, name: &str) {
    if let Some(e) = entries.get_mut(name) {
        e.due = Instant::now() + STORE_RETRY;
        queue.insert((e.due, name.to_string()));
    }
}

/// Feeds waiting for their time, ordered by it.
type Queue = BTreeSet<(Instant, String)>;

fn rebuild_queue(entries: &HashMap<String, Entry>, busy: &HashSet<String>) -> Queue {
    entries
        .values()
        .filter(|e| !busy.contains(&e.feed.name) && !e.state.retired)
        .map(|e| (e.due, e.feed.name.clone()))
        .collect()
}

/// A fetch ended: keep the feed's fresh state (validators, streak, rhythm) and set its next
/// time.
fn finish(
    entries: &mut HashMap<String, Entry>,
    queue: &mut Queue,
    name: &str,
    report: &FeedReport,
    fresh: Option<FeedState>,
) {
    let Some(entry) = entries.get_mut(name) else {
        return; // removed by a reload while in flight
    };
    if let Some(state) = fresh
        && state.url == entry.state.url
    {
        entry.state = state;
    }
    if entry.refetch {
        // The config changed while this fetch was in flight: fetch again as configured now.
        entry.refetch = false;
        entry.due = Instant::now();
    } else {
        entry.due = report
            .next_poll_at
            .and_then(|t| (t - Utc::now()).to_std().ok())
            .map_or_else(Instant::now, |wait| Instant::now() + wait);
    }
    if !entry.state.retired {
        queue.insert((entry.due, name.to_string()));
    }
}

fn status_line(
    entries: &HashMap<String, Entry>,
    busy: &HashSet<String>,
    summary: &RunSummary,
) -> String {
    let failing = entries
        .values()
        .filter(|e| e.state.error_streak > 0)
        .count();
    let stale = entries.values().filter(|e| e.state.stale).count();
    format!(
        "{} feeds, {} fetching, {failing} failing, {stale} stale; {} fetches since start",
        entries.len(),
        busy.len(),
        summary.fetches
    )
}
