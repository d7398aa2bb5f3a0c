//! The UAC core (RFC 3261 §8.1, §12.1.2, §13.2, §14.1, §15.1.1, §9.1): INVITE, the ACK of a 2xx
//! (re-sent for each 2xx retransmission), CANCEL after a provisional response, BYE, re-INVITE,
//! INFO, and what their responses and timeouts mean for the call.

use std::net::SocketAddr;
use std::time::Instant;

use super::{policy, Call, CallState, SentInvite, ALLOW, SUPPORTED};
use crate::endpoint::{CallHandle, EndReason, Endpoint, Event};
use crate::transaction::{headers, AckTemplate, ClientKey, ClientVerdict, TransactionEvent};
use crate::Transport;

fn pair(name: &str, value: impl Into<String>) -> (String, String) {
    (name.to_string(), value.into())
}

/// A request of ours, serialized, and its Via.
struct Built {
    bytes: Vec<u8>,
    via: String,
}

impl Endpoint {
    fn via(&self, transport: Transport, branch: &str) -> String {
        format!(
            "SIP/2.0/{} {};branch={};rport",
            transport.via_token(),
            self.config.local_addr,
            branch
        )
    }

    /// Build an in-dialog (or initial) request of `call` (§8.1.1, §12.2.1.1).
    fn build_request(
        &self,
        call: &Call,
        method: &str,
        cseq: u32,
        branch: &str,
        extra: &[(String, String)],
        body: &[u8],
    ) -> Built {
        let via = self.via(call.transport, branch);
        let mut hs = vec![pair("Via", via.clone()), pair("Max-Forwards", "70")];
        hs.extend(call.route_set.iter().map(|r| pair("Route", r.clone())));
        hs.push(pair("From", call.local_party.clone()));
        hs.push(pair("To", call.remote_party.clone()));
        hs.push(pair("Call-ID", call.call_id.clone()));
        hs.push(pair("CSeq", format!("{cseq} {method}")));
        hs.push(pair("User-Agent", self.config.user_agent.clone()));
        hs.extend(extra.iter().cloned());
        let start = format!("{method} {} SIP/2.0", call.remote_target);
        Built {
            bytes: headers::serialize(&start, &hs, body),
            via,
        }
    }

    /// Start a non-INVITE client transaction owned by `handle`.
    fn send_in_dialog(
        &mut self,
        now: Instant,
        handle: CallHandle,
        method: &str,
        extra: &[(String, String)],
        body: &[u8],
    ) {
        let branch = self.ids.branch();
        let Some(call) = self.calls.get_mut(&handle) else {
            return;
        };
        call.local_cseq += 1;
        let call = call.clone();
        let built = self.build_request(&call, method, call.local_cseq, &branch, extra, body);
        let key = ClientKey {
            branch,
            method: method.to_string(),
        };
        self.transactions.start_client(
            now,
            key.clone(),
            built.bytes,
            None,
            call.transport,
            call.peer,
            &mut self.out,
        );
        self.client_owner.insert(key, handle);
    }

    /// Send BYE (§15.1.1); the call ends when it is answered or times out.
    pub(crate) fn send_bye(&mut self, now: Instant, handle: CallHandle) {
        self.send_in_dialog(now, handle, "BYE", &[], b"");
        if let Some(call) = self.calls.get_mut(&handle) {
            call.state = CallState::Terminating;
            call.hangup_pending = false;
        }
    }

    pub(crate) fn uac_invite(
        &mut self,
        now: Instant,
        target: &str,
        destination: SocketAddr,
        transport: Transport,
        sdp: Option<Vec<u8>>,
    ) -> CallHandle {
        let handle = self.new_handle();
        let call_id = self.ids.call_id(&self.config.local_addr.ip().to_string());
        let tag = self.ids.tag();
        let local_uri = format!("sip:pont@{}", self.config.local_addr);
        let call = Call::new_uac(
            handle,
            call_id.clone(),
            tag.clone(),
            &local_uri,
            target,
            destination,
            transport,
        );
        self.dialogs.insert((call_id, tag), handle);
        self.calls.insert(handle, call);
        self.stats.outgoing_calls += 1;
        self.send_invite(now, handle, sdp, false);
        handle
    }

