//! `aggregator rematch [--since 7d] [--watchlist NAME] [--alert]`: re-checks stored items
//! against the current watchlists, adding and removing matches (and the stories' watchlists).

use std::io::Write;
use std::sync::Arc;

use anyhow::Context;

use chrono::Utc;

use super::output;
use super::timespec::time_arg;
use super::{CliError, CliResult, Format, RematchArgs};
use crate::config::Config;
use crate::store::alerts::RematchOptions;
use crate::store::{Store, StoreOptions, Writer};

pub fn run(config: &Config, args: &RematchArgs) -> CliResult {
    let since = time_arg(&args.since, "--since", Utc::now())?;
    if let Some(w) = &args.watchlist
        && !config.watchlists.iter().any(|c| &c.name == w)
    {
        tracing::warn!(watchlist = %w, "not a configured watchlist: its stored matches in range are removed");
    }
    if !config.database.exists() {
        return Err(CliError::Runtime(anyhow::anyhow!(
            "database {} does not exist yet: run `aggregator poll --once` first",
            config.database.display()
        )));
    }
    let watch = Arc::new(
        crate::watch::WatchSet::from_config(config).map_err(|e| CliError::Usage(e.into()))?,
    );
    let store = Store::open(&config.database, StoreOptions::from_config(config))?;
    let opts = RematchOptions {
        since: since.timestamp(),
        watchlist: args.watchlist.clone(),
        alerts: args.alert,
    };
    let runtime = crate::refresh::runtime().context("cannot start the async runtime")?;
    let writer = {
        let _in_runtime = runtime.enter();
        Writer::spawn(store)
    };
    let stats = runtime.block_on(crate::recheck::rematch(&writer, watch, &opts, None));
    drop(runtime);
    writer.close();
    let stats = stats?;
    let delivered = if stats.alerts > 0 {
        Some(super::poll::deliver_due(config)?)
    } else {
        None
    };
    match args.format {
        Format::Json => output::print_json(&serde_json::json!({
            "since": since,
            "watchlist": args.watchlist,
            "stats": stats,
        }))?,
        Format::Csv => {
            let mut w = output::csv_writer();
            w.write_record([
                "since",
                "items",
                "added",
                "removed",
                "changed",
                "stories_added",
                "stories_removed",
                "alerts",
            ])?;
            output::csv_row(
                &mut w,
                &[
                    output::rfc3339(Some(since)),
                    stats.items.to_string(),
                    stats.added.to_string(),
                    stats.removed.to_string(),
                    stats.changed.to_string(),
                    stats.stories_added.to_string(),
                    stats.stories_removed.to_string(),
                    stats.alerts.to_string(),
                ],
            )?;
            w.flush()?;
        }
        Format::Table => {
            let mut line = format!(
                "rematch: {} items since {}: matches {} added, {} removed, {} changed; stories {} gained a watchlist, {} lost one",
                stats.items,
                output::local_time(since),
                stats.added,
                stats.removed,
                stats.changed,
                stats.stories_added,
                stats.stories_removed,
            );
            if let Some(d) = delivered {
                line.push_str(&format!(
                    "; alerts {} raised, {} delivered, {} failed",
                    stats.alerts,
                    d.delivered,
                    d.failed + d.retrying
                ));
            }
            writeln!(std::io::stdout(), "{line}")?;
        }
    }
    Ok(())
}
