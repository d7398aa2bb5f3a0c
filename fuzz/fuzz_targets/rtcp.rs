//! Fuzz target: compound RTCP parsing (RFC 3550 §6: SR, RR, SDES, BYE, unknown types skipped by
//! length) and the engine's RTCP path, on arbitrary bytes.
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use media::{rtcp, AudioCodec, ConferenceEngine, LegConfig, LegId};

fuzz_target!(|data: &[u8]| {
    for packet in rtcp::parse(data) {
        match packet {
            Ok(rtcp::RtcpPacket::SenderReport { blocks, .. })
            | Ok(rtcp::RtcpPacket::ReceiverReport { blocks, .. }) => blocks.for_each(drop),
            Ok(rtcp::RtcpPacket::Sdes(chunks)) => chunks.for_each(drop),
            Ok(rtcp::RtcpPacket::Bye { ssrcs }) => rtcp::bye_ssrcs(ssrcs).for_each(drop),
            Ok(rtcp::RtcpPacket::Fir { entries, .. }) => {
                assert_eq!(entries.len() % 8, 0);
                rtcp::fir_entries(entries).for_each(drop)
            }
            Ok(rtcp::RtcpPacket::Pli { .. }) | Ok(rtcp::RtcpPacket::Other { .. }) | Err(_) => {}
        }
    }

    #[allow(clippy::disallowed_methods)]
    let t0 = Instant::now();
    let mut engine = ConferenceEngine::new();
    let config = LegConfig {
        codec: AudioCodec::Pcma,
        payload_type: 8,
        telephone_event_pt: None,
        ptime_ms: 20,
        ssrc: 1,
        fmtp: None,
    };
    engine.add_leg(t0, LegId(1), config);
    engine.set_wallclock(t0, std::time::UNIX_EPOCH);
    engine.handle_rtcp(t0, LegId(1), data);
    engine.handle_rtp(t0, LegId(1), data);
});
