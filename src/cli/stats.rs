//! `aggregator stats [--since 7d]`: items and stories per feed and per day, matches per
//! watchlist, and each feed's fetch health.

use std::io::Write;

use chrono::Utc;

use super::output::{self, add_row, local_time, safe};
use super::timespec::time_arg;
use super::{CliResult, Format, StatsArgs};
use crate::config::Config;
use crate::store::Reader;

pub fn run(config: &Config, args: &StatsArgs) -> CliResult {
    let since = time_arg(&args.since, "--since", Utc::now())?;
    let stats = Reader::open(&config.database)?.stats(since)?;
    match args.format {
        Format::Json => output::print_json(&stats)?,
        Format::Csv => {
            // One table for all three views: `kind` says which.
            let mut w = output::csv_writer();
            w.write_record([
                "kind",
                "name",
                "items",
                "stories",
                "matches_or_first",
                "alerts_or_errors",
            ])?;
            for f in &stats.feeds {
                output::csv_row(
                    &mut w,
                    &[
                        "feed".into(),
                        f.feed.clone(),
                        f.items.to_string(),
                        f.stories.to_string(),
                        f.first.to_string(),
                        f.error_streak.to_string(),
                    ],
                )?;
            }
            for d in &stats.days {
                output::csv_row(
                    &mut w,
                    &[
                        "day".into(),
                        d.day.clone(),
                        d.items.to_string(),
                        d.stories.to_string(),
                        d.matches.to_string(),
                        String::new(),
                    ],
                )?;
            }
            for l in &stats.watchlists {
                output::csv_row(
                    &mut w,
                    &[
                        "watchlist".into(),
                        l.watchlist.clone(),
                        l.items.to_string(),
                        l.stories.to_string(),
                        String::new(),
                        l.alerts.to_string(),
                    ],
                )?;
            }
            w.flush()?;
        }
        Format::Table => {
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "since {}: {} items, {} stories, {} matches",
                local_time(stats.since),
                stats.items,
                stats.stories,
                stats.matches
            )?;
            let mut t = output::table(&[
                "feed",
                "items",
                "stories",
                "first",
                "last result",
                "errors in a row",
                "last error",
            ]);
            for f in &stats.feeds {
                add_row(
                    &mut t,
                    vec![
                        safe(&f.feed),
                        f.items.to_string(),
                        f.stories.to_string(),
                        f.first.to_string(),
                        safe(f.last_result.as_deref().unwrap_or("")),
                        f.error_streak.to_string(),
                        safe(f.last_error.as_deref().unwrap_or("")),
                    ],
                );
            }
            writeln!(out)?;
            drop(out);
            output::print_table(&t, "no feeds stored yet")?;
            let mut t = output::table(&["day", "items", "stories", "matches"]);
            for d in &stats.days {
                add_row(
                    &mut t,
                    vec![
                        d.day.clone(),
                        d.items.to_string(),
                        d.stories.to_string(),
                        d.matches.to_string(),
                    ],
                );
            }
            writeln!(std::io::stdout())?;
            output::print_table(&t, "nothing stored in this period")?;
            let mut t = output::table(&["watchlist", "items", "stories", "alerts"]);
            for l in &stats.watchlists {
                add_row(
                    &mut t,
                    vec![
                        safe(&l.watchlist),
                        l.items.to_string(),
                        l.stories.to_string(),
                        l.alerts.to_string(),
                    ],
                );
            }
            writeln!(std::io::stdout())?;
            output::print_table(&t, "no watchlist matches")?;
        }
    }
    Ok(())
}
