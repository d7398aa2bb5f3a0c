//! One conference's video, as a sans-IO machine: RTP/RTCP bytes in, composed H.264 RTP out.
//!
//! # What it does
//!
//! - **Participants** join in order ([`VideoConference::join`]); every one of them is in the
//!   picture, as video when it sends some, otherwise as a tile with its name (audio-only callers,
//!   and video callers before their first decoded picture).
//! - **Senders** ([`VideoConference::set_video`]): each video leg's RTP goes through its own
//!   RFC 6184 depacketizer and H.264 decoder, once per access unit, whatever the number of
//!   receivers ([`VideoConference::receive_rtp`]). The last decoded picture is kept. After a loss
//!   or a decode error the leg waits for the next key frame (nothing is decoded from a broken
//!   reference) and the sender is asked for one with RTCP PLI (or FIR when it only takes FIR),
//!   repeated every [`VideoConfig::keyframe_request_interval`] while it lasts. A sender that
//!   enters the main tile is asked too, so its picture is sharp at once.
//! - **Outputs**: a receiver sees the output of its [`OutputKey`]: its resolution (720p or 360p,
//!   from what it negotiated, [`Resolution::for_peer`]) and its role. In the voice-switched and
//!   1+N layouts the current speaker's own view differs (it sees the previous speaker in the main
//!   tile, never itself; before anyone spoke, the first to join is shown large and has this
//!   view), so there are two roles; in the grids everyone sees the same picture
//!   (self-view included). Each output is composed and encoded once per frame and the packets are
//!   sent to each of its receivers with the receiver's own SSRC, sequence numbers and timestamp
//!   offset. So the encoder count is at most 2 × 2 per conference, whatever the number of legs.
//!   In 1+N the speaker's own view is encoded at 360p at most: one person sees it, and that
//!   person is talking, not watching; a 720p receiver scales it. A conference of 720p receivers
//!   then encodes one 720p picture (the audience's) and one 360p, not two 720p.
//! - **Key frames out**: a receiver joining or moving to another output gets an IDR from it (its
//!   decoder would otherwise start mid-GOP); a receiver's PLI/FIR gets one too, at most one per
//!   [`VideoConfig::pli_answer_interval`] per output (the rest wait, not dropped); every output
//!   also sends one every [`VideoConfig::keyframe_interval`] frames.
//! - **Voice-switched** shows one source full screen, so its outputs are never larger than that
//!   source: a 360p camera is sent at 360p even to a 720p receiver (which scales it), saving a
//!   720p encode that would carry no more picture.
//! - **Bit rate**: an output encodes at the smallest of its receivers' stated maxima (`b=TIAS`/
//!   `b=AS`), capped by the resolution's default ([`Resolution::default_bitrate`]).
//! - **Active speaker** from the audio talk detector ([`VideoConference::talking`]), with the
//!   hold and minimum-talk rules of [`ActiveSpeaker`].
//! - **RTCP**: every leg gets a compound report on its RTCP path every ~5 s (randomised over
//!   [0.5, 1.5] of the interval, RFC 3550 §6.3.1; the first half an interval after its video
//!   starts either way), as the audio legs do: an SR when we sent it video since the report
//!   before last (its SSRC, the NTP time from [`VideoConference::set_wallclock`] — 0 without
//!   one —, the RTP timestamp of that instant on the leg's own timeline, the packets and payload
//!   octets it was sent), else an RR; one report block about its incoming video when it sends
//!   some (loss, extended highest sequence, jitter at 90 kHz, LSR/DLSR of its last SR); then our
//!   CNAME. The report blocks a leg sends about our SSRC towards it are kept, with the RTT they
//!   give ([`VideoConference::leg_report`]). PLI/FIR go out separately, behind an empty RR.
//!
//! [`VideoConference::tick`] runs at the frame rate on the caller's clock (30 fps by default);
//! decoding happens as packets arrive, composing and encoding at the tick.

use std::time::{Duration, Instant, SystemTime};

use super::{
    ActiveSpeaker, Compositor, EncoderSettings, Frame, H264Decoder, H264Encoder, Layout,
    SpeakerConfig, Tile,
};
use crate::engine::{LegId, PacketKind};
use crate::h264::{Depacketizer, Packetizer};
use crate::ids::{Pt, SeqNo, Ssrc};
use crate::leg::{report_interval, RTCP_INTERVAL};
use crate::reception::ReceptionStats;
use crate::rtcp::{self, NtpTime, ReportBlock, RtcpPacket, SenderInfo, WallClock};
use crate::rtp::{self, RtpHeader};

/// The RTP clock of video (RFC 6184 §8.2.1).
pub const VIDEO_CLOCK: u32 = 90_000;
/// Largest RTP packet we build (header + payload), under a 1500-byte MTU with room for tunnels.
const MAX_PACKET: usize = 1300;
/// RTP header size as we write it (no CSRC, no extension).
const RTP_HEADER: usize = 12;
/// Most pictures decoded per sender per second (60 fps cameras pass; a flood does not).
pub const MAX_DECODES_PER_SECOND: u32 = 60;
/// Largest decoded picture kept: 1920 × 1088 (H.264 level 4's frame size; we offer 3.1).
const MAX_PICTURE_PIXELS: usize = 1920 * 1088;
/// Our CNAME in RTCP (RFC 3550 §6.5.1).
const CNAME: &[u8] = b"pont";
/// How long a sender's SSRC must be silent before packets of another SSRC replace it.
const SSRC_SWITCH_SILENCE: Duration = Duration::from_millis(500);

