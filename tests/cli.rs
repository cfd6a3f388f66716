//! The command line as users and their scripts see it: output formats, exit codes, messages.

mod common;

use common::*;
use serde_json::Value;

fn feed_with_escape() -> String {
    rss(
        "T",
        &[
            (
                Some("e1"),
                Some("https://t.example/1"),
                "\u{1b}[31mKishida\u{1b}[0m &lt;b&gt;visits&lt;/b&gt; Seoul",
                "summary",
            ),
            (
                Some("e2"),
                Some("https://t.example/2"),
                "Kimchi prices",
                "nothing to see",
            ),
        ],
    )
}

#[test]
fn poll_then_list_in_every_format() {
    let srv = Server::start();
    srv.route("/t", Route::rss(feed_with_escape()));
    let setup = Setup::new(&[("t", &srv.url("/t"))], "");

    let out = setup.run(&["poll", "--once"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        "poll: feeds 1 ok (0 not modified), 0 failed; items 2 new, 0 updated; matches 1"
    );

    let out = setup.run(&[
        "list",
        "--items",
        "--since",
        "2024-03-01",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 2);
    let k = arr
        .iter()
        .find(|i| i["link"] == "https://t.example/1")
        .unwrap();
    for field in [
        "id",
        "story_id",
        "feed",
        "title",
        "link",
        "published",
        "first_seen",
        "author",
        "summary",
        "watchlists",
        "matched_terms",
    ] {
        assert!(k.get(field).is_some(), "missing {field}");
    }
    assert_eq!(k["title"], "Kishida visits Seoul");
    assert_eq!(k["feed"], "t");
    assert_eq!(k["published"], "2024-03-26T01:00:00Z");
    assert_eq!(k["author"], Value::Null);
    assert_eq!(k["watchlists"], serde_json::json!(["dprk-japan"]));
    assert_eq!(k["matched_terms"], serde_json::json!(["Kishida"]));
    let story_id = k["story_id"].as_i64().expect("story_id is a number");

    // Stories by default: each with its members, which carry the same story_id.
    let out = setup.run(&["list", "--since", "2024-03-01", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let stories = v.as_array().unwrap();
    assert_eq!(stories.len(), 2, "two unrelated items are two stories");
    let st = stories.iter().find(|s| s["id"] == story_id).unwrap();
    assert_eq!(st["title"], "Kishida visits Seoul");
    assert_eq!(st["first_source"], "t");
    assert_eq!(st["outlets"], 1);
    assert_eq!(st["watchlists"], serde_json::json!(["dprk-japan"]));
    let members = st["members"].as_array().unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0]["story_id"], story_id);
    assert_eq!(members[0]["delay_secs"], 0);

    let out = setup.run(&["list", "--items", "--matched", "--format", "csv"]);
    let csv = stdout(&out);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[0].starts_with("id,story_id,feed,title,link"));
    assert!(lines[1].contains(&format!(
        ",{story_id},t,Kishida visits Seoul,https://t.example/1,"
    )));
    let out = setup.run(&["list", "--matched", "--format", "csv"]);
    let csv = stdout(&out);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[0].starts_with("id,time,first_seen,first_source,outlets"));
    assert!(lines[1].starts_with(&format!("{story_id},")), "{csv}");
    assert!(lines[1].contains(",t,1,1,0,"), "{csv}");

    let out = setup.run(&["list", "--watchlist", "dprk-japan"]);
    let table = stdout(&out);
    assert!(table.contains("Kishida visits Seoul"), "{table}");
    assert!(!table.contains("Kimchi"));
    assert!(
        !table.contains('\u{1b}'),
        "no escape sequence reaches the terminal"
    );

    let out = setup.run(&["list", "--feed", "nope"]);
    assert_eq!(stdout(&out).trim(), "no stories");
    let out = setup.run(&["list", "--items", "--until", "2000-01-01"]);
    assert_eq!(stdout(&out).trim(), "no items");
    let out = setup.run(&["list", "--limit", "1", "--format", "json"]);
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn list_since_span_filters_by_item_time() {
    let srv = Server::start();
    srv.route("/t", Route::rss(feed_with_escape()));
    let setup = Setup::new(&[("t", &srv.url("/t"))], "");
    assert!(setup.run(&["poll", "--once"]).status.success());
    // The items are dated 2024-03-26: a 24h window from now holds none of them.
    let out = setup.run(&["list", "--since", "24h"]);
    assert!(out.status.success());
    assert_eq!(stdout(&out).trim(), "no stories");
    let out = setup.run(&["list", "--items", "--since", "24h"]);
    assert_eq!(stdout(&out).trim(), "no items");
    let out = setup.run(&[
        "list",
        "--since",
        "2024-03-26T00:00:00Z",
        "--until",
        "2024-03-27",
    ]);
    assert_eq!(stdout(&out).lines().count(), 3, "header and two rows");
}

#[test]
fn bad_time_argument_is_a_usage_error() {
    let setup = Setup::new(&[], "");
    let out = setup.run(&["list", "--since", "last tuesday"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--since: \"last tuesday\" is not a time"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn list_before_any_poll_says_what_to_do() {
    let setup = Setup::new(&[], "");
    let out = setup.run(&["list"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("does not exist yet: run `aggregator poll --once` first"));
}

#[test]
fn broken_config_exits_2_naming_file_line_and_key() {
    let setup = Setup::new(&[("a", "http://127.0.0.1:9/x")], "colour = \"blue\"\n");
    let out = setup.run(&["config", "check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("aggregator.toml:9:1: unknown field `colour`"),
        "{err}"
    );

    // The same through AGGREGATOR_CONFIG, for every command that loads the config.
    for cmd in [&["poll", "--once"][..], &["list"], &["feeds"]] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_aggregator"))
            .env("AGGREGATOR_CONFIG", setup.config_path())
            .args(cmd)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{cmd:?}");
        assert!(stderr(&out).contains("unknown field `colour`"));
    }
}

#[test]
fn missing_config_file_is_exit_2() {
    let out = run_bin(
        Some(std::path::Path::new("/nonexistent/agg.toml")),
        &["config", "check"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("error: /nonexistent/agg.toml: cannot read config file"));
    assert_eq!(
        stderr(&out).matches("No such file or directory").count(),
        1,
        "the cause is printed once: {}",
        stderr(&out)
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(
        run_bin(None, &["poll"]).status.code(),
        Some(2),
        "poll needs --once"
    );
    assert_eq!(run_bin(None, &["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        run_bin(None, &["list", "--format", "xml"]).status.code(),
        Some(2)
    );
}

#[test]
fn config_check_prints_what_was_loaded() {
    let setup = Setup::new(&[("yonhap-en", "https://en.yna.co.kr/RSS/news.xml")], "");
    let out = setup.run(&["config", "check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("feeds (1):"));
    assert!(text.contains("yonhap-en  https://en.yna.co.kr/RSS/news.xml  every 15m"));
    assert!(text.contains("dprk-japan: Kim Yo-jong, Kishida"));
    let out = setup.run(&["config", "check", "--format", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["feeds"][0]["name"], "yonhap-en");
    assert_eq!(v["watchlists"][0]["exclude"][0], "K-pop");
}

#[test]
fn shipped_configs_are_valid() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for name in ["aggregator.toml", "demo.toml"] {
        let out = run_bin(Some(&root.join("config").join(name)), &["config", "check"]);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
    }
    let c = aggregator::watch::load_config(&root.join("config/aggregator.toml")).unwrap();
    let urls: Vec<&str> = c.feeds.iter().map(|f| f.url.as_str()).collect();
    for u in [
        "https://en.yna.co.kr/RSS/news.xml",
        "https://en.yna.co.kr/RSS/nk.xml",
        "https://www.yna.co.kr/rss/northkorea.xml",
        "https://www.koreaherald.com/rss/newsAll",
    ] {
        assert!(urls.contains(&u), "{u} missing");
    }
}

#[test]
fn check_feed_json_shape() {
    let srv = Server::start();
    srv.route("/t", Route::rss(feed_with_escape()));
    let setup = Setup::new(&[], "");
    let out = setup.run(&["check-feed", &srv.url("/t"), "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["feed"]["title"], "T");
    assert_eq!(v["feed"]["link"], "https://example.com/");
    assert_eq!(v["feed"]["updated"], Value::Null);
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let keys: Vec<&str> = items[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for k in [
        "title",
        "link",
        "guid",
        "published",
        "updated",
        "author",
        "summary",
        "categories",
        "watchlists",
    ] {
        assert!(keys.contains(&k), "missing {k}");
    }
    assert_eq!(items[0]["watchlists"], serde_json::json!(["dprk-japan"]));
    assert_eq!(items[1]["watchlists"], serde_json::json!([]));
    assert_eq!(items[0]["published"], "2024-03-26T01:00:00Z");
    assert!(!setup.db_path().exists(), "check-feed stores nothing");
}

#[test]
fn check_feed_reads_paths_and_rejects_non_feeds() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("f.xml");
    std::fs::write(&feed, feed_with_escape()).unwrap();
    let out = run_bin(None, &["check-feed", feed.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("feed: T (2 items)"));
    assert!(!stdout(&out).contains('\u{1b}'));

    let page = dir.path().join("page.html");
    std::fs::write(&page, "<!doctype html><html><body>hi</body></html>").unwrap();
    let out = run_bin(None, &["check-feed", page.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).trim(),
        format!(
            "error: {}: not a feed: this is an HTML page",
            page.display()
        )
    );

    let out = run_bin(
        None,
        &[
            "check-feed",
            dir.path().join("missing.xml").to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("missing.xml: cannot read feed file"));
}

#[test]
fn feeds_shows_last_result() {
    let srv = Server::start();
    srv.route("/ok", Route::rss(feed_with_escape()));
    srv.route("/gone", Route::status(404));
    let setup = Setup::new(&[("ok", &srv.url("/ok")), ("gone", &srv.url("/gone"))], "");
    let out = setup.run(&["feeds"]);
    assert!(stdout(&out).contains("never"), "before the first poll");
    let out = setup.run(&["poll", "--once"]);
    assert!(out.status.success(), "one feed failing is not a failed run");
    assert!(stdout(&out).contains("1 failed (gone)"));
    assert!(
        stderr(&out).contains("fetch failed"),
        "the failure is logged: {}",
        stderr(&out)
    );
    let out = setup.run(&["feeds", "--format", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let gone = v
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "gone")
        .unwrap();
    assert_eq!(gone["state"]["last_result"], "error");
    assert_eq!(gone["state"]["last_http_status"], 404);
    let ok = v
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "ok")
        .unwrap();
    assert_eq!(ok["state"]["items"], 2);
}

#[test]
fn poll_exits_1_when_every_feed_fails() {
    let srv = Server::start();
    srv.route("/down", Route::status(503));
    let setup = Setup::new(&[("down", &srv.url("/down"))], "");
    let out = setup.run(&["poll", "--once"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("every feed failed"));
}

#[test]
fn escape_sequences_never_reach_any_output() {
    let srv = Server::start();
    srv.route(
        "/esc",
        Route::rss(rss(
            "E",
            &[(
                Some("\u{1b}[31mg1"),
                Some("https://e.example/1"),
                "t\u{1b}]0;PWNED\u{7}itle",
                "s",
            )],
        )),
    );
    // quick-xml quotes the bad closing tag in its error message.
    srv.route("/broken", Route::rss("<rss version=\"2.0\"><channel><item></it\u{1b}]0;PWNED\u{7}\u{1b}[31mem></channel></rss>"));
    let setup = Setup::new(
        &[("esc", &srv.url("/esc")), ("broken", &srv.url("/broken"))],
        "",
    );
    let mut outputs = vec![setup.run(&["poll", "--once"])];
    for args in [
        &["list", "--items", "--format", "csv"][..],
        &["list"],
        &["list", "--items"],
        &["list", "--format", "csv"],
        &["show", "1"],
        &["show", "1", "--format", "csv"],
        &["feeds"],
        &["feeds", "--format", "csv"],
    ] {
        outputs.push(setup.run(args));
    }
    outputs.push(run_bin(None, &["check-feed", &srv.url("/broken")]));
    outputs.push(run_bin(
        None,
        &["check-feed", &srv.url("/esc"), "--format", "csv"],
    ));
    for o in &outputs {
        for text in [stdout(o), stderr(o)] {
            assert!(
                !text.contains('\u{1b}') && !text.contains('\u{7}'),
                "raw control bytes in {text:?}"
            );
        }
    }
    assert!(
        stdout(&outputs[1]).contains(",g1,") || stdout(&outputs[1]).contains("[31mg1"),
        "{}",
        stdout(&outputs[1])
    );
}

#[test]
fn verbose_and_rust_log_control_logging() {
    let srv = Server::start();
    srv.route("/t", Route::rss(feed_with_escape()));
    let setup = Setup::new(&[("t", &srv.url("/t"))], "");
    let quiet = setup.run(&["poll", "--once"]);
    assert!(!stderr(&quiet).contains("INFO"), "{}", stderr(&quiet));
    // A fresh database, so the verbose poll has new items to report.
    let fresh = Setup::new(&[("t", &srv.url("/t"))], "");
    let verbose = fresh.run(&["-v", "poll", "--once"]);
    let log = stderr(&verbose);
    assert!(log.contains("INFO") && log.contains("feed=t"), "{log}");
    let debug = std::process::Command::new(env!("CARGO_BIN_EXE_aggregator"))
        .env("RUST_LOG", "debug")
        .args([
            "--config",
            setup.config_path().to_str().unwrap(),
            "poll",
            "--once",
        ])
        .output()
        .unwrap();
    assert!(stderr(&debug).contains("DEBUG"), "{}", stderr(&debug));
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    use std::process::{Command, Stdio};
    let feeds: Vec<(String, String)> = (0..3000)
        .map(|i| (format!("feed-{i}"), format!("https://f{i}.example/rss")))
        .collect();
    let refs: Vec<(&str, &str)> = feeds
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let setup = Setup::new(&refs, "");
    let mut child = Command::new(env!("CARGO_BIN_EXE_aggregator"))
        .args([
            "--config",
            setup.config_path().to_str().unwrap(),
            "config",
            "check",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

/// Every report in JSON, written into a pipe whose reader is already gone: a quiet exit 0, as
/// tables and CSV do (the reader went away, `aggregator list --format json | head -1`).
#[test]
fn json_into_a_closed_pipe_exits_quietly() {
    use std::process::Command;
    let srv = Server::start();
    srv.route("/t", Route::rss(feed_with_escape()));
    let setup = Setup::new(&[("t", &srv.url("/t"))], "");
    assert!(setup.run(&["poll", "--once"]).status.success());
    let commands: [&[&str]; 6] = [
        &["list"],
        &["show", "1"],
        &["search", "Kimchi"],
        &["stats"],
        &["feeds"],
        &["status"],
    ];
    for args in commands {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = Command::new(env!("CARGO_BIN_EXE_aggregator"))
            .env_remove("RUST_LOG")
            .arg("--config")
            .arg(setup.config_path())
            .args(args)
            .args(["--format", "json"])
            .stdout(writer)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).is_empty(), "{args:?}: {}", stderr(&out));
    }
}

/// A watchlist edited between two one-shot polls meets the items already stored (as the daemon
/// does at start), and the poll says so: no silent `matches 0`.
#[test]
fn poll_rechecks_stored_items_after_a_watchlist_edit() {
    let srv = Server::start();
    srv.route("/t", Route::rss(feed_with_escape()).with_etag("\"v1\""));
    let setup = Setup::new(&[("t", &srv.url("/t"))], "");
    let out = setup.run(&["poll", "--once"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains("rematch"), "{}", stdout(&out));
    let food = setup.run(&["list", "--watchlist", "food", "--format", "json"]);
    assert_eq!(json(&food).as_array().map(Vec::len), Some(0));

    let mut lists = std::fs::read_to_string(setup.dir.path().join("watchlists.toml")).unwrap();
    lists.push_str("\n[[watchlist]]\nname = \"food\"\nterms = [\"Kimchi\"]\n");
    std::fs::write(setup.dir.path().join("watchlists.toml"), lists).unwrap();
    let out = setup.run(&["poll", "--once"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("poll: feeds 1 ok (1 not modified)"), "{text}");
    assert!(
        text.contains("rematch: watchlists changed since the last run; 2 stored items re-checked: 1 matches added"),
        "{text}"
    );
    let food = setup.run(&["list", "--watchlist", "food", "--format", "json"]);
    assert_eq!(
        json(&food).as_array().map(Vec::len),
        Some(1),
        "{}",
        stdout(&food)
    );

    // Nothing changed since: no second re-check.
    let out = setup.run(&["poll", "--once"]);
    assert!(!stdout(&out).contains("rematch"), "{}", stdout(&out));
}

fn json(o: &std::process::Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// The README's first report works on the bundled demo: its captured samples are moved to the
/// present (`captured_at`), so `list --since 24h` and the Atom export show stories, with the
/// gaps between items as captured.
#[test]
fn the_demo_reads_as_current() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let dir = tempfile::tempdir().unwrap();
    let demo = std::fs::read_to_string(root.join("demo.toml"))
        .unwrap()
        .replace("../target/demo/aggregator.db", "demo.db");
    std::fs::write(dir.path().join("demo.toml"), demo).unwrap();
    std::fs::copy(
        root.join("watchlists.toml"),
        dir.path().join("watchlists.toml"),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("samples")).unwrap();
    for f in std::fs::read_dir(root.join("samples")).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), dir.path().join("samples").join(f.file_name())).unwrap();
    }
    let config = dir.path().join("demo.toml");
    let out = run_bin(Some(&config), &["poll", "--once"]);
    assert!(out.status.success(), "{}", stderr(&out));

    let out = run_bin(
        Some(&config),
        &["list", "--since", "24h", "--items", "--format", "json"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let items = json(&out);
    let items = items.as_array().unwrap();
    assert!(items.len() >= 10, "{}", stdout(&out));
    let now = chrono::Utc::now();
    let published: Vec<chrono::DateTime<chrono::Utc>> = items
        .iter()
        .filter_map(|i| i["published"].as_str())
        .map(|t| t.parse().unwrap())
        .collect();
    let newest = *published.iter().max().unwrap();
    // Captured an hour after its newest item (20:00 KST), so that item is an hour old now.
    let age = now - newest;
    assert!(
        (chrono::Duration::minutes(55)..chrono::Duration::minutes(65)).contains(&age),
        "newest item {newest}, now {now}"
    );
    assert!(published.iter().all(|t| *t <= now));

    let out = run_bin(
        Some(&config),
        &["export", "atom", "--watchlist", "dprk-japan"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).matches("<entry>").count() >= 3,
        "{}",
        stdout(&out)
    );
}

#[test]
fn status_shows_fetch_state_and_schedule() {
    let srv = Server::start();
    srv.route("/ok", Route::rss(feed_with_escape()).with_etag("\"e1\""));
    srv.route(
        "/down",
        Route::status(503).with_header("Retry-After", "7200"),
    );
    let setup = Setup::new(&[("ok", &srv.url("/ok")), ("down", &srv.url("/down"))], "");
    assert!(setup.run(&["poll", "--once"]).status.success());
    let out = setup.run(&["status", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let feeds = v.as_array().unwrap();
    let ok = feeds.iter().find(|f| f["name"] == "ok").unwrap();
    for key in [
        "url",
        "last_fetch_at",
        "last_result",
        "last_http_status",
        "last_items_new",
        "last_items_updated",
        "last_bytes",
        "last_elapsed_ms",
        "etag",
        "last_modified",
        "interval_secs",
        "interval_reason",
        "next_poll_at",
        "error_streak",
        "stale",
        "overflow_at",
        "retired_at",
        "configured",
    ] {
        assert!(ok.get(key).is_some(), "missing {key}");
    }
    assert_eq!(ok["etag"], "\"e1\"");
    assert_eq!(ok["last_items_new"], 2);
    assert_eq!(ok["configured"], true);
    let down = feeds.iter().find(|f| f["name"] == "down").unwrap();
    assert_eq!(down["interval_reason"], "retry-after");
    assert_eq!(down["error_streak"], 1);
    assert_eq!(down["last_http_status"], 503);
    let table = stdout(&setup.run(&["status"]));
    assert!(
        table.contains("retry-after") && table.contains("etag"),
        "{table}"
    );
    assert!(
        table.contains("HTTP 503"),
        "the last error is shown: {table}"
    );
}

#[test]
fn list_matched_says_what_matched_and_prints_no_escapes_when_piped() {
    let srv = Server::start();
    srv.route("/t", Route::rss(feed_with_escape()));
    let setup = Setup::new(&[("t", &srv.url("/t"))], "");
    assert!(setup.run(&["poll", "--once"]).status.success());
    for args in [
        &["list", "--matched", "--since", "2024-03-01"][..],
        &[
            "list",
            "--items",
            "--watchlist",
            "dprk-japan",
            "--since",
            "2024-03-01",
        ][..],
    ] {
        let out = setup.run(args);
        assert!(out.status.success(), "{}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains("matched"), "{args:?}: {text}");
        assert!(text.contains("dprk-japan: Kishida"), "{args:?}: {text}");
        assert!(!text.contains("Kimchi"), "{args:?}: {text}");
        assert!(
            !text.contains('\u{1b}'),
            "{args:?}: piped output is plain: {text:?}"
        );
    }
}
