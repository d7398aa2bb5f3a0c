//! Issue #3, the happy paths and the store's answers: a caller of the gateway number keys the
//! conference number then the access code; room systems and GDS strings skip to the code; an
//! unknown URI number falls back to asking for the number; NotStarted / Ended / Full end the
//! call after their prompt; the caller joins after hearing how many are in.

mod common;

use common::*;
use dialplan::{classify, Action, Entry, GatewayNumber, LookupResult, Prompt, Route};

#[test]
fn gateway_number_then_code_then_first_participant() {
    let mut h = Harness::new(Entry::Gateway);
    assert_eq!(
        h.actions(),
        [play(&[Prompt::Welcome, Prompt::EnterConferenceNumber])]
    );
    assert!(h.prompt_done().is_empty());
    assert_eq!(h.keys_every("721051#", secs(0.4)), [lookup("721051", None)]);
    assert_eq!(h.answer(ok(0)), [play(&[Prompt::EnterAccessCode])]);
    assert!(h.prompt_done().is_empty());
    assert_eq!(
        h.keys_every("1289#", secs(0.4)),
        [lookup("721051", Some("1289"))]
    );
    assert_eq!(
        h.answer(ok(0)),
        [play(&[Prompt::Joining, Prompt::FirstParticipant])]
    );
    assert!(
        !h.ivr.is_finished(),
        "joins only once the prompt has played"
    );
    assert_eq!(h.prompt_done(), [join("721051")]);
    assert!(h.ivr.is_finished());
    assert_eq!(h.ivr.poll_timeout(), None);
}

#[test]
fn joined_with_four_participants_hears_the_count() {
    let mut h = Harness::new(Entry::Gateway);
    h.reach_code_prompt();
    h.keys("1289#");
    assert_eq!(
        h.answer(ok(4)),
        [play(&[Prompt::Joining, Prompt::ParticipantCount(4)])]
    );
    assert_eq!(h.prompt_done(), [join("721051")]);
}

#[test]
fn room_system_uri_checks_the_number_then_asks_for_the_code_only() {
    let mut h = Harness::new(Entry::Conference {
        number: "721051".into(),
    });
    assert_eq!(h.actions(), [lookup("721051", None)]);
    assert_eq!(h.answer(ok(2)), [play(&[Prompt::EnterAccessCode])]);
    h.prompt_done();
    assert_eq!(h.keys("1289#"), [lookup("721051", Some("1289"))]);
    assert_eq!(
        h.answer(ok(2)),
        [play(&[Prompt::Joining, Prompt::ParticipantCount(2)])]
    );
    assert_eq!(h.prompt_done(), [join("721051")]);
    assert!(!h.prompts().contains(&Prompt::Welcome));
    assert!(!h.prompts().contains(&Prompt::EnterConferenceNumber));
}

#[test]
fn gds_string_is_routed_to_the_code_prompt() {
    let gateways = [GatewayNumber {
        e164: "33426687307".into(),
        language: "fr".into(),
    }];
    let route = classify("+33426687307721051", &gateways, "33");
    let Route::Gds { language, number } = route else {
        panic!("not a GDS route: {route:?}");
    };
    assert_eq!(language, "fr");
    let mut h = Harness::new(Entry::Conference { number });
    assert_eq!(h.actions(), [lookup("721051", None)]);
    assert_eq!(h.answer(ok(0)), [play(&[Prompt::EnterAccessCode])]);
}

#[test]
fn unknown_number_in_the_uri_says_not_found_and_asks_for_the_number() {
    let mut h = Harness::new(Entry::Conference {
        number: "999999".into(),
    });
    assert_eq!(h.actions(), [lookup("999999", None)]);
    assert_eq!(
        h.answer(LookupResult::NotFound),
        [play(&[Prompt::NotFound, Prompt::EnterConferenceNumber])]
    );
    h.prompt_done();
    assert_eq!(h.keys("721051#"), [lookup("721051", None)]);
    assert_eq!(h.answer(ok(1)), [play(&[Prompt::EnterAccessCode])]);
    h.prompt_done();
    assert_eq!(h.keys("1289#"), [lookup("721051", Some("1289"))]);
    h.answer(ok(1));
    assert_eq!(h.prompt_done(), [join("721051")]);
}

