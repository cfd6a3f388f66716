//! `aggregator feeds`: the configured feeds with their last fetch result.

use serde::Serialize;

use super::output::{self, add_row, local_time, safe};
use super::{CliError, CliResult, FeedsArgs, FeedsCommand, Format};
use crate::config::Config;
use crate::refresh::display_url;
use crate::store::Reader;
use crate::store::query::FeedRow;

/// A configured feed and its stored state (absent before the first poll).
#[derive(Serialize)]
struct Row<'a> {
    name: &'a str,
    url: String,
    interval_secs: u64,
    state: Option<&'a FeedRow>,
}

pub fn run(config_path: &std::path::Path, args: &FeedsArgs) -> CliResult {
    let config = &super::load(config_path)?;
    match &args.command {
        None => list(config, args.format),
        Some(FeedsCommand::Export(_)) | Some(FeedsCommand::Import(_)) => Err(CliError::Usage(
            anyhow::anyhow!("not implemented yet"),
        )),
    }
}

fn list(config: &Config, format: Format) -> CliResult {
    let stored = Reader::feeds_at(&config.database)?;
    let rows: Vec<Row<'_>> = config
        .feeds
        .iter()
        .map(|f| Row {
            name: &f.name,
            url: display_url(&f.url),
            interval_secs: f.interval.as_secs(),
            state: stored.iter().find(|s| s.name == f.name),
        })
        .collect();
    match format {
        Format::Json => output::print_json(&rows)?,
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
                "items",
                "error_streak",
                "last_error",
            ])?;
            for r in &rows {
                let s = r.state;
                output::csv_row(
                    &mut w,
                    &[
                        r.name.to_string(),
                        r.url.clone(),
                        output::rfc3339(s.and_then(|s| s.last_fetch_at)),
                        s.and_then(|s| s.last_result.clone()).unwrap_or_default(),
                        output::opt(s.and_then(|s| s.last_http_status)),
                        output::opt(s.and_then(|s| s.last_items_new)),
                        output::opt(s.and_then(|s| s.last_items_updated)),
                        output::opt(s.map(|s| s.items)),
                        output::opt(s.map(|s| s.error_streak)),
                        s.and_then(|s| s.last_error.clone()).unwrap_or_default(),
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
                "new",
                "upd",
                "items",
                "url / error",
            ]);
            for r in &rows {
                let s = r.state;
                let result = match s.and_then(|s| s.last_result.as_deref()) {
                    None => "never".to_string(),
                    Some(res) => match s.and_then(|s| s.last_http_status) {
                        Some(code) => format!("{res} {code}"),
                        None => res.to_string(),
                    },
                };
                let detail = s
                    .and_then(|s| s.last_error.clone())
                    .unwrap_or_else(|| r.url.clone());
                add_row(
                    &mut t,
                    vec![
                        safe(r.name),
                        s.and_then(|s| s.last_fetch_at)
                            .map(local_time)
                            .unwrap_or_default(),
                        result,
                        output::opt(s.and_then(|s| s.last_items_new)),
                        output::opt(s.and_then(|s| s.last_items_updated)),
                        output::opt(s.map(|s| s.items)),
                        safe(&detail),
                    ],
                );
            }
            output::print_table(&t, "no feeds configured")?;
        }
    }
    Ok(())
}
