//! The SIP user agent the bridge (and the test phone) is made of: a facade over the transaction
//! layer ([`crate::transaction`], RFC 3261 §17) and the dialog layer ([`crate::dialog`], §12–15),
//! sans-IO in the quinn-proto style.
//!
//! The driver feeds it every received message with [`Endpoint::handle_input`] and calls
//! [`Endpoint::handle_timeout`] when [`Endpoint::poll_timeout`] passes; after each call it drains
//! [`Endpoint::poll_transmit`] and [`Endpoint::poll_event`]. The call logic answers with
//! [`Endpoint::accept`], [`Endpoint::reject`], [`Endpoint::hangup`] and friends.
//!
//! Policy that lives here, not in the driver: 100 Trying for INVITE, 400 for what fails to parse
//! (via [`crate::message::error_response`]) and a counted drop for what cannot be answered, OPTIONS
//! → 200 with Allow/Accept/Supported, 481 for requests in unknown dialogs, 501 for unknown methods,
//! 405 for REGISTER (we are not a registrar), 416 for non-SIP Request-URI schemes, 420 for an
//! unsupported Require, 415 for a body that is not SDP, 406 for an Accept without SDP, 505 for
//! another SIP version, 482 for a merged INVITE (§8.2.2.2), CANCEL → 200 + 487 to the INVITE,
//! 491 for a re-INVITE during another, rport (RFC 3581), 2xx retransmission until the ACK (on
//! every transport, as §13.3.1.4 says), and the UAC side (INVITE, ACK, BYE, CANCEL, INFO).
//!
//! Addressing: every response goes to the source address and port of its request, on the
//! transport it came by (for TCP: the connection it came on). In-dialog requests go to the
//! address the peer's messages came from (or the address we dialed), not to a DNS resolution of
//! its Contact: the core does no DNS, and NATed room systems are reachable only there. Over TCP
//! that is the connection the call came on (connection reuse); the driver keeps it open for the
//! life of the call.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::dialog::{ids::IdGen, Call};
use crate::transaction::{ClientKey, Output, TimerConfig, TransactionKey, TransactionLayer};
use crate::{Transmit, Transport};

/// A local handle on one call (one INVITE dialog). Not the Call-ID header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallHandle(pub u64);

/// Settings of an endpoint.
#[derive(Debug, Clone)]
pub struct EndpointConfig {
    /// The address put in Via and Contact headers (the address the driver listens on, or the
    /// public address when behind NAT).
    pub local_addr: SocketAddr,
    /// `User-Agent` / `Server` header value.
    pub user_agent: String,
    /// RFC 3261 T1 (500 ms by default).
    pub t1: Duration,
    /// RFC 3261 T2 (4 s by default).
    pub t2: Duration,
    /// RFC 3261 T4 (5 s by default).
    pub t4: Duration,
    /// Seed of the generator of tags, branches and Call-IDs. The default is derived from
    /// `local_addr` only, so it repeats across restarts: the driver should set it from the OS
    /// random source.
    pub seed: u64,
}

impl EndpointConfig {
    /// Defaults of RFC 3261 for the given local address.
    pub fn new(local_addr: SocketAddr) -> Self {
        let mut seed = 0x5EED_0FB4_1D6E_0F00_u64;
        for b in local_addr.to_string().bytes() {
            seed = (seed ^ u64::from(b)).wrapping_mul(0x100_0000_01B3);
        }
        EndpointConfig {
            local_addr,
            user_agent: "Pont".to_string(),
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            seed,
        }
    }
}

/// Something the call logic must know about.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A new INVITE outside any dialog (100 Trying already sent). Answer it with `accept` or
    /// `reject`.
    IncomingCall {
        /// The handle for every later call.
        call: CallHandle,
        /// The Request-URI.
        request_uri: rsip::Uri,
        /// The From header value, as received (for logs and attendance).
        from: String,
        /// Where the INVITE came from.
        source: SocketAddr,
        /// The transport it came on.
        transport: Transport,
        /// The SDP offer, if the INVITE had a body (the SDP part of a multipart body).
        offer: Option<Vec<u8>>,
    },
    /// The ACK for our 2xx arrived: the call is up. Carries the SDP answer when our 2xx held the
    /// offer (INVITE without SDP). Also raised for the ACK of a re-INVITE's 2xx.
    CallConfirmed {
        /// The call.
        call: CallHandle,
        /// The ACK's SDP body, if any.
        answer: Option<Vec<u8>>,
    },
    /// A re-INVITE in a confirmed dialog (hold, resume, codec change; 100 Trying already sent).
    /// Answer it with `accept` (or its alias `accept_reinvite`) or `reject`.
    ReInvite {
        /// The call.
        call: CallHandle,
        /// The new offer, if the re-INVITE had a body.
        offer: Option<Vec<u8>>,
    },
    /// An INFO in the dialog (already answered 200), e.g. `application/dtmf-relay`.
    Info {
        /// The call.
        call: CallHandle,
        /// The Content-Type value.
        content_type: String,
        /// The body.
        body: Vec<u8>,
    },
    /// UAC side: a provisional response (180/183) to our INVITE.
    Progress {
        /// The call.
        call: CallHandle,
        /// Its status code.
        status: u16,
    },
    /// UAC side: our INVITE (or re-INVITE) got a 2xx (the ACK is already sent).
    Answered {
        /// The call.
        call: CallHandle,
        /// The 2xx's SDP body, if any.
        answer: Option<Vec<u8>>,
    },
    /// The call is over: BYE received (and answered), CANCEL, our BYE answered, no ACK before
    /// timer H, a final non-2xx to our INVITE, or a transaction timeout. Last event of a call.
    CallEnded {
        /// The call.
        call: CallHandle,
        /// Why.
        reason: EndReason,
    },
}

