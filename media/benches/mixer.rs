//! Cost of the engine per 20 ms tick for G.711 conferences: every participant sends one packet per
//! tick (two talkers per conference send a tone, the others silence); the figure is the time to
//! take those packets in (`handle_rtp`), `tick`, and drain `poll_transmit`.
//!
//! Run with `cargo bench -p media`; each scenario runs 3 times and the quietest run is printed. Time is simulated for the engine (a fake `now` advancing 20 ms
//! per tick); only the measurement reads the real clock.
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use media::g711::Law;
use media::rtp::{self, RtpHeader};
use media::{AudioCodec, ConferenceEngine, LegConfig, LegId, Pt, SeqNo, Ssrc};

const TICK: Duration = Duration::from_millis(20);
const WARMUP: usize = 50;
const MEASURED: usize = 500;

/// One simulated participant: its engine, id, and the packet it sends (seq/ts patched per tick).
struct Sender {
    engine: usize,
    leg: LegId,
    packet: Vec<u8>,
    talker: bool,
}

fn tone_frames(freq: f64) -> Vec<Vec<u8>> {
    (0..50)
        .map(|f| {
            let pcm = media::goertzel::tone(freq, 8000.0, 0.3, f * 160, 160);
            let mut out = vec![0u8; 160];
            Law::Ulaw.encode(&pcm, &mut out);
            out
        })
        .collect()
}

fn setup(conferences: usize, size: usize, t0: Instant) -> (Vec<ConferenceEngine>, Vec<Sender>) {
    let mut engines = Vec::new();
    let mut senders = Vec::new();
    for c in 0..conferences {
        let mut engine = ConferenceEngine::with_seed(c as u64);
        for i in 0..size {
            let id = (c * size + i) as u64;
            let codec = if i % 3 == 2 {
                AudioCodec::Pcma
            } else {
                AudioCodec::Pcmu
            };
            let config = LegConfig {
                codec,
                payload_type: if codec == AudioCodec::Pcmu { 0 } else { 8 },
                telephone_event_pt: Some(101),
                ptime_ms: 20,
                ssrc: id as u32,
                fmtp: None,
            };
            let pt = config.payload_type;
            engine.add_leg(t0, LegId(id), config);
            let header = RtpHeader {
                pt: Pt(pt),
                marker: false,
                seq: SeqNo(0),
                timestamp: 0,
                ssrc: Ssrc(0x1000 + id as u32),
            };
            let silence = if codec == AudioCodec::Pcmu {
                0xFF
            } else {
                0xD5
            };
            let mut packet = vec![0u8; 172];
            rtp::write(&mut packet, &header, &[silence; 160]).expect("fits");
            senders.push(Sender {
                engine: c,
                leg: LegId(id),
                packet,
                talker: i < 2,
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

fn run(conferences: usize, size: usize) -> Figures {
    let t0 = Instant::now();
    let (mut engines, mut senders) = setup(conferences, size, t0);
    let tones = [tone_frames(440.0), tone_frames(1000.0)];
    let mut total = Vec::with_capacity(MEASURED);
    let mut ticks = Vec::with_capacity(MEASURED);
    let mut sent = 0u64;
    for k in 0..WARMUP + MEASURED {
        let now = t0 + TICK * k as u32;
        // Prepare this tick's packets outside the measurement.
        for (n, s) in senders.iter_mut().enumerate() {
            s.packet[2..4].copy_from_slice(&(k as u16).to_be_bytes());
            s.packet[4..8].copy_from_slice(&((k as u32) * 160).to_be_bytes());
            if s.talker && s.packet[1] & 0x7F == 0 {
                s.packet[12..].copy_from_slice(&tones[n % 2][k % 50]);
            }
        }
        let start = Instant::now();
        for s in &senders {
            engines[s.engine].handle_rtp(now, s.leg, &s.packet);
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
    let talkers: usize = engines.iter().map(|e| e.stats().talkers).sum();
    assert_eq!(talkers, 2 * conferences, "two talkers per conference");
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
    let scenarios: [(usize, usize, &str); 6] = [
        (1, 10, "10 = 1 conf × 10"),
        (10, 10, "100 = 10 confs × 10"),
        (100, 10, "1000 = 100 confs × 10"),
        (1, 10, "10 = 1 conf of 10"),
        (1, 100, "100 = 1 conf of 100"),
        (1, 1000, "1000 = 1 conf of 1000"),
    ];
    for (conferences, size, name) in scenarios {
        // The machine is shared: other work only ever adds time, so keep the quietest of 3 runs.
        let f = (0..3)
            .map(|_| run(conferences, size))
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
