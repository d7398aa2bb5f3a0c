//! Moving a participant from the lobby engine to a conference engine keeps its SSRC, sequence
//! numbers and timestamps continuous (RFC 3550 §5.1), and a pause during the move advances the
//! timestamp by the time that passed.

mod support;

use std::time::Duration;

use media::rtp;
use media::{AudioCodec, ConferenceEngine, LegId};
use support::*;

fn headers(packets: &[Vec<u8>]) -> Vec<rtp::RtpHeader> {
    packets
        .iter()
        .map(|p| rtp::parse(p).expect("valid RTP").header)
        .collect()
}

#[test]
fn seq_and_timestamp_continue_across_engines() {
    let t0 = t0();
    let leg = LegId(42);
    let mut lobby = ConferenceEngine::with_seed(1);
    let mut conf = ConferenceEngine::with_seed(2);
    conf.add_leg(t0, LegId(7), config(AudioCodec::Pcma, 70));
    lobby.add_leg(t0, leg, config(AudioCodec::Pcmu, 4242));
    let mut rx = vec![Received::default(), Received::default()];
    let legs = [leg, LegId(7)];
    let mut tick = 0u32;
    for _ in 0..10 {
        let now = t0 + TICK * tick;
        lobby.handle_rtp(
            now,
            leg,
            &packet(0, 9, tick as u16, tick * 160, false, &[0xFF; 160]),
        );
        lobby.tick(now);
        conf.tick(now);
        drain(&mut lobby, &legs, &mut rx);
        drain(&mut conf, &legs, &mut rx);
        tick += 1;
    }
    let state = lobby.take_leg(leg).expect("leg in lobby");
    assert!(lobby.is_empty());
    assert_eq!(state.id(), leg);
    conf.insert_leg(t0 + TICK * tick, state);
    assert_eq!(conf.len(), 2);
    for _ in 0..10 {
        let now = t0 + TICK * tick;
        conf.handle_rtp(
            now,
            leg,
            &packet(0, 9, tick as u16, tick * 160, false, &[0xFF; 160]),
        );
        conf.tick(now);
        drain(&mut conf, &legs, &mut rx);
        tick += 1;
    }
    let h = headers(&rx[0].rtp);
    assert_eq!(h.len(), 20);
    for w in h.windows(2) {
        assert_eq!(w[1].ssrc, w[0].ssrc);
        assert_eq!(w[1].seq, w[0].seq.next());
        assert_eq!(w[1].timestamp, w[0].timestamp.wrapping_add(160));
        assert!(!w[1].marker);
    }
    assert_eq!(h[0].ssrc.0, 4242);
    assert!(h[0].marker, "first packet of the stream");
    // The moved leg's jitter buffer kept playing: nothing lost.
    let s = conf.leg_stats(leg).expect("leg moved");
    assert_eq!((s.jitter.lost, s.rtp_sent), (0, 20));
    assert_eq!(s.rtp_received, 20);
}

#[test]
fn a_pause_during_the_move_advances_the_timestamp() {
    let t0 = t0();
    let leg = LegId(1);
    let mut lobby = ConferenceEngine::new();
    let mut conf = ConferenceEngine::new();
    lobby.add_leg(t0, leg, config(AudioCodec::Pcmu, 11));
    let mut rx = vec![Received::default()];
    for tick in 0..5u32 {
        lobby.tick(t0 + TICK * tick);
        drain(&mut lobby, &[leg], &mut rx);
    }
    let state = lobby.take_leg(leg).expect("leg");
    // 200 ms pass (10 frames) between the last lobby tick and the first conference tick.
    let resume = t0 + TICK * 4 + Duration::from_millis(200);
    conf.insert_leg(resume, state);
    conf.tick(resume);
    drain(&mut conf, &[leg], &mut rx);
    let h = headers(&rx[0].rtp);
    let (before, after) = (h[4], h[5]);
    assert_eq!(after.seq, before.seq.next());
    assert_eq!(after.timestamp, before.timestamp.wrapping_add(1600));
    assert!(after.marker);
    // Unknown legs are ignored and counted.
    assert!(lobby.take_leg(leg).is_none());
    lobby.handle_rtp(resume, leg, &[0x80; 20]);
    assert_eq!(lobby.stats().unknown_leg, 1);
}
