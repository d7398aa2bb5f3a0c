//! Prompt playback through the engine: a lone leg hears only the prompt, a leg in a conference
//! hears the prompt over the mix (and nobody else hears it), clips chain, every `play` ends with
//! exactly one `PlaybackFinished` (played out, stopped, or replaced), and a leg moved mid-prompt
//! keeps playing in its new engine.

mod support;

use std::sync::Arc;
use std::time::Instant;

use media::goertzel::{level_db, tone};
use media::{AudioCodec, ConferenceEngine, LegId, MediaEvent};
use support::*;

fn clip(freq: f64, ms: usize) -> Arc<[i16]> {
    tone(freq, 8000.0, 0.25, 0, ms * 8).into()
}

/// Ticks `engine` `n` times from tick `from` (at `t0 + from · TICK`), with `talkers` sending a 440 Hz tone; returns the
/// RTP each of `legs` received and the events.
fn run(
    t0: Instant,
    engine: &mut ConferenceEngine,
    legs: &[LegId],
    talkers: &[LegId],
    from: u32,
    n: u32,
) -> (Vec<Received>, Vec<MediaEvent>) {
    let mut rx: Vec<Received> = legs.iter().map(|_| Received::default()).collect();
    let mut events = Vec::new();
    for k in from..from + n {
        let now = t0 + TICK * k;
        for (i, &leg) in talkers.iter().enumerate() {
            let payload = tone_frame(AudioCodec::Pcmu, 440.0, 0.25, k as usize);
            let p = packet(0, 500 + i as u32, k as u16, k * 160, false, &payload);
            engine.handle_rtp(now, leg, &p);
        }
        engine.tick(now);
        drain(engine, legs, &mut rx);
        while let Some(e) = engine.poll_event() {
            if !matches!(e, MediaEvent::Talking { .. }) {
                events.push(e);
            }
        }
    }
    (rx, events)
}

fn finished(leg: u64) -> MediaEvent {
    MediaEvent::PlaybackFinished { leg: LegId(leg) }
}

#[test]
fn a_lone_leg_hears_the_clips_back_to_back_then_silence() {
    let t0 = t0();
    let mut lobby = ConferenceEngine::new();
    lobby.add_leg(t0, LegId(1), config(AudioCodec::Pcmu, 1));
    assert!(lobby.play(LegId(1), &[clip(1000.0, 500), clip(600.0, 300)]));
    assert!(lobby.is_playing(LegId(1)));
    let (rx, events) = run(t0, &mut lobby, &[LegId(1)], &[], 0, 39);
    assert!(events.is_empty(), "{events:?}");
    assert!(lobby.is_playing(LegId(1)));
    let pcm = decode(AudioCodec::Pcmu, &rx[0].rtp);
    assert!((level_db(&pcm[0..4000], 1000.0, 8000.0) - -12.0).abs() < 0.5);
    assert!(level_db(&pcm[0..4000], 600.0, 8000.0) < -40.0);
    assert!((level_db(&pcm[4000..6240], 600.0, 8000.0) - -12.0).abs() < 0.5);
    // The 40th frame carries the last 160 samples: the play ends with that tick, once.
    let (rx, events) = run(t0, &mut lobby, &[LegId(1)], &[], 39, 5);
    assert_eq!(events, vec![finished(1)]);
    assert!(!lobby.is_playing(LegId(1)));
    let pcm = decode(AudioCodec::Pcmu, &rx[0].rtp);
    assert!((level_db(&pcm[0..160], 600.0, 8000.0) - -12.0).abs() < 0.5);
    assert!(pcm[160..].iter().all(|&s| s.abs() < 8), "silence after");
}

#[test]
fn the_prompt_is_mixed_over_the_conference_for_that_leg_only() {
    let t0 = t0();
    let mut conf = ConferenceEngine::new();
    let legs = [LegId(1), LegId(2), LegId(3)];
    for &leg in &legs {
        conf.add_leg(t0, leg, config(AudioCodec::Pcmu, leg.0 as u32));
    }
    // Prime the jitter buffers, then leg 1 hears a 1 kHz prompt while leg 2 talks.
    run(t0, &mut conf, &legs, &[LegId(2)], 0, 10);
    conf.play(LegId(1), &[clip(1000.0, 2000)]);
    let (rx, _) = run(t0, &mut conf, &legs, &[LegId(2)], 10, 25);
    let heard = |i: usize| decode(AudioCodec::Pcmu, &rx[i].rtp[5..]);
    let (one, two, three) = (heard(0), heard(1), heard(2));
    assert!(
        (level_db(&one, 1000.0, 8000.0) - -12.0).abs() < 0.5,
        "prompt"
    );
    assert!(
        (level_db(&one, 440.0, 8000.0) - -12.0).abs() < 0.5,
        "conference"
    );
    assert!(
        level_db(&two, 1000.0, 8000.0) < -50.0,
        "the talker does not hear it"
    );
    assert!(level_db(&three, 1000.0, 8000.0) < -50.0, "nor the listener");
    assert!((level_db(&three, 440.0, 8000.0) - -12.0).abs() < 0.5);
}

