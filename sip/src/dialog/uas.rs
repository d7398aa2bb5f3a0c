//! The UAS core (RFC 3261 §8.2, §12.1.1, §13.3, §14.2, §15.1.2, §9.2) and in-dialog request
//! handling (§12.2.2): INVITE → `IncomingCall`, `accept`/`reject`, 2xx retransmission until the
//! ACK (§13.3.1.4), re-INVITE (491 when one is already pending), BYE, CANCEL (200 + 487),
//! INFO (RFC 6086), OPTIONS (§11.2), and 481 for unknown dialogs.

use std::time::Instant;

use super::{build_response, policy, Call, CallState, PendingAck, ALLOW, SUPPORTED};
use crate::endpoint::{CallHandle, EndReason, Endpoint, Event};
use crate::timer::Timer;
use crate::transaction::{headers, Incoming, RequestMatch, TransactionKey};
use crate::Transport;

fn pair(name: &str, value: impl Into<String>) -> (String, String) {
    (name.to_string(), value.into())
}

impl Endpoint {
    /// A request rsip could parse: digest it, let the transaction layer match it, and dispatch
    /// what is new.
    pub(crate) fn handle_request(
        &mut self,
        now: Instant,
        request: rsip::Request,
        source: std::net::SocketAddr,
        transport: Transport,
    ) {
        let method = request.method.to_string();
        let uri = request.uri.to_string();
        let incoming = match Incoming::from_request(
            &method,
            &uri,
            &request.headers,
            &request.body,
            source,
            transport,
        ) {
            Ok(incoming) => incoming,
            Err((err, partial)) => {
                match partial {
                    // §17: an ACK is never answered.
                    Some(partial) if method != "ACK" => {
                        let start = format!("SIP/2.0 400 Bad Request - {}", err.reason());
                        let mut hs: Vec<(String, String)> = partial
                            .vias
                            .iter()
                            .map(|v| pair("Via", v.clone()))
                            .collect();
                        for (name, value) in [
                            ("From", &partial.from),
                            ("To", &partial.to),
                            ("Call-ID", &partial.call_id),
                        ] {
                            if !value.is_empty() {
                                hs.push(pair(name, value.clone()));
                            }
                        }
                        if let Some(cseq) = headers::first(&request.headers, "cseq") {
                            hs.push(pair("CSeq", cseq));
                        }
                        self.count_status(400);
                        self.send(transport, source, headers::serialize(&start, &hs, b""));
                    }
                    _ => self.stats.dropped += 1,
                }
                return;
            }
        };
        match self
            .transactions
            .handle_request(now, incoming.clone(), &mut self.out)
        {
            RequestMatch::Retransmission | RequestMatch::AckAbsorbed => {}
            RequestMatch::AckForDialog => self.on_ack(now, &incoming),
            RequestMatch::New(key) => self.on_new_request(now, key, incoming, request.uri),
        }
    }

    /// Answer the server transaction `key` (§8.2.6); responses above 100 to a request without a
    /// To tag get `to_tag`, or a fresh one (§8.2.6.2). Returns the bytes sent.
    pub(crate) fn respond(
        &mut self,
        now: Instant,
        key: &TransactionKey,
        status: u16,
        to_tag: Option<String>,
        extra: &[(String, String)],
        body: &[u8],
    ) -> Option<Vec<u8>> {
        let request = self.transactions.server(key)?.request.clone();
        let tag = match to_tag {
            Some(tag) => Some(tag),
            None if status > 100 && request.to_tag().is_none() => Some(self.ids.tag()),
            None => None,
        };
        let bytes = build_response(
            &request,
            status,
            tag.as_deref(),
            &self.config.user_agent,
            extra,
            body,
        );
        if self
            .transactions
            .respond(now, key, status, tag, bytes.clone(), &mut self.out)
        {
            self.count_status(status);
            Some(bytes)
        } else {
            None
        }
    }

