//! RFC 3264 offer/answer for the bridge's one audio stream, and the video stream around it (the
//! H.264 rules themselves are in the `video` module).
//!
//! - [`answer`]: §6. The first audio `m=` line over RTP/AVP or RTP/AVPF is ours (the first with a
//!   port, when an earlier one was disabled, §8.2); every other line is rejected with port 0 and
//!   its formats). The offered codec of ours with the widest audio wins (Opus, then G.722, then
//!   G.711: wideband wherever the caller can do it); between equals (PCMU and PCMA) the offer's
//!   order decides; telephone-event (RFC 4733) is kept at the offer's payload type, and RFC 3389 comfort
//!   noise (`CN/8000`, static type 13) is accepted when offered with an 8000 Hz codec, so that a
//!   phone with voice activity detection may go quiet instead of sending silence. The direction
//!   is the §6.1 mirror. A codec of ours with its own [`CodecSpec::fmtp`] answers with those
//!   parameters (what we want to receive); otherwise the offer's are echoed. The offer's
//!   parameters for the chosen type are returned in [`NegotiatedAudio::fmtp`]: they say how the
//!   peer wants to receive (Opus bit rate, FEC, DTX).
//! - [`offer`]: §5 for an INVITE that came without SDP.
//! - [`negotiate_answer`]: §5.2/§6 read from the offerer's side; answer lines match offer lines by
//!   index.
//! - [`answer_av`], [`negotiate_answer_av`]: the same with the video stream's outcome too; the
//!   audio-only functions are these without it.
//!
//! Hold (§8.4): a `sendonly`/`inactive` offer is mirrored; the RFC 2543 style `c=0.0.0.0` (and a port
//! of 0) leaves the bridge nowhere to send, so `remote_rtp` is `None` and the bridge's direction
//! loses its sending half. An offered port of 0 is answered with port 0 (§6) and `inactive`.

use std::net::SocketAddr;

use super::model::{addr_type, Attribute, Connection, Fmtp, MediaDescription, Origin, Rtpmap};
use super::video;
use super::{
    CodecSpec, Direction, LocalMedia, NegotiatedAudio, NegotiatedVideo, ParseError, ParseErrorKind,
    SdpError, SessionDescription,
};

/// Packet time when the peer states none (RFC 3551 §4.2: the default interval is 20 ms).
const DEFAULT_PTIME_MS: u32 = 20;
/// Packet times outside this range are treated as unstated: no phone means them, and the mixer
/// paces on 20 ms.
const PTIME_RANGE_MS: std::ops::RangeInclusive<u32> = 10..=200;
/// Where we put telephone-event in our own offers (the common choice, so logs read familiarly).
const OFFER_TELEPHONE_EVENT_PT: u8 = 101;
/// The events we offer: DTMF 0–9 * # A–D (0–15) and flash (16), RFC 4733's event codes.
const OFFER_TELEPHONE_EVENT_FMTP: &str = "0-16";
/// The events we accept when the offer lists none (RFC 4733's default: the DTMF events).
const DEFAULT_TELEPHONE_EVENT_FMTP: &str = "0-15";
const TELEPHONE_EVENT: &str = "telephone-event";
/// RFC 3389 comfort noise.
const COMFORT_NOISE: &str = "CN";
/// The static payload type of comfort noise at 8000 Hz (RFC 3551 table 4).
const COMFORT_NOISE_PT: u8 = 13;
/// First dynamic payload type (RFC 3551 §3).
const FIRST_DYNAMIC_PT: u8 = 96;

/// A format as resolved from `a=rtpmap` or the static table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Format<'a> {
    name: &'a str,
    clock_rate: u32,
    channels: u8,
}

impl Format<'_> {
    fn is_telephone_event(&self) -> bool {
        self.name.eq_ignore_ascii_case(TELEPHONE_EVENT)
    }

    fn is_cn(&self) -> bool {
        self.name.eq_ignore_ascii_case(COMFORT_NOISE) && self.clock_rate == 8000
    }

    fn matches(&self, codec: &CodecSpec) -> bool {
        self.name.eq_ignore_ascii_case(&codec.name)
            && self.clock_rate == codec.clock_rate
            && self.channels == codec.channels.max(1)
    }
}

