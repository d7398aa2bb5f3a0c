//! Counters the driver exports as metrics: per leg and summed per engine. Tick cost is measured by
//! the driver around [`crate::ConferenceEngine::tick`], not here (the library reads no clock).

use crate::jitter::JitterStats;
use crate::rtcp::ReportBlock;

/// What happened on one leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LegStats {
    /// RTP packets received (valid or not).
    pub rtp_received: u64,
    /// RTP packets dropped as malformed.
    pub rtp_malformed: u64,
    /// RTP packets of a payload type that was not negotiated (comfort noise included), dropped.
    pub rtp_unknown_pt: u64,
    /// RTCP datagrams received (including RTCP demuxed from the RTP port).
    pub rtcp_received: u64,
    /// RTCP datagrams with at least one malformed packet.
    pub rtcp_malformed: u64,
    /// RFC 3389 comfort-noise packets received (the peer is silent; no loss is concealed).
    pub comfort_noise: u64,
    /// Audio payloads the decoder refused (concealed instead).
    pub decode_errors: u64,
    /// Ticks whose frame the encoder could not produce (nothing sent that tick).
    pub encode_failed: u64,
    /// RTP packets sent carrying another leg's payload unchanged instead of an encoded mix
    /// (see [`crate::mixer`], "Forwarding a lone voice"); included in `rtp_sent`.
    pub rtp_forwarded: u64,
    /// Opus packets taken as silence without decoding (flagged inactive by the sender's
    /// encoder while the leg was not talking; see `MixChannel::skip_silent_packet`).
    pub silent_skipped: u64,
    /// RFC 4733 digits reported.
    pub dtmf_digits: u64,
    /// Jitter buffer counters (late, lost, duplicate, resyncs…).
    pub jitter: JitterStats,
    /// RTP packets queued for sending.
    pub rtp_sent: u64,
    /// RTCP packets queued for sending.
    pub rtcp_sent: u64,
    /// Packets queued but overwritten before the driver drained them.
    pub tx_overwritten: u64,
    /// The latest report block the peer sent about our stream, if any.
    pub remote_report: Option<ReportBlock>,
    /// Interarrival jitter of the peer's stream, in timestamp units (RFC 3550 A.8).
    pub interarrival_jitter: u32,
    /// Round-trip time from the last report block that carried LSR/DLSR, in 1/65536 s.
    pub rtt_1_65536: Option<u32>,
}

/// What happened in one engine: the sum over its current legs plus engine-level counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EngineStats {
    /// Legs now in the engine.
    pub legs: usize,
    /// Ticks run.
    pub ticks: u64,
    /// Packets for a leg the engine does not have, dropped.
    pub unknown_leg: u64,
    /// Events dropped because the driver did not drain `poll_event`.
    pub events_dropped: u64,
    /// Talkers in the last tick.
    pub talkers: usize,
    /// Sum of the legs' RTP packets received.
    pub rtp_received: u64,
    /// Sum of the legs' malformed RTP packets.
    pub rtp_malformed: u64,
    /// Sum of the legs' RTP packets of an unknown payload type.
    pub rtp_unknown_pt: u64,
    /// Sum of the legs' RTCP datagrams received.
    pub rtcp_received: u64,
    /// Sum of the legs' malformed RTCP datagrams.
    pub rtcp_malformed: u64,
    /// Sum of the legs' late packets.
    pub late: u64,
    /// Sum of the legs' lost packets.
    pub lost: u64,
    /// Sum of the legs' duplicate packets.
    pub duplicate: u64,
    /// Sum of the legs' concealed frames (missing packets and jitter-buffer stretches).
    pub concealed: u64,
    /// Sum of the legs' RTP packets sent.
    pub rtp_sent: u64,
    /// Sum of the legs' RTP packets sent as another leg's payload, unchanged.
    pub rtp_forwarded: u64,
    /// Sum of the legs' Opus packets taken as silence without decoding.
    pub silent_skipped: u64,
}

impl EngineStats {
    /// Adds one leg's counters.
    pub fn add(&mut self, leg: &LegStats) {
        self.legs += 1;
        self.rtp_received += leg.rtp_received;
        self.rtp_malformed += leg.rtp_malformed;
        self.rtp_unknown_pt += leg.rtp_unknown_pt;
        self.rtcp_received += leg.rtcp_received;
        self.rtcp_malformed += leg.rtcp_malformed;
        self.late += leg.jitter.late;
        self.lost += leg.jitter.lost;
        self.duplicate += leg.jitter.duplicate;
        // Stretches (the buffer growing its delay) are concealed frames too.
        self.concealed += leg.jitter.concealed + leg.jitter.stretched;
        self.rtp_sent += leg.rtp_sent;
        self.rtp_forwarded += leg.rtp_forwarded;
        self.silent_skipped += leg.silent_skipped;
    }
}
