//! The mixer thread must never allocate per tick (DESIGN.md): after the legs are added, taking
//! packets in, ticking, draining, moving a leg between engines, playing, stopping and replacing
//! prompts, and detecting in-band DTMF allocate nothing. A counting global allocator checks it on
//! this thread.

mod counting_alloc;
mod support;

use std::sync::Arc;

use media::{AudioCodec, ConferenceEngine, LegId, MediaEvent};
use support::*;

use counting_alloc::allocations;

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

#[test]
fn steady_state_ticks_do_not_allocate() {
    let t0 = t0();
    let mut engine = ConferenceEngine::with_seed(1);
    let mut lobby = ConferenceEngine::with_seed(2);
    let codecs = [AudioCodec::Pcmu, AudioCodec::Pcma];
    for i in 0..6u64 {
        engine.add_leg(t0, LegId(i), config(codecs[i as usize % 2], i as u32));
    }
    // Prompts are decoded before counting, as the driver does at start-up.
    let clips: Vec<Arc<[i16]>> = ["welcome", "enter_conference_number", "try_again"]
        .iter()
        .map(|name| {
            let bytes = media::prompts::clip("en", name).expect("prompt");
            media::prompts::decode_wav(bytes, 8000)
                .expect("decodes")
                .into()
        })
        .collect();
    // Legs 2 and 3 key digits in-band: 100 ms of tones, 100 ms of silence.
    for leg in [2, 3] {
        engine.set_inband_dtmf(LegId(leg), true);
    }
    let keyed = |codec: AudioCodec, k: usize| {
        let mut out = vec![support::law(codec).silence(); 160];
        if k % 10 < 5 {
            let (row, col) = media::inband::frequencies('5').expect("key");
            let a = media::goertzel::tone(row, 8000.0, 0.2, k * 160, 160);
            let b = media::goertzel::tone(col, 8000.0, 0.2, k * 160, 160);
            let pcm: Vec<i16> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
            support::law(codec).encode(&pcm, &mut out);
        }
        out
    };
    // Packets are built before counting: the phones' side is not under test.
    let frames: Vec<Vec<Vec<u8>>> = (0..400u16)
        .map(|k| {
            (0..6u32)
                .map(|i| {
                    let codec = codecs[i as usize % 2];
                    let payload = if i < 2 {
                        tone_frame(codec, 440.0 + 300.0 * f64::from(i), 0.25, usize::from(k))
                    } else if i < 4 {
                        keyed(codec, usize::from(k))
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
    let (mut digits, mut finished) = (0u32, 0u32);
    let mut run = |engine: &mut ConferenceEngine, lobby: &mut ConferenceEngine, k: u16| {
        let now = t0 + TICK * u32::from(k);
        for (i, p) in frames[usize::from(k)].iter().enumerate() {
            engine.handle_rtp(now, LegId(i as u64), p);
        }
        engine.handle_rtcp(now, LegId(0), &rr);
        // Leg 4 hears a chain of prompts, restarted (replaced) every second; leg 0 hears one,
        // stopped early (barge-in); leg 5 hears one while it moves.
        if k.is_multiple_of(50) {
            engine.play(LegId(4), &clips);
            engine.play(LegId(0), &clips[2..]);
        }
        if k % 50 == 20 {
            engine.stop_playback(LegId(0));
        }
        if k % 50 == 5 {
            engine.play(LegId(5), &clips[..1]);
        }
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
            while let Some(event) = e.poll_event() {
                match event {
                    MediaEvent::InBandDigit { .. } => digits += 1,
                    MediaEvent::PlaybackFinished { .. } => finished += 1,
                    _ => {}
                }
            }
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
    // Two legs, a key every 200 ms for 8 s. Three plays a second, each ending once, except the
    // last ones of legs 4 and 5, still playing when the test stops.
    assert_eq!(digits, 2 * 40);
    assert_eq!(finished, 3 * 8 - 2);
    assert!(engine.is_playing(LegId(4)) && engine.is_playing(LegId(5)));
    // The two tone legs, and the two keying legs: their 100 ms pauses between keys are shorter
    // than the talk detector's 300 ms hangover.
    assert_eq!(engine.stats().talkers, 4);
}
