//! The H.264 encoder and decoder wrappers (`media::video::{H264Encoder, H264Decoder}`, over
//! OpenH264): synthetic pictures encoded and decoded back at 640×360 and 1280×720 (size, colours,
//! luma PSNR), key frames and the SPS the encoder writes, NAL size caps, RTP round trips through
//! our packetizer and depacketizer, ffmpeg decoding our stream and our decoder decoding libx264's
//! (bit-exact both ways: H.264 decoding is exact), garbage that must not crash the decoder, and
//! bit-rate changes, a stream changing size, and no allocation per frame. ffmpeg is a test dependency (`make test` installs it); without it the ffmpeg
//! tests fail, unless `PONT_SKIP_FFMPEG=1` asks to skip them.

use std::path::PathBuf;

use media::h264::{split_annexb, Depacketizer, NalHeader, Packetizer, NAL_IDR, NAL_PPS, NAL_SPS};
use media::rtp;
use media::video::{EncoderSettings, Frame, H264Decoder, H264Encoder, VideoCodecError, Yuv};
use media::SeqNo;

mod counting_alloc;
mod ffmpeg_tool;

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

/// The four quadrant colours: red, green, blue, white.
fn quadrant_colours() -> [Yuv; 4] {
    [
        Yuv::from_rgb(220, 30, 30),
        Yuv::from_rgb(30, 200, 40),
        Yuv::from_rgb(40, 40, 220),
        Yuv::from_rgb(235, 235, 235),
    ]
}

/// Four flat coloured quadrants with a moving luma gradient in a band across the top eighth and
/// a moving texture (a fixed pseudo-random pattern of 4×4 blocks scrolling sideways) across the bottom
/// eighth, so that the stream is neither static nor trivially easy, and the quadrant centres
/// stay flat.
fn picture(w: usize, h: usize, t: usize) -> Frame {
    let mut f = Frame::new(w, h);
    let colours = quadrant_colours();
    let (y, u, v) = f.planes_mut();
    for row in 0..h {
        for col in 0..w {
            let q = usize::from(col >= w / 2) + 2 * usize::from(row >= h / 2);
            y[row * w + col] = if row < h / 8 {
                (16 + (col * 2 + row + t * 8) % 220) as u8
            } else if row >= h - h / 8 {
                let mut seed = ((row / 4 * 4096 + (col + 3 * t) % w / 4) as u64) << 1;
                (90 + splitmix64(&mut seed) % 80) as u8
            } else {
                colours[q].y
            };
        }
    }
    for row in 0..h / 2 {
        for col in 0..w / 2 {
            let q = usize::from(col >= w / 4) + 2 * usize::from(row >= h / 4);
            u[row * (w / 2) + col] = colours[q].u;
            v[row * (w / 2) + col] = colours[q].v;
        }
    }
    f
}

/// The quadrant centres: (x, y, quadrant).
fn centres(w: usize, h: usize) -> [(usize, usize, usize); 4] {
    [
        (w / 4, 3 * h / 8, 0),
        (3 * w / 4, 3 * h / 8, 1),
        (w / 4, 3 * h / 4, 2),
        (3 * w / 4, 3 * h / 4, 3),
    ]
}

fn assert_colours(f: &Frame, what: &str) {
    let colours = quadrant_colours();
    for (x, y, q) in centres(f.width(), f.height()) {
        let got = f.pixel(x, y);
        let want = colours[q];
        let close = got.y.abs_diff(want.y) <= 4
            && got.u.abs_diff(want.u) <= 4
            && got.v.abs_diff(want.v) <= 4;
        assert!(
            close,
            "{what}: quadrant {q} at ({x},{y}) is {got:?}, want {want:?}"
        );
    }
}

/// PSNR of the luma planes, in dB.
fn psnr_y(a: &Frame, b: &Frame) -> f64 {
    let se: f64 = a
        .y()
        .iter()
        .zip(b.y())
        .map(|(&p, &q)| (f64::from(p) - f64::from(q)).powi(2))
        .sum();
    let mse = se / a.y().len() as f64;
    if mse == 0.0 {
        return 99.0;
    }
    10.0 * (255.0 * 255.0 / mse).log10()
}

