//! Client transactions: RFC 3261 §17.1.1 INVITE client (timers A, B, D; the ACK of a non-2xx is
//! built here, §17.1.1.3; RFC 6026 Accepted state with timer M) and §17.1.2 non-INVITE client
//! (timers E, F, K).

use std::time::{Duration, Instant};

use super::{headers, Output, TimerConfig};
use crate::timer::{Timer, TimerTable};
use crate::Transmit;

/// The state of a client transaction (the union of §17.1.1 and §17.1.2 states).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientState {
    /// INVITE: sent, no response yet. Non-INVITE: "Trying".
    Calling,
    /// A provisional response arrived.
    Proceeding,
    /// INVITE: a 2xx arrived; 2xx retransmissions still go to the dialog (RFC 6026).
    Accepted,
    /// A final response (INVITE: non-2xx, ACK sent) arrived; retransmissions are absorbed.
    Completed,
    /// Done; the layer removes it.
    Terminated,
}

/// What a received response means for the transaction user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientVerdict {
    /// Pass it up (first provisional/final, or a 2xx retransmission the dialog re-ACKs).
    Pass,
    /// A retransmission the transaction handled (or a response in the wrong state).
    Absorb,
}

/// What the fields the ACK of a non-2xx needs (§17.1.1.3): everything but To comes from the
/// INVITE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckTemplate {
    /// The INVITE's Request-URI.
    pub uri: String,
    /// Our single Via (with the INVITE's branch).
    pub via: String,
    /// The INVITE's From.
    pub from: String,
    /// The INVITE's Call-ID.
    pub call_id: String,
    /// The INVITE's CSeq number.
    pub cseq: u32,
    /// The INVITE's Route values.
    pub routes: Vec<String>,
    /// Max-Forwards and identification headers copied into the ACK.
    pub extra: Vec<(String, String)>,
}

/// One client transaction.
#[derive(Debug, Clone)]
pub struct ClientTransaction {
    /// The current state.
    pub state: ClientState,
    is_invite: bool,
    request: Vec<u8>,
    ack: Option<Vec<u8>>,
    ack_template: Option<AckTemplate>,
    transmit_to: (crate::Transport, std::net::SocketAddr),
    timers: TimerTable,
    interval: Duration,
    cfg: TimerConfig,
}

impl ClientTransaction {
    /// Start a transaction: sends `request` at once and arms the timers of §17.1. For an INVITE,
    /// `ack_template` is what the ACK of a non-2xx is built from.
    pub fn start(
        now: Instant,
        request: Vec<u8>,
        ack_template: Option<AckTemplate>,
        transport: crate::Transport,
        destination: std::net::SocketAddr,
        cfg: TimerConfig,
        out: &mut Output,
    ) -> Self {
        let is_invite = ack_template.is_some();
        let mut tx = ClientTransaction {
            state: ClientState::Calling,
            is_invite,
            request,
            ack: None,
            ack_template,
            transmit_to: (transport, destination),
            timers: TimerTable::new(),
            interval: cfg.t1,
            cfg,
        };
        out.transmits.push_back(tx.transmit(tx.request.clone()));
        let reliable = transport == crate::Transport::Tcp;
        let (retransmit, timeout) = if is_invite {
            (Timer::A, Timer::B)
        } else {
            (Timer::E, Timer::F)
        };
        if !reliable {
            tx.timers.set(retransmit, now + cfg.t1);
        }
        tx.timers.set(timeout, now + cfg.t1 * 64);
        tx
    }

    fn transmit(&self, payload: Vec<u8>) -> Transmit {
        Transmit {
            transport: self.transmit_to.0,
            destination: self.transmit_to.1,
            payload,
        }
    }

    fn reliable(&self) -> bool {
        self.transmit_to.0 == crate::Transport::Tcp
    }

