//! iCalendar (RFC 5545) for invitations (iTIP RFC 5546 REQUEST / CANCEL): one VEVENT per booking
//! with a stable UID, the booking's SEQUENCE, DTSTART with the booking's TZID and a VTIMEZONE for
//! it, an RRULE for a recurring booking, CRLF line ends, lines folded at 75 octets.
//!
//! The VTIMEZONE is written from the tz database's transitions around the booking's years: when
//! each kind of change (to summer time, to winter time) follows one yearly rule over those years
//! ("last Sunday of March at 02:00"), it is one STANDARD and one DAYLIGHT component with a yearly
//! RRULE, as calendar programs write them; otherwise every transition is its own component. A
//! zone without changes in those years gets one STANDARD component.

use jiff::civil::{Date, DateTime};
use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;

use crate::config::PortalConfig;
use crate::store::Booking;

use super::sheet::Sheet;
use super::{recurrence, tz, validate, Lang, Occurrence};

/// Invitation or cancellation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `METHOD:REQUEST` (create and change).
    Request,
    /// `METHOD:CANCEL` (`STATUS:CANCELLED`).
    Cancel,
    /// `METHOD:PUBLISH`: the download from the sheet. A file someone imports into their own
    /// calendar is not a meeting request to answer, so RFC 5546 §3.2.1 has no ATTENDEE in it.
    Publish,
}

impl Method {
    /// `REQUEST` / `CANCEL` / `PUBLISH`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
            Method::Publish => "PUBLISH",
        }
    }
}

/// Most content octets on one physical line (RFC 5545 §3.1), CRLF excluded.
const FOLD_OCTETS: usize = 75;

/// RFC 5545 §3.3.11 TEXT escaping: backslash, semicolon, comma and line breaks.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            // Other control characters are not allowed in TEXT.
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// A parameter value (RFC 5545 §3.2): quoted when it holds `:`, `;` or `,`; double quotes
/// and control characters cannot appear at all and are dropped.
fn param_value(s: &str) -> String {
    let clean: String = s.chars().filter(|c| *c != '"' && !c.is_control()).collect();
    if clean.contains([':', ';', ',']) {
        format!("\"{clean}\"")
    } else {
        clean
    }
}

/// Fold one content line at 75 octets (RFC 5545 §3.1): continuation lines begin with a space,
/// and a UTF-8 character is never split across lines. Returns the line with its CRLF.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / FOLD_OCTETS * 3 + 2);
    // The first line holds 75 octets; each continuation holds 74 after its leading space.
    let mut room = FOLD_OCTETS;
    let mut used = 0;
    for c in line.chars() {
        if used + c.len_utf8() > room {
            out.push_str("\r\n ");
            room = FOLD_OCTETS - 1;
            used = 0;
        }
        out.push(c);
        used += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

/// `20261201T090000Z`.
fn utc_stamp(unix: i64) -> String {
    let ts = Timestamp::from_second(unix).unwrap_or(Timestamp::UNIX_EPOCH);
    ts.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// `20261201T100000` (floating local form, used with a TZID).
fn local_stamp(dt: DateTime) -> String {
    dt.strftime("%Y%m%dT%H%M%S").to_string()
}

/// `+0100`, or `+053000` when the offset has seconds (RFC 5545 §3.3.14 UTC-OFFSET).
fn utc_offset(offset: Offset) -> String {
    let total = offset.seconds();
    let sign = if total < 0 { '-' } else { '+' };
    let total = total.unsigned_abs();
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    if s == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{s:02}")
    }
}

/// The address of `Name <addr>` or of a bare address.
fn mail_address(from: &str) -> &str {
    match (from.rfind('<'), from.rfind('>')) {
        (Some(l), Some(r)) if l < r => from[l + 1..r].trim(),
        _ => from.trim(),
    }
}

/// The display name of `Name <addr>`, if any.
fn mail_name(from: &str) -> Option<&str> {
    let l = from.rfind('<')?;
    let name = from[..l].trim().trim_matches('"').trim();
    (!name.is_empty()).then_some(name)
}

/// One change of offset (an onset in a VTIMEZONE).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Onset {
    /// When, local time in the offset before the change (what DTSTART carries).
    local: DateTime,
    /// Offset before.
    from: Offset,
    /// Offset after.
    to: Offset,
    /// Summer time after the change.
    dst: bool,
    /// Abbreviation after the change (`CEST`).
    name: String,
}

