//! The watchlists page and its editor over HTTP, against `aggregator run` with `[web]` on
//! 127.0.0.1:0 (open access on loopback: everyone is `local`): a mistake is shown beside its
//! field with its line:col and nothing is written; a fix is written in place (comments and
//! mode kept), reloaded by the daemon and logged; the re-check offer matches stored items; a
//! form without its CSRF token is refused.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use common::web::{Reply, WebDaemon, hidden};
use common::*;

const WATCHLISTS: &str = "# Watchlists of the Seoul desk.\n\n[[watchlist]]\nname = \"dprk\"\nterms = [\"Kishida\", \"Kim Yo-jong\"]  # names\npriority = \"high\"\n";

/// The form's keys, in the page's order.
const KEYS: [&str; 12] = [
    "name",
    "description",
    "terms",
    "any",
    "all",
    "not",
    "exclude",
    "query",
    "fields",
    "feeds",
    "priority",
    "alerts",
];

struct Desk {
    setup: Setup,
    web: WebDaemon,
}

impl Desk {
    /// A daemon with the web view on (no users: loopback only), one feed file polled once, the
    /// daemon's own re-check after a reload off (`[rematch] window = "0s"`, so the offered one
    /// is what re-checks); waits until the feed is stored.
    fn start() -> Desk {
        let setup = Setup::new(&[], "");
        std::fs::write(
            setup.dir.path().join("wire.xml"),
            rss(
                "Wire",
                &[
                    (
                        Some("w1"),
                        Some("https://w.example/1"),
                        "Kishida visits Seoul",
                        "talks",
                    ),
                    (
                        Some("w2"),
                        Some("https://w.example/2"),
                        "LNG prices rise in Asia",
                        "markets",
                    ),
                ],
            ),
        )
        .unwrap();
        std::fs::write(self_watchlists(&setup), WATCHLISTS).unwrap();
        std::fs::set_permissions(
            self_watchlists(&setup),
            std::fs::Permissions::from_mode(0o640),
        )
        .unwrap();
        let mut cfg = std::fs::read_to_string(setup.config_path()).unwrap();
        cfg.push_str("\n[[feed]]\nname = \"wire\"\nurl = \"wire.xml\"\ninterval = \"1h\"\n\n[rematch]\nwindow = \"0s\"\n\n[web]\nenabled = true\nlisten = \"127.0.0.1:0\"\n");
        std::fs::write(setup.config_path(), cfg).unwrap();
        let web = WebDaemon::start(&setup, 1);
        Desk { setup, web }
    }

    fn file(&self) -> PathBuf {
        self_watchlists(&self.setup)
    }

    fn get(&self, path: &str) -> Reply {
        self.web.get(path, &[])
    }

    fn post(&self, path: &str, headers: &[(&str, &str)], form: &[(&str, &str)]) -> Reply {
        self.web.post(path, headers, form)
    }

    /// Saves the form at `path` with `fields` (the others empty), as a browser sends it.
    fn save(&self, path: &str, csrf: &str, version: &str, fields: &[(&str, &str)]) -> Reply {
        let mut form = vec![("csrf", csrf), ("version", version)];
        for k in KEYS {
            let v = fields.iter().find(|(f, _)| *f == k).map_or("", |(_, v)| *v);
            form.push((k, v));
        }
        self.post(path, &[], &form)
    }

    /// Waits for a log line containing `text`.
    fn wait_for(&self, text: &str) {
        self.web.wait_for_log(text);
    }
}

fn self_watchlists(setup: &Setup) -> PathBuf {
    setup.dir.path().join("watchlists.toml")
}

/// The text of the element with id `id` (up to its closing tag).
fn element<'a>(page: &'a str, id: &str) -> Option<&'a str> {
    let at = page.find(&format!("id=\"{id}\""))?;
    let rest = &page[at..];
    let start = rest.find('>')? + 1;
    let end = rest.find("</")?;
    Some(&rest[start..end])
}

/// Whether `text` holds `file:LINE:COL`.
fn has_line_col(text: &str, file: &str) -> bool {
    text.match_indices(file).any(|(i, _)| {
        let rest = &text[i + file.len()..];
        let mut parts = rest.splitn(3, ':');
        parts.next() == Some("")
            && parts
                .next()
                .is_some_and(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_digit()))
            && parts
                .next()
                .is_some_and(|c| c.chars().next().is_some_and(|c| c.is_ascii_digit()))
    })
}

