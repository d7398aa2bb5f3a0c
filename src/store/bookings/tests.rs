//! Bookings on SQLite and PostgreSQL: the life of a booking, number allocation (including 16
//! concurrent bookings racing for one number), and the mails queued with each change.

use std::collections::HashSet;

use super::*;
use crate::store::{temp_stores, NumberStatus, EARLY_JOIN_SECS};

/// A Monday 10:00 UTC, on a 5-minute boundary.
const T: i64 = 1_800_000_000;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

fn new_booking(owner: &str, start: i64, minutes: i64) -> NewBooking {
    NewBooking {
        owner_id: Some(owner.into()),
        title: "Weekly".into(),
        access_code: "1289".into(),
        time_zone: "Europe/Paris".into(),
        local_start: "2027-01-15T11:00".into(),
        duration_minutes: minutes,
        kind: "video".into(),
        layout: String::new(),
        capacity: 12,
        comment: "Bring the slides".into(),
        recipients: vec!["b@example.org".into(), "a@example.org".into()],
        recurrence_weekdays: String::new(),
        recurrence_until: String::new(),
        language: "en".into(),
        occurrences: vec![(start, start + minutes * 60)],
    }
}

fn alloc(preferred: Option<&str>, only: bool, seed: u64) -> NumberAlloc {
    NumberAlloc {
        digits: 6,
        early_secs: EARLY_JOIN_SECS,
        preferred: preferred.map(str::to_string),
        only_preferred: only,
        seed,
    }
}

fn no_mails(_: &Booking) -> Vec<NewMail> {
    Vec::new()
}

/// One mail per recipient, its subject naming the number (so a test sees the closure ran
/// after allocation).
fn mails_with(method: &'static str) -> impl FnOnce(&Booking) -> Vec<NewMail> + Send {
    move |b: &Booking| {
        b.recipients
            .iter()
            .map(|r| NewMail {
                recipient: r.clone(),
                subject: format!("{} {} #{}", method, b.number, b.sequence),
                body: format!("conference {}", b.number),
                ics: format!("BEGIN:VCALENDAR\r\nMETHOD:{method}\r\nEND:VCALENDAR\r\n"),
                ics_method: method.into(),
            })
            .collect()
    }
}

async fn owner(store: &Store, name: &str) -> String {
    store
        .upsert_user(name, "$argon2id$x", false, T)
        .await
        .unwrap()
        .0
        .id
}

#[tokio::test]
async fn every_occurrence_carries_the_booking_layout() {
    let (_dir, stores) = temp_stores().await;
    for store in stores {
        let alice = owner(&store, "alice").await;
        let mut new = new_booking(&alice, T, 60);
        new.layout = "2x2".into();
        new.occurrences = (0..3).map(|d| (T + d * DAY, T + d * DAY + HOUR)).collect();
        let b = store
            .create_booking(&new, &alloc(None, false, 3), T - DAY, no_mails)
            .await
            .unwrap();
        assert_eq!(b.layout, "2x2");
        assert_eq!(store.booking(&b.id).await.unwrap().unwrap().layout, "2x2");
        // Each occurrence as the bridge reads it at its own time.
        for d in 0..3 {
            let NumberStatus::Open(conf) = store
                .lookup(&b.number, T + d * DAY, EARLY_JOIN_SECS)
                .await
                .unwrap()
            else {
                panic!("occurrence {d} not open");
            };
            assert_eq!(conf.layout, "2x2", "occurrence {d}");
        }

        // A change replaces the layout on the booking and on every (new) occurrence.
        new.layout = "3x3".into();
        let u = store
            .update_booking(&b.id, &new, &alloc(None, false, 4), T - DAY, no_mails)
            .await
            .unwrap();
        assert_eq!(u.layout, "3x3");
        let stored = store.booking(&b.id).await.unwrap().unwrap();
        assert_eq!(stored.layout, "3x3");
        assert_eq!(stored.occurrences.len(), 3);
        assert!(stored.occurrences.iter().all(|c| c.layout == "3x3"));

        // Back to the default.
        new.layout = String::new();
        store
            .update_booking(&b.id, &new, &alloc(None, false, 5), T - DAY, no_mails)
            .await
            .unwrap();
        let stored = store.booking(&b.id).await.unwrap().unwrap();
        assert_eq!(stored.layout, "");
        assert!(stored.occurrences.iter().all(|c| c.layout.is_empty()));
    }
}