    fn on_new_request(
        &mut self,
        now: Instant,
        key: TransactionKey,
        incoming: Incoming,
        uri: rsip::Uri,
    ) {
        if let Some(refusal) = policy::check(&incoming) {
            self.respond(now, &key, refusal.status, None, &refusal.headers, b"");
            return;
        }
        match incoming.method.as_str() {
            "OPTIONS" => {
                // §11.2: answered in or out of a dialog, with what we can do.
                let extra = [
                    pair("Allow", ALLOW),
                    pair("Accept", "application/sdp"),
                    pair("Supported", SUPPORTED),
                ];
                self.respond(now, &key, 200, None, &extra, b"");
                return;
            }
            "CANCEL" => return self.on_cancel(now, key, &incoming),
            _ => {}
        }
        let Some(to_tag) = incoming.to_tag() else {
            if incoming.method == "INVITE" {
                self.on_new_invite(now, key, incoming, uri);
            } else {
                // BYE/INFO outside a dialog (§12.2.2, RFC 6086 §4.2).
                self.respond(now, &key, 481, None, &[], b"");
            }
            return;
        };
        let found = self
            .dialogs
            .get(&(incoming.call_id.clone(), to_tag))
            .copied()
            .filter(|h| {
                self.calls
                    .get(h)
                    .is_some_and(|c| c.remote_tag.is_none() || c.remote_tag == incoming.from_tag())
            });
        let Some(handle) = found else {
            self.respond(now, &key, 481, None, &[], b"");
            return;
        };
        let remote_cseq = self.calls.get(&handle).and_then(|c| c.remote_cseq);
        if remote_cseq.is_some_and(|r| incoming.cseq < r) {
            // §12.2.2: out of order.
            self.respond(now, &key, 500, None, &[], b"");
            return;
        }
        if let Some(call) = self.calls.get_mut(&handle) {
            call.remote_cseq = Some(incoming.cseq);
        }
        match incoming.method.as_str() {
            "INVITE" => self.on_reinvite(now, key, handle, &incoming),
            "BYE" => {
                self.respond(now, &key, 200, None, &[], b"");
                // end_call answers a pending re-INVITE with 487 (§15.1.2).
                self.end_call(now, handle, EndReason::RemoteBye);
            }
            "INFO" => {
                self.respond(now, &key, 200, None, &[], b"");
                self.events.push_back(Event::Info {
                    call: handle,
                    content_type: incoming.header("content-type").unwrap_or("").to_string(),
                    body: incoming.body.clone(),
                });
            }
            _ => {
                self.respond(now, &key, 501, None, &[pair("Allow", ALLOW)], b"");
            }
        }
    }

    fn on_new_invite(
        &mut self,
        now: Instant,
        key: TransactionKey,
        incoming: Incoming,
        uri: rsip::Uri,
    ) {
        // §8.2.2.2: the same INVITE (Call-ID, From tag, CSeq) on another branch is a merged
        // request (a fork looping back, or a gateway that changed the branch on retransmission):
        // 482, never a second call.
        let merged = self.calls.values().any(|c| {
            c.role == super::Role::Uas
                && c.call_id == incoming.call_id
                && c.remote_tag == incoming.from_tag()
                && c.remote_cseq == Some(incoming.cseq)
        });
        if merged {
            self.respond(now, &key, 482, None, &[], b"");
            return;
        }
        let handle = self.new_handle();
        let tag = self.ids.tag();
        let call = Call::new_uas(handle, &incoming, key.clone(), tag.clone());
        // 100 Trying at once (§17.2.1), so the caller's timer A stops.
        self.respond(now, &key, 100, None, &[], b"");
        self.dialogs.insert((incoming.call_id.clone(), tag), handle);
        self.calls.insert(handle, call);
        self.stats.incoming_calls += 1;
        self.events.push_back(Event::IncomingCall {
            call: handle,
            request_uri: uri,
            from: incoming.from.clone(),
            source: incoming.source,
            transport: incoming.transport,
            offer: policy::sdp_body(incoming.header("content-type"), &incoming.body),
        });
    }

