//! Issue 13, "a new user's first hour": what the report commands print. Tables fit the screen
//! without cutting dates or names (and piped output is not cut at all), the two kinds of time are
//! named "published" and "seen" everywhere, and the small surprises of the first hour are gone.

mod common;

use std::process::{Command, Output};

use common::*;
use serde_json::Value;

const LONG_TITLE: &str =
    "Kishida vows to keep pushing for the return of abductees as talks with Pyongyang stall again";

/// Runs the binary with `COLUMNS` set to `columns`, or unset (stdout is a pipe either way).
fn run_cols(setup: &Setup, columns: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aggregator"));
    cmd.env_remove("AGGREGATOR_CONFIG")
        .env_remove("RUST_LOG")
        .env_remove("COLUMNS")
        .env("TZ", "UTC");
    if let Some(c) = columns {
        cmd.env("COLUMNS", c);
    }
    cmd.arg("--config").arg(setup.config_path());
    let out = cmd.args(args).output().expect("run aggregator");
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    out
}

/// Two HTTP feeds with long, alike names carrying one long-titled story (same link), polled.
fn polled() -> (Server, Setup) {
    let srv = Server::start();
    let body = |guid: &str| {
        rss(
            "T",
            &[(
                Some(guid),
                Some("https://en.yna.co.kr/view/AEN20240326001252315?section=nk/nk"),
                LONG_TITLE,
                "SEOUL, March 26 (Yonhap) -- Prime Minister Fumio Kishida said on Tuesday that \
                 his government would keep working with partners across the region, while in \
                 Moscow foreign minister Sergei Lavrov said the talks would go on next week.",
            )],
        )
    };
    srv.route("/a", Route::rss(body("a1")));
    srv.route("/b", Route::rss(body("b1")));
    let setup = Setup::new(
        &[
            ("yonhap-en-politics", &srv.url("/a")),
            ("yonhap-en-northkorea", &srv.url("/b")),
        ],
        "",
    );
    let out = setup.run(&["poll", "--once"]);
    assert!(out.status.success(), "{}", stderr(&out));
    (srv, setup)
}

fn lines(out: &Output) -> Vec<String> {
    stdout(out).lines().map(str::to_string).collect()
}

#[test]
fn narrow_tables_cut_headlines_but_never_dates_names_or_headers() {
    let (_srv, setup) = polled();
    for args in [
        &["list"][..],
        &["list", "--items"],
        &["status"],
        &["feeds"],
        &["search", "Kishida"],
    ] {
        let out = run_cols(&setup, Some("80"), args);
        let lines = lines(&out);
        for l in &lines {
            assert!(
                l.chars().count() <= 80,
                "{args:?}: line wider than 80: {l:?}"
            );
        }
        let text = lines.join("\n");
        for row in &lines[1..] {
            assert!(
                row.contains("yonhap-en-politics") || row.contains("yonhap-en-northkorea"),
                "{args:?}: a feed name cut:\n{text}"
            );
        }
        // Every date whole: "2024-03-26 10:00" or today's, never "2024-03-2…" or "2026-…".
        assert!(
            !text.contains("-…") && !text.contains("2…  "),
            "{args:?}:\n{text}"
        );
    }
    // Headers stay on one line, word for word.
    let out = run_cols(&setup, Some("80"), &["status"]);
    let header = lines(&out)[0].clone();
    assert!(
        header.contains("feed  ") && header.contains("last fetch"),
        "{header}"
    );
    assert_eq!(
        lines(&out).len(),
        3,
        "a header and two feeds, no wrapped header line"
    );
    // The headline is cut, but still readable; low-value columns went first.
    let out = run_cols(&setup, Some("80"), &["list", "--items"]);
    let row = &lines(&out)[1];
    assert!(row.contains("2024-03-26 01:00"), "{row}");
    assert!(row.contains("Kishida vows to keep pushing"), "{row}");
    assert!(row.ends_with('…'), "{row}");
}

