//! The optional Prometheus endpoint (`[metrics]`): counters the daemon updates as fetches end and
//! results are stored, gauges read from the database at each scrape, and the small HTTP server
//! that answers `GET /metrics`.
//!
//! Counters and the histogram count since the process started; gauges are read from the database
//! at each scrape through a read-only connection of their own. The exposition is the OpenMetrics
//! text format, served as `application/openmetrics-text; version=1.0.0; charset=utf-8`.
//!
//! | name | type | labels | what it counts |
//! | --- | --- | --- | --- |
//! | `aggregator_fetches_total` | counter | `result`: `ok`, `not_modified`, `error` | fetches that ended |
//! | `aggregator_fetch_duration_seconds` | histogram | | wall time of each fetch (buckets 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30 s) |
//! | `aggregator_items_stored_total` | counter | `change`: `new`, `updated` | items stored new, and stored items that changed |
//! | `aggregator_matches_total` | counter | | watchlist matches recorded (one per item and watchlist) |
//! | `aggregator_alerts_raised_total` | counter | | alerts raised (one per story and watchlist) |
//! | `aggregator_feeds` | gauge | | feeds in the database |
//! | `aggregator_feeds_backoff` | gauge | | feeds whose last fetch failed (error streak > 0), polled with backoff |
//! | `aggregator_feeds_stale` | gauge | | feeds marked stale (silent for ten of their usual gaps) |
//! | `aggregator_feeds_retired` | gauge | | feeds retired after 410 Gone |
//! | `aggregator_items` | gauge | | items in the database |
//! | `aggregator_stories` | gauge | | stories in the database |
//! | `aggregator_outbox_pending` | gauge | `sink` | alert deliveries waiting, retries included |
//! | `aggregator_outbox_failed` | gauge | `sink` | alert deliveries given up on |
//! | `aggregator_outbox_delivered` | gauge | `sink` | alert deliveries done |
//! | `aggregator_last_fetch_timestamp_seconds` | gauge | | Unix time of the latest fetch of any feed (0 before the first) |
//! | `aggregator_database_up` | gauge | | 1 if this scrape could read the database, else 0 |
//! | `aggregator_build_info` | info | `version` | always 1 |
//!
//! When the database cannot be read, the database gauges are left out, `aggregator_database_up`
//! is 0 and a warning with the cause is logged. The `sink` gauges have one series per sink named in the
//! outbox, so they appear once a first alert is queued.
//!
//! The stored-items counter is not `aggregator_items_total`: in OpenMetrics that counter's family
//! is named `aggregator_items`, the name of the items gauge, and two families may not share one.

use std::convert::Infallible;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{ALLOW, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::store::query::{DatabaseGauges, database_gauges};

/// The content type of [`Metrics::render`]'s output.
pub const CONTENT_TYPE_OPENMETRICS: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Upper bounds of the fetch duration buckets, in seconds (the default fetch timeout is 30 s).
const FETCH_BUCKETS: [f64; 9] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
/// Connections served at once; more wait in the listen backlog.
const MAX_CONNECTIONS: usize = 8;
/// How long one connection may last, keep-alive included: a slow or idle client cannot hold a
/// slot longer.
const CONNECTION_LIMIT: Duration = Duration::from_secs(10);
/// How long connections in flight get to finish once `stop` turns true.
const DRAIN: Duration = Duration::from_millis(500);
/// How long a scrape waits for a database lock (readers rarely wait under WAL).
const BUSY_TIMEOUT: Duration = Duration::from_secs(2);

/// A label value, escaped for the text format (the encoder writes values as they are, and a sink
/// name may hold `"` or `\`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Value(String);

impl Value {
    fn new(s: &str) -> Self {
        let mut out = String::with_capacity(s.len());
        for c in s.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                c => out.push(c),
            }
        }
        Self(out)
    }
}

