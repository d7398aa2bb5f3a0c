//! The per-conference video machine with real H.264 (openh264) both ways, on a fake clock: each
//! sender sends a solid colour, each receiver's stream is depacketized and decoded here, and the
//! tiles' colours say who is where.

mod counting_alloc;

use std::collections::HashMap;
use std::time::{Duration, Instant, UNIX_EPOCH};

use media::h264::{Depacketizer, Packetizer};
use media::rtcp::{self, NtpTime, ReportBlock, RtcpPacket, SenderInfo};
use media::rtp::{self, RtpHeader};
use media::video::{
    EncoderSettings, Frame, H264Decoder, H264Encoder, Layout, OutputKey, Resolution, Role,
    VideoConference, VideoConfig, VideoLegConfig, Yuv,
};
use media::{LegId, PacketKind, Pt, SeqNo, Ssrc};

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

const PT: Pt = Pt(96);
const FRAME: Duration = Duration::from_nanos(33_333_333);

/// A fake camera: one solid colour, H.264-encoded and packetized like a phone would.
struct Camera {
    encoder: H264Encoder,
    packetizer: Packetizer,
    picture: Frame,
    seq: u16,
    ssrc: Ssrc,
    frames: u64,
}

impl Camera {
    fn new(colour: Yuv, ssrc: u32) -> Camera {
        let mut picture = Frame::new(320, 180);
        picture.fill(colour);
        Camera {
            encoder: H264Encoder::new(EncoderSettings {
                width: 320,
                height: 180,
                fps: 30.0,
                bitrate_bps: 300_000,
                keyframe_interval: 60,
                max_nal_bytes: None,
            })
            .unwrap(),
            packetizer: Packetizer::new(1200).unwrap(),
            picture,
            seq: 1000,
            ssrc: Ssrc(ssrc),
            frames: 0,
        }
    }

    /// The RTP packets of the next frame.
    fn frame(&mut self) -> Vec<Vec<u8>> {
        let ts = (self.frames * 3000) as u32;
        let encoded = self
            .encoder
            .encode(&self.picture, self.frames * 33)
            .unwrap();
        self.frames += 1;
        let mut packets = Vec::new();
        if encoded.annexb.is_empty() {
            return packets;
        }
        let annexb = encoded.annexb.to_vec();
        self.packetizer.push_annexb(ts, &annexb).unwrap();
        let mut payload = [0u8; 1200];
        while let Some(p) = self.packetizer.poll_payload(&mut payload).unwrap() {
            let mut buf = vec![0u8; 1300];
            let header = RtpHeader {
                pt: PT,
                marker: p.marker,
                seq: SeqNo(self.seq),
                timestamp: p.timestamp,
                ssrc: self.ssrc,
            };
            self.seq = self.seq.wrapping_add(1);
            let n = rtp::write(&mut buf, &header, &payload[..p.len]).unwrap();
            buf.truncate(n);
            packets.push(buf);
        }
        packets
    }
}

/// A receiver: decodes what the bridge sends it.
struct Screen {
    depacketizer: Depacketizer,
    decoder: H264Decoder,
    picture: Option<Frame>,
    keyframes: usize,
    pictures: usize,
    rtcp: Vec<RtcpSeen>,
    /// RTP packets and payload octets received, and the last packet's timestamp and time.
    rtp_packets: u32,
    rtp_octets: u32,
    last_rtp: Option<(u32, Instant)>,
}

/// An RTCP datagram a screen got, with what it had received by then.
struct RtcpSeen {
    data: Vec<u8>,
    at: Instant,
    rtp_packets: u32,
    rtp_octets: u32,
    last_rtp: Option<(u32, Instant)>,
    /// The sequence number of the last packet the leg's camera sent (if it has one).
    camera_seq: Option<u16>,
}

impl Screen {
    fn new() -> Screen {
        Screen {
            depacketizer: Depacketizer::new(),
            decoder: H264Decoder::new().unwrap(),
            picture: None,
            keyframes: 0,
            pictures: 0,
            rtcp: Vec::new(),
            rtp_packets: 0,
            rtp_octets: 0,
            last_rtp: None,
        }
    }

    fn take(&mut self, kind: PacketKind, data: &[u8], now: Instant) {
        if kind == PacketKind::Rtcp {
            self.rtcp.push(RtcpSeen {
                data: data.to_vec(),
                at: now,
                rtp_packets: self.rtp_packets,
                rtp_octets: self.rtp_octets,
                last_rtp: self.last_rtp,
                camera_seq: None,
            });
            return;
        }
        let p = rtp::parse(data).unwrap();
        assert_eq!(p.header.pt, PT);
        self.rtp_packets += 1;
        self.rtp_octets += p.payload.len() as u32;
        self.last_rtp = Some((p.header.timestamp, now));
        let _ =
            self.depacketizer
                .push(p.header.seq, p.header.timestamp, p.header.marker, p.payload);
        while let Some(au) = self.depacketizer.poll_frame() {
            if au.is_keyframe {
                self.keyframes += 1;
            }
            if let Ok(Some(f)) = self.decoder.decode(&au.data) {
                self.picture = Some(f.clone());
                self.pictures += 1;
            }
            self.depacketizer.recycle(au);
        }
    }

