//! Transaction matching (RFC 3261 §17.1.3 for responses, §17.2.3 for requests, with the RFC 2543
//! fallback for requests whose top Via has no magic-cookie branch) and the digest of a received
//! request every layer works from.

use std::net::SocketAddr;

use super::headers::{self, ViaValue};
use crate::Transport;

/// The fields of a received request that matching, dialogs and responses need, read once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// The method as written (extension methods included), upper-cased.
    pub method: String,
    /// The Request-URI as written.
    pub uri: String,
    /// Every Via element, top first; the top one already carries `received`/`rport` (RFC 3581).
    pub vias: Vec<String>,
    /// The parsed top Via (before `received`/`rport` were added).
    pub top_via: ViaValue,
    /// The From value.
    pub from: String,
    /// The To value.
    pub to: String,
    /// The Call-ID.
    pub call_id: String,
    /// The CSeq number.
    pub cseq: u32,
    /// The CSeq method.
    pub cseq_method: String,
    /// Where the request came from; responses go back there (§18.2.2 with RFC 3581).
    pub source: SocketAddr,
    /// The transport it came on.
    pub transport: Transport,
    /// All header fields, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// Why a request could not be digested: a missing or repeated mandatory header (§8.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IncomingError {
    /// No usable Via: nothing can be answered, the request is dropped.
    #[error("no usable Via header")]
    NoVia,
    /// A mandatory header (From, To, Call-ID, CSeq) is missing, repeated or malformed.
    #[error("missing or malformed {0}")]
    BadHeader(&'static str),
    /// The CSeq method differs from the request method (RFC 4475 mismatch01).
    #[error("CSeq method does not match the request method")]
    CSeqMismatch,
}

impl IncomingError {
    /// The reason phrase of the 400 that answers it.
    pub fn reason(&self) -> String {
        match self {
            IncomingError::NoVia => "Missing Via".to_string(),
            IncomingError::BadHeader(h) => format!("Missing or Malformed {h}"),
            IncomingError::CSeqMismatch => "CSeq Method Mismatch".to_string(),
        }
    }
}

impl Incoming {
    /// Digest a request received from `source`; `Err` names the first mandatory header that is
    /// missing, repeated or malformed. A partial digest (with at least a Via) is returned with the
    /// error so that a 400 can still be sent.
    pub fn from_request(
        method: &str,
        uri: &str,
        headers_in: &rsip::Headers,
        body: &[u8],
        source: SocketAddr,
        transport: Transport,
    ) -> Result<Incoming, (IncomingError, Option<Box<Incoming>>)> {
        let mut vias = headers::list(headers_in, "via");
        let top = match vias.first().and_then(|v| headers::parse_via(v)) {
            Some(top) => top,
            None => return Err((IncomingError::NoVia, None)),
        };
        // RFC 3261 §18.2.1 and RFC 3581 §4: record where the request really came from.
        let mut top_value = vias[0].clone();
        if top.rport {
            top_value = set_param(&top_value, "rport", &source.port().to_string());
        }
        top_value = set_param(&top_value, "received", &source.ip().to_string());
        vias[0] = top_value;

        let single = |name: &'static str| -> Result<String, IncomingError> {
            let vals = headers::values(headers_in, name);
            match vals.as_slice() {
                [one] if !one.trim().is_empty() => Ok(one.trim().to_string()),
                _ => Err(IncomingError::BadHeader(name)),
            }
        };
        let mut partial = Incoming {
            method: method.to_ascii_uppercase(),
            uri: uri.to_string(),
            vias,
            top_via: top,
            from: String::new(),
            to: String::new(),
            call_id: String::new(),
            cseq: 0,
            cseq_method: String::new(),
            source,
            transport,
            headers: headers::pairs(headers_in),
            body: body.to_vec(),
        };
        // Copy whatever is there (the 400 echoes it), and remember the first problem.
        let mut problem = None;
        for (name, slot) in [
            ("From", &mut partial.from),
            ("To", &mut partial.to),
            ("Call-ID", &mut partial.call_id),
        ] {
            match single(name) {
                Ok(v) => *slot = v,
                Err(e) => {
                    *slot = headers::first(headers_in, name).unwrap_or_default();
                    problem.get_or_insert(e);
                }
            }
        }
        match single("CSeq").ok().and_then(|v| headers::parse_cseq(&v)) {
            Some((num, m)) => {
                partial.cseq = num;
                partial.cseq_method = m.to_ascii_uppercase();
                if partial.cseq_method != partial.method {
                    problem.get_or_insert(IncomingError::CSeqMismatch);
                }
            }
            None => {
                problem.get_or_insert(IncomingError::BadHeader("CSeq"));
            }
        }
        match problem {
            None => Ok(partial),
            Some(e) => Err((e, Some(Box::new(partial)))),
        }
    }

    /// The From tag.
    pub fn from_tag(&self) -> Option<String> {
        headers::tag(&self.from)
    }

    /// The To tag.
    pub fn to_tag(&self) -> Option<String> {
        headers::tag(&self.to)
    }

    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| headers_name_eq(n, name))
            .map(|(_, v)| v.as_str())
    }

    /// Every comma-separated element of every `name` header.
    pub fn header_list(&self, name: &str) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(n, _)| headers_name_eq(n, name))
            .flat_map(|(_, v)| headers::split_commas(v))
            .collect()
    }

    /// The key of the server transaction this request belongs to (ACK and CANCEL map to the
    /// INVITE's key when `method_override` says so).
    pub fn server_key(&self, method_override: Option<&str>) -> TransactionKey {
        let method = method_override.unwrap_or(&self.method).to_string();
        match self.top_via.rfc3261_branch() {
            Some(branch) => TransactionKey::Branch {
                branch: branch.to_string(),
                sent_by: self.top_via.sent_by().to_ascii_lowercase(),
                method,
            },
            None => TransactionKey::Rfc2543 {
                request_uri: self.uri.clone(),
                from_tag: self.from_tag(),
                to_tag: self.to_tag(),
                call_id: self.call_id.clone(),
                cseq: self.cseq,
                top_via: headers::split_commas(
                    &self
                        .headers
                        .iter()
                        .find(|(n, _)| headers_name_eq(n, "via"))
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default(),
                )
                .into_iter()
                .next()
                .unwrap_or_default(),
                method,
            },
        }
    }
}

