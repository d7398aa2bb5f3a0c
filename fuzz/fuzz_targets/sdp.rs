//! Fuzz target for the SDP parser (RFC 4566) and RFC 3264 offer/answer: arbitrary bytes must never
//! panic; whatever parses must print and parse back to the same description; answering it and
//! reading it as an answer to our offer must not panic, and our answer must parse.

#![no_main]

use std::net::{IpAddr, Ipv4Addr};

use libfuzzer_sys::fuzz_target;
use sip::sdp::{answer, negotiate_answer, offer, CodecSpec, LocalMedia, SessionDescription};

fn local() -> LocalMedia {
    let codec = |name: &str, clock_rate, channels, static_pt| CodecSpec {
        name: name.to_owned(),
        clock_rate,
        channels,
        static_pt,
        fmtp: None,
    };
    LocalMedia {
        address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
        audio_port: 40000,
        codecs: vec![
            codec("PCMU", 8000, 1, Some(0)),
            codec("PCMA", 8000, 1, Some(8)),
            codec("opus", 48000, 2, None),
        ],
        telephone_event: true,
        comfort_noise: false,
        session_id: 1,
        session_version: 1,
        video: None,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(sdp) = SessionDescription::parse(data) else {
        return;
    };
    let printed = sdp.to_bytes();
    let again = SessionDescription::parse(&printed).expect("printed SDP parses");
    assert_eq!(again, sdp);

    let local = local();
    if let Ok((ours, _)) = answer(&sdp, &local) {
        let reparsed = SessionDescription::parse(&ours.to_bytes()).expect("answer parses");
        assert_eq!(reparsed, ours);
    }
    let _ = negotiate_answer(&offer(&local), &sdp);
});
