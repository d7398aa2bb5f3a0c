//! Over TCP (RFC 3261 §17.1.1.2, §17.1.2.2, §17.2.1, §17.2.2) timers A, E and G are never armed
//! and D, I, J, K are zero; B, F and H still bound the waits. The 2xx of an INVITE is still
//! retransmitted until the ACK (§13.3.1.4 is end to end: a proxy may carry it on over UDP).

mod common;

use common::*;
use sip::endpoint::EndReason;
use sip::{Event, Transport};

fn invite_tcp(branch: &str) -> String {
    invite_text(branch, "tcp1@phone").replace("SIP/2.0/UDP", "SIP/2.0/TCP")
}

#[test]
fn rejected_invite_over_tcp_is_not_retransmitted() {
    let t0 = t0();
    let mut ep = bridge();
    feed(&mut ep, t0, &invite_tcp("z9hG4bKt1"), PHONE, Transport::Tcp);
    let call = match events(&mut ep).pop() {
        Some(Event::IncomingCall {
            call,
            transport: Transport::Tcp,
            ..
        }) => call,
        other => panic!("{other:?}"),
    };
    ep.reject(t0, call, 486);
    let sent = transmits(&mut ep);
    assert_eq!(statuses(&sent), [100, 486]);
    assert!(sent.iter().all(|t| t.transport == Transport::Tcp));
    // No G; H still ends the transaction at 64*T1.
    assert!(advance(&mut ep, t0 + ms(40_000)).is_empty());
    assert_eq!(ep.poll_timeout(), None);
}

#[test]
fn invite_and_bye_over_tcp_are_sent_once() {
    let t0 = t0();
    let mut ep = endpoint(PHONE, 3);
    let call = ep.invite(
        t0,
        "sip:721051@192.0.2.10;transport=tcp",
        addr(BRIDGE),
        Transport::Tcp,
        None,
    );
    let sent = transmits(&mut ep);
    assert_eq!(sent.len(), 1);
    assert!(header(&sent[0].payload, "Via")
        .unwrap()
        .starts_with("SIP/2.0/TCP "));
    assert!(header(&sent[0].payload, "Contact")
        .unwrap()
        .contains("transport=tcp"));
    // No A; B fires at 64*T1.
    let resent = advance(&mut ep, t0 + ms(40_000));
    assert!(resent.is_empty());
    assert_eq!(
        events(&mut ep),
        vec![Event::CallEnded {
            call,
            reason: EndReason::Timeout
        }]
    );
}

#[test]
fn non_invite_server_over_tcp_ends_at_once() {
    let t0 = t0();
    let mut ep = bridge();
    let opts = "OPTIONS sip:721051@192.0.2.10 SIP/2.0\n\
Via: SIP/2.0/TCP 198.51.100.7:5062;branch=z9hG4bKto\n\
Max-Forwards: 70\n\
From: <sip:room@198.51.100.7>;tag=t\n\
To: <sip:721051@192.0.2.10>\n\
Call-ID: tcpopt@phone\n\
CSeq: 1 OPTIONS\n\
Content-Length: 0\n\n";
    feed(&mut ep, t0, opts, PHONE, Transport::Tcp);
    assert_eq!(statuses(&transmits(&mut ep)), [200]);
    // Timer J is zero over TCP.
    assert_eq!(ep.poll_timeout(), Some(t0));
    ep.handle_timeout(t0);
    assert_eq!(ep.poll_timeout(), None);
}

#[test]
fn two_hundred_is_still_retransmitted_over_tcp() {
    // §13.3.1.4: "independent of whatever transport protocols are used to send the response".
    let t0 = t0();
    let mut ep = bridge();
    feed(&mut ep, t0, &invite_tcp("z9hG4bKt2"), PHONE, Transport::Tcp);
    let call = match events(&mut ep).pop() {
        Some(Event::IncomingCall { call, .. }) => call,
        other => panic!("{other:?}"),
    };
    transmits(&mut ep);
    ep.accept(t0, call, SDP_ANSWER.into());
    let ok = transmits(&mut ep).remove(0);
    assert_eq!(ok.transport, Transport::Tcp);
    let resent = advance(&mut ep, t0 + ms(2_000));
    assert_eq!(offsets(t0, &resent), [500, 1_500]);
    feed(
        &mut ep,
        t0 + ms(2_000),
        &ack_for(&ok.payload, "z9hG4bKt2ack").replace("UDP", "TCP"),
        PHONE,
        Transport::Tcp,
    );
    assert_eq!(
        events(&mut ep),
        vec![Event::CallConfirmed { call, answer: None }]
    );
}
