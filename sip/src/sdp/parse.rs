//! The SDP parser (RFC 4566 §5 grammar, §9 ABNF), lenient and strict as the parent module documents.
//!
//! The body is split into lines by hand (any of CRLF, LF, CR), then each line's value is read by a
//! small nom parser for its type. Every list grows through [`push_bounded`], so no input can make
//! the parser allocate more than a small multiple of the body's size or loop more than once per line.

use nom::bytes::complete::take_till1;
use nom::character::complete::{char, digit0, space1, u16 as dec_u16, u32 as dec_u32};
use nom::character::complete::{u64 as dec_u64, u8 as dec_u8};
use nom::combinator::{all_consuming, map, opt, rest, verify};
use nom::multi::many1;
use nom::sequence::{pair, preceded, separated_pair, terminated, tuple};
use nom::IResult;

use super::model::{
    is_rtp_protocol, Attribute, Bandwidth, Connection, Fmtp, MediaDescription, Origin, Rtcp,
    RtcpFb, Rtpmap, SessionDescription, Timing,
};
use super::{
    Direction, ParseError, ParseErrorKind as Kind, MAX_ATTRIBUTES, MAX_FORMATS, MAX_MEDIA,
    MAX_REPEATED, MAX_SDP_BYTES,
};

type Res<'a, T> = IResult<&'a str, T>;

/// Parse a whole body.
pub(super) fn parse(bytes: &[u8]) -> Result<SessionDescription, ParseError> {
    if bytes.len() > MAX_SDP_BYTES {
        return Err(ParseError::new(0, Kind::TooLarge));
    }
    // Lossy: a Latin-1 session name must not cost the call. The replacement is stable, so a
    // printed body parses back to the same description.
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.split('\n').enumerate().flat_map(|(index, line)| {
        // A bare CR ends a line too (old Mac-style bodies); the CR of a CRLF leaves an empty piece.
        line.split('\r')
            .map(move |piece| (index + 1, piece.trim()))
            .filter(|(_, piece)| !piece.is_empty())
    });

    match lines.next() {
        None => return Err(ParseError::new(0, Kind::Empty)),
        Some((n, line)) => match split_line(line) {
            Some(('v', version)) if version.trim() == "0" => {}
            Some(_) => return Err(ParseError::new(n, Kind::Version)),
            None => return Err(ParseError::new(n, Kind::LineSyntax)),
        },
    }

    let mut builder = Builder::default();
    for (n, line) in lines {
        let (letter, value) = split_line(line).ok_or(ParseError::new(n, Kind::LineSyntax))?;
        builder
            .line(letter, value)
            .map_err(|kind| ParseError::new(n, kind))?;
    }
    let sdp = builder.finish()?;
    // Normalising (CRLF for LF, U+FFFD for a stray byte) can lengthen a body; refusing what would
    // print longer than the limit keeps "whatever parses, prints to something that parses".
    if super::print::printed_len(&sdp) > MAX_SDP_BYTES {
        return Err(ParseError::new(0, Kind::TooLarge));
    }
    Ok(sdp)
}

/// `<letter>=<value>`, where the letter is one ASCII letter.
fn split_line(line: &str) -> Option<(char, &str)> {
    let bytes = line.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b'=' {
        // Both bytes are ASCII, so index 2 is a char boundary.
        Some((char::from(bytes[0]), &line[2..]))
    } else {
        None
    }
}

/// The description being assembled, line by line.
#[derive(Default)]
struct Builder {
    origin: Option<Origin>,
    session_name: Option<String>,
    information: Option<String>,
    uri: Option<String>,
    emails: Vec<String>,
    phones: Vec<String>,
    connection: Option<Connection>,
    bandwidths: Vec<Bandwidth>,
    times: Vec<Timing>,
    time_zones: Option<String>,
    key: Option<String>,
    attributes: Vec<Attribute>,
    media: Vec<MediaDescription>,
}

impl Builder {
    /// One line after `v=`. An `m=` line opens a section; every later line belongs to the last
    /// section, which is how RFC 4566 §5 scopes them (there is no way back to session level).
    fn line(&mut self, letter: char, value: &str) -> Result<(), Kind> {
        if letter == 'm' {
            let media = media_line(value)?;
            return push_bounded(&mut self.media, media, MAX_MEDIA);
        }
        match self.media.last_mut() {
            Some(media) => media_level(media, letter, value),
            None => self.session_level(letter, value),
        }
    }

