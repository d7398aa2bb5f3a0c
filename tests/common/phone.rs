//! A scripted SIP phone for the end-to-end tests, built on our own `sip` crate (UAC side of
//! [`sip::Endpoint`]) and `media` helpers, talking to the bridge over real loopback sockets.
//!
//! One phone = one [`sip::Endpoint`] on its own SIP socket (UDP, or one TCP connection to the
//! bridge), one RTP/RTCP socket pair, a sender task that puts a sine tone on the wire every
//! 20 ms on an absolute schedule, encoded with the negotiated codec (G.711, G.722 or Opus), and a
//! receiver task that records every RTP packet the bridge sends. Tests read what the phone heard
//! with [`Phone::received_pcm`] (G.711 calls, 8 kHz) or [`Phone::received_audio`] (any codec, at
//! its sample rate) and measure it with `media::goertzel`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use media::g711::Law;
use media::g722::{G722Decoder, G722Encoder};
use media::opus::{OpusDecoder, OpusEncoder, OpusParams};
use media::rtp::RtpHeader;
use media::{AudioCodec, Pt, SeqNo, Ssrc};
use sip::framing::StreamFramer;
use sip::sdp::{
    self, CodecSpec, LocalMedia, LocalVideo, NegotiatedAudio, NegotiatedVideo, SessionDescription,
};
use sip::{CallHandle, EndReason, Endpoint, EndpointConfig, Event, Transmit, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// Room for one RTP packet: header and the largest payload the phone sends.
const MAX_PACKET: usize = 1500;
/// The packet interval.
const PTIME: Duration = Duration::from_millis(20);
/// Loopback.
const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// PCMU (static payload type 0).
pub fn pcmu() -> CodecSpec {
    CodecSpec {
        name: "PCMU".into(),
        clock_rate: 8000,
        channels: 1,
        static_pt: Some(0),
        fmtp: None,
    }
}

/// PCMA (static payload type 8).
pub fn pcma() -> CodecSpec {
    CodecSpec {
        name: "PCMA".into(),
        clock_rate: 8000,
        channels: 1,
        static_pt: Some(8),
        fmtp: None,
    }
}

/// Opus (dynamic payload type; `opus/48000/2` as RFC 7587 requires), asking for in-band FEC.
pub fn opus() -> CodecSpec {
    CodecSpec {
        name: "opus".into(),
        clock_rate: 48_000,
        channels: 2,
        static_pt: None,
        fmtp: Some("useinbandfec=1".into()),
    }
}

/// G.722 (static payload type 9; 16 kHz audio on an 8000 Hz RTP clock).
pub fn g722() -> CodecSpec {
    CodecSpec {
        name: "G722".into(),
        clock_rate: 8000,
        channels: 1,
        static_pt: Some(9),
        fmtp: None,
    }
}

/// G.729 (static payload type 18), which the bridge does not mix.
pub fn g729() -> CodecSpec {
    CodecSpec {
        name: "G729".into(),
        clock_rate: 8000,
        channels: 1,
        static_pt: Some(18),
        fmtp: None,
    }
}

/// How a phone dials.
#[derive(Debug, Clone)]
pub struct PhoneOptions {
    /// SIP transport.
    pub transport: Transport,
    /// The tone it sends (Hz); `None` sends digital silence (so the bridge still latches).
    pub tone_hz: Option<f64>,
    /// More tones sent together with `tone_hz`, each at `amplitude` (ignored without `tone_hz`).
    pub extra_tones: Vec<f64>,
    /// Tone amplitude, 0–1 of full scale.
    pub amplitude: f64,
    /// Codecs offered, most preferred first.
    pub codecs: Vec<CodecSpec>,
    /// Whether telephone-event is offered.
    pub telephone_event: bool,
    /// An RTP address to put in the SDP instead of the real one (symmetric RTP tests).
    pub advertise_rtp: Option<SocketAddr>,
    /// How long to wait for the final response to the INVITE.
    pub answer_timeout: Duration,
    /// Offer H.264 video too, receiving on this port (the test owns the socket).
    pub video: Option<LocalVideo>,
}

impl PhoneOptions {
    /// A UDP phone sending `tone_hz`, offering PCMU, PCMA and telephone-event.
    pub fn tone(tone_hz: f64) -> PhoneOptions {
        PhoneOptions {
            transport: Transport::Udp,
            tone_hz: Some(tone_hz),
            extra_tones: Vec::new(),
            amplitude: 0.25,
            codecs: vec![pcmu(), pcma()],
            telephone_event: true,
            advertise_rtp: None,
            answer_timeout: Duration::from_secs(5),
            video: None,
        }
    }
}

/// Why a call did not get through.
#[derive(Debug)]
pub enum CallError {
    /// The bridge answered the INVITE with this final status.
    Rejected(u16),
    /// The call ended some other way before it was answered.
    Ended(EndReason),
    /// No final response in time.
    Timeout,
    /// A socket could not be bound or connected.
    Io(std::io::Error),
    /// The 200 OK carried no usable SDP answer.
    BadAnswer(String),
}

impl CallError {
    /// The final SIP status, when the bridge rejected the call.
    pub fn status(&self) -> Option<u16> {
        match self {
            CallError::Rejected(s) => Some(*s),
            _ => None,
        }
    }
}

impl From<std::io::Error> for CallError {
    fn from(e: std::io::Error) -> Self {
        CallError::Io(e)
    }
}

/// One RTP packet as the phone received it.
#[derive(Debug, Clone)]
pub struct Received {
    /// Arrival time.
    pub at: Instant,
    /// Where it came from.
    pub source: SocketAddr,
    /// Payload type.
    pub pt: u8,
    /// Sequence number.
    pub seq: u16,
    /// Media timestamp.
    pub timestamp: u32,
    /// Payload bytes.
    pub payload: Vec<u8>,
}

/// Commands into the SIP task.
enum UaCmd {
    Invite {
        target: String,
        destination: SocketAddr,
        sdp: Vec<u8>,
        reply: oneshot::Sender<CallHandle>,
    },
    Hangup(CallHandle),
}

/// Commands into the RTP sender task.
enum SendCmd {
    Dtmf(char, oneshot::Sender<()>),
}

/// A phone in a call.
pub struct Phone {
    ua: mpsc::UnboundedSender<UaCmd>,
    call: CallHandle,
    events: mpsc::UnboundedReceiver<Event>,
    sip_log: Arc<Mutex<Vec<String>>>,
    negotiated: NegotiatedAudio,
    video: Option<NegotiatedVideo>,
    codec: AudioCodec,
    rtp_addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    sender: Option<MediaSender>,
    tasks: Vec<JoinHandle<()>>,
    ended: Option<EndReason>,
}

impl Drop for Phone {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Phone {
    /// Dial `sip:{user}@{bridge}` over UDP sending a `tone_hz` sine; `Ok` once answered.
    pub async fn call(bridge: SocketAddr, user: &str, tone_hz: f64) -> Result<Phone, CallError> {
        Phone::dial(bridge, user, PhoneOptions::tone(tone_hz)).await
    }

    /// Dial with explicit options.
    pub async fn dial(
        bridge: SocketAddr,
        user: &str,
        opts: PhoneOptions,
    ) -> Result<Phone, CallError> {
        let (rtp, rtcp) = bind_rtp_pair().await?;
        let rtp = Arc::new(rtp);
        let rtp_addr = rtp.local_addr()?;
        let advertised = opts.advertise_rtp.unwrap_or(rtp_addr);

        let (ua, mut events, sip_log, ua_task) = start_ua(bridge, opts.transport).await?;
        let mut tasks = vec![ua_task];
        let local = LocalMedia {
            address: advertised.ip(),
            audio_port: advertised.port(),
            codecs: opts.codecs.clone(),
            telephone_event: opts.telephone_event,
            comfort_noise: false,
            session_id: u64::from(rand_u32()),
            session_version: 1,
            video: opts.video.clone(),
        };
        let offer = sdp::offer(&local);
        let (reply, handle) = oneshot::channel();
        let _ = ua.send(UaCmd::Invite {
            target: format!("sip:{user}@{bridge}"),
            destination: bridge,
            sdp: offer.to_bytes(),
            reply,
        });
        let call = handle.await.map_err(|_| CallError::Timeout)?;

        // Wait for the final response; provisional ones only show the call is alive.
        let deadline = tokio::time::Instant::now() + opts.answer_timeout;
        let answer = loop {
            match tokio::time::timeout_at(deadline, events.recv()).await {
                Err(_) | Ok(None) => {
                    for t in &tasks {
                        t.abort();
                    }
                    return Err(CallError::Timeout);
                }
                Ok(Some(Event::Answered { answer, .. })) => break answer,
                Ok(Some(Event::CallEnded { reason, .. })) => {
                    for t in &tasks {
                        t.abort();
                    }
                    return Err(match reason {
                        EndReason::Rejected(status) => CallError::Rejected(status),
                        other => CallError::Ended(other),
                    });
                }
                Ok(Some(_)) => {}
            }
        };
        let negotiated = answer
            .ok_or_else(|| "no SDP in the 200 OK".to_string())
            .and_then(|body| SessionDescription::parse(&body).map_err(|e| e.to_string()))
            .and_then(|a| sdp::negotiate_answer_av(&offer, &a).map_err(|e| e.to_string()));
        let (negotiated, video) = match negotiated {
            Ok(n) => n,
            Err(e) => {
                // Do not leave the bridge with a call nobody will end.
                let _ = ua.send(UaCmd::Hangup(call));
                tokio::time::sleep(Duration::from_millis(200)).await;
                for t in &tasks {
                    t.abort();
                }
                return Err(CallError::BadAnswer(e));
            }
        };

        let received = Arc::new(Mutex::new(Vec::new()));
        tasks.push(tokio::spawn(record(
            Arc::clone(&rtp),
            Arc::clone(&received),
        )));
        // RTCP is read and discarded, so the bridge's reports find an open port.
        tasks.push(tokio::spawn(async move {
            let mut buf = [0u8; 1500];
            while rtcp.recv_from(&mut buf).await.is_ok() {}
        }));
        let codec = codec_of(&negotiated.codec);
        let source = ToneSource {
            law: codec.law().unwrap_or(Law::Ulaw),
            pt: negotiated.payload_type,
            event_pt: negotiated.telephone_event_pt,
            tone_hz: opts.tone_hz,
            amplitude: opts.amplitude,
        };
        let media = MediaOptions {
            codec,
            fmtp: negotiated.fmtp.clone(),
            extra_tones: opts.extra_tones.clone(),
        };
        let sender = negotiated
            .remote_rtp
            .map(|target| MediaSender::start_with(Arc::clone(&rtp), target, source, media));
        Ok(Phone {
            ua,
            call,
            events,
            sip_log,
            negotiated,
            video,
            codec,
            rtp_addr,
            received,
            sender,
            tasks,
            ended: None,
        })
    }

    /// What offer/answer settled on for video, if the bridge took it.
    pub fn negotiated_video(&self) -> Option<&NegotiatedVideo> {
        self.video.as_ref()
    }

    /// What offer/answer settled on.
    pub fn negotiated(&self) -> &NegotiatedAudio {
        &self.negotiated
    }

    /// The bridge's RTP address for this call (from its SDP answer).
    pub fn bridge_rtp(&self) -> SocketAddr {
        self.negotiated
            .remote_rtp
            .expect("the bridge answered without an RTP address")
    }

    /// Where this phone really receives RTP.
    pub fn rtp_addr(&self) -> SocketAddr {
        self.rtp_addr
    }

    /// Every RTP packet received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The codec the phone sends and decodes with (from the negotiated name; G.711 µ-law for a
    /// codec it does not know).
    pub fn codec(&self) -> AudioCodec {
        self.codec
    }

    /// The audio received in the last `window`, decoded to 8 kHz PCM, in arrival order (on
    /// loopback arrival order is sending order). For G.711 calls only (panics on a wideband
    /// codec: use [`Phone::received_audio`]).
    pub fn received_pcm(&self, window: Duration) -> Vec<i16> {
        let (pcm, rate) = self.received_audio(window);
        assert_eq!(
            rate, 8000,
            "received_pcm is for G.711 calls; this one negotiated {}",
            self.negotiated.codec
        );
        pcm
    }

    /// The audio received in the last `window`, decoded by the negotiated codec, and its sample
    /// rate (8000 for G.711, 16000 for G.722, 48000 for Opus).
    ///
    /// Every packet of the call is decoded in arrival order (on loopback, sending order) by one
    /// decoder, so that stateful decoders (G.722, Opus) see the whole stream; the samples of the
    /// packets that arrived within `window` are returned. For Opus, a gap of a few sequence
    /// numbers is concealed (libopus PLC); G.711 and G.722 gaps are left out.
    pub fn received_audio(&self, window: Duration) -> (Vec<i16>, u32) {
        let since = Instant::now() - window;
        let pt = self.negotiated.payload_type;
        let received = self.received.lock().unwrap();
        let mut decoder = PhoneDecoder::new(self.codec);
        let rate = self.codec.sample_rate();
        let mut pcm = Vec::with_capacity(
            rate as usize * (window.as_millis() as usize + 20) / 1000 + self.codec.frame_samples(),
        );
        let mut window_start = None;
        let mut last_seq: Option<u16> = None;
        for p in received.iter().filter(|p| p.pt == pt) {
            if window_start.is_none() && p.at >= since {
                window_start = Some(pcm.len());
            }
            let gap = last_seq.map_or(0, |s| p.seq.wrapping_sub(s).wrapping_sub(1));
            last_seq = Some(p.seq);
            decoder.decode(&p.payload, gap, &mut pcm);
        }
        let start = window_start.unwrap_or(pcm.len());
        pcm.drain(..start);
        (pcm, rate)
    }

    /// Send one RFC 4733 digit (instead of audio for ~160 ms); returns when its last packet is
    /// sent.
    pub async fn send_dtmf(&self, digit: char) {
        if let Some(sender) = &self.sender {
            sender.send_dtmf(digit).await;
        }
    }

    /// Stop sending media (the tasks that receive keep running).
    pub fn stop_media(&mut self) {
        self.sender = None;
    }

    /// Send BYE and wait for the call to end. Returns the status of the final response to the
    /// BYE (`None` when none came before `timeout`: the endpoint then ends the call anyway).
    pub async fn hangup(&mut self, timeout: Duration) -> Option<u16> {
        self.stop_media();
        let _ = self.ua.send(UaCmd::Hangup(self.call));
        self.wait_ended(timeout).await?;
        self.bye_status()
    }

    /// Wait until the call ends (BYE from the bridge, or the end of our own hang-up).
    pub async fn wait_ended(&mut self, timeout: Duration) -> Option<EndReason> {
        if let Some(r) = self.ended {
            return Some(r);
        }
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(Event::CallEnded { reason, .. })) => {
                    self.ended = Some(reason);
                    return Some(reason);
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => return None,
            }
        }
    }

    /// The status of the last response to a BYE this phone received.
    pub fn bye_status(&self) -> Option<u16> {
        let log = self.sip_log.lock().unwrap();
        log.iter()
            .rev()
            .filter(|m| m.starts_with("SIP/2.0 "))
            .filter(|m| {
                m.lines().any(|l| {
                    let l = l.to_ascii_lowercase();
                    l.starts_with("cseq:") && l.contains("bye")
                })
            })
            .find_map(|m| m.get(8..11)?.parse().ok())
    }

    /// Every SIP message this phone received, as text.
    pub fn sip_log(&self) -> Vec<String> {
        self.sip_log.lock().unwrap().clone()
    }
}

