//! The only composer: fetch → parse → identify → match → store. Stages never call each other;
//! this module hands each one's output to the next. A failing feed is recorded on its row and
//! reported, never fatal to the poll.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;
use url::Url;

use crate::budget::{Budget, HostKey, Wait};
use crate::config::{Config, Defaults, FeedConfig};
use crate::dedup;
use crate::dedup::ReadyItem;
use crate::fetch::{Body, FetchError, FetchOptions, Fetched, Fetcher};
use crate::parse::{self, ParseError, ParseOptions};
use crate::schedule;
use crate::store::{AfterFetch, ApplyStats, FeedState, FetchRecord, StoreError, Writer};
use crate::text::{clean_line, fold};
use crate::watch::{ItemText, WatchSet};

/// A parsed body, its items identified and matched: everything the store needs.
#[derive(Debug)]
pub struct Prepared {
    pub title: Option<String>,
    pub site_link: Option<String>,
    /// When the feed says it was last updated.
    pub updated: Option<DateTime<Utc>>,
    /// The body's items the store must look at: all of them, but those `known` says the last
    /// stored body carried unchanged.
    pub items: Vec<ReadyItem>,
    /// Items in the body (repeats within it settled), known ones included.
    pub body_items: usize,
    /// The body's items as [`dedup::revision`]s, sorted: what to pass as `known` next time,
    /// once this body is stored.
    pub revisions: Vec<u64>,
    /// The typical gap between the body's items (see [`schedule::cadence`]).
    pub cadence: Option<Duration>,
    /// The feed's own refresh hint (`<ttl>`, `sy:updatePeriod`).
    pub feed_hint: Option<Duration>,
    /// What the parser noticed about the body (cut short, entries it could not read).
    pub warnings: Vec<crate::model::FeedWarning>,
}

/// The pure part of a refresh: parse, identify and match one body of the feed named `feed`.
/// Items whose [`dedup::revision`] is in `known` (sorted; the last stored body's) are items the
/// store already holds unchanged: they are neither fingerprinted nor matched, nor sent. CPU only.
pub fn prepare(
    bytes: &[u8],
    opts: &ParseOptions,
    watch: &WatchSet,
    feed: &str,
    known: &[u64],
) -> Result<Prepared, ParseError> {
    struct Identified {
        item: crate::model::ParsedItem,
        identity: crate::model::Identity,
        title: String,
        summary: String,
    }
    let parsed = parse::parse_feed(bytes, opts)?;
    let mut items: Vec<Identified> = parsed
        .items
        .into_iter()
        .map(|item| {
            let title = fold(&item.title);
            let summary = fold(item.summary.as_deref().unwrap_or_default());
            Identified {
                identity: dedup::identify_folded(&item, &title, &summary),
                item,
                title,
                summary,
            }
        })
        .collect();
    // Repeats within the body are settled first: nothing is fingerprinted or matched twice.
    let dropped = dedup::settle_batch(&mut items, |i| &mut i.identity);
    if dropped > 0 {
        tracing::debug!(dropped, "items repeated within one body");
    }
    let cadence = schedule::cadence(
        items
            .iter()
            .filter_map(|r| r.item.published.or(r.item.updated))
            .map(|t| t.timestamp())
            .collect(),
    );
    let body_items = items.len();
    let mut revisions = Vec::with_capacity(items.len());
    let items: Vec<ReadyItem> = items
        .into_iter()
        .filter_map(|i| {
            let revision = dedup::revision(&i.item, &i.identity);
            revisions.push(revision);
            if known.binary_search(&revision).is_ok() {
                return None;
            }
            Some(ReadyItem {
                fingerprint: dedup::story::Fingerprint::from_folded(&i.title, &i.summary),
                matches: watch.match_with(&ItemText::of(&i.item, feed), &i.title, &i.summary),
                identity: i.identity,
                item: i.item,
            })
        })
        .collect();
    revisions.sort_unstable();
    Ok(Prepared {
        title: parsed.title,
        site_link: parsed.link,
        updated: parsed.updated,
        items,
        body_items,
        revisions,
        cadence,
        feed_hint: schedule::feed_hint(parsed.ttl_minutes, parsed.sy_update),
        warnings: parsed.warnings,
    })
}

