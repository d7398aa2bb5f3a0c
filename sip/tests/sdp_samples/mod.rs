//! SDP bodies as real phones write them, shared by the `sdp_*` tests. Written by hand after the
//! shapes these stacks produce (addresses, ids and ports invented); line ends are CRLF unless the
//! name says otherwise.

#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr};

use sip::sdp::{CodecSpec, LocalMedia};

/// The bridge's side: PCMU then PCMA, telephone-event on.
pub fn local() -> LocalMedia {
    LocalMedia {
        address: IpAddr::V4(Ipv4Addr::new(203, 0, 113, 10)),
        audio_port: 40000,
        codecs: vec![pcmu(), pcma()],
        telephone_event: true,
        comfort_noise: false,
        session_id: 4242,
        session_version: 1,
        video: None,
    }
}

/// PCMU at its static payload type.
pub fn pcmu() -> CodecSpec {
    CodecSpec {
        name: "PCMU".into(),
        clock_rate: 8000,
        channels: 1,
        static_pt: Some(0),
        fmtp: None,
    }
}

/// PCMA at its static payload type.
pub fn pcma() -> CodecSpec {
    CodecSpec {
        name: "PCMA".into(),
        clock_rate: 8000,
        channels: 1,
        static_pt: Some(8),
        fmtp: None,
    }
}

/// G.722 (RTP clock 8000 by the RFC 3551 quirk).
pub fn g722() -> CodecSpec {
    CodecSpec {
        name: "G722".into(),
        clock_rate: 8000,
        channels: 1,
        static_pt: Some(9),
        fmtp: None,
    }
}

/// Opus (always `/2` in rtpmap, RFC 7587).
pub fn opus() -> CodecSpec {
    CodecSpec {
        name: "opus".into(),
        clock_rate: 48000,
        channels: 2,
        static_pt: None,
        fmtp: None,
    }
}

/// Join lines with CRLF, ending the last one too.
pub fn crlf(lines: &[&str]) -> Vec<u8> {
    let mut body = lines.join("\r\n");
    body.push_str("\r\n");
    body.into_bytes()
}

/// A Polycom desk phone: G.722 first, session-level `a=sendrecv`, telephone-event 101.
pub const POLYCOM: &[&str] = &[
    "v=0",
    "o=- 1700546820 1700546820 IN IP4 192.168.10.21",
    "s=Polycom IP Phone",
    "c=IN IP4 192.168.10.21",
    "t=0 0",
    "a=sendrecv",
    "m=audio 2222 RTP/AVP 9 0 8 18 101",
    "a=rtpmap:9 G722/8000",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:18 G729/8000",
    "a=fmtp:18 annexb=no",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-15",
];

/// A Cisco gateway through CUCM: b= at both levels, media-level c=, ptime 20, no rtpmap for the
/// static payload types.
pub const CISCO: &[&str] = &[
    "v=0",
    "o=CiscoSystemsSIP-GW-UserAgent 8297 9417 IN IP4 10.10.1.5",
    "s=SIP Call",
    "c=IN IP4 10.10.1.5",
    "b=AS:64",
    "t=0 0",
    "m=audio 24580 RTP/AVP 0 8 18 101 19",
    "c=IN IP4 10.10.20.31",
    "b=TIAS:64000",
    "a=rtpmap:18 G729/8000",
    "a=fmtp:18 annexb=no",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-16",
    "a=rtpmap:19 CN/8000",
    "a=ptime:20",
];

/// Linphone: opus and speex before G.711, several telephone-events, the 8 kHz one at PT 96.
pub const LINPHONE: &[&str] = &[
    "v=0",
    "o=alice 2314 1234 IN IP4 192.168.1.34",
    "s=Talk",
    "c=IN IP4 192.168.1.34",
    "t=0 0",
    "a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics",
    "m=audio 7078 RTP/AVP 97 98 99 0 8 100 96 101",
    "a=rtpmap:97 opus/48000/2",
    "a=fmtp:97 useinbandfec=1",
    "a=rtpmap:98 speex/16000",
    "a=fmtp:98 vbr=on",
    "a=rtpmap:99 speex/8000",
    "a=fmtp:99 vbr=on",
    "a=rtpmap:100 telephone-event/48000",
    "a=rtpmap:96 telephone-event/8000",
    "a=rtpmap:101 telephone-event/16000",
    "a=rtcp-fb:* trr-int 1000",
    "a=rtcp-fb:* ccm tmmbr",
];

