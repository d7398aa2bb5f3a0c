//! Interoperability of the IVR and the conference with two real SIP clients of Debian 12:
//! **baresip** 1.0.0 and **linphonec** 5.1 (package `linphone-cli`). Each dials, keys the digits
//! through its own control interface, must be joined, and must hear the conference.
//!
//! How it works:
//!
//! - These clients put the host's primary address in their SDP and cannot be told to use
//!   127.0.0.1, so each test makes a network namespace of its own (`support::netns`): loopback
//!   plus one interface `pont0` with 10.213.0.1/24 and the namespace's default route. Here the
//!   kernel has no `dummy` interfaces, so `pont0` is one end of a veth pair whose other end is
//!   in the same namespace: nothing leads outside it, and nothing outside is ever aimed at. The
//!   namespace is deleted when the test ends, failed or not (a Drop guard).
//! - In it run the real `pont serve --sip 10.213.0.1:0 --web 10.213.0.1:0 --gateway-number
//!   +33426687307=en` (RTP 46100–46199), the client, and a second participant: sipp
//!   (`fixtures/sipp/uac_pcap.xml`) dialling `721051**1289`, which joins at once and plays a
//!   1000 Hz µ-law tone (−10.5 dBFS) for the whole test. The test reads `/metrics` and talks to
//!   the clients' control sockets from a thread that has entered the namespace (setns).
//! - baresip (`fixtures/baresip/config`, with the port and paths filled in): audio source
//!   `ausine` (440 Hz), player `aubridge,nil`, and the `sndfile` module writing what it decodes
//!   to `dump-*-dec.wav`; driven by `ctrl_tcp` (netstring JSON): `dial`, then `sndcode` per
//!   digit (RFC 4733, PT 101), `hangup`, `quit`.
//!   - `baresip_gateway_ivr_joins_and_hears`: offers PCMU and PCMA, dials the gateway number,
//!     keys `721051#` then `1289#`.
//!   - `baresip_pcma_only_code_prompt`: offers PCMA only, dials `721051@…` (code prompt only),
//!     keys `1289#`.
//!   - `baresip_opus_direct_hears_wideband`: offers opus (module `opus.so`), PCMU and PCMA,
//!     dials `721051**1289` (joined at once, no keys); the bridge must log `media negotiated`
//!     with `codec=opus` for it, and baresip's recording must be at 48 kHz and hold the
//!     participant's 1000 Hz (which the bridge transcodes from PCMU through its 48 kHz mix).
//! - linphonec (`fixtures/linphone/linphonerc`): driven through its standard input (a pipe),
//!   `soundcard use files` and `record FILE` so that what it plays out goes to a WAV; it dials
//!   the gateway number and keys one digit per line. With only G.711 left enabled (`codec
//!   disable` of opus, speex and G.729), its offer numbers telephone-event/8000 96 (101 when
//!   opus is on): the bridge must take digits at the negotiated type. linphonec sends a typed
//!   key at most once a second (100 ms events), so the test types one every 1.1 s. It sends no
//!   audio of its own in `files` mode without a `play` file (only events, RTCP and STUN
//!   binding requests), which the test does not need.
//! - Each must be joined (`pont_calls_joined_total` = 2, with the sipp participant), with
//!   every key counted once (`pont_dtmf_digits_total`), and its recording must hold the
//!   participant's 1000 Hz: at least 30 blocks of 50 ms (1.5 s) in which the tone is louder
//!   than −30 dBFS and carries most of the block's energy (`media::goertzel`).
//!
//! Gate: network namespaces and sipp's raw socket need root; the tests skip, saying so, when
//! not run as root. A missing client or sipp fails them: `make test` installs `baresip`,
//! `linphone-cli` and `sip-tester`. Every process is killed on its deadline and when the test
//! ends; each test lasts about 20 s.

mod support;

use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::bridge::{Bridge, Options, CODE, NUMBER};
use support::netns::{in_netns, Netns};
use support::pcap::{write_tone_pcap, ToneStream};
use support::process::Guarded;
use support::sipp::{caller_dir, is_root, require_sipp, scenario, Caller};
use support::wav;

