//! The adaptive depth of the jitter buffer, one behaviour per test: a clean stream comes down
//! from the initial 60 ms to the minimum; jitter raises the target and calm brings it back; a
//! late packet raises it at once and the depth follows one tick per half second; a marker after
//! silence re-aligns playout to the target (but not a marker on every packet); a late packet into
//! an empty buffer re-aligns instead of being dropped.

use std::time::{Duration, Instant};

use media::jitter::{Arrival, Insert, JitterBuffer, Pop};
use media::{SeqNo, Ssrc};

const MS20: Duration = Duration::from_millis(20);

/// The one clock read of a test: everything after is `t0 + Duration`.
#[allow(clippy::disallowed_methods)]
fn t0() -> Instant {
    Instant::now()
}

/// Feeds a 20 ms stream (seq k, ts k·160, payload byte k) where packet k arrives at
/// `k·20 ms + delay(k)`, popping at every tick; returns the bytes played, one per frame, and
/// the tick of every stretch.
fn drive(
    jb: &mut JitterBuffer,
    t0: Instant,
    ticks: u32,
    delay_ms: impl Fn(u32) -> Option<u64>,
) -> (Vec<u8>, Vec<u32>) {
    let mut arrivals: Vec<(Duration, u32)> = (0..ticks)
        .filter_map(|k| delay_ms(k).map(|d| (MS20 * k + Duration::from_millis(d), k)))
        .collect();
    arrivals.sort();
    let (mut played, mut stretches) = (Vec::new(), Vec::new());
    let mut out = [0u8; 160];
    let mut next = 0;
    for tick in 0..ticks {
        let now = t0 + MS20 * tick;
        while next < arrivals.len() && arrivals[next].0 <= MS20 * tick {
            let (at, k) = arrivals[next];
            jb.insert(t0 + at, Ssrc(1), SeqNo(k as u16), k * 160, &[k as u8; 160]);
            next += 1;
        }
        let before = jb.stats().stretched;
        if let Pop::Frame(_) = jb.pop(now, &mut out) {
            played.push(out[0]);
        }
        if jb.stats().stretched > before {
            stretches.push(tick);
        }
    }
    (played, stretches)
}

#[test]
fn a_clean_stream_shrinks_from_the_initial_delay_to_the_minimum() {
    let t0 = t0();
    let mut jb = JitterBuffer::new(160);
    let (played, stretches) = drive(&mut jb, t0, 1500, |_| Some(0));
    let s = jb.stats();
    assert_eq!(jb.target_delay(), Duration::from_millis(20));
    // Coming down from 60 ms, D stops in [target, target + frame) = [20, 40) ms.
    assert!(jb.current_delay() < Duration::from_millis(40));
    assert!(jb.current_delay() >= Duration::from_millis(20));
    assert!(stretches.is_empty());
    // 60 ms down to 20: two frames dropped, each a one-frame skip in the bytes.
    assert_eq!(s.shrunk, 2, "{s:?}");
    let skips = played
        .windows(2)
        .filter(|w| w[1] != w[0].wrapping_add(1))
        .count() as u64;
    assert_eq!(skips, s.shrunk);
    assert!(played.windows(2).all(|w| w[1].wrapping_sub(w[0]) <= 2));
    assert_eq!((s.lost, s.late, s.concealed), (0, 0, 0));
}

#[test]
fn a_clean_stream_stops_within_a_frame_above_the_target_whatever_its_phase() {
    // Packets that arrive `offset` ms after a tick wait 20 − offset ms for the next one: the
    // delay comes down from 60 ms until it is in [20, 40), at 20 + (20 − offset) mod 20.
    for (offset, expected) in [(0, 20), (1, 39), (5, 35), (7, 33), (13, 27), (19, 21)] {
        let t0 = t0();
        let mut jb = JitterBuffer::new(160);
        let (_, stretches) = drive(&mut jb, t0, 500, |_| Some(offset));
        assert_eq!(
            jb.current_delay(),
            Duration::from_millis(expected),
            "offset {offset} ms"
        );
        assert!(stretches.is_empty());
        assert_eq!(jb.stats().late, 0);
    }
}

