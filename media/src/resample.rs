//! Offline sample-rate conversion of whole clips (the prompts, decoded once at start-up) by a
//! rational factor L/M with a Kaiser-windowed-sinc low-pass: conceptually upsample by L
//! (zero-stuffing), low-pass at the lower of the two Nyquist frequencies, keep every M-th sample.
//! The filter is evaluated polyphase (only the taps that meet non-zero input), so 16 → 8 kHz costs
//! about 60 multiplies per output sample and 16 → 48 kHz about 40.
//!
//! The passband is flat to 85 % of the lower Nyquist frequency (3.4 kHz at 8 kHz: the whole
//! telephone band), the stopband starts at that Nyquist frequency and is at least 70 dB down, so
//! what would alias folds back more than 70 dB down.

/// Why a conversion was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ResampleError {
    /// A rate of 0 Hz.
    #[error("sample rate of 0 Hz")]
    ZeroRate,
    /// The ratio reduces to L/M with L or M above [`MAX_FACTOR`] (the filter would be huge).
    #[error("no practical rational ratio from {from} Hz to {to} Hz")]
    Ratio {
        /// Input rate.
        from: u32,
        /// Output rate.
        to: u32,
    },
}

/// Largest interpolation or decimation factor accepted (44.1 kHz ↔ 48 kHz is 160/147; 22.05 kHz
/// → 8 kHz, espeak's own rate, is 160/441).
pub const MAX_FACTOR: u64 = 1000;

/// Passband edge as a fraction of the lower Nyquist frequency.
const PASS: f64 = 0.85;
/// Stopband attenuation the Kaiser window is designed for, in dB.
const STOP_DB: f64 = 70.0;

/// Converts `input` sampled at `from` Hz to `to` Hz. The output has `ceil(len · to / from)`
/// samples and no delay (the filter is centred), so a clip's start stays at its start.
pub fn resample(input: &[f64], from: u32, to: u32) -> Result<Vec<f64>, ResampleError> {
    if from == 0 || to == 0 {
        return Err(ResampleError::ZeroRate);
    }
    if from == to {
        return Ok(input.to_vec());
    }
    let g = gcd(u64::from(from), u64::from(to));
    let (l, m) = (u64::from(to) / g, u64::from(from) / g);
    if l > MAX_FACTOR || m > MAX_FACTOR {
        return Err(ResampleError::Ratio { from, to });
    }
    let filter = Lowpass::design(l, m);
    let out_len = (input.len() as u64 * l).div_ceil(m) as usize;
    let (l, m) = (l as i64, m as i64);
    let half = filter.half as i64;
    let mut out = Vec::with_capacity(out_len);
    for k in 0..out_len as i64 {
        // Output k sits at k·M on the upsampled grid; input j sits at j·L. Only |k·M − j·L| ≤
        // half contributes.
        let t = k * m;
        let first = (t - half + l - 1).div_euclid(l).max(0);
        let last = (t + half).div_euclid(l).min(input.len() as i64 - 1);
        let mut acc = 0.0;
        let mut j = first;
        while j <= last {
            acc += input[j as usize] * filter.tap(t - j * l);
            j += 1;
        }
        // Zero-stuffing divided the signal's level by L: the filter's gain restores it.
        out.push(acc * l as f64);
    }
    Ok(out)
}

/// A centred, symmetric windowed-sinc low-pass on the upsampled grid.
struct Lowpass {
    /// Taps 0..=half (the filter is symmetric).
    taps: Vec<f64>,
    half: usize,
}

impl Lowpass {
    fn design(l: u64, m: u64) -> Self {
        // Frequencies in cycles per sample of the upsampled grid (rate L·from).
        let nyquist = 0.5 / l.max(m) as f64;
        let (pass, stop) = (PASS * nyquist, nyquist);
        let cutoff = (pass + stop) / 2.0;
        let width = stop - pass;
        // Kaiser's formulas for the length and β meeting STOP_DB over `width`.
        let length = ((STOP_DB - 7.95) / (14.36 * width)).ceil() as usize;
        let beta = 0.1102 * (STOP_DB - 8.7);
        let half = length / 2 + 1;
        let i0_beta = bessel_i0(beta);
        let taps = (0..=half)
            .map(|n| {
                let x = n as f64;
                let sinc = if n == 0 {
                    2.0 * cutoff
                } else {
                    (2.0 * std::f64::consts::PI * cutoff * x).sin() / (std::f64::consts::PI * x)
                };
                let r = x / half as f64;
                sinc * bessel_i0(beta * (1.0 - r * r).max(0.0).sqrt()) / i0_beta
            })
            .collect();
        Self { taps, half }
    }

