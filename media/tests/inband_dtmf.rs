//! In-band DTMF through the engine: a leg sending RTP that carries a key as tones gives one
//! `InBandDigit` when detection is on and none when it is off; speech gives none; RFC 4733
//! events keep coming as `Dtmf`; detection survives a lost packet and a move between engines.

mod support;

use std::time::Instant;

use media::inband::frequencies;
use media::{AudioCodec, ConferenceEngine, LegId, MediaEvent};
use support::*;

/// The audio a phone sends for `keys`: each key `on_ms` of tones at −10 dBm0 per tone, then
/// `off_ms` of silence, with 200 ms of silence before and after.
fn keyed(keys: &str, on_ms: usize, off_ms: usize) -> Vec<i16> {
    let amp = 10f64.powf((-10.0 + media::inband::DBM0_IN_DBFS) / 20.0);
    let mut pcm = vec![0i16; 1600];
    for key in keys.chars() {
        let (row, col) = frequencies(key).expect("DTMF key");
        let start = pcm.len();
        let a = media::goertzel::tone(row, 8000.0, amp, start, on_ms * 8);
        let b = media::goertzel::tone(col, 8000.0, amp, start, on_ms * 8);
        pcm.extend(a.iter().zip(&b).map(|(x, y)| x + y));
        pcm.extend(std::iter::repeat_n(0, off_ms * 8));
    }
    pcm.extend([0; 1600]);
    pcm
}

/// Sends `pcm` from `leg` in 20 ms packets (skipping the packet numbers in `lost`) while ticking;
/// returns the events other than talking.
fn send(
    t0: Instant,
    engine: &mut ConferenceEngine,
    leg: LegId,
    codec: AudioCodec,
    pcm: &[i16],
    lost: &[usize],
) -> Vec<MediaEvent> {
    let pt = if codec == AudioCodec::Pcmu { 0 } else { 8 };
    let mut events = Vec::new();
    for (k, frame) in pcm.chunks(160).enumerate() {
        let now = t0 + TICK * k as u32;
        if !lost.contains(&k) {
            let mut payload = vec![0u8; frame.len()];
            law(codec).encode(frame, &mut payload);
            let p = packet(pt, 77, k as u16, k as u32 * 160, false, &payload);
            engine.handle_rtp(now, leg, &p);
        }
        engine.tick(now);
        while engine.poll_transmit().is_some() {}
        while let Some(e) = engine.poll_event() {
            if !matches!(e, MediaEvent::Talking { .. }) {
                events.push(e);
            }
        }
    }
    events
}

fn digits(events: &[MediaEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            MediaEvent::InBandDigit { digit, .. } => Some(*digit),
            _ => None,
        })
        .collect()
}

#[test]
fn a_key_sent_as_tones_is_one_inband_digit() {
    let t0 = t0();
    for codec in [AudioCodec::Pcmu, AudioCodec::Pcma] {
        let mut lobby = ConferenceEngine::new();
        lobby.add_leg(t0, LegId(1), config(codec, 1));
        assert!(lobby.set_inband_dtmf(LegId(1), true));
        let events = send(t0, &mut lobby, LegId(1), codec, &keyed("5", 100, 0), &[]);
        assert_eq!(
            events,
            vec![MediaEvent::InBandDigit {
                leg: LegId(1),
                digit: '5'
            }]
        );
    }
}

#[test]
fn off_by_default_and_when_turned_off() {
    let t0 = t0();
    let mut lobby = ConferenceEngine::new();
    lobby.add_leg(t0, LegId(1), config(AudioCodec::Pcmu, 1));
    let pcm = keyed("5", 100, 0);
    assert_eq!(
        send(t0, &mut lobby, LegId(1), AudioCodec::Pcmu, &pcm, &[]),
        []
    );
    lobby.set_inband_dtmf(LegId(1), true);
    lobby.set_inband_dtmf(LegId(1), false);
    assert_eq!(
        send(t0, &mut lobby, LegId(1), AudioCodec::Pcmu, &pcm, &[]),
        []
    );
    assert!(!lobby.set_inband_dtmf(LegId(2), true), "unknown leg");
}

