//! What the bridge sends one caller: a UDP socket the test binds where the caller's RTP comes
//! from (symmetric RTP sends the mix back there), a thread that keeps every datagram, and the
//! decoding and tone levels of the µ-law stream it holds.

use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Receives datagrams on a bound socket until [`Capture::finish`] (or until dropped, when a
/// test fails before it looks).
#[derive(Debug)]
pub struct Capture {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Vec<Vec<u8>>>>,
}

impl Capture {
    /// Start receiving on `socket` (already bound, so that the port is held from the moment
    /// the test chose it).
    pub fn start(socket: UdpSocket) -> Capture {
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .expect("read timeout");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut packets = Vec::new();
            let mut buf = [0u8; 2048];
            while !flag.load(Ordering::Relaxed) {
                if let Ok((n, _)) = socket.recv_from(&mut buf) {
                    packets.push(buf[..n].to_vec());
                }
            }
            packets
        });
        Capture {
            stop,
            thread: Some(thread),
        }
    }

    /// Stop and return every datagram received, in arrival order.
    pub fn finish(mut self) -> Vec<Vec<u8>> {
        self.stop.store(true, Ordering::Relaxed);
        let thread = self.thread.take().expect("finished once");
        thread.join().expect("capture thread")
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The fields of an RTP packet a test looks at (RFC 3550 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpPacket {
    /// Payload type.
    pub pt: u8,
    /// Sequence number.
    pub seq: u16,
    /// Synchronisation source.
    pub ssrc: u32,
    /// Payload (CSRCs, extension and padding removed).
    pub payload: Vec<u8>,
}

/// Parse an RTP packet; `None` for anything else (RTCP, truncated data).
pub fn parse_rtp(data: &[u8]) -> Option<RtpPacket> {
    if data.len() < 12 || data[0] >> 6 != 2 {
        return None;
    }
    let pt = data[1] & 0x7f;
    // RTCP shares the version bits; its packet types 200–204 read as PT 72–76 (RFC 5761 §4).
    if (72..=76).contains(&pt) {
        return None;
    }
    let csrcs = usize::from(data[0] & 0x0f);
    let mut start = 12 + 4 * csrcs;
    if data[0] & 0x10 != 0 {
        let ext = data.get(start + 2..start + 4)?;
        start += 4 + 4 * usize::from(u16::from_be_bytes([ext[0], ext[1]]));
    }
    let mut end = data.len();
    if data[0] & 0x20 != 0 {
        end = end.checked_sub(usize::from(*data.last()?))?;
    }
    Some(RtpPacket {
        pt,
        seq: u16::from_be_bytes([data[2], data[3]]),
        ssrc: u32::from_be_bytes([data[8], data[9], data[10], data[11]]),
        payload: data.get(start..end)?.to_vec(),
    })
}

/// Tone levels in a received stream.
#[derive(Debug, Clone)]
pub struct ToneReport {
    /// RTP packets received.
    pub packets: usize,
    /// µ-law (PT 0) packets among them.
    pub pcmu_packets: usize,
    /// 50 ms blocks of the decoded audio.
    pub blocks: usize,
    /// Blocks louder than the activity threshold (the ones measured).
    pub active_blocks: usize,
    /// Level of the expected tone, dBFS, averaged in power over the active blocks.
    pub expected_db: f64,
    /// Level of the caller's own tone, dBFS, on the same blocks.
    pub own_db: f64,
    /// Level of the caller's own tone, dBFS, averaged over every block (active or not).
    pub own_all_db: f64,
}

/// 50 ms at 8 kHz: a whole number of periods of both 440 Hz (22) and 1000 Hz (50), so the
/// Goertzel filter of either tone does not leak into the other's.
const BLOCK: usize = 400;
/// A block quieter than this carries no talker (the bridge sends silence when nobody else
/// speaks, and the mix ramps at the edges of a stream).
const ACTIVE_DB: f64 = -40.0;

/// Decode the µ-law packets of `packets` (ordered by sequence number, duplicates dropped) and
/// measure `expected` and `own` Hz on the blocks where someone is heard.
pub fn tone_report(packets: &[Vec<u8>], expected: f64, own: f64) -> ToneReport {
    let rtp: Vec<RtpPacket> = packets.iter().filter_map(|p| parse_rtp(p)).collect();
    let mut pcmu: Vec<&RtpPacket> = rtp.iter().filter(|p| p.pt == 0).collect();
    // Loopback keeps the order, but sort by extended sequence number anyway, so the blocks are
    // the audio as sent even if the kernel reorders: unwrap against the first packet.
    if let Some(first) = pcmu.first().map(|p| p.seq) {
        pcmu.sort_by_key(|p| i32::from(p.seq.wrapping_sub(first) as i16));
    }
    pcmu.dedup_by_key(|p| p.seq);
    let samples: Vec<i16> = pcmu
        .iter()
        .flat_map(|p| p.payload.iter().map(|&c| media::g711::ulaw_decode(c)))
        .collect();
    let blocks: Vec<&[i16]> = samples.chunks_exact(BLOCK).collect();
    let active: Vec<&[i16]> = blocks
        .iter()
        .copied()
        .filter(|b| media::goertzel::total_db(b) > ACTIVE_DB)
        .collect();
    // Average the power, not the dB values: one loud block must weigh as much as it sounds.
    let mean_db = |blocks: &[&[i16]], freq: f64| {
        if blocks.is_empty() {
            return -200.0;
        }
        let p: f64 = blocks
            .iter()
            .map(|b| media::goertzel::power(b, freq, 8000.0))
            .sum::<f64>()
            / blocks.len() as f64;
        if p <= 1e-20 {
            -200.0
        } else {
            10.0 * p.log10()
        }
    };
    ToneReport {
        packets: rtp.len(),
        pcmu_packets: pcmu.len(),
        blocks: blocks.len(),
        active_blocks: active.len(),
        expected_db: mean_db(&active, expected),
        own_db: mean_db(&active, own),
        own_all_db: mean_db(&blocks, own),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(seq: u16, samples: &[i16]) -> Vec<u8> {
        let mut p = vec![0x80, 0];
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&[0; 8]);
        p.extend(samples.iter().map(|&s| media::g711::ulaw_encode(s)));
        p
    }

    /// The report finds the expected tone, not the own one, and skips silence, RTCP and other
    /// payload types.
    #[test]
    fn report_measures_the_tone_heard() {
        let tone = media::goertzel::tone(1000.0, 8000.0, 0.3, 0, 160 * 50);
        let mut packets: Vec<Vec<u8>> = (0..25u16)
            .map(|i| packet(i, &[0; 160]))
            .chain(
                tone.chunks(160)
                    .enumerate()
                    .map(|(i, c)| packet(25 + i as u16, c)),
            )
            .collect();
        packets.swap(30, 31);
        packets.push(vec![0x80, 200, 0, 6, 0, 0, 0, 0]); // an RTCP SR header
        let mut dtmf = packet(100, &[0; 4]);
        dtmf[1] = 101;
        packets.push(dtmf);
        let r = tone_report(&packets, 1000.0, 440.0);
        assert_eq!(r.packets, 76);
        assert_eq!(r.pcmu_packets, 75);
        assert_eq!(r.active_blocks, 20);
        assert!((r.expected_db + 10.5).abs() < 1.0, "{r:?}");
        assert!(r.own_db < -60.0, "{r:?}");
        assert!(r.own_all_db < -60.0, "{r:?}");
        let own = tone_report(&packets, 440.0, 1000.0);
        // 20 of the 30 blocks carry the tone: 10·log10(2/3) below its level.
        assert!((own.own_all_db + 12.3).abs() < 1.0, "{own:?}");
    }

    #[test]
    fn parses_csrc_extension_and_padding() {
        let mut p = vec![0xb1, 0x80, 0, 7, 0, 0, 0, 0, 0, 0, 0, 9];
        p.extend_from_slice(&[1, 2, 3, 4]); // one CSRC
        p.extend_from_slice(&[0xbe, 0xde, 0, 1, 9, 9, 9, 9]); // a one-word extension
        p.extend_from_slice(&[5, 6, 7, 0, 0, 3]); // payload 5 6 7, then 3 bytes of padding
        let r = parse_rtp(&p).unwrap();
        assert_eq!((r.pt, r.seq, r.ssrc), (0, 7, 9));
        assert_eq!(r.payload, vec![5, 6, 7]);
        assert_eq!(parse_rtp(&[0x80, 0]), None);
    }
}
