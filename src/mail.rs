//! The mail worker: one tokio task that sends the outbox through SMTP (lettre), marks each mail
//! sent once the server accepted it, and retries failures with exponential backoff (30 s doubling
//! to 1 h, forever: a mail is given up only by an admin). Woken by `App::mail_wakeup` when a
//! booking change queues mail, else sleeps until the next due try.
//!
//! # What an invitation looks like on the wire
//!
//! ```text
//! multipart/mixed
//! ├── multipart/alternative
//! │   ├── text/plain; charset=utf-8                         the connection sheet
//! │   └── text/calendar; charset=utf-8; method=REQUEST      the same event, for calendar clients
//! └── application/ics; name="invite.ics"  (attachment)      the event as a file
//! ```
//!
//! This is the shape calendar servers themselves send. Outlook and Exchange turn a mail into a
//! meeting request only when a `text/calendar` part with a `method` parameter is an
//! *alternative* of the body, not an attachment; Gmail and Thunderbird read that part too.
//! Mail programs without calendar support show the text and offer `invite.ics` to save or open
//! (Apple Mail, webmails). The attachment is `application/ics` rather than a second
//! `text/calendar; method=…` so that no client acts on the invitation twice. A mail whose `.ics`
//! is empty is a plain `text/plain` message.
//!
//! # Failures
//!
//! The worker never stops: a store error is logged and the loop goes on after a pause; an SMTP
//! failure reschedules the mail. When the relay itself cannot be reached (connection refused,
//! timeout, TLS), the rest of the batch is rescheduled without trying it, so a dead relay costs
//! one connection attempt per round rather than one per mail. Failure warnings are rate-limited
//! (the first at once, then at most one a minute with a count), as a relay that is down for an
//! hour would otherwise flood the log.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{SmtpConfig, SmtpTls};
use crate::metrics;
use crate::store::OutboxMail;
use crate::unix_now;
use crate::App;

/// The delay before the first retry, unless `[smtp] retry_secs` says otherwise.
pub const BASE_BACKOFF: Duration = Duration::from_secs(30);
/// The longest delay between two tries of one mail.
pub const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// Mails taken from the outbox per round (the rest follow at once in the next round).
const BATCH: i64 = 20;
/// Bound on connecting to the relay and on each SMTP command.
const SMTP_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest sleep between two looks at the outbox (a mail queued by another bridge sharing the
/// database pokes no `Notify` here).
const MAX_IDLE: Duration = Duration::from_secs(60);
/// Pause after a store error before trying again.
const STORE_RETRY: Duration = Duration::from_secs(5);
/// At most one failure warning per this interval.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// Start the worker (returns at once). With no SMTP configured it only keeps the backlog gauge.
pub fn start(app: Arc<App>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(app))
}

/// The delay before the next try of a mail whose try number `attempts + 1` just failed
/// (`attempts` = tries before it): 30 s, 60 s, 2 min, … capped at 1 h.
pub fn backoff(attempts: i64) -> std::time::Duration {
    backoff_from(BASE_BACKOFF, attempts)
}

/// [`backoff`] with another first delay.
fn backoff_from(base: Duration, attempts: i64) -> Duration {
    // 2^12 × 1 s already passes the cap: clamping the exponent keeps the shift from overflowing.
    let factor = 1u32 << attempts.clamp(0, 12);
    base.saturating_mul(factor).min(MAX_BACKOFF)
}

