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

/// The width tables should fit, `None` for no limit: `--wide` shows everything; a terminal
/// gives its own width; otherwise `$COLUMNS` if set (at least 40); otherwise (output piped to a
/// script or file) nothing is cut, so a script reading a table gets whole values.
pub fn width(wide: bool) -> Option<usize> {
    if wide {
        return None;
    }
    let terminal = io::stdout().is_terminal();
    if terminal && let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size() {
        return Some(usize::from(w));
    }
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .map(|w| w.max(40));
    columns.or(terminal.then_some(120))
}

/// A borderless table that fits [`width`], one line per row (long cells end in "…"). Reports
/// with a [`Report`] say per column what may give way; this is for the simple ones.
pub fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::NOTHING)
        .set_truncation_indicator("…")
        .set_header(header.to_vec());
    match width(false) {
        Some(w) => {
            t.set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(u16::try_from(w).unwrap_or(u16::MAX));
        }
        None => {
            t.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    t
}

/// How a column gives way when a table is wider than the screen. Headers are never cut or
/// split, so no column gets narrower than its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    /// Never cut or dropped: ids, dates, names, counts, states.
    Keep,
    /// Cut with "…" (headlines, errors, notes), first down to `min` columns and, when even that
    /// does not fit once the [`Fit::Drop`] columns are gone, down to the header's width.
    Shrink(usize),
    /// Left out whole on a narrow screen (byte counts, timings, validators); lower ranks go
    /// first, and all go before a [`Fit::Shrink`] column is cut below its `min`.
    Drop(u8),
}

/// How one cell is cut when its column is narrower than the text.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Cut {
    /// Keep the start: "Kishida vows to…".
    End,
    /// Keep both ends, for URLs and paths: "https://en.yna.co…/AEN20240326".
    Middle,
    /// Keep the text around this character index (a search hit) in view.
    Around(usize),
}

/// One table cell: its text (already [`safe`]) and how it is cut.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    text: String,
    cut: Cut,
}

impl Cell {
    /// A URL or path: cut in the middle, so the host and the last part stay.
    pub fn url(text: String) -> Self {
        Self {
            text,
            cut: Cut::Middle,
        }
    }

    /// Text cut so that character `at` (a search hit) stays in view, "…" on either side.
    pub fn around(text: String, at: usize) -> Self {
        Self {
            text,
            cut: Cut::Around(at),
        }
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Self {
            text,
            cut: Cut::End,
        }
    }
}

/// A borderless report table that fits a width, one line per row. Each column says how it
/// gives way ([`Fit`]): low-value columns drop first, then headlines and notes shrink; ids,
/// dates and names are never cut. With no width (`--wide`, or piped output without
/// `$COLUMNS`) every column is shown whole.
pub struct ReportTable {
    headers: Vec<String>,
    fits: Vec<Fit>,
    rows: Vec<Vec<Cell>>,
    width: Option<usize>,
}

impl ReportTable {
    /// A table of `columns` (header, fit) that fits `width` (see [`width`]).
    pub fn new(width: Option<usize>, columns: &[(&str, Fit)]) -> Self {
        Self {
            headers: columns.iter().map(|(h, _)| h.to_string()).collect(),
            fits: columns.iter().map(|(_, f)| *f).collect(),
            rows: Vec::new(),
            width,
        }
    }

    /// Adds a row: one cell per column.
    pub fn row(&mut self, cells: Vec<Cell>) {
        debug_assert_eq!(cells.len(), self.headers.len());
        self.rows.push(cells);
    }

    /// Adds a row of plain cells.
    pub fn add(&mut self, cells: Vec<String>) {
        self.row(cells.into_iter().map(Cell::from).collect());
    }

