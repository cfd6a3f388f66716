//! `aggregator search QUERY [--since …] [--feed …] [--watchlist …]`: full-text search over stored
//! titles and summaries, best matches first, with the matched words highlighted on a terminal.

use chrono::Utc;

use super::output::{self, Cell, Fit, ReportTable, local_time, safe};
use super::timespec::optional_time_arg;
use super::{CliError, CliResult, Format, SearchArgs};
use crate::config::Config;
use crate::store::Reader;
use crate::store::search::{SearchError, SearchHit, SearchQuery};

pub fn run(config: &Config, args: &SearchArgs) -> CliResult {
    let now = Utc::now();
    let query = SearchQuery {
        text: args.query.join(" "),
        since: optional_time_arg(&args.since, "--since", now)?,
        until: optional_time_arg(&args.until, "--until", now)?,
        feed: args.feed.clone(),
        watchlist: args.watchlist.clone(),
        limit: args.limit,
    };
    output::warn_unknown(config, args.feed.as_deref(), args.watchlist.as_deref());
    let reader = Reader::open(&config.database)?;
    let hits = reader.search(&query).map_err(|e| match e {
        SearchError::Query(q) => CliError::Usage(q.into()),
        SearchError::Store(s) => CliError::Runtime(s.into()),
    })?;
    match args.format {
        Format::Json => output::print_json(&hits)?,
        Format::Csv => {
            let mut w = output::csv_writer();
            w.write_record([
                "id",
                "story_id",
                "feed",
                "time",
                "title",
                "link",
                "rank",
                "snippet",
                "published",
                "seen",
            ])?;
            for h in &hits {
                output::csv_row(
                    &mut w,
                    &[
                        h.id.to_string(),
                        output::opt(h.story_id),
                        h.feed.clone(),
                        output::rfc3339(Some(h.time)),
                        h.title.clone(),
                        h.link.clone().unwrap_or_default(),
                        format!("{:.3}", h.rank),
                        h.snippet.clone(),
                        output::rfc3339(Some(h.published)),
                        output::rfc3339(Some(h.seen)),
                    ],
                )?;
            }
            w.flush()?;
        }
        Format::Table => table(&hits, output::width(args.wide))?,
    }
    Ok(())
}

fn table(hits: &[SearchHit], width: Option<usize>) -> anyhow::Result<()> {
    let mut t = ReportTable::new(
        width,
        &[
            ("published", Fit::Keep),
            ("story", Fit::Keep),
            ("feed", Fit::Keep),
            ("title", Fit::Shrink(30)),
            ("snippet", Fit::Shrink(30)),
        ],
    );
    let mut marks = Vec::with_capacity(hits.len());
    for h in hits {
        let mut row_marks = spans(&h.title, &h.title_highlights);
        row_marks.extend(spans(&h.snippet, &h.snippet_highlights));
        marks.push(row_marks);
        // The summary's excerpt often starts at a dateline; where the column is too narrow for
        // all of it, show the part around the first hit (JSON and CSV keep it whole).
        let snippet = safe(&h.snippet);
        let snippet = match h.snippet_highlights.first() {
            Some(&(at, _)) => Cell::around(snippet, at),
            None => Cell::from(snippet),
        };
        t.row(vec![
            local_time(h.published).into(),
            output::opt(h.story_id).into(),
            safe(&h.feed).into(),
            safe(&h.title).into(),
            snippet,
        ]);
    }
    t.print_marked(&marks, output::color(), "no matches")?;
    Ok(())
}

/// The texts of `text` at character ranges `ranges`.
fn spans(text: &str, ranges: &[(usize, usize)]) -> Vec<String> {
    ranges
        .iter()
        .map(|&(a, b)| text.chars().skip(a).take(b - a).collect())
        .collect()
}
