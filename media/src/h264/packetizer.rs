//! The RFC 6184 packetizer (packetization-mode 1): single NAL unit packets (§5.6), FU-A
//! fragments for NAL units larger than the payload size (§5.8), and optionally STAP-A (§5.7.1)
//! for runs of small NAL units.

use std::ops::Range;

use super::depacketizer::MAX_PAYLOAD;
use super::{is_media_nal_type, split_annexb, NalHeader, FU_A, STAP_A};

/// The smallest payload size: a FU-A needs its two header bytes and at least one byte of NAL.
pub const MIN_PAYLOAD: usize = 3;

/// Why an access unit cannot be packetized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PacketizeError {
    /// The maximum payload size is below [`MIN_PAYLOAD`].
    #[error("maximum payload size {0} is too small for H.264 (at least 3 bytes)")]
    PayloadSizeTooSmall(usize),
    /// The maximum payload size is above what one UDP datagram can carry (65 535 bytes).
    #[error("maximum payload size {0} is too large for one datagram")]
    PayloadSizeTooLarge(usize),
    /// The access unit has no NAL unit.
    #[error("access unit without any NAL unit")]
    EmptyAccessUnit,
    /// A NAL unit of zero bytes.
    #[error("empty NAL unit")]
    EmptyNal,
    /// A NAL unit whose type is outside 1–23 (0 and 24–31 cannot be sent as themselves).
    #[error("NAL unit type {0} cannot be packetized")]
    BadNalType(u8),
    /// A NAL unit with its F (forbidden_zero) bit set: marked corrupt, not sent.
    #[error("NAL unit with the forbidden bit set")]
    ForbiddenBit,
    /// The payloads of the previous access unit have not all been polled.
    #[error("the previous access unit is not fully packetized yet")]
    Undrained,
    /// The caller's buffer cannot hold the next payload.
    #[error("buffer of {have} bytes too small for a payload of {need}")]
    BufferTooSmall {
        /// Bytes needed.
        need: usize,
        /// Bytes given.
        have: usize,
    },
}

/// One RTP payload written by [`Packetizer::poll_payload`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Payload {
    /// Bytes written at the start of the caller's buffer.
    pub len: usize,
    /// The RTP marker bit: set on the last payload of the access unit.
    pub marker: bool,
    /// The access unit's RTP timestamp (90 kHz).
    pub timestamp: u32,
}

/// Cuts access units into RTP payloads of at most `max_payload` bytes.
///
/// [`push_annexb`](Self::push_annexb) or [`push_nals`](Self::push_nals) copies one access
/// unit in (into a buffer that is reused), then [`poll_payload`](Self::poll_payload) writes the
/// payloads one by one into the caller's buffer until it returns `None`. Nothing is allocated
/// per packet, and nothing per access unit once the buffers have grown to the largest one.
#[derive(Debug)]
pub struct Packetizer {
    max_payload: usize,
    aggregate: bool,
    data: Vec<u8>,
    nals: Vec<Range<usize>>,
    /// The NAL unit the next payload starts in.
    next: usize,
    /// Bytes of NAL unit `next` already sent in FU-A fragments (0: none, it starts whole).
    sent: usize,
    timestamp: u32,
}

impl Packetizer {
    /// A packetizer whose payloads are at most `max_payload` bytes (the path MTU minus the IP,
    /// UDP and RTP headers: 1200 is a safe choice on the Internet).
    pub fn new(max_payload: usize) -> Result<Self, PacketizeError> {
        if max_payload < MIN_PAYLOAD {
            return Err(PacketizeError::PayloadSizeTooSmall(max_payload));
        }
        if max_payload > MAX_PAYLOAD {
            return Err(PacketizeError::PayloadSizeTooLarge(max_payload));
        }
        Ok(Self {
            max_payload,
            aggregate: false,
            data: Vec::new(),
            nals: Vec::new(),
            next: 0,
            sent: 0,
            timestamp: 0,
        })
    }

    /// Whether runs of small NAL units (SPS + PPS before an IDR, say) share one STAP-A.
    pub fn with_stap_a(mut self, aggregate: bool) -> Self {
        self.aggregate = aggregate;
        self
    }

    /// The maximum payload size.
    pub fn max_payload(&self) -> usize {
        self.max_payload
    }

    /// Whether payloads of the current access unit are still to be polled.
    pub fn pending(&self) -> bool {
        self.next < self.nals.len()
    }

