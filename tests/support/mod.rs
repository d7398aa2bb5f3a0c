//! Support code for the interop tests (`tests/interop_*.rs`): what they share and what is
//! worth testing on its own.
//!
//! - [`pcap`]: writes the libpcap files of G.711 tone that sipp plays.
//! - [`dtmf`]: pcap files of a caller keying digits (RFC 4733 events or in-band tones).
//! - [`process`]: child processes that are killed when a test ends or times out.
//! - [`bridge`]: the real `pont` binary on loopback (or in a namespace), and its `/metrics`.
//! - [`rtp`]: receiving what the bridge sends a caller, and the tone levels in it.
//! - [`netns`]: a network namespace of the test's own, removed when dropped.
//! - [`sipp`]: sipp callers with the scenarios of `fixtures/sipp/`.
//! - [`wav`]: reading the WAV files clients record.
//!
//! Each test binary uses its own part of these: unused items are not warnings here.
#![allow(dead_code)]

pub mod bridge;
pub mod dtmf;
pub mod netns;
pub mod pcap;
pub mod process;
pub mod rtp;
pub mod sipp;
pub mod wav;
