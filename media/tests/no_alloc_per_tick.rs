//! The mixer thread must never allocate per tick (DESIGN.md): after the legs are added, taking
//! packets in, ticking, draining and moving a leg between engines allocate nothing. A counting
//! global allocator checks it on this thread.

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use media::{AudioCodec, ConferenceEngine, LegId};
use support::*;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

struct Counting;

// SAFETY: forwards to the system allocator; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(|c| c.get())
}

#[test]
fn steady_state_ticks_do_not_allocate() {
    let t0 = t0();
    let mut engine = ConferenceEngine::with_seed(1);
    let mut lobby = ConferenceEngine::with_seed(2);
    let codecs = [AudioCodec::Pcmu, AudioCodec::Pcma];
    for i in 0..6u64 {
        engine.add_leg(t0, LegId(i), config(codecs[i as usize % 2], i as u32));
    }
    // Packets are built before counting: the phones' side is not under test.
    let frames: Vec<Vec<Vec<u8>>> = (0..400u16)
        .map(|k| {
            (0..6u32)
                .map(|i| {
                    let codec = codecs[i as usize % 2];
                    let payload = if i < 2 {
                        tone_frame(codec, 440.0 + 300.0 * f64::from(i), 0.25, usize::from(k))
                    } else {
                        vec![support::law(codec).silence(); 160]
                    };
                    let pt = if codec == AudioCodec::Pcmu { 0 } else { 8 };
                    packet(pt, 100 + i, k, u32::from(k) * 160, false, &payload)
                })
                .collect()
        })
        .collect();
    let rr = [0x80u8, 201, 0, 1, 0, 0, 0, 100];
    let mut bytes = 0usize;
    let mut run = |engine: &mut ConferenceEngine, lobby: &mut ConferenceEngine, k: u16| {
        let now = t0 + TICK * u32::from(k);
        for (i, p) in frames[usize::from(k)].iter().enumerate() {
            engine.handle_rtp(now, LegId(i as u64), p);
        }
        engine.handle_rtcp(now, LegId(0), &rr);
        // Leg 5 goes to the lobby and comes back, as a waiting room would do.
        if k % 50 == 10 {
            let state = engine.take_leg(LegId(5)).expect("leg 5");
            lobby.insert_leg(now, state);
        }
        if k % 50 == 30 {
            let state = lobby.take_leg(LegId(5)).expect("leg 5 in lobby");
            engine.insert_leg(now, state);
        }
        for e in [&mut *engine, &mut *lobby] {
            e.tick(now);
            while let Some(p) = e.poll_transmit() {
                bytes += p.data.len();
            }
            while e.poll_event().is_some() {}
        }
    };
    // Warm up: the jitter buffers prime, the event queue and the leg index reach their size.
    for k in 0..100 {
        run(&mut engine, &mut lobby, k);
    }
    let before = allocations();
    assert!(before > 0, "the counter sees this thread's allocations");
    for k in 100..400 {
        run(&mut engine, &mut lobby, k);
    }
    assert_eq!(allocations() - before, 0, "allocations during 300 ticks");
    assert!(bytes > 0);
    assert_eq!(engine.stats().talkers, 2);
}