    /// The colour at a point given as fractions of the picture.
    fn at(&self, fx: f64, fy: f64) -> Yuv {
        let f = self.picture.as_ref().expect("a picture was decoded");
        let x = ((f.width() as f64 * fx) as usize).min(f.width() - 1);
        let y = ((f.height() as f64 * fy) as usize).min(f.height() - 1);
        f.pixel(x, y)
    }
}

/// An output's key.
fn key(resolution: Resolution, role: Role) -> OutputKey {
    OutputKey { resolution, role }
}

fn near(a: Yuv, b: Yuv) -> bool {
    let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).abs();
    d(a.y, b.y) <= 12 && d(a.u, b.u) <= 12 && d(a.v, b.v) <= 12
}

fn leg_config(ssrc: u32, resolution: Resolution) -> VideoLegConfig {
    VideoLegConfig {
        payload_type: PT,
        ssrc: Ssrc(ssrc),
        resolution,
        max_bitrate_bps: None,
        send: true,
        pli: true,
        fir: true,
        seed: u64::from(ssrc),
    }
}

struct Room {
    conf: VideoConference,
    cameras: HashMap<LegId, Camera>,
    screens: HashMap<LegId, Screen>,
    now: Instant,
    /// A packet (leg, index in its frame) to drop from the cameras' next frames.
    drop_next: Option<(LegId, usize)>,
}

impl Room {
    fn new(layout: Layout) -> Room {
        // The fake clock's origin; the room only adds frame periods to it.
        #[allow(clippy::disallowed_methods)]
        let now = Instant::now();
        Room {
            conf: VideoConference::new(VideoConfig::default(), layout, now),
            cameras: HashMap::new(),
            screens: HashMap::new(),
            now,
            drop_next: None,
        }
    }

    fn video_leg(&mut self, id: u64, colour: Yuv, resolution: Resolution) {
        let leg = LegId(id);
        self.conf.join(leg, &format!("leg {id}"));
        self.conf
            .set_video(leg, leg_config(100 + id as u32, resolution))
            .unwrap();
        self.cameras
            .insert(leg, Camera::new(colour, 500 + id as u32));
        self.screens.insert(leg, Screen::new());
    }

    /// Run `frames` frame periods: every camera sends a frame, the conference ticks.
    fn run(&mut self, frames: usize) {
        for _ in 0..frames {
            let mut ids: Vec<LegId> = self.cameras.keys().copied().collect();
            ids.sort();
            for id in ids {
                let mut packets = self.cameras.get_mut(&id).unwrap().frame();
                if let Some((leg, i)) = self.drop_next {
                    if leg == id && i < packets.len() {
                        packets.remove(i);
                        self.drop_next = None;
                    }
                }
                for p in packets {
                    self.conf.receive_rtp(id, &p, self.now);
                }
            }
            let screens = &mut self.screens;
            let cameras = &mut self.cameras;
            let now = self.now;
            self.conf.tick(self.now, |leg, kind, data| {
                if let Some(s) = screens.get_mut(&leg) {
                    s.take(kind, data, now);
                    if kind == PacketKind::Rtcp {
                        let seq = cameras.get(&leg).map(|c| c.seq.wrapping_sub(1));
                        s.rtcp.last_mut().unwrap().camera_seq = seq;
                    }
                }
                // Cameras answer key-frame requests, as phones do.
                let asks = kind == PacketKind::Rtcp
                    && rtcp::parse(data)
                        .map_while(Result::ok)
                        .any(|p| matches!(p, RtcpPacket::Pli { .. } | RtcpPacket::Fir { .. }));
                if asks {
                    if let Some(c) = cameras.get_mut(&leg) {
                        c.encoder.request_keyframe();
                    }
                }
            });
            self.now += FRAME;
        }
    }

    fn talk(&mut self, id: u64, talking: bool) {
        self.conf.talking(LegId(id), talking, self.now);
    }

    fn screen(&self, id: u64) -> &Screen {
        &self.screens[&LegId(id)]
    }
}

fn red() -> Yuv {
    Yuv::from_rgb(220, 30, 30)
}
fn green() -> Yuv {
    Yuv::from_rgb(30, 200, 30)
}
fn blue() -> Yuv {
    Yuv::from_rgb(30, 30, 220)
}

