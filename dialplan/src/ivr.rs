//! The IVR of one call (issue #3): "conference number, then #; access code, then #".
//!
//! Sans-IO, one per call. The driver feeds digits (already de-duplicated across RFC 4733 / INFO /
//! in-band, see [`crate::digits`]), prompt-finished notices, lookup results and timeouts; after
//! every `handle_*` it drains `poll_action` and asks `poll_timeout` for the next deadline.
//!
//! Flow:
//! - `Entry::Gateway` plays `[Welcome, EnterConferenceNumber]`; `Entry::Unknown` plays
//!   `[NotFound, EnterConferenceNumber]` (auto-attendant).
//! - `Entry::Conference` (room system dialled `sip:721051@bridge`, or a GDS string) first checks
//!   the number (`Lookup { code: None }`), then plays `[EnterAccessCode]`, or
//!   `[NotFound, EnterConferenceNumber]` when there is no such conference.
//! - `Entry::Direct` (both in the URI) looks both up at once and joins when right; otherwise it
//!   plays `[EnterConferenceNumber]` (the full IVR, without Welcome) and never says which part
//!   was wrong.
//! - An entry ends with `#`; `*` clears it. A number keyed in → `Lookup { code: None }`; if not
//!   found → `[NotFound, TryAgain]`. A code keyed in → `Lookup { code: Some }`; if wrong →
//!   `[WrongCode, TryAgain]`. The 3rd failed number or code → `[NotFound | WrongCode,
//!   TooManyAttempts]`, then `Hangup`.
//! - `NotStarted` / `Ended` / `Full` → `[that prompt, Goodbye]`, then `Hangup`. `Ok` for a code
//!   keyed in → `[Joining, FirstParticipant | ParticipantCount(n)]`, then `Join` once it has
//!   played; `Ok` for a `Direct` URI → `Join` at once, without announcements.
//! - First-digit timeout 10 s after the prompt ends: the prompt is replayed and an attempt is
//!   used (the 3rd → `[TooManyAttempts]`, `Hangup`). Inter-digit timeout 5 s: the entry so far is
//!   submitted as if `#` were pressed. No digit for 60 s → `[Goodbye]`, `Hangup`.
//! - A digit during a prompt stops it (`StopPrompt`) and is kept (barge-in); the prompt is not
//!   replayed.
//! - `Hangup`, and `Join` after a keyed-in code, come only after the last prompts have played.
//!
//! Choices where issue #3 is silent:
//! - `#` on an empty entry replays the prompt asking for it and does not use an attempt (a stray
//!   `#` is a slip, not a guess).
//! - `*` clears the entry and restarts the first-digit wait without replaying the prompt.
//! - Digits past `max_digits` are dropped; the entry is submitted as it is.
//! - The no-input timer restarts only on a digit kept in an entry: `#`, `*`, `A`–`D` and dropped
//!   digits are not input, so a caller who only presses those is still hung up after 60 s. It
//!   runs while a lookup is pending too, so a store that never answers cannot hold the call.
//! - Digits that come while a lookup is pending, or while the last prompts play before `Join` or
//!   `Hangup`, are ignored (the entry they would belong to is already submitted; the goodbye is
//!   not skippable). Lookup answers that were not asked for (or come after the IVR gave up) are
//!   ignored; the driver releases any seat it reserved when it carries out `Hangup`.
//! - The number in the URI (`Entry::Conference`, `Entry::Direct`) does not use one of the
//!   caller's attempts when it fails; only what the caller keys in does. For a code lookup,
//!   `NotFound` (the conference vanished meanwhile) counts as a wrong code, so the answer never
//!   tells which part was wrong; for a number lookup, `WrongCode` counts as not found.
//! - A `Play` whose end is never reported is taken as finished after [`PROMPT_GUARD`], so the
//!   call still hangs up (or joins, or waits for digits).
//! - `handle_prompt_finished` while no prompt is playing is ignored: after `StopPrompt` the
//!   driver may report the stopped prompt or not. (It must not report it after a later `Play`
//!   has started, which this API cannot tell apart from the later prompt ending.)

