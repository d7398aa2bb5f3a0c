//! Digits from three sources (RFC 4733 events, SIP INFO, in-band tones) merged into one stream,
//! each key press counted once (issue #3), and the SIP INFO body reader.
//!
//! `DigitMerger::accept(now, digit, source)` returns `Some(digit)` when the press is new, `None`
//! when the same digit came from *another* source within the window (default 300 ms; some
//! gateways send RFC 4733 and tones for one press). Two presses of the same key from the same
//! source are always two digits.
//!
//! Matching is per press, not "compare with the last digit": every accepted press remembers which
//! sources have reported it, and a report is a duplicate only when it matches a recent press of
//! the same digit that its source has not reported yet (the oldest such press, since each
//! source's delay is roughly constant). So `5` by RFC 4733, `5` in-band, `5` in-band, `5` by RFC
//! 4733 is two presses whichever source is faster for each.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The window of [`DigitMerger::default`]: one press seen by two sources arrives within it.
pub const DEFAULT_MERGE_WINDOW: Duration = Duration::from_millis(300);

/// Presses remembered at once. A human presses at most ~10 keys a second, so a window of a few
/// hundred milliseconds holds a handful; the cap only bounds memory against a flood.
const MAX_RECENT: usize = 32;

/// Where a digit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigitSource {
    /// RFC 4733 telephone-event.
    Rfc4733,
    /// SIP INFO (`application/dtmf-relay` or `application/dtmf`).
    Info,
    /// Tones detected in the audio.
    InBand,
}

impl DigitSource {
    /// A distinct bit per source, for the "reported by" set of a press.
    fn bit(self) -> u8 {
        match self {
            DigitSource::Rfc4733 => 1,
            DigitSource::Info => 2,
            DigitSource::InBand => 4,
        }
    }
}

/// One accepted press and the sources that have reported it.
#[derive(Debug, Clone, Copy)]
struct Press {
    at: Instant,
    digit: char,
    sources: u8,
}

/// Merges the three sources.
#[derive(Debug)]
pub struct DigitMerger {
    window: Duration,
    recent: VecDeque<Press>,
}

impl Default for DigitMerger {
    /// A merger with [`DEFAULT_MERGE_WINDOW`].
    fn default() -> Self {
        DigitMerger::new(DEFAULT_MERGE_WINDOW)
    }
}

impl DigitMerger {
    /// A merger with the given window.
    pub fn new(window: Duration) -> Self {
        DigitMerger {
            window,
            recent: VecDeque::new(),
        }
    }

    /// Feed a digit; `Some` when it is a new press. Lower-case `a`–`d` come back upper-case;
    /// anything that is not a DTMF key (`0`–`9`, `*`, `#`, `A`–`D`) is not a press (`None`).
    pub fn accept(&mut self, now: Instant, digit: char, source: DigitSource) -> Option<char> {
        let digit = dtmf_key(digit)?;
        // Forget presses older than the window; an `Instant` from the past (out-of-order
        // reports) counts as "just now" through the saturating difference.
        while let Some(p) = self.recent.front() {
            if now.saturating_duration_since(p.at) > self.window {
                self.recent.pop_front();
            } else {
                break;
            }
        }
        let bit = source.bit();
        if let Some(press) = self
            .recent
            .iter_mut()
            .find(|p| p.digit == digit && p.sources & bit == 0)
        {
            press.sources |= bit;
            return None;
        }
        if self.recent.len() == MAX_RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(Press {
            at: now,
            digit,
            sources: bit,
        });
        Some(digit)
    }
}

/// A DTMF key, upper-cased; `None` for anything else.
fn dtmf_key(c: char) -> Option<char> {
    let c = c.to_ascii_uppercase();
    matches!(c, '0'..='9' | '*' | '#' | 'A'..='D').then_some(c)
}

/// A key written as itself (`5`, `#`) or as its RFC 4733 event code (`10` is `*`, `11` is `#`,
/// `12`–`15` are `A`–`D`), as gateways variously send in INFO bodies.
fn key_from_text(value: &str) -> Option<char> {
    let value = value.trim();
    let mut chars = value.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return dtmf_key(c);
    }
    match value {
        "10" => Some('*'),
        "11" => Some('#'),
        "12" => Some('A'),
        "13" => Some('B'),
        "14" => Some('C'),
        "15" => Some('D'),
        _ => None,
    }
}

