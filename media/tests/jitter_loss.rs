//! Lost packets are counted and concealed; packets that arrive after their playout time are
//! dropped as late; a silent stretch (sender stopped) re-primes the buffer.

mod support;

use media::jitter::{Insert, JitterBuffer, Pop};
use media::{AudioCodec, ConferenceEngine, LegId, SeqNo, Ssrc};
use support::*;

#[test]
fn every_tenth_packet_lost() {
    let t0 = t0();
    let mut jb = JitterBuffer::new(160);
    let mut out = [0u8; 160];
    let (mut frames, mut missing) = (0, 0);
    for tick in 0..100u16 {
        let now = t0 + TICK * u32::from(tick);
        if tick % 10 != 5 {
            jb.insert(now, Ssrc(1), SeqNo(tick), u32::from(tick) * 160, &[1; 160]);
        }
        match jb.pop(now, &mut out) {
            Pop::Frame(_) => frames += 1,
            Pop::Missing => missing += 1,
        }
    }
    let s = jb.stats();
    // 10 lost; the last one (95) is skipped within the run since 96 arrived before its turn.
    assert_eq!(s.lost, 10);
    assert_eq!(s.concealed, 10);
    // 3 frames of priming, then one frame per packet received or lost, minus what is still buffered.
    assert_eq!(frames + missing, 100);
    assert_eq!(frames, 90 - 3 + 3 - 3);
}

#[test]
fn a_packet_after_its_playout_time_is_late() {
    let t0 = t0();
    let mut jb = JitterBuffer::new(160);
    let mut out = [0u8; 160];
    let mut late_packet = None;
    for tick in 0..20u16 {
        let now = t0 + TICK * u32::from(tick);
        if tick == 8 {
            late_packet = Some(tick);
        } else {
            jb.insert(now, Ssrc(1), SeqNo(tick), u32::from(tick) * 160, &[1; 160]);
        }
        jb.pop(now, &mut out);
    }
    let seq = late_packet.expect("held back");
    let now = t0 + TICK * 20;
    assert_eq!(
        jb.insert(now, Ssrc(1), SeqNo(seq), u32::from(seq) * 160, &[1; 160]),
        Insert::Late
    );
    let s = jb.stats();
    assert_eq!((s.lost, s.late), (1, 1));
}

#[test]
fn sender_pause_reprimes_and_counts_the_gap() {
    let t0 = t0();
    let mut engine = ConferenceEngine::new();
    engine.add_leg(t0, LegId(1), config(AudioCodec::Pcma, 1));
    let mut seq = 0u16;
    let mut tick = 0u32;
    let mut run = |engine: &mut ConferenceEngine, ticks: u32, send: bool, seq: &mut u16| {
        for _ in 0..ticks {
            let now = t0 + TICK * tick;
            if send {
                let p = packet(8, 5, *seq, u32::from(*seq) * 160, false, &[0xD5; 160]);
                engine.handle_rtp(now, LegId(1), &p);
            }
            *seq = seq.wrapping_add(1);
            engine.tick(now);
            while engine.poll_transmit().is_some() {}
            tick += 1;
        }
    };
    run(&mut engine, 20, true, &mut seq);
    // 25 packets (500 ms) never arrive: the buffer runs dry, then the sender resumes.
    run(&mut engine, 25, false, &mut seq);
    run(&mut engine, 20, true, &mut seq);
    let s = engine.leg_stats(LegId(1)).expect("leg");
    assert_eq!(s.jitter.lost, 25);
    assert_eq!(s.jitter.late, 0);
    assert_eq!(s.rtp_sent, 65);
}
