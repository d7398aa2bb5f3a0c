//! CANCEL (RFC 3261 §9.2): before the answer it gets 200 and the INVITE 487 (`Cancelled`);
//! after the 200 it gets 200 and changes nothing; a CANCEL matching no INVITE gets 481. When the
//! CANCEL and the 200 cross on the wire, the caller ACKs the 200 and sends BYE.

mod common;

use common::*;
use sip::endpoint::EndReason;
use sip::{Event, Transport};

fn cancel_text(branch: &str, call_id: &str) -> String {
    format!(
        "CANCEL sip:721051@192.0.2.10 SIP/2.0\n\
Via: SIP/2.0/UDP 198.51.100.7:5062;branch={branch};rport\n\
Max-Forwards: 70\n\
From: \"Room\" <sip:room@198.51.100.7>;tag=ph1\n\
To: <sip:721051@192.0.2.10>\n\
Call-ID: {call_id}\n\
CSeq: 1 CANCEL\n\
Content-Length: 0\n\n"
    )
}

#[test]
fn cancel_before_the_answer() {
    let t0 = t0();
    let mut ep = bridge();
    let call = incoming(&mut ep, t0, "z9hG4bKc1", "x1@phone");
    transmits(&mut ep);
    feed(
        &mut ep,
        t0 + ms(300),
        &cancel_text("z9hG4bKc1", "x1@phone"),
        PHONE,
        Transport::Udp,
    );
    let sent = transmits(&mut ep);
    assert_eq!(statuses(&sent), [200, 487]);
    assert_eq!(header(&sent[0].payload, "CSeq").unwrap(), "1 CANCEL");
    assert_eq!(header(&sent[1].payload, "CSeq").unwrap(), "1 INVITE");
    // Both carry the same To tag (§9.2).
    assert_eq!(
        header(&sent[0].payload, "To"),
        header(&sent[1].payload, "To")
    );
    assert_eq!(
        events(&mut ep),
        vec![Event::CallEnded {
            call,
            reason: EndReason::Cancelled
        }]
    );
    // The call logic's late accept does nothing.
    ep.accept(t0 + ms(400), call, SDP_ANSWER.into());
    assert!(transmits(&mut ep).is_empty());
    // The phone ACKs the 487; G stops.
    feed(
        &mut ep,
        t0 + ms(450),
        &ack_for(&sent[1].payload, "z9hG4bKc1"),
        PHONE,
        Transport::Udp,
    );
    assert!(advance(&mut ep, t0 + ms(60_000)).is_empty());
}

#[test]
fn cancel_after_the_answer_is_answered_and_ignored() {
    let t0 = t0();
    let mut ep = bridge();
    let call = incoming(&mut ep, t0, "z9hG4bKc2", "x2@phone");
    transmits(&mut ep);
    ep.accept(t0 + ms(100), call, SDP_ANSWER.into());
    let ok = transmits(&mut ep).remove(0).payload;
    feed(
        &mut ep,
        t0 + ms(200),
        &cancel_text("z9hG4bKc2", "x2@phone"),
        PHONE,
        Transport::Udp,
    );
    assert_eq!(statuses(&transmits(&mut ep)), [200]);
    assert!(events(&mut ep).is_empty(), "the call goes on");
    feed(
        &mut ep,
        t0 + ms(250),
        &ack_for(&ok, "z9hG4bKack"),
        PHONE,
        Transport::Udp,
    );
    assert_eq!(
        events(&mut ep),
        vec![Event::CallConfirmed { call, answer: None }]
    );
}

#[test]
fn cancel_matching_nothing_gets_481() {
    let t0 = t0();
    let mut ep = bridge();
    feed(
        &mut ep,
        t0,
        &cancel_text("z9hG4bKnothing", "x3@phone"),
        PHONE,
        Transport::Udp,
    );
    assert_eq!(statuses(&transmits(&mut ep)), [481]);
}

#[test]
fn cancel_crossing_the_200_ends_with_ack_and_bye() {
    let mut p = Pair::new();
    let now = p.now;
    let uac_call = p.uac.invite(
        now,
        "sip:721051@192.0.2.10",
        addr(BRIDGE),
        Transport::Udp,
        Some(SDP_OFFER.into()),
    );
    p.run_for(ms(30)); // INVITE in, 100 back
    let call = p
        .take_uas_events()
        .iter()
        .find_map(|e| match e {
            Event::IncomingCall { call, .. } => Some(*call),
            _ => None,
        })
        .unwrap();
    // Both act at the same instant: the 200 and the CANCEL cross.
    let now = p.now;
    p.uas.accept(now, call, SDP_ANSWER.into());
    p.uac.hangup(now, uac_call);
    p.run_idle();
    let wire: Vec<String> = p.wire().into_iter().map(|(_, l)| l).collect();
    assert_eq!(
        wire,
        // The 200 (INVITE) and the CANCEL cross; then the ACK and BYE, the 200 (CANCEL), the
        // 200 (BYE).
        ["INVITE", "100", "CANCEL", "200", "ACK", "BYE", "200", "200"]
    );
    assert_eq!(
        p.take_uas_events(),
        vec![
            Event::CallConfirmed { call, answer: None },
            Event::CallEnded {
                call,
                reason: EndReason::RemoteBye
            }
        ]
    );
    assert_eq!(
        p.take_uac_events(),
        vec![
            Event::Answered {
                call: uac_call,
                answer: Some(SDP_ANSWER.into())
            },
            Event::CallEnded {
                call: uac_call,
                reason: EndReason::LocalBye
            }
        ]
    );
}
