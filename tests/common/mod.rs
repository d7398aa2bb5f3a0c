//! Shared harness of the end-to-end tests: a bridge started in-process on loopback with its own
//! SQLite file, conference helpers, a tiny HTTP/1.0 client for `/metrics`, tone measurements and
//! the scripted phone ([`phone`]).
//!
//! Every test binary compiles this module but uses only part of it.
#![allow(dead_code)]

pub mod ivr;
pub mod ogg;
pub mod phone;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pont::config::Config;
use pont::store::{Conference, NewBooking, NewConference, NumberAlloc, Store};
use pont::Bridge;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[allow(unused_imports)] // each test binary uses part of it
pub use phone::{Phone, PhoneOptions};

/// The conference number most tests dial, and its access code.
pub const NUMBER: &str = "721051";
/// Access code of [`NUMBER`].
pub const CODE: &str = "1289";

/// The gateway number configured in every test bridge (E.164 without `+`, English prompts).
pub const GATEWAY: &str = "33426687307";

/// Sample rate of everything the phones send and hear.
pub const RATE: f64 = 8000.0;

/// Tests in one binary run in parallel: each bridge gets its own RTP range. Taken ports are
/// skipped by the allocator anyway, so a clash with another process only costs a retry.
static NEXT_RANGE: AtomicU16 = AtomicU16::new(0);

/// A bridge on 127.0.0.1 with its store in a temporary directory (removed on drop).
pub struct TestBridge {
    /// The running bridge.
    pub bridge: Bridge,
    /// The store's URL (for the CLI).
    pub db_url: String,
    /// A second handle on the same store, to add conferences.
    pub store: Store,
    /// Holds the SQLite file.
    pub dir: tempfile::TempDir,
}

impl TestBridge {
    /// Start a bridge: SIP and web on ephemeral loopback ports, RTP on a range of its own.
    pub async fn start() -> TestBridge {
        Self::start_with(|_| {}).await
    }

    /// [`TestBridge::start`] with the configuration changed by `configure` first (SMTP, portal
    /// names…).
    pub async fn start_with(configure: impl FnOnce(&mut Config)) -> TestBridge {
        let dir = tempfile::tempdir().expect("temporary directory");
        let db_url = format!("sqlite://{}", dir.path().join("pont.db").display());
        let k = NEXT_RANGE.fetch_add(1, Ordering::Relaxed) % 150;
        // Each test binary is a separate process: spread them by process id as well.
        let base = 42_000 + 100 * ((k + (std::process::id() % 7) as u16 * 20) % 150);
        let gateways = vec![dialplan::GatewayNumber {
            e164: GATEWAY.into(),
            language: "en".into(),
        }];
        let mut config = Config {
            sip: "127.0.0.1:0".parse().unwrap(),
            web: "127.0.0.1:0".parse().unwrap(),
            rtp_ports: (base, base + 99),
            db: db_url.clone(),
            public_ip: None,
            mixer_threads: 2,
            video_threads: 1,
            opus_complexity: media::opus::DEFAULT_COMPLEXITY,
            gateways: gateways.clone(),
            language: "en".into(),
            country_code: "33".into(),
            early_join_secs: 600,
            ivr: dialplan::IvrConfig::default(),
            lockout: dialplan::LockoutConfig::default(),
            portal: pont::config::PortalConfig::defaults(
                "127.0.0.1:0".parse().unwrap(),
                "127.0.0.1:0".parse().unwrap(),
                &gateways,
            ),
        };
        configure(&mut config);
        let bridge = Bridge::start(config).await.expect("bridge starts");
        let store = Store::open(&db_url).await.expect("store opens");
        TestBridge {
            bridge,
            db_url,
            store,
            dir,
        }
    }

    /// The SIP address (UDP and TCP).
    pub fn sip(&self) -> SocketAddr {
        self.bridge.sip_addr
    }

    /// The web address.
    pub fn web(&self) -> SocketAddr {
        self.bridge.web_addr
    }

    /// Book a conference open now for an hour.
    pub async fn add_conference(&self, number: &str, code: &str, capacity: i64) -> Conference {
        self.add_conference_at(number, code, capacity, unix_now())
            .await
    }

    /// Book an audio+video conference open now for an hour, with `layout` (empty = default).
    pub async fn add_video_conference(
        &self,
        number: &str,
        code: &str,
        capacity: i64,
        layout: &str,
    ) -> Conference {
        self.store
            .add_conference(
                &NewConference {
                    number: number.into(),
                    title: "E2E video".into(),
                    access_code: code.into(),
                    starts_at: unix_now(),
                    duration_minutes: 60,
                    capacity,
                    kind: "video".into(),
                    layout: layout.into(),
                },
                unix_now(),
            )
            .await
            .expect("conference stored")
    }

    /// Book `NUMBER` (code `CODE`) the way the portal and the API store a booking, with one
    /// occurrence open from a minute ago for an hour; `adjust` sets the fields a test is about
    /// (the others: audio, default layout and language, Europe/Paris, capacity 20).
    pub async fn book_now(&self, adjust: impl FnOnce(&mut NewBooking)) {
        let now = unix_now();
        let mut new = NewBooking {
            owner_id: None,
            title: "E2E booking".into(),
            access_code: CODE.into(),
            time_zone: "Europe/Paris".into(),
            local_start: "2026-01-01T00:00".into(),
            duration_minutes: 60,
            kind: "audio".into(),
            layout: String::new(),
            capacity: 20,
            comment: String::new(),
            recipients: Vec::new(),
            recurrence_weekdays: String::new(),
            recurrence_until: String::new(),
            language: String::new(),
            occurrences: vec![(now - 60, now + 3600)],
        };
        adjust(&mut new);
        let alloc = NumberAlloc {
            digits: 6,
            early_secs: 600,
            preferred: Some(NUMBER.into()),
            only_preferred: true,
            seed: 1,
        };
        let booking = self
            .store
            .create_booking(&new, &alloc, now, |_| Vec::new())
            .await
            .expect("booking stored");
        assert_eq!(booking.number, NUMBER);
    }

