//! RFC 6184 depacketizer behaviour: every packet type, FU-A and STAP-A edges, loss, reorder,
//! sequence wrap, key-frame requests and the memory caps. Payloads are written out byte by byte.

use media::h264::{AccessUnit, DepacketizeError, Depacketizer, DepacketizerConfig, KeyframeReason};
use media::SeqNo;

const SPS: &[u8] = &[0x67, 0x42, 0xc0, 0x1e, 0xd9];
const PPS: &[u8] = &[0x68, 0xce, 0x3c, 0x80];
const IDR: &[u8] = &[0x65, 0x88, 0x84, 0x00, 0x33, 0xff];
const P1: &[u8] = &[0x41, 0x9a, 0x02, 0x03];

/// Feeds packets with consecutive sequence numbers from `first`.
struct Feed {
    d: Depacketizer,
    seq: u16,
}

impl Feed {
    fn new(first: u16) -> Self {
        Self::with(first, DepacketizerConfig::default())
    }

    fn with(first: u16, config: DepacketizerConfig) -> Self {
        Self {
            d: Depacketizer::with_config(config),
            seq: first,
        }
    }

    fn push(&mut self, ts: u32, marker: bool, payload: &[u8]) -> Result<(), DepacketizeError> {
        let seq = SeqNo(self.seq);
        self.seq = self.seq.wrapping_add(1);
        self.d.push(seq, ts, marker, payload)
    }

    /// Skips `n` sequence numbers (lost packets).
    fn lose(&mut self, n: u16) {
        self.seq = self.seq.wrapping_add(n);
    }

    fn frames(&mut self) -> Vec<AccessUnit> {
        std::iter::from_fn(|| self.d.poll_frame()).collect()
    }

    /// Sends a key frame: SPS, PPS, IDR as single NAL packets.
    fn keyframe(&mut self, ts: u32) {
        self.push(ts, false, SPS).unwrap();
        self.push(ts, false, PPS).unwrap();
        self.push(ts, true, IDR).unwrap();
    }
}

fn annexb(nals: &[&[u8]]) -> Vec<u8> {
    let mut v = Vec::new();
    for n in nals {
        v.extend_from_slice(&[0, 0, 0, 1]);
        v.extend_from_slice(n);
    }
    v
}

fn stap_a(nals: &[&[u8]]) -> Vec<u8> {
    let mut v = vec![0x78];
    for n in nals {
        v.extend_from_slice(&(n.len() as u16).to_be_bytes());
        v.extend_from_slice(n);
    }
    v
}

/// FU-A fragment of `nal` carrying `body` (bytes after the NAL header).
fn fu(nal_header: u8, start: bool, end: bool, body: &[u8]) -> Vec<u8> {
    let mut v = vec![
        (nal_header & 0xE0) | 28,
        (u8::from(start) << 7) | (u8::from(end) << 6) | (nal_header & 0x1F),
    ];
    v.extend_from_slice(body);
    v
}

#[test]
fn single_nal_packets_make_a_keyframe() {
    let mut f = Feed::new(100);
    assert!(f.d.needs_keyframe(), "nothing to decode from yet");
    f.keyframe(9000);
    let au = f.frames();
    assert_eq!(au.len(), 1);
    assert_eq!(au[0].timestamp, 9000);
    assert_eq!(au[0].data, annexb(&[SPS, PPS, IDR]));
    assert_eq!(au[0].nal_count, 3);
    assert!(au[0].is_keyframe && au[0].complete);
    assert_eq!(au[0].nals().collect::<Vec<_>>(), vec![SPS, PPS, IDR]);
    assert!(!f.d.needs_keyframe());
    assert_eq!(f.d.poll_keyframe_request(), None, "started on a key frame");
    f.push(12000, true, P1).unwrap();
    let au = f.frames();
    assert!(!au[0].is_keyframe && au[0].complete);
    let s = f.d.stats();
    assert_eq!((s.packets, s.nals, s.access_units, s.gaps), (4, 4, 2, 0));
}

