//! The IVR's timer table (quinn style): one optional deadline per kind of timer, never a spawned
//! task, so a stopped timer cannot fire late.

use std::time::Instant;

/// The IVR's timers. Their order is the order [`super::Ivr::handle_timeout`] serves them in when
/// several expire at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timer {
    /// No digit kept for `no_input_timeout`: say goodbye.
    NoInput,
    /// A prompt was asked for and its end never reported: carry on as if it had ended.
    PromptGuard,
    /// The prompt asking for an entry ended and no digit came: replay it, one attempt used.
    FirstDigit,
    /// No digit since the last one: take the entry as complete.
    InterDigit,
}

impl Timer {
    /// Every timer, in service order.
    pub(crate) const ALL: [Timer; 4] = [
        Timer::NoInput,
        Timer::PromptGuard,
        Timer::FirstDigit,
        Timer::InterDigit,
    ];

    fn index(self) -> usize {
        self as usize
    }
}

/// Deadlines by timer.
#[derive(Debug, Clone, Default)]
pub(crate) struct TimerTable([Option<Instant>; Timer::ALL.len()]);

impl TimerTable {
    /// Arm `timer` for `at`, replacing any earlier deadline.
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.0[timer.index()] = Some(at);
    }

    /// Disarm `timer`.
    pub(crate) fn stop(&mut self, timer: Timer) {
        self.0[timer.index()] = None;
    }

    /// Disarm every timer.
    pub(crate) fn stop_all(&mut self) {
        self.0 = Default::default();
    }

    /// The deadline of `timer`, if armed.
    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        self.0[timer.index()]
    }

    /// The earliest armed deadline.
    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        self.0.iter().flatten().min().copied()
    }

    /// Disarm `timer` and say so if it was due at `now`.
    pub(crate) fn take_expired(&mut self, timer: Timer, now: Instant) -> bool {
        match self.get(timer) {
            Some(at) if at <= now => {
                self.stop(timer);
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    #[allow(clippy::disallowed_methods)] // the fake clock's origin
    fn table() {
        let t0 = Instant::now();
        let mut t = TimerTable::default();
        assert_eq!(t.next_timeout(), None);
        t.set(Timer::FirstDigit, t0 + Duration::from_secs(10));
        t.set(Timer::NoInput, t0 + Duration::from_secs(60));
        assert_eq!(t.next_timeout(), Some(t0 + Duration::from_secs(10)));
        assert!(!t.take_expired(Timer::FirstDigit, t0 + Duration::from_secs(9)));
        assert!(t.take_expired(Timer::FirstDigit, t0 + Duration::from_secs(10)));
        assert!(!t.take_expired(Timer::FirstDigit, t0 + Duration::from_secs(11)));
        assert_eq!(t.next_timeout(), Some(t0 + Duration::from_secs(60)));
        t.stop_all();
        assert_eq!(t.next_timeout(), None);
    }
}