#[test]
fn voice_switched_shows_the_speaker_and_the_speaker_sees_the_previous_one() {
    let mut room = Room::new(Layout::VoiceSwitched);
    room.video_leg(1, red(), Resolution::Sd360);
    room.video_leg(2, green(), Resolution::Sd360);
    room.video_leg(3, blue(), Resolution::Sd360);
    room.run(10);
    // Nobody spoke yet: everyone sees the first participant; it sees the second.
    assert!(
        near(room.screen(3).at(0.5, 0.5), red()),
        "{:?}",
        room.screen(3).at(0.5, 0.5)
    );
    assert!(near(room.screen(1).at(0.5, 0.5), green()));

    // 2 talks: after the minimum talk time it has the floor.
    room.talk(2, true);
    room.run(30);
    assert_eq!(room.conf.speaker(), Some(LegId(2)));
    assert!(near(room.screen(3).at(0.5, 0.5), green()));
    assert!(
        near(room.screen(1).at(0.5, 0.5), green()),
        "{:?}",
        room.screen(1).at(0.5, 0.5)
    );
    // The speaker's own view: not itself. Nobody had the floor before it, so the first other.
    assert!(near(room.screen(2).at(0.5, 0.5), red()));

    // 3 talks after 2 stops (past the hold): 3 has the floor, 3 sees 2 (the previous speaker).
    room.talk(2, false);
    room.run(70);
    room.talk(3, true);
    room.run(30);
    assert_eq!(room.conf.speaker(), Some(LegId(3)));
    assert!(near(room.screen(1).at(0.5, 0.5), blue()));
    assert!(near(room.screen(3).at(0.5, 0.5), green()));

    // Two outputs at most: the audience's and the speaker's.
    let keys = room.conf.output_keys();
    assert_eq!(
        keys,
        vec![
            key(Resolution::Sd360, Role::Audience),
            key(Resolution::Sd360, Role::Speaker),
        ]
    );
    let stats = room.conf.stats();
    assert!(stats.frames_decoded >= 3 * 100, "{stats:?}");
    assert_eq!(stats.decode_errors, 0);
}

#[test]
fn grid_shows_everyone_once_in_join_order() {
    let mut room = Room::new(Layout::Grid2x2);
    room.video_leg(1, red(), Resolution::Sd360);
    room.video_leg(2, green(), Resolution::Sd360);
    room.video_leg(3, blue(), Resolution::Sd360);
    room.conf.join(LegId(4), "Audio Only");
    room.run(15);
    let s = room.screen(1);
    assert!(near(s.at(0.25, 0.25), red()), "{:?}", s.at(0.25, 0.25));
    assert!(near(s.at(0.75, 0.25), green()), "{:?}", s.at(0.75, 0.25));
    assert!(near(s.at(0.25, 0.75), blue()), "{:?}", s.at(0.25, 0.75));
    // The audio-only participant is a name tile: none of the three colours.
    let tile = s.at(0.75, 0.6);
    assert!(!near(tile, red()) && !near(tile, green()) && !near(tile, blue()));
    // One picture for everyone in a grid.
    assert_eq!(room.conf.output_keys().len(), 1);
}

#[test]
fn one_encoder_per_resolution_and_role() {
    let mut room = Room::new(Layout::OnePlusN);
    room.video_leg(1, red(), Resolution::Sd360);
    room.video_leg(2, green(), Resolution::Hd720);
    room.video_leg(3, blue(), Resolution::Sd360);
    room.video_leg(4, blue(), Resolution::Hd720);
    room.run(5);
    let hd = room.screen(2).picture.as_ref().unwrap();
    assert_eq!((hd.width(), hd.height()), (1280, 720));
    let sd = room.screen(3).picture.as_ref().unwrap();
    assert_eq!((sd.width(), sd.height()), (640, 360));
    // Before anyone spoke leg 1 (first to join) has the speaker's view and the others are
    // audience: one 720p and one 360p audience output, one speaker's; two receivers share each
    // audience output.
    assert_eq!(
        room.conf.output_keys(),
        vec![
            key(Resolution::Hd720, Role::Audience),
            key(Resolution::Sd360, Role::Audience),
            key(Resolution::Sd360, Role::Speaker),
        ]
    );
    // 1+N: the main tile (top left, large) shows the first participant to the audience.
    assert!(near(room.screen(3).at(0.3, 0.3), red()));
}

