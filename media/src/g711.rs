//! ITU-T G.711 µ-law (PCMU) and A-law (PCMA) companding, 16-bit linear ⇄ 8-bit codes.
//!
//! Decoding uses 256-entry tables computed at compile time by `const fn`; encoding searches the
//! segment with `leading_zeros`, which is as fast as a table and keeps the binary small. The codes
//! follow the G.711 tables: µ-law 0xFF is +0, A-law 0xD5 is the smallest positive step (+8).

/// µ-law bias added before the segment search (G.711 Table 2a: 33 in 14-bit units, ×4 here).
const ULAW_BIAS: i32 = 0x84;
/// Largest magnitude µ-law can represent once biased (clip below 2^15).
const ULAW_CLIP: i32 = 32635;

/// Decodes one µ-law code (the arithmetic form of G.711 Table 2a).
const fn ulaw_to_linear(code: u8) -> i16 {
    let c = !code;
    let exponent = ((c >> 4) & 0x07) as i32;
    let mantissa = (c & 0x0F) as i32;
    let magnitude = (((mantissa << 3) + ULAW_BIAS) << exponent) - ULAW_BIAS;
    if c & 0x80 != 0 {
        -magnitude as i16
    } else {
        magnitude as i16
    }
}

/// Decodes one A-law code (the arithmetic form of G.711 Table 1a; even bits inverted by 0x55).
const fn alaw_to_linear(code: u8) -> i16 {
    let c = code ^ 0x55;
    let segment = ((c >> 4) & 0x07) as i32;
    let mantissa = (c & 0x0F) as i32;
    let magnitude = if segment == 0 {
        (mantissa << 4) + 8
    } else {
        ((mantissa << 4) + 0x108) << (segment - 1)
    };
    // In A-law the sign bit set means positive.
    if c & 0x80 != 0 {
        magnitude as i16
    } else {
        -magnitude as i16
    }
}

/// Builds a 256-entry decode table from a decoder at compile time.
const fn build_table(alaw: bool) -> [i16; 256] {
    let mut table = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = if alaw {
            alaw_to_linear(i as u8)
        } else {
            ulaw_to_linear(i as u8)
        };
        i += 1;
    }
    table
}

/// µ-law code → linear sample.
pub const ULAW_DECODE: [i16; 256] = build_table(false);
/// A-law code → linear sample.
pub const ALAW_DECODE: [i16; 256] = build_table(true);

/// Encodes one linear sample as µ-law.
#[inline]
pub fn ulaw_encode(sample: i16) -> u8 {
    let s = i32::from(sample);
    let (sign, magnitude) = if s < 0 { (0x80u8, -s) } else { (0u8, s) };
    let biased = magnitude.min(ULAW_CLIP) + ULAW_BIAS;
    // biased is in 0x84..=0x7FFF: its top set bit (7..=14) selects the segment.
    let top_bit = 31 - biased.leading_zeros() as i32;
    let exponent = (top_bit - 7).clamp(0, 7);
    let mantissa = (biased >> (exponent + 3)) & 0x0F;
    !(sign | ((exponent as u8) << 4) | mantissa as u8)
}

/// Encodes one linear sample as A-law.
#[inline]
pub fn alaw_encode(sample: i16) -> u8 {
    let s = i32::from(sample);
    // A-law is symmetric around -0.5 LSB: a negative sample uses its one's complement magnitude.
    let (sign, magnitude) = if s >= 0 {
        (0x80u8, s >> 3)
    } else {
        (0u8, (!s) >> 3)
    };
    let code = if magnitude < 32 {
        (magnitude >> 1) as u8
    } else {
        // magnitude is in 32..4096: top bit 5..=11 maps to segments 1..=7.
        let top_bit = 31 - magnitude.leading_zeros() as i32;
        let segment = top_bit - 4;
        ((segment as u8) << 4) | ((magnitude >> segment) & 0x0F) as u8
    };
    (sign | code) ^ 0x55
}

/// Decodes one µ-law code.
#[inline]
pub fn ulaw_decode(code: u8) -> i16 {
    ULAW_DECODE[usize::from(code)]
}

