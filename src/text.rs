//! Text clean-up shared by parsing and output: HTML to plain text, control characters and
//! terminal escape sequences removed, whitespace collapsed. Pure functions, no allocation when
//! the input is already clean where that is cheap to see.

/// Longest summary kept, in characters; longer ones are cut at a word boundary with "…".
pub const MAX_SUMMARY_CHARS: usize = 4000;

/// Turns an HTML fragment (or plain text with entities) into one line of plain text.
///
/// Tags are dropped (block-level tags become a space), `<script>`/`<style>` bodies and comments
/// are dropped, entities are decoded (twice-escaped `&amp;quot;` included), and the result goes
/// through [`clean_line`]. A full HTML parser is not needed for this: feed summaries are
/// fragments, and the output is a single line, so only tag boundaries matter.
pub fn html_to_text(input: &str) -> String {
    if !input.contains(['<', '&']) {
        return clean_line(input);
    }
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let after = &rest[lt..];
        if let Some(body) = after.strip_prefix("<!--") {
            rest = body.find("-->").map_or("", |end| &body[end + 3..]);
            continue;
        }
        // A '<' not followed by a tag-ish character is text ("a < b").
        let next = after[1..].chars().next();
        if !matches!(next, Some(c) if c.is_ascii_alphabetic() || c == '/' || c == '!' || c == '?') {
            out.push('<');
            rest = &after[1..];
            continue;
        }
        let Some(gt) = find_tag_end(after) else {
            // Unterminated tag: drop the remainder rather than show markup.
            rest = "";
            break;
        };
        let tag = &after[1..gt];
        let bare = tag.trim_start_matches('/');
        let name = &bare[..bare
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(bare.len())];
        rest = &after[gt + 1..];
        if !tag.starts_with('/') {
            let close = if name.eq_ignore_ascii_case("script") {
                Some("</script")
            } else if name.eq_ignore_ascii_case("style") {
                Some("</style")
            } else {
                None
            };
            if let Some(close) = close {
                rest = find_ascii_ci(rest, close)
                    .and_then(|i| rest[i..].find('>').map(|j| &rest[i + j + 1..]))
                    .unwrap_or("");
                continue;
            }
        }
        if is_block(name) {
            out.push(' ');
        }
    }
    out.push_str(rest);
    decode_entities(&out)
}

/// Turns text that may carry undeclared markup (an RSS title, a JSON Feed title) into one line
/// of plain text without deleting text: only tags of recognised HTML elements (`<b>`, `</a>`,
/// `<br/>`) and comments are removed; anything else between `<` and `>` (`History of the
/// <blink> tag`, `x <y> z`) is text and stays. Entities are decoded, twice-escaped ones too.
pub fn markup_to_text(input: &str) -> String {
    if !input.contains(['<', '&']) {
        return clean_line(input);
    }
    let once = strip_known_tags(input);
    let mut decoded = html_escape::decode_html_entities(&once).into_owned();
    if decoded.contains('&') {
        decoded = html_escape::decode_html_entities(&decoded).into_owned();
    }
    // Markup that appears only after decoding (`&lt;b&gt;`) is markup too.
    if decoded.contains('<') {
        decoded = strip_known_tags(&decoded);
    }
    clean_line(&decoded)
}

