//! RFC 4475 torture tests against `sip::message::{parse, error_response}`: every row of
//! `fixtures/rfc4475/MANIFEST.tsv` is checked, and the test fails if a `.dat` file has no row.
//! The application-level answers of the `semantic` rows (416, 420, 415, 501…) belong to the
//! endpoint tests; here a `semantic` message must parse or be answered with a 400.

use rsip::prelude::*;
use rsip::{Header, SipMessage};
use sip::message::{error_response, header_values, parse, unescape, ParseError};
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/rfc4475")
}

fn load(file: &str) -> Vec<u8> {
    std::fs::read(dir().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// `(file, expectation)` for every manifest row.
fn manifest() -> Vec<(String, String)> {
    let text = String::from_utf8(std::fs::read(dir().join("MANIFEST.tsv")).unwrap()).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 5, "bad manifest row {l:?}");
            (cols[0].to_owned(), cols[3].to_owned())
        })
        .collect()
}

/// Rows of section 3.1.2 that the RFC lets a lenient element accept, with what we do and why.
/// `true`: accepted. Anything we accept is re-serialized from the rsip model, never forwarded
/// as received, which is the RFC's condition for leniency.
const LENIENT: &[(&str, bool)] = &[
    // Extra SP between Request-Line elements: unambiguous, so tolerated.
    ("lwsstart.dat", true),
    // Trailing SP after SIP/2.0: unambiguous, so tolerated.
    ("trws.dat", true),
    // The bridge never reads Date, so a bad time zone there does not matter (RFC 4475 §3.1.2.12).
    ("baddate.dat", true),
    // An unterminated quote: where the display name ends is a guess, so 400.
    ("quotbal.dat", false),
    // `<>` around the Request-URI is forbidden by §25.1: 400.
    ("ltgtruri.dat", false),
    // LWS inside the Request-URI: 400.
    ("lwsruri.dat", false),
    // rsip's Uri cannot carry URI headers, and they are forbidden in a Request-URI: 400.
    ("escruri.dat", false),
    // An unbracketed URI holding `?`: where the URI ends is a guess, so 400.
    ("regbadct.dat", false),
    // Spaces inside `< … >`: 400.
    ("badaspec.dat", false),
    // A display name with `,` and no quotes: 400.
    ("baddn.dat", false),
];

fn status(bytes: &[u8], err: &ParseError) -> Option<u16> {
    error_response(bytes, err).map(|r| r.status_code.code())
}

fn request(bytes: &[u8]) -> rsip::Request {
    match parse(bytes) {
        Ok(SipMessage::Request(r)) => r,
        other => panic!("expected a request, got {other:?}"),
    }
}

/// Replaces an extension method (Request-Line and CSeq) by OPTIONS, to look at the headers of
/// a message rsip's closed `Method` enum cannot hold.
fn as_options(bytes: &[u8], method: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while let Some(i) = rest
        .windows(method.len())
        .position(|w| w == method.as_bytes())
    {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(b"OPTIONS");
        rest = &rest[i + method.len()..];
    }
    out.extend_from_slice(rest);
    out
}

#[test]
fn every_fixture_has_a_row() {
    let rows = manifest();
    let dats = std::fs::read_dir(dir())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "dat")
        })
        .count();
    assert_eq!(rows.len(), dats);
    assert_eq!(rows.len(), 49);
    for (file, _) in &rows {
        assert!(dir().join(file).exists(), "{file}");
    }
}

#[test]
fn manifest_rows() {
    let mut handled = 0;
    for (file, expectation) in manifest() {
        let bytes = load(&file);
        let result = parse(&bytes);
        match expectation.as_str() {
            "valid" => match (&file[..], &result) {
                ("intmeth.dat" | "esc02.dat", Err(err @ ParseError::UnknownMethod { .. })) => {
                    assert_eq!(status(&bytes, err), Some(501), "{file}");
                }
                _ => assert!(result.is_ok(), "{file}: {result:?}"),
            },
            "invalid" => {
                let lenient = LENIENT.iter().find(|(f, _)| *f == file);
                match (lenient, &result) {
                    (Some((_, accepted)), _) => {
                        assert_eq!(result.is_ok(), *accepted, "{file}: {result:?}");
                        if let Err(err) = &result {
                            assert_eq!(status(&bytes, err), Some(400), "{file}");
                        }
                    }
                    (None, Ok(_)) => panic!("{file}: accepted an invalid message"),
                    (None, Err(err)) => {
                        let expected = match &file[..] {
                            "badvers.dat" => Some(505),
                            "bigcode.dat" | "scalarlg.dat" => None,
                            _ => Some(400),
                        };
                        assert_eq!(status(&bytes, err), expected, "{file}: {err:?}");
                    }
                }
            }
            "semantic" => {
                if let Err(err) = &result {
                    assert_eq!(status(&bytes, err), Some(400), "{file}: {err:?}");
                }
            }
            other => panic!("{file}: unknown expectation {other}"),
        }
        handled += 1;
    }
    assert_eq!(handled, 49);
}

