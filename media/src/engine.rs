//! One conference's media (or the one-person "lobby" of a call in the IVR): per-leg RTP state,
//! jitter buffer, decoder and encoder, and the N−1 mixer.
//!
//! CONTRACT (skeleton, to be completed):
//! - `add_leg` / `remove_leg` / `take_leg` + `insert_leg` (moving a participant, with its RTP
//!   sequence/timestamp/SSRC state, from one engine to another: output sequence and timestamps stay
//!   continuous for the receiver).
//! - `handle_rtp(now, leg, bytes)`: parse (rtp-rs), drop and count garbage, RFC 4733 events become
//!   `MediaEvent::Dtmf`, audio goes to the leg's jitter buffer.
//! - `handle_rtcp(now, leg, bytes)`: SR/RR parsed into per-leg stats; garbage dropped and counted.
//! - `tick(now)`: every 20 ms: pull one frame per leg from its jitter buffer, decode each talker
//!   once, sum in i32, give each talker everyone-but-itself, encode the shared mix once per codec
//!   for the non-talkers; queue one RTP packet per leg (no allocation per tick); RTCP SR every ~5 s.
//! - `poll_transmit()` drains what to send; `poll_event()` drains events.

use std::time::Instant;

/// A participant in an engine, chosen by the caller (the driver's call id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LegId(pub u64);

/// The audio codecs the engine speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AudioCodec {
    /// G.711 µ-law, 8 kHz.
    Pcmu,
    /// G.711 A-law, 8 kHz.
    Pcma,
}

/// How a leg was negotiated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegConfig {
    /// Its codec.
    pub codec: AudioCodec,
    /// The codec's payload type in this session.
    pub payload_type: u8,
    /// Payload type of RFC 4733 telephone-event, if negotiated.
    pub telephone_event_pt: Option<u8>,
    /// Packet time in ms (20 by default).
    pub ptime_ms: u32,
    /// The SSRC the bridge sends with on this leg.
    pub ssrc: u32,
}

/// Whether a packet is RTP or RTCP (the driver sends RTCP to the RTP port + 1, or rtcp-mux).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketKind {
    /// RTP.
    Rtp,
    /// RTCP.
    Rtcp,
}

/// A packet to send, borrowed from the engine's preallocated buffers.
#[derive(Debug)]
pub struct Packet<'a> {
    /// The leg it is for.
    pub leg: LegId,
    /// RTP or RTCP.
    pub kind: PacketKind,
    /// The bytes.
    pub data: &'a [u8],
}

/// Something the call logic must know about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaEvent {
    /// An RFC 4733 digit ended (counted once despite end-bit retransmissions).
    Dtmf {
        /// The leg.
        leg: LegId,
        /// `0`–`9`, `*`, `#`, `A`–`D`.
        digit: char,
    },
}

/// One conference's media.
#[derive(Debug, Default)]
pub struct ConferenceEngine {}

impl ConferenceEngine {
    /// An empty engine.
    pub fn new() -> Self {
        Self::default()
    }
    /// Add a participant.
    pub fn add_leg(&mut self, _now: Instant, _leg: LegId, _config: LegConfig) {
        todo!()
    }
    /// Remove a participant for good.
    pub fn remove_leg(&mut self, _leg: LegId) {
        todo!()
    }
    /// Feed a received RTP packet.
    pub fn handle_rtp(&mut self, _now: Instant, _leg: LegId, _data: &[u8]) {
        todo!()
    }
    /// Feed a received RTCP packet.
    pub fn handle_rtcp(&mut self, _now: Instant, _leg: LegId, _data: &[u8]) {
        todo!()
    }
    /// Run one 20 ms mixing period.
    pub fn tick(&mut self, _now: Instant) {
        todo!()
    }
    /// The next packet to send.
    pub fn poll_transmit(&mut self) -> Option<Packet<'_>> {
        todo!()
    }
    /// The next event.
    pub fn poll_event(&mut self) -> Option<MediaEvent> {
        todo!()
    }
    /// Number of legs.
    pub fn len(&self) -> usize {
        0
    }
    /// Whether there is no leg.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
