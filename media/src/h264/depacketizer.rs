//! The RFC 6184 depacketizer (packetization-mode 0 and 1): checks each RTP payload, puts the
//! packets back in sequence order through a small reorder window, and hands them to the
//! assembler, which yields access units and key-frame requests.

use super::assembler::Assembler;
use super::reorder::{Kind, Place, ReorderWindow};
use super::{
    is_media_nal_type, split_annexb, AnnexBNals, NalHeader, FU_A, FU_B, MTAP16, MTAP24, STAP_A,
    STAP_B,
};
use crate::ids::SeqNo;

/// The largest RTP payload accepted (a UDP datagram cannot carry more).
pub const MAX_PAYLOAD: usize = 65_535;

/// Why an RTP payload was refused. The packet still counts in the sequence: its content is
/// lost, so the access unit it belonged to is incomplete and a key frame is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DepacketizeError {
    /// The payload is empty.
    #[error("empty H.264 RTP payload")]
    Empty,
    /// The payload is larger than a UDP datagram can be.
    #[error("H.264 RTP payload of {0} bytes is too large")]
    TooLarge(usize),
    /// The F (forbidden_zero) bit is set, in the payload header or in a STAP-A unit: the unit
    /// is marked corrupt.
    #[error("forbidden bit set in the H.264 payload header")]
    ForbiddenBit,
    /// STAP-B, MTAP16, MTAP24 or FU-B: packetization-mode 2 (interleaved), which we never offer.
    #[error("H.264 packet type {0} needs packetization-mode 2, which is not supported")]
    Unsupported(u8),
    /// A STAP-A with no NAL unit in it.
    #[error("STAP-A without any NAL unit")]
    StapEmpty,
    /// A STAP-A unit of size zero.
    #[error("STAP-A unit of size zero")]
    StapZeroSize,
    /// A STAP-A size runs past the end of the payload (or one stray byte is left over).
    #[error("STAP-A unit size runs past the end of the payload")]
    StapOverrun,
    /// A FU-A with no fragment byte after its two header bytes.
    #[error("FU-A of {0} bytes is too short")]
    FuTooShort(usize),
    /// A STAP-A unit or FU-A fragment carrying a NAL type outside 1–23.
    #[error("NAL unit type {0} inside a STAP-A or FU-A")]
    BadInnerType(u8),
}

/// Why the depacketizer asks for a key frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyframeReason {
    /// A sequence gap: packets were lost.
    PacketLoss,
    /// A FU-A lost its start, a middle or its end.
    BrokenFragment,
    /// A packet was refused (see [`DepacketizeError`]).
    RefusedPacket,
    /// An access unit went over the size or NAL count cap.
    TooLarge,
    /// Access units arrive but there has been no IDR with SPS and PPS to start decoding from.
    NoKeyframeYet,
}

/// Limits of one depacketizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepacketizerConfig {
    /// Early packets held while waiting for a missing one, 0–64 (0: every gap is a loss at
    /// once, for a caller whose jitter buffer already reorders).
    pub reorder_window: u16,
    /// The largest access unit, in Annex B bytes; NAL units past it are dropped.
    pub max_au_bytes: usize,
    /// The most NAL units in one access unit; units past it are dropped.
    pub max_nals: usize,
    /// Finished access units kept for [`Depacketizer::poll_frame`]; the oldest goes when full.
    pub max_ready: usize,
}

impl Default for DepacketizerConfig {
    fn default() -> Self {
        Self {
            reorder_window: 4,
            max_au_bytes: 2 * 1024 * 1024,
            max_nals: 1024,
            max_ready: 4,
        }
    }
}

/// One access unit: all the NAL units of one RTP timestamp, as an Annex B byte stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessUnit {
    /// RTP timestamp (90 kHz).
    pub timestamp: u32,
    /// The NAL units, each after a `00 00 00 01` start code.
    pub data: Vec<u8>,
    /// How many NAL units `data` holds.
    pub nal_count: usize,
    /// It has an IDR slice and an SPS and a PPS have been seen: decoding can start here.
    pub is_keyframe: bool,
    /// No packet of it was lost, refused or dropped.
    pub complete: bool,
}

