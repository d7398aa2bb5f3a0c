//! `pont load`: a load generator and benchmark. It places K calls over loopback to a bridge, in
//! conferences of N with T talkers each, sends and receives real RTP at real rate (G.711 or
//! Opus), and reports calls set up and failed, per-leg loss and jitter, the bridge's CPU and
//! resident memory (from `/proc`), its mixer tick overruns (from `/metrics`) and the added
//! latency of a tone marker from one caller to another.
//!
//! How a run goes:
//!
//! 1. By default the bridge is this executable, spawned as `pont serve` on loopback with a
//!    SQLite store in a temporary directory, after ⌈K/N⌉ conferences (700001, 700002…, code
//!    1234) were booked in it through [`Store::add_conference`], as `pont conference add` does.
//!    With `--bridge`, `--bridge-pid` and `--metrics` an already running bridge is driven
//!    instead, on conferences that exist (`--numbers`, `--code`).
//! 2. One SIP thread ([`ua`]) INVITEs `sip:NUMBER**CODE@bridge` at `--setup-rate` calls/s from
//!    one UDP socket, each call offering only the chosen codec (+ telephone-event). A call is
//!    *set up* when its 200 OK came and the bridge counted it joined (`calls_joined_total`:
//!    the direct-dial join comes ~300 ms after the ACK, after the code check's floor).
//! 3. Sender threads ([`send`], `--threads`) send one packet per leg every 20 ms on absolute
//!    deadlines: talkers a steady tone at −20 dBFS (400 + 100·slot Hz), and talker 0 of each
//!    conference a 100 ms 1800 Hz marker at −10 dBFS every 2 s (staggered between
//!    conferences), starting on a packet boundary; everyone else sends silence like a phone
//!    without DTX. Payloads are encoded once at start (Opus: 2 s per talker, replayed), so
//!    the generator stays cheap and the figures are the bridge's.
//! 4. Receiving ([`recv`]) is one task per leg on a small tokio runtime (as many threads as
//!    senders), so arrival times are real (jitter and latency need them, a polling loop would
//!    quantize them to its period). Every leg counts RFC 3550 loss and jitter; in each
//!    conference one caller that does not send the marker is the *probe*: it decodes what it
//!    hears and times the marker's onset (Goertzel on 5 ms blocks, [`rx`]). The added latency
//!    is that onset less the one the talker's own packet gives, decoded the same way at start
//!    ([`recv::marker_onset_ns`]): what a phone would hear if the packet reached it directly
//!    (Opus: 5 ms after the send, its encoder's look-ahead; G.711: at once).
//! 5. After every call is set up and 2 s of warm-up, the measurement window (`--seconds`)
//!    starts: bridge CPU time (`/proc/PID/stat`), the generator's own, the bridge's metrics;
//!    at its end the same again plus the bridge's `VmRSS` (compared with before the first
//!    call). Then every call is hung up (BYE, 200s counted) and the spawned bridge killed.
//!
//! Limits, said plainly: the generator runs on the same machine as the bridge and takes CPU
//! from it (its own figure is reported); a spawned bridge is killed when `pont load` ends,
//! fails or gets ctrl-c, but not if `pont load` itself is killed with SIGKILL.

mod bridge;
mod recv;
mod report;
mod rx;
mod send;
mod ua;
pub mod video;
mod window;

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use clap::{Args, ValueEnum};
use sip::sdp::SessionDescription;

use crate::store::{NewConference, Store};

pub use report::Report;

