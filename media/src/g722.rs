//! ITU-T G.722 wideband audio at 64 kbit/s (mode 1): sub-band ADPCM of 16 kHz linear PCM.
//!
//! A 24-tap quadrature mirror filter (QMF) splits the input into a lower band (0–4 kHz) and a
//! higher band (4–8 kHz, spectrally inverted), each decimated to 8 kHz. The lower band is coded
//! with 6-bit ADPCM, the higher band with 2-bit ADPCM; each code byte carries one sample of each
//! (`IH << 6 | IL`), so 320 samples (20 ms) become 160 bytes. Both bands use the adaptive
//! quantizer of the Recommendation (log-domain scale factor, blocks 3L/3H) and its pole-zero
//! predictor (two poles, six zeros, sign-sign adaptation, block 4). The decoder uses all six bits
//! of the lower-band code for its output but only the four most significant ones to adapt, so
//! that the 56 and 48 kbit/s modes (bits dropped in transit) would stay in step with the encoder.
//!
//! **RTP clock quirk** (RFC 3551 §4.5.2): payload type 9 is G.722 with an RTP clock of *8000* Hz,
//! although it samples at 16 kHz — an error in RFC 1890 kept for compatibility. A 20 ms packet
//! therefore advances the RTP timestamp by 160, not 320, and SDP says `G722/8000`.
//!
//! The two QMFs together delay the signal by 22 samples (1.4 ms). The output is bit-exact with
//! ffmpeg's `adpcm_g722` in both directions (`media/tests/g722_ffmpeg.rs`).
//!
//! The state machines are plain integers (the Recommendation's fixed-point arithmetic, with
//! saturation instead of overflow), so nothing here allocates beyond the output `Vec` and no input
//! — least of all the untrusted bytes given to [`G722Decoder::decode`] — can make it panic.

/// QMF coefficients h(0)..h(23) (×2^13; symmetric, so the DC gain is 8192).
const QMF: [i32; 24] = [
    3, -11, -11, 53, 12, -156, 32, 362, -210, -805, 951, 3876, 3876, 951, -805, -210, 362, 32,
    -156, 12, 53, -11, -11, 3,
];

/// Lower-band decision levels q6(m), m = 0..29, in units of the scale factor / 4096.
const Q6: [i32; 30] = [
    0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940,
    1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919,
];

/// 6-bit code for interval `m` (1..=30) of a negative difference signal.
const ILN: [u8; 31] = [
    0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11,
    10, 9, 8, 7, 6, 5, 4,
];
/// 6-bit code for interval `m` (1..=30) of a positive (or zero) difference signal.
const ILP: [u8; 31] = [
    0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39,
    38, 37, 36, 35, 34, 33, 32,
];

/// Inverse quantizer outputs of the 6-bit lower-band code (QM6), ×2^15 of the scale.
const QM6: [i32; 64] = [
    -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232,
    -9360, -8576, -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776,
    -2400, -2032, -1688, -1360, -1040, -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280,
    11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776,
    2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136,
];

/// Inverse quantizer outputs of the 4-bit truncated lower-band code (QM4), used for adaptation.
const QM4: [i32; 16] = [
    0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584,
    1200, 0,
];

/// Inverse quantizer outputs of the 2-bit higher-band code (QM2).
const QM2: [i32; 4] = [-7408, -1616, 7408, 1616];

/// Magnitude class of the 4-bit lower-band code (RIL → IL4) for the scale-factor multiplier.
const RL42: [usize; 16] = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];
/// Log scale-factor multipliers W_L(IL4).
const WL: [i32; 8] = [-60, -30, 58, 172, 334, 538, 1198, 3042];
/// Magnitude class of the 2-bit higher-band code, and its multipliers W_H.
const RH2: [usize; 4] = [2, 1, 2, 1];
const WH: [i32; 3] = [0, -214, 798];

/// 2^(i/32) × 2048 for i = 0..31: the mantissa of the inverse log (block 3, SCALEL/SCALEH).
const ILB: [i32; 32] = [
    2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
    2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
];

/// Saturates to the 16-bit two's-complement range the Recommendation computes in.
fn sat16(x: i32) -> i32 {
    x.clamp(-32768, 32767)
}

/// Product of a 16-bit value and a Q15 coefficient, back in 16-bit units.
fn mul15(a: i32, b: i32) -> i32 {
    (a * b) >> 15
}

/// The Recommendation's sign bit: zero counts as positive.
fn neg(x: i32) -> bool {
    x < 0
}

