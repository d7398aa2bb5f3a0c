//! Helpers shared by the engine tests: a fixed clock origin, leg configs, RTP packets built in the
//! test, and decoding what the engine sends.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use media::g711::Law;
use media::rtp::{self, RtpHeader};
use media::{AudioCodec, ConferenceEngine, LegConfig, LegId, PacketKind, Pt, SeqNo, Ssrc};

/// One tick.
pub const TICK: Duration = Duration::from_millis(20);
/// Telephone-event payload type used by the tests.
pub const TE_PT: u8 = 101;

/// The one clock read of a test: everything after is `t0 + Duration`.
#[allow(clippy::disallowed_methods)]
pub fn t0() -> Instant {
    Instant::now()
}

/// A leg config for `codec`, sending with `ssrc`.
pub fn config(codec: AudioCodec, ssrc: u32) -> LegConfig {
    LegConfig {
        codec,
        payload_type: match codec {
            AudioCodec::Pcmu => 0,
            AudioCodec::Pcma => 8,
            AudioCodec::G722 => 9,
            AudioCodec::Opus => 111,
        },
        telephone_event_pt: Some(TE_PT),
        ptime_ms: 20,
        ssrc,
        fmtp: None,
    }
}

/// The G.711 law of a codec (the tests using it speak G.711).
pub fn law(codec: AudioCodec) -> Law {
    codec.law().expect("a G.711 codec")
}

/// An RTP packet as a phone would send it.
pub fn packet(pt: u8, ssrc: u32, seq: u16, ts: u32, marker: bool, payload: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; 12 + payload.len()];
    let header = RtpHeader {
        pt: Pt(pt),
        marker,
        seq: SeqNo(seq),
        timestamp: ts,
        ssrc: Ssrc(ssrc),
    };
    let n = rtp::write(&mut buf, &header, payload).expect("test packet fits");
    buf.truncate(n);
    buf
}

/// 20 ms of a tone encoded in `codec`, continuing from frame `frame`.
pub fn tone_frame(codec: AudioCodec, freq: f64, amplitude: f64, frame: usize) -> Vec<u8> {
    let pcm = media::goertzel::tone(freq, 8000.0, amplitude, frame * 160, 160);
    let mut out = vec![0u8; 160];
    law(codec).encode(&pcm, &mut out);
    out
}

/// Everything one leg received from the engine, in order.
#[derive(Debug, Default)]
pub struct Received {
    pub rtp: Vec<Vec<u8>>,
    pub rtcp: Vec<Vec<u8>>,
}

/// Drains the engine's transmit queue into per-leg lists.
pub fn drain(engine: &mut ConferenceEngine, legs: &[LegId], into: &mut [Received]) {
    while let Some(p) = engine.poll_transmit() {
        let i = legs
            .iter()
            .position(|l| *l == p.leg)
            .expect("packet for a known leg");
        match p.kind {
            PacketKind::Rtp => into[i].rtp.push(p.data.to_vec()),
            PacketKind::Rtcp => into[i].rtcp.push(p.data.to_vec()),
        }
    }
}

/// Decodes RTP packets (payload only) to linear samples.
pub fn decode(codec: AudioCodec, packets: &[Vec<u8>]) -> Vec<i16> {
    let mut pcm = Vec::new();
    for p in packets {
        let parsed = rtp::parse(p).expect("engine sends valid RTP");
        let mut frame = vec![0i16; parsed.payload.len()];
        law(codec).decode(parsed.payload, &mut frame);
        pcm.extend_from_slice(&frame);
    }
    pcm
}
