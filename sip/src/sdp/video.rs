//! H.264 video (RFC 6184 §8) in RFC 3264 offer/answer, for the bridge's one video stream.
//!
//! - Which line: the first `m=video` over RTP/AVP or RTP/AVPF with a port, preferring one labelled
//!   `a=content:main` or unlabelled over any other label (RFC 4796; a room system's second,
//!   `slides` line carries its presentation, which the bridge does not take). Every other video
//!   line is answered with port 0 by the caller.
//! - Which payload type: an `H264/90000` one whose packetization mode is 0 or 1 (mode 2,
//!   interleaved, is refused) and whose profile a Constrained Baseline encoder and decoder serve:
//!   Baseline (`42`, any constraint flags: every Baseline decoder takes our Constrained Baseline),
//!   or Main, Extended or High (`4d`, `58`, `64`) with constraint_set1 set, or Main with
//!   constraint_set0 set (RFC 6184 Table 5's spelling of Constrained Baseline). Mode 1 is
//!   preferred to mode 0; between equals the offer's order decides. A missing `profile-level-id`
//!   is `42000a` and a missing `packetization-mode` is 0 (RFC 6184 §8.1).
//! - Which level: we answer the lower of the offered level and ours. With
//!   `level-asymmetry-allowed=1` in the offer (RFC 6184 §8.2.2) we answer our own maximum instead,
//!   which is then what we receive, and echo the parameter; what we send stays bounded by the
//!   lower of the two, which is what [`NegotiatedVideo::profile_level_id`] carries either way.
//! - Level 1b: `level_idc` 11 with constraint_set3 (Baseline, Main and Extended spell it so) or
//!   `level_idc` 9 (the High profiles' spelling). It is ordered between levels 1 and 1.1 and has
//!   level 1's frame size and macroblock rate (Table A-1); an agreed 1b is written `42f00b`.
//! - Feedback: we echo those of `nack`, `nack pli` and `ccm fir` (RFC 4585, RFC 5104) that the
//!   offer lists for the chosen payload type or for `*`, written for our payload type.
//! - Bandwidth: our answer and offer carry `b=AS` (kbit/s, rounded up) and `b=TIAS` (RFC 3890,
//!   bit/s) with what we want to receive; the peer's come back in
//!   [`NegotiatedVideo::max_recv_bitrate_bps`].
//!
//! Our offer is `RTP/AVP` with `a=rtcp-fb` lines rather than `RTP/AVPF`: SIP room systems and
//! phones (Cisco, Polycom, Linphone) write it so and accept it, while some refuse an AVPF line
//! outright; a peer that knows the feedback attributes uses them either way.
//!
//! Nothing about video ever fails the exchange: an offer whose video we cannot use is answered
//! with the video at port 0 and audio alone.

use super::model::{Attribute, Bandwidth, MediaDescription, SessionDescription};
use super::offer_answer::{bridge_direction, fmtp, remote_rtp, rtpmap};
use super::{Direction, LocalVideo, NegotiatedVideo, VideoFeedback};

/// The encoding name of H.264 in `a=rtpmap` (RFC 6184 §8.1).
const H264: &str = "H264";
/// The RTP clock of every video format.
const VIDEO_CLOCK_RATE: u32 = 90_000;

const PROFILE_BASELINE: u8 = 0x42;
const PROFILE_MAIN: u8 = 0x4d;
const PROFILE_EXTENDED: u8 = 0x58;
const PROFILE_HIGH: u8 = 0x64;
/// The constraint flags in `profile_iop` (H.264 §7.4.2.1.1), most significant first.
const CONSTRAINT_SET0: u8 = 0x80;
const CONSTRAINT_SET1: u8 = 0x40;
const CONSTRAINT_SET3: u8 = 0x10;
/// What we write: constraint_set0, 1 and 2, i.e. Constrained Baseline, which conforms to
/// Baseline, Main and Extended alike.
const OUR_PROFILE_IOP: u8 = 0xe0;
/// The level of a `profile-level-id` that is not given (RFC 6184 §8.1: `42000a`, level 1).
const DEFAULT_LEVEL_IDC: u8 = 10;
/// How Baseline spells level 1b: level_idc 11 with constraint_set3.
const LEVEL_1B_IDC: u8 = 11;
/// How the High profiles spell level 1b.
const LEVEL_1B_IDC_HIGH: u8 = 9;

