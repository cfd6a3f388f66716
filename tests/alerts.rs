//! Alerts end to end, through the binary: webhook delivery with retries and one accepted
//! delivery per story and watchlist, an outbox that survives a killed daemon, command sinks, a
//! permanent failure shown in `status` without leaking secrets, `rematch`, Atom export (the
//! command and the daemon-kept file), and the re-check a SIGHUP runs when watchlists change.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::fs::OpenOptions;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::Value;

use common::{Process, Request, Route, Server, Setup, finish_answer, read_request, stderr, stdout};

/// The webhook's bearer token; the binary gets it only via `DESK_TOKEN`.
const TOKEN: &str = "tok-Q7xL9mV2bR8z";
/// The secret segment of the webhook URL's path (as in Slack-style webhook URLs).
const SECRET: &str = "T0SECRETx9d8e7f";

// One wire story, carried by several outlets under their own links.
const KIM_TITLE: &str = "Kim Yo-jong slams Japan over abductee issue";
const KIM_BODY: &str = "SEOUL, March 26 (Yonhap) -- Kim Yo-jong, the powerful younger sister of \
    North Korean leader Kim Jong-un, dismissed Tokyo's push for a summit on Tuesday, saying \
    Japan's insistence on the abductee issue leaves nothing to discuss. In a statement carried \
    by the Korean Central News Agency, she said Pyongyang will not accept any contact with Prime \
    Minister Fumio Kishida's government as long as it clings to the matter. (END)";
const YNA_LINK: &str = "https://en.yna.co.kr/view/AEN20240326000300315";
const HERALD_LINK: &str = "https://www.koreaherald.com/view.php?ud=20240326000512";
const NKNEWS_LINK: &str = "https://www.nknews.org/2024/03/kim-yo-jong-slams-japan-abductee/";

// Unrelated stories.
const ENVOY_TITLE: &str = "Japan names new envoy for abductee affairs";
const ENVOY_BODY: &str = "TOKYO, March 26 (Kyodo) -- The Japanese government on Tuesday named a \
    former vice foreign minister as its new envoy for abductee affairs, tasking him with \
    reviving contacts with the families' associations. The appointment follows a cabinet \
    reshuffle earlier this month and comes ahead of a national rally planned for May.";
const ENVOY_LINK: &str = "https://english.kyodonews.net/news/2024/03/envoy-abductee-affairs.html";
const KISHIDA_TITLE: &str = "Kishida says Japan will keep seeking summit with Pyongyang";
const KISHIDA_BODY: &str = "TOKYO, March 27 (Kyodo) -- Prime Minister Fumio Kishida said on \
    Wednesday that Japan will keep seeking a summit with North Korea despite the latest \
    rejection, calling direct talks the only way forward. He told a parliamentary committee \
    that his government had made no concessions.";
const KISHIDA_LINK: &str = "https://english.kyodonews.net/news/2024/03/kishida-summit.html";
const STOCKS_TITLE: &str = "Seoul stocks close higher on chip rally";
const STOCKS_BODY: &str = "SEOUL, March 26 (Yonhap) -- South Korean stocks closed higher on \
    Tuesday, led by chipmakers, as foreign investors extended their buying streak to a fifth \
    session. The benchmark KOSPI rose 0.7 percent to 2,757.86.";
const STOCKS_LINK: &str = "https://en.yna.co.kr/view/AEN20240326007651320";

/// `dprk` (high priority, described) and `abductions`, both alerting to the `desk` webhook:
/// the Kim story matches both, the envoy story only `abductions`.
const TWO_WATCHLISTS: &str = r#"
[[watchlist]]
name = "dprk"
description = "North Korea–Japan relations"
terms = [["Kim Yo-jong", "김여정"], "Kishida"]
alerts = ["desk"]
priority = "high"

[[watchlist]]
name = "abductions"
terms = ["abductee"]
alerts = ["desk"]
"#;

const FAST_RETRIES: &str =
    "\n[alerts]\nbackoff = \"200ms\"\nmax_backoff = \"1s\"\nmax_attempts = 12\n";

/// When the test feeds' items were published: an hour ago (inside every `7d` window).
static PUBLISHED: LazyLock<DateTime<Utc>> = LazyLock::new(|| {
    let t = Utc::now() - chrono::Duration::hours(1);
    DateTime::from_timestamp(t.timestamp(), 0).unwrap()
});

/// An RSS document of items (guid, link, title, body) published at [`PUBLISHED`].
fn wire(channel: &str, items: &[(&str, &str, &str, &str)]) -> String {
    let items: Vec<_> = items
        .iter()
        .map(|&(g, l, t, d)| (Some(g), Some(l), t, d))
        .collect();
    common::rss(channel, &items).replace("Tue, 26 Mar 2024 10:00:00 +0900", &PUBLISHED.to_rfc2822())
}

// ---------------------------------------------------------------------------------------------
// A webhook receiver that records every request, body included.

/// One request the receiver saw, and the status it answered.
#[derive(Clone, Debug)]
struct Post {
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
    status: u16,
}

