//! Interoperability of the IVR with sipp (Debian package `sip-tester`, 3.6.1): callers dial the
//! gateway number of the real `pont` binary on 127.0.0.1, key the conference number and the
//! access code, and must end up in the conference.
//!
//! How it works:
//!
//! - Each test starts `pont serve --gateway-number +33426687307=en` from a temporary store in
//!   which conference 721051 (code 1289) is booked (`support::bridge`), RTP in 46000–46499.
//! - The caller dials `+33426687307`, so it gets "welcome, enter the conference number", and
//!   keys `721051#`, then `1289#`. Keys barge in on the prompts, so it starts keying 0.5 s after
//!   the call is up; it leaves 1 s after each `#` (the IVR ignores keys while it looks an entry
//!   up, 300 ms at least). Each key is down 120 ms with 100 ms between keys.
//! - The three ways of keying:
//!   - RFC 4733 (`uac_pcap_dtmf.xml`, telephone-event offered at PT 101): the events are inside
//!     the one pcap sipp plays (`support::dtmf`): event packets replace the audio while a key
//!     is down, marker on the first, end bit three times; then the caller sends a 1000 Hz tone.
//!     A second sipp caller (`uac_pcap.xml`, dialling `721051**1289`, which joins at once,
//!     playing 440 Hz) is in the conference meanwhile: once the first caller has joined, the
//!     second must hear its 1000 Hz (measured with `media::goertzel` on what the bridge sends
//!     it, received on the port its SDP offers, which the test binds: the technique of
//!     `interop_sipp.rs`), and not its own 440 Hz.
//!   - SIP INFO (`uac_info_dtmf.xml`): an INFO per key, `application/dtmf-relay`,
//!     `Signal=K` / `Duration=160`, 200 ms apart.
//!   - In-band: DTMF tone pairs in the µ-law audio of the pcap, −10 dBFS per tone, 120 ms on,
//!     100 ms off; the SDP offers PCMU only.
//! - Each must be joined (`pont_calls_joined_total` = 1), with every key counted once
//!   (`pont_dtmf_digits_total` = 12) and no wrong code; sipp must end its call itself with a
//!   BYE answered 200 (exit status 0).
//! - Wrong codes: by INFO, `721051#` then `1111#` three times: after the third the bridge says
//!   goodbye and sends BYE, which the scenario waits for and answers 200;
//!   `pont_ivr_wrong_codes_total` = 3 and nobody joined.
//!
//! sipp's `play_pcap_audio` needs root (a raw socket): those tests skip, saying why, when not
//! run as root; a missing sipp fails them (`make test` installs `sip-tester`). Every sipp has a
//! deadline and is killed when it overruns it or when the test ends.

mod support;

use std::net::UdpSocket;
use std::path::Path;
use std::time::{Duration, Instant};

use support::bridge::{Bridge, Options, CODE, NUMBER};
use support::dtmf::{DigitScript, Keying};
use support::pcap::{write_tone_pcap, ToneStream};
use support::rtp::{tone_report, Capture, ToneReport};
use support::sipp::{caller_dir, is_root, media_ports, require_sipp, scenario, Caller, SippRun};

/// The gateway number the bridge is given, and what the callers dial.
const GATEWAY: &str = "+33426687307";

/// The bridge with the gateway number, RTP on `rtp_ports` (a range of 46000–46499).
fn bridge(dir: &Path, rtp_ports: &str) -> Bridge {
    let options = Options {
        gateways: vec![format!("{GATEWAY}=en")],
        ..Options::default()
    };
    Bridge::start_with(dir, rtp_ports, &options)
}

/// The keys a caller presses: the number, then the code.
fn entries() -> Vec<String> {
    vec![format!("{NUMBER}#"), format!("{CODE}#")]
}

/// How long after the last `#` the caller is in the conference, at most: the code check (at
/// least 300 ms), then "joining" and "you are the first participant" / "there is one other
/// participant" (about 3.3 s in English), which the IVR plays to the end before the join.
const JOIN_AFTER_LAST_KEY_MS: u32 = 5000;

