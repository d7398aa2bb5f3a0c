//! Video for the MCU (issue #6): pictures ([`Frame`], planar YUV 4:2:0), and — in the modules
//! added beside it — scaling, layouts, the active-speaker choice, composition and the H.264
//! encoder/decoder wrappers.
//!
//! Sans-IO like the rest of the crate: no socket, no thread, no clock (time comes in as `now`).

mod codec;
mod compose;
mod conference;
mod font;
mod frame;
mod layout;
mod scale;
mod speaker;

pub use codec::{
    Encoded, EncoderSettings, H264Decoder, H264Encoder, VideoCodecError, MAX_ACCESS_UNIT_BYTES,
    MIN_MAX_NAL_BYTES,
};
pub use compose::{Compositor, Tile};
pub use conference::{
    OutputKey, Resolution, Role, VideoConference, VideoConfig, VideoError, VideoLegConfig,
    VideoLegReport, VideoStats, MAX_DECODES_PER_SECOND, VIDEO_CLOCK,
};
pub use frame::{Frame, Yuv};
pub use layout::{Layout, MAX_TILES};
pub use scale::{fill_rect, scale_into, Rect};
pub use speaker::{ActiveSpeaker, SpeakerConfig};
