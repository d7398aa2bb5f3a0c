//! Invitation mails: for each recipient, a subject, the connection sheet as text and the `.ics`,
//! in the booking's language.
//!
//! Subjects name the title and the first start with its zone, so that a recipient sees in the
//! mailbox list which meeting changed: `Invitation : Conseil — 2026-12-01 10:00 (Europe/Paris)`.

use crate::config::PortalConfig;
use crate::store::{Booking, NewMail};

use super::ics::{self, Method};
use super::sheet::Sheet;
use super::Lang;

/// What happened to the booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Booked.
    Created,
    /// Changed.
    Updated,
    /// Cancelled.
    Cancelled,
}

impl Change {
    /// The calendar method it calls for.
    pub fn method(self) -> Method {
        match self {
            Change::Created | Change::Updated => Method::Request,
            Change::Cancelled => Method::Cancel,
        }
    }
}

/// The language of a booking's mails: its own (`fr`/`en`), English when unknown.
pub fn language(booking: &Booking) -> Lang {
    Lang::parse(&booking.language).unwrap_or(Lang::En)
}

/// The subject line for `change`.
pub fn subject(sheet: &Sheet, change: Change, lang: Lang) -> String {
    let what = match (lang, change) {
        (Lang::Fr, Change::Created) => "Invitation :",
        (Lang::Fr, Change::Updated) => "Modifié :",
        (Lang::Fr, Change::Cancelled) => "Annulé :",
        (Lang::En, Change::Created) => "Invitation:",
        (Lang::En, Change::Updated) => "Updated:",
        (Lang::En, Change::Cancelled) => "Cancelled:",
    };
    format!(
        "{what} {} — {} ({})",
        sheet.title, sheet.start_local, sheet.time_zone
    )
}

/// The body: a greeting and what happened, then the sheet.
pub fn body(sheet: &Sheet, change: Change, lang: Lang) -> String {
    let intro = match (lang, change) {
        (Lang::Fr, Change::Created) => {
            "Bonjour,\n\nVous êtes invité(e) à la conférence ci-dessous. L'invitation pour votre agenda est jointe."
        }
        (Lang::Fr, Change::Updated) => {
            "Bonjour,\n\nLa conférence ci-dessous a été modifiée. Voici ses nouvelles informations ; l'invitation jointe met votre agenda à jour."
        }
        (Lang::Fr, Change::Cancelled) => {
            "Bonjour,\n\nLa conférence ci-dessous est annulée. La pièce jointe la retire de votre agenda."
        }
        (Lang::En, Change::Created) => {
            "Hello,\n\nYou are invited to the conference below. The calendar invitation is attached."
        }
        (Lang::En, Change::Updated) => {
            "Hello,\n\nThe conference below has changed. Here are its new details; the attached invitation updates your calendar."
        }
        (Lang::En, Change::Cancelled) => {
            "Hello,\n\nThe conference below is cancelled. The attachment removes it from your calendar."
        }
    };
    format!("{intro}\n\n{}", sheet.to_text(lang))
}