    fn on_reinvite(
        &mut self,
        now: Instant,
        key: TransactionKey,
        handle: CallHandle,
        incoming: &Incoming,
    ) {
        let Some(call) = self.calls.get(&handle) else {
            return;
        };
        let busy = call.state != CallState::Confirmed
            || call.reinvite_tx.is_some()
            || call.pending_ack.is_some()
            || call.invite_client.is_some();
        if busy {
            // §14.2: an INVITE while another is in progress.
            let tag = Some(call.local_tag.clone());
            self.respond(now, &key, 491, tag, &[], b"");
            return;
        }
        self.respond(now, &key, 100, None, &[], b"");
        if let Some(call) = self.calls.get_mut(&handle) {
            call.reinvite_tx = Some(key);
            if let Some(contact) = incoming.header("contact") {
                // §12.2.2: a target refresh.
                call.remote_target = headers::uri_of(contact);
            }
        }
        self.events.push_back(Event::ReInvite {
            call: handle,
            offer: policy::sdp_body(incoming.header("content-type"), &incoming.body),
        });
    }

    fn on_cancel(&mut self, now: Instant, key: TransactionKey, cancel: &Incoming) {
        let Some(invite_key) = self.transactions.cancel_target(cancel) else {
            // §9.2: nothing to cancel.
            self.respond(now, &key, 481, None, &[], b"");
            return;
        };
        let owner = self
            .calls
            .values()
            .find(|c| {
                c.invite_tx.as_ref() == Some(&invite_key)
                    || c.reinvite_tx.as_ref() == Some(&invite_key)
            })
            .map(|c| {
                (
                    c.handle,
                    c.local_tag.clone(),
                    c.invite_tx.as_ref() == Some(&invite_key),
                )
            });
        let tag = owner.as_ref().map(|(_, t, _)| t.clone()).or_else(|| {
            self.transactions
                .server(&invite_key)
                .and_then(|t| t.to_tag.clone())
        });
        self.respond(now, &key, 200, tag.clone(), &[], b"");
        let Some((handle, _, initial)) = owner else {
            return; // already answered: CANCEL has no effect (§9.2)
        };
        if self.respond(now, &invite_key, 487, tag, &[], b"").is_some() {
            if initial {
                self.end_call(now, handle, EndReason::Cancelled);
            } else if let Some(call) = self.calls.get_mut(&handle) {
                call.reinvite_tx = None;
            }
        }
    }

    /// An ACK no INVITE server transaction consumed: the ACK of one of our 2xx (§13.3.1.4).
    fn on_ack(&mut self, now: Instant, ack: &Incoming) {
        let Some(tag) = ack.to_tag() else { return };
        let Some(&handle) = self.dialogs.get(&(ack.call_id.clone(), tag)) else {
            return;
        };
        let Some(call) = self.calls.get_mut(&handle) else {
            return;
        };
        if call.pending_ack.as_ref().map(|p| p.cseq) != Some(ack.cseq) {
            return; // an ACK retransmission, or not for us
        }
        call.pending_ack = None;
        call.timers.stop(Timer::Retransmit2xx);
        call.timers.stop(Timer::AckTimeout);
        call.state = CallState::Confirmed;
        let hangup = call.hangup_pending;
        self.events.push_back(Event::CallConfirmed {
            call: handle,
            answer: policy::sdp_body(ack.header("content-type"), &ack.body),
        });
        if hangup {
            self.send_bye(now, handle);
        }
    }

