//! `aggregator check-feed <URL|PATH>`: fetch and parse one feed without storing it, and show
//! which watchlists of the loaded config each item would match. The body goes through the
//! same [`crate::refresh::prepare`] a poll runs (parse, repeats settled, matching), so the two
//! agree on what a feed carries.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, anyhow};
use chrono::{DateTime, Utc};
use serde::Serialize;
use url::Url;

use super::output::{self, add_row, local_time, safe};
use super::{CheckFeedArgs, CliError, CliResult, Format};
use crate::config::Defaults;
use crate::fetch::{FetchOptions, Fetched, Fetcher, Validators};
use crate::parse::ParseOptions;
use crate::refresh::{display_url, prepare};
use crate::watch::WatchSet;

/// The JSON shape of `check-feed --format json`. Field names are part of the interface.
#[derive(Serialize)]
struct Report {
    feed: FeedInfo,
    items: Vec<ItemInfo>,
}

#[derive(Serialize)]
struct FeedInfo {
    title: Option<String>,
    link: Option<String>,
    updated: Option<DateTime<Utc>>,
    /// What was wrong with the body (`truncated: …`, `12 <item> elements, none readable`).
    warnings: Vec<String>,
}

#[derive(Serialize)]
struct ItemInfo {
    title: String,
    link: Option<String>,
    guid: Option<String>,
    published: Option<DateTime<Utc>>,
    updated: Option<DateTime<Utc>>,
    author: Option<String>,
    summary: Option<String>,
    categories: Vec<String>,
    watchlists: Vec<String>,
    /// The matches in full: terms, fields and snippets.
    matches: Vec<crate::model::Match>,
}

pub fn run(explicit_config: Option<&Path>, config_path: &Path, args: &CheckFeedArgs) -> CliResult {
    // An explicitly named config must load; the default one is used when it exists.
    let config = if explicit_config.is_some() || config_path.exists() {
        Some(crate::watch::load_config(config_path).map_err(|e| CliError::Usage(e.into()))?)
    } else {
        None
    };
    let watch = match &config {
        Some(c) => WatchSet::from_config(c).map_err(|e| CliError::Usage(e.into()))?,
        None => WatchSet::empty(),
    };
    let defaults = config
        .as_ref()
        .map(|c| c.defaults.clone())
        .unwrap_or_default();
    let url = source_url(&args.source).map_err(CliError::Usage)?;
    let body = fetch(&url, &defaults)?;
    let opts = ParseOptions {
        base_url: Some(body.final_url.clone()),
        http_charset: body.charset.clone(),
        default_offset: defaults.timezone,
        date_shift: crate::refresh::date_shift(defaults.captured_at, chrono::Utc::now()),
        cut_short: body.cut_short.is_some(),
    };
    // Watchlists limited to some feeds apply when the source is one of the configured feeds.
    let feed_name = config
        .as_ref()
        .and_then(|c| c.feeds.iter().find(|f| f.url == url))
        .map_or("", |f| f.name.as_str());
    let feed = prepare(&body.bytes, &opts, &watch, feed_name, &[])
        .map_err(|e| CliError::Runtime(anyhow!("{}: {e}", display_url(&url))))?;
    let report = Report {
        feed: FeedInfo {
            title: feed.title,
            link: feed.site_link,
            updated: feed.updated,
            warnings: feed.warnings.iter().map(ToString::to_string).collect(),
        },
        items: feed
            .items
            .into_iter()
            .map(|ready| ItemInfo {
                watchlists: ready.matches.iter().map(|m| m.watchlist.clone()).collect(),
                matches: ready.matches,
                title: ready.item.title,
                link: ready.item.link,
                guid: ready.item.guid,
                published: ready.item.published,
                updated: ready.item.updated,
                author: ready.item.author,
                summary: ready.item.summary,
                categories: ready.item.categories,
            })
            .collect(),
    };
    if args.format != Format::Json {
        for w in &report.feed.warnings {
            eprintln!("warning: {}: {}", display_url(&url), safe(w));
        }
    }
    match args.format {
        Format::Json => output::print_json(&report)?,
        Format::Csv => {
            let mut w = output::csv_writer();
            w.write_record([
                "title",
                "link",
                "guid",
                "published",
                "updated",
                "author",
                "categories",
                "watchlists",
            ])?;
            for i in &report.items {
                output::csv_row(
                    &mut w,
                    &[
                        i.title.clone(),
                        i.link.clone().unwrap_or_default(),
                        i.guid.clone().unwrap_or_default(),
                        output::rfc3339(i.published),
                        output::rfc3339(i.updated),
                        i.author.clone().unwrap_or_default(),
                        i.categories.join(";"),
                        i.watchlists.join(";"),
                    ],
                )?;
            }
            w.flush()?;
        }
        Format::Table => {
            writeln!(
                std::io::stdout(),
                "feed: {} ({} items)",
                safe(report.feed.title.as_deref().unwrap_or("(untitled)")),
                report.items.len()
            )?;
            let mut t = output::table(&["published", "title", "watchlists"]);
            for i in &report.items {
                add_row(
                    &mut t,
                    vec![
                        i.published
                            .or(i.updated)
                            .map(local_time)
                            .unwrap_or_default(),
                        safe(&i.title),
                        safe(&i.watchlists.join(",")),
                    ],
                );
            }
            output::print_table(&t, "no items")?;
        }
    }
    Ok(())
}

/// An http(s) or file URL as given, or a path made absolute.
fn source_url(source: &str) -> anyhow::Result<Url> {
    if let Ok(u) = Url::parse(source)
        && matches!(u.scheme(), "http" | "https" | "file")
    {
        return Ok(u);
    }
    let abs =
        std::path::absolute(source).with_context(|| format!("{source}: not a URL or path"))?;
    Url::from_file_path(&abs).map_err(|_| anyhow!("{source}: not a URL or path"))
}

fn fetch(url: &Url, d: &Defaults) -> Result<crate::fetch::Body, CliError> {
    let fetcher = Fetcher::new(FetchOptions {
        timeout: d.timeout,
        connect_timeout: d.connect_timeout,
        max_body_bytes: d.max_body_bytes,
        user_agent: d.user_agent.clone(),
    })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    match runtime.block_on(fetcher.fetch(url, &Validators::default()))? {
        Fetched::Body(b) => Ok(*b),
        Fetched::NotModified { status, .. } => Err(CliError::Runtime(anyhow!(
            "{}: unexpected HTTP {status} to an unconditional request",
            display_url(url)
        ))),
    }
}
