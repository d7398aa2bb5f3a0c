//! In-band DTMF detection (ITU-T Q.23 frequencies, Q.24 receiver limits) in decoded 8 kHz audio,
//! for gateways that send tones in the audio instead of (or as well as) RFC 4733 events.
//!
//! The audio is analysed in windows of [`WINDOW`] samples (12.75 ms) every [`HOP`] samples (half
//! a window). Each window runs a Goertzel filter at the 8 DTMF frequencies and at the second
//! harmonics of the 4 column (high-group) frequencies, and finds a key only when all of these hold:
//!
//! - **level**: each tone is at least [`MIN_TONE_DBM0`] (Q.24 asks for operation down to −25 dBm0
//!   per tone; G.711's 0 dBm0 is a sine 3.14 dB below full scale);
//! - **twist**: the row (low-group) tone exceeds the column tone by at most 8 dB ("normal" twist,
//!   what a line that loses high frequencies does), the column exceeds the row by at most 4 dB
//!   ("reverse" twist), with [`TWIST_TOLERANCE_DB`] added for the estimates' spread;
//! - **purity**: the strongest row and column are each [`NEIGHBOUR_DB`] above the other rows and
//!   columns, and the two tones carry [`ENERGY_SHARE`] of the window's energy — speech and music
//!   spread their energy over many harmonics, which is what keeps them from "talking off" digits;
//! - **harmonics**: the column tone's second harmonic is [`HARMONIC_DB`] below it (the rows'
//!   second harmonics fall among the column frequencies, so only the columns are checked).
//!
//! A key is reported once, as soon as it has been found in [`PRESENT`] consecutive windows
//! (≥ 40 ms of tone always gives 4; 20 ms never gives more than 2, because a window only passes
//! the energy-share test when the tone fills most of it). It is released after [`RELEASE`]
//! consecutive windows without it (a pause of 40 ms always gives at least 6), and only then can
//! the next key be reported; a drop-out of up to 10 ms inside a tone is bridged.
//!
//! Measured (the ignored `margins` test prints these): every key is detected down to −31 dBm0 per
//! tone and with ±1.5 % frequency deviation; tones of 36 ms and more are detected at every
//! alignment with the windows, 26 ms and less at none; over the 68 prompts (both languages, at
//! three levels, through µ-law) not one window passes every check.
//!
//! Sans-IO and allocation-free: the window is a fixed array inside the detector. It expects
//! 8 kHz audio; a wideband leg (later) must feed it its audio decimated to 8 kHz.

/// Samples per second the detector expects (G.711).
pub const RATE: u32 = 8000;
/// Samples per analysis window: 12.75 ms, a ~78 Hz resolution that separates the DTMF
/// frequencies (≥ 73 Hz apart) while two windows fit in 40 ms.
pub const WINDOW: usize = 102;
/// Samples between two analyses (50 % overlap).
pub const HOP: usize = WINDOW / 2;
/// Consecutive agreeing windows before a key is reported.
pub const PRESENT: u32 = 4;
/// Consecutive windows without the key before it is released.
pub const RELEASE: u32 = 5;
/// Minimum level of each tone, in dBm0 (7 dB below Q.24's −25 dBm0 operating point, to allow
/// for frequency deviation and a window only partly filled by the tone).
pub const MIN_TONE_DBM0: f64 = -32.0;
/// Level in dBFS (full-scale sine = 0 dBFS) of a 0 dBm0 sine in G.711 (3.14 dB below the
/// A-law maximum, 3.17 dB below the µ-law one; the difference does not matter here).
#[allow(clippy::approx_constant)] // a level in dB, not π
pub const DBM0_IN_DBFS: f64 = -3.14;
/// Largest excess of the row tone over the column tone, in dB.
pub const NORMAL_TWIST_DB: f64 = 8.0;
/// Largest excess of the column tone over the row tone, in dB.
pub const REVERSE_TWIST_DB: f64 = 4.0;
/// Added to both twist limits when deciding. The rectangular window's side lobes let the stronger
/// tone move the weaker one's estimate by up to ±2 dB from window to window (a 941 Hz row 8 dB
/// above its 1209 Hz column reads between 6.5 and 9.8 dB), and a twist at the limit must pass in
/// every window for every key. Measured: 8.75 dB normal and 5.25 dB reverse twist pass for every
/// key; from 10.25 dB and 6.25 dB on, every key is rejected.
pub const TWIST_TOLERANCE_DB: f64 = 2.0;
/// How far the chosen row (column) must be above every other row (column), in dB.
pub const NEIGHBOUR_DB: f64 = 8.0;
/// How far below the column tone its second harmonic must be, in dB.
pub const HARMONIC_DB: f64 = 15.0;
/// Share of the window's energy the two tones must carry.
pub const ENERGY_SHARE: f64 = 0.85;
/// Relative offset of the probes either side of the chosen row and column frequencies.
const PROBE: f64 = 0.01;

