//! `aggregator user add` and `user token` as an administrator uses them: what they print goes
//! into the main config, the config loads, and the password and token then sign in.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::*;
use sha2::{Digest, Sha256};

/// Runs the binary with this config and `input` on standard input (a pipe, not a terminal).
fn run_with_stdin(setup: &Setup, args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_aggregator"))
        .env_remove("AGGREGATOR_CONFIG")
        .env_remove("RUST_LOG")
        .arg("--config")
        .arg(setup.config_path())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run aggregator");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn append(setup: &Setup, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(setup.config_path())
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

/// A config whose web view listens beyond loopback: it only loads once a user is added.
fn web_setup() -> Setup {
    let setup = Setup::new(&[], "");
    append(
        &setup,
        "\n[web]\nenabled = true\nlisten = \"0.0.0.0:8080\"\n",
    );
    setup
}

/// `user add NAME` with `password` piped in: its stdout, appended to the config.
fn add_user(setup: &Setup, name: &str, password: &str) -> String {
    let out = run_with_stdin(setup, &["user", "add", name], password);
    assert!(out.status.success(), "{}", stderr(&out));
    append(setup, &stdout(&out));
    stdout(&out)
}

#[test]
fn user_add_prints_a_table_that_loads_and_whose_hash_verifies() {
    let setup = web_setup();
    let before = setup.run(&["config", "check"]);
    assert_eq!(before.status.code(), Some(2), "no users yet");
    assert!(
        stderr(&before).contains("web.listen"),
        "{}",
        stderr(&before)
    );

    let table = add_user(&setup, "Kim Min-ji", "s3cret pass\n");
    assert!(
        table.contains("[[web.user]]\nname = \"Kim Min-ji\"\npassword_hash = \"$argon2id$"),
        "{table}"
    );
    assert!(!table.contains("s3cret"), "{table}");

    let out = setup.run(&["config", "check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("web: enabled, listen 0.0.0.0:8080, sessions 12h"),
        "{text}"
    );
    assert!(text.contains("web users (1): Kim Min-ji"), "{text}");

    let users = setup.config().web.users;
    assert_eq!(users.len(), 1);
    assert!(table.contains(&users[0].password_hash));
    // Everything on the line but its ending is the password, spaces included.
    assert!(aggregator::auth::verify_password(
        &users[0].password_hash,
        "s3cret pass"
    ));
    assert!(!aggregator::auth::verify_password(
        &users[0].password_hash,
        "s3cret"
    ));
    assert!(!aggregator::auth::verify_password(
        &users[0].password_hash,
        "s3cret pass\n"
    ));
}

#[test]
fn user_add_takes_one_line_and_refuses_an_empty_password() {
    let setup = Setup::new(&[], "");
    // A Windows line ending is not part of the password, nor are later lines.
    add_user(&setup, "lee", "pw\r\nsecond line\n");
    let hash = &setup.config().web.users[0].password_hash;
    assert!(aggregator::auth::verify_password(hash, "pw"));

    for input in ["\n", "", "\r\n"] {
        let out = run_with_stdin(&setup, &["user", "add", "park"], input);
        assert_eq!(out.status.code(), Some(2), "{input:?}");
        assert!(stdout(&out).is_empty(), "{input:?}: {}", stdout(&out));
        assert!(
            stderr(&out).contains("the password is empty"),
            "{}",
            stderr(&out)
        );
    }
    let out = run_with_stdin(&setup, &["user", "add", "kim:lee"], "pw\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("must not contain ':'"),
        "{}",
        stderr(&out)
    );
}

/// The token `user token` printed on stderr, and the hashes in the `tokens` line on stdout.
fn token_output(out: &Output) -> (String, Vec<String>) {
    assert!(out.status.success(), "{}", stderr(out));
    let err = stderr(out);
    let token = err
        .split_whitespace()
        .find(|w| w.starts_with("agg_"))
        .unwrap_or_else(|| panic!("no token in {err}"))
        .to_string();
    let text = stdout(out);
    assert!(!text.contains(&token), "the token is not on stdout: {text}");
    let line = text
        .lines()
        .find(|l| l.starts_with("tokens = ["))
        .unwrap_or_else(|| panic!("no tokens line in {text}"));
    let hashes = line
        .trim_start_matches("tokens = [")
        .trim_end_matches(']')
        .split(", ")
        .map(|h| h.trim_matches('"').to_string())
        .collect();
    (token, hashes)
}

#[test]
fn user_token_prints_a_token_whose_hash_is_in_the_printed_line() {
    let setup = web_setup();
    add_user(&setup, "kim", "pw\n");

    let (token, hashes) = token_output(&setup.run(&["user", "token", "kim"]));
    assert!(token.len() > 60, "{token}");
    let sha = format!("{:x}", Sha256::digest(token.as_bytes()));
    assert_eq!(hashes, vec![sha.clone()]);

    // kim's table is the last one: the line goes at its end.
    append(&setup, &format!("tokens = [\"{sha}\"]\n"));
    let out = setup.run(&["config", "check", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("\"tokens\": 1"), "{text}");
    assert!(
        !text.contains(&sha) && !text.contains("$argon2"),
        "no hashes: {text}"
    );

    let users = setup.config().web.users;
    assert_eq!(
        aggregator::auth::token_user(&users, &token).map(|u| u.name.as_str()),
        Some("kim")
    );
    assert!(aggregator::auth::verify_token(&users[0], &token));
    assert!(!aggregator::auth::verify_token(&users[0], &sha));

    // A second token: the line keeps the first one's hash, so replacing it revokes nothing.
    let (second, hashes) = token_output(&setup.run(&["user", "token", "kim"]));
    assert_ne!(second, token);
    assert_eq!(hashes.len(), 2);
    assert_eq!(hashes[0], sha);
    assert_eq!(hashes[1], aggregator::auth::token_hash(&second));
}

#[test]
fn user_token_for_a_user_not_in_the_config_says_so() {
    let setup = Setup::new(&[], "");
    let out = setup.run(&["user", "token", "nobody"]);
    let (token, hashes) = token_output(&out);
    assert_eq!(hashes, vec![aggregator::auth::token_hash(&token)]);
    assert!(
        stderr(&out).contains("no [[web.user]] named \"nobody\""),
        "{}",
        stderr(&out)
    );
}
