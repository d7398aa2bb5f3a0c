//! The adaptive jitter buffer under a simulated network: a seeded PRNG drives loss (independent
//! and Gilbert–Elliott bursts), delay jitter (uniform and spiky), reordering and sender clock
//! drift, for minutes of simulated time at 20 ms ticks, in `Bytes` mode (G.711 with 10, 20 and
//! 60 ms packets) and in `Packets` mode (Opus with 10, 20 and 60 ms packets, popped as a decoder
//! FIFO needs them). Every scenario asserts stated bounds; nothing is printed.
//!
//! Bounds common to all scenarios (checked in `check_common`):
//! - the measured delay never leaves `[min_delay − 5 ms, max_delay + frame]` once playout runs
//!   (the buffer stretches below the floor, the target less its 5 ms margin, and shrinks one
//!   frame above the target);
//! - no two consecutive stretch ticks (one adjustment per 500 ms at most);
//! - every insert is counted once (stored + duplicate + late + oversized), every pop once
//!   (played + concealed + stretched + waiting).

use std::time::{Duration, Instant};

use media::jitter::{Insert, JitterBuffer, JitterConfig, PacketPop, Pop};
use media::{SeqNo, Ssrc};

const TICK: Duration = Duration::from_millis(20);
const MINUTE: u32 = 60_000 / 20;

/// The one clock read of a test: everything after is `t0 + Duration`.
#[allow(clippy::disallowed_methods)]
fn t0() -> Instant {
    Instant::now()
}

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

#[derive(Clone, Copy)]
enum Loss {
    None,
    /// Each packet lost with this probability.
    Random(f64),
    /// Gilbert–Elliott: good→bad and bad→good transition probabilities; all lost while bad.
    Bursty {
        to_bad: f64,
        to_good: f64,
    },
}

#[derive(Clone, Copy)]
enum Jitter {
    None,
    /// Extra delay uniform in [0, ms].
    Uniform(f64),
    /// Extra delay uniform in [0, base]; with probability `p` a spike starts: the network stalls
    /// for `spike` ms and the packets queued behind it come out together.
    Spiky {
        base: f64,
        p: f64,
        spike: f64,
    },
}

#[derive(Clone, Copy)]
struct Scenario {
    config: JitterConfig,
    ptime_ms: u32,
    minutes: u32,
    loss: Loss,
    jitter: Jitter,
    /// Probability that a packet is held back behind the next one (a swap).
    reorder: f64,
    /// Sender clock error in parts per million (positive: the sender's clock runs fast).
    drift_ppm: f64,
    seed: u64,
}

impl Scenario {
    fn g711(ptime_ms: u32) -> Self {
        Self {
            config: JitterConfig::g711(),
            ptime_ms,
            minutes: 3,
            loss: Loss::None,
            jitter: Jitter::None,
            reorder: 0.0,
            drift_ppm: 0.0,
            seed: 1,
        }
    }

    fn opus(ptime_ms: u32) -> Self {
        Self {
            config: JitterConfig::opus(),
            ..Self::g711(ptime_ms)
        }
    }

    fn units_per_packet(&self) -> u32 {
        self.config.clock_rate / 1000 * self.ptime_ms
    }
}

/// What one tick delivered to the listener.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Heard {
    Waiting,
    Audio,
    Concealed,
    Stretch,
}

struct Outcome {
    sent: u64,
    dropped_by_net: u64,
    /// Packets still in flight when the run ended.
    in_flight: u64,
    inserts: u64,
    pops: u64,
    stats: media::jitter::JitterStats,
    heard: Vec<Heard>,
    /// Measured delay after each tick once playing (ms).
    delay_ms: Vec<f64>,
    /// Lost pops in Packets mode, and how many of them came with the next packet for FEC.
    lost_pops: u64,
    lost_with_next: u64,
}

impl Outcome {
    fn fraction(&self, n: u64) -> f64 {
        n as f64 / self.sent as f64
    }

