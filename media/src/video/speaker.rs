//! The active speaker: who has the floor, chosen from the audio talk detector's events, with
//! hold times so the voice-switched picture and the 1+N main tile do not flap.
//!
//! Rules, applied by [`ActiveSpeaker::update`]:
//!
//! 1. A participant *qualifies* once it has been talking continuously for `min_talk` (400 ms by
//!    default): a cough, a "yes" or a door slam never takes the floor.
//! 2. When nobody has the floor yet, the first to qualify takes it ([`ActiveSpeaker::current`]
//!    is `None` until then; callers fall back to join order).
//! 3. Otherwise a qualified participant takes the floor only when the current speaker is not
//!    talking at all: while two talk, the current one keeps it.
//! 4. A speaker keeps the floor at least `hold` (2 s) after taking it; a new talker waits until
//!    then (and takes it at that moment if it is still talking and the current one is not).
//! 5. When several qualify at once, the one talking the longest wins (then join order).
//! 6. When the current speaker leaves, the floor goes back to the previous one (or nobody),
//!    without a hold: anyone qualified may take it at the next update.
//!
//! [`ActiveSpeaker::recent`] orders everyone by when they last took the floor, most recent
//! first, then those who never had it in join order: slot order for the grid layouts.

use std::time::{Duration, Instant};

/// The hold times of [`ActiveSpeaker`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpeakerConfig {
    /// How long a participant must talk without a break to take the floor.
    pub min_talk: Duration,
    /// How long a new speaker keeps the floor at least.
    pub hold: Duration,
}

impl Default for SpeakerConfig {
    /// 400 ms and 2 s.
    fn default() -> Self {
        SpeakerConfig {
            min_talk: Duration::from_millis(400),
            hold: Duration::from_secs(2),
        }
    }
}

/// One known participant.
#[derive(Debug, Clone, Copy)]
struct Member<Id> {
    id: Id,
    /// Start of the current talk spurt, if talking.
    talking_since: Option<Instant>,
}

/// Who has the floor, from talk-detection events, with hold times so the picture does not flap.
#[derive(Debug, Clone)]
pub struct ActiveSpeaker<Id> {
    config: SpeakerConfig,
    /// Participants in join order.
    members: Vec<Member<Id>>,
    /// Everyone: those who had the floor, most recent first, then the others in join order.
    recent: Vec<Id>,
    /// How many entries at the front of `recent` have had the floor (so `recent[0]` is the
    /// current speaker when this is at least 1).
    spoken: usize,
    /// When the current speaker took the floor; `None` when it got it back by a leave.
    floor_since: Option<Instant>,
    /// The speaker changed since the last `update` returned.
    changed: bool,
}

impl<Id: Copy + Eq> ActiveSpeaker<Id> {
    /// Nobody known, nobody has the floor.
    pub fn new(config: SpeakerConfig) -> Self {
        ActiveSpeaker {
            config,
            members: Vec::new(),
            recent: Vec::new(),
            spoken: 0,
            floor_since: None,
            changed: false,
        }
    }

    /// A participant joins (a second join of the same id is ignored).
    pub fn join(&mut self, id: Id) {
        if self.members.iter().any(|m| m.id == id) {
            return;
        }
        self.members.push(Member {
            id,
            talking_since: None,
        });
        // Never-spoken participants are the tail of `recent`, already in join order.
        self.recent.push(id);
    }

    /// A participant leaves; if it had the floor, the floor goes to the previous speaker (or
    /// nobody), and the next [`ActiveSpeaker::update`] reports the change.
    pub fn leave(&mut self, id: Id) {
        self.members.retain(|m| m.id != id);
        let Some(pos) = self.recent.iter().position(|&r| r == id) else {
            return;
        };
        self.recent.remove(pos);
        if pos < self.spoken {
            self.spoken -= 1;
            if pos == 0 {
                self.changed = true;
                self.floor_since = None;
            }
        }
    }

    /// An event from the audio talk detector: `id` started (`true`) or stopped talking.
    /// Unknown ids are ignored; a repeated `true` keeps the spurt's original start.
    pub fn talking(&mut self, id: Id, talking: bool, now: Instant) {
        if let Some(m) = self.members.iter_mut().find(|m| m.id == id) {
            if !talking {
                m.talking_since = None;
            } else if m.talking_since.is_none() {
                m.talking_since = Some(now);
            }
        }
    }

