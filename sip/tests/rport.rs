//! RFC 3581 (rport) and RFC 3261 §18.2.1/§18.2.2: the top Via of a response carries `received`
//! and, when the request asked for it, `rport` with the source port; responses go to the
//! source address and port the request came from.

mod common;

use common::*;
use sip::Transport;

fn options(via: &str) -> String {
    format!(
        "OPTIONS sip:721051@192.0.2.10 SIP/2.0\n\
Via: {via}\n\
Via: SIP/2.0/UDP 10.9.9.9:5060;branch=z9hG4bKinner\n\
Max-Forwards: 70\n\
From: <sip:room@10.0.0.5>;tag=r1\n\
To: <sip:721051@192.0.2.10>\n\
Call-ID: rport@phone\n\
CSeq: 1 OPTIONS\n\
Content-Length: 0\n\n"
    )
}

#[test]
fn rport_is_filled_and_the_response_goes_to_the_source() {
    let mut ep = bridge();
    // A phone behind NAT: it writes its private address, we see the NAT's.
    feed(
        &mut ep,
        t0(),
        &options("SIP/2.0/UDP 10.0.0.5:5060;rport;branch=z9hG4bKnat1"),
        "203.0.113.4:40123",
        Transport::Udp,
    );
    let sent = transmits(&mut ep);
    assert_eq!(sent[0].destination, addr("203.0.113.4:40123"));
    let text = String::from_utf8(sent[0].payload.clone()).unwrap();
    assert!(
        text.contains("Via: SIP/2.0/UDP 10.0.0.5:5060;rport=40123;branch=z9hG4bKnat1;received=203.0.113.4\r\n"),
        "{text}"
    );
    assert!(
        text.contains("Via: SIP/2.0/UDP 10.9.9.9:5060;branch=z9hG4bKinner\r\n"),
        "lower Vias untouched"
    );
}

#[test]
fn without_rport_received_is_added_and_the_source_still_used() {
    let mut ep = bridge();
    feed(
        &mut ep,
        t0(),
        &options("SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKnat2"),
        "203.0.113.4:40123",
        Transport::Udp,
    );
    let sent = transmits(&mut ep);
    assert_eq!(sent[0].destination, addr("203.0.113.4:40123"));
    let via = header(&sent[0].payload, "Via").unwrap();
    assert_eq!(
        via,
        "SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKnat2;received=203.0.113.4"
    );
}

#[test]
fn tcp_responses_go_back_on_the_connection() {
    let mut ep = bridge();
    feed(
        &mut ep,
        t0(),
        &options("SIP/2.0/TCP 10.0.0.5:5060;branch=z9hG4bKtcp"),
        "203.0.113.4:50000",
        Transport::Tcp,
    );
    let sent = transmits(&mut ep);
    assert_eq!(sent[0].transport, Transport::Tcp);
    assert_eq!(sent[0].destination, addr("203.0.113.4:50000"));
}
