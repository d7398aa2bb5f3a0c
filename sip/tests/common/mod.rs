//! Test harness: a fake clock, helpers to read wire bytes, and a quinn-style `Pair` of a UAC and
//! a UAS `Endpoint` exchanging transmits with a latency and optional loss.
#![allow(dead_code, clippy::disallowed_methods)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sip::{Endpoint, EndpointConfig, Event, Transmit, Transport};

/// The anchor of the fake clock (read once; tests then only add durations).
pub fn t0() -> Instant {
    Instant::now()
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub const BRIDGE: &str = "192.0.2.10:5060";
pub const PHONE: &str = "198.51.100.7:5062";

pub fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

pub fn endpoint(local: &str, seed: u64) -> Endpoint {
    let mut cfg = EndpointConfig::new(addr(local));
    cfg.seed = seed;
    Endpoint::new(cfg)
}

pub fn bridge() -> Endpoint {
    endpoint(BRIDGE, 1)
}

pub fn transmits(ep: &mut Endpoint) -> Vec<Transmit> {
    std::iter::from_fn(|| ep.poll_transmit()).collect()
}

pub fn events(ep: &mut Endpoint) -> Vec<Event> {
    std::iter::from_fn(|| ep.poll_event()).collect()
}

/// The status code of a response, `None` for a request.
pub fn status(bytes: &[u8]) -> Option<u16> {
    let text = String::from_utf8_lossy(bytes);
    let line = text.lines().next()?;
    let rest = line.strip_prefix("SIP/2.0 ")?;
    rest.get(..3)?.parse().ok()
}

/// The statuses of responses among transmits (requests skipped).
pub fn statuses(ts: &[Transmit]) -> Vec<u16> {
    ts.iter().filter_map(|t| status(&t.payload)).collect()
}

/// The method of a request, `None` for a response.
pub fn method(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let line = text.lines().next()?;
    if line.starts_with("SIP/2.0") {
        return None;
    }
    line.split(' ').next().map(str::to_string)
}

/// The first value of a header (full name, case-insensitive).
pub fn header(bytes: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let head = text.split("\r\n\r\n").next().unwrap_or("");
    head.lines().skip(1).find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_string())
    })
}

pub fn body(bytes: &[u8]) -> Vec<u8> {
    let pos = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    bytes[pos + 4..].to_vec()
}

/// Feed wire text (with `\n` line ends, turned into CRLF) to an endpoint.
pub fn feed(ep: &mut Endpoint, now: Instant, text: &str, from: &str, transport: Transport) {
    ep.handle_input(now, &crlf(text), addr(from), transport);
}

pub fn crlf(text: &str) -> Vec<u8> {
    text.replace("\r\n", "\n")
        .replace('\n', "\r\n")
        .into_bytes()
}

pub const SDP_OFFER: &str = "v=0\r\no=- 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
pub const SDP_ANSWER: &str = "v=0\r\no=- 2 2 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n";

/// A literal INVITE from the phone, UDP, with an SDP offer.
pub fn invite_text(branch: &str, call_id: &str) -> String {
    format!(
        "INVITE sip:721051@192.0.2.10 SIP/2.0\n\
Via: SIP/2.0/UDP 198.51.100.7:5062;branch={branch};rport\n\
Max-Forwards: 70\n\
From: \"Room\" <sip:room@198.51.100.7>;tag=ph1\n\
To: <sip:721051@192.0.2.10>\n\
Call-ID: {call_id}\n\
CSeq: 1 INVITE\n\
Contact: <sip:room@198.51.100.7:5062>\n\
Content-Type: application/sdp\n\
Content-Length: {}\n\
\n",
        SDP_OFFER.len()
    ) + &SDP_OFFER.replace("\r\n", "\n")
}

/// Decides whether to drop a packet (`true` = sent by the UAC).
pub type DropFn = Box<dyn FnMut(bool, &Transmit) -> bool>;

/// One UAC and one UAS endpoint and the network between them.
pub struct Pair {
    pub uac: Endpoint,
    pub uas: Endpoint,
    pub now: Instant,
    pub latency: Duration,
    /// Return `true` to drop a packet (sent by the UAC when the flag is true).
    pub drop: DropFn,
    in_flight: Vec<(Instant, bool, Transmit)>,
    pub uac_events: Vec<Event>,
    pub uas_events: Vec<Event>,
    /// Every packet sent: (time, from_uac, transmit).
    pub log: Vec<(Instant, bool, Transmit)>,
}

impl Pair {
    pub fn new() -> Pair {
        Pair {
            uac: endpoint(PHONE, 99),
            uas: bridge(),
            now: t0(),
            latency: ms(10),
            drop: Box::new(|_, _| false),
            in_flight: Vec::new(),
            uac_events: Vec::new(),
            uas_events: Vec::new(),
            log: Vec::new(),
        }
    }

    fn collect(&mut self) {
        for (from_uac, ep) in [(true, &mut self.uac), (false, &mut self.uas)] {
            while let Some(t) = ep.poll_transmit() {
                self.log.push((self.now, from_uac, t.clone()));
                if !(self.drop)(from_uac, &t) {
                    self.in_flight.push((self.now + self.latency, from_uac, t));
                }
            }
        }
        self.uac_events.extend(events(&mut self.uac));
        self.uas_events.extend(events(&mut self.uas));
    }

