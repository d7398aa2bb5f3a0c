//! The booking operations shared by the web form and the JSON API: validate, allocate the number
//! and queue the invitations in one store transaction, count in metrics, wake the mail worker.
//!
//! The form and the API both call these functions, so a rule, a metric or a mail cannot exist on
//! one side only. The clock and the random numbers are read here (the pure modules receive them).

use media::video::Layout;
use rand::Rng;

use crate::metrics;
use crate::store::{Booking, NewBooking, NumberAlloc, StoreError, User};
use crate::App;

use super::email::{self, Change};
use super::{
    recurrence, tz, validate, BookingInput, Field, FieldErrors, Kind, Lang, Occurrence,
    ValidBooking,
};

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

/// The store's answers that mean something to the user become their own variants; the rest stays
/// an internal failure.
fn from_store(e: StoreError) -> BookingError {
    match e {
        // `NumberTaken` only comes with `only_preferred`, which the portal never sets; if it does
        // come, it means the same thing to the user: no number for these times.
        StoreError::NumbersExhausted | StoreError::NumberTaken(_) => BookingError::NoNumber,
        StoreError::NotFound => BookingError::NotFound,
        other => BookingError::Store(other),
    }
}

/// Now, as the pure modules want it and as the store wants it.
fn clock() -> (jiff::Timestamp, i64) {
    let now = jiff::Timestamp::now();
    (now, now.as_second())
}

/// A random access code 1000–9999 (the rules' range).
fn generate_code() -> String {
    rand::thread_rng().gen_range(1000..=9999).to_string()
}

/// How the store picks the number: the configured length, the configured early-join window (the
/// window that must not overlap), `preferred` first when given (a change keeps its number when
/// it can, so printed invitations stay right).
fn allocation(app: &App, preferred: Option<String>) -> NumberAlloc {
    NumberAlloc {
        digits: app.config.portal.number_digits,
        early_secs: app.config.early_join_secs,
        preferred,
        only_preferred: false,
        seed: rand::random(),
    }
}

/// The occurrences of a valid booking as the store wants them; an expansion that yields none
/// (weekdays that never fall in the range) is a recurrence error rather than an empty booking.
fn expand(valid: &ValidBooking, lang: Lang) -> Result<Vec<(i64, i64)>, BookingError> {
    let occurrences: Vec<(i64, i64)> = recurrence::occurrences(valid)
        .iter()
        .map(|o: &Occurrence| (o.starts_at, o.ends_at))
        .collect();
    if occurrences.is_empty() {
        let message = match lang {
            Lang::Fr => "Aucun des jours choisis ne tombe dans cette période.",
            Lang::En => "None of the chosen days falls in this period.",
        };
        return Err(BookingError::Invalid(FieldErrors(vec![(
            Field::Recurrence,
            message.to_string(),
        )])));
    }
    Ok(occurrences)
}

/// The row to store for a valid booking.
fn new_booking(
    owner_id: Option<String>,
    valid: &ValidBooking,
    access_code: String,
    occurrences: Vec<(i64, i64)>,
    lang: Lang,
) -> NewBooking {
    let (weekdays, until) = match &valid.recurrence {
        Some(r) => (
            recurrence::weekdays_to_string(&r.weekdays),
            r.until.strftime("%Y-%m-%d").to_string(),
        ),
        None => (String::new(), String::new()),
    };
    NewBooking {
        owner_id,
        title: valid.title.clone(),
        access_code,
        time_zone: valid.time_zone.clone(),
        local_start: valid.start.strftime("%Y-%m-%dT%H:%M").to_string(),
        duration_minutes: valid.duration_minutes,
        kind: valid.kind.as_str().to_string(),
        layout: valid.layout.map_or("", Layout::name).to_string(),
        capacity: valid.capacity,
        comment: valid.comment.clone(),
        recipients: valid.recipients.clone(),
        recurrence_weekdays: weekdays,
        recurrence_until: until,
        language: lang.code().to_string(),
        occurrences,
    }
}

/// The steps a create and an update share, up to the row to store: the rules, the occurrences,
/// the overlap check against the owner's other bookings, the access code. `existing` is the
/// booking being changed: its stored start may stay even once past, and it does not overlap
/// itself. Returns the row and the clock's second for the store and the mails.
async fn prepare(
    app: &App,
    owner_id: Option<String>,
    existing: Option<&Booking>,
    input: &BookingInput,
    lang: Lang,
    confirm_overlap: bool,
) -> Result<(NewBooking, i64), BookingError> {
    let (now, now_secs) = clock();
    let kept_start = existing.map(|b| b.local_start.as_str());
    let valid = validate::validate(input, now, lang, kept_start).map_err(BookingError::Invalid)?;
    let occurrences = expand(&valid, lang)?;
    // A booking without an owner (made by the CLI) has no other bookings to warn about.
    if let (false, Some(owner)) = (confirm_overlap, owner_id.as_deref()) {
        let overlaps = app
            .store
            .overlapping_bookings(owner, &occurrences, existing.map(|b| b.id.as_str()))
            .await?;
        if !overlaps.is_empty() {
            return Err(BookingError::Overlap(overlaps));
        }
    }
    let code = valid.access_code.clone().unwrap_or_else(generate_code);
    let new = new_booking(owner_id, &valid, code, occurrences, lang);
    Ok((new, now_secs))
}