/// What differs between the two bands' scale-factor adaptation.
struct ScaleLaw {
    /// Upper limit of the log scale factor ∇ (18432 low, 22528 high).
    max_nabla: i32,
    /// Exponent offset: the linear scale factor is 2^(∇/2048 − offset) in 15-bit units.
    offset: i32,
}

const LOW_LAW: ScaleLaw = ScaleLaw {
    max_nabla: 18432,
    offset: 8,
};
const HIGH_LAW: ScaleLaw = ScaleLaw {
    max_nabla: 22528,
    offset: 10,
};

/// The adaptive state of one sub-band: scale factor and pole-zero predictor (blocks 3 and 4).
#[derive(Clone, Debug)]
struct Band {
    /// Log scale factor ∇ (NBL/NBH).
    nabla: i32,
    /// Linear scale factor Δ (DETL/DETH).
    det: i32,
    /// Signal estimate s(n) for the sample being coded (SL/SH).
    s: i32,
    /// Zero-section part of that estimate (SZL/SZH).
    sz: i32,
    /// Previous reconstructed signal r(n−1).
    r1: i32,
    /// Pole coefficients a1, a2.
    a: [i32; 2],
    /// Partially reconstructed signal p(n−1), p(n−2) (only their signs are used).
    p: [i32; 2],
    /// Zero coefficients b1..b6.
    b: [i32; 6],
    /// Quantized differences d(n−1)..d(n−6).
    d: [i32; 6],
}

impl Band {
    fn new(law: &ScaleLaw) -> Self {
        let mut band = Band {
            nabla: 0,
            det: 0,
            s: 0,
            sz: 0,
            r1: 0,
            a: [0; 2],
            p: [0; 2],
            b: [0; 6],
            d: [0; 6],
        };
        band.det = band.scale(law);
        band
    }

    /// Blocks 3L/3H: LOGSCL (leaky log-domain update by the code's multiplier), then SCALEL
    /// (inverse log through the ILB table).
    fn adapt_scale(&mut self, w: i32, law: &ScaleLaw) {
        // ∇ leaks by 127/128 per sample so that the scale forgets old loudness.
        self.nabla = (((self.nabla * 127) >> 7) + w).clamp(0, law.max_nabla);
        self.det = self.scale(law);
    }

    fn scale(&self, law: &ScaleLaw) -> i32 {
        let mantissa = ILB[((self.nabla >> 6) & 31) as usize];
        let shift = law.offset - (self.nabla >> 11);
        let linear = if shift >= 0 {
            mantissa >> shift
        } else {
            mantissa << -shift
        };
        linear << 2
    }

    /// Block 4: reconstruct, adapt the predictor by the signs of its inputs, and compute the
    /// estimate for the next sample from the quantized difference `d`.
    fn predict(&mut self, d: i32) {
        let r = sat16(self.s + d); // RECONS
        let p = sat16(self.sz + d); // PARREC

        // UPPOL2: a2 moves toward the sign correlation of p over two lags, damped by a1.
        let same1 = neg(p) == neg(self.p[0]);
        let same2 = neg(p) == neg(self.p[1]);
        let four_a1 = sat16(self.a[0] << 2);
        let wd = if same1 { -four_a1 } else { four_a1 }.min(32767);
        let a2 = ((if same2 { 128 } else { -128 }) + (wd >> 7) + mul15(self.a[1], 32512))
            .clamp(-12288, 12288);

        // UPPOL1: a1 follows the lag-one sign correlation, kept inside the stability triangle.
        let step = if same1 { 192 } else { -192 };
        let limit = sat16(15360 - a2);
        let a1 = sat16(step + mul15(self.a[0], 32640)).clamp(-limit, limit);

        // FILTEP: pole section with the new coefficients over r(n), r(n−1).
        let sp = sat16(mul15(a1, sat16(r + r)) + mul15(a2, sat16(self.r1 + self.r1)));
        self.r1 = r;
        self.a = [a1, a2];
        self.p = [p, self.p[0]];

        // UPZERO + FILTEZ: each b_i leaks by 255/256 and steps by 1/256 toward the sign
        // correlation of d(n) with d(n−i); no step at all when d(n) is zero.
        let gain = if d == 0 { 0 } else { 128 };
        for (b, &di) in self.b.iter_mut().zip(self.d.iter()) {
            let step = if neg(d) == neg(di) { gain } else { -gain };
            *b = sat16(step + mul15(*b, 32640));
        }
        self.d.copy_within(0..5, 1);
        self.d[0] = d;
        let sz: i32 = self
            .b
            .iter()
            .zip(self.d.iter())
            .map(|(&b, &di)| mul15(b, sat16(di + di)))
            .sum();
        self.sz = sat16(sz);
        self.s = sat16(sp + self.sz); // PREDIC
    }
}