#[test]
fn a_receivers_pli_gets_an_idr_at_most_once_per_interval() {
    let mut room = Room::new(Layout::VoiceSwitched);
    room.video_leg(1, red(), Resolution::Sd360);
    room.video_leg(2, green(), Resolution::Sd360);
    room.run(40);
    let before = room.screen(2).keyframes;
    let mut pli = [0u8; 12];
    let n = rtcp::write_pli(&mut pli, Ssrc(7), Ssrc(102)).unwrap();
    room.conf.receive_rtcp(LegId(2), &pli[..n], room.now);
    room.run(1);
    assert_eq!(
        room.screen(2).keyframes,
        before + 1,
        "the PLI was answered at once"
    );
    // A burst of PLIs within the interval: one more IDR, not one each.
    for _ in 0..5 {
        room.conf.receive_rtcp(LegId(2), &pli[..n], room.now);
        room.run(1);
    }
    room.run(20);
    assert_eq!(room.screen(2).keyframes, before + 2);
    assert!(room.conf.stats().keyframe_requests_in >= 6);
    // A PLI about another source is not for us: no IDR.
    let n = rtcp::write_pli(&mut pli, Ssrc(7), Ssrc(999)).unwrap();
    room.conf.receive_rtcp(LegId(2), &pli[..n], room.now);
    room.run(20);
    assert_eq!(room.screen(2).keyframes, before + 2);
}

#[test]
fn a_receiver_changing_view_gets_an_idr_at_once_even_right_after_one() {
    let mut room = Room::new(Layout::VoiceSwitched);
    room.video_leg(1, red(), Resolution::Sd360);
    room.video_leg(2, green(), Resolution::Sd360);
    room.video_leg(3, blue(), Resolution::Sd360);
    room.run(40);
    // Leg 3's PLI makes the audience output send an IDR now…
    let mut pli = [0u8; 12];
    let n = rtcp::write_pli(&mut pli, Ssrc(7), Ssrc(103)).unwrap();
    room.conf.receive_rtcp(LegId(3), &pli[..n], room.now);
    room.run(1);
    // …and leg 1 (first to join, so far in the speaker's view) moves to the audience view when
    // leg 2 takes the floor, well within the PLI pacing interval: it still gets an IDR at once.
    let keys_before = room.screen(1).keyframes;
    room.talk(2, true);
    room.run(14); // 400 ms of talk, then the move
    assert_eq!(room.conf.speaker(), Some(LegId(2)));
    assert!(
        room.screen(1).keyframes > keys_before,
        "the moved receiver got an IDR"
    );
    assert!(near(room.screen(1).at(0.5, 0.5), green()));
}

#[test]
fn a_lost_packet_asks_the_sender_for_a_key_frame() {
    let mut room = Room::new(Layout::VoiceSwitched);
    room.video_leg(1, red(), Resolution::Sd360);
    room.video_leg(2, green(), Resolution::Sd360);
    room.run(20);
    let asked_before = room.screen(1).rtcp.len();
    // Drop one packet of leg 1's next frame.
    let mut packets = room.cameras.get_mut(&LegId(1)).unwrap().frame();
    packets.remove(0);
    for p in packets {
        room.conf.receive_rtp(LegId(1), &p, room.now);
    }
    // The loss is known when the depacketizer's reorder window (4 packets) gives up on it.
    room.run(8);
    let asks = room.screen(1).rtcp[asked_before..]
        .iter()
        .flat_map(|d| {
            rtcp::parse(&d.data)
                .map_while(Result::ok)
                .collect::<Vec<_>>()
        })
        .filter(|p| matches!(p, RtcpPacket::Pli { media, .. } if *media == Ssrc(501)))
        .count();
    assert!(asks >= 1, "a PLI naming the sender's SSRC went to leg 1");
    assert!(room.conf.stats().frames_skipped >= 1);
}

#[test]
fn garbage_on_the_video_port_is_dropped_and_counted() {
    let mut room = Room::new(Layout::Grid3x3);
    room.video_leg(1, red(), Resolution::Sd360);
    let mut seed = 0x1234_5678_9abc_def0u64;
    for len in 0..300usize {
        let mut data = vec![0u8; len];
        for b in &mut data {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *b = (seed >> 56) as u8;
        }
        if len > 1 {
            data[0] = 0x80; // version 2, so some reach the depacketizer
            data[1] = 96;
        }
        room.conf.receive_rtp(LegId(1), &data, room.now);
        room.conf.receive_rtcp(LegId(1), &data, room.now);
    }
    room.run(30);
    let stats = room.conf.stats();
    assert!(
        stats.packets_dropped + stats.packets_refused > 0,
        "{stats:?}"
    );
    // The real stream still decodes afterwards (its tile is the first of the 3×3 grid).
    let c = room.screen(1).at(1.0 / 6.0, 1.0 / 6.0);
    assert!(near(c, red()), "{c:?}");
}

