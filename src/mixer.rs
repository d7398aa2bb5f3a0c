//! The mixer thread pool: a fixed set of `std::thread`s (one per core by default), each ticking
//! the [`ConferenceEngine`]s assigned to it on absolute 20 ms deadlines.
//!
//! Each tick a thread drains its command queue with `try_recv` (it never blocks on it), ticks
//! every engine, sends what they produce with non-blocking `send_to` on the legs' own sockets,
//! and forwards media events to the call tasks. Between ticks it waits on its own epoll set (mio)
//! of its legs' RTP and RTCP sockets and feeds each datagram to its engine as it arrives, so the
//! arrival times the jitter buffers see are exact. (The first design had a tokio task per socket
//! pushing datagrams through a queue; the profile of `pont load` showed those task wake-ups, the
//! queue hop and the cross-thread hand-off costing more than the mixing itself, see
//! BENCHMARKS.md.) A leg's sockets are watched by the thread that holds the leg: a move
//! deregisters them on one thread and registers them on the other, and datagrams that arrive
//! meanwhile wait in the socket.
//! A conference lives on one thread (chosen least-loaded at its first join) so its engine needs
//! no lock. Nothing received can make a thread panic: the engines parse defensively, and a send
//! error is counted, not raised.

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use std::os::fd::AsRawFd;

use crossbeam_channel::{unbounded, Receiver, Sender};
use media::{ConferenceEngine, EngineStats, LegConfig, LegId, LegStats, MediaEvent, PacketKind};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::oneshot;

use crate::metrics::{add, inc, Metrics};

/// The mixing period.
pub const TICK: Duration = Duration::from_millis(20);
/// Datagrams read from one socket per readiness event before the thread looks at the others
/// (a flooded port cannot keep it from ticking; the rest is read on the next pass).
const READS_PER_WAKE: usize = 64;
/// Largest datagram read (RTP on an Ethernet path is far smaller; a longer one is cut and then
/// refused by the parser as malformed).
const MAX_DATAGRAM: usize = 2048;
/// Media counters are published to `/metrics` every this many ticks (1 s), not every tick.
const STATS_EVERY: u64 = 50;

/// Identifies a conference inside the pool (the store's conference id).
pub type ConfKey = Arc<str>;

/// The sockets and addresses of one leg, handed to the mixer thread that sends on them.
#[derive(Debug)]
pub struct LegIo {
    /// RTP socket (non-blocking): the mixer thread holding the leg reads and sends on it.
    pub rtp: UdpSocket,
    /// RTCP socket (non-blocking).
    pub rtcp: UdpSocket,
    /// Where to send RTP until a packet arrives (from SDP).
    pub remote_rtp: Option<SocketAddr>,
    /// Whether the bridge may send to this leg (false while the peer holds the call).
    pub send: bool,
    /// Where the call task hears media events.
    pub events: UnboundedSender<MediaEvent>,
}

/// A command to a mixer thread. Legs are named by their [`LegId`]; each thread knows which of
/// its engines holds each of its legs.
#[derive(Debug)]
enum Command {
    /// Add a participant to an engine (creating the engine if needed).
    AddLeg {
        conf: ConfKey,
        leg: LegId,
        config: LegConfig,
        io: Box<LegIo>,
    },
    /// Move a participant to engine `conf` on worker `to` (maybe this one), then say `done`.
    MoveLeg {
        leg: LegId,
        conf: ConfKey,
        to: usize,
        done: oneshot::Sender<()>,
    },
    /// The second half of a move: a participant arriving from another thread.
    InsertLeg {
        conf: ConfKey,
        state: Box<media::LegState>,
        io: Box<LegIo>,
        latched: (Option<SocketAddr>, Option<SocketAddr>),
        done: oneshot::Sender<()>,
    },
    /// A re-INVITE changed where or whether to send, or the codec.
    UpdateLeg {
        leg: LegId,
        config: Option<LegConfig>,
        remote_rtp: Option<SocketAddr>,
        send: bool,
    },
    /// Remove a participant (its engine goes when its last leg does).
    RemoveLeg { leg: LegId },
    /// Play prompts to a participant (replacing what plays).
    Play { leg: LegId, clips: Vec<Arc<[i16]>> },
    /// Stop the prompt (barge-in).
    StopPlayback { leg: LegId },
    /// Listen for in-band DTMF tones on a participant's audio (during the IVR).
    InBandDtmf { leg: LegId, enabled: bool },
}

