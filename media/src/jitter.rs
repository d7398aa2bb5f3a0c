//! The receive jitter buffer: a fixed ring of slots (vacant/occupied) keyed by RTP sequence
//! number (RFC 3550 §5.1, with wrap-around), played out by RTP timestamp, with an adaptive depth
//! driven by the interarrival jitter (RFC 3550 A.8).
//!
//! It reorders, drops duplicates and late packets, counts packets it had to skip as lost, and
//! resynchronises on an SSRC change, a sequence jump beyond its capacity, or a timestamp jump of
//! more than a second (a restarted sender). Two framings ([`Framing`]): in `Bytes` mode (G.711,
//! G.722) payload bytes are timestamp units, so a packet may hold several 20 ms frames or half of
//! one and [`JitterBuffer::pop`] plays exactly one frame per tick; in `Packets` mode (Opus) a
//! packet plays whole through [`JitterBuffer::pop_packet`], with a look-ahead at the next packet so
//! that a lost one can be rebuilt from in-band FEC.
//!
//! # Adaptation
//!
//! Time is measured in timestamp units: `units(now)` is the arrival clock at `clock_rate`, and a
//! packet's *transit* is `units(now) − ts`. Transit carries an unknown constant offset, so only
//! differences mean anything:
//!
//! - the **A.8 jitter** `J` (`J += (|ΔT| − J)/16` over consecutive arrivals);
//! - the **base transit**, a windowed minimum over the last one to two seconds (two one-second
//!   buckets), i.e. the transit of the fastest recent packets. It follows a sender whose clock
//!   runs fast or slow (drift moves every transit alike) within a second or two;
//! - each packet's **excess** `transit − base`: how much later than the fastest it came. Two
//!   memories of it: the largest excess of the last 10–20 s (two ten-second buckets, no decay),
//!   and a **peak** that decays linearly ([`PEAK_DECAY_PER_S`]) after that. A packet that
//!   arrives late raises both at once, so the target jumps on a spike, holds while spikes keep
//!   coming, and relaxes slowly when the network calms.
//!
//! The **need** is `max(2·J, recent largest excess, peak)`; the **target** is
//! `clamp(need + MARGIN, min_delay, max_delay)` and the **floor** `target − MARGIN`, but never
//! below the need (up to `max_delay`): the need itself unless `min_delay` lifts the target (then
//! `min_delay − MARGIN`, 15 ms by default), `min(need, max_delay)` at the top. (With the excess
//! held, `2·J` only covers jitter whose tail has not been seen yet; `3·J` overshoots a bounded
//! jitter.)
//! The **current delay** `D` is measured at each pop as `units(now) − base − ts_now`, where
//! `ts_now` is the timestamp about to play: how long the fastest packets wait in the buffer. A
//! packet with excess `e` is on time exactly when `e ≤ D`. With a steady playout clock `D` is
//! constant whatever the jitter; it moves only when playout is adjusted or when the base transit
//! moves (sender clock drift, a route change). The depth follows the target:
//!
//! - **stretch** when `D < floor`: one [`Pop::Missing`] (or [`PacketPop::Missing`]) without
//!   advancing playout, so `D` grows by one tick; the caller conceals it (counted `stretched`);
//! - **shrink** when `D − frame ≥ target`: one frame (packet, in `Packets` mode) is dropped, so
//!   `D` falls by one frame and stays at or above the target (`shrunk`).
//!
//! `D` therefore settles in `[floor, target + frame)` (in `Bytes` mode; a packet's duration
//! instead of the frame in `Packets` mode), a band one frame plus the margin wide, which jitter
//! noise does not cross, so a steady stream needs no adjustment at all. The margin is the
//! hysteresis between the two (a shrink leaves `D ≥ target`, 5 ms above the floor; a stretch
//! leaves it below `target + frame − 5 ms`), and it lies *below* the target: a buffer coming
//! down from a larger delay (the 60 ms start, a calmed network) stops in `[target, target +
//! frame)`, on a clean path `[20, 40)` ms, 30 ms on average over the packets' phase against the
//! tick. Only a sender clock running slow takes `D` under the target, down to the floor (and
//! below it by up to a second of drift, since the base transit moves once a second), where a
//! stretch takes it back up by one frame. At most one
//! adjustment happens per [`ADJUST_INTERVAL`], none in the first interval after playout (re)starts,
//! and only once its condition has held at every pop for [`ADJUST_HOLD`].
//! A sender clock 0.5 % fast or slow moves `D` by 5 ms a second: the buffer answers with one shrink
//! or stretch every four or five seconds, and the delay stays bounded, with single-tick
//! adjustments only.
//!
//! While the buffer holds nothing to play (a loss burst, a network spike, silence suppression),
//! adjustments are free, since those ticks are concealed anyway: the clock holds while
//! `D < floor`. A packet that arrives too late while the buffer is empty, or a marker bit (a
//! talkspurt after DTX) after the buffer has been empty for two ticks, **re-aligns** playout: the buffer primes again so that
//! this packet plays with `D` = target exactly (`realigned`). A lone late packet in a busy buffer
//! is dropped (and raises the target).
//!
//! The frame dropped by a shrink is simply the one due (the buffer does not look at the audio);
//! the caller may prefer to shrink during silence, which a future version could take as a hint.
//!
//! # Packets mode
//!
//! The caller pops when its decoded audio runs below one tick, so a 60 ms packet is popped once
//! every three ticks. Playout advances by what each pop hands out: a packet's duration, a lost
//! packet's duration (from the timestamps around it, never more than the last packet's), one tick
//! for a `Missing` while playing, nothing for a `Missing` while priming or stretching. A shrink
//! drops one whole packet, so with 60 ms packets it waits until the delay is 60 ms above target.
//!
//! # Memory
//!
//! All storage is allocated in [`JitterBuffer::with_config`]: [`CAPACITY`] slots of
//! `max_payload` bytes, i.e. 15 KiB per leg for G.711/G.722 (480-byte slots) and 47 KiB for Opus
//! (1500-byte slots), plus about 1 KiB of slot headers. Nothing is allocated afterwards.

