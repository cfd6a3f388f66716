//! The fetch budget: how many fetches run at once (in all, and per web host), the least time
//! between two starts on one host, and a host's `Retry-After` pause.
//!
//! It never waits. A scheduler asks to start a fetch and gets its permits at once, or is told
//! when to ask again (spacing, pause) or that the host is full (ask again when one of its fetches
//! ends). So a paused or slow host holds no task, no global permit and no slot of another host
//! while its feeds wait: they wait in the scheduler's queue, as values. Both schedulers (the
//! daemon and `poll --once`) use it; neither sleeps inside a fetch task.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// The key of a web host's budget: the host name as the URL parser normalises it (lower case,
/// IDNA, no trailing dot), with the port when it is not the scheme's default —
/// `wire.example`, `127.0.0.1:8080`. Two ports are two servers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostKey(String);

impl HostKey {
    /// The host a fetch of `url` loads; none for local files and unparsable URLs.
    pub fn of(url: &str) -> Option<Self> {
        let u = url::Url::parse(url).ok()?;
        if !matches!(u.scheme(), "http" | "https") {
            return None;
        }
        let host = u.host_str()?.trim_end_matches('.').to_ascii_lowercase();
        if host.is_empty() {
            return None;
        }
        Some(Self(match u.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        }))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for HostKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The permits one running fetch holds; dropping it frees them.
#[derive(Debug)]
pub struct Permit {
    _global: OwnedSemaphorePermit,
    _host: Option<OwnedSemaphorePermit>,
}

/// Why a fetch may not start yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Every global permit is in use: nothing else can start until a fetch ends.
    Full,
    /// The host's slots are all in use: ask again when one of its fetches ends.
    HostFull,
    /// The spacing since the last start on the host: ask again at this instant.
    Spacing(Instant),
    /// The host asked for a pause (`Retry-After`): ask again at this instant.
    Paused(Instant),
}

/// Global and per-host limits. Cloning shares the budget.
#[derive(Clone)]
pub struct Budget {
    global: Arc<Semaphore>,
    concurrency: usize,
    per_host: usize,
    spacing: Duration,
    hosts: Arc<Mutex<HashMap<HostKey, Host>>>,
}

struct Host {
    slots: Arc<Semaphore>,
    /// The last start plus the spacing.
    next_start: Option<Instant>,
    /// The end of the pause the host asked for.
    paused_until: Option<Instant>,
}

impl Budget {
    pub fn new(concurrency: usize, per_host: usize, spacing: Duration) -> Self {
        Self {
            global: Arc::new(Semaphore::new(concurrency.max(1))),
            concurrency: concurrency.max(1),
            per_host: per_host.max(1),
            spacing,
            hosts: Arc::default(),
        }
    }

    /// The same limits as `self`: a reload that did not change them keeps the budget, so the
    /// fetches in flight and new ones share it.
    pub fn same_limits(&self, concurrency: usize, per_host: usize, spacing: Duration) -> bool {
        (self.concurrency, self.per_host, self.spacing)
            == (concurrency.max(1), per_host.max(1), spacing)
    }

    /// Starts a fetch on `host` (none: a local file, which needs only a global permit) now, or
    /// says why not.
    pub fn try_start(&self, host: Option<&HostKey>, now: Instant) -> Result<Permit, Wait> {
        let Some(key) = host else {
            let global = self
                .global
                .clone()
                .try_acquire_owned()
                .map_err(|_| Wait::Full)?;
            return Ok(Permit {
                _global: global,
                _host: None,
            });
        };
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        let h = hosts.entry(key.clone()).or_insert_with(|| Host {
            slots: Arc::new(Semaphore::new(self.per_host)),
            next_start: None,
            paused_until: None,
        });
        if let Some(until) = h.paused_until.filter(|&t| t > now) {
            return Err(Wait::Paused(until));
        }
        if let Some(at) = h.next_start.filter(|&t| t > now) {
            return Err(Wait::Spacing(at));
        }
        let slot = h
            .slots
            .clone()
            .try_acquire_owned()
            .map_err(|_| Wait::HostFull)?;
        let global = self
            .global
            .clone()
            .try_acquire_owned()
            .map_err(|_| Wait::Full)?;
        h.next_start = Some(now + self.spacing);
        Ok(Permit {
            _global: global,
            _host: Some(slot),
        })
    }