    /// Advance to the next delivery or timeout and process it. `false` when idle.
    pub fn step(&mut self) -> bool {
        self.collect();
        let next_packet = self.in_flight.iter().map(|(at, _, _)| *at).min();
        let next = [
            next_packet,
            self.uac.poll_timeout(),
            self.uas.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next else { return false };
        self.now = self.now.max(next);
        let now = self.now;
        let (due, rest): (Vec<_>, Vec<_>) =
            self.in_flight.drain(..).partition(|(at, _, _)| *at <= now);
        self.in_flight = rest;
        for (_, from_uac, t) in due {
            let (ep, src) = if from_uac {
                (&mut self.uas, addr(PHONE))
            } else {
                (&mut self.uac, addr(BRIDGE))
            };
            ep.handle_input(now, &t.payload, src, t.transport);
        }
        if self.uac.poll_timeout().is_some_and(|t| t <= now) {
            self.uac.handle_timeout(now);
        }
        if self.uas.poll_timeout().is_some_and(|t| t <= now) {
            self.uas.handle_timeout(now);
        }
        self.collect();
        true
    }

    /// Step until `until` (or idle).
    pub fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        while self.next_wakeup().is_some_and(|t| t <= end) {
            self.step();
        }
        self.now = self.now.max(end);
    }

    pub fn next_wakeup(&mut self) -> Option<Instant> {
        self.collect();
        let next_packet = self.in_flight.iter().map(|(at, _, _)| *at).min();
        [
            next_packet,
            self.uac.poll_timeout(),
            self.uas.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Step until nothing is pending (bounded).
    pub fn run_idle(&mut self) {
        for _ in 0..10_000 {
            if !self.step() {
                return;
            }
        }
        panic!("the pair never went idle");
    }

    pub fn take_uac_events(&mut self) -> Vec<Event> {
        self.collect();
        std::mem::take(&mut self.uac_events)
    }

    pub fn take_uas_events(&mut self) -> Vec<Event> {
        self.collect();
        std::mem::take(&mut self.uas_events)
    }

    /// Methods/statuses sent, as strings like "INVITE" or "200", in order.
    pub fn wire(&self) -> Vec<(bool, String)> {
        self.log
            .iter()
            .map(|(_, u, t)| {
                let label = method(&t.payload)
                    .unwrap_or_else(|| status(&t.payload).unwrap_or(0).to_string());
                (*u, label)
            })
            .collect()
    }
}

/// Fire every timer of `ep` up to `until`; returns each transmit with when it was sent.
pub fn advance(ep: &mut Endpoint, until: Instant) -> Vec<(Instant, Transmit)> {
    let mut out = Vec::new();
    while let Some(at) = ep.poll_timeout().filter(|&at| at <= until) {
        ep.handle_timeout(at);
        out.extend(transmits(ep).into_iter().map(|t| (at, t)));
    }
    out
}

/// Offsets from `start` in milliseconds.
pub fn offsets(start: Instant, sent: &[(Instant, Transmit)]) -> Vec<u64> {
    sent.iter()
        .map(|(at, _)| at.duration_since(start).as_millis() as u64)
        .collect()
}

/// An ACK for the 2xx `response` (echoing its To tag), from the phone.
pub fn ack_for(response: &[u8], branch: &str) -> String {
    format!(
        "ACK sip:pont@192.0.2.10 SIP/2.0\n\
Via: SIP/2.0/UDP 198.51.100.7:5062;branch={branch}\n\
Max-Forwards: 70\n\
From: {}\n\
To: {}\n\
Call-ID: {}\n\
CSeq: {} ACK\n\
Content-Length: 0\n\n",
        header(response, "From").unwrap(),
        header(response, "To").unwrap(),
        header(response, "Call-ID").unwrap(),
        header(response, "CSeq").unwrap().split(' ').next().unwrap(),
    )
}

/// A bridge that received `invite_text(branch, call_id)` at `now`; returns the call handle.
pub fn incoming(ep: &mut Endpoint, now: Instant, branch: &str, call_id: &str) -> sip::CallHandle {
    feed(
        ep,
        now,
        &invite_text(branch, call_id),
        PHONE,
        Transport::Udp,
    );
    events(ep)
        .into_iter()
        .find_map(|e| match e {
            Event::IncomingCall { call, .. } => Some(call),
            _ => None,
        })
        .expect("IncomingCall")
}

/// A response to one of our requests, as the bridge side would write it.
pub fn response_to(
    request: &[u8],
    code: u16,
    to_tag: Option<&str>,
    extra: &str,
    body: &str,
) -> String {
    let mut to = header(request, "To").unwrap();
    if let Some(tag) = to_tag {
        to = format!("{to};tag={tag}");
    }
    format!(
        "SIP/2.0 {code} Whatever\n\
Via: {}\n\
From: {}\n\
To: {to}\n\
Call-ID: {}\n\
CSeq: {}\n\
{extra}Content-Length: {}\n\n{body}",
        header(request, "Via").unwrap(),
        header(request, "From").unwrap(),
        header(request, "Call-ID").unwrap(),
        header(request, "CSeq").unwrap(),
        body.len()
    )
}

/// The branch of a message's top Via.
pub fn branch(msg: &[u8]) -> String {
    let via = header(msg, "Via").unwrap();
    via.split(';')
        .find_map(|p| p.strip_prefix("branch="))
        .unwrap()
        .to_string()
}
