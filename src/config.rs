//! Configuration: two TOML files, read strictly (unknown keys are errors), then validated into
//! typed values. Every error names the file, the line and column, and the key at fault.
//! Relative paths resolve against the directory of the file that names them.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::FixedOffset;
use serde::{Deserialize, Serialize};
use toml::Spanned;
use url::Url;

/// The default location of the main config file when no `--config` or `AGGREGATOR_CONFIG` is
/// given and `./config/aggregator.toml` does not exist.
pub const SYSTEM_CONFIG: &str = "/etc/aggregator/aggregator.toml";

/// Environment variable that, when set, replaces the config's `database`.
pub const DATABASE_ENV: &str = "AGGREGATOR_DATABASE";

/// A fully validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The main config file this was read from.
    pub path: PathBuf,
    pub database: PathBuf,
    /// The watchlist file, if the config names one.
    pub watchlists_path: Option<PathBuf>,
    pub watchlists: Vec<WatchlistSpec>,
    pub defaults: Defaults,
    pub feeds: Vec<FeedConfig>,
    pub stories: StoriesConfig,
    /// Alert destinations (`[[sink]]`), named by watchlists' `alerts`.
    pub sinks: Vec<SinkConfig>,
    /// Delivery retries (`[alerts]`).
    pub retry: RetryPolicy,
    /// Atom files the daemon keeps up to date (`[[atom]]`).
    pub atom: Vec<AtomExport>,
    /// Re-checking stored items when watchlists change (`[rematch]`).
    pub rematch: RematchConfig,
    /// How long stored stories are kept (`[retention]`).
    pub retention: RetentionConfig,
    /// The Prometheus endpoint (`[metrics]`), when enabled.
    pub metrics: Option<std::net::SocketAddr>,
}

/// How long stories are kept: a story goes when its newest item is older than `items`, or,
/// for a story that matched a watchlist, older than `matched`. `None` keeps them forever.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionConfig {
    pub items: Option<Duration>,
    pub matched: Option<Duration>,
}

impl Default for RetentionConfig {
    /// Nothing is deleted unless the config asks: an upgrade never starts pruning by itself.
    /// (The shipped config keeps 90 and 365 days.)
    fn default() -> Self {
        Self {
            items: None,
            matched: None,
        }
    }
}

/// Where the metrics endpoint listens when `[metrics] enabled = true` names no address.
pub const METRICS_LISTEN: &str = "127.0.0.1:9464";

/// An Atom file of one watchlist's stories, rewritten by the daemon when they change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtomExport {
    pub watchlist: String,
    pub path: PathBuf,
    /// How far back the file reaches.
    pub since: Duration,
    /// At most this many stories.
    pub limit: usize,
}

/// What the daemon does when a reload changes watchlists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RematchConfig {
    /// Stored items first seen within this look-back are re-checked (zero: never).
    pub window: Duration,
    /// Whether stories that newly match on a re-check raise alerts.
    pub alerts: bool,
}

impl Default for RematchConfig {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(7 * 86400),
            alerts: false,
        }
    }
}

/// How items are grouped into stories (see the `dedup::story` module).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoriesConfig {
    /// Items further apart in time than this are never the same story.
    pub window: Duration,
}

impl Default for StoriesConfig {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(72 * 3600),
        }
    }
}

/// Settings that apply to every feed unless the feed overrides them.
#[derive(Debug, Clone)]
pub struct Defaults {
    pub interval: Duration,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub max_body_bytes: u64,
    pub user_agent: String,
    pub timezone: FixedOffset,
    pub concurrency: usize,
    /// Adaptive intervals stay within these bounds.
    pub min_interval: Duration,
    pub max_interval: Duration,
    /// Longest wait after failures in a row.
    pub max_backoff: Duration,
    /// Fetches to one host at once, and the least time between two starts to one host.
    pub per_host: usize,
    pub host_spacing: Duration,
}

impl Default for Defaults {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(15 * 60),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_body_bytes: 5 * 1024 * 1024,
            user_agent: format!(
                "aggregator/{} (feed reader; polite polling)",
                env!("CARGO_PKG_VERSION")
            ),
            timezone: FixedOffset::east_opt(0).expect("zero offset is valid"),
            concurrency: 8,
            min_interval: Duration::from_secs(60),
            max_interval: Duration::from_secs(3600),
            max_backoff: Duration::from_secs(6 * 3600),
            per_host: 2,
            host_spacing: Duration::from_secs(1),
        }
    }
}

/// One configured feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedConfig {
    pub name: String,
    /// http(s) or file URL (paths in the config become absolute `file://` URLs).
    pub url: Url,
    pub interval: Duration,
    /// The zone for dates in this feed that name none.
    pub timezone: FixedOffset,
}

/// How urgent a watchlist's alerts are; higher priorities are delivered first.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 4] = [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Urgent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    pub fn parse(s: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The number stored in the outbox (delivery order).
    pub fn rank(self) -> i64 {
        self as i64
    }
}

/// A configured alert destination. Its `Debug` form leaves out the URL's path and query and
/// every header value: they are secrets.
#[derive(Clone, PartialEq)]
pub struct SinkConfig {
    pub name: String,
    pub kind: SinkKind,
    /// Longest a single delivery may take.
    pub timeout: Duration,
}

/// What a sink is.
#[derive(Clone, PartialEq)]
pub enum SinkKind {
    /// HTTP POST of the payload.
    Webhook {
        url: Url,
        /// Extra request headers (e.g. `Authorization`); values are secrets, never logged.
        headers: Vec<(String, String)>,
        format: WebhookFormat,
    },
    /// A program run without a shell, the payload JSON on its stdin; exit status 0 is success.
    Command { argv: Vec<String> },
}

/// The body a webhook sink posts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WebhookFormat {
    /// The alert payload (`AlertPayload` of the alert module) as JSON.
    #[default]
    Json,
    /// A Slack incoming-webhook message (`{"text": …}`), also understood by Mattermost and
    /// Rocket.Chat.
    Slack,
}

/// Retry policy for deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Wait after the first failure; doubled after each further one.
    pub backoff: Duration,
    /// Longest wait between attempts.
    pub max_backoff: Duration,
    /// Attempts before a delivery is marked failed.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            backoff: Duration::from_secs(30),
            max_backoff: Duration::from_secs(3600),
            max_attempts: 12,
        }
    }
}

impl RetryPolicy {
    /// The wait after the `attempts`-th failed attempt (1-based).
    pub fn delay(&self, attempts: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempts.saturating_sub(1).min(30));
        self.backoff.saturating_mul(factor).min(self.max_backoff)
    }
}

