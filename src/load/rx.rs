//! What one leg of the load generator measures in what the bridge sends it: packets received,
//! loss from sequence numbers (RFC 3550 A.3), interarrival jitter (RFC 3550 A.8), and for the
//! probe legs the onset of the latency marker (Goertzel on 5 ms blocks).

use media::goertzel;

/// Frequency of the latency marker (Hz).
pub const MARKER_HZ: f64 = 1800.0;
/// A 5 ms block whose 1800 Hz level is above this holds the marker. The marker is sent at
/// −10 dBFS; the steady tones (400–1300 Hz, −20 dBFS each) leak below −40 dBFS into this bin,
/// so the threshold sits well clear of both.
pub const MARKER_THRESHOLD_DB: f64 = -22.0;

/// Reception statistics of one leg (RFC 3550 A.3 and A.8), fed in arrival order.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RxStats {
    /// RTP packets received.
    pub received: u64,
    /// Extended sequence number of the first packet.
    base: i64,
    /// Highest extended sequence number seen.
    max: i64,
    /// Relative transit time of the previous packet (timestamp units), once there is one.
    transit: Option<i64>,
    /// Interarrival jitter estimate, timestamp units.
    jitter: f64,
}

impl RxStats {
    /// Account one packet: its sequence number and RTP timestamp, and its arrival time expressed
    /// in timestamp units (`arrival_ns × clock rate / 10⁹`).
    pub fn on_packet(&mut self, seq: u16, timestamp: u32, arrival_units: i64) {
        if self.received == 0 {
            self.base = i64::from(seq);
            self.max = self.base;
        } else {
            // The distance from the highest so far, correct across the 2^16 wrap.
            let delta = i64::from(seq.wrapping_sub(self.max as u16) as i16);
            if delta > 0 {
                self.max += delta;
            }
        }
        self.received += 1;
        let transit = arrival_units - i64::from(timestamp);
        if let Some(previous) = self.transit {
            // The timestamp may wrap: the difference of two transits is taken modulo 2^32.
            let d = i64::from((transit - previous) as i32).abs() as f64;
            self.jitter += (d - self.jitter) / 16.0;
        }
        self.transit = Some(transit);
    }

    /// Packets expected from the sequence numbers seen (A.3).
    pub fn expected(&self) -> u64 {
        if self.received == 0 {
            0
        } else {
            (self.max - self.base + 1) as u64
        }
    }

    /// Packets lost: expected minus received, never negative (duplicates can exceed).
    pub fn lost(&self) -> u64 {
        self.expected().saturating_sub(self.received)
    }

    /// The jitter in milliseconds for a stream clocked at `rate` Hz.
    pub fn jitter_ms(&self, rate: u32) -> f64 {
        self.jitter * 1000.0 / f64::from(rate)
    }
}

/// Finds the marker's onset in decoded audio, one packet at a time.
#[derive(Debug, Clone)]
pub struct MarkerDetector {
    rate: f64,
    block: usize,
    /// Detections are ignored until this many samples have passed since the last one (the marker
    /// lasts 100 ms and comes every 2 s).
    holdoff: usize,
    since_last: usize,
}

impl MarkerDetector {
    /// A detector for audio at `rate` Hz (blocks of 5 ms).
    pub fn new(rate: u32) -> MarkerDetector {
        let rate_f = f64::from(rate);
        MarkerDetector {
            rate: rate_f,
            block: (rate / 200) as usize,
            holdoff: (rate / 2) as usize,
            since_last: usize::MAX / 2,
        }
    }

    /// Feed one packet's samples; the offset (in samples from the packet's start) of the
    /// block where a marker begins, if one does.
    pub fn feed(&mut self, pcm: &[i16]) -> Option<usize> {
        let mut found = None;
        for (i, block) in pcm.chunks(self.block).enumerate() {
            if found.is_none()
                && self.since_last >= self.holdoff
                && block.len() == self.block
                && goertzel::level_db(block, MARKER_HZ, self.rate) > MARKER_THRESHOLD_DB
            {
                found = Some(i * self.block);
                self.since_last = 0;
            }
            self.since_last = self.since_last.saturating_add(block.len());
        }
        found
    }
}

