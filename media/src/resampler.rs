//! Real-time, streaming sample-rate conversion between the mixer's rates (8, 16 and 48 kHz): each
//! leg's decoded 20 ms frame goes up to the mixing rate and the mix comes back down, so this runs
//! twice per leg per tick and must neither allocate nor click at frame boundaries.
//!
//! Every supported ratio is an integer factor R ∈ {1, 2, 3, 6} up or down, so one linear-phase
//! low-pass on the high-rate grid does both directions: upsampling evaluates it polyphase (only
//! the taps that meet a real input sample, never the stuffed zeros), downsampling evaluates it
//! once per kept output sample. The filter is a weighted least-squares design refined towards
//! equiripple (Lawson's iteration), because a Kaiser window meeting the same bands would need
//! about 1.8× the length and so twice the 2 ms delay budget. It has 32·R − 1 taps on the
//! high-rate grid, 32 per polyphase branch, so its delay is just under 2 ms when 8 kHz is
//! involved and just under 1 ms for 16 ↔ 48 kHz.
//!
//! Bands, on the lower of the two Nyquist frequencies f_N: passband flat within ±0.5 dB up to
//! 0.85·f_N (±0.37 dB as quantized), stopband at least 60 dB down from f_N on (63–65 dB as
//! quantized), which covers both the images of upsampling and what would alias on downsampling.
//!
//! The arithmetic is fixed point (Q14–Q16 taps, i16 samples, i32 partial sums that cannot
//! overflow for any input), so a stream cut into blocks of any size gives bit-identical output to
//! the whole stream in one call, and the inner products vectorise (`pmaddwd`). The output
//! saturates. Filters are designed once per process (a few ms at first use) and shared by every
//! instance; `process` never allocates.

use std::fmt;
use std::sync::OnceLock;

pub use crate::resample::ResampleError;

/// Taps per polyphase branch. The filter has `TAPS·R − 1` taps on the high-rate grid (padded
/// with one zero to `TAPS·R`), so its group delay is `TAPS/2·R − 1` high-rate samples: just under
/// 2 ms at 48 kHz for R = 6 and at 16 kHz for R = 2, just under 1 ms for R = 3.
const TAPS: usize = 32;
/// Taps summed in one i32 before widening to i64 when downsampling (see [`dot`]): two SSE
/// registers of i16. Upsampling sums a whole branch in one i32 (at one fraction bit less).
const SEG: usize = 16;
/// Largest history kept, in input samples (the filter less one group, for downsampling by 6).
const MAX_HIST: usize = (TAPS - 1) * 6;
/// Input samples processed per inner pass: one 20 ms frame at 48 kHz, a multiple of 2, 3 and 6.
const CHUNK: usize = 960;
/// Passband edge as a fraction of the lower Nyquist frequency.
const PASS: f64 = 0.85;
/// Weight of the stopband error against the passband error in the design, at the stopband
/// edge: the ratio of the passband ripple to the stopband ripple it converges to. The weight
/// rises threefold towards π, so that the far images of upsampling by 6 (five of them per tone)
/// add up to no more than the nearest one alone would.
const STOP_WEIGHT: f64 = 70.0;

/// Direction and factor of a conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Same rate: a copy.
    Same,
    /// Upsampling by the factor.
    Up(usize),
    /// Downsampling by the factor.
    Down(usize),
}

/// The quantized filter for one factor, shared by every instance that uses it.
struct Bank {
    /// Upsampling branches: `R` rows of [`TAPS`] taps, each row reversed so that it runs over the
    /// history in ascending order, and scaled by R (zero-stuffing divided the level by R).
    up: Vec<i16>,
    /// Fraction bits of `up`.
    up_shift: u32,
    /// The whole filter for downsampling, reversed (it is symmetric: reversing puts the padding
    /// zero first), `TAPS·R` taps.
    down: Vec<i16>,
    /// Fraction bits of `down` (usually more than `up_shift`: its taps are R times smaller).
    down_shift: u32,
}

