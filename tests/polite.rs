//! Polite polling against a local server: what each server answer does to the feed's schedule
//! and address (Retry-After, backoff, hints, permanent redirects, 410, overflow), and the
//! failures a fetch must survive (slow responses, connections cut mid-body).

mod common;

use std::time::Duration;

use aggregator::refresh::FeedOutcome;
use aggregator::store::query::FeedRow;
use chrono::Utc;
use common::*;

fn row(config: &aggregator::config::Config, name: &str) -> FeedRow {
    aggregator::store::Reader::open(&config.database)
        .unwrap()
        .feeds()
        .unwrap()
        .into_iter()
        .find(|r| r.name == name)
        .unwrap()
}

/// Seconds from now until the feed's next poll.
fn next_in(r: &FeedRow) -> i64 {
    (r.next_poll_at.unwrap() - Utc::now()).num_seconds()
}

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

#[test]
fn retry_after_is_a_floor_and_failures_back_off() {
    let srv = Server::start();
    srv.route(
        "/busy",
        Route::status(429).with_header("Retry-After", "5400"),
    );
    // Another server: a host's Retry-After holds back every feed of that host, also in the
    // next poll (it is stored).
    let other = Server::start();
    other.route("/down", Route::status(500));
    let setup = Setup::new(
        &[("busy", &srv.url("/busy")), ("down", &other.url("/down"))],
        "interval = \"10m\"\n",
    );
    let config = setup.config();
    poll(&config);
    let busy = row(&config, "busy");
    assert_eq!(busy.interval_reason.as_deref(), Some("retry-after"));
    assert!(
        (5390..=5950).contains(&next_in(&busy)),
        "{}",
        next_in(&busy)
    );
    let down = row(&config, "down");
    assert_eq!(
        (down.interval_reason.as_deref(), down.error_streak),
        (Some("backoff"), 1)
    );
    assert!(
        (530..=670).contains(&down.interval_secs.unwrap()),
        "10 min ± jitter: {:?}",
        down.interval_secs
    );
    poll(&config);
    let down = row(&config, "down");
    assert_eq!(down.error_streak, 2);
    assert!(
        (1070..=1330).contains(&down.interval_secs.unwrap()),
        "doubled: {:?}",
        down.interval_secs
    );
    // Success resets the streak and the backoff.
    other.route("/down", Route::rss(one_item("d1")));
    poll(&config);
    let down = row(&config, "down");
    assert_eq!(
        (down.error_streak, down.interval_reason.as_deref()),
        (0, Some("configured"))
    );
}

#[test]
fn server_hints_raise_the_interval() {
    let srv = Server::start();
    srv.route(
        "/cc",
        Route::rss(one_item("c1")).with_header("Cache-Control", "max-age=3000"),
    );
    let ttl = one_item("t1").replace(
        "<link>https://example.com/</link>",
        "<link>https://example.com/</link><ttl>120</ttl>",
    );
    srv.route("/ttl", Route::rss(ttl).with_etag("\"t\""));
    let setup = Setup::new(
        &[("cc", &srv.url("/cc")), ("ttl", &srv.url("/ttl"))],
        "interval = \"10m\"\n",
    );
    let config = setup.config();
    poll(&config);
    let cc = row(&config, "cc");
    assert_eq!(cc.interval_reason.as_deref(), Some("server-hint"));
    assert!(
        (3000..=3310).contains(&cc.interval_secs.unwrap()),
        "{:?}",
        cc.interval_secs
    );
    let ttl = row(&config, "ttl");
    assert_eq!(
        (ttl.interval_reason.as_deref(), ttl.feed_hint_secs),
        (Some("server-hint"), Some(7200))
    );
    // The feed's own hint still holds on a 304, which carries no body.
    let s = poll(&config);
    assert_eq!(
        s.feeds.iter().find(|f| f.name == "ttl").unwrap().outcome,
        FeedOutcome::NotModified
    );
    assert_eq!(
        row(&config, "ttl").interval_reason.as_deref(),
        Some("server-hint")
    );
}

