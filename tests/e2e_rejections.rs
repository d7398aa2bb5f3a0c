//! The final statuses a caller gets when the bridge will not seat them, end to end: an unknown
//! number is 404, a wrong access code in the URI 403 (the right one joins), a full conference
//! 486, a conference not open yet 404, and an offer with no codec the mixer has 488. Every
//! refused call leaves nothing behind in `/metrics`.

mod common;

use std::time::Duration;

use common::phone::{g729, CallError};
use common::{unix_now, Phone, PhoneOptions, TestBridge, CODE, NUMBER};

/// Every test is bounded well under the suite's 20 s budget.
const LIMIT: Duration = Duration::from_secs(20);

fn status(result: Result<Phone, CallError>) -> u16 {
    match result {
        Ok(_) => panic!("the call was answered; a rejection was expected"),
        Err(e) => e
            .status()
            .unwrap_or_else(|| panic!("no final status, but {e:?}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_number_wrong_code_and_right_code() {
    tokio::time::timeout(LIMIT, async {
        let b = TestBridge::start().await;
        b.add_conference(NUMBER, CODE, 20).await;

        assert_eq!(status(Phone::call(b.sip(), "999999", 440.0).await), 404);
        assert_eq!(status(Phone::call(b.sip(), "hello", 440.0).await), 404);
        let wrong = format!("{NUMBER}**9999");
        assert_eq!(status(Phone::call(b.sip(), &wrong, 440.0).await), 403);

        let right = format!("{NUMBER}**{CODE}");
        let mut p = Phone::call(b.sip(), &right, 440.0)
            .await
            .expect("the right code joins");
        assert_eq!(b.metric("pont_participants_active").await, 1.0);
        assert_eq!(b.metric("pont_calls_rejected_total").await, 3.0);
        assert_eq!(p.hangup(Duration::from_secs(5)).await, Some(200));
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
    })
    .await
    .expect("test finishes in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn third_caller_of_a_two_seat_conference_is_busy() {
    tokio::time::timeout(LIMIT, async {
        let b = TestBridge::start().await;
        b.add_conference(NUMBER, CODE, 2).await;
        let mut first = Phone::call(b.sip(), NUMBER, 440.0)
            .await
            .expect("first joins");
        let mut second = Phone::call(b.sip(), NUMBER, 700.0)
            .await
            .expect("second joins");
        assert_eq!(status(Phone::call(b.sip(), NUMBER, 1000.0).await), 486);
        // The refused caller took no seat and no ports.
        assert_eq!(b.metric("pont_participants_active").await, 2.0);

        // A seat freed is a seat available again.
        assert_eq!(first.hangup(Duration::from_secs(5)).await, Some(200));
        b.wait_metrics(&["pont_participants_active"], 1.0, Duration::from_secs(3))
            .await;
        let mut third = Phone::call(b.sip(), NUMBER, 1000.0)
            .await
            .expect("a freed seat can be taken");
        assert_eq!(second.hangup(Duration::from_secs(5)).await, Some(200));
        assert_eq!(third.hangup(Duration::from_secs(5)).await, Some(200));
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
    })
    .await
    .expect("test finishes in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conference_not_open_yet_is_not_found() {
    tokio::time::timeout(LIMIT, async {
        let b = TestBridge::start().await;
        // Two hours ahead: well outside the early-join window.
        b.add_conference_at(NUMBER, CODE, 20, unix_now() + 2 * 3600)
            .await;
        assert_eq!(status(Phone::call(b.sip(), NUMBER, 440.0).await), 404);
        let with_code = format!("{NUMBER}**{CODE}");
        assert_eq!(status(Phone::call(b.sip(), &with_code, 440.0).await), 404);
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
        assert_eq!(status(Phone::dial(b.sip(), NUMBER, opts).await), 488);
        // The seat and the ports taken before the SDP was read were given back.
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
    })
    .await
    .expect("test finishes in time");
}
