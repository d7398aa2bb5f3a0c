//! A small reorder window in front of the H.264 assembler: it lets packets that arrive a few
//! places early wait for the ones before them, so a swap of two packets on the network is not
//! mistaken for a loss. It only holds packets that arrive out of order; in-order packets go
//! straight through, without a copy.

use crate::ids::SeqNo;

/// How far behind the expected sequence number a packet may be and still count as late (a
/// duplicate or a packet we already gave up on); further back, the sender has restarted its
/// sequence (RFC 3550 A.1 uses the same MAX_MISORDER).
const MAX_MISORDER: i32 = 100;

/// First capacity of a slot's payload buffer: an Ethernet MTU, so a held packet never
/// allocates unless the sender's packets are larger.
const SLOT_CAPACITY: usize = 1500;

/// What the assembler is to do with the payload of one packet, decided when it arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A well-formed single NAL, STAP-A or FU-A payload.
    Media,
    /// A payload we refused: its content is lost.
    Refused,
    /// A payload to ignore (reserved NAL unit types 0, 30, 31): nothing lost.
    Ignored,
}

/// One held packet.
#[derive(Debug)]
pub(super) struct Slot {
    pub(super) seq: SeqNo,
    pub(super) timestamp: u32,
    pub(super) marker: bool,
    pub(super) kind: Kind,
    /// The payload; keeps its capacity between uses.
    pub(super) payload: Vec<u8>,
    full: bool,
}

/// Where a new sequence number falls relative to the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    /// The expected packet (or the first one): process it now; `lost` packets were given up
    /// just before it (non-zero only after a restart or when nothing could be held).
    Next {
        /// Packets missing right before this one.
        lost: u32,
    },
    /// Early but within the window: hold it.
    Hold,
    /// Beyond the window: the earliest held packet (or this one) must go first.
    TooFar,
    /// Behind the expected one, or already held: drop it.
    Late,
    /// A held copy of this sequence number exists: drop it.
    Duplicate,
}

/// The reorder window: `slots[seq % slots.len()]` holds early packets. The slot count is a
/// power of two (so the residues stay in step across the 16-bit wrap) of at least `size`.
#[derive(Debug)]
pub(super) struct ReorderWindow {
    slots: Vec<Slot>,
    size: usize,
    next: Option<SeqNo>,
    held: usize,
}

impl ReorderWindow {
    /// A window holding up to `size` early packets (0: none, every gap is a loss at once).
    pub(super) fn new(size: u16) -> Self {
        let count = if size == 0 {
            0
        } else {
            size.next_power_of_two()
        };
        let slots = (0..count)
            .map(|_| Slot {
                seq: SeqNo(0),
                timestamp: 0,
                marker: false,
                kind: Kind::Ignored,
                payload: Vec::with_capacity(SLOT_CAPACITY),
                full: false,
            })
            .collect();
        Self {
            slots,
            size: usize::from(size),
            next: None,
            held: 0,
        }
    }

    /// Packets waiting for an earlier one.
    pub(super) fn held(&self) -> usize {
        self.held
    }

    /// Where `seq` falls. `Next { lost }` after a restart gives the restart as one lost packet so
    /// the assembler marks the damage.
    pub(super) fn place(&self, seq: SeqNo) -> Place {
        let Some(next) = self.next else {
            return Place::Next { lost: 0 };
        };
        let d = seq.delta(next);
        if d == 0 {
            return Place::Next { lost: 0 };
        }
        if d < 0 {
            if d >= -MAX_MISORDER {
                return Place::Late;
            }
            // A restart: the caller flushes what is held, then takes this one as next.
            return if self.held > 0 {
                Place::TooFar
            } else {
                Place::Next { lost: 1 }
            };
        }
        let d = d as usize;
        if d > self.size {
            if self.held == 0 {
                return Place::Next { lost: d as u32 };
            }
            return Place::TooFar;
        }
        let slot = &self.slots[usize::from(seq.0) % self.slots.len()];
        if slot.full && slot.seq == seq {
            Place::Duplicate
        } else {
            Place::Hold
        }
    }

    /// Records that `seq` was processed: the next expected is the one after it.
    pub(super) fn advance(&mut self, seq: SeqNo) {
        self.next = Some(seq.next());
    }

    /// Holds an early packet (after [`Place::Hold`]).
    pub(super) fn hold(
        &mut self,
        seq: SeqNo,
        timestamp: u32,
        marker: bool,
        kind: Kind,
        payload: &[u8],
    ) {
        let n = self.slots.len();
        let slot = &mut self.slots[usize::from(seq.0) % n];
        debug_assert!(!slot.full, "two held packets in one slot");
        slot.seq = seq;
        slot.timestamp = timestamp;
        slot.marker = marker;
        slot.kind = kind;
        slot.payload.clear();
        if kind == Kind::Media {
            slot.payload.extend_from_slice(payload);
        }
        slot.full = true;
        self.held += 1;
    }

