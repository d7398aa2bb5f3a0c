//! re-INVITE in a confirmed dialog (RFC 3261 §14.2): `ReInvite`, answered by `accept` (2xx
//! retransmitted until its ACK, then `CallConfirmed`) or `reject` (the call goes on); a second
//! re-INVITE while one is pending gets 491; one in an unknown dialog gets 481.

mod common;

use common::*;
use sip::{CallHandle, Endpoint, Event, Transport};

fn confirmed(ep: &mut Endpoint) -> (std::time::Instant, CallHandle, String) {
    let t0 = t0();
    let call = incoming(ep, t0, "z9hG4bKr1", "r1@phone");
    transmits(ep);
    ep.accept(t0, call, SDP_ANSWER.into());
    let ok = transmits(ep).remove(0).payload;
    feed(
        ep,
        t0 + ms(20),
        &ack_for(&ok, "z9hG4bKrack1"),
        PHONE,
        Transport::Udp,
    );
    events(ep);
    let to = header(&ok, "To").unwrap();
    (t0, call, to)
}

fn reinvite_text(branch: &str, cseq: u32, to: &str, sdp: &str) -> String {
    format!(
        "INVITE sip:pont@192.0.2.10:5060 SIP/2.0\n\
Via: SIP/2.0/UDP 198.51.100.7:5062;branch={branch}\n\
Max-Forwards: 70\n\
From: \"Room\" <sip:room@198.51.100.7>;tag=ph1\n\
To: {to}\n\
Call-ID: r1@phone\n\
CSeq: {cseq} INVITE\n\
Contact: <sip:room@198.51.100.7:5062>\n\
Content-Type: application/sdp\n\
Content-Length: {}\n\n{sdp}",
        sdp.len()
    )
}

#[test]
fn hold_then_resume() {
    let mut ep = bridge();
    let (t0, call, to) = confirmed(&mut ep);
    for (i, dir) in ["sendonly", "sendrecv"].into_iter().enumerate() {
        let at = t0 + ms(1_000 * (i as u64 + 1));
        let offer = format!("{SDP_OFFER}a={dir}\r\n");
        let branch = format!("z9hG4bKre{i}");
        feed(
            &mut ep,
            at,
            &reinvite_text(&branch, 2 + i as u32, &to, &offer),
            PHONE,
            Transport::Udp,
        );
        assert_eq!(statuses(&transmits(&mut ep)), [100]);
        assert_eq!(
            events(&mut ep),
            vec![Event::ReInvite {
                call,
                offer: Some(offer.into())
            }]
        );
        ep.accept_reinvite(at, call, SDP_ANSWER.into());
        let ok = transmits(&mut ep).remove(0).payload;
        assert_eq!(status(&ok), Some(200));
        assert_eq!(header(&ok, "To").unwrap(), to, "the same dialog tag");
        assert_eq!(header(&ok, "CSeq").unwrap(), format!("{} INVITE", 2 + i));
        // Retransmitted until its ACK.
        assert_eq!(advance(&mut ep, at + ms(600)).len(), 1);
        feed(
            &mut ep,
            at + ms(700),
            &ack_for(&ok, &format!("z9hG4bKreack{i}")),
            PHONE,
            Transport::Udp,
        );
        assert_eq!(
            events(&mut ep),
            vec![Event::CallConfirmed { call, answer: None }]
        );
    }
}

#[test]
fn reinvite_during_reinvite_gets_491_and_reject_keeps_the_call() {
    let mut ep = bridge();
    let (t0, call, to) = confirmed(&mut ep);
    feed(
        &mut ep,
        t0 + ms(100),
        &reinvite_text("z9hG4bKp1", 2, &to, SDP_OFFER),
        PHONE,
        Transport::Udp,
    );
    transmits(&mut ep);
    events(&mut ep);
    feed(
        &mut ep,
        t0 + ms(200),
        &reinvite_text("z9hG4bKp2", 3, &to, SDP_OFFER),
        PHONE,
        Transport::Udp,
    );
    assert_eq!(statuses(&transmits(&mut ep)), [491]);
    assert!(events(&mut ep).is_empty());
    ep.reject(t0 + ms(300), call, 488);
    assert_eq!(statuses(&transmits(&mut ep)), [488]);
    assert!(
        events(&mut ep).is_empty(),
        "a rejected re-INVITE does not end the call"
    );
    assert_eq!(ep.call_count(), 1);
    // The next re-INVITE is served.
    feed(
        &mut ep,
        t0 + ms(400),
        &reinvite_text("z9hG4bKp3", 4, &to, SDP_OFFER),
        PHONE,
        Transport::Udp,
    );
    assert_eq!(statuses(&transmits(&mut ep)), [100]);
}

#[test]
fn reinvite_in_unknown_dialog_gets_481() {
    let mut ep = bridge();
    let (t0, _call, _to) = confirmed(&mut ep);
    let text = reinvite_text(
        "z9hG4bKu1",
        2,
        "<sip:721051@192.0.2.10>;tag=nosuchtag",
        SDP_OFFER,
    );
    feed(&mut ep, t0 + ms(100), &text, PHONE, Transport::Udp);
    assert_eq!(statuses(&transmits(&mut ep)), [481]);
}