fn settings(w: usize, h: usize, bitrate_bps: u32) -> EncoderSettings {
    EncoderSettings {
        width: w,
        height: h,
        fps: 30.0,
        bitrate_bps,
        keyframe_interval: 0,
        max_nal_bytes: None,
    }
}

/// The NAL unit types of an access unit.
fn types(au: &[u8]) -> Vec<u8> {
    split_annexb(au)
        .map(|n| NalHeader::of(n).unwrap().nal_type())
        .collect()
}

/// max_num_ref_frames of a Baseline SPS (H.264 §7.3.2.1.1: profile, flags, level, then
/// Exp-Golomb fields up to it).
fn sps_max_num_ref_frames(sps: &[u8]) -> u32 {
    // The RBSP: emulation prevention bytes (00 00 03) removed.
    let mut rbsp = Vec::new();
    for &b in &sps[4..] {
        if b == 3 && rbsp.ends_with(&[0, 0]) {
            continue;
        }
        rbsp.push(b);
    }
    let mut pos = 0;
    let mut bit = || {
        let b = (rbsp[pos / 8] >> (7 - pos % 8)) & 1;
        pos += 1;
        u32::from(b)
    };
    let mut ue = || {
        let mut zeros = 0;
        while bit() == 0 {
            zeros += 1;
        }
        (0..zeros).fold(0, |v, _| (v << 1) | bit()) + (1 << zeros) - 1
    };
    let _sps_id = ue();
    let _log2_max_frame_num = ue();
    match ue() {
        0 => {
            let _log2_max_poc_lsb = ue();
        }
        2 => {} // output order is decoding order: no reordering, what OpenH264 writes
        other => panic!("pic_order_cnt_type {other}"),
    }
    ue()
}

/// Timestamps of frame `i` at 30 fps, in ms.
fn ms(i: usize) -> u64 {
    (i as u64 * 1000).div_ceil(30)
}

