//! RFC 3261 §13.3.1.4 and §17.2.1 over UDP: 100 Trying at once, the 2xx retransmitted at T1,
//! 2*T1, 4*T1, then every T2 until the ACK stops it; INVITE retransmissions re-send the last
//! response before the answer and are absorbed after it (RFC 6026 Accepted).

mod common;

use common::*;
use sip::{Event, Transport};

#[test]
fn trying_at_once_and_invite_retransmission_resends_it() {
    let t0 = t0();
    let mut ep = bridge();
    let call = incoming(&mut ep, t0, "z9hG4bKa1", "c1@phone");
    let sent = transmits(&mut ep);
    assert_eq!(statuses(&sent), [100]);
    assert_eq!(sent[0].destination, addr(PHONE));
    assert_eq!(
        header(&sent[0].payload, "To").unwrap(),
        "<sip:721051@192.0.2.10>"
    );
    // The phone's timer A fires: same INVITE again.
    feed(
        &mut ep,
        t0 + ms(500),
        &invite_text("z9hG4bKa1", "c1@phone"),
        PHONE,
        Transport::Udp,
    );
    assert_eq!(statuses(&transmits(&mut ep)), [100]);
    assert!(
        events(&mut ep).is_empty(),
        "a retransmission is not a new call"
    );
    assert_eq!(ep.stats().request_retransmissions_absorbed, 1);
    let _ = call;
}

#[test]
fn two_hundred_retransmitted_until_ack() {
    let t0 = t0();
    let mut ep = bridge();
    let call = incoming(&mut ep, t0, "z9hG4bKa2", "c2@phone");
    transmits(&mut ep);
    ep.accept(t0, call, SDP_ANSWER.as_bytes().to_vec());
    let sent = transmits(&mut ep);
    assert_eq!(statuses(&sent), [200]);
    let ok = sent[0].payload.clone();
    assert!(header(&ok, "To").unwrap().contains(";tag="));
    assert!(header(&ok, "Contact")
        .unwrap()
        .contains("sip:pont@192.0.2.10:5060"));
    assert_eq!(header(&ok, "Content-Type").unwrap(), "application/sdp");
    assert_eq!(body(&ok), SDP_ANSWER.as_bytes());

    let resent = advance(&mut ep, t0 + ms(12_000));
    assert_eq!(offsets(t0, &resent), [500, 1_500, 3_500, 7_500, 11_500]);
    assert!(resent.iter().all(|(_, t)| t.payload == ok));

    // An INVITE retransmission now is absorbed (RFC 6026 §7.1): no new call, nothing sent.
    feed(
        &mut ep,
        t0 + ms(12_000),
        &invite_text("z9hG4bKa2", "c2@phone"),
        PHONE,
        Transport::Udp,
    );
    assert!(transmits(&mut ep).is_empty());
    assert!(events(&mut ep).is_empty());

    feed(
        &mut ep,
        t0 + ms(12_100),
        &ack_for(&ok, "z9hG4bKack2"),
        PHONE,
        Transport::Udp,
    );
    assert_eq!(
        events(&mut ep),
        vec![Event::CallConfirmed { call, answer: None }]
    );
    assert!(
        advance(&mut ep, t0 + ms(60_000)).is_empty(),
        "the ACK stops the 2xx"
    );
    assert_eq!(ep.stats().retransmissions_sent, 5);
    // A retransmitted ACK is ignored.
    feed(
        &mut ep,
        t0 + ms(12_200),
        &ack_for(&ok, "z9hG4bKack2"),
        PHONE,
        Transport::Udp,
    );
    assert!(events(&mut ep).is_empty());
}

#[test]
fn ack_carries_the_answer_when_the_invite_had_no_offer() {
    let t0 = t0();
    let mut ep = bridge();
    let text = invite_text("z9hG4bKa3", "c3@phone");
    let head = text.split("\n\n").next().unwrap().replace(
        &format!("Content-Length: {}", SDP_OFFER.len()),
        "Content-Length: 0",
    );
    let head = head.replace("Content-Type: application/sdp\n", "");
    feed(&mut ep, t0, &format!("{head}\n\n"), PHONE, Transport::Udp);
    let call = match events(&mut ep).pop() {
        Some(Event::IncomingCall {
            call, offer: None, ..
        }) => call,
        other => panic!("{other:?}"),
    };
    transmits(&mut ep);
    ep.accept(t0, call, SDP_ANSWER.into());
    let ok = transmits(&mut ep).remove(0).payload;
    let ack = ack_for(&ok, "z9hG4bKack3").replace(
        "Content-Length: 0\n\n",
        &format!(
            "Content-Type: application/sdp\nContent-Length: {}\n\n{}",
            SDP_OFFER.len(),
            SDP_OFFER
        ),
    );
    feed(&mut ep, t0 + ms(40), &ack, PHONE, Transport::Udp);
    assert_eq!(
        events(&mut ep),
        vec![Event::CallConfirmed {
            call,
            answer: Some(SDP_OFFER.into())
        }]
    );
}

#[test]
fn same_invite_on_another_branch_is_a_merged_request() {
    let t0 = t0();
    let mut ep = bridge();
    incoming(&mut ep, t0, "z9hG4bKm1", "m1@phone");
    transmits(&mut ep);
    feed(
        &mut ep,
        t0 + ms(10),
        &invite_text("z9hG4bKm2", "m1@phone"),
        PHONE,
        Transport::Udp,
    );
    assert_eq!(statuses(&transmits(&mut ep)), [482]);
    assert!(events(&mut ep).is_empty());
}
