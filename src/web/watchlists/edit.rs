//! The watchlist editor's document work: what a form shows for a `[[watchlist]]` table, an
//! edit of the file's text (toml_edit: only changed keys rewritten, comments and layout kept),
//! which field a loader error is in, and writing the file in place (same owner and mode).

use std::ops::Range;
use std::path::Path;

use sha2::{Digest, Sha256};
use toml_edit::{ArrayOfTables, DocumentMut, Item, Table};

use crate::config::ConfigError;

/// One key of a `[[watchlist]]` table as a form field.
pub struct FieldDef {
    pub key: &'static str,
    pub label: &'static str,
    /// The value as written in TOML (a textarea), not a plain string (an input).
    pub toml: bool,
    pub hint: &'static str,
}

/// The form's fields, in the order a new table gets its keys.
pub const FIELDS: [FieldDef; 12] = [
    FieldDef {
        key: "name",
        label: "Name",
        toml: false,
        hint: "unique; alerts and filters show it",
    },
    FieldDef {
        key: "description",
        label: "Description",
        toml: false,
        hint: "optional",
    },
    FieldDef {
        key: "terms",
        label: "Terms (any of them)",
        toml: true,
        hint: r#"a TOML array: ["Kishida", ["Kim Yo-jong", "Kim Yo Jong", "김여정"]] — an inner array is a group of aliases"#,
    },
    FieldDef {
        key: "any",
        label: "Any (same as terms)",
        toml: true,
        hint: "a TOML array, as terms",
    },
    FieldDef {
        key: "all",
        label: "All (every one of them)",
        toml: true,
        hint: r#"a TOML array: ["Japan", "summit"]"#,
    },
    FieldDef {
        key: "not",
        label: "Not (none of them)",
        toml: true,
        hint: r#"a TOML array: ["K-pop", "sports"]"#,
    },
    FieldDef {
        key: "exclude",
        label: "Exclude (same as not)",
        toml: true,
        hint: "a TOML array, as not",
    },
    FieldDef {
        key: "query",
        label: "Query (the one-line form)",
        toml: false,
        hint: r#"("Kim Yo-jong" OR 김여정) AND (Japan OR 일본) AND NOT sports"#,
    },
    FieldDef {
        key: "fields",
        label: "Fields",
        toml: true,
        hint: r#"a TOML array of title, summary, author, feed, link; empty: title and summary"#,
    },
    FieldDef {
        key: "feeds",
        label: "Feeds",
        toml: true,
        hint: "a TOML array of configured feed names; empty: every feed",
    },
    FieldDef {
        key: "priority",
        label: "Priority",
        toml: false,
        hint: "low, normal, high or urgent; empty: normal",
    },
    FieldDef {
        key: "alerts",
        label: "Sinks (alerts)",
        toml: true,
        hint: "a TOML array of [[sink]] names from the main config",
    },
];

/// What a field shows for a table's value: a string as it is, anything else as written.
pub(super) fn shown(item: Option<&Item>, toml: bool) -> String {
    let Some(v) = item.and_then(Item::as_value) else {
        return String::new();
    };
    match v.as_str() {
        Some(s) if !toml => s.to_string(),
        _ => {
            let mut v = v.clone();
            v.decor_mut().clear();
            v.to_string().trim().to_string()
        }
    }
}

/// The field values of `table` (empty for a new one), in [`FIELDS`] order.
pub(super) fn values_of(table: Option<&Table>) -> Vec<String> {
    FIELDS
        .iter()
        .map(|f| shown(table.and_then(|t| t.get(f.key)), f.toml))
        .collect()
}

/// The watchlist tables of a watchlist file, or why they cannot be edited here.
pub(super) fn tables(doc: &DocumentMut) -> Result<Option<&ArrayOfTables>, String> {
    match doc.get("watchlist") {
        None => Ok(None),
        Some(Item::ArrayOfTables(a)) => Ok(Some(a)),
        Some(_) => Err(
            "the file does not write its watchlists as [[watchlist]] tables; edit it by hand"
                .into(),
        ),
    }
}

/// Where the table named `name` is among the file's watchlists.
pub(super) fn position(doc: &DocumentMut, name: &str) -> Result<Option<usize>, String> {
    Ok(tables(doc)?.and_then(|a| {
        a.iter()
            .position(|t| t.get("name").and_then(Item::as_str).map(str::trim) == Some(name))
    }))
}