use std::time::{Duration, Instant};

use crate::ids::{SeqNo, Ssrc};

/// Number of slots: 32 packets hold 320 ms of 10 ms packets, above the 200 ms maximum delay plus
/// reordering.
pub const CAPACITY: usize = 32;
/// Largest payload kept in the default (G.711) configuration: 60 ms at 8 kHz.
pub const MAX_PAYLOAD: usize = 480;
/// The delay the buffer aims at before it has measured anything (the first playout starts after
/// it); the target then adapts.
pub const PLAYOUT_DELAY: Duration = Duration::from_millis(60);
/// At most one stretch or shrink per this interval, and none in the first interval of playout.
pub const ADJUST_INTERVAL: Duration = Duration::from_millis(500);
/// A stretch or shrink condition must hold at every pop for this long: one late or early tick
/// of the caller (which moves the measured delay for one pop) adjusts nothing.
pub const ADJUST_HOLD: Duration = Duration::from_millis(100);
/// Added to the jitter-derived need: keeps the target just above the worst recent excess. It is
/// also the hysteresis between stretching (below the floor, `target − MARGIN`) and shrinking (a
/// frame above the target), so a shrink does not call a stretch.
pub const MARGIN: Duration = Duration::from_millis(5);
/// How fast the held peak excess decays, in milliseconds per second.
pub const PEAK_DECAY_PER_S: f64 = 5.0;
/// Length of one bucket of the windowed maximum excess (held without decay for 10 to 20 s, so
/// that spikes a few seconds apart keep the depth instead of pumping it).
const MAX_WINDOW: Duration = Duration::from_secs(10);
/// Length of one bucket of the windowed minimum transit.
const BASE_WINDOW: Duration = Duration::from_secs(1);

/// Empty pops before a marker bit counts as a talkspurt after silence (two ticks, 40 ms).
const MARKER_SILENCE: u32 = 2;

/// A packet this far behind the playout point is a restarted sender, not a late packet
/// (RFC 3550 A.1 `MAX_MISORDER`).
const MAX_MISORDER: i32 = 100;
/// A gap this large after a starved stretch is a restart, not loss (RFC 3550 A.1 `MAX_DROPOUT`).
const MAX_DROPOUT: i32 = 3000;

/// How payload maps to time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Payload bytes are timestamp units 1:1 (G.711; G.722, whose RTP clock is 8000 while it
    /// samples at 16 kHz, also has one byte per timestamp unit): a packet can be cut into frames.
    Bytes,
    /// Whole packets (Opus): a packet plays whole; its duration (timestamp units) is given at
    /// insert.
    Packets,
}

/// How a [`JitterBuffer`] is set up for one codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JitterConfig {
    /// RTP clock rate: 8000 for G.711 and G.722, 48000 for Opus.
    pub clock_rate: u32,
    /// Timestamp units in one 20 ms tick (160 or 960).
    pub frame_units: u32,
    /// How payload maps to time.
    pub framing: Framing,
    /// The lowest target delay (20 ms by default).
    pub min_delay: Duration,
    /// The highest target delay (200 ms by default).
    pub max_delay: Duration,
    /// The largest payload kept (480 for G.711, 1500 for Opus); larger packets are dropped.
    pub max_payload: usize,
}

impl JitterConfig {
    /// G.711 (PCMU/PCMA): 8 kHz, 20 ms ticks, byte framing, up to 60 ms packets.
    pub fn g711() -> Self {
        Self {
            clock_rate: 8000,
            frame_units: 160,
            framing: Framing::Bytes,
            min_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
            max_payload: MAX_PAYLOAD,
        }
    }

    /// G.722: its RTP clock is 8000 (RFC 3551 §4.5.2) and it carries one byte per timestamp unit,
    /// so it frames like G.711.
    pub fn g722() -> Self {
        Self::g711()
    }

    /// Opus (RFC 7587): 48 kHz clock, 20 ms ticks, whole packets of up to 1500 bytes.
    pub fn opus() -> Self {
        Self {
            clock_rate: 48_000,
            frame_units: 960,
            framing: Framing::Packets,
            max_payload: 1500,
            ..Self::g711()
        }
    }
}

/// Counters of what happened to the packets offered to the buffer and to the pops.
///
/// Every insert lands in exactly one of `stored`, `duplicate`, `late`, `oversized`; every pop in
/// exactly one of `played`, `concealed`, `stretched`, `waiting`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JitterStats {
    /// Packets stored.
    pub stored: u64,
    /// Packets already in the buffer (same sequence number), dropped.
    pub duplicate: u64,
    /// Packets that arrived after their playout time, dropped.
    pub late: u64,
    /// Sequence numbers skipped at playout because they never arrived in time.
    pub lost: u64,
    /// Pops that returned nothing while playing (lost or not yet arrived, starved, a timestamp
    /// gap): the caller conceals them. Stretches are counted apart, in `stretched`.
    pub concealed: u64,
    /// Restarts on an SSRC change or a sequence/timestamp jump.
    pub resyncs: u64,
    /// Packets whose payload was empty or larger than the configured maximum, or that lasted
    /// zero units or more than a quarter second, dropped.
    pub oversized: u64,
    /// Ticks inserted to grow the delay (a `Missing` pop that did not advance playout).
    pub stretched: u64,
    /// Frames (packets, in `Packets` mode) dropped to cut the delay.
    pub shrunk: u64,
    /// Pops that returned audio (a frame or a packet).
    pub played: u64,
    /// Pops before playout started (no packet yet, or priming).
    pub waiting: u64,
    /// Stored packets discarded unplayed by a resync, or found unplayable at their turn.
    pub flushed: u64,
    /// Playout re-aligned to the target without a resync: a marker bit or a late packet while the
    /// buffer was empty.
    pub realigned: u64,
}

/// What [`JitterBuffer::insert`] did with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Insert {
    /// Stored for playout.
    Stored,
    /// Stored after a restart of the buffer.
    Resynced,
    /// Dropped: a copy is already stored.
    Duplicate,
    /// Dropped: its playout time has passed.
    Late,
    /// Dropped: empty, too large, or of a duration that cannot be (zero, over a quarter second).
    Oversized,
}

