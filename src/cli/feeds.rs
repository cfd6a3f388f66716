//! `aggregator feeds`: the configured feeds with their last fetch result; `feeds export` writes
//! them as OPML, `feeds import FILE.opml` adds an OPML file's new feeds to the config file.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::output::{self, Cell, Fit, ReportTable, local_time, safe};
use super::{
    CliError, CliResult, FeedsArgs, FeedsCommand, FeedsExportArgs, FeedsImportArgs, Format,
};
use crate::config::Config;
use crate::opml::{self, ExportFeed, Outcome};
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
        None => list(config, args.format, output::width(args.wide)),
        Some(FeedsCommand::Export(a)) => export(config, a),
        Some(FeedsCommand::Import(a)) => import(config, config_path, a),
    }
}

fn export(config: &Config, args: &FeedsExportArgs) -> CliResult {
    let stored = Reader::feeds_at(&config.database)?;
    let feeds: Vec<ExportFeed<'_>> = config
        .feeds
        .iter()
        .map(|f| {
            let row = stored.iter().find(|s| s.name == f.name);
            ExportFeed {
                name: &f.name,
                title: row.and_then(|s| s.title.as_deref()),
                url: f.url.as_str(),
                html_url: row.and_then(|s| s.site_link.as_deref()),
            }
        })
        .collect();
    let xml = opml::render(&feeds, chrono::Utc::now());
    match &args.output {
        Some(path) => crate::export::write_atomically(path, xml.as_bytes())?,
        None => std::io::stdout().lock().write_all(xml.as_bytes())?,
    }
    Ok(())
}

/// An import's result as JSON shows it.
#[derive(Serialize)]
struct Report<'a> {
    dry_run: bool,
    added: Vec<Added<'a>>,
    skipped: Vec<Skipped<'a>>,
}

#[derive(Serialize)]
struct Added<'a> {
    name: &'a str,
    url: &'a str,
}

#[derive(Serialize)]
struct Skipped<'a> {
    name: &'a str,
    url: &'a str,
    reason: &'a str,
}

fn import(config: &Config, config_path: &Path, args: &FeedsImportArgs) -> CliResult {
    let feeds = opml::read_file(&args.file).map_err(|e| CliError::Usage(e.into()))?;
    let configured: Vec<(&str, &url::Url)> = config
        .feeds
        .iter()
        .map(|f| (f.name.as_str(), &f.url))
        .collect();
    let plan = opml::plan_import(&feeds, &configured);
    let new: Vec<(String, String)> = plan
        .iter()
        .filter(|o| o.skipped.is_none())
        .map(|o| (o.name.clone(), o.url.clone()))
        .collect();
    if !args.dry_run && !new.is_empty() {
        // The config loaded a moment ago, so it is UTF-8 TOML: edit that file's text.
        let text = std::fs::read_to_string(config_path).map_err(|source| {
            crate::config::ConfigError::Read {
                path: config_path.to_path_buf(),
                source,
            }
        })?;
        let edited = opml::add_feeds_to_config(&text, &new).map_err(|e| {
            anyhow::Error::new(e).context(format!("{}: feeds not added", config_path.display()))
        })?;
        opml::replace_config(config_path, &edited)?;
    }
    report(&plan, args.format, args.dry_run)
}

fn report(plan: &[Outcome], format: Format, dry_run: bool) -> CliResult {
    let added = plan.iter().filter(|o| o.skipped.is_none()).count();
    let skipped = plan.len() - added;
    match format {
        Format::Json => output::print_json(&Report {
            dry_run,
            added: plan
                .iter()
                .filter(|o| o.skipped.is_none())
                .map(|o| Added {
                    name: &o.name,
                    url: &o.url,
                })
                .collect(),
            skipped: plan
                .iter()
                .filter_map(|o| {
                    o.skipped.as_deref().map(|reason| Skipped {
                        name: &o.name,
                        url: &o.url,
                        reason,
                    })
                })
                .collect(),
        })?,
        Format::Csv => {
            let mut w = output::csv_writer();
            w.write_record(["action", "name", "url", "reason"])?;
            for o in plan {
                let (action, reason) = match &o.skipped {
                    None => ("added", String::new()),
                    Some(r) => ("skipped", r.clone()),
                };
                output::csv_row(
                    &mut w,
                    &[action.into(), o.name.clone(), o.url.clone(), reason],
                )?;
            }
            w.flush()?;
        }
        Format::Table => {
            let mut out = std::io::stdout().lock();
            for o in plan {
                let (name, url) = (safe(&o.name), safe(&o.url));
                match &o.skipped {
                    None if dry_run => writeln!(out, "would add {name} {url}")?,
                    None => writeln!(out, "added {name} {url}")?,
                    Some(r) => writeln!(out, "skipped {name} {url} ({})", safe(r))?,
                }
            }
            let feeds = if added == 1 { "feed" } else { "feeds" };
            if dry_run {
                writeln!(
                    out,
                    "would import {added} {feeds}, skipped {skipped} (dry run: the config is unchanged)"
                )?;
            } else {
                writeln!(out, "imported {added} {feeds}, skipped {skipped}")?;
            }
        }
    }
    Ok(())
}

fn list(config: &Config, format: Format, width: Option<usize>) -> CliResult {
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
                "last_warning",
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
                        s.and_then(|s| s.last_warning.clone()).unwrap_or_default(),
                    ],
                )?;
            }
            w.flush()?;
        }
        Format::Table => {
            let mut t = ReportTable::new(
                width,
                &[
                    ("feed", Fit::Keep),
                    ("last fetch", Fit::Keep),
                    ("result", Fit::Keep),
                    ("new", Fit::Drop(1)),
                    ("upd", Fit::Drop(0)),
                    ("items", Fit::Keep),
                    ("url / error", Fit::Shrink(30)),
                ],
            );
            for r in &rows {
                let s = r.state;
                let result = output::fetch_result(
                    s.and_then(|s| s.last_result.as_deref()),
                    s.and_then(|s| s.last_http_status),
                    &r.url,
                );
                // An error (or a warning about the last body) is read from its start; an
                // address by its host and its end.
                let problem = s.and_then(|s| s.last_error.as_deref().or(s.last_warning.as_deref()));
                let detail = match problem {
                    Some(e) => Cell::from(safe(e)),
                    None => Cell::url(safe(&r.url)),
                };
                t.row(vec![
                    safe(r.name).into(),
                    s.and_then(|s| s.last_fetch_at)
                        .map(local_time)
                        .unwrap_or_default()
                        .into(),
                    result.into(),
                    output::opt(s.and_then(|s| s.last_items_new)).into(),
                    output::opt(s.and_then(|s| s.last_items_updated)).into(),
                    output::opt(s.map(|s| s.items)).into(),
                    detail,
                ]);
            }
            t.print("no feeds configured")?;
        }
    }
    Ok(())
}
