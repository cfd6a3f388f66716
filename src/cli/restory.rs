//! `aggregator restory --since WHEN`: re-clusters the stored items from a time on into stories
//! under the current rules and story window, in one transaction.

use std::io::Write;

use chrono::Utc;

use super::output;
use super::timespec::time_arg;
use super::{CliError, CliResult, Format, RestoryArgs};
use crate::config::Config;
use crate::store::{Store, StoreOptions};

pub fn run(config: &Config, args: &RestoryArgs) -> CliResult {
    let since = time_arg(&args.since, "--since", Utc::now())?;
    if !config.database.exists() {
        return Err(CliError::Runtime(anyhow::anyhow!(
            "database {} does not exist yet: run `aggregator poll --once` first",
            config.database.display()
        )));
    }
    let mut store = Store::open(&config.database, StoreOptions::from_config(config))?;
    let stats = store.restory(since)?;
    tracing::info!(
        since = %since,
        items = stats.items,
        before = stats.stories_before,
        after = stats.stories_after,
        "restory done"
    );
    match args.format {
        Format::Json => output::print_json(&serde_json::json!({
            "since": since,
            "items": stats.items,
            "stories_before": stats.stories_before,
            "stories_after": stats.stories_after,
        }))?,
        Format::Csv => {
            let mut w = output::csv_writer();
            w.write_record(["since", "items", "stories_before", "stories_after"])?;
            output::csv_row(
                &mut w,
                &[
                    output::rfc3339(Some(since)),
                    stats.items.to_string(),
                    stats.stories_before.to_string(),
                    stats.stories_after.to_string(),
                ],
            )?;
            w.flush()?;
        }
        Format::Table => writeln!(
            std::io::stdout(),
            "restory: {} items since {}: {} stories before, {} after",
            stats.items,
            output::local_time(since),
            stats.stories_before,
            stats.stories_after
        )?,
    }
    Ok(())
}
