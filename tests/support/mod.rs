//! Support code for the interop tests (`tests/interop_sipp.rs`): what they share and what is
//! worth testing on its own.
//!
//! - [`pcap`]: writes the libpcap files of G.711 tone that sipp plays.
//! - [`process`]: child processes that are killed when a test ends or times out.
//! - [`bridge`]: the real `pont` binary on loopback, and its `/metrics`.
//! - [`rtp`]: receiving what the bridge sends a caller, and the tone levels in it.

pub mod bridge;
pub mod pcap;
pub mod process;
pub mod rtp;
