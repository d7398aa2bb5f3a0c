//! One call leg, from INVITE to hang-up: read the dialled number, find the conference, take a
//! seat, negotiate SDP, hand the media to a mixer thread and follow the dialog until it ends.
//!
//! Issue #2 joins callers straight into the conference they dial (`sip:721051@bridge`, or
//! `sip:721051**1289@bridge` with a code that must match); the IVR (issue #3) will put a lobby in
//! front of this.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dialplan::{Action, DigitMerger, DigitSource, Entry, FailureOutcome, Ivr, LookupResult, Route};
use media::video::{Layout, Resolution, VideoLegConfig};
use media::{AudioCodec, LegConfig, LegId, Pt, Ssrc};
use sip::sdp::{
    self, CodecSpec, Direction, LocalMedia, LocalVideo, NegotiatedAudio, NegotiatedVideo, SdpError,
    SessionDescription,
};
use sip::Event;
use tokio::sync::mpsc;

use crate::metrics::{add, inc};
use crate::mixer::{JoinError, LegHandle, LegIo, Seat};
use crate::ports::PortPair;
use crate::sip_driver::{CallCmd, CallControl, IncomingCall};
use crate::store::NumberStatus;
use crate::unix_now;
use crate::video::{VideoHandle, VideoIo};
use crate::App;

/// Leg ids are unique in the process (they name legs in every engine).
static NEXT_LEG: AtomicU64 = AtomicU64::new(1);

/// Our Opus parameters (RFC 7587 §6.1): what we want to receive. In-band FEC is welcome (we
/// recover lost packets from it); mono, since the mix is mono.
pub const OPUS_FMTP: &str = "useinbandfec=1;stereo=0;sprop-stereo=0";

/// The codecs the bridge answers with, most preferred first: the widest audio the caller can do
/// (Opus, then G.722, then G.711).
pub fn local_codecs() -> Vec<CodecSpec> {
    let codec = |name: &str, clock_rate, channels, static_pt, fmtp: Option<&str>| CodecSpec {
        name: name.into(),
        clock_rate,
        channels,
        static_pt,
        fmtp: fmtp.map(str::to_owned),
    };
    vec![
        // RFC 7587 §7: always opus/48000/2 in SDP, whatever is sent.
        codec("opus", 48_000, 2, None, Some(OPUS_FMTP)),
        // RFC 3551: G.722 keeps the 8000 Hz RTP clock.
        codec("G722", 8000, 1, Some(9), None),
        codec("PCMU", 8000, 1, Some(0), None),
        codec("PCMA", 8000, 1, Some(8), None),
    ]
}

/// Map a negotiated stream to the engine's leg settings; `None` for a codec the engine lacks.
fn leg_config(n: &NegotiatedAudio, ssrc: u32) -> Option<LegConfig> {
    let codec = match n.codec.to_ascii_uppercase().as_str() {
        "PCMU" => AudioCodec::Pcmu,
        "PCMA" => AudioCodec::Pcma,
        "G722" => AudioCodec::G722,
        "OPUS" => AudioCodec::Opus,
        _ => return None,
    };
    Some(LegConfig {
        codec,
        payload_type: n.payload_type,
        telephone_event_pt: n.telephone_event_pt,
        ptime_ms: n.ptime_ms,
        ssrc,
        fmtp: n.fmtp.clone(),
    })
}

/// The highest H.264 level we take and send: 3.1 (1280×720 at 30 fps).
const VIDEO_MAX_LEVEL: u8 = 0x1f;
/// What we ask video callers to send us at most (b=TIAS): enough for a sharp 720p30 picture.
const VIDEO_MAX_RECV_BPS: u32 = 2_000_000;
/// The layout of a video conference booked without one.
pub const DEFAULT_LAYOUT: Layout = Layout::OnePlusN;
/// The DTMF key a participant presses to cycle the conference's layout.
pub const LAYOUT_KEY: char = '*';

