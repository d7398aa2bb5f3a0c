//! A fake-clock driver for `Ivr` tests: feeds inputs at a virtual `now`, fires timers as virtual
//! time passes, and keeps every action for assertions. Nothing sleeps.

#![allow(dead_code)] // each test file uses its own part of the harness

use std::time::{Duration, Instant};

use dialplan::{Action, Entry, Ivr, IvrConfig, LookupResult, Prompt};

/// An IVR on a virtual clock.
pub struct Harness {
    pub ivr: Ivr,
    /// Time zero of the call.
    pub t0: Instant,
    /// The virtual clock.
    pub now: Instant,
    /// Every action drained so far, in order.
    pub log: Vec<Action>,
}

/// The only real clock read of the tests: where virtual time starts.
#[allow(clippy::disallowed_methods)]
pub fn origin() -> Instant {
    Instant::now()
}

pub fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

pub fn play(prompts: &[Prompt]) -> Action {
    Action::Play(prompts.to_vec())
}

pub fn lookup(number: &str, code: Option<&str>) -> Action {
    Action::Lookup {
        number: number.into(),
        code: code.map(Into::into),
    }
}

pub fn join(number: &str) -> Action {
    Action::Join {
        number: number.into(),
    }
}

pub fn ok(participants: u32) -> LookupResult {
    LookupResult::Ok { participants }
}

impl Harness {
    /// An IVR with the default (issue #3) timings.
    pub fn new(entry: Entry) -> Harness {
        Harness::with_config(IvrConfig::default(), entry)
    }

    pub fn with_config(config: IvrConfig, entry: Entry) -> Harness {
        Harness::starting_at(origin(), config, entry)
    }

    /// A call that starts at `t0` (to put several calls on one timeline).
    pub fn starting_at(t0: Instant, config: IvrConfig, entry: Entry) -> Harness {
        Harness {
            ivr: Ivr::new(t0, config, entry),
            t0,
            now: t0,
            log: Vec::new(),
        }
    }

    /// Seconds since the call started.
    pub fn elapsed(&self) -> f64 {
        (self.now - self.t0).as_secs_f64()
    }

    /// Drain what the IVR wants done.
    pub fn actions(&mut self) -> Vec<Action> {
        let mut out = Vec::new();
        while let Some(a) = self.ivr.poll_action() {
            out.push(a.clone());
            self.log.push(a);
        }
        out
    }

    /// Press keys, one at the current time each (virtual time does not move).
    pub fn keys(&mut self, keys: &str) -> Vec<Action> {
        for k in keys.chars() {
            self.ivr.handle_digit(self.now, k);
        }
        self.actions()
    }

    /// Press keys `gap` apart (timers fire in between if due), starting now.
    pub fn keys_every(&mut self, keys: &str, gap: Duration) -> Vec<Action> {
        let mut out = Vec::new();
        for (i, k) in keys.chars().enumerate() {
            if i > 0 {
                out.extend(self.advance(gap));
            }
            self.ivr.handle_digit(self.now, k);
            out.extend(self.actions());
        }
        out
    }

    /// The media layer reports the prompt ended.
    pub fn prompt_done(&mut self) -> Vec<Action> {
        self.ivr.handle_prompt_finished(self.now);
        self.actions()
    }

    /// The store answers.
    pub fn answer(&mut self, result: LookupResult) -> Vec<Action> {
        self.ivr.handle_lookup(self.now, result);
        self.actions()
    }

    /// Let `d` of virtual time pass, firing every deadline that comes due on the way, each at
    /// its own instant.
    pub fn advance(&mut self, d: Duration) -> Vec<Action> {
        let target = self.now + d;
        let mut out = Vec::new();
        while let Some(at) = self.ivr.poll_timeout() {
            if at > target {
                break;
            }
            self.now = self.now.max(at);
            self.ivr.handle_timeout(self.now);
            out.extend(self.actions());
        }
        self.now = target;
        out
    }

    /// Jump to the next deadline and fire it.
    pub fn next_timeout(&mut self) -> Vec<Action> {
        let at = self.ivr.poll_timeout().expect("a deadline is armed");
        self.now = self.now.max(at);
        self.ivr.handle_timeout(self.now);
        self.actions()
    }

    /// The deadline from now, in seconds.
    pub fn timeout_in(&self) -> Option<f64> {
        self.ivr
            .poll_timeout()
            .map(|t| t.saturating_duration_since(self.now).as_secs_f64())
    }

    /// Every prompt ever asked for, in order.
    pub fn prompts(&self) -> Vec<Prompt> {
        self.log
            .iter()
            .filter_map(|a| match a {
                Action::Play(p) => Some(p.clone()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// Walk a gateway caller to the code prompt with number `721051`.
    pub fn reach_code_prompt(&mut self) {
        self.prompt_done();
        assert_eq!(self.keys("721051#"), [lookup("721051", None)]);
        assert_eq!(self.answer(ok(3)), [play(&[Prompt::EnterAccessCode])]);
        self.prompt_done();
    }
}
