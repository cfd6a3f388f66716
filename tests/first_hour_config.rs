//! The first hour with the tool (issue 13), configuration side: reports run without the alert
//! secrets and with a broken watchlist file; reports on a database that does not exist say so;
//! IANA zones; normalised paths; one log line for a new database; what the install needs.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;
use serde_json::Value;

/// Runs the binary with `setup`'s config and exactly the environment variables given (besides
/// the basics), so a test controls `DESK_TOKEN` and `AGGREGATOR_DATABASE`.
fn run_env(config: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aggregator"));
    cmd.env_remove("AGGREGATOR_CONFIG")
        .env_remove("AGGREGATOR_DATABASE")
        .env_remove("RUST_LOG")
        .env_remove("DESK_TOKEN")
        .env("COLUMNS", "120")
        .arg("--config")
        .arg(config)
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run aggregator")
}

/// A setup with one feed (served from a file) that matches the `dprk-japan` watchlist, and a
/// webhook sink whose token comes from `DESK_TOKEN`.
fn setup_with_secret_sink() -> Setup {
    let setup = Setup::new(&[], "");
    let feed = setup.dir.path().join("wire.xml");
    std::fs::write(
        &feed,
        rss(
            "Wire",
            &[(
                Some("a"),
                Some("https://w.example/1"),
                "Kishida visits Seoul",
                "talks",
            )],
        ),
    )
    .unwrap();
    let mut cfg = std::fs::read_to_string(setup.config_path()).unwrap();
    cfg.push_str(
        "\n[[feed]]\nname = \"wire\"\nurl = \"wire.xml\"\n\n[[sink]]\nname = \"desk\"\ntype = \"webhook\"\nurl = \"http://127.0.0.1:9/hook\"\nheaders = { Authorization = \"Bearer ${DESK_TOKEN}\" }\n",
    );
    std::fs::write(setup.config_path(), cfg).unwrap();
    setup
}

const REPORTS: &[&[&str]] = &[
    &["list"],
    &["list", "--items", "--format", "json"],
    &["show", "1"],
    &["search", "Kishida"],
    &["stats"],
    &["status"],
    &["status", "--alerts"],
    &["feeds"],
];

