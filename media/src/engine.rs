//! One conference's media (or the one-person "lobby" of a call in the IVR): per-leg RTP session,
//! jitter buffer, decoder and encoder (G.711, G.722 or Opus, see [`crate::codec`]), RFC 4733
//! receiver, talk detector, and the N−1 mixer, which runs at the widest codec's rate (8, 16 or
//! 48 kHz; see [`crate::mixer`]).
//!
//! # Driving it
//!
//! - Create with [`ConferenceEngine::with_seed`] (a random seed from the driver; `new()` uses 0
//!   and relies on the SSRCs for variety) and, once and then whenever convenient, give it the wall
//!   clock with [`ConferenceEngine::set_wallclock`]: SRs carry NTP time extrapolated from that
//!   anchor with the monotonic `now` (without it their NTP field is 0, as RFC 3550 §6.4.1 allows).
//! - Feed every datagram with [`ConferenceEngine::handle_rtp`] / [`ConferenceEngine::handle_rtcp`]
//!   as it arrives (RTCP arriving on the RTP port — rtcp-mux, RFC 5761 — is recognised and
//!   routed to the RTCP path).
//! - Every 20 ms, on an absolute schedule, call [`ConferenceEngine::tick`], then drain
//!   [`ConferenceEngine::poll_transmit`] until `None` (one RTP packet per leg and, every ~5 s per
//!   leg, one compound RTCP SR + SDES) and [`ConferenceEngine::poll_event`].
//! - Move a participant with [`ConferenceEngine::take_leg`] + [`ConferenceEngine::insert_leg`]:
//!   its SSRC, sequence numbers and timestamps continue (a gap longer than 60 ms advances the
//!   timestamp by the time elapsed and sets the marker bit, as after a pause).
//!
//! # Prompts and in-band DTMF (the IVR)
//!
//! - [`ConferenceEngine::play`] queues decoded clips (see [`crate::prompts`]) for one leg, which
//!   hears them added over its conference mix (a lone leg in a lobby hears only the prompt).
//!   Every `play` ends with exactly one [`MediaEvent::PlaybackFinished`]: when its last sample
//!   has been sent, when [`ConferenceEngine::stop_playback`] stops it, or when a later `play`
//!   replaces it (that event is queued by the replacing `play` itself, so it comes before any
//!   event of the new play: a driver that counts plays and finished events always knows which
//!   play ended). The one exception is a leg removed for good, which gets no event.
//! - A leg moved with `take_leg`/`insert_leg` keeps playing where it was, and keeps its in-band
//!   detection setting: both belong to the leg's state. The `PlaybackFinished` then comes from
//!   the engine the leg is in when the play ends.
//! - [`ConferenceEngine::set_inband_dtmf`] runs the ITU-T Q.24-style detector of
//!   [`crate::inband`] on the leg's decoded audio each tick; a key gives
//!   [`MediaEvent::InBandDigit`]. RFC 4733 digits stay [`MediaEvent::Dtmf`]: a gateway may send
//!   both for one key press, and the driver, which knows the call, merges the two.
//!
//! ```
//! use std::time::{Duration, Instant, SystemTime};
//! use media::{AudioCodec, ConferenceEngine, LegConfig, LegId, PacketKind};
//!
//! let t0 = Instant::now(); // the driver's clock; the engine only ever receives it
//! let mut engine = ConferenceEngine::with_seed(0x5EED);
//! engine.set_wallclock(t0, SystemTime::now());
//! let config = LegConfig {
//!     codec: AudioCodec::Pcmu,
//!     payload_type: 0,
//!     telephone_event_pt: Some(101),
//!     ptime_ms: 20,
//!     ssrc: 0x1234_5678,
//!     fmtp: None,
//! };
//! engine.add_leg(t0, LegId(1), config);
//! for k in 0..3u32 {
//!     let now = t0 + Duration::from_millis(20) * k;
//!     // … engine.handle_rtp(arrival, LegId(1), &datagram) for each datagram received …
//!     engine.tick(now);
//!     while let Some(packet) = engine.poll_transmit() {
//!         assert_eq!((packet.leg, packet.kind), (LegId(1), PacketKind::Rtp));
//!         // socket.send_to(packet.data, rtp_address_of(packet.leg))
//!     }
//!     while let Some(_event) = engine.poll_event() {
//!         // to the leg's call task
//!     }
//! }
//! ```
//!
//! Only 20 ms packets are sent, whatever `ptime` says; received packets of 10 to 60 ms are
//! played out by timestamp (Opus packets whole, up to 120 ms). RFC 3389 comfort noise (payload
//! type 13) marks the peer as silent: the frames it does not send are silence, not a loss. Nothing here allocates per tick: every buffer belongs to a leg and is
//! allocated by `add_leg` (the event queue is bounded), clips are shared `Arc`s read through a
//! cursor, and the in-band detector's window is a fixed array.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