/// Why a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// The peer sent BYE.
    RemoteBye,
    /// We sent BYE (or our BYE timed out: the call is over anyway).
    LocalBye,
    /// The caller cancelled before the call was answered.
    Cancelled,
    /// We rejected the INVITE with this status, or the peer rejected ours.
    Rejected(u16),
    /// No ACK came for our 2xx before timer H (64*T1). A BYE was sent.
    AckTimeout,
    /// A transaction timed out (timer B/F), or the peer answered an in-dialog request with
    /// 408/481 (§12.2.1.2): the peer is gone.
    Timeout,
}

/// Counters for metrics. All only grow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndpointStats {
    /// Messages given to `handle_input`.
    pub messages_received: u64,
    /// Messages that failed to parse (answered statelessly or dropped).
    pub unparsable: u64,
    /// Messages dropped without an answer (unparsable and unanswerable, stray responses).
    pub dropped: u64,
    /// 400 responses sent.
    pub bad_requests_sent: u64,
    /// Other 3xx–6xx responses sent: policy answers (405, 415, 416, 420, 481, 491, 501…) and
    /// the call logic's rejects.
    pub error_responses_sent: u64,
    /// Responses that matched no client transaction nor dialog.
    pub stray_responses: u64,
    /// Requests and responses re-sent (timers A, E, G, 2xx retransmission, re-ACKs, and answers
    /// to retransmitted requests).
    pub retransmissions_sent: u64,
    /// Retransmitted requests absorbed by a server transaction.
    pub request_retransmissions_absorbed: u64,
    /// Client transactions that timed out (B, F).
    pub transaction_timeouts: u64,
    /// Calls whose 2xx was never ACKed.
    pub ack_timeouts: u64,
    /// INVITEs announced as `IncomingCall`.
    pub incoming_calls: u64,
    /// INVITEs sent by `invite`.
    pub outgoing_calls: u64,
}

/// The SIP user agent: transactions + dialogs, sans-IO.
#[derive(Debug)]
pub struct Endpoint {
    pub(crate) config: EndpointConfig,
    pub(crate) ids: IdGen,
    pub(crate) transactions: TransactionLayer,
    pub(crate) out: Output,
    pub(crate) events: VecDeque<Event>,
    pub(crate) calls: BTreeMap<CallHandle, Call>,
    /// (Call-ID, our tag) → call: in-dialog requests are found by their To tag (§12.2.2).
    pub(crate) dialogs: BTreeMap<(String, String), CallHandle>,
    /// Which call a client transaction belongs to.
    pub(crate) client_owner: BTreeMap<ClientKey, CallHandle>,
    pub(crate) next_handle: u64,
    pub(crate) stats: EndpointStats,
}

impl Endpoint {
    /// A new endpoint.
    pub fn new(config: EndpointConfig) -> Self {
        let timers = TimerConfig {
            t1: config.t1,
            t2: config.t2,
            t4: config.t4,
        };
        Endpoint {
            ids: IdGen::new(config.seed),
            transactions: TransactionLayer::new(timers),
            config,
            out: Output::default(),
            events: VecDeque::new(),
            calls: BTreeMap::new(),
            dialogs: BTreeMap::new(),
            client_owner: BTreeMap::new(),
            next_handle: 1,
            stats: EndpointStats::default(),
        }
    }

    /// Its configuration.
    pub fn config(&self) -> &EndpointConfig {
        &self.config
    }

    /// Counters for metrics.
    pub fn stats(&self) -> &EndpointStats {
        &self.stats
    }

    /// How many calls are alive.
    pub fn call_count(&self) -> usize {
        self.calls.len()
    }

