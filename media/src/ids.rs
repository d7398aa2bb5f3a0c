//! Protocol identifiers as newtypes (RFC 3550 §5.1: SSRC, sequence number, payload type), made by
//! one small macro so that an SSRC can never be passed where a sequence number is expected.

/// Declares a `Copy` newtype around an unsigned integer with `From` conversions both ways.
macro_rules! num_id {
    ($(#[$meta:meta])* $name:ident, $t:ty) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub $t);

        impl From<$t> for $name {
            fn from(v: $t) -> Self {
                Self(v)
            }
        }

        impl From<$name> for $t {
            fn from(v: $name) -> Self {
                v.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

num_id!(
    /// Synchronization source identifier (RFC 3550 §5.1).
    Ssrc,
    u32
);
num_id!(
    /// A 16-bit RTP sequence number; it wraps, so compare with [`SeqNo::delta`], not `<`.
    SeqNo,
    u16
);
num_id!(
    /// An RTP payload type, 0–127 (RFC 3550 §5.1, RFC 3551 §6).
    Pt,
    u8
);

impl SeqNo {
    /// The sequence number after this one (wrapping at 2^16).
    pub fn next(self) -> Self {
        Self(self.0.wrapping_add(1))
    }

    /// `self - earlier` as a signed distance, correct across the wrap as long as the two are less
    /// than 2^15 apart (RFC 3550 A.1 relies on the same property).
    pub fn delta(self, earlier: SeqNo) -> i32 {
        i32::from(self.0.wrapping_sub(earlier.0) as i16)
    }

    /// This sequence number moved by `n` (wrapping).
    pub fn forward(self, n: u16) -> Self {
        Self(self.0.wrapping_add(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_delta_wraps() {
        assert_eq!(SeqNo(2).delta(SeqNo(65534)), 4);
        assert_eq!(SeqNo(65534).delta(SeqNo(2)), -4);
        assert_eq!(SeqNo(65535).next(), SeqNo(0));
        assert_eq!(SeqNo(65535).forward(3), SeqNo(2));
    }

    #[test]
    fn newtypes_convert() {
        let s: Ssrc = 7u32.into();
        assert_eq!(u32::from(s), 7);
        assert_eq!(Pt(8).to_string(), "8");
    }
}