/// H.264 Table A-1: `level_idc`, MaxMBPS (macroblocks/s), MaxFS (macroblocks), in level order.
const TABLE_A1: [(u8, u32, u32); 19] = [
    (10, 1_485, 99),
    (11, 3_000, 396),
    (12, 6_000, 396),
    (13, 11_880, 396),
    (20, 11_880, 396),
    (21, 19_800, 792),
    (22, 20_250, 1_620),
    (30, 40_500, 1_620),
    (31, 108_000, 3_600),
    (32, 216_000, 5_120),
    (40, 245_760, 8_192),
    (41, 245_760, 8_192),
    (42, 522_240, 8_704),
    (50, 589_824, 22_080),
    (51, 983_040, 36_864),
    (52, 2_073_600, 36_864),
    (60, 4_177_920, 139_264),
    (61, 8_355_840, 139_264),
    (62, 16_711_680, 139_264),
];

/// A level's decoding limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct LevelLimits {
    /// MaxMBPS: macroblocks per second.
    pub max_mbps: u32,
    /// MaxFS: macroblocks per frame.
    pub max_fs: u32,
}

/// Table A-1's limits for a `level_idc` (with the `profile_iop` that may mark level 1b). A value
/// the table lacks takes the limits of the highest level below it (level 1 below level 1), so an
/// unknown level never promises more than a known one.
pub(super) fn level_limits(level_idc: u8, profile_iop: u8) -> LevelLimits {
    let level = Level::new(level_idc, profile_iop);
    let idc = if level.is_1b {
        DEFAULT_LEVEL_IDC
    } else {
        level.idc
    };
    let (_, max_mbps, max_fs) = TABLE_A1
        .iter()
        .rev()
        .find(|(l, _, _)| *l <= idc)
        .unwrap_or(&TABLE_A1[0]);
    LevelLimits {
        max_mbps: *max_mbps,
        max_fs: *max_fs,
    }
}

/// An H.264 level, ordered as the standard orders them (1, 1b, 1.1, 1.2, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Level {
    idc: u8,
    is_1b: bool,
}

impl Level {
    fn new(level_idc: u8, profile_iop: u8) -> Level {
        // constraint_set3 marks 1b only for Baseline, Main and Extended; a High profile with it at
        // level 11 is read as 1b too, the lower reading, so we never send more than it decodes.
        let is_1b = level_idc == LEVEL_1B_IDC_HIGH
            || (level_idc == LEVEL_1B_IDC && profile_iop & CONSTRAINT_SET3 != 0);
        Level {
            idc: level_idc,
            is_1b,
        }
    }

    /// Twice the level_idc, with 1b between 1 (20) and 1.1 (22).
    fn rank(self) -> u16 {
        if self.is_1b {
            2 * u16::from(DEFAULT_LEVEL_IDC) + 1
        } else {
            2 * u16::from(self.idc)
        }
    }

    fn min(self, other: Level) -> Level {
        if other.rank() < self.rank() {
            other
        } else {
            self
        }
    }

    /// Our Constrained Baseline `profile-level-id` at this level.
    fn ours(self) -> [u8; 3] {
        if self.is_1b {
            [
                PROFILE_BASELINE,
                OUR_PROFILE_IOP | CONSTRAINT_SET3,
                LEVEL_1B_IDC,
            ]
        } else {
            [PROFILE_BASELINE, OUR_PROFILE_IOP, self.idc]
        }
    }
}

