//! `aggregator show <story-id>`: one story's timeline: every member item in the order it was
//! seen, with its feed and how long after the first it arrived.

use std::io::Write;

use super::output::{self, Cell, Fit, ReportTable, local_time, safe};
use super::{CliError, CliResult, Format, ShowArgs};
use crate::config::Config;
use crate::store::Reader;
use crate::store::query::ListedStory;

pub fn run(config: &Config, args: &ShowArgs) -> CliResult {
    let reader = Reader::open(&config.database)?;
    let Some(story) = reader.story(args.story_id)? else {
        return Err(CliError::Runtime(anyhow::anyhow!(
            "no story {} in {}; `aggregator list` shows story ids",
            args.story_id,
            config.database.display()
        )));
    };
    match args.format {
        Format::Json => output::print_json(&story)?,
        Format::Csv => csv(&story)?,
        Format::Table => table(&story, output::width(args.wide))?,
    }
    Ok(())
}

fn table(s: &ListedStory, width: Option<usize>) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "story {}: {}", s.id, safe(&s.title))?;
    let watch = if s.watchlists.is_empty() {
        String::new()
    } else {
        format!("; watchlists: {}", safe(&s.watchlists.join(", ")))
    };
    writeln!(
        out,
        "seen {} from {}; {} outlet{}, {} item{}, {} update{}; published {}{}",
        local_time(s.seen),
        safe(&s.first_source),
        s.outlets,
        plural(s.outlets),
        s.items,
        plural(s.items),
        s.updates,
        plural(s.updates),
        local_time(s.published),
        watch
    )?;
    if let (Some(by), Some(at)) = (&s.acked_by, s.acked_at) {
        let note = s
            .ack_note
            .as_deref()
            .map(|n| format!(": {}", safe(n)))
            .unwrap_or_default();
        writeln!(
            out,
            "acknowledged by {} at {}{note}",
            safe(by),
            local_time(at)
        )?;
    }
    writeln!(out)?;
    drop(out);
    let mut t = ReportTable::new(
        width,
        &[
            ("seen", Fit::Keep),
            ("after", Fit::Keep),
            ("feed", Fit::Keep),
            // The story's headline is above the table; its members' links are the news here.
            ("headline", Fit::Shrink(24)),
            ("link", Fit::Shrink(36)),
        ],
    );
    for m in &s.members {
        t.row(vec![
            local_time(m.item.seen).into(),
            delay(m.delay_secs).into(),
            safe(&m.item.feed).into(),
            safe(&m.item.title).into(),
            Cell::url(safe(m.item.link.as_deref().unwrap_or_default())),
        ]);
    }
    t.print("no items")?;
    Ok(())
}

fn csv(s: &ListedStory) -> anyhow::Result<()> {
    let mut w = output::csv_writer();
    w.write_record([
        "story_id",
        "item_id",
        "first_seen",
        "delay_secs",
        "feed",
        "title",
        "link",
        "published",
        "seen",
    ])?;
    for m in &s.members {
        output::csv_row(
            &mut w,
            &[
                s.id.to_string(),
                m.item.id.to_string(),
                output::rfc3339(Some(m.item.first_seen)),
                m.delay_secs.to_string(),
                m.item.feed.clone(),
                m.item.title.clone(),
                m.item.link.clone().unwrap_or_default(),
                output::rfc3339(m.item.published),
                output::rfc3339(Some(m.item.seen)),
            ],
        )?;
    }
    w.flush()?;
    Ok(())
}

fn plural(n: i64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// "+0s", "+45s", "+12m", "+3h05m", "+2d04h".
fn delay(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..60 => format!("+{s}s"),
        60..3600 => format!("+{}m", s / 60),
        3600..86_400 => format!("+{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("+{}d{:02}h", s / 86_400, s % 86_400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn delays_read_at_a_glance() {
        assert_eq!(super::delay(0), "+0s");
        assert_eq!(super::delay(59), "+59s");
        assert_eq!(super::delay(720), "+12m");
        assert_eq!(super::delay(3600 * 3 + 300), "+3h05m");
        assert_eq!(super::delay(86_400 * 2 + 3600 * 4), "+2d04h");
        assert_eq!(super::delay(-5), "+0s");
    }
}
