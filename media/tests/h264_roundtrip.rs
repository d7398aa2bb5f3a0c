//! Packetizer → depacketizer round trips (RFC 6184 mode 1): NAL units of sizes around the
//! payload size, with and without STAP-A, random access units (proptest), and the marker bit.

use media::h264::{Depacketizer, Packetizer};
use media::SeqNo;
use proptest::prelude::*;

/// One payload: bytes, marker, timestamp.
type Pkt = (Vec<u8>, bool, u32);

fn packetize(p: &mut Packetizer, ts: u32, nals: &[Vec<u8>]) -> Vec<Pkt> {
    p.push_nals(ts, nals.iter().map(Vec::as_slice)).unwrap();
    let mut buf = vec![0; p.max_payload()];
    let mut out = Vec::new();
    while let Some(pl) = p.poll_payload(&mut buf).unwrap() {
        assert!(pl.len <= p.max_payload());
        out.push((buf[..pl.len].to_vec(), pl.marker, pl.timestamp));
    }
    out
}

/// Depacketizes `pkts` from sequence number `seq` and returns the NAL units of the one access
/// unit that must come out, complete.
fn depacketize(pkts: &[Pkt], seq: u16) -> Vec<Vec<u8>> {
    let mut d = Depacketizer::new();
    for (i, (payload, marker, ts)) in pkts.iter().enumerate() {
        d.push(SeqNo(seq.wrapping_add(i as u16)), *ts, *marker, payload)
            .unwrap();
    }
    let au = d.poll_frame().expect("one access unit");
    assert!(d.poll_frame().is_none());
    assert!(au.complete);
    assert_eq!(d.stats().gaps, 0);
    assert_eq!(au.timestamp, pkts[0].2);
    au.nals().map(<[u8]>::to_vec).collect()
}

