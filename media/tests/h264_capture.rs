//! H.264 RTP against real encoders: the committed ffmpeg/libx264 capture
//! (`fixtures/rtp/h264/`, see its README) replayed in order, reordered and with losses; and a
//! fresh libx264 stream from ffmpeg cut into access units, packetized, depacketized and compared
//! byte for byte. ffmpeg is a test dependency (`make test` installs it); without it the second
//! test fails, unless `PONT_SKIP_FFMPEG=1` asks to skip it.

use std::io::ErrorKind;
use std::process::Command;

use media::h264::{
    split_annexb, AccessUnit, Depacketizer, DepacketizerConfig, KeyframeReason, NalHeader,
    Packetizer,
};
use media::{rtp, SeqNo};

const FIXTURE: &str = include_str!("../../fixtures/rtp/h264/testsrc_128x96_baseline.hex");

/// (seq, timestamp, marker, payload) of each packet of the capture.
type Pkt = (SeqNo, u32, bool, Vec<u8>);

fn capture() -> Vec<Pkt> {
    FIXTURE
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let bytes: Vec<u8> = (0..l.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&l[i..i + 2], 16).unwrap())
                .collect();
            let p = rtp::parse(&bytes).unwrap();
            (
                p.header.seq,
                p.header.timestamp,
                p.header.marker,
                p.payload.to_vec(),
            )
        })
        .collect()
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Feeds packets and returns the access units and key-frame requests, flushing at the end.
fn replay<'a>(
    d: &mut Depacketizer,
    pkts: impl IntoIterator<Item = &'a Pkt>,
) -> (Vec<AccessUnit>, Vec<KeyframeReason>) {
    let mut aus = Vec::new();
    let mut requests = Vec::new();
    let mut drain = |d: &mut Depacketizer| {
        aus.extend(std::iter::from_fn(|| d.poll_frame()));
        requests.extend(std::iter::from_fn(|| d.poll_keyframe_request()));
    };
    for (seq, ts, marker, payload) in pkts {
        d.push(*seq, *ts, *marker, payload).unwrap();
        drain(d);
    }
    d.flush();
    drain(d);
    (aus, requests)
}

fn types(au: &AccessUnit) -> Vec<u8> {
    au.nals()
        .map(|n| NalHeader::of(n).unwrap().nal_type())
        .collect()
}

#[test]
fn the_capture_depacketizes_into_six_access_units() {
    let pkts = capture();
    assert_eq!(pkts.len(), 25);
    let mut d = Depacketizer::new();
    let (aus, requests) = replay(&mut d, &pkts);
    assert_eq!(aus.len(), 6);
    assert!(requests.is_empty(), "{requests:?}");
    assert!(aus.iter().all(|a| a.complete));
    let keys: Vec<bool> = aus.iter().map(|a| a.is_keyframe).collect();
    assert_eq!(keys, [true, false, false, true, false, false]);
    assert_eq!(types(&aus[0]), [7, 8, 6, 5, 5, 5, 5, 5, 5, 5, 5]);
    assert_eq!(types(&aus[1]), [1]);
    let steps: Vec<u32> = aus
        .windows(2)
        .map(|w| w[1].timestamp.wrapping_sub(w[0].timestamp))
        .collect();
    assert_eq!(steps, [9000; 5], "10 fps at 90 kHz");
    let s = d.stats();
    assert_eq!(
        (s.packets, s.fragments, s.gaps, s.refused_packets),
        (25, 3, 0, 0)
    );
    assert!(!d.needs_keyframe());

    // Our packetizer, at the same and at other sizes, gives back the very same NAL units.
    for (mtu, stap) in [(300, true), (1200, true), (100, false), (3, false)] {
        let mut p = Packetizer::new(mtu).unwrap().with_stap_a(stap);
        let mut d2 = Depacketizer::new();
        let mut seq = SeqNo(65_000);
        let mut buf = vec![0; mtu];
        for au in &aus {
            p.push_annexb(au.timestamp, &au.data).unwrap();
            while let Some(pl) = p.poll_payload(&mut buf).unwrap() {
                d2.push(seq, pl.timestamp, pl.marker, &buf[..pl.len])
                    .unwrap();
                seq = seq.next();
            }
            let back = d2.poll_frame().unwrap();
            assert_eq!(back, *au, "mtu {mtu}");
        }
    }
}