/// The video thread's settings for a negotiated video stream.
fn video_leg_config(n: &NegotiatedVideo, ssrc: u32) -> VideoLegConfig {
    VideoLegConfig {
        payload_type: Pt(n.payload_type),
        ssrc: Ssrc(ssrc),
        resolution: Resolution::for_peer(
            n.max_frame_macroblocks(),
            n.max_macroblocks_per_second(),
            n.max_recv_bitrate_bps,
        ),
        max_bitrate_bps: n.max_recv_bitrate_bps,
        send: n.remote_rtp.is_some() && sends(n.direction),
        pli: n.feedback.pli,
        fir: n.feedback.fir,
        seed: rand::random(),
    }
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

/// Decrements the active-calls gauge however the call ends.
struct ActiveCall(Arc<App>);

impl Drop for ActiveCall {
    fn drop(&mut self) {
        add(&self.0.metrics.calls_active, -1);
    }
}

/// A leg's media: its mixer handle (lobby or conference) and its ports. Dropping it removes the
/// leg from its engine (whose thread stops reading its sockets) and frees the ports.
struct Media {
    handle: LegHandle,
    /// Held so the ports return to the pool only when the leg is gone.
    _ports: PortPair,
}

/// A leg's video: negotiated at the INVITE, sent to the video thread when the caller joins a
/// video conference.
struct Video {
    ports: PortPair,
    negotiated: Option<NegotiatedVideo>,
    ssrc: u32,
    /// The video thread has (clones of) the sockets.
    sockets_sent: bool,
}

/// The shortest time a code check takes, found or not, so its timing tells nothing.
const CODE_CHECK_FLOOR: Duration = Duration::from_millis(300);
/// A press of one key reported by two sources within this window is one press.
const DIGIT_MERGE_WINDOW: Duration = Duration::from_millis(300);

/// One call's state.
struct Call {
    app: Arc<App>,
    ctl: CallControl,
    leg: LegId,
    source: SocketAddr,
    language: String,
    /// The gateway number chose the language (its callers' country); otherwise the booking's
    /// language takes over once the conference is known.
    language_from_route: bool,
    media: Option<Media>,
    /// Video ports and what was negotiated on them, when the caller offered video.
    video: Option<Video>,
    /// The conference's layout, when the caller's conference (known after the code) has video.
    conference_video: Option<Layout>,
    /// In the conference's video, as a picture or a name tile (dropping it leaves).
    video_handle: Option<VideoHandle>,
    /// The caller's name for its tile (From display name, else user part).
    name: String,
    /// The seat reserved by an accepted code (the caller is in the conference once `joined`).
    seat: Option<Seat>,
    joined: bool,
    ivr: Option<Ivr>,
    entry: Option<Entry>,
    digits: DigitMerger,
    /// What was negotiated last (to tell a codec change in a re-INVITE).
    current: Option<NegotiatedAudio>,
    local: LocalMedia,
    ssrc: u32,
    events_tx: mpsc::UnboundedSender<media::MediaEvent>,
    /// Our SDP offer, when the INVITE had none (the answer comes in the ACK).
    our_offer: Option<SessionDescription>,
    /// Ports waiting for the ACK's answer.
    pending_ports: Option<PortPair>,
    hanging_up: bool,
    /// Plays asked of the engine, and `PlaybackFinished` events seen: the engine reports each
    /// play exactly once and in order, so only the event that brings `finished` up to `plays`
    /// is about the prompt playing now (a stopped or replaced one must not advance the IVR).
    plays: u64,
    finished: u64,
}

/// Run one call to its end.
pub async fn run(app: Arc<App>, incoming: IncomingCall, ctl: CallControl) {
    add(&app.metrics.calls_active, 1);
    let _active = ActiveCall(Arc::clone(&app));
    let leg = LegId(NEXT_LEG.fetch_add(1, Ordering::Relaxed));

    let reject = |ctl: &CallControl, status: u16, why: &str| {
        tracing::info!(leg = leg.0, status, why, "call rejected");
        inc(&app.metrics.calls_rejected_total);
        ctl.send(CallCmd::Reject(status));
    };

    if app.lockout_refuses(incoming.source.ip()) {
        inc(&app.metrics.ivr_lockout_refusals_total);
        return reject(&ctl, 403, "source locked out after too many wrong codes");
    }
    let user = incoming
        .request_uri
        .auth
        .as_ref()
        .map(|a| a.user.clone())
        .unwrap_or_default();
    let route = dialplan::classify(&user, &app.config.gateways, &app.config.country_code);
    let language_from_route = matches!(route, Route::Gateway { .. } | Route::Gds { .. });
    let (entry, language) = match route {
        Route::Gateway { language } => (Entry::Gateway, language),
        Route::Gds { language, number } => (Entry::Conference { number }, language),
        Route::Conference { number } => (Entry::Conference { number }, app.config.language.clone()),
        Route::Direct { number, code } => {
            (Entry::Direct { number, code }, app.config.language.clone())
        }
        Route::Unknown => (Entry::Unknown, app.config.language.clone()),
    };
    let Some(ports) = app.ports.allocate() else {
        return reject(&ctl, 503, "no RTP port free");
    };
    // Video ports only for a caller that offers video and may reach a video conference.
    let video_ports = if video_possible(&app, &entry, incoming.offer.as_deref()).await {
        app.ports.allocate()
    } else {
        None
    };
    let local = LocalMedia {
        address: local_ip_toward(&app, incoming.source),
        audio_port: ports.port,
        codecs: local_codecs(),
        telephone_event: true,
        comfort_noise: true,
        session_id: u64::from(rand::random::<u32>()),
        session_version: 1,
        video: video_ports.as_ref().map(|p| LocalVideo {
            port: p.port,
            max_level_idc: VIDEO_MAX_LEVEL,
            max_recv_bitrate_bps: VIDEO_MAX_RECV_BPS,
        }),
    };
    let (events_tx, media_events) = mpsc::unbounded_channel();
    let mut call = Call {
        app: Arc::clone(&app),
        ctl,
        leg,
        source: incoming.source,
        language,
        language_from_route,
        media: None,
        video: video_ports.map(|ports| Video {
            ports,
            negotiated: None,
            ssrc: rand::random(),
            sockets_sent: false,
        }),
        conference_video: None,
        video_handle: None,
        name: caller_name(&incoming.from),
        seat: None,
        joined: false,
        ivr: None,
        entry: Some(entry),
        digits: DigitMerger::new(DIGIT_MERGE_WINDOW),
        current: None,
        local,
        ssrc: rand::random(),
        events_tx,
        our_offer: None,
        pending_ports: None,
        hanging_up: false,
        plays: 0,
        finished: 0,
    };

    // With an offer: answer now. Without: offer in the 200, read the answer from the ACK.
    match &incoming.offer {
        Some(body) => match negotiate_offer(body, &call.local) {
            Ok((answer, n, v)) => {
                if !call.start_media(ports, &n) {
                    return reject(&call.ctl, 500, "cannot set up media");
                }
                call.set_video(v);
                call.current = Some(n);
                call.ctl.send(CallCmd::Accept(answer.to_bytes()));
            }
            Err((status, why)) => return reject(&call.ctl, status, why),
        },
        None => {
            let offer = sdp::offer(&call.local);
            call.ctl.send(CallCmd::Accept(offer.to_bytes()));
            call.our_offer = Some(offer);
            call.pending_ports = Some(ports);
        }
    }
    tracing::info!(leg = leg.0, dialled = %redact_code(&user), source = %incoming.source, "call answered");
    call.run(media_events).await;
}

impl Call {
    async fn run(&mut self, mut media_events: mpsc::UnboundedReceiver<media::MediaEvent>) {
        loop {
            let timer = self.ivr.as_ref().and_then(Ivr::poll_timeout);
            tokio::select! {
                event = self.ctl.events.recv() => {
                    let Some(event) = event else { break };
                    if !self.on_sip(event).await {
                        break;
                    }
                }
                Some(event) = media_events.recv() => self.on_media(event),
                _ = sleep_until(timer), if timer.is_some() => {
                    if let Some(ivr) = &mut self.ivr {
                        ivr.handle_timeout(Instant::now());
                    }
                }
            }
            self.drive_ivr().await;
        }
    }

    /// Handle a SIP event; false when the call is over.
    async fn on_sip(&mut self, event: Event) -> bool {
        match event {
            Event::CallConfirmed { answer, .. } => {
                if let (Some(offer), Some(ports)) =
                    (self.our_offer.take(), self.pending_ports.take())
                {
                    let n = answer
                        .as_deref()
                        .ok_or(SdpError::NoAudio)
                        .and_then(SessionDescription::parse)
                        .and_then(|a| sdp::negotiate_answer_av(&offer, &a));
                    match n {
                        Ok((n, v)) if self.start_media(ports, &n) => {
                            self.set_video(v);
                            self.current = Some(n);
                        }
                        _ => {
                            tracing::info!(
                                leg = self.leg.0,
                                "unusable SDP answer in ACK; hanging up"
                            );
                            self.hang_up();
                            return true;
                        }
                    }
                }
                // The caller hears the IVR from the moment the call is up.
                if let Some(entry) = self.entry.take() {
                    self.ivr = Some(Ivr::new(Instant::now(), self.app.config.ivr.clone(), entry));
                }
            }
            Event::ReInvite { offer, .. } => self.on_reinvite(offer),
            Event::Info {
                content_type, body, ..
            } => {
                if let Some(digit) = dialplan::digits::parse_info(&content_type, &body) {
                    self.on_digit(digit, DigitSource::Info);
                }
            }
            Event::CallEnded { reason, .. } => {
                tracing::info!(
                    leg = self.leg.0,
                    ?reason,
                    joined = self.joined,
                    "call ended"
                );
                return false;
            }
            Event::IncomingCall { .. } | Event::Progress { .. } | Event::Answered { .. } => {}
        }
        true
    }

    fn on_reinvite(&mut self, offer: Option<Vec<u8>>) {
        self.local.session_version += 1;
        let Some(body) = offer else {
            // A re-INVITE without SDP: offer the same media again.
            self.ctl
                .send(CallCmd::Accept(sdp::offer(&self.local).to_bytes()));
            return;
        };
        match negotiate_offer(&body, &self.local) {
            Ok((answer, n, v)) => {
                self.set_video(v);
                if let Some(m) = &self.media {
                    let codec_changed = self.current.as_ref().is_none_or(|c| {
                        c.payload_type != n.payload_type || c.codec != n.codec || c.fmtp != n.fmtp
                    });
                    let config = if codec_changed {
                        leg_config(&n, self.ssrc)
                    } else {
                        None
                    };
                    m.handle.update(config, n.remote_rtp, sends(n.direction));
                }
                tracing::info!(leg = self.leg.0, direction = ?n.direction, codec = %n.codec, "re-INVITE answered");
                self.current = Some(n);
                self.ctl.send(CallCmd::Accept(answer.to_bytes()));
            }
            Err((status, _)) => self.ctl.send(CallCmd::Reject(status)),
        }
    }

    fn on_media(&mut self, event: media::MediaEvent) {
        match event {
            media::MediaEvent::Dtmf { digit, .. } => self.on_digit(digit, DigitSource::Rfc4733),
            media::MediaEvent::InBandDigit { digit, .. } => {
                self.on_digit(digit, DigitSource::InBand)
            }
            media::MediaEvent::PlaybackFinished { .. } => {
                self.finished += 1;
                if self.finished == self.plays {
                    if let Some(ivr) = &mut self.ivr {
                        ivr.handle_prompt_finished(Instant::now());
                    }
                }
            }
            media::MediaEvent::Talking { talking, .. } => {
                if let Some(handle) = &self.video_handle {
                    handle.talking(talking);
                }
            }
        }
    }

    fn on_digit(&mut self, digit: char, source: DigitSource) {
        let now = Instant::now();
        let Some(digit) = self.digits.accept(now, digit, source) else {
            return;
        };
        inc(&self.app.metrics.dtmf_digits_total);
        if self.joined && digit == LAYOUT_KEY {
            if let Some(handle) = &self.video_handle {
                handle.cycle_layout();
            }
        }
        if let Some(ivr) = &mut self.ivr {
            ivr.handle_digit(now, digit);
        }
    }

    /// Carry out what the IVR asks, until it has nothing more to say.
    async fn drive_ivr(&mut self) {
        while let Some(action) = self.ivr.as_mut().and_then(Ivr::poll_action) {
            match action {
                Action::Play(prompts) => {
                    if let Some(m) = &self.media {
                        self.plays += 1;
                        m.handle
                            .play(self.app.prompts.clips(&self.language, &prompts));
                    }
                }
                Action::StopPrompt => {
                    if let Some(m) = &self.media {
                        m.handle.stop_playback();
                    }
                }
                Action::Lookup { number, code } => {
                    let result = self.lookup(&number, code.as_deref()).await;
                    if let Some(ivr) = &mut self.ivr {
                        ivr.handle_lookup(Instant::now(), result);
                    }
                }
                Action::Join { number } => self.join(&number).await,
                Action::Hangup => self.hang_up(),
            }
        }
        if self.ivr.as_ref().is_some_and(Ivr::is_finished) {
            self.ivr = None;
        }
    }

    /// Answer the IVR's lookup from the store. A code check always takes at least
    /// `CODE_CHECK_FLOOR` and compares the code whether or not the number exists.
    async fn lookup(&mut self, number: &str, code: Option<&str>) -> LookupResult {
        let started = Instant::now();
        let status = match self
            .app
            .store
            .lookup(number, unix_now(), self.app.config.early_join_secs)
            .await
        {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "store lookup failed");
                NumberStatus::NotFound
            }
        };
        // A room system dialling the conference hears the language it was booked in, once the
        // number is known to exist (no code given) or the code is right: after a wrong code the
        // voice must not change, or it would tell that the number exists.
        let booked_language = match &status {
            NumberStatus::Open(c) | NumberStatus::NotStarted(c) | NumberStatus::Ended(c)
                if !self.language_from_route
                    && crate::config::LANGUAGES.contains(&c.language.as_str()) =>
            {
                Some(c.language.clone())
            }
            _ => None,
        };
        let Some(code) = code else {
            if let Some(language) = booked_language {
                self.language = language;
            }
            return match status {
                NumberStatus::NotFound => LookupResult::NotFound,
                NumberStatus::NotStarted(_) => LookupResult::NotStarted,
                NumberStatus::Ended(_) => LookupResult::Ended,
                NumberStatus::Open(c) => LookupResult::Ok {
                    participants: self.app.mixers.participants(&c.id) as u32,
                },
            };
        };
        let expected = match &status {
            NumberStatus::NotFound => None,
            NumberStatus::NotStarted(c) | NumberStatus::Ended(c) | NumberStatus::Open(c) => {
                Some(c.access_code.as_str())
            }
        };
        let locked = self.app.lockout_refuses(self.source.ip());
        let code_ok = constant_time_eq(
            code.as_bytes(),
            expected.unwrap_or("\u{0}-no-code").as_bytes(),
        );
        if let (false, true, Some(language)) = (locked, code_ok, booked_language) {
            self.language = language;
        }
        let result = match status {
            _ if locked => LookupResult::WrongCode,
            NumberStatus::NotFound => LookupResult::NotFound,
            _ if !code_ok => {
                self.code_failed(number);
                LookupResult::WrongCode
            }
            NumberStatus::NotStarted(_) => LookupResult::NotStarted,
            NumberStatus::Ended(_) => LookupResult::Ended,
            NumberStatus::Open(c) => {
                let capacity = usize::try_from(c.capacity).unwrap_or(0);
                match self.app.mixers.join(&c.id, capacity) {
                    Ok(seat) => {
                        self.conference_video = (c.kind == "video")
                            .then(|| Layout::from_name(&c.layout).unwrap_or(DEFAULT_LAYOUT));
                        let others = seat.others() as u32;
                        self.seat = Some(seat);
                        LookupResult::Ok {
                            participants: others,
                        }
                    }
                    Err(JoinError::Full) => {
                        tracing::info!(leg = self.leg.0, conference = number, "conference full");
                        LookupResult::Full
                    }
                }
            }
        };
        tokio::time::sleep_until((started + CODE_CHECK_FLOOR).into()).await;
        result
    }

    fn code_failed(&mut self, number: &str) {
        inc(&self.app.metrics.ivr_wrong_codes_total);
        let outcome = {
            let mut lockout = self.app.lockout.lock().unwrap_or_else(|p| p.into_inner());
            lockout.record_failure(Instant::now(), self.source.ip(), number)
        };
        if outcome == FailureOutcome::Locked {
            inc(&self.app.metrics.ivr_lockouts_total);
            tracing::warn!(source = %self.source.ip(), conference = number, "too many wrong access codes: source locked out");
        }
    }

    /// Move the caller from the lobby into the conference its seat was reserved in.
    async fn join(&mut self, number: &str) {
        let (Some(seat), Some(m)) = (&self.seat, &self.media) else {
            self.hang_up();
            return;
        };
        m.handle.set_inband_dtmf(false);
        m.handle.move_to(seat).await;
        self.joined = true;
        let (conf, others) = (seat.conf().clone(), seat.others());
        if let Some(layout) = self.conference_video {
            self.join_video(&conf, layout);
        }
        inc(&self.app.metrics.calls_joined_total);
        tracing::info!(
            leg = self.leg.0,
            conference = number,
            others,
            video = self.conference_video.map(Layout::name),
            "joined"
        );
    }

    /// Enter the conference's video: as a picture when video was negotiated, else as a tile
    /// with the caller's name.
    fn join_video(&mut self, conf: &str, layout: Layout) {
        // Without video, its name tile is all the others see of this participant.
        self.video_handle = Some(self.app.video.join(conf, self.leg, &self.name, layout));
        self.sync_video();
    }

    /// Record the video outcome of an offer/answer; in the conference, the video thread follows
    /// (a re-INVITE may hold, resume, add or drop the video).
    fn set_video(&mut self, negotiated: Option<NegotiatedVideo>) {
        let Some(v) = &mut self.video else { return };
        if let Some(n) = &negotiated {
            tracing::info!(
                leg = self.leg.0,
                pt = n.payload_type,
                mode = n.packetization_mode,
                profile_level_id = %format!("{:02x}{:02x}{:02x}", n.profile_level_id[0], n.profile_level_id[1], n.profile_level_id[2]),
                direction = ?n.direction,
                "video negotiated"
            );
        }
        v.negotiated = negotiated;
        self.sync_video();
    }

    /// Tell the video thread what was negotiated last: the settings (and the sockets, the first
    /// time), or that the leg has no video any more.
    fn sync_video(&mut self) {
        let (Some(handle), Some(v)) = (&self.video_handle, &mut self.video) else {
            return;
        };
        match &v.negotiated {
            Some(n) => {
                let io = if v.sockets_sent {
                    None
                } else {
                    let sockets = (|| {
                        Some((
                            v.ports.rtp.try_clone().ok()?,
                            v.ports.rtcp.try_clone().ok()?,
                        ))
                    })();
                    let Some((rtp, rtcp)) = sockets else { return };
                    v.sockets_sent = true;
                    Some(VideoIo {
                        rtp,
                        rtcp,
                        remote_rtp: n.remote_rtp,
                    })
                };
                handle.set_video(video_leg_config(n, v.ssrc), n.remote_rtp, io);
            }
            None => handle.clear_video(),
        }
    }

    fn hang_up(&mut self) {
        if !self.hanging_up {
            self.hanging_up = true;
            self.ctl.send(CallCmd::Hangup);
        }
    }

    /// Put the leg in its lobby engine and start reading its sockets.
    fn start_media(&mut self, ports: PortPair, n: &NegotiatedAudio) -> bool {
        let Some(config) = leg_config(n, self.ssrc) else {
            return false;
        };
        // The mixer thread holding the leg reads and sends on clones of the sockets (the ports
        // stay here so they return to the pool when the call ends).
        let sockets = (|| Some((ports.rtp.try_clone().ok()?, ports.rtcp.try_clone().ok()?)))();
        let Some((rtp, rtcp)) = sockets else {
            return false;
        };
        let io = LegIo {
            rtp,
            rtcp,
            remote_rtp: n.remote_rtp,
            send: sends(n.direction),
            events: self.events_tx.clone(),
        };
        tracing::info!(
            leg = self.leg.0,
            codec = %n.codec,
            pt = n.payload_type,
            clock_rate = n.clock_rate,
            "media negotiated"
        );
        let handle = self.app.mixers.add_to_lobby(self.leg, config, io);
        handle.set_inband_dtmf(true);
        self.media = Some(Media {
            handle,
            _ports: ports,
        });
        true
    }
}

