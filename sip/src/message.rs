//! Parsing untrusted bytes into SIP messages (RFC 3261 §7, §8.2, §20) and the checks rsip does
//! not make, plus the stateless error response of RFC 3261 §8.2 / §21.4.1 / §21.5.6.
//!
//! rsip 0.4 only reads the simplest spelling of a message (no folding, no compact names, no LWS
//! around separators) and its URI parser rejects valid URIs (RFC 4475 esc01, semiuri, intmeth).
//! So [`parse`] does the lexical work itself (in the private `grammar` module): it cuts the
//! message, checks the start line, the mandatory and single-value headers, CSeq and
//! Content-Length, rewrites every header in canonical spelling (one value per line), and builds
//! the `rsip` message from those parts. rsip's nom tokenizer never sees the raw bytes, and
//! every slice is bounds-checked, so nothing here can panic on any input (the fuzz targets and
//! `tests/message_fuzz_smoke.rs` hold us to it).
//!
//! Two limits of rsip 0.4 shape the API: its `Method` is a closed enum, so a request with an
//! extension method is [`ParseError::UnknownMethod`] (answered 501 by [`error_response`], RFC 3261
//! §8.2.1); and its `Uri` cannot hold URI headers, so a Request-URI with `?headers` is rejected
//! (RFC 4475 escruri allows that).

mod grammar;

pub use grammar::unescape;

use rsip::{Header, Headers, Method, SipMessage, StatusCode, Version};

/// The headers our checks know by name (compact forms are mapped to these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeaderKind {
    /// `To` (`t`).
    To,
    /// `From` (`f`).
    From,
    /// `Call-ID` (`i`).
    CallId,
    /// `CSeq`.
    CSeq,
    /// `Via` (`v`).
    Via,
    /// `Max-Forwards`.
    MaxForwards,
    /// `Content-Length` (`l`).
    ContentLength,
    /// `Content-Type` (`c`).
    ContentType,
    /// `Contact` (`m`).
    Contact,
    /// `Route`.
    Route,
    /// `Record-Route`.
    RecordRoute,
    /// `Reply-To`.
    ReplyTo,
}

impl HeaderKind {
    const ALL: [HeaderKind; 12] = [
        HeaderKind::To,
        HeaderKind::From,
        HeaderKind::CallId,
        HeaderKind::CSeq,
        HeaderKind::Via,
        HeaderKind::MaxForwards,
        HeaderKind::ContentLength,
        HeaderKind::ContentType,
        HeaderKind::Contact,
        HeaderKind::Route,
        HeaderKind::RecordRoute,
        HeaderKind::ReplyTo,
    ];

    /// The header's full name as RFC 3261 spells it.
    pub fn name(self) -> &'static str {
        match self {
            HeaderKind::To => "To",
            HeaderKind::From => "From",
            HeaderKind::CallId => "Call-ID",
            HeaderKind::CSeq => "CSeq",
            HeaderKind::Via => "Via",
            HeaderKind::MaxForwards => "Max-Forwards",
            HeaderKind::ContentLength => "Content-Length",
            HeaderKind::ContentType => "Content-Type",
            HeaderKind::Contact => "Contact",
            HeaderKind::Route => "Route",
            HeaderKind::RecordRoute => "Record-Route",
            HeaderKind::ReplyTo => "Reply-To",
        }
    }

    /// The kind of a full or compact header name (names are case-insensitive, §7.3.1).
    pub fn of(name: &str) -> Option<HeaderKind> {
        let name = grammar::expand_compact(name);
        Self::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name))
    }

    /// Headers that may appear once only (§7.3.1, §20).
    fn single(self) -> bool {
        !matches!(
            self,
            HeaderKind::Via | HeaderKind::Contact | HeaderKind::Route | HeaderKind::RecordRoute
        )
    }
}