    fn tap(&self, offset: i64) -> f64 {
        self.taps[offset.unsigned_abs() as usize]
    }
}

/// The modified Bessel function of the first kind, order 0 (power series; converges fast for
/// the β values of a Kaiser window).
fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term, mut k) = (1.0, 1.0, 1.0);
    while term > sum * 1e-12 {
        term *= (x / (2.0 * k)).powi(2);
        sum += term;
        k += 1.0;
    }
    sum
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f64, rate: u32, n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| 0.5 * (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin())
            .collect()
    }

    /// Level in dB of `freq` relative to a sine of amplitude 0.5, away from the edges.
    fn level(x: &[f64], freq: f64, rate: u32) -> f64 {
        let body: Vec<i16> = x[x.len() / 4..x.len() * 3 / 4]
            .iter()
            .map(|&v| (v * 32767.0).round() as i16)
            .collect();
        crate::goertzel::level_db(&body, freq, f64::from(rate)) + 6.02
    }

    #[test]
    fn passband_keeps_its_level() {
        for (from, to, freq) in [
            (16000, 8000, 1000.0),
            (16000, 8000, 3000.0),
            (16000, 48000, 1000.0),
            (22050, 8000, 1000.0),
            (8000, 16000, 3000.0),
        ] {
            let y = resample(&sine(freq, from, 8000), from, to).unwrap();
            let db = level(&y, freq, to);
            assert!(db.abs() < 0.1, "{from}→{to} {freq} Hz: {db:.2} dB");
        }
    }

    #[test]
    fn what_would_alias_is_removed() {
        // 6 kHz at 16 kHz would fold to 2 kHz at 8 kHz; 4.4 kHz would fold to 3.6 kHz.
        for (freq, folded) in [(6000.0, 2000.0), (4400.0, 3600.0), (7000.0, 1000.0)] {
            let y = resample(&sine(freq, 16000, 8000), 16000, 8000).unwrap();
            let db = level(&y, folded, 8000);
            assert!(db < -65.0, "{freq} Hz folded to {folded} Hz at {db:.1} dB");
        }
        // 3.8 kHz lies in the transition band: attenuated, not removed.
        let y = resample(&sine(3800.0, 16000, 8000), 16000, 8000).unwrap();
        let db = level(&y, 3800.0, 8000);
        assert!((-40.0..-3.0).contains(&db), "3.8 kHz at {db:.1} dB");
    }

    #[test]
    fn upsampling_leaves_no_images() {
        let y = resample(&sine(1000.0, 16000, 8000), 16000, 48000).unwrap();
        for image in [15000.0, 17000.0] {
            let db = level(&y, image, 48000);
            assert!(db < -65.0, "image at {image} Hz: {db:.1} dB");
        }
    }

    #[test]
    fn lengths_and_errors() {
        assert_eq!(resample(&[0.0; 100], 16000, 8000).unwrap().len(), 50);
        assert_eq!(resample(&[0.0; 101], 16000, 8000).unwrap().len(), 51);
        assert_eq!(resample(&[0.0; 100], 16000, 48000).unwrap().len(), 300);
        assert_eq!(resample(&[0.25; 3], 8000, 8000).unwrap(), vec![0.25; 3]);
        assert_eq!(resample(&[], 16000, 8000).unwrap(), Vec::<f64>::new());
        assert_eq!(resample(&[1.0], 0, 8000), Err(ResampleError::ZeroRate));
        assert_eq!(
            resample(&[1.0], 8000, 8001),
            Err(ResampleError::Ratio {
                from: 8000,
                to: 8001
            })
        );
    }
}
