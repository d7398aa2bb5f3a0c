//! Time zones: IANA names (the embedded tz database, so a machine without tzdata still works),
//! local date-times → UTC. A local time that does not exist (spring forward) or exists twice
//! (fall back) is resolved the way calendar programs do: later for a gap, earlier for a fold.

/// Whether `name` is an IANA zone we know.
pub fn is_zone(name: &str) -> bool {
    let _ = name;
    todo!("issue #4: booking helper")
}

/// Every zone name, sorted (for the form's list).
pub fn zone_names() -> Vec<String> {
    todo!("issue #4: booking helper")
}

/// A local date-time in `zone` → Unix seconds.
pub fn to_unix(local: jiff::civil::DateTime, zone: &str) -> Option<i64> {
    let _ = (local, zone);
    todo!("issue #4: booking helper")
}

/// Unix seconds → local date-time in `zone`.
pub fn to_local(unix: i64, zone: &str) -> Option<jiff::civil::DateTime> {
    let _ = (unix, zone);
    todo!("issue #4: booking helper")
}