pub use crate::codec::AudioCodec;
use crate::dtmf::EventPayload;
use crate::ids::Pt;
use crate::jitter::Arrival;
use crate::leg::LegState;
use crate::mixer::{AudioMixer, SampleRate};
use crate::playback::Step;
use crate::rtcp::{self, RtcpPacket, SenderInfo, WallClock};
use crate::rtp::{self, Demux};
use crate::stats::{EngineStats, LegStats};

/// A participant in an engine, chosen by the caller (the driver's call id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LegId(pub u64);

/// How a leg was negotiated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegConfig {
    /// Its codec.
    pub codec: AudioCodec,
    /// The codec's payload type in this session.
    pub payload_type: u8,
    /// Payload type of RFC 4733 telephone-event, if negotiated.
    pub telephone_event_pt: Option<u8>,
    /// Packet time in ms (20 by default). The engine sends 20 ms packets whatever this says and
    /// receives any packet time from 10 to 60 ms.
    pub ptime_ms: u32,
    /// The SSRC the bridge sends with on this leg.
    pub ssrc: u32,
    /// The peer's `a=fmtp` parameters for the codec (read for Opus: bit rate, FEC, DTX…).
    pub fmtp: Option<String>,
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
    /// A leg started or stopped talking (see [`crate::talk`]: 40 ms above the start level,
    /// 300 ms below the stop level).
    Talking {
        /// The leg.
        leg: LegId,
        /// Whether it talks now.
        talking: bool,
    },
    /// A [`ConferenceEngine::play`] ended: played to its end, stopped, or replaced by another
    /// `play` (exactly one per `play`, in the order of the plays).
    PlaybackFinished {
        /// The leg.
        leg: LegId,
    },
    /// A DTMF key detected as tones in the leg's audio (ITU-T Q.24 style; only while
    /// [`ConferenceEngine::set_inband_dtmf`] is on), reported once, at its start.
    InBandDigit {
        /// The leg.
        leg: LegId,
        /// `0`–`9`, `*`, `#`, `A`–`D`.
        digit: char,
    },
}

/// Events kept when the driver does not drain them; older ones are kept, newer dropped and
/// counted, so a stuck consumer cannot grow memory without bound.
const MAX_EVENTS: usize = 256;

/// The static payload type of RFC 3389 comfort noise (RFC 3551 table 4).
pub const COMFORT_NOISE_PT: u8 = 13;

/// CNAME used in SDES until [`ConferenceEngine::set_cname`] is called.
const DEFAULT_CNAME: &str = "pont";

/// One conference's media.
#[derive(Debug)]
pub struct ConferenceEngine {
    legs: Vec<LegState>,
    /// Position of each leg in `legs`.
    index: HashMap<LegId, usize>,
    mixer: AudioMixer,
    events: VecDeque<MediaEvent>,
    /// Next (leg × {RTP, RTCP}) position `poll_transmit` looks at.
    tx_cursor: usize,
    seed: u64,
    cname: Vec<u8>,
    /// A monotonic instant and the wall-clock time at that instant, for SR NTP times.
    wallclock: WallClock,
    ticks: u64,
    unknown_leg: u64,
    events_dropped: u64,
}

impl Default for ConferenceEngine {
    fn default() -> Self {
        Self::with_seed(0)
    }
}

