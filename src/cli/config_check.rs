//! `aggregator config check`: validate both files and show what was loaded.

use std::io::Write;

use serde::Serialize;

use super::output;
use super::{CliResult, Format};
use crate::alert::Priority;
use crate::config::Config;
use crate::model::Field;
use crate::refresh::display_url;
use crate::watch::TermSpec;

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
    description: Option<&'a str>,
    terms: &'a [TermSpec],
    all: &'a [TermSpec],
    /// The `not` and `exclude` terms.
    exclude: &'a [TermSpec],
    query: Option<&'a str>,
    fields: &'a [Field],
    feeds: &'a [String],
    priority: Priority,
    alerts: &'a [String],
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
                description: w.description.as_deref(),
                terms: &w.terms,
                all: &w.all,
                exclude: &w.not,
                query: w.query.as_deref(),
                fields: &w.fields,
                feeds: &w.feeds,
                priority: w.priority,
                alerts: &w.alerts,
            })
            .collect(),
    };
    if format == Format::Json {
        output::print_json(&loaded)?;
        return Ok(());
    }
    if format == Format::Csv {
        // One row per thing loaded: `kind` says what it is.
        let mut w = output::csv_writer();
        w.write_record(["kind", "name", "detail"])?;
        let row = |kind: &str, name: &str, detail: String| {
            vec![kind.to_string(), name.to_string(), detail]
        };
        for f in &loaded.feeds {
            output::csv_row(&mut w, &row("feed", f.name, f.url.clone()))?;
        }
        for l in &loaded.watchlists {
            let terms: Vec<String> = l.terms.iter().map(TermSpec::to_string).collect();
            output::csv_row(&mut w, &row("watchlist", l.name, terms.join("; ")))?;
        }
        for sink in &config.sinks {
            output::csv_row(
                &mut w,
                &row("sink", &sink.name, crate::alert::deliver::describe(sink)),
            )?;
        }
        w.flush()?;
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
            super::output::duration(f.interval_secs.min(i64::MAX as u64) as i64),
            f.timezone
        )?;
    }
    writeln!(out, "watchlists ({}):", loaded.watchlists.len())?;
    for w in &loaded.watchlists {
        let list = |terms: &[TermSpec]| {
            terms
                .iter()
                .map(TermSpec::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut line = list(w.terms);
        for (label, terms) in [("all", w.all), ("exclude", w.exclude)] {
            if !terms.is_empty() {
                line.push_str(&format!("; {label}: {}", list(terms)));
            }
        }
        if let Some(q) = w.query {
            line.push_str(&format!("; query: {q}"));
        }
        if !w.alerts.is_empty() {
            line.push_str(&format!(
                "; alerts ({}): {}",
                w.priority.as_str(),
                w.alerts.join(", ")
            ));
        }
        writeln!(
            out,
            "  {}: {}",
            safe(w.name),
            safe(line.trim_start_matches("; "))
        )?;
    }
    if !config.sinks.is_empty() {
        writeln!(out, "sinks ({}):", config.sinks.len())?;
        for s in &config.sinks {
            writeln!(
                out,
                "  {}: {}",
                safe(&s.name),
                safe(&crate::alert::deliver::describe(s))
            )?;
        }
    }
    Ok(())
}