impl Onset {
    /// The yearly rule this onset fits: (month, BYDAY) with BYDAY like `-1SU` (last Sunday) or
    /// `2SU` (second Sunday). `last` chooses the "last" form when the day is in the month's
    /// final week.
    fn rule(&self, last: bool) -> (i8, String) {
        let date = self.local.date();
        let wd = match date.weekday() {
            jiff::civil::Weekday::Monday => "MO",
            jiff::civil::Weekday::Tuesday => "TU",
            jiff::civil::Weekday::Wednesday => "WE",
            jiff::civil::Weekday::Thursday => "TH",
            jiff::civil::Weekday::Friday => "FR",
            jiff::civil::Weekday::Saturday => "SA",
            jiff::civil::Weekday::Sunday => "SU",
        };
        let nth = if last && date.day() + 7 > date.days_in_month() {
            -1
        } else {
            (date.day() - 1) / 7 + 1
        };
        (date.month(), format!("{nth}{wd}"))
    }

    fn lines(&self, rrule: Option<String>) -> Vec<String> {
        let kind = if self.dst { "DAYLIGHT" } else { "STANDARD" };
        let mut out = vec![
            format!("BEGIN:{kind}"),
            format!("DTSTART:{}", local_stamp(self.local)),
            format!("TZOFFSETFROM:{}", utc_offset(self.from)),
            format!("TZOFFSETTO:{}", utc_offset(self.to)),
        ];
        if let Some(r) = rrule {
            out.push(format!("RRULE:{r}"));
        }
        if !self.name.is_empty() {
            out.push(format!("TZNAME:{}", escape_text(&self.name)));
        }
        out.push(format!("END:{kind}"));
        out
    }
}

/// The offset change at transition `at` in `zone`.
fn onset(zone: &TimeZone, t: &jiff::tz::TimeZoneTransition<'_>) -> Onset {
    let before = t
        .timestamp()
        .checked_sub(jiff::SignedDuration::from_secs(1))
        .map(|ts| zone.to_offset(ts))
        .unwrap_or(t.offset());
    Onset {
        local: before.to_datetime(t.timestamp()),
        from: before,
        to: t.offset(),
        dst: t.dst().is_dst(),
        name: t.abbreviation().to_string(),
    }
}

/// The VTIMEZONE of `name` covering the years `first_year..=last_year`.
fn vtimezone(name: &str, zone: &TimeZone, first_year: i16, last_year: i16) -> Vec<String> {
    let at_year = |y: i16| {
        Date::new(y, 1, 1).ok().and_then(|d| {
            zone.to_ambiguous_timestamp(d.at(0, 0, 0, 0))
                .compatible()
                .ok()
        })
    };
    // A year of margin before: the onset in effect on 1 January of the first year lies in the
    // year before (October for Europe).
    let from_year = first_year.saturating_sub(1);
    let (Some(from), Some(to)) = (at_year(from_year), at_year(last_year.saturating_add(1))) else {
        return Vec::new();
    };
    // 4 changes a year is already unusual; the cap only bounds a corrupt database.
    let onsets: Vec<Onset> = zone
        .following(from)
        .take_while(|t| t.timestamp() < to)
        .take(16 * (usize::try_from(last_year - from_year).unwrap_or(1) + 1))
        .map(|t| onset(zone, &t))
        .collect();

    let mut out = vec![
        "BEGIN:VTIMEZONE".to_string(),
        format!("TZID:{}", escape_text(name)),
    ];
    if onsets.is_empty() {
        // No change in these years: one STANDARD with the offset in effect.
        let info = zone.to_offset_info(from);
        let fixed = Onset {
            local: DateTime::constant(1970, 1, 1, 0, 0, 0, 0),
            from: info.offset(),
            to: info.offset(),
            dst: false,
            name: info.abbreviation().to_string(),
        };
        out.extend(fixed.lines(None));
    } else if let Some(rules) = yearly_rules(&onsets, from_year, last_year) {
        for (onset, rrule) in rules {
            out.extend(onset.lines(Some(rrule)));
        }
    } else {
        // Irregular: every onset explicitly, starting with the one in effect at `from`.
        if let Some(prev) = zone.preceding(from).next() {
            out.extend(onset(zone, &prev).lines(None));
        }
        for o in &onsets {
            out.extend(o.lines(None));
        }
    }
    out.push("END:VTIMEZONE".to_string());
    out
}

