//! `pont bench video`: the added latency of the video MCU through the real bridge, and its cost.
//!
//! How a run goes:
//!
//! 1. The bridge is this executable, spawned as `pont serve` on loopback (as `pont load` does)
//!    with one video conference booked in a temporary SQLite store (layout 2×2 by default, so
//!    every caller's tile is visible whoever talks).
//! 2. `--callers` calls are placed one after the other through one [`sip::Endpoint`] (the UA
//!    `pont load` uses), each offering PCMU and H.264 video ([`sip::sdp::LocalVideo`], level 3.1
//!    so the bridge sends 720p, or 3.0 for 360p with `--resolution 360p`).
//! 3. One sender thread sends every caller's audio (PCMU silence, 20 ms) and video: a 640×360
//!    picture at 30 fps on absolute deadlines, encoded live with our [`H264Encoder`] (a flat
//!    colour per caller with a small moving bar, so the streams are not static; with
//!    `--texture` a panning luma noise over it, camera-like work for the bridge), packetized by
//!    [`Packetizer`]. A PLI or FIR from the bridge gets an IDR. Caller 0 is the *probe*: once
//!    the measurement starts it switches its colour between red and blue every second (P frames;
//!    no IDR is asked for), and notes when the first packet of each changed picture left.
//! 4. Caller 1 is the *viewer*: it depacketizes ([`Depacketizer`]) and decodes
//!    ([`H264Decoder`]) what the bridge sends it, and finds the tile showing red or blue (the
//!    centre of each tile of the layout). The latency of a change is from the first packet of
//!    the changed picture leaving the probe to the arrival of the last packet of the first
//!    composed picture that shows it (the viewer's own decode is not counted). The other callers
//!    only count what they receive.
//! 5. Over the measurement (`--changes` changes, one a second) the bridge's CPU time is read
//!    from `/proc/PID/stat`, the generator's own from `/proc/self/stat`, and the bridge's video
//!    counters from `/metrics`. Then every call is hung up and the bridge killed.
//!
//! The generator shares the machine with the bridge: its 360p encodes (one per caller per
//! frame) and the viewer's 720p decode take CPU too (reported).

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use media::h264::{Depacketizer, Packetizer};
use media::rtcp::{self, RtcpPacket};
use media::rtp::{self, RtpHeader};
use media::video::{EncoderSettings, Frame, H264Decoder, H264Encoder, Layout, Yuv};
use media::{Pt, SeqNo, Ssrc};
use sip::sdp::{self, CodecSpec, LocalMedia, LocalVideo, SessionDescription};
use sip::{CallHandle, Endpoint, EndpointConfig, Event, Transport};

use super::{bind_pair, bridge, io, splitmix, LoadError, TempDir};
use crate::store::{NewConference, Store};

/// The conference the run books.
const NUMBER: &str = "700001";
const CODE: &str = "1234";
/// Largest RTP payload the callers send.
const MAX_PAYLOAD: usize = 1200;
/// Sender picture size.
const WIDTH: usize = 640;
const HEIGHT: usize = 360;
/// The probe's two colours, and the fixed colours of the others (far from both in chroma).
const PROBE_COLOURS: [(u8, u8, u8); 2] = [(220, 30, 30), (30, 30, 220)];
const OTHER_COLOURS: [(u8, u8, u8); 8] = [
    (30, 200, 30),
    (230, 230, 40),
    (128, 128, 128),
    (40, 200, 200),
    (200, 200, 200),
    (60, 60, 60),
    (100, 180, 60),
    (180, 180, 100),
];
/// How far (in U+V) a tile's centre may be from a probe colour to count as showing it.
const MATCH_DISTANCE: i32 = 40;

/// `pont bench video` options.
#[derive(Debug, Clone, Args)]
pub struct VideoBenchArgs {
    /// Video callers (2–9); caller 0 is the probe, caller 1 the viewer.
    #[arg(long, default_value_t = 4)]
    pub callers: usize,
    /// Colour changes to time (one a second).
    #[arg(long, default_value_t = 20)]
    pub changes: usize,
    /// Layout of the conference (a grid, so the probe's tile is always visible).
    #[arg(long, default_value = "2x2")]
    pub layout: String,
    /// What the callers ask to receive.
    #[arg(long, value_enum, default_value_t = ViewSize::Hd720)]
    pub resolution: ViewSize,
    /// Video threads of the spawned bridge [default: the bridge's default].
    #[arg(long)]
    pub video_threads: Option<usize>,
    /// Fail (exit status 1) unless every caller got video and every change was seen.
    #[arg(long)]
    pub strict: bool,
    /// Callers send a panning luma texture over their colour (camera-like work for the
    /// bridge's decoders and encoder; the probe's colour, in the chroma, stays readable).
    #[arg(long)]
    pub texture: bool,
}

