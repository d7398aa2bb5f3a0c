//! Codec choice with the bridge's wideband list (Opus, G.722, PCMU, PCMA): the widest codec the
//! caller offers wins whatever its place in the offer; our Opus parameters go in the answer and
//! the caller's come back in the negotiation; comfort noise is accepted with a narrowband codec.

mod sdp_samples;

use sdp_samples::*;
use sip::sdp::{answer, offer, Attribute, LocalMedia, SessionDescription};

const OUR_OPUS_FMTP: &str = "useinbandfec=1;stereo=0;sprop-stereo=0";

fn wideband() -> LocalMedia {
    let mut opus = opus();
    opus.fmtp = Some(OUR_OPUS_FMTP.into());
    LocalMedia {
        codecs: vec![opus, g722(), pcmu(), pcma()],
        comfort_noise: true,
        ..local()
    }
}

fn parse(lines: &[&str]) -> SessionDescription {
    SessionDescription::parse(&crlf(lines)).expect("sample parses")
}

fn fmtps(sdp: &SessionDescription) -> Vec<(String, String)> {
    sdp.media[0]
        .attributes
        .iter()
        .filter_map(|a| match a {
            Attribute::Fmtp(f) => Some((f.format.clone(), f.params.clone())),
            _ => None,
        })
        .collect()
}

fn offer_of(m_line: &str, extra: &[&str]) -> SessionDescription {
    let mut lines = vec![
        "v=0",
        "o=- 1 1 IN IP4 10.0.0.9",
        "s=-",
        "c=IN IP4 10.0.0.9",
        "t=0 0",
        m_line,
    ];
    lines.extend_from_slice(extra);
    parse(&lines)
}

#[test]
fn opus_wins_even_when_offered_last() {
    let o = offer_of(
        "m=audio 5000 RTP/AVP 0 8 9 111 101",
        &[
            "a=rtpmap:111 opus/48000/2",
            "a=fmtp:111 maxaveragebitrate=24000;useinbandfec=1",
            "a=rtpmap:101 telephone-event/8000",
        ],
    );
    let (sdp, neg) = answer(&o, &wideband()).unwrap();
    assert_eq!((neg.codec.as_str(), neg.payload_type), ("opus", 111));
    assert_eq!(neg.clock_rate, 48_000);
    // The caller's parameters (how it wants to receive) come back to the engine…
    assert_eq!(
        neg.fmtp.as_deref(),
        Some("maxaveragebitrate=24000;useinbandfec=1")
    );
    // …and the answer carries ours.
    assert_eq!(sdp.media[0].formats, ["111", "101"]);
    assert!(fmtps(&sdp).contains(&("111".into(), OUR_OPUS_FMTP.into())));
    // An 8000 Hz telephone-event is still taken when no 48000 Hz one is offered.
    assert_eq!(neg.telephone_event_pt, Some(101));
}

#[test]
fn g722_beats_g711_and_pcma_first_is_kept_between_equals() {
    let o = offer_of("m=audio 5000 RTP/AVP 8 0 9", &[]);
    let (_, neg) = answer(&o, &wideband()).unwrap();
    assert_eq!((neg.codec.as_str(), neg.payload_type), ("G722", 9));
    assert_eq!(neg.clock_rate, 8000);
    let o = offer_of("m=audio 5000 RTP/AVP 8 0", &[]);
    let (_, neg) = answer(&o, &wideband()).unwrap();
    assert_eq!(neg.codec, "PCMA", "the caller's order between G.711 laws");
}

#[test]
fn phones_as_they_offer() {
    // baresip lists opus first with stereo=1: we answer with our mono parameters.
    let (sdp, neg) = answer(&parse(BARESIP), &wideband()).unwrap();
    assert_eq!(neg.codec, "opus");
    assert!(fmtps(&sdp).contains(&("96".into(), OUR_OPUS_FMTP.into())));
    // linphone: opus with a 48000 Hz telephone-event, which is the one taken.
    let (_, neg) = answer(&parse(LINPHONE), &wideband()).unwrap();
    assert_eq!(
        (neg.codec.as_str(), neg.telephone_event_pt),
        ("opus", Some(100))
    );
    // Polycom: G.722 first, no opus.
    let (_, neg) = answer(&parse(POLYCOM), &wideband()).unwrap();
    assert_eq!(neg.codec, "G722");
}

#[test]
fn comfort_noise_is_accepted_with_g711_only() {
    let o = offer_of(
        "m=audio 5000 RTP/AVP 0 13 101",
        &["a=rtpmap:101 telephone-event/8000"],
    );
    let (sdp, _) = answer(&o, &wideband()).unwrap();
    assert_eq!(sdp.media[0].formats, ["0", "101", "13"]);
    // Not with Opus (CN/8000 is for an 8000 Hz clock), and not when we do not want it.
    let o = offer_of(
        "m=audio 5000 RTP/AVP 111 0 13",
        &["a=rtpmap:111 opus/48000/2"],
    );
    let (sdp, _) = answer(&o, &wideband()).unwrap();
    assert_eq!(sdp.media[0].formats, ["111"]);
    let o = offer_of("m=audio 5000 RTP/AVP 0 13", &[]);
    let (sdp, _) = answer(&o, &local()).unwrap();
    assert_eq!(sdp.media[0].formats, ["0"]);
}

#[test]
fn our_offer_lists_opus_with_its_parameters() {
    let sdp = offer(&wideband());
    assert_eq!(sdp.media[0].formats, ["96", "9", "0", "8", "101"]);
    let text = String::from_utf8(sdp.to_bytes()).unwrap();
    assert!(text.contains("a=rtpmap:96 opus/48000/2\r\n"), "{text}");
    assert!(
        text.contains(&format!("a=fmtp:96 {OUR_OPUS_FMTP}\r\n")),
        "{text}"
    );
}
