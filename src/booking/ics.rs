//! iCalendar (RFC 5545) for invitations (iTIP RFC 5546 REQUEST / CANCEL): one VEVENT per booking
//! with a stable UID, the booking's SEQUENCE, DTSTART with the booking's TZID and a VTIMEZONE for
//! it, an RRULE for a recurring booking, CRLF line ends, lines folded at 75 octets.

use crate::config::PortalConfig;
use crate::store::Booking;

use super::Lang;

/// Invitation or cancellation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `METHOD:REQUEST` (create and change).
    Request,
    /// `METHOD:CANCEL` (`STATUS:CANCELLED`).
    Cancel,
}

impl Method {
    /// `REQUEST` / `CANCEL`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
        }
    }
}

/// The calendar text of `booking`; `now` (Unix seconds) is the DTSTAMP.
pub fn calendar(
    booking: &Booking,
    config: &PortalConfig,
    method: Method,
    lang: Lang,
    now: i64,
) -> String {
    let _ = (booking, config, method, lang, now);
    todo!("issue #4: booking helper")
}
