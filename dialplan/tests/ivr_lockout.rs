//! Issue #3, abuse: wrong codes keyed into IVRs are counted per source address and per
//! conference; at the threshold (5 in 10 min) the source is locked out, across calls, for the
//! lockout period. This drives `Ivr` and `Lockout` together the way the bridge does: every
//! `WrongCode` answer is recorded, and a locked source's calls are refused before any IVR.

mod common;

use std::net::{IpAddr, Ipv4Addr};

use common::*;
use dialplan::{Action, Entry, FailureOutcome, IvrConfig, LockoutConfig, LookupResult, Prompt};

const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7));
const OTHER: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 8));

/// One call from a room system that keys `codes` (all wrong) at conference 721051; the outcome
/// of each recorded failure.
fn call_with_wrong_codes(
    lockout: &mut dialplan::Lockout,
    h: &mut Harness,
    source: IpAddr,
    codes: usize,
) -> Vec<FailureOutcome> {
    h.actions();
    h.answer(ok(0));
    h.prompt_done();
    let mut outcomes = Vec::new();
    for _ in 0..codes {
        let asked = h.keys("0000#");
        assert_eq!(asked, [lookup("721051", Some("0000"))]);
        outcomes.push(lockout.record_failure(h.now, source, "721051"));
        h.answer(LookupResult::WrongCode);
        h.advance(secs(3.0));
        h.prompt_done();
    }
    outcomes
}

fn room_system() -> Entry {
    Entry::Conference {
        number: "721051".into(),
    }
}

#[test]
fn five_wrong_codes_over_two_calls_lock_the_source_out() {
    let mut lockout = dialplan::Lockout::new(LockoutConfig::default());

    let mut first = Harness::new(room_system());
    let outcomes = call_with_wrong_codes(&mut lockout, &mut first, ATTACKER, 3);
    assert_eq!(outcomes, [FailureOutcome::Counted; 3]);
    assert_eq!(
        first.log.last(),
        Some(&Action::Hangup),
        "3 wrong codes end the call"
    );
    assert!(first
        .prompts()
        .ends_with(&[Prompt::WrongCode, Prompt::TooManyAttempts]));

    // The second call starts where the first ended.
    let mut second = Harness::starting_at(first.now, IvrConfig::default(), room_system());
    assert!(!lockout.is_locked(second.now, ATTACKER));
    let outcomes = call_with_wrong_codes(&mut lockout, &mut second, ATTACKER, 2);
    assert_eq!(outcomes, [FailureOutcome::Counted, FailureOutcome::Locked]);
    assert_eq!(lockout.conference_failures(second.now, "721051"), 5);

    // A third call from that source is refused; another source is not.
    let later = second.now + secs(300.0);
    assert!(lockout.is_locked(later, ATTACKER));
    assert!(!lockout.is_locked(later, OTHER));
    // Ten minutes after the lockout began it is over.
    let lock_start = second.now - secs(3.0);
    assert!(!lockout.is_locked(lock_start + secs(600.0), ATTACKER));
}

#[test]
fn wrong_codes_spread_over_more_than_the_window_never_lock() {
    let mut lockout = dialplan::Lockout::new(LockoutConfig::default());
    let mut now = origin();
    for _ in 0..4 {
        let mut h = Harness::starting_at(now, IvrConfig::default(), room_system());
        let outcomes = call_with_wrong_codes(&mut lockout, &mut h, ATTACKER, 2);
        assert!(outcomes.iter().all(|o| *o == FailureOutcome::Counted));
        // The next call comes 6 minutes later.
        now = h.now + secs(360.0);
    }
}