/// What [`JitterBuffer::pop`] produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pop {
    /// This many bytes of the frame were written (the rest of the frame is silence).
    Frame(usize),
    /// Nothing to play: the caller conceals (repeat-with-fade or silence).
    Missing,
}

/// What [`JitterBuffer::pop_packet`] produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketPop {
    /// A packet of `len` bytes (in `out`) lasting `duration` units: decode it.
    Packet {
        /// Bytes written to `out`.
        len: usize,
        /// Timestamp units the packet lasts.
        duration: u32,
    },
    /// The packet due now never came: conceal `duration` units. If the packet after it is
    /// already here, its bytes are copied into `out` (`next = Some(len)`) but NOT consumed, so
    /// the caller can recover the lost one from its in-band FEC and still get it from the next
    /// pop. Playout advances by `duration`.
    Lost {
        /// Timestamp units to conceal.
        duration: u32,
        /// Length of the next packet copied into `out`, if it is here.
        next: Option<usize>,
    },
    /// Nothing to play (priming, starved, a timestamp gap, or a deliberate stretch): conceal one
    /// tick (`frame_units`). Playout advances by one tick, except while priming and for a
    /// stretch (that is how a stretch grows the delay).
    Missing,
}

/// One received RTP packet, for [`JitterBuffer::offer`].
#[derive(Debug, Clone, Copy)]
pub struct Arrival<'a> {
    /// Its SSRC.
    pub ssrc: Ssrc,
    /// Its sequence number.
    pub seq: SeqNo,
    /// Its RTP timestamp.
    pub ts: u32,
    /// The RTP marker bit: for audio, the first packet of a talkspurt (RFC 3551 §4.1).
    pub marker: bool,
    /// Its payload.
    pub payload: &'a [u8],
    /// Timestamp units it lasts (`Packets` mode; in `Bytes` mode the payload length is used).
    pub duration: u32,
}

/// What an occupied slot holds (its payload bytes stay in the buffer's `data`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Held {
    seq: SeqNo,
    ts: u32,
    /// Payload length; 0 marks a packet without audio (see [`JitterBuffer::skip`]).
    len: usize,
    /// Timestamp units it lasts.
    dur: u32,
}

/// Where the buffer is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No packet yet.
    Empty,
    /// Holding packets until the playout delay has passed.
    Priming { until: Instant },
    /// Playing out by timestamp (possibly with nothing to play).
    Playing,
}

/// The delay estimator: A.8 jitter, windowed minimum transit, windowed maximum and decaying
/// peak excess (see the module doc). All values in timestamp units.
#[derive(Debug, Clone)]
struct Estimator {
    jitter: f64,
    last_transit: Option<i64>,
    base_cur: Option<i64>,
    base_prev: Option<i64>,
    window_end: Option<Instant>,
    peak: f64,
    peak_at: Option<Instant>,
    /// The largest excess in the current and the previous [`MAX_WINDOW`] (no decay).
    max_cur: i64,
    max_prev: i64,
    max_end: Option<Instant>,
    /// Units per millisecond.
    per_ms: f64,
}

impl Estimator {
    fn new(clock_rate: u32, initial_peak: f64) -> Self {
        Self {
            jitter: 0.0,
            last_transit: None,
            base_cur: None,
            base_prev: None,
            window_end: None,
            peak: initial_peak,
            peak_at: None,
            max_cur: 0,
            max_prev: 0,
            max_end: None,
            per_ms: f64::from(clock_rate) / 1000.0,
        }
    }

    /// Forgets what depends on the sender's timestamp origin (kept: jitter and peak, which
    /// describe the network).
    fn reset_stream(&mut self) {
        self.last_transit = None;
        self.base_cur = None;
        self.base_prev = None;
        self.window_end = None;
        self.max_cur = 0;
        self.max_prev = 0;
        self.max_end = None;
    }

    /// The windowed minimum transit.
    fn base(&self) -> Option<i64> {
        match (self.base_cur, self.base_prev) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn decay(&mut self, now: Instant) {
        if let Some(at) = self.peak_at {
            let dt = now.saturating_duration_since(at).as_secs_f64();
            self.peak = (self.peak - PEAK_DECAY_PER_S * self.per_ms * dt).max(0.0);
        }
        self.peak_at = Some(now);
    }

    /// Takes one arrival's transit; returns its excess over the base.
    fn update(&mut self, now: Instant, transit: i64, cap: f64) -> i64 {
        if let Some(last) = self.last_transit {
            // A.8 with the sample capped, so that one sender clock pause cannot blow J up.
            let d = ((transit - last).abs() as f64).min(cap);
            self.jitter += (d - self.jitter) / 16.0;
        }
        self.last_transit = Some(transit);
        match self.window_end {
            Some(end) if now < end => {}
            Some(end) if now < end + BASE_WINDOW => {
                self.base_prev = self.base_cur;
                self.base_cur = None;
                self.window_end = Some(end + BASE_WINDOW);
            }
            _ => {
                self.base_prev = None;
                self.base_cur = None;
                self.window_end = Some(now + BASE_WINDOW);
            }
        }
        self.base_cur = Some(self.base_cur.map_or(transit, |b| b.min(transit)));
        let excess = transit - self.base().unwrap_or(transit);
        self.decay(now);
        self.peak = self.peak.max(excess as f64);
        match self.max_end {
            Some(end) if now < end => {}
            Some(end) if now < end + MAX_WINDOW => {
                self.max_prev = self.max_cur;
                self.max_cur = 0;
                self.max_end = Some(end + MAX_WINDOW);
            }
            _ => {
                self.max_prev = 0;
                self.max_cur = 0;
                self.max_end = Some(now + MAX_WINDOW);
            }
        }
        self.max_cur = self.max_cur.max(excess);
        excess
    }

    /// What the jitter needs, in units (before the margin and clamping).
    fn need(&self) -> f64 {
        let recent = self.max_cur.max(self.max_prev) as f64;
        (2.0 * self.jitter).max(self.peak).max(recent)
    }
}

/// An adaptive, fixed-capacity jitter buffer for one leg (no allocation after
/// [`JitterBuffer::with_config`]).
#[derive(Debug, Clone)]
pub struct JitterBuffer {
    config: JitterConfig,
    slots: Vec<Option<Held>>,
    /// `CAPACITY × max_payload` bytes: slot `i` owns `data[i*max_payload..]`.
    data: Vec<u8>,
    phase: Phase,
    ssrc: Option<Ssrc>,
    /// Sequence number of the packet to play next.
    next_seq: SeqNo,
    /// Timestamp of the next unit to play, and the same unwrapped (i64, for arithmetic).
    play_ts: u32,
    play_ext: i64,
    /// Origin of the arrival clock (the first packet ever).
    epoch: Option<Instant>,
    est: Estimator,
    /// Target, floor (the target less [`MARGIN`]: below it, stretch) and current delay in
    /// units, as of the last insert or pop.
    target: f64,
    floor: f64,
    current: i64,
    /// No stretch or shrink before this.
    next_adjust: Option<Instant>,
    /// Since when the delay has been below the floor / above the shrink threshold (one frame),
    /// at every pop: an adjustment needs [`ADJUST_HOLD`] of it.
    low_since: Option<Instant>,
    high_since: Option<Instant>,
    /// Duration of the last packet played (`Packets` mode), for guessing a lost one's.
    last_dur: u32,
    /// Consecutive pops that found the buffer empty (a marker re-aligns only after
    /// [`MARKER_SILENCE`] of them, so a sender that marks every packet does no harm).
    dry: u32,
    stats: JitterStats,
}

impl JitterBuffer {
    /// A `Bytes`-mode buffer at 8000 Hz popping frames of `frame` bytes (G.711 with default
    /// delays and payload limit).
    pub fn new(frame: usize) -> Self {
        let frame = frame.clamp(1, MAX_PAYLOAD) as u32;
        Self::with_config(JitterConfig {
            frame_units: frame,
            ..JitterConfig::g711()
        })
    }

