//! Recurrence expansion: the start's local time on each chosen weekday from the start date to the
//! last day, each converted to UTC on its own day (so 10:00 Paris stays 10:00 across DST).
//!
//! The start date's own occurrence is always included, whatever its weekday: it is what the
//! organiser booked (and RFC 5545 likewise counts DTSTART as the first instance). After it comes
//! every day whose weekday is chosen, up to and including `until`. A local time that falls in a
//! DST gap or fold on some day is resolved as [`super::tz::to_unix`] does.

use jiff::civil::{Date, Weekday};

use super::{tz, Occurrence, Recurrence, ValidBooking};
use crate::store::Booking;

/// Most occurrences one booking may have (3 months of weekdays is about 65).
pub const MAX_OCCURRENCES: usize = 100;

/// Weekdays Monday first with their form/API/store names.
const WEEKDAYS: [(Weekday, &str); 7] = [
    (Weekday::Monday, "mon"),
    (Weekday::Tuesday, "tue"),
    (Weekday::Wednesday, "wed"),
    (Weekday::Thursday, "thu"),
    (Weekday::Friday, "fri"),
    (Weekday::Saturday, "sat"),
    (Weekday::Sunday, "sun"),
];

/// `mon` … `sun` (case-insensitive) → weekday.
pub fn parse_weekday(name: &str) -> Option<Weekday> {
    let name = name.trim();
    WEEKDAYS
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(name))
        .map(|(d, _)| *d)
}

/// Weekday → `mon` … `sun`.
pub fn weekday_name(day: Weekday) -> &'static str {
    WEEKDAYS
        .iter()
        .find(|(d, _)| *d == day)
        .map(|(_, n)| *n)
        .unwrap_or("mon")
}

/// The stored form `mon,wed` (Monday first) of a set of weekdays.
pub fn weekdays_to_string(days: &[Weekday]) -> String {
    let mut sorted: Vec<Weekday> = days.to_vec();
    sorted.sort_by_key(|d| d.to_monday_zero_offset());
    sorted.dedup();
    sorted
        .iter()
        .map(|d| weekday_name(*d))
        .collect::<Vec<_>>()
        .join(",")
}

/// The stored recurrence of a booking (`mon,wed` + `YYYY-MM-DD`), if it has a valid one.
pub fn of_stored(weekdays: &str, until: &str) -> Option<Recurrence> {
    let mut days: Vec<Weekday> = weekdays
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(parse_weekday)
        .collect::<Option<_>>()?;
    if days.is_empty() {
        return None;
    }
    days.sort_by_key(|d| d.to_monday_zero_offset());
    days.dedup();
    let until: Date = until.trim().parse().ok()?;
    Some(Recurrence {
        weekdays: days,
        until,
    })
}

/// The local days of a booking starting on `start`: the start date, then each chosen weekday up
/// to `until`. Stops after `MAX_OCCURRENCES + 1` days so that an absurd range cannot make a
/// huge list (the caller reports "too many" for anything over the maximum).
pub fn days(start: Date, recurrence: Option<&Recurrence>) -> Vec<Date> {
    let mut days = vec![start];
    let Some(rec) = recurrence.filter(|r| !r.weekdays.is_empty()) else {
        return days;
    };
    let mut day = start;
    while days.len() <= MAX_OCCURRENCES {
        day = match day.tomorrow() {
            Ok(d) if d <= rec.until => d,
            _ => break,
        };
        if rec.weekdays.contains(&day.weekday()) {
            days.push(day);
        }
    }
    days
}

/// The booking's occurrences in UTC, sorted; a booking without recurrence has one. Empty when
/// the zone is unknown (validation rules that out). See [`days`] for the upper bound.
pub fn occurrences(booking: &ValidBooking) -> Vec<Occurrence> {
    let time = booking.start.time();
    let duration = booking.duration_minutes * 60;
    days(booking.start.date(), booking.recurrence.as_ref())
        .into_iter()
        .filter_map(|day| tz::to_unix(day.to_datetime(time), &booking.time_zone))
        .map(|starts_at| Occurrence {
            starts_at,
            ends_at: starts_at + duration,
        })
        .collect()
}

