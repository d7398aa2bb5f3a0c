//! Prompt playback for one leg: a queue of decoded clips played back to back, one 20 ms frame per
//! tick, mixed over what the leg hears from the conference (see
//! [`crate::mixer::AudioMixer::payload_over`]).
//!
//! Clips are shared `Arc<[i16]>`s decoded once by the driver; the queue holds clones of the
//! `Arc`s (no sample is copied except into the frame), and its capacity is reserved when the leg
//! is created, so starting a play of up to [`QUEUE_CAPACITY`] clips and every tick after it
//! allocate nothing.

use std::sync::Arc;

/// Clips a play can queue without allocating (a longer list still works; `play` then grows the
/// queue once).
pub const QUEUE_CAPACITY: usize = 8;

/// What one tick of playback produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Nothing is playing.
    Idle,
    /// A frame of prompt is ready; more follows.
    Playing,
    /// A frame of prompt is ready and it was the last one: the play is finished.
    Finished,
}

/// One leg's playback state; it moves with the leg between engines.
#[derive(Debug, Clone)]
pub(crate) struct Playback {
    queue: Vec<Arc<[i16]>>,
    /// Position: clip index in `queue` and sample index in that clip.
    clip: usize,
    pos: usize,
    active: bool,
    /// This tick's prompt samples (zero-padded after the end of the last clip).
    frame: Vec<i16>,
}

impl Playback {
    /// Idle playback producing frames of `frame_samples`.
    pub(crate) fn new(frame_samples: usize) -> Self {
        Self {
            queue: Vec::with_capacity(QUEUE_CAPACITY),
            clip: 0,
            pos: 0,
            active: false,
            frame: vec![0; frame_samples],
        }
    }

    /// Starts playing `clips` from their start; returns whether a play was replaced (and so
    /// ended without finishing).
    pub(crate) fn start(&mut self, clips: &[Arc<[i16]>]) -> bool {
        let replaced = self.stop();
        self.queue.extend(clips.iter().cloned());
        self.active = true;
        replaced
    }

    /// Stops playing; returns whether something was playing.
    pub(crate) fn stop(&mut self) -> bool {
        let was = self.active;
        self.active = false;
        self.queue.clear();
        self.clip = 0;
        self.pos = 0;
        was
    }

    /// Whether a play is in progress.
    pub(crate) fn is_active(&self) -> bool {
        self.active
    }

    /// Fills this tick's frame from the queue, crossing into the next clip mid-frame so clips
    /// chain without a gap.
    pub(crate) fn step(&mut self) -> Step {
        if !self.active {
            return Step::Idle;
        }
        let mut filled = 0;
        while filled < self.frame.len() {
            let Some(clip) = self.queue.get(self.clip) else {
                break;
            };
            let n = (clip.len() - self.pos).min(self.frame.len() - filled);
            self.frame[filled..filled + n].copy_from_slice(&clip[self.pos..self.pos + n]);
            filled += n;
            self.pos += n;
            if self.pos == clip.len() {
                self.clip += 1;
                self.pos = 0;
            }
        }
        self.frame[filled..].fill(0);
        if self.clip >= self.queue.len() {
            self.stop();
            Step::Finished
        } else {
            Step::Playing
        }
    }

    /// The frame filled by the last [`Playback::step`].
    pub(crate) fn frame(&self) -> &[i16] {
        &self.frame
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clip(value: i16, len: usize) -> Arc<[i16]> {
        vec![value; len].into()
    }

    #[test]
    fn clips_chain_without_gaps_and_finish_once() {
        let mut p = Playback::new(4);
        assert_eq!(p.step(), Step::Idle);
        assert!(!p.start(&[clip(1, 3), clip(2, 0), clip(3, 3)]));
        assert!(p.is_active());
        assert_eq!(p.step(), Step::Playing);
        assert_eq!(p.frame(), &[1, 1, 1, 3]);
        assert_eq!(p.step(), Step::Finished);
        assert_eq!(p.frame(), &[3, 3, 0, 0]);
        assert!(!p.is_active());
        assert_eq!(p.step(), Step::Idle);
    }

    #[test]
    fn an_exact_fit_finishes_on_its_last_frame() {
        let mut p = Playback::new(4);
        p.start(&[clip(5, 8)]);
        assert_eq!(p.step(), Step::Playing);
        assert_eq!(p.step(), Step::Finished);
        assert_eq!(p.frame(), &[5; 4]);
    }

    #[test]
    fn an_empty_play_finishes_on_the_next_step() {
        let mut p = Playback::new(4);
        p.start(&[]);
        assert_eq!(p.step(), Step::Finished);
        assert_eq!(p.frame(), &[0; 4]);
    }

    #[test]
    fn start_replaces_and_stop_reports() {
        let mut p = Playback::new(4);
        p.start(&[clip(1, 100)]);
        p.step();
        assert!(p.start(&[clip(2, 100)]), "the first play was replaced");
        p.step();
        assert_eq!(p.frame(), &[2; 4]);
        assert!(p.stop());
        assert!(!p.stop());
    }
}