    fn send_invite(
        &mut self,
        now: Instant,
        handle: CallHandle,
        sdp: Option<Vec<u8>>,
        reinvite: bool,
    ) {
        let branch = self.ids.branch();
        let Some(call) = self.calls.get_mut(&handle) else {
            return;
        };
        if reinvite {
            call.local_cseq += 1;
        }
        let call = call.clone();
        let body = sdp.unwrap_or_default();
        let mut extra = vec![
            pair("Contact", self.contact(call.transport)),
            pair("Allow", ALLOW),
            pair("Supported", SUPPORTED),
        ];
        if !body.is_empty() {
            extra.push(pair("Content-Type", "application/sdp"));
        }
        let built = self.build_request(&call, "INVITE", call.local_cseq, &branch, &extra, &body);
        let template = AckTemplate {
            uri: call.remote_target.clone(),
            via: built.via.clone(),
            from: call.local_party.clone(),
            call_id: call.call_id.clone(),
            cseq: call.local_cseq,
            routes: call.route_set.clone(),
            extra: vec![pair("Max-Forwards", "70")],
        };
        let key = ClientKey {
            branch: branch.clone(),
            method: "INVITE".into(),
        };
        self.transactions.start_client(
            now,
            key.clone(),
            built.bytes,
            Some(template),
            call.transport,
            call.peer,
            &mut self.out,
        );
        self.client_owner.insert(key.clone(), handle);
        if let Some(c) = self.calls.get_mut(&handle) {
            c.invite_client = Some(key);
            c.invite_request = Some(SentInvite {
                uri: c.remote_target.clone(),
                via: built.via,
                branch,
                cseq: c.local_cseq,
            });
        }
    }

    pub(crate) fn uac_reinvite(&mut self, now: Instant, handle: CallHandle, sdp: Option<Vec<u8>>) {
        let ready = self.calls.get(&handle).is_some_and(|c| {
            c.state == CallState::Confirmed
                && c.invite_client.is_none()
                && c.pending_ack.is_none()
                && c.reinvite_tx.is_none()
        });
        if ready {
            self.send_invite(now, handle, sdp, true);
        }
    }

    pub(crate) fn uac_info(
        &mut self,
        now: Instant,
        handle: CallHandle,
        content_type: &str,
        body: Vec<u8>,
    ) {
        if self
            .calls
            .get(&handle)
            .is_some_and(|c| c.state == CallState::Confirmed)
        {
            let extra = [pair("Content-Type", content_type)];
            self.send_in_dialog(now, handle, "INFO", &extra, &body);
        }
    }

    /// CANCEL our pending INVITE (§9.1): same Request-URI, Call-ID, From, To, CSeq number and Via.
    fn send_cancel(&mut self, now: Instant, handle: CallHandle) {
        let Some(call) = self.calls.get_mut(&handle) else {
            return;
        };
        let Some(invite) = call.invite_request.clone() else {
            return;
        };
        call.cancelled = true;
        let hs = vec![
            pair("Via", invite.via.clone()),
            pair("Max-Forwards", "70"),
            pair("From", call.local_party.clone()),
            pair("To", format!("<{}>", invite.uri)),
            pair("Call-ID", call.call_id.clone()),
            pair("CSeq", format!("{} CANCEL", invite.cseq)),
        ];
        let bytes = headers::serialize(&format!("CANCEL {} SIP/2.0", invite.uri), &hs, b"");
        let (transport, peer) = (call.transport, call.peer);
        let key = ClientKey {
            branch: invite.branch,
            method: "CANCEL".into(),
        };
        self.transactions.start_client(
            now,
            key.clone(),
            bytes,
            None,
            transport,
            peer,
            &mut self.out,
        );
        self.client_owner.insert(key, handle);
    }

