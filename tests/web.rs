//! The web view over HTTP, against `aggregator run` with `[web]` on 127.0.0.1:0: sign-in and
//! its limits, sessions and their cookie, CSRF, the security headers, escaping of feed text,
//! acknowledgements shared with the CLI, the JSON API against `list`/`show --format json`, and
//! the change events.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::web::{Reply, WebDaemon, hidden, http};
use common::*;
use serde_json::Value;

const PASSWORD: &str = "correct horse battery";

/// A feed whose texts try to break out of the page.
fn hostile_feed() -> String {
    rss(
        "Wire",
        &[
            (
                Some("x1"),
                Some("javascript:alert(1)"),
                "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt; Kishida visits Seoul",
                "talks &amp;lt;img src=x onerror=alert(2)&amp;gt;",
            ),
            (
                Some("x2"),
                Some("https://w.example/2"),
                "Kim Yo-jong rejects summit",
                "statement",
            ),
            (
                Some("x3"),
                Some("https://w.example/3"),
                "Q&amp;amp;A: Kishida says &amp;quot;5 &amp;lt; 6&amp;quot;",
                "quiz",
            ),
        ],
    )
}

struct Desk {
    setup: Setup,
    web: WebDaemon,
    addr: SocketAddr,
    token: String,
}

impl Desk {
    /// A daemon with the web view on, one user (`kim`, with an API token), one feed file polled
    /// once; waits until the feed is stored.
    fn start() -> Desk {
        let setup = Setup::new(&[], "");
        std::fs::write(setup.dir.path().join("wire.xml"), hostile_feed()).unwrap();
        let hash = aggregator::auth::hash_password(PASSWORD).unwrap();
        let token = aggregator::auth::new_token();
        let mut cfg = std::fs::read_to_string(setup.config_path()).unwrap();
        cfg.push_str(&format!(
            "\n[[feed]]\nname = \"wire\"\nurl = \"wire.xml\"\ninterval = \"1h\"\ncaptured_at = \"2024-03-26T11:00:00+09:00\"\n\n[web]\nenabled = true\nlisten = \"127.0.0.1:0\"\n\n[[web.user]]\nname = \"kim\"\npassword_hash = \"{hash}\"\ntokens = [\"{}\"]\n",
            aggregator::auth::token_hash(&token)
        ));
        std::fs::write(setup.config_path(), cfg).unwrap();
        let web = WebDaemon::start(&setup, 1);
        Desk {
            addr: web.addr,
            setup,
            web,
            token,
        }
    }

    fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.web.get(path, headers)
    }

    fn post(&self, path: &str, headers: &[(&str, &str)], form: &[(&str, &str)]) -> Reply {
        self.web.post(path, headers, form)
    }

    /// Signs in as `kim`; the session cookie (`name=value`).
    fn sign_in(&self) -> String {
        let (cookie, csrf) = self.login_form();
        let r = self.post(
            "/login",
            &[("Cookie", &cookie)],
            &[("user", "kim"), ("password", PASSWORD), ("csrf", &csrf)],
        );
        assert_eq!(r.status, 303, "{}", r.body);
        let set = r.header("set-cookie").expect("a session cookie");
        set.split(';').next().unwrap().to_string()
    }

    /// The sign-in form's cookie and CSRF token.
    fn login_form(&self) -> (String, String) {
        let r = self.get("/login", &[]);
        assert_eq!(r.status, 200);
        let cookie = r
            .header("set-cookie")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        (cookie, hidden(&r.body, "csrf"))
    }

    fn cli(&self, args: &[&str]) -> Value {
        let out = self.setup.run(args);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

#[test]
fn signing_in_sessions_and_their_limits() {
    let desk = Desk::start();
    // Not signed in: pages go to the sign-in form, the API says 401.
    let r = desk.get("/", &[]);
    assert_eq!((r.status, r.header("location")), (303, Some("/login")));
    assert_eq!(desk.get("/api/stories", &[]).status, 401);

    // The sign-in form needs its own CSRF token.
    let (cookie, csrf) = desk.login_form();
    let r = desk.post(
        "/login",
        &[("Cookie", &cookie)],
        &[("user", "kim"), ("password", PASSWORD), ("csrf", "forged")],
    );
    assert_eq!(r.status, 403);
    // A wrong password: 401 with the form again.
    let r = desk.post(
        "/login",
        &[("Cookie", &cookie)],
        &[("user", "kim"), ("password", "wrong"), ("csrf", &csrf)],
    );
    assert_eq!(r.status, 401);
    assert!(r.body.contains("Wrong user name or password") && r.body.contains("name=\"password\""));

    // The session cookie: HttpOnly, SameSite=Strict, whole site.
    let (cookie, csrf) = desk.login_form();
    let r = desk.post(
        "/login",
        &[("Cookie", &cookie)],
        &[("user", "kim"), ("password", PASSWORD), ("csrf", &csrf)],
    );
    assert_eq!(r.status, 303);
    let set = r.header("set-cookie").unwrap();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(flag), "{set}");
    }
    let session = set.split(';').next().unwrap().to_string();
    let r = desk.get("/", &[("Cookie", &session)]);
    assert_eq!(r.status, 200);
    assert!(r.body.contains("rejects summit"), "{}", r.body);

    // Every response carries the security headers.
    for r in [&r, &desk.get("/login", &[])] {
        let csp = r.header("content-security-policy").unwrap();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("x-frame-options"), Some("DENY"));
    }

    // Signing out ends the session for good.
    let csrf = hidden(&r.body, "csrf");
    let out = desk.post("/logout", &[("Cookie", &session)], &[("csrf", &csrf)]);
    assert_eq!(out.status, 303);
    assert_eq!(desk.get("/", &[("Cookie", &session)]).status, 303);

    // Failed sign-ins are limited per user: the sixth try is refused, even with the right
    // password.
    for _ in 0..5 {
        let (cookie, csrf) = desk.login_form();
        let r = desk.post(
            "/login",
            &[("Cookie", &cookie)],
            &[("user", "kim"), ("password", "nope"), ("csrf", &csrf)],
        );
        assert!(matches!(r.status, 401 | 429), "{}", r.status);
    }
    let (cookie, csrf) = desk.login_form();
    let r = desk.post(
        "/login",
        &[("Cookie", &cookie)],
        &[("user", "kim"), ("password", PASSWORD), ("csrf", &csrf)],
    );
    assert_eq!(r.status, 429, "{}", r.body);
}

#[test]
fn feed_text_is_inert_and_only_web_links_are_links() {
    let desk = Desk::start();
    let session = desk.sign_in();
    let page = desk.get("/?all=1", &[("Cookie", &session)]).body;
    assert!(page.contains("</mark> visits Seoul"), "{page}");
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(!page.contains("onerror"), "{page}");
    // What survives as text is escaped: `Q&A: Kishida says "5 < 6"`.
    assert!(page.contains("5 &#60; 6"), "{page}");
    assert!(
        page.contains("Q&#38;A") && page.contains("&#34;5"),
        "{page}"
    );
    assert!(!page.contains("5 < 6"), "{page}");
    let list = desk.cli(&["list", "--format", "json"]);
    let id = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["title"].as_str().unwrap().contains("Kishida"))
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let story = desk
        .get(&format!("/stories/{id}"), &[("Cookie", &session)])
        .body;
    assert!(!story.contains("href=\"javascript:"), "{story}");
    assert!(!story.contains("onerror=alert"), "{story}");
    assert!(
        story.contains("Why it matched") && story.contains("dprk-japan"),
        "{story}"
    );
}

