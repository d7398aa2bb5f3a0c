//! The receive jitter buffer: a fixed ring of slots (vacant/occupied) keyed by RTP sequence
//! number (RFC 3550 §5.1, with wrap-around), played out by RTP timestamp one 20 ms frame at a time
//! after a fixed playout delay.
//!
//! It reorders, drops duplicates and late packets, counts packets it had to skip as lost, and
//! resynchronises on an SSRC change, a sequence jump beyond its capacity, or a timestamp jump
//! (silence suppression, a restarted sender). A packet may hold several frames (ptime 30–60 ms)
//! or half of one (ptime 10 ms): playout follows timestamps, not packets. Payload bytes map 1:1 to
//! timestamp units, which holds for G.711; a frame-based codec would need its own variant.
//!
//! The playout delay is fixed (60 ms); [`JitterBuffer::target_delay`] is the seam where an adaptive
//! depth (from the interarrival jitter) plugs in later.

use std::time::{Duration, Instant};

use crate::ids::{SeqNo, Ssrc};

/// Number of slots: 16 packets of 20 ms is 320 ms, far above any delay the bridge targets.
pub const CAPACITY: usize = 16;
/// Largest payload kept: 60 ms of G.711 at 8 kHz.
pub const MAX_PAYLOAD: usize = 480;
/// The fixed playout delay: how long the first packet waits before playout starts.
pub const PLAYOUT_DELAY: Duration = Duration::from_millis(60);
/// A timestamp this far (in samples) from the playout point is a jump, not jitter: resync.
const MAX_TS_JUMP: i32 = (CAPACITY * MAX_PAYLOAD) as i32;

/// A packet this far behind the playout point is a restarted sender, not a late packet
/// (RFC 3550 A.1 `MAX_MISORDER`).
const MAX_MISORDER: i32 = 100;
/// A gap this large after a starved stretch is a restart, not loss (RFC 3550 A.1 `MAX_DROPOUT`).
const MAX_DROPOUT: i32 = 3000;

/// Counters of what happened to the packets offered to the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JitterStats {
    /// Packets stored.
    pub stored: u64,
    /// Packets already in the buffer (same sequence number), dropped.
    pub duplicate: u64,
    /// Packets that arrived after their playout time, dropped.
    pub late: u64,
    /// Sequence numbers skipped at playout because they never arrived in time.
    pub lost: u64,
    /// Frames played as "missing" while playing (the mixer conceals them).
    pub concealed: u64,
    /// Restarts on an SSRC change or a sequence/timestamp jump.
    pub resyncs: u64,
    /// Packets whose payload was empty or larger than [`MAX_PAYLOAD`], dropped.
    pub oversized: u64,
}

/// What [`JitterBuffer::insert`] did with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Insert {
    /// Stored for playout.
    Stored,
    /// Stored after a restart of the buffer.
    Resynced,
    /// Dropped: a copy is already stored.
    Duplicate,
    /// Dropped: its playout time has passed.
    Late,
    /// Dropped: empty or too large.
    Oversized,
}

/// What [`JitterBuffer::pop`] produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pop {
    /// This many bytes of the frame were written (the rest of the frame is silence).
    Frame(usize),
    /// Nothing to play: the caller conceals (repeat-with-fade or silence).
    Missing,
}

/// What an occupied slot holds (its payload bytes stay in [`Slot::data`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Held {
    seq: SeqNo,
    ts: u32,
    /// Payload length; 0 marks a packet without audio (see [`JitterBuffer::skip`]).
    len: usize,
}

/// One slot of the ring: vacant (`held` is `None`) or occupied. The payload array lives in the
/// slot either way, so storing a packet is one copy and nothing moves.
#[derive(Debug, Clone)]
struct Slot {
    held: Option<Held>,
    data: [u8; MAX_PAYLOAD],
}

impl Slot {
    const VACANT: Slot = Slot {
        held: None,
        data: [0; MAX_PAYLOAD],
    };

