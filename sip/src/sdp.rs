//! SDP (RFC 4566): the session model, a nom parser and a printer; RFC 3264 offer/answer for audio
//! and H.264 video (RFC 6184 §8).
//!
//! - [`SessionDescription`] models every line of RFC 4566 §5 (`v o s i u e p c b t r z k a` and media
//!   sections with `m i c b k a`). Attributes the bridge uses are typed ([`Attribute`]: `rtpmap`,
//!   `fmtp`, `ptime`, `maxptime`, the four direction attributes of RFC 3264 §6.1, `rtcp` of RFC 3605,
//!   `rtcp-mux` of RFC 5761, `rtcp-fb` of RFC 4585); every other attribute (`content`, `framerate`,
//!   `imageattr`, …) is kept verbatim, so printing loses nothing.
//! - [`SessionDescription::parse`] reads untrusted bytes; it never panics and its work is bounded by
//!   the limits below. [`SessionDescription::to_bytes`] prints with CRLF line ends in RFC 4566 order.
//! - [`answer`], [`offer`] and [`negotiate_answer`] are RFC 3264 §5–§6 from the bridge's side, for the
//!   one audio stream the bridge mixes; [`answer_av`] and [`negotiate_answer_av`] add the one video
//!   stream it composes ([`LocalVideo`] in, [`NegotiatedVideo`] out), and [`offer`] offers video
//!   when [`LocalMedia::video`] is set.
//!
//! # Leniency (what real phones send, and what we accept)
//!
//! Lenient, because rejecting the SDP rejects the call:
//! - line ends may be CRLF, bare LF or bare CR; empty lines and whitespace around a line are ignored;
//! - bytes that are not UTF-8 (old phones writing `s=` in Latin-1) are replaced with U+FFFD;
//! - session-level lines may come in any order (RFC 4566 §5 fixes one; some stacks put `c=` after
//!   `t=` or `a=` before it); the printer restores the RFC order;
//! - a missing `s=` reads as `s=-`, a missing `t=` as `t=0 0` (neither is used by offer/answer);
//! - `o=` may carry a user name with spaces, and session id/version that are not 64-bit numbers
//!   (they are kept as text: we only ever compare them);
//! - a known attribute whose value does not parse (`a=ptime:abc`, an `rtpmap` whose payload type is
//!   above 127) is kept as [`Attribute::Other`] and so ignored by negotiation instead of failing.
//!
//! Strict, because a mistake here sends media to the wrong place or in the wrong format:
//! - the body must start with `v=0` and have one `o=` with its six fields;
//! - `m=` lines: a media token, a port 0–65535 (and an optional `/count` ≥ 1), a protocol, at least
//!   one format; under an RTP protocol every format is a payload type 0–127;
//! - `c=` has exactly three fields, `b=` is `<type>:<number>`, `t=` two numbers;
//! - a type letter RFC 4566 does not define makes the whole body malformed (RFC 4566 §5: the letters
//!   are not extensible), as does a session-only letter (`o=`, `t=`, …) inside a media section, a
//!   second `v o s i u c z k` at session level, or a second `i k` in one media section.

mod model;
mod offer_answer;
mod parse;
mod print;
mod video;

pub use model::{
    Attribute, Bandwidth, Connection, Fmtp, MediaDescription, Origin, Rtcp, RtcpFb, Rtpmap,
    SessionDescription, Timing,
};
pub use offer_answer::{answer, answer_av, negotiate_answer, negotiate_answer_av, offer};

use std::fmt;
use std::net::{IpAddr, SocketAddr};

/// Largest SDP body we parse, both as received and as it would print (a UDP datagram cannot carry
/// more; anything larger is not a phone).
pub const MAX_SDP_BYTES: usize = 65_536;
/// Most `m=` sections in one body.
pub const MAX_MEDIA: usize = 32;
/// Most formats on one `m=` line (RTP has 128 payload types).
pub const MAX_FORMATS: usize = 128;
/// Most `a=` lines at one level (session, or one media section).
pub const MAX_ATTRIBUTES: usize = 512;
/// Most entries in any other repeated list (`e=`, `p=`, `b=`, `c=`, `t=`, `r=`).
pub const MAX_REPEATED: usize = 64;

/// A codec we can use, in our order of preference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecSpec {
    /// Encoding name as in `a=rtpmap` (`PCMU`, `PCMA`, later `opus`, `G722`).
    pub name: String,
    /// RTP clock rate.
    pub clock_rate: u32,
    /// Channels (1 unless stated).
    pub channels: u8,
    /// Static payload type, if the codec has one (0 for PCMU, 8 for PCMA); used in our offers.
    pub static_pt: Option<u8>,
    /// Our `a=fmtp` parameters for it (what we want to receive, e.g. Opus
    /// `useinbandfec=1`), put in our offers and answers; `None` echoes the offer's in an answer.
    pub fmtp: Option<String>,
}