/// Handle on one mixer thread.
#[derive(Debug, Clone)]
struct Worker {
    commands: Sender<Command>,
}

/// The pool, and which thread each conference lives on.
#[derive(Debug)]
pub struct MixerPool {
    workers: Vec<Worker>,
    placement: Mutex<HashMap<ConfKey, Placement>>,
    metrics: Arc<Metrics>,
    /// Round-robin cursor for lobby engines (one caller each, cheap, short-lived).
    next_lobby: AtomicUsize,
}

#[derive(Debug, Clone, Copy)]
struct Placement {
    worker: usize,
    participants: usize,
}

/// Why a join was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    /// The conference already has `capacity` participants.
    #[error("conference full")]
    Full,
}

/// A place taken in a conference (reserved when the access code is accepted, before the caller
/// has heard the joining prompt); hands it back on drop.
#[derive(Debug)]
pub struct Seat {
    pool: Arc<MixerPool>,
    conf: ConfKey,
    worker: usize,
    /// Participants already seated when this seat was taken.
    before: usize,
}

impl Seat {
    /// The conference.
    pub fn conf(&self) -> &ConfKey {
        &self.conf
    }

    /// How many participants were seated before this one.
    pub fn others(&self) -> usize {
        self.before
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        let mut placement = self
            .pool
            .placement
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(p) = placement.get_mut(&self.conf) {
            p.participants -= 1;
            add(&self.pool.metrics.participants_active, -1);
            if p.participants == 0 {
                placement.remove(&self.conf);
                add(&self.pool.metrics.conferences_active, -1);
            }
        }
    }
}

/// A call task's handle on its leg's media, wherever the leg lives (lobby or conference).
/// Dropping it removes the leg.
#[derive(Debug)]
pub struct LegHandle {
    pool: Arc<MixerPool>,
    leg: LegId,
    /// The worker that holds the leg (commands go there).
    worker: Arc<AtomicUsize>,
}

impl LegHandle {
    /// The leg.
    pub fn id(&self) -> LegId {
        self.leg
    }

    fn command(&self, cmd: Command) {
        let w = self.worker.load(Ordering::Acquire);
        // A send fails only when the thread is gone (shutdown): nothing to do then.
        let _ = self.pool.workers[w].commands.send(cmd);
    }

    /// Apply a renegotiation.
    pub fn update(&self, config: Option<LegConfig>, remote_rtp: Option<SocketAddr>, send: bool) {
        self.command(Command::UpdateLeg {
            leg: self.leg,
            config,
            remote_rtp,
            send,
        });
    }

    /// Play prompts (8 kHz PCM) to the leg; `MediaEvent::PlaybackFinished` follows.
    pub fn play(&self, clips: Vec<Arc<[i16]>>) {
        self.command(Command::Play {
            leg: self.leg,
            clips,
        });
    }

    /// Stop the prompt now.
    pub fn stop_playback(&self) {
        self.command(Command::StopPlayback { leg: self.leg });
    }

    /// Turn in-band DTMF detection on or off for this leg.
    pub fn set_inband_dtmf(&self, enabled: bool) {
        self.command(Command::InBandDtmf {
            leg: self.leg,
            enabled,
        });
    }

