//! Issue #3, both number and code in the URI (`721051**1289`, `721051***1289`): straight in when
//! right; otherwise the full IVR, never saying which of the two was wrong.

mod common;

use common::*;
use dialplan::{classify, Action, Entry, LookupResult, Prompt, Route};

fn direct(user: &str) -> Entry {
    match classify(user, &[], "33") {
        Route::Direct { number, code } => Entry::Direct { number, code },
        other => panic!("{user:?} is not a direct route: {other:?}"),
    }
}

#[test]
fn both_uri_forms_join_directly() {
    for user in ["721051**1289", "721051***1289"] {
        let mut h = Harness::new(direct(user));
        assert_eq!(h.actions(), [lookup("721051", Some("1289"))], "{user:?}");
        // Straight in: no announcement to sit through.
        assert_eq!(h.answer(ok(2)), [join("721051")]);
        assert!(h.ivr.is_finished());
        assert!(h.prompts().is_empty(), "{:?}", h.prompts());
    }
}

#[test]
fn first_in_joins_at_once_too() {
    let mut h = Harness::new(direct("721051**1289"));
    h.actions();
    assert_eq!(h.answer(ok(0)), [join("721051")]);
}

/// A failed direct URI, then the caller goes through the full IVR.
fn fall_back(result: LookupResult) -> Harness {
    let mut h = Harness::new(direct("721051**0000"));
    h.actions();
    assert_eq!(
        h.answer(result),
        [play(&[Prompt::EnterConferenceNumber])],
        "{result:?}"
    );
    h
}

#[test]
fn a_wrong_code_or_a_wrong_number_fall_back_alike() {
    for result in [LookupResult::WrongCode, LookupResult::NotFound] {
        let mut h = fall_back(result);
        h.prompt_done();
        assert_eq!(h.keys("721051#"), [lookup("721051", None)]);
        assert_eq!(h.answer(ok(1)), [play(&[Prompt::EnterAccessCode])]);
        h.prompt_done();
        assert_eq!(h.keys("1289#"), [lookup("721051", Some("1289"))]);
        h.answer(ok(1));
        assert_eq!(h.prompt_done(), [join("721051")]);
        let heard = h.prompts();
        assert!(
            !heard.contains(&Prompt::NotFound) && !heard.contains(&Prompt::WrongCode),
            "{result:?}: the caller heard {heard:?}"
        );
        assert!(!heard.contains(&Prompt::Welcome));
    }
}

#[test]
fn the_failed_uri_does_not_use_an_attempt() {
    let mut h = fall_back(LookupResult::WrongCode);
    h.prompt_done();
    for _ in 0..2 {
        h.keys("111111#");
        assert_eq!(
            h.answer(LookupResult::NotFound),
            [play(&[Prompt::NotFound, Prompt::TryAgain])]
        );
        h.prompt_done();
    }
    h.keys("721051#");
    h.answer(ok(0));
    h.prompt_done();
    for _ in 0..2 {
        h.keys("0000#");
        assert_eq!(
            h.answer(LookupResult::WrongCode),
            [play(&[Prompt::WrongCode, Prompt::TryAgain])]
        );
        h.prompt_done();
    }
}

#[test]
fn the_fallback_keeps_the_number_from_the_caller_not_the_uri() {
    let mut h = fall_back(LookupResult::NotFound);
    h.prompt_done();
    h.keys("654321#");
    h.answer(ok(0));
    h.prompt_done();
    assert_eq!(h.keys("1289#"), [lookup("654321", Some("1289"))]);
    h.answer(ok(0));
    assert_eq!(h.prompt_done(), [join("654321")]);
}

#[test]
fn closing_answers_end_the_call() {
    for (result, prompt) in [
        (LookupResult::NotStarted, Prompt::NotStarted),
        (LookupResult::Ended, Prompt::Ended),
        (LookupResult::Full, Prompt::Full),
    ] {
        let mut h = Harness::new(direct("721051**1289"));
        h.actions();
        assert_eq!(h.answer(result), [play(&[prompt, Prompt::Goodbye])]);
        assert_eq!(h.prompt_done(), [Action::Hangup]);
    }
}