/// What the bridge puts in its half of the exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalMedia {
    /// Address for `o=` and `c=`.
    pub address: IpAddr,
    /// Our RTP port for audio (RTCP on port + 1).
    pub audio_port: u16,
    /// Codecs we accept, most preferred first.
    pub codecs: Vec<CodecSpec>,
    /// Whether we offer/accept telephone-event (RFC 4733).
    pub telephone_event: bool,
    /// Whether we accept RFC 3389 comfort noise (`CN/8000`) when it is offered.
    pub comfort_noise: bool,
    /// `o=` session id.
    pub session_id: u64,
    /// `o=` session version (increase it on every new offer/answer in a dialog).
    pub session_version: u64,
    /// Our video capabilities; `None` = audio only (every video line answered with port 0).
    pub video: Option<LocalVideo>,
}

/// Our H.264 video capabilities (what [`offer`] offers and [`answer_av`] accepts).
///
/// We send Constrained Baseline and decode anything a Constrained Baseline decoder does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalVideo {
    /// Our video RTP port (RTCP on port + 1).
    pub port: u16,
    /// Highest H.264 `level_idc` we decode and encode, e.g. `0x1f` (level 3.1, 720p30).
    pub max_level_idc: u8,
    /// How much video we want to receive, in bits per second: our `b=TIAS` (RFC 3890), and our
    /// `b=AS` in kbit/s rounded up.
    pub max_recv_bitrate_bps: u32,
}

/// What the peer and we agreed for the video stream (H.264, RFC 6184), from the bridge's side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiatedVideo {
    /// Where the peer wants RTP; `None` when it gave 0.0.0.0.
    pub remote_rtp: Option<SocketAddr>,
    /// The H.264 payload type in this session.
    pub payload_type: u8,
    /// RFC 6184 packetization mode: 0 (single NAL unit) or 1 (non-interleaved, FU-A and STAP-A).
    pub packetization_mode: u8,
    /// `profile_idc`, `profile_iop`, `level_idc` of the stream the bridge sends: Constrained
    /// Baseline (`42e0`) at the lower of the peer's level and ours (`42f00b` for level 1b).
    /// Without level asymmetry this is the `profile-level-id` of the answer; with
    /// `level-asymmetry-allowed=1` the bridge's own SDP states its own maximum (what it
    /// receives) and this is still what it may send.
    pub profile_level_id: [u8; 3],
    /// The peer's `max-fs` (frame size in macroblocks), if it gave one.
    pub max_fs: Option<u32>,
    /// The peer's `max-mbps` (macroblocks per second), if it gave one.
    pub max_mbps: Option<u32>,
    /// How much the peer wants to receive, in bits per second: its `b=TIAS`, else its `b=AS`
    /// × 1000, at media level, else at session level (a zero is read as unstated).
    pub max_recv_bitrate_bps: Option<u32>,
    /// The RTCP feedback the peer listed for this payload type (or for `*`).
    pub feedback: VideoFeedback,
    /// The direction *the bridge* uses (the mirror of the peer's); never sending when
    /// `remote_rtp` is `None`.
    pub direction: Direction,
}

/// RTCP feedback messages usable on the video stream (those of ours the peer listed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VideoFeedback {
    /// Generic NACK (`a=rtcp-fb:<pt> nack`, RFC 4585 §6.2.1): the peer retransmits or wants
    /// retransmissions.
    pub nack: bool,
    /// Picture loss indication (`nack pli`, RFC 4585 §6.3.1).
    pub pli: bool,
    /// Full intra request (`ccm fir`, RFC 5104 §3.5.1).
    pub fir: bool,
}

impl NegotiatedVideo {
    /// Largest frame the peer can decode, in macroblocks: the larger of its level's MaxFS
    /// (H.264 Table A-1) and its `max-fs`.
    pub fn max_frame_macroblocks(&self) -> u32 {
        let [_, iop, level] = self.profile_level_id;
        let limits = video::level_limits(level, iop);
        limits.max_fs.max(self.max_fs.unwrap_or(0))
    }

    /// Largest macroblock rate the peer can decode: its level's MaxMBPS (H.264 Table A-1), or
    /// its `max-mbps` if larger.
    pub fn max_macroblocks_per_second(&self) -> u32 {
        let [_, iop, level] = self.profile_level_id;
        let limits = video::level_limits(level, iop);
        limits.max_mbps.max(self.max_mbps.unwrap_or(0))
    }
}

/// Media direction (RFC 3264 §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Send and receive.
    SendRecv,
    /// Send only.
    SendOnly,
    /// Receive only.
    RecvOnly,
    /// Neither (hold).
    Inactive,
}

impl Direction {
    /// The attribute name (`sendrecv`, `sendonly`, `recvonly`, `inactive`).
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The attribute with that name, if it is one of the four.
    pub fn from_name(name: &str) -> Option<Direction> {
        match name {
            "sendrecv" => Some(Direction::SendRecv),
            "sendonly" => Some(Direction::SendOnly),
            "recvonly" => Some(Direction::RecvOnly),
            "inactive" => Some(Direction::Inactive),
            _ => None,
        }
    }

    /// The direction an answerer takes for an offer in this direction (RFC 3264 §6.1 table).
    pub fn mirror(self) -> Direction {
        match self {
            Direction::SendRecv => Direction::SendRecv,
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            Direction::Inactive => Direction::Inactive,
        }
    }