#[test]
fn the_capture_survives_reordering() {
    let pkts = capture();
    let (reference, _) = replay(&mut Depacketizer::new(), &pkts);
    for seed in 0..50u64 {
        // Move packets up to 3 places later at random (within the default window of 4). The
        // first packet stays first: it fixes where the sequence starts, and one that comes
        // before it is late.
        let mut order: Vec<usize> = (0..pkts.len()).collect();
        let mut x = seed;
        let mut i = 1;
        while i + 1 < order.len() {
            x = splitmix64(x);
            let by = ((x % 4) as usize).min(order.len() - 1 - i);
            order[i..=i + by].rotate_left(1);
            i += by + 1;
        }
        let mut d = Depacketizer::new();
        let (aus, requests) = replay(&mut d, order.iter().map(|i| &pkts[*i]));
        assert_eq!(aus, reference, "seed {seed}");
        assert!(requests.is_empty(), "seed {seed}");
        assert_eq!(d.stats().gaps, 0);
    }
}

#[test]
fn losses_ask_for_a_keyframe_until_the_next_idr() {
    let pkts = capture();
    let (reference, _) = replay(&mut Depacketizer::new(), &pkts);

    // The middle fragment of the SEI: the first key frame is incomplete; the P frames after it
    // cannot repair that; the second key frame does.
    let mut d = Depacketizer::new();
    let mut needs = Vec::new();
    let mut requests = Vec::new();
    let mut aus = Vec::new();
    for (i, (seq, ts, marker, payload)) in pkts.iter().enumerate() {
        if i == 2 {
            continue;
        }
        d.push(*seq, *ts, *marker, payload).unwrap();
        aus.extend(std::iter::from_fn(|| d.poll_frame()));
        requests.extend(std::iter::from_fn(|| d.poll_keyframe_request()));
        needs.push(d.needs_keyframe());
    }
    assert_eq!(requests, [KeyframeReason::PacketLoss]);
    assert_eq!(aus.len(), 6);
    assert!(aus[0].is_keyframe && !aus[0].complete);
    assert_eq!(
        types(&aus[0]),
        [7, 8, 5, 5, 5, 5, 5, 5, 5, 5],
        "the SEI is cut off"
    );
    assert_eq!(aus[1..], reference[1..], "the rest is intact");
    // needs[12]: after the last P frame before the second key frame (packet 13, one skipped).
    assert!(
        needs[..13].iter().all(|n| *n),
        "the P frames do not repair it"
    );
    assert!(!d.needs_keyframe(), "the second IDR repaired it");
    assert_eq!(d.stats().broken_fu, 1);

    // Seeded random losses: no complete access unit ever differs from the lossless one, and
    // every loss is followed by a request. The first packet is kept: a loss before the first
    // packet received cannot be seen (the stream starts where we join it).
    for seed in 0..200u64 {
        let mut x = seed;
        let kept: Vec<&Pkt> = pkts
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                x = splitmix64(x);
                *i == 0 || x % 8 != 0
            })
            .map(|(_, p)| p)
            .collect();
        let mut d = Depacketizer::new();
        let (aus, requests) = replay(&mut d, kept.iter().copied());
        for au in aus.iter().filter(|a| a.complete) {
            let r = reference
                .iter()
                .find(|r| r.timestamp == au.timestamp)
                .unwrap();
            assert_eq!(au, r, "seed {seed}");
        }
        let s = d.stats();
        // Losses after the last packet received cannot be seen either.
        let last = pkts
            .iter()
            .position(|p| p.0 == kept.last().unwrap().0)
            .unwrap();
        if kept.len() < last + 1 {
            assert!(s.gaps > 0, "seed {seed}");
            assert!(!requests.is_empty(), "seed {seed}");
        } else {
            assert!(requests.is_empty(), "seed {seed}");
        }
    }
}

