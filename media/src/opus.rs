//! Opus (RFC 6716) for RTP (RFC 7587): the SDP `fmtp` parameters, and a mono 20 ms encoder and
//! decoder over the system libopus (through the `audiopus` crate), with packet loss concealment
//! and in-band FEC recovery.
//!
//! Why 48 kHz inside: libopus always works at 48 kHz internally and resamples anything else at its
//! edges, so a 48 kHz mix is fed to it as is; the bridge's wideband mixer runs at 48 kHz when an
//! Opus leg is present, and a frame is then 960 samples.
//!
//! RTP clock: RFC 7587 §4.1 fixes the RTP timestamp rate of Opus at 48000 whatever audio
//! bandwidth the encoder actually uses (narrowband to fullband can change from packet to packet),
//! so a 20 ms packet always advances the timestamp by 960.
//!
//! SDP: the rtpmap is always `opus/48000/2` (RFC 7587 §7), even for a mono stream: the `/2` only
//! says that the decoder must be able to downmix stereo packets, which libopus does. Whether we
//! *send* stereo is the fmtp's business (`stereo`, `sprop-stereo`); the bridge sends mono.

use audiopus::coder::{Decoder, Encoder, GenericCtl};
use audiopus::packet::Packet;
use audiopus::{Application, Bandwidth, Bitrate, Channels, ErrorCode, MutSignals, SampleRate};
use audiopus::{Error as LibError, Signal};

/// The codec's sample rate, and the RTP clock rate of Opus (RFC 7587 §4.1).
pub const SAMPLE_RATE: u32 = 48_000;
/// Samples in one 20 ms frame at 48 kHz mono: what the encoder takes and concealment yields.
pub const FRAME_SAMPLES: usize = 960;
/// The longest frame a packet may carry (120 ms at 48 kHz, RFC 6716 §3.2.1).
const MAX_PACKET_SAMPLES: usize = 5760;
/// The largest packet we let the encoder write; RFC 6716 caps one frame at 1275 bytes.
const MAX_PACKET_BYTES: usize = 1500;
/// Encoder complexity (0–10) unless the bridge is configured otherwise: the encoder is where an
/// Opus conference spends its time (see BENCHMARKS.md), and below 5 the saving is large while
/// speech stays clean (the analysis that lower settings simplify matters most for music).
pub const DEFAULT_COMPLEXITY: u8 = 5;
/// Bit rate when the offer gives no `maxaveragebitrate`: wideband speech is transparent here.
pub const DEFAULT_BITRATE: u32 = 32_000;
/// Ceiling for mono speech: above this libopus gains nothing audible, so a receiver's generous
/// `maxaveragebitrate` (up to 510 kbit/s) is not taken literally.
pub const MAX_MONO_BITRATE: u32 = 64_000;
/// Expected loss the encoder plans FEC for until RTCP tells us better: libopus only spends bits on
/// in-band FEC when this is non-zero.
pub const DEFAULT_LOSS_PERCENT: u8 = 10;

/// What can go wrong when encoding or decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// The encoder was given a frame that is not 20 ms (960 samples) long.
    #[error("an Opus frame is {FRAME_SAMPLES} samples, got {0}")]
    FrameSize(usize),
    /// The packet is empty or not valid Opus (corrupt, truncated or not Opus at all); conceal it.
    #[error("invalid Opus packet")]
    InvalidPacket,
    /// libopus refused a call for another reason (bad argument, internal error, allocation).
    #[error("libopus: {0}")]
    Library(LibError),
}

impl From<LibError> for CodecError {
    fn from(e: LibError) -> Self {
        match e {
            LibError::Opus(ErrorCode::InvalidPacket)
            | LibError::EmptyPacket
            | LibError::PacketTooLarge => CodecError::InvalidPacket,
            other => CodecError::Library(other),
        }
    }
}

