//! Feed dialects and damaged bodies the parser must read the way a reader of the feed would:
//! RSS in a default namespace, RSS 0.90/1.0 items known only by `rdf:about`, Dublin Core and
//! Media RSS titles, Atom text constructs (text, undeclared markup, HTML, Atom 0.3 base64), a
//! stray `<!DOCTYPE html>` before an RSS root, bodies cut short, repeated XML declarations,
//! guids that are or are not permalinks, and documents whose entries are all empty.
//!
//! Each fixture under `tests/fixtures/dialects/` is a real-shaped feed; the expectations are what
//! the feed says, not what any particular parser happens to return. Pure parser calls: no
//! network, no files besides the fixtures.

use aggregator::model::{FeedWarning, ParsedFeed, ParsedItem};
use aggregator::parse::{ParseError, ParseOptions, parse_feed};
use chrono::{DateTime, Utc};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/dialects/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(bytes: &[u8]) -> Result<ParsedFeed, ParseError> {
    parse_feed(bytes, &ParseOptions::default())
}

fn parse_fixture(name: &str) -> ParsedFeed {
    parse(&fixture(name)).unwrap_or_else(|e| panic!("{name}: expected a feed, got {e:?}"))
}

/// An RFC 3339 instant (written with the feed's own offset, compared as an instant).
fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("bad expected date {s}: {e}"))
        .with_timezone(&Utc)
}

/// One expected item: every stored field.
#[derive(Clone, Copy, Debug)]
struct Want {
    title: &'static str,
    link: Option<&'static str>,
    guid: Option<&'static str>,
    author: Option<&'static str>,
    /// RFC 3339.
    published: Option<&'static str>,
    /// RFC 3339. `None` means the feed gives no update date: the item's `updated` must then be
    /// `None` or a copy of `published` (never a date the feed does not state).
    updated: Option<&'static str>,
    summary: Option<&'static str>,
    categories: &'static [&'static str],
}

const NONE: Want = Want {
    title: "",
    link: None,
    guid: None,
    author: None,
    published: None,
    updated: None,
    summary: None,
    categories: &[],
};

/// Compares the items field by field and reports every difference at once. With as many items
/// as expected, items are compared in order; otherwise each expected item is looked up by title.
fn item_errors(got: &[ParsedItem], want: &[Want]) -> Vec<String> {
    let mut errs: Vec<String> = Vec::new();
    let same_len = got.len() == want.len();
    if !same_len {
        errs.push(format!(
            "{} items, want {}; got titles {:?}",
            got.len(),
            want.len(),
            titles(got)
        ));
    }
    for (i, w) in want.iter().enumerate() {
        let g = if same_len {
            got.get(i)
        } else {
            got.iter().find(|g| g.title == w.title)
        };
        let Some(g) = g else {
            errs.push(format!("item {i} ({:?}) missing", w.title));
            continue;
        };
        let mut diff = |field: &str, got: String, want: String| {
            if got != want {
                errs.push(format!(
                    "item {i} ({:?}) {field}: got {got}, want {want}",
                    w.title
                ));
            }
        };
        diff("title", format!("{:?}", g.title), format!("{:?}", w.title));
        diff(
            "link",
            format!("{:?}", g.link.as_deref()),
            format!("{:?}", w.link),
        );
        diff(
            "guid",
            format!("{:?}", g.guid.as_deref()),
            format!("{:?}", w.guid),
        );
        diff(
            "author",
            format!("{:?}", g.author.as_deref()),
            format!("{:?}", w.author),
        );
        diff(
            "published",
            format!("{:?}", g.published),
            format!("{:?}", w.published.map(at)),
        );
        match w.updated {
            Some(u) => diff(
                "updated",
                format!("{:?}", g.updated),
                format!("{:?}", Some(at(u))),
            ),
            None => {
                if g.updated.is_some() && g.updated != g.published {
                    diff(
                        "updated",
                        format!("{:?}", g.updated),
                        format!("None (or the published date {:?})", g.published),
                    );
                }
            }
        }
        diff(
            "summary",
            format!("{:?}", g.summary.as_deref()),
            format!("{:?}", w.summary),
        );
        diff(
            "categories",
            format!("{:?}", g.categories),
            format!("{:?}", w.categories),
        );
    }
    errs
}

fn titles(items: &[ParsedItem]) -> Vec<&str> {
    items.iter().map(|i| i.title.as_str()).collect()
}

fn check_items(what: &str, got: &[ParsedItem], want: &[Want]) {
    let errs = item_errors(got, want);
    assert!(errs.is_empty(), "{what}:\n  {}", errs.join("\n  "));
}

/// The feed's title and link, and its items: every difference reported at once.
fn check_feed(what: &str, f: &ParsedFeed, title: &str, link: &str, want: &[Want]) {
    let mut errs = Vec::new();
    if f.title.as_deref() != Some(title) {
        errs.push(format!("feed title: got {:?}, want {title:?}", f.title));
    }
    if f.link.as_deref() != Some(link) {
        errs.push(format!("feed link: got {:?}, want {link:?}", f.link));
    }
    errs.extend(item_errors(&f.items, want));
    assert!(errs.is_empty(), "{what}:\n  {}", errs.join("\n  "));
}

