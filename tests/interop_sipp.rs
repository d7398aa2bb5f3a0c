//! Interoperability with a real SIP user agent: sipp (Debian package `sip-tester`, version 3.6.1)
//! calls the real `pont` binary on 127.0.0.1.
//!
//! How it works:
//!
//! - Each test starts `pont serve` from a temporary SQLite store in which `pont conference add`
//!   booked conference 721051 (see `support::bridge`). SIP and web listen on port 0 and the test
//!   reads the ports from the bridge's banner; RTP uses a range of 45000–45999 of its own.
//! - sipp runs a scenario of `fixtures/sipp/`: `uac_pcap.xml` dials `721051**1289` (number and
//!   access code, the form that joins straight in whether or not an IVR lobby answers the bare
//!   number), offers PCMU, and once the call is up plays `audio.pcap` from its working directory
//!   with `play_pcap_audio`, then hangs up after `-d` ms; `out_of_dialog.xml` sends requests
//!   that create no call.
//! - `audio.pcap` is written by the test (`support::pcap`): 20 ms µ-law packets of a sine tone,
//!   as Ethernet + IPv4 + UDP frames (sipp 3.6.1 refuses raw-IP captures). sipp sends the RTP
//!   through a raw socket (so as root), keeping the RTP headers as captured, to the address of
//!   the bridge's SDP answer, from the port its own SDP offered.
//! - The offered port is `[media_port+10]`, a port sipp does not bind (it binds `-mp` and
//!   `-mp`+2). The test binds it instead: the bridge answers RTP where RTP comes from (symmetric
//!   RTP), which is also the SDP address here, so the test's socket receives exactly what the
//!   bridge sends that caller (`support::rtp`), with no packet capture tool involved.
//! - Two callers play 440 Hz and 1000 Hz; each must hear the other's tone and not its own,
//!   measured with `media::goertzel` on the decoded stream.
//!
//! Everything is bounded in time: sipp gets `-timeout`, and every child process is killed when
//! it overruns its deadline or when the test ends (`support::process`). sipp needs root for its
//! raw socket: the media tests skip, saying so, when not run as root (CI and `make test` run as
//! root). A missing sipp fails the tests: `make test` installs `sip-tester`.

mod support;

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use support::bridge::{Bridge, CODE, NUMBER};
use support::pcap::{write_tone_pcap, ToneStream};
use support::process::Guarded;
use support::rtp::{tone_report, Capture, ToneReport};

/// The scenarios.
fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/sipp")
        .join(name)
}

/// Fail when sipp is missing (a silent pass would hide that nothing was tested).
fn require_sipp() {
    match Command::new("sipp")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(_) => {}
        Err(e) => panic!(
            "cannot run sipp ({e}): the interop tests need it; `make test` installs it \
             (Debian package sip-tester)"
        ),
    }
}

/// Whether sipp can open its raw socket for `play_pcap_audio` (root); prints why a test is
/// skipped otherwise.
fn can_play_pcap(test: &str) -> bool {
    // When `id` cannot tell, run the test: a failure says more than a skip.
    let Ok(out) = Command::new("id").arg("-u").output() else {
        return true;
    };
    let uid = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if uid == "0" || !out.status.success() {
        return true;
    }
    eprintln!(
        "SKIPPED {test}: sipp's play_pcap_audio sends through a raw socket, which needs root \
         (id -u = {uid:?}); run the tests as root (CI and `make test` do)"
    );
    false
}

/// A fresh directory for one sipp caller's files (pcap, logs).
fn caller_dir(parent: &Path, name: &str) -> PathBuf {
    let dir = parent.join(name);
    std::fs::create_dir_all(&dir).expect("create a caller directory");
    dir
}

/// A free UDP port on 127.0.0.1 for sipp's SIP socket (released just before sipp binds it).
fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// Where the next search for a caller's media ports starts (tests run on parallel threads).
static NEXT_MEDIA: AtomicU32 = AtomicU32::new(0);

/// Media ports for one sipp caller: `-mp` M, with M…M+3 free for sipp to bind, and the socket
/// the test holds on M+10 (the `[media_port+10]` of the scenario).
fn media_ports() -> (u16, UdpSocket) {
    for _ in 0..50 {
        // 24 slots of 20 ports: M…M+3 and M+10 stay within 45500–45979.
        let slot = NEXT_MEDIA.fetch_add(1, Ordering::Relaxed) % 24;
        let m = 45_500 + 20 * slot as u16;
        let probes: Vec<_> = (m..m + 4)
            .map(|p| UdpSocket::bind(("127.0.0.1", p)))
            .collect();
        if probes.iter().any(|p| p.is_err()) {
            continue;
        }
        if let Ok(held) = UdpSocket::bind(("127.0.0.1", m + 10)) {
            return (m, held);
        }
    }
    panic!("no free media ports in 45500-45999");
}

