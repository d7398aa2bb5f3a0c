//! H.264 video in offer/answer (issue #6): offers as room systems, desk phones and softphones
//! write them, answered by the bridge; our own offer read back through a peer's answer; the
//! H.264 level limits; and generated video offers, whose answers must read back to what was
//! agreed.

mod sdp_samples;

use std::net::SocketAddr;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use sdp_samples::{crlf, local};
use sip::sdp::{
    answer, answer_av, negotiate_answer, negotiate_answer_av, offer, Attribute, Direction,
    LocalMedia, LocalVideo, NegotiatedVideo, RtcpFb, SdpError, SessionDescription, VideoFeedback,
};

const VIDEO_PORT: u16 = 50_000;

/// The bridge with video: level 3.1, 2 Mbit/s wanted.
fn with_video() -> LocalMedia {
    LocalMedia {
        video: Some(LocalVideo {
            port: VIDEO_PORT,
            max_level_idc: 0x1f,
            max_recv_bitrate_bps: 2_000_000,
        }),
        ..local()
    }
}

fn parse(lines: &[&str]) -> SessionDescription {
    SessionDescription::parse(&crlf(lines)).expect("sample parses")
}

fn text(sdp: &SessionDescription) -> String {
    String::from_utf8(sdp.to_bytes()).unwrap()
}

/// Answer with video on; the answer must print SDP that parses back to itself.
fn answer_video(lines: &[&str]) -> (SessionDescription, Option<NegotiatedVideo>, String) {
    let (sdp, _, video) = answer_av(&parse(lines), &with_video()).expect("answered");
    let printed = text(&sdp);
    assert_eq!(
        SessionDescription::parse(printed.as_bytes()).as_ref(),
        Ok(&sdp),
        "{printed}"
    );
    (sdp, video, printed)
}

fn addr(s: &str) -> Option<SocketAddr> {
    Some(s.parse().unwrap())
}

/// The answer's section of a media type at an index, as text.
fn section(sdp: &SessionDescription, index: usize) -> String {
    sdp.media[index].to_string()
}

/// A Cisco/Tandberg room system: H.264 mode 1 (Baseline 2.2) and mode 0 (Constrained Baseline
/// 3.1) with max-mbps/max-fs, H.263, rtcp-fb for `*`, b=TIAS, a second video line for slides and
/// BFCP.
const CISCO_ROOM: &[&str] = &[
    "v=0",
    "o=tandberg 3 4 IN IP4 172.16.5.40",
    "s=-",
    "c=IN IP4 172.16.5.40",
    "b=AS:6000",
    "t=0 0",
    "m=audio 2326 RTP/AVP 9 8 0 101",
    "b=TIAS:64000",
    "a=rtpmap:9 G722/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-15",
    "a=sendrecv",
    "m=video 2328 RTP/AVP 97 126 34 31",
    "b=TIAS:1920000",
    "a=rtpmap:97 H264/90000",
    "a=fmtp:97 profile-level-id=42e01f;max-mbps=108000;max-fs=3600",
    "a=rtpmap:126 H264/90000",
    "a=fmtp:126 profile-level-id=428016;max-mbps=245000;max-fs=8160;max-smbps=245000;packetization-mode=1",
    "a=rtpmap:34 H263/90000",
    "a=fmtp:34 CIF4=1;CIF=1;QCIF=1",
    "a=rtpmap:31 H261/90000",
    "a=rtcp-fb:* nack pli",
    "a=rtcp-fb:* ccm fir",
    "a=rtcp-fb:* ccm tmmbr",
    "a=content:main",
    "a=label:11",
    "a=answer:full",
    "a=sendrecv",
    "m=video 2330 RTP/AVP 97 126",
    "b=TIAS:1920000",
    "a=rtpmap:97 H264/90000",
    "a=fmtp:97 profile-level-id=42e01f;max-mbps=108000;max-fs=3600",
    "a=rtpmap:126 H264/90000",
    "a=fmtp:126 profile-level-id=428016;max-mbps=245000;max-fs=8160;packetization-mode=1",
    "a=rtcp-fb:* nack pli",
    "a=rtcp-fb:* ccm fir",
    "a=content:slides",
    "a=label:12",
    "a=sendrecv",
    "m=application 5070 TCP/BFCP *",
    "a=floorctrl:c-s",
    "a=confid:1",
    "a=floorid:2 mstrm:12",
    "a=userid:3",
    "a=setup:actpass",
    "a=connection:new",
];