mod timers;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use timers::{Timer, TimerTable};

/// How long a `Play` may take before the IVR carries on as if its end had been reported: well
/// past any prompt sequence it asks for (two or three short sentences, about 10 s at most).
pub const PROMPT_GUARD: Duration = Duration::from_secs(30);

/// The prompts the IVR can ask for. The driver maps them to audio in the caller's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Prompt {
    /// "Welcome to the conference service."
    Welcome,
    /// "Please enter the conference number, followed by the hash key."
    EnterConferenceNumber,
    /// "Please enter the access code, followed by the hash key."
    EnterAccessCode,
    /// "This conference number was not found."
    NotFound,
    /// "The access code is not correct."
    WrongCode,
    /// "Please try again."
    TryAgain,
    /// "Too many attempts. Goodbye."
    TooManyAttempts,
    /// "Goodbye."
    Goodbye,
    /// "This conference has not started yet."
    NotStarted,
    /// "This conference has ended."
    Ended,
    /// "This conference is full."
    Full,
    /// "You are the first participant."
    FirstParticipant,
    /// "There are N other participants in this conference": N is how many are already in, the
    /// caller not counted (N ≥ 1; N = 0 is `FirstParticipant`).
    ParticipantCount(u32),
    /// "You are now joining the conference."
    Joining,
}

/// How the call reached the IVR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A gateway number: ask for the conference number first.
    Gateway,
    /// The conference number is known (room system URI, or GDS string): check it exists
    /// (`Lookup { code: None }`), then ask for the code.
    Conference {
        /// The conference number.
        number: String,
    },
    /// Both were in the URI (`721051**1289`).
    Direct {
        /// The conference number.
        number: String,
        /// The access code.
        code: String,
    },
    /// Nothing known in the URI: say "not found" and ask for the number (auto-attendant).
    Unknown,
}

/// What the store said. For a lookup with a code, the driver answers `NotStarted`, `Ended` or
/// `Full` only when the code is right (otherwise `WrongCode`), so that a wrong code never learns
/// anything about the conference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupResult {
    /// No conference with this number (at any time near now).
    NotFound,
    /// The number exists but is not open yet.
    NotStarted,
    /// The number's conference has ended.
    Ended,
    /// The code is wrong (only for lookups with a code).
    WrongCode,
    /// The conference is at capacity.
    Full,
    /// Number (and code, if given) right. For a lookup with a code the driver has reserved the
    /// caller's seat; `participants` is how many are in before the caller.
    Ok {
        /// Participants already in.
        participants: u32,
    },
}

/// What the IVR wants done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Play these prompts in order (replacing whatever plays). `PromptFinished` is expected when
    /// the last one ends.
    Play(Vec<Prompt>),
    /// Stop the prompt now (barge-in).
    StopPrompt,
    /// Look this up and answer with `handle_lookup`.
    Lookup {
        /// The conference number entered.
        number: String,
        /// The code entered, if this is the code check.
        code: Option<String>,
    },
    /// Move the caller into the conference (its seat was reserved by the successful lookup).
    Join {
        /// The conference number.
        number: String,
    },
    /// Hang up (after the goodbye prompt has played).
    Hangup,
}

/// Timings and limits.
#[derive(Debug, Clone)]
pub struct IvrConfig {
    /// Wait for the first digit of an entry before replaying the prompt.
    pub first_digit_timeout: Duration,
    /// Wait between digits before taking the entry as complete.
    pub inter_digit_timeout: Duration,
    /// Attempts at the number, and separately at the code.
    pub max_attempts: u32,
    /// Hang up a caller who presses nothing for this long.
    pub no_input_timeout: Duration,
    /// Longest entry kept (more digits are ignored).
    pub max_digits: usize,
}

