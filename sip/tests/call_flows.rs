//! Full call flows between a UAC and a UAS endpoint over a fake network (RFC 3261 §13–15,
//! RFC 3665 §3): INVITE→200→ACK→BYE, INVITE without SDP (answer in the ACK), re-INVITE
//! hold/resume, CANCEL, with loss.

mod common;

use common::*;
use sip::endpoint::EndReason;
use sip::{Event, Transport};

fn incoming_call(events: &[Event]) -> (sip::CallHandle, Option<Vec<u8>>) {
    events
        .iter()
        .find_map(|e| match e {
            Event::IncomingCall { call, offer, .. } => Some((*call, offer.clone())),
            _ => None,
        })
        .expect("an IncomingCall")
}

#[test]
fn invite_200_ack_bye() {
    let mut p = Pair::new();
    let now = p.now;
    let uac_call = p.uac.invite(
        now,
        "sip:721051@192.0.2.10",
        addr(BRIDGE),
        Transport::Udp,
        Some(SDP_OFFER.as_bytes().to_vec()),
    );
    p.step(); // INVITE delivered
    let ev = p.take_uas_events();
    let (call, offer) = incoming_call(&ev);
    assert_eq!(offer.as_deref(), Some(SDP_OFFER.as_bytes()));
    let now = p.now;
    p.uas.accept(now, call, SDP_ANSWER.as_bytes().to_vec());
    p.run_for(ms(100));
    assert_eq!(
        p.take_uac_events(),
        vec![Event::Answered {
            call: uac_call,
            answer: Some(SDP_ANSWER.as_bytes().to_vec())
        }]
    );
    assert_eq!(
        p.take_uas_events(),
        vec![Event::CallConfirmed { call, answer: None }]
    );
    let now = p.now;
    p.uac.hangup(now, uac_call);
    p.run_idle();
    assert_eq!(
        p.take_uas_events(),
        vec![Event::CallEnded {
            call,
            reason: EndReason::RemoteBye
        }]
    );
    assert_eq!(
        p.take_uac_events(),
        vec![Event::CallEnded {
            call: uac_call,
            reason: EndReason::LocalBye
        }]
    );
    let wire: Vec<String> = p.wire().into_iter().map(|(_, l)| l).collect();
    assert_eq!(wire, ["INVITE", "100", "200", "ACK", "BYE", "200"]);
    assert_eq!(p.uac.call_count(), 0);
    assert_eq!(p.uas.call_count(), 0);
}

#[test]
fn bridge_hangs_up_the_phone() {
    let mut p = Pair::new();
    let now = p.now;
    let uac_call = p.uac.invite(
        now,
        "sip:721051@192.0.2.10",
        addr(BRIDGE),
        Transport::Udp,
        Some(SDP_OFFER.into()),
    );
    p.step();
    let (call, _) = incoming_call(&p.take_uas_events());
    let now = p.now;
    p.uas.accept(now, call, SDP_ANSWER.into());
    p.run_for(ms(100));
    let now = p.now;
    p.uas.hangup(now, call);
    p.run_idle();
    assert!(p.take_uac_events().contains(&Event::CallEnded {
        call: uac_call,
        reason: EndReason::RemoteBye
    }));
    assert!(p.take_uas_events().contains(&Event::CallEnded {
        call,
        reason: EndReason::LocalBye
    }));
}

#[test]
fn invite_without_sdp_gets_the_answer_in_the_ack() {
    let mut p = Pair::new();
    let now = p.now;
    let uac_call = p.uac.invite(
        now,
        "sip:721051@192.0.2.10",
        addr(BRIDGE),
        Transport::Udp,
        None,
    );
    // The scripted phone knows its answer up front.
    p.uac.set_ack_answer(uac_call, SDP_OFFER.into());
    p.step();
    let (call, offer) = incoming_call(&p.take_uas_events());
    assert_eq!(offer, None);
    let now = p.now;
    // Our 200 carries the offer; the phone's ACK carries the answer.
    p.uas.accept(now, call, SDP_ANSWER.into());
    p.run_for(ms(100));
    assert_eq!(
        p.take_uac_events(),
        vec![Event::Answered {
            call: uac_call,
            answer: Some(SDP_ANSWER.into())
        }]
    );
    assert_eq!(
        p.take_uas_events(),
        vec![Event::CallConfirmed {
            call,
            answer: Some(SDP_OFFER.into())
        }]
    );
}

#[test]
fn info_reaches_the_bridge() {
    let mut p = Pair::new();
    let now = p.now;
    let uac_call = p.uac.invite(
        now,
        "sip:721051@192.0.2.10",
        addr(BRIDGE),
        Transport::Udp,
        Some(SDP_OFFER.into()),
    );
    p.step();
    let (call, _) = incoming_call(&p.take_uas_events());
    let now = p.now;
    p.uas.accept(now, call, SDP_ANSWER.into());
    p.run_for(ms(100));
    p.take_uas_events();
    let now = p.now;
    let dtmf = b"Signal=5\r\nDuration=160\r\n".to_vec();
    p.uac
        .send_info(now, uac_call, "application/dtmf-relay", dtmf.clone());
    p.run_for(ms(100));
    assert_eq!(
        p.take_uas_events(),
        vec![Event::Info {
            call,
            content_type: "application/dtmf-relay".into(),
            body: dtmf
        }]
    );
    let wire: Vec<String> = p.wire().into_iter().map(|(_, l)| l).collect();
    assert_eq!(wire[4..], ["INFO", "200"]);
}