    /// What the slot holds if it holds `seq`.
    fn holding(&self, seq: SeqNo) -> Option<Held> {
        self.held.filter(|h| h.seq == seq)
    }
}

/// Where the buffer is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No packet yet (or just reset).
    Empty,
    /// Holding packets until the playout delay has passed.
    Priming { until: Instant },
    /// Playing out by timestamp.
    Playing,
    /// Ran dry while playing; the next packet primes again.
    Starved,
}

/// A fixed-capacity jitter buffer for one leg (no allocation after [`JitterBuffer::new`]).
#[derive(Debug, Clone)]
pub struct JitterBuffer {
    slots: Vec<Slot>,
    phase: Phase,
    ssrc: Option<Ssrc>,
    /// Sequence number of the packet to play next.
    next_seq: SeqNo,
    /// Timestamp of the next sample to play.
    play_ts: u32,
    /// Samples per popped frame (160 for 20 ms at 8 kHz).
    frame: usize,
    delay: Duration,
    stats: JitterStats,
}

impl JitterBuffer {
    /// A buffer popping frames of `frame` samples (bytes, for G.711).
    pub fn new(frame: usize) -> Self {
        Self {
            slots: vec![Slot::VACANT; CAPACITY],
            phase: Phase::Empty,
            ssrc: None,
            next_seq: SeqNo(0),
            play_ts: 0,
            frame: frame.clamp(1, MAX_PAYLOAD),
            delay: PLAYOUT_DELAY,
            stats: JitterStats::default(),
        }
    }

    /// The delay playout starts after. Fixed for now: an adaptive depth replaces this.
    pub fn target_delay(&self) -> Duration {
        self.delay
    }

    /// Counters so far.
    pub fn stats(&self) -> JitterStats {
        self.stats
    }

    /// Notes a packet of this stream that carries no audio (a telephone-event, comfort noise, an
    /// unknown payload type): its sequence number is passed over at playout instead of being
    /// counted as lost. It never starts or restarts playout.
    pub fn skip(&mut self, ssrc: Ssrc, seq: SeqNo) {
        let d = seq.delta(self.next_seq);
        let active = matches!(self.phase, Phase::Priming { .. } | Phase::Playing);
        if !active || self.ssrc != Some(ssrc) || !(0..CAPACITY as i32).contains(&d) {
            return;
        }
        if !self.is_stored(seq) {
            self.slots[index(seq)].held = Some(Held { seq, ts: 0, len: 0 });
        }
    }

    /// Offers a received packet.
    pub fn insert(
        &mut self,
        now: Instant,
        ssrc: Ssrc,
        seq: SeqNo,
        ts: u32,
        payload: &[u8],
    ) -> Insert {
        if payload.is_empty() || payload.len() > MAX_PAYLOAD {
            self.stats.oversized += 1;
            return Insert::Oversized;
        }
        if self.ssrc.is_some_and(|s| s != ssrc) {
            return self.resync(now, ssrc, seq, ts, payload);
        }
        let d = seq.delta(self.next_seq);
        match self.phase {
            Phase::Empty => return self.prime(now, ssrc, seq, ts, payload),
            Phase::Starved => {
                if (-MAX_MISORDER..0).contains(&d) {
                    self.stats.late += 1;
                    return Insert::Late;
                }
                if !(0..MAX_DROPOUT).contains(&d) {
                    return self.resync(now, ssrc, seq, ts, payload);
                }
                // The packets between the last one played and this one never came.
                self.stats.lost += d as u64;
                return self.prime(now, ssrc, seq, ts, payload);
            }
            Phase::Priming { .. } => {
                if d < 0 && self.fits_before(seq) {
                    // Reordered before the first packet seen: playout starts from it instead.
                    self.next_seq = seq;
                } else if d < -MAX_MISORDER {
                    return self.resync(now, ssrc, seq, ts, payload);
                } else if d < 0 {
                    self.stats.late += 1;
                    return Insert::Late;
                } else if d >= CAPACITY as i32 {
                    return self.resync(now, ssrc, seq, ts, payload);
                }
            }
            Phase::Playing => {
                let ahead = ts.wrapping_sub(self.play_ts) as i32;
                let seq_jump = d >= CAPACITY as i32 || d < -MAX_MISORDER;
                if !(-MAX_TS_JUMP..=MAX_TS_JUMP).contains(&ahead) || seq_jump {
                    return self.resync(now, ssrc, seq, ts, payload);
                }
                if d < 0 || ahead + payload.len() as i32 <= 0 {
                    self.stats.late += 1;
                    return Insert::Late;
                }
            }
        }
        self.store(seq, ts, payload)
    }

