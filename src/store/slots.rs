//! Number slots: the database constraint behind conference-number allocation.
//!
//! Time is cut into 5-minute slots. A conference claims, for its number, every slot its window
//! touches, from `early_secs` before its start (callers may join then) to its end, in
//! `number_slots`, whose primary key is `(number, slot)`. Two conferences whose windows overlap
//! share a slot, so the second insert fails on the key whatever the interleaving of the
//! transactions: the check cannot race. Rounding outwards to whole slots only ever refuses a
//! little more than the exact rule, never less.

use sqlx::AnyConnection;

/// Length of one slot in seconds.
pub(super) const SLOT_SECS: i64 = 300;

/// The slots `[first, last)` of a conference from `starts_at` to `ends_at`, joinable
/// `early_secs` before its start: the early-join time rounded down, the end rounded up.
pub(super) fn window(starts_at: i64, ends_at: i64, early_secs: i64) -> (i64, i64) {
    let first = (starts_at - early_secs.max(0)).div_euclid(SLOT_SECS);
    let last = (ends_at + SLOT_SECS - 1).div_euclid(SLOT_SECS);
    (first, last.max(first + 1))
}

/// Claim the slots `[first, last)` of `number` for `conference_id`, in one statement (a
/// recursive CTE generates the rows, so a long conference binds four values, not hundreds).
/// Fails with a unique violation (see [`is_clash`]) when any of them is taken.
pub(super) async fn claim(
    conn: &mut AnyConnection,
    number: &str,
    first: i64,
    last: i64,
    conference_id: &str,
) -> Result<(), sqlx::Error> {
    if first >= last {
        return Ok(());
    }
    sqlx::query(
        "WITH RECURSIVE s (slot) AS (\
           SELECT CAST($1 AS BIGINT) \
           UNION ALL SELECT slot + 1 FROM s WHERE slot + 1 < CAST($2 AS BIGINT)) \
         INSERT INTO number_slots (number, slot, conference_id) SELECT $3, slot, $4 FROM s",
    )
    .bind(first)
    .bind(last)
    .bind(number)
    .bind(conference_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Free the slots of every conference of a booking.
pub(super) async fn release_booking(
    conn: &mut AnyConnection,
    booking_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM number_slots WHERE conference_id IN \
         (SELECT id FROM conferences WHERE booking_id = $1)",
    )
    .bind(booking_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether `e` is a taken slot: a unique violation on `number_slots`. Both databases name the
/// table in the message (SQLite "UNIQUE constraint failed: number_slots.number, …", PostgreSQL
/// "… constraint \"number_slots_pkey\""), which keeps other unique keys from passing for a
/// busy number.
pub(super) fn is_clash(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            db.is_unique_violation() && db.message().contains("number_slots")
        }
        _ => false,
    }
}

/// Whether `e` is a transient conflict worth retrying the same transaction for: a PostgreSQL
/// deadlock or serialization failure, or SQLite still busy after its timeout.
pub(super) fn is_transient(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => matches!(
            db.code().as_deref(),
            // PostgreSQL SQLSTATEs; SQLite SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT, SQLITE_LOCKED.
            Some("40P01" | "40001" | "5" | "517" | "6")
        ),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_rounds_outwards() {
        // On slot boundaries: early-join 10 min before 10:00 → slots from 9:50, end 11:00 excluded.
        let t = 1_800_000_000; // divisible by 300
        assert_eq!(window(t, t + 3600, 600), (t / 300 - 2, t / 300 + 12));
        // Off boundaries: the early time rounds down, the end rounds up.
        assert_eq!(window(t + 1, t + 3601, 600), (t / 300 - 2, t / 300 + 13));
        // Never empty, never negative early-join.
        assert_eq!(window(t, t, 0), (t / 300, t / 300 + 1));
        assert_eq!(window(t, t + 300, -600), (t / 300, t / 300 + 1));
        // Floor, not truncation, before 1970.
        assert_eq!(window(-1, 1, 0), (-1, 1));
    }

    #[test]
    fn touching_windows_do_not_share_a_slot() {
        // A ends when B's early-join begins: the rule allows it, so must the slots.
        let t = 1_800_000_000;
        let a = window(t, t + 3600, 600);
        let b = window(t + 4200, t + 7800, 600);
        assert!(a.1 <= b.0, "{a:?} {b:?}");
        // Five minutes into A's end: they overlap.
        let c = window(t + 3900, t + 7800, 600);
        assert!(a.1 > c.0, "{a:?} {c:?}");
    }
}
