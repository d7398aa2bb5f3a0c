//! RFC 4475 §3.2–§3.4 ("semantic" torture tests) fed to `Endpoint::handle_input` as raw bytes:
//! the response status an endpoint (a UA that is not a proxy nor a registrar) must send.
//!
//! Choices, where the RFC allows several answers:
//! - badbranch: the branch is the bare magic cookie, so RFC 2543 matching applies and the OPTIONS
//!   is answered 200 (a 400 from the parser is accepted too);
//! - novelsc: 416 (a `soap.beep` URI is never meaningful to a SIP endpoint);
//! - regaut01, cparam01/02, regescrt, unksm2 (REGISTER): 405, we are not a registrar (400 for
//!   unksm2 is accepted: its To is not a SIP URI);
//! - sdp01: 406 (400 accepted);
//! - bcast (a response matching no transaction): dropped, nothing sent.

mod common;

use common::*;
use sip::{Event, Transport};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../fixtures/rfc4475/{name}.dat",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Feed a fixture over UDP; the final statuses sent (100 skipped) and the events.
fn run(name: &str) -> (Vec<u16>, Vec<Event>, sip::Endpoint) {
    let mut ep = bridge();
    ep.handle_input(t0(), &fixture(name), addr(PHONE), Transport::Udp);
    let sent: Vec<u16> = statuses(&transmits(&mut ep))
        .into_iter()
        .filter(|&s| s != 100)
        .collect();
    let evs = events(&mut ep);
    (sent, evs, ep)
}

fn expect(name: &str, allowed: &[u16]) {
    let (sent, _, _) = run(name);
    assert_eq!(sent.len(), 1, "{name}: one response, got {sent:?}");
    assert!(
        allowed.contains(&sent[0]),
        "{name}: {} not in {allowed:?}",
        sent[0]
    );
}

#[test]
fn manifest_lists_every_semantic_file() {
    let manifest = std::fs::read_to_string(format!(
        "{}/../fixtures/rfc4475/MANIFEST.tsv",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let semantic: Vec<&str> = manifest
        .lines()
        .filter(|l| l.split('\t').nth(3) == Some("semantic"))
        .map(|l| l.split('\t').next().unwrap().trim_end_matches(".dat"))
        .collect();
    assert_eq!(semantic.len(), 17);
    // Every one of them goes through the endpoint without a panic.
    for name in semantic {
        let _ = run(name);
    }
}

#[test]
fn badbranch() {
    expect("badbranch", &[200, 400]);
}

#[test]
fn insuf() {
    expect("insuf", &[400]);
    let mut ep = bridge();
    ep.handle_input(t0(), &fixture("insuf"), addr(PHONE), Transport::Udp);
    let sent = transmits(&mut ep);
    assert!(sent[0].payload.starts_with(b"SIP/2.0 400 Bad Request"));
    assert_eq!(sent[0].destination, addr(PHONE));
    assert_eq!(ep.stats().bad_requests_sent, 1);
    assert_eq!(ep.stats().unparsable, 1);
}

#[test]
fn unkscm() {
    expect("unkscm", &[416]);
}

#[test]
fn novelsc() {
    expect("novelsc", &[416, 404]);
}

#[test]
fn unksm2() {
    expect("unksm2", &[405, 400]);
}

#[test]
fn bext01() {
    let mut ep = bridge();
    ep.handle_input(t0(), &fixture("bext01"), addr(PHONE), Transport::Udp);
    let sent = transmits(&mut ep);
    assert_eq!(statuses(&sent), [420]);
    let unsupported = header(&sent[0].payload, "Unsupported").unwrap();
    assert!(unsupported.contains("nothingSupportsThis"));
    assert!(unsupported.contains("nothingSupportsThisEither"));
}

#[test]
fn invut() {
    expect("invut", &[415]);
}

#[test]
fn regaut01() {
    expect("regaut01", &[405, 401]);
}

#[test]
fn multi01() {
    expect("multi01", &[400]);
}

#[test]
fn mcl01() {
    expect("mcl01", &[400]);
}

#[test]
fn bcast_response_is_dropped() {
    let (sent, evs, ep) = run("bcast");
    assert!(sent.is_empty());
    assert!(evs.is_empty());
    assert_eq!(ep.stats().dropped, 1);
}

#[test]
fn zeromf_is_processed() {
    expect("zeromf", &[200]);
}

#[test]
fn cparam_and_regescrt_register_get_405() {
    for name in ["cparam01", "cparam02", "regescrt"] {
        expect(name, &[405, 501]);
    }
}

#[test]
fn sdp01() {
    expect("sdp01", &[406, 400]);
}

#[test]
fn inv2543_is_accepted_as_a_call() {
    let mut ep = bridge();
    ep.handle_input(t0(), &fixture("inv2543"), addr(PHONE), Transport::Udp);
    let call = match events(&mut ep).as_slice() {
        [Event::IncomingCall {
            call,
            offer: Some(_),
            ..
        }] => *call,
        other => panic!("{other:?}"),
    };
    assert_eq!(statuses(&transmits(&mut ep)), [100]);
    // The RFC 2543 INVITE is retransmitted as is: matched without a branch, 100 again.
    ep.handle_input(t0(), &fixture("inv2543"), addr(PHONE), Transport::Udp);
    assert_eq!(statuses(&transmits(&mut ep)), [100]);
    assert!(events(&mut ep).is_empty());
    ep.accept(t0(), call, SDP_ANSWER.into());
    let sent = transmits(&mut ep);
    assert_eq!(statuses(&sent), [200]);
    assert!(header(&sent[0].payload, "To").unwrap().contains(";tag="));
    // An RFC 2543 ACK (no branch) confirms the call.
    let ack = ack_for(&sent[0].payload, "x").replace(";branch=x", "");
    feed(&mut ep, t0(), &ack, PHONE, Transport::Udp);
    assert_eq!(
        events(&mut ep),
        vec![Event::CallConfirmed { call, answer: None }]
    );
}

#[test]
fn intmeth_and_esc02_unknown_methods_get_501() {
    // Valid messages (§3.1.1) with extension methods: an endpoint answers 501 with Allow.
    for name in ["intmeth", "esc02"] {
        let mut ep = bridge();
        ep.handle_input(t0(), &fixture(name), addr(PHONE), Transport::Udp);
        let sent = transmits(&mut ep);
        assert_eq!(statuses(&sent), [501], "{name}");
        assert!(header(&sent[0].payload, "Allow").is_some(), "{name}");
    }
}