/// Why one mail could not be handed over.
#[derive(Debug, thiserror::Error)]
enum SendError {
    /// `From:` or `To:` is not a mailbox (a retry cannot fix it; an admin can).
    #[error("bad address {address:?}: {source}")]
    Address {
        /// The text that did not parse.
        address: String,
        /// Why.
        source: lettre::address::AddressError,
    },
    /// The message could not be assembled.
    #[error("cannot build the message: {0}")]
    Build(#[from] lettre::error::Error),
    /// The relay refused it or could not be reached.
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
}

impl SendError {
    /// Whether the relay itself is out of reach (nothing else in the batch can get through).
    fn relay_unreachable(&self) -> bool {
        match self {
            SendError::Smtp(e) => {
                !(e.is_transient() || e.is_permanent() || e.is_response() || e.is_client())
            }
            _ => false,
        }
    }
}

/// Build the MIME message of `mail` (see the module doc for its shape).
fn build_message(mail: &OutboxMail, from: &str) -> Result<Message, SendError> {
    let mailbox = |address: &str| {
        address
            .parse::<Mailbox>()
            .map_err(|source| SendError::Address {
                address: address.to_string(),
                source,
            })
    };
    let from = mailbox(from)?;
    // The row id makes a stable Message-ID: if the relay took a mail but the connection broke
    // before its answer, the copy sent on retry can be recognised as the same message.
    let message_id = format!("<{}@{}>", mail.id, from.email.domain());
    let builder = Message::builder()
        .from(from)
        .to(mailbox(&mail.recipient)?)
        .subject(mail.subject.as_str())
        .message_id(Some(message_id));
    let text = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone());
    if mail.ics.is_empty() {
        return Ok(builder.singlepart(text)?);
    }
    let method = match mail.ics_method.as_str() {
        "CANCEL" => "CANCEL",
        _ => "REQUEST",
    };
    let calendar = ContentType::parse(&format!("text/calendar; charset=utf-8; method={method}"))
        .expect("a constant content type parses");
    let ics_file = ContentType::parse("application/ics; name=\"invite.ics\"")
        .expect("a constant content type parses");
    let body = MultiPart::mixed()
        .multipart(
            MultiPart::alternative().singlepart(text).singlepart(
                SinglePart::builder()
                    .header(calendar)
                    .body(mail.ics.clone()),
            ),
        )
        .singlepart(Attachment::new("invite.ics".into()).body(mail.ics.clone(), ics_file));
    Ok(builder.multipart(body)?)
}