    /// A line before the first `m=`. Order is not checked (see the module docs); what can appear
    /// once is, because two `c=` or two `o=` leave no right answer to "which one".
    fn session_level(&mut self, letter: char, value: &str) -> Result<(), Kind> {
        match letter {
            'v' => Err(Kind::Duplicate),
            'o' => set_once(&mut self.origin, origin(value)?),
            's' => set_once(&mut self.session_name, value.to_owned()),
            'i' => set_once(&mut self.information, value.to_owned()),
            'u' => set_once(&mut self.uri, value.to_owned()),
            'e' => push_bounded(&mut self.emails, value.to_owned(), MAX_REPEATED),
            'p' => push_bounded(&mut self.phones, value.to_owned(), MAX_REPEATED),
            'c' => set_once(&mut self.connection, connection_line(value)?),
            'b' => push_bounded(&mut self.bandwidths, bandwidth(value)?, MAX_REPEATED),
            't' => push_bounded(&mut self.times, timing(value)?, MAX_REPEATED),
            // `r=` repeats the `t=` just before it; alone it means nothing.
            'r' => {
                let timing = self.times.last_mut().ok_or(Kind::Misplaced)?;
                push_bounded(&mut timing.repeats, value.to_owned(), MAX_REPEATED)
            }
            'z' => set_once(&mut self.time_zones, value.to_owned()),
            'k' => set_once(&mut self.key, value.to_owned()),
            'a' => push_bounded(&mut self.attributes, attribute(value), MAX_ATTRIBUTES),
            _ => Err(Kind::UnknownType),
        }
    }

    /// Check what must be there and fill the defaults a sloppy peer left out.
    fn finish(self) -> Result<SessionDescription, ParseError> {
        let origin = self.origin.ok_or(ParseError::new(0, Kind::MissingOrigin))?;
        let times = if self.times.is_empty() {
            vec![Timing::default()]
        } else {
            self.times
        };
        Ok(SessionDescription {
            origin,
            session_name: self.session_name.unwrap_or_else(|| "-".to_owned()),
            information: self.information,
            uri: self.uri,
            emails: self.emails,
            phones: self.phones,
            connection: self.connection,
            bandwidths: self.bandwidths,
            times,
            time_zones: self.time_zones,
            key: self.key,
            attributes: self.attributes,
            media: self.media,
        })
    }
}

/// A line below an `m=` line (RFC 4566 §5: only `i c b k a` belong there).
fn media_level(media: &mut MediaDescription, letter: char, value: &str) -> Result<(), Kind> {
    match letter {
        'i' => set_once(&mut media.information, value.to_owned()),
        'c' => push_bounded(
            &mut media.connections,
            connection_line(value)?,
            MAX_REPEATED,
        ),
        'b' => push_bounded(&mut media.bandwidths, bandwidth(value)?, MAX_REPEATED),
        'k' => set_once(&mut media.key, value.to_owned()),
        'a' => push_bounded(&mut media.attributes, attribute(value), MAX_ATTRIBUTES),
        'v' | 'o' | 's' | 'u' | 'e' | 'p' | 't' | 'r' | 'z' => Err(Kind::Misplaced),
        _ => Err(Kind::UnknownType),
    }
}

/// Fill a line that may appear once per level.
fn set_once<T>(slot: &mut Option<T>, value: T) -> Result<(), Kind> {
    if slot.is_some() {
        return Err(Kind::Duplicate);
    }
    *slot = Some(value);
    Ok(())
}

/// Append to a list that has a limit, so the work per body stays bounded.
fn push_bounded<T>(list: &mut Vec<T>, value: T, limit: usize) -> Result<(), Kind> {
    if list.len() >= limit {
        return Err(Kind::TooMany);
    }
    list.push(value);
    Ok(())
}

/// Run a nom parser over the whole of `input`.
fn whole<'a, T>(
    parser: impl FnMut(&'a str) -> Res<'a, T>,
    input: &'a str,
    kind: Kind,
) -> Result<T, Kind> {
    all_consuming(parser)(input)
        .map(|(_, value)| value)
        .map_err(|_| kind)
}

/// A run of characters other than space and tab (the field separators of RFC 4566).
fn token(input: &str) -> Res<'_, &str> {
    take_till1(|c| c == ' ' || c == '\t')(input)
}