/// The picture size the callers can take (their H.264 level).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ViewSize {
    /// Level 3.1: the bridge sends 1280×720.
    #[value(name = "720p")]
    Hd720,
    /// Level 3.0: the bridge sends 640×360.
    #[value(name = "360p")]
    Sd360,
}

impl ViewSize {
    fn level_idc(self) -> u8 {
        match self {
            ViewSize::Hd720 => 0x1f,
            ViewSize::Sd360 => 0x1e,
        }
    }

    fn size(self) -> (usize, usize) {
        match self {
            ViewSize::Hd720 => (1280, 720),
            ViewSize::Sd360 => (640, 360),
        }
    }
}

/// One caller's sockets and negotiated addresses.
struct Caller {
    audio: UdpSocket,
    _audio_rtcp: UdpSocket,
    video: UdpSocket,
    video_rtcp: UdpSocket,
    offer: SessionDescription,
}

/// Where an answered call sends.
#[derive(Debug, Clone, Copy)]
struct Remote {
    audio: SocketAddr,
    audio_pt: u8,
    video: SocketAddr,
    video_pt: u8,
}

/// The probe's state, shared by the sender and the viewer.
#[derive(Debug, Default)]
struct Probe {
    /// Changes made so far (0: none yet).
    change: u32,
    /// The colour index shown since the last change.
    colour: usize,
    /// When the first packet of the changed picture left (ns since `base`).
    sent_ns: u64,
}

struct Shared {
    base: Instant,
    stop: AtomicBool,
    /// The probe changes colour every second while set.
    probing: AtomicBool,
    probe: Mutex<Probe>,
    /// Per change (index change − 1), the latency seen by the viewer (ns; 0: not seen).
    latencies: Mutex<Vec<u64>>,
    remotes: Mutex<Vec<Option<Remote>>>,
    /// Video packets and bytes each caller received.
    video_packets: Vec<AtomicU64>,
    video_bytes: Vec<AtomicU64>,
    /// Pictures the viewer decoded, and its decode errors.
    viewer_decoded: AtomicU64,
    viewer_errors: AtomicU64,
    /// Key frames the callers encoded (first picture and answers to PLI/FIR).
    sender_keyframes: AtomicU64,
    /// Frame periods the sender thread missed.
    sender_late: AtomicU64,
}

impl Shared {
    fn ns(&self, t: Instant) -> u64 {
        super::nanos_since(self.base, t)
    }
}

/// What a run measured.
#[derive(Debug, Default)]
pub struct VideoReport {
    callers: usize,
    answered: usize,
    layout: String,
    resolution: (usize, usize),
    texture: bool,
    changes_sent: usize,
    latencies_ms: Vec<f64>,
    video_packets: Vec<u64>,
    video_kbps: Vec<f64>,
    viewer_decoded: u64,
    viewer_errors: u64,
    sender_keyframes: u64,
    sender_late: u64,
    seconds: f64,
    bridge_cpu_percent: f64,
    generator_cpu_percent: f64,
    load_before: String,
    load_after: String,
    metrics: Vec<(&'static str, f64)>,
}

/// The counters of `/metrics` reported, as differences over the window.
const METRICS: [&str; 9] = [
    "pont_video_frames_decoded_total",
    "pont_video_frames_encoded_total",
    "pont_video_keyframes_encoded_total",
    "pont_video_decode_errors_total",
    "pont_video_rtp_packets_dropped_total",
    "pont_video_keyframe_requests_in_total",
    "pont_video_keyframe_requests_out_total",
    "pont_video_frame_overruns_total",
    "pont_video_busy_micros_total",
];

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p / 100.0 * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

impl VideoReport {
    /// Whether every caller got video and every change was seen.
    pub fn complete(&self) -> bool {
        self.answered == self.callers
            && self.video_packets.iter().all(|p| *p > 0)
            && self.latencies_ms.len() == self.changes_sent
            && self.changes_sent > 0
    }