/// The Opus format parameters of an SDP `a=fmtp` line (RFC 7587 §6.1), each one the default when
/// it is absent or its value is not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpusParams {
    /// Highest sample rate the receiver wants to play (`maxplaybackrate`, 8000–48000).
    pub max_playback_rate: u32,
    /// Highest sample rate the sender captures at (`sprop-maxcapturerate`, 8000–48000).
    pub sprop_max_capture_rate: u32,
    /// Highest average bit rate the receiver wants (`maxaveragebitrate`, 6000–510000 bit/s).
    pub max_average_bitrate: Option<u32>,
    /// The receiver prefers stereo (`stereo=1`); mono by default.
    pub stereo: bool,
    /// The sender is likely to send stereo (`sprop-stereo=1`).
    pub sprop_stereo: bool,
    /// The receiver prefers constant bit rate (`cbr=1`).
    pub cbr: bool,
    /// The receiver can use in-band FEC (`useinbandfec`). On unless `useinbandfec=0`: RFC 7587
    /// assumes 0 when absent, but every libopus decoder can use it and it costs little, so we
    /// only leave it out when asked to.
    pub use_inband_fec: bool,
    /// The receiver prefers discontinuous transmission in silence (`usedtx=1`); off unless offered.
    pub use_dtx: bool,
    /// Packet duration the receiver prefers, in ms (`ptime`, as some peers put it in the fmtp).
    pub ptime: Option<u32>,
    /// Shortest packet duration the receiver accepts, in ms (`minptime`).
    pub minptime: Option<u32>,
}

impl Default for OpusParams {
    fn default() -> Self {
        OpusParams {
            max_playback_rate: SAMPLE_RATE,
            sprop_max_capture_rate: SAMPLE_RATE,
            max_average_bitrate: None,
            stereo: false,
            sprop_stereo: false,
            cbr: false,
            use_inband_fec: true,
            use_dtx: false,
            ptime: None,
            minptime: None,
        }
    }
}

impl OpusParams {
    /// Parses the parameters of an `a=fmtp:<pt> ` line (without that prefix), e.g.
    /// `minptime=10;useinbandfec=1`. Unknown keys are ignored and a bad value leaves its default:
    /// a peer's odd fmtp must not cost the call.
    pub fn parse(fmtp: &str) -> OpusParams {
        let mut p = OpusParams::default();
        for item in fmtp.split(';') {
            let Some((key, value)) = item.split_once('=') else {
                continue;
            };
            let value = value.trim();
            match key.trim().to_ascii_lowercase().as_str() {
                "maxplaybackrate" => set_num(&mut p.max_playback_rate, value, 8000, 48_000),
                "sprop-maxcapturerate" => {
                    set_num(&mut p.sprop_max_capture_rate, value, 8000, 48_000)
                }
                "maxaveragebitrate" => {
                    p.max_average_bitrate = num(value, 6000, 510_000).or(p.max_average_bitrate)
                }
                "stereo" => set_flag(&mut p.stereo, value),
                "sprop-stereo" => set_flag(&mut p.sprop_stereo, value),
                "cbr" => set_flag(&mut p.cbr, value),
                "useinbandfec" => set_flag(&mut p.use_inband_fec, value),
                "usedtx" => set_flag(&mut p.use_dtx, value),
                // RFC 6716 frames are 2.5 to 120 ms; a packet may hold up to 120 ms.
                "ptime" => p.ptime = num(value, 3, 120).or(p.ptime),
                "minptime" => p.minptime = num(value, 3, 120).or(p.minptime),
                _ => {}
            }
        }
        p
    }

    /// The bit rate to encode at: the receiver's `maxaveragebitrate` if it gave one (but no more
    /// than [`MAX_MONO_BITRATE`]), else [`DEFAULT_BITRATE`].
    pub fn bitrate(&self) -> u32 {
        match self.max_average_bitrate {
            Some(max) => max.min(MAX_MONO_BITRATE),
            None => DEFAULT_BITRATE,
        }
    }

    /// The audio bandwidth worth encoding for the receiver's `maxplaybackrate` (RFC 7587 §6.1:
    /// encoding above half the playback rate wastes bits).
    fn max_bandwidth(&self) -> Bandwidth {
        match self.max_playback_rate {
            0..=8000 => Bandwidth::Narrowband,
            8001..=12_000 => Bandwidth::Mediumband,
            12_001..=16_000 => Bandwidth::Wideband,
            16_001..=24_000 => Bandwidth::Superwideband,
            _ => Bandwidth::Fullband,
        }
    }
}

