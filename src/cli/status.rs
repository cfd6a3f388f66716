//! `aggregator status`: each feed's fetch state and schedule — last fetch and its result, the
//! validators held, the current interval and why, the next poll, the error streak, and stale,
//! overflow, moved or retired marks.

use chrono::Utc;
use serde::Serialize;

use super::output::{self, Fit, ReportTable, local_time, safe};
use std::io::Write;

use super::{CliResult, Format, StatusArgs};
use crate::config::Config;
use crate::store::Reader;
use crate::store::query::FeedRow;

/// One feed as `status --format json` shows it.
#[derive(Serialize)]
struct Status<'a> {
    /// Whether the loaded config still lists the feed.
    configured: bool,
    #[serde(flatten)]
    row: &'a FeedRow,
}

pub fn run(config: &Config, args: &StatusArgs) -> CliResult {
    let width = output::width(args.wide);
    if args.alerts {
        return alerts(config, args.format, width);
    }
    let format = args.format;
    let rows = Reader::feeds_at(&config.database)?;
    let configured = |name: &str| config.feeds.iter().any(|f| f.name == name);
    match format {
        Format::Json => {
            let all: Vec<Status<'_>> = rows
                .iter()
                .map(|row| Status {
                    configured: configured(&row.name),
                    row,
                })
                .collect();
            output::print_json(&all)?;
        }
        Format::Csv => {
            let mut w = output::csv_writer();
            w.write_record([
                "name",
                "url",
                "last_fetch_at",
                "last_result",
                "last_http_status",
                "items_new",
                "items_updated",
                "bytes",
                "elapsed_ms",
                "etag",
                "last_modified",
                "interval_secs",
                "interval_reason",
                "next_poll_at",
                "error_streak",
                "stale",
                "overflow_at",
                "retired_at",
                "last_error",
                "last_warning",
            ])?;
            for r in &rows {
                output::csv_row(
                    &mut w,
                    &[
                        r.name.clone(),
                        r.url.clone(),
                        output::rfc3339(r.last_fetch_at),
                        r.last_result.clone().unwrap_or_default(),
                        r.last_http_status
                            .map(|c| c.to_string())
                            .unwrap_or_default(),
                        output::opt(r.last_items_new),
                        output::opt(r.last_items_updated),
                        output::opt(r.last_bytes),
                        output::opt(r.last_elapsed_ms),
                        r.etag.clone().unwrap_or_default(),
                        r.last_modified.clone().unwrap_or_default(),
                        output::opt(r.interval_secs),
                        r.interval_reason.clone().unwrap_or_default(),
                        output::rfc3339(r.next_poll_at),
                        r.error_streak.to_string(),
                        r.stale.to_string(),
                        output::rfc3339(r.overflow_at),
                        output::rfc3339(r.retired_at),
                        r.last_error.clone().unwrap_or_default(),
                        r.last_warning.clone().unwrap_or_default(),
                    ],
                )?;
            }
            w.flush()?;
        }
        Format::Table => {
            // Narrow screens lose timings, sizes and validators first, then the schedule.
            let mut t = ReportTable::new(
                width,
                &[
                    ("feed", Fit::Keep),
                    ("last fetch", Fit::Keep),
                    ("result", Fit::Keep),
                    ("new/upd", Fit::Drop(4)),
                    ("bytes", Fit::Drop(1)),
                    ("ms", Fit::Drop(0)),
                    ("cache", Fit::Drop(2)),
                    ("interval", Fit::Drop(5)),
                    ("next", Fit::Drop(3)),
                    ("errs", Fit::Keep),
                    ("notes", Fit::Shrink(24)),
                ],
            );
            for r in &rows {
                let result =
                    output::fetch_result(r.last_result.as_deref(), r.last_http_status, &r.url);
                let cache = match (r.etag.is_some(), r.last_modified.is_some()) {
                    (true, true) => "etag+lm",
                    (true, false) => "etag",
                    (false, true) => "lm",
                    (false, false) => "-",
                };
                let interval = match (r.interval_secs, &r.interval_reason) {
                    (Some(s), Some(why)) => format!("{} {why}", output::duration(s)),
                    _ => String::new(),
                };
                let next = r
                    .next_poll_at
                    .filter(|_| r.retired_at.is_none())
                    .map(|t| match (t - Utc::now()).num_seconds() {
                        s if s <= 0 => "due".to_string(),
                        s => format!("in {}", output::duration(s)),
                    })
                    .unwrap_or_default();
                let mut notes = Vec::new();
                if !configured(&r.name) {
                    notes.push("not configured".to_string());
                }
                if r.retired_at.is_some() {
                    notes.push("retired (410)".to_string());
                }
                if r.stale {
                    notes.push("stale".to_string());
                }
                // Only an overflow at the last fetch is news.
                if let Some(at) = r.overflow_at.filter(|at| Some(*at) >= r.last_fetch_at) {
                    notes.push(format!("overflow {}", local_time(at)));
                }
                if r.moved_at.is_some() {
                    notes.push(format!("moved to {}", r.url));
                }
                if let Some(e) = &r.last_error {
                    // The feed's own URL is known; the table keeps the cause.
                    let cause = e.strip_prefix(&format!("{}: ", r.url)).unwrap_or(e);
                    notes.push(cause.to_string());
                }
                if let Some(w) = &r.last_warning {
                    notes.push(w.clone());
                }
                t.add(vec![
                    safe(&r.name),
                    r.last_fetch_at.map(local_time).unwrap_or_default(),
                    result,
                    format!(
                        "{}/{}",
                        output::opt(r.last_items_new),
                        output::opt(r.last_items_updated)
                    ),
                    output::opt(r.last_bytes),
                    output::opt(r.last_elapsed_ms),
                    cache.to_string(),
                    interval,
                    next,
                    r.error_streak.to_string(),
                    safe(&notes.join("; ")),
                ]);
            }
            t.print("no feeds fetched yet")?;
            // Alert delivery problems belong on the same page as feed problems.
            let sinks = Reader::sinks_at(&config.database)?;
            let mut out = std::io::stdout().lock();
            for s in sinks.iter().filter(|s| s.failed > 0 || s.retrying > 0) {
                writeln!(
                    out,
                    "alerts: sink {}: {} failed, {} retrying, {} pending, {} delivered; last error {}: {}",
                    safe(&s.sink),
                    s.failed,
                    s.retrying,
                    s.pending,
                    s.delivered,
                    s.last_error_at.map(local_time).unwrap_or_default(),
                    safe(s.last_error.as_deref().unwrap_or("")),
                )?;
            }
        }
    }
    Ok(())
}