    /// A buffer for `config` (zero values are raised to 1; `max_delay` is raised to `min_delay`).
    pub fn with_config(mut config: JitterConfig) -> Self {
        config.clock_rate = config.clock_rate.max(1);
        config.frame_units = config.frame_units.max(1);
        config.max_payload = config.max_payload.max(1);
        config.max_delay = config.max_delay.max(config.min_delay);
        let per_ms = f64::from(config.clock_rate) / 1000.0;
        let initial = PLAYOUT_DELAY.as_secs_f64() * 1000.0 * per_ms;
        let margin = MARGIN.as_secs_f64() * 1000.0 * per_ms;
        let mut jb = Self {
            config,
            slots: vec![None; CAPACITY],
            data: vec![0; CAPACITY * config.max_payload],
            phase: Phase::Empty,
            ssrc: None,
            next_seq: SeqNo(0),
            play_ts: 0,
            play_ext: 0,
            epoch: None,
            est: Estimator::new(config.clock_rate, (initial - margin).max(0.0)),
            target: 0.0,
            floor: 0.0,
            current: 0,
            next_adjust: None,
            low_since: None,
            high_since: None,
            last_dur: config.frame_units,
            dry: 0,
            stats: JitterStats::default(),
        };
        jb.retarget();
        jb
    }

    /// How the buffer was configured.
    pub fn config(&self) -> &JitterConfig {
        &self.config
    }

    /// The playout delay the buffer aims at now (adaptive, within `[min_delay, max_delay]`).
    pub fn target_delay(&self) -> Duration {
        self.to_duration(self.target)
    }

    /// The delay it currently plays at: how long the fastest recent packets wait before they
    /// play, as measured at the last pop (zero before playout starts).
    pub fn current_delay(&self) -> Duration {
        self.to_duration(self.current.max(0) as f64)
    }

    /// Counters so far.
    pub fn stats(&self) -> JitterStats {
        self.stats
    }

    fn to_duration(&self, units: f64) -> Duration {
        Duration::from_secs_f64(units.max(0.0) / f64::from(self.config.clock_rate))
    }

    fn units_of(&self, d: Duration) -> f64 {
        d.as_secs_f64() * f64::from(self.config.clock_rate)
    }

    /// Recomputes the target and the floor (the target less the margin, never below the need
    /// short of `max_delay`) from the estimator.
    fn retarget(&mut self) {
        let (lo, hi) = (
            self.units_of(self.config.min_delay),
            self.units_of(self.config.max_delay),
        );
        let (need, margin) = (self.est.need(), self.units_of(MARGIN));
        self.target = (need + margin).clamp(lo, hi);
        self.floor = (self.target - margin).max(need.min(hi));
    }

    /// The arrival clock in timestamp units.
    fn units(&self, now: Instant) -> i64 {
        let Some(epoch) = self.epoch else { return 0 };
        let ns = now.saturating_duration_since(epoch).as_nanos();
        (ns * u128::from(self.config.clock_rate) / 1_000_000_000) as i64
    }

    /// A timestamp unwrapped next to the playout point.
    fn ext(&self, ts: u32) -> i64 {
        self.play_ext + i64::from(ts.wrapping_sub(self.play_ts) as i32)
    }

    /// Moves the playout point by `n` units.
    fn advance(&mut self, n: u32) {
        self.play_ts = self.play_ts.wrapping_add(n);
        self.play_ext += i64::from(n);
    }

    /// Moves the playout point to `ts`.
    fn jump_to(&mut self, ts: u32) {
        self.play_ext = self.ext(ts);
        self.play_ts = ts;
    }

    /// Notes a packet of this stream that carries no audio (a telephone-event, comfort noise, an
    /// unknown payload type): its sequence number is passed over at playout instead of being
    /// counted as lost. It never starts or restarts playout.
    pub fn skip(&mut self, ssrc: Ssrc, seq: SeqNo) {
        let d = seq.delta(self.next_seq);
        if self.phase == Phase::Empty
            || self.ssrc != Some(ssrc)
            || !(0..CAPACITY as i32).contains(&d)
        {
            return;
        }
        if !self.is_stored(seq) {
            self.slots[index(seq)] = Some(Held {
                seq,
                ts: 0,
                len: 0,
                dur: 0,
            });
        }
    }

