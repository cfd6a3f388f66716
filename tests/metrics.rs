//! The metrics endpoint over real TCP on 127.0.0.1: what `GET /metrics` answers, what other
//! requests get, the connection bound, and that it stops promptly with clients still connected.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aggregator::metrics::{self, Metrics};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::timeout;

/// Every wait in these tests is bounded by this.
const BOUND: Duration = Duration::from_secs(5);

/// A running endpoint over a fresh database.
struct Server {
    port: u16,
    metrics: Arc<Metrics>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("aggregator.db");
        drop(aggregator::store::Store::open(&db, Default::default()).unwrap());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let metrics = Metrics::new();
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(metrics::serve(listener, metrics.clone(), db, stop_rx));
        Self {
            port,
            metrics,
            stop,
            task,
            _dir: dir,
        }
    }

    async fn connect(&self) -> TcpStream {
        timeout(BOUND, TcpStream::connect(("127.0.0.1", self.port)))
            .await
            .expect("connect in time")
            .unwrap()
    }

    /// Sends `head` (a request without its final blank line) and reads the whole answer.
    async fn request(&self, head: &str) -> Answer {
        let mut s = self.connect().await;
        let raw = format!("{head}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        s.write_all(raw.as_bytes()).await.unwrap();
        Answer::read(&mut s).await
    }

    /// Turns `stop` true and waits for `serve` to return; returns how long that took.
    async fn stop(self) -> Duration {
        let started = Instant::now();
        self.stop.send(true).unwrap();
        timeout(BOUND, self.task)
            .await
            .expect("serve returns after stop")
            .unwrap();
        started.elapsed()
    }
}

/// A parsed HTTP/1.1 response.
#[derive(Debug)]
struct Answer {
    status: u16,
    /// Header lines, names lowercased.
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    async fn read(s: &mut TcpStream) -> Self {
        let mut raw = Vec::new();
        timeout(BOUND, s.read_to_end(&mut raw))
            .await
            .expect("the answer in time")
            .unwrap();
        let raw = String::from_utf8(raw).unwrap();
        let (head, body) = raw.split_once("\r\n\r\n").expect("a complete head");
        let mut lines = head.lines();
        let status = lines.next().unwrap().split(' ').nth(1).unwrap();
        Self {
            status: status.parse().unwrap(),
            headers: lines
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                .collect(),
            body: body.to_string(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[tokio::test]
async fn get_metrics_answers_the_exposition_and_other_requests_are_refused() {
    let server = Server::start().await;
    server.metrics.fetched("ok", Duration::from_millis(120));
    server.metrics.stored(3, 1, 2, 1);

    let a = server.request("GET /metrics HTTP/1.1").await;
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(
        a.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    for line in [
        "aggregator_fetches_total{result=\"ok\"} 1",
        "aggregator_fetch_duration_seconds_count 1",
        "aggregator_items_stored_total{change=\"new\"} 3",
        "aggregator_alerts_raised_total 1",
        "aggregator_feeds 0",
        "aggregator_items 0",
        "aggregator_database_up 1",
    ] {
        assert!(a.body.lines().any(|l| l == line), "{line} in:\n{}", a.body);
    }
    assert!(a.body.ends_with("# EOF\n"), "{}", a.body);

    let a = server.request("GET /other HTTP/1.1").await;
    assert_eq!(a.status, 404, "{a:?}");
    let a = server.request("GET /metrics/extra HTTP/1.1").await;
    assert_eq!(a.status, 404, "{a:?}");

    let a = server
        .request("POST /metrics HTTP/1.1\r\nContent-Length: 0")
        .await;
    assert_eq!(a.status, 405, "{a:?}");
    assert_eq!(a.header("allow"), Some("GET, HEAD"));

    let took = server.stop().await;
    assert!(took < Duration::from_secs(1), "stopping took {took:?}");
}

#[tokio::test]
async fn a_keep_alive_connection_serves_scrape_after_scrape() {
    let server = Server::start().await;
    let mut s = server.connect().await;
    for _ in 0..3 {
        s.write_all(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .unwrap();
        // Read up to the end of this answer: the exposition's last line.
        let mut raw = Vec::new();
        let mut buf = [0u8; 8192];
        while !raw.ends_with(b"# EOF\n") {
            let n = timeout(BOUND, s.read(&mut buf))
                .await
                .expect("the answer in time")
                .unwrap();
            assert_ne!(n, 0, "closed early: {}", String::from_utf8_lossy(&raw));
            raw.extend_from_slice(&buf[..n]);
        }
        assert!(raw.starts_with(b"HTTP/1.1 200 "));
    }
    let took = server.stop().await;
    assert!(took < Duration::from_secs(1), "stopping took {took:?}");
}

#[tokio::test]
async fn stop_returns_within_a_second_with_idle_and_half_sent_requests_connected() {
    let server = Server::start().await;
    let _idle = server.connect().await;
    let mut half = server.connect().await;
    half.write_all(b"GET /metr").await.unwrap();
    // Let the server accept both before stopping.
    assert_eq!(server.request("GET /metrics HTTP/1.1").await.status, 200);
    let took = server.stop().await;
    assert!(took < Duration::from_secs(1), "stopping took {took:?}");
}

#[tokio::test]
async fn at_most_eight_connections_are_served_at_once() {
    let server = Server::start().await;
    let mut held = Vec::new();
    for _ in 0..8 {
        let mut s = server.connect().await;
        s.write_all(b"GET /metr").await.unwrap();
        held.push(s);
    }
    let mut ninth = server.connect().await;
    ninth
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut byte = [0u8; 1];
    assert!(
        timeout(Duration::from_millis(300), ninth.read(&mut byte))
            .await
            .is_err(),
        "a ninth connection is not served while eight are open"
    );
    // One client leaves: its slot goes to the ninth.
    drop(held.pop());
    let a = Answer::read(&mut ninth).await;
    assert_eq!(a.status, 200, "{a:?}");
    let took = server.stop().await;
    assert!(took < Duration::from_secs(1), "stopping took {took:?}");
}

#[tokio::test]
async fn a_dropped_stop_sender_stops_it_too() {
    let server = Server::start().await;
    let Server { stop, task, .. } = server;
    drop(stop);
    timeout(Duration::from_secs(1), task)
        .await
        .expect("serve returns once nothing can stop it")
        .unwrap();
}
