//! `aggregator search QUERY [--since …] [--feed …] [--watchlist …]`: full-text search over stored
//! titles and summaries, best matches first, with the matched words highlighted on a terminal.

use chrono::Utc;

use super::output::{self, add_row, local_time, safe};
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
                "id", "story_id", "feed", "time", "title", "link", "rank", "snippet",
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
                    ],
                )?;
            }
            w.flush()?;
        }
        Format::Table => table(&hits)?,
    }
    Ok(())
}

fn table(hits: &[SearchHit]) -> anyhow::Result<()> {
    let mut t = output::table(&["time", "story", "feed", "title", "snippet"]);
    let mut marks = Vec::with_capacity(hits.len());
    for h in hits {
        let mut row_marks = spans(&h.title, &h.title_highlights);
        row_marks.extend(spans(&h.snippet, &h.snippet_highlights));
        marks.push(row_marks);
        add_row(
            &mut t,
            vec![
                local_time(h.time),
                output::opt(h.story_id),
                safe(&h.feed),
                safe(&h.title),
                safe(&h.snippet),
            ],
        );
    }
    output::print_table_marked(&t, &marks, output::color(), "no matches")?;
    Ok(())
}

/// The texts of `text` at character ranges `ranges`.
fn spans(text: &str, ranges: &[(usize, usize)]) -> Vec<String> {
    ranges
        .iter()
        .map(|&(a, b)| text.chars().skip(a).take(b - a).collect())
        .collect()
}
