//! The SDP data model (RFC 4566 §5), one type per line kind, and the lookups offer/answer needs.
//!
//! Free-text and rarely used fields (`i=`, `u=`, `e=`, `p=`, `r=`, `z=`, `k=`) are kept as the text
//! that followed `=`: the bridge never interprets them, but it must not lose them either.

use std::net::IpAddr;

use super::Direction;

/// A whole session description: the session-level lines, then the media sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// `o=`: the originator and session identifier.
    pub origin: Origin,
    /// `s=`: the session name (`-` when the body had none).
    pub session_name: String,
    /// `i=`: session information.
    pub information: Option<String>,
    /// `u=`: a URI with more description.
    pub uri: Option<String>,
    /// `e=` lines: e-mail addresses.
    pub emails: Vec<String>,
    /// `p=` lines: phone numbers.
    pub phones: Vec<String>,
    /// Session-level `c=`: the default for media sections without their own.
    pub connection: Option<Connection>,
    /// Session-level `b=` lines.
    pub bandwidths: Vec<Bandwidth>,
    /// `t=` lines, each with its `r=` lines; never empty after parsing (`t=0 0` by default).
    pub times: Vec<Timing>,
    /// `z=`: time-zone adjustments, verbatim.
    pub time_zones: Option<String>,
    /// Session-level `k=`, verbatim (obsolete, but kept).
    pub key: Option<String>,
    /// Session-level `a=` lines, in order.
    pub attributes: Vec<Attribute>,
    /// The `m=` sections, in order (RFC 3264 matches offer and answer by this index).
    pub media: Vec<MediaDescription>,
}

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// User name (`-` when the host has no user ids); may contain spaces when a sloppy peer sent them.
    pub username: String,
    /// Session id, as written (numeric per the RFC, but we only compare it).
    pub session_id: String,
    /// Session version, as written.
    pub session_version: String,
    /// Network type (`IN`).
    pub net_type: String,
    /// Address type (`IP4`, `IP6`).
    pub addr_type: String,
    /// Address or host name of the originator.
    pub address: String,
}

/// `c=<nettype> <addrtype> <connection-address>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// Network type (`IN`).
    pub net_type: String,
    /// Address type (`IP4`, `IP6`).
    pub addr_type: String,
    /// Address as written, possibly with a multicast `/ttl/count` suffix or a host name.
    pub address: String,
}

impl Connection {
    /// An `IN IP4`/`IN IP6` connection for an IP address.
    pub fn from_ip(ip: IpAddr) -> Connection {
        Connection {
            net_type: "IN".to_owned(),
            addr_type: addr_type(ip).to_owned(),
            address: ip.to_string(),
        }
    }

    /// The IP address, when the address is one (any multicast suffix stripped) on the `IN`
    /// network. The address type is not checked: the address itself says which it is, and a
    /// phone that writes `IP4` before an IPv6 address still means that address.
    pub fn ip(&self) -> Option<IpAddr> {
        if !self.net_type.eq_ignore_ascii_case("IN") {
            return None;
        }
        let host = self.address.split('/').next().unwrap_or_default();
        host.parse().ok()
    }
}

/// The SDP address type token for an address.
pub(crate) fn addr_type(ip: IpAddr) -> &'static str {
    match ip {
        IpAddr::V4(_) => "IP4",
        IpAddr::V6(_) => "IP6",
    }
}

/// `b=<bwtype>:<bandwidth>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bandwidth {
    /// Bandwidth type (`AS`, `CT`, `TIAS`, …).
    pub kind: String,
    /// Value (kilobits per second for `AS`/`CT`, bits per second for `TIAS`).
    pub value: u64,
}

/// `t=<start> <stop>` and the `r=` lines that follow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timing {
    /// Start (NTP seconds; 0 for an unbounded session).
    pub start: u64,
    /// Stop (NTP seconds; 0 for an unbounded session).
    pub stop: u64,
    /// `r=` lines, verbatim.
    pub repeats: Vec<String>,
}

impl Default for Timing {
    /// `t=0 0`, the only timing a SIP session uses.
    fn default() -> Timing {
        Timing {
            start: 0,
            stop: 0,
            repeats: Vec::new(),
        }
    }
}

/// One media section: the `m=` line and the lines up to the next `m=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    /// Media type as written (`audio`, `video`, `image`, `application`, …).
    pub media: String,
    /// Transport port; 0 means the stream is rejected or disabled (RFC 3264 §5.1, §6).
    pub port: u16,
    /// The `/<number of ports>` suffix, if any.
    pub port_count: Option<u16>,
    /// Transport protocol (`RTP/AVP`, `RTP/SAVPF`, `udptl`, `TCP/MSRP`, …).
    pub protocol: String,
    /// Formats as written; under an RTP protocol each is a payload type 0–127.
    pub formats: Vec<String>,
    /// Media-level `i=`.
    pub information: Option<String>,
    /// Media-level `c=` lines (more than one only for multicast).
    pub connections: Vec<Connection>,
    /// Media-level `b=` lines.
    pub bandwidths: Vec<Bandwidth>,
    /// Media-level `k=`, verbatim.
    pub key: Option<String>,
    /// Media-level `a=` lines, in order.
    pub attributes: Vec<Attribute>,
}