impl SinkConfig {
    /// What the sink is, for logs: `"webhook https://hooks.example.com"` (`scheme://host[:port]`
    /// only) or `"command /usr/local/bin/notify"` (argv\[0\] only).
    pub fn describe(&self) -> String {
        match &self.kind {
            SinkKind::Webhook { url, .. } => format!("webhook {}", origin(url)),
            SinkKind::Command { argv } => {
                format!("command {}", argv.first().map_or("", String::as_str))
            }
        }
    }
}

/// `scheme://host[:port]`: none of the URL's userinfo, path, query or fragment.
fn origin(url: &Url) -> String {
    let mut s = format!("{}://", url.scheme());
    if let Some(host) = url.host_str() {
        s.push_str(host);
    }
    if let Some(port) = url.port() {
        s.push_str(&format!(":{port}"));
    }
    s
}

impl std::fmt::Debug for SinkConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SinkConfig")
            .field("name", &self.name)
            .field("target", &self.describe())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// One watchlist as configured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchlistSpec {
    pub name: String,
    pub description: Option<String>,
    /// At least one must appear (`terms` and `any`).
    pub terms: Vec<TermSpec>,
    /// Every one must appear.
    pub all: Vec<TermSpec>,
    /// None may appear (`not` and `exclude`).
    pub not: Vec<TermSpec>,
    /// The one-line boolean form, which must also hold.
    pub query: Option<String>,
    /// The fields terms look at when they name none; empty means title and summary.
    pub fields: Vec<Field>,
    /// The feeds (configured names) the watchlist applies to; empty means all.
    pub feeds: Vec<String>,
    pub priority: Priority,
    /// Names of the sinks its alerts go to.
    pub alerts: Vec<String>,
}

/// A term, or an alias group whose members count as one term.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum TermSpec {
    One(String),
    Group(Vec<String>),
}

impl WatchlistSpec {
    /// A digest of what decides which items the watchlist matches (terms, `all`, `not`,
    /// `query`, `fields`, `feeds`; not its description, priority or sinks): equal digests,
    /// equal matches.
    pub fn fingerprint(&self) -> String {
        let key = format!(
            "{:?}",
            (
                &self.terms,
                &self.all,
                &self.not,
                &self.query,
                &self.fields,
                &self.feeds
            )
        );
        format!("{:016x}", xxhash_rust::xxh3::xxh3_64(key.as_bytes()))
    }
}

impl TermSpec {
    pub fn members(&self) -> &[String] {
        match self {
            TermSpec::One(t) => std::slice::from_ref(t),
            TermSpec::Group(g) => g,
        }
    }
}

impl std::fmt::Display for TermSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TermSpec::One(t) => f.write_str(t),
            TermSpec::Group(g) => write!(f, "[{}]", g.join(" | ")),
        }
    }
}

impl From<&str> for TermSpec {
    fn from(s: &str) -> Self {
        TermSpec::One(s.to_string())
    }
}

/// Why a term or query cannot be used: a message and the byte offset in its source text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TermError {
    pub offset: usize,
    pub message: String,
}

/// The syntax of watchlist terms and queries, which config does not know. The loader asks it
/// about every term (each alias of a group on its own) and every query, and reports what it
/// rejects at the line and column `TermError::offset` points to. The watch module implements
/// it.
pub trait TermSyntax {
    /// Checks one term as written (`title:`, `=`, quotes, `*`, `/regex/`).
    fn check_term(&self, term: &str) -> Result<(), TermError>;
    /// Checks one `query`.
    fn check_query(&self, query: &str) -> Result<(), TermError>;
}

/// The parts of an item a watchlist term can be scoped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    Title,
    Summary,
    Author,
    /// The feed's configured name.
    Feed,
    Link,
}

impl Field {
    pub const ALL: [Field; 5] = [
        Field::Title,
        Field::Summary,
        Field::Author,
        Field::Feed,
        Field::Link,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Summary => "summary",
            Field::Author => "author",
            Field::Feed => "feed",
            Field::Link => "link",
        }
    }

    pub fn parse(s: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// Where in a file a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: PathBuf,
    /// 1-based line and column, when known.
    pub line_col: Option<(usize, usize)>,
}

impl Location {
    /// The whole file, no line or column.
    pub fn file(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            line_col: None,
        }
    }

    fn at(path: &Path, src: &str, span: Option<Range<usize>>) -> Self {
        Self {
            path: path.to_path_buf(),
            line_col: span.map(|s| line_col(src, s.start)),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line_col {
            Some((l, c)) => write!(f, "{}:{l}:{c}", self.path.display()),
            None => write!(f, "{}", self.path.display()),
        }
    }
}

/// A config problem a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read config file: {source}", path = .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{at}: {message}")]
    Syntax { at: Location, message: String },
    #[error("{at}: {key}: {message}")]
    Invalid {
        at: Location,
        key: String,
        message: String,
    },
}

fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    database: Option<Spanned<String>>,
    watchlists: Option<Spanned<String>>,
    #[serde(default)]
    defaults: Option<Spanned<RawDefaults>>,
    #[serde(default, rename = "feed")]
    feeds: Vec<Spanned<RawFeed>>,
    stories: Option<RawStories>,
    #[serde(default, rename = "sink")]
    sinks: Vec<Spanned<RawSink>>,
    alerts: Option<RawAlerts>,
    #[serde(default)]
    atom: Vec<Spanned<RawAtom>>,
    rematch: Option<RawRematch>,
    retention: Option<RawRetention>,
    metrics: Option<RawMetrics>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetention {
    items: Option<Spanned<String>>,
    matched: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMetrics {
    enabled: Option<bool>,
    listen: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSink {
    name: Spanned<String>,
    #[serde(rename = "type")]
    kind: Spanned<String>,
    url: Option<Spanned<String>>,
    #[serde(default)]
    headers: std::collections::BTreeMap<String, Spanned<String>>,
    format: Option<Spanned<String>>,
    command: Option<Spanned<Vec<String>>>,
    timeout: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlerts {
    backoff: Option<Spanned<String>>,
    max_backoff: Option<Spanned<String>>,
    max_attempts: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAtom {
    watchlist: Spanned<String>,
    path: Spanned<String>,
    since: Option<Spanned<String>>,
    limit: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRematch {
    window: Option<Spanned<String>>,
    alerts: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStories {
    window: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    interval: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    connect_timeout: Option<Spanned<String>>,
    max_body_bytes: Option<Spanned<i64>>,
    user_agent: Option<Spanned<String>>,
    timezone: Option<Spanned<String>>,
    concurrency: Option<Spanned<i64>>,
    min_interval: Option<Spanned<String>>,
    max_interval: Option<Spanned<String>>,
    max_backoff: Option<Spanned<String>>,
    per_host: Option<Spanned<i64>>,
    host_spacing: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeed {
    name: Spanned<String>,
    url: Spanned<String>,
    interval: Option<Spanned<String>>,
    timezone: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWatchlists {
    #[serde(default, rename = "watchlist")]
    watchlists: Vec<Spanned<RawWatchlist>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWatchlist {
    name: Spanned<String>,
    description: Option<String>,
    terms: Option<Spanned<Vec<Spanned<RawTerm>>>>,
    any: Option<Spanned<Vec<Spanned<RawTerm>>>>,
    all: Option<Spanned<Vec<Spanned<RawTerm>>>>,
    not: Option<Spanned<Vec<Spanned<RawTerm>>>>,
    exclude: Option<Spanned<Vec<Spanned<RawTerm>>>>,
    query: Option<Spanned<String>>,
    fields: Option<Vec<Spanned<String>>>,
    feeds: Option<Vec<Spanned<String>>>,
    priority: Option<Spanned<String>>,
    alerts: Option<Vec<Spanned<String>>>,
}

/// A term, or an inner array of aliases that count as one term.
enum RawTerm {
    One(String),
    Group(Vec<Spanned<String>>),
}

impl<'de> Deserialize<'de> for RawTerm {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawTerm;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a term (string) or an alias group (array of strings)")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawTerm, E> {
                Ok(RawTerm::One(v.to_string()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<RawTerm, A::Error> {
                let mut members = Vec::new();
                while let Some(m) = seq.next_element::<Spanned<String>>()? {
                    members.push(m);
                }
                Ok(RawTerm::Group(members))
            }
        }
        d.deserialize_any(V)
    }
}

/// Chooses the main config file: `explicit` (from `--config` or `AGGREGATOR_CONFIG`), else
/// `./config/aggregator.toml` if it exists, else [`SYSTEM_CONFIG`].
pub fn resolve_path(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    let local = Path::new("config/aggregator.toml");
    if local.exists() {
        local.to_path_buf()
    } else {
        PathBuf::from(SYSTEM_CONFIG)
    }
}

/// Reads and validates the main config file and the watchlist file it names. Config does not
/// know the syntax of watchlist terms and queries: `syntax` checks each (the watch module's
/// `Syntax`; `watch::load_config` loads with it), and what it rejects is reported at its line
/// and column.
pub fn load(path: &Path, syntax: &dyn TermSyntax) -> Result<Config, ConfigError> {
    let src = read(path)?;
    let raw: RawConfig = from_toml(path, &src)?;
    let base = path.parent().unwrap_or(Path::new("."));
    let invalid = |span: Range<usize>, key: &str, message: String| ConfigError::Invalid {
        at: Location::at(path, &src, Some(span)),
        key: key.into(),
        message,
    };

    let database = match &raw.database {
        Some(db) if db.get_ref().trim().is_empty() => {
            return Err(invalid(db.span(), "database", "must not be empty".into()));
        }
        Some(db) => base.join(db.get_ref()),
        None => base.join("aggregator.db"),
    };
    // The service unit points the database into its state directory this way, so one config
    // file serves both a checkout and an installed service.
    let database = match std::env::var_os(DATABASE_ENV) {
        Some(db) if !db.is_empty() => PathBuf::from(db),
        _ => database,
    };

    let mut defaults = Defaults::default();
    if let Some(d) = &raw.defaults {
        let d = d.get_ref();
        if let Some(v) = &d.interval {
            defaults.interval = duration(v, "defaults.interval", Duration::from_secs(10))
                .map_err(|m| invalid(v.span(), "defaults.interval", m))?;
        }
        if let Some(v) = &d.timeout {
            defaults.timeout = duration(v, "defaults.timeout", Duration::from_secs(1))
                .map_err(|m| invalid(v.span(), "defaults.timeout", m))?;
        }
        if let Some(v) = &d.connect_timeout {
            defaults.connect_timeout =
                duration(v, "defaults.connect_timeout", Duration::from_millis(100))
                    .map_err(|m| invalid(v.span(), "defaults.connect_timeout", m))?;
        }
        if let Some(v) = &d.max_body_bytes {
            let n = *v.get_ref();
            if !(1024..=1024 * 1024 * 1024).contains(&n) {
                return Err(invalid(
                    v.span(),
                    "defaults.max_body_bytes",
                    format!("{n} is out of range (1024 to 1073741824)"),
                ));
            }
            defaults.max_body_bytes = n as u64;
        }
        if let Some(v) = &d.user_agent {
            let ua = v.get_ref().trim();
            if ua.is_empty() || ua.chars().any(|c| c.is_control()) {
                return Err(invalid(
                    v.span(),
                    "defaults.user_agent",
                    "must be non-empty printable text".into(),
                ));
            }
            defaults.user_agent = ua.to_string();
        }
        if let Some(v) = &d.timezone {
            defaults.timezone =
                timezone(v.get_ref()).map_err(|m| invalid(v.span(), "defaults.timezone", m))?;
        }
        if let Some(v) = &d.concurrency {
            let n = *v.get_ref();
            if !(1..=256).contains(&n) {
                return Err(invalid(
                    v.span(),
                    "defaults.concurrency",
                    format!("{n} is out of range (1 to 256)"),
                ));
            }
            defaults.concurrency = n as usize;
        }
        let durations = [
            (
                &d.min_interval,
                "defaults.min_interval",
                Duration::from_secs(10),
                &mut defaults.min_interval,
            ),
            (
                &d.max_interval,
                "defaults.max_interval",
                Duration::from_secs(10),
                &mut defaults.max_interval,
            ),
            (
                &d.max_backoff,
                "defaults.max_backoff",
                Duration::from_secs(10),
                &mut defaults.max_backoff,
            ),
            (
                &d.host_spacing,
                "defaults.host_spacing",
                Duration::ZERO,
                &mut defaults.host_spacing,
            ),
        ];
        for (value, key, min, slot) in durations {
            if let Some(v) = value {
                *slot = duration(v, key, min).map_err(|m| invalid(v.span(), key, m))?;
            }
        }
        if defaults.min_interval > defaults.max_interval
            && let Some(v) = d.min_interval.as_ref().or(d.max_interval.as_ref())
        {
            return Err(invalid(
                v.span(),
                "defaults.min_interval",
                "min_interval is longer than max_interval".into(),
            ));
        }
        if let Some(v) = &d.per_host {
            let n = *v.get_ref();
            if !(1..=64).contains(&n) {
                return Err(invalid(
                    v.span(),
                    "defaults.per_host",
                    format!("{n} is out of range (1 to 64)"),
                ));
            }
            defaults.per_host = n as usize;
        }
    }

    let mut feeds = Vec::with_capacity(raw.feeds.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for feed in &raw.feeds {
        let f = feed.get_ref();
        let name = f.name.get_ref().trim();
        if name.is_empty() || name.chars().any(|c| c.is_control()) {
            return Err(invalid(
                f.name.span(),
                "feed.name",
                "must be non-empty printable text".into(),
            ));
        }
        if let Some(first) = seen.get(name) {
            return Err(invalid(
                f.name.span(),
                "feed.name",
                format!("duplicate feed name {name:?} (first defined on line {first})"),
            ));
        }
        seen.insert(name.to_string(), line_col(&src, f.name.span().start).0);
        let url = feed_url(f.url.get_ref(), base)
            .map_err(|m| invalid(f.url.span(), "feed.url", format!("feed {name:?}: {m}")))?;
        let interval = match &f.interval {
            Some(v) => duration(v, "feed.interval", Duration::from_secs(10))
                .map_err(|m| invalid(v.span(), "feed.interval", format!("feed {name:?}: {m}")))?,
            None => defaults.interval,
        };
        let timezone = match &f.timezone {
            Some(v) => timezone(v.get_ref())
                .map_err(|m| invalid(v.span(), "feed.timezone", format!("feed {name:?}: {m}")))?,
            None => defaults.timezone,
        };
        feeds.push(FeedConfig {
            name: name.to_string(),
            url,
            interval,
            timezone,
        });
    }

    let mut sinks: Vec<SinkConfig> = Vec::new();
    for sink in &raw.sinks {
        let parsed = parse_sink(sink.get_ref(), &|span, key, m| invalid(span, key, m))?;
        if sinks.iter().any(|s| s.name == parsed.name) {
            return Err(invalid(
                sink.get_ref().name.span(),
                "sink.name",
                format!("duplicate sink name {:?}", parsed.name),
            ));
        }
        sinks.push(parsed);
    }
    let mut retry = RetryPolicy::default();
    if let Some(a) = &raw.alerts {
        if let Some(v) = &a.backoff {
            retry.backoff = duration(v, "alerts.backoff", Duration::from_millis(10))
                .map_err(|m| invalid(v.span(), "alerts.backoff", m))?;
        }
        if let Some(v) = &a.max_backoff {
            retry.max_backoff = duration(v, "alerts.max_backoff", Duration::from_millis(10))
                .map_err(|m| invalid(v.span(), "alerts.max_backoff", m))?;
        }
        if let Some(v) = &a.max_attempts {
            let n = *v.get_ref();
            if !(1..=1000).contains(&n) {
                return Err(invalid(
                    v.span(),
                    "alerts.max_attempts",
                    format!("{n} is out of range (1 to 1000)"),
                ));
            }
            retry.max_attempts = n as u32;
        }
    }
    let mut rematch = RematchConfig::default();
    if let Some(r) = &raw.rematch {
        if let Some(v) = &r.window {
            rematch.window = duration(v, "rematch.window", Duration::ZERO)
                .map_err(|m| invalid(v.span(), "rematch.window", m))?;
        }
        rematch.alerts = r.alerts.unwrap_or(false);
    }

    let (watchlists_path, watchlists) = match &raw.watchlists {
        None => (None, Vec::new()),
        Some(w) => {
            let wpath = base.join(w.get_ref());
            let wsrc = std::fs::read_to_string(&wpath).map_err(|e| {
                invalid(
                    w.span(),
                    "watchlists",
                    format!("cannot read watchlist file {}: {e}", wpath.display()),
                )
            })?;
            let known = Known {
                feeds: feeds.iter().map(|f| f.name.as_str()).collect(),
                sinks: sinks.iter().map(|s| s.name.as_str()).collect(),
            };
            let specs = load_watchlists(&wpath, &wsrc, Some(&known), syntax)?;
            (Some(wpath), specs)
        }
    };

    let mut stories = StoriesConfig::default();
    if let Some(v) = raw.stories.as_ref().and_then(|s| s.window.as_ref()) {
        stories.window = duration(v, "stories.window", Duration::from_secs(60))
            .map_err(|m| invalid(v.span(), "stories.window", m))?;
        if stories.window > Duration::from_secs(30 * 86400) {
            return Err(invalid(
                v.span(),
                "stories.window",
                "is longer than 30 days".into(),
            ));
        }
    }

    let mut retention = RetentionConfig::default();
    if let Some(r) = &raw.retention {
        for (value, key, slot) in [
            (&r.items, "retention.items", &mut retention.items),
            (&r.matched, "retention.matched", &mut retention.matched),
        ] {
            if let Some(v) = value {
                *slot = if v.get_ref().trim() == "forever" {
                    None
                } else {
                    Some(
                        duration(v, key, Duration::from_secs(86400))
                            .map_err(|m| invalid(v.span(), key, format!("{m} (or \"forever\")")))?,
                    )
                };
            }
        }
        // `matched` unset: a year, or `items` if that is longer (or forever).
        if r.matched.is_none() {
            retention.matched = retention
                .items
                .map(|items| items.max(Duration::from_secs(365 * 86400)));
        }
        let shorter = match (retention.items, retention.matched) {
            (Some(items), Some(matched)) => matched < items,
            (None, Some(_)) => true,
            _ => false,
        };
        if shorter && let Some(v) = r.matched.as_ref().or(r.items.as_ref()) {
            return Err(invalid(
                v.span(),
                "retention.matched",
                "is shorter than retention.items: stories that matched would go first".into(),
            ));
        }
        // The story index remembers items of the last two windows: never prune those.
        let floor = stories.window * 2 + Duration::from_secs(86400);
        if let (Some(items), Some(v)) = (retention.items, &r.items)
            && items < floor
        {
            return Err(invalid(
                v.span(),
                "retention.items",
                format!(
                    "is shorter than twice [stories] window plus a day ({})",
                    humantime::format_duration(floor)
                ),
            ));
        }
    }
    let mut metrics = None;
    if let Some(m) = &raw.metrics
        && m.enabled.unwrap_or(false)
    {
        let addr = match &m.listen {
            Some(v) => v
                .get_ref()
                .trim()
                .parse::<std::net::SocketAddr>()
                .map_err(|e| {
                    invalid(
                        v.span(),
                        "metrics.listen",
                        format!(
                            "{:?} is not an address like \"127.0.0.1:9464\": {e}",
                            v.get_ref()
                        ),
                    )
                })?,
            None => METRICS_LISTEN.parse().expect("valid default"),
        };
        metrics = Some(addr);
    }

    let mut atom = Vec::new();
    for a in &raw.atom {
        let a = a.get_ref();
        let name = a.watchlist.get_ref().trim();
        if !watchlists.iter().any(|w| w.name == name) {
            return Err(invalid(
                a.watchlist.span(),
                "atom.watchlist",
                format!("no watchlist is named {name:?}"),
            ));
        }
        if a.path.get_ref().trim().is_empty() {
            return Err(invalid(
                a.path.span(),
                "atom.path",
                "must not be empty".into(),
            ));
        }
        let since = match &a.since {
            Some(v) => duration(v, "atom.since", Duration::from_secs(60))
                .map_err(|m| invalid(v.span(), "atom.since", m))?,
            None => Duration::from_secs(7 * 86400),
        };
        let limit = match &a.limit {
            Some(v) if !(1..=10_000).contains(v.get_ref()) => {
                return Err(invalid(
                    v.span(),
                    "atom.limit",
                    format!("{} is out of range (1 to 10000)", v.get_ref()),
                ));
            }
            Some(v) => *v.get_ref() as usize,
            None => 100,
        };
        atom.push(AtomExport {
            watchlist: name.to_string(),
            path: base.join(a.path.get_ref().trim()),
            since,
            limit,
        });
    }

    Ok(Config {
        path: path.to_path_buf(),
        database,
        watchlists_path,
        watchlists,
        defaults,
        feeds,
        stories,
        sinks,
        retry,
        atom,
        rematch,
        retention,
        metrics,
    })
}

/// Names a watchlist file may refer to.
struct Known<'a> {
    feeds: Vec<&'a str>,
    sinks: Vec<&'a str>,
}

/// Reads a watchlist file's text (`path` is only used in messages): every term, query and
/// setting is checked (terms and queries by `syntax`), but not the feed and sink names it refers
/// to (see [`load`]).
pub fn parse_watchlists(
    path: &Path,
    src: &str,
    syntax: &dyn TermSyntax,
) -> Result<Vec<WatchlistSpec>, ConfigError> {
    load_watchlists(path, src, None, syntax)
}

fn load_watchlists(
    path: &Path,
    src: &str,
    known: Option<&Known>,
    syntax: &dyn TermSyntax,
) -> Result<Vec<WatchlistSpec>, ConfigError> {
    let raw: RawWatchlists = from_toml(path, src)?;
    let invalid = |span: Range<usize>, key: &str, message: String| ConfigError::Invalid {
        at: Location::at(path, src, Some(span)),
        key: key.into(),
        message,
    };
    let mut specs: Vec<WatchlistSpec> = Vec::new();
    for w in &raw.watchlists {
        let w = w.get_ref();
        let name = w.name.get_ref().trim();
        if name.is_empty() || name.chars().any(|c| c.is_control()) {
            return Err(invalid(
                w.name.span(),
                "watchlist.name",
                "must be non-empty printable text".into(),
            ));
        }
        if specs.iter().any(|s| s.name == name) {
            return Err(invalid(
                w.name.span(),
                "watchlist.name",
                format!("duplicate watchlist name {name:?}"),
            ));
        }
        let mut spec = WatchlistSpec {
            name: name.to_string(),
            description: w.description.clone(),
            ..Default::default()
        };
        let lists = [
            (&w.terms, "watchlist.terms"),
            (&w.any, "watchlist.any"),
            (&w.all, "watchlist.all"),
            (&w.not, "watchlist.not"),
            (&w.exclude, "watchlist.exclude"),
        ];
        for (list, key) in lists {
            let Some(list) = list else { continue };
            if list.get_ref().is_empty() && matches!(key, "watchlist.terms" | "watchlist.all") {
                return Err(invalid(
                    list.span(),
                    key,
                    format!("watchlist {name:?} has no terms"),
                ));
            }
            for t in list.get_ref() {
                let term = match t.get_ref() {
                    RawTerm::One(one) => {
                        check_term(syntax, src, t.span(), one).map_err(|(at, m)| {
                            invalid(at, key, format!("watchlist {name:?}: {m}"))
                        })?;
                        TermSpec::One(one.clone())
                    }
                    RawTerm::Group(members) => {
                        if members.is_empty() {
                            return Err(invalid(
                                t.span(),
                                key,
                                format!("watchlist {name:?}: empty alias group"),
                            ));
                        }
                        for m in members {
                            check_term(syntax, src, m.span(), m.get_ref()).map_err(
                                |(at, msg)| invalid(at, key, format!("watchlist {name:?}: {msg}")),
                            )?;
                        }
                        TermSpec::Group(members.iter().map(|m| m.get_ref().clone()).collect())
                    }
                };
                match key {
                    "watchlist.terms" | "watchlist.any" => spec.terms.push(term),
                    "watchlist.all" => spec.all.push(term),
                    _ => spec.not.push(term),
                }
            }
        }
        if let Some(q) = &w.query {
            if let Err(e) = syntax.check_query(q.get_ref()) {
                let at = offset_in_string(src, q.span(), q.get_ref(), e.offset);
                return Err(invalid(
                    at..at,
                    "watchlist.query",
                    format!("watchlist {name:?}: {}", e.message),
                ));
            }
            spec.query = Some(q.get_ref().clone());
        }
        if spec.terms.is_empty() && spec.all.is_empty() && spec.query.is_none() {
            return Err(invalid(
                w.name.span(),
                "watchlist.terms",
                format!("watchlist {name:?} has no terms (give terms, any, all or query)"),
            ));
        }
        for f in w.fields.iter().flatten() {
            let field = Field::parse(f.get_ref().trim()).ok_or_else(|| {
                invalid(
                    f.span(),
                    "watchlist.fields",
                    format!(
                        "watchlist {name:?}: unknown field {:?} (title, summary, author, feed, link)",
                        f.get_ref()
                    ),
                )
            })?;
            spec.fields.push(field);
        }
        for f in w.feeds.iter().flatten() {
            let feed = f.get_ref().trim();
            if let Some(k) = known
                && !k.feeds.contains(&feed)
            {
                return Err(invalid(
                    f.span(),
                    "watchlist.feeds",
                    format!("watchlist {name:?}: no feed is named {feed:?}"),
                ));
            }
            spec.feeds.push(feed.to_string());
        }
        if let Some(p) = &w.priority {
            spec.priority = Priority::parse(p.get_ref().trim()).ok_or_else(|| {
                invalid(
                    p.span(),
                    "watchlist.priority",
                    format!(
                        "watchlist {name:?}: unknown priority {:?} (low, normal, high, urgent)",
                        p.get_ref()
                    ),
                )
            })?;
        }
        for a in w.alerts.iter().flatten() {
            let sink = a.get_ref().trim();
            if let Some(k) = known
                && !k.sinks.contains(&sink)
            {
                return Err(invalid(
                    a.span(),
                    "watchlist.alerts",
                    format!("watchlist {name:?}: no [[sink]] is named {sink:?} in the main config"),
                ));
            }
            spec.alerts.push(sink.to_string());
        }
        specs.push(spec);
    }
    Ok(specs)
}

/// Checks one term's syntax; on error, the byte offset in `src` it points at.
fn check_term(
    syntax: &dyn TermSyntax,
    src: &str,
    span: Range<usize>,
    term: &str,
) -> Result<(), (Range<usize>, String)> {
    syntax.check_term(term).map_err(|e| {
        let at = offset_in_string(src, span.clone(), term, e.offset);
        (at..at, e.message)
    })
}

/// The byte offset in `src` of byte `offset` of the string value whose literal spans `span`;
/// the literal's start when escapes make the two differ.
fn offset_in_string(src: &str, span: Range<usize>, value: &str, offset: usize) -> usize {
    let Some(lit) = src.get(span.clone()) else {
        return span.start;
    };
    let delim = if lit.starts_with("\"\"\"") || lit.starts_with("'''") {
        3
    } else {
        1
    };
    let Some(inner) = lit.get(delim..lit.len().saturating_sub(delim)) else {
        return span.start;
    };
    let (inner, skip) = match inner.strip_prefix('\n') {
        Some(rest) if delim == 3 => (rest, 1),
        _ => (inner, 0),
    };
    if inner == value && offset <= value.len() {
        span.start + delim + skip + offset
    } else {
        span.start
    }
}

/// Validates one `[[sink]]`.
fn parse_sink(
    s: &RawSink,
    invalid: &dyn Fn(Range<usize>, &str, String) -> ConfigError,
) -> Result<SinkConfig, ConfigError> {
    let name = s.name.get_ref().trim();
    if name.is_empty() || name.chars().any(|c| c.is_control()) {
        return Err(invalid(
            s.name.span(),
            "sink.name",
            "must be non-empty printable text".into(),
        ));
    }
    let timeout = match &s.timeout {
        Some(v) => duration(v, "sink.timeout", Duration::from_millis(100))
            .map_err(|m| invalid(v.span(), "sink.timeout", format!("sink {name:?}: {m}")))?,
        None => Duration::from_secs(10),
    };
    let kind = match s.kind.get_ref().trim() {
        "webhook" => {
            let Some(u) = &s.url else {
                return Err(invalid(
                    s.kind.span(),
                    "sink.url",
                    format!("sink {name:?}: a webhook needs a url"),
                ));
            };
            // Not echoed back: a webhook URL often carries its secret.
            let url = Url::parse(u.get_ref().trim())
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
                .ok_or_else(|| {
                    invalid(
                        u.span(),
                        "sink.url",
                        format!("sink {name:?}: not an http(s) URL"),
                    )
                })?;
            let format = match s.format.as_ref().map(|f| f.get_ref().trim()) {
                None | Some("json") => WebhookFormat::Json,
                Some("slack") => WebhookFormat::Slack,
                Some(other) => {
                    return Err(invalid(
                        s.format.as_ref().map_or(s.kind.span(), |f| f.span()),
                        "sink.format",
                        format!("sink {name:?}: unknown format {other:?} (json, slack)"),
                    ));
                }
            };
            let mut headers = Vec::new();
            for (k, v) in &s.headers {
                let value = expand_env(v.get_ref()).map_err(|m| {
                    invalid(
                        v.span(),
                        "sink.headers",
                        format!("sink {name:?}: header {k}: {m}"),
                    )
                })?;
                headers.push((k.clone(), value));
            }
            if s.command.is_some() {
                return Err(invalid(
                    s.kind.span(),
                    "sink.command",
                    format!("sink {name:?}: a webhook has no command"),
                ));
            }
            SinkKind::Webhook {
                url,
                headers,
                format,
            }
        }
        "command" => {
            let Some(c) = &s.command else {
                return Err(invalid(
                    s.kind.span(),
                    "sink.command",
                    format!(
                        "sink {name:?}: a command sink needs command = [\"program\", \"arg\", …]"
                    ),
                ));
            };
            if c.get_ref().first().is_none_or(|p| p.trim().is_empty()) {
                return Err(invalid(
                    c.span(),
                    "sink.command",
                    format!("sink {name:?}: the command is empty"),
                ));
            }
            if s.url.is_some() || !s.headers.is_empty() || s.format.is_some() {
                return Err(invalid(
                    s.kind.span(),
                    "sink.type",
                    format!("sink {name:?}: url, headers and format belong to webhooks"),
                ));
            }
            SinkKind::Command {
                argv: c.get_ref().clone(),
            }
        }
        other => {
            return Err(invalid(
                s.kind.span(),
                "sink.type",
                format!("sink {name:?}: unknown type {other:?} (webhook, command)"),
            ));
        }
    };
    Ok(SinkConfig {
        name: name.to_string(),
        kind,
        timeout,
    })
}

/// Replaces `${NAME}` with the environment variable's value (so secrets can live in the
/// service's environment or credentials rather than the config file).
fn expand_env(v: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = v;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| "unterminated ${ in value".to_string())?;
        let var = &after[..end];
        let val =
            std::env::var(var).map_err(|_| format!("environment variable {var} is not set"))?;
        out.push_str(&val);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    if out.chars().any(|c| c.is_control()) {
        return Err("value contains control characters".into());
    }
    Ok(out)
}

fn read(path: &Path) -> Result<String, ConfigError> {
    let bytes = std::fs::read(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|e| ConfigError::Syntax {
        at: Location {
            path: path.to_path_buf(),
            line_col: None,
        },
        message: format!("not valid UTF-8 (at byte {})", e.utf8_error().valid_up_to()),
    })
}

fn from_toml<T: serde::de::DeserializeOwned>(path: &Path, src: &str) -> Result<T, ConfigError> {
    toml::from_str(src).map_err(|e| {
        let message = e.message().trim().to_string();
        let at = Location::at(path, src, e.span());
        // A wrong type or value points at the value: name the key it belongs to.
        match e.span().and_then(|span| key_at(src, span.start)) {
            Some(key) if !message.starts_with("unknown field") => {
                ConfigError::Invalid { at, key, message }
            }
            _ => ConfigError::Syntax { at, message },
        }
    })
}

/// The dotted key whose value starts at `offset` (`defaults.concurrency` for the value of
/// `concurrency = "8"` under `[defaults]`), if `offset` is on a `key = value` line.
fn key_at(src: &str, offset: usize) -> Option<String> {
    let offset = offset.min(src.len());
    let line_start = src[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = &src[line_start..];
    let line = &line[..line.find('\n').unwrap_or(line.len())];
    let eq = line.find('=')?;
    if line_start + eq >= offset {
        return None; // the span is on the key itself
    }
    let key = line[..eq].trim().trim_matches('"');
    if key.is_empty() || key.starts_with('[') || key.starts_with('#') {
        return None;
    }
    let table = src[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(['[', ']']).trim().to_string());
    Some(match table {
        Some(t) => format!("{t}.{key}"),
        None => key.to_string(),
    })
}

fn duration(v: &Spanned<String>, _key: &str, min: Duration) -> Result<Duration, String> {
    let d = humantime::parse_duration(v.get_ref().trim()).map_err(|e| {
        format!(
            "{:?} is not a duration like \"90s\", \"15m\" or \"1h\": {e}",
            v.get_ref()
        )
    })?;
    if d < min {
        return Err(format!(
            "{:?} is shorter than the minimum {}",
            v.get_ref(),
            humantime::format_duration(min)
        ));
    }
    Ok(d)
}

/// UTC+9, the offset `KST` and `JST` name. The date parser keeps its own copy: config depends on
/// no other module, and this is a fact, not a setting.
const KST_SECONDS: i32 = 9 * 3600;

/// `+09:00`, `-05:00`, `UTC`/`Z`, or `KST` (the common case for this tool's sources).
pub fn timezone(s: &str) -> Result<FixedOffset, String> {
    let t = s.trim();
    match t.to_ascii_uppercase().as_str() {
        "UTC" | "Z" | "GMT" => return Ok(FixedOffset::east_opt(0).expect("valid")),
        "KST" | "JST" => {
            return Ok(FixedOffset::east_opt(KST_SECONDS).expect("valid"));
        }
        _ => {}
    }
    t.parse::<FixedOffset>()
        .map_err(|_| format!("{s:?} is not a UTC offset like \"+09:00\" (or UTC, KST)"))
}

/// A feed's `url`: http(s), `file://`, or a path relative to the config file's directory.
fn feed_url(raw: &str, base: &Path) -> Result<Url, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("url must not be empty".into());
    }
    match Url::parse(raw) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {
            if u.host_str().is_none_or(str::is_empty) {
                return Err(format!("{raw:?} has no host"));
            }
            Ok(u)
        }
        Ok(u) if u.scheme() == "file" => match u.host_str() {
            None | Some("") | Some("localhost") => Ok(u),
            Some(host) => Err(format!(
                "{raw:?} names host {host:?}: file URLs are local (file:///path)"
            )),
        },
        Ok(u) if u.scheme().len() > 1 => Err(format!(
            "unsupported scheme {:?} in {raw:?} (use http, https, file or a path)",
            u.scheme()
        )),
        // Something that was meant as a web address must not quietly become a file path.
        Err(e) if looks_like_web_url(raw) => Err(format!("{raw:?} is not a valid URL: {e}")),
        _ if looks_like_web_url(raw) => Err(format!("{raw:?} is not a valid URL")),
        _ => {
            let p = base.join(raw);
            let abs = std::path::absolute(&p)
                .map_err(|e| format!("cannot resolve path {}: {e}", p.display()))?;
            Url::from_file_path(&abs)
                .map_err(|_| format!("cannot turn {} into a file URL", abs.display()))
        }
    }
}

fn looks_like_web_url(raw: &str) -> bool {
    let lower = raw.to_ascii_lowercase();
    ["http:", "https:", "http//", "https//", "www."]
        .iter()
        .any(|p| lower.starts_with(p))
        || raw.contains("://")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stands in for the watch module's syntax (config does not know it): a blank term is
    /// empty, and a `!` is rejected where it stands.
    struct Stub;

    impl TermSyntax for Stub {
        fn check_term(&self, term: &str) -> Result<(), TermError> {
            if term.trim().is_empty() {
                return Err(TermError {
                    offset: 0,
                    message: "empty term".into(),
                });
            }
            self.check_query(term)
        }

        fn check_query(&self, query: &str) -> Result<(), TermError> {
            match query.find('!') {
                Some(offset) => Err(TermError {
                    offset,
                    message: "no ! here".into(),
                }),
                None => Ok(()),
            }
        }
    }

    fn load(path: &Path) -> Result<Config, ConfigError> {
        super::load(path, &Stub)
    }

    fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        p
    }

    #[test]
    fn loads_minimal_shape_and_resolves_paths() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "watchlists.toml",
            "[[watchlist]]\nname = \"dprk-japan\"\nterms = [\"Kim Yo-jong\", \"\\\"Japan-DPRK summit\\\"\", \"북한\"]\nexclude = [\"K-pop\"]\n",
        );
        let p = write(
            d.path(),
            "aggregator.toml",
            "database = \"aggregator.db\"\nwatchlists = \"watchlists.toml\"\n[[feed]]\nname = \"yonhap-en\"\nurl = \"https://en.yna.co.kr/RSS/news.xml\"\n[[feed]]\nname = \"local\"\nurl = \"samples/a.xml\"\ninterval = \"5m\"\n",
        );
        let c = load(&p).unwrap();
        assert_eq!(c.database, d.path().join("aggregator.db"));
        assert_eq!(c.feeds.len(), 2);
        assert_eq!(c.feeds[1].url.scheme(), "file");
        assert!(c.feeds[1].url.path().ends_with("/samples/a.xml"));
        assert_eq!(c.feeds[1].interval, Duration::from_secs(300));
        assert_eq!(c.watchlists[0].terms.len(), 3);
        assert_eq!(c.watchlists[0].not, vec![TermSpec::from("K-pop")]);
    }

    fn err(main: &str, watch: Option<&str>) -> String {
        let d = tempfile::tempdir().unwrap();
        if let Some(w) = watch {
            write(d.path(), "w.toml", w);
        }
        let p = write(d.path(), "a.toml", main);
        let e = load(&p).unwrap_err().to_string();
        e.replace(&d.path().display().to_string(), "DIR")
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let e = err(
            "database = \"x.db\"\n[[feed]]\nname = \"a\"\nurl = \"http://a.example/\"\nintervall = \"5m\"\n",
            None,
        );
        assert!(
            e.starts_with("DIR/a.toml:5:1: unknown field `intervall`"),
            "{e}"
        );
    }

    #[test]
    fn duplicate_feed_names() {
        let e = err(
            "[[feed]]\nname = \"a\"\nurl = \"http://a.example/\"\n[[feed]]\nname = \"a\"\nurl = \"http://b.example/\"\n",
            None,
        );
        assert!(
            e.starts_with(
                "DIR/a.toml:5:8: feed.name: duplicate feed name \"a\" (first defined on line 2)"
            ),
            "{e}"
        );
    }

    #[test]
    fn bad_values() {
        let e = err("[defaults]\ninterval = \"soon\"\n", None);
        assert!(
            e.starts_with("DIR/a.toml:2:12: defaults.interval: \"soon\" is not a duration"),
            "{e}"
        );
        let e = err("[[feed]]\nname = \"a\"\nurl = \"ftp://a.example/\"\n", None);
        assert!(
            e.contains("a.toml:3:7: feed.url: feed \"a\": unsupported scheme \"ftp\""),
            "{e}"
        );
        let e = err("[defaults]\ntimezone = \"Mars/Olympus\"\n", None);
        assert!(e.contains("a.toml:2:12: defaults.timezone"), "{e}");
        let e = err("database = 5\n", None);
        assert!(
            e.starts_with("DIR/a.toml:1:12: database: invalid type"),
            "{e}"
        );
        let e = err("[defaults]\nconcurrency = \"8\"\n", None);
        assert!(
            e.starts_with("DIR/a.toml:2:15: defaults.concurrency: invalid type"),
            "{e}"
        );
        let e = err("[[feed]]\nname = \"a\"\nurl = [\"x\"]\n", None);
        assert!(
            e.starts_with("DIR/a.toml:3:7: feed.url: invalid type"),
            "{e}"
        );
    }

    #[test]
    fn broken_web_urls_are_not_taken_for_paths() {
        for url in [
            "https://en.yna.co.kr:99999/RSS/news.xml",
            "http//en.yna.co.kr/RSS/news.xml",
            "https://en yna.co.kr/x",
            "file://otherhost/x.xml",
        ] {
            let e = err(&format!("[[feed]]\nname = \"a\"\nurl = \"{url}\"\n"), None);
            assert!(
                e.contains("a.toml:3:7: feed.url: feed \"a\":"),
                "{url}: {e}"
            );
        }
    }

    #[test]
    fn sinks_are_checked_and_named_by_watchlists() {
        let w = "[[watchlist]]\nname = \"x\"\nterms = [\"a\"]\nalerts = [\"desk\"]\n";
        let e = err("watchlists = \"w.toml\"\n", Some(w));
        assert!(
            e.starts_with(
                "DIR/w.toml:4:11: watchlist.alerts: watchlist \"x\": no [[sink]] is named \"desk\""
            ),
            "{e}"
        );
        let e = err(
            "[[sink]]\nname = \"desk\"\ntype = \"webhook\"\nurl = \"ftp://h/SECRET\"\n",
            None,
        );
        assert!(
            e.starts_with("DIR/a.toml:4:7: sink.url: sink \"desk\": not an http(s) URL"),
            "{e}"
        );
        assert!(!e.contains("SECRET"), "the URL is not echoed: {e}");
        let e = err(
            "[[sink]]\nname = \"desk\"\ntype = \"webhook\"\nurl = \"https://h/x\"\nheaders = { Authorization = \"Bearer ${AGGREGATOR_TEST_UNSET_VAR}\" }\n",
            None,
        );
        assert!(
            e.contains("sink \"desk\": header Authorization: environment variable AGGREGATOR_TEST_UNSET_VAR is not set"),
            "{e}"
        );
        let e = err(
            "[[sink]]\nname = \"p\"\ntype = \"command\"\ncommand = []\n",
            None,
        );
        assert!(e.contains("sink \"p\": the command is empty"), "{e}");
        let e = err("[[sink]]\nname = \"p\"\ntype = \"pigeon\"\n", None);
        assert!(e.contains("unknown type \"pigeon\""), "{e}");
        let e = err("[[atom]]\nwatchlist = \"nope\"\npath = \"x.atom\"\n", None);
        assert!(
            e.starts_with("DIR/a.toml:2:13: atom.watchlist: no watchlist is named \"nope\""),
            "{e}"
        );
    }

    #[test]
    fn unreadable_watchlist_file() {
        let e = err("watchlists = \"missing.toml\"\n", None);
        assert!(
            e.starts_with(
                "DIR/a.toml:1:14: watchlists: cannot read watchlist file DIR/missing.toml"
            ),
            "{e}"
        );
    }

    #[test]
    fn watchlist_errors_name_the_watchlist_file() {
        let e = err(
            "watchlists = \"w.toml\"\n",
            Some("[[watchlist]]\nname = \"x\"\nterms = [\"ok\", \"  \"]\n"),
        );
        assert!(
            e.starts_with("DIR/w.toml:3:17: watchlist.terms: watchlist \"x\": empty term"),
            "{e}"
        );
        let e = err(
            "watchlists = \"w.toml\"\n",
            Some("[[watchlist]]\nname = \"x\"\nterms = []\n"),
        );
        assert!(
            e.contains("w.toml:3:9: watchlist.terms: watchlist \"x\" has no terms"),
            "{e}"
        );
        let e = err(
            "watchlists = \"w.toml\"\n",
            Some("[[watchlist]]\nname = \"x\"\nterm = [\"a\"]\n"),
        );
        assert!(e.contains("w.toml:3:1: unknown field `term`"), "{e}");
    }

    #[test]
    fn rejected_terms_and_queries_are_placed_in_their_file() {
        let e = |rule: &str| {
            err(
                "watchlists = \"w.toml\"\n",
                Some(&format!("[[watchlist]]\nname = \"x\"\n{rule}\n")),
            )
        };
        let got = e("terms = [\"ab!\"]");
        assert!(
            got.starts_with("DIR/w.toml:3:13: watchlist.terms: watchlist \"x\": no ! here"),
            "{got}"
        );
        // Escapes make the value and its literal differ: the literal's start.
        let got = e("terms = [\"a\\\"!\"]");
        assert!(
            got.starts_with("DIR/w.toml:3:10: watchlist.terms:"),
            "{got}"
        );
        let got = e("any = [[\"ok\", \"b!\"]]");
        assert!(got.starts_with("DIR/w.toml:3:17: watchlist.any:"), "{got}");
        let got = e("query = \"\"\"\nKim\nAND !x\"\"\"");
        assert!(
            got.starts_with("DIR/w.toml:5:5: watchlist.query: watchlist \"x\": no ! here"),
            "{got}"
        );
    }

    #[test]
    fn missing_config_file() {
        let e = load(Path::new("/nonexistent/aggregator.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("/nonexistent/aggregator.toml: cannot read config file"),
            "{e}"
        );
    }

    #[test]
    fn timezones() {
        assert_eq!(timezone("+09:00").unwrap().local_minus_utc(), 9 * 3600);
        assert_eq!(timezone("KST").unwrap().local_minus_utc(), 9 * 3600);
        assert_eq!(timezone("utc").unwrap().local_minus_utc(), 0);
        assert!(timezone("nine").is_err());
    }
}