/// Q.23 low-group (row) frequencies.
const ROWS: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
/// Q.23 high-group (column) frequencies.
const COLS: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
/// The keypad, by row then column.
const KEYS: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];

fn db_to_power(db: f64) -> f32 {
    10f64.powf(db / 10.0) as f32
}

/// An in-band DTMF detector for one 8 kHz audio stream.
#[derive(Debug, Clone)]
pub struct InbandDetector {
    /// The last [`WINDOW`] samples, scaled to ±1, as a ring starting at `head`.
    ring: [f32; WINDOW],
    head: usize,
    /// Samples received since the last analysis (the first analysis waits for a full window).
    since: usize,
    filled: usize,
    /// Goertzel coefficients 2·cos(2πf/fs): 4 rows, 4 columns, 4 column harmonics.
    coeff: [f32; 12],
    /// Coefficients 1 % below and above each row and column frequency (see `analyse`).
    probes: [[f32; 2]; 8],
    min_tone: f32,
    normal_twist: f32,
    reverse_twist: f32,
    neighbour: f32,
    harmonic: f32,
    /// The key found in the latest windows and in how many consecutive ones.
    candidate: Option<char>,
    run: u32,
    /// The key reported and not yet released, and the windows since it was last seen.
    held: Option<char>,
    misses: u32,
}

impl Default for InbandDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl InbandDetector {
    /// A detector for 8 kHz audio, idle.
    pub fn new() -> Self {
        let k = |f: f64| (2.0 * (2.0 * std::f64::consts::PI * f / f64::from(RATE)).cos()) as f32;
        let mut coeff = [0f32; 12];
        let freqs = ROWS
            .iter()
            .chain(&COLS)
            .copied()
            .chain(COLS.map(|f| 2.0 * f));
        for (c, f) in coeff.iter_mut().zip(freqs) {
            *c = k(f);
        }
        let mut probes = [[0f32; 2]; 8];
        for (p, &f) in probes.iter_mut().zip(ROWS.iter().chain(&COLS)) {
            *p = [k(f * (1.0 - PROBE)), k(f * (1.0 + PROBE))];
        }
        Self {
            ring: [0.0; WINDOW],
            head: 0,
            since: 0,
            filled: 0,
            coeff,
            probes,
            min_tone: db_to_power(MIN_TONE_DBM0 + DBM0_IN_DBFS),
            normal_twist: db_to_power(NORMAL_TWIST_DB + TWIST_TOLERANCE_DB),
            reverse_twist: db_to_power(REVERSE_TWIST_DB + TWIST_TOLERANCE_DB),
            neighbour: db_to_power(NEIGHBOUR_DB),
            harmonic: db_to_power(HARMONIC_DB),
            candidate: None,
            run: 0,
            held: None,
            misses: 0,
        }
    }

    /// Forgets everything heard (a key held is not reported again, nor is a half-heard one).
    pub fn reset(&mut self) {
        *self = Self {
            coeff: self.coeff,
            probes: self.probes,
            ..Self::new()
        };
    }

    /// Feeds samples; returns the key detected in them, if any. A key needs at least 57 ms of
    /// audio after the previous one (release plus presence), so chunks of up to 57 ms — the
    /// engine feeds 20 ms — can never hold two; use [`InbandDetector::digits`] for longer ones.
    pub fn push(&mut self, samples: &[i16]) -> Option<char> {
        let mut it = self.digits(samples);
        let first = it.next();
        it.for_each(drop);
        first
    }

    /// Feeds samples lazily, yielding every key detected in them (the samples after the last key
    /// are consumed when the iterator is run to its end).
    pub fn digits<'a>(&'a mut self, samples: &'a [i16]) -> Digits<'a> {
        Digits {
            detector: self,
            samples,
        }
    }

    /// Whether a key is currently held (reported and not yet released).
    pub fn holding(&self) -> Option<char> {
        self.held
    }