fn no_warnings(what: &str, f: &ParsedFeed) {
    assert!(
        f.warnings.is_empty(),
        "{what}: a complete, readable feed has no warnings, got {:?}",
        f.warnings
    );
}

/// `bytes` up to the first occurrence of `marker`, plus the first `into` bytes of the marker.
fn cut_at(bytes: &[u8], marker: &str, into: usize) -> Vec<u8> {
    let m = marker.as_bytes();
    let pos = bytes
        .windows(m.len())
        .position(|w| w == m)
        .unwrap_or_else(|| panic!("marker {marker:?} not in the fixture"));
    assert_eq!(
        bytes.windows(m.len()).filter(|w| *w == m).count(),
        1,
        "marker {marker:?} must be unique"
    );
    bytes[..pos + into].to_vec()
}

// ---------------------------------------------------------------------------------------------
// 1. RSS 2.0 in a default namespace
// ---------------------------------------------------------------------------------------------

#[test]
fn rss2_in_a_default_namespace_reads_every_item() {
    let name = "rss2_default_namespace.xml";
    let f = parse_fixture(name);
    check_feed(
        name,
        &f,
        "Yonhap News Agency - Top News",
        "https://en.yna.co.kr/",
        &[
            Want {
                title: "S. Korea, Japan agree to resume regular shuttle diplomacy",
                link: Some("https://en.yna.co.kr/view/AEN20261127001200315"),
                guid: Some("AEN20261127001200315"),
                published: Some("2026-11-27T10:05:00+09:00"),
                summary: Some(
                    "SEOUL, Nov. 27 (Yonhap) -- South Korea and Japan agreed Friday to resume regular visits by their leaders.",
                ),
                categories: &["Politics"],
                ..NONE
            },
            Want {
                title: "Seoul shares open higher on chip rally",
                // Host lower-cased, tracking parameters dropped.
                link: Some("https://en.yna.co.kr/view/AEN20261127000900320"),
                guid: Some("AEN20261127000900320"),
                published: Some("2026-11-27T09:18:00+09:00"),
                summary: Some(
                    "SEOUL, Nov. 27 (Yonhap) -- South Korean stocks opened higher Friday, led by chipmakers.",
                ),
                categories: &["Economy"],
                ..NONE
            },
            Want {
                title: "북한, 동해상으로 탄도미사일 발사…합참 \"정밀 분석 중\"",
                link: Some("https://www.yna.co.kr/view/AKR20261127023400504"),
                guid: Some("AKR20261127023400504"),
                published: Some("2026-11-27T08:47:00+09:00"),
                summary: Some(
                    "(서울=연합뉴스) 북한이 27일 오전 동해상으로 탄도미사일을 발사했다고 합동참모본부가 밝혔다.",
                ),
                categories: &["북한"],
                ..NONE
            },
        ],
    );
    assert_eq!(
        f.updated,
        Some(at("2026-11-27T10:12:00+09:00")),
        "{name}: lastBuildDate"
    );
    assert_eq!(f.ttl_minutes, Some(10), "{name}: ttl");
    no_warnings(name, &f);
}

// ---------------------------------------------------------------------------------------------
// 2. RSS 0.90 / 1.0 items identified only by rdf:about
// ---------------------------------------------------------------------------------------------

#[test]
fn rss090_items_identified_only_by_rdf_about_are_read() {
    let name = "rss090_rdf_about.xml";
    let f = parse_fixture(name);
    const A: &str = "http://english.kyodonews.net/news/2026/11/7f3a9c2b1d4e-japan-cabinet-approves-extra-budget.html";
    const B: &str = "http://english.kyodonews.net/news/2026/11/0b8d52e6a1c3-bank-of-japan-keeps-rates-on-hold.html";
    const C: &str = "http://english.kyodonews.net/news/2026/11/c41e9a7f20d5-japan-s-korea-foreign-ministers-meet-in-tokyo.html";
    check_feed(
        name,
        &f,
        "Kyodo News Digest",
        "http://english.kyodonews.net/",
        &[
            Want {
                title: "Japan Cabinet approves extra budget to ease price hikes",
                link: Some(A),
                guid: Some(A),
                ..NONE
            },
            Want {
                title: "Bank of Japan keeps rates on hold, eyes wage data",
                link: Some(B),
                guid: Some(B),
                ..NONE
            },
            Want {
                title: "Japan, S. Korea foreign ministers meet in Tokyo",
                link: Some(C),
                guid: Some(C),
                ..NONE
            },
        ],
    );
    no_warnings(name, &f);
}