/// G.722 encoder (64 kbit/s): 16 kHz PCM in, one byte per two samples out.
#[derive(Clone, Debug)]
pub struct G722Encoder {
    /// Last 24 input samples, newest first (the transmit QMF's delay line).
    hist: [i32; 24],
    /// An odd sample left over from the previous call, paired with the next call's first.
    pending: Option<i16>,
    low: Band,
    high: Band,
}

impl Default for G722Encoder {
    fn default() -> Self {
        Self::new()
    }
}

impl G722Encoder {
    /// A fresh encoder in the Recommendation's reset state.
    pub fn new() -> Self {
        G722Encoder {
            hist: [0; 24],
            pending: None,
            low: Band::new(&LOW_LAW),
            high: Band::new(&HIGH_LAW),
        }
    }

    /// Encodes 16 kHz samples, appending one byte per pair to `out`. An odd trailing sample is
    /// kept and paired with the first one of the next call, so any chunking gives the same bytes.
    pub fn encode(&mut self, pcm16k: &[i16], out: &mut Vec<u8>) {
        let mut rest = pcm16k;
        if let Some(first) = self.pending.take() {
            match rest.split_first() {
                Some((&second, tail)) => {
                    out.push(self.encode_pair(first, second));
                    rest = tail;
                }
                None => {
                    self.pending = Some(first);
                    return;
                }
            }
        }
        out.reserve(rest.len() / 2);
        let mut pairs = rest.chunks_exact(2);
        for pair in &mut pairs {
            out.push(self.encode_pair(pair[0], pair[1]));
        }
        self.pending = pairs.remainder().first().copied();
    }

    fn encode_pair(&mut self, first: i16, second: i16) -> u8 {
        // Transmit QMF: x_A sums the even taps over the newest sample, x_B the odd taps over the
        // one before; their sum is the lower band, their difference the higher band.
        self.hist.copy_within(0..22, 2);
        self.hist[1] = i32::from(first);
        self.hist[0] = i32::from(second);
        let (mut xa, mut xb) = (0i32, 0i32);
        for (taps, x) in QMF.chunks_exact(2).zip(self.hist.chunks_exact(2)) {
            xa += taps[0] * x[0];
            xb += taps[1] * x[1];
        }
        // 2^13 for the filter gain, one more for the sum of two filters, and one to bring
        // 16-bit input to the 15-bit signals the ADPCM works on.
        let xl = (xa + xb) >> 14;
        let xh = (xa - xb) >> 14;
        let il = self.encode_low(xl);
        let ih = self.encode_high(xh);
        (ih << 6) | il
    }

    /// Blocks 1L–4L for one lower-band sample; returns the 6-bit code IL.
    fn encode_low(&mut self, xl: i32) -> u8 {
        let band = &mut self.low;
        let el = sat16(xl - band.s);
        // QUANTL compares |el| (one's complement for negatives) with the scaled levels.
        let mag = if el >= 0 { el } else { !el };
        let m = (1..30)
            .find(|&m| mag < (Q6[m] * band.det) >> 12)
            .unwrap_or(30);
        let il = if el < 0 { ILN[m] } else { ILP[m] };
        let ril = usize::from(il >> 2);
        let dl = mul15(band.det, QM4[ril]);
        band.adapt_scale(WL[RL42[ril]], &LOW_LAW);
        band.predict(dl);
        il
    }

    /// Blocks 1H–4H for one higher-band sample; returns the 2-bit code IH.
    fn encode_high(&mut self, xh: i32) -> u8 {
        let band = &mut self.high;
        let eh = sat16(xh - band.s);
        let mag = if eh >= 0 { eh } else { !eh };
        // QUANTH: one decision level, 564/4096 of the scale factor.
        let outer = mag >= (564 * band.det) >> 12;
        let ih: u8 = match (eh < 0, outer) {
            (true, true) => 0,
            (true, false) => 1,
            (false, true) => 2,
            (false, false) => 3,
        };
        let dh = mul15(band.det, QM2[usize::from(ih)]);
        band.adapt_scale(WH[RH2[usize::from(ih)]], &HIGH_LAW);
        band.predict(dh);
        ih
    }
}

