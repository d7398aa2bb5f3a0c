//! Framing SIP over a byte stream (RFC 3261 §18.3, §7.5): a message ends after the blank line
//! that ends its headers plus Content-Length bytes of body. CRLF keep-alives between messages
//! (RFC 5626 §3.5.1, `\r\n\r\n` ping) are skipped.
//!
//! CONTRACT: `StreamFramer::push` appends received bytes; `next_message` returns `Ok(None)`
//! until a whole message is buffered (partial reads), then the message's bytes; a framing error
//! (missing, negative, repeated or oversized Content-Length, headers too long) is `Err`, after
//! which the driver answers if it can and closes the connection (RFC 4475 ncl, mcl01): the
//! framer stays failed, since nothing after a bad frame can be trusted to start a message.

/// Largest header section accepted (start line + headers + blank line).
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Largest body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Why a stream cannot be framed any further.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    /// The header section grew past [`MAX_HEADER_BYTES`] without ending.
    #[error("header section too long")]
    HeadersTooLong,
    /// No Content-Length: mandatory on a stream (§18.3, §20.14).
    #[error("missing Content-Length")]
    MissingContentLength,
    /// Content-Length is not a non-negative decimal number (RFC 4475 ncl).
    #[error("malformed Content-Length")]
    InvalidContentLength,
    /// Content-Length appears twice (RFC 4475 mcl01).
    #[error("repeated Content-Length")]
    RepeatedContentLength,
    /// Content-Length is larger than [`MAX_BODY_BYTES`].
    #[error("body too large")]
    BodyTooLarge,
}

/// Accumulates stream bytes and cuts whole messages out of them.
#[derive(Debug, Default)]
pub struct StreamFramer {
    buf: Vec<u8>,
    /// Where the search for the blank line resumes, so byte-by-byte input stays linear.
    scanned: usize,
    /// The frame being waited for, once its headers are complete: its total length.
    pending: Option<usize>,
    /// The error that stopped the framer, returned again on every call.
    failed: Option<FramingError>,
}

impl StreamFramer {
    /// An empty framer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Append bytes read from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.failed.is_none() {
            self.buf.extend_from_slice(bytes);
        }
    }

    /// Bytes buffered and not yet returned as a message.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next whole message, if one is buffered.
    pub fn next_message(&mut self) -> Result<Option<Vec<u8>>, FramingError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        match self.frame() {
            Ok(Some(len)) => {
                let rest = self.buf.split_off(len);
                let msg = std::mem::replace(&mut self.buf, rest);
                self.scanned = 0;
                self.pending = None;
                Ok(Some(msg))
            }
            Ok(None) => Ok(None),
            Err(err) => {
                self.failed = Some(err.clone());
                self.buf = Vec::new();
                Err(err)
            }
        }
    }

    /// The length of the first whole message in the buffer, if it is all there.
    fn frame(&mut self) -> Result<Option<usize>, FramingError> {
        if self.pending.is_none() {
            self.skip_keep_alives();
            let Some(headers_end) = self.find_headers_end()? else {
                return Ok(None);
            };
            let body = content_length(&self.buf[..headers_end])?;
            self.pending = Some(headers_end + body);
        }
        Ok(self.pending.filter(|&len| self.buf.len() >= len))
    }

    /// Drops CR and LF bytes before a message's start line (§7.5, RFC 5626 pings).
    fn skip_keep_alives(&mut self) {
        let n = self
            .buf
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        if n > 0 {
            self.buf.drain(..n);
            self.scanned = 0;
        }
    }

    /// The offset just after the blank line ending the headers, once it is buffered.
    fn find_headers_end(&mut self) -> Result<Option<usize>, FramingError> {
        // Resume three bytes back: the terminator may straddle two pushes.
        let from = self.scanned.saturating_sub(3);
        let found = self.buf[from..].windows(4).position(|w| w == b"\r\n\r\n");
        match found {
            Some(i) if from + i + 4 <= MAX_HEADER_BYTES => Ok(Some(from + i + 4)),
            Some(_) => Err(FramingError::HeadersTooLong),
            None if self.buf.len() > MAX_HEADER_BYTES => Err(FramingError::HeadersTooLong),
            None => {
                self.scanned = self.buf.len();
                Ok(None)
            }
        }
    }
}

/// The Content-Length of a header section (full or compact `l` name, §7.3.3), counting folded
/// lines as part of their header.
fn content_length(headers: &[u8]) -> Result<usize, FramingError> {
    let mut values: Vec<Vec<u8>> = Vec::new();
    let mut in_content_length = false;
    // The first line is the start line; the section ends with an empty line.
    for line in headers.split(|&b| b == b'\n').skip(1) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let (Some(b' ' | b'\t'), true) = (line.first(), in_content_length) {
            // A folded continuation of the Content-Length value (§7.3.1).
            if let Some(v) = values.last_mut() {
                v.push(b' ');
                v.extend_from_slice(line);
            }
            continue;
        }
        let colon = line.iter().position(|&b| b == b':');
        let name = colon.map(|c| trim(&line[..c])).unwrap_or_default();
        in_content_length =
            name.eq_ignore_ascii_case(b"Content-Length") || name.eq_ignore_ascii_case(b"l");
        if let (true, Some(c)) = (in_content_length, colon) {
            values.push(line[c + 1..].to_vec());
        }
    }
    let value = match &values[..] {
        [] => return Err(FramingError::MissingContentLength),
        [value] => trim(value),
        _ => return Err(FramingError::RepeatedContentLength),
    };
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return Err(FramingError::InvalidContentLength);
    }
    // Digits only, so a parse failure is an overflow: far past any limit.
    let n = std::str::from_utf8(value)
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(usize::MAX);
    if n > MAX_BODY_BYTES {
        return Err(FramingError::BodyTooLarge);
    }
    Ok(n)
}