/// The codec of a negotiated encoding name; µ-law for one the phone does not speak (as the
/// G.711-only phone always did).
fn codec_of(name: &str) -> AudioCodec {
    match name.to_ascii_uppercase().as_str() {
        "PCMA" => AudioCodec::Pcma,
        "G722" => AudioCodec::G722,
        "OPUS" => AudioCodec::Opus,
        _ => AudioCodec::Pcmu,
    }
}

/// Decodes what the phone received with the negotiated codec.
enum PhoneDecoder {
    G711(Law),
    G722(Box<G722Decoder>),
    Opus(Box<OpusDecoder>),
}

impl PhoneDecoder {
    fn new(codec: AudioCodec) -> PhoneDecoder {
        match codec {
            AudioCodec::G722 => PhoneDecoder::G722(Box::default()),
            AudioCodec::Opus => {
                PhoneDecoder::Opus(Box::new(OpusDecoder::new().expect("an Opus decoder")))
            }
            other => PhoneDecoder::G711(other.law().unwrap_or(Law::Ulaw)),
        }
    }

    /// Decode one packet, appending to `out`, after `gap` packets that never came (concealed for
    /// Opus, up to 10; skipped otherwise). A corrupt Opus packet is concealed too.
    fn decode(&mut self, payload: &[u8], gap: u16, out: &mut Vec<i16>) {
        match self {
            PhoneDecoder::G711(law) => {
                let start = out.len();
                out.resize(start + payload.len(), 0);
                law.decode(payload, &mut out[start..]);
            }
            PhoneDecoder::G722(dec) => dec.decode(payload, out),
            PhoneDecoder::Opus(dec) => {
                if gap <= 10 {
                    for _ in 0..gap {
                        let _ = dec.conceal(out);
                    }
                }
                if dec.decode(payload, out).is_err() {
                    let _ = dec.conceal(out);
                }
            }
        }
    }
}