/// The gateway number the bridge is given.
const GATEWAY: &str = "+33426687307";
/// The address of the namespace's interface.
const ADDRESS: &str = "10.213.0.1";
/// The tone the second participant plays.
const TONE_HZ: f64 = 1000.0;

/// Fail when `program` is not installed (a silent pass would hide that nothing was tested).
fn require(program: &str, package: &str) {
    if let Err(e) = Command::new(program)
        .arg("-h")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(|mut c| {
            let _ = c.kill();
            let _ = c.wait();
        })
    {
        panic!("cannot run {program} ({e}): run `make test`, which installs the Debian package {package}");
    }
}

/// What every client test needs: root, the programs, a namespace, the bridge in it and the
/// sipp participant playing 1000 Hz.
struct Stage {
    ns: Netns,
    bridge: Bridge,
    _participant: Guarded,
    /// The socket on the participant's SDP port (so the bridge's RTP to it is received).
    _participant_rtp: UdpSocket,
    dir: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Stage {
    /// `tag` names the namespace; `rtp` is the bridge's RTP range; the participant stays
    /// `seconds`.
    fn set_up(tag: &str, rtp: &str, seconds: f64) -> Stage {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().to_path_buf();
        let ns = Netns::create(tag, &format!("{ADDRESS}/24"));
        let options = Options {
            ip: ADDRESS.into(),
            gateways: vec![format!("{GATEWAY}=en")],
            netns: Some(ns.name.clone()),
        };
        let bridge = Bridge::start_with(&dir, rtp, &options);

        let pdir = caller_dir(&dir, "participant");
        let stream = ToneStream {
            freq_hz: TONE_HZ,
            amplitude: 0.3,
            seconds,
            src_port: 46_980,
            dst_port: 46_100,
            ssrc: 0x0c0c_0c0c,
        };
        write_tone_pcap(&pdir.join("audio.pcap"), &stream).expect("participant pcap");
        let mp = 46_970;
        let rtp_socket = in_netns(&ns.name, move || UdpSocket::bind((ADDRESS, mp + 10)))
            .expect("bind the participant's RTP port in the namespace");
        let direct = format!("{NUMBER}**{CODE}");
        let participant = Caller {
            name: "participant",
            dir: &pdir,
            scenario: &scenario("uac_pcap.xml"),
            target: bridge.sip.to_string(),
            service: &direct,
            ip: ADDRESS,
            media_port: Some(mp),
            pause_ms: (seconds * 1000.0) as u64,
        }
        .spawn(Some(&ns.name));
        let stage = Stage {
            ns,
            bridge,
            _participant: participant,
            _participant_rtp: rtp_socket,
            dir,
            _tmp: tmp,
        };
        let joined = stage.wait_metric("pont_calls_joined_total", 1.0, Duration::from_secs(5));
        assert_eq!(
            joined,
            1.0,
            "the sipp participant did not join\n{}",
            stage.bridge.log_text()
        );
        stage
    }

    /// Poll `/metrics` until `name` reaches `value` or `timeout` passes; the last value read.
    fn wait_metric(&self, name: &str, value: f64, timeout: Duration) -> f64 {
        let deadline = Instant::now() + timeout;
        loop {
            let v = self.bridge.metric(name);
            if v >= value || Instant::now() >= deadline {
                return v;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// How a recording holds the participant's tone.
#[derive(Debug)]
struct Heard {
    rate: u32,
    seconds: f64,
    /// 50 ms blocks where the tone is above −30 dBFS and carries most of the energy.
    tone_blocks: usize,
    /// The tone's median level over those blocks, dBFS.
    median_db: f64,
    /// The loudest block's tone level, dBFS.
    max_db: f64,
}

/// Measure the 1000 Hz tone in the WAV at `path`.
fn heard_in(path: &Path) -> Heard {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let w = wav::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let block = (w.rate / 20) as usize;
    let mut levels: Vec<f64> = w
        .samples
        .chunks_exact(block.max(1))
        .filter_map(|b| {
            let tone = media::goertzel::level_db(b, TONE_HZ, f64::from(w.rate));
            let total = media::goertzel::total_db(b);
            // "Most of the energy": within 3 dB of the whole block.
            (tone > -30.0 && tone > total - 3.0).then_some(tone)
        })
        .collect();
    levels.sort_by(f64::total_cmp);
    Heard {
        rate: w.rate,
        seconds: w.samples.len() as f64 / f64::from(w.rate.max(1)),
        tone_blocks: levels.len(),
        median_db: levels.get(levels.len() / 2).copied().unwrap_or(-200.0),
        max_db: levels.last().copied().unwrap_or(-200.0),
    }
}

fn check_heard(client: &str, h: &Heard, log: &str) {
    assert!(
        h.tone_blocks >= 30,
        "{client} heard the participant's 1000 Hz in only {} blocks of 50 ms: {h:?}\n{log}",
        h.tone_blocks
    );
}

/// The text of a file, or a note that it is missing.
fn read_text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| format!("({}: {e})", path.display()))
}

// ---------------------------------------------------------------------------------------------
// baresip

/// baresip's SIP port and ctrl_tcp port inside the namespace.
const BARESIP_SIP: u16 = 46_950;
const BARESIP_CTRL: u16 = 46_951;

/// A running baresip and its control connection.
struct Baresip {
    process: Guarded,
    ctrl: TcpStream,
    /// Everything baresip answered on the control connection.
    replies: Arc<Mutex<Vec<u8>>>,
    dir: PathBuf,
}

impl Baresip {
    /// Start baresip in the namespace, offering `codecs` (`PCMU,PCMA`).
    fn start(stage: &Stage, codecs: &str) -> Baresip {
        let dir = caller_dir(&stage.dir, "baresip");
        let rec = dir.join("rec");
        std::fs::create_dir_all(&rec).expect("recording dir");
        let template = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/baresip/config"),
        )
        .expect("read fixtures/baresip/config");
        let config = template
            .replace("@SIP@", &format!("{ADDRESS}:{BARESIP_SIP}"))
            .replace("@CTRL@", &format!("127.0.0.1:{BARESIP_CTRL}"))
            .replace("@REC@", &rec.display().to_string());
        std::fs::write(dir.join("config"), config).expect("write config");
        std::fs::write(
            dir.join("accounts"),
            format!("<sip:pont-test@{ADDRESS}:{BARESIP_SIP}>;regint=0;audio_codecs={codecs}\n"),
        )
        .expect("write accounts");
        std::fs::write(dir.join("contacts"), "").expect("write contacts");
        let child = stage
            .ns
            .command("baresip")
            .arg("-v")
            .arg("-f")
            .arg(&dir)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.join("baresip.out")).expect("baresip.out"))
            .stderr(std::fs::File::create(dir.join("baresip.err")).expect("baresip.err"))
            .spawn()
            .expect("start baresip");
        let process = Guarded::new("baresip", child);

        // Its control socket is up once it has loaded its modules: retry for 5 s.
        let deadline = Instant::now() + Duration::from_secs(5);
        let ctrl = loop {
            let ns = stage.ns.name.clone();
            let c = in_netns(&ns, || {
                TcpStream::connect_timeout(
                    &format!("127.0.0.1:{BARESIP_CTRL}")
                        .parse()
                        .expect("address"),
                    Duration::from_millis(500),
                )
            });
            match c {
                Ok(c) => break c,
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100))
                }
                Err(e) => panic!(
                    "baresip's ctrl_tcp did not accept within 5 s ({e})\n{}",
                    read_text(&dir.join("baresip.out"))
                ),
            }
        };
        let replies = Arc::new(Mutex::new(Vec::new()));
        let mut reader = ctrl.try_clone().expect("clone the control socket");
        let sink = Arc::clone(&replies);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().expect("replies").extend_from_slice(&buf[..n]);
            }
        });
        Baresip {
            process,
            ctrl,
            replies,
            dir,
        }
    }

    /// Send one ctrl_tcp command: a netstring around `{"command":…,"params":…,"token":…}`.
    fn command(&mut self, command: &str, params: &str) {
        let json = format!(r#"{{"command":"{command}","params":"{params}","token":"{command}"}}"#);
        let frame = format!("{}:{json},", json.len());
        self.ctrl
            .write_all(frame.as_bytes())
            .unwrap_or_else(|e| panic!("send {command} to baresip: {e}"));
    }

    /// baresip's log and control replies, for assertion messages.
    fn report(&self) -> String {
        format!(
            "--- baresip stdout (tail) ---\n{}\n--- baresip stderr ---\n{}\n--- ctrl_tcp replies ---\n{}",
            support::sipp::tail(&read_text(&self.dir.join("baresip.out")), 60),
            read_text(&self.dir.join("baresip.err")),
            String::from_utf8_lossy(&self.replies.lock().expect("replies")),
        )
    }

    /// Hang up, quit, and wait for it (killed after 3 s); the decoded recording's path.
    fn finish(mut self) -> (PathBuf, String) {
        self.command("hangup", "");
        std::thread::sleep(Duration::from_millis(300));
        self.command("quit", "");
        self.process.wait_for(Duration::from_secs(3));
        let report = self.report();
        let rec = self.dir.join("rec");
        let dec = std::fs::read_dir(&rec)
            .expect("the recording dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("dump-") && n.ends_with("-dec.wav"))
            })
            .unwrap_or_else(|| {
                panic!(
                    "sndfile wrote no dump-*-dec.wav in {}\n{report}",
                    rec.display()
                )
            });
        (dec, report)
    }
}