    /// The host said `Retry-After`: no fetch of any of its feeds starts before `until` (at most
    /// [`crate::schedule::MAX_HINT`] from now). A longer pause already in force stays.
    pub fn pause(&self, host: &HostKey, until: Instant) {
        let until = until.min(Instant::now() + crate::schedule::MAX_HINT);
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        let h = hosts.entry(host.clone()).or_insert_with(|| Host {
            slots: Arc::new(Semaphore::new(self.per_host)),
            next_start: None,
            paused_until: None,
        });
        h.paused_until = Some(h.paused_until.map_or(until, |at| at.max(until)));
    }

    /// The end of the host's pause, if one is in force at `now`.
    pub fn paused_until(&self, host: &HostKey, now: Instant) -> Option<Instant> {
        let hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        hosts
            .get(host)
            .and_then(|h| h.paused_until)
            .filter(|&t| t > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(url: &str) -> HostKey {
        HostKey::of(url).expect("a web URL")
    }

    #[test]
    fn host_key_is_host_and_port_not_the_url() {
        assert_eq!(key("http://Wire.Example./a?b").as_str(), "wire.example");
        assert_eq!(key("https://wire.example:443/x").as_str(), "wire.example");
        assert_eq!(key("http://127.0.0.1:18751/x").as_str(), "127.0.0.1:18751");
        assert_ne!(
            key("http://127.0.0.1:18751/"),
            key("http://127.0.0.1:18731/")
        );
        assert_eq!(key("http://[::1]:80/").as_str(), "[::1]");
        assert_eq!(HostKey::of("file:///tmp/feed.xml"), None);
        assert_eq!(HostKey::of("not a url"), None);
    }

    #[tokio::test(start_paused = true)]
    async fn spacing_pause_and_slots_are_answers_not_waits() {
        let budget = Budget::new(4, 2, Duration::from_secs(3));
        let a = key("http://a.example/");
        let b = key("http://b.example/");
        let t0 = Instant::now();
        let first = budget.try_start(Some(&a), t0).expect("starts");
        assert_eq!(
            budget.try_start(Some(&a), t0).unwrap_err(),
            Wait::Spacing(t0 + Duration::from_secs(3))
        );
        let other = budget
            .try_start(Some(&b), t0)
            .expect("other hosts are not held back");
        let t3 = t0 + Duration::from_secs(3);
        let second = budget.try_start(Some(&a), t3).expect("after the spacing");
        assert_eq!(
            budget
                .try_start(Some(&a), t0 + Duration::from_secs(6))
                .unwrap_err(),
            Wait::HostFull,
            "two slots per host"
        );
        let local = budget
            .try_start(None, t3)
            .expect("the fourth global permit");
        assert_eq!(budget.try_start(None, t3).unwrap_err(), Wait::Full);
        drop((first, other, second, local));
        budget.pause(&a, t0 + Duration::from_secs(60));
        assert_eq!(
            budget
                .try_start(Some(&a), t0 + Duration::from_secs(10))
                .unwrap_err(),
            Wait::Paused(t0 + Duration::from_secs(60))
        );
        assert_eq!(
            budget.paused_until(&a, t0 + Duration::from_secs(10)),
            Some(t0 + Duration::from_secs(60))
        );
        assert!(
            budget
                .try_start(Some(&b), t0 + Duration::from_secs(10))
                .is_ok()
        );
        // A shorter pause never shortens one in force.
        budget.pause(&a, t0 + Duration::from_secs(20));
        assert_eq!(
            budget.paused_until(&a, t0),
            Some(t0 + Duration::from_secs(60))
        );
        assert!(
            budget
                .try_start(Some(&a), t0 + Duration::from_secs(60))
                .is_ok()
        );
    }

    #[test]
    fn a_full_global_budget_takes_no_host_slot_or_spacing() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("runtime");
        rt.block_on(async {
            let budget = Budget::new(1, 1, Duration::from_secs(5));
            let (a, b) = (key("http://a.example/"), key("http://b.example/"));
            let now = Instant::now();
            let held = budget.try_start(Some(&a), now).expect("starts");
            assert_eq!(budget.try_start(Some(&b), now).unwrap_err(), Wait::Full);
            drop(held);
            // b was not charged a start by the refused attempt.
            assert!(budget.try_start(Some(&b), now).is_ok());
        });
    }
}
