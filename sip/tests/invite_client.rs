//! INVITE client transaction (RFC 3261 §17.1.1) and UAC core (§13.2): timer A doubling from T1,
//! timer B at 64*T1, a provisional response stops A, the ACK of a non-2xx is built by the
//! transaction with the INVITE's branch and re-sent for each retransmitted final response, the
//! ACK of a 2xx is a new request re-sent for each 2xx retransmission.

mod common;

use common::*;
use sip::endpoint::EndReason;
use sip::{Event, Transport};

fn phone() -> sip::Endpoint {
    endpoint(PHONE, 7)
}

#[test]
fn invite_is_well_formed() {
    let t0 = t0();
    let mut ep = phone();
    ep.invite(
        t0,
        "sip:721051@192.0.2.10",
        addr(BRIDGE),
        Transport::Udp,
        Some(SDP_OFFER.into()),
    );
    let sent = transmits(&mut ep);
    assert_eq!(sent.len(), 1);
    let inv = &sent[0].payload;
    assert_eq!(sent[0].destination, addr(BRIDGE));
    assert!(inv.starts_with(b"INVITE sip:721051@192.0.2.10 SIP/2.0\r\n"));
    assert!(branch(inv).starts_with("z9hG4bK") && branch(inv).len() > 10);
    assert!(header(inv, "From").unwrap().contains(";tag="));
    assert!(!header(inv, "To").unwrap().contains("tag="));
    assert_eq!(header(inv, "Max-Forwards").unwrap(), "70");
    assert_eq!(header(inv, "CSeq").unwrap(), "1 INVITE");
    assert_eq!(header(inv, "Content-Type").unwrap(), "application/sdp");
    assert!(header(inv, "Contact")
        .unwrap()
        .starts_with("<sip:pont@198.51.100.7:5062"));
    assert!(!header(inv, "Call-ID").unwrap().is_empty());
    assert_eq!(body(inv), SDP_OFFER.as_bytes());
}

#[test]
fn timer_a_then_b() {
    let t0 = t0();
    let mut ep = phone();
    let call = ep.invite(
        t0,
        "sip:721051@192.0.2.10",
        addr(BRIDGE),
        Transport::Udp,
        None,
    );
    let first = transmits(&mut ep).remove(0);
    let sent = advance(&mut ep, t0 + ms(40_000));
    let (resent, last): (Vec<_>, Vec<_>) = sent
        .into_iter()
        .partition(|(_, t)| t.payload == first.payload);
    assert!(last.is_empty());
    assert_eq!(
        offsets(t0, &resent),
        [500, 1_500, 3_500, 7_500, 15_500, 31_500]
    );
    assert_eq!(
        events(&mut ep),
        vec![Event::CallEnded {
            call,
            reason: EndReason::Timeout
        }]
    );
    assert_eq!(ep.stats().transaction_timeouts, 1);
}

#[test]
fn provisional_stops_a_and_non_2xx_is_acked() {
    let t0 = t0();
    let mut ep = phone();
    let call = ep.invite(
        t0,
        "sip:721051@192.0.2.10",
        addr(BRIDGE),
        Transport::Udp,
        None,
    );
    let inv = transmits(&mut ep).remove(0).payload;
    feed(
        &mut ep,
        t0 + ms(100),
        &response_to(&inv, 100, None, "", ""),
        BRIDGE,
        Transport::Udp,
    );
    feed(
        &mut ep,
        t0 + ms(200),
        &response_to(&inv, 180, Some("b1"), "", ""),
        BRIDGE,
        Transport::Udp,
    );
    assert_eq!(events(&mut ep), vec![Event::Progress { call, status: 180 }]);
    assert!(
        advance(&mut ep, t0 + ms(10_000)).is_empty(),
        "no retransmission after 1xx"
    );
    let busy = response_to(&inv, 486, Some("b1"), "", "");
    feed(&mut ep, t0 + ms(10_000), &busy, BRIDGE, Transport::Udp);
    let ack = transmits(&mut ep).remove(0).payload;
    assert!(ack.starts_with(b"ACK sip:721051@192.0.2.10 SIP/2.0\r\n"));
    assert_eq!(
        branch(&ack),
        branch(&inv),
        "§17.1.1.3: same branch as the INVITE"
    );
    assert_eq!(header(&ack, "CSeq").unwrap(), "1 ACK");
    assert!(header(&ack, "To").unwrap().ends_with(";tag=b1"));
    assert_eq!(header(&ack, "From"), header(&inv, "From"));
    assert_eq!(
        events(&mut ep),
        vec![Event::CallEnded {
            call,
            reason: EndReason::Rejected(486)
        }]
    );
    // The 486 again (our ACK was lost): the ACK again, no new event.
    feed(&mut ep, t0 + ms(10_500), &busy, BRIDGE, Transport::Udp);
    assert_eq!(transmits(&mut ep).remove(0).payload, ack);
    assert!(events(&mut ep).is_empty());
    // Timer D (32 s) ends the transaction.
    advance(&mut ep, t0 + ms(50_000));
    assert_eq!(ep.poll_timeout(), None);
}

