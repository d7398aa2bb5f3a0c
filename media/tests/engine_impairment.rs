//! The whole [`ConferenceEngine`] (jitter buffer, decoder, concealment, mixer, encoder) under a
//! simulated network, driven as the mixer thread drives it: a sender leg (PCMU, or Opus made
//! with [`OpusEncoder`]) sends a continuous 400 Hz tone with a 100 ms marker burst at 1600 Hz
//! every 2 s; every packet crosses a network simulated with a seeded PRNG (arrival = send time on
//! the sender's drifting clock + a base delay + a random delay, Bernoulli or Gilbert–Elliott
//! loss, reordering from the jitter or from held-back packets); the engine ticks every 20 ms of
//! fake time; a listener leg's RTP (PCMU, or Opus for the long Opus runs; drained with
//! `poll_transmit`) is decoded and analysed:
//!
//! - **gaps**: 20 ms output frames more than [`GAP_DB`] below the steady level of the tone;
//! - **delay**: from the capture of each marker's first sample at the sender to its onset in
//!   the listener's output (played at the tick that sent it), less the constant part of the
//!   network transit ([`BASE_MS`]), which the bridge cannot change;
//! - **counters**: `leg_stats` of the sender leg against what the network did.
//!
//! Every bound is stated next to its assert with its reason; failing asserts show the figures.

mod support;

use std::time::Duration;

use media::g711::Law;
use media::goertzel::{power, tone, total_db};
use media::opus::{OpusDecoder, OpusEncoder, OpusParams};
use media::{AudioCodec, ConferenceEngine, LegId, LegStats, PacketKind};
use support::{config, packet, t0, TICK};

/// The steady tone and its amplitude (−12 dBFS).
const TONE_HZ: f64 = 400.0;
const AMPLITUDE: f64 = 0.25;
/// The marker: the tone is replaced by this frequency, same amplitude, for [`MARKER_MS`] every
/// [`MARKER_EVERY_MS`] (first onset at 1 s). 400 and 1600 Hz are whole numbers of cycles in a
/// 5 ms block, so the two Goertzel filters do not see each other.
const MARKER_HZ: f64 = 1600.0;
const MARKER_MS: f64 = 100.0;
const MARKER_EVERY_MS: f64 = 2000.0;
/// A frame this far below the steady level is a gap (the "far below": 20 dB). A G.711
/// frame concealed by the faded repeat is about 5 dB down and is not a gap; silence is.
const GAP_DB: f64 = 20.0;
/// Constant part of the network transit (every packet takes at least this long).
const BASE_MS: f64 = 10.0;
/// The sender's capture clock starts this far off the tick grid, so arrivals do not coincide
/// with ticks.
const SENDER_PHASE_MS: f64 = 7.3;
/// Ticks in a minute of fake time.
const TICKS_PER_MINUTE: usize = 3000;

/// The jitter buffer's largest target delay (media::jitter::JitterConfig::g711/opus).
const JB_MAX_MS: f64 = 200.0;
/// Upper bound of the measured delay. The buffer's delay `D` counts from the fastest packets'
/// arrival, i.e. from capture + packetization + [`BASE_MS`], so the measured delay is `D` plus
/// 20 ms of packetization (a marker's first sample waits for its packet's last one) plus the
/// codec path. `D` stays below the largest target (200 ms) plus the one frame (20 ms) and 5 ms
/// of hysteresis the buffer tolerates before shrinking; 10 ms cover the codec path and the
/// measurement (Opus look-ahead 6.5 ms, the 48→8 kHz converter, the 5 ms analysis block).
const DELAY_MAX_MS: f64 = JB_MAX_MS + 20.0 + 5.0 + 20.0 + 10.0;

/// SplitMix64: a small seeded PRNG of our own.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Clone, Copy, Debug)]
enum Loss {
    None,
    /// Each packet lost with this probability.
    Bernoulli(f64),
    /// Gilbert–Elliott: good→bad and bad→good probabilities per packet; all lost while bad.
    Bursty {
        to_bad: f64,
        to_good: f64,
    },
}

