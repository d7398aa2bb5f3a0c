//! The SDP printer: RFC 4566 §5 line order, CRLF line ends.
//!
//! Printing is the inverse of parsing for every description the parser produces: parse → print →
//! parse gives the same description (the proptest round trip and the fuzz target check this).

use std::fmt::{self, Display, Formatter, Write};

use super::model::{
    Attribute, Bandwidth, Connection, MediaDescription, Origin, Rtcp, SessionDescription,
};

/// The length of the printed form, without building it.
pub(super) fn printed_len(sdp: &SessionDescription) -> usize {
    struct Counter(usize);
    impl Write for Counter {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Writing to a counter cannot fail.
    let _ = write!(counter, "{sdp}");
    counter.0
}

impl Display for SessionDescription {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "v=0\r\n")?;
        write!(f, "o={}\r\n", self.origin)?;
        if self.session_name.is_empty() {
            // RFC 4566 §5.3: a session without a name is written `s= ` (one space).
            write!(f, "s= \r\n")?;
        } else {
            write!(f, "s={}\r\n", self.session_name)?;
        }
        optional(f, 'i', self.information.as_deref())?;
        optional(f, 'u', self.uri.as_deref())?;
        for email in &self.emails {
            write!(f, "e={email}\r\n")?;
        }
        for phone in &self.phones {
            write!(f, "p={phone}\r\n")?;
        }
        if let Some(connection) = &self.connection {
            write!(f, "c={connection}\r\n")?;
        }
        for bandwidth in &self.bandwidths {
            write!(f, "b={bandwidth}\r\n")?;
        }
        for timing in &self.times {
            write!(f, "t={} {}\r\n", timing.start, timing.stop)?;
            for repeat in &timing.repeats {
                write!(f, "r={repeat}\r\n")?;
            }
        }
        optional(f, 'z', self.time_zones.as_deref())?;
        optional(f, 'k', self.key.as_deref())?;
        for attribute in &self.attributes {
            write!(f, "a={attribute}\r\n")?;
        }
        for media in &self.media {
            write!(f, "{media}")?;
        }
        Ok(())
    }
}

fn optional(f: &mut Formatter<'_>, letter: char, value: Option<&str>) -> fmt::Result {
    match value {
        Some(value) => write!(f, "{letter}={value}\r\n"),
        None => Ok(()),
    }
}

impl Display for Origin {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {} {}",
            self.username,
            self.session_id,
            self.session_version,
            self.net_type,
            self.addr_type,
            self.address
        )
    }
}

impl Display for Connection {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.net_type, self.addr_type, self.address)
    }
}

impl Display for Bandwidth {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.value)
    }
}

/// The whole section, from its `m=` line, each line ending in CRLF.
impl Display for MediaDescription {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "m={} {}", self.media, self.port)?;
        if let Some(count) = self.port_count {
            write!(f, "/{count}")?;
        }
        write!(f, " {}", self.protocol)?;
        for format in &self.formats {
            write!(f, " {format}")?;
        }
        write!(f, "\r\n")?;
        optional(f, 'i', self.information.as_deref())?;
        for connection in &self.connections {
            write!(f, "c={connection}\r\n")?;
        }
        for bandwidth in &self.bandwidths {
            write!(f, "b={bandwidth}\r\n")?;
        }
        optional(f, 'k', self.key.as_deref())?;
        for attribute in &self.attributes {
            write!(f, "a={attribute}\r\n")?;
        }
        Ok(())
    }
}

/// The text after `a=`.
impl Display for Attribute {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Attribute::Rtpmap(m) => {
                write!(
                    f,
                    "rtpmap:{} {}/{}",
                    m.payload_type, m.encoding, m.clock_rate
                )?;
                match m.channels {
                    Some(channels) => write!(f, "/{channels}"),
                    None => Ok(()),
                }
            }
            Attribute::Fmtp(p) if p.params.is_empty() => write!(f, "fmtp:{}", p.format),
            Attribute::Fmtp(p) => write!(f, "fmtp:{} {}", p.format, p.params),
            Attribute::Ptime(ms) => write!(f, "ptime:{ms}"),
            Attribute::MaxPtime(ms) => write!(f, "maxptime:{ms}"),
            Attribute::Direction(d) => f.write_str(d.as_str()),
            Attribute::Rtcp(Rtcp { port, connection }) => match connection {
                Some(c) => write!(f, "rtcp:{port} {c}"),
                None => write!(f, "rtcp:{port}"),
            },
            Attribute::RtcpMux => f.write_str("rtcp-mux"),
            Attribute::RtcpFb(fb) => write!(f, "rtcp-fb:{} {}", fb.format, fb.value),
            Attribute::Other { name, value } => match value {
                Some(value) => write!(f, "{name}:{value}"),
                None => f.write_str(name),
            },
        }
    }
}
