//! RTCP (RFC 3550 §6): parsing compound packets — SR (§6.4.1), RR (§6.4.2), SDES (§6.5),
//! BYE (§6.6), and the key-frame requests of video: PLI (RFC 4585 §6.3.1) and FIR (RFC 5104
//! §4.3.1); any other type is skipped by its length — and building a compound SR or RR + SDES
//! CNAME, a PLI and a FIR; the round-trip time a report block gives (§6.4.1).
//!
//! Parsing borrows the datagram and allocates nothing; every length is checked against the bytes
//! that are really there, so no input can make it panic (see the `rtcp` fuzz target).

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::ids::Ssrc;

/// Packet type of a sender report.
pub const PT_SR: u8 = 200;
/// Packet type of a receiver report.
pub const PT_RR: u8 = 201;
/// Packet type of source description.
pub const PT_SDES: u8 = 202;
/// Packet type of goodbye.
pub const PT_BYE: u8 = 203;
/// Payload-specific feedback (RFC 4585 §6.3): PLI (FMT 1) and FIR (FMT 4, RFC 5104 §4.3.1).
pub const PT_PSFB: u8 = 206;
/// FMT of a Picture Loss Indication.
pub const FMT_PLI: u8 = 1;
/// FMT of a Full Intra Request.
pub const FMT_FIR: u8 = 4;
/// Bytes of one FIR entry (SSRC, sequence number, 3 reserved bytes).
const FIR_ENTRY_LEN: usize = 8;
/// SDES item type of the canonical name (RFC 3550 §6.5.1).
const SDES_CNAME: u8 = 1;
/// Size of one report block (RFC 3550 §6.4.1).
const BLOCK_LEN: usize = 24;

/// Why an RTCP datagram (or the rest of a compound one) was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RtcpError {
    /// Fewer bytes than a common header (4) or than the packet type's fixed part.
    #[error("RTCP packet truncated")]
    Truncated,
    /// The version field is not 2.
    #[error("RTCP version {0} is not 2")]
    BadVersion(u8),
    /// The length field points past the end of the datagram.
    #[error("RTCP length {0} words runs past the datagram")]
    BadLength(u16),
    /// The report count claims more blocks than the packet holds.
    #[error("RTCP report count {0} does not fit the packet")]
    BadCount(u8),
    /// The output buffer cannot hold the packet being built.
    #[error("buffer too small for the RTCP packet")]
    BufferTooSmall,
}

/// A 64-bit NTP timestamp (RFC 3550 §4): seconds since 1900 in the high 32 bits, fraction below.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct NtpTime(pub u64);

/// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (Unix epoch).
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

impl NtpTime {
    /// Converts a wall-clock value handed in by the driver (the library never reads the clock).
    pub fn from_system_time(t: SystemTime) -> Self {
        let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
        let secs = since.as_secs().wrapping_add(NTP_UNIX_OFFSET);
        let frac = (u64::from(since.subsec_nanos()) << 32) / 1_000_000_000;
        NtpTime((secs << 32) | frac)
    }

    /// The middle 32 bits, as used for LSR and in the RTT computation (RFC 3550 §6.4.1).
    pub fn middle32(self) -> u32 {
        (self.0 >> 16) as u32
    }

    /// This time plus a duration.
    pub fn plus(self, d: std::time::Duration) -> Self {
        let frac = (u128::from(d.subsec_nanos()) << 32) / 1_000_000_000;
        NtpTime(
            self.0
                .wrapping_add(d.as_secs() << 32)
                .wrapping_add(frac as u64),
        )
    }
}

/// The driver's wall clock as the library sees it: the time of day at one monotonic instant,
/// from which later NTP times are extrapolated (the library never reads a clock). Unset, it
/// gives no time (SRs then carry 0, as RFC 3550 §6.4.1 allows).
#[derive(Debug, Clone, Copy, Default)]
pub struct WallClock(Option<(Instant, NtpTime)>);

