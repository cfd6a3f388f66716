//! Stories end to end: local feeds polled through the library and the binary, stories read
//! back from the database.

mod common;

use aggregator::store::Reader;
use aggregator::store::query::ListedStory;
use common::{Route, Server, Setup, poll, rss, stderr, stdout};
use serde_json::Value;

const LEDE: &str = "North Korea fired a short-range ballistic missile toward the East Sea on \
    Tuesday morning, South Korea's Joint Chiefs of Staff said, in the third such launch this month.";

fn stories(config: &aggregator::config::Config) -> Vec<ListedStory> {
    Reader::open(&config.database)
        .unwrap()
        .stories(&Default::default())
        .unwrap()
}

fn only(config: &aggregator::config::Config, name: &str) -> aggregator::config::Config {
    let mut c = config.clone();
    c.feeds.retain(|f| f.name == name);
    c
}

#[test]
fn a_wire_story_carried_by_another_outlet_is_one_story_with_two_sources() {
    let srv = Server::start();
    srv.route(
        "/yonhap",
        Route::rss(rss(
            "Yonhap",
            &[(
                Some("AEN20240326000351315"),
                Some("https://en.yna.co.kr/view/AEN20240326000351315"),
                "N. Korea fires ballistic missile into East Sea: JCS",
                &format!("SEOUL, March 26 (Yonhap) -- {LEDE} (END)"),
            )],
        )),
    );
    srv.route(
        "/herald",
        Route::rss(rss(
            "The Korea Herald",
            &[
                (
                    Some("kh-3456789"),
                    Some("https://www.koreaherald.com/view.php?ud=20240326000123"),
                    "North Korea fires ballistic missile into East Sea | The Korea Herald",
                    &format!("By Yonhap {LEDE}"),
                ),
                (
                    Some("kh-3456790"),
                    Some("https://www.koreaherald.com/view.php?ud=20240326000150"),
                    "Seoul shares open higher on chip gains",
                    "South Korean stocks opened higher on Tuesday, led by chipmakers.",
                ),
            ],
        )),
    );
    let setup = Setup::new(
        &[
            ("yonhap", &srv.url("/yonhap")),
            ("herald", &srv.url("/herald")),
        ],
        "",
    );
    let config = setup.config();
    // Yonhap is seen first; the Herald's copy arrives on a later poll.
    assert_eq!(poll(&only(&config, "yonhap")).stats().new, 1);
    assert_eq!(poll(&config).stats().new, 2);

    let all = stories(&config);
    assert_eq!(all.len(), 2, "{all:#?}");
    let missile = all
        .iter()
        .find(|s| s.outlets == 2)
        .expect("a two-source story");
    assert_eq!(missile.first_source, "yonhap");
    assert_eq!(missile.items, 2);
    assert_eq!(missile.updates, 0, "another outlet is not an update");
    let feeds: Vec<&str> = missile
        .members
        .iter()
        .map(|m| m.item.feed.as_str())
        .collect();
    assert_eq!(feeds, vec!["yonhap", "herald"]);
    assert!(missile.members[1].delay_secs >= 0);
    assert_eq!(
        missile.title, "North Korea fires ballistic missile into East Sea | The Korea Herald",
        "the latest headline"
    );
    // The binary shows the same through `list` and `show`.
    let out = setup.run(&["list", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let listed = v
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == missile.id)
        .unwrap();
    assert_eq!(listed["first_source"], "yonhap");
    assert_eq!(listed["outlets"], 2);
    assert_eq!(listed["members"].as_array().unwrap().len(), 2);
    let out = setup.run(&["show", &missile.id.to_string()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("from yonhap; 2 outlets"), "{text}");
    assert!(text.contains("herald"), "{text}");
}

/// The same report reissued by the agency under new links, each poll adding one version.
#[test]
fn a_reissue_chain_collapses_into_one_story() {
    let flash = "North Korea fired a ballistic missile toward the East Sea on Tuesday, South \
                 Korea's military said.";
    let lead = format!(
        "{flash} The missile flew about 800 kilometers before falling into waters outside \
         Japan's exclusive economic zone, the Joint Chiefs of Staff said."
    );
    let second = format!(
        "{lead} It was the North's first ballistic missile launch in three months and came as \
         South Korea and the United States wrapped up joint military drills."
    );
    let versions = [
        (
            "AEN20240326000300315",
            "(URGENT) N. Korea fires ballistic missile into East Sea: JCS",
            flash.to_string(),
        ),
        (
            "AEN20240326000351315",
            "(LEAD) N. Korea fires ballistic missile into East Sea, flies 800 km: JCS",
            lead,
        ),
        (
            "AEN20240326000352315",
            "(2nd LD) N. Korea fires ballistic missile into East Sea in 1st launch in 3 months",
            second,
        ),
    ];
    let srv = Server::start();
    let setup = Setup::new(&[("yonhap", &srv.url("/y"))], "");
    let config = setup.config();
    let mut served: Vec<(Option<&str>, Option<String>, &str, String)> = Vec::new();
    for (id, title, body) in &versions {
        served.insert(
            0,
            (
                Some(*id),
                Some(format!("https://en.yna.co.kr/view/{id}")),
                *title,
                body.clone(),
            ),
        );
        let items: Vec<(Option<&str>, Option<&str>, &str, &str)> = served
            .iter()
            .map(|(g, l, t, d)| (*g, l.as_deref(), *t, d.as_str()))
            .collect();
        srv.route("/y", Route::rss(rss("Yonhap", &items)));
        assert_eq!(poll(&config).stats().new, 1);
    }
    let all = stories(&config);
    assert_eq!(all.len(), 1, "{all:#?}");
    let s = &all[0];
    assert_eq!((s.items, s.outlets, s.updates), (3, 1, 2));
    assert!(s.title.starts_with("(2nd LD)"), "{}", s.title);
    let order: Vec<&str> = s
        .members
        .iter()
        .map(|m| m.item.guid.as_deref().unwrap())
        .collect();
    assert_eq!(
        order,
        vec![
            "AEN20240326000300315",
            "AEN20240326000351315",
            "AEN20240326000352315"
        ]
    );
}

#[test]
fn hard_negatives_stay_apart() {
    // Same topic, same day, many shared words: different reports.
    let items = [
        (
            "y1",
            "N. Korea fires ballistic missile into East Sea: JCS",
            "North Korea fired a short-range ballistic missile toward the East Sea from the \
             Pyongyang area early Tuesday, South Korea's Joint Chiefs of Staff said.",
        ),
        (
            "y2",
            "N. Korea fires 2 cruise missiles into Yellow Sea: JCS",
            "North Korea fired two cruise missiles toward the Yellow Sea from Nampo on Tuesday \
             afternoon, hours after a ballistic missile launch, South Korea's Joint Chiefs of \
             Staff said.",
        ),
        (
            "y3",
            "Kim Yo-jong slams S. Korea over leaflets",
            "Kim Yo-jong, the powerful sister of North Korean leader Kim Jong-un, denounced \
             South Korea on Tuesday over anti-Pyongyang leaflets sent across the border by activists.",
        ),
        (
            "y4",
            "Kim Yo-jong rejects Japan's summit proposal",
            "Kim Yo-jong, the powerful sister of North Korean leader Kim Jong-un, said on \
             Tuesday that Pyongyang has no interest in a summit with Japan.",
        ),
        (
            "k1",
            "북한, 동해상으로 탄도미사일 발사…합참 \"추가 분석 중\"",
            "북한은 26일 오전 동해상으로 단거리 탄도미사일 1발을 발사했다고 합동참모본부가 밝혔다.",
        ),
        (
            "k2",
            "북한, 서해상으로 순항미사일 여러 발 발사",
            "북한이 26일 오후 서해상으로 순항미사일 여러 발을 발사했다고 합동참모본부가 밝혔다. \
             오전 탄도미사일 발사에 이어 하루 두 번째 도발이다.",
        ),
    ];
    let srv = Server::start();
    let rows: Vec<(Option<&str>, Option<String>, &str, &str)> = items
        .iter()
        .map(|(g, t, d)| (Some(*g), Some(format!("https://n.example/{g}")), *t, *d))
        .collect();
    let rows: Vec<(Option<&str>, Option<&str>, &str, &str)> = rows
        .iter()
        .map(|(g, l, t, d)| (*g, l.as_deref(), *t, *d))
        .collect();
    srv.route("/n", Route::rss(rss("N", &rows)));
    let setup = Setup::new(&[("n", &srv.url("/n"))], "");
    let config = setup.config();
    assert_eq!(poll(&config).stats().new, 6);
    let all = stories(&config);
    assert_eq!(all.len(), 6, "{all:#?}");
}

#[test]
fn restart_and_repoll_keep_story_membership() {
    let srv = Server::start();
    let wire = |extra: &str| {
        rss(
            "Yonhap",
            &[
                (
                    Some("a1"),
                    Some("https://en.yna.co.kr/view/a1"),
                    "N. Korea fires ballistic missile into East Sea: JCS",
                    &format!("SEOUL, March 26 (Yonhap) -- {LEDE}{extra}"),
                ),
                (
                    Some("a2"),
                    Some("https://en.yna.co.kr/view/a2"),
                    "Seoul shares open higher on chip gains",
                    "South Korean stocks opened higher on Tuesday, led by chipmakers.",
                ),
            ],
        )
    };
    srv.route("/y", Route::rss(wire("")));
    srv.route(
        "/h",
        Route::rss(rss(
            "Herald",
            &[(
                Some("h1"),
                Some("https://www.koreaherald.com/view.php?ud=1"),
                "North Korea fires ballistic missile into East Sea",
                &format!("By Yonhap {LEDE}"),
            )],
        )),
    );
    let setup = Setup::new(&[("y", &srv.url("/y")), ("h", &srv.url("/h"))], "");
    let config = setup.config();
    poll(&config);
    let membership = |config| {
        let mut m: Vec<(i64, Option<i64>)> = common::stored(config)
            .iter()
            .map(|i| (i.id, i.story_id))
            .collect();
        m.sort();
        m
    };
    let before = membership(&config);
    assert_eq!(stories(&config).len(), 2);
    // Each `poll` opens the database afresh (a restart); the wire item is edited in place.
    srv.route(
        "/y",
        Route::rss(wire(" The launch came days after drills.")),
    );
    let again = poll(&config);
    assert_eq!((again.stats().new, again.stats().updated), (0, 1));
    poll(&config);
    assert_eq!(membership(&config), before);
    let all = stories(&config);
    assert_eq!(all.len(), 2);
    let missile = all.iter().find(|s| s.outlets == 2).unwrap();
    assert_eq!(missile.updates, 1, "the in-place edit counts as an update");
    let grouping = |config| {
        let mut groups: Vec<Vec<i64>> = stories(config)
            .iter()
            .map(|s| s.members.iter().map(|m| m.item.id).collect())
            .collect();
        groups.sort();
        groups
    };
    let grouped = grouping(&config);
    assert_eq!(grouped.iter().map(Vec::len).max(), Some(2));
    // Re-clustering the whole range under the same rules gives the same grouping.
    let out = setup.run(&["restory", "--since", "2024-01-01"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("3 items since")
            && stdout(&out).contains("2 stories before, 2 after"),
        "{}",
        stdout(&out)
    );
    assert_eq!(grouping(&config), grouped);
    let missile = stories(&config)
        .into_iter()
        .find(|s| s.outlets == 2)
        .unwrap();
    assert_eq!(missile.updates, 1, "restory keeps the update count");
}

#[test]
fn story_commands_report_bad_input() {
    let setup = Setup::new(&[], "");
    let out = setup.run(&["restory", "--since", "whenever"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--since"), "{}", stderr(&out));
    let out = setup.run(&["show", "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("does not exist yet"),
        "{}",
        stderr(&out)
    );
    let setup = Setup::new(&[], "[stories]\nwindow = \"soon\"\n");
    let out = setup.run(&["list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("stories.window"), "{}", stderr(&out));
}

/// `restory` applies rules that changed: here a wider window joins a story's two halves.
#[test]
fn restory_regroups_after_the_window_changes() {
    let srv = Server::start();
    let item = |guid: &str, day: u32, title: &str| {
        format!(
            "<item><title>{title}</title><guid isPermaLink=\"false\">{guid}</guid>\
             <link>https://en.yna.co.kr/view/{guid}</link><description>SEOUL (Yonhap) -- {LEDE}</description>\
             <pubDate>{day:02} Mar 2024 10:00:00 +0900</pubDate></item>"
        )
    };
    let body = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Y</title>{}{}</channel></rss>",
        item(
            "d1",
            20,
            "N. Korea fires ballistic missile into East Sea: JCS"
        ),
        item(
            "d5",
            25,
            "(LEAD) N. Korea fires ballistic missile into East Sea: JCS"
        ),
    );
    srv.route("/y", Route::rss(body));
    let setup = Setup::new(&[("y", &srv.url("/y"))], "");
    let config = setup.config();
    poll(&config);
    assert_eq!(
        stories(&config).len(),
        2,
        "five days apart: outside the 72h window"
    );

    // The same config with a seven-day window, then restory.
    let path = setup.config_path();
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}\n[stories]\nwindow = \"7d\"\n")).unwrap();
    let out = setup.run(&["restory", "--since", "2024-03-01", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["items"], 2);
    assert_eq!(v["stories_before"], 2);
    assert_eq!(v["stories_after"], 1);
    let all = stories(&config);
    assert_eq!(all.len(), 1);
    assert_eq!((all[0].items, all[0].updates), (2, 1));
}