    fn adjustments_per_minute(&self, minutes: u32) -> f64 {
        (self.stats.stretched + self.stats.shrunk) as f64 / f64::from(minutes)
    }

    /// Mean delay over the ticks `[from, to)` (indices into the playing ticks).
    fn mean_delay(&self, from: usize, to: usize) -> f64 {
        let s = &self.delay_ms[from.min(self.delay_ms.len())..to.min(self.delay_ms.len())];
        s.iter().sum::<f64>() / s.len().max(1) as f64
    }

    /// Longest run of consecutive non-audio ticks after playout started (a re-priming wait
    /// counts).
    fn longest_gap(&self) -> usize {
        let start = self
            .heard
            .iter()
            .position(|h| *h == Heard::Audio)
            .unwrap_or(0);
        let mut run = 0;
        let mut best = 0;
        for h in &self.heard[start..] {
            if *h != Heard::Audio {
                run += 1;
                best = best.max(run);
            } else {
                run = 0;
            }
        }
        best
    }
}

/// Runs a scenario: generates every packet's arrival, then interleaves inserts (at their exact
/// arrival instants) with pops at 20 ms ticks.
fn run(sc: &Scenario) -> Outcome {
    let t0 = t0();
    let mut rng = Rng(sc.seed);
    let ticks = sc.minutes * MINUTE;
    let units = sc.units_per_packet();
    // Sender: packet k is stamped k·units and sent at k·ptime on its own clock, which runs
    // (1 + drift) times as fast as ours. It sends 2 s past the end, so that a fast sender does
    // not run out before the listener does.
    let clock = 1.0 + sc.drift_ppm * 1e-6;
    let packets = ((f64::from(ticks) * 20.0 + 2000.0) * clock / f64::from(sc.ptime_ms)) as u64;
    let mut arrivals: Vec<(f64, u64)> = Vec::with_capacity(packets as usize);
    let mut bad = false;
    let mut stall_until = 0.0f64;
    let mut dropped = 0;
    for k in 0..packets {
        let send_ms = k as f64 * f64::from(sc.ptime_ms) / clock;
        let lost = match sc.loss {
            Loss::None => false,
            Loss::Random(p) => rng.unit() < p,
            Loss::Bursty { to_bad, to_good } => {
                let u = rng.unit();
                bad = if bad { u >= to_good } else { u < to_bad };
                bad
            }
        };
        let extra = match sc.jitter {
            Jitter::None => 0.0,
            Jitter::Uniform(ms) => rng.unit() * ms,
            Jitter::Spiky { base, p, spike } => {
                if rng.unit() < p {
                    stall_until = send_ms + spike;
                }
                // Queued behind a stall: out when it clears, in order, 1 ms apart.
                let stalled = (stall_until - send_ms).max(0.0);
                stalled + rng.unit() * base
            }
        };
        let mut at = 10.0 + send_ms + extra;
        if rng.unit() < sc.reorder {
            // Held back behind the next packet.
            at += f64::from(sc.ptime_ms) + 1.0;
        }
        if lost {
            dropped += 1;
            continue;
        }
        arrivals.push((at, k));
    }
    arrivals.sort_by(|a, b| a.0.total_cmp(&b.0));

    let mut jb = JitterBuffer::with_config(sc.config);
    let mut out = vec![0u8; sc.config.max_payload];
    let frame = sc.config.frame_units;
    let packets_mode = sc.config.framing == media::jitter::Framing::Packets;
    let mut o = Outcome {
        sent: packets,
        dropped_by_net: dropped,
        in_flight: 0,
        inserts: 0,
        pops: 0,
        stats: Default::default(),
        heard: Vec::with_capacity(ticks as usize),
        delay_ms: Vec::with_capacity(ticks as usize),
        lost_pops: 0,
        lost_with_next: 0,
    };
    // Decoded-but-unplayed audio in the Packets-mode FIFO, in timestamp units, and what filled it.
    let mut fifo: u32 = 0;
    let mut fifo_kind = Heard::Waiting;
    let mut next = 0;
    let payload = vec![0x55u8; sc.config.max_payload];
    for tick in 0..ticks {
        let now_ms = f64::from(tick) * 20.0;
        while next < arrivals.len() && arrivals[next].0 <= now_ms {
            let (at, k) = arrivals[next];
            let at = t0 + Duration::from_secs_f64(at / 1000.0);
            let seq = SeqNo(k as u16);
            let ts = (k as u32).wrapping_mul(units).wrapping_add(0x7000_0000);
            let r = if packets_mode {
                jb.insert_packet(at, Ssrc(7), seq, ts, &payload[..100], units)
            } else {
                jb.insert(at, Ssrc(7), seq, ts, &payload[..units as usize])
            };
            assert_ne!(r, Insert::Resynced, "no resync in a continuous stream");
            o.inserts += 1;
            next += 1;
        }
        let now = t0 + TICK * tick;
        let before = jb.stats();
        let heard = if packets_mode {
            while fifo < frame {
                o.pops += 1;
                let before = jb.stats();
                match jb.pop_packet(now, &mut out) {
                    PacketPop::Packet { duration, .. } => {
                        fifo += duration;
                        fifo_kind = Heard::Audio;
                    }
                    PacketPop::Lost { duration, next } => {
                        o.lost_pops += 1;
                        o.lost_with_next += u64::from(next.is_some());
                        fifo += duration;
                        fifo_kind = Heard::Concealed;
                    }
                    PacketPop::Missing => {
                        fifo += frame;
                        let s = jb.stats();
                        fifo_kind = if s.waiting > before.waiting {
                            Heard::Waiting
                        } else if s.stretched > before.stretched {
                            Heard::Stretch
                        } else {
                            Heard::Concealed
                        };
                    }
                }
            }
            fifo -= frame;
            fifo_kind
        } else {
            o.pops += 1;
            match jb.pop(now, &mut out) {
                Pop::Frame(_) => Heard::Audio,
                Pop::Missing => {
                    let s = jb.stats();
                    if s.waiting > before.waiting {
                        Heard::Waiting
                    } else if s.stretched > before.stretched {
                        Heard::Stretch
                    } else {
                        Heard::Concealed
                    }
                }
            }
        };
        o.heard.push(heard);
        if heard != Heard::Waiting {
            o.delay_ms.push(jb.current_delay().as_secs_f64() * 1000.0);
        }
    }
    o.stats = jb.stats();
    o.in_flight = (arrivals.len() - next) as u64;
    check_common(sc, &o);
    o
}