impl WallClock {
    /// `wallclock` is the time of day at the monotonic instant `now`.
    pub fn anchored(now: Instant, wallclock: SystemTime) -> Self {
        WallClock(Some((now, NtpTime::from_system_time(wallclock))))
    }

    /// The NTP time at `now`, when anchored.
    pub fn at(&self, now: Instant) -> Option<NtpTime> {
        let (at, ntp) = self.0?;
        Some(ntp.plus(now.saturating_duration_since(at)))
    }
}

/// One reception report block (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportBlock {
    /// The source this block reports on.
    pub ssrc: Ssrc,
    /// Fraction lost since the previous report, as a fixed-point number /256.
    pub fraction_lost: u8,
    /// Cumulative packets lost (signed 24 bits: duplicates can make it negative).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received.
    pub highest_seq: u32,
    /// Interarrival jitter in timestamp units (RFC 3550 A.8).
    pub jitter: u32,
    /// Middle 32 bits of the last SR's NTP timestamp from that source (0 if none).
    pub lsr: u32,
    /// Delay since that SR in 1/65536 s (0 if none).
    pub dlsr: u32,
}

/// The sender-info part of an SR (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SenderInfo {
    /// Sender's SSRC.
    pub ssrc: Ssrc,
    /// Wall-clock time of the report.
    pub ntp: NtpTime,
    /// The same instant in RTP timestamp units.
    pub rtp_ts: u32,
    /// Packets sent since the start.
    pub packets: u32,
    /// Payload octets sent since the start.
    pub octets: u32,
}

/// The report blocks of an SR or RR, parsed lazily.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportBlocks<'a>(&'a [u8]);

impl<'a> Iterator for ReportBlocks<'a> {
    type Item = ReportBlock;
    fn next(&mut self) -> Option<ReportBlock> {
        let (b, rest) = self.0.split_first_chunk::<BLOCK_LEN>()?;
        self.0 = rest;
        // Sign-extend the 24-bit cumulative loss.
        let lost = (i32::from_be_bytes([b[5], b[6], b[7], 0])) >> 8;
        Some(ReportBlock {
            ssrc: Ssrc(be32(&b[0..4])),
            fraction_lost: b[4],
            cumulative_lost: lost,
            highest_seq: be32(&b[8..12]),
            jitter: be32(&b[12..16]),
            lsr: be32(&b[16..20]),
            dlsr: be32(&b[20..24]),
        })
    }
}

/// The chunks of an SDES packet; yields each source's CNAME when it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdesChunks<'a> {
    data: &'a [u8],
    left: u8,
}

impl<'a> Iterator for SdesChunks<'a> {
    /// A source and its CNAME (`None` if the chunk has no CNAME item).
    type Item = (Ssrc, Option<&'a [u8]>);
    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let (ssrc, mut rest) = self.data.split_first_chunk::<4>()?;
        let start_len = rest.len();
        let mut cname = None;
        // Items until a zero type byte; then the chunk is padded to a 32-bit boundary.
        loop {
            match rest {
                [0, ..] | [] => break,
                [kind, len, tail @ ..] => {
                    let len = usize::from(*len);
                    let Some(text) = tail.get(..len) else {
                        self.left = 0;
                        return None;
                    };
                    if *kind == SDES_CNAME {
                        cname = Some(text);
                    }
                    rest = &tail[len..];
                }
                [_] => {
                    self.left = 0;
                    return None;
                }
            }
        }
        // Consumed so far (after the SSRC), plus the terminating null, rounded up to 4.
        let used = start_len - rest.len() + 1;
        let padded = used.div_ceil(4) * 4;
        self.data = self.data.get(4 + padded..).unwrap_or(&[]);
        Some((Ssrc(be32(ssrc)), cname))
    }
}

