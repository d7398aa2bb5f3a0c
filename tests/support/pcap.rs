//! A writer of classic libpcap capture files holding one RTP stream of G.711 µ-law tone, for
//! sipp's `play_pcap_audio`.
//!
//! The format (the "libpcap file format", linktype registry and RFC 791/768/3550):
//!
//! - a 24-byte global header: magic `0xa1b2c3d4` in the writer's byte order (we write little
//!   endian), version 2.4, time zone offset 0, sigfigs 0, snaplen, link type;
//! - per packet a 16-byte record header (seconds, microseconds, captured length, original
//!   length) followed by the frame.
//!
//! The link type is Ethernet (`LINKTYPE_ETHERNET` = 1): sipp 3.6.1 accepts only Ethernet and
//! Linux "cooked" captures (its `prepare_pcap` stops with "Unsupported link-type" on raw IP,
//! linktype 101), so each frame is Ethernet II + IPv4 + UDP + RTP. sipp keeps the UDP payload
//! (the RTP header as written: SSRC, sequence numbers, payload type) and the packet spacing of
//! the capture's timestamps, and rewrites the UDP ports: the source becomes the `[media_port]`
//! written in the scenario's SDP, the destination the port of the answer's SDP. The ports and
//! addresses written here therefore only need to be consistent.

use std::io::{self, Write};
use std::path::Path;

/// 8 kHz, 20 ms: the samples (and µ-law bytes) in one packet.
pub const SAMPLES_PER_PACKET: usize = 160;
/// Microseconds between packets.
const PACKET_INTERVAL_US: u64 = 20_000;
/// µ-law's static RTP payload type (RFC 3551).
const PT_PCMU: u8 = 0;

const ETHERNET_HEADER: usize = 14;
const IPV4_HEADER: usize = 20;
const UDP_HEADER: usize = 8;
const RTP_HEADER: usize = 12;

/// One RTP stream of a sine tone.
#[derive(Debug, Clone)]
pub struct ToneStream {
    /// Tone frequency in Hz.
    pub freq_hz: f64,
    /// Amplitude, 0–1 of full scale.
    pub amplitude: f64,
    /// How long the stream lasts (rounded down to whole 20 ms packets).
    pub seconds: f64,
    /// UDP source port written in the capture (sipp replaces it; see the module doc).
    pub src_port: u16,
    /// UDP destination port written in the capture (the lowest one is sipp's "base port").
    pub dst_port: u16,
    /// RTP synchronisation source.
    pub ssrc: u32,
}

/// Write `stream` as a pcap file at `path`; the number of RTP packets in it.
pub fn write_tone_pcap(path: &Path, stream: &ToneStream) -> io::Result<usize> {
    let bytes = tone_pcap_bytes(stream);
    let mut file = std::fs::File::create(path)?;
    file.write_all(&bytes)?;
    file.sync_all()?;
    Ok(packet_count(stream))
}

/// Whole 20 ms packets in `stream`.
fn packet_count(stream: &ToneStream) -> usize {
    (stream.seconds * 1000.0 / 20.0).floor() as usize
}

/// The bytes of the pcap file for `stream`.
pub fn tone_pcap_bytes(stream: &ToneStream) -> Vec<u8> {
    let packets = packet_count(stream);
    let frame_len = ETHERNET_HEADER + IPV4_HEADER + UDP_HEADER + RTP_HEADER + SAMPLES_PER_PACKET;
    let mut out = Vec::with_capacity(24 + packets * (16 + frame_len));
    global_header(&mut out);

    // Arbitrary but fixed starting values: a receiver must not depend on them being zero.
    let first_seq: u16 = 0x1234;
    let first_ts: u32 = 0x0001_0000;
    // A fixed capture start time (2026-01-01T00:00:00Z); only the spacing matters to sipp.
    let start_us: u64 = 1_767_225_600 * 1_000_000;
    for i in 0..packets {
        let samples = media::goertzel::tone(
            stream.freq_hz,
            8000.0,
            stream.amplitude,
            i * SAMPLES_PER_PACKET,
            SAMPLES_PER_PACKET,
        );
        let mut rtp = Vec::with_capacity(RTP_HEADER + SAMPLES_PER_PACKET);
        // V=2, no padding, no extension, no CSRC; the marker opens the talk spurt.
        rtp.push(0x80);
        rtp.push(if i == 0 { 0x80 | PT_PCMU } else { PT_PCMU });
        rtp.extend_from_slice(&first_seq.wrapping_add(i as u16).to_be_bytes());
        rtp.extend_from_slice(
            &first_ts
                .wrapping_add((i * SAMPLES_PER_PACKET) as u32)
                .to_be_bytes(),
        );
        rtp.extend_from_slice(&stream.ssrc.to_be_bytes());
        rtp.extend(samples.iter().map(|&s| media::g711::ulaw_encode(s)));

        let frame = udp_frame(stream.src_port, stream.dst_port, i as u16, &rtp);
        let ts = start_us + i as u64 * PACKET_INTERVAL_US;
        record(&mut out, ts, &frame);
    }
    out
}

