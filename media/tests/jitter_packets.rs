//! `Packets` mode (Opus): whole packets with their durations, the priming wait, FEC look-ahead
//! on a lost packet (the next one offered but not consumed), a DTX timestamp gap concealed one
//! tick at a time, a shrink that drops a whole packet, and the packets refused.

use std::time::{Duration, Instant};

use media::jitter::{Insert, JitterBuffer, JitterConfig, PacketPop, PLAYOUT_DELAY};
use media::{SeqNo, Ssrc};

const MS20: Duration = Duration::from_millis(20);

/// The one clock read of a test: everything after is `t0 + Duration`.
#[allow(clippy::disallowed_methods)]
fn t0() -> Instant {
    Instant::now()
}

fn opus() -> JitterBuffer {
    JitterBuffer::with_config(JitterConfig::opus())
}

#[test]
fn packets_mode_plays_whole_packets_and_waits_out_the_priming() {
    let t0 = t0();
    let mut jb = opus();
    let mut out = [0u8; 1500];
    for k in 0..4u16 {
        let p = [k as u8; 300];
        let r = jb.insert_packet(t0, Ssrc(3), SeqNo(k), u32::from(k) * 2880, &p, 2880);
        assert_eq!(r, Insert::Stored);
    }
    assert_eq!(jb.pop_packet(t0, &mut out), PacketPop::Missing);
    assert_eq!(jb.stats().waiting, 1);
    for k in 0..4u8 {
        let t = t0 + PLAYOUT_DELAY + Duration::from_millis(60) * u32::from(k);
        assert_eq!(
            jb.pop_packet(t, &mut out),
            PacketPop::Packet {
                len: 300,
                duration: 2880
            }
        );
        assert_eq!(out[0], k);
    }
    assert_eq!(jb.stats().played, 4);
}

#[test]
fn packets_mode_offers_the_next_packet_for_fec_without_consuming_it() {
    let t0 = t0();
    let mut jb = opus();
    let mut out = [0u8; 1500];
    // 20 ms packets 0..8; 2 is lost alone, 5 and 6 together.
    for k in (0..9u16).filter(|k| ![2, 5, 6].contains(k)) {
        let len = 100 + usize::from(k);
        jb.insert_packet(
            t0,
            Ssrc(3),
            SeqNo(k),
            u32::from(k) * 960,
            &vec![k as u8; len],
            960,
        );
    }
    let mut got = Vec::new();
    for tick in 0..9u32 {
        out[0] = 0xEE;
        got.push((
            jb.pop_packet(t0 + PLAYOUT_DELAY + MS20 * tick, &mut out),
            out[0],
        ));
    }
    let packet = |k: u8| {
        (
            PacketPop::Packet {
                len: 100 + usize::from(k),
                duration: 960,
            },
            k,
        )
    };
    let lost = |next: Option<usize>, byte: u8| {
        (
            PacketPop::Lost {
                duration: 960,
                next,
            },
            byte,
        )
    };
    assert_eq!(
        got,
        vec![
            packet(0),
            packet(1),
            lost(Some(103), 3),
            packet(3),
            packet(4),
            lost(None, 0xEE),
            lost(Some(107), 7),
            packet(7),
            packet(8),
        ]
    );
    let s = jb.stats();
    assert_eq!((s.lost, s.concealed, s.played), (3, 3, 6));
}

#[test]
fn packets_mode_conceals_a_timestamp_gap_one_tick_at_a_time() {
    let t0 = t0();
    let mut jb = opus();
    let mut out = [0u8; 1500];
    // DTX: packet 1 comes 100 ms (5 ticks) after the end of packet 0.
    jb.insert_packet(t0, Ssrc(3), SeqNo(0), 0, &[1; 80], 960);
    jb.insert_packet(t0, Ssrc(3), SeqNo(1), 6 * 960, &[2; 80], 960);
    let pops: Vec<PacketPop> = (0..7u32)
        .map(|i| jb.pop_packet(t0 + PLAYOUT_DELAY + MS20 * i, &mut out))
        .collect();
    let packet = PacketPop::Packet {
        len: 80,
        duration: 960,
    };
    let mut want = vec![packet];
    want.extend([PacketPop::Missing; 5]);
    want.push(packet);
    assert_eq!(pops, want);
    assert_eq!(out[0], 2);
    assert_eq!(jb.stats().lost, 0);
}

#[test]
fn packets_mode_shrinks_by_dropping_a_packet() {
    let t0 = t0();
    let mut jb = opus();
    let mut out = [0u8; 1500];
    let mut played = Vec::new();
    // A clean 20 ms stream for 10 s: from 60 ms down toward 20 ms, whole packets dropped.
    for k in 0..500u32 {
        let now = t0 + MS20 * k;
        jb.insert_packet(now, Ssrc(3), SeqNo(k as u16), k * 960, &[k as u8; 50], 960);
        if let PacketPop::Packet { .. } = jb.pop_packet(now, &mut out) {
            played.push(out[0]);
        }
    }
    let s = jb.stats();
    assert!(s.shrunk >= 1, "{s:?}");
    let skips = played
        .windows(2)
        .filter(|w| w[1] != w[0].wrapping_add(1))
        .count() as u64;
    assert_eq!(skips, s.shrunk);
    assert_eq!((s.lost, s.stretched), (0, 0));
}

#[test]
fn oversized_and_zero_duration_packets_are_refused() {
    let t0 = t0();
    let mut jb = opus();
    assert_eq!(
        jb.insert_packet(t0, Ssrc(3), SeqNo(0), 0, &[0; 1501], 960),
        Insert::Oversized
    );
    assert_eq!(
        jb.insert_packet(t0, Ssrc(3), SeqNo(0), 0, &[0; 10], 0),
        Insert::Oversized
    );
    assert_eq!(jb.stats().oversized, 2);
}

#[test]
fn a_packet_lasting_more_than_a_quarter_second_is_refused() {
    let t0 = t0();
    let mut jb = opus();
    assert_eq!(
        jb.insert_packet(t0, Ssrc(3), SeqNo(0), 0, &[0; 10], 12_001),
        Insert::Oversized
    );
    assert_eq!(
        jb.insert_packet(t0, Ssrc(3), SeqNo(0), 0, &[0; 10], 5760),
        Insert::Stored
    );
}
