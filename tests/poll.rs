//! Polling end to end against a real HTTP server on 127.0.0.1 and a real SQLite file.

mod common;

use std::io::Write;

use aggregator::refresh::FeedOutcome;
use common::*;

fn outcome<'a>(s: &'a aggregator::refresh::PollSummary, name: &str) -> &'a FeedOutcome {
    &s.feeds.iter().find(|f| f.name == name).unwrap().outcome
}

fn error_of(s: &aggregator::refresh::PollSummary, name: &str) -> String {
    match outcome(s, name) {
        FeedOutcome::Failed { error } => error.clone(),
        other => panic!("{name}: expected a failure, got {other:?}"),
    }
}

#[test]
fn stores_once_and_repoll_sends_validators() {
    let srv = Server::start();
    srv.route(
        "/a.xml",
        Route::rss(rss(
            "A",
            &[
                (
                    Some("a1"),
                    Some("https://news.example/1?utm_source=a"),
                    "Kishida meets envoy",
                    "x",
                ),
                (Some("a2"), Some("https://news.example/2"), "Markets", "y"),
            ],
        ))
        .with_etag("\"v1\""),
    );
    srv.route(
        "/b.xml",
        Route::rss(rss(
            "B",
            &[(
                Some("b1"),
                Some("https://news.example/1#frag"),
                "Kishida meets envoy (2nd LD)",
                "x",
            )],
        ))
        .with_last_modified("Tue, 26 Mar 2024 01:00:00 GMT"),
    );
    let setup = Setup::new(
        &[("a", &srv.url("/a.xml")), ("b", &srv.url("/b.xml"))],
        "concurrency = 1\n",
    );
    let config = setup.config();

    let first = poll(&config);
    assert_eq!(first.ok(), 2);
    let st = first.stats();
    assert_eq!(
        (st.new, st.updated),
        (3, 0),
        "each feed stores its own copy of the shared article"
    );
    let items = stored(&config);
    assert_eq!(items.len(), 3);
    let kishida: Vec<_> = items
        .iter()
        .filter(|i| i.link.as_deref() == Some("https://news.example/1"))
        .collect();
    assert_eq!(
        kishida.len(),
        2,
        "the canonical link is the same in both feeds"
    );
    assert_eq!(
        kishida[0].story_id, kishida[1].story_id,
        "one story with two sources"
    );
    for k in &kishida {
        assert_eq!(k.watchlists, vec!["dprk-japan"]);
        assert_eq!(k.matched_terms, vec!["Kishida"]);
    }
    let stories = aggregator::store::Reader::open(&config.database)
        .unwrap()
        .stories(&Default::default())
        .unwrap();
    assert_eq!(stories.len(), 2);
    let story = stories
        .iter()
        .find(|s| Some(s.id) == kishida[0].story_id)
        .unwrap();
    assert_eq!((story.outlets, story.items), (2, 2));
    assert_eq!(story.watchlists, vec!["dprk-japan"]);

    srv.clear_seen();
    let second = poll(&config);
    assert_eq!(second.not_modified(), 2);
    assert_eq!(second.stats(), Default::default());
    let seen = srv.seen();
    let a = seen.iter().find(|s| s.path == "/a.xml").unwrap();
    assert_eq!(
        a.headers.get("if-none-match").map(String::as_str),
        Some("\"v1\"")
    );
    assert_eq!(a.status, 304);
    assert!(
        a.headers
            .get("user-agent")
            .unwrap()
            .starts_with("aggregator/")
    );
    let b = seen.iter().find(|s| s.path == "/b.xml").unwrap();
    assert_eq!(
        b.headers.get("if-modified-since").map(String::as_str),
        Some("Tue, 26 Mar 2024 01:00:00 GMT")
    );
    assert_eq!(stored(&config), items, "a 304 changes nothing stored");
}

#[test]
fn changed_title_updates_and_keeps_first_seen() {
    let srv = Server::start();
    srv.route(
        "/f",
        Route::rss(rss(
            "F",
            &[(
                Some("g1"),
                Some("https://n.example/1"),
                "N. Korea fires missile",
                "s",
            )],
        )),
    );
    let setup = Setup::new(&[("f", &srv.url("/f"))], "");
    let config = setup.config();
    poll(&config);
    let before = stored(&config);
    srv.route(
        "/f",
        Route::rss(rss(
            "F",
            &[(
                Some("g1"),
                Some("https://n.example/1"),
                "(LEAD) N. Korea fires missile",
                "s2",
            )],
        )),
    );
    let again = poll(&config);
    assert_eq!((again.stats().new, again.stats().updated), (0, 1));
    let after = stored(&config);
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].title, "(LEAD) N. Korea fires missile");
    assert_eq!(after[0].id, before[0].id);
    assert_eq!(after[0].first_seen, before[0].first_seen);
    // Polling the same body again changes nothing.
    assert_eq!(poll(&config).stats(), Default::default());
}