/// How one feed's refresh ended.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedOutcome {
    /// A new body was stored; `warnings` say what was wrong with it (cut short, entries that
    /// could not be read).
    Fetched {
        items: usize,
        stats: ApplyStats,
        warnings: Vec<crate::model::FeedWarning>,
    },
    /// 304 (or unchanged file): nothing new.
    NotModified,
    /// Fetch or parse failed; recorded on the feed row.
    Failed { error: String },
}

impl FeedOutcome {
    /// The fetch's result as the feed's `last_result` and the metrics label
    /// (`aggregator_fetches_total{result=…}`) say it: `ok`, `truncated` (a body cut short whose
    /// complete items were stored), `not_modified` or `error`.
    pub fn result(&self) -> &'static str {
        match self {
            FeedOutcome::Fetched { warnings, .. }
                if warnings.contains(&crate::model::FeedWarning::Truncated) =>
            {
                "truncated"
            }
            FeedOutcome::Fetched { .. } => "ok",
            FeedOutcome::NotModified => "not_modified",
            FeedOutcome::Failed { .. } => "error",
        }
    }
}

/// One feed's result in a poll.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedReport {
    pub name: String,
    pub outcome: FeedOutcome,
    /// When the feed is due next.
    pub next_poll_at: Option<chrono::DateTime<Utc>>,
    /// The feed answered 410 Gone and is no longer polled.
    pub retired: bool,
    /// The server's `Retry-After` with a 429/503: it applies to the whole host.
    pub retry_after: Option<Duration>,
    /// The feed's row as this fetch left it.
    pub state: Option<FeedState>,
}

/// Totals of one poll.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PollSummary {
    pub feeds: Vec<FeedReport>,
    /// Feeds not fetched because their host asked for a long pause.
    pub skipped: Vec<Skipped>,
}

impl PollSummary {
    pub fn ok(&self) -> usize {
        self.feeds.len() - self.failed()
    }
    pub fn failed(&self) -> usize {
        self.feeds
            .iter()
            .filter(|f| matches!(f.outcome, FeedOutcome::Failed { .. }))
            .count()
    }
    pub fn not_modified(&self) -> usize {
        self.feeds
            .iter()
            .filter(|f| f.outcome == FeedOutcome::NotModified)
            .count()
    }
    pub fn stats(&self) -> ApplyStats {
        let mut total = ApplyStats::default();
        for f in &self.feeds {
            if let FeedOutcome::Fetched { stats, .. } = &f.outcome {
                total += *stats;
            }
        }
        total
    }
}

/// The runtime polling runs on: one worker per core for the network and timers, and a small
/// blocking pool (parsing takes one thread per core, the database writer one, local file reads
/// the rest). Unbounded, the
/// pool grows a thread per concurrent fetch, and each thread's allocator arena adds resident
/// memory without adding speed on this kind of machine.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .max_blocking_threads(cores * 2 + 2)
        .enable_all()
        .build()
}

/// Fetch limits from the config's defaults.
pub fn fetch_options(config: &Config) -> FetchOptions {
    FetchOptions {
        timeout: config.defaults.timeout,
        connect_timeout: config.defaults.connect_timeout,
        max_body_bytes: config.defaults.max_body_bytes,
        user_agent: config.defaults.user_agent.clone(),
    }
}

/// What stops a whole poll (a single feed's failure never does).
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Client(#[from] crate::fetch::FetchError),
}

/// The longest host pause (`Retry-After`) a one-shot poll waits out; a host paused for longer
/// has its feeds skipped and reported, and the poll ends without them.
pub const POLL_WAIT_LIMIT: Duration = Duration::from_secs(10);

/// A feed a one-shot poll did not fetch: its host asked for a pause that outlasts the poll.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    pub feed: String,
    pub host: HostKey,
    pub until: chrono::DateTime<Utc>,
}

