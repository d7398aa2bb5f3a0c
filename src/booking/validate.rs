//! The booking rules of `DESIGN.md`, field by field: raw [`BookingInput`] → [`ValidBooking`], or
//! every violation with a message in the user's language (shown beside its field on the form,
//! named by field in the API's 422).
//!
//! | field | rule |
//! | --- | --- |
//! | title | trimmed, 1–24 characters: letters (any script, accents included), digits, spaces |
//! | access code | empty (the service generates one) or 4 digits 1000–9999 |
//! | start | `YYYY-MM-DDTHH:MM` or `YYYY-MM-DD HH:MM`, local in the zone; not before the current minute, at most 3 calendar months ahead |
//! | time zone | an IANA name the tz database knows |
//! | duration | whole minutes, 30–480 |
//! | kind | `audio` or `video` |
//! | layout | empty (the bridge's default) or a name `media::video::Layout::from_name` knows, stored canonical; ignored (stored empty) for audio |
//! | capacity | 2–20 |
//! | comment | at most 500 characters |
//! | recipients | 0–20 addresses `local@domain.tld`, duplicates (any case) dropped |
//! | recurrence | weekdays ⊆ mon…sun and `until` together; start date ≤ until ≤ 3 months ahead; 1–[`MAX_OCCURRENCES`] occurrences |
//!
//! All fields are checked even after one fails, so the form shows every problem at once.

use jiff::civil::{Date, DateTime, Weekday};
use jiff::Span;

use super::recurrence::{self, parse_weekday, MAX_OCCURRENCES};
use super::{tz, BookingInput, Field, FieldErrors, Kind, Lang, Recurrence, ValidBooking};
use media::video::Layout;

/// How far ahead a booking may start (3 months, counted in the booking's zone).
pub const MAX_MONTHS_AHEAD: i8 = 3;

/// Longest title, in characters.
pub const TITLE_MAX_CHARS: usize = 24;
/// Longest comment, in characters.
pub const COMMENT_MAX_CHARS: usize = 500;
/// Most recipients.
pub const MAX_RECIPIENTS: usize = 20;
/// Shortest and longest duration, minutes.
pub const DURATION_MINUTES: std::ops::RangeInclusive<i64> = 30..=480;
/// Smallest and largest capacity.
pub const CAPACITY: std::ops::RangeInclusive<i64> = 2..=20;

/// The message in `lang`.
fn msg(lang: Lang, fr: impl Into<String>, en: impl Into<String>) -> String {
    match lang {
        Lang::Fr => fr.into(),
        Lang::En => en.into(),
    }
}

/// Parse a local start: `YYYY-MM-DDTHH:MM` or `YYYY-MM-DD HH:MM` exactly (no seconds, no
/// offset: the zone is a separate field), surrounding spaces ignored.
pub fn parse_local_start(s: &str) -> Option<DateTime> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() != 16 || !(b[10] == b'T' || b[10] == b't' || b[10] == b' ') {
        return None;
    }
    let date = parse_date(&s[..10])?;
    let time = &b[11..];
    if time[2] != b':' || ![0, 1, 3, 4].iter().all(|&i| time[i].is_ascii_digit()) {
        return None;
    }
    let hour = i8::try_from((time[0] - b'0') * 10 + (time[1] - b'0')).ok()?;
    let minute = i8::try_from((time[3] - b'0') * 10 + (time[4] - b'0')).ok()?;
    let time = jiff::civil::Time::new(hour, minute, 0, 0).ok()?;
    Some(date.to_datetime(time))
}

/// Parse a date `YYYY-MM-DD` exactly (a real calendar day).
pub fn parse_date(s: &str) -> Option<Date> {
    let b = s.trim().as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<i32> {
        b[r].iter().try_fold(0i32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + i32::from(c - b'0'))
        })
    };
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = i16::try_from(digits(0..4)?).ok()?;
    let month = i8::try_from(digits(5..7)?).ok()?;
    let day = i8::try_from(digits(8..10)?).ok()?;
    Date::new(year, month, day).ok()
}

/// Whether `addr` looks like a deliverable address: `local@domain.tld`, no spaces, no angle
/// brackets or quotes, a dotted domain whose last label is at least 2 letters, and accepted by
/// the mailer (lettre) too, so a booking never queues a mail that cannot be sent.
pub fn is_email(addr: &str) -> bool {
    let Some((local, domain)) = addr.rsplit_once('@') else {
        return false;
    };
    // RFC 5322 dot-atom text for the local part, without the quoted form (nobody types it).
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(atext));
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    let domain_ok = domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(label_ok)
        && labels
            .last()
            .is_some_and(|tld| tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic));
    local_ok && domain_ok && addr.parse::<lettre::Address>().is_ok()
}