/// One packet of a compound RTCP datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RtcpPacket<'a> {
    /// A sender report.
    SenderReport {
        /// The sender's SSRC, time and counters.
        info: SenderInfo,
        /// What it received from others.
        blocks: ReportBlocks<'a>,
    },
    /// A receiver report.
    ReceiverReport {
        /// The reporter's SSRC.
        ssrc: Ssrc,
        /// What it received.
        blocks: ReportBlocks<'a>,
    },
    /// Source descriptions.
    Sdes(SdesChunks<'a>),
    /// Sources leaving.
    Bye {
        /// The SSRCs, 4 bytes each (use [`bye_ssrcs`]).
        ssrcs: &'a [u8],
    },
    /// A Picture Loss Indication (RFC 4585 §6.3.1): `sender` asks the sender of `media` for a
    /// key frame.
    Pli {
        /// Who asks.
        sender: Ssrc,
        /// Whose stream lost a picture.
        media: Ssrc,
    },
    /// A Full Intra Request (RFC 5104 §4.3.1): `sender` asks each SSRC of its entries for a key
    /// frame (use [`fir_entries`]; a repeated request keeps its sequence number).
    Fir {
        /// Who asks.
        sender: Ssrc,
        /// The FCI entries, 8 bytes each.
        entries: &'a [u8],
    },
    /// Any other packet type (APP, other feedback, XR…), skipped by its length.
    Other {
        /// Its packet type.
        pt: u8,
    },
}

/// The entries of a FIR packet: the SSRC asked for a key frame and the request's sequence
/// number.
pub fn fir_entries(entries: &[u8]) -> impl Iterator<Item = (Ssrc, u8)> + '_ {
    entries
        .chunks_exact(FIR_ENTRY_LEN)
        .map(|c| (Ssrc(be32(c)), c[4]))
}

/// The SSRCs of a BYE packet.
pub fn bye_ssrcs(ssrcs: &[u8]) -> impl Iterator<Item = Ssrc> + '_ {
    ssrcs.chunks_exact(4).map(|c| Ssrc(be32(c)))
}

/// Iterates the packets of a compound RTCP datagram; stops after the first error.
#[derive(Debug, Clone)]
pub struct Compound<'a> {
    data: &'a [u8],
}

/// Starts parsing a compound RTCP datagram (RFC 3550 §6.1).
pub fn parse(data: &[u8]) -> Compound<'_> {
    Compound { data }
}

impl<'a> Iterator for Compound<'a> {
    type Item = Result<RtcpPacket<'a>, RtcpError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.data.is_empty() {
            return None;
        }
        let result = self.next_packet();
        if result.is_err() {
            // Nothing after a malformed packet can be trusted to be aligned.
            self.data = &[];
        }
        Some(result)
    }
}

