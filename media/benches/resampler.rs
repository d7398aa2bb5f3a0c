//! Cost of the streaming resampler per 20 ms frame, for every pair of the mixer's rates (8, 16,
//! 48 kHz): the figure is the time of one `process` call on one frame of a loud tone-plus-noise
//! signal, averaged over many frames.
//!
//! Run with `cargo bench -p media --bench resampler`; each pair runs 300 times 200 frames and the
//! quietest run is printed (short runs, so that some escape the other processes on a busy
//! machine). Only the measurement reads the real clock.
#![allow(clippy::disallowed_methods)]

use std::hint::black_box;
use std::time::Instant;

use media::resampler::Resampler;

const FRAMES: usize = 200;
const RUNS: usize = 300;

fn main() {
    let rates = [8000u32, 16000, 48000];
    // The first converter of each factor designs the shared filter; later ones only copy.
    let start = Instant::now();
    Resampler::prepare();
    println!(
        "Resampler::prepare (designs the three filters): {:.1} ms",
        start.elapsed().as_nanos() as f64 / 1e6
    );
    let start = Instant::now();
    for _ in 0..1000 {
        black_box(Resampler::new(black_box(8000), black_box(48000)).expect("supported pair"));
    }
    println!(
        "Resampler::new once designed: {:.0} ns",
        start.elapsed().as_nanos() as f64 / 1000.0
    );
    println!("{:>15}  {:>10}  {:>10}", "pair", "ns/frame", "ns/sample");
    for from in rates {
        for to in rates {
            let mut rs = Resampler::new(from, to).expect("supported pair");
            // One second of signal, cycled through frame by frame.
            let mut seed = 0x1234_5678_9ABC_DEF0u64;
            let input: Vec<i16> =
                media::goertzel::tone(700.0, f64::from(from), 0.4, 0, from as usize)
                    .into_iter()
                    .map(|s| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        s.saturating_add((seed >> 52) as i16 - 2048)
                    })
                    .collect();
            let frames: Vec<&[i16]> = input.chunks(rs.frame_in()).collect();
            let mut out = vec![0i16; rs.frame_out()];
            let mut best = f64::INFINITY;
            for _ in 0..RUNS {
                let start = Instant::now();
                for f in 0..FRAMES {
                    rs.process(black_box(frames[f % frames.len()]), &mut out);
                    black_box(&out);
                }
                let ns = start.elapsed().as_nanos() as f64 / FRAMES as f64;
                best = best.min(ns);
            }
            println!(
                "{:>6} → {:>5}  {:>10.0}  {:>10.2}",
                from,
                to,
                best,
                best / rs.frame_out() as f64
            );
        }
    }
}
