//! Acknowledgements through the binary: `ack`, `unack`, and what `list` and `show` make of them.

mod common;

use common::*;
use serde_json::Value;

/// A polled database with two stories; their ids, the Kishida story first.
fn polled() -> (Server, Setup, i64, i64) {
    let srv = Server::start();
    srv.route(
        "/t",
        Route::rss(rss(
            "T",
            &[
                (
                    Some("k1"),
                    Some("https://t.example/k1"),
                    "Kishida visits Seoul",
                    "The prime minister met the president.",
                ),
                (
                    Some("s1"),
                    Some("https://t.example/s1"),
                    "Seoul stocks close higher",
                    "Chip makers led the rally.",
                ),
            ],
        )),
    );
    let setup = Setup::new(&[("t", &srv.url("/t"))], "");
    let out = setup.run(&["poll", "--once"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stories = list_json(&setup, &[]);
    let id = |title: &str| {
        stories
            .iter()
            .find(|s| s["title"] == title)
            .and_then(|s| s["id"].as_i64())
            .unwrap()
    };
    let (kishida, stocks) = (id("Kishida visits Seoul"), id("Seoul stocks close higher"));
    (srv, setup, kishida, stocks)
}

fn list_json(setup: &Setup, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["list", "--format", "json"];
    args.extend_from_slice(extra);
    let out = setup.run(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array().unwrap().clone()
}

/// Runs the binary with this config and these environment variables.
fn bin(setup: &Setup, env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_aggregator"));
    cmd.env_remove("AGGREGATOR_CONFIG")
        .env_remove("RUST_LOG")
        .env("COLUMNS", "120")
        .envs(env.iter().copied())
        .arg("--config")
        .arg(setup.config_path())
        .args(args);
    cmd.output().unwrap()
}

fn ids(stories: &[Value]) -> Vec<i64> {
    let mut ids: Vec<i64> = stories.iter().map(|s| s["id"].as_i64().unwrap()).collect();
    ids.sort_unstable();
    ids
}

#[test]
fn an_acknowledged_story_shows_who_and_when_and_unacked_leaves_it_out() {
    let (_srv, setup, kishida, stocks) = polled();
    // Before anyone acknowledged anything: the fields are there, null; no empty table column.
    for s in list_json(&setup, &[]) {
        assert_eq!(s["acked_by"], Value::Null, "{s}");
        assert_eq!(s["acked_at"], Value::Null, "{s}");
        assert_eq!(s["ack_note"], Value::Null, "{s}");
    }
    let out = setup.run(&["list"]);
    let header = stdout(&out).lines().next().unwrap().to_string();
    assert!(
        header.ends_with("watchlists") && !header.contains("acked"),
        "{header}"
    );

    let before = chrono::Utc::now().timestamp();
    let out = setup.run(&[
        "ack",
        &kishida.to_string(),
        "--by",
        "ana",
        "--note",
        "on the front page",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        format!("story {kishida} acknowledged by ana")
    );

    let stories = list_json(&setup, &[]);
    let k = stories.iter().find(|s| s["id"] == kishida).unwrap();
    assert_eq!(k["acked_by"], "ana");
    assert_eq!(k["ack_note"], "on the front page");
    let at = chrono::DateTime::parse_from_rfc3339(k["acked_at"].as_str().unwrap()).unwrap();
    assert!(at.timestamp() >= before, "{at}");
    let s = stories.iter().find(|s| s["id"] == stocks).unwrap();
    assert_eq!(s["acked_by"], Value::Null);

    // --unacked: only the story nobody handled, as stories and as items.
    assert_eq!(ids(&list_json(&setup, &["--unacked"])), vec![stocks]);
    let items = list_json(&setup, &["--unacked", "--items"]);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["story_id"], stocks);

    // show and the table and CSV say it too.
    let out = setup.run(&["show", &kishida.to_string(), "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["acked_by"], "ana");
    assert_eq!(shown["acked_at"], k["acked_at"]);
    let out = setup.run(&["show", &kishida.to_string()]);
    assert!(
        stdout(&out).contains("acknowledged by ana at ")
            && stdout(&out).contains(": on the front page"),
        "{}",
        stdout(&out)
    );
    let out = setup.run(&["list"]);
    let table = stdout(&out);
    assert!(table.lines().next().unwrap().ends_with("acked"), "{table}");
    let row = table
        .lines()
        .find(|l| l.contains("Kishida visits Seoul"))
        .unwrap();
    assert!(row.ends_with("ana"), "{table}");
    // On a narrow screen the column goes first; the headline stays.
    let out = bin(&setup, &[("COLUMNS", "70")], &["list"]);
    let header = stdout(&out).lines().next().unwrap().to_string();
    assert!(
        header.contains("headline") && !header.contains("acked"),
        "{}",
        stdout(&out)
    );
    let out = setup.run(&["list", "--format", "csv"]);
    let csv = stdout(&out);
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .ends_with(",seen,acked_by,acked_at,ack_note"),
        "{csv}"
    );
    assert!(
        csv.lines()
            .any(|l| l.starts_with(&format!("{kishida},")) && l.ends_with(",on the front page")),
        "{csv}"
    );

    // Unacknowledged: back in --unacked, the fields null again.
    let out = setup.run(&["unack", &kishida.to_string()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        format!("story {kishida} not acknowledged")
    );
    let mut both = vec![kishida, stocks];
    both.sort_unstable();
    assert_eq!(ids(&list_json(&setup, &["--unacked"])), both);
    let stories = list_json(&setup, &[]);
    let k = stories.iter().find(|s| s["id"] == kishida).unwrap();
    assert_eq!(
        (&k["acked_by"], &k["acked_at"]),
        (&Value::Null, &Value::Null)
    );
}

#[test]
fn acknowledging_again_replaces_and_by_defaults_to_the_login_name() {
    let (_srv, setup, kishida, _) = polled();
    let out = setup.run(&["ack", &kishida.to_string(), "--by", "ana", "--note", "x"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = bin(
        &setup,
        &[("USER", "desk-night")],
        &["ack", &kishida.to_string()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let stories = list_json(&setup, &[]);
    let k = stories.iter().find(|s| s["id"] == kishida).unwrap();
    assert_eq!(k["acked_by"], "desk-night");
    assert_eq!(k["ack_note"], Value::Null, "the note was replaced too");
}

#[test]
fn an_unknown_story_is_exit_1_and_changes_nothing() {
    let (_srv, setup, kishida, stocks) = polled();
    let unknown = (kishida.max(stocks) + 100).to_string();
    for args in [&["ack", &unknown, "--by", "ana"][..], &["unack", &unknown]] {
        let out = setup.run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("no story {unknown} in ")),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert_eq!(
        list_json(&setup, &["--unacked"]).len(),
        2,
        "nothing acknowledged"
    );
}

#[test]
fn without_a_database_ack_says_so_and_creates_none() {
    let setup = Setup::new(&[], "");
    let out = setup.run(&["ack", "1", "--by", "ana"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("does not exist yet"),
        "{}",
        stderr(&out)
    );
    assert!(!setup.db_path().exists());
}