#[test]
fn a_dialled_sequence_comes_out_in_order() {
    let t0 = t0();
    let mut lobby = ConferenceEngine::new();
    lobby.add_leg(t0, LegId(3), config(AudioCodec::Pcma, 3));
    lobby.set_inband_dtmf(LegId(3), true);
    let pcm = keyed("721051#1289#", 60, 60);
    let events = send(t0, &mut lobby, LegId(3), AudioCodec::Pcma, &pcm, &[]);
    assert_eq!(digits(&events), "721051#1289#");
    assert!(events
        .iter()
        .all(|e| matches!(e, MediaEvent::InBandDigit { leg: LegId(3), .. })));
}

#[test]
fn a_lost_packet_inside_a_key_does_not_split_it() {
    let t0 = t0();
    // Packets 10 to 19 hold the tone (after 200 ms of silence); lose each one in turn.
    let pcm = keyed("9", 200, 0);
    for lost in 10..20 {
        let mut lobby = ConferenceEngine::new();
        lobby.add_leg(t0, LegId(1), config(AudioCodec::Pcmu, 1));
        lobby.set_inband_dtmf(LegId(1), true);
        let events = send(t0, &mut lobby, LegId(1), AudioCodec::Pcmu, &pcm, &[lost]);
        assert_eq!(digits(&events), "9", "packet {lost} lost");
    }
}

#[test]
fn speech_gives_no_digit_and_prompts_do_not_disturb_detection() {
    let t0 = t0();
    let mut lobby = ConferenceEngine::new();
    lobby.add_leg(t0, LegId(1), config(AudioCodec::Pcmu, 1));
    lobby.set_inband_dtmf(LegId(1), true);
    // The caller talks (the English prompts as speech) while hearing a French prompt.
    let mut speech = Vec::new();
    for name in ["welcome", "enter_conference_number", "participants_17"] {
        let bytes = media::prompts::clip("en", name).expect("prompt");
        speech.extend(media::prompts::decode_wav(bytes, 8000).expect("decodes"));
    }
    let bytes = media::prompts::clip("fr", "enter_access_code").expect("prompt");
    let prompt = media::prompts::decode_wav(bytes, 8000).expect("decodes");
    lobby.play(LegId(1), &[prompt.into()]);
    let events = send(t0, &mut lobby, LegId(1), AudioCodec::Pcmu, &speech, &[]);
    assert_eq!(digits(&events), "");
    // Then a key, barging in.
    let start = speech.len().div_ceil(160) as u32;
    let events = send(
        t0 + TICK * start,
        &mut lobby,
        LegId(1),
        AudioCodec::Pcmu,
        &keyed("#", 80, 0),
        &[],
    );
    assert_eq!(digits(&events), "#");
}

#[test]
fn rfc_4733_and_tones_are_both_reported_for_the_driver_to_merge() {
    let t0 = t0();
    let mut lobby = ConferenceEngine::new();
    lobby.add_leg(t0, LegId(1), config(AudioCodec::Pcmu, 1));
    lobby.set_inband_dtmf(LegId(1), true);
    // A telephone-event end packet for '5' (event 5, E bit, duration 800).
    let te = packet(TE_PT, 77, 1000, 99_999, true, &[5, 0x8A, 0x03, 0x20]);
    lobby.handle_rtp(t0, LegId(1), &te);
    let mut events = vec![lobby.poll_event().expect("the RFC 4733 digit")];
    events.extend(send(
        t0,
        &mut lobby,
        LegId(1),
        AudioCodec::Pcmu,
        &keyed("5", 100, 0),
        &[],
    ));
    assert_eq!(
        events,
        vec![
            MediaEvent::Dtmf {
                leg: LegId(1),
                digit: '5'
            },
            MediaEvent::InBandDigit {
                leg: LegId(1),
                digit: '5'
            },
        ]
    );
}

#[test]
fn detection_moves_with_the_leg() {
    let t0 = t0();
    let (mut lobby, mut conf) = (ConferenceEngine::new(), ConferenceEngine::new());
    lobby.add_leg(t0, LegId(1), config(AudioCodec::Pcmu, 1));
    lobby.set_inband_dtmf(LegId(1), true);
    let state = lobby.take_leg(LegId(1)).expect("in the lobby");
    conf.insert_leg(t0, state);
    let events = send(
        t0,
        &mut conf,
        LegId(1),
        AudioCodec::Pcmu,
        &keyed("0", 100, 0),
        &[],
    );
    assert_eq!(digits(&events), "0");
}