#[test]
fn items_without_guid_or_link_are_stored_once() {
    let srv = Server::start();
    let body = rss(
        "Bare",
        &[
            (None, None, "Statement by KCNA", "text one"),
            (None, None, "Another statement", "text two"),
        ],
    );
    srv.route("/bare", Route::rss(body));
    let setup = Setup::new(&[("bare", &srv.url("/bare"))], "");
    let config = setup.config();
    assert_eq!(poll(&config).stats().new, 2);
    assert_eq!(poll(&config).stats().new, 0);
    assert_eq!(stored(&config).len(), 2);
}

#[test]
fn bad_feeds_fail_alone_and_lose_nothing() {
    let srv = Server::start();
    let good_items = [
        (
            Some("g1"),
            Some("https://good.example/1"),
            "Kim Yo-jong statement",
            "a",
        ),
        (Some("g2"), Some("https://good.example/2"), "Weather", "b"),
    ];
    srv.route("/good", Route::rss(rss("Good", &good_items)));
    let bad_paths = [
        "/malformed",
        "/html",
        "/empty",
        "/huge",
        "/status500",
        "/notfeed",
    ];
    for p in bad_paths {
        srv.route(
            p,
            Route::rss(rss(
                "Was fine",
                &[(Some(&format!("{p}-1")), None, "Earlier item", "kept")],
            )),
        );
    }
    // A closed port: nothing listens there.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let mut feeds: Vec<(String, String)> = vec![("good".into(), srv.url("/good"))];
    feeds.extend(
        bad_paths
            .iter()
            .map(|p| (p.trim_start_matches('/').to_string(), srv.url(p))),
    );
    feeds.push(("unreachable".into(), format!("http://{dead}/feed.xml")));
    let refs: Vec<(&str, &str)> = feeds
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let setup = Setup::new(&refs, "");
    let config = setup.config();

    let first = poll(&config);
    assert_eq!(first.ok(), 7, "{first:?}");
    let before = stored(&config);
    assert_eq!(before.len(), 8);

    // Now every feed but "good" breaks, each in its own way.
    srv.route(
        "/malformed",
        Route::rss("<rss version=\"2.0\"><channel><item><title>cut off"),
    );
    srv.route(
        "/html",
        Route::ok(
            "text/html",
            "<!DOCTYPE html><html><head><title>Login</title></head><body>Sign in</body></html>",
        ),
    );
    srv.route("/empty", Route::rss(""));
    srv.route("/huge", Route::rss(vec![b' '; 6 * 1024 * 1024]));
    srv.route("/status500", Route::status(500));
    srv.route(
        "/notfeed",
        Route::ok("application/xml", "<note><to>you</to></note>"),
    );
    let second = poll(&config);
    assert_eq!(second.ok(), 1);
    assert_eq!(second.failed(), 7);
    assert!(
        error_of(&second, "malformed").contains("/malformed: not a feed"),
        "{}",
        error_of(&second, "malformed")
    );
    assert!(error_of(&second, "html").ends_with("/html: not a feed: this is an HTML page"));
    assert!(error_of(&second, "empty").ends_with("/empty: empty body: no feed to parse"));
    assert!(error_of(&second, "huge").ends_with("/huge: body larger than the 5242880-byte cap"));
    assert!(error_of(&second, "status500").ends_with("/status500: HTTP 500"));
    assert!(error_of(&second, "notfeed").contains("/notfeed: not a feed"));
    let unreachable = error_of(&second, "unreachable");
    assert!(
        unreachable.starts_with(&format!("http://{dead}/feed.xml: cannot connect")),
        "{unreachable}"
    );
    assert_eq!(
        stored(&config),
        before,
        "nothing stored before is lost or duplicated"
    );

    // The failures are on the feed rows.
    let rows = aggregator::store::Reader::open(&config.database)
        .unwrap()
        .feeds()
        .unwrap();
    let html = rows.iter().find(|r| r.name == "html").unwrap();
    assert_eq!(html.last_result.as_deref(), Some("error"));
    assert_eq!(html.error_streak, 1);
    assert!(html.last_error.as_deref().unwrap().contains("HTML page"));
    let good = rows.iter().find(|r| r.name == "good").unwrap();
    assert_eq!(
        (good.last_result.as_deref(), good.error_streak),
        (Some("ok"), 0)
    );
}

