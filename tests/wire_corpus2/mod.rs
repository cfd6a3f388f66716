//! A second labelled corpus of wire copy, written independently of `tests/wire_corpus` from a
//! description of wire practice (issue 15), for scoring story clustering on the cases the
//! first corpus does not cover.
//!
//! # What it generates
//!
//! [`generate`] builds, from a [`Spec`], the items a set of feeds (five agency wires and about
//! 55 outlets that republish them, in English, Korean or both) would carry over a few days:
//! by default 60 feeds and about 1,800 items. Everything is made from this module's own
//! vocabulary (invented companies, people and figures; real place and ministry names) and its
//! own small PRNG ([`SplitMix64`]), so one seed always gives the same corpus.
//!
//! Each story comes from one [`Family`]:
//!
//! - [`Family::Recurring`]: headlines that recur with different facts: "Seoul shares open
//!   higher" and "코스피, 상승 출발" every weekday morning, "Yonhap News Summary" and
//!   "[연합뉴스 이 시각 헤드라인]" every evening (a digest quoting other stories' headlines and
//!   first sentences), "Today in Korean History" / "[오늘의 역사]" every day, and
//!   "(LEAD) N. Korea fires ballistic missile into East Sea: JCS" twice within the window.
//! - [`Family::TwinHeadline`]: two different events with the same headline (the same ministry
//!   doing the same thing to the same programme) filed a day apart from two different cities,
//!   with bodies that share no sentence (and, bar chance, no figure).
//! - [`Family::TwoAgencies`]: one event reported by two agencies, each in its own words (same
//!   facts and figures, no shared sentence, different headlines).
//! - [`Family::Correction`]: a story and its correction, `(Correction)` / `[정정]` / `(정정)`,
//!   hours later, with one figure changed and sometimes a note on what was corrected.
//! - [`Family::HeadlineSwap`]: an update that replaces the headline completely but keeps the
//!   body (one paragraph added).
//! - [`Family::CutLead`]: republications that cut the first paragraph (the dateline lead),
//!   sometimes the first two.
//! - [`Family::ReissueChain`]: `(URGENT)` one-liner → story → `(LEAD)` → `(2nd LD)`, and
//!   `[속보]` → story → `(종합)` → `(종합2보)`; the flash is headline-only or one line.
//! - [`Family::Restyled`]: republications with restyled headlines (tags dropped, "N. Korea"
//!   spelled out, title case, the outlet's name appended) and truncated bodies, some with no
//!   body at all.
//! - [`Family::NearTwins`]: two different events on the same day written from the same
//!   template: two companies' quarterly earnings, two factory fires.
//! - [`Family::Bilingual`]: one event filed in Korean and in English by the same agency; the
//!   mixed-language outlets carry both.
//!
//! Every story, whatever its family, is republished by 0–4 outlets of its language (or mixed
//! outlets), mostly verbatim, sometimes lightly restyled, so each family has positive pairs;
//! mixed outlets put Korean and English in one feed throughout.
//!
//! Datelines follow the agencies' practice: `BUSAN, Nov. 27 (Yonhap) --`,
//! `(서울=연합뉴스) 김민재 기자 =`, `【도쿄=뉴시스】이서연 기자 =`, `(부산=뉴스1) 박지훈 기자 =`.
//!
//! # Labelling policy: when two items are one story
//!
//! The project groups *copies of one wire text*, not reports of one event: a reader wants the
//! twelve outlets that ran the same agency copy folded into one line, but two agencies' own
//! reports are two pieces of journalism (different wording, sourcing and often figures) that a
//! desk wants to see side by side. So two items carry the same `story` label exactly when:
//!
//! 1. one republishes the other (verbatim, restyled headline, truncated or cut body, or
//!    headline only), or both republish one copy; or
//! 2. one is a reissue of the other by the same agency: `(LEAD)`, `(2nd LD)`, `(종합)`,
//!    `(종합2보)`, an update that rewrites the headline but keeps the body; or
//! 3. one corrects the other (`(Correction)`, `[정정]`): a correction joins the story it
//!    corrects; or
//! 4. one is a headline-only flash (`(URGENT)`, `[속보]`) and the other the reissue that follows
//!    it within the hour from the same agency;
//!
//! and, transitively, anything joined to either. Everything else is a different story, in
//! particular (these are the *hard negatives*, marked by a shared `group`):
//!
//! - two agencies' independent reports of one event that share no sentence
//!   ([`Family::TwoAgencies`]): the same event, but not the same text;
//! - the Korean and the English copy of one event ([`Family::Bilingual`]): a translation shares
//!   no text;
//! - recurring headlines on different days or occasions ([`Family::Recurring`]), even where
//!   they share a stock sentence ("South Korean and U.S. intelligence authorities are analyzing
//!   the details of the launch."), and the daily digest, which quotes other stories' headlines
//!   and first sentences but is a copy of none of them;
//! - same or nearly the same headline over unrelated bodies ([`Family::TwinHeadline`]);
//! - same-day stories written from one template with different facts ([`Family::NearTwins`]),
//!   stock sentences ("Police are investigating the exact cause of the fire.") included.
//!
//! Provenance decides, not appearance: a headline-only or truncated republication belongs to
//! the copy it republishes even when its headline alone matches another story (twin
//! headlines, recurring headlines); then only its time and feed can tell. Apart from the twins
//! made on purpose, no two policy events share ministry, action and programme, and every
//! policy sentence carries an event's own names or figures, so unrelated stories share no
//! sentence by accident.
//!
//! `group` is equal for the stories of one confusable set (the two twins, the two agencies'
//! reports, the two languages, one recurring series); pairs with the same group but different
//! stories are the hard negatives counted separately by the evaluation.
//!
//! # Seeds: tuning and held out
//!
//! Seeds [`TUNING_SEEDS`] (101–103) are for looking at: tuning the clustering, reading its
//! mistakes (`--mistakes`). Seeds [`HELD_OUT_SEEDS`] (201–205) are for reporting only: nobody
//! looks at their mistakes, or at their figures, while tuning the clustering; they are run
//! once when a change is done, and their figures are what is reported.

#![allow(dead_code)]

pub mod eval;

use chrono::{DateTime, Datelike, Duration, TimeZone, Timelike, Utc, Weekday};

/// Seeds to tune on: read their figures and mistakes freely.
pub const TUNING_SEEDS: [u64; 3] = [101, 102, 103];
/// Seeds to report on: never looked at while tuning.
pub const HELD_OUT_SEEDS: [u64; 5] = [201, 202, 203, 204, 205];

/// What to generate.
#[derive(Clone, Debug)]
pub struct Spec {
    pub seed: u64,
    /// Feeds in all: five agency wires and the rest outlets.
    pub feeds: usize,
    /// Items per feed on average: generation stops at `feeds × items_per_feed` items.
    pub items_per_feed: usize,
    /// Days of simulated time.
    pub days: u32,
    /// Midnight in Seoul of the first day.
    pub start: DateTime<Utc>,
}

impl Default for Spec {
    fn default() -> Self {
        Self {
            seed: TUNING_SEEDS[0],
            feeds: 60,
            items_per_feed: 30,
            days: 4,
            // 2026-11-25 00:00 KST.
            start: Utc.with_ymd_and_hms(2026, 11, 24, 15, 0, 0).unwrap(),
        }
    }
}

/// Where a story came from (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    Recurring,
    TwinHeadline,
    TwoAgencies,
    Correction,
    HeadlineSwap,
    CutLead,
    ReissueChain,
    Restyled,
    NearTwins,
    Bilingual,
}

impl Family {
    pub const ALL: [Family; 10] = [
        Family::Recurring,
        Family::TwinHeadline,
        Family::TwoAgencies,
        Family::Correction,
        Family::HeadlineSwap,
        Family::CutLead,
        Family::ReissueChain,
        Family::Restyled,
        Family::NearTwins,
        Family::Bilingual,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Family::Recurring => "recurring",
            Family::TwinHeadline => "twin-headline",
            Family::TwoAgencies => "two-agencies",
            Family::Correction => "correction",
            Family::HeadlineSwap => "headline-swap",
            Family::CutLead => "cut-lead",
            Family::ReissueChain => "reissue-chain",
            Family::Restyled => "restyled",
            Family::NearTwins => "near-twins",
            Family::Bilingual => "bilingual",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Ko,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }
}

/// One generated item with its labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub feed: String,
    pub guid: String,
    pub link: String,
    pub title: String,
    /// Plain text; empty for a headline-only item.
    pub summary: String,
    pub published: DateTime<Utc>,
    /// Ground truth: items with the same label are one story (see the labelling policy).
    pub story: u32,
    /// Stories made to be confused with each other share a group (see the module docs).
    pub group: u32,
    pub family: Family,
    pub lang: Lang,
    /// What the item is: "wire", "flash", "lead", "2nd-ld", "correction", "update",
    /// "republish", "restyled", "truncated", "cut-lead", "headline-only", "digest".
    pub role: &'static str,
}

