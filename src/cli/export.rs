//! `aggregator export atom --watchlist NAME [--since 7d] [--limit N] [--output PATH]`: an Atom
//! feed of a watchlist's stories.

use std::io::Write;

use chrono::Utc;

use super::timespec::time_arg;
use super::{AtomArgs, CliError, CliResult};
use crate::config::Config;
use crate::export::{AtomFeed, render_atom, watchlist_stories, write_atomically};
use crate::store::Reader;

pub fn atom(config: &Config, args: &AtomArgs) -> CliResult {
    let now = Utc::now();
    let since = time_arg(&args.since, "--since", now)?;
    let Some(spec) = config.watchlists.iter().find(|w| w.name == args.watchlist) else {
        return Err(CliError::Usage(anyhow::anyhow!(
            "no watchlist is named {:?} (configured: {})",
            args.watchlist,
            config
                .watchlists
                .iter()
                .map(|w| w.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let reader = Reader::open(&config.database)?;
    let stories = watchlist_stories(&reader, &spec.name, Some(since), args.limit)?;
    let xml = render_atom(&AtomFeed {
        watchlist: &spec.name,
        description: spec.description.as_deref(),
        stories: &stories,
        now,
    });
    match &args.output {
        Some(path) => write_atomically(path, xml.as_bytes())?,
        None => std::io::stdout().lock().write_all(xml.as_bytes())?,
    }
    Ok(())
}
