//! `feeds export` and `feeds import` through the binary: OPML out, OPML in, the config file
//! edited in place and left alone when the input is bad.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn opml(outlines: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n<head><title>t</title></head>\n<body>\n{outlines}</body>\n</opml>\n"
    )
}

fn feeds_of(setup: &Setup) -> Vec<(String, String)> {
    setup
        .config()
        .feeds
        .iter()
        .map(|f| (f.name.clone(), f.url.to_string()))
        .collect()
}

#[test]
fn export_then_import_into_a_fresh_config_round_trips() {
    let srv = Server::start();
    srv.route("/t", Route::rss(rss("Wire &amp; Co", &[])));
    let from = Setup::new(
        &[
            ("wire", &srv.url("/t")),
            ("연합뉴스", "https://k.example/rss?a=1&b=2"),
            ("local", "samples/a.xml"),
        ],
        "",
    );
    assert!(from.run(&["poll", "--once"]).status.code().is_some());

    let out = from.run(&["feeds", "export"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let xml = stdout(&out);
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(xml.contains("<title>aggregator feeds</title>"), "{xml}");
    assert!(xml.contains("<dateCreated>"), "{xml}");
    assert!(
        xml.contains(&format!(
            "<outline type=\"rss\" text=\"wire\" title=\"Wire &amp; Co\" xmlUrl=\"{}\" htmlUrl=\"https://example.com/\"/>",
            srv.url("/t")
        )),
        "the stored title and site link: {xml}"
    );
    assert!(
        xml.contains(
            "text=\"연합뉴스\" title=\"연합뉴스\" xmlUrl=\"https://k.example/rss?a=1&amp;b=2\""
        ),
        "{xml}"
    );
    let local = format!(
        "xmlUrl=\"file://{}/samples/a.xml\"",
        from.dir.path().display()
    );
    assert!(
        xml.contains(&local),
        "a path is exported as its file URL: {xml}"
    );

    // --output writes the same document (but for the time it was made).
    let file = from.dir.path().join("feeds.opml");
    let out = from.run(&["feeds", "export", "--output", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    let web_only: String = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .filter(|l| !l.contains("file://"))
        .map(|l| format!("{l}\n"))
        .collect();
    let web_only = write(from.dir.path(), "web.opml", &web_only);

    let to = Setup::new(&[], "");
    let out = to.run(&["feeds", "import", &web_only]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!(
            "added wire {}\nadded 연합뉴스 https://k.example/rss?a=1&b=2\nimported 2 feeds, skipped 0\n",
            srv.url("/t")
        )
    );
    let mut expected = feeds_of(&from);
    expected.retain(|(name, _)| name != "local");
    assert_eq!(feeds_of(&to), expected);
}

#[test]
fn import_keeps_comments_and_layout_byte_for_byte() {
    let setup = Setup::new(&[], "");
    let original = "# Desk config — do not reorder\ndatabase   =   \"agg.db\"     # beside this file\n\n\n[defaults]\n  timeout = \"5s\"\n\n# wires\n[[feed]]\nname='yonhap-en'   # English\nurl  = \"https://en.yna.co.kr/RSS/news.xml\"\n";
    std::fs::write(setup.config_path(), original).unwrap();
    let file = write(
        setup.dir.path(),
        "in.opml",
        &opml("<outline text=\"Korea Herald\" xmlUrl=\"https://www.koreaherald.com/rss\"/>\n"),
    );
    let out = setup.run(&["feeds", "import", &file]);
    assert!(out.status.success(), "{}", stderr(&out));
    let now = std::fs::read_to_string(setup.config_path()).unwrap();
    assert_eq!(
        now,
        format!(
            "{original}\n[[feed]]\nname = \"Korea Herald\"\nurl = \"https://www.koreaherald.com/rss\"\n"
        )
    );
}

#[test]
fn import_skips_present_feeds_and_dry_run_writes_nothing() {
    let setup = Setup::new(
        &[
            ("yonhap", "https://en.yna.co.kr/RSS/news.xml"),
            ("herald", "https://www.koreaherald.com/rss/"),
        ],
        "",
    );
    let file = write(
        setup.dir.path(),
        "in.opml",
        &opml(concat!(
            "<outline text=\"Wires\">\n",
            "  <outline text=\"Yonhap English\" type=\"rss\" xmlUrl=\"https://EN.yna.co.kr/RSS/news.xml\"/>\n",
            "  <outline text=\"Herald\" xmlUrl=\"https://www.koreaherald.com/rss\"/>\n",
            "</outline>\n",
            "<outline text=\"yonhap\" type=\"atom\" xmlUrl=\"https://kr.example/nk.xml\"/>\n",
            "<outline title=\"again\" xmlUrl=\"https://kr.example/nk.xml/\"/>\n",
        )),
    );
    let before = std::fs::read(setup.config_path()).unwrap();

    let out = setup.run(&["feeds", "import", &file, "--dry-run", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["dry_run"], true);
    assert_eq!(
        v["added"],
        serde_json::json!([{"name": "yonhap-2", "url": "https://kr.example/nk.xml"}])
    );
    let skipped = v["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 3, "{v}");
    assert_eq!(skipped[0]["name"], "Yonhap English");
    assert_eq!(skipped[0]["reason"], "already configured as yonhap");
    assert_eq!(skipped[1]["reason"], "already configured as herald");
    assert_eq!(skipped[2]["reason"], "listed twice, first on line 9");
    assert_eq!(std::fs::read(setup.config_path()).unwrap(), before);

    let out = setup.run(&["feeds", "import", &file, "--dry-run"]);
    assert!(stdout(&out).ends_with(
        "would add yonhap-2 https://kr.example/nk.xml\nskipped again https://kr.example/nk.xml/ (listed twice, first on line 9)\nwould import 1 feed, skipped 3 (dry run: the config is unchanged)\n"
    ), "{}", stdout(&out));
    assert_eq!(std::fs::read(setup.config_path()).unwrap(), before);

    let out = setup.run(&["feeds", "import", &file]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("skipped Yonhap English https://en.yna.co.kr/RSS/news.xml (already configured as yonhap)\n"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).ends_with("imported 1 feed, skipped 3\n"));
    assert_eq!(feeds_of(&setup).len(), 3);
    assert_eq!(feeds_of(&setup)[2].0, "yonhap-2");

    // Once more: everything is present now, and the file is not rewritten.
    let after = std::fs::read(setup.config_path()).unwrap();
    let out = setup.run(&["feeds", "import", &file, "--format", "csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = stdout(&out);
    assert!(csv.starts_with("action,name,url,reason\n"), "{csv}");
    assert!(
        csv.contains("skipped,yonhap,https://kr.example/nk.xml,already configured as yonhap-2\n"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 5, "{csv}");
    assert_eq!(std::fs::read(setup.config_path()).unwrap(), after);
}

#[test]
fn bad_opml_exits_2_naming_the_line_and_leaves_the_config_alone() {
    let setup = Setup::new(&[("a", "https://a.example/rss")], "");
    let before = std::fs::read(setup.config_path()).unwrap();
    let cases = [
        (
            "<opml>\n<body>\n<outline xmlUrl=\"https://b.example/\">\n</body>\n</opml>\n",
            "bad.opml:4:1: not XML",
        ),
        (
            "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel/></rss>\n",
            "bad.opml:2:1: not an OPML file: the root element is <rss>",
        ),
        (
            "<opml version=\"1.0\">\n  <head/>\n</opml>\n",
            "bad.opml:1:1: no <body> in <opml>",
        ),
        (
            "<!DOCTYPE opml>\n<opml><body/></opml>\n",
            "bad.opml:1:1: the file has a DOCTYPE declaration",
        ),
        (
            &opml("<outline text=\"folder\"/>\n"),
            "no feeds (outlines with xmlUrl) in ",
        ),
        (
            &opml(
                "<outline text=\"ok\" xmlUrl=\"https://b.example/\"/>\n  <outline text=\"gopher\" xmlUrl=\"gopher://c.example/\"/>\n<outline text=\"none\" xmlUrl=\"\"/>\n",
            ),
            "bad.opml: 2 bad outlines, nothing imported:",
        ),
    ];
    for (text, expected) in cases {
        let file = write(setup.dir.path(), "bad.opml", text);
        let out = setup.run(&["feeds", "import", &file]);
        assert_eq!(out.status.code(), Some(2), "{expected}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expected),
            "{expected}: {}",
            stderr(&out)
        );
        assert!(stdout(&out).is_empty(), "{}", stdout(&out));
        assert_eq!(std::fs::read(setup.config_path()).unwrap(), before);
    }
    let err = stderr(&setup.run(&[
        "feeds",
        "import",
        &setup.dir.path().join("bad.opml").display().to_string(),
    ]));
    assert!(err.contains("bad.opml:6:3: outline \"gopher\": xmlUrl \"gopher://c.example/\" is not an http(s) URL; "), "{err}");
    assert!(
        err.contains("bad.opml:7:1: outline \"none\": xmlUrl is empty"),
        "{err}"
    );

    let out = setup.run(&["feeds", "import", "/nonexistent/feeds.opml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("/nonexistent/feeds.opml: cannot read OPML file"),
        "{}",
        stderr(&out)
    );
    let entries = std::fs::read_dir(setup.dir.path()).unwrap().count();
    assert_eq!(entries, 3, "config, watchlists and bad.opml only");
}

#[test]
fn export_to_a_missing_directory_exits_1_and_creates_nothing() {
    let setup = Setup::new(&[("a", "https://a.example/rss")], "");
    let target = setup.dir.path().join("no/such/feeds.opml");
    let out = setup.run(&["feeds", "export", "--output", target.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no/such/feeds.opml"),
        "{}",
        stderr(&out)
    );
    assert!(!target.exists());
    assert!(!setup.dir.path().join("no").exists());
}
