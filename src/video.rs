//! The video threads: each conference with video lives on one of them, apart from the audio
//! mixer threads, so that a slow decode or encode never delays a 20 ms audio tick.
//!
//! A thread holds the [`VideoConference`] machines of its conferences and the video sockets of
//! their legs. Between frames it waits on its own epoll set (mio) of those sockets and feeds each
//! datagram to its conference as it arrives (decoding happens then); every frame period (30 fps,
//! on absolute deadlines) it ticks every conference — compose, encode, packetize — and sends
//! what they produce with non-blocking `send_to`. Commands (join, video attached, talk events,
//! layout changes, leave) come through a channel drained each pass; the thread wakes at least
//! once a frame, so a command waits at most one frame. A conference is placed on the
//! least-loaded thread at its first participant; legs never move between video threads (a
//! caller reaches video only once it is in its conference).
//!
//! Symmetric RTP as for audio: once a packet arrives, we send where it came from.

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use crossbeam_channel::{unbounded, Receiver, Sender};
use media::video::{Layout, VideoConference, VideoConfig, VideoLegConfig, VideoStats};
use media::{LegId, PacketKind};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};

use crate::metrics::{add, count, inc, Metrics};
use crate::mixer::ConfKey;

/// Frames per second of every composed output.
pub const FPS: u32 = 30;
/// Datagrams read from one socket per readiness event before the thread looks at the others.
const READS_PER_WAKE: usize = 64;
/// Largest datagram read.
const MAX_DATAGRAM: usize = 2048;

/// A leg's video sockets, handed to the video thread that reads and sends on them.
#[derive(Debug)]
pub struct VideoIo {
    /// RTP socket (non-blocking).
    pub rtp: UdpSocket,
    /// RTCP socket (non-blocking).
    pub rtcp: UdpSocket,
    /// Where to send RTP until a packet arrives (from SDP).
    pub remote_rtp: Option<SocketAddr>,
}

#[derive(Debug)]
enum Command {
    Join {
        conf: ConfKey,
        leg: LegId,
        name: String,
        layout: Layout,
    },
    SetVideo {
        leg: LegId,
        config: VideoLegConfig,
        remote_rtp: Option<SocketAddr>,
        io: Option<Box<VideoIo>>,
    },
    ClearVideo {
        leg: LegId,
    },
    Leave {
        leg: LegId,
    },
    Talking {
        leg: LegId,
        talking: bool,
    },
    CycleLayout {
        leg: LegId,
    },
}

/// The video threads, and which one holds each conference.
#[derive(Debug)]
pub struct VideoPool {
    workers: Vec<Sender<Command>>,
    placement: Mutex<HashMap<ConfKey, (usize, usize)>>,
}

/// A participant's handle on its conference's video; dropping it leaves.
#[derive(Debug)]
pub struct VideoHandle {
    pool: Arc<VideoPool>,
    conf: ConfKey,
    worker: usize,
    leg: LegId,
}

impl VideoHandle {
    fn command(&self, cmd: Command) {
        // Fails only when the thread is gone (shutdown).
        let _ = self.pool.workers[self.worker].send(cmd);
    }

    /// The leg sends and receives video: its negotiated settings, where it wants video (from
    /// SDP) and, the first time, its sockets (afterwards `None` keeps them).
    pub fn set_video(
        &self,
        config: VideoLegConfig,
        remote_rtp: Option<SocketAddr>,
        io: Option<VideoIo>,
    ) {
        self.command(Command::SetVideo {
            leg: self.leg,
            config,
            remote_rtp,
            io: io.map(Box::new),
        });
    }

    /// The leg no longer has video (a re-INVITE dropped it): it becomes a name tile.
    pub fn clear_video(&self) {
        self.command(Command::ClearVideo { leg: self.leg });
    }

    /// A talk-detector event of this participant's audio.
    pub fn talking(&self, talking: bool) {
        self.command(Command::Talking {
            leg: self.leg,
            talking,
        });
    }

    /// Switch the conference to the next layout (a participant's DTMF key).
    pub fn cycle_layout(&self) {
        self.command(Command::CycleLayout { leg: self.leg });
    }
}

impl Drop for VideoHandle {
    fn drop(&mut self) {
        self.command(Command::Leave { leg: self.leg });
        let mut placement = self
            .pool
            .placement
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(p) = placement.get_mut(&self.conf) {
            p.1 -= 1;
            if p.1 == 0 {
                placement.remove(&self.conf);
            }
        }
    }
}