    pub(crate) fn uas_accept(&mut self, now: Instant, handle: CallHandle, sdp: Vec<u8>) {
        let Some(call) = self.calls.get(&handle) else {
            return;
        };
        let (key, initial) = match (&call.reinvite_tx, call.state) {
            (Some(key), _) => (key.clone(), false),
            (None, CallState::Incoming) => match &call.invite_tx {
                Some(key) => (key.clone(), true),
                None => return,
            },
            _ => return,
        };
        let tag = call.local_tag.clone();
        let transport = call.transport;
        let mut extra = vec![pair("Contact", self.contact(transport))];
        if let Some(request) = self.transactions.server(&key).map(|t| &t.request) {
            // §12.1.1: Record-Route is copied into the 2xx.
            extra.extend(
                request
                    .headers
                    .iter()
                    .filter(|(n, _)| n.eq_ignore_ascii_case("record-route"))
                    .cloned(),
            );
        }
        extra.push(pair("Allow", ALLOW));
        extra.push(pair("Supported", SUPPORTED));
        if !sdp.is_empty() {
            extra.push(pair("Content-Type", "application/sdp"));
        }
        let cseq = self.transactions.server(&key).map(|t| t.request.cseq);
        let Some(bytes) = self.respond(now, &key, 200, Some(tag), &extra, &sdp) else {
            return;
        };
        let (t1, t64) = (self.config.t1, self.config.t1 * 64);
        let Some(call) = self.calls.get_mut(&handle) else {
            return;
        };
        call.pending_ack = Some(PendingAck {
            cseq: cseq.unwrap_or(0),
            response: bytes,
            interval: t1,
        });
        call.timers.set(Timer::Retransmit2xx, now + t1);
        call.timers.set(Timer::AckTimeout, now + t64);
        if initial {
            call.invite_tx = None;
            call.state = CallState::Accepted;
        } else {
            call.reinvite_tx = None;
        }
    }

    pub(crate) fn uas_reject(&mut self, now: Instant, handle: CallHandle, status: u16) {
        let status = if (300..700).contains(&status) {
            status
        } else {
            500
        };
        let Some(call) = self.calls.get(&handle) else {
            return;
        };
        let tag = Some(call.local_tag.clone());
        if let Some(key) = call.reinvite_tx.clone() {
            self.respond(now, &key, status, tag, &[], b"");
            if let Some(call) = self.calls.get_mut(&handle) {
                call.reinvite_tx = None;
            }
        } else if call.state == CallState::Incoming {
            if let Some(key) = call.invite_tx.clone() {
                self.respond(now, &key, status, tag, &[], b"");
            }
            self.end_call(now, handle, EndReason::Rejected(status));
        }
    }

    /// Our Contact (§8.1.1.8): the configured address, with the transport when not UDP.
    pub(crate) fn contact(&self, transport: Transport) -> String {
        match transport {
            Transport::Udp => format!("<sip:pont@{}>", self.config.local_addr),
            Transport::Tcp => format!("<sip:pont@{};transport=tcp>", self.config.local_addr),
        }
    }

    /// A call's §13.3.1.4 timers.
    pub(crate) fn on_call_timeout(&mut self, now: Instant, handle: CallHandle) {
        let t2 = self.config.t2;
        loop {
            let Some(call) = self.calls.get_mut(&handle) else {
                return;
            };
            let Some(timer) = call.timers.pop_expired(now) else {
                return;
            };
            match timer {
                Timer::Retransmit2xx => {
                    let Some(pending) = call.pending_ack.as_mut() else {
                        continue;
                    };
                    pending.interval = (pending.interval * 2).min(t2);
                    let next = now + pending.interval;
                    let bytes = pending.response.clone();
                    let (transport, peer) = (call.transport, call.peer);
                    call.timers.set(Timer::Retransmit2xx, next);
                    self.out.stats.retransmissions_sent += 1;
                    self.send(transport, peer, bytes);
                }
                Timer::AckTimeout => {
                    call.pending_ack = None;
                    call.timers.stop(Timer::Retransmit2xx);
                    self.stats.ack_timeouts += 1;
                    // §13.3.1.4: no ACK — end the session with a BYE.
                    self.send_bye(now, handle);
                    self.end_call(now, handle, EndReason::AckTimeout);
                    return;
                }
                _ => {}
            }
        }
    }
}
