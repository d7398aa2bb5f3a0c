//! A tiny deterministic mixer of seeds (SplitMix64). The library reads no OS entropy: the driver
//! passes a seed, and this spreads it into initial RTP sequence numbers, timestamps and RTCP
//! interval jitter (RFC 3550 §5.1 and §6.3.1 want them unpredictable, not cryptographic).

/// One SplitMix64 step: a well-mixed 64-bit value from any input.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    #[test]
    fn mixes() {
        assert_ne!(super::splitmix64(0), super::splitmix64(1));
        assert_eq!(super::splitmix64(7), super::splitmix64(7));
    }
}
