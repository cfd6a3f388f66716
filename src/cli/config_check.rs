//! `aggregator config check`: validate both files and show what was loaded.

use std::io::Write;

use serde::Serialize;

use super::output;
use super::{CliResult, Format};
use crate::alert::Priority;
use crate::config::{Config, WebConfig};
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
    web: LoadedWeb<'a>,
}

/// `[web]` as loaded; users by name and token count, never their hashes.
#[derive(Serialize)]
struct LoadedWeb<'a> {
    enabled: bool,
    listen: String,
    base_url: Option<&'a str>,
    trusted_proxy: Option<&'a str>,
    session_hours: u64,
    users: Vec<LoadedWebUser<'a>>,
}

#[derive(Serialize)]
struct LoadedWebUser<'a> {
    name: &'a str,
    tokens: usize,
}

impl<'a> LoadedWeb<'a> {
    fn new(web: &'a WebConfig) -> Self {
        Self {
            enabled: web.enabled,
            listen: web.listen.to_string(),
            base_url: web.base_url.as_ref().map(url::Url::as_str),
            trusted_proxy: web.trusted_proxy.as_deref(),
            session_hours: web.session.as_secs() / 3600,
            users: web
                .users
                .iter()
                .map(|u| LoadedWebUser {
                    name: &u.name,
                    tokens: u.token_hashes.len(),
                })
                .collect(),
        }
    }

    /// `enabled, listen 127.0.0.1:8080, sessions 12h[, base URL …][, trusted proxy header …]`.
    fn summary(&self) -> String {
        let mut line = format!(
            "{}, listen {}, sessions {}",
            if self.enabled { "enabled" } else { "disabled" },
            self.listen,
            super::output::duration((self.session_hours * 3600).min(i64::MAX as u64) as i64)
        );
        if let Some(u) = self.base_url {
            line.push_str(&format!(", base URL {u}"));
        }
        if let Some(h) = self.trusted_proxy {
            line.push_str(&format!(", trusted proxy header {h}"));
        }
        line
    }
}

impl LoadedWebUser<'_> {
    /// `kim (2 tokens)`, or just `kim`.
    fn describe(&self) -> String {
        match self.tokens {
            0 => self.name.to_string(),
            _ => format!("{} ({})", self.name, self.tokens_text()),
        }
    }

    /// `1 token`, `2 tokens`.
    fn tokens_text(&self) -> String {
        match self.tokens {
            1 => "1 token".into(),
            n => format!("{n} tokens"),
        }
    }
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
        web: LoadedWeb::new(&config.web),
    };
    // Only a config that sets up the web view shows it in the table and CSV.
    let web_set = config.web != WebConfig::default();
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
        if web_set {
            output::csv_row(&mut w, &row("web", "web", loaded.web.summary()))?;
            for u in &loaded.web.users {
                output::csv_row(&mut w, &row("web user", u.name, u.tokens_text()))?;
            }
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
    if web_set {
        writeln!(out, "web: {}", safe(&loaded.web.summary()))?;
        let users: Vec<String> = loaded.web.users.iter().map(|u| u.describe()).collect();
        if users.is_empty() {
            writeln!(out, "web users: none")?;
        } else {
            let list = safe(&users.join(", "));
            writeln!(out, "web users ({}): {list}", users.len())?;
        }
    }
    Ok(())
}
