//! The H.264 packetizer and depacketizer allocate nothing in steady state: once their buffers
//! have grown (a warm-up of a few access units), hundreds of access units — key frames with
//! FU-A, STAP-A, P frames — packetized, reordered, partly lost and depacketized, with the caller
//! recycling each access unit, allocate nothing. A counting global allocator checks it on this
//! thread.

mod counting_alloc;

use media::h264::{Depacketizer, Packetizer};
use media::SeqNo;

use counting_alloc::allocations;

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

/// The stream being sent and received, with every buffer made up front.
struct Pipe {
    p: Packetizer,
    d: Depacketizer,
    key: [Vec<u8>; 3],
    delta: Vec<u8>,
    buf: Vec<u8>,
    /// One payload held back to be sent after the next (a reordering).
    late: Vec<u8>,
    late_meta: Option<(SeqNo, u32, bool)>,
    seq: SeqNo,
    rng: u64,
    frames: u64,
    complete: u64,
}

impl Pipe {
    fn new() -> Self {
        let mut idr = vec![0x65];
        idr.extend((0..20_000u32).map(|i| (i % 251) as u8 | 1));
        let mut delta = vec![0x41];
        delta.extend((0..900u32).map(|i| (i % 13) as u8 | 0x20));
        Self {
            p: Packetizer::new(1200).unwrap().with_stap_a(true),
            d: Depacketizer::new(),
            key: [vec![0x67, 0x42, 0xc0, 0x1e], vec![0x68, 0xce, 0x3c], idr],
            delta,
            buf: vec![0; 1200],
            late: Vec::with_capacity(1200),
            late_meta: None,
            seq: SeqNo(65_000),
            rng: 0x6184,
            frames: 0,
            complete: 0,
        }
    }

    fn run(&mut self, frames: u32) {
        for _ in 0..frames {
            let ts = (self.frames as u32).wrapping_mul(3000);
            if self.frames.is_multiple_of(30) {
                let [sps, pps, idr] = &self.key;
                self.p
                    .push_nals(ts, [sps.as_slice(), pps.as_slice(), idr.as_slice()])
                    .unwrap();
            } else {
                self.p.push_nals(ts, [self.delta.as_slice()]).unwrap();
            }
            self.frames += 1;
            while let Some(pl) = self.p.poll_payload(&mut self.buf).unwrap() {
                let seq = self.seq;
                self.seq = self.seq.next();
                self.rng = self
                    .rng
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let r = (self.rng >> 33) % 50;
                if r == 0 {
                    continue; // lost
                }
                if r == 1 && self.late_meta.is_none() {
                    self.late.clear();
                    self.late.extend_from_slice(&self.buf[..pl.len]);
                    self.late_meta = Some((seq, pl.timestamp, pl.marker));
                    continue;
                }
                self.d
                    .push(seq, pl.timestamp, pl.marker, &self.buf[..pl.len])
                    .unwrap();
                if let Some((s, t, m)) = self.late_meta.take() {
                    self.d.push(s, t, m, &self.late).unwrap();
                }
            }
            while let Some(au) = self.d.poll_frame() {
                self.complete += u64::from(au.complete);
                self.d.recycle(au);
            }
            while self.d.poll_keyframe_request().is_some() {}
        }
    }
}

#[test]
fn steady_state_allocates_nothing() {
    let mut pipe = Pipe::new();
    pipe.run(90); // warm-up: three key frames, losses and reorders
    let before = allocations();
    pipe.run(600);
    let after = allocations();
    assert_eq!(after - before, 0, "allocations in steady state");
    // The pattern did exercise what it claims.
    let s = pipe.d.stats();
    assert!(s.gaps > 10, "{s:?}");
    assert!(s.fragments > 300, "{s:?}");
    assert!(s.incomplete_aus > 0 && pipe.complete > 500, "{s:?}");
}
