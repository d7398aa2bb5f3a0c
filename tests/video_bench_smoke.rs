//! `pont bench video` as CI runs it: two video callers in a 2×2 conference on a bridge the
//! command spawns itself; every call must get video back and every colour change of the probe
//! must be seen by the viewer and timed (`--strict` fails the command otherwise).

mod common;

use std::time::Duration;

use common::pont_command;

#[tokio::test]
async fn two_video_callers_get_video_and_changes_are_timed() {
    let args = [
        "bench",
        "video",
        "--callers",
        "2",
        "--changes",
        "3",
        "--resolution",
        "360p",
        "--strict",
    ];
    let out = tokio::time::timeout(Duration::from_secs(90), pont_command().args(args).output())
        .await
        .expect("pont bench video finished within 90 s")
        .expect("pont runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("2 callers (2 answered)"),
        "{stdout}\n{stderr}"
    );
    assert!(stdout.contains("3 of 3 changes seen"), "{stdout}\n{stderr}");
    let p50: f64 = stdout
        .split("p50 ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no p50 in {stdout}"));
    assert!(p50 > 0.0 && p50 < 1000.0, "{stdout}");
}
