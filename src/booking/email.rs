//! Invitation mails: for each recipient, a subject, the connection sheet as text and the `.ics`,
//! in the booking's language.

use crate::config::PortalConfig;
use crate::store::{Booking, NewMail};

use super::ics::Method;

/// What happened to the booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Booked.
    Created,
    /// Changed.
    Updated,
    /// Cancelled.
    Cancelled,
}

impl Change {
    /// The calendar method it calls for.
    pub fn method(self) -> Method {
        match self {
            Change::Created | Change::Updated => Method::Request,
            Change::Cancelled => Method::Cancel,
        }
    }
}

/// One mail per recipient of `booking` (none without recipients).
pub fn invitations(
    booking: &Booking,
    config: &PortalConfig,
    change: Change,
    now: i64,
) -> Vec<NewMail> {
    let _ = (booking, config, change, now);
    todo!("issue #4: booking helper")
}