#[test]
fn wrong_declared_encoding_is_decoded() {
    let srv = Server::start();
    let doc = rss(
        "북한 뉴스",
        &[(
            Some("k1"),
            None,
            "북한은 오늘 일본에 대해 담화를 발표했다",
            "김여정 부부장 담화",
        )],
    );
    let (euc, _, _) = encoding_rs::EUC_KR.encode(&doc);
    // Declared UTF-8 in the prolog and the header, but the bytes are EUC-KR.
    srv.route(
        "/mislabelled",
        Route::ok("application/rss+xml; charset=utf-8", euc.to_vec()),
    );
    // No prolog encoding, the charset only in the HTTP header.
    let doc2 = rss("헤럴드", &[(Some("k2"), None, "일본 총리 방한", "")])
        .replace(" encoding=\"UTF-8\"", "");
    let (euc2, _, _) = encoding_rs::EUC_KR.encode(&doc2);
    srv.route(
        "/header-only",
        Route::ok("application/rss+xml; charset=EUC-KR", euc2.to_vec()),
    );
    let setup = Setup::new(
        &[
            ("mislabelled", &srv.url("/mislabelled")),
            ("header-only", &srv.url("/header-only")),
        ],
        "",
    );
    let config = setup.config();
    let s = poll(&config);
    assert_eq!(s.ok(), 2, "{s:?}");
    let items = stored(&config);
    let k1 = items
        .iter()
        .find(|i| i.guid.as_deref() == Some("k1"))
        .unwrap();
    assert_eq!(k1.title, "북한은 오늘 일본에 대해 담화를 발표했다");
    assert_eq!(k1.watchlists, vec!["dprk-japan"]);
    assert_eq!(k1.matched_terms, vec!["북한", "일본"]);
    let k2 = items
        .iter()
        .find(|i| i.guid.as_deref() == Some("k2"))
        .unwrap();
    assert_eq!(k2.title, "일본 총리 방한");
}

#[test]
fn gzip_and_redirects() {
    let srv = Server::start();
    let body = rss(
        "Z",
        &[(
            Some("z1"),
            Some("https://z.example/1"),
            "Compressed item",
            "",
        )],
    );
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(body.as_bytes()).unwrap();
    srv.route(
        "/gz",
        Route::rss(enc.finish().unwrap()).with_header("Content-Encoding", "gzip"),
    );
    srv.route("/old", Route::status(301).with_header("Location", "/gz"));
    let setup = Setup::new(&[("gz", &srv.url("/old"))], "");
    let config = setup.config();
    let s = poll(&config);
    assert_eq!(s.stats().new, 1, "{s:?}");
    assert_eq!(stored(&config)[0].title, "Compressed item");
    let gz = srv.seen().into_iter().find(|r| r.path == "/gz").unwrap();
    assert!(gz.headers.get("accept-encoding").unwrap().contains("gzip"));
}

#[test]
fn bare_ampersands_and_versionless_rss_are_recovered() {
    let srv = Server::start();
    srv.route(
        "/sloppy",
        Route::rss("<rss><channel><title>Q&A</title><item><title>Tom & Jerry &nbsp;return</title><link>https://s.example/?a=1&b=2</link><guid>s1</guid></item></channel></rss>"),
    );
    let setup = Setup::new(&[("sloppy", &srv.url("/sloppy"))], "");
    let config = setup.config();
    assert_eq!(poll(&config).stats().new, 1);
    let item = &stored(&config)[0];
    assert_eq!(item.title, "Tom & Jerry return");
    assert_eq!(item.link.as_deref(), Some("https://s.example/?a=1&b=2"));
}