/// Key `keys` through baresip: one `sndcode` per key, 300 ms apart (its events last about
/// 180 ms), 1.2 s after each `#` (the IVR ignores keys while it looks an entry up).
fn baresip_keys(b: &mut Baresip, keys: &str) {
    for key in keys.chars() {
        b.command("sndcode", &key.to_string());
        std::thread::sleep(Duration::from_millis(if key == '#' { 1200 } else { 300 }));
    }
}

/// Run one baresip call: dial `uri`, key `keys` once the call is up, be joined, listen 3 s.
/// Returns what baresip heard and the logs (baresip's and the bridge's); `None` when skipped.
fn baresip_call(
    tag: &str,
    rtp: &str,
    codecs: &str,
    user: &str,
    keys: &str,
) -> Option<(Heard, String)> {
    if !is_root(tag, "a network namespace and sipp's raw socket") {
        return None;
    }
    require("baresip", "baresip");
    require_sipp();
    let started = Instant::now();
    let stage = Stage::set_up(tag, rtp, 25.0);
    let mut b = Baresip::start(&stage, codecs);
    let uri = format!("sip:{user}@{}", stage.bridge.sip);
    b.command("dial", &uri);
    let up = stage.wait_metric("pont_calls_active", 2.0, Duration::from_secs(5));
    assert_eq!(
        up,
        2.0,
        "baresip's call did not come up\n{}\n{}",
        b.report(),
        stage.bridge.log_text()
    );
    // The media path needs a moment after the 200/ACK; keys barge in on the prompt.
    std::thread::sleep(Duration::from_millis(500));
    baresip_keys(&mut b, keys);
    let joined = stage.wait_metric("pont_calls_joined_total", 2.0, Duration::from_secs(8));
    let digits = stage.bridge.metric("pont_dtmf_digits_total");
    let wrong = stage.bridge.metric("pont_ivr_wrong_codes_total");
    if joined == 2.0 {
        std::thread::sleep(Duration::from_secs(3));
    }
    let (dec, report) = b.finish();
    let log = format!("{report}\n--- bridge log ---\n{}", stage.bridge.log_text());
    assert_eq!(joined, 2.0, "baresip was not joined\n{log}");
    assert_eq!(digits, keys.len() as f64, "each key counted once\n{log}");
    assert_eq!(wrong, 0.0, "{log}");
    let heard = heard_in(&dec);
    eprintln!(
        "{tag}: baresip ({codecs}) recorded {:.1} s at {} Hz; the participant's 1000 Hz in {} \
         blocks, median {:.1} dBFS, max {:.1} dBFS; {:.1} s",
        heard.seconds,
        heard.rate,
        heard.tone_blocks,
        heard.median_db,
        heard.max_db,
        started.elapsed().as_secs_f64()
    );
    check_heard("baresip", &heard, &log);
    Some((heard, log))
}

