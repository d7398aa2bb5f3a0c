//! A stable stand-in for the fuzz targets (cargo-fuzz is not installed here): thousands of
//! deterministic mutations of valid RTP, telephone-event and RTCP packets go through the parsers
//! and the engine; nothing may panic, and every bad packet must be counted, not played.

use std::time::{Duration, Instant};

use media::ids::{Pt, SeqNo, Ssrc};
use media::rtcp::{self, NtpTime, ReportBlock, SenderInfo};
use media::rtp::{self, RtpHeader};
use media::{AudioCodec, ConferenceEngine, LegConfig, LegId};

/// xorshift64*: a tiny deterministic PRNG so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0u8; 600];
    for (pt, payload) in [(0u8, vec![0xFFu8; 160]), (101, vec![5, 0x8A, 0, 160])] {
        let h = RtpHeader {
            pt: Pt(pt),
            marker: false,
            seq: SeqNo(7),
            timestamp: 1234,
            ssrc: Ssrc(99),
        };
        let n = rtp::write(&mut buf, &h, &payload).expect("fits");
        out.push(buf[..n].to_vec());
    }
    let info = SenderInfo {
        ssrc: Ssrc(99),
        ntp: NtpTime(1 << 40),
        rtp_ts: 5,
        packets: 1,
        octets: 160,
    };
    let block = ReportBlock {
        ssrc: Ssrc(1),
        ..ReportBlock::default()
    };
    let n = rtcp::write_sr(&mut buf, &info, &[block, block], b"cname").expect("fits");
    out.push(buf[..n].to_vec());
    // An RR + BYE with a reason.
    out.push(vec![
        0x81, 201, 0, 7, 0, 0, 0, 99, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0x81, 203, 0, 2, 0, 0, 0, 99, 3, b'b', b'y', b'e',
    ]);
    out
}

fn mutate(rng: &mut Rng, data: &mut Vec<u8>) {
    for _ in 0..=rng.below(4) {
        match rng.below(5) {
            0 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] ^= 1 << rng.below(8);
            }
            1 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] = rng.next() as u8;
            }
            2 => data.truncate(rng.below(data.len() + 1)),
            3 => data.extend((0..rng.below(16)).map(|_| rng.next() as u8)),
            _ if data.len() > 4 => {
                // Length and count fields live in the first bytes: hit them more often.
                let i = rng.below(4);
                data[i] = rng.next() as u8;
            }
            _ => {}
        }
    }
}

#[test]
fn mutated_packets_never_panic() {
    #[allow(clippy::disallowed_methods)]
    let t0 = Instant::now();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut engine = ConferenceEngine::with_seed(5);
    let config = LegConfig {
        codec: AudioCodec::Pcma,
        payload_type: 0,
        telephone_event_pt: Some(101),
        ptime_ms: 20,
        ssrc: 1,
        fmtp: None,
    };
    engine.add_leg(t0, LegId(1), config.clone());
    // The same bytes also reach a G.722 and an Opus leg (payload type 0 negotiated for them too,
    // so the mutated packets go to their decoders: libopus sees garbage Opus).
    for (leg, codec) in [(2, AudioCodec::G722), (3, AudioCodec::Opus)] {
        let c = LegConfig {
            codec,
            ..config.clone()
        };
        engine.add_leg(t0, LegId(leg), c);
    }
    let legs = [LegId(1), LegId(2), LegId(3)];
    let seeds = seeds();
    let mut handled = 0u64;
    for i in 0..20_000u32 {
        let mut data = seeds[rng.below(seeds.len())].clone();
        mutate(&mut rng, &mut data);
        let _ = rtp::parse(&data);
        for p in rtcp::parse(&data) {
            if let Ok(rtcp::RtcpPacket::Sdes(c)) = p {
                c.for_each(drop);
            }
        }
        let now = t0 + Duration::from_millis(u64::from(i));
        let leg = legs[i as usize % legs.len()];
        engine.handle_rtp(now, leg, &data);
        engine.handle_rtcp(now, leg, &data);
        handled += 2;
        if i % 20 == 0 {
            engine.tick(now);
            while engine.poll_transmit().is_some() {}
            while engine.poll_event().is_some() {}
        }
    }
    let s = engine.stats();
    assert_eq!(s.rtp_received + s.rtcp_received, handled);
    assert!(s.rtp_malformed > 0 && s.rtcp_malformed > 0);
}

/// A crash the `rtp` fuzz target found (a packet stamped before the playout point), replayed the
/// way the target feeds it: datagrams split on 0xFF, one tick after each.
const FUZZ_CRASH_1: &[u8] = &[
    0x80, 0x00, 0x00, 0xbf, 0x00, 0x04, 0xd2, 0x31, 0xd2, 0x00, 0xd7, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x62, 0x2f, 0x65, 0x00, 0x00, 0xff, 0x80, 0x00,
    0xfc, 0xff, 0xff, 0xff, 0xff, 0x80, 0x30, 0x00, 0x00, 0x01, 0x01, 0x0f, 0x00, 0x00, 0x62, 0x2f,
    0x65, 0x00, 0x00, 0xff, 0x80, 0x00, 0x00, 0x00, 0xff, 0xff, 0x80, 0x00, 0x00, 0x01, 0x81, 0x0f,
    0x00, 0x00, 0x62, 0x2f, 0x65, 0x00, 0x00, 0xff, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x62, 0x2f, 0x65, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00,
    0x03, 0x00, 0x00, 0x00, 0x00, 0xff, 0x63, 0xb1, 0xff, 0xff, 0xff, 0x80, 0x65, 0xd7, 0xff, 0xff,
    0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x62, 0x2f, 0x65, 0x00, 0x00,
    0xff, 0x80, 0x00, 0xfc, 0xff, 0xff, 0xff, 0xff, 0x80, 0x30, 0x00, 0x00, 0x01, 0x01, 0x0f, 0x00,
    0x00, 0x6a, 0x00, 0x00, 0x00, 0x02, 0xd7, 0x00, 0x00, 0x63, 0xff, 0xff, 0x80, 0x08, 0x00, 0x00,
    0x00, 0x00,
];

#[test]
fn fuzz_regressions() {
    #[allow(clippy::disallowed_methods)]
    let t0 = Instant::now();
    let mut engine = ConferenceEngine::new();
    let config = LegConfig {
        codec: AudioCodec::Pcmu,
        payload_type: 0,
        telephone_event_pt: Some(101),
        ptime_ms: 20,
        ssrc: 1,
        fmtp: None,
    };
    engine.add_leg(t0, LegId(1), config);
    for (i, datagram) in FUZZ_CRASH_1.split(|b| *b == 0xFF).enumerate() {
        let now = t0 + Duration::from_millis(20 * i as u64);
        engine.handle_rtp(now, LegId(1), datagram);
        engine.tick(now);
        while engine.poll_transmit().is_some() {}
    }
}
