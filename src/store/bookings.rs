//! Bookings in the store: a booking (one row in `bookings`) yields one or more conferences (its
//! occurrences, one row each in `conferences`), all with the booking's conference number.
//!
//! Number uniqueness is a database constraint, not only a check: every conference claims the
//! 5-minute slots its window covers (from `early_secs` before its start to its end) in
//! `number_slots`, whose primary key is `(number, slot)`. Two bookings that overlap cannot both
//! commit, whatever the interleaving; the loser's transaction fails on the key and allocation
//! tries another number.

use std::collections::{HashMap, HashSet};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row, Transaction};

use super::{
    insert_conference, new_id, outbox, row_to_conference, slots, Conference, Store, StoreError,
    COLUMNS,
};

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
    /// Video layout, canonical name (`2x2`…); empty = the bridge's default (always empty for
    /// audio). Copied to every occurrence's conference row.
    pub layout: String,
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
    /// Video layout, canonical name (`2x2`…); empty = the bridge's default (always empty for
    /// audio). Copied to every occurrence's conference row.
    pub layout: String,
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

/// Numbers tried (the preferred one included) before giving up with `NumbersExhausted`.
const MAX_CANDIDATES: usize = 50;

/// Tries of one candidate after a transient conflict (deadlock, database still busy).
const MAX_TRANSIENT_RETRIES: usize = 3;

/// The columns `row_to_booking` reads, in its order.
const BOOKING_COLUMNS: &str = "id, owner_id, number, title, access_code, time_zone, local_start, \
    duration_minutes, kind, capacity, comment, recurrence_weekdays, recurrence_until, language, \
    modify_token, ics_sequence, cancelled_at, created_at, updated_at, layout";

/// What one allocation attempt writes.
enum Write<'a> {
    /// A new booking with this id and modification token.
    Create { id: &'a str, token: &'a str },
    /// New fields for the live booking with this id.
    Update { id: &'a str },
}

