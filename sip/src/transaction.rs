//! RFC 3261 §17 transactions, sans-IO: the INVITE and non-INVITE server transactions
//! (§17.2.1, §17.2.2), the INVITE and non-INVITE client transactions (§17.1.1, §17.1.2), timers
//! A–K of Table 4 (plus L and M of RFC 6026), and request/response matching (§17.1.3, §17.2.3,
//! with the RFC 2543 fallback).
//!
//! One deliberate deviation: an INVITE client transaction in Proceeding keeps a guard timer
//! ([`client::PROCEEDING_GUARD`], 3 min, like a proxy's timer C) so a peer that answers 100 and
//! then nothing cannot hold a call forever.
//!
//! Over TCP nothing is retransmitted: timers A, E and G are never armed, and D, I, J, K are zero
//! (§17.1.1.2, §17.1.2.2, §17.2.1, §17.2.2).

pub mod client;
pub mod headers;
pub mod key;
pub mod server;

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

pub use client::{AckTemplate, ClientState, ClientTransaction, ClientVerdict};
pub use key::{ClientKey, Incoming, IncomingError, TransactionKey};
pub use server::{ServerState, ServerTimeout, ServerTransaction};

use crate::Transmit;

/// The RFC 3261 timer values (§17.1.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    /// RTT estimate, 500 ms by default.
    pub t1: Duration,
    /// Maximum retransmit interval for non-INVITE requests and INVITE responses, 4 s.
    pub t2: Duration,
    /// Maximum time a message stays in the network, 5 s.
    pub t4: Duration,
}

/// Counters kept by the transaction layer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransactionStats {
    /// Requests and responses re-sent by a timer or because the peer retransmitted.
    pub retransmissions_sent: u64,
    /// Retransmitted requests absorbed by a server transaction.
    pub request_retransmissions_absorbed: u64,
    /// Client transactions that timed out (timer B or F).
    pub transaction_timeouts: u64,
}

/// Where machines put what they send, and the counters they bump.
#[derive(Debug, Default)]
pub struct Output {
    /// Bytes waiting for the driver.
    pub transmits: VecDeque<Transmit>,
    /// Counters.
    pub stats: TransactionStats,
}

/// What the layer did with a received request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestMatch {
    /// A new transaction was created under this key; the TU must answer it.
    New(TransactionKey),
    /// A retransmission, handled by its transaction.
    Retransmission,
    /// An ACK consumed by an INVITE server transaction (ACK of a non-2xx).
    AckAbsorbed,
    /// An ACK no transaction consumed: it is for a dialog (ACK of a 2xx, §17.1.1.3).
    AckForDialog,
}

/// A timer outcome the TU must hear about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransactionEvent {
    /// A server transaction ended by timer H (no ACK for a non-2xx).
    ServerNoAck(TransactionKey),
    /// A client transaction timed out (B or F).
    ClientTimeout(ClientKey),
}

/// Every live transaction of an endpoint. Ordered maps keep timer processing deterministic.
#[derive(Debug)]
pub struct TransactionLayer {
    cfg: TimerConfig,
    servers: BTreeMap<TransactionKey, ServerTransaction>,
    clients: BTreeMap<ClientKey, ClientTransaction>,
}

impl TransactionLayer {
    /// An empty layer.
    pub fn new(cfg: TimerConfig) -> Self {
        TransactionLayer {
            cfg,
            servers: BTreeMap::new(),
            clients: BTreeMap::new(),
        }
    }

    /// Match a received request (§17.2.3); absorb retransmissions, create new transactions.
    pub fn handle_request(
        &mut self,
        now: Instant,
        request: Incoming,
        out: &mut Output,
    ) -> RequestMatch {
        if request.method == "ACK" {
            return self.handle_ack(now, &request);
        }
        let key = request.server_key(None);
        if let Some(tx) = self.servers.get_mut(&key) {
            tx.on_retransmission(out);
            return RequestMatch::Retransmission;
        }
        self.servers
            .insert(key.clone(), ServerTransaction::new(request, self.cfg));
        RequestMatch::New(key)
    }

