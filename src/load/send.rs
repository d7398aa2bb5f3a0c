//! The sending side of the load generator: payloads encoded once at start, and sender threads
//! that put one RTP packet per leg on the wire every 20 ms on absolute deadlines.
//!
//! The legs of a thread are split into [`PHASES`] groups sent 5 ms apart, as independent phones
//! would be, instead of one burst per tick. A thread that wakes up late sends what it owes at once
//! (counted as a late tick); one more than [`RESYNC_TICKS`] behind restarts its schedule.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use media::goertzel;
use media::opus::{OpusEncoder, OpusParams, FRAME_SAMPLES};
use media::rtp::{self, RtpHeader};
use media::{Pt, SeqNo, Ssrc};

use super::{Codec, Shared};

/// The packet interval.
pub const TICK: Duration = Duration::from_millis(20);
/// Groups of legs per tick, sent `TICK / PHASES` apart.
pub const PHASES: u32 = 4;
/// Ticks between the packets of a silent caller in DTX (400 ms, as libopus sends its
/// comfort-noise updates).
pub const DTX_EVERY: u32 = 20;
/// Packets in one talker cycle (2 s): the marker comes once per cycle.
pub const CYCLE: usize = 100;
/// Packets of the marker burst (100 ms).
pub const MARKER_FRAMES: usize = 5;
/// Steady tone amplitude: −20 dBFS.
const TONE_AMPLITUDE: f64 = 0.1;
/// Marker amplitude: −10 dBFS.
const MARKER_AMPLITUDE: f64 = 0.316;
/// How far behind (in ticks) a sender may fall before it restarts its schedule.
const RESYNC_TICKS: u32 = 5;

/// The steady tone of talker slot `slot`: 400–1300 Hz in 100 Hz steps, a whole number of cycles
/// per 20 ms and at least 500 Hz below the marker.
pub fn tone_hz(slot: usize) -> f64 {
    400.0 + 100.0 * (slot % 10) as f64
}

/// Every payload the generator sends, encoded once.
#[derive(Debug)]
pub struct Payloads {
    /// Per talker slot, [`CYCLE`] packets; slot 0's first [`MARKER_FRAMES`] carry the marker.
    pub talkers: Vec<Vec<Vec<u8>>>,
    /// What a silent caller sends every 20 ms.
    pub silence: Vec<u8>,
    /// RTP timestamp step per packet.
    pub samples_per_packet: u32,
    /// Silent callers are in DTX: they send `silence` once every [`DTX_EVERY`] ticks only.
    pub dtx: bool,
}

impl Payloads {
    /// Encode `talkers` talker signals and the silence for `codec`.
    pub fn build(codec: Codec, talkers: usize) -> Result<Payloads, media::opus::CodecError> {
        let rate = codec.clock_rate();
        let frame = (rate / 50) as usize;
        let signal = |slot: usize, k: usize| -> Vec<i16> {
            let mut pcm = goertzel::tone(
                tone_hz(slot),
                f64::from(rate),
                TONE_AMPLITUDE,
                k * frame,
                frame,
            );
            if slot == 0 && k < MARKER_FRAMES {
                let m = goertzel::tone(
                    super::rx::MARKER_HZ,
                    f64::from(rate),
                    MARKER_AMPLITUDE,
                    k * frame,
                    frame,
                );
                for (a, b) in pcm.iter_mut().zip(m) {
                    *a = a.saturating_add(b);
                }
            }
            pcm
        };
        let slots = talkers.max(1);
        match codec.law() {
            Some(law) => {
                let encode = |pcm: &[i16]| {
                    let mut out = vec![0u8; pcm.len()];
                    law.encode(pcm, &mut out);
                    out
                };
                Ok(Payloads {
                    talkers: (0..slots)
                        .map(|s| (0..CYCLE).map(|k| encode(&signal(s, k))).collect())
                        .collect(),
                    silence: vec![law.silence(); frame],
                    samples_per_packet: frame as u32,
                    dtx: false,
                })
            }
            None => {
                let params = OpusParams::parse("useinbandfec=1");
                let mut talkers = Vec::with_capacity(slots);
                for s in 0..slots {
                    let mut enc = OpusEncoder::new(&params)?;
                    let mut packets = Vec::with_capacity(CYCLE);
                    // Two passes, keeping the second: its first packet follows the cycle's last
                    // one, so the replayed loop has no encoder restart in it.
                    for pass in 0..2 {
                        for k in 0..CYCLE {
                            let mut out = Vec::new();
                            enc.encode(&signal(s, k), &mut out)?;
                            if pass == 1 {
                                packets.push(out);
                            }
                        }
                    }
                    talkers.push(packets);
                }
                let mut enc = OpusEncoder::new(&params)?;
                let zeros = vec![0i16; FRAME_SAMPLES];
                let mut silence = Vec::new();
                for _ in 0..10 {
                    silence.clear();
                    enc.encode(&zeros, &mut silence)?;
                }
                Ok(Payloads {
                    talkers,
                    silence,
                    samples_per_packet: FRAME_SAMPLES as u32,
                    dtx: false,
                })
            }
        }
    }
}