fn headers_name_eq(found: &str, wanted: &str) -> bool {
    headers::name_matches(found, wanted)
}

/// Replace or add `;name=value` in a Via value.
fn set_param(via: &str, name: &str, value: &str) -> String {
    let mut parts: Vec<String> = via.split(';').map(|s| s.to_string()).collect();
    let mut found = false;
    for p in parts.iter_mut().skip(1) {
        let key = p.split('=').next().unwrap_or("").trim().to_string();
        if key.eq_ignore_ascii_case(name) {
            *p = format!("{name}={value}");
            found = true;
        }
    }
    if !found {
        parts.push(format!("{name}={value}"));
    }
    parts.join(";")
}

/// The identity of a server transaction (§17.2.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TransactionKey {
    /// RFC 3261: branch + sent-by + method (ACK counted as INVITE).
    Branch {
        /// The top Via branch.
        branch: String,
        /// The top Via sent-by, lower-cased.
        sent_by: String,
        /// The method (INVITE for an ACK or a CANCEL's target).
        method: String,
    },
    /// RFC 2543 fallback: the request's identifying fields.
    Rfc2543 {
        /// The Request-URI.
        request_uri: String,
        /// The From tag.
        from_tag: Option<String>,
        /// The To tag.
        to_tag: Option<String>,
        /// The Call-ID.
        call_id: String,
        /// The CSeq number.
        cseq: u32,
        /// The top Via value as written.
        top_via: String,
        /// The method (INVITE for an ACK or a CANCEL's target).
        method: String,
    },
}

impl TransactionKey {
    /// The same key with another To tag (RFC 2543 ACK matching: the INVITE had none, the ACK
    /// carries ours).
    pub fn with_to_tag(&self, tag: Option<String>) -> TransactionKey {
        match self {
            TransactionKey::Rfc2543 {
                request_uri,
                from_tag,
                call_id,
                cseq,
                top_via,
                method,
                ..
            } => TransactionKey::Rfc2543 {
                request_uri: request_uri.clone(),
                from_tag: from_tag.clone(),
                to_tag: tag,
                call_id: call_id.clone(),
                cseq: *cseq,
                top_via: top_via.clone(),
                method: method.clone(),
            },
            other => other.clone(),
        }
    }
}

/// The identity of a client transaction (§17.1.3): our branch and the CSeq method.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientKey {
    /// The branch we put in our Via.
    pub branch: String,
    /// The CSeq method.
    pub method: String,
}
