//! RFC 3261 §12 dialogs and the user-agent cores of §13–15 (sans-IO).
//!
//! A [`Call`] is one INVITE dialog, seen from the UAS side (the bridge answering a room system)
//! or the UAC side (the scripted test phone, or a cascade leg). It holds the dialog state of
//! §12.1 (Call-ID, tags, CSeq numbers, remote target, route set) and the timers of §13.3.1.4
//! (2xx retransmission until the ACK, give-up at 64*T1).
//!
//! The handling of incoming requests lives in [`uas`] (INVITE, ACK, BYE, CANCEL, re-INVITE,
//! INFO, OPTIONS and the §8.2 checks in [`policy`]); the requests we originate in [`uac`]. Both
//! are `impl` blocks of [`crate::Endpoint`], which owns the calls and the transaction layer.

pub mod ids;
pub mod policy;
pub mod uac;
pub mod uas;

use std::net::SocketAddr;
use std::time::Duration;

use crate::endpoint::CallHandle;
use crate::timer::TimerTable;
use crate::transaction::{headers, ClientKey, Incoming, TransactionKey};
use crate::Transport;

/// Which side of the INVITE we are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// We answered the INVITE.
    Uas,
    /// We sent the INVITE.
    Uac,
}

/// Where a call is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallState {
    /// UAS: the INVITE was announced; waiting for `accept` or `reject`.
    Incoming,
    /// UAS: our 2xx is out, waiting for the ACK (§13.3.1.4).
    Accepted,
    /// UAC: the INVITE is out, no response yet.
    Calling,
    /// UAC: a provisional response arrived.
    Early,
    /// The dialog is confirmed.
    Confirmed,
    /// We sent BYE; waiting for its response.
    Terminating,
}

/// A 2xx we retransmit until its ACK arrives (initial INVITE or re-INVITE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAck {
    /// The CSeq number of the INVITE the 2xx answers (the ACK carries the same).
    pub cseq: u32,
    /// The serialized 2xx.
    pub response: Vec<u8>,
    /// The current retransmission interval (T1 doubling to T2).
    pub interval: Duration,
}

/// One INVITE dialog.
#[derive(Debug, Clone)]
pub struct Call {
    /// Our handle.
    pub handle: CallHandle,
    /// UAS or UAC.
    pub role: Role,
    /// Its state.
    pub state: CallState,
    /// The Call-ID.
    pub call_id: String,
    /// Our tag.
    pub local_tag: String,
    /// The peer's tag, once known (an RFC 2543 peer may have none).
    pub remote_tag: Option<String>,
    /// Our From/To value in requests we send (with our tag).
    pub local_party: String,
    /// The peer's From/To value in requests we send (with its tag once known).
    pub remote_party: String,
    /// Our next CSeq number.
    pub local_cseq: u32,
    /// The highest CSeq number seen from the peer.
    pub remote_cseq: Option<u32>,
    /// The Request-URI of our in-dialog requests (the peer's Contact).
    pub remote_target: String,
    /// The route set (§12.1.1, §12.1.2), in the order to put in Route.
    pub route_set: Vec<String>,
    /// Where in-dialog requests are sent: the address the peer's messages came from (it may be
    /// behind NAT; the core does no DNS).
    pub peer: SocketAddr,
    /// The transport of the dialog.
    pub transport: Transport,
    /// UAS: the initial INVITE's server transaction, while unanswered.
    pub invite_tx: Option<TransactionKey>,
    /// UAS: a re-INVITE waiting for `accept`/`reject`.
    pub reinvite_tx: Option<TransactionKey>,
    /// UAS: our 2xx awaiting its ACK.
    pub pending_ack: Option<PendingAck>,
    /// UAC: our INVITE (initial or re-INVITE) client transaction, while it has no final answer.
    pub invite_client: Option<ClientKey>,
    /// UAC: the INVITE request line URI, Via and CSeq, for CANCEL (§9.1).
    pub invite_request: Option<SentInvite>,
    /// UAC: our ACK of the 2xx, re-sent when the 2xx is retransmitted.
    pub ack: Option<(u32, Vec<u8>)>,
    /// UAC: the SDP answer the ACK of the next 2xx carries (INVITE without an offer, RFC 3264
    /// §5: the offer is in the 2xx, the answer in the ACK).
    pub ack_answer: Option<Vec<u8>>,
    /// `hangup` was called while it could not act yet (UAC: before any provisional response;
    /// UAS: with our 2xx not ACKed). Acted on by the next response or the ACK.
    pub hangup_pending: bool,
    /// UAC: a CANCEL was sent.
    pub cancelled: bool,
    /// §13.3.1.4 timers.
    pub timers: TimerTable,
}