/// The `q`-quantile (0–1) of sorted values, nearest rank; `None` when empty.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_from_sequence_gaps_across_the_wrap() {
        let mut s = RxStats::default();
        // 65530 … 65535, 0 … 9 with 65533 and 4 missing, 2 repeated.
        let mut seqs: Vec<u16> = (65530..=65535).chain(0..10).collect();
        seqs.retain(|&q| q != 65533 && q != 4);
        seqs.push(2);
        for (i, q) in seqs.iter().enumerate() {
            s.on_packet(*q, i as u32 * 160, i as i64 * 160);
        }
        assert_eq!(s.expected(), 16);
        assert_eq!(s.received, 15);
        assert_eq!(s.lost(), 1, "the duplicate hides one loss, as in A.3");
    }

    #[test]
    fn reordered_packet_is_not_a_loss() {
        let mut s = RxStats::default();
        for (i, q) in [10u16, 12, 11, 13].iter().enumerate() {
            s.on_packet(*q, u32::from(*q) * 160, i as i64 * 160);
        }
        assert_eq!((s.expected(), s.lost()), (4, 0));
    }

    #[test]
    fn jitter_zero_for_steady_arrivals_and_grows_with_variation() {
        let mut steady = RxStats::default();
        let mut shaky = RxStats::default();
        // splitmix64: a fixed, seeded sequence of arrival offsets.
        let mut state = 0x1234_5678_u64;
        let mut next = || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        let base_ts = 4_294_960_000u32; // wraps during the run
        for i in 0..500u32 {
            let ts = base_ts.wrapping_add(i * 160);
            steady.on_packet(i as u16, ts, 1_000 + i64::from(i) * 160);
            // Up to ±40 units (5 ms at 8 kHz) of arrival noise.
            let noise = (next() % 81) as i64 - 40;
            shaky.on_packet(i as u16, ts, 1_000 + i64::from(i) * 160 + noise);
        }
        assert_eq!(steady.jitter_ms(8000), 0.0);
        let j = shaky.jitter_ms(8000);
        // Uniform noise of ±5 ms: E|D| for the difference of two is 10/3 ms.
        assert!(j > 2.0 && j < 5.0, "jitter {j} ms");
    }

    #[test]
    fn marker_found_in_its_block_not_in_the_steady_tones() {
        let rate = 8000.0;
        // What a probe hears from ten talkers at −20 dBFS (the widest case): steady tones only…
        let mut steady = vec![0i16; 160];
        for slot in 0..10 {
            let t = goertzel::tone(400.0 + 100.0 * slot as f64, rate, 0.1, 0, 160);
            for (a, b) in steady.iter_mut().zip(t) {
                *a = a.saturating_add(b);
            }
        }
        let mut d = MarkerDetector::new(8000);
        for _ in 0..10 {
            assert_eq!(d.feed(&steady), None);
        }
        // …then a packet whose second half starts the marker (a bridge frame not aligned to ours).
        let marker = goertzel::tone(MARKER_HZ, rate, 0.316, 0, 80);
        let mut onset = steady.clone();
        for (a, b) in onset[80..].iter_mut().zip(marker) {
            *a = a.saturating_add(b);
        }
        assert_eq!(d.feed(&onset), Some(80));
        // The rest of the burst is not a new marker.
        assert_eq!(d.feed(&onset), None);
    }

    #[test]
    fn quantiles_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), Some(50.0));
        assert_eq!(quantile(&v, 0.99), Some(99.0));
        assert_eq!(quantile(&v, 1.0), Some(100.0));
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&[7.0], 0.99), Some(7.0));
    }
}
