//! The lexical layer of RFC 3261 §7 and §25.1 that rsip 0.4 does not implement: line folding,
//! compact header names, LWS around separators, Via values (§20.42), name-addr / addr-spec
//! values (§20.10, §20.20, §20.39) and the SIP Request-URI (§19.1.1).
//!
//! Each checker also returns the value in a canonical spelling (no folding, no LWS around `;`,
//! `=` and `/`, one value per header line), so rsip's own typed parsers, which only know the
//! simplest spelling, can read every message we accept.

use std::ops::Range;

/// The three parts of a message: its start line, its unfolded header lines, and the bytes after
/// the blank line.
pub(super) struct Sections<'a> {
    pub start: &'a [u8],
    pub headers: Vec<Vec<u8>>,
    pub body: &'a [u8],
}

/// Cuts a message into [`Sections`]. Lines end in CRLF (a bare LF is tolerated, RFC 3261 §7.5
/// asks for robustness); leading empty lines are skipped; a line starting with SP or HTAB
/// continues the previous header (§7.3.1) and is joined with one SP. A message that stops right
/// after a header line, without the blank line, is taken as having no body.
/// Returns `None` when there is no start line at all.
pub(super) fn split_message(bytes: &[u8]) -> Option<Sections<'_>> {
    let mut lines = LineIter { bytes, pos: 0 };
    let start = loop {
        let (range, _) = lines.next()?;
        if !range.is_empty() {
            break &bytes[range];
        }
    };
    let mut headers: Vec<Vec<u8>> = Vec::new();
    let mut body_start = bytes.len();
    for (range, next) in lines {
        let line = &bytes[range];
        if line.is_empty() {
            body_start = next;
            break;
        }
        match (line[0], headers.last_mut()) {
            (b' ' | b'\t', Some(last)) => {
                last.push(b' ');
                last.extend_from_slice(trim_bytes(line));
            }
            _ => headers.push(line.to_vec()),
        }
    }
    Some(Sections {
        start,
        headers,
        body: &bytes[body_start..],
    })
}

/// Iterates over lines: yields the line's range (without its terminator) and where the next
/// line starts.
struct LineIter<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Iterator for LineIter<'_> {
    type Item = (Range<usize>, usize);

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.bytes.len() {
            return None;
        }
        let start = self.pos;
        let rest = &self.bytes[start..];
        let (end, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) if i > 0 && rest[i - 1] == b'\r' => (start + i - 1, start + i + 1),
            Some(i) => (start + i, start + i + 1),
            None => (self.bytes.len(), self.bytes.len()),
        };
        self.pos = next;
        Some((start..end, next))
    }
}

/// Trims SP and HTAB at both ends.
pub(super) fn trim_bytes(mut b: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = b {
        b = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = b {
        b = rest;
    }
    b
}

/// RFC 3261 §25.1 `token` characters.
pub(super) fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c)
}

/// A non-empty run of token characters.
pub(super) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_token_char)
}

/// Splits a header line into its name and value (HCOLON allows SP/HTAB before the colon).
pub(super) fn split_header_line(line: &str) -> Option<(&str, &str)> {
    let (name, value) = line.split_once(':')?;
    let name = name.trim_end_matches([' ', '\t']);
    is_token(name).then_some((name, value.trim_matches([' ', '\t'])))
}

/// The full name of a compact header name (RFC 3261 §7.3.3 and the extensions' tables), or the
/// name itself.
pub(super) fn expand_compact(name: &str) -> &str {
    if name.len() != 1 {
        return name;
    }
    match name.as_bytes()[0].to_ascii_lowercase() {
        b'a' => "Accept-Contact",
        b'b' => "Referred-By",
        b'c' => "Content-Type",
        b'd' => "Request-Disposition",
        b'e' => "Content-Encoding",
        b'f' => "From",
        b'i' => "Call-ID",
        b'j' => "Reject-Contact",
        b'k' => "Supported",
        b'l' => "Content-Length",
        b'm' => "Contact",
        b'n' => "Identity-Info",
        b'o' => "Event",
        b'r' => "Refer-To",
        b's' => "Subject",
        b't' => "To",
        b'u' => "Allow-Events",
        b'v' => "Via",
        b'x' => "Session-Expires",
        b'y' => "Identity",
        _ => name,
    }
}

