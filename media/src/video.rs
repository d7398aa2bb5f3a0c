//! Video for the MCU (issue #6): pictures ([`Frame`], planar YUV 4:2:0), and — in the modules
//! added beside it — scaling, layouts, the active-speaker choice, composition and the H.264
//! encoder/decoder wrappers.
//!
//! Sans-IO like the rest of the crate: no socket, no thread, no clock (time comes in as `now`).

mod codec;
mod frame;

pub use codec::{
    Encoded, EncoderSettings, H264Decoder, H264Encoder, VideoCodecError, MAX_ACCESS_UNIT_BYTES,
    MIN_MAX_NAL_BYTES,
};
pub use frame::{Frame, Yuv};