#[test]
fn every_play_ends_with_exactly_one_event() {
    let t0 = t0();
    let mut e = ConferenceEngine::new();
    e.add_leg(t0, LegId(1), config(AudioCodec::Pcma, 1));
    assert!(!e.stop_playback(LegId(1)), "nothing to stop");
    e.play(LegId(1), &[clip(1000.0, 1000)]);
    run(t0, &mut e, &[LegId(1)], &[], 0, 3);
    // Replaced: the first play's event is queued by the second play.
    e.play(LegId(1), &[clip(700.0, 1000)]);
    assert_eq!(e.poll_event(), Some(finished(1)));
    // Stopped (barge-in).
    run(t0, &mut e, &[LegId(1)], &[], 3, 3);
    assert!(e.stop_playback(LegId(1)));
    assert!(!e.stop_playback(LegId(1)));
    assert!(!e.is_playing(LegId(1)));
    assert_eq!(e.poll_event(), Some(finished(1)));
    // Played out; an empty play ends at the next tick.
    e.play(LegId(1), &[clip(700.0, 60)]);
    let (_, events) = run(t0, &mut e, &[LegId(1)], &[], 6, 10);
    assert_eq!(events, vec![finished(1)]);
    e.play(LegId(1), &[]);
    let (_, events) = run(t0, &mut e, &[LegId(1)], &[], 16, 3);
    assert_eq!(events, vec![finished(1)]);
    // Unknown legs.
    assert!(!e.play(LegId(9), &[clip(700.0, 60)]));
    assert!(!e.is_playing(LegId(9)));
    // A leg removed mid-prompt gets no event.
    e.play(LegId(1), &[clip(700.0, 1000)]);
    e.remove_leg(LegId(1));
    assert_eq!(e.poll_event(), None);
}

#[test]
fn a_leg_moved_mid_prompt_keeps_playing_in_its_new_engine() {
    let t0 = t0();
    let (mut lobby, mut conf) = (ConferenceEngine::new(), ConferenceEngine::new());
    lobby.add_leg(t0, LegId(1), config(AudioCodec::Pcmu, 1));
    conf.add_leg(t0, LegId(2), config(AudioCodec::Pcmu, 2));
    let prompt = clip(1000.0, 400);
    lobby.play(LegId(1), std::slice::from_ref(&prompt));
    let (before, events) = run(t0, &mut lobby, &[LegId(1)], &[], 0, 8);
    assert!(events.is_empty());
    let state = lobby.take_leg(LegId(1)).expect("in the lobby");
    conf.insert_leg(t0 + TICK * 8, state);
    assert!(conf.is_playing(LegId(1)));
    let (after, events) = run(t0, &mut conf, &[LegId(1), LegId(2)], &[], 8, 14);
    assert_eq!(events, vec![finished(1)], "from the new engine");
    assert!(lobby.poll_event().is_none());
    // What the leg heard, across the move, is the prompt sample for sample (within µ-law).
    let mut heard = decode(AudioCodec::Pcmu, &before[0].rtp);
    heard.extend(decode(AudioCodec::Pcmu, &after[0].rtp));
    for (i, (&got, &want)) in heard.iter().zip(prompt.iter()).enumerate() {
        assert!(
            (got - want).abs() <= 8 + want.abs() / 16,
            "sample {i}: {got} vs {want}"
        );
    }
    assert!(heard[3200..].iter().all(|&s| s.abs() < 8));
}

#[test]
fn an_embedded_prompt_plays_whole() {
    let t0 = t0();
    let bytes = media::prompts::clip("fr", "welcome").expect("prompt");
    let pcm: Arc<[i16]> = media::prompts::decode_wav(bytes, 8000)
        .expect("decodes")
        .into();
    let mut lobby = ConferenceEngine::new();
    lobby.add_leg(t0, LegId(1), config(AudioCodec::Pcma, 1));
    lobby.play(LegId(1), std::slice::from_ref(&pcm));
    let ticks = pcm.len().div_ceil(160) as u32;
    let (rx, events) = run(t0, &mut lobby, &[LegId(1)], &[], 0, ticks - 1);
    assert!(events.is_empty());
    let (_, events) = run(t0, &mut lobby, &[LegId(1)], &[], ticks - 1, 1);
    assert_eq!(events, vec![finished(1)]);
    let heard = decode(AudioCodec::Pcma, &rx[0].rtp);
    let err: f64 = heard
        .iter()
        .zip(pcm.iter())
        .map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2))
        .sum();
    let signal: f64 = pcm.iter().map(|&s| f64::from(s).powi(2)).sum();
    assert!(10.0 * (signal / err).log10() > 30.0, "A-law SNR");
}
