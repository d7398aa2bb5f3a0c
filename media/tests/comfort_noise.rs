//! RFC 3389 comfort noise received: a phone with voice activity detection sends one CN packet
//! (payload type 13) when it goes quiet and then nothing until it talks again. The engine must
//! take that as silence — no loss counted, no concealment of the last word repeated — and pick
//! the audio up again when it resumes.

mod support;

use media::{AudioCodec, ConferenceEngine, LegId};
use support::*;

#[test]
fn comfort_noise_marks_silence_not_loss() {
    let t0 = t0();
    let mut engine = ConferenceEngine::new();
    let (talker, listener) = (LegId(1), LegId(2));
    engine.add_leg(t0, talker, config(AudioCodec::Pcmu, 1));
    engine.add_leg(t0, listener, config(AudioCodec::Pcmu, 2));
    let mut rx = [Received::default(), Received::default()];
    let mut seq = 0u16;
    for k in 0..150usize {
        let now = t0 + TICK * k as u32;
        let ts = k as u32 * 160;
        // Talk for 1 s, go quiet with one CN packet (level 60 dBov below), talk again at 2 s.
        if !(50..100).contains(&k) {
            let payload = tone_frame(AudioCodec::Pcmu, 440.0, 0.25, k);
            engine.handle_rtp(now, talker, &packet(0, 7, seq, ts, k == 100, &payload));
            seq = seq.wrapping_add(1);
        } else if k == 50 {
            engine.handle_rtp(now, talker, &packet(13, 7, seq, ts, false, &[60]));
            seq = seq.wrapping_add(1);
        }
        engine.handle_rtp(
            now,
            listener,
            &packet(0, 8, k as u16, ts, k == 0, &[0xFF; 160]),
        );
        engine.tick(now);
        drain(&mut engine, &[talker, listener], &mut rx);
    }
    let s = engine.leg_stats(talker).unwrap();
    assert_eq!(s.comfort_noise, 1);
    assert_eq!(s.rtp_unknown_pt, 0);
    assert_eq!(s.jitter.lost, 0, "{s:?}");
    // The listener hears the tone, then silence (no repeated frame faded in), then the tone.
    let pcm = decode(AudioCodec::Pcmu, &rx[1].rtp);
    let frame_db =
        |f: usize| media::goertzel::level_db(&pcm[f * 160..(f + 1) * 160], 440.0, 8000.0);
    assert!(frame_db(40) > -20.0, "{}", frame_db(40));
    // A frame or two of delay either way around the switch; the middle of the pause is silent.
    for f in 60..95 {
        assert!(frame_db(f) < -60.0, "frame {f}: {}", frame_db(f));
    }
    assert!(frame_db(140) > -20.0, "{}", frame_db(140));
}