/// When the onsets are one summer and one winter change per year, each on the same rule every
/// year, those two rules (first onset of each, `FREQ=YEARLY;BYMONTH=..;BYDAY=..`).
fn yearly_rules(onsets: &[Onset], from_year: i16, last_year: i16) -> Option<Vec<(Onset, String)>> {
    let years = usize::try_from(last_year - from_year + 1).ok()?;
    let mut rules = Vec::new();
    for dst in [false, true] {
        let group: Vec<&Onset> = onsets.iter().filter(|o| o.dst == dst).collect();
        if group.len() != years {
            return None;
        }
        let first = group[0];
        let same_shape = |o: &&Onset| {
            o.local.time() == first.local.time()
                && o.from == first.from
                && o.to == first.to
                && o.name == first.name
        };
        if !group.iter().all(same_shape) {
            return None;
        }
        // "Last Sunday" when that fits every year, else "n-th Sunday".
        let rule = [true, false]
            .into_iter()
            .map(|last| first.rule(last))
            .find(|r| group.iter().all(|o| o.rule(r.1.starts_with('-')) == *r))?;
        rules.push((
            first.clone(),
            format!("FREQ=YEARLY;BYMONTH={};BYDAY={}", rule.0, rule.1),
        ));
    }
    // Winter time first, as most generators write it.
    Some(rules)
}