fn splitmix64(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Encodes `n` moving pictures and returns the access units (skipped frames left out).
fn encode_stream(s: EncoderSettings, n: usize) -> Vec<Vec<u8>> {
    let mut enc = H264Encoder::new(s).unwrap();
    (0..n)
        .map(|i| {
            enc.encode(&picture(s.width, s.height, i), ms(i))
                .unwrap()
                .annexb
                .to_vec()
        })
        .filter(|au| !au.is_empty())
        .collect()
}

#[test]
fn encode_decode_640x360_and_1280x720() {
    for (w, h, bitrate) in [(640, 360, 800_000), (1280, 720, 1_500_000)] {
        let mut enc = H264Encoder::new(settings(w, h, bitrate)).unwrap();
        let mut dec = H264Decoder::new().unwrap();
        let (mut bytes, mut decoded, mut worst) = (0, 0, f64::INFINITY);
        for i in 0..30 {
            let pic = picture(w, h, i);
            let out = enc.encode(&pic, ms(i)).unwrap();
            assert_eq!(out.keyframe, i == 0, "frame {i}: only the first is an IDR");
            if out.annexb.is_empty() {
                continue; // rate control skipped it
            }
            bytes += out.annexb.len();
            let au = out.annexb.to_vec();
            let f = dec
                .decode(&au)
                .unwrap()
                .expect("every access unit gives a picture");
            assert_eq!((f.width(), f.height()), (w, h), "cropping applied");
            assert_colours(f, &format!("{w}×{h} frame {i}"));
            worst = worst.min(psnr_y(f, &pic));
            decoded += 1;
        }
        let kbps = bytes as f64 * 8.0 / 1000.0; // 30 frames = 1 s
        eprintln!("{w}×{h}: {decoded} pictures, {kbps:.0} kb/s, worst luma PSNR {worst:.1} dB");
        assert!(
            decoded >= 25,
            "{w}×{h}: only {decoded} of 30 frames encoded"
        );
        assert!(worst > 30.0, "{w}×{h}: luma PSNR {worst:.1} dB");
    }
}

#[test]
fn keyframes_and_the_sps() {
    let mut enc = H264Encoder::new(EncoderSettings {
        keyframe_interval: 10,
        ..settings(640, 360, 1_000_000)
    })
    .unwrap();
    let mut kinds = Vec::new();
    for i in 0..25 {
        let out = enc.encode(&picture(640, 360, i), ms(i)).unwrap();
        assert!(
            !out.annexb.is_empty(),
            "frame {i} skipped at a generous bit rate"
        );
        let t = types(out.annexb);
        if out.keyframe {
            assert_eq!(&t[..3], &[NAL_SPS, NAL_PPS, NAL_IDR], "frame {i}: {t:?}");
            assert!(t[2..].iter().all(|&n| n == NAL_IDR), "frame {i}: {t:?}");
            let sps = split_annexb(out.annexb).next().unwrap();
            assert_eq!(sps[1], 66, "profile_idc: Baseline");
            assert_eq!(
                sps[2] & 0xC0,
                0xC0,
                "constraint_set0 and set1: Constrained Baseline"
            );
            assert_eq!(sps[3], 30, "level 3.0 for 640×360 at 30 fps");
            assert_eq!(sps_max_num_ref_frames(sps), 1, "one reference picture");
        } else {
            assert!(
                t.iter().all(|&n| n == 1),
                "frame {i}: non-IDR slices only, {t:?}"
            );
        }
        kinds.push(out.keyframe);
    }
    let idrs: Vec<usize> = (0..25).filter(|&i| kinds[i]).collect();
    assert_eq!(idrs, [0, 10, 20], "the first and every 10th");

    // A receiver's PLI: the next picture is an IDR, the one after is not.
    for (i, ask) in [(25, false), (26, false), (27, true)] {
        if ask {
            enc.request_keyframe();
        }
        let out = enc.encode(&picture(640, 360, i), ms(i)).unwrap();
        assert_eq!(out.keyframe, ask, "frame {i}");
        if ask {
            assert_eq!(&types(out.annexb)[..3], &[NAL_SPS, NAL_PPS, NAL_IDR]);
        }
    }
    let later: Vec<usize> = (28..50)
        .filter(|&i| enc.encode(&picture(640, 360, i), ms(i)).unwrap().keyframe)
        .collect();
    assert_eq!(later, [37, 47], "an IDR asked for restarts the period");

    // Starved of bits, rate control skips pictures; the period still counts every picture
    // given to encode.
    let mut enc = H264Encoder::new(EncoderSettings {
        keyframe_interval: 12,
        ..settings(640, 360, 60_000)
    })
    .unwrap();
    let (mut idrs, mut skipped) = (Vec::new(), 0);
    for i in 0..40 {
        let out = enc.encode(&picture(640, 360, i), ms(i)).unwrap();
        skipped += usize::from(out.annexb.is_empty());
        if out.keyframe {
            idrs.push(i);
        }
    }
    assert!(skipped > 0, "60 kb/s at 640×360 skips pictures");
    assert_eq!(idrs, [0, 12, 24, 36], "{skipped} skipped");

    // 720p: level 3.1.
    let au = &encode_stream(settings(1280, 720, 1_500_000), 1)[0];
    let sps = split_annexb(au).next().unwrap();
    assert_eq!((sps[1], sps[2] & 0xC0, sps[3]), (66, 0xC0, 31));
}

#[test]
fn nal_units_fit_the_cap() {
    let s = EncoderSettings {
        max_nal_bytes: Some(1200),
        keyframe_interval: 15,
        ..settings(1280, 720, 3_000_000)
    };
    let aus = encode_stream(s, 30);
    let mut dec = H264Decoder::new().unwrap();
    let (mut nals, mut largest, mut idr_slices) = (0, 0, 0);
    for au in &aus {
        for nal in split_annexb(au) {
            nals += 1;
            largest = largest.max(nal.len());
            assert!(nal.len() <= 1200, "a NAL unit of {} bytes", nal.len());
        }
        if types(au).contains(&NAL_IDR) {
            idr_slices = idr_slices.max(types(au).iter().filter(|&&t| t == NAL_IDR).count());
        }
        let f = dec.decode(au).unwrap().expect("a picture");
        assert_colours(f, "720p sliced");
    }
    eprintln!("1200-byte cap: {nals} NAL units, largest {largest}, {idr_slices} slices in an IDR");
    assert!(
        idr_slices > 1,
        "an IDR at 3 Mb/s does not fit one 1200-byte slice"
    );
}

#[test]
fn rtp_round_trip_through_our_packetizer() {
    for cap in [None, Some(1100)] {
        let s = EncoderSettings {
            max_nal_bytes: cap,
            ..settings(640, 360, 800_000)
        };
        let aus = encode_stream(s, 20);
        let mut pk = Packetizer::new(1200).unwrap();
        let mut dp = Depacketizer::new();
        let mut dec = H264Decoder::new().unwrap();
        let mut buf = [0u8; 1200];
        let (mut seq, mut pictures, mut fu) = (1000u16, 0, 0);
        for (i, au) in aus.iter().enumerate() {
            let ts = i as u32 * 3000;
            pk.push_annexb(ts, au).unwrap();
            while let Some(p) = pk.poll_payload(&mut buf).unwrap() {
                fu += usize::from(buf[0] & 0x1F == media::h264::FU_A);
                dp.push(SeqNo(seq), p.timestamp, p.marker, &buf[..p.len])
                    .unwrap();
                seq = seq.wrapping_add(1);
            }
            while let Some(got) = dp.poll_frame() {
                assert!(got.complete);
                assert_eq!(got.is_keyframe, i == 0);
                let f = dec.decode(&got.data).unwrap().expect("a picture");
                assert_eq!((f.width(), f.height()), (640, 360));
                assert_colours(f, "after RTP");
                pictures += 1;
                dp.recycle(got);
            }
        }
        assert_eq!(pictures, aus.len(), "cap {cap:?}");
        if cap.is_some() {
            assert_eq!(
                fu, 0,
                "NAL units under the cap need no FU-A (packetization-mode 0)"
            );
        } else {
            assert!(fu > 0, "an unsliced IDR needs FU-A");
        }
        assert!(!dp.needs_keyframe());
    }
}

#[test]
fn the_rtp_capture_of_libx264_decodes() {
    const FIXTURE: &str = include_str!("../../fixtures/rtp/h264/testsrc_128x96_baseline.hex");
    let mut dp = Depacketizer::new();
    let mut dec = H264Decoder::new().unwrap();
    let mut pictures = 0;
    for line in FIXTURE.lines().filter(|l| !l.trim().is_empty()) {
        let bytes: Vec<u8> = (0..line.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&line[i..i + 2], 16).unwrap())
            .collect();
        let p = rtp::parse(&bytes).unwrap();
        dp.push(p.header.seq, p.header.timestamp, p.header.marker, p.payload)
            .unwrap();
        while let Some(au) = dp.poll_frame() {
            let f = dec.decode(&au.data).unwrap().expect("a picture");
            assert_eq!((f.width(), f.height()), (128, 96));
            pictures += 1;
        }
    }
    dp.flush();
    while let Some(au) = dp.poll_frame() {
        dec.decode(&au.data).unwrap().expect("a picture");
        pictures += 1;
    }
    assert_eq!(pictures, 6);
}

