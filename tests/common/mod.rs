//! Test helpers: a small HTTP/1.1 server on 127.0.0.1:0 whose answers each test sets per path,
//! config files in a temp dir, and running the built binary.
#![allow(dead_code)]

pub mod web;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How the server answers one path.
#[derive(Clone, Debug)]
pub struct Route {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When set, a request whose If-None-Match equals it gets 304.
    pub etag: Option<String>,
    /// When set, a request whose If-Modified-Since equals it gets 304.
    pub last_modified: Option<String>,
    /// Send the body without Content-Length, ended by closing the connection.
    pub without_length: bool,
    /// Wait this long before answering.
    pub delay: Option<Duration>,
    /// Announce the full length but close the connection halfway through the body.
    pub cut_midway: bool,
}

impl Route {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status: 200,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
            etag: None,
            last_modified: None,
            without_length: false,
            delay: None,
            cut_midway: false,
        }
    }

    pub fn rss(body: impl Into<Vec<u8>>) -> Self {
        Self::ok("application/rss+xml", body)
    }

    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: vec![],
            body: Vec::new(),
            etag: None,
            last_modified: None,
            without_length: false,
            delay: None,
            cut_midway: false,
        }
    }

    pub fn delayed(mut self, by: Duration) -> Self {
        self.delay = Some(by);
        self
    }

    pub fn cut_midway(mut self) -> Self {
        self.cut_midway = true;
        self
    }

    pub fn without_length(mut self) -> Self {
        self.without_length = true;
        self
    }

    pub fn with_etag(mut self, etag: &str) -> Self {
        self.etag = Some(etag.into());
        self
    }

    pub fn with_last_modified(mut self, lm: &str) -> Self {
        self.last_modified = Some(lm.into());
        self
    }

    pub fn with_header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }
}

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub headers: HashMap<String, String>,
    pub status: u16,
    /// When the request arrived.
    pub at: std::time::Instant,
}