#[derive(Clone, Copy, Debug)]
struct Scenario {
    /// The sender's codec.
    codec: AudioCodec,
    /// The listener's codec (PCMU: with an Opus sender the engine mixes at 48 kHz and converts).
    listener: AudioCodec,
    /// Length of the analysed run.
    ticks: usize,
    loss: Loss,
    /// Extra delay uniform in [0, jitter_ms] on top of [`BASE_MS`].
    jitter_ms: f64,
    /// Probability that a packet is held back 25–45 ms more, behind the next one or two.
    reorder: f64,
    /// Sender clock error (0.005: its clock runs 0.5 % fast).
    drift: f64,
    seed: u64,
}

impl Scenario {
    fn new(codec: AudioCodec, minutes: usize) -> Self {
        Self {
            codec,
            listener: AudioCodec::Pcmu,
            ticks: minutes * TICKS_PER_MINUTE,
            loss: Loss::None,
            jitter_ms: 0.0,
            reorder: 0.0,
            drift: 0.0,
            seed: 7,
        }
    }
}

/// One marker as the listener heard it.
#[derive(Clone, Copy, Debug)]
struct Marker {
    /// When its first sample was captured (ms after t0).
    captured_ms: f64,
    /// Capture to onset in the listener's output, less [`BASE_MS`].
    delay_ms: f64,
}

/// What a run measured.
#[derive(Debug)]
struct Figures {
    /// Packets the sender sent, and those the network dropped, up to the last played one.
    sent: u64,
    dropped: u64,
    /// Analysed output frames, and how many of them were gaps.
    frames: usize,
    gaps: usize,
    /// Markers sent within the analysed span (whose first packet was not dropped), and those
    /// found in the output.
    markers_sent: usize,
    markers: Vec<Marker>,
    /// The sender leg's counters.
    stats: LegStats,
    steady_db: f64,
}

impl Figures {
    fn gap_share(&self) -> f64 {
        self.gaps as f64 / self.frames as f64
    }

    fn loss_share(&self) -> f64 {
        self.dropped as f64 / self.sent as f64
    }

    fn delays(&self) -> Vec<f64> {
        let mut d: Vec<f64> = self.markers.iter().map(|m| m.delay_ms).collect();
        d.sort_by(f64::total_cmp);
        d
    }

    fn delay_p50(&self) -> f64 {
        let d = self.delays();
        d.get(d.len() / 2).copied().unwrap_or(f64::NAN)
    }

    fn delay_max(&self) -> f64 {
        self.delays().last().copied().unwrap_or(f64::NAN)
    }

    fn delay_min(&self) -> f64 {
        self.delays().first().copied().unwrap_or(f64::NAN)
    }

    /// Mean delay of the markers captured in `[from_ms, to_ms)`.
    fn mean_delay(&self, from_ms: f64, to_ms: f64) -> f64 {
        let d: Vec<f64> = self
            .markers
            .iter()
            .filter(|m| (from_ms..to_ms).contains(&m.captured_ms))
            .map(|m| m.delay_ms)
            .collect();
        d.iter().sum::<f64>() / d.len().max(1) as f64
    }

    /// A one-line summary for assert messages.
    fn summary(&self) -> String {
        format!(
            "gaps {}/{} = {:.3} %, net loss {}/{} = {:.3} %, delay min/p50/max \
             {:.1}/{:.1}/{:.1} ms, markers {}/{}, steady {:.1} dBFS, {:?}",
            self.gaps,
            self.frames,
            100.0 * self.gap_share(),
            self.dropped,
            self.sent,
            100.0 * self.loss_share(),
            self.delay_min(),
            self.delay_p50(),
            self.delay_max(),
            self.markers.len(),
            self.markers_sent,
            self.steady_db,
            self.stats.jitter,
        )
    }
}

/// The sender's signal at `rate` (8000 or 48000): one period of the tone and of the marker,
/// computed once (both are whole numbers of samples at either rate), then indexed.
struct Signal {
    rate: usize,
    steady: Vec<i16>,
    marker: Vec<i16>,
}

impl Signal {
    fn new(rate: usize) -> Self {
        let r = rate as f64;
        let period = |f: f64| (r / f) as usize;
        Self {
            rate,
            steady: tone(TONE_HZ, r, AMPLITUDE, 0, period(TONE_HZ)),
            marker: tone(MARKER_HZ, r, AMPLITUDE, 0, period(MARKER_HZ)),
        }
    }

