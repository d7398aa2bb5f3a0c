//! One participant's media state: its sending RTP state, receive statistics, jitter buffer,
//! RFC 4733 receiver, mixer buffers and packet buffers. It is a value so that a participant can
//! be moved from one engine to another (lobby → conference) with its sequence numbers and
//! timestamps continuing, and without reallocating anything.

use std::time::{Duration, Instant};

use crate::codec::AudioCodec;
use crate::dtmf::DtmfReceiver;
use crate::engine::{LegConfig, LegId};
use crate::ids::Ssrc;
use crate::inband::InbandDetector;
use crate::jitter::{JitterBuffer, JitterConfig, PacketPop, Pop};
use crate::mixer::{MixChannel, SampleRate};
use crate::playback::Playback;
use crate::reception::ReceptionStats;
use crate::rtp::{RtpSender, HEADER_LEN};
use crate::stats::LegStats;

/// Mean RTCP report interval (RFC 3550 §6.2 minimum of 5 s).
pub const RTCP_INTERVAL: Duration = Duration::from_secs(5);
/// Room for one compound SR (one report block) + SDES with a CNAME of up to 255 bytes.
const RTCP_BUF: usize = 28 + 24 + 12 + 256;
/// Largest RTP payload handled (received or sent): an Opus packet of up to 120 ms at a high
/// bit rate fits, and nothing on an Ethernet path is larger.
pub const MAX_PAYLOAD: usize = 1500;
/// Most 20 ms frames of loss concealed for one lost packet (a lost 120 ms Opus packet).
const MAX_CONCEALED_PER_LOSS: u32 = 6;