/// The two output sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resolution {
    /// 1280 × 720.
    Hd720,
    /// 640 × 360.
    Sd360,
}

impl Resolution {
    /// Width and height in pixels.
    pub fn size(self) -> (usize, usize) {
        match self {
            Resolution::Hd720 => (1280, 720),
            Resolution::Sd360 => (640, 360),
        }
    }

    /// The bit rate an output of this size uses when no receiver asks for less.
    pub fn default_bitrate(self) -> u32 {
        match self {
            Resolution::Hd720 => 1_500_000,
            Resolution::Sd360 => 600_000,
        }
    }

    /// 720p when the peer can decode 1280×720 at 30 fps (3600 macroblocks a frame, 108 000 a
    /// second: level 3.1 or the equivalent `max-fs`/`max-mbps`) and does not ask for less than
    /// 768 kbit/s; else 360p.
    pub fn for_peer(max_frame_mbs: u32, max_mbs_per_second: u32, max_bitrate: Option<u32>) -> Self {
        let fits = max_frame_mbs >= 3600 && max_mbs_per_second >= 108_000;
        if fits && max_bitrate.is_none_or(|b| b >= 768_000) {
            Resolution::Hd720
        } else {
            Resolution::Sd360
        }
    }

    /// The smaller of two sizes.
    pub fn smaller(self, other: Resolution) -> Resolution {
        if self == Resolution::Sd360 || other == Resolution::Sd360 {
            Resolution::Sd360
        } else {
            Resolution::Hd720
        }
    }

    /// Its name in logs and metrics (`720p`, `360p`).
    pub fn name(self) -> &'static str {
        match self {
            Resolution::Hd720 => "720p",
            Resolution::Sd360 => "360p",
        }
    }
}

/// Whose view an output shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Everyone but the current speaker (in the grids: everyone).
    Audience,
    /// The current speaker in the voice-switched and 1+N layouts: the previous speaker in the
    /// main tile, and no self-view.
    Speaker,
}

/// What an output is composed for: one encoder per distinct key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OutputKey {
    /// Picture size.
    pub resolution: Resolution,
    /// Whose view.
    pub role: Role,
}

/// Settings of a conference's video.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VideoConfig {
    /// Frames composed per second (the caller ticks at this rate).
    pub fps: u32,
    /// Active-speaker rules.
    pub speaker: SpeakerConfig,
    /// Frames between periodic IDRs of an output.
    pub keyframe_interval: u32,
    /// Least time between two IDRs an output sends for receivers' PLI/FIR.
    pub pli_answer_interval: Duration,
    /// Time between repeated key-frame requests to a sender that still needs one.
    pub keyframe_request_interval: Duration,
}

impl Default for VideoConfig {
    fn default() -> Self {
        VideoConfig {
            fps: 30,
            speaker: SpeakerConfig::default(),
            keyframe_interval: 300,
            pli_answer_interval: Duration::from_millis(500),
            keyframe_request_interval: Duration::from_millis(500),
        }
    }
}

/// One leg's video, as negotiated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoLegConfig {
    /// The H.264 payload type both ways.
    pub payload_type: Pt,
    /// Our SSRC towards this leg.
    pub ssrc: Ssrc,
    /// The size it receives.
    pub resolution: Resolution,
    /// The most it wants to receive, if it said (bit/s).
    pub max_bitrate_bps: Option<u32>,
    /// Whether we send it video (its direction lets us, and it gave an address).
    pub send: bool,
    /// Whether it understands RTCP PLI (`a=rtcp-fb … nack pli`); FIR is used otherwise when
    /// `fir` is set, else PLI anyway (most phones take it without saying so).
    pub pli: bool,
    /// Whether it understands RTCP FIR (`a=rtcp-fb … ccm fir`).
    pub fir: bool,
    /// Seed for the random start of its sequence numbers and timestamps.
    pub seed: u64,
}

/// Counters of one conference's video.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VideoStats {
    /// RTP packets taken.
    pub packets_in: u64,
    /// RTP packets dropped: unparsable, wrong payload type, or from a leg without video.
    pub packets_dropped: u64,
    /// Payloads the depacketizer refused.
    pub packets_refused: u64,
    /// Pictures decoded.
    pub frames_decoded: u64,
    /// Access units the decoder refused.
    pub decode_errors: u64,
    /// Access units skipped while waiting for a key frame.
    pub frames_skipped: u64,
    /// Times a sender went over [`MAX_DECODES_PER_SECOND`] (then waits for a key frame).
    pub over_budget: u64,
    /// Pictures encoded (one per output per tick).
    pub frames_encoded: u64,
    /// IDR frames encoded.
    pub keyframes_encoded: u64,
    /// Encoder failures.
    pub encode_errors: u64,
    /// RTP packets sent.
    pub packets_out: u64,
    /// PLI/FIR received from receivers.
    pub keyframe_requests_in: u64,
    /// PLI/FIR sent to senders.
    pub keyframe_requests_out: u64,
    /// Periodic RTCP reports (SR or RR + SDES) sent; the RR in front of a PLI/FIR is not one.
    pub rtcp_reports_sent: u64,
}