#[test]
fn bundled_demo_runs_offline() {
    // The demo config as shipped, with its database moved into a temp dir.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut config = aggregator::watch::load_config(&root.join("config/demo.toml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    config.database = dir.path().join("demo.db");
    // The dates as written (the shipped config moves them to the present: see
    // `tests/cli.rs::the_demo_reads_as_current`).
    for feed in &mut config.feeds {
        feed.captured_at = None;
    }
    let s = poll(&config);
    assert_eq!((s.ok(), s.failed()), (6, 0), "{s:?}");
    let items = stored(&config);
    // Two of the English stories arrive in both Yonhap feeds under tracking-tagged links:
    // two items each, one story each.
    assert_eq!(items.len(), 20);
    let stories = aggregator::store::Reader::open(&config.database)
        .unwrap()
        .stories(&Default::default())
        .unwrap();
    assert_eq!(stories.len(), 18);
    assert_eq!(stories.iter().filter(|s| s.outlets == 2).count(), 2);
    let euckr = items
        .iter()
        .filter(|i| i.feed == "herald-ko")
        .collect::<Vec<_>>();
    assert_eq!(euckr.len(), 2);
    assert!(
        euckr
            .iter()
            .any(|i| i.title.starts_with("일본 총리 \"북한과 정상회담 추진\""))
    );
    let korean_date = items
        .iter()
        .find(|i| i.guid.as_deref() == Some("AKR20240326055151504"))
        .unwrap();
    assert_eq!(
        korean_date.published.unwrap().to_rfc3339(),
        "2024-03-26T06:40:00+00:00"
    );
    let kimchi = items.iter().find(|i| i.title.contains("kimchi")).unwrap();
    assert!(!kimchi.watchlists.contains(&"dprk-japan".to_string()));
    let kpop = items.iter().find(|i| i.title.starts_with("BTS")).unwrap();
    assert!(kpop.watchlists.is_empty(), "K-pop is excluded");
    assert_eq!(
        poll(&config).not_modified(),
        6,
        "unchanged files are not re-read"
    );
}

#[test]
fn repeated_items_within_one_body_stay_put_across_polls() {
    let srv = Server::start();
    let body = rss(
        "Rep",
        &[
            (
                Some("g1"),
                Some("https://s.example/home"),
                "Kishida proposes summit",
                "a",
            ),
            (
                Some("g2"),
                Some("https://s.example/home?utm_medium=x"),
                "Weather",
                "b",
            ),
            (Some("d1"), Some("https://s.example/d"), "Dup guid A", "c"),
            (Some("d1"), Some("https://s.example/d2"), "Dup guid B", "d"),
            (None, Some("https://s.example/e"), "Link only", "e"),
            (
                None,
                Some("https://s.example/e#again"),
                "Link only, again",
                "f",
            ),
        ],
    );
    srv.route("/rep", Route::rss(body));
    let setup = Setup::new(&[("rep", &srv.url("/rep"))], "");
    let config = setup.config();
    let first = poll(&config).stats();
    assert_eq!((first.new, first.updated, first.matches), (4, 0, 1));
    for _ in 0..2 {
        assert_eq!(
            poll(&config).stats(),
            Default::default(),
            "a re-poll changes nothing"
        );
    }
    let items = stored(&config);
    let titles: Vec<&str> = items.iter().map(|i| i.title.as_str()).collect();
    for t in [
        "Kishida proposes summit",
        "Weather",
        "Dup guid A",
        "Link only",
    ] {
        assert!(titles.contains(&t), "{t} missing from {titles:?}");
    }
    let kishida = items
        .iter()
        .find(|i| i.guid.as_deref() == Some("g1"))
        .unwrap();
    assert_eq!(kishida.watchlists, vec!["dprk-japan"], "the match is kept");
}

#[test]
fn a_link_shared_by_unrelated_texts_does_not_join_stories() {
    // Feed b links an unrelated headline to the same address (a home page, a mistake): each
    // feed keeps its item and its own watchlist hits, in stories of their own.
    let srv = Server::start();
    srv.route(
        "/a",
        Route::rss(rss(
            "A",
            &[(
                Some("a1"),
                Some("https://w.example/story"),
                "Seoul shares close higher",
                "x",
            )],
        )),
    );
    srv.route(
        "/b",
        Route::rss(rss(
            "B",
            &[(
                Some("b1"),
                Some("https://w.example/story?utm_source=b"),
                "Kishida says Japan seeks summit",
                "y",
            )],
        )),
    );
    let setup = Setup::new(&[("a", &srv.url("/a")), ("b", &srv.url("/b"))], "");
    let config = setup.config();
    let mut only_a = config.clone();
    only_a.feeds.retain(|f| f.name == "a");
    let s = poll(&only_a);
    assert_eq!((s.stats().new, s.stats().matches), (1, 0));
    let s = poll(&config);
    assert_eq!((s.stats().new, s.stats().matches), (1, 1));
    let items = stored(&config);
    assert_eq!(items.len(), 2);
    let b = items.iter().find(|i| i.feed == "b").unwrap();
    assert_eq!(b.watchlists, vec!["dprk-japan"]);
    assert_ne!(items[0].story_id, items[1].story_id);
}

