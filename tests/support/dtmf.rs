//! pcap files of a caller keying digits, for sipp's `play_pcap_audio`: one RTP stream of 20 ms
//! µ-law packets in which the digits are either RFC 4733 telephone-events or DTMF tone pairs in
//! the audio, followed by a sine tone the caller "talks" with once it is in the conference.
//!
//! sipp plays one pcap at a time (a second `play_pcap_audio` cancels the first), so audio and
//! events share one stream, as a phone sends them (RFC 4733 §2.5 and its examples):
//!
//! - while a key is down, event packets replace the audio packets, one per 20 ms; they all carry
//!   the RTP timestamp of the key's first packet and a growing duration; the first has the
//!   marker bit;
//! - the last packet of the key has the end bit, and it is sent three times (same duration);
//! - sequence numbers run on across audio and events.
//!
//! In-band, the key's 20 ms packets carry the two DTMF frequencies (each at `tone_amplitude`)
//! instead of silence. Between keys and before the tail tone the audio is µ-law silence.

use super::pcap::{global_header, record, udp_frame, SAMPLES_PER_PACKET};

/// How the digits travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keying {
    /// RFC 4733 telephone-events at this payload type.
    Rfc4733 {
        /// The telephone-event payload type (the one the scenario's SDP offers).
        pt: u8,
    },
    /// Tone pairs in the µ-law audio.
    InBand,
}

/// What the caller sends, in order: `lead_ms` of silence, then for each entry its keys (each
/// `key_ms` down, `gap_ms` up) followed by `after_entry_ms` of silence, then `tail_ms` of a
/// `tail_freq_hz` tone.
#[derive(Debug, Clone)]
pub struct DigitScript {
    /// How the digits travel.
    pub keying: Keying,
    /// Silence before the first key.
    pub lead_ms: u32,
    /// The entries, e.g. `["721051#", "1289#"]`.
    pub entries: Vec<String>,
    /// How long a key is down.
    pub key_ms: u32,
    /// Silence between two keys.
    pub gap_ms: u32,
    /// Silence after the last key of an entry (the IVR ignores keys while it looks an entry up).
    pub after_entry_ms: u32,
    /// Amplitude of each of the two in-band frequencies, 0–1 of full scale.
    pub tone_amplitude: f64,
    /// The tone sent after the digits (0 ms: none).
    pub tail_freq_hz: f64,
    /// Its amplitude, 0–1 of full scale.
    pub tail_amplitude: f64,
    /// Its length.
    pub tail_ms: u32,
    /// RTP synchronisation source.
    pub ssrc: u32,
}

/// µ-law of 0 (the encoder's silence byte).
const ULAW_SILENCE: u8 = 0xff;
/// µ-law's static payload type.
const PT_PCMU: u8 = 0;

/// The (row, column) frequencies of a DTMF key; `None` for anything else.
pub fn key_freqs(key: char) -> Option<(f64, f64)> {
    const ROWS: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
    const COLS: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
    let (r, c) = match key {
        '1' => (0, 0),
        '2' => (0, 1),
        '3' => (0, 2),
        'A' => (0, 3),
        '4' => (1, 0),
        '5' => (1, 1),
        '6' => (1, 2),
        'B' => (1, 3),
        '7' => (2, 0),
        '8' => (2, 1),
        '9' => (2, 2),
        'C' => (2, 3),
        '*' => (3, 0),
        '0' => (3, 1),
        '#' => (3, 2),
        'D' => (3, 3),
        _ => return None,
    };
    Some((ROWS[r], COLS[c]))
}

/// The RFC 4733 event code of a key (§3.2: 0–9, `*` 10, `#` 11, A–D 12–15).
pub fn event_code(key: char) -> Option<u8> {
    match key {
        '0'..='9' => Some(key as u8 - b'0'),
        '*' => Some(10),
        '#' => Some(11),
        'A'..='D' => Some(12 + key as u8 - b'A'),
        _ => None,
    }
}

/// One 20 ms slot of the stream.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Silence,
    /// In-band key, sample offset from the key's start.
    Tone(char, usize),
    /// RFC 4733: key, index of the packet within the key, the key's packet count.
    Event(char, u32, u32),
    /// End-bit retransmission of the key's last packet.
    EventEnd(char, u32),
    Tail(usize),
}

