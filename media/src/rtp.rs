//! RTP (RFC 3550 §5): header parsing and validation on top of `rtp-rs`, rtcp-mux demultiplexing
//! (RFC 5761 §4), building packets into a caller-supplied buffer, and the per-leg sending state
//! that keeps sequence numbers and timestamps continuous (RFC 3550 §5.1).

use std::time::{Duration, Instant};

use rtp_rs::{RtpPacketBuilder, RtpReader, RtpReaderError, Seq};

use crate::ids::{Pt, SeqNo, Ssrc};

/// Length of the fixed RTP header (RFC 3550 §5.1).
pub const HEADER_LEN: usize = 12;

/// Why a datagram on the RTP port is not an RTP packet we accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RtpError {
    /// Shorter than the 12-byte fixed header.
    #[error("packet of {0} bytes is shorter than an RTP header")]
    TooShort(usize),
    /// The version field is not 2.
    #[error("RTP version {0} is not 2")]
    BadVersion(u8),
    /// The CSRC list or header extension runs past the end of the datagram.
    #[error("RTP header of {header_len} bytes truncated to {buffer_len}")]
    Truncated {
        /// Length the header claims.
        header_len: usize,
        /// Bytes actually present.
        buffer_len: usize,
    },
    /// The padding count is 0 or longer than the payload (RFC 3550 §5.1, P bit).
    #[error("invalid RTP padding length {0}")]
    BadPadding(u8),
    /// The second byte is in 192–223, i.e. an RTCP packet type on a muxed port (RFC 5761 §4).
    #[error("RTCP packet type {0} on the RTP path")]
    IsRtcp(u8),
    /// A payload type RFC 5761 §4 reserves because it would collide with RTCP (72–76).
    #[error("reserved RTP payload type {0}")]
    ReservedPt(u8),
    /// The output buffer cannot hold the packet being built.
    #[error("buffer too small for the RTP packet")]
    BufferTooSmall,
}

/// What a datagram received on an rtcp-mux port is (RFC 5761 §4, RFC 7983 §7 first byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Demux {
    /// An RTP packet (second byte outside 192–223).
    Rtp,
    /// An RTCP packet (version 2, second byte — the packet type — in 192–223).
    Rtcp,
    /// Neither (STUN, DTLS, garbage): dropped.
    Other,
}

/// Classifies a datagram by its first two bytes, as RFC 5761 §4 prescribes for rtcp-mux.
pub fn demux(data: &[u8]) -> Demux {
    match data {
        [b0, b1, ..] if b0 >> 6 == 2 => {
            if (192..=223).contains(b1) {
                Demux::Rtcp
            } else {
                Demux::Rtp
            }
        }
        _ => Demux::Other,
    }
}

/// The fields of an RTP header the bridge uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader {
    /// Payload type.
    pub pt: Pt,
    /// Marker bit (start of a talkspurt for audio, RFC 3551 §4.1).
    pub marker: bool,
    /// Sequence number.
    pub seq: SeqNo,
    /// Media timestamp.
    pub timestamp: u32,
    /// Sender's SSRC.
    pub ssrc: Ssrc,
}

/// A validated RTP packet borrowing the datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    /// Its header.
    pub header: RtpHeader,
    /// The payload, CSRCs, extension and padding removed.
    pub payload: &'a [u8],
}

/// Parses and validates one RTP packet; never panics, whatever the bytes.
pub fn parse(data: &[u8]) -> Result<RtpPacket<'_>, RtpError> {
    if data.len() < HEADER_LEN {
        return Err(RtpError::TooShort(data.len()));
    }
    if demux(data) == Demux::Rtcp {
        return Err(RtpError::IsRtcp(data[1]));
    }
    // rtp-rs checks version, CSRC/extension bounds and padding before handing out a reader.
    let reader = RtpReader::new(data).map_err(|e| match e {
        RtpReaderError::BufferTooShort(n) => RtpError::TooShort(n),
        RtpReaderError::UnsupportedVersion(v) => RtpError::BadVersion(v),
        RtpReaderError::HeadersTruncated {
            header_len,
            buffer_len,
        } => RtpError::Truncated {
            header_len,
            buffer_len,
        },
        RtpReaderError::PaddingLengthInvalid(n) => RtpError::BadPadding(n),
    })?;
    let pt = reader.payload_type();
    if (72..=76).contains(&pt) {
        return Err(RtpError::ReservedPt(pt));
    }
    Ok(RtpPacket {
        header: RtpHeader {
            pt: Pt(pt),
            marker: reader.mark(),
            seq: SeqNo(reader.sequence_number().into()),
            timestamp: reader.timestamp(),
            ssrc: Ssrc(reader.ssrc()),
        },
        payload: reader.payload(),
    })
}

