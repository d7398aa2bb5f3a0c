//! SDP (RFC 4566): the session model, a nom parser and a printer; RFC 3264 offer/answer for audio.
//!
//! CONTRACT (skeleton, to be completed): `SessionDescription::parse` never panics; `answer`
//! picks, among what the offer lists and in the offer's order, the first codec of ours (PCMU, PCMA
//! for now), keeps telephone-event at the offer's payload type, answers every stream that is not
//! audio (or a second audio stream) with port 0, mirrors the direction (sendonly → recvonly, …),
//! honours ptime, and fails with `NoCommonCodec` (the driver answers 488). `offer` builds our offer
//! for an INVITE that came without SDP, and `negotiate_answer` reads the peer's answer to it.

use std::net::{IpAddr, SocketAddr};

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
    /// `o=` session id.
    pub session_id: u64,
    /// `o=` session version (increase it on every new offer/answer in a dialog).
    pub session_version: u64,
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

/// The outcome of offer/answer for the audio stream, from the bridge's point of view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiatedAudio {
    /// Where the peer wants RTP (`c=` + `m=` port); `None` when the peer gave 0.0.0.0 or port 0.
    pub remote_rtp: Option<SocketAddr>,
    /// The chosen codec's name (`PCMU`, `PCMA`, …).
    pub codec: String,
    /// Its payload type in this session.
    pub payload_type: u8,
    /// Its RTP clock rate.
    pub clock_rate: u32,
    /// Payload type of telephone-event, if both sides have it.
    pub telephone_event_pt: Option<u8>,
    /// Packet time in ms (the offer's `a=ptime`, else 20).
    pub ptime_ms: u32,
    /// The direction *the bridge* uses (the mirror of the peer's).
    pub direction: Direction,
}

/// Why an SDP body could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    /// The body is not valid SDP.
    #[error("malformed SDP: {0}")]
    Malformed(&'static str),
    /// The offer has no audio stream.
    #[error("no audio stream")]
    NoAudio,
    /// No codec of ours is in the offer (answer 488).
    #[error("no common codec")]
    NoCommonCodec,
}

/// A parsed session description (skeleton: fields to be designed by the SDP work).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {}

impl SessionDescription {
    /// Parse untrusted bytes.
    pub fn parse(_bytes: &[u8]) -> Result<SessionDescription, SdpError> {
        todo!()
    }
    /// Serialize (CRLF line ends).
    pub fn to_bytes(&self) -> Vec<u8> {
        todo!()
    }
}

/// Answer an offer (RFC 3264 §6).
pub fn answer(
    _offer: &SessionDescription,
    _local: &LocalMedia,
) -> Result<(SessionDescription, NegotiatedAudio), SdpError> {
    todo!()
}

/// Our offer, for an INVITE that had no SDP (RFC 3264 §5).
pub fn offer(_local: &LocalMedia) -> SessionDescription {
    todo!()
}

/// Read the peer's answer to our offer.
pub fn negotiate_answer(
    _our_offer: &SessionDescription,
    _answer: &SessionDescription,
) -> Result<NegotiatedAudio, SdpError> {
    todo!()
}
