//! Failed access-code attempts counted per source address and per conference, with a lockout
//! (issue #3). Sans-IO: every call takes `now`.
//!
//! `record_failure(now, source, conference)`; at `threshold` failures within `window` from one
//! source, that source is locked for `lockout` (`is_locked(now, source)`); a failure while
//! locked locks it again from that moment. Per-conference failures are counted too
//! (`conference_failures`) so the driver can log and export them.
//!
//! Memory is bounded whatever callers do: each source keeps at most `threshold` timestamps (older
//! ones cannot change the verdict), each conference at most [`MAX_CONFERENCE_FAILURES`] (its count
//! saturates there), entries are pruned once nothing about them can matter any more, and at most
//! `max_sources` sources (and as many conferences) are tracked, the least recently failing one
//! evicted first. Eviction can forget a locked source; bounded memory under a flood of addresses
//! is worth more than one more lockout.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// The per-conference count saturates here (it is for logs and metrics, not a verdict).
pub const MAX_CONFERENCE_FAILURES: usize = 1024;

/// Settings.
#[derive(Debug, Clone)]
pub struct LockoutConfig {
    /// Failures that trigger a lockout (default 5).
    pub threshold: u32,
    /// Window they are counted in (default 10 min).
    pub window: Duration,
    /// How long a source stays locked (default 10 min).
    pub lockout: Duration,
    /// Most sources tracked (and, separately, most conferences).
    pub max_sources: usize,
}

impl Default for LockoutConfig {
    fn default() -> Self {
        LockoutConfig {
            threshold: 5,
            window: Duration::from_secs(600),
            lockout: Duration::from_secs(600),
            max_sources: 100_000,
        }
    }
}

/// What a failure led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureOutcome {
    /// Counted; not locked.
    Counted,
    /// This failure locked the source (or, if it was locked already, locked it again from now).
    Locked,
}

/// Recent failures of one key.
#[derive(Debug)]
struct Failures {
    /// Failure times, oldest first, at most the key's cap.
    times: VecDeque<Instant>,
    /// End of the lockout (sources only).
    locked_until: Option<Instant>,
    /// This entry's key in [`Recent::order`].
    order: (Instant, u64),
}

/// Keys by their failures, with the least recently failing one found in O(log n).
#[derive(Debug)]
struct Recent<K> {
    entries: HashMap<K, Failures>,
    /// (last failure, tie-breaker) → key: the front is the oldest entry, and also the first to
    /// expire, because an entry expires a fixed time after its last failure.
    order: BTreeMap<(Instant, u64), K>,
    seq: u64,
    /// Most entries kept.
    max_entries: usize,
    /// Most timestamps kept per entry.
    max_times: usize,
}

impl<K: Hash + Eq + Clone> Recent<K> {
    fn new(max_entries: usize, max_times: usize) -> Self {
        Recent {
            entries: HashMap::new(),
            order: BTreeMap::new(),
            seq: 0,
            max_entries: max_entries.max(1),
            max_times: max_times.max(1),
        }
    }

    /// Drop entries whose last failure is `keep` or more ago: nothing about them matters now.
    fn prune(&mut self, now: Instant, keep: Duration) {
        while let Some((&(last, seq), _)) = self.order.first_key_value() {
            if now.saturating_duration_since(last) < keep {
                break;
            }
            if let Some(key) = self.order.remove(&(last, seq)) {
                self.entries.remove(&key);
            }
        }
    }

    /// Add a failure of `key` at `now`, making room if needed; the entry is returned.
    fn record(&mut self, now: Instant, key: &K) -> &mut Failures {
        self.seq += 1;
        let order = (now, self.seq);
        if !self.entries.contains_key(key) && self.entries.len() >= self.max_entries {
            if let Some((_, oldest)) = self.order.pop_first() {
                self.entries.remove(&oldest);
            }
        }
        let entry = self.entries.entry(key.clone()).or_insert_with(|| Failures {
            times: VecDeque::new(),
            locked_until: None,
            order,
        });
        self.order.remove(&entry.order);
        entry.order = order;
        self.order.insert(order, key.clone());
        if entry.times.len() == self.max_times {
            entry.times.pop_front();
        }
        entry.times.push_back(now);
        entry
    }

    /// Failures of `key` less than `window` old.
    fn count(&self, now: Instant, key: &K, window: Duration) -> usize {
        self.entries
            .get(key)
            .map_or(0, |e| within(&e.times, now, window))
    }
}

/// How many of `times` are less than `window` before `now`.
fn within(times: &VecDeque<Instant>, now: Instant, window: Duration) -> usize {
    times
        .iter()
        .filter(|&&t| now.saturating_duration_since(t) < window)
        .count()
}