/// Which bookings to load.
#[derive(Clone, Copy)]
enum Filter<'a> {
    Id(&'a str),
    Token(&'a str),
    Owner(&'a str),
    All,
}

impl Filter<'_> {
    /// The condition on `bookings` and its one bound value.
    fn condition(self) -> (&'static str, Option<String>) {
        match self {
            Filter::Id(id) => ("id = $1", Some(id.to_string())),
            Filter::Token(t) => ("modify_token = $1", Some(t.to_string())),
            Filter::Owner(o) => ("owner_id = $1", Some(o.to_string())),
            Filter::All => ("1 = 1", None),
        }
    }
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
        let id = new_id();
        let token = crate::auth::new_token();
        let write = Write::Create {
            id: &id,
            token: &token,
        };
        let (mut tx, booking) = self.allocate(&write, new, alloc, now).await?;
        outbox::queue(&mut tx, &booking.id, &mails(&booking), now).await?;
        tx.commit().await?;
        Ok(booking)
    }

    /// Replace a booking's fields and occurrences (keeping its number when it is still free
    /// for the new times, else allocating another), bump its SEQUENCE, queue `mails`.
    /// `NotFound` when absent or cancelled. The organiser, the modification token and the
    /// creation time stay; `new.owner_id` is ignored (a super-admin's change does not take the
    /// booking over). Without `alloc.preferred`, the booking's current number is preferred.
    pub async fn update_booking(
        &self,
        id: &str,
        new: &NewBooking,
        alloc: &NumberAlloc,
        now: i64,
        mails: impl FnOnce(&Booking) -> Vec<NewMail> + Send,
    ) -> Result<Booking, StoreError> {
        let current = match self.booking(id).await? {
            Some(b) if b.cancelled_at.is_none() => b,
            _ => return Err(StoreError::NotFound),
        };
        let alloc = NumberAlloc {
            preferred: alloc.preferred.clone().or(Some(current.number)),
            ..alloc.clone()
        };
        let (mut tx, booking) = self
            .allocate(&Write::Update { id }, new, &alloc, now)
            .await?;
        outbox::queue(&mut tx, &booking.id, &mails(&booking), now).await?;
        tx.commit().await?;
        Ok(booking)
    }

    /// Cancel: remove its conferences (and their number slots), keep the booking row with
    /// `cancelled_at`, bump SEQUENCE, queue `mails`. `NotFound` when absent or already cancelled.
    pub async fn cancel_booking(
        &self,
        id: &str,
        now: i64,
        mails: impl FnOnce(&Booking) -> Vec<NewMail> + Send,
    ) -> Result<Booking, StoreError> {
        let mut tx = self.pool.begin().await?;
        // The guarded write comes first: it takes the lock and settles a race with another
        // cancel or change of the same booking.
        let done = sqlx::query(
            "UPDATE bookings SET cancelled_at = $2, updated_at = $2, \
             ics_sequence = ics_sequence + 1 WHERE id = $1 AND cancelled_at IS NULL",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(StoreError::NotFound);
        }
        delete_conferences(&mut tx, id).await?;
        let booking = load(&mut tx, Filter::Id(id))
            .await?
            .pop()
            .ok_or(StoreError::NotFound)?;
        outbox::queue(&mut tx, id, &mails(&booking), now).await?;
        tx.commit().await?;
        Ok(booking)
    }

    /// A booking by id (cancelled ones included).
    pub async fn booking(&self, id: &str) -> Result<Option<Booking>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        Ok(load(&mut conn, Filter::Id(id)).await?.pop())
    }

    /// A booking by its modification token (compared in the query; tokens are 256-bit random).
    pub async fn booking_by_token(&self, token: &str) -> Result<Option<Booking>, StoreError> {
        if token.is_empty() {
            return Ok(None);
        }
        let mut conn = self.pool.acquire().await?;
        Ok(load(&mut conn, Filter::Token(token)).await?.pop())
    }

    /// Bookings of one organiser (`Some(user id)`) or of everyone (`None`), cancelled ones
    /// included, by first start.
    pub async fn bookings(&self, owner_id: Option<&str>) -> Result<Vec<Booking>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        load(&mut conn, owner_id.map_or(Filter::All, Filter::Owner)).await
    }

    /// The organiser's live bookings (other than `except_id`) with an occurrence overlapping
    /// one of `occurrences` (for the overlap warning; not a block), by first start. Overlap is
    /// of the booked times, `[start, end)`; the early-join window does not count here.
    pub async fn overlapping_bookings(
        &self,
        owner_id: &str,
        occurrences: &[(i64, i64)],
        except_id: Option<&str>,
    ) -> Result<Vec<Booking>, StoreError> {
        let (Some(from), Some(to)) = (
            occurrences.iter().map(|o| o.0).min(),
            occurrences.iter().map(|o| o.1).max(),
        ) else {
            return Ok(Vec::new());
        };
        // Narrow to the whole span in SQL, then match occurrence against occurrence here (a
        // recurrence has up to a few hundred; one query instead of one per occurrence).
        let rows = sqlx::query(
            "SELECT c.booking_id, c.starts_at, c.ends_at FROM conferences c \
             JOIN bookings b ON b.id = c.booking_id \
             WHERE b.owner_id = $1 AND b.cancelled_at IS NULL AND b.id <> $2 \
             AND c.starts_at < $3 AND c.ends_at > $4 ORDER BY c.starts_at",
        )
        .bind(owner_id)
        .bind(except_id.unwrap_or(""))
        .bind(to)
        .bind(from)
        .fetch_all(&self.pool)
        .await?;
        let mut ids: Vec<String> = Vec::new();
        for row in &rows {
            let (id, start, end): (String, i64, i64) =
                (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            let overlaps = occurrences.iter().any(|&(s, e)| start < e && s < end);
            if overlaps && !ids.contains(&id) {
                ids.push(id);
            }
        }
        let mut out = Vec::with_capacity(ids.len());
        let mut conn = self.pool.acquire().await?;
        for id in &ids {
            out.extend(load(&mut conn, Filter::Id(id)).await?);
        }
        out.sort_by_key(|b| b.occurrences.first().map(|c| c.starts_at));
        Ok(out)
    }

    /// Live bookings, for `/metrics`: count of non-cancelled bookings with an occurrence not
    /// yet ended at `now`.
    pub async fn upcoming_booking_count(&self, now: i64) -> Result<i64, StoreError> {
        // Cancelled bookings have no conferences left, so the conferences alone tell.
        let row = sqlx::query(
            "SELECT COUNT(DISTINCT booking_id) FROM conferences \
             WHERE booking_id IS NOT NULL AND ends_at > $1",
        )
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get(0)?)
    }

    /// Try the candidate numbers in turn, each in its own transaction (a failed insert poisons
    /// a PostgreSQL transaction, so a clash means starting over, not carrying on). Returns the
    /// open transaction holding the written booking, for the caller to add the mails and commit.
    async fn allocate(
        &self,
        write: &Write<'_>,
        new: &NewBooking,
        alloc: &NumberAlloc,
        now: i64,
    ) -> Result<(Transaction<'static, Any>, Booking), StoreError> {
        let occurrences = checked_occurrences(new)?;
        for number in candidates(alloc)? {
            let mut transient = 0;
            loop {
                let mut tx = self.pool.begin().await?;
                let written = match write {
                    Write::Create { id, token } => {
                        let booking = booking_of(id, token, &number, new, now);
                        write_create(&mut tx, booking, &occurrences, alloc.early_secs, now)
                            .await
                            .map(Some)
                    }
                    Write::Update { id } => {
                        write_update(&mut tx, id, &number, new, &occurrences, alloc, now).await
                    }
                };
                match written {
                    Ok(Some(booking)) => return Ok((tx, booking)),
                    Ok(None) => {
                        tx.rollback().await?;
                        return Err(StoreError::NotFound);
                    }
                    Err(e) => {
                        tx.rollback().await?;
                        if slots::is_clash(&e) {
                            break; // the number is busy then: next candidate
                        }
                        if slots::is_transient(&e) && transient < MAX_TRANSIENT_RETRIES {
                            transient += 1;
                            tracing::debug!(error = %e, "booking transaction retried");
                            continue;
                        }
                        return Err(e.into());
                    }
                }
            }
        }
        Err(match (&alloc.preferred, alloc.only_preferred) {
            (Some(number), true) => StoreError::NumberTaken(number.clone()),
            _ => StoreError::NumbersExhausted,
        })
    }
}