#[test]
fn hold_stops_sending_and_dropped_video_becomes_a_name_tile() {
    let mut room = Room::new(Layout::Grid2x2);
    room.video_leg(1, red(), Resolution::Sd360);
    room.video_leg(2, green(), Resolution::Sd360);
    room.run(10);
    // Leg 2 holds its video (a re-INVITE with sendonly/inactive): nothing more is sent to it.
    let mut held = leg_config(102, Resolution::Sd360);
    held.send = false;
    room.conf.set_video(LegId(2), held).unwrap();
    let before = room.screen(2).pictures;
    room.run(10);
    assert_eq!(
        room.screen(2).pictures,
        before,
        "nothing sent to a held receiver"
    );
    // Leg 2 drops its video: leg 1 sees its name tile in slot 1, no longer green.
    room.conf.clear_video(LegId(2));
    room.cameras.remove(&LegId(2));
    room.run(10);
    let c = room.screen(1).at(0.75, 0.25);
    assert!(!near(c, green()) && !near(c, Yuv::BLACK), "{c:?}");
    assert!(near(room.screen(1).at(0.25, 0.25), red()));
}

#[test]
fn a_steady_conference_allocates_nothing_per_frame() {
    let mut room = Room::new(Layout::OnePlusN);
    room.video_leg(1, red(), Resolution::Sd360);
    room.video_leg(2, green(), Resolution::Sd360);
    room.video_leg(3, blue(), Resolution::Hd720);
    room.talk(2, true);
    room.run(60);
    // The cameras' packets for the next frames, made before counting.
    let ids = [LegId(1), LegId(2), LegId(3)];
    let frames: Vec<Vec<(LegId, Vec<Vec<u8>>)>> = (0..30)
        .map(|_| {
            ids.iter()
                .map(|id| (*id, room.cameras.get_mut(id).unwrap().frame()))
                .collect()
        })
        .collect();
    let mut sent = 0usize;
    let before = counting_alloc::allocations();
    for frame in &frames {
        for (id, packets) in frame {
            for p in packets {
                room.conf.receive_rtp(*id, p, room.now);
            }
        }
        room.conf.tick(room.now, |_, _, data| sent += data.len());
        room.now += FRAME;
    }
    let allocated = counting_alloc::allocations() - before;
    assert!(sent > 0);
    assert_eq!(
        allocated, 0,
        "allocations over 30 frames of a steady conference"
    );
    assert_eq!(room.conf.stats().decode_errors, 0);
}

#[test]
fn voice_switched_never_encodes_larger_than_the_source_shown() {
    let mut room = Room::new(Layout::VoiceSwitched);
    room.video_leg(1, red(), Resolution::Hd720);
    room.video_leg(2, green(), Resolution::Hd720);
    room.run(10);
    // The cameras send 320×180: full screen at 720p would only be upscaled, so 360p goes out.
    let p = room.screen(2).picture.as_ref().unwrap();
    assert_eq!((p.width(), p.height()), (640, 360));
    assert!(room
        .conf
        .output_keys()
        .iter()
        .all(|k| k.resolution == Resolution::Sd360));
    // In a grid the same receivers get 720p: the picture holds several sources.
    room.conf.set_layout(Layout::Grid2x2);
    room.run(5);
    let p = room.screen(2).picture.as_ref().unwrap();
    assert_eq!((p.width(), p.height()), (1280, 720));
}

#[test]
fn a_sender_flooding_pictures_is_held_to_the_decode_budget() {
    let mut room = Room::new(Layout::Grid2x2);
    room.video_leg(1, red(), Resolution::Sd360);
    room.video_leg(2, green(), Resolution::Sd360);
    room.run(5);
    let decoded = room.conf.stats().frames_decoded;
    // 200 pictures within one instant: far past 60 a second.
    let camera = room.cameras.get_mut(&LegId(1)).unwrap();
    let frames: Vec<Vec<Vec<u8>>> = (0..200).map(|_| camera.frame()).collect();
    for packets in &frames {
        for p in packets {
            room.conf.receive_rtp(LegId(1), p, room.now);
        }
    }
    let stats = room.conf.stats();
    assert!(stats.frames_decoded - decoded <= u64::from(media::video::MAX_DECODES_PER_SECOND));
    assert!(
        stats.over_budget >= 1 && stats.frames_skipped > 100,
        "{stats:?}"
    );
    // Over the budget it waits for a key frame and asks for one; a second later it decodes again.
    room.run(40);
    assert!(near(room.screen(2).at(0.25, 0.25), red()));
    assert!(room.conf.stats().frames_decoded > stats.frames_decoded);
}

/// The size of the last picture a receiver decoded.
fn size(screen: &Screen) -> (usize, usize) {
    let p = screen.picture.as_ref().expect("a picture was decoded");
    (p.width(), p.height())
}

