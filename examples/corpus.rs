//! Runs the feed parser over directories of test feeds, counts what it gets out of them, and
//! scores the fields we store against the test suites' own expectations.
//!
//! ```text
//! cargo run --release --example corpus -- [-v] DIR...
//! ```
//!
//! Every `*.xml`, `*.rss`, `*.atom` and `*.json` file under each DIR (recursively) goes through
//! `aggregator::parse::parse_feed` with default options. Files that are other parsers'
//! expectations are skipped: feed-rs's `*.serde.json`, gofeed's `X.json` next to an `X.xml`, and
//! gofeed's `X_expected.json` next to an `X.json`.
//!
//! Printed per directory and in total: files, parsed ok, errors by kind (`ParseError` variant),
//! items, and items with a title, a link, a published or updated date, a guid. The last column,
//! `bad dates`, counts date strings present in the source that `parse::date::parse_date` could
//! not read (found by a second feed-rs pass that records what the timestamp parser rejects).
//!
//! Then the score: an input with an expectation (gofeed's `X.json` / `X_expected.json`,
//! feed-rs's `X.serde.json`; see `corpus_score/expect.rs`) is a *case*. Its items are compared in
//! order with ours on title, link, guid, author, published and updated, and the item count too,
//! after the expected values are brought to our documented design's form (plain-text titles,
//! canonical links, names without e-mail addresses, UTC instants to the second; each rule in
//! `corpus_score/norm.rs`, and each counted when it changes a value). Printed per directory:
//! files, parsed ok, items read, cases, cases with no items, cases agreeing, cases whose file we
//! could not parse, cases whose item count differs, and per field the items that disagree; then
//! per field the items agreeing out of those scored, and how often each normalisation applied.
//!
//! `-v` lists each failing file with its error, each unread date string, and every disagreement
//! of every case: file, item, field, expected (and as written, if normalised) vs ours.

#[path = "corpus_score/expect.rs"]
mod expect;
#[path = "corpus_score/norm.rs"]
mod norm;
#[path = "corpus_score/score.rs"]
mod score;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use aggregator::parse::{ParseError, ParseOptions, date, encoding, parse_feed, repair_xml};

#[derive(Default, Clone)]
struct Counts {
    files: usize,
    ok: usize,
    empty: usize,
    html: usize,
    not_a_feed: usize,
    crashed: usize,
    items: usize,
    title: usize,
    link: usize,
    date: usize,
    guid: usize,
    bad_dates: usize,
}

impl std::ops::AddAssign<&Counts> for Counts {
    fn add_assign(&mut self, o: &Counts) {
        self.files += o.files;
        self.ok += o.ok;
        self.empty += o.empty;
        self.html += o.html;
        self.not_a_feed += o.not_a_feed;
        self.crashed += o.crashed;
        self.items += o.items;
        self.title += o.title;
        self.link += o.link;
        self.date += o.date;
        self.guid += o.guid;
        self.bad_dates += o.bad_dates;
    }
}

