//! The receiving side of the load generator: a small tokio runtime with one task per leg, so
//! each packet is timestamped when it arrives (epoll wakes the task) rather than when a polling
//! loop gets round to it — jitter and latency need the real arrival time.
//!
//! Every leg counts reception statistics while `Shared::measuring` is set (they restart when
//! `Shared::epoch` moves); the probe of each conference also decodes what it hears and times
//! the marker.

use std::net::UdpSocket;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use media::g711::Law;
use media::opus::OpusDecoder;
use media::rtp::{self, Demux};
use tokio::sync::watch;

use super::rx::{MarkerDetector, RxStats};
use super::{Codec, Shared};

/// A leg as the receiver sees it.
#[derive(Debug)]
pub struct RecvLeg {
    /// The leg's RTP socket.
    pub socket: UdpSocket,
    /// Its conference.
    pub conf: usize,
    /// Whether it is its conference's probe.
    pub probe: bool,
}

/// What one leg measured.
#[derive(Debug, Clone, Default)]
pub struct LegResult {
    /// Reception statistics over the measurement window.
    pub stats: RxStats,
    /// Marker latencies heard by this probe during the window (ms).
    pub latencies_ms: Vec<f64>,
    /// Marker-like onsets that matched no marker sent in the last second.
    pub unmatched: u64,
}

/// Run the receive tasks until `stop` turns true; results in the order of `legs`.
pub fn run(
    legs: Vec<RecvLeg>,
    codec: Codec,
    threads: usize,
    shared: Arc<Shared>,
    stop: watch::Receiver<bool>,
) -> std::io::Result<Vec<LegResult>> {
    let runtime = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()?
    };
    runtime.block_on(async move {
        let mut tasks = Vec::with_capacity(legs.len());
        for leg in legs {
            leg.socket.set_nonblocking(true)?;
            let socket = tokio::net::UdpSocket::from_std(leg.socket)?;
            tasks.push(tokio::spawn(leg_task(
                socket,
                leg.conf,
                leg.probe,
                codec,
                Arc::clone(&shared),
                stop.clone(),
            )));
        }
        let mut out = Vec::with_capacity(tasks.len());
        for t in tasks {
            out.push(t.await.unwrap_or_default());
        }
        Ok(out)
    })
}

/// A probe's decoder.
enum Decoder {
    G711(Law, Box<[i16; 160 * 4]>),
    Opus(Box<OpusDecoder>, Vec<i16>),
}

impl Decoder {
    fn new(codec: Codec) -> Option<Decoder> {
        Some(match codec.law() {
            Some(law) => Decoder::G711(law, Box::new([0; 640])),
            None => Decoder::Opus(Box::new(OpusDecoder::new().ok()?), Vec::with_capacity(5760)),
        })
    }

    /// Decode one payload into the scratch buffer; the samples.
    fn decode(&mut self, payload: &[u8]) -> &[i16] {
        match self {
            Decoder::G711(law, buf) => {
                let n = law.decode(payload, &mut buf[..]);
                &buf[..n]
            }
            Decoder::Opus(dec, buf) => {
                buf.clear();
                if dec.decode(payload, buf).is_err() {
                    buf.clear();
                }
                buf
            }
        }
    }
}

/// When the marker begins in the talker's own packets, decoded as a probe decodes what it hears:
/// nanoseconds from the start of the first marker packet to the onset the detector finds in it
/// (`None` if it finds none). A packet played the moment it arrives sounds its marker this long
/// after its arrival, by the sending phone's codec delay (Opus look-ahead, 6.5 ms, which the
/// detector's 5 ms blocks put at 5.0 ms), not the bridge's. The probes subtract it, so the
/// latency reported is what the bridge adds.
pub fn marker_onset_ns(codec: Codec, packets: &[Vec<u8>]) -> Option<u64> {
    let rate = u64::from(codec.clock_rate());
    let mut decoder = Decoder::new(codec)?;
    // Two passes, timing the second: the decoder then has the state it has in the replayed loop.
    let mut onset = None;
    let mut position = 0u64;
    for pass in 0..2 {
        let mut detector = MarkerDetector::new(codec.clock_rate());
        for packet in packets {
            let pcm = decoder.decode(packet);
            let len = pcm.len() as u64;
            if let Some(offset) = detector.feed(pcm) {
                if pass == 1 && onset.is_none() {
                    onset = Some(position + offset as u64);
                }
            }
            if pass == 1 {
                position += len;
            }
        }
    }
    onset.map(|samples| samples * 1_000_000_000 / rate)
}

async fn leg_task(
    socket: tokio::net::UdpSocket,
    conf: usize,
    probe: bool,
    codec: Codec,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) -> LegResult {
    let rate = codec.clock_rate();
    let mut result = LegResult::default();
    let mut epoch = 0u32;
    let mut decoder = if probe { Decoder::new(codec) } else { None };
    let mut detector = MarkerDetector::new(rate);
    let mut last_marker = 0u64;
    let mut buf = [0u8; 2048];
    loop {
        let n = tokio::select! {
            r = socket.recv_from(&mut buf) => match r {
                Ok((n, _)) => n,
                // ICMP errors surface here: keep reading.
                Err(_) => continue,
            },
            _ = stop.changed() => break,
        };
        let arrival = shared.since_base(Instant::now());
        if rtp::demux(&buf[..n]) != Demux::Rtp {
            continue;
        }
        let Ok(p) = rtp::parse(&buf[..n]) else {
            continue;
        };
        let measuring = shared.measuring.load(Ordering::Relaxed);
        let now_epoch = shared.epoch.load(Ordering::Relaxed);
        if now_epoch != epoch {
            epoch = now_epoch;
            result = LegResult::default();
        }
        if measuring {
            let units = (u128::from(arrival) * u128::from(rate) / 1_000_000_000) as i64;
            result
                .stats
                .on_packet(p.header.seq.0, p.header.timestamp, units);
        }
        let Some(dec) = decoder.as_mut() else {
            continue;
        };
        let pcm = dec.decode(p.payload);
        let Some(offset) = detector.feed(pcm) else {
            continue;
        };
        let sent = shared.marker_sent[conf].load(Ordering::Relaxed);
        let onset = arrival + offset as u64 * 1_000_000_000 / u64::from(rate);
        // From when the marker would be heard without the bridge (see `marker_onset_ns`).
        let latency_ms = (onset as f64 - (sent + shared.marker_onset) as f64) / 1e6;
        if sent != 0 && sent != last_marker && (0.0..1000.0).contains(&latency_ms) {
            last_marker = sent;
            // A marker sent before the window opened is not one of the window's.
            if measuring && sent >= shared.window_start.load(Ordering::Relaxed) {
                result.latencies_ms.push(latency_ms);
            }
        } else if measuring {
            result.unmatched += 1;
        }
    }
    result
}