impl AccessUnit {
    /// Its NAL units, without start codes.
    pub fn nals(&self) -> AnnexBNals<'_> {
        split_annexb(&self.data)
    }
}

/// Counters of one depacketizer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DepacketizerStats {
    /// Packets pushed.
    pub packets: u64,
    /// Packets refused (each push that returned an error).
    pub refused_packets: u64,
    /// Packets of reserved types (0, 30, 31), ignored as RFC 6184 §5.4 asks.
    pub ignored_packets: u64,
    /// Packets that came after the window had moved past them.
    pub late_packets: u64,
    /// Packets already held in the window.
    pub duplicate_packets: u64,
    /// Sequence gaps given up on.
    pub gaps: u64,
    /// Packets missing in those gaps.
    pub lost_packets: u64,
    /// FU-A fragments seen.
    pub fragments: u64,
    /// FU-A fragments dropped because their NAL unit's start was missing or broken.
    pub dropped_fragments: u64,
    /// FU-A NAL units cut off (missing start, middle or end).
    pub broken_fu: u64,
    /// NAL units written into access units.
    pub nals: u64,
    /// NAL units dropped (broken FU-A, over a cap).
    pub dropped_nals: u64,
    /// Access units finished.
    pub access_units: u64,
    /// Of those, incomplete ones.
    pub incomplete_aus: u64,
    /// Access units dropped: nothing usable in them, or the ready queue was full.
    pub dropped_aus: u64,
    /// Key-frame requests raised.
    pub keyframe_requests: u64,
}

/// RFC 6184 depacketizer for one H.264 RTP stream (one SSRC): RTP payloads in, access units out.
///
/// Feed every packet with [`push`](Self::push), then drain [`poll_frame`](Self::poll_frame) and
/// [`poll_keyframe_request`](Self::poll_keyframe_request). Packets may arrive a few places out
/// of order (up to [`DepacketizerConfig::reorder_window`]); a missing packet is given up on once
/// that many later ones are held, or at [`flush`](Self::flush), which the caller calls when the
/// stream stalls (it owns the clock).
#[derive(Debug)]
pub struct Depacketizer {
    window: ReorderWindow,
    asm: Assembler,
}

impl Default for Depacketizer {
    fn default() -> Self {
        Self::new()
    }
}

impl Depacketizer {
    /// A depacketizer with the default limits.
    pub fn new() -> Self {
        Self::with_config(DepacketizerConfig::default())
    }

    /// A depacketizer with the given limits (the reorder window is capped at 64, the ready queue
    /// is at least 1).
    pub fn with_config(mut config: DepacketizerConfig) -> Self {
        config.reorder_window = config.reorder_window.min(64);
        config.max_ready = config.max_ready.max(1);
        Self {
            window: ReorderWindow::new(config.reorder_window),
            asm: Assembler::new(config),
        }
    }

    /// Takes one RTP packet of the stream. The error says why the payload was refused; the
    /// packet still takes its place in the sequence (as a loss).
    pub fn push(
        &mut self,
        seq: SeqNo,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
    ) -> Result<(), DepacketizeError> {
        self.asm.stats.packets += 1;
        let checked = check(payload);
        let kind = match checked {
            Ok(true) => Kind::Media,
            Ok(false) => {
                self.asm.stats.ignored_packets += 1;
                Kind::Ignored
            }
            Err(_) => {
                self.asm.stats.refused_packets += 1;
                Kind::Refused
            }
        };
        loop {
            match self.window.place(seq) {
                Place::Next { lost } => {
                    self.window.advance(seq);
                    self.asm.process(lost, timestamp, marker, kind, payload);
                    self.drain_in_order();
                    break;
                }
                Place::Hold => {
                    self.window.hold(seq, timestamp, marker, kind, payload);
                    break;
                }
                Place::TooFar => self.give_up_one(),
                Place::Late => {
                    self.asm.stats.late_packets += 1;
                    break;
                }
                Place::Duplicate => {
                    self.asm.stats.duplicate_packets += 1;
                    break;
                }
            }
        }
        checked.map(|_| ())
    }