    /// Move the leg into the conference of `seat`. Returns when the leg is there, so commands
    /// sent afterwards reach the right thread.
    pub async fn move_to(&self, seat: &Seat) {
        let (done, wait) = oneshot::channel();
        self.command(Command::MoveLeg {
            leg: self.leg,
            conf: seat.conf.clone(),
            to: seat.worker,
            done,
        });
        // An error means the leg vanished (or the pool stopped): nothing left to route.
        let _ = wait.await;
        self.worker.store(seat.worker, Ordering::Release);
    }
}

impl Drop for LegHandle {
    fn drop(&mut self) {
        self.command(Command::RemoveLeg { leg: self.leg });
    }
}

impl MixerPool {
    /// Start `threads` mixer threads, whose Opus encoders run at `opus_complexity` (0–10).
    pub fn start(
        threads: usize,
        opus_complexity: u8,
        metrics: Arc<Metrics>,
    ) -> std::io::Result<Arc<MixerPool>> {
        // The rate converters' filters are designed once per process (tens of ms): now, not on
        // a mixer thread when the first wideband leg joins.
        media::resampler::Resampler::prepare();
        let n = threads.max(1);
        let mut workers = Vec::with_capacity(n);
        let mut inputs = Vec::with_capacity(n);
        for _ in 0..n {
            let (cmd_tx, cmd_rx) = unbounded();
            workers.push(Worker { commands: cmd_tx });
            inputs.push((cmd_rx, Poll::new()?));
        }
        // Each thread can hand a leg to any other: it gets every thread's command queue.
        let peers: Arc<[Sender<Command>]> = workers.iter().map(|w| w.commands.clone()).collect();
        for (index, (cmd_rx, poll)) in inputs.into_iter().enumerate() {
            let thread = MixerThread::new(
                index,
                cmd_rx,
                poll,
                Arc::clone(&peers),
                Arc::clone(&metrics),
                opus_complexity,
            );
            thread::Builder::new()
                .name(format!("mixer-{index}"))
                .spawn(move || thread.run())?;
        }
        Ok(Arc::new(MixerPool {
            workers,
            placement: Mutex::new(HashMap::new()),
            metrics,
            next_lobby: AtomicUsize::new(0),
        }))
    }

    /// Put a new leg in a lobby engine of its own (the IVR phase), on the next thread in turn.
    pub fn add_to_lobby(self: &Arc<Self>, leg: LegId, config: LegConfig, io: LegIo) -> LegHandle {
        let w = self.next_lobby.fetch_add(1, Ordering::Relaxed) % self.workers.len();
        let handle = LegHandle {
            pool: Arc::clone(self),
            leg,
            worker: Arc::new(AtomicUsize::new(w)),
        };
        handle.command(Command::AddLeg {
            conf: Arc::from(format!("lobby:{}", leg.0)),
            leg,
            config,
            io: Box::new(io),
        });
        handle
    }

    /// Take a seat in conference `conf`, refusing past `capacity` participants.
    pub fn join(self: &Arc<Self>, conf: &str, capacity: usize) -> Result<Seat, JoinError> {
        let mut placement = self.placement.lock().unwrap_or_else(|p| p.into_inner());
        let key: ConfKey = Arc::from(conf);
        if let Some(p) = placement.get_mut(&key) {
            if p.participants >= capacity {
                return Err(JoinError::Full);
            }
            let before = p.participants;
            p.participants += 1;
            add(&self.metrics.participants_active, 1);
            return Ok(Seat {
                pool: Arc::clone(self),
                conf: key,
                worker: p.worker,
                before,
            });
        }
        if capacity == 0 {
            return Err(JoinError::Full);
        }
        // Least-loaded thread by participants.
        let mut load = vec![0usize; self.workers.len()];
        for p in placement.values() {
            load[p.worker] += p.participants;
        }
        let worker = (0..load.len()).min_by_key(|&i| load[i]).unwrap_or(0);
        placement.insert(
            Arc::clone(&key),
            Placement {
                worker,
                participants: 1,
            },
        );
        add(&self.metrics.conferences_active, 1);
        add(&self.metrics.participants_active, 1);
        Ok(Seat {
            pool: Arc::clone(self),
            conf: key,
            worker,
            before: 0,
        })
    }

