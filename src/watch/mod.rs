//! Watchlists, compiled once into a single Aho-Corasick automaton and matched per item. Pure.
//!
//! Semantics (v1): text and terms are compared after Unicode NFKC, lower-casing, dash unification
//! and whitespace collapsing. A term written in quotes is a phrase; unquoted multi-word terms are
//! matched as phrases too. A term whose edge is a Latin letter or digit must sit on a word
//! boundary at that edge ("Kim" does not match "Kimchi"), where a neighbouring Hangul or CJK
//! character counts as a boundary ("IAEA는" matches "IAEA"); Hangul and CJK term edges match
//! inside words (`북한` matches `북한은`, `남북한`). Title and summary are matched separately, so a
//! phrase never spans the two. A watchlist matches when any of its terms matches and none of its
//! `exclude` terms does.

use aho_corasick::{AhoCorasick, MatchKind};

use crate::model::{Match, ParsedItem};
pub use crate::text::fold;

/// One watchlist as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchlistSpec {
    pub name: String,
    pub terms: Vec<String>,
    pub exclude: Vec<String>,
}

/// Why a watchlist cannot be compiled.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("watchlist {watchlist:?}: term {term:?} is empty after normalisation")]
    EmptyTerm { watchlist: String, term: String },
    #[error("could not build the watchlist automaton: {0}")]
    Automaton(#[from] aho_corasick::BuildError),
}

#[derive(Debug, Clone, Copy)]
enum Role {
    Term(usize),
    Exclude,
}

#[derive(Debug, Clone)]
struct Pattern {
    watchlist: usize,
    role: Role,
    boundary_start: bool,
    boundary_end: bool,
}

/// All watchlists of a config, compiled.
#[derive(Debug, Clone)]
pub struct WatchSet {
    names: Vec<String>,
    /// Display form of each term, per watchlist (quotes removed).
    terms: Vec<Vec<String>>,
    patterns: Vec<Pattern>,
    automaton: Option<AhoCorasick>,
}

impl WatchSet {
    /// A set with no watchlists: matches nothing.
    pub fn empty() -> Self {
        Self {
            names: Vec::new(),
            terms: Vec::new(),
            patterns: Vec::new(),
            automaton: None,
        }
    }

    /// Compiles every watchlist into one automaton.
    pub fn compile(specs: &[WatchlistSpec]) -> Result<Self, WatchError> {
        let mut set = Self::empty();
        let mut needles: Vec<String> = Vec::new();
        for (w, spec) in specs.iter().enumerate() {
            set.names.push(spec.name.clone());
            let mut shown = Vec::new();
            let roles = spec
                .terms
                .iter()
                .enumerate()
                .map(|(i, t)| (t, Role::Term(i)))
                .chain(spec.exclude.iter().map(|t| (t, Role::Exclude)));
            for (raw, role) in roles {
                let display = unquote(raw);
                let folded = fold(display);
                let (Some(first), Some(last)) = (folded.chars().next(), folded.chars().next_back())
                else {
                    return Err(WatchError::EmptyTerm {
                        watchlist: spec.name.clone(),
                        term: raw.clone(),
                    });
                };
                if let Role::Term(_) = role {
                    shown.push(display.to_string());
                }
                set.patterns.push(Pattern {
                    watchlist: w,
                    role,
                    boundary_start: is_latin_word(first),
                    boundary_end: is_latin_word(last),
                });
                needles.push(folded);
            }
            set.terms.push(shown);
        }
        if !needles.is_empty() {
            set.automaton = Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .build(&needles)?,
            );
        }
        Ok(set)
    }

    /// Names of the compiled watchlists, in config order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The watchlists `item` matches, each with the terms that matched (in config order).
    pub fn match_item(&self, item: &ParsedItem) -> Vec<Match> {
        self.match_texts(&[item.title.as_str(), item.summary.as_deref().unwrap_or("")])
    }

    /// Matches several independent texts (fields); phrases never span two of them.
    pub fn match_texts(&self, texts: &[&str]) -> Vec<Match> {
        if self.automaton.is_none() {
            return Vec::new();
        }
        let folded: Vec<String> = texts.iter().map(|t| fold(t)).collect();
        let refs: Vec<&str> = folded.iter().map(String::as_str).collect();
        self.match_folded(&refs)
    }

    /// Like [`WatchSet::match_texts`], for texts already in [`fold`]ed form (so a caller that
    /// also hashes the folded text normalises it once).
    pub fn match_folded(&self, texts: &[&str]) -> Vec<Match> {
        let Some(ac) = &self.automaton else {
            return Vec::new();
        };
        let mut hits = vec![Vec::<bool>::new(); self.names.len()];
        let mut excluded = vec![false; self.names.len()];
        for hay in texts {
            for m in ac.find_overlapping_iter(hay) {
                let p = &self.patterns[m.pattern().as_usize()];
                if p.boundary_start
                    && hay[..m.start()]
                        .chars()
                        .next_back()
                        .is_some_and(is_latin_word)
                {
                    continue;
                }
                if p.boundary_end && hay[m.end()..].chars().next().is_some_and(is_latin_word) {
                    continue;
                }
                match p.role {
                    Role::Exclude => excluded[p.watchlist] = true,
                    Role::Term(i) => {
                        let h = &mut hits[p.watchlist];
                        if h.len() <= i {
                            h.resize(self.terms[p.watchlist].len(), false);
                        }
                        h[i] = true;
                    }
                }
            }
        }
        hits.into_iter()
            .enumerate()
            .filter(|(w, h)| !excluded[*w] && h.iter().any(|x| *x))
            .map(|(w, h)| Match {
                watchlist: self.names[w].clone(),
                terms: h
                    .iter()
                    .zip(&self.terms[w])
                    .filter(|(hit, _)| **hit)
                    .map(|(_, t)| t.clone())
                    .collect(),
            })
            .collect()
    }
}

