//! The real `pont` binary on loopback: a temporary SQLite store with one conference booked
//! through `pont conference add`, then `pont serve` with SIP and web on port 0 (the kernel picks
//! free ports, so parallel tests never clash; the bridge prints what it got) and a caller-chosen
//! RTP range.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::process::Guarded;

/// The conference every test dials.
pub const NUMBER: &str = "721051";
/// Its access code.
pub const CODE: &str = "1289";

/// A running bridge; killed on drop.
#[derive(Debug)]
pub struct Bridge {
    /// The process, held so that it is killed with this value.
    _process: Guarded,
    /// Where SIP listens (UDP and TCP).
    pub sip: SocketAddr,
    /// Where the web server (and `/metrics`) listens.
    pub web: SocketAddr,
    /// The bridge's log (stderr).
    pub log: PathBuf,
    /// The network namespace it runs in (`None`: the test's own).
    netns: Option<String>,
}

/// How to start the bridge, beyond the defaults of [`Bridge::start`].
#[derive(Debug, Clone)]
pub struct Options {
    /// The address SIP and web bind (port 0 each).
    pub ip: String,
    /// `--gateway-number` values (`NUMBER=LANG`).
    pub gateways: Vec<String>,
    /// Run inside this network namespace (`ip netns exec`).
    pub netns: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            ip: "127.0.0.1".into(),
            gateways: Vec::new(),
            netns: None,
        }
    }
}

fn pont() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pont"))
}

impl Bridge {
    /// Book the conference in a new store under `dir` and start the bridge with RTP on
    /// `rtp_ports` (`"45000-45019"`). Panics (failing the test) when it does not come up
    /// within 10 s.
    pub fn start(dir: &Path, rtp_ports: &str) -> Bridge {
        Bridge::start_with(dir, rtp_ports, &Options::default())
    }

    /// [`Bridge::start`] with `options`.
    pub fn start_with(dir: &Path, rtp_ports: &str, options: &Options) -> Bridge {
        let db = format!("sqlite://{}", dir.join("pont.db").display());
        let add = pont()
            .args(["--db", &db, "conference", "add", "--number", NUMBER])
            .args(["--code", CODE, "--capacity", "10"])
            .output()
            .expect("run `pont conference add`");
        assert!(
            add.status.success(),
            "`pont conference add` failed: {}{}",
            String::from_utf8_lossy(&add.stdout),
            String::from_utf8_lossy(&add.stderr)
        );

        let log = dir.join("pont.log");
        let mut serve = match &options.netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, env!("CARGO_BIN_EXE_pont")]);
                c
            }
            None => pont(),
        };
        let any_port = format!("{}:0", options.ip);
        serve.args(["--db", &db, "serve", "--sip", &any_port, "--web", &any_port]);
        for g in &options.gateways {
            serve.args(["--gateway-number", g]);
        }
        let child = serve
            .args(["--rtp-ports", rtp_ports])
            .env("PONT_LOG", "info,pont=debug,sqlx=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("create the bridge log"))
            .spawn()
            .expect("start `pont serve`");
        let mut process = Guarded::new("pont serve", child);

        // The banner lines say where SIP and web listen; read them on a thread so that a bridge
        // that never prints cannot hang the test.
        let stdout = process.take_stdout().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let (mut sip, mut web) = (None, None);
        while sip.is_none() || web.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = rx.recv_timeout(left) else {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                panic!("the bridge did not print its addresses within 30 s; log:\n{text}");
            };
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["SIP", "udp+tcp", addr] => sip = addr.parse().ok(),
                ["web", url, ..] => {
                    web = url
                        .trim_start_matches("http://")
                        .trim_end_matches('/')
                        .parse()
                        .ok()
                }
                _ => {}
            }
        }
        Bridge {
            _process: process,
            sip: sip.expect("SIP address"),
            web: web.expect("web address"),
            log,
            netns: options.netns.clone(),
        }
    }

    /// `/metrics`, parsed: metric name → value.
    pub fn metrics(&self) -> BTreeMap<String, f64> {
        let web = self.web;
        let connect = move || TcpStream::connect_timeout(&web, Duration::from_secs(2));
        let mut stream = match &self.netns {
            Some(ns) => super::netns::in_netns(ns, connect),
            None => connect(),
        }
        .expect("connect to web");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("read timeout");
        write!(
            stream,
            "GET /metrics HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.web
        )
        .expect("send the request");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read /metrics");
        let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
        assert!(head.starts_with("HTTP/1.1 200"), "/metrics: {head}");
        body.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let (name, value) = l.split_once(' ')?;
                Some((name.to_string(), value.trim().parse().ok()?))
            })
            .collect()
    }

    /// One metric (panics when the bridge does not export it).
    pub fn metric(&self, name: &str) -> f64 {
        *self
            .metrics()
            .get(name)
            .unwrap_or_else(|| panic!("/metrics has no {name}"))
    }

    /// The bridge's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}