    /// Samples `[start, start + out.len())`.
    fn fill(&self, start: usize, out: &mut [i16]) {
        let marker_len = (MARKER_MS * self.rate as f64 / 1000.0) as usize;
        let every = (MARKER_EVERY_MS * self.rate as f64 / 1000.0) as usize;
        let first = self.rate;
        for (i, o) in out.iter_mut().enumerate() {
            let s = start + i;
            let in_marker = s >= first && (s - first) % every < marker_len;
            *o = if in_marker {
                self.marker[s % self.marker.len()]
            } else {
                self.steady[s % self.steady.len()]
            };
        }
    }
}

/// A phone's codec, sending or hearing 20 ms packets.
enum Coder {
    Pcmu,
    Opus(Box<OpusEncoder>, Box<OpusDecoder>),
}

impl Coder {
    fn new(codec: AudioCodec) -> Self {
        match codec {
            AudioCodec::Pcmu => Coder::Pcmu,
            AudioCodec::Opus => Coder::Opus(
                Box::new(OpusEncoder::new(&OpusParams::default()).unwrap()),
                Box::new(OpusDecoder::new().unwrap()),
            ),
            other => panic!("no test phone for {other:?}"),
        }
    }

    /// Encodes one 20 ms frame.
    fn encode(&mut self, pcm: &[i16]) -> Vec<u8> {
        match self {
            Coder::Pcmu => {
                let mut out = vec![0u8; pcm.len()];
                Law::Ulaw.encode(pcm, &mut out);
                out
            }
            Coder::Opus(enc, _) => {
                let mut out = Vec::new();
                enc.encode(pcm, &mut out).unwrap();
                out
            }
        }
    }

    /// Decodes one packet's payload, appending to `out`.
    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) {
        match self {
            Coder::Pcmu => {
                let start = out.len();
                out.resize(start + payload.len(), 0);
                Law::Ulaw.decode(payload, &mut out[start..]);
            }
            Coder::Opus(_, dec) => {
                dec.decode(payload, out)
                    .expect("the engine sends valid Opus");
            }
        }
    }
}

const SENDER: LegId = LegId(1);
const LISTENER: LegId = LegId(2);

/// Runs a scenario and measures it.
fn run(sc: &Scenario) -> Figures {
    let t0 = t0();
    let mut rng = Rng(sc.seed);
    let clock = 1.0 + sc.drift;
    let codec = sc.codec;
    let pt = config(codec, 0).payload_type;
    let run_ms = sc.ticks as f64 * 20.0;
    // The sender sends 1 s past the end so that a slow sender does not run dry first.
    let packets = ((run_ms + 1000.0) * clock / 20.0) as usize;
    let mut sender = Coder::new(codec);
    let signal = Signal::new(codec.sample_rate() as usize);
    let mut pcm = vec![0i16; codec.frame_samples()];
    // Every packet's arrival (ns after t0, seq), then sorted: reordering falls out of it.
    let mut arrivals: Vec<(u64, usize)> = Vec::with_capacity(packets);
    let mut datagrams: Vec<Vec<u8>> = Vec::with_capacity(packets);
    // The packets the network dropped (seq, send time), in order.
    let mut dropped: Vec<(usize, f64)> = Vec::new();
    let mut bad = false;
    // The signal repeats every marker period: past a first period of warm-up, an encoder in
    // its steady state encodes each period alike, so a second period of payloads is encoded and
    // then looped (libopus is most of an Opus run's time).
    let period = (MARKER_EVERY_MS / 20.0) as usize;
    let mut payloads: Vec<Vec<u8>> = Vec::with_capacity(2 * period);
    for k in 0..packets {
        let payload = if k < 2 * period {
            signal.fill(k * pcm.len(), &mut pcm);
            payloads.push(sender.encode(&pcm));
            &payloads[k]
        } else {
            &payloads[period + k % period]
        };
        datagrams.push(packet(
            pt,
            0x5E4D,
            k as u16,
            (k as u32).wrapping_mul(codec.frame_units()),
            k == 0,
            payload,
        ));
        // Sent when its last sample has been captured, on the sender's clock.
        let sent_ms = SENDER_PHASE_MS + (k + 1) as f64 * 20.0 / clock;
        let lost = match sc.loss {
            Loss::None => false,
            Loss::Bernoulli(p) => rng.unit() < p,
            Loss::Bursty { to_bad, to_good } => {
                let u = rng.unit();
                bad = if bad { u >= to_good } else { u < to_bad };
                bad
            }
        };
        let mut delay = BASE_MS + rng.unit() * sc.jitter_ms;
        if rng.unit() < sc.reorder {
            delay += 25.0 + 20.0 * rng.unit();
        }
        if lost {
            dropped.push((k, sent_ms));
        } else {
            arrivals.push((((sent_ms + delay) * 1e6) as u64, k));
        }
    }
    arrivals.sort_unstable();

    let mut engine = ConferenceEngine::with_seed(sc.seed);
    engine.add_leg(t0, SENDER, config(codec, 0xB1));
    engine.add_leg(t0, LISTENER, config(sc.listener, 0xB2));
    let mut listener = Coder::new(sc.listener);
    let frame = sc.listener.frame_samples();
    let mut heard: Vec<i16> = Vec::with_capacity(sc.ticks * frame);
    let mut next = 0;
    for j in 0..sc.ticks {
        let now = t0 + TICK * j as u32;
        while next < arrivals.len() && t0 + Duration::from_nanos(arrivals[next].0) <= now {
            let (at, k) = arrivals[next];
            engine.handle_rtp(t0 + Duration::from_nanos(at), SENDER, &datagrams[k]);
            next += 1;
        }
        engine.tick(now);
        let mut got = 0;
        while let Some(p) = engine.poll_transmit() {
            if p.leg == LISTENER && p.kind == PacketKind::Rtp {
                let parsed = media::rtp::parse(p.data).expect("the engine sends valid RTP");
                listener.decode(parsed.payload, &mut heard);
                got += 1;
            }
        }
        assert_eq!(got, 1, "one packet per tick for the listener (tick {j})");
        assert_eq!(heard.len(), (j + 1) * frame, "20 ms per packet (tick {j})");
        while engine.poll_event().is_some() {}
    }
    let stats = engine.leg_stats(SENDER).expect("the sender leg is there");
    analyse(sc, &heard, stats, &dropped)
}