/// `o=`: six fields, the first of which sloppy stacks sometimes write with spaces, so the five
/// fixed fields are taken from the right.
fn origin(value: &str) -> Result<Origin, Kind> {
    let fields: Vec<&str> = value
        .split([' ', '\t'])
        .filter(|f| !f.is_empty())
        .take(MAX_REPEATED)
        .collect();
    let n = fields.len();
    if !(6..MAX_REPEATED).contains(&n) {
        return Err(Kind::Origin);
    }
    Ok(Origin {
        username: fields[..n - 5].join(" "),
        session_id: fields[n - 5].to_owned(),
        session_version: fields[n - 4].to_owned(),
        net_type: fields[n - 3].to_owned(),
        addr_type: fields[n - 2].to_owned(),
        address: fields[n - 1].to_owned(),
    })
}

fn connection_fields(input: &str) -> Res<'_, Connection> {
    map(
        tuple((token, space1, token, space1, token)),
        |(net_type, _, addr_type, _, address)| Connection {
            net_type: net_type.to_owned(),
            addr_type: addr_type.to_owned(),
            address: address.to_owned(),
        },
    )(input)
}

fn connection_line(value: &str) -> Result<Connection, Kind> {
    whole(connection_fields, value.trim_start(), Kind::Connection)
}

fn bandwidth(value: &str) -> Result<Bandwidth, Kind> {
    let kind = take_till1(|c| c == ':' || c == ' ' || c == '\t');
    whole(
        map(
            separated_pair(kind, char(':'), dec_u64),
            |(kind, value): (&str, u64)| Bandwidth {
                kind: kind.to_owned(),
                value,
            },
        ),
        value.trim_start(),
        Kind::Bandwidth,
    )
}

fn timing(value: &str) -> Result<Timing, Kind> {
    whole(
        map(separated_pair(dec_u64, space1, dec_u64), |(start, stop)| {
            Timing {
                start,
                stop,
                repeats: Vec::new(),
            }
        }),
        value.trim_start(),
        Kind::Timing,
    )
}

/// `m=<media> <port>[/<number of ports>] <proto> <fmt> ...` (RFC 4566 §5.14), checked strictly.
fn media_line(value: &str) -> Result<MediaDescription, Kind> {
    let fields = tuple((
        token,
        space1,
        token,
        space1,
        token,
        many1(preceded(space1, token)),
    ));
    let (media, _, port, _, protocol, formats) = whole(fields, value.trim_start(), Kind::Media)?;
    if formats.len() > MAX_FORMATS {
        return Err(Kind::TooMany);
    }
    let port_field = pair(
        dec_u16,
        opt(preceded(char('/'), verify(dec_u16, |n| *n > 0))),
    );
    let (port, port_count) = whole(port_field, port, Kind::Port)?;
    // Only RTP formats are numbers: `image … udptl t38` and `application … TCP/BFCP *` use names.
    if is_rtp_protocol(protocol) {
        for format in &formats {
            whole(payload_type, format, Kind::PayloadType)?;
        }
    }
    let mut section = MediaDescription::new(
        media,
        port,
        protocol,
        formats.into_iter().map(str::to_owned).collect(),
    );
    section.port_count = port_count;
    Ok(section)
}

/// An RTP payload type: 0–127 (RFC 3550 §5.1, 7 bits).
fn payload_type(input: &str) -> Res<'_, u8> {
    verify(dec_u8, |pt| *pt <= 127)(input)
}

/// One `a=` value. Never fails: what does not parse as its known form is kept as `Other`.
fn attribute(value: &str) -> Attribute {
    let (name, attr_value) = match value.split_once(':') {
        Some((name, attr_value)) => (name, Some(attr_value)),
        None => (value, None),
    };
    known_attribute(name, attr_value).unwrap_or_else(|| Attribute::Other {
        name: name.to_owned(),
        value: attr_value.map(str::to_owned),
    })
}

fn known_attribute(name: &str, value: Option<&str>) -> Option<Attribute> {
    let Some(value) = value else {
        return match name {
            "rtcp-mux" => Some(Attribute::RtcpMux),
            _ => Direction::from_name(name).map(Attribute::Direction),
        };
    };
    // Some stacks write `a=rtpmap: 0 PCMU/8000`; the space carries no meaning.
    let value = value.trim_start();
    let parsed = match name {
        "rtpmap" => all_consuming(rtpmap)(value).map(|(_, m)| Attribute::Rtpmap(m)),
        "fmtp" => all_consuming(fmtp)(value).map(|(_, f)| Attribute::Fmtp(f)),
        "ptime" => all_consuming(milliseconds)(value).map(|(_, ms)| Attribute::Ptime(ms)),
        "maxptime" => all_consuming(milliseconds)(value).map(|(_, ms)| Attribute::MaxPtime(ms)),
        "rtcp" => all_consuming(rtcp)(value).map(|(_, r)| Attribute::Rtcp(r)),
        "rtcp-fb" => all_consuming(rtcp_fb)(value).map(|(_, r)| Attribute::RtcpFb(r)),
        _ => return None,
    };
    parsed.ok()
}

