//! Who may use the web view: making and checking password hashes and API tokens. Pure functions
//! over values (the users come from [`crate::config::WebConfig`]); `aggregator user` prints what
//! they make, the web view checks sign-ins with them. Neither needs the other.
//!
//! - Passwords are hashed with argon2id (argon2's default parameters, a random salt) into a PHC
//!   string, the `password_hash` of a `[[web.user]]`.
//! - API tokens are 32 random bytes, written `agg_` + 64 hex digits, and configured as the
//!   SHA-256 of that text. A token is high-entropy, unlike a password, so nobody can guess it
//!   back from a fast hash: a slow one would only slow down every API request.

use crate::text::hex;
use std::sync::OnceLock;

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::WebUser;

/// What every API token starts with, so a token is recognisable (in a config file, a log, a
/// secret scanner) for what it is.
pub const TOKEN_PREFIX: &str = "agg_";

/// Random bytes in a token.
const TOKEN_BYTES: usize = 32;

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the password is empty")]
    EmptyPassword,
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

/// The argon2id PHC string of `password` (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`), with a
/// fresh random salt. An empty password is refused.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    if password.is_empty() {
        return Err(AuthError::EmptyPassword);
    }
    argon2_hash(password)
}

fn argon2_hash(password: &str) -> Result<String, AuthError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Whether `password` is the one `phc` (an argon2 PHC string) was made from. A string that is
/// not such a hash, and an empty password, never verify.
pub fn verify_password(phc: &str, password: &str) -> bool {
    if password.is_empty() {
        return false;
    }
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    // The algorithm and its parameters are the hash's own, not `Argon2::default()`'s.
    Argon2::default()
        .verify_password(password.as_bytes(), &hash)
        .is_ok()
}

/// The user `name` if `password` is theirs. An unknown name costs as much time as a wrong
/// password, so the answer's timing does not tell which names exist.
pub fn authenticate<'a>(users: &'a [WebUser], name: &str, password: &str) -> Option<&'a WebUser> {
    match users.iter().find(|u| u.name == name) {
        Some(user) => verify_password(&user.password_hash, password).then_some(user),
        None => {
            verify_password(decoy_hash(), password);
            None
        }
    }
}

/// A hash nobody's password matches, verified in place of an unknown user's.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        let mut random = [0u8; 16];
        // Without the system's randomness the decoy is still a valid hash of the same cost.
        let _ = getrandom::fill(&mut random);
        argon2_hash(&hex(&random)).unwrap_or_default()
    })
}

/// A new API token: `agg_` and 64 hex digits (32 bytes from the system's random source).
///
/// # Panics
/// If the operating system gives no random bytes (`getrandom` fails), which Linux and the
/// other supported systems do not do once booted.
pub fn new_token() -> String {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).expect("the system's random source works");
    format!("{TOKEN_PREFIX}{}", hex(&bytes))
}

/// The hash a token is configured as: SHA-256 of its text, 64 lowercase hex digits. A fast hash
/// is right here: a token has 256 random bits, so it cannot be found from its hash by guessing.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Whether `token` is one of `user`'s API tokens. The comparison takes the same time whichever
/// hash (if any) it equals, and however much of one it shares.
pub fn verify_token(user: &WebUser, token: &str) -> bool {
    verify_token_hashes(&user.token_hashes, token)
}

/// Whether `token`'s hash is one of `hashes` (lowercase hex, as configured), compared in
/// constant time.
pub fn verify_token_hashes(hashes: &[String], token: &str) -> bool {
    let hash = token_hash(token);
    hashes.iter().fold(false, |found, h| {
        found | bool::from(h.as_bytes().ct_eq(hash.as_bytes()))
    })
}

/// The user whose API token `token` is, if any.
pub fn token_user<'a>(users: &'a [WebUser], token: &str) -> Option<&'a WebUser> {
    let mut owner = None;
    // Every user is compared, so the time taken does not say which one matched.
    for user in users {
        if verify_token(user, token) && owner.is_none() {
            owner = Some(user);
        }
    }
    owner
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, password: &str, tokens: &[&str]) -> WebUser {
        WebUser {
            name: name.into(),
            password_hash: hash_password(password).unwrap(),
            token_hashes: tokens.iter().map(|t| token_hash(t)).collect(),
        }
    }

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let phc = hash_password("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$"), "{phc}");
        crate::config::check_password_hash(&phc).unwrap();
        assert!(verify_password(&phc, "correct horse"));
        assert!(!verify_password(&phc, "correct horsE"));
        assert!(!verify_password(&phc, ""));
        assert!(!verify_password("not a hash", "correct horse"));
        // A fresh salt each time.
        assert_ne!(phc, hash_password("correct horse").unwrap());
        assert!(matches!(hash_password(""), Err(AuthError::EmptyPassword)));
    }

    #[test]
    fn authenticate_names_the_user_whose_password_it_is() {
        let users = [user("kim", "pw-kim", &[]), user("lee", "pw-lee", &[])];
        assert_eq!(authenticate(&users, "lee", "pw-lee").unwrap().name, "lee");
        assert!(authenticate(&users, "lee", "pw-kim").is_none());
        assert!(authenticate(&users, "park", "pw-kim").is_none());
    }

    #[test]
    fn tokens_are_prefixed_random_and_stored_as_sha256() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 64);
        assert!(a[4..].chars().all(|c| c.is_ascii_hexdigit()));
        // The SHA-256 test vector.
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_token_verifies_for_its_user_only() {
        let (t1, t2, t3) = (new_token(), new_token(), new_token());
        let kim = WebUser {
            name: "kim".into(),
            password_hash: String::new(),
            token_hashes: vec![token_hash(&t1), token_hash(&t2)],
        };
        let lee = WebUser {
            name: "lee".into(),
            password_hash: String::new(),
            token_hashes: vec![token_hash(&t3)],
        };
        assert!(verify_token(&kim, &t1) && verify_token(&kim, &t2));
        assert!(!verify_token(&kim, &t3));
        assert!(
            !verify_token(&kim, &token_hash(&t1)),
            "the hash is not the token"
        );
        let users = [kim, lee];
        assert_eq!(token_user(&users, &t3).unwrap().name, "lee");
        assert_eq!(token_user(&users, &t2).unwrap().name, "kim");
        assert!(token_user(&users, "agg_00").is_none());
    }
}