    /// Whether moving the start back to `seq` keeps every stored packet within the ring.
    fn fits_before(&self, seq: SeqNo) -> bool {
        let back = self.next_seq.delta(seq);
        back > 0
            && (0..CAPACITY as u16).all(|k| {
                let s = self.next_seq.forward(k);
                !self.is_stored(s) || s.delta(seq) < CAPACITY as i32
            })
    }

    fn is_stored(&self, seq: SeqNo) -> bool {
        self.slots[index(seq)].holding(seq).is_some()
    }

    fn store(&mut self, seq: SeqNo, ts: u32, payload: &[u8]) -> Insert {
        if self.is_stored(seq) {
            self.stats.duplicate += 1;
            return Insert::Duplicate;
        }
        let slot = &mut self.slots[index(seq)];
        slot.data[..payload.len()].copy_from_slice(payload);
        slot.held = Some(Held {
            seq,
            ts,
            len: payload.len(),
        });
        self.stats.stored += 1;
        Insert::Stored
    }

    fn prime(&mut self, now: Instant, ssrc: Ssrc, seq: SeqNo, ts: u32, payload: &[u8]) -> Insert {
        self.slots.iter_mut().for_each(|s| s.held = None);
        self.ssrc = Some(ssrc);
        self.next_seq = seq;
        self.phase = Phase::Priming {
            until: now + self.target_delay(),
        };
        self.store(seq, ts, payload)
    }

    fn resync(&mut self, now: Instant, ssrc: Ssrc, seq: SeqNo, ts: u32, payload: &[u8]) -> Insert {
        self.stats.resyncs += 1;
        self.prime(now, ssrc, seq, ts, payload);
        Insert::Resynced
    }

    /// Plays one frame into `out` (at least `frame` bytes long; a shorter `out` is filled as far
    /// as it goes).
    pub fn pop(&mut self, now: Instant, out: &mut [u8]) -> Pop {
        match self.phase {
            Phase::Empty | Phase::Starved => return Pop::Missing,
            Phase::Priming { until } if now < until => return Pop::Missing,
            Phase::Priming { .. } => {
                let Some(Held { ts, len: 1.., .. }) =
                    self.slots[index(self.next_seq)].holding(self.next_seq)
                else {
                    // Cannot happen: priming always stores `next_seq`; start over if it did.
                    self.phase = Phase::Empty;
                    return Pop::Missing;
                };
                self.play_ts = ts;
                self.phase = Phase::Playing;
            }
            Phase::Playing => {}
        }
        let want = self.frame.min(out.len());
        let mut filled = 0;
        while filled < want {
            let idx = index(self.next_seq);
            match self.slots[idx].holding(self.next_seq) {
                Some(Held { len: 0, .. }) => {
                    // A no-audio marker (see `skip`): pass over its sequence number.
                    self.slots[idx].held = None;
                    self.next_seq = self.next_seq.next();
                }
                Some(Held { ts, len, .. }) => {
                    let offset = self.play_ts.wrapping_sub(ts) as i32;
                    if offset < 0 {
                        // The next packet starts later (a timestamp gap): play silence up to it.
                        break;
                    }
                    let offset = offset as usize;
                    if offset >= len {
                        // Stored while priming with a timestamp already behind the playout
                        // point (a sender whose timestamps go backwards): it can never play.
                        self.slots[idx].held = None;
                        self.next_seq = self.next_seq.next();
                        self.stats.late += 1;
                        continue;
                    }
                    let n = (len - offset).min(want - filled);
                    out[filled..filled + n]
                        .copy_from_slice(&self.slots[idx].data[offset..offset + n]);
                    filled += n;
                    self.play_ts = self.play_ts.wrapping_add(n as u32);
                    if offset + n >= len {
                        self.slots[idx].held = None;
                        self.next_seq = self.next_seq.next();
                    }
                }
                None => match self.nearest_stored() {
                    Some((k, ts)) if self.play_ts.wrapping_sub(ts) as i32 >= 0 => {
                        // A later packet is due: the ones before it are lost.
                        self.stats.lost += u64::from(k);
                        self.next_seq = self.next_seq.forward(k);
                    }
                    Some(_) => break,
                    None => {
                        if filled == 0 {
                            self.phase = Phase::Starved;
                        }
                        break;
                    }
                },
            }
        }
        // Keep the playout clock on frame boundaries even when the frame was short.
        self.play_ts = self.play_ts.wrapping_add((want - filled) as u32);
        if filled == 0 {
            self.stats.concealed += 1;
            return Pop::Missing;
        }
        Pop::Frame(filled)
    }

