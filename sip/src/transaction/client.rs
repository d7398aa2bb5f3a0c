//! Client transactions: RFC 3261 §17.1.1 INVITE client (timers A, B, D; the ACK of a non-2xx is
//! built here, §17.1.1.3; RFC 6026 Accepted state with timer M) and §17.1.2 non-INVITE client
//! (timers E, F, K).

use std::time::{Duration, Instant};

use super::{headers, Output, TimerConfig};
use crate::timer::{Timer, TimerTable};
use crate::Transmit;

/// How long an INVITE client transaction waits for a final response once a provisional one
/// arrived (3 minutes, the minimum of a proxy's timer C, RFC 3261 §16.6).
pub const PROCEEDING_GUARD: Duration = Duration::from_secs(180);

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
                    // §17.1.1.2: a provisional response stops retransmissions, and timer B only
                    // matters in Calling. We keep B as a guard of PROCEEDING_GUARD instead,
                    // re-armed by each provisional like a proxy's timer C (§16.6): a peer that
                    // sends 100 and then nothing must not hold the call forever.
                    self.timers.stop(Timer::A);
                    self.timers.set(Timer::B, now + PROCEEDING_GUARD);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Transport;

    const CFG: TimerConfig = TimerConfig {
        t1: Duration::from_millis(500),
        t2: Duration::from_secs(4),
        t4: Duration::from_secs(5),
    };

    fn template() -> AckTemplate {
        AckTemplate {
            uri: "sip:conf@192.0.2.10".into(),
            via: "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKc1;rport".into(),
            from: "<sip:a@192.0.2.1>;tag=1".into(),
            call_id: "c@192.0.2.1".into(),
            cseq: 7,
            routes: vec!["<sip:proxy;lr>".into()],
            extra: vec![("Max-Forwards".into(), "70".into())],
        }
    }

    fn start(
        invite: bool,
        transport: Transport,
        t0: Instant,
        out: &mut Output,
    ) -> ClientTransaction {
        ClientTransaction::start(
            t0,
            b"REQUEST".to_vec(),
            invite.then(template),
            transport,
            "192.0.2.10:5060".parse().unwrap(),
            CFG,
            out,
        )
    }

    fn run(
        tx: &mut ClientTransaction,
        out: &mut Output,
        t0: Instant,
        until: Duration,
    ) -> (Vec<u128>, bool) {
        let mut sent = Vec::new();
        let mut timed_out = false;
        while let Some(at) = tx.poll_timeout().filter(|&at| at <= t0 + until) {
            timed_out |= tx.handle_timeout(at, out);
            while out.transmits.pop_front().is_some() {
                sent.push((at - t0).as_millis());
            }
        }
        (sent, timed_out)
    }

    #[test]
    fn invite_client_a_doubles_uncapped_then_b() {
        #[allow(clippy::disallowed_methods)]
        let t0 = Instant::now();
        let mut out = Output::default();
        let mut tx = start(true, Transport::Udp, t0, &mut out);
        out.transmits.clear();
        let (sent, timed_out) = run(&mut tx, &mut out, t0, Duration::from_secs(40));
        assert_eq!(sent, [500, 1_500, 3_500, 7_500, 15_500, 31_500]);
        assert!(timed_out);
        assert_eq!(tx.state, ClientState::Terminated);
    }

    #[test]
    fn invite_client_builds_the_ack_of_a_non_2xx() {
        #[allow(clippy::disallowed_methods)]
        let t0 = Instant::now();
        let mut out = Output::default();
        let mut tx = start(true, Transport::Udp, t0, &mut out);
        out.transmits.clear();
        let to = "<sip:conf@192.0.2.10>;tag=x";
        assert_eq!(tx.on_response(t0, 503, to, &mut out), ClientVerdict::Pass);
        let ack = String::from_utf8(out.transmits.pop_front().unwrap().payload).unwrap();
        assert_eq!(
            ack,
            "ACK sip:conf@192.0.2.10 SIP/2.0\r\n\
             Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKc1;rport\r\n\
             Route: <sip:proxy;lr>\r\n\
             From: <sip:a@192.0.2.1>;tag=1\r\n\
             To: <sip:conf@192.0.2.10>;tag=x\r\n\
             Call-ID: c@192.0.2.1\r\n\
             CSeq: 7 ACK\r\n\
             Max-Forwards: 70\r\n\
             Content-Length: 0\r\n\r\n"
        );
        assert_eq!(tx.on_response(t0, 503, to, &mut out), ClientVerdict::Absorb);
        assert_eq!(out.transmits.len(), 1, "the ACK again");
        assert_eq!(
            tx.poll_timeout(),
            Some(t0 + Duration::from_secs(32)),
            "timer D"
        );
    }

    #[test]
    fn invite_client_accepted_passes_2xx_retransmissions_until_m() {
        #[allow(clippy::disallowed_methods)]
        let t0 = Instant::now();
        let mut out = Output::default();
        let mut tx = start(true, Transport::Udp, t0, &mut out);
        assert_eq!(tx.on_response(t0, 200, "t", &mut out), ClientVerdict::Pass);
        assert_eq!(tx.state, ClientState::Accepted);
        assert_eq!(tx.on_response(t0, 200, "t", &mut out), ClientVerdict::Pass);
        assert_eq!(
            tx.on_response(t0, 180, "t", &mut out),
            ClientVerdict::Absorb
        );
        assert_eq!(tx.poll_timeout(), Some(t0 + Duration::from_secs(32)));
    }

    #[test]
    fn non_invite_client_e_capped_at_t2_then_f() {
        #[allow(clippy::disallowed_methods)]
        let t0 = Instant::now();
        let mut out = Output::default();
        let mut tx = start(false, Transport::Udp, t0, &mut out);
        out.transmits.clear();
        let (sent, timed_out) = run(&mut tx, &mut out, t0, Duration::from_secs(40));
        assert_eq!(
            sent,
            [500, 1_500, 3_500, 7_500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500]
        );
        assert!(timed_out);
    }

    #[test]
    fn non_invite_client_proceeding_uses_t2_then_k() {
        #[allow(clippy::disallowed_methods)]
        let t0 = Instant::now();
        let mut out = Output::default();
        let mut tx = start(false, Transport::Udp, t0, &mut out);
        out.transmits.clear();
        tx.on_response(t0 + Duration::from_millis(100), 100, "t", &mut out);
        assert_eq!(tx.poll_timeout(), Some(t0 + Duration::from_millis(4_100)));
        tx.on_response(t0 + Duration::from_millis(200), 200, "t", &mut out);
        assert_eq!(tx.state, ClientState::Completed);
        assert_eq!(
            tx.on_response(t0, 200, "t", &mut out),
            ClientVerdict::Absorb
        );
        assert_eq!(
            tx.poll_timeout(),
            Some(t0 + Duration::from_millis(5_200)),
            "K = T4"
        );
    }

    #[test]
    fn invite_client_proceeding_is_guarded() {
        #[allow(clippy::disallowed_methods)]
        let t0 = Instant::now();
        let mut out = Output::default();
        let mut tx = start(true, Transport::Udp, t0, &mut out);
        out.transmits.clear();
        tx.on_response(t0 + Duration::from_secs(1), 180, "t", &mut out);
        assert_eq!(tx.poll_timeout(), Some(t0 + Duration::from_secs(181)));
        let (sent, timed_out) = run(&mut tx, &mut out, t0, Duration::from_secs(200));
        assert!(sent.is_empty());
        assert!(timed_out);
    }

    #[test]
    fn tcp_has_no_a_nor_e() {
        #[allow(clippy::disallowed_methods)]
        let t0 = Instant::now();
        let mut out = Output::default();
        let tx = start(true, Transport::Tcp, t0, &mut out);
        assert_eq!(
            tx.poll_timeout(),
            Some(t0 + Duration::from_secs(32)),
            "only B"
        );
        let tx = start(false, Transport::Tcp, t0, &mut out);
        assert_eq!(
            tx.poll_timeout(),
            Some(t0 + Duration::from_secs(32)),
            "only F"
        );
    }
}