/// The occurrences sorted by start, refusing an empty list or an empty occurrence.
fn checked_occurrences(new: &NewBooking) -> Result<Vec<(i64, i64)>, StoreError> {
    if new.occurrences.is_empty() {
        return Err(StoreError::Invalid(
            "a booking needs at least one occurrence",
        ));
    }
    if new.occurrences.iter().any(|&(s, e)| e <= s) {
        return Err(StoreError::Invalid(
            "an occurrence must end after it starts",
        ));
    }
    let mut sorted = new.occurrences.clone();
    sorted.sort_unstable();
    Ok(sorted)
}

/// Whether `number` is acceptable as a conference number (the CLI's rule).
fn is_number(number: &str) -> bool {
    (1..=16).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_digit())
}

/// The numbers to try, in order: the preferred one, then (unless `only_preferred`) distinct
/// random numbers of `digits` digits, the first never 0, drawn from `seed` (so a test can
/// replay them).
fn candidates(alloc: &NumberAlloc) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::with_capacity(MAX_CANDIDATES);
    if let Some(p) = &alloc.preferred {
        if !is_number(p) {
            return Err(StoreError::Invalid(
                "the conference number must be 1 to 16 digits",
            ));
        }
        out.push(p.clone());
    }
    if alloc.only_preferred {
        if out.is_empty() {
            return Err(StoreError::Invalid("no conference number given"));
        }
        return Ok(out);
    }
    let digits = alloc.digits.clamp(1, 16);
    let (low, high) = (10u64.pow(digits - 1), 10u64.pow(digits));
    let mut rng = StdRng::seed_from_u64(alloc.seed);
    let mut seen: HashSet<String> = out.iter().cloned().collect();
    // Few digits may offer fewer numbers than MAX_CANDIDATES: bound the draws, not the hits.
    for _ in 0..MAX_CANDIDATES * 20 {
        if out.len() >= MAX_CANDIDATES {
            break;
        }
        let n = rng.gen_range(low..high).to_string();
        if seen.insert(n.clone()) {
            out.push(n);
        }
    }
    Ok(out)
}

/// A fresh booking (no occurrences yet) from `new`, as created at `now`.
fn booking_of(id: &str, token: &str, number: &str, new: &NewBooking, now: i64) -> Booking {
    Booking {
        id: id.to_string(),
        owner_id: new.owner_id.clone(),
        number: number.to_string(),
        title: new.title.clone(),
        access_code: new.access_code.clone(),
        time_zone: new.time_zone.clone(),
        local_start: new.local_start.clone(),
        duration_minutes: new.duration_minutes,
        kind: new.kind.clone(),
        layout: new.layout.clone(),
        capacity: new.capacity,
        comment: new.comment.clone(),
        recipients: new.recipients.clone(),
        recurrence_weekdays: new.recurrence_weekdays.clone(),
        recurrence_until: new.recurrence_until.clone(),
        language: new.language.clone(),
        modify_token: token.to_string(),
        sequence: 0,
        cancelled_at: None,
        created_at: now,
        updated_at: now,
        occurrences: Vec::new(),
    }
}