/// Why a message was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Nothing but empty lines: a CRLF keep-alive (RFC 5626 §3.5.1), neither answered nor counted.
    #[error("empty message (keep-alive)")]
    Empty,
    /// The first line is neither a Request-Line nor a Status-Line (§7.1, §7.2).
    #[error("malformed start line")]
    InvalidStartLine,
    /// A SIP version other than 2.0 (answered 505, §8.2.2 / RFC 4475 badvers).
    #[error("unsupported SIP version")]
    UnsupportedVersion,
    /// A status code that is not three digits between 100 and 699 (RFC 4475 bigcode).
    #[error("status code out of range")]
    InvalidStatusCode,
    /// The Request-URI is enclosed in `<>` (RFC 4475 ltgtruri).
    #[error("Request-URI enclosed in <>")]
    RequestUriBrackets,
    /// The Request-URI holds whitespace (RFC 4475 lwsruri).
    #[error("whitespace inside the Request-URI")]
    RequestUriWhitespace,
    /// The Request-URI carries `?headers`, which §19.1.1 forbids there (RFC 4475 escruri).
    #[error("headers in the Request-URI")]
    RequestUriHeaders,
    /// The Request-URI is not a URI (§19.1.1, §25.1).
    #[error("malformed Request-URI")]
    InvalidRequestUri,
    /// A header line without `name:`, with a bare CR, or not UTF-8 (§7.3).
    #[error("malformed header line")]
    InvalidHeaderLine,
    /// A mandatory header is absent (§8.1.1, RFC 4475 insuf).
    #[error("missing {} header", .0.name())]
    MissingHeader(HeaderKind),
    /// A single-value header appears twice (§7.3.1, RFC 4475 multi01, mcl01).
    #[error("repeated {} header", .0.name())]
    DuplicateHeader(HeaderKind),
    /// A known header's value does not follow its grammar (§20; RFC 4475 badinv01, quotbal…).
    #[error("malformed {} header", .0.name())]
    InvalidHeader(HeaderKind),
    /// The CSeq method differs from the Request-Line method (§8.1.1.5, RFC 4475 mismatch01).
    #[error("CSeq method does not match the request method")]
    CSeqMethodMismatch,
    /// Content-Length is not a non-negative decimal number (§20.14, RFC 4475 ncl).
    #[error("malformed Content-Length")]
    InvalidContentLength,
    /// Content-Length is larger than the bytes that follow the headers (§18.3, RFC 4475 clerr).
    #[error("Content-Length larger than the body")]
    BodyTooShort,
    /// A well-formed request whose method rsip cannot represent (answered 501, §8.2.1;
    /// RFC 4475 intmeth, esc02).
    #[error("unknown method {method}")]
    UnknownMethod {
        /// The method as it appears on the Request-Line.
        method: String,
    },
}

impl ParseError {
    /// A short reason phrase for the response (`Bad Request - …` for a 400).
    pub fn reason(&self) -> &'static str {
        use HeaderKind as K;
        match self {
            ParseError::Empty => "Bad Request - Empty Message",
            ParseError::InvalidStartLine => "Bad Request - Malformed Start Line",
            ParseError::UnsupportedVersion => "Version Not Supported",
            ParseError::InvalidStatusCode => "Bad Request - Invalid Status Code",
            ParseError::RequestUriBrackets => "Bad Request - Request-URI in Angle Brackets",
            ParseError::RequestUriWhitespace => "Bad Request - Whitespace in Request-URI",
            ParseError::RequestUriHeaders => "Bad Request - Headers in Request-URI",
            ParseError::InvalidRequestUri => "Bad Request - Malformed Request-URI",
            ParseError::InvalidHeaderLine => "Bad Request - Malformed Header Line",
            ParseError::MissingHeader(k) => match k {
                K::To => "Bad Request - Missing To",
                K::From => "Bad Request - Missing From",
                K::CallId => "Bad Request - Missing Call-ID",
                K::CSeq => "Bad Request - Missing CSeq",
                K::Via => "Bad Request - Missing Via",
                _ => "Bad Request - Missing Header",
            },
            ParseError::DuplicateHeader(k) => match k {
                K::To => "Bad Request - Repeated To",
                K::From => "Bad Request - Repeated From",
                K::CallId => "Bad Request - Repeated Call-ID",
                K::CSeq => "Bad Request - Repeated CSeq",
                K::MaxForwards => "Bad Request - Repeated Max-Forwards",
                K::ContentLength => "Bad Request - Repeated Content-Length",
                K::ContentType => "Bad Request - Repeated Content-Type",
                _ => "Bad Request - Repeated Header",
            },
            ParseError::InvalidHeader(k) => match k {
                K::To => "Bad Request - Malformed To",
                K::From => "Bad Request - Malformed From",
                K::CallId => "Bad Request - Malformed Call-ID",
                K::CSeq => "Bad Request - Malformed CSeq",
                K::Via => "Bad Request - Malformed Via",
                K::MaxForwards => "Bad Request - Malformed Max-Forwards",
                K::ContentLength => "Bad Request - Malformed Content-Length",
                K::ContentType => "Bad Request - Malformed Content-Type",
                K::Contact => "Bad Request - Malformed Contact",
                K::Route => "Bad Request - Malformed Route",
                K::RecordRoute => "Bad Request - Malformed Record-Route",
                K::ReplyTo => "Bad Request - Malformed Reply-To",
            },
            ParseError::CSeqMethodMismatch => "Bad Request - CSeq method does not match",
            ParseError::InvalidContentLength => "Bad Request - Malformed Content-Length",
            ParseError::BodyTooShort => "Bad Request - Content-Length Larger Than Body",
            ParseError::UnknownMethod { .. } => "Not Implemented",
        }
    }

    /// The status code of the stateless answer: 505, 501, or 400.
    pub fn status_code(&self) -> u16 {
        match self {
            ParseError::UnsupportedVersion => 505,
            ParseError::UnknownMethod { .. } => 501,
            _ => 400,
        }
    }
}