    /// Participants seated in `conf` now.
    pub fn participants(&self, conf: &str) -> usize {
        let placement = self.placement.lock().unwrap_or_else(|p| p.into_inner());
        placement.get(conf).map_or(0, |p| p.participants)
    }
}

/// One leg as the mixer thread sees it.
#[derive(Debug)]
struct LegState {
    io: Box<LegIo>,
    /// Latched source of RTP (symmetric RTP): once a packet arrives we answer where it came from,
    /// whatever the SDP said (NAT, clients advertising the wrong address).
    latched_rtp: Option<SocketAddr>,
    latched_rtcp: Option<SocketAddr>,
}

impl LegState {
    fn rtp_target(&self) -> Option<SocketAddr> {
        self.latched_rtp.or(self.io.remote_rtp)
    }
    fn rtcp_target(&self) -> Option<SocketAddr> {
        self.latched_rtcp.or_else(|| {
            self.rtp_target()
                .map(|a| SocketAddr::new(a.ip(), a.port().wrapping_add(1)))
        })
    }
}

struct Conf {
    engine: ConferenceEngine,
    legs: HashMap<LegId, LegState>,
}

impl Conf {
    fn new(now: Instant, opus_complexity: u8) -> Conf {
        // RFC 3550 wants random initial sequence numbers and timestamps; the engine reads no OS
        // randomness, so it gets a seed, and the wall clock (for RTCP SR NTP times) anchored once.
        let mut engine = ConferenceEngine::with_seed(rand::random());
        engine.set_cname("pont");
        engine.set_wallclock(now, SystemTime::now());
        engine.set_opus_complexity(opus_complexity);
        Conf {
            engine,
            legs: HashMap::new(),
        }
    }
}

struct MixerThread {
    index: usize,
    /// Complexity of the Opus encoders of this thread's engines.
    opus_complexity: u8,
    commands: Receiver<Command>,
    /// The epoll set of this thread's legs' sockets, its event buffer, tokens of sockets that
    /// still had data after [`READS_PER_WAKE`] reads, and the datagram buffer.
    poll: Poll,
    events: Events,
    ready: Vec<usize>,
    pending: Vec<usize>,
    buf: Box<[u8; MAX_DATAGRAM]>,
    peers: Arc<[Sender<Command>]>,
    metrics: Arc<Metrics>,
    confs: HashMap<ConfKey, Conf>,
    /// Which engine holds each leg of this thread.
    leg_conf: HashMap<LegId, ConfKey>,
    /// Counters of the legs that left this thread (hung up, or moved away).
    retired: MediaTotals,
    /// Counters that legs moved in had already gathered on another thread (which counts them).
    imported: MediaTotals,
    /// What this thread last added to the global counters (they only ever grow by the delta).
    published: MediaTotals,
    ticks: u64,
}

/// The media counters a thread publishes. A leg's counters travel with it when it moves; the
/// thread it leaves keeps them in `retired` and the one it joins subtracts them as `imported`,
/// so every packet is counted once, on one thread, and each thread's total never shrinks.
#[derive(Debug, Clone, Copy, Default)]
struct MediaTotals {
    malformed: u64,
    late: u64,
    lost: u64,
    duplicate: u64,
    concealed: u64,
    forwarded: u64,
    skipped: u64,
}