/// The bounds every scenario keeps (see the module doc).
fn check_common(sc: &Scenario, o: &Outcome) {
    let s = o.stats;
    assert_eq!(o.inserts, s.stored + s.duplicate + s.late + s.oversized);
    assert_eq!(o.pops, s.played + s.concealed + s.stretched + s.waiting);
    assert_eq!(o.inserts + o.dropped_by_net + o.in_flight, o.sent);
    let frame_ms = f64::from(sc.config.frame_units) * 1000.0 / f64::from(sc.config.clock_rate);
    let packet_ms = f64::from(sc.ptime_ms).max(frame_ms);
    let lo = (sc.config.min_delay.saturating_sub(media::jitter::MARGIN)).as_secs_f64() * 1000.0;
    let hi = sc.config.max_delay.as_secs_f64() * 1000.0 + packet_ms;
    // After the first second (priming and the first measurements).
    for (i, d) in o.delay_ms.iter().enumerate().skip(50) {
        // Packets mode measures at pops, which a long packet spaces out: allow one packet more.
        let extra = if sc.config.framing == media::jitter::Framing::Packets {
            packet_ms
        } else {
            0.0
        };
        assert!(
            *d >= lo - extra - 1.0 && *d <= hi + extra,
            "tick {i}: delay {d:.1} ms outside [{lo}, {hi}]"
        );
    }
    assert!(
        !o.heard
            .windows(2)
            .any(|w| w == [Heard::Stretch, Heard::Stretch]),
        "two stretches in a row"
    );
}