/// Encodes the phone's tone with the negotiated codec.
enum PhoneEncoder {
    G711(Law),
    G722(Box<G722Encoder>),
    Opus(Box<OpusEncoder>),
}

impl PhoneEncoder {
    /// For `codec`; an Opus encoder follows the bridge's `fmtp` (how it wants to receive).
    fn new(codec: AudioCodec, law: Law, fmtp: Option<&str>) -> PhoneEncoder {
        match codec {
            AudioCodec::G722 => PhoneEncoder::G722(Box::default()),
            AudioCodec::Opus => {
                let params = fmtp.map(OpusParams::parse).unwrap_or_default();
                PhoneEncoder::Opus(Box::new(
                    OpusEncoder::new(&params).expect("an Opus encoder"),
                ))
            }
            _ => PhoneEncoder::G711(law),
        }
    }

    /// Encode one 20 ms frame into `out` (cleared first).
    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) {
        out.clear();
        match self {
            PhoneEncoder::G711(law) => {
                out.resize(pcm.len(), 0);
                law.encode(pcm, out);
            }
            PhoneEncoder::G722(enc) => enc.encode(pcm, out),
            PhoneEncoder::Opus(enc) => {
                enc.encode(pcm, out).expect("a 20 ms Opus frame encodes");
            }
        }
    }
}

