//! The per-conference video machine with real H.264 (openh264) both ways, on a fake clock: each
//! sender sends a solid colour, each receiver's stream is depacketized and decoded here, and the
//! tiles' colours say who is where.

mod counting_alloc;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use media::h264::{Depacketizer, Packetizer};
use media::rtcp::{self, RtcpPacket};
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
    rtcp: Vec<Vec<u8>>,
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
        }
    }

    fn take(&mut self, kind: PacketKind, data: &[u8]) {
        if kind == PacketKind::Rtcp {
            self.rtcp.push(data.to_vec());
            return;
        }
        let p = rtp::parse(data).unwrap();
        assert_eq!(p.header.pt, PT);
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
                let packets = self.cameras.get_mut(&id).unwrap().frame();
                for p in packets {
                    self.conf.receive_rtp(id, &p, self.now);
                }
            }
            let screens = &mut self.screens;
            let cameras = &mut self.cameras;
            self.conf.tick(self.now, |leg, kind, data| {
                if let Some(s) = screens.get_mut(&leg) {
                    s.take(kind, data);
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
            OutputKey {
                resolution: Resolution::Sd360,
                role: Role::Audience
            },
            OutputKey {
                resolution: Resolution::Sd360,
                role: Role::Speaker
            },
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
            OutputKey {
                resolution: Resolution::Hd720,
                role: Role::Audience
            },
            OutputKey {
                resolution: Resolution::Sd360,
                role: Role::Audience
            },
            OutputKey {
                resolution: Resolution::Sd360,
                role: Role::Speaker
            },
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
    room.conf.receive_rtcp(LegId(2), &pli[..n]);
    room.run(1);
    assert_eq!(
        room.screen(2).keyframes,
        before + 1,
        "the PLI was answered at once"
    );
    // A burst of PLIs within the interval: one more IDR, not one each.
    for _ in 0..5 {
        room.conf.receive_rtcp(LegId(2), &pli[..n]);
        room.run(1);
    }
    room.run(20);
    assert_eq!(room.screen(2).keyframes, before + 2);
    assert!(room.conf.stats().keyframe_requests_in >= 6);
    // A PLI about another source is not for us: no IDR.
    let n = rtcp::write_pli(&mut pli, Ssrc(7), Ssrc(999)).unwrap();
    room.conf.receive_rtcp(LegId(2), &pli[..n]);
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
    room.conf.receive_rtcp(LegId(3), &pli[..n]);
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
        .flat_map(|d| rtcp::parse(d).map_while(Result::ok).collect::<Vec<_>>())
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
        room.conf.receive_rtcp(LegId(1), &data);
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
    let hd_audience = OutputKey {
        resolution: Resolution::Hd720,
        role: Role::Audience,
    };
    let sd_speaker = OutputKey {
        resolution: Resolution::Sd360,
        role: Role::Speaker,
    };
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