    /// The header line and one line per row, laid out (no trailing spaces).
    pub fn lines(&self) -> Vec<String> {
        let natural: Vec<usize> = (0..self.headers.len())
            .map(|c| {
                self.rows
                    .iter()
                    .map(|r| text_width(&r[c].text))
                    .chain([text_width(&self.headers[c])])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let floors: Vec<usize> = self.headers.iter().map(|h| text_width(h)).collect();
        let widths = layout(&self.fits, &natural, &floors, self.width);
        let header: Vec<Cell> = self.headers.iter().cloned().map(Cell::from).collect();
        std::iter::once(&header)
            .chain(&self.rows)
            .map(|cells| {
                let mut line = String::new();
                for (cell, w) in cells.iter().zip(&widths) {
                    let Some(w) = *w else { continue };
                    let text = cut(cell, w);
                    line.push(' ');
                    line.push_str(&text);
                    line.push_str(&" ".repeat(w.saturating_sub(text_width(&text)) + 1));
                }
                line.trim_end().to_string()
            })
            .collect()
    }

    /// Prints the table, or `empty_note` when it has no rows.
    pub fn print(&self, empty_note: &str) -> io::Result<()> {
        self.print_marked(&[], false, empty_note)
    }

    /// Prints the table, highlighting (bold yellow) in each row every occurrence of that row's
    /// `marks` when `on`: the texts that matched. The table is laid out first and the marks
    /// added to its finished lines, so column widths and cuts are those of the plain text, and
    /// stored text (already made [`safe`] in the cells) still cannot emit escapes.
    pub fn print_marked(
        &self,
        marks: &[Vec<String>],
        on: bool,
        empty_note: &str,
    ) -> io::Result<()> {
        let mut out = io::stdout().lock();
        if self.rows.is_empty() {
            return writeln!(out, "{empty_note}");
        }
        let none = Vec::new();
        for (i, line) in self.lines().iter().enumerate() {
            let row_marks = i.checked_sub(1).and_then(|r| marks.get(r)).unwrap_or(&none);
            if on {
                writeln!(out, "{}", mark(line, row_marks))?;
            } else {
                writeln!(out, "{line}")?;
            }
        }
        Ok(())
    }
}

/// Each column's width, `None` where it is left out. Within `width` (if any; one space before
/// each column and two between): first [`Fit::Shrink`] columns shrink to their `min`; if that is
/// not enough, [`Fit::Drop`] columns go, lowest rank first; then shrinking columns go down to
/// their header's width. [`Fit::Keep`] columns never change, so a table of only those may be
/// wider than `width`.
fn layout(
    fits: &[Fit],
    natural: &[usize],
    floors: &[usize],
    width: Option<usize>,
) -> Vec<Option<usize>> {
    let mut shown: Vec<bool> = vec![true; fits.len()];
    let Some(width) = width else {
        return natural.iter().map(|w| Some(*w)).collect();
    };
    let budget = |shown: &[bool]| {
        let n = shown.iter().filter(|s| **s).count();
        width.saturating_sub(2 * n).saturating_add(1)
    };
    let soft_floor = |c: usize| match fits[c] {
        Fit::Shrink(min) => min.max(floors[c]).min(natural[c]),
        _ => natural[c],
    };
    let hard_floor = |c: usize| match fits[c] {
        Fit::Shrink(_) => floors[c].min(natural[c]),
        _ => natural[c],
    };
    let need = |shown: &[bool], floor: &dyn Fn(usize) -> usize| -> usize {
        (0..fits.len()).filter(|c| shown[*c]).map(floor).sum()
    };
    // Drop what must go for the shrinking columns to keep their comfortable width.
    let mut droppable: Vec<usize> = (0..fits.len())
        .filter(|c| matches!(fits[*c], Fit::Drop(_)))
        .collect();
    droppable.sort_by_key(|c| match fits[*c] {
        Fit::Drop(rank) => (rank, std::cmp::Reverse(*c)),
        _ => (u8::MAX, std::cmp::Reverse(*c)),
    });
    for c in droppable {
        if need(&shown, &soft_floor) <= budget(&shown) {
            break;
        }
        shown[c] = false;
    }
    let mut widths: Vec<usize> = natural.to_vec();
    let avail = budget(&shown);
    for (hard, floor) in [
        (false, &soft_floor as &dyn Fn(usize) -> usize),
        (true, &hard_floor),
    ] {
        // Take one column at a time from the shrinking column with the most to spare.
        let bound: usize = widths.iter().sum();
        for _ in 0..bound {
            let used: usize = (0..fits.len())
                .filter(|c| shown[*c])
                .map(|c| widths[c])
                .sum();
            if used <= avail {
                break;
            }
            // Past the comfortable widths, columns keep to the proportions of their `min`s.
            let spare = |c: usize| match fits[c] {
                Fit::Shrink(min) if hard => widths[c] * 1000 / min.max(1),
                _ => widths[c] - floor(c),
            };
            let widest = (0..fits.len())
                .filter(|c| shown[*c] && widths[*c] > floor(*c))
                .max_by_key(|c| (spare(*c), *c));
            match widest {
                Some(c) => widths[c] -= 1,
                None => break,
            }
        }
    }
    widths
        .into_iter()
        .zip(shown)
        .map(|(w, s)| s.then_some(w))
        .collect()
}

/// The cell's text cut to `width` terminal columns, "…" where cut.
fn cut(cell: &Cell, width: usize) -> String {
    let text = &cell.text;
    if text_width(text) <= width {
        return text.clone();
    }
    let chars: Vec<char> = text.chars().collect();
    let room = width.saturating_sub(1);
    match cell.cut {
        Cut::End => format!("{}…", take_width(&chars, room)),
        Cut::Middle => {
            // The scheme says least: it goes first.
            let bare = ["https://", "http://"]
                .iter()
                .find_map(|p| text.strip_prefix(p))
                .unwrap_or(text);
            if text_width(bare) <= width {
                return bare.to_string();
            }
            let chars: Vec<char> = bare.chars().collect();
            // The host stays whole when it leaves room for a few characters of the end.
            let host = bare.find('/').map_or(0, |i| text_width(&bare[..=i]));
            let head_width = if host > 0 && host + 4 <= room {
                host.max(room - room / 2)
            } else {
                room - room / 2
            };
            let head = take_width(&chars, head_width);
            let tail_chars: Vec<char> = chars.iter().rev().copied().collect();
            let tail: String = take_width(&tail_chars, room - text_width(&head))
                .chars()
                .rev()
                .collect();
            format!("{head}…{tail}")
        }
        Cut::Around(at) => around(&chars, at.min(chars.len()), width),
    }
}

/// A window of `chars` `width` columns wide with character `at` about in its middle, "…" at
/// each end that is cut.
fn around(chars: &[char], at: usize, width: usize) -> String {
    let w = |cs: &[char]| cs.iter().map(|c| char_width(*c)).sum::<usize>();
    // Start half a screen before the hit, but no later than where the end would show whole
    // (`<` leaves a column for the leading "…").
    let mut start = at;
    while start > 0 && w(&chars[start - 1..at]) < width / 2 {
        start -= 1;
    }
    while start > 0 && w(&chars[start - 1..]) < width {
        start -= 1;
    }
    if start <= 1 {
        // Cutting one character at the start saves nothing: keep the start whole.
        return format!("{}…", take_width(chars, width.saturating_sub(1)));
    }
    let lead = 1;
    let rest = &chars[start..];
    if w(rest) + lead <= width {
        return format!("…{}", rest.iter().collect::<String>());
    }
    format!("…{}…", take_width(rest, width.saturating_sub(lead + 1)))
}

/// The longest start of `chars` at most `width` columns wide.
fn take_width(chars: &[char], width: usize) -> String {
    let mut used = 0;
    let mut out = String::new();
    for c in chars {
        used += char_width(*c);
        if used > width {
            break;
        }
        out.push(*c);
    }
    out
}

/// Terminal columns `s` takes.
pub fn text_width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// Terminal columns one character takes: 2 for East Asian wide characters (Hangul, kana, CJK,
/// full-width forms, common emoji), 0 for combining marks and zero-width characters, else 1.
fn char_width(c: char) -> usize {
    match u32::from(c) {
        0x0300..=0x036F | 0x200B..=0x200F | 0xFE00..=0xFE0F => 0,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF
        | 0x20000..=0x3FFFD => 2,
        _ => 1,
    }
}

pub use crate::timespec::duration;

/// A fetch result for a table: "ok 200", "not modified 304", "error 503"; a local file has no
/// HTTP status to show, so just "ok" or "not modified".
pub fn fetch_result(result: Option<&str>, http_status: Option<u16>, url: &str) -> String {
    let Some(result) = result else {
        return "never".to_string();
    };
    let label = result.replace('_', " ");
    match http_status {
        Some(code) if !is_local(url) => format!("{label} {code}"),
        _ => label,
    }
}

/// Whether a feed URL is a local file (`file://` or a path) rather than HTTP.
pub fn is_local(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    !(lower.starts_with("http://") || lower.starts_with("https://"))
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

/// Warns (on stderr, like any warning) when `--feed` or `--watchlist` names nothing the config
/// has: the report then shows only what is stored under that name, often nothing, and a typo
/// should not look like a quiet day.
pub fn warn_unknown(config: &crate::config::Config, feed: Option<&str>, watchlist: Option<&str>) {
    if let Some(f) = feed
        && !config.feeds.iter().any(|c| c.name == f)
    {
        tracing::warn!(feed = %f, "not a configured feed; showing stored items only");
    }
    if let Some(w) = watchlist
        && !config.watchlists.iter().any(|c| c.name == w)
    {
        tracing::warn!(watchlist = %w, "not a configured watchlist; showing stored matches only");
    }
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

    #[test]
    fn narrow_tables_drop_low_value_columns_before_cutting_headlines() {
        let fits = [Fit::Keep, Fit::Drop(0), Fit::Shrink(30), Fit::Drop(1)];
        let natural = [16, 5, 80, 10];
        let floors = [4, 2, 8, 3];
        // Everything fits at 200; nothing is dropped or cut without a width.
        let all = vec![Some(16), Some(5), Some(80), Some(10)];
        assert_eq!(layout(&fits, &natural, &floors, Some(200)), all);
        assert_eq!(layout(&fits, &natural, &floors, None), all);
        // At 80 the headline gives way first, down to its comfortable 30 at most.
        let w = layout(&fits, &natural, &floors, Some(80));
        assert_eq!(w, vec![Some(16), Some(5), Some(42), Some(10)]);
        assert_eq!(16 + 5 + 42 + 10 + 2 * 4 - 1, 80);
        // At 50 it would have to go below 30: the droppable columns go instead, lowest rank first.
        let w = layout(&fits, &natural, &floors, Some(50));
        assert_eq!(w, vec![Some(16), None, Some(31), None]);
        let w = layout(&fits, &natural, &floors, Some(61));
        assert_eq!(w, vec![Some(16), None, Some(30), Some(10)]);
        // Kept columns never shrink, even when nothing else can give way.
        let w = layout(&fits, &natural, &floors, Some(10));
        assert_eq!(
            (w[0], w[2]),
            (Some(16), Some(8)),
            "no narrower than the header"
        );
    }

    #[test]
    fn cells_are_cut_at_the_end_in_the_middle_or_around_a_hit() {
        let end = Cell::from("Kishida vows to keep pushing".to_string());
        assert_eq!(cut(&end, 12), "Kishida vow…");
        assert_eq!(cut(&end, 40), "Kishida vows to keep pushing");
        let url = Cell::url("https://en.yna.co.kr/view/AEN20240326001252315".to_string());
        let short = cut(&url, 25);
        assert_eq!(short, "en.yna.co.kr/…26001252315");
        assert!(text_width(&short) <= 25);
        let text = "SEOUL, March 26 (Yonhap) -- Foreign ministers met on Tuesday as Lavrov said \
                    the talks would go on next week in Moscow.";
        let at = text.find("Lavrov").unwrap();
        let hit = cut(&Cell::around(text.to_string(), at), 30);
        assert!(hit.contains("Lavrov"), "{hit}");
        assert!(hit.starts_with('…') && hit.ends_with('…'), "{hit}");
        assert_eq!(text_width(&hit), 30);
        // Wide characters count twice.
        let ko = Cell::from("김여정 일본과 정상회담".to_string());
        assert_eq!(cut(&ko, 9), "김여정 …");
    }

    #[test]
    fn durations_read_as_a_user_writes_them() {
        assert_eq!(duration(90 * 86_400), "90d");
        assert_eq!(duration(9000), "2h 30m");
        assert_eq!(duration(45), "45s");
        assert_eq!(duration(984), "16m 24s");
        assert_eq!(duration(0), "0s");
    }

    #[test]
    fn local_feeds_show_no_http_status() {
        assert_eq!(
            fetch_result(Some("ok"), Some(200), "/srv/feeds/a.xml"),
            "ok"
        );
        assert_eq!(
            fetch_result(Some("not_modified"), Some(304), "file:///srv/a.xml"),
            "not modified"
        );
        assert_eq!(
            fetch_result(Some("not_modified"), Some(304), "https://a.example/rss"),
            "not modified 304"
        );
        assert_eq!(fetch_result(None, None, "https://a.example/rss"), "never");
    }
}
