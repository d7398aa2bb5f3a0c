//! A minimal Ogg Opus writer (RFC 3533 pages, RFC 7845 headers), so that a third-party decoder
//! (ffmpeg) can decode the Opus packets a scripted phone received. One packet per page; mono;
//! every packet taken as 20 ms (what the bridge sends).

/// Samples of one 20 ms packet at 48 kHz.
const PACKET_SAMPLES: u64 = 960;
/// The encoder delay the decoder drops at the start (RFC 7845 §4.2; libopus's 6.5 ms).
pub const PRE_SKIP: u16 = 312;
/// Our stream's serial number.
const SERIAL: u32 = 0x504F_4E54;

/// An Ogg Opus file holding `packets` in order.
pub fn opus_file(packets: &[Vec<u8>]) -> Vec<u8> {
    let mut head = b"OpusHead".to_vec();
    head.push(1); // version
    head.push(1); // channels
    head.extend_from_slice(&PRE_SKIP.to_le_bytes());
    head.extend_from_slice(&48_000u32.to_le_bytes()); // input rate, informative
    head.extend_from_slice(&0i16.to_le_bytes()); // output gain
    head.push(0); // mapping family 0: mono or stereo, no table
    let vendor = b"pont tests";
    let mut tags = b"OpusTags".to_vec();
    tags.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
    tags.extend_from_slice(vendor);
    tags.extend_from_slice(&0u32.to_le_bytes()); // no user comments

    let mut out = Vec::new();
    let mut sequence = 0;
    page(&mut out, 0x02, 0, sequence, &head);
    sequence += 1;
    page(&mut out, 0x00, 0, sequence, &tags);
    let mut granule = 0;
    for (i, p) in packets.iter().enumerate() {
        sequence += 1;
        granule += PACKET_SAMPLES;
        let last = i + 1 == packets.len();
        page(&mut out, if last { 0x04 } else { 0 }, granule, sequence, p);
    }
    out
}

/// Appends one page holding one whole packet.
fn page(out: &mut Vec<u8>, flags: u8, granule: u64, sequence: u32, packet: &[u8]) {
    assert!(
        packet.len() < 255 * 255,
        "one page holds at most 64 770 bytes"
    );
    let start = out.len();
    out.extend_from_slice(b"OggS");
    out.push(0); // version
    out.push(flags);
    out.extend_from_slice(&granule.to_le_bytes());
    out.extend_from_slice(&SERIAL.to_le_bytes());
    out.extend_from_slice(&sequence.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // CRC, filled below
                                    // Lacing: 255 for each full 255 bytes, then the remainder (0 when it divides evenly).
    let lacing: Vec<u8> = std::iter::repeat_n(255u8, packet.len() / 255)
        .chain(std::iter::once((packet.len() % 255) as u8))
        .collect();
    out.push(lacing.len() as u8);
    out.extend_from_slice(&lacing);
    out.extend_from_slice(packet);
    let crc = crc32(&out[start..]);
    out[start + 22..start + 26].copy_from_slice(&crc.to_le_bytes());
}

/// Ogg's CRC-32: polynomial 0x04C11DB7, initial 0, no reflection, no final XOR.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0u32;
    for &b in data {
        crc ^= u32::from(b) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04C1_1DB7
            } else {
                crc << 1
            };
        }
    }
    crc
}
