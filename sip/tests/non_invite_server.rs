//! Non-INVITE server transaction (RFC 3261 §17.2.2): the final response is re-sent for each
//! retransmitted request while timer J (64*T1 over UDP) runs; after J the transaction is gone.

mod common;

use common::*;
use sip::Transport;

const OPTIONS: &str = "OPTIONS sip:721051@192.0.2.10 SIP/2.0\n\
Via: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bKnist1\n\
Max-Forwards: 70\n\
From: <sip:room@198.51.100.7>;tag=n1\n\
To: <sip:721051@192.0.2.10>\n\
Call-ID: nist@phone\n\
CSeq: 1 OPTIONS\n\
Content-Length: 0\n\n";

#[test]
fn timer_j_absorbs_retransmissions() {
    let t0 = t0();
    let mut ep = bridge();
    feed(&mut ep, t0, OPTIONS, PHONE, Transport::Udp);
    let first = transmits(&mut ep).remove(0).payload;
    assert_eq!(status(&first), Some(200));
    for (i, at) in [500u64, 1_500, 3_500, 7_500].into_iter().enumerate() {
        feed(&mut ep, t0 + ms(at), OPTIONS, PHONE, Transport::Udp);
        let again = transmits(&mut ep);
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].payload, first, "the same response, same To tag");
        assert_eq!(ep.stats().request_retransmissions_absorbed, i as u64 + 1);
    }
    assert_eq!(ep.stats().retransmissions_sent, 4);
    // J fires at 32 s: no retransmission of its own, the transaction is gone.
    assert_eq!(ep.poll_timeout(), Some(t0 + ms(32_000)));
    assert!(advance(&mut ep, t0 + ms(32_000)).is_empty());
    assert_eq!(ep.poll_timeout(), None);
    // A late copy is a new request: answered again (with a new To tag).
    feed(&mut ep, t0 + ms(33_000), OPTIONS, PHONE, Transport::Udp);
    let late = transmits(&mut ep);
    assert_eq!(statuses(&late), [200]);
    assert_ne!(late[0].payload, first);
}

#[test]
fn rfc2543_request_without_branch_is_matched_by_its_fields() {
    let t0 = t0();
    let mut ep = bridge();
    let old = OPTIONS.replace(";branch=z9hG4bKnist1", "");
    feed(&mut ep, t0, &old, PHONE, Transport::Udp);
    let first = transmits(&mut ep).remove(0).payload;
    feed(&mut ep, t0 + ms(500), &old, PHONE, Transport::Udp);
    assert_eq!(transmits(&mut ep).remove(0).payload, first);
    assert_eq!(ep.stats().request_retransmissions_absorbed, 1);
}
