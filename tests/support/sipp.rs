//! Running sipp against the bridge: a caller with a scenario of `fixtures/sipp/`, its own
//! working directory (pcap, logs), killed on its deadline; and what to print when it fails.

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::process::Guarded;

/// A scenario of `fixtures/sipp/`.
pub fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/sipp")
        .join(name)
}

/// Fail when sipp is missing (a silent pass would hide that nothing was tested).
pub fn require_sipp() {
    if let Err(e) = Command::new("sipp")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        panic!(
            "cannot run sipp ({e}): the interop tests need it; `make test` installs it \
             (Debian package sip-tester)"
        );
    }
}

/// Whether the tests run as root (raw sockets, network namespaces); prints why `test` is
/// skipped otherwise.
pub fn is_root(test: &str, why: &str) -> bool {
    // When `id` cannot tell, run the test: a failure says more than a skip.
    let Ok(out) = Command::new("id").arg("-u").output() else {
        return true;
    };
    let uid = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if uid == "0" || !out.status.success() {
        return true;
    }
    eprintln!(
        "SKIPPED {test}: {why}, which needs root (id -u = {uid:?}); CI and `make test` run as root"
    );
    false
}

/// A fresh directory for one caller's files.
pub fn caller_dir(parent: &Path, name: &str) -> PathBuf {
    let dir = parent.join(name);
    std::fs::create_dir_all(&dir).expect("create a caller directory");
    dir
}

/// A free UDP port on `ip` (released just before sipp binds it).
pub fn free_udp_port(ip: &str) -> u16 {
    UdpSocket::bind((ip, 0))
        .and_then(|s| s.local_addr())
        .expect("bind a free port")
        .port()
}

static NEXT_MEDIA: AtomicU32 = AtomicU32::new(0);

/// Media ports for one sipp caller on 127.0.0.1: `-mp` M, with M…M+3 free for sipp, and the
/// socket the test holds on M+10 (the `[media_port+10]` of the scenarios), in 46500–46999.
pub fn media_ports() -> (u16, UdpSocket) {
    for _ in 0..50 {
        let slot = NEXT_MEDIA.fetch_add(1, Ordering::Relaxed) % 24;
        let m = 46_500 + 20 * slot as u16;
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
    panic!("no free media ports in 46500-46999");
}

/// One sipp caller to start.
pub struct Caller<'a> {
    /// For messages.
    pub name: &'a str,
    /// Working directory (audio.pcap, logs).
    pub dir: &'a Path,
    /// The scenario file.
    pub scenario: &'a Path,
    /// The bridge's SIP address.
    pub target: String,
    /// What it dials (`-s`).
    pub service: &'a str,
    /// The local address (`-i`, `-mi`).
    pub ip: &'a str,
    /// `-mp`.
    pub media_port: Option<u16>,
    /// `-d`, ms.
    pub pause_ms: u64,
}

impl Caller<'_> {
    /// Start sipp (inside `netns` when given: the command then runs through `ip netns exec`).
    pub fn spawn(&self, netns: Option<&str>) -> Guarded {
        let mut cmd = match netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, "sipp"]);
                c
            }
            None => Command::new("sipp"),
        };
        // In a namespace the test cannot probe ports: pick one from the time-independent pid
        // range the namespace is alone in.
        let sip_port = match netns {
            Some(_) => 46_900 + (std::process::id() % 50) as u16,
            None => free_udp_port(self.ip),
        };
        cmd.current_dir(self.dir)
            .arg("-sf")
            .arg(self.scenario)
            .args(["-s", self.service])
            .arg(&self.target)
            .args(["-i", self.ip, "-p", &sip_port.to_string()])
            .args(["-m", "1", "-nostdin", "-timeout", "40s", "-timeout_error"])
            .args(["-d", &self.pause_ms.to_string()])
            .args(["-trace_err", "-error_file"])
            .arg(self.dir.join("errors.log"))
            .args(["-trace_msg", "-message_file"])
            .arg(self.dir.join("messages.log"))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(self.dir.join("sipp.out")).expect("sipp.out"))
            .stderr(std::fs::File::create(self.dir.join("sipp.err")).expect("sipp.err"));
        if let Some(mp) = self.media_port {
            cmd.args(["-mi", self.ip, "-mp", &mp.to_string()]);
        }
        Guarded::new(
            format!("sipp {}", self.name),
            cmd.spawn().expect("start sipp (is sip-tester installed?)"),
        )
    }
}

/// One sipp run's outcome.
pub struct SippRun {
    /// For messages.
    pub name: String,
    /// `None`: killed on its deadline.
    pub status: Option<ExitStatus>,
    /// Its working directory.
    pub dir: PathBuf,
}

impl SippRun {
    /// Wait for `sipp` to end, at most `timeout` (then it is killed).
    pub fn finish(name: &str, dir: &Path, mut sipp: Guarded, timeout: Duration) -> SippRun {
        let status = sipp.wait_for(timeout);
        SippRun {
            name: name.to_string(),
            status,
            dir: dir.to_path_buf(),
        }
    }

    /// Exit 0: every step of the scenario happened.
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }

    /// sipp's output and logs, for assertion messages.
    pub fn report(&self) -> String {
        let read = |f: &str| std::fs::read_to_string(self.dir.join(f)).unwrap_or_default();
        let status = match self.status {
            Some(s) => format!("{s}"),
            None => "killed: it overran its deadline".to_string(),
        };
        format!(
            "sipp {} exit: {status}\n--- sipp stdout (tail) ---\n{}\n--- sipp stderr ---\n{}\n\
             --- sipp errors ---\n{}\n--- sipp messages (tail) ---\n{}",
            self.name,
            tail(&read("sipp.out"), 30),
            read("sipp.err"),
            read("errors.log"),
            tail(&read("messages.log"), 80),
        )
    }
}

/// The last `lines` lines of `text`.
pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