/// baresip: opus, G.722, G.711, `a=tool`, `a=ssrc`, `a=rtcp-rsize`, `a=label`.
pub const BARESIP: &[&str] = &[
    "v=0",
    "o=- 1790438281 2617553467 IN IP4 10.0.0.8",
    "s=-",
    "c=IN IP4 10.0.0.8",
    "t=0 0",
    "a=tool:baresip 3.10.1",
    "m=audio 10298 RTP/AVP 96 9 0 8 101",
    "b=AS:128",
    "a=rtpmap:96 opus/48000/2",
    "a=fmtp:96 stereo=1;sprop-stereo=1",
    "a=rtpmap:9 G722/8000",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-15",
    "a=sendrecv",
    "a=label:1",
    "a=rtcp-rsize",
    "a=ssrc:1402341289 cname:6b1a4c0e-5b6e-4a28-a2a7-1b0c9e5bb6d1",
    "a=ptime:20",
];

/// A room system: audio, H.264/H.263 video, a BFCP application stream over TCP.
pub const ROOM_SYSTEM_VIDEO: &[&str] = &[
    "v=0",
    "o=tandberg 1 2 IN IP4 172.16.5.40",
    "s=-",
    "c=IN IP4 172.16.5.40",
    "b=AS:2048",
    "t=0 0",
    "m=audio 2326 RTP/AVP 9 8 0 101",
    "b=TIAS:64000",
    "a=rtpmap:9 G722/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-15",
    "a=sendrecv",
    "m=video 2328 RTP/AVP 97 34",
    "b=TIAS:1984000",
    "a=rtpmap:97 H264/90000",
    "a=fmtp:97 profile-level-id=42e016;max-mbps=108000;max-fs=3600;packetization-mode=1",
    "a=rtpmap:34 H263/90000",
    "a=fmtp:34 CIF=1;QCIF=1",
    "a=rtcp-fb:* nack pli",
    "a=content:main",
    "a=label:11",
    "a=sendrecv",
    "m=application 5070 TCP/BFCP *",
    "a=floorctrl:c-s",
    "a=setup:actpass",
    "a=connection:new",
];

/// A re-INVITE putting the call on hold the RFC 3264 way.
pub const HOLD_SENDONLY: &[&str] = &[
    "v=0",
    "o=- 1700546820 1700546821 IN IP4 192.168.10.21",
    "s=Polycom IP Phone",
    "c=IN IP4 192.168.10.21",
    "t=0 0",
    "m=audio 2222 RTP/AVP 0 101",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-15",
    "a=sendonly",
];

/// A re-INVITE putting the call on hold the RFC 2543 way.
pub const HOLD_ZERO_ADDRESS: &[&str] = &[
    "v=0",
    "o=SoftPhone 5 6 IN IP4 192.168.1.50",
    "s=call",
    "c=IN IP4 0.0.0.0",
    "t=0 0",
    "m=audio 8000 RTP/AVP 8 0",
];

/// Only G.729, which the bridge does not have.
pub const ONLY_G729: &[&str] = &[
    "v=0",
    "o=- 99 99 IN IP4 198.51.100.7",
    "s=-",
    "c=IN IP4 198.51.100.7",
    "t=0 0",
    "m=audio 16384 RTP/AVP 18 101",
    "a=rtpmap:18 G729/8000",
    "a=fmtp:18 annexb=no",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-15",
];

/// An SRTP-capable phone offering SAVP first and plain AVP as a second audio line.
pub const SAVP_THEN_AVP: &[&str] = &[
    "v=0",
    "o=- 7 7 IN IP4 192.0.2.33",
    "s=-",
    "c=IN IP4 192.0.2.33",
    "t=0 0",
    "m=audio 5004 RTP/SAVP 0 8",
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz",
    "m=audio 5006 RTP/AVP 8 0",
];

/// Every sample, for the tests that go over all of them.
pub const ALL: &[&[&str]] = &[
    POLYCOM,
    CISCO,
    LINPHONE,
    BARESIP,
    ROOM_SYSTEM_VIDEO,
    HOLD_SENDONLY,
    HOLD_ZERO_ADDRESS,
    ONLY_G729,
    SAVP_THEN_AVP,
];