/// Finds gaps and marker onsets in what the listener heard.
fn analyse(sc: &Scenario, heard: &[i16], stats: LegStats, dropped: &[(usize, f64)]) -> Figures {
    let clock = 1.0 + sc.drift;
    let rate = sc.listener.sample_rate() as usize;
    let frames: Vec<&[i16]> = heard.chunks(rate / 50).collect();
    // Skip the first second (priming, the codecs' start) and the last 10 ticks.
    let (from, to) = (50, frames.len() - 10);
    let mut levels: Vec<f64> = frames[from..to].iter().map(|f| total_db(f)).collect();
    levels.sort_by(f64::total_cmp);
    let steady_db = levels[levels.len() / 2];
    let gaps = frames[from..to]
        .iter()
        .filter(|f| total_db(f) < steady_db - GAP_DB)
        .count();

    // Marker onsets: a 5 ms block where the marker dominates and is loud, after 20 ms without.
    let loud = 10f64.powf((steady_db - 10.0) / 10.0);
    let block = rate / 200;
    let present: Vec<bool> = heard
        .chunks(block)
        .map(|b| {
            let m = power(b, MARKER_HZ, rate as f64);
            m > loud && m > power(b, TONE_HZ, rate as f64)
        })
        .collect();
    let onsets: Vec<f64> = (4..present.len())
        .filter(|&b| present[b] && !present[b - 4..b].iter().any(|&p| p))
        .map(|b| b as f64 * 5.0)
        .collect();
    let mut markers = Vec::new();
    let mut markers_sent = 0;
    let end_ms = to as f64 * 20.0;
    for m in 0.. {
        let captured_ms = SENDER_PHASE_MS + (1000.0 + m as f64 * MARKER_EVERY_MS) / clock;
        if captured_ms + DELAY_MAX_MS + 100.0 > end_ms {
            break;
        }
        // A marker whose first packet was dropped starts late in the output (or not at all):
        // that measures the loss, not the delay, so it is left out.
        let first_packet = (1000.0 + m as f64 * MARKER_EVERY_MS) as usize / 20;
        let first_dropped = dropped
            .binary_search_by_key(&first_packet, |&(k, _)| k)
            .is_ok();
        if captured_ms < from as f64 * 20.0 || first_dropped {
            continue;
        }
        markers_sent += 1;
        // The first onset after the capture, within half a marker period.
        if let Some(&at) = onsets
            .iter()
            .find(|&&o| o >= captured_ms && o < captured_ms + MARKER_EVERY_MS / 2.0)
        {
            markers.push(Marker {
                captured_ms,
                delay_ms: at - captured_ms - BASE_MS,
            });
        }
    }
    // Sent and dropped up to the last packet the run could have played (sent before the end,
    // less the largest delay), so that the counters can be compared.
    let last_ms = sc.ticks as f64 * 20.0 - DELAY_MAX_MS - sc.jitter_ms;
    let sent = ((last_ms - SENDER_PHASE_MS) * clock / 20.0) as u64;
    let dropped = dropped.iter().filter(|&&(_, t)| t < last_ms).count() as u64;
    Figures {
        sent,
        dropped,
        frames: to - from,
        gaps,
        markers_sent,
        markers,
        stats,
        steady_db,
    }
}

