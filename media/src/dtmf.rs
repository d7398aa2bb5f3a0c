//! RFC 4733 telephone-events (§2.3 payload format) turned into digits: one digit per event,
//! reported when the event ends — at its first end-bit packet (the two or more retransmissions of
//! the end packet, §2.5.1.4, carry the same timestamp and are ignored), when a packet with a new
//! timestamp shows the previous event is over without an end bit, or when its updates stall.

use std::time::{Duration, Instant};

/// Updates are sent at least every 50 ms or so (§2.5.1.3); this much silence ends an event whose
/// end packets were all lost.
pub const STALL: Duration = Duration::from_millis(250);

/// Why a telephone-event payload was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DtmfError {
    /// Shorter than the 4-byte event payload.
    #[error("telephone-event payload of {0} bytes is shorter than 4")]
    TooShort(usize),
}

/// One parsed telephone-event payload (§2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPayload {
    /// Event code (0–9, 10 `*`, 11 `#`, 12–15 `A`–`D`, others non-DTMF).
    pub event: u8,
    /// The E bit: this is (a retransmission of) the final packet of the event.
    pub end: bool,
    /// Power level in −dBm0.
    pub volume: u8,
    /// Duration so far in timestamp units.
    pub duration: u16,
}

impl EventPayload {
    /// Parses the first 4 bytes (§2.3); further events in the same packet (redundancy, §2.5.1.5)
    /// repeat older events and are ignored.
    pub fn parse(payload: &[u8]) -> Result<Self, DtmfError> {
        let [event, flags, d0, d1, ..] = *payload else {
            return Err(DtmfError::TooShort(payload.len()));
        };
        Ok(Self {
            event,
            end: flags & 0x80 != 0,
            volume: flags & 0x3F,
            duration: u16::from_be_bytes([d0, d1]),
        })
    }
}

/// The character of a DTMF event code (RFC 4733 §3.2 table 7), if it is one.
pub fn digit(event: u8) -> Option<char> {
    Some(match event {
        0..=9 => char::from(b'0' + event),
        10 => '*',
        11 => '#',
        12..=15 => char::from(b'A' + event - 12),
        _ => return None,
    })
}

/// An event seen but not ended yet.
#[derive(Debug, Clone, Copy)]
struct Ongoing {
    timestamp: u32,
    event: u8,
    last_update: Instant,
}

/// Per-leg RFC 4733 receiver state.
#[derive(Debug, Clone, Default)]
pub struct DtmfReceiver {
    ongoing: Option<Ongoing>,
    /// Timestamp of the last event reported, so its end retransmissions are not reported again.
    last_ended: Option<u32>,
    /// A digit that ended in the same packet as another one, reported by the next `poll`.
    pending: Option<char>,
}

impl DtmfReceiver {
    /// Feeds one telephone-event packet; returns the digit of an event that ended with it (this
    /// one's end, or the previous one's when this packet starts a new event).
    pub fn handle(&mut self, now: Instant, timestamp: u32, ev: &EventPayload) -> Option<char> {
        if self.last_ended == Some(timestamp) {
            return None;
        }
        let mut ended = None;
        if let Some(prev) = self.ongoing {
            if prev.timestamp != timestamp {
                // A new event started before the previous one's end arrived.
                ended = self.finish(prev);
            }
        }
        if ev.end {
            let done = self.finish(Ongoing {
                timestamp,
                event: ev.event,
                last_update: now,
            });
            // Two events ending in one packet cannot happen; prefer the older one's report and
            // keep this one's so neither is lost (the caller polls again via `poll`).
            return match ended {
                None => done,
                Some(older) => {
                    self.ongoing = None;
                    self.pending = done;
                    Some(older)
                }
            };
        }
        self.ongoing = Some(Ongoing {
            timestamp,
            event: ev.event,
            last_update: now,
        });
        ended
    }

    fn finish(&mut self, ev: Ongoing) -> Option<char> {
        self.ongoing = None;
        self.last_ended = Some(ev.timestamp);
        digit(ev.event)
    }

    /// Ends an event whose updates stopped for [`STALL`]; call once per tick.
    pub fn poll(&mut self, now: Instant) -> Option<char> {
        if let Some(d) = self.pending.take() {
            return Some(d);
        }
        let ev = self.ongoing?;
        if now.saturating_duration_since(ev.last_update) >= STALL {
            return self.finish(ev);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(event: u8, end: bool, duration: u16) -> EventPayload {
        EventPayload {
            event,
            end,
            volume: 10,
            duration,
        }
    }

    #[test]
    fn parse_payload() {
        let p = EventPayload::parse(&[11, 0x8A, 0x03, 0x20]).unwrap();
        assert_eq!(p, ev(11, true, 800));
        assert_eq!(EventPayload::parse(&[1, 2]), Err(DtmfError::TooShort(2)));
        assert_eq!(digit(10), Some('*'));
        assert_eq!(digit(15), Some('D'));
        assert_eq!(digit(16), None);
    }

    #[test]
    fn end_bit_retransmissions_count_once() {
        let t0 = crate::test_t0();
        let mut r = DtmfReceiver::default();
        assert_eq!(r.handle(t0, 1000, &ev(5, false, 160)), None);
        assert_eq!(r.handle(t0, 1000, &ev(5, false, 320)), None);
        assert_eq!(r.handle(t0, 1000, &ev(5, true, 480)), Some('5'));
        assert_eq!(r.handle(t0, 1000, &ev(5, true, 480)), None);
        assert_eq!(r.handle(t0, 1000, &ev(5, true, 480)), None);
        assert_eq!(r.poll(t0 + Duration::from_secs(1)), None);
        // The same digit again is a new event with a new timestamp.
        assert_eq!(r.handle(t0, 2000, &ev(5, true, 480)), Some('5'));
    }

    #[test]
    fn missing_end_is_ended_by_next_event_or_stall() {
        let t0 = crate::test_t0();
        let mut r = DtmfReceiver::default();
        r.handle(t0, 1000, &ev(1, false, 160));
        assert_eq!(r.handle(t0, 2000, &ev(2, false, 160)), Some('1'));
        assert_eq!(r.poll(t0 + Duration::from_millis(100)), None);
        assert_eq!(r.poll(t0 + STALL), Some('2'));
        assert_eq!(r.poll(t0 + STALL * 2), None);
        // A late end packet of the stalled event is not reported again.
        assert_eq!(r.handle(t0, 2000, &ev(2, true, 800)), None);
    }

    #[test]
    fn two_ends_in_one_packet_both_reported() {
        let t0 = crate::test_t0();
        let mut r = DtmfReceiver::default();
        r.handle(t0, 1000, &ev(3, false, 160));
        assert_eq!(r.handle(t0, 2000, &ev(4, true, 160)), Some('3'));
        assert_eq!(r.poll(t0), Some('4'));
    }

    #[test]
    fn non_dtmf_events_are_not_digits() {
        let t0 = crate::test_t0();
        let mut r = DtmfReceiver::default();
        assert_eq!(r.handle(t0, 1000, &ev(16, true, 160)), None);
    }
}
