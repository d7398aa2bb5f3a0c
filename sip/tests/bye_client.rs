//! Local BYE (RFC 3261 §15.1.1) through a non-INVITE client transaction (§17.1.2): timer E from
//! T1 doubling to T2, F at 64*T1 (`LocalBye` anyway), a 200 ends the call; a `hangup` before
//! the ACK of our 2xx sends the BYE when the ACK arrives (§15).

mod common;

use common::*;
use sip::endpoint::EndReason;
use sip::{Event, Transport};

fn confirmed() -> (std::time::Instant, sip::Endpoint, sip::CallHandle) {
    let t0 = t0();
    let mut ep = bridge();
    let call = incoming(&mut ep, t0, "z9hG4bKb1", "b1@phone");
    transmits(&mut ep);
    ep.accept(t0, call, SDP_ANSWER.into());
    let ok = transmits(&mut ep).remove(0).payload;
    feed(
        &mut ep,
        t0 + ms(20),
        &ack_for(&ok, "z9hG4bKback"),
        PHONE,
        Transport::Udp,
    );
    events(&mut ep);
    (t0, ep, call)
}

#[test]
fn bye_retransmitted_on_e_then_f() {
    let (t0, mut ep, call) = confirmed();
    ep.hangup(t0 + ms(1_000), call);
    let bye = transmits(&mut ep).remove(0).payload;
    assert!(bye.starts_with(b"BYE sip:room@198.51.100.7:5062 SIP/2.0\r\n"));
    assert_eq!(header(&bye, "CSeq").unwrap(), "2 BYE");
    assert!(header(&bye, "From")
        .unwrap()
        .starts_with("<sip:721051@192.0.2.10>;tag="));
    assert_eq!(
        header(&bye, "To").unwrap(),
        "\"Room\" <sip:room@198.51.100.7>;tag=ph1"
    );
    let sent = advance(&mut ep, t0 + ms(40_000));
    let start = t0 + ms(1_000);
    assert_eq!(
        offsets(start, &sent),
        [500, 1_500, 3_500, 7_500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500]
    );
    assert_eq!(
        events(&mut ep),
        vec![Event::CallEnded {
            call,
            reason: EndReason::LocalBye
        }]
    );
}

#[test]
fn bye_answered() {
    let (t0, mut ep, call) = confirmed();
    ep.hangup(t0 + ms(1_000), call);
    let bye = transmits(&mut ep).remove(0).payload;
    feed(
        &mut ep,
        t0 + ms(1_050),
        &response_to(&bye, 200, None, "", ""),
        PHONE,
        Transport::Udp,
    );
    assert_eq!(
        events(&mut ep),
        vec![Event::CallEnded {
            call,
            reason: EndReason::LocalBye
        }]
    );
    // Timer K (T4) absorbs a retransmitted 200, then the transaction ends.
    feed(
        &mut ep,
        t0 + ms(1_100),
        &response_to(&bye, 200, None, "", ""),
        PHONE,
        Transport::Udp,
    );
    assert!(transmits(&mut ep).is_empty());
    // ...and timer L (RFC 6026, 64*T1) retires the INVITE transaction.
    advance(&mut ep, t0 + ms(40_000));
    assert_eq!(ep.poll_timeout(), None);
}

#[test]
fn hangup_before_the_ack_waits_for_it() {
    let t0 = t0();
    let mut ep = bridge();
    let call = incoming(&mut ep, t0, "z9hG4bKb2", "b2@phone");
    transmits(&mut ep);
    ep.accept(t0, call, SDP_ANSWER.into());
    let ok = transmits(&mut ep).remove(0).payload;
    ep.hangup(t0 + ms(10), call);
    assert!(transmits(&mut ep).is_empty(), "§15: no BYE before the ACK");
    feed(
        &mut ep,
        t0 + ms(40),
        &ack_for(&ok, "z9hG4bKb2ack"),
        PHONE,
        Transport::Udp,
    );
    assert_eq!(
        events(&mut ep),
        vec![Event::CallConfirmed { call, answer: None }]
    );
    let sent = transmits(&mut ep);
    assert_eq!(method(&sent[0].payload).as_deref(), Some("BYE"));
}

#[test]
fn incoming_bye_is_answered_and_ends_the_call() {
    let (t0, mut ep, call) = confirmed();
    let bye = format!(
        "BYE sip:pont@192.0.2.10:5060 SIP/2.0\n\
Via: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bKrbye\n\
Max-Forwards: 70\n\
From: \"Room\" <sip:room@198.51.100.7>;tag=ph1\n\
To: <sip:721051@192.0.2.10>;tag={}\n\
Call-ID: b1@phone\n\
CSeq: 2 BYE\n\
Content-Length: 0\n\n",
        ep_tag(&mut ep, t0, call)
    );
    feed(&mut ep, t0 + ms(2_000), &bye, PHONE, Transport::Udp);
    assert_eq!(statuses(&transmits(&mut ep)), [200]);
    assert_eq!(
        events(&mut ep),
        vec![Event::CallEnded {
            call,
            reason: EndReason::RemoteBye
        }]
    );
    // The BYE again (our 200 was lost): the 200 again from the transaction, not a 481.
    feed(&mut ep, t0 + ms(2_500), &bye, PHONE, Transport::Udp);
    assert_eq!(statuses(&transmits(&mut ep)), [200]);
}

/// Our tag, read from an INFO we send.
fn ep_tag(ep: &mut sip::Endpoint, t0: std::time::Instant, call: sip::CallHandle) -> String {
    ep.send_info(
        t0 + ms(30),
        call,
        "application/dtmf-relay",
        b"Signal=1\r\nDuration=160\r\n".to_vec(),
    );
    let info = transmits(ep).remove(0).payload;
    assert!(info.starts_with(b"INFO "));
    let from = header(&info, "From").unwrap();
    from.rsplit("tag=").next().unwrap().to_string()
}
