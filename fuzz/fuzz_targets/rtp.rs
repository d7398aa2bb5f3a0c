//! Fuzz target: RTP parsing (RFC 3550 §5.1, RFC 5761 demux) and the whole receive path of the
//! conference engine (parse, telephone-event, jitter buffer, G.711/G.722/Opus decoding, the Opus
//! voice-activity flags, mixing tick, and forwarding the lone voice to a second leg of the same
//! codec) on arbitrary bytes.
//!
//! `cargo fuzz run rtp` where cargo-fuzz is installed. Without it, the same build by hand:
//! `RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4
//! -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table
//! -Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions
//! -Coverflow-checks" cargo +nightly build --release --target x86_64-unknown-linux-gnu
//! --manifest-path fuzz/Cargo.toml --bin rtp`, then run
//! `target/x86_64-unknown-linux-gnu/release/rtp -max_total_time=180 CORPUS_DIR`
//! (the explicit `--target` keeps the flags off build scripts).
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use media::{rtp, AudioCodec, ConferenceEngine, LegConfig, LegId};

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = rtp::parse(data) {
        assert!(p.payload.len() + rtp::HEADER_LEN <= data.len());
    }
    let _ = rtp::demux(data);

    // Split the input into datagrams on a 0xFF 0x00 separator and feed them to an engine.
    #[allow(clippy::disallowed_methods)]
    let t0 = Instant::now();
    let mut engine = ConferenceEngine::new();
    // The first byte picks the leg's codec, so every decoder (libopus included) sees the bytes.
    let codec = match data.first().map(|b| b % 4) {
        Some(1) => AudioCodec::Pcma,
        Some(2) => AudioCodec::G722,
        Some(3) => AudioCodec::Opus,
        _ => AudioCodec::Pcmu,
    };
    let config = LegConfig {
        codec,
        payload_type: 0,
        telephone_event_pt: Some(101),
        ptime_ms: 20,
        ssrc: 1,
        fmtp: None,
    };
    // A listener of the same codec, which is sent leg 1's payloads as they came whenever leg 1
    // is the one voice.
    let listener = LegConfig {
        ssrc: 2,
        ..config.clone()
    };
    engine.add_leg(t0, LegId(1), config);
    engine.add_leg(t0, LegId(2), listener);
    for (i, datagram) in data.split(|b| *b == 0xFF).enumerate() {
        let now = t0 + Duration::from_millis(20 * i as u64);
        engine.handle_rtp(now, LegId(1), datagram);
        engine.tick(now);
        while engine.poll_transmit().is_some() {}
        while engine.poll_event().is_some() {}
    }
});
