//! The two files as deserialised, before any check: one struct per table, every value with
//! its span, unknown keys refused (`deny_unknown_fields`); and reading a file into them, with
//! TOML errors placed at their line and column and named by their key.

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::error::{ConfigError, Location};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub(super) database: Option<Spanned<String>>,
    pub(super) watchlists: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) defaults: Option<Spanned<RawDefaults>>,
    #[serde(default, rename = "feed")]
    pub(super) feeds: Vec<Spanned<RawFeed>>,
    pub(super) stories: Option<RawStories>,
    #[serde(default, rename = "sink")]
    pub(super) sinks: Vec<Spanned<RawSink>>,
    pub(super) alerts: Option<RawAlerts>,
    #[serde(default)]
    pub(super) atom: Vec<Spanned<RawAtom>>,
    pub(super) rematch: Option<RawRematch>,
    pub(super) retention: Option<RawRetention>,
    pub(super) metrics: Option<RawMetrics>,
    pub(super) web: Option<RawWeb>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRetention {
    pub(super) items: Option<Spanned<String>>,
    pub(super) matched: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMetrics {
    pub(super) enabled: Option<bool>,
    pub(super) listen: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWeb {
    pub(super) enabled: Option<bool>,
    pub(super) listen: Option<Spanned<String>>,
    pub(super) base_url: Option<Spanned<String>>,
    pub(super) trusted_proxy: Option<Spanned<String>>,
    pub(super) session_hours: Option<Spanned<i64>>,
    #[serde(default, rename = "user")]
    pub(super) users: Vec<Spanned<RawWebUser>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWebUser {
    pub(super) name: Spanned<String>,
    pub(super) password_hash: Spanned<String>,
    #[serde(default)]
    pub(super) tokens: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSink {
    pub(super) name: Spanned<String>,
    #[serde(rename = "type")]
    pub(super) kind: Spanned<String>,
    pub(super) url: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) headers: std::collections::BTreeMap<String, Spanned<String>>,
    pub(super) format: Option<Spanned<String>>,
    pub(super) command: Option<Spanned<Vec<String>>>,
    pub(super) timeout: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAlerts {
    pub(super) backoff: Option<Spanned<String>>,
    pub(super) max_backoff: Option<Spanned<String>>,
    pub(super) max_attempts: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAtom {
    pub(super) watchlist: Spanned<String>,
    pub(super) path: Spanned<String>,
    pub(super) since: Option<Spanned<String>>,
    pub(super) limit: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRematch {
    pub(super) window: Option<Spanned<String>>,
    pub(super) alerts: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStories {
    pub(super) window: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDefaults {
    pub(super) interval: Option<Spanned<String>>,
    pub(super) timeout: Option<Spanned<String>>,
    pub(super) connect_timeout: Option<Spanned<String>>,
    pub(super) max_body_bytes: Option<Spanned<i64>>,
    pub(super) user_agent: Option<Spanned<String>>,
    pub(super) timezone: Option<Spanned<String>>,
    pub(super) captured_at: Option<Spanned<String>>,
    pub(super) concurrency: Option<Spanned<i64>>,
    pub(super) min_interval: Option<Spanned<String>>,
    pub(super) max_interval: Option<Spanned<String>>,
    pub(super) max_backoff: Option<Spanned<String>>,
    pub(super) per_host: Option<Spanned<i64>>,
    pub(super) host_spacing: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFeed {
    pub(super) name: Spanned<String>,
    pub(super) url: Spanned<String>,
    pub(super) interval: Option<Spanned<String>>,
    pub(super) timezone: Option<Spanned<String>>,
    pub(super) captured_at: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWatchlists {
    #[serde(default, rename = "watchlist")]
    pub(super) watchlists: Vec<Spanned<RawWatchlist>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWatchlist {
    pub(super) name: Spanned<String>,
    pub(super) description: Option<String>,
    pub(super) terms: Option<Spanned<Vec<Spanned<RawTerm>>>>,
    pub(super) any: Option<Spanned<Vec<Spanned<RawTerm>>>>,
    pub(super) all: Option<Spanned<Vec<Spanned<RawTerm>>>>,
    pub(super) not: Option<Spanned<Vec<Spanned<RawTerm>>>>,
    pub(super) exclude: Option<Spanned<Vec<Spanned<RawTerm>>>>,
    pub(super) query: Option<Spanned<String>>,
    pub(super) fields: Option<Vec<Spanned<String>>>,
    pub(super) feeds: Option<Vec<Spanned<String>>>,
    pub(super) priority: Option<Spanned<String>>,
    pub(super) alerts: Option<Vec<Spanned<String>>>,
}

/// A term, or an inner array of aliases that count as one term.
pub(super) enum RawTerm {
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

pub(super) fn read(path: &Path) -> Result<String, ConfigError> {
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

pub(super) fn from_toml<T: serde::de::DeserializeOwned>(
    path: &Path,
    src: &str,
) -> Result<T, ConfigError> {
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
pub(super) fn key_at(src: &str, offset: usize) -> Option<String> {
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
