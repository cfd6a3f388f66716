//! The database file and what is derived from it: a poll killed at any moment leaves each feed
//! with whole fetches (items, validators and schedule together); counters stay right when
//! `prune` or `restory` is killed at any moment; another program's SQLite file is left alone; reports work
//! on a database in a directory they cannot write; `backup` blames the file at fault.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// A small deterministic generator (tests must be repeatable).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

const WORDS: &[&str] = &[
    "harbor", "cabinet", "orchard", "turbine", "glacier", "ledger", "monsoon", "quartz", "village",
    "tariff", "comet", "pension", "rail", "saffron", "voltage", "walnut", "bishop", "canyon",
    "dialect", "ember", "falcon", "granite", "hollow", "island", "jasmine", "kettle", "lantern",
    "meadow", "nickel", "oyster", "pepper", "quiver", "raven", "sable", "thistle", "umber",
    "velvet", "willow", "yonder", "zephyr",
];

/// `feeds` local RSS files of `per_feed` undated items; feeds 2k and 2k+1 carry the same links
/// (so stories have two members from two feeds). Returns the setup, with a retention policy.
fn filled_database(feeds: usize, per_feed: usize) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let mut names = Vec::new();
    for f in 0..feeds {
        let mut rng = Lcg(f as u64 / 2 + 1);
        let mut s = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>F</title>\n",
        );
        for i in 0..per_feed {
            let title: Vec<&str> = (0..7)
                .map(|_| WORDS[rng.next() as usize % WORDS.len()])
                .collect();
            s.push_str(&format!(
                "<item><title>{} {i}</title><link>https://w{}.example/{i}</link></item>\n",
                title.join(" "),
                f / 2
            ));
        }
        s.push_str("</channel></rss>\n");
        let path = dir.path().join(format!("f{f}.xml"));
        std::fs::write(&path, s).unwrap();
        names.push((format!("feed{f:03}"), path.to_str().unwrap().to_string()));
    }
    let pairs: Vec<(&str, &str)> = names
        .iter()
        .map(|(n, p)| (n.as_str(), p.as_str()))
        .collect();
    let setup = Setup::new(&pairs, "concurrency = 8\n");
    let mut cfg = std::fs::read_to_string(setup.config_path()).unwrap();
    cfg.push_str("\n[retention]\nitems = \"10d\"\nmatched = \"10d\"\n");
    std::fs::write(setup.config_path(), cfg).unwrap();
    let out = setup.run(&["poll", "--once"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    drop(dir.keep());
    setup
}

/// Every counter a report reads, checked against the rows it counts; `Err` names the first
/// that is wrong.
fn check_counters(db: &Path) -> Result<(), String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let one = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    let checks = [
        (
            "feeds.item_count",
            "SELECT count(*) FROM feeds f
             WHERE item_count <> (SELECT count(*) FROM items i WHERE i.feed_id = f.id)",
        ),
        (
            "stories.items",
            "SELECT count(*) FROM stories s
             WHERE items <> (SELECT count(*) FROM items i WHERE i.story_id = s.id)",
        ),
        (
            "stories.feeds",
            "SELECT count(*) FROM stories s
             WHERE feeds <> (SELECT count(DISTINCT feed_id) FROM items i WHERE i.story_id = s.id)",
        ),
        (
            "stories.first_item_id",
            "SELECT count(*) FROM stories s WHERE NOT EXISTS
               (SELECT 1 FROM items i WHERE i.id = s.first_item_id AND i.story_id = s.id)",
        ),
        (
            "items.story_id",
            "SELECT count(*) FROM items i WHERE NOT EXISTS
               (SELECT 1 FROM stories s WHERE s.id = i.story_id)",
        ),
        (
            "search index",
            "SELECT abs((SELECT count(*) FROM items) - (SELECT count(*) FROM items_fts))",
        ),
    ];
    for (what, sql) in checks {
        let wrong = one(sql);
        if wrong != 0 {
            return Err(format!("{what}: {wrong} rows wrong"));
        }
    }
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    if ok != "ok" {
        return Err(format!("integrity_check: {ok}"));
    }
    Ok(())
}