impl MediaTotals {
    fn add_leg(&mut self, s: &LegStats) {
        self.malformed += s.rtp_malformed + s.rtp_unknown_pt + s.rtcp_malformed;
        self.late += s.jitter.late;
        self.lost += s.jitter.lost;
        self.duplicate += s.jitter.duplicate;
        self.concealed += s.jitter.concealed + s.jitter.stretched;
        self.forwarded += s.rtp_forwarded;
        self.skipped += s.silent_skipped;
    }
    fn add_engine(&mut self, s: &EngineStats) {
        self.malformed += s.rtp_malformed + s.rtp_unknown_pt + s.rtcp_malformed;
        self.late += s.late;
        self.lost += s.lost;
        self.duplicate += s.duplicate;
        self.concealed += s.concealed;
        self.forwarded += s.rtp_forwarded;
        self.skipped += s.silent_skipped;
    }
    fn sub(&mut self, o: &MediaTotals) {
        self.malformed = self.malformed.saturating_sub(o.malformed);
        self.late = self.late.saturating_sub(o.late);
        self.lost = self.lost.saturating_sub(o.lost);
        self.duplicate = self.duplicate.saturating_sub(o.duplicate);
        self.concealed = self.concealed.saturating_sub(o.concealed);
        self.forwarded = self.forwarded.saturating_sub(o.forwarded);
        self.skipped = self.skipped.saturating_sub(o.skipped);
    }
}

/// The leg's media quality when it leaves: what we received (loss, jitter, concealment, the
/// jitter buffer's adjustments) and what the peer reported about our stream in RTCP (fraction
/// lost, jitter, round-trip time).
fn log_leg_quality(state: &media::LegState, s: &LegStats) {
    let clock = f64::from(state.config().codec.clock_rate());
    let ms = |units: u32| f64::from(units) * 1000.0 / clock;
    let remote = s.remote_report.as_ref();
    tracing::info!(
        leg = state.id().0,
        codec = state.config().codec.name(),
        received = s.rtp_received,
        lost = s.jitter.lost,
        late = s.jitter.late,
        concealed = s.jitter.concealed,
        jitter_ms = format!("{:.1}", ms(s.interarrival_jitter)),
        jb_stretched = s.jitter.stretched,
        jb_shrunk = s.jitter.shrunk,
        peer_fraction_lost = remote.map(|r| f64::from(r.fraction_lost) / 256.0),
        peer_jitter_ms = remote.map(|r| format!("{:.1}", ms(r.jitter))),
        rtt_ms = s
            .rtt_1_65536
            .map(|r| format!("{:.1}", f64::from(r) * 1000.0 / 65536.0)),
        "leg media quality"
    );
}

impl MixerThread {
    fn new(
        index: usize,
        commands: Receiver<Command>,
        poll: Poll,
        peers: Arc<[Sender<Command>]>,
        metrics: Arc<Metrics>,
        opus_complexity: u8,
    ) -> Self {
        MixerThread {
            index,
            opus_complexity,
            commands,
            poll,
            events: Events::with_capacity(1024),
            ready: Vec::with_capacity(1024),
            pending: Vec::new(),
            buf: Box::new([0; MAX_DATAGRAM]),
            peers,
            metrics,
            confs: HashMap::new(),
            leg_conf: HashMap::new(),
            retired: MediaTotals::default(),
            imported: MediaTotals::default(),
            published: MediaTotals::default(),
            ticks: 0,
        }
    }

    /// Add what the engines counted since the last call to the process-wide counters.
    fn publish_stats(&mut self) {
        let mut total = self.retired;
        for c in self.confs.values() {
            total.add_engine(&c.engine.stats());
        }
        total.sub(&self.imported);
        let (p, m) = (&self.published, &self.metrics);
        // Totals only grow (see `imported`), so the deltas are never negative.
        let add = |counter: &std::sync::atomic::AtomicU64, now: u64, before: u64| {
            counter.fetch_add(now.saturating_sub(before), Ordering::Relaxed);
        };
        add(&m.rtp_packets_malformed_total, total.malformed, p.malformed);
        add(&m.jitter_late_total, total.late, p.late);
        add(&m.jitter_lost_total, total.lost, p.lost);
        add(&m.jitter_duplicate_total, total.duplicate, p.duplicate);
        add(&m.frames_concealed_total, total.concealed, p.concealed);
        add(
            &m.audio_frames_forwarded_total,
            total.forwarded,
            p.forwarded,
        );
        add(
            &m.audio_silent_packets_skipped_total,
            total.skipped,
            p.skipped,
        );
        self.published = total;
    }