impl EncodeLabelValue for Value {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        std::fmt::Write::write_str(encoder, &self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ResultLabel {
    result: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ChangeLabel {
    change: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct SinkLabel {
    sink: Value,
}

/// Live counters the daemon updates, plus gauges read from the database at each scrape.
#[derive(Debug)]
pub struct Metrics {
    /// The live metrics below (the database gauges get a registry of their own per scrape).
    registry: Registry,
    fetches: Family<ResultLabel, Counter>,
    /// The three documented results' series, held so counting needs no lookup.
    fetched_ok: Counter,
    fetched_not_modified: Counter,
    fetched_error: Counter,
    fetch_duration: Histogram,
    items_new: Counter,
    items_updated: Counter,
    matches: Counter,
    alerts: Counter,
}

impl Metrics {
    /// The live metrics, at zero.
    pub fn new() -> Arc<Metrics> {
        let mut registry = Registry::with_prefix("aggregator");
        let fetches = Family::<ResultLabel, Counter>::default();
        registry.register("fetches", "Fetches that ended, by result", fetches.clone());
        let fetch_duration = Histogram::new(FETCH_BUCKETS);
        registry.register_with_unit(
            "fetch_duration",
            "Wall time of each fetch",
            Unit::Seconds,
            fetch_duration.clone(),
        );
        let items = Family::<ChangeLabel, Counter>::default();
        registry.register(
            "items_stored",
            "Items stored new, and stored items that changed",
            items.clone(),
        );
        let matches = Counter::default();
        registry.register(
            "matches",
            "Watchlist matches recorded (one per item and watchlist)",
            matches.clone(),
        );
        let alerts = Counter::default();
        registry.register(
            "alerts_raised",
            "Alerts raised (one per story and watchlist)",
            alerts.clone(),
        );
        registry.register(
            "build",
            "The running build",
            Info::new([("version", env!("CARGO_PKG_VERSION"))]),
        );
        // Every documented series exists from the start, so a rate over it starts at 0 rather
        // than at its first event.
        let result = |r: &str| {
            fetches
                .get_or_create(&ResultLabel {
                    result: Value::new(r),
                })
                .clone()
        };
        let change = |c: &str| {
            items
                .get_or_create(&ChangeLabel {
                    change: Value::new(c),
                })
                .clone()
        };
        Arc::new(Metrics {
            fetched_ok: result("ok"),
            fetched_not_modified: result("not_modified"),
            fetched_error: result("error"),
            items_new: change("new"),
            items_updated: change("updated"),
            registry,
            fetches,
            fetch_duration,
            matches,
            alerts,
        })
    }

    /// One fetch ended: result is "ok", "not_modified" or "error"; elapsed is the fetch's wall
    /// time.
    pub fn fetched(&self, result: &str, elapsed: Duration) {
        match result {
            "ok" => self.fetched_ok.inc(),
            "not_modified" => self.fetched_not_modified.inc(),
            "error" => self.fetched_error.inc(),
            other => self
                .fetches
                .get_or_create(&ResultLabel {
                    result: Value::new(other),
                })
                .inc(),
        };
        self.fetch_duration.observe(elapsed.as_secs_f64());
    }

    /// What storing a fetch changed.
    pub fn stored(&self, new: u64, updated: u64, matches: u64, alerts: u64) {
        self.items_new.inc_by(new);
        self.items_updated.inc_by(updated);
        self.matches.inc_by(matches);
        self.alerts.inc_by(alerts);
    }

    /// The text exposition (OpenMetrics text format) including gauges read now from the database
    /// at `db` (if the database cannot be read, the gauges are left out and
    /// `aggregator_database_up 0` is reported).
    ///
    /// It blocks on SQLite: call it off the async runtime.
    pub fn render(&self, db: &Path) -> String {
        let mut scrape = Registry::with_prefix("aggregator");
        let up = match database_gauges(db, BUSY_TIMEOUT) {
            Ok(state) => {
                register(state, &mut scrape);
                1
            }
            Err(e) => {
                tracing::warn!(db = %db.display(), error = %e, "metrics: cannot read the database");
                0
            }
        };
        scrape.register(
            "database_up",
            "1 if this scrape could read the database, else 0",
            gauge(up),
        );
        let mut out = String::new();
        encode_registry(&mut out, &self.registry)
            .and_then(|()| encode_registry(&mut out, &scrape))
            .and_then(|()| encode_eof(&mut out))
            .expect("writing to a String cannot fail");
        out
    }
}

/// A gauge set to `v`.
fn gauge(v: i64) -> Gauge {
    let g = Gauge::default();
    g.set(v);
    g
}

/// The database gauges of one scrape, registered.
fn register(state: DatabaseGauges, r: &mut Registry) {
    {
        let s = state;
        r.register("feeds", "Feeds in the database", gauge(s.feeds));
        r.register(
            "feeds_backoff",
            "Feeds whose last fetch failed (error streak > 0), polled with backoff",
            gauge(s.backoff),
        );
        r.register(
            "feeds_stale",
            "Feeds marked stale (silent for ten of their usual gaps)",
            gauge(s.stale),
        );
        r.register(
            "feeds_retired",
            "Feeds retired after 410 Gone",
            gauge(s.retired),
        );
        r.register("items", "Items in the database", gauge(s.items));
        r.register("stories", "Stories in the database", gauge(s.stories));
        let pending = Family::<SinkLabel, Gauge>::default();
        let failed = Family::<SinkLabel, Gauge>::default();
        let delivered = Family::<SinkLabel, Gauge>::default();
        for s in &s.sinks {
            let sink = SinkLabel {
                sink: Value::new(&s.sink),
            };
            pending.get_or_create(&sink).set(s.pending);
            failed.get_or_create(&sink).set(s.failed);
            delivered.get_or_create(&sink).set(s.delivered);
        }
        r.register(
            "outbox_pending",
            "Alert deliveries waiting, retries included",
            pending,
        );
        r.register("outbox_failed", "Alert deliveries given up on", failed);
        r.register("outbox_delivered", "Alert deliveries done", delivered);
        r.register_with_unit(
            "last_fetch_timestamp",
            "Unix time of the latest fetch of any feed (0 before the first)",
            Unit::Seconds,
            gauge(s.last_fetch.unwrap_or(0)),
        );
    }
}

/// Serves GET /metrics on `listener` until `stop` turns true; other paths 404, other methods 405.
/// DB reads run on the blocking pool. Each connection lasts at most 10 s, keep-alive included,
/// and at most 8 are served at once (more wait in the listen backlog).
///
/// A dropped `stop` sender stops it too. Once stopped, it takes no new connections and gives
/// those in flight half a second to finish before closing them.
pub async fn serve(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    db: std::path::PathBuf,
    mut stop: watch::Receiver<bool>,
) {
    let db: Arc<Path> = db.into();
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut connections = JoinSet::new();
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "metrics endpoint listening");
    }
    loop {
        while connections.try_join_next().is_some() {}
        // A slot before accepting: connections beyond the bound wait in the backlog.
        let permit = tokio::select! {
            biased;
            () = stopped(&mut stop) => break,
            permit = slots.clone().acquire_owned() => {
                permit.expect("the semaphore is never closed")
            }
        };
        let stream = tokio::select! {
            biased;
            () = stopped(&mut stop) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, mostly: wait a little rather than spin.
                    tracing::warn!(error = %e, "metrics: accepting a connection failed");
                    tokio::select! {
                        () = stopped(&mut stop) => break,
                        () = tokio::time::sleep(Duration::from_millis(100)) => continue,
                    }
                }
            },
        };
        let (metrics, db, stop) = (metrics.clone(), db.clone(), stop.clone());
        connections.spawn(async move {
            let _permit = permit;
            connection(stream, metrics, db, stop).await;
        });
    }
    // Stop intake, let connections in flight finish briefly, then close the rest.
    let drain = async { while connections.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(DRAIN, drain).await;
    connections.shutdown().await;
}

/// Completes once `stop` turns true or its sender is gone (nothing could stop us after that).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Serves one connection until the client is done, `stop` turns true, or [`CONNECTION_LIMIT`].
async fn connection(
    stream: TcpStream,
    metrics: Arc<Metrics>,
    db: Arc<Path>,
    mut stop: watch::Receiver<bool>,
) {
    let service = service_fn(move |req| respond(req, metrics.clone(), db.clone()));
    let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    let mut conn = std::pin::pin!(conn);
    let bounded = tokio::time::timeout(CONNECTION_LIMIT, async {
        tokio::select! {
            r = conn.as_mut() => r,
            () = stopped(&mut stop) => {
                conn.as_mut().graceful_shutdown();
                conn.as_mut().await
            }
        }
    });
    match bounded.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::debug!(error = %e, "metrics: connection failed"),
        Err(_) => tracing::debug!("metrics: connection closed at its time limit"),
    }
}

