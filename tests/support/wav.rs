//! A reader of the RIFF/WAVE files the clients record (16-bit PCM), written here because the
//! `pont` package has no WAV crate among its test dependencies.

/// A WAV file's audio: the first channel's samples and the sample rate.
#[derive(Debug, Clone)]
pub struct Wav {
    /// Samples per second.
    pub rate: u32,
    /// Channels in the file (only the first is kept).
    pub channels: u16,
    /// The first channel.
    pub samples: Vec<i16>,
}

/// Parse a 16-bit PCM WAV; `Err` says what is wrong with it.
pub fn parse(bytes: &[u8]) -> Result<Wav, String> {
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err("not a RIFF/WAVE file".into());
    }
    let u16_at = |b: &[u8], i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
    let u32_at = |b: &[u8], i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let mut at = 12;
    let mut format = None;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let declared = u32_at(bytes, at + 4) as usize;
        let body = &bytes[at + 8..bytes.len().min(at + 8 + declared)];
        match id {
            b"fmt " if body.len() >= 16 => {
                let tag = u16_at(body, 0);
                let bits = u16_at(body, 14);
                if !(tag == 1 || tag == 0xfffe) || bits != 16 {
                    return Err(format!("format tag {tag}, {bits} bits: not 16-bit PCM"));
                }
                format = Some((u16_at(body, 2), u32_at(body, 4)));
            }
            b"data" => {
                let (channels, rate) = format.ok_or("data before fmt")?;
                // A recorder killed before it finishes leaves a size of 0 or too large: take
                // what is there.
                let body = if declared == 0 {
                    &bytes[at + 8..]
                } else {
                    body
                };
                let frame = 2 * usize::from(channels.max(1));
                let samples = body
                    .chunks_exact(frame)
                    .map(|f| i16::from_le_bytes([f[0], f[1]]))
                    .collect();
                return Ok(Wav {
                    rate,
                    channels,
                    samples,
                });
            }
            _ => {}
        }
        at += 8 + declared + (declared & 1);
    }
    Err("no data chunk".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stereo_pcm() {
        let mut b = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
        b.extend_from_slice(&16u32.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&2u16.to_le_bytes());
        b.extend_from_slice(&8000u32.to_le_bytes());
        b.extend_from_slice(&32000u32.to_le_bytes());
        b.extend_from_slice(&4u16.to_le_bytes());
        b.extend_from_slice(&16u16.to_le_bytes());
        b.extend_from_slice(b"data");
        b.extend_from_slice(&8u32.to_le_bytes());
        for s in [1i16, -1, 2, -2] {
            b.extend_from_slice(&s.to_le_bytes());
        }
        let w = parse(&b).unwrap();
        assert_eq!((w.rate, w.channels), (8000, 2));
        assert_eq!(w.samples, vec![1, 2]);
        assert!(parse(b"RIFX").is_err());
    }
}
