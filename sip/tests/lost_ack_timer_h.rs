//! Lost ACKs: RFC 3261 §13.3.1.4 (no ACK for our 2xx by 64*T1 → BYE and `AckTimeout`) and
//! §17.2.1 (a final non-2xx retransmitted on timer G, T1 doubling to T2, until the ACK or timer
//! H at 64*T1; the ACK moves to Confirmed and timer I absorbs ACK retransmissions).

mod common;

use common::*;
use sip::endpoint::EndReason;
use sip::{Event, Transport};

#[test]
fn no_ack_for_2xx_ends_the_call_with_a_bye() {
    let t0 = t0();
    let mut ep = bridge();
    let call = incoming(&mut ep, t0, "z9hG4bKh1", "h1@phone");
    transmits(&mut ep);
    ep.accept(t0, call, SDP_ANSWER.into());
    transmits(&mut ep);
    let sent = advance(&mut ep, t0 + ms(32_000));
    // 0.5, 1.5, 3.5, 7.5, then every 4 s; at 32 s the BYE.
    assert_eq!(
        offsets(t0, &sent),
        [500, 1_500, 3_500, 7_500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500, 32_000]
    );
    let (_, bye) = sent.last().unwrap();
    assert_eq!(method(&bye.payload).as_deref(), Some("BYE"));
    assert_eq!(bye.destination, addr(PHONE));
    assert_eq!(
        header(&bye.payload, "To").unwrap(),
        "\"Room\" <sip:room@198.51.100.7>;tag=ph1"
    );
    assert!(bye
        .payload
        .starts_with(b"BYE sip:room@198.51.100.7:5062 SIP/2.0\r\n"));
    assert_eq!(
        events(&mut ep),
        vec![Event::CallEnded {
            call,
            reason: EndReason::AckTimeout
        }]
    );
    assert_eq!(ep.stats().ack_timeouts, 1);
    assert_eq!(ep.call_count(), 0);
}

#[test]
fn rejected_invite_retransmits_on_g_until_h() {
    let t0 = t0();
    let mut ep = bridge();
    let call = incoming(&mut ep, t0, "z9hG4bKh2", "h2@phone");
    transmits(&mut ep);
    ep.reject(t0, call, 486);
    let first = transmits(&mut ep);
    assert_eq!(statuses(&first), [486]);
    assert_eq!(
        events(&mut ep),
        vec![Event::CallEnded {
            call,
            reason: EndReason::Rejected(486)
        }]
    );
    let sent = advance(&mut ep, t0 + ms(40_000));
    assert_eq!(
        offsets(t0, &sent),
        [500, 1_500, 3_500, 7_500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500]
    );
    assert!(sent.iter().all(|(_, t)| t.payload == first[0].payload));
    assert_eq!(ep.poll_timeout(), None, "timer H ended the transaction");
}

#[test]
fn ack_of_the_non_2xx_stops_g_and_is_absorbed() {
    let t0 = t0();
    let mut ep = bridge();
    let call = incoming(&mut ep, t0, "z9hG4bKh3", "h3@phone");
    transmits(&mut ep);
    ep.reject(t0, call, 404);
    let resp = transmits(&mut ep).remove(0).payload;
    events(&mut ep);
    assert_eq!(advance(&mut ep, t0 + ms(600)).len(), 1);
    // §17.1.1.3: the ACK of a non-2xx reuses the INVITE's branch.
    let ack = ack_for(&resp, "z9hG4bKh3");
    feed(&mut ep, t0 + ms(700), &ack, PHONE, Transport::Udp);
    feed(&mut ep, t0 + ms(800), &ack, PHONE, Transport::Udp);
    assert!(transmits(&mut ep).is_empty());
    assert!(events(&mut ep).is_empty());
    // Timer I (T4 = 5 s) ends it; nothing more is sent.
    assert!(advance(&mut ep, t0 + ms(60_000)).is_empty());
    assert_eq!(ep.poll_timeout(), None);
}