#[test]
fn one_plus_n_encodes_the_speakers_own_view_at_360p() {
    let mut room = Room::new(Layout::OnePlusN);
    room.video_leg(1, red(), Resolution::Hd720);
    room.video_leg(2, green(), Resolution::Hd720);
    room.video_leg(3, blue(), Resolution::Hd720);
    room.run(10);
    // Nobody spoke: leg 1 (first to join) has the speaker's view, at 360p though it takes 720p;
    // the audience's view stays 720p.
    let hd_audience = key(Resolution::Hd720, Role::Audience);
    let sd_speaker = key(Resolution::Sd360, Role::Speaker);
    assert_eq!(room.conf.output_keys(), vec![hd_audience, sd_speaker]);
    assert_eq!(size(room.screen(1)), (640, 360));
    assert_eq!(size(room.screen(2)), (1280, 720));
    assert_eq!(size(room.screen(3)), (1280, 720));
    // Main tile: the audience sees leg 1, leg 1 sees the second to join.
    assert!(near(room.screen(3).at(0.3, 0.3), red()));
    let c = room.screen(1).at(0.3, 0.3);
    assert!(near(c, green()), "{c:?}");

    // 2 takes the floor: step frame by frame to the tick where it does.
    room.talk(2, true);
    let before = |room: &Room, id| (room.screen(id).keyframes, room.screen(id).pictures);
    let mut switched = false;
    for _ in 0..40 {
        let (k1, p1) = before(&room, 1);
        let (k2, p2) = before(&room, 2);
        room.run(1);
        if room.conf.speaker() == Some(LegId(2)) {
            // In that very tick the new speaker gets a 360p IDR and the old one a 720p IDR, and
            // both decoders decode the first picture after the switch.
            assert_eq!(
                room.screen(2).keyframes,
                k2 + 1,
                "an IDR for the new speaker"
            );
            assert_eq!(room.screen(2).pictures, p2 + 1);
            assert_eq!(size(room.screen(2)), (640, 360));
            assert_eq!(room.screen(1).keyframes, k1 + 1, "an IDR for the old one");
            assert_eq!(room.screen(1).pictures, p1 + 1);
            assert_eq!(size(room.screen(1)), (1280, 720));
            switched = true;
            break;
        }
    }
    assert!(switched, "leg 2 took the floor");
    room.run(5);
    assert_eq!(room.conf.output_keys(), vec![hd_audience, sd_speaker]);
    assert!(near(room.screen(1).at(0.3, 0.3), green()));
    assert!(near(room.screen(3).at(0.3, 0.3), green()));
    // Nobody had the floor before 2: it sees the first other, leg 1.
    let c = room.screen(2).at(0.3, 0.3);
    assert!(near(c, red()), "{c:?}");

    // 3 takes the floor after 2 stops: 3's 360p view shows 2, the previous speaker, large.
    room.talk(2, false);
    room.run(70);
    room.talk(3, true);
    room.run(30);
    assert_eq!(room.conf.speaker(), Some(LegId(3)));
    assert_eq!(size(room.screen(3)), (640, 360));
    assert_eq!(size(room.screen(2)), (1280, 720));
    let c = room.screen(3).at(0.3, 0.3);
    assert!(near(c, green()), "{c:?}");
    assert!(near(room.screen(1).at(0.3, 0.3), blue()));
    assert_eq!(room.conf.stats().decode_errors, 0);
}

/// A periodic report a screen got (a compound SR or RR + SDES, not the RR in front of a PLI).
struct Report<'a> {
    seen: &'a RtcpSeen,
    /// The SR's sender info; `None` for an RR.
    sender: Option<SenderInfo>,
    /// The SSRC of the report (the SR's sender or the RR's reporter).
    ssrc: Ssrc,
    blocks: Vec<ReportBlock>,
}

/// The periodic reports among what a screen got over RTCP, each checked to end with our CNAME.
fn reports(screen: &Screen) -> Vec<Report<'_>> {
    let mut out = Vec::new();
    for seen in &screen.rtcp {
        let packets: Vec<_> = rtcp::parse(&seen.data)
            .collect::<Result<_, _>>()
            .expect("well-formed RTCP");
        let feedback = packets
            .iter()
            .any(|p| matches!(p, RtcpPacket::Pli { .. } | RtcpPacket::Fir { .. }));
        if feedback {
            continue;
        }
        let (sender, ssrc, blocks) = match packets[0] {
            RtcpPacket::SenderReport { info, blocks } => (Some(info), info.ssrc, blocks),
            RtcpPacket::ReceiverReport { ssrc, blocks } => (None, ssrc, blocks),
            p => panic!("a compound RTCP packet starts with an SR or RR: {p:?}"),
        };
        assert_eq!(packets.len(), 2, "report + SDES");
        let RtcpPacket::Sdes(chunks) = packets[1] else {
            panic!("no SDES after the report: {:?}", packets[1]);
        };
        assert_eq!(chunks.collect::<Vec<_>>(), vec![(ssrc, Some(&b"pont"[..]))]);
        out.push(Report {
            seen,
            sender,
            ssrc,
            blocks: blocks.collect(),
        });
    }
    out
}

