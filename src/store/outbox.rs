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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::temp_stores;

    const T: i64 = 1_800_000_000;

    fn mail(to: &str) -> NewMail {
        NewMail {
            recipient: to.into(),
            subject: format!("for {to}"),
            body: "sheet".into(),
            ics: String::new(),
            ics_method: "REQUEST".into(),
        }
    }

    #[tokio::test]
    async fn due_failed_sent_backlog() {
        let (_dir, stores) = temp_stores().await;
        for store in stores {
            assert_eq!(store.next_mail_due().await.unwrap(), None);
            assert_eq!(store.outbox_backlog().await.unwrap(), 0);
            let mut conn = store.pool.acquire().await.unwrap();
            queue(&mut conn, "b1", &[mail("x@a"), mail("y@a")], T)
                .await
                .unwrap();
            queue(&mut conn, "b2", &[mail("z@a")], T + 10)
                .await
                .unwrap();
            drop(conn);
            assert_eq!(store.outbox_backlog().await.unwrap(), 3);
            assert_eq!(store.next_mail_due().await.unwrap(), Some(T));
            // Due by time, oldest first, limited.
            let due = store.due_mails(T + 5, 10).await.unwrap();
            let to: Vec<_> = due.iter().map(|m| m.recipient.as_str()).collect();
            assert_eq!(to, ["x@a", "y@a"]);
            assert_eq!(due[0].booking_id, "b1");
            assert_eq!(due[0].created_at, T);
            assert_eq!(store.due_mails(T + 10, 1).await.unwrap().len(), 1);
            assert_eq!(store.due_mails(T + 10, 10).await.unwrap().len(), 3);

            // A failure counts, and reschedules the mail.
            store
                .mail_failed(&due[0].id, "connection refused", T + 70)
                .await
                .unwrap();
            let later = store.due_mails(T + 10, 10).await.unwrap();
            let to: Vec<_> = later.iter().map(|m| m.recipient.as_str()).collect();
            assert_eq!(to, ["y@a", "z@a"]);
            // Sent ones leave the backlog and are never due again, but stay in the table.
            store.mail_sent(&due[1].id, T + 11).await.unwrap();
            store.mail_sent(&later[1].id, T + 11).await.unwrap();
            assert_eq!(store.outbox_backlog().await.unwrap(), 1);
            assert_eq!(store.next_mail_due().await.unwrap(), Some(T + 70));
            assert!(store.due_mails(T + 69, 10).await.unwrap().is_empty());
            let retry = store.due_mails(T + 70, 10).await.unwrap();
            assert_eq!(retry.len(), 1);
            assert_eq!((retry[0].recipient.as_str(), retry[0].attempts), ("x@a", 1));
            let row = sqlx::query("SELECT last_error FROM outbox WHERE id = $1")
                .bind(&retry[0].id)
                .fetch_one(&store.pool)
                .await
                .unwrap();
            assert_eq!(row.try_get::<String, _>(0).unwrap(), "connection refused");
            store.mail_sent(&retry[0].id, T + 71).await.unwrap();
            // A late failure report does not resurrect a sent mail.
            store
                .mail_failed(&retry[0].id, "late", T + 80)
                .await
                .unwrap();
            assert_eq!(store.outbox_backlog().await.unwrap(), 0);
            assert_eq!(store.next_mail_due().await.unwrap(), None);
            let total = sqlx::query("SELECT COUNT(*) FROM outbox")
                .fetch_one(&store.pool)
                .await
                .unwrap();
            assert_eq!(total.try_get::<i64, _>(0).unwrap(), 3);
        }
    }
}
