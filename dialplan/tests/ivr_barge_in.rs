//! Issue #3, barge-in: a digit pressed during a prompt stops it and is kept; the stopped prompt
//! is not replayed, and its (possible) end notice does not move the IVR on a second time.
//! Digits with nowhere to go (a lookup is out, the last prompts play) are ignored.

mod common;

use common::*;
use dialplan::{Action, Entry, LookupResult, Prompt};

#[test]
fn a_digit_during_the_welcome_stops_it_and_is_kept() {
    let mut h = Harness::new(Entry::Gateway);
    h.actions();
    assert_eq!(h.keys("7"), [Action::StopPrompt]);
    assert_eq!(h.keys("21051#"), [lookup("721051", None)]);
    assert_eq!(
        h.prompts(),
        [Prompt::Welcome, Prompt::EnterConferenceNumber],
        "nothing replayed"
    );
}

#[test]
fn the_stopped_prompts_end_notice_is_ignored() {
    let mut h = Harness::new(Entry::Gateway);
    h.actions();
    h.advance(secs(1.0));
    assert_eq!(h.keys("7"), [Action::StopPrompt]);
    // The inter-digit wait runs; a late "finished" for the stopped prompt changes nothing.
    assert_eq!(h.timeout_in(), Some(5.0));
    assert!(h.prompt_done().is_empty());
    assert_eq!(h.timeout_in(), Some(5.0));
    h.advance(secs(2.0));
    h.keys("21051");
    assert_eq!(h.advance(secs(5.0)), [lookup("721051", None)]);
    assert_eq!(
        h.log
            .iter()
            .filter(|a| matches!(a, Action::Lookup { .. }))
            .count(),
        1
    );
}

#[test]
fn only_the_first_digit_stops_the_prompt() {
    let mut h = Harness::new(Entry::Gateway);
    h.actions();
    assert_eq!(h.keys("721051"), [Action::StopPrompt]);
}

#[test]
fn barge_in_on_the_code_prompt_and_on_try_again() {
    let mut h = Harness::new(Entry::Gateway);
    h.prompt_done();
    h.keys("721051#");
    assert_eq!(h.answer(ok(0)), [play(&[Prompt::EnterAccessCode])]);
    assert_eq!(
        h.keys("0000#"),
        [Action::StopPrompt, lookup("721051", Some("0000"))]
    );
    assert_eq!(
        h.answer(LookupResult::WrongCode),
        [play(&[Prompt::WrongCode, Prompt::TryAgain])]
    );
    assert_eq!(
        h.keys("1289#"),
        [Action::StopPrompt, lookup("721051", Some("1289"))]
    );
    h.answer(ok(1));
    assert_eq!(h.prompt_done(), [join("721051")]);
}

#[test]
fn star_during_a_prompt_stops_it() {
    let mut h = Harness::new(Entry::Gateway);
    h.actions();
    assert_eq!(h.keys("*"), [Action::StopPrompt]);
    // Nothing entered: the first-digit wait starts from the key.
    assert_eq!(h.timeout_in(), Some(10.0));
}

#[test]
fn hash_during_a_prompt_replays_the_question() {
    let mut h = Harness::new(Entry::Gateway);
    h.actions();
    assert_eq!(
        h.keys("#"),
        [Action::StopPrompt, play(&[Prompt::EnterConferenceNumber])]
    );
}

#[test]
fn letters_do_not_barge_in() {
    let mut h = Harness::new(Entry::Gateway);
    h.actions();
    assert!(h.keys("ABCD").is_empty());
}

#[test]
fn digits_while_a_lookup_is_out_are_ignored() {
    let mut h = Harness::new(Entry::Gateway);
    h.prompt_done();
    h.keys("721051#");
    assert!(h.keys("1289#").is_empty());
    assert_eq!(h.answer(ok(0)), [play(&[Prompt::EnterAccessCode])]);
    h.prompt_done();
    // The early "1289#" is gone: the code entry starts empty.
    assert_eq!(h.keys("4321#"), [lookup("721051", Some("4321"))]);
}

#[test]
fn the_last_prompts_cannot_be_interrupted() {
    let mut h = Harness::new(Entry::Gateway);
    h.reach_code_prompt();
    h.keys("1289#");
    h.answer(ok(4));
    assert!(
        h.keys("5").is_empty(),
        "no StopPrompt during the join announcement"
    );
    assert_eq!(h.prompt_done(), [join("721051")]);

    let mut h = Harness::new(Entry::Gateway);
    h.prompt_done();
    h.keys("721051#");
    h.answer(LookupResult::Ended);
    assert!(h.keys("1").is_empty(), "no StopPrompt during the goodbye");
    assert_eq!(h.prompt_done(), [Action::Hangup]);
}