#[test]
fn every_leg_gets_sender_reports_matching_what_it_was_sent() {
    let mut room = Room::new(Layout::Grid2x2);
    let t0 = room.now;
    let wall = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    room.conf.set_wallclock(t0, wall);
    room.video_leg(1, red(), Resolution::Sd360);
    room.video_leg(2, green(), Resolution::Sd360);
    room.video_leg(3, blue(), Resolution::Hd720);
    room.run(20);
    // One packet of leg 2's camera is lost on the way, before the first report.
    room.drop_next = Some((LegId(2), 0));
    room.run(40);
    // Leg 1 sends an SR at 2 s: the blocks about it then carry its time as LSR, and DLSR.
    let sr_at = room.now;
    let their_ntp = NtpTime(0x1234_5678_9ABC_DEF0);
    let mut buf = [0u8; 64];
    let info = SenderInfo {
        ssrc: Ssrc(501),
        ntp: their_ntp,
        rtp_ts: 180_000,
        packets: 100,
        octets: 50_000,
    };
    let n = rtcp::write_sr(&mut buf, &info, &[], b"cam1").unwrap();
    room.conf.receive_rtcp(LegId(1), &buf[..n], sr_at);
    room.run(300); // 12 s in all
    assert!(room.drop_next.is_none(), "the packet was dropped");

    let mut total = 0;
    for id in 1..=3u64 {
        let screen = room.screen(id);
        let reports = reports(screen);
        total += reports.len();
        assert!(
            (1..=4).contains(&reports.len()),
            "leg {id}: {} reports",
            reports.len()
        );
        // The first one soon after the video started; then every 5 s × [0.5, 1.5] (reports go
        // out at a frame tick, so up to one frame late).
        let first = reports[0].seen.at - t0;
        assert!(first <= Duration::from_millis(3750) + FRAME, "{first:?}");
        for pair in reports.windows(2) {
            let gap = pair[1].seen.at - pair[0].seen.at;
            assert!(
                gap >= Duration::from_millis(2500) && gap <= Duration::from_millis(7500) + FRAME,
                "leg {id}: {gap:?} between reports"
            );
        }
        let mut highest = 0;
        for r in &reports {
            let seen = r.seen;
            let info = r.sender.expect("an SR: the leg was sent video");
            assert_eq!(info.ssrc, Ssrc(100 + id as u32));
            assert_eq!(r.ssrc, info.ssrc);
            // The counts are what the leg got up to then.
            assert!(seen.rtp_packets > 0);
            assert_eq!(info.packets, seen.rtp_packets, "leg {id}");
            assert_eq!(info.octets, seen.rtp_octets, "leg {id}");
            // The RTP timestamp is the leg's timeline at that instant: within a frame of the
            // value extrapolated from its last packet.
            let (ts, ts_at) = seen.last_rtp.unwrap();
            let elapsed = (seen.at - ts_at).as_micros() as u64 * 90_000 / 1_000_000;
            let expected = ts.wrapping_add(elapsed as u32);
            let off = (info.rtp_ts.wrapping_sub(expected) as i32).unsigned_abs();
            assert!(off <= 3000, "leg {id}: SR timestamp {off} units off");
            // NTP from the wall-clock anchor and the fake clock.
            assert_eq!(
                info.ntp,
                NtpTime::from_system_time(wall).plus(seen.at - t0),
                "leg {id}"
            );
            // One block, about the leg's own camera.
            assert_eq!(r.blocks.len(), 1, "leg {id}");
            let b = r.blocks[0];
            assert_eq!(b.ssrc, Ssrc(500 + id as u32));
            let lost = if id == 2 { 1 } else { 0 };
            assert_eq!(b.cumulative_lost, lost, "leg {id}: {b:?}");
            assert_eq!(b.highest_seq as u16, seen.camera_seq.unwrap(), "leg {id}");
            assert!(b.highest_seq > highest);
            highest = b.highest_seq;
            // The cameras send on the fake clock's beat: (almost) no jitter.
            assert!(b.jitter < 90, "leg {id}: jitter {}", b.jitter);
            // LSR/DLSR: only leg 1 sent an SR; the delay since it is in 1/65536 s.
            if id == 1 && seen.at > sr_at {
                assert_eq!(b.lsr, their_ntp.middle32());
                let delay = ((seen.at - sr_at).as_nanos() << 16) / 1_000_000_000;
                assert_eq!(u128::from(b.dlsr), delay);
            } else {
                assert_eq!((b.lsr, b.dlsr), (0, 0), "leg {id}");
            }
        }
        // The loss is in the fraction lost of the first interval only.
        let fractions: Vec<u8> = reports.iter().map(|r| r.blocks[0].fraction_lost).collect();
        if id == 2 {
            assert!(fractions[0] > 0, "{fractions:?}");
            assert!(fractions[1..].iter().all(|f| *f == 0), "{fractions:?}");
        } else {
            assert!(fractions.iter().all(|f| *f == 0), "{fractions:?}");
        }
    }
    assert_eq!(room.conf.stats().rtcp_reports_sent, total as u64);
}

