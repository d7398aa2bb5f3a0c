//! Server transactions: RFC 3261 §17.2.1 INVITE server (with the RFC 6026 Accepted state) and
//! §17.2.2 non-INVITE server.
//!
//! Both keep the last response they sent as bytes, so that a retransmitted request is answered by
//! re-sending it (§17.2.1, §17.2.2) without the dialog layer seeing the retransmission.

use std::time::Instant;

use super::{key::Incoming, Output, TimerConfig};
use crate::timer::{Timer, TimerTable};
use crate::Transmit;

/// The state of a server transaction (the union of §17.2.1 and §17.2.2 states).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerState {
    /// Non-INVITE: no response sent yet.
    Trying,
    /// A provisional response was sent (INVITE: from creation, with 100 Trying).
    Proceeding,
    /// INVITE: a 2xx was sent; INVITE retransmissions are absorbed (RFC 6026 §7.1).
    Accepted,
    /// A final response was sent (INVITE: a non-2xx, retransmitted on G until the ACK).
    Completed,
    /// INVITE: the ACK for the non-2xx arrived; ACK retransmissions are absorbed until I.
    Confirmed,
    /// Done; the layer removes it.
    Terminated,
}

/// What a timer firing means for the transaction user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerTimeout {
    /// Timer H: no ACK came for our final non-2xx.
    NoAck,
}

/// One server transaction.
#[derive(Debug, Clone)]
pub struct ServerTransaction {
    /// The request that created it.
    pub request: Incoming,
    /// The current state.
    pub state: ServerState,
    /// The status of the last response sent, if any.
    pub last_status: Option<u16>,
    /// The To tag of our last response (RFC 2543 ACK matching uses it).
    pub to_tag: Option<String>,
    is_invite: bool,
    last_response: Option<Vec<u8>>,
    timers: TimerTable,
    g_interval: std::time::Duration,
    cfg: TimerConfig,
}

impl ServerTransaction {
    /// A new server transaction for `request` (INVITE or not, by its method).
    pub fn new(request: Incoming, cfg: TimerConfig) -> Self {
        let is_invite = request.method == "INVITE";
        ServerTransaction {
            request,
            state: if is_invite {
                ServerState::Proceeding
            } else {
                ServerState::Trying
            },
            last_status: None,
            to_tag: None,
            is_invite,
            last_response: None,
            timers: TimerTable::new(),
            g_interval: cfg.t1,
            cfg,
        }
    }

    fn reliable(&self) -> bool {
        self.request.transport == crate::Transport::Tcp
    }

    fn transmit(&self, payload: Vec<u8>) -> Transmit {
        Transmit {
            transport: self.request.transport,
            destination: self.request.source,
            payload,
        }
    }

    /// The request arrived again: re-send the last response where §17.2 says so.
    pub fn on_retransmission(&mut self, out: &mut Output) {
        out.stats.request_retransmissions_absorbed += 1;
        let resend = match self.state {
            ServerState::Proceeding | ServerState::Completed => self.last_response.clone(),
            _ => None,
        };
        if let Some(bytes) = resend {
            out.stats.retransmissions_sent += 1;
            out.transmits.push_back(self.transmit(bytes));
        }
    }

    /// Send a response built by the caller. Returns `false` (and sends nothing) when the state
    /// no longer allows one (a final response was already sent).
    pub fn respond(
        &mut self,
        now: Instant,
        status: u16,
        to_tag: Option<String>,
        bytes: Vec<u8>,
        out: &mut Output,
    ) -> bool {
        let open = matches!(self.state, ServerState::Trying | ServerState::Proceeding)
            // RFC 6026 §7.1: 2xx retransmissions from the TU pass through in Accepted.
            || (self.state == ServerState::Accepted && (200..300).contains(&status));
        if !open {
            return false;
        }
        out.transmits.push_back(self.transmit(bytes.clone()));
        self.last_status = Some(status);
        if to_tag.is_some() {
            self.to_tag = to_tag;
        }
        self.last_response = Some(bytes);
        let t64 = self.cfg.t1 * 64;
        match (self.is_invite, status) {
            (_, 100..=199) => self.state = ServerState::Proceeding,
            (true, 200..=299) => {
                if self.state != ServerState::Accepted {
                    self.state = ServerState::Accepted;
                    self.timers.set(Timer::L, now + t64);
                }
            }
            (true, _) => {
                self.state = ServerState::Completed;
                if !self.reliable() {
                    self.g_interval = self.cfg.t1;
                    self.timers.set(Timer::G, now + self.g_interval);
                }
                self.timers.set(Timer::H, now + t64);
            }
            (false, _) => {
                self.state = ServerState::Completed;
                let j = if self.reliable() {
                    std::time::Duration::ZERO
                } else {
                    t64
                };
                self.timers.set(Timer::J, now + j);
            }
        }
        true
    }

    /// An ACK matched this INVITE transaction. Returns `true` when the transaction consumed it
    /// (ACK of a non-2xx, or its retransmission); `false` means it is for the dialog (a 2xx ACK
    /// that reused the INVITE's branch, as RFC 2543 peers do).
    pub fn on_ack(&mut self, now: Instant) -> bool {
        match self.state {
            ServerState::Completed => {
                self.state = ServerState::Confirmed;
                self.timers.stop(Timer::G);
                self.timers.stop(Timer::H);
                let i = if self.reliable() {
                    std::time::Duration::ZERO
                } else {
                    self.cfg.t4
                };
                self.timers.set(Timer::I, now + i);
                true
            }
            ServerState::Confirmed => true,
            _ => false,
        }
    }

    /// The earliest armed timer.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_timeout()
    }

    /// Fire the timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant, out: &mut Output) -> Option<ServerTimeout> {
        let mut result = None;
        while let Some(timer) = self.timers.pop_expired(now) {
            match timer {
                Timer::G => {
                    if let Some(bytes) = self.last_response.clone() {
                        out.stats.retransmissions_sent += 1;
                        out.transmits.push_back(self.transmit(bytes));
                    }
                    self.g_interval = (self.g_interval * 2).min(self.cfg.t2);
                    self.timers.set(Timer::G, now + self.g_interval);
                }
                Timer::H => {
                    self.timers.stop_all();
                    self.state = ServerState::Terminated;
                    result = Some(ServerTimeout::NoAck);
                }
                Timer::I | Timer::J | Timer::L => {
                    self.timers.stop_all();
                    self.state = ServerState::Terminated;
                }
                _ => {}
            }
        }
        result
    }
}