    /// Takes one access unit as an Annex B byte stream (3- or 4-byte start codes).
    pub fn push_annexb(&mut self, timestamp: u32, au: &[u8]) -> Result<(), PacketizeError> {
        self.push_nals(timestamp, split_annexb(au))
    }

    /// Takes one access unit as a list of NAL units (without start codes). On an error nothing
    /// is taken.
    pub fn push_nals<'a, I>(&mut self, timestamp: u32, nals: I) -> Result<(), PacketizeError>
    where
        I: IntoIterator<Item = &'a [u8]>,
    {
        if self.pending() {
            return Err(PacketizeError::Undrained);
        }
        self.data.clear();
        self.nals.clear();
        self.next = 0;
        self.sent = 0;
        self.timestamp = timestamp;
        for nal in nals {
            let checked = match NalHeader::of(nal) {
                None => Err(PacketizeError::EmptyNal),
                Some(h) if !is_media_nal_type(h.nal_type()) => {
                    Err(PacketizeError::BadNalType(h.nal_type()))
                }
                Some(h) if h.forbidden() => Err(PacketizeError::ForbiddenBit),
                Some(_) => Ok(()),
            };
            if let Err(e) = checked {
                self.nals.clear();
                return Err(e);
            }
            let start = self.data.len();
            self.data.extend_from_slice(nal);
            self.nals.push(start..self.data.len());
        }
        if self.nals.is_empty() {
            return Err(PacketizeError::EmptyAccessUnit);
        }
        Ok(())
    }

    /// Writes the next payload of the access unit at the start of `out`; `None` when all are
    /// out. `out` needs room for [`max_payload`](Self::max_payload) bytes in general (a smaller
    /// buffer is refused only when the payload does not fit, and nothing is consumed then).
    pub fn poll_payload(&mut self, out: &mut [u8]) -> Result<Option<Payload>, PacketizeError> {
        let Some(range) = self.nals.get(self.next).cloned() else {
            return Ok(None);
        };
        let nal = &self.data[range];
        let len = if self.sent == 0 && nal.len() <= self.max_payload {
            let count = if self.aggregate { self.stap_run() } else { 1 };
            if count >= 2 {
                self.write_stap_a(count, out)?
            } else {
                let dst = room(out, nal.len())?;
                dst.copy_from_slice(nal);
                self.next += 1;
                nal.len()
            }
        } else {
            self.write_fragment(out)?
        };
        Ok(Some(Payload {
            len,
            marker: !self.pending(),
            timestamp: self.timestamp,
        }))
    }

    /// How many NAL units from `next` fit in one STAP-A (header byte + 2-byte size per unit).
    fn stap_run(&self) -> usize {
        let mut total = 1;
        let mut count = 0;
        for range in &self.nals[self.next..] {
            total += 2 + range.len();
            if total > self.max_payload {
                break;
            }
            count += 1;
        }
        count
    }

    fn write_stap_a(&mut self, count: usize, out: &mut [u8]) -> Result<usize, PacketizeError> {
        let units = &self.nals[self.next..self.next + count];
        let len = 1 + units.iter().map(|r| 2 + r.len()).sum::<usize>();
        let dst = room(out, len)?;
        // NRI is the units' maximum (RFC 6184 §5.7); F is their OR, always 0 here.
        let mut nri = 0;
        let mut at = 1;
        for r in units {
            let nal = &self.data[r.clone()];
            nri = nri.max(nal[0] & 0x60);
            // A unit fits in a payload of at most 65 535 bytes, so its size fits in 16 bits.
            dst[at..at + 2].copy_from_slice(&(nal.len() as u16).to_be_bytes());
            dst[at + 2..at + 2 + nal.len()].copy_from_slice(nal);
            at += 2 + nal.len();
        }
        dst[0] = nri | STAP_A;
        self.next += count;
        Ok(len)
    }

    /// The next FU-A fragment of NAL unit `next`: indicator (F, NRI, 28), header (S, E, type),
    /// then as many bytes of the unit (after its header byte) as fit.
    fn write_fragment(&mut self, out: &mut [u8]) -> Result<usize, PacketizeError> {
        let nal = &self.data[self.nals[self.next].clone()];
        let body = &nal[1..];
        let done = self.sent;
        let take = (body.len() - done).min(self.max_payload - 2);
        let start = done == 0;
        let end = done + take == body.len();
        let dst = room(out, 2 + take)?;
        dst[0] = (nal[0] & 0xE0) | FU_A;
        dst[1] = (u8::from(start) << 7) | (u8::from(end) << 6) | (nal[0] & 0x1F);
        dst[2..].copy_from_slice(&body[done..done + take]);
        if end {
            self.next += 1;
            self.sent = 0;
        } else {
            self.sent = done + take;
        }
        Ok(2 + take)
    }
}

