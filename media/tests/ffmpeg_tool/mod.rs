//! ffmpeg as the other implementation in the interop tests (G.722, H.264), shared by their test
//! binaries: each includes it with `mod ffmpeg_tool;`. ffmpeg is a test dependency (`make test`
//! installs it); without it a test fails, unless `PONT_SKIP_FFMPEG=1` asks to skip it.

#![allow(dead_code)] // each test binary uses its own part

use std::io::ErrorKind;
use std::path::PathBuf;
use std::process::Command;

/// Runs ffmpeg with the given arguments and returns its stdout, or `None` when ffmpeg is not
/// installed. A run that fails fails the test, with ffmpeg's message.
pub fn run(args: &[&str]) -> Option<Vec<u8>> {
    match Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin"])
        .args(args)
        .output()
    {
        Ok(out) => {
            assert!(
                out.status.success(),
                "ffmpeg {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(out.stdout)
        }
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => panic!("cannot run ffmpeg: {e}"),
    }
}

/// Whether the `what` interop test should stop here: true (with a notice) when
/// `PONT_SKIP_FFMPEG=1`; otherwise fails the test when ffmpeg was not `found`.
pub fn skip(found: bool, what: &str) -> bool {
    if std::env::var("PONT_SKIP_FFMPEG").as_deref() == Ok("1") {
        eprintln!("PONT_SKIP_FFMPEG=1: skipping the {what} ffmpeg interop test");
        return true;
    }
    assert!(
        found,
        "the {what} interop tests need ffmpeg: run `make test` (it installs it), or set \
         PONT_SKIP_FFMPEG=1 to skip them"
    );
    false
}

/// A file path in this test process's own scratch directory `pont-{tag}-{pid}`.
pub fn scratch(tag: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pont-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}