/// One table as its own `[[watchlist]]` text (the change log's before and after).
pub(super) fn table_text(t: &Table) -> String {
    let mut doc = DocumentMut::new();
    let mut a = ArrayOfTables::new();
    a.push(t.clone());
    doc.insert("watchlist", Item::ArrayOfTables(a));
    format!("{}\n", doc.to_string().trim())
}

/// A proposed edit of the watchlist file.
#[derive(Debug)]
pub(super) struct Edit {
    /// The file's new text.
    pub(super) text: String,
    /// The table's index in the new text.
    pub(super) index: usize,
    /// Each changed, non-empty field: its index in [`FIELDS`] and where its value is in `text`.
    pub(super) placed: Vec<(usize, Range<usize>)>,
    /// The keys whose field changed.
    pub(super) changed: Vec<&'static str>,
}

/// The file `original` with the table at `index` (a new one when `None`) set to the form's
/// `values` ([`FIELDS`] order): a field equal to what the form showed leaves its key as it is;
/// an emptied field removes it; a changed one replaces the value (its surroundings kept) or
/// adds the key. Lists go in as the editor wrote them, so the loader checks them as written.
pub(super) fn apply(
    original: &str,
    index: Option<usize>,
    values: &[String],
) -> Result<Edit, String> {
    let mut doc: DocumentMut = original
        .parse()
        .map_err(|e: toml_edit::TomlError| e.to_string())?;
    let count = tables(&doc)?.map_or(0, ArrayOfTables::len);
    let mut table = match index {
        Some(i) => tables(&doc)?
            .and_then(|a| a.get(i))
            .cloned()
            .ok_or("no such watchlist")?,
        None => Table::new(),
    };
    // Changed values are first written as unique placeholders, then swapped for their text.
    let mark = crate::web::session::random_token();
    let mut swaps = Vec::new();
    let mut changed = Vec::new();
    for (i, (f, posted)) in FIELDS.iter().zip(values).enumerate() {
        if *posted == shown(table.get(f.key), f.toml) {
            continue;
        }
        changed.push(f.key);
        if posted.is_empty() {
            table.remove(f.key);
            continue;
        }
        let placeholder = format!("aggregator-{mark}-{i}");
        let text = if f.toml {
            posted.clone()
        } else {
            toml_edit::Value::from(posted.as_str()).to_string()
        };
        match table.get_mut(f.key).and_then(Item::as_value_mut) {
            Some(v) => {
                let decor = v.decor().clone();
                *v = toml_edit::Value::from(placeholder.as_str());
                *v.decor_mut() = decor;
            }
            None => {
                table.insert(f.key, toml_edit::value(placeholder.as_str()));
            }
        }
        swaps.push((i, format!("\"{placeholder}\""), text));
    }
    let index = match index {
        Some(i) => {
            if let Some(Item::ArrayOfTables(a)) = doc.get_mut("watchlist")
                && let Some(t) = a.get_mut(i)
            {
                *t = table;
            }
            i
        }
        None => {
            let entry = doc
                .entry("watchlist")
                .or_insert_with(|| Item::ArrayOfTables(ArrayOfTables::new()));
            if let Item::ArrayOfTables(a) = entry {
                a.push(table);
            }
            count
        }
    };
    let rendered = doc.to_string();
    let mut found: Vec<(usize, usize, usize, String)> = swaps
        .into_iter()
        .filter_map(|(i, p, text)| rendered.find(&p).map(|start| (start, p.len(), i, text)))
        .collect();
    found.sort_by_key(|f| f.0);
    let mut text = String::with_capacity(rendered.len());
    let mut placed = Vec::new();
    let mut from = 0;
    for (start, len, i, value) in found {
        text.push_str(&rendered[from..start]);
        placed.push((i, text.len()..text.len() + value.len()));
        text.push_str(&value);
        from = start + len;
    }
    text.push_str(&rendered[from..]);
    Ok(Edit {
        text,
        index,
        placed,
        changed,
    })
}

/// The byte offset of 1-based `line` and `col` (in characters) in `text`.
pub(super) fn offset_of(text: &str, (line, col): (usize, usize)) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = &text[start.min(text.len())..];
    start
        + rest
            .char_indices()
            .nth(col.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i)
}