    /// Gives up waiting for missing packets: processes everything held, in order, and ends the
    /// access unit being assembled. For when the stream stalls or stops.
    pub fn flush(&mut self) {
        while self.window.held() > 0 {
            self.give_up_one();
        }
        self.asm.flush();
    }

    /// The next finished access unit.
    pub fn poll_frame(&mut self) -> Option<AccessUnit> {
        self.asm.poll_frame()
    }

    /// Gives an access unit's buffer back for reuse, so a steady stream allocates nothing.
    pub fn recycle(&mut self, au: AccessUnit) {
        self.asm.recycle(au.data);
    }

    /// Whether the decoder needs a key frame: from the start until the first complete IDR (with
    /// SPS and PPS), and again after any loss, until the next one.
    pub fn needs_keyframe(&self) -> bool {
        self.asm.needs_keyframe()
    }

    /// A new key-frame request, once: the caller sends RTCP PLI (RFC 4585 §6.3.1) or FIR, and
    /// repeats it at its own pace while [`needs_keyframe`](Self::needs_keyframe) stays true.
    pub fn poll_keyframe_request(&mut self) -> Option<KeyframeReason> {
        self.asm.poll_keyframe_request()
    }

    /// The counters.
    pub fn stats(&self) -> DepacketizerStats {
        self.asm.stats
    }

    fn give_up_one(&mut self) {
        if let Some((lost, slot)) = self.window.take_earliest() {
            self.asm
                .process(lost, slot.timestamp, slot.marker, slot.kind, &slot.payload);
        }
        self.drain_in_order();
    }

    fn drain_in_order(&mut self) {
        while let Some(slot) = self.window.take_in_order() {
            self.asm
                .process(0, slot.timestamp, slot.marker, slot.kind, &slot.payload);
        }
    }
}

/// Checks one payload's structure (RFC 6184 §5.6–5.8): `Ok(true)` to use, `Ok(false)` to ignore.
fn check(payload: &[u8]) -> Result<bool, DepacketizeError> {
    let Some(header) = NalHeader::of(payload) else {
        return Err(DepacketizeError::Empty);
    };
    if payload.len() > MAX_PAYLOAD {
        return Err(DepacketizeError::TooLarge(payload.len()));
    }
    if header.forbidden() {
        return Err(DepacketizeError::ForbiddenBit);
    }
    match header.nal_type() {
        1..=23 => Ok(true),
        STAP_A => check_stap_a(&payload[1..]).map(|()| true),
        FU_A => {
            let [_, fu_header, _, ..] = payload else {
                return Err(DepacketizeError::FuTooShort(payload.len()));
            };
            let t = fu_header & 0x1F;
            if is_media_nal_type(t) {
                Ok(true)
            } else {
                Err(DepacketizeError::BadInnerType(t))
            }
        }
        t @ (STAP_B | MTAP16 | MTAP24 | FU_B) => Err(DepacketizeError::Unsupported(t)),
        _ => Ok(false), // 0, 30, 31: reserved, ignored
    }
}

/// Checks the 16-bit size + NAL unit list of a STAP-A (after its header byte).
fn check_stap_a(mut rest: &[u8]) -> Result<(), DepacketizeError> {
    if rest.is_empty() {
        return Err(DepacketizeError::StapEmpty);
    }
    while !rest.is_empty() {
        let [hi, lo, tail @ ..] = rest else {
            return Err(DepacketizeError::StapOverrun);
        };
        let size = usize::from(u16::from_be_bytes([*hi, *lo]));
        if size == 0 {
            return Err(DepacketizeError::StapZeroSize);
        }
        let Some(nal) = tail.get(..size) else {
            return Err(DepacketizeError::StapOverrun);
        };
        let h = NalHeader(nal[0]);
        if h.forbidden() {
            // The STAP-A's own F bit is the OR of its units' (RFC 6184 §5.7): inconsistent.
            return Err(DepacketizeError::ForbiddenBit);
        }
        if !is_media_nal_type(h.nal_type()) {
            return Err(DepacketizeError::BadInnerType(h.nal_type()));
        }
        rest = &tail[size..];
    }
    Ok(())
}
