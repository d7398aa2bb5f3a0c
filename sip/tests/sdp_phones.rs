//! RFC 3264 offer/answer against SDP as real phones write it: codec choice, telephone-event,
//! rejected streams, hold, and the bridge's own offers.

mod sdp_samples;

use std::net::SocketAddr;

use sdp_samples::*;
use sip::sdp::{
    answer, negotiate_answer, offer, Attribute, Direction, NegotiatedAudio, SdpError,
    SessionDescription,
};

fn parse(lines: &[&str]) -> SessionDescription {
    SessionDescription::parse(&crlf(lines)).expect("sample parses")
}

fn answer_of(lines: &[&str]) -> (SessionDescription, NegotiatedAudio) {
    answer(&parse(lines), &local()).expect("answerable")
}

fn addr(s: &str) -> Option<SocketAddr> {
    Some(s.parse().unwrap())
}

/// The printed answer, as lines, for comparing whole bodies.
fn text(sdp: &SessionDescription) -> Vec<String> {
    String::from_utf8(sdp.to_bytes())
        .unwrap()
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn polycom_offer_skips_g722_and_takes_pcmu() {
    let (sdp, neg) = answer_of(POLYCOM);
    assert_eq!(
        neg,
        NegotiatedAudio {
            remote_rtp: addr("192.168.10.21:2222"),
            codec: "PCMU".into(),
            payload_type: 0,
            fmtp: None,
            clock_rate: 8000,
            telephone_event_pt: Some(101),
            ptime_ms: 20,
            direction: Direction::SendRecv,
        }
    );
    assert_eq!(
        text(&sdp),
        [
            "v=0",
            "o=- 4242 1 IN IP4 203.0.113.10",
            "s=-",
            "c=IN IP4 203.0.113.10",
            "t=0 0",
            "m=audio 40000 RTP/AVP 0 101",
            "a=rtpmap:0 PCMU/8000",
            "a=rtpmap:101 telephone-event/8000",
            "a=fmtp:101 0-15",
            "a=ptime:20",
            "a=sendrecv",
        ]
    );
}

#[test]
fn polycom_offer_takes_g722_when_we_have_it() {
    let mut local = local();
    local.codecs.push(g722());
    let (_, neg) = answer(&parse(POLYCOM), &local).unwrap();
    assert_eq!((neg.codec.as_str(), neg.payload_type), ("G722", 9));
    assert_eq!(neg.telephone_event_pt, Some(101));
}

#[test]
fn cisco_offer_without_rtpmap_for_static_types() {
    let (sdp, neg) = answer_of(CISCO);
    assert_eq!((neg.codec.as_str(), neg.payload_type), ("PCMU", 0));
    // The media-level c= wins over the session's.
    assert_eq!(neg.remote_rtp, addr("10.10.20.31:24580"));
    assert_eq!(neg.telephone_event_pt, Some(101));
    // The offer's event list is echoed.
    assert!(sdp.media[0]
        .attributes
        .contains(&Attribute::Fmtp(sip::sdp::Fmtp {
            format: "101".into(),
            params: "0-16".into()
        })));
}

#[test]
fn linphone_offer_keeps_telephone_event_at_96() {
    let (sdp, neg) = answer_of(LINPHONE);
    assert_eq!((neg.codec.as_str(), neg.payload_type), ("PCMU", 0));
    // Of the three telephone-events, the one at PCMU's 8 kHz clock.
    assert_eq!(neg.telephone_event_pt, Some(96));
    let m = &sdp.media[0];
    assert_eq!(m.formats, ["0", "96"]);
    assert_eq!(
        m.fmtp(96),
        Some("0-15"),
        "no fmtp offered: RFC 4733 default"
    );
}

#[test]
fn linphone_offer_with_opus_on_our_side() {
    let mut local = local();
    local.codecs.insert(0, opus());
    let (sdp, neg) = answer(&parse(LINPHONE), &local).unwrap();
    assert_eq!((neg.codec.as_str(), neg.payload_type), ("opus", 97));
    assert_eq!(neg.clock_rate, 48000);
    // The 48 kHz telephone-event matches opus's clock.
    assert_eq!(neg.telephone_event_pt, Some(100));
    let m = &sdp.media[0];
    assert_eq!(m.rtpmap(97).unwrap().channels, Some(2));
    assert_eq!(m.fmtp(97), Some("useinbandfec=1"));
}

#[test]
fn baresip_offer_in_its_order() {
    let mut local = local();
    local.codecs = vec![pcma(), pcmu()];
    let (_, neg) = answer(&parse(BARESIP), &local).unwrap();
    // The offer's order (PCMU before PCMA) wins over ours.
    assert_eq!((neg.codec.as_str(), neg.payload_type), ("PCMU", 0));
    assert_eq!(neg.remote_rtp, addr("10.0.0.8:10298"));
    assert_eq!(neg.direction, Direction::SendRecv);
}

#[test]
fn video_and_bfcp_are_answered_with_port_zero() {
    let offer = parse(ROOM_SYSTEM_VIDEO);
    let (sdp, neg) = answer(&offer, &local()).unwrap();
    assert_eq!((neg.codec.as_str(), neg.payload_type), ("PCMA", 8));
    assert_eq!(sdp.media.len(), 3, "one answer line per offer line");
    let lines = text(&sdp);
    assert!(lines.contains(&"m=video 0 RTP/AVP 97 34".to_owned()));
    assert!(lines.contains(&"m=application 0 TCP/BFCP *".to_owned()));
    assert!(sdp.media[1].attributes.is_empty());
}

#[test]
fn sendonly_hold_is_answered_recvonly() {
    let (sdp, neg) = answer_of(HOLD_SENDONLY);
    assert_eq!(neg.direction, Direction::RecvOnly);
    assert_eq!(neg.remote_rtp, addr("192.168.10.21:2222"));
    assert_eq!(sdp.media[0].direction(), Some(Direction::RecvOnly));
}

#[test]
fn recvonly_and_inactive_are_mirrored() {
    for (offered, ours) in [
        ("a=recvonly", Direction::SendOnly),
        ("a=inactive", Direction::Inactive),
        ("a=sendrecv", Direction::SendRecv),
    ] {
        let mut lines = HOLD_SENDONLY.to_vec();
        *lines.last_mut().unwrap() = offered;
        let (sdp, neg) = answer_of(&lines);
        assert_eq!(neg.direction, ours, "{offered}");
        assert_eq!(sdp.media[0].direction(), Some(ours));
    }
}

#[test]
fn zero_address_hold_has_no_remote() {
    let (sdp, neg) = answer_of(HOLD_ZERO_ADDRESS);
    assert_eq!(neg.remote_rtp, None);
    assert_eq!((neg.codec.as_str(), neg.payload_type), ("PCMA", 8));
    // Nowhere to send: the bridge only receives.
    assert_eq!(neg.direction, Direction::RecvOnly);
    assert_eq!(neg.telephone_event_pt, None, "not offered");
    assert_eq!(sdp.media[0].port, 40000);
}

#[test]
fn offered_port_zero_is_answered_port_zero() {
    let mut lines = HOLD_SENDONLY.to_vec();
    lines[5] = "m=audio 0 RTP/AVP 0 101";
    let (sdp, neg) = answer_of(&lines);
    assert_eq!(neg.remote_rtp, None);
    assert_eq!(neg.direction, Direction::Inactive);
    assert_eq!(sdp.media[0].port, 0);
}

#[test]
fn lf_only_body_is_read() {
    let body = POLYCOM.join("\n");
    let offer = SessionDescription::parse(body.as_bytes()).unwrap();
    assert_eq!(offer, parse(POLYCOM));
    let (_, neg) = answer(&offer, &local()).unwrap();
    assert_eq!(neg.payload_type, 0);
}

#[test]
fn only_g729_is_no_common_codec() {
    assert_eq!(
        answer(&parse(ONLY_G729), &local()),
        Err(SdpError::NoCommonCodec)
    );
}

#[test]
fn srtp_line_is_rejected_and_plain_audio_taken() {
    let (sdp, neg) = answer_of(SAVP_THEN_AVP);
    assert_eq!(neg.remote_rtp, addr("192.0.2.33:5006"));
    assert_eq!(neg.payload_type, 8, "the second line's order");
    assert_eq!(sdp.media[0].port, 0);
    assert_eq!(sdp.media[0].protocol, "RTP/SAVP");
    assert_eq!(sdp.media[1].port, 40000);
}

#[test]
fn no_usable_audio() {
    let video_only = [
        "v=0",
        "o=- 1 1 IN IP4 192.0.2.1",
        "s=-",
        "c=IN IP4 192.0.2.1",
        "t=0 0",
        "m=video 5000 RTP/AVP 96",
    ];
    assert_eq!(
        answer(&parse(&video_only), &local()),
        Err(SdpError::NoAudio)
    );
    let srtp_only = &SAVP_THEN_AVP[..7];
    assert_eq!(answer(&parse(srtp_only), &local()), Err(SdpError::NoAudio));
    let tcp = [
        "v=0",
        "o=- 1 1 IN IP4 192.0.2.1",
        "s=-",
        "c=IN IP4 192.0.2.1",
        "t=0 0",
        "m=audio 5000 TCP/RTP/AVP 0",
    ];
    assert_eq!(answer(&parse(&tcp), &local()), Err(SdpError::NoAudio));
}

#[test]
fn second_audio_line_is_rejected() {
    let mut lines = POLYCOM.to_vec();
    lines.extend(["m=audio 2224 RTP/AVP 0", "a=rtpmap:0 PCMU/8000"]);
    let (sdp, _) = answer_of(&lines);
    assert_eq!(sdp.media.len(), 2);
    assert_eq!(sdp.media[1].port, 0);
    assert_eq!(sdp.media[1].formats, ["0"]);
}

#[test]
fn ptime_and_maxptime() {
    let mut lines = HOLD_ZERO_ADDRESS.to_vec();
    lines[3] = "c=IN IP4 192.168.1.50";
    lines.push("a=ptime:30");
    assert_eq!(answer_of(&lines).1.ptime_ms, 30);
    lines.push("a=maxptime:20");
    assert_eq!(answer_of(&lines).1.ptime_ms, 20);
    let mut silly = HOLD_ZERO_ADDRESS.to_vec();
    silly.push("a=ptime:0");
    assert_eq!(answer_of(&silly).1.ptime_ms, 20);
    let mut session_level = HOLD_ZERO_ADDRESS.to_vec();
    session_level.insert(4, "a=ptime:40");
    let (sdp, neg) = answer_of(&session_level);
    assert_eq!(neg.ptime_ms, 40);
    assert_eq!(sdp.media[0].ptime(), Some(40));
}

#[test]
fn telephone_event_off_on_our_side() {
    let mut local = local();
    local.telephone_event = false;
    let (sdp, neg) = answer(&parse(POLYCOM), &local).unwrap();
    assert_eq!(neg.telephone_event_pt, None);
    assert_eq!(sdp.media[0].formats, ["0"]);
}

#[test]
fn missing_connection_is_malformed() {
    let lines = [
        "v=0",
        "o=- 1 1 IN IP4 192.0.2.1",
        "s=-",
        "t=0 0",
        "m=audio 5000 RTP/AVP 0",
    ];
    assert!(matches!(
        answer(&parse(&lines), &local()),
        Err(SdpError::Malformed(_))
    ));
}

#[test]
fn ipv6_offer() {
    let lines = [
        "v=0",
        "o=- 1 1 IN IP6 2001:db8::5",
        "s=-",
        "c=IN IP6 2001:db8::5",
        "t=0 0",
        "m=audio 5000 RTP/AVP 8",
    ];
    assert_eq!(answer_of(&lines).1.remote_rtp, addr("[2001:db8::5]:5000"));
}

#[test]
fn reinvite_changes_codec_and_resumes() {
    // The call starts on hold with PCMU, then a re-INVITE resumes it offering only PCMA.
    let (_, held) = answer_of(HOLD_SENDONLY);
    assert_eq!(held.direction, Direction::RecvOnly);
    let mut lines = HOLD_SENDONLY.to_vec();
    lines[5] = "m=audio 2222 RTP/AVP 8 101";
    lines[6] = "a=rtpmap:8 PCMA/8000";
    *lines.last_mut().unwrap() = "a=sendrecv";
    let (_, resumed) = answer_of(&lines);
    assert_eq!(resumed.direction, Direction::SendRecv);
    assert_eq!((resumed.codec.as_str(), resumed.payload_type), ("PCMA", 8));
}

#[test]
fn our_offer() {
    let mut local = local();
    local.codecs.push(opus());
    let sdp = offer(&local);
    assert_eq!(
        text(&sdp),
        [
            "v=0",
            "o=- 4242 1 IN IP4 203.0.113.10",
            "s=-",
            "c=IN IP4 203.0.113.10",
            "t=0 0",
            "m=audio 40000 RTP/AVP 0 8 96 101",
            "a=rtpmap:0 PCMU/8000",
            "a=rtpmap:8 PCMA/8000",
            "a=rtpmap:96 opus/48000/2",
            "a=rtpmap:101 telephone-event/8000",
            "a=fmtp:101 0-16",
            "a=ptime:20",
            "a=sendrecv",
        ]
    );
}

#[test]
fn our_offer_answered_by_a_phone() {
    let ours = offer(&local());
    // A Polycom answering our offer: PCMA only, its own telephone-event numbering kept, sendrecv.
    let theirs = parse(&[
        "v=0",
        "o=- 1700546830 1700546830 IN IP4 192.168.10.21",
        "s=Polycom IP Phone",
        "c=IN IP4 192.168.10.21",
        "t=0 0",
        "m=audio 2230 RTP/AVP 8 101",
        "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:101 telephone-event/8000",
        "a=fmtp:101 0-15",
        "a=ptime:30",
    ]);
    let neg = negotiate_answer(&ours, &theirs).unwrap();
    assert_eq!(
        neg,
        NegotiatedAudio {
            remote_rtp: addr("192.168.10.21:2230"),
            codec: "PCMA".into(),
            payload_type: 8,
            fmtp: None,
            clock_rate: 8000,
            telephone_event_pt: Some(101),
            ptime_ms: 30,
            direction: Direction::SendRecv,
        }
    );
}

#[test]
fn answer_without_rtpmap_uses_our_mapping() {
    let mut local = local();
    local.codecs = vec![opus()];
    let ours = offer(&local);
    let theirs = parse(&[
        "v=0",
        "o=- 1 1 IN IP4 192.0.2.9",
        "s=-",
        "c=IN IP4 192.0.2.9",
        "t=0 0",
        "m=audio 6000 RTP/AVP 96 101",
        "a=recvonly",
    ]);
    let neg = negotiate_answer(&ours, &theirs).unwrap();
    assert_eq!((neg.codec.as_str(), neg.payload_type), ("opus", 96));
    assert_eq!(neg.telephone_event_pt, Some(101));
    assert_eq!(neg.direction, Direction::SendOnly);
}

#[test]
fn rejected_or_foreign_answers() {
    let ours = offer(&local());
    let head = [
        "v=0",
        "o=- 1 1 IN IP4 192.0.2.9",
        "s=-",
        "c=IN IP4 192.0.2.9",
        "t=0 0",
    ];
    let with = |m: &str| {
        let mut lines = head.to_vec();
        lines.push(m);
        parse(&lines)
    };
    assert_eq!(
        negotiate_answer(&ours, &with("m=audio 0 RTP/AVP 0")),
        Err(SdpError::NoAudio)
    );
    assert_eq!(
        negotiate_answer(&ours, &with("m=audio 6000 RTP/AVP 18")),
        Err(SdpError::NoCommonCodec)
    );
    assert_eq!(
        negotiate_answer(&ours, &parse(&head)),
        Err(SdpError::NoAudio)
    );
}

#[test]
fn bridge_answering_its_own_offer() {
    // The scripted test phone is a UAC using our own functions on both sides.
    let phone = offer(&local());
    let mut bridge_side = local();
    bridge_side.audio_port = 41000;
    let (bridge_answer, bridge_view) = answer(&phone, &bridge_side).unwrap();
    let reparsed = SessionDescription::parse(&bridge_answer.to_bytes()).unwrap();
    let phone_view = negotiate_answer(&phone, &reparsed).unwrap();
    assert_eq!(phone_view.codec, bridge_view.codec);
    assert_eq!(phone_view.payload_type, bridge_view.payload_type);
    assert_eq!(phone_view.telephone_event_pt, Some(101));
    assert_eq!(phone_view.remote_rtp, addr("203.0.113.10:41000"));
}

#[test]
fn every_sample_prints_and_parses_back() {
    for sample in ALL {
        let sdp = parse(sample);
        assert_eq!(SessionDescription::parse(&sdp.to_bytes()).unwrap(), sdp);
        // Our samples are in RFC order already, so printing gives back the very bytes.
        assert_eq!(sdp.to_bytes(), crlf(sample));
    }
}

#[test]
fn disabled_audio_line_and_a_new_one() {
    // A re-offer that disabled the first audio stream (port 0) and added another: the live one is
    // ours, the disabled one stays rejected.
    let mut lines = HOLD_ZERO_ADDRESS.to_vec();
    lines[3] = "c=IN IP4 192.168.1.50";
    lines[5] = "m=audio 0 RTP/AVP 8 0";
    lines.push("m=audio 8002 RTP/AVP 0");
    let (sdp, neg) = answer_of(&lines);
    assert_eq!(neg.remote_rtp, addr("192.168.1.50:8002"));
    assert_eq!(sdp.media[0].port, 0);
    assert_eq!(sdp.media[1].port, 40000);
}

#[test]
fn connection_addresses() {
    let with_c = |c: &str| {
        let mut lines = HOLD_ZERO_ADDRESS.to_vec();
        lines[3] = c;
        answer(&parse(&lines), &local()).map(|(_, neg)| neg.remote_rtp)
    };
    // The address type is not held against an address that is clear by itself.
    assert_eq!(
        with_c("c=IN IP4 2001:db8::7"),
        Ok(addr("[2001:db8::7]:8000"))
    );
    // A multicast TTL suffix is stripped.
    assert_eq!(
        with_c("c=IN IP4 233.252.0.1/127"),
        Ok(addr("233.252.0.1:8000"))
    );
    assert_eq!(with_c("c=IN IP6 ::"), Ok(None));
    for bad in ["c=IN IP4 pbx.example.com", "c=ATM NSAP 47.0005.80.ffe100"] {
        assert!(matches!(with_c(bad), Err(SdpError::Malformed(_))), "{bad}");
    }
}