/// One attempt at creating `booking` under its number. The first statement writes (see the
/// store's module comment about SQLite locks).
async fn write_create(
    conn: &mut AnyConnection,
    mut booking: Booking,
    occurrences: &[(i64, i64)],
    early_secs: i64,
    now: i64,
) -> Result<Booking, sqlx::Error> {
    let (first_start, last_end) = span(occurrences);
    sqlx::query(&format!(
        "INSERT INTO bookings ({BOOKING_COLUMNS}, first_start, last_end) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, \
         $20, $21, $22)"
    ))
    .bind(&booking.id)
    .bind(booking.owner_id.clone())
    .bind(&booking.number)
    .bind(&booking.title)
    .bind(&booking.access_code)
    .bind(&booking.time_zone)
    .bind(&booking.local_start)
    .bind(booking.duration_minutes)
    .bind(&booking.kind)
    .bind(booking.capacity)
    .bind(&booking.comment)
    .bind(&booking.recurrence_weekdays)
    .bind(&booking.recurrence_until)
    .bind(&booking.language)
    .bind(&booking.modify_token)
    .bind(booking.sequence)
    .bind(booking.cancelled_at)
    .bind(booking.created_at)
    .bind(booking.updated_at)
    .bind(&booking.layout)
    .bind(first_start)
    .bind(last_end)
    .execute(&mut *conn)
    .await?;
    insert_recipients(conn, &booking.id, &booking.recipients).await?;
    booking.occurrences = insert_occurrences(conn, &booking, occurrences, early_secs, now).await?;
    Ok(booking)
}

