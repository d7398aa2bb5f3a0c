//! The outbox: invitation mails written in the same transaction as the booking change that
//! caused them, marked sent only once the SMTP server has accepted them (rows are kept). The
//! mail worker (`crate::mail`) takes due rows, tries, and reschedules failures with backoff.

use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{NewMail, Store, StoreError};

/// A queued mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMail {
    /// Row id.
    pub id: String,
    /// The booking it is about.
    pub booking_id: String,
    /// Recipient.
    pub recipient: String,
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// `.ics` text (may be empty).
    pub ics: String,
    /// `REQUEST` / `CANCEL`.
    pub ics_method: String,
    /// Tries so far.
    pub attempts: i64,
    /// Queued (Unix seconds).
    pub created_at: i64,
}

impl Store {
    /// Unsent mails whose next try is due at `now`, oldest first.
    pub async fn due_mails(&self, now: i64, limit: i64) -> Result<Vec<OutboxMail>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, booking_id, recipient, subject, body, ics, ics_method, attempts, created_at \
             FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= $1 \
             ORDER BY created_at, id LIMIT $2",
        )
        .bind(now)
        .bind(limit.max(0))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(row_to_mail).collect::<Result<_, _>>()?)
    }

    /// The SMTP server accepted it.
    pub async fn mail_sent(&self, id: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE outbox SET sent_at = $2, last_error = '' WHERE id = $1")
            .bind(id)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A try failed: count it, keep the error text (for the admin), try again at `next_at`.
    pub async fn mail_failed(&self, id: &str, error: &str, next_at: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3 \
             WHERE id = $1 AND sent_at IS NULL",
        )
        .bind(id)
        .bind(error)
        .bind(next_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Mails not yet accepted by SMTP.
    pub async fn outbox_backlog(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get(0)?)
    }

    /// The earliest next try among unsent mails (to sleep until then).
    pub async fn next_mail_due(&self) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query("SELECT MIN(next_attempt_at) FROM outbox WHERE sent_at IS NULL")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get(0)?)
    }
}

/// Queue `mails` about `booking_id`, due at once, inside the caller's transaction.
pub(super) async fn queue(
    conn: &mut AnyConnection,
    booking_id: &str,
    mails: &[NewMail],
    now: i64,
) -> Result<(), sqlx::Error> {
    for mail in mails {
        sqlx::query(
            "INSERT INTO outbox (id, booking_id, recipient, subject, body, ics, ics_method, \
             attempts, next_attempt_at, last_error, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, '', $8)",
        )
        .bind(mail_id())
        .bind(booking_id)
        .bind(&mail.recipient)
        .bind(&mail.subject)
        .bind(&mail.body)
        .bind(&mail.ics)
        .bind(&mail.ics_method)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A row id that sorts by creation: the clock in nanoseconds, then 64 random bits. Mails of one
/// second go out in the order they were queued (an invitation before its cancellation), which
/// `created_at` alone cannot tell.
fn mail_id() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    format!("{nanos:016x}{:016x}", rand::random::<u64>())
}

fn row_to_mail(row: &AnyRow) -> Result<OutboxMail, sqlx::Error> {
    Ok(OutboxMail {
        id: row.try_get(0)?,
        booking_id: row.try_get(1)?,
        recipient: row.try_get(2)?,
        subject: row.try_get(3)?,
        body: row.try_get(4)?,
        ics: row.try_get(5)?,
        ics_method: row.try_get(6)?,
        attempts: row.try_get(7)?,
        created_at: row.try_get(8)?,
    })
}