impl DigitScript {
    /// The slots, in order, and the index of the slot where each key goes down.
    fn slots(&self) -> Vec<Slot> {
        let packets = |ms: u32| (ms / 20) as usize;
        let mut slots = vec![Slot::Silence; packets(self.lead_ms)];
        let per_key = (self.key_ms / 20).max(1);
        for entry in &self.entries {
            for key in entry.chars() {
                match self.keying {
                    Keying::InBand => {
                        for i in 0..per_key as usize {
                            slots.push(Slot::Tone(key, i * SAMPLES_PER_PACKET));
                        }
                        slots.extend(vec![Slot::Silence; packets(self.gap_ms)]);
                    }
                    Keying::Rfc4733 { .. } => {
                        for i in 0..per_key {
                            slots.push(Slot::Event(key, i, per_key));
                        }
                        // The end packet goes out three times in all: two repeats follow.
                        let repeats = 2.min(packets(self.gap_ms));
                        slots.extend(vec![Slot::EventEnd(key, per_key); repeats]);
                        slots.extend(vec![Slot::Silence; packets(self.gap_ms) - repeats]);
                    }
                }
            }
            slots.extend(vec![Slot::Silence; packets(self.after_entry_ms)]);
        }
        for i in 0..packets(self.tail_ms) {
            slots.push(Slot::Tail(i * SAMPLES_PER_PACKET));
        }
        slots
    }

    /// When the tail tone starts, in ms from the first packet.
    pub fn tail_start_ms(&self) -> u32 {
        20 * (self.slots().len() as u32 - self.tail_ms / 20)
    }

    /// The RTP packets (headers and payload), one per 20 ms.
    pub fn rtp_packets(&self) -> Vec<Vec<u8>> {
        let first_seq: u16 = 0x2345;
        let first_ts: u32 = 0x0002_0000;
        let mut key_ts = first_ts;
        let slots = self.slots();
        let mut out = Vec::with_capacity(slots.len());
        let mut previous_was_event = false;
        for (i, slot) in slots.iter().enumerate() {
            let seq = first_seq.wrapping_add(i as u16);
            let ts = first_ts.wrapping_add((i * SAMPLES_PER_PACKET) as u32);
            let (pt, marker, timestamp, payload) = match *slot {
                Slot::Silence => (PT_PCMU, i == 0, ts, vec![ULAW_SILENCE; SAMPLES_PER_PACKET]),
                Slot::Tail(start) => {
                    let samples = media::goertzel::tone(
                        self.tail_freq_hz,
                        8000.0,
                        self.tail_amplitude,
                        start,
                        SAMPLES_PER_PACKET,
                    );
                    let bytes = samples.iter().map(|&s| media::g711::ulaw_encode(s));
                    (PT_PCMU, previous_was_event, ts, bytes.collect())
                }
                Slot::Tone(key, start) => {
                    let (low, high) = key_freqs(key).expect("a DTMF key");
                    let a = media::goertzel::tone(
                        low,
                        8000.0,
                        self.tone_amplitude,
                        start,
                        SAMPLES_PER_PACKET,
                    );
                    let b = media::goertzel::tone(
                        high,
                        8000.0,
                        self.tone_amplitude,
                        start,
                        SAMPLES_PER_PACKET,
                    );
                    let bytes = a
                        .iter()
                        .zip(&b)
                        .map(|(&x, &y)| media::g711::ulaw_encode(x.saturating_add(y)));
                    (PT_PCMU, false, ts, bytes.collect())
                }
                Slot::Event(key, n, count) => {
                    if n == 0 {
                        key_ts = ts;
                    }
                    let end = n + 1 == count;
                    let duration = (n + 1) * SAMPLES_PER_PACKET as u32;
                    let pt = self.event_pt();
                    (pt, n == 0, key_ts, event_payload(key, end, duration))
                }
                Slot::EventEnd(key, count) => {
                    let duration = count * SAMPLES_PER_PACKET as u32;
                    (
                        self.event_pt(),
                        false,
                        key_ts,
                        event_payload(key, true, duration),
                    )
                }
            };
            previous_was_event = matches!(slot, Slot::Event(..) | Slot::EventEnd(..));
            let mut rtp = Vec::with_capacity(12 + payload.len());
            rtp.push(0x80);
            rtp.push(if marker { 0x80 | pt } else { pt });
            rtp.extend_from_slice(&seq.to_be_bytes());
            rtp.extend_from_slice(&timestamp.to_be_bytes());
            rtp.extend_from_slice(&self.ssrc.to_be_bytes());
            rtp.extend_from_slice(&payload);
            out.push(rtp);
        }
        out
    }

