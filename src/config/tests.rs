//! Loading whole files: what is accepted, and where each kind of mistake is reported.

use std::time::Duration;

use super::*;

/// Stands in for the watch module's syntax (config does not know it): a blank term is
/// empty, and a `!` is rejected where it stands.
struct Stub;

impl TermSyntax for Stub {
    fn check_term(&self, term: &str) -> Result<(), TermError> {
        if term.trim().is_empty() {
            return Err(TermError {
                offset: 0,
                message: "empty term".into(),
            });
        }
        self.check_query(term)
    }

    fn check_query(&self, query: &str) -> Result<(), TermError> {
        match query.find('!') {
            Some(offset) => Err(TermError {
                offset,
                message: "no ! here".into(),
            }),
            None => Ok(()),
        }
    }
}

fn load(path: &Path) -> Result<Config, ConfigError> {
    super::load(path, &Stub)
}

fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

#[test]
fn loads_minimal_shape_and_resolves_paths() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "watchlists.toml",
        "[[watchlist]]\nname = \"dprk-japan\"\nterms = [\"Kim Yo-jong\", \"\\\"Japan-DPRK summit\\\"\", \"북한\"]\nexclude = [\"K-pop\"]\n",
    );
    let p = write(
        d.path(),
        "aggregator.toml",
        "database = \"aggregator.db\"\nwatchlists = \"watchlists.toml\"\n[[feed]]\nname = \"yonhap-en\"\nurl = \"https://en.yna.co.kr/RSS/news.xml\"\n[[feed]]\nname = \"local\"\nurl = \"samples/a.xml\"\ninterval = \"5m\"\n",
    );
    let c = load(&p).unwrap();
    assert_eq!(c.database, d.path().join("aggregator.db"));
    assert_eq!(c.feeds.len(), 2);
    assert_eq!(c.feeds[1].url.scheme(), "file");
    assert!(c.feeds[1].url.path().ends_with("/samples/a.xml"));
    assert_eq!(c.feeds[1].interval, Duration::from_secs(300));
    assert_eq!(c.watchlists[0].terms.len(), 3);
    assert_eq!(c.watchlists[0].not, vec![TermSpec::from("K-pop")]);
}

fn err(main: &str, watch: Option<&str>) -> String {
    let d = tempfile::tempdir().unwrap();
    if let Some(w) = watch {
        write(d.path(), "w.toml", w);
    }
    let p = write(d.path(), "a.toml", main);
    let e = load(&p).unwrap_err().to_string();
    e.replace(&d.path().display().to_string(), "DIR")
}

#[test]
fn unknown_key_names_file_line_and_key() {
    let e = err(
        "database = \"x.db\"\n[[feed]]\nname = \"a\"\nurl = \"http://a.example/\"\nintervall = \"5m\"\n",
        None,
    );
    assert!(
        e.starts_with("DIR/a.toml:5:1: unknown field `intervall`"),
        "{e}"
    );
}

#[test]
fn duplicate_feed_names() {
    let e = err(
        "[[feed]]\nname = \"a\"\nurl = \"http://a.example/\"\n[[feed]]\nname = \"a\"\nurl = \"http://b.example/\"\n",
        None,
    );
    assert!(
        e.starts_with(
            "DIR/a.toml:5:8: feed.name: duplicate feed name \"a\" (first defined on line 2)"
        ),
        "{e}"
    );
}

#[test]
fn bad_values() {
    let e = err("[defaults]\ninterval = \"soon\"\n", None);
    assert!(
        e.starts_with("DIR/a.toml:2:12: defaults.interval: \"soon\" is not a duration"),
        "{e}"
    );
    let e = err("[[feed]]\nname = \"a\"\nurl = \"ftp://a.example/\"\n", None);
    assert!(
        e.contains("a.toml:3:7: feed.url: feed \"a\": unsupported scheme \"ftp\""),
        "{e}"
    );
    let e = err("[defaults]\ntimezone = \"Mars/Olympus\"\n", None);
    assert!(e.contains("a.toml:2:12: defaults.timezone"), "{e}");
    let e = err(
        "[[feed]]\nname = \"a\"\nurl = \"a.xml\"\ncaptured_at = \"yesterday\"\n",
        None,
    );
    assert!(
        e.contains("a.toml:4:15: feed.captured_at: feed \"a\": \"yesterday\" is not a time"),
        "{e}"
    );
    let e = err("database = 5\n", None);
    assert!(
        e.starts_with("DIR/a.toml:1:12: database: invalid type"),
        "{e}"
    );
    let e = err("[defaults]\nconcurrency = \"8\"\n", None);
    assert!(
        e.starts_with("DIR/a.toml:2:15: defaults.concurrency: invalid type"),
        "{e}"
    );
    let e = err("[[feed]]\nname = \"a\"\nurl = [\"x\"]\n", None);
    assert!(
        e.starts_with("DIR/a.toml:3:7: feed.url: invalid type"),
        "{e}"
    );
}

