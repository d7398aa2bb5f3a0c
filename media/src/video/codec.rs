//! H.264 (ITU-T H.264, Constrained Baseline profile) encoder and decoder for the MCU, over Cisco's
//! OpenH264 (the `openh264` crate builds the bundled C++ and its x86 assembly).
//!
//! # Encoder choices
//!
//! The bridge encodes one composed picture per (layout, resolution) and sends it to SIP room
//! systems, so the stream is what they all accept and cheap to make:
//!
//! - profile_idc 66 with constraint_set0 and constraint_set1 (Constrained Baseline: CAVLC, no B
//!   slices, no FMO/ASO), the level the smallest of H.264 Table A-1 that fits the picture size,
//!   frame rate and bit rate (3.0 for 640×360 at 30 fps, 3.1 for 1280×720 at 30 fps);
//! - OpenH264's real-time camera usage at its low complexity, one thread (the bridge runs one
//!   encoder per video thread), no lookahead, no B-frames, one reference picture, no scene-change
//!   detection (a new speaker on the big tile must not cost an unasked-for IDR), no background
//!   detection, no adaptive quantisation and no denoising (each costs time per frame);
//! - rate control on the target bit rate, **frame skipping allowed**: when the budget is spent
//!   the encoder drops a frame ([`Encoded::annexb`] is then empty) rather than overshoot a
//!   receiver's `b=AS`/TMMBR; an IDR (periodic or asked for) is never skipped;
//! - SPS and PPS (constant ids) before every IDR, so a receiver joining on any key frame can
//!   decode; the video signal type is signalled as BT.601 studio range, what [`Frame`] holds;
//! - [`EncoderSettings::max_nal_bytes`] maps to OpenH264's size-limited slices: every NAL unit
//!   fits one RTP packet and packetization-mode 0 receivers need no FU-A. OpenH264 refuses caps
//!   below [`MIN_MAX_NAL_BYTES`] (a worst-case macroblock plus headers).
//!
//! # Decoder
//!
//! One access unit (Annex B, as [`crate::h264::Depacketizer`] assembles it) in, at most one
//! picture out, without reordering delay (Baseline has no B-frames). Error concealment is off: a
//! corrupt or unreferenced access unit is an error, and the caller asks the sender for a key
//! frame (RTCP PLI) instead of showing smeared pictures. The decoded picture is copied into a
//! [`Frame`] the decoder keeps (allocated again only when the stream's size changes).

use openh264::decoder::Decoder;
use openh264::encoder::{
    BitRate, Complexity, Encoder, EncoderConfig, FrameRate, FrameType, IntraFramePeriod, Level,
    Profile, RateControlMode, SpsPpsStrategy, UsageType, VuiConfig,
};
use openh264::formats::YUVSource;
use openh264::{OpenH264API, Timestamp};
use openh264_sys2::{
    SBitrateInfo, ENCODER_OPTION_BITRATE, ENCODER_OPTION_MAX_BITRATE, ENCODER_OPTION_TRACE_LEVEL,
    SPATIAL_LAYER_0, SPATIAL_LAYER_ALL, WELS_LOG_QUIET,
};

use super::Frame;

/// The smallest [`EncoderSettings::max_nal_bytes`] OpenH264 accepts: its worst-case macroblock
/// (400 bytes, H.264 §A.3.1) plus 20 bytes of NAL and slice headers.
pub const MIN_MAX_NAL_BYTES: usize = 420;

/// The largest access unit [`H264Decoder::decode`] takes (OpenH264 takes an `int` length; no
/// legitimate access unit of the sizes we decode comes near it).
pub const MAX_ACCESS_UNIT_BYTES: usize = 16 << 20;

