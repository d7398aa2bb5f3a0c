//! One participant's media state: its sending RTP state, receive statistics, jitter buffer,
//! RFC 4733 receiver, mixer buffers and packet buffers. It is a value so that a participant can
//! be moved from one engine to another (lobby → conference) with its sequence numbers and
//! timestamps continuing, and without reallocating anything.

use std::time::{Duration, Instant};

use crate::dtmf::DtmfReceiver;
use crate::engine::{AudioCodec, LegConfig, LegId};
use crate::g711::Law;
use crate::ids::Ssrc;
use crate::inband::InbandDetector;
use crate::jitter::{JitterBuffer, MAX_PAYLOAD};
use crate::mixer::{MixChannel, SampleRate};
use crate::playback::Playback;
use crate::reception::ReceptionStats;
use crate::rtp::{RtpSender, HEADER_LEN};
use crate::stats::LegStats;

/// Mean RTCP report interval (RFC 3550 §6.2 minimum of 5 s).
pub const RTCP_INTERVAL: Duration = Duration::from_secs(5);
/// Room for one compound SR (one report block) + SDES with a CNAME of up to 255 bytes.
const RTCP_BUF: usize = 28 + 24 + 12 + 256;
/// Ticks without talking before a `Talking { talking: false }` event (300 ms), so the event does
/// not flap between words. The mix itself uses the raw per-frame decision.
pub(crate) const TALK_HANGOVER: u32 = 15;

/// A participant's media state, as moved between engines by `take_leg` / `insert_leg`.
#[derive(Debug, Clone)]
pub struct LegState {
    pub(crate) id: LegId,
    pub(crate) config: LegConfig,
    pub(crate) sender: RtpSender,
    pub(crate) reception: ReceptionStats,
    pub(crate) jitter: JitterBuffer,
    pub(crate) dtmf: DtmfReceiver,
    pub(crate) mix: MixChannel,
    pub(crate) stats: LegStats,
    /// Origin of the arrival clock in timestamp units (for the A.8 jitter).
    pub(crate) epoch: Instant,
    /// When the next SR is due.
    pub(crate) next_sr: Instant,
    /// State of the RTCP interval randomisation.
    pub(crate) rng: u64,
    /// Talking as last reported in an event, and ticks since the leg last talked.
    pub(crate) talking: bool,
    pub(crate) quiet_ticks: u32,
    /// The prompts being played to the leg (they keep playing when it moves).
    pub(crate) playback: Playback,
    /// In-band DTMF detection on the leg's decoded audio, when enabled (the IVR phase).
    pub(crate) inband: InbandDetector,
    pub(crate) inband_enabled: bool,
    /// One frame popped from the jitter buffer.
    pub(crate) frame: Vec<u8>,
    /// The RTP packet waiting for `poll_transmit` (length 0: none).
    pub(crate) rtp_buf: Vec<u8>,
    pub(crate) rtp_len: usize,
    /// The RTCP packet waiting for `poll_transmit` (length 0: none).
    pub(crate) rtcp_buf: Vec<u8>,
    pub(crate) rtcp_len: usize,
}

impl LegState {
    /// Fresh state for a leg joining at `now`; `seed` spreads into its initial sequence number,
    /// timestamp and RTCP timing.
    pub(crate) fn new(now: Instant, id: LegId, config: LegConfig, seed: u64) -> Self {
        let rate = SampleRate::Hz8000;
        let frame = rate.frame_samples();
        let law = law_of(config.codec);
        let rng = crate::rand::splitmix64(seed ^ id.0.rotate_left(32));
        let mut leg = Self {
            id,
            sender: RtpSender::new(Ssrc(config.ssrc), rng),
            config,
            reception: ReceptionStats::default(),
            jitter: JitterBuffer::new(frame),
            dtmf: DtmfReceiver::default(),
            mix: MixChannel::new(law, rate),
            stats: LegStats::default(),
            epoch: now,
            next_sr: now,
            rng,
            talking: false,
            quiet_ticks: 0,
            playback: Playback::new(frame),
            inband: InbandDetector::new(),
            inband_enabled: false,
            frame: vec![law.silence(); frame],
            rtp_buf: vec![0; HEADER_LEN + MAX_PAYLOAD],
            rtp_len: 0,
            rtcp_buf: vec![0; RTCP_BUF],
            rtcp_len: 0,
        };
        leg.schedule_sr(now);
        leg
    }

    /// The leg's id.
    pub fn id(&self) -> LegId {
        self.id
    }

    /// How the leg was negotiated.
    pub fn config(&self) -> &LegConfig {
        &self.config
    }

    /// Its counters, with the jitter buffer's and the receive statistics' folded in.
    pub fn stats(&self) -> LegStats {
        LegStats {
            jitter: self.jitter.stats(),
            interarrival_jitter: self.reception.jitter(),
            ..self.stats
        }
    }

    /// Applies a new negotiation (re-INVITE) without losing the sending state when the SSRC
    /// stays the same.
    pub(crate) fn reconfigure(&mut self, config: LegConfig) {
        if config.ssrc != self.config.ssrc {
            self.sender = RtpSender::new(Ssrc(config.ssrc), self.rng);
        }
        let law = law_of(config.codec);
        if law != self.mix.law() {
            self.mix = MixChannel::new(law, SampleRate::Hz8000);
            self.frame.fill(law.silence());
        }
        self.config = config;
    }

    /// Next SR at `now` + the interval randomised over [0.5, 1.5] of its mean (RFC 3550 §6.3.1),
    /// so that legs that joined together do not report in bursts.
    pub(crate) fn schedule_sr(&mut self, now: Instant) {
        self.rng = crate::rand::splitmix64(self.rng);
        let factor_ms = 500 + self.rng % 1000;
        self.next_sr = now + RTCP_INTERVAL * factor_ms as u32 / 1000;
    }

    /// Arrival time in 8 kHz timestamp units since the leg's epoch (wraps like RTP timestamps).
    pub(crate) fn arrival_units(&self, now: Instant) -> u32 {
        let ns = now.saturating_duration_since(self.epoch).as_nanos();
        (ns * 8000 / 1_000_000_000) as u32
    }
}

/// The G.711 law of a codec.
pub(crate) fn law_of(codec: AudioCodec) -> Law {
    match codec {
        AudioCodec::Pcmu => Law::Ulaw,
        AudioCodec::Pcma => Law::Alaw,
    }
}