/// One mail per recipient of `booking` (none without recipients).
pub fn invitations(
    booking: &Booking,
    config: &PortalConfig,
    change: Change,
    now: i64,
) -> Vec<NewMail> {
    if booking.recipients.is_empty() {
        return Vec::new();
    }
    let lang = language(booking);
    let sheet = Sheet::new(booking, config);
    let method = change.method();
    // Everyone gets the same text and calendar (the .ics lists every attendee anyway).
    let subject = subject(&sheet, change, lang);
    let body = body(&sheet, change, lang);
    let ics = ics::calendar(booking, config, method, lang, now);
    let mut seen: Vec<String> = Vec::new();
    booking
        .recipients
        .iter()
        .map(|r| r.trim())
        .filter(|r| !r.is_empty())
        .filter(|r| {
            // Validation already removed duplicates; stay safe for stored data.
            let key = r.to_lowercase();
            let fresh = !seen.contains(&key);
            seen.push(key);
            fresh
        })
        .map(|recipient| NewMail {
            recipient: recipient.to_string(),
            subject: subject.clone(),
            body: body.clone(),
            ics: ics.clone(),
            ics_method: method.as_str().to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booking::sheet::tests::{booking, config};

    const NOW: i64 = 1_795_000_000;

    #[test]
    fn one_mail_per_recipient_in_french() {
        let b = booking(&["2026-12-01T09:00:00Z"]);
        let mails = invitations(&b, &config(), Change::Created, NOW);
        assert_eq!(mails.len(), 2);
        assert_eq!(mails[0].recipient, "alice@example.fr");
        assert_eq!(mails[1].recipient, "bob@example.org");
        let m = &mails[0];
        assert_eq!(
            m.subject,
            "Invitation : Conseil de labo — 2026-12-01 10:00 (Europe/Paris)"
        );
        assert!(m.body.starts_with("Bonjour,\n"));
        assert!(m
            .body
            .contains("Numéro de conférence : 721051 (terminer par #)"));
        assert_eq!(m.ics_method, "REQUEST");
        assert!(m.ics.contains("METHOD:REQUEST\r\n"));
        assert!(m.ics.starts_with("BEGIN:VCALENDAR\r\n"));
    }

    #[test]
    fn updated_and_cancelled_subjects() {
        let mut b = booking(&["2026-12-01T09:00:00Z"]);
        b.language = "en".into();
        let sheet = Sheet::new(&b, &config());
        assert_eq!(
            subject(&sheet, Change::Updated, Lang::En),
            "Updated: Conseil de labo — 2026-12-01 10:00 (Europe/Paris)"
        );
        assert_eq!(
            subject(&sheet, Change::Cancelled, Lang::Fr),
            "Annulé : Conseil de labo — 2026-12-01 10:00 (Europe/Paris)"
        );
        b.sequence = 1;
        b.occurrences.clear();
        b.cancelled_at = Some(NOW);
        let mails = invitations(&b, &config(), Change::Cancelled, NOW);
        assert_eq!(mails.len(), 2);
        assert_eq!(
            mails[0].subject,
            "Cancelled: Conseil de labo — 2026-12-01 10:00 (Europe/Paris)"
        );
        assert!(mails[0]
            .body
            .starts_with("Hello,\n\nThe conference below is cancelled."));
        assert!(mails[0].body.contains("Access code: 1289 (end with #)"));
        assert_eq!(mails[0].ics_method, "CANCEL");
        assert!(mails[0].ics.contains("STATUS:CANCELLED\r\n"));
        assert!(mails[0].ics.contains("SEQUENCE:1\r\n"));
    }

    #[test]
    fn unknown_language_falls_back_to_english() {
        let mut b = booking(&["2026-12-01T09:00:00Z"]);
        b.language = "de".into();
        let mails = invitations(&b, &config(), Change::Updated, NOW);
        assert!(mails[0].subject.starts_with("Updated: "));
        assert!(mails[0]
            .body
            .contains("Conference number: 721051 (end with #)"));
    }

    #[test]
    fn the_invitation_names_the_layout_and_the_key() {
        let mut b = booking(&["2026-12-01T09:00:00Z"]);
        b.layout = "3x3".into();
        let mails = invitations(&b, &config(), Change::Created, NOW);
        assert!(mails[0]
            .body
            .contains("Type : audio et vidéo\nDisposition vidéo : 3×3\n"));
        assert!(mails[0]
            .body
            .contains("la touche * (clavier de numérotation)"));
        // The calendar entry's description is the same text.
        assert!(mails[0].ics.contains("Disposition vidéo : 3×3"));
    }

    #[test]
    fn no_recipient_no_mail() {
        let mut b = booking(&["2026-12-01T09:00:00Z"]);
        b.recipients.clear();
        assert!(invitations(&b, &config(), Change::Created, NOW).is_empty());
        b.recipients = vec!["a@example.fr".into(), "A@EXAMPLE.FR".into()];
        assert_eq!(invitations(&b, &config(), Change::Created, NOW).len(), 1);
    }
}