/// Writes a packet (no CSRC, no extension, no padding) into `buf`; returns its length.
///
/// Payload types 64–95 are refused: with the marker bit set they are indistinguishable from RTCP
/// on an rtcp-mux port (RFC 5761 §4), so a receiver would drop them.
pub fn write(buf: &mut [u8], header: &RtpHeader, payload: &[u8]) -> Result<usize, RtpError> {
    if header.pt.0 > 127 || (64..=95).contains(&header.pt.0) {
        return Err(RtpError::ReservedPt(header.pt.0));
    }
    RtpPacketBuilder::new()
        .payload_type(header.pt.0)
        .marked(header.marker)
        .sequence(Seq::from(header.seq.0))
        .timestamp(header.timestamp)
        .ssrc(header.ssrc.0)
        .payload(payload)
        .build_into(buf)
        .map_err(|_| RtpError::BufferTooSmall)
}

/// Gap after which the next packet's timestamp follows the wall clock rather than the packet
/// count: a leg moved between engines, or a driver that stalled, must look like a pause to the
/// receiver, not like time compressed (RFC 3550 §5.1: the timestamp reflects the sampling instant).
const GAP: Duration = Duration::from_millis(60);

/// Per-leg sending state: SSRC, next sequence number and timestamp, counters for the SR.
#[derive(Debug, Clone)]
pub struct RtpSender {
    /// Our SSRC on this leg.
    pub ssrc: Ssrc,
    /// Sequence number of the next packet.
    next_seq: SeqNo,
    /// Timestamp of the last packet sent (or the random start before the first).
    last_ts: u32,
    /// When the last packet was sent.
    last_sent: Option<Instant>,
    /// Packets sent (RFC 3550 §6.4.1 sender's packet count).
    pub packets: u32,
    /// Payload octets sent (sender's octet count).
    pub octets: u32,
}

impl RtpSender {
    /// A sender whose sequence number and timestamp start from values derived from `seed`
    /// (RFC 3550 §5.1 asks for random initial values; the caller supplies the entropy).
    pub fn new(ssrc: Ssrc, seed: u64) -> Self {
        let r = crate::rand::splitmix64(seed ^ u64::from(ssrc.0));
        Self {
            ssrc,
            next_seq: SeqNo(r as u16),
            last_ts: (r >> 32) as u32,
            last_sent: None,
            packets: 0,
            octets: 0,
        }
    }

    /// The header of the next packet of `samples` samples at `rate` Hz sent at `now`, and
    /// advances the state. The marker bit is set on the first packet and after a gap.
    pub fn next_header(&mut self, now: Instant, pt: Pt, samples: u32, rate: u32) -> RtpHeader {
        let (advance, marker) = match self.last_sent {
            None => (0, true),
            Some(last) => {
                let elapsed = now.saturating_duration_since(last);
                if elapsed > GAP {
                    // Round the elapsed time to whole frames so the receiver's playout stays aligned.
                    let frame_ns = u128::from(samples) * 1_000_000_000 / u128::from(rate.max(1));
                    let frames = (elapsed.as_nanos() + frame_ns / 2) / frame_ns.max(1);
                    ((frames as u32).wrapping_mul(samples), true)
                } else {
                    (samples, false)
                }
            }
        };
        self.last_ts = self.last_ts.wrapping_add(advance);
        self.last_sent = Some(now);
        let header = RtpHeader {
            pt,
            marker,
            seq: self.next_seq,
            timestamp: self.last_ts,
            ssrc: self.ssrc,
        };
        self.next_seq = self.next_seq.next();
        header
    }

    /// Records a sent packet for the SR counters (RFC 3550 §6.4.1, both wrap modulo 2^32).
    pub fn count(&mut self, payload_len: usize) {
        self.packets = self.packets.wrapping_add(1);
        self.octets = self.octets.wrapping_add(payload_len as u32);
    }

    /// The timestamp of the last packet sent and when, for the SR's RTP timestamp.
    pub fn last(&self) -> Option<(u32, Instant)> {
        self.last_sent.map(|t| (self.last_ts, t))
    }