fn num(value: &str, min: u32, max: u32) -> Option<u32> {
    value
        .parse::<u32>()
        .ok()
        .filter(|v| (min..=max).contains(v))
}

fn set_num(field: &mut u32, value: &str, min: u32, max: u32) {
    if let Some(v) = num(value, min, max) {
        *field = v;
    }
}

fn set_flag(field: &mut bool, value: &str) {
    match value {
        "0" => *field = false,
        "1" => *field = true,
        _ => {}
    }
}

/// Duration of an Opus packet in samples at 48 kHz (= RTP timestamp units), read from its TOC
/// byte and frame count (RFC 6716 §3.1) without decoding it: 480 for 10 ms, 960 for 20 ms, up to
/// 5760. A packet whose header is not valid Opus is [`CodecError::InvalidPacket`].
pub fn packet_samples(packet: &[u8]) -> Result<usize, CodecError> {
    let packet = Packet::try_from(packet)?;
    let n = audiopus::packet::nb_samples(packet, SampleRate::Hz48000)?;
    if n == 0 || n > MAX_PACKET_SAMPLES {
        return Err(CodecError::InvalidPacket);
    }
    Ok(n)
}

/// Whether an Opus packet's sender heard a voice, from the voice-activity flags its encoder put
/// in the SILK layer — read from the first byte of the frame, without decoding (RFC 6716
/// §4.2.3: the flags are the first symbols of the range coder, each of probability ½, so they
/// are the byte's top bits). `Some(false)` when every SILK frame of the packet is flagged
/// inactive; `None` when the packet says nothing: CELT-only (no SILK layer), several Opus frames
/// (code 1–3), or no frame data (DTX).
pub fn voice_activity(packet: &[u8]) -> Option<bool> {
    let (&toc, data) = packet.split_first()?;
    let &first = data.first()?;
    if toc & 0b11 != 0 {
        return None;
    }
    let config = toc >> 3;
    let silk_frames = match config {
        // SILK-only: 10, 20, 40, 60 ms; a 40 or 60 ms frame holds 2 or 3 SILK frames.
        0..=11 => [1, 1, 2, 3][usize::from(config % 4)],
        // Hybrid: 10 or 20 ms, one SILK frame.
        12..=15 => 1,
        _ => return None,
    };
    // Mono: one VAD bit per SILK frame, then the LBRR flag. Stereo (the TOC's `s` bit): the
    // mid channel's flags and LBRR flag, then the side channel's.
    let flags = |skip: u32| (first << skip) >> (8 - silk_frames);
    let active = flags(0) != 0 || (toc & 0b100 != 0 && flags(silk_frames + 1) != 0);
    Some(active)
}

/// A mono 48 kHz Opus encoder of 20 ms frames, tuned for conversation (VOIP application, voice
/// signal, in-band FEC and DTX as negotiated).
pub struct OpusEncoder {
    inner: Encoder,
    /// Scratch for one packet, so `encode` allocates nothing once `out` has room.
    buf: Box<[u8; MAX_PACKET_BYTES]>,
}

impl std::fmt::Debug for OpusEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusEncoder").finish_non_exhaustive()
    }
}

impl OpusEncoder {
    /// An encoder for a receiver that sent `params` (its fmtp): bit rate, bandwidth, CBR, FEC
    /// and DTX follow them; the planned loss starts at [`DEFAULT_LOSS_PERCENT`].
    pub fn new(params: &OpusParams) -> Result<OpusEncoder, CodecError> {
        let mut inner = Encoder::new(SampleRate::Hz48000, Channels::Mono, Application::Voip)?;
        inner.set_bitrate(Bitrate::BitsPerSecond(params.bitrate() as i32))?;
        inner.set_max_bandwidth(params.max_bandwidth())?;
        inner.set_vbr(!params.cbr)?;
        // A bridge carries speech: this biases libopus towards SILK, which is also the layer
        // that carries the in-band FEC.
        inner.set_signal(Signal::Voice)?;
        inner.set_complexity(DEFAULT_COMPLEXITY)?;
        inner.set_inband_fec(params.use_inband_fec)?;
        inner.set_packet_loss_perc(if params.use_inband_fec {
            DEFAULT_LOSS_PERCENT
        } else {
            0
        })?;
        inner.set_dtx(params.use_dtx)?;
        Ok(OpusEncoder {
            inner,
            buf: Box::new([0; MAX_PACKET_BYTES]),
        })
    }