/// What can go wrong encoding or decoding H.264.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VideoCodecError {
    /// The picture size is odd, below 16, or beyond H.264 level 5.2 / OpenH264's 3840×2160.
    #[error("unsupported picture size {width}×{height} (even, 16 to 3840×2160)")]
    InvalidSize {
        /// The width asked for.
        width: usize,
        /// The height asked for.
        height: usize,
    },
    /// The frame rate is not a number in 1–60 fps.
    #[error("unsupported frame rate {0} fps (1 to 60)")]
    InvalidFrameRate(f32),
    /// The bit rate is zero or beyond what OpenH264 takes (`i32::MAX`).
    #[error("unsupported bit rate {0} b/s")]
    InvalidBitrate(u32),
    /// The NAL size cap is below what OpenH264 can honour ([`MIN_MAX_NAL_BYTES`]).
    #[error("max_nal_bytes {0} is below OpenH264's minimum of {MIN_MAX_NAL_BYTES}")]
    NalSizeTooSmall(usize),
    /// The picture given to [`H264Encoder::encode`] is not the encoder's size.
    #[error("picture is {got_width}×{got_height}, the encoder takes {width}×{height}")]
    FrameSize {
        /// The encoder's width.
        width: usize,
        /// The encoder's height.
        height: usize,
        /// The picture's width.
        got_width: usize,
        /// The picture's height.
        got_height: usize,
    },
    /// The access unit is larger than [`MAX_ACCESS_UNIT_BYTES`].
    #[error("access unit of {0} bytes is too large")]
    AccessUnitTooLarge(usize),
    /// The access unit could not be decoded: corrupt, or its references or parameter sets are
    /// missing (the caller asks the sender for a key frame). `state` holds OpenH264's
    /// `DECODING_STATE` flags.
    #[error("undecodable access unit (OpenH264 decoding state {state:#x}: {})", state_names(*state))]
    Corrupt {
        /// OpenH264's decoding-state flags (`dsRefLost` = 0x2, `dsBitstreamError` = 0x4,
        /// `dsNoParamSets` = 0x10, …).
        state: i64,
    },
    /// OpenH264 refused an operation; the text is its error.
    #[error("OpenH264 {op} failed: {message}")]
    Library {
        /// What we asked of it ("encode", "set bit rate", …).
        op: &'static str,
        /// Its error, as text.
        message: String,
    },
}

/// The names of the flags set in an OpenH264 `DECODING_STATE`.
fn state_names(state: i64) -> String {
    const NAMES: [(i64, &str); 11] = [
        (0x1, "frame pending"),
        (0x2, "reference lost"),
        (0x4, "bitstream error"),
        (0x8, "dependency layer lost"),
        (0x10, "no parameter sets"),
        (0x20, "data error concealed"),
        (0x40, "reference list null"),
        (0x1000, "invalid argument"),
        (0x2000, "not initialised"),
        (0x4000, "out of memory"),
        (0x8000, "destination buffer too small"),
    ];
    let names: Vec<&str> = NAMES
        .iter()
        .filter(|(bit, _)| state & bit != 0)
        .map(|(_, name)| *name)
        .collect();
    if names.is_empty() {
        "unknown".to_owned()
    } else {
        names.join(", ")
    }
}

/// An OpenH264 error as our error, naming the operation.
fn library(op: &'static str, e: &openh264::Error) -> VideoCodecError {
    VideoCodecError::Library {
        op,
        message: e.to_string(),
    }
}

/// What the encoder makes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EncoderSettings {
    /// Picture width in pixels (even, at least 16).
    pub width: usize,
    /// Picture height in pixels (even, at least 16).
    pub height: usize,
    /// Frames per second the caller encodes (30.0 for the bridge); rate control spreads the
    /// bit rate over them.
    pub fps: f32,
    /// Target bit rate in bits per second (rate control on; frames may be skipped to hold it).
    pub bitrate_bps: u32,
    /// Pictures between periodic IDRs (300 = 10 s at 30 fps), counted in calls to
    /// [`H264Encoder::encode`] (skipped ones too) from the last IDR, periodic or asked for with
    /// [`H264Encoder::request_keyframe`]; 0 = only the first and the ones asked for.
    pub keyframe_interval: u32,
    /// `Some(n)`: slices are cut so that every NAL unit is at most `n` bytes (start code not
    /// counted), for packetization-mode 0; at least [`MIN_MAX_NAL_BYTES`]. `None`: one slice per
    /// picture.
    pub max_nal_bytes: Option<usize>,
}

impl EncoderSettings {
    /// 1280×720 at 30 fps and 1.5 Mb/s, an IDR every 10 s, one slice per picture.
    pub fn hd720() -> EncoderSettings {
        EncoderSettings {
            width: 1280,
            height: 720,
            fps: 30.0,
            bitrate_bps: 1_500_000,
            keyframe_interval: 300,
            max_nal_bytes: None,
        }
    }