/// What a leg last said about the video we send it: its latest report block naming our SSRC
/// towards it (RFC 3550 §6.4.1), and the round-trip time such a block last gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoLegReport {
    /// The block: fraction lost, cumulative lost, extended highest sequence, jitter (90 kHz
    /// units), LSR/DLSR.
    pub block: ReportBlock,
    /// Round trip in 1/65536 s, from the latest block that named an SR of ours while a wall
    /// clock was set ([`VideoConference::set_wallclock`]).
    pub rtt_1_65536: Option<u32>,
}

impl VideoLegReport {
    /// The round-trip time, if known.
    pub fn rtt(&self) -> Option<Duration> {
        self.rtt_1_65536
            .map(|r| Duration::from_nanos((u64::from(r) * 1_000_000_000) >> 16))
    }
}

/// Failure to set up a leg's video.
#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    /// The leg has not joined.
    #[error("unknown participant")]
    UnknownLeg,
    /// The H.264 decoder could not be created.
    #[error("decoder: {0}")]
    Codec(#[from] super::VideoCodecError),
}

/// A sender's receiving side.
struct Receiving {
    depacketizer: Depacketizer,
    decoder: H264Decoder,
    picture: Frame,
    has_picture: bool,
    /// After a loss or decode error: decode nothing until a complete key frame.
    waiting_for_key: bool,
    /// The SSRC it sends with, once seen, and when its last packet came.
    remote_ssrc: Option<Ssrc>,
    last_packet: Option<Instant>,
    last_request: Option<Instant>,
    request_now: bool,
    fir_seq: u8,
    /// Start of the current one-second decode window, and decodes in it.
    window_start: Option<Instant>,
    window_decodes: u32,
    /// Loss, jitter and last SR of its stream, for the report blocks we send it.
    reception: ReceptionStats,
}

impl Receiving {
    /// Whether one more decode fits this second's budget (and counts it).
    fn decode_budget(&mut self, now: Instant) -> bool {
        let fresh = self
            .window_start
            .is_none_or(|t| now.saturating_duration_since(t) >= Duration::from_secs(1));
        if fresh {
            self.window_start = Some(now);
            self.window_decodes = 0;
        }
        self.window_decodes += 1;
        self.window_decodes <= MAX_DECODES_PER_SECOND
    }
}

/// A receiver's sending side, and the RTCP reports about it both ways.
struct Sending {
    next_seq: SeqNo,
    ts_offset: u32,
    output: Option<OutputKey>,
    /// Packets and payload octets sent: the SR's counts (RFC 3550 §6.4.1, modulo 2^32).
    packets: u32,
    octets: u32,
    /// `packets` at the report before last and at the last one: an SR goes out while it moved
    /// since the former (RFC 3550 §6.4).
    reported: [u32; 2],
    /// When the next report is due; none before its video starts either way.
    next_report: Option<Instant>,
    /// State of the report interval randomisation.
    rng: u64,
    /// The leg's latest report block about what we send it.
    remote: Option<VideoLegReport>,
}

impl Sending {
    /// A new source towards the receiver (another SSRC): its SR counts start again.
    fn new_source(&mut self) {
        self.packets = 0;
        self.octets = 0;
        self.reported = [0; 2];
        self.remote = None;
    }
}

struct VideoLeg {
    config: VideoLegConfig,
    rx: Receiving,
    tx: Sending,
}

impl VideoLeg {
    /// Takes the SRs and RRs of an RTCP datagram from the leg: the sender's SR time for our
    /// next LSR/DLSR, and blocks about our SSRC towards it (with the RTT, given `ntp_now`).
    fn take_reports(&mut self, data: &[u8], now: Instant, ntp_now: Option<NtpTime>) {
        let ours = self.config.ssrc;
        for packet in rtcp::parse(data).map_while(Result::ok) {
            let blocks = match packet {
                RtcpPacket::SenderReport { info, blocks } => {
                    // LSR must name an SR of the very source the block is about.
                    if self.rx.remote_ssrc.is_none_or(|s| s == info.ssrc) {
                        self.rx.reception.on_sender_report(info.ntp.middle32(), now);
                    }
                    blocks
                }
                RtcpPacket::ReceiverReport { blocks, .. } => blocks,
                _ => continue,
            };
            for block in blocks.filter(|b| b.ssrc == ours) {
                let rtt = ntp_now.and_then(|ntp| rtcp::round_trip(ntp, &block));
                // A block without LSR keeps the last RTT known.
                let known = self.tx.remote.and_then(|r| r.rtt_1_65536);
                self.tx.remote = Some(VideoLegReport {
                    block,
                    rtt_1_65536: rtt.or(known),
                });
            }
        }
    }
}

struct Member {
    id: LegId,
    name: String,
    video: Option<VideoLeg>,
}

struct Output {
    key: OutputKey,
    frame: Frame,
    encoder: H264Encoder,
    packetizer: Packetizer,
    bitrate: u32,
    frames: u64,
    idr_wanted: bool,
    /// A receiver joined or moved here: its decoder has no reference from this encoder, so the
    /// next frame is an IDR whatever the PLI pacing.
    idr_now: bool,
    last_requested_idr: Option<Instant>,
}