    /// A response matched this transaction.
    pub fn on_response(
        &mut self,
        now: Instant,
        status: u16,
        to: &str,
        out: &mut Output,
    ) -> ClientVerdict {
        use ClientState::*;
        let provisional = status < 200;
        match (self.state, provisional) {
            (Calling | Proceeding, true) => {
                self.state = Proceeding;
                if self.is_invite {
                    // §17.1.1.2: a provisional response stops retransmissions and timer B.
                    self.timers.stop(Timer::A);
                    self.timers.stop(Timer::B);
                } else if self.timers.is_set(Timer::E) {
                    // §17.1.2.2: in Proceeding, E keeps firing at T2.
                    self.timers.set(Timer::E, now + self.cfg.t2);
                    self.interval = self.cfg.t2;
                }
                ClientVerdict::Pass
            }
            (Calling | Proceeding, false) => {
                self.timers.stop_all();
                if self.is_invite && (200..300).contains(&status) {
                    self.state = Accepted;
                    self.timers.set(Timer::M, now + self.cfg.t1 * 64);
                } else if self.is_invite {
                    self.state = Completed;
                    self.send_ack(to, out, false);
                    let d = if self.reliable() {
                        Duration::ZERO
                    } else {
                        Duration::from_secs(32)
                    };
                    self.timers.set(Timer::D, now + d);
                } else {
                    self.state = Completed;
                    let k = if self.reliable() {
                        Duration::ZERO
                    } else {
                        self.cfg.t4
                    };
                    self.timers.set(Timer::K, now + k);
                }
                ClientVerdict::Pass
            }
            // RFC 6026 §7.2: 2xx retransmissions go up so the dialog re-sends its ACK.
            (Accepted, false) if (200..300).contains(&status) => ClientVerdict::Pass,
            (Completed, false) if self.is_invite => {
                self.send_ack(to, out, true);
                ClientVerdict::Absorb
            }
            _ => ClientVerdict::Absorb,
        }
    }

    fn send_ack(&mut self, to: &str, out: &mut Output, again: bool) {
        if self.ack.is_none() {
            if let Some(t) = &self.ack_template {
                let mut hs: Vec<(String, String)> = vec![("Via".into(), t.via.clone())];
                hs.extend(t.routes.iter().map(|r| ("Route".to_string(), r.clone())));
                hs.push(("From".into(), t.from.clone()));
                hs.push(("To".into(), to.to_string()));
                hs.push(("Call-ID".into(), t.call_id.clone()));
                hs.push(("CSeq".into(), format!("{} ACK", t.cseq)));
                hs.extend(t.extra.iter().cloned());
                self.ack = Some(headers::serialize(
                    &format!("ACK {} SIP/2.0", t.uri),
                    &hs,
                    b"",
                ));
            }
        }
        if let Some(ack) = self.ack.clone() {
            if again {
                out.stats.retransmissions_sent += 1;
            }
            out.transmits.push_back(self.transmit(ack));
        }
    }

    /// The earliest armed timer.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_timeout()
    }

    /// Fire the timers due at `now`; `true` when the transaction timed out (B or F).
    pub fn handle_timeout(&mut self, now: Instant, out: &mut Output) -> bool {
        let mut timed_out = false;
        while let Some(timer) = self.timers.pop_expired(now) {
            match timer {
                Timer::A => {
                    // §17.1.1.2: A doubles without a cap (B ends it at 64*T1).
                    out.stats.retransmissions_sent += 1;
                    out.transmits.push_back(self.transmit(self.request.clone()));
                    self.interval *= 2;
                    self.timers.set(Timer::A, now + self.interval);
                }
                Timer::E => {
                    out.stats.retransmissions_sent += 1;
                    out.transmits.push_back(self.transmit(self.request.clone()));
                    self.interval = (self.interval * 2).min(self.cfg.t2);
                    self.timers.set(Timer::E, now + self.interval);
                }
                Timer::B | Timer::F => {
                    self.timers.stop_all();
                    self.state = ClientState::Terminated;
                    out.stats.transaction_timeouts += 1;
                    timed_out = true;
                }
                Timer::D | Timer::K | Timer::M => {
                    self.timers.stop_all();
                    self.state = ClientState::Terminated;
                }
                _ => {}
            }
        }
        timed_out
    }
}