/// `<pt> <encoding name>/<clock rate>[/<channels>]`.
fn rtpmap(input: &str) -> Res<'_, Rtpmap> {
    let encoding = take_till1(|c| c == '/' || c == ' ' || c == '\t');
    map(
        tuple((
            payload_type,
            space1,
            encoding,
            char('/'),
            dec_u32,
            opt(preceded(char('/'), dec_u8)),
        )),
        |(payload_type, _, encoding, _, clock_rate, channels)| Rtpmap {
            payload_type,
            encoding: encoding.to_owned(),
            clock_rate,
            channels,
        },
    )(input)
}

/// `<format> [<parameters>]`; the parameters are kept verbatim.
fn fmtp(input: &str) -> Res<'_, Fmtp> {
    map(
        pair(token, opt(preceded(space1, rest))),
        |(format, params): (&str, Option<&str>)| Fmtp {
            format: format.to_owned(),
            params: params.unwrap_or_default().to_owned(),
        },
    )(input)
}

/// Milliseconds, where a fraction (`20.0`, seen in the wild) is dropped.
fn milliseconds(input: &str) -> Res<'_, u32> {
    terminated(dec_u32, opt(pair(char('.'), digit0)))(input)
}

/// `<format> <feedback>` (RFC 4585 §4.2); the feedback is kept verbatim.
fn rtcp_fb(input: &str) -> Res<'_, RtcpFb> {
    let value = verify(rest, |v: &str| !v.is_empty());
    map(separated_pair(token, space1, value), |(format, value)| {
        RtcpFb {
            format: format.to_owned(),
            value: value.to_owned(),
        }
    })(input)
}