/// One conference's video.
pub struct VideoConference {
    config: VideoConfig,
    layout: Layout,
    speaker: ActiveSpeaker<LegId>,
    members: Vec<Member>,
    outputs: Vec<Output>,
    compositor: Compositor,
    epoch: Instant,
    slots: Vec<LegId>,
    /// Who was in the main tiles at the last tick (to ask a newcomer there for a key frame).
    main_sources: [Option<LegId>; 2],
    /// The output keys wanted this frame and their receivers' smallest bit-rate cap (reused).
    wanted: Vec<(OutputKey, Option<u32>)>,
    packet: Vec<u8>,
    payload: Vec<u8>,
    stats: VideoStats,
    /// A monotonic instant and the wall-clock time then, for the SRs' NTP times.
    wallclock: WallClock,
}

impl VideoConference {
    /// A conference with no one in it yet; `now` starts its RTP clock.
    pub fn new(config: VideoConfig, layout: Layout, now: Instant) -> Self {
        VideoConference {
            config,
            layout,
            speaker: ActiveSpeaker::new(config.speaker),
            members: Vec::new(),
            outputs: Vec::new(),
            compositor: Compositor::new(),
            epoch: now,
            slots: Vec::with_capacity(16),
            main_sources: [None, None],
            wanted: Vec::with_capacity(4),
            packet: vec![0; MAX_PACKET],
            payload: vec![0; MAX_PACKET - RTP_HEADER],
            stats: VideoStats::default(),
            wallclock: WallClock::default(),
        }
    }

    /// Anchors the wall clock: `wallclock` is the time of day at the monotonic instant `now`.
    /// The conference never reads a clock; later SR NTP times are `wallclock + (later − now)`,
    /// and 0 before this is called (RFC 3550 §6.4.1 allows it; no RTT is measured then).
    pub fn set_wallclock(&mut self, now: Instant, wallclock: SystemTime) {
        self.wallclock = WallClock::anchored(now, wallclock);
    }

    /// What a leg last reported about the video we send it (`None` before its first report
    /// block naming our SSRC, or for a leg without video).
    pub fn leg_report(&self, id: LegId) -> Option<VideoLegReport> {
        self.members
            .iter()
            .find(|m| m.id == id)
            .and_then(|m| m.video.as_ref())
            .and_then(|v| v.tx.remote)
    }

    /// The layout in use.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Change the layout (a conference setting; receivers get an IDR of the new picture).
    pub fn set_layout(&mut self, layout: Layout) {
        if layout != self.layout {
            self.layout = layout;
            for output in &mut self.outputs {
                output.idr_wanted = true;
            }
        }
    }

    /// The next layout in the cycle (a participant's DTMF key); returns it.
    pub fn cycle_layout(&mut self) -> Layout {
        self.set_layout(self.layout.next());
        self.layout
    }

    /// Counters.
    pub fn stats(&self) -> VideoStats {
        self.stats
    }

    /// The keys of the outputs being encoded, in order (for tests and metrics).
    pub fn output_keys(&self) -> Vec<OutputKey> {
        self.outputs.iter().map(|o| o.key).collect()
    }

    /// Who has the floor.
    pub fn speaker(&self) -> Option<LegId> {
        self.speaker.current()
    }

    /// Participants in the conference.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether no one is in it.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// A participant joins (audio-only until [`set_video`](Self::set_video)); `name` labels its
    /// tile. Joining twice only renames.
    pub fn join(&mut self, id: LegId, name: &str) {
        if let Some(m) = self.members.iter_mut().find(|m| m.id == id) {
            m.name = name.to_owned();
            return;
        }
        self.members.push(Member {
            id,
            name: name.to_owned(),
            video: None,
        });
        self.speaker.join(id);
    }

    /// A participant leaves.
    pub fn leave(&mut self, id: LegId) {
        self.members.retain(|m| m.id != id);
        self.speaker.leave(id);
    }

    /// Give a participant video (or change it after a re-INVITE: the decoder state is kept when
    /// the payload type is the same).
    pub fn set_video(&mut self, id: LegId, config: VideoLegConfig) -> Result<(), VideoError> {
        let member = self
            .members
            .iter_mut()
            .find(|m| m.id == id)
            .ok_or(VideoError::UnknownLeg)?;
        if let Some(video) = &mut member.video {
            if video.config.ssrc != config.ssrc {
                video.tx.new_source();
            }
            if video.config.payload_type == config.payload_type {
                video.config = config;
                return Ok(());
            }
        }
        // A new payload type (or video back after a drop) rebuilds the receiving side; the
        // sending side keeps its sequence and timestamp, so the receiver sees one continuous
        // stream under our SSRC.
        let r = crate::rand::splitmix64(config.seed ^ u64::from(config.ssrc.0));
        let tx = match member.video.take() {
            Some(old) => old.tx,
            None => Sending {
                next_seq: SeqNo(r as u16),
                ts_offset: (r >> 32) as u32,
                output: None,
                packets: 0,
                octets: 0,
                reported: [0; 2],
                next_report: None,
                // The seed itself too: `r` is the same for legs whose seed equals their SSRC.
                rng: crate::rand::splitmix64(config.seed ^ r),
                remote: None,
            },
        };
        member.video = Some(VideoLeg {
            rx: Receiving {
                depacketizer: Depacketizer::new(),
                decoder: H264Decoder::new()?,
                picture: Frame::new(2, 2),
                has_picture: false,
                waiting_for_key: true,
                remote_ssrc: None,
                last_packet: None,
                last_request: None,
                request_now: false,
                fir_seq: 0,
                window_start: None,
                window_decodes: 0,
                reception: ReceptionStats::default(),
            },
            tx,
            config,
        });
        Ok(())
    }

