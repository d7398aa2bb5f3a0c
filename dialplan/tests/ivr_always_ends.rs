//! Property: whatever a caller, the media layer and the store do, in any order and at any time,
//! the IVR never panics, says `Join` or `Hangup` at most once and nothing after it, joins only a
//! conference whose code was looked up, never lets a deadline slip into the past, and once the
//! inputs stop it ends within `no_input_timeout + PROMPT_GUARD`, whether or not the driver ever
//! reports prompt ends or answers lookups.

mod common;

use std::time::{Duration, Instant};

use common::origin;
use dialplan::{Action, Entry, Ivr, IvrConfig, LookupResult, PROMPT_GUARD};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Step {
    Key(char),
    PromptDone,
    Answer(LookupResult),
    /// Let this many milliseconds pass, firing timers as they come due.
    Wait(u64),
}

fn result() -> impl Strategy<Value = LookupResult> {
    prop_oneof![
        Just(LookupResult::NotFound),
        Just(LookupResult::NotStarted),
        Just(LookupResult::Ended),
        Just(LookupResult::WrongCode),
        Just(LookupResult::Full),
        (0u32..10).prop_map(|participants| LookupResult::Ok { participants }),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => prop::sample::select("0123456789*#AD".chars().collect::<Vec<_>>()).prop_map(Step::Key),
        1 => Just(Step::PromptDone),
        1 => result().prop_map(Step::Answer),
        2 => (0u64..20_000).prop_map(Step::Wait),
    ]
}

fn entry() -> impl Strategy<Value = Entry> {
    prop_oneof![
        Just(Entry::Gateway),
        Just(Entry::Unknown),
        "[0-9]{1,8}".prop_map(|number| Entry::Conference { number }),
        ("[0-9]{1,8}", "[0-9]{1,6}").prop_map(|(number, code)| Entry::Direct { number, code }),
    ]
}

fn config() -> impl Strategy<Value = IvrConfig> {
    // Every duration at least 1 ms, so that no deadline is armed for the instant being handled.
    (1u64..15_000, 1u64..8_000, 0u32..5, 1u64..90_000, 0usize..20).prop_map(
        |(first, inter, max_attempts, no_input, max_digits)| IvrConfig {
            first_digit_timeout: Duration::from_millis(first),
            inter_digit_timeout: Duration::from_millis(inter),
            max_attempts,
            no_input_timeout: Duration::from_millis(no_input),
            max_digits,
        },
    )
}

/// Drives one IVR and checks the invariants on everything it says.
struct Run {
    ivr: Ivr,
    now: Instant,
    log: Vec<Action>,
}

impl Run {
    fn drain(&mut self) {
        while let Some(action) = self.ivr.poll_action() {
            assert!(
                !self
                    .log
                    .iter()
                    .any(|a| matches!(a, Action::Join { .. } | Action::Hangup)),
                "{action:?} after the end: {:?}",
                self.log
            );
            match &action {
                Action::Play(prompts) => assert!(!prompts.is_empty()),
                Action::Join { number } => assert!(
                    self.log.iter().any(|a| matches!(
                        a,
                        Action::Lookup { number: n, code: Some(_) } if n == number
                    )),
                    "joined {number} without a code lookup: {:?}",
                    self.log
                ),
                Action::Lookup { number, code } => {
                    assert!(code.as_ref().is_none_or(|c| !c.is_empty()));
                    let _ = number;
                }
                _ => {}
            }
            self.log.push(action);
        }
        if self.ended() {
            assert!(self.ivr.is_finished());
            assert_eq!(self.ivr.poll_timeout(), None);
        } else {
            assert!(!self.ivr.is_finished());
        }
    }

    fn ended(&self) -> bool {
        matches!(self.log.last(), Some(Action::Join { .. } | Action::Hangup))
    }

    fn fire(&mut self) {
        self.ivr.handle_timeout(self.now);
        self.drain();
        if let Some(next) = self.ivr.poll_timeout() {
            assert!(next > self.now, "a deadline left in the past");
        }
    }

    fn wait(&mut self, d: Duration) {
        let target = self.now + d;
        while let Some(at) = self.ivr.poll_timeout() {
            if at > target {
                break;
            }
            self.now = at;
            self.fire();
        }
        self.now = target;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn ivr_always_ends(
        entry in entry(),
        config in config(),
        steps in prop::collection::vec(step(), 0..80),
        driver_reports in any::<bool>(),
    ) {
        let no_input = config.no_input_timeout;
        let t0 = origin();
        let mut run = Run { ivr: Ivr::new(t0, config, entry), now: t0, log: Vec::new() };
        run.drain();
        for step in steps {
            match step {
                Step::Key(k) => run.ivr.handle_digit(run.now, k),
                Step::PromptDone => run.ivr.handle_prompt_finished(run.now),
                Step::Answer(r) => run.ivr.handle_lookup(run.now, r),
                Step::Wait(ms) => run.wait(Duration::from_millis(ms)),
            }
            run.drain();
        }

        // The inputs stop. A driver that reports prompt ends and answers lookups at once, or
        // one that never does: either way the call ends, and in bounded time.
        let stopped = run.now;
        // Log length when the driver last answered: it answers each request once.
        let mut answered = usize::MAX;
        for _ in 0..100 {
            if run.ended() {
                break;
            }
            if driver_reports && answered != run.log.len() {
                answered = run.log.len();
                let asked = run.log.last().cloned();
                match asked {
                    Some(Action::Play(_)) => {
                        run.ivr.handle_prompt_finished(run.now);
                        run.drain();
                        continue;
                    }
                    Some(Action::Lookup { .. }) => {
                        run.ivr.handle_lookup(run.now, LookupResult::NotFound);
                        run.drain();
                        continue;
                    }
                    _ => {}
                }
            }
            let at = run.ivr.poll_timeout();
            prop_assert!(at.is_some(), "stuck without a deadline: {:?}", run.log);
            run.now = run.now.max(at.unwrap_or(run.now));
            run.fire();
        }
        prop_assert!(run.ended(), "not ended after 100 steps: {:?}", run.log);
        prop_assert!(
            run.now <= stopped + no_input + PROMPT_GUARD,
            "ended {:?} after the inputs stopped", run.now - stopped
        );
    }
}
