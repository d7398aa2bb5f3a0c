//! The booking operations shared by the web form and the JSON API: validate, allocate the number
//! and queue the invitations in one store transaction, count in metrics, wake the mail worker.

use crate::store::{Booking, StoreError, User};
use crate::App;

use super::{BookingInput, FieldErrors, Lang};

/// Why an operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    /// The input broke the rules (each field's message).
    #[error("invalid booking")]
    Invalid(FieldErrors),
    /// The organiser already has these bookings at overlapping times: confirm to go on.
    #[error("overlaps other bookings of the organiser")]
    Overlap(Vec<Booking>),
    /// No such booking, or cancelled.
    #[error("no such booking")]
    NotFound,
    /// No conference number is free for these times.
    #[error("no conference number is free for these times")]
    NoNumber,
    /// The store failed (logged; never shown to the user).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Book for `owner`. Without `confirm_overlap`, an overlap with the owner's other bookings
/// returns `Overlap` and saves nothing.
pub async fn create(
    app: &App,
    owner: &User,
    input: &BookingInput,
    lang: Lang,
    confirm_overlap: bool,
) -> Result<Booking, BookingError> {
    let _ = (app, owner, input, lang, confirm_overlap);
    todo!("issue #4: web helper")
}

/// One click: starts now (rounded down to the minute), 1 hour, generated code, capacity 20,
/// audio+video, the configured default zone, no recipients.
pub async fn instant(app: &App, owner: &User, lang: Lang) -> Result<Booking, BookingError> {
    let _ = (app, owner, lang);
    todo!("issue #4: web helper")
}

/// Change a booking (by its owner, a super-admin, or the holder of its modification link).
pub async fn update(
    app: &App,
    booking: &Booking,
    input: &BookingInput,
    lang: Lang,
    confirm_overlap: bool,
) -> Result<Booking, BookingError> {
    let _ = (app, booking, input, lang, confirm_overlap);
    todo!("issue #4: web helper")
}

/// Cancel a booking.
pub async fn cancel(app: &App, booking: &Booking) -> Result<Booking, BookingError> {
    let _ = (app, booking);
    todo!("issue #4: web helper")
}

/// Whether `user` may see and change `booking`.
pub fn can_manage(user: &User, booking: &Booking) -> bool {
    user.is_super || booking.owner_id.as_deref() == Some(user.id.as_str())
}

/// The form/API input that shows `booking` back (for the edit form and the API's GET).
pub fn input_of(booking: &Booking) -> BookingInput {
    let _ = booking;
    todo!("issue #4: web helper")
}