/// Runs `args` against a copy of `setup`'s database (as `copy`), killing it with SIGKILL after
/// `after` (or letting it finish when it is done sooner).
/// Runs `args` and kills it (SIGKILL) after `after`; returns whether it was still running.
fn run_killed(setup: &Setup, args: &[&str], after: Duration) -> bool {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aggregator"));
    cmd.env_remove("AGGREGATOR_CONFIG")
        .env_remove("RUST_LOG")
        .arg("--config")
        .arg(setup.config_path())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut p = Process::spawn(cmd);
    let start = Instant::now();
    while start.elapsed() < after && p.alive() {
        std::thread::sleep(Duration::from_millis(2));
    }
    let alive = p.alive();
    if alive {
        p.kill();
    }
    alive
}

/// Copies the database (closed, no WAL) over the live one of `setup`.
fn restore(from: &Path, setup: &Setup) {
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", setup.db_path().display()));
    }
    std::fs::copy(from, setup.db_path()).unwrap();
}

/// How long `args` takes to finish uninterrupted on a fresh copy.
fn full_run(setup: &Setup, pristine: &Path, args: &[&str]) -> Duration {
    restore(pristine, setup);
    let start = Instant::now();
    let out = setup.run(args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    start.elapsed()
}

#[test]
fn counters_stay_right_when_prune_or_restory_is_killed_at_any_moment() {
    let setup = filled_database(80, 150);
    // Every story ages past retention (several prune chunks of 2,000 stories).
    {
        let conn = rusqlite::Connection::open(setup.db_path()).unwrap();
        conn.execute_batch(
            "UPDATE stories SET last_seen = last_seen - 30 * 86400, first_seen = first_seen - 30 * 86400;
             UPDATE items SET first_seen = first_seen - 30 * 86400, sort_ts = sort_ts - 30 * 86400;
             PRAGMA wal_checkpoint(TRUNCATE);",
        )
        .unwrap();
    }
    check_counters(&setup.db_path()).unwrap();
    let pristine = setup.dir.path().join("pristine.db");
    std::fs::copy(setup.db_path(), &pristine).unwrap();

    for (args, seed) in [
        (&["prune"][..], 7u64),
        (&["restory", "--since", "60d"][..], 11),
    ] {
        let whole = full_run(&setup, &pristine, args);
        check_counters(&setup.db_path()).unwrap_or_else(|e| panic!("{args:?} uninterrupted: {e}"));
        let mut rng = Lcg(seed);
        for round in 0..8 {
            restore(&pristine, &setup);
            // Anywhere from the start to a little past the uninterrupted run's end.
            let at = whole.mul_f64((rng.next() % 1000) as f64 / 900.0);
            run_killed(&setup, args, at);
            if let Err(e) = check_counters(&setup.db_path()) {
                panic!("{args:?} killed after {at:?} (round {round}, whole run {whole:?}): {e}");
            }
        }
    }
    // And the report shows the stored counts.
    restore(&pristine, &setup);
    run_killed(&setup, &["prune"], Duration::from_millis(300));
    let out = setup.run(&["feeds", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let conn = rusqlite::Connection::open(setup.db_path()).unwrap();
    for row in rows.as_array().unwrap() {
        let name = row["name"].as_str().unwrap();
        let actual: i64 = conn
            .query_row(
                "SELECT count(*) FROM items i JOIN feeds f ON f.id = i.feed_id WHERE f.name = ?1",
                [name],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            row["state"]["items"].as_i64(),
            Some(actual),
            "{name}: {row}"
        );
    }
}

/// Round `round` of feed `feed`: `items` new items (guids name the round), plain text that
/// makes every item its own story.
fn round_body(feed: usize, round: usize, items: usize) -> String {
    let mut s =
        format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>f{feed}</title>\n");
    for k in 0..items {
        let n = (feed * 7919 + round * 104_729 + k * 31) as u64;
        let words: Vec<&str> = (0..24)
            .map(|j| WORDS[((n >> (j % 5)) as usize + j * 13 + k) % WORDS.len()])
            .collect();
        s.push_str(&format!(
            "<item><guid>f{feed}-r{round}-{k}</guid><title>{} {n}</title><description>{} {n}.</description></item>\n",
            words[..6].join(" "),
            words.join(" ")
        ));
    }
    s.push_str("</channel></rss>\n");
    s
}

/// What one feed's row and items say, if its fetches were not whole.
fn check_whole_fetches(db: &Path, items_per_fetch: usize) -> Result<(), String> {
    let conn = rusqlite::Connection::open(db).map_err(|e| e.to_string())?;
    let mut feeds = conn
        .prepare("SELECT id, name, etag, rounds, last_item_count, next_poll_at FROM feeds")
        .unwrap();
    type Row = (i64, String, Option<String>, i64, Option<i64>, Option<i64>);
    let rows: Vec<Row> = feeds
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (id, name, etag, rounds, last_count, next_poll) in rows {
        let guids: Vec<String> = conn
            .prepare("SELECT guid FROM items WHERE feed_id = ?1")
            .unwrap()
            .query_map([id], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut fetched: Vec<usize> = guids
            .iter()
            .map(|g| g.split('-').nth(1).unwrap()[1..].parse().unwrap())
            .collect();
        fetched.sort_unstable();
        let per_round = fetched.chunk_by(|a, b| a == b).map(<[usize]>::len);
        if per_round.clone().any(|n| n != items_per_fetch) {
            return Err(format!("{name}: a fetch stored in part: {fetched:?}"));
        }
        fetched.dedup();
        let Some(last) = fetched.last() else {
            if etag.is_some() || rounds != 0 {
                return Err(format!(
                    "{name}: no items, but etag {etag:?}, {rounds} rounds"
                ));
            }
            continue;
        };
        let want = format!("\"r{last}\"");
        if etag.as_deref() != Some(want.as_str()) {
            return Err(format!(
                "{name}: items of round {last} stored with the validators {etag:?}"
            ));
        }
        if rounds != fetched.len() as i64
            || last_count != Some(items_per_fetch as i64)
            || next_poll.is_none()
        {
            return Err(format!(
                "{name}: {} fetches stored, but the schedule says {rounds} rounds, last count {last_count:?}, next poll {next_poll:?}",
                fetched.len()
            ));
        }
    }
    Ok(())
}

/// One fetch is one transaction: a `poll --once` killed at any moment leaves every feed with
/// whole fetches, each with its items, its validators and its next poll's plan, or none of it.
#[test]
fn a_poll_killed_at_any_moment_leaves_every_feed_with_whole_fetches() {
    const FEEDS: usize = 40;
    const ITEMS: usize = 30;
    let server = Server::start();
    let urls: Vec<(String, String)> = (0..FEEDS)
        .map(|i| (format!("f{i:02}"), server.url(&format!("/f{i}"))))
        .collect();
    let serve = |round: usize| {
        for i in 0..FEEDS {
            server.route(
                &format!("/f{i}"),
                Route::rss(round_body(i, round, ITEMS)).with_etag(&format!("\"r{round}\"")),
            );
        }
    };
    let feeds: Vec<(&str, &str)> = urls.iter().map(|(n, u)| (n.as_str(), u.as_str())).collect();
    let setup = Setup::new(&feeds, "per_host = 4\n");
    serve(0);
    let start = Instant::now();
    let out = setup.run(&["poll", "--once"]);
    let whole = start.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    check_whole_fetches(&setup.db_path(), ITEMS).unwrap();
    let mut rng = Lcg(23);
    let mut cut_short = 0;
    for round in 1..=10 {
        serve(round);
        // Anywhere from the start to a little past the uninterrupted poll's end.
        let at = whole.mul_f64((rng.next() % 1000) as f64 / 900.0);
        cut_short += usize::from(run_killed(&setup, &["poll", "--once"], at));
        if let Err(e) = check_whole_fetches(&setup.db_path(), ITEMS) {
            panic!("poll killed after {at:?} (round {round}, whole poll {whole:?}): {e}");
        }
    }
    assert!(
        cut_short >= 5,
        "most polls were killed midway: {cut_short} of 10"
    );
}

#[test]
fn another_programs_sqlite_file_is_left_alone() {
    let setup = Setup::new(&[], "");
    let db = setup.db_path();
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); CREATE TABLE feeds (x);",
        )
        .unwrap();
    }
    let before = std::fs::read(&db).unwrap();
    for args in [
        &["poll", "--once"][..],
        &["list"],
        &["status"],
        &["prune"],
        &["backup", "/nonexistent/x.db"],
    ] {
        let out = setup.run(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(&format!(
                "database {} is not an aggregator database",
                db.display()
            )) && err.contains("feeds, notes"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("CREATE"), "SQL shown: {err}");
        assert_eq!(
            std::fs::read(&db).unwrap(),
            before,
            "{args:?} changed the file"
        );
        assert!(
            !Path::new(&format!("{}-wal", db.display())).exists(),
            "{args:?}"
        );
    }
    // An empty file is a new database.
    std::fs::write(&db, b"").unwrap();
    let out = setup.run(&["poll", "--once"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let conn = rusqlite::Connection::open(&db).unwrap();
    let id: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .unwrap();
    assert_eq!(id, aggregator::store::APPLICATION_ID);
}

#[test]
fn backup_of_a_corrupt_database_names_the_source() {
    let setup = Setup::new(&[], "");
    let out = setup.run(&["poll", "--once"]);
    assert!(out.status.success() || out.status.code() == Some(1));
    let db = setup.db_path();
    // Keep the header, scribble over every page after the first.
    let mut bytes = std::fs::read(&db).unwrap();
    for b in bytes.iter_mut().skip(100) {
        *b = 0xA5;
    }
    std::fs::write(&db, &bytes).unwrap();
    let target = setup.dir.path().join("bk.db");
    let out = setup.run(&["backup", target.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("database {}", db.display())),
        "the source is not named: {err}"
    );
    assert!(!err.contains("bk.db"), "the target is blamed: {err}");
    assert!(!target.exists());
}

/// Runs the binary as an unprivileged user when the test runs as root (root writes anywhere).
fn run_unprivileged(setup: &Setup, args: &[&str]) -> std::process::Output {
    let bin = env!("CARGO_BIN_EXE_aggregator");
    let mut cmd = if is_root() {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", bin]);
        c
    } else {
        Command::new(bin)
    };
    cmd.env_remove("AGGREGATOR_CONFIG")
        .env_remove("RUST_LOG")
        .env("COLUMNS", "120")
        .arg("--config")
        .arg(setup.config_path())
        .args(args)
        .output()
        .unwrap()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn reports_work_when_the_database_directory_is_not_writable() {
    let feed = tempfile::tempdir().unwrap();
    let path = feed.path().join("f.xml");
    std::fs::write(
        &path,
        rss(
            "F",
            &[(
                Some("a"),
                Some("https://r.example/a"),
                "Kishida visits Seoul",
                "s",
            )],
        ),
    )
    .unwrap();
    let setup = Setup::new(&[("f", path.to_str().unwrap())], "");
    let out = setup.run(&["poll", "--once"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let db = setup.db_path();
    assert!(!Path::new(&format!("{}-wal", db.display())).exists());
    // The unprivileged user reaches the directory but cannot write in it; the file is 0666.
    chmod(setup.dir.path(), 0o555);
    chmod(&db, 0o666);
    chmod(&setup.config_path(), 0o644);
    chmod(&setup.dir.path().join("watchlists.toml"), 0o644);
    for args in [
        &["list", "--format", "json"][..],
        &["status", "--format", "json"],
        &["search", "Kishida", "--format", "json"],
        &["stats", "--format", "json"],
    ] {
        let out = run_unprivileged(&setup, args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(
            !stderr(&out).contains("readonly"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(!Path::new(&format!("{}-shm", db.display())).exists());
    }
    let out = run_unprivileged(&setup, &["list", "--format", "json"]);
    assert!(
        stdout(&out).contains("Kishida visits Seoul"),
        "{}",
        stdout(&out)
    );
    // A daemon writing (its -wal present, -shm not writable here): a message that says why.
    chmod(setup.dir.path(), 0o755);
    let writer = rusqlite::Connection::open(&db).unwrap();
    writer
        .execute_batch("PRAGMA journal_mode = WAL; UPDATE feeds SET title = 'T';")
        .unwrap();
    chmod(format!("{}-shm", db.display()).as_ref(), 0o644);
    chmod(format!("{}-wal", db.display()).as_ref(), 0o644);
    chmod(setup.dir.path(), 0o555);
    let out = run_unprivileged(&setup, &["list"]);
    chmod(setup.dir.path(), 0o755);
    drop(writer);
    let err = stderr(&out);
    assert!(
        out.status.success() || (err.contains("not writable") && err.contains("sudo aggregator")),
        "{err}"
    );
}

/// `stats` against the rows it counts, computed the plain way (a count per feed, `date()` per
/// row in the local zone), over items spread across days and zones with half-hour offsets.
#[test]
fn stats_agree_with_a_plain_count_in_every_zone() {
    let setup = filled_database(6, 40);
    {
        let conn = rusqlite::Connection::open(setup.db_path()).unwrap();
        // Spread items (and their stories) over ten days, at odd minutes.
        conn.execute_batch(
            "UPDATE items SET first_seen = first_seen - (id * 7919) % (10 * 86400);
             UPDATE stories SET first_seen = (SELECT min(first_seen) FROM items i WHERE i.story_id = stories.id);
             INSERT INTO matches (item_id, watchlist, terms, matched_at)
                 SELECT id, 'w', '[]', first_seen FROM items WHERE id % 3 = 0;",
        )
        .unwrap();
    }
    let conn = rusqlite::Connection::open(setup.db_path()).unwrap();
    let since = chrono::Utc::now() - chrono::Duration::days(6);
    // POSIX zone strings (no time zone database needed): UTC, Seoul, India, Newfoundland.
    for zone in ["UTC0", "KST-9", "IST-5:30", "NST3:30"] {
        let out = Command::new(env!("CARGO_BIN_EXE_aggregator"))
            .env_remove("AGGREGATOR_CONFIG")
            .env("TZ", zone)
            .arg("--config")
            .arg(setup.config_path())
            .args(["stats", "--since", &since.to_rfc3339(), "--format", "json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        let t = since.timestamp();
        // Per day, as SQLite's date() in that zone says.
        let mut plain: Vec<(String, i64, i64, i64)> = Vec::new();
        {
            let mut st = conn
                .prepare(
                    "SELECT d, sum(i), sum(s), sum(m) FROM (
                        SELECT strftime('%Y-%m-%d', first_seen + ?2, 'unixepoch') AS d, 1 AS i, 0 AS s,
                               (SELECT count(*) FROM matches m WHERE m.item_id = items.id) AS m
                        FROM items WHERE first_seen >= ?1
                        UNION ALL
                        SELECT strftime('%Y-%m-%d', first_seen + ?2, 'unixepoch'), 0, 1, 0
                        FROM stories WHERE first_seen >= ?1)
                     GROUP BY d ORDER BY d",
                )
                .unwrap();
            let offset = |zone: &str| -> i64 {
                match zone {
                    "UTC0" => 0,
                    "KST-9" => 9 * 3600,
                    "IST-5:30" => 5 * 3600 + 1800,
                    _ => -(3 * 3600 + 1800),
                }
            };
            let rows = st
                .query_map(rusqlite::params![t, offset(zone)], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .unwrap();
            for r in rows {
                plain.push(r.unwrap());
            }
        }
        let days: Vec<(String, i64, i64, i64)> = v["days"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["day"].as_str().unwrap().to_string(),
                    d["items"].as_i64().unwrap(),
                    d["stories"].as_i64().unwrap(),
                    d["matches"].as_i64().unwrap(),
                )
            })
            .collect();
        assert!(days.len() >= 6, "{zone}: {days:?}");
        assert_eq!(days, plain, "{zone}");
        // Per feed.
        for f in v["feeds"].as_array().unwrap() {
            let name = f["feed"].as_str().unwrap();
            let (items, stories, first): (i64, i64, i64) = conn
                .query_row(
                    "SELECT
                        (SELECT count(*) FROM items i WHERE i.feed_id = f.id AND i.first_seen >= ?2),
                        (SELECT count(DISTINCT story_id) FROM items i WHERE i.feed_id = f.id AND i.first_seen >= ?2),
                        (SELECT count(*) FROM stories s WHERE s.first_feed_id = f.id AND s.first_seen >= ?2)
                     FROM feeds f WHERE f.name = ?1",
                    rusqlite::params![name, t],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .unwrap();
            assert_eq!(
                (
                    f["items"].as_i64(),
                    f["stories"].as_i64(),
                    f["first"].as_i64()
                ),
                (Some(items), Some(stories), Some(first)),
                "{zone}: {name}"
            );
        }
    }
}