#[test]
fn a_receive_only_leg_gets_srs_without_a_block_and_a_send_only_leg_rrs_with_one() {
    let mut room = Room::new(Layout::Grid2x2);
    room.video_leg(1, red(), Resolution::Sd360);
    // Leg 2 only receives video: no camera.
    room.video_leg(2, green(), Resolution::Sd360);
    room.cameras.remove(&LegId(2));
    // Leg 3 only sends: we send it nothing (its direction is sendonly).
    room.video_leg(3, blue(), Resolution::Sd360);
    let mut config = leg_config(103, Resolution::Sd360);
    config.send = false;
    room.conf.set_video(LegId(3), config).unwrap();
    room.run(240);

    let to_2 = reports(room.screen(2));
    assert!(!to_2.is_empty());
    for r in &to_2 {
        let info = r.sender.expect("an SR to a leg we send video to");
        assert_eq!(info.ssrc, Ssrc(102));
        assert_eq!(info.packets, r.seen.rtp_packets);
        assert!(r.blocks.is_empty(), "nothing received from leg 2");
    }
    let to_3 = reports(room.screen(3));
    assert!(!to_3.is_empty());
    assert_eq!(room.screen(3).rtp_packets, 0);
    for r in &to_3 {
        assert!(r.sender.is_none(), "an RR: nothing sent to leg 3");
        assert_eq!(r.ssrc, Ssrc(103));
        assert_eq!(r.blocks.len(), 1);
        assert_eq!(r.blocks[0].ssrc, Ssrc(503));
        assert_eq!(r.blocks[0].cumulative_lost, 0);
    }
}

#[test]
fn a_legs_report_block_about_our_stream_is_kept_with_its_round_trip() {
    let mut room = Room::new(Layout::Grid2x2);
    room.conf
        .set_wallclock(room.now, UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    room.video_leg(1, red(), Resolution::Sd360);
    room.video_leg(2, green(), Resolution::Sd360);
    // Until leg 1 got our first SR.
    let mut frames = 0;
    while reports(room.screen(1)).is_empty() {
        room.run(1);
        frames += 1;
        assert!(frames < 150, "no SR within 5 s");
    }
    let (sr_ntp, sr_at) = {
        let r = &reports(room.screen(1))[0];
        (r.sender.unwrap().ntp, r.seen.at)
    };
    room.run(15);
    assert_eq!(room.conf.leg_report(LegId(1)), None);
    // Leg 1 reports on our stream (and on another source, which is not ours): held our SR
    // 0.3 s, so the round trip is 0.5 s − 0.3 s.
    let ours = ReportBlock {
        ssrc: Ssrc(101),
        fraction_lost: 64,
        cumulative_lost: 3,
        highest_seq: 70_000,
        jitter: 450,
        lsr: sr_ntp.middle32(),
        dlsr: 65536 * 3 / 10,
    };
    let other = ReportBlock {
        ssrc: Ssrc(999),
        fraction_lost: 200,
        ..ours
    };
    let mut buf = [0u8; 128];
    let n = rtcp::write_rr(&mut buf, Ssrc(501), &[other, ours], b"cam1").unwrap();
    room.conf.receive_rtcp(LegId(1), &buf[..n], room.now);
    let report = room.conf.leg_report(LegId(1)).expect("a report kept");
    assert_eq!(report.block, ours);
    assert_eq!(report.block.fraction_lost, 64);
    let rtt = report.rtt().expect("an RTT");
    let expected = (room.now - sr_at) - Duration::from_millis(300);
    let diff = rtt.abs_diff(expected);
    assert!(diff < Duration::from_millis(1), "{rtt:?} vs {expected:?}");
    // Leg 2 said nothing.
    assert_eq!(room.conf.leg_report(LegId(2)), None);
    // A later block without LSR updates the loss and keeps the round trip.
    let later = ReportBlock {
        fraction_lost: 0,
        lsr: 0,
        dlsr: 0,
        ..ours
    };
    let n = rtcp::write_rr(&mut buf, Ssrc(501), &[later], b"cam1").unwrap();
    room.conf.receive_rtcp(LegId(1), &buf[..n], room.now);
    let report = room.conf.leg_report(LegId(1)).unwrap();
    assert_eq!(report.block.fraction_lost, 0);
    assert_eq!(report.rtt(), Some(rtt));
}
