//! Wideband conferences end to end over loopback: scripted phones speaking Opus (48 kHz), G.722
//! (16 kHz) and G.711 (8 kHz) dial `721051**1289` into the real bridge, which answers each with
//! the widest codec it offers and mixes at the widest rate present.
//!
//! - An Opus caller and a PCMU caller each get what they offered and hear each other's tone, not
//!   their own.
//! - A G.722 caller sends 6 kHz + 500 Hz: an Opus listener hears both (wideband from end to
//!   end through real sockets); a PCMA listener hears 500 Hz and no alias of 6 kHz at 2 kHz.
//! - A caller offering `PCMU PCMA G722 opus` (Opus last) is answered with Opus anyway, and hears
//!   a PCMA participant at 48 kHz.
//! - One Opus caller talks to an Opus and a PCMU listener: the Opus listener is sent the
//!   talker's packets as they came (forwarded, counted in `/metrics`) and hears the tone; the
//!   PCMU listener gets it transcoded; the silent Opus listener's packets are not decoded.
//! - An Opus listener's stream switches from forwarded packets (one talker) to the bridge's
//!   encoded mix (a second talker joins) and back (the second stops): ffmpeg's own Opus decoder
//!   (not libopus) decodes the whole stream without an error, and each stretch holds the right
//!   tones.

mod common;

use std::time::Duration;

use common::ivr::wait_metric_at_least;
use common::phone::{g722, opus, pcma, pcmu};
use common::{tone_db_at, total_db, Phone, PhoneOptions, TestBridge, CODE, NUMBER};
use media::AudioCodec;

/// What each phone's analysis covers.
const WINDOW: Duration = Duration::from_secs(1);
/// A tone that must be heard is at least this loud (sent at −12 dBFS)…
const HEARD_DB: f64 = -30.0;
/// …and at least this far above the noise (a frequency nobody sends).
const ABOVE_NOISE_DB: f64 = 20.0;
/// A tone that must not be heard is below this.
const ABSENT_DB: f64 = -50.0;
/// A frequency nobody sends.
const NOISE_HZ: f64 = 1500.0;

/// Dial the test conference directly (number and code in the URI: no IVR).
async fn dial(b: &TestBridge, opts: PhoneOptions) -> Phone {
    Phone::dial(b.sip(), &format!("{NUMBER}**{CODE}"), opts)
        .await
        .expect("call answered")
}

/// A phone offering `codecs` and sending `tones` (silence when empty), each at −12 dBFS.
fn options(codecs: Vec<sip::sdp::CodecSpec>, tones: &[f64]) -> PhoneOptions {
    PhoneOptions {
        codecs,
        tone_hz: tones.first().copied(),
        extra_tones: tones.iter().skip(1).copied().collect(),
        ..PhoneOptions::tone(0.0)
    }
}

/// Wait until `n` callers have joined, then let jitter buffers fill and latching settle, and
/// listen for one window.
async fn joined_and_listened(b: &TestBridge, n: f64) {
    let joined =
        wait_metric_at_least(b, "pont_calls_joined_total", n, Duration::from_secs(5)).await;
    assert_eq!(joined, n, "every caller joined without the IVR");
    assert_eq!(b.metric("pont_participants_active").await, n);
    tokio::time::sleep(Duration::from_millis(1500) + WINDOW).await;
}

/// What a phone heard over the last window: its codec's sample rate and the levels of `freqs`.
struct Heard {
    rate: u32,
    total: f64,
    noise: f64,
    levels: Vec<(f64, f64)>,
}

impl Heard {
    fn of(who: &str, phone: &Phone, freqs: &[f64]) -> Heard {
        let (pcm, rate) = phone.received_audio(WINDOW);
        assert_eq!(
            rate,
            phone.codec().sample_rate(),
            "{who}: decoded at its codec's rate"
        );
        // 1 s of audio; allow a few packets of scheduling slack at the window edges.
        assert!(
            pcm.len() >= rate as usize * 7 / 8,
            "{who}: only {} samples at {rate} Hz in {WINDOW:?}",
            pcm.len()
        );
        let heard = Heard {
            rate,
            total: total_db(&pcm),
            noise: tone_db_at(&pcm, NOISE_HZ, rate),
            levels: freqs
                .iter()
                .map(|&f| (f, tone_db_at(&pcm, f, rate)))
                .collect(),
        };
        eprintln!(
            "{who} ({:?}, {} Hz): total {:.1} dBFS, noise@{NOISE_HZ} {:.1}, {:.1?}",
            phone.codec(),
            heard.rate,
            heard.total,
            heard.noise,
            heard.levels
        );
        heard
    }