/// 1-based line and column (in characters) of byte `offset` of `text`.
pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Which field a loader error is about (an index in [`FIELDS`]; `None`: the form as a whole),
/// and the message to show there: the loader's, with the file's name for its path, and where
/// in the field the problem is when that is known.
pub(super) fn locate(
    e: &ConfigError,
    file: &Path,
    edit: &Edit,
    values: &[String],
) -> (Option<usize>, String) {
    let name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let message = e.to_string().replace(&file.display().to_string(), &name);
    let (at, key) = match e {
        ConfigError::Syntax { at, .. } => (at, None),
        ConfigError::Invalid { at, key, .. } => (at, Some(key.as_str())),
        ConfigError::Read { .. } => return (None, message),
    };
    let Some(lc) = at.line_col.filter(|_| at.path == file) else {
        return (None, message);
    };
    let offset = offset_of(&edit.text, lc);
    let by_key = key
        .and_then(|k| k.strip_prefix("watchlist."))
        .and_then(|k| FIELDS.iter().position(|f| f.key == k));
    // In a value the editor changed: where in what they wrote.
    if let Some((i, r)) = edit.placed.iter().find(|(_, r)| r.contains(&offset)) {
        let here = within(
            &FIELDS[*i],
            &edit.text[r.clone()],
            &values[*i],
            offset - r.start,
        );
        return (Some(*i), format!("{message}{here}"));
    }
    // In a key the editor left as it was (a duplicate name, a missing term list).
    if let Ok(doc) = toml_edit::Document::parse(edit.text.clone())
        && let Some(Item::ArrayOfTables(a)) = doc.get("watchlist")
        && let Some(t) = a.get(edit.index)
    {
        let spanned = FIELDS.iter().position(|f| {
            t.get_key_value(f.key).is_some_and(|(k, v)| {
                let start = k.span().map_or(usize::MAX, |s| s.start);
                let end = v.span().map_or(0, |s| s.end);
                (start..end.max(start)).contains(&offset)
            })
        });
        return match (by_key, spanned) {
            (Some(k), _) if t.get(FIELDS[k].key).is_none() => (Some(k), message),
            (_, Some(i)) => (Some(i), message),
            (k, None) => (k, message),
        };
    }
    // The file no longer parses: a changed list ran past its end; it is the last one before.
    let before = edit
        .placed
        .iter()
        .filter(|(_, r)| r.start <= offset)
        .max_by_key(|(_, r)| r.start)
        .map(|(i, _)| *i);
    (before.or(by_key), message)
}

/// " (line L, column C of this field)" for byte `offset` of a changed value written as `repr`
/// for the field's text `posted`; empty when the two cannot be lined up.
pub(super) fn within(f: &FieldDef, repr: &str, posted: &str, offset: usize) -> String {
    let (line, col) = if f.toml {
        line_col(repr, offset)
    } else {
        // A string as a basic or literal string without escapes: one quote before the text.
        match repr.get(1..repr.len().saturating_sub(1)) {
            Some(inner) if inner == posted && offset >= 1 => line_col(inner, offset - 1),
            _ => return String::new(),
        }
    };
    format!(" (line {line}, column {col} of this field)")
}

/// The main config loaded with `text` as its watchlist file, the watchlists compiled: exactly
/// what the daemon's reload will do with the file once it is written.
pub(super) fn check(config: &Path, text: &str) -> Result<crate::config::Config, ConfigError> {
    let loaded = crate::config::load_with_watchlists(config, &crate::watch::Syntax, text)?;
    crate::watch::WatchSet::from_config(&loaded)?;
    Ok(loaded)
}

/// Replaces the file at `path` (a symlink is followed) with `text`: a temporary file in the same
/// directory, with the file's owner and mode, synced, then renamed over it.
pub(super) fn write_in_place(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::MetadataExt;
    let real = std::fs::canonicalize(path)?;
    let meta = std::fs::metadata(&real)?;
    let dir = real.parent().unwrap_or(Path::new("."));
    let name = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.web-{}-{}",
        std::process::id(),
        &crate::web::session::random_token()[..8]
    ));
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.set_permissions(meta.permissions())?;
        let mine = f.metadata()?;
        if (mine.uid(), mine.gid()) != (meta.uid(), meta.gid()) {
            std::os::unix::fs::fchown(&f, Some(meta.uid()), Some(meta.gid()))?;
        }
        f.sync_all()?;
        std::fs::rename(&tmp, &real)?;
        // The rename itself survives a crash once the directory is synced.
        std::fs::File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// A digest of the file's text: a form saved over a file that changed since is refused.
