//! One conference with legs of different codecs: G.711 (8 kHz), G.722 (16 kHz) and Opus
//! (48 kHz). The engine mixes at the widest rate present; every leg hears the others' tones and
//! not its own, a 6 kHz tone from a wideband leg reaches the wideband listeners but (being above
//! 4 kHz) not the G.711 one, and the mixing rate follows the legs as they come and go.

mod support;

use media::g711::Law;
use media::g722::{G722Decoder, G722Encoder};
use media::goertzel::{level_db, tone};
use media::opus::{OpusDecoder, OpusEncoder, OpusParams};
use media::{AudioCodec, ConferenceEngine, LegId, MediaEvent};
use support::*;

/// A tone that is there (sent at −12 dBFS; the codecs and the mix keep it within a few dB).
const PRESENT_DB: f64 = -20.0;
/// A tone that is not.
const ABSENT_DB: f64 = -50.0;

/// A phone's codec, both ways.
enum Codec {
    G711(Law),
    G722(Box<(G722Encoder, G722Decoder)>),
    Opus(Box<OpusEncoder>, Box<OpusDecoder>),
}

struct TestPhone {
    codec: AudioCodec,
    pt: u8,
    coder: Codec,
    heard: Vec<i16>,
}

impl TestPhone {
    fn new(codec: AudioCodec) -> Self {
        let (pt, coder) = match codec {
            AudioCodec::Pcmu => (0, Codec::G711(Law::Ulaw)),
            AudioCodec::Pcma => (8, Codec::G711(Law::Alaw)),
            AudioCodec::G722 => (9, Codec::G722(Box::default())),
            AudioCodec::Opus => (
                111,
                Codec::Opus(
                    Box::new(OpusEncoder::new(&OpusParams::default()).unwrap()),
                    Box::new(OpusDecoder::new().unwrap()),
                ),
            ),
        };
        Self {
            codec,
            pt,
            coder,
            heard: Vec::new(),
        }
    }

    fn rate(&self) -> f64 {
        f64::from(self.codec.sample_rate())
    }

    /// The 20 ms payload of frame `k` of a sum of tones (frequency, amplitude).
    fn payload(&mut self, tones: &[(f64, f64)], k: usize) -> Vec<u8> {
        let n = self.codec.frame_samples();
        let mut pcm = vec![0i16; n];
        for &(f, a) in tones {
            for (s, t) in pcm.iter_mut().zip(tone(f, self.rate(), a, k * n, n)) {
                *s = s.saturating_add(t);
            }
        }
        match &mut self.coder {
            Codec::G711(law) => {
                let mut out = vec![0u8; n];
                law.encode(&pcm, &mut out);
                out
            }
            Codec::G722(coder) => {
                let mut out = Vec::new();
                coder.0.encode(&pcm, &mut out);
                out
            }
            Codec::Opus(enc, _) => {
                let mut out = Vec::new();
                enc.encode(&pcm, &mut out).unwrap();
                out
            }
        }
    }

    fn hear(&mut self, rtp_packet: &[u8]) {
        let parsed = media::rtp::parse(rtp_packet).expect("valid RTP from the engine");
        assert_eq!(parsed.header.pt.0, self.pt, "sent in the negotiated type");
        match &mut self.coder {
            Codec::G711(law) => {
                let start = self.heard.len();
                self.heard.resize(start + parsed.payload.len(), 0);
                law.decode(parsed.payload, &mut self.heard[start..]);
            }
            Codec::G722(coder) => coder.1.decode(parsed.payload, &mut self.heard),
            Codec::Opus(_, dec) => {
                dec.decode(parsed.payload, &mut self.heard).unwrap();
            }
        }
    }

    /// Level of `freq` in what was heard after the first `skip_ms`.
    fn level(&self, freq: f64, skip_ms: usize) -> f64 {
        let skip = skip_ms * self.codec.sample_rate() as usize / 1000;
        level_db(&self.heard[skip.min(self.heard.len())..], freq, self.rate())
    }
}

