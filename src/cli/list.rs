//! `aggregator list`: stories (or with `--items`, raw items), newest first, as a table, JSON or
//! CSV.

use chrono::Utc;

use super::output::{self, Fit, ReportTable, local_time, safe};
use super::timespec::optional_time_arg;
use super::{CliResult, Format, ListArgs};
use crate::config::Config;
use crate::model::{Field, Match};
use crate::store::Reader;
use crate::store::query::{ListQuery, ListedItem, ListedStory};

pub fn run(config: &Config, args: &ListArgs) -> CliResult {
    let now = Utc::now();
    let query = ListQuery {
        since: optional_time_arg(&args.since, "--since", now)?,
        until: optional_time_arg(&args.until, "--until", now)?,
        feed: args.feed.clone(),
        watchlist: args.watchlist.clone(),
        matched_only: args.matched,
        unacked: args.unacked,
        limit: Some(args.limit),
        ..ListQuery::default()
    };
    output::warn_unknown(config, args.feed.as_deref(), args.watchlist.as_deref());
    let width = output::width(args.wide);
    let reader = Reader::open(&config.database)?;
    // With --matched or --watchlist the table says what matched, highlighted on a terminal.
    let explain = (args.matched || args.watchlist.is_some()).then(|| Explain {
        watchlist: args.watchlist.clone(),
        color: output::color(),
    });
    if args.items {
        let items = reader.list(&query)?;
        match args.format {
            Format::Json => output::print_json(&items)?,
            Format::Csv => csv(&items)?,
            Format::Table => table(&items, explain.as_ref(), width)?,
        }
    } else {
        let stories = reader.stories(&query)?;
        match args.format {
            Format::Json => output::print_json(&stories)?,
            Format::Csv => stories_csv(&stories)?,
            Format::Table => stories_table(&stories, explain.as_ref(), width)?,
        }
    }
    Ok(())
}

/// How the table explains matches: which watchlist's, and whether to colour them.
struct Explain {
    watchlist: Option<String>,
    color: bool,
}

impl Explain {
    /// The texts to highlight in a headline, and the "watchlist: terms" cell.
    fn of<'a>(&self, matches: impl Iterator<Item = &'a Match>) -> (Vec<&'a str>, String) {
        let mut marks: Vec<&str> = Vec::new();
        let mut lists: Vec<(&str, Vec<&str>)> = Vec::new();
        for m in matches.filter(|m| self.watchlist.as_ref().is_none_or(|w| *w == m.watchlist)) {
            marks.extend(
                m.hits
                    .iter()
                    .filter(|h| h.field == Field::Title)
                    .map(|h| h.text.as_str()),
            );
            let entry = match lists.iter_mut().find(|(w, _)| *w == m.watchlist) {
                Some(e) => e,
                None => {
                    lists.push((&m.watchlist, Vec::new()));
                    lists.last_mut().expect("just pushed")
                }
            };
            for t in &m.terms {
                if !entry.1.contains(&t.as_str()) {
                    entry.1.push(t);
                }
            }
        }
        let cell = lists
            .iter()
            .map(|(w, terms)| format!("{w}: {}", terms.join(", ")))
            .collect::<Vec<_>>()
            .join("; ");
        (marks, cell)
    }
}

/// The last column: what matched (with --matched or --watchlist, where it is the point, so it
/// shrinks with the headline), else the watchlists (dropped on a narrow screen before the
/// headline is cut short).
fn last_column(explain: Option<&Explain>) -> (&'static str, Fit) {
    if explain.is_some() {
        ("matched", Fit::Shrink(12))
    } else {
        ("watchlists", Fit::Drop(9))
    }
}

fn stories_table(
    stories: &[ListedStory],
    explain: Option<&Explain>,
    width: Option<usize>,
) -> anyhow::Result<()> {
    let mut columns = vec![
        ("story", Fit::Keep),
        ("published", Fit::Keep),
        ("source", Fit::Keep),
        ("outlets", Fit::Drop(5)),
        ("headline", Fit::Shrink(30)),
        last_column(explain),
    ];
    // Who handled each story, when anyone did (a desk that does not acknowledge sees no empty
    // column): the first column to go on a narrow screen.
    let acked = stories.iter().any(|s| s.acked_by.is_some());
    if acked {
        columns.push(("acked", Fit::Drop(0)));
    }
    let mut t = ReportTable::new(width, &columns);
    let mut marks = Vec::with_capacity(stories.len());
    for s in stories {
        let matched = match explain {
            Some(x) => {
                let (m, cell) = x.of(s.members.iter().flat_map(|m| &m.item.matches));
                marks.push(m.into_iter().map(str::to_string).collect());
                safe(&cell)
            }
            None => safe(&s.watchlists.join(",")),
        };
        let mut row = vec![
            s.id.to_string(),
            local_time(s.published),
            safe(&s.first_source),
            s.outlets.to_string(),
            safe(&s.title),
            matched,
        ];
        if acked {
            row.push(safe(s.acked_by.as_deref().unwrap_or_default()));
        }
        t.add(row);
    }
    let color = explain.is_some_and(|x| x.color);
    t.print_marked(&marks, color, "no stories")?;
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
        "published",
        "seen",
        "acked_by",
        "acked_at",
        "ack_note",
    ])?;
    for s in stories {
        // Reissues and updates often share one link: each address once, in member order.
        let mut links: Vec<&str> = Vec::new();
        for link in s.members.iter().filter_map(|m| m.item.link.as_deref()) {
            if !links.contains(&link) {
                links.push(link);
            }
        }
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
                output::rfc3339(Some(s.published)),
                output::rfc3339(Some(s.seen)),
                s.acked_by.clone().unwrap_or_default(),
                output::rfc3339(s.acked_at),
                s.ack_note.clone().unwrap_or_default(),
            ],
        )?;
    }
    w.flush()?;
    Ok(())
}

fn table(
    items: &[ListedItem],
    explain: Option<&Explain>,
    width: Option<usize>,
) -> anyhow::Result<()> {
    let mut t = ReportTable::new(
        width,
        &[
            ("published", Fit::Keep),
            ("story", Fit::Keep),
            ("feed", Fit::Keep),
            ("title", Fit::Shrink(30)),
            last_column(explain),
        ],
    );
    let mut marks = Vec::with_capacity(items.len());
    for i in items {
        let matched = match explain {
            Some(x) => {
                let (m, cell) = x.of(i.matches.iter());
                marks.push(m.into_iter().map(str::to_string).collect());
                safe(&cell)
            }
            None => safe(&i.watchlists.join(",")),
        };
        t.add(vec![
            local_time(i.time()),
            output::opt(i.story_id),
            safe(&i.feed),
            safe(&i.title),
            matched,
        ]);
    }
    let color = explain.is_some_and(|x| x.color);
    t.print_marked(&marks, color, "no items")?;
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
        "seen",
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
                output::rfc3339(Some(i.seen)),
            ],
        )?;
    }
    w.flush()?;
    Ok(())
}
