//! The SIP driver: the async shell around the sans-IO [`sip::Endpoint`] (quinn around
//! quinn-proto). One tokio task owns the endpoint; it reads the UDP socket, receives frames from
//! the TCP connection tasks and commands from the call tasks, fires the endpoint's timer, and after
//! every input drains what the endpoint wants sent and the events for the calls.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sip::framing::StreamFramer;
use sip::{CallHandle, Endpoint, Event, Transmit, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};

use crate::metrics::{inc, Metrics};

/// Largest SIP message read from UDP.
const MAX_DATAGRAM: usize = 65_535;
/// How long a shutdown waits for the BYEs to be answered.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
/// Queued outgoing messages per TCP connection before it is considered stuck and closed.
const TCP_WRITE_QUEUE: usize = 256;

/// What a call task may ask of the driver.
#[derive(Debug)]
pub enum CallCmd {
    /// 200 OK with this SDP (to the INVITE or the pending re-INVITE).
    Accept(Vec<u8>),
    /// A final error status.
    Reject(u16),
    /// End the call (BYE).
    Hangup,
}

/// Messages into the driver task.
#[derive(Debug)]
enum DriverMsg {
    Received {
        data: Vec<u8>,
        source: SocketAddr,
        transport: Transport,
    },
    Call {
        call: CallHandle,
        cmd: CallCmd,
    },
    TcpUp {
        peer: SocketAddr,
        writer: mpsc::Sender<Vec<u8>>,
    },
    TcpDown {
        peer: SocketAddr,
    },
    Shutdown,
}

/// A new call, handed to the call logic with its control.
#[derive(Debug)]
pub struct IncomingCall {
    /// The Request-URI.
    pub request_uri: rsip::Uri,
    /// The From header.
    pub from: String,
    /// Where the INVITE came from.
    pub source: SocketAddr,
    /// UDP or TCP.
    pub transport: Transport,
    /// The SDP offer, if any.
    pub offer: Option<Vec<u8>>,
}

/// A call task's link to the driver: its events in, its commands out.
#[derive(Debug)]
pub struct CallControl {
    /// The call.
    pub call: CallHandle,
    /// The endpoint's events for this call (ends after `CallEnded`).
    pub events: UnboundedReceiver<Event>,
    driver: UnboundedSender<DriverMsg>,
}

impl CallControl {
    /// Ask the driver to do something for this call.
    pub fn send(&self, cmd: CallCmd) {
        let _ = self.driver.send(DriverMsg::Call {
            call: self.call,
            cmd,
        });
    }
}

/// Handle on the running driver.
#[derive(Debug, Clone)]
pub struct SipHandle {
    tx: UnboundedSender<DriverMsg>,
}

impl SipHandle {
    /// Hang up every call, then stop.
    pub fn shutdown(&self) {
        let _ = self.tx.send(DriverMsg::Shutdown);
    }
}

/// Start the driver on already-bound sockets. `on_call` is invoked (on the driver task: it must
/// only spawn) for every new INVITE.
pub fn start<F>(
    endpoint: Endpoint,
    udp: UdpSocket,
    tcp: TcpListener,
    metrics: Arc<Metrics>,
    on_call: F,
) -> (SipHandle, tokio::task::JoinHandle<()>)
where
    F: Fn(IncomingCall, CallControl) + Send + 'static,
{
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(accept_tcp(tcp, tx.clone(), Arc::clone(&metrics)));
    let driver = Driver {
        endpoint,
        udp: Arc::new(udp),
        tx: tx.clone(),
        calls: HashMap::new(),
        tcp: HashMap::new(),
        metrics,
        on_call: Box::new(on_call),
    };
    let task = tokio::spawn(driver.run(rx));
    (SipHandle { tx }, task)
}