    /// Book a conference starting at `starts_at` (Unix seconds) for an hour.
    pub async fn add_conference_at(
        &self,
        number: &str,
        code: &str,
        capacity: i64,
        starts_at: i64,
    ) -> Conference {
        self.store
            .add_conference(
                &NewConference {
                    number: number.into(),
                    title: "E2E".into(),
                    access_code: code.into(),
                    starts_at,
                    duration_minutes: 60,
                    capacity,
                    kind: "audio".into(),
                    layout: String::new(),
                },
                unix_now(),
            )
            .await
            .expect("conference stored")
    }

    /// The `/metrics` page.
    pub async fn metrics(&self) -> String {
        http_get(self.web(), "/metrics").await
    }

    /// One metric's value.
    pub async fn metric(&self, name: &str) -> f64 {
        let text = self.metrics().await;
        metric_value(&text, name).unwrap_or_else(|| panic!("no metric {name} in:\n{text}"))
    }

    /// Wait until every named gauge reads `value` (teardown is asynchronous); panics with the
    /// last readings after `timeout`.
    pub async fn wait_metrics(&self, names: &[&str], value: f64, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let text = self.metrics().await;
            let readings: Vec<(&str, Option<f64>)> =
                names.iter().map(|n| (*n, metric_value(&text, n))).collect();
            if readings.iter().all(|(_, v)| *v == Some(value)) {
                return;
            }
            if tokio::time::Instant::now() >= deadline {
                panic!("metrics never all reached {value}: {readings:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Now, Unix seconds.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// GET `path` over HTTP/1.0 and return the body (panics on any failure: the tests need it).
pub async fn http_get(addr: SocketAddr, path: &str) -> String {
    let fetch = async {
        let mut s = TcpStream::connect(addr).await?;
        s.write_all(format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())
            .await?;
        let mut raw = Vec::new();
        // HTTP/1.0: the server closes the connection after the response.
        s.read_to_end(&mut raw).await?;
        std::io::Result::Ok(String::from_utf8_lossy(&raw).into_owned())
    };
    let raw = tokio::time::timeout(Duration::from_secs(5), fetch)
        .await
        .expect("HTTP GET timed out")
        .expect("HTTP GET failed");
    assert!(
        raw.starts_with("HTTP/1.0 200") || raw.starts_with("HTTP/1.1 200"),
        "GET {path}: {raw}"
    );
    raw.split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default()
}

/// The value of an unlabelled metric in Prometheus text.
pub fn metric_value(text: &str, name: &str) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        let (n, v) = l.split_once(' ')?;
        (n == name).then(|| v.trim().parse().ok())?
    })
}

/// Level of `hz` in `pcm` (dBFS, Goertzel).
pub fn tone_db(pcm: &[i16], hz: f64) -> f64 {
    media::goertzel::level_db(pcm, hz, RATE)
}

/// Level of `hz` in `pcm` sampled at `rate` Hz (dBFS, Goertzel): for what wideband phones hear
/// ([`Phone::received_audio`]).
pub fn tone_db_at(pcm: &[i16], hz: f64, rate: u32) -> f64 {
    media::goertzel::level_db(pcm, hz, f64::from(rate))
}

/// Whole-signal level of `pcm` (dBFS).
pub fn total_db(pcm: &[i16]) -> f64 {
    media::goertzel::total_db(pcm)
}

/// The real `pont` binary, with no `PONT_*` variable of the environment leaking in.
pub fn pont_command() -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_pont"));
    for var in [
        "PONT_CONFIG",
        "PONT_DB",
        "PONT_SIP",
        "PONT_WEB",
        "PONT_RTP_PORTS",
        "PONT_PUBLIC_IP",
        "PONT_MIXER_THREADS",
        "PONT_LOG",
        "PONT_PUBLIC_URL",
        "PONT_SIP_DOMAIN",
        "PONT_SMTP",
        "PONT_MAIL_FROM",
    ] {
        cmd.env_remove(var);
    }
    cmd.kill_on_drop(true);
    cmd
}

/// Run the `pont` binary with `args` to completion (at most 10 s); returns whether it
/// succeeded, and its stdout and stderr.
pub async fn run_pont(args: &[&str]) -> (bool, String, String) {
    let out = tokio::time::timeout(Duration::from_secs(10), pont_command().args(args).output())
        .await
        .unwrap_or_else(|_| panic!("pont {args:?} did not finish in 10 s"))
        .expect("pont runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Whether a test that needs ffmpeg should be skipped: only when `PONT_SKIP_FFMPEG=1` (`make
/// test` installs ffmpeg); without it and without that variable, the test fails here.
pub fn skip_without_ffmpeg(what: &str) -> bool {
    if std::env::var("PONT_SKIP_FFMPEG").as_deref() == Ok("1") {
        eprintln!("PONT_SKIP_FFMPEG=1: {what} skipped");
        return true;
    }
    let present = std::process::Command::new("ffmpeg")
        .arg("-version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        present,
        "ffmpeg is needed (make test installs it; PONT_SKIP_FFMPEG=1 skips)"
    );
    false
}
