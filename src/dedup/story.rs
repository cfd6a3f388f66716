//! Near-duplicate detection for stories: the same wire copy republished by another outlet, or
//! reissued by the agency as `(LEAD)`, `(2nd LD)`… under a new link and an edited headline.
//! Pure: an item's text becomes a [`Fingerprint`]; two fingerprints give a [`Similarity`];
//! [`same_story`] decides. Finding the candidates to compare is [`super::sketch`]'s job.
//!
//! The text is first [`fold`]ed (NFKC, case, dashes), then stripped of what outlets add around
//! wire copy: tags and outlet names in headlines, datelines, bylines, credit and copyright lines
//! in bodies. Tokens are Latin-script words (and numbers) and, for Hangul, kana and Han, single
//! characters: Korean is shingled by characters, not spaces, so `북한은` and `북한이` share
//! `북한`. Headlines compare as sets of words (Hangul character pairs); bodies as sets of
//! shingles (pairs of consecutive tokens).

use std::sync::LazyLock;

use regex::Regex;

use crate::text::fold;

/// A story-comparison view of one item's text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fingerprint {
    /// The headline without wire tags and outlet suffixes, folded.
    pub headline: String,
    /// Sorted, unique hashes of the headline's words (Hangul: character pairs).
    pub title: Vec<u32>,
    /// Sorted, unique hashes of the body's shingles.
    pub body: Vec<u32>,
    /// Sorted, unique hashes of the words of headline and body together (the units of
    /// [`Fingerprint::title`]): what the item mentions anywhere.
    pub words: Vec<u32>,
    /// Sorted, unique hashes of the details the body states (the headline, without a body):
    /// numbers (`9th`, `800km`, the `26` of `26일`) and weekdays. Two reports of one kind of
    /// event differ in them.
    pub details: Vec<u32>,
    /// The sketch's band keys (see [`super::sketch`]), computed once with the fingerprint.
    pub keys: super::sketch::Keys,
    /// The item says it corrects an earlier one (`(Correction)`, `[정정]`, `(ATTN: CORRECTS
    /// figure…)`): it repeats the earlier copy with a detail changed.
    pub correction: bool,
    /// Where and when the body says it was filed (`BUSAN, Nov. 27 (Yonhap) --`,
    /// `(서울=연합뉴스)`), when it opens with a dateline.
    pub dateline: Option<Dateline>,
}

/// A body's dateline as details: the place (hashed, folded) and, when given, the day of the
/// year (1..=366; English datelines carry it, Korean ones do not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dateline {
    pub place: u32,
    /// True when the place is written in Latin script: `SEOUL` and `서울` are not compared.
    pub latin: bool,
    pub day: Option<u16>,
}

impl Dateline {
    /// Two datelines name different places, or dates more than a day apart (a reissue filed
    /// after midnight carries the next day's date).
    pub fn conflicts(&self, other: &Dateline) -> bool {
        if self.latin == other.latin && self.place != other.place {
            return true;
        }
        match (self.day, other.day) {
            (Some(a), Some(b)) => {
                let d = a.abs_diff(b);
                d.min(365u16.saturating_sub(d)) > 1
            }
            _ => false,
        }
    }
}

/// How alike two fingerprints are. All ratios are in 0..=1.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Similarity {
    /// Jaccard similarity of the headline word sets.
    pub title: f32,
    /// Shared headline words over the smaller headline's words.
    pub title_overlap: f32,
    /// One of the two says it corrects an earlier item.
    pub correction: bool,
    /// Jaccard similarity of the body shingle sets.
    pub body: f32,
    /// Shared body shingles over the smaller body's shingles: high when one body contains the
    /// other (a short flash and its longer reissue; a republication cut after one sentence).
    pub containment: f32,
    /// Shingles in the smaller body: containment over a handful of shingles means little.
    pub smaller_body: usize,
    /// Words in the shorter headline: a one-word headline ("Weather") says nothing alone.
    pub shorter_title: usize,
    /// Both bodies open with a dateline, and they name different places or days.
    pub dateline_conflict: bool,
    /// Details (numbers, weekdays) both state, and how many the one stating fewer states.
    pub details_shared: usize,
    pub fewer_details: usize,
    /// Of each headline, the share of its words the other item never mentions; the smaller of
    /// the two. A reissue's headline adds words, but the earlier headline's words are all in
    /// the reissue; two reports about different subjects each name something the other lacks.
    pub headline_novelty: f32,
}

/// Bodies under this many shingles are too short for containment alone to join two items.
pub const MIN_BODY: usize = 8;
/// Headlines under this many words never join two body-less items.
pub const MIN_TITLE: usize = 3;

impl Fingerprint {
    /// Fingerprints an item from its title and plain-text summary.
    pub fn new(title: &str, summary: &str) -> Self {
        Self::from_folded(&fold(title), &fold(summary))
    }

    /// Like [`Fingerprint::new`], with title and summary already [`fold`]ed.
    pub fn from_folded(title: &str, summary: &str) -> Self {
        let mut f = Self::compared(title, summary);
        f.keys = super::sketch::band_keys(&f.body, &f.title, &f.headline);
        f
    }

    /// A fingerprint for comparing a stored item with a new one: everything but the sketch
    /// keys (`keys` stays empty), which only a new item needs for its probe.
    pub fn for_comparison(title: &str, summary: &str) -> Self {
        Self::compared(&fold(title), &fold(summary))
    }