/// A Polycom room system: High profile first (without constraint_set1), then Baseline modes 1 and
/// 0, H.263+, b=AS at media level, `a=framerate`.
const POLYCOM_GROUP: &[&str] = &[
    "v=0",
    "o=- 1700000001 1700000001 IN IP4 10.20.30.40",
    "s=Polycom IP Phone",
    "c=IN IP4 10.20.30.40",
    "b=AS:1984",
    "t=0 0",
    "m=audio 49152 RTP/AVP 9 0 8 101",
    "a=rtpmap:9 G722/8000",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-15",
    "a=sendrecv",
    "m=video 49154 RTP/AVP 109 110 111 96 34",
    "b=AS:1920",
    "a=rtpmap:109 H264/90000",
    "a=fmtp:109 profile-level-id=640020;max-mbps=216000;max-fs=8160;packetization-mode=1",
    "a=rtpmap:110 H264/90000",
    "a=fmtp:110 profile-level-id=42801F;max-mbps=216000;max-fs=8160;packetization-mode=1",
    "a=rtpmap:111 H264/90000",
    "a=fmtp:111 profile-level-id=42801F;max-mbps=216000;max-fs=8160",
    "a=rtpmap:96 H263-1998/90000",
    "a=fmtp:96 CIF4=2;CIF=1;QCIF=1;SQCIF=1",
    "a=rtpmap:34 H263/90000",
    "a=rtcp-fb:* ccm fir",
    "a=rtcp-fb:* ccm tmmbr",
    "a=framerate:30",
    "a=sendrecv",
];

/// Linphone over AVPF: VP8 first, H.264 without packetization-mode, per-type rtcp-fb,
/// `a=imageattr`.
const LINPHONE_VIDEO: &[&str] = &[
    "v=0",
    "o=bob 1930 3425 IN IP4 192.168.1.35",
    "s=Talk",
    "c=IN IP4 192.168.1.35",
    "t=0 0",
    "m=audio 7078 RTP/AVPF 96 0 8 101",
    "a=rtpmap:96 opus/48000/2",
    "a=rtpmap:101 telephone-event/8000",
    "a=rtcp-fb:* trr-int 1000",
    "a=rtcp-fb:* ccm tmmbr",
    "m=video 9078 RTP/AVPF 96 97",
    "a=rtpmap:96 VP8/90000",
    "a=rtpmap:97 H264/90000",
    "a=fmtp:97 profile-level-id=42801F",
    "a=imageattr:* recv [x=[320:1280],y=[240:720]] send [x=[320:1280],y=[240:720]]",
    "a=rtcp-fb:* trr-int 1000",
    "a=rtcp-fb:* ccm tmmbr",
    "a=rtcp-fb:96 nack pli",
    "a=rtcp-fb:96 ccm fir",
    "a=rtcp-fb:97 nack pli",
    "a=rtcp-fb:97 ccm fir",
];

/// baresip: H.264 mode 0 listed before mode 1 (Constrained Baseline with only constraint_set1),
/// VP8, every feedback for `*`, b=AS at media level only.
const BARESIP_VIDEO: &[&str] = &[
    "v=0",
    "o=- 1790438281 2617553467 IN IP4 10.0.0.8",
    "s=-",
    "c=IN IP4 10.0.0.8",
    "t=0 0",
    "a=tool:baresip 3.10.1",
    "m=audio 10298 RTP/AVP 0 8 101",
    "a=rtpmap:101 telephone-event/8000",
    "a=sendrecv",
    "m=video 10300 RTP/AVP 100 101 102",
    "b=AS:1200",
    "a=rtpmap:100 H264/90000",
    "a=fmtp:100 packetization-mode=0;profile-level-id=42401f",
    "a=rtpmap:101 H264/90000",
    "a=fmtp:101 packetization-mode=1;profile-level-id=42401f",
    "a=rtpmap:102 VP8/90000",
    "a=fmtp:102 max-fs=3600",
    "a=rtcp-fb:* nack",
    "a=rtcp-fb:* nack pli",
    "a=rtcp-fb:* ccm fir",
    "a=sendrecv",
    "a=label:2",
    "a=rtcp-rsize",
];

/// A browser's offer: everything over UDP/TLS/RTP/SAVPF with ICE and DTLS.
const WEBRTC: &[&str] = &[
    "v=0",
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0 1",
    "a=msid-semantic: WMS",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8",
    "c=IN IP4 0.0.0.0",
    "a=ice-ufrag:EsAw",
    "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1",
    "a=fingerprint:sha-256 19:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:A9:0E:05:E9:26:33:E8:70:88:A2",
    "a=setup:actpass",
    "a=mid:0",
    "a=rtcp-mux",
    "a=rtpmap:111 opus/48000/2",
    "m=video 9 UDP/TLS/RTP/SAVPF 96 102",
    "c=IN IP4 0.0.0.0",
    "a=mid:1",
    "a=rtcp-mux",
    "a=rtpmap:96 VP8/90000",
    "a=rtcp-fb:96 nack",
    "a=rtcp-fb:96 nack pli",
    "a=rtcp-fb:96 ccm fir",
    "a=rtpmap:102 H264/90000",
    "a=rtcp-fb:102 nack",
    "a=rtcp-fb:102 nack pli",
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
];