/// Answers one request.
async fn respond(
    req: Request<Incoming>,
    metrics: Arc<Metrics>,
    db: Arc<Path>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.uri().path() != "/metrics" {
        return Ok(plain(StatusCode::NOT_FOUND, "not found: try /metrics\n"));
    }
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        let mut res = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        res.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return Ok(res);
    }
    Ok(
        match tokio::task::spawn_blocking(move || metrics.render(&db)).await {
            Ok(body) => {
                let mut res = Response::new(Full::new(Bytes::from(body)));
                res.headers_mut().insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static(CONTENT_TYPE_OPENMETRICS),
                );
                res
            }
            Err(e) => {
                tracing::error!(error = %e, "metrics: rendering failed");
                plain(StatusCode::INTERNAL_SERVER_ERROR, "rendering failed\n")
            }
        },
    )
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *res.status_mut() = status;
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    /// The metric names in this module's `//!` table.
    fn documented() -> Vec<&'static str> {
        include_str!("metrics.rs")
            .lines()
            .filter_map(|l| l.strip_prefix("//! | `"))
            .filter_map(|l| l.split('`').next())
            .collect()
    }

    /// A migrated, empty database.
    fn fresh(dir: &Path) -> std::path::PathBuf {
        let db = dir.join("aggregator.db");
        drop(Store::open(&db, Default::default()).unwrap());
        db
    }

    /// The value of the sample written exactly as `series` (name and labels).
    fn sample(text: &str, series: &str) -> Option<f64> {
        text.lines().find_map(|l| {
            let (name, value) = l.rsplit_once(' ')?;
            (name == series).then(|| value.parse().unwrap())
        })
    }

    /// The names of the samples, without labels.
    fn sample_names(text: &str) -> Vec<&str> {
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split(['{', ' ']).next())
            .collect()
    }

    /// Queues one alert delivery per sink, as the writer would.
    fn queue(db: &Path, sinks: &[&str]) {
        let conn = rusqlite::Connection::open(db).unwrap();
        conn.execute(
            "INSERT INTO alerts (id, watchlist, story_id, item_id, created_at, payload)
             VALUES (1, 'w', 1, 1, 0, '{}')",
            [],
        )
        .unwrap();
        for sink in sinks {
            conn.execute(
                "INSERT INTO outbox (alert_id, sink, priority, next_attempt_ms) VALUES (1, ?1, 1, 0)",
                [sink],
            )
            .unwrap();
        }
    }

    #[test]
    fn the_table_documents_every_metric() {
        let names = documented();
        assert_eq!(names.len(), 17, "{names:?}");
        assert!(names.iter().all(|n| n.starts_with("aggregator_")));
    }

    #[test]
    fn a_fresh_database_renders_every_documented_name_but_the_per_sink_ones() {
        let d = tempfile::tempdir().unwrap();
        let text = Metrics::new().render(&fresh(d.path()));
        let names = sample_names(&text);
        for name in documented() {
            let present = names.iter().any(|n| {
                n == &name
                    || n.strip_prefix(name)
                        .is_some_and(|s| s.starts_with("_bucket"))
            });
            assert_eq!(
                present,
                !name.starts_with("aggregator_outbox_"),
                "{name} in:\n{text}"
            );
        }
        assert!(text.ends_with("# EOF\n"), "{text}");
        assert_eq!(sample(&text, "aggregator_database_up"), Some(1.0));
        assert_eq!(sample(&text, "aggregator_feeds"), Some(0.0));
        assert_eq!(
            sample(&text, "aggregator_last_fetch_timestamp_seconds"),
            Some(0.0)
        );
        assert_eq!(
            sample(&text, r#"aggregator_fetches_total{result="not_modified"}"#),
            Some(0.0)
        );
        let version = format!(
            r#"aggregator_build_info{{version="{}"}}"#,
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(sample(&text, &version), Some(1.0));
    }

    #[test]
    fn with_a_queued_alert_every_documented_name_is_rendered_and_sink_names_are_escaped() {
        let d = tempfile::tempdir().unwrap();
        let db = fresh(d.path());
        queue(&db, &["desk", r#"odd "name" \ here"#]);
        let text = Metrics::new().render(&db);
        let names = sample_names(&text);
        for name in documented() {
            assert!(
                names.iter().any(|n| n
                    .strip_prefix(name)
                    .is_some_and(|s| s.is_empty() || s.starts_with("_bucket"))),
                "{name} in:\n{text}"
            );
        }
        assert_eq!(
            sample(&text, r#"aggregator_outbox_pending{sink="desk"}"#),
            Some(1.0)
        );
        assert_eq!(
            sample(&text, r#"aggregator_outbox_failed{sink="desk"}"#),
            Some(0.0)
        );
        assert_eq!(
            sample(
                &text,
                r#"aggregator_outbox_pending{sink="odd \"name\" \\ here"}"#
            ),
            Some(1.0),
            "{text}"
        );
    }

    #[test]
    fn no_two_families_share_a_name() {
        let d = tempfile::tempdir().unwrap();
        let db = fresh(d.path());
        queue(&db, &["desk"]);
        let text = Metrics::new().render(&db);
        let mut families: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.split(' ').next())
            .collect();
        let all = families.len();
        families.sort_unstable();
        families.dedup();
        assert_eq!(families.len(), all, "{text}");
    }

    #[test]
    fn gauges_read_the_feeds_items_and_stories() {
        let d = tempfile::tempdir().unwrap();
        let db = fresh(d.path());
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "INSERT INTO feeds (id, name, url, error_streak, stale, retired_at, last_fetch_at, created_at)
             VALUES (1, 'a', 'http://a/', 0, 0, NULL, 1700000000, 0),
                    (2, 'b', 'http://b/', 3, 1, NULL, 1700000500, 0),
                    (3, 'c', 'http://c/', 1, 0, 1700000100, NULL, 0);
             INSERT INTO stories (id, first_seen, first_item_id, first_feed_id, sort_ts, last_seen, title)
             VALUES (1, 0, 1, 1, 0, 0, 'one');
             INSERT INTO items (id, feed_id, content_hash, title, sort_ts, first_seen, story_id)
             VALUES (1, 1, 'h1', 'one', 0, 0, 1), (2, 2, 'h2', 'one again', 0, 0, 1);",
        )
        .unwrap();
        let text = Metrics::new().render(&db);
        assert_eq!(sample(&text, "aggregator_feeds"), Some(3.0));
        assert_eq!(sample(&text, "aggregator_feeds_backoff"), Some(2.0));
        assert_eq!(sample(&text, "aggregator_feeds_stale"), Some(1.0));
        assert_eq!(sample(&text, "aggregator_feeds_retired"), Some(1.0));
        assert_eq!(
            sample(&text, "aggregator_last_fetch_timestamp_seconds"),
            Some(1_700_000_500.0)
        );
        assert_eq!(sample(&text, "aggregator_items"), Some(2.0));
        assert_eq!(sample(&text, "aggregator_stories"), Some(1.0));
    }

    #[test]
    fn an_unreadable_database_reports_down_and_leaves_its_gauges_out() {
        let d = tempfile::tempdir().unwrap();
        let metrics = Metrics::new();
        metrics.fetched("ok", Duration::from_millis(20));
        let missing = d.path().join("missing.db");
        let not_sqlite = d.path().join("not.db");
        std::fs::write(&not_sqlite, "not a database, just text").unwrap();
        for db in [&missing, &not_sqlite] {
            let text = metrics.render(db);
            assert_eq!(sample(&text, "aggregator_database_up"), Some(0.0), "{text}");
            assert_eq!(sample(&text, "aggregator_feeds"), None, "{text}");
            assert_eq!(sample(&text, "aggregator_items"), None, "{text}");
            assert_eq!(
                sample(&text, r#"aggregator_fetches_total{result="ok"}"#),
                Some(1.0),
                "live counters stay: {text}"
            );
            assert!(text.ends_with("# EOF\n"));
        }
        assert!(!missing.exists(), "a scrape never creates the database");
    }

    #[test]
    fn counters_add_up() {
        let d = tempfile::tempdir().unwrap();
        let db = fresh(d.path());
        let m = Metrics::new();
        m.fetched("ok", Duration::from_millis(10));
        m.fetched("ok", Duration::from_millis(10));
        m.fetched("not_modified", Duration::from_millis(10));
        m.fetched("error", Duration::from_secs(31));
        m.stored(5, 2, 3, 1);
        m.stored(1, 0, 0, 0);
        let text = m.render(&db);
        for (series, want) in [
            (r#"aggregator_fetches_total{result="ok"}"#, 2.0),
            (r#"aggregator_fetches_total{result="not_modified"}"#, 1.0),
            (r#"aggregator_fetches_total{result="error"}"#, 1.0),
            (r#"aggregator_items_stored_total{change="new"}"#, 6.0),
            (r#"aggregator_items_stored_total{change="updated"}"#, 2.0),
            ("aggregator_matches_total", 3.0),
            ("aggregator_alerts_raised_total", 1.0),
        ] {
            assert_eq!(sample(&text, series), Some(want), "{series} in:\n{text}");
        }
    }

    #[test]
    fn the_histogram_counts_each_fetch_in_its_bucket() {
        let d = tempfile::tempdir().unwrap();
        let db = fresh(d.path());
        let m = Metrics::new();
        for ms in [10, 40, 300, 2_000, 45_000] {
            m.fetched("ok", Duration::from_millis(ms));
        }
        let text = m.render(&db);
        let bucket = |le: &str| {
            sample(
                &text,
                &format!(r#"aggregator_fetch_duration_seconds_bucket{{le="{le}"}}"#),
            )
        };
        assert_eq!(bucket("0.05"), Some(2.0), "{text}");
        assert_eq!(bucket("0.5"), Some(3.0));
        assert_eq!(bucket("2.5"), Some(4.0));
        assert_eq!(bucket("30.0"), Some(4.0));
        assert_eq!(bucket("+Inf"), Some(5.0));
        assert_eq!(
            sample(&text, "aggregator_fetch_duration_seconds_count"),
            Some(5.0)
        );
        let sum = sample(&text, "aggregator_fetch_duration_seconds_sum").unwrap();
        assert!((sum - 47.35).abs() < 1e-9, "{sum}");
    }
}