#[tokio::test]
async fn create_read_update_cancel() {
    let (_dir, stores) = temp_stores().await;
    for store in stores {
        let alice = owner(&store, "alice").await;
        let new = new_booking(&alice, T, 60);
        let b = store
            .create_booking(&new, &alloc(None, false, 7), T - DAY, no_mails)
            .await
            .unwrap();
        assert_eq!(b.number.len(), 6);
        assert_ne!(b.number.as_bytes()[0], b'0');
        assert_eq!(b.sequence, 0);
        assert_eq!(b.cancelled_at, None);
        assert_eq!(b.owner_id.as_deref(), Some(alice.as_str()));
        assert_eq!(b.recipients, ["b@example.org", "a@example.org"]);
        assert_eq!(b.created_at, T - DAY);
        assert!(b.modify_token.len() >= 43, "{}", b.modify_token);
        assert_eq!(b.occurrences.len(), 1);
        let conf = &b.occurrences[0];
        assert_eq!((conf.starts_at, conf.ends_at), (T, T + HOUR));
        assert_eq!(
            (conf.kind.as_str(), conf.language.as_str()),
            ("video", "en")
        );
        assert_eq!((conf.capacity, conf.access_code.as_str()), (12, "1289"));

        // Read back every way: what was returned is what is stored.
        assert_eq!(store.booking(&b.id).await.unwrap().as_ref(), Some(&b));
        assert_eq!(
            store
                .booking_by_token(&b.modify_token)
                .await
                .unwrap()
                .as_ref(),
            Some(&b)
        );
        assert_eq!(store.booking_by_token("nope").await.unwrap(), None);
        assert_eq!(store.booking_by_token("").await.unwrap(), None);
        assert_eq!(store.bookings(Some(&alice)).await.unwrap(), vec![b.clone()]);
        assert_eq!(store.bookings(None).await.unwrap(), vec![b.clone()]);
        assert!(store.bookings(Some("someone")).await.unwrap().is_empty());
        // The dial plan sees it as a conference like any other.
        assert_eq!(
            store.lookup(&b.number, T, EARLY_JOIN_SECS).await.unwrap(),
            NumberStatus::Open(conf.clone())
        );

        // Change: later, longer, other recipients in a new order; the number stays.
        let mut changed = new_booking(&alice, T + 2 * HOUR, 90);
        changed.title = "Weekly (moved)".into();
        changed.recipients = vec!["c@example.org".into(), "b@example.org".into()];
        let u = store
            .update_booking(&b.id, &changed, &alloc(None, false, 8), T - 10, no_mails)
            .await
            .unwrap();
        assert_eq!(u.number, b.number);
        assert_eq!(u.sequence, 1);
        assert_eq!(u.title, "Weekly (moved)");
        assert_eq!(u.recipients, ["c@example.org", "b@example.org"]);
        assert_eq!((u.created_at, u.updated_at), (T - DAY, T - 10));
        assert_eq!(u.modify_token, b.modify_token);
        assert_eq!(u.occurrences.len(), 1);
        assert_eq!(
            (u.occurrences[0].starts_at, u.occurrences[0].ends_at),
            (T + 2 * HOUR, T + 2 * HOUR + 90 * 60)
        );
        assert_eq!(store.booking(&b.id).await.unwrap().as_ref(), Some(&u));
        // The old time is free, the new one taken.
        assert!(matches!(
            store.lookup(&b.number, T, EARLY_JOIN_SECS).await.unwrap(),
            NumberStatus::NotStarted(_)
        ));
        assert_eq!(store.list_conferences().await.unwrap().len(), 1);

        // Cancel: the row stays, its conferences go.
        let c = store.cancel_booking(&b.id, T, no_mails).await.unwrap();
        assert_eq!(c.sequence, 2);
        assert_eq!(c.cancelled_at, Some(T));
        assert!(c.occurrences.is_empty());
        assert_eq!(c.recipients, u.recipients);
        assert_eq!(store.booking(&b.id).await.unwrap().as_ref(), Some(&c));
        assert_eq!(
            store
                .lookup(&b.number, T + 2 * HOUR, EARLY_JOIN_SECS)
                .await
                .unwrap(),
            NumberStatus::NotFound
        );
        assert!(store.list_conferences().await.unwrap().is_empty());
        assert_eq!(store.bookings(Some(&alice)).await.unwrap(), vec![c]);
        // Neither a cancelled nor an unknown booking can be changed or cancelled again.
        assert!(matches!(
            store.cancel_booking(&b.id, T, no_mails).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store
                .update_booking(&b.id, &changed, &alloc(None, false, 9), T, no_mails)
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.cancel_booking("missing", T, no_mails).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(store.booking("missing").await.unwrap(), None);
    }
}

#[tokio::test]
async fn cancelled_booking_frees_its_number() {
    let (_dir, stores) = temp_stores().await;
    for store in stores {
        let alice = owner(&store, "alice").await;
        let want = alloc(Some("555123"), true, 1);
        let a = store
            .create_booking(&new_booking(&alice, T, 60), &want, T, no_mails)
            .await
            .unwrap();
        assert_eq!(a.number, "555123");
        let err = store
            .create_booking(&new_booking(&alice, T + 1800, 60), &want, T, no_mails)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::NumberTaken(n) if n == "555123"),
            "{err}"
        );
        // Nothing of the refused booking was kept.
        assert_eq!(store.bookings(None).await.unwrap().len(), 1);
        store.cancel_booking(&a.id, T, no_mails).await.unwrap();
        let b = store
            .create_booking(&new_booking(&alice, T + 1800, 60), &want, T, no_mails)
            .await
            .unwrap();
        assert_eq!(b.number, "555123");
        let NumberStatus::Open(open) = store.lookup("555123", T + 1800, 0).await.unwrap() else {
            panic!("the new booking is not open");
        };
        assert_eq!(open.id, b.occurrences[0].id);
    }
}