    /// Apply the rules (module doc) at `now`; `true` when the speaker changed since the last
    /// call (by these rules or by a leave).
    pub fn update(&mut self, now: Instant) -> bool {
        let current = self.current();
        if let Some(c) = current {
            let held = self
                .floor_since
                .is_some_and(|t| now.saturating_duration_since(t) < self.config.hold);
            let talking = self
                .members
                .iter()
                .any(|m| m.id == c && m.talking_since.is_some());
            if held || talking {
                return std::mem::take(&mut self.changed);
            }
        }
        let min_talk = self.config.min_talk;
        // The longest talker among the qualified; `min_by_key` keeps the first of equals, so
        // ties go by join order.
        let winner = self
            .members
            .iter()
            .filter(|m| Some(m.id) != current)
            .filter_map(|m| {
                let since = m.talking_since?;
                (now.saturating_duration_since(since) >= min_talk).then_some((since, m.id))
            })
            .min_by_key(|&(since, _)| since);
        if let Some((_, id)) = winner {
            self.take_floor(id, now);
        }
        std::mem::take(&mut self.changed)
    }

    /// `id` takes the floor: to the front of `recent`.
    fn take_floor(&mut self, id: Id, now: Instant) {
        let Some(pos) = self.recent.iter().position(|&r| r == id) else {
            return;
        };
        self.recent[..=pos].rotate_right(1);
        if pos >= self.spoken {
            self.spoken += 1;
        }
        self.floor_since = Some(now);
        self.changed = true;
    }

    /// Who has the floor; `None` until someone has talked `min_talk`.
    pub fn current(&self) -> Option<Id> {
        (self.spoken >= 1).then(|| self.recent[0])
    }

    /// Who had the floor before the current speaker (what the current speaker sees in the
    /// voice-switched layout), among those still here.
    pub fn previous(&self) -> Option<Id> {
        (self.spoken >= 2).then(|| self.recent[1])
    }