/// Parse one whole message (a UDP datagram, or one frame cut by [`crate::framing`]).
///
/// Bytes after Content-Length are ignored (RFC 4475 dblreq); without Content-Length the body is
/// the rest of the datagram (§18.3). Leading CRLFs are skipped (§7.5).
pub fn parse(bytes: &[u8]) -> Result<SipMessage, ParseError> {
    let sections = grammar::split_message(bytes).ok_or(ParseError::Empty)?;
    let start = std::str::from_utf8(sections.start).map_err(|_| ParseError::InvalidStartLine)?;
    if start.contains('\r') {
        return Err(ParseError::InvalidStartLine);
    }
    let start_line = parse_start_line(start)?;
    let headers = check_headers(&sections.headers, &start_line)?;
    let body = match headers.content_length {
        Some(n) if n > sections.body.len() => return Err(ParseError::BodyTooShort),
        Some(n) => sections.body[..n].to_vec(),
        None => sections.body.to_vec(),
    };
    match start_line {
        StartLine::Response { code, reason } => {
            let status_code = match StatusCode::from(code) {
                StatusCode::Other(code, _) => StatusCode::Other(code, reason.to_owned()),
                known => known,
            };
            Ok(SipMessage::Response(rsip::Response {
                status_code,
                version: Version::V2,
                headers: headers.headers,
                body,
            }))
        }
        StartLine::Request { method, uri } => {
            let uri = request_uri(uri)?;
            // rsip's own `Method` parsing trims and ignores case; methods are case-sensitive
            // (§7.1), so compare with the canonical spelling.
            let method = Method::all()
                .into_iter()
                .find(|m| m.to_string() == method)
                .ok_or_else(|| ParseError::UnknownMethod {
                    method: method.to_owned(),
                })?;
            Ok(SipMessage::Request(rsip::Request {
                method,
                uri,
                version: Version::V2,
                headers: headers.headers,
                body,
            }))
        }
    }
}

