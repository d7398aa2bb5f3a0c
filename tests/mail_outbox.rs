//! The outbox against a real SMTP server on loopback (Debian's `python3-aiosmtpd`): invitations
//! wait while the relay is down (counted as failures, kept in the backlog) and all go out once
//! it is up, each with the connection sheet and the `.ics` (REQUEST, stable UID, TZID); a
//! cancellation sends METHOD:CANCEL with a higher SEQUENCE; without SMTP, mail only waits.

mod common;
#[path = "support/smtp.rs"]
mod smtp;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{unix_now, TestBridge};
use pont::booking::{service, BookingInput, Lang};
use pont::config::{SmtpConfig, SmtpTls};
use pont::store::{Booking, User};
use smtp::{free_port, ReceivedMail, SmtpSink};

/// Every wait in these tests is bounded by this.
const WAIT: Duration = Duration::from_secs(30);

/// A bridge whose mail goes to `127.0.0.1:port`, retrying after 1 s, 2 s, 4 s….
async fn bridge_with_smtp(port: u16) -> TestBridge {
    TestBridge::start_with(|config| {
        config.portal.sip_domain = "visio.example.org".into();
        config.portal.mail_from = "Pont <visio@example.org>".into();
        config.portal.smtp = Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            tls: SmtpTls::None,
            username: None,
            password: None,
            retry_base: Duration::from_secs(1),
        });
    })
    .await
}

async fn organiser(tb: &TestBridge) -> User {
    let (user, _) = tb
        .store
        .upsert_user("organiser", "not-a-real-hash", false, unix_now())
        .await
        .expect("user stored");
    user
}

/// Book tomorrow 10:00 in Paris for `recipients`, through the same service the portal uses.
async fn book(tb: &TestBridge, recipients: &[&str]) -> Booking {
    let tomorrow = pont::booking::tz::to_local(unix_now() + 86_400, "Europe/Paris")
        .expect("Paris exists")
        .date();
    let input = BookingInput {
        title: "Outbox test".into(),
        access_code: "4321".into(),
        start: format!("{tomorrow}T10:00"),
        time_zone: "Europe/Paris".into(),
        duration_minutes: "60".into(),
        kind: "audio".into(),
        layout: String::new(),
        capacity: "5".into(),
        comment: "".into(),
        recipients: recipients.iter().map(|r| r.to_string()).collect(),
        weekdays: vec![],
        until: "".into(),
    };
    let owner = organiser(tb).await;
    service::create(&tb.bridge.app, &owner, &input, Lang::En, true)
        .await
        .expect("booking accepted")
}

/// The calendar text of `mail`, checked to be both the alternative part (with the method in
/// its content type, which Outlook needs) and the `invite.ics` attachment.
fn calendar(mail: &ReceivedMail, method: &str) -> String {
    let alternative = mail
        .part("text/calendar")
        .unwrap_or_else(|| panic!("no text/calendar part: {mail:#?}"));
    let ct = alternative
        .content_type
        .to_ascii_lowercase()
        .replace([' ', '"'], "");
    assert!(
        ct.contains(&format!("method={}", method.to_ascii_lowercase())) && ct.contains("utf-8"),
        "{}",
        alternative.content_type
    );
    let file = mail
        .attachment("invite.ics")
        .unwrap_or_else(|| panic!("no invite.ics: {mail:#?}"));
    assert!(file.disposition.starts_with("attachment"), "{file:#?}");
    assert_eq!(file.text, alternative.text);
    let ics = alternative.text.clone();
    assert!(ics.contains(&format!("METHOD:{method}")), "{ics}");
    ics
}

/// The value of the first `NAME:` line of a calendar (unfolded lines are not needed here).
fn ics_value(ics: &str, name: &str) -> String {
    ics.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in {ics}"))
        .trim()
        .to_string()
}