    fn sample(&mut self, s: i16) -> Option<char> {
        self.ring[self.head] = f32::from(s) / 32768.0;
        self.head = (self.head + 1) % WINDOW;
        self.filled = (self.filled + 1).min(WINDOW);
        self.since += 1;
        if self.filled < WINDOW || self.since < HOP {
            return None;
        }
        self.since = 0;
        let found = self.analyse();
        self.decide(found)
    }

    /// Updates the presence and release counts with one window's finding.
    fn decide(&mut self, found: Option<char>) -> Option<char> {
        if found.is_some() && found == self.candidate {
            self.run = self.run.saturating_add(1);
        } else {
            self.candidate = found;
            self.run = u32::from(found.is_some());
        }
        if self.held.is_some() {
            if found == self.held {
                self.misses = 0;
            } else {
                self.misses += 1;
                if self.misses >= RELEASE {
                    self.held = None;
                }
            }
        }
        if self.held.is_none() && self.run >= PRESENT {
            self.held = self.candidate;
            self.misses = 0;
            return self.held;
        }
        None
    }

    /// The key in the current window, if every check passes.
    fn analyse(&self) -> Option<char> {
        let mut p = [0f32; 12];
        for (o, &k) in p.iter_mut().zip(&self.coeff) {
            *o = self.goertzel(k);
        }
        let energy = self.energy();
        let (r, _) = strongest(&p[0..4]);
        let (c, _) = strongest(&p[4..8]);
        // A tone 1.5 % off frequency (Q.24 must accept it) loses up to 1.5 dB at the nominal
        // frequency with this window length; probing 1 % either side and keeping the best gets
        // within 0.3 dB, so the level, twist and energy-share tests see the tone's true power.
        let refine = |i: usize| {
            let [lo, hi] = self.probes[i];
            p[i].max(self.goertzel(lo)).max(self.goertzel(hi))
        };
        let (row, col) = (refine(r), refine(4 + c));
        let clear = |set: &[f32], best: usize, level: f32| {
            set.iter()
                .enumerate()
                .all(|(i, &x)| i == best || x * self.neighbour <= level)
        };
        let ok = row >= self.min_tone
            && col >= self.min_tone
            && row <= col * self.normal_twist
            && col <= row * self.reverse_twist
            && clear(&p[0..4], r, row)
            && clear(&p[4..8], c, col)
            && p[8 + c] * self.harmonic <= col
            && f64::from(row + col) >= ENERGY_SHARE * f64::from(energy);
        ok.then_some(KEYS[r][c])
    }

    /// Goertzel power over the window for coefficient `k`, scaled so that a full-scale sine at
    /// the frequency gives 1.0 (the same scale as [`InbandDetector::energy`]).
    fn goertzel(&self, k: f32) -> f32 {
        let (mut s1, mut s2) = (0f32, 0f32);
        for x in self.window() {
            let s0 = x + k * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        let n = WINDOW as f32;
        4.0 * (s1 * s1 + s2 * s2 - k * s1 * s2) / (n * n)
    }

    /// Twice the mean square of the window: the sum of the squared amplitudes of its sines.
    fn energy(&self) -> f32 {
        2.0 * self.ring.iter().map(|x| x * x).sum::<f32>() / WINDOW as f32
    }

    /// The window's samples, oldest first.
    fn window(&self) -> impl Iterator<Item = f32> + '_ {
        self.ring[self.head..]
            .iter()
            .chain(&self.ring[..self.head])
            .copied()
    }
}

fn strongest(set: &[f32]) -> (usize, &f32) {
    set.iter().enumerate().fold(
        (0, &set[0]),
        |best, (i, x)| if *x > *best.1 { (i, x) } else { best },
    )
}

/// The keys detected in a slice of samples (see [`InbandDetector::digits`]).
#[derive(Debug)]
pub struct Digits<'a> {
    detector: &'a mut InbandDetector,
    samples: &'a [i16],
}

impl Iterator for Digits<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        while let Some((&s, rest)) = self.samples.split_first() {
            self.samples = rest;
            if let Some(key) = self.detector.sample(s) {
                return Some(key);
            }
        }
        None
    }
}

/// The (row, column) frequencies of a key, for generating tones (tests, the scripted phone).
pub fn frequencies(key: char) -> Option<(f64, f64)> {
    KEYS.iter().enumerate().find_map(|(r, row)| {
        row.iter()
            .position(|&k| k == key.to_ascii_uppercase())
            .map(|c| (ROWS[r], COLS[c]))
    })
}

#[cfg(test)]
mod tests;