/// One sipp run's outcome and what to print when it is not the expected one.
struct SippRun {
    name: String,
    status: Option<ExitStatus>,
    dir: PathBuf,
}

impl SippRun {
    fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }

    /// sipp's output and error log, for assertion messages.
    fn report(&self) -> String {
        let read = |f: &str| std::fs::read_to_string(self.dir.join(f)).unwrap_or_default();
        let status = match self.status {
            Some(s) => format!("{s}"),
            None => "killed: it overran its deadline".to_string(),
        };
        format!(
            "sipp {} exit: {status}\n--- sipp stdout (tail) ---\n{}\n--- sipp stderr ---\n{}\n\
             --- sipp errors ---\n{}\n--- sipp messages (tail) ---\n{}",
            self.name,
            tail(&read("sipp.out"), 40),
            read("sipp.err"),
            read("errors.log"),
            tail(&read("messages.log"), 60),
        )
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// What the media tests dial: the conference number with its access code, which joins the
/// conference straight away (the room-system form of DESIGN.md), with or without an IVR lobby
/// in front of the bare number.
fn number_and_code() -> String {
    format!("{NUMBER}**{CODE}")
}

/// Start sipp with `scenario` against the bridge, dialling `service` (`-s`), in `dir` (its
/// working directory: where `audio.pcap` is and where its logs go). `media_port` is `-mp`;
/// `pause_ms` is `-d`.
fn spawn_sipp(
    name: &str,
    dir: &Path,
    scenario_file: &Path,
    bridge: &Bridge,
    service: &str,
    media_port: Option<u16>,
    pause_ms: u64,
) -> Guarded {
    let mut cmd = Command::new("sipp");
    cmd.current_dir(dir)
        .arg("-sf")
        .arg(scenario_file)
        .args(["-s", service])
        .arg(bridge.sip.to_string())
        .args(["-i", "127.0.0.1", "-p"])
        .arg(free_udp_port().to_string())
        .args(["-m", "1", "-nostdin", "-timeout", "25s", "-timeout_error"])
        .args(["-d", &pause_ms.to_string()])
        .args(["-trace_err", "-error_file"])
        .arg(dir.join("errors.log"))
        .args(["-trace_msg", "-message_file"])
        .arg(dir.join("messages.log"))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(dir.join("sipp.out")).expect("sipp.out"))
        .stderr(std::fs::File::create(dir.join("sipp.err")).expect("sipp.err"));
    if let Some(mp) = media_port {
        cmd.args(["-mi", "127.0.0.1", "-mp", &mp.to_string()]);
    }
    Guarded::new(
        format!("sipp {name}"),
        cmd.spawn().expect("start sipp (is sip-tester installed?)"),
    )
}

/// Wait for a sipp run to end, at most `timeout` (then it is killed).
fn finish_sipp(name: &str, dir: &Path, mut sipp: Guarded, timeout: Duration) -> SippRun {
    let status = sipp.wait_for(timeout);
    SippRun {
        name: name.to_string(),
        status,
        dir: dir.to_path_buf(),
    }
}