/// The stateless response to a request that failed to parse: 400 with the reason, 505 for an
/// unknown version, or 501 for an unknown method (the caller may add an `Allow` header).
/// Via, From, To, Call-ID and CSeq are copied from the lines that can still be read (§8.2.6.2),
/// and To gets a tag when it has none. `None` for a response, an ACK (§17.2.1 never answers
/// one), a keep-alive, or when no Via can be recovered.
pub fn error_response(bytes: &[u8], err: &ParseError) -> Option<rsip::Response> {
    if matches!(err, ParseError::Empty | ParseError::InvalidStatusCode) {
        return None;
    }
    let sections = grammar::split_message(bytes)?;
    let start = String::from_utf8_lossy(sections.start);
    let method = start.split_whitespace().next()?;
    let is_response = method
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("SIP/"));
    if is_response || method == "ACK" {
        return None;
    }
    let (mut vias, mut from, mut to, mut call_id, mut cseq) = (Vec::new(), None, None, None, None);
    for line in &sections.headers {
        let line = String::from_utf8_lossy(line);
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        // Control characters would corrupt our own response; drop them.
        let value: String = value.trim().chars().filter(|c| !c.is_control()).collect();
        match HeaderKind::of(name.trim()) {
            Some(HeaderKind::Via) if !value.is_empty() => vias.push(value),
            Some(HeaderKind::From) => from = from.or(Some(value)),
            Some(HeaderKind::To) => to = to.or(Some(value)),
            Some(HeaderKind::CallId) => call_id = call_id.or(Some(value)),
            Some(HeaderKind::CSeq) => cseq = cseq.or(Some(value)),
            _ => {}
        }
    }
    if vias.is_empty() {
        return None;
    }
    let mut headers: Vec<Header> = vias
        .into_iter()
        .map(|v| Header::Via(rsip::headers::Via::from(v)))
        .collect();
    if let Some(from) = from {
        headers.push(Header::From(rsip::headers::From::from(from)));
    }
    if let Some(to) = to {
        let to = if to
            .to_ascii_lowercase()
            .replace([' ', '\t'], "")
            .contains(";tag=")
        {
            to
        } else {
            // §8.2.6.2: a UAS adds a To tag. Stateless and clock-free, so derive it from the
            // request: the same bad request gets the same tag.
            format!("{to};tag={:08x}", fnv1a(bytes) as u32)
        };
        headers.push(Header::To(rsip::headers::To::from(to)));
    }
    if let Some(call_id) = call_id {
        headers.push(Header::CallId(rsip::headers::CallId::from(call_id)));
    }
    if let Some(cseq) = cseq {
        headers.push(Header::CSeq(rsip::headers::CSeq::from(cseq)));
    }
    headers.push(Header::ContentLength(rsip::headers::ContentLength::from(
        "0".to_owned(),
    )));
    let code = err.status_code();
    Some(rsip::Response {
        status_code: StatusCode::Other(code, err.reason().to_owned()),
        version: Version::V2,
        headers: headers.into(),
        body: Vec::new(),
    })
}

/// The value of the first header called `name` (full or compact, any case), as printed by
/// rsip. For headers rsip has no accessor for (`Require`, `Session-Expires`, …).
pub fn header_value(headers: &Headers, name: &str) -> Option<String> {
    header_values(headers, name).into_iter().next()
}

/// The values of every header called `name` (full or compact, any case), in message order.
pub fn header_values(headers: &Headers, name: &str) -> Vec<String> {
    let wanted = grammar::expand_compact(name);
    headers
        .iter()
        .filter_map(|h| {
            let printed = h.to_string();
            let (n, v) = printed.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(wanted)
                .then(|| v.trim().to_owned())
        })
        .collect()
}

enum StartLine<'a> {
    Request { method: &'a str, uri: &'a str },
    Response { code: u16, reason: &'a str },
}

/// Is `v` a SIP-Version token, and is it 2.0 (the string is case-insensitive, §7.1)?
fn version(v: &str) -> Result<(), ParseError> {
    match v.get(..4) {
        _ if v.eq_ignore_ascii_case("SIP/2.0") => Ok(()),
        Some(p) if p.eq_ignore_ascii_case("SIP/") => Err(ParseError::UnsupportedVersion),
        _ => Err(ParseError::InvalidStartLine),
    }
}

/// Request-Line (§7.1, extra SP between elements tolerated: RFC 4475 lwsstart, trws) or
/// Status-Line (§7.2).
fn parse_start_line(line: &str) -> Result<StartLine<'_>, ParseError> {
    if line
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("SIP/"))
    {
        let (v, rest) = line.split_once(' ').ok_or(ParseError::InvalidStartLine)?;
        version(v)?;
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        let code = match code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()) {
            true => code
                .parse::<u16>()
                .map_err(|_| ParseError::InvalidStatusCode)?,
            false => return Err(ParseError::InvalidStatusCode),
        };
        if !(100..=699).contains(&code) {
            return Err(ParseError::InvalidStatusCode);
        }
        return Ok(StartLine::Response { code, reason });
    }
    let parts: Vec<&str> = line.split([' ', '\t']).filter(|p| !p.is_empty()).collect();
    match parts[..] {
        [method, uri, v] => {
            version(v)?;
            if !grammar::is_token(method) {
                return Err(ParseError::InvalidStartLine);
            }
            if uri.starts_with('<') || uri.ends_with('>') {
                return Err(ParseError::RequestUriBrackets);
            }
            Ok(StartLine::Request { method, uri })
        }
        [_, _, .., last]
            if last
                .get(..4)
                .is_some_and(|p| p.eq_ignore_ascii_case("SIP/")) =>
        {
            Err(ParseError::RequestUriWhitespace)
        }
        _ => Err(ParseError::InvalidStartLine),
    }
}