/// A feed of the corpus.
#[derive(Clone, Debug)]
pub struct Feed {
    pub name: String,
    /// The outlet's name as it appends it to restyled headlines.
    pub display: String,
    /// `None`: both languages.
    pub lang: Option<Lang>,
    pub wire: bool,
}

/// SplitMix64 (Steele, Lea, Flood 2014): small, fast, and good enough for a corpus.
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 11) as u128 * n as u128) >> 53) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below((hi - lo + 1) as usize) as u64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }

    /// `k` distinct indexes of `0..n`, in random order.
    pub fn sample(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut all: Vec<usize> = (0..n).collect();
        for i in 0..k.min(n) {
            let j = i + self.below(n - i);
            all.swap(i, j);
        }
        all.truncate(k.min(n));
        all
    }
}

// ---------------------------------------------------------------------------------------------
// Vocabulary: (dateline form, English, Korean).

const PLACES: [(&str, &str, &str); 14] = [
    ("SEOUL", "Seoul", "서울"),
    ("BUSAN", "Busan", "부산"),
    ("INCHEON", "Incheon", "인천"),
    ("DAEGU", "Daegu", "대구"),
    ("GWANGJU", "Gwangju", "광주"),
    ("DAEJEON", "Daejeon", "대전"),
    ("ULSAN", "Ulsan", "울산"),
    ("SUWON", "Suwon", "수원"),
    ("CHANGWON", "Changwon", "창원"),
    ("JEONJU", "Jeonju", "전주"),
    ("CHEONGJU", "Cheongju", "청주"),
    ("POHANG", "Pohang", "포항"),
    ("SEJONG", "Sejong", "세종"),
    ("TOKYO", "Tokyo", "도쿄"),
];

const MINISTRIES: [(&str, &str); 10] = [
    ("finance ministry", "기획재정부"),
    ("industry ministry", "산업통상자원부"),
    ("land ministry", "국토교통부"),
    ("labor ministry", "고용노동부"),
    ("environment ministry", "환경부"),
    ("science ministry", "과학기술정보통신부"),
    ("oceans ministry", "해양수산부"),
    ("health ministry", "보건복지부"),
    ("education ministry", "교육부"),
    ("SMEs ministry", "중소벤처기업부"),
];

const TOPICS: [(&str, &str); 12] = [
    ("semiconductor subsidies", "반도체 보조금"),
    ("housing supply measures", "주택 공급 대책"),
    ("a hydrogen bus pilot", "수소버스 시범사업"),
    ("the port expansion plan", "항만 확장 계획"),
    ("youth job grants", "청년 일자리 지원금"),
    ("battery recycling rules", "배터리 재활용 규정"),
    ("rural broadband funding", "농어촌 초고속망 예산"),
    ("offshore wind permits", "해상풍력 인허가"),
    ("small-business loan relief", "소상공인 대출 지원"),
    ("a new childcare allowance", "신규 보육 수당"),
    ("the smart farm program", "스마트팜 사업"),
    ("carbon border measures", "탄소국경 대응책"),
];

/// (third person, base form, Korean noun taking 하다).
const VERBS: [(&str, &str, &str); 6] = [
    ("postpones", "postpone", "연기"),
    ("expands", "expand", "확대"),
    ("unveils", "unveil", "발표"),
    ("scraps", "scrap", "백지화"),
    ("reviews", "review", "재검토"),
    ("approves", "approve", "승인"),
];

const COMPANIES: [(&str, &str); 14] = [
    ("Hanbit Semicon", "한빛반도체"),
    ("Daeyang Shipbuilding", "대양조선"),
    ("Mirae Bio", "미래바이오"),
    ("Saebyeok Motors", "새벽자동차"),
    ("Gaon Chemical", "가온케미칼"),
    ("Nuri Telecom", "누리텔레콤"),
    ("Pureun Energy", "푸른에너지"),
    ("Haneul Air", "하늘항공"),
    ("Dasol Steel", "다솔철강"),
    ("Arum Foods", "아름식품"),
    ("Bitna Display", "빛나디스플레이"),
    ("Seorin Battery", "서린배터리"),
    ("Garam Logistics", "가람물류"),
    ("Yeoul Pharma", "여울제약"),
];

const PEOPLE: [(&str, &str); 14] = [
    ("Kim Min-jae", "김민재"),
    ("Lee Seo-yeon", "이서연"),
    ("Park Ji-hoon", "박지훈"),
    ("Choi Yu-na", "최유나"),
    ("Jung Hyun-woo", "정현우"),
    ("Kang Da-eun", "강다은"),
    ("Yoon Tae-ho", "윤태호"),
    ("Han So-ra", "한소라"),
    ("Oh Jun-seo", "오준서"),
    ("Shin Ha-rin", "신하린"),
    ("Lim Do-yun", "임도윤"),
    ("Seo Ye-ji", "서예지"),
    ("Baek Seung-min", "백승민"),
    ("Moon Ga-young", "문가영"),
];

const ROLES: [(&str, &str); 4] = [
    ("Vice Minister", "차관"),
    ("Director-General", "국장"),
    ("spokesperson", "대변인"),
    ("senior official", "고위 관계자"),
];

const REASONS: [(&str, &str); 7] = [
    ("budget constraints", "예산 제약"),
    ("weak demand", "수요 부진"),
    ("objections from local governments", "지방자치단체 반발"),
    ("rising construction costs", "공사비 상승"),
    ("a pending safety review", "안전성 검토"),
    ("legal challenges", "법적 분쟁"),
    ("delays in parliament", "국회 처리 지연"),
];

const MARKETS: [(&str, &str); 6] = [
    ("North America", "북미"),
    ("Southeast Asia", "동남아시아"),
    ("Europe", "유럽"),
    ("the Middle East", "중동"),
    ("China", "중국"),
    ("India", "인도"),
];

const MISSILE_AREAS: [(&str, &str); 6] = [
    ("Sunan", "순안"),
    ("Tongchang-ri", "동창리"),
    ("Sinpo", "신포"),
    ("Wonsan", "원산"),
    ("Jagang Province", "자강도"),
    ("Pyongsong", "평성"),
];

const MONTHS_EN: [&str; 12] = [
    "Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.",
    "Dec.",
];
const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

// Policy news (ministry does something to a programme): two house styles per language, the
// same facts in other words. Index 0 is the lead (it follows the dateline).
const POLICY_EN: [[&str; 11]; 2] = [
    [
        "The {ministry} said {weekday} it will {verb} {topic}, citing {reason}.",
        "The decision affects about {n1} companies, including {company}, according to the ministry.",
        "\"We will keep consulting with the industry,\" {role} {person} told reporters in {place}.",
        "The program had been budgeted at {cost} won over {years} years.",
        "Officials in {place} said some {n3} local businesses would feel the impact first.",
        "The main opposition party called the move short-sighted and demanded a hearing within {n2} days.",
        "Business groups have sought clearer guidance on {topic} since {month}.",
        "The {ministry} expects to submit a final plan on {topic} to the Cabinet by the end of {deadline}.",
        "Shares of {company} fell {pct} percent in morning trade after the announcement.",
        "The ministry plans to brief {company} and other affected firms on {topic} next week.",
        "Around {jobs} jobs depend on the program, a think tank estimated.",
    ],
    [
        "South Korea's {ministry} on {weekday} decided to {verb} {topic}, pointing to {reason}.",
        "Some {n1} firms, {company} among them, will be affected, ministry data showed.",
        "{person}, {role}, said at a press briefing in {place} that talks with businesses would continue.",
        "A total of {cost} won had been set aside for the scheme for the next {years} years.",
        "Local authorities in {place} warned that {n3} regional businesses would be hit hardest.",
        "Opposition lawmakers slammed the decision and called for a parliamentary hearing within {n2} days.",
        "Since {month}, industry associations have pressed for clearer rules on {topic}.",
        "The Cabinet is due to receive the {ministry}'s final plan on {topic} by late {deadline}.",
        "{company} stock dropped {pct} percent in early trading on the news.",
        "Next week the ministry will brief {company} and other companies concerned about {topic}.",
        "A private research institute put the number of related jobs at {jobs}.",
    ],
];