#[test]
fn joining_mid_stream_asks_once_until_an_idr() {
    let mut f = Feed::new(7);
    f.push(0, true, P1).unwrap();
    assert_eq!(f.frames().len(), 1, "non-key frames still come out");
    assert_eq!(
        f.d.poll_keyframe_request(),
        Some(KeyframeReason::NoKeyframeYet)
    );
    f.push(3000, true, P1).unwrap();
    assert_eq!(
        f.d.poll_keyframe_request(),
        None,
        "asked once, not per frame"
    );
    assert!(f.d.needs_keyframe());
    // An IDR without SPS/PPS ever seen cannot start decoding.
    f.push(6000, true, IDR).unwrap();
    assert!(!f.frames().last().unwrap().is_keyframe);
    assert!(f.d.needs_keyframe());
    f.keyframe(9000);
    assert!(f.frames()[0].is_keyframe);
    assert!(!f.d.needs_keyframe());
    // SPS/PPS stay known: a later lone IDR is a key frame.
    f.push(12000, true, IDR).unwrap();
    assert!(f.frames()[0].is_keyframe);
}

#[test]
fn stap_a_carries_sps_and_pps() {
    let mut f = Feed::new(0);
    f.push(90, false, &stap_a(&[SPS, PPS])).unwrap();
    f.push(90, true, IDR).unwrap();
    let au = f.frames();
    assert_eq!(au[0].data, annexb(&[SPS, PPS, IDR]));
    assert!(au[0].is_keyframe && au[0].complete);
    // One unit alone in a STAP-A is allowed.
    f.push(180, true, &stap_a(&[P1])).unwrap();
    assert_eq!(f.frames()[0].data, annexb(&[P1]));
}

#[test]
fn bad_stap_a_is_refused_and_damages_the_frame() {
    let cases: [(Vec<u8>, DepacketizeError); 7] = [
        (vec![0x78], DepacketizeError::StapEmpty),
        (vec![0x78, 0, 0, 0x67], DepacketizeError::StapZeroSize),
        (vec![0x78, 0, 5, 0x67, 1], DepacketizeError::StapOverrun),
        (vec![0x78, 0, 1, 0x67, 0], DepacketizeError::StapOverrun),
        (
            vec![0x78, 0, 2, 0x67, 1, 0, 0],
            DepacketizeError::StapZeroSize,
        ),
        (
            vec![0x78, 0, 2, 0x7c, 1],
            DepacketizeError::BadInnerType(28),
        ),
        (vec![0x78, 0, 2, 0xc1, 1], DepacketizeError::ForbiddenBit),
    ];
    for (payload, err) in cases {
        let mut f = Feed::new(0);
        f.keyframe(0);
        f.frames();
        f.push(3000, false, P1).unwrap();
        assert_eq!(f.push(3000, true, &payload), Err(err), "{payload:?}");
        let au = f.frames();
        assert_eq!(au.len(), 1);
        assert!(!au[0].complete, "{payload:?}");
        assert_eq!(au[0].data, annexb(&[P1]), "nothing of a bad STAP-A is used");
        assert_eq!(
            f.d.poll_keyframe_request(),
            Some(KeyframeReason::RefusedPacket)
        );
        assert_eq!(f.d.stats().refused_packets, 1);
    }
}

#[test]
fn fu_a_reassembles_and_keeps_nri() {
    let mut f = Feed::new(500);
    f.push(0, false, SPS).unwrap();
    f.push(0, false, PPS).unwrap();
    f.push(0, false, &fu(0x65, true, false, &IDR[1..3]))
        .unwrap();
    f.push(0, false, &fu(0x65, false, false, &IDR[3..4]))
        .unwrap();
    f.push(0, true, &fu(0x65, false, true, &IDR[4..])).unwrap();
    let au = f.frames();
    assert_eq!(au[0].data, annexb(&[SPS, PPS, IDR]));
    assert!(au[0].is_keyframe && au[0].complete);
    assert_eq!(f.d.stats().fragments, 3);
}

#[test]
fn fu_a_start_and_end_in_one_packet() {
    let mut f = Feed::new(0);
    f.push(0, true, &fu(0x41, true, true, &P1[1..])).unwrap();
    let au = f.frames();
    assert_eq!(au[0].data, annexb(&[P1]));
    assert!(au[0].complete);
}

