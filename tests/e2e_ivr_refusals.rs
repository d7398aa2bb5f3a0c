//! The IVR's refusals, end to end: they are spoken, then the bridge hangs up (BYE), instead of a
//! SIP error status. A caller who keys a wrong access code three times is hung up and
//! `pont_ivr_wrong_codes_total` reads 3; a caller who dials `721051**1289` into a conference at
//! capacity hears something (the "full" prompt), is hung up and is never counted as joined nor
//! seated; a caller who keys the number of a conference starting in two hours is hung up after
//! the prompt.

mod common;

use std::time::Duration;

use common::ivr::{key_rfc4733, wait_metric_at_least, SETTLE};
use common::{total_db, unix_now, Phone, PhoneOptions, TestBridge, CODE, GATEWAY, NUMBER};
use sip::EndReason;

const LIMIT: Duration = Duration::from_secs(30);
/// Longest a refusal takes to be spoken before the BYE (two short prompts).
const PROMPT_THEN_BYE: Duration = Duration::from_secs(12);

/// A phone sending digital silence, so that all it hears comes from the bridge.
fn quiet() -> PhoneOptions {
    PhoneOptions {
        tone_hz: None,
        ..PhoneOptions::tone(440.0)
    }
}

async fn nothing_left(b: TestBridge) {
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
async fn wrong_code_three_times_is_hung_up() {
    tokio::time::timeout(LIMIT, async {
        let b = TestBridge::start().await;
        b.add_conference(NUMBER, CODE, 20).await;
        let mut caller = Phone::call(b.sip(), NUMBER, 440.0)
            .await
            .expect("the room-system URI is answered");
        // The number lookup, then "enter the access code".
        tokio::time::sleep(SETTLE + Duration::from_millis(700)).await;
        key_rfc4733(&caller, "1111#").await;
        key_rfc4733(&caller, "2222#").await;
        assert_eq!(
            caller.wait_ended(Duration::ZERO).await,
            None,
            "hung up too early"
        );
        key_rfc4733(&caller, "3333#").await;
        let ended = caller.wait_ended(PROMPT_THEN_BYE).await;
        assert_eq!(ended, Some(EndReason::RemoteBye));
        assert_eq!(b.metric("pont_ivr_wrong_codes_total").await, 3.0);
        assert_eq!(b.metric("pont_calls_joined_total").await, 0.0);
        nothing_left(b).await;
    })
    .await
    .expect("test finishes in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caller_of_a_full_conference_hears_it_and_is_hung_up() {
    tokio::time::timeout(LIMIT, async {
        let b = TestBridge::start().await;
        b.add_conference(NUMBER, CODE, 2).await;
        let direct = format!("{NUMBER}**{CODE}");
        let mut first = Phone::call(b.sip(), &direct, 440.0).await.expect("first");
        let mut second = Phone::call(b.sip(), &direct, 700.0).await.expect("second");
        let joined =
            wait_metric_at_least(&b, "pont_calls_joined_total", 2.0, Duration::from_secs(3)).await;
        assert_eq!(joined, 2.0);

        let mut third = Phone::dial(b.sip(), &direct, quiet())
            .await
            .expect("the caller of a full conference is answered, to be told");
        let ended = third.wait_ended(PROMPT_THEN_BYE).await;
        assert_eq!(ended, Some(EndReason::RemoteBye));
        let pcm = third.received_pcm(PROMPT_THEN_BYE);
        let db = total_db(&pcm);
        eprintln!("refused caller heard {} samples at {db:.1} dBFS", pcm.len());
        assert!(db > -40.0, "no prompt before the BYE: {db:.1} dBFS");
        assert_eq!(b.metric("pont_calls_joined_total").await, 2.0);
        assert_eq!(b.metric("pont_participants_active").await, 2.0);

        for p in [&mut first, &mut second] {
            assert_eq!(p.hangup(Duration::from_secs(5)).await, Some(200));
        }
        nothing_left(b).await;
    })
    .await
    .expect("test finishes in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conference_in_two_hours_is_announced_then_hung_up() {
    tokio::time::timeout(LIMIT, async {
        let b = TestBridge::start().await;
        // Two hours ahead: well outside the 10-minute early-join window.
        b.add_conference_at(NUMBER, CODE, 20, unix_now() + 2 * 3600)
            .await;
        let mut caller = Phone::dial(b.sip(), GATEWAY, quiet())
            .await
            .expect("the gateway number is answered");
        tokio::time::sleep(SETTLE).await;
        key_rfc4733(&caller, &format!("{NUMBER}#")).await;
        let ended = caller.wait_ended(PROMPT_THEN_BYE).await;
        assert_eq!(ended, Some(EndReason::RemoteBye));
        let db = total_db(&caller.received_pcm(PROMPT_THEN_BYE));
        assert!(db > -40.0, "no prompt before the BYE: {db:.1} dBFS");
        assert_eq!(b.metric("pont_calls_joined_total").await, 0.0);
        assert_eq!(b.metric("pont_ivr_wrong_codes_total").await, 0.0);
        nothing_left(b).await;
    })
    .await
    .expect("test finishes in time");
}
