//! The SIP user agent the bridge (and the test phone) is made of: a facade over the transaction
//! layer ([`crate::transaction`]) and the dialog layer ([`crate::dialog`]).
//!
//! CONTRACT (skeleton, to be completed). The driver feeds it every received message with
//! [`Endpoint::handle_input`] and calls [`Endpoint::handle_timeout`] when [`Endpoint::poll_timeout`]
//! passes; after each call it drains [`Endpoint::poll_transmit`] and [`Endpoint::poll_event`]. The
//! call logic (one task per call in the driver) answers with [`Endpoint::accept`],
//! [`Endpoint::reject`], [`Endpoint::hangup`] and friends.
//!
//! Policy that lives here, not in the driver: 100 Trying for INVITE, 400 for what fails to parse
//! (via [`crate::message::error_response`]) and a counted drop for what cannot be answered, OPTIONS
//! → 200 with Allow/Accept/Supported, 481 for requests in unknown dialogs, 501 for unknown methods,
//! 416 for non-SIP Request-URI schemes, 420 for an unsupported Require, 415 for a body that is not
//! SDP, 505 for another SIP version, CANCEL → 200 + 487 to the INVITE, rport (RFC 3581), responses
//! sent to the source address, 2xx retransmission until ACK, and the UAC side (INVITE, ACK, BYE)
//! that the scripted test phone uses.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

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
}

impl EndpointConfig {
    /// Defaults of RFC 3261 for the given local address.
    pub fn new(local_addr: SocketAddr) -> Self {
        EndpointConfig {
            local_addr,
            user_agent: "Pont".to_string(),
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
        }
    }
}

/// Something the call logic must know about.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A new INVITE outside any dialog. Answer it with `accept` or `reject`.
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
        /// The SDP offer, if the INVITE had a body.
        offer: Option<Vec<u8>>,
    },
    /// The ACK for our 2xx arrived: the call is up. Carries the SDP answer when our 2xx held the
    /// offer (INVITE without SDP).
    CallConfirmed {
        /// The call.
        call: CallHandle,
        /// The ACK's SDP body, if any.
        answer: Option<Vec<u8>>,
    },
    /// A re-INVITE in a confirmed dialog (hold, resume, codec change). Answer it with
    /// `accept_reinvite` or `reject`.
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
    /// UAC side: our INVITE got a 2xx (the ACK is already sent).
    Answered {
        /// The call.
        call: CallHandle,
        /// The 2xx's SDP body, if any.
        answer: Option<Vec<u8>>,
    },
    /// The call is over: BYE received (and answered), CANCEL, our BYE answered, no ACK before
    /// timer H, a final non-2xx to our INVITE, or a transaction timeout.
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
    /// No ACK came for our 2xx before timer H (64*T1).
    AckTimeout,
    /// A transaction timed out (timer B/F): the peer is gone.
    Timeout,
}

/// The SIP user agent: transactions + dialogs, sans-IO.
#[derive(Debug)]
pub struct Endpoint {
    config: EndpointConfig,
}

impl Endpoint {
    /// A new endpoint.
    pub fn new(config: EndpointConfig) -> Self {
        Endpoint { config }
    }

    /// Its configuration.
    pub fn config(&self) -> &EndpointConfig {
        &self.config
    }

    /// Feed one whole received message (a datagram, or a frame from [`crate::framing`]).
    pub fn handle_input(
        &mut self,
        _now: Instant,
        _data: &[u8],
        _source: SocketAddr,
        _transport: Transport,
    ) {
        todo!()
    }

    /// Answer an `IncomingCall` (or a `ReInvite`) with 200 OK and this SDP body (the answer, or
    /// our offer when the INVITE had none).
    pub fn accept(&mut self, _now: Instant, _call: CallHandle, _sdp: Vec<u8>) {
        todo!()
    }

    /// Answer an `IncomingCall` or a `ReInvite` with a final non-2xx status (e.g. 404, 486, 488).
    pub fn reject(&mut self, _now: Instant, _call: CallHandle, _status: u16) {
        todo!()
    }

    /// End a call: BYE when confirmed (a 2xx not yet ACKed is ACK-waited then BYE'd), CANCEL for
    /// our own unanswered INVITE.
    pub fn hangup(&mut self, _now: Instant, _call: CallHandle) {
        todo!()
    }

    /// UAC: send an INVITE to `target` (a SIP URI string) at `destination`.
    pub fn invite(
        &mut self,
        _now: Instant,
        _target: &str,
        _destination: SocketAddr,
        _transport: Transport,
        _sdp: Option<Vec<u8>>,
    ) -> CallHandle {
        todo!()
    }

    /// UAC: send an INFO in a confirmed call.
    pub fn send_info(
        &mut self,
        _now: Instant,
        _call: CallHandle,
        _content_type: &str,
        _body: Vec<u8>,
    ) {
        todo!()
    }

    /// The next bytes to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        todo!()
    }

    /// The next event for the call logic.
    pub fn poll_event(&mut self) -> Option<Event> {
        todo!()
    }

    /// When `handle_timeout` must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        todo!()
    }

    /// Fire every timer due at `now`.
    pub fn handle_timeout(&mut self, _now: Instant) {
        todo!()
    }
}
