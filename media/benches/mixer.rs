//! Cost of the engine per 20 ms tick for G.711 and Opus conferences: every participant sends one
//! packet per tick (the talkers send a tone, the others silence); the figure is the time to take
//! those packets in (`handle_rtp`), `tick`, and drain `poll_transmit` — the mixer thread's work
//! without the sockets (`pont load` measures the whole bridge).
//!
//! Run with `cargo bench -p media`; each scenario runs 3 times and the quietest run is printed. Time is simulated for the engine (a fake `now` advancing 20 ms
//! per tick); only the measurement reads the real clock.
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use media::opus::{OpusEncoder, OpusParams};
use media::rtp::{self, RtpHeader};
use media::{AudioCodec, ConferenceEngine, LegConfig, LegId, Pt, SeqNo, Ssrc};

const TICK: Duration = Duration::from_millis(20);
const WARMUP: usize = 50;
const MEASURED: usize = 500;

/// One simulated participant: its engine, id, its packet buffer (rewritten each tick) and
/// whether it talks.
struct Sender {
    engine: usize,
    leg: LegId,
    codec: AudioCodec,
    pt: u8,
    ssrc: u32,
    packet: Vec<u8>,
    len: usize,
    talker: bool,
}

/// What the participants send: G.711 frames of a tone, or Opus packets encoded once.
struct Payloads {
    /// Two tones' frames, 50 of each (one second, repeated).
    tones: [Vec<Vec<u8>>; 2],
    silence: Vec<u8>,
}

fn payloads(codec: AudioCodec) -> Payloads {
    let n = codec.frame_samples();
    let rate = f64::from(codec.sample_rate());
    let encode = |pcm: &[i16], enc: &mut Option<OpusEncoder>| -> Vec<u8> {
        match (codec.law(), enc) {
            (Some(law), _) => {
                let mut out = vec![0u8; pcm.len()];
                law.encode(pcm, &mut out);
                out
            }
            (None, Some(e)) => {
                let mut out = Vec::new();
                e.encode(pcm, &mut out).expect("opus encodes");
                out
            }
            (None, None) => unreachable!("an encoder for every codec here"),
        }
    };
    let new_encoder = || {
        (codec == AudioCodec::Opus)
            .then(|| OpusEncoder::new(&OpusParams::default()).expect("opus encoder"))
    };
    let tone = |freq: f64| {
        let mut enc = new_encoder();
        (0..50)
            .map(|f| encode(&media::goertzel::tone(freq, rate, 0.3, f * n, n), &mut enc))
            .collect::<Vec<_>>()
    };
    let mut enc = new_encoder();
    let mut silence = Vec::new();
    for _ in 0..10 {
        silence = encode(&vec![0i16; n], &mut enc);
    }
    Payloads {
        tones: [tone(440.0), tone(1000.0)],
        silence,
    }
}

fn setup(
    conferences: usize,
    size: usize,
    talkers: usize,
    opus: bool,
    t0: Instant,
) -> (Vec<ConferenceEngine>, Vec<Sender>) {
    let mut engines = Vec::new();
    let mut senders = Vec::new();
    for c in 0..conferences {
        let mut engine = ConferenceEngine::with_seed(c as u64);
        for i in 0..size {
            let id = (c * size + i) as u64;
            let codec = if opus {
                AudioCodec::Opus
            } else if i % 3 == 2 {
                AudioCodec::Pcma
            } else {
                AudioCodec::Pcmu
            };
            let pt = match codec {
                AudioCodec::Pcmu => 0,
                AudioCodec::Pcma => 8,
                _ => 111,
            };
            let config = LegConfig {
                codec,
                payload_type: pt,
                telephone_event_pt: Some(101),
                ptime_ms: 20,
                ssrc: id as u32,
                fmtp: None,
            };
            engine.add_leg(t0, LegId(id), config);
            senders.push(Sender {
                engine: c,
                leg: LegId(id),
                codec,
                pt,
                ssrc: 0x1000 + id as u32,
                packet: vec![0u8; 12 + 1500],
                len: 0,
                talker: i < talkers,
            });
        }
        engines.push(engine);
    }
    (engines, senders)
}