/// Poll `/metrics` until `name` reads `value` or `timeout` passes; the last value read.
fn wait_metric(bridge: &Bridge, name: &str, value: f64, timeout: Duration) -> f64 {
    let deadline = Instant::now() + timeout;
    loop {
        let v = bridge.metric(name);
        if v == value || Instant::now() >= deadline {
            return v;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// sipp's RTP went through the bridge's media path untouched by error: every packet parsed as
/// valid RTP of the negotiated payload type, none was dropped before the mixer, and everything
/// the bridge sent back left its socket.
fn check_media_clean(bridge: &Bridge) {
    let m = bridge.metrics();
    for name in [
        "pont_rtp_packets_malformed_total",
        "pont_rtp_packets_dropped_total",
        "pont_rtp_send_errors_total",
    ] {
        let v = m.get(name).copied();
        assert_eq!(v, Some(0.0), "{name} (all metrics: {m:?})");
    }
}

/// A 20 ms µ-law tone stream (the ports are placeholders sipp rewrites).
fn tone(freq_hz: f64, seconds: f64, ssrc: u32) -> ToneStream {
    ToneStream {
        freq_hz,
        amplitude: 0.3,
        seconds,
        src_port: 45_510,
        dst_port: 45_000,
        ssrc,
    }
}

/// One caller: sipp dials the conference, plays 3 s of tone, hangs up after 3.5 s; the call
/// must succeed end to end (sipp exits 0 only when every step of the scenario, the BYE's 200
/// included, happened) and the bridge must have counted the call and its RTP, and ended it.
#[test]
fn sipp_call_answered_mixed_and_bye() {
    require_sipp();
    if !can_play_pcap("sipp_call_answered_mixed_and_bye") {
        return;
    }
    let started = Instant::now();
    let tmp = tempfile::tempdir().expect("temp dir");
    let bridge = Bridge::start(tmp.path(), "45000-45019");
    let dir = caller_dir(tmp.path(), "caller");
    let stream = tone(440.0, 3.0, 0x0a0a_0a0a);
    let played = write_tone_pcap(&dir.join("audio.pcap"), &stream).expect("write audio.pcap");
    let (mp, held) = media_ports();
    let capture = Capture::start(held);

    let sipp = spawn_sipp(
        "caller",
        &dir,
        &scenario("uac_pcap.xml"),
        &bridge,
        &number_and_code(),
        Some(mp),
        3500,
    );
    let run = finish_sipp("caller", &dir, sipp, Duration::from_secs(20));
    let heard = tone_report(&capture.finish(), 1000.0, stream.freq_hz);
    assert!(
        run.succeeded(),
        "the call did not complete\n{}\n--- bridge log ---\n{}",
        run.report(),
        bridge.log_text()
    );

    let active = wait_metric(&bridge, "pont_calls_active", 0.0, Duration::from_secs(3));
    let m = bridge.metrics();
    eprintln!(
        "one caller: calls_total {} rtp_packets_received_total {} rtp_packets_sent_total {} \
         calls_active {active}; it got {} RTP packets back, its own 440 Hz at {:.1} dBFS; \
         {:.1} s",
        m["pont_calls_total"],
        m["pont_rtp_packets_received_total"],
        m["pont_rtp_packets_sent_total"],
        heard.packets,
        heard.own_all_db,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(m["pont_calls_total"], 1.0, "one INVITE, one call");
    assert_eq!(m["pont_calls_rejected_total"], 0.0);
    assert_eq!(active, 0.0, "the BYE ended the call");
    assert_eq!(m["pont_participants_active"], 0.0);
    assert_eq!(
        m["pont_rtp_ports_in_use"], 0.0,
        "the call's ports were freed"
    );
    // sipp plays 150 packets, all before the BYE; loopback loses none, but allow a little.
    assert!(
        m["pont_rtp_packets_received_total"] >= 0.9 * played as f64,
        "the bridge received {} RTP/RTCP packets of the {played} sipp played",
        m["pont_rtp_packets_received_total"]
    );
    check_media_clean(&bridge);
    // Everyone hears everyone but themselves: alone, the caller must not hear its own tone
    // (it is played at −10.5 dBFS; an echo would show within a few dB of that).
    assert!(
        heard.own_all_db < -40.0,
        "the lone caller hears its own 440 Hz at {:.1} dBFS: {heard:?}",
        heard.own_all_db
    );
}

/// Two callers at once, A playing 440 Hz and B 1000 Hz: what the bridge sends A must carry B's
/// 1000 Hz and not A's own 440 Hz (at least 20 dB apart), and the reverse for B.
#[test]
fn two_sipp_callers_hear_each_other() {
    require_sipp();
    if !can_play_pcap("two_sipp_callers_hear_each_other") {
        return;
    }
    let started = Instant::now();
    let tmp = tempfile::tempdir().expect("temp dir");
    let bridge = Bridge::start(tmp.path(), "45020-45039");

    let (a_freq, b_freq) = (440.0, 1000.0);
    let dir_a = caller_dir(tmp.path(), "a");
    let dir_b = caller_dir(tmp.path(), "b");
    write_tone_pcap(&dir_a.join("audio.pcap"), &tone(a_freq, 4.0, 0x0a0a_0a0a)).expect("pcap A");
    write_tone_pcap(&dir_b.join("audio.pcap"), &tone(b_freq, 4.0, 0x0b0b_0b0b)).expect("pcap B");
    let (mp_a, held_a) = media_ports();
    let (mp_b, held_b) = media_ports();
    let capture_a = Capture::start(held_a);
    let capture_b = Capture::start(held_b);

    // Both calls last 4.5 s and start together: the 4 s tones overlap for nearly all of it.
    let scenario_file = scenario("uac_pcap.xml");
    let service = number_and_code();
    let sipp_a = spawn_sipp(
        "A",
        &dir_a,
        &scenario_file,
        &bridge,
        &service,
        Some(mp_a),
        4500,
    );
    let sipp_b = spawn_sipp(
        "B",
        &dir_b,
        &scenario_file,
        &bridge,
        &service,
        Some(mp_b),
        4500,
    );
    let run_a = finish_sipp("A", &dir_a, sipp_a, Duration::from_secs(20));
    let run_b = finish_sipp("B", &dir_b, sipp_b, Duration::from_secs(5));
    let heard_a = capture_a.finish();
    let heard_b = capture_b.finish();
    for run in [&run_a, &run_b] {
        assert!(
            run.succeeded(),
            "a call did not complete\n{}\n--- bridge log ---\n{}",
            run.report(),
            bridge.log_text()
        );
    }

    let a = tone_report(&heard_a, b_freq, a_freq);
    let b = tone_report(&heard_b, a_freq, b_freq);
    eprintln!(
        "A (plays 440 Hz) hears: 1000 Hz {:.1} dBFS, 440 Hz {:.1} dBFS over {} of {} blocks \
         ({} RTP packets)",
        a.expected_db, a.own_db, a.active_blocks, a.blocks, a.packets
    );
    eprintln!(
        "B (plays 1000 Hz) hears: 440 Hz {:.1} dBFS, 1000 Hz {:.1} dBFS over {} of {} blocks \
         ({} RTP packets); {:.1} s",
        b.expected_db,
        b.own_db,
        b.active_blocks,
        b.blocks,
        b.packets,
        started.elapsed().as_secs_f64()
    );
    check_hears("A", "B", &a);
    check_hears("B", "A", &b);

    let active = wait_metric(&bridge, "pont_calls_active", 0.0, Duration::from_secs(3));
    assert_eq!(bridge.metric("pont_calls_total"), 2.0);
    assert_eq!(active, 0.0, "both BYEs ended their calls");
    check_media_clean(&bridge);
}

/// `listener` heard `talker`'s tone, loud and clear, and not its own.
fn check_hears(listener: &str, talker: &str, r: &ToneReport) {
    assert!(
        r.pcmu_packets >= 100,
        "{listener} received only {} µ-law packets ({} RTP) from the bridge: {r:?}",
        r.pcmu_packets,
        r.packets
    );
    // 40 blocks of 50 ms: 2 s of the 4 s the tones overlap.
    assert!(
        r.active_blocks >= 40,
        "{listener} heard someone in only {} of {} 50 ms blocks: {r:?}",
        r.active_blocks,
        r.blocks
    );
    // The tone is sent at −10.5 dBFS; the mix may scale it, but not bury it.
    assert!(
        r.expected_db > -30.0,
        "{listener} hears {talker}'s tone at only {:.1} dBFS: {r:?}",
        r.expected_db
    );
    assert!(
        r.expected_db - r.own_db >= 20.0,
        "{listener} hears its own tone ({:.1} dBFS) too close to {talker}'s ({:.1} dBFS): {r:?}",
        r.own_db,
        r.expected_db
    );
}

/// Requests outside any call, sent by sipp: OPTIONS → 200 listing INVITE in Allow, INFO
/// without a dialog → 481, a malformed Max-Forwards → 400, an unknown method → 501 (the policy
/// `sip/src/endpoint.rs` documents). None of them is a call.
#[test]
fn sipp_garbage_and_options() {
    require_sipp();
    let tmp = tempfile::tempdir().expect("temp dir");
    let bridge = Bridge::start(tmp.path(), "45040-45049");
    let dir = caller_dir(tmp.path(), "ood");
    let sipp = spawn_sipp(
        "out-of-dialog",
        &dir,
        &scenario("out_of_dialog.xml"),
        &bridge,
        NUMBER,
        None,
        0,
    );
    let run = finish_sipp("out-of-dialog", &dir, sipp, Duration::from_secs(15));
    assert!(
        run.succeeded(),
        "an answer was not the documented one\n{}\n--- bridge log ---\n{}",
        run.report(),
        bridge.log_text()
    );
    let m = bridge.metrics();
    assert_eq!(m["pont_calls_total"], 0.0, "no INVITE was sent");
    assert_eq!(
        m["pont_sip_bad_requests_total"], 1.0,
        "the bad Max-Forwards counts as one malformed request"
    );
}