impl MediaDescription {
    /// A section with no lines below the `m=` line.
    pub fn new(media: &str, port: u16, protocol: &str, formats: Vec<String>) -> MediaDescription {
        MediaDescription {
            media: media.to_owned(),
            port,
            port_count: None,
            protocol: protocol.to_owned(),
            formats,
            information: None,
            connections: Vec::new(),
            bandwidths: Vec::new(),
            key: None,
            attributes: Vec::new(),
        }
    }

    /// Whether this is an audio section.
    pub fn is_audio(&self) -> bool {
        self.media.eq_ignore_ascii_case("audio")
    }

    /// Whether this is a video section.
    pub fn is_video(&self) -> bool {
        self.media.eq_ignore_ascii_case("video")
    }

    /// Whether the protocol is one of the RTP profiles (its formats are then payload types).
    pub fn is_rtp(&self) -> bool {
        is_rtp_protocol(&self.protocol)
    }

    /// The formats read as RTP payload types, in order (formats that are not numbers are skipped).
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + '_ {
        self.formats
            .iter()
            .filter_map(|f| f.parse::<u8>().ok())
            .filter(|pt| *pt <= 127)
    }

    /// The `a=rtpmap` for a payload type, if the section has one.
    pub fn rtpmap(&self, pt: u8) -> Option<&Rtpmap> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Rtpmap(m) if m.payload_type == pt => Some(m),
            _ => None,
        })
    }

    /// The `a=fmtp` parameters for a payload type, if the section has them.
    pub fn fmtp(&self, pt: u8) -> Option<&str> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Fmtp(f) if f.format.parse::<u8>().ok() == Some(pt) => {
                Some(f.params.as_str())
            }
            _ => None,
        })
    }

    /// The section's own `a=ptime`.
    pub fn ptime(&self) -> Option<u32> {
        find_ptime(&self.attributes)
    }

    /// The section's own `a=maxptime`.
    pub fn maxptime(&self) -> Option<u32> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::MaxPtime(p) => Some(*p),
            _ => None,
        })
    }

    /// The section's own direction attribute.
    pub fn direction(&self) -> Option<Direction> {
        find_direction(&self.attributes)
    }

    /// Whether the section has `a=rtcp-mux`.
    pub fn rtcp_mux(&self) -> bool {
        self.attributes.contains(&Attribute::RtcpMux)
    }

    /// The `a=rtcp-fb` values (`nack`, `nack pli`, `ccm fir`, …) that apply to a payload type:
    /// those written for it and those written for `*` (RFC 4585 §4.2), in order.
    pub fn rtcp_fb(&self, pt: u8) -> impl Iterator<Item = &str> + '_ {
        self.attributes.iter().filter_map(move |a| match a {
            Attribute::RtcpFb(fb)
                if fb.format == "*" || fb.format.parse::<u8>().ok() == Some(pt) =>
            {
                Some(fb.value.as_str())
            }
            _ => None,
        })
    }

    /// The value of the section's `a=content` (RFC 4796: `main`, `slides`, `alt`, … or a
    /// comma-separated list of them), if it has one.
    pub fn content(&self) -> Option<&str> {
        self.other_attribute("content")
    }

    /// Whether the section's `a=content` lists `tag` (compared without case).
    pub fn has_content(&self, tag: &str) -> bool {
        self.content()
            .is_some_and(|c| c.split(',').any(|t| t.trim().eq_ignore_ascii_case(tag)))
    }

    /// The value of the first untyped attribute with this name (`a=<name>:<value>`).
    pub fn other_attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Other {
                name: n,
                value: Some(v),
            } if n == name => Some(v.as_str()),
            _ => None,
        })
    }

    /// The section's own `b=<kind>:` value (kind compared without case: `AS`, `TIAS`, `CT`).
    pub fn bandwidth(&self, kind: &str) -> Option<u64> {
        find_bandwidth(&self.bandwidths, kind)
    }
}

impl SessionDescription {
    /// A description with the given origin and nothing else but `s=-` and `t=0 0`.
    pub fn new(origin: Origin) -> SessionDescription {
        SessionDescription {
            origin,
            session_name: "-".to_owned(),
            information: None,
            uri: None,
            emails: Vec::new(),
            phones: Vec::new(),
            connection: None,
            bandwidths: Vec::new(),
            times: vec![Timing::default()],
            time_zones: None,
            key: None,
            attributes: Vec::new(),
            media: Vec::new(),
        }
    }