/// Polls every configured feed once, at most `defaults.concurrency` at a time (and
/// `defaults.per_host` per web host, `defaults.host_spacing` apart), and records each result
/// through the writer. Feeds wait in a queue, never in a task: a host that is busy or asked for
/// a pause holds back only its own feeds, and the feeds of a host paused for longer than
/// [`POLL_WAIT_LIMIT`] (now, or by a `Retry-After` stored in an earlier run) are skipped.
/// Only a database failure ends the poll early.
pub async fn poll_once(
    config: &Config,
    watch: Arc<WatchSet>,
    writer: Arc<Writer>,
) -> Result<PollSummary, PollError> {
    let refresher = Refresher::new(config, watch, writer.clone())?;
    let feeds = config.feeds.clone();
    let states = writer
        .call(move |s| s.sync_feeds(&feeds, Utc::now()))
        .await??;
    let d = &config.defaults;
    let budget = Budget::new(d.concurrency, d.per_host, d.host_spacing);
    let mut work: Vec<Work> = Vec::new();
    for (feed, state) in config.feeds.iter().cloned().zip(states) {
        if state.retired {
            tracing::info!(feed = %feed.name, "skipped: retired after HTTP 410 Gone");
            continue;
        }
        let host = HostKey::of(&state.url);
        work.push((feed, state, host));
    }
    seed_pauses(&budget, work.iter().map(|(_, s, h)| (s, h.clone())));

    let mut q = PollQueue::new(work.len());
    loop {
        let now = Instant::now();
        let full = q.start_due(&work, &budget, &refresher, now);
        if q.tasks.is_empty() {
            if q.pending.is_empty() && q.parked.is_empty() {
                break;
            }
            // Nothing runs, so no host is full: whatever waited for a slot can go.
            for (_, waiting) in q.parked.drain() {
                q.pending.extend(waiting.into_iter().map(|i| (now, i)));
            }
        }
        // While the budget is full only an ending fetch can change anything.
        let next = q
            .pending
            .first()
            .map(|&(at, _)| at)
            .filter(|_| !full)
            .unwrap_or(now + Duration::from_secs(3600));
        tokio::select! {
            Some(joined) = q.tasks.join_next_with_id(), if !q.tasks.is_empty() => {
                q.ended(joined, &work)?;
            }
            () = tokio::time::sleep_until(next) => {}
        }
    }
    // Keep the WAL short; a checkpoint that cannot run now is retried after the next poll.
    if let Err(e) = writer.call(|s| s.checkpoint()).await? {
        tracing::warn!(error = %e, "wal checkpoint skipped");
    }
    Ok(PollSummary {
        feeds: q.reports.into_iter().flatten().collect(),
        skipped: q.skipped,
    })
}

/// One feed of a one-shot poll: its config, its stored state, its web host.
type Work = (FeedConfig, FeedState, Option<HostKey>);

/// A one-shot poll's feeds (by index into its work list): waiting for their time, parked until
/// a slot on their host is free, running, reported, or skipped for a long pause.
struct PollQueue {
    pending: BTreeSet<(Instant, usize)>,
    parked: HashMap<HostKey, Vec<usize>>,
    running: HashMap<tokio::task::Id, usize>,
    tasks: JoinSet<Result<FeedReport, StoreError>>,
    reports: Vec<Option<FeedReport>>,
    skipped: Vec<Skipped>,
}

impl PollQueue {
    /// Every feed due now.
    fn new(feeds: usize) -> Self {
        let start = Instant::now();
        Self {
            pending: (0..feeds).map(|i| (start, i)).collect(),
            parked: HashMap::new(),
            running: HashMap::new(),
            tasks: JoinSet::new(),
            reports: vec![None; feeds],
            skipped: Vec::new(),
        }
    }

    /// Starts what is due and allowed, from the head of the queue; a feed whose host must wait
    /// goes back into the queue, is parked, or (a pause longer than [`POLL_WAIT_LIMIT`]) is
    /// skipped. Returns whether the budget is full.
    fn start_due(
        &mut self,
        work: &[Work],
        budget: &Budget,
        refresher: &Refresher,
        now: Instant,
    ) -> bool {
        while let Some(&(at, i)) = self.pending.first() {
            if at > now {
                break;
            }
            let (feed, state, host) = &work[i];
            match budget.try_start(host.as_ref(), now) {
                Ok(permit) => {
                    self.pending.pop_first();
                    let (refresher, budget) = (refresher.clone(), budget.clone());
                    let (feed, state, host) = (feed.clone(), state.clone(), host.clone());
                    let handle = self.tasks.spawn(async move {
                        let slot = Slot::new(permit, budget, host);
                        refresher.refresh(&feed, &state, slot).await
                    });
                    self.running.insert(handle.id(), i);
                }
                Err(Wait::Full) => return true,
                Err(Wait::HostFull) => {
                    self.pending.pop_first();
                    if let Some(host) = host {
                        self.parked.entry(host.clone()).or_default().push(i);
                    }
                }
                Err(Wait::Spacing(t)) => {
                    self.pending.pop_first();
                    self.pending.insert((t, i));
                }
                Err(Wait::Paused(t)) => {
                    self.pending.pop_first();
                    if t.duration_since(now) <= POLL_WAIT_LIMIT {
                        self.pending.insert((t, i));
                    } else if let Some(host) = host {
                        let until = Utc::now()
                            + chrono::Duration::from_std(t.duration_since(now)).unwrap_or_default();
                        tracing::info!(feed = %feed.name, host = %host, until = %until, "skipped: the host asked for a pause (Retry-After)");
                        self.skipped.push(Skipped {
                            feed: feed.name.clone(),
                            host: host.clone(),
                            until,
                        });
                    }
                }
            }
        }
        false
    }