    fn event_pt(&self) -> u8 {
        match self.keying {
            Keying::Rfc4733 { pt } => pt,
            Keying::InBand => unreachable!("no events in-band"),
        }
    }

    /// The pcap file (Ethernet + IPv4 + UDP frames, 20 ms apart; see `support::pcap`).
    pub fn pcap_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        global_header(&mut out);
        let start_us: u64 = 1_767_225_600 * 1_000_000;
        for (i, rtp) in self.rtp_packets().iter().enumerate() {
            let frame = udp_frame(45_510, 45_000, i as u16, rtp);
            record(&mut out, start_us + i as u64 * 20_000, &frame);
        }
        out
    }

    /// Write the pcap file.
    pub fn write_pcap(&self, path: &std::path::Path) -> std::io::Result<()> {
        std::fs::write(path, self.pcap_bytes())
    }
}

/// An RFC 4733 §2.3 payload: event, E bit + volume (−10 dBm0), duration.
fn event_payload(key: char, end: bool, duration: u32) -> Vec<u8> {
    let event = event_code(key).expect("a DTMF key");
    let volume = 10u8;
    let duration = duration.min(0xffff) as u16;
    let mut p = vec![event, if end { 0x80 | volume } else { volume }];
    p.extend_from_slice(&duration.to_be_bytes());
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(keying: Keying) -> DigitScript {
        DigitScript {
            keying,
            lead_ms: 40,
            entries: vec!["5#".into()],
            key_ms: 120,
            gap_ms: 100,
            after_entry_ms: 100,
            tone_amplitude: 0.316,
            tail_freq_hz: 1000.0,
            tail_amplitude: 0.3,
            tail_ms: 60,
            ssrc: 7,
        }
    }

    /// Events replace audio while a key is down: marker on the first, one timestamp per key,
    /// growing durations, the end bit three times, sequence numbers without a gap.
    #[test]
    fn rfc4733_layout() {
        let packets = script(Keying::Rfc4733 { pt: 101 }).rtp_packets();
        // 2 lead + (6 + 5) per key × 2 + 5 after + 3 tail.
        assert_eq!(packets.len(), 2 + 22 + 5 + 3);
        let pts: Vec<u8> = packets.iter().map(|p| p[1] & 0x7f).collect();
        assert_eq!(&pts[..2], &[0, 0]);
        assert!(pts[2..10].iter().all(|&pt| pt == 101), "{pts:?}");
        assert_eq!(pts[10], 0);
        let first = &packets[2];
        assert_eq!(first[1], 0x80 | 101, "marker on the first event packet");
        assert_eq!(&first[12..], &[5, 10, 0, 160]);
        let ts = |p: &Vec<u8>| u32::from_be_bytes(p[4..8].try_into().unwrap());
        assert!(packets[2..10].iter().all(|p| ts(p) == ts(first)));
        let ends: Vec<&Vec<u8>> = packets[2..10]
            .iter()
            .filter(|p| p[13] & 0x80 != 0)
            .collect();
        assert_eq!(ends.len(), 3);
        assert!(ends.iter().all(|p| p[12..] == [5, 0x80 | 10, 3, 192]));
        assert_eq!(packets[13][12], 11, "then #");
        for w in packets.windows(2) {
            let seq = |p: &Vec<u8>| u16::from_be_bytes([p[2], p[3]]);
            assert_eq!(seq(&w[1]), seq(&w[0]).wrapping_add(1));
        }
        let tail = &packets[packets.len() - 3];
        assert_eq!(tail[1], 0, "{tail:?}");
    }

    /// In-band keys carry their two frequencies at the asked level, and nothing of the others.
    #[test]
    fn inband_tones() {
        let packets = script(Keying::InBand).rtp_packets();
        let samples: Vec<i16> = packets[2..8]
            .iter()
            .flat_map(|p| p[12..].iter().map(|&c| media::g711::ulaw_decode(c)))
            .collect();
        let db = |f| media::goertzel::level_db(&samples, f, 8000.0);
        assert!((db(770.0) + 10.0).abs() < 1.0, "{}", db(770.0));
        assert!((db(1336.0) + 10.0).abs() < 1.0, "{}", db(1336.0));
        assert!(db(697.0) < -30.0 && db(1209.0) < -30.0);
        assert!(packets.iter().all(|p| p[1] & 0x7f == 0));
    }
}