    /// A media section's direction: its own attribute, else the session's, else `sendrecv`
    /// (RFC 3264 §5.1).
    pub fn media_direction(&self, media: &MediaDescription) -> Direction {
        media
            .direction()
            .or_else(|| find_direction(&self.attributes))
            .unwrap_or(Direction::SendRecv)
    }

    /// A media section's connection: its first own `c=`, else the session's (RFC 4566 §5.7).
    pub fn media_connection<'a>(&'a self, media: &'a MediaDescription) -> Option<&'a Connection> {
        media.connections.first().or(self.connection.as_ref())
    }

    /// The session-level `b=<kind>:` value (kind compared without case).
    pub fn bandwidth(&self, kind: &str) -> Option<u64> {
        find_bandwidth(&self.bandwidths, kind)
    }

    /// A media section's `a=ptime`: its own, else a session-level one (some phones put it there).
    pub fn media_ptime(&self, media: &MediaDescription) -> Option<u32> {
        media.ptime().or_else(|| find_ptime(&self.attributes))
    }
}

/// Whether a protocol token names an RTP profile (`RTP/AVP`, `UDP/TLS/RTP/SAVPF`, …).
pub(crate) fn is_rtp_protocol(protocol: &str) -> bool {
    protocol
        .split('/')
        .any(|part| part.eq_ignore_ascii_case("RTP"))
}

fn find_bandwidth(bandwidths: &[Bandwidth], kind: &str) -> Option<u64> {
    bandwidths
        .iter()
        .find(|b| b.kind.eq_ignore_ascii_case(kind))
        .map(|b| b.value)
}

fn find_direction(attributes: &[Attribute]) -> Option<Direction> {
    attributes.iter().find_map(|a| match a {
        Attribute::Direction(d) => Some(*d),
        _ => None,
    })
}

fn find_ptime(attributes: &[Attribute]) -> Option<u32> {
    attributes.iter().find_map(|a| match a {
        Attribute::Ptime(p) => Some(*p),
        _ => None,
    })
}

/// One `a=` line. The attributes offer/answer reads are typed; the rest are kept as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attribute {
    /// `a=rtpmap:<pt> <name>/<clock rate>[/<channels>]` (RFC 4566 §6).
    Rtpmap(Rtpmap),
    /// `a=fmtp:<format> <parameters>` (RFC 4566 §6).
    Fmtp(Fmtp),
    /// `a=ptime:<ms>` (RFC 4566 §6); a fractional value is read as its whole milliseconds.
    Ptime(u32),
    /// `a=maxptime:<ms>` (RFC 4566 §6).
    MaxPtime(u32),
    /// `a=sendrecv`, `a=sendonly`, `a=recvonly`, `a=inactive` (RFC 3264 §6.1).
    Direction(Direction),
    /// `a=rtcp:<port> [<nettype> <addrtype> <address>]` (RFC 3605).
    Rtcp(Rtcp),
    /// `a=rtcp-mux` (RFC 5761).
    RtcpMux,
    /// `a=rtcp-fb:<payload type or *> <feedback>` (RFC 4585 §4.2).
    RtcpFb(RtcpFb),
    /// Any other attribute, or a known one whose value did not parse: `a=<name>[:<value>]`.
    Other {
        /// The text before the first `:` (the whole text for a property attribute).
        name: String,
        /// The text after the first `:`; `None` for a property attribute (`a=<name>`).
        value: Option<String>,
    },
}

/// The value of `a=rtpmap`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rtpmap {
    /// Payload type, 0–127.
    pub payload_type: u8,
    /// Encoding name as written (`PCMU`, `telephone-event`, `opus`).
    pub encoding: String,
    /// Clock rate in Hz.
    pub clock_rate: u32,
    /// Channels (the "encoding parameters" of an audio format), when written.
    pub channels: Option<u8>,
}

/// The value of `a=fmtp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fmtp {
    /// The format it applies to (a payload type under RTP).
    pub format: String,
    /// The format-specific parameters, verbatim (`0-15`, `annexb=no`, `useinbandfec=1`).
    pub params: String,
}

/// The value of `a=rtcp-fb`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtcpFb {
    /// The payload type it applies to, or `*` for all of the section's.
    pub format: String,
    /// The feedback type and its parameters, verbatim (`nack`, `nack pli`, `ccm fir`,
    /// `goog-remb`, `trr-int 100`).
    pub value: String,
}

/// The value of `a=rtcp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rtcp {
    /// RTCP port.
    pub port: u16,
    /// RTCP address, when it differs from the media's.
    pub connection: Option<Connection>,
}
