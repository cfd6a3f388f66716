//! `[stories]` and `[retention]`: how items are grouped into stories, and how long stories are
//! kept.

use std::time::Duration;

use super::error::{ConfigError, Source};
use super::raw::{RawRetention, RawStories};
use super::values::duration;

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

/// `[stories]`: the window, at least a minute and at most 30 days.
pub(super) fn stories(raw: Option<&RawStories>, src: Source) -> Result<StoriesConfig, ConfigError> {
    let mut stories = StoriesConfig::default();
    if let Some(v) = raw.and_then(|s| s.window.as_ref()) {
        stories.window = duration(v, Duration::from_secs(60))
            .map_err(|m| src.invalid(v.span(), "stories.window", m))?;
        if stories.window > Duration::from_secs(30 * 86400) {
            return Err(src.invalid(v.span(), "stories.window", "is longer than 30 days".into()));
        }
    }
    Ok(stories)
}

/// `[retention]`: matched stories are kept at least as long as others, and no story goes while
/// the story index may still need its items (`stories` is the checked `[stories]`).
pub(super) fn retention(
    raw: Option<&RawRetention>,
    stories: &StoriesConfig,
    src: Source,
) -> Result<RetentionConfig, ConfigError> {
    let mut retention = RetentionConfig::default();
    let Some(r) = raw else {
        return Ok(retention);
    };
    for (value, key, slot) in [
        (&r.items, "retention.items", &mut retention.items),
        (&r.matched, "retention.matched", &mut retention.matched),
    ] {
        if let Some(v) = value {
            *slot = if v.get_ref().trim() == "forever" {
                None
            } else {
                Some(
                    duration(v, Duration::from_secs(86400))
                        .map_err(|m| src.invalid(v.span(), key, format!("{m} (or \"forever\")")))?,
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
        return Err(src.invalid(
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
        return Err(src.invalid(
            v.span(),
            "retention.items",
            format!(
                "is shorter than twice [stories] window plus a day ({})",
                humantime::format_duration(floor)
            ),
        ));
    }
    Ok(retention)
}