const POLICY_KO: [[&str; 11]; 2] = [
    [
        "{ministry|은} {day} {reason|을} 이유로 {topic|을} {verb}하기로 했다고 밝혔다.",
        "이번 결정으로 {company} 등 약 {n1}개 기업이 영향을 받을 것으로 보인다.",
        "{person} {role|은} 이날 {place}에서 기자들과 만나 \"업계와 계속 협의하겠다\"고 말했다.",
        "해당 사업에는 {years}년간 {cost}원이 배정돼 있었다.",
        "{place} 지역 관계자들은 지역 업체 {n3}곳이 가장 먼저 타격을 받을 것이라고 우려했다.",
        "제1야당은 이번 결정이 근시안적이라며 {n2}일 안에 청문회를 열라고 요구했다.",
        "업계는 지난 {month}부터 {topic}에 대한 명확한 지침을 요구해 왔다.",
        "{ministry|은} {topic} 최종안을 {deadline} 말까지 국무회의에 상정할 예정이다.",
        "발표 직후 {company} 주가는 장중 {pct}% 하락했다.",
        "{ministry|은} 다음 주 {company} 등 관련 기업을 대상으로 {topic} 설명회를 열 계획이다.",
        "한 민간 연구소는 이 사업과 관련된 일자리가 {jobs}개에 이른다고 추산했다.",
    ],
    [
        "{day} {ministry}에 따르면 정부는 {reason} 등을 고려해 {topic|을} {verb}하기로 결정했다.",
        "영향을 받는 기업은 {company|을} 비롯해 {n1}곳 안팎이다.",
        "{role}인 {person}씨는 {place}에서 열린 브리핑에서 \"기업들과 대화를 이어가겠다\"고 했다.",
        "정부는 향후 {years}년 동안 이 사업에 {cost}원을 투입할 계획이었다.",
        "{place} 지방자치단체는 지역 기업 {n3}곳의 피해가 클 것이라고 경고했다.",
        "야당 의원들은 결정을 강하게 비판하며 {n2}일 안에 국회 청문회를 열어야 한다고 했다.",
        "관련 업계 단체들은 {month} 이후 {topic} 관련 규정을 명확히 해 달라고 요청해 왔다.",
        "정부는 {deadline} 하순까지 {topic} 최종안을 국무회의에 보고할 방침이다.",
        "이 소식에 {company} 주식은 개장 초 {pct}% 떨어졌다.",
        "{ministry|은} 다음 주 {company} 등 해당 기업들을 상대로 설명회를 연다.",
        "관련 일자리는 {jobs}개 수준이라는 민간 연구기관의 분석도 나왔다.",
    ],
];

const EARNINGS_EN: [&str; 6] = [
    "{company} said {weekday} its operating profit for the third quarter rose {pct} percent from a year earlier to {profit} won.",
    "Sales climbed {pct2} percent to {sales} won, the company said in a regulatory filing.",
    "Net income came to {net} won, beating the market consensus.",
    "The company attributed the gain to strong demand in {market}.",
    "Analysts expect {company} to post record annual earnings.",
    "Its shares closed {pct3} percent higher ahead of the announcement.",
];
const EARNINGS_KO: [&str; 6] = [
    "{company|은} {day} 3분기 영업이익이 {profit}원으로 작년 같은 기간보다 {pct}% 증가했다고 공시했다.",
    "매출은 {sales}원으로 {pct2}% 늘었다.",
    "순이익은 {net}원으로 시장 예상치를 웃돌았다.",
    "회사 측은 {market} 시장의 수요 호조가 실적을 이끌었다고 설명했다.",
    "증권가에서는 {company}의 연간 최대 실적 달성을 점치고 있다.",
    "실적 발표를 앞두고 {company} 주가는 {pct3}% 오른 채 장을 마쳤다.",
];
const FIRE_EN: [&str; 6] = [
    "A fire broke out at a {company} factory in {place} early {weekday}, officials said.",
    "No injuries were reported, and the blaze was put out in about {hours} hours.",
    "Some {n1} firefighters and {n2} fire trucks were mobilized.",
    "Police are investigating the exact cause of the fire.",
    "Damage was initially estimated at {cost} won.",
    "About {n3} workers were evacuated from the plant.",
];
const FIRE_KO: [&str; 6] = [
    "{day} 새벽 {place}의 {company} 공장에서 불이 났다.",
    "인명 피해는 없었으며 불은 약 {hours}시간 만에 꺼졌다.",
    "소방당국은 소방관 {n1}명과 장비 {n2}대를 투입했다.",
    "경찰은 정확한 화재 원인을 조사하고 있다.",
    "재산 피해는 {cost}원으로 잠정 집계됐다.",
    "공장 근로자 {n3}명이 긴급 대피했다.",
];

// ---------------------------------------------------------------------------------------------
// Slots and templates.

