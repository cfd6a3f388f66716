//! The service unit and the service protocol: the unit verifies clean and is hardened to an
//! exposure of at most 1.5 (`systemd-analyze`), and the daemon speaks sd_notify (READY, STATUS,
//! WATCHDOG, STOPPING) over `$NOTIFY_SOCKET`.

mod common;

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn unit() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(root.join("systemd/aggregator.service")).unwrap()
}

#[test]
fn unit_verifies_clean() {
    // `verify` checks that ExecStart exists: point it at the binary under test.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aggregator.service");
    std::fs::write(
        &path,
        unit().replace(
            "/usr/local/bin/aggregator",
            env!("CARGO_BIN_EXE_aggregator"),
        ),
    )
    .unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .expect("systemd-analyze");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && text.trim().is_empty(), "{text}");
}

#[test]
fn unit_exposure_is_at_most_1_5() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager"])
        .arg(root.join("systemd/aggregator.service"))
        .output()
        .expect("systemd-analyze");
    let text = String::from_utf8_lossy(&out.stdout);
    let level: f64 = text
        .lines()
        .find_map(|l| {
            l.split("Overall exposure level for aggregator.service:")
                .nth(1)
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in: {text}"));
    assert!(level <= 1.5, "exposure {level}");
}

#[test]
fn unit_runs_the_daemon_as_systemd_expects() {
    let u = unit();
    for line in [
        "Type=notify",
        "ExecStart=/usr/local/bin/aggregator --config /etc/aggregator/aggregator.toml run",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "DynamicUser=yes",
        "StateDirectory=aggregator",
        "ConfigurationDirectory=aggregator",
        "Environment=AGGREGATOR_DATABASE=/var/lib/aggregator/aggregator.db",
        // Atom files for a web server: the state directory is private under DynamicUser=.
        "RuntimeDirectory=aggregator",
        "RuntimeDirectoryMode=0755",
    ] {
        assert!(u.lines().any(|l| l == line), "missing {line}");
    }
    assert!(u.lines().any(|l| l.starts_with("WatchdogSec=")));
}

/// Kills the daemon if the test fails before stopping it.
struct Reap(std::process::Child);

impl Drop for Reap {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

#[test]
fn daemon_speaks_sd_notify() {
    let srv = Server::start();
    srv.route("/f", Route::rss(rss("F", &[(Some("a"), None, "Item", "")])));
    let setup = Setup::new(&[("f", &srv.url("/f"))], "");
    let sock_dir = tempfile::tempdir().unwrap();
    let sock_path = sock_dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut child = Reap(
        Command::new(env!("CARGO_BIN_EXE_aggregator"))
            .args(["--config", setup.config_path().to_str().unwrap(), "run"])
            .env("NOTIFY_SOCKET", &sock_path)
            .env("AGGREGATOR_DATABASE", setup.dir.path().join("moved.db"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut seen = String::new();
    let start = Instant::now();
    let mut buf = [0u8; 4096];
    while !(seen.contains("READY=1") && seen.contains("WATCHDOG=1") && seen.contains("STATUS=")) {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "only got: {seen}"
        );
        if let Ok(n) = sock.recv(&mut buf) {
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
            seen.push('\n');
        }
    }
    assert!(seen.contains("STATUS=1 feeds"), "{seen}");
    Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    while !seen.contains("STOPPING=1") {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no STOPPING: {seen}"
        );
        if let Ok(n) = sock.recv(&mut buf) {
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    }
    let status = child.0.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(
        setup.dir.path().join("moved.db").exists(),
        "AGGREGATOR_DATABASE moves the database"
    );
    assert!(!setup.db_path().exists());
}