impl VideoPool {
    /// Start `threads` video threads.
    pub fn start(threads: usize, metrics: Arc<Metrics>) -> std::io::Result<Arc<VideoPool>> {
        let n = threads.max(1);
        let mut workers = Vec::with_capacity(n);
        for index in 0..n {
            let (tx, rx) = unbounded();
            workers.push(tx);
            let thread = VideoThread::new(rx, Poll::new()?, Arc::clone(&metrics));
            thread::Builder::new()
                .name(format!("video-{index}"))
                .spawn(move || thread.run())?;
        }
        Ok(Arc::new(VideoPool {
            workers,
            placement: Mutex::new(HashMap::new()),
        }))
    }

    /// Put a participant in `conf`'s video (as a name tile until [`VideoHandle::set_video`]).
    /// `layout` is used when this participant creates the conference's video.
    pub fn join(
        self: &Arc<Self>,
        conf: &str,
        leg: LegId,
        name: &str,
        layout: Layout,
    ) -> VideoHandle {
        let key: ConfKey = Arc::from(conf);
        let worker = {
            let mut placement = self.placement.lock().unwrap_or_else(|p| p.into_inner());
            match placement.get_mut(&key) {
                Some(p) => {
                    p.1 += 1;
                    p.0
                }
                None => {
                    let mut load = vec![0usize; self.workers.len()];
                    for (w, n) in placement.values() {
                        load[*w] += n;
                    }
                    let w = (0..load.len()).min_by_key(|&i| load[i]).unwrap_or(0);
                    placement.insert(Arc::clone(&key), (w, 1));
                    w
                }
            }
        };
        let handle = VideoHandle {
            pool: Arc::clone(self),
            conf: key.clone(),
            worker,
            leg,
        };
        handle.command(Command::Join {
            conf: key,
            leg,
            name: name.to_owned(),
            layout,
        });
        handle
    }
}

struct LegSockets {
    io: Box<VideoIo>,
    latched_rtp: Option<SocketAddr>,
    latched_rtcp: Option<SocketAddr>,
}

impl LegSockets {
    fn target(&self, kind: PacketKind) -> Option<SocketAddr> {
        let rtp = self.latched_rtp.or(self.io.remote_rtp);
        match kind {
            PacketKind::Rtp => rtp,
            PacketKind::Rtcp => self
                .latched_rtcp
                .or_else(|| rtp.map(|a| SocketAddr::new(a.ip(), a.port().wrapping_add(1)))),
        }
    }
}

struct Conf {
    video: VideoConference,
    /// Counters already published to /metrics.
    published: VideoStats,
}

struct VideoThread {
    commands: Receiver<Command>,
    poll: Poll,
    events: Events,
    metrics: Arc<Metrics>,
    confs: HashMap<ConfKey, Conf>,
    /// Each leg's conference.
    legs: HashMap<LegId, ConfKey>,
    sockets: HashMap<LegId, LegSockets>,
    buf: Box<[u8; MAX_DATAGRAM]>,
    /// Tokens of the sockets epoll reported ready (reused).
    ready: Vec<Token>,
    /// Sockets that still had data after [`READS_PER_WAKE`] reads: epoll is edge-triggered and
    /// will not report them again until a new datagram comes, so they are read on the next pass.
    pending: Vec<Token>,
}

fn token(leg: LegId, rtcp: bool) -> Token {
    Token(((leg.0 as usize) << 1) | usize::from(rtcp))
}

impl VideoThread {
    fn new(commands: Receiver<Command>, poll: Poll, metrics: Arc<Metrics>) -> Self {
        VideoThread {
            commands,
            poll,
            events: Events::with_capacity(256),
            metrics,
            confs: HashMap::new(),
            legs: HashMap::new(),
            sockets: HashMap::new(),
            buf: Box::new([0; MAX_DATAGRAM]),
            ready: Vec::with_capacity(256),
            pending: Vec::with_capacity(256),
        }
    }

