//! Unit tests of `message`: one per check of RFC 3261 §8.2 / §20 we add on top of rsip.

use super::*;
use rsip::prelude::*;

const OPTIONS: &str = "OPTIONS sip:bridge@example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds\r\n\
Max-Forwards: 70\r\n\
To: <sip:bridge@example.com>\r\n\
From: Alice <sip:alice@example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.example.com\r\n\
CSeq: 63104 OPTIONS\r\n\
Content-Length: 0\r\n\r\n";

fn with(find: &str, replace: &str) -> Vec<u8> {
    assert!(OPTIONS.contains(find), "{find}");
    OPTIONS.replacen(find, replace, 1).into_bytes()
}

fn reject(bytes: &[u8]) -> ParseError {
    parse(bytes).expect_err("should be rejected")
}

#[test]
fn plain_request_parses_with_typed_headers() {
    let SipMessage::Request(req) = parse(OPTIONS.as_bytes()).unwrap() else {
        panic!("not a request")
    };
    assert_eq!(req.method, Method::Options);
    assert_eq!(req.uri.user(), Some("bridge"));
    let via = req.via_header().unwrap().typed().unwrap();
    assert_eq!(via.branch().unwrap().to_string(), "z9hG4bK776asdhds");
    assert_eq!(req.cseq_header().unwrap().typed().unwrap().seq, 63104);
    let from = req.from_header().unwrap().typed().unwrap();
    assert_eq!(from.tag().unwrap().to_string(), "1928301774");
}

#[test]
fn compact_and_folded_headers_are_canonical() {
    let msg = "OPTIONS sip:b@example.com SIP/2.0\r\n\
v: SIP / 2.0 / UDP  h.example.com ; branch = z9hG4bKx,\r\n SIP/2.0/TCP g.example.com\r\n\
t : sip:b@example.com\r\nf: <sip:a@example.com> ; tag = 7\r\ni: x@y\r\n\
CSeq: 0009\r\n  OPTIONS\r\nl: 0\r\n\r\n";
    let m = parse(msg.as_bytes()).unwrap();
    let vias = header_values(m.headers(), "v");
    assert_eq!(
        vias,
        [
            "SIP/2.0/UDP h.example.com;branch=z9hG4bKx",
            "SIP/2.0/TCP g.example.com"
        ]
    );
    assert_eq!(
        header_value(m.headers(), "To").unwrap(),
        "<sip:b@example.com>"
    );
    assert_eq!(header_value(m.headers(), "CSeq").unwrap(), "9 OPTIONS");
    assert_eq!(m.call_id_header().unwrap().to_string(), "Call-ID: x@y");
}

#[test]
fn missing_mandatory_headers() {
    for (line, kind) in [
        ("To: <sip:bridge@example.com>\r\n", HeaderKind::To),
        (
            "Call-ID: a84b4c76e66710@pc33.example.com\r\n",
            HeaderKind::CallId,
        ),
        ("CSeq: 63104 OPTIONS\r\n", HeaderKind::CSeq),
        (
            "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds\r\n",
            HeaderKind::Via,
        ),
    ] {
        assert_eq!(reject(&with(line, "")), ParseError::MissingHeader(kind));
    }
    // Max-Forwards may be missing (RFC 2543 peers).
    assert!(parse(&with("Max-Forwards: 70\r\n", "")).is_ok());
}

#[test]
fn cseq_checks() {
    assert_eq!(
        reject(&with("63104 OPTIONS", "63104 INVITE")),
        ParseError::CSeqMethodMismatch
    );
    assert_eq!(
        reject(&with("63104 OPTIONS", "4294967296 OPTIONS")),
        ParseError::InvalidHeader(HeaderKind::CSeq)
    );
    assert_eq!(
        reject(&with("63104 OPTIONS", "-1 OPTIONS")),
        ParseError::InvalidHeader(HeaderKind::CSeq)
    );
    assert!(parse(&with("63104 OPTIONS", "4294967295 OPTIONS")).is_ok());
    let resp = error_response(
        &with("63104 OPTIONS", "63104 INVITE"),
        &ParseError::CSeqMethodMismatch,
    )
    .unwrap();
    assert_eq!(
        resp.status_code.to_string(),
        "400 Bad Request - CSeq method does not match"
    );
}