/// One attempt at changing the live booking `id` to `new` under `number`; `None` when the
/// booking is gone or cancelled.
async fn write_update(
    conn: &mut AnyConnection,
    id: &str,
    number: &str,
    new: &NewBooking,
    occurrences: &[(i64, i64)],
    alloc: &NumberAlloc,
    now: i64,
) -> Result<Option<Booking>, sqlx::Error> {
    let (first_start, last_end) = span(occurrences);
    // One guarded write first: it takes the lock, bumps SEQUENCE, and finds out whether the
    // booking is still live, so a concurrent cancel and change cannot both win.
    let done = sqlx::query(
        "UPDATE bookings SET number = $2, title = $3, access_code = $4, time_zone = $5, \
         local_start = $6, duration_minutes = $7, kind = $8, capacity = $9, comment = $10, \
         recurrence_weekdays = $11, recurrence_until = $12, language = $13, \
         ics_sequence = ics_sequence + 1, first_start = $14, last_end = $15, updated_at = $16, \
         layout = $17 WHERE id = $1 AND cancelled_at IS NULL",
    )
    .bind(id)
    .bind(number)
    .bind(&new.title)
    .bind(&new.access_code)
    .bind(&new.time_zone)
    .bind(&new.local_start)
    .bind(new.duration_minutes)
    .bind(&new.kind)
    .bind(new.capacity)
    .bind(&new.comment)
    .bind(&new.recurrence_weekdays)
    .bind(&new.recurrence_until)
    .bind(&new.language)
    .bind(first_start)
    .bind(last_end)
    .bind(now)
    .bind(&new.layout)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    // The old occurrences give way first, so the booking never clashes with itself.
    delete_conferences(conn, id).await?;
    sqlx::query("DELETE FROM recipients WHERE booking_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    insert_recipients(conn, id, &new.recipients).await?;
    let row = sqlx::query(&format!(
        "SELECT {BOOKING_COLUMNS} FROM bookings WHERE id = $1"
    ))
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    let mut booking = row_to_booking(&row)?;
    booking.recipients = new.recipients.clone();
    booking.occurrences =
        insert_occurrences(conn, &booking, occurrences, alloc.early_secs, now).await?;
    Ok(Some(booking))
}

/// First start and last end of sorted, non-empty occurrences.
fn span(occurrences: &[(i64, i64)]) -> (i64, i64) {
    let first = occurrences.first().map_or(0, |o| o.0);
    let last = occurrences.iter().map(|o| o.1).max().unwrap_or(first);
    (first, last)
}

/// Insert the recipients in their order.
async fn insert_recipients(
    conn: &mut AnyConnection,
    booking_id: &str,
    recipients: &[String],
) -> Result<(), sqlx::Error> {
    for (position, email) in recipients.iter().enumerate() {
        sqlx::query("INSERT INTO recipients (booking_id, position, email) VALUES ($1, $2, $3)")
            .bind(booking_id)
            .bind(position as i64)
            .bind(email)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Insert one conference per occurrence with the booking's fields and claim its number slots.
/// Fails with a slot clash (`slots::is_clash`) when the number is busy at one of them.
async fn insert_occurrences(
    conn: &mut AnyConnection,
    booking: &Booking,
    occurrences: &[(i64, i64)],
    early_secs: i64,
    now: i64,
) -> Result<Vec<Conference>, sqlx::Error> {
    let mut out = Vec::with_capacity(occurrences.len());
    let mut claimed_until = i64::MIN;
    for &(starts_at, ends_at) in occurrences {
        let conf = Conference {
            id: new_id(),
            number: booking.number.clone(),
            title: booking.title.clone(),
            access_code: booking.access_code.clone(),
            starts_at,
            ends_at,
            capacity: booking.capacity,
            kind: booking.kind.clone(),
            language: booking.language.clone(),
            layout: booking.layout.clone(),
        };
        insert_conference(conn, &conf, Some(&booking.id), now).await?;
        // Occurrences of one booking may round into a shared slot (back to back, or within
        // the early-join window of each other): that slot is claimed once, by the earlier.
        let (first, last) = slots::window(starts_at, ends_at, early_secs);
        slots::claim(
            conn,
            &booking.number,
            first.max(claimed_until),
            last,
            &conf.id,
        )
        .await?;
        claimed_until = claimed_until.max(last);
        out.push(conf);
    }
    Ok(out)
}

/// Remove a booking's conferences and free their slots.
async fn delete_conferences(conn: &mut AnyConnection, booking_id: &str) -> Result<(), sqlx::Error> {
    slots::release_booking(conn, booking_id).await?;
    sqlx::query("DELETE FROM conferences WHERE booking_id = $1")
        .bind(booking_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A `bookings` row (read with `BOOKING_COLUMNS`), without recipients or occurrences.
fn row_to_booking(row: &AnyRow) -> Result<Booking, sqlx::Error> {
    Ok(Booking {
        id: row.try_get(0)?,
        owner_id: row.try_get(1)?,
        number: row.try_get(2)?,
        title: row.try_get(3)?,
        access_code: row.try_get(4)?,
        time_zone: row.try_get(5)?,
        local_start: row.try_get(6)?,
        duration_minutes: row.try_get(7)?,
        kind: row.try_get(8)?,
        capacity: row.try_get(9)?,
        comment: row.try_get(10)?,
        recurrence_weekdays: row.try_get(11)?,
        recurrence_until: row.try_get(12)?,
        language: row.try_get(13)?,
        modify_token: row.try_get(14)?,
        sequence: row.try_get(15)?,
        cancelled_at: row.try_get(16)?,
        created_at: row.try_get(17)?,
        updated_at: row.try_get(18)?,
        layout: row.try_get(19)?,
        recipients: Vec::new(),
        occurrences: Vec::new(),
    })
}

/// The bookings `filter` selects, by first start, with their recipients and occurrences: three
/// queries whatever the number of bookings.
async fn load(conn: &mut AnyConnection, filter: Filter<'_>) -> Result<Vec<Booking>, StoreError> {
    let (condition, value) = filter.condition();
    let sql = format!(
        "SELECT {BOOKING_COLUMNS} FROM bookings WHERE {condition} ORDER BY first_start, id"
    );
    let rows = bound(&sql, &value).fetch_all(&mut *conn).await?;
    let mut bookings = rows
        .iter()
        .map(row_to_booking)
        .collect::<Result<Vec<_>, _>>()?;
    if bookings.is_empty() {
        return Ok(bookings);
    }
    let index: HashMap<String, usize> = bookings
        .iter()
        .enumerate()
        .map(|(i, b)| (b.id.clone(), i))
        .collect();
    let sql = format!(
        "SELECT booking_id, email FROM recipients WHERE booking_id IN \
         (SELECT id FROM bookings WHERE {condition}) ORDER BY booking_id, position"
    );
    for row in bound(&sql, &value).fetch_all(&mut *conn).await? {
        let booking_id: String = row.try_get(0)?;
        if let Some(&i) = index.get(&booking_id) {
            bookings[i].recipients.push(row.try_get(1)?);
        }
    }
    let sql = format!(
        "SELECT {COLUMNS}, booking_id FROM conferences WHERE booking_id IN \
         (SELECT id FROM bookings WHERE {condition}) ORDER BY starts_at, id"
    );
    for row in bound(&sql, &value).fetch_all(&mut *conn).await? {
        let booking_id: String = row.try_get(10)?;
        if let Some(&i) = index.get(&booking_id) {
            bookings[i].occurrences.push(row_to_conference(&row)?);
        }
    }
    Ok(bookings)
}

/// `sql` with the filter's value bound to `$1`, if it has one.
fn bound<'q>(
    sql: &'q str,
    value: &Option<String>,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    let query = sqlx::query(sql);
    match value {
        Some(v) => query.bind(v.clone()),
        None => query,
    }
}

#[cfg(test)]
mod tests;
