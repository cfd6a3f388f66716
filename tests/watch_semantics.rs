//! Watchlist semantics (format version 2) through the public API: parse `watchlists.toml` text,
//! compile it, match items field by field. Table-driven: each row names its case, and a failing
//! table reports every failing row at once.

use std::path::Path;

use aggregator::model::{Field, Match};
use aggregator::watch::parse_watchlists;
use aggregator::watch::{ItemText, WatchSet};

// ---------------------------------------------------------------------------------------------
// Helpers

fn parse_and_compile(toml: &str) -> Result<WatchSet, String> {
    let specs = parse_watchlists(Path::new("watchlists.toml"), toml).map_err(|e| e.to_string())?;
    WatchSet::compile(&specs).map_err(|e| e.to_string())
}

/// A compiled set from a whole `watchlists.toml` text.
fn set(toml: &str) -> WatchSet {
    parse_and_compile(toml).unwrap_or_else(|e| panic!("{e}\n--- watchlists.toml ---\n{toml}"))
}

/// One watchlist named "w" whose body (the lines after `name`) is `rule`.
fn watchlist(rule: &str) -> String {
    format!("[[watchlist]]\nname = \"w\"\n{rule}\n")
}

/// Names of the watchlists matching an item with this title and summary.
fn hit(set: &WatchSet, title: &str, summary: &str) -> Vec<String> {
    let matches = set.match_fields(&ts(title, summary));
    matches.into_iter().map(|m| m.watchlist).collect()
}

/// The one match of the single watchlist "w" on `item`; it must explain itself with hits.
fn explain(rule: &str, item: &ItemText) -> Match {
    let mut matches = set(&watchlist(rule)).match_fields(item);
    assert_eq!(matches.len(), 1, "`{rule}` on {}", show(item));
    let m = matches.remove(0);
    assert!(!m.hits.is_empty(), "`{rule}` on {}: no hits", show(item));
    m
}

fn t(title: &str) -> ItemText<'_> {
    ts(title, "")
}

fn ts<'a>(title: &'a str, summary: &'a str) -> ItemText<'a> {
    ItemText {
        title,
        summary,
        ..ItemText::default()
    }
}

/// An item with only `field` set to `text`.
fn on(field: Field, text: &'static str) -> ItemText<'static> {
    let mut item = ItemText::default();
    match field {
        Field::Title => item.title = text,
        Field::Summary => item.summary = text,
        Field::Author => item.author = text,
        Field::Feed => item.feed = text,
        Field::Link => item.link = text,
    }
    item
}

/// An item from feed `feed` with this title.
fn from(feed: &'static str, title: &'static str) -> ItemText<'static> {
    ItemText {
        title,
        feed,
        ..ItemText::default()
    }
}