/// A pseudo-random u32 (the test binaries have no `rand`): hashed clock and counter.
fn rand_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish() as u32
}

/// An RTP socket on an even port and the RTCP socket on the odd one above, on loopback.
pub async fn bind_rtp_pair() -> std::io::Result<(UdpSocket, UdpSocket)> {
    for _ in 0..100 {
        let rtp = UdpSocket::bind((LOCALHOST, 0)).await?;
        let port = rtp.local_addr()?.port();
        if port % 2 != 0 || port == u16::MAX {
            continue;
        }
        if let Ok(rtcp) = UdpSocket::bind((LOCALHOST, port + 1)).await {
            return Ok((rtp, rtcp));
        }
    }
    Err(std::io::Error::other("no free RTP port pair on loopback"))
}

/// The SIP side of a phone: a task owning the endpoint and its socket.
async fn start_ua(
    bridge: SocketAddr,
    transport: Transport,
) -> std::io::Result<(
    mpsc::UnboundedSender<UaCmd>,
    mpsc::UnboundedReceiver<Event>,
    Arc<Mutex<Vec<String>>>,
    JoinHandle<()>,
)> {
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (ev_tx, ev_rx) = mpsc::unbounded_channel();
    let log = Arc::new(Mutex::new(Vec::new()));
    let io = match transport {
        Transport::Udp => {
            let socket = UdpSocket::bind((LOCALHOST, 0)).await?;
            SipIo::Udp(socket)
        }
        Transport::Tcp => {
            let stream = TcpStream::connect(bridge).await?;
            stream.set_nodelay(true)?;
            SipIo::Tcp(stream, StreamFramer::new())
        }
    };
    let local = io.local_addr()?;
    let mut config = EndpointConfig::new(local);
    config.user_agent = "pont-test-phone".into();
    config.seed = u64::from(rand_u32()) << 32 | u64::from(rand_u32());
    let ua = Ua {
        endpoint: Endpoint::new(config),
        io,
        events: ev_tx,
        log: Arc::clone(&log),
    };
    let task = tokio::spawn(ua.run(cmd_rx));
    Ok((cmd_tx, ev_rx, log, task))
}

