//! The UAS checks of RFC 3261 §8.2 and §11: OPTIONS → 200 with Allow/Accept/Supported, unknown
//! method → 501 with Allow, REGISTER → 405, requests in an unknown dialog → 481, foreign
//! Request-URI scheme → 416, unsupported Require → 420 with Unsupported, a non-SDP INVITE body
//! → 415, an Accept without SDP → 406.

mod common;

use common::*;
use sip::Transport;

fn request(method: &str, uri: &str, to: &str, extra: &str, body: &str) -> String {
    format!(
        "{method} {uri} SIP/2.0\n\
Via: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bK{method}1\n\
Max-Forwards: 70\n\
From: <sip:room@198.51.100.7>;tag=o1\n\
To: {to}\n\
Call-ID: opt-{method}@phone\n\
CSeq: 5 {method}\n\
{extra}Content-Length: {}\n\n{body}",
        body.len()
    )
}

fn answer(text: &str) -> Vec<u8> {
    let mut ep = bridge();
    feed(&mut ep, t0(), text, PHONE, Transport::Udp);
    let sent = transmits(&mut ep);
    let finals: Vec<_> = sent
        .into_iter()
        .filter(|t| status(&t.payload) != Some(100))
        .collect();
    assert_eq!(finals.len(), 1, "one final response");
    finals[0].payload.clone()
}

#[test]
fn options_outside_a_dialog() {
    let r = answer(&request(
        "OPTIONS",
        "sip:721051@192.0.2.10",
        "<sip:721051@192.0.2.10>",
        "",
        "",
    ));
    assert_eq!(status(&r), Some(200));
    assert_eq!(
        header(&r, "Allow").unwrap(),
        "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO"
    );
    assert_eq!(header(&r, "Accept").unwrap(), "application/sdp");
    assert!(header(&r, "Supported").is_some());
    assert!(
        header(&r, "To").unwrap().contains(";tag="),
        "§8.2.6.2: a To tag is added"
    );
}

#[test]
fn options_in_an_unknown_dialog_is_still_answered() {
    let r = answer(&request(
        "OPTIONS",
        "sip:721051@192.0.2.10",
        "<sip:721051@192.0.2.10>;tag=zz",
        "",
        "",
    ));
    assert_eq!(status(&r), Some(200));
}

#[test]
fn unknown_method_gets_501_with_allow() {
    let r = answer(&request(
        "FOO",
        "sip:721051@192.0.2.10",
        "<sip:721051@192.0.2.10>",
        "",
        "",
    ));
    assert_eq!(status(&r), Some(501));
    assert!(header(&r, "Allow").unwrap().contains("INVITE"));
}

#[test]
fn register_gets_405() {
    let r = answer(&request(
        "REGISTER",
        "sip:192.0.2.10",
        "<sip:room@192.0.2.10>",
        "",
        "",
    ));
    assert_eq!(status(&r), Some(405));
    assert!(header(&r, "Allow").is_some());
}

#[test]
fn bye_and_info_in_unknown_dialogs_get_481() {
    for m in ["BYE", "INFO"] {
        let r = answer(&request(
            m,
            "sip:pont@192.0.2.10",
            "<sip:721051@192.0.2.10>;tag=unknown",
            "",
            "",
        ));
        assert_eq!(status(&r), Some(481), "{m}");
        let r = answer(&request(
            m,
            "sip:pont@192.0.2.10",
            "<sip:721051@192.0.2.10>",
            "",
            "",
        ));
        assert_eq!(status(&r), Some(481), "{m} without To tag");
    }
}

#[test]
fn foreign_scheme_gets_416() {
    for uri in ["tel:+33426687307", "mailto:a@example.com"] {
        let r = answer(&request("INVITE", uri, "<sip:721051@192.0.2.10>", "", ""));
        assert_eq!(status(&r), Some(416), "{uri}");
    }
}

#[test]
fn require_gets_420_with_unsupported() {
    let r = answer(&request(
        "INVITE",
        "sip:721051@192.0.2.10",
        "<sip:721051@192.0.2.10>",
        "Require: 100rel, precondition\n",
        "",
    ));
    assert_eq!(status(&r), Some(420));
    assert_eq!(header(&r, "Unsupported").unwrap(), "100rel, precondition");
}

#[test]
fn non_sdp_invite_gets_415() {
    let r = answer(&request(
        "INVITE",
        "sip:721051@192.0.2.10",
        "<sip:721051@192.0.2.10>",
        "Content-Type: text/plain\n",
        "hello",
    ));
    assert_eq!(status(&r), Some(415));
    assert_eq!(header(&r, "Accept").unwrap(), "application/sdp");
}

#[test]
fn accept_without_sdp_gets_406() {
    let r = answer(&request(
        "INVITE",
        "sip:721051@192.0.2.10",
        "<sip:721051@192.0.2.10>",
        "Accept: text/html\n",
        "",
    ));
    assert_eq!(status(&r), Some(406));
}

#[test]
fn multipart_invite_offers_its_sdp_part() {
    let sdp = SDP_OFFER.replace("\r\n", "\n");
    let body = format!(
        "--b1\nContent-Type: application/sdp\n\n{sdp}\n--b1\nContent-Type: application/pidf+xml\n\n<x/>\n--b1--\n"
    );
    let text = request(
        "INVITE",
        "sip:721051@192.0.2.10",
        "<sip:721051@192.0.2.10>",
        "Content-Type: multipart/mixed;boundary=b1\n",
        &body,
    );
    let mut ep = bridge();
    let bytes = crlf(&text);
    ep.handle_input(t0(), &bytes, addr(PHONE), Transport::Udp);
    let offer = events(&mut ep).into_iter().find_map(|e| match e {
        sip::Event::IncomingCall { offer, .. } => offer,
        _ => None,
    });
    assert_eq!(offer.as_deref(), Some(SDP_OFFER.as_bytes()));
}

#[test]
fn garbage_is_dropped_and_counted() {
    let mut ep = bridge();
    ep.handle_input(
        t0(),
        b"\x00\x01 not sip at all",
        addr(PHONE),
        Transport::Udp,
    );
    assert!(transmits(&mut ep).is_empty());
    assert_eq!(ep.stats().unparsable, 1);
    assert_eq!(ep.stats().dropped, 1);
}