/// G.722 decoder (64 kbit/s): bytes in, two 16 kHz samples per byte out. Every byte is a valid
/// code, so any input decodes (to noise, if it is not G.722).
#[derive(Clone, Debug)]
pub struct G722Decoder {
    /// Receive QMF delay lines, newest first: r_L − r_H and r_L + r_H.
    diff: [i32; 12],
    sum: [i32; 12],
    low: Band,
    high: Band,
}

impl Default for G722Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl G722Decoder {
    /// A fresh decoder in the Recommendation's reset state.
    pub fn new() -> Self {
        G722Decoder {
            diff: [0; 12],
            sum: [0; 12],
            low: Band::new(&LOW_LAW),
            high: Band::new(&HIGH_LAW),
        }
    }

    /// Decodes `bytes`, appending `2 * bytes.len()` samples at 16 kHz to `out`.
    pub fn decode(&mut self, bytes: &[u8], out: &mut Vec<i16>) {
        out.reserve(bytes.len() * 2);
        for &code in bytes {
            let rl = self.decode_low(code & 0x3F);
            let rh = self.decode_high(code >> 6);
            // Receive QMF: even output from the even taps over r_L − r_H, odd output from the
            // odd taps over r_L + r_H; ×2 for the interpolation, ÷4096 for the filter gain,
            // ×2 back from 15-bit to 16-bit samples: hence >> 11.
            self.diff.copy_within(0..11, 1);
            self.sum.copy_within(0..11, 1);
            self.diff[0] = sat16(rl - rh);
            self.sum[0] = sat16(rl + rh);
            let (mut even, mut odd) = (0i32, 0i32);
            for ((taps, d), s) in QMF.chunks_exact(2).zip(&self.diff).zip(&self.sum) {
                even += taps[0] * d;
                odd += taps[1] * s;
            }
            out.push(sat16(even >> 11) as i16);
            out.push(sat16(odd >> 11) as i16);
        }
    }

    /// Blocks 2L–6L: the output uses all six bits, the adaptation only the top four.
    fn decode_low(&mut self, il: u8) -> i32 {
        let band = &mut self.low;
        let rl = (band.s + mul15(band.det, QM6[usize::from(il)])).clamp(-16384, 16383);
        let ril = usize::from(il >> 2);
        let dl = mul15(band.det, QM4[ril]);
        band.adapt_scale(WL[RL42[ril]], &LOW_LAW);
        band.predict(dl);
        rl
    }