enum SipIo {
    Udp(UdpSocket),
    Tcp(TcpStream, StreamFramer),
}

impl SipIo {
    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        match self {
            SipIo::Udp(s) => s.local_addr(),
            SipIo::Tcp(s, _) => s.local_addr(),
        }
    }
}

struct Ua {
    endpoint: Endpoint,
    io: SipIo,
    events: mpsc::UnboundedSender<Event>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Ua {
    async fn run(mut self, mut cmds: mpsc::UnboundedReceiver<UaCmd>) {
        let mut buf = vec![0u8; 65_535];
        loop {
            let timer = self.endpoint.poll_timeout();
            let sleep = async {
                match timer {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            // Frames read from the socket in this round (TCP may deliver several at once).
            let mut inputs: Vec<(Vec<u8>, SocketAddr, Transport)> = Vec::new();
            tokio::select! {
                cmd = cmds.recv() => {
                    let now = Instant::now();
                    match cmd {
                        // The phone is gone: nothing left to drive.
                        None => return,
                        Some(UaCmd::Invite { target, destination, sdp, reply }) => {
                            let transport = match self.io {
                                SipIo::Udp(_) => Transport::Udp,
                                SipIo::Tcp(..) => Transport::Tcp,
                            };
                            let call = self.endpoint.invite(now, &target, destination, transport, Some(sdp));
                            let _ = reply.send(call);
                        }
                        Some(UaCmd::Hangup(call)) => self.endpoint.hangup(now, call),
                    }
                }
                read = recv(&mut self.io, &mut buf) => match read {
                    Ok(frames) => inputs = frames,
                    // The bridge closed the TCP connection: nothing more will arrive.
                    Err(_) => return,
                },
                _ = sleep => self.endpoint.handle_timeout(Instant::now()),
            }
            for (data, source, transport) in inputs {
                self.log
                    .lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&data).into_owned());
                self.endpoint
                    .handle_input(Instant::now(), &data, source, transport);
            }
            while let Some(t) = self.endpoint.poll_transmit() {
                self.transmit(t).await;
            }
            while let Some(e) = self.endpoint.poll_event() {
                let _ = self.events.send(e);
            }
        }
    }

    async fn transmit(&mut self, t: Transmit) {
        match &mut self.io {
            SipIo::Udp(s) => {
                let _ = s.send_to(&t.payload, t.destination).await;
            }
            // One connection, to the bridge: everything goes on it.
            SipIo::Tcp(s, _) => {
                let _ = s.write_all(&t.payload).await;
            }
        }
    }
}

/// Read whatever the socket has: one datagram, or the whole frames a TCP read completed.
async fn recv(
    io: &mut SipIo,
    buf: &mut [u8],
) -> std::io::Result<Vec<(Vec<u8>, SocketAddr, Transport)>> {
    match io {
        SipIo::Udp(s) => {
            let (n, source) = s.recv_from(buf).await?;
            Ok(vec![(buf[..n].to_vec(), source, Transport::Udp)])
        }
        SipIo::Tcp(s, framer) => {
            let peer = s.peer_addr()?;
            let n = s.read(buf).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            framer.push(&buf[..n]);
            let mut frames = Vec::new();
            while let Some(frame) = framer
                .next_message()
                .map_err(|e| std::io::Error::other(format!("{e:?}")))?
            {
                frames.push((frame, peer, Transport::Tcp));
            }
            Ok(frames)
        }
    }
}

/// Record every RTP packet that arrives (anything else is ignored).
async fn record(socket: Arc<UdpSocket>, out: Arc<Mutex<Vec<Received>>>) {
    let mut buf = [0u8; 2048];
    loop {
        let Ok((n, source)) = socket.recv_from(&mut buf).await else {
            // ICMP errors surface here on Linux; keep reading without spinning.
            tokio::time::sleep(Duration::from_millis(1)).await;
            continue;
        };
        let Ok(p) = media::rtp::parse(&buf[..n]) else {
            continue;
        };
        out.lock().unwrap().push(Received {
            at: Instant::now(),
            source,
            pt: p.header.pt.0,
            seq: p.header.seq.0,
            timestamp: p.header.timestamp,
            payload: p.payload.to_vec(),
        });
    }
}

/// What a [`MediaSender`] puts on the wire.
#[derive(Debug, Clone, Copy)]
pub struct ToneSource {
    /// G.711 law of the audio.
    pub law: Law,
    /// Audio payload type.
    pub pt: u8,
    /// telephone-event payload type, if negotiated (digits are not sent without it).
    pub event_pt: Option<u8>,
    /// The tone (Hz); `None` for digital silence.
    pub tone_hz: Option<f64>,
    /// Amplitude, 0–1 of full scale.
    pub amplitude: f64,
}

/// How a [`MediaSender`] encodes, beyond its [`ToneSource`].
#[derive(Debug, Clone)]
pub struct MediaOptions {
    /// The codec (for G.711, the law is the [`ToneSource`]'s).
    pub codec: AudioCodec,
    /// The receiver's `a=fmtp` for it (Opus: bit rate, FEC, DTX).
    pub fmtp: Option<String>,
    /// More tones added to [`ToneSource::tone_hz`], each at its amplitude.
    pub extra_tones: Vec<f64>,
}

/// A task sending RTP from a socket to one target every 20 ms; stops when dropped.
pub struct MediaSender {
    cmds: mpsc::UnboundedSender<SendCmd>,
    task: JoinHandle<()>,
}

impl Drop for MediaSender {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl MediaSender {
    /// Start sending `source` (G.711) from `socket` to `target`.
    pub fn start(socket: Arc<UdpSocket>, target: SocketAddr, source: ToneSource) -> MediaSender {
        let codec = match source.law {
            Law::Alaw => AudioCodec::Pcma,
            Law::Ulaw => AudioCodec::Pcmu,
        };
        let media = MediaOptions {
            codec,
            fmtp: None,
            extra_tones: Vec::new(),
        };
        MediaSender::start_with(socket, target, source, media)
    }