/// `status --alerts`: the alert outbox per sink.
fn alerts(config: &Config, format: Format, width: Option<usize>) -> CliResult {
    let sinks = Reader::sinks_at(&config.database)?;
    match format {
        Format::Json => output::print_json(&sinks)?,
        Format::Csv => {
            let mut w = output::csv_writer();
            w.write_record([
                "sink",
                "configured",
                "pending",
                "retrying",
                "delivered",
                "failed",
                "last_delivered_at",
                "last_error_at",
                "last_error",
            ])?;
            for s in &sinks {
                output::csv_row(
                    &mut w,
                    &[
                        s.sink.clone(),
                        config.sinks.iter().any(|c| c.name == s.sink).to_string(),
                        s.pending.to_string(),
                        s.retrying.to_string(),
                        s.delivered.to_string(),
                        s.failed.to_string(),
                        output::rfc3339(s.last_delivered_at),
                        output::rfc3339(s.last_error_at),
                        s.last_error.clone().unwrap_or_default(),
                    ],
                )?;
            }
            w.flush()?;
        }
        Format::Table => {
            let mut t = ReportTable::new(
                width,
                &[
                    ("sink", Fit::Keep),
                    ("pending", Fit::Keep),
                    ("retrying", Fit::Keep),
                    ("delivered", Fit::Keep),
                    ("failed", Fit::Keep),
                    ("last delivered", Fit::Keep),
                    ("last error", Fit::Shrink(24)),
                ],
            );
            for s in &sinks {
                let error = match (&s.last_error, s.last_error_at) {
                    (Some(e), Some(at)) => format!("{} {}", local_time(at), safe(e)),
                    _ => String::new(),
                };
                t.add(vec![
                    safe(&s.sink),
                    s.pending.to_string(),
                    s.retrying.to_string(),
                    s.delivered.to_string(),
                    s.failed.to_string(),
                    s.last_delivered_at.map(local_time).unwrap_or_default(),
                    error,
                ]);
            }
            t.print("no alerts queued yet")?;
        }
    }
    Ok(())
}