/// One leg as its sender thread sees it.
#[derive(Debug)]
pub struct SendLeg {
    /// Global leg index.
    pub index: usize,
    /// The leg's RTP socket (non-blocking clone).
    pub socket: UdpSocket,
    /// Its conference.
    pub conf: usize,
    /// Talker slot, or `None` for a silent caller.
    pub talker: Option<usize>,
    /// RTP SSRC, first sequence number and timestamp.
    pub ssrc: u32,
    /// First sequence number.
    pub seq: u16,
    /// First timestamp.
    pub ts: u32,
}

/// Commands from the SIP thread.
#[derive(Debug, Clone, Copy)]
pub enum SendCmd {
    /// The call is answered: send to `remote` with payload type `pt`.
    Start {
        /// Global leg index.
        leg: usize,
        /// The bridge's RTP address.
        remote: SocketAddr,
        /// Negotiated payload type.
        pt: u8,
    },
    /// The call is ending: stop sending.
    Stop {
        /// Global leg index.
        leg: usize,
    },
}

/// What a sender thread counted.
#[derive(Debug, Clone, Copy, Default)]
pub struct SenderStats {
    /// Packets sent.
    pub packets: u64,
    /// Ticks that started more than one tick late.
    pub late_ticks: u64,
    /// Times the schedule was restarted after falling far behind.
    pub resyncs: u64,
    /// Packets the socket refused (buffer full).
    pub send_errors: u64,
    /// Markers sent while measuring.
    pub markers: u64,
}

struct Active {
    leg: SendLeg,
    target: Option<(SocketAddr, u8)>,
}

