//! The jitter buffer allocates only in its constructor: minutes of inserts and pops with jitter,
//! loss, reordering, duplicates, resyncs and realignments, in both framings, allocate nothing.
//! A counting global allocator checks it on this thread.

mod counting_alloc;
use std::time::{Duration, Instant};

use media::jitter::{Arrival, JitterBuffer, JitterConfig};
use media::{SeqNo, Ssrc};

use counting_alloc::allocations;

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

#[allow(clippy::disallowed_methods)]
fn t0() -> Instant {
    Instant::now()
}

/// Drives `jb` for `ticks` 20 ms ticks with a fixed, allocation-free impairment pattern.
fn drive(jb: &mut JitterBuffer, t0: Instant, ticks: u32, units: u32, packets: bool) {
    let payload = [0x55u8; 160];
    let mut out = [0u8; 1500];
    let mut state = 0x1234_5678u64;
    for tick in 0..ticks {
        let now = t0 + Duration::from_millis(u64::from(tick) * 20);
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let r = (state >> 33) as u32;
        // Mostly in order; some lost, some one behind (reordered), some duplicated; a new SSRC
        // every 20 s; silence (a timestamp jump with a marker) every 7 s.
        let k = if r.is_multiple_of(17) {
            tick.saturating_sub(1)
        } else {
            tick
        };
        let ssrc = Ssrc(1 + tick / 1000);
        let ts = k * units + (tick / 350) * units * 10;
        if !r.is_multiple_of(23) {
            let a = Arrival {
                ssrc,
                seq: SeqNo(k as u16),
                ts,
                marker: tick % 350 == 0,
                payload: &payload[..(units as usize).min(160)],
                duration: units,
            };
            let at = now - Duration::from_millis(u64::from(r % 15));
            jb.offer(at, &a);
            if r.is_multiple_of(29) {
                jb.offer(at, &a);
            }
        }
        if packets {
            jb.pop_packet(now, &mut out);
        } else {
            jb.pop(now, &mut out[..160]);
        }
    }
}

#[test]
fn inserts_and_pops_do_not_allocate() {
    let t0 = t0();
    let mut g711 = JitterBuffer::with_config(JitterConfig::g711());
    let mut opus = JitterBuffer::with_config(JitterConfig::opus());
    let before = allocations();
    drive(&mut g711, t0, 6000, 160, false);
    drive(&mut opus, t0, 6000, 960, true);
    let after = allocations();
    assert_eq!(after - before, 0, "allocations while playing");
    // The run did exercise the paths it claims to.
    let (a, b) = (g711.stats(), opus.stats());
    for s in [a, b] {
        assert!(
            s.played > 4000 && s.lost > 0 && s.duplicate > 0 && s.resyncs > 0,
            "{s:?}"
        );
    }
}