/// The occurrences of a stored booking: its conference rows, or, once cancelled (the rows are
/// gone), recomputed from its local start, zone, duration and recurrence, so that a
/// cancellation can still name the times it cancels.
pub fn of_booking(booking: &Booking) -> Vec<Occurrence> {
    if !booking.occurrences.is_empty() {
        let mut occ: Vec<Occurrence> = booking
            .occurrences
            .iter()
            .map(|c| Occurrence {
                starts_at: c.starts_at,
                ends_at: c.ends_at,
            })
            .collect();
        occ.sort();
        return occ;
    }
    let Some(start) = super::validate::parse_local_start(&booking.local_start) else {
        return Vec::new();
    };
    let time = start.time();
    let rec = of_stored(&booking.recurrence_weekdays, &booking.recurrence_until);
    days(start.date(), rec.as_ref())
        .into_iter()
        .filter_map(|day| tz::to_unix(day.to_datetime(time), &booking.time_zone))
        .map(|starts_at| Occurrence {
            starts_at,
            ends_at: starts_at + booking.duration_minutes * 60,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booking::Kind;
    use jiff::civil::date;
    use jiff::Timestamp;

    fn booking(start: jiff::civil::DateTime, zone: &str, rec: Option<Recurrence>) -> ValidBooking {
        ValidBooking {
            title: "Réunion".into(),
            access_code: None,
            start,
            time_zone: zone.into(),
            duration_minutes: 90,
            kind: Kind::Video,
            layout: None,
            capacity: 10,
            comment: String::new(),
            recipients: vec![],
            recurrence: rec,
        }
    }

    fn unix(s: &str) -> i64 {
        s.parse::<Timestamp>().unwrap().as_second()
    }

    #[test]
    fn single_booking_has_one_occurrence() {
        let b = booking(date(2026, 12, 1).at(10, 0, 0, 0), "Europe/Paris", None);
        let occ = occurrences(&b);
        assert_eq!(
            occ,
            vec![Occurrence {
                starts_at: unix("2026-12-01T09:00:00Z"),
                ends_at: unix("2026-12-01T10:30:00Z"),
            }]
        );
    }

    #[test]
    fn local_time_is_kept_across_the_spring_change() {
        // Mondays and Wednesdays at 10:00 Paris, from Wed 2026-03-25 to Wed 2026-04-01: the
        // clocks go forward on Sunday 29 March, so the UTC hour changes from 09:00 to 08:00.
        let rec = Recurrence {
            weekdays: vec![Weekday::Monday, Weekday::Wednesday],
            until: date(2026, 4, 1),
        };
        let b = booking(date(2026, 3, 25).at(10, 0, 0, 0), "Europe/Paris", Some(rec));
        let starts: Vec<i64> = occurrences(&b).iter().map(|o| o.starts_at).collect();
        assert_eq!(
            starts,
            vec![
                unix("2026-03-25T09:00:00Z"),
                unix("2026-03-30T08:00:00Z"),
                unix("2026-04-01T08:00:00Z"),
            ]
        );
        for o in occurrences(&b) {
            assert_eq!(o.ends_at - o.starts_at, 90 * 60);
            let local = tz::to_local(o.starts_at, "Europe/Paris").unwrap();
            assert_eq!((local.hour(), local.minute()), (10, 0));
        }
    }

    #[test]
    fn local_time_is_kept_across_the_autumn_change_in_new_york() {
        let rec = Recurrence {
            weekdays: vec![Weekday::Friday],
            until: date(2026, 11, 6),
        };
        let b = booking(
            date(2026, 10, 30).at(9, 0, 0, 0),
            "America/New_York",
            Some(rec),
        );
        let starts: Vec<i64> = occurrences(&b).iter().map(|o| o.starts_at).collect();
        assert_eq!(
            starts,
            vec![unix("2026-10-30T13:00:00Z"), unix("2026-11-06T14:00:00Z")]
        );
    }

    #[test]
    fn start_date_is_included_even_on_an_unchosen_weekday() {
        // Starts on a Thursday, repeats on Mondays until (and including) Monday 14 December.
        let rec = Recurrence {
            weekdays: vec![Weekday::Monday],
            until: date(2026, 12, 14),
        };
        assert_eq!(
            days(date(2026, 12, 3), Some(&rec)),
            vec![date(2026, 12, 3), date(2026, 12, 7), date(2026, 12, 14)]
        );
        // `until` on the start date: just the start.
        let rec = Recurrence {
            weekdays: vec![Weekday::Monday],
            until: date(2026, 12, 3),
        };
        assert_eq!(days(date(2026, 12, 3), Some(&rec)), vec![date(2026, 12, 3)]);
    }

    #[test]
    fn every_day_for_three_months_is_cut_after_the_maximum() {
        let rec = Recurrence {
            weekdays: WEEKDAYS.iter().map(|(d, _)| *d).collect(),
            until: date(2027, 12, 31),
        };
        assert_eq!(
            days(date(2026, 12, 1), Some(&rec)).len(),
            MAX_OCCURRENCES + 1
        );
        // Weekdays of 3 months stay well under it.
        let rec = Recurrence {
            weekdays: WEEKDAYS[..5].iter().map(|(d, _)| *d).collect(),
            until: date(2027, 3, 1),
        };
        let n = days(date(2026, 12, 1), Some(&rec)).len();
        assert_eq!(n, 65);
    }

    #[test]
    fn weekday_names_round_trip() {
        for (d, n) in WEEKDAYS {
            assert_eq!(parse_weekday(n), Some(d));
            assert_eq!(weekday_name(d), n);
        }
        assert_eq!(parse_weekday(" MON "), Some(Weekday::Monday));
        assert_eq!(parse_weekday("lun"), None);
        assert_eq!(
            weekdays_to_string(&[Weekday::Friday, Weekday::Monday, Weekday::Friday]),
            "mon,fri"
        );
        let rec = of_stored("wed,mon", "2026-12-31").unwrap();
        assert_eq!(rec.weekdays, vec![Weekday::Monday, Weekday::Wednesday]);
        assert_eq!(rec.until, date(2026, 12, 31));
        assert_eq!(of_stored("", ""), None);
        assert_eq!(of_stored("mon,xyz", "2026-12-31"), None);
    }
}