/// Store a new booking with its invitations, count it and wake the mail worker (what a planned
/// and an instant conference share).
async fn store_new(app: &App, new: &NewBooking, now_secs: i64) -> Result<Booking, BookingError> {
    let portal = &app.config.portal;
    let booking = app
        .store
        .create_booking(new, &allocation(app, None), now_secs, |b| {
            email::invitations(b, portal, Change::Created, now_secs)
        })
        .await
        .map_err(from_store)?;
    metrics::inc(&app.metrics.bookings_created_total);
    app.mail_wakeup.notify_one();
    Ok(booking)
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
    let (new, now_secs) = prepare(
        app,
        Some(owner.id.clone()),
        None,
        input,
        lang,
        confirm_overlap,
    )
    .await?;
    let booking = store_new(app, &new, now_secs).await?;
    tracing::info!(booking = %booking.id, number = %booking.number, "booking created");
    Ok(booking)
}

/// One click: starts now (rounded down to the minute), 1 hour, generated code, capacity 20,
/// audio+video, the configured default zone, no recipients.
///
/// It skips the rules' "not in the past" check (its start is up to a minute ago by design) and
/// the overlap warning (there is no form to confirm it on); everything it sets is within the
/// rules by construction.
pub async fn instant(app: &App, owner: &User, lang: Lang) -> Result<Booking, BookingError> {
    let (_, now_secs) = clock();
    let start_secs = now_secs - now_secs.rem_euclid(60);
    let configured = app.config.portal.time_zone.as_str();
    // A misconfigured zone must not make the button fail: UTC is always right, only less local.
    let (zone, start) = match tz::to_local(start_secs, configured) {
        Some(local) => (configured.to_string(), local),
        None => {
            tracing::warn!(
                zone = configured,
                "configured portal time zone unknown; using UTC"
            );
            let utc = jiff::Timestamp::from_second(start_secs)
                .map_err(|_| BookingError::Invalid(FieldErrors::default()))?
                .to_zoned(jiff::tz::TimeZone::UTC)
                .datetime();
            ("UTC".to_string(), utc)
        }
    };
    let title = match lang {
        Lang::Fr => "Conférence instantanée",
        Lang::En => "Instant conference",
    };
    let valid = ValidBooking {
        title: title.to_string(),
        access_code: None,
        start,
        time_zone: zone,
        duration_minutes: 60,
        kind: Kind::Video,
        layout: None,
        capacity: 20,
        comment: String::new(),
        recipients: Vec::new(),
        recurrence: None,
    };
    let occurrences = vec![(start_secs, start_secs + 3600)];
    let new = new_booking(
        Some(owner.id.clone()),
        &valid,
        generate_code(),
        occurrences,
        lang,
    );
    let booking = store_new(app, &new, now_secs).await?;
    tracing::info!(booking = %booking.id, number = %booking.number, "instant conference booked");
    Ok(booking)
}

/// Change a booking (by its owner, a super-admin, or the holder of its modification link).
///
/// The stored start may stay as it is even once it is past (a conference under way can get more
/// time); the number is kept when still free for the new times. The overlap warning looks at the
/// booking owner's other bookings, whoever makes the change.
pub async fn update(
    app: &App,
    booking: &Booking,
    input: &BookingInput,
    lang: Lang,
    confirm_overlap: bool,
) -> Result<Booking, BookingError> {
    if booking.cancelled_at.is_some() {
        return Err(BookingError::NotFound);
    }
    let owner_id = booking.owner_id.clone();
    let (mut new, now_secs) =
        prepare(app, owner_id, Some(booking), input, lang, confirm_overlap).await?;
    // The booking keeps the language it was made in (its prompts, its mails): whoever changes it
    // (an API client without Accept-Language, a recipient's English browser on the private
    // link) only gets their messages in their own language.
    if let Some(booked) = Lang::parse(&booking.language) {
        new.language = booked.code().to_string();
    }
    let portal = &app.config.portal;
    let alloc = allocation(app, Some(booking.number.clone()));
    let updated = app
        .store
        .update_booking(&booking.id, &new, &alloc, now_secs, |b| {
            email::invitations(b, portal, Change::Updated, now_secs)
        })
        .await
        .map_err(from_store)?;
    metrics::inc(&app.metrics.bookings_updated_total);
    app.mail_wakeup.notify_one();
    tracing::info!(booking = %updated.id, number = %updated.number, "booking updated");
    Ok(updated)
}

/// Cancel a booking.
pub async fn cancel(app: &App, booking: &Booking) -> Result<Booking, BookingError> {
    if booking.cancelled_at.is_some() {
        return Err(BookingError::NotFound);
    }
    let (_, now_secs) = clock();
    let portal = &app.config.portal;
    let cancelled = app
        .store
        .cancel_booking(&booking.id, now_secs, |b| {
            email::invitations(b, portal, Change::Cancelled, now_secs)
        })
        .await
        .map_err(from_store)?;
    metrics::inc(&app.metrics.bookings_cancelled_total);
    app.mail_wakeup.notify_one();
    tracing::info!(booking = %cancelled.id, "booking cancelled");
    Ok(cancelled)
}