    /// Offers a received packet (`Bytes` mode; in `Packets` mode it lasts one tick).
    pub fn insert(
        &mut self,
        now: Instant,
        ssrc: Ssrc,
        seq: SeqNo,
        ts: u32,
        payload: &[u8],
    ) -> Insert {
        let duration = self.config.frame_units;
        self.insert_packet(now, ssrc, seq, ts, payload, duration)
    }

    /// Packets mode: insert a packet lasting `duration` timestamp units (from the Opus TOC).
    pub fn insert_packet(
        &mut self,
        now: Instant,
        ssrc: Ssrc,
        seq: SeqNo,
        ts: u32,
        payload: &[u8],
        duration: u32,
    ) -> Insert {
        self.offer(
            now,
            &Arrival {
                ssrc,
                seq,
                ts,
                marker: false,
                payload,
                duration,
            },
        )
    }

    /// Offers a received packet with all it carries (the marker bit included): what
    /// [`insert`](Self::insert) and [`insert_packet`](Self::insert_packet) call.
    pub fn offer(&mut self, now: Instant, a: &Arrival<'_>) -> Insert {
        let dur = match self.config.framing {
            Framing::Bytes => a.payload.len() as u32,
            Framing::Packets => a.duration,
        };
        // Opus packets last at most 120 ms; anything over a quarter second is garbage.
        let too_long = dur > (self.config.clock_rate / 4).max(1);
        if a.payload.is_empty() || a.payload.len() > self.config.max_payload || dur == 0 || too_long
        {
            self.stats.oversized += 1;
            return Insert::Oversized;
        }
        if self.epoch.is_none() {
            self.epoch = Some(now);
        }
        let (seq, ts) = (a.seq, a.ts);
        if self.ssrc.is_some_and(|s| s != a.ssrc) {
            return self.resync(now, a, dur);
        }
        let d = seq.delta(self.next_seq);
        if (0..CAPACITY as i32).contains(&d) && self.phase != Phase::Empty && self.is_stored(seq) {
            self.stats.duplicate += 1;
            return Insert::Duplicate;
        }
        let ahead = ts.wrapping_sub(self.play_ts) as i32;
        let rate = i32::try_from(self.config.clock_rate).unwrap_or(i32::MAX);
        // More than a second away from the playout point: a jump, not jitter.
        let jump = ahead.unsigned_abs() > rate.unsigned_abs();
        match self.phase {
            Phase::Empty => {
                self.prime(now, a.ssrc, seq, ts);
                self.observe(now, ts);
            }
            Phase::Priming { .. } => {
                if d < 0 && !jump && self.fits_before(seq) {
                    // Reordered before the first packet seen: playout starts from it instead.
                    self.next_seq = seq;
                    if ahead < 0 {
                        self.jump_to(ts);
                    }
                } else if d < -MAX_MISORDER || d >= CAPACITY as i32 || ahead > rate {
                    return self.resync(now, a, dur);
                } else if d < 0 || ahead.saturating_add(dur as i32) <= 0 {
                    // Behind the first packet by sequence or by timestamp: it can never play.
                    self.observe(now, ts);
                    self.stats.late += 1;
                    return Insert::Late;
                }
                self.observe(now, ts);
            }
            Phase::Playing => {
                if jump || d < -MAX_MISORDER {
                    return self.resync(now, a, dur);
                }
                let excess = self.observe(now, ts);
                if d < 0 {
                    self.stats.late += 1;
                    return Insert::Late;
                }
                let late = ahead.saturating_add(dur as i32) <= 0;
                if self.nearest_audio(0).is_none() {
                    // Nothing buffered: a gap of any size up to MAX_DROPOUT is loss or silence.
                    if d >= MAX_DROPOUT {
                        return self.resync(now, a, dur);
                    }
                    if late || (a.marker && self.dry >= MARKER_SILENCE) {
                        // Playout restarts at this packet: what came before it is gone.
                        self.pass_to(seq);
                        self.realign(now, ts, excess);
                    } else if d >= CAPACITY as i32 {
                        self.pass_to(seq);
                    }
                } else if d >= CAPACITY as i32 {
                    return self.resync(now, a, dur);
                } else if late {
                    self.stats.late += 1;
                    return Insert::Late;
                }
            }
        }
        self.store(seq, ts, a.payload, dur)
    }

    /// Feeds one arrival to the estimator; returns its excess transit (units).
    fn observe(&mut self, now: Instant, ts: u32) -> i64 {
        let transit = self.units(now) - self.ext(ts);
        let cap = self.units_of(self.config.max_delay);
        let excess = self.est.update(now, transit, cap);
        self.retarget();
        excess
    }

    /// Whether moving the start back to `seq` keeps every stored packet within the ring.
    fn fits_before(&self, seq: SeqNo) -> bool {
        let back = self.next_seq.delta(seq);
        back > 0
            && (0..CAPACITY as u16).all(|k| {
                let s = self.next_seq.forward(k);
                !self.is_stored(s) || s.delta(seq) < CAPACITY as i32
            })
    }

    fn is_stored(&self, seq: SeqNo) -> bool {
        self.held(seq).is_some()
    }

    /// What the slot of `seq` holds if it holds `seq`.
    fn held(&self, seq: SeqNo) -> Option<Held> {
        self.slots[index(seq)].filter(|h| h.seq == seq)
    }

    fn payload(&self, seq: SeqNo, len: usize) -> &[u8] {
        let start = index(seq) * self.config.max_payload;
        &self.data[start..start + len]
    }

    fn store(&mut self, seq: SeqNo, ts: u32, payload: &[u8], dur: u32) -> Insert {
        if self.is_stored(seq) {
            self.stats.duplicate += 1;
            return Insert::Duplicate;
        }
        let start = index(seq) * self.config.max_payload;
        self.data[start..start + payload.len()].copy_from_slice(payload);
        self.slots[index(seq)] = Some(Held {
            seq,
            ts,
            len: payload.len(),
            dur,
        });
        self.stats.stored += 1;
        Insert::Stored
    }