fn main() {
    let mut verbose = false;
    let mut roots = Vec::new();
    for arg in std::env::args_os().skip(1) {
        match arg.to_str() {
            Some("-v" | "--verbose") => verbose = true,
            Some("-h" | "--help") => {
                println!("usage: corpus [-v] DIR...");
                return;
            }
            _ => roots.push(PathBuf::from(arg)),
        }
    }
    if roots.is_empty() {
        eprintln!("usage: corpus [-v] DIR...");
        std::process::exit(2);
    }

    let mut per_dir: BTreeMap<PathBuf, Counts> = BTreeMap::new();
    // "not a feed" messages, grouped by their first clause.
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures: Vec<(PathBuf, String)> = Vec::new();
    let mut unread_dates: Vec<(PathBuf, String)> = Vec::new();
    let mut skipped = 0usize;
    let mut scores: BTreeMap<PathBuf, score::Score> = BTreeMap::new();
    // Per case with a disagreement: the file and its disagreements.
    let mut disagreements: Vec<(PathBuf, Vec<score::Diff>)> = Vec::new();
    let mut bad_expectations: Vec<(PathBuf, String)> = Vec::new();

    for root in &roots {
        let mut files = Vec::new();
        if let Err(e) = walk(root, &mut files) {
            eprintln!("{}: {e}", root.display());
            std::process::exit(1);
        }
        for path in files {
            if !is_input(&path) {
                skipped += usize::from(is_candidate(&path));
                continue;
            }
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) => {
                    eprintln!("{}: {e}", path.display());
                    continue;
                }
            };
            let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
            let c = per_dir.entry(dir.clone()).or_default();
            c.files += 1;
            let parsed = parse_feed(&bytes, &ParseOptions::default());
            if let Some(exp_path) = expect::expectation_path(&path) {
                let sc = scores.entry(dir).or_default();
                match expect::load(&exp_path, &bytes) {
                    Ok(exp) => {
                        let source = encoding::decode(&bytes, None).text;
                        let ours = parsed.as_ref().map_err(|e| e.to_string());
                        let diffs = score::case(&exp, &source, ours, sc);
                        if !diffs.is_empty() {
                            disagreements.push((path.clone(), diffs));
                        }
                    }
                    Err(e) => {
                        sc.unreadable += 1;
                        bad_expectations.push((exp_path, e));
                    }
                }
            }
            match parsed {
                Ok(feed) => {
                    c.ok += 1;
                    c.items += feed.items.len();
                    for item in &feed.items {
                        c.title += usize::from(!item.title.is_empty());
                        c.link += usize::from(item.link.is_some());
                        c.date += usize::from(item.published.is_some() || item.updated.is_some());
                        c.guid += usize::from(item.guid.is_some());
                    }
                    for d in rejected_dates(&bytes) {
                        c.bad_dates += 1;
                        unread_dates.push((path.clone(), d));
                    }
                }
                Err(e) => {
                    match &e {
                        ParseError::Empty => c.empty += 1,
                        ParseError::Html => c.html += 1,
                        ParseError::NotAFeed(msg) => {
                            c.not_a_feed += 1;
                            *reasons.entry(reason(msg)).or_default() += 1;
                        }
                        ParseError::Crashed(_) => c.crashed += 1,
                        ParseError::TooManyEntries => {
                            c.not_a_feed += 1;
                            *reasons.entry(e.to_string()).or_default() += 1;
                        }
                    }
                    failures.push((path.clone(), e.to_string()));
                }
            }
        }
    }

    print_table(&per_dir, &roots);
    if skipped > 0 {
        println!(
            "(skipped {skipped} expectation files: *.serde.json, X.json next to X.xml, X_expected.json next to X.json)"
        );
    }
    if !reasons.is_empty() {
        println!("\n\"not a feed\" reasons:");
        let mut by_count: Vec<_> = reasons.into_iter().collect();
        by_count.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        for (r, n) in by_count {
            println!("  {n:5}  {r}");
        }
    }
    print_scores(&per_dir, &scores, &roots);
    for (path, e) in &bad_expectations {
        println!("unreadable expectation {}: {e}", path.display());
    }
    if verbose {
        if !failures.is_empty() {
            println!("\nfailing files:");
            for (path, err) in &failures {
                println!("  {}: {err}", path.display());
            }
        }
        if !unread_dates.is_empty() {
            println!("\ndate strings parse_date could not read:");
            for (path, d) in &unread_dates {
                println!("  {}: {d:?}", path.display());
            }
        }
        if !disagreements.is_empty() {
            println!("\ndisagreements with the suites' expectations:");
            for (path, diffs) in &disagreements {
                println!("  {}", shorten(path, &roots));
                for d in diffs {
                    println!("    {}", d.line());
                }
            }
        }
    }
}