impl Default for IvrConfig {
    fn default() -> Self {
        IvrConfig {
            first_digit_timeout: Duration::from_secs(10),
            inter_digit_timeout: Duration::from_secs(5),
            max_attempts: 3,
            no_input_timeout: Duration::from_secs(60),
            max_digits: 16,
        }
    }
}

/// What an entry is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Number,
    Code,
}

impl Field {
    /// The prompt that asks for this entry.
    fn prompt(self) -> Prompt {
        match self {
            Field::Number => Prompt::EnterConferenceNumber,
            Field::Code => Prompt::EnterAccessCode,
        }
    }

    /// What a failed lookup of this entry says before asking again.
    fn failure(self) -> Prompt {
        match self {
            Field::Number => Prompt::NotFound,
            Field::Code => Prompt::WrongCode,
        }
    }
}

/// Which `Lookup` the IVR is waiting for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pending {
    /// The number of an `Entry::Conference`.
    UriNumber,
    /// A number the caller keyed in.
    Number(String),
    /// A code the caller keyed in, for the conference in `Ivr::number`.
    Code,
    /// Number and code of an `Entry::Direct`.
    Direct,
}

/// What happens once the last prompts have played.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Final {
    Join,
    Hangup,
}

/// Where the call is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// Prompting for and collecting an entry.
    Collect(Field),
    /// A `Lookup` is out.
    Lookup(Pending),
    /// Playing the last prompts.
    Closing(Final),
    /// `Join` or `Hangup` has been queued.
    Done,
}

/// The IVR of one call.
#[derive(Debug)]
pub struct Ivr {
    config: IvrConfig,
    phase: Phase,
    /// The conference number the code is for (from the URI, or accepted by a lookup).
    number: String,
    /// Digits of the entry being collected.
    entry: String,
    number_attempts: u32,
    code_attempts: u32,
    /// A `Play` is out and neither finished, stopped nor timed out by the guard.
    playing: bool,
    timers: TimerTable,
    actions: VecDeque<Action>,
}

impl Ivr {
    /// Start: the first actions are ready to poll.
    pub fn new(now: Instant, config: IvrConfig, entry: Entry) -> Ivr {
        let mut ivr = Ivr {
            config,
            phase: Phase::Done,
            number: String::new(),
            entry: String::new(),
            number_attempts: 0,
            code_attempts: 0,
            playing: false,
            timers: TimerTable::default(),
            actions: VecDeque::new(),
        };
        ivr.timers
            .set(Timer::NoInput, now + ivr.config.no_input_timeout);
        match entry {
            Entry::Gateway => ivr.collect(
                now,
                Field::Number,
                vec![Prompt::Welcome, Prompt::EnterConferenceNumber],
            ),
            Entry::Unknown => ivr.collect(
                now,
                Field::Number,
                vec![Prompt::NotFound, Prompt::EnterConferenceNumber],
            ),
            Entry::Conference { number } => {
                ivr.number = number.clone();
                ivr.lookup(Pending::UriNumber, number, None);
            }
            Entry::Direct { number, code } => {
                ivr.number = number.clone();
                ivr.lookup(Pending::Direct, number, Some(code));
            }
        }
        ivr
    }