    fn run(mut self) {
        let mut deadline = Instant::now() + TICK;
        loop {
            let started = Instant::now();
            if !self.drain_commands() {
                return;
            }
            self.tick_all(started);
            inc(&self.metrics.mixer_ticks_total);
            self.ticks += 1;
            if self.ticks.is_multiple_of(STATS_EVERY) {
                self.publish_stats();
            }
            let done = Instant::now();
            let mut busy = done.saturating_duration_since(started);
            if done > deadline {
                inc(&self.metrics.mixer_tick_overruns_total);
                // Far behind (suspended, overloaded): restart the schedule instead of bursting
                // ticks to catch up, which would only add jitter for every listener.
                if done - deadline > 5 * TICK {
                    deadline = done;
                }
            }
            // Until the next deadline: read the legs' sockets as datagrams arrive (at least one
            // look, even when late, so that a busy thread still reads).
            busy += self.receive_until(deadline);
            self.metrics
                .mixer_tick_busy_micros_total
                .fetch_add(busy.as_micros() as u64, Ordering::Relaxed);
            deadline += TICK;
        }
    }

    /// Apply queued commands. Returns false when the pool is gone and the thread should end.
    fn drain_commands(&mut self) -> bool {
        loop {
            match self.commands.try_recv() {
                Ok(cmd) => self.apply(cmd),
                Err(crossbeam_channel::TryRecvError::Empty) => return true,
                Err(crossbeam_channel::TryRecvError::Disconnected) => return false,
            }
        }
    }

    fn apply(&mut self, cmd: Command) {
        let now = Instant::now();
        let opus_complexity = self.opus_complexity;
        match cmd {
            Command::AddLeg {
                conf,
                leg,
                config,
                io,
            } => {
                let c = self
                    .confs
                    .entry(conf.clone())
                    .or_insert_with(|| Conf::new(now, opus_complexity));
                c.engine.add_leg(now, leg, config);
                watch(&self.poll, leg, &io);
                c.legs.insert(
                    leg,
                    LegState {
                        io,
                        latched_rtp: None,
                        latched_rtcp: None,
                    },
                );
                self.leg_conf.insert(leg, conf);
            }
            Command::MoveLeg {
                leg,
                conf,
                to,
                done,
            } => {
                let Some((state, io)) = self.take(leg) else {
                    return;
                };
                self.retired.add_leg(&state.stats());
                let latched = (io.latched_rtp, io.latched_rtcp);
                let insert = Command::InsertLeg {
                    conf,
                    state: Box::new(state),
                    io: io.io,
                    latched,
                    done,
                };
                if to == self.index {
                    self.apply(insert);
                } else if let Some(peer) = self.peers.get(to) {
                    // Its sockets are no longer watched here (see `take`); datagrams arriving
                    // until the other thread watches them wait in the sockets.
                    let _ = peer.send(insert);
                }
            }
            Command::InsertLeg {
                conf,
                state,
                io,
                latched,
                done,
            } => {
                let leg = state.id();
                self.imported.add_leg(&state.stats());
                let c = self
                    .confs
                    .entry(conf.clone())
                    .or_insert_with(|| Conf::new(now, opus_complexity));
                c.engine.insert_leg(now, *state);
                watch(&self.poll, leg, &io);
                c.legs.insert(
                    leg,
                    LegState {
                        io,
                        latched_rtp: latched.0,
                        latched_rtcp: latched.1,
                    },
                );
                self.leg_conf.insert(leg, conf);
                let _ = done.send(());
            }
            Command::UpdateLeg {
                leg,
                config,
                remote_rtp,
                send,
            } => {
                let Some(c) = self.leg_conf.get(&leg).and_then(|k| self.confs.get_mut(k)) else {
                    return;
                };
                let Some(state) = c.legs.get_mut(&leg) else {
                    return;
                };
                if remote_rtp != state.io.remote_rtp {
                    state.io.remote_rtp = remote_rtp;
                    state.latched_rtp = None;
                    state.latched_rtcp = None;
                }
                state.io.send = send;
                if let Some(config) = config {
                    c.engine.reconfigure_leg(leg, config);
                }
            }
            Command::Play { leg, clips } => {
                if let Some(c) = self.leg_conf.get(&leg).and_then(|k| self.confs.get_mut(k)) {
                    c.engine.play(leg, &clips);
                }
            }
            Command::StopPlayback { leg } => {
                if let Some(c) = self.leg_conf.get(&leg).and_then(|k| self.confs.get_mut(k)) {
                    c.engine.stop_playback(leg);
                }
            }
            Command::InBandDtmf { leg, enabled } => {
                if let Some(c) = self.leg_conf.get(&leg).and_then(|k| self.confs.get_mut(k)) {
                    c.engine.set_inband_dtmf(leg, enabled);
                }
            }
            Command::RemoveLeg { leg } => {
                if let Some((state, _)) = self.take(leg) {
                    let stats = state.stats();
                    log_leg_quality(&state, &stats);
                    self.retired.add_leg(&stats);
                }
            }
        }
    }

