//! The connection sheet: everything a participant needs to join, from the booking and the
//! bridge's public names (config). Rendered as HTML by the portal, as text in mails.
//!
//! The dial strings follow the dial plan: room systems dial `sip:NUMBER@domain` (IVR asks for
//! the code) or `sip:NUMBER**CODE@domain` (straight in); phones call a gateway number and key
//! the number then the code, each ended by `#`; GDS gateways send the gateway number and the
//! conference number as one string (`+33426687307` + `721051`).

use crate::config::PortalConfig;
use crate::store::Booking;

use super::{effective_layout, layout_label, recurrence, tz, validate, Lang};
use crate::call::LAYOUT_KEY;
use media::video::Layout;

/// The sheet's data, every value ready to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    /// `sip:721051@visio.example.fr`
    pub sip_uri: String,
    /// `sip:721051**1289@visio.example.fr` (joins without the IVR).
    pub sip_uri_with_code: String,
    /// H.323 alias `721051@gk` — only when an H.323 address is configured.
    pub h323: Option<String>,
    /// Gateway phone numbers as configured for print.
    pub phone_numbers: Vec<String>,
    /// GDS dial strings: each gateway number immediately followed by the conference number.
    pub gds: Vec<String>,
    /// Conference number.
    pub number: String,
    /// Access code.
    pub access_code: String,
    /// Title.
    pub title: String,
    /// First start, local, e.g. `2026-12-01 10:00` (in `time_zone`).
    pub start_local: String,
    /// IANA zone.
    pub time_zone: String,
    /// `01:30`.
    pub duration: String,
    /// Capacity.
    pub capacity: i64,
    /// Comment.
    pub comment: String,
    /// Occurrence starts, local, when recurring (first one included).
    pub occurrences_local: Vec<String>,
    /// Private modification link `PUBLIC_URL/m/TOKEN`.
    pub modify_url: String,
    /// `audio` / `video`.
    pub kind: String,
    /// The picture's layout for a video conference (the booked one, or the bridge's default);
    /// `None` for audio only.
    pub layout: Option<Layout>,
}

/// The sheet's line about changing the layout during the conference, in `lang`.
pub fn layout_key_hint(lang: Lang) -> String {
    match lang {
        Lang::Fr => format!(
            "Pendant la conférence, la touche {LAYOUT_KEY} (clavier de numérotation) fait passer l'image de tous à la disposition suivante."
        ),
        Lang::En => format!(
            "During the conference, press {LAYOUT_KEY} on the dial pad to switch everyone's picture to the next layout."
        ),
    }
}

/// `+33 4 26 68 73 07` → `+33426687307`: a gateway number as it is dialled (digits, and the
/// leading `+` of an E.164 number), so that the conference number can follow it directly.
pub fn dial_digits(number: &str) -> String {
    let number = number.trim();
    let plus = if number.starts_with('+') { "+" } else { "" };
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    format!("{plus}{digits}")
}

