//! The connection sheet: everything a participant needs to join, from the booking and the
//! bridge's public names (config). Rendered as HTML by the portal, as text in mails.

use crate::config::PortalConfig;
use crate::store::Booking;

use super::Lang;

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
}

impl Sheet {
    /// Build the sheet of `booking`.
    pub fn new(booking: &Booking, config: &PortalConfig) -> Sheet {
        let _ = (booking, config);
        todo!("issue #4: booking helper")
    }

    /// The sheet as plain text (mail body, copy-paste), in `lang`: labels and values, the number
    /// and code each followed by "(end with #)" / "(terminer par #)".
    pub fn to_text(&self, lang: Lang) -> String {
        let _ = lang;
        todo!("issue #4: booking helper")
    }
}