    /// Empties the ring, counting the audio packets discarded.
    fn flush(&mut self) {
        for slot in &mut self.slots {
            if slot.take().is_some_and(|h| h.len > 0) {
                self.stats.flushed += 1;
            }
        }
    }

    /// Starts a stream at this packet: playout after the target delay.
    fn prime(&mut self, now: Instant, ssrc: Ssrc, seq: SeqNo, ts: u32) {
        self.flush();
        self.est.reset_stream();
        self.ssrc = Some(ssrc);
        self.next_seq = seq;
        self.play_ts = ts;
        self.play_ext = 0;
        self.phase = Phase::Priming {
            until: now + self.target_delay(),
        };
    }

    fn resync(&mut self, now: Instant, a: &Arrival<'_>, dur: u32) -> Insert {
        self.stats.resyncs += 1;
        self.prime(now, a.ssrc, a.seq, a.ts);
        self.observe(now, a.ts);
        self.store(a.seq, a.ts, a.payload, dur);
        Insert::Resynced
    }

    /// Re-anchors playout (buffer empty) so that a packet at `ts` with this excess plays at the
    /// target delay.
    fn realign(&mut self, now: Instant, ts: u32, excess: i64) {
        self.stats.realigned += 1;
        self.jump_to(ts);
        let wait = (self.target - excess as f64).max(0.0);
        self.phase = Phase::Priming {
            until: now + self.to_duration(wait),
        };
    }

    /// Moves `next_seq` forward to `seq` over an empty stretch, counting the audio packets
    /// passed as lost (no-audio markers are not).
    fn pass_to(&mut self, seq: SeqNo) {
        let d = seq.delta(self.next_seq);
        if d <= 0 {
            return;
        }
        let mut lost = d as u64;
        for k in 0..(d as u16).min(CAPACITY as u16) {
            let s = self.next_seq.forward(k);
            if let Some(h) = self.held(s) {
                self.slots[index(s)] = None;
                if h.len == 0 {
                    lost -= 1;
                }
            }
        }
        self.stats.lost += lost;
        self.next_seq = seq;
    }

    /// Distance from `next_seq` (at least `from`) to, and timestamp of, the first stored audio
    /// packet.
    fn nearest_audio(&self, from: u16) -> Option<(u16, u32)> {
        (from..CAPACITY as u16).find_map(|k| {
            let s = self.next_seq.forward(k);
            self.held(s).filter(|h| h.len > 0).map(|h| (k, h.ts))
        })
    }

    /// Common start of both pops: measures the delay, and returns `true` when the pop is a
    /// `Missing` (waiting, starved, or a stretch), with its counter already taken.
    fn begin_pop(&mut self, now: Instant) -> bool {
        match self.phase {
            Phase::Empty => {
                self.stats.waiting += 1;
                return true;
            }
            Phase::Priming { until } if now < until => {
                self.stats.waiting += 1;
                return true;
            }
            Phase::Priming { .. } => {
                if let Some(h) = self.held(self.next_seq).filter(|h| h.len > 0) {
                    self.jump_to(h.ts);
                }
                self.phase = Phase::Playing;
                self.next_adjust = Some(now + ADJUST_INTERVAL);
                self.dry = 0;
            }
            Phase::Playing => {}
        }
        self.est.decay(now);
        self.retarget();
        self.current = self.units(now) - self.est.base().unwrap_or(0) - self.play_ext;
        let d = self.current as f64;
        let high = d - f64::from(self.config.frame_units) >= self.target;
        self.low_since = (d < self.floor).then(|| self.low_since.unwrap_or(now));
        self.high_since = high.then(|| self.high_since.unwrap_or(now));
        if self.nearest_audio(0).is_none() {
            // Starved or silent: hold the clock while below the floor (a free stretch).
            self.dry = self.dry.saturating_add(1);
            self.stats.concealed += 1;
            if self.current as f64 >= self.floor {
                self.advance(self.config.frame_units);
            }
            return true;
        }
        self.dry = 0;
        if self.may_adjust(now) && held(self.low_since, now) {
            self.stats.stretched += 1;
            self.next_adjust = Some(now + ADJUST_INTERVAL);
            return true;
        }
        false
    }

    fn may_adjust(&self, now: Instant) -> bool {
        self.next_adjust.is_none_or(|t| now >= t)
    }

    /// Whether dropping `units` now keeps the delay at or above the target.
    fn should_shrink(&self, now: Instant, units: u32) -> bool {
        self.may_adjust(now)
            && held(self.high_since, now)
            && (self.current - i64::from(units)) as f64 >= self.target
    }

    /// Plays one frame into `out` (at least `frame_units` bytes long; a shorter `out` is filled
    /// as far as it goes). `Bytes` mode; in `Packets` mode use [`pop_packet`](Self::pop_packet).
    pub fn pop(&mut self, now: Instant, out: &mut [u8]) -> Pop {
        if self.begin_pop(now) {
            return Pop::Missing;
        }
        let frame = self.config.frame_units;
        if self.should_shrink(now, frame) {
            self.stats.shrunk += 1;
            self.next_adjust = Some(now + ADJUST_INTERVAL);
            self.take(None, frame as usize);
        }
        let want = (frame as usize).min(out.len());
        let filled = self.take(Some(out), want);
        // Keep the playout clock on frame boundaries even when the frame was short.
        self.advance((frame as usize - filled) as u32);
        if filled == 0 {
            self.stats.concealed += 1;
            return Pop::Missing;
        }
        self.stats.played += 1;
        Pop::Frame(filled)
    }