pub(super) fn version(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `name` for a URL path segment.
pub(super) fn segment(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const FILE: &str = r#"# The desk's watchlists.

[[watchlist]]
name = "dprk"   # the main one
terms = [
  "Kim Yo-jong",  # her
  "Kishida",
]  # keep short
priority = "high"

# Sports, muted.
[[watchlist]]
name = "sports"
terms = ["baseball"]
"#;

    fn values(doc: &str, name: &str) -> Vec<String> {
        let doc: DocumentMut = doc.parse().unwrap();
        let i = position(&doc, name).unwrap().unwrap();
        values_of(tables(&doc).unwrap().unwrap().get(i))
    }

    fn set(values: &mut [String], key: &str, v: &str) {
        let i = FIELDS.iter().position(|f| f.key == key).unwrap();
        values[i] = v.into();
    }

    #[test]
    fn the_form_shows_strings_plainly_and_lists_as_written() {
        let v = values(FILE, "dprk");
        assert_eq!(v[0], "dprk");
        assert_eq!(v[2], "[\n  \"Kim Yo-jong\",  # her\n  \"Kishida\",\n]");
        assert_eq!(v[10], "high");
        assert_eq!(v[7], "");
    }

    #[test]
    fn an_unchanged_form_changes_nothing_and_an_edit_keeps_the_rest() {
        let v = values(FILE, "dprk");
        let e = apply(FILE, Some(0), &v).unwrap();
        assert!(e.changed.is_empty());
        assert_eq!(e.text, FILE);

        let mut v = values(FILE, "dprk");
        set(&mut v, "terms", "[\"Kim Yo-jong\", \"김여정\"]");
        set(&mut v, "query", "Japan OR 일본");
        set(&mut v, "priority", "");
        let e = apply(FILE, Some(0), &v).unwrap();
        assert_eq!(e.changed, ["terms", "query", "priority"]);
        assert!(
            e.text
                .contains("terms = [\"Kim Yo-jong\", \"김여정\"]  # keep short\n"),
            "{}",
            e.text
        );
        assert!(e.text.contains("name = \"dprk\"   # the main one\n"));
        assert!(e.text.contains("query = \"Japan OR 일본\""));
        assert!(!e.text.contains("priority"));
        assert!(e.text.starts_with("# The desk's watchlists.\n"));
        assert!(
            e.text
                .contains("# Sports, muted.\n[[watchlist]]\nname = \"sports\"")
        );
        let (i, r) = &e.placed[0];
        assert_eq!(
            (FIELDS[*i].key, &e.text[r.clone()]),
            ("terms", "[\"Kim Yo-jong\", \"김여정\"]")
        );
    }

    #[test]
    fn a_new_watchlist_goes_at_the_end() {
        let mut v = vec![String::new(); FIELDS.len()];
        set(&mut v, "name", "energy");
        set(&mut v, "terms", "[\"LNG\"]");
        let e = apply(FILE, None, &v).unwrap();
        assert_eq!(e.index, 2);
        assert!(e.text.starts_with(FILE), "{}", e.text);
        assert!(
            e.text
                .ends_with("[[watchlist]]\nname = \"energy\"\nterms = [\"LNG\"]\n"),
            "{}",
            e.text
        );
    }

    #[test]
    fn errors_are_placed_in_the_field_they_are_in() {
        let mut v = values(FILE, "dprk");
        set(&mut v, "query", "(Kim AND Japan");
        let e = apply(FILE, Some(0), &v).unwrap();
        let err =
            crate::config::parse_watchlists(Path::new("/d/w.toml"), &e.text, &crate::watch::Syntax)
                .unwrap_err();
        let (field, message) = locate(&err, Path::new("/d/w.toml"), &e, &v);
        assert_eq!(field.map(|i| FIELDS[i].key), Some("query"));
        assert!(message.starts_with("w.toml:"), "{message}");
        assert!(message.contains("of this field"), "{message}");

        // A list that never closes: the loader stops after it; the field is the list.
        let mut v = values(FILE, "dprk");
        set(&mut v, "terms", "[\"Kim\",\n \"Kishida\"");
        let e = apply(FILE, Some(0), &v).unwrap();
        let err =
            crate::config::parse_watchlists(Path::new("/d/w.toml"), &e.text, &crate::watch::Syntax)
                .unwrap_err();
        let (field, _) = locate(&err, Path::new("/d/w.toml"), &e, &v);
        assert_eq!(field.map(|i| FIELDS[i].key), Some("terms"));
    }

    #[test]
    fn offsets_and_positions_agree() {
        let t = "ab\nc북d\n";
        for o in [0, 1, 3, 4, 7] {
            assert_eq!(offset_of(t, line_col(t, o)), o);
        }
        assert_eq!(segment("dprk japan/북"), "dprk%20japan%2F%EB%B6%81");
    }
}
