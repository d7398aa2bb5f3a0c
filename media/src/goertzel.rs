//! A Goertzel single-frequency detector, used by the tests (unit, engine and end-to-end) to tell
//! which tones a leg hears: the level of one frequency in dBFS and its share of the block's energy.

/// Power of `freq` Hz in `samples` (taken at `rate` Hz), normalised so that a full-scale sine
/// exactly at `freq` gives 1.0 (0 dBFS).
pub fn power(samples: &[i16], freq: f64, rate: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let coeff = 2.0 * (2.0 * std::f64::consts::PI * freq / rate).cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in samples {
        let s0 = f64::from(x) / 32768.0 + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let p = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    let n = samples.len() as f64;
    // A sine of amplitude A gives p ≈ (A·N/2)²: scale to A².
    4.0 * p / (n * n)
}

/// Level of `freq` in dBFS (−200 for nothing).
pub fn level_db(samples: &[i16], freq: f64, rate: f64) -> f64 {
    to_db(power(samples, freq, rate))
}

/// Level of the whole block in dBFS, on the same scale (a full-scale sine is 0 dBFS).
pub fn total_db(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return -200.0;
    }
    let ms: f64 = samples
        .iter()
        .map(|&s| (f64::from(s) / 32768.0).powi(2))
        .sum::<f64>()
        / samples.len() as f64;
    // A sine's mean square is A²/2.
    to_db(2.0 * ms)
}

fn to_db(p: f64) -> f64 {
    if p <= 1e-20 {
        -200.0
    } else {
        10.0 * p.log10()
    }
}

/// A sine of `amplitude` (0–1 of full scale) at `freq`, `n` samples from sample index `start`.
pub fn tone(freq: f64, rate: f64, amplitude: f64, start: usize, n: usize) -> Vec<i16> {
    (start..start + n)
        .map(|i| {
            let v = amplitude * (2.0 * std::f64::consts::PI * freq * i as f64 / rate).sin();
            (v * 32767.0).round() as i16
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_its_frequency_only() {
        let x = tone(1000.0, 8000.0, 0.5, 0, 400);
        let at = level_db(&x, 1000.0, 8000.0);
        assert!((at - -6.02).abs() < 0.5, "{at}");
        assert!(level_db(&x, 440.0, 8000.0) < -30.0);
        assert!((total_db(&x) - -6.02).abs() < 0.2);
        assert_eq!(level_db(&[], 440.0, 8000.0), -200.0);
    }
}