/// Removes comments and the tags of recognised HTML elements; block-level ones become a space.
fn strip_known_tags(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let after = &rest[lt..];
        if let Some(body) = after.strip_prefix("<!--")
            && let Some(end) = body.find("-->")
        {
            rest = &body[end + 3..];
            continue;
        }
        let bare = after[1..].strip_prefix('/').unwrap_or(&after[1..]);
        let name_len = bare
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(bare.len());
        let name = bare[..name_len].to_ascii_lowercase();
        // A known name followed by the end of the tag, a space (attributes) or `/>`; only then
        // is the tag's end looked for (within a bound: a `<b` never closed is text, and costs
        // no scan to the end of the text).
        let tag_end = (is_html_element(&name)
            && bare[name_len..].starts_with(['>', ' ', '/', '\t', '\n']))
        .then(|| find_tag_end(&after[..floor_char_boundary(after, MAX_TAG_BYTES)]))
        .flatten();
        match tag_end {
            Some(gt) => {
                if is_block(&name) {
                    out.push(' ');
                }
                rest = &after[gt + 1..];
            }
            _ => {
                out.push('<');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Longest tag [`markup_to_text`] recognises (attributes included).
const MAX_TAG_BYTES: usize = 4096;

/// The largest char boundary of `s` at or below `at`.
fn floor_char_boundary(s: &str, at: usize) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The HTML elements whose tags count as markup in text that declares no type.
fn is_html_element(name: &str) -> bool {
    is_block(name)
        || matches!(
            name,
            "a" | "abbr"
                | "b"
                | "big"
                | "cite"
                | "code"
                | "del"
                | "dfn"
                | "em"
                | "font"
                | "i"
                | "ins"
                | "kbd"
                | "mark"
                | "q"
                | "s"
                | "samp"
                | "small"
                | "span"
                | "strike"
                | "strong"
                | "sub"
                | "sup"
                | "time"
                | "tt"
                | "u"
                | "var"
                | "wbr"
                | "center"
                | "nobr"
                | "main"
                | "nav"
                | "aside"
                | "dl"
                | "thead"
                | "tbody"
                | "tfoot"
                | "caption"
                | "picture"
                | "source"
                | "video"
                | "audio"
                | "iframe"
                | "script"
                | "style"
                | "noscript"
                | "object"
                | "embed"
                | "form"
                | "input"
                | "button"
                | "select"
                | "option"
                | "textarea"
                | "label"
                | "svg"
                | "math"
                | "meta"
                | "link"
                | "html"
                | "head"
                | "body"
        )
}

/// Decodes HTML entities. A second pass handles the common double escaping (`&amp;lt;`), and
/// markup that only appears after decoding (`&lt;b&gt;`) is stripped rather than shown. Returns
/// the text cleaned with [`clean_line`].
fn decode_entities(s: &str) -> String {
    use std::borrow::Cow;
    let mut decoded = html_escape::decode_html_entities(s);
    if decoded.contains('&') {
        decoded = Cow::Owned(html_escape::decode_html_entities(&decoded).into_owned());
    }
    if has_tag(&decoded) {
        clean_line(&strip_simple_tags(&decoded))
    } else {
        clean_line(&decoded)
    }
}

fn has_tag(s: &str) -> bool {
    s.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/'))
}

fn strip_simple_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let tag_start = c == '<'
            && s[i + 1..]
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'/');
        if tag_start {
            for (_, c) in chars.by_ref() {
                if c == '>' {
                    break;
                }
            }
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// The offset of the `>` ending the tag at the start of `s` (quoted values may hold `>`).
pub(crate) fn find_tag_end(s: &str) -> Option<usize> {
    // Quoted attribute values may contain '>'.
    let mut quote: Option<u8> = None;
    for (i, b) in s.bytes().enumerate().skip(1) {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => return Some(i),
            _ => {}
        }
    }
    None
}

fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    let h = haystack.as_bytes();
    let n = needle.as_bytes();
    (0..h.len().saturating_sub(n.len() - 1)).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

fn is_block(name: &str) -> bool {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        return is_block(&name.to_ascii_lowercase());
    }
    matches!(
        name,
        "br" | "p"
            | "div"
            | "li"
            | "ul"
            | "ol"
            | "tr"
            | "td"
            | "th"
            | "table"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "blockquote"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "figure"
            | "figcaption"
            | "hr"
            | "img"
            | "pre"
            | "dd"
            | "dt"
    )
}

/// Collapses whitespace to single spaces, trims, and removes control characters, terminal escape
/// sequences (CSI/OSC) and bidirectional overrides, so the text is safe to print.
pub fn clean_line(s: &str) -> String {
    if s.is_ascii() {
        clean_ascii_line(s)
    } else {
        clean_any_line(s)
    }
}

fn clean_any_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    // Runs of ordinary characters are copied whole; only the characters between them need a look.
    let mut run_start: Option<usize> = None;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let special = c == '\u{1b}' || c.is_whitespace() || is_unsafe(c);
        if !special {
            run_start.get_or_insert(i);
            continue;
        }
        if let Some(start) = run_start.take() {
            push_run(&mut out, &mut pending_space, &s[start..i]);
        }
        if c == '\u{1b}' {
            skip_escape(&mut chars);
        } else if c.is_whitespace() {
            pending_space = true;
        }
    }
    if let Some(start) = run_start {
        push_run(&mut out, &mut pending_space, &s[start..]);
    }
    out
}

