//! Numbered schema migrations. `PRAGMA user_version` records how many have run; each runs once,
//! in order, inside a transaction. Append new ones; never edit a released one.

/// Migration N is `MIGRATIONS[N - 1]`.
pub const MIGRATIONS: &[&str] = &[
    // 1: feeds with their fetch state, items, watchlist matches.
    r#"
CREATE TABLE feeds (
    id                 INTEGER PRIMARY KEY,
    name               TEXT    NOT NULL UNIQUE,
    url                TEXT    NOT NULL,
    title              TEXT,
    site_link          TEXT,
    etag               TEXT,
    last_modified      TEXT,
    last_fetch_at      INTEGER,
    last_result        TEXT,
    last_http_status   INTEGER,
    last_error         TEXT,
    last_items_new     INTEGER,
    last_items_updated INTEGER,
    last_bytes         INTEGER,
    last_elapsed_ms    INTEGER,
    last_success_at    INTEGER,
    error_streak       INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL
) STRICT;

CREATE TABLE items (
    id           INTEGER PRIMARY KEY,
    feed_id      INTEGER NOT NULL REFERENCES feeds(id),
    guid         TEXT,
    link         TEXT,
    link_key     TEXT,
    content_hash TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    summary      TEXT,
    author       TEXT,
    categories   TEXT    NOT NULL DEFAULT '[]',
    published    INTEGER,
    updated      INTEGER,
    sort_ts      INTEGER NOT NULL,
    first_seen   INTEGER NOT NULL,
    changed_at   INTEGER
) STRICT;
CREATE UNIQUE INDEX items_feed_guid ON items(feed_id, guid) WHERE guid IS NOT NULL;
CREATE UNIQUE INDEX items_link_key ON items(link_key) WHERE link_key IS NOT NULL;
CREATE INDEX items_feed_hash ON items(feed_id, content_hash) WHERE guid IS NULL AND link_key IS NULL;
CREATE INDEX items_sort ON items(sort_ts, id);

CREATE TABLE matches (
    item_id    INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    watchlist  TEXT    NOT NULL,
    terms      TEXT    NOT NULL,
    matched_at INTEGER NOT NULL,
    PRIMARY KEY (item_id, watchlist)
) STRICT, WITHOUT ROWID;
"#,
    // 2: scheduling state on feeds: the address in use (after permanent redirects) apart from
    // the configured one, next poll and why, the feed's rhythm and hints, stale/overflow/retired.
    r#"
ALTER TABLE feeds ADD COLUMN config_url TEXT;
UPDATE feeds SET config_url = url;
ALTER TABLE feeds ADD COLUMN next_poll_at INTEGER;
ALTER TABLE feeds ADD COLUMN interval_secs INTEGER;
ALTER TABLE feeds ADD COLUMN interval_reason TEXT;
ALTER TABLE feeds ADD COLUMN cadence_secs INTEGER;
ALTER TABLE feeds ADD COLUMN feed_hint_secs INTEGER;
ALTER TABLE feeds ADD COLUMN last_item_count INTEGER;
ALTER TABLE feeds ADD COLUMN last_new_at INTEGER;
ALTER TABLE feeds ADD COLUMN stale INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN overflow_at INTEGER;
ALTER TABLE feeds ADD COLUMN retired_at INTEGER;
ALTER TABLE feeds ADD COLUMN moved_at INTEGER;
ALTER TABLE feeds ADD COLUMN rounds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN item_count INTEGER NOT NULL DEFAULT 0;
UPDATE feeds SET item_count = (SELECT count(*) FROM items i WHERE i.feed_id = feeds.id);
"#,
];