/// The checked, canonical headers of a message.
struct CheckedHeaders {
    headers: Headers,
    content_length: Option<usize>,
}

/// Checks every header line (§7.3, §20) and rewrites it canonically, then checks the mandatory
/// headers (§8.1.1) and the CSeq method (§8.1.1.5).
fn check_headers(lines: &[Vec<u8>], start: &StartLine<'_>) -> Result<CheckedHeaders, ParseError> {
    let mut seen = [0u32; HeaderKind::ALL.len()];
    let mut out: Vec<Header> = Vec::with_capacity(lines.len());
    let mut content_length = None;
    let mut cseq_method = None;
    for line in lines {
        let line = std::str::from_utf8(line).map_err(|_| ParseError::InvalidHeaderLine)?;
        if line.contains('\r') {
            return Err(ParseError::InvalidHeaderLine);
        }
        let (name, value) =
            grammar::split_header_line(line).ok_or(ParseError::InvalidHeaderLine)?;
        let Some(kind) = HeaderKind::of(name) else {
            out.push(make_header(name, value)?);
            continue;
        };
        let index = HeaderKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
        seen[index] += 1;
        if kind.single() && seen[index] > 1 {
            return Err(ParseError::DuplicateHeader(kind));
        }
        let bad = ParseError::InvalidHeader(kind);
        match kind {
            HeaderKind::Via => {
                for v in grammar::split_top_level(value, ',') {
                    let v = grammar::canonical_via(v).ok_or(bad.clone())?;
                    out.push(make_header(kind.name(), &v)?);
                }
            }
            HeaderKind::Contact if value == "*" => out.push(make_header(kind.name(), value)?),
            HeaderKind::Contact | HeaderKind::Route | HeaderKind::RecordRoute => {
                for v in grammar::split_top_level(value, ',') {
                    let v = grammar::canonical_name_addr(v).ok_or(bad.clone())?;
                    out.push(make_header(kind.name(), &v)?);
                }
            }
            HeaderKind::To | HeaderKind::From | HeaderKind::ReplyTo => {
                let v = grammar::canonical_name_addr(value).ok_or(bad)?;
                out.push(make_header(kind.name(), &v)?);
            }
            HeaderKind::CSeq => {
                // CSeq = 1*DIGIT LWS Method, the number below 2**31 (§8.1.1.5) but accepted up
                // to 2**32-1 as §20.16 allows (RFC 4475 scalar02 goes past it).
                let (number, method) = match value.split_whitespace().collect::<Vec<_>>()[..] {
                    [n, m] if n.bytes().all(|b| b.is_ascii_digit()) && grammar::is_token(m) => {
                        (n.parse::<u32>().map_err(|_| bad.clone())?, m)
                    }
                    _ => return Err(bad),
                };
                cseq_method = Some(method);
                out.push(make_header(kind.name(), &format!("{number} {method}"))?);
            }
            HeaderKind::CallId => {
                if value.is_empty() || value.contains([' ', '\t']) {
                    return Err(bad);
                }
                out.push(make_header(kind.name(), value)?);
            }
            HeaderKind::MaxForwards => {
                // 1*DIGIT in 0..=255 (§20.22); leading zeros are fine (RFC 4475 wsinv).
                let ok = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
                let n = value.parse::<u8>().ok().filter(|_| ok).ok_or(bad)?;
                out.push(make_header(kind.name(), &n.to_string())?);
            }
            HeaderKind::ContentLength => {
                let ok = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
                let n = value.parse::<usize>().ok().filter(|_| ok);
                let n = n.ok_or(ParseError::InvalidContentLength)?;
                content_length = Some(n);
                out.push(make_header(kind.name(), &n.to_string())?);
            }
            HeaderKind::ContentType => {
                if !value.contains('/') {
                    return Err(bad);
                }
                out.push(make_header(kind.name(), value)?);
            }
        }
    }
    // Max-Forwards is left optional for RFC 2543 peers (RFC 4475 inv2543).
    for kind in [
        HeaderKind::To,
        HeaderKind::From,
        HeaderKind::CallId,
        HeaderKind::CSeq,
        HeaderKind::Via,
    ] {
        if !out.iter().any(|h| is_kind(h, kind)) {
            return Err(ParseError::MissingHeader(kind));
        }
    }
    if let (StartLine::Request { method, .. }, Some(cseq)) = (start, cseq_method) {
        if *method != cseq {
            return Err(ParseError::CSeqMethodMismatch);
        }
    }
    Ok(CheckedHeaders {
        headers: out.into(),
        content_length,
    })
}

