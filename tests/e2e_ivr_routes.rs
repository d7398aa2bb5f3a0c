//! How the dialled URI leads into the IVR, end to end: a room system dialling
//! `sip:721051@bridge` is asked only for the access code and joins after `1289#`; a GDS string
//! (gateway number immediately followed by the conference number, `33426687307721051`) likewise;
//! and a caller on the gateway number, recording what it hears, gets spoken prompts (speech
//! energy above −40 dBFS) while in the IVR, and is not joined without keying anything.

mod common;

use std::time::Duration;

use common::ivr::{key_rfc4733, wait_metric_at_least, SETTLE};
use common::{total_db, Phone, TestBridge, CODE, GATEWAY, NUMBER};

const LIMIT: Duration = Duration::from_secs(30);

/// Dial `user`, key `1289#` by RFC 4733, and check the caller is joined.
async fn code_only(user: &str) {
    let b = TestBridge::start().await;
    b.add_conference(NUMBER, CODE, 20).await;
    let mut caller = Phone::call(b.sip(), user, 440.0)
        .await
        .expect("the call is answered");
    // The number in the URI is looked up first (≥ 300 ms), then "enter the access code" plays.
    tokio::time::sleep(SETTLE + Duration::from_millis(700)).await;
    assert_eq!(b.metric("pont_calls_joined_total").await, 0.0);
    key_rfc4733(&caller, &format!("{CODE}#")).await;
    let joined =
        wait_metric_at_least(&b, "pont_calls_joined_total", 1.0, Duration::from_secs(10)).await;
    assert_eq!(joined, 1.0, "{user} + code was not joined");
    assert_eq!(b.metric("pont_participants_active").await, 1.0);
    assert_eq!(b.metric("pont_conferences_active").await, 1.0);
    assert_eq!(caller.hangup(Duration::from_secs(5)).await, Some(200));
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
async fn room_system_dials_the_number_and_keys_the_code() {
    tokio::time::timeout(LIMIT, code_only(NUMBER))
        .await
        .expect("test finishes in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gds_string_then_the_code() {
    tokio::time::timeout(LIMIT, code_only(&format!("{GATEWAY}{NUMBER}")))
        .await
        .expect("test finishes in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caller_in_the_ivr_hears_spoken_prompts() {
    tokio::time::timeout(LIMIT, async {
        let b = TestBridge::start().await;
        b.add_conference(NUMBER, CODE, 20).await;
        // The caller sends digital silence: whatever it hears comes from the bridge alone.
        let mut caller = Phone::dial(
            b.sip(),
            GATEWAY,
            common::PhoneOptions {
                tone_hz: None,
                ..common::PhoneOptions::tone(440.0)
            },
        )
        .await
        .expect("the gateway number is answered");
        // "Welcome…" then "enter the conference number…": listen to the first 3 s of it.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let pcm = caller.received_pcm(Duration::from_millis(2500));
        let db = total_db(&pcm);
        eprintln!("IVR caller: {} samples, {db:.1} dBFS", pcm.len());
        assert!(pcm.len() >= 16_000, "only {} samples in 2.5 s", pcm.len());
        assert!(
            db > -40.0,
            "the IVR caller hears near-silence: {db:.1} dBFS"
        );
        // Nothing keyed: still in the lobby, not in the conference, and the call is up.
        assert_eq!(b.metric("pont_calls_joined_total").await, 0.0);
        assert_eq!(b.metric("pont_participants_active").await, 0.0);
        assert_eq!(b.metric("pont_calls_active").await, 1.0);
        assert_eq!(caller.hangup(Duration::from_secs(5)).await, Some(200));
        b.wait_metrics(
            &["pont_calls_active", "pont_rtp_ports_in_use"],
            0.0,
            Duration::from_secs(3),
        )
        .await;
        b.bridge.shutdown().await;
    })
    .await
    .expect("test finishes in time");
}
