//! The full IVR from a gateway number, end to end, with the digits keyed each of the three ways
//! the bridge reads them: RFC 4733 telephone-events, SIP INFO (`application/dtmf-relay`) and
//! in-band DTMF tones in the µ-law audio. In each test a caller dials the gateway number, keys
//! `721051#` then `1289#`, and must be joined (`pont_calls_joined_total` grows by one) and then
//! hear the participant already in the conference (a 700 Hz tone), who hears the caller back.

mod common;

use std::time::Duration;

use common::ivr::{key_rfc4733, wait_metric_at_least, IvrCaller, SETTLE};
use common::{tone_db, Phone, TestBridge, CODE, GATEWAY, NUMBER};

const LIMIT: Duration = Duration::from_secs(30);
const WINDOW: Duration = Duration::from_secs(1);
/// After the code's `#`: the lookup, "joining" and the participant count, then the move.
const JOIN_WAIT: Duration = Duration::from_secs(10);

/// A bridge with the conference open and one participant in it already, sending 700 Hz.
async fn conference_with_one() -> (TestBridge, Phone) {
    let b = TestBridge::start().await;
    b.add_conference(NUMBER, CODE, 20).await;
    let other = Phone::call(b.sip(), &format!("{NUMBER}**{CODE}"), 700.0)
        .await
        .expect("the first participant is answered");
    let joined =
        wait_metric_at_least(&b, "pont_calls_joined_total", 1.0, Duration::from_secs(3)).await;
    assert_eq!(joined, 1.0, "the direct URI joins at once");
    (b, other)
}

/// The number and code, as keyed after the gateway's welcome.
fn entries() -> String {
    format!("{NUMBER}#{CODE}#")
}

async fn assert_joined(b: &TestBridge) {
    let joined = wait_metric_at_least(b, "pont_calls_joined_total", 2.0, JOIN_WAIT).await;
    assert_eq!(joined, 2.0, "the IVR caller was not joined");
    assert_eq!(b.metric("pont_participants_active").await, 2.0);
}

fn assert_hears(who: &str, pcm: &[i16], hz: f64) {
    let db = tone_db(pcm, hz);
    eprintln!("{who}: {} samples, {hz} Hz at {db:.1} dBFS", pcm.len());
    assert!(pcm.len() >= 7000, "{who}: only {} samples", pcm.len());
    assert!(db >= -30.0, "{who}: {hz} Hz at {db:.1} dBFS");
}

async fn teardown(b: TestBridge) {
    b.wait_metrics(
        &[
            "pont_calls_active",
            "pont_participants_active",
            "pont_rtp_ports_in_use",
        ],
        0.0,
        Duration::from_secs(3),
    )
    .await;
    b.bridge.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_number_then_digits_by_rfc4733() {
    tokio::time::timeout(LIMIT, async {
        let (b, mut other) = conference_with_one().await;
        let mut caller = Phone::call(b.sip(), GATEWAY, 440.0)
            .await
            .expect("the gateway number is answered");
        tokio::time::sleep(SETTLE).await;
        key_rfc4733(&caller, &entries()).await;
        assert_joined(&b).await;
        assert!(b.metric("pont_dtmf_digits_total").await >= 12.0);

        tokio::time::sleep(Duration::from_millis(1500) + WINDOW).await;
        assert_hears("IVR caller", &caller.received_pcm(WINDOW), 700.0);
        assert_hears("first participant", &other.received_pcm(WINDOW), 440.0);
        assert_eq!(caller.hangup(Duration::from_secs(5)).await, Some(200));
        assert_eq!(other.hangup(Duration::from_secs(5)).await, Some(200));
        teardown(b).await;
    })
    .await
    .expect("test finishes in time");
}

/// How an [`IvrCaller`] keys its digits.
#[derive(Clone, Copy, Debug)]
enum KeyBy {
    Info,
    InBand,
}

/// Gateway number, `721051#1289#` keyed `how` by a caller that offers no telephone-event (so no
/// other way in), then the caller and the first participant hear each other.
async fn join_by_keys_without_rfc4733(how: KeyBy) {
    let (b, mut other) = conference_with_one().await;
    let mut caller = IvrCaller::dial(b.sip(), GATEWAY, Some(440.0), false)
        .await
        .expect("the gateway number is answered");
    tokio::time::sleep(SETTLE).await;
    match how {
        KeyBy::Info => caller.key_info(&entries()).await,
        KeyBy::InBand => caller.key_inband(&entries()).await,
    }
    assert_joined(&b).await;

    tokio::time::sleep(Duration::from_millis(1500) + WINDOW).await;
    assert_hears(
        &format!("{how:?} caller"),
        &caller.received_pcm(WINDOW),
        700.0,
    );
    assert_hears("first participant", &other.received_pcm(WINDOW), 440.0);
    assert_eq!(
        caller.hangup(Duration::from_secs(5)).await,
        Some(sip::EndReason::LocalBye)
    );
    assert_eq!(other.hangup(Duration::from_secs(5)).await, Some(200));
    teardown(b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_number_then_digits_by_sip_info() {
    tokio::time::timeout(LIMIT, join_by_keys_without_rfc4733(KeyBy::Info))
        .await
        .expect("test finishes in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_number_then_digits_as_inband_tones() {
    tokio::time::timeout(LIMIT, join_by_keys_without_rfc4733(KeyBy::InBand))
        .await
        .expect("test finishes in time");
}