/// `pont load` options.
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// Calls to place (participants).
    #[arg(long, default_value_t = 100)]
    pub calls: usize,
    /// Participants per conference.
    #[arg(long, default_value_t = 10)]
    pub size: usize,
    /// Talkers per conference (the others send silence).
    #[arg(long, default_value_t = 2)]
    pub talkers: usize,
    /// Codec offered.
    #[arg(long, value_enum, default_value_t = Codec::Pcmu)]
    pub codec: Codec,
    /// Length of the measurement window, seconds (after set-up and 2 s of warm-up).
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// Calls set up per second.
    #[arg(long, default_value_t = 100.0)]
    pub setup_rate: f64,
    /// Sender threads (and receiver runtime threads) of the generator.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Print one line of JSON instead of the report.
    #[arg(long)]
    pub json: bool,
    /// Fail (exit status 1) if any packet was lost.
    #[arg(long)]
    pub require_no_loss: bool,
    /// Mixer threads of the spawned bridge [default: the bridge's default].
    #[arg(long)]
    pub mixer_threads: Option<usize>,
    /// Opus only: silent callers use DTX (discontinuous transmission, as libopus clients may)
    /// — one silence packet every 400 ms instead of one every 20 ms.
    #[arg(long)]
    pub dtx: bool,
    /// Drive this running bridge (SIP HOST:PORT) instead of spawning one.
    #[arg(long, requires_all = ["bridge_pid", "metrics", "numbers"])]
    pub bridge: Option<SocketAddr>,
    /// Process id of the running bridge (for `/proc`).
    #[arg(long)]
    pub bridge_pid: Option<u32>,
    /// Metrics URL of the running bridge, e.g. http://127.0.0.1:8080/metrics.
    #[arg(long)]
    pub metrics: Option<String>,
    /// Conference numbers on the running bridge (comma-separated; one per N calls).
    #[arg(long, value_delimiter = ',')]
    pub numbers: Vec<String>,
    /// Access code of those conferences.
    #[arg(long, default_value = "1234")]
    pub code: String,
}

/// A codec the generator can offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Codec {
    /// G.711 µ-law.
    Pcmu,
    /// G.711 A-law.
    Pcma,
    /// Opus, 48 kHz, in-band FEC.
    Opus,
}

impl Codec {
    /// RTP clock rate.
    pub fn clock_rate(self) -> u32 {
        match self {
            Codec::Pcmu | Codec::Pcma => 8000,
            Codec::Opus => 48_000,
        }
    }

    /// The G.711 law, for the G.711 codecs.
    pub fn law(self) -> Option<media::g711::Law> {
        match self {
            Codec::Pcmu => Some(media::g711::Law::Ulaw),
            Codec::Pcma => Some(media::g711::Law::Alaw),
            Codec::Opus => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Codec::Pcmu => "pcmu",
            Codec::Pcma => "pcma",
            Codec::Opus => "opus",
        }
    }

    /// The SDP offer of a leg whose RTP socket is `port` on loopback.
    fn offer(self, port: u16, session: u64) -> String {
        let (pt, rtpmap, fmtp, event_rate) = match self {
            Codec::Pcmu => (0, "PCMU/8000", None, 8000),
            Codec::Pcma => (8, "PCMA/8000", None, 8000),
            Codec::Opus => (111, "opus/48000/2", Some("useinbandfec=1"), 48_000),
        };
        let mut sdp = format!(
            "v=0\r\no=pont-load {session} 1 IN IP4 127.0.0.1\r\ns=pont load\r\n\
             c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {port} RTP/AVP {pt} 101\r\n\
             a=rtpmap:{pt} {rtpmap}\r\n"
        );
        if let Some(f) = fmtp {
            sdp.push_str(&format!("a=fmtp:{pt} {f}\r\n"));
        }
        sdp.push_str(&format!(
            "a=rtpmap:101 telephone-event/{event_rate}\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n"
        ));
        sdp
    }
}