/// The 24-byte global header, little endian.
pub fn global_header(out: &mut Vec<u8>) {
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes()); // magic: microsecond timestamps
    out.extend_from_slice(&2u16.to_le_bytes()); // version major
    out.extend_from_slice(&4u16.to_le_bytes()); // version minor
    out.extend_from_slice(&0i32.to_le_bytes()); // thiszone: timestamps are UTC
    out.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
    out.extend_from_slice(&65_535u32.to_le_bytes()); // snaplen
    out.extend_from_slice(&1u32.to_le_bytes()); // LINKTYPE_ETHERNET
}

/// One record: header, then the whole frame (captured length = original length, which sipp
/// insists on: it refuses truncated packets).
pub fn record(out: &mut Vec<u8>, ts_us: u64, frame: &[u8]) {
    out.extend_from_slice(&((ts_us / 1_000_000) as u32).to_le_bytes());
    out.extend_from_slice(&((ts_us % 1_000_000) as u32).to_le_bytes());
    out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    out.extend_from_slice(frame);
}

/// Ethernet II + IPv4 (127.0.0.1 → 127.0.0.1) + UDP around `payload`, with valid checksums so
/// that the capture also reads cleanly in Wireshark.
pub fn udp_frame(src_port: u16, dst_port: u16, ip_id: u16, payload: &[u8]) -> Vec<u8> {
    let udp_len = UDP_HEADER + payload.len();
    let ip_len = IPV4_HEADER + udp_len;
    let mut f = Vec::with_capacity(ETHERNET_HEADER + ip_len);

    // Ethernet: locally administered MAC addresses, EtherType IPv4.
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x02]);
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01]);
    f.extend_from_slice(&0x0800u16.to_be_bytes());

    let src = [127, 0, 0, 1];
    let dst = [127, 0, 0, 1];
    let ip_start = f.len();
    f.push(0x45); // version 4, header of 5 words
    f.push(0); // DSCP/ECN
    f.extend_from_slice(&(ip_len as u16).to_be_bytes());
    f.extend_from_slice(&ip_id.to_be_bytes());
    f.extend_from_slice(&0x4000u16.to_be_bytes()); // don't fragment
    f.push(64); // TTL
    f.push(17); // UDP
    f.extend_from_slice(&[0, 0]); // header checksum, filled below
    f.extend_from_slice(&src);
    f.extend_from_slice(&dst);
    let ip_sum = internet_checksum(&[&f[ip_start..ip_start + IPV4_HEADER]]);
    f[ip_start + 10..ip_start + 12].copy_from_slice(&ip_sum.to_be_bytes());

    let udp_start = f.len();
    f.extend_from_slice(&src_port.to_be_bytes());
    f.extend_from_slice(&dst_port.to_be_bytes());
    f.extend_from_slice(&(udp_len as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0]); // checksum, filled below
    f.extend_from_slice(payload);
    // RFC 768: the checksum covers a pseudo-header (addresses, protocol, UDP length) too.
    let mut pseudo = Vec::with_capacity(12);
    pseudo.extend_from_slice(&src);
    pseudo.extend_from_slice(&dst);
    pseudo.extend_from_slice(&[0, 17]);
    pseudo.extend_from_slice(&(udp_len as u16).to_be_bytes());
    let mut udp_sum = internet_checksum(&[&pseudo, &f[udp_start..]]);
    if udp_sum == 0 {
        // Zero means "no checksum" in UDP over IPv4; the all-ones form is the same value.
        udp_sum = 0xffff;
    }
    f[udp_start + 6..udp_start + 8].copy_from_slice(&udp_sum.to_be_bytes());
    f
}