/// baresip (PCMU, PCMA) dials the gateway number, keys `721051#` and `1289#` by RFC 4733
/// through ctrl_tcp, is joined and hears the participant's 1000 Hz.
#[test]
fn baresip_gateway_ivr_joins_and_hears() {
    baresip_call(
        "baresip_gateway_ivr_joins_and_hears",
        "46100-46119",
        "PCMU,PCMA",
        GATEWAY,
        &format!("{NUMBER}#{CODE}#"),
    );
}

/// The codec the bridge logged for each call's media (`media negotiated … codec=…`), in the
/// log's order.
fn negotiated_codecs(bridge_log: &str) -> Vec<String> {
    bridge_log
        .lines()
        .filter(|l| l.contains("media negotiated"))
        .filter_map(|l| {
            let at = l.find("codec=")? + "codec=".len();
            let value = l[at..].split([' ', ',', '}']).next()?;
            Some(value.trim_matches('"').to_string())
        })
        .collect()
}

/// baresip offering opus first (then PCMU, PCMA) dials `721051**1289`, is joined at once, is
/// answered with opus, and records the participant's 1000 Hz at 48 kHz.
#[test]
fn baresip_opus_direct_hears_wideband() {
    let Some((heard, log)) = baresip_call(
        "baresip_opus_direct_hears_wideband",
        "46160-46179",
        "opus/48000/2,PCMU,PCMA",
        &format!("{NUMBER}**{CODE}"),
        "",
    ) else {
        return;
    };
    let codecs = negotiated_codecs(&log);
    for line in log
        .lines()
        .filter(|l| l.contains("media negotiated") || l.contains("leg media quality"))
    {
        eprintln!("bridge: {line}");
    }
    // The sipp participant talks PCMU; baresip's call is the other one.
    assert_eq!(
        codecs.len(),
        2,
        "one `media negotiated` line per call: {codecs:?}\n{log}"
    );
    assert!(
        codecs.iter().any(|c| c == "PCMU") && codecs.iter().any(|c| c.eq_ignore_ascii_case("opus")),
        "the participant on PCMU and baresip on opus: {codecs:?}\n{log}"
    );
    assert_eq!(
        heard.rate, 48_000,
        "baresip decoded at 48 kHz: {heard:?}\n{log}"
    );
}