struct Driver {
    endpoint: Endpoint,
    udp: Arc<UdpSocket>,
    tx: UnboundedSender<DriverMsg>,
    calls: HashMap<CallHandle, UnboundedSender<Event>>,
    tcp: HashMap<SocketAddr, mpsc::Sender<Vec<u8>>>,
    metrics: Arc<Metrics>,
    on_call: Box<dyn Fn(IncomingCall, CallControl) + Send>,
}

impl Driver {
    async fn run(mut self, mut rx: UnboundedReceiver<DriverMsg>) {
        let mut buf = vec![0u8; MAX_DATAGRAM];
        let mut stop_by: Option<Instant> = None;
        loop {
            let timer = self.endpoint.poll_timeout();
            tokio::select! {
                msg = rx.recv() => {
                    let Some(msg) = msg else { return };
                    if matches!(msg, DriverMsg::Shutdown) {
                        let now = Instant::now();
                        for call in self.calls.keys().copied().collect::<Vec<_>>() {
                            self.endpoint.hangup(now, call);
                        }
                        stop_by = Some(now + SHUTDOWN_GRACE);
                    } else {
                        self.handle_msg(msg);
                    }
                }
                received = self.udp.recv_from(&mut buf) => {
                    if let Ok((n, source)) = received {
                        inc(&self.metrics.sip_messages_received_total);
                        self.endpoint.handle_input(Instant::now(), &buf[..n], source, Transport::Udp);
                    }
                }
                _ = sleep_until(timer), if timer.is_some() => {
                    self.endpoint.handle_timeout(Instant::now());
                }
                _ = sleep_until(stop_by), if stop_by.is_some() => return,
            }
            self.flush().await;
            if stop_by.is_some() && self.calls.is_empty() {
                return;
            }
        }
    }

    fn handle_msg(&mut self, msg: DriverMsg) {
        let now = Instant::now();
        match msg {
            DriverMsg::Received {
                data,
                source,
                transport,
            } => {
                inc(&self.metrics.sip_messages_received_total);
                self.endpoint.handle_input(now, &data, source, transport);
            }
            DriverMsg::Call { call, cmd } => match cmd {
                CallCmd::Accept(sdp) => self.endpoint.accept(now, call, sdp),
                CallCmd::Reject(status) => self.endpoint.reject(now, call, status),
                CallCmd::Hangup => self.endpoint.hangup(now, call),
            },
            DriverMsg::TcpUp { peer, writer } => {
                self.tcp.insert(peer, writer);
            }
            DriverMsg::TcpDown { peer } => {
                self.tcp.remove(&peer);
            }
            DriverMsg::Shutdown => {}
        }
    }

    /// Send what the endpoint produced and route its events.
    async fn flush(&mut self) {
        let stats = self.endpoint.stats();
        let m = &self.metrics;
        m.sip_messages_dropped_total.store(stats.dropped, Relaxed);
        m.sip_bad_requests_total
            .store(stats.bad_requests_sent, Relaxed);
        m.sip_retransmissions_total
            .store(stats.retransmissions_sent, Relaxed);
        m.sip_transaction_timeouts_total
            .store(stats.transaction_timeouts, Relaxed);
        while let Some(t) = self.endpoint.poll_transmit() {
            self.transmit(t).await;
        }
        while let Some(event) = self.endpoint.poll_event() {
            self.route(event);
        }
    }

    async fn transmit(&mut self, t: Transmit) {
        match t.transport {
            Transport::Udp => {
                // A failed datagram is like a lost one: the transaction layer retransmits.
                let _ = self.udp.send_to(&t.payload, t.destination).await;
            }
            Transport::Tcp => match self.tcp.get(&t.destination) {
                Some(writer) => {
                    if writer.try_send(t.payload).is_err() {
                        // Stuck or closed connection: forget it; the next message reconnects.
                        self.tcp.remove(&t.destination);
                    }
                }
                None => {
                    tokio::spawn(connect_tcp(
                        t.destination,
                        t.payload,
                        self.tx.clone(),
                        Arc::clone(&self.metrics),
                    ));
                }
            },
        }
    }

