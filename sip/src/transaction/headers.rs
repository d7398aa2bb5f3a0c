//! Reading the header fields transactions and dialogs need (RFC 3261 §7.3, §20, compact forms of
//! §7.3.3) out of an `rsip` message, and writing messages back to bytes.
//!
//! rsip keeps headers as untyped strings and does not know the compact forms (`v:`, `i:`…) nor
//! extension methods, so the few fields the state machines match on are read here with small,
//! total (never panicking) string scanners instead of rsip's typed parsers.

use rsip::Header;

/// The full name and compact form of the headers we read (§7.3.3).
const ALIASES: &[(&str, &str)] = &[
    ("call-id", "i"),
    ("contact", "m"),
    ("content-encoding", "e"),
    ("content-length", "l"),
    ("content-type", "c"),
    ("from", "f"),
    ("subject", "s"),
    ("supported", "k"),
    ("to", "t"),
    ("via", "v"),
];

/// Whether a header name (full or compact form) is `wanted`.
pub(crate) fn name_matches(found: &str, wanted: &str) -> bool {
    if found.eq_ignore_ascii_case(wanted) {
        return true;
    }
    ALIASES.iter().any(|(full, short)| {
        (wanted.eq_ignore_ascii_case(full) && found.eq_ignore_ascii_case(short))
            || (wanted.eq_ignore_ascii_case(short) && found.eq_ignore_ascii_case(full))
    })
}

/// Split a header into name and value (rsip prints every header as `Name: value`).
pub(crate) fn name_value(header: &Header) -> (String, String) {
    if let Header::Other(name, value) = header {
        return (name.clone(), value.clone());
    }
    let line = header.to_string();
    match line.split_once(':') {
        Some((name, value)) => (name.trim().to_string(), value.trim().to_string()),
        None => (line, String::new()),
    }
}

/// Every value of the header `name` (full or compact form), one per header line, in order.
pub(crate) fn values(headers: &rsip::Headers, name: &str) -> Vec<String> {
    headers
        .iter()
        .map(name_value)
        .filter(|(n, _)| name_matches(n, name))
        .map(|(_, v)| v)
        .collect()
}

/// The first value of the header `name`.
pub(crate) fn first(headers: &rsip::Headers, name: &str) -> Option<String> {
    values(headers, name).into_iter().next()
}

/// Every comma-separated element of every `name` header (Via, Require, Accept, Supported…).
pub(crate) fn list(headers: &rsip::Headers, name: &str) -> Vec<String> {
    values(headers, name)
        .iter()
        .flat_map(|v| split_commas(v))
        .collect()
}

/// Split a header value on the commas that separate elements, not those inside quotes or `<>`.
pub(crate) fn split_commas(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    let mut in_angle = false;
    let mut escaped = false;
    for c in value.chars() {
        if escaped {
            escaped = false;
            current.push(c);
            continue;
        }
        match c {
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            '<' if !in_quotes => in_angle = true,
            '>' if !in_quotes => in_angle = false,
            ',' if !in_quotes && !in_angle => {
                let item = current.trim().to_string();
                if !item.is_empty() {
                    out.push(item);
                }
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    let item = current.trim().to_string();
    if !item.is_empty() {
        out.push(item);
    }
    out
}

/// The byte offset where the header parameters of a name-addr / addr-spec value start: after
/// the `>` of a name-addr, else at the first `;` of an addr-spec (§20.10: without `<>` the URI
/// cannot carry parameters, they belong to the header).
fn params_start(value: &str) -> usize {
    let mut in_quotes = false;
    let mut escaped = false;
    let mut angle_open = None;
    for (i, c) in value.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            '<' if !in_quotes => angle_open = Some(i),
            '>' if !in_quotes && angle_open.is_some() => return i + 1,
            ';' if !in_quotes && angle_open.is_none() => return i,
            _ => {}
        }
    }
    value.len()
}

/// A parameter of a `;name=value` list: `Some(value)` (empty for a flag), `None` when absent.
pub(crate) fn param_in(params: &str, name: &str) -> Option<String> {
    params.split(';').skip(1).find_map(|p| {
        let (k, v) = match p.split_once('=') {
            Some((k, v)) => (k.trim(), v.trim()),
            None => (p.trim(), ""),
        };
        k.eq_ignore_ascii_case(name)
            .then(|| v.trim_matches('"').to_string())
    })
}

/// A header parameter of a From/To/Contact value, e.g. `tag`.
pub(crate) fn header_param(value: &str, name: &str) -> Option<String> {
    let start = params_start(value);
    // `param_in` skips the segment before the first `;`, which is empty here.
    param_in(&value[start..], name)
}

/// The `tag` of a From or To value.
pub(crate) fn tag(value: &str) -> Option<String> {
    header_param(value, "tag").filter(|t| !t.is_empty())
}

/// Append `;tag=...` to a To value that has none.
pub(crate) fn with_tag(value: &str, tag: &str) -> String {
    format!("{value};tag={tag}")
}

/// The URI of a name-addr or addr-spec (`"Bob" <sip:b@h>;p` → `sip:b@h`).
pub(crate) fn uri_of(value: &str) -> String {
    let start = params_start(value);
    let head = &value[..start];
    match (head.find('<'), head.rfind('>')) {
        (Some(open), Some(close)) if open < close => head[open + 1..close].trim().to_string(),
        _ => head.trim().to_string(),
    }
}

/// The parts of one Via value that matching and response routing use (§18.2.2, §20.42).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViaValue {
    /// The transport token (`UDP`, `TCP`…), upper-cased.
    pub transport: String,
    /// Host (without brackets for IPv6) and optional port.
    pub host: String,
    /// The sent-by port, if written.
    pub port: Option<u16>,
    /// The branch parameter, if any.
    pub branch: Option<String>,
    /// Whether an `rport` parameter is present (RFC 3581).
    pub rport: bool,
}

