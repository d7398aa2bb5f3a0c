//! Reception statistics of one incoming RTP source: extended highest sequence number and
//! probation (RFC 3550 A.1), packets expected and lost, fraction lost (A.3) and interarrival
//! jitter (A.8), turned into the report block the bridge sends back in its SRs.

use std::time::{Duration, Instant};

use crate::ids::{SeqNo, Ssrc};
use crate::rtcp::ReportBlock;

/// A jump of more than this many sequence numbers restarts the count (A.1 `MAX_DROPOUT`).
const MAX_DROPOUT: i32 = 3000;
/// A step back of more than this many is treated as a restart too (A.1 `MAX_MISORDER`).
const MAX_MISORDER: i32 = 100;

/// What the bridge knows about the packets it received from one leg.
#[derive(Debug, Clone, Default)]
pub struct ReceptionStats {
    /// The source being counted (a change restarts the statistics).
    ssrc: Option<Ssrc>,
    /// Highest sequence number seen, extended with a wrap count in the high 16 bits.
    ext_max: u32,
    /// Extended sequence number of the first packet.
    ext_base: u32,
    /// Packets received (including duplicates, as A.3 counts them).
    received: u32,
    /// `expected` at the previous report, for the fraction lost.
    expected_prior: u32,
    /// `received` at the previous report.
    received_prior: u32,
    /// Interarrival jitter ×16 (A.8 keeps four fractional bits).
    jitter_q4: u32,
    /// Transit time (arrival − timestamp) of the previous packet, in timestamp units.
    last_transit: Option<u32>,
    /// Middle 32 bits of the last SR's NTP time from this source and when it arrived.
    last_sr: Option<(u32, Instant)>,
}

impl ReceptionStats {
    /// Counts one packet: `arrival` is the arrival time in the stream's timestamp units
    /// (any fixed origin), `timestamp` the packet's RTP timestamp. Telephone-event packets keep
    /// the event's start timestamp for their whole duration, so pass `audio = false` for them:
    /// they count for loss but not for the jitter estimate.
    pub fn update(&mut self, ssrc: Ssrc, seq: SeqNo, timestamp: u32, arrival: u32, audio: bool) {
        if self.ssrc != Some(ssrc) {
            self.restart(ssrc, seq);
        }
        let max = SeqNo(self.ext_max as u16);
        let delta = seq.delta(max);
        if delta > 0 && delta < MAX_DROPOUT {
            // In order, possibly with a gap: count a wrap when the 16-bit value goes round.
            if seq.0 < max.0 {
                self.ext_max = self.ext_max.wrapping_add(1 << 16);
            }
            self.ext_max = (self.ext_max & 0xFFFF_0000) | u32::from(seq.0);
        } else if delta <= -MAX_MISORDER || delta >= MAX_DROPOUT {
            // A very large jump: the source restarted its sequence numbers (A.1 simplified: one
            // packet is enough here, as the bridge has no probation use for the packets).
            self.restart(ssrc, seq);
        }
        self.received = self.received.wrapping_add(1);
        if !audio {
            return;
        }
        // A.8: J += (|D| - J) / 16, with D the difference of relative transit times.
        let transit = arrival.wrapping_sub(timestamp);
        if let Some(last) = self.last_transit {
            let d = (transit.wrapping_sub(last) as i32).unsigned_abs();
            let j = self.jitter_q4 as i64 + i64::from(d) - ((self.jitter_q4 as i64 + 8) >> 4);
            self.jitter_q4 = j.clamp(0, u32::MAX as i64) as u32;
        }
        self.last_transit = Some(transit);
    }

    fn restart(&mut self, ssrc: Ssrc, seq: SeqNo) {
        *self = Self {
            ssrc: Some(ssrc),
            ext_max: u32::from(seq.0),
            ext_base: u32::from(seq.0),
            last_sr: self.last_sr,
            ..Self::default()
        };
    }