    fn route(&mut self, event: Event) {
        let call = match &event {
            Event::IncomingCall { call, .. } => *call,
            Event::CallConfirmed { call, .. }
            | Event::ReInvite { call, .. }
            | Event::Info { call, .. }
            | Event::Progress { call, .. }
            | Event::Answered { call, .. }
            | Event::CallEnded { call, .. } => *call,
        };
        if let Event::IncomingCall {
            request_uri,
            from,
            source,
            transport,
            offer,
            ..
        } = event
        {
            inc(&self.metrics.calls_total);
            let (tx, rx) = mpsc::unbounded_channel();
            self.calls.insert(call, tx);
            let control = CallControl {
                call,
                events: rx,
                driver: self.tx.clone(),
            };
            (self.on_call)(
                IncomingCall {
                    request_uri,
                    from,
                    source,
                    transport,
                    offer,
                },
                control,
            );
            return;
        }
        let ended = matches!(event, Event::CallEnded { .. });
        if let Some(tx) = self.calls.get(&call) {
            let _ = tx.send(event);
        }
        if ended {
            self.calls.remove(&call);
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

async fn accept_tcp(listener: TcpListener, tx: UnboundedSender<DriverMsg>, metrics: Arc<Metrics>) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                tokio::spawn(serve_tcp(stream, peer, tx.clone(), Arc::clone(&metrics)));
            }
            Err(e) => {
                tracing::warn!(error = %e, "SIP TCP accept failed");
                // Out of file descriptors and the like: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn connect_tcp(
    peer: SocketAddr,
    first: Vec<u8>,
    tx: UnboundedSender<DriverMsg>,
    metrics: Arc<Metrics>,
) {
    match tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(peer)).await {
        Ok(Ok(stream)) => {
            let _ = stream.set_nodelay(true);
            let (read, mut write) = stream.into_split();
            let _ = write.write_all(&first).await;
            run_tcp(read, write, peer, tx, metrics).await;
        }
        _ => tracing::debug!(%peer, "SIP TCP connect failed"),
    }
}

async fn serve_tcp(
    stream: TcpStream,
    peer: SocketAddr,
    tx: UnboundedSender<DriverMsg>,
    metrics: Arc<Metrics>,
) {
    let _ = stream.set_nodelay(true);
    let (read, write) = stream.into_split();
    run_tcp(read, write, peer, tx, metrics).await;
}

/// One TCP connection: frames in, queued messages out, until either side fails.
async fn run_tcp(
    mut read: tokio::net::tcp::OwnedReadHalf,
    mut write: tokio::net::tcp::OwnedWriteHalf,
    peer: SocketAddr,
    tx: UnboundedSender<DriverMsg>,
    metrics: Arc<Metrics>,
) {
    let (wtx, mut wrx) = mpsc::channel::<Vec<u8>>(TCP_WRITE_QUEUE);
    if tx.send(DriverMsg::TcpUp { peer, writer: wtx }).is_err() {
        return;
    }
    let writer = tokio::spawn(async move {
        while let Some(bytes) = wrx.recv().await {
            if write.write_all(&bytes).await.is_err() {
                break;
            }
        }
    });
    let mut framer = StreamFramer::new();
    let mut buf = vec![0u8; 16 * 1024];
    'read: loop {
        let n = match read.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        framer.push(&buf[..n]);
        loop {
            match framer.next_message() {
                Ok(Some(data)) => {
                    let msg = DriverMsg::Received {
                        data,
                        source: peer,
                        transport: Transport::Tcp,
                    };
                    if tx.send(msg).is_err() {
                        break 'read;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    // RFC 3261 §18.3: a stream that cannot be framed cannot be resynchronised.
                    tracing::info!(%peer, error = %e, "closing SIP TCP connection");
                    inc(&metrics.sip_tcp_framing_errors_total);
                    break 'read;
                }
            }
        }
    }
    let _ = tx.send(DriverMsg::TcpDown { peer });
    writer.abort();
}