/// Named values for templates.
#[derive(Clone, Default)]
struct Slots(Vec<(&'static str, String)>);

impl Slots {
    fn set(&mut self, key: &'static str, value: impl Into<String>) {
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
    }

    fn get(&self, key: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no slot {key}"))
    }
}

/// Whether the last syllable of a Korean word (or the reading of its last digit) ends in a
/// consonant, which picks the particle (은/는, 이/가, 을/를, 과/와).
fn batchim(word: &str) -> bool {
    match word
        .chars()
        .rev()
        .find(|c| !matches!(c, ' ' | ')' | '"' | '\'' | '%'))
    {
        Some(c) if ('\u{AC00}'..='\u{D7A3}').contains(&c) => {
            !(c as u32 - 0xAC00).is_multiple_of(28)
        }
        Some(c) if c.is_ascii_digit() => matches!(c, '0' | '1' | '3' | '6' | '7' | '8'),
        _ => false,
    }
}

fn particle(word: &str, which: &str) -> &'static str {
    let b = batchim(word);
    match which {
        "은" => {
            if b {
                "은"
            } else {
                "는"
            }
        }
        "이" => {
            if b {
                "이"
            } else {
                "가"
            }
        }
        "을" => {
            if b {
                "을"
            } else {
                "를"
            }
        }
        "과" => {
            if b {
                "과"
            } else {
                "와"
            }
        }
        other => panic!("unknown particle {other}"),
    }
}

/// Fills `{key}` and `{key|particle}` from `slots`.
fn fill(template: &str, slots: &Slots) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = open + rest[open..].find('}').expect("closed slot");
        let inner = &rest[open + 1..close];
        let (key, josa) = match inner.split_once('|') {
            Some((k, j)) => (k, Some(j)),
            None => (inner, None),
        };
        let value = slots.get(key);
        out.push_str(value);
        if let Some(j) = josa {
            out.push_str(particle(value, j));
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn with_commas(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// An amount in units of 100 million won (억), in both languages.
fn won(eok: u64) -> (String, String) {
    let en = if eok >= 10_000 {
        format!("{:.1} trillion", eok as f64 / 10_000.0)
    } else {
        format!("{} billion", with_commas(eok / 10))
    };
    let ko = match (eok / 10_000, eok % 10_000) {
        (0, r) => format!("{r}억"),
        (j, 0) => format!("{j}조"),
        (j, r) => format!("{j}조{r}억"),
    };
    (en, ko)
}

fn tenths(rng: &mut SplitMix64, lo: u64, hi: u64) -> String {
    let v = rng.range(lo, hi);
    format!("{}.{}", v / 10, v % 10)
}

fn weekday_en(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// Seoul local time of `t` (KST, no daylight saving).
fn kst(t: DateTime<Utc>) -> chrono::NaiveDateTime {
    (t + Duration::hours(9)).naive_utc()
}

// ---------------------------------------------------------------------------------------------
// Agencies and copies.

#[derive(Clone, Copy)]
struct Agency {
    feed: &'static str,
    lang: Lang,
    /// "Yonhap", or "연합뉴스".
    name: &'static str,
    /// The house style (which template set it writes in).
    style: usize,
}

const YONHAP_EN: Agency = Agency {
    feed: "yonhap-en",
    lang: Lang::En,
    name: "Yonhap",
    style: 0,
};
const HANPRESS_EN: Agency = Agency {
    feed: "hanpress-en",
    lang: Lang::En,
    name: "Hanpress",
    style: 1,
};
const YONHAP_KO: Agency = Agency {
    feed: "yonhap-ko",
    lang: Lang::Ko,
    name: "연합뉴스",
    style: 0,
};
const NEWSIS: Agency = Agency {
    feed: "newsis",
    lang: Lang::Ko,
    name: "뉴시스",
    style: 1,
};
const NEWS1: Agency = Agency {
    feed: "news1",
    lang: Lang::Ko,
    name: "뉴스1",
    style: 1,
};

const AGENCIES: [Agency; 5] = [YONHAP_EN, HANPRESS_EN, YONHAP_KO, NEWSIS, NEWS1];

fn dateline(agency: Agency, place: usize, reporter: usize, t: DateTime<Utc>) -> String {
    let local = kst(t);
    let (upper, _, ko) = PLACES[place];
    match agency.lang {
        Lang::En => format!(
            "{upper}, {} {} ({}) --",
            MONTHS_EN[local.month0() as usize],
            local.day(),
            agency.name
        ),
        Lang::Ko => {
            let who = PEOPLE[reporter].1;
            if agency.name == "뉴시스" {
                format!("【{ko}=뉴시스】{who} 기자 =")
            } else {
                format!("({ko}={}) {who} 기자 =", agency.name)
            }
        }
    }
}

/// One agency copy: headline, dateline and paragraphs.
#[derive(Clone, Debug)]
struct Copy {
    lang: Lang,
    title: String,
    dateline: String,
    paras: Vec<String>,
}

impl Copy {
    fn summary(&self) -> String {
        if self.paras.is_empty() {
            return String::new();
        }
        let mut s = self.dateline.clone();
        for p in &self.paras {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(p);
        }
        s
    }
}

/// How outlets treat a copy they republish.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Treatment {
    /// Mostly verbatim; sometimes a lightly restyled headline.
    Plain,
    /// Restyled headline, truncated or no body.
    Restyle,
    /// First paragraph (or two) cut.
    CutLead,
}

// ---------------------------------------------------------------------------------------------
// The generator.

/// The corpus's feeds: the five agency wires, then outlets (two in five English, two in five
/// Korean, one in five both).
pub fn feeds(spec: &Spec) -> Vec<Feed> {
    let mut out: Vec<Feed> = AGENCIES
        .iter()
        .map(|a| Feed {
            name: a.feed.to_string(),
            display: a.name.to_string(),
            lang: Some(a.lang),
            wire: true,
        })
        .collect();
    const FIRST: [&str; 14] = [
        "harbor", "capital", "valley", "river", "metro", "pine", "jade", "summit", "coast", "lake",
        "north", "south", "east", "west",
    ];
    const SECOND: [&str; 6] = ["herald", "times", "post", "daily", "ilbo", "gazette"];
    let outlets = spec.feeds.saturating_sub(AGENCIES.len());
    for i in 0..outlets {
        let (a, b) = (
            FIRST[i % FIRST.len()],
            SECOND[(i / FIRST.len()) % SECOND.len()],
        );
        let round = i / (FIRST.len() * SECOND.len());
        let name = if round == 0 {
            format!("{a}-{b}")
        } else {
            format!("{a}-{b}-{round}")
        };
        let lang = match i % 5 {
            0 | 1 => Some(Lang::En),
            2 | 3 => Some(Lang::Ko),
            _ => None,
        };
        out.push(Feed {
            display: format!("{} {}", capitalize(a), capitalize(b)),
            name,
            lang,
            wire: false,
        });
    }
    out
}

/// Generates the labelled corpus of `spec`, in order of publication.
pub fn generate(spec: &Spec) -> Vec<Item> {
    let mut g = Gen {
        rng: SplitMix64::new(spec.seed ^ 0x5EED_0FC0_4205),
        spec: spec.clone(),
        feeds: feeds(spec),
        items: Vec::new(),
        next_story: 0,
        next_group: 0,
        seq: 0,
        leads: Vec::new(),
        digest_groups: [0, 0],
        used: std::collections::HashSet::new(),
        reported: std::collections::HashSet::new(),
    };
    g.recurring_fixed();
    let target = spec.feeds * spec.items_per_feed;
    // Weighted round of families; each call adds one event (one or two stories).
    const ROUND: [Family; 16] = [
        Family::Restyled,
        Family::Restyled,
        Family::CutLead,
        Family::CutLead,
        Family::ReissueChain,
        Family::ReissueChain,
        Family::Correction,
        Family::Correction,
        Family::HeadlineSwap,
        Family::HeadlineSwap,
        Family::TwinHeadline,
        Family::TwoAgencies,
        Family::TwoAgencies,
        Family::NearTwins,
        Family::NearTwins,
        Family::Bilingual,
    ];
    let mut i = 0;
    while g.items.len() + 8 * spec.days as usize <= target {
        match ROUND[i % ROUND.len()] {
            Family::Restyled => g.simple(Family::Restyled, Treatment::Restyle),
            Family::CutLead => g.simple(Family::CutLead, Treatment::CutLead),
            Family::ReissueChain => g.reissue_chain(),
            Family::Correction => g.correction(),
            Family::HeadlineSwap => g.headline_swap(),
            Family::TwinHeadline => g.twin_headline(),
            Family::TwoAgencies => g.two_agencies(),
            Family::NearTwins => g.near_twins(),
            Family::Bilingual => g.bilingual(),
            Family::Recurring => unreachable!(),
        }
        i += 1;
    }
    g.digests();
    let mut items = g.items;
    items.sort_by(|a, b| a.published.cmp(&b.published).then(a.guid.cmp(&b.guid)));
    items
}

struct Gen {
    rng: SplitMix64,
    spec: Spec,
    feeds: Vec<Feed>,
    items: Vec<Item>,
    next_story: u32,
    next_group: u32,
    seq: u64,
    /// Agency copies eligible for the evening digest: (lang, time, headline, first sentence).
    leads: Vec<(Lang, DateTime<Utc>, String, String)>,
    /// The digest series' groups (English, Korean).
    digest_groups: [u32; 2],
    /// (ministry, verb, programme) of the policy events so far.
    used: std::collections::HashSet<(usize, usize, usize)>,
    /// Companies whose quarterly earnings have been reported, per language.
    reported: std::collections::HashSet<(Lang, usize)>,
}

/// Labels for the items of one story.
#[derive(Clone, Copy)]
struct Label {
    story: u32,
    group: u32,
    family: Family,
}

impl Gen {
    fn label(&mut self, family: Family, group: Option<u32>) -> Label {
        let story = self.next_story;
        self.next_story += 1;
        let group = group.unwrap_or_else(|| {
            let g = self.next_group;
            self.next_group += 1;
            g
        });
        Label {
            story,
            group,
            family,
        }
    }

    fn group(&mut self) -> u32 {
        let g = self.next_group;
        self.next_group += 1;
        g
    }

    /// A time during the Seoul working day `day` (0-based), as UTC.
    fn time_on(&mut self, day: u32) -> DateTime<Utc> {
        let minutes = self.rng.range(6 * 60 + 30, 21 * 60) as i64;
        self.spec.start + Duration::days(day as i64) + Duration::minutes(minutes)
    }

    fn any_time(&mut self) -> DateTime<Utc> {
        let day = self.rng.below(self.spec.days as usize) as u32;
        self.time_on(day)
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        feed: &str,
        title: String,
        summary: String,
        t: DateTime<Utc>,
        lang: Lang,
        label: Label,
        role: &'static str,
    ) {
        self.seq += 1;
        let n = self.seq;
        let guid = if feed.starts_with("yonhap") {
            let l = kst(t);
            format!(
                "AKR{:04}{:02}{:02}{:06}",
                l.year(),
                l.month(),
                l.day(),
                n * 7 + 1
            )
        } else {
            format!("{feed}:{n}")
        };
        let link = format!(
            "https://{feed}.example/{}/{n}",
            if lang == Lang::Ko { "view" } else { "news" }
        );
        self.items.push(Item {
            feed: feed.to_string(),
            guid,
            link,
            title,
            summary,
            published: t,
            story: label.story,
            group: label.group,
            family: label.family,
            lang,
            role,
        });
    }

    /// Files `copy` on the agency's wire.
    fn file(
        &mut self,
        agency: Agency,
        copy: &Copy,
        t: DateTime<Utc>,
        label: Label,
        role: &'static str,
    ) {
        let summary = copy.summary();
        if !copy.paras.is_empty() && label.family != Family::Recurring {
            self.leads
                .push((copy.lang, t, copy.title.clone(), copy.paras[0].clone()));
        }
        self.push(
            agency.feed,
            copy.title.clone(),
            summary,
            t,
            copy.lang,
            label,
            role,
        );
    }

    /// `n` outlets of the copy's language (or mixed) republish `copy` after `t`.
    fn republish(
        &mut self,
        copy: &Copy,
        t: DateTime<Utc>,
        n: usize,
        treatment: Treatment,
        label: Label,
    ) {
        let outlets: Vec<usize> = (0..self.feeds.len())
            .filter(|&i| {
                let f = &self.feeds[i];
                !f.wire && f.lang.is_none_or(|l| l == copy.lang)
            })
            .collect();
        for k in self.rng.sample(outlets.len(), n) {
            let feed = self.feeds[outlets[k]].clone();
            let when = t + Duration::minutes(self.rng.range(4, 360) as i64);
            let (title, summary, role) = self.treat(copy, &feed, treatment);
            self.push(&feed.name, title, summary, when, copy.lang, label, role);
        }
    }

    fn treat(
        &mut self,
        copy: &Copy,
        feed: &Feed,
        treatment: Treatment,
    ) -> (String, String, &'static str) {
        let full = copy.summary();
        match treatment {
            Treatment::Plain => {
                let r = self.rng.below(100);
                if r < 5 || copy.paras.is_empty() {
                    let title = self.restyle_title(&copy.title, feed);
                    (title, String::new(), "headline-only")
                } else if r < 12 {
                    let words = self.rng.range(25, 45) as usize;
                    (
                        copy.title.clone(),
                        truncate_words(&full, words),
                        "truncated",
                    )
                } else if r < 75 {
                    (copy.title.clone(), full, "republish")
                } else {
                    let title = self.restyle_title(&copy.title, feed);
                    (title, full, "restyled")
                }
            }
            Treatment::Restyle => {
                let title = self.restyle_title(&copy.title, feed);
                let r = self.rng.below(10);
                if r < 2 || copy.paras.is_empty() {
                    (title, String::new(), "headline-only")
                } else if r < 5 {
                    // The lead only, dateline dropped.
                    (title, copy.paras[0].clone(), "truncated")
                } else if r < 8 {
                    let words = self.rng.range(25, 45) as usize;
                    (title, truncate_words(&full, words), "truncated")
                } else {
                    (title, full, "restyled")
                }
            }
            Treatment::CutLead => {
                let cut = if copy.paras.len() > 4 && self.rng.chance(0.3) {
                    2
                } else {
                    1
                };
                let body = copy.paras[cut.min(copy.paras.len())..].join(" ");
                let title = if self.rng.chance(0.5) {
                    copy.title.clone()
                } else {
                    self.restyle_title(&copy.title, feed)
                };
                (title, body, "cut-lead")
            }
        }
    }

    fn restyle_title(&mut self, title: &str, feed: &Feed) -> String {
        let mut t = title.to_string();
        for tag in [
            "(LEAD) ",
            "(2nd LD) ",
            "(URGENT) ",
            "(Correction) ",
            "[속보] ",
            "[정정] ",
        ] {
            t = t.replace(tag, "");
        }
        for tag in ["(종합2보)", "(종합)"] {
            t = t.replace(tag, "");
        }
        t = t
            .replace("N. Korea", "North Korea")
            .replace("S. Korea", "South Korea")
            .replace(" pct", " percent")
            .replace("gov't", "government")
            .replace('…', ", ");
        if self.rng.chance(0.4) && t.is_ascii() {
            t = t
                .split(' ')
                .map(|w| {
                    if matches!(
                        w,
                        "a" | "an" | "the" | "of" | "in" | "on" | "to" | "for" | "at"
                    ) {
                        w.to_string()
                    } else {
                        capitalize(w)
                    }
                })
                .collect::<Vec<_>>()
                .join(" ");
        }
        match self.rng.below(3) {
            0 => format!("{} | {}", t.trim(), feed.display),
            1 => format!("{} - {}", t.trim(), feed.display),
            _ => t.trim().to_string(),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Facts and copies.

    /// Facts of one policy event.
    fn policy_facts(&mut self, lang: Lang, t: DateTime<Utc>) -> (Slots, usize) {
        let mut s = Slots::default();
        let ko = lang == Lang::Ko;
        let pick2 = |rng: &mut SplitMix64, v: &[(&'static str, &'static str)]| {
            let (e, k) = *rng.pick(v);
            if ko { k } else { e }
        };
        // Each event its own ministry, verb and programme (in either language), so that only
        // the twin headlines made on purpose share a headline or a lead.
        let mut combo = (0, 0, 0);
        for _ in 0..200 {
            combo = (
                self.rng.below(MINISTRIES.len()),
                self.rng.below(VERBS.len()),
                self.rng.below(TOPICS.len()),
            );
            if self.used.insert(combo) {
                break;
            }
        }
        let pick = |v: &[(&'static str, &'static str)], i: usize| if ko { v[i].1 } else { v[i].0 };
        s.set("ministry", pick(&MINISTRIES, combo.0));
        s.set("topic", pick(&TOPICS, combo.2));
        let verb = VERBS[combo.1];
        s.set("verb", if ko { verb.2 } else { verb.1 });
        s.set("verbs", verb.0);
        s.set("company", pick2(&mut self.rng, &COMPANIES));
        s.set("person", pick2(&mut self.rng, &PEOPLE));
        s.set("role", pick2(&mut self.rng, &ROLES));
        s.set("reason", pick2(&mut self.rng, &REASONS));
        let place = self.rng.below(PLACES.len() - 1);
        s.set("place", if ko { PLACES[place].2 } else { PLACES[place].1 });
        self.set_common(&mut s, lang, t);
        (s, place)
    }

    /// Figures and dates any template may use.
    fn set_common(&mut self, s: &mut Slots, lang: Lang, t: DateTime<Utc>) {
        let ko = lang == Lang::Ko;
        let local = kst(t);
        s.set("weekday", weekday_en(local.weekday()));
        s.set("day", format!("{}일", local.day()));
        s.set("n1", self.rng.range(12, 940).to_string());
        s.set("n2", self.rng.range(8, 60).to_string());
        s.set("n3", self.rng.range(20, 400).to_string());
        s.set("jobs", with_commas(self.rng.range(30, 990) * 100));
        s.set("years", self.rng.range(2, 9).to_string());
        s.set("hours", self.rng.range(2, 9).to_string());
        let cost = won(self.rng.range(150, 60_000));
        s.set("cost", if ko { cost.1 } else { cost.0 });
        let pct = tenths(&mut self.rng, 5, 250);
        s.set("pct", pct);
        let pct2 = tenths(&mut self.rng, 5, 250);
        s.set("pct2", pct2);
        let pct3 = tenths(&mut self.rng, 5, 90);
        s.set("pct3", pct3);
        let m = self.rng.below(12);
        s.set(
            "month",
            if ko {
                format!("{}월", m + 1)
            } else {
                MONTH_NAMES[m].to_string()
            },
        );
        let d = self.rng.below(12);
        s.set(
            "deadline",
            if ko {
                format!("{}월", d + 1)
            } else {
                MONTH_NAMES[d].to_string()
            },
        );
        for key in ["profit", "sales", "net"] {
            let w = won(self.rng.range(300, 90_000));
            s.set(key, if ko { w.1 } else { w.0 });
        }
        let (e, k) = *self.rng.pick(&MARKETS);
        s.set("market", if ko { k } else { e });
    }

    fn policy_title(&self, s: &Slots, lang: Lang) -> String {
        match lang {
            Lang::En => capitalize(&format!(
                "{} {} {}",
                s.get("ministry"),
                s.get("verbs"),
                s.get("topic")
            )),
            Lang::Ko => format!(
                "{}, {} {}",
                s.get("ministry"),
                s.get("topic"),
                s.get("verb")
            ),
        }
    }

    /// A policy copy in `agency`'s style with paragraphs `idx` (0 first).
    fn policy_copy(
        &mut self,
        agency: Agency,
        s: &Slots,
        place: usize,
        idx: &[usize],
        t: DateTime<Utc>,
    ) -> Copy {
        let templates = policy_templates(agency.lang, agency.style);
        let reporter = self.rng.below(PEOPLE.len());
        let paras = idx.iter().map(|&i| fill(templates[i], s)).collect();
        Copy {
            lang: agency.lang,
            title: self.policy_title(s, agency.lang),
            dateline: dateline(agency, place, reporter, t),
            paras,
        }
    }

    /// The lead and `k` other paragraphs, in random order.
    fn paragraphs(&mut self, k: usize) -> Vec<usize> {
        let mut v = vec![0];
        v.extend(self.rng.sample(10, k).into_iter().map(|i| i + 1));
        v
    }

    fn agency_for(&mut self, lang: Lang) -> Agency {
        match lang {
            Lang::En => YONHAP_EN,
            Lang::Ko => *self.rng.pick(&[YONHAP_KO, YONHAP_KO, NEWSIS, NEWS1]),
        }
    }

    fn lang(&mut self) -> Lang {
        if self.rng.chance(0.5) {
            Lang::En
        } else {
            Lang::Ko
        }
    }

    fn republications(&mut self) -> usize {
        *self.rng.pick(&[0, 1, 2, 2, 3, 3, 4])
    }

    // -----------------------------------------------------------------------------------------
    // Families.

    /// One policy story republished with `treatment` (Restyled, CutLead).
    fn simple(&mut self, family: Family, treatment: Treatment) {
        let lang = self.lang();
        let agency = self.agency_for(lang);
        let t = self.any_time();
        let (s, place) = self.policy_facts(lang, t);
        let k = self.rng.range(3, 6) as usize;
        let idx = self.paragraphs(k);
        let copy = self.policy_copy(agency, &s, place, &idx, t);
        let label = self.label(family, None);
        self.file(agency, &copy, t, label, "wire");
        let n = self.rng.range(2, 4) as usize;
        self.republish(&copy, t, n, treatment, label);
    }

    fn reissue_chain(&mut self) {
        let lang = self.lang();
        let agency = self.agency_for(lang);
        let t = self.any_time();
        let (s, place) = self.policy_facts(lang, t);
        let label = self.label(Family::ReissueChain, None);
        let idx = self.paragraphs(6);
        let mut copy = self.policy_copy(agency, &s, place, &idx[..3], t);
        let base = copy.title.clone();
        // The flash: headline only, or one line.
        let flash_title = match lang {
            Lang::En => format!("(URGENT) {base}"),
            Lang::Ko => format!("[속보] {base}"),
        };
        let flash_body = if self.rng.chance(0.6) {
            String::new()
        } else {
            format!("{} {}", copy.dateline, copy.paras[0])
        };
        self.push(
            agency.feed,
            flash_title,
            flash_body,
            t,
            lang,
            label,
            "flash",
        );
        let t1 = t + Duration::minutes(self.rng.range(3, 15) as i64);
        self.file(agency, &copy, t1, label, "wire");
        let t2 = t1 + Duration::minutes(self.rng.range(20, 45) as i64);
        copy.paras = idx[..5]
            .iter()
            .map(|&i| fill(policy_templates(lang, agency.style)[i], &s))
            .collect();
        copy.title = match lang {
            Lang::En => format!("(LEAD) {base} over {}", s.get("reason")),
            Lang::Ko => format!("{base}(종합)"),
        };
        self.push(
            agency.feed,
            copy.title.clone(),
            copy.summary(),
            t2,
            lang,
            label,
            "lead",
        );
        let lead = copy.clone();
        let t3 = t2 + Duration::minutes(self.rng.range(40, 150) as i64);
        copy.paras = idx
            .iter()
            .map(|&i| fill(policy_templates(lang, agency.style)[i], &s))
            .collect();
        copy.title = match lang {
            Lang::En => format!("(2nd LD) {base}; opposition demands hearing"),
            Lang::Ko => format!("{base}…야당 \"청문회 열어야\"(종합2보)"),
        };
        self.push(
            agency.feed,
            copy.title.clone(),
            copy.summary(),
            t3,
            lang,
            label,
            "2nd-ld",
        );
        let n = self.republications();
        let (src, when) = if self.rng.chance(0.5) {
            (lead, t2)
        } else {
            (copy, t3)
        };
        self.republish(&src, when, n, Treatment::Plain, label);
    }

    fn correction(&mut self) {
        let lang = self.lang();
        let agency = self.agency_for(lang);
        let t = self.any_time();
        let (mut s, place) = self.policy_facts(lang, t);
        let label = self.label(Family::Correction, None);
        // Paragraphs 1, 3 or 8 carry the figure that gets corrected.
        let fixed = *self.rng.pick(&[1usize, 3, 8]);
        let mut idx = self.paragraphs(4);
        if !idx.contains(&fixed) {
            idx[2] = fixed;
        }
        let copy = self.policy_copy(agency, &s, place, &idx, t);
        self.file(agency, &copy, t, label, "wire");
        let n = self.republications();
        self.republish(&copy, t, n, Treatment::Plain, label);
        // The correction, hours later: one figure changed.
        let t2 = t + Duration::minutes(self.rng.range(60, 420) as i64);
        let ko = lang == Lang::Ko;
        match fixed {
            1 => {
                let v: u64 = s.get("n1").parse().unwrap();
                s.set("n1", (v + self.rng.range(10, 90)).to_string());
            }
            3 => {
                let w = won(self.rng.range(150, 60_000));
                s.set("cost", if ko { w.1 } else { w.0 });
            }
            _ => {
                let p = tenths(&mut self.rng, 5, 250);
                s.set("pct", p);
            }
        }
        let mut fixed_copy = copy.clone();
        fixed_copy.paras = idx
            .iter()
            .map(|&i| fill(policy_templates(lang, agency.style)[i], &s))
            .collect();
        let pos = idx.iter().position(|&i| i == fixed).unwrap() + 1;
        let note = self.rng.chance(0.5);
        fixed_copy.title = match (lang, self.rng.chance(0.5)) {
            (Lang::En, _) => format!("(Correction) {}", copy.title),
            (Lang::Ko, true) => format!("[정정] {}", copy.title),
            (Lang::Ko, false) => format!("{}(정정)", copy.title),
        };
        let mut summary = fixed_copy.summary();
        if note {
            summary = match lang {
                Lang::En => format!("(ATTN: CORRECTS figure in para {pos}) {summary}"),
                Lang::Ko => format!("{summary} ※ 본문 {pos}번째 문단의 수치를 바로잡습니다."),
            };
        }
        self.push(
            agency.feed,
            fixed_copy.title.clone(),
            summary,
            t2,
            lang,
            label,
            "correction",
        );
        if self.rng.chance(0.5) {
            self.republish(&fixed_copy, t2, 1, Treatment::Plain, label);
        }
    }

    fn headline_swap(&mut self) {
        let lang = self.lang();
        let agency = self.agency_for(lang);
        let t = self.any_time();
        let (s, place) = self.policy_facts(lang, t);
        let label = self.label(Family::HeadlineSwap, None);
        // The new headline is about a paragraph the body has: the official (3), the
        // opposition (6) or the shares (9).
        let angle = *self.rng.pick(&[2usize, 5, 8]);
        let mut idx = self.paragraphs(4);
        if !idx.contains(&angle) {
            idx[1] = angle;
        }
        let copy = self.policy_copy(agency, &s, place, &idx, t);
        self.file(agency, &copy, t, label, "wire");
        let n = self.republications();
        self.republish(&copy, t, n, Treatment::Plain, label);
        let t2 = t + Duration::minutes(self.rng.range(30, 240) as i64);
        // Each new headline names this event's programme: generic update headlines would be
        // twins of each other, which this family is not about.
        let title = match (lang, angle) {
            (Lang::En, 2) => format!(
                "(LEAD) {} vows more talks with businesses on {}",
                s.get("person"),
                s.get("topic")
            ),
            (Lang::En, 5) => format!("(LEAD) Opposition demands hearing on {}", s.get("topic")),
            (Lang::En, _) => format!(
                "(LEAD) {} shares slide after gov't decision on {}",
                s.get("company"),
                s.get("topic")
            ),
            (Lang::Ko, 2) => format!(
                "{} {} \"{} 업계와 계속 협의\"(종합)",
                s.get("person"),
                s.get("role"),
                s.get("topic")
            ),
            (Lang::Ko, 5) => format!(
                "야당 \"{} 청문회 열어야\"…정책 번복에 반발(종합)",
                s.get("topic")
            ),
            (Lang::Ko, _) => format!(
                "{} 주가 급락…{} 결정 여파(종합)",
                s.get("company"),
                s.get("topic")
            ),
        };
        // Same body, one paragraph added at the end.
        let mut update = copy.clone();
        let extra = (1..11).find(|i| !idx.contains(i)).unwrap();
        update
            .paras
            .push(fill(policy_templates(lang, agency.style)[extra], &s));
        update.title = title;
        self.push(
            agency.feed,
            update.title.clone(),
            update.summary(),
            t2,
            lang,
            label,
            "update",
        );
        let n = self.rng.range(1, 3) as usize;
        self.republish(&update, t2, n, Treatment::Plain, label);
    }

    fn twin_headline(&mut self) {
        let lang = self.lang();
        let agency = self.agency_for(lang);
        let group = self.group();
        let day = self.rng.below(self.spec.days as usize - 1) as u32;
        let t1 = self.time_on(day + 1);
        let (s1, place1) = self.policy_facts(lang, t1);
        // The other event: same ministry, verb and topic (so the same headline), everything
        // else drawn anew, a day earlier, from another city.
        let t2 = self.time_on(day);
        let (mut s2, mut place2) = self.policy_facts(lang, t2);
        for key in ["ministry", "topic", "verb", "verbs"] {
            s2.set(key, s1.get(key).to_string());
        }
        while place2 == place1 {
            place2 = self.rng.below(PLACES.len() - 1);
            let ko = lang == Lang::Ko;
            s2.set(
                "place",
                if ko {
                    PLACES[place2].2
                } else {
                    PLACES[place2].1
                },
            );
        }
        // Disjoint paragraphs: the bodies share no sentence.
        let order = self.rng.sample(10, 10);
        let idx1: Vec<usize> = std::iter::once(0)
            .chain(order[..4].iter().map(|i| i + 1))
            .collect();
        let idx2: Vec<usize> = order[4..9].iter().map(|i| i + 1).collect();
        let c1 = self.policy_copy(agency, &s1, place1, &idx1, t1);
        let mut c2 = self.policy_copy(agency, &s2, place2, &idx2, t2);
        // Its lead in the other house wording: the same action, not the same sentence.
        let other = policy_templates(lang, 1 - agency.style);
        c2.paras.insert(0, fill(other[0], &s2));
        if self.rng.chance(0.3) {
            c2.title = match lang {
                Lang::En => format!("(LEAD) {}", c2.title),
                Lang::Ko => format!("{}(종합)", c2.title),
            };
        }
        for (c, t) in [(c1, t1), (c2, t2)] {
            let label = self.label(Family::TwinHeadline, Some(group));
            self.file(agency, &c, t, label, "wire");
            let n = self.rng.range(1, 3) as usize;
            self.republish(&c, t, n, Treatment::Plain, label);
        }
    }

    fn two_agencies(&mut self) {
        let lang = self.lang();
        let (a, b) = match lang {
            Lang::En => (YONHAP_EN, HANPRESS_EN),
            Lang::Ko => (YONHAP_KO, *self.rng.pick(&[NEWSIS, NEWS1])),
        };
        let group = self.group();
        let t = self.any_time();
        let (s, place) = self.policy_facts(lang, t);
        let idx_a = self.paragraphs(4);
        let idx_b = self.paragraphs(4);
        let ca = self.policy_copy(a, &s, place, &idx_a, t);
        let tb = t + Duration::minutes(self.rng.range(0, 40) as i64);
        let mut cb = self.policy_copy(b, &s, place, &idx_b, tb);
        cb.title = match lang {
            Lang::En => format!(
                "S. Korea to {} {} over {}",
                s.get("verb"),
                s.get("topic"),
                s.get("reason")
            ),
            Lang::Ko => format!(
                "정부, {} 이유로 {} {} 결정",
                s.get("reason"),
                s.get("topic"),
                s.get("verb")
            ),
        };
        for (agency, c, t) in [(a, ca, t), (b, cb, tb)] {
            let label = self.label(Family::TwoAgencies, Some(group));
            self.file(agency, &c, t, label, "wire");
            let n = self.rng.range(1, 3) as usize;
            self.republish(&c, t, n, Treatment::Plain, label);
        }
    }

    fn near_twins(&mut self) {
        let lang = self.lang();
        let agency = self.agency_for(lang);
        let group = self.group();
        let day = self.rng.below(self.spec.days as usize) as u32;
        // A company reports its quarter once (per language): when two unreported companies
        // are left no more, the twins are fires.
        let unreported: Vec<usize> = (0..COMPANIES.len())
            .filter(|&c| !self.reported.contains(&(lang, c)))
            .collect();
        let fire = unreported.len() < 2 || self.rng.chance(0.4);
        let companies: Vec<usize> = if fire {
            self.rng.sample(COMPANIES.len(), 2)
        } else {
            let picked: Vec<usize> = self
                .rng
                .sample(unreported.len(), 2)
                .into_iter()
                .map(|i| unreported[i])
                .collect();
            for &c in &picked {
                self.reported.insert((lang, c));
            }
            picked
        };
        let places = self.rng.sample(PLACES.len() - 1, 2);
        for k in 0..2 {
            let t = self.time_on(day);
            let mut s = Slots::default();
            self.set_common(&mut s, lang, t);
            let ko = lang == Lang::Ko;
            let (ce, ck) = COMPANIES[companies[k]];
            s.set("company", if ko { ck } else { ce });
            let p = places[k];
            s.set("place", if ko { PLACES[p].2 } else { PLACES[p].1 });
            let templates: &[&str; 6] = match (fire, lang) {
                (true, Lang::En) => &FIRE_EN,
                (true, Lang::Ko) => &FIRE_KO,
                (false, Lang::En) => &EARNINGS_EN,
                (false, Lang::Ko) => &EARNINGS_KO,
            };
            let mut idx = vec![0];
            let more = self.rng.range(3, 5) as usize;
            idx.extend(self.rng.sample(5, more).into_iter().map(|i| i + 1));
            let title = match (fire, lang) {
                (true, Lang::En) => format!(
                    "Fire breaks out at {} plant in {}, no injuries",
                    s.get("company"),
                    s.get("place")
                ),
                (true, Lang::Ko) => format!(
                    "{} {} 공장서 불…인명피해 없어",
                    s.get("place"),
                    s.get("company")
                ),
                (false, Lang::En) => format!(
                    "{} Q3 operating profit up {} pct",
                    s.get("company"),
                    s.get("pct")
                ),
                (false, Lang::Ko) => format!(
                    "{}, 3분기 영업이익 {}…{}%↑",
                    s.get("company"),
                    s.get("profit"),
                    s.get("pct")
                ),
            };
            let reporter = self.rng.below(PEOPLE.len());
            let copy = Copy {
                lang,
                title,
                dateline: dateline(agency, if fire { p } else { 0 }, reporter, t),
                paras: idx.iter().map(|&i| fill(templates[i], &s)).collect(),
            };
            let label = self.label(Family::NearTwins, Some(group));
            self.file(agency, &copy, t, label, "wire");
            let n = self.republications();
            self.republish(&copy, t, n, Treatment::Plain, label);
        }
    }

    fn bilingual(&mut self) {
        let group = self.group();
        let t = self.any_time();
        let (s_ko, place) = self.policy_facts(Lang::Ko, t);
        // The same facts in English: redraw with the same choices by index.
        let mut s_en = s_ko.clone();
        let translate = |v: &str, table: &[(&'static str, &'static str)]| {
            table
                .iter()
                .find(|(_, k)| *k == v)
                .map(|(e, _)| *e)
                .unwrap()
        };
        s_en.set("ministry", translate(s_ko.get("ministry"), &MINISTRIES));
        s_en.set("topic", translate(s_ko.get("topic"), &TOPICS));
        s_en.set("company", translate(s_ko.get("company"), &COMPANIES));
        s_en.set("person", translate(s_ko.get("person"), &PEOPLE));
        s_en.set("role", translate(s_ko.get("role"), &ROLES));
        s_en.set("reason", translate(s_ko.get("reason"), &REASONS));
        s_en.set("place", PLACES[place].1);
        let verb = VERBS.iter().find(|v| v.2 == s_ko.get("verb")).unwrap();
        s_en.set("verb", verb.1);
        s_en.set("verbs", verb.0);
        let month = s_ko
            .get("month")
            .trim_end_matches('월')
            .parse::<usize>()
            .unwrap();
        s_en.set("month", MONTH_NAMES[month - 1]);
        let deadline = s_ko
            .get("deadline")
            .trim_end_matches('월')
            .parse::<usize>()
            .unwrap();
        s_en.set("deadline", MONTH_NAMES[deadline - 1]);
        // Amounts: recompute the English form from the Korean one is fiddly; keep one
        // amount in both by drawing it again.
        let w = won(self.rng.range(150, 60_000));
        let mut s_ko = s_ko;
        s_ko.set("cost", w.1);
        s_en.set("cost", w.0);
        let idx = self.paragraphs(4);
        let ko = self.policy_copy(YONHAP_KO, &s_ko, place, &idx, t);
        let t_en = t + Duration::minutes(self.rng.range(40, 180) as i64);
        let en = self.policy_copy(YONHAP_EN, &s_en, place, &idx, t_en);
        for (agency, c, t) in [(YONHAP_KO, ko, t), (YONHAP_EN, en, t_en)] {
            let label = self.label(Family::Bilingual, Some(group));
            self.file(agency, &c, t, label, "wire");
            let n = self.rng.range(1, 3) as usize;
            self.republish(&c, t, n, Treatment::Plain, label);
        }
    }

    // -----------------------------------------------------------------------------------------
    // Recurring headlines.

    fn recurring_fixed(&mut self) {
        let series: Vec<u32> = (0..8).map(|_| self.group()).collect();
        self.digest_groups = [series[6], series[7]];
        for day in 0..self.spec.days {
            for (k, lang) in [Lang::En, Lang::Ko].into_iter().enumerate() {
                self.market_open(day, lang, series[k]);
                self.history(day, lang, series[2 + k]);
            }
        }
        // Two launches within the window, a day or more apart.
        let days = self.spec.days.max(2);
        let first = self.rng.below(days as usize - 1) as u32;
        let second = first + 1 + self.rng.below((days - first - 1) as usize) as u32;
        for day in [first, second] {
            for (k, lang) in [Lang::En, Lang::Ko].into_iter().enumerate() {
                self.missile(day, lang, series[4 + k]);
            }
        }
    }

    fn market_open(&mut self, day: u32, lang: Lang, group: u32) {
        let t = self.spec.start + Duration::days(day as i64) + Duration::minutes(9 * 60 + 17);
        if matches!(kst(t).weekday(), Weekday::Sat | Weekday::Sun) {
            return; // The exchange is closed.
        }
        let up = self.rng.chance(0.6);
        let c = self.rng.sample(COMPANIES.len(), 2);
        let pts = tenths(&mut self.rng, 30, 450);
        let pct = tenths(&mut self.rng, 1, 19);
        let level = format!(
            "{}.{:02}",
            with_commas(self.rng.range(2380, 2790)),
            self.rng.below(100)
        );
        let (p1, p2) = (tenths(&mut self.rng, 1, 60), tenths(&mut self.rng, 1, 60));
        let fx = format!(
            "{}.{}",
            with_commas(self.rng.range(1290, 1420)),
            self.rng.below(10)
        );
        let d = tenths(&mut self.rng, 5, 90);
        let local = kst(t);
        let paras = match lang {
            Lang::En => {
                let why = *self.rng.pick(&[
                    "tracking overnight gains on Wall Street",
                    "as investors awaited U.S. inflation data",
                    "led by tech and auto shares",
                    "amid foreign selling",
                    "as the won weakened against the dollar",
                ]);
                vec![
                    format!(
                        "Seoul shares opened {} {}, {why}.",
                        if up { "higher" } else { "lower" },
                        weekday_en(local.weekday())
                    ),
                    format!(
                        "The benchmark Korea Composite Stock Price Index (KOSPI) {} {pts} points, or {pct} percent, to {level} in the first 15 minutes of trading.",
                        if up { "rose" } else { "fell" }
                    ),
                    format!(
                        "{} gained {p1} percent, while {} lost {p2} percent.",
                        COMPANIES[c[0]].0, COMPANIES[c[1]].0
                    ),
                    format!(
                        "The local currency was trading at {fx} won against the U.S. dollar, {} {d} won from the previous session's close.",
                        if up { "up" } else { "down" }
                    ),
                ]
            }
            Lang::Ko => vec![
                format!(
                    "코스피가 {}일 {} 출발했다.",
                    local.day(),
                    if up { "상승" } else { "하락" }
                ),
                format!(
                    "이날 오전 9시 15분 현재 유가증권시장에서 코스피는 전 거래일보다 {pts}포인트({pct}%) {} {level}을 나타내고 있다.",
                    if up { "오른" } else { "내린" }
                ),
                format!(
                    "{}{} {p1}% 올랐고 {}{} {p2}% 내렸다.",
                    COMPANIES[c[0]].1,
                    particle(COMPANIES[c[0]].1, "은"),
                    COMPANIES[c[1]].1,
                    particle(COMPANIES[c[1]].1, "은")
                ),
                format!("서울 외환시장에서 원/달러 환율은 {fx}원에 거래되고 있다."),
            ],
        };
        let title = match (lang, up) {
            (Lang::En, true) => "Seoul shares open higher".to_string(),
            (Lang::En, false) => "Seoul shares open lower".to_string(),
            (Lang::Ko, true) => "코스피, 상승 출발".to_string(),
            (Lang::Ko, false) => "코스피, 하락 출발".to_string(),
        };
        let agency = if lang == Lang::En {
            YONHAP_EN
        } else {
            YONHAP_KO
        };
        let reporter = self.rng.below(PEOPLE.len());
        let copy = Copy {
            lang,
            title,
            dateline: dateline(agency, 0, reporter, t),
            paras,
        };
        let label = self.label(Family::Recurring, Some(group));
        self.file(agency, &copy, t, label, "wire");
        let n = self.republications();
        self.republish(&copy, t, n, Treatment::Plain, label);
    }

    fn history(&mut self, day: u32, lang: Lang, group: u32) {
        let t = self.spec.start + Duration::days(day as i64) + Duration::minutes(6 * 60);
        let local = kst(t);
        let mut years: Vec<u64> = (0..4).map(|_| self.rng.range(1900, 2015)).collect();
        years.sort_unstable();
        years.dedup();
        let mut entries = Vec::new();
        let kinds = self.rng.sample(6, years.len());
        for (k, y) in years.into_iter().enumerate() {
            let c = *self.rng.pick(&COMPANIES);
            let m = *self.rng.pick(&MINISTRIES);
            let p = *self.rng.pick(&PLACES[..13]);
            let person = *self.rng.pick(&PEOPLE);
            let n = self.rng.range(3, 12);
            let e = match (kinds[k], lang) {
                (0, Lang::En) => format!("{} is founded in {}.", c.0, p.1),
                (0, Lang::Ko) => format!("{}에서 {} 창립.", p.2, c.1),
                (1, Lang::En) => format!("The {} is established.", m.0),
                (1, Lang::Ko) => format!("{} 출범.", m.1),
                (2, Lang::En) => format!("{} opens its first subway line.", p.1),
                (2, Lang::Ko) => format!("{} 첫 지하철 노선 개통.", p.2),
                (3, Lang::En) => format!(
                    "A {n}-story department store building collapses in {}.",
                    p.1
                ),
                (3, Lang::Ko) => format!("{} {n}층 백화점 건물 붕괴.", p.2),
                (4, Lang::En) => format!(
                    "{} becomes the first Korean to win a world chess title.",
                    person.0
                ),
                (4, Lang::Ko) => format!("{}, 한국인 첫 세계 체스 선수권 우승.", person.1),
                (_, Lang::En) => format!("{} holds its first international film festival.", p.1),
                (_, Lang::Ko) => format!("{}에서 첫 국제영화제 개막.", p.2),
            };
            entries.push(match lang {
                Lang::En => format!(
                    "{} {} {y} -- {e}",
                    MONTHS_EN[local.month0() as usize],
                    local.day()
                ),
                Lang::Ko => format!("▲{y}년 = {e}"),
            });
        }
        let (title, agency) = match lang {
            Lang::En => ("Today in Korean History".to_string(), YONHAP_EN),
            Lang::Ko => ("[오늘의 역사]".to_string(), YONHAP_KO),
        };
        let copy = Copy {
            lang,
            title,
            dateline: String::new(),
            paras: entries,
        };
        let label = self.label(Family::Recurring, Some(group));
        self.file(agency, &copy, t, label, "wire");
        let n = self.republications();
        self.republish(&copy, t, n, Treatment::Plain, label);
    }

    fn missile(&mut self, day: u32, lang: Lang, group: u32) {
        let t = self.time_on(day);
        let local = kst(t);
        let area = *self.rng.pick(&MISSILE_AREAS);
        let km = self.rng.range(250, 1100);
        let nth = self.rng.range(3, 14);
        let (h, m) = (local.hour(), self.rng.range(0, 59));
        let paras = match lang {
            Lang::En => vec![
                format!(
                    "North Korea fired a ballistic missile into the East Sea on {}, South Korea's Joint Chiefs of Staff (JCS) said.",
                    weekday_en(local.weekday())
                ),
                format!(
                    "The missile was launched from the {} area at around {}:{m:02} and flew about {km} kilometers, the JCS said.",
                    area.0, h
                ),
                format!("It marks the North's {nth}th ballistic missile launch this year."),
                "South Korean and U.S. intelligence authorities are analyzing the details of the launch.".to_string(),
            ],
            Lang::Ko => vec![
                format!(
                    "북한이 {}일 동해상으로 탄도미사일을 발사했다고 합동참모본부가 밝혔다.",
                    local.day()
                ),
                format!(
                    "합참은 북한이 {h}시 {m}분께 {} 일대에서 탄도미사일 1발을 발사했으며 미사일은 약 {km}㎞를 비행했다고 설명했다.",
                    area.1
                ),
                format!("북한의 탄도미사일 발사는 올해 들어 {nth}번째다."),
                "한미 정보당국은 세부 제원을 분석 중이다.".to_string(),
            ],
        };
        let (title, agency) = match lang {
            Lang::En => (
                "(LEAD) N. Korea fires ballistic missile into East Sea: JCS".to_string(),
                YONHAP_EN,
            ),
            Lang::Ko => (
                "북한, 동해상으로 탄도미사일 발사…합참(종합)".to_string(),
                YONHAP_KO,
            ),
        };
        let reporter = self.rng.below(PEOPLE.len());
        let copy = Copy {
            lang,
            title,
            dateline: dateline(agency, 0, reporter, t),
            paras,
        };
        let label = self.label(Family::Recurring, Some(group));
        self.file(agency, &copy, t, label, "wire");
        let n = self.republications();
        self.republish(&copy, t, n, Treatment::Plain, label);
    }

    /// The evening digests: each quotes the headlines and first sentences of up to four of
    /// the day's agency copies (a copy of none of them).
    fn digests(&mut self) {
        for day in 0..self.spec.days {
            for (k, lang) in [Lang::En, Lang::Ko].into_iter().enumerate() {
                let group = self.digest_groups[k];
                let t = self.spec.start + Duration::days(day as i64) + Duration::minutes(21 * 60);
                let from = t - Duration::hours(14);
                let pool: Vec<(String, String)> = self
                    .leads
                    .iter()
                    .filter(|(l, when, _, _)| *l == lang && *when >= from && *when < t)
                    .map(|(_, _, title, first)| (title.clone(), first.clone()))
                    .collect();
                if pool.is_empty() {
                    continue;
                }
                let chosen = self.rng.sample(pool.len(), 4);
                let local = kst(t);
                let mut paras = vec![match lang {
                    Lang::En => format!(
                        "The following is a summary of major stories moved by Yonhap News Agency on {}.",
                        weekday_en(local.weekday())
                    ),
                    Lang::Ko => format!("{}일 오후 9시 현재 주요 뉴스입니다.", local.day()),
                }];
                for i in chosen {
                    let (title, first) = &pool[i];
                    paras.push(match lang {
                        Lang::En => format!("-- {title}: {first}"),
                        Lang::Ko => format!("■ {title} {first}"),
                    });
                }
                let (title, agency) = match lang {
                    Lang::En => ("Yonhap News Summary".to_string(), YONHAP_EN),
                    Lang::Ko => ("[연합뉴스 이 시각 헤드라인]".to_string(), YONHAP_KO),
                };
                let copy = Copy {
                    lang,
                    title,
                    dateline: String::new(),
                    paras,
                };
                let label = self.label(Family::Recurring, Some(group));
                self.push(
                    agency.feed,
                    copy.title.clone(),
                    copy.summary(),
                    t,
                    lang,
                    label,
                    "digest",
                );
                let n = self.rng.range(0, 2) as usize;
                self.republish(&copy, t, n, Treatment::Plain, label);
            }
        }
    }
}

fn policy_templates(lang: Lang, style: usize) -> &'static [&'static str; 11] {
    match lang {
        Lang::En => &POLICY_EN[style],
        Lang::Ko => &POLICY_KO[style],
    }
}

fn truncate_words(s: &str, n: usize) -> String {
    let words: Vec<&str> = s.split_whitespace().collect();
    if words.len() <= n {
        return s.to_string();
    }
    format!("{}...", words[..n].join(" "))
}
