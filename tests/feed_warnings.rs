//! Bodies the parser still reads but something is wrong with: cut short (by the server, or by a
//! connection that failed mid-body) or holding entries none of which can be read. The complete
//! items are stored, the fetch says `truncated`, and `feeds`, `status` and `check-feed` show the
//! warning: never a silent ok. A poll and `check-feed` read a body the same way.

mod common;

use common::*;
use serde_json::Value;

/// Five items, each with a distinct guid, link and headline.
fn five_items() -> String {
    let items: Vec<(String, String, String, String)> = (1..=5)
        .map(|n| {
            (
                format!("AEN2026112700{n}"),
                format!("https://en.yna.co.kr/view/AEN2026112700{n}"),
                format!("Story number {n} from the wire"),
                format!("SEOUL, Nov. 27 (Yonhap) -- The body of story {n}, in full."),
            )
        })
        .collect();
    let refs: Vec<(Option<&str>, Option<&str>, &str, &str)> = items
        .iter()
        .map(|(g, l, t, d)| (Some(g.as_str()), Some(l.as_str()), t.as_str(), d.as_str()))
        .collect();
    rss("Yonhap", &refs)
}

/// `body` cut in the middle of the fourth item's description.
fn cut_in_fourth(body: &str) -> String {
    let at = body.find("The body of story 4").expect("marker") + 8;
    body[..at].to_string()
}