    fn run(mut self) {
        let period = Duration::from_nanos(1_000_000_000 / u64::from(FPS));
        let mut next = Instant::now() + period;
        loop {
            loop {
                match self.commands.try_recv() {
                    Ok(cmd) => self.command(cmd),
                    Err(crossbeam_channel::TryRecvError::Empty) => break,
                    Err(crossbeam_channel::TryRecvError::Disconnected) => return,
                }
            }
            let now = Instant::now();
            if now >= next {
                let started = now;
                self.tick(now);
                let done = Instant::now();
                count(
                    &self.metrics.video_busy_micros_total,
                    done.duration_since(started).as_micros() as u64,
                );
                next += period;
                if next <= done {
                    // Behind by more than a frame: skip the missed frames rather than burst.
                    inc(&self.metrics.video_frame_overruns_total);
                    next = done + period;
                }
                continue;
            }
            // With sockets left unread, only look for new events; else sleep until the frame.
            let wait = if self.pending.is_empty() {
                next - now
            } else {
                Duration::ZERO
            };
            if self.poll.poll(&mut self.events, Some(wait)).is_err() {
                thread::sleep(wait);
                continue;
            }
            self.ready.clear();
            self.ready.append(&mut self.pending);
            self.ready.extend(self.events.iter().map(|e| e.token()));
            for i in 0..self.ready.len() {
                let t = self.ready[i];
                if self.read(t) && !self.pending.contains(&t) {
                    self.pending.push(t);
                }
            }
        }
    }

    /// Read a socket; true when it may still hold datagrams (the read budget ran out).
    fn read(&mut self, t: Token) -> bool {
        let leg = LegId((t.0 >> 1) as u64);
        let rtcp = t.0 & 1 == 1;
        let Some(conf_key) = self.legs.get(&leg) else {
            return false;
        };
        let Some(conf) = self.confs.get_mut(conf_key) else {
            return false;
        };
        let Some(s) = self.sockets.get_mut(&leg) else {
            return false;
        };
        for _ in 0..READS_PER_WAKE {
            let socket = if rtcp { &s.io.rtcp } else { &s.io.rtp };
            let (n, from) = match socket.recv_from(&mut self.buf[..]) {
                Ok(r) => r,
                Err(_) => return false, // WouldBlock (drained) or a transient error
            };
            let now = Instant::now();
            let data = &self.buf[..n];
            if rtcp {
                // Answer only where real RTCP comes from: junk must not divert our PLIs.
                if conf.video.receive_rtcp(leg, data, now) {
                    s.latched_rtcp = Some(from);
                }
            } else if conf.video.receive_rtp(leg, data, now) {
                s.latched_rtp = Some(from);
            }
        }
        true
    }

    fn tick(&mut self, now: Instant) {
        let sockets = &self.sockets;
        for conf in self.confs.values_mut() {
            conf.video.tick(now, |leg, kind, data| {
                let Some(s) = sockets.get(&leg) else { return };
                let Some(to) = s.target(kind) else { return };
                let socket = match kind {
                    PacketKind::Rtp => &s.io.rtp,
                    PacketKind::Rtcp => &s.io.rtcp,
                };
                // A full socket buffer or an unreachable peer loses this packet only.
                let _ = socket.send_to(data, to);
            });
            publish(&self.metrics, &mut conf.published, conf.video.stats());
        }
    }

