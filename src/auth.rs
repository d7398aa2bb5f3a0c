//! Credentials: argon2id password hashes, random tokens (sessions, CSRF, API, modification
//! links) kept in the store only as SHA-256 digests, and the login rate limiter.
//!
//! Why digests for tokens but argon2 for passwords: tokens are 256 random bits, so a fast hash
//! is enough to make a stolen database useless; passwords are chosen by people and need a slow,
//! salted hash.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use sha2::{Digest, Sha256};

/// argon2id PHC string of `password` (random salt, the crate's default cost: 19 MiB, t=2).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        // Only fails for parameters out of range, which the defaults are not.
        .map(|h| h.to_string())
        .unwrap_or_default()
}

/// Whether `password` matches the PHC string (false for a malformed hash).
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the account does not exist, so that a login for an unknown
/// name costs as long as one with a wrong password (no account enumeration by timing).
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("pont-no-such-account"))
}

/// A fresh random token: 256 bits from the OS, URL-safe base64 without padding (43 characters).
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The SHA-256 hex digest a token is stored as.
pub fn digest(token: &str) -> String {
    let hash = Sha256::digest(token.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// Equal, in time that does not depend on where they differ (the length may leak).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Failed logins per source address and per account name; past `max_failures` within `window`,
/// further tries are refused until the oldest failure leaves the window. Both keys count, so
/// neither one address trying many names nor many addresses trying one name gets far.
#[derive(Debug)]
pub struct LoginLimiter {
    max_failures: u32,
    window: Duration,
    by_ip: HashMap<IpAddr, Vec<Instant>>,
    by_name: HashMap<String, Vec<Instant>>,
}

/// Keys beyond which old entries are swept, so a flood of names cannot grow memory unbounded.
const SWEEP_AT: usize = 10_000;

impl LoginLimiter {
    /// A limiter (the bridge uses 5 failures in 15 minutes).
    pub fn new(max_failures: u32, window: Duration) -> Self {
        LoginLimiter {
            max_failures,
            window,
            by_ip: HashMap::new(),
            by_name: HashMap::new(),
        }
    }

    /// Whether a try from `ip` for `name` is refused at `now`.
    pub fn is_blocked(&mut self, now: Instant, ip: IpAddr, name: &str) -> bool {
        let window = self.window;
        let max = self.max_failures as usize;
        let recent = |v: &mut Vec<Instant>| {
            v.retain(|t| now.saturating_duration_since(*t) < window);
            v.len() >= max
        };
        let ip_blocked = self.by_ip.get_mut(&ip).is_some_and(recent);
        let name_blocked = self
            .by_name
            .get_mut(&name.to_lowercase())
            .is_some_and(recent);
        ip_blocked || name_blocked
    }

    /// Count a failure.
    pub fn failed(&mut self, now: Instant, ip: IpAddr, name: &str) {
        if self.by_ip.len() + self.by_name.len() > SWEEP_AT {
            let window = self.window;
            let live = |v: &mut Vec<Instant>| {
                v.retain(|t| now.saturating_duration_since(*t) < window);
                !v.is_empty()
            };
            self.by_ip.retain(|_, v| live(v));
            self.by_name.retain(|_, v| live(v));
        }
        self.by_ip.entry(ip).or_default().push(now);
        self.by_name
            .entry(name.to_lowercase())
            .or_default()
            .push(now);
    }

    /// Check and count a try in one step: `false` when refused; otherwise the try is counted as
    /// a failure at once (so concurrent guesses cannot all pass the check before any failure is
    /// recorded) and [`LoginLimiter::succeeded`] takes it back if the password was right.
    pub fn attempt(&mut self, now: Instant, ip: IpAddr, name: &str) -> bool {
        if self.is_blocked(now, ip, name) {
            return false;
        }
        self.failed(now, ip, name);
        true
    }

    /// A success after [`LoginLimiter::attempt`]: the address's provisional failure is taken
    /// back and the account's count cleared.
    pub fn succeeded(&mut self, ip: IpAddr, name: &str) {
        if let Some(tries) = self.by_ip.get_mut(&ip) {
            tries.pop();
        }
        self.by_name.remove(&name.to_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse");
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("correct horsf", &h));
        assert!(!verify_password("x", "not a phc string"));
        // Salted: the same password hashes differently.
        assert_ne!(h, hash_password("correct horse"));
        assert!(!verify_password("anything", dummy_hash()));
    }

    #[test]
    fn tokens_are_random_and_digested() {
        let a = new_token();
        assert_eq!(a.len(), 43);
        assert!(a
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_ne!(a, new_token());
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn limiter_blocks_after_failures_and_forgets() {
        let t0 = Instant::now();
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let other: IpAddr = "192.0.2.8".parse().unwrap();
        let mut l = LoginLimiter::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            assert!(!l.is_blocked(t0, ip, "alice"));
            l.failed(t0, ip, "alice");
        }
        assert!(l.is_blocked(t0, ip, "alice"));
        // The address is blocked for every name; the name from every address.
        assert!(l.is_blocked(t0, ip, "bob"));
        assert!(l.is_blocked(t0, other, "ALICE"));
        assert!(!l.is_blocked(t0, other, "bob"));
        // After the window everything is forgotten.
        let later = t0 + Duration::from_secs(61);
        assert!(!l.is_blocked(later, ip, "alice"));
        // A success clears the name but not the address's real failures.
        for _ in 0..2 {
            l.failed(later, ip, "carol");
        }
        assert!(l.attempt(later, ip, "carol"));
        l.succeeded(ip, "carol");
        assert!(!l.is_blocked(later, other, "carol"));
        assert!(
            !l.is_blocked(later, ip, "dave"),
            "the right password took its try back"
        );
        l.failed(later, ip, "carol");
        assert!(l.is_blocked(later, ip, "dave"));
    }

    #[test]
    fn concurrent_attempts_are_counted_before_their_outcome() {
        let t0 = Instant::now();
        let ip: IpAddr = "192.0.2.9".parse().unwrap();
        let mut l = LoginLimiter::new(3, Duration::from_secs(60));
        // Three guesses in flight at once: each counted as it starts; the fourth is refused.
        assert!(l.attempt(t0, ip, "alice"));
        assert!(l.attempt(t0, ip, "alice"));
        assert!(l.attempt(t0, ip, "alice"));
        assert!(!l.attempt(t0, ip, "alice"));
    }
}
