//! IVR helpers for the end-to-end tests: keying digits into a [`Phone`] by RFC 4733, a second
//! scripted caller ([`IvrCaller`]) that keys digits by SIP INFO or as in-band tones in its G.711
//! audio, and bounded waits on metrics and on the bridge's BYE.
//!
//! [`IvrCaller`] is its own small UAC (our `sip::Endpoint` on a UDP socket, driven by a task) with
//! an RTP socket that sends µ-law every 20 ms and records what the bridge sends, so that the
//! tests can choose exactly what goes in the audio. It leaves [`Phone`] untouched.

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use media::g711::Law;
use media::rtp::RtpHeader;
use media::{Pt, SeqNo, Ssrc};
use sip::sdp::{self, LocalMedia, SessionDescription};
use sip::{CallHandle, EndReason, Endpoint, EndpointConfig, Event, Transport};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::phone::pcmu;
use super::{metric_value, Phone, TestBridge};

/// After the `#` that ends an entry the bridge looks it up (at least 300 ms, digits ignored
/// meanwhile): wait this long before keying the next entry.
pub const AFTER_HASH: Duration = Duration::from_millis(700);
/// Between two digits of one entry.
const BETWEEN_DIGITS: Duration = Duration::from_millis(150);
/// After the 200 OK, before the first digit: the ACK must have reached the bridge, which starts
/// the IVR only then.
pub const SETTLE: Duration = Duration::from_millis(600);

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const FRAME: usize = 160;

/// Key `digits` on `phone` by RFC 4733, waiting [`AFTER_HASH`] after every `#`.
pub async fn key_rfc4733(phone: &Phone, digits: &str) {
    for d in digits.chars() {
        phone.send_dtmf(d).await;
        tokio::time::sleep(if d == '#' { AFTER_HASH } else { BETWEEN_DIGITS }).await;
    }
}

