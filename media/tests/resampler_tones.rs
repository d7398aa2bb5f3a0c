//! Tones through every pair of the streaming resampler, measured with the Goertzel detector: the
//! passband keeps its level within ±0.5 dB up to 0.85 × the lower Nyquist frequency, and whatever
//! is not the tone in the output (images when upsampling, aliases when downsampling) is at least
//! 60 dB below the input tone.

use media::goertzel::{power, tone};
use media::resampler::Resampler;

const RATES: [u32; 3] = [8000, 16000, 48000];
/// Frames run per tone (0.6 s); the first 5 (100 ms, far beyond the 2 ms delay) are not measured.
const FRAMES: usize = 30;
const SKIP: usize = 5;

fn pairs() -> impl Iterator<Item = (u32, u32)> {
    RATES
        .into_iter()
        .flat_map(|a| RATES.into_iter().map(move |b| (a, b)))
        .filter(|(a, b)| a != b)
}

/// Runs `FRAMES` frames of a tone at amplitude 0.5 through `from → to` frame by frame.
/// Returns (input, measured output window). The window is 0.5 s, so a tone on a multiple of
/// 2 Hz has a whole number of cycles in it and the Goertzel bins do not leak.
fn run(from: u32, to: u32, freq: f64) -> (Vec<i16>, Vec<i16>) {
    let mut rs = Resampler::new(from, to).unwrap();
    let (fi, fo) = (rs.frame_in(), rs.frame_out());
    let input = tone(freq, f64::from(from), 0.5, 0, fi * FRAMES);
    let mut out = vec![0i16; fo * FRAMES];
    for (i, o) in input.chunks(fi).zip(out.chunks_mut(fo)) {
        rs.process(i, o);
    }
    let window = out[fo * SKIP..fo * SKIP + to as usize / 2].to_vec();
    (
        input[fi * SKIP..fi * SKIP + from as usize / 2].to_vec(),
        window,
    )
}

/// Mean power of the block on Goertzel's scale (a sine of amplitude A gives A²).
fn total(x: &[i16]) -> f64 {
    2.0 * x
        .iter()
        .map(|&s| (f64::from(s) / 32768.0).powi(2))
        .sum::<f64>()
        / x.len() as f64
}

fn db(p: f64) -> f64 {
    10.0 * p.max(1e-20).log10()
}

#[test]
fn resampler_passband_is_flat_and_nothing_else_comes_out() {
    let mut worst_ripple = 0.0f64;
    let mut worst_residual = f64::NEG_INFINITY;
    for (from, to) in pairs() {
        let nyquist = f64::from(from.min(to)) / 2.0;
        let mut freqs = vec![100.0, 300.0, 1000.0, 2000.0, 3000.0, 3400.0];
        if nyquist > 4000.0 {
            freqs.extend([5000.0, 6000.0, 6800.0]);
        }
        for f in freqs {
            assert!(f <= 0.85 * nyquist);
            let (input, out) = run(from, to, f);
            let p_in = power(&input, f, f64::from(from));
            let p_out = power(&out, f, f64::from(to));
            let gain = db(p_out) - db(p_in);
            worst_ripple = worst_ripple.max(gain.abs());
            assert!(gain.abs() <= 0.5, "{from}→{to} {f} Hz: {gain:+.3} dB");
            // Everything but the tone: images of upsampling, rounding noise.
            let residual = db(total(&out) - p_out) - db(p_in);
            worst_residual = worst_residual.max(residual);
            assert!(residual <= -60.0, "{from}→{to} {f} Hz: {residual:.1} dB");
        }
    }
    println!("passband ±{worst_ripple:.3} dB, residual {worst_residual:.1} dB");
}

#[test]
fn resampler_images_of_tones_near_the_band_edge_are_60_db_down() {
    // A tone in the transition band (above 0.85 f_N) is attenuated, not kept, but its image when
    // upsampling lies above f_N, in the stopband.
    for (from, to) in pairs().filter(|(a, b)| a < b) {
        let nyquist = f64::from(from) / 2.0;
        for f in [nyquist - 500.0, nyquist - 200.0, nyquist - 50.0] {
            let (input, out) = run(from, to, f);
            let p_in = power(&input, f, f64::from(from));
            let p_out = power(&out, f, f64::from(to));
            let residual = db(total(&out) - p_out) - db(p_in);
            assert!(residual <= -60.0, "{from}→{to} {f} Hz: {residual:.1} dB");
        }
    }
}

#[test]
fn resampler_what_would_alias_is_60_db_down() {
    let mut worst = f64::NEG_INFINITY;
    for (from, to) in pairs().filter(|(a, b)| a > b) {
        let nyquist = f64::from(to) / 2.0;
        let top = f64::from(from) / 2.0 - 10.0;
        // From the lower Nyquist frequency itself up to the input's, on multiples of 10 Hz.
        let mut freqs: Vec<f64> = vec![nyquist, nyquist + 10.0, nyquist + 100.0, nyquist + 300.0];
        freqs
            .extend((0..=20).map(|i| {
                ((nyquist + (top - nyquist) * f64::from(i) / 20.0) / 10.0).round() * 10.0
            }));
        for f in freqs {
            let (input, out) = run(from, to, f);
            let p_in = power(&input, f, f64::from(from));
            let level = db(total(&out)) - db(p_in);
            worst = worst.max(level);
            assert!(
                level <= -60.0,
                "{from}→{to} {f} Hz came out at {level:.1} dB"
            );
        }
    }
    println!("worst alias {worst:.1} dB");
}