fn json(setup: &Setup, args: &[&str]) -> Value {
    let out = setup.run(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("json")
}

fn feed_status(setup: &Setup, name: &str) -> Value {
    let all = json(setup, &["status", "--format", "json"]);
    all.as_array()
        .expect("array")
        .iter()
        .find(|f| f["name"] == name)
        .cloned()
        .expect("feed row")
}

fn stored_titles(setup: &Setup) -> Vec<String> {
    let mut t: Vec<String> = stored(&setup.config())
        .into_iter()
        .map(|i| i.title)
        .collect();
    t.sort();
    t
}

#[test]
fn a_body_the_server_cut_short_stores_its_complete_items_and_says_truncated() {
    let srv = Server::start();
    srv.route("/cut", Route::rss(cut_in_fourth(&five_items())));
    let setup = Setup::new(&[("cut", &srv.url("/cut"))], "");
    let out = setup.run(&["poll", "--once"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stored_titles(&setup),
        [
            "Story number 1 from the wire",
            "Story number 2 from the wire",
            "Story number 3 from the wire"
        ]
    );
    let row = feed_status(&setup, "cut");
    assert_eq!(row["last_result"], "truncated", "{row}");
    assert_eq!(row["last_items_new"], 3, "{row}");
    assert_eq!(row["error_streak"], 0, "{row}");
    let warning = row["last_warning"].as_str().unwrap_or_default();
    assert!(warning.starts_with("truncated"), "{row}");

    let feeds = stdout(&setup.run(&["feeds"]));
    assert!(
        feeds.contains("truncated") && feeds.contains("cut short"),
        "{feeds}"
    );
    let status = stdout(&setup.run(&["status", "--wide"]));
    assert!(status.contains("cut short"), "{status}");
    let feeds_json = json(&setup, &["feeds", "--format", "json"]);
    assert!(
        feeds_json
            .to_string()
            .contains("\"last_warning\":\"truncated"),
        "{feeds_json}"
    );
}

#[test]
fn a_connection_cut_mid_body_keeps_the_complete_items_and_no_validators() {
    let srv = Server::start();
    // Half of a long body: the first items arrive whole, then the connection is cut.
    let body = five_items();
    srv.route(
        "/conn",
        Route::rss(body.clone()).with_etag("\"v1\"").cut_midway(),
    );
    let setup = Setup::new(&[("conn", &srv.url("/conn"))], "");
    let out = setup.run(&["poll", "--once"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let half = &body[..body.len() / 2];
    let complete = half.matches("</item>").count();
    assert!(complete >= 1, "the test body must hold a complete item");
    assert_eq!(stored_titles(&setup).len(), complete);
    let row = feed_status(&setup, "conn");
    assert_eq!(row["last_result"], "truncated", "{row}");
    // The next fetch must ask for the whole body again, not get a 304 for a partial one.
    assert!(row["etag"].is_null(), "{row}");
}

#[test]
fn what_was_stored_stays_when_a_later_body_is_cut_short() {
    let srv = Server::start();
    srv.route("/f", Route::rss(five_items()));
    let setup = Setup::new(&[("f", &srv.url("/f"))], "");
    assert!(setup.run(&["poll", "--once"]).status.success());
    assert_eq!(stored_titles(&setup).len(), 5);
    srv.route("/f", Route::rss(cut_in_fourth(&five_items())));
    assert!(setup.run(&["poll", "--once"]).status.success());
    assert_eq!(stored_titles(&setup).len(), 5);
    assert_eq!(feed_status(&setup, "f")["last_result"], "truncated");
    // A complete body again clears the warning.
    srv.route("/f", Route::rss(five_items()));
    assert!(setup.run(&["poll", "--once"]).status.success());
    let row = feed_status(&setup, "f");
    assert_eq!(row["last_result"], "ok", "{row}");
    assert!(row["last_warning"].is_null(), "{row}");
}

#[test]
fn entries_none_of_which_can_be_read_are_a_warning_not_a_silent_ok() {
    let mut body = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Broken export</title>",
    );
    for _ in 0..12 {
        body.push_str("<item><x:field xmlns:x=\"urn:x\">lost</x:field></item>");
    }
    body.push_str("</channel></rss>");
    let srv = Server::start();
    srv.route("/broken", Route::rss(body));
    let setup = Setup::new(&[("broken", &srv.url("/broken"))], "");
    assert!(setup.run(&["poll", "--once"]).status.success());
    let row = feed_status(&setup, "broken");
    assert_eq!(
        row["last_warning"], "12 <item> elements, none readable",
        "{row}"
    );
    let feeds = stdout(&setup.run(&["feeds"]));
    assert!(feeds.contains("none readable"), "{feeds}");
    let status = stdout(&setup.run(&["status", "--wide"]));
    assert!(
        status.contains("12 <item> elements, none readable"),
        "{status}"
    );
}

#[test]
fn check_feed_and_poll_read_a_body_the_same_way() {
    let dir = tempfile::tempdir().unwrap();
    // A cut body with a repeat inside it: the poll settles repeats, so must check-feed.
    let mut body = cut_in_fourth(&five_items());
    let first = body.find("<item>").unwrap();
    let end = body.find("</item>").unwrap() + "</item>".len();
    let repeat = body[first..end].to_string();
    body.insert_str(end, &repeat);
    let path = dir.path().join("cut.xml");
    std::fs::write(&path, &body).unwrap();
    let url = url::Url::from_file_path(&path).unwrap().to_string();
    let setup = Setup::new(&[("cut", &url)], "");
    let out = setup.run(&["check-feed", "--format", "json", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let warnings = report["feed"]["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{report}");
    assert!(warnings[0].as_str().unwrap().starts_with("truncated"));
    let mut checked: Vec<String> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_string())
        .collect();
    checked.sort();
    let table = setup.run(&["check-feed", path.to_str().unwrap()]);
    assert!(stderr(&table).contains("warning:"), "{}", stderr(&table));

    assert!(setup.run(&["poll", "--once"]).status.success());
    assert_eq!(checked, stored_titles(&setup));
    assert_eq!(checked.len(), 3);
}

#[test]
fn the_fetch_result_and_metrics_label_say_truncated() {
    let srv = Server::start();
    srv.route("/cut", Route::rss(cut_in_fourth(&five_items())));
    srv.route("/whole", Route::rss(five_items()));
    let setup = Setup::new(
        &[("cut", &srv.url("/cut")), ("whole", &srv.url("/whole"))],
        "",
    );
    let summary = poll(&setup.config());
    let result = |name: &str| {
        summary
            .feeds
            .iter()
            .find(|f| f.name == name)
            .expect("feed in the poll")
            .outcome
            .result()
    };
    // The daemon labels `aggregator_fetches_total` with this value.
    assert_eq!(result("cut"), "truncated");
    assert_eq!(result("whole"), "ok");
}