/// The H.264 `a=fmtp` parameters offer/answer reads (RFC 6184 §8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct H264Params {
    /// `profile-level-id`, `42000a` when absent.
    profile_level_id: [u8; 3],
    /// `packetization-mode` as written; absent means 0.
    packetization_mode: Option<u8>,
    /// `level-asymmetry-allowed=1`.
    level_asymmetry_allowed: bool,
    /// `max-fs`.
    max_fs: Option<u32>,
    /// `max-mbps`.
    max_mbps: Option<u32>,
}

impl Default for H264Params {
    /// What an H.264 payload type without `a=fmtp` means.
    fn default() -> H264Params {
        H264Params {
            profile_level_id: [PROFILE_BASELINE, 0, DEFAULT_LEVEL_IDC],
            packetization_mode: None,
            level_asymmetry_allowed: false,
            max_fs: None,
            max_mbps: None,
        }
    }
}

impl H264Params {
    /// Read `name=value;…` (names without case, spaces around separators allowed). `None` when a
    /// parameter that decides whether the stream can work is unreadable (`profile-level-id` not
    /// six hex digits, `packetization-mode` not a number); an unreadable `max-fs` or `max-mbps`
    /// is only ignored. The first of repeated parameters counts.
    fn parse(params: &str) -> Option<H264Params> {
        let mut out = H264Params::default();
        let mut seen = [false; 5];
        for param in params.split(';') {
            let Some((name, value)) = param.split_once('=') else {
                continue;
            };
            let (name, value) = (name.trim(), value.trim());
            let slot = [
                "profile-level-id",
                "packetization-mode",
                "level-asymmetry-allowed",
                "max-fs",
                "max-mbps",
            ]
            .iter()
            .position(|n| name.eq_ignore_ascii_case(n));
            let Some(slot) = slot.filter(|s| !seen[*s]) else {
                continue;
            };
            seen[slot] = true;
            match slot {
                0 => out.profile_level_id = profile_level_id(value)?,
                1 => out.packetization_mode = Some(value.parse().ok()?),
                2 => out.level_asymmetry_allowed = value == "1",
                3 => out.max_fs = value.parse().ok(),
                _ => out.max_mbps = value.parse().ok(),
            }
        }
        Some(out)
    }

    fn mode(&self) -> u8 {
        self.packetization_mode.unwrap_or(0)
    }

    fn level(&self) -> Level {
        let [_, iop, level] = self.profile_level_id;
        Level::new(level, iop)
    }

    /// Whether the bridge can take this configuration: mode 0 or 1 and a profile our Constrained
    /// Baseline serves (see the module docs).
    fn usable(&self) -> bool {
        let [profile, iop, _] = self.profile_level_id;
        let profile_ok = match profile {
            PROFILE_BASELINE => true,
            PROFILE_MAIN => iop & (CONSTRAINT_SET0 | CONSTRAINT_SET1) != 0,
            PROFILE_EXTENDED | PROFILE_HIGH => iop & CONSTRAINT_SET1 != 0,
            _ => false,
        };
        profile_ok && self.mode() <= 1
    }
}

/// Six hex digits.
fn profile_level_id(value: &str) -> Option<[u8; 3]> {
    if value.len() != 6 || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let n = u32::from_str_radix(value, 16).ok()?;
    let [_, a, b, c] = n.to_be_bytes();
    Some([a, b, c])
}

fn hex(id: [u8; 3]) -> String {
    format!("{:02x}{:02x}{:02x}", id[0], id[1], id[2])
}

/// Whether a section's payload type is H.264 by its rtpmap (it has no static type).
fn is_h264(media: &MediaDescription, pt: u8) -> bool {
    media
        .rtpmap(pt)
        .is_some_and(|m| m.encoding.eq_ignore_ascii_case(H264) && m.clock_rate == VIDEO_CLOCK_RATE)
}

