//! What a caller gets when the bridge will not seat them, end to end, now that every call is
//! answered by the IVR: an unknown number (or a user part that is no number) is answered, hears
//! "not found" and is asked for a number, without being hung up; a wrong access code in the URI
//! falls back to the IVR (not joined, one wrong code counted) while the right one joins at once;
//! a full conference is announced and the bridge hangs up (BYE), the caller never seated, until
//! a seat is freed; a conference not open yet, or already ended, is announced then hung up,
//! whether the code is in the URI or not; and an offer with no codec the mixer has is still 488.
//! Nothing is left behind in `/metrics`.

mod common;

use std::time::Duration;

use common::ivr::wait_metric_at_least;
use common::phone::{g729, CallError};
use common::{total_db, unix_now, Phone, PhoneOptions, TestBridge, CODE, NUMBER};
use sip::EndReason;

const LIMIT: Duration = Duration::from_secs(30);
/// A direct caller not joined after this is not joining (the code check takes ≥ 300 ms).
const JOIN_WAIT: Duration = Duration::from_millis(2500);
/// Longest a refusal takes to be spoken before the BYE.
const PROMPT_THEN_BYE: Duration = Duration::from_secs(12);

fn status(result: Result<Phone, CallError>) -> u16 {
    match result {
        Ok(_) => panic!("the call was answered; a rejection was expected"),
        Err(e) => e
            .status()
            .unwrap_or_else(|| panic!("no final status, but {e:?}")),
    }
}

/// A phone sending digital silence, so that all it hears comes from the bridge.
fn quiet() -> PhoneOptions {
    PhoneOptions {
        tone_hz: None,
        ..PhoneOptions::tone(440.0)
    }
}

async fn nothing_left(b: &TestBridge) {
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
}

/// Dial `user`: answered, then within [`JOIN_WAIT`] not joined, still up, and hearing prompts.
async fn stays_in_the_ivr(b: &TestBridge, user: &str) {
    let joined_before = b.metric("pont_calls_joined_total").await;
    let mut p = Phone::dial(b.sip(), user, quiet())
        .await
        .unwrap_or_else(|e| panic!("{user}: not answered: {e:?}"));
    let joined =
        wait_metric_at_least(b, "pont_calls_joined_total", joined_before + 1.0, JOIN_WAIT).await;
    assert_eq!(joined, joined_before, "{user}: joined");
    assert_eq!(p.wait_ended(Duration::ZERO).await, None, "{user}: hung up");
    let db = total_db(&p.received_pcm(JOIN_WAIT));
    eprintln!("{user}: hears {db:.1} dBFS in the IVR");
    assert!(db > -40.0, "{user}: no prompt heard ({db:.1} dBFS)");
    assert_eq!(p.hangup(Duration::from_secs(5)).await, Some(200));
}

