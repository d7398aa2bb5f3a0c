//! The mixer thread pool: a fixed set of `std::thread`s (one per core by default), each ticking
//! the [`ConferenceEngine`]s assigned to it on absolute 20 ms deadlines.
//!
//! Each tick a thread drains its command and packet queues with `try_recv` (it never blocks on
//! them), feeds the packets to the engines, ticks every engine, sends what they produce with
//! non-blocking `send_to` on the legs' own sockets, and forwards media events to the call tasks.
//! A conference lives on one thread (chosen least-loaded at its first join) so its engine needs
//! no lock. Nothing received can make a thread panic: the engines parse defensively, and a send
//! error is counted, not raised.

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use crossbeam_channel::{bounded, unbounded, Receiver, Sender, TrySendError};
use media::{ConferenceEngine, EngineStats, LegConfig, LegId, LegStats, MediaEvent, PacketKind};
use tokio::sync::mpsc::UnboundedSender;

use crate::metrics::{add, inc, Metrics};

/// The mixing period.
pub const TICK: Duration = Duration::from_millis(20);
/// Packets queued per thread before new ones are dropped (and counted).
const PACKET_QUEUE: usize = 16 * 1024;
/// Media counters are published to `/metrics` every this many ticks (1 s), not every tick.
const STATS_EVERY: u64 = 50;

/// Identifies a conference inside the pool (the store's conference id).
pub type ConfKey = Arc<str>;

/// The sockets and addresses of one leg, handed to the mixer thread that sends on them.
#[derive(Debug)]
pub struct LegIo {
    /// RTP socket (a clone of the one the receive task reads).
    pub rtp: UdpSocket,
    /// RTCP socket.
    pub rtcp: UdpSocket,
    /// Where to send RTP until a packet arrives (from SDP).
    pub remote_rtp: Option<SocketAddr>,
    /// Whether the bridge may send to this leg (false while the peer holds the call).
    pub send: bool,
    /// Where the call task hears media events.
    pub events: UnboundedSender<MediaEvent>,
}

/// A command to a mixer thread.
#[derive(Debug)]
pub enum Command {
    /// Add a participant to a conference (creating its engine on first join).
    AddLeg {
        /// The conference.
        conf: ConfKey,
        /// The participant.
        leg: LegId,
        /// Its negotiated media.
        config: LegConfig,
        /// Its sockets.
        io: LegIo,
    },
    /// A re-INVITE changed where or whether to send, or the codec.
    UpdateLeg {
        /// The conference.
        conf: ConfKey,
        /// The participant.
        leg: LegId,
        /// New codec settings, when they changed.
        config: Option<LegConfig>,
        /// New SDP address (symmetric RTP still wins once packets arrive).
        remote_rtp: Option<SocketAddr>,
        /// Whether to send.
        send: bool,
    },
    /// Remove a participant (the engine goes when its last leg does).
    RemoveLeg {
        /// The conference.
        conf: ConfKey,
        /// The participant.
        leg: LegId,
    },
}

/// A packet received on a leg's socket.
#[derive(Debug)]
pub struct Inbound {
    /// The conference.
    pub conf: ConfKey,
    /// The participant.
    pub leg: LegId,
    /// RTP or RTCP (by the port it came on).
    pub kind: PacketKind,
    /// Who sent it (symmetric RTP: replies go there).
    pub source: SocketAddr,
    /// The bytes.
    pub data: Vec<u8>,
}

/// Handle on one mixer thread.
#[derive(Debug)]
struct Worker {
    commands: Sender<Command>,
    packets: Sender<Inbound>,
}

/// The pool, and which thread each conference lives on.
#[derive(Debug)]
pub struct MixerPool {
    workers: Vec<Worker>,
    placement: Mutex<HashMap<ConfKey, Placement>>,
    metrics: Arc<Metrics>,
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

/// A place taken in a conference; hands it back on drop.
#[derive(Debug)]
pub struct Seat {
    pool: Arc<MixerPool>,
    conf: ConfKey,
    worker: usize,
}

impl Seat {
    /// The conference.
    pub fn conf(&self) -> &ConfKey {
        &self.conf
    }

    /// Send a command to the conference's thread.
    pub fn command(&self, cmd: Command) {
        // A send fails only when the thread is gone (shutdown): nothing to do then.
        let _ = self.pool.workers[self.worker].commands.send(cmd);
    }