#[test]
fn a_reorder_window_of_zero_takes_reordering_as_loss() {
    let pkts = capture();
    let mut order: Vec<&Pkt> = pkts.iter().collect();
    order.swap(5, 6);
    let mut d = Depacketizer::with_config(DepacketizerConfig {
        reorder_window: 0,
        ..DepacketizerConfig::default()
    });
    let (aus, requests) = replay(&mut d, order);
    assert_eq!(requests, [KeyframeReason::PacketLoss]);
    assert!(!aus[0].complete);
    assert_eq!(d.stats().late_packets, 1);
}

/// Cuts an Annex B stream into access units (H.264 §7.4.1.2.3, enough for libx264 output): a
/// new one starts at a non-VCL unit (SEI, SPS, PPS, AUD) or at a slice whose first_mb_in_slice
/// is 0, once the current one has a slice.
fn access_units(stream: &[u8]) -> Vec<Vec<&[u8]>> {
    let mut aus: Vec<Vec<&[u8]>> = Vec::new();
    let mut has_slice = false;
    for nal in split_annexb(stream) {
        let t = NalHeader::of(nal).unwrap().nal_type();
        let vcl = t == 1 || t == 5;
        let first_mb_zero = nal.get(1).is_some_and(|b| b & 0x80 != 0);
        let starts = if vcl {
            first_mb_zero
        } else {
            (6..=9).contains(&t)
        };
        if aus.is_empty() || (has_slice && starts) {
            aus.push(Vec::new());
            has_slice = false;
        }
        has_slice |= vcl;
        aus.last_mut().unwrap().push(nal);
    }
    aus
}

#[test]
fn a_fresh_libx264_stream_round_trips_byte_for_byte() {
    let out = match Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin"])
        .args([
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=10",
            "-t",
            "1",
        ])
        .args([
            "-c:v",
            "libx264",
            "-profile:v",
            "baseline",
            "-pix_fmt",
            "yuv420p",
        ])
        .args(["-g", "5", "-bsf:v", "h264_mp4toannexb", "-f", "h264", "-"])
        .output()
    {
        Ok(out) => out,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            if std::env::var("PONT_SKIP_FFMPEG").as_deref() == Ok("1") {
                eprintln!("PONT_SKIP_FFMPEG=1: ffmpeg is not installed, skipping");
                return;
            }
            panic!("this test needs ffmpeg (or PONT_SKIP_FFMPEG=1 to skip it)");
        }
        Err(e) => panic!("cannot run ffmpeg: {e}"),
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let aus = access_units(&out.stdout);
    assert_eq!(aus.len(), 10, "1 s at 10 fps");
    for (mtu, stap) in [(1200, false), (1200, true), (500, true)] {
        let mut p = Packetizer::new(mtu).unwrap().with_stap_a(stap);
        let mut d = Depacketizer::new();
        let mut buf = vec![0; mtu];
        let mut seq = SeqNo(65_530);
        let mut fragments = 0;
        for (i, nals) in aus.iter().enumerate() {
            let ts = 1_000 + 9_000 * i as u32;
            p.push_nals(ts, nals.iter().copied()).unwrap();
            while let Some(pl) = p.poll_payload(&mut buf).unwrap() {
                fragments += usize::from(buf[0] & 0x1F == 28);
                d.push(seq, pl.timestamp, pl.marker, &buf[..pl.len])
                    .unwrap();
                seq = seq.next();
            }
            let au = d.poll_frame().expect("one access unit per marker");
            assert!(au.complete);
            assert_eq!(au.timestamp, ts);
            assert_eq!(au.is_keyframe, i % 5 == 0, "frame {i}");
            assert_eq!(au.nals().collect::<Vec<_>>(), *nals, "frame {i} mtu {mtu}");
        }
        assert!(
            fragments > 0,
            "the IDRs of 320x240 need FU-A at {mtu} bytes"
        );
        assert_eq!(d.poll_keyframe_request(), None);
    }
}
