//! Property tests: the RTP and RTCP parsers never panic on arbitrary bytes, and what the RTP
//! writer builds parses back to the same header and payload.

use media::ids::{Pt, SeqNo, Ssrc};
use media::rtp::{self, RtpHeader};
use media::{rtcp, AudioCodec, ConferenceEngine, LegConfig, LegId};
use proptest::prelude::*;

proptest! {
    #[test]
    fn rtp_parse_never_panics(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = rtp::parse(&data);
        let _ = rtp::demux(&data);
    }

    #[test]
    fn rtp_parse_never_panics_on_version_2(
        first in 0x80u8..=0xBF,
        rest in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut data = vec![first];
        data.extend(rest);
        if let Ok(p) = rtp::parse(&data) {
            prop_assert!(p.payload.len() + 12 <= data.len());
        }
    }

    #[test]
    fn rtcp_parse_never_panics(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        for packet in rtcp::parse(&data) {
            if let Ok(rtcp::RtcpPacket::SenderReport { blocks, .. }
                | rtcp::RtcpPacket::ReceiverReport { blocks, .. }) = packet
            {
                blocks.for_each(drop);
            }
            if let Ok(rtcp::RtcpPacket::Sdes(chunks)) = packet {
                chunks.for_each(drop);
            }
        }
    }

    #[test]
    fn rtp_write_then_parse(
        pt in prop_oneof![0u8..64, 96u8..128], marker in any::<bool>(), seq in any::<u16>(), ts in any::<u32>(),
        ssrc in any::<u32>(), payload in proptest::collection::vec(any::<u8>(), 0..480),
    ) {
        let h = RtpHeader { pt: Pt(pt), marker, seq: SeqNo(seq), timestamp: ts, ssrc: Ssrc(ssrc) };
        let mut buf = [0u8; 600];
        let n = rtp::write(&mut buf, &h, &payload).expect("fits");
        let p = rtp::parse(&buf[..n]).expect("parses");
        prop_assert_eq!(p.header, h);
        prop_assert_eq!(p.payload, &payload[..]);
    }

    #[test]
    fn engine_survives_garbage(
        datagrams in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 1..40),
    ) {
        #[allow(clippy::disallowed_methods)]
        let t0 = std::time::Instant::now();
        let mut engine = ConferenceEngine::new();
        let config = LegConfig {
            codec: AudioCodec::Pcmu, payload_type: 0, telephone_event_pt: Some(101),
            ptime_ms: 20, ssrc: 1, fmtp: None,
        };
        engine.add_leg(t0, LegId(1), config);
        for (i, d) in datagrams.iter().enumerate() {
            let now = t0 + std::time::Duration::from_millis(20 * i as u64);
            engine.handle_rtp(now, LegId(1), d);
            engine.handle_rtcp(now, LegId(1), d);
            engine.tick(now);
            while engine.poll_transmit().is_some() {}
            while engine.poll_event().is_some() {}
        }
    }
}
