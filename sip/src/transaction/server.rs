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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transaction::headers::parse_via;
    use crate::Transport;
    use std::time::Duration;

    const CFG: TimerConfig = TimerConfig {
        t1: Duration::from_millis(500),
        t2: Duration::from_secs(4),
        t4: Duration::from_secs(5),
    };

    fn request(method: &str, transport: Transport) -> Incoming {
        let via = "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKunit";
        Incoming {
            method: method.into(),
            uri: "sip:conf@192.0.2.10".into(),
            vias: vec![via.into()],
            top_via: parse_via(via).unwrap(),
            from: "<sip:a@192.0.2.1>;tag=1".into(),
            to: "<sip:conf@192.0.2.10>".into(),
            call_id: "unit@192.0.2.1".into(),
            cseq: 1,
            cseq_method: method.into(),
            source: "192.0.2.1:5060".parse().unwrap(),
            transport,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Fire every timer up to `until`; the offsets (ms from `t0`) at which something was sent.
    fn run(
        tx: &mut ServerTransaction,
        out: &mut Output,
        t0: Instant,
        until: Duration,
    ) -> Vec<u128> {
        let mut sent = Vec::new();
        while let Some(at) = tx.poll_timeout().filter(|&at| at <= t0 + until) {
            tx.handle_timeout(at, out);
            while out.transmits.pop_front().is_some() {
                sent.push((at - t0).as_millis());
            }
        }
        sent
    }

    #[test]
    fn invite_server_g_then_h() {
        #[allow(clippy::disallowed_methods)]
        let t0 = Instant::now();
        let mut out = Output::default();
        let mut tx = ServerTransaction::new(request("INVITE", Transport::Udp), CFG);
        assert_eq!(tx.state, ServerState::Proceeding);
        assert!(tx.respond(t0, 100, None, b"100".to_vec(), &mut out));
        tx.on_retransmission(&mut out);
        assert_eq!(out.transmits.len(), 2, "the 100 again");
        out.transmits.clear();
        assert!(tx.respond(t0, 486, Some("t".into()), b"486".to_vec(), &mut out));
        assert!(
            !tx.respond(t0, 200, None, b"200".to_vec(), &mut out),
            "already final"
        );
        out.transmits.clear();
        let sent = run(&mut tx, &mut out, t0, Duration::from_secs(31));
        assert_eq!(
            sent,
            [500, 1_500, 3_500, 7_500, 11_500, 15_500, 19_500, 23_500, 27_500]
        );
        let at = tx.poll_timeout().unwrap();
        assert_eq!(tx.handle_timeout(at, &mut out), None, "the last G");
        let at = tx.poll_timeout().unwrap();
        assert_eq!(at - t0, Duration::from_secs(32));
        assert_eq!(tx.handle_timeout(at, &mut out), Some(ServerTimeout::NoAck));
        assert_eq!(tx.state, ServerState::Terminated);
    }

    #[test]
    fn invite_server_ack_then_i() {
        #[allow(clippy::disallowed_methods)]
        let t0 = Instant::now();
        let mut out = Output::default();
        let mut tx = ServerTransaction::new(request("INVITE", Transport::Udp), CFG);
        tx.respond(t0, 404, Some("t".into()), b"404".to_vec(), &mut out);
        assert!(tx.on_ack(t0 + Duration::from_millis(100)));
        assert_eq!(tx.state, ServerState::Confirmed);
        assert!(
            tx.on_ack(t0 + Duration::from_millis(200)),
            "ACK retransmission absorbed"
        );
        assert_eq!(tx.poll_timeout(), Some(t0 + Duration::from_millis(5_100)));
        tx.handle_timeout(t0 + Duration::from_millis(5_100), &mut out);
        assert_eq!(tx.state, ServerState::Terminated);
    }

    #[test]
    fn invite_server_accepted_absorbs_and_ends_on_l() {
        #[allow(clippy::disallowed_methods)]
        let t0 = Instant::now();
        let mut out = Output::default();
        let mut tx = ServerTransaction::new(request("INVITE", Transport::Udp), CFG);
        tx.respond(t0, 200, Some("t".into()), b"200".to_vec(), &mut out);
        assert_eq!(tx.state, ServerState::Accepted);
        out.transmits.clear();
        tx.on_retransmission(&mut out);
        assert!(out.transmits.is_empty(), "RFC 6026: absorbed");
        assert!(!tx.on_ack(t0), "the 2xx ACK is the dialog's");
        assert_eq!(tx.poll_timeout(), Some(t0 + Duration::from_secs(32)));
        tx.handle_timeout(t0 + Duration::from_secs(32), &mut out);
        assert_eq!(tx.state, ServerState::Terminated);
    }

    #[test]
    fn non_invite_server_trying_absorbs_silently_then_j() {
        #[allow(clippy::disallowed_methods)]
        let t0 = Instant::now();
        let mut out = Output::default();
        let mut tx = ServerTransaction::new(request("BYE", Transport::Udp), CFG);
        assert_eq!(tx.state, ServerState::Trying);
        tx.on_retransmission(&mut out);
        assert!(out.transmits.is_empty(), "nothing to re-send yet");
        tx.respond(t0, 200, None, b"200".to_vec(), &mut out);
        tx.on_retransmission(&mut out);
        assert_eq!(out.transmits.len(), 2);
        assert_eq!(tx.poll_timeout(), Some(t0 + Duration::from_secs(32)));
        tx.handle_timeout(t0 + Duration::from_secs(32), &mut out);
        assert_eq!(tx.state, ServerState::Terminated);
    }

    #[test]
    fn tcp_has_no_g_and_zero_j() {
        #[allow(clippy::disallowed_methods)]
        let t0 = Instant::now();
        let mut out = Output::default();
        let mut tx = ServerTransaction::new(request("INVITE", Transport::Tcp), CFG);
        tx.respond(t0, 486, None, b"486".to_vec(), &mut out);
        assert_eq!(
            tx.poll_timeout(),
            Some(t0 + Duration::from_secs(32)),
            "only H"
        );
        let mut tx = ServerTransaction::new(request("OPTIONS", Transport::Tcp), CFG);
        tx.respond(t0, 200, None, b"200".to_vec(), &mut out);
        assert_eq!(tx.poll_timeout(), Some(t0));
    }
}