#[test]
fn reinvite_hold_and_resume() {
    let mut p = Pair::new();
    let now = p.now;
    let uac_call = p.uac.invite(
        now,
        "sip:721051@192.0.2.10",
        addr(BRIDGE),
        Transport::Udp,
        Some(SDP_OFFER.into()),
    );
    p.step();
    let (call, _) = incoming_call(&p.take_uas_events());
    let now = p.now;
    p.uas.accept(now, call, SDP_ANSWER.into());
    p.run_for(ms(100));
    p.take_uac_events();
    p.take_uas_events();
    for direction in ["sendonly", "sendrecv"] {
        let offer = format!("{SDP_OFFER}a={direction}\r\n");
        let now = p.now;
        p.uac
            .reinvite(now, uac_call, Some(offer.clone().into_bytes()));
        p.run_for(ms(50));
        assert_eq!(
            p.take_uas_events(),
            vec![Event::ReInvite {
                call,
                offer: Some(offer.into_bytes())
            }]
        );
        let answer = format!("{SDP_ANSWER}a=recvonly\r\n");
        let now = p.now;
        p.uas.accept(now, call, answer.clone().into_bytes());
        p.run_for(ms(50));
        assert_eq!(
            p.take_uac_events(),
            vec![Event::Answered {
                call: uac_call,
                answer: Some(answer.into_bytes())
            }]
        );
        assert_eq!(
            p.take_uas_events(),
            vec![Event::CallConfirmed { call, answer: None }]
        );
    }
    let wire: Vec<String> = p.wire().into_iter().map(|(_, l)| l).collect();
    assert_eq!(
        wire,
        [
            "INVITE", "100", "200", "ACK", "INVITE", "100", "200", "ACK", "INVITE", "100", "200",
            "ACK"
        ]
    );
}

#[test]
fn cancel_before_answer() {
    let mut p = Pair::new();
    let now = p.now;
    let uac_call = p.uac.invite(
        now,
        "sip:721051@192.0.2.10",
        addr(BRIDGE),
        Transport::Udp,
        Some(SDP_OFFER.into()),
    );
    p.run_for(ms(50)); // INVITE in, 100 back
    let (call, _) = incoming_call(&p.take_uas_events());
    let now = p.now;
    p.uac.hangup(now, uac_call);
    p.run_idle();
    assert_eq!(
        p.take_uas_events(),
        vec![Event::CallEnded {
            call,
            reason: EndReason::Cancelled
        }]
    );
    assert_eq!(
        p.take_uac_events(),
        vec![Event::CallEnded {
            call: uac_call,
            reason: EndReason::Cancelled
        }]
    );
    let wire: Vec<String> = p.wire().into_iter().map(|(_, l)| l).collect();
    assert_eq!(wire, ["INVITE", "100", "CANCEL", "200", "487", "ACK"]);
}

#[test]
fn call_survives_thirty_percent_loss() {
    let mut p = Pair::new();
    let mut n = 0u32;
    // Deterministic loss: drop every third packet.
    p.drop = Box::new(move |_, _| {
        n += 1;
        n.is_multiple_of(3)
    });
    let now = p.now;
    let uac_call = p.uac.invite(
        now,
        "sip:721051@192.0.2.10",
        addr(BRIDGE),
        Transport::Udp,
        Some(SDP_OFFER.into()),
    );
    let mut call = None;
    for _ in 0..200 {
        p.step();
        if let Some(c) = p.take_uas_events().iter().find_map(|e| match e {
            Event::IncomingCall { call, .. } => Some(*call),
            _ => None,
        }) {
            call = Some(c);
            break;
        }
    }
    let call = call.expect("the INVITE got through");
    let now = p.now;
    p.uas.accept(now, call, SDP_ANSWER.into());
    p.run_for(ms(5_000));
    assert!(p.take_uac_events().contains(&Event::Answered {
        call: uac_call,
        answer: Some(SDP_ANSWER.into())
    }));
    assert!(p
        .take_uas_events()
        .contains(&Event::CallConfirmed { call, answer: None }));
    let now = p.now;
    p.uac.hangup(now, uac_call);
    p.run_idle();
    assert!(p.take_uas_events().contains(&Event::CallEnded {
        call,
        reason: EndReason::RemoteBye
    }));
    assert!(p.take_uac_events().contains(&Event::CallEnded {
        call: uac_call,
        reason: EndReason::LocalBye
    }));
}

#[test]
fn lost_ack_is_recovered_by_the_2xx_retransmission() {
    let mut p = Pair::new();
    let mut acks = 0;
    p.drop = Box::new(move |from_uac, t| {
        if from_uac && method(&t.payload).as_deref() == Some("ACK") {
            acks += 1;
            return acks == 1;
        }
        false
    });
    let now = p.now;
    let uac_call = p.uac.invite(
        now,
        "sip:721051@192.0.2.10",
        addr(BRIDGE),
        Transport::Udp,
        Some(SDP_OFFER.into()),
    );
    p.step();
    let (call, _) = incoming_call(&p.take_uas_events());
    let now = p.now;
    p.uas.accept(now, call, SDP_ANSWER.into());
    p.run_for(ms(1_000));
    assert_eq!(
        p.take_uas_events(),
        vec![Event::CallConfirmed { call, answer: None }]
    );
    assert_eq!(
        p.take_uac_events(),
        vec![Event::Answered {
            call: uac_call,
            answer: Some(SDP_ANSWER.into())
        }],
        "one Answered, not two"
    );
    let wire: Vec<String> = p.wire().into_iter().map(|(_, l)| l).collect();
    assert_eq!(wire, ["INVITE", "100", "200", "ACK", "200", "ACK"]);
    assert_eq!(p.uas.stats().retransmissions_sent, 1);
    assert_eq!(p.uac.stats().retransmissions_sent, 1);
}