/// Dial `user`: answered, hears a prompt, then the bridge hangs up; never joined.
async fn announced_then_hung_up(b: &TestBridge, user: &str) {
    let joined_before = b.metric("pont_calls_joined_total").await;
    let mut p = Phone::dial(b.sip(), user, quiet())
        .await
        .unwrap_or_else(|e| panic!("{user}: not answered: {e:?}"));
    let ended = p.wait_ended(PROMPT_THEN_BYE).await;
    assert_eq!(ended, Some(EndReason::RemoteBye), "{user}");
    let db = total_db(&p.received_pcm(PROMPT_THEN_BYE));
    assert!(
        db > -40.0,
        "{user}: no prompt before the BYE ({db:.1} dBFS)"
    );
    assert_eq!(
        b.metric("pont_calls_joined_total").await,
        joined_before,
        "{user}: counted as joined"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_number_and_wrong_code_fall_back_to_the_ivr() {
    tokio::time::timeout(LIMIT, async {
        let b = TestBridge::start().await;
        b.add_conference(NUMBER, CODE, 20).await;

        stays_in_the_ivr(&b, "999999").await;
        stays_in_the_ivr(&b, "hello").await;
        assert_eq!(b.metric("pont_ivr_wrong_codes_total").await, 0.0);
        stays_in_the_ivr(&b, &format!("{NUMBER}**9999")).await;
        assert_eq!(b.metric("pont_ivr_wrong_codes_total").await, 1.0);

        let right = format!("{NUMBER}**{CODE}");
        let mut p = Phone::call(b.sip(), &right, 440.0)
            .await
            .expect("the right code is answered");
        let joined = wait_metric_at_least(&b, "pont_calls_joined_total", 1.0, JOIN_WAIT).await;
        assert_eq!(joined, 1.0, "the right code joins");
        assert_eq!(b.metric("pont_participants_active").await, 1.0);
        assert_eq!(b.metric("pont_calls_rejected_total").await, 0.0);
        assert_eq!(p.hangup(Duration::from_secs(5)).await, Some(200));
        nothing_left(&b).await;
    })
    .await
    .expect("test finishes in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn third_caller_of_a_two_seat_conference_is_told_and_hung_up() {
    tokio::time::timeout(LIMIT, async {
        let b = TestBridge::start().await;
        b.add_conference(NUMBER, CODE, 2).await;
        let direct = format!("{NUMBER}**{CODE}");
        let mut first = Phone::call(b.sip(), &direct, 440.0)
            .await
            .expect("first answered");
        let mut second = Phone::call(b.sip(), &direct, 700.0)
            .await
            .expect("second answered");
        let joined = wait_metric_at_least(&b, "pont_calls_joined_total", 2.0, JOIN_WAIT).await;
        assert_eq!(joined, 2.0);

        announced_then_hung_up(&b, &direct).await;
        // The refused caller took no seat.
        assert_eq!(b.metric("pont_participants_active").await, 2.0);

        // A seat freed is a seat available again.
        assert_eq!(first.hangup(Duration::from_secs(5)).await, Some(200));
        b.wait_metrics(&["pont_participants_active"], 1.0, Duration::from_secs(3))
            .await;
        let mut third = Phone::call(b.sip(), &direct, 1000.0)
            .await
            .expect("answered");
        let joined = wait_metric_at_least(&b, "pont_calls_joined_total", 3.0, JOIN_WAIT).await;
        assert_eq!(joined, 3.0, "a freed seat can be taken");
        assert_eq!(second.hangup(Duration::from_secs(5)).await, Some(200));
        assert_eq!(third.hangup(Duration::from_secs(5)).await, Some(200));
        nothing_left(&b).await;
    })
    .await
    .expect("test finishes in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conference_not_open_yet_or_ended_is_announced_then_hung_up() {
    tokio::time::timeout(LIMIT, async {
        let b = TestBridge::start().await;
        // Two hours ahead: well outside the early-join window.
        b.add_conference_at(NUMBER, CODE, 20, unix_now() + 2 * 3600)
            .await;
        // Started three hours ago for an hour: over.
        b.add_conference_at("731999", "5555", 20, unix_now() - 3 * 3600)
            .await;
        let with_code = format!("{NUMBER}**{CODE}");
        let ended_with_code = "731999**5555";
        // The four callers at once: each refusal is a few seconds of speech.
        tokio::join!(
            announced_then_hung_up(&b, NUMBER),
            announced_then_hung_up(&b, &with_code),
            announced_then_hung_up(&b, "731999"),
            announced_then_hung_up(&b, ended_with_code),
        );
        assert_eq!(b.metric("pont_calls_joined_total").await, 0.0);
        assert_eq!(b.metric("pont_ivr_wrong_codes_total").await, 0.0);
        nothing_left(&b).await;
    })
    .await
    .expect("test finishes in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offer_without_a_common_codec_is_488() {
    tokio::time::timeout(LIMIT, async {
        let b = TestBridge::start().await;
        b.add_conference(NUMBER, CODE, 20).await;
        let opts = PhoneOptions {
            codecs: vec![g729()],
            telephone_event: false,
            ..PhoneOptions::tone(440.0)
        };
        assert_eq!(
            status(Phone::dial(b.sip(), NUMBER, opts.clone()).await),
            488
        );
        let direct = format!("{NUMBER}**{CODE}");
        assert_eq!(status(Phone::dial(b.sip(), &direct, opts).await), 488);
        assert_eq!(b.metric("pont_calls_rejected_total").await, 2.0);
        // The ports taken before the SDP was read were given back.
        nothing_left(&b).await;
    })
    .await
    .expect("test finishes in time");
}
