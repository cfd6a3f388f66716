//! Reports and day-to-day operation through the binary, against a real database file: search
//! (Korean two-syllable words, phrases, filters, mistakes), stats, prune, backup, shell
//! completions and the man page.

mod common;

use serde_json::Value;

use common::*;

/// A desk with an English and a Korean feed, polled once.
fn polled() -> (Server, Setup) {
    let srv = Server::start();
    srv.route(
        "/en",
        Route::rss(rss(
            "EN",
            &[
                (
                    Some("en-1"),
                    Some("https://en.example/1"),
                    "Kim Yo-jong rules out Japan-DPRK summit",
                    "Kim Yo-jong said a Japan-DPRK summit was of no interest to Pyongyang.",
                ),
                (
                    Some("en-2"),
                    Some("https://en.example/2"),
                    "Seoul stocks close higher",
                    "Chipmakers led gains on the Seoul bourse.",
                ),
            ],
        )),
    );
    srv.route(
        "/ko",
        Route::rss(rss(
            "KO",
            &[(
                Some("ko-1"),
                Some("https://ko.example/1"),
                "북한은 오늘 탄도미사일을 발사했다",
                "합동참모본부는 북한이 동해상으로 미사일을 쐈다고 밝혔다.",
            )],
        )),
    );
    let setup = Setup::new(&[("en", &srv.url("/en")), ("ko", &srv.url("/ko"))], "");
    let out = setup.run(&["poll", "--once"]);
    assert!(out.status.success(), "{}", stderr(&out));
    (srv, setup)
}