#[test]
fn piped_output_and_wide_tables_are_never_cut() {
    let (_srv, setup) = polled();
    // Piped, COLUMNS unset: whole values for the script reading the table.
    let out = run_cols(&setup, None, &["list"]);
    let text = stdout(&out);
    assert!(text.contains(LONG_TITLE), "{text}");
    assert!(
        text.contains("outlets") && text.contains("watchlists"),
        "{text}"
    );
    assert!(!text.contains('…'), "{text}");
    // --wide shows every column whole on a narrow screen too.
    for args in [
        &["list", "--wide"][..],
        &["list", "--items", "--wide"],
        &["show", "1", "--wide"],
        &["status", "--wide"],
        &["feeds", "--wide"],
        &["stats", "--since", "3000d", "--wide"],
    ] {
        let out = run_cols(&setup, Some("80"), args);
        let text = stdout(&out);
        assert!(!text.contains('…'), "{args:?}:\n{text}");
    }
    // (FTS5 marks where it cut the summary with "…" itself.)
    let out = run_cols(&setup, Some("80"), &["search", "Kishida", "--wide"]);
    assert!(stdout(&out).contains(LONG_TITLE), "{}", stdout(&out));
    let out = run_cols(&setup, Some("80"), &["status", "--wide"]);
    let header = &lines(&out)[0];
    for col in ["bytes", "ms", "cache", "interval", "next", "notes"] {
        assert!(header.contains(col), "{col} missing: {header}");
    }
    let out = run_cols(&setup, Some("80"), &["show", "1", "--wide"]);
    assert!(
        stdout(&out).contains("https://en.yna.co.kr/view/AEN20240326001252315?section=nk/nk"),
        "{}",
        stdout(&out)
    );
    // Narrow, the link is cut in the middle: its host and its end stay.
    let out = run_cols(&setup, Some("80"), &["show", "1"]);
    let row = &lines(&out)[4];
    assert!(
        row.contains("en.yna.co.kr/…") && row.ends_with("/nk"),
        "{row}"
    );
}

#[test]
fn published_and_seen_are_named_alike_in_tables_json_and_help() {
    let (_srv, setup) = polled();
    let out = run_cols(&setup, Some("120"), &["list"]);
    assert!(lines(&out)[0].contains("published"), "{}", stdout(&out));
    assert!(!stdout(&out).contains("first seen"));
    let out = run_cols(&setup, Some("120"), &["list", "--items"]);
    assert!(lines(&out)[0].starts_with(" published"), "{}", stdout(&out));
    let out = run_cols(&setup, Some("120"), &["show", "1"]);
    let text = stdout(&out);
    assert!(text.contains("; published 2024-03-26 01:00;"), "{text}");
    assert!(lines(&out)[3].starts_with(" seen"), "{text}");
    let out = run_cols(&setup, Some("120"), &["search", "Kishida"]);
    assert!(lines(&out)[0].starts_with(" published"), "{}", stdout(&out));

    // JSON: `published` and `seen` everywhere, the old fields kept with the same values.
    let json = |args: &[&str]| -> Value {
        serde_json::from_slice(&run_cols(&setup, None, args).stdout).unwrap()
    };
    let stories = json(&["list", "--format", "json"]);
    let s = &stories[0];
    assert_eq!(s["published"], s["time"]);
    assert_eq!(s["published"], "2024-03-26T01:00:00Z");
    assert_eq!(s["seen"], s["first_seen"]);
    assert_eq!(s["members"][0]["seen"], s["members"][0]["first_seen"]);
    let items = json(&["list", "--items", "--format", "json"]);
    assert_eq!(items[0]["seen"], items[0]["first_seen"]);
    assert_eq!(items[0]["published"], "2024-03-26T01:00:00Z");
    let hits = json(&["search", "Kishida", "--format", "json"]);
    assert_eq!(hits[0]["published"], hits[0]["time"]);
    assert_eq!(hits[0]["seen"], items[0]["seen"]);

    // Each --since says which time it filters.
    let help = |cmd: &str| stdout(&run_cols(&setup, None, &[cmd, "--help"]));
    for cmd in ["list", "search"] {
        let h = help(cmd);
        assert!(h.contains("published from this time on"), "{cmd}:\n{h}");
        assert!(h.contains("published before this time"), "{cmd}:\n{h}");
    }
    for cmd in ["stats", "rematch"] {
        let h = help(cmd);
        assert!(
            h.contains("seen (stored here) from this time on"),
            "{cmd}:\n{h}"
        );
    }
    assert!(help("restory").contains("published from this time on"));
    let h = stdout(&run_cols(&setup, None, &["export", "atom", "--help"]));
    assert!(h.contains("published from this time on"), "{h}");
}