/// A streaming converter from one of 8, 16, 48 kHz to another, for 20 ms frames.
///
/// Made once per leg and direction; [`process`](Self::process) converts consecutive frames of one
/// stream and never allocates. Cloning is cheap apart from the history (about 2 KiB).
#[derive(Clone)]
pub struct Resampler {
    from: u32,
    to: u32,
    kind: Kind,
    bank: Option<&'static Bank>,
    /// History length in input samples (what the filter still needs from the previous frames).
    hist: usize,
    /// `[history | current chunk]`; the history is moved to the front after each chunk.
    buf: [i16; MAX_HIST + CHUNK],
}

impl fmt::Debug for Resampler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resampler")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("kind", &self.kind)
            .field("delay", &self.delay())
            .finish_non_exhaustive()
    }
}

impl Resampler {
    /// A converter from `from` Hz to `to` Hz, each one of 8000, 16000 and 48000 (ratios 1, 2, 3
    /// and 6, up or down). A rate of 0 is [`ResampleError::ZeroRate`]; any other rate outside that
    /// set is [`ResampleError::Ratio`]. Unless [`prepare`](Self::prepare) ran, the first
    /// converter of each factor in a process designs its filter; later ones share it and
    /// allocate nothing.
    pub fn new(from: u32, to: u32) -> Result<Resampler, ResampleError> {
        if from == 0 || to == 0 {
            return Err(ResampleError::ZeroRate);
        }
        let supported = |r: u32| matches!(r, 8000 | 16000 | 48000);
        if !supported(from) || !supported(to) {
            return Err(ResampleError::Ratio { from, to });
        }
        let (kind, hist, bank) = if from == to {
            (Kind::Same, 0, None)
        } else if to > from {
            let l = (to / from) as usize;
            (Kind::Up(l), TAPS - 1, Some(bank(l)))
        } else {
            let m = (from / to) as usize;
            (Kind::Down(m), (TAPS - 1) * m, Some(bank(m)))
        };
        Ok(Resampler {
            from,
            to,
            kind,
            bank,
            hist,
            buf: [0; MAX_HIST + CHUNK],
        })
    }

    /// Designs the filters of every factor now, so that no later [`new`](Self::new) does. The
    /// first converter of a factor otherwise pays for its design (a few to a few tens of
    /// milliseconds, most for 8 ↔ 48 kHz): call this once at start-up, off the audio path.
    pub fn prepare() {
        for r in [2, 3, 6] {
            bank(r);
        }
    }

    /// The input rate in Hz.
    pub fn from_rate(&self) -> u32 {
        self.from
    }

    /// The output rate in Hz.
    pub fn to_rate(&self) -> u32 {
        self.to
    }

    /// Input samples in one 20 ms frame (`from / 50`).
    pub fn frame_in(&self) -> usize {
        (self.from / 50) as usize
    }

    /// Output samples in one 20 ms frame (`to / 50`).
    pub fn frame_out(&self) -> usize {
        (self.to / 50) as usize
    }

    /// Converts the next block of the stream: normally one 20 ms frame, `input.len() == from/50`
    /// and `out.len() == to/50`. Any block with `input.len() · to == out.len() · from` works the
    /// same (10 ms frames, a whole clip at once), and the output does not depend on how the
    /// stream was cut: frame by frame equals all at once, bit for bit.
    ///
    /// Nothing here panics, whatever the lengths. If they disagree, `out` decides: it receives
    /// as many whole output groups (R samples when upsampling by R, 1 otherwise) as fit, made
    /// from the matching number of input samples; missing input counts as silence, surplus input
    /// is ignored, and a tail of `out` too short for a whole group is set to silence. The
    /// stream's timing then follows what was consumed.
    pub fn process(&mut self, input: &[i16], out: &mut [i16]) {
        let (l, m) = match self.kind {
            Kind::Same => (1, 1),
            Kind::Up(l) => (l, 1),
            Kind::Down(m) => (1, m),
        };
        let groups = out.len() / l;
        let (out, tail) = out.split_at_mut(groups * l);
        tail.fill(0);
        let need = groups * m;
        if self.kind == Kind::Same {
            let n = input.len().min(need);
            out[..n].copy_from_slice(&input[..n]);
            out[n..].fill(0);
            return;
        }
        let hist = self.hist;
        let mut done = 0;
        while done < need {
            let c = CHUNK.min(need - done);
            // Copy this chunk behind the history, padding missing input with silence.
            let rest = input.get(done..).unwrap_or(&[]);
            let avail = rest.len().min(c);
            let dst = &mut self.buf[hist..hist + c];
            dst[..avail].copy_from_slice(&rest[..avail]);
            dst[avail..].fill(0);
            let out = &mut out[done / m * l..(done + c) / m * l];
            match (self.kind, self.bank) {
                (Kind::Up(l), Some(bank)) => up(&self.buf, c, l, bank, out),
                (Kind::Down(m), Some(bank)) => down(&self.buf, c, m, bank, out),
                _ => out.fill(0), // unreachable by construction
            }
            self.buf.copy_within(c..c + hist, 0);
            done += c;
        }
    }