    /// Feed one whole received message (a datagram, or a frame from [`crate::framing`]).
    /// `source` is the peer's address (for TCP, the connection's remote address).
    pub fn handle_input(
        &mut self,
        now: Instant,
        data: &[u8],
        source: SocketAddr,
        transport: Transport,
    ) {
        self.stats.messages_received += 1;
        match crate::message::parse(data) {
            Ok(rsip::SipMessage::Request(request)) => {
                self.handle_request(now, request, source, transport)
            }
            Ok(rsip::SipMessage::Response(response)) => self.handle_response(now, response, source),
            Err(crate::message::ParseError::Empty) => {} // CRLF keep-alive
            Err(err) => self.handle_unparsable(data, &err, source, transport),
        }
        self.sync_stats();
    }

    /// Answer an `IncomingCall` or a pending `ReInvite` with 200 OK and this SDP body (the
    /// answer, or our offer when the INVITE had none; an empty body sends no SDP). The 2xx is
    /// retransmitted (T1 doubling to T2, on every transport, §13.3.1.4) until the ACK; no ACK by
    /// 64*T1 ends the call with `AckTimeout`.
    pub fn accept(&mut self, now: Instant, call: CallHandle, sdp: Vec<u8>) {
        self.uas_accept(now, call, sdp);
        self.sync_stats();
    }

    /// Alias of [`Endpoint::accept`] for a pending `ReInvite`.
    pub fn accept_reinvite(&mut self, now: Instant, call: CallHandle, sdp: Vec<u8>) {
        self.accept(now, call, sdp);
    }

    /// Answer an `IncomingCall` or a `ReInvite` with a final non-2xx status (e.g. 404, 486, 488).
    /// Rejecting an `IncomingCall` ends the call (`CallEnded{Rejected(status)}`); rejecting a
    /// re-INVITE leaves the dialog as it was (§14.2).
    pub fn reject(&mut self, now: Instant, call: CallHandle, status: u16) {
        self.uas_reject(now, call, status);
        self.sync_stats();
    }

    /// End a call. Confirmed: BYE (`CallEnded{LocalBye}` when it is answered or times out).
    /// UAS with our 2xx not yet ACKed: the BYE is sent when the ACK arrives, or when timer H
    /// gives up on it (§15). UAS before `accept`: same as `reject(480)`. UAC before the final
    /// response: CANCEL (once a provisional response came, §9.1); a 2xx that still arrives is
    /// ACKed and BYE'd.
    pub fn hangup(&mut self, now: Instant, call: CallHandle) {
        self.do_hangup(now, call);
        self.sync_stats();
    }

    /// UAC: send an INVITE to `target` (a SIP URI string) at `destination`.
    pub fn invite(
        &mut self,
        now: Instant,
        target: &str,
        destination: SocketAddr,
        transport: Transport,
        sdp: Option<Vec<u8>>,
    ) -> CallHandle {
        let handle = self.uac_invite(now, target, destination, transport, sdp);
        self.sync_stats();
        handle
    }

    /// UAC or UAS: send a re-INVITE in a confirmed call (hold/resume); the 2xx is ACKed and
    /// reported as `Answered`; a non-2xx leaves the call as it was (no event).
    pub fn reinvite(&mut self, now: Instant, call: CallHandle, sdp: Option<Vec<u8>>) {
        self.uac_reinvite(now, call, sdp);
        self.sync_stats();
    }

    /// UAC: the SDP answer to carry in the ACK of the next 2xx to our INVITE or re-INVITE, for
    /// an INVITE sent without an offer (RFC 3264 §5 "late offer": the 2xx holds the offer).
    /// Call it after `invite(.., None)` / `reinvite(.., None)` and before the 2xx arrives.
    pub fn set_ack_answer(&mut self, call: CallHandle, sdp: Vec<u8>) {
        if let Some(c) = self.calls.get_mut(&call) {
            c.ack_answer = Some(sdp);
        }
    }

    /// Send an INFO in a confirmed call.
    pub fn send_info(&mut self, now: Instant, call: CallHandle, content_type: &str, body: Vec<u8>) {
        self.uac_info(now, call, content_type, body);
        self.sync_stats();
    }