    /// This direction without its sending half (used when the peer gave no address to send to).
    pub fn without_send(self) -> Direction {
        match self {
            Direction::SendRecv | Direction::RecvOnly => Direction::RecvOnly,
            Direction::SendOnly | Direction::Inactive => Direction::Inactive,
        }
    }

    /// Whether this side sends media.
    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    /// Whether this side receives media.
    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }
}

/// The outcome of offer/answer for the audio stream, from the bridge's point of view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiatedAudio {
    /// Where the peer wants RTP (`c=` + `m=` port); `None` when the peer gave 0.0.0.0 or port 0.
    pub remote_rtp: Option<SocketAddr>,
    /// The chosen codec's name (`PCMU`, `PCMA`, …), spelled as in our [`CodecSpec`].
    pub codec: String,
    /// Its payload type in this session.
    pub payload_type: u8,
    /// The peer's `a=fmtp` parameters for it, if any (how it wants to receive).
    pub fmtp: Option<String>,
    /// Its RTP clock rate.
    pub clock_rate: u32,
    /// Payload type of telephone-event, if both sides have it.
    pub telephone_event_pt: Option<u8>,
    /// Packet time in ms (the offer's `a=ptime`, else 20).
    pub ptime_ms: u32,
    /// The direction *the bridge* uses (the mirror of the peer's). When `remote_rtp` is `None` it
    /// never includes sending.
    pub direction: Direction,
}

/// Why an SDP body could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    /// The body is not valid SDP (answer 400), or lacks what offer/answer needs (a usable `c=`).
    #[error("malformed SDP: {0}")]
    Malformed(ParseError),
    /// The offer has no audio stream we can use: none at all, or only over transports and
    /// profiles we do not speak (RTP/SAVP, TCP, …) (answer 488); or the answer rejected ours.
    #[error("no audio stream")]
    NoAudio,
    /// No codec of ours is in the offer (answer 488).
    #[error("no common codec")]
    NoCommonCodec,
}

/// Where and why an SDP body is malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number of the offending line; 0 when the problem is the body as a whole.
    pub line: usize,
    /// What is wrong.
    pub kind: ParseErrorKind,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.kind)
        } else {
            write!(f, "line {}: {}", self.line, self.kind)
        }
    }
}

/// The kinds of malformed SDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    /// The body is empty.
    #[error("empty body")]
    Empty,
    /// The body, as received or as it would print, is longer than [`MAX_SDP_BYTES`].
    #[error("body too large")]
    TooLarge,
    /// A list is longer than its limit (`MAX_MEDIA`, `MAX_FORMATS`, `MAX_ATTRIBUTES`, `MAX_REPEATED`).
    #[error("too many entries")]
    TooMany,
    /// A line is not `<letter>=<value>`.
    #[error("line is not <type>=<value>")]
    LineSyntax,
    /// A type letter RFC 4566 does not define.
    #[error("unknown type letter")]
    UnknownType,
    /// The first line is not `v=`, or a `v=` other than `v=0`.
    #[error("missing or unsupported v=")]
    Version,
    /// No `o=` line.
    #[error("missing o=")]
    MissingOrigin,
    /// A line that may appear once at its level appears again.
    #[error("duplicate line")]
    Duplicate,
    /// A session-level line inside a media section, or `r=` before any `t=`.
    #[error("line out of place")]
    Misplaced,
    /// `o=` does not have its six fields.
    #[error("bad o=")]
    Origin,
    /// `c=` (or the address of `a=rtcp`) does not have its three fields.
    #[error("bad c=")]
    Connection,
    /// `b=` is not `<type>:<number>`.
    #[error("bad b=")]
    Bandwidth,
    /// `t=` is not two numbers.
    #[error("bad t=")]
    Timing,
    /// `m=` line syntax.
    #[error("bad m=")]
    Media,
    /// A port outside 0–65535, or a port count of 0.
    #[error("bad port")]
    Port,
    /// An RTP format that is not a payload type 0–127.
    #[error("bad payload type")]
    PayloadType,
    /// The audio stream has no `c=`, neither its own nor at session level.
    #[error("no c= for the audio stream")]
    MissingConnection,
    /// The audio stream's `c=` address is not an IP address (a host name, which a sans-IO
    /// library cannot resolve, or another network type than `IN`).
    #[error("c= address is not an IP address")]
    ConnectionAddress,
}

impl ParseError {
    /// An error at a 1-based line number (0: the whole body).
    pub fn new(line: usize, kind: ParseErrorKind) -> ParseError {
        ParseError { line, kind }
    }
}

impl From<ParseError> for SdpError {
    fn from(e: ParseError) -> SdpError {
        SdpError::Malformed(e)
    }
}

impl SessionDescription {
    /// Parse untrusted bytes (see the module docs for what is accepted).
    pub fn parse(bytes: &[u8]) -> Result<SessionDescription, SdpError> {
        parse::parse(bytes).map_err(SdpError::Malformed)
    }

    /// Serialize (CRLF line ends, RFC 4566 line order).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_string().into_bytes()
    }
}
