//! `pont load` as CI runs it: a small G.711 load against a bridge the command spawns itself
//! must set up every call, lose nothing, time the marker between callers, and read the bridge's
//! CPU and memory.

mod common;

use std::time::Duration;

use common::pont_command;

#[tokio::test]
async fn small_load_sets_up_every_call_and_loses_nothing() {
    let args = [
        "load",
        "--calls",
        "20",
        "--size",
        "5",
        "--talkers",
        "2",
        "--seconds",
        "5",
        "--codec",
        "pcmu",
        "--json",
        "--require-no-loss",
    ];
    let out = tokio::time::timeout(Duration::from_secs(60), pont_command().args(args).output())
        .await
        .expect("pont load finished within 60 s")
        .expect("pont runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let line = stdout.lines().last().unwrap_or_default();
    let r: serde_json::Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    let num = |k: &str| {
        r[k].as_f64()
            .unwrap_or_else(|| panic!("no number {k} in {r}"))
    };
    assert_eq!(num("calls"), 20.0, "{r}");
    assert_eq!(num("set_up"), 20.0, "{r}");
    assert_eq!(num("failed"), 0.0, "{r}");
    assert_eq!(num("packets_lost"), 0.0, "{r}");
    assert_eq!(num("legs_without_media"), 0.0, "{r}");
    // 20 legs × 50 packets/s × 5 s, give or take the window's edges.
    assert!(num("packets_received") > 4500.0, "{r}");
    assert_eq!(num("byes_sent"), 20.0, "{r}");
    assert_eq!(num("bye_ok"), 20.0, "{r}");
    // 4 conferences × one marker per 2 s × 5 s: a few markers, each heard by its probe.
    assert!(num("markers_detected") >= 4.0, "{r}");
    let p50 = num("latency_ms_p50");
    assert!(p50 > 0.0 && p50 < 200.0, "{r}");
    assert!(num("bridge_cpu_percent") > 0.0, "{r}");
    assert!(num("bridge_rss_kb_steady") > 0.0, "{r}");
    assert!(num("mixer_ticks") > 0.0, "{r}");
}