    fn compared(title: &str, summary: &str) -> Self {
        let headline = normalize_headline_folded(title);
        let correction = CORRECTION.is_match(title)
            || CORRECTION_NOTE
                .find(summary.trim_start())
                .is_some_and(|m| m.as_str().contains("correct"));
        let title_tokens = tokens(&headline);
        let mut title_set = word_set(&title_tokens);
        let (body_text, dateline) = strip_body_and_dateline(summary);
        let mut body_tokens = tokens(&body_text);
        if ends_truncated(&body_text) {
            // "…the military sa..." : the last word may be cut short.
            body_tokens.pop();
        }
        let mut body = shingles(&body_tokens);
        // Details come from the body, where they are stated in full; the headline's only for
        // an item without a body ("1심" in a flash headline is "first trial", not a count).
        let detail_source = if body_tokens.is_empty() {
            &title_tokens
        } else {
            &body_tokens
        };
        let details = details_of(detail_source);
        let mut words = word_set(&body_tokens);
        words.extend_from_slice(&title_set);
        for v in [&mut title_set, &mut body, &mut words] {
            v.sort_unstable();
            v.dedup();
        }
        Self {
            headline,
            title: title_set,
            body,
            words,
            details,
            keys: Default::default(),
            correction,
            dateline,
        }
    }

    /// True when there is no text to compare at all.
    pub fn is_empty(&self) -> bool {
        self.title.is_empty() && self.body.is_empty()
    }

    /// A looser [`details_conflict`] for an item against the other members of a story it is about
    /// to join: more than half of the fewer details missing. A story's versions add details and
    /// its republications drop some, so two members may differ a little; a different event differs
    /// in most.
    pub fn contradicts(&self, other: &Fingerprint) -> bool {
        if !(self.correction || other.correction) && self.dateline_conflict(other) {
            return true;
        }
        let fewer = self.details.len().min(other.details.len());
        shared(&self.details, &other.details) * 2 < fewer
    }

    /// Compares two fingerprints when they may be the same story ([`same_story`]), `None` when
    /// they cannot be. Every rule of [`same_story`] needs a shared headline word and details that
    /// do not conflict: both are checked on the short word lists first, so the many candidates
    /// that share only a phrase cost no comparison of their bodies.
    pub fn same_story_similarity(&self, other: &Fingerprint) -> Option<Similarity> {
        if shared(&self.title, &other.title) == 0 {
            return None;
        }
        let details_shared = shared(&self.details, &other.details);
        let fewer_details = self.details.len().min(other.details.len());
        if !(self.correction || other.correction) && details_shared * 4 < fewer_details * 3 {
            return None;
        }
        let sim = self.similarity(other);
        same_story(&sim).then_some(sim)
    }

    /// What an index entry keeps of this fingerprint (see [`Fingerprint::ruled_out_by`]).
    pub fn gist(&self) -> super::sketch::Gist {
        use super::sketch::Gist;
        let d = self.dateline;
        let flag = |on: bool, f: u8| if on { f } else { 0 };
        Gist {
            title: Gist::bits(&self.title),
            details: Gist::bits(&self.details),
            place: d.map_or(0, |d| d.place),
            day: d.and_then(|d| d.day).unwrap_or(0),
            n_details: self.details.len().min(255) as u8,
            flags: Gist::KNOWN
                | flag(self.correction, Gist::CORRECTION)
                | flag(d.is_some(), Gist::DATELINE)
                | flag(d.is_some_and(|d| d.latin), Gist::LATIN),
        }
    }

    /// True when an indexed item with this gist can not be the same story as `self` (this
    /// fingerprint the new item's): [`Fingerprint::same_story_similarity`] would say no on its
    /// first checks, so its full fingerprint need not be read. Never true when it would say
    /// yes: shared words and details are over-counted through the gist's bits, never missed.
    pub fn ruled_out_by(&self, gist: &super::sketch::Gist) -> bool {
        use super::sketch::Gist;
        if !gist.has(Gist::KNOWN) {
            return false;
        }
        if Gist::bits(&self.title) & gist.title == 0 {
            return true;
        }
        if self.correction || gist.has(Gist::CORRECTION) {
            return false;
        }
        let shared_at_most = self
            .details
            .iter()
            .filter(|&&d| Gist::bit(d) & gist.details != 0)
            .count();
        let fewer = self.details.len().min(usize::from(gist.n_details));
        if gist.n_details < 255 && shared_at_most * 4 < fewer * 3 {
            return true;
        }
        match self.dateline {
            Some(mine) if gist.has(Gist::DATELINE) => mine.conflicts(&Dateline {
                place: gist.place,
                latin: gist.has(Gist::LATIN),
                day: (gist.day != 0).then_some(gist.day),
            }),
            _ => false,
        }
    }

    fn dateline_conflict(&self, other: &Fingerprint) -> bool {
        matches!((&self.dateline, &other.dateline), (Some(a), Some(b)) if a.conflicts(b))
    }

    /// Compares two fingerprints.
    pub fn similarity(&self, other: &Fingerprint) -> Similarity {
        let (t_shared, t_a, t_b) = (
            shared(&self.title, &other.title),
            self.title.len(),
            other.title.len(),
        );
        let (b_shared, b_a, b_b) = (
            shared(&self.body, &other.body),
            self.body.len(),
            other.body.len(),
        );
        Similarity {
            title: ratio(t_shared, t_a + t_b - t_shared),
            title_overlap: ratio(t_shared, t_a.min(t_b)),
            correction: self.correction || other.correction,
            dateline_conflict: self.dateline_conflict(other),
            body: ratio(b_shared, b_a + b_b - b_shared),
            containment: ratio(b_shared, b_a.min(b_b)),
            smaller_body: b_a.min(b_b),
            shorter_title: t_a.min(t_b),
            details_shared: shared(&self.details, &other.details),
            fewer_details: self.details.len().min(other.details.len()),
            headline_novelty: missing(&self.title, &other.words)
                .min(missing(&other.title, &self.words)),
        }
    }
}

