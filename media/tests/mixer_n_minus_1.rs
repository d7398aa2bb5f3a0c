//! Three legs send 440, 700 and 1000 Hz tones (one of them in A-law); each must hear the other
//! two and not itself, checked with a Goertzel detector on the decoded output.

mod support;

use media::goertzel::level_db;
use media::{AudioCodec, ConferenceEngine, LegId};
use support::*;

/// A tone that is there: well above G.711 quantisation noise (the tones are sent at −12 dBFS).
const PRESENT_DB: f64 = -16.0;
/// A tone that is not: 40 dB below the present ones.
const ABSENT_DB: f64 = -56.0;

#[test]
fn each_leg_hears_the_others_and_not_itself() {
    let t0 = t0();
    let mut engine = ConferenceEngine::with_seed(7);
    let legs = [LegId(1), LegId(2), LegId(3)];
    let codecs = [AudioCodec::Pcmu, AudioCodec::Pcma, AudioCodec::Pcmu];
    let freqs = [440.0, 700.0, 1000.0];
    for i in 0..3 {
        engine.add_leg(t0, legs[i], config(codecs[i], 100 + i as u32));
    }
    let mut rx: Vec<Received> = (0..3).map(|_| Received::default()).collect();
    for tick in 0..50usize {
        let now = t0 + TICK * tick as u32;
        for i in 0..3 {
            let payload = tone_frame(codecs[i], freqs[i], 0.25, tick);
            let p = packet(
                if codecs[i] == AudioCodec::Pcmu { 0 } else { 8 },
                0xA000 + i as u32,
                1000 + tick as u16,
                tick as u32 * 160,
                tick == 0,
                &payload,
            );
            engine.handle_rtp(now, legs[i], &p);
        }
        engine.tick(now);
        drain(&mut engine, &legs, &mut rx);
    }
    assert_eq!(engine.stats().talkers, 3);
    for i in 0..3 {
        assert_eq!(rx[i].rtp.len(), 50, "one packet per tick for leg {i}");
        // Skip the playout delay and the first mixed frames; analyse the last 40 frames.
        let pcm = decode(codecs[i], &rx[i].rtp[10..]);
        for (j, freq) in freqs.iter().enumerate() {
            let db = level_db(&pcm, *freq, 8000.0);
            if i == j {
                assert!(db < ABSENT_DB, "leg {i} hears itself at {db:.1} dBFS");
            } else {
                assert!(
                    db > PRESENT_DB,
                    "leg {i} hears leg {j} at only {db:.1} dBFS"
                );
            }
        }
    }
    let stats = engine.stats();
    assert_eq!(stats.rtp_received, 150);
    assert_eq!(stats.lost + stats.late + stats.rtp_malformed, 0);
}

#[test]
fn a_listener_hears_everyone_and_shares_the_mix() {
    let t0 = t0();
    let mut engine = ConferenceEngine::new();
    let legs = [LegId(1), LegId(2), LegId(3), LegId(4)];
    for (i, leg) in legs.iter().enumerate() {
        engine.add_leg(t0, *leg, config(AudioCodec::Pcmu, i as u32));
    }
    let mut rx: Vec<Received> = (0..4).map(|_| Received::default()).collect();
    for tick in 0..30usize {
        let now = t0 + TICK * tick as u32;
        // Legs 1 and 2 talk; legs 3 and 4 send silence.
        for (i, leg) in legs.iter().enumerate() {
            let payload = match i {
                0 => tone_frame(AudioCodec::Pcmu, 440.0, 0.25, tick),
                1 => tone_frame(AudioCodec::Pcmu, 1000.0, 0.25, tick),
                _ => vec![0xFF; 160],
            };
            let p = packet(
                0,
                50 + i as u32,
                tick as u16,
                tick as u32 * 160,
                false,
                &payload,
            );
            engine.handle_rtp(now, *leg, &p);
        }
        engine.tick(now);
        drain(&mut engine, &legs, &mut rx);
    }
    assert_eq!(engine.stats().talkers, 2);
    for r in &rx[2..] {
        let pcm = decode(AudioCodec::Pcmu, &r.rtp[10..]);
        assert!(level_db(&pcm, 440.0, 8000.0) > PRESENT_DB);
        assert!(level_db(&pcm, 1000.0, 8000.0) > PRESENT_DB);
    }
    // The two listeners got byte-identical payloads: the mix was encoded once.
    let payload = |p: &Vec<u8>| p[12..].to_vec();
    assert_eq!(payload(&rx[2].rtp[20]), payload(&rx[3].rtp[20]));
    // Talking events: legs 1 and 2 started talking, the silent ones never did.
    let mut talking = Vec::new();
    while let Some(ev) = engine.poll_event() {
        talking.push(ev);
    }
    assert_eq!(
        talking,
        vec![
            media::MediaEvent::Talking {
                leg: LegId(1),
                talking: true
            },
            media::MediaEvent::Talking {
                leg: LegId(2),
                talking: true
            },
        ]
    );
}