    /// A feed's task ended: its report is kept, and its host's parked feeds queue again. A
    /// database failure ends the poll.
    fn ended(
        &mut self,
        joined: Result<(tokio::task::Id, Result<FeedReport, StoreError>), tokio::task::JoinError>,
        work: &[Work],
    ) -> Result<(), StoreError> {
        let index = match joined {
            Ok((id, report)) => {
                let i = self.running.remove(&id);
                if let Some(i) = i {
                    self.reports[i] = Some(report?);
                }
                i
            }
            Err(e) => {
                tracing::error!(error = %e, "feed task ended abnormally");
                self.running.remove(&e.id())
            }
        };
        // One of this host's slots is free: its waiting feeds queue again.
        if let Some(host) = index.and_then(|i| work[i].2.as_ref())
            && let Some(waiting) = self.parked.remove(host)
        {
            let now = Instant::now();
            self.pending.extend(waiting.into_iter().map(|i| (now, i)));
        }
        Ok(())
    }
}

/// Pauses a host asked for earlier (stored with its feeds) hold in a new process too.
pub fn seed_pauses<'a>(
    budget: &Budget,
    feeds: impl IntoIterator<Item = (&'a FeedState, Option<HostKey>)>,
) {
    let (now_utc, now) = (Utc::now(), Instant::now());
    for (state, host) in feeds {
        if let (Some(until), Some(host)) = (state.paused_until, host)
            && let Ok(wait) = (until - now_utc).to_std()
        {
            budget.pause(&host, now + wait);
        }
    }
}

/// A fetch's place in the budget (see [`Refresher::refresh`]).
pub struct Slot {
    permit: Option<crate::budget::Permit>,
    budget: Option<Budget>,
    host: Option<HostKey>,
}

impl Slot {
    /// The place `permit` holds in `budget`, for a feed of `host`.
    pub fn new(permit: crate::budget::Permit, budget: Budget, host: Option<HostKey>) -> Self {
        Self {
            permit: Some(permit),
            budget: Some(budget),
            host,
        }
    }

    /// No place in any budget (a fetch outside a poll, as `check-feed` or a test runs it).
    pub fn none() -> Self {
        Self {
            permit: None,
            budget: None,
            host: None,
        }
    }

    /// Lets the place go, after pausing the host for `retry_after` (a 429/503's
    /// `Retry-After`): no fetch of the host starts in between.
    fn release(self, retry_after: Option<Duration>) {
        if let (Some(pause), Some(budget), Some(host)) = (retry_after, &self.budget, &self.host) {
            budget.pause(host, Instant::now() + pause);
        }
        drop(self.permit);
    }
}

/// Body bytes parsed at once (see [`Refresher`]): a few megabytes of feed text take a few tens
/// of megabytes while they parse.
pub const PARSE_BYTES: u32 = 6 * 1024 * 1024;