fn ffmpeg(args: &[&str]) -> Option<Vec<u8>> {
    ffmpeg_tool::run(args)
}

fn skip_ffmpeg(found: bool) -> bool {
    ffmpeg_tool::skip(found, "H.264")
}

fn scratch(name: &str) -> PathBuf {
    ffmpeg_tool::scratch("h264-codec", name)
}

/// ffmpeg's decoding of an Annex B file, as raw yuv420p (`None` without ffmpeg).
fn ffmpeg_decode(file: &std::path::Path) -> Option<Vec<u8>> {
    ffmpeg(&[
        "-f",
        "h264",
        "-i",
        file.to_str().unwrap(),
        "-f",
        "rawvideo",
        "-pix_fmt",
        "yuv420p",
        "-",
    ])
}

/// The pictures of a raw yuv420p stream of `w`×`h`.
fn raw_frames(raw: &[u8], w: usize, h: usize) -> Vec<Frame> {
    let size = w * h * 3 / 2;
    assert_eq!(
        raw.len() % size,
        0,
        "{} bytes of {w}×{h} pictures",
        raw.len()
    );
    raw.chunks_exact(size)
        .map(|c| {
            let mut f = Frame::new(w, h);
            let (y, u, v) = f.planes_mut();
            y.copy_from_slice(&c[..w * h]);
            u.copy_from_slice(&c[w * h..w * h * 5 / 4]);
            v.copy_from_slice(&c[w * h * 5 / 4..]);
            f
        })
        .collect()
}