/// `<port> [<nettype> <addrtype> <address>]` (RFC 3605 §2.1).
fn rtcp(input: &str) -> Res<'_, Rtcp> {
    map(
        pair(dec_u16, opt(preceded(space1, connection_fields))),
        |(port, connection)| Rtcp { port, connection },
    )(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str =
        "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n";

    fn with(extra: &str) -> Result<SessionDescription, ParseError> {
        parse(format!("{MINIMAL}{extra}").as_bytes())
    }

    fn kind(extra: &str) -> Kind {
        with(extra).unwrap_err().kind
    }

    #[test]
    fn minimal_body() {
        let sdp = parse(MINIMAL.as_bytes()).unwrap();
        assert_eq!(sdp.origin.session_id, "1");
        assert_eq!(sdp.session_name, "-");
        assert_eq!(sdp.connection.unwrap().address, "192.0.2.1");
        assert_eq!(sdp.times, [Timing::default()]);
        assert!(sdp.media.is_empty());
    }

    #[test]
    fn line_ends_and_whitespace() {
        let expected = parse(MINIMAL.as_bytes()).unwrap();
        for body in [
            MINIMAL.replace("\r\n", "\n"),
            MINIMAL.replace("\r\n", "\r"),
            MINIMAL.replace("\r\n", " \t\r\n\r\n"),
            format!("\r\n{MINIMAL}\r\n\r\n"),
            MINIMAL.replace("\r\n", "\n").trim_end().to_owned(),
        ] {
            assert_eq!(parse(body.as_bytes()).unwrap(), expected, "{body:?}");
        }
    }

    #[test]
    fn missing_s_and_t_are_defaulted() {
        let sdp = parse(b"v=0\no=- 1 1 IN IP4 192.0.2.1\nm=audio 4000 RTP/AVP 0\n").unwrap();
        assert_eq!(sdp.session_name, "-");
        assert_eq!(sdp.times, [Timing::default()]);
        assert_eq!(sdp.media[0].port, 4000);
    }

    #[test]
    fn session_lines_in_any_order() {
        let body =
            "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nt=0 0\r\na=x\r\nc=IN IP4 192.0.2.1\r\ns=-\r\n";
        let sdp = parse(body.as_bytes()).unwrap();
        assert_eq!(sdp.connection.unwrap().address, "192.0.2.1");
    }

    #[test]
    fn origin_with_spaces_in_user_name() {
        let sdp = parse(b"v=0\no=Acme SoftPhone 1.2 99 100 IN IP4 192.0.2.1\n").unwrap();
        assert_eq!(sdp.origin.username, "Acme SoftPhone 1.2");
        assert_eq!(sdp.origin.session_version, "100");
        assert_eq!(
            parse(b"v=0\no=- 1 IN IP4 192.0.2.1\n").unwrap_err().kind,
            Kind::Origin
        );
    }

    #[test]
    fn non_utf8_is_replaced() {
        let sdp = parse(b"v=0\no=- 1 1 IN IP4 192.0.2.1\ns=R\xe9union\n").unwrap();
        assert_eq!(sdp.session_name, "R\u{fffd}union");
    }

    #[test]
    fn body_level_errors() {
        assert_eq!(parse(b"").unwrap_err(), ParseError::new(0, Kind::Empty));
        assert_eq!(parse(b"\r\n \n").unwrap_err().kind, Kind::Empty);
        assert_eq!(parse(b"v=1\n").unwrap_err().kind, Kind::Version);
        assert_eq!(
            parse(b"o=- 1 1 IN IP4 x\n").unwrap_err().kind,
            Kind::Version
        );
        assert_eq!(parse(b"hello\n").unwrap_err().kind, Kind::LineSyntax);
        assert_eq!(
            parse(b"v=0\ns=x\n").unwrap_err(),
            ParseError::new(0, Kind::MissingOrigin)
        );
        let big = vec![b'a'; MAX_SDP_BYTES + 1];
        assert_eq!(parse(&big).unwrap_err().kind, Kind::TooLarge);
    }

    #[test]
    fn line_level_errors_carry_the_line_number() {
        assert_eq!(
            with("x=1\r\n").unwrap_err(),
            ParseError::new(6, Kind::UnknownType)
        );
        assert_eq!(kind("a line\r\n"), Kind::LineSyntax);
        assert_eq!(kind("v=0\r\n"), Kind::Duplicate);
        assert_eq!(kind("s=again\r\n"), Kind::Duplicate);
        assert_eq!(kind("c=IN IP4\r\n"), Kind::Connection);
        assert_eq!(kind("b=AS\r\n"), Kind::Bandwidth);
        assert_eq!(kind("b=AS:x\r\n"), Kind::Bandwidth);
        assert_eq!(kind("t=now later\r\n"), Kind::Timing);
        assert_eq!(kind("m=audio 4000 RTP/AVP 0\r\nt=0 0\r\n"), Kind::Misplaced);
        assert_eq!(
            kind("m=audio 4000 RTP/AVP 0\r\ni=a\r\ni=b\r\n"),
            Kind::Duplicate
        );
        assert_eq!(
            parse(b"v=0\no=- 1 1 IN IP4 192.0.2.1\nr=7d 1h 0 25h\n")
                .unwrap_err()
                .kind,
            Kind::Misplaced
        );
    }

    #[test]
    fn media_line_is_strict() {
        assert_eq!(kind("m=audio\r\n"), Kind::Media);
        assert_eq!(kind("m=audio 4000 RTP/AVP\r\n"), Kind::Media);
        assert_eq!(kind("m=audio 70000 RTP/AVP 0\r\n"), Kind::Port);
        assert_eq!(kind("m=audio -1 RTP/AVP 0\r\n"), Kind::Port);
        assert_eq!(kind("m=audio 4000/0 RTP/AVP 0\r\n"), Kind::Port);
        assert_eq!(kind("m=audio 4000x RTP/AVP 0\r\n"), Kind::Port);
        assert_eq!(kind("m=audio 4000 RTP/AVP 128\r\n"), Kind::PayloadType);
        assert_eq!(kind("m=audio 4000 RTP/AVP 0 PCMU\r\n"), Kind::PayloadType);
        assert_eq!(kind("m=audio 4000 RTP/SAVPF 300\r\n"), Kind::PayloadType);
        let sdp = with("m=audio 4000/2 RTP/AVP 0  8\r\nm=image 5000 udptl t38\r\n").unwrap();
        assert_eq!(sdp.media[0].port_count, Some(2));
        assert_eq!(sdp.media[0].formats, ["0", "8"]);
        assert_eq!(sdp.media[1].formats, ["t38"]);
        let many = format!("m=audio 4000 RTP/AVP{}\r\n", " 0".repeat(MAX_FORMATS + 1));
        assert_eq!(kind(&many), Kind::TooMany);
    }

    #[test]
    fn typed_attributes() {
        let sdp = with(concat!(
            "m=audio 4000 RTP/AVP 0 97 101\r\n",
            "a=rtpmap:0 PCMU/8000\r\n",
            "a=rtpmap: 97 opus/48000/2\r\n",
            "a=fmtp:101 0-15\r\n",
            "a=fmtp:97\r\n",
            "a=ptime:20.0\r\n",
            "a=maxptime:40\r\n",
            "a=recvonly\r\n",
            "a=rtcp:4001 IN IP4 192.0.2.2\r\n",
            "a=rtcp-mux\r\n",
        ))
        .unwrap();
        let m = &sdp.media[0];
        assert_eq!(m.rtpmap(0).unwrap().encoding, "PCMU");
        assert_eq!(m.rtpmap(97).unwrap().channels, Some(2));
        assert_eq!(m.fmtp(101), Some("0-15"));
        assert_eq!(m.fmtp(97), Some(""));
        assert_eq!(m.ptime(), Some(20));
        assert_eq!(m.maxptime(), Some(40));
        assert_eq!(m.direction(), Some(Direction::RecvOnly));
        assert!(m.rtcp_mux());
        assert_eq!(
            m.attributes[7],
            Attribute::Rtcp(Rtcp {
                port: 4001,
                connection: Some(Connection {
                    net_type: "IN".into(),
                    addr_type: "IP4".into(),
                    address: "192.0.2.2".into(),
                }),
            })
        );
    }

    #[test]
    fn rtcp_fb_is_typed() {
        let sdp = with(concat!(
            "m=video 5000 RTP/AVP 97\r\n",
            "a=rtcp-fb:* nack pli\r\n",
            "a=rtcp-fb: 97 \t ccm  fir\r\n",
            "a=content:main\r\n",
        ))
        .unwrap();
        let m = &sdp.media[0];
        assert_eq!(
            m.attributes[..2],
            [
                Attribute::RtcpFb(RtcpFb {
                    format: "*".into(),
                    value: "nack pli".into(),
                }),
                Attribute::RtcpFb(RtcpFb {
                    format: "97".into(),
                    value: "ccm  fir".into(),
                }),
            ]
        );
        assert_eq!(m.attributes[1].to_string(), "rtcp-fb:97 ccm  fir");
        assert_eq!(m.rtcp_fb(97).collect::<Vec<_>>(), ["nack pli", "ccm  fir"]);
        assert_eq!(m.rtcp_fb(96).collect::<Vec<_>>(), ["nack pli"]);
        assert_eq!(m.content(), Some("main"));
    }

    #[test]
    fn odd_attributes_are_kept_verbatim() {
        for value in [
            "ptime:abc",
            "rtpmap:200 X/8000",
            "rtpmap:0 PCMU",
            "sendonly:now",
            "rtcp-mux:1",
            "rtcp-fb:96",
            "rtcp-fb:",
            "fmtp:",
            "candidate:1 1 UDP 2130706431 192.0.2.1 4000 typ host",
            "",
            ":x",
        ] {
            let sdp = with(&format!("a={value}\r\n")).unwrap();
            let printed = sdp.attributes[0].to_string();
            assert_eq!(printed, value);
            assert!(
                matches!(sdp.attributes[0], Attribute::Other { .. }),
                "{value}"
            );
        }
    }

    #[test]
    fn printed_size_is_bounded_too() {
        // Each stray byte prints as a 3-byte U+FFFD: 30 000 of them parse to something that would
        // print past the limit, so the body is refused rather than printed unparseably.
        let mut body = MINIMAL.as_bytes().to_vec();
        body.extend_from_slice(b"a=x:");
        body.extend(std::iter::repeat_n(0xff, 30_000));
        assert_eq!(parse(&body).unwrap_err().kind, Kind::TooLarge);
        body.truncate(MINIMAL.len() + 4 + 20_000);
        let sdp = parse(&body).unwrap();
        assert_eq!(parse(sdp.to_string().as_bytes()), Ok(sdp));
    }

    #[test]
    fn limits() {
        let attrs = "a=x\r\n".repeat(MAX_ATTRIBUTES + 1);
        assert_eq!(kind(&attrs), Kind::TooMany);
        let media = "m=audio 0 RTP/AVP 0\r\n".repeat(MAX_MEDIA + 1);
        assert_eq!(kind(&media), Kind::TooMany);
        let emails = "e=a@example.com\r\n".repeat(MAX_REPEATED + 1);
        assert_eq!(kind(&emails), Kind::TooMany);
    }
}
