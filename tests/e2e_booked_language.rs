//! The language a conference was booked in, end to end: a room system that dials the conference
//! itself (`sip:721051@bridge`) hears the IVR in the booking's language once the number is known
//! to exist, while the bridge's default language is English; a booking without a language keeps
//! English; a caller through a gateway (GDS string) keeps the gateway's language; and a wrong code
//! in a `721051**CODE` URI must not change the voice (that would tell the number exists).
//!
//! Which language the caller heard is decided from the audio itself: the received G.711 is
//! compared with the French and English versions of the prompt that should play (the same
//! embedded clips the bridge plays), by normalised cross-correlation at the best alignment. The
//! prompt played is copied sample for sample into the RTP stream (8 kHz, no mixing in the IVR),
//! so the right clip correlates near 1 after µ-law, and a different recording far lower.

mod common;

use std::time::{Duration, Instant};

use common::ivr::{key_rfc4733, wait_metric_at_least};
use common::{Phone, PhoneOptions, TestBridge, CODE, GATEWAY, NUMBER};
use dialplan::Prompt;
use pont::prompts::file_name;

const LIMIT: Duration = Duration::from_secs(60);
/// Samples per 20 ms frame at 8 kHz.
const FRAME: usize = 160;
/// Step of the coarse alignment search (5 ms).
const HOP: usize = 40;
/// The heard clip must correlate at least this well with the expected recording…
const MATCH: f64 = 0.8;
/// …and this much better than the same prompt in the other language.
const MARGIN: f64 = 0.3;

/// Book `NUMBER` (code `CODE`) open from a minute ago for an hour, in `language`, the way the
/// portal stores a booking.
async fn book(b: &TestBridge, language: &str) {
    b.book_now(|new| {
        new.title = "Réunion".into();
        new.language = language.into();
    })
    .await;
}

/// Dial `user` sending digital silence (whatever is heard comes from the bridge alone).
async fn dial(b: &TestBridge, user: &str) -> Phone {
    Phone::dial(
        b.sip(),
        user,
        PhoneOptions {
            tone_hz: None,
            ..PhoneOptions::tone(440.0)
        },
    )
    .await
    .expect("the call is answered")
}

/// Energy of every 20 ms frame starting at `start`, `start + step`, … (dB, floored at −90 so
/// that digital silence does not dominate).
fn envelope(pcm: &[i16], step: usize) -> Vec<f64> {
    (0..pcm.len().saturating_sub(FRAME - 1))
        .step_by(step)
        .map(|i| {
            let e: f64 = pcm[i..i + FRAME]
                .iter()
                .map(|&s| f64::from(s).powi(2))
                .sum();
            10.0 * (e / FRAME as f64 + 1.0).log10() - 90.0
        })
        .map(|db| db.max(-90.0))
        .collect()
}

/// Pearson correlation of two equally long series.
fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        ab += (x - ma) * (y - mb);
        aa += (x - ma).powi(2);
        bb += (y - mb).powi(2);
    }
    if aa == 0.0 || bb == 0.0 {
        0.0
    } else {
        ab / (aa * bb).sqrt()
    }
}

/// Normalised cross-correlation of `clip` with `heard` starting at `lag`.
fn ncc_at(heard: &[i16], clip: &[i16], lag: usize) -> f64 {
    let (mut hc, mut hh, mut cc) = (0.0, 0.0, 0.0);
    for (&h, &c) in heard[lag..lag + clip.len()].iter().zip(clip) {
        let (h, c) = (f64::from(h), f64::from(c));
        hc += h * c;
        hh += h * h;
        cc += c * c;
    }
    if hh == 0.0 || cc == 0.0 {
        0.0
    } else {
        hc / (hh * cc).sqrt()
    }
}

/// How well `clip` is found in `heard`: the best normalised cross-correlation of the samples.
/// Candidate alignments come from the 20 ms energy envelopes (every 5 ms), the best few are
/// refined sample by sample around them; a full sample-level search would be needlessly slow.
fn similarity(heard: &[i16], clip: &[i16]) -> f64 {
    if heard.len() < clip.len() {
        return 0.0;
    }
    let clip_env = envelope(clip, FRAME);
    let heard_env = envelope(heard, HOP);
    let stride = FRAME / HOP;
    let mut candidates: Vec<(f64, usize)> = (0..=(heard.len() - clip.len()) / HOP)
        .filter_map(|k| {
            let frames: Vec<f64> = (0..clip_env.len())
                .map(|i| heard_env.get(k + i * stride).copied())
                .collect::<Option<_>>()?;
            Some((pearson(&clip_env, &frames), k * HOP))
        })
        .collect();
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0));
    candidates
        .iter()
        .take(5)
        .flat_map(|&(_, lag)| {
            let lo = lag.saturating_sub(HOP);
            let hi = (lag + HOP).min(heard.len() - clip.len());
            (lo..=hi).map(|l| ncc_at(heard, clip, l))
        })
        .fold(0.0, f64::max)
}

/// The clip of `prompt` in `language` as the bridge plays it: the embedded recording decoded at
/// 8 kHz, as `pont::prompts::Prompts::load(8000)` does (only the one clip, which is much cheaper
/// in a debug build than loading them all).
fn clip(language: &str, prompt: Prompt) -> Vec<i16> {
    let name = file_name(prompt);
    let wav = media::prompts::clip(language, &name)
        .unwrap_or_else(|| panic!("no {language} clip of {prompt:?}"));
    media::prompts::decode_wav(wav, 8000).expect("an embedded prompt decodes")
}

/// Which of French and English `prompt` is in `heard`: `(french, english)` similarities.
fn scores(heard: &[i16], prompt: Prompt) -> (f64, f64) {
    let clip = |lang: &str| clip(lang, prompt);
    (
        similarity(heard, &clip("fr")),
        similarity(heard, &clip("en")),
    )
}