fn is_kind(h: &Header, kind: HeaderKind) -> bool {
    matches!(
        (h, kind),
        (Header::To(_), HeaderKind::To)
            | (Header::From(_), HeaderKind::From)
            | (Header::CallId(_), HeaderKind::CallId)
            | (Header::CSeq(_), HeaderKind::CSeq)
            | (Header::Via(_), HeaderKind::Via)
    )
}

/// One rsip header from a checked name and value. rsip picks the variant from the name through
/// its (public but doc-hidden) header tokenizer; it only fails on non-UTF-8, which we excluded.
fn make_header(name: &str, value: &str) -> Result<Header, ParseError> {
    let tokenizer = rsip::headers::header::Tokenizer::from((name.as_bytes(), value.as_bytes()));
    tokenizer
        .try_into()
        .map_err(|_: rsip::Error| ParseError::InvalidHeaderLine)
}

/// Builds the Request-URI (§19.1.1) ourselves: rsip's URI parser rejects valid URIs such as
/// `sip:user;par=u%40example.net@example.com`. Escapes are kept as sent (see [`unescape`]). A
/// non-SIP URI is kept whole (scheme, then the rest as the "host") so that the endpoint can
/// answer 416 (RFC 4475 unkscm, novelsc).
fn request_uri(uri: &str) -> Result<rsip::Uri, ParseError> {
    if !grammar::is_uri(uri) {
        return Err(ParseError::InvalidRequestUri);
    }
    let (scheme, rest) = uri.split_once(':').ok_or(ParseError::InvalidRequestUri)?;
    let scheme = if scheme.eq_ignore_ascii_case("sip") {
        rsip::Scheme::Sip
    } else if scheme.eq_ignore_ascii_case("sips") {
        rsip::Scheme::Sips
    } else {
        // rsip prints an `Other` scheme followed by `://`, so drop the slashes here.
        let rest = rest.trim_start_matches('/');
        return Ok(rsip::Uri {
            scheme: Some(rsip::Scheme::Other(scheme.to_owned())),
            host_with_port: rsip::Host::Domain(rest.into()).into(),
            ..Default::default()
        });
    };
    // The user part may hold `;`, `?`, `/`, `:` (RFC 4475 semiuri, intmeth) but never `@`.
    let (auth, rest) = match rest.split_once('@') {
        Some((userinfo, rest)) => {
            let (user, password) = match userinfo.split_once(':') {
                Some((u, p)) => (u, Some(p.to_owned())),
                None => (userinfo, None),
            };
            if user.is_empty() {
                return Err(ParseError::InvalidRequestUri);
            }
            let auth = rsip::Auth {
                user: user.to_owned(),
                password,
            };
            (Some(auth), rest)
        }
        None => (None, rest),
    };
    if rest.contains('?') {
        return Err(ParseError::RequestUriHeaders);
    }
    let mut parts = rest.split(';');
    let host_port = parts.next().unwrap_or_default();
    let (host, port) = grammar::split_host_port(host_port).ok_or(ParseError::InvalidRequestUri)?;
    let params = parts
        .map(|p| {
            let (name, value) = match p.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (p, None),
            };
            if !grammar::is_token(name) {
                return Err(ParseError::InvalidRequestUri);
            }
            // rsip types the parameters it knows and fails on values it cannot read (an
            // unknown transport or method): keep those as plain parameters.
            Ok(rsip::Param::try_from((name, value))
                .unwrap_or_else(|_| rsip::Param::Other(name.into(), value.map(Into::into))))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rsip::Uri {
        scheme: Some(scheme),
        auth,
        host_with_port: rsip::HostWithPort {
            host: rsip::Host::from(host),
            port: port.map(rsip::Port::from),
        },
        params,
        headers: Vec::new(),
    })
}

/// FNV-1a, for the deterministic To tag of a stateless answer.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests;