/// What every refresh needs, shared by all feeds of a poll.
#[derive(Clone)]
pub struct Refresher {
    fetcher: Fetcher,
    watch: Arc<WatchSet>,
    writer: Arc<Writer>,
    /// Parsing is CPU work: at most one per core at a time, however many fetches are in
    /// flight (more would only add threads, their allocator arenas and memory).
    cpu: Arc<Semaphore>,
    /// And memory: a parse holds several times its body's size (decoded text, the parser's
    /// model, the items), so the bodies parsed, or parsed and waiting for the writer, share
    /// [`PARSE_BYTES`] (a body larger than that is alone).
    parse_bytes: Arc<Semaphore>,
    /// Each feed's last body size (by feed id): a feed known to be large takes its share of
    /// [`PARSE_BYTES`] before it downloads, so large bodies are not fetched, parsed and stored
    /// several at once.
    body_sizes: Arc<std::sync::Mutex<HashMap<i64, u32>>>,
    /// Each feed's last stored body as item revisions (sorted; see [`prepare`]): the items a
    /// new body still carries unchanged are neither fingerprinted nor matched again. A few
    /// hundred bytes per feed; empty after a start, so the first fetch does the whole work.
    known: Arc<std::sync::Mutex<HashMap<i64, Arc<[u64]>>>>,
    defaults: Defaults,
}