// ---- loss -------------------------------------------------------------------------------------

/// 1 % random loss, no jitter: one concealed tick per lost packet (bound: concealed ≤ 1.3 % of
/// ticks), nothing late, and no adjustment beyond settling from the initial 60 ms (≤ 3).
#[test]
fn random_loss_1_percent() {
    let sc = Scenario {
        loss: Loss::Random(0.01),
        ..Scenario::g711(20)
    };
    let o = run(&sc);
    let s = o.stats;
    assert_eq!(s.late, 0);
    assert!(o.fraction(s.concealed) < 0.013, "{s:?}");
    assert!(
        s.lost + 2 >= o.dropped_by_net && s.lost <= o.dropped_by_net,
        "{s:?}"
    );
    assert!(s.stretched + s.shrunk <= 3, "{s:?}");
    // A clean path settles near the minimum: it stops in [20, 40) ms, so the mean delay over the
    // last minute is below 40 ms.
    assert!(o.mean_delay(o.delay_ms.len() - MINUTE as usize, usize::MAX) < 40.0);
}

/// 5 % random loss with 0–30 ms jitter: concealed ≤ 6.5 % of ticks, late ≤ 0.5 %.
#[test]
fn random_loss_5_percent_with_jitter() {
    let sc = Scenario {
        loss: Loss::Random(0.05),
        jitter: Jitter::Uniform(30.0),
        seed: 2,
        ..Scenario::g711(20)
    };
    let o = run(&sc);
    let s = o.stats;
    assert!(o.fraction(s.concealed) < 0.065, "{s:?}");
    assert!(o.fraction(s.late) < 0.005, "{s:?}");
    assert!(o.adjustments_per_minute(sc.minutes) <= 4.0, "{s:?}");
}

/// Gilbert–Elliott bursts (mean burst 4 packets, ~4 % loss): the gaps are the bursts, not
/// more: concealed ≤ lost fraction + 1 %, and the delay stays low (mean ≤ 60 ms): bursts are
/// loss, not jitter.
#[test]
fn bursty_loss_gilbert_elliott() {
    let sc = Scenario {
        loss: Loss::Bursty {
            to_bad: 0.01,
            to_good: 0.25,
        },
        jitter: Jitter::Uniform(10.0),
        seed: 3,
        ..Scenario::g711(20)
    };
    let o = run(&sc);
    let s = o.stats;
    let lost = o.fraction(o.dropped_by_net);
    assert!((0.02..0.07).contains(&lost), "network lost {lost}");
    assert!(o.fraction(s.concealed) < lost + 0.01, "{s:?}");
    assert!(o.fraction(s.late) < 0.002, "{s:?}");
    assert!(o.mean_delay(0, usize::MAX) <= 60.0);
}

// ---- jitter and reordering --------------------------------------------------------------------

/// Uniform jitter up to 80 ms: the target follows (mean delay after the first minute within
/// [80, 110] ms: what the jitter needs, 80 ms, plus at most 30; measured 89), late ≤ 0.5 %
/// (measured 0), adjustments ≤ 4 a minute (measured 1 in 3 minutes, settling from the start).
#[test]
fn uniform_jitter_80ms() {
    let sc = Scenario {
        jitter: Jitter::Uniform(80.0),
        seed: 4,
        ..Scenario::g711(20)
    };
    let o = run(&sc);
    let s = o.stats;
    let mean = o.mean_delay(MINUTE as usize, usize::MAX);
    assert!((80.0..=110.0).contains(&mean), "mean delay {mean:.1}");
    assert!(o.fraction(s.late) < 0.005, "{s:?}");
    assert!(o.adjustments_per_minute(sc.minutes) <= 4.0, "{s:?}");
}