#[test]
fn permanent_redirects_move_the_feed_and_temporary_ones_do_not() {
    let srv = Server::start();
    srv.route(
        "/old301",
        Route::status(301).with_header("Location", "/new301"),
    );
    srv.route("/new301", Route::rss(one_item("a")));
    srv.route(
        "/old308",
        Route::status(308).with_header("Location", &srv.url("/new308")),
    );
    srv.route("/new308", Route::rss(one_item("b")));
    srv.route(
        "/old302",
        Route::status(302).with_header("Location", "/new302"),
    );
    srv.route("/new302", Route::rss(one_item("c")));
    let setup = Setup::new(
        &[
            ("p301", &srv.url("/old301")),
            ("p308", &srv.url("/old308")),
            ("t302", &srv.url("/old302")),
        ],
        "",
    );
    let config = setup.config();
    assert_eq!(poll(&config).ok(), 3);
    assert_eq!(row(&config, "p301").url, srv.url("/new301"));
    assert!(row(&config, "p301").moved_at.is_some());
    assert_eq!(row(&config, "p308").url, srv.url("/new308"));
    assert_eq!(row(&config, "t302").url, srv.url("/old302"));
    srv.clear_seen();
    poll(&config);
    let paths: Vec<String> = srv.seen().into_iter().map(|s| s.path).collect();
    assert!(
        !paths.contains(&"/old301".to_string()) && paths.contains(&"/new301".to_string()),
        "{paths:?}"
    );
    assert!(paths.contains(&"/old302".to_string()), "{paths:?}");
    // Changing the configured URL starts over from the new one.
    let text = std::fs::read_to_string(setup.config_path())
        .unwrap()
        .replace("/old301", "/new301");
    std::fs::write(setup.config_path(), text).unwrap();
    let config = setup.config();
    poll(&config);
    assert_eq!(row(&config, "p301").config_url, Some(srv.url("/new301")));
}

#[test]
fn gone_feeds_are_retired_until_their_url_changes() {
    let srv = Server::start();
    srv.route("/gone", Route::status(410));
    srv.route("/back", Route::rss(one_item("x")));
    let setup = Setup::new(&[("gone", &srv.url("/gone"))], "");
    let config = setup.config();
    let s = poll(&config);
    assert!(s.feeds[0].retired);
    assert!(row(&config, "gone").retired_at.is_some());
    srv.clear_seen();
    let s = poll(&config);
    assert!(s.feeds.is_empty(), "a retired feed is not polled: {s:?}");
    assert!(srv.seen().is_empty());
    let text = std::fs::read_to_string(setup.config_path())
        .unwrap()
        .replace("/gone", "/back");
    std::fs::write(setup.config_path(), text).unwrap();
    let config = setup.config();
    assert_eq!(poll(&config).ok(), 1);
    assert!(row(&config, "gone").retired_at.is_none());
}

#[test]
fn a_window_of_only_new_items_is_an_overflow() {
    let srv = Server::start();
    let window = |start: usize| {
        let items: Vec<(String, String)> = (start..start + 3)
            .map(|i| (format!("g{i}"), format!("https://o.example/{i}")))
            .collect();
        let refs: Vec<(Option<&str>, Option<&str>, &str, &str)> = items
            .iter()
            .map(|(g, l)| (Some(g.as_str()), Some(l.as_str()), "Item", "s"))
            .collect();
        rss("O", &refs)
    };
    srv.route("/o", Route::rss(window(0)));
    let setup = Setup::new(
        &[("o", &srv.url("/o"))],
        "interval = \"10m\"\nmin_interval = \"2m\"\n",
    );
    let config = setup.config();
    poll(&config);
    assert_ne!(
        row(&config, "o").interval_reason.as_deref(),
        Some("overflow"),
        "the first fetch is all new by nature"
    );
    srv.route("/o", Route::rss(window(1)));
    poll(&config);
    assert_ne!(
        row(&config, "o").interval_reason.as_deref(),
        Some("overflow"),
        "one new item of three"
    );
    srv.route("/o", Route::rss(window(10)));
    poll(&config);
    let o = row(&config, "o");
    assert_eq!(o.interval_reason.as_deref(), Some("overflow"));
    assert!(o.overflow_at.is_some());
    assert!(
        (120..=140).contains(&o.interval_secs.unwrap()),
        "min_interval ± jitter: {:?}",
        o.interval_secs
    );
}