    /// Checks the settings against what H.264 and OpenH264 allow.
    fn validate(&self) -> Result<(u8, Level), VideoCodecError> {
        let (w, h) = (self.width, self.height);
        let bad_size = VideoCodecError::InvalidSize {
            width: w,
            height: h,
        };
        if w % 2 != 0 || h % 2 != 0 || w < 16 || h < 16 || w.max(h) > 3840 || w.min(h) > 2160 {
            return Err(bad_size);
        }
        if !(1.0..=60.0).contains(&self.fps) {
            return Err(VideoCodecError::InvalidFrameRate(self.fps));
        }
        if self.bitrate_bps == 0 || i32::try_from(self.bitrate_bps).is_err() {
            return Err(VideoCodecError::InvalidBitrate(self.bitrate_bps));
        }
        if let Some(n) = self.max_nal_bytes {
            if n < MIN_MAX_NAL_BYTES || u32::try_from(n).is_err() {
                return Err(VideoCodecError::NalSizeTooSmall(n));
            }
        }
        level_for(w, h, self.fps, self.bitrate_bps).ok_or(bad_size)
    }

    /// The OpenH264 configuration of these (valid) settings.
    fn config(&self, level: Level) -> EncoderConfig {
        let mut config = EncoderConfig::new()
            .usage_type(UsageType::CameraVideoRealTime)
            .complexity(Complexity::Low)
            .num_threads(1)
            .profile(Profile::Baseline)
            .level(level)
            .rate_control_mode(RateControlMode::Bitrate)
            .bitrate(BitRate::from_bps(self.bitrate_bps))
            .max_frame_rate(FrameRate::from_hz(self.fps))
            .skip_frames(true)
            // The wrapper forces the periodic IDRs itself: OpenH264 counts only the pictures
            // it did not skip, so its period drifts when rate control skips.
            .intra_frame_period(IntraFramePeriod::from_num_frames(0))
            .sps_pps_strategy(SpsPpsStrategy::ConstantId)
            .scene_change_detect(false)
            .background_detection(false)
            .adaptive_quantization(false)
            .long_term_reference(false)
            .vui(VuiConfig::bt601());
        if let Some(n) = self.max_nal_bytes {
            // validate() checked that it fits.
            config = config.max_slice_len(n as u32);
        }
        config
    }
}

/// H.264 Table A-1 for the levels a Baseline stream may use: (level_idc, OpenH264's level,
/// MaxMBPS, MaxFS in macroblocks, MaxBR in kb/s).
const LEVELS: [(u8, Level, u64, u64, u64); 15] = [
    (10, Level::Level_1_0, 1_485, 99, 64),
    (11, Level::Level_1_1, 3_000, 396, 192),
    (12, Level::Level_1_2, 6_000, 396, 384),
    (13, Level::Level_1_3, 11_880, 396, 768),
    (20, Level::Level_2_0, 11_880, 396, 2_000),
    (21, Level::Level_2_1, 19_800, 792, 4_000),
    (22, Level::Level_2_2, 20_250, 1_620, 4_000),
    (30, Level::Level_3_0, 40_500, 1_620, 10_000),
    (31, Level::Level_3_1, 108_000, 3_600, 14_000),
    (32, Level::Level_3_2, 216_000, 5_120, 20_000),
    (40, Level::Level_4_0, 245_760, 8_192, 20_000),
    (41, Level::Level_4_1, 245_760, 8_192, 50_000),
    (42, Level::Level_4_2, 522_240, 8_704, 50_000),
    (50, Level::Level_5_0, 589_824, 22_080, 135_000),
    (51, Level::Level_5_1, 983_040, 36_864, 240_000),
];

