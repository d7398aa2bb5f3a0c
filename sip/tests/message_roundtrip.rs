//! Property test: a generated valid request, in any of the spellings RFC 3261 §7.3 allows
//! (compact names, LWS around separators, folded lines), parses to the values it was built
//! from, and printing the parsed message (rsip's printer) then parsing again gives the same
//! message.

use proptest::prelude::*;
use rsip::prelude::*;
use rsip::SipMessage;
use sip::message::{header_value, parse};

fn token() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9][a-zA-Z0-9.!%*_+`'~-]{0,15}"
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9-]{0,10}(\\.[a-z][a-z0-9-]{0,10}){0,3}",
        (1u8..=254, 0u8..=255, 0u8..=255, 1u8..=254)
            .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
    ]
}

/// How a header name and separator are spelled.
#[derive(Debug, Clone, Copy)]
struct Spelling {
    compact: bool,
    space_before_colon: bool,
    fold: bool,
}

fn spelling() -> impl Strategy<Value = Spelling> {
    (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(compact, space_before_colon, fold)| {
        Spelling {
            compact,
            space_before_colon,
            fold,
        }
    })
}

fn line(s: Spelling, full: &str, compact: Option<&str>, value: &str) -> String {
    let name = match (s.compact, compact) {
        (true, Some(c)) => c,
        _ => full,
    };
    let colon = if s.space_before_colon { " :" } else { ":" };
    let sep = if s.fold { "\r\n   " } else { " " };
    format!("{name}{colon}{sep}{value}\r\n")
}

#[derive(Debug, Clone)]
struct Generated {
    method: &'static str,
    user: String,
    host: String,
    port: Option<u16>,
    branch: String,
    tag: String,
    call_id: String,
    cseq: u32,
    max_forwards: u8,
    body: String,
    spelling: Spelling,
}

fn generated() -> impl Strategy<Value = Generated> {
    (
        prop::sample::select(vec![
            "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "INFO", "REGISTER", "UPDATE",
        ]),
        token(),
        host(),
        prop::option::of(1u16..),
        "[a-zA-Z0-9]{1,20}",
        token(),
        ("[a-zA-Z0-9.!%*_+`'~-]{1,30}", prop::option::of(host())),
        any::<u32>(),
        any::<u8>(),
        "[ -~\r\n]{0,200}",
        spelling(),
    )
        .prop_map(
            |(
                method,
                user,
                host,
                port,
                branch,
                tag,
                (id, id_host),
                cseq,
                max_forwards,
                body,
                spelling,
            )| Generated {
                method,
                user,
                host,
                port,
                branch: format!("z9hG4bK{branch}"),
                tag,
                call_id: id_host.map_or(id.clone(), |h| format!("{id}@{h}")),
                cseq,
                max_forwards,
                body,
                spelling,
            },
        )
}

fn render(g: &Generated) -> String {
    let s = g.spelling;
    let port = g.port.map(|p| format!(":{p}")).unwrap_or_default();
    let mut m = format!("{} sip:{}@{}{port} SIP/2.0\r\n", g.method, g.user, g.host);
    m += &line(
        s,
        "Via",
        Some("v"),
        &format!("SIP/2.0/UDP {}{port};branch={}", g.host, g.branch),
    );
    m += &line(s, "Max-Forwards", None, &g.max_forwards.to_string());
    m += &line(s, "To", Some("t"), &format!("<sip:{}@{}>", g.user, g.host));
    m += &line(
        s,
        "From",
        Some("f"),
        &format!("\"Caller\" <sip:caller@{}>;tag={}", g.host, g.tag),
    );
    m += &line(s, "Call-ID", Some("i"), &g.call_id);
    m += &line(s, "CSeq", None, &format!("{} {}", g.cseq, g.method));
    m += &line(
        s,
        "Contact",
        Some("m"),
        &format!("<sip:{}@{}{port}>", g.user, g.host),
    );
    if !g.body.is_empty() {
        m += &line(s, "Content-Type", Some("c"), "text/plain");
    }
    m += &line(s, "Content-Length", Some("l"), &g.body.len().to_string());
    m + "\r\n" + &g.body
}

proptest! {
    #[test]
    fn request_round_trips(g in generated()) {
        let text = render(&g);
        let parsed = parse(text.as_bytes()).map_err(|e| TestCaseError::fail(format!("{e:?}\n{text}")))?;
        let SipMessage::Request(req) = &parsed else { return Err(TestCaseError::fail("not a request")) };
        prop_assert_eq!(req.method.to_string(), g.method);
        prop_assert_eq!(req.uri.user(), Some(g.user.as_str()));
        prop_assert_eq!(req.uri.port().map(|p| *p.value()), g.port);
        prop_assert_eq!(req.cseq_header().unwrap().typed().unwrap().seq, g.cseq);
        prop_assert_eq!(req.call_id_header().unwrap().value(), g.call_id.as_str());
        let via = req.via_header().unwrap().typed().unwrap();
        prop_assert_eq!(via.branch().unwrap().to_string(), g.branch.clone());
        let from = req.from_header().unwrap().typed().unwrap();
        prop_assert_eq!(from.tag().unwrap().to_string(), g.tag.clone());
        prop_assert_eq!(header_value(&req.headers, "Max-Forwards"), Some(g.max_forwards.to_string()));
        prop_assert_eq!(&req.body, g.body.as_bytes());

        let printed = parsed.to_string();
        let again = parse(printed.as_bytes()).map_err(|e| TestCaseError::fail(format!("{e:?}\n{printed}")))?;
        prop_assert_eq!(again, parsed);
    }
}