impl<'a> Compound<'a> {
    fn next_packet(&mut self) -> Result<RtcpPacket<'a>, RtcpError> {
        let data = self.data;
        let [b0, pt, l0, l1, ..] = *data else {
            return Err(RtcpError::Truncated);
        };
        if b0 >> 6 != 2 {
            return Err(RtcpError::BadVersion(b0 >> 6));
        }
        let words = u16::from_be_bytes([l0, l1]);
        let len = (usize::from(words) + 1) * 4;
        let Some(packet) = data.get(..len) else {
            return Err(RtcpError::BadLength(words));
        };
        self.data = &data[len..];
        let count = b0 & 0x1F;
        // Padding (P bit) only ever sits on the last packet; its count byte is the last byte.
        let mut body = &packet[4..];
        if b0 & 0x20 != 0 {
            let pad = usize::from(*body.last().ok_or(RtcpError::Truncated)?);
            if pad == 0 || pad > body.len() {
                return Err(RtcpError::BadLength(words));
            }
            body = &body[..body.len() - pad];
        }
        let blocks_of = |body: &'a [u8], fixed: usize| -> Result<ReportBlocks<'a>, RtcpError> {
            let rest = body.get(fixed..).ok_or(RtcpError::Truncated)?;
            rest.get(..usize::from(count) * BLOCK_LEN)
                .map(ReportBlocks)
                .ok_or(RtcpError::BadCount(count))
        };
        Ok(match pt {
            PT_SR => {
                let blocks = blocks_of(body, 24)?;
                RtcpPacket::SenderReport {
                    info: SenderInfo {
                        ssrc: Ssrc(be32(&body[0..4])),
                        ntp: NtpTime(
                            (u64::from(be32(&body[4..8])) << 32) | u64::from(be32(&body[8..12])),
                        ),
                        rtp_ts: be32(&body[12..16]),
                        packets: be32(&body[16..20]),
                        octets: be32(&body[20..24]),
                    },
                    blocks,
                }
            }
            PT_RR => {
                let blocks = blocks_of(body, 4)?;
                RtcpPacket::ReceiverReport {
                    ssrc: Ssrc(be32(&body[0..4])),
                    blocks,
                }
            }
            PT_SDES => RtcpPacket::Sdes(SdesChunks {
                data: body,
                left: count,
            }),
            PT_BYE => {
                let ssrcs = body
                    .get(..usize::from(count) * 4)
                    .ok_or(RtcpError::BadCount(count))?;
                RtcpPacket::Bye { ssrcs }
            }
            PT_PSFB if count == FMT_PLI || count == FMT_FIR => {
                // Common feedback header: sender SSRC, media source SSRC (RFC 4585 §6.1).
                let (Some(sender), Some(media)) = (body.get(0..4), body.get(4..8)) else {
                    return Err(RtcpError::Truncated);
                };
                let (sender, media) = (Ssrc(be32(sender)), Ssrc(be32(media)));
                if count == FMT_PLI {
                    RtcpPacket::Pli { sender, media }
                } else {
                    // RFC 5104: the media SSRC field is unused (0); the FCI holds the entries.
                    let fci = &body[8..];
                    let entries = &fci[..fci.len() - fci.len() % FIR_ENTRY_LEN];
                    RtcpPacket::Fir { sender, entries }
                }
            }
            pt => RtcpPacket::Other { pt },
        })
    }
}

/// Big-endian u32 from a slice of at least 4 bytes (callers slice exactly 4).
fn be32(b: &[u8]) -> u32 {
    match b {
        [a, b, c, d, ..] => u32::from_be_bytes([*a, *b, *c, *d]),
        _ => 0,
    }
}

/// Writes a PLI from `sender` about `media`'s stream (12 bytes; RFC 4585 §6.3.1). Send it in a
/// compound packet after a report, or alone where reduced-size RTCP was negotiated (RFC 5506).
pub fn write_pli(buf: &mut [u8], sender: Ssrc, media: Ssrc) -> Result<usize, RtcpError> {
    let out = buf.get_mut(..12).ok_or(RtcpError::BufferTooSmall)?;
    out[0] = 0x80 | FMT_PLI;
    out[1] = PT_PSFB;
    out[2..4].copy_from_slice(&2u16.to_be_bytes());
    out[4..8].copy_from_slice(&sender.0.to_be_bytes());
    out[8..12].copy_from_slice(&media.0.to_be_bytes());
    Ok(12)
}

/// Writes a FIR from `sender` asking `media` for a key frame, with the request's sequence number
/// (increase it for each new request, keep it for a repetition; RFC 5104 §4.3.1). 20 bytes.
pub fn write_fir(buf: &mut [u8], sender: Ssrc, media: Ssrc, seq: u8) -> Result<usize, RtcpError> {
    let out = buf.get_mut(..20).ok_or(RtcpError::BufferTooSmall)?;
    out[0] = 0x80 | FMT_FIR;
    out[1] = PT_PSFB;
    out[2..4].copy_from_slice(&4u16.to_be_bytes());
    out[4..8].copy_from_slice(&sender.0.to_be_bytes());
    out[8..12].fill(0);
    out[12..16].copy_from_slice(&media.0.to_be_bytes());
    out[16] = seq;
    out[17..20].fill(0);
    Ok(20)
}

