//! The daemon: scheduling over simulated hours with paused time, and the real binary under
//! signals (a failing feed does not stop the others, SIGTERM mid-fetch loses nothing, SIGHUP
//! adds feeds and survives a broken config).

mod common;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aggregator::daemon::{self, Silent};
use common::*;

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn two_simulated_hours_of_scheduling() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.xml");
    std::fs::write(
        &feed,
        rss(
            "F",
            &[(Some("a"), Some("https://s.example/a"), "Item", "s")],
        ),
    )
    .unwrap();
    let missing = dir.path().join("missing.xml");
    let setup = Setup::new(
        &[
            ("healthy", feed.to_str().unwrap()),
            ("broken", missing.to_str().unwrap()),
        ],
        "interval = \"10m\"\nmax_backoff = \"6h\"\n",
    );
    let (_tx, rx) = tokio::sync::mpsc::channel(1);
    let summary = daemon::run(
        setup.config_path(),
        tokio::time::sleep(Duration::from_secs(2 * 3600)),
        rx,
        Arc::new(Silent),
    )
    .await
    .unwrap();
    let reader = aggregator::store::Reader::open(&setup.db_path()).unwrap();
    let rows = reader.feeds().unwrap();
    let healthy = rows.iter().find(|r| r.name == "healthy").unwrap();
    let broken = rows.iter().find(|r| r.name == "broken").unwrap();
    // Every 10 minutes ± 10 % for two hours: 11 to 14 fetches.
    let healthy_fetches = summary.fetches - summary.failures;
    assert!(
        (11..=14).contains(&healthy_fetches),
        "healthy fetched {healthy_fetches} times: {summary:?}"
    );
    // Failures back off: t = 0, 10, 30, 70 minutes (± jitter): 3 to 5 fetches, not 12.
    assert!(
        (3..=5).contains(&summary.failures),
        "broken fetched {} times",
        summary.failures
    );
    assert_eq!(broken.interval_reason.as_deref(), Some("backoff"));
    assert!(broken.error_streak >= 3);
    assert_eq!(healthy.error_streak, 0);
    assert_eq!(
        healthy.last_result.as_deref(),
        Some("not_modified"),
        "an unchanged file is a 304"
    );
}

/// The binary, started as `aggregator run`.
struct Daemon(Process);

impl Daemon {
    fn start(setup: &Setup) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_aggregator"));
        cmd.args([
            "--config",
            setup.config_path().to_str().unwrap(),
            "-v",
            "run",
        ])
        .env_remove("NOTIFY_SOCKET")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
        Daemon(Process::spawn(cmd))
    }

    fn signal(&self, sig: &str) {
        self.0.signal(sig);
    }

    fn alive(&mut self) -> bool {
        self.0.alive()
    }

    /// Sends SIGTERM and waits (bounded) for the exit; returns the exit code and stderr.
    fn stop(mut self) -> (Option<i32>, String) {
        let code = self.0.stop(Duration::from_secs(20));
        let mut stderr = String::new();
        if let Some(mut e) = self.0.child.stderr.take() {
            use std::io::Read;
            let _ = e.read_to_string(&mut stderr);
        }
        (code, stderr)
    }
}

/// Waits (bounded) until `done` holds.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn feed_rows(setup: &Setup) -> Vec<aggregator::store::query::FeedRow> {
    aggregator::store::Reader::open(&setup.db_path())
        .and_then(|r| r.feeds())
        .unwrap_or_default()
}

#[test]
fn one_feed_failing_hard_does_not_stop_the_others() {
    let srv = Server::start();
    srv.route(
        "/ok1",
        Route::rss(rss("1", &[(Some("a"), None, "One", "")])),
    );
    srv.route(
        "/ok2",
        Route::rss(rss("2", &[(Some("b"), None, "Two", "")])),
    );
    srv.route("/bad", Route::status(500));
    let setup = Setup::new(
        &[
            ("ok1", &srv.url("/ok1")),
            ("bad", &srv.url("/bad")),
            ("ok2", &srv.url("/ok2")),
        ],
        "host_spacing = \"0s\"\n",
    );
    let d = Daemon::start(&setup);
    wait_for("all three feeds fetched", || {
        let rows = feed_rows(&setup);
        rows.len() == 3 && rows.iter().all(|r| r.last_result.is_some())
    });
    let rows = feed_rows(&setup);
    for r in &rows {
        let expected = if r.name == "bad" { "error" } else { "ok" };
        assert_eq!(r.last_result.as_deref(), Some(expected), "{}", r.name);
    }
    let (code, log) = d.stop();
    assert_eq!(code, Some(0), "{log}");
    assert!(
        log.contains("fetch failed") && log.contains("feed=bad"),
        "{log}"
    );
    assert_eq!(stored(&setup.config()).len(), 2);
}

#[test]
fn sigterm_mid_fetch_loses_nothing() {
    let srv = Server::start();
    srv.route(
        "/slow",
        Route::rss(rss("S", &[(Some("s1"), None, "Slow but complete", "")]))
            .delayed(Duration::from_millis(1500)),
    );
    let setup = Setup::new(&[("slow", &srv.url("/slow"))], "");
    let d = Daemon::start(&setup);
    wait_for("the fetch to start", || {
        srv.seen().iter().any(|s| s.path == "/slow")
    });
    let (code, log) = d.stop();
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("SIGTERM"), "{log}");
    let items = stored(&setup.config());
    assert_eq!(
        items.len(),
        1,
        "the in-flight fetch finished and was committed: {log}"
    );
    assert_eq!(items[0].title, "Slow but complete");
}