impl Refresher {
    pub fn new(
        config: &Config,
        watch: Arc<WatchSet>,
        writer: Arc<Writer>,
    ) -> Result<Self, crate::fetch::FetchError> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(Self {
            fetcher: Fetcher::new(fetch_options(config))?,
            watch,
            writer,
            cpu: Arc::new(Semaphore::new(cores)),
            parse_bytes: Arc::new(Semaphore::new(PARSE_BYTES as usize)),
            body_sizes: Arc::default(),
            known: Arc::default(),
            defaults: config.defaults.clone(),
        })
    }

    /// The compiled watchlists refreshes match against.
    pub fn watch(&self) -> Arc<WatchSet> {
        self.watch.clone()
    }

    /// Uses `other`'s parse slots, so a reloaded config shares one CPU budget with fetches
    /// still in flight.
    pub fn share_cpu_with(&mut self, other: &Refresher) {
        self.cpu = other.cpu.clone();
        self.parse_bytes = other.parse_bytes.clone();
        self.body_sizes = other.body_sizes.clone();
        self.known = other.known.clone();
    }

    /// The scheduling bounds for `feed` (widened to include its configured interval).
    pub fn policy(&self, feed: &FeedConfig) -> schedule::Policy {
        schedule::Policy {
            configured: feed.interval,
            min: self.defaults.min_interval.min(feed.interval),
            max: self.defaults.max_interval.max(feed.interval),
            max_backoff: self.defaults.max_backoff,
        }
    }

    /// Refreshes one feed: fetch → parse/identify/match (off the runtime) → store, then decides
    /// when to poll it next.
    ///
    /// `slot` (this fetch's place in the budget) is let go as soon as the download ends, the
    /// server's `Retry-After` applied to its host first: the budget bounds requests to servers,
    /// not parsing and storing, which the memory budget ([`PARSE_BYTES`]) bounds. So the next
    /// fetches start while this one is stored, and the writer commits many feeds together.
    pub async fn refresh(
        &self,
        feed: &FeedConfig,
        state: &FeedState,
        slot: Slot,
    ) -> Result<FeedReport, StoreError> {
        let name = feed.name.clone();
        let id = state.id;
        // The address in use: permanent redirects may have moved it from the configured one.
        let url = Url::parse(&state.url).unwrap_or_else(|_| feed.url.clone());
        let mut after = AfterFetch {
            fetched_url: state.url.clone(),
            ..AfterFetch::default()
        };
        let mut hint = state.feed_hint;
        let expected = self
            .body_sizes
            .lock()
            .map_or(1, |sizes| sizes.get(&id).copied().unwrap_or(1));
        let mut memory = self.reserve(expected).await;
        // The body's item revisions, remembered once the body is stored.
        let mut seen: Option<Vec<u64>> = None;
        let fetched = self.fetcher.fetch(&url, &state.validators).await;
        slot.release(match &fetched {
            Err(FetchError::Status { retry_after, .. }) => *retry_after,
            _ => None,
        });
        let (record, outcome, sched) = match fetched {
            Err(e) => fetch_failed(&name, &url, e, state, &mut after),
            Ok(Fetched::NotModified {
                status,
                elapsed,
                hints,
                moved_to,
            }) => {
                tracing::debug!(feed = %name, status, "not modified");
                after.moved_to = moved_to.map(String::from);
                hint = hint.max(hints.fresh_for);
                let record = FetchRecord::NotModified {
                    http_status: status,
                    elapsed,
                };
                let sched = schedule::Outcome::Success {
                    cadence: state.cadence,
                    hint,
                    overflow: false,
                };
                (record, FeedOutcome::NotModified, sched)
            }
            Ok(Fetched::Body(body)) => {
                let body = *body;
                after.moved_to = body.moved_to.as_ref().map(Url::to_string);
                let fresh_for = body.hints.fresh_for;
                // Held until the items are stored: parsed items waiting for the writer count
                // against the same memory as parses in progress. A body larger than expected
                // lets go of its share and waits for the whole (never holding part of the
                // budget while waiting for more, which could leave two waiting on each other).
                let size = body.bytes.len().min(u32::MAX as usize) as u32;
                if let Ok(mut sizes) = self.body_sizes.lock() {
                    sizes.insert(id, size);
                }
                if size > expected {
                    drop(memory);
                    memory = self.reserve(size).await;
                }
                let (record, outcome, parsed) = self.process_body(id, feed, body).await;
                let sched = match parsed {
                    Some(BodyFacts {
                        cadence,
                        feed_hint,
                        revisions,
                    }) => {
                        seen = Some(revisions);
                        after.cadence = cadence;
                        after.feed_hint = feed_hint;
                        hint = feed_hint.max(fresh_for);
                        schedule::Outcome::Success {
                            cadence: cadence.or(state.cadence),
                            hint,
                            overflow: false,
                        }
                    }
                    None => schedule::Outcome::Failure {
                        streak: state.error_streak.saturating_add(1),
                        retry_after: None,
                    },
                };
                (record, outcome, sched)
            }
        };
        if let Some(to) = &after.moved_to {
            tracing::info!(feed = %name, from = %url, to = %to, "feed moved permanently; using the new URL");
        }
        let report = self
            .store(feed, state, (record, outcome, sched), after)
            .await?;
        drop(memory);
        if let (Some(revisions), Ok(mut known)) = (seen, self.known.lock()) {
            known.insert(id, revisions.into());
        }
        Ok(report)
    }

    /// Stores one fetch's result and the feed's next poll, in one job of the writer (one
    /// transaction: the plan depends on what was new, so the writer decides it, pure, from this
    /// fetch's values in between), and reports it.
    async fn store(
        &self,
        feed: &FeedConfig,
        state: &FeedState,
        (record, outcome, sched): (FetchRecord, FeedOutcome, schedule::Outcome),
        after: AfterFetch,
    ) -> Result<FeedReport, StoreError> {
        let (id, name) = (state.id, feed.name.clone());
        let items = match &outcome {
            FeedOutcome::Fetched { items, .. } => Some(*items),
            _ => None,
        };
        let next = NextPoll {
            feed: name.clone(),
            policy: self.policy(feed),
            state: state.clone(),
            after,
            sched,
            items,
        };
        let job_name = name.clone();
        let recorded = self
            .writer
            .call(move |s| {
                let now = Utc::now();
                s.record_fetch(id, &job_name, record, now, |stats| {
                    Some(next.plan(stats, now))
                })
            })
            .await??;
        let stats = recorded.stats;
        let after = recorded
            .after
            .expect("record_fetch keeps the plan it was given");
        let outcome = match outcome {
            FeedOutcome::Fetched {
                items, warnings, ..
            } => {
                if stats.new + stats.updated > 0 {
                    tracing::info!(feed = %name, items, new = stats.new, updated = stats.updated, matches = stats.matches, next_in_secs = after.interval.as_secs(), reason = after.reason, "feed stored");
                } else {
                    tracing::debug!(feed = %name, items, next_in_secs = after.interval.as_secs(), reason = after.reason, "nothing new");
                }
                FeedOutcome::Fetched {
                    items,
                    stats,
                    warnings,
                }
            }
            other => other,
        };
        Ok(FeedReport {
            name,
            outcome,
            next_poll_at: Some(after.next_poll_at),
            retired: after.retire,
            retry_after: match sched {
                schedule::Outcome::Failure { retry_after, .. } => retry_after,
                schedule::Outcome::Success { .. } => None,
            },
            state: recorded.state,
        })
    }

    /// A share of the memory budget for a body of `bytes` (at most the whole budget).
    async fn reserve(&self, bytes: u32) -> tokio::sync::OwnedSemaphorePermit {
        self.parse_bytes
            .clone()
            .acquire_many_owned(bytes.clamp(1, PARSE_BYTES))
            .await
            .expect("semaphore never closed")
    }

    /// Parses a body of feed `id` off the runtime. On success also returns what the body says
    /// about the feed.
    async fn process_body(
        &self,
        id: i64,
        feed: &FeedConfig,
        body: Body,
    ) -> (FetchRecord, FeedOutcome, Option<BodyFacts>) {
        let opts = ParseOptions {
            base_url: Some(body.final_url.clone()),
            http_charset: body.charset.clone(),
            default_offset: feed.timezone,
            date_shift: date_shift(feed.captured_at, Utc::now()),
            cut_short: body.cut_short.is_some(),
        };
        let Body {
            bytes,
            status,
            validators,
            elapsed,
            final_url,
            ..
        } = body;
        let size = bytes.len() as u64;
        let watch = self.watch.clone();
        let feed_name = feed.name.clone();
        let known = self
            .known
            .lock()
            .ok()
            .and_then(|k| k.get(&id).cloned())
            .unwrap_or_default();
        let prepared = {
            let _core = self.cpu.acquire().await.expect("semaphore never closed");
            tokio::task::spawn_blocking(move || prepare(&bytes, &opts, &watch, &feed_name, &known))
                .await
        };
        let error = match prepared {
            Ok(Ok(p)) => {
                let items = p.body_items;
                for w in &p.warnings {
                    tracing::warn!(feed = %feed.name, url = %display_url(&final_url), warning = %w, "feed body read with a warning");
                }
                let extra = Some(BodyFacts {
                    cadence: p.cadence,
                    feed_hint: p.feed_hint,
                    revisions: p.revisions,
                });
                let record = FetchRecord::Fetched {
                    http_status: status,
                    validators,
                    bytes: size,
                    elapsed,
                    title: p.title,
                    site_link: p.site_link,
                    items: p.items,
                    warnings: p.warnings.clone(),
                };
                let outcome = FeedOutcome::Fetched {
                    items,
                    stats: ApplyStats::default(),
                    warnings: p.warnings,
                };
                return (record, outcome, extra);
            }
            Ok(Err(e)) => clean_line(&format!("{}: {e}", display_url(&final_url))),
            Err(join) => clean_line(&format!(
                "{}: parser task failed: {join}",
                display_url(&final_url)
            )),
        };
        tracing::warn!(feed = %feed.name, error = %error, "parse failed");
        let (record, outcome) = failed(Some(status), error, elapsed);
        (record, outcome, None)
    }
}

