//! Framing SIP over a byte stream (RFC 3261 §18.3): a message ends after the blank line that ends
//! its headers plus Content-Length bytes of body.
//!
//! CONTRACT (skeleton, to be completed): `StreamFramer::push` appends received bytes;
//! `next_message` returns `Ok(None)` until a whole message is buffered (partial reads), then the
//! message's bytes; a framing error (missing, negative, repeated or oversized Content-Length,
//! headers too long) is `Err`, after which the driver answers if it can and closes the connection.

/// Why a stream cannot be framed any further.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    /// The header section grew past the limit without ending.
    #[error("header section too long")]
    HeadersTooLong,
}

/// Accumulates stream bytes and cuts whole messages out of them.
#[derive(Debug, Default)]
pub struct StreamFramer {
    buf: Vec<u8>,
}

impl StreamFramer {
    /// An empty framer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Append bytes read from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole message, if one is buffered.
    pub fn next_message(&mut self) -> Result<Option<Vec<u8>>, FramingError> {
        todo!("framing")
    }
}
