//! One bad site must never silence the others: a host answering 503 + `Retry-After`, or a host
//! that answers slowly with more due feeds than the concurrency, holds back only its own feeds —
//! in the daemon and in `poll --once` (which skips a long-paused host's feeds and says so).

mod common;

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aggregator::daemon::{self, Silent};
use common::*;

fn one_item(guid: &str) -> String {
    rss(
        "F",
        &[(
            Some(guid),
            Some(&format!("https://f.example/{guid}")),
            "Item",
            "s",
        )],
    )
}

/// A server whose feeds `/f0…/f{n-1}` each carry one item; the feed list for a config, named
/// `{prefix}{i}` and addressed through `host` (`127.0.0.1` or `localhost`).
fn healthy_feeds(srv: &Server, prefix: &str, host: &str, n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| {
            let path = format!("/{prefix}{i}");
            srv.route(&path, Route::rss(one_item(&format!("{prefix}{i}"))));
            let url = format!("http://{host}:{}{path}", srv.addr.port());
            (format!("{prefix}{i}"), url)
        })
        .collect()
}

/// The paths a server was asked for.
fn paths(srv: &Server) -> HashSet<String> {
    srv.seen().into_iter().map(|s| s.path).collect()
}

/// The reproduction of the report: feed 1 on its own server answers 503 with a long
/// `Retry-After`; 40 more feeds live on that server; 100 feeds on another server as `127.0.0.1`
/// and 10 as `localhost`. The paused server's feeds come first in the config.
struct RetryAfterSite {
    paused: Server,
    healthy: Server,
    setup: Setup,
    healthy_paths: HashSet<String>,
}

fn retry_after_site(retry_after: &str) -> RetryAfterSite {
    let paused = Server::start();
    let healthy = Server::start();
    paused.route(
        "/retryafter",
        Route::status(503).with_header("Retry-After", retry_after),
    );
    let mut feeds = vec![("busy".to_string(), paused.url("/retryafter"))];
    feeds.extend(healthy_feeds(&paused, "same-host-", "127.0.0.1", 40));
    let others = [
        healthy_feeds(&healthy, "ip-", "127.0.0.1", 100),
        healthy_feeds(&healthy, "name-", "localhost", 10),
    ]
    .concat();
    let healthy_paths = others
        .iter()
        .map(|(_, url)| url[url.rfind('/').unwrap()..].to_string())
        .collect();
    feeds.extend(others);
    let pairs: Vec<(&str, &str)> = feeds
        .iter()
        .map(|(n, u)| (n.as_str(), u.as_str()))
        .collect();
    let setup = Setup::new(
        &pairs,
        "concurrency = 16\nper_host = 16\nhost_spacing = \"0s\"\ninterval = \"1h\"\n",
    );
    RetryAfterSite {
        paused,
        healthy,
        setup,
        healthy_paths,
    }
}

