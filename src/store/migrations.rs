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
    // 3: stories. Every item belongs to one story; an item is unique per feed (its guid, else
    // its link), and the same link in two feeds is one story with two sources. Each item keeps
    // its sketch keys so the story index reloads without re-reading text. Items stored before
    // stories existed start as one story each (`aggregator restory` groups them).
    r#"
CREATE TABLE stories (
    id            INTEGER PRIMARY KEY,
    first_seen    INTEGER NOT NULL,
    first_item_id INTEGER NOT NULL,
    first_feed_id INTEGER NOT NULL REFERENCES feeds(id),
    sort_ts       INTEGER NOT NULL,
    last_seen     INTEGER NOT NULL,
    title         TEXT    NOT NULL,
    items         INTEGER NOT NULL DEFAULT 1,
    feeds         INTEGER NOT NULL DEFAULT 1,
    updates       INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX stories_sort ON stories(sort_ts, id);

ALTER TABLE items ADD COLUMN story_id INTEGER REFERENCES stories(id);
ALTER TABLE items ADD COLUMN sketch BLOB;
ALTER TABLE items ADD COLUMN revisions INTEGER NOT NULL DEFAULT 0;
UPDATE items SET revisions = 1 WHERE changed_at IS NOT NULL;
CREATE INDEX items_story ON items(story_id);
CREATE INDEX items_story_feed ON items(story_id, feed_id);
CREATE INDEX items_first_seen ON items(first_seen);
-- Unique indexes without a `WHERE x IS NOT NULL` part (NULLs are distinct in a unique index
-- anyway): a partial index makes SQLite re-prepare every statement that binds that column.
DROP INDEX items_link_key;
CREATE UNIQUE INDEX items_link_key ON items(link_key, feed_id);
DROP INDEX items_feed_guid;
CREATE UNIQUE INDEX items_feed_guid ON items(feed_id, guid);

CREATE TABLE story_matches (
    story_id   INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    watchlist  TEXT    NOT NULL,
    item_id    INTEGER NOT NULL,
    matched_at INTEGER NOT NULL,
    PRIMARY KEY (story_id, watchlist)
) STRICT, WITHOUT ROWID;

INSERT INTO stories (id, first_seen, first_item_id, first_feed_id, sort_ts, last_seen, title, updates)
    SELECT id, first_seen, id, feed_id, sort_ts, coalesce(changed_at, first_seen), title, revisions
    FROM items;
UPDATE items SET story_id = id;
INSERT INTO story_matches (story_id, watchlist, item_id, matched_at)
    SELECT item_id, watchlist, item_id, matched_at FROM matches;
"#,
    // 4: match explanations; alerts (one per story and watchlist, ever) and their deliveries.
    // An alert names the item that raised it, which keeps its story after a `restory`, so a
    // re-clustered story is not alerted again. Stories that matched before this migration
    // count as alerted: an upgrade does not replay old matches.
    r#"
ALTER TABLE matches ADD COLUMN hits TEXT NOT NULL DEFAULT '[]';

CREATE TABLE alerts (
    id         INTEGER PRIMARY KEY,
    watchlist  TEXT    NOT NULL,
    story_id   INTEGER NOT NULL,
    item_id    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    payload    TEXT    NOT NULL
) STRICT;
CREATE INDEX alerts_item ON alerts(item_id, watchlist);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    alert_id        INTEGER NOT NULL REFERENCES alerts(id),
    sink            TEXT    NOT NULL,
    priority        INTEGER NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,  -- milliseconds since the epoch, as are the others here
    last_attempt_ms INTEGER,
    last_error      TEXT,
    delivered_ms    INTEGER
) STRICT;
CREATE INDEX outbox_due ON outbox(state, next_attempt_ms);
CREATE INDEX outbox_pending ON outbox(priority DESC, id) WHERE state = 'pending';