/// Bounds every run meets: the level is the tone's, markers are found, the delay stays within
/// [`DELAY_MAX_MS`] and near what the jitter needs, and the counters agree with the network.
/// `min_found` is the share of markers (whose first packet arrived) that must be found.
fn check_common(sc: &Scenario, f: &Figures, min_found: f64) {
    let s = f.summary();
    // The tone is sent at −12 dBFS; µ-law (and Opus, and the 48→8 kHz path) keep it within 2 dB.
    assert!((f.steady_db - -12.0).abs() < 2.0, "steady level: {s}");
    // A marker concealed away entirely (a burst over its first frames) has no onset.
    assert!(
        f.markers.len() as f64 >= min_found * f.markers_sent as f64,
        "markers found: {s}"
    );
    // Never less than the jitter buffer's least delay (20 ms) less the block resolution (5 ms),
    // never more than the bound derived at [`DELAY_MAX_MS`].
    assert!(f.delay_min() >= 15.0, "least delay: {s}");
    assert!(f.delay_max() <= DELAY_MAX_MS, "largest delay: {s}");
    // The median delay is what the jitter needs (its largest excess: the uniform spread, plus
    // the hold-back of reordered packets) plus 60 ms: the buffer's 5 ms margin, its one frame
    // and 5 ms of hysteresis before shrinking, 20 ms of packetization, and 10 ms for the codec
    // path and the measurement (see [`DELAY_MAX_MS`]).
    let held_back = if sc.reorder > 0.0 { 45.0 } else { 0.0 };
    let need = sc.jitter_ms + held_back;
    assert!(
        f.delay_p50() <= need + 60.0,
        "median delay vs {need} ms of jitter: {s}"
    );
    // Every packet the network dropped is skipped at playout (lost); a packet that came after
    // its turn is counted late *and* lost. So lost − late is what the network dropped, up to
    // the few packets around the end of the compared span (±3).
    let j = f.stats.jitter;
    let net = j.lost as i64 - j.late as i64;
    assert!(
        (net - f.dropped as i64).abs() <= 3,
        "lost − late = {net} vs {} dropped: {s}",
        f.dropped
    );
    // Each missing 20 ms is concealed once: concealed frames exceed the lost packets only by
    // starved ticks, which a steady sender causes only while the buffer learns (≤ 0.5 %). The
    // buffer's `concealed` counts pops, and in Packets mode a burst longer than the buffer is
    // popped twice — as `Missing` while it lasts, then as one short `Lost` per packet once the
    // next packet is in (the audio is concealed once: the delay bounds above check that) — so
    // there the bound is the lost packets plus the packets lost in bursts.
    let burst_slack = if sc.codec == AudioCodec::Opus && matches!(sc.loss, Loss::Bursty { .. }) {
        j.lost
    } else {
        0
    };
    assert!(
        j.concealed <= j.lost + burst_slack + f.frames as u64 / 200,
        "concealed {} vs lost {}: {s}",
        j.concealed,
        j.lost
    );
    // Nothing was duplicated or corrupted by the network, and no restart was needed.
    assert_eq!(
        (j.duplicate, j.resyncs, j.oversized, f.stats.rtp_malformed),
        (0, 0, 0, 0),
        "{s}"
    );
}

// ---------------------------------------------------------------------------------------------
// G.711 (PCMU) sender
// ---------------------------------------------------------------------------------------------

