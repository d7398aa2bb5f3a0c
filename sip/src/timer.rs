//! Timer table: the RFC 3261 §17 transaction timers (A–K, Table 4) and the §13.3.1.4 dialog
//! timers, each an entry of a small array of deadlines.
//!
//! In the quinn-proto style, a timer is never a task: a state machine owns a [`TimerTable`],
//! `set`s and `stop`s entries, reports the earliest deadline through `next_timeout`, and when the
//! driver calls `handle_timeout(now)` it walks the expired entries. A stopped timer is an empty
//! slot, so it can never fire late.

use std::time::Instant;

/// Every timer a transaction or a dialog can run. One table per machine; each machine uses the
/// subset its RFC section names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timer {
    /// INVITE client: request retransmission (UDP only), T1 doubling.
    A,
    /// INVITE client: transaction timeout, 64*T1.
    B,
    /// INVITE client: wait for response retransmissions after a non-2xx (32 s UDP, 0 TCP).
    D,
    /// Non-INVITE client: request retransmission (UDP only), T1 doubling up to T2.
    E,
    /// Non-INVITE client: transaction timeout, 64*T1.
    F,
    /// INVITE server: final non-2xx response retransmission (UDP only), T1 doubling up to T2.
    G,
    /// INVITE server: wait for the ACK of a non-2xx, 64*T1.
    H,
    /// INVITE server: absorb ACK retransmissions (T4 UDP, 0 TCP).
    I,
    /// Non-INVITE server: absorb request retransmissions (64*T1 UDP, 0 TCP).
    J,
    /// Non-INVITE client: absorb response retransmissions (T4 UDP, 0 TCP).
    K,
    /// RFC 6026 §8.7 timer L: INVITE server in Accepted absorbs INVITE retransmissions, 64*T1.
    L,
    /// RFC 6026 §8.4 timer M: INVITE client in Accepted passes 2xx retransmissions up, 64*T1.
    M,
    /// Dialog (UAS, §13.3.1.4): retransmit our 2xx, T1 doubling up to T2, until the ACK.
    Retransmit2xx,
    /// Dialog (UAS, §13.3.1.4): give up waiting for the ACK of our 2xx at 64*T1.
    AckTimeout,
}

impl Timer {
    /// How many timers exist (the table size).
    pub const COUNT: usize = 14;

    /// All timers, in table order.
    pub const ALL: [Timer; Timer::COUNT] = [
        Timer::A,
        Timer::B,
        Timer::D,
        Timer::E,
        Timer::F,
        Timer::G,
        Timer::H,
        Timer::I,
        Timer::J,
        Timer::K,
        Timer::L,
        Timer::M,
        Timer::Retransmit2xx,
        Timer::AckTimeout,
    ];

    fn index(self) -> usize {
        self as usize
    }
}

/// A deadline per [`Timer`]; `None` is a stopped timer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimerTable {
    deadlines: [Option<Instant>; Timer::COUNT],
}

impl TimerTable {
    /// A table with every timer stopped.
    pub fn new() -> Self {
        Self::default()
    }

    /// Arm `timer` to fire at `at` (replacing any earlier deadline).
    pub fn set(&mut self, timer: Timer, at: Instant) {
        self.deadlines[timer.index()] = Some(at);
    }

    /// Stop `timer`; it will not fire.
    pub fn stop(&mut self, timer: Timer) {
        self.deadlines[timer.index()] = None;
    }

    /// Stop every timer.
    pub fn stop_all(&mut self) {
        self.deadlines = [None; Timer::COUNT];
    }

    /// The deadline of `timer`, if armed.
    pub fn get(&self, timer: Timer) -> Option<Instant> {
        self.deadlines[timer.index()]
    }

    /// Whether `timer` is armed.
    pub fn is_set(&self, timer: Timer) -> bool {
        self.get(timer).is_some()
    }

    /// The earliest armed deadline.
    pub fn next_timeout(&self) -> Option<Instant> {
        self.deadlines.iter().flatten().min().copied()
    }

    /// Whether `timer` is armed and due at `now`.
    pub fn is_expired(&self, timer: Timer, now: Instant) -> bool {
        self.get(timer).is_some_and(|at| at <= now)
    }

    /// Stop and return the earliest timer due at `now`, if any. Callers loop on it so that a
    /// handler that stops another timer (e.g. the ACK stopping G) wins over a later entry.
    pub fn pop_expired(&mut self, now: Instant) -> Option<Timer> {
        let (timer, _) = Timer::ALL
            .iter()
            .filter_map(|&t| self.get(t).filter(|&at| at <= now).map(|at| (t, at)))
            .min_by_key(|&(_, at)| at)?;
        self.stop(timer);
        Some(timer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn set_stop_and_next_timeout() {
        #[allow(clippy::disallowed_methods)] // tests anchor the fake clock once
        let t0 = Instant::now();
        let mut table = TimerTable::new();
        assert_eq!(table.next_timeout(), None);
        table.set(Timer::B, t0 + Duration::from_secs(32));
        table.set(Timer::A, t0 + Duration::from_millis(500));
        assert_eq!(table.next_timeout(), Some(t0 + Duration::from_millis(500)));
        table.stop(Timer::A);
        assert!(!table.is_set(Timer::A));
        assert_eq!(table.next_timeout(), Some(t0 + Duration::from_secs(32)));
    }

    #[test]
    fn pop_expired_in_deadline_order() {
        #[allow(clippy::disallowed_methods)]
        let t0 = Instant::now();
        let mut table = TimerTable::new();
        table.set(Timer::H, t0 + Duration::from_secs(2));
        table.set(Timer::G, t0 + Duration::from_secs(1));
        table.set(Timer::I, t0 + Duration::from_secs(9));
        let now = t0 + Duration::from_secs(5);
        assert_eq!(table.pop_expired(now), Some(Timer::G));
        assert_eq!(table.pop_expired(now), Some(Timer::H));
        assert_eq!(table.pop_expired(now), None);
        assert!(table.is_set(Timer::I));
    }
}
