//! Compiling watchlists: every term of every watchlist becomes a slot, every distinct folded
//! needle one pattern of a single Aho-Corasick automaton (regex terms one `RegexSet`), and each
//! watchlist a [`List`] of the slots its conditions need. Done once per config load; the matcher
//! only reads what is built here, so the compiled form's parts are defined here too.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::{Regex, RegexSet};

use super::query::Expr;
use super::term::{Edge, End, ParsedTerm, TermKind, parse_query, parse_term};
use super::{WatchError, WatchSet};
use crate::config::{Config, ConfigError, Location, TermError, TermSpec, WatchlistSpec};
use crate::model::Field;

/// The role of a term slot in its watchlist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Any,
    All,
    Not,
    /// A query term; `negated` when it sits under a NOT (not shown in explanations).
    Query {
        negated: bool,
    },
}

/// One term of one watchlist (an alias group is one slot with several needles).
#[derive(Debug, Clone)]
pub(super) struct Slot {
    pub(super) list: u32,
    pub(super) role: Role,
    pub(super) display: String,
}

/// One needle's use by one slot.
#[derive(Debug, Clone, Copy)]
pub(super) struct Occurrence {
    pub(super) slot: u32,
    pub(super) fields: u8,
    pub(super) start: Edge,
    pub(super) end: End,
}

/// A regex term of one slot.
#[derive(Debug, Clone)]
pub(super) struct RegexTerm {
    pub(super) slot: u32,
    pub(super) fields: u8,
    pub(super) regex: Regex,
}

/// One watchlist, compiled: where it applies and the slots of each of its conditions.
#[derive(Debug, Clone)]
pub(super) struct List {
    pub(super) name: String,
    pub(super) feeds: Vec<String>,
    pub(super) any: Vec<u32>,
    pub(super) all: Vec<u32>,
    pub(super) not: Vec<u32>,
    /// The query, and the slot of each of its terms by the term's offset.
    pub(super) query: Option<(Expr, HashMap<usize, u32>)>,
}

/// A field's bit in a set of fields.
pub(super) fn bit(f: Field) -> u8 {
    1 << (f as u8)
}

const DEFAULT_FIELDS: u8 = 1 << (Field::Title as u8) | 1 << (Field::Summary as u8);

impl WatchSet {
    /// Compiles every watchlist into one automaton.
    pub fn compile(specs: &[WatchlistSpec]) -> Result<Self, WatchError> {
        let mut builder = Builder::new();
        for (w, spec) in specs.iter().enumerate() {
            let list = builder.list(w as u32, spec)?;
            builder.set.lists.push(list);
        }
        builder.finish()
    }

    /// Compiles a loaded config's watchlists. Terms were validated at load, so this only fails
    /// on automaton limits.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        Self::compile(&config.watchlists).map_err(|e| ConfigError::Invalid {
            at: Location::file(config.watchlists_path.as_deref().unwrap_or(&config.path)),
            key: "watchlist".into(),
            message: e.to_string(),
        })
    }
}

/// A set being compiled: its slots, occurrences and regexes so far, and every distinct needle
/// once (the automaton's patterns, in pattern id order).
struct Builder {
    set: WatchSet,
    /// Pattern id by needle.
    by_needle: HashMap<String, usize>,
    /// Needles by pattern id.
    needles: Vec<String>,
}

impl Builder {
    fn new() -> Self {
        Self {
            set: WatchSet::empty(),
            by_needle: HashMap::new(),
            needles: Vec::new(),
        }
    }

    /// Compiles watchlist number `w`: each term (or alias group) of `terms`/`any`, `all` and
    /// `not`, then the query's terms, become slots of the set; the list names them.
    fn list(&mut self, w: u32, spec: &WatchlistSpec) -> Result<List, WatchError> {
        let list_fields = list_fields(spec);
        let mut list = List {
            name: spec.name.clone(),
            feeds: spec.feeds.clone(),
            any: Vec::new(),
            all: Vec::new(),
            not: Vec::new(),
            query: None,
        };
        let groups = [
            (Role::Any, &spec.terms),
            (Role::All, &spec.all),
            (Role::Not, &spec.not),
        ];
        for (role, terms) in groups {
            for t in terms {
                let members = parse_members(spec, t)?;
                let slot = self.add(w, list_fields, role, members);
                match role {
                    Role::Any => list.any.push(slot),
                    Role::All => list.all.push(slot),
                    _ => list.not.push(slot),
                }
            }
        }
        if let Some(q) = &spec.query {
            list.query = Some(self.query(w, list_fields, spec, q)?);
        }
        if list.any.is_empty() && list.all.is_empty() && list.query.is_none() {
            return Err(WatchError::NoTerms {
                watchlist: spec.name.clone(),
            });
        }
        Ok(list)
    }