fn trim(mut b: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = b {
        b = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = b {
        b = rest;
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n\
Content-Length: 5\r\n\r\nhello";

    fn drain(f: &mut StreamFramer) -> Result<Vec<Vec<u8>>, FramingError> {
        let mut out = Vec::new();
        while let Some(m) = f.next_message()? {
            out.push(m);
        }
        Ok(out)
    }

    #[test]
    fn whole_message() {
        let mut f = StreamFramer::new();
        f.push(MSG);
        assert_eq!(drain(&mut f).unwrap(), vec![MSG.to_vec()]);
        assert_eq!(f.buffered(), 0);
    }

    #[test]
    fn split_byte_by_byte() {
        let mut f = StreamFramer::new();
        let mut got = Vec::new();
        for &b in MSG.iter().chain(MSG) {
            f.push(&[b]);
            got.extend(drain(&mut f).unwrap());
        }
        assert_eq!(got, vec![MSG.to_vec(), MSG.to_vec()]);
    }

    #[test]
    fn several_messages_in_one_read_with_keep_alives() {
        let mut f = StreamFramer::new();
        let mut bytes = b"\r\n\r\n".to_vec();
        bytes.extend_from_slice(MSG);
        bytes.extend_from_slice(b"\r\n\r\n\r\n\r\n");
        bytes.extend_from_slice(MSG);
        bytes.extend_from_slice(&MSG[..10]);
        f.push(&bytes);
        assert_eq!(drain(&mut f).unwrap(), vec![MSG.to_vec(), MSG.to_vec()]);
        assert_eq!(f.buffered(), 10);
        f.push(&MSG[10..]);
        assert_eq!(drain(&mut f).unwrap(), vec![MSG.to_vec()]);
    }

    #[test]
    fn waits_for_the_body() {
        let mut f = StreamFramer::new();
        f.push(&MSG[..MSG.len() - 1]);
        assert_eq!(f.next_message(), Ok(None));
        f.push(&MSG[MSG.len() - 1..]);
        assert_eq!(f.next_message(), Ok(Some(MSG.to_vec())));
    }

    #[test]
    fn compact_and_spaced_content_length() {
        let mut f = StreamFramer::new();
        f.push(b"BYE sip:a SIP/2.0\r\nl  :  2\r\n\r\nokBYE sip:a SIP/2.0\r\nL:0\r\n\r\n");
        let msgs = drain(&mut f).unwrap();
        assert_eq!(msgs.len(), 2);
        assert!(msgs[0].ends_with(b"\r\n\r\nok"));
        f.push(b"BYE sip:a SIP/2.0\r\nContent-Length:\r\n  1\r\n\r\nx");
        assert_eq!(drain(&mut f).unwrap().len(), 1);
    }

    fn error_of(bytes: &[u8]) -> FramingError {
        let mut f = StreamFramer::new();
        f.push(bytes);
        let err = f.next_message().unwrap_err();
        // The framer stays failed: the connection is to be closed.
        f.push(MSG);
        assert_eq!(f.next_message(), Err(err.clone()));
        err
    }

    #[test]
    fn content_length_errors() {
        let e = |cl: &str| error_of(format!("BYE sip:a SIP/2.0\r\n{cl}\r\n\r\n").as_bytes());
        assert_eq!(e("Via: x"), FramingError::MissingContentLength);
        assert_eq!(
            e("Content-Length: -999"),
            FramingError::InvalidContentLength
        );
        assert_eq!(e("Content-Length: 1O"), FramingError::InvalidContentLength);
        assert_eq!(e("Content-Length:"), FramingError::InvalidContentLength);
        assert_eq!(
            e("Content-Length: 13\r\nl: 5"),
            FramingError::RepeatedContentLength
        );
        assert_eq!(e("Content-Length: 1048577"), FramingError::BodyTooLarge);
        assert_eq!(
            e("Content-Length: 99999999999999999999999999"),
            FramingError::BodyTooLarge
        );
    }

    #[test]
    fn header_limit() {
        let mut long = b"BYE sip:a SIP/2.0\r\nX: ".to_vec();
        long.resize(MAX_HEADER_BYTES + 1, b'a');
        assert_eq!(error_of(&long), FramingError::HeadersTooLong);
        // Byte-by-byte growth hits the same limit without quadratic rescanning.
        let mut f = StreamFramer::new();
        let mut result = Ok(None);
        for chunk in long.chunks(1000) {
            f.push(chunk);
            result = f.next_message();
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result, Err(FramingError::HeadersTooLong));
    }

    #[test]
    fn max_body_is_accepted() {
        let mut msg = format!("MESSAGE sip:a SIP/2.0\r\nContent-Length: {MAX_BODY_BYTES}\r\n\r\n")
            .into_bytes();
        msg.resize(msg.len() + MAX_BODY_BYTES, b'x');
        let mut f = StreamFramer::new();
        f.push(&msg);
        assert_eq!(f.next_message().unwrap().map(|m| m.len()), Some(msg.len()));
    }
}