/// Decodes one A-law code.
#[inline]
pub fn alaw_decode(code: u8) -> i16 {
    ALAW_DECODE[usize::from(code)]
}

/// Which G.711 law a buffer uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Law {
    /// µ-law (PCMU, payload type 0).
    Ulaw,
    /// A-law (PCMA, payload type 8).
    Alaw,
}

impl Law {
    /// The code for digital silence in this law.
    pub fn silence(self) -> u8 {
        match self {
            Law::Ulaw => 0xFF,
            Law::Alaw => 0xD5,
        }
    }

    /// Decodes `codes` into `out` (up to the shorter of the two); returns the samples written.
    pub fn decode(self, codes: &[u8], out: &mut [i16]) -> usize {
        let table = match self {
            Law::Ulaw => &ULAW_DECODE,
            Law::Alaw => &ALAW_DECODE,
        };
        let n = codes.len().min(out.len());
        for (o, &c) in out[..n].iter_mut().zip(&codes[..n]) {
            *o = table[usize::from(c)];
        }
        n
    }

    /// Encodes `samples` into `out` (up to the shorter of the two); returns the bytes written.
    pub fn encode(self, samples: &[i16], out: &mut [u8]) -> usize {
        let n = samples.len().min(out.len());
        let pairs = out[..n].iter_mut().zip(&samples[..n]);
        match self {
            Law::Ulaw => pairs.for_each(|(o, &s)| *o = ulaw_encode(s)),
            Law::Alaw => pairs.for_each(|(o, &s)| *o = alaw_encode(s)),
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert_eq!(ulaw_decode(0xFF), 0);
        assert_eq!(ulaw_encode(0), 0xFF);
        assert_eq!(ulaw_decode(0x80), 32124);
        assert_eq!(ulaw_decode(0x00), -32124);
        assert_eq!(ulaw_encode(i16::MAX), 0x80);
        assert_eq!(ulaw_encode(i16::MIN), 0x00);
        assert_eq!(alaw_decode(0xD5), 8);
        assert_eq!(alaw_decode(0x55), -8);
        assert_eq!(alaw_encode(0), 0xD5);
        assert_eq!(alaw_decode(0xAA), 32256);
        assert_eq!(alaw_decode(0x2A), -32256);
        assert_eq!(alaw_encode(i16::MAX), 0xAA);
        assert_eq!(alaw_encode(i16::MIN), 0x2A);
    }

    #[test]
    fn every_code_round_trips() {
        for c in 0..=255u8 {
            // µ-law has two zeros (0x7F is -0); both decode to 0, which encodes as +0.
            if c != 0x7F {
                assert_eq!(ulaw_encode(ulaw_decode(c)), c, "ulaw {c:#x}");
            }
            assert_eq!(alaw_encode(alaw_decode(c)), c, "alaw {c:#x}");
        }
    }

    #[test]
    fn decode_is_monotonic() {
        // Positive µ-law codes run 0xFF (smallest) down to 0x80 (largest).
        for c in 0x81..=0xFFu8 {
            assert!(ulaw_decode(c) < ulaw_decode(c - 1));
        }
        let mut alaw: Vec<i16> = (0..=255u8).map(alaw_decode).collect();
        alaw.sort_unstable();
        alaw.dedup();
        assert_eq!(alaw.len(), 256);
    }

    #[test]
    fn slices() {
        let pcm = [0i16, 1000, -1000, 30000];
        let mut codes = [0u8; 4];
        let mut back = [0i16; 4];
        for law in [Law::Ulaw, Law::Alaw] {
            assert_eq!(law.encode(&pcm, &mut codes), 4);
            assert_eq!(law.decode(&codes, &mut back), 4);
            for (a, b) in pcm.iter().zip(back) {
                assert!((i32::from(*a) - i32::from(b)).abs() <= 1024);
            }
        }
        assert_eq!(Law::Alaw.decode(&[Law::Alaw.silence()], &mut back[..1]), 1);
        assert_eq!(back[0], 8);
    }
}