/// Files under `dir`, recursively, in name order.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if dir.is_file() {
        out.push(dir.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        let ft = std::fs::symlink_metadata(&path)?.file_type();
        if ft.is_dir() {
            walk(&path, out)?;
        } else if ft.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

fn extension(path: &Path) -> Option<&str> {
    path.extension().and_then(|e| e.to_str())
}

/// Has one of the extensions we look at.
fn is_candidate(path: &Path) -> bool {
    matches!(extension(path), Some("xml" | "rss" | "atom" | "json"))
}

/// A candidate that is a feed, not another parser's expectation.
fn is_input(path: &Path) -> bool {
    if !is_candidate(path) {
        return false;
    }
    if extension(path) != Some("json") {
        return true;
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.ends_with(".serde.json") {
        return false;
    }
    if path.with_extension("xml").exists() {
        return false;
    }
    if let Some(stem) = name.strip_suffix("_expected.json")
        && path.with_file_name(format!("{stem}.json")).exists()
    {
        return false;
    }
    true
}

/// `malformed XML: ill-formed document: … at position 12` → `malformed XML: ill-formed document`:
/// the error kind without positions and quoted input, so like failures group together.
fn reason(msg: &str) -> String {
    let mut parts = msg.splitn(3, ": ");
    let first = parts.next().unwrap_or("");
    let kind = match parts.next() {
        Some(second) if first == "malformed XML" || first == "invalid JSON Feed" => {
            format!("{first}: {second}")
        }
        _ => first.to_string(),
    };
    let mut kind = kind.as_str();
    for cut in [" at line ", " at position ", " `", " '", " \"", " ("] {
        if let Some(i) = kind.find(cut) {
            kind = &kind[..i];
        }
    }
    kind.to_string()
}

/// Date strings in the feed that `parse_date` rejects: a second feed-rs pass over the decoded
/// (and, if needed, repaired) text with a timestamp parser that records its failures.
fn rejected_dates(bytes: &[u8]) -> Vec<String> {
    let text = encoding::decode(bytes, None).text;
    let rejected = Arc::new(Mutex::new(Vec::new()));
    let run = |text: &str| {
        let seen = Arc::clone(&rejected);
        let parser = feed_rs::parser::Builder::new()
            .id_generator(|_, _, _| String::new())
            .timestamp_parser(move |s| {
                let parsed = date::parse_date(s, chrono::FixedOffset::east_opt(0)?);
                if parsed.is_none() && !s.trim().is_empty() {
                    seen.lock()
                        .expect("not poisoned")
                        .push(s.trim().to_string());
                }
                parsed
            })
            .build();
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            parser.parse(text.as_bytes()).is_ok()
        }))
        .unwrap_or(false)
    };
    if !run(&text) {
        rejected.lock().expect("not poisoned").clear();
        run(&repair_xml(&text));
    }
    let mut out = std::mem::take(&mut *rejected.lock().expect("not poisoned"));
    out.dedup();
    out
}

fn print_table(per_dir: &BTreeMap<PathBuf, Counts>, roots: &[PathBuf]) {
    let header = [
        "directory",
        "files",
        "ok",
        "empty",
        "html",
        "not feed",
        "crashed",
        "items",
        "title",
        "link",
        "date",
        "guid",
        "bad dates",
    ];
    let row = |name: String, c: &Counts| -> Vec<String> {
        let mut v = vec![name];
        v.extend(
            [
                c.files,
                c.ok,
                c.empty,
                c.html,
                c.not_a_feed,
                c.crashed,
                c.items,
                c.title,
                c.link,
                c.date,
                c.guid,
                c.bad_dates,
            ]
            .map(|n| n.to_string()),
        );
        v
    };
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut total = Counts::default();
    for (dir, c) in per_dir {
        total += c;
        rows.push(row(shorten(dir, roots), c));
    }
    rows.push(row("TOTAL".into(), &total));
    print_rows(&header, &rows);
    if total.items > 0 {
        let pct = |n: usize| 100.0 * n as f64 / total.items as f64;
        println!(
            "items with title {:.1}%, link {:.1}%, date {:.1}%, guid {:.1}%; files parsed {:.1}%",
            pct(total.title),
            pct(total.link),
            pct(total.date),
            pct(total.guid),
            100.0 * total.ok as f64 / total.files.max(1) as f64
        );
    }
}