    /// Plays up to `want` units from the playout point into `out` (or discards them if `out` is
    /// `None`); returns how many units were taken (the playout point moved by as many).
    fn take(&mut self, mut out: Option<&mut [u8]>, want: usize) -> usize {
        let mut filled = 0;
        while filled < want {
            let seq = self.next_seq;
            match self.held(seq) {
                Some(Held { len: 0, .. }) => {
                    // A no-audio marker (see `skip`): pass over its sequence number.
                    self.slots[index(seq)] = None;
                    self.next_seq = seq.next();
                }
                Some(Held { ts, len, .. }) => {
                    let offset = self.play_ts.wrapping_sub(ts) as i32;
                    if offset < 0 {
                        // The next packet starts later (a timestamp gap): play silence up to it.
                        break;
                    }
                    let offset = offset as usize;
                    if offset >= len {
                        // Its timestamp is already behind the playout point: it can never play.
                        self.slots[index(seq)] = None;
                        self.next_seq = seq.next();
                        self.stats.flushed += 1;
                        continue;
                    }
                    let n = (len - offset).min(want - filled);
                    if let Some(out) = out.as_deref_mut() {
                        let start = index(seq) * self.config.max_payload + offset;
                        out[filled..filled + n].copy_from_slice(&self.data[start..start + n]);
                    }
                    filled += n;
                    self.advance(n as u32);
                    if offset + n >= len {
                        self.slots[index(seq)] = None;
                        self.next_seq = seq.next();
                    }
                }
                None => match self.nearest_audio(1) {
                    Some((k, ts)) if self.play_ts.wrapping_sub(ts) as i32 >= 0 => {
                        // A later packet is due: the ones before it are lost.
                        self.pass_to(self.next_seq.forward(k));
                    }
                    _ => break,
                },
            }
        }
        filled
    }

