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
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::Utc;
use tokio::sync::{Notify, watch};

use crate::config::Config;
use crate::store::alerts::{RematchOptions, RematchStats};
use crate::store::{Store, StoreError};
use crate::watch::WatchSet;

/// More changed watchlists than this are re-checked in one pass over the items.
const SEPARATE_PASSES: usize = 3;

/// Re-checks whatever `wanted` (the running config and its compiled watchlists) says changed,
/// now and whenever it changes, until `stop`. Notifies `alerts_due` when a re-check raised
/// alerts and `matches_changed` when matches were added or removed.
pub async fn keep_matches_current(
    mut wanted: watch::Receiver<(Config, Arc<WatchSet>)>,
    alerts_due: Arc<Notify>,
    matches_changed: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let (config, set) = wanted.borrow_and_update().clone();
        let cancel = Arc::new(AtomicBool::new(false));
        let flag = cancel.clone();
        let mut job = tokio::task::spawn_blocking(move || recheck(&config, &set, flag));
        let finished = tokio::select! {
            r = &mut job => Some(r),
            _ = stop.wait_for(|s| *s) => None,
        };
        let Some(result) = finished else {
            // Stop after the chunk in progress; the rest is caught up at the next start.
            cancel.store(true, Ordering::Relaxed);
            let _ = job.await;
            return;
        };
        match result {
            Ok(Ok(Some(s))) => {
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
            Ok(Ok(None)) => {}
            Ok(Err(e)) => {
                tracing::error!(error = %e, "re-checking stored items against changed watchlists failed; will try again at the next reload or start")
            }
            Err(e) => tracing::error!(error = %e, "re-check task failed"),
        }
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            r = wanted.changed() => if r.is_err() { return },
        }
    }
}

/// Re-checks the watchlists of `config` whose fingerprint differs from the one recorded, and
/// forgets those no longer configured. `None` when nothing needed it.
pub fn recheck(
    config: &Config,
    set: &WatchSet,
    cancel: Arc<AtomicBool>,
) -> Result<Option<RematchStats>, StoreError> {
    if config.rematch.window.is_zero() {
        return Ok(None);
    }
    let mut store = Store::open(&config.database)?;
    store.set_alert_routes(crate::alert::routes(config));
    let checked = store.watchlist_checks()?;
    let changed: Vec<(&str, String)> = config
        .watchlists
        .iter()
        .map(|w| (w.name.as_str(), w.fingerprint()))
        .filter(|(name, f)| checked.get(*name) != Some(f))
        .collect();
    let configured: HashSet<&str> = config.watchlists.iter().map(|w| w.name.as_str()).collect();
    let removed: Vec<&str> = checked
        .keys()
        .map(String::as_str)
        .filter(|n| !configured.contains(n))
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
        .map(|(n, _)| *n)
        .chain(removed.iter().copied())
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
            cancel: Some(cancel.clone()),
        };
        let s = store.rematch(set, &opts, Utc::now())?;
        total.items = total.items.max(s.items);
        total.added += s.added;
        total.removed += s.removed;
        total.changed += s.changed;
        total.stories_added += s.stories_added;
        total.stories_removed += s.stories_removed;
        total.alerts += s.alerts;
        if s.cancelled {
            total.cancelled = true;
            return Ok(Some(total));
        }
    }
    let now = Utc::now();
    for (name, fingerprint) in &changed {
        store.record_watchlist_check(name, Some(fingerprint), now)?;
    }
    for name in removed {
        store.record_watchlist_check(name, None, now)?;
    }
    Ok(Some(total))
}
