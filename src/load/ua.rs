//! The SIP side of the load generator: one thread, one UDP socket on loopback and one
//! [`sip::Endpoint`] (UAC) for every call. INVITEs are paced at the setup rate; the endpoint does
//! the ACK and the timer A retransmissions; an answered call's RTP target goes to its sender
//! thread. At the end every answered call is hung up (BYEs paced too) and the 200s counted.

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sip::sdp::{self, SessionDescription};
use sip::{CallHandle, Endpoint, EndpointConfig, Event, Transport};

use super::send::SendCmd;
use super::Shared;

/// A call not answered this long after its INVITE is counted as failed (and cancelled).
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the hang-up phase may last after its last BYE before the thread gives up.
const TEARDOWN_GRACE: Duration = Duration::from_secs(5);

/// One call to place.
#[derive(Debug)]
pub struct CallPlan {
    /// Global leg index.
    pub leg: usize,
    /// Request-URI, `sip:NUMBER**CODE@bridge`.
    pub uri: String,
    /// Our SDP offer.
    pub offer: SessionDescription,
    /// Which sender thread sends its media.
    pub sender: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Inviting(Instant),
    Answered,
    Failed,
    Ended,
}

/// Run the SIP thread until every call is over after `shared.hangup`.
pub fn run(
    socket: UdpSocket,
    bridge: SocketAddr,
    plans: Vec<CallPlan>,
    rate: f64,
    senders: Vec<crossbeam_channel::Sender<SendCmd>>,
    shared: Arc<Shared>,
) {
    let local = socket.local_addr().unwrap_or(bridge);
    let mut config = EndpointConfig::new(local);
    config.user_agent = "pont-load".into();
    config.seed = rand::random();
    let mut ep = Endpoint::new(config);
    let mut state = vec![State::Waiting; plans.len()];
    let mut handles: Vec<Option<CallHandle>> = vec![None; plans.len()];
    let mut by_handle: HashMap<CallHandle, usize> = HashMap::with_capacity(plans.len());
    let mut buf = vec![0u8; 65_535];
    let start = Instant::now();
    let mut next = 0usize;
    let mut hangup_started: Option<Instant> = None;
    let mut bye_next = 0usize;
    let mut last_scan = start;
    let due = |from: Instant, i: usize| from + Duration::from_secs_f64(i as f64 / rate);
    let fail = |shared: &Shared, why: String| {
        shared.failed.fetch_add(1, Ordering::Relaxed);
        let mut f = shared.failures.lock().unwrap_or_else(|p| p.into_inner());
        if f.len() < 10 {
            f.push(why);
        }
    };
    loop {
        let now = Instant::now();
        let hanging_up = shared.hangup.load(Ordering::Relaxed);
        if !hanging_up {
            while next < plans.len() && now >= due(start, next) {
                let plan = &plans[next];
                let h = ep.invite(
                    now,
                    &plan.uri,
                    bridge,
                    Transport::Udp,
                    Some(plan.offer.to_bytes()),
                );
                by_handle.insert(h, next);
                handles[next] = Some(h);
                state[next] = State::Inviting(now);
                next += 1;
            }
        }
        if now - last_scan >= Duration::from_millis(100) {
            last_scan = now;
            for i in 0..next {
                if let State::Inviting(since) = state[i] {
                    if now - since > ANSWER_TIMEOUT {
                        state[i] = State::Failed;
                        fail(&shared, format!("leg {i}: no answer in {ANSWER_TIMEOUT:?}"));
                        if let Some(h) = handles[i] {
                            ep.hangup(now, h);
                        }
                    }
                }
            }
        }
        if hanging_up && hangup_started.is_none() {
            hangup_started = Some(now);
        }
        if let Some(hs) = hangup_started {
            // BYEs go four times as fast as INVITEs came.
            while bye_next < next && now >= due(hs, bye_next / 4) {
                let i = bye_next;
                bye_next += 1;
                match state[i] {
                    State::Answered => {
                        let _ = senders[plans[i].sender].send(SendCmd::Stop { leg: plans[i].leg });
                        shared.byes_sent.fetch_add(1, Ordering::Relaxed);
                    }
                    State::Inviting(_) => {}
                    _ => continue,
                }
                if let Some(h) = handles[i] {
                    ep.hangup(now, h);
                }
            }
            let last_bye = due(hs, next / 4);
            if bye_next >= next && (ep.call_count() == 0 || now > last_bye + TEARDOWN_GRACE) {
                break;
            }
        }
        flush(&mut ep, &socket);

        let mut wake = now + Duration::from_millis(20);
        if let Some(t) = ep.poll_timeout() {
            wake = wake.min(t);
        }
        if !hanging_up && next < plans.len() {
            wake = wake.min(due(start, next));
        }
        let wait = wake
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1));
        let _ = socket.set_read_timeout(Some(wait));
        if let Ok((n, source)) = socket.recv_from(&mut buf) {
            let data = &buf[..n];
            if hangup_started.is_some() && is_bye_ok(data) {
                shared.bye_ok.fetch_add(1, Ordering::Relaxed);
            }
            ep.handle_input(Instant::now(), data, source, Transport::Udp);
        }
        let now = Instant::now();
        if ep.poll_timeout().is_some_and(|t| t <= now) {
            ep.handle_timeout(now);
        }
        flush(&mut ep, &socket);
        while let Some(event) = ep.poll_event() {
            match event {
                Event::Answered { call, answer } => {
                    let Some(&i) = by_handle.get(&call) else {
                        continue;
                    };
                    if !matches!(state[i], State::Inviting(_)) {
                        continue;
                    }
                    let negotiated = answer
                        .ok_or(sdp::SdpError::NoAudio)
                        .and_then(|a| SessionDescription::parse(&a))
                        .and_then(|a| sdp::negotiate_answer(&plans[i].offer, &a));
                    match negotiated {
                        Ok(n) => match n.remote_rtp {
                            Some(remote) => {
                                state[i] = State::Answered;
                                shared.answered.fetch_add(1, Ordering::Relaxed);
                                let _ = senders[plans[i].sender].send(SendCmd::Start {
                                    leg: plans[i].leg,
                                    remote,
                                    pt: n.payload_type,
                                });
                            }
                            None => {
                                state[i] = State::Failed;
                                fail(&shared, format!("leg {i}: answer without RTP address"));
                                ep.hangup(Instant::now(), call);
                            }
                        },
                        Err(e) => {
                            state[i] = State::Failed;
                            fail(&shared, format!("leg {i}: unusable SDP answer: {e}"));
                            ep.hangup(Instant::now(), call);
                        }
                    }
                }
                Event::CallEnded { call, reason } => {
                    let Some(&i) = by_handle.get(&call) else {
                        continue;
                    };
                    match state[i] {
                        State::Inviting(_) => {
                            state[i] = State::Failed;
                            fail(&shared, format!("leg {i}: {reason:?}"));
                        }
                        State::Answered => {
                            state[i] = State::Ended;
                            if hangup_started.is_none() || i >= bye_next {
                                // The bridge hung up on us.
                                shared.remote_ended.fetch_add(1, Ordering::Relaxed);
                                let _ = senders[plans[i].sender]
                                    .send(SendCmd::Stop { leg: plans[i].leg });
                            }
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
    }
}

fn flush(ep: &mut Endpoint, socket: &UdpSocket) {
    while let Some(t) = ep.poll_transmit() {
        let _ = socket.send_to(&t.payload, t.destination);
    }
}

/// Whether a datagram is a 200 response to a BYE.
fn is_bye_ok(data: &[u8]) -> bool {
    data.starts_with(b"SIP/2.0 200")
        && String::from_utf8_lossy(data).lines().any(|l| {
            let l = l.to_ascii_lowercase();
            l.starts_with("cseq:") && l.contains("bye")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bye_ok_is_told_from_other_200s() {
        assert!(is_bye_ok(b"SIP/2.0 200 OK\r\nCSeq: 2 BYE\r\n\r\n"));
        assert!(is_bye_ok(b"SIP/2.0 200 OK\r\ncseq: 2 bye\r\n\r\n"));
        assert!(!is_bye_ok(b"SIP/2.0 200 OK\r\nCSeq: 1 INVITE\r\n\r\n"));
        assert!(!is_bye_ok(b"SIP/2.0 481 No\r\nCSeq: 2 BYE\r\n\r\n"));
    }
}