/// Runs `ticks` ticks in which phone i sends `tones[i]`, and returns the phones.
fn run(codecs: &[AudioCodec], tones: &[Vec<(f64, f64)>], ticks: usize) -> Vec<TestPhone> {
    let t0 = t0();
    let mut engine = ConferenceEngine::with_seed(11);
    let mut phones: Vec<TestPhone> = codecs.iter().map(|&c| TestPhone::new(c)).collect();
    let legs: Vec<LegId> = (0..codecs.len() as u64).map(LegId).collect();
    for (i, p) in phones.iter().enumerate() {
        let mut c = config(p.codec, 100 + i as u32);
        c.payload_type = p.pt;
        engine.add_leg(t0, legs[i], c);
    }
    for k in 0..ticks {
        let now = t0 + TICK * k as u32;
        for (i, phone) in phones.iter_mut().enumerate() {
            let payload = phone.payload(&tones[i], k);
            let units = phone.codec.frame_units();
            let p = packet(
                phone.pt,
                0xB000 + i as u32,
                k as u16,
                k as u32 * units,
                k == 0,
                &payload,
            );
            engine.handle_rtp(now, legs[i], &p);
        }
        engine.tick(now);
        while let Some(p) = engine.poll_transmit() {
            if p.kind == media::PacketKind::Rtp {
                let data = p.data.to_vec();
                phones[p.leg.0 as usize].hear(&data);
            }
        }
        while engine.poll_event().is_some() {}
    }
    let stats = engine.stats();
    assert_eq!(
        stats.lost + stats.late + stats.rtp_malformed,
        0,
        "{stats:?}"
    );
    phones
}

#[test]
fn three_codecs_hear_each_other_and_not_themselves() {
    let codecs = [AudioCodec::Pcmu, AudioCodec::G722, AudioCodec::Opus];
    let freqs = [440.0, 1000.0, 1500.0];
    let tones: Vec<Vec<(f64, f64)>> = freqs.iter().map(|&f| vec![(f, 0.25)]).collect();
    let phones = run(&codecs, &tones, 75);
    for (i, phone) in phones.iter().enumerate() {
        for (j, &f) in freqs.iter().enumerate() {
            // Skip the playout delay and the codecs' start-up; analyse the last second.
            let db = phone.level(f, 500);
            if i == j {
                assert!(
                    db < ABSENT_DB,
                    "{:?} hears itself at {db:.1} dBFS",
                    codecs[i]
                );
            } else {
                assert!(
                    db > PRESENT_DB,
                    "{:?} hears {:?} at only {db:.1} dBFS",
                    codecs[i],
                    codecs[j]
                );
            }
        }
    }
}

#[test]
fn wideband_content_reaches_wideband_listeners_only() {
    // The G.722 leg sends 6 kHz (above the 4 kHz a G.711 leg can carry) plus 500 Hz.
    let codecs = [AudioCodec::G722, AudioCodec::Opus, AudioCodec::Pcma];
    let tones = vec![vec![(6000.0, 0.2), (500.0, 0.2)], vec![], vec![]];
    let phones = run(&codecs, &tones, 75);
    let opus = &phones[1];
    let g711 = &phones[2];
    assert!(
        opus.level(6000.0, 500) > PRESENT_DB - 3.0,
        "{}",
        opus.level(6000.0, 500)
    );
    assert!(
        opus.level(500.0, 500) > PRESENT_DB,
        "{}",
        opus.level(500.0, 500)
    );
    assert!(
        g711.level(500.0, 500) > PRESENT_DB,
        "{}",
        g711.level(500.0, 500)
    );
    // At 8 kHz a 6 kHz tone would fold to 2 kHz: the down-converter must have removed it.
    assert!(
        g711.level(2000.0, 500) < ABSENT_DB,
        "{}",
        g711.level(2000.0, 500)
    );
}

#[test]
fn mixing_rate_follows_the_widest_codec_present() {
    let t0 = t0();
    let mut engine = ConferenceEngine::new();
    assert_eq!(engine.mixing_rate(), 8000);
    engine.add_leg(t0, LegId(1), config(AudioCodec::Pcmu, 1));
    assert_eq!(engine.mixing_rate(), 8000);
    engine.add_leg(t0, LegId(2), config(AudioCodec::G722, 2));
    assert_eq!(engine.mixing_rate(), 16_000);
    engine.add_leg(t0, LegId(3), config(AudioCodec::Opus, 3));
    assert_eq!(engine.mixing_rate(), 48_000);
    engine.remove_leg(LegId(3));
    assert_eq!(engine.mixing_rate(), 16_000);
    // A re-INVITE moving the G.722 leg to PCMA brings the conference back to narrowband.
    assert!(engine.reconfigure_leg(LegId(2), config(AudioCodec::Pcma, 2)));
    assert_eq!(engine.mixing_rate(), 8000);
    // A moved leg carries its codec: the lobby it goes to mixes at its rate.
    let mut lobby = ConferenceEngine::new();
    engine.add_leg(t0, LegId(4), config(AudioCodec::Opus, 4));
    let state = engine.take_leg(LegId(4)).unwrap();
    assert_eq!(engine.mixing_rate(), 8000);
    lobby.insert_leg(t0, state);
    assert_eq!(lobby.mixing_rate(), 48_000);
}