    /// A participant's video stops (re-INVITE without video); it becomes a name tile.
    pub fn clear_video(&mut self, id: LegId) {
        if let Some(m) = self.members.iter_mut().find(|m| m.id == id) {
            m.video = None;
        }
    }

    /// Talk-detector events from the audio engine.
    pub fn talking(&mut self, id: LegId, talking: bool, now: Instant) {
        self.speaker.talking(id, talking, now);
    }

    /// An RTP datagram from a leg's video port. Returns whether it was taken.
    pub fn receive_rtp(&mut self, id: LegId, data: &[u8], now: Instant) -> bool {
        let arrival = self.rtp_time(now);
        let Some(video) = self
            .members
            .iter_mut()
            .find(|m| m.id == id)
            .and_then(|m| m.video.as_mut())
        else {
            self.stats.packets_dropped += 1;
            return false;
        };
        let Ok(packet) = rtp::parse(data) else {
            self.stats.packets_dropped += 1;
            return false;
        };
        if packet.header.pt != video.config.payload_type {
            self.stats.packets_dropped += 1;
            return false;
        }
        let rx = &mut video.rx;
        if rx.remote_ssrc != Some(packet.header.ssrc) {
            // Another source. A phone that restarts its stream changes SSRC and then sends only
            // that one; a stray or spoofed packet must not reset a live stream. So the new SSRC
            // is taken only once the current one has been silent for a while.
            let silent = rx
                .last_packet
                .is_none_or(|t| now.saturating_duration_since(t) >= SSRC_SWITCH_SILENCE);
            if !silent {
                self.stats.packets_dropped += 1;
                return false;
            }
            if rx.remote_ssrc.is_some() {
                rx.depacketizer = Depacketizer::new();
                rx.waiting_for_key = true;
            }
            rx.remote_ssrc = Some(packet.header.ssrc);
        }
        rx.last_packet = Some(now);
        self.stats.packets_in += 1;
        let h = packet.header;
        // All packets feed the A.8 jitter, those of one picture sharing its timestamp too (as
        // RFC 3550 §6.4.1 has it for video); only audio's telephone events are left out.
        rx.reception
            .update(h.ssrc, h.seq, h.timestamp, arrival, true);
        if rx
            .depacketizer
            .push(h.seq, h.timestamp, h.marker, packet.payload)
            .is_err()
        {
            self.stats.packets_refused += 1;
        }
        while let Some(au) = rx.depacketizer.poll_frame() {
            if !au.complete {
                rx.waiting_for_key = true;
            } else if au.is_keyframe {
                rx.waiting_for_key = false;
            }
            // A sender decodes at most MAX_DECODES_PER_SECOND pictures: one sending more (or
            // bigger pictures than we can show) would take the video thread from every other
            // conference on it. Past the budget it waits for a key frame like after a loss.
            if !rx.waiting_for_key && !rx.decode_budget(now) {
                rx.waiting_for_key = true;
                self.stats.over_budget += 1;
            }
            if rx.waiting_for_key {
                self.stats.frames_skipped += 1;
            } else {
                match rx.decoder.decode(&au.data) {
                    Ok(Some(picture))
                        if picture.width() * picture.height() > MAX_PICTURE_PIXELS =>
                    {
                        // Larger than the level we offered allows: not shown, not kept.
                        self.stats.decode_errors += 1;
                        rx.waiting_for_key = true;
                    }
                    Ok(Some(picture)) => {
                        rx.picture.clone_from(picture);
                        rx.has_picture = true;
                        self.stats.frames_decoded += 1;
                    }
                    Ok(None) => {}
                    Err(_) => {
                        self.stats.decode_errors += 1;
                        rx.waiting_for_key = true;
                    }
                }
            }
            rx.depacketizer.recycle(au);
        }
        if rx.depacketizer.poll_keyframe_request().is_some() || rx.waiting_for_key {
            rx.request_now = true;
        }
        true
    }

    /// An RTCP datagram from a leg's video RTCP port, arrived at `now`: a PLI naming our SSRC
    /// towards this leg, or a FIR with an entry for it, asks for a key frame; its SR and report
    /// blocks about that SSRC are noted (see [`leg_report`](Self::leg_report)). Returns whether
    /// the datagram was RTCP at all (its first packet parsed), so the caller may answer where it
    /// came from.
    pub fn receive_rtcp(&mut self, id: LegId, data: &[u8], now: Instant) -> bool {
        let valid = matches!(rtcp::parse(data).next(), Some(Ok(_)));
        let ntp_now = self.wallclock.at(now);
        if let Some(v) = self.video_mut(id) {
            v.take_reports(data, now, ntp_now);
        }
        let Some((ours, output)) = self
            .members
            .iter()
            .find(|m| m.id == id)
            .and_then(|m| m.video.as_ref())
            .and_then(|v| v.tx.output.map(|o| (v.config.ssrc, o)))
        else {
            return valid;
        };
        let asks = rtcp::parse(data).map_while(Result::ok).any(|p| match p {
            RtcpPacket::Pli { media, .. } => media == ours,
            RtcpPacket::Fir { entries, .. } => rtcp::fir_entries(entries).any(|(s, _)| s == ours),
            _ => false,
        });
        if asks {
            self.stats.keyframe_requests_in += 1;
            if let Some(o) = self.outputs.iter_mut().find(|o| o.key == output) {
                // Answered at the next tick, or when the last answer is old enough.
                o.idr_wanted = true;
            }
        }
        valid
    }