/// Writes a compound SR (with up to 31 report blocks) followed by an SDES with one CNAME
/// (RFC 3550 §6.1: every compound packet carries a CNAME). Returns the length written.
pub fn write_sr(
    buf: &mut [u8],
    info: &SenderInfo,
    blocks: &[ReportBlock],
    cname: &[u8],
) -> Result<usize, RtcpError> {
    write_report(buf, info.ssrc, Some(info), blocks, cname)
}

/// Writes a compound RR from `ssrc` (with up to 31 report blocks) followed by an SDES with its
/// CNAME: the report of a participant that sent no media lately (RFC 3550 §6.4.2). Returns the
/// length written.
pub fn write_rr(
    buf: &mut [u8],
    ssrc: Ssrc,
    blocks: &[ReportBlock],
    cname: &[u8],
) -> Result<usize, RtcpError> {
    write_report(buf, ssrc, None, blocks, cname)
}

/// An SR (with `sender`) or an RR (without), its blocks, then the SDES CNAME of `ssrc`.
fn write_report(
    buf: &mut [u8],
    ssrc: Ssrc,
    sender: Option<&SenderInfo>,
    blocks: &[ReportBlock],
    cname: &[u8],
) -> Result<usize, RtcpError> {
    let blocks = &blocks[..blocks.len().min(31)];
    let cname = &cname[..cname.len().min(255)];
    // Header and reporter's SSRC, then the 20 bytes of sender info in an SR.
    let fixed = if sender.is_some() { 28 } else { 8 };
    let report_len = fixed + BLOCK_LEN * blocks.len();
    let sdes_len = sdes_len(cname);
    let out = buf
        .get_mut(..report_len + sdes_len)
        .ok_or(RtcpError::BufferTooSmall)?;
    out.fill(0);
    out[0] = 0x80 | blocks.len() as u8;
    out[1] = if sender.is_some() { PT_SR } else { PT_RR };
    out[2..4].copy_from_slice(&((report_len / 4 - 1) as u16).to_be_bytes());
    out[4..8].copy_from_slice(&ssrc.0.to_be_bytes());
    if let Some(info) = sender {
        out[8..16].copy_from_slice(&info.ntp.0.to_be_bytes());
        out[16..20].copy_from_slice(&info.rtp_ts.to_be_bytes());
        out[20..24].copy_from_slice(&info.packets.to_be_bytes());
        out[24..28].copy_from_slice(&info.octets.to_be_bytes());
    }
    write_blocks(&mut out[fixed..report_len], blocks);
    write_sdes(&mut out[report_len..], ssrc, cname);
    Ok(report_len + sdes_len)
}

/// Writes report blocks into `out` (exactly `BLOCK_LEN` bytes each).
fn write_blocks(out: &mut [u8], blocks: &[ReportBlock]) {
    for (block, chunk) in blocks.iter().zip(out.chunks_exact_mut(BLOCK_LEN)) {
        chunk[0..4].copy_from_slice(&block.ssrc.0.to_be_bytes());
        // Clamp to the 24-bit signed range before truncating.
        let lost = block.cumulative_lost.clamp(-0x80_0000, 0x7F_FFFF);
        chunk[4..8].copy_from_slice(&lost.to_be_bytes());
        chunk[4] = block.fraction_lost;
        chunk[8..12].copy_from_slice(&block.highest_seq.to_be_bytes());
        chunk[12..16].copy_from_slice(&block.jitter.to_be_bytes());
        chunk[16..20].copy_from_slice(&block.lsr.to_be_bytes());
        chunk[20..24].copy_from_slice(&block.dlsr.to_be_bytes());
    }
}