fn json(setup: &Setup, args: &[&str]) -> Value {
    let out = setup.run(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn titles(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|h| h["title"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn search_finds_korean_two_syllable_words_with_particles_and_phrases() {
    let (_srv, setup) = polled();
    let hits = json(&setup, &["search", "북한", "--format", "json"]);
    assert_eq!(titles(&hits), ["북한은 오늘 탄도미사일을 발사했다"]);
    let h = &hits[0];
    assert_eq!(h["feed"], "ko");
    // The whole word that matched is highlighted: 북한은 (characters 0..3 of the title).
    assert_eq!(h["title_highlights"][0], serde_json::json!([0, 3]));
    let hits = json(
        &setup,
        &["search", "\"Japan-DPRK summit\"", "--format", "json"],
    );
    assert_eq!(titles(&hits), ["Kim Yo-jong rules out Japan-DPRK summit"]);
    assert!(
        hits[0]["snippet"]
            .as_str()
            .unwrap()
            .contains("Japan-DPRK summit")
    );
    // Words must all appear; OR widens; NOT excludes; filters narrow.
    assert!(
        titles(&json(
            &setup,
            &["search", "Seoul", "Kim", "--format", "json"]
        ))
        .is_empty()
    );
    assert_eq!(
        titles(&json(
            &setup,
            &["search", "Seoul OR 북한", "--format", "json"]
        ))
        .len(),
        2
    );
    assert!(
        titles(&json(
            &setup,
            &["search", "Seoul NOT stocks", "--format", "json"]
        ))
        .is_empty()
    );
    assert!(
        titles(&json(
            &setup,
            &["search", "북한", "--feed", "en", "--format", "json"]
        ))
        .is_empty()
    );
    // The table, piped, is plain text.
    let out = setup.run(&["search", "북한"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("북한은 오늘") && !text.contains('\u{1b}'),
        "{text:?}"
    );
    let out = setup.run(&["search", "Seoul", "--format", "csv"]);
    assert!(stdout(&out).starts_with("id,story_id,feed,time,title,link,rank,snippet"));
}

#[test]
fn search_follows_edits_and_explains_query_mistakes() {
    let (srv, setup) = polled();
    srv.route(
        "/en",
        Route::rss(rss(
            "EN",
            &[(
                Some("en-2"),
                Some("https://en.example/2"),
                "Seoul stocks slump",
                "Chipmakers fell.",
            )],
        )),
    );
    assert!(setup.run(&["poll", "--once"]).status.success());
    assert_eq!(
        titles(&json(&setup, &["search", "slump", "--format", "json"])),
        ["Seoul stocks slump"]
    );
    assert!(titles(&json(&setup, &["search", "higher", "--format", "json"])).is_empty());
    for (query, says) in [
        ("Kim \"Yo", "column 5: unterminated quote"),
        ("(Kim OR Japan", "column 1: unbalanced parenthesis"),
        ("NOT sports", "NOT needs words"),
        ("link:nknews", "not link"),
    ] {
        let out = setup.run(&["search", query]);
        assert_eq!(out.status.code(), Some(2), "{query}");
        let err = stderr(&out);
        assert!(err.contains(says), "{query}: {err}");
        assert!(
            !err.to_lowercase().contains("fts5") && !err.contains("SQL"),
            "{err}"
        );
    }
}

#[test]
fn stats_count_per_feed_day_and_watchlist() {
    let (_srv, setup) = polled();
    let v = json(&setup, &["stats", "--format", "json"]);
    assert_eq!(v["items"], 3);
    let en = v["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["feed"] == "en")
        .unwrap();
    assert_eq!(
        (en["items"].as_i64(), en["error_streak"].as_i64()),
        (Some(2), Some(0))
    );
    assert_eq!(v["days"].as_array().unwrap().len(), 1);
    assert_eq!(v["days"][0]["items"], 3);
    let w = &v["watchlists"][0];
    assert_eq!(w["watchlist"], "dprk-japan");
    assert_eq!(w["items"], 2, "Kim Yo-jong and 북한: {w}");
    let out = setup.run(&["stats"]);
    assert!(stdout(&out).contains("3 items"), "{}", stdout(&out));
    let out = setup.run(&["stats", "--format", "csv"]);
    assert!(stdout(&out).lines().any(|l| l.starts_with("feed,en,2,")));
}

#[test]
fn prune_reports_and_keeps_fresh_stories() {
    let (_srv, setup) = polled();
    let out = setup.run(&["prune", "--dry-run"]);
    assert!(
        stdout(&out).contains("keep stories forever, matched ones forever"),
        "{}",
        stdout(&out)
    );
    let mut cfg = std::fs::read_to_string(setup.config_path()).unwrap();
    cfg.push_str("\n[retention]\nitems = \"90d\"\n");
    std::fs::write(setup.config_path(), cfg).unwrap();
    let v = json(&setup, &["prune", "--dry-run", "--format", "json"]);
    assert_eq!(
        (v["dry_run"].as_bool(), v["stories"].as_i64()),
        (Some(true), Some(0))
    );
    let out = setup.run(&["prune", "--vacuum"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("(keep stories 90d, matched ones 365d): deleted 0 stories"));
    assert_eq!(
        titles(&json(&setup, &["search", "Seoul", "--format", "json"])).len(),
        1
    );
}

#[test]
fn backup_copies_a_readable_database_and_refuses_what_it_cannot_write() {
    let (_srv, setup) = polled();
    let copy = setup.dir.path().join("copy.db");
    let out = setup.run(&["backup", copy.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    // The copy is a complete database: point a config at it and read it.
    let cfg = std::fs::read_to_string(setup.config_path())
        .unwrap()
        .replace("database = \"agg.db\"", "database = \"copy.db\"");
    let other = setup.dir.path().join("copy.toml");
    std::fs::write(&other, cfg).unwrap();
    let out = run_bin(Some(&other), &["list", "--items", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);
    // An existing file is refused (exit 2) unless --force.
    let out = setup.run(&["backup", copy.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("exists"), "{}", stderr(&out));
    assert!(
        setup
            .run(&["backup", "--force", copy.to_str().unwrap()])
            .status
            .success()
    );
    // A place it cannot write: exit 1, the path named, nothing left behind.
    let bad = setup.dir.path().join("no/such/dir/copy.db");
    let out = setup.run(&["backup", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no/such/dir/copy.db"),
        "{}",
        stderr(&out)
    );
    let stray: Vec<String> = std::fs::read_dir(setup.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

#[test]
fn completions_and_man_page_come_from_the_command_line() {
    let out = run_bin(None, &["completions", "bash"]);
    assert!(out.status.success());
    let script = stdout(&out);
    assert!(
        script.contains("aggregator") && script.contains("rematch"),
        "bash completion"
    );
    assert!(run_bin(None, &["completions", "zsh"]).status.success());
    assert_eq!(
        run_bin(None, &["completions", "tcsh"]).status.code(),
        Some(2)
    );
    let out = run_bin(None, &["man"]);
    assert!(out.status.success());
    let page = stdout(&out);
    assert!(
        page.starts_with(".ie") || page.starts_with(".TH"),
        "{}",
        &page[..80.min(page.len())]
    );
    assert!(page.contains("aggregator") && page.contains("search"));
}

#[test]
fn retention_and_metrics_settings_are_checked() {
    let setup = Setup::new(&[], "");
    let cfg = std::fs::read_to_string(setup.config_path()).unwrap();
    for (extra, says) in [
        (
            "[retention]\nitems = \"1d\"\n",
            "retention.items: is shorter than twice [stories] window",
        ),
        (
            "[retention]\nitems = \"90d\"\nmatched = \"30d\"\n",
            "retention.matched: is shorter than retention.items",
        ),
        (
            "[metrics]\nenabled = true\nlisten = \"nowhere\"\n",
            "metrics.listen",
        ),
    ] {
        std::fs::write(setup.config_path(), format!("{cfg}\n{extra}")).unwrap();
        let out = setup.run(&["config", "check"]);
        assert_eq!(out.status.code(), Some(2), "{extra}");
        assert!(stderr(&out).contains(says), "{extra}: {}", stderr(&out));
    }
}

#[test]
fn the_daemon_serves_metrics_on_loopback_when_enabled() {
    use std::io::{Read, Write};
    let srv = Server::start();
    srv.route(
        "/en",
        Route::rss(rss(
            "EN",
            &[(
                Some("m-1"),
                Some("https://en.example/m1"),
                "Kishida speaks",
                "Kishida spoke.",
            )],
        )),
    );
    let setup = Setup::new(&[("en", &srv.url("/en"))], "");
    let mut cfg = std::fs::read_to_string(setup.config_path()).unwrap();
    cfg.push_str("\n[metrics]\nenabled = true\nlisten = \"127.0.0.1:0\"\n");
    std::fs::write(setup.config_path(), cfg).unwrap();
    let log = setup.dir.path().join("daemon.log");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_aggregator"));
    cmd.arg("--config")
        .arg(setup.config_path())
        .args(["-v", "run"])
        .env_remove("NOTIFY_SOCKET")
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    let mut daemon = Process::spawn(cmd);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let scrape = |addr: &str| -> String {
        let mut conn = std::net::TcpStream::connect(addr).unwrap();
        conn.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        write!(
            conn,
            "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        let _ = conn.read_to_string(&mut text);
        text
    };
    let body = loop {
        assert!(
            std::time::Instant::now() < deadline,
            "{}",
            std::fs::read_to_string(&log).unwrap()
        );
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        // The log names the address the endpoint got (port 0 asks the system for one).
        let addr = text
            .lines()
            .find(|l| l.contains("metrics endpoint listening"))
            .and_then(|l| l.split_whitespace().find_map(|w| w.strip_prefix("addr=")))
            .map(|a| a.trim_matches('"').to_string());
        if let Some(addr) = addr {
            let body = scrape(&addr);
            if body.contains("aggregator_fetches_total{result=\"ok\"} 1") {
                break body;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    assert!(
        body.contains("aggregator_items_stored_total{change=\"new\"} 1"),
        "{body}"
    );
    assert!(body.contains("aggregator_matches_total 1"), "{body}");
    assert!(body.contains("aggregator_stories 1"), "{body}");
    assert_eq!(daemon.stop(std::time::Duration::from_secs(15)), Some(0));
}