/// [`clean_line`] for ASCII text, byte by byte: only ESC sequences, other control bytes and
/// whitespace need a look.
fn clean_ascii_line(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    let mut i = 0;
    while i < b.len() {
        let start = i;
        while i < b.len() && b[i] > b' ' && b[i] != 0x7f {
            i += 1;
        }
        if i > start {
            push_run(&mut out, &mut pending_space, &s[start..i]);
        }
        if i == b.len() {
            break;
        }
        match b[i] {
            0x1b => {
                i += 1;
                match b.get(i) {
                    Some(b'[') => {
                        i += 1;
                        while i < b.len() && !(0x40..=0x7e).contains(&b[i]) {
                            i += 1;
                        }
                        i += 1;
                    }
                    Some(b']') => {
                        i += 1;
                        while i < b.len() && b[i] != 0x07 && b[i] != 0x1b {
                            i += 1;
                        }
                        if b.get(i) == Some(&0x1b) && b.get(i + 1) == Some(&b'\\') {
                            i += 1;
                        }
                        i += 1;
                    }
                    Some(_) => i += 1,
                    None => {}
                }
            }
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => {
                pending_space = true;
                i += 1;
            }
            _ => i += 1, // other control bytes are dropped
        }
    }
    out
}

fn push_run(out: &mut String, pending_space: &mut bool, run: &str) {
    if *pending_space && !out.is_empty() {
        out.push(' ');
    }
    *pending_space = false;
    out.push_str(run);
}

/// Skips the rest of an escape sequence after ESC: CSI (`ESC [ … final`), OSC (`ESC ] … BEL/ST`),
/// or a single following character.
fn skip_escape(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>) {
    match chars.peek().map(|&(_, c)| c) {
        Some('[') => {
            chars.next();
            for (_, c) in chars.by_ref() {
                if ('\u{40}'..='\u{7e}').contains(&c) {
                    break;
                }
            }
        }
        Some(']') => {
            chars.next();
            while let Some((_, c)) = chars.next() {
                if c == '\u{7}' {
                    break;
                }
                if c == '\u{1b}' {
                    chars.next_if(|&(_, c)| c == '\\');
                    break;
                }
            }
        }
        Some(_) => {
            chars.next();
        }
        None => {}
    }
}

/// Control characters, zero-width and bidirectional-override characters: never printed.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// Bytes as lower-case hexadecimal (digests, tokens).
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The comparison form of text, shared by watchlist matching and content hashing: Unicode NFKC,
/// lower case, one kind of dash and apostrophe, single spaces, trimmed.
///
/// Works word by word: words that are ASCII or already NFKC (nearly all of them) skip the
/// normaliser. Splitting at whitespace does not change the result, because no character
/// composes with a preceding whitespace character.
pub fn fold(s: &str) -> String {
    if s.is_ascii() && !s.contains('\u{b}') {
        return fold_ascii(s);
    }
    fold_any(s)
}

/// [`fold`] for ASCII text, which is its own NFKC form: only case and spaces to fold.
fn fold_ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_ascii_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out.make_ascii_lowercase();
    out
}

fn fold_any(s: &str) -> String {
    use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for word in s.split(char::is_whitespace) {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            space = true;
        }
        if word.is_ascii() {
            if space {
                out.push(' ');
                space = false;
            }
            let start = out.len();
            out.push_str(word);
            out[start..].make_ascii_lowercase();
        } else if is_nfkc_quick(word.chars()) == IsNormalized::Yes {
            push_folded(&mut out, &mut space, word.chars());
        } else {
            push_folded(&mut out, &mut space, word.nfkc());
        }
    }
    out
}

fn push_folded(out: &mut String, space: &mut bool, chars: impl Iterator<Item = char>) {
    for c in chars.flat_map(char::to_lowercase) {
        let c = match c {
            '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{fe63}' => '-',
            '\u{2018}' | '\u{2019}' => '\'',
            c => c,
        };
        if c.is_whitespace() {
            *space = !out.is_empty();
            continue;
        }
        if *space {
            out.push(' ');
            *space = false;
        }
        out.push(c);
    }
}

