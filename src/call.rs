//! One call leg, from INVITE to hang-up: read the dialled number, find the conference, take a
//! seat, negotiate SDP, hand the media to a mixer thread and follow the dialog until it ends.
//!
//! Issue #2 joins callers straight into the conference they dial (`sip:721051@bridge`, or
//! `sip:721051**1289@bridge` with a code that must match); the IVR (issue #3) will put a lobby in
//! front of this.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use media::{AudioCodec, LegConfig, LegId, PacketKind};
use sip::sdp::{
    self, CodecSpec, Direction, LocalMedia, NegotiatedAudio, SdpError, SessionDescription,
};
use sip::Event;
use tokio::sync::mpsc;

use crate::metrics::{add, inc};
use crate::mixer::{Command, Inbound, LegIo, PacketSink, Seat};
use crate::ports::PortPair;
use crate::sip_driver::{CallCmd, CallControl, IncomingCall};
use crate::App;

/// Leg ids are unique in the process (they name legs in every engine).
static NEXT_LEG: AtomicU64 = AtomicU64::new(1);

/// The codecs the bridge answers with, most preferred first.
pub fn local_codecs() -> Vec<CodecSpec> {
    vec![
        CodecSpec {
            name: "PCMU".into(),
            clock_rate: 8000,
            channels: 1,
            static_pt: Some(0),
        },
        CodecSpec {
            name: "PCMA".into(),
            clock_rate: 8000,
            channels: 1,
            static_pt: Some(8),
        },
    ]
}

/// Map a negotiated stream to the engine's leg settings; `None` for a codec the engine lacks.
fn leg_config(n: &NegotiatedAudio, ssrc: u32) -> Option<LegConfig> {
    let codec = match n.codec.to_ascii_uppercase().as_str() {
        "PCMU" => AudioCodec::Pcmu,
        "PCMA" => AudioCodec::Pcma,
        _ => return None,
    };
    Some(LegConfig {
        codec,
        payload_type: n.payload_type,
        telephone_event_pt: n.telephone_event_pt,
        ptime_ms: n.ptime_ms,
        ssrc,
    })
}

/// Whether the bridge sends media in this direction.
fn sends(direction: Direction) -> bool {
    matches!(direction, Direction::SendRecv | Direction::SendOnly)
}

