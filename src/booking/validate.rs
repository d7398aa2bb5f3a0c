//! The booking rules of `DESIGN.md`, field by field: raw [`BookingInput`] → [`ValidBooking`], or
//! every violation with a message in the user's language (shown beside its field on the form,
//! named by field in the API's 422).

use super::{BookingInput, FieldErrors, Lang, ValidBooking};

/// How far ahead a booking may start (3 months, counted in the booking's zone).
pub const MAX_MONTHS_AHEAD: i8 = 3;

/// Check every field against the rules, at `now` (start not in the past unless
/// `keep_past_start` says it is the unchanged start of a booking being modified).
pub fn validate(
    input: &BookingInput,
    now: jiff::Timestamp,
    lang: Lang,
    keep_past_start: Option<&str>,
) -> Result<ValidBooking, FieldErrors> {
    let _ = (input, now, lang, keep_past_start);
    todo!("issue #4: booking helper")
}