    pub(crate) fn do_hangup(&mut self, now: Instant, handle: CallHandle) {
        let Some(call) = self.calls.get_mut(&handle) else {
            return;
        };
        match call.state {
            CallState::Incoming => self.uas_reject(now, handle, 480),
            // §15: no BYE before the ACK of our 2xx (or before timer H gives up on it).
            CallState::Accepted => call.hangup_pending = true,
            // §9.1: no CANCEL before a provisional response.
            CallState::Calling => call.hangup_pending = true,
            CallState::Early => {
                if !call.cancelled {
                    self.send_cancel(now, handle);
                }
            }
            CallState::Confirmed => self.send_bye(now, handle),
            CallState::Terminating => {}
        }
    }

    /// A response: match it to a client transaction (§17.1.3), then to its call.
    pub(crate) fn handle_response(
        &mut self,
        now: Instant,
        response: rsip::Response,
        _source: SocketAddr,
    ) {
        let status = response.status_code.code();
        let top = headers::list(&response.headers, "via")
            .first()
            .and_then(|v| headers::parse_via(v));
        let cseq = headers::first(&response.headers, "cseq").and_then(|c| headers::parse_cseq(&c));
        let to = headers::first(&response.headers, "to").unwrap_or_default();
        let (Some(branch), Some((cseq_num, method))) = (top.and_then(|v| v.branch), cseq) else {
            self.stats.stray_responses += 1;
            self.stats.dropped += 1;
            return;
        };
        let key = ClientKey {
            branch,
            method: method.to_ascii_uppercase(),
        };
        match self
            .transactions
            .handle_response(now, &key, status, &to, &mut self.out)
        {
            Some(ClientVerdict::Pass) => {
                self.on_client_response(now, &key, status, cseq_num, &response, &to)
            }
            Some(ClientVerdict::Absorb) => {}
            None => {
                // A 2xx retransmission after the transaction ended: re-send our ACK (§13.2.2.4).
                let call_id = headers::first(&response.headers, "call-id").unwrap_or_default();
                let from_tag =
                    headers::first(&response.headers, "from").and_then(|f| headers::tag(&f));
                let ack = from_tag
                    .and_then(|t| self.dialogs.get(&(call_id, t)))
                    .and_then(|h| self.calls.get(h))
                    .and_then(|c| c.ack.clone().map(|a| (a, c.transport, c.peer)));
                match ack {
                    Some(((n, bytes), transport, peer))
                        if n == cseq_num && (200..300).contains(&status) =>
                    {
                        self.out.stats.retransmissions_sent += 1;
                        self.send(transport, peer, bytes);
                    }
                    _ => {
                        self.stats.stray_responses += 1;
                        self.stats.dropped += 1;
                    }
                }
            }
        }
    }

    fn on_client_response(
        &mut self,
        now: Instant,
        key: &ClientKey,
        status: u16,
        cseq: u32,
        response: &rsip::Response,
        to: &str,
    ) {
        let Some(&handle) = self.client_owner.get(key) else {
            return;
        };
        let Some(call) = self.calls.get_mut(&handle) else {
            return;
        };
        match key.method.as_str() {
            "INVITE" => {
                let initial = matches!(call.state, CallState::Calling | CallState::Early);
                if status < 200 {
                    if initial {
                        call.state = CallState::Early;
                        if call.hangup_pending && !call.cancelled {
                            self.send_cancel(now, handle);
                        }
                    }
                    if status > 100 {
                        self.events.push_back(Event::Progress {
                            call: handle,
                            status,
                        });
                    }
                } else if status < 300 {
                    self.on_invite_2xx(now, handle, cseq, response, to, initial);
                } else {
                    call.invite_client = None;
                    if initial {
                        let reason = if call.cancelled || call.hangup_pending {
                            EndReason::Cancelled
                        } else {
                            EndReason::Rejected(status)
                        };
                        self.end_call(now, handle, reason);
                    } else if matches!(status, 408 | 481) {
                        self.end_call(now, handle, EndReason::Timeout);
                    }
                }
            }
            "BYE" if status >= 200 => self.end_call(now, handle, EndReason::LocalBye),
            "CANCEL" => {}
            _ if matches!(status, 408 | 481) => {
                // §12.2.1.2: the dialog is gone at the peer.
                self.end_call(now, handle, EndReason::Timeout);
            }
            _ => {}
        }
    }