/// No loss, uniform jitter 0–80 ms (reordering up to four packets deep): no gaps at all (a
/// stretch is one faded frame, 5 dB down, not a gap), and the delay stays near what the jitter
/// needs (80 ms) plus the margin.
#[test]
fn pcmu_jitter_80ms_has_no_gaps() {
    let mut sc = Scenario::new(AudioCodec::Pcmu, 3);
    sc.jitter_ms = 80.0;
    let f = run(&sc);
    check_common(&sc, &f, 1.0);
    assert_eq!(f.gaps, 0, "{}", f.summary());
    // Late packets only while the buffer learns the jitter (first seconds): ≤ 0.5 %.
    assert!(
        (f.stats.jitter.late as f64) < 0.005 * f.sent as f64,
        "{}",
        f.summary()
    );
}

/// 1 % Bernoulli loss with 0–20 ms jitter. A single lost G.711 packet is concealed by the
/// previous frame faded out (≈ 5 dB down, not a gap); only the second of two consecutive
/// losses is silence. Bound: gaps ≤ loss rate + 0.5 % (the bound); expected ≈ 0.01 %.
#[test]
fn pcmu_1pct_loss() {
    let mut sc = Scenario::new(AudioCodec::Pcmu, 3);
    sc.loss = Loss::Bernoulli(0.01);
    sc.jitter_ms = 20.0;
    let f = run(&sc);
    check_common(&sc, &f, 0.95);
    assert!(f.gap_share() <= f.loss_share() + 0.005, "{}", f.summary());
    assert!((0.007..0.013).contains(&f.loss_share()), "{}", f.summary());
}

/// 5 % Bernoulli loss with 0–40 ms jitter: gaps ≤ loss rate + 0.5 %.
#[test]
fn pcmu_5pct_loss() {
    let mut sc = Scenario::new(AudioCodec::Pcmu, 3);
    sc.loss = Loss::Bernoulli(0.05);
    sc.jitter_ms = 40.0;
    let f = run(&sc);
    check_common(&sc, &f, 0.9);
    assert!(f.gap_share() <= f.loss_share() + 0.005, "{}", f.summary());
}

/// Gilbert–Elliott bursts (good→bad 1 %, bad→good 30 %: mean burst 3.3 packets, ≈ 3.2 % lost)
/// with 0–20 ms jitter: all but the first frame of each burst are silence, so gaps are about the
/// loss less one frame per burst; bound: gaps ≤ loss rate + 0.5 %.
#[test]
fn pcmu_bursty_loss() {
    let mut sc = Scenario::new(AudioCodec::Pcmu, 3);
    sc.loss = Loss::Bursty {
        to_bad: 0.01,
        to_good: 0.3,
    };
    sc.jitter_ms = 20.0;
    let f = run(&sc);
    check_common(&sc, &f, 0.85);
    assert!((0.02..0.05).contains(&f.loss_share()), "{}", f.summary());
    assert!(f.gap_share() <= f.loss_share() + 0.005, "{}", f.summary());
}

/// 5 % of packets held back 25–45 ms (behind the next one or two), 0–10 ms jitter otherwise:
/// once the buffer has seen a held-back packet it keeps the depth for it, so every packet plays:
/// no gaps, and late packets only while it learns (≤ 0.5 %).
#[test]
fn pcmu_5pct_reordering() {
    let mut sc = Scenario::new(AudioCodec::Pcmu, 3);
    sc.jitter_ms = 10.0;
    sc.reorder = 0.05;
    let f = run(&sc);
    check_common(&sc, &f, 1.0);
    assert_eq!(f.gaps, 0, "{}", f.summary());
    assert!(
        (f.stats.jitter.late as f64) < 0.005 * f.sent as f64,
        "{}",
        f.summary()
    );
}

// ---------------------------------------------------------------------------------------------
// Opus sender, PCMU listener: the engine mixes at 48 kHz and converts down. One minute each:
// libopus and the 48 kHz path cost about 4 s of CPU per simulated minute in a debug build.
// ---------------------------------------------------------------------------------------------

/// No loss, uniform jitter 0–80 ms: no gaps.
#[test]
fn opus_jitter_80ms_has_no_gaps() {
    let mut sc = Scenario::new(AudioCodec::Opus, 1);
    sc.jitter_ms = 80.0;
    let f = run(&sc);
    check_common(&sc, &f, 1.0);
    assert_eq!(f.gaps, 0, "{}", f.summary());
}