#[test]
fn jitter_raises_the_target_and_calm_brings_it_down() {
    let t0 = t0();
    let mut jb = JitterBuffer::new(160);
    // 20 s of 0-90 ms jitter (a fixed pattern), then calm.
    let jittery = |k: u32| u64::from(k * 37 % 91);
    drive(&mut jb, t0, 1000, |k| Some(jittery(k)));
    let high = jb.target_delay();
    assert!(high >= Duration::from_millis(90), "{high:?}");
    assert!(high <= Duration::from_millis(100), "{high:?}");
    assert!(jb.current_delay() >= Duration::from_millis(90));
    // Learning costs a few late packets at the start (the first delay is 60 ms), no more.
    let learning = jb.stats();
    assert!(learning.late <= 12, "{learning:?}");
    // The same stream going on calm: held 10-20 s, then 5 ms/s of decay: 60 s later the
    // target is back at the minimum, and nothing more was late.
    let mut jb = JitterBuffer::new(160);
    drive(&mut jb, t0, 4000, |k| {
        Some(if k < 1000 { jittery(k) } else { 0 })
    });
    assert_eq!(jb.target_delay(), Duration::from_millis(20));
    assert!(jb.current_delay() < Duration::from_millis(40));
    assert!(jb.current_delay() >= Duration::from_millis(20));
    assert_eq!(jb.stats().late, learning.late);
}

#[test]
fn a_late_packet_raises_the_target_at_once_and_the_depth_follows_by_single_ticks() {
    let t0 = t0();
    let mut jb = JitterBuffer::new(160);
    let mut out = [0u8; 160];
    let ins = |jb: &mut JitterBuffer, at: Instant, k: u32| {
        jb.insert(at, Ssrc(1), SeqNo(k as u16), k * 160, &[k as u8; 160])
    };
    // 2 s clean.
    for tick in 0..100 {
        ins(&mut jb, t0 + MS20 * tick, tick);
        jb.pop(t0 + MS20 * tick, &mut out);
    }
    let before = jb.target_delay();
    // Packet 100 is held 150 ms; the others keep coming.
    for tick in 100..108 {
        if tick != 100 {
            ins(&mut jb, t0 + MS20 * tick, tick);
        }
        jb.pop(t0 + MS20 * tick, &mut out);
    }
    assert_eq!(
        ins(&mut jb, t0 + MS20 * 107 + Duration::from_millis(10), 100),
        Insert::Late
    );
    let raised = jb.target_delay();
    assert!(raised >= Duration::from_millis(150) && before < Duration::from_millis(60));
    // The depth grows one tick at a time, 500 ms apart, without losing anything.
    let (played, stretches) = {
        let mut played = Vec::new();
        let mut stretches = Vec::new();
        for tick in 108..400u32 {
            ins(&mut jb, t0 + MS20 * tick, tick);
            let st = jb.stats().stretched;
            if let Pop::Frame(_) = jb.pop(t0 + MS20 * tick, &mut out) {
                played.push(out[0]);
            }
            if jb.stats().stretched > st {
                stretches.push(tick);
            }
        }
        (played, stretches)
    };
    assert!(stretches.len() >= 4, "{stretches:?}");
    assert!(
        stretches.windows(2).all(|w| w[1] - w[0] >= 25),
        "{stretches:?}"
    );
    assert!(played.windows(2).all(|w| w[1] == w[0].wrapping_add(1)));
    assert!(jb.current_delay() >= Duration::from_millis(140));
    let s = jb.stats();
    assert_eq!((s.late, s.lost), (1, 1), "{s:?}");
}

#[test]
fn a_marker_after_silence_realigns_to_the_target() {
    let t0 = t0();
    let mut jb = JitterBuffer::new(160);
    let mut out = [0u8; 160];
    // 10 s clean: the delay has come down from 60 ms.
    drive(&mut jb, t0, 500, |_| Some(0));
    // 600 ms of silence (DTX: the sequence goes on, the timestamp jumps), then a talkspurt
    // whose first packet came 30 ms slower than usual.
    for tick in 500..530 {
        jb.pop(t0 + MS20 * tick, &mut out);
    }
    let at = t0 + MS20 * 530 + Duration::from_millis(30);
    let first = Arrival {
        ssrc: Ssrc(1),
        seq: SeqNo(500),
        ts: 530 * 160,
        marker: true,
        payload: &[7; 160],
        duration: 160,
    };
    assert_eq!(jb.offer(at, &first), Insert::Stored);
    assert_eq!(jb.stats().realigned, 1);
    let target = jb.target_delay();
    let mut waited = 0;
    for tick in 531..600u32 {
        let k = tick - 30;
        jb.insert(
            t0 + MS20 * tick,
            Ssrc(1),
            SeqNo(k as u16),
            tick * 160,
            &[8; 160],
        );
        match jb.pop(t0 + MS20 * tick, &mut out) {
            Pop::Missing => waited += 1,
            Pop::Frame(_) => break,
        }
    }
    // It waits for the target less its own 30 ms of excess, within a tick.
    let wait = MS20 * waited;
    assert!(
        wait + Duration::from_millis(30) >= target,
        "{wait:?} vs {target:?}"
    );
    assert!(wait <= target, "{wait:?} vs {target:?}");
    assert_eq!(out[0], 7);
    let s = jb.stats();
    assert_eq!((s.lost, s.late, s.resyncs), (0, 0, 0), "{s:?}");
}