#[test]
fn fu_a_missing_start_drops_the_nal() {
    let mut f = Feed::new(0);
    f.keyframe(0);
    f.frames();
    // A reordered-in-time start never arrives (the sequence has no gap: the sender skipped it).
    f.push(3000, false, P1).unwrap();
    f.push(3000, false, &fu(0x41, false, false, &[1, 2]))
        .unwrap();
    f.push(3000, true, &fu(0x41, false, true, &[3])).unwrap();
    let au = f.frames();
    assert_eq!(au[0].data, annexb(&[P1]));
    assert!(!au[0].complete);
    assert_eq!(
        f.d.poll_keyframe_request(),
        Some(KeyframeReason::BrokenFragment)
    );
    let s = f.d.stats();
    assert_eq!((s.broken_fu, s.dropped_fragments), (1, 2));
}

#[test]
fn fu_a_missing_middle_is_a_loss() {
    let mut f = Feed::new(0);
    f.keyframe(0);
    f.frames();
    f.push(3000, false, &fu(0x41, true, false, &[1, 2]))
        .unwrap();
    f.lose(1);
    f.push(3000, false, &fu(0x41, false, false, &[5])).unwrap();
    f.push(3000, false, &fu(0x41, false, true, &[6])).unwrap();
    f.push(3000, true, P1).unwrap();
    f.d.flush(); // the window waits for the missing packet until told to give up
    let au = f.frames();
    assert_eq!(au.len(), 1);
    assert_eq!(au[0].data, annexb(&[P1]), "the broken unit is cut off");
    assert!(!au[0].complete);
    assert_eq!(
        f.d.poll_keyframe_request(),
        Some(KeyframeReason::PacketLoss)
    );
    let s = f.d.stats();
    assert_eq!((s.gaps, s.lost_packets, s.broken_fu), (1, 1, 1));
}

#[test]
fn fu_a_missing_end_then_other_packets() {
    // Cut by a single NAL packet.
    let mut f = Feed::new(0);
    f.keyframe(0);
    f.frames();
    f.push(3000, false, &fu(0x41, true, false, &[1, 2]))
        .unwrap();
    f.push(3000, true, P1).unwrap();
    let au = f.frames();
    assert_eq!(au[0].data, annexb(&[P1]));
    assert!(!au[0].complete);
    assert_eq!(
        f.d.poll_keyframe_request(),
        Some(KeyframeReason::BrokenFragment)
    );

    // Cut by the marker bit on the last fragment without E.
    f.push(6000, true, &fu(0x41, true, false, &[1, 2])).unwrap();
    let au = f.frames();
    assert!(au.is_empty(), "nothing usable: no access unit");
    assert_eq!(f.d.stats().dropped_aus, 1);

    // Cut by a new start: the second unit survives.
    f.push(9000, false, &fu(0x41, true, false, &[1, 2]))
        .unwrap();
    f.push(9000, false, &fu(0x41, true, false, &P1[1..3]))
        .unwrap();
    f.push(9000, true, &fu(0x41, false, true, &P1[3..]))
        .unwrap();
    let au = f.frames();
    assert_eq!(au[0].data, annexb(&[P1]));
    assert!(!au[0].complete);

    // Cut by a new timestamp.
    f.push(12000, false, &fu(0x41, true, false, &[1, 2]))
        .unwrap();
    f.push(15000, true, P1).unwrap();
    let au = f.frames();
    assert_eq!(au.len(), 1, "the first access unit had nothing left");
    assert_eq!((au[0].timestamp, au[0].complete), (15000, true));
    assert_eq!(f.d.stats().broken_fu, 4);
}

#[test]
fn fu_a_fragments_of_another_type_break_it() {
    let mut f = Feed::new(0);
    f.push(0, false, &fu(0x65, true, false, &[1, 2])).unwrap();
    f.push(0, true, &fu(0x41, false, true, &[3])).unwrap();
    assert!(f.frames().is_empty());
    assert_eq!(
        f.d.poll_keyframe_request(),
        Some(KeyframeReason::BrokenFragment)
    );
}

#[test]
fn malformed_fu_a_is_refused() {
    let mut f = Feed::new(0);
    assert_eq!(
        f.push(0, false, &[0x7c, 0x85]),
        Err(DepacketizeError::FuTooShort(2))
    );
    assert_eq!(
        f.push(0, false, &[0x7c, 0x9c, 1]),
        Err(DepacketizeError::BadInnerType(28))
    );
    assert_eq!(
        f.push(0, false, &[0x7c, 0x80, 1]),
        Err(DepacketizeError::BadInnerType(0))
    );
}