#[test]
fn reports_run_without_the_sink_secrets() {
    let setup = setup_with_secret_sink();
    let cfg = setup.config_path();
    // Matching and delivering need the secret...
    let out = run_env(&cfg, &["poll", "--once"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("environment variable DESK_TOKEN is not set"),
        "{}",
        stderr(&out)
    );
    let out = run_env(&cfg, &["poll", "--once"], &[("DESK_TOKEN", "t0k3n")]);
    assert!(out.status.success(), "{}", stderr(&out));
    // ...reports do not (the README's root shell, token in the unit's EnvironmentFile=).
    for args in REPORTS
        .iter()
        .chain([&["export", "atom", "--watchlist", "dprk-japan"][..]].iter())
    {
        let out = run_env(&cfg, args, &[]);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(
            !stderr(&out).contains("DESK_TOKEN"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    let backup = setup.dir.path().join("copy.db");
    let out = run_env(&cfg, &["backup", backup.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Importing feeds edits the feed list; it needs no secret either.
    let opml = setup.dir.path().join("more.opml");
    std::fs::write(
        &opml,
        "<?xml version=\"1.0\"?><opml version=\"2.0\"><head><title>t</title></head><body>\
         <outline type=\"rss\" text=\"More\" xmlUrl=\"https://more.example/rss\"/></body></opml>",
    )
    .unwrap();
    let out = run_env(&cfg, &["feeds", "import", opml.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        std::fs::read_to_string(&cfg)
            .unwrap()
            .contains("https://more.example/rss")
    );
    // `config check` checks everything, the secrets included.
    let out = run_env(&cfg, &["config", "check"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("environment variable DESK_TOKEN is not set"));
}

#[test]
fn a_broken_watchlist_file_is_a_warning_for_reports_and_an_error_for_matching() {
    let setup = setup_with_secret_sink();
    let cfg = setup.config_path();
    let token = [("DESK_TOKEN", "t0k3n")];
    let out = run_env(&cfg, &["poll", "--once"], &token);
    assert!(out.status.success(), "{}", stderr(&out));
    let wfile = setup.dir.path().join("watchlists.toml");
    std::fs::write(
        &wfile,
        "[[watchlist]]\nname = \"x\"\nterms = [\"ok\", \"  \"]\n",
    )
    .unwrap();
    for args in REPORTS {
        let out = run_env(&cfg, args, &token);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("watchlist file not loaded")
                && err.contains(&format!("{}:3:17", wfile.display()))
                && err.contains("empty term"),
            "{args:?}: {err}"
        );
    }
    // A --watchlist filter still finds the stored matches, and the warning says why it may not.
    let out = run_env(
        &cfg,
        &["list", "--watchlist", "dprk-japan", "--format", "json"],
        &token,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stories: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stories.as_array().unwrap().len(), 1, "{stories}");
    assert!(stderr(&out).contains("--watchlist filters use stored matches only"));
    // Whatever matches stays strict.
    for args in [&["poll", "--once"][..], &["rematch"], &["config", "check"]] {
        let out = run_env(&cfg, args, &token);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("{}:3:17", wfile.display())),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    // An unreadable (missing) file: the same, naming it.
    std::fs::remove_file(&wfile).unwrap();
    let out = run_env(&cfg, &["status"], &token);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("cannot read watchlist file {}", wfile.display())),
        "{}",
        stderr(&out)
    );
}

#[test]
fn reports_on_a_missing_database_name_it_and_how_to_find_the_right_one() {
    let setup = setup_with_secret_sink();
    let cfg = setup.config_path();
    let db = setup.db_path();
    for args in REPORTS
        .iter()
        .filter(|a| a[0] != "feeds")
        .chain([&["export", "atom", "--watchlist", "dprk-japan"][..]].iter())
    {
        let out = run_env(&cfg, args, &[]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains(&format!("database {} does not exist yet", db.display()))
                && err.contains("poll --once")
                && err.contains("database =")
                && err.contains("AGGREGATOR_DATABASE"),
            "{args:?}: {err}"
        );
        assert!(!out.stdout.windows(7).any(|w| w == b"no feed"), "{args:?}");
    }
    assert!(!db.exists(), "a report created the database");
    // AGGREGATOR_DATABASE is where a report looks.
    let elsewhere = setup.dir.path().join("state/agg.db");
    let out = run_env(
        &cfg,
        &["status"],
        &[("AGGREGATOR_DATABASE", elsewhere.to_str().unwrap())],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains(&format!("database {} does not", elsewhere.display())));
}

#[test]
fn iana_time_zones_are_accepted_and_follow_daylight_saving_per_item() {
    let setup = Setup::new(&[], "");
    let item = |guid: &str, date: &str| {
        format!(
            "<item><title>Item {guid}</title><guid>{guid}</guid><link>https://w.example/{guid}</link><pubDate>{date}</pubDate></item>"
        )
    };
    let feed = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>NY</title><link>https://w.example/</link>{}{}</channel></rss>",
        item("winter", "2024-01-15 12:00:00"),
        item("summer", "2024-07-15 12:00:00"),
    );
    std::fs::write(setup.dir.path().join("ny.xml"), feed).unwrap();
    let mut cfg = std::fs::read_to_string(setup.config_path()).unwrap();
    cfg = cfg.replace("timezone = \"+09:00\"", "timezone = \"Asia/Seoul\"");
    cfg.push_str("\n[[feed]]\nname = \"ny\"\nurl = \"ny.xml\"\ntimezone = \"America/New_York\"\n");
    std::fs::write(setup.config_path(), &cfg).unwrap();

    let out = setup.run(&["config", "check", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let loaded: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(loaded["feeds"][0]["timezone"], "America/New_York");

    let out = setup.run(&["poll", "--once"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = setup.run(&["list", "--items", "--format", "json"]);
    let items: Value = serde_json::from_slice(&out.stdout).unwrap();
    let published = |guid: &str| {
        items
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["guid"] == guid)
            .map(|i| i["published"].as_str().unwrap().to_string())
            .unwrap()
    };
    // Noon in New York: UTC-5 in January, UTC-4 (daylight saving) in July.
    assert!(
        published("winter").starts_with("2024-01-15T17:00:00"),
        "{items}"
    );
    assert!(
        published("summer").starts_with("2024-07-15T16:00:00"),
        "{items}"
    );

    // A name that is neither an offset nor an IANA zone is refused where it is written.
    std::fs::write(
        setup.config_path(),
        cfg.replace("\"America/New_York\"", "\"America/Gotham\""),
    )
    .unwrap();
    let out = setup.run(&["config", "check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("feed.timezone") && err.contains("IANA zone name like \"Asia/Seoul\""),
        "{err}"
    );
}

#[test]
fn resolved_paths_are_shown_without_dot_dot() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for d in ["config", "lists", "feeds"] {
        std::fs::create_dir(root.join(d)).unwrap();
    }
    std::fs::write(root.join("lists/w.toml"), WATCHLISTS).unwrap();
    std::fs::write(root.join("feeds/f.xml"), rss("F", &[])).unwrap();
    std::fs::write(
        root.join("config/a.toml"),
        "database = \"../target/./demo/agg.db\"\nwatchlists = \"../lists/w.toml\"\n\n[[feed]]\nname = \"f\"\nurl = \"../feeds/f.xml\"\n",
    )
    .unwrap();
    let cfg = root.join("config/../config/a.toml");
    let out = run_env(&cfg, &["config", "check", "--format", "json"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let loaded: Value = serde_json::from_slice(&out.stdout).unwrap();
    let root = root.display().to_string();
    assert_eq!(loaded["config"], format!("{root}/config/a.toml"));
    assert_eq!(loaded["database"], format!("{root}/target/demo/agg.db"));
    assert_eq!(loaded["watchlists_file"], format!("{root}/lists/w.toml"));
    assert_eq!(loaded["feeds"][0]["url"], format!("{root}/feeds/f.xml"));
    let table = stdout(&run_env(&cfg, &["config", "check"], &[]));
    assert!(!table.contains(".."), "{table}");
}

#[test]
fn a_new_database_is_one_log_line() {
    let setup = setup_with_secret_sink();
    let out = run_env(
        &setup.config_path(),
        &["-v", "poll", "--once"],
        &[("DESK_TOKEN", "t")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let created: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("created database"))
        .collect();
    assert_eq!(created.len(), 1, "{err}");
    assert!(
        created[0].contains(&format!(
            "created database at {} (schema ",
            setup.db_path().display()
        )),
        "{err}"
    );
    assert!(!err.contains("schema migrated"), "{err}");
    // Opening it again logs nothing about the schema.
    let out = run_env(
        &setup.config_path(),
        &["-v", "poll", "--once"],
        &[("DESK_TOKEN", "t")],
    );
    assert!(!stderr(&out).contains("database"), "{}", stderr(&out));
}

#[test]
fn the_man_page_names_only_pages_that_exist() {
    let out = run_bin(None, &["man"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let page = stdout(&out);
    // clap_mangen's subcommand list names `aggregator-list(1)` and so on, never generated.
    let refs: Vec<&str> = page
        .split("(1)")
        .filter_map(|before| before.rsplit(char::is_whitespace).next())
        .filter(|w| w.contains("aggregator") && !w.ends_with("aggregator"))
        .collect();
    assert!(refs.is_empty(), "pages named but not generated: {refs:?}");
    assert!(page.contains(".TH aggregator 1"), "{page}");
    assert!(page.contains(".SH SUBCOMMANDS"));
    for sub in [
        "list",
        "status",
        "config check",
        "export atom",
        "feeds import",
    ] {
        let section = format!(".SH \"AGGREGATOR {}\"", sub.to_uppercase());
        assert!(page.contains(&section), "no section {section}");
    }
    assert!(page.contains("\\fBaggregator list\\fR"));
}

#[test]
fn the_install_steps_install_what_the_unit_refers_to() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let unit = std::fs::read_to_string(root.join("systemd/aggregator.service")).unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let install = readme
        .split("### Installing the service")
        .nth(1)
        .and_then(|s| s.split("```sh").nth(1))
        .and_then(|s| s.split("```").next())
        .expect("the README's install steps");
    // The unit's Documentation= file is installed by the steps.
    let doc = unit
        .lines()
        .find_map(|l| l.strip_prefix("Documentation=file:"))
        .expect("Documentation=file:");
    let (doc_dir, doc_name) = doc.rsplit_once('/').unwrap();
    assert!(
        install.lines().any(|l| l.contains("install")
            && l.contains(doc_name)
            && (l.contains(doc) || l.trim_end().ends_with(&format!("{doc_dir}/")))),
        "{doc} is not installed by:\n{install}"
    );
    // The binary is stripped by the release profile (panics still print their message).
    let cargo = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let release = cargo.split("[profile.release]").nth(1).unwrap();
    assert!(
        release
            .lines()
            .any(|l| l.replace(' ', "") == "strip=\"debuginfo\""),
        "{release}"
    );
    assert!(!release.contains("line-tables-only"));
    // Atom files go where a web server can read them: the unit's public runtime directory,
    // not the private state directory.
    assert!(unit.lines().any(|l| l == "RuntimeDirectory=aggregator"));
    assert!(unit.lines().any(|l| l == "RuntimeDirectoryMode=0755"));
    assert!(readme.contains("path = \"/run/aggregator/dprk-japan.atom\""));
    assert!(!readme.contains("path = \"/var/lib/aggregator/dprk-japan.atom\""));
}

/// The README's quick start, step by step on a temporary install (a feed file, a sink whose
/// token is in the environment): each step prints what the README shows it printing.
#[test]
fn the_quick_start_shows_what_each_step_prints() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let quick = readme
        .split("## Quick start: a real install")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("the README's quick start");
    let setup = setup_with_secret_sink();
    let cfg = setup.config_path();
    // The feed's item is dated 2024: replayed as captured an hour after it, it is an hour old.
    let text = std::fs::read_to_string(&cfg).unwrap().replace(
        "url = \"wire.xml\"\n",
        "url = \"wire.xml\"\ncaptured_at = \"2024-03-26T11:00:00+09:00\"\n",
    );
    std::fs::write(&cfg, text).unwrap();
    let token = [("DESK_TOKEN", "t0k3n")];
    let first_lines = |o: &Output, n: usize| -> Vec<String> {
        stdout(o).lines().take(n).map(str::to_string).collect()
    };

    // 4. config check: without the token, the key at fault; with it, what was loaded.
    let out = run_env(&cfg, &["config", "check"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("sink.headers: sink \"desk\": header Authorization: environment variable DESK_TOKEN is not set"), "{}", stderr(&out));
    assert!(
        quick.contains("environment variable DESK_TOKEN is not"),
        "{quick}"
    );
    let out = run_env(&cfg, &["config", "check"], &token);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = first_lines(&out, 4);
    for (line, label) in
        lines
            .iter()
            .zip(["config ok: ", "database: ", "watchlists file: ", "feeds ("])
    {
        assert!(
            line.starts_with(label),
            "{line:?} should start with {label:?}"
        );
        assert!(
            quick.contains(&format!("\n   {label}")),
            "the quick start shows {label:?}"
        );
    }

    // 5. poll --once: the summary line, then the alerts line (a sink is configured).
    let out = run_env(&cfg, &["poll", "--once"], &token);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = first_lines(&out, 2);
    assert!(
        lines[0].starts_with("poll: feeds 1 ok (0 not modified), 0 failed; items 1 new"),
        "{lines:?}"
    );
    assert!(lines[1].starts_with("alerts: 1 raised; "), "{lines:?}");
    assert!(quick.contains("\n   poll: feeds ") && quick.contains("\n   alerts: "));

    // 6. list --since 24h, without the token: the columns the quick start shows.
    let out = run_env(&cfg, &["list", "--since", "24h"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let header: Vec<String> = first_lines(&out, 1)[0]
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let shown = quick
        .lines()
        .find(|l| l.trim_start().starts_with("story  published"))
        .expect("the quick start's list header");
    let shown: Vec<&str> = shown.split_whitespace().collect();
    assert_eq!(header, shown, "{}", stdout(&out));

    // 7. status, without the token.
    let out = run_env(&cfg, &["status"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("wire"), "{}", stdout(&out));
}

/// A database URL this version cannot use is refused by name (password hidden), from the
/// config and from AGGREGATOR_DATABASE alike, and never becomes a directory named `postgres:`.
#[test]
fn a_database_url_is_refused_by_name_and_never_taken_for_a_path() {
    let setup = Setup::new(&[], "");
    let cfg = setup.config_path();
    let text = std::fs::read_to_string(&cfg).unwrap().replace(
        "database = \"agg.db\"",
        "database = \"postgres://desk:s3cret@127.0.0.1:5432/news\"",
    );
    std::fs::write(&cfg, text).unwrap();
    let out = run_env(&cfg, &["poll", "--once"], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("database") && err.contains("postgres://desk@127.0.0.1:5432/news"),
        "{err}"
    );
    assert!(!err.contains("s3cret"), "{err}");
    assert!(!setup.dir.path().join("postgres:").exists());

    let plain = Setup::new(&[], "");
    let out = run_env(
        &plain.config_path(),
        &["status"],
        &[("AGGREGATOR_DATABASE", "mysql://db.example/news")],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("AGGREGATOR_DATABASE") && err.contains("mysql://db.example/news"),
        "{err}"
    );
    // A sqlite: URL names a file.
    let db = plain.dir.path().join("via-url.db");
    let url = format!("sqlite://{}", db.display());
    let out = run_env(
        &plain.config_path(),
        &["poll", "--once"],
        &[("AGGREGATOR_DATABASE", &url)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(db.exists());
}
