//! Keeping stored matches in step with the watchlists: when a watchlist's matching changes
//! (terms, `all`, `not`, `query`, `fields`, `feeds`), or one is added or removed, the stored
//! items of the `[rematch] window` are re-checked against it, at daemon start and after each
//! reload.
//!
//! The database remembers each watchlist's fingerprint as last re-checked (`watchlist_checks`),
//! so a change made while the daemon was stopped, or a re-check cut short by a shutdown, is
//! caught up at the next start.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::Utc;
use tokio::sync::{Notify, watch};

use crate::config::Config;
use crate::store::alerts::{RematchOptions, RematchStats};
use crate::store::{StoreError, Writer};
use crate::watch::{ItemText, WatchSet};

/// More changed watchlists than this are re-checked in one pass over the items.
const SEPARATE_PASSES: usize = 3;

/// Re-checks whatever `wanted` (the running config and its compiled watchlists) says changed,
/// now and whenever it changes, until `stop`, through the daemon's writer. Notifies
/// `alerts_due` when a re-check raised alerts and `matches_changed` when matches were added or
/// removed.
pub async fn keep_matches_current(
    writer: Arc<Writer>,
    mut wanted: watch::Receiver<(Config, Arc<WatchSet>)>,
    alerts_due: Arc<Notify>,
    matches_changed: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let (config, set) = wanted.borrow_and_update().clone();
        // Stops after the chunk in progress; the rest is caught up at the next start.
        match recheck(&config, set, &writer, Some(stop.clone())).await {
            Ok(Some(s)) => {
                tracing::info!(
                    items = s.items,
                    added = s.added,
                    removed = s.removed,
                    changed = s.changed,
                    alerts = s.alerts,
                    "watchlists changed: stored items re-checked"
                );
                if s.alerts > 0 {
                    alerts_due.notify_one();
                }
                if s.added + s.removed + s.changed > 0 {
                    matches_changed.notify_one();
                }
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(error = %e, "re-checking stored items against changed watchlists failed; will try again at the next reload or start")
            }
        }
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            r = wanted.changed() => if r.is_err() { return },
        }
    }
}

/// Re-checks stored items against `watch` (see `aggregator rematch`): chunk by chunk, each one
/// job of `writer` (one transaction), matched by the watch stage inside the job. Between
/// chunks, a `stop` turned true ends it (`cancelled`); what was re-checked stays committed.
pub async fn rematch(
    writer: &Writer,
    watch: Arc<WatchSet>,
    opts: &RematchOptions,
    stop: Option<&watch::Receiver<bool>>,
) -> Result<RematchStats, StoreError> {
    let mut total = RematchStats::default();
    let mut after = 0;
    loop {
        if stop.is_some_and(|s| *s.borrow()) {
            total.cancelled = true;
            return Ok(total);
        }
        let (watch, opts) = (watch.clone(), opts.clone());
        let step = writer
            .call(move |s| {
                s.rematch_chunk(after, &opts, Utc::now().timestamp(), |item| {
                    watch.match_fields(&ItemText {
                        title: &item.title,
                        summary: item.summary.as_deref().unwrap_or_default(),
                        author: item.author.as_deref().unwrap_or_default(),
                        feed: &item.feed,
                        link: item.link.as_deref().unwrap_or_default(),
                    })
                })
            })
            .await??;
        let Some(last) = step.last else {
            return Ok(total);
        };
        after = last;
        total.items += step.stats.items;
        total.add_changes(&step.stats);
    }
}

/// Re-checks the watchlists of `config` whose fingerprint differs from the one recorded, and
/// forgets those no longer configured. `None` when nothing needed it.
pub async fn recheck(
    config: &Config,
    set: Arc<WatchSet>,
    writer: &Writer,
    stop: Option<watch::Receiver<bool>>,
) -> Result<Option<RematchStats>, StoreError> {
    if config.rematch.window.is_zero() {
        return Ok(None);
    }
    let checked = writer.call(|s| s.watchlist_checks()).await??;
    let changed: Vec<(String, String)> = config
        .watchlists
        .iter()
        .map(|w| (w.name.clone(), w.fingerprint()))
        .filter(|(name, f)| checked.get(name) != Some(f))
        .collect();
    let configured: HashSet<&str> = config.watchlists.iter().map(|w| w.name.as_str()).collect();
    let removed: Vec<String> = checked
        .keys()
        .filter(|n| !configured.contains(n.as_str()))
        .cloned()
        .collect();
    if changed.is_empty() && removed.is_empty() {
        return Ok(None);
    }
    let since = chrono::Duration::from_std(config.rematch.window)
        .ok()
        .and_then(|w| Utc::now().checked_sub_signed(w))
        .map_or(0, |t| t.timestamp());
    let names: Vec<&str> = changed
        .iter()
        .map(|(n, _)| n.as_str())
        .chain(removed.iter().map(String::as_str))
        .collect();
    let passes: Vec<Option<String>> = if names.len() > SEPARATE_PASSES {
        vec![None]
    } else {
        names.iter().map(|n| Some(n.to_string())).collect()
    };
    let mut total = RematchStats::default();
    for watchlist in passes {
        let opts = RematchOptions {
            since,
            watchlist,
            alerts: config.rematch.alerts,
        };
        let s = rematch(writer, set.clone(), &opts, stop.as_ref()).await?;
        total.items = total.items.max(s.items);
        total.add_changes(&s);
        if s.cancelled {
            total.cancelled = true;
            return Ok(Some(total));
        }
    }
    writer
        .call(move |s| {
            let now = Utc::now();
            for (name, fingerprint) in &changed {
                s.record_watchlist_check(name, Some(fingerprint), now)?;
            }
            for name in &removed {
                s.record_watchlist_check(name, None, now)?;
            }
            Ok::<_, StoreError>(())
        })
        .await??;
    Ok(Some(total))
}