/// Why a load run failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The options do not make sense together.
    #[error("{0}")]
    Usage(String),
    /// The bridge could not be started.
    #[error("cannot start the bridge: {0}")]
    Spawn(std::io::Error),
    /// The bridge started but did not come up.
    #[error("the bridge did not start: {0}")]
    BridgeStart(String),
    /// The conferences could not be booked.
    #[error("cannot book the conferences: {0}")]
    Store(#[from] crate::store::StoreError),
    /// A socket, thread or file could not be made.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The Opus encoder could not be made.
    #[error("cannot encode the test signals: {0}")]
    Codec(#[from] media::opus::CodecError),
    /// `/metrics` could not be read.
    #[error("cannot read the bridge's metrics: {0}")]
    Metrics(String),
    /// The run completed, but calls failed to set up.
    #[error("{failed} of {calls} calls failed to set up")]
    CallsFailed {
        /// Calls not set up.
        failed: usize,
        /// Calls placed.
        calls: usize,
    },
    /// The run completed, but packets were lost (with `--require-no-loss`).
    #[error("{0} packets lost")]
    Loss(u64),
    /// `pont bench video --strict`: a caller got no video, or a change was not seen.
    #[error("incomplete video run: {0}")]
    VideoIncomplete(String),
    /// Interrupted by ctrl-c.
    #[error("interrupted")]
    Interrupted,
    /// A worker thread panicked.
    #[error("a generator thread panicked")]
    Panicked,
}

fn io(what: &'static str) -> impl FnOnce(std::io::Error) -> LoadError {
    move |source| LoadError::Io { what, source }
}

/// State the generator's threads share.
#[derive(Debug)]
pub struct Shared {
    /// The origin of every timestamp kept as nanoseconds.
    base: Instant,
    /// Everything stops.
    stop: AtomicBool,
    /// The SIP thread hangs up every call.
    hangup: AtomicBool,
    /// The measurement window is open.
    measuring: AtomicBool,
    /// Bumped when a window opens: receivers restart their statistics.
    epoch: AtomicU32,
    /// When the window opened (ns since `base`): only markers sent since count.
    window_start: AtomicU64,
    /// Per conference, when its last marker was sent (ns since `base`; 0: none yet).
    marker_sent: Vec<AtomicU64>,
    /// How long after its send the marker sounds in the talker's own packet (ns,
    /// [`recv::marker_onset_ns`]): the zero of the added latency.
    marker_onset: u64,
    /// Calls answered with a usable 200 OK.
    answered: AtomicUsize,
    /// Calls that failed to set up.
    failed: AtomicUsize,
    /// A few failure reasons.
    failures: Mutex<Vec<String>>,
    /// Answered calls the bridge ended.
    remote_ended: AtomicUsize,
    /// BYEs sent at the end.
    byes_sent: AtomicUsize,
    /// 200 OKs received for them.
    bye_ok: AtomicUsize,
}

impl Shared {
    /// Nanoseconds from `base` to `t` (at least 1, so 0 can mean "never").
    fn since_base(&self, t: Instant) -> u64 {
        nanos_since(self.base, t)
    }
}

/// Nanoseconds from `base` to `t`, at least 1 (so that 0 can mean "never" in an atomic).
fn nanos_since(base: Instant, t: Instant) -> u64 {
    (t.saturating_duration_since(base).as_nanos() as u64).max(1)
}

/// Where the bridge is and how to reach its figures.
struct Target {
    sip: SocketAddr,
    pid: String,
    metrics: (SocketAddr, String),
    numbers: Vec<String>,
    code: String,
    /// Holds the spawned bridge (killed on drop).
    _spawned: Option<bridge::Spawned>,
}

/// A temporary directory for the spawned bridge's store and log, removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> std::io::Result<TempDir> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!("pont-load-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Run `pont load`: the report goes to stdout, progress to stderr. An error after the report
/// when calls failed (or packets were lost with `--require-no-loss`).
pub async fn run(args: LoadArgs) -> Result<(), LoadError> {
    validate(&args)?;
    let conferences = args.calls.div_ceil(args.size);
    let dir = if args.bridge.is_none() {
        let dir = TempDir::new().map_err(io("temporary directory"))?;
        let db = format!("sqlite://{}", dir.0.join("load.db").display());
        book(&db, conferences, &args).await?;
        Some((dir, db))
    } else {
        None
    };
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let a = args.clone();
    let db = dir.as_ref().map(|(d, db)| (d.0.clone(), db.clone()));
    let mut task = tokio::task::spawn_blocking(move || run_blocking(&a, db, &flag));
    let outcome = tokio::select! {
        r = &mut task => r,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("pont load: interrupted, hanging up");
            stop.store(true, Ordering::Relaxed);
            task.await
        }
    };
    drop(dir);
    let report = outcome.map_err(|_| LoadError::Panicked)??;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).unwrap_or_else(|_| "{}".into())
        );
    } else {
        print!("{}", report.human());
    }
    if stop.load(Ordering::Relaxed) {
        return Err(LoadError::Interrupted);
    }
    if report.set_up < report.calls {
        return Err(LoadError::CallsFailed {
            failed: report.calls - report.set_up,
            calls: report.calls,
        });
    }
    if args.require_no_loss && (report.packets_lost > 0 || report.legs_without_media > 0) {
        return Err(LoadError::Loss(report.packets_lost));
    }
    Ok(())
}

