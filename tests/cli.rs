//! The `pont` binary as an operator meets it: start-up failures exit non-zero, quickly, with a
//! message that says what is wrong (a bad address names the IP:PORT form, a taken port says
//! "cannot listen", an unreachable database "cannot open database"), and `conference add` /
//! `conference list` work on a SQLite file.

mod common;

use std::time::{Duration, Instant};

use common::pont_command;

/// Run `pont` with `args` in `dir` and wait at most `limit`; returns (success, stdout + stderr).
async fn run_in(dir: &std::path::Path, args: &[&str], limit: Duration) -> (bool, String) {
    let out = tokio::time::timeout(limit, pont_command().current_dir(dir).args(args).output())
        .await
        .unwrap_or_else(|_| panic!("pont {args:?} still running after {limit:?}"))
        .expect("pont runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn sqlite_in(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("pont.db").display())
}

#[tokio::test]
async fn bad_sip_address_names_the_expected_form() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_in(&dir);
    let limit = Duration::from_secs(10);
    let (ok, text) = run_in(
        dir.path(),
        &["serve", "--sip", "nonsense", "--db", &db],
        limit,
    )
    .await;
    assert!(!ok, "{text}");
    assert!(
        text.contains("IP:PORT") && text.contains("nonsense"),
        "{text}"
    );
    // Without the subcommand the flag is not known at all: still a clear, non-zero exit.
    let (ok, text) = run_in(dir.path(), &["--sip", "nonsense"], limit).await;
    assert!(!ok, "{text}");
    assert!(text.contains("--sip"), "{text}");
}

#[tokio::test]
async fn sip_port_in_use_cannot_listen() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_in(&dir);
    let taken = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (ok, text) = run_in(
        dir.path(),
        &["serve", "--sip", &addr, "--web", "127.0.0.1:0", "--db", &db],
        Duration::from_secs(10),
    )
    .await;
    assert!(!ok, "{text}");
    assert!(
        text.contains("cannot listen") && text.contains(&addr),
        "{text}"
    );

    // Same with only the TCP side taken: SIP listens on both.
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = tcp.local_addr().unwrap().to_string();
    let (ok, text) = run_in(
        dir.path(),
        &["serve", "--sip", &addr, "--web", "127.0.0.1:0", "--db", &db],
        Duration::from_secs(10),
    )
    .await;
    assert!(!ok, "{text}");
    assert!(
        text.contains("cannot listen") && text.contains("TCP"),
        "{text}"
    );
}

#[tokio::test]
async fn unreachable_database_fails_fast() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (ok, text) = run_in(
        dir.path(),
        &[
            "serve",
            "--sip",
            "127.0.0.1:0",
            "--web",
            "127.0.0.1:0",
            "--db",
            "postgres://nobody@127.0.0.1:1/x",
        ],
        Duration::from_secs(10),
    )
    .await;
    let took = started.elapsed();
    assert!(!ok, "{text}");
    assert!(text.contains("cannot open database"), "{text}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[tokio::test]
async fn conference_add_then_list() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_in(&dir);
    let limit = Duration::from_secs(10);
    let (ok, text) = run_in(dir.path(), &["conference", "list", "--db", &db], limit).await;
    assert!(ok, "{text}");
    assert!(text.contains("no conferences"), "{text}");

    let add = [
        "conference",
        "add",
        "--number",
        "721051",
        "--code",
        "1289",
        "--title",
        "Weekly",
        "--start",
        "2030-01-07T09:00",
        "--capacity",
        "8",
        "--db",
        &db,
    ];
    let (ok, text) = run_in(dir.path(), &add, limit).await;
    assert!(ok, "{text}");
    assert!(text.contains("721051") && text.contains("Weekly"), "{text}");

    let (ok, text) = run_in(dir.path(), &["conference", "list", "--db", &db], limit).await;
    assert!(ok, "{text}");
    let line = text
        .lines()
        .find(|l| l.starts_with("721051"))
        .unwrap_or_else(|| panic!("not listed: {text}"));
    for part in ["2030-01-07T09:00:00Z", "Weekly", "code 1289", "capacity 8"] {
        assert!(line.contains(part), "{part} missing from {line:?}");
    }

    // The same number at an overlapping time is refused, with a reason.
    let (ok, text) = run_in(dir.path(), &add, limit).await;
    assert!(!ok, "{text}");
    assert!(text.contains("already used"), "{text}");
}

#[tokio::test]
async fn conference_add_video_with_a_layout() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_in(&dir);
    let limit = Duration::from_secs(10);
    let add = |number: &'static str, layout: &'static str| {
        [
            "conference",
            "add",
            "--number",
            number,
            "--code",
            "1289",
            "--start",
            "2030-01-07T09:00",
            "--layout",
            layout,
            "--db",
        ]
    };
    let mut args = add("721051", "3x3").to_vec();
    args.push(&db);
    let (ok, text) = run_in(dir.path(), &args, limit).await;
    assert!(ok, "{text}");
    assert!(text.contains("video       3x3"), "{text}");
    let (ok, text) = run_in(dir.path(), &["conference", "list", "--db", &db], limit).await;
    assert!(ok, "{text}");
    assert!(text.contains("capacity 20\tvideo 3x3"), "{text}");

    // An unknown layout is refused with the valid names.
    let mut args = add("721052", "4x4").to_vec();
    args.push(&db);
    let (ok, text) = run_in(dir.path(), &args, limit).await;
    assert!(!ok, "{text}");
    assert!(text.contains("voice-switched, 1+n, 2x2 or 3x3"), "{text}");
}
