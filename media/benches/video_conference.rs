//! Cost of one conference's video through [`VideoConference`], the way the bridge runs it: N
//! senders at 640×360 30 fps (their RTP), decoded once each ([`VideoConference::receive_rtp`]),
//! and one composed picture per output key, encoded and packetized for every receiver
//! ([`VideoConference::tick`]).
//!
//! Each sender's stream (moving, textured content, so the encoders downstream have real work) is
//! encoded and packetized once before anything is timed; the runs replay those payloads with
//! rewritten sequence numbers and timestamps, on a synthetic 30 fps clock. Every leg both sends
//! and receives (all 720p or all 360p, or mixed). Printed per case: ms per frame for the
//! decode side and the tick side, the encodes per tick (`output_keys().len()`), composed outputs
//! per core at 30 fps (33.3 ms ÷ tick time per output), and video participants per core in
//! conferences of this size (33.3 ms ÷ the whole conference's time per frame × participants).
//! The quickest of three runs of 300 frames (after 30 of warm-up) is printed, with the load.
//!
//! Two clocks: wall time, and the thread's time on a CPU (`/proc/thread-self/schedstat`, in
//! ns), which other processes on a shared machine do not inflate (the bench and OpenH264 run on
//! this one thread). The per-core figures are computed from the CPU time.
//!
//! Run with `cargo bench -p media --bench video_conference` (release). Only the measurement
//! reads the real clock.
#![allow(clippy::disallowed_methods)]

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant};

use media::h264::Packetizer;
use media::rtp::{self, RtpHeader};
use media::video::{
    EncoderSettings, Frame, H264Encoder, Layout, Resolution, VideoConference, VideoConfig,
    VideoLegConfig,
};
use media::{LegId, PacketKind, Pt, SeqNo, Ssrc};