#[test]
fn valid_messages_keep_their_meaning() {
    // §3.1.1.9: the user part is `user;par=u@example.net`.
    let r = request(&load("semiuri.dat"));
    assert_eq!(unescape(r.uri.user().unwrap()), b"user;par=u@example.net");
    assert_eq!(r.uri.host().to_string(), "example.com");

    // §3.1.1.5: the method is RE%47IST%45R, not REGISTER, and there are two Contacts.
    let esc02 = load("esc02.dat");
    let err = parse(&esc02).unwrap_err();
    assert_eq!(
        err,
        ParseError::UnknownMethod {
            method: "RE%47IST%45R".into()
        }
    );
    let r = request(&as_options(&esc02, "RE%47IST%45R"));
    let contacts = header_values(&r.headers, "Contact");
    assert_eq!(contacts.len(), 2, "{contacts:?}");
    assert!(contacts[0].contains("alias1") && contacts[1].contains("alias3"));

    // §3.1.1.8: the REGISTER has an empty body; the INVITE-like octets are ignored.
    let r = request(&load("dblreq.dat"));
    assert_eq!(r.method, rsip::Method::Register);
    assert!(r.body.is_empty());
    assert!(r.call_id_header().is_ok(), "compact `I:` is Call-ID");

    // §3.1.1.3: escapes are kept; decoding the Request-URI user gives `sips:user@example.com`.
    let r = request(&load("esc01.dat"));
    assert_eq!(unescape(r.uri.user().unwrap()), b"sips:user@example.com");

    // §3.1.1.4: %00 stays inside the user part, two distinct Contacts.
    let r = request(&load("escnull.dat"));
    assert_eq!(header_values(&r.headers, "m").len(), 2);

    // §3.1.1.1: folded, spaced, compact headers all understood.
    let r = request(&load("wsinv.dat"));
    assert_eq!(header_values(&r.headers, "Via").len(), 3);
    assert_eq!(r.cseq_header().unwrap().typed().unwrap().seq, 9);
    assert_eq!(r.max_forwards_header().unwrap().num().unwrap(), 68);
    assert_eq!(r.body.len(), 150);
    let tag = r.to_header().unwrap().typed().unwrap();
    assert_eq!(tag.tag().unwrap().to_string(), "1918181833n");

    // §3.1.1.7: 34 Via values in every case spelling.
    let r = request(&load("longreq.dat"));
    assert_eq!(header_values(&r.headers, "Via").len(), 34);

    // §3.1.1.10: unknown transports are kept. rsip's typed Via reads the canonical spelling of
    // the known ones but has no variant for an unknown transport (its limit, not ours).
    let r = request(&load("transports.dat"));
    let vias: Vec<_> = r
        .headers
        .iter()
        .filter_map(|h| match h {
            Header::Via(v) => Some(v),
            _ => None,
        })
        .collect();
    assert_eq!(vias.len(), 5);
    for via in vias {
        let unknown = via.value().contains("UNKNOWN");
        assert_eq!(via.typed().is_ok(), !unknown, "{via}");
    }

    // §3.1.1.11: binary multipart body with NUL bytes, framed by Content-Length.
    let m = parse(&load("mpart01.dat")).unwrap();
    assert_eq!(m.body().len(), 553);
    assert!(m.body().contains(&0));

    // §3.1.1.12/13: UTF-8 and empty reason phrases.
    let SipMessage::Response(r) = parse(&load("unreason.dat")).unwrap() else {
        panic!("unreason is a response")
    };
    assert_eq!(r.status_code.code(), 200);
    let SipMessage::Response(r) = parse(&load("noreason.dat")).unwrap() else {
        panic!("noreason is a response")
    };
    assert_eq!(r.status_code.code(), 100);

    // §3.1.1.2: an extension method (answered 501); its headers, NUL bytes and all, are fine.
    let intmeth = load("intmeth.dat");
    let method = "!interesting-Method0123456789_*+`.%indeed'~";
    assert_eq!(
        parse(&intmeth).unwrap_err(),
        ParseError::UnknownMethod {
            method: method.into()
        }
    );
    let r = request(&as_options(&intmeth, method));
    assert_eq!(
        r.uri.auth.as_ref().unwrap().password.as_deref(),
        Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
    );
}

