//! The Opus wrapper end to end through libopus: tones come back at their level after the codec's
//! delay, in-band FEC beats plain concealment on a lost packet, concealment fades without a
//! click, and random bytes never panic the decoder.

use media::goertzel::{level_db, power, tone};
use media::opus::{OpusDecoder, OpusEncoder, OpusParams, FRAME_SAMPLES, SAMPLE_RATE};
use proptest::prelude::*;

const RATE: f64 = SAMPLE_RATE as f64;
/// −10 dBFS as a sine amplitude (0 dBFS is a full-scale sine, as in `goertzel`).
const AMP_M10: f64 = 0.316_227_766;

/// Encodes `input` frame by frame; returns the packets.
fn encode_all(enc: &mut OpusEncoder, input: &[i16]) -> Vec<Vec<u8>> {
    input
        .chunks_exact(FRAME_SAMPLES)
        .map(|frame| {
            let mut pkt = Vec::new();
            enc.encode(frame, &mut pkt).unwrap();
            pkt
        })
        .collect()
}

fn decode_all(packets: &[Vec<u8>]) -> Vec<i16> {
    let mut dec = OpusDecoder::new().unwrap();
    let mut out = Vec::new();
    for p in packets {
        assert_eq!(dec.decode(p, &mut out), Ok(FRAME_SAMPLES));
    }
    out
}

/// A speech-like test signal: a 150 Hz buzz with harmonics whose mix and loudness drift, so that
/// one frame cannot be predicted exactly from the previous one.
fn voice_like(n: usize) -> Vec<i16> {
    (0..n)
        .map(|i| {
            let t = i as f64 / RATE;
            let f0 = 150.0 + 20.0 * (2.0 * std::f64::consts::PI * 3.0 * t).sin();
            let env = 0.6 + 0.4 * (2.0 * std::f64::consts::PI * 2.5 * t).sin();
            let mut v = 0.0;
            for h in 1..=12 {
                let formant = 1.0 / (1.0 + ((h as f64 * 150.0 - 700.0) / 400.0).powi(2));
                v += formant * (2.0 * std::f64::consts::PI * f0 * h as f64 * t).sin();
            }
            (0.12 * env * v * 32767.0).clamp(-32767.0, 32767.0) as i16
        })
        .collect()
}

/// The lag (0..max_lag) at which `output` best matches `input` (normalised cross-correlation).
fn best_lag(input: &[i16], output: &[i16], max_lag: usize) -> usize {
    let n = input.len().min(output.len()) - max_lag;
    (0..max_lag)
        .max_by(|&a, &b| xcorr(input, output, a, n).total_cmp(&xcorr(input, output, b, n)))
        .unwrap()
}

fn xcorr(input: &[i16], output: &[i16], lag: usize, n: usize) -> f64 {
    let (mut xy, mut yy) = (0.0, 0.0);
    for i in 0..n {
        let x = f64::from(input[i]);
        let y = f64::from(output[i + lag]);
        xy += x * y;
        yy += y * y;
    }
    xy / yy.sqrt().max(1.0)
}

/// Energy of `a - b` over equal lengths.
fn error_energy(a: &[i16], b: &[i16]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum()
}

fn codec_delay() -> usize {
    let input = voice_like(FRAME_SAMPLES * 50);
    let mut enc = OpusEncoder::new(&OpusParams::default()).unwrap();
    let lookahead = enc.lookahead().unwrap();
    let output = decode_all(&encode_all(&mut enc, &input));
    let lag = best_lag(&input, &output, 2000);
    eprintln!("opus delay: lookahead {lookahead}, cross-correlation {lag} samples");
    assert!(
        lag.abs_diff(lookahead) <= 8,
        "cross-correlation delay {lag} vs encoder lookahead {lookahead}"
    );
    lag
}

fn check_tone(freq: f64) {
    let delay = codec_delay();
    let input = tone(freq, RATE, AMP_M10, 0, FRAME_SAMPLES * 50);
    let mut enc = OpusEncoder::new(&OpusParams::default()).unwrap();
    let output = decode_all(&encode_all(&mut enc, &input));
    // 200 ms once the encoder has settled, aligned on the input; 9600 samples hold a whole
    // number of periods of both tones, so Goertzel sees no leakage.
    let start = FRAME_SAMPLES * 20 + delay;
    let block = &output[start..start + 9600];
    let level = level_db(block, freq, RATE);
    let tone_power = power(block, freq, RATE);
    let total_power: f64 = 2.0
        * block
            .iter()
            .map(|&s| (f64::from(s) / 32768.0).powi(2))
            .sum::<f64>()
        / block.len() as f64;
    let other_db = 10.0 * ((total_power - tone_power).max(1e-12) / tone_power).log10();
    eprintln!("{freq} Hz at -10 dBFS: decoded {level:.2} dBFS, other energy {other_db:.1} dB");
    assert!(
        (level + 10.0).abs() <= 3.0,
        "{freq} Hz came back at {level:.2} dBFS"
    );
    assert!(
        other_db < -20.0,
        "{freq} Hz: other energy {other_db:.1} dB re tone"
    );
}

#[test]
fn opus_tone_1khz_survives_at_its_level() {
    check_tone(1000.0);
}

#[test]
fn opus_tone_6khz_survives_at_its_level() {
    check_tone(6000.0);
}

