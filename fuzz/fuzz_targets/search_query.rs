//! `store::search::fts_query`, the translator from the user's search syntax to an FTS5 `MATCH`
//! expression, and the expression run as `search` runs it, against an in-memory FTS5 table made
//! like the store's `items_fts` (migration 5: same columns, same tokenizer).
//!
//! Input: the query text (UTF-8, lossy).
//!
//! Oracle: no panic; and a query the translator accepts must run. README: a mistake in the query
//! is exit 2 with its column, never an SQL error; `Reader::search` turns what FTS5 still refuses
//! into a vague "simplify it", so an FTS5 error for an accepted query is a translator bug.
#![no_main]

use std::cell::RefCell;

use aggregator::store::search::fts_query;
use libfuzzer_sys::fuzz_target;
use rusqlite::Connection;

/// The index (as `store::migrations` creates it, without the external content) and a few rows,
/// so that `highlight`/`snippet` run too.
const SCHEMA: &str = "
CREATE VIRTUAL TABLE items_fts USING fts5(
    title, summary,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO items_fts (title, summary) VALUES
    ('(LEAD) Kim Yo-jong says Japan-DPRK summit talk of no interest',
     'SEOUL, March 26 (Yonhap) -- North Korea fired a ballistic missile.'),
    ('북한, 동해상으로 탄도미사일 발사', '합동참모본부는 북한이 오늘 오전 미사일을 발사했다고 밝혔다.'),
    ('Kishida: 日朝首脳会談', 'Ｆｕｌｌ-width ＫＩＳＨＩＤＡ and café naïve');
";

/// The shape of `Reader::search`'s statement, without the joins to `items` and `feeds`.
const SEARCH: &str = "
SELECT rowid, bm25(items_fts, 5.0, 1.0) AS rank,
    highlight(items_fts, 0, char(2), char(3)),
    snippet(items_fts, 1, char(2), char(3), '…', 24)
FROM items_fts WHERE items_fts MATCH ?1 ORDER BY rank LIMIT 50";

thread_local! {
    static DB: RefCell<Connection> = RefCell::new({
        let conn = Connection::open_in_memory().expect("in-memory SQLite");
        conn.execute_batch(SCHEMA).expect("FTS5 table");
        conn
    });
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(expr) = fts_query(&text) else {
        return;
    };
    DB.with_borrow(|conn| {
        let mut stmt = conn.prepare_cached(SEARCH).expect("statement");
        let rows = stmt
            .query_map([&expr], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, f64>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>());
        if let Err(e) = rows {
            panic!("query {text:?} translated to {expr:?}, which FTS5 refuses: {e}");
        }
    });
});
