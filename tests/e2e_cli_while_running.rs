//! The `pont conference` CLI changes the store while a bridge runs on it, and the bridge sees the
//! change on the next call without a restart: before the conference exists, a caller dialling
//! `731000**4321` is answered by the IVR and not joined; once the real binary has added it, the
//! same URI joins at once; once removed, the call in progress goes on but the next caller is
//! again left in the IVR, not joined.

mod common;

use std::time::Duration;

use common::ivr::wait_metric_at_least;
use common::{run_pont, Phone, TestBridge};

const DIRECT: &str = "731000**4321";
/// The code check takes ≥ 300 ms: a direct caller not joined after this is not joining.
const JOIN_WAIT: Duration = Duration::from_millis(2500);

/// A caller of [`DIRECT`] is answered, stays in the lobby (IVR) and is not counted as joined.
async fn not_joined(b: &TestBridge, joined_before: f64) {
    let mut p = Phone::call(b.sip(), DIRECT, 440.0)
        .await
        .expect("an unknown conference is answered by the IVR");
    let joined =
        wait_metric_at_least(b, "pont_calls_joined_total", joined_before + 1.0, JOIN_WAIT).await;
    assert_eq!(
        joined, joined_before,
        "joined a conference that is not booked"
    );
    assert_eq!(p.wait_ended(Duration::ZERO).await, None, "the IVR hung up");
    assert_eq!(p.hangup(Duration::from_secs(5)).await, Some(200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conference_added_and_removed_by_the_cli_while_the_bridge_runs() {
    tokio::time::timeout(Duration::from_secs(25), async {
        let b = TestBridge::start().await;
        // Nothing booked yet.
        not_joined(&b, 0.0).await;

        let (ok, out, err) = run_pont(&[
            "conference",
            "add",
            "--number",
            "731000",
            "--code",
            "4321",
            "--db",
            &b.db_url,
        ])
        .await;
        assert!(ok, "conference add failed:\n{out}\n{err}");
        assert!(out.contains("731000"), "{out}");

        let mut p = Phone::call(b.sip(), DIRECT, 440.0)
            .await
            .expect("the conference the CLI added answers");
        let joined = wait_metric_at_least(&b, "pont_calls_joined_total", 1.0, JOIN_WAIT).await;
        assert_eq!(joined, 1.0, "the conference the CLI added can be joined");
        assert_eq!(b.metric("pont_participants_active").await, 1.0);

        let (ok, out, err) = run_pont(&[
            "conference",
            "remove",
            "--number",
            "731000",
            "--db",
            &b.db_url,
        ])
        .await;
        assert!(ok, "conference remove failed:\n{out}\n{err}");
        // Removing the booking does not cut the call in progress…
        assert_eq!(p.wait_ended(Duration::ZERO).await, None);
        assert_eq!(p.hangup(Duration::from_secs(5)).await, Some(200));
        // …but nobody new can join it.
        not_joined(&b, 1.0).await;
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