    fn level(&self, freq: f64) -> f64 {
        self.levels
            .iter()
            .find(|(f, _)| *f == freq)
            .map(|(_, db)| *db)
            .expect("a measured frequency")
    }

    /// `freq` is loud and clearly above the noise.
    fn assert_present(&self, who: &str, freq: f64) {
        let db = self.level(freq);
        assert!(
            db >= HEARD_DB,
            "{who}: {freq} Hz at {db:.1} dBFS, want ≥ {HEARD_DB}"
        );
        assert!(
            db >= self.noise + ABOVE_NOISE_DB,
            "{who}: {freq} Hz at {db:.1} dBFS is not clearly above the noise ({:.1})",
            self.noise
        );
    }

    /// `freq` is not there.
    fn assert_absent(&self, who: &str, freq: f64) {
        let db = self.level(freq);
        assert!(
            db < ABSENT_DB,
            "{who}: {freq} Hz at {db:.1} dBFS, want < {ABSENT_DB}"
        );
    }
}

/// Hang every phone up (BYE answered 200) and wait for the bridge to release everything.
async fn hang_up_all(b: TestBridge, phones: Vec<Phone>) {
    for mut p in phones {
        assert_eq!(p.hangup(Duration::from_secs(5)).await, Some(200));
    }
    b.wait_metrics(
        &[
            "pont_calls_active",
            "pont_participants_active",
            "pont_conferences_active",
            "pont_rtp_ports_in_use",
        ],
        0.0,
        Duration::from_secs(3),
    )
    .await;
    b.bridge.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opus_and_pcmu_callers_hear_each_other() {
    const OPUS_HZ: f64 = 440.0;
    const PCMU_HZ: f64 = 1000.0;
    let t = tokio::time::timeout(Duration::from_secs(20), async {
        let b = TestBridge::start().await;
        b.add_conference(NUMBER, CODE, 20).await;
        let wide = dial(&b, options(vec![opus()], &[OPUS_HZ])).await;
        let narrow = dial(&b, options(vec![pcmu()], &[PCMU_HZ])).await;
        assert!(
            wide.negotiated().codec.eq_ignore_ascii_case("opus"),
            "{:?}",
            wide.negotiated()
        );
        assert_eq!(wide.negotiated().clock_rate, 48_000);
        assert_eq!(wide.codec(), AudioCodec::Opus);
        assert_eq!(narrow.negotiated().codec, "PCMU");
        assert_eq!(narrow.negotiated().payload_type, 0);
        joined_and_listened(&b, 2.0).await;

        let heard = Heard::of("Opus caller", &wide, &[OPUS_HZ, PCMU_HZ]);
        assert_eq!(heard.rate, 48_000);
        heard.assert_present("Opus caller", PCMU_HZ);
        heard.assert_absent("Opus caller", OPUS_HZ);
        let heard = Heard::of("PCMU caller", &narrow, &[OPUS_HZ, PCMU_HZ]);
        assert_eq!(heard.rate, 8000);
        heard.assert_present("PCMU caller", OPUS_HZ);
        heard.assert_absent("PCMU caller", PCMU_HZ);
        // The bridge sends each its own payload type.
        assert!(wide
            .received()
            .iter()
            .all(|p| p.pt == wide.negotiated().payload_type));
        assert!(narrow.received().iter().all(|p| p.pt == 0));

        hang_up_all(b, vec![wide, narrow]).await;
    });
    t.await.expect("test finishes within 20 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g722_wideband_tone_reaches_opus_not_pcma() {
    const HIGH_HZ: f64 = 6000.0;
    const LOW_HZ: f64 = 500.0;
    /// Where 6 kHz would fold to at 8 kHz without a proper low-pass.
    const ALIAS_HZ: f64 = 2000.0;
    let t = tokio::time::timeout(Duration::from_secs(20), async {
        let b = TestBridge::start().await;
        b.add_conference(NUMBER, CODE, 20).await;
        let mut talker_opts = options(vec![g722()], &[HIGH_HZ, LOW_HZ]);
        talker_opts.amplitude = 0.2;
        let talker = dial(&b, talker_opts).await;
        let wide = dial(&b, options(vec![opus()], &[])).await;
        let narrow = dial(&b, options(vec![pcma()], &[])).await;
        assert_eq!(talker.negotiated().codec, "G722");
        assert_eq!(talker.negotiated().payload_type, 9);
        assert_eq!(talker.codec(), AudioCodec::G722);
        assert_eq!(wide.codec(), AudioCodec::Opus);
        assert_eq!(narrow.negotiated().codec, "PCMA");
        joined_and_listened(&b, 3.0).await;

        let freqs = [HIGH_HZ, LOW_HZ, ALIAS_HZ];
        let heard = Heard::of("Opus listener", &wide, &freqs);
        heard.assert_present("Opus listener", HIGH_HZ);
        heard.assert_present("Opus listener", LOW_HZ);
        heard.assert_absent("Opus listener", ALIAS_HZ);
        let heard = Heard::of("PCMA listener", &narrow, &[LOW_HZ, ALIAS_HZ]);
        heard.assert_present("PCMA listener", LOW_HZ);
        heard.assert_absent("PCMA listener", ALIAS_HZ);
        // The talker hears nobody (the two listeners send digital silence).
        let heard = Heard::of("G.722 talker", &talker, &freqs);
        for f in freqs {
            heard.assert_absent("G.722 talker", f);
        }

        hang_up_all(b, vec![talker, wide, narrow]).await;
    });
    t.await.expect("test finishes within 20 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opus_offered_last_is_still_chosen() {
    const CALLER_HZ: f64 = 440.0;
    const OTHER_HZ: f64 = 700.0;
    let t = tokio::time::timeout(Duration::from_secs(20), async {
        let b = TestBridge::start().await;
        b.add_conference(NUMBER, CODE, 20).await;
        let caller = dial(
            &b,
            options(vec![pcmu(), pcma(), g722(), opus()], &[CALLER_HZ]),
        )
        .await;
        let other = dial(&b, options(vec![pcma()], &[OTHER_HZ])).await;
        let n = caller.negotiated();
        assert!(n.codec.eq_ignore_ascii_case("opus"), "{n:?}");
        assert_eq!(n.clock_rate, 48_000);
        // Our offer numbered it first among the dynamic types (PCMU 0, PCMA 8, G722 9).
        assert_eq!(n.payload_type, 96, "{n:?}");
        joined_and_listened(&b, 2.0).await;

        let heard = Heard::of("caller (opus last)", &caller, &[CALLER_HZ, OTHER_HZ]);
        assert_eq!(heard.rate, 48_000);
        heard.assert_present("caller (opus last)", OTHER_HZ);
        heard.assert_absent("caller (opus last)", CALLER_HZ);
        let heard = Heard::of("PCMA participant", &other, &[CALLER_HZ, OTHER_HZ]);
        heard.assert_present("PCMA participant", CALLER_HZ);
        heard.assert_absent("PCMA participant", OTHER_HZ);

        hang_up_all(b, vec![caller, other]).await;
    });
    t.await.expect("test finishes within 20 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lone_opus_talker_is_forwarded_to_opus_listeners() {
    const TALKER_HZ: f64 = 440.0;
    let t = tokio::time::timeout(Duration::from_secs(20), async {
        let b = TestBridge::start().await;
        b.add_conference(NUMBER, CODE, 20).await;
        let talker = dial(&b, options(vec![opus()], &[TALKER_HZ])).await;
        let wide = dial(&b, options(vec![opus()], &[])).await;
        let narrow = dial(&b, options(vec![pcmu()], &[])).await;
        assert_eq!(wide.codec(), AudioCodec::Opus);
        assert_eq!(narrow.codec(), AudioCodec::Pcmu);
        joined_and_listened(&b, 3.0).await;

        let heard = Heard::of("Opus listener", &wide, &[TALKER_HZ]);
        heard.assert_present("Opus listener", TALKER_HZ);
        let heard = Heard::of("PCMU listener", &narrow, &[TALKER_HZ]);
        heard.assert_present("PCMU listener", TALKER_HZ);
        let heard = Heard::of("Opus talker", &talker, &[TALKER_HZ]);
        heard.assert_absent("Opus talker", TALKER_HZ);
        // The talker's packets went to the Opus listener unchanged (the PCMU listener's are
        // encodes), and the silent Opus caller's packets were taken as silence without
        // decoding: at least a second's worth of each (2.5 s of audio has passed; the mixer
        // threads publish their counters about once a second).
        let forwarded = b.metric("pont_audio_frames_forwarded_total").await;
        assert!(forwarded >= 50.0, "forwarded {forwarded}");
        let skipped = b.metric("pont_audio_silent_packets_skipped_total").await;
        assert!(skipped >= 50.0, "skipped {skipped}");

        hang_up_all(b, vec![talker, wide, narrow]).await;
    });
    t.await.expect("test finishes within 20 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_decodes_an_opus_stream_switching_between_forwarded_and_mixed() {
    const A_HZ: f64 = 440.0;
    const B_HZ: f64 = 1000.0;
    if common::skip_without_ffmpeg("the Opus decoding test") {
        return;
    }
    let t = tokio::time::timeout(Duration::from_secs(30), async {
        let b = TestBridge::start().await;
        b.add_conference(NUMBER, CODE, 20).await;
        let phase = Duration::from_millis(1500);
        // 1: A talks alone, the listener gets A's packets as sent.
        let a = dial(&b, options(vec![opus()], &[A_HZ])).await;
        let listener = dial(&b, options(vec![opus()], &[])).await;
        wait_metric_at_least(&b, "pont_calls_joined_total", 2.0, Duration::from_secs(5)).await;
        tokio::time::sleep(phase).await;
        let end_one = std::time::Instant::now();
        // 2: B talks too: the listener gets the bridge's encode of both.
        let mut second = dial(&b, options(vec![opus()], &[B_HZ])).await;
        wait_metric_at_least(&b, "pont_calls_joined_total", 3.0, Duration::from_secs(5)).await;
        tokio::time::sleep(phase).await;
        let end_two = std::time::Instant::now();
        // 3: B stops sending: A alone again, forwarded.
        second.stop_media();
        tokio::time::sleep(phase).await;
        let end_three = std::time::Instant::now();
        let forwarded = b.metric("pont_audio_frames_forwarded_total").await;
        assert!(forwarded >= 50.0, "forwarded {forwarded}");

        let pt = listener.negotiated().payload_type;
        let received: Vec<_> = listener
            .received()
            .into_iter()
            .filter(|p| p.pt == pt)
            .collect();
        let packets: Vec<Vec<u8>> = received.iter().map(|p| p.payload.clone()).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("listener.opus");
        std::fs::write(&path, common::ogg::opus_file(&packets)).unwrap();
        let output = tokio::process::Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-c:a", "opus", "-i"])
            .arg(&path)
            .args(["-f", "s16le", "-ac", "1", "-ar", "48000", "-"])
            .output()
            .await
            .expect("ffmpeg runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "ffmpeg: {stderr}");
        assert!(stderr.trim().is_empty(), "ffmpeg reported: {stderr}");
        let pcm: Vec<i16> = output
            .stdout
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect();
        // ffmpeg drops the pre-skip: packet k's samples start at k·960 − 312.
        let skip = usize::from(common::ogg::PRE_SKIP);
        assert!(
            pcm.len() + skip >= packets.len() * 960 - 960,
            "{} samples",
            pcm.len()
        );
        // The last second of each stretch, by arrival time.
        let stretch = |end: std::time::Instant| -> &[i16] {
            let from = end - Duration::from_secs(1);
            let first = received.iter().position(|p| p.at >= from).unwrap();
            let last = received
                .iter()
                .position(|p| p.at >= end)
                .unwrap_or(received.len());
            let lo = (first * 960).saturating_sub(skip).min(pcm.len());
            let hi = (last * 960).saturating_sub(skip).min(pcm.len());
            &pcm[lo..hi]
        };
        for (name, end, b_heard) in [
            ("alone, forwarded", end_one, false),
            ("both, encoded", end_two, true),
            ("alone again, forwarded", end_three, false),
        ] {
            let part = stretch(end);
            assert!(part.len() >= 40_000, "{name}: {} samples", part.len());
            let (a_db, b_db) = (
                tone_db_at(part, A_HZ, 48_000),
                tone_db_at(part, B_HZ, 48_000),
            );
            eprintln!("{name}: {A_HZ} Hz {a_db:.1} dBFS, {B_HZ} Hz {b_db:.1} dBFS");
            assert!(a_db >= HEARD_DB, "{name}: A at {a_db:.1} dBFS");
            if b_heard {
                assert!(b_db >= HEARD_DB, "{name}: B at {b_db:.1} dBFS");
            } else {
                assert!(b_db < ABSENT_DB, "{name}: B at {b_db:.1} dBFS");
            }
        }

        hang_up_all(b, vec![a, listener, second]).await;
    });
    t.await.expect("test finishes within 30 s");
}
