//! Who is asking: sessions (a random token in an HttpOnly cookie, its SHA-256 kept here with
//! the user, a CSRF token and an expiry), login attempts limited per user and per address, and
//! the comparisons that must not leak timing.
//!
//! Sessions live in the daemon's memory: a restart signs everyone out, and nothing about them
//! is written to the database. Only hashes of the tokens are kept, so a memory dump cannot be
//! replayed as a cookie.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::text::hex;

/// The session cookie's name.
pub const COOKIE: &str = "aggregator_session";

/// Failed logins allowed per user, and per address, within [`ATTEMPT_WINDOW`].
pub const MAX_ATTEMPTS: usize = 5;
pub const ATTEMPT_WINDOW: Duration = Duration::from_secs(15 * 60);

/// A signed-in user's session, as a request sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: String,
    /// The token every form of this session must carry.
    pub csrf: String,
}

struct Stored {
    session: Session,
    expires: Instant,
}

/// Every open session, by the SHA-256 of its cookie token.
#[derive(Default)]
pub struct Sessions {
    open: Mutex<HashMap<[u8; 32], Stored>>,
}

impl Sessions {
    /// Opens a session for `user` lasting `ttl`; returns the cookie token (shown once) and the
    /// session.
    pub fn open(&self, user: &str, ttl: Duration) -> (String, Session) {
        let token = random_token();
        let session = Session {
            user: user.to_string(),
            csrf: random_token(),
        };
        let mut open = self.lock();
        let now = Instant::now();
        open.retain(|_, s| s.expires > now);
        open.insert(
            digest(&token),
            Stored {
                session: session.clone(),
                expires: now + ttl,
            },
        );
        (token, session)
    }

    /// The session a cookie token names, if open.
    pub fn get(&self, token: &str) -> Option<Session> {
        let mut open = self.lock();
        let key = digest(token);
        match open.get(&key) {
            Some(s) if s.expires > Instant::now() => Some(s.session.clone()),
            Some(_) => {
                open.remove(&key);
                None
            }
            None => None,
        }
    }

    /// Ends the session a cookie token names.
    pub fn close(&self, token: &str) {
        self.lock().remove(&digest(token));
    }

    /// Ends every session of users no longer configured (after a reload).
    pub fn keep_users(&self, users: &[&str]) {
        self.lock()
            .retain(|_, s| users.contains(&s.session.user.as_str()));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Stored>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Failed login attempts, per user name and per client address.
#[derive(Default)]
pub struct Attempts {
    failed: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Attempts {
    /// Whether a login for `user` from `addr` may be tried now.
    pub fn allowed(&self, user: &str, addr: Option<IpAddr>) -> bool {
        let mut failed = self.lock();
        let now = Instant::now();
        keys(user, addr).iter().all(|k| {
            let times = failed.entry(k.clone()).or_default();
            times.retain(|t| now.duration_since(*t) < ATTEMPT_WINDOW);
            times.len() < MAX_ATTEMPTS
        })
    }

    /// Records a failed login.
    pub fn failed(&self, user: &str, addr: Option<IpAddr>) {
        let mut failed = self.lock();
        let now = Instant::now();
        for k in keys(user, addr) {
            failed.entry(k).or_default().push(now);
        }
        // Bounded: forget keys whose attempts all aged out.
        failed.retain(|_, t| t.iter().any(|t| now.duration_since(*t) < ATTEMPT_WINDOW));
    }

    /// Forgets the user's failures after a successful login (the address keeps its own).
    pub fn succeeded(&self, user: &str) {
        self.lock().remove(&format!("user:{user}"));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<Instant>>> {
        self.failed.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn keys(user: &str, addr: Option<IpAddr>) -> Vec<String> {
    let mut k = vec![format!("user:{user}")];
    if let Some(a) = addr {
        k.push(format!("addr:{a}"));
    }
    k
}

/// 32 random bytes from the operating system, hex.
pub fn random_token() -> String {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf).expect("the operating system's random source");
    hex(&buf)
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Equality that takes the same time wherever the strings differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_found_by_its_token_only_until_closed() {
        let sessions = Sessions::default();
        let (token, s) = sessions.open("kim", Duration::from_secs(60));
        assert_eq!(sessions.get(&token), Some(s.clone()));
        assert_eq!(s.user, "kim");
        assert_ne!(s.csrf, token);
        assert_eq!(sessions.get("forged"), None);
        sessions.keep_users(&["lee"]);
        assert_eq!(sessions.get(&token), None);
        let (token, _) = sessions.open("kim", Duration::from_secs(60));
        sessions.close(&token);
        assert_eq!(sessions.get(&token), None);
        let (token, _) = sessions.open("kim", Duration::ZERO);
        assert_eq!(sessions.get(&token), None, "expired");
    }

    #[test]
    fn logins_are_limited_per_user_and_per_address() {
        let a = Attempts::default();
        let home: IpAddr = "127.0.0.1".parse().unwrap();
        let other: IpAddr = "127.0.0.2".parse().unwrap();
        for _ in 0..MAX_ATTEMPTS {
            assert!(a.allowed("kim", Some(home)));
            a.failed("kim", Some(home));
        }
        assert!(
            !a.allowed("kim", Some(other)),
            "the user is limited anywhere"
        );
        assert!(
            !a.allowed("lee", Some(home)),
            "the address is limited for anyone"
        );
        assert!(a.allowed("lee", Some(other)));
        a.succeeded("kim");
        assert!(a.allowed("kim", Some(other)));
    }

    #[test]
    fn comparison_is_exact() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
    }
}
