//! Issue #3, the clock: first-digit timeout 10 s after the prompt (prompt replayed, one attempt
//! used), inter-digit timeout 5 s (the entry is submitted), a caller who presses nothing is hung
//! up after 60 s, and a prompt whose end is never reported does not stall the call.

mod common;

use common::*;
use dialplan::{Action, Entry, IvrConfig, LookupResult, Prompt, PROMPT_GUARD};

#[test]
fn first_digit_timeout_replays_the_prompt() {
    let mut h = Harness::new(Entry::Gateway);
    h.actions();
    // Nothing is waited for while the welcome plays (only the guards are armed).
    h.advance(secs(6.0));
    h.prompt_done();
    assert_eq!(h.timeout_in(), Some(10.0));
    assert!(h.advance(secs(9.9)).is_empty());
    assert_eq!(
        h.advance(secs(0.1)),
        [play(&[Prompt::EnterConferenceNumber])],
        "replayed, without the welcome"
    );
    h.prompt_done();
    // A digit now still makes a full entry.
    assert_eq!(h.keys("721051#"), [lookup("721051", None)]);
}

#[test]
fn three_first_digit_timeouts_say_goodbye() {
    let mut h = Harness::new(Entry::Gateway);
    h.actions();
    for _ in 0..2 {
        h.prompt_done();
        assert_eq!(
            h.advance(secs(10.0)),
            [play(&[Prompt::EnterConferenceNumber])]
        );
    }
    h.prompt_done();
    assert_eq!(h.advance(secs(10.0)), [play(&[Prompt::TooManyAttempts])]);
    assert_eq!(h.prompt_done(), [Action::Hangup]);
}

#[test]
fn first_digit_timeouts_at_the_code_count_against_the_code() {
    let mut h = Harness::new(Entry::Gateway);
    h.reach_code_prompt();
    assert_eq!(h.advance(secs(10.0)), [play(&[Prompt::EnterAccessCode])]);
    h.prompt_done();
    h.keys("0000#");
    h.answer(LookupResult::WrongCode);
    h.prompt_done();
    assert_eq!(h.advance(secs(10.0)), [play(&[Prompt::TooManyAttempts])]);
}

#[test]
fn a_timeout_and_two_wrong_numbers_are_three_attempts() {
    let mut h = Harness::new(Entry::Gateway);
    h.prompt_done();
    h.advance(secs(10.0));
    h.prompt_done();
    h.keys("111111#");
    assert_eq!(
        h.answer(LookupResult::NotFound),
        [play(&[Prompt::NotFound, Prompt::TryAgain])]
    );
    h.prompt_done();
    h.keys("111111#");
    assert_eq!(
        h.answer(LookupResult::NotFound),
        [play(&[Prompt::NotFound, Prompt::TooManyAttempts])]
    );
}

#[test]
fn inter_digit_timeout_submits_the_entry() {
    let mut h = Harness::new(Entry::Gateway);
    h.prompt_done();
    assert!(h.keys_every("721051", secs(1.0)).is_empty());
    assert!(h.advance(secs(4.9)).is_empty());
    assert_eq!(h.advance(secs(0.1)), [lookup("721051", None)]);
    h.answer(ok(0));
    h.prompt_done();
    h.keys("1289");
    assert_eq!(h.advance(secs(5.0)), [lookup("721051", Some("1289"))]);
}

#[test]
fn each_digit_restarts_the_inter_digit_timeout() {
    let mut h = Harness::new(Entry::Gateway);
    h.prompt_done();
    assert!(h.keys_every("721051", secs(4.9)).is_empty());
    assert_eq!(h.advance(secs(5.0)), [lookup("721051", None)]);
}

#[test]
fn star_then_silence_is_a_first_digit_timeout() {
    let mut h = Harness::new(Entry::Gateway);
    h.prompt_done();
    h.keys("72*");
    assert!(
        h.advance(secs(9.9)).is_empty(),
        "no submission of a cleared entry"
    );
    assert_eq!(
        h.advance(secs(0.1)),
        [play(&[Prompt::EnterConferenceNumber])]
    );
}

