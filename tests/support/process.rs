//! Child processes bounded in time: a [`Guarded`] child is killed when it is dropped (a test
//! that panics or times out leaves nothing running), and [`Guarded::wait_for`] gives up after a
//! deadline instead of hanging the test.

use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

/// A child process killed (SIGKILL) and reaped on drop unless it has already exited.
#[derive(Debug)]
pub struct Guarded {
    /// What it is, for messages.
    name: String,
    child: Child,
}

impl Guarded {
    /// Take ownership of `child`.
    pub fn new(name: impl Into<String>, child: Child) -> Guarded {
        Guarded {
            name: name.into(),
            child,
        }
    }

    /// Wait until the child exits, at most `timeout`; on timeout, kill it and return `None`.
    pub fn wait_for(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => {
                    eprintln!("{} overran its {timeout:?}: killing it", self.name);
                    self.kill();
                    return None;
                }
            }
        }
    }

    /// Kill and reap the child (nothing happens if it has exited already).
    pub fn kill(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }

    /// The child's stdin pipe (when it was set up with one).
    pub fn take_stdin(&mut self) -> Option<std::process::ChildStdin> {
        self.child.stdin.take()
    }

    /// The child's stdout pipe (when it was set up with one).
    pub fn take_stdout(&mut self) -> Option<std::process::ChildStdout> {
        self.child.stdout.take()
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        self.kill();
    }
}