#[test]
fn rss10_items_identified_only_by_rdf_about_are_read() {
    let name = "rss10_rdf_about.xml";
    let f = parse_fixture(name);
    check_feed(
        name,
        &f,
        "The Korea Herald - All News",
        "http://www.koreaherald.com/",
        &[
            Want {
                title: "Bank of Korea holds key rate at 2.5 percent",
                link: Some("http://www.koreaherald.com/view.php?ud=20261127000512"),
                guid: Some("http://www.koreaherald.com/view.php?ud=20261127000512"),
                author: Some("Kim Hae-yeon"),
                published: Some("2026-11-27T09:30:00+09:00"),
                summary: Some(
                    "The Bank of Korea kept its benchmark rate unchanged for a third straight meeting on Thursday.",
                ),
                ..NONE
            },
            Want {
                title: "정부, 내년 예산안 법정시한 내 처리 촉구",
                // The link is canonical (host lower-cased); the guid is the identifier as written.
                link: Some("http://www.koreaherald.com/view.php?ud=20261127000498"),
                guid: Some("http://WWW.KoreaHerald.com/view.php?ud=20261127000498"),
                author: Some("박지민 기자"),
                published: Some("2026-11-27T08:55:00+09:00"),
                summary: Some(
                    "정부는 27일 국회에 내년도 예산안을 법정시한 안에 처리해 달라고 요청했다.",
                ),
                ..NONE
            },
            Want {
                title: "Samsung unveils 2nm chip roadmap",
                link: Some("https://www.koreaherald.com/article/20261127000455"),
                guid: Some("http://www.koreaherald.com/view.php?ud=20261127000455"),
                author: Some("Jo He-rim"),
                published: Some("2026-11-27T07:40:00+09:00"),
                summary: Some(
                    "Samsung Electronics laid out its plan for 2-nanometer production lines.",
                ),
                ..NONE
            },
        ],
    );
    assert_eq!(
        f.sy_update,
        Some((std::time::Duration::from_secs(3600), 2)),
        "{name}: sy:updatePeriod/updateFrequency"
    );
    no_warnings(name, &f);
}

