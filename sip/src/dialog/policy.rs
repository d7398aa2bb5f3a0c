//! The request checks of a UAS, RFC 3261 §8.2.1–§8.2.3, in the RFC's order: method (405/501),
//! Request-URI scheme (416), Require (420), then content: Content-Type (415) and Accept (406).

use crate::transaction::Incoming;

/// Methods we implement.
const IMPLEMENTED: &[&str] = &["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "INFO"];

/// Methods we know from other RFCs but do not serve: answered 405 with Allow (§8.2.1). A
/// conference bridge is not a registrar, so REGISTER lands here (RFC 4475 regaut01, cparam*).
const KNOWN_NOT_ALLOWED: &[&str] = &[
    "REGISTER",
    "SUBSCRIBE",
    "NOTIFY",
    "PUBLISH",
    "MESSAGE",
    "REFER",
    "UPDATE",
    "PRACK",
];

/// Why a request is refused before any dialog logic sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The status to answer with.
    pub status: u16,
    /// Headers that explain it (Allow, Unsupported, Accept, Warning).
    pub headers: Vec<(String, String)>,
}

fn refuse(status: u16, headers: &[(&str, String)]) -> Refusal {
    Refusal {
        status,
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.clone()))
            .collect(),
    }
}

/// 405 or 501 for a method we do not serve (both carry Allow, §20.5).
pub fn check_method(method: &str) -> Option<Refusal> {
    if IMPLEMENTED.contains(&method) {
        return None;
    }
    let status = if KNOWN_NOT_ALLOWED.contains(&method) {
        405
    } else {
        501
    };
    Some(refuse(status, &[("Allow", super::ALLOW.to_string())]))
}

/// Whether a Request-URI has the sip or sips scheme (§8.2.2.1: anything else gets 416; RFC 4475
/// novelsc: a scheme an endpoint never serves is answered 416, not 404).
pub fn sip_scheme(uri: &str) -> bool {
    let scheme = uri.split(':').next().unwrap_or("").trim();
    scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips")
}

/// Every §8.2 check for a request that is not an ACK; `None` means go on.
pub fn check(request: &Incoming) -> Option<Refusal> {
    if let Some(r) = check_method(&request.method) {
        return Some(r);
    }
    if !sip_scheme(&request.uri) {
        return Some(refuse(416, &[]));
    }
    if request.method != "CANCEL" {
        // §8.2.2.3: we support no extension, so any Require option is unsupported. Proxy-Require
        // is for proxies and ignored here (RFC 4475 bext01: answer by the role we act in).
        let required = request.header_list("require");
        if !required.is_empty() {
            return Some(refuse(420, &[("Unsupported", required.join(", "))]));
        }
    }
    if request.method == "INVITE" {
        if !request.body.is_empty() {
            let ctype = request.header("content-type").unwrap_or("application/sdp");
            if !is_sdp(ctype) && !is_multipart(ctype) {
                return Some(refuse(415, &[("Accept", "application/sdp".to_string())]));
            }
        }
        let accepts = request.header_list("accept");
        if !accepts.is_empty() && !accepts.iter().any(|a| accepts_sdp(a)) {
            // RFC 4475 sdp01: 406 with a Warning 399 explaining it.
            return Some(refuse(
                406,
                &[(
                    "Warning",
                    "399 pont \"Only application/sdp is supported\"".to_string(),
                )],
            ));
        }
    }
    None
}

fn media_type(ctype: &str) -> String {
    ctype
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Whether a Content-Type is SDP.
pub fn is_sdp(ctype: &str) -> bool {
    media_type(ctype) == "application/sdp"
}

/// Whether a Content-Type is multipart (we take its application/sdp part).
pub fn is_multipart(ctype: &str) -> bool {
    media_type(ctype).starts_with("multipart/")
}

fn accepts_sdp(accept: &str) -> bool {
    matches!(
        media_type(accept).as_str(),
        "application/sdp" | "application/*" | "*/*"
    )
}

/// The SDP of an INVITE/ACK body: the body itself, or the application/sdp part of a multipart
/// body (RFC 2046 §5.1). `None` for an empty body or a multipart without SDP.
pub fn sdp_body(ctype: Option<&str>, body: &[u8]) -> Option<Vec<u8>> {
    if body.is_empty() {
        return None;
    }
    let ctype = ctype.unwrap_or("application/sdp");
    if !is_multipart(ctype) {
        return Some(body.to_vec());
    }
    let boundary = crate::transaction::headers::param_in(ctype, "boundary")?;
    let delimiter = format!("--{boundary}");
    let text = body;
    let mut parts = split_bytes(text, delimiter.as_bytes());
    parts.remove(0); // the preamble
    for part in parts {
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let end = find(part, b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&part[..end]).to_ascii_lowercase();
        if head.contains("application/sdp") {
            let mut content = &part[end + 4..];
            if let Some(stripped) = content.strip_suffix(b"\r\n") {
                content = stripped;
            }
            return Some(content.to_vec());
        }
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn split_bytes<'a>(mut hay: &'a [u8], needle: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    while let Some(i) = find(hay, needle) {
        out.push(&hay[..i]);
        hay = &hay[i + needle.len()..];
    }
    out.push(hay);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_and_schemes() {
        assert_eq!(check_method("INVITE"), None);
        assert_eq!(check_method("REGISTER").unwrap().status, 405);
        assert_eq!(check_method("FOO").unwrap().status, 501);
        assert!(sip_scheme("sip:a@b") && sip_scheme("SIPS:a@b"));
        assert!(!sip_scheme("tel:+331") && !sip_scheme("soap.beep://h"));
    }

    #[test]
    fn sdp_bodies() {
        assert_eq!(sdp_body(None, b""), None);
        assert_eq!(
            sdp_body(Some("application/sdp"), b"v=0"),
            Some(b"v=0".to_vec())
        );
        let multipart = b"preamble\r\n--xx\r\nContent-Type: text/plain\r\n\r\nhi\r\n--xx\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n\r\n--xx--\r\n";
        assert_eq!(
            sdp_body(Some("multipart/mixed; boundary=xx"), multipart),
            Some(b"v=0\r\n".to_vec())
        );
        assert_eq!(
            sdp_body(Some("multipart/mixed;boundary=zz"), multipart),
            None
        );
        assert_eq!(
            sdp_body(Some("multipart/mixed"), multipart),
            None,
            "no boundary"
        );
    }

    #[test]
    fn media_types() {
        assert!(is_sdp("Application/SDP ; charset=x"));
        assert!(is_multipart("multipart/alternative;boundary=1"));
        assert!(accepts_sdp("*/*") && accepts_sdp("application/*"));
        assert!(!accepts_sdp("text/nobodyKnowsThis"));
    }
}
