//! The engine sends a compound SR + SDES about every 5 s per leg, reporting what it received
//! (RFC 3550 §6.4.1); an RR sent back with LSR/DLSR gives the round-trip time; RTCP arriving on
//! the RTP port (rtcp-mux) is routed to the RTCP path; garbage is counted.

mod support;

use std::time::{Duration, UNIX_EPOCH};

use media::rtcp::{self, NtpTime, ReportBlock, RtcpPacket};
use media::{AudioCodec, ConferenceEngine, LegId, Ssrc};
use support::*;

const OUR_SSRC: u32 = 0x0B0B_0B0B;
const PEER_SSRC: u32 = 0x0C0C_0C0C;

fn rr(block: ReportBlock) -> Vec<u8> {
    let mut v = vec![0x81, 201, 0, 7];
    v.extend_from_slice(&PEER_SSRC.to_be_bytes());
    v.extend_from_slice(&block.ssrc.0.to_be_bytes());
    v.push(block.fraction_lost);
    v.extend_from_slice(&block.cumulative_lost.to_be_bytes()[1..]);
    for x in [block.highest_seq, block.jitter, block.lsr, block.dlsr] {
        v.extend_from_slice(&x.to_be_bytes());
    }
    v
}

#[test]
fn sr_reports_reception_and_rr_gives_rtt() {
    let t0 = t0();
    let wall = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let mut engine = ConferenceEngine::with_seed(3);
    engine.set_wallclock(t0, wall);
    engine.set_cname("bridge@example.test");
    let leg = LegId(1);
    engine.add_leg(t0, leg, config(AudioCodec::Pcmu, OUR_SSRC));
    let mut rx = vec![Received::default()];
    let mut sr_tick = None;
    // 8 s with every 25th packet lost.
    for tick in 0..400u32 {
        let now = t0 + TICK * tick;
        if tick % 25 != 24 {
            let p = packet(
                0,
                PEER_SSRC,
                40_000 + tick as u16,
                tick * 160,
                false,
                &[0xFF; 160],
            );
            engine.handle_rtp(now, leg, &p);
        }
        engine.tick(now);
        let before = rx[0].rtcp.len();
        drain(&mut engine, &[leg], &mut rx);
        if rx[0].rtcp.len() > before && sr_tick.is_none() {
            sr_tick = Some(tick);
        }
    }
    // One SR between 2.5 and 7.5 s, at least one more by 8 s only if the first came early.
    let first = sr_tick.expect("an SR within 8 s");
    assert!((125..=375).contains(&first), "first SR at tick {first}");
    assert_eq!(rx[0].rtp.len(), 400);

    let sr = &rx[0].rtcp[0];
    let packets: Vec<_> = rtcp::parse(sr)
        .collect::<Result<_, _>>()
        .expect("valid RTCP");
    let RtcpPacket::SenderReport { info, blocks } = packets[0] else {
        panic!("first packet is not an SR: {:?}", packets[0]);
    };
    assert_eq!(info.ssrc, Ssrc(OUR_SSRC));
    assert_eq!(info.packets, first + 1);
    assert_eq!(info.octets, (first + 1) * 160);
    let expected_ntp = NtpTime::from_system_time(wall + TICK * first);
    assert_eq!(info.ntp, expected_ntp);
    let blocks: Vec<_> = blocks.collect();
    assert_eq!(blocks.len(), 1);
    let b = blocks[0];
    assert_eq!(b.ssrc, Ssrc(PEER_SSRC));
    // Packets up to `first` were offered, except every 25th; the last one is received if
    // `first % 25 != 24`.
    let sent = first + 1;
    let lost = sent / 25;
    let highest = if first % 25 == 24 { first - 1 } else { first };
    assert_eq!(b.highest_seq, 40_000 + highest);
    assert_eq!(b.cumulative_lost as u32, lost - u32::from(first % 25 == 24));
    assert_eq!(b.jitter, 0, "packets arrive exactly on time");
    let RtcpPacket::Sdes(mut chunks) = packets[1] else {
        panic!("second packet is not SDES");
    };
    assert_eq!(
        chunks.next(),
        Some((Ssrc(OUR_SSRC), Some(&b"bridge@example.test"[..])))
    );

    // The peer answers 100 ms after the SR arrives, having held it 30 ms: RTT = 70 ms.
    let lsr = info.ntp.middle32();
    let answer = rr(ReportBlock {
        ssrc: Ssrc(OUR_SSRC),
        fraction_lost: 0,
        cumulative_lost: 0,
        highest_seq: 1,
        jitter: 5,
        lsr,
        dlsr: 65536 * 30 / 1000,
    });
    let at = t0 + TICK * first + Duration::from_millis(100);
    // Over rtcp-mux: on the RTP path.
    engine.handle_rtp(at, leg, &answer);
    let s = engine.leg_stats(leg).expect("leg");
    assert_eq!(s.rtcp_received, 1);
    assert_eq!(s.rtp_received, 400 - 16);
    assert_eq!(s.remote_report.map(|r| r.jitter), Some(5));
    let rtt_ms = f64::from(s.rtt_1_65536.expect("rtt")) * 1000.0 / 65536.0;
    assert!((rtt_ms - 70.0).abs() < 1.0, "rtt {rtt_ms} ms");
}

#[test]
fn an_sr_from_the_peer_sets_lsr_and_garbage_is_counted() {
    let t0 = t0();
    let mut engine = ConferenceEngine::new();
    let leg = LegId(2);
    engine.add_leg(t0, leg, config(AudioCodec::Pcma, OUR_SSRC));
    engine.handle_rtp(t0, leg, &packet(8, PEER_SSRC, 1, 0, true, &[0xD5; 160]));
    let peer_sr = {
        let info = rtcp::SenderInfo {
            ssrc: Ssrc(PEER_SSRC),
            ntp: NtpTime(0x1234_5678_9ABC_DEF0),
            rtp_ts: 0,
            packets: 1,
            octets: 160,
        };
        let mut buf = [0u8; 128];
        let n = rtcp::write_sr(&mut buf, &info, &[], b"peer").expect("fits");
        buf[..n].to_vec()
    };
    engine.handle_rtcp(t0, leg, &peer_sr);
    engine.handle_rtcp(t0, leg, &[0x80, 200, 0, 40, 1, 2]);
    engine.handle_rtcp(t0, leg, &[]);
    let mut rx = vec![Received::default()];
    for tick in 0..400u32 {
        engine.tick(t0 + TICK * tick);
        drain(&mut engine, &[leg], &mut rx);
    }
    let s = engine.leg_stats(leg).expect("leg");
    assert_eq!((s.rtcp_received, s.rtcp_malformed), (3, 2));
    let sr = rx[0].rtcp.first().expect("an SR");
    let Some(Ok(RtcpPacket::SenderReport { info, mut blocks })) = rtcp::parse(sr).next() else {
        panic!("not an SR");
    };
    // No wall clock given: NTP time 0 (RFC 3550 §6.4.1 allows it).
    assert_eq!(info.ntp, NtpTime(0));
    let b = blocks.next().expect("a report block");
    assert_eq!(b.lsr, 0x5678_9ABC);
    assert!(b.dlsr > 65536 * 2, "DLSR counts the seconds since the SR");
}