/// The smallest level (level_idc and OpenH264's name) whose frame size, macroblock rate and bit
/// rate limits hold the stream (H.264 §A.3.1: also neither side longer than √(8·MaxFS) MBs).
fn level_for(width: usize, height: usize, fps: f32, bitrate_bps: u32) -> Option<(u8, Level)> {
    let mbs_w = width.div_ceil(16) as u64;
    let mbs_h = height.div_ceil(16) as u64;
    let fs = mbs_w * mbs_h;
    let mbps = (fs as f64 * f64::from(fps)).ceil() as u64;
    let kbps = u64::from(bitrate_bps).div_ceil(1000);
    LEVELS
        .iter()
        .find(|(_, _, max_mbps, max_fs, max_br)| {
            fs <= *max_fs
                && mbs_w * mbs_w <= 8 * max_fs
                && mbs_h * mbs_h <= 8 * max_fs
                && mbps <= *max_mbps
                && kbps <= *max_br
        })
        .map(|(idc, level, ..)| (*idc, *level))
}

/// A [`Frame`] as OpenH264's input picture (tightly packed planes).
struct FrameSource<'a>(&'a Frame);

impl YUVSource for FrameSource<'_> {
    fn dimensions(&self) -> (usize, usize) {
        (self.0.width(), self.0.height())
    }

    fn strides(&self) -> (usize, usize, usize) {
        let w = self.0.width();
        (w, w / 2, w / 2)
    }

    fn y(&self) -> &[u8] {
        self.0.y()
    }

    fn u(&self) -> &[u8] {
        self.0.u()
    }

    fn v(&self) -> &[u8] {
        self.0.v()
    }
}

/// One encoded picture, borrowed from the encoder until the next call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoded<'a> {
    /// The access unit in Annex B (4-byte start codes); SPS and PPS lead every IDR. Empty when
    /// rate control skipped the picture.
    pub annexb: &'a [u8],
    /// Whether the access unit is an IDR (a key frame).
    pub keyframe: bool,
}

/// An H.264 Constrained Baseline encoder of one picture size (see the module docs for what it
/// makes).
pub struct H264Encoder {
    settings: EncoderSettings,
    /// The level_idc the stream's SPS carries.
    level_idc: u8,
    inner: Encoder,
    /// OpenH264 is initialised by the first encode; until then options are set by building a
    /// new encoder.
    started: bool,
    /// Calls to `encode` since the last IDR (the IDR's own counts as 1).
    since_idr: u32,
    out: Vec<u8>,
}

impl std::fmt::Debug for H264Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("H264Encoder")
            .field("settings", &self.settings)
            .field("started", &self.started)
            .finish_non_exhaustive()
    }
}

impl H264Encoder {
    /// An encoder for `settings`, or an error when they are out of range. OpenH264 checks
    /// the rest on the first [`encode`](Self::encode).
    pub fn new(settings: EncoderSettings) -> Result<Self, VideoCodecError> {
        let (level_idc, level) = settings.validate()?;
        let inner = Self::make(&settings, level)?;
        Ok(H264Encoder {
            settings,
            level_idc,
            inner,
            started: false,
            since_idr: 0,
            // Room for a high-quality IDR; a larger one grows it once.
            out: Vec::with_capacity(settings.width * settings.height / 2),
        })
    }

    fn make(settings: &EncoderSettings, level: Level) -> Result<Encoder, VideoCodecError> {
        let mut encoder =
            Encoder::with_api_config(OpenH264API::from_source(), settings.config(level))
                .map_err(|e| library("create encoder", &e))?;
        // OpenH264 logs warnings to stderr by default, some at initialisation (which the crate
        // does on the first encode, before it applies its own trace level): a library prints
        // nothing, and every failure comes back as a status anyway.
        let mut quiet: i32 = WELS_LOG_QUIET;
        // SAFETY: ENCODER_OPTION_TRACE_LEVEL is accepted before initialisation and reads one
        // int, which lives across the call.
        unsafe {
            encoder.raw_api().set_option(
                ENCODER_OPTION_TRACE_LEVEL,
                std::ptr::addr_of_mut!(quiet).cast(),
            );
        }
        Ok(encoder)
    }

    /// The settings in force (the bit rate as last set).
    pub fn settings(&self) -> &EncoderSettings {
        &self.settings
    }