    /// Notes an SR from this source, for LSR/DLSR in the next report (RFC 3550 §6.4.1).
    pub fn on_sender_report(&mut self, ntp_middle: u32, now: Instant) {
        self.last_sr = Some((ntp_middle, now));
    }

    /// Packets lost so far: expected − received (A.3; negative with duplicates).
    pub fn cumulative_lost(&self) -> i64 {
        i64::from(self.expected()) - i64::from(self.received)
    }

    fn expected(&self) -> u32 {
        if self.ssrc.is_none() {
            return 0;
        }
        self.ext_max.wrapping_sub(self.ext_base).wrapping_add(1)
    }

    /// Interarrival jitter in timestamp units.
    pub fn jitter(&self) -> u32 {
        self.jitter_q4 >> 4
    }

    /// The report block for the next SR, or `None` before the first packet. Resets the interval
    /// counters used for the fraction lost.
    pub fn report(&mut self, now: Instant) -> Option<ReportBlock> {
        let ssrc = self.ssrc?;
        let expected = self.expected();
        let expected_interval = expected.wrapping_sub(self.expected_prior);
        let received_interval = self.received.wrapping_sub(self.received_prior);
        self.expected_prior = expected;
        self.received_prior = self.received;
        let lost_interval = i64::from(expected_interval) - i64::from(received_interval);
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / i64::from(expected_interval)).min(255) as u8
        };
        let (lsr, dlsr) = match self.last_sr {
            Some((lsr, at)) => {
                let delay = now.saturating_duration_since(at);
                (lsr, to_1_65536(delay))
            }
            None => (0, 0),
        };
        Some(ReportBlock {
            ssrc,
            fraction_lost,
            cumulative_lost: self.cumulative_lost().clamp(-0x80_0000, 0x7F_FFFF) as i32,
            highest_seq: self.ext_max,
            jitter: self.jitter(),
            lsr,
            dlsr,
        })
    }
}

/// A duration in units of 1/65536 s (saturating), as DLSR carries it.
fn to_1_65536(d: Duration) -> u32 {
    let units = (d.as_nanos() << 16) / 1_000_000_000;
    units.min(u128::from(u32::MAX)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_and_wrap() {
        let mut r = ReceptionStats::default();
        let s = Ssrc(5);
        // 65530..=65535, then 0..=9 with 3 and 4 missing: 16 expected, 14 received.
        let mut ts = 0u32;
        for seq in (65530u16..=65535)
            .chain(0..=9)
            .filter(|s| *s != 3 && *s != 4)
        {
            r.update(s, SeqNo(seq), ts, ts, true);
            ts += 160;
        }
        let t0 = crate::test_t0();
        let b = r.report(t0).unwrap();
        assert_eq!(b.highest_seq, (1 << 16) | 9);
        assert_eq!(b.cumulative_lost, 2);
        assert_eq!(b.fraction_lost, (2 * 256 / 16) as u8);
        assert_eq!(b.jitter, 0);
        // Nothing new: the next interval has no loss.
        assert_eq!(r.report(t0).unwrap().fraction_lost, 0);
    }

    #[test]
    fn jitter_follows_a8() {
        let mut r = ReceptionStats::default();
        // Every other packet arrives 80 timestamp units late: |D| = 80 each time.
        for i in 0..200u32 {
            let late = if i % 2 == 1 { 80 } else { 0 };
            r.update(Ssrc(1), SeqNo(i as u16), i * 160, i * 160 + late, true);
        }
        // J converges to |D| = 80.
        assert!((75..=80).contains(&r.jitter()), "{}", r.jitter());
    }

    #[test]
    fn lsr_dlsr() {
        let t0 = crate::test_t0();
        let mut r = ReceptionStats::default();
        r.update(Ssrc(1), SeqNo(1), 0, 0, true);
        r.on_sender_report(0xABCD_0000, t0);
        let b = r.report(t0 + Duration::from_millis(500)).unwrap();
        assert_eq!(b.lsr, 0xABCD_0000);
        assert_eq!(b.dlsr, 32768);
    }
}
