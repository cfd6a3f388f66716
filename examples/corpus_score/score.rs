//! Scoring one parsed file against its expectation, and the per-folder tallies.
//!
//! A *case* is one input file with an expectation. Items are compared in order (item i with item
//! i), on the fields of [`FIELDS`], after [`norm`](crate::norm) brought the expected values to
//! our design's form; the item count is compared too. A case agrees when the counts agree and
//! every scored field of every compared item does. A case whose file we could not parse never
//! agrees.

use aggregator::model::ParsedFeed;

use crate::expect::Expected;
use crate::norm::{FIELDS, Norms, Want, fmt_date};

/// Per-folder scoring tallies.
#[derive(Default, Clone)]
pub struct Score {
    pub cases: usize,
    /// Cases whose expectation has no items (only the count is scored).
    pub empty_cases: usize,
    pub agree: usize,
    /// Cases agreeing whose expectation has items.
    pub agree_with_items: usize,
    /// Cases whose file we could not parse.
    pub failed: usize,
    /// Cases whose item count differs.
    pub count: usize,
    /// Per field: items scored on it, items disagreeing, items agreeing only after
    /// normalisation (the raw expected value would have disagreed).
    pub scored: [usize; 6],
    pub differ: [usize; 6],
    pub saved_by_norm: [usize; 6],
    /// Expectation files that could not be read.
    pub unreadable: usize,
    pub norms: Norms,
}

impl std::ops::AddAssign<&Score> for Score {
    fn add_assign(&mut self, o: &Score) {
        self.cases += o.cases;
        self.empty_cases += o.empty_cases;
        self.agree += o.agree;
        self.agree_with_items += o.agree_with_items;
        self.failed += o.failed;
        self.count += o.count;
        for i in 0..FIELDS.len() {
            self.scored[i] += o.scored[i];
            self.differ[i] += o.differ[i];
            self.saved_by_norm[i] += o.saved_by_norm[i];
        }
        self.unreadable += o.unreadable;
        self.norms.add(&o.norms);
    }
}

/// One disagreement, for `-v`.
pub struct Diff {
    /// 1-based item number; `None` for the item count or a failed parse.
    pub item: Option<usize>,
    pub field: &'static str,
    pub expected: String,
    /// The expected value before normalisation, when it differs.
    pub raw: Option<String>,
    pub ours: String,
}

/// Scores `ours` (or our parse error) against `exp`; adds to `score`, returns the disagreements.
pub fn case(
    exp: &Expected,
    source: &str,
    ours: Result<&ParsedFeed, String>,
    score: &mut Score,
) -> Vec<Diff> {
    let mut norms = Norms::default();
    let wants = crate::norm::items(exp, source, &mut norms);
    score.norms.add(&norms);
    score.cases += 1;
    score.empty_cases += usize::from(wants.is_empty());
    let mut diffs = Vec::new();
    let feed = match ours {
        Ok(f) => f,
        Err(e) => {
            score.failed += 1;
            diffs.push(Diff {
                item: None,
                field: "parse",
                expected: format!("{} items", wants.len()),
                raw: None,
                ours: format!("error: {e}"),
            });
            return diffs;
        }
    };
    if feed.items.len() != wants.len() {
        score.count += 1;
        diffs.push(Diff {
            item: None,
            field: "count",
            expected: wants.len().to_string(),
            raw: None,
            ours: feed.items.len().to_string(),
        });
    }
    for (i, (want, item)) in wants.iter().zip(&feed.items).enumerate() {
        let got: [Option<String>; 6] = [
            Some(item.title.clone()).filter(|t| !t.is_empty()),
            item.link.clone(),
            item.guid.clone(),
            item.author.clone(),
            item.published.as_ref().map(fmt_date),
            item.updated.as_ref().map(fmt_date),
        ];
        for f in 0..FIELDS.len() {
            let Want { value, raw, scored } = &want[f];
            if !scored {
                continue;
            }
            score.scored[f] += 1;
            if *value == got[f] {
                if raw != value && *raw != got[f] {
                    score.saved_by_norm[f] += 1;
                }
                continue;
            }
            score.differ[f] += 1;
            diffs.push(Diff {
                item: Some(i + 1),
                field: FIELDS[f],
                expected: show(value),
                raw: (raw != value).then(|| show(raw)),
                ours: show(&got[f]),
            });
        }
    }
    if diffs.is_empty() {
        score.agree += 1;
        score.agree_with_items += usize::from(!wants.is_empty());
    }
    diffs
}

fn show(v: &Option<String>) -> String {
    match v {
        None => "(none)".into(),
        Some(s) => {
            let cut: String = s.chars().take(100).collect();
            if cut.len() < s.len() {
                format!("{cut:?}…")
            } else {
                format!("{cut:?}")
            }
        }
    }
}

impl Diff {
    pub fn line(&self) -> String {
        let at = match self.item {
            Some(i) => format!("item {i} {}", self.field),
            None => self.field.to_string(),
        };
        let raw = self
            .raw
            .as_deref()
            .map(|r| format!(" (as written: {r})"))
            .unwrap_or_default();
        format!("{at}: expected {}{raw} | ours {}", self.expected, self.ours)
    }
}
