//! aggregator: polls wire-service feeds, stores each item once in SQLite, flags watchlist matches.
//!
//! The architecture in a few lines:
//! - [`config`] reads the two TOML files (main config, watchlists) into typed, validated values.
//!   It depends on no other module; the syntax of terms and queries comes from [`watch`], and
//!   [`watch::load_config`] is how everything loads a config.
//! - [`fetch`] turns a feed URL into bytes: conditional GET, timeouts, size cap, `file://`.
//! - [`parse`] turns bytes into normalised [`model::ParsedFeed`]s (encoding, dates, links, text); pure.
//! - [`dedup`] derives each item's identity keys (guid, canonical link, content hash), its story
//!   fingerprint, and decides which story a new item joins from the candidates it is given; pure.
//! - [`watch`] compiles watchlists once into one automaton and matches items against it; pure.
//! - [`alert`] builds each alert's payload from what the store recorded and delivers it (once per
//!   story and watchlist) from the outbox to webhooks and commands, with retries.
//! - [`export`] writes Atom feeds of a watchlist's stories.
//! - [`opml`] moves the feed list in and out as OPML, editing the config file in place.
//! - [`recheck`] re-checks stored items when watchlists change (daemon start and reload): it
//!   composes the matching, the store only reads and writes.
//! - [`schedule`] decides when each feed is polled next (adaptive, hints, backoff); pure.
//! - [`budget`] says whether a fetch may start now (global and per-host slots, spacing,
//!   `Retry-After` pauses) or when to ask again; it never waits, so no task waits on a host.
//! - [`store`] owns SQLite and all its SQL: migrations, one write path (every write a job of the
//!   single writer thread; one fetch, one transaction), read-only report queries. Opened with one
//!   value ([`store::StoreOptions`]); it persists and queries, it does not match or cluster.
//! - [`refresh`] is the only composer: fetch → parse → identify → match → store, one feed at a time.
//! - [`text`] turns HTML into one safe line of text, and folds text for matching and hashing.
//! - [`daemon`] runs every feed on its own schedule with bounded concurrency, reload, shutdown.
//! - [`web`] serves the desk's web view from the daemon: stories, a story's timeline, feeds,
//!   acknowledgements, the watchlist editor, sign-in, a JSON API and change events. It reads
//!   through read-only connections; its database writes (acknowledgements, the watchlist change
//!   log) are jobs of the daemon's writer; an edited watchlist file is checked by the same
//!   loader, written in place and applied by the daemon's reload.
//! - [`timespec`] reads times and spans as people write them (`24h`, `2024-03-26`); pure.
//! - [`metrics`] counts fetches and stored results, and serves them with database gauges to Prometheus.
//! - [`auth`] makes and checks web users' password hashes (argon2id) and API tokens: values in,
//!   values out (randomness is its only input from the system).
//! - [`cli`] holds one file per subcommand; `main.rs` only maps errors to exit codes.
//!
//! Data flow: poll picks feeds → bounded workers run `refresh` → the writer commits (each fetch one
//! transaction; re-checks, prunes and deliveries are jobs of the same writer) → reports read
//! through their own connection. Dependencies point down: `config` imports nothing of ours, and
//! there are no import cycles.

pub mod alert;
pub mod auth;
pub mod budget;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod dedup;
pub mod export;
pub mod fetch;
pub mod metrics;
pub mod model;
pub mod opml;
pub mod parse;
pub mod recheck;
pub mod refresh;
pub mod schedule;
pub mod store;
pub mod text;
pub mod timespec;
pub mod watch;
pub mod web;
