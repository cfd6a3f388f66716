//! `aggregator poll --once`: fetch every feed once, store, match, print one summary line.

use std::io::Write;
use std::sync::Arc;

use anyhow::Context;

use super::{CliError, CliResult};
use crate::alert::dispatch::{Dispatcher, PassStats};
use crate::config::Config;
use crate::refresh::{self, FeedOutcome};
use crate::store::{Store, StoreOptions, Writer};

pub fn run(config: &Config) -> CliResult {
    let watch = Arc::new(
        crate::watch::WatchSet::from_config(config).map_err(|e| CliError::Usage(e.into()))?,
    );
    let store = Store::open(&config.database, StoreOptions::from_config(config))?;
    let runtime = refresh::runtime().context("cannot start the async runtime")?;
    let writer = {
        let _in_runtime = runtime.enter();
        Arc::new(Writer::spawn(store))
    };
    // Stored items first meet watchlists changed since the last poll or daemon run (as the
    // daemon does at start); the items this poll brings are matched as they are stored.
    let rechecked = runtime.block_on(crate::recheck::recheck(
        config,
        watch.clone(),
        &writer,
        None,
    ));
    let summary = match rechecked {
        Ok(r) => Ok((
            r,
            runtime.block_on(refresh::poll_once(config, watch, writer.clone())),
        )),
        Err(e) => Err(e),
    };
    drop(runtime);
    if let Ok(w) = Arc::try_unwrap(writer) {
        w.close();
    }
    let (rechecked, summary) = summary?;
    let summary = summary?;
    let stats = summary.stats();
    if let Some(r) = rechecked.filter(|r| r.items > 0) {
        writeln!(
            std::io::stdout(),
            "rematch: watchlists changed since the last run; {} stored items re-checked: {} matches added, {} removed, {} changed",
            r.items,
            r.added,
            r.removed,
            r.changed
        )?;
    }
    // Alerts raised now (and any still due from earlier) go out before exiting: cron users
    // have no daemon to send them.
    let deliveries = deliver_due(config)?;
    let failed: Vec<String> = summary
        .feeds
        .iter()
        .filter(|f| matches!(f.outcome, FeedOutcome::Failed { .. }))
        .map(|f| crate::text::clean_line(&f.name))
        .collect();
    let failed_names = if failed.is_empty() {
        String::new()
    } else {
        format!(" ({})", failed.join(", "))
    };
    writeln!(
        std::io::stdout(),
        "poll: feeds {} ok ({} not modified), {} failed{}; items {} new, {} updated; matches {}",
        summary.ok(),
        summary.not_modified(),
        summary.failed(),
        failed_names,
        stats.new,
        stats.updated,
        stats.matches,
    )?;
    for line in skipped_lines(&summary.skipped) {
        writeln!(std::io::stdout(), "{line}")?;
    }
    if !config.sinks.is_empty() || deliveries != PassStats::default() {
        writeln!(
            std::io::stdout(),
            "alerts: {} raised; {} delivered, {} to retry, {} failed",
            stats.alerts,
            deliveries.delivered,
            deliveries.retrying,
            deliveries.failed
        )?;
    }
    if !summary.feeds.is_empty() && summary.ok() == 0 {
        return Err(CliError::Runtime(anyhow::anyhow!(
            "every feed failed; see the log lines above or `aggregator feeds`"
        )));
    }
    Ok(())
}

/// Attempts every alert delivery that is due, once (see [`Dispatcher::pass`]).
pub fn deliver_due(config: &Config) -> Result<PassStats, CliError> {
    let runtime = refresh::runtime().context("cannot start the async runtime")?;
    let store = Store::open(&config.database, StoreOptions::from_config(config))?;
    let writer = {
        let _in_runtime = runtime.enter();
        Arc::new(Writer::spawn(store))
    };
    let stats = runtime.block_on(async {
        let d = Dispatcher::new(
            writer.clone(),
            crate::alert::dispatch::Routing::from_config(config),
            &config.defaults.user_agent,
        )?;
        d.pass().await
    });
    drop(runtime);
    if let Ok(w) = Arc::try_unwrap(writer) {
        w.close();
    }
    Ok(stats?)
}

/// One line per paused host: `skipped: 3 feeds of wire.example (Retry-After until 14:05)`, the
/// time local (with the date when it is not today).
fn skipped_lines(skipped: &[refresh::Skipped]) -> Vec<String> {
    let mut by_host: std::collections::BTreeMap<&str, (usize, chrono::DateTime<chrono::Utc>)> =
        std::collections::BTreeMap::new();
    for s in skipped {
        let e = by_host.entry(s.host.as_str()).or_insert((0, s.until));
        e.0 += 1;
        e.1 = e.1.max(s.until);
    }
    let today = chrono::Local::now().date_naive();
    by_host
        .into_iter()
        .map(|(host, (n, until))| {
            let local = until.with_timezone(&chrono::Local);
            let when = if local.date_naive() == today {
                local.format("%H:%M").to_string()
            } else {
                local.format("%Y-%m-%d %H:%M").to_string()
            };
            let feeds = if n == 1 { "feed" } else { "feeds" };
            format!(
                "skipped: {n} {feeds} of {} (Retry-After until {when})",
                crate::text::clean_line(host)
            )
        })
        .collect()
}