/// The relay connection settings as a lettre transport. `Err` only for TLS settings lettre
/// refuses (a host name no certificate could match).
fn transport(
    smtp: &SmtpConfig,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, lettre::transport::smtp::Error> {
    type Transport = AsyncSmtpTransport<Tokio1Executor>;
    let builder = match smtp.tls {
        SmtpTls::None => Transport::builder_dangerous(smtp.host.as_str()),
        SmtpTls::StartTls => Transport::starttls_relay(&smtp.host)?,
        SmtpTls::Tls => Transport::relay(&smtp.host)?,
    };
    let mut builder = builder.port(smtp.port).timeout(Some(SMTP_TIMEOUT));
    if let (Some(user), Some(password)) = (&smtp.username, &smtp.password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    Ok(builder.build())
}

/// Failure warnings: the first of a streak at once, then at most one per [`WARN_EVERY`]
/// carrying the number of failures it stands for.
#[derive(Debug, Default)]
struct WarnLimiter {
    last: Option<Instant>,
    suppressed: u64,
    failing: bool,
}

impl WarnLimiter {
    /// A failure happened: `Some(failures since the last warning)` when one should be logged.
    fn failure(&mut self, now: Instant) -> Option<u64> {
        self.failing = true;
        self.suppressed += 1;
        if self
            .last
            .is_some_and(|t| now.duration_since(t) < WARN_EVERY)
        {
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.suppressed))
    }

    /// A mail went through: whether this ends a streak of failures (worth one line).
    fn success(&mut self) -> bool {
        self.suppressed = 0;
        self.last = None;
        std::mem::take(&mut self.failing)
    }
}

/// The worker's loop (see the module doc).
async fn run(app: Arc<App>) {
    let smtp = app.config.portal.smtp.clone();
    let transport = match smtp.as_ref().map(transport) {
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => {
            tracing::error!(error = %e, "SMTP settings refused: invitations stay in the outbox");
            None
        }
        None => {
            tracing::info!("no SMTP relay configured: invitations stay in the outbox");
            None
        }
    };
    let retry_base = smtp.as_ref().map_or(BASE_BACKOFF, |s| s.retry_base);
    let mut warn = WarnLimiter::default();
    loop {
        // Registered before the work, so a wake-up that arrives while sending is not lost.
        let wakeup = app.mail_wakeup.notified();
        tokio::pin!(wakeup);
        wakeup.as_mut().enable();

        let mut healthy = true;
        if let Some(transport) = &transport {
            healthy = send_due(&app, transport, retry_base, &mut warn).await;
        }
        if let Err(e) = refresh_backlog(&app).await {
            tracing::warn!(error = %e, "outbox: cannot count the backlog");
            healthy = false;
        }
        let pause = if !healthy {
            STORE_RETRY
        } else if transport.is_none() {
            MAX_IDLE
        } else {
            match app.store.next_mail_due().await {
                Ok(Some(due)) => Duration::from_secs((due - unix_now()).max(0) as u64),
                Ok(None) => MAX_IDLE,
                Err(e) => {
                    tracing::warn!(error = %e, "outbox: cannot read the next due mail");
                    STORE_RETRY
                }
            }
        };
        tokio::select! {
            _ = &mut wakeup => {}
            _ = tokio::time::sleep(pause.min(MAX_IDLE)) => {}
        }
    }
}

/// Set the backlog gauge from the store.
async fn refresh_backlog(app: &App) -> Result<(), crate::store::StoreError> {
    let backlog = app.store.outbox_backlog().await?;
    app.metrics.outbox_backlog.store(backlog, Ordering::Relaxed);
    Ok(())
}

/// One round: try every due mail of one batch. `false` when the store failed (pause before
/// the next round, as the same error would come back at once).
async fn send_due(
    app: &App,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    retry_base: Duration,
    warn: &mut WarnLimiter,
) -> bool {
    let due = match app.store.due_mails(unix_now(), BATCH).await {
        Ok(due) => due,
        Err(e) => {
            tracing::warn!(error = %e, "outbox: cannot read due mails");
            return false;
        }
    };
    let mut unreachable: Option<String> = None;
    for mail in &due {
        // With the relay known to be down, the rest of the batch is rescheduled untried.
        let outcome = match &unreachable {
            Some(reason) => Err(reason.clone()),
            None => match send_one(app, transport, mail).await {
                Ok(()) => Ok(()),
                Err(e) => {
                    if e.relay_unreachable() {
                        unreachable = Some(e.to_string());
                    }
                    Err(e.to_string())
                }
            },
        };
        let now = unix_now();
        let stored = match outcome {
            Ok(()) => {
                metrics::inc(&app.metrics.mails_sent_total);
                if warn.success() {
                    tracing::info!("outbox: the SMTP relay accepts mail again");
                }
                app.store.mail_sent(&mail.id, now).await
            }
            Err(reason) => {
                metrics::inc(&app.metrics.mail_failures_total);
                let delay = backoff_from(retry_base, mail.attempts);
                if let Some(failures) = warn.failure(Instant::now()) {
                    tracing::warn!(
                        mail = %mail.id,
                        booking = %mail.booking_id,
                        attempts = mail.attempts + 1,
                        retry_in_secs = delay.as_secs(),
                        failures,
                        error = %reason,
                        "outbox: mail not sent, will retry"
                    );
                }
                let next_at = now.saturating_add(delay.as_secs() as i64);
                app.store.mail_failed(&mail.id, &reason, next_at).await
            }
        };
        if let Err(e) = stored {
            // The mail stays due: it will be tried (and maybe sent twice) after the pause.
            tracing::warn!(mail = %mail.id, error = %e, "outbox: cannot record a try");
            return false;
        }
    }
    true
}

/// Build and hand over one mail.
async fn send_one(
    app: &App,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    mail: &OutboxMail,
) -> Result<(), SendError> {
    let message = build_message(mail, &app.config.portal.mail_from)?;
    transport.send(message).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(ics: &str, method: &str) -> OutboxMail {
        OutboxMail {
            id: "0123abcd".into(),
            booking_id: "b1".into(),
            recipient: "alice@example.fr".into(),
            subject: "Invitation : Réunion d'équipe".into(),
            body: "Numéro de conférence : 721051 (terminer par #)\n".into(),
            ics: ics.into(),
            ics_method: method.into(),
            attempts: 0,
            created_at: 0,
        }
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(0), Duration::from_secs(30));
        assert_eq!(backoff(1), Duration::from_secs(60));
        assert_eq!(backoff(4), Duration::from_secs(480));
        assert_eq!(backoff(7), Duration::from_secs(3600));
        assert_eq!(backoff(i64::MAX), MAX_BACKOFF);
        assert_eq!(backoff(-3), Duration::from_secs(30));
        assert_eq!(
            backoff_from(Duration::from_secs(1), 3),
            Duration::from_secs(8)
        );
    }

    #[test]
    fn invitation_is_text_with_an_alternative_calendar_and_an_attachment() {
        let ics = "BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\nEND:VCALENDAR\r\n";
        let message = build_message(&mail(ics, "CANCEL"), "Pont <visio@example.fr>").unwrap();
        let text = String::from_utf8(message.formatted()).unwrap();
        let at = |needle: &str| {
            text.find(needle)
                .unwrap_or_else(|| panic!("{needle:?} missing in:\n{text}"))
        };
        assert!(at("multipart/mixed") < at("multipart/alternative"));
        assert!(at("multipart/alternative") < at("Content-Type: text/plain; charset=utf-8"));
        assert!(at("text/plain") < at("text/calendar; charset=utf-8; method=CANCEL"));
        assert!(at("method=CANCEL") < at("application/ics"));
        at("filename=\"invite.ics\"");
        at("Message-ID: <0123abcd@example.fr>");
        at("To: alice@example.fr");
        // Non-ASCII subject and body are encoded, not sent raw.
        assert!(!text.contains("Réunion"), "{text}");
        assert_eq!(text.matches("BEGIN:VCALENDAR").count(), 2, "{text}");
    }

    #[test]
    fn mail_without_calendar_is_plain_text() {
        let message = build_message(&mail("", ""), "visio@example.fr").unwrap();
        let text = String::from_utf8(message.formatted()).unwrap();
        assert!(
            text.contains("Content-Type: text/plain; charset=utf-8"),
            "{text}"
        );
        assert!(!text.contains("multipart"), "{text}");
    }

    #[test]
    fn bad_addresses_are_errors_not_panics() {
        let mut m = mail("", "");
        m.recipient = "not an address".into();
        let e = build_message(&m, "visio@example.fr").unwrap_err();
        assert!(e.to_string().contains("not an address"), "{e}");
        assert!(!e.relay_unreachable());
    }

    #[test]
    fn warnings_are_rate_limited() {
        let t0 = Instant::now();
        let mut w = WarnLimiter::default();
        assert_eq!(w.failure(t0), Some(1));
        assert_eq!(w.failure(t0 + Duration::from_secs(1)), None);
        assert_eq!(w.failure(t0 + Duration::from_secs(2)), None);
        assert_eq!(w.failure(t0 + Duration::from_secs(61)), Some(3));
        assert!(w.success());
        assert!(!w.success());
        assert_eq!(w.failure(t0 + Duration::from_secs(62)), Some(1));
    }

    #[tokio::test]
    async fn refused_connection_means_relay_unreachable() {
        // A port that was just free: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let smtp = SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            tls: SmtpTls::None,
            username: None,
            password: None,
            retry_base: BASE_BACKOFF,
        };
        let t = transport(&smtp).unwrap();
        let message = build_message(&mail("", ""), "visio@example.fr").unwrap();
        let e = SendError::from(t.send(message).await.unwrap_err());
        assert!(e.relay_unreachable(), "{e:?}");
    }
}
