//! A real SMTP server on loopback for the outbox tests: `smtp_sink.py` beside this file, on
//! Debian's `python3-aiosmtpd`, run as a child process that is killed when dropped. Each mail it
//! accepts is read back as a [`ReceivedMail`] with its MIME parts already decoded.
//!
//! Self-contained (no other support module), so a test can take it alone with
//! `#[path = "support/smtp.rs"] mod smtp;`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

/// One decoded MIME part.
#[derive(Debug, Clone, Deserialize)]
pub struct Part {
    /// The `Content-Type` header as sent (with its parameters).
    pub content_type: String,
    /// The `Content-Disposition` header ("" when absent).
    #[serde(default)]
    pub disposition: String,
    /// The attachment's file name, if any.
    #[serde(default)]
    pub filename: Option<String>,
    /// The decoded content (transfer encoding undone); empty for a multipart container.
    #[serde(default)]
    pub text: String,
    /// Whether this is a `multipart/*` container (listed in tree order before its children).
    pub multipart: bool,
}

/// A mail as the server received it.
#[derive(Debug, Clone, Deserialize)]
pub struct ReceivedMail {
    /// Envelope sender.
    pub mail_from: String,
    /// Envelope recipients.
    pub rcpt_tos: Vec<String>,
    /// `From:` header.
    pub from: String,
    /// `To:` header.
    pub to: String,
    /// `Subject:` header, decoded.
    pub subject: String,
    /// `Message-ID:` header.
    pub message_id: String,
    /// Every part in tree order, containers included.
    pub parts: Vec<Part>,
}

impl ReceivedMail {
    /// The first leaf part whose content type starts with `prefix`.
    pub fn part(&self, prefix: &str) -> Option<&Part> {
        self.parts
            .iter()
            .find(|p| !p.multipart && p.content_type.starts_with(prefix))
    }

    /// The part sent as the file `name`.
    pub fn attachment(&self, name: &str) -> Option<&Part> {
        self.parts
            .iter()
            .find(|p| p.filename.as_deref() == Some(name))
    }
}

/// The SMTP server child process; killed on drop.
pub struct SmtpSink {
    child: Child,
    dir: tempfile::TempDir,
    /// Where it listens.
    pub port: u16,
}

/// The Python that has Debian's `aiosmtpd`: the system one (a `python3` earlier in `PATH`, such
/// as pyenv's, does not see Debian's packages).
fn python() -> &'static str {
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

impl SmtpSink {
    /// Start the server on `127.0.0.1:port` and wait (at most 15 s) until it listens. Panics
    /// with what to install when `python3-aiosmtpd` is missing.
    pub fn start(port: u16) -> SmtpSink {
        let check = Command::new(python())
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        assert!(
            check.is_ok_and(|s| s.success()),
            "{} cannot import aiosmtpd: apt-get install python3-aiosmtpd",
            python()
        );
        let dir = tempfile::tempdir().expect("temporary directory");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
        let child = Command::new(python())
            .arg(script)
            .args(["127.0.0.1", &port.to_string()])
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("python3 runs");
        let mut sink = SmtpSink { child, dir, port };
        let deadline = Instant::now() + Duration::from_secs(15);
        while !sink.dir.path().join("ready").exists() {
            if let Ok(Some(status)) = sink.child.try_wait() {
                panic!("the SMTP server exited at start ({status}); is port {port} free?");
            }
            assert!(
                Instant::now() < deadline,
                "the SMTP server did not listen within 15 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        sink
    }

    /// The mails received so far, in arrival order.
    pub fn received(&self) -> Vec<ReceivedMail> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("mail directory")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| {
                let text = std::fs::read_to_string(p).expect("mail file");
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            })
            .collect()
    }

    /// Wait until at least `count` mails have arrived (at most `timeout`), and return them all;
    /// panics with what did arrive otherwise.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let mails = self.received();
            if mails.len() >= count {
                return mails;
            }
            if tokio::time::Instant::now() >= deadline {
                panic!(
                    "{} of {count} mails arrived within {timeout:?}: {mails:#?}",
                    mails.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nothing listens on now (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}