/// [`fold`], also returning for each byte of the folded text the byte range of `s` it came from,
/// so that a match found in folded text can be shown in the original. Slower than [`fold`]: used
/// only for the few texts that matched something.
///
/// A character usually maps to its own range; in the rare word whose NFKC form differs from the
/// NFKC forms of its characters put together (half-width kana with a separate voicing mark), the
/// whole word's range is used.
pub fn fold_with_spans(s: &str) -> (String, Vec<std::ops::Range<u32>>) {
    use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};
    let mut out = String::with_capacity(s.len());
    let mut spans: Vec<std::ops::Range<u32>> = Vec::with_capacity(s.len());
    let mut space = false;
    let mut pos = 0usize;
    for word in s.split(char::is_whitespace) {
        let start = pos;
        pos += word.len();
        // The separator that ended this word (one whitespace character), if any.
        pos += s[pos..].chars().next().map_or(0, char::len_utf8);
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            space = true;
        }
        let mut units: Vec<(char, std::ops::Range<u32>)> = Vec::with_capacity(word.len());
        let span = |a: usize, b: usize| (start + a) as u32..(start + b) as u32;
        if word.is_ascii() || is_nfkc_quick(word.chars()) == IsNormalized::Yes {
            for (o, c) in word.char_indices() {
                units.push((c, span(o, o + c.len_utf8())));
            }
        } else {
            let whole: String = word.nfkc().collect();
            let mut pieces = String::with_capacity(whole.len());
            for (o, c) in word.char_indices() {
                let before = pieces.len();
                pieces.extend(std::iter::once(c).nfkc());
                let r = span(o, o + c.len_utf8());
                for d in pieces[before..].chars() {
                    units.push((d, r.clone()));
                }
            }
            if pieces != whole {
                units = whole.chars().map(|d| (d, span(0, word.len()))).collect();
            }
        }
        for (c, r) in units {
            for c in c.to_lowercase() {
                let c = match c {
                    '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{fe63}' => '-',
                    '\u{2018}' | '\u{2019}' => '\'',
                    c => c,
                };
                if c.is_whitespace() {
                    space = !out.is_empty();
                    continue;
                }
                if space {
                    out.push(' ');
                    spans.push(r.start..r.start);
                    space = false;
                }
                out.push(c);
                spans.extend(std::iter::repeat_n(r.clone(), c.len_utf8()));
            }
        }
    }
    (out, spans)
}

