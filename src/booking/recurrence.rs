//! Recurrence expansion: the start's local time on each chosen weekday from the start date to the
//! last day, each converted to UTC on its own day (so 10:00 Paris stays 10:00 across DST).

use super::{Occurrence, ValidBooking};

/// Most occurrences one booking may have (3 months of weekdays is about 65).
pub const MAX_OCCURRENCES: usize = 100;

/// The booking's occurrences in UTC, sorted; a booking without recurrence has one.
pub fn occurrences(booking: &ValidBooking) -> Vec<Occurrence> {
    let _ = booking;
    todo!("issue #4: booking helper")
}
