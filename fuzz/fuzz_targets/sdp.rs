//! Fuzz target for the SDP parser (RFC 4566) and RFC 3264 offer/answer: arbitrary bytes must never
//! panic; whatever parses must print and parse back to the same description; answering it and
//! reading it as an answer to our offer must not panic, and our answer must parse; the same with
//! video on (`answer_av`, `negotiate_answer_av`).

#![no_main]

use std::net::{IpAddr, Ipv4Addr};

use libfuzzer_sys::fuzz_target;
use sip::sdp::{
    answer, answer_av, negotiate_answer, negotiate_answer_av, offer, CodecSpec, LocalMedia,
    LocalVideo, SessionDescription,
};

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

    // With video on: the answer parses, one line per offer line, at most one video accepted.
    let local = LocalMedia {
        video: Some(LocalVideo {
            port: 40002,
            max_level_idc: 0x1f,
            max_recv_bitrate_bps: 2_000_000,
        }),
        ..local
    };
    if let Ok((ours, _, video)) = answer_av(&sdp, &local) {
        let reparsed = SessionDescription::parse(&ours.to_bytes()).expect("answer parses");
        assert_eq!(reparsed, ours);
        assert_eq!(ours.media.len(), sdp.media.len());
        let accepted = ours
            .media
            .iter()
            .filter(|m| m.is_video() && m.port != 0)
            .count();
        assert_eq!(accepted, usize::from(video.is_some()));
    }
    let _ = negotiate_answer_av(&offer(&local), &sdp);
});
