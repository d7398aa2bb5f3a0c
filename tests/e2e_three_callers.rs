//! Issue #2's key behaviour, end to end over loopback: three phones dial `721051**1289` (number
//! and code in the URI, which joins at once without announcements), each sends a tone (440, 700,
//! 1000 Hz) and each hears the two others but not itself (N−1 mixing); after one
//! hangs up (BYE answered 200) the two left hear each other and no longer the third tone; once
//! everyone has hung up, `/metrics` shows no call, participant or RTP port left behind.

mod common;

use std::time::Duration;

use common::ivr::wait_metric_at_least;
use common::{tone_db, total_db, Phone, TestBridge, CODE, NUMBER};

const TONES: [f64; 3] = [440.0, 700.0, 1000.0];
/// A frequency nobody sends: what the mix has there is noise (quantisation, concealment).
const NOISE_HZ: f64 = 1500.0;
const WINDOW: Duration = Duration::from_secs(1);

/// Each other tone must be at least this loud…
const HEARD_DB: f64 = -30.0;
/// …and the tones that must be absent this far below the weakest one that must be present.
const ABSENT_MARGIN_DB: f64 = 20.0;

/// Check what one phone heard over the last `WINDOW`: every tone in `present` loud and clearly
/// above noise, every tone in `absent` at least `ABSENT_MARGIN_DB` below them.
fn check_hears(who: &str, phone: &Phone, present: &[f64], absent: &[f64]) {
    let pcm = phone.received_pcm(WINDOW);
    // 1 s at 8 kHz; allow a few packets of scheduling slack at the window edges.
    assert!(
        pcm.len() >= 7000,
        "{who}: only {} samples in {WINDOW:?}",
        pcm.len()
    );
    let noise = tone_db(&pcm, NOISE_HZ);
    let total = total_db(&pcm);
    let heard: Vec<(f64, f64)> = present.iter().map(|&f| (f, tone_db(&pcm, f))).collect();
    let missing: Vec<(f64, f64)> = absent.iter().map(|&f| (f, tone_db(&pcm, f))).collect();
    eprintln!(
        "{who}: total {total:.1} dBFS, noise@{NOISE_HZ} {noise:.1}, present {heard:.1?}, absent {missing:.1?}"
    );
    for &(f, db) in &heard {
        assert!(
            db >= HEARD_DB,
            "{who}: {f} Hz at {db:.1} dBFS, want ≥ {HEARD_DB}"
        );
        assert!(
            db >= noise + ABSENT_MARGIN_DB,
            "{who}: {f} Hz at {db:.1} dBFS is not clearly above the noise ({noise:.1})"
        );
    }
    let weakest = heard.iter().map(|h| h.1).fold(f64::INFINITY, f64::min);
    for &(f, db) in &missing {
        assert!(
            db <= weakest - ABSENT_MARGIN_DB,
            "{who}: {f} Hz at {db:.1} dBFS should be ≥ {ABSENT_MARGIN_DB} dB below {weakest:.1}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_callers_hear_each_other_but_not_themselves() {
    let t = tokio::time::timeout(Duration::from_secs(20), async {
        let b = TestBridge::start().await;
        b.add_conference(NUMBER, CODE, 20).await;

        let direct = format!("{NUMBER}**{CODE}");
        let mut phones = Vec::new();
        for hz in TONES {
            phones.push(
                Phone::call(b.sip(), &direct, hz)
                    .await
                    .expect("call answered"),
            );
        }
        // The code check takes ≥ 300 ms after the ACK, then the leg moves in.
        let joined =
            wait_metric_at_least(&b, "pont_calls_joined_total", 3.0, Duration::from_secs(5)).await;
        assert_eq!(joined, 3.0, "all three joined without the IVR");
        assert_eq!(b.metric("pont_participants_active").await, 3.0);
        assert_eq!(b.metric("pont_conferences_active").await, 1.0);

        // Settling: jitter buffers fill, symmetric RTP latches; then one window of listening.
        tokio::time::sleep(Duration::from_millis(1500) + WINDOW).await;
        for (i, phone) in phones.iter().enumerate() {
            let others: Vec<f64> = (0..3).filter(|&j| j != i).map(|j| TONES[j]).collect();
            check_hears(
                &format!("phone {} Hz", TONES[i]),
                phone,
                &others,
                &[TONES[i]],
            );
        }

        // The 1000 Hz phone leaves: its BYE is answered 200 and the others stop hearing it.
        let mut third = phones.pop().unwrap();
        assert_eq!(third.hangup(Duration::from_secs(5)).await, Some(200));
        b.wait_metrics(&["pont_participants_active"], 2.0, Duration::from_secs(2))
            .await;
        tokio::time::sleep(Duration::from_millis(500) + WINDOW).await;
        check_hears(
            "phone 440 Hz (of two)",
            &phones[0],
            &[700.0],
            &[440.0, 1000.0],
        );
        check_hears(
            "phone 700 Hz (of two)",
            &phones[1],
            &[440.0],
            &[700.0, 1000.0],
        );

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
    });
    t.await.expect("test finishes within 20 s");
}