/// The Internet checksum (RFC 1071) over the concatenation of `parts`: the one's complement of
/// the one's-complement sum of 16-bit big-endian words, an odd last byte padded with zero.
fn internet_checksum(parts: &[&[u8]]) -> u16 {
    let bytes: Vec<u8> = parts.iter().flat_map(|p| p.iter().copied()).collect();
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream() -> ToneStream {
        ToneStream {
            freq_hz: 440.0,
            amplitude: 0.3,
            seconds: 0.1,
            src_port: 45010,
            dst_port: 45020,
            ssrc: 0xdead_beef,
        }
    }

    /// The file is what a pcap reader expects: header fields, record lengths, headers of each
    /// layer, checksums that verify, and the RTP packet sequence.
    #[test]
    fn layout_and_checksums() {
        let bytes = tone_pcap_bytes(&stream());
        assert_eq!(&bytes[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
        assert_eq!(u32::from_le_bytes(bytes[20..24].try_into().unwrap()), 1);
        let frame_len = 14 + 20 + 8 + 12 + 160;
        assert_eq!(bytes.len(), 24 + 5 * (16 + frame_len));
        let mut at = 24;
        for i in 0..5u16 {
            let rec = &bytes[at..at + 16];
            let usec = u32::from_le_bytes(rec[4..8].try_into().unwrap());
            assert_eq!(usec, u32::from(i) * 20_000);
            assert_eq!(
                u32::from_le_bytes(rec[8..12].try_into().unwrap()) as usize,
                frame_len
            );
            assert_eq!(rec[8..12], rec[12..16]);
            let frame = &bytes[at + 16..at + 16 + frame_len];
            assert_eq!(&frame[12..14], &[0x08, 0x00]);
            let ip = &frame[14..34];
            assert_eq!(internet_checksum(&[ip]), 0, "IPv4 header checksum");
            let udp = &frame[34..];
            assert_eq!(u16::from_be_bytes([udp[0], udp[1]]), 45010);
            assert_eq!(u16::from_be_bytes([udp[2], udp[3]]), 45020);
            assert_eq!(u16::from_be_bytes([udp[4], udp[5]]) as usize, udp.len());
            let pseudo = [127, 0, 0, 1, 127, 0, 0, 1, 0, 17, 0, udp.len() as u8];
            assert_eq!(internet_checksum(&[&pseudo, udp]), 0, "UDP checksum");
            let rtp = &udp[8..];
            assert_eq!(rtp[0], 0x80);
            assert_eq!(rtp[1], if i == 0 { 0x80 } else { 0 });
            assert_eq!(u16::from_be_bytes([rtp[2], rtp[3]]), 0x1234 + i);
            assert_eq!(&rtp[8..12], &0xdead_beefu32.to_be_bytes());
            at += 16 + frame_len;
        }
    }

    /// The payload decodes back to the tone.
    #[test]
    fn payload_is_the_tone() {
        let s = ToneStream {
            seconds: 0.2,
            ..stream()
        };
        let bytes = tone_pcap_bytes(&s);
        let frame_len = 14 + 20 + 8 + 12 + 160;
        let samples: Vec<i16> = (0..10)
            .flat_map(|i| {
                let start = 24 + i * (16 + frame_len) + 16 + 14 + 20 + 8 + 12;
                bytes[start..start + 160]
                    .iter()
                    .map(|&c| media::g711::ulaw_decode(c))
                    .collect::<Vec<_>>()
            })
            .collect();
        let at_440 = media::goertzel::level_db(&samples, 440.0, 8000.0);
        let at_1000 = media::goertzel::level_db(&samples, 1000.0, 8000.0);
        // 0.3 of full scale is −10.5 dBFS.
        assert!((at_440 + 10.5).abs() < 1.0, "{at_440}");
        assert!(at_1000 < at_440 - 30.0, "{at_1000}");
    }
}