    /// Distance to and timestamp of the first stored packet after `next_seq`.
    fn nearest_stored(&self) -> Option<(u16, u32)> {
        (1..CAPACITY as u16).find_map(|k| {
            let s = self.next_seq.forward(k);
            self.slots[index(s)]
                .holding(s)
                .filter(|h| h.len > 0)
                .map(|h| (k, h.ts))
        })
    }
}

/// The slot of a sequence number.
fn index(seq: SeqNo) -> usize {
    usize::from(seq.0) % CAPACITY
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS20: Duration = Duration::from_millis(20);

    fn pkt(seq: u16) -> [u8; 160] {
        [seq as u8; 160]
    }

    #[test]
    fn primes_then_plays_in_order() {
        let t0 = crate::test_t0();
        let mut jb = JitterBuffer::new(160);
        let mut out = [0u8; 160];
        assert_eq!(
            jb.insert(t0, Ssrc(1), SeqNo(10), 1600, &pkt(10)),
            Insert::Stored
        );
        assert_eq!(jb.pop(t0 + MS20, &mut out), Pop::Missing);
        jb.insert(t0 + MS20, Ssrc(1), SeqNo(11), 1760, &pkt(11));
        assert_eq!(jb.pop(t0 + PLAYOUT_DELAY, &mut out), Pop::Frame(160));
        assert_eq!(out[0], 10);
        assert_eq!(jb.pop(t0 + PLAYOUT_DELAY + MS20, &mut out), Pop::Frame(160));
        assert_eq!(out[0], 11);
        assert_eq!(
            jb.pop(t0 + PLAYOUT_DELAY + MS20 * 2, &mut out),
            Pop::Missing
        );
        assert_eq!(jb.stats().concealed, 1);
    }

    #[test]
    fn long_packets_span_frames_and_short_ones_join() {
        let t0 = crate::test_t0();
        let mut jb = JitterBuffer::new(160);
        let mut out = [0u8; 160];
        let mut long = [1u8; 480];
        long[160..320].fill(2);
        long[320..].fill(3);
        jb.insert(t0, Ssrc(1), SeqNo(0), 0, &long);
        jb.insert(t0, Ssrc(1), SeqNo(1), 480, &[4; 80]);
        jb.insert(t0, Ssrc(1), SeqNo(2), 560, &[5; 80]);
        let t = t0 + PLAYOUT_DELAY;
        for want in 1..=3 {
            assert_eq!(jb.pop(t, &mut out), Pop::Frame(160));
            assert_eq!(out[0], want);
        }
        assert_eq!(jb.pop(t, &mut out), Pop::Frame(160));
        assert_eq!((out[0], out[159]), (4, 5));
    }

    #[test]
    fn ssrc_change_and_jumps_resync() {
        let t0 = crate::test_t0();
        let mut jb = JitterBuffer::new(160);
        let mut out = [0u8; 160];
        jb.insert(t0, Ssrc(1), SeqNo(0), 0, &pkt(0));
        jb.pop(t0 + PLAYOUT_DELAY, &mut out);
        assert_eq!(
            jb.insert(t0, Ssrc(2), SeqNo(500), 9, &pkt(1)),
            Insert::Resynced
        );
        assert_eq!(
            jb.insert(t0, Ssrc(2), SeqNo(600), 9, &pkt(1)),
            Insert::Resynced
        );
        jb.pop(t0 + PLAYOUT_DELAY * 2, &mut out);
        // Sequence continues but the timestamp jumps by 10 s of silence suppression.
        assert_eq!(
            jb.insert(t0, Ssrc(2), SeqNo(601), 80_009, &pkt(1)),
            Insert::Resynced
        );
        assert_eq!(jb.stats().resyncs, 3);
        // The sender restarts its sequence numbers 1000 lower with the same SSRC.
        jb.pop(t0 + PLAYOUT_DELAY * 3, &mut out);
        assert_eq!(
            jb.insert(t0, Ssrc(2), SeqNo(65000), 80_169, &pkt(1)),
            Insert::Resynced
        );
    }

    #[test]
    fn wraps_sequence_numbers() {
        let t0 = crate::test_t0();
        let mut jb = JitterBuffer::new(160);
        let mut out = [0u8; 160];
        let mut ts = 0u32;
        for (i, seq) in (65533u16..=65535).chain(0..5).enumerate() {
            let now = t0 + MS20 * i as u32;
            jb.insert(now, Ssrc(1), SeqNo(seq), ts, &pkt(seq));
            ts += 160;
            if i >= 3 {
                assert!(matches!(jb.pop(now, &mut out), Pop::Frame(160)));
            }
        }
        assert_eq!(jb.stats().lost + jb.stats().late, 0);
    }

    #[test]
    fn a_packet_stamped_before_the_playout_point_is_dropped_as_late() {
        // Found by the `rtp` fuzz target: seq 1 carries an older timestamp than seq 0.
        let t0 = crate::test_t0();
        let mut jb = JitterBuffer::new(160);
        let mut out = [0u8; 160];
        jb.insert(t0, Ssrc(1), SeqNo(0), 100_000, &pkt(0));
        jb.insert(t0, Ssrc(1), SeqNo(1), 5, &pkt(1));
        jb.insert(t0, Ssrc(1), SeqNo(2), 100_160, &pkt(2));
        let t = t0 + PLAYOUT_DELAY;
        assert_eq!(jb.pop(t, &mut out), Pop::Frame(160));
        assert_eq!(jb.pop(t, &mut out), Pop::Frame(160));
        assert_eq!(out[0], 2);
        assert_eq!(jb.stats().late, 1);
    }

    #[test]
    fn skipped_sequence_numbers_are_not_lost() {
        let t0 = crate::test_t0();
        let mut jb = JitterBuffer::new(160);
        let mut out = [0u8; 160];
        jb.insert(t0, Ssrc(1), SeqNo(0), 0, &pkt(0));
        jb.skip(Ssrc(1), SeqNo(1));
        jb.skip(Ssrc(1), SeqNo(2));
        jb.insert(t0, Ssrc(1), SeqNo(3), 160, &pkt(3));
        let t = t0 + PLAYOUT_DELAY;
        assert_eq!(jb.pop(t, &mut out), Pop::Frame(160));
        assert_eq!(jb.pop(t, &mut out), Pop::Frame(160));
        assert_eq!(out[0], 3);
        assert_eq!(jb.stats().lost, 0);
    }
}