#[test]
fn size_cap_holds_without_content_length() {
    let srv = Server::start();
    let mut big = rss("Big", &[(Some("x"), None, "x", "")]).into_bytes();
    big.extend(std::iter::repeat_n(b' ', 6 * 1024 * 1024));
    srv.route("/big", Route::rss(big).without_length());
    srv.route(
        "/small",
        Route::rss(rss("S", &[(Some("s1"), None, "Small unsized", "")])).without_length(),
    );
    let setup = Setup::new(
        &[("big", &srv.url("/big")), ("small", &srv.url("/small"))],
        "",
    );
    let s = poll(&setup.config());
    assert!(error_of(&s, "big").ends_with("/big: body larger than the 5242880-byte cap"));
    assert!(matches!(
        outcome(&s, "small"),
        FeedOutcome::Fetched { items: 1, .. }
    ));
}

#[test]
fn local_files_are_capped_and_must_be_regular_files() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.xml");
    std::fs::write(
        &big,
        rss("Big", &[(Some("b"), None, &"x".repeat(4000), "")]),
    )
    .unwrap();
    let sub = dir.path().join("a-directory");
    std::fs::create_dir(&sub).unwrap();
    let setup = Setup::new(
        &[
            ("big", big.to_str().unwrap()),
            ("dir", sub.to_str().unwrap()),
        ],
        "max_body_bytes = 2048\n",
    );
    let s = poll(&setup.config());
    assert!(
        error_of(&s, "big").ends_with("big.xml: body larger than the 2048-byte cap"),
        "{}",
        error_of(&s, "big")
    );
    assert!(
        error_of(&s, "dir").contains("a-directory: cannot read feed file: not a regular file"),
        "{}",
        error_of(&s, "dir")
    );
}

#[test]
fn bundled_samples_over_http_with_their_charsets() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/samples");
    let srv = Server::start();
    let read = |f: &str| std::fs::read(root.join(f)).unwrap();
    srv.route(
        "/ko",
        Route::ok(
            "application/rss+xml; charset=utf-8",
            read("yonhap-ko-northkorea.xml"),
        ),
    );
    // The EUC-KR sample, served with a wrong UTF-8 label in the header.
    srv.route(
        "/euckr",
        Route::ok("text/xml; charset=UTF-8", read("herald-ko-euckr.xml")),
    );
    srv.route(
        "/atom",
        Route::ok("application/atom+xml", read("kyodo-atom.xml")),
    );
    srv.route(
        "/json",
        Route::ok("application/feed+json", read("nkwatch.json")),
    );
    let setup = Setup::new(
        &[
            ("ko", &srv.url("/ko")),
            ("euckr", &srv.url("/euckr")),
            ("atom", &srv.url("/atom")),
            ("json", &srv.url("/json")),
        ],
        "",
    );
    let config = setup.config();
    let s = poll(&config);
    assert_eq!(s.ok(), 4, "{s:?}");
    let items = stored(&config);
    assert_eq!(items.len(), 10);
    let euckr: Vec<&str> = items
        .iter()
        .filter(|i| i.feed == "euckr")
        .map(|i| i.title.as_str())
        .collect();
    assert!(
        euckr.contains(&"반도체 수출 회복세…3월 20일까지 30% 증가"),
        "{euckr:?}"
    );
    let kim = items
        .iter()
        .find(|i| i.title.starts_with("김여정"))
        .unwrap();
    assert_eq!(
        kim.watchlists,
        vec!["dprk-japan"],
        "북한 in the summary matches"
    );
    // Relative Atom links resolve against the document's own URL, as the Atom spec says.
    let kyodo = items
        .iter()
        .find(|i| i.feed == "atom" && i.title.contains("Kishida"))
        .unwrap();
    assert_eq!(kyodo.link, Some(srv.url("/news/2024/03/0101.html")));
}
