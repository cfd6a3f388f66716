//! `aggregator prune [--dry-run] [--vacuum]`: applies the `[retention]` policy now (the daemon
//! does it daily) and gives the space back to the file system.

use std::io::Write;

use chrono::Utc;

use super::output;
use super::{CliError, CliResult, Format, PruneArgs};
use crate::config::Config;
use crate::store::{Store, StoreOptions};

pub fn run(config: &Config, args: &PruneArgs) -> CliResult {
    if !config.database.exists() {
        return Err(CliError::Runtime(anyhow::anyhow!(
            "database {} does not exist yet: nothing to prune",
            config.database.display()
        )));
    }
    let stats = if args.dry_run {
        crate::store::maintenance::dry_run(&config.database, &config.retention, Utc::now())?
    } else {
        let mut store = Store::open(&config.database, StoreOptions::from_config(config))?;
        let mut stats = store.prune(&config.retention, Utc::now(), false)?;
        if args.vacuum {
            store.vacuum()?;
            stats.bytes_after = std::fs::metadata(&config.database).map_or(0, |m| m.len());
        }
        stats
    };
    let keep = |d: Option<std::time::Duration>| match d {
        None => "forever".to_string(),
        Some(d) if d.as_secs() % 86400 == 0 => format!("{}d", d.as_secs() / 86400),
        Some(d) => humantime::format_duration(d).to_string(),
    };
    match args.format {
        Format::Json => output::print_json(&stats)?,
        Format::Csv => {
            let mut w = output::csv_writer();
            w.write_record([
                "dry_run",
                "stories",
                "items",
                "alerts",
                "bytes_before",
                "bytes_after",
            ])?;
            output::csv_row(
                &mut w,
                &[
                    stats.dry_run.to_string(),
                    stats.stories.to_string(),
                    stats.items.to_string(),
                    stats.alerts.to_string(),
                    stats.bytes_before.to_string(),
                    stats.bytes_after.to_string(),
                ],
            )?;
            w.flush()?;
        }
        Format::Table => {
            let verb = if stats.dry_run {
                "would delete"
            } else {
                "deleted"
            };
            writeln!(
                std::io::stdout(),
                "prune (keep stories {}, matched ones {}): {verb} {} stories, {} items, {} alerts; database {} → {} bytes",
                keep(config.retention.items),
                keep(config.retention.matched),
                stats.stories,
                stats.items,
                stats.alerts,
                stats.bytes_before,
                stats.bytes_after,
            )?;
        }
    }
    Ok(())
}
