//! Parsing untrusted bytes into SIP messages (RFC 3261 §7, §20) and the checks rsip does not make.
//!
//! CONTRACT (skeleton, to be completed): `parse` never panics on any input; `error_response`
//! builds the stateless answer to a request that failed to parse (400 with a reason phrase, or
//! 505 for an unknown SIP version), or `None` when nothing can be answered (no usable Via, or a
//! response), in which case the driver drops the bytes and counts the drop.

/// Why a message was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The bytes are not a SIP message at all.
    #[error("malformed message")]
    Malformed,
}

impl ParseError {
    /// A short reason phrase for the 400 response.
    pub fn reason(&self) -> &'static str {
        match self {
            ParseError::Malformed => "Malformed Message",
        }
    }
}

/// Parse one whole message (a UDP datagram, or one frame cut by [`crate::framing`]).
pub fn parse(bytes: &[u8]) -> Result<rsip::SipMessage, ParseError> {
    rsip::SipMessage::try_from(bytes).map_err(|_| ParseError::Malformed)
}

/// The stateless response to a request that failed to parse, when one can be built.
pub fn error_response(_bytes: &[u8], _err: &ParseError) -> Option<rsip::Response> {
    None
}
