//! The outbox: invitation mails written in the same transaction as the booking change that
//! caused them, marked sent only once the SMTP server has accepted them (rows are kept). The
//! mail worker (`crate::mail`) takes due rows, tries, and reschedules failures with backoff.

use super::{Store, StoreError};

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
        let _ = (now, limit);
        todo!("issue #4: store helper")
    }

    /// The SMTP server accepted it.
    pub async fn mail_sent(&self, id: &str, now: i64) -> Result<(), StoreError> {
        let _ = (id, now);
        todo!("issue #4: store helper")
    }

    /// A try failed: count it, keep the error text (for the admin), try again at `next_at`.
    pub async fn mail_failed(
        &self,
        id: &str,
        error: &str,
        next_at: i64,
    ) -> Result<(), StoreError> {
        let _ = (id, error, next_at);
        todo!("issue #4: store helper")
    }

    /// Mails not yet accepted by SMTP.
    pub async fn outbox_backlog(&self) -> Result<i64, StoreError> {
        todo!("issue #4: store helper")
    }

    /// The earliest next try among unsent mails (to sleep until then).
    pub async fn next_mail_due(&self) -> Result<Option<i64>, StoreError> {
        todo!("issue #4: store helper")
    }
}
