//! `aggregator status`: each feed's fetch state and schedule — last fetch and its result, the
//! validators held, the current interval and why, the next poll, the error streak, and stale,
//! overflow, moved or retired marks.

use chrono::Utc;
use serde::Serialize;

use super::output::{self, add_row, local_time, safe};
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
    if args.alerts {
        return alerts(config, args.format);
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
                    ],
                )?;
            }
            w.flush()?;
        }
        Format::Table => {
            let mut t = output::table(&[
                "feed",
                "last fetch",
                "result",
                "new/upd",
                "bytes",
                "ms",
                "cache",
                "interval",
                "next",
                "errs",
                "notes",
            ]);
            for r in &rows {
                let result = match (&r.last_result, r.last_http_status) {
                    (None, _) => "never".to_string(),
                    (Some(res), Some(code)) => format!("{res} {code}"),
                    (Some(res), None) => res.clone(),
                };
                let cache = match (r.etag.is_some(), r.last_modified.is_some()) {
                    (true, true) => "etag+lm",
                    (true, false) => "etag",
                    (false, true) => "lm",
                    (false, false) => "-",
                };
                let interval = match (r.interval_secs, &r.interval_reason) {
                    (Some(s), Some(why)) => format!("{} {why}", short(s)),
                    _ => String::new(),
                };
                let next = r
                    .next_poll_at
                    .filter(|_| r.retired_at.is_none())
                    .map(|t| match (t - Utc::now()).num_seconds() {
                        s if s <= 0 => "due".to_string(),
                        s => format!("in {}", short(s)),
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
                add_row(
                    &mut t,
                    vec![
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
                    ],
                );
            }
            output::print_table(&t, "no feeds fetched yet")?;
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
fn alerts(config: &Config, format: Format) -> CliResult {
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
            let mut t = output::table(&[
                "sink",
                "pending",
                "retrying",
                "delivered",
                "failed",
                "last delivered",
                "last error",
            ]);
            for s in &sinks {
                let error = match (&s.last_error, s.last_error_at) {
                    (Some(e), Some(at)) => format!("{} {}", local_time(at), safe(e)),
                    _ => String::new(),
                };
                add_row(
                    &mut t,
                    vec![
                        safe(&s.sink),
                        s.pending.to_string(),
                        s.retrying.to_string(),
                        s.delivered.to_string(),
                        s.failed.to_string(),
                        s.last_delivered_at.map(local_time).unwrap_or_default(),
                        error,
                    ],
                );
            }
            output::print_table(&t, "no alerts queued yet")?;
        }
    }
    Ok(())
}

/// 90 → "1m30s", 3600 → "1h".
fn short(secs: i64) -> String {
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    match (h, m, s) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s}s"),
        (h, 0, _) => format!("{h}h"),
        (h, m, _) => format!("{h}h{m}m"),
    }
}