/// A table: the first column left-aligned, the others right-aligned, a rule above the last row.
fn print_rows(header: &[&str], rows: &[Vec<String>]) {
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i == 0 {
                s.push_str(&format!("{cell:<w$}", w = widths[0]));
            } else {
                s.push_str(&format!("  {cell:>w$}", w = widths[i]));
            }
        }
        println!("{}", s.trim_end());
    };
    line(&header.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    for (i, r) in rows.iter().enumerate() {
        if i + 1 == rows.len() {
            println!(
                "{}",
                "-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1))
            );
        }
        line(r);
    }
}

/// A directory shown relative to the deepest directory that holds every root.
fn shorten(dir: &Path, roots: &[PathBuf]) -> String {
    let mut base: PathBuf = roots
        .first()
        .and_then(|r| r.parent())
        .map(Path::to_path_buf)
        .unwrap_or_default();
    while !roots.iter().all(|r| r.starts_with(&base)) && base.pop() {}
    dir.strip_prefix(&base)
        .map_or_else(|_| dir.display().to_string(), |p| p.display().to_string())
}

/// The scoring table: per directory with cases (and directories whose files have no expectation
/// only in the total's files/ok/items), then per-field agreement and the normalisations applied.
fn print_scores(
    per_dir: &BTreeMap<PathBuf, Counts>,
    scores: &BTreeMap<PathBuf, score::Score>,
    roots: &[PathBuf],
) {
    if scores.is_empty() {
        return;
    }
    let mut header = vec![
        "directory",
        "files",
        "ok",
        "items",
        "cases",
        "no items",
        "agree",
        "failed",
        "count",
    ];
    header.extend(norm::FIELDS);
    let row = |name: String, c: &Counts, s: &score::Score| -> Vec<String> {
        let mut v = vec![name];
        v.extend(
            [
                c.files,
                c.ok,
                c.items,
                s.cases,
                s.empty_cases,
                s.agree,
                s.failed,
                s.count,
            ]
            .map(|n| n.to_string()),
        );
        v.extend(s.differ.map(|n| n.to_string()));
        v
    };
    let mut rows = Vec::new();
    let (mut total_c, mut total_s) = (Counts::default(), score::Score::default());
    for (dir, c) in per_dir {
        let s = scores.get(dir).cloned().unwrap_or_default();
        total_c += c;
        total_s += &s;
        rows.push(row(shorten(dir, roots), c, &s));
    }
    rows.push(row("TOTAL".into(), &total_c, &total_s));
    println!(
        "\nscore against the suites' expectations (cases: files with an expectation; the field \
         columns count items that disagree):"
    );
    print_rows(&header, &rows);
    let t = &total_s;
    let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
    println!(
        "cases agreeing {}/{} ({:.1}%); with items {}/{} ({:.1}%)",
        t.agree,
        t.cases,
        pct(t.agree, t.cases),
        t.agree_with_items,
        t.cases - t.empty_cases,
        pct(t.agree_with_items, t.cases - t.empty_cases),
    );
    let fields: Vec<String> = norm::FIELDS
        .iter()
        .enumerate()
        .map(|(i, f)| {
            format!(
                "{f} {}/{} ({} only after normalisation)",
                t.scored[i] - t.differ[i],
                t.scored[i],
                t.saved_by_norm[i]
            )
        })
        .collect();
    println!("items agreeing per field: {}", fields.join(", "));
    if t.unreadable > 0 {
        println!("{} expectation files could not be read", t.unreadable);
    }
    if !t.norms.0.is_empty() {
        println!("normalisations of expected values (times a value changed):");
        for (what, n) in &t.norms.0 {
            println!("  {n:5}  {what}");
        }
    }
}