    /// The report as text.
    pub fn human(&self) -> String {
        let mut sorted = self.latencies_ms.clone();
        sorted.sort_by(f64::total_cmp);
        let metric = |name: &str| {
            self.metrics
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(0.0, |(_, v)| *v)
        };
        let per_s = |name: &str| metric(name) / self.seconds.max(1e-9);
        let mut s =
            format!(
            "video bench: {} callers ({} answered), layout {}, {}×{} out, 640×360 30 fps in ({})\n",
            self.callers,
            self.answered,
            self.layout,
            self.resolution.0,
            self.resolution.1,
            if self.texture { "textured" } else { "flat colours" },
        );
        s.push_str(&format!(
            "added latency (probe's changed picture sent → composed picture received), {} of {} \
             changes seen: p50 {:.1} ms, p99 {:.1} ms, min {:.1} ms, max {:.1} ms\n",
            sorted.len(),
            self.changes_sent,
            percentile(&sorted, 50.0),
            percentile(&sorted, 99.0),
            sorted.first().copied().unwrap_or(f64::NAN),
            sorted.last().copied().unwrap_or(f64::NAN),
        ));
        s.push_str(&format!(
            "video received per caller in the window (packets, kb/s): {}\n",
            self.video_packets
                .iter()
                .zip(&self.video_kbps)
                .map(|(p, k)| format!("{p} ({k:.0})"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        s.push_str(&format!(
            "viewer: {} pictures decoded in the window, {} errors in all; callers' key frames {}, \
             late sender ticks {}\n",
            self.viewer_decoded, self.viewer_errors, self.sender_keyframes, self.sender_late
        ));
        s.push_str(&format!(
            "over {:.1} s: bridge CPU {:.1} % of one core, generator {:.1} %; load {} → {}\n",
            self.seconds,
            self.bridge_cpu_percent,
            self.generator_cpu_percent,
            self.load_before,
            self.load_after
        ));
        s.push_str(&format!(
            "bridge video: {:.1} decoded/s, {:.1} encoded/s, {} IDR, {} decode errors, {} RTP \
             dropped, {} PLI/FIR in, {} out, {} frame overruns, busy {:.1} % of one core\n",
            per_s("pont_video_frames_decoded_total"),
            per_s("pont_video_frames_encoded_total"),
            metric("pont_video_keyframes_encoded_total"),
            metric("pont_video_decode_errors_total"),
            metric("pont_video_rtp_packets_dropped_total"),
            metric("pont_video_keyframe_requests_in_total"),
            metric("pont_video_keyframe_requests_out_total"),
            metric("pont_video_frame_overruns_total"),
            per_s("pont_video_busy_micros_total") / 10_000.0,
        ));
        s
    }
}

/// Run `pont bench video`: the report goes to stdout, progress to stderr.
pub async fn run(args: VideoBenchArgs) -> Result<(), LoadError> {
    let layout = Layout::from_name(&args.layout)
        .ok_or_else(|| LoadError::Usage(format!("unknown layout {:?}", args.layout)))?;
    if !matches!(layout, Layout::Grid2x2 | Layout::Grid3x3) {
        return Err(LoadError::Usage(
            "--layout must be a grid (2x2 or 3x3): the probe's tile must stay visible".into(),
        ));
    }
    if args.callers < 2 || args.callers > layout.capacity() {
        return Err(LoadError::Usage(format!(
            "--callers must be between 2 and {} for this layout",
            layout.capacity()
        )));
    }
    if args.changes == 0 {
        return Err(LoadError::Usage("--changes must be at least 1".into()));
    }
    let dir = TempDir::new().map_err(io("temporary directory"))?;
    let db = format!("sqlite://{}", dir.0.join("video.db").display());
    book(&db, &args).await?;
    let log = dir.0.join("bridge.log");
    let a = args.clone();
    let report = tokio::task::spawn_blocking(move || run_blocking(&a, layout, &db, &log))
        .await
        .map_err(|_| LoadError::Panicked)??;
    drop(dir);
    print!("{}", report.human());
    if args.strict && !report.complete() {
        return Err(LoadError::VideoIncomplete(format!(
            "{} of {} calls answered, {} of {} changes seen",
            report.answered,
            report.callers,
            report.latencies_ms.len(),
            report.changes_sent
        )));
    }
    Ok(())
}

async fn book(db: &str, args: &VideoBenchArgs) -> Result<(), LoadError> {
    let store = Store::open(db).await?;
    let now = crate::unix_now();
    store
        .add_conference(
            &NewConference {
                number: NUMBER.into(),
                title: "video bench".into(),
                access_code: CODE.into(),
                starts_at: now - 60,
                duration_minutes: 60 + args.changes as i64 / 60,
                capacity: args.callers as i64,
                kind: "video".into(),
                layout: args.layout.clone(),
            },
            now,
        )
        .await?;
    Ok(())
}

fn run_blocking(
    args: &VideoBenchArgs,
    layout: Layout,
    db: &str,
    log: &std::path::Path,
) -> Result<VideoReport, LoadError> {
    // A port range of its own, below the ephemeral range, apart from other runs'.
    let low = 24_000 + (std::process::id() % 40) as u16 * 200;
    let spawned = bridge::spawn_with(db, (low, low + 198), log, None, args.video_threads)?;
    let pid = spawned.pid.to_string();
    let mut seed = rand::random::<u64>();
    let mut callers = Vec::with_capacity(args.callers);
    for _ in 0..args.callers {
        let (audio, audio_rtcp) = bind_pair().map_err(io("binding RTP sockets"))?;
        let (video, video_rtcp) = bind_pair().map_err(io("binding RTP sockets"))?;
        let local = LocalMedia {
            address: Ipv4Addr::LOCALHOST.into(),
            audio_port: audio.local_addr().map_err(io("RTP socket"))?.port(),
            codecs: vec![CodecSpec {
                name: "PCMU".into(),
                clock_rate: 8000,
                channels: 1,
                static_pt: Some(0),
                fmtp: None,
            }],
            telephone_event: true,
            comfort_noise: false,
            session_id: splitmix(&mut seed) >> 2,
            session_version: 1,
            video: Some(LocalVideo {
                port: video.local_addr().map_err(io("RTP socket"))?.port(),
                max_level_idc: args.resolution.level_idc(),
                max_recv_bitrate_bps: 2_000_000,
            }),
        };
        callers.push(Caller {
            audio,
            _audio_rtcp: audio_rtcp,
            video,
            video_rtcp,
            offer: sdp::offer(&local),
        });
    }
    let shared = Arc::new(Shared {
        base: Instant::now(),
        stop: AtomicBool::new(false),
        probing: AtomicBool::new(false),
        probe: Mutex::new(Probe::default()),
        latencies: Mutex::new(Vec::new()),
        remotes: Mutex::new(vec![None; args.callers]),
        video_packets: (0..args.callers).map(|_| AtomicU64::new(0)).collect(),
        video_bytes: (0..args.callers).map(|_| AtomicU64::new(0)).collect(),
        viewer_decoded: AtomicU64::new(0),
        viewer_errors: AtomicU64::new(0),
        sender_keyframes: AtomicU64::new(0),
        sender_late: AtomicU64::new(0),
    });

    // Receivers first, so nothing the bridge sends is missed.
    let mut threads = Vec::new();
    let tiles = {
        let (w, h) = args.resolution.size();
        let mut t = layout.tiles(w, h);
        t.truncate(args.callers);
        t
    };
    for (i, c) in callers.iter().enumerate() {
        let socket = c.video.try_clone().map_err(io("cloning a socket"))?;
        let rtcp = c.video_rtcp.try_clone().map_err(io("cloning a socket"))?;
        let (shared, tiles) = (Arc::clone(&shared), tiles.clone());
        threads.push(
            std::thread::Builder::new()
                .name(format!("vbench-recv-{i}"))
                .spawn(move || receive(i, &socket, &rtcp, i == 1, &tiles, &shared))
                .map_err(io("starting a receiver"))?,
        );
    }
    let sockets: Vec<(UdpSocket, UdpSocket, UdpSocket)> = callers
        .iter()
        .map(|c| {
            Ok((
                c.audio.try_clone()?,
                c.video.try_clone()?,
                c.video_rtcp.try_clone()?,
            ))
        })
        .collect::<std::io::Result<_>>()
        .map_err(io("cloning a socket"))?;
    let sender = {
        let (shared, texture) = (Arc::clone(&shared), args.texture);
        std::thread::Builder::new()
            .name("vbench-send".into())
            .spawn(move || send(sockets, texture, &shared))
            .map_err(io("starting the sender"))?
    };

    let offers: Vec<SessionDescription> = callers.iter().map(|c| c.offer.clone()).collect();
    let result = drive(
        args,
        spawned.sip,
        &offers,
        &pid,
        (spawned.web, "/metrics"),
        &shared,
    );
    shared.stop.store(true, Ordering::Relaxed);
    let sender_ok = sender.join().is_ok();
    let receivers_ok = threads.into_iter().all(|t| t.join().is_ok());
    drop(spawned);
    if !sender_ok || !receivers_ok {
        return Err(LoadError::Panicked);
    }
    let mut report = result?;
    report.layout = layout.name().into();
    report.resolution = args.resolution.size();
    report.texture = args.texture;
    report.latencies_ms = shared
        .latencies
        .lock()
        .map(|l| {
            l.iter()
                .filter(|ns| **ns > 0)
                .map(|ns| *ns as f64 / 1e6)
                .collect()
        })
        .unwrap_or_default();
    report.viewer_errors = shared.viewer_errors.load(Ordering::Relaxed);
    report.sender_keyframes = shared.sender_keyframes.load(Ordering::Relaxed);
    report.sender_late = shared.sender_late.load(Ordering::Relaxed);
    Ok(report)
}

/// The SIP side and the measurement: call, wait, probe, hang up.
fn drive(
    args: &VideoBenchArgs,
    bridge_sip: SocketAddr,
    offers: &[SessionDescription],
    pid: &str,
    metrics: (SocketAddr, &str),
    shared: &Shared,
) -> Result<VideoReport, LoadError> {
    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).map_err(io("binding SIP"))?;
    let local = socket.local_addr().map_err(io("binding SIP"))?;
    let mut config = EndpointConfig::new(local);
    config.user_agent = "pont-bench-video".into();
    config.seed = rand::random();
    let mut ep = Endpoint::new(config);
    let uri = format!("sip:{NUMBER}**{CODE}@{bridge_sip}");
    let mut handles: Vec<Option<CallHandle>> = vec![None; offers.len()];
    let mut answered = 0usize;
    let mut buf = vec![0u8; 65_535];
    let mut report = VideoReport {
        callers: offers.len(),
        ..VideoReport::default()
    };

    // One call at a time, so they join in order (caller 0's tile first).
    let mut step = |ep: &mut Endpoint, wait: Duration| -> Vec<(CallHandle, Option<Vec<u8>>)> {
        let mut answers = Vec::new();
        let _ = socket.set_read_timeout(Some(wait.max(Duration::from_millis(1))));
        if let Ok((n, from)) = socket.recv_from(&mut buf) {
            ep.handle_input(Instant::now(), &buf[..n], from, Transport::Udp);
        }
        let now = Instant::now();
        if ep.poll_timeout().is_some_and(|t| t <= now) {
            ep.handle_timeout(now);
        }
        while let Some(t) = ep.poll_transmit() {
            let _ = socket.send_to(&t.payload, t.destination);
        }
        while let Some(e) = ep.poll_event() {
            if let Event::Answered { call, answer } = e {
                answers.push((call, answer));
            }
        }
        answers
    };
    for (i, offer) in offers.iter().enumerate() {
        let h = ep.invite(
            Instant::now(),
            &uri,
            bridge_sip,
            Transport::Udp,
            Some(offer.to_bytes()),
        );
        handles[i] = Some(h);
        let deadline = Instant::now() + super::ua::ANSWER_TIMEOUT;
        let mut done = false;
        while !done && Instant::now() < deadline {
            for (call, answer) in step(&mut ep, Duration::from_millis(20)) {
                if call != h {
                    continue;
                }
                done = true;
                let Some(remote) = answer.and_then(|a| negotiated(offer, &a)) else {
                    eprintln!("pont bench video: caller {i}: unusable answer");
                    continue;
                };
                answered += 1;
                if let Ok(mut r) = shared.remotes.lock() {
                    r[i] = Some(remote);
                }
            }
        }
        // The direct-dial join comes ~300 ms after the ACK; keep the join order.
        let until = Instant::now() + Duration::from_millis(500);
        while Instant::now() < until {
            step(&mut ep, Duration::from_millis(20));
        }
    }
    report.answered = answered;
    eprintln!(
        "pont bench video: {answered} of {} calls answered; warming up",
        offers.len()
    );
    let until = Instant::now() + Duration::from_secs(3);
    while Instant::now() < until {
        step(&mut ep, Duration::from_millis(20));
    }

    // The window.
    let clk_tck = bridge::clock_ticks() as f64;
    let before = bridge::fetch_metrics(metrics.0, metrics.1)?;
    let cpu_before = bridge::cpu_ticks(pid).map_err(io("reading the bridge's /proc"))?;
    let own_before = bridge::cpu_ticks("self").map_err(io("reading /proc/self"))?;
    report.load_before = loadavg();
    let counted =
        |v: &[AtomicU64]| -> Vec<u64> { v.iter().map(|c| c.load(Ordering::Relaxed)).collect() };
    let (packets_before, bytes_before) =
        (counted(&shared.video_packets), counted(&shared.video_bytes));
    let decoded_before = shared.viewer_decoded.load(Ordering::Relaxed);
    let start = Instant::now();
    shared.probing.store(true, Ordering::Relaxed);
    let end = start + Duration::from_secs(args.changes as u64) + Duration::from_millis(700);
    while Instant::now() < end {
        step(&mut ep, Duration::from_millis(20));
    }
    shared.probing.store(false, Ordering::Relaxed);
    // Late changes still get up to a second.
    let until = Instant::now() + Duration::from_millis(1000);
    while Instant::now() < until {
        step(&mut ep, Duration::from_millis(20));
    }
    let seconds = start.elapsed().as_secs_f64();
    let cpu_after = bridge::cpu_ticks(pid).map_err(io("reading the bridge's /proc"))?;
    let own_after = bridge::cpu_ticks("self").map_err(io("reading /proc/self"))?;
    let after = bridge::fetch_metrics(metrics.0, metrics.1)?;
    report.load_after = loadavg();
    report.seconds = seconds;
    report.bridge_cpu_percent = (cpu_after - cpu_before) as f64 / clk_tck / seconds * 100.0;
    report.generator_cpu_percent = (own_after - own_before) as f64 / clk_tck / seconds * 100.0;
    report.metrics = METRICS
        .iter()
        .map(|m| (*m, bridge::metric(&after, m) - bridge::metric(&before, m)))
        .collect();
    report.changes_sent = shared.probe.lock().map_or(0, |p| p.change as usize);
    let (packets, bytes) = (counted(&shared.video_packets), counted(&shared.video_bytes));
    for i in 0..packets.len() {
        report.video_packets.push(packets[i] - packets_before[i]);
        let b = (bytes[i] - bytes_before[i]) as f64;
        report.video_kbps.push(b * 8.0 / seconds / 1000.0);
    }
    report.viewer_decoded = shared.viewer_decoded.load(Ordering::Relaxed) - decoded_before;

    // Hang up, and give the BYEs a moment.
    for h in handles.iter().flatten() {
        ep.hangup(Instant::now(), *h);
    }
    let until = Instant::now() + Duration::from_secs(2);
    while Instant::now() < until && ep.call_count() > 0 {
        step(&mut ep, Duration::from_millis(20));
    }
    Ok(report)
}

/// The audio and video addresses of an answer.
fn negotiated(offer: &SessionDescription, answer: &[u8]) -> Option<Remote> {
    let answer = SessionDescription::parse(answer).ok()?;
    let (audio, video) = sdp::negotiate_answer_av(offer, &answer).ok()?;
    let video = video?;
    Some(Remote {
        audio: audio.remote_rtp?,
        audio_pt: audio.payload_type,
        video: video.remote_rtp?,
        video_pt: video.payload_type,
    })
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// One caller's sending state.
struct Outgoing {
    encoder: H264Encoder,
    packetizer: Packetizer,
    ssrc: Ssrc,
    seq: SeqNo,
    audio_seq: SeqNo,
}

/// The sender thread: every caller's audio every 20 ms and video every 1/30 s, on absolute
/// deadlines from one start.
fn send(sockets: Vec<(UdpSocket, UdpSocket, UdpSocket)>, texture: bool, shared: &Shared) {
    let mut seed = rand::random::<u64>();
    // Twice the picture's width of 4×4-block noise (±20 around the colour's luma), made once;
    // each picture takes a window of it that pans.
    let noise: Vec<i16> = if texture {
        let mut n = vec![0i16; 2 * WIDTH * HEIGHT];
        for (row, line) in n.chunks_exact_mut(2 * WIDTH).enumerate() {
            for (col, px) in line.iter_mut().enumerate() {
                let block = ((row / 4) as u64) << 32 | (col / 4) as u64;
                *px = (splitmix(&mut (block ^ 0x5EED)) % 41) as i16 - 20;
            }
        }
        n
    } else {
        Vec::new()
    };
    let mut out: Vec<Outgoing> = Vec::with_capacity(sockets.len());
    for _ in &sockets {
        let Ok(encoder) = H264Encoder::new(EncoderSettings {
            width: WIDTH,
            height: HEIGHT,
            fps: 30.0,
            bitrate_bps: 600_000,
            keyframe_interval: 100_000,
            max_nal_bytes: Some(MAX_PAYLOAD),
        }) else {
            return;
        };
        let Ok(packetizer) = Packetizer::new(MAX_PAYLOAD) else {
            return;
        };
        let r = splitmix(&mut seed);
        out.push(Outgoing {
            encoder,
            packetizer,
            ssrc: Ssrc(r as u32),
            seq: SeqNo((r >> 32) as u16),
            audio_seq: SeqNo((r >> 48) as u16),
        });
    }
    for (_, _, rtcp) in &sockets {
        let _ = rtcp.set_nonblocking(true);
    }
    let mut frame = Frame::new(WIDTH, HEIGHT);
    let mut packet = vec![0u8; MAX_PAYLOAD + 12];
    let mut payload = vec![0u8; MAX_PAYLOAD];
    let mut rtcp_buf = vec![0u8; 1500];
    let silence = [0xFFu8; 160];
    let mut start = Instant::now();
    let (mut video_n, mut audio_n) = (0u64, 0u64);
    let mut started = vec![false; sockets.len()];
    let mut probe_colour = 0usize;
    let mut probe_frames = 0u64;
    let mut change_pending = false;
    while !shared.stop.load(Ordering::Relaxed) {
        let video_due = start + Duration::from_micros(video_n * 1_000_000 / 30);
        let audio_due = start + Duration::from_millis(audio_n * 20);
        let next = video_due.min(audio_due);
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        }
        let remotes: Vec<Option<Remote>> =
            shared.remotes.lock().map(|r| r.clone()).unwrap_or_default();
        if audio_due <= video_due {
            for (i, (audio, _, _)) in sockets.iter().enumerate() {
                let Some(remote) = remotes.get(i).copied().flatten() else {
                    continue;
                };
                let o = &mut out[i];
                let header = RtpHeader {
                    pt: Pt(remote.audio_pt),
                    marker: false,
                    seq: o.audio_seq,
                    timestamp: (audio_n as u32).wrapping_mul(160),
                    ssrc: Ssrc(o.ssrc.0 ^ 0xA0D1_0000),
                };
                o.audio_seq = o.audio_seq.next();
                if let Ok(len) = rtp::write(&mut packet, &header, &silence) {
                    let _ = audio.send_to(&packet[..len], remote.audio);
                }
            }
            audio_n += 1;
            continue;
        }
        if Instant::now().saturating_duration_since(video_due) > Duration::from_millis(33) {
            shared.sender_late.fetch_add(1, Ordering::Relaxed);
        }
        // The probe's colour: a change every 30 frames while probing.
        if shared.probing.load(Ordering::Relaxed) {
            probe_frames += 1;
            if probe_frames.is_multiple_of(30) {
                probe_colour ^= 1;
                // Timed from the first picture of the new colour that is sent (the encoder's
                // rate control may skip a picture).
                change_pending = true;
            } else if probe_frames % 30 == 29 {
                // Cameras do not keep time with the bridge: before each change, shift this
                // thread's frame clock by a random part of a frame period, so the changes
                // sample every phase of the bridge's 30 fps ticks (as real senders would).
                start += Duration::from_micros(splitmix(&mut seed) % 33_333);
            }
        }
        for (i, (_, video, rtcp)) in sockets.iter().enumerate() {
            let Some(remote) = remotes.get(i).copied().flatten() else {
                continue;
            };
            let o = &mut out[i];
            // A PLI or FIR from the bridge (or the first picture) gets an IDR.
            let mut wants_key = !started[i];
            while let Ok(n) = rtcp.recv(&mut rtcp_buf) {
                wants_key |= rtcp::parse(&rtcp_buf[..n])
                    .map_while(Result::ok)
                    .any(|p| matches!(p, RtcpPacket::Pli { .. } | RtcpPacket::Fir { .. }));
            }
            if wants_key {
                o.encoder.request_keyframe();
            }
            started[i] = true;
            let rgb = if i == 0 {
                PROBE_COLOURS[probe_colour]
            } else {
                OTHER_COLOURS[(i - 1) % OTHER_COLOURS.len()]
            };
            draw(
                &mut frame,
                Yuv::from_rgb(rgb.0, rgb.1, rgb.2),
                video_n as usize,
                (!noise.is_empty()).then(|| (noise.as_slice(), i * 97)),
            );
            let ms = video_n * 1000 / 30;
            let Ok(encoded) = o.encoder.encode(&frame, ms) else {
                continue;
            };
            if encoded.annexb.is_empty() {
                continue;
            }
            if encoded.keyframe {
                shared.sender_keyframes.fetch_add(1, Ordering::Relaxed);
            }
            let timestamp = (video_n as u32).wrapping_mul(3000);
            if o.packetizer.push_annexb(timestamp, encoded.annexb).is_err() {
                continue;
            }
            let mut first = true;
            while let Ok(Some(p)) = o.packetizer.poll_payload(&mut payload) {
                let header = RtpHeader {
                    pt: Pt(remote.video_pt),
                    marker: p.marker,
                    seq: o.seq,
                    timestamp,
                    ssrc: o.ssrc,
                };
                o.seq = o.seq.next();
                if let Ok(len) = rtp::write(&mut packet, &header, &payload[..p.len]) {
                    let _ = video.send_to(&packet[..len], remote.video);
                }
                if first && change_pending && i == 0 {
                    change_pending = false;
                    if let Ok(mut probe) = shared.probe.lock() {
                        probe.change += 1;
                        probe.colour = probe_colour;
                        probe.sent_ns = shared.ns(Instant::now());
                    }
                }
                first = false;
            }
        }
        video_n += 1;
    }
}

/// A flat colour with a light bar moving along the bottom (so each picture has some change).
/// With `texture` (noise of twice the width, and this caller's offset in it), the luma is the
/// colour's plus a window of the noise that pans 3 pixels a frame.
fn draw(frame: &mut Frame, colour: Yuv, n: usize, texture: Option<(&[i16], usize)>) {
    frame.fill(colour);
    let (w, h) = (frame.width(), frame.height());
    let (y, _, _) = frame.planes_mut();
    if let Some((noise, offset)) = texture {
        let x = (n * 3 + offset) % w;
        for (row, line) in y.chunks_exact_mut(w).enumerate() {
            let src = &noise[row * 2 * w + x..][..w];
            for (px, d) in line.iter_mut().zip(src) {
                *px = (i16::from(colour.y) + d).clamp(16, 235) as u8;
            }
        }
    }
    let x0 = (n * 8) % (w - 32);
    for row in h - 40..h - 8 {
        for px in &mut y[row * w + x0..row * w + x0 + 32] {
            *px = 235;
        }
    }
}

/// A receiving thread: counts what the bridge sends; the viewer also decodes it and times the
/// probe's changes.
fn receive(
    index: usize,
    socket: &UdpSocket,
    rtcp_socket: &UdpSocket,
    viewer: bool,
    tiles: &[media::video::Rect],
    shared: &Shared,
) {
    let _ = socket.set_read_timeout(Some(Duration::from_millis(100)));
    let mut buf = vec![0u8; 2048];
    let mut depacketizer = Depacketizer::new();
    let mut decoder = if viewer {
        H264Decoder::new().ok()
    } else {
        None
    };
    let mut seen_change = 0u32;
    let mut last_pli: Option<Instant> = None;
    let mut rtcp_buf = [0u8; 64];
    let targets: Vec<Yuv> = PROBE_COLOURS
        .iter()
        .map(|c| Yuv::from_rgb(c.0, c.1, c.2))
        .collect();
    while !shared.stop.load(Ordering::Relaxed) {
        let Ok((n, from)) = socket.recv_from(&mut buf) else {
            continue;
        };
        let arrived = Instant::now();
        shared.video_packets[index].fetch_add(1, Ordering::Relaxed);
        shared.video_bytes[index].fetch_add(n as u64, Ordering::Relaxed);
        let Some(decoder) = decoder.as_mut() else {
            continue;
        };
        let Ok(p) = rtp::parse(&buf[..n]) else {
            continue;
        };
        let h = p.header;
        let _ = depacketizer.push(h.seq, h.timestamp, h.marker, p.payload);
        while let Some(au) = depacketizer.poll_frame() {
            match decoder.decode(&au.data) {
                Ok(Some(picture)) => {
                    shared.viewer_decoded.fetch_add(1, Ordering::Relaxed);
                    let (change, colour, sent) = shared
                        .probe
                        .lock()
                        .map_or((0, 0, 0), |p| (p.change, p.colour, p.sent_ns));
                    if change > seen_change
                        && tiles
                            .iter()
                            .any(|t| matches(centre(picture, t), targets[colour]))
                    {
                        seen_change = change;
                        let latency = shared.ns(arrived).saturating_sub(sent).max(1);
                        if let Ok(mut l) = shared.latencies.lock() {
                            l.resize(change as usize, 0);
                            l[change as usize - 1] = latency;
                        }
                    }
                }
                Ok(None) => {}
                Err(_) => {
                    shared.viewer_errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            depacketizer.recycle(au);
        }
        // A loss at the viewer: ask the bridge for a key frame (at most twice a second).
        if depacketizer.poll_keyframe_request().is_some()
            && last_pli.is_none_or(|t| arrived - t > Duration::from_millis(500))
        {
            last_pli = Some(arrived);
            let rtcp_to = SocketAddr::new(from.ip(), from.port().saturating_add(1));
            if let Ok(len) = rtcp::write_pli(&mut rtcp_buf, Ssrc(1), h.ssrc) {
                let _ = rtcp_socket.send_to(&rtcp_buf[..len], rtcp_to);
            }
        }
    }
}

/// The mean colour of the middle of a tile (a 16×16 block).
fn centre(picture: &Frame, tile: &media::video::Rect) -> Yuv {
    let (cx, cy) = (tile.x + tile.width / 2, tile.y + tile.height / 2);
    let (mut y, mut u, mut v) = (0u32, 0u32, 0u32);
    let mut count = 0u32;
    for row in cy.saturating_sub(8)..(cy + 8).min(picture.height()) {
        for col in cx.saturating_sub(8)..(cx + 8).min(picture.width()) {
            let p = picture.pixel(col, row);
            y += u32::from(p.y);
            u += u32::from(p.u);
            v += u32::from(p.v);
            count += 1;
        }
    }
    let count = count.max(1);
    Yuv {
        y: (y / count) as u8,
        u: (u / count) as u8,
        v: (v / count) as u8,
    }
}

/// Whether two colours are close in chroma.
fn matches(a: Yuv, b: Yuv) -> bool {
    let d = (i32::from(a.u) - i32::from(b.u)).abs() + (i32::from(a.v) - i32::from(b.v)).abs();
    d < MATCH_DISTANCE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_colours_are_told_apart_from_the_others() {
        let probe: Vec<Yuv> = PROBE_COLOURS
            .iter()
            .map(|c| Yuv::from_rgb(c.0, c.1, c.2))
            .collect();
        assert!(!matches(probe[0], probe[1]));
        for c in OTHER_COLOURS {
            let other = Yuv::from_rgb(c.0, c.1, c.2);
            assert!(!matches(other, probe[0]), "{c:?}");
            assert!(!matches(other, probe[1]), "{c:?}");
        }
    }

    #[test]
    fn a_tile_centre_is_read() {
        let mut f = Frame::new(1280, 720);
        let red = Yuv::from_rgb(220, 30, 30);
        f.fill(Yuv::BLACK);
        let tiles = Layout::Grid2x2.tiles(1280, 720);
        media::video::fill_rect(&mut f, tiles[3], red);
        assert!(matches(centre(&f, &tiles[3]), red));
        assert!(!matches(centre(&f, &tiles[0]), red));
    }

    #[test]
    fn percentiles() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(percentile(&v, 50.0), 3.0);
        assert_eq!(percentile(&v, 99.0), 5.0);
        assert!(percentile(&[], 50.0).is_nan());
    }
}