    /// Compiles a watchlist's query: the query, and a slot for each of its terms by the
    /// term's offset (marked `negated` when it sits under a NOT).
    fn query(
        &mut self,
        w: u32,
        list_fields: u8,
        spec: &WatchlistSpec,
        q: &str,
    ) -> Result<(Expr, HashMap<usize, u32>), WatchError> {
        let (expr, terms) = parse_query(q).map_err(|error| WatchError::Query {
            watchlist: spec.name.clone(),
            error,
        })?;
        let negated = negated_offsets(&expr);
        let mut slots = HashMap::new();
        for (token, term) in expr.terms().into_iter().zip(terms) {
            let role = Role::Query {
                negated: negated.contains(&token.offset),
            };
            slots.insert(token.offset, self.add(w, list_fields, role, vec![term]));
        }
        Ok((expr, slots))
    }

    /// Adds one slot of watchlist `w` (a term, or an alias group's members): each text member
    /// as an occurrence of its needle (added to the automaton's patterns if new), each regex
    /// member compiled. Returns the slot's number.
    fn add(&mut self, w: u32, list_fields: u8, role: Role, members: Vec<ParsedTerm>) -> u32 {
        let set = &mut self.set;
        let slot = set.slots.len() as u32;
        set.slots.push(Slot {
            list: w,
            role,
            display: members[0].display.clone(),
        });
        for term in members {
            let fields = term.field.map_or(list_fields, bit);
            set.fields |= fields;
            match term.kind {
                TermKind::Regex(pattern) => set.regexes.push(RegexTerm {
                    slot,
                    fields,
                    // Validated by `parse_term`.
                    regex: Regex::new(&pattern).expect("regex checked at parse"),
                }),
                TermKind::Text { needle, start, end } => {
                    let id = *self.by_needle.entry(needle.clone()).or_insert_with(|| {
                        self.needles.push(needle);
                        set.needles.push(Vec::new());
                        set.needles.len() - 1
                    });
                    set.needles[id].push(Occurrence {
                        slot,
                        fields,
                        start,
                        end,
                    });
                }
            }
        }
        slot
    }

    /// The set with its automaton (over every distinct needle) and its regex set built.
    fn finish(self) -> Result<WatchSet, WatchError> {
        let mut set = self.set;
        if !self.needles.is_empty() {
            set.automaton = Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .build(&self.needles)?,
            );
        }
        if !set.regexes.is_empty() {
            set.regex_set = Some(RegexSet::new(set.regexes.iter().map(|r| r.regex.as_str()))?);
        }
        Ok(set)
    }
}

/// The fields a watchlist's unscoped terms look at: its `fields`, or title and summary.
fn list_fields(spec: &WatchlistSpec) -> u8 {
    if spec.fields.is_empty() {
        DEFAULT_FIELDS
    } else {
        spec.fields.iter().fold(0, |m, f| m | bit(*f))
    }
}

/// The members of one term (one, or an alias group's several), parsed; an empty alias group
/// is an error.
fn parse_members(spec: &WatchlistSpec, t: &TermSpec) -> Result<Vec<ParsedTerm>, WatchError> {
    let members = t
        .members()
        .iter()
        .map(|m| {
            parse_term(m).map_err(|error| WatchError::Term {
                watchlist: spec.name.clone(),
                term: m.clone(),
                error,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if members.is_empty() {
        return Err(WatchError::Term {
            watchlist: spec.name.clone(),
            term: "[]".into(),
            error: TermError {
                offset: 0,
                message: "empty alias group".into(),
            },
        });
    }
    Ok(members)
}

/// Offsets of the query terms that sit under a NOT.
fn negated_offsets(expr: &Expr) -> Vec<usize> {
    fn walk(e: &Expr, neg: bool, out: &mut Vec<usize>) {
        match e {
            Expr::Term(t) => {
                if neg {
                    out.push(t.offset)
                }
            }
            Expr::And(v) | Expr::Or(v) => v.iter().for_each(|c| walk(c, neg, out)),
            Expr::Not(c) => walk(c, !neg, out),
        }
    }
    let mut out = Vec::new();
    walk(expr, false, &mut out);
    out
}