/// The static audio payload types of RFC 3551 §6 table 4, so that e.g. `m=audio … 0 8 9` works
/// without rtpmap lines, as RFC 3551 allows.
fn static_format(pt: u8) -> Option<Format<'static>> {
    let (name, clock_rate, channels) = match pt {
        0 => ("PCMU", 8000, 1),
        3 => ("GSM", 8000, 1),
        4 => ("G723", 8000, 1),
        5 => ("DVI4", 8000, 1),
        6 => ("DVI4", 16000, 1),
        7 => ("LPC", 8000, 1),
        8 => ("PCMA", 8000, 1),
        9 => ("G722", 8000, 1),
        10 => ("L16", 44100, 2),
        11 => ("L16", 44100, 1),
        12 => ("QCELP", 8000, 1),
        13 => ("CN", 8000, 1),
        14 => ("MPA", 90000, 1),
        15 => ("G728", 8000, 1),
        16 => ("DVI4", 11025, 1),
        17 => ("DVI4", 22050, 1),
        18 => ("G729", 8000, 1),
        _ => return None,
    };
    Some(Format {
        name,
        clock_rate,
        channels,
    })
}

/// A payload type's format in a section: its rtpmap, else the static table.
fn format_of(media: &MediaDescription, pt: u8) -> Option<Format<'_>> {
    match media.rtpmap(pt) {
        Some(map) => Some(Format {
            name: &map.encoding,
            clock_rate: map.clock_rate,
            channels: map.channels.unwrap_or(1),
        }),
        None => static_format(pt),
    }
}

/// The index of the audio section the bridge takes: the first audio one over plain RTP/AVP(F)
/// with a port, else the first such one at all. A re-offer that disabled an audio line (port 0,
/// RFC 3264 §8.2) and added a new one further down means the new one.
fn our_audio_index(sdp: &SessionDescription) -> Option<usize> {
    let usable = |m: &MediaDescription| {
        m.is_audio()
            && (m.protocol.eq_ignore_ascii_case("RTP/AVP")
                || m.protocol.eq_ignore_ascii_case("RTP/AVPF"))
    };
    sdp.media
        .iter()
        .position(|m| usable(m) && m.port != 0)
        .or_else(|| sdp.media.iter().position(usable))
}

/// Where to send RTP: `None` for a disabled stream or the `0.0.0.0` hold address.
pub(super) fn remote_rtp(
    sdp: &SessionDescription,
    media: &MediaDescription,
) -> Result<Option<SocketAddr>, SdpError> {
    if media.port == 0 {
        return Ok(None);
    }
    let malformed = |kind| SdpError::Malformed(ParseError::new(0, kind));
    let connection = sdp
        .media_connection(media)
        .ok_or(malformed(ParseErrorKind::MissingConnection))?;
    let ip = connection
        .ip()
        .ok_or(malformed(ParseErrorKind::ConnectionAddress))?;
    Ok((!ip.is_unspecified()).then_some(SocketAddr::new(ip, media.port)))
}

/// The packet time a peer asks for: its `a=ptime` capped by its `a=maxptime`, else 20 ms.
fn ptime_of(sdp: &SessionDescription, media: &MediaDescription) -> u32 {
    let mut ptime = sdp.media_ptime(media).unwrap_or(DEFAULT_PTIME_MS);
    if let Some(max) = media.maxptime().filter(|max| PTIME_RANGE_MS.contains(max)) {
        ptime = ptime.min(max);
    }
    if PTIME_RANGE_MS.contains(&ptime) {
        ptime
    } else {
        DEFAULT_PTIME_MS
    }
}

/// The bridge's direction, given the peer's, and whether the bridge has somewhere to send.
pub(super) fn bridge_direction(
    peer: Direction,
    media: &MediaDescription,
    remote: Option<SocketAddr>,
) -> Direction {
    if media.port == 0 {
        Direction::Inactive
    } else if remote.is_none() {
        peer.mirror().without_send()
    } else {
        peer.mirror()
    }
}

/// The audio sample rate a codec carries, to rank codecs: Opus (48 kHz whatever its clock),
/// G.722 (16 kHz on an 8000 Hz clock), else the clock rate.
fn audio_bandwidth(codec: &CodecSpec) -> u32 {
    if codec.name.eq_ignore_ascii_case("opus") {
        48_000
    } else if codec.name.eq_ignore_ascii_case("G722") {
        16_000
    } else {
        codec.clock_rate
    }
}