    /// Encode one picture (its size must be the settings' size, else an error); `timestamp_ms`
    /// increasing. Returns the access unit in Annex B (start codes), SPS+PPS repeated before
    /// every IDR so a receiver joining on an IDR can decode; `keyframe` true for IDR. An empty
    /// `annexb` when rate control skipped the frame.
    pub fn encode(
        &mut self,
        frame: &Frame,
        timestamp_ms: u64,
    ) -> Result<Encoded<'_>, VideoCodecError> {
        let s = &self.settings;
        if (frame.width(), frame.height()) != (s.width, s.height) {
            return Err(VideoCodecError::FrameSize {
                width: s.width,
                height: s.height,
                got_width: frame.width(),
                got_height: frame.height(),
            });
        }
        let interval = self.settings.keyframe_interval;
        if self.started && interval > 0 && self.since_idr >= interval {
            self.inner.force_intra_frame();
        }
        // OpenH264 takes a signed 64-bit time.
        let ts = Timestamp::from_millis(timestamp_ms.min(i64::MAX as u64));
        let bitstream = self
            .inner
            .encode_at(&FrameSource(frame), ts)
            .map_err(|e| library("encode", &e))?;
        self.started = true;
        self.out.clear();
        let keyframe = bitstream.frame_type() == FrameType::IDR;
        self.since_idr = if keyframe {
            1
        } else {
            self.since_idr.saturating_add(1)
        };
        match bitstream.frame_type() {
            FrameType::IDR | FrameType::I | FrameType::P | FrameType::IPMixed => {}
            FrameType::Skip => {
                return Ok(Encoded {
                    annexb: &self.out,
                    keyframe: false,
                })
            }
            FrameType::Invalid => {
                return Err(VideoCodecError::Library {
                    op: "encode",
                    message: "the encoder returned an invalid frame".to_owned(),
                })
            }
        }
        bitstream.write_vec(&mut self.out);
        Ok(Encoded {
            annexb: &self.out,
            keyframe,
        })
    }

    /// The next encode makes an IDR (a receiver's PLI/FIR, a new receiver).
    pub fn request_keyframe(&mut self) {
        // Before the first encode there is nothing to force: the first picture is an IDR.
        if self.started {
            self.inner.force_intra_frame();
        }
    }

    /// Change the target bit rate without a new encoder (a receiver's TMMBR/b=AS change).
    /// Once encoding has started, a rate beyond the maximum of the stream's level (10 Mb/s
    /// at level 3.0, 14 Mb/s at 3.1) is refused with [`VideoCodecError::InvalidBitrate`].
    pub fn set_bitrate(&mut self, bps: u32) -> Result<(), VideoCodecError> {
        let settings = EncoderSettings {
            bitrate_bps: bps,
            ..self.settings
        };
        let (level_idc, level) = settings.validate()?;
        if !self.started {
            self.inner = Self::make(&settings, level)?;
            self.level_idc = level_idc;
            self.settings = settings;
            return Ok(());
        }
        // A higher rate may need a higher level (its MaxBR); the SPS of a running stream keeps
        // its level, so that is refused rather than silently breaking the level's promise.
        if level_idc > self.level_idc {
            return Err(VideoCodecError::InvalidBitrate(bps));
        }
        let bps_i32 = i32::try_from(bps).map_err(|_| VideoCodecError::InvalidBitrate(bps))?;
        let old = i32::try_from(self.settings.bitrate_bps).unwrap_or(i32::MAX);
        // OpenH264 refuses a target above the layer's maximum, which the crate sets to the
        // target: raise the maximum first, set the target, then bring the maximum down to it.
        self.set_rate_option(
            ENCODER_OPTION_MAX_BITRATE,
            SPATIAL_LAYER_0,
            old.max(bps_i32),
        )?;
        self.set_rate_option(ENCODER_OPTION_BITRATE, SPATIAL_LAYER_ALL, bps_i32)?;
        self.set_rate_option(ENCODER_OPTION_MAX_BITRATE, SPATIAL_LAYER_0, bps_i32)?;
        self.settings = settings;
        Ok(())
    }

    fn set_rate_option(
        &mut self,
        option: openh264_sys2::ENCODER_OPTION,
        layer: openh264_sys2::LAYER_NUM,
        bps: i32,
    ) -> Result<(), VideoCodecError> {
        let mut info = SBitrateInfo {
            iLayer: layer,
            iBitrate: bps,
        };
        // SAFETY: the encoder is initialised (a picture was encoded), and ENCODER_OPTION_BITRATE
        // and ENCODER_OPTION_MAX_BITRATE read one SBitrateInfo, which lives across the call.
        let status = unsafe {
            self.inner
                .raw_api()
                .set_option(option, std::ptr::addr_of_mut!(info).cast())
        };
        if status == 0 {
            Ok(())
        } else {
            Err(VideoCodecError::Library {
                op: "set bit rate",
                message: format!("SetOption returned {status} for {bps} b/s"),
            })
        }
    }
}