    /// Group delay in output samples: an impulse at input sample 0 peaks at output sample
    /// `delay()`. Just under 2 ms when 8 kHz is involved (95 samples at 48 kHz, 31 at 16 kHz,
    /// 15 at 8 kHz), just under 1 ms for 16 ↔ 48 kHz, 0 for the same rate.
    pub fn delay(&self) -> usize {
        match self.kind {
            Kind::Same => 0,
            Kind::Up(l) => TAPS / 2 * l - 1,
            Kind::Down(_) => TAPS / 2 - 1,
        }
    }

    /// Forgets the history, as for a new stream.
    pub fn reset(&mut self) {
        self.buf.fill(0);
    }
}

/// Upsampling by `l` of the `c` input samples at `buf[TAPS - 1..]` (with the history before):
/// input n yields outputs n·l + p, branch p running over `buf[n..n + TAPS]`.
fn up(buf: &[i16], c: usize, l: usize, bank: &Bank, out: &mut [i16]) {
    for (n, group) in out.chunks_exact_mut(l).enumerate().take(c) {
        let window = &buf[n..n + TAPS];
        for (o, branch) in group.iter_mut().zip(bank.up.chunks_exact(TAPS)) {
            *o = round_sat(dot::<TAPS>(branch, window), bank.up_shift);
        }
    }
}

/// Downsampling by `m` of the `c` input samples behind the history in `buf`: output n is the
/// filter over the input up to and including sample n·m + m − 1, the last of its group.
fn down(buf: &[i16], c: usize, m: usize, bank: &Bank, out: &mut [i16]) {
    let taps = bank.down.len();
    for (n, o) in out.iter_mut().enumerate().take(c / m) {
        *o = round_sat(
            dot::<SEG>(&bank.down, &buf[n * m..n * m + taps]),
            bank.down_shift,
        );
    }
}

/// Σ a·b over slices whose length is a multiple of `S`: an i32 inner product per segment of `S`
/// taps, the segments added in i64. [`quantize`] bounds every segment's Σ|tap| · 32768 below
/// 2³¹, so no segment can overflow (at Q15 one i32 over a whole filter could: Σ|tap| is about
/// 2.1, and a full-scale input of matching signs would pass 2³¹). Each segment has a constant
/// length, so it compiles to a few `pmaddwd` on x86.
#[inline(always)]
fn dot<const S: usize>(a: &[i16], b: &[i16]) -> i64 {
    a.chunks_exact(S)
        .zip(b.chunks_exact(S))
        .map(|(x, y)| {
            let s: i32 = x
                .iter()
                .zip(y)
                .map(|(&x, &y)| i32::from(x) * i32::from(y))
                .sum();
            i64::from(s)
        })
        .sum()
}

/// Rounds a Q`shift` accumulator to the nearest sample and saturates instead of wrapping.
#[inline(always)]
fn round_sat(acc: i64, shift: u32) -> i16 {
    let v = (acc + (1i64 << (shift - 1))) >> shift;
    v.clamp(i64::from(i16::MIN), i64::from(i16::MAX)) as i16
}

/// The shared bank for factor 2, 3 or 6, designed on first use.
fn bank(factor: usize) -> &'static Bank {
    static BANKS: [OnceLock<Bank>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let slot = match factor {
        2 => 0,
        3 => 1,
        _ => 2,
    };
    BANKS[slot].get_or_init(|| Bank::new(factor))
}