/// The first `len` bytes of `out`, or the error saying it is too small.
fn room(out: &mut [u8], len: usize) -> Result<&mut [u8], PacketizeError> {
    let have = out.len();
    out.get_mut(..len)
        .ok_or(PacketizeError::BufferTooSmall { need: len, have })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payloads(p: &mut Packetizer) -> Vec<(Vec<u8>, bool)> {
        let mut out = vec![0; p.max_payload()];
        let mut v = Vec::new();
        while let Some(pl) = p.poll_payload(&mut out).unwrap() {
            assert!(pl.len <= p.max_payload());
            v.push((out[..pl.len].to_vec(), pl.marker));
        }
        v
    }

    #[test]
    fn small_nals_go_whole_and_the_last_has_the_marker() {
        let mut p = Packetizer::new(100).unwrap();
        p.push_nals(3000, [&[0x67, 1][..], &[0x68, 2], &[0x65, 3, 4]])
            .unwrap();
        let v = payloads(&mut p);
        assert_eq!(
            v,
            vec![
                (vec![0x67, 1], false),
                (vec![0x68, 2], false),
                (vec![0x65, 3, 4], true)
            ]
        );
        assert!(!p.pending());
    }

    #[test]
    fn stap_a_aggregates_what_fits() {
        let mut p = Packetizer::new(12).unwrap().with_stap_a(true);
        // 1 + (2+3) + (2+2) = 10 fits; adding the IDR (2+5) does not.
        p.push_nals(0, [&[0x67, 1, 2][..], &[0x48, 3], &[0x65, 4, 5, 6, 7]])
            .unwrap();
        let v = payloads(&mut p);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].0, vec![0x78, 0, 3, 0x67, 1, 2, 0, 2, 0x48, 3]);
        assert!(!v[0].1);
        assert_eq!(v[1], (vec![0x65, 4, 5, 6, 7], true));
    }

    #[test]
    fn large_nal_becomes_fu_a_with_nri_and_s_e_bits() {
        let mut p = Packetizer::new(5).unwrap();
        // Header 0x65 (NRI 3, IDR) + 7 bytes: fragments of 3 bytes, 3, 1.
        p.push_nals(0, [&[0x65, 1, 2, 3, 4, 5, 6, 7][..]]).unwrap();
        let v = payloads(&mut p);
        assert_eq!(
            v,
            vec![
                (vec![0x7c, 0x85, 1, 2, 3], false),
                (vec![0x7c, 0x05, 4, 5, 6], false),
                (vec![0x7c, 0x45, 7], true),
            ]
        );
    }

    #[test]
    fn bad_input_is_refused() {
        assert_eq!(
            Packetizer::new(2).unwrap_err(),
            PacketizeError::PayloadSizeTooSmall(2)
        );
        assert_eq!(
            Packetizer::new(65_536).unwrap_err(),
            PacketizeError::PayloadSizeTooLarge(65_536)
        );
        assert!(Packetizer::new(65_535).is_ok());
        let mut p = Packetizer::new(10).unwrap();
        assert_eq!(p.push_nals(0, [&[][..]]), Err(PacketizeError::EmptyNal));
        assert_eq!(
            p.push_nals(0, [&[0x41][..], &[0x7c, 1]]),
            Err(PacketizeError::BadNalType(28))
        );
        assert_eq!(
            p.push_nals(0, [&[0xc1, 1][..]]),
            Err(PacketizeError::ForbiddenBit)
        );
        assert!(!p.pending(), "nothing taken on an error");
        assert_eq!(
            p.push_annexb(0, &[1, 2, 3]),
            Err(PacketizeError::EmptyAccessUnit)
        );
        p.push_nals(0, [&[0x41, 1, 2, 3][..]]).unwrap();
        assert_eq!(
            p.push_nals(0, [&[0x41][..]]),
            Err(PacketizeError::Undrained)
        );
        let mut small = [0u8; 2];
        assert_eq!(
            p.poll_payload(&mut small),
            Err(PacketizeError::BufferTooSmall { need: 4, have: 2 })
        );
        assert!(p.pending(), "nothing consumed by a failed poll");
    }
}