#[test]
fn two_hundred_is_acked_and_reacked() {
    let t0 = t0();
    let mut ep = phone();
    let call = ep.invite(
        t0,
        "sip:721051@192.0.2.10",
        addr(BRIDGE),
        Transport::Udp,
        Some(SDP_OFFER.into()),
    );
    let inv = transmits(&mut ep).remove(0).payload;
    let ok = response_to(
        &inv,
        200,
        Some("b2"),
        "Contact: <sip:pont@192.0.2.10:5060>\nContent-Type: application/sdp\n",
        SDP_ANSWER,
    );
    feed(&mut ep, t0 + ms(100), &ok, BRIDGE, Transport::Udp);
    let ack = transmits(&mut ep).remove(0).payload;
    assert!(
        ack.starts_with(b"ACK sip:pont@192.0.2.10:5060 SIP/2.0\r\n"),
        "to the Contact"
    );
    assert_ne!(
        branch(&ack),
        branch(&inv),
        "§13.2.2.4: the 2xx ACK is a new transaction"
    );
    assert_eq!(header(&ack, "CSeq").unwrap(), "1 ACK");
    assert_eq!(
        events(&mut ep),
        vec![Event::Answered {
            call,
            answer: Some(SDP_ANSWER.into())
        }]
    );
    feed(&mut ep, t0 + ms(600), &ok, BRIDGE, Transport::Udp);
    assert_eq!(transmits(&mut ep).remove(0).payload, ack);
    assert!(events(&mut ep).is_empty());
}

#[test]
fn hangup_before_any_response_cancels_after_the_first_provisional() {
    let t0 = t0();
    let mut ep = phone();
    let call = ep.invite(
        t0,
        "sip:721051@192.0.2.10",
        addr(BRIDGE),
        Transport::Udp,
        None,
    );
    let inv = transmits(&mut ep).remove(0).payload;
    ep.hangup(t0 + ms(10), call);
    assert!(
        transmits(&mut ep).is_empty(),
        "§9.1: no CANCEL before a provisional response"
    );
    feed(
        &mut ep,
        t0 + ms(100),
        &response_to(&inv, 100, None, "", ""),
        BRIDGE,
        Transport::Udp,
    );
    let cancel = transmits(&mut ep).remove(0).payload;
    assert!(cancel.starts_with(b"CANCEL sip:721051@192.0.2.10 SIP/2.0\r\n"));
    assert_eq!(branch(&cancel), branch(&inv));
    assert_eq!(header(&cancel, "CSeq").unwrap(), "1 CANCEL");
    feed(
        &mut ep,
        t0 + ms(200),
        &response_to(&cancel, 200, Some("b3"), "", ""),
        BRIDGE,
        Transport::Udp,
    );
    feed(
        &mut ep,
        t0 + ms(210),
        &response_to(&inv, 487, Some("b3"), "", ""),
        BRIDGE,
        Transport::Udp,
    );
    assert_eq!(statuses(&transmits(&mut ep)), Vec::<u16>::new()); // the ACK is a request
    assert_eq!(
        events(&mut ep),
        vec![Event::CallEnded {
            call,
            reason: EndReason::Cancelled
        }]
    );
}