impl Bank {
    fn new(r: usize) -> Bank {
        let h = design(r, TAPS / 2 * r - 1);
        // Upsampling branches: tap j of branch p is R·h[p + (TAPS−1−j)·R] (zero past the end).
        let tap = |i: usize| h.get(i).copied().unwrap_or(0.0);
        let mut up = Vec::with_capacity(r * TAPS);
        for p in 0..r {
            for j in 0..TAPS {
                up.push(r as f64 * tap(p + (TAPS - 1 - j) * r));
            }
        }
        let mut down = Vec::with_capacity(r * TAPS);
        down.push(0.0);
        down.extend(h.iter().rev());
        let (up, up_shift) = quantize(&up, TAPS);
        let (down, down_shift) = quantize(&down, SEG);
        Bank {
            up,
            up_shift,
            down,
            down_shift,
        }
    }
}

/// Taps in fixed point with the most fraction bits at which every tap fits in i16 and every
/// segment of `seg` taps in [`dot`] fits in i32 for any input, counting half a unit of rounding
/// per tap.
fn quantize(taps: &[f64], seg: usize) -> (Vec<i16>, u32) {
    let peak = taps.iter().fold(0.0f64, |a, &t| a.max(t.abs()));
    let segment = taps
        .chunks(seg)
        .map(|s| s.iter().map(|t| t.abs()).sum::<f64>())
        .fold(0.0f64, f64::max);
    let fits = |shift: u32| {
        let scale = f64::from(1u32 << shift);
        peak * scale + 0.5 <= 32767.0
            && (segment * scale + seg as f64 / 2.0) * 32768.0 < 2_147_483_647.0
    };
    let mut shift = 20;
    while shift > 1 && !fits(shift) {
        shift -= 1;
    }
    let scale = f64::from(1u32 << shift);
    (
        taps.iter().map(|&t| (t * scale).round() as i16).collect(),
        shift,
    )
}

/// Designs the symmetric low-pass of length `2·half + 1` on the grid of the higher rate, for a
/// factor `r`: unit gain up to `PASS·π/r`, zero from `π/r`. Weighted least squares on a dense
/// grid, re-weighted by Lawson's rule (each point's weight times its error) so that the error
/// levels out towards the minimax (equiripple) solution.
fn design(r: usize, half: usize) -> Vec<f64> {
    use std::f64::consts::PI;
    let (wp, ws) = (PASS * PI / r as f64, PI / r as f64);
    // Grid points spread over both bands in proportion to their widths, ~16 per coefficient.
    let total = 16 * (half + 1);
    let span = wp + (PI - ws);
    let np = ((total as f64 * wp / span).ceil() as usize).max(8);
    let ns = ((total as f64 * (PI - ws) / span).ceil() as usize).max(8);
    // (cos ω, desired, band weight) per grid point.
    let mut grid = Vec::with_capacity(np + ns);
    for i in 0..np {
        grid.push(((wp * i as f64 / (np - 1) as f64).cos(), 1.0, 1.0));
    }
    for i in 0..ns {
        let w = ws + (PI - ws) * i as f64 / (ns - 1) as f64;
        let rise = 1.0 + 2.0 * (w - ws) / (PI - ws);
        grid.push((w.cos(), 0.0, STOP_WEIGHT * rise));
    }
    let k = half + 1; // A(ω) = Σ_{k<K} a_k cos kω = Σ a_k T_k(cos ω)
    let mut lawson = vec![1.0 / grid.len() as f64; grid.len()];
    let mut best = (f64::INFINITY, vec![0.0; k]);
    let mut cheb = vec![0.0; 2 * k];
    // Lawson converges slowly: after 40 rounds the worst error is within about 0.3 % of where
    // 60 rounds would take it, for two thirds of the time.
    for _ in 0..40 {
        // Normal equations: G[i][j] = Σ w T_i T_j = ½ Σ w (T_{i+j} + T_{|i−j|}), b_i = Σ w D T_i.
        let mut s = vec![0.0; 2 * k];
        let mut b = vec![0.0; k];
        for (g, &(x, d, v)) in grid.iter().enumerate() {
            let w = lawson[g] * v * v;
            chebyshev(x, &mut cheb);
            for (sm, t) in s.iter_mut().zip(&cheb) {
                *sm += w * t;
            }
            if d != 0.0 {
                for (bi, t) in b.iter_mut().zip(&cheb) {
                    *bi += w * d * t;
                }
            }
        }
        let mut a = vec![0.0; k * k];
        for i in 0..k {
            for j in 0..k {
                a[i * k + j] = 0.5 * (s[i + j] + s[i.abs_diff(j)]);
            }
        }
        let coef = solve(a, b, k);
        // Weighted error on the grid; Lawson's update.
        let mut worst = 0.0f64;
        let mut sum = 0.0;
        for (g, &(x, d, v)) in grid.iter().enumerate() {
            let e = (v * (clenshaw(&coef, x) - d)).abs();
            worst = worst.max(e);
            lawson[g] *= e;
            sum += lawson[g];
        }
        if worst < best.0 {
            best = (worst, coef);
        }
        if sum.is_nan() || sum <= 0.0 {
            break;
        }
        for l in &mut lawson {
            *l /= sum;
        }
    }
    let a = best.1;
    let mut h = vec![0.0; 2 * half + 1];
    h[half] = a[0];
    for i in 1..=half {
        h[half + i] = a[i] / 2.0;
        h[half - i] = a[i] / 2.0;
    }
    h
}