#[test]
fn sighup_adds_feeds_and_keeps_the_running_config_when_the_new_one_is_broken() {
    let srv = Server::start();
    for p in ["/a", "/b", "/c"] {
        srv.route(
            p,
            Route::rss(rss(
                p,
                &[(Some(&format!("{p}1")), None, &format!("Item {p}"), "")],
            )),
        );
    }
    let setup = Setup::new(&[("a", &srv.url("/a"))], "");
    let original = std::fs::read_to_string(setup.config_path()).unwrap();
    let mut d = Daemon::start(&setup);
    wait_for("feed a", || srv.seen().iter().any(|s| s.path == "/a"));

    let with_b = format!(
        "{original}\n[[feed]]\nname = \"b\"\nurl = \"{}\"\n",
        srv.url("/b")
    );
    std::fs::write(setup.config_path(), &with_b).unwrap();
    d.signal("HUP");
    wait_for("feed b after SIGHUP", || {
        srv.seen().iter().any(|s| s.path == "/b")
    });

    std::fs::write(setup.config_path(), format!("{with_b}\nbogus_key = 1\n")).unwrap();
    d.signal("HUP");
    std::thread::sleep(Duration::from_millis(300));
    assert!(d.alive(), "a broken config does not stop the daemon");

    let with_c = format!(
        "{with_b}\n[[feed]]\nname = \"c\"\nurl = \"{}\"\n",
        srv.url("/c")
    );
    std::fs::write(setup.config_path(), with_c).unwrap();
    d.signal("HUP");
    wait_for("feed c after the config was fixed", || {
        srv.seen().iter().any(|s| s.path == "/c")
    });
    let (code, log) = d.stop();
    assert_eq!(code, Some(0), "{log}");
    assert!(
        log.contains("reload failed; keeping the running configuration"),
        "{log}"
    );
    assert!(log.contains("bogus_key"), "the broken key is named: {log}");
    assert_eq!(stored(&setup.config()).len(), 3);
}

#[test]
fn a_broken_config_at_start_is_exit_2() {
    let setup = Setup::new(&[], "bogus = 1\n");
    let out = Command::new(env!("CARGO_BIN_EXE_aggregator"))
        .args(["--config", setup.config_path().to_str().unwrap(), "run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown field `bogus`"));
}

#[test]
fn a_url_change_during_a_fetch_neither_doubles_it_nor_inherits_its_result() {
    let srv = Server::start();
    // The old address answers 410 Gone, slowly; the new one works.
    srv.route(
        "/old",
        Route::status(410).delayed(Duration::from_millis(1500)),
    );
    srv.route(
        "/new",
        Route::rss(rss("N", &[(Some("n1"), None, "New home", "")])),
    );
    let setup = Setup::new(&[("f", &srv.url("/old"))], "");
    let mut d = Daemon::start(&setup);
    wait_for("the slow fetch to start", || {
        srv.seen().iter().any(|s| s.path == "/old")
    });
    let text = std::fs::read_to_string(setup.config_path())
        .unwrap()
        .replace("/old", "/new");
    std::fs::write(setup.config_path(), text).unwrap();
    d.signal("HUP");
    wait_for("the new address", || {
        srv.seen().iter().any(|s| s.path == "/new")
    });
    assert!(d.alive());
    let seen = srv.seen();
    let old = seen.iter().find(|s| s.path == "/old").unwrap().at;
    let new = seen.iter().find(|s| s.path == "/new").unwrap().at;
    assert!(
        new >= old + Duration::from_millis(1400),
        "the second fetch waited for the first"
    );
    wait_for("the new fetch to be stored", || {
        stored(&setup.config()).len() == 1
    });
    let (code, log) = d.stop();
    assert_eq!(code, Some(0), "{log}");
    let row = feed_rows(&setup)
        .into_iter()
        .find(|r| r.name == "f")
        .unwrap();
    assert_eq!(row.url, srv.url("/new"));
    assert!(
        row.retired_at.is_none(),
        "the stale 410 does not retire the new address"
    );
}

/// A feed whose `<ttl>` put its next poll hours away is due at once after a reload that changes
/// its config (here its interval), as the README promises for a changed feed.
#[test]
fn a_reload_that_changes_a_feed_makes_it_due_despite_a_long_ttl() {
    let srv = Server::start();
    srv.route(
        "/slow",
        Route::rss(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>S</title><ttl>600</ttl>\
             <item><guid>s1</guid><title>Item</title></item></channel></rss>"
                .to_string(),
        ),
    );
    let setup = Setup::new(&[], "interval = \"10m\"\n");
    let original = std::fs::read_to_string(setup.config_path()).unwrap();
    let feed = |interval: &str| {
        format!(
            "{original}\n[[feed]]\nname = \"slow\"\nurl = \"{}\"\ninterval = \"{interval}\"\n",
            srv.url("/slow")
        )
    };
    std::fs::write(setup.config_path(), feed("10m")).unwrap();
    let fetches = || srv.seen().iter().filter(|s| s.path == "/slow").count();
    let mut d = Daemon::start(&setup);
    wait_for("the first fetch to be stored", || {
        feed_rows(&setup)
            .iter()
            .any(|r| r.name == "slow" && r.next_poll_at.is_some())
    });
    let row = feed_rows(&setup)
        .into_iter()
        .find(|r| r.name == "slow")
        .unwrap();
    assert_eq!(
        row.interval_reason.as_deref(),
        Some("server-hint"),
        "{row:?}"
    );
    assert_eq!(fetches(), 1);

    std::fs::write(setup.config_path(), feed("5m")).unwrap();
    d.signal("HUP");
    wait_for("a fetch after the reload", || fetches() >= 2);
    assert!(d.alive());
    let (code, log) = d.stop();
    assert_eq!(code, Some(0), "{log}");
}