-- What each watchlist looked like when the daemon last re-checked stored items against it, so a
-- change made while it was stopped (or a re-check cut short) is caught up at the next start.
CREATE TABLE watchlist_checks (
    name        TEXT    PRIMARY KEY,
    fingerprint TEXT    NOT NULL,
    checked_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO alerts (watchlist, story_id, item_id, created_at, payload)
    SELECT watchlist, story_id, item_id, matched_at, '{}' FROM story_matches;
"#,
    // 5: full-text search over titles and summaries. An external-content FTS5 index (the text
    // stays in `items` only), kept in step by triggers; unicode61 tokens, so a Korean word with
    // its particles is one token and a search for `북한` is a prefix query (see store::search).
    r#"
CREATE VIRTUAL TABLE items_fts USING fts5(
    title, summary,
    content = 'items', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
    INSERT INTO items_fts (rowid, title, summary) VALUES (new.id, new.title, new.summary);
END;
CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
    INSERT INTO items_fts (items_fts, rowid, title, summary)
        VALUES ('delete', old.id, old.title, old.summary);
END;
CREATE TRIGGER items_fts_update AFTER UPDATE OF title, summary ON items BEGIN
    INSERT INTO items_fts (items_fts, rowid, title, summary)
        VALUES ('delete', old.id, old.title, old.summary);
    INSERT INTO items_fts (rowid, title, summary) VALUES (new.id, new.title, new.summary);
END;
INSERT INTO items_fts (items_fts) VALUES ('rebuild');
"#,
    // 6: identity and reports that scale. The file says it is ours (`application_id`, checked
    // before anything is written to a file that has other tables). Reports group by feed and
    // day over the time range through covering indexes, instead of counting per feed; stories
    // by first sighting; alerts by creation. Item counts are recounted once: before this
    // version a prune cut short by a crash could leave them wrong.
    r#"
PRAGMA application_id = 1095190354;
DROP INDEX items_first_seen;
CREATE INDEX items_first_seen ON items(first_seen, feed_id, story_id);
CREATE INDEX stories_first_seen ON stories(first_seen, first_feed_id);
CREATE INDEX story_matches_watchlist ON story_matches(watchlist);
CREATE INDEX alerts_created ON alerts(created_at, watchlist);
UPDATE feeds SET item_count = (SELECT count(*) FROM items i WHERE i.feed_id = feeds.id);
"#,
    // 7: the search index is filled by the writer, once per fetch, instead of by a trigger per
    // inserted item. FTS5 writes its pending terms out as a new segment at every savepoint,
    // and every INSERT inside a fetch's transaction opens one: one segment per item, then
    // merges, cost a third of a cold poll. Updates and deletes keep their triggers (rare, and
    // they must remove the old text).
    r#"
DROP TRIGGER items_fts_insert;
INSERT INTO items_fts (items_fts, rank) VALUES ('automerge', 16);
"#,
    // 8: acknowledgements and the watchlist change log (the desk in a browser). A story is
    // acknowledged (handled) once at a time: by whom, when, an optional note. The row goes with
    // its story (a foreign key: prune, and stories a merge or a restory empties); merges and
    // re-clusterings carry it to the story that goes on (see store::acks). Every change of a
    // watchlist made through aggregator is logged whole: the TOML text before and after (none
    // before a new watchlist, none after a removed one).
    r#"
CREATE TABLE story_acks (
    story_id INTEGER PRIMARY KEY REFERENCES stories(id) ON DELETE CASCADE,
    acked_by TEXT    NOT NULL,
    acked_at INTEGER NOT NULL,
    note     TEXT
) STRICT;

CREATE TABLE watchlist_changes (
    id          INTEGER PRIMARY KEY,
    changed_at  INTEGER NOT NULL,
    changed_by  TEXT    NOT NULL,
    watchlist   TEXT    NOT NULL,
    before_toml TEXT,
    after_toml  TEXT
) STRICT;
"#,
    // 9: what the parser noticed about the last body it still read (cut short, entries it could
    // not read), shown by `feeds` and `status`: never a silent ok.
    r#"
ALTER TABLE feeds ADD COLUMN last_warning TEXT;
"#,
];
