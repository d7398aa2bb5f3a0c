//! H.264 over RTP (RFC 6184, packetization modes 0 and 1): a depacketizer that turns the RTP
//! payloads of one video stream back into access units, a packetizer that cuts access units into
//! MTU-sized payloads, and the Annex B byte-stream helpers both sides use.
//!
//! # Design
//!
//! Both halves are sans-IO, like the rest of this crate: bytes in, bytes out, no clock, no socket.
//!
//! - [`Depacketizer::push`] takes one RTP packet's fields (sequence number, 90 kHz timestamp,
//!   marker bit, payload). It checks the payload's structure at once and returns a typed
//!   [`DepacketizeError`] for what RFC 6184 does not allow or what we do not support (STAP-B,
//!   MTAP, FU-B: packetization-mode 2 is never offered). A small reorder window (4 packets by
//!   default, [`DepacketizerConfig::reorder_window`]) puts packets back into sequence order; the
//!   packets then go, in order, to an assembler that writes every NAL unit straight into the
//!   access unit's Annex B buffer (`00 00 00 01` + NAL). A FU-A is reassembled in place: its
//!   start writes the start code and the rebuilt NAL header, later fragments append, and a broken
//!   one is cut off again by truncating the buffer, so nothing is copied twice.
//! - An access unit ends at the marker bit (RFC 6184 §5.1) or, for senders that forget it, when
//!   the timestamp changes. [`Depacketizer::poll_frame`] then yields it as an [`AccessUnit`]:
//!   the Annex B bytes, the timestamp, whether it is a key frame (an IDR slice, with an SPS and a
//!   PPS seen) and whether it is complete (no packet of it was lost or refused).
//! - Loss is a fact of the stream, not an error: a sequence gap, a FU-A missing its start, a
//!   middle or its end, a refused packet, or an access unit over the size caps marks the access
//!   unit incomplete and asks for a key frame. So does a stream that cannot be decoded yet (no
//!   IDR with SPS/PPS seen). [`Depacketizer::needs_keyframe`] stays true until a complete key
//!   frame arrives; [`Depacketizer::poll_keyframe_request`] yields each new request once, and the
//!   caller sends RTCP PLI (RFC 4585 §6.3.1) and paces repeats with its own clock.
//! - Memory is bounded: the access unit is capped ([`DepacketizerConfig::max_au_bytes`], 2 MiB,
//!   and [`DepacketizerConfig::max_nals`]), so are the reorder window, the queue of finished
//!   access units and the payload of one packet. Buffers are reused: the window's slots keep
//!   their capacity, and [`Depacketizer::recycle`] hands an access unit's buffer back so a steady
//!   stream allocates nothing per frame.
//! - [`Packetizer`] copies an access unit's NAL units once into a reused buffer, then
//!   [`Packetizer::poll_payload`] writes one RTP payload at a time into the caller's buffer
//!   (typically the packet buffer just after the RTP header): a single NAL unit packet when the
//!   NAL fits, FU-A fragments (RFC 6184 §5.8) when it does not, and optionally STAP-A (§5.7.1)
//!   for runs of small NALs such as SPS + PPS before an IDR. The marker bit is set on the last
//!   payload of the access unit. No allocation per packet; none per access unit once the
//!   buffers have grown to the largest one.
//!
//! Timestamps are the RTP ones, at [`CLOCK_RATE`] (90 kHz, RFC 6184 §5.1); RTCP PLI/FIR are
//! sent and answered by the caller.

mod annexb;
mod assembler;
mod depacketizer;
mod packetizer;
mod reorder;

pub use annexb::{split_annexb, write_annexb_nal, AnnexBNals, START_CODE};
pub use depacketizer::{
    AccessUnit, DepacketizeError, Depacketizer, DepacketizerConfig, DepacketizerStats,
    KeyframeReason, MAX_PAYLOAD,
};
pub use packetizer::{PacketizeError, Packetizer, Payload, MIN_PAYLOAD};

