//! Bad and odd SIP input end to end, over real UDP: a malformed request that still has a Via gets
//! a 400 back to its sender, bytes that are not SIP at all are dropped and counted, OPTIONS is
//! answered 200 with Allow, and the bridge goes on serving calls afterwards, over UDP and over
//! TCP (both dial `721051**1289`, join, and hear each other).

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::ivr::wait_metric_at_least;
use common::{tone_db, Phone, PhoneOptions, TestBridge, CODE, NUMBER};
use tokio::net::UdpSocket;

/// Send `request` from `socket` to the bridge and return the first answer within `wait`.
async fn exchange(
    socket: &UdpSocket,
    bridge: SocketAddr,
    request: &str,
    wait: Duration,
) -> Option<String> {
    socket.send_to(request.as_bytes(), bridge).await.unwrap();
    let mut buf = vec![0u8; 65_535];
    let (n, from) = tokio::time::timeout(wait, socket.recv_from(&mut buf))
        .await
        .ok()?
        .ok()?;
    assert_eq!(from, bridge, "answer from the SIP address");
    Some(String::from_utf8_lossy(&buf[..n]).into_owned())
}

/// A request's headers, with CRLF line ends and the blank line.
fn request(lines: &[&str]) -> String {
    let mut s = lines.join("\r\n");
    s.push_str("\r\n\r\n");
    s
}

fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then_some(v.trim())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_garbage_options_then_calls_over_udp_and_tcp() {
    tokio::time::timeout(Duration::from_secs(20), async {
        let b = TestBridge::start().await;
        b.add_conference(NUMBER, CODE, 20).await;
        let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let me = s.local_addr().unwrap();
        let via = format!("Via: SIP/2.0/UDP {me};branch=z9hG4bK-e2e-");
        let wait = Duration::from_secs(2);

        // No Call-ID: unusable as a transaction, but the Via says where to complain.
        let no_call_id = request(&[
            &format!("INVITE sip:{NUMBER}@{} SIP/2.0", b.sip()),
            &format!("{via}1"),
            "Max-Forwards: 70",
            "From: <sip:tester@127.0.0.1>;tag=e2e1",
            &format!("To: <sip:{NUMBER}@127.0.0.1>"),
            "CSeq: 1 INVITE",
            "Content-Length: 0",
        ]);
        let answer = exchange(&s, b.sip(), &no_call_id, wait).await.expect("an answer");
        assert!(answer.starts_with("SIP/2.0 400"), "{answer}");
        assert!(header(&answer, "Via").is_some_and(|v| v.contains("z9hG4bK-e2e-1")), "{answer}");

        // Lines that are not headers at all, around a Via.
        let garbage_headers = request(&[
            "INVITE sip:x SIP/2.0",
            &format!("{via}2"),
            "this is not a header",
            "@@@: ::: :",
            "CSeq: banana",
        ]);
        let answer = exchange(&s, b.sip(), &garbage_headers, wait).await.expect("an answer");
        assert!(answer.starts_with("SIP/2.0 400"), "{answer}");

        // Not SIP: nothing to answer, so dropped, and counted.
        let dropped_before = b.metric("pont_sip_messages_dropped_total").await;
        s.send_to(b"\x00\x01\x02 not sip \xff\xfe", b.sip()).await.unwrap();
        let none = exchange(&s, b.sip(), "\u{7f}\u{1}hello\r\n\r\n", Duration::from_millis(500)).await;
        assert_eq!(none, None, "garbage was answered");
        let dropped_after = b.metric("pont_sip_messages_dropped_total").await;
        assert!(dropped_after >= dropped_before + 2.0, "{dropped_before} → {dropped_after}");
        assert!(b.metric("pont_sip_bad_requests_total").await >= 2.0);

        let options = request(&[
            &format!("OPTIONS sip:{NUMBER}@{} SIP/2.0", b.sip()),
            &format!("{via}3"),
            "Max-Forwards: 70",
            "From: <sip:tester@127.0.0.1>;tag=e2e3",
            &format!("To: <sip:{NUMBER}@127.0.0.1>"),
            "Call-ID: e2e-options-3@127.0.0.1",
            "CSeq: 1 OPTIONS",
            "Content-Length: 0",
        ]);
        let answer = exchange(&s, b.sip(), &options, wait).await.expect("an answer");
        assert!(answer.starts_with("SIP/2.0 200"), "{answer}");
        let allow = header(&answer, "Allow").unwrap_or_else(|| panic!("no Allow: {answer}"));
        for method in ["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS"] {
            assert!(allow.contains(method), "Allow: {allow}");
        }

        // Still serving: one caller over UDP, one over TCP, hearing each other.
        // Number and code in the URI: both join at once, without the IVR.
        let direct = format!("{NUMBER}**{CODE}");
        let udp = Phone::call(b.sip(), &direct, 440.0).await.expect("UDP call joins");
        let tcp = Phone::dial(
            b.sip(),
            &direct,
            PhoneOptions {
                transport: sip::Transport::Tcp,
                ..PhoneOptions::tone(700.0)
            },
        )
        .await
        .expect("TCP call joins");
        let joined =
            wait_metric_at_least(&b, "pont_calls_joined_total", 2.0, Duration::from_secs(5)).await;
        assert_eq!(joined, 2.0, "the UDP and TCP callers both joined");
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let window = Duration::from_secs(1);
        let heard_by_tcp = tone_db(&tcp.received_pcm(window), 440.0);
        let heard_by_udp = tone_db(&udp.received_pcm(window), 700.0);
        eprintln!("TCP caller hears 440 Hz at {heard_by_tcp:.1} dBFS, UDP caller 700 Hz at {heard_by_udp:.1}");
        assert!(heard_by_tcp >= -30.0, "{heard_by_tcp}");
        assert!(heard_by_udp >= -30.0, "{heard_by_udp}");
        for mut p in [udp, tcp] {
            assert_eq!(p.hangup(Duration::from_secs(5)).await, Some(200));
        }
        b.wait_metrics(
            &["pont_calls_active", "pont_participants_active", "pont_rtp_ports_in_use"],
            0.0,
            Duration::from_secs(3),
        )
        .await;
    })
    .await
    .expect("test finishes in time");
}