/// The tracker.
#[derive(Debug)]
pub struct Lockout {
    config: LockoutConfig,
    sources: Recent<IpAddr>,
    conferences: Recent<String>,
}

impl Lockout {
    /// A tracker.
    pub fn new(config: LockoutConfig) -> Self {
        let threshold = usize::try_from(config.threshold).unwrap_or(usize::MAX);
        Lockout {
            sources: Recent::new(config.max_sources, threshold),
            conferences: Recent::new(config.max_sources, MAX_CONFERENCE_FAILURES),
            config,
        }
    }

    /// How long after its last failure an entry can still matter.
    fn keep(&self) -> Duration {
        self.config.window.max(self.config.lockout)
    }

    /// Count a failed code from `source` for `conference`.
    pub fn record_failure(
        &mut self,
        now: Instant,
        source: IpAddr,
        conference: &str,
    ) -> FailureOutcome {
        let keep = self.keep();
        self.sources.prune(now, keep);
        self.conferences.prune(now, self.config.window);
        self.conferences.record(now, &conference.to_string());

        let (window, lockout, threshold) = (
            self.config.window,
            self.config.lockout,
            self.config.threshold,
        );
        let entry = self.sources.record(now, &source);
        let was_locked = entry.locked_until.is_some_and(|until| until > now);
        let count = within(&entry.times, now, window);
        if was_locked || u32::try_from(count).unwrap_or(u32::MAX) >= threshold {
            entry.locked_until = Some(now + lockout);
            FailureOutcome::Locked
        } else {
            FailureOutcome::Counted
        }
    }

    /// Whether `source` is refused now.
    pub fn is_locked(&self, now: Instant, source: IpAddr) -> bool {
        self.locked_until(now, source).is_some()
    }

    /// When the lockout of `source` ends, if it is locked now (for the log line).
    pub fn locked_until(&self, now: Instant, source: IpAddr) -> Option<Instant> {
        let until = self.sources.entries.get(&source)?.locked_until?;
        (until > now).then_some(until)
    }

