//! Fuzz target: the RFC 6184 H.264 depacketizer on arbitrary packets (any payload bytes, with
//! sequence numbers that skip, go back and restart, markers and timestamp steps), then a round
//! trip of every access unit that comes out through the packetizer and a fresh depacketizer.
//!
//! Input: byte 0 picks the limits (reorder window, small caps, payload size of the packetizer);
//! then packets as `ctrl, len, payload[len]`, where `ctrl` moves the sequence number by −2..+5
//! (bits 0–2), sets the marker (bit 3), steps the timestamp (bit 4) or restarts the sequence far
//! away (bit 5).
//!
//! `cargo fuzz run h264` where cargo-fuzz is installed; without it, build by hand as
//! `fuzz_targets/rtp.rs` says, with `--bin h264`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use media::h264::{split_annexb, AccessUnit, Depacketizer, DepacketizerConfig, Packetizer};
use media::SeqNo;

fuzz_target!(|data: &[u8]| {
    let Some((&config, mut rest)) = data.split_first() else {
        return;
    };
    let small = config & 0x08 != 0;
    let limits = DepacketizerConfig {
        reorder_window: u16::from(config & 0x07),
        max_au_bytes: if small { 600 } else { 2 * 1024 * 1024 },
        max_nals: if small { 6 } else { 1024 },
        max_ready: 4,
    };
    let mtu = 3 + usize::from(config >> 4) * 40;
    let mut d = Depacketizer::with_config(limits);
    let mut seq = SeqNo(65_530);
    let mut ts = 0u32;
    let mut pushed = 0u64;
    let mut aus = Vec::new();
    while let [ctrl, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        let payload = &tail[..n];
        rest = &tail[n..];
        seq = SeqNo(seq.0.wrapping_add(u16::from(ctrl & 0x07)).wrapping_sub(2));
        if ctrl & 0x20 != 0 {
            seq = SeqNo(seq.0.wrapping_add(30_000));
        }
        if ctrl & 0x10 != 0 {
            ts = ts.wrapping_add(3000);
        }
        let _ = d.push(seq, ts, ctrl & 0x08 != 0, payload);
        pushed += 1;
        drain(&mut d, &limits, &mut aus);
    }
    d.flush();
    drain(&mut d, &limits, &mut aus);
    assert_eq!(d.stats().packets, pushed);
    assert!(d.poll_keyframe_request().is_none(), "drained");

    for au in &aus {
        round_trip(au, mtu);
    }
});

/// Takes every access unit and request out, checking the limits hold.
fn drain(d: &mut Depacketizer, limits: &DepacketizerConfig, aus: &mut Vec<AccessUnit>) {
    while d.poll_keyframe_request().is_some() {
        assert!(d.needs_keyframe());
    }
    while let Some(au) = d.poll_frame() {
        assert!(au.data.len() <= limits.max_au_bytes);
        assert!(au.nal_count >= 1 && au.nal_count <= limits.max_nals);
        assert!(
            au.data.len() >= 5 * au.nal_count,
            "start code + header per unit"
        );
        assert_eq!(&au.data[..4], &[0, 0, 0, 1]);
        aus.push(au);
    }
}

/// Packetizes an access unit's NAL units (as Annex B splits them) and depacketizes them again.
fn round_trip(au: &AccessUnit, mtu: usize) {
    let nals: Vec<&[u8]> = split_annexb(&au.data).collect();
    let mut p = Packetizer::new(mtu).unwrap().with_stap_a(mtu % 2 == 1);
    if p.push_nals(au.timestamp, nals.iter().copied()).is_err() {
        // A unit the sender could not have sent as itself (type 0 or 24–31 after an emulated
        // start code inside a NAL unit): nothing to compare.
        return;
    }
    let mut d = Depacketizer::with_config(DepacketizerConfig {
        reorder_window: 0,
        ..DepacketizerConfig::default()
    });
    let mut buf = vec![0; mtu];
    let mut seq = SeqNo(1);
    while let Some(pl) = p.poll_payload(&mut buf).unwrap() {
        assert!(pl.len <= mtu);
        d.push(seq, pl.timestamp, pl.marker, &buf[..pl.len])
            .expect("our own payloads are valid");
        seq = seq.next();
    }
    let back = d.poll_frame().expect("the marker ends the access unit");
    assert!(d.poll_frame().is_none());
    assert!(back.complete);
    assert_eq!(back.timestamp, au.timestamp);
    assert_eq!(back.nal_count, nals.len());
    assert!(back.nals().eq(nals.iter().copied()));
}
