//! `aggregator user add NAME` and `aggregator user token NAME`: the TOML that gives a web user a
//! password or an API token, printed for the user to add to the main config. Neither edits the
//! config: what goes in it stays the user's decision, and a secret never lands in a file by a
//! redirection (`user token` prints the token on stderr, only its hash on stdout).

use std::io::{BufRead, IsTerminal};
use std::path::Path;

use anyhow::{Context, anyhow};
use clap::{Args, Subcommand};

use super::{CliError, CliResult};
use crate::auth;
use crate::config::{self, Config};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Print a [[web.user]] table (name, argon2id password_hash) to append to the main config;
    /// the password is read without echo from a terminal, or as one line from standard input
    Add(UserArgs),
    /// Make an API token for a web user: the token once on stderr, and on stdout the tokens line
    /// (its SHA-256 hash) for the user's [[web.user]] table
    Token(UserArgs),
}

#[derive(Debug, Args)]
pub struct UserArgs {
    /// The user's name (printable, no ':')
    #[arg(value_name = "NAME")]
    pub name: String,
}

/// Runs `user add` or `user token`; `config` is the main config file, read by `user token` to
/// keep the user's existing tokens in the line it prints.
pub fn run(config: &Path, command: &UserCommand) -> CliResult {
    match command {
        UserCommand::Add(args) => add(&args.name),
        UserCommand::Token(args) => token(config, &args.name),
    }
}

fn add(name: &str) -> CliResult {
    check_name(name)?;
    let password = read_password(name)?;
    let hash = auth::hash_password(&password).map_err(|e| match e {
        auth::AuthError::EmptyPassword => CliError::Usage(anyhow!(
            "the password is empty: a web user needs one (nothing was printed)"
        )),
        other => CliError::Runtime(other.into()),
    })?;
    // A blank line first: appended with `>>`, the table starts on a line of its own.
    println!(
        "\n[[web.user]]\nname = {}\npassword_hash = {}",
        toml_string(name),
        toml_string(&hash)
    );
    Ok(())
}

fn token(config: &Path, name: &str) -> CliResult {
    check_name(name)?;
    let token = auth::new_token();
    let mut hashes = existing_tokens(config, name);
    hashes.push(auth::token_hash(&token));
    eprintln!(
        "API token for {name:?} (shown only now, and stored nowhere: give it to the client; \
         the config keeps its hash):\n{token}"
    );
    let list: Vec<String> = hashes.iter().map(|h| toml_string(h)).collect();
    println!(
        "# in the [[web.user]] table with name = {}, set:\ntokens = [{}]",
        toml_string(name),
        list.join(", ")
    );
    Ok(())
}

/// The token hashes `name` already has in the main config, so the printed line replaces the
/// old one without revoking them; none when the config does not load or has no such user
/// (said on stderr: the line then has to go into a table that does not exist yet).
fn existing_tokens(path: &Path, name: &str) -> Vec<String> {
    if !path.exists() {
        return Vec::new();
    }
    let config: Config = match crate::watch::load_for_reports(path) {
        Ok((config, _)) => config,
        Err(e) => {
            eprintln!("note: the config does not load, so the line has only the new token: {e}");
            return Vec::new();
        }
    };
    match config.web.users.iter().find(|u| u.name == name) {
        Some(user) => user.token_hashes.clone(),
        None => {
            eprintln!(
                "note: {} has no [[web.user]] named {name:?} yet (`aggregator user add {name}` prints one)",
                config.path.display()
            );
            Vec::new()
        }
    }
}

fn check_name(name: &str) -> Result<(), CliError> {
    config::check_user_name(name).map_err(|m| CliError::Usage(anyhow!("user name {name:?}: {m}")))
}

/// The password: asked twice without echo on a terminal, else the first line of standard input
/// (without its line ending; other white space is part of the password).
fn read_password(name: &str) -> Result<String, CliError> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("password for {name}: "))
            .context("cannot read the password from the terminal")?;
        if first.is_empty() {
            return Ok(first);
        }
        let again = rpassword::prompt_password("the same again: ")
            .context("cannot read the password from the terminal")?;
        if again != first {
            return Err(CliError::Usage(anyhow!(
                "the two passwords differ (nothing was printed)"
            )));
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| {
        CliError::Usage(anyhow!("cannot read the password from standard input: {e}"))
    })?;
    let line = line.strip_suffix('\n').unwrap_or(&line);
    Ok(line.strip_suffix('\r').unwrap_or(line).to_string())
}

/// `s` as a TOML string, quoted and escaped.
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}