#[test]
fn mode_2_types_and_forbidden_bit_are_refused_reserved_ignored() {
    let mut f = Feed::new(0);
    for t in [25u8, 26, 27, 29] {
        assert_eq!(
            f.push(0, false, &[0x60 | t, 1, 2, 3]),
            Err(DepacketizeError::Unsupported(t))
        );
    }
    assert_eq!(
        f.push(0, false, &[0xe5, 1]),
        Err(DepacketizeError::ForbiddenBit)
    );
    assert_eq!(f.push(0, false, &[]), Err(DepacketizeError::Empty));
    assert_eq!(f.d.stats().refused_packets, 6);

    let mut f = Feed::new(0);
    f.keyframe(0);
    f.frames();
    for t in [0u8, 30, 31] {
        f.push(3000, false, &[t, 9, 9]).unwrap();
    }
    f.push(3000, true, P1).unwrap();
    let au = f.frames();
    assert_eq!(au[0].data, annexb(&[P1]));
    assert!(au[0].complete, "ignored packets lose nothing");
    assert_eq!(f.d.stats().ignored_packets, 3);
    assert_eq!(f.d.poll_keyframe_request(), None);
}

#[test]
fn sequence_wraps_without_a_gap() {
    let mut f = Feed::new(65534);
    f.keyframe(0); // 65534, 65535, 0
    f.push(3000, true, P1).unwrap(); // 1
    assert_eq!(f.frames().len(), 2);
    assert_eq!(f.d.stats().gaps, 0);
    assert_eq!(f.d.poll_keyframe_request(), None);
}

#[test]
fn loss_asks_for_a_keyframe_until_an_idr_comes() {
    let mut f = Feed::with(
        10,
        DepacketizerConfig {
            reorder_window: 0,
            ..DepacketizerConfig::default()
        },
    );
    f.keyframe(0);
    f.push(3000, true, P1).unwrap();
    f.lose(2); // the whole of the frame at 6000
    f.push(9000, true, P1).unwrap();
    assert!(f.d.needs_keyframe());
    assert_eq!(
        f.d.poll_keyframe_request(),
        Some(KeyframeReason::PacketLoss)
    );
    assert_eq!(f.d.poll_keyframe_request(), None, "polled once");
    let au = f.frames();
    assert_eq!(au.len(), 3);
    assert!(
        au[1].complete,
        "the frame before the gap ended with its marker"
    );
    assert!(!au[2].complete, "the frame after may have lost its head");
    f.push(12000, true, P1).unwrap();
    assert!(f.d.needs_keyframe(), "a P frame does not repair");
    // A damaged IDR does not repair either.
    f.push(15000, false, SPS).unwrap();
    f.lose(1);
    f.push(15000, true, IDR).unwrap();
    assert!(f.d.needs_keyframe());
    assert_eq!(
        f.d.poll_keyframe_request(),
        Some(KeyframeReason::PacketLoss)
    );
    f.keyframe(18000);
    assert!(!f.d.needs_keyframe());
    assert_eq!(f.d.poll_keyframe_request(), None);
    let s = f.d.stats();
    assert_eq!((s.gaps, s.lost_packets), (2, 3));
}

#[test]
fn a_gap_inside_a_frame_damages_only_it() {
    let mut f = Feed::with(
        0,
        DepacketizerConfig {
            reorder_window: 0,
            ..DepacketizerConfig::default()
        },
    );
    f.keyframe(0);
    f.push(3000, false, P1).unwrap();
    f.lose(1);
    f.push(3000, true, P1).unwrap();
    f.push(6000, true, P1).unwrap();
    let au = f.frames();
    assert_eq!(au.len(), 3);
    assert!(!au[1].complete);
    assert!(au[2].complete);
}

#[test]
fn reordered_packets_within_the_window_lose_nothing() {
    let mut d = Depacketizer::new();
    let pkts: [(u16, u32, bool, &[u8]); 5] = [
        (10, 0, false, SPS),
        (11, 0, false, PPS),
        (12, 0, true, IDR),
        (13, 3000, false, P1),
        (14, 3000, true, P1),
    ];
    for i in [0usize, 2, 1, 4, 3] {
        let (s, ts, m, p) = pkts[i];
        d.push(SeqNo(s), ts, m, p).unwrap();
    }
    let au: Vec<_> = std::iter::from_fn(|| d.poll_frame()).collect();
    assert_eq!(au.len(), 2);
    assert_eq!(au[0].data, annexb(&[SPS, PPS, IDR]));
    assert_eq!(au[1].data, annexb(&[P1, P1]));
    assert!(au.iter().all(|a| a.complete));
    assert_eq!(d.stats().gaps, 0);
    assert_eq!(d.poll_keyframe_request(), None);
    // A duplicate, and a packet far too late, are dropped.
    d.push(SeqNo(16), 6000, true, P1).unwrap();
    d.push(SeqNo(16), 6000, true, P1).unwrap();
    d.push(SeqNo(13), 3000, false, P1).unwrap();
    let s = d.stats();
    assert_eq!((s.duplicate_packets, s.late_packets), (1, 1));
}

