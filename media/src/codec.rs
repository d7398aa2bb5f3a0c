//! The audio codecs a leg may use — G.711 µ-law and A-law, G.722, Opus — behind one decoder and
//! one encoder type, so the engine and the mixer treat every leg alike.
//!
//! Each codec has a *sample rate* (the rate of the PCM it decodes to and encodes from: 8, 16 or
//! 48 kHz) and an *RTP clock rate* (the unit of RTP timestamps). They differ for G.722, which
//! samples at 16 kHz but keeps the 8000 Hz RTP clock for historical reasons (RFC 3551 §4.5.2): one
//! payload byte is still one timestamp unit. Opus always uses a 48000 Hz clock (RFC 7587 §4.1).

use crate::g711::Law;
use crate::g722::{G722Decoder, G722Encoder};
use crate::opus::{CodecError, OpusDecoder, OpusEncoder, OpusParams};

/// The audio codecs the engine speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AudioCodec {
    /// G.711 µ-law, 8 kHz.
    Pcmu,
    /// G.711 A-law, 8 kHz.
    Pcma,
    /// G.722 at 64 kbit/s, 16 kHz audio on an 8000 Hz RTP clock.
    G722,
    /// Opus, 48 kHz mono (RFC 7587).
    Opus,
}

impl AudioCodec {
    /// The sample rate of its PCM.
    pub fn sample_rate(self) -> u32 {
        match self {
            AudioCodec::Pcmu | AudioCodec::Pcma => 8000,
            AudioCodec::G722 => 16_000,
            AudioCodec::Opus => 48_000,
        }
    }

    /// Its RTP timestamp rate.
    pub fn clock_rate(self) -> u32 {
        match self {
            AudioCodec::Pcmu | AudioCodec::Pcma | AudioCodec::G722 => 8000,
            AudioCodec::Opus => 48_000,
        }
    }

    /// PCM samples in one 20 ms frame.
    pub fn frame_samples(self) -> usize {
        self.sample_rate() as usize / 50
    }

    /// RTP timestamp units in one 20 ms frame.
    pub fn frame_units(self) -> u32 {
        self.clock_rate() / 50
    }

    /// Whether a payload is cut by bytes (one byte per timestamp unit: G.711, G.722) rather than
    /// played as whole packets (Opus).
    pub fn byte_framed(self) -> bool {
        !matches!(self, AudioCodec::Opus)
    }

    /// The G.711 law, for the two G.711 codecs.
    pub fn law(self) -> Option<Law> {
        match self {
            AudioCodec::Pcmu => Some(Law::Ulaw),
            AudioCodec::Pcma => Some(Law::Alaw),
            AudioCodec::G722 | AudioCodec::Opus => None,
        }
    }

    /// Its encoding name as in `a=rtpmap`.
    pub fn name(self) -> &'static str {
        match self {
            AudioCodec::Pcmu => "PCMU",
            AudioCodec::Pcma => "PCMA",
            AudioCodec::G722 => "G722",
            AudioCodec::Opus => "opus",
        }
    }
}

/// What identifies an encoded stream: listeners whose keys are equal can be sent the same bytes
/// (the same codec, and for Opus the same receiver parameters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncoderKey {
    /// The codec.
    pub codec: AudioCodec,
    /// The receiver's Opus parameters (`None` for the other codecs).
    pub opus: Option<OpusParams>,
}

impl EncoderKey {
    /// The key of a leg using `codec` with the peer's `fmtp` (only read for Opus).
    pub fn new(codec: AudioCodec, fmtp: Option<&str>) -> Self {
        let opus = (codec == AudioCodec::Opus).then(|| OpusParams::parse(fmtp.unwrap_or("")));
        Self { codec, opus }
    }
}

/// A leg's decoder. A decoder that libopus could not create (never seen: it only fails on bad
/// constant arguments or no memory) decodes to silence rather than failing the call.
#[derive(Debug)]
pub(crate) enum Decoder {
    G711(Law),
    G722(Box<G722Decoder>),
    Opus(Box<OpusDecoder>),
    Unavailable,
}

impl Decoder {
    pub(crate) fn new(codec: AudioCodec) -> Decoder {
        match codec {
            AudioCodec::Pcmu => Decoder::G711(Law::Ulaw),
            AudioCodec::Pcma => Decoder::G711(Law::Alaw),
            AudioCodec::G722 => Decoder::G722(Box::default()),
            AudioCodec::Opus => match OpusDecoder::new() {
                Ok(d) => Decoder::Opus(Box::new(d)),
                Err(_) => Decoder::Unavailable,
            },
        }
    }