#[test]
fn local_feeds_show_their_result_without_an_http_code() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("local.xml");
    std::fs::write(&path, rss("L", &[(Some("l1"), None, "Local item", "text")])).unwrap();
    let url = url::Url::from_file_path(&path).unwrap();
    let setup = Setup::new(
        &[
            ("by-path", path.to_str().unwrap()),
            ("by-url", url.as_str()),
        ],
        "",
    );
    for _ in 0..2 {
        let out = setup.run(&["poll", "--once"]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    for cmd in ["status", "feeds"] {
        let out = run_cols(&setup, None, &[cmd]);
        let text = stdout(&out);
        for l in lines(&out).iter().skip(1) {
            assert!(
                !l.contains(" 200") && !l.contains(" 304") && !l.contains("not_modified"),
                "{cmd}: {l}"
            );
        }
        assert!(
            text.contains(" ok ") || text.contains(" not modified "),
            "{cmd}:\n{text}"
        );
    }
}

#[test]
fn intervals_print_in_the_units_a_user_writes() {
    let srv = Server::start();
    srv.route(
        "/a",
        Route::rss(rss("A", &[(Some("a1"), None, "One", "x")])),
    );
    let setup = Setup::new(
        &[("a", &srv.url("/a"))],
        "interval = \"90d\"\nmax_interval = \"90d\"\n",
    );
    let out = setup.run(&["poll", "--once"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run_cols(&setup, None, &["status", "--format", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let secs = v[0]["interval_secs"].as_i64().unwrap();
    let out = run_cols(&setup, None, &["status"]);
    let text = stdout(&out);
    assert!(!text.contains("month"), "{text}");
    if secs == 90 * 86_400 {
        assert!(text.contains(" 90d "), "{text}");
    }
    assert!(!text.contains("h0m") && !text.contains("m0s"), "{text}");
    // The configured interval, as `config check` shows it: as it was written.
    let out = setup.run(&["config", "check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(" every 90d "), "{}", stdout(&out));
}

#[test]
fn csv_lists_each_link_once() {
    let (_srv, setup) = polled();
    let out = run_cols(&setup, None, &["list", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let headers = reader.headers().unwrap().clone();
    let col = headers.iter().position(|h| h == "links").unwrap();
    let items = headers.iter().position(|h| h == "items").unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1, "both feeds carried one story");
    assert_eq!(&rows[0][items], "2");
    assert_eq!(
        &rows[0][col],
        "https://en.yna.co.kr/view/AEN20240326001252315?section=nk/nk"
    );
    for h in ["published", "seen"] {
        assert!(headers.iter().any(|x| x == h), "CSV lacks {h}");
    }
}

#[test]
fn an_unknown_feed_is_warned_about_like_an_unknown_watchlist() {
    let (_srv, setup) = polled();
    for args in [
        &["list", "--feed", "nope"][..],
        &["list", "--items", "--feed", "nope"],
        &["search", "Kishida", "--feed", "nope"],
    ] {
        let out = run_cols(&setup, None, args);
        let err = stderr(&out);
        assert!(
            err.contains("not a configured feed") && err.contains("nope"),
            "{args:?}: {err}"
        );
    }
    let out = run_cols(&setup, None, &["list", "--feed", "yonhap-en-politics"]);
    assert!(
        !stderr(&out).contains("not a configured"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn search_table_shows_the_snippet_around_the_hit() {
    let (_srv, setup) = polled();
    let out = run_cols(&setup, Some("80"), &["search", "Lavrov"]);
    let rows = lines(&out);
    assert_eq!(rows.len(), 3, "one hit per feed:\n{}", stdout(&out));
    for row in &rows[1..] {
        assert!(row.contains("Lavrov"), "{row}");
        assert!(row.chars().count() <= 80, "{row}");
    }
    // JSON keeps the whole snippet, from its start.
    let out = run_cols(&setup, None, &["search", "Lavrov", "--format", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let snippet = v[0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("Lavrov"), "{snippet}");
    assert!(snippet.chars().count() > 60, "{snippet}");
}