    /// The queue the leg's receive tasks push packets into.
    pub fn packet_sink(&self) -> PacketSink {
        PacketSink {
            queue: self.pool.workers[self.worker].packets.clone(),
            metrics: Arc::clone(&self.pool.metrics),
        }
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

/// Where a receive task hands packets to the mixer.
#[derive(Debug, Clone)]
pub struct PacketSink {
    queue: Sender<Inbound>,
    metrics: Arc<Metrics>,
}

impl PacketSink {
    /// Queue a packet; a full queue drops it (counted) rather than block the receive task.
    pub fn push(&self, packet: Inbound) {
        inc(&self.metrics.rtp_packets_received_total);
        match self.queue.try_send(packet) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                inc(&self.metrics.rtp_packets_dropped_total)
            }
        }
    }
}

impl MixerPool {
    /// Start `threads` mixer threads.
    pub fn start(threads: usize, metrics: Arc<Metrics>) -> std::io::Result<Arc<MixerPool>> {
        let mut workers = Vec::with_capacity(threads);
        for index in 0..threads.max(1) {
            let (cmd_tx, cmd_rx) = unbounded();
            let (pkt_tx, pkt_rx) = bounded(PACKET_QUEUE);
            let m = Arc::clone(&metrics);
            thread::Builder::new()
                .name(format!("mixer-{index}"))
                .spawn(move || MixerThread::new(cmd_rx, pkt_rx, m).run())?;
            workers.push(Worker {
                commands: cmd_tx,
                packets: pkt_tx,
            });
        }
        Ok(Arc::new(MixerPool {
            workers,
            placement: Mutex::new(HashMap::new()),
            metrics,
        }))
    }

    /// Take a seat in conference `conf`, refusing past `capacity` participants.
    pub fn join(self: &Arc<Self>, conf: &str, capacity: usize) -> Result<Seat, JoinError> {
        let mut placement = self.placement.lock().unwrap_or_else(|p| p.into_inner());
        let key: ConfKey = Arc::from(conf);
        if let Some(p) = placement.get_mut(&key) {
            if p.participants >= capacity {
                return Err(JoinError::Full);
            }
            p.participants += 1;
            add(&self.metrics.participants_active, 1);
            return Ok(Seat {
                pool: Arc::clone(self),
                conf: key,
                worker: p.worker,
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
        })
    }
}

/// One leg as the mixer thread sees it.
struct LegState {
    io: LegIo,
    /// Latched source of RTP (symmetric RTP, RFC 4961 spirit): once a packet arrives we answer
    /// where it came from, whatever the SDP said (NAT, clients advertising the wrong address).
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

struct MixerThread {
    commands: Receiver<Command>,
    packets: Receiver<Inbound>,
    metrics: Arc<Metrics>,
    confs: HashMap<ConfKey, Conf>,
    /// Counters of the legs that left this thread (their engines forget them).
    retired: EngineStats,
    /// What this thread last added to the global counters (they only ever grow by the delta).
    published: EngineStats,
    ticks: u64,
}

impl MixerThread {
    fn new(commands: Receiver<Command>, packets: Receiver<Inbound>, metrics: Arc<Metrics>) -> Self {
        MixerThread {
            commands,
            packets,
            metrics,
            confs: HashMap::new(),
            retired: EngineStats::default(),
            published: EngineStats::default(),
            ticks: 0,
        }
    }

    /// Add what the engines counted since the last call to the process-wide counters.
    fn publish_stats(&mut self) {
        let mut total = self.retired;
        for c in self.confs.values() {
            let s = c.engine.stats();
            total.rtp_malformed += s.rtp_malformed;
            total.rtp_unknown_pt += s.rtp_unknown_pt;
            total.rtcp_malformed += s.rtcp_malformed;
            total.late += s.late;
            total.lost += s.lost;
            total.duplicate += s.duplicate;
            total.concealed += s.concealed;
        }
        let (p, m) = (&self.published, &self.metrics);
        let bad = |s: &EngineStats| s.rtp_malformed + s.rtp_unknown_pt + s.rtcp_malformed;
        let delta = |now: u64, before: u64| now.saturating_sub(before);
        m.rtp_packets_malformed_total
            .fetch_add(delta(bad(&total), bad(p)), Ordering::Relaxed);
        m.jitter_late_total
            .fetch_add(delta(total.late, p.late), Ordering::Relaxed);
        m.jitter_lost_total
            .fetch_add(delta(total.lost, p.lost), Ordering::Relaxed);
        m.jitter_duplicate_total
            .fetch_add(delta(total.duplicate, p.duplicate), Ordering::Relaxed);
        m.frames_concealed_total
            .fetch_add(delta(total.concealed, p.concealed), Ordering::Relaxed);
        self.published = total;
    }