/// Splits `s` at `sep` outside quoted strings and outside `<…>`.
pub(super) fn split_top_level(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut in_quotes, mut escaped, mut depth, mut start) = (false, false, 0u32, 0);
    for (i, c) in s.char_indices() {
        if in_quotes {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_quotes = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_quotes = true,
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            _ if c == sep && depth == 0 => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

/// The length of the quoted string `s` starts with (including both quotes), or `None` when it
/// is not terminated (RFC 4475 quotbal).
fn quoted_len(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// A host: a hostname, an IPv4 address or an IPv6 reference (§25.1). `_` is tolerated in names
/// because deployed equipment uses it.
pub(super) fn is_host(h: &str) -> bool {
    if let Some(inner) = h.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return !inner.is_empty()
            && inner
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.');
    }
    !h.is_empty()
        && h.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
}

/// `host [":" port]`, where the colon is not the one inside an IPv6 reference.
pub(super) fn split_host_port(hp: &str) -> Option<(&str, Option<u16>)> {
    let colon = match hp.rfind(']') {
        Some(end) => hp[end..].find(':').map(|i| end + i),
        None => hp.find(':'),
    };
    match colon {
        None => is_host(hp).then_some((hp, None)),
        Some(i) => {
            let (host, port) = (hp[..i].trim(), hp[i + 1..].trim());
            let digits = !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
            let port = if digits {
                port.parse().ok()?
            } else {
                return None;
            };
            is_host(host).then_some((host, Some(port)))
        }
    }
}

/// A `generic-param` (`token [EQUAL gen-value]`) in canonical spelling, LWS removed around `=`.
fn canonical_param(p: &str) -> Option<String> {
    let p = p.trim();
    match p.split_once('=') {
        None => is_token(p).then(|| format!(";{p}")),
        Some((name, value)) => {
            let (name, value) = (name.trim(), value.trim());
            let ok_value = if value.starts_with('"') {
                quoted_len(value) == Some(value.len())
            } else {
                // token / host (an IPv6 reference has brackets and colons).
                !value.is_empty() && value.chars().all(|c| is_token_char(c) || "[]:".contains(c))
            };
            (is_token(name) && ok_value).then(|| format!(";{name}={value}"))
        }
    }
}

/// Canonical parameters from `;a=b;c`, or `None` if one is empty or malformed (RFC 4475 badinv01).
fn canonical_params(params: &[&str]) -> Option<String> {
    params.iter().map(|p| canonical_param(p)).collect()
}

/// One `via-parm` (§20.42): `SIP / 2.0 / UDP sent-by *(;param)`, canonically spelled.
pub(super) fn canonical_via(value: &str) -> Option<String> {
    let parts = split_top_level(value, ';');
    let mut slash = parts[0].splitn(3, '/');
    let (name, version, rest) = (slash.next()?.trim(), slash.next()?.trim(), slash.next()?);
    let rest = rest.trim_start();
    let transport_end = rest.find([' ', '\t'])?;
    let (transport, sent_by) = (&rest[..transport_end], rest[transport_end..].trim());
    if !(is_token(name) && is_token(version) && is_token(transport)) {
        return None;
    }
    split_host_port(sent_by)?;
    let params = canonical_params(&parts[1..])?;
    Some(format!("{name}/{version}/{transport} {sent_by}{params}"))
}

/// A URI with a scheme and no whitespace or control characters (an `absoluteURI` at large).
pub(super) fn is_uri(uri: &str) -> bool {
    let Some((scheme, rest)) = uri.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && !rest.is_empty()
        && !rest.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// One `name-addr` or `addr-spec` value with its parameters (To, From, Contact, Route…),
/// canonically spelled as `[display-name ]<uri>*(;param)`. `None` when malformed: an
/// unterminated quote (quotbal), a display name that is neither a quoted string nor tokens
/// (baddn), LWS inside the brackets (badaspec), or an unbracketed URI holding `?` or `,`
/// (regbadct; in that form `;` starts the header's parameters, §20).
pub(super) fn canonical_name_addr(value: &str) -> Option<String> {
    let value = value.trim();
    let (display, uri, rest) = if value.starts_with('"') {
        let end = quoted_len(value)?;
        let after = value[end..].trim_start();
        let close = after.strip_prefix('<')?.find('>')? + 1;
        (&value[..end], &after[1..close], &after[close + 1..])
    } else if let Some(open) = value.find('<') {
        let display = value[..open].trim();
        // Tokens separated by LWS; non-ASCII letters are tolerated (deployed UAs send them).
        let tokens_ok = display
            .split([' ', '\t'])
            .filter(|t| !t.is_empty())
            .all(|t| t.chars().all(|c| is_token_char(c) || !c.is_ascii()));
        if !tokens_ok {
            return None;
        }
        let close = value[open..].find('>')? + open;
        (display, &value[open + 1..close], &value[close + 1..])
    } else {
        let end = value.find(';').unwrap_or(value.len());
        let uri = value[..end].trim_end();
        if uri.contains(['?', ',']) {
            return None;
        }
        ("", uri, &value[end..])
    };
    if !is_uri(uri) {
        return None;
    }
    let rest = rest.trim();
    let params = if rest.is_empty() {
        String::new()
    } else {
        let parts = split_top_level(rest.strip_prefix(';')?, ';');
        canonical_params(&parts)?
    };
    let display = display.split_whitespace().collect::<Vec<_>>().join(" ");
    let sep = if display.is_empty() { "" } else { " " };
    Some(format!("{display}{sep}<{uri}>{params}"))
}

/// Decodes `%HH` escapes (RFC 3261 §19.1.2, RFC 3986 §2.1) into bytes; a `%` that does not
/// start an escape is kept as it is (RFC 4475 esc02).
pub fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).and_then(|&c| hex(c)),
            b.get(i + 2).and_then(|&c| hex(c)),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_and_bare_lf() {
        let s =
            split_message(b"\r\nOPTIONS sip:a SIP/2.0\r\nA: 1\r\n  2\nB: 3\r\n\r\nbody").unwrap();
        assert_eq!(s.start, b"OPTIONS sip:a SIP/2.0");
        assert_eq!(s.headers, vec![b"A: 1 2".to_vec(), b"B: 3".to_vec()]);
        assert_eq!(s.body, b"body");
    }

    #[test]
    fn via_spellings() {
        assert_eq!(
            canonical_via("SIP  /   2.0 /UDP 192.0.2.2;branch=390skdjuw").as_deref(),
            Some("SIP/2.0/UDP 192.0.2.2;branch=390skdjuw")
        );
        assert_eq!(
            canonical_via("SIP / 2.0 / TCP  spindle.example.com   ; branch  =   z9hG4bK9ikj8")
                .as_deref(),
            Some("SIP/2.0/TCP spindle.example.com;branch=z9hG4bK9ikj8")
        );
        assert_eq!(canonical_via("SIP/2.0/UDP 192.0.2.15;;"), None);
        assert_eq!(canonical_via("SIP/2.0/UDP"), None);
        assert_eq!(
            canonical_via("SIP/2.0/UDP [2001:db8::1]:5060").as_deref(),
            Some("SIP/2.0/UDP [2001:db8::1]:5060")
        );
    }

    #[test]
    fn name_addr_spellings() {
        assert_eq!(
            canonical_name_addr("sip:a@b.c ;   tag    = 19n").as_deref(),
            Some("<sip:a@b.c>;tag=19n")
        );
        assert_eq!(
            canonical_name_addr("caller<sip:c@d>;tag=3").as_deref(),
            Some("caller <sip:c@d>;tag=3")
        );
        assert_eq!(canonical_name_addr(r#""Mr. J. User <sip:j@e.com>"#), None);
        assert_eq!(canonical_name_addr("Bell, Alexander <sip:a@b>"), None);
        assert_eq!(canonical_name_addr("< sip:t@e.org >"), None);
        assert_eq!(canonical_name_addr("sip:u@e.com?Route=%3Csip:s%3E"), None);
        assert_eq!(
            canonical_name_addr(r#""Joe" <sip:joe@example.org>;;;;"#),
            None
        );
    }

    #[test]
    fn unescape_keeps_stray_percent() {
        assert_eq!(unescape("u%40e%Z%4"), b"u@e%Z%4");
    }
}