#[test]
fn repeated_single_value_headers() {
    for (line, kind) in [
        (
            "Call-ID: a84b4c76e66710@pc33.example.com\r\n",
            HeaderKind::CallId,
        ),
        ("Max-Forwards: 70\r\n", HeaderKind::MaxForwards),
        ("Content-Length: 0\r\n", HeaderKind::ContentLength),
    ] {
        let twice = format!("{line}{line}");
        assert_eq!(
            reject(&with(line, &twice)),
            ParseError::DuplicateHeader(kind)
        );
    }
    let ct = "Content-Type: text/plain\r\nc: text/plain\r\n";
    assert_eq!(
        reject(&with(
            "Content-Length: 0\r\n",
            &format!("{ct}Content-Length: 0\r\n")
        )),
        ParseError::DuplicateHeader(HeaderKind::ContentType)
    );
}

#[test]
fn content_length_checks() {
    assert_eq!(
        reject(&with("Content-Length: 0", "Content-Length: -1")),
        ParseError::InvalidContentLength
    );
    assert_eq!(
        reject(&with("Content-Length: 0", "Content-Length: 1x")),
        ParseError::InvalidContentLength
    );
    assert_eq!(
        reject(&with(
            "Content-Length: 0",
            "Content-Length: 99999999999999999999999"
        )),
        ParseError::InvalidContentLength
    );
    let mut long = with("Content-Length: 0", "Content-Length: 5");
    long.extend_from_slice(b"abc");
    assert_eq!(reject(&long), ParseError::BodyTooShort);
    long.extend_from_slice(b"defgh");
    assert_eq!(parse(&long).unwrap().body(), b"abcde");
}

#[test]
fn versions_and_status_codes() {
    let v3 = with("SIP/2.0\r\n", "SIP/3.0\r\n");
    assert_eq!(reject(&v3), ParseError::UnsupportedVersion);
    assert_eq!(
        error_response(&v3, &ParseError::UnsupportedVersion)
            .unwrap()
            .status_code
            .code(),
        505
    );
    assert_eq!(
        reject(b"SIP/2.0 99 Low\r\n\r\n"),
        ParseError::InvalidStatusCode
    );
    assert_eq!(
        reject(b"SIP/2.0 700 High\r\n\r\n"),
        ParseError::InvalidStatusCode
    );
    assert_eq!(
        error_response(
            b"SIP/2.0 700 High\r\nVia: SIP/2.0/UDP h\r\n\r\n",
            &ParseError::InvalidStatusCode
        ),
        None
    );
}

#[test]
fn request_uri_checks() {
    assert_eq!(
        reject(&with(
            "sip:bridge@example.com SIP",
            "<sip:bridge@example.com> SIP"
        )),
        ParseError::RequestUriBrackets
    );
    assert_eq!(
        reject(&with(
            "sip:bridge@example.com SIP",
            "sip:bridge@example.com; lr SIP"
        )),
        ParseError::RequestUriWhitespace
    );
    assert_eq!(
        reject(&with(
            "sip:bridge@example.com SIP",
            "sip:bridge@example.com?Route=x SIP"
        )),
        ParseError::RequestUriHeaders
    );
    assert_eq!(
        reject(&with("sip:bridge@example.com SIP", "sip:bri dge SIP")),
        ParseError::RequestUriWhitespace
    );
    assert_eq!(
        reject(&with("sip:bridge@example.com SIP", "bridge SIP")),
        ParseError::InvalidRequestUri
    );
    let SipMessage::Request(r) = parse(&with(
        "sip:bridge@example.com SIP",
        "sips:[2001:db8::1]:5061;transport=tcp;lr SIP",
    ))
    .unwrap() else {
        panic!()
    };
    assert_eq!(
        r.uri.to_string(),
        "sips:[2001:db8::1]:5061;transport=TCP;lr"
    );
}