impl ConferenceEngine {
    /// An empty engine with seed 0 (see [`ConferenceEngine::with_seed`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty engine whose legs' initial RTP sequence numbers and timestamps derive from
    /// `seed` (RFC 3550 §5.1 wants them random; the driver supplies the randomness).
    pub fn with_seed(seed: u64) -> Self {
        Self {
            legs: Vec::new(),
            index: HashMap::new(),
            mixer: AudioMixer::new(SampleRate::Hz8000),
            events: VecDeque::with_capacity(MAX_EVENTS),
            tx_cursor: 0,
            seed,
            cname: DEFAULT_CNAME.as_bytes().to_vec(),
            wallclock: WallClock::default(),
            ticks: 0,
            unknown_leg: 0,
            events_dropped: 0,
        }
    }

    /// Sets the SDES CNAME sent in every compound RTCP packet (RFC 3550 §6.5.1; at most 255
    /// bytes are used).
    pub fn set_cname(&mut self, cname: &str) {
        self.cname = cname.as_bytes().to_vec();
    }

    /// Anchors the wall clock: `wallclock` is the time of day at the monotonic instant `now`.
    /// The engine never reads a clock; later NTP times are `wallclock + (later − now)`.
    pub fn set_wallclock(&mut self, now: Instant, wallclock: SystemTime) {
        self.wallclock = WallClock::anchored(now, wallclock);
    }

    /// Add a participant (replacing the state of a leg with the same id, if any).
    pub fn add_leg(&mut self, now: Instant, leg: LegId, config: LegConfig) {
        let seed = self.seed ^ crate::rand::splitmix64(self.ticks ^ leg.0);
        self.insert_leg(now, LegState::new(now, leg, config, seed));
    }

    /// Applies a renegotiation (re-INVITE) to a leg, keeping its sequence numbers and timestamps
    /// when its SSRC is unchanged. Returns `false` if the leg is not here.
    pub fn reconfigure_leg(&mut self, leg: LegId, config: LegConfig) -> bool {
        match self.index.get(&leg) {
            Some(&i) => {
                if self.legs[i].reconfigure(config) {
                    self.mixer.register(&mut self.legs[i].mix);
                    self.retune();
                }
                true
            }
            None => false,
        }
    }

    /// Remove a participant for good (a prompt it was hearing ends without a
    /// [`MediaEvent::PlaybackFinished`]: there is no one left to tell).
    pub fn remove_leg(&mut self, leg: LegId) {
        self.take_leg(leg);
    }

    /// Takes a participant out, with all its state, to [`ConferenceEngine::insert_leg`] it into
    /// another engine. A packet still waiting for `poll_transmit` is discarded. A prompt being
    /// played goes with it and resumes where it was at the next tick of the engine it goes to;
    /// so does the in-band DTMF setting.
    pub fn take_leg(&mut self, leg: LegId) -> Option<LegState> {
        let i = self.index.remove(&leg)?;
        let mut state = self.legs.swap_remove(i);
        if let Some(moved) = self.legs.get(i) {
            self.index.insert(moved.id, i);
        }
        // Positions shifted: restart the transmit scan (already-taken packets have length 0).
        self.tx_cursor = 0;
        state.rtp_len = 0;
        state.rtcp_len = 0;
        self.retune();
        Some(state)
    }

    /// Sets the mixing rate to the widest codec present and re-registers every leg if it
    /// changed (allocates; only on joins, leaves and codec changes).
    fn retune(&mut self) {
        let rate = SampleRate::widest(self.legs.iter().map(|l| l.config.codec));
        if rate != self.mixer.rate() {
            self.mixer.set_rate(rate);
            for st in &mut self.legs {
                self.mixer.register(&mut st.mix);
            }
        }
    }

    /// Sets the complexity (0–10) of the Opus encoders of this engine (default
    /// [`crate::opus::DEFAULT_COMPLEXITY`]): legs here now and later follow it.
    pub fn set_opus_complexity(&mut self, complexity: u8) {
        self.mixer.set_opus_complexity(complexity);
        for st in &mut self.legs {
            self.mixer.register(&mut st.mix);
        }
    }

    /// The rate the engine mixes at now.
    pub fn mixing_rate(&self) -> u32 {
        self.mixer.rate().hz()
    }