#[test]
fn slow_and_cut_responses_fail_cleanly_and_others_go_on() {
    let srv = Server::start();
    srv.route(
        "/slow",
        Route::rss(one_item("s")).delayed(Duration::from_millis(2500)),
    );
    srv.route("/cut", Route::rss(one_item("c")).cut_midway());
    srv.route("/fine", Route::rss(one_item("f")));
    let setup = Setup::new(
        &[
            ("slow", &srv.url("/slow")),
            ("cut", &srv.url("/cut")),
            ("fine", &srv.url("/fine")),
        ],
        "timeout = \"1s\"\n",
    );
    let config = setup.config();
    let s = poll(&config);
    let err = |n: &str| match &s.feeds.iter().find(|f| f.name == n).unwrap().outcome {
        FeedOutcome::Failed { error } => error.clone(),
        other => panic!("{n}: {other:?}"),
    };
    assert!(
        err("slow").ends_with("/slow: timed out after 1s"),
        "{}",
        err("slow")
    );
    assert!(err("cut").contains("/cut:"), "{}", err("cut"));
    assert_eq!(s.ok(), 1);
    assert_eq!(stored(&config).len(), 1);
}

#[test]
fn feeds_of_one_host_share_its_budget_and_spacing() {
    let srv = Server::start();
    for p in ["/h1", "/h2", "/h3"] {
        srv.route(p, Route::rss(one_item(&p[1..])));
    }
    let setup = Setup::new(
        &[
            ("h1", &srv.url("/h1")),
            ("h2", &srv.url("/h2")),
            ("h3", &srv.url("/h3")),
        ],
        "per_host = 1\nhost_spacing = \"300ms\"\n",
    );
    assert_eq!(poll(&setup.config()).ok(), 3);
    let mut at: Vec<std::time::Instant> = srv.seen().into_iter().map(|s| s.at).collect();
    at.sort();
    for w in at.windows(2) {
        assert!(
            w[1] - w[0] >= Duration::from_millis(290),
            "requests {:?} apart",
            w[1] - w[0]
        );
    }
}

#[test]
fn a_new_configured_url_starts_without_the_old_backoff() {
    let srv = Server::start();
    srv.route(
        "/busy",
        Route::status(429).with_header("Retry-After", "3600"),
    );
    srv.route("/good", Route::rss(one_item("g")));
    let setup = Setup::new(&[("f", &srv.url("/busy"))], "");
    let config = setup.config();
    poll(&config);
    let before = row(&config, "f");
    assert_eq!(
        (before.error_streak, before.interval_reason.as_deref()),
        (1, Some("retry-after"))
    );
    let text = std::fs::read_to_string(setup.config_path())
        .unwrap()
        .replace("/busy", "/good");
    std::fs::write(setup.config_path(), text).unwrap();
    let config = setup.config();
    // Loading the new config resets the schedule: the feed is due at once.
    let rows = {
        let store = aggregator::store::Store::open(&config.database, Default::default()).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let _in = rt.enter();
        let writer = aggregator::store::Writer::spawn(store);
        let feeds = config.feeds.clone();
        let states = rt
            .block_on(writer.call(move |s| s.sync_feeds(&feeds, Utc::now())))
            .unwrap()
            .unwrap();
        writer.close();
        states
    };
    assert_eq!(rows[0].error_streak, 0);
    assert_eq!(rows[0].next_poll_at, None);
    assert_eq!(poll(&config).ok(), 1);
}

#[test]
fn retry_after_pauses_the_whole_host() {
    let srv = Server::start();
    srv.route("/a", Route::status(429).with_header("Retry-After", "2"));
    srv.route("/b", Route::rss(one_item("b")));
    srv.route("/c", Route::rss(one_item("c")));
    let setup = Setup::new(
        &[
            ("a", &srv.url("/a")),
            ("b", &srv.url("/b")),
            ("c", &srv.url("/c")),
        ],
        "per_host = 1\n",
    );
    let s = poll(&setup.config());
    assert_eq!((s.ok(), s.failed()), (2, 1));
    // Feeds start in no fixed order: every request after the 429 waited out its Retry-After.
    let seen = srv.seen();
    let a = seen.iter().find(|s| s.path == "/a").unwrap().at;
    for later in seen.iter().filter(|s| s.at > a) {
        assert!(
            later.at >= a + Duration::from_millis(1900),
            "{} started {:?} after the 429",
            later.path,
            later.at - a
        );
    }
}