#[test]
fn editing_a_watchlist_from_the_browser() {
    let desk = Desk::start();
    let r = desk.get("/watchlists");
    assert_eq!(r.status, 200);
    assert!(r.body.contains("href=\"/watchlists\">Watchlists</a>"));
    assert!(
        r.body.contains("<a href=\"/watchlists/dprk\">dprk</a>"),
        "{}",
        r.body
    );
    assert!(r.body.contains("Kishida, Kim Yo-jong"));

    let form = desk.get("/watchlists/dprk");
    assert_eq!(form.status, 200);
    assert!(form.body.contains("<label for=\"wl-query\">"));
    let (csrf, version) = (hidden(&form.body, "csrf"), hidden(&form.body, "version"));
    let terms = "[\"Kishida\", \"Kim Yo-jong\", \"LNG\"]";

    // A mistake in the query: shown beside the query field with its line:col; nothing written.
    let r = desk.save(
        "/watchlists/dprk",
        &csrf,
        &version,
        &[
            ("name", "dprk"),
            ("terms", terms),
            ("query", "(LNG OR Kishida"),
            ("priority", "high"),
        ],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    let error = element(&r.body, "error-query").expect("an error beside the query field");
    assert!(has_line_col(error, "watchlists.toml"), "{error}");
    assert!(error.contains("never closed"), "{error}");
    assert!(r.body.contains("aria-invalid=\"true\""));
    // What the editor typed is shown again, escaped.
    assert!(r.body.contains("value=\"(LNG OR Kishida\""), "{}", r.body);
    assert_eq!(std::fs::read_to_string(desk.file()).unwrap(), WATCHLISTS);

    // Fixed: written in place, comments and mode kept.
    let r = desk.save(
        "/watchlists/dprk",
        &csrf,
        &version,
        &[
            ("name", "dprk"),
            ("terms", terms),
            ("query", "LNG OR Kishida"),
            ("priority", "high"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let saved = element(&r.body, "saved").expect("what the save changed");
    assert!(saved.contains("changed: terms, query"), "{saved}");
    let text = std::fs::read_to_string(desk.file()).unwrap();
    assert_eq!(
        text,
        "# Watchlists of the Seoul desk.\n\n[[watchlist]]\nname = \"dprk\"\nterms = [\"Kishida\", \"Kim Yo-jong\", \"LNG\"]  # names\npriority = \"high\"\nquery = \"LNG OR Kishida\"\n"
    );
    let mode = std::fs::metadata(desk.file()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
    // The daemon reloads as on SIGHUP.
    desk.wait_for("configuration reloaded");

    // Saving the form shown before the save again is refused: the file changed since.
    let r = desk.save(
        "/watchlists/dprk",
        &csrf,
        &version,
        &[("name", "dprk"), ("terms", "[\"Kishida\"]")],
    );
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(std::fs::read_to_string(desk.file()).unwrap(), text);

    // The change is logged: who, the table before and after; the page shows it.
    let log = aggregator::store::Reader::open(&desk.setup.db_path())
        .unwrap()
        .watchlist_changes(10)
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].changed_by.as_str(), log[0].watchlist.as_str()),
        ("local", "dprk")
    );
    assert!(!log[0].before.as_deref().unwrap().contains("query"));
    assert!(
        log[0]
            .after
            .as_deref()
            .unwrap()
            .contains("query = \"LNG OR Kishida\"")
    );
    let page = desk.get("/watchlists");
    assert!(
        page.body.contains("<b>local</b> changed dprk"),
        "{}",
        page.body
    );
    assert!(page.body.contains("LNG OR Kishida"));

    // The re-check offer: the stored LNG item now matches.
    let r = desk.post(
        "/watchlists/dprk/recheck",
        &[],
        &[("csrf", &csrf), ("days", "7")],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let done = element(&r.body, "rechecked").expect("the re-check's counts");
    assert!(done.contains("Re-checked 2 stored item(s)"), "{done}");
    assert!(done.contains("1 match(es) added"), "{done}");
    let listed = desk
        .setup
        .run(&["list", "--watchlist", "dprk", "--format", "json"]);
    assert!(
        stdout(&listed).contains("LNG prices rise in Asia"),
        "{}",
        stdout(&listed)
    );

    // A new watchlist goes at the end of the file.
    let form = desk.get("/watchlists/new");
    let version = hidden(&form.body, "version");
    let r = desk.save(
        "/watchlists/new",
        &csrf,
        &version,
        &[("name", "energy"), ("terms", "[\"LNG\"]")],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let after = std::fs::read_to_string(desk.file()).unwrap();
    assert!(after.starts_with(&text), "{after}");
    assert!(after.ends_with("[[watchlist]]\nname = \"energy\"\nterms = [\"LNG\"]\n"));
}

#[test]
fn watchlist_forms_need_their_csrf_token() {
    let desk = Desk::start();
    let form = desk.get("/watchlists/dprk");
    let (csrf, version) = (hidden(&form.body, "csrf"), hidden(&form.body, "version"));
    let fields = [("name", "dprk"), ("terms", "[\"Kishida\"]")];
    assert_eq!(
        desk.save("/watchlists/dprk", "", &version, &fields).status,
        403
    );
    assert_eq!(
        desk.save("/watchlists/dprk", "forged", &version, &fields)
            .status,
        403
    );
    let r = desk.post(
        "/watchlists/dprk",
        &[("Origin", "https://evil.example")],
        &[("csrf", &csrf), ("version", &version), ("name", "dprk")],
    );
    assert_eq!(r.status, 403);
    let r = desk.post("/watchlists/dprk/recheck", &[], &[("days", "7")]);
    assert_eq!(r.status, 403);
    assert_eq!(std::fs::read_to_string(desk.file()).unwrap(), WATCHLISTS);
    assert!(
        aggregator::store::Reader::open(&desk.setup.db_path())
            .unwrap()
            .watchlist_changes(10)
            .unwrap()
            .is_empty()
    );
}
