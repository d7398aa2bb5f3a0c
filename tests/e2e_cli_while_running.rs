//! The `pont conference` CLI changes the store while a bridge runs on it, and the bridge sees the
//! change on the next call without a restart: a conference added by the real binary can be
//! joined at once, and once removed the next call to it gets 404.

mod common;

use std::time::Duration;

use common::{run_pont, Phone, TestBridge};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conference_added_and_removed_by_the_cli_while_the_bridge_runs() {
    tokio::time::timeout(Duration::from_secs(20), async {
        let b = TestBridge::start().await;
        // Nothing booked yet.
        let refused = Phone::call(b.sip(), "731000", 440.0).await;
        assert_eq!(refused.err().and_then(|e| e.status()), Some(404));

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

        let mut p = Phone::call(b.sip(), "731000**4321", 440.0)
            .await
            .expect("the conference the CLI added can be joined");
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
        assert_eq!(p.hangup(Duration::from_secs(5)).await, Some(200));
        // …but nobody new can join it.
        let refused = Phone::call(b.sip(), "731000", 440.0).await;
        assert_eq!(refused.err().and_then(|e| e.status()), Some(404));
    })
    .await
    .expect("test finishes in time");
}