/// Pick the telephone-event payload type of a section: one at `clock_rate` if there is one
/// (RFC 4733 asks for the audio's clock), else the first at any rate, since a DTMF-driven IVR
/// without DTMF is worse than a clock mismatch the receiver can rescale.
fn telephone_event_pt(events: &[(u8, u32)], clock_rate: u32) -> Option<u8> {
    events
        .iter()
        .find(|(_, rate)| *rate == clock_rate)
        .or(events.first())
        .map(|(pt, _)| *pt)
}

/// A new description with our `o=`, `s=-`, `c=` and `t=0 0`.
fn skeleton(local: &LocalMedia) -> SessionDescription {
    let mut sdp = SessionDescription::new(Origin {
        username: "-".to_owned(),
        session_id: local.session_id.to_string(),
        session_version: local.session_version.to_string(),
        net_type: "IN".to_owned(),
        addr_type: addr_type(local.address).to_owned(),
        address: local.address.to_string(),
    });
    sdp.connection = Some(Connection::from_ip(local.address));
    sdp
}

pub(super) fn rtpmap(payload_type: u8, encoding: &str, clock_rate: u32, channels: u8) -> Attribute {
    Attribute::Rtpmap(Rtpmap {
        payload_type,
        encoding: encoding.to_owned(),
        clock_rate,
        // Channels are written only when not 1, as RFC 4566 §6 suggests.
        channels: (channels > 1).then_some(channels),
    })
}

pub(super) fn fmtp(payload_type: u8, params: &str) -> Attribute {
    Attribute::Fmtp(Fmtp {
        format: payload_type.to_string(),
        params: params.to_owned(),
    })
}

/// Answer an offer (RFC 3264 §6): [`answer_av`] without the video's outcome.
///
/// With `local.video` set to `None` (every caller that predates video) every video line is
/// answered with port 0. With video capabilities set, the answer accepts video as
/// [`answer_av`] does, but only [`answer_av`] says what was agreed, so use that.
pub fn answer(
    offer: &SessionDescription,
    local: &LocalMedia,
) -> Result<(SessionDescription, NegotiatedAudio), SdpError> {
    answer_av(offer, local).map(|(sdp, audio, _)| (sdp, audio))
}

