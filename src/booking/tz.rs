//! Time zones: IANA names (the embedded tz database, so a machine without tzdata still works),
//! local date-times → UTC. A local time that does not exist (spring forward) or exists twice
//! (fall back) is resolved the way calendar programs do: later for a gap, earlier for a fold.
//!
//! jiff reads the system's `/usr/share/zoneinfo` when there is one (it may be newer) and falls
//! back to the copy bundled into the binary (`tzdb-bundle-always`).

use jiff::civil::DateTime;
use jiff::tz::{self, TimeZone};
use jiff::Timestamp;

/// Areas of the canonical `Area/Location` names offered on the form. The database also holds
/// legacy links (`US/Eastern`, `Etc/GMT+5`, `CET`…): still accepted, not listed.
const AREAS: &[&str] = &[
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
];

/// The zone called `name`, if the database knows it.
pub fn zone(name: &str) -> Option<TimeZone> {
    // Reject what only looks like a name: jiff looks names up case-insensitively in a
    // directory, so keep to the characters IANA names are made of (no `..`, no absolute path).
    let plausible = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('/')
        && !name.contains("..")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_-+".contains(&b));
    if !plausible {
        return None;
    }
    tz::db().get(name).ok()
}

/// The database's spelling of `name` (`europe/paris` → `Europe/Paris`), if known.
pub fn canonical_name(name: &str) -> Option<String> {
    let zone = zone(name)?;
    Some(zone.iana_name().unwrap_or(name).to_string())
}

/// Whether `name` is an IANA zone we know.
pub fn is_zone(name: &str) -> bool {
    zone(name).is_some()
}

/// Every zone name, sorted (for the form's list): the canonical `Area/Location` names, and UTC.
pub fn zone_names() -> Vec<String> {
    let mut names: Vec<String> = tz::db()
        .available()
        .map(|n| n.as_str().to_string())
        .filter(|n| {
            n.split_once('/')
                .is_some_and(|(area, _)| AREAS.contains(&area))
        })
        .collect();
    names.push("UTC".to_string());
    names.sort();
    names.dedup();
    names
}

/// A local date-time in `zone` → Unix seconds. In a gap (spring forward) the instant is the
/// one after the gap (02:30 → 03:30); in a fold (fall back) it is the first of the two.
pub fn to_unix(local: DateTime, zone: &str) -> Option<i64> {
    let zone = self::zone(zone)?;
    // `compatible` is RFC 5545's rule: later in a gap, earlier in a fold.
    let ts = zone.to_ambiguous_timestamp(local).compatible().ok()?;
    Some(ts.as_second())
}

/// Unix seconds → local date-time in `zone`.
pub fn to_local(unix: i64, zone: &str) -> Option<DateTime> {
    let zone = self::zone(zone)?;
    let ts = Timestamp::from_second(unix).ok()?;
    Some(zone.to_datetime(ts))
}