/// What CANCEL copies from the INVITE it cancels (§9.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentInvite {
    /// The Request-URI.
    pub uri: String,
    /// Our Via, with the INVITE's branch.
    pub via: String,
    /// The branch.
    pub branch: String,
    /// The CSeq number.
    pub cseq: u32,
}

/// Allowed methods, for Allow headers (§20.5).
pub const ALLOW: &str = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO";

/// Extensions we support (§20.37): none, and we say so with an empty list.
pub const SUPPORTED: &str = "";

impl Call {
    fn new_common(handle: CallHandle, role: Role, state: CallState, call_id: String) -> Call {
        Call {
            handle,
            role,
            state,
            call_id,
            local_tag: String::new(),
            remote_tag: None,
            local_party: String::new(),
            remote_party: String::new(),
            local_cseq: 1,
            remote_cseq: None,
            remote_target: String::new(),
            route_set: Vec::new(),
            peer: SocketAddr::from(([0, 0, 0, 0], 0)),
            transport: Transport::Udp,
            invite_tx: None,
            reinvite_tx: None,
            pending_ack: None,
            invite_client: None,
            invite_request: None,
            ack: None,
            ack_answer: None,
            hangup_pending: false,
            cancelled: false,
            timers: TimerTable::new(),
        }
    }

    /// A UAS call for a new INVITE (§12.1.1): our tag goes in every response but 100.
    pub fn new_uas(
        handle: CallHandle,
        invite: &Incoming,
        key: TransactionKey,
        tag: String,
    ) -> Call {
        let mut call = Call::new_common(
            handle,
            Role::Uas,
            CallState::Incoming,
            invite.call_id.clone(),
        );
        call.local_party = headers::with_tag(&invite.to, &tag);
        call.local_tag = tag;
        call.remote_tag = invite.from_tag();
        call.remote_party = invite.from.clone();
        call.remote_cseq = Some(invite.cseq);
        call.remote_target = invite
            .header("contact")
            .map(headers::uri_of)
            .unwrap_or_else(|| headers::uri_of(&invite.from));
        // §12.1.1: the UAS route set is the Record-Route list in order.
        call.route_set = invite.header_list("record-route");
        call.peer = invite.source;
        call.transport = invite.transport;
        call.invite_tx = Some(key);
        call
    }

    /// A UAC call about to send its INVITE (§12.1.2 fills the rest when the 2xx arrives).
    #[allow(clippy::too_many_arguments)]
    pub fn new_uac(
        handle: CallHandle,
        call_id: String,
        tag: String,
        local_uri: &str,
        target: &str,
        destination: SocketAddr,
        transport: Transport,
    ) -> Call {
        let mut call = Call::new_common(handle, Role::Uac, CallState::Calling, call_id);
        call.local_party = format!("<{local_uri}>;tag={tag}");
        call.local_tag = tag;
        call.remote_party = format!("<{target}>");
        call.remote_target = target.to_string();
        call.peer = destination;
        call.transport = transport;
        call
    }
}

/// Build a response to `request` (§8.2.6): Via (with received/rport), From, To (with `to_tag`
/// unless it already has one), Call-ID and CSeq copied, then `extra` headers and the body.
pub fn build_response(
    request: &Incoming,
    status: u16,
    to_tag: Option<&str>,
    server: &str,
    extra: &[(String, String)],
    body: &[u8],
) -> Vec<u8> {
    let mut hs: Vec<(String, String)> = request
        .vias
        .iter()
        .map(|v| ("Via".to_string(), v.clone()))
        .collect();
    hs.push(("From".into(), request.from.clone()));
    let to = match (to_tag, request.to_tag()) {
        (Some(tag), None) if status > 100 => headers::with_tag(&request.to, tag),
        _ => request.to.clone(),
    };
    hs.push(("To".into(), to));
    hs.push(("Call-ID".into(), request.call_id.clone()));
    hs.push((
        "CSeq".into(),
        format!("{} {}", request.cseq, request.cseq_method),
    ));
    if !server.is_empty() {
        hs.push(("Server".into(), server.to_string()));
    }
    hs.extend(extra.iter().cloned());
    headers::serialize_response(status, &hs, body)
}