/// Cuts `s` to at most `max` characters at a word boundary, adding "…" when it cut.
pub fn truncate_chars(s: String, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s,
        Some((cut, _)) => {
            let head = &s[..cut];
            let head = head
                .rfind(' ')
                .filter(|&i| i > cut / 2)
                .map_or(head, |i| &head[..i]);
            format!("{}…", head.trim_end())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_with_spans_folds_like_fold_and_points_into_the_source() {
        let cases = [
            "Kim Yo-jong  says",
            "ＫＩＳＨＩＤＡ は ｷｼﾀﾞ",
            "북한은 \u{1107}\u{116e}\u{11a8} 오늘",
            "İstanbul ¨ trema\u{b}tab",
            "  North\u{3000}Korea\u{2010}Japan ’quote’ ",
            "ﬁnance Ⅻ ㈜",
            "",
        ];
        for s in cases {
            let (folded, spans) = fold_with_spans(s);
            assert_eq!(folded, fold(s), "{s:?}");
            assert_eq!(spans.len(), folded.len(), "{s:?}");
            for r in &spans {
                assert!(s.is_char_boundary(r.start as usize) && s.is_char_boundary(r.end as usize));
            }
        }
        let s = "Talk: ＫＩＳＨＩＤＡ visits";
        let (folded, spans) = fold_with_spans(s);
        let at = folded.find("kishida").unwrap();
        let from = spans[at].start as usize;
        let to = spans[at + "kishida".len() - 1].end as usize;
        assert_eq!(&s[from..to], "ＫＩＳＨＩＤＡ");
    }

    #[test]
    fn strips_tags_and_decodes_entities() {
        assert_eq!(
            html_to_text("<p>North Korea&#39;s <b>missile</b> test</p><p>Second&nbsp;para</p>"),
            "North Korea's missile test Second para"
        );
    }

    #[test]
    fn drops_script_style_and_comments() {
        assert_eq!(
            html_to_text("a<script>alert('x<y')</script>b<!-- hidden -->c<style>p{}</style>d"),
            "abcd"
        );
    }

    #[test]
    fn keeps_lone_less_than() {
        assert_eq!(html_to_text("1 < 2 &amp; 3 > 2"), "1 < 2 & 3 > 2");
    }

    #[test]
    fn double_escaped_markup_is_stripped() {
        assert_eq!(
            html_to_text("&amp;lt;b&amp;gt;Bold&amp;lt;/b&amp;gt; news"),
            "Bold news"
        );
        assert_eq!(html_to_text("Tom &amp;amp; Jerry"), "Tom & Jerry");
    }

    #[test]
    fn quoted_gt_inside_attribute() {
        assert_eq!(
            html_to_text(r#"<a title="a>b" href="x">link</a> text"#),
            "link text"
        );
    }

    #[test]
    fn removes_ansi_and_controls() {
        assert_eq!(clean_line("\u{1b}[31mRED\u{1b}[0m alert\u{7}"), "RED alert");
        assert_eq!(clean_line("a\u{1b}]0;title\u{7}b"), "ab");
        assert_eq!(clean_line("x\u{202e}y\u{0}z"), "xyz");
        assert_eq!(clean_line("  a \n\t b  "), "a b");
    }

    #[test]
    fn fold_normalises_width_case_dashes_and_space() {
        assert_eq!(
            fold("  ＫＩＭ  Yo‐jong\u{a0}’s\tＴＥＳＴ "),
            "kim yo-jong 's test"
        );
        assert_eq!(fold("북한은  오늘"), "북한은 오늘");
        // Decomposed Hangul jamo compose to the syllable, as NFKC does.
        assert_eq!(fold("\u{1112}\u{1161}\u{11ab}"), "한");
        // Compatibility characters that expand to several, including spaces.
        assert_eq!(fold("㈜ ¨x"), "(주) ̈x");
        assert_eq!(fold(""), "");
    }

    #[test]
    fn fold_matches_whole_string_nfkc() {
        use unicode_normalization::UnicodeNormalization;
        let reference = |s: &str| -> String {
            let n: String = s.nfkc().flat_map(char::to_lowercase).collect();
            n.split_whitespace().collect::<Vec<_>>().join(" ")
        };
        for s in [
            "Kim Yo-jong says ｓｕｍｍｉｔ",
            "e\u{301} café cafe\u{301}",
            "ｶﾀｶﾅ and ㎏ and ﬁ",
            "\u{1100}\u{1161} \u{1100}\u{1161}\u{11a8}",
            " \u{301}leading combining",
        ] {
            assert_eq!(fold(s), reference(s), "{s:?}");
        }
    }

    #[test]
    fn ascii_fast_paths_agree_with_the_general_ones() {
        for s in [
            "\u{1b}[31mRED\u{1b}[0m alert\u{7}",
            "a\u{1b}]0;title\u{7}b c\u{1b}]8;;x\u{1b}\\d",
            "  a \n\t b  c\u{c}d\re\u{7f}f\u{0}g ",
            "\u{1b}",
            "\u{1b}[",
            "x\u{1b}]unterminated",
            "Kim Yo-JONG  says\tSUMMIT",
            "",
        ] {
            assert_eq!(clean_ascii_line(s), clean_any_line(s), "{s:?}");
            assert_eq!(fold_ascii(s), fold_any(s), "{s:?}");
        }
    }

    #[test]
    fn ascii_fast_paths_agree_on_generated_text() {
        const ALPHABET: &[u8] = b"aZ -\t\n\r\x0c\x1b[]\x07\\;0m\x7f\x00";
        let mut state: u64 = 7;
        for _ in 0..20_000 {
            let mut text = String::new();
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
            for _ in 0..(state >> 60) + 1 {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                text.push(ALPHABET[(state >> 33) as usize % ALPHABET.len()] as char);
            }
            assert_eq!(clean_ascii_line(&text), clean_any_line(&text), "{text:?}");
            assert_eq!(fold_ascii(&text), fold_any(&text), "{text:?}");
        }
    }

    #[test]
    fn truncates_at_word_boundary() {
        assert_eq!(truncate_chars("one two three".into(), 9), "one two…");
        assert_eq!(truncate_chars("short".into(), 9), "short");
        assert_eq!(truncate_chars("북한은 오늘 발사했다".into(), 5), "북한은…");
    }
}