impl ViaValue {
    /// `host[:port]` as written (the sent-by of §17.2.3 matching).
    pub fn sent_by(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{}", self.host, p),
            None => self.host.clone(),
        }
    }

    /// Whether the branch carries the RFC 3261 magic cookie and something after it. A bare
    /// `z9hG4bK` (RFC 4475 badbranch) is treated as no branch: RFC 2543 matching applies.
    pub fn rfc3261_branch(&self) -> Option<&str> {
        self.branch
            .as_deref()
            .filter(|b| b.len() > 7 && b.starts_with("z9hG4bK"))
    }
}

/// Parse one Via value; `None` when it has no recognisable sent-protocol and sent-by.
pub(crate) fn parse_via(value: &str) -> Option<ViaValue> {
    let (head, params) = match value.find(';') {
        Some(i) => (&value[..i], &value[i..]),
        None => (value, ""),
    };
    // "SIP / 2.0 / UDP host:port" — LWS is allowed around the slashes (RFC 4475 wsinv).
    let mut parts = head.splitn(3, '/');
    let proto = parts.next()?.trim();
    let _version = parts.next()?;
    let rest = parts.next()?.trim_start();
    if !proto.eq_ignore_ascii_case("SIP") {
        return None;
    }
    let split = rest.find(char::is_whitespace)?;
    let transport = rest[..split].trim().to_ascii_uppercase();
    let sent_by = rest[split..].trim();
    if sent_by.is_empty() {
        return None;
    }
    let (host, port) = split_host_port(sent_by);
    Some(ViaValue {
        transport,
        host,
        port,
        branch: param_in(params, "branch"),
        rport: param_in(params, "rport").is_some(),
    })
}

fn split_host_port(s: &str) -> (String, Option<u16>) {
    if let Some(rest) = s.strip_prefix('[') {
        // IPv6 reference: [addr]:port
        if let Some((addr, tail)) = rest.split_once(']') {
            let port = tail.strip_prefix(':').and_then(|p| p.trim().parse().ok());
            return (addr.to_string(), port);
        }
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h.trim().to_string(), p.trim().parse().ok()),
        _ => (s.trim().to_string(), None),
    }
}

/// The CSeq number and method (§20.16).
pub(crate) fn parse_cseq(value: &str) -> Option<(u32, String)> {
    let mut it = value.split_whitespace();
    let num = it.next()?.parse().ok()?;
    let method = it.next()?.to_string();
    if it.next().is_some() {
        return None;
    }
    Some((num, method))
}

/// Serialize a SIP message: start line, headers, a Content-Length we compute, then the body
/// bytes untouched (rsip's own Display would pass the body through a lossy UTF-8 conversion).
pub(crate) fn serialize(start_line: &str, headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + body.len());
    out.extend_from_slice(start_line.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in headers {
        if name_matches(name, "content-length") {
            continue;
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    out.extend_from_slice(body);
    out
}

/// The standard reason phrase of a status code (§21).
pub(crate) fn reason_phrase(code: u16) -> &'static str {
    match code {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        415 => "Unsupported Media Type",
        416 => "Unsupported URI Scheme",
        420 => "Bad Extension",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        483 => "Too Many Hops",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        491 => "Request Pending",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "Version Not Supported",
        600 => "Busy Everywhere",
        603 => "Decline",
        _ => match code / 100 {
            1 => "Session Progress",
            2 => "OK",
            3 => "Redirected",
            4 => "Client Error",
            5 => "Server Error",
            _ => "Global Failure",
        },
    }
}

/// Serialize a response with our reason phrase.
pub(crate) fn serialize_response(code: u16, headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    serialize(
        &format!("SIP/2.0 {} {}", code, reason_phrase(code)),
        headers,
        body,
    )
}

/// The headers of an rsip message as name/value pairs.
pub(crate) fn pairs(headers: &rsip::Headers) -> Vec<(String, String)> {
    headers.iter().map(name_value).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_uris() {
        assert_eq!(tag("sip:a@b;tag=12"), Some("12".into()));
        assert_eq!(
            tag("\"A;tag=x\" <sip:a@b;tag=no>;tag=yes"),
            Some("yes".into())
        );
        assert_eq!(tag("<sip:a@b>"), None);
        assert_eq!(uri_of("\"Bob\" <sip:b@h;lr>;q=1"), "sip:b@h;lr");
        assert_eq!(uri_of("sip:b@h;expires=3"), "sip:b@h");
    }

    #[test]
    fn via_values() {
        let v = parse_via("SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bK77;rport").unwrap();
        assert_eq!(v.transport, "UDP");
        assert_eq!(v.sent_by(), "192.0.2.1:5070");
        assert_eq!(v.rfc3261_branch(), Some("z9hG4bK77"));
        assert!(v.rport);
        let v = parse_via("SIP / 2.0 / TCP [2001:db8::9]:5061 ; branch=z9hG4bK").unwrap();
        assert_eq!(v.host, "2001:db8::9");
        assert_eq!(v.port, Some(5061));
        assert_eq!(v.rfc3261_branch(), None);
        assert!(parse_via("garbage").is_none());
        assert_eq!(
            split_commas("SIP/2.0/UDP a;branch=1, SIP/2.0/UDP \"x,y\""),
            vec!["SIP/2.0/UDP a;branch=1", "SIP/2.0/UDP \"x,y\""]
        );
    }

    #[test]
    fn cseq_values() {
        assert_eq!(parse_cseq("12 INVITE"), Some((12, "INVITE".into())));
        assert_eq!(parse_cseq("-1 INVITE"), None);
        assert_eq!(parse_cseq("1 INVITE x"), None);
    }
}