/// Whether to open video ports for this call: the offer has a video stream, and the dialled
/// conference (when the Request-URI names one) is a video conference. A caller who reaches
/// the IVR without a number (a room system dialling the bridge itself) keeps its video, in
/// case its conference has some. Phone gateways never offer video.
async fn video_possible(app: &App, entry: &Entry, offer: Option<&[u8]>) -> bool {
    let offers_video = offer
        .and_then(|b| SessionDescription::parse(b).ok())
        .is_some_and(|sdp| {
            sdp.media
                .iter()
                .any(|m| m.media.eq_ignore_ascii_case("video") && m.port != 0)
        });
    if !offers_video {
        return false;
    }
    let number = match entry {
        Entry::Conference { number } | Entry::Direct { number, .. } => number,
        // A gateway (or an SBC passing a video line through) reaches audio only.
        Entry::Gateway => return false,
        _ => return true,
    };
    match app
        .store
        .lookup(number, unix_now(), app.config.early_join_secs)
        .await
    {
        Ok(NumberStatus::Open(c) | NumberStatus::NotStarted(c) | NumberStatus::Ended(c)) => {
            c.kind == "video"
        }
        // An unknown number goes to the IVR, which may lead anywhere.
        _ => true,
    }
}

/// A caller's name for its video tile: the From display name, else its user part.
fn caller_name(from: &str) -> String {
    let display = from
        .split('<')
        .next()
        .map(|d| d.trim().trim_matches('"').trim())
        .filter(|d| !d.is_empty() && from.contains('<'));
    let name = display.map(str::to_owned).unwrap_or_else(|| {
        let uri = from
            .split('<')
            .nth(1)
            .unwrap_or(from)
            .split('>')
            .next()
            .unwrap_or("");
        let uri = uri.split(';').next().unwrap_or(uri);
        let user = uri.split(':').nth(1).unwrap_or(uri);
        user.split('@').next().unwrap_or(user).to_owned()
    });
    name.chars().take(32).collect()
}