#[test]
fn ffmpeg_decodes_our_stream() {
    let (w, h) = (640, 360);
    let aus = encode_stream(
        EncoderSettings {
            max_nal_bytes: Some(1200),
            keyframe_interval: 10,
            ..settings(w, h, 800_000)
        },
        30,
    );
    let file = scratch("ours.h264");
    std::fs::write(&file, aus.concat()).unwrap();
    let raw = ffmpeg_decode(&file);
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
    if skip_ffmpeg(raw.is_some()) {
        return;
    }
    let theirs = raw_frames(&raw.unwrap(), w, h);
    assert_eq!(theirs.len(), aus.len(), "one picture per access unit");
    let mut dec = H264Decoder::new().unwrap();
    for (i, (au, f)) in aus.iter().zip(&theirs).enumerate() {
        assert_colours(f, &format!("ffmpeg's picture {i}"));
        let ours = dec.decode(au).unwrap().expect("a picture");
        assert!(
            ours == f,
            "picture {i}: ffmpeg and OpenH264 decode differently"
        );
    }
    eprintln!(
        "ffmpeg decoded our {} access units bit-exactly as we do",
        aus.len()
    );
}

/// Splits an Annex B stream into access units: a new one starts at an AUD, SPS, PPS or SEI
/// after a slice, or at a slice whose first_mb_in_slice is 0 (its first header bit is 1).
fn access_units(stream: &[u8]) -> Vec<Vec<u8>> {
    let mut aus: Vec<Vec<u8>> = Vec::new();
    let mut cur = Vec::new();
    let mut had_slice = false;
    for nal in split_annexb(stream) {
        let t = NalHeader::of(nal).unwrap().nal_type();
        let slice = t == 1 || t == 5;
        let starts = if slice {
            nal.get(1).is_some_and(|b| b & 0x80 != 0)
        } else {
            matches!(t, 6..=9)
        };
        if starts && had_slice {
            aus.push(std::mem::take(&mut cur));
            had_slice = false;
        }
        had_slice |= slice;
        media::h264::write_annexb_nal(&mut cur, nal);
    }
    if !cur.is_empty() {
        aus.push(cur);
    }
    aus
}