#[test]
fn opus_fec_recovers_a_lost_packet_better_than_plc() {
    let delay = codec_delay();
    let input = voice_like(FRAME_SAMPLES * 60);
    let mut enc = OpusEncoder::new(&OpusParams::parse("useinbandfec=1")).unwrap();
    enc.set_packet_loss_percent(20).unwrap();
    let packets = encode_all(&mut enc, &input);
    let lost = 40;

    let mut with_fec = OpusDecoder::new().unwrap();
    let mut with_plc = OpusDecoder::new().unwrap();
    let (mut out_fec, mut out_plc) = (Vec::new(), Vec::new());
    for (i, p) in packets.iter().enumerate() {
        if i == lost {
            with_fec.decode_fec(&packets[i + 1], &mut out_fec).unwrap();
            with_plc.conceal(&mut out_plc).unwrap();
        } else {
            with_fec.decode(p, &mut out_fec).unwrap();
            with_plc.decode(p, &mut out_plc).unwrap();
        }
    }
    // The lost frame's samples as the original had them, delayed by the codec.
    let range = lost * FRAME_SAMPLES..(lost + 1) * FRAME_SAMPLES;
    let original = &input[range.start - delay..range.end - delay];
    let clean = decode_all(&packets);
    let e_fec = error_energy(&out_fec[range.clone()], original);
    let e_plc = error_energy(&out_plc[range.clone()], original);
    let e_clean = error_energy(&clean[range.clone()], original);
    let signal: f64 = original.iter().map(|&x| f64::from(x).powi(2)).sum();
    let db = |e: f64| 10.0 * (e / signal).log10();
    eprintln!(
        "lost frame error re signal: clean {:.1} dB, FEC {:.1} dB, PLC {:.1} dB",
        db(e_clean),
        db(e_fec),
        db(e_plc)
    );
    assert!(
        e_fec < e_plc,
        "FEC error {e_fec:.3e} not below PLC {e_plc:.3e}"
    );
    assert!(
        db(e_plc) - db(e_fec) >= 3.0,
        "FEC only {:.1} dB better than PLC",
        db(e_plc) - db(e_fec)
    );
    // Without FEC in the stream, `decode_fec` can only conceal: the gain above is the FEC's.
    let mut enc = OpusEncoder::new(&OpusParams::parse("useinbandfec=0")).unwrap();
    let bare = encode_all(&mut enc, &input);
    let mut dec = OpusDecoder::new().unwrap();
    let mut out_bare = Vec::new();
    for (i, p) in bare.iter().enumerate() {
        if i == lost {
            dec.decode_fec(&bare[i + 1], &mut out_bare).unwrap();
        } else {
            dec.decode(p, &mut out_bare).unwrap();
        }
    }
    let e_bare = error_energy(&out_bare[range.clone()], original);
    eprintln!("decode_fec without FEC in the stream: {:.1} dB", db(e_bare));
    assert!(db(e_bare) - db(e_fec) >= 3.0);
}

#[test]
fn opus_plc_fades_without_a_click() {
    let input = tone(1000.0, RATE, AMP_M10, 0, FRAME_SAMPLES * 25);
    let mut enc = OpusEncoder::new(&OpusParams::default()).unwrap();
    let packets = encode_all(&mut enc, &input);
    let mut dec = OpusDecoder::new().unwrap();
    let mut out = Vec::new();
    for p in &packets {
        dec.decode(p, &mut out).unwrap();
    }
    let good = out.len();
    let lost_frames = 10;
    for _ in 0..lost_frames {
        assert_eq!(dec.conceal(&mut out), Ok(FRAME_SAMPLES));
    }
    let step = |s: &[i16]| {
        s.windows(2)
            .map(|w| (i32::from(w[1]) - i32::from(w[0])).abs())
            .max()
            .unwrap()
    };
    // The largest sample-to-sample step of the tone as decoded, and across the boundary into
    // and through the concealment: a click would be a jump well above the tone's own slope.
    let tone_step = step(&out[good - FRAME_SAMPLES * 5..good]);
    let plc_step = step(&out[good - 1..]);
    let first = &out[good..good + FRAME_SAMPLES];
    let last = &out[out.len() - FRAME_SAMPLES..];
    let (l_first, l_last) = (level_db(first, 1000.0, RATE), level_db(last, 1000.0, RATE));
    eprintln!(
        "PLC: tone step {tone_step}, max step in concealment {plc_step}; \
         1 kHz level first concealed frame {l_first:.1} dBFS, 10th {l_last:.1} dBFS"
    );
    assert!(
        plc_step <= tone_step * 3 / 2,
        "jump of {plc_step} (tone's own step {tone_step})"
    );
    assert!(l_last < l_first - 6.0, "concealment does not fade");
}

proptest! {
    #[test]
    fn opus_random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1600)) {
        let mut dec = OpusDecoder::new().unwrap();
        let mut out = Vec::new();
        match dec.decode(&bytes, &mut out) {
            Ok(n) => prop_assert!(n <= 5760 && out.len() == n),
            Err(_) => prop_assert!(out.is_empty()),
        }
        out.clear();
        if let Ok(n) = dec.decode_fec(&bytes, &mut out) {
            prop_assert_eq!(n, FRAME_SAMPLES);
        }
        out.clear();
        prop_assert_eq!(dec.conceal(&mut out), Ok(FRAME_SAMPLES));
    }
}
