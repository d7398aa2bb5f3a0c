//! Cost of composing one receiver's picture: [`Compositor::compose`] of 640×360 senders into the
//! 2×2 and 3×3 layouts (and, for comparison, voice-switched and 1+N) at 1280×720 and 640×360,
//! plus an audio-only tile's caption. The figure is the time of one compose, averaged over a
//! run of frames; the quickest of several runs is printed (short runs, so that some escape the
//! other processes on a busy machine), with the frames per second one core could compose.
//!
//! Run with `cargo bench -p media --bench compose`. Only the measurement reads the real clock.
#![allow(clippy::disallowed_methods)]

use std::hint::black_box;
use std::time::Instant;

use media::video::{Compositor, Frame, Layout, Tile};

const FRAMES: usize = 20;
const RUNS: usize = 15;

/// A 640×360 sender's picture with structure (gradients), distinct per sender.
fn sender(seed: usize) -> Frame {
    let mut f = Frame::new(640, 360);
    let (y, u, v) = f.planes_mut();
    for (i, s) in y.iter_mut().enumerate() {
        *s = 16 + ((i % 640 + 3 * (i / 640) + 17 * seed) % 220) as u8;
    }
    for (i, (a, b)) in u.iter_mut().zip(v.iter_mut()).enumerate() {
        *a = 16 + ((i % 320 + 31 * seed) % 224) as u8;
        *b = 16 + ((i / 320 + 47 * seed) % 224) as u8;
    }
    f
}

/// Microseconds per compose, quickest run.
fn measure(layout: Layout, tiles: &[Tile<'_>], out: &mut Frame) -> f64 {
    let mut compositor = Compositor::new();
    compositor.compose(layout, tiles, Some(0), out);
    let mut best = f64::INFINITY;
    for _ in 0..RUNS {
        let start = Instant::now();
        for f in 0..FRAMES {
            compositor.compose(black_box(layout), black_box(tiles), Some(f % 4), out);
            black_box(&*out);
        }
        best = best.min(start.elapsed().as_nanos() as f64 / 1e3 / FRAMES as f64);
    }
    best
}

fn main() {
    let senders: Vec<Frame> = (0..9).map(sender).collect();
    let video: Vec<Tile> = senders.iter().map(Tile::Video).collect();
    let mut mixed = video.clone();
    mixed[1] = Tile::AudioOnly {
        name: "Zoë Ng (phone)",
    };
    println!("sources 640x360; quickest of {RUNS} runs of {FRAMES} composes");
    println!(
        "{:>16} {:>10} {:>12} {:>12}",
        "layout", "output", "µs/frame", "frames/s/core"
    );
    for (w, h) in [(1280, 720), (640, 360)] {
        let mut out = Frame::new(w, h);
        for layout in [
            Layout::Grid2x2,
            Layout::Grid3x3,
            Layout::OnePlusN,
            Layout::VoiceSwitched,
        ] {
            let us = measure(layout, &video, &mut out);
            println!(
                "{:>16} {:>10} {:>12.0} {:>12.0}",
                layout.name(),
                format!("{w}x{h}"),
                us,
                1e6 / us
            );
        }
        let us = measure(Layout::Grid2x2, &mixed, &mut out);
        println!(
            "{:>16} {:>10} {:>12.0} {:>12.0}",
            "2x2 audio-only",
            format!("{w}x{h}"),
            us,
            1e6 / us
        );
    }
}
