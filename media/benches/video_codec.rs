//! Cost of the H.264 wrappers (OpenH264): encoding a moving synthetic picture at 1280×720 and
//! 640×360, 30 fps (ms per frame, and how many such encodes one core sustains at 30 fps), with
//! and without the 1200-byte NAL cap, the bit rate produced; and decoding 640×360.
//!
//! Run with `cargo bench -p media --bench video_codec` (release). Only the encode/decode calls
//! are timed; drawing the pictures is not. Each run is 300 frames (10 s of video) after 30
//! frames of warm-up.
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use media::video::{EncoderSettings, Frame, H264Decoder, H264Encoder};

const WARMUP: usize = 30;
const FRAMES: usize = 300;
const FRAME_MS: f64 = 1000.0 / 30.0;

fn hash(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Draws picture `t` of a moving scene into `f`: a slowly drifting diagonal gradient, a 2×2
/// tiling of textured "participants" (fixed pseudo-random 4×4 blocks) that pan by a few pixels
/// per frame, and a bright square crossing the picture.
fn draw(f: &mut Frame, t: usize) {
    let (w, h) = (f.width(), f.height());
    let (y, u, v) = f.planes_mut();
    let square = ((t * 7) % w, h / 3);
    for row in 0..h {
        for col in 0..w {
            let tile = (col * 2 / w + 2 * (row * 2 / h)) as u64;
            let (tx, ty) = ((col + t * (tile as usize + 1)) / 4, (row + t) / 4);
            let texture = hash((tile << 40) | ((ty as u64) << 20) | tx as u64) % 48;
            let gradient = ((col + row + t) / 8) % 64;
            let mut luma = 40 + gradient as u64 + texture;
            if col.abs_diff(square.0) < w / 20 && row.abs_diff(square.1) < w / 20 {
                luma = 230;
            }
            y[row * w + col] = luma as u8;
        }
    }
    for row in 0..h / 2 {
        for col in 0..w / 2 {
            let tile = col * 4 / w + 2 * (row * 4 / h);
            u[row * (w / 2) + col] = [100, 150, 128, 90][tile] + ((col + t) / 16 % 8) as u8;
            v[row * (w / 2) + col] = [150, 100, 90, 128][tile] + ((row + t) / 16 % 8) as u8;
        }
    }
}

struct EncodeRun {
    per_frame: Duration,
    worst: Duration,
    kbps: f64,
    skipped: usize,
    keyframes: usize,
}

fn encode(settings: EncoderSettings) -> EncodeRun {
    let mut enc = H264Encoder::new(settings).unwrap();
    let mut frame = Frame::new(settings.width, settings.height);
    let (mut total, mut worst) = (Duration::ZERO, Duration::ZERO);
    let (mut bytes, mut skipped, mut keyframes) = (0, 0, 0);
    for t in 0..WARMUP + FRAMES {
        draw(&mut frame, t);
        let ts = (t as f64 * FRAME_MS) as u64;
        let start = Instant::now();
        let out = enc.encode(&frame, ts).unwrap();
        let took = start.elapsed();
        if t < WARMUP {
            continue;
        }
        total += took;
        worst = worst.max(took);
        bytes += out.annexb.len();
        skipped += usize::from(out.annexb.is_empty());
        keyframes += usize::from(out.keyframe);
    }
    EncodeRun {
        per_frame: total / FRAMES as u32,
        worst,
        kbps: bytes as f64 * 8.0 / (FRAMES as f64 / 30.0) / 1000.0,
        skipped,
        keyframes,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let cases = [
        ("1280×720 1.5 Mb/s", 1280, 720, 1_500_000, None),
        (
            "1280×720 1.5 Mb/s, NAL ≤ 1200",
            1280,
            720,
            1_500_000,
            Some(1200),
        ),
        ("640×360 600 kb/s", 640, 360, 600_000, None),
        (
            "640×360 600 kb/s, NAL ≤ 1200",
            640,
            360,
            600_000,
            Some(1200),
        ),
    ];
    for (name, width, height, bitrate_bps, max_nal_bytes) in cases {
        let settings = EncoderSettings {
            width,
            height,
            fps: 30.0,
            bitrate_bps,
            keyframe_interval: 300,
            max_nal_bytes,
        };
        // Three runs, the quickest printed (the machine is shared).
        let run = (0..3)
            .map(|_| encode(settings))
            .min_by_key(|r| r.per_frame)
            .unwrap();
        println!(
            "encode {name}: {:.2} ms/frame (worst {:.1} ms) → {:.1} encodes at 30 fps per core; \
             {:.0} kb/s produced, {} skipped, {} IDR in {FRAMES} frames",
            ms(run.per_frame),
            ms(run.worst),
            FRAME_MS / ms(run.per_frame),
            run.kbps,
            run.skipped,
            run.keyframes,
        );
    }

    // Decode: 300 frames of the 640×360 scene, from its first IDR.
    let mut enc = H264Encoder::new(EncoderSettings {
        width: 640,
        height: 360,
        fps: 30.0,
        bitrate_bps: 600_000,
        keyframe_interval: 300,
        max_nal_bytes: None,
    })
    .unwrap();
    let mut frame = Frame::new(640, 360);
    let mut stream = Vec::new();
    for t in 0..FRAMES {
        draw(&mut frame, t);
        let out = enc.encode(&frame, (t as f64 * FRAME_MS) as u64).unwrap();
        if !out.annexb.is_empty() {
            stream.push(out.annexb.to_vec());
        }
    }
    let best = (0..3)
        .map(|_| {
            let mut dec = H264Decoder::new().unwrap();
            let start = Instant::now();
            let mut pictures = 0;
            for au in &stream {
                pictures += usize::from(dec.decode(au).unwrap().is_some());
            }
            assert_eq!(pictures, stream.len());
            start.elapsed() / stream.len() as u32
        })
        .min()
        .unwrap();
    println!(
        "decode 640×360: {:.2} ms/frame → {:.1} decodes at 30 fps per core",
        ms(best),
        FRAME_MS / ms(best)
    );
}