#[test]
fn talking_events_follow_the_detector() {
    // A G.722 leg talks for 1 s then is silent; events: talking after 40 ms, stopped 300 ms after
    // the silence starts.
    let t0 = t0();
    let mut engine = ConferenceEngine::new();
    let mut phone = TestPhone::new(AudioCodec::G722);
    engine.add_leg(t0, LegId(0), config(AudioCodec::G722, 1));
    let mut events = Vec::new();
    for k in 0..100usize {
        let now = t0 + TICK * k as u32;
        let tones = if k < 50 { vec![(700.0, 0.2)] } else { vec![] };
        let payload = phone.payload(&tones, k);
        engine.handle_rtp(
            now,
            LegId(0),
            &packet(9, 5, k as u16, k as u32 * 160, false, &payload),
        );
        engine.tick(now);
        while engine.poll_transmit().is_some() {}
        while let Some(e) = engine.poll_event() {
            if let MediaEvent::Talking { talking, .. } = e {
                events.push((k, talking));
            }
        }
    }
    assert_eq!(events.len(), 2, "{events:?}");
    let (on, off) = (events[0], events[1]);
    assert!(on.1 && !off.1);
    // The first frames wait out the playout delay (at most 200 ms, plus the 40 ms onset).
    assert!(on.0 <= 13, "{events:?}");
    let talk_ticks = off.0 - on.0;
    assert!((48..=70).contains(&talk_ticks), "{events:?}");
}

/// Opus legs hear a lone voice as its sender sent it: while one leg talks the other Opus legs
/// get its packets unchanged (a G.722 leg, another codec, gets an encode); while two talk, each
/// gets the other's packets and the listeners a mix of both; what everyone hears stays right.
#[test]
fn a_lone_opus_voice_is_forwarded_and_two_are_mixed() {
    let t0 = t0();
    let mut engine = ConferenceEngine::with_seed(5);
    let codecs = [
        AudioCodec::Opus,
        AudioCodec::Opus,
        AudioCodec::Opus,
        AudioCodec::G722,
    ];
    let mut phones: Vec<TestPhone> = codecs.iter().map(|&c| TestPhone::new(c)).collect();
    let legs: Vec<LegId> = (0..codecs.len() as u64).map(LegId).collect();
    for (i, p) in phones.iter().enumerate() {
        let mut c = config(p.codec, 300 + i as u32);
        c.payload_type = p.pt;
        engine.add_leg(t0, legs[i], c);
    }
    // Phase 1 (ticks 0–59): phone 0 talks. Phase 2 (60–119): phones 0 and 1 talk.
    let tones = |i: usize, k: usize| -> Vec<(f64, f64)> {
        match (i, k < 60) {
            (0, _) => vec![(440.0, 0.25)],
            (1, false) => vec![(1000.0, 0.25)],
            _ => vec![],
        }
    };
    let mut sent: Vec<Vec<Vec<u8>>> = vec![Vec::new(); codecs.len()];
    // Per receiver: (tick, payload) of every packet it got.
    let mut got: Vec<Vec<(usize, Vec<u8>)>> = vec![Vec::new(); codecs.len()];
    for k in 0..120usize {
        let now = t0 + TICK * k as u32;
        for (i, phone) in phones.iter_mut().enumerate() {
            let payload = phone.payload(&tones(i, k), k);
            let units = phone.codec.frame_units();
            let p = packet(
                phone.pt,
                0xC000 + i as u32,
                k as u16,
                k as u32 * units,
                k == 0,
                &payload,
            );
            engine.handle_rtp(now, legs[i], &p);
            sent[i].push(payload);
        }
        engine.tick(now);
        while let Some(p) = engine.poll_transmit() {
            if p.kind == media::PacketKind::Rtp {
                let data = p.data.to_vec();
                let i = p.leg.0 as usize;
                got[i].push((k, media::rtp::parse(&data).unwrap().payload.to_vec()));
                phones[i].hear(&data);
            }
        }
        while engine.poll_event().is_some() {}
    }
    // The share of what `rx` got in ticks `ticks` that is, byte for byte, a packet `tx` sent.
    let share = |rx: usize, tx: usize, ticks: std::ops::Range<usize>| -> f64 {
        let window: Vec<_> = got[rx].iter().filter(|(k, _)| ticks.contains(k)).collect();
        let same = window.iter().filter(|(_, p)| sent[tx].contains(p)).count();
        same as f64 / window.len().max(1) as f64
    };
    // Away from the switches (the jitter buffer's delay and the talk detector's decisions).
    let (one, two) = (15..55, 75..115);
    assert!(
        share(1, 0, one.clone()) >= 0.95,
        "{}",
        share(1, 0, one.clone())
    );
    assert!(
        share(2, 0, one.clone()) >= 0.95,
        "{}",
        share(2, 0, one.clone())
    );
    assert!(
        share(0, 1, two.clone()) >= 0.95,
        "{}",
        share(0, 1, two.clone())
    );
    assert!(
        share(1, 0, two.clone()) >= 0.95,
        "{}",
        share(1, 0, two.clone())
    );
    // The listener hears two voices: a mix, not either sender's packets.
    assert_eq!(share(2, 0, two.clone()) + share(2, 1, two.clone()), 0.0);
    // G.722 is another codec: never forwarded an Opus payload.
    assert_eq!(share(3, 0, 0..120), 0.0);
    let stats = engine.stats();
    assert!(stats.rtp_forwarded >= 4 * 35, "{stats:?}");
    assert_eq!(engine.leg_stats(legs[3]).unwrap().rtp_forwarded, 0);
    // A re-INVITE changing a leg's codec keeps its counts (counters never go down).
    let before = engine.leg_stats(legs[1]).unwrap().rtp_forwarded;
    assert!(before > 0);
    assert!(engine.reconfigure_leg(legs[1], config(AudioCodec::Pcmu, 301)));
    assert_eq!(engine.leg_stats(legs[1]).unwrap().rtp_forwarded, before);
    // What they hear (the last second: phase 2, after the switch).
    let heard = |i: usize, f: f64| phones[i].level(f, 1_600);
    assert!(heard(0, 1000.0) > PRESENT_DB && heard(0, 440.0) < ABSENT_DB);
    assert!(heard(1, 440.0) > PRESENT_DB && heard(1, 1000.0) < ABSENT_DB);
    for i in [2, 3] {
        assert!(heard(i, 440.0) > PRESENT_DB, "{i}: {}", heard(i, 440.0));
        assert!(heard(i, 1000.0) > PRESENT_DB, "{i}: {}", heard(i, 1000.0));
    }
}