    /// Sets the loss rate (0–100 %) the encoder protects against, e.g. from RTCP receiver
    /// reports; with in-band FEC on, higher values spend more bits on redundancy.
    pub fn set_packet_loss_percent(&mut self, percent: u8) -> Result<(), CodecError> {
        Ok(self.inner.set_packet_loss_perc(percent.min(100))?)
    }

    /// Forgets the audio encoded so far (its look-ahead and prediction state), keeping its
    /// settings: the next frame starts a stream afresh.
    pub fn reset(&mut self) {
        // Only fails on an invalid encoder, which `new` rules out.
        let _ = self.inner.reset_state();
    }

    /// Sets the encoder's complexity (0–10; higher is better quality for more CPU).
    pub fn set_complexity(&mut self, complexity: u8) -> Result<(), CodecError> {
        Ok(self.inner.set_complexity(complexity.min(10))?)
    }

    /// Turns in-band FEC on or off.
    pub fn set_inband_fec(&mut self, on: bool) -> Result<(), CodecError> {
        Ok(self.inner.set_inband_fec(on)?)
    }

    /// Encoder delay in samples at 48 kHz (lookahead): the decoded audio lags the input by this.
    pub fn lookahead(&self) -> Result<usize, CodecError> {
        Ok(self.inner.lookahead()? as usize)
    }

    /// Encodes one 20 ms frame (exactly [`FRAME_SAMPLES`] samples) and appends the packet to
    /// `out`, returning its length. With DTX on, a silent frame gives a packet of 1–2 bytes,
    /// which the caller may choose not to send.
    pub fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<usize, CodecError> {
        if pcm.len() != FRAME_SAMPLES {
            return Err(CodecError::FrameSize(pcm.len()));
        }
        let n = self.inner.encode(pcm, &mut self.buf[..])?;
        out.extend_from_slice(&self.buf[..n]);
        Ok(n)
    }
}

/// A mono 48 kHz Opus decoder (stereo packets are downmixed by libopus).
pub struct OpusDecoder {
    inner: Decoder,
}

impl std::fmt::Debug for OpusDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusDecoder").finish_non_exhaustive()
    }
}

impl OpusDecoder {
    /// A fresh decoder.
    pub fn new() -> Result<OpusDecoder, CodecError> {
        Ok(OpusDecoder {
            inner: Decoder::new(SampleRate::Hz48000, Channels::Mono)?,
        })
    }

    /// Forgets the stream's past, as a new decoder would (before decoding again after packets
    /// that were not decoded).
    pub fn reset(&mut self) {
        // Only fails on an invalid decoder, which `new` rules out.
        let _ = self.inner.reset_state();
    }

    /// Decodes `packet` and appends its samples to `out` (960 for a 20 ms packet, up to 5760),
    /// returning how many. A corrupt packet is an error and appends nothing: conceal instead.
    pub fn decode(&mut self, packet: &[u8], out: &mut Vec<i16>) -> Result<usize, CodecError> {
        self.run(Some(packet), MAX_PACKET_SAMPLES, false, out)
    }

    /// Packet loss concealment: appends one 20 ms frame extrapolated from the past audio, which
    /// libopus fades out over successive losses rather than cutting (no click).
    pub fn conceal(&mut self, out: &mut Vec<i16>) -> Result<usize, CodecError> {
        self.run(None, FRAME_SAMPLES, false, out)
    }

    /// Recovers a lost 20 ms frame from the in-band FEC carried in `next_packet` (the packet that
    /// followed the lost one) and appends it to `out`. If that packet has no FEC, libopus
    /// conceals instead. Decode `next_packet` itself with [`decode`](Self::decode) afterwards.
    pub fn decode_fec(
        &mut self,
        next_packet: &[u8],
        out: &mut Vec<i16>,
    ) -> Result<usize, CodecError> {
        self.run(Some(next_packet), FRAME_SAMPLES, true, out)
    }