/// Minutes → `HH:MM` (`90` → `01:30`).
pub fn format_duration(minutes: i64) -> String {
    let minutes = minutes.max(0);
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Labels of the text sheet.
struct Labels {
    title: &'static str,
    start: &'static str,
    duration: &'static str,
    kind: &'static str,
    audio: &'static str,
    video: &'static str,
    layout: &'static str,
    capacity: &'static str,
    comment: &'static str,
    join: &'static str,
    sip: &'static str,
    sip_with_code: &'static str,
    h323: &'static str,
    phone: &'static str,
    gds: &'static str,
    number: &'static str,
    code: &'static str,
    end_with_hash: &'static str,
    occurrences: &'static str,
    modify: &'static str,
    colon: &'static str,
}

const FR: Labels = Labels {
    title: "Titre",
    start: "Début",
    duration: "Durée",
    kind: "Type",
    audio: "audio seul",
    video: "audio et vidéo",
    layout: "Disposition vidéo",
    capacity: "Connexions prévues",
    comment: "Commentaire",
    join: "Pour rejoindre la conférence",
    sip: "Système de visio ou client SIP",
    sip_with_code: "Idem, sans saisir le code",
    h323: "Système de visio H.323",
    phone: "Téléphone",
    gds: "GDS",
    number: "Numéro de conférence",
    code: "Code d'accès",
    end_with_hash: "(terminer par #)",
    occurrences: "Séances",
    modify: "Lien privé de modification",
    // French typography: a space before the colon.
    colon: " :",
};

const EN: Labels = Labels {
    title: "Title",
    start: "Start",
    duration: "Duration",
    kind: "Type",
    audio: "audio only",
    video: "audio and video",
    layout: "Video layout",
    capacity: "Expected connections",
    comment: "Comment",
    join: "To join the conference",
    sip: "Video system or SIP client",
    sip_with_code: "The same, without keying the code",
    h323: "H.323 video system",
    phone: "Phone",
    gds: "GDS",
    number: "Conference number",
    code: "Access code",
    end_with_hash: "(end with #)",
    occurrences: "Occurrences",
    modify: "Private link to modify",
    colon: ":",
};

impl Sheet {
    /// Build the sheet of `booking`.
    pub fn new(booking: &Booking, config: &PortalConfig) -> Sheet {
        let number = booking.number.clone();
        let domain = config.sip_domain.trim();
        let zone = booking.time_zone.as_str();
        let local = |unix: i64| tz::to_local(unix, zone).map(tz::format_local);
        let occurrences = recurrence::of_booking(booking);
        let start_local = occurrences
            .first()
            .and_then(|o| local(o.starts_at))
            .or_else(|| validate::parse_local_start(&booking.local_start).map(tz::format_local))
            .unwrap_or_else(|| booking.local_start.clone());
        let recurring = !booking.recurrence_weekdays.trim().is_empty();
        let occurrences_local = if recurring {
            occurrences
                .iter()
                .filter_map(|o| local(o.starts_at))
                .collect()
        } else {
            Vec::new()
        };
        let phone_numbers: Vec<String> = config
            .phone_numbers
            .iter()
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect();
        Sheet {
            sip_uri: format!("sip:{number}@{domain}"),
            sip_uri_with_code: format!("sip:{number}**{}@{domain}", booking.access_code),
            h323: config
                .h323_address
                .as_deref()
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(|a| format!("{number}@{a}")),
            gds: phone_numbers
                .iter()
                .map(|p| format!("{}{number}", dial_digits(p)))
                .collect(),
            phone_numbers,
            access_code: booking.access_code.clone(),
            title: booking.title.clone(),
            start_local,
            time_zone: booking.time_zone.clone(),
            duration: format_duration(booking.duration_minutes),
            capacity: booking.capacity,
            comment: booking.comment.clone(),
            occurrences_local,
            modify_url: format!(
                "{}/m/{}",
                config.public_url.trim_end_matches('/'),
                booking.modify_token
            ),
            layout: (booking.kind != "audio").then(|| effective_layout(&booking.layout)),
            kind: booking.kind.clone(),
            number,
        }
    }

    /// The sheet as plain text (mail body, copy-paste), in `lang`: labels and values, the number
    /// and code each followed by "(end with #)" / "(terminer par #)".
    pub fn to_text(&self, lang: Lang) -> String {
        let l = match lang {
            Lang::Fr => &FR,
            Lang::En => &EN,
        };
        let c = l.colon;
        let mut out = String::new();
        let mut line = |label: &str, value: &str| {
            out.push_str(label);
            out.push_str(c);
            out.push(' ');
            out.push_str(value);
            out.push('\n');
        };
        line(l.title, &self.title);
        line(
            l.start,
            &format!("{} ({})", self.start_local, self.time_zone),
        );
        line(l.duration, &self.duration);
        let kind = if self.kind == "audio" {
            l.audio
        } else {
            l.video
        };
        line(l.kind, kind);
        if let Some(layout) = self.layout {
            line(l.layout, layout_label(layout, lang));
        }
        line(l.capacity, &self.capacity.to_string());
        if !self.comment.is_empty() {
            // Continuation lines of a multi-line comment are indented under its label.
            line(l.comment, &self.comment.replace('\n', "\n  "));
        }
        out.push('\n');
        out.push_str(l.join);
        out.push_str(c);
        out.push('\n');
        let mut line = |label: &str, value: &str| {
            out.push_str("- ");
            out.push_str(label);
            out.push_str(c);
            out.push(' ');
            out.push_str(value);
            out.push('\n');
        };
        line(l.sip, &self.sip_uri);
        line(l.sip_with_code, &self.sip_uri_with_code);
        if let Some(h323) = &self.h323 {
            line(l.h323, h323);
        }
        for phone in &self.phone_numbers {
            line(l.phone, phone);
        }
        for gds in &self.gds {
            line(l.gds, gds);
        }
        line(l.number, &format!("{} {}", self.number, l.end_with_hash));
        line(l.code, &format!("{} {}", self.access_code, l.end_with_hash));
        if self.layout.is_some() {
            out.push('\n');
            out.push_str(&layout_key_hint(lang));
            out.push('\n');
        }
        if !self.occurrences_local.is_empty() {
            out.push('\n');
            out.push_str(l.occurrences);
            out.push_str(&format!(" ({})", self.time_zone));
            out.push_str(c);
            out.push('\n');
            for o in &self.occurrences_local {
                out.push_str("- ");
                out.push_str(o);
                out.push('\n');
            }
        }
        out.push('\n');
        out.push_str(l.modify);
        out.push_str(c);
        out.push(' ');
        out.push_str(&self.modify_url);
        out.push('\n');
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::store::Conference;

    /// A bridge's public face as the tests know it.
    pub(crate) fn config() -> PortalConfig {
        PortalConfig {
            sip_domain: "visio.example.fr".into(),
            h323_address: None,
            phone_numbers: vec!["+33 4 26 68 73 07".into(), "+33.1.23.45.67.89".into()],
            public_url: "https://visio.example.fr/".into(),
            number_digits: 6,
            time_zone: "Europe/Paris".into(),
            smtp: None,
            mail_from: "Pont <pont@visio.example.fr>".into(),
            secure_cookies: true,
        }
    }

    fn unix(s: &str) -> i64 {
        s.parse::<jiff::Timestamp>().unwrap().as_second()
    }

    /// A booking of 90 minutes on 2026-12-01 10:00 Paris, with the given conference rows.
    pub(crate) fn booking(starts: &[&str]) -> Booking {
        let occurrences = starts
            .iter()
            .map(|s| Conference {
                id: format!("c-{s}"),
                number: "721051".into(),
                title: "Conseil de labo".into(),
                access_code: "1289".into(),
                starts_at: unix(s),
                ends_at: unix(s) + 90 * 60,
                capacity: 10,
                kind: "video".into(),
                language: "fr".into(),
                layout: String::new(),
            })
            .collect();
        Booking {
            id: "0123456789abcdef0123456789abcdef".into(),
            owner_id: Some("u1".into()),
            number: "721051".into(),
            title: "Conseil de labo".into(),
            access_code: "1289".into(),
            time_zone: "Europe/Paris".into(),
            local_start: "2026-12-01T10:00".into(),
            duration_minutes: 90,
            kind: "video".into(),
            layout: String::new(),
            capacity: 10,
            comment: "Ordre du jour joint.".into(),
            recipients: vec!["alice@example.fr".into(), "bob@example.org".into()],
            recurrence_weekdays: String::new(),
            recurrence_until: String::new(),
            language: "fr".into(),
            modify_token: "tok_en-123".into(),
            sequence: 0,
            cancelled_at: None,
            created_at: unix("2026-11-24T09:00:00Z"),
            updated_at: unix("2026-11-24T09:00:00Z"),
            occurrences,
        }
    }

    #[test]
    fn sheet_values() {
        let s = Sheet::new(&booking(&["2026-12-01T09:00:00Z"]), &config());
        assert_eq!(s.sip_uri, "sip:721051@visio.example.fr");
        assert_eq!(s.sip_uri_with_code, "sip:721051**1289@visio.example.fr");
        assert_eq!(s.h323, None);
        assert_eq!(
            s.phone_numbers,
            vec!["+33 4 26 68 73 07", "+33.1.23.45.67.89"]
        );
        assert_eq!(s.gds, vec!["+33426687307721051", "+33123456789721051"]);
        assert_eq!(s.number, "721051");
        assert_eq!(s.access_code, "1289");
        assert_eq!(s.start_local, "2026-12-01 10:00");
        assert_eq!(s.time_zone, "Europe/Paris");
        assert_eq!(s.duration, "01:30");
        assert_eq!(s.capacity, 10);
        assert_eq!(s.modify_url, "https://visio.example.fr/m/tok_en-123");
        assert!(s.occurrences_local.is_empty());
    }

    #[test]
    fn h323_only_when_configured() {
        let mut cfg = config();
        cfg.h323_address = Some("gk.example.fr".into());
        let s = Sheet::new(&booking(&["2026-12-01T09:00:00Z"]), &cfg);
        assert_eq!(s.h323.as_deref(), Some("721051@gk.example.fr"));
        assert!(s
            .to_text(Lang::En)
            .contains("H.323 video system: 721051@gk.example.fr\n"));
        let plain = Sheet::new(&booking(&["2026-12-01T09:00:00Z"]), &config());
        assert!(!plain.to_text(Lang::En).contains("H.323"));
    }

    #[test]
    fn recurring_sheet_lists_local_times_across_dst() {
        // 10:00 Paris before and after the spring change: 09:00Z then 08:00Z.
        let mut b = booking(&["2026-03-25T09:00:00Z", "2026-03-30T08:00:00Z"]);
        b.local_start = "2026-03-25T10:00".into();
        b.recurrence_weekdays = "mon,wed".into();
        b.recurrence_until = "2026-03-30".into();
        let s = Sheet::new(&b, &config());
        assert_eq!(s.start_local, "2026-03-25 10:00");
        assert_eq!(
            s.occurrences_local,
            vec!["2026-03-25 10:00", "2026-03-30 10:00"]
        );
        let text = s.to_text(Lang::Fr);
        assert!(text.contains("Séances (Europe/Paris) :\n- 2026-03-25 10:00\n- 2026-03-30 10:00\n"));
    }

    #[test]
    fn cancelled_booking_still_has_its_times() {
        let mut b = booking(&[]);
        b.cancelled_at = Some(1);
        let s = Sheet::new(&b, &config());
        assert_eq!(s.start_local, "2026-12-01 10:00");
    }

    #[test]
    fn text_in_french() {
        let text = Sheet::new(&booking(&["2026-12-01T09:00:00Z"]), &config()).to_text(Lang::Fr);
        for expected in [
            "Titre : Conseil de labo\n",
            "Début : 2026-12-01 10:00 (Europe/Paris)\n",
            "Durée : 01:30\n",
            "Type : audio et vidéo\n",
            "Disposition vidéo : 1 grande + 5 petites\n",
            "la touche * (clavier de numérotation) fait passer l'image de tous à la disposition suivante.\n",
            "Connexions prévues : 10\n",
            "Commentaire : Ordre du jour joint.\n",
            "- Système de visio ou client SIP : sip:721051@visio.example.fr\n",
            "- Téléphone : +33 4 26 68 73 07\n",
            "- GDS : +33426687307721051\n",
            "- Numéro de conférence : 721051 (terminer par #)\n",
            "- Code d'accès : 1289 (terminer par #)\n",
            "Lien privé de modification : https://visio.example.fr/m/tok_en-123\n",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }

    #[test]
    fn text_in_english() {
        let mut b = booking(&["2026-12-01T09:00:00Z"]);
        b.kind = "audio".into();
        b.comment = "Line one\nLine two".into();
        let text = Sheet::new(&b, &config()).to_text(Lang::En);
        for expected in [
            "Title: Conseil de labo\n",
            "Start: 2026-12-01 10:00 (Europe/Paris)\n",
            "Type: audio only\n",
            "Comment: Line one\n  Line two\n",
            "- Conference number: 721051 (end with #)\n",
            "- Access code: 1289 (end with #)\n",
            "- The same, without keying the code: sip:721051**1289@visio.example.fr\n",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }

    #[test]
    fn a_video_sheet_names_its_layout_and_the_key() {
        let mut b = booking(&["2026-12-01T09:00:00Z"]);
        b.layout = "3x3".into();
        let s = Sheet::new(&b, &config());
        assert_eq!(s.layout, Some(Layout::Grid3x3));
        let text = s.to_text(Lang::En);
        assert!(
            text.contains("Type: audio and video\nVideo layout: 3×3\n"),
            "{text}"
        );
        assert!(text.contains("press * on the dial pad"), "{text}");
        b.layout = "voice-switched".into();
        let text = Sheet::new(&b, &config()).to_text(Lang::En);
        assert!(
            text.contains("Video layout: Voice-switched full screen\n"),
            "{text}"
        );
        // The bridge's default when none was chosen.
        b.layout = String::new();
        assert_eq!(Sheet::new(&b, &config()).layout, Some(Layout::OnePlusN));
    }

    #[test]
    fn an_audio_sheet_has_no_layout() {
        let mut b = booking(&["2026-12-01T09:00:00Z"]);
        b.kind = "audio".into();
        let s = Sheet::new(&b, &config());
        assert_eq!(s.layout, None);
        let text = s.to_text(Lang::En);
        assert!(!text.contains("layout"), "{text}");
        assert!(!text.contains(&layout_key_hint(Lang::En)), "{text}");
    }

    #[test]
    fn helpers() {
        assert_eq!(dial_digits(" +33 (0)4-26.68 "), "+33042668");
        assert_eq!(dial_digits("04 26 68 73 07"), "0426687307");
        assert_eq!(format_duration(30), "00:30");
        assert_eq!(format_duration(480), "08:00");
        assert_eq!(format_duration(135), "02:15");
    }
}
