//! Script rules: which characters are squeezed out before matching, which are letters of
//! scripts that separate words with spaces, which are Hangul (or other CJK), and the Korean
//! particles a Hangul term may carry. Term parsing uses them to classify a term's edges and the
//! matcher to check those edges in the text; they are kept apart because they are about
//! writing systems, not about terms or automata.

/// Korean particles (and the plural 들) a noun may carry; a word may stack up to three
/// (`북한에서는`, `북한과의`, `당국자들은`).
const PARTICLES: &[&str] = &[
    "은",
    "는",
    "이",
    "가",
    "을",
    "를",
    "의",
    "에",
    "에서",
    "에게",
    "에게서",
    "께",
    "께서",
    "한테",
    "와",
    "과",
    "도",
    "만",
    "로",
    "으로",
    "로서",
    "으로서",
    "로써",
    "으로써",
    "까지",
    "부터",
    "보다",
    "처럼",
    "같이",
    "마저",
    "조차",
    "밖에",
    "뿐",
    "이나",
    "나",
    "이라",
    "라",
    "이라도",
    "라도",
    "이란",
    "란",
    "이든",
    "든",
    "이며",
    "며",
    "이고",
    "고",
    "이다",
    "다",
    "였다",
    "이었다",
    "입니다",
    "랑",
    "이랑",
    "하고",
    "들",
    "요",
    "이요",
    "인",
    "엔",
    "에선",
    "서",
    "선",
    "ㄴ",
    "야",
    "이야",
];

pub(super) fn is_particles(s: &str, depth: usize) -> bool {
    if s.is_empty() {
        return true;
    }
    depth > 0
        && PARTICLES.iter().any(|p| {
            s.strip_prefix(p)
                .is_some_and(|rest| is_particles(rest, depth - 1))
        })
}

/// Characters removed before matching: spaces and (folded) hyphens.
pub(super) fn is_squeezed(c: char) -> bool {
    c == ' ' || c == '-'
}

/// Letters and digits of scripts that separate words with spaces (not Hangul, Han or Kana).
pub(super) fn is_latin_word(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

pub(super) fn is_hangul(c: char) -> bool {
    matches!(c,
        '\u{1100}'..='\u{11FF}'
        | '\u{3130}'..='\u{318F}'
        | '\u{A960}'..='\u{A97F}'
        | '\u{AC00}'..='\u{D7AF}'
        | '\u{D7B0}'..='\u{D7FF}')
}

fn is_cjk(c: char) -> bool {
    is_hangul(c)
        || matches!(c,
        '\u{3040}'..='\u{30FF}'   // Hiragana, Katakana
        | '\u{3400}'..='\u{4DBF}' // CJK extension A
        | '\u{4E00}'..='\u{9FFF}' // CJK unified ideographs
        | '\u{F900}'..='\u{FAFF}' // CJK compatibility ideographs
        | '\u{FF66}'..='\u{FF9F}' // half-width Katakana
        | '\u{20000}'..='\u{2FFFF}')
}