/// A plain-RTP audio line and one video line, the video's lines given.
fn video_offer(m_line: &str, extra: &[&str]) -> Vec<String> {
    let mut lines: Vec<String> = [
        "v=0",
        "o=- 1 1 IN IP4 198.51.100.20",
        "s=-",
        "c=IN IP4 198.51.100.20",
        "t=0 0",
        "m=audio 4000 RTP/AVP 0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    lines.push(m_line.to_owned());
    lines.extend(extra.iter().map(|s| s.to_string()));
    lines
}

fn refs(lines: &[String]) -> Vec<&str> {
    lines.iter().map(String::as_str).collect()
}

/// Answer a one-video-line offer; the H.264 parts as given.
fn answer_h264(fmtp: &str) -> (SessionDescription, Option<NegotiatedVideo>, String) {
    let lines = video_offer(
        "m=video 6000 RTP/AVP 99",
        &["a=rtpmap:99 H264/90000", &format!("a=fmtp:99 {fmtp}")],
    );
    answer_video(&refs(&lines))
}

#[test]
fn cisco_room_system_main_video_is_taken_and_slides_refused() {
    let (sdp, video, printed) = answer_video(CISCO_ROOM);
    let video = video.expect("video agreed");
    assert_eq!(sdp.media.len(), 4, "one answer line per offer line");
    assert_eq!(
        section(&sdp, 1),
        concat!(
            "m=video 50000 RTP/AVP 126\r\n",
            "b=AS:2000\r\n",
            "b=TIAS:2000000\r\n",
            "a=rtpmap:126 H264/90000\r\n",
            "a=fmtp:126 profile-level-id=42e016;packetization-mode=1\r\n",
            "a=rtcp-fb:126 nack pli\r\n",
            "a=rtcp-fb:126 ccm fir\r\n",
            "a=content:main\r\n",
            "a=sendrecv\r\n",
        )
    );
    assert!(
        printed.contains("m=video 0 RTP/AVP 97 126\r\n"),
        "{printed}"
    );
    assert!(
        printed.contains("m=application 0 TCP/BFCP *\r\n"),
        "{printed}"
    );
    assert_eq!(
        video,
        NegotiatedVideo {
            remote_rtp: addr("172.16.5.40:2328"),
            payload_type: 126,
            packetization_mode: 1,
            profile_level_id: [0x42, 0xe0, 0x16],
            max_fs: Some(8160),
            max_mbps: Some(245_000),
            max_recv_bitrate_bps: Some(1_920_000),
            feedback: VideoFeedback {
                nack: false,
                pli: true,
                fir: true
            },
            direction: Direction::SendRecv,
        }
    );
    // Level 2.2 alone is 1620 macroblocks; the room system's max-fs says it decodes 8160.
    assert_eq!(video.max_frame_macroblocks(), 8160);
    assert_eq!(video.max_macroblocks_per_second(), 245_000);
}

#[test]
fn slides_listed_first_are_still_not_ours() {
    // The same room system with its two video lines swapped: the main one is ours.
    let mut lines = CISCO_ROOM.to_vec();
    let main = lines
        .iter()
        .position(|l| l.starts_with("m=video 2328"))
        .unwrap();
    let slides = lines
        .iter()
        .position(|l| l.starts_with("m=video 2330"))
        .unwrap();
    let app = lines
        .iter()
        .position(|l| l.starts_with("m=application"))
        .unwrap();
    let mut swapped = lines[..main].to_vec();
    swapped.extend_from_slice(&lines[slides..app]);
    swapped.extend_from_slice(&lines[main..slides]);
    swapped.extend_from_slice(&lines[app..]);
    lines = swapped;
    let (sdp, video, _) = answer_video(&lines);
    assert_eq!(sdp.media[1].port, 0, "slides refused");
    assert_eq!(sdp.media[2].port, VIDEO_PORT);
    assert_eq!(video.unwrap().remote_rtp, addr("172.16.5.40:2328"));

    // A slides line alone is taken: there is nothing better.
    let only_slides = video_offer(
        "m=video 6000 RTP/AVP 99",
        &["a=rtpmap:99 H264/90000", "a=content:slides"],
    );
    let (sdp, video, _) = answer_video(&refs(&only_slides));
    assert!(video.is_some());
    assert!(sdp.media[1].has_content("slides"));
}

#[test]
fn polycom_high_profile_is_skipped_for_baseline_mode_1() {
    let (sdp, video, printed) = answer_video(POLYCOM_GROUP);
    let video = video.unwrap();
    assert_eq!((video.payload_type, video.packetization_mode), (110, 1));
    assert_eq!(video.profile_level_id, [0x42, 0xe0, 0x1f]);
    assert_eq!(video.max_recv_bitrate_bps, Some(1_920_000), "media b=AS");
    assert_eq!(
        video.feedback,
        VideoFeedback {
            nack: false,
            pli: false,
            fir: true
        }
    );
    assert_eq!(sdp.media[1].formats, ["110"]);
    assert!(printed.contains("a=fmtp:110 profile-level-id=42e01f;packetization-mode=1\r\n"));
    assert!(printed.contains("a=rtcp-fb:110 ccm fir\r\n"));
    assert!(!printed.contains("tmmbr"), "we do not do TMMBR: {printed}");
    assert!(
        !printed.contains("content"),
        "not labelled, not labelled back"
    );
}

#[test]
fn linphone_h264_after_vp8_over_avpf() {
    let (sdp, video, printed) = answer_video(LINPHONE_VIDEO);
    let video = video.unwrap();
    assert_eq!((video.payload_type, video.packetization_mode), (97, 0));
    assert_eq!(video.profile_level_id, [0x42, 0xe0, 0x1f]);
    assert_eq!(video.max_recv_bitrate_bps, None);
    assert_eq!(
        video.feedback,
        VideoFeedback {
            nack: false,
            pli: true,
            fir: true
        }
    );
    assert_eq!(sdp.media[1].protocol, "RTP/AVPF", "the offer's profile");
    assert!(printed.contains("m=video 50000 RTP/AVPF 97\r\n"));
    assert!(printed.contains("a=fmtp:97 profile-level-id=42e01f;packetization-mode=0\r\n"));
}

#[test]
fn baresip_mode_1_wins_over_earlier_mode_0() {
    let (_, video, printed) = answer_video(BARESIP_VIDEO);
    let video = video.unwrap();
    assert_eq!((video.payload_type, video.packetization_mode), (101, 1));
    assert_eq!(
        video.feedback,
        VideoFeedback {
            nack: true,
            pli: true,
            fir: true
        }
    );
    assert_eq!(video.max_recv_bitrate_bps, Some(1_200_000));
    for line in [
        "a=rtcp-fb:101 nack\r\n",
        "a=rtcp-fb:101 nack pli\r\n",
        "a=rtcp-fb:101 ccm fir\r\n",
    ] {
        assert!(printed.contains(line), "{line} in {printed}");
    }
}

#[test]
fn webrtc_offer_is_refused_for_its_audio_not_its_video() {
    assert_eq!(
        answer_av(&parse(WEBRTC), &with_video()).unwrap_err(),
        SdpError::NoAudio
    );
    // With a plain-RTP audio line, the SAVPF video is refused and the call goes on with audio.
    let lines = video_offer(
        "m=video 9 UDP/TLS/RTP/SAVPF 102",
        &[
            "a=rtpmap:102 H264/90000",
            "a=fmtp:102 packetization-mode=1;profile-level-id=42e01f",
        ],
    );
    let (sdp, video, printed) = answer_video(&refs(&lines));
    assert_eq!(video, None);
    assert_eq!(sdp.media[0].port, local().audio_port);
    assert!(
        printed.contains("m=video 0 UDP/TLS/RTP/SAVPF 102\r\n"),
        "{printed}"
    );
}

#[test]
fn unusable_video_is_answered_with_port_zero() {
    for (name, m_line, extra) in [
        (
            "only mode 2",
            "m=video 6000 RTP/AVP 99",
            &[
                "a=rtpmap:99 H264/90000",
                "a=fmtp:99 profile-level-id=42e01f;packetization-mode=2",
            ][..],
        ),
        (
            "only High without constraint_set1",
            "m=video 6000 RTP/AVP 99 100",
            &[
                "a=rtpmap:99 H264/90000",
                "a=fmtp:99 profile-level-id=640028;packetization-mode=1",
                "a=rtpmap:100 H264/90000",
                "a=fmtp:100 profile-level-id=4d0028;packetization-mode=1",
            ][..],
        ),
        (
            "VP8 only",
            "m=video 6000 RTP/AVP 96",
            &["a=rtpmap:96 VP8/90000"][..],
        ),
        (
            "H.264 at the wrong clock",
            "m=video 6000 RTP/AVP 96",
            &["a=rtpmap:96 H264/8000"][..],
        ),
        (
            "video port 0",
            "m=video 0 RTP/AVP 99",
            &["a=rtpmap:99 H264/90000"][..],
        ),
        (
            "a host name for the video",
            "m=video 6000 RTP/AVP 99",
            &["c=IN IP4 video.example.com", "a=rtpmap:99 H264/90000"][..],
        ),
    ] {
        let lines = video_offer(m_line, extra);
        let (sdp, video, _) = answer_video(&refs(&lines));
        assert_eq!(video, None, "{name}");
        assert_eq!(sdp.media[1].port, 0, "{name}");
        assert!(sdp.media[1].attributes.is_empty(), "{name}");
        assert_eq!(sdp.media[0].port, local().audio_port, "{name}: audio kept");
    }
}

#[test]
fn level_above_ours_is_capped() {
    let (_, video, printed) = answer_h264("profile-level-id=42e028;packetization-mode=1");
    assert!(printed.contains("a=fmtp:99 profile-level-id=42e01f;packetization-mode=1\r\n"));
    assert_eq!(video.unwrap().profile_level_id, [0x42, 0xe0, 0x1f]);
    // A level below ours is kept, and a Main/High offer with constraint_set1 gets our
    // Constrained Baseline at its level.
    let (_, video, printed) = answer_h264("profile-level-id=4d4015;packetization-mode=1");
    assert!(printed.contains("profile-level-id=42e015;"), "{printed}");
    assert_eq!(video.unwrap().profile_level_id, [0x42, 0xe0, 0x15]);
}

#[test]
fn level_asymmetry_answers_our_own_maximum() {
    let (_, video, printed) =
        answer_h264("profile-level-id=42e016;packetization-mode=1;level-asymmetry-allowed=1");
    assert!(
        printed.contains(
            "a=fmtp:99 profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1\r\n"
        ),
        "{printed}"
    );
    // We receive up to 3.1 but send at most what the peer decodes, 2.2.
    let video = video.unwrap();
    assert_eq!(video.profile_level_id, [0x42, 0xe0, 0x16]);
    assert_eq!(video.max_frame_macroblocks(), 1620);
}

#[test]
fn level_1b_and_the_default_profile() {
    let (_, video, printed) = answer_h264("profile-level-id=42f00b;packetization-mode=1");
    assert!(printed.contains("profile-level-id=42f00b;"), "{printed}");
    let video = video.unwrap();
    assert_eq!(video.max_frame_macroblocks(), 99);
    assert_eq!(video.max_macroblocks_per_second(), 1485);
    // Level 1.1 (the same level_idc without constraint_set3) is more.
    let (_, video, _) = answer_h264("profile-level-id=42e00b;packetization-mode=1");
    assert_eq!(video.unwrap().max_frame_macroblocks(), 396);
    // No profile-level-id: 42000a, level 1.
    let (_, video, printed) = answer_h264("packetization-mode=1");
    assert!(printed.contains("profile-level-id=42e00a;"), "{printed}");
    assert_eq!(video.unwrap().profile_level_id, [0x42, 0xe0, 0x0a]);
    // No fmtp at all: mode 0 as well.
    let lines = video_offer("m=video 6000 RTP/AVP 99", &["a=rtpmap:99 H264/90000"]);
    let (_, video, _) = answer_video(&refs(&lines));
    assert_eq!(video.unwrap().packetization_mode, 0);
}

#[test]
fn hold_and_directions() {
    let lines = video_offer(
        "m=video 6000 RTP/AVP 99",
        &["c=IN IP4 0.0.0.0", "a=rtpmap:99 H264/90000", "a=sendonly"],
    );
    let (sdp, video, _) = answer_video(&refs(&lines));
    let video = video.unwrap();
    assert_eq!(video.remote_rtp, None);
    assert_eq!(video.direction, Direction::RecvOnly);
    assert_eq!(sdp.media[1].direction(), Some(Direction::RecvOnly));
    let lines = video_offer(
        "m=video 6000 RTP/AVP 99",
        &["a=rtpmap:99 H264/90000", "a=recvonly"],
    );
    let (_, video, _) = answer_video(&refs(&lines));
    let video = video.unwrap();
    assert_eq!(video.direction, Direction::SendOnly);
    assert_eq!(video.remote_rtp, addr("198.51.100.20:6000"));
}

#[test]
fn session_level_bandwidth_is_the_fallback() {
    let mut lines = video_offer("m=video 6000 RTP/AVP 99", &["a=rtpmap:99 H264/90000"]);
    lines.insert(4, "b=AS:768".to_owned());
    let (_, video, _) = answer_video(&refs(&lines));
    assert_eq!(video.unwrap().max_recv_bitrate_bps, Some(768_000));
    lines.insert(4, "b=TIAS:700000".to_owned());
    let (_, video, _) = answer_video(&refs(&lines));
    assert_eq!(video.unwrap().max_recv_bitrate_bps, Some(700_000));
}

#[test]
fn audio_only_bridge_answers_video_as_before() {
    for sample in [CISCO_ROOM, POLYCOM_GROUP, LINPHONE_VIDEO, BARESIP_VIDEO] {
        let offer = parse(sample);
        let (sdp, audio, video) = answer_av(&offer, &local()).unwrap();
        assert_eq!(video, None);
        assert_eq!(answer(&offer, &local()).unwrap(), (sdp.clone(), audio));
        assert!(sdp.media[1..].iter().all(|m| m.port == 0));
        // With video on, answer() gives the same SDP as answer_av.
        let (with, _, _) = answer_av(&offer, &with_video()).unwrap();
        assert_eq!(answer(&offer, &with_video()).unwrap().0, with);
    }
}

#[test]
fn video_attributes_survive_parse_and_print() {
    for sample in [
        CISCO_ROOM,
        POLYCOM_GROUP,
        LINPHONE_VIDEO,
        BARESIP_VIDEO,
        WEBRTC,
    ] {
        let sdp = parse(sample);
        let printed = text(&sdp);
        assert_eq!(printed.as_bytes(), crlf(sample), "printed as written");
        assert_eq!(SessionDescription::parse(printed.as_bytes()), Ok(sdp));
    }
    let cisco = parse(CISCO_ROOM);
    let video = &cisco.media[1];
    assert_eq!(video.bandwidth("tias"), Some(1_920_000));
    assert_eq!(cisco.bandwidth("AS"), Some(6000));
    assert_eq!(video.content(), Some("main"));
    assert!(video.attributes.contains(&Attribute::RtcpFb(RtcpFb {
        format: "*".into(),
        value: "ccm fir".into(),
    })));
    assert_eq!(video.rtcp_fb(126).collect::<Vec<_>>().len(), 3);
    let polycom = parse(POLYCOM_GROUP);
    assert_eq!(polycom.media[1].other_attribute("framerate"), Some("30"));
    let linphone = parse(LINPHONE_VIDEO);
    assert!(linphone.media[1]
        .other_attribute("imageattr")
        .is_some_and(|v| v.starts_with("* recv")));
}

#[test]
fn our_offer_with_video() {
    let sdp = offer(&with_video());
    let printed = text(&sdp);
    assert_eq!(sdp.media.len(), 2);
    assert_eq!(
        section(&sdp, 1),
        concat!(
            "m=video 50000 RTP/AVP 96 97\r\n",
            "b=AS:2000\r\n",
            "b=TIAS:2000000\r\n",
            "a=rtpmap:96 H264/90000\r\n",
            "a=fmtp:96 profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1\r\n",
            "a=rtcp-fb:96 nack\r\n",
            "a=rtcp-fb:96 nack pli\r\n",
            "a=rtcp-fb:96 ccm fir\r\n",
            "a=rtpmap:97 H264/90000\r\n",
            "a=fmtp:97 profile-level-id=42e01f;packetization-mode=0;level-asymmetry-allowed=1\r\n",
            "a=rtcp-fb:97 nack\r\n",
            "a=rtcp-fb:97 nack pli\r\n",
            "a=rtcp-fb:97 ccm fir\r\n",
            "a=sendrecv\r\n",
        ),
        "{printed}"
    );
    // The audio line is as before; no video line without video capabilities.
    assert_eq!(sdp.media[0], offer(&local()).media[0]);
    assert_eq!(offer(&local()).media.len(), 1);
    // Opus takes 96 for audio; video moves up past it (and past telephone-event at 101).
    let mut opus = with_video();
    opus.codecs.insert(0, sdp_samples::opus());
    assert_eq!(offer(&opus).media[1].formats, ["97", "98"]);
    // 32 dynamic audio codecs (absurd, but possible): video still gets two types.
    let mut crowded = with_video();
    crowded.codecs = (0..32)
        .map(|i| sip::sdp::CodecSpec {
            name: format!("X{i}"),
            clock_rate: 8000,
            channels: 1,
            static_pt: None,
            fmtp: None,
        })
        .collect();
    crowded.telephone_event = false;
    let sdp_crowded = offer(&crowded);
    assert_eq!(sdp_crowded.media[0].formats.len(), 32);
    assert_eq!(sdp_crowded.media[1].formats, ["96", "97"]);
    // Our own offer, answered by the bridge itself, agrees on mode 1 at our level.
    let (_, _, video) = answer_av(&sdp, &with_video()).unwrap();
    let video = video.unwrap();
    assert_eq!((video.payload_type, video.packetization_mode), (96, 1));
    assert_eq!(video.profile_level_id, [0x42, 0xe0, 0x1f]);
}

/// A peer's answer to our offer.
fn peer_answer(video_lines: &[&str]) -> SessionDescription {
    let mut lines = vec![
        "v=0",
        "o=- 5 5 IN IP4 192.0.2.50",
        "s=-",
        "c=IN IP4 192.0.2.50",
        "t=0 0",
        "m=audio 30000 RTP/AVP 0 101",
        "a=rtpmap:101 telephone-event/8000",
    ];
    lines.extend_from_slice(video_lines);
    parse(&lines)
}

#[test]
fn peer_answers_to_our_offer() {
    let ours = offer(&with_video());
    // A room system taking mode 0 at level 2.2, with its limits and bandwidth.
    let answer = peer_answer(&[
        "m=video 30002 RTP/AVP 97",
        "b=TIAS:1000000",
        "a=rtpmap:97 H264/90000",
        "a=fmtp:97 profile-level-id=42e016;packetization-mode=0;max-fs=3600",
        "a=rtcp-fb:* ccm fir",
        "a=rtcp-fb:97 nack pli",
    ]);
    let (audio, video) = negotiate_answer_av(&ours, &answer).unwrap();
    assert_eq!(audio, negotiate_answer(&ours, &answer).unwrap());
    assert_eq!(
        video,
        Some(NegotiatedVideo {
            remote_rtp: addr("192.0.2.50:30002"),
            payload_type: 97,
            packetization_mode: 0,
            profile_level_id: [0x42, 0xe0, 0x16],
            max_fs: Some(3600),
            max_mbps: None,
            max_recv_bitrate_bps: Some(1_000_000),
            feedback: VideoFeedback {
                nack: false,
                pli: true,
                fir: true
            },
            direction: Direction::SendRecv,
        })
    );

    // Level asymmetry: the peer receives up to 4.0, we still send at most our 3.1. Its answer
    // leaves out the rtpmap and the mode; the offer's numbering and mode apply.
    let answer = peer_answer(&[
        "m=video 30002 RTP/AVP 96",
        "a=fmtp:96 profile-level-id=42e028;level-asymmetry-allowed=1",
    ]);
    let (_, video) = negotiate_answer_av(&ours, &answer).unwrap();
    let video = video.unwrap();
    assert_eq!((video.payload_type, video.packetization_mode), (96, 1));
    assert_eq!(video.profile_level_id, [0x42, 0xe0, 0x1f]);
    assert_eq!(video.feedback, VideoFeedback::default());

    // Refused video, a changed format, a High-profile answer: audio only.
    for refused in [
        &["m=video 0 RTP/AVP 96"][..],
        &["m=video 30002 RTP/AVP 96", "a=rtpmap:96 VP8/90000"][..],
        &[
            "m=video 30002 RTP/AVP 96",
            "a=fmtp:96 profile-level-id=640028;packetization-mode=1",
        ][..],
        &[][..],
    ] {
        let (_, video) = negotiate_answer_av(&ours, &peer_answer(refused)).unwrap();
        assert_eq!(video, None, "{refused:?}");
    }
    // The audio's errors are still errors.
    let no_audio = parse(&[
        "v=0",
        "o=- 5 5 IN IP4 192.0.2.50",
        "s=-",
        "c=IN IP4 192.0.2.50",
        "t=0 0",
        "m=audio 0 RTP/AVP 0",
        "m=video 30002 RTP/AVP 96",
    ]);
    assert_eq!(
        negotiate_answer_av(&ours, &no_audio).unwrap_err(),
        SdpError::NoAudio
    );
}

#[test]
fn frame_and_rate_limits_by_level() {
    let at = |level: u8, max_fs: Option<u32>, max_mbps: Option<u32>| NegotiatedVideo {
        remote_rtp: None,
        payload_type: 96,
        packetization_mode: 1,
        profile_level_id: [0x42, 0xe0, level],
        max_fs,
        max_mbps,
        max_recv_bitrate_bps: None,
        feedback: VideoFeedback::default(),
        direction: Direction::SendRecv,
    };
    // (level, MaxFS, MaxMBPS) from H.264 Table A-1: 2.2 is 720×576 at 12.5 frames/s, 3.0 the
    // same at 25, 3.1 720p30, 4.0 1080p30.
    for (level, fs, mbps) in [
        (0x16, 1_620, 20_250),
        (0x1e, 1_620, 40_500),
        (0x1f, 3_600, 108_000),
        (0x28, 8_192, 245_760),
    ] {
        let v = at(level, None, None);
        assert_eq!(v.max_frame_macroblocks(), fs, "level {level:#x}");
        assert_eq!(v.max_macroblocks_per_second(), mbps, "level {level:#x}");
        // A larger max-fs/max-mbps raises the limit, a smaller one does not lower it.
        assert_eq!(
            at(level, Some(fs + 1), None).max_frame_macroblocks(),
            fs + 1
        );
        assert_eq!(at(level, Some(fs - 1), None).max_frame_macroblocks(), fs);
        let raised = at(level, None, Some(mbps + 1));
        assert_eq!(raised.max_macroblocks_per_second(), mbps + 1);
    }
}

/// One generated video line of an offer.
#[derive(Debug, Clone)]
struct GenVideo {
    port: u16,
    protocol: &'static str,
    content: Option<&'static str>,
    /// (payload type, encoding, clock, fmtp)
    formats: Vec<(u8, &'static str, u32, Option<String>)>,
    feedback: Vec<(Option<u8>, &'static str)>,
    connection: Option<&'static str>,
    direction: Option<&'static str>,
    bandwidth: Option<String>,
}

fn gen_fmtp() -> impl Strategy<Value = String> {
    let plid = prop_oneof![
        Just(None),
        prop::sample::select(vec![
            "42e01f", "428016", "42f00b", "4d401f", "640028", "64401f"
        ])
        .prop_map(|s| Some(s.to_owned())),
        "[0-9a-fA-F]{6}".prop_map(Some),
        "[0-9a-z]{0,7}".prop_map(Some),
    ];
    (
        plid,
        option::of(prop_oneof![0u8..4, Just(255)]),
        any::<bool>(),
        option::of(0u32..20_000),
    )
        .prop_map(|(plid, mode, asym, max_fs)| {
            let mut params = Vec::new();
            if let Some(p) = plid {
                params.push(format!("profile-level-id={p}"));
            }
            if let Some(m) = mode {
                params.push(format!("packetization-mode={m}"));
            }
            if asym {
                params.push("level-asymmetry-allowed=1".to_owned());
            }
            if let Some(fs) = max_fs {
                params.push(format!("max-fs={fs}"));
            }
            params.join(";")
        })
}

fn gen_video() -> impl Strategy<Value = GenVideo> {
    let format = (
        96u8..104,
        prop::sample::select(vec!["H264", "h264", "VP8", "H263-1998"]),
        prop::sample::select(vec![90_000u32, 90_000, 8000]),
        option::of(gen_fmtp()),
    );
    (
        prop::sample::select(vec![0u16, 6000, 6002]),
        prop::sample::select(vec!["RTP/AVP", "RTP/AVPF", "RTP/SAVPF"]),
        option::of(prop::sample::select(vec![
            "main",
            "slides",
            "alt",
            "slides,main",
        ])),
        vec(format, 1..4),
        vec(
            (
                option::of(96u8..104),
                prop::sample::select(vec![
                    "nack",
                    "nack pli",
                    "ccm fir",
                    "ccm tmmbr",
                    "goog-remb",
                ]),
            ),
            0..4,
        ),
        option::of(prop::sample::select(vec![
            "IN IP4 0.0.0.0",
            "IN IP4 192.0.2.77",
            "IN IP4 host.example",
        ])),
        option::of(prop::sample::select(vec![
            "sendonly", "recvonly", "inactive",
        ])),
        option::of(prop_oneof![
            (0u64..5000).prop_map(|k| format!("AS:{k}")),
            (0u64..u64::from(u32::MAX) * 2).prop_map(|b| format!("TIAS:{b}")),
        ]),
    )
        .prop_map(
            |(port, protocol, content, formats, feedback, connection, direction, bandwidth)| {
                GenVideo {
                    port,
                    protocol,
                    content,
                    formats,
                    feedback,
                    connection,
                    direction,
                    bandwidth,
                }
            },
        )
}

fn offer_text(videos: &[GenVideo]) -> String {
    let mut lines: Vec<String> = video_offer("m=audio 4002 RTP/AVP 8", &[]);
    // One audio line only, so that video line n is media line n + 1.
    lines.remove(5);
    for v in videos {
        let pts: Vec<String> = v.formats.iter().map(|f| f.0.to_string()).collect();
        lines.push(format!(
            "m=video {} {} {}",
            v.port,
            v.protocol,
            pts.join(" ")
        ));
        if let Some(c) = v.connection {
            lines.push(format!("c={c}"));
        }
        if let Some(b) = &v.bandwidth {
            lines.push(format!("b={b}"));
        }
        for (pt, encoding, clock, fmtp) in &v.formats {
            lines.push(format!("a=rtpmap:{pt} {encoding}/{clock}"));
            if let Some(f) = fmtp {
                lines.push(format!("a=fmtp:{pt} {f}"));
            }
        }
        for (pt, fb) in &v.feedback {
            let format = pt.map_or("*".to_owned(), |p| p.to_string());
            lines.push(format!("a=rtcp-fb:{format} {fb}"));
        }
        if let Some(c) = v.content {
            lines.push(format!("a=content:{c}"));
        }
        if let Some(d) = v.direction {
            lines.push(format!("a={d}"));
        }
    }
    lines.join("\r\n") + "\r\n"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Whatever the video lines, the call is answered, the answer prints valid SDP with one line
    /// per offer line and at most one accepted video line, and the offerer reading our answer
    /// agrees with what we agreed.
    #[test]
    fn generated_video_offers(videos in vec(gen_video(), 1..4)) {
        let body = offer_text(&videos);
        let offer = SessionDescription::parse(body.as_bytes()).expect("generated offer parses");
        let (sdp, audio, video) = answer_av(&offer, &with_video()).expect("audio is fine");
        prop_assert_eq!(sdp.media.len(), offer.media.len());
        let reparsed = SessionDescription::parse(&sdp.to_bytes()).expect("answer parses");
        prop_assert_eq!(&reparsed, &sdp);
        let accepted: Vec<usize> = (1..sdp.media.len()).filter(|i| sdp.media[*i].port != 0).collect();
        match &video {
            None => prop_assert!(accepted.is_empty(), "{}", body),
            Some(v) => {
                prop_assert_eq!(accepted.len(), 1, "{}", body);
                let i = accepted[0];
                prop_assert_eq!(sdp.media[i].port, VIDEO_PORT);
                prop_assert!(videos[i - 1].port != 0 && videos[i - 1].protocol != "RTP/SAVPF");
                prop_assert!(v.packetization_mode <= 1);
                prop_assert_eq!(v.profile_level_id[0], 0x42);
                prop_assert!(v.max_frame_macroblocks() >= 99);
                let offered = offer.media[i].rtpmap(v.payload_type).expect("offered type");
                prop_assert!(offered.encoding.eq_ignore_ascii_case("H264"));
                prop_assert_eq!(offered.clock_rate, 90_000);
                // The offerer reads our answer back to the same agreement.
                let (back_audio, back) = negotiate_answer_av(&offer, &reparsed).expect("readable");
                prop_assert_eq!(back_audio.payload_type, audio.payload_type);
                let back = back.expect("the offerer sees the video");
                prop_assert_eq!(back.payload_type, v.payload_type);
                prop_assert_eq!(back.packetization_mode, v.packetization_mode);
                prop_assert_eq!(back.profile_level_id, v.profile_level_id);
                prop_assert_eq!(back.feedback, v.feedback);
                prop_assert_eq!(back.max_recv_bitrate_bps, Some(2_000_000));
            }
        }
    }
}
