//! The video MCU end to end over loopback, with ffmpeg as the cameras and as the screen.
//!
//! Three callers dial a video conference (layout 1+N). Each sends a solid colour as real H.264
//! RTP made by ffmpeg (libx264, baseline, ffmpeg's own RTP packetizer: the bytes go from ffmpeg
//! to a relay socket, and from the caller's SDP video port to the bridge); their audio is a
//! scripted phone's (a tone for the talker, silence for the others). What the bridge sends back
//! is recorded, and ffmpeg decodes it: the test reads the colour in each tile.
//!
//! - The talker (red) fills the main tile of what the others see; the others are in the small
//!   tiles; the talker itself sees the first other participant (green) large.
//! - When the talker stops and the second caller (green, talking meanwhile) remains, the main
//!   tile turns green; the time from the stop to the first green frame is measured (the talk
//!   detector's 300 ms, the speaker hold, one frame, the network) and must stay under 1.5 s.
//! - An RTCP PLI from a receiver gets an IDR within 250 ms.
//!
//! Other tests: a 2×2 grid with an audio-only caller's name tile, where `*` switches to 3×3; an
//! audio conference answering video with port 0; and a conference booked the way the portal
//! stores one, in 2×2, whose picture is composed in that layout rather than the 1+N default.
//!
//! ffmpeg is a test dependency (`make test` installs it); without it the test fails, unless
//! `PONT_SKIP_FFMPEG=1` asks to skip it.

mod common;

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::phone::bind_rtp_pair;
use common::{Phone, PhoneOptions, TestBridge, CODE, NUMBER};
use media::h264::Depacketizer;
use media::video::{H264Decoder, Layout, Rect};
use media::Ssrc;
use sip::sdp::LocalVideo;
use tokio::net::UdpSocket;
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

/// The most a talker switch may take to show, from the old talker's last sound.
const SWITCH_LIMIT: Duration = Duration::from_millis(1500);
/// The most a PLI may take to be answered with an IDR.
const PLI_LIMIT: Duration = Duration::from_millis(250);

type Recording = Arc<Mutex<Vec<(Instant, Vec<u8>)>>>;
/// An access unit received: when its last packet came, whether it is a key frame, Annex B.
type Unit = (Instant, bool, Vec<u8>);