    /// Decodes `payload`, appending its samples (at the codec's rate) to `out`.
    pub(crate) fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), CodecError> {
        match self {
            Decoder::G711(law) => {
                let start = out.len();
                out.resize(start + payload.len(), 0);
                law.decode(payload, &mut out[start..]);
            }
            Decoder::G722(d) => d.decode(payload, out),
            Decoder::Opus(d) => {
                d.decode(payload, out)?;
            }
            Decoder::Unavailable => return Err(CodecError::InvalidPacket),
        }
        Ok(())
    }

    /// Whether the codec conceals losses itself ([`Decoder::conceal`]); otherwise the mixer
    /// repeats the last frame with a fade.
    pub(crate) fn has_plc(&self) -> bool {
        matches!(self, Decoder::Opus(_))
    }

    /// Forgets the stream's past (Opus; the other decoders need not: G.711 has none, and G.722
    /// packets are never skipped).
    pub(crate) fn reset(&mut self) {
        if let Decoder::Opus(d) = self {
            d.reset();
        }
    }

    /// Appends one 20 ms frame of the codec's own loss concealment (Opus PLC).
    pub(crate) fn conceal(&mut self, out: &mut Vec<i16>) -> Result<(), CodecError> {
        match self {
            Decoder::Opus(d) => d.conceal(out).map(|_| ()),
            _ => Err(CodecError::InvalidPacket),
        }
    }

    /// Appends the frame before `next` recovered from `next`'s in-band FEC (Opus), or concealed
    /// when `next` carries none.
    pub(crate) fn decode_fec(&mut self, next: &[u8], out: &mut Vec<i16>) -> Result<(), CodecError> {
        match self {
            Decoder::Opus(d) => d.decode_fec(next, out).map(|_| ()),
            _ => Err(CodecError::InvalidPacket),
        }
    }
}

/// A leg's (or a shared mix's) encoder.
#[derive(Debug)]
pub(crate) enum Encoder {
    G711(Law),
    G722(Box<G722Encoder>),
    Opus(Box<OpusEncoder>),
    Unavailable,
}

impl Encoder {
    pub(crate) fn new(key: &EncoderKey) -> Encoder {
        match key.codec {
            AudioCodec::Pcmu => Encoder::G711(Law::Ulaw),
            AudioCodec::Pcma => Encoder::G711(Law::Alaw),
            AudioCodec::G722 => Encoder::G722(Box::default()),
            AudioCodec::Opus => {
                let params = key.opus.clone().unwrap_or_default();
                match OpusEncoder::new(&params) {
                    Ok(e) => Encoder::Opus(Box::new(e)),
                    Err(_) => Encoder::Unavailable,
                }
            }
        }
    }

    /// Sets the Opus encoder's complexity (0–10); nothing for the other codecs.
    /// Forgets the audio encoded so far (settings kept): for an encoder that resumes after
    /// ticks in which it did not run, whose state is then another moment's audio.
    pub(crate) fn reset(&mut self) {
        match self {
            Encoder::Opus(e) => e.reset(),
            Encoder::G722(e) => **e = G722Encoder::default(),
            Encoder::G711(_) | Encoder::Unavailable => {}
        }
    }

    pub(crate) fn set_complexity(&mut self, complexity: u8) {
        if let Encoder::Opus(e) = self {
            // Only fails for a value out of range, which `min` rules out.
            let _ = e.set_complexity(complexity.min(10));
        }
    }

    /// Encodes one 20 ms frame at the codec's rate into `out` (replacing its contents). Returns
    /// false when nothing could be encoded (the frame is then not sent).
    pub(crate) fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> bool {
        out.clear();
        match self {
            Encoder::G711(law) => {
                out.resize(pcm.len(), 0);
                law.encode(pcm, out);
                true
            }
            Encoder::G722(e) => {
                e.encode(pcm, out);
                true
            }
            Encoder::Opus(e) => e.encode(pcm, out).is_ok(),
            Encoder::Unavailable => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_frames() {
        assert_eq!(AudioCodec::G722.frame_samples(), 320);
        assert_eq!(AudioCodec::G722.frame_units(), 160);
        assert_eq!(AudioCodec::Opus.frame_samples(), 960);
        assert_eq!(AudioCodec::Opus.frame_units(), 960);
        assert_eq!(AudioCodec::Pcma.frame_samples(), 160);
        assert!(AudioCodec::G722.byte_framed() && !AudioCodec::Opus.byte_framed());
    }

    #[test]
    fn every_codec_round_trips_a_frame() {
        for codec in [
            AudioCodec::Pcmu,
            AudioCodec::Pcma,
            AudioCodec::G722,
            AudioCodec::Opus,
        ] {
            let key = EncoderKey::new(codec, None);
            let mut enc = Encoder::new(&key);
            let mut dec = Decoder::new(codec);
            let n = codec.frame_samples();
            let rate = codec.sample_rate() as f64;
            let mut bytes = Vec::new();
            let mut pcm = Vec::new();
            // A few frames of a 440 Hz tone, so the adaptive codecs settle.
            for f in 0..10 {
                let frame: Vec<i16> = (0..n)
                    .map(|i| {
                        let t = (f * n + i) as f64 / rate;
                        (8000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()) as i16
                    })
                    .collect();
                assert!(enc.encode(&frame, &mut bytes), "{codec:?}");
                pcm.clear();
                dec.decode(&bytes, &mut pcm).unwrap();
                assert_eq!(pcm.len(), n, "{codec:?}");
            }
            let rms = (crate::talk::mean_square(&pcm) as f64).sqrt();
            assert!((4500.0..7000.0).contains(&rms), "{codec:?}: rms {rms}");
        }
    }
}