/// The RTP clock rate of H.264 video (RFC 6184 §5.1): 90 kHz.
pub const CLOCK_RATE: u32 = 90_000;

/// NAL unit type of a coded slice of a non-IDR picture.
pub const NAL_SLICE: u8 = 1;
/// NAL unit type of a coded slice of an IDR picture (a key frame).
pub const NAL_IDR: u8 = 5;
/// NAL unit type of supplemental enhancement information.
pub const NAL_SEI: u8 = 6;
/// NAL unit type of a sequence parameter set.
pub const NAL_SPS: u8 = 7;
/// NAL unit type of a picture parameter set.
pub const NAL_PPS: u8 = 8;
/// NAL unit type of an access unit delimiter.
pub const NAL_AUD: u8 = 9;
/// RTP payload type of a single-time aggregation packet, STAP-A (RFC 6184 §5.7.1).
pub const STAP_A: u8 = 24;
/// RTP payload type of STAP-B (packetization-mode 2 only; refused).
pub const STAP_B: u8 = 25;
/// RTP payload type of MTAP16 (packetization-mode 2 only; refused).
pub const MTAP16: u8 = 26;
/// RTP payload type of MTAP24 (packetization-mode 2 only; refused).
pub const MTAP24: u8 = 27;
/// RTP payload type of a fragmentation unit, FU-A (RFC 6184 §5.8).
pub const FU_A: u8 = 28;
/// RTP payload type of FU-B (packetization-mode 2 only; refused).
pub const FU_B: u8 = 29;

/// The one-byte NAL unit header (H.264 §7.3.1; RFC 6184 §5.3): F, NRI and type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NalHeader(pub u8);

impl NalHeader {
    /// The header of a NAL unit, or `None` for an empty one.
    pub fn of(nal: &[u8]) -> Option<Self> {
        nal.first().map(|b| Self(*b))
    }

    /// The forbidden_zero_bit: set means the unit is known to be corrupt (RFC 6184 §5.3).
    pub fn forbidden(self) -> bool {
        self.0 & 0x80 != 0
    }

    /// nal_ref_idc, 0–3: 0 means no other picture refers to this one.
    pub fn nri(self) -> u8 {
        (self.0 >> 5) & 0x03
    }

    /// nal_unit_type, 0–31 (in RTP payloads 24–29 name the aggregation/fragmentation packets).
    pub fn nal_type(self) -> u8 {
        self.0 & 0x1F
    }
}

/// Whether a NAL unit is a coded slice of an IDR picture (type 5).
pub fn is_idr(nal: &[u8]) -> bool {
    NalHeader::of(nal).is_some_and(|h| h.nal_type() == NAL_IDR)
}

/// Whether a NAL unit type may appear inside an access unit we carry (1–23: the H.264 types;
/// 0 and 24–31 are unspecified by H.264 and taken by RFC 6184 for its packet types).
pub fn is_media_nal_type(nal_type: u8) -> bool {
    (1..=23).contains(&nal_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields() {
        let h = NalHeader(0b1110_0101);
        assert!(h.forbidden());
        assert_eq!(h.nri(), 3);
        assert_eq!(h.nal_type(), 5);
        let h = NalHeader(0x41);
        assert!(!h.forbidden());
        assert_eq!(h.nri(), 2);
        assert_eq!(h.nal_type(), NAL_SLICE);
        assert_eq!(NalHeader::of(&[]), None);
    }

    #[test]
    fn idr_detection() {
        assert!(is_idr(&[0x65, 0x88]));
        assert!(!is_idr(&[0x41, 0x9a]));
        assert!(!is_idr(&[0x67]));
        assert!(!is_idr(&[]));
        assert!(is_media_nal_type(1) && is_media_nal_type(23));
        assert!(!is_media_nal_type(0) && !is_media_nal_type(24) && !is_media_nal_type(31));
    }
}
