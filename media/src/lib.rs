//! Sans-IO media for the Pont bridge: RTP/RTCP, G.711, the jitter buffer, the N−1 audio mixer and
//! the per-conference engine that ties them together; for the IVR, the embedded prompts
//! ([`prompts`], RIFF/WAVE decoded with hound, [`resample`]d to the leg's rate), their playback
//! ([`ConferenceEngine::play`]) and in-band DTMF detection ([`inband`], ITU-T Q.24 style; RFC 4733
//! digits are in [`dtmf`]).
//!
//! Nothing here opens a socket, spawns a thread or reads a clock: the mixer threads in the `pont`
//! crate call [`ConferenceEngine::tick`] on absolute 20 ms deadlines and pass `now` in (see
//! [`engine`] for the order of calls).

#![warn(missing_docs)]

pub mod codec;
pub mod dtmf;
pub mod engine;
pub mod g711;
pub mod g722;
pub mod goertzel;
pub mod h264;
pub mod ids;
pub mod inband;
pub mod jitter;
pub mod leg;
pub mod mixer;
pub mod opus;
pub mod playback;
pub mod prompts;
mod rand;
pub mod reception;
pub mod resample;
pub mod resampler;
pub mod rtcp;
pub mod rtp;
pub mod stats;
pub mod talk;
pub mod video;

pub use engine::{AudioCodec, ConferenceEngine, LegConfig, LegId, MediaEvent, Packet, PacketKind};
pub use ids::{Pt, SeqNo, Ssrc};
pub use inband::InbandDetector;
pub use leg::LegState;
pub use prompts::PromptError;
pub use stats::{EngineStats, LegStats};

/// A fixed `t0` for unit tests, which then only add durations to it (never read the clock again).
#[cfg(test)]
#[allow(clippy::disallowed_methods)]
pub(crate) fn test_t0() -> std::time::Instant {
    std::time::Instant::now()
}
