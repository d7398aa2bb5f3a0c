//! Talker detection with hysteresis on level and duration, one detector per leg.
//!
//! Each 20 ms frame's mean-square level is compared with two thresholds: a leg *starts* talking
//! after [`ONSET_FRAMES`] consecutive frames at or above [`ON_LEVEL`] (a click or a cough of one
//! frame does not count), and *stops* after [`HANGOVER_FRAMES`] consecutive frames below
//! [`OFF_LEVEL`] (the pauses between words do not end a talkspurt). Between the two thresholds the
//! state holds. These transitions are the `Talking` events the video layout and the web page
//! follow; the mixer uses them too (see [`crate::mixer`]) so that a talker's word tails and the
//! quiet syllables between louder ones stay in the mix instead of being gated out.
//!
//! Levels are mean squares of 16-bit samples: RMS 300 (about −41 dBFS) to start, RMS 150 (about
//! −47 dBFS) to stay; a quiet phone's noise floor sits near RMS 20–60, speech well above 1000.

/// Mean square at or above which a frame counts towards starting a talkspurt (RMS 300).
pub const ON_LEVEL: u64 = 300 * 300;
/// Mean square below which a frame counts towards ending one (RMS 150).
pub const OFF_LEVEL: u64 = 150 * 150;
/// Loud frames in a row before a leg is talking (40 ms).
pub const ONSET_FRAMES: u32 = 2;
/// Quiet frames in a row before a talking leg stops (300 ms).
pub const HANGOVER_FRAMES: u32 = 15;

/// One leg's talking state.
#[derive(Debug, Clone, Default)]
pub struct TalkDetector {
    talking: bool,
    /// Consecutive frames on the other side of the threshold that would change the state.
    run: u32,
}

impl TalkDetector {
    /// A silent detector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the leg is talking.
    pub fn is_talking(&self) -> bool {
        self.talking
    }

    /// Feeds one frame's mean square; returns the new state when it changes.
    pub fn push(&mut self, mean_square: u64) -> Option<bool> {
        let (toward_change, needed) = if self.talking {
            (mean_square < OFF_LEVEL, HANGOVER_FRAMES)
        } else {
            (mean_square >= ON_LEVEL, ONSET_FRAMES)
        };
        if !toward_change {
            self.run = 0;
            return None;
        }
        self.run += 1;
        if self.run < needed {
            return None;
        }
        self.run = 0;
        self.talking = !self.talking;
        Some(self.talking)
    }

    /// Back to silent (a new stream).
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

/// Mean square of a frame (0 for an empty one).
pub fn mean_square(frame: &[i16]) -> u64 {
    if frame.is_empty() {
        return 0;
    }
    let sum: u64 = frame
        .iter()
        .map(|&s| (i64::from(s) * i64::from(s)) as u64)
        .sum();
    sum / frame.len() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOUD: u64 = 1000 * 1000;
    const MID: u64 = 200 * 200;
    const QUIET: u64 = 50 * 50;

    #[test]
    fn one_loud_frame_is_not_talking() {
        let mut d = TalkDetector::new();
        assert_eq!(d.push(LOUD), None);
        assert_eq!(d.push(QUIET), None);
        assert_eq!(d.push(LOUD), None);
        assert!(!d.is_talking());
    }

    #[test]
    fn onset_after_two_frames_and_hangover_of_300_ms() {
        let mut d = TalkDetector::new();
        assert_eq!(d.push(LOUD), None);
        assert_eq!(d.push(LOUD), Some(true));
        // Frames between the thresholds hold the state, and a short pause does not end it.
        for _ in 0..50 {
            assert_eq!(d.push(MID), None);
        }
        for _ in 0..HANGOVER_FRAMES - 1 {
            assert_eq!(d.push(QUIET), None);
        }
        assert_eq!(d.push(LOUD), None);
        for _ in 0..HANGOVER_FRAMES - 1 {
            assert_eq!(d.push(QUIET), None);
        }
        assert_eq!(d.push(QUIET), Some(false));
        assert!(!d.is_talking());
    }

    #[test]
    fn mid_level_never_starts_a_talkspurt() {
        let mut d = TalkDetector::new();
        for _ in 0..100 {
            assert_eq!(d.push(MID), None);
        }
    }

    #[test]
    fn mean_square_of_a_square_wave() {
        assert_eq!(mean_square(&[300, -300, 300, -300]), 90_000);
        assert_eq!(mean_square(&[]), 0);
        assert_eq!(mean_square(&[i16::MIN; 4]), 1 << 30);
    }
}