    fn handle_ack(&mut self, now: Instant, ack: &Incoming) -> RequestMatch {
        let key = ack.server_key(Some("INVITE"));
        let mut candidates = vec![key.clone()];
        if matches!(key, TransactionKey::Rfc2543 { .. }) {
            // RFC 2543: the INVITE had no To tag; the ACK carries the one we sent.
            candidates.push(key.with_to_tag(None));
        }
        for k in candidates {
            if let Some(tx) = self.servers.get_mut(&k) {
                if matches!(k, TransactionKey::Rfc2543 { .. }) && tx.to_tag != ack.to_tag() {
                    continue;
                }
                if tx.on_ack(now) {
                    return RequestMatch::AckAbsorbed;
                }
            }
        }
        RequestMatch::AckForDialog
    }

    /// The server transaction under `key`.
    pub fn server(&self, key: &TransactionKey) -> Option<&ServerTransaction> {
        self.servers.get(key)
    }

    /// The INVITE server transaction a CANCEL targets (§9.2: same key, method INVITE).
    pub fn cancel_target(&self, cancel: &Incoming) -> Option<TransactionKey> {
        let key = cancel.server_key(Some("INVITE"));
        self.servers.contains_key(&key).then_some(key)
    }

    /// Send a response through the server transaction `key`. Returns `false` when there is no
    /// such transaction or it can no longer respond.
    pub fn respond(
        &mut self,
        now: Instant,
        key: &TransactionKey,
        status: u16,
        to_tag: Option<String>,
        bytes: Vec<u8>,
        out: &mut Output,
    ) -> bool {
        match self.servers.get_mut(key) {
            Some(tx) => tx.respond(now, status, to_tag, bytes, out),
            None => false,
        }
    }

    /// Start a client transaction (sends the request at once).
    #[allow(clippy::too_many_arguments)]
    pub fn start_client(
        &mut self,
        now: Instant,
        key: ClientKey,
        request: Vec<u8>,
        ack_template: Option<AckTemplate>,
        transport: crate::Transport,
        destination: std::net::SocketAddr,
        out: &mut Output,
    ) {
        let tx = ClientTransaction::start(
            now,
            request,
            ack_template,
            transport,
            destination,
            self.cfg,
            out,
        );
        self.clients.insert(key, tx);
    }

    /// Match a response to a client transaction (§17.1.3). `None`: no transaction (a stray
    /// response, or a 2xx retransmission after timer M).
    pub fn handle_response(
        &mut self,
        now: Instant,
        key: &ClientKey,
        status: u16,
        to: &str,
        out: &mut Output,
    ) -> Option<ClientVerdict> {
        let tx = self.clients.get_mut(key)?;
        Some(tx.on_response(now, status, to, out))
    }

    /// Whether a client transaction under `key` is still waiting for a final response.
    pub fn client_pending(&self, key: &ClientKey) -> bool {
        self.clients
            .get(key)
            .is_some_and(|tx| matches!(tx.state, ClientState::Calling | ClientState::Proceeding))
    }

    /// The earliest deadline of any transaction.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let s = self.servers.values().filter_map(|t| t.poll_timeout());
        let c = self.clients.values().filter_map(|t| t.poll_timeout());
        s.chain(c).min()
    }

    /// Fire every due timer, drop terminated transactions, report what the TU must know.
    pub fn handle_timeout(&mut self, now: Instant, out: &mut Output) -> Vec<TransactionEvent> {
        let mut events = Vec::new();
        for (key, tx) in self.servers.iter_mut() {
            if tx.poll_timeout().is_some_and(|at| at <= now)
                && tx.handle_timeout(now, out) == Some(ServerTimeout::NoAck)
            {
                events.push(TransactionEvent::ServerNoAck(key.clone()));
            }
        }
        for (key, tx) in self.clients.iter_mut() {
            if tx.poll_timeout().is_some_and(|at| at <= now) && tx.handle_timeout(now, out) {
                events.push(TransactionEvent::ClientTimeout(key.clone()));
            }
        }
        self.servers
            .retain(|_, t| t.state != ServerState::Terminated);
        self.clients
            .retain(|_, t| t.state != ClientState::Terminated);
        events
    }

    /// How many transactions are alive (servers, clients).
    pub fn len(&self) -> (usize, usize) {
        (self.servers.len(), self.clients.len())
    }
}