    /// Compose, encode and send one frame for every output; ask senders for key frames. `send`
    /// gets each datagram with the leg and whether it goes to the RTP or the RTCP port.
    pub fn tick(&mut self, now: Instant, mut send: impl FnMut(LegId, PacketKind, &[u8])) {
        let before = self.main_sources;
        self.speaker.update(now);
        let after = self.main_tile_sources();
        self.main_sources = after;
        // A sender entering the main tile is asked for a key frame: its picture is about to be
        // seen large, and a fresh IDR makes it sharp at once.
        for id in after.into_iter().flatten() {
            if !before.contains(&Some(id)) {
                if let Some(v) = self.video_mut(id) {
                    v.rx.request_now = true;
                }
            }
        }
        self.request_keyframes(now, &mut send);
        self.assign_outputs();
        let timestamp = self.rtp_time(now);
        let ms = now.saturating_duration_since(self.epoch).as_millis() as u64;
        for i in 0..self.outputs.len() {
            self.encode_output(i, now, ms, timestamp, &mut send);
        }
        self.send_reports(now, timestamp, &mut send);
    }

    /// The periodic compound report to each leg whose turn it is (RFC 3550 §6.4): an SR when we
    /// sent it video since the report before last, else an RR; a block about its video when it
    /// sends some; our CNAME. `timestamp` is `now` on the conference's RTP clock.
    fn send_reports(
        &mut self,
        now: Instant,
        timestamp: u32,
        send: &mut impl FnMut(LegId, PacketKind, &[u8]),
    ) {
        let ntp = self.wallclock.at(now).unwrap_or_default();
        for m in &mut self.members {
            let Some(v) = &mut m.video else { continue };
            let tx = &mut v.tx;
            let Some(due) = tx.next_report else {
                // The first report half an interval after its video starts either way (the
                // initial interval of RFC 3550 §6.2, randomised like the others).
                if tx.packets != 0 || v.rx.remote_ssrc.is_some() {
                    let delay = report_interval(&mut tx.rng, RTCP_INTERVAL / 2);
                    tx.next_report = Some(now + delay);
                }
                continue;
            };
            if now < due {
                continue;
            }
            tx.next_report = Some(now + report_interval(&mut tx.rng, RTCP_INTERVAL));
            let block = v.rx.reception.report(now);
            let sent = tx.packets != tx.reported[0];
            tx.reported = [tx.reported[1], tx.packets];
            let written = if sent {
                let info = SenderInfo {
                    ssrc: v.config.ssrc,
                    ntp,
                    // This tick's packets were stamped with `timestamp`: the same instant.
                    rtp_ts: timestamp.wrapping_add(tx.ts_offset),
                    packets: tx.packets,
                    octets: tx.octets,
                };
                rtcp::write_sr(&mut self.packet, &info, block.as_slice(), CNAME)
            } else {
                rtcp::write_rr(&mut self.packet, v.config.ssrc, block.as_slice(), CNAME)
            };
            if let Ok(len) = written {
                send(m.id, PacketKind::Rtcp, &self.packet[..len]);
                self.stats.rtcp_reports_sent += 1;
            }
        }
    }

    /// The legs shown in the main tile of each role's view (voice-switched and 1+N).
    fn main_tile_sources(&self) -> [Option<LegId>; 2] {
        match self.layout {
            Layout::VoiceSwitched | Layout::OnePlusN => {
                [self.main_for(Role::Audience), self.main_for(Role::Speaker)]
            }
            _ => [None, None],
        }
    }

    fn video_mut(&mut self, id: LegId) -> Option<&mut VideoLeg> {
        self.members
            .iter_mut()
            .find(|m| m.id == id)
            .and_then(|m| m.video.as_mut())
    }

    fn rtp_time(&self, now: Instant) -> u32 {
        let elapsed = now.saturating_duration_since(self.epoch);
        (elapsed.as_micros() * u128::from(VIDEO_CLOCK) / 1_000_000) as u32
    }