/// The address of ours the peer can reach: the configured public address, else the local
/// address the kernel would use toward the peer (a connected UDP socket sends nothing).
fn local_ip_toward(app: &App, peer: SocketAddr) -> IpAddr {
    if let Some(ip) = app.config.public_ip {
        return ip;
    }
    if !app.config.sip.ip().is_unspecified() {
        return app.config.sip.ip();
    }
    let probe = if peer.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    UdpSocket::bind(probe)
        .and_then(|s| s.connect(peer).and_then(|_| s.local_addr()))
        .map(|a| a.ip())
        .unwrap_or(peer.ip())
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Decrements the active-calls gauge however the call ends.
struct ActiveCall(Arc<App>);

impl Drop for ActiveCall {
    fn drop(&mut self) {
        add(&self.0.metrics.calls_active, -1);
    }
}

/// Everything a joined leg holds; dropping it leaves the conference and frees the ports.
struct Joined {
    seat: Seat,
    leg: LegId,
    /// Held so the ports return to the pool only when the leg is gone.
    _ports: PortPair,
    receivers: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Joined {
    fn drop(&mut self) {
        for r in &self.receivers {
            r.abort();
        }
        self.seat.command(Command::RemoveLeg {
            conf: self.seat.conf().clone(),
            leg: self.leg,
        });
    }
}

/// Run one call to its end.
pub async fn run(app: Arc<App>, incoming: IncomingCall, mut ctl: CallControl) {
    add(&app.metrics.calls_active, 1);
    let _active = ActiveCall(Arc::clone(&app));
    let leg = LegId(NEXT_LEG.fetch_add(1, Ordering::Relaxed));

    let reject = |ctl: &CallControl, status: u16, why: &str| {
        tracing::info!(leg = leg.0, status, why, "call rejected");
        inc(&app.metrics.calls_rejected_total);
        ctl.send(CallCmd::Reject(status));
    };

    let user = incoming
        .request_uri
        .auth
        .as_ref()
        .map(|a| a.user.clone())
        .unwrap_or_default();
    let Some(target) = dialplan::parse_user(&user) else {
        return reject(&ctl, 404, "not a conference number");
    };
    let conf = match app.store.find_open(&target.number, unix_now()).await {
        Ok(Some(c)) => c,
        Ok(None) => return reject(&ctl, 404, "no open conference with that number"),
        Err(e) => {
            tracing::error!(error = %e, "store lookup failed");
            return reject(&ctl, 503, "store unavailable");
        }
    };
    if let Some(code) = &target.code {
        if *code != conf.access_code {
            return reject(&ctl, 403, "wrong access code");
        }
    }
    let Ok(seat) = app
        .mixers
        .join(&conf.id, usize::try_from(conf.capacity).unwrap_or(0))
    else {
        return reject(&ctl, 486, "conference full");
    };
    let Some(ports) = app.ports.allocate() else {
        return reject(&ctl, 503, "no RTP port free");
    };

    let mut local = LocalMedia {
        address: local_ip_toward(&app, incoming.source),
        audio_port: ports.port,
        codecs: local_codecs(),
        telephone_event: true,
        session_id: rand::random::<u32>() as u64,
        session_version: 1,
    };
    let ssrc = rand::random::<u32>();
    let (events_tx, mut media_events) = mpsc::unbounded_channel();

    // With an offer: answer now. Without: offer in the 200, read the answer from the ACK.
    let mut our_offer: Option<SessionDescription> = None;
    let negotiated = match &incoming.offer {
        Some(body) => match negotiate_offer(body, &local) {
            Ok((answer, n)) => {
                ctl.send(CallCmd::Accept(answer.to_bytes()));
                Some(n)
            }
            Err((status, why)) => return reject(&ctl, status, why),
        },
        None => {
            let offer = sdp::offer(&local);
            ctl.send(CallCmd::Accept(offer.to_bytes()));
            our_offer = Some(offer);
            None
        }
    };

    // The seat and ports wait here until media is negotiated (at once, or at the ACK).
    let mut pending = Some((seat, ports));
    let mut joined: Option<Joined> = None;
    let mut current = negotiated.clone();
    if let (Some(n), Some((seat, ports))) = (&negotiated, pending.take()) {
        match join_media(&seat, leg, &ports, n, ssrc, &events_tx) {
            Some(receivers) => {
                joined = Some(Joined {
                    seat,
                    leg,
                    _ports: ports,
                    receivers,
                })
            }
            None => {
                ctl.send(CallCmd::Hangup);
                return;
            }
        }
    }
    tracing::info!(leg = leg.0, conference = %conf.number, source = %incoming.source, "call answered");

    loop {
        tokio::select! {
            event = ctl.events.recv() => {
                let Some(event) = event else { break };
                match event {
                    Event::CallConfirmed { answer, .. } => {
                        let (Some(offer), Some((seat, ports))) = (our_offer.take(), pending.take()) else { continue };
                        let n = answer
                            .as_deref()
                            .ok_or(SdpError::NoAudio)
                            .and_then(SessionDescription::parse)
                            .and_then(|a| sdp::negotiate_answer(&offer, &a));
                        match n.ok().and_then(|n| join_media(&seat, leg, &ports, &n, ssrc, &events_tx).map(|r| (n, r))) {
                            Some((n, receivers)) => {
                                current = Some(n);
                                joined = Some(Joined { seat, leg, _ports: ports, receivers });
                            }
                            None => {
                                tracing::info!(leg = leg.0, "unusable SDP answer in ACK; hanging up");
                                ctl.send(CallCmd::Hangup);
                            }
                        }
                    }
                    Event::ReInvite { offer, .. } => {
                        local.session_version += 1;
                        let Some(body) = offer else {
                            // A re-INVITE without SDP: offer the same media again.
                            ctl.send(CallCmd::Accept(sdp::offer(&local).to_bytes()));
                            continue;
                        };
                        match negotiate_offer(&body, &local) {
                            Ok((answer, n)) => {
                                if let Some(j) = &joined {
                                    let codec_changed = current.as_ref().is_none_or(|c| c.payload_type != n.payload_type || c.codec != n.codec);
                                    j.seat.command(Command::UpdateLeg {
                                        conf: j.seat.conf().clone(),
                                        leg,
                                        config: if codec_changed { leg_config(&n, ssrc) } else { None },
                                        remote_rtp: n.remote_rtp,
                                        send: sends(n.direction),
                                    });
                                }
                                tracing::info!(leg = leg.0, direction = ?n.direction, codec = %n.codec, "re-INVITE answered");
                                current = Some(n);
                                ctl.send(CallCmd::Accept(answer.to_bytes()));
                            }
                            Err((status, _)) => ctl.send(CallCmd::Reject(status)),
                        }
                    }
                    Event::Info { content_type, .. } => {
                        tracing::debug!(leg = leg.0, %content_type, "INFO received");
                    }
                    Event::CallEnded { reason, .. } => {
                        tracing::info!(leg = leg.0, ?reason, "call ended");
                        break;
                    }
                    Event::IncomingCall { .. } | Event::Progress { .. } | Event::Answered { .. } => {}
                }
            }
            Some(event) = media_events.recv() => {
                tracing::debug!(leg = leg.0, ?event, "media event");
            }
        }
    }
    drop(joined);
    drop(pending);
}

/// Answer an SDP offer, or say which status refuses it.
fn negotiate_offer(
    body: &[u8],
    local: &LocalMedia,
) -> Result<(SessionDescription, NegotiatedAudio), (u16, &'static str)> {
    let offer = SessionDescription::parse(body).map_err(|_| (400, "malformed SDP"))?;
    match sdp::answer(&offer, local) {
        Ok(ok) => {
            if leg_config(&ok.1, 0).is_none() {
                return Err((488, "negotiated codec not supported by the mixer"));
            }
            Ok(ok)
        }
        Err(SdpError::NoCommonCodec) | Err(SdpError::NoAudio) => Err((488, "no common codec")),
        Err(_) => Err((400, "malformed SDP")),
    }
}

/// Give the leg to its conference's mixer thread and start reading its sockets.
fn join_media(
    seat: &Seat,
    leg: LegId,
    ports: &PortPair,
    n: &NegotiatedAudio,
    ssrc: u32,
    events: &mpsc::UnboundedSender<media::MediaEvent>,
) -> Option<Vec<tokio::task::JoinHandle<()>>> {
    let config = leg_config(n, ssrc)?;
    let io = LegIo {
        rtp: ports.rtp.try_clone().ok()?,
        rtcp: ports.rtcp.try_clone().ok()?,
        remote_rtp: n.remote_rtp,
        send: sends(n.direction),
        events: events.clone(),
    };
    let rtp = tokio::net::UdpSocket::from_std(ports.rtp.try_clone().ok()?).ok()?;
    let rtcp = tokio::net::UdpSocket::from_std(ports.rtcp.try_clone().ok()?).ok()?;
    seat.command(Command::AddLeg {
        conf: seat.conf().clone(),
        leg,
        config,
        io,
    });
    let sink = seat.packet_sink();
    let conf = seat.conf().clone();
    Some(vec![
        tokio::spawn(receive(
            rtp,
            sink.clone(),
            conf.clone(),
            leg,
            PacketKind::Rtp,
        )),
        tokio::spawn(receive(rtcp, sink, conf, leg, PacketKind::Rtcp)),
    ])
}

/// Read a leg's socket and queue every datagram for the mixer thread.
async fn receive(
    socket: tokio::net::UdpSocket,
    sink: PacketSink,
    conf: crate::mixer::ConfKey,
    leg: LegId,
    kind: PacketKind,
) {
    let mut buf = vec![0u8; 2048];
    loop {
        match socket.recv_from(&mut buf).await {
            Ok((n, source)) => sink.push(Inbound {
                conf: conf.clone(),
                leg,
                kind,
                source,
                data: buf[..n].to_vec(),
            }),
            // ICMP port unreachable surfaces here on some systems: keep reading, without spinning.
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(1)).await,
        }
    }
}
