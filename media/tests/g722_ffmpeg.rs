//! G.722 interoperability with ffmpeg's `adpcm_g722` codec, in both directions: a tone encoded
//! by `media::g722` and decoded by ffmpeg, and one encoded by ffmpeg and decoded by us, must both
//! come back with a good SNR — two independent implementations of the Recommendation agree on
//! the bitstream. ffmpeg is a test dependency (`make test` installs it); without it the test
//! fails, unless `PONT_SKIP_FFMPEG=1` asks to skip it.

mod ffmpeg_tool;

use media::g722::{G722Decoder, G722Encoder};
use std::path::{Path, PathBuf};

const RATE: f64 = 16_000.0;

/// A −10 dBFS sine of `n` samples at 16 kHz.
fn tone(hz: f64, n: usize) -> Vec<i16> {
    let amp = 32767.0 * 10f64.powf(-0.5);
    (0..n)
        .map(|i| (amp * (2.0 * std::f64::consts::PI * hz * i as f64 / RATE).sin()) as i16)
        .collect()
}

/// The lag (0..64) at which `out` best matches `input`.
fn delay(input: &[i16], out: &[i16]) -> usize {
    let corr = |lag: usize| -> f64 {
        input
            .iter()
            .zip(out.get(lag..).unwrap_or(&[]))
            .map(|(&a, &b)| f64::from(a) * f64::from(b))
            .sum()
    };
    (0..64)
        .max_by(|&a, &b| corr(a).total_cmp(&corr(b)))
        .unwrap()
}

/// SNR in dB of `out` against `input` delayed by `lag`, after the first 100 ms.
fn snr(input: &[i16], out: &[i16], lag: usize) -> f64 {
    let skip = 1600;
    let (mut sig, mut noise) = (0.0, 0.0);
    for (&a, &b) in input[skip..].iter().zip(&out[skip + lag..]) {
        let (a, b) = (f64::from(a), f64::from(b));
        sig += a * a;
        noise += (a - b) * (a - b);
    }
    10.0 * (sig / noise.max(1e-9)).log10()
}

fn ffmpeg(args: &[&str]) -> Option<Vec<u8>> {
    ffmpeg_tool::run(args)
}

fn scratch(name: &str) -> PathBuf {
    ffmpeg_tool::scratch("g722-ffmpeg", name)
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("temp path is UTF-8")
}

fn to_pcm(bytes: &[u8]) -> Vec<i16> {
    bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

#[test]
fn g722_interoperates_with_ffmpeg() {
    for hz in [1000.0, 6000.0] {
        let pcm = tone(hz, 16_000);

        // Ours → ffmpeg.
        let mut ours = Vec::new();
        G722Encoder::new().encode(&pcm, &mut ours);
        let g722 = scratch("ours.g722");
        std::fs::write(&g722, &ours).unwrap();
        let Some(raw) = ffmpeg(&[
            "-f",
            "g722",
            "-i",
            path_str(&g722),
            "-f",
            "s16le",
            "-ar",
            "16000",
            "-",
        ]) else {
            ffmpeg_tool::skip(false, "G.722");
            return;
        };
        let theirs_decoded = to_pcm(&raw);
        assert!(
            theirs_decoded.len() >= pcm.len() - 64,
            "ffmpeg decoded {} samples of {}",
            theirs_decoded.len(),
            pcm.len()
        );
        let lag = delay(&pcm, &theirs_decoded);
        let db = snr(&pcm, &theirs_decoded, lag);
        // The same bytes through our decoder, for comparison.
        let mut our_decoded = Vec::new();
        G722Decoder::new().decode(&ours, &mut our_decoded);
        let differing = our_decoded
            .iter()
            .zip(&theirs_decoded)
            .filter(|(a, b)| a != b)
            .count();
        eprintln!(
            "{hz} Hz, our encoder → ffmpeg's decoder: delay {lag}, SNR {db:.1} dB \
             ({differing} samples differ from our decoder's)"
        );
        assert!(db >= 25.0, "{hz} Hz via ffmpeg's decoder: SNR {db:.1} dB");
        assert_eq!(differing, 0, "ffmpeg's decoder is bit-exact with ours");

        // ffmpeg → ours.
        let input = scratch("tone.raw");
        let le: Vec<u8> = pcm.iter().flat_map(|s| s.to_le_bytes()).collect();
        std::fs::write(&input, le).unwrap();
        let theirs = ffmpeg(&[
            "-f",
            "s16le",
            "-ar",
            "16000",
            "-ac",
            "1",
            "-i",
            path_str(&input),
            "-c:a",
            "g722",
            "-f",
            "g722",
            "-",
        ])
        .expect("ffmpeg was there a moment ago");
        assert!(
            theirs.len() >= pcm.len() / 2 - 32,
            "ffmpeg encoded {} bytes for {} samples",
            theirs.len(),
            pcm.len()
        );
        let same_bytes = theirs.iter().zip(&ours).filter(|(a, b)| a == b).count();
        let mut decoded = Vec::new();
        G722Decoder::new().decode(&theirs, &mut decoded);
        let lag = delay(&pcm, &decoded);
        let db = snr(&pcm, &decoded, lag);
        eprintln!(
            "{hz} Hz, ffmpeg's encoder → our decoder: delay {lag}, SNR {db:.1} dB \
             ({same_bytes} of {} bytes equal to ours)",
            theirs.len()
        );
        assert!(db >= 25.0, "{hz} Hz from ffmpeg's encoder: SNR {db:.1} dB");
        assert_eq!(theirs, ours, "ffmpeg's encoder is bit-exact with ours");
    }

    // Full-scale noise and arbitrary bytes reach the saturations and every code: still the same.
    let mut seed = 0x2545_f491_u32;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    let noise: Vec<i16> = (0..16_000).map(|_| next() as i16).collect();
    let input = scratch("noise.raw");
    let le: Vec<u8> = noise.iter().flat_map(|s| s.to_le_bytes()).collect();
    std::fs::write(&input, le).unwrap();
    let theirs = ffmpeg(&[
        "-f",
        "s16le",
        "-ar",
        "16000",
        "-ac",
        "1",
        "-i",
        path_str(&input),
        "-c:a",
        "g722",
        "-f",
        "g722",
        "-",
    ])
    .expect("ffmpeg was there a moment ago");
    let mut ours = Vec::new();
    G722Encoder::new().encode(&noise, &mut ours);
    assert_eq!(theirs, ours, "full-scale noise: ffmpeg's encoder differs");

    let bytes: Vec<u8> = (0..8000).map(|_| next() as u8).collect();
    let g722 = scratch("random.g722");
    std::fs::write(&g722, &bytes).unwrap();
    let raw = ffmpeg(&[
        "-f",
        "g722",
        "-i",
        path_str(&g722),
        "-f",
        "s16le",
        "-ar",
        "16000",
        "-",
    ])
    .expect("ffmpeg was there a moment ago");
    let mut ours = Vec::new();
    G722Decoder::new().decode(&bytes, &mut ours);
    assert_eq!(to_pcm(&raw), ours, "random bytes: ffmpeg's decoder differs");
    eprintln!("full-scale noise and random bytes: bit-exact with ffmpeg");
    let _ = std::fs::remove_dir_all(scratch("x").parent().unwrap());
}