    /// Puts a participant taken from another engine in (replacing a leg with the same id).
    pub fn insert_leg(&mut self, now: Instant, mut state: LegState) {
        self.take_leg(state.id);
        if state.next_sr < now {
            state.schedule_sr(now);
        }
        self.mixer.register(&mut state.mix);
        self.index.insert(state.id, self.legs.len());
        self.legs.push(state);
        self.retune();
    }

    /// Plays `clips` (8 kHz samples, converted to the leg's codec rate) back to back to `leg`, replacing what
    /// it was playing (which then ends with its own [`MediaEvent::PlaybackFinished`], queued
    /// now). The leg hears the clips added over its conference mix. Up to
    /// [`crate::playback::QUEUE_CAPACITY`] clips are queued without allocating. Returns `false`
    /// if the leg is not here.
    pub fn play(&mut self, leg: LegId, clips: &[Arc<[i16]>]) -> bool {
        let Some(&i) = self.index.get(&leg) else {
            return false;
        };
        if self.legs[i].playback.start(clips) {
            push_event(
                &mut self.events,
                &mut self.events_dropped,
                MediaEvent::PlaybackFinished { leg },
            );
        }
        true
    }

    /// Stops what `leg` is playing (barge-in); a play in progress ends with a
    /// [`MediaEvent::PlaybackFinished`], queued now. Returns whether something was playing.
    pub fn stop_playback(&mut self, leg: LegId) -> bool {
        let Some(&i) = self.index.get(&leg) else {
            return false;
        };
        let stopped = self.legs[i].playback.stop();
        if stopped {
            push_event(
                &mut self.events,
                &mut self.events_dropped,
                MediaEvent::PlaybackFinished { leg },
            );
        }
        stopped
    }

    /// Whether `leg` is here and a play of it has not ended yet.
    pub fn is_playing(&self, leg: LegId) -> bool {
        self.index
            .get(&leg)
            .is_some_and(|&i| self.legs[i].playback.is_active())
    }

    /// Turns in-band DTMF detection on `leg`'s audio on or off (off by default; the driver turns
    /// it on for the IVR). Turning it on starts from a clean detector. Returns `false` if the
    /// leg is not here.
    pub fn set_inband_dtmf(&mut self, leg: LegId, enabled: bool) -> bool {
        let Some(&i) = self.index.get(&leg) else {
            return false;
        };
        let st = &mut self.legs[i];
        if enabled && !st.inband_enabled {
            st.inband.reset();
        }
        st.inband_enabled = enabled;
        true
    }

    /// Feed a received RTP packet (an RTCP packet on a muxed port is handled as RTCP).
    /// Returns whether it was a well-formed RTP packet of a leg here, so the driver can latch
    /// symmetric RTP on it without parsing it a second time.
    pub fn handle_rtp(&mut self, now: Instant, leg: LegId, data: &[u8]) -> bool {
        match rtp::demux(data) {
            Demux::Rtcp => {
                self.handle_rtcp(now, leg, data);
                return false;
            }
            Demux::Rtp | Demux::Other => {}
        }
        let Some(&i) = self.index.get(&leg) else {
            self.unknown_leg += 1;
            return false;
        };
        let st = &mut self.legs[i];
        st.stats.rtp_received += 1;
        let Ok(packet) = rtp::parse(data) else {
            st.stats.rtp_malformed += 1;
            return false;
        };
        let h = packet.header;
        let audio = h.pt == Pt(st.config.payload_type);
        let arrival = st.arrival_units(now);
        st.reception
            .update(h.ssrc, h.seq, h.timestamp, arrival, audio);
        if Some(h.pt) == st.config.telephone_event_pt.map(Pt) {
            st.jitter.skip(h.ssrc, h.seq);
            let Ok(ev) = EventPayload::parse(packet.payload) else {
                st.stats.rtp_malformed += 1;
                return true;
            };
            if let Some(digit) = st.dtmf.handle(now, h.timestamp, &ev) {
                st.stats.dtmf_digits += 1;
                push_event(
                    &mut self.events,
                    &mut self.events_dropped,
                    MediaEvent::Dtmf { leg, digit },
                );
            }
        } else if audio {
            // Opus packets last what their TOC says; G.711/G.722 bytes are timestamp units.
            let duration = if st.config.codec.byte_framed() {
                Ok(packet.payload.len())
            } else {
                crate::opus::packet_samples(packet.payload)
            };
            match duration {
                Ok(duration) => {
                    st.jitter.offer(
                        now,
                        &Arrival {
                            ssrc: h.ssrc,
                            seq: h.seq,
                            ts: h.timestamp,
                            marker: h.marker,
                            payload: packet.payload,
                            duration: duration as u32,
                        },
                    );
                }
                Err(_) => {
                    st.stats.rtp_malformed += 1;
                    st.jitter.skip(h.ssrc, h.seq);
                }
            }
        } else if h.pt == Pt(COMFORT_NOISE_PT) {
            // RFC 3389: the peer went silent; its missing frames are silence, not loss.
            st.stats.comfort_noise += 1;
            st.comfort_noise = true;
            st.jitter.skip(h.ssrc, h.seq);
        } else {
            // Anything not negotiated: no audio, but not a loss either.
            st.stats.rtp_unknown_pt += 1;
            st.jitter.skip(h.ssrc, h.seq);
        }
        true
    }

