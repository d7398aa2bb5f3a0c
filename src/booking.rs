//! Bookings (issue #4): what an admin asks for on the form or the JSON API, checked against the
//! booking rules of `DESIGN.md`, turned into occurrences in UTC, a connection sheet, calendar
//! entries and invitation mails.
//!
//! Everything here but [`service`] is pure: no database, no clock (the caller passes `now`), no
//! randomness it did not receive. [`service`] is the one place that ties validation, the store
//! (number allocation, outbox) and metrics together; the web form and the JSON API both call it,
//! so they cannot drift apart.
//!
//! - [`validate`]: raw input → [`ValidBooking`] or per-field errors (fr/en messages).
//! - [`tz`]: local date-times in IANA zones → UTC, right across daylight-saving changes.
//! - [`recurrence`]: weekdays + date range → one occurrence per day.
//! - [`sheet`]: the connection sheet (SIP URI, H.323, phone, GDS, number, code…).
//! - [`ics`]: iCalendar REQUEST/CANCEL with VTIMEZONE.
//! - [`email`]: invitation mails (text + `.ics`) for each recipient.
//! - [`service`]: create / instant / update / cancel.

pub mod email;
pub mod ics;
pub mod recurrence;
pub mod service;
pub mod sheet;
pub mod tz;
pub mod validate;

use media::video::Layout;
use serde::{Deserialize, Serialize};

/// Audio only, or audio and video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Audio only.
    Audio,
    /// Audio and video.
    Video,
}

impl Kind {
    /// `audio` / `video` (the stored and API form).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Audio => "audio",
            Kind::Video => "video",
        }
    }

    /// Parse the stored / API form.
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "audio" => Some(Kind::Audio),
            "video" => Some(Kind::Video),
            _ => None,
        }
    }
}

/// A layout's name for people, in `lang` (the form's choices, the sheet): "1 large + 5 small"…
pub fn layout_label(layout: Layout, lang: Lang) -> &'static str {
    match (layout, lang) {
        (Layout::VoiceSwitched, Lang::Fr) => "Plein écran sur la personne qui parle",
        (Layout::VoiceSwitched, Lang::En) => "Voice-switched full screen",
        (Layout::OnePlusN, Lang::Fr) => "1 grande + 5 petites",
        (Layout::OnePlusN, Lang::En) => "1 large + 5 small",
        (Layout::Grid2x2, _) => "2×2",
        (Layout::Grid3x3, _) => "3×3",
    }
}

/// The layout a conference stored with `name` shows: its own, or the bridge's default for ''
/// (or for a name this version no longer knows).
pub fn effective_layout(name: &str) -> Layout {
    Layout::from_name(name).unwrap_or(crate::call::DEFAULT_LAYOUT)
}

/// A booking as typed: every field a string (or list of strings) exactly as received, so that a
/// form with errors can be shown again with what was typed. The form and the API both fill it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingInput {
    /// Title (1–24 letters, digits, spaces).
    pub title: String,
    /// Access code, 4 digits 1000–9999; empty = generate one.
    pub access_code: String,
    /// Local start `YYYY-MM-DDTHH:MM` in `time_zone` (the form joins its date and time inputs).
    pub start: String,
    /// IANA time zone name, e.g. `Europe/Paris`.
    pub time_zone: String,
    /// Duration in minutes, 30–480.
    pub duration_minutes: String,
    /// `audio` or `video`.
    pub kind: String,
    /// Video layout (`voice-switched`, `1+n`, `2x2`, `3x3` or an alias); empty = the bridge's
    /// default. Ignored for an audio-only conference.
    #[serde(default)]
    pub layout: String,
    /// Estimated connections, 2–20 (the hard cap).
    pub capacity: String,
    /// Free comment, at most 500 characters.
    pub comment: String,
    /// Recipients' e-mail addresses (0–20).
    pub recipients: Vec<String>,
    /// Recurrence weekdays (`mon` … `sun`); empty = no recurrence.
    pub weekdays: Vec<String>,
    /// Last day of the recurrence `YYYY-MM-DD` (required with weekdays).
    pub until: String,
}

/// Weekly recurrence: one occurrence on each chosen weekday from the start date to `until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurrence {
    /// Chosen weekdays, Monday first, no duplicates.
    pub weekdays: Vec<jiff::civil::Weekday>,
    /// Last day (inclusive), local date in the booking's zone.
    pub until: jiff::civil::Date,
}

/// A booking that passed every rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidBooking {
    /// Title.
    pub title: String,
    /// Access code; `None` = the service generates one.
    pub access_code: Option<String>,
    /// Local start in `time_zone`.
    pub start: jiff::civil::DateTime,
    /// IANA zone name.
    pub time_zone: String,
    /// Minutes.
    pub duration_minutes: i64,
    /// Audio or video.
    pub kind: Kind,
    /// The video layout asked for; `None` = the bridge's default (always `None` for audio).
    pub layout: Option<Layout>,
    /// Hard cap on participants.
    pub capacity: i64,
    /// Comment.
    pub comment: String,
    /// Recipients, trimmed, lower-cased domain, no duplicates.
    pub recipients: Vec<String>,
    /// Weekly recurrence, if any.
    pub recurrence: Option<Recurrence>,
}

/// One occurrence, in UTC Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Occurrence {
    /// Start.
    pub starts_at: i64,
    /// End (start + duration).
    pub ends_at: i64,
}

/// A form field, as named in the form, the API and the errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// `title`
    Title,
    /// `access_code`
    AccessCode,
    /// `start`
    Start,
    /// `time_zone`
    TimeZone,
    /// `duration_minutes`
    Duration,
    /// `kind`
    Kind,
    /// `layout`
    Layout,
    /// `capacity`
    Capacity,
    /// `comment`
    Comment,
    /// `recipients`
    Recipients,
    /// `recurrence` (weekdays and until)
    Recurrence,
}

impl Field {
    /// The field's name in the form and the API.
    pub fn name(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::AccessCode => "access_code",
            Field::Start => "start",
            Field::TimeZone => "time_zone",
            Field::Duration => "duration_minutes",
            Field::Kind => "kind",
            Field::Layout => "layout",
            Field::Capacity => "capacity",
            Field::Comment => "comment",
            Field::Recipients => "recipients",
            Field::Recurrence => "recurrence",
        }
    }
}

/// What is wrong with the input: at most one message per field, in the user's language.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<(Field, String)>);

impl FieldErrors {
    /// The message for `field`, if it failed.
    pub fn get(&self, field: Field) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    /// Whether nothing failed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A language of the portal and of mails (the prompts' languages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Français.
    Fr,
    /// English.
    En,
}

impl Lang {
    /// `fr` / `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// Parse `fr` / `en` (case-insensitive, region ignored: `fr-FR`).
    pub fn parse(s: &str) -> Option<Lang> {
        let base = s.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match base.as_str() {
            "fr" => Some(Lang::Fr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}
