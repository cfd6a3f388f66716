//! `[stories]` and `[retention]`: how items are grouped into stories, and how long stories are
//! kept.

use std::time::Duration;

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