/// A NAL unit of `len` bytes (header `header`) with no start code emulation inside: Annex B
/// could not carry it otherwise (real encoders insert emulation prevention bytes).
fn nal(header: u8, len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed;
    let mut v = vec![header];
    while v.len() < len {
        x = splitmix64(x);
        v.push((x >> 32) as u8 | 0x10); // never 0: no 00 00 01, no trailing zero
    }
    v.truncate(len);
    v
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[test]
fn sizes_around_the_payload_size() {
    const MTU: usize = 1200;
    for (i, len) in [1, 2, MTU - 1, MTU, MTU + 1, MTU + 2, 10 * MTU, 10 * MTU + 7]
        .into_iter()
        .enumerate()
    {
        for stap in [false, true] {
            let mut p = Packetizer::new(MTU).unwrap().with_stap_a(stap);
            let nals = vec![nal(0x65, len, i as u64)];
            let pkts = packetize(&mut p, 90_000, &nals);
            let expected = if len <= MTU {
                1
            } else {
                (len - 1).div_ceil(MTU - 2)
            };
            assert_eq!(pkts.len(), expected, "len {len}");
            if len > MTU {
                assert!(pkts.iter().all(|(b, _, _)| b[0] == 0x7c), "FU-A, NRI 3");
                assert_eq!(pkts[0].0[1] & 0xC0, 0x80, "S on the first");
                assert_eq!(pkts.last().unwrap().0[1] & 0xC0, 0x40, "E on the last");
                assert!(pkts[1..pkts.len() - 1]
                    .iter()
                    .all(|(b, _, _)| b[1] & 0xC0 == 0));
                assert!(
                    pkts[..pkts.len() - 1]
                        .iter()
                        .all(|(b, _, _)| b.len() == MTU),
                    "every fragment but the last is full"
                );
            }
            assert_eq!(depacketize(&pkts, 65530), nals, "len {len} stap {stap}");
        }
    }
}

#[test]
fn stap_a_fills_exactly_the_payload_size() {
    // 1 + (2 + 40) + (2 + 55) = 100: one STAP-A of exactly 100 bytes.
    let nals = vec![nal(0x67, 40, 1), nal(0x68, 55, 2)];
    let mut p = Packetizer::new(100).unwrap().with_stap_a(true);
    let pkts = packetize(&mut p, 0, &nals);
    assert_eq!(pkts.len(), 1);
    assert_eq!(pkts[0].0.len(), 100);
    assert_eq!(pkts[0].0[..3], [0x78, 0, 40]);
    assert_eq!(depacketize(&pkts, 0), nals);
    // One byte more and they go as two single NAL unit packets.
    let nals = vec![nal(0x67, 41, 1), nal(0x68, 55, 2)];
    let pkts = packetize(&mut p, 0, &nals);
    assert_eq!(pkts.len(), 2);
    assert_eq!(pkts[0].0, nals[0]);
    assert_eq!(depacketize(&pkts, 0), nals);
}

#[test]
fn marker_only_on_the_last_packet() {
    let mut p = Packetizer::new(100).unwrap().with_stap_a(true);
    let nals = vec![
        nal(0x67, 10, 1),
        nal(0x68, 4, 2),
        nal(0x65, 450, 3),
        nal(0x65, 30, 4),
    ];
    let pkts = packetize(&mut p, 3000, &nals);
    let markers: Vec<bool> = pkts.iter().map(|p| p.1).collect();
    assert_eq!(markers.iter().filter(|m| **m).count(), 1);
    assert!(*markers.last().unwrap());
    assert_eq!(pkts[0].0[0] & 0x1F, 24, "SPS and PPS share a STAP-A");
    assert_eq!(depacketize(&pkts, 0), nals);
    // Several access units in a row.
    let mut d = Depacketizer::new();
    let mut seq = SeqNo(65000);
    for k in 0..5u32 {
        for (payload, marker, ts) in packetize(&mut p, k * 3000, &nals) {
            d.push(seq, ts, marker, &payload).unwrap();
            seq = seq.next();
        }
        let au = d.poll_frame().expect("each marker ends an access unit");
        assert_eq!(au.timestamp, k * 3000);
        assert!(au.is_keyframe && au.complete);
    }
}

#[test]
fn annexb_input_packetizes_like_the_nal_list() {
    let nals = [nal(0x67, 12, 9), nal(0x68, 5, 8), nal(0x65, 3000, 7)];
    let mut annexb = Vec::new();
    for (i, n) in nals.iter().enumerate() {
        // Mix 3- and 4-byte start codes.
        annexb.extend_from_slice(if i % 2 == 0 {
            &[0, 0, 0, 1][..]
        } else {
            &[0, 0, 1]
        });
        annexb.extend_from_slice(n);
    }
    let mut a = Packetizer::new(1000).unwrap();
    let mut b = Packetizer::new(1000).unwrap();
    a.push_annexb(5, &annexb).unwrap();
    let from_list = packetize(&mut b, 5, &nals);
    let mut buf = vec![0; 1000];
    let mut from_annexb = Vec::new();
    while let Some(pl) = a.poll_payload(&mut buf).unwrap() {
        from_annexb.push((buf[..pl.len].to_vec(), pl.marker, pl.timestamp));
    }
    assert_eq!(from_annexb, from_list);
}

proptest! {
    // A fixed seed: the same 200 cases on every run.
    #![proptest_config(ProptestConfig {
        cases: 200,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x6184),
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_access_units_round_trip(
        mtu in 3usize..1500,
        sizes in proptest::collection::vec(prop_oneof![1usize..40, 1usize..5000], 1..12),
        types in proptest::collection::vec(1u8..=23, 12),
        nri in 0u8..4,
        stap in any::<bool>(),
        seq in any::<u16>(),
        ts in any::<u32>(),
        seed in any::<u64>(),
    ) {
        let nals: Vec<Vec<u8>> = sizes
            .iter()
            .enumerate()
            .map(|(i, len)| nal((nri << 5) | types[i], *len, seed ^ i as u64))
            .collect();
        let mut p = Packetizer::new(mtu).unwrap().with_stap_a(stap);
        let pkts = packetize(&mut p, ts, &nals);
        prop_assert!(pkts.iter().all(|(b, _, _)| b.len() <= mtu));
        prop_assert_eq!(pkts.iter().filter(|p| p.1).count(), 1);
        prop_assert!(pkts.last().unwrap().1);
        prop_assert_eq!(depacketize(&pkts, seq), nals);
    }
}
