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

/// An argon2id PHC string of `password`, as `aggregator user add` writes it.
fn phc(password: &str) -> String {
    use argon2::PasswordHasher;
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .unwrap()
        .to_string()
}

fn user_table(name: &str) -> String {
    format!(
        "[[web.user]]\nname = \"{name}\"\npassword_hash = \"{}\"\n",
        phc("pw")
    )
}

#[test]
fn web_defaults_to_disabled_on_loopback_without_users() {
    let d = tempfile::tempdir().unwrap();
    let c = load(&write(d.path(), "a.toml", "database = \"x.db\"\n")).unwrap();
    assert_eq!(c.web, WebConfig::default());
    assert!(!c.web.enabled);
    assert_eq!(c.web.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.web.session, Duration::from_secs(12 * 3600));
    assert!(c.web.users.is_empty() && c.web.base_url.is_none() && c.web.trusted_proxy.is_none());

    let c = load(&write(
        d.path(),
        "b.toml",
        "[web]\nenabled = true\nbase_url = \"https://desk.example.com/agg\"\nsession_hours = 8\n",
    ))
    .unwrap();
    assert!(c.web.enabled);
    assert_eq!(c.web.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.web.session, Duration::from_secs(8 * 3600));
    // The path ends in `/`, so links join below it.
    let base = c.web.base_url.unwrap();
    assert_eq!(
        base.join("story/1").unwrap().as_str(),
        "https://desk.example.com/agg/story/1"
    );
}

#[test]
fn web_listen_beyond_loopback_needs_users_or_a_proxy() {
    let e = err("[web]\nenabled = true\nlisten = \"0.0.0.0:8080\"\n", None);
    assert!(
        e.starts_with("DIR/a.toml:3:10: web.listen: 0.0.0.0:8080 is reachable from other machines"),
        "{e}"
    );
    // Loopback, v4 or v6, needs neither.
    for addr in ["127.0.0.1:9000", "[::1]:9000"] {
        let d = tempfile::tempdir().unwrap();
        let p = write(d.path(), "a.toml", &format!("[web]\nlisten = \"{addr}\"\n"));
        assert_eq!(load(&p).unwrap().web.listen.to_string(), addr);
    }
    let d = tempfile::tempdir().unwrap();
    let with_users = format!("[web]\nlisten = \"0.0.0.0:8080\"\n{}", user_table("kim"));
    let c = load(&write(d.path(), "u.toml", &with_users)).unwrap();
    assert_eq!(c.web.listen.to_string(), "0.0.0.0:8080");
    assert_eq!(c.web.users.len(), 1);
    assert_eq!(c.web.users[0].name, "kim");
    assert!(c.web.users[0].password_hash.starts_with("$argon2id$"));
    let with_proxy = "[web]\nlisten = \"[::]:8080\"\ntrusted_proxy = \"X-Forwarded-User\"\n";
    let c = load(&write(d.path(), "p.toml", with_proxy)).unwrap();
    assert_eq!(c.web.trusted_proxy.as_deref(), Some("X-Forwarded-User"));
    assert!(c.web.users.is_empty());
}

#[test]
fn web_users_are_checked_where_they_are_written() {
    let e = err(
        "[web]\nenabled = true\n\n[[web.user]]\nname = \"kim\"\npassword_hash = \"hunter2\"\n",
        None,
    );
    assert!(
        e.starts_with("DIR/a.toml:6:17: web.user.password_hash: user \"kim\": not a PHC string"),
        "{e}"
    );
    assert!(!e.contains("hunter2"), "the value is not echoed: {e}");
    let e = err(
        "[[web.user]]\nname = \"kim\"\npassword_hash = \"$pbkdf2-sha256$i=1000$c2FsdHNhbHQ$aGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGg\"\n",
        None,
    );
    assert!(
        e.contains("a.toml:3:17: web.user.password_hash: user \"kim\": algorithm \"pbkdf2-sha256\" is not argon2"),
        "{e}"
    );
    let e = err(&format!("{}{}", user_table("kim"), user_table("kim")), None);
    assert!(
        e.starts_with(
            "DIR/a.toml:5:8: web.user.name: duplicate user name \"kim\" (first defined on line 2)"
        ),
        "{e}"
    );
    let e = err(&user_table("kim:lee"), None);
    assert!(
        e.contains("a.toml:2:8: web.user.name: must not contain ':'"),
        "{e}"
    );
    let e = err(&user_table(""), None);
    assert!(
        e.contains("a.toml:2:8: web.user.name: must be non-empty"),
        "{e}"
    );
}

#[test]
fn web_token_hashes_and_other_keys() {
    let hash = "A".repeat(64);
    let d = tempfile::tempdir().unwrap();
    let body = format!("{}tokens = [\"{hash}\"]\n", user_table("kim"));
    let c = load(&write(d.path(), "a.toml", &body)).unwrap();
    assert_eq!(c.web.users[0].token_hashes, vec!["a".repeat(64)]);
    assert!(
        !format!("{:?}", c.web).contains(&"a".repeat(64)),
        "Debug hides hashes"
    );

    let e = err(
        &format!("{}tokens = [\"agg_0123\"]\n", user_table("kim")),
        None,
    );
    assert!(
        e.contains("a.toml:4:11: web.user.tokens: user \"kim\": this is a token, not its hash"),
        "{e}"
    );
    let twice = format!(
        "{}tokens = [\"{hash}\"]\n{}tokens = [\"{hash}\"]\n",
        user_table("kim"),
        user_table("lee")
    );
    let e = err(&twice, None);
    assert!(
        e.contains("a.toml:8:11: web.user.tokens: user \"lee\": this token hash is already given to user \"kim\" (line 4)"),
        "{e}"
    );
    let e = err("[web]\nbase_url = \"ftp://desk.example.com/\"\n", None);
    assert!(e.starts_with("DIR/a.toml:2:12: web.base_url:"), "{e}");
    let e = err("[web]\ntrusted_proxy = \"X Forwarded User\"\n", None);
    assert!(e.starts_with("DIR/a.toml:2:17: web.trusted_proxy:"), "{e}");
    let e = err("[web]\nsession_hours = 0\n", None);
    assert!(
        e.starts_with("DIR/a.toml:2:17: web.session_hours: 0 is out of range (1 to 720)"),
        "{e}"
    );
    let e = err("[web]\nlisten = \"localhost\"\n", None);
    assert!(
        e.starts_with("DIR/a.toml:2:10: web.listen: \"localhost\" is not an address"),
        "{e}"
    );
    let e = err("[web]\nport = 8080\n", None);
    assert!(e.starts_with("DIR/a.toml:2:1: unknown field `port`"), "{e}");
    let e = err("[[web.user]]\nname = \"kim\"\npassword = \"pw\"\n", None);
    assert!(
        e.starts_with("DIR/a.toml:3:1: unknown field `password`"),
        "{e}"
    );
}
