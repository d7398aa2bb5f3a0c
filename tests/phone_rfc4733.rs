//! The scripted phone's own media, checked against `media`'s parsers before other tests lean on
//! it: audio packets every 20 ms with continuous sequence numbers and timestamps carrying the
//! tone asked for, and RFC 4733 digits as the bridge's receiver expects them (marker on the first
//! packet, one timestamp per event, growing durations, the end packet sent three times, audio
//! resuming on the timeline afterwards).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::phone::{MediaSender, ToneSource};
use common::tone_db;
use media::dtmf::{DtmfReceiver, EventPayload};
use media::g711::Law;
use tokio::net::UdpSocket;

const AUDIO_PT: u8 = 0;
const EVENT_PT: u8 = 101;

/// One received packet: (payload type, marker, seq, timestamp, payload).
type Packet = (u8, bool, u16, u32, Vec<u8>);

async fn collect(socket: &UdpSocket, for_how_long: Duration) -> Vec<Packet> {
    let mut out = Vec::new();
    let mut buf = [0u8; 2048];
    let deadline = tokio::time::Instant::now() + for_how_long;
    while let Ok(Ok((n, _))) = tokio::time::timeout_at(deadline, socket.recv_from(&mut buf)).await {
        let p = media::rtp::parse(&buf[..n]).expect("the phone sends valid RTP");
        out.push((
            p.header.pt.0,
            p.header.marker,
            p.header.seq.0,
            p.header.timestamp,
            p.payload.to_vec(),
        ));
    }
    out
}

#[tokio::test]
async fn tone_then_digits_as_rfc_4733_events() {
    let rx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let tx = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let sender = MediaSender::start(
        tx,
        rx.local_addr().unwrap(),
        ToneSource {
            law: Law::Ulaw,
            pt: AUDIO_PT,
            event_pt: Some(EVENT_PT),
            tone_hz: Some(440.0),
            amplitude: 0.25,
        },
    );
    let started = Instant::now();
    let (packets, ()) = tokio::join!(collect(&rx, Duration::from_millis(1500)), async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        sender.send_dtmf('5').await;
        sender.send_dtmf('#').await;
    });
    // 1.5 s of 20 ms packets, give or take the edges.
    assert!(
        (70..=77).contains(&packets.len()),
        "{} packets in {:?}",
        packets.len(),
        started.elapsed()
    );

    // One stream: sequence numbers and the timeline advance by one frame per packet throughout.
    for w in packets.windows(2) {
        assert_eq!(w[1].2, w[0].2.wrapping_add(1), "sequence gap");
    }
    assert!(packets[0].1, "marker on the first audio packet");
    let ts0 = packets[0].3;

    // The audio before the digits is the tone, at its amplitude (−12 dBFS).
    let mut pcm = Vec::new();
    for p in packets.iter().take_while(|p| p.0 == AUDIO_PT) {
        let start = pcm.len();
        pcm.resize(start + p.4.len(), 0);
        Law::Ulaw.decode(&p.4, &mut pcm[start..]);
    }
    assert!(
        pcm.len() >= 20 * 160,
        "{} samples of audio first",
        pcm.len()
    );
    let db = tone_db(&pcm, 440.0);
    assert!((db + 12.0).abs() < 1.0, "440 Hz at {db:.1} dBFS");

    // Two events of 5 updates and 3 ends each.
    let events: Vec<(usize, &Packet)> = packets
        .iter()
        .enumerate()
        .filter(|(_, p)| p.0 == EVENT_PT)
        .collect();
    assert_eq!(events.len(), 16, "{events:?}");
    let mut receiver = DtmfReceiver::default();
    let mut digits = Vec::new();
    let now = Instant::now();
    for (k, (i, p)) in events.iter().enumerate() {
        let ev = EventPayload::parse(&p.4).unwrap();
        let n = k % 8;
        assert_eq!(p.1, n == 0, "marker only on an event's first packet");
        assert_eq!(ev.end, n >= 5, "end bit on the last three");
        assert_eq!(ev.duration, 160 * (n.min(5) as u16 + 1));
        // An event keeps the timestamp of its start, which lies on the audio timeline.
        let first_of_event = events[k - n].0;
        assert_eq!(p.3, events[k - n].1 .3);
        assert_eq!(
            p.3,
            ts0.wrapping_add(160 * first_of_event as u32),
            "packet {i}"
        );
        if let Some(d) = receiver.handle(now, p.3, &ev) {
            digits.push(d);
        }
    }
    assert_eq!(digits, vec!['5', '#']);
    assert_eq!(EventPayload::parse(&events[0].1 .4).unwrap().event, 5);
    assert_eq!(EventPayload::parse(&events[8].1 .4).unwrap().event, 11);

    // Audio resumes after the digits, on the timeline, without a new marker.
    let (i, after) = packets
        .iter()
        .enumerate()
        .skip_while(|(_, p)| p.0 != EVENT_PT)
        .find(|(_, p)| p.0 == AUDIO_PT)
        .expect("audio after the digits");
    assert!(!after.1);
    assert_eq!(after.3, ts0.wrapping_add(160 * i as u32));
}