/// A participant's media state, as moved between engines by `take_leg` / `insert_leg`.
#[derive(Debug)]
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
    /// The last audio packet was RFC 3389 comfort noise: the peer is silent, and missing
    /// frames are silence rather than a loss to conceal.
    pub(crate) comfort_noise: bool,
    /// Timestamp units of lost packets not concealed yet (less than a frame; Packets mode).
    pub(crate) lost_units: u32,
    /// The prompts being played to the leg (they keep playing when it moves).
    pub(crate) playback: Playback,
    /// In-band DTMF detection on the leg's decoded audio, when enabled (the IVR phase).
    pub(crate) inband: InbandDetector,
    pub(crate) inband_enabled: bool,
    /// One frame (or packet) popped from the jitter buffer.
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
        let rng = crate::rand::splitmix64(seed ^ id.0.rotate_left(32));
        let jitter = jitter_for(&config);
        let mix = MixChannel::new(
            config.codec,
            config.fmtp.as_deref(),
            SampleRate::of(config.codec),
        );
        let mut leg = Self {
            id,
            sender: RtpSender::new(Ssrc(config.ssrc), rng),
            config,
            reception: ReceptionStats::default(),
            jitter,
            dtmf: DtmfReceiver::default(),
            mix,
            stats: LegStats::default(),
            epoch: now,
            next_sr: now,
            rng,
            comfort_noise: false,
            lost_units: 0,
            // Prompts are 8 kHz clips whatever the codec (converted on the way out).
            playback: Playback::new(160),
            inband: InbandDetector::new(),
            inband_enabled: false,
            frame: vec![0; MAX_PAYLOAD],
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
            decode_errors: self.mix.decode_errors(),
            rtp_forwarded: self.mix.forwarded(),
            silent_skipped: self.mix.skipped(),
            ..self.stats
        }
    }

    /// Applies a new negotiation (re-INVITE) without losing the sending state when the SSRC
    /// stays the same. Returns whether the codec (or its parameters) changed, in which case the
    /// leg has new codec state that its engine must register with its mixer.
    pub(crate) fn reconfigure(&mut self, config: LegConfig) -> bool {
        if config.ssrc != self.config.ssrc {
            self.sender = RtpSender::new(Ssrc(config.ssrc), self.rng);
        }
        let changed = config.codec != self.config.codec || config.fmtp != self.config.fmtp;
        if changed {
            let mut mix = MixChannel::new(
                config.codec,
                config.fmtp.as_deref(),
                SampleRate::of(config.codec),
            );
            mix.keep_counters_of(&self.mix);
            self.mix = mix;
            self.jitter = jitter_for(&config);
            self.comfort_noise = false;
        }
        self.config = config;
        changed
    }

    /// Produces this tick's frame in the leg's mix channel: from the jitter buffer, decoded, or
    /// concealed when nothing is due.
    pub(crate) fn next_frame(&mut self, now: Instant) {
        self.mix.begin_frame();
        if self.config.codec.byte_framed() {
            match self.jitter.pop(now, &mut self.frame) {
                Pop::Frame(n) => {
                    self.comfort_noise = false;
                    self.mix.load(&self.frame[..n]);
                }
                Pop::Missing if self.comfort_noise => self.mix.silence(),
                Pop::Missing => self.mix.conceal(),
            }
            return;
        }
        // Whole packets (Opus): decode as many as needed for one frame.
        while !self.mix.fifo_ready() {
            match self.jitter.pop_packet(now, &mut self.frame) {
                PacketPop::Packet { len, .. } => {
                    self.comfort_noise = false;
                    self.lost_units = 0;
                    let packet = &self.frame[..len];
                    // In-band DTMF needs every frame decoded.
                    if self.inband_enabled || !self.mix.skip_silent_packet(packet) {
                        self.mix.decode_packet(packet);
                    }
                }
                PacketPop::Lost { duration, next } => {
                    // Conceal what the lost packets lasted, in whole frames: a burst the buffer
                    // already played through as `Missing` comes back as several `Lost` of a
                    // fraction of a frame each, which must not each cost a frame (that would add
                    // the burst's length to the delay). The remainder waits for the next loss.
                    let frame = self.config.codec.frame_units();
                    self.lost_units = self.lost_units.saturating_add(duration);
                    let frames = (self.lost_units / frame).min(MAX_CONCEALED_PER_LOSS);
                    self.lost_units -= frames * frame;
                    match next {
                        // One lost 20 ms frame: its copy rides in the next packet's FEC.
                        Some(len) if frames == 1 => {
                            self.mix.recover_packet(Some(&self.frame[..len]))
                        }
                        _ => (0..frames).for_each(|_| self.mix.recover_packet(None)),
                    }
                    if frames == MAX_CONCEALED_PER_LOSS {
                        // A very long loss: the playout clock has moved on, forget the rest.
                        self.lost_units = 0;
                    }
                }
                PacketPop::Missing => break,
            }
        }
        if self.mix.fifo_ready() {
            self.mix.load_from_fifo();
        } else if self.comfort_noise {
            self.mix.silence();
        } else {
            self.mix.conceal();
        }
    }

    /// Next SR at `now` + the interval randomised over [0.5, 1.5] of its mean (RFC 3550 §6.3.1),
    /// so that legs that joined together do not report in bursts.
    pub(crate) fn schedule_sr(&mut self, now: Instant) {
        self.next_sr = now + report_interval(&mut self.rng, RTCP_INTERVAL);
    }

    /// Arrival time in the codec's RTP clock units since the leg's epoch (wraps like RTP
    /// timestamps).
    pub(crate) fn arrival_units(&self, now: Instant) -> u32 {
        let ns = now.saturating_duration_since(self.epoch).as_nanos();
        (ns * u128::from(self.config.codec.clock_rate()) / 1_000_000_000) as u32
    }
}

/// An RTCP report interval: `mean` randomised over [0.5, 1.5] of itself (RFC 3550 §6.3.1), in
/// whole milliseconds, from the next state of `rng`. Shared by the audio legs and the video ones.
pub(crate) fn report_interval(rng: &mut u64, mean: Duration) -> Duration {
    *rng = crate::rand::splitmix64(*rng);
    let factor_ms = 500 + *rng % 1000;
    mean * factor_ms as u32 / 1000
}

/// The jitter buffer for a leg's codec.
fn jitter_for(config: &LegConfig) -> JitterBuffer {
    JitterBuffer::with_config(match config.codec {
        AudioCodec::Pcmu | AudioCodec::Pcma => JitterConfig::g711(),
        AudioCodec::G722 => JitterConfig::g722(),
        AudioCodec::Opus => JitterConfig::opus(),
    })
}