    /// Keep a leaving leg's counters so the published totals never go down.
    fn retire(&mut self, stats: Option<LegStats>) {
        if let Some(s) = stats {
            self.retired.add(&s);
        }
    }

    fn run(mut self) {
        let mut deadline = Instant::now() + TICK;
        loop {
            let started = Instant::now();
            if !self.drain_commands() {
                return;
            }
            self.drain_packets(started);
            self.tick_all(started);
            inc(&self.metrics.mixer_ticks_total);
            self.ticks += 1;
            if self.ticks.is_multiple_of(STATS_EVERY) {
                self.publish_stats();
            }
            let done = Instant::now();
            let busy = done.saturating_duration_since(started);
            self.metrics
                .mixer_tick_busy_micros_total
                .fetch_add(busy.as_micros() as u64, Ordering::Relaxed);
            if done > deadline {
                inc(&self.metrics.mixer_tick_overruns_total);
                // Far behind (suspended, overloaded): restart the schedule instead of bursting
                // ticks to catch up, which would only add jitter for every listener.
                if done - deadline > 5 * TICK {
                    deadline = done;
                }
            } else {
                thread::sleep(deadline - done);
            }
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
        match cmd {
            Command::AddLeg {
                conf,
                leg,
                config,
                io,
            } => {
                let c = self.confs.entry(conf).or_insert_with(|| {
                    // RFC 3550 wants random initial sequence numbers and timestamps; the
                    // engine reads no OS randomness, so it gets a seed, and the wall clock
                    // (for RTCP SR NTP times) anchored once.
                    let mut engine = ConferenceEngine::with_seed(rand::random());
                    engine.set_cname("pont");
                    engine.set_wallclock(now, SystemTime::now());
                    Conf {
                        engine,
                        legs: HashMap::new(),
                    }
                });
                c.engine.add_leg(now, leg, config);
                c.legs.insert(
                    leg,
                    LegState {
                        io,
                        latched_rtp: None,
                        latched_rtcp: None,
                    },
                );
            }
            Command::UpdateLeg {
                conf,
                leg,
                config,
                remote_rtp,
                send,
            } => {
                let Some(c) = self.confs.get_mut(&conf) else {
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
            Command::RemoveLeg { conf, leg } => {
                let Some(c) = self.confs.get_mut(&conf) else {
                    return;
                };
                let stats = c.engine.leg_stats(leg);
                c.engine.remove_leg(leg);
                c.legs.remove(&leg);
                if c.legs.is_empty() {
                    self.confs.remove(&conf);
                }
                self.retire(stats);
            }
        }
    }

    fn drain_packets(&mut self, now: Instant) {
        // Bounded by what is queued now, so a flood cannot keep the thread from ticking.
        for _ in 0..PACKET_QUEUE {
            let Ok(p) = self.packets.try_recv() else {
                return;
            };
            let Some(c) = self.confs.get_mut(&p.conf) else {
                inc(&self.metrics.rtp_packets_dropped_total);
                continue;
            };
            let Some(state) = c.legs.get_mut(&p.leg) else {
                inc(&self.metrics.rtp_packets_dropped_total);
                continue;
            };
            // Latch only on what is RTP (RTCP) by its header: any datagram reaches the port, and
            // latching on garbage would hand the leg's media to whoever sends it.
            match p.kind {
                PacketKind::Rtp => {
                    if media::rtp::parse(&p.data).is_ok() {
                        state.latched_rtp = Some(p.source);
                    }
                    c.engine.handle_rtp(now, p.leg, &p.data);
                }
                PacketKind::Rtcp => {
                    if media::rtp::demux(&p.data) == media::rtp::Demux::Rtcp {
                        state.latched_rtcp = Some(p.source);
                    }
                    c.engine.handle_rtcp(now, p.leg, &p.data);
                }
            }
        }
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
                    | MediaEvent::Talking { leg, .. }
                    | MediaEvent::PlaybackFinished { leg }
                    | MediaEvent::InBandDigit { leg, .. } => *leg,
                };
                if let Some(state) = c.legs.get(&leg) {
                    let _ = state.io.events.send(event);
                }
            }
        }
    }
}
