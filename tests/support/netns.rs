//! A network namespace of the test's own (`ip netns add`), for clients that advertise the
//! host's primary address in their SDP: inside it the only addresses are loopback and an
//! interface of the test's (a dummy, or a veth pair with both ends inside) with an address it
//! chooses, so every packet stays in the namespace. [`Netns`] deletes the
//! namespace when dropped (a failing test leaves none behind); [`in_netns`] runs a closure on
//! a thread that has entered it, so the test can open sockets there (a socket stays in the
//! namespace it was created in, whichever thread uses it later).

use std::fs::File;
use std::os::fd::AsRawFd;
use std::process::{Command, Output};

/// `CLONE_NEWNET`, the namespace type for setns(2).
const CLONE_NEWNET: i32 = 0x4000_0000;

extern "C" {
    /// setns(2), from the C library std already links.
    fn setns(fd: i32, nstype: i32) -> i32;
}

/// A network namespace with `lo` up and an interface `pont0` holding `address`, the default
/// route's.
#[derive(Debug)]
pub struct Netns {
    /// Its name under /var/run/netns.
    pub name: String,
}

fn ip(args: &[&str]) -> Output {
    Command::new("ip").args(args).output().expect("run ip")
}

fn check(what: &str, out: Output) {
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Netns {
    /// Create it (`address` with prefix, e.g. `10.213.0.1/24`).
    pub fn create(tag: &str, address: &str) -> Netns {
        let name = format!("pont-test-{}-{tag}", std::process::id());
        // A namespace left over by a killed run of the same pid and tag goes first.
        let _ = ip(&["netns", "del", &name]);
        check("ip netns add", ip(&["netns", "add", &name]));
        let ns = Netns { name };
        let n = ns.name.as_str();
        check("lo up", ip(&["-n", n, "link", "set", "lo", "up"]));
        // A dummy interface when the kernel has the module; otherwise (containers often lack
        // it) a veth pair whose two ends are both inside the namespace: either way an
        // interface with no way out.
        let dummy = ip(&["-n", n, "link", "add", "pont0", "type", "dummy"]);
        if !dummy.status.success() {
            check(
                "veth pair (no dummy interfaces here)",
                ip(&[
                    "-n", n, "link", "add", "pont0", "type", "veth", "peer", "name", "pont1",
                ]),
            );
            check("pont1 up", ip(&["-n", n, "link", "set", "pont1", "up"]));
        }
        check(
            "its address",
            ip(&["-n", n, "addr", "add", address, "dev", "pont0"]),
        );
        check("pont0 up", ip(&["-n", n, "link", "set", "pont0", "up"]));
        // The clients take the interface of the default route as "the" address: make it pont0,
        // which leads nowhere but the namespace itself.
        check(
            "default route",
            ip(&["-n", n, "route", "add", "default", "dev", "pont0"]),
        );
        ns
    }

    /// A command run inside the namespace (`ip netns exec NAME program`).
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, program]);
        c
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let out = ip(&["netns", "del", &self.name]);
        if !out.status.success() {
            eprintln!(
                "could not delete network namespace {}: {}",
                self.name,
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// Run `f` on a new thread that has joined namespace `name`; its result.
pub fn in_netns<T: Send + 'static>(name: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let path = format!("/var/run/netns/{name}");
    std::thread::spawn(move || {
        let file = File::open(&path).unwrap_or_else(|e| panic!("open {path}: {e}"));
        // SAFETY: setns on a valid namespace fd changes only this thread's network namespace.
        let rc = unsafe { setns(file.as_raw_fd(), CLONE_NEWNET) };
        assert_eq!(rc, 0, "setns({path}): {}", std::io::Error::last_os_error());
        f()
    })
    .join()
    .expect("namespace thread")
}