/// Whether `user` may see and change `booking`.
pub fn can_manage(user: &User, booking: &Booking) -> bool {
    user.is_super || booking.owner_id.as_deref() == Some(user.id.as_str())
}

/// The form/API input that shows `booking` back (for the edit form and the API's GET).
pub fn input_of(booking: &Booking) -> BookingInput {
    BookingInput {
        title: booking.title.clone(),
        access_code: booking.access_code.clone(),
        start: booking.local_start.clone(),
        time_zone: booking.time_zone.clone(),
        duration_minutes: booking.duration_minutes.to_string(),
        kind: booking.kind.clone(),
        layout: booking.layout.clone(),
        capacity: booking.capacity.to_string(),
        comment: booking.comment.clone(),
        recipients: booking.recipients.clone(),
        weekdays: booking
            .recurrence_weekdays
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_string)
            .collect(),
        until: booking.recurrence_until.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored() -> Booking {
        Booking {
            id: "b1".into(),
            owner_id: Some("u1".into()),
            number: "721051".into(),
            title: "Weekly".into(),
            access_code: "1289".into(),
            time_zone: "Europe/Paris".into(),
            local_start: "2026-12-01T10:00".into(),
            duration_minutes: 90,
            kind: "audio".into(),
            layout: String::new(),
            capacity: 12,
            comment: "bring slides".into(),
            recipients: vec!["a@example.org".into(), "b@example.org".into()],
            recurrence_weekdays: "mon, wed".into(),
            recurrence_until: "2026-12-31".into(),
            language: "fr".into(),
            modify_token: "tok".into(),
            sequence: 0,
            cancelled_at: None,
            created_at: 0,
            updated_at: 0,
            occurrences: Vec::new(),
        }
    }

    #[test]
    fn input_of_shows_every_stored_field_back() {
        let input = input_of(&stored());
        assert_eq!(input.title, "Weekly");
        assert_eq!(input.access_code, "1289");
        assert_eq!(input.start, "2026-12-01T10:00");
        assert_eq!(input.time_zone, "Europe/Paris");
        assert_eq!(input.duration_minutes, "90");
        assert_eq!(input.kind, "audio");
        assert_eq!(input.layout, "");
        assert_eq!(input.capacity, "12");
        assert_eq!(input.comment, "bring slides");
        assert_eq!(input.recipients, ["a@example.org", "b@example.org"]);
        assert_eq!(input.weekdays, ["mon", "wed"]);
        assert_eq!(input.until, "2026-12-31");
    }

    #[test]
    fn input_of_keeps_the_layout() {
        let mut b = stored();
        b.kind = "video".into();
        b.layout = "3x3".into();
        assert_eq!(input_of(&b).layout, "3x3");
    }

    #[test]
    fn no_recurrence_gives_no_weekdays() {
        let mut b = stored();
        b.recurrence_weekdays.clear();
        b.recurrence_until.clear();
        let input = input_of(&b);
        assert!(input.weekdays.is_empty());
        assert!(input.until.is_empty());
    }

    #[test]
    fn generated_codes_follow_the_rules() {
        for _ in 0..200 {
            let code: u32 = generate_code().parse().unwrap();
            assert!((1000..=9999).contains(&code));
        }
    }

    #[test]
    fn store_errors_map_to_what_the_user_can_act_on() {
        assert!(matches!(
            from_store(StoreError::NumbersExhausted),
            BookingError::NoNumber
        ));
        assert!(matches!(
            from_store(StoreError::NotFound),
            BookingError::NotFound
        ));
        assert!(matches!(
            from_store(StoreError::Invalid("x")),
            BookingError::Store(_)
        ));
    }

    #[test]
    fn stored_form_of_a_valid_booking() {
        let valid = ValidBooking {
            title: "Board".into(),
            access_code: Some("4321".into()),
            start: jiff::civil::date(2026, 12, 1).at(9, 5, 0, 0),
            time_zone: "Europe/Paris".into(),
            duration_minutes: 45,
            kind: Kind::Video,
            layout: Some(Layout::Grid2x2),
            capacity: 8,
            comment: String::new(),
            recipients: vec![],
            recurrence: Some(super::super::Recurrence {
                weekdays: vec![jiff::civil::Weekday::Monday, jiff::civil::Weekday::Friday],
                until: jiff::civil::date(2026, 12, 19),
            }),
        };
        let new = new_booking(
            Some("u".into()),
            &valid,
            "4321".into(),
            vec![(1, 2)],
            Lang::En,
        );
        assert_eq!(new.local_start, "2026-12-01T09:05");
        assert_eq!(new.recurrence_weekdays, "mon,fri");
        assert_eq!(new.recurrence_until, "2026-12-19");
        assert_eq!(new.kind, "video");
        assert_eq!(new.layout, "2x2");
        assert_eq!(new.language, "en");
        assert_eq!(new.occurrences, vec![(1, 2)]);
    }
}
