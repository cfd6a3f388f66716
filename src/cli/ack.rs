//! `aggregator ack STORY-ID [--by NAME] [--note TEXT]` and `aggregator unack STORY-ID`: mark a
//! story as handled for the whole desk (stored in the database, shown by `list` and `show`,
//! left out by `list --unacked`), or take the mark away. Each is one job of the store's writer,
//! safe while the daemon runs.

use std::io::Write;

use chrono::Utc;

use super::{AckArgs, CliError, CliResult, UnackArgs};
use crate::config::Config;
use crate::store::{Store, StoreOptions};

pub fn ack(config: &Config, args: &AckArgs) -> CliResult {
    let by = match &args.by {
        Some(by) if by.trim().is_empty() => {
            return Err(CliError::Usage(anyhow::anyhow!(
                "--by: a name is needed (leave --by out for $USER)"
            )));
        }
        Some(by) => by.trim().to_string(),
        None => default_by(),
    };
    let note = args
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let mut store = Store::open(&config.database, StoreOptions::from_config(config))?;
    if !store.acknowledge(args.story_id, &by, note, Utc::now())? {
        return Err(no_story(config, args.story_id));
    }
    tracing::info!(story = args.story_id, by = %by, "story acknowledged");
    writeln!(
        std::io::stdout(),
        "story {} acknowledged by {}",
        args.story_id,
        super::output::safe(&by)
    )?;
    Ok(())
}

pub fn unack(config: &Config, args: &UnackArgs) -> CliResult {
    let mut store = Store::open(&config.database, StoreOptions::from_config(config))?;
    if !store.unacknowledge(args.story_id)? {
        return Err(no_story(config, args.story_id));
    }
    tracing::info!(story = args.story_id, "story acknowledgement removed");
    writeln!(
        std::io::stdout(),
        "story {} not acknowledged",
        args.story_id
    )?;
    Ok(())
}

/// Who acknowledges when `--by` is not given: the login name, else "cli".
fn default_by() -> String {
    std::env::var("USER")
        .ok()
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "cli".to_string())
}

fn no_story(config: &Config, id: i64) -> CliError {
    CliError::Runtime(anyhow::anyhow!(
        "no story {id} in {}; `aggregator list` shows story ids",
        config.database.display()
    ))
}