#[tokio::test]
async fn overlap_rules_for_one_number() {
    let (_dir, stores) = temp_stores().await;
    for store in stores {
        let alice = owner(&store, "alice").await;
        let want = alloc(Some("721051"), true, 1);
        let book = |start, minutes| {
            let store = store.clone();
            let new = new_booking(&alice, start, minutes);
            let want = want.clone();
            async move { store.create_booking(&new, &want, T, no_mails).await }
        };
        book(T, 60).await.unwrap();
        // Starts when the first ends, but its early-join window (10 min) overlaps it.
        assert!(matches!(
            book(T + HOUR, 60).await,
            Err(StoreError::NumberTaken(_))
        ));
        assert!(matches!(
            book(T + HOUR + 300, 60).await,
            Err(StoreError::NumberTaken(_))
        ));
        // Ends inside the first one's early-join window.
        assert!(matches!(
            book(T - HOUR - 300, 60).await,
            Err(StoreError::NumberTaken(_))
        ));
        // Just clear of it on both sides: the number is shared in time.
        book(T + HOUR + EARLY_JOIN_SECS, 60).await.unwrap();
        book(T - HOUR - EARLY_JOIN_SECS, 60).await.unwrap();
        // The CLI path obeys the same slots.
        let cli = crate::store::NewConference {
            number: "721051".into(),
            title: "CLI".into(),
            access_code: "1111".into(),
            starts_at: T + 1800,
            duration_minutes: 30,
            capacity: 5,
            kind: "audio".into(),
            layout: String::new(),
        };
        assert!(matches!(
            store.add_conference(&cli, T).await,
            Err(StoreError::NumberTaken(_))
        ));
        assert_eq!(store.list_conferences().await.unwrap().len(), 3);
    }
}