impl Post {
    fn accepted(&self) -> bool {
        (200..300).contains(&self.status)
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "webhook body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// A webhook receiver on 127.0.0.1:0. It answers `fail_status` to the first `fail_first`
/// requests — with a body echoing the request's token and path, as careless receivers do —
/// and 200 to the rest.
struct Receiver {
    addr: SocketAddr,
    posts: Arc<Mutex<Vec<Post>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Receiver {
    fn start(fail_first: usize, fail_status: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let posts: Arc<Mutex<Vec<Post>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (p, st) = (posts.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let p = p.clone();
                std::thread::spawn(move || answer(conn, &p, fail_first, fail_status));
            }
        });
        Self {
            addr,
            posts,
            stop,
            thread: Some(thread),
        }
    }

    /// The webhook URL, secret path included.
    fn url(&self) -> String {
        format!("http://{}/hook/{SECRET}", self.addr)
    }

    fn posts(&self) -> Vec<Post> {
        self.posts.lock().unwrap().clone()
    }

    fn accepted(&self) -> Vec<Post> {
        self.posts().into_iter().filter(Post::accepted).collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn answer(conn: TcpStream, posts: &Mutex<Vec<Post>>, fail_first: usize, fail_status: u16) {
    let Some((
        Request {
            path,
            headers,
            body,
        },
        conn,
    )) = read_request(conn)
    else {
        return;
    };
    let status = {
        let mut posts = posts.lock().unwrap();
        let status = if posts.len() < fail_first {
            fail_status
        } else {
            200
        };
        posts.push(Post {
            path: path.clone(),
            headers: headers.clone(),
            body,
            status,
        });
        status
    };
    let text = if status == 200 {
        "ok".to_string()
    } else {
        format!(
            "rejected {} for {path}",
            headers.get("authorization").map_or("", String::as_str)
        )
    };
    let answer = format!(
        "HTTP/1.1 {status} X\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{text}",
        text.len()
    );
    finish_answer(conn, answer.as_bytes());
}

// ---------------------------------------------------------------------------------------------
// Config, commands and the daemon.

/// A desk: `Setup`'s temp dir and feeds, then `tail` (sinks, `[alerts]`, `[[atom]]`…; `{DIR}`
/// stands for the temp dir), and `watchlists` as the watchlists file.
fn desk(feeds: &[(&str, &str)], tail: &str, watchlists: &str) -> Setup {
    let setup = Setup::new(feeds, "");
    let mut cfg = std::fs::read_to_string(setup.config_path()).unwrap();
    cfg.push_str(&tail.replace("{DIR}", setup.dir.path().to_str().unwrap()));
    std::fs::write(setup.config_path(), cfg).unwrap();
    set_watchlists(&setup, watchlists);
    setup
}

/// `/yonhap` carries the Kim Yo-jong story; `/herald` carries it too (another link), and the
/// envoy story.
fn serve_kim_and_envoy(feeds: &Server) {
    feeds.route(
        "/yonhap",
        Route::rss(wire(
            "Yonhap",
            &[("yna-0315", YNA_LINK, KIM_TITLE, KIM_BODY)],
        )),
    );
    feeds.route(
        "/herald",
        Route::rss(wire(
            "The Korea Herald",
            &[
                ("kh-0512", HERALD_LINK, KIM_TITLE, KIM_BODY),
                ("kh-0530", ENVOY_LINK, ENVOY_TITLE, ENVOY_BODY),
            ],
        )),
    );
}

fn set_watchlists(setup: &Setup, text: &str) {
    std::fs::write(setup.dir.path().join("watchlists.toml"), text).unwrap();
}

/// A `desk` webhook sink with a bearer token from `${DESK_TOKEN}`.
fn webhook_sink(url: &str) -> String {
    format!(
        "\n[[sink]]\nname = \"desk\"\ntype = \"webhook\"\nurl = \"{url}\"\nformat = \"json\"\n\
         headers = {{ Authorization = \"Bearer ${{DESK_TOKEN}}\" }}\ntimeout = \"2s\"\n"
    )
}

/// A `pager` command sink appending each payload to `{DIR}/pager.jsonl`.
const PAGER_SINK: &str = r#"
[[sink]]
name = "pager"
type = "command"
command = ["sh", "-c", "cat >> \"$0\"", "{DIR}/pager.jsonl"]
timeout = "5s"
"#;

/// The payloads the pager sink received, one per line.
fn pager_lines(setup: &Setup) -> Vec<Value> {
    let text = std::fs::read_to_string(setup.dir.path().join("pager.jsonl")).unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect()
}

/// Runs the binary with this config and `DESK_TOKEN` set (nothing else inherited that matters).
fn agg(setup: &Setup, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aggregator"))
        .env_remove("AGGREGATOR_CONFIG")
        .env_remove("AGGREGATOR_DATABASE")
        .env_remove("RUST_LOG")
        .env_remove("NOTIFY_SOCKET")
        .env("COLUMNS", "200")
        .env("DESK_TOKEN", TOKEN)
        .arg("--config")
        .arg(setup.config_path())
        .args(args)
        .output()
        .expect("run aggregator")
}

/// Runs a command that must succeed; returns its stdout.
fn ok(setup: &Setup, args: &[&str]) -> String {
    let out = agg(setup, args);
    assert!(
        out.status.success(),
        "aggregator {args:?} exited {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

fn json(setup: &Setup, args: &[&str]) -> Value {
    let out = ok(setup, args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}):\n{out}"))
}

/// `status --alerts --format json`, or Null when it cannot be read (yet).
fn sinks(setup: &Setup) -> Value {
    let out = agg(setup, &["status", "--alerts", "--format", "json"]);
    serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
}

/// One sink's row of `status --alerts --format json` (Null when it has none).
fn sink(setup: &Setup, name: &str) -> Value {
    sinks(setup)
        .as_array()
        .and_then(|a| a.iter().find(|s| s["sink"] == name).cloned())
        .unwrap_or(Value::Null)
}

/// `list --items --format json`.
fn items(setup: &Setup) -> Vec<Value> {
    json(setup, &["list", "--items", "--format", "json"])
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The stored item with this title.
fn item<'a>(items: &'a [Value], title: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["title"] == title)
        .unwrap_or_else(|| panic!("no item {title:?} in {items:#?}"))
}

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// What a failing wait prints: the outbox and the daemon's log.
fn context(setup: &Setup) -> String {
    let log = std::fs::read_to_string(setup.dir.path().join("daemon.log")).unwrap_or_default();
    format!("status --alerts: {}\ndaemon log:\n{log}", sinks(setup))
}

/// Waits (bounded) until `done` holds; on timeout fails with the desk's context.
fn wait_for(setup: &Setup, what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > limit {
            panic!(
                "timed out after {limit:?} waiting for {what}\n{}",
                context(setup)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The binary, started as `aggregator -v run`, logging to `daemon.log` in the desk's dir.
struct Daemon(Process);

impl Daemon {
    fn start(setup: &Setup) -> Self {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(setup.dir.path().join("daemon.log"))
            .unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_aggregator"));
        cmd.arg("--config")
            .arg(setup.config_path())
            .args(["-v", "run"])
            .env_remove("AGGREGATOR_CONFIG")
            .env_remove("AGGREGATOR_DATABASE")
            .env_remove("RUST_LOG")
            .env_remove("NOTIFY_SOCKET")
            .env("DESK_TOKEN", TOKEN)
            .stdout(Stdio::null())
            .stderr(log);
        Daemon(Process::spawn(cmd))
    }

    fn signal(&self, sig: &str) {
        self.0.signal(sig);
    }

    fn alive(&mut self) -> bool {
        self.0.alive()
    }

    /// SIGKILL: no shutdown, no draining.
    fn kill(self) {
        self.0.kill();
    }

    /// SIGTERM, then waits (bounded) for the exit; returns the exit code.
    fn stop(mut self) -> Option<i32> {
        self.0.stop(Duration::from_secs(15))
    }
}

// ---------------------------------------------------------------------------------------------
// Checks on delivered payloads.

/// (story title, watchlist) of each payload.
fn titles(payloads: &[Value]) -> BTreeSet<(String, String)> {
    payloads
        .iter()
        .map(|p| {
            (
                p["story"]["title"].as_str().unwrap_or_default().to_string(),
                p["watchlist"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn pair(title: &str, watchlist: &str) -> (String, String) {
    (title.to_string(), watchlist.to_string())
}

/// Asserts that no alert was accepted twice and no (story, watchlist) pair has two accepted
/// alerts; returns the accepted payloads.
fn accepted_once(hook: &Receiver) -> Vec<Value> {
    let accepted: Vec<Value> = hook.accepted().iter().map(Post::json).collect();
    let ids: BTreeSet<i64> = accepted
        .iter()
        .map(|p| p["alert_id"].as_i64().expect("alert_id"))
        .collect();
    assert_eq!(
        ids.len(),
        accepted.len(),
        "an alert was accepted twice: {accepted:#?}"
    );
    let pairs: BTreeSet<(i64, String)> = accepted
        .iter()
        .map(|p| {
            (
                p["story"]["id"].as_i64().expect("story.id"),
                p["watchlist"].as_str().expect("watchlist").to_string(),
            )
        })
        .collect();
    assert_eq!(
        pairs.len(),
        accepted.len(),
        "a story was delivered twice for one watchlist: {accepted:#?}"
    );
    accepted
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .unwrap_or_else(|| panic!("not an RFC 3339 time: {v}"))
        .with_timezone(&Utc)
}

// ---------------------------------------------------------------------------------------------

#[test]
fn webhook_retries_until_accepted_and_delivers_once_per_story_and_watchlist() {
    let started = Utc::now() - chrono::Duration::seconds(1);
    let hook = Receiver::start(2, 500);
    let feeds = Server::start();
    serve_kim_and_envoy(&feeds);
    // A third outlet that carries the story only later.
    feeds.route("/nknews", Route::rss(wire("NK News", &[])));
    let setup = desk(
        &[
            ("yonhap", &feeds.url("/yonhap")),
            ("herald", &feeds.url("/herald")),
            ("nknews", &feeds.url("/nknews")),
        ],
        &format!("{}{FAST_RETRIES}", webhook_sink(&hook.url())),
        TWO_WATCHLISTS,
    );

    // Three alerts (Kim × dprk, Kim × abductions, envoy × abductions), sent at once: the
    // receiver refuses the first two to arrive.
    let first = ok(&setup, &["poll", "--once"]);
    assert!(
        first.contains("alerts: 3 raised; 1 delivered, 2 to retry, 0 failed"),
        "{first}"
    );
    for _ in 0..20 {
        if sink(&setup, "desk")["pending"] == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(300)); // > backoff
        ok(&setup, &["poll", "--once"]);
    }

    let posts = hook.posts();
    assert_eq!(
        posts.len(),
        5,
        "two refusals, each retried once, and three acceptances: {posts:#?}\n{}",
        context(&setup)
    );
    let accepted = accepted_once(&hook);
    assert_eq!(
        titles(&accepted),
        BTreeSet::from([
            pair(KIM_TITLE, "dprk"),
            pair(KIM_TITLE, "abductions"),
            pair(ENVOY_TITLE, "abductions"),
        ])
    );
    let accepted_ids: BTreeSet<i64> = accepted
        .iter()
        .map(|p| p["alert_id"].as_i64().unwrap())
        .collect();
    for post in &posts {
        let p = post.json();
        assert_eq!(post.path, format!("/hook/{SECRET}"));
        assert_eq!(
            post.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(post.header("content-type"), Some("application/json"));
        assert_eq!(
            post.header("idempotency-key"),
            Some(format!("aggregator-alert-{}", p["alert_id"]).as_str()),
            "{post:?}"
        );
        assert!(
            accepted_ids.contains(&p["alert_id"].as_i64().unwrap()),
            "a refused alert was retried until accepted: {p}"
        );
    }

    // The payload of the Kim story for dprk.
    let dprk = accepted.iter().find(|p| p["watchlist"] == "dprk").unwrap();
    assert_eq!(dprk["type"], "aggregator.alert");
    assert_eq!(dprk["version"], 1);
    assert_eq!(dprk["description"], "North Korea–Japan relations");
    assert_eq!(dprk["priority"], "high");
    let story = &dprk["story"];
    assert_eq!(story["title"], KIM_TITLE);
    let link_of_feed = match story["feed"].as_str() {
        Some("yonhap") => YNA_LINK,
        Some("herald") => HERALD_LINK,
        other => panic!("story.feed {other:?}"),
    };
    assert_eq!(story["link"], link_of_feed, "link and feed are one item's");
    assert_eq!(time(&story["published"]), *PUBLISHED);
    assert!(time(&story["first_seen"]) >= started);
    assert!(
        story["summary"]
            .as_str()
            .is_some_and(|s| s.contains("dismissed Tokyo's push for a summit")),
        "{story}"
    );
    let mut terms = names(&dprk["terms"]);
    terms.sort();
    assert_eq!(terms, ["Kim Yo-jong", "Kishida"]);
    let hits = dprk["hits"].as_array().expect("hits");
    for h in hits {
        for key in ["term", "field", "text", "snippet"] {
            assert!(h[key].is_string(), "hit without {key}: {h}");
        }
        let text = h["text"].as_str().unwrap();
        assert!(h["snippet"].as_str().unwrap().contains(text), "{h}");
    }
    assert!(
        hits.iter().any(|h| h["term"] == "Kim Yo-jong"
            && h["field"] == "title"
            && h["text"] == "Kim Yo-jong"),
        "{hits:#?}"
    );
    assert!(
        hits.iter()
            .any(|h| h["term"] == "Kishida" && h["field"] == "summary"),
        "{hits:#?}"
    );
    let created = time(&dprk["created_at"]);
    assert!(created >= started && created <= Utc::now(), "{created}");
    let abductions = accepted
        .iter()
        .find(|p| p["watchlist"] == "abductions" && p["story"]["title"] == KIM_TITLE)
        .unwrap();
    assert_eq!(
        abductions["story"]["id"], dprk["story"]["id"],
        "one story, two watchlists"
    );
    assert_eq!(abductions["priority"], "normal");
    assert_eq!(abductions["description"], Value::Null);
    assert_eq!(names(&abductions["terms"]), ["abductee"]);

    let desk = sink(&setup, "desk");
    assert_eq!(desk["delivered"], 3, "{desk}");
    assert_eq!(desk["pending"], 0, "{desk}");
    assert_eq!(desk["failed"], 0, "{desk}");
    assert_eq!(desk["retrying"], 0, "{desk}");
    assert!(
        desk["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("HTTP 500")),
        "the refusals were recorded: {desk}"
    );
    assert!(
        desk["last_error_at"].is_string() && desk["last_delivered_at"].is_string(),
        "{desk}"
    );

    // A third outlet picks the story up: it joins the story, nothing is sent again.
    feeds.route(
        "/nknews",
        Route::rss(wire(
            "NK News",
            &[("nkn-77", NKNEWS_LINK, KIM_TITLE, KIM_BODY)],
        )),
    );
    let again = ok(&setup, &["poll", "--once"]);
    assert!(again.contains("items 1 new"), "{again}");
    assert!(
        again.contains("alerts: 0 raised; 0 delivered, 0 to retry, 0 failed"),
        "{again}"
    );
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(hook.posts().len(), 5, "no further request");
    let stories = json(&setup, &["list", "--matched", "--format", "json"]);
    let kim = stories
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["title"] == KIM_TITLE)
        .unwrap_or_else(|| panic!("{stories:#}"));
    assert_eq!(kim["outlets"], 3, "{kim:#}");
    assert_eq!(kim["id"], dprk["story"]["id"]);
    assert_eq!(sink(&setup, "desk")["delivered"], 3);
}

#[test]
fn alerts_survive_a_killed_daemon() {
    let hook = Receiver::start(2, 500);
    let feeds = Server::start();
    feeds.route(
        "/yonhap",
        Route::rss(wire(
            "Yonhap",
            &[("yna-0315", YNA_LINK, KIM_TITLE, KIM_BODY)],
        )),
    );
    feeds.route(
        "/herald",
        Route::rss(wire(
            "The Korea Herald",
            &[("kh-0512", HERALD_LINK, KIM_TITLE, KIM_BODY)],
        )),
    );
    let setup = desk(
        &[
            ("yonhap", &feeds.url("/yonhap")),
            ("herald", &feeds.url("/herald")),
        ],
        &format!(
            "{}\n[alerts]\nbackoff = \"1s\"\nmax_backoff = \"4s\"\nmax_attempts = 12\n",
            webhook_sink(&hook.url())
        ),
        TWO_WATCHLISTS,
    );

    // Two alerts (the Kim story for dprk and for abductions); both first attempts are refused.
    let d = Daemon::start(&setup);
    wait_for(
        &setup,
        "both first attempts refused and recorded",
        Duration::from_secs(15),
        || hook.posts().len() >= 2 && sink(&setup, "desk")["retrying"] == 2,
    );
    // Killed ~1 s before the retries are due: nothing was accepted yet.
    d.kill();
    let before = hook.posts();
    assert!(
        before.iter().all(|p| !p.accepted()),
        "killed after a delivery was accepted: {before:#?}"
    );
    let desk = sink(&setup, "desk");
    assert_eq!(desk["pending"], 2, "the outbox kept both: {desk}");
    assert_eq!(desk["delivered"], 0, "{desk}");
    assert_eq!(desk["failed"], 0, "{desk}");

    let d = Daemon::start(&setup);
    wait_for(
        &setup,
        "both alerts accepted after the restart",
        Duration::from_secs(20),
        || hook.accepted().len() >= 2,
    );
    let code = d.stop();
    assert_eq!(code, Some(0), "{}", context(&setup));

    let accepted = accepted_once(&hook);
    assert_eq!(
        titles(&accepted),
        BTreeSet::from([pair(KIM_TITLE, "dprk"), pair(KIM_TITLE, "abductions")])
    );
    assert_eq!(hook.posts().len(), 4, "two refusals, two acceptances");
    let desk = sink(&setup, "desk");
    assert_eq!(desk["delivered"], 2, "{desk}");
    assert_eq!(desk["pending"], 0, "{desk}");
}

/// With the web view's address configured, each alert links to its story's page there.
#[test]
fn alerts_link_to_the_story_page_of_the_web_view() {
    let feeds = Server::start();
    serve_kim_and_envoy(&feeds);
    let setup = desk(
        &[("yonhap", &feeds.url("/yonhap"))],
        &format!("{PAGER_SINK}{FAST_RETRIES}\n[web]\nbase_url = \"https://desk.example/agg\"\n"),
        &TWO_WATCHLISTS.replace("\"desk\"", "\"pager\""),
    );
    ok(&setup, &["poll", "--once"]);
    let lines = pager_lines(&setup);
    assert!(!lines.is_empty(), "{}", context(&setup));
    for l in &lines {
        let id = l["story"]["id"].as_i64().unwrap();
        assert_eq!(
            l["story_url"],
            format!("https://desk.example/agg/stories/{id}"),
            "{l:#}"
        );
    }
}

#[test]
fn command_sink_gets_the_payload_on_stdin() {
    let feeds = Server::start();
    serve_kim_and_envoy(&feeds);
    let setup = desk(
        &[
            ("yonhap", &feeds.url("/yonhap")),
            ("herald", &feeds.url("/herald")),
        ],
        &format!("{PAGER_SINK}{FAST_RETRIES}"),
        &TWO_WATCHLISTS.replace("\"desk\"", "\"pager\""),
    );
    let out = ok(&setup, &["poll", "--once"]);
    assert!(
        out.contains("alerts: 3 raised; 3 delivered, 0 to retry, 0 failed"),
        "{out}\n{}",
        context(&setup)
    );
    let lines = pager_lines(&setup);
    assert_eq!(
        titles(&lines),
        BTreeSet::from([
            pair(KIM_TITLE, "dprk"),
            pair(KIM_TITLE, "abductions"),
            pair(ENVOY_TITLE, "abductions"),
        ]),
        "{lines:#?}"
    );
    assert_eq!(lines.len(), 3, "one line per alert: {lines:#?}");
    let ids: BTreeSet<i64> = lines
        .iter()
        .filter_map(|l| l["alert_id"].as_i64())
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(lines.iter().all(|l| l["type"] == "aggregator.alert"));
    assert_eq!(sink(&setup, "pager")["delivered"], 3);

    ok(&setup, &["poll", "--once"]);
    assert_eq!(
        pager_lines(&setup).len(),
        3,
        "delivered alerts are not sent again"
    );
}

#[test]
fn permanent_failure_is_given_up_and_shown_in_status_without_secrets() {
    let hook = Receiver::start(usize::MAX, 401);
    let feeds = Server::start();
    feeds.route(
        "/yonhap",
        Route::rss(wire(
            "Yonhap",
            &[("yna-0315", YNA_LINK, KIM_TITLE, KIM_BODY)],
        )),
    );
    let setup = desk(
        &[("yonhap", &feeds.url("/yonhap"))],
        &format!("{}{FAST_RETRIES}", webhook_sink(&hook.url())),
        r#"
[[watchlist]]
name = "dprk"
terms = [["Kim Yo-jong", "김여정"], "Kishida"]
alerts = ["desk"]
"#,
    );
    let poll = agg(&setup, &["-vv", "poll", "--once"]);
    assert!(poll.status.success(), "{}", stderr(&poll));
    assert!(
        stdout(&poll).contains("alerts: 1 raised; 0 delivered, 0 to retry, 1 failed"),
        "{}",
        stdout(&poll)
    );
    assert!(
        stderr(&poll).contains("alert delivery failed; giving up"),
        "the failure is logged: {}",
        stderr(&poll)
    );
    assert_eq!(hook.posts().len(), 1, "a 401 is not retried");

    let desk = sink(&setup, "desk");
    assert_eq!(desk["failed"], 1, "{desk}");
    assert_eq!(desk["pending"], 0, "{desk}");
    assert_eq!(desk["retrying"], 0, "{desk}");
    assert_eq!(desk["delivered"], 0, "{desk}");
    assert!(
        desk["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("HTTP 401") && e.contains("rejected")),
        "the receiver's answer is quoted (scrubbed): {desk}"
    );
    let status = ok(&setup, &["status"]);
    assert!(status.contains("alerts: sink desk:"), "{status}");

    let again = agg(&setup, &["-vv", "poll", "--once"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(
        hook.posts().len(),
        1,
        "a given-up delivery is never sent again"
    );

    // The receiver echoed the token and path in its 401 body; none of it may surface.
    let mut shown = vec![
        ("poll -vv stderr", stderr(&poll)),
        ("poll stdout", stdout(&poll)),
        ("second poll -vv stderr", stderr(&again)),
        ("status", status),
    ];
    for format in ["table", "json"] {
        shown.push((
            "config check",
            ok(&setup, &["config", "check", "--format", format]),
        ));
    }
    for format in ["table", "json", "csv"] {
        shown.push((
            "status --alerts",
            ok(&setup, &["status", "--alerts", "--format", format]),
        ));
    }
    for (what, text) in &shown {
        assert!(!text.contains(TOKEN), "{what} shows the token:\n{text}");
        assert!(
            !text.contains(SECRET),
            "{what} shows the URL's secret path:\n{text}"
        );
    }
}

#[test]
fn rematch_adds_and_removes_matches_and_alerts_only_when_asked() {
    let feeds = Server::start();
    feeds.route(
        "/kyodo",
        Route::rss(wire(
            "Kyodo",
            &[
                ("kyd-1", KISHIDA_LINK, KISHIDA_TITLE, KISHIDA_BODY),
                ("kyd-2", ENVOY_LINK, ENVOY_TITLE, ENVOY_BODY),
            ],
        )),
    );
    feeds.route(
        "/yonhap",
        Route::rss(wire(
            "Yonhap",
            &[("yna-7651", STOCKS_LINK, STOCKS_TITLE, STOCKS_BODY)],
        )),
    );
    let setup = desk(
        &[
            ("kyodo", &feeds.url("/kyodo")),
            ("yonhap", &feeds.url("/yonhap")),
        ],
        PAGER_SINK,
        r#"
[[watchlist]]
name = "dprk"
terms = ["Kishida"]

[[watchlist]]
name = "korea"
terms = ["Seoul"]
"#,
    );
    ok(&setup, &["poll", "--once"]);
    let stored = items(&setup);
    assert_eq!(names(&item(&stored, KISHIDA_TITLE)["watchlists"]), ["dprk"]);
    assert_eq!(names(&item(&stored, STOCKS_TITLE)["watchlists"]), ["korea"]);
    assert!(names(&item(&stored, ENVOY_TITLE)["watchlists"]).is_empty());

    // dprk now watches "abductee" (and alerts the pager); korea is unchanged.
    set_watchlists(
        &setup,
        r#"
[[watchlist]]
name = "dprk"
terms = ["abductee"]
alerts = ["pager"]

[[watchlist]]
name = "korea"
terms = ["Seoul"]
"#,
    );
    let out = json(&setup, &["rematch", "--since", "30d", "--format", "json"]);
    let stats = &out["stats"];
    assert_eq!(stats["items"], 3, "{out}");
    assert_eq!(stats["added"], 1, "{out}");
    assert_eq!(stats["removed"], 1, "{out}");
    assert_eq!(stats["changed"], 0, "{out}");
    assert_eq!(stats["stories_added"], 1, "{out}");
    assert_eq!(stats["stories_removed"], 1, "{out}");
    assert_eq!(stats["alerts"], 0, "without --alert: {out}");
    assert_eq!(out["watchlist"], Value::Null);
    assert!(out["since"].is_string(), "{out}");
    let stored = items(&setup);
    assert!(names(&item(&stored, KISHIDA_TITLE)["watchlists"]).is_empty());
    assert_eq!(names(&item(&stored, STOCKS_TITLE)["watchlists"]), ["korea"]);
    let envoy = item(&stored, ENVOY_TITLE);
    assert_eq!(names(&envoy["watchlists"]), ["dprk"]);
    let m = &envoy["matches"][0];
    assert_eq!(m["watchlist"], "dprk");
    assert_eq!(names(&m["terms"]), ["abductee"]);
    assert_eq!(m["hits"][0]["term"], "abductee", "{m}");
    assert_eq!(m["hits"][0]["field"], "title", "{m}");
    assert_eq!(
        sinks(&setup),
        serde_json::json!([]),
        "no alert without --alert"
    );
    assert!(pager_lines(&setup).is_empty());

    // korea is gone from the file: a re-check of it alone removes its matches.
    set_watchlists(
        &setup,
        r#"
[[watchlist]]
name = "dprk"
terms = ["abductee"]
alerts = ["pager"]
"#,
    );
    let out = json(
        &setup,
        &[
            "rematch",
            "--since",
            "30d",
            "--watchlist",
            "korea",
            "--format",
            "json",
        ],
    );
    assert_eq!(out["watchlist"], "korea");
    assert_eq!(out["stats"]["removed"], 1, "{out}");
    assert_eq!(out["stats"]["added"], 0, "{out}");
    assert_eq!(out["stats"]["stories_removed"], 1, "{out}");
    let stored = items(&setup);
    assert!(names(&item(&stored, STOCKS_TITLE)["watchlists"]).is_empty());
    assert_eq!(names(&item(&stored, ENVOY_TITLE)["watchlists"]), ["dprk"]);

    // With --alert, a story that newly matches raises its alert (and it is delivered).
    set_watchlists(
        &setup,
        r#"
[[watchlist]]
name = "dprk"
terms = ["abductee", "Seoul"]
alerts = ["pager"]
"#,
    );
    let out = json(
        &setup,
        &["rematch", "--since", "30d", "--alert", "--format", "json"],
    );
    assert_eq!(out["stats"]["added"], 1, "{out}");
    assert_eq!(out["stats"]["alerts"], 1, "{out}");
    let lines = pager_lines(&setup);
    assert_eq!(
        titles(&lines),
        BTreeSet::from([pair(STOCKS_TITLE, "dprk")]),
        "{lines:#?}"
    );
    assert_eq!(lines.len(), 1);
    assert_eq!(names(&lines[0]["terms"]), ["Seoul"]);
    let pager = sink(&setup, "pager");
    assert_eq!(pager["delivered"], 1, "{pager}");
    assert_eq!(pager["pending"], 0, "{pager}");
}

#[test]
fn export_atom_lists_the_watchlists_stories() {
    let feeds = Server::start();
    feeds.route(
        "/yonhap",
        Route::rss(wire(
            "Yonhap",
            &[
                ("yna-0315", YNA_LINK, KIM_TITLE, KIM_BODY),
                ("yna-7651", STOCKS_LINK, STOCKS_TITLE, STOCKS_BODY),
            ],
        )),
    );
    let setup = desk(
        &[("yonhap", &feeds.url("/yonhap"))],
        "\n[[atom]]\nwatchlist = \"dprk\"\npath = \"dprk.atom\"\nsince = \"7d\"\nlimit = 100\n",
        r#"
[[watchlist]]
name = "dprk"
description = "North Korea–Japan relations"
terms = [["Kim Yo-jong", "김여정"], "Kishida"]
"#,
    );
    let entries = |xml: &str| -> Vec<(String, String)> {
        let feed = feed_rs::parser::parse(xml.as_bytes())
            .unwrap_or_else(|e| panic!("not a feed ({e}):\n{xml}"));
        feed.entries
            .iter()
            .map(|e| {
                (
                    e.title
                        .as_ref()
                        .map(|t| t.content.clone())
                        .unwrap_or_default(),
                    e.links.first().map(|l| l.href.clone()).unwrap_or_default(),
                )
            })
            .collect()
    };
    let expected = vec![(KIM_TITLE.to_string(), YNA_LINK.to_string())];

    // The daemon keeps dprk.atom (next to the config) up to date.
    let kept = setup.dir.path().join("dprk.atom");
    let d = Daemon::start(&setup);
    wait_for(
        &setup,
        "the daemon to write the story into dprk.atom",
        Duration::from_secs(15),
        || std::fs::read_to_string(&kept).is_ok_and(|x| x.contains(KIM_TITLE)),
    );
    assert_eq!(d.stop(), Some(0), "{}", context(&setup));
    let xml = std::fs::read_to_string(&kept).unwrap();
    assert_eq!(entries(&xml), expected, "{xml}");
    assert!(
        xml.contains(&format!("<title>{KIM_TITLE}</title>")),
        "{xml}"
    );

    // The command: stdout, and --output.
    let xml = ok(&setup, &["export", "atom", "--watchlist", "dprk"]);
    assert_eq!(entries(&xml), expected, "{xml}");
    assert!(!xml.contains(STOCKS_TITLE), "{xml}");
    let written = setup.dir.path().join("out.atom");
    ok(
        &setup,
        &[
            "export",
            "atom",
            "--watchlist",
            "dprk",
            "--output",
            written.to_str().unwrap(),
        ],
    );
    assert_eq!(
        entries(&std::fs::read_to_string(&written).unwrap()),
        expected
    );

    let unknown = agg(&setup, &["export", "atom", "--watchlist", "nope"]);
    assert_eq!(unknown.status.code(), Some(2), "{}", stderr(&unknown));
    assert!(stderr(&unknown).contains("nope"), "{}", stderr(&unknown));

    let missing_dir = setup.dir.path().join("no-such-dir");
    let target = missing_dir.join("dprk.atom");
    let out = agg(
        &setup,
        &[
            "export",
            "atom",
            "--watchlist",
            "dprk",
            "--output",
            target.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(!target.exists() && !missing_dir.exists());

    // A target that cannot be replaced (a directory) leaves no temporary file behind.
    let dir_target = setup.dir.path().join("a-directory");
    std::fs::create_dir(&dir_target).unwrap();
    let out = agg(
        &setup,
        &[
            "export",
            "atom",
            "--watchlist",
            "dprk",
            "--output",
            dir_target.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let leftovers: Vec<PathBuf> = std::fs::read_dir(setup.dir.path())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().contains(".tmp"))
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn reload_rechecks_changed_watchlists_without_alerting() {
    let feeds = Server::start();
    feeds.route(
        "/kyodo",
        Route::rss(wire(
            "Kyodo",
            &[
                ("kyd-1", KISHIDA_LINK, KISHIDA_TITLE, KISHIDA_BODY),
                ("kyd-2", ENVOY_LINK, ENVOY_TITLE, ENVOY_BODY),
            ],
        )),
    );
    let setup = desk(
        &[("kyodo", &feeds.url("/kyodo"))],
        &format!("{PAGER_SINK}\n[rematch]\nwindow = \"7d\"\nalerts = false\n"),
        "[[watchlist]]\nname = \"dprk\"\nterms = [\"Kishida\"]\nalerts = [\"pager\"]\n",
    );
    let mut d = Daemon::start(&setup);
    wait_for(
        &setup,
        "the Kishida story's alert",
        Duration::from_secs(15),
        || pager_lines(&setup).len() == 1,
    );
    assert!(names(&item(&items(&setup), ENVOY_TITLE)["watchlists"]).is_empty());

    set_watchlists(
        &setup,
        "[[watchlist]]\nname = \"dprk\"\nterms = [\"Kishida\", \"abductee\"]\nalerts = [\"pager\"]\n",
    );
    d.signal("HUP");
    wait_for(
        &setup,
        "the stored envoy item to match after SIGHUP",
        Duration::from_secs(15),
        || names(&item(&items(&setup), ENVOY_TITLE)["watchlists"]) == ["dprk"],
    );
    assert!(d.alive());
    let envoy = item(&items(&setup), ENVOY_TITLE).clone();
    assert_eq!(
        names(&envoy["matches"][0]["terms"]),
        ["abductee"],
        "{envoy:#}"
    );
    // `[rematch] alerts = false`: the re-check (committed with its matches) queued nothing.
    let pager = sink(&setup, "pager");
    assert_eq!(pager["delivered"], 1, "{pager}");
    assert_eq!(pager["pending"], 0, "{pager}");
    assert_eq!(pager["failed"], 0, "{pager}");

    assert_eq!(d.stop(), Some(0), "{}", context(&setup));
    let log = std::fs::read_to_string(setup.dir.path().join("daemon.log")).unwrap();
    assert!(
        log.contains("watchlists changed: stored items re-checked"),
        "{log}"
    );
    assert_eq!(pager_lines(&setup).len(), 1, "{log}");
}

/// A watchlist edited while the daemon was stopped is caught up at the next start: the database
/// remembers what each watchlist looked like when stored items were last re-checked.
#[test]
fn a_watchlist_changed_while_stopped_is_rechecked_once_at_start() {
    use aggregator::recheck::recheck;
    use std::sync::Arc;

    let feeds = Server::start();
    feeds.route(
        "/kyodo",
        Route::rss(wire(
            "Kyodo",
            &[
                ("kyd-1", KISHIDA_LINK, KISHIDA_TITLE, KISHIDA_BODY),
                ("kyd-2", ENVOY_LINK, ENVOY_TITLE, ENVOY_BODY),
            ],
        )),
    );
    let setup = desk(
        &[("kyodo", &feeds.url("/kyodo"))],
        "",
        "[[watchlist]]\nname = \"dprk\"\nterms = [\"Kishida\"]\n\n[[watchlist]]\nname = \"old\"\nterms = [\"envoy\"]\n",
    );
    ok(&setup, &["poll", "--once"]);
    let check = |setup: &Setup| {
        let config = setup.config();
        let set = Arc::new(aggregator::watch::WatchSet::from_config(&config).unwrap());
        // Through a writer, as the daemon runs it.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let store = aggregator::store::Store::open(
            &config.database,
            aggregator::store::StoreOptions::from_config(&config),
        )
        .unwrap();
        let writer = {
            let _in_runtime = rt.enter();
            aggregator::store::Writer::spawn(store)
        };
        let result = rt.block_on(recheck(&config, set, &writer, None)).unwrap();
        drop(rt);
        writer.close();
        result
    };
    // `poll --once`, like a daemon start, recorded every watchlist as checked; nothing changed
    // since, so a start does nothing.
    assert_eq!(check(&setup), None);
    // Edited while stopped: `dprk` gains a term, `old` is removed.
    set_watchlists(
        &setup,
        "[[watchlist]]\nname = \"dprk\"\nterms = [\"Kishida\", \"abductee\"]\npriority = \"high\"\n",
    );
    let caught_up = check(&setup).expect("the changed watchlists are re-checked");
    assert_eq!(
        (caught_up.added, caught_up.removed),
        (1, 1),
        "{caught_up:?}"
    );
    let stored = items(&setup);
    assert_eq!(names(&item(&stored, ENVOY_TITLE)["watchlists"]), ["dprk"]);
    assert_eq!(names(&item(&stored, KISHIDA_TITLE)["watchlists"]), ["dprk"]);
    // A change that does not affect matching (priority) needs no re-check.
    set_watchlists(
        &setup,
        "[[watchlist]]\nname = \"dprk\"\nterms = [\"Kishida\", \"abductee\"]\npriority = \"low\"\n",
    );
    assert_eq!(check(&setup), None);
}