#[test]
fn unknown_method_is_501() {
    let msg = with("OPTIONS sip", "FOO sip")
        .into_iter()
        .collect::<Vec<_>>();
    let msg = String::from_utf8(msg)
        .unwrap()
        .replace("63104 OPTIONS", "63104 FOO");
    let err = reject(msg.as_bytes());
    assert_eq!(
        err,
        ParseError::UnknownMethod {
            method: "FOO".into()
        }
    );
    assert_eq!(
        error_response(msg.as_bytes(), &err)
            .unwrap()
            .status_code
            .code(),
        501
    );
    // Methods are case-sensitive: `options` is not OPTIONS.
    let lower = String::from_utf8(with("OPTIONS sip", "options sip"))
        .unwrap()
        .replace("63104 OPTIONS", "63104 options");
    assert!(matches!(
        reject(lower.as_bytes()),
        ParseError::UnknownMethod { .. }
    ));
}

#[test]
fn error_response_copies_headers_and_tags_to() {
    let bad = with("Content-Length: 0", "Content-Length: -5");
    let resp = error_response(&bad, &reject(&bad)).unwrap();
    assert_eq!(resp.status_code.code(), 400);
    let text = resp.to_string();
    assert!(
        text.contains("Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds\r\n"),
        "{text}"
    );
    assert!(text.contains("Call-ID: a84b4c76e66710@pc33.example.com\r\n"));
    assert!(text.contains("CSeq: 63104 OPTIONS\r\n"));
    assert!(text.contains("To: <sip:bridge@example.com>;tag="));
    assert!(text.contains("From: Alice <sip:alice@example.com>;tag=1928301774\r\n"));
    assert!(text.contains("Content-Length: 0\r\n"));
    // No Via, no answer; never answer an ACK.
    let no_via = with(
        "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds\r\n",
        "",
    );
    assert_eq!(
        error_response(&no_via, &ParseError::MissingHeader(HeaderKind::Via)),
        None
    );
    let ack = String::from_utf8(bad).unwrap().replace("OPTIONS", "ACK");
    assert_eq!(
        error_response(ack.as_bytes(), &ParseError::InvalidContentLength),
        None
    );
}

#[test]
fn keep_alive_and_garbage() {
    assert_eq!(reject(b"\r\n\r\n"), ParseError::Empty);
    assert_eq!(reject(b""), ParseError::Empty);
    assert_eq!(error_response(b"\r\n\r\n", &ParseError::Empty), None);
    assert_eq!(reject(b"hello"), ParseError::InvalidStartLine);
    assert_eq!(
        reject(&with("Max-Forwards: 70", "Max-Forwards 70")),
        ParseError::InvalidHeaderLine
    );
    assert_eq!(
        reject(&with("Max-Forwards: 70", "Max-Forwards: 7\r0")),
        ParseError::InvalidHeaderLine
    );
    assert_eq!(
        reject(&with("Max-Forwards: 70", "Max-Forwards: 256")),
        ParseError::InvalidHeader(HeaderKind::MaxForwards)
    );
}

#[test]
fn responses_parse() {
    let msg =
        "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKa\r\nTo: <sip:b@e>;tag=2\r\n\
From: <sip:a@e>;tag=1\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    let SipMessage::Response(r) = parse(msg.as_bytes()).unwrap() else {
        panic!()
    };
    assert_eq!(r.status_code.code(), 180);
}

#[test]
fn contact_star_and_multi_valued_headers() {
    let star = with("Content-Length: 0", "Contact: *\r\nContent-Length: 0");
    assert_eq!(header_values(parse(&star).unwrap().headers(), "m"), ["*"]);
    let two = with(
        "Content-Length: 0",
        "Route: <sip:p1@example.com;lr>, \"P 2\" <sip:p2@example.com;lr>\r\nContent-Length: 0",
    );
    let routes = header_values(parse(&two).unwrap().headers(), "Route");
    assert_eq!(
        routes,
        ["<sip:p1@example.com;lr>", "\"P 2\" <sip:p2@example.com;lr>"]
    );
    let empty = with(
        "Content-Length: 0",
        "Route: <sip:p1@example.com>,,\r\nContent-Length: 0",
    );
    assert_eq!(reject(&empty), ParseError::InvalidHeader(HeaderKind::Route));
}