fn show(item: &ItemText) -> String {
    let values = [item.title, item.summary, item.author, item.feed, item.link];
    Field::ALL
        .iter()
        .zip(values)
        .filter(|(_, v)| !v.is_empty())
        .map(|(f, v)| format!("{}={v:?}", f.as_str()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// (case, watchlist body, item, whether the watchlist matches)
type Row = (&'static str, &'static str, ItemText<'static>, bool);

fn check(rows: &[Row]) {
    let mut failures = Vec::new();
    for (case, rule, item, expected) in rows {
        match parse_and_compile(&watchlist(rule)) {
            Err(e) => failures.push(format!("{case}: `{rule}` does not compile: {e}")),
            Ok(set) => {
                let got = !set.match_fields(item).is_empty();
                if got != *expected {
                    let not = if *expected { "" } else { "not " };
                    failures.push(format!("{case}: `{rule}` should {not}match {}", show(item)));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n  {}",
        failures.len(),
        rows.len(),
        failures.join("\n  ")
    );
}

const KIM: &str = r#"terms = ["Kim"]"#;
const KISHIDA: &str = r#"terms = ["Kishida"]"#;
const KYJ: &str = r#"terms = ["Kim Yo-jong"]"#;
const KYJ_ALIAS: &str = r#"terms = [["Kim Yo-jong", "김여정"]]"#;
const SUMMIT: &str = r#"terms = ['"Japan-DPRK summit"']"#;
const NK: &str = r#"terms = ["북한"]"#;
const NK_EXACT: &str = r#"terms = ["=북한"]"#;
const NK_STAR: &str = r#"terms = ["북한*"]"#;
const MISSILE_STAR: &str = r#"terms = ["missile*"]"#;
const LAUNCH_KO: &str = r#"terms = ["미사일 발사"]"#;
const HWASONG: &str = r#"terms = ['/hwasong-\d+/']"#;
/// ｷｼﾀﾞ (written out below as these escapes): four half-width chars; ﾀ + ﾞ compose to ダ under
/// NFKC, so it folds to the three chars キシダ.
const HALF_KISHIDA: &str = "\u{FF77}\u{FF7C}\u{FF80}\u{FF9E}";
const Q: &str = r#"query = '("Kim Yo-jong" OR 김여정) AND (Japan OR 일본) AND NOT sports'"#;

// ---------------------------------------------------------------------------------------------
// Matching semantics

#[test]
#[rustfmt::skip]
fn text_and_terms_are_compared_after_nfkc_case_and_dash_folding() {
    check(&[
        ("full-width text", KISHIDA, t("ＫＩＳＨＩＤＡ visits Seoul"), true),
        ("upper-case text", KISHIDA, t("KISHIDA VISITS SEOUL"), true),
        ("full-width term", r#"terms = ["ＫＩＳＨＩＤＡ"]"#, t("Kishida visits Seoul"), true),
        ("half-width katakana text", r#"terms = ["キシダ"]"#, t("\u{FF77}\u{FF7C}\u{FF80}\u{FF9E} 首相 訪韓"), true),
        ("half-width katakana term", r#"terms = ["ｷｼﾀﾞ"]"#, t("キシダ 首相 訪韓"), true),
        ("U+2010 hyphen is -", SUMMIT, t("Talk of a Japan\u{2010}DPRK summit"), true),
        ("U+2013 en dash is -", SUMMIT, t("Talk of a Japan\u{2013}DPRK summit"), true),
        ("U+2212 minus is -", SUMMIT, t("Talk of a Japan\u{2212}DPRK summit"), true),
        ("phrase words must be adjacent", SUMMIT, t("Japan-DPRK talks, no summit"), false),
    ]);
}

#[test]
#[rustfmt::skip]
fn latin_terms_match_whole_words_and_hangul_is_a_boundary() {
    check(&[
        ("Kim is not in Kimchi", KIM, t("Kimchi exports rise"), false),
        ("Kim is not the end of Ekim", KIM, t("Ekim rally in Ankara"), false),
        ("Kishida is not in Kishidas", KISHIDA, t("The Kishidas at home"), false),
        ("Hangul particle after a name", KISHIDA, t("Kishida는 말했다"), true),
        ("Hangul particle after an acronym", r#"terms = ["IAEA"]"#, t("IAEA가 사찰을 요구했다"), true),
        ("possessive 's", KIM, t("Kim's sister speaks"), true),
        ("possessive with U+2019", KIM, t("Kim\u{2019}s sister speaks"), true),
        ("summary is looked at by default", KISHIDA, ts("Talks in Seoul", "Kishida arrived"), true),
    ]);
}

#[test]
#[rustfmt::skip]
fn romanised_names_ignore_hyphens_and_spaces_between_syllables() {
    check(&[
        ("hyphen term, spaced text", KYJ, t("Kim Yo Jong issues statement"), true),
        ("hyphen term, joined text", KYJ, t("Kim Yojong issues statement"), true),
        ("hyphen term, upper-case text", KYJ, t("KIM YO-JONG ISSUES STATEMENT"), true),
        ("hyphen term, U+2010 text", KYJ, t("Kim Yo\u{2010}jong issues statement"), true),
        ("spaced term, hyphen text", r#"terms = ["Kim Yo Jong"]"#, t("Kim Yo-jong issues statement"), true),
        ("spaced term, joined text", r#"terms = ["Kim Yo Jong"]"#, t("Kim Yojong issues statement"), true),
        ("a different name", KYJ, t("Kim Yong-nam dies at 97"), false),
    ]);
}

#[test]
#[rustfmt::skip]
fn hangul_terms_take_particles_but_do_not_match_inside_words() {
    check(&[
        ("particle 은", NK, t("북한은 오늘 성명을 냈다"), true),
        ("particle 이", NK, t("북한이 미사일을 쐈다"), true),
        ("particle 의", NK, t("북한의 입장"), true),
        ("particle 에서", NK, t("북한에서 온 소식"), true),
        ("particle 과의", NK, t("북한과의 대화"), true),
        ("particle 도", NK, t("북한도 참석"), true),
        ("not in the mountain 북한산", NK, t("북한산 등산객 늘어"), false),
        ("not in 남북한", NK, t("남북한 관계 개선"), false),
        ("not in 탈북한 (defected)", NK, t("탈북한 주민 증언"), false),
        ("=북한 alone", NK_EXACT, t("북한 미사일 발사"), true),
        ("=북한 before punctuation", NK_EXACT, t("규탄 대상은 북한."), true),
        ("=북한 at the end", NK_EXACT, t("규탄 대상은 북한"), true),
        ("=북한 refuses a particle", NK_EXACT, t("북한은 오늘"), false),
        ("북한* continues to 북한군", NK_STAR, t("북한군 동향"), true),
        ("북한* continues to 북한산", NK_STAR, t("북한산 등산객"), true),
        ("북한* still starts a word", NK_STAR, t("남북한 관계"), false),
        ("missile* plural", MISSILE_STAR, t("Two missiles fired"), true),
        ("missile* still starts a word", MISSILE_STAR, t("antimissile defence"), false),
        ("spaced Hangul phrase", LAUNCH_KO, t("북한, 미사일 발사"), true),
        ("Hangul phrase written solid", LAUNCH_KO, t("북한 미사일발사 징후"), true),
    ]);
}

#[test]
#[rustfmt::skip]
fn fields_prefixes_and_feeds_scope_where_terms_look() {
    let nk_news = "https://www.nknews.org/2026/03/kim-yo-jong-statement/";
    let by_author = "fields = [\"author\"]\nterms = [\"Kim Tong-hyung\"]";
    let yonhap_only = "feeds = [\"yonhap-en\"]\nterms = [\"Kishida\"]";
    check(&[
        ("phrase does not span title and summary", SUMMIT, ts("Talks on a Japan-DPRK", "summit next week"), false),
        ("phrase inside the summary", SUMMIT, ts("Talks", "A Japan-DPRK summit next week"), true),
        ("title: ignores the summary", r#"terms = ["title:Kishida"]"#, ts("Talks in Seoul", "Kishida arrived"), false),
        ("title: finds the title", r#"terms = ["title:Kishida"]"#, ts("Kishida arrives", "Talks"), true),
        ("summary: ignores the title", r#"terms = ["summary:Kishida"]"#, ts("Kishida arrives", "Talks"), false),
        ("author is not looked at by default", r#"terms = ["Kim Tong-hyung"]"#, on(Field::Author, "Kim Tong-hyung"), false),
        ("fields = [author] finds the author", by_author, on(Field::Author, "Kim Tong-hyung"), true),
        ("fields = [author] ignores the title", by_author, t("Kim Tong-hyung"), false),
        ("author: overrides fields", "fields = [\"title\"]\nterms = [\"author:Kim\"]", on(Field::Author, "Kim Tong-hyung"), true),
        ("link: finds the domain", r#"terms = ["link:nknews.org"]"#, on(Field::Link, nk_news), true),
        ("link: ignores the title", r#"terms = ["link:nknews.org"]"#, t("nknews.org reports"), false),
        ("feed: is the feed's name", r#"terms = ["feed:yonhap-en"]"#, on(Field::Feed, "yonhap-en"), true),
        ("fields = [feed]", "fields = [\"feed\"]\nterms = [\"kyodo-en\"]", on(Field::Feed, "kyodo-en"), true),
        ("unknown prefix foo: is a plain term", r#"terms = ["foo:bar"]"#, t("set foo:bar now"), true),
        ("feeds admits a listed feed", yonhap_only, from("yonhap-en", "Kishida visits"), true),
        ("feeds refuses other feeds", yonhap_only, from("kyodo-en", "Kishida visits"), false),
    ]);
}

#[test]
#[rustfmt::skip]
fn terms_any_all_and_not_combine() {
    let all = r#"all = ["Japan", ["North Korea", "북한"]]"#;
    let not = "terms = [\"Kishida\"]\nnot = [\"K-pop\"]";
    let terms_and_all = "terms = [\"Kishida\"]\nall = [\"Seoul\", \"Tokyo\"]";
    check(&[
        ("all: both present", all, t("Japan protests North Korea launch"), true),
        ("all: an alias member counts", all, t("Japan protests 북한 launch"), true),
        ("all: across title and summary", all, ts("Japan protests", "북한은 침묵"), true),
        ("all: alias group missing", all, t("Japan protests launch"), false),
        ("all: Japan missing", all, t("North Korea fires missile"), false),
        ("any means terms", r#"any = ["Kishida"]"#, t("Kishida visits"), true),
        ("terms and any are a union", "terms = [\"Kishida\"]\nany = [\"Ishiba\"]", t("Ishiba visits"), true),
        ("alias group in terms", KYJ_ALIAS, t("김여정은 담화를 발표했다"), true),
        ("not vetoes", not, t("Kishida at K-pop concert"), false),
        ("not vetoes from the summary", not, ts("Kishida visits", "attends K-pop show"), false),
        ("exclude means not", "terms = [\"Kishida\"]\nexclude = [\"K-pop\"]", t("Kishida at K-pop concert"), false),
        ("alias group in not", "terms = [\"Japan\"]\nnot = [[\"sports\", \"스포츠\"]]", t("Japan 스포츠 외교"), false),
        ("terms holds, all does not", terms_and_all, t("Kishida in Seoul"), false),
        ("terms and all both hold", terms_and_all, t("Kishida flies Seoul to Tokyo"), true),
        ("terms holds, query does not", "terms = [\"Kishida\"]\nquery = 'Seoul'", t("Kishida in Tokyo"), false),
        ("not vetoes a query", "query = 'Japan'\nnot = [\"K-pop\"]", t("Japan K-pop fans"), false),
    ]);
}

#[test]
#[rustfmt::skip]
fn query_is_a_boolean_expression_over_terms() {
    let juxtaposed = "query = 'Kishida Seoul'";
    let lower_and = "query = 'Kishida and Seoul'";
    check(&[
        ("English", Q, t("Kim Yo-jong criticises Japan"), true),
        ("Korean", Q, t("김여정, 일본 비난 담화"), true),
        ("Korean with particles", Q, t("김여정은 일본을 비난했다"), true),
        ("mixed languages across fields", Q, ts("김여정 담화", "Japan responds"), true),
        ("second group missing", Q, t("Kim Yo-jong criticises Seoul"), false),
        ("NOT sports vetoes", Q, t("Kim Yo-jong mocks Japan's sports diplomacy"), false),
        ("juxtaposition is AND", juxtaposed, t("Kishida visits Seoul"), true),
        ("juxtaposition needs both", juxtaposed, t("Kishida visits Busan"), false),
        ("lowercase and is a term", lower_and, t("Kishida, Seoul agree"), false),
        ("lowercase and is matched as a word", lower_and, t("Kishida and Seoul agree"), true),
        ("lowercase or is a term", "query = 'Kishida or Ishiba'", t("Ishiba visits"), false),
        ("quoted phrase", r#"query = '"Japan-DPRK summit" AND Kishida'"#, t("Kishida seeks Japan-DPRK summit"), true),
        ("NOT after juxtaposition", "query = 'Kishida NOT Ishiba'", t("Kishida meets Ishiba"), false),
        ("field prefix in a query", "query = 'title:Kishida AND Seoul'", ts("Talks", "Kishida in Seoul"), false),
    ]);
}

#[test]
#[rustfmt::skip]
fn regex_terms_run_on_folded_text() {
    check(&[
        ("matches", HWASONG, t("Hwasong-18 launched"), true),
        ("needs the digits", HWASONG, t("Hwasong launched"), false),
        ("sees upper case lowered", HWASONG, t("HWASONG-19 TEST"), true),
        ("sees dashes unified", HWASONG, t("Hwasong\u{2212}18 launched"), true),
        ("inside a query", r#"query = '/hwasong-\d+/ AND 발사'"#, t("Hwasong-18 발사"), true),
    ]);
}

#[test]
fn every_matching_watchlist_is_reported_in_config_order() {
    let s = set(r#"
[[watchlist]]
name = "zeta-kishida"
terms = ["Kishida"]

[[watchlist]]
name = "missiles"
terms = ["missile*"]

[[watchlist]]
name = "alpha-seoul"
terms = ["Seoul"]
"#);
    let expected = vec!["zeta-kishida", "alpha-seoul"];
    assert_eq!(hit(&s, "Kishida arrives in Seoul", ""), expected);
    assert_eq!(
        hit(&s, "Seoul welcomes", "Kishida arrives"),
        expected,
        "text order must not matter"
    );
}

#[test]
fn not_vetoes_only_its_own_watchlist() {
    let s = set(r#"
[[watchlist]]
name = "dprk-japan"
terms = ["Kishida"]
not = ["K-pop"]

[[watchlist]]
name = "japan-desk"
terms = ["Kishida"]
"#);
    assert_eq!(hit(&s, "Kishida at K-pop concert", ""), vec!["japan-desk"]);
}

#[test]
fn a_watchlist_with_every_key_parses() {
    let s = set(r#"
[[watchlist]]
name = "everything"
description = "all keys at once"
terms = [["Kim Yo-jong", "김여정"], "Kishida"]
any = ["Ishiba"]
all = ["Japan"]
not = ["sports"]
exclude = ["K-pop"]
query = 'Japan OR 일본'
fields = ["title", "summary", "author", "feed", "link"]
feeds = ["yonhap-en", "kyodo-en"]
priority = "urgent"
alerts = ["desk-mail", "no-such-sink"]
"#);
    let item = ItemText {
        title: "Kishida: Japan open to talks",
        feed: "kyodo-en",
        ..ItemText::default()
    };
    assert_eq!(s.match_fields(&item).len(), 1);
}

#[test]
fn the_shipped_watchlists_file_still_parses() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/watchlists.toml");
    let src = std::fs::read_to_string(&path).unwrap();
    set(&src);
}

// ---------------------------------------------------------------------------------------------
// Explanations: which term, where, the original text, a snippet

#[test]
fn alias_group_is_reported_by_its_first_member_with_the_text_found() {
    let rule = r#"terms = [["Kim Yo-jong", "김여정"], "Kishida"]"#;
    let m = explain(rule, &t("김여정은 담화를 발표했다"));
    let hits = &m.hits;
    assert_eq!(m.terms, vec!["Kim Yo-jong"]);
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(
        (hits[0].term.as_str(), hits[0].field, hits[0].text.as_str()),
        ("Kim Yo-jong", Field::Title, "김여정")
    );
}

#[test]
fn match_terms_are_written_without_quotes_or_field_prefixes() {
    let rule = r#"terms = ['"Japan-DPRK summit"', "title:Kishida", "Seoul"]"#;
    let m = explain(rule, &t("Kishida proposes a Japan-DPRK summit"));
    let mut terms = m.terms.clone();
    terms.sort();
    assert_eq!(terms, vec!["Japan-DPRK summit", "Kishida"]);
    let mut hit_terms: Vec<&str> = m.hits.iter().map(|h| h.term.as_str()).collect();
    hit_terms.sort();
    hit_terms.dedup();
    assert_eq!(hit_terms, vec!["Japan-DPRK summit", "Kishida"]);
}

/// (case, watchlist body, item, field of the one hit, its text)
#[rustfmt::skip]
fn hit_rows() -> Vec<(&'static str, &'static str, ItemText<'static>, Field, &'static str)> {
    vec![
        ("full-width", KISHIDA, t("ＫＩＳＨＩＤＡ visits Seoul"), Field::Title, "ＫＩＳＨＩＤＡ"),
        ("half-width katakana", r#"terms = ["キシダ"]"#, t("\u{FF77}\u{FF7C}\u{FF80}\u{FF9E} 首相"), Field::Title, HALF_KISHIDA),
        ("U+2010 in a name", KYJ, t("Kim Yo\u{2010}jong said"), Field::Title, "Kim Yo\u{2010}jong"),
        ("spaced upper-case name", KYJ, t("KIM YO JONG said"), Field::Title, "KIM YO JONG"),
        ("Hangul without its particle", NK, t("북한은 오늘"), Field::Title, "북한"),
        ("solid Hangul phrase", LAUNCH_KO, t("미사일발사 징후"), Field::Title, "미사일발사"),
        ("regex", HWASONG, t("HWASONG-18 launch"), Field::Title, "HWASONG-18"),
        ("in the summary", KISHIDA, ts("Talks in Seoul", "Then Kishida left"), Field::Summary, "Kishida"),
        ("in the author", "fields = [\"author\"]\nterms = [\"Kim\"]", on(Field::Author, "Kim Tong-hyung"), Field::Author, "Kim"),
        ("in the feed", r#"terms = ["feed:yonhap-en"]"#, on(Field::Feed, "yonhap-en"), Field::Feed, "yonhap-en"),
        ("in the link", r#"terms = ["link:nknews.org"]"#, on(Field::Link, "https://www.nknews.org/2026/03/x/"), Field::Link, "nknews.org"),
    ]
}

#[test]
fn hit_text_is_the_original_text_in_the_field_where_it_was_found() {
    let rows = hit_rows();
    let mut failures = Vec::new();
    for (case, rule, item, field, text) in &rows {
        let m = explain(rule, item);
        let got: Vec<(Field, &str)> = m.hits.iter().map(|h| (h.field, h.text.as_str())).collect();
        if got != [(*field, *text)] {
            failures.push(format!(
                "{case}: `{rule}` on {}: expected [({field:?}, {text:?})], got {got:?}",
                show(item)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn snippet_is_a_short_excerpt_containing_the_hit_even_in_a_long_summary() {
    let filler = "The delegation discussed trade quotas at length. ".repeat(45);
    let statement = "김여정은 담화를 발표했다.";
    for (place, summary) in [
        ("start", format!("{statement} {filler}")),
        ("middle", format!("{filler}{statement} {filler}")),
        ("end", format!("{filler}{statement}")),
    ] {
        assert!(summary.chars().count() > 2000);
        let m = explain(KYJ_ALIAS, &ts("Statement", &summary));
        let h = &m.hits[0];
        assert!(
            h.snippet.contains(&h.text) && h.snippet.chars().count() <= 120,
            "{place}: snippet of {} chars {:?} for text {:?}",
            h.snippet.chars().count(),
            h.snippet,
            h.text
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Errors: "watchlists.toml:LINE:COL: key: message"

/// (case, watchlist body from line 3 on, expected "LINE:" or "LINE:COL:" ("" where the
/// position is not specified), words of which the lower-cased message must contain one)
#[rustfmt::skip]
const BAD: &[(&str, &str, &str, &[&str])] = &[
    ("unclosed ( at the start", "query = '(Kim OR Japan'", "3:10:", &["parenthes", "("]),
    ("unclosed ( after a term", "query = 'Kishida AND (Kim OR Japan'", "3:22:", &["parenthes", "("]),
    ("column counts characters, not bytes", "query = '북한 AND (Kim OR Japan'", "3:17:", &["parenthes", "("]),
    ("the unclosed one of two (", "query = '(Kim) OR (Japan'", "3:19:", &["parenthes", "("]),
    ("nested: the outer ( is unclosed", "query = '((Kim) OR Japan'", "3:10:", &["parenthes", "("]),
    ("unmatched )", "query = 'Kim OR Japan)'", "3:22:", &["parenthes", ")"]),
    ("unterminated quote", "query = '\"Kim Yo-jong AND Japan'", "3:", &["quote", "\""]),
    ("query that requires nothing", "query = 'NOT sports'", "3:", &["nothing", "only"]),
    ("invalid regex in a query", "query = 'Kishida /(/'", "3:", &["regex", "regular expression"]),
    ("empty alias group", "terms = [[]]", "3:", &["empty"]),
    ("empty term", "terms = [\"Kim\", \"\"]", "3:", &["empty"]),
    ("invalid regex", "terms = ['/(/']", "3:", &["regex", "regular expression"]),
    ("unknown fields value", "terms = [\"Kim\"]\nfields = [\"title\", \"body\"]", "4:", &["body"]),
    ("unknown priority", "terms = [\"Kim\"]\npriority = \"critical\"", "4:", &["critical"]),
    ("unknown key", "terms = [\"Kim\"]\ncolour = \"red\"", "4:", &["colour"]),
    ("no terms, any, all or query", "not = [\"sports\"]", "", &["terms", "query"]),
];

#[test]
fn invalid_watchlists_are_reported_with_line_column_and_cause() {
    let mut failures = Vec::new();
    for (case, rule, position, words) in BAD {
        let toml = watchlist(rule);
        let msg = match parse_watchlists(Path::new("watchlists.toml"), &toml) {
            Ok(_) => {
                failures.push(format!("{case}: `{rule}` was accepted"));
                continue;
            }
            Err(e) => e.to_string(),
        };
        let prefix = format!("watchlists.toml:{position}");
        let lower = msg.to_lowercase();
        if !msg.starts_with(&prefix) || !words.iter().any(|w| lower.contains(w)) {
            failures.push(format!(
                "{case}: `{rule}`: expected {prefix:?} and one of {words:?}, got {msg:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n  {}",
        failures.len(),
        BAD.len(),
        failures.join("\n  ")
    );
}