/// A payload type's H.264 parameters: its fmtp, else the defaults.
fn params_of(media: &MediaDescription, pt: u8) -> Option<H264Params> {
    match media.fmtp(pt) {
        Some(params) => H264Params::parse(params),
        None => Some(H264Params::default()),
    }
}

/// The offer's usable H.264 payload type: mode 1 first, else mode 0, each in the offer's order.
fn choose(media: &MediaDescription) -> Option<(u8, H264Params)> {
    let usable = || {
        media
            .payload_types()
            .filter(|pt| is_h264(media, *pt))
            .filter_map(|pt| params_of(media, pt).map(|p| (pt, p)))
            .filter(|(_, p)| p.usable())
    };
    usable()
        .find(|(_, p)| p.mode() == 1)
        .or_else(|| usable().next())
}

/// The index of the bridge's video section (see the module docs), if there is one.
pub(super) fn our_video_index(sdp: &SessionDescription) -> Option<usize> {
    let usable = |m: &MediaDescription| {
        m.is_video()
            && m.port != 0
            && (m.protocol.eq_ignore_ascii_case("RTP/AVP")
                || m.protocol.eq_ignore_ascii_case("RTP/AVPF"))
    };
    sdp.media
        .iter()
        .position(|m| usable(m) && (m.content().is_none() || m.has_content("main")))
        .or_else(|| sdp.media.iter().position(usable))
}

/// The feedback of ours a section lists for a payload type.
fn feedback(media: &MediaDescription, pt: u8) -> VideoFeedback {
    let mut fb = VideoFeedback::default();
    for value in media.rtcp_fb(pt) {
        let mut words = value.split_ascii_whitespace();
        let is =
            |word: Option<&str>, want: &str| word.is_some_and(|w| w.eq_ignore_ascii_case(want));
        let (first, second, third) = (words.next(), words.next(), words.next());
        if third.is_some() {
            continue;
        }
        if is(first, "nack") && second.is_none() {
            fb.nack = true;
        } else if is(first, "nack") && is(second, "pli") {
            fb.pli = true;
        } else if is(first, "ccm") && is(second, "fir") {
            fb.fir = true;
        }
    }
    fb
}

/// `a=rtcp-fb` lines for a payload type.
fn feedback_attributes(pt: u8, fb: VideoFeedback) -> impl Iterator<Item = Attribute> {
    [(fb.nack, "nack"), (fb.pli, "nack pli"), (fb.fir, "ccm fir")]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(move |(_, value)| {
            Attribute::RtcpFb(super::model::RtcpFb {
                format: pt.to_string(),
                value: value.to_owned(),
            })
        })
}

/// `b=AS` (kbit/s, rounded up) and `b=TIAS` (bit/s); none for 0, which would ask for no video.
fn bandwidths(bps: u32) -> Vec<Bandwidth> {
    if bps == 0 {
        return Vec::new();
    }
    vec![
        Bandwidth {
            kind: "AS".to_owned(),
            value: u64::from(bps).div_ceil(1000),
        },
        Bandwidth {
            kind: "TIAS".to_owned(),
            value: u64::from(bps),
        },
    ]
}

/// How much a peer wants to receive on a section (see [`NegotiatedVideo::max_recv_bitrate_bps`]).
fn peer_bitrate(sdp: &SessionDescription, media: &MediaDescription) -> Option<u32> {
    let either = |tias: Option<u64>, as_kbps: Option<u64>| {
        tias.filter(|v| *v > 0)
            .or(as_kbps.filter(|v| *v > 0).map(|k| k.saturating_mul(1000)))
    };
    either(media.bandwidth("TIAS"), media.bandwidth("AS"))
        .or_else(|| either(sdp.bandwidth("TIAS"), sdp.bandwidth("AS")))
        .map(|v| u32::try_from(v).unwrap_or(u32::MAX))
}