#[tokio::test]
async fn concurrent_bookings_get_distinct_numbers() {
    let (_dir, stores) = temp_stores().await;
    for store in stores {
        let alice = owner(&store, "alice").await;
        let tasks: Vec<_> = (0..16u64)
            .map(|i| {
                let store = store.clone();
                // Overlapping windows: each starts 5 minutes after the previous, lasts 2 h.
                let new = new_booking(&alice, T + i as i64 * 300, 120);
                tokio::spawn(async move {
                    store
                        .create_booking(&new, &alloc(Some("424242"), false, i), T, no_mails)
                        .await
                })
            })
            .collect();
        let mut numbers = Vec::new();
        for task in tasks {
            let booking = tokio::time::timeout(std::time::Duration::from_secs(60), task)
                .await
                .expect("booking finished in time")
                .unwrap()
                .unwrap();
            numbers.push(booking.number);
        }
        assert_eq!(
            numbers.iter().filter(|n| *n == "424242").count(),
            1,
            "{numbers:?}"
        );
        let distinct: HashSet<_> = numbers.iter().collect();
        assert_eq!(distinct.len(), 16, "{numbers:?}");
        let conferences = store.list_conferences().await.unwrap();
        assert_eq!(conferences.len(), 16);
    }
}

#[tokio::test]
async fn update_keeps_or_changes_the_number() {
    let (_dir, stores) = temp_stores().await;
    for store in stores {
        let alice = owner(&store, "alice").await;
        let a = store
            .create_booking(
                &new_booking(&alice, T, 60),
                &alloc(Some("111111"), true, 1),
                T,
                no_mails,
            )
            .await
            .unwrap();
        let b = store
            .create_booking(
                &new_booking(&alice, T + DAY, 60),
                &alloc(Some("111111"), true, 2),
                T,
                no_mails,
            )
            .await
            .unwrap();
        assert_eq!(b.number, "111111");
        // Moving B onto A's time: its number is busy then, so B gets another.
        let moved = store
            .update_booking(
                &b.id,
                &new_booking(&alice, T + 1800, 60),
                &alloc(None, false, 3),
                T,
                no_mails,
            )
            .await
            .unwrap();
        assert_ne!(moved.number, "111111");
        assert_eq!(moved.sequence, 1);
        // Moving it back to a free time keeps the number it now has.
        let back = store
            .update_booking(
                &b.id,
                &new_booking(&alice, T + DAY, 60),
                &alloc(None, false, 4),
                T,
                no_mails,
            )
            .await
            .unwrap();
        assert_eq!(back.number, moved.number);
        // A change with only_preferred on a busy number fails and leaves the booking as it was.
        let err = store
            .update_booking(
                &b.id,
                &new_booking(&alice, T, 60),
                &alloc(Some("111111"), true, 5),
                T,
                no_mails,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NumberTaken(_)), "{err}");
        assert_eq!(store.booking(&b.id).await.unwrap().as_ref(), Some(&back));
        // A small change of its own times never clashes with itself.
        let longer = store
            .update_booking(
                &a.id,
                &new_booking(&alice, T, 90),
                &alloc(None, false, 6),
                T,
                no_mails,
            )
            .await
            .unwrap();
        assert_eq!(longer.number, "111111");
    }
}