/// The test server. Dropping it stops the accept loop.
pub struct Server {
    pub addr: SocketAddr,
    routes: Arc<Mutex<HashMap<String, Route>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let routes: Arc<Mutex<HashMap<String, Route>>> = Arc::default();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (r, s, st) = (routes.clone(), seen.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (r, s) = (r.clone(), s.clone());
                std::thread::spawn(move || handle(conn, &r, &s));
            }
        });
        Self {
            addr,
            routes,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn route(&self, path: &str, route: Route) {
        self.routes.lock().unwrap().insert(path.into(), route);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn clear_seen(&self) {
        self.seen.lock().unwrap().clear();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One request as a test server reads it: path, headers (names lower-cased) and body (as long as
/// its Content-Length says).
pub struct Request {
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

/// Reads one HTTP/1.1 request from `conn` (within 5 s); the connection comes back for the answer.
pub fn read_request(conn: TcpStream) -> Option<(Request, TcpStream)> {
    conn.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut reader = BufReader::new(conn);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() || request_line.is_empty() {
        return None;
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    let mut headers = HashMap::new();
    for _ in 0..100 {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let length = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let request = Request {
        path,
        headers,
        body,
    };
    Some((request, reader.into_inner()))
}

/// Writes the answer and waits briefly for the client to close, so it sees a clean end.
pub fn finish_answer(mut conn: TcpStream, head_and_body: &[u8]) {
    let _ = conn.write_all(head_and_body);
    let _ = conn.flush();
    let mut sink = [0u8; 64];
    conn.set_read_timeout(Some(Duration::from_millis(50))).ok();
    let _ = conn.read(&mut sink);
}

fn handle(conn: TcpStream, routes: &Mutex<HashMap<String, Route>>, seen: &Mutex<Vec<Seen>>) {
    let Some((Request { path, headers, .. }, mut conn)) = read_request(conn) else {
        return;
    };
    let route = routes
        .lock()
        .unwrap()
        .get(&path)
        .cloned()
        .unwrap_or_else(|| Route::status(404));
    let not_modified = route
        .etag
        .as_deref()
        .is_some_and(|e| headers.get("if-none-match").map(String::as_str) == Some(e))
        || route
            .last_modified
            .as_deref()
            .is_some_and(|l| headers.get("if-modified-since").map(String::as_str) == Some(l));
    let status = if not_modified { 304 } else { route.status };
    seen.lock().unwrap().push(Seen {
        path,
        headers,
        status,
        at: std::time::Instant::now(),
    });
    if let Some(d) = route.delay {
        std::thread::sleep(d);
    }
    let mut head = format!("HTTP/1.1 {status} X\r\nConnection: close\r\n");
    if let Some(e) = &route.etag {
        head.push_str(&format!("ETag: {e}\r\n"));
    }
    if let Some(l) = &route.last_modified {
        head.push_str(&format!("Last-Modified: {l}\r\n"));
    }
    let body: &[u8] = if status == 304 { &[] } else { &route.body };
    if status != 304 {
        for (k, v) in &route.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    if route.without_length && status != 304 {
        head.push_str("\r\n");
    } else {
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    }
    let _ = conn.write_all(head.as_bytes());
    if route.cut_midway {
        let _ = conn.write_all(&body[..body.len() / 2]);
        let _ = conn.flush();
        let _ = conn.shutdown(std::net::Shutdown::Both);
        return;
    }
    finish_answer(conn, body);
}

/// A temp dir holding `aggregator.toml` (+ `watchlists.toml`) for the given feeds.
pub struct Setup {
    pub dir: tempfile::TempDir,
}

pub const WATCHLISTS: &str = r#"
[[watchlist]]
name = "dprk-japan"
terms = ["Kim Yo-jong", "Kishida", "\"Japan-DPRK summit\"", "북한", "일본"]
exclude = ["K-pop"]
"#;

impl Setup {
    /// `feeds`: (name, url) pairs. `extra` is appended to the `[defaults]` table.
    pub fn new(feeds: &[(&str, &str)], extra_defaults: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = String::from("database = \"agg.db\"\nwatchlists = \"watchlists.toml\"\n");
        cfg.push_str("[defaults]\n");
        // The suite's own defaults, unless the test sets the key itself.
        for (key, line) in [
            ("timeout", "timeout = \"5s\"\n"),
            ("connect_timeout", "connect_timeout = \"2s\"\n"),
            ("timezone", "timezone = \"+09:00\"\n"),
            ("host_spacing", "host_spacing = \"0s\"\n"),
            ("per_host", "per_host = 8\n"),
        ] {
            let set_by_test = extra_defaults
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{key} ")));
            if !set_by_test {
                cfg.push_str(line);
            }
        }
        cfg.push_str(extra_defaults);
        for (name, url) in feeds {
            cfg.push_str(&format!("\n[[feed]]\nname = \"{name}\"\nurl = \"{url}\"\n"));
        }
        std::fs::write(dir.path().join("aggregator.toml"), cfg).unwrap();
        std::fs::write(dir.path().join("watchlists.toml"), WATCHLISTS).unwrap();
        Self { dir }
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("aggregator.toml")
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("agg.db")
    }

    pub fn config(&self) -> aggregator::config::Config {
        aggregator::watch::load_config(&self.config_path()).unwrap()
    }

    /// Runs the binary with this config.
    pub fn run(&self, args: &[&str]) -> Output {
        run_bin(Some(&self.config_path()), args)
    }
}

/// Runs the built `aggregator` binary (no inherited AGGREGATOR_CONFIG or RUST_LOG).
pub fn run_bin(config: Option<&Path>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aggregator"));
    cmd.env_remove("AGGREGATOR_CONFIG")
        .env_remove("RUST_LOG")
        .env("COLUMNS", "120");
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    cmd.args(args).output().expect("run aggregator")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// An RSS 2.0 document with the given items: (guid, link, title, description).
pub fn rss(title: &str, items: &[(Option<&str>, Option<&str>, &str, &str)]) -> String {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>{title}</title><link>https://example.com/</link>\n"
    );
    for (guid, link, t, d) in items {
        s.push_str("<item>");
        s.push_str(&format!("<title>{t}</title>"));
        if let Some(g) = guid {
            s.push_str(&format!("<guid isPermaLink=\"false\">{g}</guid>"));
        }
        if let Some(l) = link {
            s.push_str(&format!("<link>{l}</link>"));
        }
        s.push_str(&format!("<description>{d}</description><pubDate>Tue, 26 Mar 2024 10:00:00 +0900</pubDate></item>\n"));
    }
    s.push_str("</channel></rss>\n");
    s
}

/// Runs one poll through the library.
pub fn poll(config: &aggregator::config::Config) -> aggregator::refresh::PollSummary {
    use std::sync::Arc;
    let watch = Arc::new(aggregator::watch::WatchSet::from_config(config).unwrap());
    let store = aggregator::store::Store::open(
        &config.database,
        aggregator::store::StoreOptions::from_config(config),
    )
    .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let writer = {
        let _in_runtime = rt.enter();
        Arc::new(aggregator::store::Writer::spawn(store))
    };
    let summary = rt
        .block_on(aggregator::refresh::poll_once(
            config,
            watch,
            writer.clone(),
        ))
        .unwrap();
    drop(rt);
    Arc::try_unwrap(writer).ok().unwrap().close();
    summary
}

/// Every stored item, newest first.
pub fn stored(config: &aggregator::config::Config) -> Vec<aggregator::store::query::ListedItem> {
    aggregator::store::Reader::open(&config.database)
        .unwrap()
        .list(&Default::default())
        .unwrap()
}

/// A child process the test started (the daemon), signalled by its pid and never left running.
pub struct Process {
    pub child: std::process::Child,
}

impl Process {
    pub fn spawn(mut cmd: Command) -> Self {
        Self {
            child: cmd.spawn().unwrap(),
        }
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{sig}");
    }

    pub fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// SIGKILL: no shutdown, no draining.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, then waits (at most `limit`) for the exit; the exit code.
    pub fn stop(&mut self, limit: Duration) -> Option<i32> {
        self.signal("TERM");
        let start = std::time::Instant::now();
        while self.alive() {
            assert!(start.elapsed() < limit, "process did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
        self.child.wait().unwrap().code()
    }
}

impl Drop for Process {
    /// A test that fails half-way must not leave its process running.
    fn drop(&mut self) {
        if self.alive() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