fn validate(args: &LoadArgs) -> Result<(), LoadError> {
    let usage = |m: &str| Err(LoadError::Usage(m.to_string()));
    if args.calls == 0 {
        return usage("--calls must be at least 1");
    }
    if args.size < 2 {
        return usage("--size must be at least 2 (a probe needs someone to hear)");
    }
    if args.talkers == 0 || args.talkers > args.size {
        return usage("--talkers must be between 1 and --size");
    }
    if args.setup_rate.is_nan() || args.setup_rate <= 0.0 {
        return usage("--setup-rate must be positive");
    }
    if args.threads == 0 {
        return usage("--threads must be at least 1");
    }
    if args.bridge.is_some() && args.numbers.len() < args.calls.div_ceil(args.size) {
        return usage("--numbers needs one conference per --size calls");
    }
    Ok(())
}

/// Book the conferences of a spawned bridge: open from a minute ago until well after the run.
async fn book(db: &str, conferences: usize, args: &LoadArgs) -> Result<(), LoadError> {
    let store = Store::open(db).await?;
    let now = crate::unix_now();
    let setup = args.calls as f64 / args.setup_rate;
    let minutes = ((args.seconds as f64 + setup + 600.0) / 60.0).ceil() as i64;
    for c in 0..conferences {
        store
            .add_conference(
                &NewConference {
                    number: (700_001 + c).to_string(),
                    title: format!("load {c}"),
                    access_code: "1234".into(),
                    starts_at: now - 60,
                    duration_minutes: minutes,
                    capacity: args.size as i64,
                    kind: "audio".into(),
                    layout: String::new(),
                },
                now,
            )
            .await?;
    }
    Ok(())
}

/// An RTP socket on an even loopback port with its RTCP socket on the odd one above (kept open
/// and unread, so the bridge's RTCP finds a port and never lands on another leg).
fn bind_pair() -> std::io::Result<(UdpSocket, UdpSocket)> {
    for _ in 0..200 {
        let rtp = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
        let port = rtp.local_addr()?.port();
        if port % 2 != 0 || port == u16::MAX {
            continue;
        }
        if let Ok(rtcp) = UdpSocket::bind((Ipv4Addr::LOCALHOST, port + 1)) {
            return Ok((rtp, rtcp));
        }
    }
    Err(std::io::Error::other("no free RTP port pair on loopback"))
}