#[test]
fn rfc2543_and_semantic_messages_parse() {
    // §3.4.1: no branch, no tag, no Content-Length, no Max-Forwards.
    let r = request(&load("inv2543.dat"));
    assert!(!r.body.is_empty());
    // §3.3.2/3.3.3: unknown schemes reach the endpoint, which answers 416.
    for (file, scheme) in [
        ("unkscm.dat", "nobodyKnowsThisScheme"),
        ("novelsc.dat", "soap.beep"),
    ] {
        let r = request(&load(file));
        assert_eq!(
            r.uri.scheme,
            Some(rsip::Scheme::Other(scheme.into())),
            "{file}"
        );
    }
    // §3.3.12: `unknownparam` is a Contact parameter, not a URI parameter.
    let r = request(&load("cparam01.dat"));
    let contact = header_values(&r.headers, "Contact").remove(0);
    assert_eq!(contact, "<sip:+19725552222@gw1.example.net>;unknownparam");
    // §3.3.8/3.3.9/3.3.1: answered with a 400 naming the problem.
    for (file, reason) in [
        ("multi01.dat", "Bad Request - Repeated CSeq"),
        ("mcl01.dat", "Bad Request - Repeated Content-Length"),
        ("insuf.dat", "Bad Request - Missing To"),
    ] {
        let bytes = load(file);
        let err = parse(&bytes).unwrap_err();
        let resp = error_response(&bytes, &err).unwrap();
        assert_eq!(
            resp.status_code.to_string(),
            format!("400 {reason}"),
            "{file}"
        );
    }
}

#[test]
fn error_responses_of_invalid_requests() {
    for (file, reason) in [
        ("badinv01.dat", "400 Bad Request - Malformed Via"),
        (
            "clerr.dat",
            "400 Bad Request - Content-Length Larger Than Body",
        ),
        ("ncl.dat", "400 Bad Request - Malformed Content-Length"),
        ("scalar02.dat", "400 Bad Request - Malformed CSeq"),
        (
            "mismatch01.dat",
            "400 Bad Request - CSeq method does not match",
        ),
        (
            "mismatch02.dat",
            "400 Bad Request - CSeq method does not match",
        ),
        ("badvers.dat", "505 Version Not Supported"),
        (
            "ltgtruri.dat",
            "400 Bad Request - Request-URI in Angle Brackets",
        ),
        ("lwsruri.dat", "400 Bad Request - Whitespace in Request-URI"),
    ] {
        let bytes = load(file);
        let err = parse(&bytes).unwrap_err();
        let resp = error_response(&bytes, &err).unwrap();
        assert_eq!(resp.status_code.to_string(), reason, "{file}");
        // The answer carries what the client needs to match it (§8.2.6.2) and is itself valid
        // (unless the copied Via or CSeq was the broken part).
        if matches!(file, "badinv01.dat" | "scalar02.dat") {
            continue;
        }
        let text = resp.to_string();
        let back = parse(text.as_bytes()).unwrap_or_else(|e| panic!("{file}: {e:?}\n{text}"));
        assert!(back.is_response());
        assert!(
            back.call_id_header().is_ok() && back.cseq_header().is_ok(),
            "{file}"
        );
    }
}

#[test]
fn over_a_stream() {
    use sip::framing::{FramingError, StreamFramer};
    let framed = |file: &str| {
        let mut framer = StreamFramer::new();
        framer.push(&load(file));
        let first = framer.next_message();
        (first, framer.buffered())
    };
    // §3.1.2.2: over TCP, wait for the 9999 announced bytes.
    assert_eq!(framed("clerr.dat").0, Ok(None));
    // §3.1.2.3 / §3.3.9: framing errors close the connection.
    assert_eq!(framed("ncl.dat").0, Err(FramingError::InvalidContentLength));
    assert_eq!(
        framed("mcl01.dat").0,
        Err(FramingError::RepeatedContentLength)
    );
    // §3.4.1: without Content-Length a stream cannot be framed.
    assert_eq!(
        framed("inv2543.dat").0,
        Err(FramingError::MissingContentLength)
    );
    // §3.1.1.8: on a stream the REGISTER ends at its Content-Length; the next bytes wait.
    let (first, rest) = framed("dblreq.dat");
    let register = first.unwrap().unwrap();
    assert!(parse(&register).unwrap().body().is_empty());
    assert!(rest > 0);
    // §3.1.1.11: the binary body is cut by Content-Length, NUL bytes and all.
    let mpart = framed("mpart01.dat").0.unwrap().unwrap();
    assert_eq!(parse(&mpart).unwrap().body().len(), 553);
}