#[test]
fn broken_web_urls_are_not_taken_for_paths() {
    for url in [
        "https://en.yna.co.kr:99999/RSS/news.xml",
        "http//en.yna.co.kr/RSS/news.xml",
        "https://en yna.co.kr/x",
        "file://otherhost/x.xml",
    ] {
        let e = err(&format!("[[feed]]\nname = \"a\"\nurl = \"{url}\"\n"), None);
        assert!(
            e.contains("a.toml:3:7: feed.url: feed \"a\":"),
            "{url}: {e}"
        );
    }
}

#[test]
fn sinks_are_checked_and_named_by_watchlists() {
    let w = "[[watchlist]]\nname = \"x\"\nterms = [\"a\"]\nalerts = [\"desk\"]\n";
    let e = err("watchlists = \"w.toml\"\n", Some(w));
    assert!(
        e.starts_with(
            "DIR/w.toml:4:11: watchlist.alerts: watchlist \"x\": no [[sink]] is named \"desk\""
        ),
        "{e}"
    );
    let e = err(
        "[[sink]]\nname = \"desk\"\ntype = \"webhook\"\nurl = \"ftp://h/SECRET\"\n",
        None,
    );
    assert!(
        e.starts_with("DIR/a.toml:4:7: sink.url: sink \"desk\": not an http(s) URL"),
        "{e}"
    );
    assert!(!e.contains("SECRET"), "the URL is not echoed: {e}");
    let e = err(
        "[[sink]]\nname = \"desk\"\ntype = \"webhook\"\nurl = \"https://h/x\"\nheaders = { Authorization = \"Bearer ${AGGREGATOR_TEST_UNSET_VAR}\" }\n",
        None,
    );
    assert!(
        e.contains("sink \"desk\": header Authorization: environment variable AGGREGATOR_TEST_UNSET_VAR is not set"),
        "{e}"
    );
    let e = err(
        "[[sink]]\nname = \"p\"\ntype = \"command\"\ncommand = []\n",
        None,
    );
    assert!(e.contains("sink \"p\": the command is empty"), "{e}");
    let e = err("[[sink]]\nname = \"p\"\ntype = \"pigeon\"\n", None);
    assert!(e.contains("unknown type \"pigeon\""), "{e}");
    let e = err("[[atom]]\nwatchlist = \"nope\"\npath = \"x.atom\"\n", None);
    assert!(
        e.starts_with("DIR/a.toml:2:13: atom.watchlist: no watchlist is named \"nope\""),
        "{e}"
    );
}

#[test]
fn unreadable_watchlist_file() {
    let e = err("watchlists = \"missing.toml\"\n", None);
    assert!(
        e.starts_with("DIR/a.toml:1:14: watchlists: cannot read watchlist file DIR/missing.toml"),
        "{e}"
    );
}

#[test]
fn watchlist_errors_name_the_watchlist_file() {
    let e = err(
        "watchlists = \"w.toml\"\n",
        Some("[[watchlist]]\nname = \"x\"\nterms = [\"ok\", \"  \"]\n"),
    );
    assert!(
        e.starts_with("DIR/w.toml:3:17: watchlist.terms: watchlist \"x\": empty term"),
        "{e}"
    );
    let e = err(
        "watchlists = \"w.toml\"\n",
        Some("[[watchlist]]\nname = \"x\"\nterms = []\n"),
    );
    assert!(
        e.contains("w.toml:3:9: watchlist.terms: watchlist \"x\" has no terms"),
        "{e}"
    );
    let e = err(
        "watchlists = \"w.toml\"\n",
        Some("[[watchlist]]\nname = \"x\"\nterm = [\"a\"]\n"),
    );
    assert!(e.contains("w.toml:3:1: unknown field `term`"), "{e}");
}

#[test]
fn rejected_terms_and_queries_are_placed_in_their_file() {
    let e = |rule: &str| {
        err(
            "watchlists = \"w.toml\"\n",
            Some(&format!("[[watchlist]]\nname = \"x\"\n{rule}\n")),
        )
    };
    let got = e("terms = [\"ab!\"]");
    assert!(
        got.starts_with("DIR/w.toml:3:13: watchlist.terms: watchlist \"x\": no ! here"),
        "{got}"
    );
    // Escapes make the value and its literal differ: the literal's start.
    let got = e("terms = [\"a\\\"!\"]");
    assert!(
        got.starts_with("DIR/w.toml:3:10: watchlist.terms:"),
        "{got}"
    );
    let got = e("any = [[\"ok\", \"b!\"]]");
    assert!(got.starts_with("DIR/w.toml:3:17: watchlist.any:"), "{got}");
    let got = e("query = \"\"\"\nKim\nAND !x\"\"\"");
    assert!(
        got.starts_with("DIR/w.toml:5:5: watchlist.query: watchlist \"x\": no ! here"),
        "{got}"
    );
}

#[test]
fn missing_config_file() {
    let e = load(Path::new("/nonexistent/aggregator.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("/nonexistent/aggregator.toml: cannot read config file"),
        "{e}"
    );
}