#[test]
fn we_decode_libx264_baseline_as_ffmpeg_does() {
    let (w, h) = (320, 240);
    let Some(stream) = ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=320x240:rate=30",
        "-t",
        "1",
        "-c:v",
        "libx264",
        "-profile:v",
        "baseline",
        "-pix_fmt",
        "yuv420p",
        "-bf",
        "0",
        "-g",
        "12",
        "-f",
        "h264",
        "-",
    ]) else {
        skip_ffmpeg(false);
        return;
    };
    if skip_ffmpeg(true) {
        return;
    }
    let file = scratch("x264.h264");
    std::fs::write(&file, &stream).unwrap();
    let raw = ffmpeg_decode(&file).expect("ffmpeg was there a moment ago");
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
    let theirs = raw_frames(&raw, w, h);
    let aus = access_units(&stream);
    assert_eq!(aus.len(), 30);
    assert_eq!(theirs.len(), 30);
    let mut dec = H264Decoder::new().unwrap();
    for (i, (au, f)) in aus.iter().zip(&theirs).enumerate() {
        let ours = dec.decode(au).unwrap().expect("a picture");
        assert!(ours == f, "picture {i} differs from ffmpeg's");
    }
}

/// A valid access unit damaged in one of three ways, chosen by `rng`.
fn damage(au: &[u8], rng: &mut u64) -> Vec<u8> {
    let mut v = au.to_vec();
    match splitmix64(rng) % 3 {
        0 => {
            // Truncated.
            let keep = (splitmix64(rng) as usize) % v.len();
            v.truncate(keep);
        }
        1 => {
            // A few bit flips after the first start code.
            for _ in 0..1 + splitmix64(rng) % 8 {
                let at = 4 + (splitmix64(rng) as usize) % (v.len() - 4);
                v[at] ^= 1 << (splitmix64(rng) % 8);
            }
        }
        _ => {
            // A run of random bytes overwritten.
            let at = (splitmix64(rng) as usize) % v.len();
            let len = 1 + (splitmix64(rng) as usize) % 64;
            for b in v.iter_mut().skip(at).take(len) {
                *b = splitmix64(rng) as u8;
            }
        }
    }
    v
}

#[test]
fn garbage_never_crashes_the_decoder() {
    let aus = encode_stream(
        EncoderSettings {
            keyframe_interval: 5,
            ..settings(176, 144, 300_000)
        },
        10,
    );
    assert!(types(&aus[0]).contains(&NAL_IDR) && types(&aus[5]).contains(&NAL_IDR));
    let mut rng = 0x5eed_u64;
    let (mut frames, mut errors, mut corrupt) = (0, 0, 0);
    let mut dec = H264Decoder::new().unwrap();
    for case in 0..400 {
        if case % 50 == 0 {
            dec = H264Decoder::new().unwrap();
        }
        let input = if case % 4 == 0 {
            // Pure garbage, half the time behind a start code and a slice/SPS/PPS header.
            let len = (splitmix64(&mut rng) % 2000) as usize;
            let mut v: Vec<u8> = (0..len).map(|_| splitmix64(&mut rng) as u8).collect();
            if case % 8 == 0 {
                let header = [0x67, 0x68, 0x65, 0x41][(splitmix64(&mut rng) % 4) as usize];
                v.splice(0..0, [0, 0, 0, 1, header]);
            }
            v
        } else {
            let i = (splitmix64(&mut rng) % aus.len() as u64) as usize;
            if splitmix64(&mut rng) & 1 == 0 {
                // After the clean access units before it (from the key frame), so the damage
                // reaches slice decoding with valid references.
                for au in &aus[..i] {
                    let _ = dec.decode(au);
                }
            }
            damage(&aus[i], &mut rng)
        };
        match dec.decode(&input) {
            Ok(Some(f)) => {
                assert!(f.width() >= 2 && f.height() >= 2);
                frames += 1;
            }
            Ok(None) => {}
            Err(e) => {
                corrupt += usize::from(matches!(e, VideoCodecError::Corrupt { .. }));
                errors += 1;
            }
        }
    }
    eprintln!("400 damaged inputs: {frames} pictures, {errors} errors ({corrupt} corrupt-stream)");
    assert!(
        errors > 50,
        "damaged streams are reported ({errors} errors)"
    );
    // After all that, a clean IDR decodes again.
    for au in &aus[5..] {
        let f = dec.decode(au).unwrap().expect("recovered on the IDR");
        assert_colours(f, "after garbage");
    }
    // A P frame with no IDR before it is an error, not a picture.
    let mut fresh = H264Decoder::new().unwrap();
    assert!(fresh.decode(&aus[1]).is_err());
}

