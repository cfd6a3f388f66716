//! `aggregator stats [--since 7d]`: items and stories per feed and per day, matches per
//! watchlist, and each feed's fetch health.

use std::io::Write;

use chrono::Utc;

use super::output::{self, Fit, ReportTable, local_time, safe};
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
            let width = output::width(args.wide);
            let mut out = std::io::stdout().lock();
            // Everything here counts by when it was seen (stored), not by published date.
            writeln!(
                out,
                "seen since {}: {} items, {} stories, {} matches",
                local_time(stats.since),
                stats.items,
                stats.stories,
                stats.matches
            )?;
            let mut t = ReportTable::new(
                width,
                &[
                    ("feed", Fit::Keep),
                    ("items", Fit::Keep),
                    ("stories", Fit::Keep),
                    ("first", Fit::Keep),
                    ("last result", Fit::Keep),
                    ("errors in a row", Fit::Keep),
                    ("last error", Fit::Shrink(24)),
                ],
            );
            for f in &stats.feeds {
                t.add(vec![
                    safe(&f.feed),
                    f.items.to_string(),
                    f.stories.to_string(),
                    f.first.to_string(),
                    safe(&f.last_result.as_deref().unwrap_or("").replace('_', " ")),
                    f.error_streak.to_string(),
                    safe(f.last_error.as_deref().unwrap_or("")),
                ]);
            }
            writeln!(out)?;
            drop(out);
            t.print("no feeds stored yet")?;
            let keep = |h| (h, Fit::Keep);
            let mut t = ReportTable::new(
                width,
                &[
                    keep("day seen"),
                    keep("items"),
                    keep("stories"),
                    keep("matches"),
                ],
            );
            for d in &stats.days {
                t.add(vec![
                    d.day.clone(),
                    d.items.to_string(),
                    d.stories.to_string(),
                    d.matches.to_string(),
                ]);
            }
            writeln!(std::io::stdout())?;
            t.print("nothing stored in this period")?;
            let mut t = ReportTable::new(
                width,
                &[
                    keep("watchlist"),
                    keep("items"),
                    keep("stories"),
                    keep("alerts"),
                ],
            );
            for l in &stats.watchlists {
                t.add(vec![
                    safe(&l.watchlist),
                    l.items.to_string(),
                    l.stories.to_string(),
                    l.alerts.to_string(),
                ]);
            }
            writeln!(std::io::stdout())?;
            t.print("no watchlist matches")?;
        }
    }
    Ok(())
}