/// Run one sender thread until `shared.stop`.
pub fn run(
    legs: Vec<SendLeg>,
    payloads: Arc<Payloads>,
    commands: crossbeam_channel::Receiver<SendCmd>,
    shared: Arc<Shared>,
) -> SenderStats {
    let mut stats = SenderStats::default();
    let mut slot_of = std::collections::HashMap::with_capacity(legs.len());
    let mut groups: Vec<Vec<Active>> = (0..PHASES).map(|_| Vec::new()).collect();
    for (i, leg) in legs.into_iter().enumerate() {
        let phase = i % PHASES as usize;
        slot_of.insert(leg.index, (phase, groups[phase].len()));
        groups[phase].push(Active { leg, target: None });
    }
    let mut packet = [0u8; 1500];
    let step = TICK / PHASES;
    let mut start = Instant::now();
    let mut n: u32 = 0;
    while !shared.stop.load(Ordering::Relaxed) {
        for phase in 0..PHASES {
            let deadline = start + TICK * n + step * phase;
            let now = Instant::now();
            if deadline > now {
                std::thread::sleep(deadline - now);
            } else if phase == 0 && now - deadline > TICK {
                stats.late_ticks += 1;
                if now - deadline > TICK * RESYNC_TICKS {
                    stats.resyncs += 1;
                    start = now - TICK * n;
                }
            }
            if phase == 0 {
                for cmd in commands.try_iter() {
                    let (leg, target) = match cmd {
                        SendCmd::Start { leg, remote, pt } => (leg, Some((remote, pt))),
                        SendCmd::Stop { leg } => (leg, None),
                    };
                    if let Some(&(g, i)) = slot_of.get(&leg) {
                        groups[g][i].target = target;
                    }
                }
            }
            let measuring = shared.measuring.load(Ordering::Relaxed);
            for a in &mut groups[phase as usize] {
                let Some((remote, pt)) = a.target else {
                    continue;
                };
                let leg = &mut a.leg;
                // All legs of a conference share its place in the cycle; conferences are
                // staggered so their markers do not all come at once.
                let k = (n as usize + leg.conf * 37) % CYCLE;
                let payload = match leg.talker {
                    Some(slot) => &payloads.talkers[slot.min(payloads.talkers.len() - 1)][k],
                    None if payloads.dtx && !n.is_multiple_of(DTX_EVERY) => {
                        // In DTX: nothing this tick; the timestamp runs on (RFC 7587 §3.1.3).
                        leg.ts = leg.ts.wrapping_add(payloads.samples_per_packet);
                        continue;
                    }
                    None => &payloads.silence,
                };
                let header = RtpHeader {
                    pt: Pt(pt),
                    marker: false,
                    seq: SeqNo(leg.seq),
                    timestamp: leg.ts,
                    ssrc: Ssrc(leg.ssrc),
                };
                let Ok(len) = rtp::write(&mut packet, &header, payload) else {
                    continue;
                };
                match leg.socket.send_to(&packet[..len], remote) {
                    Ok(_) => stats.packets += 1,
                    Err(_) => stats.send_errors += 1,
                }
                if leg.talker == Some(0) && k == 0 {
                    shared.marker_sent[leg.conf]
                        .store(shared.since_base(Instant::now()), Ordering::Relaxed);
                    if measuring {
                        stats.markers += 1;
                    }
                }
                leg.seq = leg.seq.wrapping_add(1);
                leg.ts = leg.ts.wrapping_add(payloads.samples_per_packet);
            }
        }
        n += 1;
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;
    use media::g711::Law;

    #[test]
    fn g711_tables_carry_the_marker_once_per_cycle_on_slot_zero_only() {
        let p = Payloads::build(Codec::Pcmu, 2).unwrap();
        assert_eq!(p.talkers.len(), 2);
        assert_eq!(p.samples_per_packet, 160);
        let level = |bytes: &[u8], hz: f64| {
            let mut pcm = vec![0i16; bytes.len()];
            Law::Ulaw.decode(bytes, &mut pcm);
            goertzel::level_db(&pcm, hz, 8000.0)
        };
        for k in 0..CYCLE {
            let marker = level(&p.talkers[0][k], super::super::rx::MARKER_HZ);
            assert_eq!(
                marker > -15.0,
                k < MARKER_FRAMES,
                "slot 0 packet {k}: {marker} dB"
            );
            assert!(level(&p.talkers[1][k], super::super::rx::MARKER_HZ) < -40.0);
            assert!((level(&p.talkers[1][k], tone_hz(1)) + 20.0).abs() < 1.0);
        }
        assert!(p.silence.iter().all(|&b| b == 0xFF));
    }

    #[test]
    fn opus_talker_decodes_to_its_tone_and_marker() {
        let p = Payloads::build(Codec::Opus, 1).unwrap();
        assert_eq!(p.samples_per_packet, 960);
        let mut dec = media::opus::OpusDecoder::new().unwrap();
        let mut pcm = Vec::new();
        for packet in &p.talkers[0] {
            dec.decode(packet, &mut pcm).unwrap();
        }
        // Packets 0–4 of the second pass hold the marker (after the codec's few ms of delay).
        let marker = goertzel::level_db(&pcm[960..4 * 960], super::super::rx::MARKER_HZ, 48_000.0);
        let later = goertzel::level_db(
            &pcm[50 * 960..60 * 960],
            super::super::rx::MARKER_HZ,
            48_000.0,
        );
        let tone = goertzel::level_db(&pcm[50 * 960..60 * 960], tone_hz(0), 48_000.0);
        assert!(marker > -14.0, "marker {marker} dB");
        assert!(later < -40.0, "no marker later: {later} dB");
        assert!((tone + 20.0).abs() < 3.0, "tone {tone} dB");
    }

    #[test]
    fn the_marker_sounds_at_its_packet_start_in_g711_and_after_the_look_ahead_in_opus() {
        use super::super::recv::marker_onset_ns;
        let g711 = Payloads::build(Codec::Pcmu, 1).unwrap();
        assert_eq!(marker_onset_ns(Codec::Pcmu, &g711.talkers[0]), Some(0));
        // Opus delays the signal by its 6.5 ms look-ahead: the 5 ms block starting at 5 ms is
        // the first that holds enough of the marker.
        let opus = Payloads::build(Codec::Opus, 1).unwrap();
        assert_eq!(
            marker_onset_ns(Codec::Opus, &opus.talkers[0]),
            Some(5_000_000)
        );
        // A stream without the marker has no onset.
        assert_eq!(marker_onset_ns(Codec::Opus, &opus.talkers[0][10..]), None);
    }
}