    /// PLI (or FIR) to every sender that needs a key frame, paced.
    fn request_keyframes(&mut self, now: Instant, send: &mut impl FnMut(LegId, PacketKind, &[u8])) {
        let interval = self.config.keyframe_request_interval;
        for m in &mut self.members {
            let Some(v) = &mut m.video else { continue };
            let rx = &mut v.rx;
            let due = rx
                .last_request
                .is_none_or(|t| now.saturating_duration_since(t) >= interval);
            if !(rx.request_now && due) {
                continue;
            }
            let Some(media) = rx.remote_ssrc else {
                continue;
            };
            // A compound packet (RFC 4585 §3.1): an empty RR and our CNAME, then the request.
            let head = rtcp::write_rr_sdes(&mut self.packet, v.config.ssrc, CNAME);
            let written = head.and_then(|n| {
                let rest = &mut self.packet[n..];
                let m = if v.config.fir && !v.config.pli {
                    // A new request gets a new sequence number (RFC 5104 §4.3.1.2).
                    if !rx.waiting_for_key || rx.last_request.is_none() {
                        rx.fir_seq = rx.fir_seq.wrapping_add(1);
                    }
                    rtcp::write_fir(rest, v.config.ssrc, media, rx.fir_seq)
                } else {
                    rtcp::write_pli(rest, v.config.ssrc, media)
                }?;
                Ok(n + m)
            });
            if let Ok(len) = written {
                send(m.id, PacketKind::Rtcp, &self.packet[..len]);
                self.stats.keyframe_requests_out += 1;
            }
            rx.last_request = Some(now);
            rx.request_now = rx.waiting_for_key;
        }
    }

    /// Which output each receiver sees; outputs appear and go with their receivers. A receiver
    /// that changes output gets an IDR from its new one.
    fn assign_outputs(&mut self) {
        // Whoever everyone sees large (the speaker, or before anyone spoke the first to join)
        // sees someone else large.
        let speaker = self.main_for(Role::Audience);
        let two_roles = matches!(self.layout, Layout::VoiceSwitched | Layout::OnePlusN);
        // Voice-switched shows one source full screen: no output is encoded larger than that
        // source (a 360p camera upscaled to 720p carries no more picture, and costs a 720p
        // encode); the receiver scales it to its screen.
        // In 1+N the speaker's own view is seen by one person, who is talking (and looking at
        // the camera, not at the screen): it is encoded at 360p at most, so a conference
        // encodes one 720p picture rather than two; a 720p receiver scales it.
        let cap = |role| -> Option<Resolution> {
            match (self.layout, role) {
                (Layout::VoiceSwitched, _) => self.source_resolution(self.main_for(role)?),
                (Layout::OnePlusN, Role::Speaker) => Some(Resolution::Sd360),
                _ => None,
            }
        };
        let caps = [cap(Role::Audience), cap(Role::Speaker)];
        let wanted = &mut self.wanted;
        wanted.clear();
        for m in &mut self.members {
            let Some(v) = &mut m.video else { continue };
            if !v.config.send {
                v.tx.output = None;
                continue;
            }
            let role = if two_roles && speaker == Some(m.id) {
                Role::Speaker
            } else {
                Role::Audience
            };
            let cap = caps[usize::from(role == Role::Speaker)];
            let key = OutputKey {
                resolution: cap.map_or(v.config.resolution, |c| c.smaller(v.config.resolution)),
                role,
            };
            if v.tx.output != Some(key) {
                v.tx.output = Some(key);
                if let Some(o) = self.outputs.iter_mut().find(|o| o.key == key) {
                    o.idr_now = true;
                }
            }
            match wanted.iter_mut().find(|(k, _)| *k == key) {
                Some((_, cap)) => *cap = min_cap(*cap, v.config.max_bitrate_bps),
                None => wanted.push((key, v.config.max_bitrate_bps)),
            }
        }
        self.outputs
            .retain(|o| self.wanted.iter().any(|(k, _)| *k == o.key));
        for i in 0..self.wanted.len() {
            let (key, cap) = self.wanted[i];
            let bitrate = cap.map_or(key.resolution.default_bitrate(), |c| {
                c.clamp(64_000, key.resolution.default_bitrate())
            });
            match self.outputs.iter_mut().find(|o| o.key == key) {
                Some(o) => {
                    if o.bitrate != bitrate && o.encoder.set_bitrate(bitrate).is_ok() {
                        o.bitrate = bitrate;
                    }
                }
                None => match self.new_output(key, bitrate) {
                    Some(o) => self.outputs.push(o),
                    None => self.stats.encode_errors += 1,
                },
            }
        }
        self.outputs.sort_by_key(|o| o.key);
    }

    fn new_output(&self, key: OutputKey, bitrate: u32) -> Option<Output> {
        let (width, height) = key.resolution.size();
        let encoder = H264Encoder::new(EncoderSettings {
            width,
            height,
            fps: self.config.fps as f32,
            bitrate_bps: bitrate,
            keyframe_interval: self.config.keyframe_interval,
            max_nal_bytes: Some(MAX_PACKET - RTP_HEADER),
        })
        .ok()?;
        Some(Output {
            key,
            frame: Frame::new(width, height),
            encoder,
            packetizer: Packetizer::new(MAX_PACKET - RTP_HEADER).ok()?,
            bitrate,
            frames: 0,
            idr_wanted: false,
            idr_now: false,
            last_requested_idr: None,
        })
    }

    /// The output size a leg's last picture fills without upscaling: 360p for a picture of at
    /// most 640×360 (or none yet: its name tile), else 720p.
    fn source_resolution(&self, id: LegId) -> Option<Resolution> {
        let m = self.members.iter().find(|m| m.id == id)?;
        let small = match &m.video {
            Some(v) if v.rx.has_picture => {
                v.rx.picture.width() <= 640 && v.rx.picture.height() <= 360
            }
            _ => true,
        };
        Some(if small {
            Resolution::Sd360
        } else {
            Resolution::Hd720
        })
    }