/// Assert that `prompt` was heard in `language` (`fr` or `en`) and clearly not in the other.
fn assert_heard(heard: &[i16], prompt: Prompt, language: &str, what: &str) {
    let (fr, en) = scores(heard, prompt);
    eprintln!(
        "{what}: {prompt:?} in {} samples: French {fr:.3}, English {en:.3}",
        heard.len()
    );
    let (right, wrong) = if language == "fr" { (fr, en) } else { (en, fr) };
    assert!(
        right >= MATCH && right >= wrong + MARGIN,
        "{what}: expected {prompt:?} in {language}; French {fr:.3}, English {en:.3}"
    );
}

/// Wait until `duration` after `since`, then return what `phone` heard from `since` on.
async fn heard_since(phone: &Phone, since: Instant, duration: Duration) -> Vec<i16> {
    tokio::time::sleep_until((since + duration).into()).await;
    phone.received_pcm(since.elapsed())
}

/// Hang up and wait for the bridge to tidy up, then stop it.
async fn finish(b: TestBridge, mut phone: Phone) {
    assert_eq!(phone.hangup(Duration::from_secs(5)).await, Some(200));
    b.wait_metrics(
        &["pont_calls_active", "pont_rtp_ports_in_use"],
        0.0,
        Duration::from_secs(3),
    )
    .await;
    b.bridge.shutdown().await;
}

/// The room system dials `sip:721051@bridge` of a conference booked in `booked`: after the
/// number's lookup, "enter the access code" plays, in `expected`.
async fn access_code_prompt(booked: &str, expected: &str) {
    let b = TestBridge::start().await;
    book(&b, booked).await;
    let since = Instant::now();
    let caller = dial(&b, NUMBER).await;
    // The ACK starts the IVR, the lookup takes ≥ 300 ms, then the prompt (≈ 3.2 s).
    let heard = heard_since(&caller, since, Duration::from_millis(5500)).await;
    assert_heard(
        &heard,
        Prompt::EnterAccessCode,
        expected,
        &format!("sip:{NUMBER}@ booked in {booked:?}"),
    );
    finish(b, caller).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn room_system_hears_the_french_of_a_french_booking() {
    tokio::time::timeout(LIMIT, async {
        let b = TestBridge::start().await;
        book(&b, "fr").await;
        let since = Instant::now();
        let caller = dial(&b, NUMBER).await;
        let heard = heard_since(&caller, since, Duration::from_millis(5500)).await;
        assert_heard(
            &heard,
            Prompt::EnterAccessCode,
            "fr",
            "sip:NUMBER@ booked in fr",
        );
        // The right code: "joining, you are the first participant", still in French.
        let keyed = Instant::now();
        key_rfc4733(&caller, &format!("{CODE}#")).await;
        let heard = heard_since(&caller, keyed, Duration::from_millis(5000)).await;
        assert_heard(&heard, Prompt::Joining, "fr", "code keyed, booked in fr");
        assert_heard(
            &heard,
            Prompt::FirstParticipant,
            "fr",
            "code keyed, booked in fr",
        );
        let joined =
            wait_metric_at_least(&b, "pont_calls_joined_total", 1.0, Duration::from_secs(5)).await;
        assert_eq!(joined, 1.0, "the caller was not joined");
        finish(b, caller).await;
    })
    .await
    .expect("test finishes in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn booking_without_a_language_keeps_the_default() {
    tokio::time::timeout(LIMIT, access_code_prompt("", "en"))
        .await
        .expect("test finishes in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn english_booking_is_english() {
    tokio::time::timeout(LIMIT, access_code_prompt("en", "en"))
        .await
        .expect("test finishes in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_caller_keeps_the_gateways_language() {
    tokio::time::timeout(LIMIT, async {
        let b = TestBridge::start().await;
        book(&b, "fr").await;
        // GDS string: the English gateway's number, then the conference number.
        let since = Instant::now();
        let caller = dial(&b, &format!("{GATEWAY}{NUMBER}")).await;
        let heard = heard_since(&caller, since, Duration::from_millis(5500)).await;
        assert_heard(
            &heard,
            Prompt::EnterAccessCode,
            "en",
            "GDS to a French booking",
        );
        finish(b, caller).await;
    })
    .await
    .expect("test finishes in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_code_in_the_uri_does_not_change_the_voice() {
    tokio::time::timeout(LIMIT, async {
        let b = TestBridge::start().await;
        book(&b, "fr").await;
        // A wrong code: the bridge asks for the number again and must say it in English, as it
        // would for a number that does not exist.
        let since = Instant::now();
        let caller = dial(&b, &format!("{NUMBER}**9999")).await;
        let heard = heard_since(&caller, since, Duration::from_millis(5500)).await;
        assert_heard(
            &heard,
            Prompt::EnterConferenceNumber,
            "en",
            "NUMBER**wrong code, booked in fr",
        );
        assert_eq!(b.metric("pont_calls_joined_total").await, 0.0);
        finish(b, caller).await;
    })
    .await
    .expect("test finishes in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn right_code_in_the_uri_joins_a_french_booking() {
    tokio::time::timeout(LIMIT, async {
        let b = TestBridge::start().await;
        book(&b, "fr").await;
        // `NUMBER**CODE` joins at once, without announcements: nothing to hear, but it must get in.
        let caller = dial(&b, &format!("{NUMBER}**{CODE}")).await;
        let joined =
            wait_metric_at_least(&b, "pont_calls_joined_total", 1.0, Duration::from_secs(5)).await;
        assert_eq!(joined, 1.0, "NUMBER**CODE was not joined");
        finish(b, caller).await;
    })
    .await
    .expect("test finishes in time");
}