fn recipients(mails: &[ReceivedMail]) -> BTreeSet<String> {
    mails.iter().flat_map(|m| m.rcpt_tos.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_wait_for_the_relay_then_all_go_out() {
    let port = free_port();
    let tb = bridge_with_smtp(port).await;
    let booking = book(&tb, &["alice@example.org", "bob@example.org"]).await;

    // The relay is down: both mails stay queued and the failed tries are counted.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let text = tb.metrics().await;
        let value = |name| common::metric_value(&text, name).unwrap_or(-1.0);
        if value("pont_outbox_backlog") == 2.0 && value("pont_mail_failures_total") >= 1.0 {
            assert_eq!(value("pont_mails_sent_total"), 0.0);
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no failed try with a backlog of 2:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The relay comes up: the next retry (at most a few seconds away) delivers both.
    let sink = SmtpSink::start(port);
    tb.bridge.app.mail_wakeup.notify_one();
    let mails = sink.wait_for(2, WAIT).await;
    assert_eq!(mails.len(), 2, "{mails:#?}");
    assert_eq!(
        recipients(&mails),
        BTreeSet::from([
            "alice@example.org".to_string(),
            "bob@example.org".to_string()
        ])
    );
    for mail in &mails {
        assert_eq!(mail.mail_from, "visio@example.org");
        assert!(mail.from.contains("visio@example.org"), "{}", mail.from);
        assert!(mail.to.contains(&mail.rcpt_tos[0]), "{mail:#?}");
        assert!(mail.subject.contains("Outbox test"), "{}", mail.subject);
        let sheet = &mail
            .part("text/plain")
            .unwrap_or_else(|| panic!("no text part: {mail:#?}"))
            .text;
        for expected in [
            booking.number.as_str(),
            "4321",
            "end with #",
            "sip:",
            "@visio.example.org",
            booking.modify_token.as_str(),
        ] {
            assert!(sheet.contains(expected), "{expected:?} not in:\n{sheet}");
        }
        let ics = calendar(mail, "REQUEST");
        assert_eq!(
            ics_value(&ics, "UID"),
            format!("{}@visio.example.org", booking.id)
        );
        assert_eq!(ics_value(&ics, "SEQUENCE"), "0");
        assert!(ics.contains("DTSTART;TZID=Europe/Paris:"), "{ics}");
        assert!(ics.contains("TZID:Europe/Paris"), "{ics}");
    }
    // One Message-ID per mail (stable per outbox row, so never shared).
    assert_ne!(mails[0].message_id, mails[1].message_id);

    tb.wait_metrics(&["pont_outbox_backlog"], 0.0, WAIT).await;
    assert_eq!(tb.metric("pont_mails_sent_total").await, 2.0);
    // Nothing is sent twice.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.received().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancellation_sends_cancel_with_a_higher_sequence() {
    let sink = SmtpSink::start(free_port());
    let tb = bridge_with_smtp(sink.port).await;
    let booking = book(&tb, &["carol@example.org"]).await;
    let invitation = sink.wait_for(1, WAIT).await.remove(0);
    let request = calendar(&invitation, "REQUEST");

    let cancelled = service::cancel(&tb.bridge.app, &booking)
        .await
        .expect("cancelled");
    assert!(cancelled.cancelled_at.is_some());
    let mails = sink.wait_for(2, WAIT).await;
    assert_eq!(mails.len(), 2, "{mails:#?}");
    let cancel = calendar(&mails[1], "CANCEL");
    assert_eq!(mails[1].rcpt_tos, vec!["carol@example.org".to_string()]);
    assert_eq!(ics_value(&cancel, "UID"), ics_value(&request, "UID"));
    let sequence = |ics: &str| ics_value(ics, "SEQUENCE").parse::<i64>().expect("a number");
    assert!(
        sequence(&cancel) > sequence(&request),
        "SEQUENCE {} after {}",
        sequence(&cancel),
        sequence(&request)
    );
    assert!(cancel.contains("STATUS:CANCELLED"), "{cancel}");
    tb.wait_metrics(&["pont_outbox_backlog"], 0.0, WAIT).await;
    assert_eq!(tb.metric("pont_mail_failures_total").await, 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_smtp_invitations_only_wait() {
    let tb = TestBridge::start().await;
    assert!(tb.bridge.app.config.portal.smtp.is_none());
    book(&tb, &["dave@example.org"]).await;
    tb.wait_metrics(&["pont_outbox_backlog"], 1.0, WAIT).await;
    assert_eq!(tb.metric("pont_mail_failures_total").await, 0.0);
    assert_eq!(tb.metric("pont_mails_sent_total").await, 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_required_sends_nothing_to_a_relay_without_it() {
    // The sink offers no STARTTLS: a relay configured as `starttls` must not get the mail (nor
    // a login) in clear; the mail stays queued and the failure is counted.
    let sink = SmtpSink::start(free_port());
    let tb = TestBridge::start_with(|config| {
        config.portal.smtp = Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port: sink.port,
            tls: SmtpTls::StartTls,
            username: Some("visio".into()),
            password: Some("secret".into()),
            retry_base: Duration::from_secs(1),
        });
    })
    .await;
    book(&tb, &["erin@example.org"]).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while tb.metric("pont_mail_failures_total").await < 2.0 {
        assert!(tokio::time::Instant::now() < deadline, "no failed tries");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(tb.metric("pont_outbox_backlog").await, 1.0);
    assert_eq!(tb.metric("pont_mails_sent_total").await, 0.0);
    assert!(sink.received().is_empty());
}