/// A caller keying the number and code by `keying`, then sending a 1000 Hz tone for 4 s.
fn digit_script(keying: Keying) -> DigitScript {
    DigitScript {
        keying,
        lead_ms: 500,
        entries: entries(),
        key_ms: 120,
        gap_ms: 100,
        // 1 s after the number's `#`; after the code's, the time the join takes.
        after_entry_ms: 1000,
        // −10 dBFS per tone.
        tone_amplitude: 10f64.powf(-10.0 / 20.0),
        tail_freq_hz: 1000.0,
        tail_amplitude: 0.3,
        tail_ms: JOIN_AFTER_LAST_KEY_MS + 4000,
        ssrc: 0x0d0d_0d0d,
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

/// The joined caller's outcome: sipp completed its call, the bridge counted 12 keys, no wrong
/// code, one join, and the call is over.
fn check_joined(what: &str, bridge: &Bridge, run: &SippRun, joined: f64) {
    assert!(
        run.succeeded(),
        "{what}: the call did not complete\n{}\n--- bridge log ---\n{}",
        run.report(),
        bridge.log_text()
    );
    let m = bridge.metrics();
    eprintln!(
        "{what}: calls_joined_total {} dtmf_digits_total {} ivr_wrong_codes_total {} \
         rtp_packets_dropped_total {}",
        m["pont_calls_joined_total"],
        m["pont_dtmf_digits_total"],
        m["pont_ivr_wrong_codes_total"],
        m["pont_rtp_packets_dropped_total"]
    );
    assert_eq!(
        m["pont_dtmf_digits_total"],
        12.0,
        "{what}: `721051#1289#` is 12 key presses, each counted once\n--- bridge log ---\n{}",
        bridge.log_text()
    );
    assert_eq!(m["pont_ivr_wrong_codes_total"], 0.0, "{what}");
    // The events (PT 101) and the tones are media the bridge understands: nothing the caller
    // sent was malformed, none was dropped (not even while the leg moved from the lobby's mixer
    // thread to the conference's), and everything the bridge sent left its socket.
    for name in [
        "pont_rtp_packets_malformed_total",
        "pont_rtp_packets_dropped_total",
        "pont_rtp_send_errors_total",
    ] {
        assert_eq!(m[name], 0.0, "{what}: {name} (all metrics: {m:?})");
    }
    assert_eq!(
        m["pont_calls_joined_total"],
        joined,
        "{what}: the caller keyed a right number and code\n--- bridge log ---\n{}",
        bridge.log_text()
    );
    let active = wait_metric(bridge, "pont_calls_active", 0.0, Duration::from_secs(3));
    assert_eq!(active, 0.0, "{what}: the BYE ended the call");
}

/// `listener` heard `talker`'s tone, loud and clear, and not its own.
fn check_hears(listener: &str, talker: &str, r: &ToneReport, min_blocks: usize) {
    assert!(
        r.active_blocks >= min_blocks,
        "{listener} heard someone in only {} of {} 50 ms blocks: {r:?}",
        r.active_blocks,
        r.blocks
    );
    // The tone is sent at −10.5 dBFS; the mix may scale it, not bury it.
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

/// A caller that keys by RFC 4733 events inside its pcap (PT 101), then talks at 1000 Hz; a
/// second caller, in the conference from the start and playing 440 Hz, must hear it.
#[test]
fn sipp_rfc4733_digits_join_and_are_heard() {
    require_sipp();
    if !is_root(
        "sipp_rfc4733_digits_join_and_are_heard",
        "sipp's play_pcap_audio uses a raw socket",
    ) {
        return;
    }
    let started = Instant::now();
    let tmp = tempfile::tempdir().expect("temp dir");
    let bridge = bridge(tmp.path(), "46000-46019");
    let target = bridge.sip.to_string();

    let dir_a = caller_dir(tmp.path(), "keyer");
    let script = digit_script(Keying::Rfc4733 { pt: 101 });
    script
        .write_pcap(&dir_a.join("audio.pcap"))
        .expect("write audio.pcap");
    let call_ms = u64::from(script.tail_start_ms() + script.tail_ms) + 300;

    // B: in the conference from the start, playing 440 Hz for as long as A's call lasts.
    let dir_b = caller_dir(tmp.path(), "listener");
    let b_stream = ToneStream {
        freq_hz: 440.0,
        amplitude: 0.3,
        seconds: call_ms as f64 / 1000.0,
        src_port: 46_510,
        dst_port: 46_000,
        ssrc: 0x0b0b_0b0b,
    };
    write_tone_pcap(&dir_b.join("audio.pcap"), &b_stream).expect("pcap B");
    let (mp_a, held_a) = media_ports();
    let (mp_b, held_b) = media_ports();
    // A's port must be bound too (else the bridge's RTP to it meets ICMP errors); what A hears
    // is prompts, then B: not measured.
    let capture_a = Capture::start(held_a);
    let capture_b = Capture::start(held_b);
    let direct = format!("{NUMBER}**{CODE}");
    let sipp_b = Caller {
        name: "listener",
        dir: &dir_b,
        scenario: &scenario("uac_pcap.xml"),
        target: target.clone(),
        service: &direct,
        ip: "127.0.0.1",
        media_port: Some(mp_b),
        pause_ms: call_ms + 500,
    }
    .spawn(None);
    // B first, so A hears "there is one other participant".
    std::thread::sleep(Duration::from_millis(300));
    let sipp_a = Caller {
        name: "keyer",
        dir: &dir_a,
        scenario: &scenario("uac_pcap_dtmf.xml"),
        target,
        service: GATEWAY,
        ip: "127.0.0.1",
        media_port: Some(mp_a),
        pause_ms: call_ms,
    }
    .spawn(None);
    let run_a = SippRun::finish("keyer", &dir_a, sipp_a, Duration::from_secs(35));
    let run_b = SippRun::finish("listener", &dir_b, sipp_b, Duration::from_secs(5));
    let _ = capture_a.finish();
    let heard_b = tone_report(&capture_b.finish(), 1000.0, 440.0);
    assert!(
        run_b.succeeded(),
        "the listener's call did not complete\n{}",
        run_b.report()
    );
    // Both joined: B straight from its URI, A through the IVR.
    check_joined("RFC 4733", &bridge, &run_a, 2.0);
    eprintln!(
        "listener (440 Hz) hears the keyer's 1000 Hz at {:.1} dBFS, its own 440 Hz at {:.1} dBFS, \
         over {} of {} blocks; {:.1} s",
        heard_b.expected_db,
        heard_b.own_db,
        heard_b.active_blocks,
        heard_b.blocks,
        started.elapsed().as_secs_f64()
    );
    // A talks for at least 4 s after joining: 40 blocks of 50 ms is half of that. No DTMF
    // reaches B: the events are not audio, and A's keys end before it joins.
    check_hears("the listener", "the keyer", &heard_b, 40);
}

/// A caller that keys by in-band DTMF tone pairs in its µ-law audio (no telephone-event
/// offered) and is joined.
#[test]
fn sipp_inband_digits_join() {
    require_sipp();
    if !is_root(
        "sipp_inband_digits_join",
        "sipp's play_pcap_audio uses a raw socket",
    ) {
        return;
    }
    let started = Instant::now();
    let tmp = tempfile::tempdir().expect("temp dir");
    let bridge = bridge(tmp.path(), "46020-46039");
    let dir = caller_dir(tmp.path(), "inband");
    let script = digit_script(Keying::InBand);
    script
        .write_pcap(&dir.join("audio.pcap"))
        .expect("write audio.pcap");
    let call_ms = u64::from(script.tail_start_ms() + script.tail_ms) + 300;
    let (mp, held) = media_ports();
    let capture = Capture::start(held);
    let sipp = Caller {
        name: "inband",
        dir: &dir,
        scenario: &scenario("uac_pcap.xml"),
        target: bridge.sip.to_string(),
        service: GATEWAY,
        ip: "127.0.0.1",
        media_port: Some(mp),
        pause_ms: call_ms,
    }
    .spawn(None);
    let run = SippRun::finish("inband", &dir, sipp, Duration::from_secs(35));
    let _ = capture.finish();
    check_joined("in-band", &bridge, &run, 1.0);
    eprintln!("in-band: {:.1} s", started.elapsed().as_secs_f64());
}

/// The `@DIGITS@` part of `uac_info_dtmf.xml`: an INFO per key (answered 200), `gap_ms`
/// between keys and `after_hash_ms` after each `#`; then `end`.
fn info_steps(keys: &str, gap_ms: u32, after_hash_ms: u32, end: InfoEnd) -> String {
    let mut xml = String::new();
    let mut cseq = 2;
    for key in keys.chars() {
        xml.push_str(&format!(
            r#"  <send retrans="500">
    <![CDATA[

      INFO [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: {cseq} INFO
      [routes]
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/dtmf-relay
      Content-Length: [len]

      Signal={key}
      Duration=160

    ]]>
  </send>
  <recv response="200"/>
  <pause milliseconds="{pause}"/>
"#,
            pause = if key == '#' { after_hash_ms } else { gap_ms }
        ));
        cseq += 1;
    }
    match end {
        InfoEnd::OwnBye => xml.push_str(&format!(
            r#"  <pause/>
  <send retrans="500">
    <![CDATA[

      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: {cseq} BYE
      [routes]
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" crlf="true"/>
"#
        )),
        InfoEnd::BridgeBye => xml.push_str(
            r#"  <recv request="BYE" timeout="20000"/>
  <send>
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Content-Length: 0

    ]]>
  </send>
"#,
        ),
    }
    xml
}

/// How an INFO scenario ends.
#[derive(Debug, Clone, Copy)]
enum InfoEnd {
    /// The caller stays `-d` ms, then sends BYE.
    OwnBye,
    /// The bridge hangs up: wait for its BYE (20 s at most) and answer 200.
    BridgeBye,
}

/// Write `uac_info_dtmf.xml` with its digits filled in, into `dir`.
fn info_scenario(dir: &Path, steps: &str) -> std::path::PathBuf {
    let template =
        std::fs::read_to_string(scenario("uac_info_dtmf.xml")).expect("read uac_info_dtmf.xml");
    assert!(template.contains("@DIGITS@"));
    let path = dir.join("scenario.xml");
    std::fs::write(&path, template.replace("@DIGITS@", steps)).expect("write the scenario");
    path
}

/// Run an INFO caller of the gateway number in `dir`; the bound socket receives what the
/// bridge sends it.
fn run_info_caller(bridge: &Bridge, dir: &Path, steps: &str, pause_ms: u64) -> SippRun {
    let scenario_file = info_scenario(dir, steps);
    let (mp, held): (u16, UdpSocket) = media_ports();
    let capture = Capture::start(held);
    let sipp = Caller {
        name: "info",
        dir,
        scenario: &scenario_file,
        target: bridge.sip.to_string(),
        service: GATEWAY,
        ip: "127.0.0.1",
        media_port: Some(mp),
        pause_ms,
    }
    .spawn(None);
    let run = SippRun::finish("info", dir, sipp, Duration::from_secs(40));
    let _ = capture.finish();
    run
}

/// A caller that keys by SIP INFO (`application/dtmf-relay`) and is joined. sipp sends no RTP
/// here, so no root is needed.
#[test]
fn sipp_info_digits_join() {
    require_sipp();
    let started = Instant::now();
    let tmp = tempfile::tempdir().expect("temp dir");
    let bridge = bridge(tmp.path(), "46040-46059");
    let dir = caller_dir(tmp.path(), "info");
    let keys: String = entries().concat();
    let steps = info_steps(&keys, 200, 1000, InfoEnd::OwnBye);
    // Stay until well after the join (the last `#`'s lookup and prompts).
    let run = run_info_caller(
        &bridge,
        &dir,
        &steps,
        u64::from(JOIN_AFTER_LAST_KEY_MS) + 1000,
    );
    check_joined("SIP INFO", &bridge, &run, 1.0);
    eprintln!("SIP INFO: {:.1} s", started.elapsed().as_secs_f64());
}

/// Three wrong codes by SIP INFO: the bridge says goodbye and hangs up with a BYE (the
/// scenario fails unless it comes), having counted three wrong codes and joined nobody.
#[test]
fn sipp_three_wrong_codes_get_bye() {
    require_sipp();
    let started = Instant::now();
    let tmp = tempfile::tempdir().expect("temp dir");
    let bridge = bridge(tmp.path(), "46060-46079");
    let dir = caller_dir(tmp.path(), "wrong");
    let keys = format!("{NUMBER}#1111#1111#1111#");
    let steps = info_steps(&keys, 200, 1000, InfoEnd::BridgeBye);
    let run = run_info_caller(&bridge, &dir, &steps, 0);
    assert!(
        run.succeeded(),
        "the bridge did not hang up after three wrong codes\n{}\n--- bridge log ---\n{}",
        run.report(),
        bridge.log_text()
    );
    let m = bridge.metrics();
    eprintln!(
        "wrong codes: ivr_wrong_codes_total {} dtmf_digits_total {} calls_joined_total {}; {:.1} s",
        m["pont_ivr_wrong_codes_total"],
        m["pont_dtmf_digits_total"],
        m["pont_calls_joined_total"],
        started.elapsed().as_secs_f64()
    );
    assert_eq!(m["pont_ivr_wrong_codes_total"], 3.0);
    assert_eq!(m["pont_dtmf_digits_total"], keys.len() as f64);
    assert_eq!(m["pont_calls_joined_total"], 0.0);
    let active = wait_metric(&bridge, "pont_calls_active", 0.0, Duration::from_secs(3));
    assert_eq!(active, 0.0, "the bridge's BYE ended the call");
}