    /// Failures counted for `conference` within the window.
    pub fn conference_failures(&self, now: Instant, conference: &str) -> u32 {
        let n = self
            .conferences
            .count(now, &conference.to_string(), self.config.window);
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// Failures counted for `source` within the window (at most `threshold` are remembered).
    pub fn source_failures(&self, now: Instant, source: IpAddr) -> u32 {
        let n = self.sources.count(now, &source, self.config.window);
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// Sources tracked now (for a gauge; pruning happens as failures are recorded).
    pub fn tracked_sources(&self) -> usize {
        self.sources.entries.len()
    }

    /// Conferences tracked now.
    pub fn tracked_conferences(&self) -> usize {
        self.conferences.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn ip(n: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n))
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[allow(clippy::disallowed_methods)] // the fake clock's origin
    fn t0() -> Instant {
        Instant::now()
    }

    #[test]
    fn locks_at_the_threshold() {
        let t0 = t0();
        let mut l = Lockout::new(LockoutConfig::default());
        for i in 0..4 {
            assert_eq!(
                l.record_failure(t0 + secs(i), ip(1), "721051"),
                FailureOutcome::Counted
            );
            assert!(!l.is_locked(t0 + secs(i), ip(1)));
        }
        assert_eq!(
            l.record_failure(t0 + secs(4), ip(1), "721051"),
            FailureOutcome::Locked
        );
        assert!(l.is_locked(t0 + secs(4), ip(1)));
        assert_eq!(l.locked_until(t0 + secs(5), ip(1)), Some(t0 + secs(604)));
        // Another source is not affected.
        assert!(!l.is_locked(t0 + secs(4), ip(2)));
        assert_eq!(l.conference_failures(t0 + secs(4), "721051"), 5);
        assert_eq!(l.source_failures(t0 + secs(4), ip(1)), 5);
    }

    #[test]
    fn lockout_expires() {
        let t0 = t0();
        let mut l = Lockout::new(LockoutConfig::default());
        for i in 0..5 {
            l.record_failure(t0 + secs(i), ip(1), "1");
        }
        assert!(l.is_locked(t0 + secs(603), ip(1)));
        assert!(!l.is_locked(t0 + secs(604), ip(1)));
        assert_eq!(l.locked_until(t0 + secs(604), ip(1)), None);
    }

    #[test]
    fn failures_outside_the_window_do_not_count() {
        let t0 = t0();
        let mut l = Lockout::new(LockoutConfig::default());
        // Four failures, then one every 3 minutes: never 5 within 10 minutes.
        for i in 0..4 {
            l.record_failure(t0 + secs(i * 180), ip(1), "1");
        }
        assert_eq!(l.source_failures(t0 + secs(540), ip(1)), 4);
        assert_eq!(
            l.record_failure(t0 + secs(600), ip(1), "1"),
            FailureOutcome::Counted,
            "the first failure is exactly 10 min old: out of the window"
        );
        assert!(!l.is_locked(t0 + secs(600), ip(1)));
        assert_eq!(l.conference_failures(t0 + secs(600), "1"), 4);
        assert_eq!(l.conference_failures(t0 + secs(2000), "1"), 0);
    }

    #[test]
    fn a_failure_while_locked_locks_again() {
        let t0 = t0();
        let mut l = Lockout::new(LockoutConfig::default());
        for i in 0..5 {
            l.record_failure(t0 + secs(i), ip(1), "1");
        }
        assert_eq!(
            l.record_failure(t0 + secs(300), ip(1), "1"),
            FailureOutcome::Locked
        );
        assert!(l.is_locked(t0 + secs(899), ip(1)));
        assert!(!l.is_locked(t0 + secs(900), ip(1)));
    }

    #[test]
    fn per_conference_counts_from_many_sources() {
        let t0 = t0();
        let mut l = Lockout::new(LockoutConfig::default());
        for i in 0..7 {
            assert_eq!(
                l.record_failure(t0 + secs(i), ip(i as u32), "721051"),
                FailureOutcome::Counted
            );
        }
        l.record_failure(t0, ip(100), "999999");
        assert_eq!(l.conference_failures(t0 + secs(10), "721051"), 7);
        assert_eq!(l.conference_failures(t0 + secs(10), "999999"), 1);
        assert_eq!(l.conference_failures(t0 + secs(10), "123456"), 0);
    }

    #[test]
    fn expired_entries_are_pruned() {
        let t0 = t0();
        let mut l = Lockout::new(LockoutConfig::default());
        for i in 0..100 {
            l.record_failure(t0, ip(i), &format!("c{i}"));
        }
        assert_eq!(l.tracked_sources(), 100);
        assert_eq!(l.tracked_conferences(), 100);
        l.record_failure(t0 + secs(601), ip(1000), "c");
        assert_eq!(l.tracked_sources(), 1);
        assert_eq!(l.tracked_conferences(), 1);
    }

    #[test]
    fn a_locked_source_is_kept_until_its_lockout_ends() {
        let t0 = t0();
        let config = LockoutConfig {
            window: secs(60),
            lockout: secs(3600),
            ..LockoutConfig::default()
        };
        let mut l = Lockout::new(config);
        for i in 0..5 {
            l.record_failure(t0 + secs(i), ip(1), "1");
        }
        l.record_failure(t0 + secs(1000), ip(2), "1");
        assert!(l.is_locked(t0 + secs(1000), ip(1)));
        l.record_failure(t0 + secs(3604), ip(3), "1");
        assert!(!l.is_locked(t0 + secs(3604), ip(1)));
        assert_eq!(l.tracked_sources(), 2);
    }

    #[test]
    fn the_oldest_source_is_evicted_past_max_sources() {
        let t0 = t0();
        let config = LockoutConfig {
            max_sources: 3,
            ..LockoutConfig::default()
        };
        let mut l = Lockout::new(config);
        l.record_failure(t0, ip(1), "1");
        l.record_failure(t0 + secs(1), ip(2), "1");
        l.record_failure(t0 + secs(2), ip(3), "1");
        // Source 1 fails again: now 2 is the least recently failing.
        l.record_failure(t0 + secs(3), ip(1), "1");
        l.record_failure(t0 + secs(4), ip(4), "1");
        assert_eq!(l.tracked_sources(), 3);
        assert_eq!(l.source_failures(t0 + secs(4), ip(2)), 0);
        assert_eq!(l.source_failures(t0 + secs(4), ip(1)), 2);
        assert_eq!(l.source_failures(t0 + secs(4), ip(3)), 1);
        assert_eq!(l.source_failures(t0 + secs(4), ip(4)), 1);
    }

    #[test]
    fn memory_per_key_is_bounded() {
        let t0 = t0();
        let mut l = Lockout::new(LockoutConfig::default());
        for i in 0..5000 {
            l.record_failure(t0 + Duration::from_millis(i), ip(1), "1");
        }
        assert!(l.is_locked(t0 + secs(5), ip(1)));
        assert_eq!(l.source_failures(t0 + secs(5), ip(1)), 5);
        assert_eq!(
            l.conference_failures(t0 + secs(5), "1"),
            MAX_CONFERENCE_FAILURES as u32
        );
        assert_eq!(l.tracked_sources(), 1);
    }

    #[test]
    fn threshold_one_locks_at_the_first_failure() {
        let t0 = t0();
        let mut l = Lockout::new(LockoutConfig {
            threshold: 1,
            ..LockoutConfig::default()
        });
        assert_eq!(l.record_failure(t0, ip(1), "1"), FailureOutcome::Locked);
    }
}
