//! Fuzz target: the video receive path of a conference on arbitrary packets — RTP parsing, the
//! H.264 depacketizer, the OpenH264 decoder (through our wrapper), the copy of decoded pictures,
//! RTCP feedback parsing — then composing and encoding what the receivers see.
//!
//! Input: byte 0 picks the layout; then packets as `ctrl, len, payload[len]`: `ctrl` bit 0 sends
//! the bytes to the RTCP port as they are; otherwise they are the payload of an RTP packet (PT 96)
//! whose sequence number moves by −1..+2 (bits 1–2), with the marker (bit 3) and a timestamp step
//! (bit 4); bit 5 ticks the conference (at most 3 ticks per input: each encodes a picture).
//!
//! Build and run as `fuzz_targets/rtp.rs` says, with `--bin video`.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use media::rtp::{self, RtpHeader};
use media::video::{Layout, Resolution, VideoConference, VideoConfig, VideoLegConfig};
use media::{LegId, Pt, SeqNo, Ssrc};

fn leg(ssrc: u32) -> VideoLegConfig {
    VideoLegConfig {
        payload_type: Pt(96),
        ssrc: Ssrc(ssrc),
        resolution: Resolution::Sd360,
        max_bitrate_bps: Some(200_000),
        send: true,
        pli: true,
        fir: true,
        seed: 7,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, mut rest)) = data.split_first() else {
        return;
    };
    #[allow(clippy::disallowed_methods)]
    let t0 = Instant::now();
    let layout = Layout::ALL[usize::from(first) % Layout::ALL.len()];
    let mut conf = VideoConference::new(VideoConfig::default(), layout, t0);
    conf.join(LegId(1), "sender");
    conf.join(LegId(2), "screen");
    conf.set_video(LegId(1), leg(1)).expect("decoder");
    conf.set_video(LegId(2), leg(2)).expect("decoder");
    let mut seq = 100u16;
    let mut ts = 0u32;
    let mut ticks = 0;
    let mut now = t0;
    let mut packet = vec![0u8; 2048];
    while let [ctrl, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        let payload = &tail[..n];
        rest = &tail[n..];
        now += Duration::from_millis(5);
        if ctrl & 1 != 0 {
            conf.receive_rtcp(LegId(1), payload, now);
        } else {
            seq = seq.wrapping_add(u16::from((ctrl >> 1) & 3)).wrapping_sub(1);
            if ctrl & 0x10 != 0 {
                ts = ts.wrapping_add(3000);
            }
            let header = RtpHeader {
                pt: Pt(96),
                marker: ctrl & 0x08 != 0,
                seq: SeqNo(seq),
                timestamp: ts,
                ssrc: Ssrc(0xabc),
            };
            if let Ok(len) = rtp::write(&mut packet, &header, payload) {
                conf.receive_rtp(LegId(1), &packet[..len], now);
            }
        }
        if ctrl & 0x20 != 0 && ticks < 3 {
            ticks += 1;
            conf.tick(now, |_, _, _| {});
        }
    }
    conf.tick(now, |_, _, _| {});
});
