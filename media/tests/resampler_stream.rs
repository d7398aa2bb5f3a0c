//! The streaming resampler as a stream: frame by frame equals all at once (no clicks at frame
//! boundaries), silence stays silence, a full-scale square wave saturates instead of wrapping,
//! and no input or length mismatch makes it panic.

use media::resampler::Resampler;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

const RATES: [u32; 3] = [8000, 16000, 48000];

fn pairs() -> Vec<(u32, u32)> {
    RATES
        .into_iter()
        .flat_map(|a| RATES.into_iter().map(move |b| (a, b)))
        .collect()
}

/// splitmix64: a tiny deterministic PRNG so failures reproduce.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn sample(&mut self) -> i16 {
        self.next() as i16
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One second of loud noise and tones, up to full scale.
fn signal(rate: u32, seed: u64) -> Vec<i16> {
    let mut rng = SplitMix(seed);
    let mut x = media::goertzel::tone(440.0, f64::from(rate), 0.4, 0, rate as usize);
    for (i, s) in x.iter_mut().enumerate() {
        *s = match i / (rate as usize / 10) % 3 {
            0 => s.saturating_add(rng.sample() / 4),
            1 => rng.sample(),
            _ => *s,
        };
    }
    x
}

#[test]
fn resampler_frame_by_frame_equals_whole_and_any_cut() {
    for (seed, (from, to)) in pairs().into_iter().enumerate() {
        let input = signal(from, seed as u64);
        let mut whole = vec![0i16; to as usize];
        Resampler::new(from, to)
            .unwrap()
            .process(&input, &mut whole);

        let mut rs = Resampler::new(from, to).unwrap();
        let mut framed = vec![0i16; to as usize];
        for (i, o) in input
            .chunks(rs.frame_in())
            .zip(framed.chunks_mut(rs.frame_out()))
        {
            rs.process(i, o);
        }
        assert_eq!(framed, whole, "{from}→{to} in 20 ms frames");

        // Irregular blocks: any whole number of input groups (the decimation factor).
        let m = (from / to).max(1) as usize;
        let l = (to / from).max(1) as usize;
        let mut cut = vec![0i16; to as usize];
        let mut rs = Resampler::new(from, to).unwrap();
        let mut rng = SplitMix(seed as u64 + 100);
        let (mut i, mut o) = (0, 0);
        while i < input.len() {
            let groups = (1 + rng.below(700)).min((input.len() - i) / m);
            let (n_in, n_out) = (groups * m, groups * l);
            rs.process(&input[i..i + n_in], &mut cut[o..o + n_out]);
            i += n_in;
            o += n_out;
        }
        assert_eq!(cut, whole, "{from}→{to} in irregular blocks");
    }
}

#[test]
fn resampler_same_rate_is_a_copy() {
    for rate in RATES {
        let input = signal(rate, 9);
        let mut out = vec![0i16; input.len()];
        let mut rs = Resampler::new(rate, rate).unwrap();
        assert_eq!(rs.delay(), 0);
        rs.process(&input, &mut out);
        assert_eq!(out, input);
    }
}

#[test]
fn resampler_silence_stays_silence_and_the_history_drains() {
    for (from, to) in pairs() {
        let mut rs = Resampler::new(from, to).unwrap();
        let (fi, fo) = (rs.frame_in(), rs.frame_out());
        let mut out = vec![1i16; fo];
        for _ in 0..10 {
            rs.process(&vec![0; fi], &mut out);
            assert!(
                out.iter().all(|&s| s == 0),
                "{from}→{to}: silence in, sound out"
            );
        }
        // After a loud frame, silence comes back exactly once the filter has forgotten it
        // (its length is twice the delay, well within one more frame).
        rs.process(&signal(from, 3)[fi * 2..fi * 3], &mut out);
        assert!(out.iter().any(|&s| s != 0));
        rs.process(&vec![0; fi], &mut out);
        assert!(
            out[2 * rs.delay() + 1..].iter().all(|&s| s == 0),
            "{from}→{to}"
        );
        rs.process(&vec![0; fi], &mut out);
        assert!(out.iter().all(|&s| s == 0), "{from}→{to}");
    }
}

#[test]
fn resampler_full_scale_square_wave_saturates_instead_of_wrapping() {
    for (from, to) in pairs().into_iter().filter(|(a, b)| a != b) {
        // 200 Hz: each half period a whole number of input samples.
        let half = from as usize / 400;
        let input: Vec<i16> = (0..from as usize)
            .map(|i| {
                if (i / half).is_multiple_of(2) {
                    i16::MAX
                } else {
                    i16::MIN
                }
            })
            .collect();
        let mut out = vec![0i16; to as usize];
        let mut rs = Resampler::new(from, to).unwrap();
        for (i, o) in input
            .chunks(rs.frame_in())
            .zip(out.chunks_mut(rs.frame_out()))
        {
            rs.process(i, o);
        }
        // The Gibbs overshoot (≈ 18 % of full scale) is clipped, both ways.
        assert_eq!(out.iter().max(), Some(&i16::MAX), "{from}→{to}");
        assert_eq!(out.iter().min(), Some(&i16::MIN), "{from}→{to}");
        // Away from each edge by one sample of the lower rate, every output sample has the
        // plateau's sign and most of its level: a wrapped overshoot would flip it.
        let ratio = f64::from(from) / f64::from(to); // input samples per output sample
        let radius = ratio.max(1.0);
        let mut checked = 0;
        for (n, &y) in out.iter().enumerate().skip(rs.delay() + 2 * half) {
            let t = (n - rs.delay()) as f64 * ratio; // input time of this output sample
                                                     // Edges sit half-way between input samples k·half − 1 and k·half.
            let k = ((t + 0.5) / half as f64).round();
            if (t - (k * half as f64 - 0.5)).abs() < radius {
                continue;
            }
            let positive = ((t / half as f64).floor() as usize).is_multiple_of(2);
            assert!(
                if positive { y > 16384 } else { y < -16384 },
                "{from}→{to}: sample {n} is {y}"
            );
            checked += 1;
        }
        assert!(checked > out.len() / 2, "{from}→{to}: checked {checked}");
    }
}

#[test]
fn resampler_random_input_and_lengths_never_panic() {
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 256,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let strategy = (
        0usize..9,
        proptest::collection::vec(
            (
                proptest::collection::vec(any::<i16>(), 0..2500),
                0usize..2500,
            ),
            1..4,
        ),
    );
    runner
        .run(&strategy, |(pair, calls)| {
            let (from, to) = pairs()[pair];
            let mut rs = Resampler::new(from, to).unwrap();
            for (input, n_out) in calls {
                let mut out = vec![0x5555i16; n_out];
                rs.process(&input, &mut out);
                // A tail too short for a whole output group is silenced, never left stale.
                let l = (to / from).max(1) as usize;
                prop_assert!(out[n_out / l * l..].iter().all(|&s| s == 0));
            }
            Ok(())
        })
        .unwrap();
}