    /// Take a leg out of its engine (dropping the engine when it empties).
    fn take(&mut self, leg: LegId) -> Option<(media::LegState, LegState)> {
        let conf = self.leg_conf.remove(&leg)?;
        let c = self.confs.get_mut(&conf)?;
        let state = c.engine.take_leg(leg);
        let io = c.legs.remove(&leg);
        if let Some(io) = &io {
            unwatch(&self.poll, &io.io);
        }
        if c.legs.is_empty() {
            self.confs.remove(&conf);
        }
        Some((state?, io?))
    }

    /// Waits for datagrams until `deadline`, feeding each to its engine as it is read; returns
    /// the time spent reading and handling them. Always looks once, even past the deadline.
    fn receive_until(&mut self, deadline: Instant) -> Duration {
        let mut busy = Duration::ZERO;
        loop {
            let now = Instant::now();
            let timeout = if self.pending.is_empty() {
                deadline.saturating_duration_since(now)
            } else {
                Duration::ZERO
            };
            if self.poll.poll(&mut self.events, Some(timeout)).is_err() {
                // EINTR or a broken epoll set: do not spin; the next tick looks again.
                thread::sleep(deadline.saturating_duration_since(Instant::now()));
                return busy;
            }
            let woke = Instant::now();
            self.ready.clear();
            self.ready.extend(self.events.iter().map(|e| e.token().0));
            self.ready.append(&mut self.pending);
            for i in 0..self.ready.len() {
                let token = self.ready[i];
                self.read_socket(woke, token);
            }
            busy += woke.elapsed();
            if Instant::now() >= deadline {
                return busy;
            }
        }
    }