/// An H.264 decoder (any profile OpenH264 decodes: Constrained Baseline, Main and High without
/// interlace), one access unit at a time.
pub struct H264Decoder {
    inner: Decoder,
    frame: Frame,
}

impl std::fmt::Debug for H264Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("H264Decoder")
            .field("width", &self.frame.width())
            .field("height", &self.frame.height())
            .finish_non_exhaustive()
    }
}

impl H264Decoder {
    /// A decoder waiting for SPS, PPS and an IDR.
    pub fn new() -> Result<Self, VideoCodecError> {
        let inner = Decoder::new().map_err(|e| library("create decoder", &e))?;
        Ok(H264Decoder {
            inner,
            frame: Frame::new(2, 2),
        })
    }

    /// Decode one access unit (Annex B, as `media::h264::Depacketizer` gives). Ok(Some(frame))
    /// when a picture came out (its size is the stream's, cropping applied; an odd size loses
    /// its last column or row, as [`Frame`] is even), Ok(None) when the decoder needs more,
    /// Err for a corrupt stream (the caller then asks the sender for a key frame). Garbage must
    /// never panic or crash.
    pub fn decode(&mut self, annexb: &[u8]) -> Result<Option<&Frame>, VideoCodecError> {
        if annexb.is_empty() {
            // OpenH264 reads an empty buffer as "end of stream" and flushes.
            return Ok(None);
        }
        if annexb.len() > MAX_ACCESS_UNIT_BYTES {
            return Err(VideoCodecError::AccessUnitTooLarge(annexb.len()));
        }
        let yuv = match self.inner.decode(annexb) {
            Ok(Some(yuv)) => yuv,
            Ok(None) => return Ok(None),
            Err(e) => {
                return Err(match e.native_code() {
                    0 => library("decode", &e),
                    state => VideoCodecError::Corrupt { state },
                })
            }
        };
        let (w, h) = yuv.dimensions();
        let (sy, su, sv) = yuv.strides();
        let (w, h) = (w & !1, h & !1);
        let short = || VideoCodecError::Library {
            op: "decode",
            message: format!("picture {w}×{h} larger than its planes"),
        };
        if w < 2 || h < 2 || sy < w || su < w / 2 || sv < w / 2 {
            return Err(short());
        }
        self.frame.resize(w, h);
        let (dy, du, dv) = self.frame.planes_mut();
        copy_plane(yuv.y(), sy, dy, w, h).ok_or_else(short)?;
        copy_plane(yuv.u(), su, du, w / 2, h / 2).ok_or_else(short)?;
        copy_plane(yuv.v(), sv, dv, w / 2, h / 2).ok_or_else(short)?;
        Ok(Some(&self.frame))
    }
}

