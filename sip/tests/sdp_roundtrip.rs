//! Property tests for the SDP printer and parser: every generated description prints and parses
//! back to itself; arbitrary bytes never panic the parser, and what parses prints and parses back
//! to the same description; offer/answer on generated offers never panics and prints valid SDP.

mod sdp_samples;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use sip::sdp::{
    answer, negotiate_answer, Attribute, Bandwidth, Connection, Direction, Fmtp, MediaDescription,
    Origin, Rtcp, RtcpFb, Rtpmap, SessionDescription, Timing,
};

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_.+-]{1,10}"
}

/// Free text: no CR/LF, no whitespace at either end (the parser trims lines).
fn text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9é€]([A-Za-z0-9é€ ,.;=@/:*-]{0,18}[A-Za-z0-9é€])?"
}

fn ip() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        any::<std::net::Ipv4Addr>().prop_map(|a| ("IP4".to_owned(), a.to_string())),
        any::<std::net::Ipv6Addr>().prop_map(|a| ("IP6".to_owned(), a.to_string())),
        token().prop_map(|host| ("IP4".to_owned(), host)),
    ]
}

fn connection() -> impl Strategy<Value = Connection> {
    ip().prop_map(|(addr_type, address)| Connection {
        net_type: "IN".into(),
        addr_type,
        address,
    })
}

fn origin() -> impl Strategy<Value = Origin> {
    (
        prop_oneof![
            token(),
            (token(), token()).prop_map(|(a, b)| format!("{a} {b}"))
        ],
        "[0-9]{1,20}",
        "[0-9]{1,20}",
        ip(),
    )
        .prop_map(
            |(username, session_id, session_version, (addr_type, address))| Origin {
                username,
                session_id,
                session_version,
                net_type: "IN".into(),
                addr_type,
                address,
            },
        )
}

fn bandwidth() -> impl Strategy<Value = Bandwidth> {
    (prop_oneof!["AS", "CT", "TIAS", "RS", "RR"], any::<u64>())
        .prop_map(|(kind, value)| Bandwidth { kind, value })
}

fn timing() -> impl Strategy<Value = Timing> {
    (any::<u64>(), any::<u64>(), vec(text(), 0..3)).prop_map(|(start, stop, repeats)| Timing {
        start,
        stop,
        repeats,
    })
}

fn direction() -> impl Strategy<Value = Direction> {
    prop_oneof![
        Just(Direction::SendRecv),
        Just(Direction::SendOnly),
        Just(Direction::RecvOnly),
        Just(Direction::Inactive),
    ]
}

fn attribute() -> impl Strategy<Value = Attribute> {
    prop_oneof![
        (0u8..=127, token(), any::<u32>(), option::of(any::<u8>())).prop_map(
            |(payload_type, encoding, clock_rate, channels)| Attribute::Rtpmap(Rtpmap {
                payload_type,
                encoding,
                clock_rate,
                channels,
            })
        ),
        (token(), prop_oneof![Just(String::new()), text()])
            .prop_map(|(format, params)| Attribute::Fmtp(Fmtp { format, params })),
        any::<u32>().prop_map(Attribute::Ptime),
        any::<u32>().prop_map(Attribute::MaxPtime),
        direction().prop_map(Attribute::Direction),
        (any::<u16>(), option::of(connection()))
            .prop_map(|(port, connection)| Attribute::Rtcp(Rtcp { port, connection })),
        Just(Attribute::RtcpMux),
        (
            prop_oneof![
                Just("*".to_owned()),
                (0u8..=127).prop_map(|pt| pt.to_string())
            ],
            text()
        )
            .prop_map(|(format, value)| Attribute::RtcpFb(RtcpFb { format, value })),
        (
            "x-[a-z0-9-]{1,8}",
            option::of(prop_oneof![Just(String::new()), text()])
        )
            .prop_map(|(name, value)| Attribute::Other { name, value }),
    ]
}

fn media() -> impl Strategy<Value = MediaDescription> {
    let rtp = (
        prop_oneof!["RTP/AVP", "RTP/AVPF", "RTP/SAVP", "UDP/TLS/RTP/SAVPF"],
        vec((0u8..=127).prop_map(|pt| pt.to_string()), 1..8),
    );
    let other = (
        prop_oneof!["udptl", "TCP/BFCP", "TCP/MSRP"],
        vec(token(), 1..4),
    );
    (
        (
            prop_oneof!["audio", "video", "image", "application", token()],
            any::<u16>(),
            option::of(1u16..),
            prop_oneof![rtp, other],
        ),
        (
            option::of(text()),
            vec(connection(), 0..3),
            vec(bandwidth(), 0..3),
            option::of(text()),
            vec(attribute(), 0..8),
        ),
    )
        .prop_map(
            |(
                (media, port, port_count, (protocol, formats)),
                (information, connections, bandwidths, key, attributes),
            )| MediaDescription {
                media,
                port,
                port_count,
                protocol,
                formats,
                information,
                connections,
                bandwidths,
                key,
                attributes,
            },
        )
}

fn description() -> impl Strategy<Value = SessionDescription> {
    (
        (
            origin(),
            prop_oneof![Just(String::new()), text()],
            option::of(text()),
            option::of(text()),
            vec(text(), 0..3),
            vec(text(), 0..3),
            option::of(connection()),
        ),
        (
            vec(bandwidth(), 0..3),
            vec(timing(), 1..3),
            option::of(text()),
            option::of(text()),
            vec(attribute(), 0..6),
            vec(media(), 0..4),
        ),
    )
        .prop_map(
            |(
                (origin, session_name, information, uri, emails, phones, connection),
                (bandwidths, times, time_zones, key, attributes, media),
            )| SessionDescription {
                origin,
                session_name,
                information,
                uri,
                emails,
                phones,
                connection,
                bandwidths,
                times,
                time_zones,
                key,
                attributes,
                media,
            },
        )
}

/// Parse; if that works, the printed form must parse back to the same description.
fn check_reparse(bytes: &[u8]) {
    if let Ok(sdp) = SessionDescription::parse(bytes) {
        let printed = sdp.to_bytes();
        let again = SessionDescription::parse(&printed).expect("printed SDP parses");
        assert_eq!(again, sdp);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn sdp_generated_round_trip(sdp in description()) {
        let bytes = sdp.to_bytes();
        let parsed = SessionDescription::parse(&bytes);
        prop_assert_eq!(parsed, Ok(sdp), "{}", String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn sdp_arbitrary_bytes(bytes in vec(any::<u8>(), 0..512)) {
        check_reparse(&bytes);
    }

    #[test]
    fn sdp_arbitrary_lines(lines in vec("[a-z]=[ -~]{0,30}", 0..20)) {
        let body = format!("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n{}", lines.join("\r\n"));
        check_reparse(body.as_bytes());
    }

    #[test]
    fn sdp_answer_generated_offers(offer in description()) {
        let local = sdp_samples::local();
        if let Ok((ours, negotiated)) = answer(&offer, &local) {
            prop_assert_eq!(ours.media.len(), offer.media.len());
            let reparsed = SessionDescription::parse(&ours.to_bytes()).expect("answer parses");
            prop_assert_eq!(&reparsed, &ours);
            // Read back from the offerer's side, our answer names the same codec (unless the
            // offer disabled the stream, which we answer with port 0 as well).
            if ours.media.iter().any(|m| m.is_audio() && m.port != 0) {
                let back = negotiate_answer(&offer, &reparsed).expect("our answer is readable");
                prop_assert_eq!(back.payload_type, negotiated.payload_type);
            }
        }
    }
}
