//! Bookings in the store: a booking (one row in `bookings`) yields one or more conferences (its
//! occurrences, one row each in `conferences`), all with the booking's conference number.
//!
//! Number uniqueness is a database constraint, not only a check: every conference claims the
//! 5-minute slots its window covers (from `early_secs` before its start to its end) in
//! `number_slots`, whose primary key is `(number, slot)`. Two bookings that overlap cannot both
//! commit, whatever the interleaving; the loser's transaction fails on the key and allocation
//! tries another number.

use super::{Conference, Store, StoreError};

/// A booking to store (already validated; times already in UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBooking {
    /// The organiser (`users.id`); `None` for conferences made by the CLI.
    pub owner_id: Option<String>,
    /// Title.
    pub title: String,
    /// Access code (digits).
    pub access_code: String,
    /// IANA zone.
    pub time_zone: String,
    /// Local start as typed, `YYYY-MM-DDTHH:MM` (shown back on the form).
    pub local_start: String,
    /// Minutes.
    pub duration_minutes: i64,
    /// `audio` or `video`.
    pub kind: String,
    /// Hard cap.
    pub capacity: i64,
    /// Comment.
    pub comment: String,
    /// Recipients' addresses.
    pub recipients: Vec<String>,
    /// Recurrence weekdays as `mon,wed`; empty = none.
    pub recurrence_weekdays: String,
    /// Recurrence last day `YYYY-MM-DD`; empty = none.
    pub recurrence_until: String,
    /// Language of the booking (`fr`/`en`): prompts of the conference, mails.
    pub language: String,
    /// The occurrences, UTC Unix seconds `(start, end)`, sorted, at least one.
    pub occurrences: Vec<(i64, i64)>,
}

/// How to pick the conference number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberAlloc {
    /// Digits of a generated number (6 by default; the first digit is never 0).
    pub digits: u32,
    /// Seconds before a start when callers may already join (the window that must not overlap).
    pub early_secs: i64,
    /// Try this number first (CLI `--number`, or the booking's number on a change). With
    /// `only_preferred`, fail with `NumberTaken` instead of picking another.
    pub preferred: Option<String>,
    /// Refuse rather than fall back to a generated number.
    pub only_preferred: bool,
    /// Random seed for the generated candidates (the caller passes `rand::random()`).
    pub seed: u64,
}

/// A booking as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    /// Opaque id (128-bit hex); also the calendar UID's left part.
    pub id: String,
    /// Organiser (`users.id`), `None` for CLI bookings.
    pub owner_id: Option<String>,
    /// The conference number of every occurrence.
    pub number: String,
    /// Title.
    pub title: String,
    /// Access code.
    pub access_code: String,
    /// IANA zone.
    pub time_zone: String,
    /// Local start as typed.
    pub local_start: String,
    /// Minutes.
    pub duration_minutes: i64,
    /// `audio` / `video`.
    pub kind: String,
    /// Hard cap.
    pub capacity: i64,
    /// Comment.
    pub comment: String,
    /// Recipients.
    pub recipients: Vec<String>,
    /// `mon,wed` or empty.
    pub recurrence_weekdays: String,
    /// `YYYY-MM-DD` or empty.
    pub recurrence_until: String,
    /// `fr` / `en`.
    pub language: String,
    /// Unguessable token of the private modification link (256 bits, URL-safe).
    pub modify_token: String,
    /// iCalendar SEQUENCE: 0 on create, +1 on each change and on cancel.
    pub sequence: i64,
    /// When cancelled (Unix seconds); a cancelled booking has no conferences left.
    pub cancelled_at: Option<i64>,
    /// Created (Unix seconds).
    pub created_at: i64,
    /// Last changed (Unix seconds).
    pub updated_at: i64,
    /// Its conferences (occurrences), by start. Empty once cancelled.
    pub occurrences: Vec<Conference>,
}

/// A mail to put in the outbox in the same transaction as the booking change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    /// One recipient address.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body (the connection sheet).
    pub body: String,
    /// The `.ics` attachment (CRLF lines), empty for none.
    pub ics: String,
    /// `REQUEST` or `CANCEL` (the attachment's `method=`).
    pub ics_method: String,
}

impl Store {
    /// Store a booking and its occurrences under one conference number, and queue the mails
    /// `mails(&booking)` returns, all in one transaction (a booking is never saved without its
    /// invitations, nor the reverse). Errors: `NumberTaken` (preferred number busy with
    /// `only_preferred`), `NumbersExhausted`.
    pub async fn create_booking(
        &self,
        new: &NewBooking,
        alloc: &NumberAlloc,
        now: i64,
        mails: impl FnOnce(&Booking) -> Vec<NewMail> + Send,
    ) -> Result<Booking, StoreError> {
        let _ = (new, alloc, now, mails);
        todo!("issue #4: store helper")
    }

    /// Replace a booking's fields and occurrences (keeping its number when it is still free
    /// for the new times, else allocating another), bump its SEQUENCE, queue `mails`.
    /// `NotFound` when absent or cancelled.
    pub async fn update_booking(
        &self,
        id: &str,
        new: &NewBooking,
        alloc: &NumberAlloc,
        now: i64,
        mails: impl FnOnce(&Booking) -> Vec<NewMail> + Send,
    ) -> Result<Booking, StoreError> {
        let _ = (id, new, alloc, now, mails);
        todo!("issue #4: store helper")
    }

    /// Cancel: remove its conferences (and their number slots), keep the booking row with
    /// `cancelled_at`, bump SEQUENCE, queue `mails`. `NotFound` when absent or already cancelled.
    pub async fn cancel_booking(
        &self,
        id: &str,
        now: i64,
        mails: impl FnOnce(&Booking) -> Vec<NewMail> + Send,
    ) -> Result<Booking, StoreError> {
        let _ = (id, now, mails);
        todo!("issue #4: store helper")
    }

    /// A booking by id (cancelled ones included).
    pub async fn booking(&self, id: &str) -> Result<Option<Booking>, StoreError> {
        let _ = id;
        todo!("issue #4: store helper")
    }

    /// A booking by its modification token (compared in the query; tokens are 256-bit random).
    pub async fn booking_by_token(&self, token: &str) -> Result<Option<Booking>, StoreError> {
        let _ = token;
        todo!("issue #4: store helper")
    }

    /// Bookings of one organiser (`Some(user id)`) or of everyone (`None`), cancelled ones
    /// included, by first start.
    pub async fn bookings(&self, owner_id: Option<&str>) -> Result<Vec<Booking>, StoreError> {
        let _ = owner_id;
        todo!("issue #4: store helper")
    }

    /// The organiser's live bookings (other than `except_id`) with an occurrence overlapping
    /// one of `occurrences` (for the overlap warning; not a block).
    pub async fn overlapping_bookings(
        &self,
        owner_id: &str,
        occurrences: &[(i64, i64)],
        except_id: Option<&str>,
    ) -> Result<Vec<Booking>, StoreError> {
        let _ = (owner_id, occurrences, except_id);
        todo!("issue #4: store helper")
    }

    /// Live bookings by kind, for `/metrics` (`audio`, `video`): count of non-cancelled
    /// bookings with an occurrence not yet ended at `now`.
    pub async fn upcoming_booking_count(&self, now: i64) -> Result<i64, StoreError> {
        let _ = now;
        todo!("issue #4: store helper")
    }
}
