//! The bridge under test, seen from outside: spawning it (`pont serve` on loopback, killed when
//! dropped), its CPU time and resident memory from `/proc`, and its `/metrics` page.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::LoadError;

/// A `pont serve` started by the generator. Dropping it kills the process.
#[derive(Debug)]
pub struct Spawned {
    child: Child,
    /// Its process id.
    pub pid: u32,
    /// Where it listens for SIP.
    pub sip: SocketAddr,
    /// Where it serves `/metrics`.
    pub web: SocketAddr,
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `pont serve` (this very executable) on loopback with the store `db`, RTP ports
/// `low-high`, its log (warnings only) in `log`; returns once it printed where it listens.
pub fn spawn(
    db: &str,
    ports: (u16, u16),
    log: &Path,
    mixer_threads: Option<usize>,
) -> Result<Spawned, LoadError> {
    spawn_with(db, ports, log, mixer_threads, None)
}

/// [`spawn`], also setting the bridge's video threads.
pub fn spawn_with(
    db: &str,
    (low, high): (u16, u16),
    log: &Path,
    mixer_threads: Option<usize>,
    video_threads: Option<usize>,
) -> Result<Spawned, LoadError> {
    let exe = std::env::current_exe().map_err(LoadError::Spawn)?;
    let log_file = std::fs::File::create(log).map_err(LoadError::Spawn)?;
    let mut cmd = Command::new(exe);
    cmd.args(["serve", "--sip", "127.0.0.1:0", "--web", "127.0.0.1:0"])
        .args(["--rtp-ports", &format!("{low}-{high}"), "--db", db])
        .env("PONT_LOG", "warn")
        .env_remove("PONT_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log_file);
    if let Some(n) = mixer_threads {
        cmd.args(["--mixer-threads", &n.to_string()]);
    }
    if let Some(n) = video_threads {
        cmd.args(["--video-threads", &n.to_string()]);
    }
    let mut child = cmd.spawn().map_err(LoadError::Spawn)?;
    let pid = child.id();
    let stdout = child.stdout.take();
    // Kill it on any early return from here on.
    let mut spawned = Spawned {
        child,
        pid,
        sip: SocketAddr::from(([0, 0, 0, 0], 0)),
        web: SocketAddr::from(([0, 0, 0, 0], 0)),
    };
    let (tx, rx) = std::sync::mpsc::channel();
    if let Some(stdout) = stdout {
        std::thread::spawn(move || {
            // Read every line (so the pipe never fills), forward the first few.
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    let (mut sip, mut web) = (None, None);
    while sip.is_none() || web.is_none() {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(20)) else {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(5).collect();
            return Err(LoadError::BridgeStart(format!(
                "it did not say where it listens within 20 s; its log ends: {}",
                tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
            )));
        };
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["SIP", _, addr] => sip = addr.parse().ok(),
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
    spawned.sip = sip.unwrap_or(spawned.sip);
    spawned.web = web.unwrap_or(spawned.web);
    Ok(spawned)
}

/// `utime + stime` of a process, in clock ticks (`/proc/<pid>/stat`, fields 14 and 15).
pub fn cpu_ticks(pid: &str) -> std::io::Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    parse_cpu_ticks(&stat).ok_or_else(|| std::io::Error::other("unexpected /proc stat format"))
}

fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state): utime is field 14, stime 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Resident memory of a process in KiB (`VmRSS` of `/proc/<pid>/status`).
pub fn rss_kb(pid: &str) -> std::io::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    parse_rss_kb(&status).ok_or_else(|| std::io::Error::other("no VmRSS in /proc status"))
}

fn parse_rss_kb(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// Clock ticks per second (`getconf CLK_TCK`; 100, the Linux value, if that cannot run).
pub fn clock_ticks() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(100)
}

/// Where `/metrics` is: `http://HOST:PORT/PATH` → (address, path).
pub fn parse_metrics_url(url: &str) -> Option<(SocketAddr, String)> {
    let rest = url.strip_prefix("http://")?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/metrics"),
    };
    Some((host.parse().ok()?, path.to_string()))
}

/// GET the metrics page over HTTP/1.0; the body.
pub fn fetch_metrics(addr: SocketAddr, path: &str) -> Result<String, LoadError> {
    let get = || -> std::io::Result<String> {
        let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        s.set_read_timeout(Some(Duration::from_secs(5)))?;
        write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n")?;
        let mut raw = String::new();
        s.read_to_string(&mut raw)?;
        Ok(raw)
    };
    let raw = get().map_err(|e| LoadError::Metrics(format!("GET {path} from {addr}: {e}")))?;
    if !raw.starts_with("HTTP/1.0 200") && !raw.starts_with("HTTP/1.1 200") {
        return Err(LoadError::Metrics(format!(
            "GET {path} from {addr}: {}",
            raw.lines().next().unwrap_or("no answer")
        )));
    }
    Ok(raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default())
}

/// The value of an unlabelled metric in Prometheus text (0 when absent).
pub fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let (n, v) = l.split_once(' ')?;
            (n == name).then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_stat_with_spaces_in_the_name() {
        let stat = "4242 (pont (x) y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 \
                    1234 567 0 0 20 0 9 0 100 200000000 5000 18446744073709551615";
        assert_eq!(parse_cpu_ticks(stat), Some(1234 + 567));
        assert_eq!(parse_cpu_ticks("garbage"), None);
    }

    #[test]
    fn rss_from_status() {
        let status = "Name:\tpont\nVmPeak:\t  9000 kB\nVmRSS:\t   12345 kB\nThreads:\t5\n";
        assert_eq!(parse_rss_kb(status), Some(12345));
        assert_eq!(parse_rss_kb("Name:\tx\n"), None);
    }

    #[test]
    fn own_process_is_readable() {
        let me = std::process::id().to_string();
        assert!(rss_kb(&me).unwrap() > 0);
        assert!(cpu_ticks("self").is_ok());
    }

    #[test]
    fn metrics_url_and_values() {
        assert_eq!(
            parse_metrics_url("http://127.0.0.1:8080/metrics"),
            Some(("127.0.0.1:8080".parse().unwrap(), "/metrics".into()))
        );
        assert_eq!(
            parse_metrics_url("http://127.0.0.1:8080"),
            Some(("127.0.0.1:8080".parse().unwrap(), "/metrics".into()))
        );
        assert_eq!(parse_metrics_url("ftp://x"), None);
        let text = "# HELP pont_a x\npont_a 3\npont_ab 5\n";
        assert_eq!(metric(text, "pont_a"), 3.0);
        assert_eq!(metric(text, "pont_ab"), 5.0);
        assert_eq!(metric(text, "pont_c"), 0.0);
    }
}