#[tokio::test]
async fn recurrence_claims_every_occurrence() {
    let (_dir, stores) = temp_stores().await;
    for store in stores {
        let alice = owner(&store, "alice").await;
        let mut weekly = new_booking(&alice, T, 60);
        weekly.recurrence_weekdays = "mon".into();
        weekly.recurrence_until = "2027-02-01".into();
        // Given out of order: stored by start.
        weekly.occurrences = vec![
            (T + 14 * DAY, T + 14 * DAY + HOUR),
            (T, T + HOUR),
            (T + 7 * DAY, T + 7 * DAY + HOUR),
        ];
        let w = store
            .create_booking(&weekly, &alloc(Some("300300"), true, 1), T, no_mails)
            .await
            .unwrap();
        let starts: Vec<_> = w.occurrences.iter().map(|c| c.starts_at).collect();
        assert_eq!(starts, [T, T + 7 * DAY, T + 14 * DAY]);
        assert!(w.occurrences.iter().all(|c| c.number == "300300"));
        // The second week is busy for that number; the days between are free.
        let want = alloc(Some("300300"), true, 2);
        let clash = new_booking(&alice, T + 7 * DAY + 1800, 60);
        assert!(matches!(
            store.create_booking(&clash, &want, T, no_mails).await,
            Err(StoreError::NumberTaken(_))
        ));
        let free = new_booking(&alice, T + 3 * DAY, 60);
        store
            .create_booking(&free, &want, T, no_mails)
            .await
            .unwrap();
        // Back-to-back occurrences of one booking share a rounded slot without clashing.
        let mut tight = new_booking(&alice, T + 30 * DAY, 60);
        tight.occurrences = vec![
            (T + 30 * DAY, T + 30 * DAY + HOUR),
            (T + 30 * DAY + HOUR, T + 30 * DAY + 2 * HOUR),
        ];
        let t = store
            .create_booking(&tight, &alloc(Some("300300"), true, 3), T, no_mails)
            .await
            .unwrap();
        assert_eq!(t.occurrences.len(), 2);
        // Cancelling frees every occurrence's slots.
        store.cancel_booking(&w.id, T, no_mails).await.unwrap();
        store
            .create_booking(&clash, &want, T, no_mails)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn bad_requests_refused() {
    let (_dir, stores) = temp_stores().await;
    let store = &stores[0];
    let alice = owner(store, "alice").await;
    let mut empty = new_booking(&alice, T, 60);
    empty.occurrences.clear();
    let err = store
        .create_booking(&empty, &alloc(None, false, 1), T, no_mails)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    let err = store
        .create_booking(
            &new_booking(&alice, T, 60),
            &alloc(Some("12a"), false, 1),
            T,
            no_mails,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    assert!(store.bookings(None).await.unwrap().is_empty());
}

#[test]
fn candidates_are_deterministic_digits() {
    let a = candidates(&alloc(Some("42"), false, 99)).unwrap();
    assert_eq!(a, candidates(&alloc(Some("42"), false, 99)).unwrap());
    assert_ne!(a, candidates(&alloc(Some("42"), false, 100)).unwrap());
    assert_eq!(a[0], "42");
    assert_eq!(a.len(), MAX_CANDIDATES);
    for n in &a[1..] {
        assert_eq!(n.len(), 6, "{n}");
        assert_ne!(n.as_bytes()[0], b'0', "{n}");
    }
    assert_eq!(a.iter().collect::<HashSet<_>>().len(), a.len());
    assert_eq!(candidates(&alloc(Some("42"), true, 1)).unwrap(), ["42"]);
    // One digit: only nine numbers exist; the list stops there instead of looping.
    let one = candidates(&NumberAlloc {
        digits: 1,
        ..alloc(None, false, 5)
    })
    .unwrap();
    assert_eq!(one.len(), 9);
}

#[tokio::test]
async fn numbers_exhausted_when_every_candidate_is_busy() {
    let (_dir, stores) = temp_stores().await;
    for store in stores {
        let alice = owner(&store, "alice").await;
        let one_digit = NumberAlloc {
            digits: 1,
            ..alloc(None, false, 5)
        };
        for _ in 0..9 {
            store
                .create_booking(&new_booking(&alice, T, 60), &one_digit, T, no_mails)
                .await
                .unwrap();
        }
        let err = store
            .create_booking(&new_booking(&alice, T, 60), &one_digit, T, no_mails)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NumbersExhausted), "{err}");
        assert_eq!(store.bookings(None).await.unwrap().len(), 9);
    }
}

#[tokio::test]
async fn mails_are_queued_with_each_change() {
    let (_dir, stores) = temp_stores().await;
    for store in stores {
        let alice = owner(&store, "alice").await;
        let b = store
            .create_booking(
                &new_booking(&alice, T, 60),
                &alloc(None, false, 1),
                T,
                mails_with("REQUEST"),
            )
            .await
            .unwrap();
        let due = store.due_mails(T, 10).await.unwrap();
        assert_eq!(due.len(), 2);
        assert_eq!(due[0].recipient, "b@example.org");
        assert_eq!(due[1].recipient, "a@example.org");
        assert!(due.iter().all(|m| m.booking_id == b.id && m.attempts == 0));
        // The closure ran once the number was known.
        assert_eq!(due[0].subject, format!("REQUEST {} #0", b.number));
        assert_eq!(due[0].ics_method, "REQUEST");
        assert!(due[0].ics.contains("METHOD:REQUEST\r\n"));
        store
            .update_booking(
                &b.id,
                &new_booking(&alice, T + HOUR, 60),
                &alloc(None, false, 2),
                T + 1,
                mails_with("REQUEST"),
            )
            .await
            .unwrap();
        store
            .cancel_booking(&b.id, T + 2, mails_with("CANCEL"))
            .await
            .unwrap();
        let due = store.due_mails(T + 2, 100).await.unwrap();
        let subjects: Vec<_> = due.iter().map(|m| m.subject.as_str()).collect();
        let n = &b.number;
        assert_eq!(
            subjects,
            [
                format!("REQUEST {n} #0"),
                format!("REQUEST {n} #0"),
                format!("REQUEST {n} #1"),
                format!("REQUEST {n} #1"),
                format!("CANCEL {n} #2"),
                format!("CANCEL {n} #2"),
            ]
        );
        assert_eq!(store.outbox_backlog().await.unwrap(), 6);
        // A refused booking queues nothing.
        let taken = alloc(Some(n.as_str()), true, 3);
        let other = store
            .create_booking(&new_booking(&alice, T + 10 * DAY, 60), &taken, T, no_mails)
            .await
            .unwrap();
        assert!(store
            .create_booking(
                &new_booking(&alice, T + 10 * DAY, 60),
                &taken,
                T,
                mails_with("REQUEST")
            )
            .await
            .is_err());
        assert_eq!(store.outbox_backlog().await.unwrap(), 6);
        assert_eq!(other.number, *n);
    }
}

#[tokio::test]
async fn overlap_warning_and_counts() {
    let (_dir, stores) = temp_stores().await;
    for store in stores {
        let alice = owner(&store, "alice").await;
        let bob = owner(&store, "bob").await;
        let any = || alloc(None, false, rand::random());
        let a1 = store
            .create_booking(&new_booking(&alice, T, 60), &any(), T, no_mails)
            .await
            .unwrap();
        let a2 = store
            .create_booking(&new_booking(&alice, T + DAY, 60), &any(), T, no_mails)
            .await
            .unwrap();
        store
            .create_booking(&new_booking(&bob, T, 60), &any(), T, no_mails)
            .await
            .unwrap();
        let ids = |list: Vec<Booking>| list.into_iter().map(|b| b.id).collect::<Vec<_>>();
        // Only alice's own bookings, only real overlaps, by start.
        let hit = store
            .overlapping_bookings(&alice, &[(T + 1800, T + 5400)], None)
            .await
            .unwrap();
        assert_eq!(ids(hit), std::slice::from_ref(&a1.id));
        let hit = store
            .overlapping_bookings(
                &alice,
                &[(T + DAY - 60, T + DAY + 60), (T + 10, T + 20)],
                None,
            )
            .await
            .unwrap();
        assert_eq!(ids(hit), [a1.id.clone(), a2.id.clone()]);
        // Touching is not overlapping; the booking being changed does not warn about itself.
        let touching = [(T + HOUR, T + 2 * HOUR)];
        assert!(store
            .overlapping_bookings(&alice, &touching, None)
            .await
            .unwrap()
            .is_empty());
        assert!(store
            .overlapping_bookings(&alice, &[(T, T + HOUR)], Some(&a1.id))
            .await
            .unwrap()
            .is_empty());
        assert!(store
            .overlapping_bookings(&alice, &[], None)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(store.upcoming_booking_count(T).await.unwrap(), 3);
        // Once today's are over, only alice's tomorrow is left; a cancelled one does not count.
        assert_eq!(store.upcoming_booking_count(T + HOUR).await.unwrap(), 1);
        store.cancel_booking(&a2.id, T, no_mails).await.unwrap();
        assert_eq!(store.upcoming_booking_count(T + HOUR).await.unwrap(), 0);
        assert!(store
            .overlapping_bookings(&alice, &[(T + DAY, T + DAY + 60)], None)
            .await
            .unwrap()
            .is_empty());
    }
}