/// Answer an offer (RFC 3264 §6) with audio and, when `local.video` is set and the offer has a
/// usable H.264 video line, video (see the `video` module docs for the rules). Errors are the
/// audio's only: video we cannot use is answered with port 0 and `None`, never a failure.
pub fn answer_av(
    offer: &SessionDescription,
    local: &LocalMedia,
) -> Result<(SessionDescription, NegotiatedAudio, Option<NegotiatedVideo>), SdpError> {
    let index = our_audio_index(offer).ok_or(SdpError::NoAudio)?;
    let offered = &offer.media[index];

    // The widest audio wins (RFC 3264 §6.1 lets the answerer choose): Opus, then G.722, then
    // the narrowband codecs; between codecs of the same bandwidth (PCMU and PCMA) the offer's
    // order does, as phones expect. The choice depends only on the offer, so a re-INVITE
    // repeating it keeps the codec.
    let mut best: Option<(u8, Format<'_>, &CodecSpec)> = None;
    for pt in offered.payload_types() {
        let Some(f) = format_of(offered, pt).filter(|f| !f.is_telephone_event()) else {
            continue;
        };
        let Some(c) = local.codecs.iter().find(|c| f.matches(c)) else {
            continue;
        };
        if best.is_none_or(|(_, _, b)| audio_bandwidth(c) > audio_bandwidth(b)) {
            best = Some((pt, f, c));
        }
    }
    let (pt, format, codec) = best.ok_or(SdpError::NoCommonCodec)?;

    let event_pt = if local.telephone_event {
        let events: Vec<(u8, u32)> = offered
            .payload_types()
            .filter_map(|pt| format_of(offered, pt).map(|f| (pt, f)))
            .filter(|(_, f)| f.is_telephone_event())
            .map(|(pt, f)| (pt, f.clock_rate))
            .collect();
        telephone_event_pt(&events, format.clock_rate)
    } else {
        None
    };

    let remote = remote_rtp(offer, offered)?;
    let direction = bridge_direction(offer.media_direction(offered), offered, remote);
    let ptime = ptime_of(offer, offered);

    let port = if offered.port == 0 {
        0
    } else {
        local.audio_port
    };
    let mut formats = vec![pt.to_string()];
    let mut ours = MediaDescription::new("audio", port, &offered.protocol, Vec::new());
    ours.attributes
        .push(rtpmap(pt, &codec.name, format.clock_rate, format.channels));
    // Our own parameters when we have some (Opus: what we want to receive); otherwise echo the
    // offer's, which for most codecs describe the stream both ways (iLBC mode…).
    if let Some(params) = codec.fmtp.as_deref().or(offered.fmtp(pt)) {
        ours.attributes.push(fmtp(pt, params));
    }
    if let Some(event_pt) = event_pt {
        let clock_rate = format_of(offered, event_pt).map_or(8000, |f| f.clock_rate);
        formats.push(event_pt.to_string());
        ours.attributes
            .push(rtpmap(event_pt, TELEPHONE_EVENT, clock_rate, 1));
        let params = offered
            .fmtp(event_pt)
            .filter(|p| !p.is_empty())
            .unwrap_or(DEFAULT_TELEPHONE_EVENT_FMTP);
        ours.attributes.push(fmtp(event_pt, params));
    }
    let comfort_noise = local.comfort_noise
        && format.clock_rate == 8000
        && offered
            .payload_types()
            .any(|pt| pt == COMFORT_NOISE_PT && format_of(offered, pt).is_some_and(|f| f.is_cn()));
    if comfort_noise {
        formats.push(COMFORT_NOISE_PT.to_string());
        ours.attributes
            .push(rtpmap(COMFORT_NOISE_PT, COMFORT_NOISE, 8000, 1));
    }
    ours.formats = formats;
    ours.attributes.push(Attribute::Ptime(ptime));
    ours.attributes.push(Attribute::Direction(direction));

    let video = local
        .video
        .as_ref()
        .and_then(|v| video::answer_video(offer, v));
    let mut sdp = skeleton(local);
    let mut ours = Some(ours);
    let mut our_video = video.as_ref().map(|v| (v.index, v.media.clone()));
    sdp.media = offer
        .media
        .iter()
        .enumerate()
        .map(|(i, m)| {
            if i == index {
                ours.take()
            } else if our_video.as_ref().is_some_and(|(vi, _)| *vi == i) {
                our_video.take().map(|(_, media)| media)
            } else {
                None
            }
            .unwrap_or_else(|| MediaDescription::new(&m.media, 0, &m.protocol, m.formats.clone()))
        })
        .collect();

    let negotiated = NegotiatedAudio {
        remote_rtp: remote,
        codec: codec.name.clone(),
        payload_type: pt,
        fmtp: offered.fmtp(pt).map(str::to_owned),
        clock_rate: format.clock_rate,
        telephone_event_pt: event_pt,
        ptime_ms: ptime,
        direction,
    };
    Ok((sdp, negotiated, video.map(|v| v.negotiated)))
}

/// The lowest dynamic payload type not yet used, marked used; `None` when all 32 are taken.
fn next_dynamic_pt(used: &mut [bool; 128]) -> Option<u8> {
    let pt = (FIRST_DYNAMIC_PT..=127).find(|pt| !used[usize::from(*pt)])?;
    used[usize::from(pt)] = true;
    Some(pt)
}

/// Our offer, for an INVITE that had no SDP (RFC 3264 §5): our codecs in our order at their static
/// payload types (dynamic ones from 96), telephone-event at 101, `a=ptime:20`, `a=sendrecv`; then,
/// when `local.video` is set, an `m=video` line with H.264 at the next two free dynamic payload
/// types (packetization mode 1, then 0; see the `video` module docs).
pub fn offer(local: &LocalMedia) -> SessionDescription {
    let mut used = [false; 128];
    if local.telephone_event {
        used[usize::from(OFFER_TELEPHONE_EVENT_PT)] = true;
    }
    let mut media = MediaDescription::new("audio", local.audio_port, "RTP/AVP", Vec::new());
    for codec in &local.codecs {
        let pt = match codec
            .static_pt
            .filter(|pt| *pt <= 127 && !used[usize::from(*pt)])
        {
            Some(pt) => pt,
            // 32 dynamic codecs: the rest cannot be offered, and no phone would want them.
            None => match next_dynamic_pt(&mut used) {
                Some(pt) => pt,
                None => continue,
            },
        };
        used[usize::from(pt)] = true;
        media.formats.push(pt.to_string());
        media
            .attributes
            .push(rtpmap(pt, &codec.name, codec.clock_rate, codec.channels));
        if let Some(params) = &codec.fmtp {
            media.attributes.push(fmtp(pt, params));
        }
    }
    if local.telephone_event {
        let pt = OFFER_TELEPHONE_EVENT_PT;
        media.formats.push(pt.to_string());
        media.attributes.push(rtpmap(pt, TELEPHONE_EVENT, 8000, 1));
        media.attributes.push(fmtp(pt, OFFER_TELEPHONE_EVENT_FMTP));
    }
    media.attributes.push(Attribute::Ptime(DEFAULT_PTIME_MS));
    media
        .attributes
        .push(Attribute::Direction(Direction::SendRecv));
    let mut sdp = skeleton(local);
    sdp.media.push(media);
    if let Some(video) = &local.video {
        // Video payload types differ from the audio's so that a log of mixed packets reads
        // unambiguously; when the audio took every dynamic type, 96 and 97 are reused, which is
        // legal since each m= line is its own RTP session with its own numbering.
        let first = next_dynamic_pt(&mut used).unwrap_or(FIRST_DYNAMIC_PT);
        let second = next_dynamic_pt(&mut used).unwrap_or(if first == FIRST_DYNAMIC_PT {
            FIRST_DYNAMIC_PT + 1
        } else {
            FIRST_DYNAMIC_PT
        });
        sdp.media.push(video::offer_video(video, [first, second]));
    }
    sdp
}

/// Read the peer's answer to our offer (RFC 3264 §5.2, §6): the answer's `m=` line at the index
/// of our audio line, its first codec that we offered, its telephone-event if we offered one.
pub fn negotiate_answer(
    our_offer: &SessionDescription,
    answer: &SessionDescription,
) -> Result<NegotiatedAudio, SdpError> {
    let index = our_audio_index(our_offer).ok_or(SdpError::NoAudio)?;
    let ours = &our_offer.media[index];
    let theirs = answer
        .media
        .get(index)
        .filter(|m| m.is_audio() && m.port != 0)
        .ok_or(SdpError::NoAudio)?;

    // An answer may leave out rtpmap lines for payload types it took from the offer; the offer's
    // mapping then applies (RFC 3264 §6.1: the answer SHOULD use the offer's numbering).
    let resolve = |pt| format_of(theirs, pt).or_else(|| format_of(ours, pt));
    let offered_formats: Vec<Format<'_>> = ours
        .payload_types()
        .filter_map(|pt| format_of(ours, pt))
        .collect();
    let (pt, chosen) = theirs
        .payload_types()
        .filter_map(|pt| resolve(pt).map(|f| (pt, f)))
        .filter(|(_, f)| !f.is_telephone_event())
        .find_map(|(pt, f)| {
            offered_formats
                .iter()
                .find(|o| o.name.eq_ignore_ascii_case(f.name) && o.clock_rate == f.clock_rate)
                .map(|o| (pt, *o))
        })
        .ok_or(SdpError::NoCommonCodec)?;

    let we_offered_events = offered_formats.iter().any(Format::is_telephone_event);
    let event_pt = if we_offered_events {
        let events: Vec<(u8, u32)> = theirs
            .payload_types()
            .filter_map(|pt| resolve(pt).map(|f| (pt, f)))
            .filter(|(_, f)| f.is_telephone_event())
            .map(|(pt, f)| (pt, f.clock_rate))
            .collect();
        telephone_event_pt(&events, chosen.clock_rate)
    } else {
        None
    };

    let remote = remote_rtp(answer, theirs)?;
    Ok(NegotiatedAudio {
        remote_rtp: remote,
        codec: chosen.name.to_owned(),
        payload_type: pt,
        fmtp: theirs.fmtp(pt).map(str::to_owned),
        clock_rate: chosen.clock_rate,
        telephone_event_pt: event_pt,
        ptime_ms: ptime_of(answer, theirs),
        direction: bridge_direction(answer.media_direction(theirs), theirs, remote),
    })
}

/// Read the peer's answer to our offer: the audio as [`negotiate_answer`] does (its errors are
/// the result's), and the video, `None` when we offered none or the answer refused it or agreed
/// nothing usable.
pub fn negotiate_answer_av(
    our_offer: &SessionDescription,
    answer: &SessionDescription,
) -> Result<(NegotiatedAudio, Option<NegotiatedVideo>), SdpError> {
    let audio = negotiate_answer(our_offer, answer)?;
    Ok((audio, video::negotiate_video(our_offer, answer)))
}