/// Spikes: 0–10 ms jitter, and about every 10 s the network stalls 150 ms and releases the
/// queue at once. The first spike raises the target at once; the held peak keeps it up, so
/// later spikes are absorbed: late + concealed ≤ 1 % overall (measured 0.35 %), the mean delay
/// ≤ 180 ms (measured 149: the spikes need 150), adjustments ≤ 12 a minute (measured 9.6:
/// each spike that comes after the 10–20 s hold has run out costs a few stretches, and the
/// decay between them a few shrinks).
#[test]
fn spiky_jitter() {
    let sc = Scenario {
        jitter: Jitter::Spiky {
            base: 10.0,
            p: 0.002,
            spike: 150.0,
        },
        minutes: 5,
        seed: 5,
        ..Scenario::g711(20)
    };
    let o = run(&sc);
    let s = o.stats;
    assert!(o.fraction(s.late + s.concealed) < 0.01, "{s:?}");
    assert!(o.mean_delay(0, usize::MAX) <= 180.0);
    assert!(o.adjustments_per_minute(sc.minutes) <= 12.0, "{s:?}");
}

/// 5 % of packets held back behind the next one: all reordered packets play, nothing is lost or
/// late once the depth has grown past one packet.
#[test]
fn reordering() {
    let sc = Scenario {
        reorder: 0.05,
        seed: 6,
        ..Scenario::g711(20)
    };
    let o = run(&sc);
    let s = o.stats;
    // Only the first swaps may come before the buffer has learnt them (bound: 0.2 %).
    assert!(o.fraction(s.lost + s.late) < 0.002, "{s:?}");
    assert!(o.adjustments_per_minute(sc.minutes) <= 2.0, "{s:?}");
}

// ---- sender clock drift -----------------------------------------------------------------------

/// Runs 10 minutes with a drifting sender and small jitter (0–20 ms); checks that the delay at
/// the end is the delay at the start (means of minute 2 and minute 10 within 10 ms; measured
/// within 2 ms), that nothing is concealed but single stretch ticks (no loss: every
/// gap is an adjustment, longest gap one tick), and that adjustments stay near what the drift
/// needs (|drift| × 60 s / 20 ms per minute, + 2).
fn drift(ppm: f64, seed: u64) {
    let sc = Scenario {
        drift_ppm: ppm,
        jitter: Jitter::Uniform(20.0),
        minutes: 10,
        seed,
        ..Scenario::g711(20)
    };
    let o = run(&sc);
    let s = o.stats;
    let m = MINUTE as usize;
    let (start, end) = (o.mean_delay(m, 2 * m), o.mean_delay(9 * m, 10 * m));
    assert!(
        (end - start).abs() <= 10.0,
        "delay {start:.1} → {end:.1} ms"
    );
    assert!(o.longest_gap() <= 1, "{s:?}");
    assert_eq!(s.late, 0, "{s:?}");
    let needed = ppm.abs() * 1e-6 * 60_000.0 / 20.0;
    assert!(
        o.adjustments_per_minute(sc.minutes) <= needed + 2.0,
        "{s:?} (needed {needed:.1}/min)"
    );
    if ppm > 0.0 {
        // A fast sender fills the buffer: frames are dropped, none inserted after settling.
        assert!(s.shrunk as f64 >= needed * 10.0 * 0.8, "{s:?}");
    } else {
        assert!(s.stretched as f64 >= needed * 10.0 * 0.8, "{s:?}");
    }
}

#[test]
fn drift_fast_0_1_percent() {
    drift(1000.0, 11);
}

#[test]
fn drift_slow_0_1_percent() {
    drift(-1000.0, 12);
}

#[test]
fn drift_fast_0_5_percent() {
    drift(5000.0, 13);
}