    /// The sequence number the next packet will carry.
    pub fn next_seq(&self) -> SeqNo {
        self.next_seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> RtpHeader {
        RtpHeader {
            pt: Pt(0),
            marker: true,
            seq: SeqNo(65535),
            timestamp: 0xDEAD_BEEF,
            ssrc: Ssrc(0x1234_5678),
        }
    }

    #[test]
    fn build_then_parse() {
        let mut buf = [0u8; 200];
        let n = write(&mut buf, &header(), &[0xFF; 160]).unwrap();
        assert_eq!(n, 172);
        let p = parse(&buf[..n]).unwrap();
        assert_eq!(p.header, header());
        assert_eq!(p.payload.len(), 160);
    }

    #[test]
    fn refuses_payload_types_that_collide_with_rtcp() {
        let mut buf = [0u8; 200];
        let h = RtpHeader {
            pt: Pt(72),
            ..header()
        };
        assert_eq!(write(&mut buf, &h, &[]), Err(RtpError::ReservedPt(72)));
    }

    #[test]
    fn small_buffer_is_an_error() {
        let mut buf = [0u8; 20];
        assert_eq!(
            write(&mut buf, &header(), &[0; 160]),
            Err(RtpError::BufferTooSmall)
        );
    }

    #[test]
    fn rejects_bad_packets() {
        assert_eq!(parse(&[0x80; 5]), Err(RtpError::TooShort(5)));
        let mut p = [0u8; 20];
        p[0] = 0x40;
        assert_eq!(parse(&p), Err(RtpError::BadVersion(1)));
        // 15 CSRCs claimed in 20 bytes.
        p[0] = 0x8F;
        assert!(matches!(parse(&p), Err(RtpError::Truncated { .. })));
        // Extension header claims 4 words.
        p[0] = 0x90;
        p[12..16].copy_from_slice(&[0xBE, 0xDE, 0, 4]);
        assert!(matches!(parse(&p), Err(RtpError::Truncated { .. })));
        // Padding count of 0, then larger than the packet.
        p[0] = 0xA0;
        p[19] = 0;
        assert_eq!(parse(&p), Err(RtpError::BadPadding(0)));
        p[19] = 9;
        assert_eq!(parse(&p), Err(RtpError::BadPadding(9)));
        p[19] = 8;
        assert_eq!(parse(&p).unwrap().payload.len(), 0);
        p[0] = 0x80;
        p[1] = 72;
        assert_eq!(parse(&p), Err(RtpError::ReservedPt(72)));
    }

    #[test]
    fn rtcp_types_are_demuxed() {
        let rr = [0x81, 201, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0];
        assert_eq!(demux(&rr), Demux::Rtcp);
        assert_eq!(parse(&rr), Err(RtpError::IsRtcp(201)));
        assert_eq!(demux(&[0x80, 0x00]), Demux::Rtp);
        assert_eq!(demux(&[0x00, 0x01]), Demux::Other);
        // Marker bit with PT 0 (0x80) is still RTP.
        assert_eq!(demux(&[0x80, 0x80]), Demux::Rtp);
    }

    #[test]
    fn sender_is_continuous_and_follows_gaps() {
        let t0 = crate::test_t0();
        let mut s = RtpSender::new(Ssrc(1), 42);
        let a = s.next_header(t0, Pt(0), 160, 8000);
        assert!(a.marker);
        let b = s.next_header(t0 + Duration::from_millis(20), Pt(0), 160, 8000);
        assert_eq!(b.seq, a.seq.next());
        assert_eq!(b.timestamp, a.timestamp.wrapping_add(160));
        assert!(!b.marker);
        // A late tick (35 ms) is still one frame: the driver's schedule, not its jitter, counts.
        let c = s.next_header(t0 + Duration::from_millis(55), Pt(0), 160, 8000);
        assert_eq!(c.timestamp, b.timestamp.wrapping_add(160));
        // A 200 ms pause advances the timestamp by 10 frames.
        let d = s.next_header(t0 + Duration::from_millis(255), Pt(0), 160, 8000);
        assert_eq!(d.timestamp, c.timestamp.wrapping_add(1600));
        assert_eq!(d.seq, c.seq.next());
        assert!(d.marker);
        // Different seeds give different starts.
        let other = RtpSender::new(Ssrc(1), 43).next_seq();
        assert_ne!(other, RtpSender::new(Ssrc(1), 42).next_seq());
    }
}