/// How far a feed captured at `captured` moves to read as of `now` (zero for a live feed, or a
/// capture time in the future).
pub fn date_shift(captured: Option<DateTime<Utc>>, now: DateTime<Utc>) -> chrono::TimeDelta {
    captured.map_or(chrono::TimeDelta::zero(), |c| {
        (now - c).max(chrono::TimeDelta::zero())
    })
}

/// What a parsed body says about its feed.
struct BodyFacts {
    /// The typical gap between its items, and the feed's own refresh hint.
    cadence: Option<Duration>,
    feed_hint: Option<Duration>,
    /// Its items' revisions (see [`Prepared::revisions`]).
    revisions: Vec<u64>,
}

/// What decides a feed's next poll once its fetch is stored (see [`NextPoll::plan`]).
struct NextPoll {
    feed: String,
    policy: schedule::Policy,
    state: FeedState,
    /// What the fetch said about the feed, still without the schedule.
    after: AfterFetch,
    sched: schedule::Outcome,
    /// Items in the body, for a fetch that brought one.
    items: Option<usize>,
}

impl NextPoll {
    /// The feed's rhythm, schedule and freshness after a fetch that stored `stats`. Pure.
    fn plan(self, stats: &ApplyStats, now: chrono::DateTime<Utc>) -> AfterFetch {
        let Self {
            feed,
            policy,
            state,
            mut after,
            mut sched,
            items,
        } = self;
        if let (Some(items), schedule::Outcome::Success { overflow, .. }) = (items, &mut sched) {
            // Every item new, and at least as many as the feed usually carries: the window
            // rolled past items between two polls.
            *overflow = items > 0
                && stats.new == items
                && state.last_success_at.is_some()
                && state.last_item_count.is_some_and(|n| items >= n);
            after.item_count = Some(items);
            if *overflow {
                tracing::warn!(feed = %feed, items, "every item was new and the window was full: items were probably missed; polling sooner");
            }
            after.overflow = *overflow;
        }
        after.had_new = stats.new > 0;
        let (interval, reason) = schedule::interval(&policy, sched);
        // Jitter spreads feeds out, but never below a server's floor or the lower bound.
        let jittered = schedule::jitter(interval, state.id, state.rounds);
        let interval = match reason {
            schedule::Reason::ServerHint | schedule::Reason::RetryAfter => jittered.max(interval),
            _ => jittered.max(policy.min),
        };
        after.interval = interval;
        after.reason = reason.as_str();
        after.next_poll_at = now + chrono::Duration::from_std(interval).unwrap_or_default();
        let last_new = if after.had_new {
            Some(now)
        } else {
            state.last_new_at.or(state.last_success_at)
        };
        after.stale = last_new.is_some_and(|t| {
            schedule::is_stale((now - t).to_std().unwrap_or_default(), state.cadence)
        });
        if after.stale && !state.stale {
            tracing::warn!(feed = %feed, "feed is stale: nothing new for far longer than its usual rhythm");
        }
        after
    }
}