#[test]
fn drift_slow_0_5_percent() {
    drift(-5000.0, 14);
}

// ---- packet sizes -----------------------------------------------------------------------------

/// 10 ms and 60 ms G.711 packets with 40 ms jitter and 1 % loss: frames still come out one per
/// tick; concealed ≤ 3 × the loss (a lost 60 ms packet is three ticks), late ≤ 0.5 %.
#[test]
fn ptime_10_and_60_bytes_mode() {
    for (ptime, seed) in [(10, 21), (60, 22)] {
        let sc = Scenario {
            loss: Loss::Random(0.01),
            jitter: Jitter::Uniform(40.0),
            seed,
            ..Scenario::g711(ptime)
        };
        let o = run(&sc);
        let s = o.stats;
        let ticks_per_packet = (ptime as f64 / 20.0).max(1.0);
        let ticks = f64::from(sc.minutes * MINUTE);
        assert!(
            (s.concealed as f64) / ticks < 0.01 * ticks_per_packet + 0.005,
            "ptime {ptime}: {s:?}"
        );
        assert!(o.fraction(s.late) < 0.005, "ptime {ptime}: {s:?}");
        assert!(
            o.adjustments_per_minute(sc.minutes) <= 4.0,
            "ptime {ptime}: {s:?}"
        );
    }
}

/// Opus (Packets mode) with 10, 20 and 60 ms packets, 0–40 ms jitter and 2 % loss: each lost
/// packet is one `Lost` pop; the packet after it is offered for FEC in most cases (≥ 60 %);
/// concealed ticks stay ≤ 3 × the loss; late ≤ 0.5 %.
#[test]
fn opus_packets_mode() {
    for (ptime, seed) in [(10, 31), (20, 32), (60, 33)] {
        let sc = Scenario {
            loss: Loss::Random(0.02),
            jitter: Jitter::Uniform(40.0),
            seed,
            ..Scenario::opus(ptime)
        };
        let o = run(&sc);
        let s = o.stats;
        assert!(o.fraction(s.late) < 0.005, "ptime {ptime}: {s:?}");
        assert!(
            s.lost <= o.dropped_by_net && s.lost + 3 >= o.dropped_by_net,
            "ptime {ptime}: {s:?} dropped {}",
            o.dropped_by_net
        );
        assert!(
            o.lost_with_next as f64 >= 0.6 * o.lost_pops as f64,
            "ptime {ptime}: {} of {} with next",
            o.lost_with_next,
            o.lost_pops
        );
        let ticks = f64::from(sc.minutes * MINUTE);
        let heard_gaps = o
            .heard
            .iter()
            .filter(|h| matches!(h, Heard::Concealed))
            .count() as f64;
        let per_packet = (ptime as f64 / 20.0).max(1.0);
        assert!(
            heard_gaps / ticks < 0.02 * per_packet * 1.5 + 0.005,
            "ptime {ptime}: {heard_gaps} concealed ticks, {s:?}"
        );
        assert!(
            o.adjustments_per_minute(sc.minutes) <= 4.0,
            "ptime {ptime}: {s:?}"
        );
    }
}

/// Opus with a drifting sender (0.5 % slow, 60 ms packets): the delay at the end is the delay at
/// the start (minute 2 vs minute 10 within one packet + 5 ms).
#[test]
fn opus_drift_60ms_packets() {
    let sc = Scenario {
        drift_ppm: -5000.0,
        jitter: Jitter::Uniform(20.0),
        minutes: 10,
        seed: 41,
        ..Scenario::opus(60)
    };
    let o = run(&sc);
    let m = MINUTE as usize;
    let (start, end) = (o.mean_delay(m, 2 * m), o.mean_delay(9 * m, 10 * m));
    assert!(
        (end - start).abs() <= 65.0,
        "delay {start:.1} → {end:.1} ms"
    );
    assert_eq!(o.stats.late, 0, "{:?}", o.stats);
}