#[test]
fn reorder_deeper_than_the_window_is_a_loss() {
    let mut d = Depacketizer::with_config(DepacketizerConfig {
        reorder_window: 2,
        ..DepacketizerConfig::default()
    });
    d.push(SeqNo(0), 0, false, SPS).unwrap();
    d.push(SeqNo(1), 0, false, PPS).unwrap();
    // 2 is late by three places: 3 and 4 wait, 5 forces the window on.
    d.push(SeqNo(3), 0, false, P1).unwrap();
    d.push(SeqNo(4), 0, false, P1).unwrap();
    assert_eq!(d.stats().gaps, 0, "still waiting");
    d.push(SeqNo(5), 0, true, P1).unwrap();
    d.push(SeqNo(2), 0, false, IDR).unwrap();
    let s = d.stats();
    assert_eq!((s.gaps, s.lost_packets, s.late_packets), (1, 1, 1));
    let au = d.poll_frame().unwrap();
    assert!(!au.complete && !au.is_keyframe);
    assert_eq!(au.data, annexb(&[SPS, PPS, P1, P1, P1]));
}

#[test]
fn a_new_timestamp_ends_a_frame_without_marker() {
    let mut f = Feed::new(0);
    f.push(0, false, P1).unwrap();
    assert!(f.frames().is_empty());
    f.push(3000, false, P1).unwrap();
    let au = f.frames();
    assert_eq!((au.len(), au[0].timestamp, au[0].complete), (1, 0, true));
    f.d.flush();
    assert_eq!(f.frames()[0].timestamp, 3000);
}

#[test]
fn the_caps_drop_units_and_ask_for_a_keyframe() {
    let mut f = Feed::with(
        0,
        DepacketizerConfig {
            max_au_bytes: 30,
            max_nals: 3,
            ..DepacketizerConfig::default()
        },
    );
    f.push(0, false, &[0x41; 20]).unwrap(); // 24 bytes with its start code
    f.push(0, true, &[0x41; 10]).unwrap(); // would make 38
    let au = f.frames();
    assert_eq!((au[0].nal_count, au[0].complete), (1, false));
    assert_eq!(f.d.poll_keyframe_request(), Some(KeyframeReason::TooLarge));
    // A FU-A growing past the cap is cut off.
    f.push(3000, false, &fu(0x41, true, false, &[1; 10]))
        .unwrap();
    f.push(3000, true, &fu(0x41, false, true, &[1; 20]))
        .unwrap();
    assert!(f.frames().is_empty());
    // The NAL count cap.
    for _ in 0..4 {
        f.push(6000, false, P1).unwrap();
    }
    f.push(6000, true, P1).unwrap();
    let au = f.frames();
    assert_eq!((au[0].nal_count, au[0].complete), (3, false));
    assert_eq!(f.d.stats().dropped_nals, 4);
}

#[test]
fn the_ready_queue_is_bounded_and_buffers_are_reused() {
    let mut f = Feed::with(
        0,
        DepacketizerConfig {
            max_ready: 2,
            ..DepacketizerConfig::default()
        },
    );
    for i in 0..5 {
        f.push(i * 3000, true, P1).unwrap();
    }
    let au = f.frames();
    assert_eq!(
        au.iter().map(|a| a.timestamp).collect::<Vec<_>>(),
        vec![9000, 12000]
    );
    assert_eq!(f.d.stats().dropped_aus, 3);

    let mut au = au.into_iter();
    let first = au.next().unwrap();
    let ptr = first.data.as_ptr();
    f.d.recycle(first);
    f.push(15000, true, P1).unwrap();
    let next = f.d.poll_frame().unwrap();
    assert_eq!(next.data.as_ptr(), ptr, "the recycled buffer is used again");
}