#[test]
fn set_bitrate_lowers_the_output() {
    let (w, h) = (640, 360);
    let mut enc = H264Encoder::new(settings(w, h, 2_000_000)).unwrap();
    // A moving picture with detail, so that the bit rate is what limits the size.
    let mut rng = 7u64;
    let mut noisy = |i: usize| {
        let mut f = picture(w, h, i);
        let (y, _, _) = f.planes_mut();
        for p in y.iter_mut() {
            *p = p.saturating_add((splitmix64(&mut rng) % 24) as u8);
        }
        f
    };
    let mut second = |enc: &mut H264Encoder, from: usize| -> usize {
        (from..from + 60)
            .map(|i| enc.encode(&noisy(i), ms(i)).unwrap().annexb.len())
            .skip(30) // let rate control settle
            .sum()
    };
    let high = second(&mut enc, 0);
    enc.set_bitrate(300_000).unwrap();
    assert_eq!(enc.settings().bitrate_bps, 300_000);
    let low = second(&mut enc, 60);
    eprintln!(
        "2 Mb/s: {} kb/s; after set_bitrate(300 kb/s): {} kb/s",
        high * 8 / 1000,
        low * 8 / 1000
    );
    assert!(
        low * 3 < high,
        "{low} bytes after lowering vs {high} before"
    );
    assert!(
        low * 8 < 450_000,
        "300 kb/s held within 50%: {} b/s",
        low * 8
    );
    // And back up.
    enc.set_bitrate(2_000_000).unwrap();
    let again = second(&mut enc, 120);
    assert!(
        again > 2 * low,
        "{again} bytes after raising again vs {low}"
    );
    // A rate beyond the level of the running stream (3.0: 10 Mb/s) is refused, and so is 0.
    assert_eq!(
        enc.set_bitrate(12_000_000),
        Err(VideoCodecError::InvalidBitrate(12_000_000))
    );
    assert_eq!(enc.set_bitrate(0), Err(VideoCodecError::InvalidBitrate(0)));
    assert_eq!(enc.settings().bitrate_bps, 2_000_000);
}

#[test]
fn a_stream_changing_size_is_followed() {
    // A sender switching from 640×360 to 320×180 (a new SPS with its IDR): the decoder's frame
    // follows, cropping included.
    let mut dec = H264Decoder::new().unwrap();
    for (w, h) in [(640, 360), (320, 180), (640, 360)] {
        for au in encode_stream(settings(w, h, 600_000), 5) {
            let f = dec.decode(&au).unwrap().expect("a picture");
            assert_eq!((f.width(), f.height()), (w, h));
            assert_colours(f, &format!("{w}×{h} after a size change"));
        }
    }
}

#[test]
fn steady_state_allocates_nothing() {
    // Only the Rust side is counted (OpenH264 allocates its buffers in C++ at initialisation).
    let (w, h) = (640, 360);
    let pictures: Vec<Frame> = (0..60).map(|i| picture(w, h, i)).collect();
    let mut enc = H264Encoder::new(EncoderSettings {
        keyframe_interval: 20,
        ..settings(w, h, 800_000)
    })
    .unwrap();
    let mut dec = H264Decoder::new().unwrap();
    let mut step = |i: usize| {
        let out = enc.encode(&pictures[i], ms(i)).unwrap();
        if !out.annexb.is_empty() {
            assert!(dec.decode(out.annexb).unwrap().is_some());
        }
    };
    for i in 0..30 {
        step(i);
    }
    let before = counting_alloc::allocations();
    for i in 30..60 {
        step(i); // includes the IDRs at frames 40 and 60
    }
    let after = counting_alloc::allocations();
    assert_eq!(after - before, 0, "allocations per frame in steady state");
}
