//! `aggregator config check`: validate both files and show what was loaded.

use std::io::Write;

use serde::Serialize;

use super::output;
use super::{CliResult, Format};
use crate::config::Config;
use crate::refresh::display_url;

#[derive(Serialize)]
struct Loaded<'a> {
    config: String,
    database: String,
    watchlists_file: Option<String>,
    feeds: Vec<LoadedFeed<'a>>,
    watchlists: Vec<LoadedWatchlist<'a>>,
}

#[derive(Serialize)]
struct LoadedFeed<'a> {
    name: &'a str,
    url: String,
    interval_secs: u64,
    timezone: String,
}

#[derive(Serialize)]
struct LoadedWatchlist<'a> {
    name: &'a str,
    terms: &'a [String],
    exclude: &'a [String],
}

pub fn run(config: &Config, format: Format) -> CliResult {
    let loaded = Loaded {
        config: config.path.display().to_string(),
        database: config.database.display().to_string(),
        watchlists_file: config
            .watchlists_path
            .as_ref()
            .map(|p| p.display().to_string()),
        feeds: config
            .feeds
            .iter()
            .map(|f| LoadedFeed {
                name: &f.name,
                url: display_url(&f.url),
                interval_secs: f.interval.as_secs(),
                timezone: f.timezone.to_string(),
            })
            .collect(),
        watchlists: config
            .watchlists
            .iter()
            .map(|w| LoadedWatchlist {
                name: &w.name,
                terms: &w.terms,
                exclude: &w.exclude,
            })
            .collect(),
    };
    if format == Format::Json {
        output::print_json(&loaded)?;
        return Ok(());
    }
    let safe = output::safe;
    let mut out = std::io::stdout().lock();
    writeln!(out, "config ok: {}", safe(&loaded.config))?;
    writeln!(out, "database: {}", safe(&loaded.database))?;
    writeln!(
        out,
        "watchlists file: {}",
        safe(loaded.watchlists_file.as_deref().unwrap_or("(none)"))
    )?;
    writeln!(out, "feeds ({}):", loaded.feeds.len())?;
    for f in &loaded.feeds {
        writeln!(
            out,
            "  {}  {}  every {}  dates without zone: {}",
            safe(f.name),
            safe(&f.url),
            humantime::format_duration(std::time::Duration::from_secs(f.interval_secs)),
            f.timezone
        )?;
    }
    writeln!(out, "watchlists ({}):", loaded.watchlists.len())?;
    for w in &loaded.watchlists {
        let exclude = if w.exclude.is_empty() {
            String::new()
        } else {
            format!("; exclude: {}", w.exclude.join(", "))
        };
        writeln!(
            out,
            "  {}: {}",
            safe(w.name),
            safe(&format!("{}{exclude}", w.terms.join(", ")))
        )?;
    }
    Ok(())
}