    /// Feed a received RTCP packet.
    pub fn handle_rtcp(&mut self, now: Instant, leg: LegId, data: &[u8]) {
        let ntp_now = self.wallclock.at(now);
        let Some(&i) = self.index.get(&leg) else {
            self.unknown_leg += 1;
            return;
        };
        let st = &mut self.legs[i];
        st.stats.rtcp_received += 1;
        if data.len() < 4 {
            // Not even a common header (the iterator below would simply yield nothing).
            st.stats.rtcp_malformed += 1;
            return;
        }
        let ours = st.sender.ssrc;
        let blocks_seen = |blocks: rtcp::ReportBlocks<'_>, stats: &mut LegStats| {
            for b in blocks.filter(|b| b.ssrc == ours) {
                stats.remote_report = Some(b);
                if let Some(rtt) = ntp_now.and_then(|ntp| rtcp::round_trip(ntp, &b)) {
                    stats.rtt_1_65536 = Some(rtt);
                }
            }
        };
        for packet in rtcp::parse(data) {
            match packet {
                Err(_) => {
                    st.stats.rtcp_malformed += 1;
                    break;
                }
                Ok(RtcpPacket::SenderReport { info, blocks }) => {
                    st.reception.on_sender_report(info.ntp.middle32(), now);
                    blocks_seen(blocks, &mut st.stats);
                }
                Ok(RtcpPacket::ReceiverReport { blocks, .. }) => blocks_seen(blocks, &mut st.stats),
                // SDES, BYE and others carry nothing the mixer needs; the BYE's end of call
                // comes through SIP.
                Ok(_) => {}
            }
        }
    }

    /// Run one 20 ms mixing period: play one frame per leg, mix, queue one RTP packet per leg
    /// (and the RTCP reports that are due), and queue DTMF, talking and playback events.
    pub fn tick(&mut self, now: Instant) {
        self.ticks += 1;
        self.tx_cursor = 0;
        self.mixer.begin();
        for st in &mut self.legs {
            st.next_frame(now);
            let change = self.mixer.add(&mut st.mix);
            // The first concealed frame repeats the previous one with a fade: its phase jump and
            // slope would break a key in two, so a single lost packet is skipped (the detector
            // sees the tone resume); later missing frames are silence and are fed, so that a
            // phone that stops sending (DTX) releases the key it held.
            if st.inband_enabled && st.mix.missing() != 1 {
                let narrow = st.mix.narrow_input();
                if let Some(digit) = st.inband.push(narrow) {
                    push_event(
                        &mut self.events,
                        &mut self.events_dropped,
                        MediaEvent::InBandDigit { leg: st.id, digit },
                    );
                }
            }
            if let Some(digit) = st.dtmf.poll(now) {
                st.stats.dtmf_digits += 1;
                push_event(
                    &mut self.events,
                    &mut self.events_dropped,
                    MediaEvent::Dtmf { leg: st.id, digit },
                );
            }
            if let Some(talking) = change {
                push_event(
                    &mut self.events,
                    &mut self.events_dropped,
                    MediaEvent::Talking {
                        leg: st.id,
                        talking,
                    },
                );
            }
        }
        let ntp = self.wallclock.at(now);
        for i in 0..self.legs.len() {
            let st = &mut self.legs[i];
            let step = st.playback.step();
            let payload = match step {
                Step::Idle => self.mixer.payload(&mut st.mix),
                Step::Playing | Step::Finished => {
                    self.mixer.payload_over(&mut st.mix, st.playback.frame())
                }
            };
            let codec = st.config.codec;
            let header = st.sender.next_header(
                now,
                Pt(st.config.payload_type),
                codec.frame_units(),
                codec.clock_rate(),
            );
            if st.rtp_len != 0 {
                st.stats.tx_overwritten += 1;
            }
            st.rtp_len = match payload {
                Some(payload) => {
                    let n = rtp::write(&mut st.rtp_buf, &header, payload).unwrap_or(0);
                    if n != 0 {
                        st.sender.count(payload.len());
                        st.stats.rtp_sent += 1;
                    }
                    n
                }
                None => {
                    st.stats.encode_failed += 1;
                    0
                }
            };
            if step == Step::Finished {
                push_event(
                    &mut self.events,
                    &mut self.events_dropped,
                    MediaEvent::PlaybackFinished { leg: st.id },
                );
            }
            if now >= st.next_sr {
                st.schedule_sr(now);
                let info = SenderInfo {
                    ssrc: st.sender.ssrc,
                    ntp: ntp.unwrap_or_default(),
                    // The packet just queued was sampled "now": its timestamp is the SR's.
                    rtp_ts: header.timestamp,
                    packets: st.sender.packets,
                    octets: st.sender.octets,
                };
                let block = st.reception.report(now);
                if st.rtcp_len != 0 {
                    st.stats.tx_overwritten += 1;
                }
                st.rtcp_len =
                    rtcp::write_sr(&mut st.rtcp_buf, &info, block.as_slice(), &self.cname)
                        .unwrap_or(0);
                if st.rtcp_len != 0 {
                    st.stats.rtcp_sent += 1;
                }
            }
        }
    }

    /// The next packet to send (drain until `None` after every `tick`).
    pub fn poll_transmit(&mut self) -> Option<Packet<'_>> {
        while self.tx_cursor < self.legs.len() * 2 {
            let (i, is_rtcp) = (self.tx_cursor / 2, self.tx_cursor % 2 == 1);
            self.tx_cursor += 1;
            let st = &mut self.legs[i];
            let len = if is_rtcp {
                std::mem::take(&mut st.rtcp_len)
            } else {
                std::mem::take(&mut st.rtp_len)
            };
            if len > 0 {
                let st = &self.legs[i];
                let (kind, buf) = if is_rtcp {
                    (PacketKind::Rtcp, &st.rtcp_buf)
                } else {
                    (PacketKind::Rtp, &st.rtp_buf)
                };
                return Some(Packet {
                    leg: st.id,
                    kind,
                    data: &buf[..len],
                });
            }
        }
        None
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<MediaEvent> {
        self.events.pop_front()
    }

    /// Number of legs.
    pub fn len(&self) -> usize {
        self.legs.len()
    }

    /// Whether there is no leg.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a leg is in this engine.
    pub fn contains(&self, leg: LegId) -> bool {
        self.index.contains_key(&leg)
    }

    /// One leg's counters.
    pub fn leg_stats(&self, leg: LegId) -> Option<LegStats> {
        self.index.get(&leg).map(|&i| self.legs[i].stats())
    }

    /// The engine's counters: its own plus the sum over its current legs.
    pub fn stats(&self) -> EngineStats {
        let mut s = EngineStats {
            ticks: self.ticks,
            unknown_leg: self.unknown_leg,
            events_dropped: self.events_dropped,
            talkers: self.mixer.talkers(),
            ..EngineStats::default()
        };
        for st in &self.legs {
            s.add(&st.stats());
        }
        s
    }
}

/// Queues an event unless [`MAX_EVENTS`] are already waiting.
fn push_event(events: &mut VecDeque<MediaEvent>, dropped: &mut u64, ev: MediaEvent) {
    if events.len() >= MAX_EVENTS {
        *dropped += 1;
    } else {
        events.push_back(ev);
    }
}