    /// The next bytes to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.transmits.pop_front()
    }

    /// The next event for the call logic.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When `handle_timeout` must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let calls = self.calls.values().filter_map(|c| c.timers.next_timeout());
        calls.chain(self.transactions.poll_timeout()).min()
    }

    /// Fire every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        for event in self.transactions.handle_timeout(now, &mut self.out) {
            self.on_transaction_event(now, event);
        }
        let due: Vec<CallHandle> = self
            .calls
            .values()
            .filter(|c| c.timers.next_timeout().is_some_and(|at| at <= now))
            .map(|c| c.handle)
            .collect();
        for handle in due {
            self.on_call_timeout(now, handle);
        }
        self.sync_stats();
    }

    fn sync_stats(&mut self) {
        let t = self.out.stats;
        self.stats.retransmissions_sent = t.retransmissions_sent;
        self.stats.request_retransmissions_absorbed = t.request_retransmissions_absorbed;
        self.stats.transaction_timeouts = t.transaction_timeouts;
    }

    /// A new handle.
    pub(crate) fn new_handle(&mut self) -> CallHandle {
        let h = CallHandle(self.next_handle);
        self.next_handle += 1;
        h
    }

    /// Queue bytes for the driver.
    pub(crate) fn send(&mut self, transport: Transport, destination: SocketAddr, payload: Vec<u8>) {
        self.out.transmits.push_back(Transmit {
            transport,
            destination,
            payload,
        });
    }

    /// Count a response we send by policy.
    pub(crate) fn count_status(&mut self, status: u16) {
        if status == 400 {
            self.stats.bad_requests_sent += 1;
        } else if status >= 300 {
            self.stats.error_responses_sent += 1;
        }
    }

    /// Forget a call and its dialog entry.
    pub(crate) fn remove_call(&mut self, handle: CallHandle) -> Option<Call> {
        let call = self.calls.remove(&handle)?;
        self.dialogs
            .remove(&(call.call_id.clone(), call.local_tag.clone()));
        self.client_owner.retain(|_, h| *h != handle);
        Some(call)
    }

    /// End a call with an event.
    /// A (re-)INVITE still waiting for `accept`/`reject` gets 487 first (§15.1.2), so that its
    /// server transaction can finish instead of waiting for an answer that will never come.
    pub(crate) fn end_call(&mut self, now: Instant, handle: CallHandle, reason: EndReason) {
        if let Some(key) = self.pending_invite(handle) {
            let tag = self.calls.get(&handle).map(|c| c.local_tag.clone());
            self.respond(now, &key, 487, tag, &[], b"");
        }
        if self.remove_call(handle).is_some() {
            self.events.push_back(Event::CallEnded {
                call: handle,
                reason,
            });
        }
    }

    /// The server transaction key of a call's pending INVITE or re-INVITE.
    pub(crate) fn pending_invite(&self, handle: CallHandle) -> Option<TransactionKey> {
        let call = self.calls.get(&handle)?;
        call.reinvite_tx.clone().or_else(|| call.invite_tx.clone())
    }

    /// A request that failed to parse: answer it statelessly when possible (§8.2: 400, 505, or
    /// 501 with Allow for an extension method; 416 when the Request-URI has a foreign scheme),
    /// else drop it. Both are counted.
    fn handle_unparsable(
        &mut self,
        data: &[u8],
        err: &crate::message::ParseError,
        source: SocketAddr,
        transport: Transport,
    ) {
        self.stats.unparsable += 1;
        let Some(response) = crate::message::error_response(data, err) else {
            self.stats.dropped += 1;
            return;
        };
        let mut status = response.status_code.code();
        let mut headers = crate::transaction::headers::pairs(&response.headers);
        if status == 400 && foreign_scheme(data) {
            status = 416;
        }
        if matches!(status, 405 | 501)
            && !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("allow"))
        {
            headers.push(("Allow".into(), crate::dialog::ALLOW.into()));
        }
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case("content-length"));
        // Keep the parser's explanatory reason phrase ("Bad Request - Missing Call-ID"); rsip
        // prints known codes with its variant names, so those get our standard phrase.
        let bytes = match &response.status_code {
            rsip::StatusCode::Other(code, reason) if *code == status && !reason.is_empty() => {
                let start = format!("SIP/2.0 {code} {reason}");
                crate::transaction::headers::serialize(&start, &headers, &response.body)
            }
            _ => crate::transaction::headers::serialize_response(status, &headers, &response.body),
        };
        self.count_status(status);
        self.send(transport, source, bytes);
    }
}

/// Whether the Request-Line of unparsable bytes names a URI scheme other than sip/sips (§8.2.2.1
/// wants 416 for it even when our parser could not represent the URI).
fn foreign_scheme(data: &[u8]) -> bool {
    let line_end = data.iter().position(|&b| b == b'\r' || b == b'\n');
    let line = String::from_utf8_lossy(&data[..line_end.unwrap_or(data.len())]);
    let mut parts = line.split(' ');
    let (Some(_method), Some(uri), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    if !version.eq_ignore_ascii_case("SIP/2.0") {
        return false;
    }
    let Some((scheme, _)) = uri.split_once(':') else {
        return false;
    };
    let valid = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    valid && !crate::dialog::policy::sip_scheme(uri)
}
