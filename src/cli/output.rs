//! Shared output helpers: terminal-width tables, local-time formatting, JSON and CSV writers.
//! Everything printed to a terminal goes through [`safe`], so stored text can never emit
//! escape sequences.

use std::io::{self, IsTerminal, Write};

use chrono::{DateTime, Local, Utc};
use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;

use crate::text::clean_line;

/// Text made safe for a terminal: no control characters or escape sequences, one line.
pub fn safe(s: &str) -> String {
    clean_line(s)
}

/// The width tables should fit: the terminal's, else `$COLUMNS`, else 120.
pub fn width() -> u16 {
    if io::stdout().is_terminal()
        && let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size()
    {
        return w;
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|w| *w >= 40)
        .unwrap_or(120)
}

/// A borderless table that fits [`width`], one line per row (long cells end in "…").
pub fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width())
        .set_truncation_indicator("…")
        .set_header(header.to_vec());
    t
}

/// Adds a row limited to one line.
pub fn add_row(t: &mut Table, cells: Vec<String>) {
    let mut row = comfy_table::Row::from(cells);
    row.max_height(1);
    t.add_row(row);
}

/// Prints the table, or a note when it has no rows.
pub fn print_table(t: &Table, empty_note: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    if t.row_count() == 0 {
        writeln!(out, "{empty_note}")
    } else {
        writeln!(out, "{t}")
    }
}

/// Whether to colour terminal output: stdout is a terminal and `NO_COLOR` is not set
/// (<https://no-color.org>).
pub fn color() -> bool {
    io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Prints the table, highlighting (bold yellow) in each row every occurrence of that row's
/// `marks` when `on`: the texts that matched a watchlist. The table is laid out first and the
/// marks added to its finished lines, so column widths and truncation are those of the plain
/// text, and stored text (already made [`safe`] in the cells) still cannot emit escapes.
pub fn print_table_marked(
    t: &Table,
    marks: &[Vec<String>],
    on: bool,
    empty_note: &str,
) -> io::Result<()> {
    if !on || t.row_count() == 0 {
        return print_table(t, empty_note);
    }
    let mut out = io::stdout().lock();
    let mut lines = t.lines();
    if let Some(header) = lines.next() {
        writeln!(out, "{header}")?;
    }
    for (line, row_marks) in lines.zip(marks.iter().chain(std::iter::repeat(&Vec::new()))) {
        writeln!(out, "{}", mark(&line, row_marks))?;
    }
    Ok(())
}

/// `text` with every occurrence of each of `marks` wrapped in bold yellow.
fn mark(text: &str, marks: &[String]) -> String {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for m in marks.iter().map(|m| safe(m)).filter(|m| !m.is_empty()) {
        let mut from = 0;
        while let Some(i) = text[from..].find(&m) {
            spans.push((from + i, from + i + m.len()));
            from += i + m.len();
        }
    }
    // Longest first where two start together.
    spans.sort_unstable_by_key(|&(s, e)| (s, std::cmp::Reverse(e)));
    let mut out = String::with_capacity(text.len() + spans.len() * 12);
    let mut at = 0;
    for (s, e) in spans {
        if s < at {
            continue; // overlaps the previous mark
        }
        out.push_str(&text[at..s]);
        out.push_str("\x1b[1;33m");
        out.push_str(&text[s..e]);
        out.push_str("\x1b[0m");
        at = e;
    }
    out.push_str(&text[at..]);
    out
}

/// Local time, minute precision, for tables.
pub fn local_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string()
}

/// RFC 3339 UTC, for CSV.
pub fn rfc3339(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// An optional value as text, empty when absent (for table and CSV cells).
pub fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// Pretty JSON on stdout, newline-terminated.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Writes one CSV data row, every field through [`safe`].
pub fn csv_row<W: Write>(w: &mut csv::Writer<W>, fields: &[String]) -> csv::Result<()> {
    w.write_record(fields.iter().map(|f| safe(f)))
}

/// A CSV writer on stdout.
pub fn csv_writer() -> csv::Writer<io::StdoutLock<'static>> {
    csv::Writer::from_writer(io::stdout().lock())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_every_occurrence_longest_first_and_stay_safe() {
        let marks = |m: &[&str]| m.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            mark("Kim meets Kim", &marks(&["Kim", "\u{1b}[31m"])),
            "\x1b[1;33mKim\x1b[0m meets \x1b[1;33mKim\x1b[0m"
        );
        assert_eq!(
            mark("북한은 오늘", &marks(&["북", "북한"])),
            "\x1b[1;33m북한\x1b[0m은 오늘"
        );
    }
}