/// Whether two items state different details: of the item stating fewer details (numbers,
/// weekdays), more than a quarter are missing from the other. Two reports of the same kind of
/// event (two launches, two games, two daily market reports) share their words and differ here;
/// a republication or a reissue repeats the details it had and may add more.
pub fn details_conflict(s: &Similarity) -> bool {
    if s.correction {
        // A correction changes a figure or two of what it corrects, and says so (the dateline
        // may be what it corrects).
        // A correction changes a figure or two of what it corrects, and says so.
        return s.fewer_details.saturating_sub(s.details_shared) > 2;
    }
    if s.dateline_conflict {
        return true;
    }
    s.details_shared * 4 < s.fewer_details * 3
}

/// Whether two items are the same story, by their similarity. Precision first: two different
/// reports on one topic share many words, so every rule asks for much more than a shared topic;
/// no rule joins items whose details conflict ([`details_conflict`]), and all but the first
/// need headlines that name nothing the other item lacks ([`Similarity::headline_novelty`]).
/// - Copy: the smaller body wholly inside the other (a republication with other boilerplate or
///   cut short, a flash inside its longer reissue); or almost wholly, with headlines that agree.
/// - Same headline: headlines (tags and outlet names removed) nearly the same, and bodies that
///   share some text, or no bodies to compare.
/// - Same facts: several details, all shared, with headlines and bodies that largely agree (a
///   reissue that rewrote its lede).
/// - Same text: bodies mostly the same shingles, headlines agreeing.
pub fn same_story(s: &Similarity) -> bool {
    if details_conflict(s) {
        return false;
    }
    let bodies = s.smaller_body >= MIN_BODY;
    // A body inside another still needs a word of the headline in common: a feed that gives
    // every item the same description (a site blurb) must not make them one story.
    if bodies && s.containment >= 0.97 && s.title_overlap > 0.0 {
        return true;
    }
    let novelty = s.headline_novelty;
    if bodies && s.containment >= 0.85 && novelty < 0.08 && s.title_overlap >= 0.2 {
        return true;
    }
    if novelty >= 0.05 {
        return false;
    }
    if s.shorter_title >= MIN_TITLE && s.title_overlap >= 0.9 && (!bodies || s.containment >= 0.3) {
        return true;
    }
    if bodies
        && s.details_shared >= 3
        && s.details_shared == s.fewer_details
        && s.title_overlap >= 0.7
        && s.containment >= 0.5
    {
        return true;
    }
    bodies && s.body >= 0.6 && s.title_overlap >= 0.6
}

/// Whether two items that each matched a third one plausibly tell the same story: headlines
/// or bodies that share a good part, and no conflicting details. Looser than [`same_story`]:
/// the third item already vouches for both.
pub fn related(s: &Similarity) -> bool {
    !details_conflict(s) && (s.title_overlap >= 0.5 || s.containment >= 0.5)
}

/// A score to pick the best of several matching stories: the stronger of the body and
/// headline agreement.
pub fn score(s: &Similarity) -> f32 {
    s.containment.max(s.body) + s.title
}

/// The headline as stories compare it: wire tags (`(LEAD)`, `(2nd LD)`, `(URGENT)`, `[속보]`,
/// `(종합2보)`…) and trailing outlet names (` - Yonhap`, `| The Korea Herald`) removed, folded.
pub fn normalize_headline(title: &str) -> String {
    normalize_headline_folded(&fold(title))
}

fn normalize_headline_folded(folded: &str) -> String {
    let mut h = TAG.replace_all(folded, " ").into_owned();
    // Two rounds: "title - Yonhap | The Korea Herald".
    for _ in 0..2 {
        let Some(m) = SUFFIX.find(&h) else { break };
        let rest = h[..m.start()].trim_end();
        if tokens(rest).len() < 3 {
            break;
        }
        h.truncate(rest.len());
    }
    collapse_spaces(&h)
}

/// The body as stories compare it: datelines (`SEOUL, March 26 (Yonhap) --`,
/// `(서울=연합뉴스) 김철수 기자 =`), bylines, end marks and credit or copyright lines removed,
/// folded.
pub fn strip_body(summary: &str) -> String {
    strip_body_folded(&fold(summary))
}

fn strip_body_folded(folded: &str) -> String {
    strip_body_and_dateline(folded).0
}

/// [`strip_body_folded`], and the dateline it removed, read as place and day.
fn strip_body_and_dateline(folded: &str) -> (String, Option<Dateline>) {
    let mut s: &str = folded.trim();
    let mut dateline = None;
    // Leading: an editor's note, a byline, then a dateline; a Korean dateline; an outlet in
    // brackets.
    for re in [
        &*CORRECTION_NOTE,
        &*BYLINE,
        &*DATELINE,
        &*KO_DATELINE,
        &*LEAD_BRACKET,
    ] {
        if let Some(c) = re.captures(s) {
            if let Some(place) = c.name("place") {
                dateline = read_dateline(
                    place.as_str(),
                    c.name("date").map(|d| d.as_str()),
                    c.name("outlet").map(|o| o.as_str()),
                );
            }
            s = s[c.get(0).map_or(0, |m| m.end())..].trim_start();
        }
    }
    // Trailing marks may stack: "... (END) <저작권자 ...>".
    let mut end = s.len();
    for _ in 0..3 {
        match TRAILER.find(&s[..end]) {
            Some(m) if m.start() > 0 => end = m.start(),
            _ => break,
        }
    }
    (s[..end].trim().to_string(), dateline)
}

