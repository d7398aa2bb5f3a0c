//! Identifiers we mint: tags (§19.3), branches (§8.1.1.7, with the `z9hG4bK` cookie) and Call-IDs
//! (§8.1.1.4). The library reads no clock and no OS randomness, so they come from a splitmix64
//! generator seeded by [`crate::EndpointConfig::seed`]; the driver seeds it from the OS so that
//! identifiers are not guessable across restarts.

/// A splitmix64 generator (Steele, Lea, Flood 2014): tiny, full-period, good enough for ids.
#[derive(Debug, Clone)]
pub struct IdGen {
    state: u64,
}

impl IdGen {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        IdGen { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A From/To tag: 64 bits in hex.
    pub fn tag(&mut self) -> String {
        format!("{:016x}", self.next_u64())
    }

    /// A Via branch with the RFC 3261 magic cookie.
    pub fn branch(&mut self) -> String {
        format!(
            "z9hG4bK{:016x}{:08x}",
            self.next_u64(),
            self.next_u64() as u32
        )
    }

    /// A Call-ID, unique with high probability, scoped by our host.
    pub fn call_id(&mut self, host: &str) -> String {
        format!("{:016x}{:016x}@{}", self.next_u64(), self.next_u64(), host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_differ_and_have_the_cookie() {
        let mut g = IdGen::new(7);
        let a = g.branch();
        let b = g.branch();
        assert_ne!(a, b);
        assert!(a.starts_with("z9hG4bK"));
        assert_ne!(IdGen::new(1).tag(), IdGen::new(2).tag());
    }
}