/// `"Japan-DPRK summit"` → `Japan-DPRK summit`.
fn unquote(raw: &str) -> &str {
    let t = raw.trim();
    t.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .map(str::trim)
        .unwrap_or(t)
}

/// Letters and digits of scripts that separate words with spaces (not Hangul, Han or Kana).
fn is_latin_word(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{1100}'..='\u{11FF}'   // Hangul Jamo
        | '\u{3040}'..='\u{30FF}' // Hiragana, Katakana
        | '\u{3130}'..='\u{318F}' // Hangul compatibility Jamo
        | '\u{3400}'..='\u{4DBF}' // CJK extension A
        | '\u{4E00}'..='\u{9FFF}' // CJK unified ideographs
        | '\u{A960}'..='\u{A97F}' // Hangul Jamo extended-A
        | '\u{AC00}'..='\u{D7AF}' // Hangul syllables
        | '\u{D7B0}'..='\u{D7FF}' // Hangul Jamo extended-B
        | '\u{F900}'..='\u{FAFF}' // CJK compatibility ideographs
        | '\u{FF66}'..='\u{FF9F}' // half-width Katakana
        | '\u{20000}'..='\u{2FFFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> WatchSet {
        WatchSet::compile(&[
            WatchlistSpec {
                name: "dprk-japan".into(),
                terms: vec![
                    "Kim Yo-jong".into(),
                    "\"Japan-DPRK summit\"".into(),
                    "북한".into(),
                    "Kim".into(),
                    "일본".into(),
                ],
                exclude: vec!["K-pop".into()],
            },
            WatchlistSpec {
                name: "kishida".into(),
                terms: vec!["Kishida".into()],
                exclude: vec![],
            },
        ])
        .unwrap()
    }

    fn m(title: &str) -> Vec<(String, Vec<String>)> {
        set()
            .match_texts(&[title])
            .into_iter()
            .map(|m| (m.watchlist, m.terms))
            .collect()
    }

    #[test]
    fn latin_terms_need_word_boundaries() {
        assert!(m("Kimchi exports rise").is_empty());
        assert_eq!(m("Kim visits Pyongyang")[0].1, vec!["Kim"]);
        assert_eq!(m("Kim's sister")[0].1, vec!["Kim"]);
        assert!(m("Kishidas").is_empty());
    }

    #[test]
    fn hangul_terms_match_inside_words() {
        assert_eq!(m("북한은 오늘")[0].1, vec!["북한"]);
        assert_eq!(m("남북한 관계")[0].1, vec!["북한"]);
        assert_eq!(m("일본의 총리")[0].1, vec!["일본"]);
    }

    #[test]
    fn hangul_next_to_latin_term_is_a_boundary() {
        assert_eq!(m("Kishida는 말했다")[0].0, "kishida");
    }

    #[test]
    fn case_width_and_phrases() {
        let r = m("ＫＩＳＨＩＤＡ says JAPAN-DPRK  SUMMIT possible");
        assert_eq!(r.len(), 2);
        assert_eq!(
            r[0],
            (
                "dprk-japan".to_string(),
                vec!["Japan-DPRK summit".to_string()]
            )
        );
        assert_eq!(r[1].0, "kishida");
        let r = m("Talk of a Japan‐DPRK summit and Kim Yo-jong");
        assert_eq!(r[0].1, vec!["Kim Yo-jong", "Japan-DPRK summit", "Kim"]);
    }

    #[test]
    fn exclude_vetoes_the_watchlist_only() {
        let r = m("K-pop star visits Kim Jong-un's Japan-DPRK summit venue, Kishida");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].0, "kishida");
    }

    #[test]
    fn phrases_do_not_span_fields() {
        let s = set();
        assert!(
            s.match_texts(&["talks on Japan-DPRK", "summit next week"])
                .is_empty()
        );
    }

    #[test]
    fn empty_term_is_an_error() {
        let e = WatchSet::compile(&[WatchlistSpec {
            name: "w".into(),
            terms: vec!["\"  \"".into()],
            exclude: vec![],
        }])
        .unwrap_err();
        assert!(e.to_string().contains("watchlist \"w\""));
    }

    #[test]
    fn empty_set_matches_nothing() {
        assert!(WatchSet::empty().match_texts(&["anything"]).is_empty());
    }
}