fn run_blocking(
    args: &LoadArgs,
    spawn_in: Option<(std::path::PathBuf, String)>,
    stop: &Arc<AtomicBool>,
) -> Result<Report, LoadError> {
    let conferences = args.calls.div_ceil(args.size);
    let target = match (&spawn_in, args.bridge) {
        (Some((dir, db)), _) => {
            // Below the kernel's ephemeral range (32768+), so our own sockets do not take them.
            let low = 20_000u16;
            let high = (u32::from(low) + 2 * args.calls as u32 + 200).min(32_767) as u16;
            let spawned =
                bridge::spawn(db, (low, high), &dir.join("bridge.log"), args.mixer_threads)?;
            Target {
                sip: spawned.sip,
                pid: spawned.pid.to_string(),
                metrics: (spawned.web, "/metrics".into()),
                numbers: (0..conferences)
                    .map(|c| (700_001 + c).to_string())
                    .collect(),
                code: "1234".into(),
                _spawned: Some(spawned),
            }
        }
        (None, Some(sip)) => Target {
            sip,
            pid: args.bridge_pid.unwrap_or_default().to_string(),
            metrics: args
                .metrics
                .as_deref()
                .and_then(bridge::parse_metrics_url)
                .ok_or_else(|| {
                    LoadError::Usage("--metrics must be http://HOST:PORT/PATH".into())
                })?,
            numbers: args.numbers.clone(),
            code: args.code.clone(),
            _spawned: None,
        },
        (None, None) => return Err(LoadError::Usage("no bridge".into())),
    };
    let clk_tck = bridge::clock_ticks();
    let rss_before = bridge::rss_kb(&target.pid).map_err(io("reading the bridge's /proc"))?;
    let before = bridge::fetch_metrics(target.metrics.0, &target.metrics.1)?;
    let joined_before = bridge::metric(&before, "pont_calls_joined_total");

    let mut payloads = send::Payloads::build(args.codec, args.talkers)?;
    payloads.dtx = args.dtx && args.codec == Codec::Opus;
    let marker_onset = recv::marker_onset_ns(args.codec, &payloads.talkers[0])
        .ok_or_else(|| LoadError::Usage("the marker is not found in its own packets".into()))?;
    let payloads = Arc::new(payloads);
    let shared = Arc::new(Shared {
        base: Instant::now(),
        stop: AtomicBool::new(false),
        hangup: AtomicBool::new(false),
        measuring: AtomicBool::new(false),
        epoch: AtomicU32::new(0),
        window_start: AtomicU64::new(u64::MAX),
        marker_sent: (0..conferences).map(|_| AtomicU64::new(0)).collect(),
        marker_onset,
        answered: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
        failures: Mutex::new(Vec::new()),
        remote_ended: AtomicUsize::new(0),
        byes_sent: AtomicUsize::new(0),
        bye_ok: AtomicUsize::new(0),
    });

    // The legs: sockets, roles, SDP offers.
    let threads = args.threads;
    let mut send_legs: Vec<Vec<send::SendLeg>> = (0..threads).map(|_| Vec::new()).collect();
    let mut recv_legs = Vec::with_capacity(args.calls);
    let mut plans = Vec::with_capacity(args.calls);
    let mut rtcp_sockets = Vec::with_capacity(args.calls);
    let mut seed = rand::random::<u64>();
    for i in 0..args.calls {
        let (conf, slot) = (i / args.size, i % args.size);
        let talker = (slot < args.talkers).then_some(slot);
        // The probe: the first silent caller, or the last talker when everyone talks.
        let probe = slot == args.talkers.min(args.size - 1);
        let (rtp, rtcp) = bind_pair().map_err(io("binding RTP sockets"))?;
        let port = rtp.local_addr().map_err(io("binding RTP sockets"))?.port();
        let sender = rtp.try_clone().map_err(io("cloning an RTP socket"))?;
        sender
            .set_nonblocking(true)
            .map_err(io("configuring an RTP socket"))?;
        let r = splitmix(&mut seed);
        let thread = conf % threads;
        send_legs[thread].push(send::SendLeg {
            index: i,
            socket: sender,
            conf,
            talker,
            ssrc: r as u32,
            seq: (r >> 32) as u16,
            ts: (r >> 16) as u32,
        });
        recv_legs.push(recv::RecvLeg {
            socket: rtp,
            conf,
            probe,
        });
        rtcp_sockets.push(rtcp);
        let offer = SessionDescription::parse(args.codec.offer(port, r >> 1).as_bytes())
            .map_err(|e| LoadError::Usage(format!("our own SDP offer does not parse: {e}")))?;
        plans.push(ua::CallPlan {
            leg: i,
            uri: format!(
                "sip:{}**{}@{}",
                target.numbers[conf], target.code, target.sip
            ),
            offer,
            sender: thread,
        });
    }

    // Start the threads: receivers first, so nothing the bridge sends is missed.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let receiver = {
        let (shared, codec) = (Arc::clone(&shared), args.codec);
        std::thread::Builder::new()
            .name("load-recv".into())
            .spawn(move || recv::run(recv_legs, codec, threads, shared, stop_rx))
            .map_err(io("starting the receiver"))?
    };
    let mut senders = Vec::with_capacity(threads);
    let mut send_tx = Vec::with_capacity(threads);
    for (t, legs) in send_legs.into_iter().enumerate() {
        let (tx, rx) = crossbeam_channel::unbounded();
        send_tx.push(tx);
        let (shared, payloads) = (Arc::clone(&shared), Arc::clone(&payloads));
        senders.push(
            std::thread::Builder::new()
                .name(format!("load-send-{t}"))
                .spawn(move || send::run(legs, payloads, rx, shared))
                .map_err(io("starting a sender"))?,
        );
    }
    let sip_socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).map_err(io("binding SIP"))?;
    let ua_thread = {
        let (shared, rate, sip) = (Arc::clone(&shared), args.setup_rate, target.sip);
        std::thread::Builder::new()
            .name("load-sip".into())
            .spawn(move || ua::run(sip_socket, sip, plans, rate, send_tx, shared))
            .map_err(io("starting the SIP thread"))?
    };

    // Whatever happens from here, the threads are stopped and joined before returning.
    let measured = window::measure(args, &target, &shared, stop, joined_before);
    shared.hangup.store(true, Ordering::Relaxed);
    let ua_ok = ua_thread.join().is_ok();
    shared.stop.store(true, Ordering::Relaxed);
    let _ = stop_tx.send(true);
    let mut sent = send::SenderStats::default();
    let mut senders_ok = true;
    for s in senders {
        match s.join() {
            Ok(st) => {
                sent.packets += st.packets;
                sent.late_ticks += st.late_ticks;
                sent.resyncs += st.resyncs;
                sent.send_errors += st.send_errors;
                sent.markers += st.markers;
            }
            Err(_) => senders_ok = false,
        }
    }
    let legs = receiver.join().map_err(|_| LoadError::Panicked)?;
    let legs = legs.map_err(io("the receiver runtime"))?;
    drop(rtcp_sockets);
    if !ua_ok || !senders_ok {
        return Err(LoadError::Panicked);
    }
    let m = measured?;
    drop(target);

    let mut r = Report {
        codec: args.codec.name().into(),
        calls: args.calls,
        size: args.size,
        talkers: args.talkers,
        conferences,
        clk_tck,
        bridge_rss_kb_before: rss_before,
        answered: shared.answered.load(Ordering::Relaxed),
        failed: shared.failed.load(Ordering::Relaxed),
        failures: shared
            .failures
            .lock()
            .map(|f| f.clone())
            .unwrap_or_default(),
        dropped_by_bridge: shared.remote_ended.load(Ordering::Relaxed),
        byes_sent: shared.byes_sent.load(Ordering::Relaxed),
        bye_ok: shared.bye_ok.load(Ordering::Relaxed),
        markers_sent: sent.markers,
        marker_onset_ms: shared.marker_onset as f64 / 1e6,
        generator_late_ticks: sent.late_ticks,
        generator_send_errors: sent.send_errors,
        ..Report::default()
    };
    r.set_up = ((m.joined - joined_before).max(0.0) as usize).min(r.answered);
    window::fill_reception(&mut r, &legs, args.codec.clock_rate());
    window::fill_window(&mut r, &m, clk_tck);
    Ok(r)
}