    /// Packets mode: the next packet due this tick, copied into `out` (a shorter `out` gets the
    /// packet's first bytes). Call it whenever the decoded audio runs below one tick.
    pub fn pop_packet(&mut self, now: Instant, out: &mut [u8]) -> PacketPop {
        if self.begin_pop(now) {
            return PacketPop::Missing;
        }
        let frame = self.config.frame_units;
        let mut shrink_checked = false;
        loop {
            let seq = self.next_seq;
            let Some(h) = self.held(seq) else {
                let Some((k, ts)) = self.nearest_audio(1) else {
                    self.stats.concealed += 1;
                    self.advance(frame);
                    return PacketPop::Missing;
                };
                let gap = ts.wrapping_sub(self.play_ts) as i32;
                if gap <= 0 {
                    // The later packet is already due: the ones before it are lost.
                    self.pass_to(seq.forward(k));
                    continue;
                }
                // Spread the gap over the missing packets; never more than one packet's worth.
                let duration = (gap as u32 / u32::from(k)).clamp(1, self.last_dur.max(frame));
                self.stats.lost += 1;
                self.stats.concealed += 1;
                self.next_seq = seq.next();
                self.advance(duration);
                let next = match self.held(self.next_seq) {
                    Some(n) if n.len > 0 && n.ts == self.play_ts => {
                        let len = n.len.min(out.len());
                        out[..len].copy_from_slice(self.payload(n.seq, len));
                        Some(len)
                    }
                    _ => None,
                };
                return PacketPop::Lost { duration, next };
            };
            if h.len == 0 {
                self.slots[index(seq)] = None;
                self.next_seq = seq.next();
                continue;
            }
            let ahead = h.ts.wrapping_sub(self.play_ts) as i32;
            if ahead >= (frame / 2).max(1) as i32 {
                // A timestamp gap (silence suppression): conceal up to it, one tick at a time.
                self.stats.concealed += 1;
                self.advance(frame.min(ahead as u32));
                return PacketPop::Missing;
            }
            if ahead.saturating_add(h.dur as i32) <= 0 {
                self.slots[index(seq)] = None;
                self.next_seq = seq.next();
                self.stats.flushed += 1;
                continue;
            }
            self.slots[index(seq)] = None;
            self.next_seq = seq.next();
            // Play from the packet's own timestamp (a small misalignment is absorbed here).
            self.jump_to(h.ts);
            self.advance(h.dur);
            if !shrink_checked && self.should_shrink(now, h.dur) {
                shrink_checked = true;
                self.stats.shrunk += 1;
                self.next_adjust = Some(now + ADJUST_INTERVAL);
                self.current -= i64::from(h.dur);
                continue;
            }
            let len = h.len.min(out.len());
            out[..len].copy_from_slice(self.payload(seq, len));
            self.last_dur = h.dur;
            self.stats.played += 1;
            return PacketPop::Packet {
                len,
                duration: h.dur,
            };
        }
    }
}

/// Whether a condition seen since `since` has lasted [`ADJUST_HOLD`] at `now`.
fn held(since: Option<Instant>, now: Instant) -> bool {
    since.is_some_and(|t| now.saturating_duration_since(t) >= ADJUST_HOLD)
}

/// The slot of a sequence number.
fn index(seq: SeqNo) -> usize {
    usize::from(seq.0) % CAPACITY
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS20: Duration = Duration::from_millis(20);

    fn pkt(seq: u16) -> [u8; 160] {
        [seq as u8; 160]
    }

    #[test]
    fn primes_then_plays_in_order() {
        let t0 = crate::test_t0();
        let mut jb = JitterBuffer::new(160);
        let mut out = [0u8; 160];
        assert_eq!(
            jb.insert(t0, Ssrc(1), SeqNo(10), 1600, &pkt(10)),
            Insert::Stored
        );
        assert_eq!(jb.pop(t0 + MS20, &mut out), Pop::Missing);
        jb.insert(t0 + MS20, Ssrc(1), SeqNo(11), 1760, &pkt(11));
        assert_eq!(jb.pop(t0 + PLAYOUT_DELAY, &mut out), Pop::Frame(160));
        assert_eq!(out[0], 10);
        assert_eq!(jb.pop(t0 + PLAYOUT_DELAY + MS20, &mut out), Pop::Frame(160));
        assert_eq!(out[0], 11);
        assert_eq!(
            jb.pop(t0 + PLAYOUT_DELAY + MS20 * 2, &mut out),
            Pop::Missing
        );
        assert_eq!(jb.stats().concealed, 1);
    }

    #[test]
    fn long_packets_span_frames_and_short_ones_join() {
        let t0 = crate::test_t0();
        let mut jb = JitterBuffer::new(160);
        let mut out = [0u8; 160];
        let mut long = [1u8; 480];
        long[160..320].fill(2);
        long[320..].fill(3);
        jb.insert(t0, Ssrc(1), SeqNo(0), 0, &long);
        jb.insert(t0, Ssrc(1), SeqNo(1), 480, &[4; 80]);
        jb.insert(t0, Ssrc(1), SeqNo(2), 560, &[5; 80]);
        let t = t0 + PLAYOUT_DELAY;
        for want in 1..=3 {
            assert_eq!(jb.pop(t, &mut out), Pop::Frame(160));
            assert_eq!(out[0], want);
        }
        assert_eq!(jb.pop(t, &mut out), Pop::Frame(160));
        assert_eq!((out[0], out[159]), (4, 5));
    }

    #[test]
    fn ssrc_change_and_jumps_resync() {
        let t0 = crate::test_t0();
        let mut jb = JitterBuffer::new(160);
        let mut out = [0u8; 160];
        jb.insert(t0, Ssrc(1), SeqNo(0), 0, &pkt(0));
        jb.pop(t0 + PLAYOUT_DELAY, &mut out);
        assert_eq!(
            jb.insert(t0, Ssrc(2), SeqNo(500), 9, &pkt(1)),
            Insert::Resynced
        );
        assert_eq!(
            jb.insert(t0, Ssrc(2), SeqNo(600), 9, &pkt(1)),
            Insert::Resynced
        );
        jb.pop(t0 + PLAYOUT_DELAY * 2, &mut out);
        // Sequence continues but the timestamp jumps by 10 s of silence suppression.
        assert_eq!(
            jb.insert(t0, Ssrc(2), SeqNo(601), 80_009, &pkt(1)),
            Insert::Resynced
        );
        assert_eq!(jb.stats().resyncs, 3);
        // The sender restarts its sequence numbers 1000 lower with the same SSRC.
        jb.pop(t0 + PLAYOUT_DELAY * 3, &mut out);
        assert_eq!(
            jb.insert(t0, Ssrc(2), SeqNo(65000), 80_169, &pkt(1)),
            Insert::Resynced
        );
    }

    #[test]
    fn wraps_sequence_numbers() {
        let t0 = crate::test_t0();
        let mut jb = JitterBuffer::new(160);
        let mut out = [0u8; 160];
        let mut ts = 0u32;
        for (i, seq) in (65533u16..=65535).chain(0..5).enumerate() {
            let now = t0 + MS20 * i as u32;
            jb.insert(now, Ssrc(1), SeqNo(seq), ts, &pkt(seq));
            ts += 160;
            if i >= 3 {
                assert!(matches!(jb.pop(now, &mut out), Pop::Frame(160)));
            }
        }
        assert_eq!(jb.stats().lost + jb.stats().late, 0);
    }

    #[test]
    fn a_packet_stamped_before_the_playout_point_is_dropped_as_late() {
        // Found by the `rtp` fuzz target: seq 1 carries an older timestamp than seq 0.
        let t0 = crate::test_t0();
        let mut jb = JitterBuffer::new(160);
        let mut out = [0u8; 160];
        jb.insert(t0, Ssrc(1), SeqNo(0), 100_000, &pkt(0));
        jb.insert(t0, Ssrc(1), SeqNo(1), 5, &pkt(1));
        jb.insert(t0, Ssrc(1), SeqNo(2), 100_160, &pkt(2));
        let t = t0 + PLAYOUT_DELAY;
        assert_eq!(jb.pop(t, &mut out), Pop::Frame(160));
        assert_eq!(jb.pop(t, &mut out), Pop::Frame(160));
        assert_eq!(out[0], 2);
        assert_eq!(jb.stats().late, 1);
    }

    #[test]
    fn skipped_sequence_numbers_are_not_lost() {
        let t0 = crate::test_t0();
        let mut jb = JitterBuffer::new(160);
        let mut out = [0u8; 160];
        jb.insert(t0, Ssrc(1), SeqNo(0), 0, &pkt(0));
        jb.skip(Ssrc(1), SeqNo(1));
        jb.skip(Ssrc(1), SeqNo(2));
        jb.insert(t0, Ssrc(1), SeqNo(3), 160, &pkt(3));
        let t = t0 + PLAYOUT_DELAY;
        assert_eq!(jb.pop(t, &mut out), Pop::Frame(160));
        assert_eq!(jb.pop(t, &mut out), Pop::Frame(160));
        assert_eq!(out[0], 3);
        assert_eq!(jb.stats().lost, 0);
    }

    #[test]
    fn presets() {
        assert_eq!(JitterConfig::g711().frame_units, 160);
        assert_eq!(JitterConfig::g722(), JitterConfig::g711());
        let opus = JitterConfig::opus();
        assert_eq!((opus.clock_rate, opus.frame_units), (48_000, 960));
        assert_eq!((opus.framing, opus.max_payload), (Framing::Packets, 1500));
        assert_eq!(*JitterBuffer::new(160).config(), JitterConfig::g711());
        assert_eq!(JitterBuffer::new(160).target_delay(), PLAYOUT_DELAY);
    }

    #[test]
    fn floor_is_the_target_less_the_margin_but_never_below_the_need() {
        let mut jb = JitterBuffer::new(160);
        let ms = |jb: &JitterBuffer, units: f64| units / jb.units_of(Duration::from_millis(1));
        // (need, target, floor) in ms: the minimum lifts the target and the floor with it; in
        // range the floor is the need; at the top the floor keeps the need up to the maximum.
        for (need, target, floor) in [
            (3.0, 20.0, 15.0),
            (12.0, 20.0, 15.0),
            (40.0, 45.0, 40.0),
            (197.0, 200.0, 197.0),
            (260.0, 200.0, 200.0),
        ] {
            jb.est.peak = need * jb.units_of(Duration::from_millis(1));
            jb.retarget();
            assert_eq!(
                (ms(&jb, jb.target), ms(&jb, jb.floor)),
                (target, floor),
                "need {need}"
            );
        }
    }
}