    /// Reads what one socket holds (epoll is edge-triggered: until it would block, or
    /// [`READS_PER_WAKE`] datagrams, after which the socket is looked at again next pass).
    fn read_socket(&mut self, now: Instant, token: usize) {
        let (leg, kind) = from_token(token);
        let Self {
            leg_conf,
            confs,
            buf,
            metrics,
            pending,
            ..
        } = self;
        let Some(c) = leg_conf.get(&leg).and_then(|k| confs.get_mut(k)) else {
            // A leg that just left: its sockets were deregistered with it.
            return;
        };
        let Some(state) = c.legs.get_mut(&leg) else {
            return;
        };
        for _ in 0..READS_PER_WAKE {
            let socket = match kind {
                PacketKind::Rtp => &state.io.rtp,
                PacketKind::Rtcp => &state.io.rtcp,
            };
            let (n, source) = match socket.recv_from(&mut buf[..]) {
                Ok(got) => got,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                // ICMP port unreachable and the like surface here: the next datagram may be fine.
                Err(_) => continue,
            };
            inc(&metrics.rtp_packets_received_total);
            let data = &buf[..n];
            // Latch only on what is RTP (RTCP) by its header: any datagram reaches the port, and
            // latching on garbage would hand the leg's media to whoever sends it.
            match kind {
                PacketKind::Rtp => {
                    if c.engine.handle_rtp(now, leg, data) {
                        state.latched_rtp = Some(source);
                    }
                }
                PacketKind::Rtcp => {
                    if media::rtp::demux(data) == media::rtp::Demux::Rtcp {
                        state.latched_rtcp = Some(source);
                    }
                    c.engine.handle_rtcp(now, leg, data);
                }
            }
        }
        pending.push(token);
    }

    fn tick_all(&mut self, now: Instant) {
        let metrics = &self.metrics;
        for c in self.confs.values_mut() {
            c.engine.tick(now);
            while let Some(packet) = c.engine.poll_transmit() {
                let Some(state) = c.legs.get(&packet.leg) else {
                    continue;
                };
                if !state.io.send {
                    continue;
                }
                let (socket, target) = match packet.kind {
                    PacketKind::Rtp => (&state.io.rtp, state.rtp_target()),
                    PacketKind::Rtcp => (&state.io.rtcp, state.rtcp_target()),
                };
                let Some(target) = target else { continue };
                match socket.send_to(packet.data, target) {
                    Ok(_) => inc(&metrics.rtp_packets_sent_total),
                    Err(_) => inc(&metrics.rtp_send_errors_total),
                }
            }
            while let Some(event) = c.engine.poll_event() {
                let leg = match &event {
                    MediaEvent::Dtmf { leg, .. }
                    | MediaEvent::InBandDigit { leg, .. }
                    | MediaEvent::PlaybackFinished { leg }
                    | MediaEvent::Talking { leg, .. } => *leg,
                };
                if let Some(state) = c.legs.get(&leg) {
                    let _ = state.io.events.send(event);
                }
            }
        }
    }
}

/// The epoll token of one of a leg's sockets: the leg id and the socket kind in the low bit.
fn token(leg: LegId, kind: PacketKind) -> Token {
    let low = usize::from(kind == PacketKind::Rtcp);
    Token((leg.0 as usize) << 1 | low)
}

fn from_token(token: usize) -> (LegId, PacketKind) {
    let kind = if token & 1 == 1 {
        PacketKind::Rtcp
    } else {
        PacketKind::Rtp
    };
    (LegId((token >> 1) as u64), kind)
}

/// Starts watching a leg's sockets on this thread's epoll set.
fn watch(poll: &Poll, leg: LegId, io: &LegIo) {
    for (kind, socket) in [(PacketKind::Rtp, &io.rtp), (PacketKind::Rtcp, &io.rtcp)] {
        let fd = socket.as_raw_fd();
        let registered =
            poll.registry()
                .register(&mut SourceFd(&fd), token(leg, kind), Interest::READABLE);
        if let Err(e) = registered {
            // Only on resource exhaustion: the leg then receives nothing, which its call sees as
            // silence; say so rather than fail the thread.
            tracing::warn!(leg = leg.0, error = %e, "cannot watch the leg's socket");
        }
    }
}

/// Stops watching a leg's sockets (before it moves or leaves).
fn unwatch(poll: &Poll, io: &LegIo) {
    for socket in [&io.rtp, &io.rtcp] {
        let fd = socket.as_raw_fd();
        let _ = poll.registry().deregister(&mut SourceFd(&fd));
    }
}