    /// Decodes into the tail of `out` in place (no scratch buffer): grow by `max`, let libopus
    /// write, cut back to what it wrote.
    fn run(
        &mut self,
        packet: Option<&[u8]>,
        max: usize,
        fec: bool,
        out: &mut Vec<i16>,
    ) -> Result<usize, CodecError> {
        let packet = match packet {
            Some(bytes) => Some(Packet::try_from(bytes)?),
            None => None,
        };
        let start = out.len();
        out.resize(start + max, 0);
        let result = MutSignals::try_from(&mut out[start..])
            .and_then(|signals| self.inner.decode(packet, signals, fec));
        match result {
            Ok(n) => {
                out.truncate(start + n.min(max));
                Ok(n.min(max))
            }
            Err(e) => {
                out.truncate(start);
                Err(e.into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fmtp_defaults_when_empty() {
        let p = OpusParams::parse("");
        assert_eq!(p, OpusParams::default());
        assert!(!p.stereo && p.use_inband_fec && !p.use_dtx);
        assert_eq!(p.max_playback_rate, 48_000);
        assert_eq!(p.bitrate(), DEFAULT_BITRATE);
    }

    #[test]
    fn fmtp_typical_offers() {
        let p = OpusParams::parse("minptime=10;useinbandfec=1");
        assert_eq!(p.minptime, Some(10));
        assert!(p.use_inband_fec);

        let p = OpusParams::parse(
            "maxplaybackrate=16000; sprop-maxcapturerate=16000; maxaveragebitrate=20000; \
             stereo=1; sprop-stereo=1; cbr=1; useinbandfec=0; usedtx=1; ptime=40",
        );
        assert_eq!(p.max_playback_rate, 16_000);
        assert_eq!(p.sprop_max_capture_rate, 16_000);
        assert_eq!(p.max_average_bitrate, Some(20_000));
        assert!(p.stereo && p.sprop_stereo && p.cbr && p.use_dtx);
        assert!(!p.use_inband_fec);
        assert_eq!(p.ptime, Some(40));
        assert_eq!(p.bitrate(), 20_000);
        assert_eq!(p.max_bandwidth(), Bandwidth::Wideband);
    }

    #[test]
    fn fmtp_junk_is_ignored() {
        let p = OpusParams::parse(
            ";;=;foo=bar;MAXPLAYBACKRATE=abc;maxaveragebitrate=99999999;stereo=yes;\
             usedtx=2;minptime=-5;sprop-maxcapturerate=4000;useinbandfec;ptime=1e3",
        );
        assert_eq!(p, OpusParams::default());
        // Keys are case-insensitive; the last valid value wins.
        let p = OpusParams::parse("MaxPlaybackRate=8000;maxplaybackrate=bad");
        assert_eq!(p.max_playback_rate, 8000);
        assert_eq!(p.max_bandwidth(), Bandwidth::Narrowband);
    }

    #[test]
    fn encoder_rejects_wrong_frame_size() {
        let mut enc = OpusEncoder::new(&OpusParams::default()).unwrap();
        let mut out = Vec::new();
        assert_eq!(
            enc.encode(&[0; 480], &mut out),
            Err(CodecError::FrameSize(480))
        );
        assert!(out.is_empty());
    }

    #[test]
    fn empty_and_corrupt_packets_are_errors() {
        let mut dec = OpusDecoder::new().unwrap();
        let mut out = vec![7i16; 3];
        assert_eq!(dec.decode(&[], &mut out), Err(CodecError::InvalidPacket));
        // TOC code 3 (arbitrary frame count) with no count byte is truncated.
        assert_eq!(
            dec.decode(&[0x03], &mut out),
            Err(CodecError::InvalidPacket)
        );
        assert_eq!(out, vec![7; 3], "nothing appended on error");
        assert_eq!(dec.conceal(&mut out), Ok(FRAME_SAMPLES));
        assert_eq!(out.len(), 3 + FRAME_SAMPLES);
    }

    #[test]
    fn silence_round_trip_and_dtx() {
        let params = OpusParams::parse("usedtx=1");
        let mut enc = OpusEncoder::new(&params).unwrap();
        let mut dec = OpusDecoder::new().unwrap();
        let (mut pkt, mut pcm) = (Vec::new(), Vec::new());
        let mut last_len = 0;
        for _ in 0..50 {
            pkt.clear();
            last_len = enc.encode(&[0; FRAME_SAMPLES], &mut pkt).unwrap();
            assert_eq!(dec.decode(&pkt, &mut pcm), Ok(FRAME_SAMPLES));
        }
        assert!(last_len <= 3, "DTX packets are tiny, got {last_len} bytes");
        assert!(pcm.iter().all(|&s| s.abs() < 4));
    }
}

#[cfg(test)]
mod voice_activity_tests {
    use super::*;

    /// Deterministic noise (the crate's splitmix64) at an RMS of about `rms`.
    fn noise(seed: u64, n: usize, rms: f64) -> Vec<i16> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = crate::rand::splitmix64(state);
                ((state as f64 / u64::MAX as f64 - 0.5) * rms * 3.46) as i16
            })
            .collect()
    }

    /// Speech-like: a 150 Hz voiced buzz with harmonics, amplitude-modulated at 4 Hz.
    fn voiced(frame: usize) -> Vec<i16> {
        (0..FRAME_SAMPLES)
            .map(|i| {
                let t = (frame * FRAME_SAMPLES + i) as f64 / 48_000.0;
                let env = 0.6 + 0.4 * (t * 4.0 * std::f64::consts::TAU).sin();
                let s: f64 = (1..=8)
                    .map(|h| (t * 150.0 * h as f64 * std::f64::consts::TAU).sin() / h as f64)
                    .sum();
                (s * env * 5000.0) as i16
            })
            .collect()
    }

    /// The flags of `frames` packets of `signal`, after 10 frames of warm-up.
    fn flags(mut signal: impl FnMut(usize) -> Vec<i16>) -> Vec<Option<bool>> {
        let mut enc = OpusEncoder::new(&OpusParams::default()).unwrap();
        let mut out = Vec::new();
        (0..60)
            .map(|k| {
                enc.encode(&signal(k), &mut out).unwrap();
                voice_activity(&out)
            })
            .skip(10)
            .collect()
    }

    #[test]
    fn speech_is_active_and_silence_or_hiss_is_not() {
        let speech = flags(voiced);
        assert!(speech.iter().all(|f| *f == Some(true)), "{speech:?}");
        let silence = flags(|_| vec![0; FRAME_SAMPLES]);
        assert!(silence.iter().all(|f| *f == Some(false)), "{silence:?}");
        // Room hiss at about −60 dBFS.
        let hiss = flags(|k| noise(k as u64, FRAME_SAMPLES, 30.0));
        let quiet = hiss.iter().filter(|f| **f == Some(false)).count();
        assert!(quiet * 10 >= hiss.len() * 9, "{hiss:?}");
    }

    #[test]
    fn flags_are_the_top_bits_of_the_first_frame_byte() {
        // SILK-only wideband 20 ms (config 9), mono, one frame: bit 7 is the VAD flag.
        assert_eq!(voice_activity(&[9 << 3, 0b1000_0000]), Some(true));
        assert_eq!(voice_activity(&[9 << 3, 0b0111_1111]), Some(false));
        // SILK 60 ms (config 11): three VAD bits, then LBRR.
        assert_eq!(voice_activity(&[11 << 3, 0b0010_0000]), Some(true));
        assert_eq!(voice_activity(&[11 << 3, 0b0001_1111]), Some(false));
        // Stereo hybrid 20 ms (config 13, s bit): mid VAD, mid LBRR, side VAD.
        assert_eq!(voice_activity(&[13 << 3 | 0b100, 0b0010_0000]), Some(true));
        assert_eq!(voice_activity(&[13 << 3 | 0b100, 0b0101_1111]), Some(false));
        // Mono: the same byte's third bit is not a flag.
        assert_eq!(voice_activity(&[13 << 3, 0b0010_0000]), Some(false));
        // Nothing to say: CELT-only, two frames, no frame data, nothing at all.
        assert_eq!(voice_activity(&[31 << 3, 0xFF]), None);
        assert_eq!(voice_activity(&[9 << 3 | 1, 0xFF, 0xFF]), None);
        assert_eq!(voice_activity(&[9 << 3]), None);
        assert_eq!(voice_activity(&[]), None);
    }
}
