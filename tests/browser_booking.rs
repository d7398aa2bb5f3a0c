//! Issue #4's browser test, end to end: an admin books a conference through the portal in a real
//! browser, and a phone joins it with what the connection sheet says.
//!
//! 1. A bridge starts on loopback with an account `alice`.
//! 2. `tests/browser/booking.mjs` (Node + playwright-core driving Debian's headless Chromium)
//!    logs in, sends an invalid form and checks the errors beside the fields, books a valid
//!    audio and video conference in the 2×2 layout (chosen in the form's select) starting in a
//!    few minutes, checks that the sheet names that layout and the `*` key that cycles it, reads
//!    the sheet's SIP URI, number, access code and modification link, and saves screenshots of the sheet and of the refused form (kept under
//!    the target directory: `target/browser/sheet.png` and `sheet-form-errors.png`, their paths
//!    printed).
//! 3. A first phone joins directly (`NUMBER**CODE`) and sends 700 Hz; a second one dials the
//!    sheet's SIP URI, keys the sheet's access code and `#` by RFC 4733, is joined, and hears the
//!    700 Hz (Goertzel), and the first hears its 440 Hz back.
//!
//! Node, Chromium and the npm packages are installed by `make test`. When one is missing the
//! test fails saying so, unless `PONT_SKIP_BROWSER=1` asks to skip it (a machine that cannot
//! have a browser).

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::ivr::{key_rfc4733, wait_metric_at_least, SETTLE};
use common::{tone_db, unix_now, Phone, TestBridge};

/// The whole test, browser and phones.
const LIMIT: Duration = Duration::from_secs(180);
/// The Playwright script (it has its own 90 s watchdog; this one also covers a wedged Node).
const SCRIPT_LIMIT: Duration = Duration::from_secs(120);
/// The browser Playwright drives (Debian's package).
const CHROMIUM: &str = "/usr/bin/chromium";
const ADMIN: &str = "alice";
const PASSWORD: &str = "correct horse battery staple";
/// Listening window for the tone checks.
const WINDOW: Duration = Duration::from_secs(1);
/// What each phone sends.
const FIRST_HZ: f64 = 700.0;
const CALLER_HZ: f64 = 440.0;
/// A frequency nobody sends: the noise floor of what a phone hears.
const NOISE_HZ: f64 = 1500.0;

/// What the script prints: the values of the connection sheet.
#[derive(Debug, serde::Deserialize)]
struct Sheet {
    sip_uri: String,
    number: String,
    access_code: String,
    modify_url: String,
}

/// The folder of the Playwright script.
fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// Where the sheet's screenshot is kept: `browser/sheet.png` in the target directory this
/// test was built into (the one `CARGO_TARGET_DIR` names, when set).
fn screenshot_path() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent()
        .unwrap_or(tmp)
        .join("browser")
        .join("sheet.png")
}

/// What is missing to run the browser, if anything.
fn missing_prerequisites() -> Vec<String> {
    let mut missing = Vec::new();
    let node = std::process::Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !matches!(node, Ok(s) if s.success()) {
        missing.push("node (Node.js)".to_string());
    }
    if !Path::new(CHROMIUM).exists() {
        missing.push(format!("{CHROMIUM} (Debian package chromium)"));
    }
    let playwright = browser_dir().join("node_modules/playwright-core/package.json");
    if !playwright.exists() {
        missing.push(format!("{} (npm ci)", playwright.display()));
    }
    missing
}

/// Run the Playwright script against the portal at `base_url`; the sheet it read.
async fn book_in_browser(base_url: &str, screenshot: &Path) -> Sheet {
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(browser_dir().join("booking.mjs"))
        .current_dir(browser_dir())
        .env("BASE_URL", base_url)
        .env("USER_NAME", ADMIN)
        .env("USER", ADMIN)
        .env("PASSWORD", PASSWORD)
        .env("SCREENSHOT", screenshot)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // A test that panics or times out must not leave Node (and its Chromium) behind.
        .kill_on_drop(true);
    let child = cmd.spawn().expect("node starts");
    let out = tokio::time::timeout(SCRIPT_LIMIT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("booking.mjs did not finish in {SCRIPT_LIMIT:?}"))
        .expect("booking.mjs runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("booking.mjs said:\n{stderr}");
    assert!(
        out.status.success(),
        "booking.mjs failed ({}):\n{stderr}\nstdout: {stdout}",
        out.status
    );
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON line from booking.mjs: {stdout}"));
    serde_json::from_str(line).unwrap_or_else(|e| panic!("bad JSON from booking.mjs ({e}): {line}"))
}

/// Check that `path` is a PNG image of a plausible page size; returns (width, height).
fn assert_png(path: &Path) -> (u32, u32) {
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| panic!("no screenshot at {}: {e}", path.display()));
    assert!(
        bytes.len() > 24 && bytes.starts_with(b"\x89PNG\r\n\x1a\n") && &bytes[12..16] == b"IHDR",
        "{} is not a PNG",
        path.display()
    );
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert!(
        width >= 300 && height >= 300,
        "screenshot {}×{} is too small to be a page",
        width,
        height
    );
    (width, height)
}