const WARMUP: usize = 30;
const FRAMES: usize = 300;
const RUNS: usize = 3;
const FRAME_MS: f64 = 1000.0 / 30.0;
/// The RTP payload size the bridge's own packetizer uses (1300-byte packets).
const MAX_PAYLOAD: usize = 1288;
const PT: Pt = Pt(96);

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Picture `t` of sender `s`: a drifting gradient, a textured background (pseudo-random 4×4
/// blocks, distinct per sender) that pans, and a bright bar sweeping across.
fn draw(f: &mut Frame, s: usize, t: usize) {
    let (w, h) = (f.width(), f.height());
    let (y, u, v) = f.planes_mut();
    let bar = (t * (5 + s)) % w;
    for row in 0..h {
        for col in 0..w {
            let (tx, ty) = ((col + t * (1 + s % 3)) / 4, (row + t / 2) / 4);
            let texture = splitmix64(((s as u64) << 48) | ((ty as u64) << 24) | tx as u64) % 40;
            let gradient = ((col + 2 * row + t + 40 * s) / 8) % 64;
            let mut luma = 40 + gradient as u64 + texture;
            if col.abs_diff(bar) < 24 {
                luma = 220;
            }
            y[row * w + col] = luma as u8;
        }
    }
    for row in 0..h / 2 {
        for col in 0..w / 2 {
            u[row * (w / 2) + col] = (90 + 20 * (s % 4) + (col + t) / 16 % 8) as u8;
            v[row * (w / 2) + col] = (150 - 15 * (s % 4) + (row + t) / 16 % 8) as u8;
        }
    }
}

/// One sender's stream: per frame, its RTP payloads and marker bits.
struct Stream {
    frames: Vec<Vec<(Vec<u8>, bool)>>,
}

fn encode_stream(s: usize) -> Stream {
    let mut enc = H264Encoder::new(EncoderSettings {
        width: 640,
        height: 360,
        fps: 30.0,
        bitrate_bps: 600_000,
        keyframe_interval: FRAMES as u32,
        max_nal_bytes: Some(MAX_PAYLOAD),
    })
    .expect("encoder");
    let mut packetizer = Packetizer::new(MAX_PAYLOAD).expect("packetizer");
    let mut frame = Frame::new(640, 360);
    let mut buf = vec![0; MAX_PAYLOAD];
    let mut frames = Vec::with_capacity(FRAMES);
    for t in 0..FRAMES {
        draw(&mut frame, s, t);
        let out = enc
            .encode(&frame, (t as f64 * FRAME_MS) as u64)
            .expect("encode");
        let mut packets = Vec::new();
        if !out.annexb.is_empty() {
            packetizer.push_annexb(0, out.annexb).expect("packetize");
            while let Some(p) = packetizer.poll_payload(&mut buf).expect("payload") {
                packets.push((buf[..p.len].to_vec(), p.marker));
            }
        }
        frames.push(packets);
    }
    Stream { frames }
}

/// The calling thread's time on a CPU so far, from `/proc/thread-self/schedstat` (its first
/// field, ns); read with `pread` into a fixed buffer.
struct ThreadCpu {
    file: File,
    buf: [u8; 96],
}

impl ThreadCpu {
    fn new() -> ThreadCpu {
        ThreadCpu {
            file: File::open("/proc/thread-self/schedstat").expect("/proc/thread-self/schedstat"),
            buf: [0; 96],
        }
    }

    fn now(&mut self) -> Duration {
        let n = self.file.read_at(&mut self.buf, 0).expect("schedstat");
        let ns = self.buf[..n]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0'));
        Duration::from_nanos(ns)
    }
}

struct Case {
    name: &'static str,
    layout: Layout,
    senders: usize,
    /// Resolution of each receiver, by leg index (cycled).
    resolutions: &'static [Resolution],
}

#[derive(Clone, Copy)]
struct Run {
    decode: Duration,
    tick: Duration,
    decode_cpu: Duration,
    tick_cpu: Duration,
    worst_tick: Duration,
    outputs: usize,
    packets_out: u64,
    bytes_out: u64,
    decoded: u64,
}

fn run(case: &Case, streams: &[Stream], t0: Instant, cpu: &mut ThreadCpu) -> Run {
    let mut conf = VideoConference::new(VideoConfig::default(), case.layout, t0);
    for i in 0..case.senders {
        let id = LegId(i as u64 + 1);
        conf.join(id, &format!("sender {i}"));
        conf.set_video(
            id,
            VideoLegConfig {
                payload_type: PT,
                ssrc: Ssrc(0x5000 + i as u32),
                resolution: case.resolutions[i % case.resolutions.len()],
                max_bitrate_bps: None,
                send: true,
                pli: true,
                fir: false,
                seed: i as u64,
            },
        )
        .expect("set_video");
    }
    let mut packet = vec![0; MAX_PAYLOAD + 12];
    let (mut decode, mut tick, mut worst_tick) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let (mut packets_out, mut bytes_out) = (0u64, 0u64);
    let (mut decode_cpu, mut tick_cpu) = (Duration::ZERO, Duration::ZERO);
    let mut seqs: Vec<SeqNo> = (0..case.senders).map(|i| SeqNo(1000 * i as u16)).collect();
    let mut outputs = 0;
    let mut decoded_at_warmup = 0;
    for n in 0..WARMUP + FRAMES {
        let now = t0 + Duration::from_micros((n as u64 * 1_000_000) / 30);
        let timestamp = (n as u32).wrapping_mul(3000);
        if n == WARMUP {
            decoded_at_warmup = conf.stats().frames_decoded;
        }
        let mut took = Duration::ZERO;
        let cpu_start = cpu.now();
        for (i, stream) in streams.iter().take(case.senders).enumerate() {
            for (payload, marker) in &stream.frames[n % FRAMES] {
                let header = RtpHeader {
                    pt: PT,
                    marker: *marker,
                    seq: seqs[i],
                    timestamp,
                    ssrc: Ssrc(0xA000 + i as u32),
                };
                seqs[i] = seqs[i].next();
                let len = rtp::write(&mut packet, &header, payload).expect("rtp");
                let start = Instant::now();
                let taken = conf.receive_rtp(LegId(i as u64 + 1), &packet[..len], now);
                took += start.elapsed();
                assert!(taken);
            }
        }
        let cpu_mid = cpu.now();
        let mut sent = (0u64, 0u64);
        let start = Instant::now();
        conf.tick(now, |_, kind, data| {
            if kind == PacketKind::Rtp {
                sent.0 += 1;
                sent.1 += data.len() as u64;
            }
        });
        let tick_took = start.elapsed();
        let cpu_end = cpu.now();
        if n >= WARMUP {
            decode += took;
            tick += tick_took;
            decode_cpu += cpu_mid - cpu_start;
            tick_cpu += cpu_end - cpu_mid;
            worst_tick = worst_tick.max(tick_took);
            packets_out += sent.0;
            bytes_out += sent.1;
            outputs = outputs.max(conf.output_keys().len());
        }
    }
    let stats = conf.stats();
    assert_eq!(stats.decode_errors, 0);
    Run {
        decode: decode / FRAMES as u32,
        tick: tick / FRAMES as u32,
        decode_cpu: decode_cpu / FRAMES as u32,
        tick_cpu: tick_cpu / FRAMES as u32,
        worst_tick,
        outputs,
        packets_out,
        bytes_out,
        decoded: stats.frames_decoded - decoded_at_warmup,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn main() {
    use Resolution::{Hd720, Sd360};
    let cases = [
        Case {
            name: "2x2, 4 senders, 720p receivers",
            layout: Layout::Grid2x2,
            senders: 4,
            resolutions: &[Hd720],
        },
        Case {
            name: "2x2, 4 senders, 360p receivers",
            layout: Layout::Grid2x2,
            senders: 4,
            resolutions: &[Sd360],
        },
        Case {
            name: "3x3, 9 senders, 720p receivers",
            layout: Layout::Grid3x3,
            senders: 9,
            resolutions: &[Hd720],
        },
        Case {
            name: "3x3, 9 senders, 360p receivers",
            layout: Layout::Grid3x3,
            senders: 9,
            resolutions: &[Sd360],
        },
        Case {
            name: "voice-switched, 4 senders, 720p receivers (speaker + audience)",
            layout: Layout::VoiceSwitched,
            senders: 4,
            resolutions: &[Hd720],
        },
        Case {
            name: "1+N, 4 senders, 720p receivers (speaker + audience)",
            layout: Layout::OnePlusN,
            senders: 4,
            resolutions: &[Hd720],
        },
        Case {
            name: "1+N, 4 senders, 720p + 360p receivers alternately (3 outputs)",
            layout: Layout::OnePlusN,
            senders: 4,
            resolutions: &[Hd720, Sd360],
        },
    ];
    let only: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    println!(
        "pre-encoding 9 senders × {FRAMES} frames of 640×360 (load {})…",
        loadavg()
    );
    let streams: Vec<Stream> = (0..9).map(encode_stream).collect();
    let kbps: f64 = streams[0]
        .frames
        .iter()
        .flatten()
        .map(|(p, _)| p.len() as f64)
        .sum::<f64>()
        * 8.0
        / (FRAMES as f64 / 30.0)
        / 1000.0;
    let skipped = streams
        .iter()
        .map(|s| s.frames.iter().filter(|f| f.is_empty()).count())
        .sum::<usize>();
    println!(
        "sender stream: {kbps:.0} kb/s of payload; {skipped} of {} frames skipped by the \
         encoders' rate control",
        9 * FRAMES
    );
    let t0 = Instant::now();
    let mut cpu = ThreadCpu::new();
    for case in &cases {
        if only
            .as_ref()
            .is_some_and(|o| !case.name.contains(o.as_str()))
        {
            continue;
        }
        let load_before = loadavg();
        let best = (0..RUNS)
            .map(|_| run(case, &streams, t0, &mut cpu))
            .min_by_key(|r| r.decode_cpu + r.tick_cpu)
            .expect("runs");
        let conf_ms = ms(best.decode_cpu + best.tick_cpu);
        let per_output = ms(best.tick_cpu) / best.outputs as f64;
        println!("{} (load {load_before}):", case.name);
        println!(
            "  CPU ms/frame: decode {:.2} ({:.2} per sender, {} pictures in {FRAMES} frames), \
             tick {:.2} for {} encodes/tick → {per_output:.2} per output; wall ms/frame: decode \
             {:.2}, tick {:.2} (worst {:.1})",
            ms(best.decode_cpu),
            ms(best.decode_cpu) / case.senders as f64,
            best.decoded,
            ms(best.tick_cpu),
            best.outputs,
            ms(best.decode),
            ms(best.tick),
            ms(best.worst_tick),
        );
        println!(
            "  composed outputs per core at 30 fps: {:.1}; whole conference {conf_ms:.2} CPU \
             ms/frame → {:.1} conferences of {} per core = {:.1} video participants per core; \
             out {:.0} kb/s to each receiver, {} packets",
            FRAME_MS / per_output,
            FRAME_MS / conf_ms,
            case.senders,
            FRAME_MS / conf_ms * case.senders as f64,
            best.bytes_out as f64 * 8.0 / case.senders as f64 / (FRAMES as f64 / 30.0) / 1000.0,
            best.packets_out,
        );
    }
    println!("load after: {}", loadavg());
}
