//! What the Opus encoder's complexity costs and buys on speech, to choose the bridge's default
//! (`--opus-complexity`): every spoken prompt of the IVR (espeak-ng, French and English, taken
//! to 48 kHz) is encoded as the bridge encodes (mono, VOIP, voice signal, 32 kbit/s VBR, in-band
//! FEC for 10 % loss) at each complexity, decoded, and compared with the input:
//!
//! - encode time per 20 ms frame (the bridge's cost: up to three encodes per conference per tick);
//! - segmental SNR over the speech frames (Opus is perceptual, so this understates its quality,
//!   but it compares complexities at one bit rate fairly);
//! - log-spectral distance: the mean over speech frames of the RMS difference, in dB, of the
//!   levels of 48 log-spaced frequencies from 100 Hz to 7 kHz (Goertzel; the prompts are 16 kHz
//!   recordings, so nothing above 8 kHz is speech) — how far the decoded
//!   spectrum is from the input's, which is closer to what a listener hears;
//! - bytes per frame.
//!
//! `cargo bench -p media --bench opus_quality` prints one row per complexity.

// A benchmark times real work with the real clock (the library crates' rule is for their code).
#![allow(clippy::disallowed_methods)]

use std::time::Instant;

use media::opus::{OpusDecoder, OpusEncoder, OpusParams, FRAME_SAMPLES, SAMPLE_RATE};
use media::prompts;

const BANDS: usize = 48;

/// The speech: every prompt of every language, back to back, at 48 kHz.
fn speech() -> Vec<i16> {
    let mut all = Vec::new();
    for lang in prompts::languages() {
        for name in prompts::names() {
            if let Some(wav) = prompts::clip(lang, name) {
                all.extend(prompts::decode_wav(wav, SAMPLE_RATE).expect("prompt decodes"));
            }
        }
    }
    all.truncate(all.len() / FRAME_SAMPLES * FRAME_SAMPLES);
    all
}

/// Level in dB of each analysis frequency in a frame (Goertzel, Hann window).
fn spectrum(frame: &[f64], out: &mut [f64; BANDS]) {
    let n = frame.len() as f64;
    for (b, level) in out.iter_mut().enumerate() {
        let hz = 100.0 * (70.0f64).powf(b as f64 / (BANDS - 1) as f64);
        let w = 2.0 * std::f64::consts::PI * hz / f64::from(SAMPLE_RATE);
        let coeff = 2.0 * w.cos();
        let (mut s1, mut s2) = (0.0, 0.0);
        for (i, x) in frame.iter().enumerate() {
            let hann = 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n).cos();
            let s0 = x * hann + coeff * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
        *level = 10.0 * (power + 1e-3).log10();
    }
}

struct Row {
    complexity: u8,
    encode_us: f64,
    seg_snr: f64,
    lsd: f64,
    bytes: f64,
}

fn run(input: &[i16], complexity: u8) -> Row {
    let params = OpusParams::default();
    let mut enc = OpusEncoder::new(&params).unwrap();
    enc.set_complexity(complexity).unwrap();
    let delay = enc.lookahead().unwrap();
    let mut dec = OpusDecoder::new().unwrap();
    let mut packet = Vec::with_capacity(1500);
    let mut decoded = Vec::with_capacity(input.len() + FRAME_SAMPLES);
    let mut pcm = Vec::with_capacity(FRAME_SAMPLES);
    let mut encode_time = 0.0;
    let mut bytes = 0usize;
    for frame in input.chunks_exact(FRAME_SAMPLES) {
        packet.clear();
        let t = Instant::now();
        let n = enc.encode(frame, &mut packet).unwrap();
        encode_time += t.elapsed().as_secs_f64();
        bytes += n;
        pcm.clear();
        dec.decode(&packet, &mut pcm).unwrap();
        decoded.extend_from_slice(&pcm);
    }
    let frames = input.len() / FRAME_SAMPLES;
    // Compare input frame k with the decoded audio `delay` samples later.
    let (mut snr_sum, mut lsd_sum, mut counted) = (0.0, 0.0, 0usize);
    let (mut a, mut b) = ([0.0; BANDS], [0.0; BANDS]);
    for k in 0..frames - 1 {
        let x: Vec<f64> = input[k * FRAME_SAMPLES..(k + 1) * FRAME_SAMPLES]
            .iter()
            .map(|&s| f64::from(s))
            .collect();
        let y: Vec<f64> = decoded[k * FRAME_SAMPLES + delay..(k + 1) * FRAME_SAMPLES + delay]
            .iter()
            .map(|&s| f64::from(s))
            .collect();
        let energy: f64 = x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64;
        if energy.sqrt() < 300.0 {
            continue; // silence between words: not speech
        }
        let noise: f64 = x
            .iter()
            .zip(&y)
            .map(|(p, q)| (p - q) * (p - q))
            .sum::<f64>()
            / x.len() as f64;
        snr_sum += (10.0 * (energy / noise.max(1e-9)).log10()).clamp(-10.0, 35.0);
        spectrum(&x, &mut a);
        spectrum(&y, &mut b);
        let d: f64 = a
            .iter()
            .zip(&b)
            .map(|(p, q)| (p - q) * (p - q))
            .sum::<f64>()
            / BANDS as f64;
        lsd_sum += d.sqrt();
        counted += 1;
    }
    Row {
        complexity,
        encode_us: encode_time * 1e6 / frames as f64,
        seg_snr: snr_sum / counted as f64,
        lsd: lsd_sum / counted as f64,
        bytes: bytes as f64 / frames as f64,
    }
}

fn main() {
    let input = speech();
    println!(
        "speech: {:.1} s at 48 kHz ({} frames of 20 ms); Opus mono VOIP 32 kbit/s VBR, FEC",
        input.len() as f64 / f64::from(SAMPLE_RATE),
        input.len() / FRAME_SAMPLES
    );
    println!("complexity  encode µs/frame  seg. SNR dB  log-spectral distance dB  bytes/frame");
    for complexity in [0u8, 1, 2, 3, 5, 8, 10] {
        // Best of three for the time (the machine is shared); the quality is deterministic.
        let mut best = run(&input, complexity);
        for _ in 0..2 {
            let r = run(&input, complexity);
            if r.encode_us < best.encode_us {
                best = r;
            }
        }
        println!(
            "{:>10}  {:>15.1}  {:>11.2}  {:>24.2}  {:>11.1}",
            best.complexity, best.encode_us, best.seg_snr, best.lsd, best.bytes
        );
    }
}