    /// The held packet that is next in sequence, if any, without a gap before it.
    pub(super) fn take_in_order(&mut self) -> Option<&mut Slot> {
        let next = self.next?;
        if self.held == 0 {
            return None;
        }
        let n = self.slots.len();
        let i = usize::from(next.0) % n;
        if self.slots[i].full && self.slots[i].seq == next {
            return Some(self.release(i));
        }
        None
    }

    /// The earliest held packet and how many packets are missing before it (a loss the window
    /// gives up waiting for).
    pub(super) fn take_earliest(&mut self) -> Option<(u32, &mut Slot)> {
        let next = self.next?;
        let Some((i, d)) = self
            .slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.full)
            .map(|(i, s)| (i, s.seq.delta(next)))
            .min_by_key(|(_, d)| *d)
        else {
            // Cannot happen (`held` counts the full slots); if it did, do not let a caller
            // loop waiting for a packet that is not there.
            self.held = 0;
            return None;
        };
        let lost = u32::try_from(d).unwrap_or(0);
        Some((lost, self.release(i)))
    }

    fn release(&mut self, i: usize) -> &mut Slot {
        self.held -= 1;
        let slot = &mut self.slots[i];
        slot.full = false;
        self.next = Some(slot.seq.next());
        slot
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_goes_straight_through() {
        let mut w = ReorderWindow::new(4);
        assert_eq!(w.place(SeqNo(10)), Place::Next { lost: 0 });
        w.advance(SeqNo(10));
        assert_eq!(w.place(SeqNo(11)), Place::Next { lost: 0 });
        assert_eq!(w.place(SeqNo(10)), Place::Late);
        assert_eq!(w.held(), 0);
    }

    #[test]
    fn early_packets_wait_and_come_out_in_order() {
        let mut w = ReorderWindow::new(4);
        w.advance(SeqNo(65534)); // next is 65535
        assert_eq!(w.place(SeqNo(1)), Place::Hold);
        w.hold(SeqNo(1), 0, false, Kind::Media, &[1]);
        assert_eq!(w.place(SeqNo(1)), Place::Duplicate);
        assert_eq!(w.place(SeqNo(0)), Place::Hold);
        w.hold(SeqNo(0), 0, false, Kind::Media, &[0]);
        assert!(w.take_in_order().is_none(), "65535 is still missing");
        assert_eq!(w.place(SeqNo(65535)), Place::Next { lost: 0 });
        w.advance(SeqNo(65535));
        assert_eq!(w.take_in_order().map(|s| s.payload[0]), Some(0));
        assert_eq!(w.take_in_order().map(|s| s.payload[0]), Some(1));
        assert!(w.take_in_order().is_none());
        assert_eq!(w.held(), 0);
    }

    #[test]
    fn too_far_gives_up_on_the_hole() {
        let mut w = ReorderWindow::new(2);
        w.advance(SeqNo(9)); // next is 10
        w.hold(SeqNo(12), 0, false, Kind::Media, &[12]);
        assert_eq!(w.place(SeqNo(13)), Place::TooFar);
        let (lost, slot) = w.take_earliest().unwrap();
        assert_eq!((lost, slot.seq), (2, SeqNo(12)));
        assert_eq!(w.place(SeqNo(13)), Place::Next { lost: 0 });
        // Nothing held and far ahead: a loss at once.
        assert_eq!(w.place(SeqNo(20)), Place::Next { lost: 7 });
        // Far behind: the sender restarted.
        assert_eq!(
            w.place(SeqNo(13u16.wrapping_sub(500))),
            Place::Next { lost: 1 }
        );
    }

    #[test]
    fn a_window_of_three_across_the_wrap() {
        // 65535 and 0 are both early: with 3 slots indexed by seq % 3 they would share one
        // (65536 is not a multiple of 3); the slot count is a power of two.
        let mut w = ReorderWindow::new(3);
        w.advance(SeqNo(65533)); // next is 65534
        assert_eq!(w.place(SeqNo(0)), Place::Hold);
        w.hold(SeqNo(0), 0, false, Kind::Media, &[0]);
        assert_eq!(w.place(SeqNo(65535)), Place::Hold);
        w.hold(SeqNo(65535), 0, false, Kind::Media, &[255]);
        assert_eq!(w.place(SeqNo(1)), Place::Hold);
        assert_eq!(w.place(SeqNo(2)), Place::TooFar, "the window is 3, not 4");
        let (lost, slot) = w.take_earliest().unwrap();
        assert_eq!((lost, slot.payload[0]), (1, 255));
        assert_eq!(w.take_in_order().map(|s| s.payload[0]), Some(0));
    }

    #[test]
    fn a_zero_window_holds_nothing() {
        let mut w = ReorderWindow::new(0);
        w.advance(SeqNo(1));
        assert_eq!(w.place(SeqNo(4)), Place::Next { lost: 2 });
        assert!(w.take_earliest().is_none());
        assert!(w.take_in_order().is_none());
    }
}