/// The round-trip time a report block about our stream gives when it arrives at wall-clock
/// time `now` (RFC 3550 §6.4.1: A − LSR − DLSR), in 1/65536 s. `None` when the block carries no
/// LSR (the peer had no SR from us yet) or the result is negative or absurd (over 16 s: a clock
/// step or a bogus LSR wraps it huge).
pub fn round_trip(now: NtpTime, block: &ReportBlock) -> Option<u32> {
    if block.lsr == 0 {
        return None;
    }
    let rtt = now
        .middle32()
        .wrapping_sub(block.lsr)
        .wrapping_sub(block.dlsr);
    (rtt < 1 << 20).then_some(rtt)
}

/// Bytes of an SDES packet with one CNAME chunk (header, SSRC, item, terminator, padding).
fn sdes_len(cname: &[u8]) -> usize {
    (8 + 2 + cname.len() + 1).div_ceil(4) * 4
}

/// Writes an SDES packet with one CNAME chunk into `out` (zeroed, exactly `sdes_len` long).
fn write_sdes(out: &mut [u8], ssrc: Ssrc, cname: &[u8]) {
    let len = out.len();
    out[0] = 0x81;
    out[1] = PT_SDES;
    out[2..4].copy_from_slice(&((len / 4 - 1) as u16).to_be_bytes());
    out[4..8].copy_from_slice(&ssrc.0.to_be_bytes());
    out[8] = SDES_CNAME;
    out[9] = cname.len() as u8;
    out[10..10 + cname.len()].copy_from_slice(cname);
}