    /// Start sending `source` encoded as `media` says from `socket` to `target`: 20 ms frames
    /// (160 samples at 8 kHz for G.711, 320 at 16 kHz for G.722, 960 at 48 kHz for Opus), the
    /// RTP timestamp advancing by the codec's 20 ms in clock units (160, 160, 960).
    pub fn start_with(
        socket: Arc<UdpSocket>,
        target: SocketAddr,
        source: ToneSource,
        media: MediaOptions,
    ) -> MediaSender {
        let (cmds, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(send_media(socket, target, source, media, rx));
        MediaSender { cmds, task }
    }

    /// Send one RFC 4733 digit instead of audio (5 updates, then the end packet three times:
    /// 160 ms); returns once its last packet is sent, or at once when the digit cannot be sent.
    pub async fn send_dtmf(&self, digit: char) {
        let (done, wait) = oneshot::channel();
        if self.cmds.send(SendCmd::Dtmf(digit, done)).is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(2), wait).await;
        }
    }
}

/// RFC 4733 event code of a DTMF character.
fn dtmf_event(digit: char) -> Option<u8> {
    Some(match digit {
        '0'..='9' => digit as u8 - b'0',
        '*' => 10,
        '#' => 11,
        'A'..='D' => digit as u8 - b'A' + 12,
        _ => return None,
    })
}

/// A digit being sent: its event code, the timestamp of its start, the packets sent so far.
struct DtmfInProgress {
    event: u8,
    start_ts: u32,
    sent: u32,
    done: Option<oneshot::Sender<()>>,
}

/// Event packets with the E bit clear before the end (5 × 20 ms = 100 ms of tone)…
const DTMF_UPDATES: u32 = 5;
/// …then the end packet, sent three times (RFC 4733 §2.5.1.4).
const DTMF_ENDS: u32 = 3;

/// Send a packet every 20 ms on an absolute schedule (tokio's interval catches up after a late
/// wake-up instead of drifting), audio or telephone-events.
async fn send_media(
    socket: Arc<UdpSocket>,
    target: SocketAddr,
    source: ToneSource,
    opts: MediaOptions,
    mut cmds: mpsc::UnboundedReceiver<SendCmd>,
) {
    let codec = opts.codec;
    let rate = f64::from(codec.sample_rate());
    let frame = codec.frame_samples();
    let units = codec.frame_units();
    let mut encoder = PhoneEncoder::new(codec, source.law, opts.fmtp.as_deref());
    let ssrc = Ssrc(rand_u32());
    let mut seq = SeqNo(rand_u32() as u16);
    let mut ts = rand_u32();
    let mut sample = 0usize;
    let mut first = true;
    let mut dtmf: Option<DtmfInProgress> = None;
    let mut queued: std::collections::VecDeque<(u8, oneshot::Sender<()>)> = Default::default();
    let mut interval = tokio::time::interval(PTIME);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut pcm = vec![0i16; frame];
    let mut payload = Vec::with_capacity(MAX_PACKET);
    let mut packet = [0u8; 12 + MAX_PACKET];
    loop {
        tokio::select! {
            cmd = cmds.recv() => match cmd {
                // The phone stopped its media (hang-up) or is gone.
                None => return,
                Some(SendCmd::Dtmf(digit, done)) => match (dtmf_event(digit), source.event_pt) {
                    (Some(event), Some(_)) => queued.push_back((event, done)),
                    // Unknown digit or no telephone-event negotiated: nothing to send.
                    _ => drop(done),
                },
            },
            _ = interval.tick() => {
                if dtmf.is_none() {
                    if let Some((event, done)) = queued.pop_front() {
                        dtmf = Some(DtmfInProgress { event, start_ts: ts, sent: 0, done: Some(done) });
                    }
                }
                let (header, body): (RtpHeader, &[u8]) = match (&mut dtmf, source.event_pt) {
                    (Some(d), Some(ept)) => {
                        let n = d.sent;
                        d.sent += 1;
                        let end = n >= DTMF_UPDATES;
                        // The duration grows with each update and stays put on the end packets.
                        let duration = (units * (n.min(DTMF_UPDATES) + 1)) as u16;
                        payload.clear();
                        payload.extend_from_slice(&[
                            d.event,
                            if end { 0x80 } else { 0 } | 10,
                            (duration >> 8) as u8,
                            duration as u8,
                        ]);
                        let header = RtpHeader {
                            pt: Pt(ept),
                            marker: n == 0,
                            seq,
                            timestamp: d.start_ts,
                            ssrc,
                        };
                        (header, &payload[..4])
                    }
                    _ => {
                        pcm.fill(0);
                        if let Some(hz) = source.tone_hz {
                            for f in std::iter::once(hz).chain(opts.extra_tones.iter().copied()) {
                                let tone = media::goertzel::tone(f, rate, source.amplitude, sample, frame);
                                for (s, t) in pcm.iter_mut().zip(tone) {
                                    *s = s.saturating_add(t);
                                }
                            }
                        }
                        encoder.encode(&pcm, &mut payload);
                        let header = RtpHeader { pt: Pt(source.pt), marker: first, seq, timestamp: ts, ssrc };
                        first = false;
                        (header, &payload[..])
                    }
                };
                if let Ok(n) = media::rtp::write(&mut packet, &header, body) {
                    let _ = socket.send_to(&packet[..n], target).await;
                }
                seq = seq.next();
                ts = ts.wrapping_add(units);
                sample += frame;
                if dtmf.as_ref().is_some_and(|d| d.sent >= DTMF_UPDATES + DTMF_ENDS) {
                    if let Some(done) = dtmf.take().and_then(|mut d| d.done.take()) {
                        let _ = done.send(());
                    }
                }
            }
        }
    }
}