/// A fetch that failed: recorded on the feed (a 410 retires it), the next poll backed off or
/// held to the server's `Retry-After`.
fn fetch_failed(
    name: &str,
    url: &Url,
    e: FetchError,
    state: &FeedState,
    after: &mut AfterFetch,
) -> (FetchRecord, FeedOutcome, schedule::Outcome) {
    // Error texts can carry server-supplied bytes: clean them before they reach a log line, the
    // feed row or a terminal.
    let msg = clean_line(&e.to_string());
    let retry_after = match &e {
        FetchError::Status { retry_after, .. } => *retry_after,
        _ => None,
    };
    if let FetchError::Gone { .. } = e {
        tracing::warn!(feed = %name, url = %url, "feed is gone (HTTP 410): retired until its URL changes in the config");
        after.retire = true;
    } else {
        tracing::warn!(feed = %name, url = %url, error = %msg, "fetch failed");
    }
    let (record, outcome) = failed(e.http_status(), msg, Duration::ZERO);
    let sched = schedule::Outcome::Failure {
        streak: state.error_streak.saturating_add(1),
        retry_after,
    };
    (record, outcome, sched)
}

fn failed(
    http_status: Option<u16>,
    error: String,
    elapsed: Duration,
) -> (FetchRecord, FeedOutcome) {
    (
        FetchRecord::Failed {
            http_status,
            error: error.clone(),
            elapsed,
        },
        FeedOutcome::Failed { error },
    )
}

/// File URLs are shown as paths.
pub fn display_url(url: &Url) -> String {
    match url.scheme() {
        "file" => url
            .to_file_path()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| url.to_string()),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(items: &[(&str, &str)]) -> Vec<u8> {
        let mut s = String::from("<rss version=\"2.0\"><channel><title>t</title>");
        for (guid, title) in items {
            s.push_str(&format!(
                "<item><guid>{guid}</guid><title>{title}</title><description>{title} in full</description></item>"
            ));
        }
        s.push_str("</channel></rss>");
        s.into_bytes()
    }

    #[test]
    fn items_the_last_stored_body_carried_unchanged_are_not_prepared_again() {
        let watch = WatchSet::compile(&[]).unwrap();
        let opts = ParseOptions::default();
        let first = body(&[("a", "Alpha"), ("b", "Bravo"), ("c", "Charlie")]);
        let p = prepare(&first, &opts, &watch, "f", &[]).unwrap();
        assert_eq!((p.items.len(), p.body_items, p.revisions.len()), (3, 3, 3));
        // The next body: one item gone, one edited, one new, one as it was.
        let next = body(&[("b", "Bravo, revised"), ("c", "Charlie"), ("d", "Delta")]);
        let q = prepare(&next, &opts, &watch, "f", &p.revisions).unwrap();
        let sent: Vec<&str> = q.items.iter().map(|r| r.item.title.as_str()).collect();
        assert_eq!(sent, ["Bravo, revised", "Delta"]);
        assert_eq!(q.body_items, 3, "the body's size counts every item");
        // Without what was stored, every item is prepared.
        assert_eq!(
            prepare(&next, &opts, &watch, "f", &[]).unwrap().items.len(),
            3
        );
    }
}