/// T_0(x) … T_{n−1}(x) into `out` (Chebyshev polynomials: T_k(cos ω) = cos kω).
fn chebyshev(x: f64, out: &mut [f64]) {
    let (mut t0, mut t1) = (1.0, x);
    for o in out.iter_mut() {
        *o = t0;
        let t2 = 2.0 * x * t1 - t0;
        t0 = t1;
        t1 = t2;
    }
}

/// Σ a_k T_k(x) by Clenshaw's recurrence.
fn clenshaw(a: &[f64], x: f64) -> f64 {
    let (mut b1, mut b2) = (0.0, 0.0);
    for &c in a.iter().skip(1).rev() {
        let b0 = c + 2.0 * x * b1 - b2;
        b2 = b1;
        b1 = b0;
    }
    a[0] + x * b1 - b2
}

/// Solves the `n`×`n` system `a · x = b` (row-major) by Gaussian elimination with partial
/// pivoting. The normal matrix here is symmetric positive definite, so a pivot never vanishes.
fn solve(mut a: Vec<f64>, mut b: Vec<f64>, n: usize) -> Vec<f64> {
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs()))
            .unwrap_or(col);
        if pivot != col {
            for j in 0..n {
                a.swap(col * n + j, pivot * n + j);
            }
            b.swap(col, pivot);
        }
        let p = a[col * n + col];
        if p == 0.0 {
            continue;
        }
        for row in col + 1..n {
            let f = a[row * n + col] / p;
            if f == 0.0 {
                continue;
            }
            for j in col..n {
                a[row * n + j] -= f * a[col * n + j];
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let mut acc = b[row];
        for j in row + 1..n {
            acc -= a[row * n + j] * x[j];
        }
        let p = a[row * n + row];
        x[row] = if p == 0.0 { 0.0 } else { acc / p };
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATES: [u32; 3] = [8000, 16000, 48000];

    /// Magnitude at `f` (fraction of the high rate) of `taps` in Q`shift`, divided by `gain`.
    fn response(taps: &[f64], shift: u32, gain: f64, f: f64) -> f64 {
        let (mut re, mut im) = (0.0, 0.0);
        for (i, &t) in taps.iter().enumerate() {
            let ph = 2.0 * std::f64::consts::PI * f * i as f64;
            re += t * ph.cos();
            im += t * ph.sin();
        }
        (re * re + im * im).sqrt() / f64::from(1u32 << shift) / gain
    }

    /// The quantized filters as run: downsampling's taps, and upsampling's branches interleaved
    /// back into one filter on the high-rate grid (with their gain R).
    #[test]
    fn quantized_filters_meet_the_bands() {
        let mut results = Vec::new();
        for r in [2, 3, 6] {
            let bank = bank(r);
            let down: Vec<f64> = bank.down.iter().map(|&t| f64::from(t)).collect();
            let mut up = vec![0.0; r * TAPS];
            for (p, branch) in bank.up.chunks_exact(TAPS).enumerate() {
                for (j, &t) in branch.iter().enumerate() {
                    up[p + (TAPS - 1 - j) * r] = f64::from(t);
                }
            }
            for (name, taps, shift, gain) in [
                ("down", &down, bank.down_shift, 1.0),
                ("up", &up, bank.up_shift, r as f64),
            ] {
                let nyq = 0.5 / r as f64;
                let (mut ripple, mut stop) = (0.0f64, f64::NEG_INFINITY);
                for i in 0..=2000 {
                    let f = PASS * nyq * f64::from(i) / 2000.0;
                    let db = 20.0 * response(taps, shift, gain, f).log10();
                    ripple = ripple.max(db.abs());
                    let f = nyq + (0.5 - nyq) * f64::from(i) / 2000.0;
                    stop = stop.max(20.0 * response(taps, shift, gain, f).log10());
                }
                println!("R={r} {name}: Q{shift}, passband ±{ripple:.3} dB, stopband {stop:.1} dB");
                results.push((r, name, ripple, stop));
            }
        }
        for (r, name, ripple, stop) in results {
            assert!(
                ripple < 0.45,
                "R={r} {name}: passband ripple ±{ripple:.3} dB"
            );
            assert!(stop < -62.0, "R={r} {name}: stopband {stop:.1} dB");
        }
    }

    #[test]
    fn impulse_peaks_at_the_delay() {
        for from in RATES {
            for to in RATES {
                let mut rs = Resampler::new(from, to).unwrap();
                let mut input = vec![0i16; from as usize / 50 * 2];
                input[0] = 16384;
                let mut out = vec![0i16; to as usize / 50 * 2];
                for (i, o) in input
                    .chunks(rs.frame_in())
                    .zip(out.chunks_mut(rs.frame_out()))
                {
                    rs.process(i, o);
                }
                let peak = (0..out.len()).max_by_key(|&i| out[i]).unwrap();
                assert_eq!(peak, rs.delay(), "{from}→{to}");
                // ≤ 2 ms at the output rate.
                assert!(rs.delay() as u32 * 500 <= to, "{from}→{to}: {}", rs.delay());
            }
        }
    }

    #[test]
    fn errors_and_accessors() {
        assert_eq!(
            Resampler::new(0, 8000).unwrap_err(),
            ResampleError::ZeroRate
        );
        assert_eq!(
            Resampler::new(8000, 44100).unwrap_err(),
            ResampleError::Ratio {
                from: 8000,
                to: 44100
            }
        );
        assert!(Resampler::new(24000, 48000).is_err());
        let rs = Resampler::new(16000, 48000).unwrap();
        assert_eq!((rs.from_rate(), rs.to_rate()), (16000, 48000));
        assert_eq!((rs.frame_in(), rs.frame_out()), (320, 960));
        assert_eq!(rs.delay(), 47);
        assert!(format!("{rs:?}").contains("16000"));
    }

    #[test]
    fn reset_forgets_the_history() {
        let mut rs = Resampler::new(48000, 8000).unwrap();
        let loud = vec![20000i16; 960];
        let mut out = [0i16; 160];
        rs.process(&loud, &mut out);
        rs.reset();
        rs.process(&[0; 960], &mut out);
        assert_eq!(out, [0; 160]);
    }

    #[test]
    fn mismatched_lengths_do_not_panic() {
        let mut rs = Resampler::new(8000, 48000).unwrap();
        let mut out = [1i16; 965];
        rs.process(&[1000; 10], &mut out);
        // 160 groups of 6 written (10 real inputs, 150 of silence), the 5-sample tail silenced.
        assert_eq!(&out[960..], &[0; 5]);
        assert!(out[..960].iter().any(|&s| s != 0));
        let mut rs = Resampler::new(48000, 16000).unwrap();
        rs.process(&[5; 2000], &mut [0; 7]);
        rs.process(&[], &mut []);
        let mut same = Resampler::new(16000, 16000).unwrap();
        let mut out = [9i16; 4];
        same.process(&[1, 2], &mut out);
        assert_eq!(out, [1, 2, 0, 0]);
    }
}
