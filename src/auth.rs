//! Credentials: argon2 password hashes, random tokens (sessions, CSRF, API, modification links)
//! kept in the store only as SHA-256 digests, and the login rate limiter.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// argon2id PHC string of `password` (random salt).
pub fn hash_password(password: &str) -> String {
    let _ = password;
    todo!("issue #4: web helper")
}

/// Whether `password` matches the PHC string (false for a malformed hash).
pub fn verify_password(password: &str, phc: &str) -> bool {
    let _ = (password, phc);
    todo!("issue #4: web helper")
}

/// A fresh random token: 256 bits, URL-safe base64 without padding.
pub fn new_token() -> String {
    todo!("issue #4: web helper")
}

/// The SHA-256 hex digest a token is stored as.
pub fn digest(token: &str) -> String {
    let _ = token;
    todo!("issue #4: web helper")
}

/// Equal, in time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let _ = (a, b);
    todo!("issue #4: web helper")
}

/// Failed logins per source address and per account name; past `max_failures` within `window`,
/// further tries are refused until the window has passed.
#[derive(Debug)]
pub struct LoginLimiter {
    max_failures: u32,
    window: Duration,
    by_ip: HashMap<IpAddr, Vec<Instant>>,
    by_name: HashMap<String, Vec<Instant>>,
}

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
        let _ = (now, ip, name, &self.by_ip, &self.by_name, self.max_failures, self.window);
        todo!("issue #4: web helper")
    }

    /// Count a failure.
    pub fn failed(&mut self, now: Instant, ip: IpAddr, name: &str) {
        let _ = (now, ip, name);
        todo!("issue #4: web helper")
    }

    /// A success clears the account's count (not the address's).
    pub fn succeeded(&mut self, name: &str) {
        let _ = name;
        todo!("issue #4: web helper")
    }
}