    /// Who fills the main tile of a role's view: the current speaker for the audience, the
    /// previous one for the speaker; before anyone spoke, the first participant in join order,
    /// who then has the speaker's view and sees the second.
    fn main_for(&self, role: Role) -> Option<LegId> {
        let present = |id: &LegId| self.members.iter().any(|m| m.id == *id);
        match role {
            Role::Audience => self
                .speaker
                .current()
                .filter(present)
                .or_else(|| self.members.first().map(|m| m.id)),
            Role::Speaker => {
                let me = self.main_for(Role::Audience);
                self.speaker
                    .previous()
                    .filter(|id| present(id) && Some(*id) != me)
                    .or_else(|| self.members.iter().map(|m| m.id).find(|id| Some(*id) != me))
                    // Alone: its own picture rather than nothing.
                    .or(me)
            }
        }
    }

    /// Fill `self.slots` with the legs of each tile of `role`'s view, main tile first; returns
    /// the slot to highlight (the current speaker, in the grids).
    fn arrange(&mut self, role: Role) -> Option<usize> {
        self.slots.clear();
        let capacity = self.layout.capacity();
        let me = match role {
            Role::Speaker => self.main_for(Role::Audience),
            Role::Audience => None,
        };
        match self.layout {
            Layout::VoiceSwitched | Layout::OnePlusN => {
                let main = self.main_for(role)?;
                self.slots.push(main);
                for id in self.speaker.recent() {
                    if self.slots.len() >= capacity {
                        break;
                    }
                    if *id != main && Some(*id) != me && self.members.iter().any(|m| m.id == *id) {
                        self.slots.push(*id);
                    }
                }
                None
            }
            Layout::Grid2x2 | Layout::Grid3x3 => {
                // Stable places in join order; with more participants than tiles, the most
                // recent speakers are shown (still in join order).
                let crowded = self.members.len() > capacity;
                for m in &self.members {
                    let shown = || {
                        self.speaker
                            .recent()
                            .iter()
                            .take(capacity)
                            .any(|id| *id == m.id)
                    };
                    if !crowded || shown() {
                        self.slots.push(m.id);
                    }
                }
                let current = self.speaker.current()?;
                self.slots.iter().position(|id| *id == current)
            }
        }
    }

    fn encode_output(
        &mut self,
        index: usize,
        now: Instant,
        ms: u64,
        timestamp: u32,
        send: &mut impl FnMut(LegId, PacketKind, &[u8]),
    ) {
        let role = self.outputs[index].key.role;
        let highlight = self.arrange(role);
        {
            let members = &self.members;
            let tiles: [Tile<'_>; 9] = std::array::from_fn(|i| match self.slots.get(i) {
                None => Tile::Empty,
                Some(id) => match members.iter().find(|m| m.id == *id) {
                    None => Tile::Empty,
                    Some(m) => match &m.video {
                        Some(v) if v.rx.has_picture => Tile::Video(&v.rx.picture),
                        _ => Tile::AudioOnly { name: &m.name },
                    },
                },
            });
            let count = self.slots.len().min(tiles.len());
            let output = &mut self.outputs[index];
            self.compositor
                .compose(self.layout, &tiles[..count], highlight, &mut output.frame);
        }
        let interval = self.config.pli_answer_interval;
        let output = &mut self.outputs[index];
        let paced_ok = output
            .last_requested_idr
            .is_none_or(|t| now.saturating_duration_since(t) >= interval);
        if output.idr_now || (output.idr_wanted && paced_ok) {
            output.encoder.request_keyframe();
            output.idr_wanted = false;
            output.idr_now = false;
            output.last_requested_idr = Some(now);
        }
        let encoded = match output.encoder.encode(&output.frame, ms) {
            Ok(e) => e,
            Err(_) => {
                self.stats.encode_errors += 1;
                return;
            }
        };
        output.frames += 1;
        self.stats.frames_encoded += 1;
        if encoded.annexb.is_empty() {
            return;
        }
        if encoded.keyframe {
            self.stats.keyframes_encoded += 1;
        }
        if output
            .packetizer
            .push_annexb(timestamp, encoded.annexb)
            .is_err()
        {
            self.stats.encode_errors += 1;
            return;
        }
        let key = output.key;
        while let Ok(Some(payload)) = output.packetizer.poll_payload(&mut self.payload) {
            let body = &self.payload[..payload.len];
            for m in &mut self.members {
                let Some(v) = &mut m.video else { continue };
                if v.tx.output != Some(key) {
                    continue;
                }
                let header = RtpHeader {
                    pt: v.config.payload_type,
                    marker: payload.marker,
                    seq: v.tx.next_seq,
                    timestamp: payload.timestamp.wrapping_add(v.tx.ts_offset),
                    ssrc: v.config.ssrc,
                };
                if let Ok(len) = rtp::write(&mut self.packet, &header, body) {
                    v.tx.next_seq = v.tx.next_seq.next();
                    v.tx.packets = v.tx.packets.wrapping_add(1);
                    v.tx.octets = v.tx.octets.wrapping_add(body.len() as u32);
                    send(m.id, PacketKind::Rtp, &self.packet[..len]);
                    self.stats.packets_out += 1;
                }
            }
        }
    }
}

fn min_cap(a: Option<u32>, b: Option<u32>) -> Option<u32> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