    /// A digit (`0`–`9`, `*`, `#`; `A`–`D` are ignored). Ignored too while a lookup is out and
    /// while the last prompts play.
    pub fn handle_digit(&mut self, now: Instant, digit: char) {
        if !matches!(digit, '0'..='9' | '*' | '#') {
            return;
        }
        let Phase::Collect(field) = self.phase else {
            return;
        };
        if self.playing {
            // Barge-in: the key that stopped the prompt is part of the entry.
            self.playing = false;
            self.timers.stop(Timer::PromptGuard);
            self.actions.push_back(Action::StopPrompt);
        }
        match digit {
            '#' if self.entry.is_empty() => self.collect(now, field, vec![field.prompt()]),
            '#' => self.submit(field),
            '*' => {
                self.entry.clear();
                self.timers.stop(Timer::InterDigit);
                self.timers
                    .set(Timer::FirstDigit, now + self.config.first_digit_timeout);
            }
            _ if self.entry.len() >= self.config.max_digits => {
                // Dropped. With `max_digits` 0 nothing else would arm a timer after barge-in.
                if self.entry.is_empty() && self.timers.get(Timer::FirstDigit).is_none() {
                    self.timers
                        .set(Timer::FirstDigit, now + self.config.first_digit_timeout);
                }
            }
            _ => {
                self.entry.push(digit);
                self.timers
                    .set(Timer::NoInput, now + self.config.no_input_timeout);
                self.timers.stop(Timer::FirstDigit);
                self.timers
                    .set(Timer::InterDigit, now + self.config.inter_digit_timeout);
            }
        }
    }

    /// The last `Play` finished (or was stopped). Ignored when no prompt is playing, e.g. the
    /// report of a prompt this IVR stopped itself by barge-in.
    pub fn handle_prompt_finished(&mut self, now: Instant) {
        if self.playing {
            self.prompt_ended(now);
        }
    }

    /// The answer to the last `Lookup`. Ignored when no lookup is out (a second answer, or one
    /// that comes after the no-input timer has said goodbye).
    pub fn handle_lookup(&mut self, now: Instant, result: LookupResult) {
        let Phase::Lookup(pending) = &self.phase else {
            return;
        };
        let pending = pending.clone();
        let closing = match result {
            LookupResult::NotStarted => Some(Prompt::NotStarted),
            LookupResult::Ended => Some(Prompt::Ended),
            LookupResult::Full => Some(Prompt::Full),
            LookupResult::NotFound | LookupResult::WrongCode | LookupResult::Ok { .. } => None,
        };
        if let Some(prompt) = closing {
            return self.close(now, vec![prompt, Prompt::Goodbye], Final::Hangup);
        }
        let ok = match result {
            LookupResult::Ok { participants } => Some(participants),
            _ => None,
        };
        match (pending, ok) {
            (Pending::UriNumber, Some(_)) => {
                self.collect(now, Field::Code, vec![Prompt::EnterAccessCode]);
            }
            (Pending::Number(number), Some(_)) => {
                self.number = number;
                self.collect(now, Field::Code, vec![Prompt::EnterAccessCode]);
            }
            // A room system that dialled number and code in one URI is configured to join:
            // it goes straight in, without announcements (nobody at a codec's keypad to hear
            // them, and a meeting should not wait on them).
            (Pending::Direct, Some(_)) => {
                let number = self.number.clone();
                self.finish(Action::Join { number });
            }
            (Pending::Code, Some(participants)) => {
                let count = match participants {
                    0 => Prompt::FirstParticipant,
                    n => Prompt::ParticipantCount(n),
                };
                self.close(now, vec![Prompt::Joining, count], Final::Join);
            }
            (Pending::UriNumber, None) => {
                self.number.clear();
                self.collect(
                    now,
                    Field::Number,
                    vec![Prompt::NotFound, Prompt::EnterConferenceNumber],
                );
            }
            (Pending::Direct, None) => {
                // Not a word about which of the two was wrong.
                self.number.clear();
                self.collect(now, Field::Number, vec![Prompt::EnterConferenceNumber]);
            }
            (Pending::Number(_), None) => self.failed(now, Field::Number, true),
            (Pending::Code, None) => self.failed(now, Field::Code, true),
        }
    }