/// Check that `pcm` (one window) holds `hz` loudly and clearly above the noise floor.
fn assert_hears(who: &str, pcm: &[i16], hz: f64) {
    let db = tone_db(pcm, hz);
    let noise = tone_db(pcm, NOISE_HZ);
    eprintln!(
        "{who}: {} samples, {hz} Hz at {db:.1} dBFS, noise {noise:.1}",
        pcm.len()
    );
    assert!(pcm.len() >= 7000, "{who}: only {} samples", pcm.len());
    assert!(db >= -30.0, "{who}: {hz} Hz at {db:.1} dBFS");
    assert!(
        db >= noise + 20.0,
        "{who}: {hz} Hz at {db:.1} dBFS is not clearly above the noise ({noise:.1})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn book_in_the_browser_then_dial_the_sheet() {
    let missing = missing_prerequisites();
    if !missing.is_empty() {
        if std::env::var("PONT_SKIP_BROWSER").as_deref() == Ok("1") {
            eprintln!("PONT_SKIP_BROWSER=1: skipping the browser test (missing: {missing:?})");
            return;
        }
        panic!(
            "the browser test needs {}: run `make test` (it installs them), or set \
             PONT_SKIP_BROWSER=1 to skip this test",
            missing.join(", ")
        );
    }

    tokio::time::timeout(LIMIT, async {
        let b = TestBridge::start().await;
        let (_, created) = b
            .store
            .upsert_user(
                ADMIN,
                &pont::auth::hash_password(PASSWORD),
                false,
                unix_now(),
            )
            .await
            .expect("admin account stored");
        assert!(created, "a new account");

        let shot = screenshot_path();
        std::fs::create_dir_all(shot.parent().unwrap()).expect("screenshot folder");
        // A screenshot left by an earlier run must not pass for this one's.
        let _ = std::fs::remove_file(&shot);
        let _ = std::fs::remove_file(shot.with_file_name("sheet-form-errors.png"));
        let sheet = book_in_browser(&format!("http://{}", b.web()), &shot).await;
        eprintln!("sheet: {sheet:?}");
        let (w, h) = assert_png(&shot);
        println!(
            "screenshot of the connection sheet ({w}×{h}): {}",
            shot.display()
        );
        let errors_shot = shot.with_file_name("sheet-form-errors.png");
        let (w, h) = assert_png(&errors_shot);
        println!(
            "screenshot of the refused form ({w}×{h}): {}",
            errors_shot.display()
        );

        // The sheet's URI: sip:NUMBER@DOMAIN, the domain being the bridge's SIP address and port here.
        let user = sheet
            .sip_uri
            .strip_prefix("sip:")
            .and_then(|rest| rest.split_once('@'))
            .map(|(user, _)| user)
            .unwrap_or_else(|| panic!("SIP URI {:?} is not sip:USER@HOST", sheet.sip_uri));
        assert_eq!(
            user, sheet.number,
            "the SIP URI dials the conference number"
        );
        assert!(
            sheet.sip_uri.ends_with(&format!("@{}", b.sip())),
            "the SIP URI {} names the bridge ({})",
            sheet.sip_uri,
            b.sip()
        );
        assert!(sheet.modify_url.contains("/m/"), "{}", sheet.modify_url);

        // Someone is in the conference already (number and code in the URI: no IVR).
        let mut first = Phone::call(
            b.sip(),
            &format!("{}**{}", sheet.number, sheet.access_code),
            FIRST_HZ,
        )
        .await
        .expect("the first participant is answered");
        let joined =
            wait_metric_at_least(&b, "pont_calls_joined_total", 1.0, Duration::from_secs(5)).await;
        assert_eq!(joined, 1.0, "the booked conference takes a direct join");

        // The phone dials the sheet's URI, is asked for the code, keys it.
        let mut caller = Phone::call(b.sip(), user, CALLER_HZ)
            .await
            .expect("the sheet's SIP URI is answered");
        // The number is looked up (≥ 300 ms), then "enter the access code" plays.
        tokio::time::sleep(SETTLE + Duration::from_millis(700)).await;
        key_rfc4733(&caller, &format!("{}#", sheet.access_code)).await;
        let joined =
            wait_metric_at_least(&b, "pont_calls_joined_total", 2.0, Duration::from_secs(10)).await;
        assert_eq!(
            joined, 2.0,
            "the caller keyed the sheet's code and was not joined"
        );
        assert_eq!(b.metric("pont_participants_active").await, 2.0);

        // Jitter buffers fill and symmetric RTP latches, then one window of listening.
        tokio::time::sleep(Duration::from_millis(1500) + WINDOW).await;
        assert_hears("caller", &caller.received_pcm(WINDOW), FIRST_HZ);
        assert_hears("first participant", &first.received_pcm(WINDOW), CALLER_HZ);

        assert_eq!(caller.hangup(Duration::from_secs(5)).await, Some(200));
        assert_eq!(first.hangup(Duration::from_secs(5)).await, Some(200));
        b.wait_metrics(
            &[
                "pont_calls_active",
                "pont_participants_active",
                "pont_rtp_ports_in_use",
            ],
            0.0,
            Duration::from_secs(3),
        )
        .await;
        b.bridge.shutdown().await;
    })
    .await
    .expect("test finishes within its limit");
}