/// Silent Opus callers that keep sending (no DTX) are not decoded: their packets are flagged
/// inactive by their encoder. One of them then talks: it is decoded again from that packet on,
/// its talking event comes, and the others hear it.
#[test]
fn silent_opus_packets_are_not_decoded_until_their_sender_talks() {
    let t0 = t0();
    let mut engine = ConferenceEngine::with_seed(9);
    let mut phones: Vec<TestPhone> = (0..3).map(|_| TestPhone::new(AudioCodec::Opus)).collect();
    for (i, p) in phones.iter().enumerate() {
        engine.add_leg(t0, LegId(i as u64), config(p.codec, 400 + i as u32));
    }
    let mut talking_at = None;
    let mut skipped_before_talk = 0;
    for k in 0..100usize {
        let now = t0 + TICK * k as u32;
        for (i, phone) in phones.iter_mut().enumerate() {
            // Phone 0 talks from tick 50 (1 s); the others stay silent.
            let tones = if i == 0 && k >= 50 {
                vec![(700.0, 0.25)]
            } else {
                vec![]
            };
            let payload = phone.payload(&tones, k);
            let p = packet(
                phone.pt,
                0xD000 + i as u32,
                k as u16,
                k as u32 * 960,
                k == 0,
                &payload,
            );
            engine.handle_rtp(now, LegId(i as u64), &p);
        }
        engine.tick(now);
        while let Some(p) = engine.poll_transmit() {
            if p.kind == media::PacketKind::Rtp {
                let data = p.data.to_vec();
                phones[p.leg.0 as usize].hear(&data);
            }
        }
        while let Some(e) = engine.poll_event() {
            if let MediaEvent::Talking {
                leg: LegId(0),
                talking: true,
            } = e
            {
                talking_at.get_or_insert(k);
            }
        }
        if k == 49 {
            skipped_before_talk = engine.stats().silent_skipped;
        }
    }
    // Three silent senders for a second, less the jitter buffer's start and the first packets
    // (the detector starts idle, so they are skipped from the first).
    assert!(skipped_before_talk >= 3 * 40, "{skipped_before_talk}");
    let stats = engine.stats();
    // The two that stay silent go on being skipped; the talker's packets are decoded.
    assert!(
        stats.silent_skipped >= skipped_before_talk + 2 * 45,
        "{stats:?}"
    );
    let talker = engine.leg_stats(LegId(0)).unwrap();
    assert!(talker.silent_skipped <= 50, "{talker:?}");
    assert_eq!(talker.decode_errors, 0);
    let at = talking_at.expect("a talking event for the talker");
    assert!((50..60).contains(&at), "talking at tick {at}");
    for i in [1, 2] {
        let db = phones[i].level(700.0, 1_400);
        assert!(
            db > PRESENT_DB,
            "phone {i} hears the talker at {db:.1} dBFS"
        );
    }
}
