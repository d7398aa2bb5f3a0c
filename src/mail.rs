//! The mail worker: one tokio task that sends the outbox through SMTP (lettre), marks each mail
//! sent once the server accepted it, and retries failures with exponential backoff (30 s doubling
//! to 1 h, forever: a mail is given up only by an admin). Woken by `App::mail_wakeup` when a
//! booking change queues mail, else sleeps until the next due try.

use std::sync::Arc;

use crate::App;

/// Start the worker (returns at once). With no SMTP configured it only keeps the backlog gauge.
pub fn start(app: Arc<App>) -> tokio::task::JoinHandle<()> {
    // Skeleton: the mail helper fills this in; until then the outbox only fills.
    tokio::spawn(async move {
        let _ = app;
    })
}

/// The delay before try number `attempts + 1` after `attempts` failures.
pub fn backoff(attempts: i64) -> std::time::Duration {
    let _ = attempts;
    todo!("issue #4: mail helper")
}