/// Our video section of an answer, its index in the offer, and what it agrees.
pub(super) struct VideoAnswer {
    /// Index of the offer's video line we answer.
    pub index: usize,
    /// Our answer's section for it.
    pub media: MediaDescription,
    /// What was agreed.
    pub negotiated: NegotiatedVideo,
}

/// Answer the offer's video, if it has some we can use (RFC 3264 §6, RFC 6184 §8.2.2).
pub(super) fn answer_video(offer: &SessionDescription, local: &LocalVideo) -> Option<VideoAnswer> {
    let index = our_video_index(offer)?;
    let offered = &offer.media[index];
    let (pt, params) = choose(offered)?;
    // A video line we cannot send to (a host name, no c=) costs the video, not the call.
    let remote = remote_rtp(offer, offered).ok()?;
    let direction = bridge_direction(offer.media_direction(offered), offered, remote);

    let ours = Level::new(local.max_level_idc, OUR_PROFILE_IOP);
    let send = params.level().min(ours);
    let answered = if params.level_asymmetry_allowed {
        ours
    } else {
        send
    };
    let mode = params.mode();
    let mut our_params = format!(
        "profile-level-id={};packetization-mode={mode}",
        hex(answered.ours())
    );
    if params.level_asymmetry_allowed {
        our_params.push_str(";level-asymmetry-allowed=1");
    }
    let fb = feedback(offered, pt);

    let mut media = MediaDescription::new("video", local.port, &offered.protocol, vec![]);
    media.formats.push(pt.to_string());
    media.bandwidths = bandwidths(local.max_recv_bitrate_bps);
    media.attributes.push(rtpmap(pt, H264, VIDEO_CLOCK_RATE, 1));
    media.attributes.push(fmtp(pt, &our_params));
    media.attributes.extend(feedback_attributes(pt, fb));
    if let Some(content) = offered.content() {
        // RFC 4796 §5: the answer may label its stream; the room system's own label reads best.
        media.attributes.push(Attribute::Other {
            name: "content".to_owned(),
            value: Some(content.to_owned()),
        });
    }
    media.attributes.push(Attribute::Direction(direction));

    let negotiated = NegotiatedVideo {
        remote_rtp: remote,
        payload_type: pt,
        packetization_mode: mode,
        profile_level_id: send.ours(),
        max_fs: params.max_fs,
        max_mbps: params.max_mbps,
        max_recv_bitrate_bps: peer_bitrate(offer, offered),
        feedback: fb,
        direction,
    };
    Some(VideoAnswer {
        index,
        media,
        negotiated,
    })
}

/// Our offer's video section: H.264 packetization mode 1 at `pts[0]`, mode 0 at `pts[1]`, both
/// Constrained Baseline at our level with level asymmetry allowed, with feedback and bandwidth.
pub(super) fn offer_video(local: &LocalVideo, pts: [u8; 2]) -> MediaDescription {
    let level = Level::new(local.max_level_idc, OUR_PROFILE_IOP);
    let all = VideoFeedback {
        nack: true,
        pli: true,
        fir: true,
    };
    let mut media = MediaDescription::new("video", local.port, "RTP/AVP", Vec::new());
    media.bandwidths = bandwidths(local.max_recv_bitrate_bps);
    for (pt, mode) in [(pts[0], 1), (pts[1], 0)] {
        media.formats.push(pt.to_string());
        media.attributes.push(rtpmap(pt, H264, VIDEO_CLOCK_RATE, 1));
        let params = format!(
            "profile-level-id={};packetization-mode={mode};level-asymmetry-allowed=1",
            hex(level.ours())
        );
        media.attributes.push(fmtp(pt, &params));
        media.attributes.extend(feedback_attributes(pt, all));
    }
    media
        .attributes
        .push(Attribute::Direction(Direction::SendRecv));
    media
}