#[test]
fn a_sender_marking_every_packet_does_not_realign_in_speech() {
    let t0 = t0();
    let mut jb = JitterBuffer::new(160);
    let mut out = [0u8; 160];
    // 20 s, 0-15 ms jitter, every packet marked, one in 97 lost: at 20 ms the buffer is
    // empty when a packet is lost, but never for two ticks, so no marker is taken for a
    // talkspurt.
    for tick in 0..1000u32 {
        if tick % 97 == 50 {
            jb.pop(t0 + MS20 * (tick + 1), &mut out);
            continue;
        }
        let at = t0 + MS20 * tick + Duration::from_millis(u64::from(tick * 7 % 16));
        let a = Arrival {
            ssrc: Ssrc(1),
            seq: SeqNo(tick as u16),
            ts: tick * 160,
            marker: true,
            payload: &[1; 160],
            duration: 160,
        };
        jb.offer(at, &a);
        jb.pop(t0 + MS20 * (tick + 1), &mut out);
    }
    let s = jb.stats();
    assert_eq!(
        (s.realigned, s.late, s.lost, s.concealed),
        (0, 0, 10, 10),
        "{s:?}"
    );
}

#[test]
fn a_late_packet_into_an_empty_buffer_realigns_instead_of_being_dropped() {
    let t0 = t0();
    let mut jb = JitterBuffer::new(160);
    // Everything from packet 200 on is 150 ms late (a route change): the buffer runs dry.
    let (played, _) = drive(&mut jb, t0, 400, |k| Some(if k < 200 { 0 } else { 150 }));
    let s = jb.stats();
    assert_eq!(s.realigned, 1, "{s:?}");
    assert_eq!((s.late, s.lost), (0, 0), "{s:?}");
    // Nothing is skipped: the packets after the step all play, in order.
    let after: Vec<u8> = played.iter().copied().skip_while(|b| *b != 200).collect();
    assert!(after.len() > 150);
    assert!(after.windows(2).all(|w| w[1] == w[0].wrapping_add(1)));
}

#[test]
fn a_slow_sender_walks_the_delay_down_to_the_floor_below_the_target_before_a_stretch() {
    let t0 = t0();
    let mut jb = JitterBuffer::new(160);
    let mut out = [0u8; 160];
    // The sender's clock runs 0.5 % slow: packet k arrives at k · 20.1 ms, so the delay falls by
    // 5 ms a second (in 5 ms steps: the base transit moves once a second).
    let mut next = 0u32;
    let mut delays = Vec::new();
    let mut at_stretch = Vec::new();
    for tick in 0..3000u32 {
        let now = t0 + MS20 * tick;
        let arrival = |k: u32| Duration::from_micros(u64::from(k) * 20_100);
        while arrival(next) <= MS20 * tick {
            jb.insert(
                t0 + arrival(next),
                Ssrc(1),
                SeqNo(next as u16),
                next * 160,
                &[1; 160],
            );
            next += 1;
        }
        let (stretched, before) = (jb.stats().stretched, jb.current_delay());
        jb.pop(now, &mut out);
        // From 12 s on: the start's 60 ms has run down and the first stretch is past.
        if tick >= 600 {
            delays.push(jb.current_delay());
        }
        if jb.stats().stretched > stretched {
            at_stretch.push((tick, before, jb.current_delay()));
        }
    }
    let s = jb.stats();
    // The start's delay runs down with the drift (no shrink); the first stretch comes at 11 s,
    // then one every 4 s (20 ms at 5 ms/s).
    assert!((12..=14).contains(&s.stretched), "{s:?} {at_stretch:?}");
    assert_eq!(
        (s.lost, s.late, s.concealed, s.shrunk),
        (0, 0, 0, 0),
        "{s:?}"
    );
    assert_eq!(jb.target_delay(), Duration::from_millis(20));
    // The delay may fall below its 20 ms target: a stretch comes only once it has been under
    // the floor, 5 ms below the target, for the whole hold (at this pop and the one before)…
    for (tick, before, at) in &at_stretch {
        assert!(
            *before < Duration::from_millis(15) && *at < Duration::from_millis(15),
            "tick {tick}: {at_stretch:?}"
        );
    }
    // …so the delay stays between the floor less one 5 ms step and the floor plus a frame.
    let (lo, hi) = (delays.iter().min().unwrap(), delays.iter().max().unwrap());
    assert!(*lo >= Duration::from_millis(10), "{lo:?}");
    assert!(*hi < Duration::from_millis(35), "{hi:?}");
}