#[test]
fn nothing_known_in_the_uri_is_the_auto_attendant() {
    assert_eq!(classify("alice", &[], "33"), Route::Unknown);
    let mut h = Harness::new(Entry::Unknown);
    assert_eq!(
        h.actions(),
        [play(&[Prompt::NotFound, Prompt::EnterConferenceNumber])]
    );
    h.prompt_done();
    assert_eq!(h.keys("721051#"), [lookup("721051", None)]);
}

/// The store's closing answers, at the number and at the code.
fn closing_cases() -> [(LookupResult, Prompt); 3] {
    [
        (LookupResult::NotStarted, Prompt::NotStarted),
        (LookupResult::Ended, Prompt::Ended),
        (LookupResult::Full, Prompt::Full),
    ]
}

#[test]
fn not_started_ended_full_at_the_number_then_hangup_after_the_prompt() {
    for (result, prompt) in closing_cases() {
        let mut h = Harness::new(Entry::Gateway);
        h.prompt_done();
        h.keys("721051#");
        assert_eq!(h.answer(result), [play(&[prompt, Prompt::Goodbye])]);
        assert!(h.keys("1289#").is_empty(), "no digits once closing");
        assert!(!h.ivr.is_finished());
        assert_eq!(h.prompt_done(), [Action::Hangup], "{result:?}");
        assert!(h.ivr.is_finished());
    }
}

#[test]
fn not_started_ended_full_at_the_code_then_hangup_after_the_prompt() {
    for (result, prompt) in closing_cases() {
        let mut h = Harness::new(Entry::Gateway);
        h.reach_code_prompt();
        h.keys("1289#");
        assert_eq!(h.answer(result), [play(&[prompt, Prompt::Goodbye])]);
        assert_eq!(h.prompt_done(), [Action::Hangup], "{result:?}");
    }
}

#[test]
fn not_started_for_a_room_system_is_said_before_any_code() {
    let mut h = Harness::new(Entry::Conference {
        number: "721051".into(),
    });
    h.actions();
    assert_eq!(
        h.answer(LookupResult::NotStarted),
        [play(&[Prompt::NotStarted, Prompt::Goodbye])]
    );
    assert_eq!(h.prompt_done(), [Action::Hangup]);
}

#[test]
fn hangup_comes_even_if_the_goodbye_end_is_never_reported() {
    let mut h = Harness::new(Entry::Gateway);
    h.prompt_done();
    h.keys("721051#");
    h.answer(LookupResult::Ended);
    assert!(h.advance(secs(29.9)).is_empty());
    assert_eq!(h.advance(secs(0.1)), [Action::Hangup]);
    assert!(h.ivr.is_finished());
}

#[test]
fn join_comes_even_if_the_announcement_end_is_never_reported() {
    let mut h = Harness::new(Entry::Gateway);
    h.reach_code_prompt();
    h.keys("1289#");
    h.answer(ok(4));
    assert_eq!(h.advance(secs(30.0)), [join("721051")]);
}

#[test]
fn answers_nobody_asked_for_are_ignored() {
    let mut h = Harness::new(Entry::Gateway);
    h.actions();
    assert!(h.answer(ok(1)).is_empty());
    h.prompt_done();
    assert!(h.answer(LookupResult::Full).is_empty());
    h.keys("721051#");
    assert_eq!(h.answer(ok(1)), [play(&[Prompt::EnterAccessCode])]);
    assert!(h.answer(ok(1)).is_empty(), "a second answer to one lookup");
}

#[test]
fn nothing_happens_after_the_end() {
    let mut h = Harness::new(Entry::Gateway);
    h.reach_code_prompt();
    h.keys("1289#");
    h.answer(ok(0));
    h.prompt_done();
    assert!(h.ivr.is_finished());
    assert!(h.keys("1#").is_empty());
    assert!(h.prompt_done().is_empty());
    assert!(h.answer(LookupResult::NotFound).is_empty());
    assert!(h.advance(secs(1000.0)).is_empty());
    assert_eq!(
        h.log
            .iter()
            .filter(|a| matches!(a, Action::Join { .. }))
            .count(),
        1
    );
}
