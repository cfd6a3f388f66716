//! The web view's test helpers: `aggregator run` with `[web]` on 127.0.0.1:0 (its address read
//! from its log), a one-request HTTP/1.1 client, and reading a page's hidden fields.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::{Process, Setup};

/// A running `aggregator run` with its web view, stopped (SIGTERM) when dropped.
pub struct WebDaemon {
    pub process: Process,
    pub addr: SocketAddr,
    /// The daemon's log lines not read yet.
    pub log: mpsc::Receiver<String>,
}

impl WebDaemon {
    /// Starts the daemon on `setup`'s config (which must turn `[web]` on, `listen` on
    /// 127.0.0.1:0) and waits, 15 s at most, for the web view's address and for `stored` feeds
    /// to be stored.
    pub fn start(setup: &Setup, stored: usize) -> WebDaemon {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_aggregator"));
        cmd.args(["--config", setup.config_path().to_str().unwrap(), "run"])
            .env_remove("NOTIFY_SOCKET")
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut process = Process::spawn(cmd);
        let stderr = process.child.stderr.take().unwrap();
        let (tx, log) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let start = Instant::now();
        let (mut addr, mut seen) = (None::<SocketAddr>, 0);
        while addr.is_none() || seen < stored {
            let line = log
                .recv_timeout(Duration::from_secs(15).saturating_sub(start.elapsed()))
                .expect("the daemon's web view and first fetches");
            if line.contains("web view listening")
                && let Some(a) = line.split("addr=").nth(1)
            {
                addr = a.split_whitespace().next().and_then(|a| a.parse().ok());
            }
            seen += usize::from(line.contains("feed stored"));
        }
        WebDaemon {
            process,
            addr: addr.unwrap(),
            log,
        }
    }

    /// Waits (15 s at most) for a log line containing `text`.
    pub fn wait_for_log(&self, text: &str) {
        let start = Instant::now();
        loop {
            let line = self
                .log
                .recv_timeout(Duration::from_secs(15).saturating_sub(start.elapsed()))
                .unwrap_or_else(|_| panic!("no log line with {text:?}"));
            if line.contains(text) {
                return;
            }
        }
    }

    /// What the daemon logged and no one read yet, for a failure's message.
    pub fn logged(&self) -> String {
        self.log.try_iter().collect::<Vec<_>>().join("\n")
    }

    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        http(self.addr, "GET", path, headers, "")
    }

    /// Posts `form` URL-encoded, as a browser sends a form.
    pub fn post(&self, path: &str, headers: &[(&str, &str)], form: &[(&str, &str)]) -> Reply {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let mut h = headers.to_vec();
        h.push(("Content-Type", "application/x-www-form-urlencoded"));
        http(self.addr, "POST", path, &h, &body)
    }
}

impl Drop for WebDaemon {
    fn drop(&mut self) {
        let _ = self.process.stop(Duration::from_secs(20));
    }
}

/// An HTTP answer.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request on its own connection (closed after the answer; 30 s at most).
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {head:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_string(),
    }
}

/// The value of the first hidden input named `name` on a page.
pub fn hidden(page: &str, name: &str) -> String {
    let at = page
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no {name} field in {page}"));
    let rest = &page[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_string()
}