/// Read a SIP INFO body: `application/dtmf-relay` (`Signal=5\r\nDuration=160`) or
/// `application/dtmf` (`5`). `None` for anything else.
///
/// The media type is compared case-insensitively and its parameters (`; charset=…`) are ignored.
/// In `dtmf-relay` bodies, keys are case-insensitive, spaces around `=` are allowed, lines end
/// with CRLF or LF, and `Duration` (or any other line) is ignored; the first `Signal` wins.
pub fn parse_info(content_type: &str, body: &[u8]) -> Option<char> {
    let media_type = content_type.split(';').next()?.trim().to_ascii_lowercase();
    let body = std::str::from_utf8(body).ok()?;
    match media_type.as_str() {
        "application/dtmf-relay" => body.lines().find_map(|line| {
            let (key, value) = line.split_once('=')?;
            if key.trim().eq_ignore_ascii_case("signal") {
                Some(key_from_text(value))
            } else {
                None
            }
        })?,
        "application/dtmf" => key_from_text(body),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // the fake clock's origin
    fn merger() {
        let t0 = Instant::now();
        let mut m = DigitMerger::default();
        use DigitSource::*;

        // One press seen by all three sources is one digit.
        assert_eq!(m.accept(t0, '5', Rfc4733), Some('5'));
        assert_eq!(m.accept(t0 + ms(40), '5', InBand), None);
        assert_eq!(m.accept(t0 + ms(90), '5', Info), None);

        // The same key again from the same source is a second press, even at once.
        assert_eq!(m.accept(t0 + ms(100), '5', Rfc4733), Some('5'));
        assert_eq!(m.accept(t0 + ms(140), '5', InBand), None);

        // Another source outside the window is a new press.
        assert_eq!(m.accept(t0 + ms(1000), '7', Rfc4733), Some('7'));
        assert_eq!(m.accept(t0 + ms(1301), '7', InBand), Some('7'));
        // At exactly the window it is still the same press.
        assert_eq!(m.accept(t0 + ms(2000), '8', Rfc4733), Some('8'));
        assert_eq!(m.accept(t0 + ms(2300), '8', InBand), None);

        // A different digit from another source is never merged.
        assert_eq!(m.accept(t0 + ms(3000), '1', Rfc4733), Some('1'));
        assert_eq!(m.accept(t0 + ms(3010), '2', InBand), Some('2'));
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // the fake clock's origin
    fn merger_double_press_whichever_source_is_first() {
        let t0 = Instant::now();
        let mut m = DigitMerger::default();
        use DigitSource::*;
        // Two quick presses of 5; the second time, in-band beats RFC 4733.
        let got: Vec<_> = [(0, Rfc4733), (40, InBand), (200, InBand), (240, Rfc4733)]
            .into_iter()
            .filter_map(|(t, s)| m.accept(t0 + ms(t), '5', s))
            .collect();
        assert_eq!(got, ['5', '5']);
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // the fake clock's origin
    fn merger_keys() {
        let t0 = Instant::now();
        let mut m = DigitMerger::default();
        assert_eq!(m.accept(t0, 'a', DigitSource::Info), Some('A'));
        assert_eq!(m.accept(t0, 'A', DigitSource::InBand), None);
        assert_eq!(m.accept(t0, 'x', DigitSource::Info), None);
        assert_eq!(m.accept(t0, '#', DigitSource::Info), Some('#'));
        // A flood stays bounded.
        for i in 0..1000 {
            m.accept(t0 + ms(i / 100), '1', DigitSource::Rfc4733);
        }
        assert!(m.recent.len() <= MAX_RECENT);
    }

    #[test]
    fn info_dtmf_relay() {
        let relay = "application/dtmf-relay";
        assert_eq!(
            parse_info(relay, b"Signal=5\r\nDuration=160\r\n"),
            Some('5')
        );
        assert_eq!(parse_info(relay, b"Signal= 5\r\nDuration= 160"), Some('5'));
        assert_eq!(parse_info(relay, b"Signal = #\nDuration=100\n"), Some('#'));
        assert_eq!(parse_info(relay, b"signal=*"), Some('*'));
        assert_eq!(parse_info(relay, b"SIGNAL=10"), Some('*'));
        assert_eq!(parse_info(relay, b"Signal=11"), Some('#'));
        assert_eq!(parse_info(relay, b"Signal=12"), Some('A'));
        assert_eq!(parse_info(relay, b"Signal=d"), Some('D'));
        assert_eq!(parse_info(relay, b"Duration=160\r\nSignal=0"), Some('0'));
        assert_eq!(
            parse_info("Application/DTMF-Relay; x=y", b"Signal=9"),
            Some('9')
        );
    }

    #[test]
    fn info_dtmf() {
        assert_eq!(parse_info("application/dtmf", b"5"), Some('5'));
        assert_eq!(parse_info("application/dtmf", b"#\r\n"), Some('#'));
        assert_eq!(parse_info("application/dtmf", b"11"), Some('#'));
    }

    #[test]
    fn info_not_a_digit() {
        let relay = "application/dtmf-relay";
        for body in [
            &b""[..],
            b"Duration=160",
            b"Signal=",
            b"Signal=55",
            b"Signal=16",
            b"Signal=x",
            b"Signal=\xff",
            b"Signal",
        ] {
            assert_eq!(parse_info(relay, body), None, "{body:?}");
        }
        assert_eq!(parse_info("application/sdp", b"5"), None);
        assert_eq!(parse_info("text/plain", b"Signal=5"), None);
        assert_eq!(parse_info("application/dtmf", b"Signal=5"), None);
        assert_eq!(parse_info("application/dtmf", b""), None);
    }
}