#[test]
fn poll_once_skips_a_host_paused_by_retry_after_and_fetches_every_other_feed() {
    let site = retry_after_site("86400");
    let (out_path, err_path) = (
        site.setup.dir.path().join("stdout"),
        site.setup.dir.path().join("stderr"),
    );
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aggregator"));
    cmd.env_remove("AGGREGATOR_CONFIG")
        .env_remove("RUST_LOG")
        .arg("--config")
        .arg(site.setup.config_path())
        .args(["poll", "--once"])
        .stdout(Stdio::from(std::fs::File::create(&out_path).unwrap()))
        .stderr(Stdio::from(std::fs::File::create(&err_path).unwrap()));
    let mut child = Process::spawn(cmd);
    // A poll that waited out the pause would run for a day: give it a minute.
    let start = Instant::now();
    while child.alive() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "poll --once still running after 60 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = child.child.wait().unwrap();
    let text = std::fs::read_to_string(&out_path).unwrap();
    let log = std::fs::read_to_string(&err_path).unwrap();
    assert_eq!(status.code(), Some(0), "{log}");
    let seen = paths(&site.healthy);
    let missing: Vec<_> = site.healthy_paths.difference(&seen).collect();
    assert!(missing.is_empty(), "never fetched: {missing:?}");
    // Every feed of the paused server was either fetched before the 503 arrived or skipped,
    // and the summary says how many were skipped.
    let asked = site.paused.seen().len();
    let skipped = 41 - asked;
    assert!(
        skipped >= 1,
        "the pause held nothing back ({asked} requests)"
    );
    let host = format!("127.0.0.1:{}", site.paused.addr.port());
    let line = format!("skipped: {skipped} feeds of {host} (Retry-After until ");
    assert!(text.contains(&line), "no {line:?} in:\n{text}");
    assert!(
        text.contains(&format!("feeds {} ok", 110 + asked - 1)),
        "{text}"
    );
    // A second poll remembers the pause from the database: nothing is asked of that host.
    site.paused.clear_seen();
    let again = site.setup.run(&["poll", "--once"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(site.paused.seen().len(), 0, "{}", stdout(&again));
    assert!(
        stdout(&again).contains(&format!("skipped: 41 feeds of {host}")),
        "{}",
        stdout(&again)
    );
}

#[test]
fn daemon_keeps_fetching_other_hosts_while_one_is_paused() {
    let site = retry_after_site("3600");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (_tx, rx) = tokio::sync::mpsc::channel(1);
    let healthy = &site.healthy;
    let wanted = site.healthy_paths.clone();
    // Stop as soon as every other feed has been fetched (at most 30 s, far below the 1 h
    // interval the feeds are due within).
    let done = async move {
        let start = tokio::time::Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            if wanted.is_subset(&paths(healthy)) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let summary = rt
        .block_on(daemon::run(
            site.setup.config_path(),
            done,
            rx,
            Arc::new(Silent),
        ))
        .unwrap();
    let seen = paths(&site.healthy);
    let missing: Vec<_> = site.healthy_paths.difference(&seen).collect();
    assert!(
        missing.is_empty(),
        "never fetched: {missing:?} ({summary:?})"
    );
    // The paused host was asked at most once per slot, never again after the 503.
    let busy_at = site
        .paused
        .seen()
        .into_iter()
        .find(|s| s.path == "/retryafter")
        .map(|s| s.at)
        .unwrap();
    let after = site
        .paused
        .seen()
        .into_iter()
        .filter(|s| s.at > busy_at + Duration::from_millis(500))
        .count();
    assert_eq!(after, 0, "requests to the paused host after its 503");
}

#[test]
fn a_slow_host_with_more_due_feeds_than_the_budget_does_not_hold_back_others() {
    let slow = Server::start();
    let fast = Server::start();
    // Twelve feeds on a host that takes a second per answer, one at a time; they sort first.
    let mut feeds: Vec<(String, String)> = (0..12)
        .map(|i| {
            let path = format!("/slow{i}");
            slow.route(
                &path,
                Route::rss(one_item(&format!("s{i}"))).delayed(Duration::from_secs(1)),
            );
            (format!("a-slow-{i:02}"), slow.url(&path))
        })
        .collect();
    feeds.extend(healthy_feeds(&fast, "z-fast-", "127.0.0.1", 20));
    let pairs: Vec<(&str, &str)> = feeds
        .iter()
        .map(|(n, u)| (n.as_str(), u.as_str()))
        .collect();
    let setup = Setup::new(
        &pairs,
        "concurrency = 2\nper_host = 1\nhost_spacing = \"0s\"\ninterval = \"1h\"\n",
    );
    let fast_paths: HashSet<String> = (0..20).map(|i| format!("/z-fast-{i}")).collect();

    // The daemon.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (_tx, rx) = tokio::sync::mpsc::channel(1);
    let (fast_ref, wanted) = (&fast, fast_paths.clone());
    let done = async move {
        let start = tokio::time::Instant::now();
        while start.elapsed() < Duration::from_secs(30) && !wanted.is_subset(&paths(fast_ref)) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    rt.block_on(daemon::run(setup.config_path(), done, rx, Arc::new(Silent)))
        .unwrap();
    assert_fast_went_first(&slow, &fast, &fast_paths);

    // `poll --once` on a fresh database.
    std::fs::remove_file(setup.db_path()).unwrap();
    slow.clear_seen();
    fast.clear_seen();
    let out = setup.run(&["poll", "--once"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_fast_went_first(&slow, &fast, &fast_paths);
    assert_eq!(slow.seen().len(), 12, "every slow feed is still fetched");
}

/// Every fast feed was asked for before the slow host's third request: the slow host's waiting
/// feeds held no slot the fast ones needed.
fn assert_fast_went_first(slow: &Server, fast: &Server, fast_paths: &HashSet<String>) {
    let fast_seen = fast.seen();
    let got: HashSet<String> = fast_seen.iter().map(|s| s.path.clone()).collect();
    let missing: Vec<_> = fast_paths.difference(&got).collect();
    assert!(missing.is_empty(), "never fetched: {missing:?}");
    let last_fast = fast_seen.iter().map(|s| s.at).max().unwrap();
    let mut slow_at: Vec<Instant> = slow.seen().into_iter().map(|s| s.at).collect();
    slow_at.sort();
    assert!(
        slow_at.len() < 3 || last_fast < slow_at[2],
        "the last fast feed waited for {} slow answers",
        slow_at.iter().filter(|&&t| t < last_fast).count()
    );
}