#[test]
fn no_input_for_60_s_says_goodbye_and_hangs_up() {
    // With many attempts allowed, only the 60 s rule can end a silent call.
    let config = IvrConfig {
        max_attempts: 100,
        ..IvrConfig::default()
    };
    let mut h = Harness::with_config(config, Entry::Gateway);
    h.actions();
    let mut last = Vec::new();
    while h.elapsed() < 60.0 {
        last = h.next_timeout();
        if matches!(last.as_slice(), [Action::Play(p)] if p == &[Prompt::EnterConferenceNumber]) {
            h.advance(secs(3.0));
            h.prompt_done();
        }
    }
    assert_eq!(h.elapsed(), 60.0);
    assert_eq!(last, [play(&[Prompt::Goodbye])]);
    assert_eq!(h.prompt_done(), [Action::Hangup]);
}

#[test]
fn a_silent_caller_with_default_settings_is_gone_within_60_s() {
    let mut h = Harness::new(Entry::Gateway);
    h.actions();
    // The media layer reports every prompt after 5 s.
    while !h.ivr.is_finished() {
        h.advance(secs(5.0));
        h.prompt_done();
        assert!(h.elapsed() <= 60.0 + PROMPT_GUARD.as_secs_f64());
    }
    assert!(h.elapsed() <= 60.0, "ended at {} s", h.elapsed());
    assert_eq!(h.log.last(), Some(&Action::Hangup));
}

#[test]
fn hash_and_star_are_not_input() {
    let config = IvrConfig {
        max_attempts: 100,
        ..IvrConfig::default()
    };
    let mut h = Harness::with_config(config, Entry::Gateway);
    h.prompt_done();
    // A key every 4 s, never a digit: never a first-digit timeout, but no input either.
    let mut out = Vec::new();
    for k in "#*".chars().cycle() {
        out = h.advance(secs(4.0));
        if !out.is_empty() {
            break;
        }
        h.keys(&k.to_string());
        h.prompt_done();
    }
    assert_eq!(h.elapsed(), 60.0);
    assert_eq!(out, [play(&[Prompt::Goodbye])]);
}

#[test]
fn a_digit_restarts_the_no_input_timer() {
    let config = IvrConfig {
        max_attempts: 100,
        ..IvrConfig::default()
    };
    let mut h = Harness::with_config(config, Entry::Gateway);
    h.prompt_done();
    h.advance(secs(50.0));
    h.prompt_done();
    h.keys("7*");
    let out = h.advance(secs(59.0));
    assert!(!out.contains(&play(&[Prompt::Goodbye])), "{out:?}");
    let out = h.advance(secs(1.0));
    assert!(out.contains(&play(&[Prompt::Goodbye])), "{out:?}");
}

#[test]
fn a_lookup_that_never_comes_back_ends_at_60_s() {
    let mut h = Harness::new(Entry::Direct {
        number: "721051".into(),
        code: "1289".into(),
    });
    assert_eq!(h.actions(), [lookup("721051", Some("1289"))]);
    assert_eq!(h.timeout_in(), Some(60.0));
    assert_eq!(h.advance(secs(60.0)), [play(&[Prompt::Goodbye])]);
    // Too late: the answer is ignored.
    assert!(h.answer(ok(0)).is_empty());
    assert_eq!(h.prompt_done(), [Action::Hangup]);
}

#[test]
fn an_unreported_prompt_end_still_starts_the_first_digit_wait() {
    let mut h = Harness::new(Entry::Gateway);
    h.actions();
    assert_eq!(h.timeout_in(), Some(PROMPT_GUARD.as_secs_f64()));
    assert!(h.advance(PROMPT_GUARD).is_empty());
    assert_eq!(h.timeout_in(), Some(10.0));
    assert_eq!(
        h.advance(secs(10.0)),
        [play(&[Prompt::EnterConferenceNumber])]
    );
}

#[test]
fn no_deadline_once_finished() {
    let mut h = Harness::new(Entry::Gateway);
    h.prompt_done();
    h.keys("721051#");
    h.answer(LookupResult::Full);
    assert!(h.ivr.poll_timeout().is_some(), "the goodbye guard");
    h.prompt_done();
    assert_eq!(h.ivr.poll_timeout(), None);
}

#[test]
fn timeouts_before_their_deadline_do_nothing() {
    let mut h = Harness::new(Entry::Gateway);
    h.prompt_done();
    h.ivr.handle_timeout(h.now);
    h.ivr.handle_timeout(h.now + secs(9.0));
    assert!(h.actions().is_empty());
    assert_eq!(h.timeout_in(), Some(10.0));
}
