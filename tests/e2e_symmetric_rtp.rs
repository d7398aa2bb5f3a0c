//! Symmetric RTP and hostile datagrams on a leg's RTP port, end to end: a phone whose SDP names
//! an address nobody listens on (NAT, a confused client) but which sends from its real socket
//! still hears the conference, because the bridge answers where the RTP comes from; datagrams
//! that are not RTP are counted (`pont_rtp_packets_received_total`, then
//! `pont_rtp_packets_malformed_total`), dropped, and neither stop the call nor redirect its media
//! to their sender.

mod common;

use std::time::Duration;

use common::ivr::wait_metric_at_least;
use common::{tone_db, Phone, PhoneOptions, TestBridge, CODE, NUMBER};
use tokio::net::UdpSocket;

const WINDOW: Duration = Duration::from_secs(1);

fn assert_hears(who: &str, phone: &Phone, hz: f64) {
    let pcm = phone.received_pcm(WINDOW);
    let db = tone_db(&pcm, hz);
    eprintln!("{who}: {} samples, {hz} Hz at {db:.1} dBFS", pcm.len());
    assert!(pcm.len() >= 7000, "{who}: only {} samples", pcm.len());
    assert!(db >= -30.0, "{who}: {hz} Hz at {db:.1} dBFS");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_sdp_address_still_hears_and_garbage_is_dropped() {
    tokio::time::timeout(Duration::from_secs(20), async {
        let b = TestBridge::start().await;
        b.add_conference(NUMBER, CODE, 20).await;
        // Number and code in the URI: both join at once, without the IVR.
        let direct = format!("{NUMBER}**{CODE}");
        let honest = Phone::call(b.sip(), &direct, 440.0).await.expect("joins");
        let liar = Phone::dial(
            b.sip(),
            &direct,
            PhoneOptions {
                // The discard port: nothing listens there on loopback.
                advertise_rtp: Some("127.0.0.1:9".parse().unwrap()),
                ..PhoneOptions::tone(700.0)
            },
        )
        .await
        .expect("joins");
        let joined =
            wait_metric_at_least(&b, "pont_calls_joined_total", 2.0, Duration::from_secs(5)).await;
        assert_eq!(joined, 2.0);

        tokio::time::sleep(Duration::from_millis(1500) + WINDOW).await;
        assert_hears("phone with a wrong SDP address", &liar, 440.0);
        assert_hears("honest phone", &honest, 700.0);
        // Its media comes from the port the bridge's answer named.
        let sources: std::collections::BTreeSet<_> =
            liar.received().iter().map(|r| r.source).collect();
        assert_eq!(
            sources.into_iter().collect::<Vec<_>>(),
            vec![liar.bridge_rtp()]
        );

        // A stranger floods the liar's bridge port with datagrams that are not RTP.
        let before = b.metric("pont_rtp_packets_received_total").await;
        let malformed_before = b.metric("pont_rtp_packets_malformed_total").await;
        let stranger = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let garbage: [&[u8]; 4] = [
            b"not rtp at all",
            &[0u8; 12],                      // version 0
            &[0x80, 0x00, 0x00],             // shorter than a header
            &[0x8f, 0x00, 0, 1, 0, 0, 0, 0], // 15 CSRCs announced, none present
        ];
        let mut sent = 0u32;
        let mut every = tokio::time::interval(Duration::from_millis(5));
        for i in 0..200 {
            every.tick().await;
            stranger
                .send_to(garbage[i % garbage.len()], liar.bridge_rtp())
                .await
                .unwrap();
            sent += 1;
        }
        // The window just measured was the flood: the call carried on through it.
        assert_hears(
            "phone with a wrong SDP address, under the flood",
            &liar,
            440.0,
        );
        assert_hears("honest phone, under the flood", &honest, 700.0);

        let mut buf = [0u8; 2048];
        let leaked =
            tokio::time::timeout(Duration::from_millis(300), stranger.recv_from(&mut buf)).await;
        assert!(
            leaked.is_err(),
            "the bridge sent media to the sender of garbage: {leaked:?}"
        );
        let after = b.metric("pont_rtp_packets_received_total").await;
        assert!(
            after - before >= f64::from(sent),
            "received_total grew by {} for {sent} garbage datagrams",
            after - before
        );
        // The engines publish their drop counters about once a second.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
        loop {
            let malformed = b.metric("pont_rtp_packets_malformed_total").await;
            if malformed - malformed_before >= f64::from(sent) {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "malformed_total grew by {} for {sent} garbage datagrams",
                malformed - malformed_before
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        b.wait_metrics(&["pont_participants_active"], 2.0, Duration::from_secs(1))
            .await;
        for mut p in [honest, liar] {
            assert_eq!(p.hangup(Duration::from_secs(5)).await, Some(200));
        }
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