/// Read the peer's answer to our video (RFC 3264 §5.2, §6): its section at the index of ours,
/// its first payload type that we offered as H.264 and it describes usably. `None` when the
/// answer refused the video or agreed nothing we can use.
pub(super) fn negotiate_video(
    our_offer: &SessionDescription,
    answer: &SessionDescription,
) -> Option<NegotiatedVideo> {
    let index = our_video_index(our_offer)?;
    let ours = &our_offer.media[index];
    let theirs = answer
        .media
        .get(index)
        .filter(|m| m.is_video() && m.port != 0)?;
    let (pt, our_params, their_params) = theirs.payload_types().find_map(|pt| {
        let offered = ours.payload_types().any(|p| p == pt) && is_h264(ours, pt);
        // The answer may leave the rtpmap out (the offer's numbering applies), not change it.
        let same_format = theirs.rtpmap(pt).is_none() || is_h264(theirs, pt);
        if !offered || !same_format {
            return None;
        }
        let our_params = params_of(ours, pt)?;
        let mut their_params = params_of(theirs, pt)?;
        // The payload type names the mode we offered it with, when the answer does not say.
        if their_params.packetization_mode.is_none() {
            their_params.packetization_mode = our_params.packetization_mode;
        }
        their_params
            .usable()
            .then_some((pt, our_params, their_params))
    })?;
    let remote = remote_rtp(answer, theirs).ok()?;
    let direction = bridge_direction(answer.media_direction(theirs), theirs, remote);
    // Without asymmetry the answer's level is the common one (at most ours); with it, the
    // answer's is what the peer receives, and we still send at most our own.
    let send = their_params.level().min(our_params.level());
    Some(NegotiatedVideo {
        remote_rtp: remote,
        payload_type: pt,
        packetization_mode: their_params.mode(),
        profile_level_id: send.ours(),
        max_fs: their_params.max_fs,
        max_mbps: their_params.max_mbps,
        max_recv_bitrate_bps: peer_bitrate(answer, theirs),
        feedback: feedback(theirs, pt),
        direction,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fmtp_parameters() {
        let p = H264Params::parse(
            "profile-level-id=42E01F; packetization-mode=1;max-mbps=108000;max-fs=3600;\
             level-asymmetry-allowed=1;sprop-parameter-sets=Z0IAH5WoFAFuQA==,aM48gA==",
        )
        .unwrap();
        assert_eq!(p.profile_level_id, [0x42, 0xe0, 0x1f]);
        assert_eq!(p.packetization_mode, Some(1));
        assert!(p.level_asymmetry_allowed);
        assert_eq!((p.max_fs, p.max_mbps), (Some(3600), Some(108_000)));
        // Defaults and the first of repeated parameters.
        let p = H264Params::parse("packetization-mode=0;packetization-mode=1").unwrap();
        assert_eq!(p.profile_level_id, [0x42, 0x00, 0x0a]);
        assert_eq!(p.mode(), 0);
        assert_eq!(H264Params::parse("").unwrap(), H264Params::default());
        // What decides usability must be readable; what only bounds may be ignored.
        assert_eq!(H264Params::parse("profile-level-id=42e01"), None);
        assert_eq!(H264Params::parse("profile-level-id=+2e01f"), None);
        assert_eq!(H264Params::parse("packetization-mode=one"), None);
        assert_eq!(H264Params::parse("max-fs=big").unwrap().max_fs, None);
        assert!(
            !H264Params::parse("level-asymmetry-allowed=0")
                .unwrap()
                .level_asymmetry_allowed
        );
    }

    #[test]
    fn usable_profiles_and_modes() {
        let usable = |s: &str| H264Params::parse(s).unwrap().usable();
        assert!(usable("profile-level-id=42e01f;packetization-mode=1"));
        assert!(usable("profile-level-id=428016"), "plain Baseline");
        assert!(
            usable("profile-level-id=4d401f"),
            "Main with constraint_set1"
        );
        assert!(
            usable("profile-level-id=4d801f"),
            "Main with constraint_set0"
        );
        assert!(usable("profile-level-id=58c01f"), "Extended, CB flags");
        assert!(
            usable("profile-level-id=64401f"),
            "High with constraint_set1"
        );
        assert!(!usable("profile-level-id=4d001f"), "plain Main");
        assert!(!usable("profile-level-id=640028"), "plain High");
        assert!(
            !usable("profile-level-id=64801f"),
            "High, constraint_set0 only"
        );
        assert!(!usable("profile-level-id=f4001f"), "High 4:4:4");
        assert!(!usable("profile-level-id=42e01f;packetization-mode=2"));
        assert!(!usable("profile-level-id=42e01f;packetization-mode=3"));
    }

    #[test]
    fn level_order_and_1b() {
        let l = |idc, iop| Level::new(idc, iop);
        assert_eq!(l(0x0b, 0xf0).rank(), 21, "1b by constraint_set3");
        assert_eq!(l(0x09, 0x00).rank(), 21, "1b by level_idc 9");
        assert!(l(0x0a, 0xe0).rank() < l(0x0b, 0xf0).rank());
        assert!(l(0x0b, 0xf0).rank() < l(0x0b, 0xe0).rank());
        assert_eq!(l(0x1f, 0xe0).min(l(0x16, 0x80)), l(0x16, 0x80));
        assert_eq!(l(0x1f, 0xe0).min(l(0x0b, 0xf0)).ours(), [0x42, 0xf0, 0x0b]);
        assert_eq!(l(0x28, 0).min(l(0x1f, 0xe0)).ours(), [0x42, 0xe0, 0x1f]);
    }

    #[test]
    fn table_a1_limits() {
        let fs = |idc, iop| level_limits(idc, iop).max_fs;
        let mbps = |idc, iop| level_limits(idc, iop).max_mbps;
        assert_eq!((fs(10, 0xe0), mbps(10, 0xe0)), (99, 1_485));
        assert_eq!((fs(11, 0xf0), mbps(11, 0xf0)), (99, 1_485), "1b");
        assert_eq!((fs(11, 0xe0), mbps(11, 0xe0)), (396, 3_000), "1.1");
        assert_eq!((fs(22, 0xe0), mbps(22, 0xe0)), (1_620, 20_250));
        assert_eq!((fs(30, 0xe0), mbps(30, 0xe0)), (1_620, 40_500));
        assert_eq!((fs(31, 0xe0), mbps(31, 0xe0)), (3_600, 108_000));
        assert_eq!((fs(40, 0xe0), mbps(40, 0xe0)), (8_192, 245_760));
        assert_eq!((fs(52, 0xe0), mbps(52, 0xe0)), (36_864, 2_073_600));
        // Values the table lacks take the level below.
        assert_eq!(fs(15, 0xe0), 396);
        assert_eq!(fs(0, 0xe0), 99);
        assert_eq!(fs(255, 0xe0), 139_264);
    }

    #[test]
    fn feedback_words() {
        let mut m = MediaDescription::new("video", 5000, "RTP/AVP", vec!["97".into()]);
        for (format, value) in [
            ("97", "nack"),
            ("98", "ccm fir"),
            ("*", "NACK  PLI"),
            ("97", "nack sli"),
            ("97", "ccm fir extra"),
            ("97", "goog-remb"),
        ] {
            m.attributes.push(Attribute::RtcpFb(super::super::RtcpFb {
                format: format.into(),
                value: value.into(),
            }));
        }
        let fb = feedback(&m, 97);
        assert!(fb.nack && fb.pli && !fb.fir, "{fb:?}");
        assert!(feedback(&m, 98).fir);
    }

    #[test]
    fn bandwidth_lines_round_up() {
        let b = bandwidths(1_500_001);
        assert_eq!((b[0].kind.as_str(), b[0].value), ("AS", 1501));
        assert_eq!((b[1].kind.as_str(), b[1].value), ("TIAS", 1_500_001));
        assert!(bandwidths(0).is_empty());
    }
}