    /// The next action.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// The next deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::Done => None,
            _ => self.timers.next_timeout(),
        }
    }

    /// A deadline passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        for timer in Timer::ALL {
            if self.timers.take_expired(timer, now) {
                self.on_timer(now, timer);
            }
        }
    }

    /// Whether the IVR is done (joined or hung up): `Join` or `Hangup` has been queued and every
    /// action has been polled.
    pub fn is_finished(&self) -> bool {
        self.phase == Phase::Done && self.actions.is_empty()
    }

    /// One expired timer.
    fn on_timer(&mut self, now: Instant, timer: Timer) {
        match (timer, &self.phase) {
            (Timer::NoInput, Phase::Collect(_) | Phase::Lookup(_)) => {
                self.close(now, vec![Prompt::Goodbye], Final::Hangup);
            }
            (Timer::PromptGuard, _) if self.playing => self.prompt_ended(now),
            (Timer::FirstDigit, &Phase::Collect(field)) if self.entry.is_empty() => {
                self.failed(now, field, false);
            }
            (Timer::InterDigit, &Phase::Collect(field)) if !self.entry.is_empty() => {
                self.submit(field);
            }
            _ => {}
        }
    }

    /// The prompt that was playing ended (reported, or given up on by the guard).
    fn prompt_ended(&mut self, now: Instant) {
        self.playing = false;
        self.timers.stop(Timer::PromptGuard);
        match &self.phase {
            Phase::Collect(_) if self.entry.is_empty() => {
                self.timers
                    .set(Timer::FirstDigit, now + self.config.first_digit_timeout);
            }
            Phase::Closing(Final::Join) => {
                let number = self.number.clone();
                self.finish(Action::Join { number });
            }
            Phase::Closing(Final::Hangup) => self.finish(Action::Hangup),
            _ => {}
        }
    }

    /// Ask for an entry with `prompts`, starting it afresh.
    fn collect(&mut self, now: Instant, field: Field, prompts: Vec<Prompt>) {
        self.phase = Phase::Collect(field);
        self.entry.clear();
        self.timers.stop(Timer::FirstDigit);
        self.timers.stop(Timer::InterDigit);
        self.play(now, prompts);
    }

    /// The entry is complete: look it up.
    fn submit(&mut self, field: Field) {
        self.timers.stop(Timer::FirstDigit);
        self.timers.stop(Timer::InterDigit);
        let entry = std::mem::take(&mut self.entry);
        match field {
            Field::Number => self.lookup(Pending::Number(entry.clone()), entry, None),
            Field::Code => self.lookup(Pending::Code, self.number.clone(), Some(entry)),
        }
    }

    fn lookup(&mut self, pending: Pending, number: String, code: Option<String>) {
        self.phase = Phase::Lookup(pending);
        self.actions.push_back(Action::Lookup { number, code });
    }

    /// One attempt at `field` used up: by a failed lookup (`said`: its reason is spoken) or by
    /// the first-digit timeout.
    fn failed(&mut self, now: Instant, field: Field, said: bool) {
        let attempts = match field {
            Field::Number => &mut self.number_attempts,
            Field::Code => &mut self.code_attempts,
        };
        *attempts += 1;
        let exhausted = *attempts >= self.config.max_attempts;
        let mut prompts: Vec<Prompt> = said.then(|| field.failure()).into_iter().collect();
        if exhausted {
            prompts.push(Prompt::TooManyAttempts);
            self.close(now, prompts, Final::Hangup);
        } else {
            prompts.push(if said {
                Prompt::TryAgain
            } else {
                field.prompt()
            });
            self.collect(now, field, prompts);
        }
    }

    /// Play the last prompts, then `Join` or `Hangup`.
    fn close(&mut self, now: Instant, prompts: Vec<Prompt>, then: Final) {
        self.phase = Phase::Closing(then);
        self.entry.clear();
        self.timers.stop_all();
        self.play(now, prompts);
    }

    fn finish(&mut self, action: Action) {
        self.phase = Phase::Done;
        self.timers.stop_all();
        self.actions.push_back(action);
    }

    fn play(&mut self, now: Instant, prompts: Vec<Prompt>) {
        self.playing = true;
        self.timers.set(Timer::PromptGuard, now + PROMPT_GUARD);
        self.actions.push_back(Action::Play(prompts));
    }
}