    /// Blocks 2H–6H for the 2-bit higher-band code.
    fn decode_high(&mut self, ih: u8) -> i32 {
        let band = &mut self.high;
        let ih = usize::from(ih & 3);
        let dh = mul15(band.det, QM2[ih]);
        let rh = (band.s + dh).clamp(-16384, 16383);
        band.adapt_scale(WH[RH2[ih]], &HIGH_LAW);
        band.predict(dh);
        rh
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const RATE: f64 = 16_000.0;
    /// −10 dBFS peak amplitude for a sine.
    const AMP: f64 = 32767.0 * 0.316_227_766;

    fn tone(hz: f64, n: usize) -> Vec<i16> {
        (0..n)
            .map(|i| (AMP * (2.0 * std::f64::consts::PI * hz * i as f64 / RATE).sin()) as i16)
            .collect()
    }

    fn roundtrip(pcm: &[i16]) -> Vec<i16> {
        let mut bytes = Vec::new();
        G722Encoder::new().encode(pcm, &mut bytes);
        assert_eq!(bytes.len(), pcm.len() / 2);
        let mut out = Vec::new();
        G722Decoder::new().decode(&bytes, &mut out);
        assert_eq!(out.len(), pcm.len());
        out
    }

    /// The lag (0..64) at which `out` best matches `input`, by cross-correlation.
    fn delay(input: &[i16], out: &[i16]) -> usize {
        let corr = |lag: usize| -> f64 {
            input
                .iter()
                .zip(&out[lag..])
                .map(|(&a, &b)| f64::from(a) * f64::from(b))
                .sum()
        };
        (0..64)
            .max_by(|&a, &b| corr(a).total_cmp(&corr(b)))
            .unwrap()
    }

    /// SNR in dB of `out` against `input` delayed by `lag`, skipping the first `skip` samples
    /// while the adaptation settles.
    fn snr(input: &[i16], out: &[i16], lag: usize, skip: usize) -> f64 {
        let (mut sig, mut noise) = (0.0, 0.0);
        for (&a, &b) in input[skip..].iter().zip(&out[skip + lag..]) {
            let (a, b) = (f64::from(a), f64::from(b));
            sig += a * a;
            noise += (a - b) * (a - b);
        }
        10.0 * (sig / noise.max(1e-9)).log10()
    }

    #[test]
    fn g722_tones_survive_with_good_snr() {
        for hz in [300.0, 1000.0, 3000.0, 6000.0] {
            let pcm = tone(hz, 16_000);
            let out = roundtrip(&pcm);
            let lag = delay(&pcm, &out);
            let db = snr(&pcm, &out, lag, 1600);
            eprintln!("G.722 {hz} Hz at -10 dBFS: delay {lag} samples, SNR {db:.1} dB");
            assert!((20..=25).contains(&lag), "{hz} Hz: delay {lag}");
            assert!(db >= 25.0, "{hz} Hz: SNR {db:.1} dB");
        }
    }

    #[test]
    fn g722_silence_stays_silent() {
        let out = roundtrip(&[0; 3200]);
        let peak = out.iter().map(|s| s.unsigned_abs()).max().unwrap();
        eprintln!("G.722 silence: peak {peak}");
        assert!(peak <= 16, "silence decodes with peak {peak}");
    }

    #[test]
    fn g722_sweep_is_not_distorted() {
        // Exponential sweep 100 Hz → 7 kHz over 2 s.
        let n = 32_000;
        let (f0, f1) = (100.0f64, 7000.0f64);
        let k = (f1 / f0).ln() / (n as f64 / RATE);
        let pcm: Vec<i16> = (0..n)
            .map(|i| {
                let t = i as f64 / RATE;
                let phase = 2.0 * std::f64::consts::PI * f0 * ((k * t).exp() - 1.0) / k;
                (AMP * phase.sin()) as i16
            })
            .collect();
        let out = roundtrip(&pcm);
        let lag = delay(&pcm, &out);
        let db = snr(&pcm, &out, lag, 800);
        eprintln!("G.722 sweep: delay {lag}, SNR {db:.1} dB");
        assert!(db >= 20.0, "sweep SNR {db:.1} dB");
        // Block by block (40 ms), the level stays within 2 dB of the input's.
        for (start, chunk) in pcm[..n - 640].chunks_exact(640).enumerate().skip(1) {
            let start = start * 640;
            let e_in: f64 = chunk.iter().map(|&s| f64::from(s).powi(2)).sum();
            let e_out: f64 = out[start + lag..start + lag + 640]
                .iter()
                .map(|&s| f64::from(s).powi(2))
                .sum();
            let ratio = 10.0 * (e_out / e_in).log10();
            assert!(ratio.abs() <= 2.0, "block at {start}: level {ratio:.1} dB");
        }
    }

    #[test]
    fn g722_frames_equal_one_call() {
        let pcm = tone(1000.0, 4000);
        let mut whole = Vec::new();
        G722Encoder::new().encode(&pcm, &mut whole);
        let mut framed = Vec::new();
        let mut enc = G722Encoder::new();
        for frame in pcm.chunks(320) {
            enc.encode(frame, &mut framed);
        }
        assert_eq!(whole, framed);
        // Odd chunk sizes too: the leftover sample waits for the next call.
        let mut odd = Vec::new();
        let mut enc = G722Encoder::new();
        for frame in pcm.chunks(77) {
            enc.encode(frame, &mut odd);
        }
        assert_eq!(whole, odd);

        let mut dec_whole = Vec::new();
        G722Decoder::new().decode(&whole, &mut dec_whole);
        let mut dec_framed = Vec::new();
        let mut dec = G722Decoder::new();
        for frame in whole.chunks(160) {
            dec.decode(frame, &mut dec_framed);
        }
        assert_eq!(dec_whole, dec_framed);
    }

    #[test]
    fn g722_full_scale_square_does_not_overflow() {
        let pcm: Vec<i16> = (0..3200)
            .map(|i| if i / 7 % 2 == 0 { i16::MAX } else { i16::MIN })
            .collect();
        let out = roundtrip(&pcm);
        assert_eq!(out.len(), pcm.len());
    }

    proptest! {
        #[test]
        fn g722_random_bytes_decode(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let mut out = Vec::new();
            G722Decoder::new().decode(&bytes, &mut out);
            prop_assert_eq!(out.len(), bytes.len() * 2);
        }

        #[test]
        fn g722_random_pcm_encodes(pcm in proptest::collection::vec(any::<i16>(), 0..2000)) {
            let mut bytes = Vec::new();
            G722Encoder::new().encode(&pcm, &mut bytes);
            prop_assert_eq!(bytes.len(), pcm.len() / 2);
        }
    }
}