/// splitmix64: SSRCs, sequence numbers and timestamps of the legs.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offers_parse_and_name_one_codec() {
        for (codec, line) in [
            (Codec::Pcmu, "a=rtpmap:0 PCMU/8000"),
            (Codec::Pcma, "a=rtpmap:8 PCMA/8000"),
            (Codec::Opus, "a=rtpmap:111 opus/48000/2"),
        ] {
            let text = codec.offer(40_000, 7);
            assert!(text.contains(line), "{text}");
            let sdp = SessionDescription::parse(text.as_bytes()).unwrap();
            assert_eq!(sdp.media.len(), 1);
        }
        assert!(Codec::Opus
            .offer(40_000, 7)
            .contains("a=fmtp:111 useinbandfec=1"));
    }

    #[test]
    fn options_checked() {
        let base = LoadArgs {
            calls: 20,
            size: 5,
            talkers: 2,
            codec: Codec::Pcmu,
            seconds: 5,
            setup_rate: 100.0,
            threads: 1,
            json: false,
            require_no_loss: false,
            mixer_threads: None,
            dtx: false,
            bridge: None,
            bridge_pid: None,
            metrics: None,
            numbers: vec![],
            code: "1234".into(),
        };
        assert!(validate(&base).is_ok());
        for bad in [
            LoadArgs {
                size: 1,
                ..base.clone()
            },
            LoadArgs {
                talkers: 6,
                ..base.clone()
            },
            LoadArgs {
                talkers: 0,
                ..base.clone()
            },
            LoadArgs {
                setup_rate: 0.0,
                ..base.clone()
            },
            LoadArgs {
                calls: 0,
                ..base.clone()
            },
            LoadArgs {
                bridge: Some("127.0.0.1:5060".parse().unwrap()),
                numbers: vec!["700001".into()],
                ..base.clone()
            },
        ] {
            assert!(validate(&bad).is_err(), "{bad:?}");
        }
    }
}