/// baresip offering only PCMA dials `721051@…`, keys `1289#` at the code prompt, is joined and
/// hears the participant (who talks PCMU: the bridge transcodes through its mix).
#[test]
fn baresip_pcma_only_code_prompt() {
    baresip_call(
        "baresip_pcma_only_code_prompt",
        "46120-46139",
        "PCMA",
        NUMBER,
        &format!("{CODE}#"),
    );
}

// ---------------------------------------------------------------------------------------------
// linphonec

/// linphonec's SIP port inside the namespace.
const LINPHONE_SIP: u16 = 46_960;

/// linphonec dials the gateway number, keys `721051#` and `1289#` one per line on its
/// standard input (RFC 4733 at PT 96), is joined and records the participant's 1000 Hz.
#[test]
fn linphonec_gateway_ivr_joins_and_hears() {
    let tag = "linphonec_gateway_ivr_joins_and_hears";
    if !is_root(tag, "a network namespace and sipp's raw socket") {
        return;
    }
    require("linphonec", "linphone-cli");
    require_sipp();
    let started = Instant::now();
    let stage = Stage::set_up(tag, "46140-46159", 30.0);
    let dir = caller_dir(&stage.dir, "linphone");
    // linphonec keeps its database under $HOME; it must exist.
    std::fs::create_dir_all(dir.join(".local/share/linphone")).expect("linphone home");
    let rc = dir.join("linphonerc");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/linphone/linphonerc"),
        &rc,
    )
    .expect("copy fixtures/linphone/linphonerc");
    let record = dir.join("heard.wav");
    let child = stage
        .ns
        .command("linphonec")
        .arg("-c")
        .arg(&rc)
        .env("HOME", &dir)
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(std::fs::File::create(dir.join("linphonec.out")).expect("linphonec.out"))
        .stderr(std::fs::File::create(dir.join("linphonec.err")).expect("linphonec.err"))
        .spawn()
        .expect("start linphonec");
    let mut process = Guarded::new("linphonec", child);
    let mut stdin = process.take_stdin().expect("piped stdin");
    let mut say = |line: &str, pause_ms: u64| {
        writeln!(stdin, "{line}").unwrap_or_else(|e| panic!("tell linphonec {line:?}: {e}"));
        std::thread::sleep(Duration::from_millis(pause_ms));
    };
    say("ipv6 disable", 200);
    say(&format!("ports sip {LINPHONE_SIP}"), 200);
    // Only G.711 (as the bridge): with opus and speex gone, linphonec numbers its
    // telephone-event/8000 96 instead of 101, so the bridge must follow the negotiated type.
    for codec in [0, 1, 2, 7] {
        say(&format!("codec disable {codec}"), 100);
    }
    say("soundcard use files", 200);
    say(&format!("record {}", record.display()), 200);
    say(&format!("call sip:{GATEWAY}@{}", stage.bridge.sip), 0);
    let report = |process_dir: &Path| {
        format!(
            "--- linphonec stdout (tail) ---\n{}\n--- linphonec stderr (tail) ---\n{}\n--- bridge log ---\n{}",
            support::sipp::tail(&read_text(&process_dir.join("linphonec.out")), 60),
            support::sipp::tail(&read_text(&process_dir.join("linphonec.err")), 40),
            stage.bridge.log_text()
        )
    };
    // Key only once linphonec says its media is up: keys sent before are lost.
    let deadline = Instant::now() + Duration::from_secs(8);
    while !read_text(&dir.join("linphonec.out")).contains("Media streams established") {
        assert!(
            Instant::now() < deadline,
            "linphonec's call did not come up within 8 s\n{}",
            report(&dir)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    let keys = format!("{NUMBER}#{CODE}#");
    // linphonec sends the keys it reads one a second at most (a 100 ms event each), whatever
    // the pace they are typed at: type them a little slower, so that the keys after a `#` do
    // not land in the lookup that follows it.
    for key in keys.chars() {
        say(&key.to_string(), if key == '#' { 1500 } else { 1100 });
    }
    let joined = stage.wait_metric("pont_calls_joined_total", 2.0, Duration::from_secs(8));
    let digits = stage.bridge.metric("pont_dtmf_digits_total");
    if joined == 2.0 {
        std::thread::sleep(Duration::from_secs(3));
    }
    say("terminate", 500);
    say("quit", 0);
    drop(stdin);
    process.wait_for(Duration::from_secs(5));
    let log = report(&dir);
    assert_eq!(
        joined, 2.0,
        "linphonec was not joined ({digits} keys counted)\n{log}"
    );
    assert_eq!(digits, keys.len() as f64, "each key counted once\n{log}");
    let heard = heard_in(&record);
    eprintln!(
        "{tag}: linphonec recorded {:.1} s at {} Hz; the participant's 1000 Hz in {} blocks, \
         median {:.1} dBFS, max {:.1} dBFS; {:.1} s",
        heard.seconds,
        heard.rate,
        heard.tone_blocks,
        heard.median_db,
        heard.max_db,
        started.elapsed().as_secs_f64()
    );
    check_heard("linphonec", &heard, &log);
}