/// Writes the head of a compound packet for a receiver that sends nothing on the stream: an
/// empty receiver report and an SDES CNAME (RFC 3550 §6.1). Feedback (PLI, FIR) goes after it,
/// since RFC 4585 §3.1 sends feedback in compound packets unless reduced-size RTCP was agreed.
/// Returns the length written.
pub fn write_rr_sdes(buf: &mut [u8], ssrc: Ssrc, cname: &[u8]) -> Result<usize, RtcpError> {
    write_rr(buf, ssrc, &[], cname)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block() -> ReportBlock {
        ReportBlock {
            ssrc: Ssrc(0xAABB_CCDD),
            fraction_lost: 64,
            cumulative_lost: -3,
            highest_seq: 0x0001_0005,
            jitter: 17,
            lsr: 0x1234_5678,
            dlsr: 65536,
        }
    }

    #[test]
    fn sr_sdes_round_trip() {
        let info = SenderInfo {
            ssrc: Ssrc(7),
            ntp: NtpTime(0x1122_3344_5566_7788),
            rtp_ts: 160,
            packets: 10,
            octets: 1600,
        };
        let mut buf = [0u8; 256];
        let n = write_sr(&mut buf, &info, &[block()], b"pont@bridge").unwrap();
        assert_eq!(n % 4, 0);
        let packets: Vec<_> = parse(&buf[..n]).collect::<Result<_, _>>().unwrap();
        assert_eq!(packets.len(), 2);
        let RtcpPacket::SenderReport { info: got, blocks } = packets[0] else {
            panic!("not an SR: {:?}", packets[0]);
        };
        assert_eq!(got, info);
        assert_eq!(blocks.collect::<Vec<_>>(), vec![block()]);
        let RtcpPacket::Sdes(chunks) = packets[1] else {
            panic!("not SDES");
        };
        assert_eq!(
            chunks.collect::<Vec<_>>(),
            vec![(Ssrc(7), Some(&b"pont@bridge"[..]))]
        );
    }

    #[test]
    fn rr_sdes_then_pli_is_a_valid_compound() {
        let mut buf = [0u8; 128];
        let n = write_rr_sdes(&mut buf, Ssrc(5), b"pont").unwrap();
        let m = write_pli(&mut buf[n..], Ssrc(5), Ssrc(77)).unwrap();
        let packets: Vec<_> = parse(&buf[..n + m]).collect::<Result<_, _>>().unwrap();
        assert!(
            matches!(packets[0], RtcpPacket::ReceiverReport { ssrc: Ssrc(5), blocks } if blocks.count() == 0)
        );
        let RtcpPacket::Sdes(chunks) = packets[1] else {
            panic!("not SDES: {:?}", packets[1]);
        };
        assert_eq!(
            chunks.collect::<Vec<_>>(),
            vec![(Ssrc(5), Some(&b"pont"[..]))]
        );
        assert_eq!(
            packets[2],
            RtcpPacket::Pli {
                sender: Ssrc(5),
                media: Ssrc(77)
            }
        );
        assert_eq!(packets.len(), 3);
    }

    #[test]
    fn rr_with_a_block_round_trip() {
        let mut buf = [0u8; 128];
        let n = write_rr(&mut buf, Ssrc(9), &[block()], b"pont").unwrap();
        assert_eq!(n, 8 + 24 + 16);
        let packets: Vec<_> = parse(&buf[..n]).collect::<Result<_, _>>().unwrap();
        assert_eq!(packets.len(), 2);
        let RtcpPacket::ReceiverReport { ssrc, blocks } = packets[0] else {
            panic!("not an RR: {:?}", packets[0]);
        };
        assert_eq!(ssrc, Ssrc(9));
        assert_eq!(blocks.collect::<Vec<_>>(), vec![block()]);
        assert!(matches!(packets[1], RtcpPacket::Sdes(_)));
        assert_eq!(
            write_rr(&mut [0u8; 47], Ssrc(9), &[block()], b"pont"),
            Err(RtcpError::BufferTooSmall)
        );
    }

    #[test]
    fn round_trip_from_lsr_and_dlsr() {
        // Our SR left at 10 s; the peer held it 0.25 s; its report arrives at 10.75 s: 0.5 s.
        let sent = NtpTime(10 << 32);
        let b = ReportBlock {
            lsr: sent.middle32(),
            dlsr: 65536 / 4,
            ..block()
        };
        let arrived = sent.plus(std::time::Duration::from_millis(750));
        assert_eq!(round_trip(arrived, &b), Some(65536 / 2));
        // No LSR: no RTT; a report older than its own delay (clock step): none either.
        assert_eq!(round_trip(arrived, &ReportBlock { lsr: 0, ..b }), None);
        assert_eq!(round_trip(sent, &b), None);
    }

    #[test]
    fn rr_bye_and_unknown() {
        // RR with no block, an APP packet (skipped), a BYE of two sources.
        let data = [
            0x80, 201, 0, 1, 0, 0, 0, 9, //
            0x80, 204, 0, 2, 0, 0, 0, 9, b'n', b'a', b'm', b'e', //
            0x82, 203, 0, 2, 0, 0, 0, 9, 0, 0, 0, 10,
        ];
        let packets: Vec<_> = parse(&data).collect::<Result<_, _>>().unwrap();
        assert!(
            matches!(packets[0], RtcpPacket::ReceiverReport { ssrc: Ssrc(9), blocks } if blocks.count() == 0)
        );
        assert_eq!(packets[1], RtcpPacket::Other { pt: 204 });
        let RtcpPacket::Bye { ssrcs } = packets[2] else {
            panic!()
        };
        assert_eq!(bye_ssrcs(ssrcs).collect::<Vec<_>>(), [Ssrc(9), Ssrc(10)]);
    }

    #[test]
    fn malformed() {
        assert_eq!(parse(&[0x80, 200]).next(), Some(Err(RtcpError::Truncated)));
        assert_eq!(
            parse(&[0x40, 200, 0, 0]).next(),
            Some(Err(RtcpError::BadVersion(1)))
        );
        assert_eq!(
            parse(&[0x80, 200, 0, 6, 0, 0, 0, 0]).next(),
            Some(Err(RtcpError::BadLength(6)))
        );
        // An RR claiming two blocks in an 8-byte packet.
        assert_eq!(
            parse(&[0x82, 201, 0, 1, 0, 0, 0, 1]).next(),
            Some(Err(RtcpError::BadCount(2)))
        );
        // An SR too short for its sender info.
        assert_eq!(
            parse(&[0x80, 200, 0, 1, 0, 0, 0, 1]).next(),
            Some(Err(RtcpError::Truncated))
        );
        // A truncated SDES item ends the iteration without panicking.
        let sdes = [0x81, 202, 0, 2, 0, 0, 0, 1, 1, 9, b'x', 0];
        let Some(Ok(RtcpPacket::Sdes(c))) = parse(&sdes).next() else {
            panic!()
        };
        assert_eq!(c.count(), 0);
    }

    #[test]
    fn ntp_from_system_time() {
        let t = UNIX_EPOCH + std::time::Duration::from_millis(1500);
        let ntp = NtpTime::from_system_time(t);
        assert_eq!(ntp.0 >> 32, NTP_UNIX_OFFSET + 1);
        assert_eq!(ntp.0 as u32, 1 << 31);
        assert_eq!(
            ntp.middle32(),
            ((NTP_UNIX_OFFSET + 1) as u32) << 16 | 0x8000
        );
        let later = ntp.plus(std::time::Duration::from_millis(500));
        assert_eq!(later.0 >> 32, NTP_UNIX_OFFSET + 2);
    }

    #[test]
    fn pli_and_fir_round_trip() {
        let mut buf = [0u8; 64];
        let n = write_pli(&mut buf, Ssrc(0x1111), Ssrc(0x2222)).unwrap();
        let m = write_fir(&mut buf[n..], Ssrc(0x1111), Ssrc(0x3333), 7).unwrap();
        let packets: Vec<_> = parse(&buf[..n + m]).collect();
        assert_eq!(
            packets[0],
            Ok(RtcpPacket::Pli {
                sender: Ssrc(0x1111),
                media: Ssrc(0x2222)
            })
        );
        let Ok(RtcpPacket::Fir { sender, entries }) = packets[1] else {
            panic!("{:?}", packets[1]);
        };
        assert_eq!(sender, Ssrc(0x1111));
        assert_eq!(
            fir_entries(entries).collect::<Vec<_>>(),
            [(Ssrc(0x3333), 7)]
        );
        assert_eq!(packets.len(), 2);
    }

    #[test]
    fn feedback_edges() {
        // A PLI too short for its two SSRCs is an error; other PSFB types (REMB, FMT 15) and
        // RTPFB (NACK, 205) are skipped.
        let short = [0x81, 206, 0, 1, 0, 0, 0, 1];
        assert_eq!(parse(&short).next(), Some(Err(RtcpError::Truncated)));
        let remb = [0x8F, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0];
        assert_eq!(parse(&remb).next(), Some(Ok(RtcpPacket::Other { pt: 206 })));
        let nack = [0x81, 205, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 5, 0, 0];
        assert_eq!(parse(&nack).next(), Some(Ok(RtcpPacket::Other { pt: 205 })));
        // A FIR with a trailing partial entry keeps only whole entries; small buffers refuse.
        let mut fir = [0u8; 24];
        write_fir(&mut fir, Ssrc(1), Ssrc(2), 9).unwrap();
        fir[3] = 5; // 24 bytes: one entry and 4 stray bytes
        let Some(Ok(RtcpPacket::Fir { entries, .. })) = parse(&fir).next() else {
            panic!();
        };
        assert_eq!(fir_entries(entries).count(), 1);
        assert_eq!(
            write_pli(&mut [0u8; 11], Ssrc(1), Ssrc(2)),
            Err(RtcpError::BufferTooSmall)
        );
        assert_eq!(
            write_fir(&mut [0u8; 19], Ssrc(1), Ssrc(2), 0),
            Err(RtcpError::BufferTooSmall)
        );
    }
}