/// Wait until the metric `name` reads at least `value`; returns the last reading, which is
/// below `value` only when `timeout` passed first.
pub async fn wait_metric_at_least(
    b: &TestBridge,
    name: &str,
    value: f64,
    timeout: Duration,
) -> f64 {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let v = metric_value(&b.metrics().await, name).unwrap_or(f64::NAN);
        if v >= value || tokio::time::Instant::now() >= deadline {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// µ-law frames of one DTMF key: `on` of the key's two tones, then `off` of silence.
fn dtmf_frames(key: char, on: Duration, off: Duration) -> Vec<Vec<i16>> {
    let (low, high) = media::inband::frequencies(key).expect("a DTMF key");
    let on_samples = (on.as_millis() as usize * 8).div_ceil(FRAME) * FRAME;
    let off_samples = (off.as_millis() as usize * 8).div_ceil(FRAME) * FRAME;
    // Each component at −16 dBFS: a firm but ordinary level (about −13 dBm0 per tone).
    let a = 0.16;
    let lo = media::goertzel::tone(low, 8000.0, a, 0, on_samples);
    let hi = media::goertzel::tone(high, 8000.0, a, 0, on_samples);
    let mut pcm: Vec<i16> = lo
        .iter()
        .zip(&hi)
        .map(|(x, y)| x.saturating_add(*y))
        .collect();
    pcm.resize(on_samples + off_samples, 0);
    pcm.chunks(FRAME).map(<[i16]>::to_vec).collect()
}

/// One RTP packet the caller received.
#[derive(Debug, Clone)]
struct Heard {
    at: Instant,
    pt: u8,
    payload: Vec<u8>,
}

enum UaCmd {
    Info(String, Vec<u8>, oneshot::Sender<()>),
    Hangup,
}

enum MediaCmd {
    InBand(char, oneshot::Sender<()>),
}

/// A caller that keys digits by SIP INFO or in-band tones (PCMU only, no telephone-event unless
/// asked), sends `tone_hz` (or digital silence) otherwise, and records what it hears.
pub struct IvrCaller {
    ua: mpsc::UnboundedSender<UaCmd>,
    events: mpsc::UnboundedReceiver<Event>,
    media: mpsc::UnboundedSender<MediaCmd>,
    heard: Arc<Mutex<Vec<Heard>>>,
    pt: u8,
    ended: Option<EndReason>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for IvrCaller {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl IvrCaller {
    /// Dial `sip:{user}@{bridge}` over UDP; `Ok` once answered (the final status otherwise).
    pub async fn dial(
        bridge: SocketAddr,
        user: &str,
        tone_hz: Option<f64>,
        telephone_event: bool,
    ) -> Result<IvrCaller, String> {
        let rtp = UdpSocket::bind((LOCALHOST, 0))
            .await
            .map_err(|e| e.to_string())?;
        let rtp = Arc::new(rtp);
        let rtp_addr = rtp.local_addr().map_err(|e| e.to_string())?;
        let sip_socket = UdpSocket::bind((LOCALHOST, 0))
            .await
            .map_err(|e| e.to_string())?;
        let mut config = EndpointConfig::new(sip_socket.local_addr().map_err(|e| e.to_string())?);
        config.user_agent = "pont-test-ivr-caller".into();
        config.seed = u64::from(std::process::id()) << 32 | u64::from(rtp_addr.port());
        let mut endpoint = Endpoint::new(config);
        let local = LocalMedia {
            address: LOCALHOST,
            audio_port: rtp_addr.port(),
            codecs: vec![pcmu()],
            telephone_event,
            comfort_noise: false,
            session_id: u64::from(rtp_addr.port()),
            session_version: 1,
            video: None,
        };
        let offer = sdp::offer(&local);
        let call = endpoint.invite(
            Instant::now(),
            &format!("sip:{user}@{bridge}"),
            bridge,
            Transport::Udp,
            Some(offer.to_bytes()),
        );
        let (ua_tx, ua_rx) = mpsc::unbounded_channel();
        let (ev_tx, mut events) = mpsc::unbounded_channel();
        let mut tasks = vec![tokio::spawn(run_ua(
            endpoint, sip_socket, call, ua_rx, ev_tx,
        ))];

        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let answer = loop {
            match tokio::time::timeout_at(deadline, events.recv()).await {
                Ok(Some(Event::Answered { answer, .. })) => break answer,
                Ok(Some(Event::CallEnded { reason, .. })) => {
                    for t in &tasks {
                        t.abort();
                    }
                    return Err(format!("call ended before answer: {reason:?}"));
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => {
                    for t in &tasks {
                        t.abort();
                    }
                    return Err("no answer within 5 s".into());
                }
            }
        };
        let negotiated = answer
            .ok_or_else(|| "no SDP in the 200 OK".to_string())
            .and_then(|b| SessionDescription::parse(&b).map_err(|e| e.to_string()))
            .and_then(|a| sdp::negotiate_answer(&offer, &a).map_err(|e| e.to_string()))?;
        let target = negotiated
            .remote_rtp
            .ok_or("no RTP address in the answer")?;
        let heard = Arc::new(Mutex::new(Vec::new()));
        tasks.push(tokio::spawn(record(Arc::clone(&rtp), Arc::clone(&heard))));
        let (media_tx, media_rx) = mpsc::unbounded_channel();
        tasks.push(tokio::spawn(send_audio(
            rtp,
            target,
            negotiated.payload_type,
            tone_hz,
            media_rx,
        )));
        Ok(IvrCaller {
            ua: ua_tx,
            events,
            media: media_tx,
            heard,
            pt: negotiated.payload_type,
            ended: None,
            tasks,
        })
    }

    /// Key one digit by SIP INFO (`application/dtmf-relay`); returns once the INFO is sent.
    pub async fn info_digit(&self, digit: char) {
        let body = format!("Signal={digit}\r\nDuration=160\r\n").into_bytes();
        let (done, wait) = oneshot::channel();
        let _ = self
            .ua
            .send(UaCmd::Info("application/dtmf-relay".into(), body, done));
        let _ = tokio::time::timeout(Duration::from_secs(2), wait).await;
    }

    /// Key `digits` by SIP INFO, waiting [`AFTER_HASH`] after every `#`.
    pub async fn key_info(&self, digits: &str) {
        for d in digits.chars() {
            self.info_digit(d).await;
            tokio::time::sleep(if d == '#' { AFTER_HASH } else { BETWEEN_DIGITS }).await;
        }
    }

    /// Key `digits` as in-band DTMF tones in the audio (120 ms on, 120 ms off each), waiting
    /// [`AFTER_HASH`] after every `#`.
    pub async fn key_inband(&self, digits: &str) {
        for d in digits.chars() {
            let (done, wait) = oneshot::channel();
            let _ = self.media.send(MediaCmd::InBand(d, done));
            let _ = tokio::time::timeout(Duration::from_secs(2), wait).await;
            if d == '#' {
                tokio::time::sleep(AFTER_HASH).await;
            }
        }
    }

    /// The audio heard in the last `window`, decoded.
    pub fn received_pcm(&self, window: Duration) -> Vec<i16> {
        let since = Instant::now() - window;
        let heard = self.heard.lock().unwrap();
        let mut pcm = Vec::new();
        for p in heard.iter().filter(|p| p.at >= since && p.pt == self.pt) {
            let start = pcm.len();
            pcm.resize(start + p.payload.len(), 0);
            Law::Ulaw.decode(&p.payload, &mut pcm[start..]);
        }
        pcm
    }

    /// Wait for the call to end; `None` if it has not within `timeout`.
    pub async fn wait_ended(&mut self, timeout: Duration) -> Option<EndReason> {
        if self.ended.is_some() {
            return self.ended;
        }
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(Event::CallEnded { reason, .. })) => {
                    self.ended = Some(reason);
                    return self.ended;
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => return None,
            }
        }
    }

    /// Send BYE and wait (at most `timeout`) for the call to end.
    pub async fn hangup(&mut self, timeout: Duration) -> Option<EndReason> {
        let _ = self.ua.send(UaCmd::Hangup);
        self.wait_ended(timeout).await
    }
}

/// The SIP side: the endpoint and its socket, until the caller is dropped.
async fn run_ua(
    mut endpoint: Endpoint,
    socket: UdpSocket,
    call: CallHandle,
    mut cmds: mpsc::UnboundedReceiver<UaCmd>,
    events: mpsc::UnboundedSender<Event>,
) {
    let mut buf = vec![0u8; 65_535];
    loop {
        while let Some(t) = endpoint.poll_transmit() {
            let _ = socket.send_to(&t.payload, t.destination).await;
        }
        while let Some(e) = endpoint.poll_event() {
            let _ = events.send(e);
        }
        let timer = endpoint.poll_timeout();
        let sleep = async {
            match timer {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            cmd = cmds.recv() => match cmd {
                None => return,
                Some(UaCmd::Info(content_type, body, done)) => {
                    endpoint.send_info(Instant::now(), call, &content_type, body);
                    let _ = done.send(());
                }
                Some(UaCmd::Hangup) => endpoint.hangup(Instant::now(), call),
            },
            read = socket.recv_from(&mut buf) => {
                if let Ok((n, source)) = read {
                    endpoint.handle_input(Instant::now(), &buf[..n], source, Transport::Udp);
                }
            }
            _ = sleep => endpoint.handle_timeout(Instant::now()),
        }
    }
}

async fn record(socket: Arc<UdpSocket>, out: Arc<Mutex<Vec<Heard>>>) {
    let mut buf = [0u8; 2048];
    loop {
        let Ok((n, _)) = socket.recv_from(&mut buf).await else {
            tokio::time::sleep(Duration::from_millis(1)).await;
            continue;
        };
        if let Ok(p) = media::rtp::parse(&buf[..n]) {
            out.lock().unwrap().push(Heard {
                at: Instant::now(),
                pt: p.header.pt.0,
                payload: p.payload.to_vec(),
            });
        }
    }
}

/// µ-law every 20 ms on an absolute schedule: queued DTMF frames first, else the tone.
async fn send_audio(
    socket: Arc<UdpSocket>,
    target: SocketAddr,
    pt: u8,
    tone_hz: Option<f64>,
    mut cmds: mpsc::UnboundedReceiver<MediaCmd>,
) {
    let ssrc = Ssrc(0x5eed_0000 | u32::from(target.port()));
    let mut seq = SeqNo(1000);
    let mut ts = 160_000u32;
    let mut sample = 0usize;
    let mut queued: VecDeque<Vec<i16>> = VecDeque::new();
    let mut waiting: Option<oneshot::Sender<()>> = None;
    let mut interval = tokio::time::interval(Duration::from_millis(20));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut payload = [0u8; FRAME];
    let mut packet = [0u8; 12 + FRAME];
    loop {
        tokio::select! {
            cmd = cmds.recv() => match cmd {
                None => return,
                Some(MediaCmd::InBand(key, done)) => {
                    queued.extend(dtmf_frames(key, Duration::from_millis(120), Duration::from_millis(120)));
                    // The previous digit's sender is told when its frames are all out.
                    if let Some(w) = waiting.replace(done) {
                        let _ = w.send(());
                    }
                }
            },
            _ = interval.tick() => {
                let pcm = match queued.pop_front() {
                    Some(f) => f,
                    None => {
                        if let Some(w) = waiting.take() {
                            let _ = w.send(());
                        }
                        match tone_hz {
                            Some(hz) => media::goertzel::tone(hz, 8000.0, 0.25, sample, FRAME),
                            None => vec![0; FRAME],
                        }
                    }
                };
                Law::Ulaw.encode(&pcm, &mut payload);
                let header = RtpHeader { pt: Pt(pt), marker: seq.0 == 1000, seq, timestamp: ts, ssrc };
                if let Ok(n) = media::rtp::write(&mut packet, &header, &payload) {
                    let _ = socket.send_to(&packet[..n], target).await;
                }
                seq = seq.next();
                ts = ts.wrapping_add(FRAME as u32);
                sample += FRAME;
            }
        }
    }
}