/// `mon,wed` → `MO,WE`.
fn byday(weekdays: &str) -> String {
    weekdays
        .split(',')
        .filter_map(recurrence::parse_weekday)
        .map(|d| recurrence::weekday_name(d)[..2].to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join(",")
}

/// The calendar text of `booking`; `now` (Unix seconds) is the DTSTAMP.
pub fn calendar(
    booking: &Booking,
    config: &PortalConfig,
    method: Method,
    lang: Lang,
    now: i64,
) -> String {
    let zone_name = booking.time_zone.as_str();
    let zone = tz::zone(zone_name);
    let occurrences = recurrence::of_booking(booking);
    let first = occurrences.first().copied().unwrap_or(Occurrence {
        starts_at: now,
        ends_at: now + booking.duration_minutes * 60,
    });
    let last = occurrences.last().copied().unwrap_or(first);
    let rec = recurrence::of_stored(&booking.recurrence_weekdays, &booking.recurrence_until);

    let mut lines: Vec<String> = vec![
        "BEGIN:VCALENDAR".into(),
        format!(
            "PRODID:-//Pont//Pont conference bridge {}//{}",
            env!("CARGO_PKG_VERSION"),
            lang.code().to_ascii_uppercase()
        ),
        "VERSION:2.0".into(),
        "CALSCALE:GREGORIAN".into(),
        format!("METHOD:{}", method.as_str()),
    ];

    // Start and end: local with TZID when the zone is known (always, after validation), UTC
    // otherwise. DTSTART keeps the local time as booked, so that an RRULE repeats that wall
    // time (a start typed in a DST gap resolves, by RFC 5545's rule, to the same instant).
    let (dtstart, dtend) = match &zone {
        Some(zone) => {
            let typed = validate::parse_local_start(&booking.local_start)
                .filter(|dt| tz::to_unix(*dt, zone_name) == Some(first.starts_at));
            let start_local = typed.unwrap_or_else(|| to_civil(zone, first.starts_at));
            let year = |unix| to_civil(zone, unix).year();
            let until_year = rec.as_ref().map_or(i16::MIN, |r| r.until.year());
            lines.extend(vtimezone(
                zone_name,
                zone,
                year(first.starts_at),
                year(last.ends_at).max(until_year),
            ));
            let tzid = param_value(zone_name);
            (
                format!("DTSTART;TZID={tzid}:{}", local_stamp(start_local)),
                format!(
                    "DTEND;TZID={tzid}:{}",
                    local_stamp(to_civil(zone, first.ends_at))
                ),
            )
        }
        None => (
            format!("DTSTART:{}", utc_stamp(first.starts_at)),
            format!("DTEND:{}", utc_stamp(first.ends_at)),
        ),
    };

    let sheet = Sheet::new(booking, config);
    lines.push("BEGIN:VEVENT".into());
    lines.push(format!("UID:{}@{}", booking.id, config.sip_domain.trim()));
    lines.push(format!("SEQUENCE:{}", booking.sequence.max(0)));
    lines.push(format!("DTSTAMP:{}", utc_stamp(now)));
    lines.push(format!("CREATED:{}", utc_stamp(booking.created_at)));
    lines.push(format!("LAST-MODIFIED:{}", utc_stamp(booking.updated_at)));
    lines.push(dtstart.clone());
    lines.push(dtend);
    if let (Some(rec), Some(zone)) = (&rec, &zone) {
        // UNTIL: the end of the last day, local, in UTC (RFC 5545 wants UTC with a TZID start).
        let end_of_day = rec.until.at(23, 59, 59, 0);
        let until = zone
            .to_ambiguous_timestamp(end_of_day)
            .later()
            .map(|t| t.as_second())
            .unwrap_or(last.starts_at);
        lines.push(format!(
            "RRULE:FREQ=WEEKLY;BYDAY={};UNTIL={}",
            byday(&booking.recurrence_weekdays),
            utc_stamp(until)
        ));
        // The start date is always an occurrence (see `recurrence`). When its weekday is not
        // in BYDAY, RFC 5545 leaves such a DTSTART "undefined": name it in an RDATE as well, so
        // every client keeps it (duplicates of RRULE instances are ignored, §3.8.5.3).
        let start_weekday = to_civil(zone, first.starts_at).weekday();
        if !rec.weekdays.contains(&start_weekday) {
            lines.push(dtstart.replacen("DTSTART", "RDATE", 1));
        }
    }
    lines.push(format!("SUMMARY:{}", escape_text(&booking.title)));
    lines.push(format!("LOCATION:{}", escape_text(&sheet.sip_uri)));
    lines.push(format!("DESCRIPTION:{}", escape_text(&sheet.to_text(lang))));
    let organizer = mail_address(&config.mail_from);
    let cn = mail_name(&config.mail_from)
        .map(|n| format!(";CN={}", param_value(n)))
        .unwrap_or_default();
    lines.push(format!("ORGANIZER{cn}:mailto:{organizer}"));
    let recipients = match method {
        Method::Publish => &[][..],
        Method::Request | Method::Cancel => &booking.recipients[..],
    };
    for r in recipients {
        lines.push(format!(
            "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:mailto:{}",
            r.trim()
        ));
    }
    let status = match method {
        Method::Request => "CONFIRMED",
        Method::Publish if booking.cancelled_at.is_none() => "CONFIRMED",
        Method::Cancel | Method::Publish => "CANCELLED",
    };
    lines.push(format!("STATUS:{status}"));
    lines.push("TRANSP:OPAQUE".into());
    lines.push("END:VEVENT".into());
    lines.push("END:VCALENDAR".into());

    lines.iter().map(|l| fold(l)).collect()
}

/// Unix seconds → local date-time in `zone`.
fn to_civil(zone: &TimeZone, unix: i64) -> DateTime {
    zone.to_datetime(Timestamp::from_second(unix).unwrap_or(Timestamp::UNIX_EPOCH))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booking::sheet::tests::{booking, config};

    /// One parsed content line.
    #[derive(Debug, Clone)]
    struct Prop {
        name: String,
        params: Vec<String>,
        value: String,
    }

    /// Unfold (RFC 5545 §3.1) and split into properties; checks CRLF and line lengths.
    fn parse(ics: &str) -> Vec<Prop> {
        assert!(ics.ends_with("\r\n"));
        for physical in ics.split("\r\n") {
            assert!(physical.len() <= FOLD_OCTETS, "line too long: {physical:?}");
            assert!(!physical.contains('\n') && !physical.contains('\r'));
        }
        let unfolded = ics.replace("\r\n ", "").replace("\r\n\t", "");
        unfolded
            .split("\r\n")
            .filter(|l| !l.is_empty())
            .map(|l| {
                // The value starts at the first colon outside a quoted parameter value.
                let mut quoted = false;
                let colon = l
                    .char_indices()
                    .find(|&(_, c)| {
                        if c == '"' {
                            quoted = !quoted;
                        }
                        c == ':' && !quoted
                    })
                    .map(|(i, _)| i)
                    .unwrap_or_else(|| panic!("no colon in {l:?}"));
                let mut head = l[..colon].split(';');
                Prop {
                    name: head.next().unwrap().to_string(),
                    params: head.map(str::to_string).collect(),
                    value: l[colon + 1..].to_string(),
                }
            })
            .collect()
    }

    fn unescape(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n') | Some('N') => out.push('\n'),
                    Some(o) => out.push(o),
                    None => {}
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    fn one<'a>(props: &'a [Prop], name: &str) -> &'a Prop {
        let found: Vec<&Prop> = props.iter().filter(|p| p.name == name).collect();
        assert_eq!(found.len(), 1, "{name}: {found:?}");
        found[0]
    }

    /// The properties between BEGIN:X and END:X (first such component).
    fn component<'a>(props: &'a [Prop], kind: &str) -> &'a [Prop] {
        let begin = props
            .iter()
            .position(|p| p.name == "BEGIN" && p.value == kind)
            .unwrap_or_else(|| panic!("no {kind}"));
        let end = begin
            + props[begin..]
                .iter()
                .position(|p| p.name == "END" && p.value == kind)
                .unwrap();
        &props[begin + 1..end]
    }

    const NOW: i64 = 1_795_000_000; // 2026-11-18T...Z

    #[test]
    fn request_fields() {
        let mut b = booking(&["2026-12-01T09:00:00Z"]);
        b.sequence = 2;
        b.title = "Point; budget, 2027".into();
        let ics = calendar(&b, &config(), Method::Request, Lang::Fr, NOW);
        let props = parse(&ics);
        assert_eq!(one(&props, "VERSION").value, "2.0");
        assert!(one(&props, "PRODID").value.starts_with("-//Pont//"));
        assert_eq!(one(&props, "METHOD").value, "REQUEST");
        let ev = component(&props, "VEVENT");
        assert_eq!(
            one(ev, "UID").value,
            "0123456789abcdef0123456789abcdef@visio.example.fr"
        );
        assert_eq!(one(ev, "SEQUENCE").value, "2");
        assert_eq!(one(ev, "DTSTAMP").value, utc_stamp(NOW));
        assert!(one(ev, "DTSTAMP").value.ends_with('Z'));
        let dtstart = one(ev, "DTSTART");
        assert_eq!(dtstart.params, vec!["TZID=Europe/Paris"]);
        assert_eq!(dtstart.value, "20261201T100000");
        assert_eq!(one(ev, "DTEND").value, "20261201T113000");
        assert_eq!(unescape(&one(ev, "SUMMARY").value), "Point; budget, 2027");
        assert_eq!(one(ev, "SUMMARY").value, "Point\\; budget\\, 2027");
        assert_eq!(one(ev, "LOCATION").value, "sip:721051@visio.example.fr");
        let description = unescape(&one(ev, "DESCRIPTION").value);
        assert_eq!(
            description,
            Sheet::new(&b, &config()).to_text(Lang::Fr),
            "the description is the sheet"
        );
        let organizer = one(ev, "ORGANIZER");
        assert_eq!(organizer.value, "mailto:pont@visio.example.fr");
        assert_eq!(organizer.params, vec!["CN=Pont"]);
        let attendees: Vec<&Prop> = ev.iter().filter(|p| p.name == "ATTENDEE").collect();
        assert_eq!(attendees.len(), 2);
        assert_eq!(attendees[0].value, "mailto:alice@example.fr");
        assert!(attendees[0]
            .params
            .contains(&"ROLE=REQ-PARTICIPANT".to_string()));
        assert!(attendees[0].params.contains(&"RSVP=FALSE".to_string()));
        assert_eq!(one(ev, "STATUS").value, "CONFIRMED");
        assert!(ev.iter().all(|p| p.name != "RRULE"));
        // The TZID names a VTIMEZONE of the calendar.
        assert_eq!(
            one(component(&props, "VTIMEZONE"), "TZID").value,
            "Europe/Paris"
        );
    }

    #[test]
    fn cancel_keeps_uid_and_bumps_nothing_itself() {
        let mut b = booking(&[]);
        b.sequence = 3;
        b.cancelled_at = Some(NOW);
        let ics = calendar(&b, &config(), Method::Cancel, Lang::En, NOW);
        let props = parse(&ics);
        assert_eq!(one(&props, "METHOD").value, "CANCEL");
        let ev = component(&props, "VEVENT");
        assert_eq!(one(ev, "STATUS").value, "CANCELLED");
        assert_eq!(one(ev, "SEQUENCE").value, "3");
        assert_eq!(
            one(ev, "UID").value,
            "0123456789abcdef0123456789abcdef@visio.example.fr"
        );
        // Times recomputed from the booking although its conference rows are gone.
        assert_eq!(one(ev, "DTSTART").value, "20261201T100000");
    }

    #[test]
    fn paris_vtimezone_has_standard_and_daylight() {
        let ics = calendar(
            &booking(&["2026-12-01T09:00:00Z"]),
            &config(),
            Method::Request,
            Lang::En,
            NOW,
        );
        let props = parse(&ics);
        let vtz = component(&props, "VTIMEZONE");
        let std = component(vtz, "STANDARD");
        let dst = component(vtz, "DAYLIGHT");
        assert_eq!(one(std, "TZOFFSETFROM").value, "+0200");
        assert_eq!(one(std, "TZOFFSETTO").value, "+0100");
        assert_eq!(one(std, "RRULE").value, "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU");
        assert_eq!(one(std, "TZNAME").value, "CET");
        // Last Sunday of October 2025, 03:00 summer time.
        assert_eq!(one(std, "DTSTART").value, "20251026T030000");
        assert_eq!(one(dst, "TZOFFSETFROM").value, "+0100");
        assert_eq!(one(dst, "TZOFFSETTO").value, "+0200");
        assert_eq!(one(dst, "RRULE").value, "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU");
        assert_eq!(one(dst, "DTSTART").value, "20250330T020000");
    }

    #[test]
    fn publish_has_no_attendees_and_follows_cancellation() {
        let mut b = booking(&["2026-12-01T09:00:00Z"]);
        b.recipients = vec!["ana@example.org".into()];
        let ics = calendar(&b, &config(), Method::Publish, Lang::En, NOW);
        assert!(ics.contains("\r\nMETHOD:PUBLISH\r\n"), "{ics}");
        assert!(!ics.contains("ATTENDEE"), "{ics}");
        assert!(ics.contains("\r\nSTATUS:CONFIRMED\r\n"), "{ics}");
        b.cancelled_at = Some(NOW);
        let ics = calendar(&b, &config(), Method::Publish, Lang::En, NOW);
        assert!(ics.contains("\r\nSTATUS:CANCELLED\r\n"), "{ics}");
    }

    #[test]
    fn new_york_vtimezone_uses_nth_sundays() {
        let mut b = booking(&["2026-12-01T14:00:00Z"]);
        b.time_zone = "America/New_York".into();
        b.local_start = "2026-12-01T09:00".into();
        let props = parse(&calendar(&b, &config(), Method::Request, Lang::En, NOW));
        let vtz = component(&props, "VTIMEZONE");
        let std = component(vtz, "STANDARD");
        let dst = component(vtz, "DAYLIGHT");
        assert_eq!(one(std, "RRULE").value, "FREQ=YEARLY;BYMONTH=11;BYDAY=1SU");
        assert_eq!(one(std, "TZOFFSETTO").value, "-0500");
        assert_eq!(one(dst, "RRULE").value, "FREQ=YEARLY;BYMONTH=3;BYDAY=2SU");
        assert_eq!(one(dst, "TZOFFSETTO").value, "-0400");
        let ev = component(&props, "VEVENT");
        assert_eq!(one(ev, "DTSTART").params, vec!["TZID=America/New_York"]);
        assert_eq!(one(ev, "DTSTART").value, "20261201T090000");
    }

    #[test]
    fn zone_without_dst_has_one_standard() {
        let mut b = booking(&["2026-12-01T01:00:00Z"]);
        b.time_zone = "Asia/Tokyo".into();
        b.local_start = "2026-12-01T10:00".into();
        let props = parse(&calendar(&b, &config(), Method::Request, Lang::En, NOW));
        let vtz = component(&props, "VTIMEZONE");
        assert!(vtz
            .iter()
            .all(|p| !(p.name == "BEGIN" && p.value == "DAYLIGHT")));
        assert_eq!(vtz.iter().filter(|p| p.name == "BEGIN").count(), 1);
        let std = component(vtz, "STANDARD");
        assert_eq!(one(std, "TZOFFSETFROM").value, "+0900");
        assert_eq!(one(std, "TZOFFSETTO").value, "+0900");
    }

    /// Offsets chain: each onset starts from the offset the previous one ended with.
    fn assert_chained(vtz: &[Prop]) {
        let froms: Vec<&str> = vtz
            .iter()
            .filter(|p| p.name == "TZOFFSETFROM")
            .map(|p| p.value.as_str())
            .collect();
        let tos: Vec<&str> = vtz
            .iter()
            .filter(|p| p.name == "TZOFFSETTO")
            .map(|p| p.value.as_str())
            .collect();
        for i in 1..froms.len() {
            assert_eq!(froms[i], tos[i - 1], "onset {i} of {vtz:?}");
        }
    }

    #[test]
    fn irregular_zone_lists_each_transition() {
        // Morocco leaves its usual offset during Ramadan, on dates no yearly rule can express.
        let mut b = booking(&["2026-12-01T09:00:00Z"]);
        b.time_zone = "Africa/Casablanca".into();
        b.local_start = "2026-12-01T10:00".into();
        let props = parse(&calendar(&b, &config(), Method::Request, Lang::En, NOW));
        let vtz = component(&props, "VTIMEZONE");
        assert!(vtz.iter().all(|p| p.name != "RRULE"), "{vtz:?}");
        // The onset in effect on 1 January 2025, then two changes a year (2025, 2026).
        let onsets = vtz.iter().filter(|p| p.name == "BEGIN").count();
        assert_eq!(onsets, 5, "{vtz:?}");
        assert_chained(vtz);
        let starts: Vec<&str> = vtz
            .iter()
            .filter(|p| p.name == "DTSTART")
            .map(|p| p.value.as_str())
            .collect();
        let mut sorted = starts.clone();
        sorted.sort();
        assert_eq!(starts, sorted);
    }

    #[test]
    fn southern_zone_rules() {
        let mut b = booking(&["2026-12-01T00:00:00Z"]);
        b.time_zone = "Australia/Sydney".into();
        b.local_start = "2026-12-01T11:00".into();
        let props = parse(&calendar(&b, &config(), Method::Request, Lang::En, NOW));
        let vtz = component(&props, "VTIMEZONE");
        let std = component(vtz, "STANDARD");
        let dst = component(vtz, "DAYLIGHT");
        assert_eq!(one(std, "RRULE").value, "FREQ=YEARLY;BYMONTH=4;BYDAY=1SU");
        assert_eq!(one(std, "TZOFFSETTO").value, "+1000");
        assert_eq!(one(dst, "RRULE").value, "FREQ=YEARLY;BYMONTH=10;BYDAY=1SU");
        assert_eq!(one(dst, "TZOFFSETTO").value, "+1100");
        assert_eq!(
            one(component(&props, "VEVENT"), "DTSTART").value,
            "20261201T110000"
        );
    }

    #[test]
    fn recurring_rrule_and_until() {
        // Wednesdays and Mondays at 10:00 Paris, across the spring change, until Mon 30 March.
        let mut b = booking(&["2026-03-25T09:00:00Z", "2026-03-30T08:00:00Z"]);
        b.local_start = "2026-03-25T10:00".into();
        b.recurrence_weekdays = "mon,wed".into();
        b.recurrence_until = "2026-03-30".into();
        let props = parse(&calendar(&b, &config(), Method::Request, Lang::En, NOW));
        let ev = component(&props, "VEVENT");
        // End of 30 March in Paris (UTC+2 by then) is 21:59:59 UTC.
        assert_eq!(
            one(ev, "RRULE").value,
            "FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20260330T215959Z"
        );
        assert_eq!(one(ev, "DTSTART").value, "20260325T100000");
        // Synchronised with the rule: no RDATE.
        assert!(ev.iter().all(|p| p.name != "RDATE"));
        // The VTIMEZONE covers the year.
        let vtz = component(&props, "VTIMEZONE");
        assert_eq!(vtz.iter().filter(|p| p.name == "RRULE").count(), 2);
    }

    #[test]
    fn a_start_off_the_rule_gets_an_rdate() {
        // Starts on a Thursday, repeats on Mondays.
        let mut b = booking(&["2026-12-03T09:00:00Z", "2026-12-07T09:00:00Z"]);
        b.local_start = "2026-12-03T10:00".into();
        b.recurrence_weekdays = "mon".into();
        b.recurrence_until = "2026-12-07".into();
        let props = parse(&calendar(&b, &config(), Method::Request, Lang::En, NOW));
        let ev = component(&props, "VEVENT");
        let rdate = one(ev, "RDATE");
        assert_eq!(rdate.params, vec!["TZID=Europe/Paris"]);
        assert_eq!(rdate.value, "20261203T100000");
    }

    #[test]
    fn folding_never_splits_utf8() {
        let line = format!("DESCRIPTION:{}", "é".repeat(100));
        let folded = fold(&line);
        for physical in folded.trim_end_matches("\r\n").split("\r\n") {
            assert!(physical.len() <= 75);
            // Each physical line is valid UTF-8 on its own (split() would have panicked on a
            // non-boundary, but check the octets explicitly).
            assert!(std::str::from_utf8(physical.as_bytes()).is_ok());
        }
        assert_eq!(folded.replace("\r\n ", ""), format!("{line}\r\n"));
        // Exactly 75 octets: not folded; 76: folded.
        assert!(!fold(&"a".repeat(75)).trim_end().contains("\r\n"));
        assert_eq!(
            fold(&"a".repeat(76)),
            format!("{}\r\n a\r\n", "a".repeat(75))
        );
    }

    #[test]
    fn escaping() {
        assert_eq!(escape_text("a\\b;c,d\r\ne"), "a\\\\b\\;c\\,d\\ne");
        assert_eq!(param_value("Pont, visio"), "\"Pont, visio\"");
        assert_eq!(param_value("Europe/Paris"), "Europe/Paris");
        assert_eq!(
            utc_offset(Offset::from_seconds(-(5 * 3600 + 30 * 60)).unwrap()),
            "-0530"
        );
        assert_eq!(
            utc_offset(Offset::from_seconds(3600 + 45).unwrap()),
            "+010045"
        );
        assert_eq!(mail_address("Pont <p@x.fr>"), "p@x.fr");
        assert_eq!(mail_address("p@x.fr"), "p@x.fr");
        assert_eq!(mail_name("\"Pont visio\" <p@x.fr>"), Some("Pont visio"));
        assert_eq!(mail_name("p@x.fr"), None);
    }

    /// The first python3 with Debian's `python3-icalendar` (the first on PATH may be a private
    /// one, e.g. pyenv, without Debian's packages).
    fn python_with_icalendar() -> Option<&'static str> {
        ["python3", "/usr/bin/python3"].into_iter().find(|py| {
            std::process::Command::new(py)
                .args(["-c", "import icalendar"])
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false)
        })
    }

    /// Parse `ics` with python icalendar; print DTSTART/DTEND in UTC, the summary, whether the
    /// description equals `description`, and each of `naive` local times resolved through the
    /// VTIMEZONE we wrote (not python's own zone data).
    fn python_reads(python: &str, ics: &str, description: &str, naive: &[&str]) -> String {
        let script = r#"
import sys, datetime, icalendar
cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
ev = cal.walk('VEVENT')[0]
utc = datetime.timezone.utc
fmt = '%Y-%m-%dT%H:%M:%SZ'
print('start', ev.decoded('DTSTART').astimezone(utc).strftime(fmt))
print('end', ev.decoded('DTEND').astimezone(utc).strftime(fmt))
print('summary', str(ev.get('SUMMARY')))
print('desc_ok', str(ev.get('DESCRIPTION')) == open(sys.argv[2], encoding='utf-8').read())
tz = cal.walk('VTIMEZONE')[0].to_tz()
for arg in sys.argv[3:]:
    naive = datetime.datetime.strptime(arg, '%Y-%m-%dT%H:%M')
    local = tz.localize(naive) if hasattr(tz, 'localize') else naive.replace(tzinfo=tz)
    print('vtz', local.astimezone(utc).strftime(fmt))
"#;
        let dir = tempfile::tempdir().unwrap();
        let ics_path = dir.path().join("invite.ics");
        let desc_path = dir.path().join("desc.txt");
        std::fs::write(&ics_path, ics).unwrap();
        std::fs::write(&desc_path, description).unwrap();
        let out = std::process::Command::new(python)
            .arg("-c")
            .arg(script)
            .arg(&ics_path)
            .arg(&desc_path)
            .args(naive)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "python failed: {}\n{ics}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Debian's `python3-icalendar` parses our output and finds the same instants, both with
    /// its own zone data and with the VTIMEZONE we wrote.
    #[test]
    fn python_icalendar_reads_it() {
        let Some(python) = python_with_icalendar() else {
            eprintln!(
                "NOTICE: python3 icalendar not available (apt-get install python3-icalendar); skipping"
            );
            return;
        };
        // Paris, recurring across the spring change, with text that needs escaping and folding.
        let mut b = booking(&["2026-03-25T09:00:00Z", "2026-03-30T08:00:00Z"]);
        b.local_start = "2026-03-25T10:00".into();
        b.recurrence_weekdays = "mon,wed".into();
        b.recurrence_until = "2026-03-30".into();
        b.comment = "Café, thé; et \\ « guillemets »\nligne 2 ".repeat(8);
        let ics = calendar(&b, &config(), Method::Request, Lang::Fr, NOW);
        let description = Sheet::new(&b, &config()).to_text(Lang::Fr);
        assert_eq!(
            python_reads(
                python,
                &ics,
                &description,
                &["2026-03-25T10:00", "2026-03-30T10:00", "2026-10-26T10:00"]
            ),
            "start 2026-03-25T09:00:00Z\nend 2026-03-25T10:30:00Z\nsummary Conseil de labo\n\
             desc_ok True\nvtz 2026-03-25T09:00:00Z\nvtz 2026-03-30T08:00:00Z\n\
             vtz 2026-10-26T09:00:00Z\n",
            "{ics}"
        );

        // New York: nth-Sunday rules, on both sides of the November change.
        let mut b = booking(&["2026-11-02T14:00:00Z"]);
        b.time_zone = "America/New_York".into();
        b.local_start = "2026-11-02T09:00".into();
        let ics = calendar(&b, &config(), Method::Request, Lang::En, NOW);
        let description = Sheet::new(&b, &config()).to_text(Lang::En);
        assert_eq!(
            python_reads(
                python,
                &ics,
                &description,
                &["2026-10-30T09:00", "2026-11-02T09:00", "2026-03-09T09:00"]
            ),
            "start 2026-11-02T14:00:00Z\nend 2026-11-02T15:30:00Z\nsummary Conseil de labo\n\
             desc_ok True\nvtz 2026-10-30T13:00:00Z\nvtz 2026-11-02T14:00:00Z\n\
             vtz 2026-03-09T13:00:00Z\n",
            "{ics}"
        );
    }
}