    /// Every participant: most recent speaker first, then those who never had the floor in
    /// join order.
    pub fn recent(&self) -> &[Id] {
        &self.recent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: u32 = 1;
    const B: u32 = 2;
    const C: u32 = 3;
    const D: u32 = 4;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// A, B, C (and D) joined in that order, default config.
    fn room(ids: &[u32]) -> ActiveSpeaker<u32> {
        let mut s = ActiveSpeaker::new(SpeakerConfig::default());
        for &id in ids {
            s.join(id);
        }
        s
    }

    /// A scripted timeline: talk events at their times, `update` every 20 ms between them.
    struct Script {
        s: ActiveSpeaker<u32>,
        t0: Instant,
        /// (ms, id, talking), in time order.
        events: Vec<(u64, u32, bool)>,
        next_event: usize,
        /// The next update's time, ms.
        at: u64,
    }

    impl Script {
        fn new(ids: &[u32], events: &[(u64, u32, bool)]) -> Script {
            Script {
                s: room(ids),
                t0: crate::test_t0(),
                events: events.to_vec(),
                next_event: 0,
                at: 0,
            }
        }

        /// Play until `to` ms (inclusive); the times at which `update` returned `true`.
        fn until(&mut self, to: u64) -> Vec<u64> {
            let mut changes = Vec::new();
            while self.at <= to {
                while let Some(&(t, id, on)) = self.events.get(self.next_event) {
                    if t > self.at {
                        break;
                    }
                    self.s.talking(id, on, self.t0 + ms(t));
                    self.next_event += 1;
                }
                if self.s.update(self.t0 + ms(self.at)) {
                    changes.push(self.at);
                }
                self.at += 20;
            }
            changes
        }

        fn floor(&self) -> (Option<u32>, Option<u32>) {
            (self.s.current(), self.s.previous())
        }
    }

    #[test]
    fn first_talker_takes_the_floor_after_min_talk() {
        let mut sc = Script::new(&[A, B, C], &[(100, B, true)]);
        assert_eq!(sc.until(480), []);
        assert_eq!(sc.floor(), (None, None));
        assert_eq!(sc.until(1000), [500]);
        assert_eq!(sc.floor(), (Some(B), None));
        assert_eq!(sc.s.recent(), [B, A, C]);
    }

    #[test]
    fn a_blip_shorter_than_min_talk_does_not_switch() {
        let mut sc = Script::new(
            &[A, B, C],
            &[
                // With nobody on the floor, a 380 ms blip takes nothing.
                (0, C, true),
                (380, C, false),
                // A takes the floor, stops; long after the hold B blips twice, with a break
                // between (the spurts do not add up).
                (1000, A, true),
                (2000, A, false),
                (4000, B, true),
                (4300, B, false),
                (4320, B, true),
                (4700, B, false),
            ],
        );
        assert_eq!(sc.until(980), []);
        assert_eq!(sc.floor(), (None, None));
        assert_eq!(sc.until(6000), [1400]);
        assert_eq!(sc.floor(), (Some(A), None));
    }

    #[test]
    fn crosstalk_keeps_the_current_speaker() {
        // B talks over A from 1 s, C from 3 s: A talks on until 6 s, so keeps the floor; then
        // B, talking the longest, takes it at once (A's hold is long over).
        let mut sc = Script::new(
            &[A, B, C],
            &[
                (0, A, true),
                (1000, B, true),
                (3000, C, true),
                (6000, A, false),
            ],
        );
        assert_eq!(sc.until(5980), [400]);
        assert_eq!(sc.floor(), (Some(A), None));
        assert_eq!(sc.until(8000), [6000]);
        assert_eq!(sc.floor(), (Some(B), Some(A)));
    }

    #[test]
    fn a_new_talker_waits_for_the_hold() {
        // A takes the floor at 400 ms and holds it until 2400 even though silent from 500; B,
        // qualified from 1000, gets it at 2400. B stops at once and A talks again from 2500:
        // A waits for B's hold, until 4400.
        let mut sc = Script::new(
            &[A, B],
            &[
                (0, A, true),
                (500, A, false),
                (600, B, true),
                (2420, B, false),
                (2500, A, true),
            ],
        );
        assert_eq!(sc.until(2380), [400]);
        assert_eq!(sc.floor(), (Some(A), None));
        assert_eq!(sc.until(4380), [2400]);
        assert_eq!(sc.floor(), (Some(B), Some(A)));
        assert_eq!(sc.until(6000), [4400]);
        assert_eq!(sc.floor(), (Some(A), Some(B)));
    }

    #[test]
    fn previous_follows_the_switches() {
        // A, B, C, A talk 3 s each in turn.
        let mut sc = Script::new(
            &[A, B, C],
            &[
                (0, A, true),
                (3000, A, false),
                (3000, B, true),
                (6000, B, false),
                (6000, C, true),
                (9000, C, false),
                (9000, A, true),
                (12000, A, false),
            ],
        );
        for (start, id, prev) in [
            (0, A, None),
            (3000, B, Some(A)),
            (6000, C, Some(B)),
            (9000, A, Some(C)),
        ] {
            assert_eq!(sc.until(start + 2980), [start + 400], "{id}");
            assert_eq!(sc.floor(), (Some(id), prev));
        }
        assert_eq!(sc.s.recent(), [A, C, B]);
    }

    #[test]
    fn leave_of_the_current_speaker_gives_the_floor_back() {
        let mut sc = Script::new(
            &[A, B, C, D],
            &[
                (0, A, true),
                (1000, A, false),
                (3000, B, true),
                (3500, C, true),
            ],
        );
        assert_eq!(sc.until(3480), [400, 3400]);
        // B leaves inside its hold: A has the floor back, reported by the next update, and
        // without a hold, so C takes it as soon as C qualifies (A being silent).
        sc.s.leave(B);
        assert_eq!(sc.floor(), (Some(A), None));
        assert_eq!(sc.until(4000), [3500, 3900]);
        assert_eq!(sc.floor(), (Some(C), Some(A)));
        // The previous speaker leaving changes nobody's floor.
        sc.s.leave(A);
        assert_eq!(sc.until(4100), []);
        assert_eq!(sc.floor(), (Some(C), None));
        // The last speaker leaving leaves the floor empty; events of the gone are ignored.
        sc.s.leave(C);
        sc.s.talking(C, true, sc.t0 + ms(4100));
        assert_eq!(sc.until(6000), [4120]);
        assert_eq!(sc.floor(), (None, None));
        assert_eq!(sc.s.recent(), [D]);
    }

    #[test]
    fn recent_orders_speakers_then_joiners() {
        let mut sc = Script::new(
            &[A, B, C, D],
            &[
                (0, C, true),
                (500, C, false),
                (2500, A, true),
                (3000, A, false),
            ],
        );
        assert_eq!(sc.s.recent(), [A, B, C, D]);
        assert_eq!(sc.until(3000), [400, 2900]);
        assert_eq!(sc.s.recent(), [A, C, B, D]);
        sc.s.leave(C);
        sc.s.join(5);
        sc.s.join(A);
        assert_eq!(sc.s.recent(), [A, B, D, 5]);
        assert_eq!(sc.floor(), (Some(A), None));
    }

    #[test]
    fn longest_talker_wins_a_tie_break() {
        let t0 = crate::test_t0();
        let mut s = room(&[A, B, C]);
        // C started first: when the update finally runs (late), C wins over B.
        s.talking(B, true, t0 + ms(100));
        s.talking(C, true, t0 + ms(50));
        assert!(s.update(t0 + ms(1000)));
        assert_eq!(s.current(), Some(C));
        // Same start: join order.
        let mut s = room(&[A, B, C]);
        s.talking(C, true, t0);
        s.talking(B, true, t0);
        s.talking(B, true, t0 + ms(300));
        assert!(s.update(t0 + ms(400)));
        assert_eq!(s.current(), Some(B));
    }
}
