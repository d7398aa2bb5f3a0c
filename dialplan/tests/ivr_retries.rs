//! Issue #3, entering and re-entering: `#` ends an entry, `*` clears it, 3 attempts at the number
//! and 3 separately at the code, then goodbye and hang-up; an empty `#` costs nothing; entries are
//! bounded by `max_digits`.

mod common;

use common::*;
use dialplan::{Action, Entry, IvrConfig, LookupResult, Prompt};

#[test]
fn three_wrong_numbers_then_goodbye_and_hangup() {
    let mut h = Harness::new(Entry::Gateway);
    h.prompt_done();
    for _ in 0..2 {
        assert_eq!(h.keys("111111#"), [lookup("111111", None)]);
        assert_eq!(
            h.answer(LookupResult::NotFound),
            [play(&[Prompt::NotFound, Prompt::TryAgain])]
        );
        h.prompt_done();
    }
    assert_eq!(h.keys("111111#"), [lookup("111111", None)]);
    assert_eq!(
        h.answer(LookupResult::NotFound),
        [play(&[Prompt::NotFound, Prompt::TooManyAttempts])]
    );
    assert!(h.keys("721051#").is_empty());
    assert_eq!(h.prompt_done(), [Action::Hangup]);
    assert!(h.ivr.is_finished());
}

#[test]
fn three_wrong_codes_then_goodbye_and_hangup() {
    let mut h = Harness::new(Entry::Gateway);
    h.reach_code_prompt();
    for _ in 0..2 {
        assert_eq!(h.keys("0000#"), [lookup("721051", Some("0000"))]);
        assert_eq!(
            h.answer(LookupResult::WrongCode),
            [play(&[Prompt::WrongCode, Prompt::TryAgain])]
        );
        h.prompt_done();
    }
    h.keys("0000#");
    assert_eq!(
        h.answer(LookupResult::WrongCode),
        [play(&[Prompt::WrongCode, Prompt::TooManyAttempts])]
    );
    assert_eq!(h.prompt_done(), [Action::Hangup]);
}

#[test]
fn attempts_at_the_number_and_at_the_code_are_counted_apart() {
    let mut h = Harness::new(Entry::Gateway);
    h.prompt_done();
    for _ in 0..2 {
        h.keys("111111#");
        h.answer(LookupResult::NotFound);
        h.prompt_done();
    }
    h.keys("721051#");
    assert_eq!(h.answer(ok(0)), [play(&[Prompt::EnterAccessCode])]);
    h.prompt_done();
    for _ in 0..2 {
        h.keys("0000#");
        h.answer(LookupResult::WrongCode);
        h.prompt_done();
    }
    assert_eq!(h.keys("1289#"), [lookup("721051", Some("1289"))]);
    h.answer(ok(0));
    assert_eq!(h.prompt_done(), [join("721051")]);
}

#[test]
fn a_code_lookup_that_finds_no_conference_counts_as_a_wrong_code() {
    let mut h = Harness::new(Entry::Gateway);
    h.reach_code_prompt();
    h.keys("1289#");
    assert_eq!(
        h.answer(LookupResult::NotFound),
        [play(&[Prompt::WrongCode, Prompt::TryAgain])]
    );
}

#[test]
fn a_number_lookup_answered_wrong_code_counts_as_not_found() {
    let mut h = Harness::new(Entry::Gateway);
    h.prompt_done();
    h.keys("721051#");
    assert_eq!(
        h.answer(LookupResult::WrongCode),
        [play(&[Prompt::NotFound, Prompt::TryAgain])]
    );
}

#[test]
fn star_clears_the_entry() {
    let mut h = Harness::new(Entry::Gateway);
    h.prompt_done();
    assert!(h.keys("7299*").is_empty());
    assert_eq!(h.keys("721051#"), [lookup("721051", None)]);
    h.answer(ok(0));
    h.prompt_done();
    assert_eq!(h.keys("12*1289#"), [lookup("721051", Some("1289"))]);
}

#[test]
fn star_alone_is_harmless() {
    let mut h = Harness::new(Entry::Gateway);
    h.prompt_done();
    assert!(h.keys("***").is_empty());
    assert_eq!(h.keys("721051#"), [lookup("721051", None)]);
}

#[test]
fn hash_ends_the_entry_at_once() {
    let mut h = Harness::new(Entry::Gateway);
    h.prompt_done();
    assert!(
        h.keys("721051").is_empty(),
        "no lookup before # or the timeout"
    );
    assert_eq!(h.keys("#"), [lookup("721051", None)]);
}

#[test]
fn empty_hash_replays_the_prompt_without_using_an_attempt() {
    let mut h = Harness::new(Entry::Gateway);
    h.prompt_done();
    for _ in 0..5 {
        assert_eq!(h.keys("#"), [play(&[Prompt::EnterConferenceNumber])]);
        h.prompt_done();
    }
    // Still three attempts.
    for _ in 0..2 {
        h.keys("111111#");
        assert_eq!(
            h.answer(LookupResult::NotFound),
            [play(&[Prompt::NotFound, Prompt::TryAgain])]
        );
        h.prompt_done();
    }
    // And at the code.
    h.keys("721051#");
    h.answer(ok(0));
    h.prompt_done();
    assert_eq!(h.keys("#"), [play(&[Prompt::EnterAccessCode])]);
}

#[test]
fn letters_and_other_keys_are_ignored() {
    let mut h = Harness::new(Entry::Gateway);
    h.prompt_done();
    assert!(h.keys("7A2B1C0D5x1").is_empty());
    assert_eq!(h.keys("#"), [lookup("721051", None)]);
}

#[test]
fn digits_past_max_digits_are_dropped() {
    let mut h = Harness::new(Entry::Gateway);
    h.prompt_done();
    assert_eq!(
        h.keys("12345678901234567890#"),
        [lookup("1234567890123456", None)]
    );

    let config = IvrConfig {
        max_digits: 6,
        ..IvrConfig::default()
    };
    let mut h = Harness::with_config(config, Entry::Gateway);
    h.prompt_done();
    assert_eq!(h.keys("7210519999#"), [lookup("721051", None)]);
}

#[test]
fn max_attempts_is_configurable() {
    let config = IvrConfig {
        max_attempts: 1,
        ..IvrConfig::default()
    };
    let mut h = Harness::with_config(config, Entry::Gateway);
    h.prompt_done();
    h.keys("111111#");
    assert_eq!(
        h.answer(LookupResult::NotFound),
        [play(&[Prompt::NotFound, Prompt::TooManyAttempts])]
    );
    assert_eq!(h.prompt_done(), [Action::Hangup]);
}