/// A dateline's place (`seoul`, `서울`) and date (`nov. 27`, `march 26`), folded.
fn read_dateline(place: &str, date: Option<&str>, outlet: Option<&str>) -> Option<Dateline> {
    let place = collapse_spaces(place.trim_matches(|c: char| c == ',' || c.is_whitespace()));
    // What looks like a dateline but is not one: a photo or graphics credit (`[사진=연합뉴스]`),
    // a ticker (`Samsung Electronics Co. (005930) -`), a phrase before an aside (`officials
    // said, citing data (pdf) -`: a date that is no date), a sentence (more than four words).
    if place.is_empty()
        || place.split_whitespace().count() > 4
        || NOT_PLACES.iter().any(|w| place.contains(w))
        || outlet.is_some_and(|o| o.bytes().any(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let day = match date.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => Some(day_of_year(d)?),
        None => None,
    };
    Some(Dateline {
        place: hash_str(&place) as u32,
        latin: !place.chars().any(is_char_script),
        day,
    })
}

/// Words of bracketed credits that open Korean copy like a dateline does.
const NOT_PLACES: [&str; 8] = [
    "사진",
    "그래픽",
    "이미지",
    "제공",
    "영상",
    "자료",
    "편집",
    "photo",
];

/// `nov. 27` → 331: the day of a (non-leap) year a month name and a day give.
fn day_of_year(date: &str) -> Option<u16> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    const BEFORE: [u16; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let mut words = date.split(|c: char| c.is_whitespace() || c == '.' || c == ',');
    let month = words.find(|w| !w.is_empty())?;
    let m = MONTHS.iter().position(|p| month.starts_with(p))?;
    let day: u16 = words.find(|w| !w.is_empty())?.parse().ok()?;
    (1..=31).contains(&day).then_some(BEFORE[m] + day)
}

fn collapse_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn ends_truncated(s: &str) -> bool {
    s.ends_with("...") || s.ends_with('…')
}

// Word boundaries are ASCII ones, `(?-u:\b)`: a Unicode `\b` keeps the regex engine off its
// fast automaton for any non-ASCII text, and every boundary here follows an ASCII word.
static TAG: LazyLock<Regex> = LazyLock::new(|| {
    // A bracketed group whose content starts with a wire tag; the rest of the group (", ATTN:
    // adds details") goes with it.
    Regex::new(
        r"(?x)
        [(\[<【]\s*
        (?:
            (?:\d+\s*(?:st|nd|rd|th)\s+)?
            (?:lead|ld|urgent|flash|bulletin|news\s+focus|news\s+analysis|yonhap\s+interview
              |yonhap\s+feature|interview|feature|ample|correction|corrected|correcting|update[sd]?
              |attn|editorial|breaking|recast|repeat|refile|photo|graphics?|fact\s*check
              |summary|wrap|brief)(?-u:\b)
          | (?:속보|단독|종합|\d+\s*보|사진|포토|영상|인터뷰|그래픽|팩트체크|르포|일문일답|카드뉴스|이슈|정정)
        )
        [^)\]>】]{0,80}
        [)\]>】]",
    )
    .expect("static regex")
});

static SUFFIX: LazyLock<Regex> = LazyLock::new(|| {
    // " | The Korea Herald", " - Yonhap", " - 뉴시스": a short tail after a spaced separator.
    Regex::new(r"\s+(?:\||-|::|/)\s+[^|\-:/]{1,40}$").expect("static regex")
});

/// A headline tag saying the item corrects an earlier one.
static CORRECTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[(\[]\s*(?:correct(?:ion|ed|ing)(?-u:\b)|정정)[^)\]]{0,40}[)\]]")
        .expect("static regex")
});

/// An editor's note leading a body: `(ATTN: CORRECTS figure in para 5)`, `(ATTN: ADDS …)`
/// (folded).
static CORRECTION_NOTE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\(\s*attn\s*:[^)]{0,120}\)\s*").expect("static regex"));

static BYLINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^by\s+(?:yonhap|kyodo|afp|ap|reuters|xinhua|the\s+korea\s+herald|korea\s+herald|korea\s+times|newsis|nk\s*news|staff)(?:\s+news(?:\s+agency)?)?(?-u:\b)\s*")
        .expect("static regex")
});

static DATELINE: LazyLock<Regex> = LazyLock::new(|| {
    // "seoul, march 26 (yonhap) --", "tokyo, march 26 (kyodo) -", "washington (ap) —".
    // The place runs to the first comma; the date, when there is one, follows it.
    Regex::new(
        r"^(?P<place>[\p{L} .']{2,40}?)(?:,(?P<date>[\p{L}\p{N} .,']{1,30}?))?\s*\(\s*(?P<outlet>[\p{L}\p{N} .&-]{2,30})\)\s*(?:--|-|:)\s*",
    )
        .expect("static regex")
});

static KO_DATELINE: LazyLock<Regex> = LazyLock::new(|| {
    // "(서울=연합뉴스) 김철수 기자 =", "【서울=뉴시스】김철수 기자 =", "[도쿄=연합뉴스]".
    Regex::new(
        r"^[(\[【]\s*(?P<place>[^)\]】=]{1,20})=\s*[^)\]】]{1,20}[)\]】]\s*(?:[\p{L}\s·,]{0,30}?(?:기자|특파원|통신원)\s*=?\s*)?",
    )
    .expect("static regex")
});

static LEAD_BRACKET: LazyLock<Regex> = LazyLock::new(|| {
    // "[뉴시스]", "[yonhap]": a short outlet tag in brackets at the start.
    Regex::new(r"^\[[^\]\s]{1,12}\]\s*").expect("static regex")
});

static TRAILER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?:
            \(\s*(?:end|끝)\s*\)
          | <[^>]{0,80}(?:저작권|copyright|무단|all\s+rights)[^>]{0,80}>
          | \[[^\]]{0,80}(?:저작권|copyright|무단)[^\]]{0,80}\]
          | (?:ⓒ|©|\(c\)\s|copyright(?-u:\b))[^.]{0,120}\.?
          | (?:^|[.!?]\s+)[^.!?]{0,100}(?-u:\b)(?:provided\s+by|all\s+rights\s+reserved|distributed\s+by)(?-u:\b)[^.!?]{0,100}[.!?]?
          | (?-u:\b)by\s+(?:yonhap|kyodo|afp|ap|reuters|xinhua|newsis)(?:\s+news(?:\s+agency)?)?
        )
        \s*$",
    )
    .expect("static regex")
});