/// Copies `rows` rows of `width` samples from a strided plane into a tightly packed one;
/// `None` when the source is too short.
fn copy_plane(src: &[u8], stride: usize, dst: &mut [u8], width: usize, rows: usize) -> Option<()> {
    for (r, out) in dst.chunks_exact_mut(width).take(rows).enumerate() {
        out.copy_from_slice(src.get(r * stride..r * stride + width)?);
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(width: usize, height: usize) -> EncoderSettings {
        EncoderSettings {
            width,
            height,
            fps: 30.0,
            bitrate_bps: 800_000,
            keyframe_interval: 0,
            max_nal_bytes: None,
        }
    }

    #[test]
    fn levels_follow_table_a1() {
        let idc = |w, h, fps, br| level_for(w, h, fps, br).map(|(idc, _)| idc);
        assert_eq!(idc(640, 360, 30.0, 800_000), Some(30));
        assert_eq!(idc(1280, 720, 30.0, 1_500_000), Some(31));
        assert_eq!(idc(1280, 720, 60.0, 1_500_000), Some(32));
        assert_eq!(idc(1920, 1080, 30.0, 4_000_000), Some(40));
        assert_eq!(idc(352, 288, 30.0, 384_000), Some(13));
        assert_eq!(idc(176, 144, 15.0, 64_000), Some(10));
        // The bit rate alone can raise the level: 720p at 15 Mb/s is beyond 3.1's 14 Mb/s.
        assert_eq!(idc(1280, 720, 30.0, 15_000_000), Some(32));
        // A 4K picture at 60 fps is past level 5.1, the last Baseline level we offer.
        assert_eq!(idc(4096, 2304, 60.0, 8_000_000), None);
        // A very long thin picture breaks the √(8·MaxFS) side limit of the small levels.
        assert_eq!(idc(1024, 16, 30.0, 100_000), Some(21));
    }

    #[test]
    fn settings_are_checked() {
        let new = |s| H264Encoder::new(s).map(|_| ());
        assert_eq!(
            new(settings(641, 360)),
            Err(VideoCodecError::InvalidSize {
                width: 641,
                height: 360
            })
        );
        assert!(matches!(
            new(settings(8, 8)),
            Err(VideoCodecError::InvalidSize { .. })
        ));
        assert!(matches!(
            new(settings(4096, 2160)),
            Err(VideoCodecError::InvalidSize { .. })
        ));
        assert_eq!(
            new(EncoderSettings {
                fps: 0.0,
                ..settings(640, 360)
            }),
            Err(VideoCodecError::InvalidFrameRate(0.0))
        );
        assert!(matches!(
            new(EncoderSettings {
                fps: f32::NAN,
                ..settings(640, 360)
            }),
            Err(VideoCodecError::InvalidFrameRate(_))
        ));
        assert_eq!(
            new(EncoderSettings {
                bitrate_bps: 0,
                ..settings(640, 360)
            }),
            Err(VideoCodecError::InvalidBitrate(0))
        );
        assert_eq!(
            new(EncoderSettings {
                max_nal_bytes: Some(300),
                ..settings(640, 360)
            }),
            Err(VideoCodecError::NalSizeTooSmall(300))
        );
        assert_eq!(new(settings(640, 360)), Ok(()));
    }

    #[test]
    fn wrong_picture_size_is_refused() {
        let mut enc = H264Encoder::new(settings(64, 48)).unwrap();
        let err = enc.encode(&Frame::new(48, 64), 0).unwrap_err();
        assert_eq!(
            err,
            VideoCodecError::FrameSize {
                width: 64,
                height: 48,
                got_width: 48,
                got_height: 64
            }
        );
        // The encoder still works afterwards.
        let out = enc.encode(&Frame::new(64, 48), 0).unwrap();
        assert!(out.keyframe && !out.annexb.is_empty());
    }

    #[test]
    fn small_round_trip_and_empty_input() {
        let mut enc = H264Encoder::new(settings(64, 48)).unwrap();
        let mut dec = H264Decoder::new().unwrap();
        assert_eq!(dec.decode(&[]), Ok(None));
        let mut f = Frame::new(64, 48);
        f.fill(crate::video::Yuv::from_rgb(200, 40, 40));
        let au = enc.encode(&f, 0).unwrap().annexb.to_vec();
        let out = dec.decode(&au).unwrap().expect("an IDR gives a picture");
        assert_eq!((out.width(), out.height()), (64, 48));
        let p = out.pixel(32, 24);
        let want = f.pixel(32, 24);
        assert!(
            p.y.abs_diff(want.y) <= 3 && p.u.abs_diff(want.u) <= 3 && p.v.abs_diff(want.v) <= 3
        );
    }

    #[test]
    fn decoding_states_are_named() {
        assert_eq!(state_names(0x2 | 0x10), "reference lost, no parameter sets");
        assert_eq!(state_names(0), "unknown");
        let e = VideoCodecError::Corrupt { state: 4 };
        assert!(e.to_string().contains("bitstream error"), "{e}");
    }

    #[test]
    fn copy_plane_checks_the_source() {
        let src = [1, 2, 9, 3, 4, 9];
        let mut dst = [0; 4];
        assert_eq!(copy_plane(&src, 3, &mut dst, 2, 2), Some(()));
        assert_eq!(dst, [1, 2, 3, 4]);
        assert_eq!(copy_plane(&src[..4], 3, &mut dst, 2, 2), None);
    }
}