struct Figures {
    median_us: f64,
    p99_us: f64,
    tick_median_us: f64,
}

fn run(conferences: usize, size: usize, talkers: usize, opus: bool) -> Figures {
    let t0 = Instant::now();
    let (mut engines, mut senders) = setup(conferences, size, talkers, opus, t0);
    let g711 = [
        payloads(AudioCodec::Pcmu),
        payloads(AudioCodec::Pcma),
        payloads(AudioCodec::Opus),
    ];
    let mut total = Vec::with_capacity(MEASURED);
    let mut ticks = Vec::with_capacity(MEASURED);
    let mut sent = 0u64;
    for k in 0..WARMUP + MEASURED {
        let now = t0 + TICK * k as u32;
        // Prepare this tick's packets outside the measurement.
        for (n, s) in senders.iter_mut().enumerate() {
            let p = &g711[match s.codec {
                AudioCodec::Pcmu => 0,
                AudioCodec::Pcma => 1,
                _ => 2,
            }];
            let payload = if s.talker {
                &p.tones[n % 2][k % 50]
            } else {
                &p.silence
            };
            let header = RtpHeader {
                pt: Pt(s.pt),
                marker: k == 0,
                seq: SeqNo(k as u16),
                timestamp: k as u32 * s.codec.frame_units(),
                ssrc: Ssrc(s.ssrc),
            };
            s.len = rtp::write(&mut s.packet, &header, payload).expect("fits");
        }
        let start = Instant::now();
        for s in &senders {
            engines[s.engine].handle_rtp(now, s.leg, &s.packet[..s.len]);
        }
        let tick_start = Instant::now();
        for e in &mut engines {
            e.tick(now);
            while let Some(p) = e.poll_transmit() {
                sent += p.data.len() as u64;
            }
            while e.poll_event().is_some() {}
        }
        let end = Instant::now();
        if k >= WARMUP {
            total.push(end - start);
            ticks.push(end - tick_start);
        }
    }
    assert!(sent > 0);
    let heard: usize = engines.iter().map(|e| e.stats().talkers).sum();
    assert_eq!(
        heard,
        talkers * conferences,
        "{talkers} talkers per conference"
    );
    total.sort_unstable();
    ticks.sort_unstable();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    Figures {
        median_us: us(total[total.len() / 2]),
        p99_us: us(total[total.len() * 99 / 100]),
        tick_median_us: us(ticks[ticks.len() / 2]),
    }
}

fn main() {
    println!(
        "{:<34} {:>12} {:>12} {:>16} {:>20}",
        "scenario", "median µs", "p99 µs", "tick-only med µs", "participants/core"
    );
    // (conferences, size, talkers per conference, Opus?, name)
    let scenarios: [(usize, usize, usize, bool, &str); 10] = [
        (1, 10, 2, false, "G.711 10 = 1 conf × 10"),
        (10, 10, 2, false, "G.711 100 = 10 confs × 10"),
        (100, 10, 2, false, "G.711 1000 = 100 confs × 10"),
        (1, 100, 2, false, "G.711 100 = 1 conf of 100"),
        (1, 1000, 2, false, "G.711 1000 = 1 conf of 1000"),
        (10, 10, 10, false, "G.711 100, all talking"),
        (100, 10, 10, false, "G.711 1000, all talking"),
        (1, 10, 2, true, "Opus 10 = 1 conf × 10"),
        (10, 10, 2, true, "Opus 100 = 10 confs × 10"),
        (10, 10, 10, true, "Opus 100, all talking"),
    ];
    for (conferences, size, talkers, opus, name) in scenarios {
        // The machine is shared: other work only ever adds time, so keep the quietest of 3 runs.
        let f = (0..3)
            .map(|_| run(conferences, size, talkers, opus))
            .min_by(|a, b| a.median_us.total_cmp(&b.median_us))
            .expect("3 runs");
        let n = (conferences * size) as f64;
        // A core spends at most 20 ms per 20 ms tick: scale the participants to that budget.
        let per_core = n * 20_000.0 / f.median_us;
        println!(
            "{name:<34} {:>12.1} {:>12.1} {:>16.1} {:>20.0}",
            f.median_us, f.p99_us, f.tick_median_us, per_core
        );
    }
}