    fn command(&mut self, cmd: Command) {
        match cmd {
            Command::Join {
                conf,
                leg,
                name,
                layout,
            } => {
                let c = self.confs.entry(Arc::clone(&conf)).or_insert_with(|| {
                    add(&self.metrics.video_conferences_active, 1);
                    let now = Instant::now();
                    let mut video = VideoConference::new(VideoConfig::default(), layout, now);
                    // The SRs' NTP times (the library reads no clock).
                    video.set_wallclock(now, SystemTime::now());
                    Conf {
                        video,
                        published: VideoStats::default(),
                    }
                });
                c.video.join(leg, &name);
                self.legs.insert(leg, conf);
            }
            Command::ClearVideo { leg } => {
                if let Some(conf) = self.legs.get(&leg).and_then(|k| self.confs.get_mut(k)) {
                    conf.video.clear_video(leg);
                }
            }
            Command::SetVideo {
                leg,
                config,
                remote_rtp,
                io,
            } => {
                if !self.legs.contains_key(&leg) {
                    return;
                }
                // The sockets first: they stay with the leg (and are read, then dropped as
                // packets of a leg without video) even if its decoder cannot be made, so a
                // later renegotiation that passes no sockets still finds them.
                if let Some(io) = io {
                    let registered = self.poll.registry().register(
                        &mut SourceFd(&io.rtp.as_raw_fd()),
                        token(leg, false),
                        Interest::READABLE,
                    );
                    let registered = registered.and_then(|_| {
                        self.poll.registry().register(
                            &mut SourceFd(&io.rtcp.as_raw_fd()),
                            token(leg, true),
                            Interest::READABLE,
                        )
                    });
                    if let Err(e) = registered {
                        tracing::warn!(leg = leg.0, error = %e, "video sockets not watched");
                    }
                    add(&self.metrics.video_legs_active, 1);
                    self.sockets.insert(
                        leg,
                        LegSockets {
                            io,
                            latched_rtp: None,
                            latched_rtcp: None,
                        },
                    );
                } else if let Some(s) = self.sockets.get_mut(&leg) {
                    // A renegotiation: a new address from SDP wins over the latched one until
                    // the peer's packets come from somewhere.
                    if s.io.remote_rtp != remote_rtp {
                        s.io.remote_rtp = remote_rtp;
                        s.latched_rtp = None;
                        s.latched_rtcp = None;
                    }
                }
                let Some(conf) = self.legs.get(&leg).and_then(|k| self.confs.get_mut(k)) else {
                    return;
                };
                if let Err(e) = conf.video.set_video(leg, config) {
                    tracing::warn!(leg = leg.0, error = %e, "video not set up");
                }
            }
            Command::Leave { leg } => {
                if let Some(s) = self.sockets.remove(&leg) {
                    let _ = self
                        .poll
                        .registry()
                        .deregister(&mut SourceFd(&s.io.rtp.as_raw_fd()));
                    let _ = self
                        .poll
                        .registry()
                        .deregister(&mut SourceFd(&s.io.rtcp.as_raw_fd()));
                    add(&self.metrics.video_legs_active, -1);
                }
                let Some(key) = self.legs.remove(&leg) else {
                    return;
                };
                if let Some(conf) = self.confs.get_mut(&key) {
                    conf.video.leave(leg);
                    if conf.video.is_empty() {
                        let stats = conf.video.stats();
                        tracing::info!(
                            conference = %key,
                            decoded = stats.frames_decoded,
                            encoded = stats.frames_encoded,
                            keyframes = stats.keyframes_encoded,
                            requests_in = stats.keyframe_requests_in,
                            requests_out = stats.keyframe_requests_out,
                            "video conference closed"
                        );
                        self.confs.remove(&key);
                        add(&self.metrics.video_conferences_active, -1);
                    }
                }
            }
            Command::Talking { leg, talking } => {
                if let Some(conf) = self.legs.get(&leg).and_then(|k| self.confs.get_mut(k)) {
                    conf.video.talking(leg, talking, Instant::now());
                }
            }
            Command::CycleLayout { leg } => {
                if let Some((key, conf)) = self
                    .legs
                    .get(&leg)
                    .and_then(|k| self.confs.get_mut(k).map(|c| (k, c)))
                {
                    let layout = conf.video.cycle_layout();
                    tracing::info!(conference = %key, leg = leg.0, layout = layout.name(), "layout changed");
                }
            }
        }
    }
}

/// Add what changed since the last publication to the /metrics counters.
fn publish(metrics: &Metrics, published: &mut VideoStats, now: VideoStats) {
    let dropped = |s: &VideoStats| s.packets_dropped + s.packets_refused;
    let pairs = [
        (
            &metrics.video_frames_decoded_total,
            now.frames_decoded,
            published.frames_decoded,
        ),
        (
            &metrics.video_frames_encoded_total,
            now.frames_encoded,
            published.frames_encoded,
        ),
        (
            &metrics.video_keyframes_encoded_total,
            now.keyframes_encoded,
            published.keyframes_encoded,
        ),
        (
            &metrics.video_decode_errors_total,
            now.decode_errors,
            published.decode_errors,
        ),
        (
            &metrics.video_rtp_packets_dropped_total,
            dropped(&now),
            dropped(published),
        ),
        (
            &metrics.video_keyframe_requests_in_total,
            now.keyframe_requests_in,
            published.keyframe_requests_in,
        ),
        (
            &metrics.video_keyframe_requests_out_total,
            now.keyframe_requests_out,
            published.keyframe_requests_out,
        ),
        (
            &metrics.video_rtcp_reports_sent_total,
            now.rtcp_reports_sent,
            published.rtcp_reports_sent,
        ),
    ];
    for (counter, new, old) in pairs {
        count(counter, new.saturating_sub(old));
    }
    *published = now;
}