#[test]
fn rss10_item_with_link_and_rdf_about_takes_link_from_link_and_guid_from_rdf_about() {
    let name = "rss10_rdf_about.xml";
    let f = parse_fixture(name);
    let item = f
        .items
        .iter()
        .find(|i| i.title == "Samsung unveils 2nm chip roadmap")
        .unwrap_or_else(|| {
            panic!(
                "{name}: the item with a <link> is missing; titles {:?}",
                titles(&f.items)
            )
        });
    assert_eq!(
        item.link.as_deref(),
        Some("https://www.koreaherald.com/article/20261127000455"),
        "link from <link>"
    );
    assert_eq!(
        item.guid.as_deref(),
        Some("http://www.koreaherald.com/view.php?ud=20261127000455"),
        "guid from rdf:about"
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Dublin Core and Media RSS fields
// ---------------------------------------------------------------------------------------------

const KYODO_DC: [Want; 5] = [
    Want {
        title: "Japan, S. Korea finance chiefs agree to deepen currency cooperation",
        link: Some(
            "https://english.kyodonews.net/news/2026/11/3c9e1f0a7b2d-japan-s-korea-finance-chiefs.html",
        ),
        guid: Some(
            "https://english.kyodonews.net/news/2026/11/3c9e1f0a7b2d-japan-s-korea-finance-chiefs.html",
        ),
        author: Some("Kyodo News"),
        published: Some("2026-11-27T09:30:00+09:00"),
        summary: Some(
            "The finance ministers of Japan and South Korea agreed Friday to expand their currency swap arrangement.",
        ),
        ..NONE
    },
    Want {
        title: "Typhoon Man-yi nears Okinawa, flights canceled",
        link: Some(
            "https://english.kyodonews.net/news/2026/11/91d0e2b7c5a8-typhoon-man-yi-nears-okinawa.html",
        ),
        guid: Some(
            "https://english.kyodonews.net/news/2026/11/91d0e2b7c5a8-typhoon-man-yi-nears-okinawa.html",
        ),
        author: Some("Kyodo News"),
        published: Some("2026-11-27T08:12:00+09:00"),
        summary: Some(
            "Airlines canceled more than 200 flights as the typhoon approached Okinawa Prefecture.",
        ),
        ..NONE
    },
    Want {
        title: "Nikkei ends at record high as yen weakens",
        link: Some(
            "https://english.kyodonews.net/news/2026/11/5a7c3e1f9b20-nikkei-ends-at-record-high.html",
        ),
        guid: Some(
            "https://english.kyodonews.net/news/2026/11/5a7c3e1f9b20-nikkei-ends-at-record-high.html",
        ),
        author: Some("Kyodo News"),
        published: Some("2026-11-27T15:31:00+09:00"),
        summary: Some("The Nikkei Stock Average closed at a record high on Friday."),
        ..NONE
    },
    Want {
        title: "Japan PM pledges support for chipmakers",
        link: Some(
            "https://english.kyodonews.net/news/2026/11/e2f4a6b8c0d1-japan-pm-pledges-support-for-chipmakers.html",
        ),
        guid: Some(
            "https://english.kyodonews.net/news/2026/11/e2f4a6b8c0d1-japan-pm-pledges-support-for-chipmakers.html",
        ),
        author: Some("Kyodo News"),
        published: Some("2026-11-27T07:05:00+09:00"),
        ..NONE
    },
    Want {
        title: "한일 재무장관 \"통화스와프 확대 합의\"",
        link: Some("https://www.yna.co.kr/view/AKR20261127031200009"),
        guid: Some("AKR20261127031200009"),
        author: Some("김수연 특파원"),
        published: Some("2026-11-27T10:40:00+09:00"),
        summary: Some("(도쿄=연합뉴스) 한일 재무장관이 27일 통화스와프를 확대하기로 합의했다."),
        ..NONE
    },
];

#[test]
fn dc_title_or_media_title_stands_in_for_a_missing_title_with_dc_creator_and_dc_date() {
    let name = "rss2_dc_media_titles.xml";
    let f = parse_fixture(name);
    check_feed(
        name,
        &f,
        "Kyodo News+ Latest",
        "https://english.kyodonews.net/",
        &KYODO_DC,
    );
    no_warnings(name, &f);
}

#[test]
fn title_element_wins_over_dc_title_which_wins_over_media_title() {
    let name = "rss2_dc_media_titles.xml";
    let f = parse_fixture(name);
    let got = titles(&f.items);
    // Item 3 has all three (<title> wins); item 4 has dc:title and media:title (dc:title wins,
    // although media:title comes first in the document).
    assert_eq!(
        got.get(2..4),
        Some(&[KYODO_DC[2].title, KYODO_DC[3].title][..]),
        "{name}: all titles {got:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Atom text constructs: escaped markup in type="text" (or no type) is text
// ---------------------------------------------------------------------------------------------

#[test]
fn atom_text_title_keeps_escaped_markup_as_written() {
    let name = "atom_text_titles.xml";
    let f = parse_fixture(name);
    check_feed(
        name,
        &f,
        "Korea Tech Desk",
        "https://tech.example.kr/",
        &[
            Want {
                // type="text"
                title: "History of the <blink> tag",
                link: Some("https://tech.example.kr/2026/11/blink-tag-history"),
                guid: Some("tag:tech.example.kr,2026:post-1041"),
                author: Some("Lee Ji-won"),
                published: Some("2026-11-26T18:00:00+09:00"),
                updated: Some("2026-11-27T09:10:00+09:00"),
                summary: Some("A look back at a tag that every browser eventually dropped."),
                ..NONE
            },
            Want {
                // No type attribute: text by default.
                title: "Q&A: why <table> layouts outlived their critics",
                link: Some("https://tech.example.kr/2026/11/table-layouts"),
                guid: Some("tag:tech.example.kr,2026:post-1040"),
                author: Some("Park Min-ho"),
                published: Some("2026-11-26T11:30:00+09:00"),
                updated: Some("2026-11-26T11:30:00+09:00"),
                summary: Some("Old e-mail clients are the reason."),
                ..NONE
            },
            Want {
                title: "포털 검색창의 <em> 강조 표시, 무엇이 바뀌나",
                link: Some("https://tech.example.kr/2026/11/em-highlight"),
                guid: Some("tag:tech.example.kr,2026:post-1039"),
                author: Some("정하늘"),
                published: Some("2026-11-25T20:00:00+09:00"),
                updated: Some("2026-11-25T21:15:00+09:00"),
                summary: Some("검색 결과의 강조 표시 방식이 다음 달부터 바뀐다."),
                ..NONE
            },
        ],
    );
    no_warnings(name, &f);
}

// ---------------------------------------------------------------------------------------------
// 5. Atom: undeclared inline markup, and declared HTML
// ---------------------------------------------------------------------------------------------

#[test]
fn atom_undeclared_inline_markup_and_html_titles_read_as_plain_text() {
    let name = "atom_inline_markup.xml";
    let f = parse_fixture(name);
    check_feed(
        name,
        &f,
        "Yonhap Markets",
        "https://en.yna.co.kr/market/index",
        &[
            Want {
                title: "Example Atom",
                link: Some("http://example.org/2026/11/27/atom"),
                guid: Some("urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"),
                author: Some("John Doe"),
                updated: Some("2026-11-27T00:30:00Z"),
                summary: Some("Some text."),
                ..NONE
            },
            Want {
                title: "Seoul shares close higher",
                link: Some("https://en.yna.co.kr/view/AEN20261127008200320"),
                guid: Some("urn:yna:AEN20261127008200320"),
                author: Some("Yonhap"),
                updated: Some("2026-11-27T15:41:00+09:00"),
                summary: Some("The Kospi rose 1.2 percent to close at 2,612.45."),
                ..NONE
            },
            Want {
                title: "코스피, 외국인 매수에 2,600선 회복",
                link: Some("https://www.yna.co.kr/view/AKR20261127118900008"),
                guid: Some("urn:yna:AKR20261127118900008"),
                author: Some("연합뉴스"),
                updated: Some("2026-11-27T15:45:00+09:00"),
                summary: Some("코스피가 외국인 순매수에 힘입어 2,600선을 회복했다."),
                ..NONE
            },
        ],
    );
    no_warnings(name, &f);
}

// ---------------------------------------------------------------------------------------------
// 6. Atom 0.3 base64 text constructs
// ---------------------------------------------------------------------------------------------

#[test]
fn atom03_base64_title_and_content_are_decoded() {
    let name = "atom03_base64.xml";
    let f = parse_fixture(name);
    check_feed(
        name,
        &f,
        "연합뉴스 속보",
        "https://www.yna.co.kr/",
        &[
            Want {
                title: "정부, 내년 예산 677조원 확정…국회 본회의 통과",
                link: Some("https://www.yna.co.kr/view/AKR20261127045100001"),
                guid: Some("tag:yna.co.kr,2026:AKR20261127045100001"),
                author: Some("김민수 기자"),
                published: Some("2026-11-27T10:02:00+09:00"),
                updated: Some("2026-11-27T10:15:00+09:00"),
                summary: Some(
                    "(서울=연합뉴스) 내년도 정부 예산안이 27일 국회 본회의를 통과했다. 총지출 규모는 677조원이다.",
                ),
                ..NONE
            },
            Want {
                title: "Kospi closes at 2,612.45, up 1.2%",
                link: Some("https://en.yna.co.kr/view/AEN20261127008300320"),
                guid: Some("tag:yna.co.kr,2026:AEN20261127008300320"),
                author: Some("Yonhap"),
                published: Some("2026-11-27T15:50:00+09:00"),
                updated: Some("2026-11-27T15:50:00+09:00"),
                summary: Some(
                    "SEOUL, Nov. 27 (Yonhap) -- The Kospi rose 31.02 points & foreigners bought shares.",
                ),
                ..NONE
            },
            Want {
                // Control: the same feed's escaped (not base64) entry.
                title: "Won closes at 1,385.2 per dollar",
                link: Some("https://en.yna.co.kr/view/AEN20261127008400320"),
                guid: Some("tag:yna.co.kr,2026:AEN20261127008400320"),
                author: Some("Yonhap"),
                published: Some("2026-11-27T15:55:00+09:00"),
                updated: Some("2026-11-27T15:58:00+09:00"),
                summary: Some("The Korean won gained against the dollar."),
                ..NONE
            },
        ],
    );
    no_warnings(name, &f);
}

// ---------------------------------------------------------------------------------------------
// 7. <!DOCTYPE html> before an RSS root: the root element decides
// ---------------------------------------------------------------------------------------------

#[test]
fn xhtml_doctype_before_an_rss_root_is_read_as_the_feed() {
    let name = "rss_doctype_xhtml.xml";
    let f = parse_fixture(name);
    check_feed(
        name,
        &f,
        "The Korea Herald - National",
        "https://www.koreaherald.com/list.php?ct=020100000000",
        &[
            Want {
                title: "Seoul to expand late-night bus routes from December",
                link: Some("https://www.koreaherald.com/view.php?ud=20261127000611"),
                guid: Some("https://www.koreaherald.com/view.php?ud=20261127000611"),
                published: Some("2026-11-27T11:20:00+09:00"),
                summary: Some(
                    "The Seoul city government will add six late-night bus routes next month.",
                ),
                ..NONE
            },
            Want {
                title: "First snow of the season falls in Seoul",
                link: Some("https://www.koreaherald.com/view.php?ud=20261127000587"),
                guid: Some("https://www.koreaherald.com/view.php?ud=20261127000587"),
                published: Some("2026-11-27T07:45:00+09:00"),
                summary: Some("Seoul saw its first snowfall of the winter on Friday morning."),
                ..NONE
            },
        ],
    );
    no_warnings(name, &f);
}

#[test]
fn html5_doctype_before_an_rss_root_is_read_as_the_feed() {
    let name = "rss_doctype_html5.xml";
    let f = parse_fixture(name);
    check_feed(
        name,
        &f,
        "연합뉴스 - 사회",
        "https://www.yna.co.kr/society/all",
        &[
            Want {
                title: "서울 첫눈…출근길 교통 혼잡",
                link: Some("https://www.yna.co.kr/view/AKR20261127015100004"),
                guid: Some("AKR20261127015100004"),
                published: Some("2026-11-27T07:50:00+09:00"),
                summary: Some("서울에 올겨울 첫눈이 내리면서 출근길 교통이 혼잡했다."),
                ..NONE
            },
            Want {
                title: "수능 성적표 다음 달 5일 배부",
                link: Some("https://www.yna.co.kr/view/AKR20261127022200530"),
                guid: Some("AKR20261127022200530"),
                published: Some("2026-11-27T09:00:00+09:00"),
                summary: Some("올해 대학수학능력시험 성적표가 다음 달 5일 수험생에게 배부된다."),
                ..NONE
            },
        ],
    );
    no_warnings(name, &f);
}

#[test]
fn real_html_pages_are_still_refused_as_html() {
    for name in ["html_page.html", "xhtml_page.html"] {
        assert_eq!(parse(&fixture(name)), Err(ParseError::Html), "{name}");
    }
    assert_eq!(
        parse(b"<!DOCTYPE html><html><head><title>Login</title></head><body>x</body></html>"),
        Err(ParseError::Html)
    );
}

// ---------------------------------------------------------------------------------------------
// 8. Bodies cut short
// ---------------------------------------------------------------------------------------------

const YONHAP_NK: [Want; 5] = [
    Want {
        title: "N. Korea fires short-range ballistic missile into East Sea",
        link: Some("https://en.yna.co.kr/view/AEN20261127002051315"),
        guid: Some("AEN20261127002051315"),
        author: Some("Kim Soo-yeon"),
        published: Some("2026-11-27T11:42:00+09:00"),
        summary: Some(
            "SEOUL, Nov. 27 (Yonhap) -- North Korea fired a short-range ballistic missile toward the East Sea on Friday, the Joint Chiefs of Staff said.",
        ),
        ..NONE
    },
    Want {
        title: "통일부 \"북한 도발 강력 규탄\"",
        link: Some("https://www.yna.co.kr/view/AKR20261127061800504"),
        guid: Some("AKR20261127061800504"),
        author: Some("이상현 기자"),
        published: Some("2026-11-27T11:20:00+09:00"),
        summary: Some("(서울=연합뉴스) 통일부는 27일 북한의 탄도미사일 발사를 강력히 규탄했다."),
        ..NONE
    },
    Want {
        title: "U.S., S. Korea, Japan hold trilateral call on missile launch",
        link: Some("https://en.yna.co.kr/view/AEN20261127002300315"),
        guid: Some("AEN20261127002300315"),
        author: Some("Lee Haye-ah"),
        published: Some("2026-11-27T10:58:00+09:00"),
        summary: Some(
            "SEOUL, Nov. 27 (Yonhap) -- The top nuclear envoys of South Korea, the United States and Japan held phone talks Friday.",
        ),
        ..NONE
    },
    Want {
        title: "합참 \"북한 미사일 비행거리 약 600㎞\"",
        link: Some("https://www.yna.co.kr/view/AKR20261127052100504"),
        guid: Some("AKR20261127052100504"),
        author: Some("김지헌 기자"),
        published: Some("2026-11-27T10:31:00+09:00"),
        summary: Some(
            "(서울=연합뉴스) 합동참모본부는 북한이 이날 오전 발사한 탄도미사일이 약 600㎞를 비행했다고 밝혔다.",
        ),
        ..NONE
    },
    Want {
        title: "N. Korea's Kim inspects munitions factory: KCNA",
        link: Some("https://en.yna.co.kr/view/AEN20261127000700315"),
        guid: Some("AEN20261127000700315"),
        author: Some("Yonhap"),
        published: Some("2026-11-27T07:12:00+09:00"),
        summary: Some(
            "SEOUL, Nov. 27 (Yonhap) -- North Korean leader Kim Jong-un inspected a munitions factory, state media reported Friday.",
        ),
        ..NONE
    },
];

const KYODO_ATOM: [Want; 4] = [
    Want {
        title: "Japan, China agree to resume seafood talks",
        link: Some(
            "https://english.kyodonews.net/news/2026/11/2d4f6a8c0e1b-japan-china-seafood-talks.html",
        ),
        guid: Some("tag:english.kyodonews.net,2026:2d4f6a8c0e1b"),
        author: Some("KYODO"),
        published: Some("2026-11-27T10:45:00+09:00"),
        updated: Some("2026-11-27T10:52:00+09:00"),
        summary: Some(
            "Japan and China agreed Friday to restart working-level talks on seafood imports.",
        ),
        ..NONE
    },
    Want {
        title: "Toyota to raise domestic output in December",
        link: Some(
            "https://english.kyodonews.net/news/2026/11/8b1a3c5e7f90-toyota-domestic-output.html",
        ),
        guid: Some("tag:english.kyodonews.net,2026:8b1a3c5e7f90"),
        author: Some("KYODO"),
        published: Some("2026-11-27T10:10:00+09:00"),
        updated: Some("2026-11-27T10:10:00+09:00"),
        summary: Some(
            "Toyota Motor Corp. will increase production at its Japanese plants next month.",
        ),
        ..NONE
    },
    Want {
        title: "Osaka expo site to host international chip conference in 2027",
        link: Some(
            "https://english.kyodonews.net/news/2026/11/f0e1d2c3b4a5-osaka-chip-conference.html",
        ),
        guid: Some("tag:english.kyodonews.net,2026:f0e1d2c3b4a5"),
        author: Some("KYODO"),
        published: Some("2026-11-27T09:30:00+09:00"),
        updated: Some("2026-11-27T09:41:00+09:00"),
        summary: Some("The former expo site will host a semiconductor industry gathering."),
        ..NONE
    },
    Want {
        title: "Japan's jobless rate unchanged at 2.5% in October",
        link: Some(
            "https://english.kyodonews.net/news/2026/11/6c7d8e9fa0b1-japan-jobless-rate.html",
        ),
        guid: Some("tag:english.kyodonews.net,2026:6c7d8e9fa0b1"),
        author: Some("KYODO"),
        published: Some("2026-11-27T08:30:00+09:00"),
        updated: Some("2026-11-27T08:30:00+09:00"),
        summary: Some(
            "Japan's unemployment rate stood at 2.5 percent in October, the government said.",
        ),
        ..NONE
    },
];

#[test]
fn complete_feeds_carry_no_truncated_warning() {
    let name = "rss_five_items.xml";
    let f = parse_fixture(name);
    check_feed(
        name,
        &f,
        "Yonhap News Agency - North Korea",
        "https://en.yna.co.kr/nk/index",
        &YONHAP_NK,
    );
    no_warnings(name, &f);

    let name = "atom_four_entries.xml";
    let f = parse_fixture(name);
    check_feed(
        name,
        &f,
        "Kyodo News - Latest",
        "https://english.kyodonews.net/",
        &KYODO_ATOM,
    );
    no_warnings(name, &f);
}

#[test]
fn atom_missing_its_final_bracket_keeps_every_entry() {
    let full = fixture("atom_four_entries.xml");
    let body = full.trim_ascii_end();
    assert!(body.ends_with(b"</entry>\n</feed>"));
    let cut = &body[..body.len() - 1]; // "…</entry>\n</feed"
    let f = parse(cut).unwrap_or_else(|e| panic!("Atom ending in `</feed`: {e:?}"));
    check_items("Atom ending in `</feed`", &f.items, &KYODO_ATOM);
    assert!(
        f.warnings.is_empty() || f.warnings == [FeedWarning::Truncated],
        "only the last `>` is missing: no warning or Truncated, got {:?}",
        f.warnings
    );
}

#[test]
fn rss_cut_inside_the_fourth_item_keeps_the_three_complete_items() {
    // Cut between two characters of the 4th item's description.
    let cut = cut_at(&fixture("rss_five_items.xml"), "이날 오전 발사한", 0);
    assert!(cut.ends_with("북한이 ".as_bytes()));
    let what = "RSS cut in the 4th item's description";
    let f = parse(&cut).unwrap_or_else(|e| panic!("{what}: {e:?}"));
    assert_eq!(
        f.title.as_deref(),
        Some("Yonhap News Agency - North Korea"),
        "{what}"
    );
    check_items(what, &f.items, &YONHAP_NK[..3]);
    assert!(
        f.warnings.contains(&FeedWarning::Truncated),
        "{what}: warnings {:?}",
        f.warnings
    );
}

#[test]
fn rss_cut_inside_a_multibyte_character_keeps_the_three_complete_items() {
    // A byte limit cuts where it cuts: here one byte into the three-byte `이` of the 4th item's
    // description. The UTF-8 text before it is still UTF-8.
    let cut = cut_at(&fixture("rss_five_items.xml"), "이날 오전 발사한", 1);
    let what = "RSS cut inside a character of the 4th item";
    let f = parse(&cut).unwrap_or_else(|e| panic!("{what}: {e:?}"));
    assert_eq!(
        f.title.as_deref(),
        Some("Yonhap News Agency - North Korea"),
        "{what}"
    );
    check_items(what, &f.items, &YONHAP_NK[..3]);
    assert!(
        f.warnings.contains(&FeedWarning::Truncated),
        "{what}: warnings {:?}",
        f.warnings
    );
}

#[test]
fn atom_cut_inside_an_entry_title_keeps_the_complete_entries_before_it() {
    let marker = "Osaka expo site to host";
    let cut = cut_at(
        &fixture("atom_four_entries.xml"),
        marker,
        "Osaka expo".len(),
    );
    let what = "Atom cut in the 3rd entry's title";
    let f = parse(&cut).unwrap_or_else(|e| panic!("{what}: {e:?}"));
    assert_eq!(f.title.as_deref(), Some("Kyodo News - Latest"), "{what}");
    check_items(what, &f.items, &KYODO_ATOM[..2]);
    assert!(
        f.warnings.contains(&FeedWarning::Truncated),
        "{what}: warnings {:?}",
        f.warnings
    );
}

#[test]
fn body_cut_after_the_channel_title_is_empty_and_truncated_or_an_error() {
    let title = "<title>Yonhap News Agency - North Korea</title>";
    let cut = cut_at(&fixture("rss_five_items.xml"), title, title.len());
    let what = "RSS cut right after the channel title";
    match parse(&cut) {
        Ok(f) => {
            assert!(
                f.items.is_empty(),
                "{what}: {} items, titles {:?}",
                f.items.len(),
                titles(&f.items)
            );
            assert!(
                f.warnings.contains(&FeedWarning::Truncated),
                "{what}: read as a feed, so it must say it was cut short; warnings {:?}",
                f.warnings
            );
        }
        Err(e) => assert!(
            !matches!(e, ParseError::Crashed(_)),
            "{what}: the parser crashed: {e:?}"
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// 9. A second XML declaration
// ---------------------------------------------------------------------------------------------

const JOONGANG: [Want; 3] = [
    Want {
        title: "Hyundai Motor recalls 170,000 vehicles over fuel pump defect",
        link: Some(
            "https://koreajoongangdaily.joins.com/news/2026-11-27/business/industry/Hyundai-Motor-recalls/2480311",
        ),
        guid: Some(
            "https://koreajoongangdaily.joins.com/news/2026-11-27/business/industry/Hyundai-Motor-recalls/2480311",
        ),
        published: Some("2026-11-27T13:05:00+09:00"),
        summary: Some("Hyundai Motor will recall about 170,000 vehicles to replace fuel pumps."),
        ..NONE
    },
    Want {
        title: "'오징어 게임' 제작진 신작, 내달 공개",
        link: Some(
            "https://koreajoongangdaily.joins.com/news/2026-11-27/entertainment/television/Squid-Game-team/2480290",
        ),
        guid: Some(
            "https://koreajoongangdaily.joins.com/news/2026-11-27/entertainment/television/Squid-Game-team/2480290",
        ),
        published: Some("2026-11-27T12:40:00+09:00"),
        summary: Some("넷플릭스 '오징어 게임' 제작진의 신작이 다음 달 공개된다."),
        ..NONE
    },
    Want {
        title: "Korea's exports rise for 14th straight month",
        link: Some(
            "https://koreajoongangdaily.joins.com/news/2026-11-27/business/economy/exports-rise/2480254",
        ),
        guid: Some(
            "https://koreajoongangdaily.joins.com/news/2026-11-27/business/economy/exports-rise/2480254",
        ),
        published: Some("2026-11-27T11:00:00+09:00"),
        summary: Some("Exports grew 6.1 percent on year, led by semiconductors."),
        ..NONE
    },
];

fn check_joongang(name: &str) {
    let f = match parse(&fixture(name)) {
        Ok(f) => f,
        Err(ParseError::Crashed(e)) => panic!("{name}: the parser crashed: {e}"),
        Err(e) => panic!("{name}: expected a feed, got {e:?}"),
    };
    check_feed(
        name,
        &f,
        "Korea JoongAng Daily - Latest",
        "https://koreajoongangdaily.joins.com/",
        &JOONGANG,
    );
    assert!(
        !f.warnings.contains(&FeedWarning::Truncated),
        "{name}: nothing is cut short; warnings {:?}",
        f.warnings
    );
}

#[test]
fn second_xml_declaration_after_a_bom_and_newline_is_read() {
    check_joongang("decl_twice_bom.xml");
}

#[test]
fn two_xml_declarations_back_to_back_are_read() {
    check_joongang("decl_twice_adjacent.xml");
}

#[test]
fn xml_declaration_repeated_after_whitespace_is_read() {
    check_joongang("decl_twice_after_whitespace.xml");
}

// ---------------------------------------------------------------------------------------------
// 10. guid isPermaLink
// ---------------------------------------------------------------------------------------------

#[test]
fn non_permalink_guid_is_never_the_link() {
    let name = "rss_guid_permalink.xml";
    let f = parse_fixture(name);
    check_items(
        name,
        &f.items[..f.items.len().min(1)],
        &[Want {
            title: "Parliament passes revised budget bill",
            link: None,
            guid: Some("http://www.example.com/news/123"),
            published: Some("2026-11-27T14:00:00+09:00"),
            ..NONE
        }],
    );
}

#[test]
fn permalink_guid_serves_as_the_link_of_a_linkless_item() {
    let name = "rss_guid_permalink.xml";
    let f = parse_fixture(name);
    assert_eq!(f.items.len(), 3, "{name}: titles {:?}", titles(&f.items));
    check_items(
        name,
        &f.items[1..],
        &[
            Want {
                // No isPermaLink attribute: a permalink by default.
                title: "Seoul shares close higher on foreign buying",
                link: Some("https://en.yna.co.kr/view/AEN20261127008200320"),
                guid: Some("https://en.yna.co.kr/view/AEN20261127008200320"),
                published: Some("2026-11-27T15:41:00+09:00"),
                ..NONE
            },
            Want {
                title: "정부, 반도체 지원 특별법 시행령 의결",
                link: Some("https://www.yna.co.kr/view/AKR20261127072300003"),
                guid: Some("https://www.yna.co.kr/view/AKR20261127072300003"),
                published: Some("2026-11-27T10:30:00+09:00"),
                ..NONE
            },
        ],
    );
    no_warnings(name, &f);
}

// ---------------------------------------------------------------------------------------------
// 11. Entries none of which can be read
// ---------------------------------------------------------------------------------------------

#[test]
fn twelve_unreadable_rss_items_are_reported_not_returned() {
    let name = "rss_unreadable_items.xml";
    let f = parse_fixture(name);
    assert_eq!(f.title.as_deref(), Some("Broken CMS export"), "{name}");
    assert!(
        f.items.is_empty(),
        "{name}: {} items, titles {:?}",
        f.items.len(),
        titles(&f.items)
    );
    assert!(
        f.warnings.contains(&FeedWarning::Unreadable {
            element: "item".into(),
            count: 12
        }),
        "{name}: warnings {:?}",
        f.warnings
    );
    assert!(
        !f.warnings.contains(&FeedWarning::Truncated),
        "{name}: the document is complete; warnings {:?}",
        f.warnings
    );
}

#[test]
fn twelve_unreadable_atom_entries_are_reported_not_returned() {
    let name = "atom_unreadable_entries.xml";
    let f = parse_fixture(name);
    assert_eq!(f.title.as_deref(), Some("Broken CMS export"), "{name}");
    assert!(
        f.items.is_empty(),
        "{name}: {} items, titles {:?}",
        f.items.len(),
        titles(&f.items)
    );
    assert!(
        f.warnings.contains(&FeedWarning::Unreadable {
            element: "entry".into(),
            count: 12
        }),
        "{name}: warnings {:?}",
        f.warnings
    );
    assert!(
        !f.warnings.contains(&FeedWarning::Truncated),
        "{name}: the document is complete; warnings {:?}",
        f.warnings
    );
}

#[test]
fn feeds_with_no_entry_elements_have_no_unreadable_warning() {
    for (name, title) in [
        ("rss_empty_channel.xml", "Yonhap News Agency - Corrections"),
        ("atom_empty_feed.xml", "Kyodo News - Corrections"),
    ] {
        let f = parse_fixture(name);
        assert_eq!(f.title.as_deref(), Some(title), "{name}");
        assert!(
            f.items.is_empty(),
            "{name}: {} items, titles {:?}",
            f.items.len(),
            titles(&f.items)
        );
        no_warnings(name, &f);
    }
}

#[test]
fn unreadable_warning_reads_as_a_sentence() {
    let w = FeedWarning::Unreadable {
        element: "item".into(),
        count: 12,
    };
    assert_eq!(w.to_string(), "12 <item> elements, none readable");
}