/// A video caller: a scripted phone for SIP and audio, ffmpeg for the camera, a recording of
/// the video the bridge sends it.
struct VideoCaller {
    phone: Phone,
    rtcp: Arc<UdpSocket>,
    bridge_rtcp: SocketAddr,
    received: Recording,
    _camera: Child,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for VideoCaller {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

fn skip() -> bool {
    common::skip_without_ffmpeg("video end-to-end test")
}

/// Dial the conference with video, then start ffmpeg sending `colour`.
async fn video_caller(b: &TestBridge, colour: &str, tone: Option<f64>) -> VideoCaller {
    let (rtp, rtcp) = bind_rtp_pair().await.expect("video ports");
    let (rtp, rtcp) = (Arc::new(rtp), Arc::new(rtcp));
    let opts = PhoneOptions {
        tone_hz: tone,
        video: Some(LocalVideo {
            port: rtp.local_addr().unwrap().port(),
            max_level_idc: 0x1f,
            max_recv_bitrate_bps: 1_500_000,
        }),
        ..PhoneOptions::tone(440.0)
    };
    let phone = Phone::dial(b.sip(), &format!("{NUMBER}**{CODE}"), opts)
        .await
        .expect("call answered");
    let video = phone
        .negotiated_video()
        .expect("the bridge took the video")
        .clone();
    let bridge_rtp = video.remote_rtp.expect("the bridge's video address");
    let bridge_rtcp = SocketAddr::new(bridge_rtp.ip(), bridge_rtp.port() + 1);
    let mut tasks = Vec::new();

    // ffmpeg → relay → (from our SDP video port) → bridge.
    let relay = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let relay_rtcp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let relay_port = relay.local_addr().unwrap().port();
    let relay_rtcp_port = relay_rtcp.local_addr().unwrap().port();
    let out = Arc::clone(&rtp);
    tasks.push(tokio::spawn(async move {
        let mut buf = [0u8; 2048];
        while let Ok(n) = relay.recv(&mut buf).await {
            let _ = out.send_to(&buf[..n], bridge_rtp).await;
        }
    }));
    tasks.push(tokio::spawn(async move {
        let mut buf = [0u8; 2048];
        while relay_rtcp.recv(&mut buf).await.is_ok() {}
    }));
    let received: Recording = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&received);
    let input = Arc::clone(&rtp);
    tasks.push(tokio::spawn(async move {
        let mut buf = [0u8; 2048];
        while let Ok((n, _)) = input.recv_from(&mut buf).await {
            record
                .lock()
                .unwrap()
                .push((Instant::now(), buf[..n].to_vec()));
        }
    }));
    let drain = Arc::clone(&rtcp);
    tasks.push(tokio::spawn(async move {
        let mut buf = [0u8; 2048];
        while drain.recv_from(&mut buf).await.is_ok() {}
    }));
    let camera = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-re",
            "-f",
            "lavfi",
            "-i",
        ])
        .arg(format!("color=c={colour}:s=640x360:r=30"))
        .args([
            "-an",
            "-c:v",
            "libx264",
            "-profile:v",
            "baseline",
            "-pix_fmt",
            "yuv420p",
        ])
        .args([
            "-preset",
            "ultrafast",
            "-tune",
            "zerolatency",
            "-g",
            "30",
            "-b:v",
            "300k",
        ])
        .args([
            "-payload_type",
            &video.payload_type.to_string(),
            "-f",
            "rtp",
        ])
        .arg(format!(
            "rtp://127.0.0.1:{relay_port}?rtcpport={relay_rtcp_port}&pkt_size=1200"
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("ffmpeg starts");
    VideoCaller {
        phone,
        rtcp,
        bridge_rtcp,
        received,
        _camera: camera,
        tasks,
    }
}

/// The recorded stream cut into access units (Annex B), with the arrival of each one's last
/// packet, and the SSRC the bridge sends with.
fn access_units(rec: &Recording) -> (Vec<Unit>, Option<Ssrc>) {
    let packets = rec.lock().unwrap().clone();
    let mut d = Depacketizer::new();
    let mut out = Vec::new();
    let mut ssrc = None;
    for (at, data) in packets {
        let Ok(p) = media::rtp::parse(&data) else {
            continue;
        };
        ssrc = Some(p.header.ssrc);
        let _ = d.push(p.header.seq, p.header.timestamp, p.header.marker, p.payload);
        while let Some(au) = d.poll_frame() {
            out.push((at, au.is_keyframe, au.data.clone()));
            d.recycle(au);
        }
    }
    (out, ssrc)
}

/// Decode the whole recording (a 720p stream) with ffmpeg; the last picture as RGB (width,
/// height, bytes).
async fn last_picture(rec: &Recording) -> (usize, usize, Vec<u8>) {
    last_picture_of_size(rec, 1280, 720).await
}

/// [`last_picture`] of a stream whose pictures are all `w` × `h`.
async fn last_picture_of_size(rec: &Recording, w: usize, h: usize) -> (usize, usize, Vec<u8>) {
    let (aus, _) = access_units(rec);
    let first_key = aus
        .iter()
        .position(|(_, key, _)| *key)
        .expect("an IDR arrived");
    let stream: Vec<u8> = aus[first_key..]
        .iter()
        .flat_map(|(_, _, d)| d.clone())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.h264");
    std::fs::write(&path, &stream).unwrap();
    let output = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-f", "h264", "-i"])
        .arg(&path)
        .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .await
        .expect("ffmpeg decodes");
    assert!(
        output.status.success(),
        "ffmpeg: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let frame = w * h * 3;
    let data = output.stdout;
    assert!(
        data.len() >= frame && data.len() % frame == 0,
        "ffmpeg gave {} bytes: not whole {w}x{h} pictures",
        data.len()
    );
    (w, h, data[data.len() - frame..].to_vec())
}

/// The RGB colour at the centre of a rect of an RGB picture (averaged over 8×8 pixels).
fn colour_at(pic: &(usize, usize, Vec<u8>), x: usize, y: usize) -> (u8, u8, u8) {
    let (w, _, data) = pic;
    let mut sum = [0u32; 3];
    for dy in 0..8 {
        for dx in 0..8 {
            let i = ((y + dy - 4) * w + (x + dx - 4)) * 3;
            for c in 0..3 {
                sum[c] += u32::from(data[i + c]);
            }
        }
    }
    (
        (sum[0] / 64) as u8,
        (sum[1] / 64) as u8,
        (sum[2] / 64) as u8,
    )
}

fn is(c: (u8, u8, u8), want: &str) -> bool {
    let (r, g, b) = (i32::from(c.0), i32::from(c.1), i32::from(c.2));
    match want {
        "red" => r > 180 && g < 70 && b < 70,
        "green" => g > 90 && r < 70 && b < 70,
        "blue" => b > 180 && r < 70 && g < 70,
        _ => unreachable!(),
    }
}

/// Centres of the 1+N tiles in a `w` × `h` picture.
fn tile_centres(w: usize, h: usize) -> Vec<(usize, usize)> {
    Layout::OnePlusN
        .tiles(w, h)
        .iter()
        .map(|r| (r.x + r.width / 2, r.y + r.height / 2))
        .collect()
}

/// Colours found in the small tiles.
fn small_tiles(pic: &(usize, usize, Vec<u8>)) -> Vec<(u8, u8, u8)> {
    tile_centres(pic.0, pic.1)[1..]
        .iter()
        .map(|&(x, y)| colour_at(pic, x, y))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_cameras_talker_large_switch_and_pli() {
    if skip() {
        return;
    }
    let b = TestBridge::start().await;
    b.add_video_conference(NUMBER, CODE, 10, "1+n").await;

    // Red talks from the start; green joins a second later, also talking; blue is silent.
    let red = video_caller(&b, "red", Some(440.0)).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let green = video_caller(&b, "green", Some(660.0)).await;
    // A caller enters the picture when it joins, after the code check's 300 ms: let green be
    // in before blue, so that the join order (green, then blue) is known.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let blue = video_caller(&b, "blue", None).await;
    tokio::time::sleep(Duration::from_millis(3000)).await;

    let main = tile_centres(1280, 720)[0];
    let seen_by_blue = last_picture(&blue.received).await;
    let c = colour_at(&seen_by_blue, main.0, main.1);
    assert!(is(c, "red"), "blue sees the talker (red) large, got {c:?}");
    let small = small_tiles(&seen_by_blue);
    assert!(
        small.iter().any(|c| is(*c, "green")),
        "green in a small tile: {small:?}"
    );
    assert!(
        small.iter().any(|c| is(*c, "blue")),
        "blue in a small tile: {small:?}"
    );
    // The talker's own view is sent at 360p (one person sees it), though red takes 720p.
    let seen_by_red = last_picture_of_size(&red.received, 640, 360).await;
    let own_main = tile_centres(640, 360)[0];
    let c = colour_at(&seen_by_red, own_main.0, own_main.1);
    assert!(
        is(c, "green"),
        "the talker sees the first other (green) large, got {c:?}"
    );
    assert!(
        !small_tiles(&seen_by_red).iter().any(|c| is(*c, "red")),
        "no self-view for the talker"
    );

    // Red stops talking: green (still talking) takes the main tile.
    let mut red = red;
    red.phone.stop_media();
    let stopped = Instant::now();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (aus, _) = access_units(&blue.received);
    let mut decoder = H264Decoder::new().unwrap();
    let mut switched = None;
    for (at, _, data) in &aus {
        if let Ok(Some(f)) = decoder.decode(data) {
            if *at < stopped {
                continue;
            }
            let p = f.pixel(main.0, main.1);
            let (r, g, b) = p.to_rgb();
            if is((r, g, b), "green") {
                switched = Some(at.duration_since(stopped));
                break;
            }
        }
    }
    let switched = switched.expect("the main tile turned green");
    eprintln!("talker switch shown after {switched:?}");
    assert!(switched <= SWITCH_LIMIT, "switch took {switched:?}");
    let seen_by_blue = last_picture(&blue.received).await;
    let c = colour_at(&seen_by_blue, main.0, main.1);
    assert!(is(c, "green"), "blue now sees green large, got {c:?}");

    // A PLI from blue: an IDR comes back soon (and none came in the second before it).
    let (_, ssrc) = access_units(&blue.received);
    let mut pli = [0u8; 12];
    let n = media::rtcp::write_pli(&mut pli, Ssrc(0x5151), ssrc.expect("stream SSRC")).unwrap();
    let before = blue.received.lock().unwrap().len();
    let asked = Instant::now();
    blue.rtcp
        .send_to(&pli[..n], blue.bridge_rtcp)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (aus, _) = access_units(&blue.received);
    let idr = aus
        .iter()
        .find(|(at, key, _)| *key && *at >= asked)
        .map(|(at, _, _)| at.duration_since(asked))
        .expect("an IDR after the PLI");
    let recent_key = aus.iter().any(|(at, key, _)| {
        *key && *at < asked && asked.duration_since(*at) < Duration::from_secs(1)
    });
    eprintln!("PLI answered by an IDR after {idr:?}");
    assert!(
        !recent_key,
        "no IDR in the second before the PLI (so this one answers it)"
    );
    assert!(idr <= PLI_LIMIT, "IDR after {idr:?}");
    assert!(blue.received.lock().unwrap().len() > before);

    assert!(b.metric("pont_video_frames_decoded_total").await > 100.0);
    assert!(b.metric("pont_video_keyframe_requests_in_total").await >= 1.0);
    drop((red, green, blue));
}

/// Centres of a layout's tiles at 720p.
fn centres(layout: Layout) -> Vec<(usize, usize)> {
    layout
        .tiles(1280, 720)
        .iter()
        .map(|r| (r.x + r.width / 2, r.y + r.height / 2))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grid_with_an_audio_only_tile_and_the_layout_key() {
    if skip() {
        return;
    }
    let b = TestBridge::start().await;
    b.add_video_conference(NUMBER, CODE, 10, "2x2").await;
    let red = video_caller(&b, "red", None).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let green = video_caller(&b, "green", None).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let blue = video_caller(&b, "blue", None).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    // An audio-only caller: a tile with its name.
    let mut phone = Phone::dial(
        b.sip(),
        &format!("{NUMBER}**{CODE}"),
        PhoneOptions {
            tone_hz: None,
            ..PhoneOptions::tone(440.0)
        },
    )
    .await
    .expect("audio-only call answered");
    assert!(phone.negotiated_video().is_none());
    tokio::time::sleep(Duration::from_millis(2500)).await;

    // 2×2 in join order: red, green, blue, then the audio-only caller's dark grey name tile.
    let pic = last_picture(&green.received).await;
    let grid = centres(Layout::Grid2x2);
    for (i, want) in ["red", "green", "blue"].iter().enumerate() {
        let c = colour_at(&pic, grid[i].0, grid[i].1);
        assert!(is(c, want), "tile {i} should be {want}, got {c:?}");
    }
    let tile = Layout::Grid2x2.tiles(1280, 720)[3];
    let (r, g, bl) = colour_at(&pic, tile.x + tile.width / 2, tile.y + tile.height / 10);
    assert!(
        (20..=60).contains(&r) && (20..=60).contains(&g) && (20..=60).contains(&bl),
        "the audio-only tile is dark grey, got {:?}",
        (r, g, bl)
    );
    let text_pixels = (0..tile.width / 4)
        .map(|i| tile.x + tile.width * 3 / 8 + i)
        .filter(|&x| {
            (tile.y + tile.height * 3 / 8..tile.y + tile.height * 5 / 8)
                .step_by(2)
                .any(|y| {
                    let (w, _, data) = &pic;
                    let p = (y * w + x) * 3;
                    data[p] > 200 && data[p + 1] > 200 && data[p + 2] > 200
                })
        })
        .count();
    assert!(
        text_pixels > 0,
        "the name is written in white in the middle of its tile"
    );

    // The audio-only caller presses *: the conference goes to the next layout (3×3).
    phone.send_dtmf('*').await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let pic = last_picture(&green.received).await;
    let grid = centres(Layout::Grid3x3);
    for (i, want) in ["red", "green", "blue"].iter().enumerate() {
        let c = colour_at(&pic, grid[i].0, grid[i].1);
        assert!(
            is(c, want),
            "after *, 3×3 tile {i} should be {want}, got {c:?}"
        );
    }
    let c = colour_at(&pic, grid[8].0, grid[8].1);
    assert_eq!(c, (0, 0, 0), "an unused 3×3 tile is black");
    let _ = phone.hangup(Duration::from_secs(2)).await;
    drop((red, green, blue));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audio_conference_refuses_video_with_port_zero() {
    let b = TestBridge::start().await;
    b.add_conference(NUMBER, CODE, 10).await;
    let (rtp, _rtcp) = bind_rtp_pair().await.expect("video ports");
    let mut phone = Phone::dial(
        b.sip(),
        &format!("{NUMBER}**{CODE}"),
        PhoneOptions {
            video: Some(LocalVideo {
                port: rtp.local_addr().unwrap().port(),
                max_level_idc: 0x1f,
                max_recv_bitrate_bps: 1_500_000,
            }),
            ..PhoneOptions::tone(440.0)
        },
    )
    .await
    .expect("the audio still works");
    assert!(phone.negotiated_video().is_none(), "video refused (port 0)");
    let log = phone.sip_log().join("\n");
    assert!(
        log.contains("m=video 0 "),
        "the answer has m=video 0: {log}"
    );
    let _ = phone.hangup(Duration::from_secs(2)).await;
}

/// The centre of a tile.
fn centre(r: &Rect) -> (usize, usize) {
    (r.x + r.width / 2, r.y + r.height / 2)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booked_layout_reaches_the_picture() {
    if skip() {
        return;
    }
    let b = TestBridge::start().await;
    // Booked as the portal and the API store a booking (open from a minute ago, for an hour),
    // in 2×2: the layout travels from the booking to its occurrence, which the bridge reads.
    b.book_now(|new| {
        new.title = "Grid".into();
        new.time_zone = "UTC".into();
        new.kind = "video".into();
        new.layout = "2x2".into();
        new.capacity = 10;
        new.language = "en".into();
    })
    .await;

    // Red talks; green, silent, watches.
    let red = video_caller(&b, "red", Some(440.0)).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let green = video_caller(&b, "green", None).await;
    tokio::time::sleep(Duration::from_millis(3000)).await;

    let grid = Layout::Grid2x2.tiles(1280, 720);
    let seen_by_green = last_picture(&green.received).await;
    let (x, y) = centre(&grid[0]);
    let c = colour_at(&seen_by_green, x, y);
    assert!(
        is(c, "red"),
        "green sees red in the first 2×2 tile, got {c:?}"
    );
    // A point inside the 1+N main tile (the default layout) but in the second 2×2 tile, which
    // is empty with one other participant: red there would mean 1+N.
    let main = Layout::OnePlusN.tiles(1280, 720)[0];
    let (x, y) = (main.x + main.width - 40, centre(&grid[1]).1);
    assert!(
        (grid[1].x..grid[1].x + grid[1].width).contains(&x) && y < main.y + main.height,
        "({x}, {y}) is in both the 1+N main tile and the second 2×2 tile"
    );
    let c = colour_at(&seen_by_green, x, y);
    assert!(!is(c, "red"), "a 1+N main tile at ({x}, {y}): {c:?}");
    drop((red, green));
}