/// The addresses of the recipients field: entries may hold several addresses separated by
/// commas, semicolons, spaces or line breaks (a pasted list), empty pieces dropped.
fn split_recipients(entries: &[String]) -> Vec<String> {
    entries
        .iter()
        .flat_map(|e| e.split(|c: char| c == ',' || c == ';' || c.is_whitespace()))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// `Local@Example.FR` → `Local@example.fr`: the domain is case-insensitive, the local part is
/// the recipient's own business (kept as typed).
fn normalise_email(addr: &str) -> String {
    match addr.rsplit_once('@') {
        Some((local, domain)) => format!("{local}@{}", domain.to_lowercase()),
        None => addr.to_string(),
    }
}

/// Parse a whole number field.
fn parse_int(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The value of a field that passed, or its message noted in `errors`.
fn keep<T>(errors: &mut Vec<(Field, String)>, field: Field, r: Result<T, String>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(m) => {
            errors.push((field, m));
            None
        }
    }
}

/// Title: trimmed, 1–24 letters, digits and spaces.
fn check_title(raw: &str, lang: Lang) -> Result<String, String> {
    // A title pasted from a word processor may hold no-break spaces: they are spaces.
    let normalised = raw.replace(['\u{a0}', '\u{202f}'], " ");
    let title = normalised.trim();
    let len = title.chars().count();
    if len == 0 || len > TITLE_MAX_CHARS {
        return Err(msg(
            lang,
            "Le titre doit faire de 1 à 24 caractères (lettres, chiffres, espaces).",
            "The title must be 1 to 24 characters long (letters, digits, spaces).",
        ));
    }
    // Letters of any script (é, ß, ç…), ASCII digits and plain spaces; no punctuation, no tabs.
    if let Some(bad) = title
        .chars()
        .find(|c| !(c.is_alphabetic() || c.is_ascii_digit() || *c == ' '))
    {
        let shown = if bad.is_control() || bad.is_whitespace() {
            format!("U+{:04X}", u32::from(bad))
        } else {
            bad.to_string()
        };
        return Err(msg(
            lang,
            format!(
                "Le titre ne peut contenir que des lettres, des chiffres et des espaces (« {shown} » n'est pas accepté)."
            ),
            format!("The title may contain only letters, digits and spaces (“{shown}” is not allowed)."),
        ));
    }
    Ok(title.to_string())
}

/// Access code: empty (generate) or 1000–9999.
fn check_access_code(raw: &str, lang: Lang) -> Result<Option<String>, String> {
    let code = raw.trim();
    if code.is_empty() {
        return Ok(None);
    }
    let ok = code.len() == 4 && code.bytes().all(|b| b.is_ascii_digit()) && !code.starts_with('0');
    if ok {
        Ok(Some(code.to_string()))
    } else {
        Err(msg(
            lang,
            "Le code d'accès doit comporter 4 chiffres, de 1000 à 9999 (laissez vide pour qu'il soit généré).",
            "The access code must be 4 digits, from 1000 to 9999 (leave it empty to have one generated).",
        ))
    }
}

/// Video layout: empty = the bridge's default, else one of the names (or aliases) the video
/// compositor knows. An audio-only conference has no picture: whatever was sent is dropped, so
/// switching the type to audio never trips over a layout chosen before.
fn check_layout(raw: &str, kind: Option<Kind>, lang: Lang) -> Result<Option<Layout>, String> {
    let name = raw.trim();
    if kind == Some(Kind::Audio) || name.is_empty() {
        return Ok(None);
    }
    Layout::from_name(name).map(Some).ok_or_else(|| {
        let known = Layout::ALL.map(Layout::name).join(", ");
        // Echo what was typed, but not a whole pasted page.
        let name: String = if name.chars().count() > 40 {
            name.chars().take(40).chain(['…']).collect()
        } else {
            name.to_string()
        };
        msg(
            lang,
            format!("Disposition vidéo inconnue : « {name} » (au choix : {known})."),
            format!("Unknown video layout: “{name}” (choose one of {known})."),
        )
    })
}

/// Comment: at most 500 characters, line breaks normalised to `\n`.
fn check_comment(raw: &str, lang: Lang) -> Result<String, String> {
    // Browsers send textarea line breaks as CRLF; count (and keep) them as one character.
    let comment = raw.replace("\r\n", "\n").trim().to_string();
    let n = comment.chars().count();
    if n > COMMENT_MAX_CHARS {
        return Err(msg(
            lang,
            format!("Le commentaire doit faire au plus 500 caractères (il en fait {n})."),
            format!("The comment must be at most 500 characters long (it has {n})."),
        ));
    }
    Ok(comment)
}

/// Recipients: every address valid, duplicates dropped, at most 20.
fn check_recipients(raw: &[String], lang: Lang) -> Result<Vec<String>, String> {
    let typed = split_recipients(raw);
    // A pasted list far past the limit is refused before any per-address work, so a huge body
    // cannot keep a worker busy (the checks below are linear, but there is no point in them).
    if typed.len() > 4 * MAX_RECIPIENTS {
        let n = typed.len();
        return Err(msg(
            lang,
            format!("Au plus 20 destinataires (il y en a {n})."),
            format!("At most 20 recipients (there are {n})."),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    let mut bad: Vec<String> = Vec::new();
    let mut seen_bad = std::collections::HashSet::new();
    let mut seen = std::collections::HashSet::new();
    for addr in typed {
        if !is_email(&addr) {
            if seen_bad.insert(addr.clone()) {
                bad.push(addr);
            }
            continue;
        }
        let addr = normalise_email(&addr);
        if seen.insert(addr.to_ascii_lowercase()) {
            out.push(addr);
        }
    }
    if !bad.is_empty() {
        let list = bad.join(", ");
        return Err(if bad.len() == 1 {
            msg(
                lang,
                format!("Adresse e-mail invalide : {list}."),
                format!("Invalid e-mail address: {list}."),
            )
        } else {
            msg(
                lang,
                format!("Adresses e-mail invalides : {list}."),
                format!("Invalid e-mail addresses: {list}."),
            )
        });
    }
    if out.len() > MAX_RECIPIENTS {
        let n = out.len();
        return Err(msg(
            lang,
            format!("Au plus 20 destinataires (il y en a {n})."),
            format!("At most 20 recipients (there are {n})."),
        ));
    }
    Ok(out)
}

/// The weekdays and `until` as typed, checked on their own (not against the start).
fn check_recurrence_shape(input: &BookingInput, lang: Lang) -> Result<Option<Recurrence>, String> {
    let typed: Vec<&str> = input
        .weekdays
        .iter()
        .flat_map(|w| w.split(','))
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .collect();
    let mut weekdays: Vec<Weekday> = Vec::new();
    for w in &typed {
        match parse_weekday(w) {
            Some(d) if !weekdays.contains(&d) => weekdays.push(d),
            Some(_) => {}
            None => {
                return Err(msg(
                    lang,
                    format!("Jour de la semaine inconnu : « {w} »."),
                    format!("Unknown weekday: “{w}”."),
                ))
            }
        }
    }
    weekdays.sort_by_key(|d| d.to_monday_zero_offset());
    let until = input.until.trim();
    match (weekdays.is_empty(), until.is_empty()) {
        (true, true) => Ok(None),
        (false, true) => Err(msg(
            lang,
            "Indiquez le dernier jour de la répétition.",
            "Enter the last day of the repetition.",
        )),
        (true, false) => Err(msg(
            lang,
            "Choisissez au moins un jour de la semaine pour la répétition.",
            "Choose at least one weekday for the repetition.",
        )),
        (false, false) => match parse_date(until) {
            Some(until) => Ok(Some(Recurrence { weekdays, until })),
            None => Err(msg(
                lang,
                "Le dernier jour de la répétition doit être une date (AAAA-MM-JJ).",
                "The last day of the repetition must be a date (YYYY-MM-DD).",
            )),
        },
    }
}

/// Check every field against the rules, at `now` (start not in the past unless
/// `keep_past_start` says it is the unchanged start of a booking being modified).
pub fn validate(
    input: &BookingInput,
    now: jiff::Timestamp,
    lang: Lang,
    keep_past_start: Option<&str>,
) -> Result<ValidBooking, FieldErrors> {
    let mut errors: Vec<(Field, String)> = Vec::new();

    let title = keep(&mut errors, Field::Title, check_title(&input.title, lang));
    let access_code = keep(
        &mut errors,
        Field::AccessCode,
        check_access_code(&input.access_code, lang),
    );

    let time_zone = keep(
        &mut errors,
        Field::TimeZone,
        tz::canonical_name(input.time_zone.trim()).ok_or_else(|| {
            msg(
                lang,
                "Choisissez un fuseau horaire de la liste (par exemple Europe/Paris).",
                "Choose a time zone from the list (for example Europe/Paris).",
            )
        }),
    );

    // The latest allowed start: now + 3 calendar months in the booking's zone (a month is a
    // month on the organiser's calendar, whatever its length or a DST change inside it).
    let limit = time_zone.as_deref().and_then(|name| {
        let zone = tz::zone(name)?;
        now.to_zoned(zone)
            .checked_add(Span::new().months(MAX_MONTHS_AHEAD))
            .ok()
    });

    let start = keep(
        &mut errors,
        Field::Start,
        parse_local_start(&input.start).ok_or_else(|| {
            msg(
                lang,
                "Indiquez la date et l'heure de début (AAAA-MM-JJ et HH:MM).",
                "Enter the start date and time (YYYY-MM-DD and HH:MM).",
            )
        }),
    );
    // Past / too far: only decidable with a zone.
    let start = match (start, time_zone.as_deref(), &limit) {
        (Some(start), Some(zone), Some(limit)) => {
            let unchanged = keep_past_start.and_then(parse_local_start) == Some(start);
            let at = tz::to_unix(start, zone).unwrap_or(i64::MIN);
            // A start within the current minute is not past: the form only has minutes.
            let this_minute = now.as_second() - now.as_second().rem_euclid(60);
            if at < this_minute && !unchanged {
                keep(
                    &mut errors,
                    Field::Start,
                    Err::<(), _>(msg(
                        lang,
                        "Le début ne peut pas être dans le passé.",
                        "The start cannot be in the past.",
                    )),
                );
                None
            } else if at > limit.timestamp().as_second() {
                let by = tz::format_local(limit.datetime());
                keep(
                    &mut errors,
                    Field::Start,
                    Err::<(), _>(msg(
                        lang,
                        format!("Le début doit être au plus tard dans 3 mois (le {by})."),
                        format!("The start must be at most 3 months ahead (by {by})."),
                    )),
                );
                None
            } else {
                Some(start)
            }
        }
        (start, _, _) => start,
    };

    let duration_minutes = keep(
        &mut errors,
        Field::Duration,
        parse_int(&input.duration_minutes)
            .filter(|m| DURATION_MINUTES.contains(m))
            .ok_or_else(|| {
                msg(
                    lang,
                    "La durée doit être comprise entre 00:30 et 08:00.",
                    "The duration must be between 00:30 and 08:00.",
                )
            }),
    );
    let kind = keep(
        &mut errors,
        Field::Kind,
        Kind::parse(&input.kind.trim().to_ascii_lowercase()).ok_or_else(|| {
            msg(
                lang,
                "Choisissez « audio » ou « audio et vidéo ».",
                "Choose “audio” or “audio and video”.",
            )
        }),
    );
    let layout = keep(
        &mut errors,
        Field::Layout,
        check_layout(&input.layout, kind, lang),
    );
    let capacity = keep(
        &mut errors,
        Field::Capacity,
        parse_int(&input.capacity)
            .filter(|c| CAPACITY.contains(c))
            .ok_or_else(|| {
                msg(
                    lang,
                    "Le nombre de connexions doit être compris entre 2 et 20.",
                    "The number of connections must be between 2 and 20.",
                )
            }),
    );
    let comment = keep(
        &mut errors,
        Field::Comment,
        check_comment(&input.comment, lang),
    );
    let recipients = keep(
        &mut errors,
        Field::Recipients,
        check_recipients(&input.recipients, lang),
    );

    // Recurrence: its own shape first, then against the start and the 3-month limit.
    let recurrence = keep(
        &mut errors,
        Field::Recurrence,
        check_recurrence_shape(input, lang),
    );
    let recurrence = match (recurrence, start, &limit) {
        (Some(Some(rec)), Some(start), Some(limit)) => {
            let last_day = limit.date();
            let r = if rec.until < start.date() {
                Err(msg(
                    lang,
                    "Le dernier jour de la répétition ne peut pas précéder le début.",
                    "The last day of the repetition cannot be before the start.",
                ))
            } else if rec.until > last_day {
                Err(msg(
                    lang,
                    format!("La répétition doit finir au plus tard dans 3 mois (le {last_day})."),
                    format!("The repetition must end at most 3 months ahead (by {last_day})."),
                ))
            } else {
                let n = recurrence::days(start.date(), Some(&rec)).len();
                if n > MAX_OCCURRENCES {
                    Err(msg(
                        lang,
                        format!("La répétition donnerait plus de {MAX_OCCURRENCES} séances : raccourcissez-la ou choisissez moins de jours."),
                        format!("The repetition would make more than {MAX_OCCURRENCES} occurrences: shorten it or choose fewer days."),
                    ))
                } else {
                    Ok(Some(rec))
                }
            };
            keep(&mut errors, Field::Recurrence, r)
        }
        (r, _, _) => r,
    };

    match (
        title,
        access_code,
        start,
        time_zone,
        duration_minutes,
        kind,
        layout,
        capacity,
        comment,
        recipients,
        recurrence,
    ) {
        (
            Some(title),
            Some(access_code),
            Some(start),
            Some(time_zone),
            Some(duration_minutes),
            Some(kind),
            Some(layout),
            Some(capacity),
            Some(comment),
            Some(recipients),
            Some(recurrence),
        ) if errors.is_empty() => {
            let booking = ValidBooking {
                title,
                access_code,
                start,
                time_zone,
                duration_minutes,
                kind,
                layout,
                capacity,
                comment,
                recipients,
                recurrence,
            };
            // Cannot fail with a known zone and a start day in range; kept as a last guard
            // (the store needs at least one occurrence).
            if recurrence::occurrences(&booking).is_empty() {
                return Err(FieldErrors(vec![(
                    Field::Start,
                    msg(
                        lang,
                        "Cette date de début n'existe pas dans ce fuseau horaire.",
                        "This start does not exist in this time zone.",
                    ),
                )]));
            }
            Ok(booking)
        }
        _ => {
            errors.sort_by_key(|(f, _)| *f);
            errors.dedup_by_key(|(f, _)| *f);
            Err(FieldErrors(errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use jiff::Timestamp;

    /// 2026-11-24 09:30:20 UTC = 10:30:20 in Paris.
    fn now() -> Timestamp {
        "2026-11-24T09:30:20Z".parse().unwrap()
    }

    fn good() -> BookingInput {
        BookingInput {
            title: "Conseil de labo 3".into(),
            access_code: "1289".into(),
            start: "2026-12-01T10:00".into(),
            time_zone: "Europe/Paris".into(),
            duration_minutes: "90".into(),
            kind: "video".into(),
            layout: String::new(),
            capacity: "10".into(),
            comment: "Ordre du jour joint.".into(),
            recipients: vec!["alice@example.fr".into()],
            weekdays: vec![],
            until: String::new(),
        }
    }

    fn errors_of(input: &BookingInput) -> FieldErrors {
        validate(input, now(), Lang::En, None).expect_err("should fail")
    }

    fn fails_on(input: &BookingInput, field: Field) {
        let e = errors_of(input);
        assert!(e.get(field).is_some(), "{field:?} should fail: {e:?}");
        assert_eq!(e.0.len(), 1, "only {field:?} should fail: {e:?}");
    }

    fn passes(input: &BookingInput) -> ValidBooking {
        validate(input, now(), Lang::En, None).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn with(f: impl FnOnce(&mut BookingInput)) -> BookingInput {
        let mut i = good();
        f(&mut i);
        i
    }

    #[test]
    fn a_good_booking_passes() {
        let v = passes(&good());
        assert_eq!(v.title, "Conseil de labo 3");
        assert_eq!(v.access_code.as_deref(), Some("1289"));
        assert_eq!(v.start, date(2026, 12, 1).at(10, 0, 0, 0));
        assert_eq!(v.time_zone, "Europe/Paris");
        assert_eq!(v.duration_minutes, 90);
        assert_eq!(v.kind, Kind::Video);
        assert_eq!(v.capacity, 10);
        assert_eq!(v.recipients, vec!["alice@example.fr".to_string()]);
        assert_eq!(v.recurrence, None);
    }

    #[test]
    fn title_rules_and_boundaries() {
        assert_eq!(passes(&with(|i| i.title = "  A  ".into())).title, "A");
        assert_eq!(
            passes(&with(|i| i.title = "Réunion équipe Noël".into())).title,
            "Réunion équipe Noël"
        );
        passes(&with(|i| i.title = "x".repeat(24)));
        passes(&with(|i| i.title = "é".repeat(24))); // characters, not bytes
        fails_on(&with(|i| i.title = "x".repeat(25)), Field::Title);
        fails_on(&with(|i| i.title = String::new()), Field::Title);
        fails_on(&with(|i| i.title = "    ".into()), Field::Title);
        fails_on(&with(|i| i.title = "Point d'étape".into()), Field::Title);
        fails_on(&with(|i| i.title = "R&D".into()), Field::Title);
        fails_on(&with(|i| i.title = "a\tb".into()), Field::Title);
        assert_eq!(
            passes(&with(|i| i.title = "Point\u{a0}2".into())).title,
            "Point 2"
        );
        let e = errors_of(&with(|i| i.title = "Projet !".into()));
        assert!(e.get(Field::Title).unwrap().contains('!'));
    }

    #[test]
    fn access_code_rules_and_boundaries() {
        assert_eq!(
            passes(&with(|i| i.access_code = String::new())).access_code,
            None
        );
        assert_eq!(
            passes(&with(|i| i.access_code = "  ".into())).access_code,
            None
        );
        passes(&with(|i| i.access_code = "1000".into()));
        passes(&with(|i| i.access_code = "9999".into()));
        for bad in ["0999", "999", "10000", "12a4", "-123", "1 23"] {
            fails_on(&with(|i| i.access_code = bad.into()), Field::AccessCode);
        }
    }

    #[test]
    fn start_formats() {
        passes(&with(|i| i.start = "2026-12-01 10:00".into()));
        for bad in [
            "2026-12-01T10:00:00",
            "2026-12-01",
            "01/12/2026 10:00",
            "2026-12-01T25:00",
            "2026-02-30T10:00",
            "2026-12-01T10:60",
            "",
        ] {
            fails_on(&with(|i| i.start = bad.into()), Field::Start);
        }
    }

    #[test]
    fn start_not_in_the_past_but_this_minute_is_fine() {
        // now is 10:30:20 in Paris: 10:30 is this minute, 10:29 is past.
        passes(&with(|i| i.start = "2026-11-24T10:30".into()));
        fails_on(&with(|i| i.start = "2026-11-24T10:29".into()), Field::Start);
        // The same wall time is still ahead in New York (UTC-5).
        passes(&with(|i| {
            i.start = "2026-11-24T10:29".into();
            i.time_zone = "America/New_York".into();
        }));
        let e = validate(
            &with(|i| i.start = "2026-11-24T08:00".into()),
            now(),
            Lang::Fr,
            None,
        )
        .unwrap_err();
        assert_eq!(
            e.get(Field::Start),
            Some("Le début ne peut pas être dans le passé.")
        );
    }

    #[test]
    fn an_unchanged_past_start_is_kept_on_modification() {
        let past = with(|i| i.start = "2026-11-20T09:00".into());
        assert!(validate(&past, now(), Lang::En, Some("2026-11-20T09:00")).is_ok());
        assert!(validate(&past, now(), Lang::En, Some("2026-11-20 09:00")).is_ok());
        assert!(validate(&past, now(), Lang::En, Some("2026-11-20T09:15")).is_err());
    }

    #[test]
    fn start_at_most_three_months_ahead() {
        // now + 3 months = 2027-02-24 10:30:20 Paris.
        passes(&with(|i| i.start = "2027-02-24T10:30".into()));
        fails_on(&with(|i| i.start = "2027-02-24T10:31".into()), Field::Start);
        fails_on(&with(|i| i.start = "2027-03-01T10:00".into()), Field::Start);
        let e = errors_of(&with(|i| i.start = "2027-06-01T10:00".into()));
        assert!(e.get(Field::Start).unwrap().contains("2027-02-24"));
    }

    #[test]
    fn time_zone_rules() {
        assert_eq!(
            passes(&with(|i| i.time_zone = "europe/paris".into())).time_zone,
            "Europe/Paris"
        );
        passes(&with(|i| i.time_zone = "UTC".into()));
        // An unknown zone fails alone: the start cannot be judged without it.
        fails_on(
            &with(|i| i.time_zone = "Europe/Lutece".into()),
            Field::TimeZone,
        );
        fails_on(&with(|i| i.time_zone = String::new()), Field::TimeZone);
    }

    #[test]
    fn duration_rules_and_boundaries() {
        passes(&with(|i| i.duration_minutes = "30".into()));
        passes(&with(|i| i.duration_minutes = "480".into()));
        passes(&with(|i| i.duration_minutes = " 45 ".into()));
        for bad in ["29", "481", "0", "-60", "1.5", "", "une heure"] {
            fails_on(&with(|i| i.duration_minutes = bad.into()), Field::Duration);
        }
    }

    #[test]
    fn kind_rules() {
        assert_eq!(passes(&with(|i| i.kind = "audio".into())).kind, Kind::Audio);
        assert_eq!(passes(&with(|i| i.kind = "Video".into())).kind, Kind::Video);
        fails_on(&with(|i| i.kind = "both".into()), Field::Kind);
        fails_on(&with(|i| i.kind = String::new()), Field::Kind);
    }

    #[test]
    fn layout_names_and_aliases_are_stored_canonical() {
        assert_eq!(passes(&good()).layout, None);
        assert_eq!(passes(&with(|i| i.layout = "  ".into())).layout, None);
        for (typed, layout) in [
            ("voice-switched", Layout::VoiceSwitched),
            ("1+n", Layout::OnePlusN),
            ("2x2", Layout::Grid2x2),
            ("3x3", Layout::Grid3x3),
            ("Speaker", Layout::VoiceSwitched),
            ("1+5", Layout::OnePlusN),
            (" CP4 ", Layout::Grid2x2),
            ("3×3", Layout::Grid3x3),
        ] {
            let v = passes(&with(|i| i.layout = typed.into()));
            assert_eq!(v.layout, Some(layout), "{typed:?}");
        }
        // Every canonical name comes back as itself.
        for layout in Layout::ALL {
            let v = passes(&with(|i| i.layout = layout.name().into()));
            assert_eq!(v.layout.map(Layout::name), Some(layout.name()));
        }
    }

    #[test]
    fn an_unknown_layout_fails_on_its_field_in_both_languages() {
        for bad in ["4x4", "grille", "1+", "2x2x2"] {
            fails_on(&with(|i| i.layout = bad.into()), Field::Layout);
        }
        let en = errors_of(&with(|i| i.layout = "4x4".into()));
        assert_eq!(
            en.get(Field::Layout),
            Some("Unknown video layout: “4x4” (choose one of voice-switched, 1+n, 2x2, 3x3).")
        );
        let fr = validate(&with(|i| i.layout = "4x4".into()), now(), Lang::Fr, None).unwrap_err();
        assert_eq!(
            fr.get(Field::Layout),
            Some(
                "Disposition vidéo inconnue : « 4x4 » (au choix : voice-switched, 1+n, 2x2, 3x3)."
            )
        );
    }

    #[test]
    fn an_audio_conference_has_no_layout() {
        let audio = |layout: &str| {
            with(|i| {
                i.kind = "audio".into();
                i.layout = layout.into();
            })
        };
        assert_eq!(passes(&audio("3x3")).layout, None);
        // Ignored, not checked: there is no picture to lay out.
        assert_eq!(passes(&audio("4x4")).layout, None);
        // With an unknown type the layout is still checked (it may be a video conference).
        let e = errors_of(&with(|i| {
            i.kind = "both".into();
            i.layout = "4x4".into();
        }));
        assert!(e.get(Field::Kind).is_some() && e.get(Field::Layout).is_some());
    }

    #[test]
    fn capacity_rules_and_boundaries() {
        passes(&with(|i| i.capacity = "2".into()));
        passes(&with(|i| i.capacity = "20".into()));
        for bad in ["1", "21", "", "dix", "2.0", "99999999999999999999"] {
            fails_on(&with(|i| i.capacity = bad.into()), Field::Capacity);
        }
    }

    #[test]
    fn comment_rules_and_boundaries() {
        passes(&with(|i| i.comment = "é".repeat(500)));
        passes(&with(|i| i.comment = String::new()));
        // 250 CRLF pairs are 250 characters, not 500.
        let v = passes(&with(|i| i.comment = "a\r\n".repeat(166)));
        assert!(!v.comment.contains('\r'));
        fails_on(&with(|i| i.comment = "x".repeat(501)), Field::Comment);
        let e = validate(
            &with(|i| i.comment = "x".repeat(501)),
            now(),
            Lang::Fr,
            None,
        )
        .unwrap_err();
        assert!(e.get(Field::Comment).unwrap().contains("501"));
    }

    #[test]
    fn recipients_rules() {
        let v = passes(&with(|i| {
            i.recipients = vec![
                "alice@example.fr, Bob@Example.FR".into(),
                "bob@example.fr\r\ncarole.d+visio@sub.univ-x.fr".into(),
                "  ".into(),
            ]
        }));
        assert_eq!(
            v.recipients,
            vec![
                "alice@example.fr",
                "Bob@example.fr",
                "carole.d+visio@sub.univ-x.fr"
            ]
        );
        passes(&with(|i| i.recipients = vec![]));
        passes(&with(|i| {
            i.recipients = (0..20).map(|n| format!("p{n}@example.fr")).collect()
        }));
        fails_on(
            &with(|i| i.recipients = (0..21).map(|n| format!("p{n}@example.fr")).collect()),
            Field::Recipients,
        );
        for bad in [
            "alice",
            "alice@",
            "@example.fr",
            "alice@example",
            "alice@@example.fr",
            "<alice@example.fr>",
            "alice@exa_mple.fr",
            "alice..b@example.fr",
            "alice@example.f",
            "alice@-example.fr",
            "\"al ice\"@example.fr",
        ] {
            fails_on(
                &with(|i| i.recipients = vec![bad.into()]),
                Field::Recipients,
            );
        }
        let e = errors_of(&with(|i| {
            i.recipients = vec!["x@y, ok@example.fr, z".into()]
        }));
        assert_eq!(
            e.get(Field::Recipients),
            Some("Invalid e-mail addresses: x@y, z.")
        );
    }

    #[test]
    fn email_syntax() {
        assert!(is_email("a@b.co"));
        assert!(is_email("first.last@université.fr"));
        assert!(!is_email("a b@c.fr"));
        assert!(!is_email("a@b.c0"));
    }

    #[test]
    fn recurrence_rules() {
        // Tuesday 2026-12-01, then Tuesdays and Thursdays until 2026-12-17.
        let v = passes(&with(|i| {
            i.weekdays = vec!["thu".into(), "tue".into(), "thu".into()];
            i.until = "2026-12-17".into();
        }));
        let rec = v.recurrence.as_ref().unwrap();
        assert_eq!(rec.weekdays, vec![Weekday::Tuesday, Weekday::Thursday]);
        assert_eq!(recurrence::occurrences(&v).len(), 6);
        // Comma-joined in one entry (the API's stored form) is fine too.
        passes(&with(|i| {
            i.weekdays = vec!["mon,fri".into()];
            i.until = "2026-12-17".into();
        }));
        // until on the start date: one occurrence, fine.
        passes(&with(|i| {
            i.weekdays = vec!["mon".into()];
            i.until = "2026-12-01".into();
        }));
        fails_on(
            &with(|i| {
                i.weekdays = vec!["mon".into()];
                i.until = "2026-11-30".into();
            }),
            Field::Recurrence,
        );
        fails_on(
            &with(|i| i.weekdays = vec!["mon".into()]),
            Field::Recurrence,
        );
        fails_on(&with(|i| i.until = "2026-12-17".into()), Field::Recurrence);
        fails_on(
            &with(|i| {
                i.weekdays = vec!["lundi".into()];
                i.until = "2026-12-17".into();
            }),
            Field::Recurrence,
        );
        fails_on(
            &with(|i| {
                i.weekdays = vec!["mon".into()];
                i.until = "17/12/2026".into();
            }),
            Field::Recurrence,
        );
    }

    #[test]
    fn recurrence_at_most_three_months_and_the_maximum() {
        // The last allowed day is 2027-02-24.
        let daily = |until: &str| {
            with(|i| {
                i.weekdays = ["mon", "tue", "wed", "thu", "fri"]
                    .map(String::from)
                    .to_vec();
                i.until = until.into();
            })
        };
        passes(&daily("2027-02-24"));
        fails_on(&daily("2027-02-25"), Field::Recurrence);
        // Every day for the whole 3 months is 93 occurrences: under the maximum, which only
        // guards against a longer limit or a broken range.
        let v = passes(&with(|i| {
            i.start = "2026-11-24T11:00".into();
            i.weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                .map(String::from)
                .to_vec();
            i.until = "2027-02-24".into();
        }));
        assert_eq!(recurrence::occurrences(&v).len(), 93);
    }

    #[test]
    fn every_violation_is_reported_at_once() {
        let bad = BookingInput {
            title: "!".into(),
            access_code: "12".into(),
            start: "tomorrow".into(),
            time_zone: "Nowhere".into(),
            duration_minutes: "5".into(),
            kind: "hologram".into(),
            layout: "4x4".into(),
            capacity: "200".into(),
            comment: "x".repeat(600),
            recipients: vec!["nobody".into()],
            weekdays: vec!["mon".into()],
            until: String::new(),
        };
        let e = validate(&bad, now(), Lang::Fr, None).unwrap_err();
        let fields: Vec<Field> = e.0.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            vec![
                Field::Title,
                Field::AccessCode,
                Field::Start,
                Field::TimeZone,
                Field::Duration,
                Field::Kind,
                Field::Layout,
                Field::Capacity,
                Field::Comment,
                Field::Recipients,
                Field::Recurrence,
            ]
        );
        assert_eq!(
            e.get(Field::Title),
            Some("Le titre ne peut contenir que des lettres, des chiffres et des espaces (« ! » n'est pas accepté).")
        );
        assert_eq!(
            e.get(Field::Duration),
            Some("La durée doit être comprise entre 00:30 et 08:00.")
        );
    }

    #[test]
    fn messages_exist_in_both_languages() {
        let bad = with(|i| i.title = String::new());
        let fr = validate(&bad, now(), Lang::Fr, None).unwrap_err();
        let en = validate(&bad, now(), Lang::En, None).unwrap_err();
        assert_eq!(
            fr.get(Field::Title),
            Some("Le titre doit faire de 1 à 24 caractères (lettres, chiffres, espaces).")
        );
        assert_eq!(
            en.get(Field::Title),
            Some("The title must be 1 to 24 characters long (letters, digits, spaces).")
        );
    }

    #[test]
    fn start_in_a_dst_gap_is_accepted_and_moved_later() {
        // 2027-03-28 02:30 does not exist in Paris (beyond 3 months of `now`; use a later now).
        let now: Timestamp = "2027-03-01T00:00:00Z".parse().unwrap();
        let v = validate(
            &with(|i| i.start = "2027-03-28T02:30".into()),
            now,
            Lang::En,
            None,
        )
        .unwrap();
        let occ = recurrence::occurrences(&v);
        assert_eq!(
            occ[0].starts_at,
            "2027-03-28T01:30:00Z"
                .parse::<Timestamp>()
                .unwrap()
                .as_second()
        );
    }
}