/// `2026-12-01 10:00`: how local times are printed on sheets, subjects and lists.
pub fn format_local(local: DateTime) -> String {
    local.strftime("%Y-%m-%d %H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn unix(s: &str) -> i64 {
        s.parse::<Timestamp>().unwrap().as_second()
    }

    #[test]
    fn known_and_unknown_zones() {
        assert!(is_zone("Europe/Paris"));
        assert!(is_zone("America/New_York"));
        assert!(is_zone("UTC"));
        assert!(!is_zone("Europe/Atlantis"));
        assert!(!is_zone(""));
        assert!(!is_zone("../../etc/passwd"));
        assert!(!is_zone("/usr/share/zoneinfo/Europe/Paris"));
        assert!(!is_zone("Europe/Paris "));
        assert_eq!(
            canonical_name("europe/paris").as_deref(),
            Some("Europe/Paris")
        );
    }

    #[test]
    fn names_are_sorted_and_canonical() {
        let names = zone_names();
        assert!(names.len() > 300, "{} names", names.len());
        assert!(names.windows(2).all(|w| w[0] < w[1]));
        for n in ["Europe/Paris", "America/New_York", "Pacific/Noumea", "UTC"] {
            assert!(names.iter().any(|x| x == n), "{n} missing");
        }
        assert!(!names.iter().any(|x| x == "US/Eastern" || x == "posixrules"));
        assert!(names.iter().all(|n| is_zone(n)));
    }

    #[test]
    fn paris_winter_and_summer() {
        // Winter: UTC+1; summer: UTC+2.
        let winter = to_unix(date(2026, 12, 1).at(10, 0, 0, 0), "Europe/Paris").unwrap();
        assert_eq!(winter, unix("2026-12-01T09:00:00Z"));
        let summer = to_unix(date(2026, 7, 1).at(10, 0, 0, 0), "Europe/Paris").unwrap();
        assert_eq!(summer, unix("2026-07-01T08:00:00Z"));
        assert_eq!(
            to_local(winter, "Europe/Paris"),
            Some(date(2026, 12, 1).at(10, 0, 0, 0))
        );
        assert_eq!(
            to_local(summer, "Europe/Paris"),
            Some(date(2026, 7, 1).at(10, 0, 0, 0))
        );
    }

    #[test]
    fn paris_gap_takes_the_later_instant() {
        // 2026-03-29 02:00 → 03:00: 02:30 does not exist; it is read as 03:30 CEST.
        let t = to_unix(date(2026, 3, 29).at(2, 30, 0, 0), "Europe/Paris").unwrap();
        assert_eq!(t, unix("2026-03-29T01:30:00Z"));
        assert_eq!(
            to_local(t, "Europe/Paris"),
            Some(date(2026, 3, 29).at(3, 30, 0, 0))
        );
    }

    #[test]
    fn paris_fold_takes_the_earlier_instant() {
        // 2026-10-25 03:00 → 02:00: 02:30 happens twice; the first is 02:30 CEST (00:30 UTC).
        let t = to_unix(date(2026, 10, 25).at(2, 30, 0, 0), "Europe/Paris").unwrap();
        assert_eq!(t, unix("2026-10-25T00:30:00Z"));
        // Both instants read back as 02:30.
        assert_eq!(
            to_local(t, "Europe/Paris"),
            Some(date(2026, 10, 25).at(2, 30, 0, 0))
        );
        assert_eq!(
            to_local(t + 3600, "Europe/Paris"),
            Some(date(2026, 10, 25).at(2, 30, 0, 0))
        );
    }

    #[test]
    fn new_york_changes() {
        let ny = "America/New_York";
        // 2026-03-08 02:00 → 03:00 (EST → EDT): 02:30 is 03:30 EDT = 07:30 UTC.
        let gap = to_unix(date(2026, 3, 8).at(2, 30, 0, 0), ny).unwrap();
        assert_eq!(gap, unix("2026-03-08T07:30:00Z"));
        // 2026-11-01 02:00 → 01:00 (EDT → EST): 01:30 EDT = 05:30 UTC comes first.
        let fold = to_unix(date(2026, 11, 1).at(1, 30, 0, 0), ny).unwrap();
        assert_eq!(fold, unix("2026-11-01T05:30:00Z"));
        let winter = to_unix(date(2026, 12, 1).at(9, 0, 0, 0), ny).unwrap();
        assert_eq!(winter, unix("2026-12-01T14:00:00Z"));
    }

    #[test]
    fn unknown_zone_converts_nothing() {
        assert_eq!(
            to_unix(date(2026, 1, 1).at(0, 0, 0, 0), "Mars/Olympus"),
            None
        );
        assert_eq!(to_local(0, "Mars/Olympus"), None);
    }

    #[test]
    fn local_format() {
        assert_eq!(
            format_local(date(2026, 3, 9).at(7, 5, 0, 0)),
            "2026-03-09 07:05"
        );
    }
}