/// 5 % Bernoulli loss with 0–40 ms jitter: a single lost packet is rebuilt from the next one's
/// in-band FEC (or Opus PLC), so gaps stay well under the raw loss: bound half of it.
#[test]
fn opus_5pct_loss_fec_beats_raw_loss() {
    let mut sc = Scenario::new(AudioCodec::Opus, 1);
    sc.loss = Loss::Bernoulli(0.05);
    sc.jitter_ms = 40.0;
    let f = run(&sc);
    check_common(&sc, &f, 0.9);
    assert!(f.gap_share() <= f.loss_share() / 2.0, "{}", f.summary());
}

/// Gilbert–Elliott bursts as for PCMU: PLC covers the start of a burst; bound: gaps ≤ loss rate.
///
/// This once failed on the delay: a burst that outlasts the buffer comes back, once the packet
/// after it is in, as `Lost` pops of a fraction of a frame each (playout already went through
/// the burst as `Missing`), and each was concealed as a whole frame, adding the burst's length
/// to the delay. The leg now conceals what the losses add up to, in whole frames.
#[test]
fn opus_bursty_loss() {
    let mut sc = Scenario::new(AudioCodec::Opus, 1);
    sc.loss = Loss::Bursty {
        to_bad: 0.01,
        to_good: 0.3,
    };
    sc.jitter_ms = 20.0;
    let f = run(&sc);
    check_common(&sc, &f, 0.85);
    assert!(f.gap_share() <= f.loss_share(), "{}", f.summary());
}

// ---------------------------------------------------------------------------------------------
// Sender clock drift
// ---------------------------------------------------------------------------------------------

/// `minutes` with the sender's clock `drift` off and 0–30 ms jitter: no gaps, the delay does
/// not grow (last-minute mean within 25 ms of the first minute's: the buffer shrinks or
/// stretches one frame at a time, so it wanders within about one frame), and the adjustments
/// match the drift: a sender 0.5 % fast sends 3 s too much in 10 min, i.e. 150 frames to drop.
fn drift(codec: AudioCodec, listener: AudioCodec, minutes: usize, drift: f64) {
    let mut sc = Scenario::new(codec, minutes);
    sc.listener = listener;
    sc.jitter_ms = 30.0;
    sc.drift = drift;
    let f = run(&sc);
    check_common(&sc, &f, 1.0);
    let s = f.summary();
    assert_eq!(f.gaps, 0, "drift {drift}: {s}");
    // First minute after the first 10 s (the buffer settles from its initial 60 ms).
    let end_ms = sc.ticks as f64 * 20.0;
    let start = f.mean_delay(10_000.0, 70_000.0);
    let end = f.mean_delay(end_ms - 60_000.0, end_ms);
    assert!(
        (end - start).abs() <= 25.0,
        "drift {drift}: delay {start:.1} → {end:.1} ms: {s}"
    );
    // Frames the drift adds (fast) or takes (slow) over the run, at 20 ms each; the buffer
    // must answer with as many shrinks or stretches, give or take 10 (the settling at the
    // start and the delay it ends with).
    let expected = drift.abs() * sc.ticks as f64;
    let j = f.stats.jitter;
    let (done, other) = if drift > 0.0 {
        (j.shrunk, j.stretched)
    } else {
        (j.stretched, j.shrunk)
    };
    assert!(
        (done as f64 - expected).abs() <= 10.0 && other <= 10,
        "drift {drift}: expected {expected:.0} adjustments: {s}"
    );
}

#[test]
fn pcmu_drift_fast_0_1pct_10min() {
    drift(AudioCodec::Pcmu, AudioCodec::Pcmu, 10, 0.001);
}

#[test]
fn pcmu_drift_slow_0_1pct_10min() {
    drift(AudioCodec::Pcmu, AudioCodec::Pcmu, 10, -0.001);
}

#[test]
fn pcmu_drift_fast_0_5pct_10min() {
    drift(AudioCodec::Pcmu, AudioCodec::Pcmu, 10, 0.005);
}

#[test]
fn pcmu_drift_slow_0_5pct_10min() {
    drift(AudioCodec::Pcmu, AudioCodec::Pcmu, 10, -0.005);
}

// Opus (Packets mode: a shrink drops a whole packet) for 3 minutes, to an Opus listener (no
// conversion: the cheapest Opus path), ±0.5 %: 45 adjustments each.

#[test]
fn opus_drift_fast_0_5pct_3min() {
    drift(AudioCodec::Opus, AudioCodec::Opus, 3, 0.005);
}

#[test]
fn opus_drift_slow_0_5pct_3min() {
    drift(AudioCodec::Opus, AudioCodec::Opus, 3, -0.005);
}
