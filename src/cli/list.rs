//! `aggregator list`: stories (or with `--items`, raw items), newest first, as a table, JSON or
//! CSV.

use chrono::Utc;

use super::output::{self, add_row, local_time, safe};
use super::timespec::parse_time;
use super::{CliError, CliResult, Format, ListArgs};
use crate::config::Config;
use crate::store::Reader;
use crate::store::query::{ListQuery, ListedItem, ListedStory};

pub fn run(config: &Config, args: &ListArgs) -> CliResult {
    let now = Utc::now();
    let when = |s: &Option<String>, flag: &str| -> Result<_, CliError> {
        s.as_deref()
            .map(|s| parse_time(s, now))
            .transpose()
            .map_err(|m| CliError::Usage(anyhow::anyhow!("{flag}: {m}")))
    };
    let query = ListQuery {
        since: when(&args.since, "--since")?,
        until: when(&args.until, "--until")?,
        feed: args.feed.clone(),
        watchlist: args.watchlist.clone(),
        matched_only: args.matched,
        limit: Some(args.limit),
    };
    if let Some(w) = &args.watchlist
        && !config.watchlists.iter().any(|c| &c.name == w)
    {
        tracing::warn!(watchlist = %w, "not a configured watchlist; showing stored matches only");
    }
    let reader = Reader::open(&config.database)?;
    if args.items {
        let items = reader.list(&query)?;
        match args.format {
            Format::Json => output::print_json(&items)?,
            Format::Csv => csv(&items)?,
            Format::Table => table(&items)?,
        }
    } else {
        let stories = reader.stories(&query)?;
        match args.format {
            Format::Json => output::print_json(&stories)?,
            Format::Csv => stories_csv(&stories)?,
            Format::Table => stories_table(&stories)?,
        }
    }
    Ok(())
}

fn stories_table(stories: &[ListedStory]) -> anyhow::Result<()> {
    let mut t = output::table(&[
        "story",
        "first seen",
        "source",
        "outlets",
        "headline",
        "watchlists",
    ]);
    for s in stories {
        add_row(
            &mut t,
            vec![
                s.id.to_string(),
                local_time(s.time),
                safe(&s.first_source),
                s.outlets.to_string(),
                safe(&s.title),
                safe(&s.watchlists.join(",")),
            ],
        );
    }
    output::print_table(&t, "no stories")?;
    Ok(())
}

fn stories_csv(stories: &[ListedStory]) -> anyhow::Result<()> {
    let mut w = output::csv_writer();
    w.write_record([
        "id",
        "time",
        "first_seen",
        "first_source",
        "outlets",
        "items",
        "updates",
        "last_seen",
        "title",
        "watchlists",
        "links",
    ])?;
    for s in stories {
        let links: Vec<&str> = s
            .members
            .iter()
            .filter_map(|m| m.item.link.as_deref())
            .collect();
        output::csv_row(
            &mut w,
            &[
                s.id.to_string(),
                output::rfc3339(Some(s.time)),
                output::rfc3339(Some(s.first_seen)),
                s.first_source.clone(),
                s.outlets.to_string(),
                s.items.to_string(),
                s.updates.to_string(),
                output::rfc3339(Some(s.last_seen)),
                s.title.clone(),
                s.watchlists.join(";"),
                links.join(" "),
            ],
        )?;
    }
    w.flush()?;
    Ok(())
}

fn table(items: &[ListedItem]) -> anyhow::Result<()> {
    let mut t = output::table(&["time", "story", "feed", "title", "watchlists"]);
    for i in items {
        add_row(
            &mut t,
            vec![
                local_time(i.time()),
                output::opt(i.story_id),
                safe(&i.feed),
                safe(&i.title),
                safe(&i.watchlists.join(",")),
            ],
        );
    }
    output::print_table(&t, "no items")?;
    Ok(())
}

fn csv(items: &[ListedItem]) -> anyhow::Result<()> {
    let mut w = output::csv_writer();
    w.write_record([
        "id",
        "story_id",
        "feed",
        "title",
        "link",
        "guid",
        "published",
        "updated",
        "first_seen",
        "author",
        "summary",
        "categories",
        "watchlists",
        "matched_terms",
    ])?;
    for i in items {
        output::csv_row(
            &mut w,
            &[
                i.id.to_string(),
                output::opt(i.story_id),
                i.feed.clone(),
                i.title.clone(),
                i.link.clone().unwrap_or_default(),
                i.guid.clone().unwrap_or_default(),
                output::rfc3339(i.published),
                output::rfc3339(i.updated),
                output::rfc3339(Some(i.first_seen)),
                i.author.clone().unwrap_or_default(),
                i.summary.clone().unwrap_or_default(),
                i.categories.join(";"),
                i.watchlists.join(";"),
                i.matched_terms.join(";"),
            ],
        )?;
    }
    w.flush()?;
    Ok(())
}