/// The dialled user part for logs, without an access code carried after `**`.
fn redact_code(user: &str) -> std::borrow::Cow<'_, str> {
    match user.find("**") {
        Some(at) => format!("{}**…", &user[..at]).into(),
        None => user.into(),
    }
}

/// Compare without an early exit, so the time taken does not tell how much of a code matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// Answer an SDP offer, or say which status refuses it.
#[allow(clippy::type_complexity)]
fn negotiate_offer(
    body: &[u8],
    local: &LocalMedia,
) -> Result<(SessionDescription, NegotiatedAudio, Option<NegotiatedVideo>), (u16, &'static str)> {
    let offer = SessionDescription::parse(body).map_err(|_| (400, "malformed SDP"))?;
    match sdp::answer_av(&offer, local) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_never_reach_the_logs() {
        assert_eq!(redact_code("721051**1289"), "721051**…");
        assert_eq!(redact_code("721051***1289"), "721051**…");
        assert_eq!(redact_code("721051"), "721051");
    }

    #[test]
    fn caller_names() {
        assert_eq!(
            caller_name("\"Salle Jaurès\" <sip:salle@univ.fr>;tag=1"),
            "Salle Jaurès"
        );
        assert_eq!(caller_name("<sip:0612345678@gw.fr>;tag=9"), "0612345678");
        assert_eq!(caller_name("sip:alice@example.org;tag=2"), "alice");
        assert_eq!(caller_name("Bob <sip:bob@h>"), "Bob");
    }

    #[test]
    fn constant_time_compare() {
        assert!(constant_time_eq(b"1289", b"1289"));
        assert!(!constant_time_eq(b"1289", b"1288"));
        assert!(!constant_time_eq(b"1289", b"12890"));
        assert!(!constant_time_eq(b"", b"1"));
    }
}