    fn on_invite_2xx(
        &mut self,
        now: Instant,
        handle: CallHandle,
        cseq: u32,
        response: &rsip::Response,
        to: &str,
        initial: bool,
    ) {
        let branch = self.ids.branch();
        let Some(call) = self.calls.get_mut(&handle) else {
            return;
        };
        if let Some((_, bytes)) = call.ack.clone().filter(|(n, _)| *n == cseq) {
            // A 2xx retransmission: our ACK got lost (§13.2.2.4).
            let (transport, peer) = (call.transport, call.peer);
            self.out.stats.retransmissions_sent += 1;
            self.send(transport, peer, bytes);
            return;
        }
        call.remote_tag = headers::tag(to);
        call.remote_party = to.to_string();
        if let Some(contact) = headers::first(&response.headers, "contact") {
            call.remote_target = headers::uri_of(&contact);
        }
        if initial {
            // §12.1.2: the UAC route set is the Record-Route list reversed.
            let mut routes = headers::list(&response.headers, "record-route");
            routes.reverse();
            call.route_set = routes;
        }
        call.invite_client = None;
        call.state = CallState::Confirmed;
        let snapshot = call.clone();
        let answer = snapshot.ack_answer.clone().unwrap_or_default();
        let extra = if answer.is_empty() {
            Vec::new()
        } else {
            vec![pair("Content-Type", "application/sdp")]
        };
        let ack = self.build_request(&snapshot, "ACK", cseq, &branch, &extra, &answer);
        let hangup = snapshot.hangup_pending || snapshot.cancelled;
        self.send(snapshot.transport, snapshot.peer, ack.bytes.clone());
        if let Some(call) = self.calls.get_mut(&handle) {
            call.ack = Some((cseq, ack.bytes));
            call.ack_answer = None;
        }
        let ctype = headers::first(&response.headers, "content-type");
        self.events.push_back(Event::Answered {
            call: handle,
            answer: policy::sdp_body(ctype.as_deref(), &response.body),
        });
        if hangup && initial {
            self.send_bye(now, handle);
        }
    }

    /// A transaction timer outcome.
    pub(crate) fn on_transaction_event(&mut self, now: Instant, event: TransactionEvent) {
        let TransactionEvent::ClientTimeout(key) = event else {
            return; // timer H of a non-2xx: the transaction is done, the call already ended
        };
        let Some(handle) = self.client_owner.remove(&key) else {
            return;
        };
        let Some(call) = self.calls.get(&handle) else {
            return;
        };
        let state = call.state;
        let cancelled = call.cancelled || call.hangup_pending;
        match key.method.as_str() {
            "BYE" => self.end_call(now, handle, EndReason::LocalBye),
            "CANCEL" => self.end_call(now, handle, EndReason::Cancelled),
            "INVITE" if matches!(state, CallState::Calling | CallState::Early) => {
                let reason = if cancelled {
                    EndReason::Cancelled
                } else {
                    EndReason::Timeout
                };
                self.end_call(now, handle, reason);
            }
            _ => {
                // §14.1 / §12.2.1.2: a timed-out in-dialog request ends the dialog.
                self.send_bye(now, handle);
                self.end_call(now, handle, EndReason::Timeout);
            }
        }
    }
}