/// The scripts written without spaces between words (or whose words stay meaningful split in
/// characters): Hangul, kana, Han.
fn is_char_script(c: char) -> bool {
    matches!(c,
        '\u{1100}'..='\u{11ff}' | '\u{3130}'..='\u{318f}' | '\u{ac00}'..='\u{d7af}'
        | '\u{3040}'..='\u{30ff}' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}'
        | '\u{f900}'..='\u{faff}')
}

/// A token: a word (`Word`), a word with a digit (`Number`), a weekday (`Weekday`), or one
/// character of a character script (`Char`), as its hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Word(u64),
    /// A function word (`the`, `on`, `to`…): part of shingles, not of headline word sets.
    Stop(u64),
    Number(u64),
    Weekday(u64),
    Char(u64),
}

impl Token {
    fn hash(self) -> u64 {
        match self {
            Token::Word(h)
            | Token::Stop(h)
            | Token::Number(h)
            | Token::Weekday(h)
            | Token::Char(h) => h,
        }
    }
}

/// The details a token list states: numbers and weekdays.
fn details_of(tokens: &[Token]) -> Vec<u32> {
    let mut out: Vec<u32> = tokens
        .iter()
        .filter_map(|t| match *t {
            Token::Weekday(h) | Token::Number(h) => Some(h as u32),
            _ => None,
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// English function words: two headlines sharing only these share nothing.
const STOP_WORDS: [&str; 32] = [
    "a", "an", "the", "of", "in", "on", "at", "to", "for", "with", "by", "from", "as", "and", "or",
    "is", "are", "was", "be", "its", "it", "into", "over", "after", "amid", "about", "up", "out",
    "than", "that", "this", "s",
];

const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

fn hash_str(s: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(s.as_bytes())
}

fn tokens(folded: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut word_start: Option<usize> = None;
    let flush = |out: &mut Vec<Token>, start: &mut Option<usize>, end: usize| {
        if let Some(s) = start.take() {
            // "korea's" and "korea" are one word.
            let w = &folded[s..end];
            let w = w.strip_suffix("'s").unwrap_or(w);
            let h = hash_str(w);
            if w.bytes().any(|b| b.is_ascii_digit()) {
                out.push(Token::Number(h));
            } else if WEEKDAYS.contains(&w) {
                out.push(Token::Weekday(h));
            } else if STOP_WORDS.contains(&w) {
                out.push(Token::Stop(h));
            } else {
                out.push(Token::Word(h));
            }
        }
    };
    for (i, c) in folded.char_indices() {
        if is_char_script(c) {
            flush(&mut out, &mut word_start, i);
            out.push(Token::Char(hash_str(&folded[i..i + c.len_utf8()])));
        } else if c.is_alphanumeric() || (c == '\'' && word_start.is_some()) {
            word_start.get_or_insert(i);
        } else {
            flush(&mut out, &mut word_start, i);
        }
    }
    flush(&mut out, &mut word_start, folded.len());
    out
}

fn pair(a: u64, b: u64) -> u64 {
    a.rotate_left(17) ^ b.wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// Headline set: words; runs of character-script tokens as pairs of neighbours (a lone
/// character counts alone).
fn word_set(tokens: &[Token]) -> Vec<u32> {
    let mut out = Vec::with_capacity(tokens.len());
    for (i, t) in tokens.iter().enumerate() {
        match *t {
            Token::Word(h) | Token::Number(h) | Token::Weekday(h) => out.push(h as u32),
            Token::Stop(_) => {}
            Token::Char(h) => match tokens.get(i + 1) {
                Some(Token::Char(next)) => out.push(pair(h, *next) as u32),
                _ if !matches!(i.checked_sub(1).map(|p| tokens[p]), Some(Token::Char(_))) => {
                    out.push(h as u32)
                }
                _ => {}
            },
        }
    }
    out
}

/// Body shingles: pairs of consecutive tokens; a one-token body is its token.
fn shingles(tokens: &[Token]) -> Vec<u32> {
    if tokens.len() < 2 {
        return tokens.iter().map(|t| t.hash() as u32).collect();
    }
    tokens
        .windows(2)
        .map(|w| pair(w[0].hash(), w[1].hash()) as u32)
        .collect()
}

/// Elements two sorted, unique lists share.
fn shared(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// The share of `of` not in `among` (both sorted, unique); 0 for an empty `of`.
fn missing(of: &[u32], among: &[u32]) -> f32 {
    if of.is_empty() {
        return 0.0;
    }
    1.0 - ratio(shared(of, among), of.len())
}

fn ratio(n: usize, d: usize) -> f32 {
    if d == 0 { 0.0 } else { n as f32 / d as f32 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headline_tags_and_outlets_are_removed() {
        let cases = [
            (
                "(LEAD) N. Korea fires ballistic missile into East Sea: JCS",
                "n. korea fires ballistic missile into east sea: jcs",
            ),
            (
                "(2nd LD) N. Korea fires ballistic missile",
                "n. korea fires ballistic missile",
            ),
            (
                "(3rd LD, ATTN: ADDS details in paras 5-7) Seoul responds",
                "seoul responds",
            ),
            ("(URGENT) N. Korea fires missile", "n. korea fires missile"),
            (
                "(News Focus) What the launch means",
                "what the launch means",
            ),
            (
                "(Yonhap Interview) Envoy says talks possible",
                "envoy says talks possible",
            ),
            ("(AMPLE) Markets close higher", "markets close higher"),
            (
                "(Correction) Minister to visit Tokyo",
                "minister to visit tokyo",
            ),
            ("N. Korea fires missile - Yonhap", "n. korea fires missile"),
            (
                "N. Korea fires missile | The Korea Herald",
                "n. korea fires missile",
            ),
            (
                "N. Korea fires missile – Kyodo News",
                "n. korea fires missile",
            ),
            (
                "[속보] 북한, 동해상으로 탄도미사일 발사",
                "북한, 동해상으로 탄도미사일 발사",
            ),
            (
                "북한, 동해상으로 탄도미사일 발사(종합2보)",
                "북한, 동해상으로 탄도미사일 발사",
            ),
            (
                "북한, 탄도미사일 발사 (2보) - 뉴시스",
                "북한, 탄도미사일 발사",
            ),
            // Not tags: ordinary words in parentheses stay; a short headline keeps its tail.
            (
                "Leaders (and deputies) meet in Seoul",
                "leaders (and deputies) meet in seoul",
            ),
            ("Seoul - Tokyo", "seoul - tokyo"),
            ("（ＬＥＡＤ） Full-width tag", "full-width tag"),
        ];
        for (input, want) in cases {
            assert_eq!(normalize_headline(input), want, "{input}");
        }
    }

    #[test]
    fn body_boilerplate_is_removed() {
        let cases = [
            (
                "SEOUL, March 26 (Yonhap) -- North Korea fired a missile. (END)",
                "north korea fired a missile.",
            ),
            (
                "By Yonhap SEOUL, March 26 (Yonhap) -- North Korea fired a missile.",
                "north korea fired a missile.",
            ),
            (
                "TOKYO, March 26 (Kyodo) - Japan protested. This article was provided by Kyodo News.",
                "japan protested",
            ),
            (
                "(서울=연합뉴스) 김철수 기자 = 북한이 탄도미사일을 발사했다. <저작권자(c) 연합뉴스, 무단 전재-재배포 금지>",
                "북한이 탄도미사일을 발사했다.",
            ),
            (
                "【서울=뉴시스】홍길동 기자 = 북한이 발사했다.",
                "북한이 발사했다.",
            ),
            ("[뉴시스] 북한이 발사했다.", "북한이 발사했다."),
            (
                "North Korea fired a missile, the military said.",
                "north korea fired a missile, the military said.",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(strip_body(input), want, "{input}");
        }
    }

    #[test]
    fn the_quick_check_agrees_with_same_story_on_every_pair() {
        let texts: Vec<(String, String)> = vec![
            ("N. Korea fires ballistic missile into East Sea: JCS".into(), LEDE.into()),
            ("(LEAD) N. Korea fires ballistic missile into East Sea: JCS".into(), format!("{LEDE} The launch came days after joint drills.")),
            ("(2nd LD) N. Korea fires missile, third launch this month".into(), format!("SEOUL, March 26 (Yonhap) -- {LEDE}")),
            ("N. Korea fires ballistic missile into East Sea: JCS".into(), LEDE.replace("Tuesday", "Friday").replace("third", "fifth")),
            ("Seoul shares open higher".into(), "Seoul shares opened higher on Monday, with the KOSPI up 0.4 percent to 2,611 points in early trading.".into()),
            ("Seoul shares open higher".into(), "Seoul shares opened higher on Tuesday, with the KOSPI up 1.2 percent to 2,650 points in early trading.".into()),
            ("Seoul shares open higher".into(), String::new()),
            ("[속보] 북한, 동해상으로 탄도미사일 발사".into(), "(서울=연합뉴스) 김철수 기자 = 북한이 26일 오전 동해상으로 탄도미사일을 발사했다고 합동참모본부가 밝혔다.".into()),
            ("북한, 동해상으로 탄도미사일 발사(종합)".into(), "(서울=연합뉴스) 김철수 기자 = 북한이 26일 오전 동해상으로 탄도미사일을 발사했다고 합동참모본부가 밝혔다. 이달 들어 세 번째다.".into()),
            ("Finance ministry postpones chip subsidies".into(), "The finance ministry said on Nov. 28 it will postpone semiconductor subsidies worth 2 trillion won until next year.".into()),
            ("Finance ministry postpones chip subsidies".into(), "Officials met exporters in Busan to discuss shipping rates and port congestion ahead of the holidays.".into()),
            ("Yonhap News Summary".into(), "The following is the first summary of major stories on Monday.".into()),
            ("Yonhap News Summary".into(), "The following is the second summary of major stories on Monday.".into()),
        ];
        let prints: Vec<Fingerprint> = texts.iter().map(|(t, b)| Fingerprint::new(t, b)).collect();
        let (mut same, mut ruled_out) = (0, 0);
        for a in &prints {
            for b in &prints {
                let full = same_story(&a.similarity(b));
                assert_eq!(
                    a.same_story_similarity(b).is_some(),
                    full,
                    "{} / {}",
                    a.headline,
                    b.headline
                );
                // The index's gist never rules out a pair that is one story.
                let out = a.ruled_out_by(&b.gist());
                assert!(!(out && full), "{} / {}", a.headline, b.headline);
                same += usize::from(full);
                ruled_out += usize::from(out);
            }
        }
        assert!(
            same > prints.len(),
            "the cases include distinct items that are one story"
        );
        assert!(ruled_out > 0, "the gist rules out some pairs");
        // A gist of unknown origin (stored before gists were kept) rules nothing out.
        assert!(!prints[0].ruled_out_by(&Default::default()));
    }

    #[test]
    fn near_duplicates_share_sketch_keys_and_unrelated_items_do_not() {
        use super::super::sketch::{KEYS, Keys};
        let fp_keys = |t: &str, b: &str| Fingerprint::new(t, b).keys;
        let a = fp_keys("N. Korea fires missile: JCS", LEDE);
        let b = fp_keys(
            "North Korea fires missile | The Korea Herald",
            &format!("SEOUL, March 26 (Yonhap) -- {LEDE} (END)"),
        );
        let c = fp_keys(
            "BTS to hold concert in Busan",
            "The K-pop group will perform at the Busan Asiad stadium in October, its agency said.",
        );
        let shared = |x: &Keys, y: &Keys| x.iter().zip(y).filter(|(p, q)| p == q).count();
        assert!(shared(&a, &b) >= KEYS / 2, "{}", shared(&a, &b));
        assert_eq!(shared(&a, &c), 0);
    }

    fn sim(a: (&str, &str), b: (&str, &str)) -> Similarity {
        Fingerprint::new(a.0, a.1).similarity(&Fingerprint::new(b.0, b.1))
    }

    const LEDE: &str = "North Korea fired a short-range ballistic missile toward the East Sea on \
        Tuesday morning, South Korea's Joint Chiefs of Staff said, the third launch this month.";

    #[test]
    fn republication_with_other_boilerplate_is_the_same_story() {
        let s = sim(
            (
                "N. Korea fires ballistic missile into East Sea: JCS",
                &format!("SEOUL, March 26 (Yonhap) -- {LEDE} (END)"),
            ),
            (
                "North Korea fires ballistic missile into East Sea | The Korea Herald",
                &format!("By Yonhap {LEDE} This article was provided by Yonhap."),
            ),
        );
        assert!(s.body > 0.95 && s.containment > 0.95, "{s:?}");
        assert!(same_story(&s), "{s:?}");
    }

    #[test]
    fn a_reissue_containing_the_flash_is_the_same_story() {
        let flash = "North Korea fired a ballistic missile toward the East Sea on Tuesday, South Korea's military said.";
        let lead = format!(
            "{flash} The missile flew about 800 kilometers before landing outside Japan's \
             exclusive economic zone, the Joint Chiefs of Staff said, adding that it was analysing details."
        );
        let s = sim(
            (
                "(URGENT) N. Korea fires ballistic missile into East Sea",
                flash,
            ),
            (
                "(LEAD) N. Korea fires ballistic missile into East Sea, flies 800 km",
                &lead,
            ),
        );
        assert!(s.containment > 0.9, "{s:?}");
        assert!(same_story(&s), "{s:?}");
    }

    #[test]
    fn two_launches_on_one_day_are_different_stories() {
        let s = sim(
            (
                "N. Korea fires ballistic missile into East Sea: JCS",
                "North Korea fired a short-range ballistic missile toward the East Sea from \
                 Pyongyang early Tuesday, South Korea's Joint Chiefs of Staff said.",
            ),
            (
                "N. Korea fires 2 cruise missiles into Yellow Sea: JCS",
                "North Korea fired two cruise missiles toward the Yellow Sea from Nampo on \
                 Tuesday afternoon, hours after its ballistic missile launch, South Korea's \
                 Joint Chiefs of Staff said.",
            ),
        );
        assert!(!same_story(&s), "{s:?}");
    }

    /// The same template filed from another city, or on another day, is another event; a
    /// reissue filed after midnight carries the next day's date and is the same story.
    #[test]
    fn datelines_are_details() {
        let body = |dateline: &str| {
            format!(
                "{dateline} The finance ministry said it will postpone semiconductor subsidies \
                 until next year, citing delays in parliament and the cost of the program, \
                 officials said on condition of anonymity."
            )
        };
        let title = "Finance ministry postpones semiconductor subsidies";
        let at = |d: &str| (title, body(d));
        let pair = |a: &str, b: &str| {
            let (x, y) = (at(a), at(b));
            sim((x.0, &x.1), (y.0, &y.1))
        };
        let same_place = pair(
            "INCHEON, Nov. 27 (Yonhap) --",
            "INCHEON, Nov. 28 (Yonhap) --",
        );
        assert!(same_story(&same_place), "{same_place:?}");
        let places = pair("INCHEON, Nov. 28 (Yonhap) --", "BUSAN, Nov. 28 (Yonhap) --");
        assert!(
            places.dateline_conflict && !same_story(&places),
            "{places:?}"
        );
        let days = pair(
            "INCHEON, Nov. 24 (Yonhap) --",
            "INCHEON, Nov. 28 (Yonhap) --",
        );
        assert!(days.dateline_conflict && !same_story(&days), "{days:?}");
        let year_end = pair("SEOUL, Dec. 31 (Yonhap) --", "SEOUL, Jan. 1 (Yonhap) --");
        assert!(same_story(&year_end), "{year_end:?}");
        let ko = pair(
            "(인천=연합뉴스) 김철수 기자 =",
            "【부산=뉴시스】이영희 기자 =",
        );
        assert!(ko.dateline_conflict, "{ko:?}");
        // A copy without the dateline says nothing about it.
        let cut = pair("BUSAN, Nov. 28 (Yonhap) --", "");
        assert!(!cut.dateline_conflict && same_story(&cut), "{cut:?}");
        // Credits, tickers and asides that open a body are not datelines.
        for (a, b) in [
            (
                "[사진=연합뉴스] 인천항 전경.",
                "(서울=연합뉴스) 김철수 기자 =",
            ),
            (
                "Samsung Electronics Co. (005930) -",
                "SEOUL, Nov. 28 (Yonhap) --",
            ),
            (
                "Officials said, citing data (pdf) -",
                "SEOUL, Nov. 28 (Yonhap) --",
            ),
        ] {
            let p = pair(a, b);
            assert!(!p.dateline_conflict, "{a} / {b}: {p:?}");
        }
        // Korean and English names of one city are not compared.
        let scripts = pair(
            "SEOUL, Nov. 28 (Yonhap) --",
            "(서울=연합뉴스) 김철수 기자 =",
        );
        assert!(!scripts.dateline_conflict, "{scripts:?}");
    }

    /// A correction repeats its copy with a figure changed: one story with the item it
    /// corrects. The same change without the correction's tag or note is another report.
    #[test]
    fn a_correction_joins_what_it_corrects() {
        let body = |won: &str| {
            format!(
                "SEJONG, Nov. 25 (Yonhap) -- The labor ministry said Wednesday it will approve \
                 carbon border measures, citing delays in parliament. The decision affects about \
                 85 companies, and the government planned to spend {won} trillion won on the \
                 program over 3 years, officials said."
            )
        };
        let original = (
            "Labor ministry approves carbon border measures",
            body("4.2"),
        );
        let tagged = (
            "(Correction) Labor ministry approves carbon border measures",
            format!("(ATTN: CORRECTS figure in para 2) {}", body("1.9")),
        );
        let s = sim((original.0, &original.1), (tagged.0, &tagged.1));
        assert!(s.correction && same_story(&s), "{s:?}");
        let ko = sim(
            (
                "중소벤처기업부, 배터리 재활용 규정 확대",
                "(울산=뉴스1) 한소라 기자 = 25일 중소벤처기업부에 따르면 정부는 배터리 재활용 \
                 규정을 확대하기로 결정했다. 영향을 받는 기업은 413곳 안팎이다. 정부는 향후 3년 \
                 동안 이 사업에 4조2780억원을 투입할 계획이었다.",
            ),
            (
                "중소벤처기업부, 배터리 재활용 규정 확대(정정)",
                "(울산=뉴스1) 한소라 기자 = 25일 중소벤처기업부에 따르면 정부는 배터리 재활용 \
                 규정을 확대하기로 결정했다. 영향을 받는 기업은 413곳 안팎이다. 정부는 향후 3년 \
                 동안 이 사업에 1조8999억원을 투입할 계획이었다.",
            ),
        );
        assert!(ko.correction && same_story(&ko), "{ko:?}");
        // Untagged, the changed figures are a conflict, as for any two reports.
        let plain = sim((original.0, &original.1), (original.0, &body("1.9")));
        assert!(!plain.correction && details_conflict(&plain), "{plain:?}");
    }

    #[test]
    fn two_statements_by_one_official_are_different_stories() {
        let s = sim(
            (
                "Kim Yo-jong slams S. Korea over leaflets",
                "Kim Yo-jong, the powerful sister of North Korean leader Kim Jong-un, \
                 denounced South Korea on Tuesday over anti-Pyongyang leaflets sent by activists.",
            ),
            (
                "Kim Yo-jong rejects Japan's summit proposal",
                "Kim Yo-jong, the powerful sister of North Korean leader Kim Jong-un, \
                 said on Tuesday that Pyongyang has no interest in a summit with Japan.",
            ),
        );
        assert!(!same_story(&s), "{s:?}");
    }

    #[test]
    fn korean_is_shingled_by_characters() {
        // Particles differ (북한은/북한이), the dateline and credit differ: still one story.
        let a = Fingerprint::new(
            "[속보] 북한, 동해상으로 탄도미사일 발사",
            "(서울=연합뉴스) 김철수 기자 = 북한은 26일 오전 동해상으로 단거리 탄도미사일 1발을 발사했다고 합참이 밝혔다.",
        );
        let b = Fingerprint::new(
            "북한, 동해상으로 탄도미사일 발사…합참 \"추가 분석 중\" - 뉴시스",
            "【서울=뉴시스】홍길동 기자 = 북한이 26일 오전 동해상으로 단거리 탄도미사일 1발을 발사했다고 합동참모본부가 밝혔다.",
        );
        let s = a.similarity(&b);
        assert!(s.title_overlap >= 0.8, "{s:?}");
        assert!(same_story(&s), "{s:?}");
        // Another launch two days later: other day, other count, other place.
        let c = Fingerprint::new(
            "북한, 서해상으로 순항미사일 여러 발 발사",
            "북한이 28일 오후 서해상으로 순항미사일 여러 발을 발사했다고 합참이 밝혔다. 지난 26일 탄도미사일 발사 이후 이틀 만이다.",
        );
        assert!(!same_story(&a.similarity(&c)), "{:?}", a.similarity(&c));
    }

    #[test]
    fn mixed_scripts_tokenise_both_ways() {
        let f = Fingerprint::new("북한 ICBM 발사", "북한이 ICBM급 미사일을 발사했다");
        // 북한 (one pair), icbm (a word), 발사 (one pair).
        assert_eq!(f.title.len(), 3);
        let g = Fingerprint::new("北 ICBM 발사", "");
        assert!(f.similarity(&g).title_overlap > 0.6);
    }

    #[test]
    fn empty_and_title_only_items() {
        let e = Fingerprint::new("", "");
        assert!(e.is_empty());
        assert!(!same_story(&e.similarity(&e)));
        let s = sim(
            ("(LEAD) Seoul, Tokyo agree to resume security talks", ""),
            ("Seoul, Tokyo agree to resume security talks - Yonhap", ""),
        );
        assert!(same_story(&s), "{s:?}");
        let s = sim(
            ("Seoul, Tokyo agree to resume security talks", ""),
            ("Seoul, Beijing agree to resume trade talks", ""),
        );
        assert!(!same_story(&s), "{s:?}");
    }

    #[test]
    fn a_truncated_last_word_is_ignored() {
        let a = Fingerprint::new(
            "t",
            "north korea fired a missile toward the east sea, the military said",
        );
        let b = Fingerprint::new(
            "t",
            "north korea fired a missile toward the east sea, the mili...",
        );
        assert_eq!(a.similarity(&b).containment, 1.0);
    }
}
