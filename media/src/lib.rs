//! Sans-IO media for the Pont bridge: RTP/RTCP, G.711, the jitter buffer, the N−1 audio mixer and
//! the per-conference engine that ties them together.
//!
//! Nothing here opens a socket, spawns a thread or reads a clock: the mixer threads in the `pont`
//! crate call [`ConferenceEngine::tick`] on absolute 20 ms deadlines and pass `now` in.

#![warn(missing_docs)]

pub mod engine;

pub use engine::{AudioCodec, ConferenceEngine, LegConfig, LegId, MediaEvent, Packet, PacketKind};