#[test]
fn acknowledgements_are_shared_with_the_desk_and_the_cli() {
    let desk = Desk::start();
    let session = desk.sign_in();
    let page = desk.get("/", &[("Cookie", &session)]).body;
    let csrf = hidden(&page, "csrf");
    let stories = desk.cli(&["list", "--format", "json"]);
    let id = stories[0]["id"].as_i64().unwrap();
    let path = format!("/stories/{id}/ack");

    // A form without the session's CSRF token, or from another site, is refused.
    let r = desk.post(&path, &[("Cookie", &session)], &[("csrf", "forged")]);
    assert_eq!(r.status, 403);
    let r = desk.post(
        &path,
        &[("Cookie", &session), ("Origin", "http://evil.example")],
        &[("csrf", &csrf)],
    );
    assert_eq!(r.status, 403);
    assert!(desk.cli(&["list", "--format", "json"])[0]["acked_by"].is_null());

    let r = desk.post(
        &path,
        &[("Cookie", &session)],
        &[("csrf", &csrf), ("note", "filed"), ("back", "/")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let listed = desk.cli(&["list", "--format", "json"]);
    let acked = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap();
    assert_eq!(acked["acked_by"], "kim");
    assert!(acked["acked_at"].is_string());
    // Another session (a second editor's browser) sees who acknowledged it.
    let other = desk.sign_in();
    let page = desk
        .get(&format!("/stories/{id}"), &[("Cookie", &other)])
        .body;
    assert!(
        page.contains("Acknowledged by <b>kim</b>") && page.contains("filed"),
        "{page}"
    );
    // `list --unacked` and the unacknowledged filter no longer show it.
    let unacked = desk.cli(&["list", "--unacked", "--format", "json"]);
    assert!(unacked.as_array().unwrap().iter().all(|s| s["id"] != id));
    let page = desk.get("/?unacked=1", &[("Cookie", &other)]).body;
    assert!(!page.contains(&format!("id=\"story-{id}\"")), "{page}");
}

#[test]
fn the_api_answers_what_the_cli_prints() {
    let desk = Desk::start();
    let bearer = format!("Bearer {}", desk.token);
    let auth = [("Authorization", bearer.as_str())];
    assert_eq!(
        desk.get("/api/stories", &[("Authorization", "Bearer agg_wrong")])
            .status,
        401
    );
    let api: Value = serde_json::from_str(&desk.get("/api/stories", &auth).body).unwrap();
    assert_eq!(api, desk.cli(&["list", "--format", "json"]));
    let api: Value = serde_json::from_str(
        &desk
            .get("/api/stories?watchlist=dprk-japan&since=3000d", &auth)
            .body,
    )
    .unwrap();
    assert_eq!(
        api,
        desk.cli(&[
            "list",
            "--watchlist",
            "dprk-japan",
            "--since",
            "3000d",
            "--format",
            "json"
        ])
    );
    let id = api[0]["id"].as_i64().unwrap();
    let one: Value =
        serde_json::from_str(&desk.get(&format!("/api/stories/{id}"), &auth).body).unwrap();
    assert_eq!(
        one,
        desk.cli(&["show", &id.to_string(), "--format", "json"])
    );
    assert_eq!(desk.get("/api/stories/999999", &auth).status, 404);
    assert_eq!(desk.get("/api/stories?since=soon", &auth).status, 400);

    // An acknowledgement with the token needs no CSRF token; with a session it does.
    let r = http(
        desk.addr,
        "POST",
        &format!("/api/stories/{id}/ack"),
        &[auth[0], ("Content-Type", "application/json")],
        "{\"note\":\"seen\"}",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(
        (v["acked_by"].as_str(), v["ack_note"].as_str()),
        (Some("kim"), Some("seen"))
    );
    let session = desk.sign_in();
    let r = http(
        desk.addr,
        "POST",
        &format!("/api/stories/{id}/ack"),
        &[("Cookie", &session)],
        "",
    );
    assert_eq!(r.status, 403);
}

#[test]
fn open_pages_hear_when_stories_change() {
    let desk = Desk::start();
    let session = desk.sign_in();
    let mut events = TcpStream::connect(desk.addr).unwrap();
    events
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        events,
        "GET /events HTTP/1.1\r\nHost: {}\r\nCookie: {session}\r\nAccept: text/event-stream\r\n\r\n",
        desk.addr
    )
    .unwrap();
    let mut reader = BufReader::new(events);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with("HTTP/1.1 200"), "{line}");
    // Something changes: an acknowledgement through the API.
    let id = desk.cli(&["list", "--format", "json"])[0]["id"]
        .as_i64()
        .unwrap();
    let bearer = format!("Bearer {}", desk.token);
    let r = http(
        desk.addr,
        "POST",
        &format!("/api/stories/{id}/ack"),
        &[("Authorization", &bearer)],
        "",
    );
    assert_eq!(r.status, 200);
    let start = Instant::now();
    let mut seen = String::new();
    while !seen.contains("event: stories") {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no event in: {seen}"
        );
        line.clear();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        seen.push_str(&line);
    }
    assert!(seen.contains("event: stories"), "{seen}");
}
